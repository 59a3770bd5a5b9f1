//! The providers' send and media APIs against fake providers: a local HTTP server (axum on
//! 127.0.0.1) that records every request and answers what the real provider answers.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use base64::Engine;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tanggap_channels::config::{
    ChannelsConfig, MessengerConfig, Secret, SmsGatewayConfig, TelegramConfig, TwilioConfig,
    WhatsappConfig, XConfig,
};
use tanggap_channels::inbound::{MediaRef, SmsFields};
use tanggap_channels::outbound::{
    ChatProvider, FetchedMedia, MessengerProvider, OutboundText, ProviderError, SmsGatewayProvider,
    TelegramProvider, TwilioProvider, WhatsappProvider, XProvider, http_client, providers,
};
use tanggap_domain::Channel;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ---------------------------------------------------------------------------------------------
// The fake provider.

/// One request as the fake received it.
#[derive(Debug, Clone)]
struct Recorded {
    method: Method,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    fn form(&self) -> Vec<(String, String)> {
        serde_urlencoded::from_bytes(&self.body).expect("a form body")
    }

    fn query_pairs(&self) -> Vec<(String, String)> {
        serde_urlencoded::from_str(self.query.as_deref().unwrap_or("")).expect("a query")
    }
}

/// What the fake answers.
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

fn ok_json(v: Value) -> Answer {
    status_json(200, v)
}

fn status_json(status: u16, v: Value) -> Answer {
    Answer {
        status,
        headers: vec![("content-type", "application/json".into())],
        body: serde_json::to_vec(&v).unwrap(),
    }
}

fn bytes(mime: &str, body: Vec<u8>) -> Answer {
    Answer {
        status: 200,
        headers: vec![("content-type", mime.into())],
        body,
    }
}

type Answerer = dyn Fn(&Recorded, &str) -> Answer + Send + Sync;

#[derive(Clone)]
struct FakeState {
    base: String,
    seen: Arc<Mutex<Vec<Recorded>>>,
    answer: Arc<Answerer>,
}

struct Fake {
    base: String,
    seen: Arc<Mutex<Vec<Recorded>>>,
}

impl Fake {
    /// Serves `answer(request, base_url)` for every request on 127.0.0.1.
    async fn start(answer: impl Fn(&Recorded, &str) -> Answer + Send + Sync + 'static) -> Fake {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = FakeState {
            base: base.clone(),
            seen: seen.clone(),
            answer: Arc::new(answer),
        };
        let app = axum::Router::new().fallback(handle).with_state(state);
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Fake { base, seen }
    }

    fn requests(&self) -> Vec<Recorded> {
        self.seen.lock().unwrap().clone()
    }

    fn only(&self) -> Recorded {
        let all = self.requests();
        assert_eq!(all.len(), 1, "expected one request: {all:?}");
        all[0].clone()
    }
}

async fn handle(
    State(state): State<FakeState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let rec = Recorded {
        method,
        path: uri.path().to_string(),
        query: uri.query().map(str::to_string),
        headers,
        body,
    };
    let answer = (state.answer)(&rec, &state.base);
    state.seen.lock().unwrap().push(rec);
    let mut resp = Response::builder().status(answer.status);
    for (name, value) in answer.headers {
        resp = resp.header(name, value);
    }
    resp.body(Body::from(answer.body)).unwrap()
}

/// A port nothing listens on.
async fn refused_base() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// A server that answers every request with a chunked body that never ends (no
/// `Content-Length`): only a client that stops reading at its limit gets an answer in time.
/// Telegram's `getFile` gets its JSON answer (pointing at the endless file).
async fn endless_base() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                if String::from_utf8_lossy(&buf[..n]).contains("/getFile") {
                    let body = r#"{"ok":true,"result":{"file_id":"F","file_path":"photos/f.jpg"}}"#;
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = sock.write_all(answer.as_bytes()).await;
                    return;
                }
                let head = "HTTP/1.1 200 OK\r\ncontent-type: image/jpeg\r\ntransfer-encoding: chunked\r\n\r\n";
                if sock.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("400\r\n{}\r\n", "x".repeat(0x400));
                while sock.write_all(chunk.as_bytes()).await.is_ok() {}
            });
        }
    });
    base
}

fn text<'a>(to: &'a str, body: &'a str) -> OutboundText<'a> {
    OutboundText {
        to,
        text: body,
        idempotency_key: "outbox-1",
        outside_window: false,
    }
}

fn outside<'a>(to: &'a str, body: &'a str) -> OutboundText<'a> {
    OutboundText {
        outside_window: true,
        ..text(to, body)
    }
}

