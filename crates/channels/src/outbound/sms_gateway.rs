//! The generic SMS gateway (Kannel, Gammu relays, Zenziva…): the configured send URL with `{to}`
//! and `{text}` replaced by the percent-encoded address (with its `+`, as `%2B`) and text, then
//! `GET`. Any 2xx answer is sent; gateways give no id we could match, and carry no media.

use super::http::{Api, encode, present};
use super::{ChatProvider, FetchedMedia, OutboundText, ProviderError, Sent};
use crate::config::{Secret, SmsGatewayConfig};
use crate::inbound::MediaRef;
use tanggap_domain::Channel;

/// Sends SMS through the gateway's send URL (which often carries a password: it is a secret).
pub struct SmsGatewayProvider {
    api: Api,
    send_url: String,
}

impl SmsGatewayProvider {
    /// `None` unless `send_url` is set.
    pub fn new(http: reqwest::Client, config: &SmsGatewayConfig) -> Option<Self> {
        let send_url = present(config.send_url.as_ref().map(Secret::expose))?;
        Some(SmsGatewayProvider {
            api: Api::new(http, "sms gateway", vec![send_url.clone()]),
            send_url,
        })
    }

    /// The URL for one message. `{to}` is replaced first; neither encoded value can contain a
    /// brace, so a text that says `{to}` stays text.
    pub fn url(&self, to: &str, text: &str) -> String {
        self.send_url
            .replace("{to}", &encode(to.trim()))
            .replace("{text}", &encode(text))
    }
}

#[async_trait::async_trait]
impl ChatProvider for SmsGatewayProvider {
    fn channel(&self) -> Channel {
        Channel::Sms
    }

    async fn send_text(&self, msg: &OutboundText<'_>) -> Result<Sent, ProviderError> {
        let req = self.api.http.get(self.url(msg.to, msg.text));
        self.api.send(req).await?;
        Ok(Sent {
            provider_message_id: None,
        })
    }

    async fn fetch_media(
        &self,
        media: &MediaRef,
        max_bytes: usize,
    ) -> Result<FetchedMedia, ProviderError> {
        match media {
            MediaRef::Inline {
                bytes,
                mime,
                filename,
            } => self
                .api
                .inline(bytes, mime.as_deref(), filename.as_deref(), max_bytes),
            _ => Err(self.api.permanent("SMS gateways carry no media")),
        }
    }
}
