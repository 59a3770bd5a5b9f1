//! The append-only audit trail is a hash chain: each event stores the hash of the previous one,
//! and its own hash covers every field plus that previous hash. Changing, removing or reordering
//! an event breaks the chain at that event, and [`ChainVerifier`] names it.
//!
//! The hash input is a length-prefixed encoding of the fields, so that no two different events
//! can encode to the same bytes; JSON payloads are hashed exactly as stored (text, not re-parsed).

use crate::calendar::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event before it is sealed into the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAuditEvent {
    /// `user:12`, `reporter:5`, `system`, `channel:whatsapp`.
    pub actor: String,
    /// `report.created`, `assignment.stage_changed`, `user.created`, ...
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    /// JSON text of the values before the change, if any.
    pub before: Option<String>,
    /// JSON text of the values after the change, if any.
    pub after: Option<String>,
}

impl NewAuditEvent {
    pub fn new(
        actor: impl Into<String>,
        action: impl Into<String>,
        object_type: impl Into<String>,
        object_id: impl ToString,
    ) -> Self {
        NewAuditEvent {
            actor: actor.into(),
            action: action.into(),
            object_type: object_type.into(),
            object_id: object_id.to_string(),
            before: None,
            after: None,
        }
    }

    pub fn before(mut self, v: &impl Serialize) -> Self {
        self.before = Some(serde_json::to_string(v).unwrap_or_else(|_| "null".into()));
        self
    }

    pub fn after(mut self, v: &impl Serialize) -> Self {
        self.after = Some(serde_json::to_string(v).unwrap_or_else(|_| "null".into()));
        self
    }

    /// Seal into the chain at position `seq` after the event whose hash is `prev_hash`.
    pub fn seal(self, seq: i64, occurred_at: Timestamp, prev_hash: &str) -> AuditEvent {
        let mut e = AuditEvent {
            seq,
            occurred_at,
            actor: self.actor,
            action: self.action,
            object_type: self.object_type,
            object_id: self.object_id,
            before: self.before,
            after: self.after,
            prev_hash: prev_hash.to_string(),
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        e
    }
}

/// A stored audit event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub seq: i64,
    pub occurred_at: Timestamp,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

fn put(h: &mut Sha256, field: &[u8]) {
    h.update((field.len() as u64).to_be_bytes());
    h.update(field);
}

fn put_opt(h: &mut Sha256, field: Option<&str>) {
    match field {
        None => h.update([0u8]),
        Some(s) => {
            h.update([1u8]);
            put(h, s.as_bytes());
        }
    }
}

impl AuditEvent {
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"tanggap-audit-v1");
        h.update(self.seq.to_be_bytes());
        h.update(self.occurred_at.timestamp_micros().to_be_bytes());
        put(&mut h, self.actor.as_bytes());
        put(&mut h, self.action.as_bytes());
        put(&mut h, self.object_type.as_bytes());
        put(&mut h, self.object_id.as_bytes());
        put_opt(&mut h, self.before.as_deref());
        put_opt(&mut h, self.after.as_deref());
        put(&mut h, self.prev_hash.as_bytes());
        hex::encode(h.finalize())
    }
}

/// Why the chain is broken, at which event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("audit event #{seq}: its contents do not match its hash (the event was changed)")]
    Altered { seq: i64 },
    #[error(
        "audit event #{seq}: it does not follow event #{prev_seq} (an event before it was removed or changed)"
    )]
    Unlinked { seq: i64, prev_seq: i64 },
    #[error("audit event #{found} found where #{expected} was expected (events are missing)")]
    Gap { expected: i64, found: i64 },
    #[error(
        "the chain ends at #{last_seq} but the recorded head is #{head_seq} (events at the end were removed or changed)"
    )]
    HeadMismatch { last_seq: i64, head_seq: i64 },
}

impl ChainBreak {
    /// The first event that cannot be trusted.
    pub fn seq(&self) -> i64 {
        match self {
            ChainBreak::Altered { seq } | ChainBreak::Unlinked { seq, .. } => *seq,
            ChainBreak::Gap { expected, .. } => *expected,
            ChainBreak::HeadMismatch { last_seq, .. } => *last_seq,
        }
    }
}