#[track_caller]
fn assert_transient(r: Result<impl std::fmt::Debug, ProviderError>) -> String {
    match r {
        Err(ProviderError::Transient(e)) => e,
        other => panic!("expected Transient, got {other:?}"),
    }
}

#[track_caller]
fn assert_permanent(r: Result<impl std::fmt::Debug, ProviderError>) -> String {
    match r {
        Err(ProviderError::Permanent(e)) => e,
        other => panic!("expected Permanent, got {other:?}"),
    }
}

const TEXT: &str = "Laporan #12 sudah diteruskan ke Dinas PU & ditangani.";

// ---------------------------------------------------------------------------------------------
// Configurations.

fn whatsapp_config(base: &str, template: Option<&str>) -> WhatsappConfig {
    WhatsappConfig {
        app_secret: Secret("app-secret".into()),
        verify_token: Secret("verify".into()),
        access_token: Some(Secret("EAAG-wa-token".into())),
        phone_number_id: Some("106540352242922".into()),
        api_base: format!("{base}/v21.0/"),
        template: template.map(str::to_string),
        template_language: "id".into(),
    }
}

const BOT_TOKEN: &str = "7000000001:AAH-secret-bot-token";

fn telegram_config(base: &str) -> TelegramConfig {
    TelegramConfig {
        secret_token: Secret("webhook-secret".into()),
        bot_token: Some(Secret(BOT_TOKEN.into())),
        api_base: base.into(),
    }
}

fn gateway_config(send_url: Option<String>) -> SmsGatewayConfig {
    SmsGatewayConfig {
        secret: Secret("gateway-secret-gateway-secret-32".into()),
        fields: SmsFields::default(),
        allow: vec![],
        send_url: send_url.map(Secret),
    }
}

fn twilio_config(base: &str) -> TwilioConfig {
    TwilioConfig {
        auth_token: Secret("twilio-auth-token".into()),
        account_sid: Some("AC0123456789abcdef".into()),
        from: Some("+15005550006".into()),
        api_base: base.into(),
    }
}

fn messenger_config(base: &str) -> MessengerConfig {
    MessengerConfig {
        app_secret: Secret("app".into()),
        verify_token: Secret("verify".into()),
        page_token: Some(Secret("EAAB-page-token".into())),
        api_base: format!("{base}/v21.0"),
    }
}

fn x_config(base: &str) -> XConfig {
    XConfig {
        consumer_secret: Secret("consumer".into()),
        access_token: Some(Secret("x-user-bearer".into())),
        api_base: base.into(),
    }
}

fn whatsapp(base: &str, template: Option<&str>) -> WhatsappProvider {
    WhatsappProvider::new(http_client(), &whatsapp_config(base, template)).unwrap()
}

fn telegram(base: &str) -> TelegramProvider {
    TelegramProvider::new(http_client(), &telegram_config(base)).unwrap()
}

fn twilio(base: &str) -> TwilioProvider {
    TwilioProvider::new(http_client(), &twilio_config(base)).unwrap()
}

// ---------------------------------------------------------------------------------------------
// WhatsApp.

