//! Fake chat providers: one local HTTP server that answers our outbound calls as the WhatsApp
//! Cloud API, the Telegram Bot API, an SMS gateway's send URL, Messenger's Send API and X's
//! direct-message API do, and records what was delivered. It can be taken down (every send answers 503) and can refuse or
//! keep failing single addresses.

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tanggap_channels::{ChannelsConfig, Secret};

pub const WA_TOKEN: &str = "wa-access-token-for-tests";
pub const WA_PHONE_ID: &str = "106540352242922";
pub const WA_TEMPLATE: &str = "tanggap_pemberitahuan";
pub const TG_BOT: &str = "123456:bot-token-for-tests";
pub const FB_PAGE_TOKEN: &str = "fb-page-token-for-tests";
pub const X_TOKEN: &str = "x-access-token-for-tests";

/// One message the fake accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// `whatsapp`, `telegram`, `sms`, `messenger`, `x`.
    pub provider: &'static str,
    pub to: String,
    pub text: String,
    /// WhatsApp: sent as the template (outside the 24-hour window).
    pub template: bool,
    /// The id the fake gave it.
    pub id: String,
}

#[derive(Default)]
struct State {
    delivered: Mutex<Vec<Delivered>>,
    down: AtomicBool,
    /// Addresses answered 400 (a permanent refusal).
    refused: Mutex<HashSet<String>>,
    /// Addresses answered 503 whatever the state (a number whose operator is down).
    failing: Mutex<HashSet<String>>,
    /// Send requests answered with an error.
    errors: AtomicU64,
    next: AtomicU64,
    media: Mutex<Vec<(String, Vec<u8>)>>,
}

pub struct FakeProviders {
    pub base: String,
    state: Arc<State>,
}

impl FakeProviders {
    pub async fn start() -> Self {
        let state = Arc::new(State::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let s = state.clone();
        let b = base.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let s = s.clone();
                let b = b.clone();
                async move { handle(&s, &b, method, uri, headers, body) }
            },
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeProviders { base, state }
    }

    /// Every channel on, inbound as `chat::channels` and sending to this fake.
    pub fn channels(&self) -> ChannelsConfig {
        let mut c = crate::chat::channels(&self.base);
        if let Some(w) = c.whatsapp.as_mut() {
            w.access_token = Some(Secret(WA_TOKEN.into()));
            w.phone_number_id = Some(WA_PHONE_ID.into());
            w.template = Some(WA_TEMPLATE.into());
        }
        if let Some(t) = c.telegram.as_mut() {
            t.bot_token = Some(Secret(TG_BOT.into()));
        }
        if let Some(m) = c.messenger.as_mut() {
            m.page_token = Some(Secret(FB_PAGE_TOKEN.into()));
        }
        if let Some(x) = c.x.as_mut() {
            x.access_token = Some(Secret(X_TOKEN.into()));
        }
        if let Some(s) = c.sms.as_mut() {
            s.send_url = Some(Secret(format!(
                "{}/sms/send?user=tanggap&to={{to}}&text={{text}}",
                self.base
            )));
        }
        c
    }

    pub fn delivered(&self) -> Vec<Delivered> {
        self.state.delivered.lock().unwrap().clone()
    }

    pub fn delivered_to(&self, to: &str) -> Vec<Delivered> {
        self.delivered()
            .into_iter()
            .filter(|d| d.to == to)
            .collect()
    }

    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }

    pub fn refuse(&self, to: &str) {
        self.state.refused.lock().unwrap().insert(to.into());
    }

    pub fn keep_failing(&self, to: &str, failing: bool) {
        let mut f = self.state.failing.lock().unwrap();
        if failing {
            f.insert(to.into());
        } else {
            f.remove(to);
        }
    }

    pub fn errors(&self) -> u64 {
        self.state.errors.load(Ordering::SeqCst)
    }

    /// A file the WhatsApp media API will hand out under `id`.
    pub fn add_media(&self, id: &str, bytes: Vec<u8>) {
        self.state.media.lock().unwrap().push((id.into(), bytes));
    }
}

