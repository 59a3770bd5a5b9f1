//! The providers' send and media APIs: one [`ChatProvider`] per configured channel.
//!
//! WhatsApp Cloud API (text within 24 hours of the citizen's last message, the configured template
//! outside it), Telegram `sendMessage`/`getFile`, the SMS gateway's send URL, Twilio's Messages
//! API, Messenger's Send API, X direct messages. Every base URL is configuration so that tests
//! point them at fake providers. [`providers`] builds one per channel whose sending credentials
//! are complete; each provider's `new` builds one alone.
//!
//! All of them share one [`http_client`] (rustls, connect timeout 5 s, request timeout 20 s).
//! Failures are [`ProviderError::Transient`] for connection errors, timeouts, 408, 429 and 5xx,
//! [`ProviderError::Permanent`] for other 4xx and unparseable answers. Error texts carry the
//! provider, the HTTP status and the provider's numeric error code: never a URL, a token, the
//! address or the text. Media downloads stop as soon as they pass `max_bytes` (the announced
//! length first, then chunk by chunk). Nothing here logs.

use crate::config::ChannelsConfig;
use crate::inbound::MediaRef;
use std::sync::Arc;
use tanggap_domain::Channel;

pub(crate) mod http;
mod messenger;
mod sms_gateway;
mod telegram;
mod twilio;
mod whatsapp;
mod x;

pub use http::{CONNECT_TIMEOUT, REQUEST_TIMEOUT, client as http_client};
pub use messenger::MessengerProvider;
pub use sms_gateway::SmsGatewayProvider;
pub use telegram::TelegramProvider;
pub use twilio::TwilioProvider;
pub use whatsapp::WhatsappProvider;
pub use x::XProvider;

/// One provider for each channel whose sending credentials are complete, sharing a new
/// [`http_client`]: WhatsApp (`access_token` and `phone_number_id`), Telegram (`bot_token`),
/// SMS, Messenger (`page_token`), X (`access_token`).
///
/// SMS has one provider ([`Channel::Sms`]): the gateway when its `send_url` is set, else Twilio
/// when its `account_sid` and `from` are. With both configured, the gateway sends (Twilio's
/// webhooks are still received).
pub fn providers(config: &ChannelsConfig) -> Vec<Arc<dyn ChatProvider>> {
    providers_with(http_client(), config)
}

/// [`providers`] with a given client.
pub fn providers_with(
    http: reqwest::Client,
    config: &ChannelsConfig,
) -> Vec<Arc<dyn ChatProvider>> {
    let mut out: Vec<Arc<dyn ChatProvider>> = Vec::new();
    if let Some(p) = config
        .whatsapp
        .as_ref()
        .and_then(|c| WhatsappProvider::new(http.clone(), c))
    {
        out.push(Arc::new(p));
    }
    if let Some(p) = config
        .telegram
        .as_ref()
        .and_then(|c| TelegramProvider::new(http.clone(), c))
    {
        out.push(Arc::new(p));
    }
    let gateway = config
        .sms
        .as_ref()
        .and_then(|c| SmsGatewayProvider::new(http.clone(), c));
    if let Some(p) = gateway {
        out.push(Arc::new(p));
    } else if let Some(p) = config
        .twilio
        .as_ref()
        .and_then(|c| TwilioProvider::new(http.clone(), c))
    {
        out.push(Arc::new(p));
    }
    if let Some(p) = config
        .messenger
        .as_ref()
        .and_then(|c| MessengerProvider::new(http.clone(), c))
    {
        out.push(Arc::new(p));
    }
    if let Some(p) = config.x.as_ref().and_then(|c| XProvider::new(http, c)) {
        out.push(Arc::new(p));
    }
    out
}

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
