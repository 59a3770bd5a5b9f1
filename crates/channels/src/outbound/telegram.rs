//! Telegram Bot API: `POST {api_base}/bot{token}/sendMessage`; media by
//! `GET {api_base}/bot{token}/getFile?file_id=…` (its `file_path`), then
//! `GET {api_base}/file/bot{token}/{file_path}`. The token is in every URL, so no URL ever reaches
//! an error text.

use super::http::{Api, base, present};
use super::{ChatProvider, FetchedMedia, OutboundText, ProviderError, Sent};
use crate::config::{Secret, TelegramConfig};
use crate::inbound::MediaRef;
use serde_json::{Value, json};
use tanggap_domain::Channel;

/// Sends Telegram messages with the bot token.
pub struct TelegramProvider {
    api: Api,
    api_base: String,
    bot_token: String,
}

impl TelegramProvider {
    /// `None` unless `bot_token` is set.
    pub fn new(http: reqwest::Client, config: &TelegramConfig) -> Option<Self> {
        let bot_token = present(config.bot_token.as_ref().map(Secret::expose))?;
        Some(TelegramProvider {
            api: Api::new(http, "telegram", vec![bot_token.clone()]),
            api_base: base(&config.api_base),
            bot_token,
        })
    }

    fn method(&self, name: &str) -> String {
        format!("{}/bot{}/{name}", self.api_base, self.bot_token)
    }

    /// The `result` of a Bot API answer; `ok: false` is transient for 429 and 5xx codes.
    fn result(&self, answer: Value) -> Result<Value, ProviderError> {
        if answer.get("ok").and_then(Value::as_bool) == Some(true) {
            return Ok(answer.get("result").cloned().unwrap_or(Value::Null));
        }
        match answer.get("error_code").and_then(Value::as_i64) {
            Some(code) if code == 429 || code >= 500 => Err(self
                .api
                .transient(format!("answered ok: false (error code {code})"))),
            Some(code) => Err(self
                .api
                .permanent(format!("answered ok: false (error code {code})"))),
            None => Err(self.api.permanent("answered without ok: true")),
        }
    }
}

#[async_trait::async_trait]
impl ChatProvider for TelegramProvider {
    fn channel(&self) -> Channel {
        Channel::Telegram
    }

    async fn send_text(&self, msg: &OutboundText<'_>) -> Result<Sent, ProviderError> {
        // Chat ids are integers (negative for groups); anything else (`@channel`) as a string.
        let to = msg.to.trim();
        let chat_id = match to.parse::<i64>() {
            Ok(id) => json!(id),
            Err(_) => json!(to),
        };
        let req = self
            .api
            .http
            .post(self.method("sendMessage"))
            .json(&json!({"chat_id": chat_id, "text": msg.text}));
        let result = self.result(self.api.json(req).await?)?;
        let id = result
            .get("message_id")
            .and_then(Value::as_i64)
            .ok_or_else(|| self.api.permanent("the answer carries no message_id"))?;
        Ok(Sent {
            provider_message_id: Some(id.to_string()),
        })
    }

    async fn fetch_media(
        &self,
        media: &MediaRef,
        max_bytes: usize,
    ) -> Result<FetchedMedia, ProviderError> {
        let (id, mime, filename) = match media {
            MediaRef::Inline {
                bytes,
                mime,
                filename,
            } => {
                return self
                    .api
                    .inline(bytes, mime.as_deref(), filename.as_deref(), max_bytes);
            }
            MediaRef::Url { .. } => {
                return Err(self
                    .api
                    .permanent("media by URL is not a Telegram reference"));
            }
            MediaRef::ProviderId { id, mime, filename } => (id, mime, filename),
        };
        let req = self
            .api
            .http
            .get(self.method("getFile"))
            .query(&[("file_id", id.as_str())]);
        let file = self.result(self.api.json(req).await?)?;
        if file
            .get("file_size")
            .and_then(Value::as_u64)
            .is_some_and(|s| s > max_bytes as u64)
        {
            return Err(self.api.too_large("media", max_bytes));
        }
        let path = file
            .get("file_path")
            .and_then(Value::as_str)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| self.api.permanent("getFile carries no file_path"))?;
        let url = format!(
            "{}/file/bot{}/{}",
            self.api_base,
            self.bot_token,
            path.trim_start_matches('/')
        );
        self.api
            .download(
                self.api.http.get(url),
                max_bytes,
                mime.as_deref(),
                filename.as_deref(),
            )
            .await
    }
}