fn handle(
    s: &State,
    base: &str,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    // WhatsApp media: the lookup, then the file.
    if method == Method::GET {
        if let Some(id) = path.strip_prefix("/files/") {
            if auth != format!("Bearer {WA_TOKEN}") {
                return StatusCode::UNAUTHORIZED.into_response();
            }
            let media = s.media.lock().unwrap();
            return match media.iter().find(|(m, _)| m == id) {
                Some((_, bytes)) => {
                    ([("content-type", "image/jpeg")], bytes.clone()).into_response()
                }
                None => StatusCode::NOT_FOUND.into_response(),
            };
        }
        if path == "/sms/send" {
            let q: Vec<(String, String)> =
                serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default();
            let get = |k: &str| {
                q.iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            return accept(s, "sms", get("to"), get("text"), false, |_| {
                (StatusCode::ACCEPTED, "0: Accepted for delivery").into_response()
            });
        }
        let id = path.trim_start_matches('/');
        if !id.contains('/') && s.media.lock().unwrap().iter().any(|(m, _)| m == id) {
            if auth != format!("Bearer {WA_TOKEN}") {
                return StatusCode::UNAUTHORIZED.into_response();
            }
            return axum::Json(json!({
                "messaging_product": "whatsapp",
                "url": format!("{base}/files/{id}"),
                "mime_type": "image/jpeg",
                "sha256": "x",
                "file_size": 1000,
                "id": id
            }))
            .into_response();
        }
        return StatusCode::NOT_FOUND.into_response();
    }
    if path == format!("/{WA_PHONE_ID}/messages") {
        if auth != format!("Bearer {WA_TOKEN}") {
            return (StatusCode::UNAUTHORIZED, "{}").into_response();
        }
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let to = v["to"].as_str().unwrap_or("").to_string();
        let (text, template) = match v["type"].as_str() {
            Some("text") => (v["text"]["body"].as_str().unwrap_or("").to_string(), false),
            Some("template") => {
                assert_eq!(v["template"]["name"], WA_TEMPLATE);
                (
                    v["template"]["components"][0]["parameters"][0]["text"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                    true,
                )
            }
            _ => return (StatusCode::BAD_REQUEST, "{}").into_response(),
        };
        return accept(s, "whatsapp", to, text, template, |id| {
            axum::Json(json!({
                "messaging_product": "whatsapp",
                "contacts": [{"input": v["to"], "wa_id": v["to"]}],
                "messages": [{"id": id}]
            }))
            .into_response()
        });
    }
    if path == format!("/bot{TG_BOT}/sendMessage") {
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let to = match &v["chat_id"] {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => String::new(),
        };
        let text = v["text"].as_str().unwrap_or("").to_string();
        return accept(s, "telegram", to, text, false, |id| {
            let n: i64 = id.parse().unwrap_or(0);
            axum::Json(json!({"ok": true, "result": {"message_id": n, "chat": {"id": v["chat_id"]}, "date": 1764550000, "text": v["text"]}}))
                .into_response()
        });
    }
    if path == "/me/messages" {
        if auth != format!("Bearer {FB_PAGE_TOKEN}") {
            return (StatusCode::UNAUTHORIZED, "{}").into_response();
        }
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let to = v["recipient"]["id"].as_str().unwrap_or("").to_string();
        let text = v["message"]["text"].as_str().unwrap_or("").to_string();
        return accept(s, "messenger", to.clone(), text, false, |id| {
            axum::Json(json!({"recipient_id": to, "message_id": id})).into_response()
        });
    }
    if let Some(to) = path
        .strip_prefix("/2/dm_conversations/with/")
        .and_then(|p| p.strip_suffix("/messages"))
    {
        if auth != format!("Bearer {X_TOKEN}") {
            return (StatusCode::UNAUTHORIZED, "{}").into_response();
        }
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let text = v["text"].as_str().unwrap_or("").to_string();
        return accept(s, "x", to.to_string(), text, false, |id| {
            (
                StatusCode::CREATED,
                axum::Json(json!({"data": {"dm_conversation_id": format!("1500000000-{to}"), "dm_event_id": id}})),
            )
                .into_response()
        });
    }
    StatusCode::NOT_FOUND.into_response()
}

fn accept(
    s: &State,
    provider: &'static str,
    to: String,
    text: String,
    template: bool,
    ok: impl FnOnce(&str) -> Response,
) -> Response {
    let failing = s.failing.lock().unwrap().contains(&to);
    if s.down.load(Ordering::SeqCst) || failing {
        s.errors.fetch_add(1, Ordering::SeqCst);
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"error": {"message": "Service temporarily unavailable", "code": 2, "is_transient": true}})),
        )
            .into_response();
    }
    if s.refused.lock().unwrap().contains(&to) {
        s.errors.fetch_add(1, Ordering::SeqCst);
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": {"message": "Recipient phone number not in allowed list", "code": 131030}})),
        )
            .into_response();
    }
    let n = s.next.fetch_add(1, Ordering::SeqCst) + 1;
    let id = match provider {
        "whatsapp" => format!("wamid.FAKE{n:06}"),
        "telegram" | "x" => n.to_string(),
        "messenger" => format!("m_FAKE{n:06}"),
        _ => format!("sms-{n}"),
    };
    s.delivered.lock().unwrap().push(Delivered {
        provider,
        to,
        text,
        template,
        id: id.clone(),
    });
    ok(&id)
}
