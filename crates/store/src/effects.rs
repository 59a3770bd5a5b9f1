//! What a workflow [`Event`] leaves behind besides the rows it changes: its timeline entry
//! (`activities`) and who may read it, the conversation message it writes (`messages`) and its
//! audit record.
//!
//! Both backends persist an event in two parts: the row changes only that event makes (status
//! columns, assignments, clocks, ...), then the generic inserts described here. Who may read an
//! entry is a privacy rule, so it is decided here, once, as its [`Audience`]:
//!
//! - `public`: progress (dispatch, the agencies' updates, returns, status changes, archive and
//!   merge, the score and outcome of a rating): the reporter and, for public reports, everyone;
//! - `conversation`: what the reporter writes and what the staff write to them (questions,
//!   answers and added information with their photos, messages, the reopen reason): the
//!   reporter, the desk, and the assigned agencies unless the report is `anonim`;
//! - `internal`: the desk's edits and leadership instructions: staff only.
//!
//! The reporter-updates job tells the reporter about public and conversation entries.
//!
//! The audit record never holds the free text or a contact detail (see [`crate::redact`]): the
//! text is recorded as a digest next to the ids of the timeline entry and message that hold it.

use crate::{ActivityKind, Result, StoreError, redact};
use serde_json::Value;
use tanggap_domain::access::Audience;
use tanggap_domain::audit::NewAuditEvent;
use tanggap_domain::workflow::{AssignmentRef, Event};
use tanggap_domain::{Direction, ReportStatus, Stage};

/// `messages.status` of a message to the reporter: on the tracking page at once; its delivery on
/// the reporter's channel is a `reporter_update` notification.
pub const MESSAGE_POSTED: &str = "posted";
/// `messages.status` of a message from the reporter.
pub const MESSAGE_RECEIVED: &str = "received";

/// Whose timeline entry it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryOwner {
    /// The report's own entry: no assignment, no agency.
    Report,
    /// The assignment this very event creates (`AssignmentCreated`).
    CreatedAssignment,
    /// An assignment the event refers to; `New(i)` is the `i`-th one created by the same change.
    Assignment(AssignmentRef),
}

/// One `activities` row, without the report, actor and time (the change's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    pub kind: ActivityKind,
    /// For an assignment's entry the backend also records that assignment's agency.
    pub owner: EntryOwner,
    pub stage: Option<Stage>,
    pub status: Option<ReportStatus>,
    pub note: Option<String>,
    pub audience: Audience,
}

impl TimelineEntry {
    fn report(kind: ActivityKind, note: Option<&str>, audience: Audience) -> Self {
        TimelineEntry {
            kind,
            owner: EntryOwner::Report,
            stage: None,
            status: None,
            note: note.map(str::to_string),
            audience,
        }
    }
}

/// One `messages` row of the report's conversation, without the report, reporter, channel,
/// author and time (the report's and the change's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationMessage {
    pub direction: Direction,
    pub body: String,
    /// [`MESSAGE_POSTED`] or [`MESSAGE_RECEIVED`].
    pub status: &'static str,
}

impl ConversationMessage {
    fn to_reporter(body: &str) -> Self {
        ConversationMessage {
            direction: Direction::Outbound,
            body: body.to_string(),
            status: MESSAGE_POSTED,
        }
    }

    fn from_reporter(body: &str) -> Self {
        ConversationMessage {
            direction: Direction::Inbound,
            body: body.to_string(),
            status: MESSAGE_RECEIVED,
        }
    }
}

/// Everything an event writes besides its own row changes, in the order it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct EventEffects {
    pub entry: Option<TimelineEntry>,
    pub message: Option<ConversationMessage>,
    pub audit: AuditRecord,
}

/// An event's audit record, before the ids of the rows written with it are known.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub actor: String,
    pub action: &'static str,
    pub report_id: i64,
    pub before: Option<Value>,
    /// Without free text: see [`crate::redact`].
    pub after: Value,
}

