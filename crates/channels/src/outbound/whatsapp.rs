//! WhatsApp Business Cloud API: `POST {api_base}/{phone_number_id}/messages` with the bearer
//! access token; media by `GET {api_base}/{media_id}` (its URL and type), then that URL with the
//! same bearer.

use super::http::{Api, base, encode, present};
use super::{ChatProvider, FetchedMedia, OutboundText, ProviderError, Sent};
use crate::config::{Secret, WhatsappConfig};
use crate::inbound::MediaRef;
use serde_json::{Value, json};
use tanggap_domain::Channel;

/// Sends on WhatsApp: a text within 24 hours of the citizen's last message, the configured
/// template (one body parameter: the text) outside them.
pub struct WhatsappProvider {
    api: Api,
    api_base: String,
    phone_number_id: String,
    access_token: String,
    /// The template's name and language code.
    template: Option<(String, String)>,
}

impl WhatsappProvider {
    /// `None` unless `access_token` and `phone_number_id` are both set.
    pub fn new(http: reqwest::Client, config: &WhatsappConfig) -> Option<Self> {
        let access_token = present(config.access_token.as_ref().map(Secret::expose))?;
        let phone_number_id = present(config.phone_number_id.as_deref())?;
        let template = present(config.template.as_deref()).map(|name| {
            let lang = config.template_language.trim();
            (name, if lang.is_empty() { "id" } else { lang }.to_string())
        });
        Some(WhatsappProvider {
            api: Api::new(http, "whatsapp", vec![access_token.clone()]),
            api_base: base(&config.api_base),
            phone_number_id,
            access_token,
            template,
        })
    }

    fn body(&self, msg: &OutboundText<'_>) -> Result<Value, ProviderError> {
        // The Cloud API takes the number without its `+`.
        let to = msg.to.trim().trim_start_matches('+');
        if !msg.outside_window {
            return Ok(json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to,
                "type": "text",
                "text": {"preview_url": false, "body": msg.text},
                // Echoed in the status webhooks; lets the provider's side (and our crash
                // test's fake) tell a resend after a crash from a new message.
                "biz_opaque_callback_data": msg.idempotency_key,
            }));
        }
        let Some((name, lang)) = &self.template else {
            return Err(self.api.permanent(
                "the 24-hour window is closed and no template is configured \
                 (TANGGAP_WHATSAPP_TEMPLATE)",
            ));
        };
        Ok(json!({
            "messaging_product": "whatsapp",
            "to": to,
            "type": "template",
            "template": {
                "name": name,
                "language": {"code": lang},
                "components": [{
                    "type": "body",
                    "parameters": [{"type": "text", "text": template_parameter(msg.text)}],
                }],
            },
            "biz_opaque_callback_data": msg.idempotency_key,
        }))
    }
}

/// The message as a template parameter: WhatsApp refuses a parameter with a line break, a tab or
/// more than four spaces in a row ("Param text cannot have new-line/tab characters or more than
/// 4 consecutive spaces"), and every message we send has line breaks. So each run of white space
/// (and any control character) becomes one space; the words are the same.
fn template_parameter(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out.truncate(out.trim_end().len());
    out
}

#[async_trait::async_trait]
impl ChatProvider for WhatsappProvider {
    fn channel(&self) -> Channel {
        Channel::Whatsapp
    }

    async fn send_text(&self, msg: &OutboundText<'_>) -> Result<Sent, ProviderError> {
        let body = self.body(msg)?;
        let url = format!(
            "{}/{}/messages",
            self.api_base,
            encode(&self.phone_number_id)
        );
        let req = self
            .api
            .http
            .post(url)
            .bearer_auth(&self.access_token)
            .json(&body);
        let answer = self.api.json(req).await?;
        let id = answer
            .pointer("/messages/0/id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| self.api.permanent("the answer carries no message id"))?;
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
                    .permanent("media by URL is not a WhatsApp reference"));
            }
            MediaRef::ProviderId { id, mime, filename } => (id, mime, filename),
        };
        let req = self
            .api
            .http
            .get(format!("{}/{}", self.api_base, encode(id)))
            .bearer_auth(&self.access_token);
        let info = self.api.json(req).await?;
        let url = info
            .get("url")
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| self.api.permanent("the media answer carries no URL"))?;
        // `file_size` comes as a string or a number.
        let size = info.get("file_size").and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        });
        if size.is_some_and(|s| s > max_bytes as u64) {
            return Err(self.api.too_large("media", max_bytes));
        }
        let mime = info
            .get("mime_type")
            .and_then(Value::as_str)
            .or(mime.as_deref());
        let req = self.api.http.get(url).bearer_auth(&self.access_token);
        self.api
            .download(req, max_bytes, mime, filename.as_deref())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::template_parameter;

    #[test]
    fn a_template_parameter_is_one_line_without_long_runs_of_spaces() {
        assert_eq!(
            template_parameter(
                "Laporan LG-1 didisposisikan.\n\nJawab dari ponsel ini:\t\"LG-1 tuntas\"     ya\r\n"
            ),
            "Laporan LG-1 didisposisikan. Jawab dari ponsel ini: \"LG-1 tuntas\" ya"
        );
        assert_eq!(template_parameter("  satu\u{2028}dua  "), "satu dua");
        assert_eq!(template_parameter("<b>=1+1</b>"), "<b>=1+1</b>");
    }
}
