//! Connectors to agencies' own systems (SPEC section 7): what the store keeps of them.
//!
//! An agency may be handled in a system outside Tanggap (another Tanggap, a kabupaten's or a
//! vertical agency's own complaint system, a liaison to the national platform). Its connector
//! says how to reach that system; the connector outbox holds what is to be sent (each item once,
//! with retries and backoff, like the notification outbox); a link ties an assignment to the
//! remote request; every remote update is recorded once by its remote id.
//!
//! The outbox holds references, never the document: what is sent is built from the report when
//! it is sent, with what the receiving agency may see, so a reporter who is forgotten in the
//! meantime is not sent, and nothing personal is written where it could not be forgotten.

use std::collections::BTreeMap;
use tanggap_domain::{Stage, Timestamp};

/// How an agency's system is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectorKind {
    /// An Open311 GeoReport v2 server: requests posted, followed by `GET requests/{id}` and
    /// the mySociety `servicerequestupdates` feed.
    Open311,
    /// A signed JSON webhook, with an inbound endpoint for the other side's updates.
    Webhook,
    /// E-mail to the agency's address, replies mapped back to the assignment.
    Email,
}

impl ConnectorKind {
    pub const ALL: [ConnectorKind; 3] = [
        ConnectorKind::Open311,
        ConnectorKind::Webhook,
        ConnectorKind::Email,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConnectorKind::Open311 => "open311",
            ConnectorKind::Webhook => "webhook",
            ConnectorKind::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// An agency's connector, with its health.
#[derive(Debug, Clone, PartialEq)]
pub struct Connector {
    pub agency_id: String,
    pub kind: ConnectorKind,
    /// The Open311 base URL (ending before `requests.json`), the webhook URL, or the address.
    pub target: String,
    /// The Open311 `api_key` or the webhook's HMAC secret: sent or used with every call, so
    /// kept as given (never shown back, never on the audit trail).
    pub secret: Option<String>,
    /// A remote status (upper case) → the stage it means; `bukan_wewenang` hands the
    /// assignment back. Statuses not in the map are recorded and change nothing.
    pub status_map: BTreeMap<String, Stage>,
    pub active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// How far the remote update feed has been read.
    pub followed_until: Option<Timestamp>,
    pub last_success_at: Option<Timestamp>,
    pub last_error_at: Option<Timestamp>,
    pub last_error: Option<String>,
    /// Items waiting to be sent (filled when read).
    pub queued: u64,
    /// Items given up on (filled when read).
    pub failed: u64,
}

/// What an outbox item carries to the remote system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendKind {
    /// The report, when it is dispatched to the agency.
    Report,
    /// A public update on a report the remote system holds (webhook connectors).
    Update,
}

impl SendKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SendKind::Report => "report",
            SendKind::Update => "update",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "report" => Some(SendKind::Report),
            "update" => Some(SendKind::Update),
            _ => None,
        }
    }
}

/// Something to send, found on the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct NewConnectorSend {
    /// `connector:{activity}:{agency}`: enqueued once however many instances walk the timeline.
    pub idempotency_key: String,
    pub agency_id: String,
    pub report_id: i64,
    pub assignment_id: i64,
    pub kind: SendKind,
    /// The timeline entry it is about.
    pub activity_id: i64,
    /// For a report: the token that maps replies and updates back to the assignment (kept on
    /// the link; an existing link keeps its own).
    pub token: Option<String>,
}

/// An outbox item claimed for sending.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorSend {
    pub id: i64,
    pub agency_id: String,
    pub report_id: i64,
    pub assignment_id: i64,
    pub kind: SendKind,
    pub activity_id: i64,
    pub attempts: u32,
    pub created_at: Timestamp,
}

/// How a send ended.
#[derive(Debug, Clone, PartialEq)]
pub enum SendOutcome {
    /// The remote system took it. `fields` are the names of what was sent and `digest` the
    /// SHA-256 of the document: both go on the audit trail (the values do not).
    Sent {
        remote_id: Option<String>,
        fields: Vec<String>,
        digest: String,
    },
    /// Try again at `at` (the remote system was unreachable or said "later").
    Retry { at: Timestamp, error: String },
    /// Given up: the remote system refused it, or the last attempt failed.
    Failed { error: String },
}

/// An outbox item as the admin page and the report's desk see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorSendRecord {
    pub id: i64,
    pub agency_id: String,
    pub report_id: i64,
    pub assignment_id: i64,
    pub kind: SendKind,
    /// `pending`, `sending`, `sent`, `failed`.
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

/// An assignment handled in a remote system.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorLink {
    pub assignment_id: i64,
    pub report_id: i64,
    pub agency_id: String,
    pub token: String,
    /// The remote system's id for it (Open311 `service_request_id`), once it answered.
    pub remote_id: Option<String>,
    /// When the remote system took the report: no remote answer counts from before.
    pub delivered_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// An update a remote system reported, recorded once by its id.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteUpdateRecord {
    pub agency_id: String,
    /// The remote system's id of the update (or of the e-mail).
    pub update_id: String,
    pub assignment_id: i64,
    pub status: String,
    pub remote_at: Timestamp,
    pub received_at: Timestamp,
    /// `recorded`, or why it changed nothing (`unmapped_status`, `refused:{code}`).
    pub outcome: String,
}
