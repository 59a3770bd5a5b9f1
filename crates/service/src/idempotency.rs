//! Submissions retried with an `Idempotency-Key` (draft-ietf-httpapi-idempotency-key): the
//! first attempt stores the report and, in the same transaction, the key; a retry with the same
//! key and the same request gets the same tracking ID and secret back, and no second report. The
//! same key with another request is refused (422). Keys are kept for a day.
//!
//! The reporter's secret must come back on a retry (the client retries because it lost the
//! first answer), but the database keeps only its hash. The secret is therefore stored sealed:
//! XOR-ed with a pad derived from the key, which the database never holds (it holds the key's
//! hash, derived with another label). Whoever reads the database learns nothing of the secret;
//! whoever presents the key with the same request gets it back, as the first answer gave it.

use crate::{Caller, FieldError, Result, ServiceError};
use sha2::{Digest, Sha256};
use tanggap_domain::SecretToken;
use tanggap_store::IdempotencyRecord;

/// How long a key finds its report.
pub const KEEP_FOR: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// The field named in refusals.
const FIELD: &str = "Idempotency-Key";

/// What an adapter received: the key, and a hash of the request it came with (the adapter
/// decides what makes two requests the same, e.g. the JSON body and the files' digests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    pub key: String,
    pub request_hash: String,
}

/// A key checked and bound to its caller.
pub(crate) struct BoundKey {
    /// Who sent it (a key is the caller's own: two API clients may pick the same key).
    scope: String,
    key: String,
    request_hash: String,
}

impl BoundKey {
    pub(crate) fn new(caller: &Caller, i: &Idempotency) -> Result<Self> {
        let key = i.key.trim();
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ServiceError::fields(vec![FieldError::new(
                FIELD, "invalid",
            )]));
        }
        Ok(BoundKey {
            scope: caller.audit_label(),
            key: key.to_string(),
            request_hash: i.request_hash.clone(),
        })
    }

    fn derive(&self, label: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        for part in [label, &self.scope, &self.key] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        h.finalize().into()
    }

    /// The stored name of the key.
    pub(crate) fn key_hash(&self) -> String {
        hex::encode(self.derive("tanggap idempotency key"))
    }

    /// What is stored with the report.
    pub(crate) fn record(&self, secret: &SecretToken) -> IdempotencyRecord {
        IdempotencyRecord {
            key_hash: self.key_hash(),
            request_hash: self.request_hash.clone(),
            sealed_secret: hex::encode(self.xor_pad(secret.expose().as_bytes())),
        }
    }

    /// The secret sealed in a stored record, if the record was made for the same request.
    pub(crate) fn open(&self, request_hash: &str, sealed: &str) -> Result<SecretToken> {
        if request_hash != self.request_hash {
            return Err(ServiceError::fields(vec![FieldError::new(FIELD, "reused")]));
        }
        let bytes = hex::decode(sealed)
            .map_err(|e| ServiceError::Internal(format!("a sealed secret is not hex: {e}")))?;
        let opened = String::from_utf8(self.xor_pad(&bytes))
            .map_err(|_| ServiceError::Internal("a sealed secret did not open".into()))?;
        Ok(SecretToken::from_presented(&opened))
    }

    /// `bytes` XOR a pad as long as them (SHA-256 blocks of the key, counted).
    fn xor_pad(&self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len());
        for (n, chunk) in bytes.chunks(32).enumerate() {
            let pad = self.derive(&format!("tanggap idempotency seal {n}"));
            out.extend(chunk.iter().zip(pad).map(|(b, p)| b ^ p));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(key: &str, request: &str) -> BoundKey {
        BoundKey::new(
            &Caller::Public,
            &Idempotency {
                key: key.into(),
                request_hash: request.into(),
            },
        )
        .unwrap()
    }

    #[test]
    fn the_key_opens_the_secret_it_sealed_and_the_record_does_not_show_it() {
        let secret = SecretToken::generate(&mut rand::thread_rng());
        let k = bound("retry-7f3a", "req-1");
        let record = k.record(&secret);
        assert!(!record.sealed_secret.contains(secret.expose()));
        assert!(!record.key_hash.contains("retry-7f3a"));
        let opened = k.open(&record.request_hash, &record.sealed_secret).unwrap();
        assert_eq!(opened.expose(), secret.expose());
        // Another key does not open it.
        let other = bound("retry-7f3b", "req-1");
        if let Ok(wrong) = other.open("req-1", &record.sealed_secret) {
            assert_ne!(wrong.expose(), secret.expose());
        }
        assert_ne!(other.key_hash(), k.key_hash());
    }

    #[test]
    fn the_same_key_with_another_request_is_refused() {
        let secret = SecretToken::generate(&mut rand::thread_rng());
        let k = bound("k", "req-1");
        let record = k.record(&secret);
        let again = bound("k", "req-2");
        assert!(
            again
                .open(&record.request_hash, &record.sealed_secret)
                .is_err()
        );
    }

    #[test]
    fn keys_are_visible_ascii_of_at_most_255() {
        let check = |key: &str| {
            BoundKey::new(
                &Caller::Public,
                &Idempotency {
                    key: key.into(),
                    request_hash: "r".into(),
                },
            )
            .is_ok()
        };
        assert!(check("0f8fad5b-d9cb-469f-a165-70867728950e"));
        assert!(check(&"k".repeat(255)));
        assert!(!check(""));
        assert!(!check("   "));
        assert!(!check(&"k".repeat(256)));
        assert!(!check("dua kata"));
        assert!(!check("kunci\u{e9}"));
    }
}