#[tokio::test]
async fn whatsapp_sends_a_text_within_the_window() {
    let fake = Fake::start(|_, _| {
        ok_json(json!({"messaging_product": "whatsapp",
            "contacts": [{"input": "6281234567890", "wa_id": "6281234567890"}],
            "messages": [{"id": "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjQ="}]}))
    })
    .await;
    let sent = whatsapp(&fake.base, Some("status_update"))
        .send_text(&text("+6281234567890", TEXT))
        .await
        .unwrap();
    assert_eq!(
        sent.provider_message_id.as_deref(),
        Some("wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjQ=")
    );
    let req = fake.only();
    assert_eq!(req.method, Method::POST);
    assert_eq!(req.path, "/v21.0/106540352242922/messages");
    assert_eq!(req.header("authorization"), Some("Bearer EAAG-wa-token"));
    assert!(
        req.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(
        req.json(),
        json!({"messaging_product": "whatsapp", "recipient_type": "individual",
               "to": "6281234567890", "type": "text",
               "text": {"preview_url": false, "body": TEXT},
               "biz_opaque_callback_data": "outbox-1"})
    );
}

#[tokio::test]
async fn whatsapp_sends_the_template_outside_the_window() {
    let fake = Fake::start(|_, _| ok_json(json!({"messages": [{"id": "wamid.T1"}]}))).await;
    let sent = whatsapp(&fake.base, Some("status_update"))
        .send_text(&outside("+6281234567890", TEXT))
        .await
        .unwrap();
    assert_eq!(sent.provider_message_id.as_deref(), Some("wamid.T1"));
    assert_eq!(
        fake.only().json(),
        json!({"messaging_product": "whatsapp", "to": "6281234567890", "type": "template",
               "template": {"name": "status_update", "language": {"code": "id"},
                            "components": [{"type": "body",
                                            "parameters": [{"type": "text", "text": TEXT}]}]},
               "biz_opaque_callback_data": "outbox-1"})
    );
}

#[tokio::test]
async fn whatsapp_outside_the_window_without_a_template_is_permanent_and_sends_nothing() {
    let fake = Fake::start(|_, _| ok_json(json!({"messages": [{"id": "wamid.T1"}]}))).await;
    let err = assert_permanent(
        whatsapp(&fake.base, None)
            .send_text(&outside("+6281234567890", TEXT))
            .await,
    );
    assert!(err.contains("24-hour window"), "{err}");
    assert!(err.contains("no template"), "{err}");
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn whatsapp_errors_are_transient_or_permanent_by_status() {
    let fake = Fake::start(|req, _| match req.json()["to"].as_str() {
        Some("1") => status_json(500, json!({"error": {"message": "oops", "code": 2}})),
        Some("2") => status_json(
            429,
            json!({"error": {"message": "(#130429) Rate limit hit", "code": 130429}}),
        ),
        Some("3") => status_json(
            400,
            json!({"error": {"message": "(#131030) Recipient +3 not in allowed list",
                             "type": "OAuthException", "code": 131030}}),
        ),
        Some("4") => status_json(
            400,
            json!({"error": {"message": "(#130429) Rate limit hit", "code": 130429}}),
        ),
        _ => bytes("text/html", b"<html>not json</html>".to_vec()),
    })
    .await;
    let wa = whatsapp(&fake.base, None);
    assert_transient(wa.send_text(&text("+1", TEXT)).await);
    assert_transient(wa.send_text(&text("+2", TEXT)).await);
    let err = assert_permanent(wa.send_text(&text("+3", TEXT)).await);
    assert!(err.contains("400") && err.contains("131030"), "{err}");
    assert!(!err.contains("+3") && !err.contains(TEXT), "{err}");
    // A rate limit is a rate limit, whatever the HTTP status.
    assert_transient(wa.send_text(&text("+4", TEXT)).await);
    // A 200 that is not the API's answer.
    assert_permanent(wa.send_text(&text("+5", TEXT)).await);
}

#[tokio::test]
async fn whatsapp_media_goes_through_the_media_api() {
    let photo = vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4];
    let served = photo.clone();
    let fake = Fake::start(move |req, base| match req.path.as_str() {
        "/v21.0/1234567890" => ok_json(json!({
            "messaging_product": "whatsapp",
            "url": format!("{base}/lookaside/whatsapp_business/attachments/?mid=1234567890&ext=1"),
            "mime_type": "image/jpeg", "sha256": "abc", "file_size": "8", "id": "1234567890"})),
        "/lookaside/whatsapp_business/attachments/" => bytes("image/jpeg", served.clone()),
        _ => status_json(404, json!({})),
    })
    .await;
    let media = MediaRef::ProviderId {
        id: "1234567890".into(),
        mime: None,
        filename: Some("foto.jpg".into()),
    };
    let got = whatsapp(&fake.base, None)
        .fetch_media(&media, 1000)
        .await
        .unwrap();
    assert_eq!(
        got,
        FetchedMedia {
            bytes: photo,
            mime: Some("image/jpeg".into()),
            filename: Some("foto.jpg".into()),
        }
    );
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].method, Method::GET);
    assert_eq!(
        reqs[0].header("authorization"),
        Some("Bearer EAAG-wa-token")
    );
    assert_eq!(reqs[1].path, "/lookaside/whatsapp_business/attachments/");
    assert_eq!(reqs[1].query.as_deref(), Some("mid=1234567890&ext=1"));
    assert_eq!(
        reqs[1].header("authorization"),
        Some("Bearer EAAG-wa-token")
    );
}