/// Walks the chain in order, one event at a time, so a store can page through millions of events.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    next_seq: i64,
    prev_hash: String,
    checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            next_seq: 1,
            prev_hash: GENESIS_HASH.to_string(),
            checked: 0,
        }
    }
}

impl ChainVerifier {
    pub fn feed(&mut self, e: &AuditEvent) -> Result<(), ChainBreak> {
        if e.seq != self.next_seq {
            return Err(ChainBreak::Gap {
                expected: self.next_seq,
                found: e.seq,
            });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainBreak::Unlinked {
                seq: e.seq,
                prev_seq: e.seq - 1,
            });
        }
        if e.compute_hash() != e.hash {
            return Err(ChainBreak::Altered { seq: e.seq });
        }
        self.prev_hash = e.hash.clone();
        self.next_seq += 1;
        self.checked += 1;
        Ok(())
    }

    /// Compare the end of the walk with the separately recorded head of the chain.
    pub fn finish(self, head: Option<(i64, &str)>) -> Result<ChainSummary, ChainBreak> {
        let last_seq = self.next_seq - 1;
        match head {
            Some((head_seq, head_hash)) if head_seq != last_seq || head_hash != self.prev_hash => {
                Err(ChainBreak::HeadMismatch { last_seq, head_seq })
            }
            None if last_seq != 0 => Err(ChainBreak::HeadMismatch {
                last_seq,
                head_seq: 0,
            }),
            _ => Ok(ChainSummary {
                events: self.checked,
                head_hash: self.prev_hash,
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSummary {
    pub events: u64,
    /// Record this outside the database (e.g. in the quarterly report) to anchor the chain.
    pub head_hash: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn chain(n: i64) -> Vec<AuditEvent> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let e = NewAuditEvent::new("user:1", "report.created", "report", seq)
                    .after(&serde_json::json!({"title": format!("laporan {seq}")}))
                    .seal(
                        seq,
                        DateTime::from_timestamp(1_700_000_000 + seq, 0).unwrap(),
                        &prev,
                    );
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn verify(events: &[AuditEvent]) -> Result<ChainSummary, ChainBreak> {
        let mut v = ChainVerifier::default();
        for e in events {
            v.feed(e)?;
        }
        let last = events.last();
        v.finish(last.map(|e| (e.seq, e.hash.as_str())))
    }

    #[test]
    fn intact_chain_verifies() {
        let s = verify(&chain(5)).unwrap();
        assert_eq!(s.events, 5);
        assert_eq!(verify(&[]).unwrap().events, 0);
    }

    #[test]
    fn altered_event_is_named() {
        let mut c = chain(5);
        c[2].after = Some(r#"{"title":"diubah"}"#.into());
        assert_eq!(verify(&c), Err(ChainBreak::Altered { seq: 3 }));
    }

    #[test]
    fn rehashed_event_breaks_the_next_link() {
        let mut c = chain(5);
        c[2].actor = "user:2".into();
        c[2].hash = c[2].compute_hash();
        assert_eq!(
            verify(&c),
            Err(ChainBreak::Unlinked {
                seq: 4,
                prev_seq: 3
            })
        );
    }

    #[test]
    fn removed_event_is_a_gap() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(verify(&c).unwrap_err().seq(), 2);
    }

    #[test]
    fn truncation_is_caught_by_the_head() {
        let c = chain(5);
        let mut v = ChainVerifier::default();
        for e in &c[..3] {
            v.feed(e).unwrap();
        }
        assert!(matches!(
            v.finish(Some((5, &c[4].hash))),
            Err(ChainBreak::HeadMismatch { .. })
        ));
    }

    #[test]
    fn field_boundaries_matter() {
        let t = DateTime::from_timestamp(0, 0).unwrap();
        let a = NewAuditEvent::new("ab", "c", "x", 1).seal(1, t, GENESIS_HASH);
        let b = NewAuditEvent::new("a", "bc", "x", 1).seal(1, t, GENESIS_HASH);
        assert_ne!(a.hash, b.hash);
    }
}