impl AuditRecord {
    /// The record, naming the timeline entry and message the event wrote (which hold its text).
    pub fn event(&self, activity_id: Option<i64>, message_id: Option<i64>) -> NewAuditEvent {
        let after = redact::with_refs(
            self.after.clone(),
            &[("activity_id", activity_id), ("message_id", message_id)],
        );
        let e =
            NewAuditEvent::new(&self.actor, self.action, "report", self.report_id).after(&after);
        match &self.before {
            Some(b) => e.before(b),
            None => e,
        }
    }
}

/// What [`event_effects`] needs to know besides the event.
#[derive(Debug, Clone, Copy)]
pub struct EffectsContext<'a> {
    pub report_id: i64,
    /// The change's audit label (`user:3`, `reporter:5`, `system`).
    pub actor: &'a str,
    /// For `DuplicateLinked`: the master report's tracking id, which the backend looks up;
    /// `None` if that report does not exist. Ignored for other events.
    pub master_tracking_id: Option<&'a str>,
}

/// The timeline entry of a newly submitted report (not an [`Event`]: `create_report` writes it).
pub fn submitted_entry() -> TimelineEntry {
    TimelineEntry::report(ActivityKind::Submitted, None, Audience::Public)
}

/// The timeline entry, conversation message and audit record of one event.
///
/// Fails only for a `DuplicateLinked` whose master report does not exist.
pub fn event_effects(event: &Event, cx: &EffectsContext<'_>) -> Result<EventEffects> {
    use Audience::{Conversation, Internal, Public};
    let mut message = None;
    let entry = match event {
        Event::StatusChanged { to, .. } => Some(TimelineEntry {
            status: Some(*to),
            ..TimelineEntry::report(ActivityKind::StatusChanged, None, Public)
        }),
        Event::WaitStarted { question, .. } => {
            message = Some(ConversationMessage::to_reporter(question));
            Some(TimelineEntry::report(
                ActivityKind::AskedReporter,
                Some(question),
                Conversation,
            ))
        }
        Event::WaitEnded { .. } => None,
        // Edits during verification may concern what the reporter must not see (who they are).
        Event::Edited { .. } => Some(TimelineEntry::report(ActivityKind::Edited, None, Internal)),
        Event::AssignmentCreated {
            forwarded_from,
            note,
            stage,
            ..
        } => Some(TimelineEntry {
            kind: if forwarded_from.is_some() {
                ActivityKind::Forwarded
            } else {
                ActivityKind::Dispatched
            },
            owner: EntryOwner::CreatedAssignment,
            stage: Some(*stage),
            status: None,
            note: note.clone(),
            audience: Public,
        }),
        Event::StageChanged {
            assignment,
            to,
            note,
            ..
        } => Some(TimelineEntry {
            kind: match to {
                Stage::BukanWewenang => ActivityKind::Returned,
                Stage::Diteruskan => ActivityKind::Forwarded,
                _ => ActivityKind::StageUpdate,
            },
            owner: EntryOwner::Assignment(*assignment),
            stage: Some(*to),
            status: None,
            note: Some(note.clone()),
            audience: Public,
        }),
        Event::AssignmentRestarted { assignment, .. } => Some(TimelineEntry {
            kind: ActivityKind::Restarted,
            owner: EntryOwner::Assignment(AssignmentRef::Existing(*assignment)),
            stage: Some(Stage::MenungguRespon),
            status: None,
            note: None,
            audience: Public,
        }),
        Event::ClockSet { .. }
        | Event::ObligationOpened { .. }
        | Event::ObligationAnswered { .. }
        | Event::ObligationDueMoved { .. }
        | Event::ObligationCancelled { .. } => None,
        Event::DuplicateLinked { master_id } => {
            let master = cx.master_tracking_id.ok_or_else(|| {
                StoreError::Invalid(format!("master report {master_id} does not exist"))
            })?;
            Some(TimelineEntry::report(
                ActivityKind::Duplicate,
                Some(master),
                Public,
            ))
        }
        Event::Archived { reason } => Some(TimelineEntry::report(
            ActivityKind::Archived,
            Some(reason),
            Public,
        )),
        Event::ReporterReplied { text } => {
            message = Some(ConversationMessage::from_reporter(text));
            Some(TimelineEntry::report(
                ActivityKind::ReporterReplied,
                Some(text),
                Conversation,
            ))
        }
        // The score and outcome are public; the comment stays with the report
        // (`rating_comment`), for those who see the conversation.
        Event::Rated { score, outcome, .. } => Some(TimelineEntry::report(
            ActivityKind::Rated,
            Some(&format!("{score}/5 · {}", outcome.label())),
            Public,
        )),
        Event::Reopened { reason } => Some(TimelineEntry::report(
            ActivityKind::Reopened,
            Some(reason),
            Conversation,
        )),
        // Instructions are between the desk and the agencies.
        Event::InstructionAdded { note } => Some(TimelineEntry::report(
            ActivityKind::Instruction,
            Some(note),
            Internal,
        )),
        Event::Verified => Some(TimelineEntry::report(ActivityKind::Verified, None, Public)),
        Event::DispatchNoted { note } => Some(TimelineEntry::report(
            ActivityKind::DispatchNote,
            Some(note),
            Internal,
        )),
        Event::ReporterMessaged { text } => {
            message = Some(ConversationMessage::to_reporter(text));
            Some(TimelineEntry::report(
                ActivityKind::MessageToReporter,
                Some(text),
                Conversation,
            ))
        }
    };
    let (before, after) = match event {
        Event::Edited { before, after } => {
            let mut a = redact::report_fields(after);
            a["event"] = "edited".into();
            a["changed"] = serde_json::json!(redact::changed_fields(before, after));
            (Some(redact::report_fields(before)), a)
        }
        other => (None, redact::event(other)),
    };
    Ok(EventEffects {
        entry,
        message,
        audit: AuditRecord {
            actor: cx.actor.to_string(),
            action: event.action(),
            report_id: cx.report_id,
            before,
            after,
        },
    })
}