#[tokio::test]
async fn whatsapp_media_announced_too_large_is_not_downloaded() {
    let fake = Fake::start(|req, base| match req.path.as_str() {
        "/v21.0/99" => ok_json(
            json!({"url": format!("{base}/file"), "mime_type": "video/mp4",
                                       "file_size": 50_000_000}),
        ),
        _ => bytes("video/mp4", vec![0; 10]),
    })
    .await;
    let media = MediaRef::ProviderId {
        id: "99".into(),
        mime: None,
        filename: None,
    };
    let err = assert_permanent(whatsapp(&fake.base, None).fetch_media(&media, 1000).await);
    assert!(err.contains("too large"), "{err}");
    assert_eq!(fake.requests().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Telegram.

#[tokio::test]
async fn telegram_sends_a_message() {
    let fake = Fake::start(|_, _| {
        ok_json(
            json!({"ok": true, "result": {"message_id": 4242, "date": 1_700_000_000,
                       "chat": {"id": 111_222_333, "type": "private"}, "text": TEXT}}),
        )
    })
    .await;
    let sent = telegram(&fake.base)
        .send_text(&text("111222333", TEXT))
        .await
        .unwrap();
    assert_eq!(sent.provider_message_id.as_deref(), Some("4242"));
    let req = fake.only();
    assert_eq!(req.method, Method::POST);
    assert_eq!(req.path, format!("/bot{BOT_TOKEN}/sendMessage"));
    assert_eq!(req.json(), json!({"chat_id": 111_222_333, "text": TEXT}));
}

#[tokio::test]
async fn telegram_errors_are_transient_or_permanent() {
    let fake = Fake::start(|req, _| match req.json()["chat_id"].as_i64() {
        Some(1) => status_json(
            429,
            json!({"ok": false, "error_code": 429,
                   "description": "Too Many Requests: retry after 5",
                   "parameters": {"retry_after": 5}}),
        ),
        Some(2) => status_json(
            400,
            json!({"ok": false, "error_code": 400, "description": "Bad Request: chat not found"}),
        ),
        Some(3) => status_json(502, json!({"ok": false, "error_code": 502})),
        Some(4) => ok_json(json!({"ok": false, "error_code": 500, "description": "Internal"})),
        Some(5) => ok_json(json!({"ok": false, "error_code": 403, "description": "blocked"})),
        _ => ok_json(json!({"ok": true, "result": {}})),
    })
    .await;
    let tg = telegram(&fake.base);
    let mut errors = vec![
        assert_transient(tg.send_text(&text("1", TEXT)).await),
        assert_permanent(tg.send_text(&text("2", TEXT)).await),
        assert_transient(tg.send_text(&text("3", TEXT)).await),
        assert_transient(tg.send_text(&text("4", TEXT)).await),
        assert_permanent(tg.send_text(&text("5", TEXT)).await),
        // `ok: true` without a message id.
        assert_permanent(tg.send_text(&text("6", TEXT)).await),
    ];
    errors.push(assert_transient(
        telegram(&refused_base().await)
            .send_text(&text("7", TEXT))
            .await,
    ));
    for err in errors {
        assert!(!err.contains(BOT_TOKEN), "{err}");
        assert!(!err.contains("AAH-secret"), "{err}");
        assert!(!err.contains(TEXT), "{err}");
    }
}

#[tokio::test]
async fn telegram_error_texts_never_carry_the_bot_token() {
    // A redirect loop, a refused connection, a timeout-free 404 and an unparseable answer: every
    // path that reqwest would describe with the URL (which holds the token).
    let fake = Fake::start(|req, base| match req.path.rsplit('/').next() {
        Some("sendMessage") => Answer {
            status: 302,
            headers: vec![("location", format!("{base}/bot{BOT_TOKEN}/sendMessage"))],
            body: vec![],
        },
        Some("getFile") => bytes("text/plain", format!("nope {BOT_TOKEN}").into_bytes()),
        _ => status_json(404, json!({"ok": false, "error_code": 404})),
    })
    .await;
    let tg = telegram(&fake.base);
    let media = MediaRef::ProviderId {
        id: "AgACAgIAAxkBAAIB".into(),
        mime: None,
        filename: None,
    };
    let errors = [
        tg.send_text(&text("1", TEXT)).await.unwrap_err(),
        tg.fetch_media(&media, 1000).await.unwrap_err(),
        telegram(&refused_base().await)
            .fetch_media(&media, 1000)
            .await
            .unwrap_err(),
    ];
    for err in errors {
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("AAH-secret"), "{shown}");
        assert!(!shown.contains("7000000001"), "{shown}");
    }
}

#[tokio::test]
async fn telegram_media_goes_through_get_file() {
    let doc = b"%PDF-1.4 laporan".to_vec();
    let served = doc.clone();
    let fake = Fake::start(move |req, _| {
        if req.path == format!("/bot{BOT_TOKEN}/getFile") {
            ok_json(json!({"ok": true, "result": {"file_id": "BQACAgIAAxkBAAIC",
                           "file_unique_id": "AgADxw", "file_size": 16,
                           "file_path": "documents/file_7.pdf"}}))
        } else if req.path == format!("/file/bot{BOT_TOKEN}/documents/file_7.pdf") {
            bytes("application/octet-stream", served.clone())
        } else {
            status_json(404, json!({"ok": false, "error_code": 404}))
        }
    })
    .await;
    let media = MediaRef::ProviderId {
        id: "BQACAgIAAxkBAAIC".into(),
        mime: Some("application/pdf".into()),
        filename: Some("laporan.pdf".into()),
    };
    let got = telegram(&fake.base)
        .fetch_media(&media, 1000)
        .await
        .unwrap();
    assert_eq!(got.bytes, doc);
    assert_eq!(got.mime.as_deref(), Some("application/pdf"));
    assert_eq!(got.filename.as_deref(), Some("laporan.pdf"));
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].method, Method::GET);
    assert_eq!(
        reqs[0].query_pairs(),
        vec![("file_id".to_string(), "BQACAgIAAxkBAAIC".to_string())]
    );
}

