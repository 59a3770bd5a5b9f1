//! Facebook Messenger's Send API: `POST {api_base}/me/messages` with the page token as bearer;
//! `RESPONSE` within 24 hours of the citizen's last message, the `ACCOUNT_UPDATE` message tag
//! outside them. Media: the attachment's (signed) URL, a plain `GET`.

use super::http::{Api, base, present};
use super::{ChatProvider, FetchedMedia, OutboundText, ProviderError, Sent};
use crate::config::{MessengerConfig, Secret};
use crate::inbound::MediaRef;
use serde_json::json;
use tanggap_domain::Channel;

/// Sends Messenger messages as the page.
pub struct MessengerProvider {
    api: Api,
    api_base: String,
    page_token: String,
}

impl MessengerProvider {
    /// `None` unless `page_token` is set.
    pub fn new(http: reqwest::Client, config: &MessengerConfig) -> Option<Self> {
        let page_token = present(config.page_token.as_ref().map(Secret::expose))?;
        Some(MessengerProvider {
            api: Api::new(http, "messenger", vec![page_token.clone()]),
            api_base: base(&config.api_base),
            page_token,
        })
    }
}

#[async_trait::async_trait]
impl ChatProvider for MessengerProvider {
    fn channel(&self) -> Channel {
        Channel::Facebook
    }

    async fn send_text(&self, msg: &OutboundText<'_>) -> Result<Sent, ProviderError> {
        let mut body = json!({
            "recipient": {"id": msg.to.trim()},
            "messaging_type": "RESPONSE",
            "message": {"text": msg.text},
        });
        if msg.outside_window {
            body["messaging_type"] = json!("MESSAGE_TAG");
            body["tag"] = json!("ACCOUNT_UPDATE");
        }
        let req = self
            .api
            .http
            .post(format!("{}/me/messages", self.api_base))
            .bearer_auth(&self.page_token)
            .json(&body);
        let answer = self.api.json(req).await?;
        self.api.sent_id(&answer, "/message_id")
    }

    async fn fetch_media(
        &self,
        media: &MediaRef,
        max_bytes: usize,
    ) -> Result<FetchedMedia, ProviderError> {
        self.api.fetch_by_url(media, max_bytes, |r| r).await
    }
}
