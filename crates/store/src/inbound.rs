//! Records of the chat channels: messages as the providers delivered them, and the bot's open
//! questions.

use serde::{Deserialize, Serialize};
use tanggap_domain::{Channel, Timestamp};

/// A provider's message waiting to be handled (or being handled under a lease).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundRecord {
    pub id: i64,
    pub channel: Channel,
    pub provider_id: String,
    /// The sender's address as the provider vouches for it.
    pub address: String,
    /// The normalised message (JSON), as the web adapter recorded it.
    pub payload: String,
    /// Handling attempts started so far (a claim counts as one).
    pub attempts: u32,
    pub received_at: Timestamp,
}

/// How handling a message ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundEnd {
    /// Handled; it concerned this report, if any.
    Done { report_id: Option<i64> },
    /// Failed; try again at this instant.
    Retry { error: String, at: Timestamp },
    /// Failed for good (kept without its words for operators to see).
    Failed { error: String },
}

/// The bot asked a sender which of their reports a message was for; the message waits here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatPending {
    pub channel: Channel,
    pub address: String,
    pub inbound_id: i64,
    /// The waiting message (JSON).
    pub payload: String,
    /// The tracking IDs offered, in the order they were listed (the sender may answer `2`).
    pub choices: Vec<String>,
    pub asked_at: Timestamp,
}

/// The channel whose addresses name the same person as `channel`'s: a phone number verified by
/// WhatsApp is the same person on SMS, and the other way round. Other channels stand alone.
pub fn identity_peer(channel: Channel) -> Channel {
    match channel {
        Channel::Whatsapp => Channel::Sms,
        Channel::Sms => Channel::Whatsapp,
        other => other,
    }
}