// ---------------------------------------------------------------------------------------------
// SMS gateway.

#[tokio::test]
async fn the_sms_gateway_gets_the_send_url_with_encoded_placeholders() {
    let fake = Fake::start(|_, _| bytes("text/plain", b"0: Accepted for delivery".to_vec())).await;
    let config = gateway_config(Some(format!(
        "{}/cgi-bin/sendsms?username=u&password=p&to={{to}}&text={{text}}",
        fake.base
    )));
    let sms = SmsGatewayProvider::new(http_client(), &config).unwrap();
    assert_eq!(sms.channel(), Channel::Sms);
    let body = "Laporan {to} diterima: 50% & selesai ✓";
    let sent = sms.send_text(&text("+6281234567890", body)).await.unwrap();
    assert_eq!(sent.provider_message_id, None);
    let req = fake.only();
    assert_eq!(req.method, Method::GET);
    assert_eq!(req.path, "/cgi-bin/sendsms");
    let query = req.query.clone().unwrap();
    assert!(query.contains("to=%2B6281234567890&"), "{query}");
    assert_eq!(
        req.query_pairs(),
        vec![
            ("username".to_string(), "u".to_string()),
            ("password".to_string(), "p".to_string()),
            ("to".to_string(), "+6281234567890".to_string()),
            ("text".to_string(), body.to_string()),
        ]
    );
}

#[tokio::test]
async fn the_sms_gateway_fails_by_status_and_carries_no_media() {
    let fake = Fake::start(|req, _| {
        let status = req.query_pairs()[0].1.parse().unwrap();
        Answer {
            status,
            headers: vec![],
            body: b"error".to_vec(),
        }
    })
    .await;
    let config = gateway_config(Some(format!("{}/send?to={{to}}&text={{text}}", fake.base)));
    let sms = SmsGatewayProvider::new(http_client(), &config).unwrap();
    assert!(sms.send_text(&text("202", TEXT)).await.is_ok());
    assert_transient(sms.send_text(&text("503", TEXT)).await);
    assert_transient(sms.send_text(&text("408", TEXT)).await);
    let err = assert_permanent(sms.send_text(&text("403", TEXT)).await);
    assert!(!err.contains("send?") && !err.contains("403&"), "{err}");
    let media = MediaRef::Url {
        url: format!("{}/x", fake.base),
        mime: None,
        filename: None,
    };
    assert_permanent(sms.fetch_media(&media, 1000).await);
}

// ---------------------------------------------------------------------------------------------
// Twilio.

