//! Records of the clock scheduler and the notification outbox.

use crate::{ActivityRecord, ReporterRecord};
use serde::{Deserialize, Serialize};
use tanggap_domain::escalation::{EscalationAction, NotifyChannel, RecipientKind};
use tanggap_domain::{Channel, Clock, ClockKind, ReportStatus, Timestamp, TrackingId};

/// A clock whose next threshold is due, claimed (leased) by one scheduler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueClock {
    pub report_id: i64,
    /// `None` for the report's own clocks (triage, auto-close, Ombudsman).
    pub assignment_id: Option<i64>,
    /// The assignment's agency.
    pub agency_id: Option<String>,
    pub tracking_id: TrackingId,
    pub report_status: ReportStatus,
    /// The report's version when the clock was read: a firing is refused if it moved.
    pub report_version: i64,
    pub clock: Clock,
}

/// What acting on one threshold of one clock writes, all in one transaction. The store refuses
/// (returns `false`, writes nothing but the release of the lease) unless the report is still at
/// `expected_version` and the clock still has `expected_started_at` and `expected_fired`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockFiring {
    pub report_id: i64,
    pub assignment_id: Option<i64>,
    pub kind: ClockKind,
    pub expected_version: i64,
    pub expected_started_at: Timestamp,
    pub expected_fired: u32,
    /// The clock's new `fired`. Equal to `expected_fired` for a plain reschedule, which neither
    /// bumps the report's version nor writes an audit event.
    pub fired: u32,
    pub next_fire_at: Option<Timestamp>,
    /// What crossing the threshold meant (for the audit event).
    pub action: Option<EscalationAction>,
    /// Set the assignment's `negligent_at` (kept if already set: it is evidence).
    pub negligent_at: Option<Timestamp>,
    /// Inserted unless a notification with the same idempotency key exists.
    pub notifications: Vec<NewNotification>,
    pub at: Timestamp,
}

macro_rules! status_codes {
    ($($v:ident = $s:literal),+ $(,)?) => {
        /// Where a notification is in the outbox.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum NotificationStatus { $($v),+ }
        impl NotificationStatus {
            pub fn as_str(self) -> &'static str { match self { $(NotificationStatus::$v => $s),+ } }
            pub fn parse(s: &str) -> Option<Self> { match s { $($s => Some(NotificationStatus::$v),)+ _ => None } }
        }
    };
}

status_codes!(
    Pending = "pending",
    Sending = "sending",
    Sent = "sent",
    Failed = "failed",
    Read = "read",
    Dead = "dead",
);

/// A notification to enqueue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewNotification {
    /// Unique: a second notification with the same key is dropped (see
    /// `tanggap_domain::escalation::idempotency_key`).
    pub idempotency_key: String,
    /// `remind_officers`, `mark_negligent`, ..., `digest`.
    pub action: String,
    pub report_id: Option<i64>,
    pub assignment_id: Option<i64>,
    pub agency_id: Option<String>,
    pub recipient: RecipientKind,
    pub user_id: Option<i64>,
    pub channel: NotifyChannel,
    /// E-mail address or E.164 phone number; `None` for in-app.
    pub address: Option<String>,
    pub subject: String,
    pub body: String,
}

/// A notification handed to its provider: what the outbox records about it
/// ([`crate::Store::mark_notifications_sent`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentNotification {
    pub id: i64,
    /// The provider's id for the message, for the delivery receipts, when it gave one.
    pub provider_message_id: Option<String>,
    /// No provider was configured: the message was only written to the log.
    pub logged_only: bool,
}

/// A stored notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: i64,
    pub idempotency_key: String,
    pub action: String,
    pub report_id: Option<i64>,
    pub assignment_id: Option<i64>,
    pub agency_id: Option<String>,
    pub recipient: RecipientKind,
    pub user_id: Option<i64>,
    pub channel: NotifyChannel,
    pub address: Option<String>,
    pub subject: String,
    pub body: String,
    pub status: NotificationStatus,
    /// Delivery attempts started so far (a claim counts as one).
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub read_at: Option<Timestamp>,
    pub last_error: Option<String>,
    /// The provider's id of the sent message, matched by its delivery receipts.
    pub provider_message_id: Option<String>,
    /// The provider's last delivery receipt (`delivered`, `read`, `failed`, ...) and its time.
    pub delivery_status: Option<String>,
    pub delivery_at: Option<Timestamp>,
    /// Marked sent by a channel without a provider: written to the log, delivered to nobody.
    pub logged_only: bool,
}

/// A running first-response or completion clock due by some instant: a line of an agency's
/// morning digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestItem {
    pub agency_id: String,
    pub report_id: i64,
    pub tracking_id: TrackingId,
    pub assignment_id: i64,
    pub kind: ClockKind,
    pub due_at: Timestamp,
}

/// An assignment marked `lalai`, for the leadership dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NegligentAssignment {
    pub assignment_id: i64,
    pub report_id: i64,
    pub tracking_id: TrackingId,
    pub agency_id: String,
    pub agency_name: String,
    /// The deadline that was missed.
    pub negligent_at: Timestamp,
    pub first_response_at: Option<Timestamp>,
}

impl ClockFiring {
    /// Whether this firing acts on a threshold (rather than only rescheduling the clock).
    pub fn acts(&self) -> bool {
        self.fired != self.expected_fired
    }

    /// The `clock.threshold_fired` audit event both backends write for it.
    pub fn audit_event(&self) -> tanggap_domain::audit::NewAuditEvent {
        tanggap_domain::audit::NewAuditEvent::new(
            "system",
            "clock.threshold_fired",
            "report",
            self.report_id,
        )
        .after(&serde_json::json!({
            "assignment_id": self.assignment_id,
            "clock": self.kind,
            "clock_started_at": self.expected_started_at,
            "threshold_percent": self.fired,
            "action": self.action,
            "negligent_at": self.negligent_at,
            "notifications": self.notifications.iter().map(|n| &n.idempotency_key).collect::<Vec<_>>(),
        }))
    }
}

/// A public timeline entry with what it takes to tell the reporter about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReporterUpdate {
    pub activity: ActivityRecord,
    pub tracking_id: TrackingId,
    pub title: String,
    /// The channel the report came in on: replies go back there.
    pub channel: Channel,
    pub status: ReportStatus,
    pub reporter: Option<ReporterRecord>,
    /// The reporter's address on `channel` (a WhatsApp number, a Telegram chat id), if known.
    pub chat_address: Option<String>,
}

/// How a store is doing at one moment ([`crate::Store::operations`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Operations {
    /// Notifications waiting to be sent or being sent.
    pub outbox: u64,
    /// Notifications given up on (dead letters).
    pub dead_letters: u64,
    /// Documents waiting to be forwarded to agencies' own systems.
    pub connector_outbox: u64,
    /// Connections open to the database, of them idle, and the most the pool opens.
    pub pool_size: u32,
    pub pool_idle: u32,
    pub pool_max: u32,
    /// Writes waiting for the writer (SQLite) or new reports for the intake batcher
    /// (PostgreSQL).
    pub writer_queue: u64,
}
