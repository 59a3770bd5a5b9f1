//! X direct messages: `POST {api_base}/2/dm_conversations/with/{user_id}/messages` with the
//! OAuth 2.0 user-context bearer token. Media: an attachment URL, fetched with the same bearer.

use super::http::{Api, base, encode, present};
use super::{ChatProvider, FetchedMedia, OutboundText, ProviderError, Sent};
use crate::config::{Secret, XConfig};
use crate::inbound::MediaRef;
use serde_json::json;
use tanggap_domain::Channel;

/// Sends X direct messages.
pub struct XProvider {
    api: Api,
    api_base: String,
    access_token: String,
}

impl XProvider {
    /// `None` unless `access_token` is set.
    pub fn new(http: reqwest::Client, config: &XConfig) -> Option<Self> {
        let access_token = present(config.access_token.as_ref().map(Secret::expose))?;
        Some(XProvider {
            api: Api::new(http, "x", vec![access_token.clone()]),
            api_base: base(&config.api_base),
            access_token,
        })
    }
}

#[async_trait::async_trait]
impl ChatProvider for XProvider {
    fn channel(&self) -> Channel {
        Channel::Twitter
    }

    async fn send_text(&self, msg: &OutboundText<'_>) -> Result<Sent, ProviderError> {
        let to = msg.to.trim();
        if to.is_empty() || !to.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.api.permanent("the address is not an X user id"));
        }
        let url = format!(
            "{}/2/dm_conversations/with/{}/messages",
            self.api_base,
            encode(to)
        );
        let req = self
            .api
            .http
            .post(url)
            .bearer_auth(&self.access_token)
            .json(&json!({"text": msg.text}));
        let answer = self.api.json(req).await?;
        self.api.sent_id(&answer, "/data/dm_event_id")
    }

    async fn fetch_media(
        &self,
        media: &MediaRef,
        max_bytes: usize,
    ) -> Result<FetchedMedia, ProviderError> {
        self.api
            .fetch_by_url(media, max_bytes, |r| r.bearer_auth(&self.access_token))
            .await
    }
}