/// The audit record of the desk's review of an attachment: which file, the decision, the areas
/// blacked out (numbers only) and the copy's digest.
pub fn review_audit(review: &crate::AttachmentReview, report_id: i64) -> NewAuditEvent {
    let (copy, areas) = match &review.redacted {
        Some((copy, areas)) => (Some(&copy.sha256), Some(areas)),
        None => (None, None),
    };
    NewAuditEvent::new(&review.actor, "attachment.reviewed", "report", report_id).after(
        &serde_json::json!({
            "attachment_id": review.attachment_id, "decision": review.decision.as_str(),
            "areas": areas, "copy_sha256": copy,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use Audience::{Conversation, Internal, Public};
    use chrono::{DateTime, TimeDelta};
    use serde_json::{Value, json};
    use tanggap_domain::clock::{Clock, ClockKind, Measure};
    use tanggap_domain::ids::sha256_hex;
    use tanggap_domain::workflow::{ClockOwner, ReportFields};
    use tanggap_domain::{AssignmentRole, Outcome, ReportKind, Visibility};

    const REPORT: i64 = 42;
    const ACTOR: &str = "user:3";

    fn effects(event: &Event) -> EventEffects {
        effects_with_master(event, None)
    }

    fn effects_with_master(event: &Event, master: Option<&str>) -> EventEffects {
        event_effects(
            event,
            &EffectsContext {
                report_id: REPORT,
                actor: ACTOR,
                master_tracking_id: master,
            },
        )
        .unwrap()
    }

    fn json_of(text: &Option<String>) -> Option<Value> {
        text.as_deref().map(|t| serde_json::from_str(t).unwrap())
    }

    fn digest(text: &str) -> Value {
        json!({ "sha256": sha256_hex(text.as_bytes()), "chars": text.chars().count() })
    }

    /// The audit record is the report's, by the change's actor, with `action`, no `before` unless
    /// given and this `after` (plus the ids of the rows written with it); `secret` appears in
    /// neither.
    fn assert_audit(
        fx: &EventEffects,
        action: &str,
        before: Option<Value>,
        after: Value,
        secret: Option<&str>,
    ) {
        let e = fx.audit.event(None, None);
        assert_eq!(e.actor, ACTOR);
        assert_eq!(e.action, action);
        assert_eq!(e.object_type, "report");
        assert_eq!(e.object_id, REPORT.to_string());
        assert_eq!(json_of(&e.before), before);
        assert_eq!(json_of(&e.after), Some(after.clone()));
        if let Some(secret) = secret {
            let text = format!("{:?}{:?}", e.before, e.after);
            assert!(
                !text.contains(secret),
                "{secret} in the audit record {text}"
            );
        }
        // With the rows it wrote, the record names them.
        let mut with_refs = after;
        with_refs["activity_id"] = json!(11);
        with_refs["message_id"] = json!(12);
        assert_eq!(
            json_of(&fx.audit.event(Some(11), Some(12)).after),
            Some(with_refs)
        );
    }

    fn report_entry(kind: ActivityKind, note: Option<&str>, audience: Audience) -> TimelineEntry {
        TimelineEntry {
            kind,
            owner: EntryOwner::Report,
            stage: None,
            status: None,
            note: note.map(str::to_string),
            audience,
        }
    }

    fn outbound(body: &str) -> ConversationMessage {
        ConversationMessage {
            direction: Direction::Outbound,
            body: body.into(),
            status: "posted",
        }
    }

    fn fields(title: &str, rahasia: bool) -> ReportFields {
        ReportFields {
            kind: ReportKind::Pengaduan,
            title: title.into(),
            body: "Jalan berlubang di depan pasar.".into(),
            category: Some("jalan-jembatan".into()),
            region_code: Some("33.74.01.1001".into()),
            address: None,
            visibility: Visibility {
                anonim: false,
                rahasia,
            },
            needs_field_check: true,
        }
    }

    #[test]
    fn status_changed_is_a_public_status_entry() {
        let fx = effects(&Event::StatusChanged {
            from: ReportStatus::Baru,
            to: ReportStatus::Didisposisikan,
        });
        assert_eq!(
            fx.entry,
            Some(TimelineEntry {
                status: Some(ReportStatus::Didisposisikan),
                ..report_entry(ActivityKind::StatusChanged, None, Public)
            })
        );
        assert_eq!(fx.message, None);
        assert_audit(
            &fx,
            "report.status_changed",
            None,
            json!({ "event": "status_changed", "from": "baru", "to": "didisposisikan" }),
            None,
        );
    }

    #[test]
    fn wait_started_asks_the_reporter_in_the_conversation_only() {
        let fx = effects(&Event::WaitStarted {
            resume_to: ReportStatus::Baru,
            question: "Di RT berapa?".into(),
        });
        assert_eq!(
            fx.entry,
            Some(report_entry(
                ActivityKind::AskedReporter,
                Some("Di RT berapa?"),
                Conversation
            ))
        );
        assert_eq!(fx.message, Some(outbound("Di RT berapa?")));
        assert_audit(
            &fx,
            "report.wait_started",
            None,
            json!({ "event": "wait_started", "resume_to": "baru", "question": digest("Di RT berapa?") }),
            Some("RT berapa"),
        );
    }

    #[test]
    fn wait_ended_leaves_only_an_audit_record() {
        let fx = effects(&Event::WaitEnded {
            resume_to: ReportStatus::Diproses,
        });
        assert_eq!(fx.entry, None);
        assert_eq!(fx.message, None);
        assert_audit(
            &fx,
            "report.wait_ended",
            None,
            json!({ "event": "wait_ended", "resume_to": "diproses" }),
            None,
        );
    }

    #[test]
    fn edited_is_internal_and_audited_by_field_without_the_text() {
        let mut before = fields("Jalan rusak depan rumah Pak Slamet", false);
        before.address = Some("Jl. Melati 7".into());
        let after = fields("Jalan berlubang", true);
        let fx = effects(&Event::Edited {
            before: before.clone(),
            after: after.clone(),
        });
        assert_eq!(
            fx.entry,
            Some(report_entry(ActivityKind::Edited, None, Internal))
        );
        assert_eq!(fx.message, None);
        let fields_json = |f: &ReportFields| {
            let mut v = serde_json::to_value(f).unwrap();
            v["title"] = digest(&f.title);
            v["body"] = digest(&f.body);
            if let Some(a) = &f.address {
                v["address"] = digest(a);
            }
            v
        };
        let mut want_after = fields_json(&after);
        want_after["event"] = json!("edited");
        want_after["changed"] = json!(["title", "address", "visibility"]);
        assert_audit(
            &fx,
            "report.edited",
            Some(fields_json(&before)),
            want_after,
            Some("Slamet"),
        );
        let after_json = json_of(&fx.audit.event(None, None).after).unwrap();
        assert_eq!(
            after_json["visibility"],
            json!({ "anonim": false, "rahasia": true })
        );
        assert!(!format!("{:?}", fx.audit).contains("Melati"));
    }

    #[test]
    fn assignment_created_is_a_public_entry_of_the_new_assignment() {
        let dispatched = Event::AssignmentCreated {
            agency_id: "dpu-bmck".into(),
            role: AssignmentRole::Utama,
            forwarded_from: None,
            note: Some("Mohon dicek".into()),
            stage: Stage::MenungguRespon,
            responded: false,
        };
        let fx = effects(&dispatched);
        assert_eq!(
            fx.entry,
            Some(TimelineEntry {
                kind: ActivityKind::Dispatched,
                owner: EntryOwner::CreatedAssignment,
                stage: Some(Stage::MenungguRespon),
                status: None,
                note: Some("Mohon dicek".into()),
                audience: Public,
            })
        );
        assert_eq!(fx.message, None);
        assert_audit(
            &fx,
            "assignment.created",
            None,
            json!({
                "event": "assignment_created", "agency_id": "dpu-bmck", "role": "utama",
                "forwarded_from": null, "note": digest("Mohon dicek"), "stage": "menunggu_respon",
                "responded": false,
            }),
            Some("Mohon dicek"),
        );

        // A forwarded one continues at its parent's stage, without a note.
        let fx = effects(&Event::AssignmentCreated {
            agency_id: "rsud-moewardi".into(),
            role: AssignmentRole::Utama,
            forwarded_from: Some(7),
            note: None,
            stage: Stage::Pengerjaan,
            responded: true,
        });
        let entry = fx.entry.unwrap();
        assert_eq!(entry.kind, ActivityKind::Forwarded);
        assert_eq!(entry.owner, EntryOwner::CreatedAssignment);
        assert_eq!(entry.stage, Some(Stage::Pengerjaan));
        assert_eq!(entry.note, None);
        assert_eq!(entry.audience, Public);
        assert_eq!(fx.message, None);
        assert_eq!(fx.audit.action, "assignment.created");
        assert_eq!(fx.audit.after["note"], Value::Null);
    }

    #[test]
    fn stage_changed_is_a_public_entry_of_its_assignment() {
        let event = |to: Stage| Event::StageChanged {
            assignment: AssignmentRef::Existing(9),
            from: Stage::Verifikasi,
            to,
            note: "Tim sudah di lokasi".into(),
            first_response: true,
        };
        let fx = effects(&event(Stage::Pengerjaan));
        assert_eq!(
            fx.entry,
            Some(TimelineEntry {
                kind: ActivityKind::StageUpdate,
                owner: EntryOwner::Assignment(AssignmentRef::Existing(9)),
                stage: Some(Stage::Pengerjaan),
                status: None,
                note: Some("Tim sudah di lokasi".into()),
                audience: Public,
            })
        );
        assert_eq!(fx.message, None);
        assert_audit(
            &fx,
            "assignment.stage_changed",
            None,
            json!({
                "event": "stage_changed", "assignment": { "existing": 9 }, "from": "verifikasi",
                "to": "pengerjaan", "note": digest("Tim sudah di lokasi"), "first_response": true,
            }),
            Some("di lokasi"),
        );
        for (to, kind) in [
            (Stage::BukanWewenang, ActivityKind::Returned),
            (Stage::Diteruskan, ActivityKind::Forwarded),
            (Stage::Tuntas, ActivityKind::StageUpdate),
        ] {
            let entry = effects(&event(to)).entry.unwrap();
            assert_eq!(
                (entry.kind, entry.stage, entry.audience),
                (kind, Some(to), Public)
            );
        }
        // An assignment created earlier in the same change is referred to as such.
        let fx = effects(&Event::StageChanged {
            assignment: AssignmentRef::New(0),
            from: Stage::MenungguRespon,
            to: Stage::Verifikasi,
            note: "Diterima".into(),
            first_response: true,
        });
        assert_eq!(
            fx.entry.unwrap().owner,
            EntryOwner::Assignment(AssignmentRef::New(0))
        );
    }

    #[test]
    fn assignment_restarted_is_a_public_entry_back_at_menunggu_respon() {
        let fx = effects(&Event::AssignmentRestarted {
            assignment: 9,
            from: Stage::Tuntas,
        });
        assert_eq!(
            fx.entry,
            Some(TimelineEntry {
                kind: ActivityKind::Restarted,
                owner: EntryOwner::Assignment(AssignmentRef::Existing(9)),
                stage: Some(Stage::MenungguRespon),
                status: None,
                note: None,
                audience: Public,
            })
        );
        assert_eq!(fx.message, None);
        assert_audit(
            &fx,
            "assignment.restarted",
            None,
            json!({ "event": "assignment_restarted", "assignment": 9, "from": "tuntas" }),
            None,
        );
    }

    #[test]
    fn clock_set_leaves_only_an_audit_record() {
        let at = DateTime::from_timestamp(1_764_468_000, 0).unwrap();
        let clock = Clock {
            kind: ClockKind::FirstResponse,
            measure: Measure::Wall,
            budget: TimeDelta::hours(24),
            started_at: at,
            consumed: TimeDelta::zero(),
            running_since: Some(at),
            due_at: Some(at + TimeDelta::hours(24)),
            stopped_at: None,
            fired: 0,
            next_fire_at: Some(at + TimeDelta::hours(12)),
        };
        let fx = effects(&Event::ClockSet {
            owner: ClockOwner::Assignment(AssignmentRef::New(0)),
            clock: clock.clone(),
        });
        assert_eq!(fx.entry, None);
        assert_eq!(fx.message, None);
        assert_audit(
            &fx,
            "clock.set",
            None,
            json!({
                "event": "clock_set", "owner": { "assignment": { "new": 0 } },
                "clock": serde_json::to_value(&clock).unwrap(),
            }),
            None,
        );
    }

    #[test]
    fn duplicate_linked_names_the_master_in_public() {
        let event = Event::DuplicateLinked { master_id: 7 };
        let fx = effects_with_master(&event, Some("LG-ABCD-2345"));
        assert_eq!(
            fx.entry,
            Some(report_entry(
                ActivityKind::Duplicate,
                Some("LG-ABCD-2345"),
                Public
            ))
        );
        assert_eq!(fx.message, None);
        assert_audit(
            &fx,
            "report.duplicate_linked",
            None,
            json!({ "event": "duplicate_linked", "master_id": 7 }),
            None,
        );
        // Without a master there is nothing to link to.
        let missing = event_effects(
            &event,
            &EffectsContext {
                report_id: REPORT,
                actor: ACTOR,
                master_tracking_id: None,
            },
        );
        assert!(
            matches!(&missing, Err(StoreError::Invalid(m)) if m == "master report 7 does not exist"),
            "{missing:?}"
        );
    }

    #[test]
    fn archived_is_public_with_its_reason() {
        let fx = effects(&Event::Archived {
            reason: "Bukan pengaduan".into(),
        });
        assert_eq!(
            fx.entry,
            Some(report_entry(
                ActivityKind::Archived,
                Some("Bukan pengaduan"),
                Public
            ))
        );
        assert_eq!(fx.message, None);
        assert_audit(
            &fx,
            "report.archived",
            None,
            json!({ "event": "archived", "reason": digest("Bukan pengaduan") }),
            Some("Bukan pengaduan"),
        );
    }

    #[test]
    fn reporter_replied_is_conversation_and_a_received_message() {
        let fx = effects(&Event::ReporterReplied {
            text: "RT 03 RW 05".into(),
        });
        assert_eq!(
            fx.entry,
            Some(report_entry(
                ActivityKind::ReporterReplied,
                Some("RT 03 RW 05"),
                Conversation
            ))
        );
        assert_eq!(
            fx.message,
            Some(ConversationMessage {
                direction: Direction::Inbound,
                body: "RT 03 RW 05".into(),
                status: "received",
            })
        );
        assert_audit(
            &fx,
            "report.reporter_replied",
            None,
            json!({ "event": "reporter_replied", "text": digest("RT 03 RW 05") }),
            Some("RT 03"),
        );
    }

    #[test]
    fn rated_shows_score_and_outcome_in_public_and_keeps_the_comment_out() {
        let fx = effects(&Event::Rated {
            score: 4,
            outcome: Outcome::Partly,
            comment: Some("Masih ada lubang kecil".into()),
        });
        assert_eq!(
            fx.entry,
            Some(report_entry(
                ActivityKind::Rated,
                Some("4/5 · Sebagian"),
                Public
            ))
        );
        assert_eq!(fx.message, None);
        assert_audit(
            &fx,
            "report.rated",
            None,
            json!({
                "event": "rated", "score": 4, "outcome": "partly",
                "comment": digest("Masih ada lubang kecil"),
            }),
            Some("lubang kecil"),
        );
        let without_comment = effects(&Event::Rated {
            score: 5,
            outcome: Outcome::Fixed,
            comment: None,
        });
        assert_eq!(
            without_comment.entry.unwrap().note.as_deref(),
            Some("5/5 · Tuntas")
        );
        assert_eq!(without_comment.audit.after["comment"], Value::Null);
    }

    #[test]
    fn reopened_is_conversation_with_its_reason() {
        let fx = effects(&Event::Reopened {
            reason: "Belum diperbaiki".into(),
        });
        assert_eq!(
            fx.entry,
            Some(report_entry(
                ActivityKind::Reopened,
                Some("Belum diperbaiki"),
                Conversation
            ))
        );
        assert_eq!(fx.message, None);
        assert_audit(
            &fx,
            "report.reopened",
            None,
            json!({ "event": "reopened", "reason": digest("Belum diperbaiki") }),
            Some("diperbaiki"),
        );
    }

    #[test]
    fn instruction_added_is_internal() {
        let fx = effects(&Event::InstructionAdded {
            note: "Prioritaskan".into(),
        });
        assert_eq!(
            fx.entry,
            Some(report_entry(
                ActivityKind::Instruction,
                Some("Prioritaskan"),
                Internal
            ))
        );
        assert_eq!(fx.message, None);
        assert_audit(
            &fx,
            "report.instruction_added",
            None,
            json!({ "event": "instruction_added", "note": digest("Prioritaskan") }),
            Some("Prioritaskan"),
        );
    }

    #[test]
    fn reporter_messaged_is_conversation_and_a_posted_message() {
        let fx = effects(&Event::ReporterMessaged {
            text: "Petugas datang besok".into(),
        });
        assert_eq!(
            fx.entry,
            Some(report_entry(
                ActivityKind::MessageToReporter,
                Some("Petugas datang besok"),
                Conversation
            ))
        );
        assert_eq!(fx.message, Some(outbound("Petugas datang besok")));
        assert_audit(
            &fx,
            "report.reporter_messaged",
            None,
            json!({ "event": "reporter_messaged", "text": digest("Petugas datang besok") }),
            Some("datang besok"),
        );
    }

    #[test]
    fn a_submitted_report_is_a_public_entry() {
        assert_eq!(
            submitted_entry(),
            report_entry(ActivityKind::Submitted, None, Public)
        );
    }
}
