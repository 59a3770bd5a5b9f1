//! The providers' send and media APIs: one [`ChatProvider`] per configured channel.
//!
//! Filled in by the outbound work: WhatsApp Cloud API (text within 24 hours of the citizen's last
//! message, the configured template outside it), Telegram `sendMessage`/`getFile`, the SMS
//! gateway's send URL, Twilio's Messages API, Messenger's Send API, X direct messages. Every base
//! URL is configuration so that tests point them at fake providers.

use crate::inbound::MediaRef;
use tanggap_domain::Channel;

/// One text to send.
#[derive(Debug, Clone)]
pub struct OutboundText<'a> {
    /// The address as [`crate::InboundMessage::from`] gives it for that channel.
    pub to: &'a str,
    pub text: &'a str,
    /// The outbox's idempotency key (providers that accept one get it).
    pub idempotency_key: &'a str,
    /// WhatsApp: the citizen's last message is more than 24 hours old (or there was none), so
    /// only an approved template may be sent.
    pub outside_window: bool,
}

/// The provider accepted the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// Its id at the provider, matched later by delivery receipts.
    pub provider_message_id: Option<String>,
}

/// A downloaded photo or document, before the attachment checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedMedia {
    pub bytes: Vec<u8>,
    pub mime: Option<String>,
    pub filename: Option<String>,
}

/// Why a call failed, and so whether to try again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// Try again later (timeout, connection refused, 429, 5xx).
    #[error("temporary failure: {0}")]
    Transient(String),
    /// It will never work (bad address, 4xx other than 429, too large).
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// One provider's API (held as `Arc<dyn ChatProvider>`).
#[async_trait::async_trait]
pub trait ChatProvider: Send + Sync {
    fn channel(&self) -> Channel;
    /// Send one text.
    async fn send_text(&self, msg: &OutboundText<'_>) -> Result<Sent, ProviderError>;
    /// Download a media reference of an inbound message, refusing more than `max_bytes`.
    async fn fetch_media(
        &self,
        media: &MediaRef,
        max_bytes: usize,
    ) -> Result<FetchedMedia, ProviderError>;
}
