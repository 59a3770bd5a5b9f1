//! What every provider's HTTP calls share: the client, the mapping of failures to
//! [`ProviderError`], answers read with a size limit, and media downloads that stop at the limit.
//!
//! Error texts name the provider, the HTTP status and the provider's numeric error code, never
//! the provider's free-text description (it may quote the address or the text), never a URL
//! (Telegram's carry the bot token, the SMS gateway's a password) and never a secret.

use super::{FetchedMedia, ProviderError, Sent};
use crate::inbound::MediaRef;
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::Value;
use std::time::Duration;

/// The longest wait for a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest wait for a whole request, answer or download included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// The most of an API answer (not a media download) that is read.
const MAX_ANSWER: usize = 1 << 20;
/// The most of an error answer read to find the provider's error code.
const MAX_ERROR_ANSWER: usize = 64 << 10;

/// The HTTP client the providers share: HTTPS by rustls with the webpki roots, connect timeout
/// 5 s, request timeout 20 s, redirects followed (at most 10; `Authorization` is dropped when a
/// redirect leaves the host).
///
/// # Panics
/// Only if the TLS backend cannot be initialised, which does not happen with the built-in roots.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("the HTTP client (rustls, webpki roots) builds")
}

/// Percent-encodes everything but RFC 3986's unreserved characters (for path segments and the
/// SMS gateway's placeholders; a `+` becomes `%2B`, a space `%20`).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `base` without its trailing slashes, so that `{base}/path` has exactly one.
pub fn base(s: &str) -> String {
    s.trim_end_matches('/').to_string()
}

/// A non-empty secret or value from an optional configuration field.
pub fn present(v: Option<&str>) -> Option<String> {
    v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// One provider's view of the client: its name for error texts and the secrets that must never
/// appear in them.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    name: &'static str,
    secrets: Vec<String>,
}

impl Api {
    pub fn new(http: reqwest::Client, name: &'static str, secrets: Vec<String>) -> Self {
        Api {
            http,
            name,
            secrets: secrets.into_iter().filter(|s| !s.is_empty()).collect(),
        }
    }

    pub fn transient(&self, what: impl std::fmt::Display) -> ProviderError {
        ProviderError::Transient(self.scrub(format!("{}: {what}", self.name)))
    }

    pub fn permanent(&self, what: impl std::fmt::Display) -> ProviderError {
        ProviderError::Permanent(self.scrub(format!("{}: {what}", self.name)))
    }

    /// Belt and braces: no secret in an error text even if a library put one there.
    fn scrub(&self, mut text: String) -> String {
        for s in &self.secrets {
            if text.contains(s.as_str()) {
                text = text.replace(s.as_str(), "***");
            }
        }
        text
    }

    /// A request that did not get an answer: a connection error or a timeout is transient, a
    /// request that cannot even be built (a bad configured URL) or a redirect loop is permanent.
    /// The URL is dropped.
    pub fn transport(&self, e: reqwest::Error) -> ProviderError {
        let builder = e.is_builder() || e.is_redirect();
        let timeout = e.is_timeout();
        let e = e.without_url();
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        if timeout && !text.contains("timed out") {
            text.push_str(" (timed out)");
        }
        if builder {
            self.permanent(text)
        } else {
            self.transient(text)
        }
    }

    /// An answer that is not a success: 408, 429 and 5xx (and Graph errors Meta marks transient
    /// or as rate limits) are transient, the rest permanent.
    pub fn status(&self, status: StatusCode, body: Option<&Value>) -> ProviderError {
        let code = body.and_then(error_code);
        let text = match code {
            Some(code) => format!("answered {status} (error code {code})"),
            None => format!("answered {status}"),
        };
        let transient = status == StatusCode::REQUEST_TIMEOUT
            || status == StatusCode::TOO_MANY_REQUESTS
            || status.is_server_error()
            || body.is_some_and(graph_transient);
        if transient {
            self.transient(text)
        } else {
            self.permanent(text)
        }
    }

    /// Sends a request; an answer other than 2xx is an error (its body read, a little, for the
    /// provider's error code).
    pub async fn send(&self, req: RequestBuilder) -> Result<Response, ProviderError> {
        let resp = req.send().await.map_err(|e| self.transport(e))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let body = self
            .read(resp, MAX_ERROR_ANSWER, "error answer")
            .await
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
        Err(self.status(status, body.as_ref()))
    }

    /// Sends a request and parses its 2xx answer as JSON (an unparseable answer is permanent:
    /// sending again would not change it).
    pub async fn json(&self, req: RequestBuilder) -> Result<Value, ProviderError> {
        let resp = self.send(req).await?;
        let status = resp.status();
        let bytes = self.read(resp, MAX_ANSWER, "answer").await?;
        serde_json::from_slice(&bytes)
            .map_err(|_| self.permanent(format!("answered {status} with a body that is not JSON")))
    }