fn twilio_basic() -> String {
    let raw = "AC0123456789abcdef:twilio-auth-token";
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

#[tokio::test]
async fn twilio_sends_with_basic_auth_and_a_form() {
    let fake = Fake::start(|_, _| {
        status_json(
            201,
            json!({"sid": "SM1234567890abcdef1234567890abcdef", "status": "queued",
                   "to": "+6281234567890", "from": "+15005550006"}),
        )
    })
    .await;
    let sent = twilio(&fake.base)
        .send_text(&text("+6281234567890", TEXT))
        .await
        .unwrap();
    assert_eq!(
        sent.provider_message_id.as_deref(),
        Some("SM1234567890abcdef1234567890abcdef")
    );
    let req = fake.only();
    assert_eq!(req.method, Method::POST);
    assert_eq!(
        req.path,
        "/2010-04-01/Accounts/AC0123456789abcdef/Messages.json"
    );
    assert_eq!(req.header("authorization"), Some(twilio_basic().as_str()));
    assert_eq!(
        req.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        req.form(),
        vec![
            ("To".to_string(), "+6281234567890".to_string()),
            ("From".to_string(), "+15005550006".to_string()),
            ("Body".to_string(), TEXT.to_string()),
        ]
    );
}

#[tokio::test]
async fn twilio_errors() {
    let fake = Fake::start(|req, _| {
        let to = req.form().into_iter().find(|(k, _)| k == "To").unwrap().1;
        match to.as_str() {
            "+1" => status_json(
                400,
                json!({"code": 21211, "message": "The 'To' number +1 is not a valid phone number.",
                       "status": 400}),
            ),
            "+2" => status_json(429, json!({"code": 20429, "status": 429})),
            _ => status_json(503, json!({})),
        }
    })
    .await;
    let tw = twilio(&fake.base);
    let err = assert_permanent(tw.send_text(&text("+1", TEXT)).await);
    assert!(err.contains("21211") && !err.contains("+1 "), "{err}");
    assert_transient(tw.send_text(&text("+2", TEXT)).await);
    assert_transient(tw.send_text(&text("+3", TEXT)).await);
    assert!(!err.contains("twilio-auth-token"));
}

#[tokio::test]
async fn twilio_media_with_basic_auth_through_the_redirect() {
    let expected_auth = twilio_basic();
    let fake = Fake::start(move |req, base| {
        if req.header("authorization") != Some(expected_auth.as_str()) {
            return status_json(401, json!({"code": 20003}));
        }
        match req.path.as_str() {
            "/2010-04-01/Accounts/AC0123456789abcdef/Messages/MM1/Media/ME1" => Answer {
                status: 307,
                headers: vec![("location", format!("{base}/files/ME1"))],
                body: vec![],
            },
            "/files/ME1" => bytes("image/png", b"\x89PNG\r\n\x1a\nrest".to_vec()),
            _ => status_json(404, json!({})),
        }
    })
    .await;
    let media = MediaRef::Url {
        url: format!(
            "{}/2010-04-01/Accounts/AC0123456789abcdef/Messages/MM1/Media/ME1",
            fake.base
        ),
        mime: None,
        filename: None,
    };
    let got = twilio(&fake.base).fetch_media(&media, 1000).await.unwrap();
    assert_eq!(got.bytes, b"\x89PNG\r\n\x1a\nrest");
    assert_eq!(got.mime.as_deref(), Some("image/png"));
    assert_eq!(fake.requests().len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Messenger.

#[tokio::test]
async fn messenger_sends_a_response_or_a_tagged_message() {
    let fake = Fake::start(|_, _| {
        ok_json(
            json!({"recipient_id": "6789012345678901", "message_id": "m_AG5Hz2Uq7tuwNEhXfYYKj8"}),
        )
    })
    .await;
    let ms = MessengerProvider::new(http_client(), &messenger_config(&fake.base)).unwrap();
    assert_eq!(ms.channel(), Channel::Facebook);
    let sent = ms.send_text(&text("6789012345678901", TEXT)).await.unwrap();
    assert_eq!(
        sent.provider_message_id.as_deref(),
        Some("m_AG5Hz2Uq7tuwNEhXfYYKj8")
    );
    ms.send_text(&outside("6789012345678901", TEXT))
        .await
        .unwrap();
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].method, Method::POST);
    assert_eq!(reqs[0].path, "/v21.0/me/messages");
    assert_eq!(
        reqs[0].header("authorization"),
        Some("Bearer EAAB-page-token")
    );
    assert_eq!(
        reqs[0].json(),
        json!({"recipient": {"id": "6789012345678901"}, "messaging_type": "RESPONSE",
               "message": {"text": TEXT}})
    );
    assert_eq!(
        reqs[1].json(),
        json!({"recipient": {"id": "6789012345678901"}, "messaging_type": "MESSAGE_TAG",
               "tag": "ACCOUNT_UPDATE", "message": {"text": TEXT}})
    );
}

#[tokio::test]
async fn messenger_errors_and_media() {
    let fake = Fake::start(|req, _| match req.path.as_str() {
        "/v21.0/me/messages" => status_json(
            400,
            json!({"error": {"message": "(#551) This person isn't available right now.",
                             "type": "OAuthException", "code": 551, "error_subcode": 1_545_041}}),
        ),
        "/attachment.jpg" => bytes("image/jpeg", vec![7; 20]),
        _ => status_json(500, json!({})),
    })
    .await;
    let ms = MessengerProvider::new(http_client(), &messenger_config(&fake.base)).unwrap();
    let err = assert_permanent(ms.send_text(&text("1", TEXT)).await);
    assert!(err.contains("551/1545041"), "{err}");
    let media = MediaRef::Url {
        url: format!("{}/attachment.jpg?_nc_sig=abc", fake.base),
        mime: Some("image/jpeg".into()),
        filename: None,
    };
    let got = ms.fetch_media(&media, 20).await.unwrap();
    assert_eq!(got.bytes, vec![7; 20]);
    let reqs = fake.requests();
    assert_eq!(reqs[1].header("authorization"), None);
    let err = assert_permanent(ms.fetch_media(&media, 19).await);
    assert!(err.contains("too large"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// X.

#[tokio::test]
async fn x_sends_a_direct_message() {
    let fake = Fake::start(|_, _| {
        status_json(
            201,
            json!({"data": {"dm_conversation_id": "1346889436626259968-9876543210",
                            "dm_event_id": "1580705921830768643"}}),
        )
    })
    .await;
    let x = XProvider::new(http_client(), &x_config(&fake.base)).unwrap();
    assert_eq!(x.channel(), Channel::Twitter);
    let sent = x.send_text(&text("9876543210", TEXT)).await.unwrap();
    assert_eq!(
        sent.provider_message_id.as_deref(),
        Some("1580705921830768643")
    );
    let req = fake.only();
    assert_eq!(req.method, Method::POST);
    assert_eq!(req.path, "/2/dm_conversations/with/9876543210/messages");
    assert_eq!(req.header("authorization"), Some("Bearer x-user-bearer"));
    assert_eq!(req.json(), json!({"text": TEXT}));
    // Not a user id: nothing is sent.
    assert_permanent(x.send_text(&text("../../2/tweets", TEXT)).await);
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn x_errors_and_media() {
    let fake = Fake::start(|req, _| match req.path.as_str() {
        "/media/1.jpg" => bytes("image/jpeg", vec![1, 2, 3]),
        p if p.contains("/with/1/") => status_json(
            403,
            json!({"title": "Forbidden", "status": 403,
                   "detail": "You are not permitted to send a DM to this user."}),
        ),
        _ => status_json(429, json!({"title": "Too Many Requests", "status": 429})),
    })
    .await;
    let x = XProvider::new(http_client(), &x_config(&fake.base)).unwrap();
    assert_permanent(x.send_text(&text("1", TEXT)).await);
    assert_transient(x.send_text(&text("2", TEXT)).await);
    let media = MediaRef::Url {
        url: format!("{}/media/1.jpg", fake.base),
        mime: None,
        filename: None,
    };
    let got = x.fetch_media(&media, 100).await.unwrap();
    assert_eq!(got.bytes, vec![1, 2, 3]);
    assert_eq!(got.mime.as_deref(), Some("image/jpeg"));
    assert_eq!(
        fake.requests()[2].header("authorization"),
        Some("Bearer x-user-bearer")
    );
    let id = MediaRef::ProviderId {
        id: "1".into(),
        mime: None,
        filename: None,
    };
    assert_permanent(x.fetch_media(&id, 100).await);
}

// ---------------------------------------------------------------------------------------------
// Every provider.

#[tokio::test]
async fn a_refused_connection_is_transient_everywhere() {
    let base = refused_base().await;
    let config = ChannelsConfig {
        whatsapp: Some(whatsapp_config(&base, None)),
        telegram: Some(telegram_config(&base)),
        sms: Some(gateway_config(Some(format!(
            "{base}/send?pass=gw-password&to={{to}}&text={{text}}"
        )))),
        twilio: None,
        messenger: Some(messenger_config(&base)),
        x: Some(x_config(&base)),
        email: None,
    };
    let all = providers(&config);
    assert_eq!(all.len(), 5);
    let mut all_and_twilio = all.clone();
    all_and_twilio.push(Arc::new(twilio(&base)));
    for p in all_and_twilio {
        let err = assert_transient(p.send_text(&text("12345", TEXT)).await);
        assert!(
            !err.contains("gw-password") && !err.contains(&base),
            "{err}"
        );
    }
}

#[tokio::test]
async fn media_larger_than_the_limit_is_refused_without_reading_it_all() {
    // Announced by Content-Length.
    let fake = Fake::start(|_, _| bytes("image/jpeg", vec![0; 100_000])).await;
    let media = MediaRef::Url {
        url: format!("{}/big.jpg", fake.base),
        mime: None,
        filename: None,
    };
    let ms = MessengerProvider::new(http_client(), &messenger_config(&fake.base)).unwrap();
    let err = assert_permanent(ms.fetch_media(&media, 10_000).await);
    assert!(err.contains("too large"), "{err}");

    // Not announced, and never ending: the download must stop at the limit (reading it all would
    // only end at the 20 s timeout, as a transient error).
    let endless = endless_base().await;
    let media = MediaRef::Url {
        url: format!("{endless}/2010-04-01/Accounts/AC0123456789abcdef/Messages/MM1/Media/ME1"),
        mime: None,
        filename: None,
    };
    let started = std::time::Instant::now();
    let err = assert_permanent(twilio(&endless).fetch_media(&media, 10_000).await);
    assert!(err.contains("too large"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));

    // Telegram's getFile, then the endless file.
    let media = MediaRef::ProviderId {
        id: "F".into(),
        mime: None,
        filename: None,
    };
    let err = assert_permanent(telegram(&endless).fetch_media(&media, 10_000).await);
    assert!(err.contains("too large"), "{err}");

    // Telegram announces the size in getFile: the file is not even asked for.
    let big = Fake::start(|_, _| {
        ok_json(
            json!({"ok": true, "result": {"file_id": "F", "file_size": 20_000_000,
                       "file_path": "videos/f.mp4"}}),
        )
    })
    .await;
    let err = assert_permanent(telegram(&big.base).fetch_media(&media, 10_000).await);
    assert!(err.contains("too large"), "{err}");
    assert_eq!(big.requests().len(), 1);
}

#[tokio::test]
async fn inline_media_is_returned_as_is_within_the_limit() {
    let media = MediaRef::Inline {
        bytes: vec![5; 10],
        mime: Some("application/pdf".into()),
        filename: Some("a.pdf".into()),
    };
    let base = refused_base().await;
    let gw = SmsGatewayProvider::new(
        http_client(),
        &gateway_config(Some(format!("{base}/{{to}}/{{text}}"))),
    )
    .unwrap();
    let all: Vec<Arc<dyn ChatProvider>> = vec![
        Arc::new(whatsapp(&base, None)),
        Arc::new(telegram(&base)),
        Arc::new(gw),
        Arc::new(twilio(&base)),
        Arc::new(MessengerProvider::new(http_client(), &messenger_config(&base)).unwrap()),
        Arc::new(XProvider::new(http_client(), &x_config(&base)).unwrap()),
    ];
    for p in all {
        let got = p.fetch_media(&media, 10).await.unwrap();
        assert_eq!(got.bytes, vec![5; 10]);
        assert_eq!(got.mime.as_deref(), Some("application/pdf"));
        assert_eq!(got.filename.as_deref(), Some("a.pdf"));
        assert_permanent(p.fetch_media(&media, 9).await);
    }
}

#[tokio::test]
async fn providers_builds_only_the_configured_senders() {
    assert!(providers(&ChannelsConfig::default()).is_empty());

    // Inbound-only configurations send nothing.
    let mut wa = whatsapp_config("http://127.0.0.1:9", None);
    wa.phone_number_id = None;
    let mut tg = telegram_config("http://127.0.0.1:9");
    tg.bot_token = Some(Secret(String::new()));
    let mut tw = twilio_config("http://127.0.0.1:9");
    tw.from = None;
    let mut ms = messenger_config("http://127.0.0.1:9");
    ms.page_token = None;
    let mut x = x_config("http://127.0.0.1:9");
    x.access_token = None;
    let inbound_only = ChannelsConfig {
        whatsapp: Some(wa),
        telegram: Some(tg),
        sms: Some(gateway_config(None)),
        twilio: Some(tw),
        messenger: Some(ms),
        x: Some(x),
        email: None,
    };
    assert!(providers(&inbound_only).is_empty());

    // Twilio alone is the SMS sender.
    let fake = Fake::start(|req, _| {
        if req.path.ends_with("Messages.json") {
            status_json(201, json!({"sid": "SM1"}))
        } else {
            bytes("text/plain", b"OK".to_vec())
        }
    })
    .await;
    let twilio_only = ChannelsConfig {
        sms: Some(gateway_config(None)),
        twilio: Some(twilio_config(&fake.base)),
        ..ChannelsConfig::default()
    };
    let built = providers(&twilio_only);
    assert_eq!(built.len(), 1);
    let sent = built[0].send_text(&text("+62812", "x")).await.unwrap();
    assert_eq!(sent.provider_message_id.as_deref(), Some("SM1"));

    // With both, the gateway sends.
    let both = ChannelsConfig {
        whatsapp: Some(whatsapp_config(&fake.base, None)),
        telegram: Some(telegram_config(&fake.base)),
        sms: Some(gateway_config(Some(format!(
            "{}/gw?to={{to}}&text={{text}}",
            fake.base
        )))),
        twilio: Some(twilio_config(&fake.base)),
        messenger: Some(messenger_config(&fake.base)),
        x: Some(x_config(&fake.base)),
        email: None,
    };
    let built = providers(&both);
    let channels: Vec<Channel> = built.iter().map(|p| p.channel()).collect();
    assert_eq!(
        channels,
        vec![
            Channel::Whatsapp,
            Channel::Telegram,
            Channel::Sms,
            Channel::Facebook,
            Channel::Twitter
        ]
    );
    let sent = built[2].send_text(&text("+62812", "x")).await.unwrap();
    assert_eq!(sent.provider_message_id, None);
    assert_eq!(fake.requests().last().unwrap().path, "/gw");
}