    /// Reads a body, refusing more than `max` bytes without holding more than that: the
    /// announced `Content-Length` first, then chunk by chunk.
    pub async fn read(
        &self,
        mut resp: Response,
        max: usize,
        what: &str,
    ) -> Result<Vec<u8>, ProviderError> {
        if let Some(len) = resp.content_length()
            && len > max as u64
        {
            return Err(self.too_large(what, max));
        }
        let mut out = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport(e))? {
            if out.len() + chunk.len() > max {
                return Err(self.too_large(what, max));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    pub fn too_large(&self, what: &str, max: usize) -> ProviderError {
        self.permanent(format!("{what} too large (more than {max} bytes)"))
    }

    /// Downloads a media file; its type is the one the message gave, else the answer's
    /// `Content-Type`.
    pub async fn download(
        &self,
        req: RequestBuilder,
        max_bytes: usize,
        mime: Option<&str>,
        filename: Option<&str>,
    ) -> Result<FetchedMedia, ProviderError> {
        let resp = self.send(req).await?;
        let header_mime = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        let bytes = self.read(resp, max_bytes, "media").await?;
        Ok(FetchedMedia {
            bytes,
            mime: mime.map(str::to_string).or(header_mime),
            filename: filename.map(str::to_string),
        })
    }

    /// The id the provider gave a sent message, at `pointer` in its answer (`/sid`,
    /// `/message_id`, `/data/dm_event_id`).
    pub fn sent_id(&self, answer: &Value, pointer: &str) -> Result<Sent, ProviderError> {
        let id = answer
            .pointer(pointer)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                let name = pointer.rsplit('/').next().unwrap_or(pointer);
                self.permanent(format!("the answer carries no {name}"))
            })?;
        Ok(Sent {
            provider_message_id: Some(id.to_string()),
        })
    }

    /// Media of a provider that gives URLs (Twilio, Messenger, X): inline media as it is, a URL
    /// fetched with the provider's credentials (`authorise`); a media id is not theirs.
    pub async fn fetch_by_url(
        &self,
        media: &MediaRef,
        max_bytes: usize,
        authorise: impl FnOnce(RequestBuilder) -> RequestBuilder,
    ) -> Result<FetchedMedia, ProviderError> {
        match media {
            MediaRef::Inline {
                bytes,
                mime,
                filename,
            } => self.inline(bytes, mime.as_deref(), filename.as_deref(), max_bytes),
            MediaRef::Url {
                url,
                mime,
                filename,
            } => {
                let req = authorise(self.http.get(url));
                self.download(req, max_bytes, mime.as_deref(), filename.as_deref())
                    .await
            }
            MediaRef::ProviderId { .. } => {
                Err(self.permanent(format!("a media id is not a {} reference", self.name)))
            }
        }
    }

    /// Media carried in the message itself, held to the same limit.
    pub fn inline(
        &self,
        bytes: &[u8],
        mime: Option<&str>,
        filename: Option<&str>,
        max_bytes: usize,
    ) -> Result<FetchedMedia, ProviderError> {
        if bytes.len() > max_bytes {
            return Err(self.too_large("media", max_bytes));
        }
        Ok(FetchedMedia {
            bytes: bytes.to_vec(),
            mime: mime.map(str::to_string),
            filename: filename.map(str::to_string),
        })
    }
}

/// The provider's numeric error code: Graph's `error.code` (with its subcode), Telegram's
/// `error_code`, Twilio's `code`, X's `errors[0].code`.
fn error_code(body: &Value) -> Option<String> {
    if let Some(code) = body.pointer("/error/code").and_then(Value::as_i64) {
        return Some(
            match body.pointer("/error/error_subcode").and_then(Value::as_i64) {
                Some(sub) => format!("{code}/{sub}"),
                None => code.to_string(),
            },
        );
    }
    ["/error_code", "/code", "/errors/0/code"]
        .iter()
        .find_map(|p| body.pointer(p).and_then(Value::as_i64))
        .map(|c| c.to_string())
}

/// Graph API errors that pass: `is_transient`, or the throttling codes (4, 17, 32, 613: app, user
/// and page limits; 80007 WhatsApp account limit; 130429 throughput; 131048 spam rate limit;
/// 131056 pair rate limit) and 1, 2 (temporary service errors).
fn graph_transient(body: &Value) -> bool {
    if body.pointer("/error/is_transient").and_then(Value::as_bool) == Some(true) {
        return true;
    }
    matches!(
        body.pointer("/error/code").and_then(Value::as_i64),
        Some(1 | 2 | 4 | 17 | 32 | 613 | 80007 | 130429 | 131048 | 131056)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_everything_but_unreserved() {
        assert_eq!(encode("+62 812/ä&{x}"), "%2B62%20812%2F%C3%A4%26%7Bx%7D");
        assert_eq!(encode("Az09-._~"), "Az09-._~");
    }

    #[test]
    fn finds_error_codes() {
        let graph = serde_json::json!({"error": {"code": 100, "error_subcode": 33}});
        assert_eq!(error_code(&graph).as_deref(), Some("100/33"));
        let tg = serde_json::json!({"ok": false, "error_code": 400});
        assert_eq!(error_code(&tg).as_deref(), Some("400"));
        assert!(graph_transient(
            &serde_json::json!({"error": {"code": 130429}})
        ));
        assert!(!graph_transient(&graph));
    }
}
