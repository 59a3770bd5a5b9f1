//! The chat channels as citizens and agency staff use them: providers' webhooks in their real
//! formats with real signatures, through HTTP, on SQLite and PostgreSQL; the inbox stepped by
//! hand; what the system answers read from the outbox.

use crate::common::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tanggap::config::Config;
use tanggap_channels::config::*;
use tanggap_channels::verify;
use tanggap_channels::{ChannelsConfig, Secret};
use tanggap_domain::Role;
use tanggap_service::accounts::UserInput;

pub const WA_SECRET: &str = "wa-app-secret-for-tests";
pub const WA_VERIFY: &str = "wa-verify-token";
pub const TG_SECRET: &str = "tg-secret-token-for-tests";
pub const SMS_SECRET: &str = "sms0gateway0secret0for0tests0123";
pub const TWILIO_TOKEN: &str = "twilio-auth-token-for-tests";
pub const FB_SECRET: &str = "fb-app-secret-for-tests";
pub const FB_VERIFY: &str = "fb-verify-token";
pub const X_SECRET: &str = "x-consumer-secret-for-tests";
pub const EMAIL_SECRET: &str = "email-webhook-secret-for-tests";

/// Every channel on, pointing at no provider (outbound is not what these tests look at).
pub fn channels(provider_base: &str) -> ChannelsConfig {
    ChannelsConfig {
        whatsapp: Some(WhatsappConfig {
            app_secret: Secret(WA_SECRET.into()),
            verify_token: Secret(WA_VERIFY.into()),
            access_token: None,
            phone_number_id: None,
            api_base: provider_base.into(),
            template: None,
            template_language: "id".into(),
        }),
        telegram: Some(TelegramConfig {
            secret_token: Secret(TG_SECRET.into()),
            bot_token: None,
            api_base: provider_base.into(),
        }),
        sms: Some(SmsGatewayConfig {
            secret: Secret(SMS_SECRET.into()),
            fields: Default::default(),
            allow: vec![],
            send_url: None,
        }),
        twilio: Some(TwilioConfig {
            auth_token: Secret(TWILIO_TOKEN.into()),
            account_sid: None,
            from: None,
            api_base: provider_base.into(),
        }),
        messenger: Some(MessengerConfig {
            app_secret: Secret(FB_SECRET.into()),
            verify_token: Secret(FB_VERIFY.into()),
            page_token: None,
            api_base: provider_base.into(),
        }),
        x: Some(XConfig {
            consumer_secret: Secret(X_SECRET.into()),
            access_token: None,
            api_base: provider_base.into(),
        }),
        email: Some(EmailInboundConfig {
            webhook_secret: Secret(EMAIL_SECRET.into()),
        }),
    }
}

fn with_channels(c: &mut Config) {
    c.channels = channels("http://127.0.0.1:9");
}

macro_rules! with_channels_on_both {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = crate::common::TestApp::sqlite_with(super::with_channels).await;
                    super::$name(&app).await;
                    app.finish().await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = crate::common::TestApp::postgres_with(super::with_channels).await;
                    super::$name(&app).await;
                    app.finish().await;
                }
            )+
        }
    };
}

with_channels_on_both!(
    a_whatsapp_conversation_from_first_message_to_rating,
    retries_and_duplicates_create_nothing_twice,
    a_storm_of_one_message_files_one_report,
    forged_or_missing_signatures_store_nothing,
    an_unregistered_number_changes_nothing,
    the_same_phone_on_sms_and_whatsapp_is_one_reporter,
    several_open_reports_are_told_apart,
    a_telegram_conversation,
    an_sms_through_the_gateway_and_through_twilio,
    garbage_in_every_webhook_is_refused_and_stores_nothing,
    messenger_x_and_e_mail_file_reports_too,
);

// ----- the providers' requests ------------------------------------------------------------------

/// A WhatsApp Cloud API webhook body with one text message.
pub fn wa_text(from: &str, id: &str, text: &str) -> Value {
    wa_message(
        from,
        json!({"from": from, "id": id, "timestamp": "1764550000", "type": "text", "text": {"body": text}}),
    )
}

pub fn wa_message(from: &str, message: Value) -> Value {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "6281100000000", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": "Warga Ungaran"}, "wa_id": from}],
            "messages": [message]
        }}]}]
    })
}

/// Post a body to `/channels/whatsapp` signed as Meta signs it.
pub async fn post_wa(app: &TestApp, body: &Value) -> StatusCode {
    let raw = serde_json::to_vec(body).unwrap();
    app.anonymous()
        .post("/channels/whatsapp")
        .header("content-type", "application/json")
        .header("x-hub-signature-256", verify::sign_meta(WA_SECRET, &raw))
        .body(raw)
        .send()
        .await
        .unwrap()
        .status()
}

async fn say_wa(app: &TestApp, from: &str, id: &str, text: &str) {
    assert_eq!(post_wa(app, &wa_text(from, id, text)).await, StatusCode::OK);
    app.run_inbox().await;
}

pub fn tg_update(update_id: i64, chat_id: i64, text: &str) -> Value {
    json!({
        "update_id": update_id,
        "message": {
            "message_id": update_id * 10,
            "from": {"id": chat_id, "is_bot": false, "first_name": "Sri", "language_code": "id"},
            "chat": {"id": chat_id, "type": "private"},
            "date": 1764550000,
            "text": text
        }
    })
}

pub async fn post_tg(app: &TestApp, body: &Value, secret: Option<&str>) -> StatusCode {
    let mut r = app
        .anonymous()
        .post("/channels/telegram")
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap());
    if let Some(s) = secret {
        r = r.header("x-telegram-bot-api-secret-token", s);
    }
    r.send().await.unwrap().status()
}

// ----- reading what happened ---------------------------------------------------------------------

/// The answers queued for an address, oldest first: (subject, body).
async fn answers(app: &TestApp, address: &str) -> Vec<(String, String)> {
    app.texts(&format!(
        "SELECT subject || '\n' || body FROM notifications WHERE action = 'chat_reply' AND address = '{address}' ORDER BY id"
    ))
    .await
    .into_iter()
    .map(|t| {
        let (s, b) = t.split_once('\n').unwrap_or((&t, ""));
        (s.to_string(), b.to_string())
    })
    .collect()
}

async fn last_answer(app: &TestApp, address: &str) -> String {
    let a = answers(app, address).await;
    let (s, b) = a.last().cloned().unwrap_or_default();
    format!("{s}\n{b}")
}

/// The tracking ID in a text (the first `LG-` word).
fn tid_in(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || matches!(c, '.' | ',' | '[' | ']' | '/' | '?'))
        .find(|w| w.starts_with("LG-") && w.len() == 13)
        .unwrap_or_else(|| panic!("no tracking id in {text:?}"))
        .to_string()
}

async fn reports_from(app: &TestApp, channel: &str) -> i64 {
    app.scalar(&format!(
        "SELECT COUNT(*) FROM reports WHERE channel = '{channel}'"
    ))
    .await
}

// ----- scenarios --------------------------------------------------------------------------------

const WARGA: &str = "6281234567001";
const WARGA_E164: &str = "+6281234567001";

async fn a_whatsapp_conversation_from_first_message_to_rating(app: &TestApp) {
    // Meta's subscription check.
    let ok = app
        .anonymous()
        .get(&format!(
            "/channels/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={WA_VERIFY}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    let bad = app
        .anonymous()
        .get("/channels/whatsapp?hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::FORBIDDEN);

    // The first message files a report in `baru` and answers with its number and link.
    say_wa(
        app,
        WARGA,
        "wamid.A1",
        "Jalan provinsi Ungaran–Bandungan dekat SPBU Lerep berlubang besar, sudah dua motor jatuh.",
    )
    .await;
    let first = last_answer(app, WARGA_E164).await;
    let tid = tid_in(&first);
    assert!(first.contains("kami terima"), "{first}");
    let op = app.staff("chat.operator", Role::Operator, None).await;
    let r = op.report(&tid).await;
    assert_eq!(r["status"], "baru");
    assert_eq!(r["channel"], "whatsapp");
    assert_eq!(r["reporter"]["phone"], WARGA_E164);

    // A shared location joins the open report as the reporter's reply.
    let loc = wa_message(
        WARGA,
        json!({"from": WARGA, "id": "wamid.A2", "timestamp": "1764550100", "type": "location",
               "location": {"latitude": -7.1375, "longitude": 110.4046, "name": "SPBU Lerep"}}),
    );
    assert_eq!(post_wa(app, &loc).await, StatusCode::OK);
    app.run_inbox().await;
    assert!(last_answer(app, WARGA_E164).await.contains("ditambahkan"));
    let r = op.report(&tid).await;
    let timeline = r["timeline"].to_string();
    assert!(timeline.contains("SPBU Lerep"), "{timeline}");

    // The desk dispatches; the agency's officer answers from their registered WhatsApp number.
    op.act(
        &format!("/api/v1/reports/{tid}/verify"),
        json!({"title": "Laporan warga melalui WhatsApp"}),
    )
    .await;
    op.act(
        &format!("/api/v1/reports/{tid}/dispatch"),
        json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}]}),
    )
    .await;
    let head = app
        .services
        .create_user(
            &tanggap_service::Caller::System,
            UserInput {
                username: "kepala.dpu.wa".into(),
                display_name: "Kepala DPU".into(),
                role: "kepala".into(),
                agency_id: Some("dpu-bmck".into()),
                email: None,
                phone: Some("081277700011".into()),
                password: "kepala-dpu-kata-sandi".into(),
                integration: false,
            },
        )
        .await
        .unwrap();
    app.advance(chrono::TimeDelta::hours(2));
    say_wa(
        app,
        "6281277700011",
        "wamid.S1",
        &format!("{tid} cek lapangan tim sudah meluncur ke lokasi"),
    )
    .await;
    assert!(
        last_answer(app, "+6281277700011")
            .await
            .contains("tercatat"),
        "{}",
        last_answer(app, "+6281277700011").await
    );
    let r = op.report(&tid).await;
    let a = &r["assignments"][0];
    assert_eq!(a["stage"], "cek_lapangan");
    assert!(
        a["first_response_at"].is_string(),
        "the first-response clock stopped"
    );
    let audit = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'assignment.stage_changed' AND actor = 'user:{}'",
            head.id
        ))
        .await;
    assert_eq!(audit, 1, "the audit trail names the head's account");
    // The reporter hears of it on WhatsApp (the reporter-updates job, stepped by hand).
    tanggap_jobs::ReporterUpdates::new(app.store.clone(), None)
        .run(app.now())
        .await
        .unwrap();
    let told = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM notifications WHERE action = 'reporter_update' AND channel = 'whatsapp' AND address = '{WARGA_E164}'"
        ))
        .await;
    assert!(told >= 1, "the reporter is told on WhatsApp");

    // Done: the head marks it tuntas, the reporter rates it.
    say_wa(
        app,
        "6281277700011",
        "wamid.S2",
        &format!("{tid} tuntas lubang sudah ditambal"),
    )
    .await;
    assert_eq!(op.report(&tid).await["status"], "selesai");
    say_wa(app, WARGA, "wamid.A3", "5").await;
    assert!(
        last_answer(app, WARGA_E164)
            .await
            .contains("TUNTAS, SEBAGIAN")
    );
    say_wa(app, WARGA, "wamid.A4", "5 tuntas terima kasih cepat sekali").await;
    let r = op.report(&tid).await;
    assert_eq!(r["rating"], 5, "{r}");
    assert_eq!(r["outcome"], "fixed");
}

async fn retries_and_duplicates_create_nothing_twice(app: &TestApp) {
    let body = wa_text(
        WARGA,
        "wamid.R1",
        "Lampu penerangan jalan di Jl. Pemuda mati sejak seminggu.",
    );
    for _ in 0..3 {
        assert_eq!(post_wa(app, &body).await, StatusCode::OK);
    }
    // A delivery receipt is acknowledged and files nothing.
    let receipt = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "1", "phone_number_id": "1"},
        "statuses": [{"id": "wamid.OUT1", "status": "delivered", "timestamp": "1764550001", "recipient_id": WARGA}]}}]}]});
    assert_eq!(post_wa(app, &receipt).await, StatusCode::OK);
    app.run_inbox().await;
    assert_eq!(post_wa(app, &body).await, StatusCode::OK, "a late retry");
    app.run_inbox().await;
    assert_eq!(reports_from(app, "whatsapp").await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM inbound_messages").await, 1);
    assert_eq!(answers(app, WARGA_E164).await.len(), 1);
    // Handled messages keep no words or address.
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM inbound_messages WHERE payload IS NOT NULL OR address IS NOT NULL"
        )
        .await,
        0
    );
}

/// A provider retrying hard (or a replayed webhook) delivers the same message 100 times at once:
/// one message is recorded and one report filed.
async fn a_storm_of_one_message_files_one_report(app: &TestApp) {
    let body = wa_text(
        WARGA,
        "wamid.STORM1",
        "Jembatan di Desa Sumberejo retak dan miring, berbahaya untuk anak sekolah.",
    );
    let storm = (0..100).map(|_| post_wa(app, &body));
    let statuses = futures_util::future::join_all(storm).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    app.run_inbox().await;
    app.run_inbox().await;
    assert_eq!(reports_from(app, "whatsapp").await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM inbound_messages").await, 1);
    assert_eq!(
        answers(app, WARGA_E164).await.len(),
        1,
        "one answer to the citizen"
    );
}

async fn forged_or_missing_signatures_store_nothing(app: &TestApp) {
    let raw = serde_json::to_vec(&wa_text(
        WARGA,
        "wamid.F1",
        "Pesan palsu yang cukup panjang.",
    ))
    .unwrap();
    let forged = app
        .anonymous()
        .post("/channels/whatsapp")
        .header(
            "x-hub-signature-256",
            verify::sign_meta("another-secret", &raw),
        )
        .body(raw.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let body: Value = forged.json().await.unwrap();
    assert_eq!(body["code"], "signature_invalid");
    let missing = app
        .anonymous()
        .post("/channels/whatsapp")
        .body(raw.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    // A valid signature over other bytes.
    let mut tampered = raw.clone();
    let n = tampered.len() - 5;
    tampered[n] = b'X';
    let r = app
        .anonymous()
        .post("/channels/whatsapp")
        .header("x-hub-signature-256", verify::sign_meta(WA_SECRET, &raw))
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        post_tg(app, &tg_update(1, 42, "halo"), Some("wrong")).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post_tg(app, &tg_update(1, 42, "halo"), None).await,
        StatusCode::UNAUTHORIZED
    );
    // Signed, but not what WhatsApp sends.
    let junk = br#"{"object":"whatsapp_business_account","entry":"nope"}"#;
    let r = app
        .anonymous()
        .post("/channels/whatsapp")
        .header("x-hub-signature-256", verify::sign_meta(WA_SECRET, junk))
        .body(junk.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    app.run_inbox().await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM inbound_messages").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM reports").await, 0);
}

/// A channel without its credentials is off: its webhook does not exist.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_without_credentials_answer_404() {
    let app = TestApp::sqlite().await;
    for path in [
        "/channels/whatsapp",
        "/channels/messenger",
        "/channels/telegram",
        "/channels/sms",
        "/channels/twilio",
        "/channels/x",
        "/channels/email",
    ] {
        let r = app.anonymous().post(path).body("{}").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let r = app
        .anonymous()
        .get("/channels/whatsapp?hub.mode=subscribe&hub.challenge=1&hub.verify_token=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    app.finish().await;
}

async fn an_unregistered_number_changes_nothing(app: &TestApp) {
    let (tid, _) = app.submit(crate::common::complaint("Jembatan retak")).await;
    let op = app.staff("chat.op2", Role::Operator, None).await;
    op.act(
        &format!("/api/v1/reports/{tid}/verify"),
        json!({"title": "Laporan warga melalui WhatsApp"}),
    )
    .await;
    op.act(
        &format!("/api/v1/reports/{tid}/dispatch"),
        json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}]}),
    )
    .await;
    let before = op.report(&tid).await;
    say_wa(
        app,
        "6281299999999",
        "wamid.U1",
        &format!("{tid} tuntas sudah beres"),
    )
    .await;
    let answer = last_answer(app, "+6281299999999").await;
    assert!(answer.contains("tidak terdaftar"), "{answer}");
    let after = op.report(&tid).await;
    assert_eq!(after["assignments"], before["assignments"]);
    assert_eq!(after["status"], before["status"]);
    assert_eq!(
        after["timeline"], before["timeline"],
        "nothing joined someone else's report"
    );
}

async fn the_same_phone_on_sms_and_whatsapp_is_one_reporter(app: &TestApp) {
    say_wa(
        app,
        WARGA,
        "wamid.P1",
        "Sekolah memungut biaya seragam yang tidak wajar kepada murid baru.",
    )
    .await;
    let tid = tid_in(&last_answer(app, WARGA_E164).await);
    // An SMS from the same number (as 08…) joins the same open report.
    let r = app
        .anonymous()
        .post(&format!("/channels/sms/{SMS_SECRET}"))
        .form(&[
            ("from", "081234567001"),
            ("text", "Tambahan: pungutannya Rp 750.000 per murid."),
            ("id", "kannel-77"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    app.run_inbox().await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM reports").await, 1);
    let op = app.staff("chat.op3", Role::Operator, None).await;
    let timeline = op.report(&tid).await["timeline"].to_string();
    assert!(timeline.contains("Rp 750.000"), "{timeline}");
    // A number typed into a message joins no one.
    say_wa(
        app,
        "6281234567002",
        "wamid.P2",
        "Saya melapor atas nama 081234567001, jalan desa rusak parah sekali.",
    )
    .await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM reports").await, 2);
    let other = tid_in(&last_answer(app, "+6281234567002").await);
    assert_ne!(other, tid);
    assert_ne!(
        op.report(&other).await["reporter"]["phone"],
        WARGA_E164,
        "typed details never identify the sender"
    );
}

async fn several_open_reports_are_told_apart(app: &TestApp) {
    say_wa(
        app,
        WARGA,
        "wamid.M1",
        "Pertama: saluran air di Jl. Merdeka tersumbat sampah.",
    )
    .await;
    let first = tid_in(&last_answer(app, WARGA_E164).await);
    // While one report is open, words join it; `baru …` starts another.
    say_wa(
        app,
        WARGA,
        "wamid.M2",
        "Sudah seminggu belum ada yang datang.",
    )
    .await;
    assert!(last_answer(app, WARGA_E164).await.contains(&first));
    say_wa(
        app,
        WARGA,
        "wamid.M3",
        "baru Pohon tumbang menutup jalan di Desa Lerep sejak tadi pagi.",
    )
    .await;
    let second = tid_in(&last_answer(app, WARGA_E164).await);
    assert_ne!(first, second);
    // Two open reports: the bot asks which, and the answer `2` puts the message there.
    say_wa(app, WARGA, "wamid.M4", "Sudah ada yang menangani?").await;
    let ask = last_answer(app, WARGA_E164).await;
    assert!(ask.contains("yang mana"), "{ask}");
    let listed: Vec<&str> = ask.lines().filter(|l| l.contains("LG-")).collect();
    assert_eq!(listed.len(), 2, "{ask}");
    let pick = listed.iter().position(|l| l.contains(&second)).unwrap() + 1;
    say_wa(app, WARGA, "wamid.M5", &pick.to_string()).await;
    assert!(last_answer(app, WARGA_E164).await.contains(&second));
    let op = app.staff("chat.op4", Role::Operator, None).await;
    let timeline = op.report(&second).await["timeline"].to_string();
    assert!(timeline.contains("Sudah ada yang menangani?"), "{timeline}");
    let timeline = op.report(&first).await["timeline"].to_string();
    assert!(
        !timeline.contains("Sudah ada yang menangani?"),
        "{timeline}"
    );
    // Quoting a number puts the words there without asking.
    say_wa(
        app,
        WARGA,
        "wamid.M6",
        &format!("{first} airnya mulai meluap ke rumah"),
    )
    .await;
    assert!(
        op.report(&first).await["timeline"]
            .to_string()
            .contains("meluap")
    );
    // `status` lists both; a number that is not theirs changes nothing.
    say_wa(app, WARGA, "wamid.M7", "status").await;
    let status = last_answer(app, WARGA_E164).await;
    assert!(
        status.contains(&first) && status.contains(&second),
        "{status}"
    );
    say_wa(app, WARGA, "wamid.M8", "LG-0000000000 tolong dicek").await;
    assert!(
        last_answer(app, WARGA_E164)
            .await
            .contains("tidak terdaftar")
    );
    // `batal` takes back a report not yet dispatched.
    say_wa(
        app,
        WARGA,
        "wamid.M9",
        &format!("batal {first} sudah dibersihkan warga"),
    )
    .await;
    assert!(last_answer(app, WARGA_E164).await.contains("dibatalkan"));
    assert_eq!(op.report(&first).await["status"], "diarsipkan");
    // One open report again: words join it without a question.
    say_wa(
        app,
        WARGA,
        "wamid.M10",
        "Pohonnya besar, butuh gergaji mesin.",
    )
    .await;
    assert!(last_answer(app, WARGA_E164).await.contains(&second));
}

async fn a_telegram_conversation(app: &TestApp) {
    assert_eq!(
        post_tg(
            app,
            &tg_update(
                9001,
                777001,
                "Puskesmas Ambarawa menolak pasien BPJS tanpa alasan jelas."
            ),
            Some(TG_SECRET)
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(
        post_tg(app, &tg_update(9001, 777001, "ulang"), Some(TG_SECRET)).await,
        StatusCode::OK,
        "the same update_id again"
    );
    app.run_inbox().await;
    let first = last_answer(app, "777001").await;
    let tid = tid_in(&first);
    assert_eq!(reports_from(app, "telegram").await, 1);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM notifications WHERE channel = 'telegram' AND address = '777001'"
        )
        .await,
        1
    );
    post_tg(app, &tg_update(9002, 777001, "bantuan"), Some(TG_SECRET)).await;
    app.run_inbox().await;
    assert!(last_answer(app, "777001").await.contains("STATUS"));
    post_tg(
        app,
        &tg_update(9003, 777001, &format!("status {tid}")),
        Some(TG_SECRET),
    )
    .await;
    app.run_inbox().await;
    assert!(last_answer(app, "777001").await.contains(&tid));
}

async fn an_sms_through_the_gateway_and_through_twilio(app: &TestApp) {
    // Kannel-style GET with the secret in the path.
    let r = app
        .anonymous()
        .get(&format!(
            "/channels/sms/{SMS_SECRET}?from=%2B6285600000001&text=Bantuan%20sosial%20PKH%20bulan%20ini%20belum%20cair%20di%20desa%20kami&id=k-1"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .anonymous()
        .get("/channels/sms/not-the-secret?from=1&text=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.run_inbox().await;
    assert_eq!(reports_from(app, "sms").await, 1);
    assert!(last_answer(app, "+6285600000001").await.contains("LG-"));

    // Twilio: form fields, signed over the URL it called.
    let params = vec![
        ("AccountSid".to_string(), "AC0000".to_string()),
        (
            "Body".to_string(),
            "Air PDAM tidak mengalir tiga hari di Perumnas Banyumanik.".to_string(),
        ),
        ("From".to_string(), "+6285600000002".to_string()),
        ("MessageSid".to_string(), "SM0001".to_string()),
        ("NumMedia".to_string(), "0".to_string()),
        ("To".to_string(), "+6281100000000".to_string()),
    ];
    let sig = twilio_signature(app, &params);
    let r = app
        .anonymous()
        .post("/channels/twilio")
        .header("x-twilio-signature", &sig)
        .form(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("<Response/>"));
    let r = app
        .anonymous()
        .post("/channels/twilio")
        .header("x-twilio-signature", "AAAA")
        .form(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.run_inbox().await;
    assert_eq!(reports_from(app, "sms").await, 2);
}

/// Twilio's signature of a form posted to our webhook: over the URL it called and the fields.
pub(crate) fn twilio_signature(app: &TestApp, params: &[(String, String)]) -> String {
    verify::sign_twilio(TWILIO_TOKEN, &app.url("/channels/twilio"), params)
}

/// Every leaf of a JSON value, as a path of keys and indices.
fn leaves(v: &Value, path: Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, c)| leaves(c, [path.clone(), vec![json!(k)]].concat(), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, c)| leaves(c, [path.clone(), vec![json!(i)]].concat(), out)),
        _ => out.push(path),
    }
}

fn leaf_mut<'a>(v: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(v, |v, k| match k {
        Value::String(k) => &mut v[k.as_str()],
        Value::Number(i) => &mut v[i.as_u64().unwrap() as usize],
        _ => unreachable!(),
    })
}

/// Truncated, corrupted, retyped, huge and deeply nested bodies, correctly signed, at every
/// webhook: never a 5xx, and whatever is refused stores nothing.
async fn garbage_in_every_webhook_is_refused_and_stores_nothing(app: &TestApp) {
    use rand::{Rng, SeedableRng, rngs::StdRng};
    let mut rng = StdRng::seed_from_u64(0x007a_9a11);
    let valid_json: [(&str, Value); 2] = [
        (
            "whatsapp",
            wa_text(WARGA, "wamid.FUZZ", "Jalan rusak di depan balai desa."),
        ),
        (
            "telegram",
            tg_update(77001, 424242, "Sampah menumpuk di pasar."),
        ),
    ];
    let wrong = [
        json!(12345),
        json!([1, 2]),
        json!({"x": null}),
        json!(true),
        json!(null),
        json!("teks"),
    ];
    let mut refused = 0;
    for round in 0..240 {
        let (channel, base) = &valid_json[round % 2];
        let raw = serde_json::to_vec(base).unwrap();
        let body: Vec<u8> = match rng.gen_range(0..5) {
            0 => raw[..rng.gen_range(0..raw.len())].to_vec(),
            1 => {
                let mut b = raw.clone();
                let i = rng.gen_range(0..b.len());
                b[i] = rng.r#gen();
                b
            }
            2 => {
                let mut v = base.clone();
                let mut paths = vec![];
                leaves(&v, vec![], &mut paths);
                let p = &paths[rng.gen_range(0..paths.len())];
                *leaf_mut(&mut v, p) = wrong[rng.gen_range(0..wrong.len())].clone();
                serde_json::to_vec(&v).unwrap()
            }
            3 => {
                let mut v = base.clone();
                let mut paths = vec![];
                leaves(&v, vec![], &mut paths);
                let p = &paths[rng.gen_range(0..paths.len())];
                *leaf_mut(&mut v, p) = json!("x".repeat(rng.gen_range(5_000..1_500_000)));
                serde_json::to_vec(&v).unwrap()
            }
            _ => {
                let depth = rng.gen_range(200..5000);
                format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes()
            }
        };
        let before = inbound_count(app).await;
        let mut req = app
            .anonymous()
            .post(&format!("/channels/{channel}"))
            .header("content-type", "application/json");
        req = match *channel {
            "whatsapp" => req.header("x-hub-signature-256", verify::sign_meta(WA_SECRET, &body)),
            _ => req.header("x-telegram-bot-api-secret-token", TG_SECRET),
        };
        let status = req.body(body.clone()).send().await.unwrap().status();
        assert!(
            [
                StatusCode::OK,
                StatusCode::BAD_REQUEST,
                StatusCode::PAYLOAD_TOO_LARGE
            ]
            .contains(&status),
            "{channel}: {status} for {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        );
        if status != StatusCode::OK {
            refused += 1;
            assert_eq!(
                inbound_count(app).await,
                before,
                "{channel}: refused but stored"
            );
        } else {
            // Accepted: it was still a well-formed update (a changed id or words); a retry of
            // the same body stores nothing more.
            let again = inbound_count(app).await;
            let mut req = app
                .anonymous()
                .post(&format!("/channels/{channel}"))
                .header("content-type", "application/json");
            req = match *channel {
                "whatsapp" => {
                    req.header("x-hub-signature-256", verify::sign_meta(WA_SECRET, &body))
                }
                _ => req.header("x-telegram-bot-api-secret-token", TG_SECRET),
            };
            assert_eq!(
                req.body(body).send().await.unwrap().status(),
                StatusCode::OK
            );
            assert_eq!(inbound_count(app).await, again);
        }
    }
    assert!(refused > 100, "most garbage is refused: {refused}");

    // Forms: the SMS gateway and Twilio, with fields missing, doubled, huge or not UTF-8.
    let before = inbound_count(app).await;
    for body in [
        "from=&text=".to_string(),
        "text=tanpa%20pengirim".to_string(),
        "from=bukan-nomor&text=halo".to_string(),
        "from=%FF%FE&text=%C3%28".to_string(),
        format!("from=%2B6285600000009&text={}", "y".repeat(1_100_000)),
        "%%%===&&&".to_string(),
    ] {
        let status = app
            .anonymous()
            .post(&format!("/channels/sms/{SMS_SECRET}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_client_error(), "sms {body:.60}: {status}");
    }
    let url = app.url("/channels/twilio");
    for params in [
        vec![("From", "+6285600000002")],
        vec![("MessageSid", "SM9"), ("From", "bukan"), ("Body", "x")],
        vec![
            ("MessageSid", "SM9"),
            ("From", "+6285600000002"),
            ("NumMedia", "banyak"),
        ],
    ] {
        let owned: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let sig = verify::sign_twilio(TWILIO_TOKEN, &url, &owned);
        let status = app
            .anonymous()
            .post("/channels/twilio")
            .header("x-twilio-signature", sig)
            .form(&owned)
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_client_error(), "twilio {params:?}: {status}");
    }
    assert_eq!(
        inbound_count(app).await,
        before,
        "no refused form was stored"
    );
}

async fn inbound_count(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) FROM inbound_messages").await
}

async fn messenger_x_and_e_mail_file_reports_too(app: &TestApp) {
    // Messenger: Meta's subscription check and a signed page event.
    let ok = app
        .anonymous()
        .get(&format!(
            "/channels/messenger?hub.mode=subscribe&hub.challenge=7781&hub.verify_token={FB_VERIFY}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.text().await.unwrap(), "7781");
    let page = json!({"object": "page", "entry": [{"id": "1770001", "time": 1764550000000i64, "messaging": [{
        "sender": {"id": "6453000000000001"}, "recipient": {"id": "1770001"}, "timestamp": 1764550000000i64,
        "message": {"mid": "m_FB1", "text": "Puskesmas Candisari tutup saat jam pelayanan, pasien ditolak."}}]}]});
    let raw = serde_json::to_vec(&page).unwrap();
    let post = |sig: String, raw: Vec<u8>| async move {
        app.anonymous()
            .post("/channels/messenger")
            .header("content-type", "application/json")
            .header("x-hub-signature-256", sig)
            .body(raw)
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(
        post(verify::sign_meta("wrong", &raw), raw.clone()).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(verify::sign_meta(FB_SECRET, &raw), raw.clone()).await,
        StatusCode::OK
    );
    assert_eq!(
        post(verify::sign_meta(FB_SECRET, &raw), raw).await,
        StatusCode::OK
    );
    app.run_inbox().await;
    assert_eq!(reports_from(app, "facebook").await, 1, "once");
    assert!(
        app.scalar("SELECT COUNT(*) FROM notifications WHERE action = 'chat_reply' AND channel = 'facebook' AND address = '6453000000000001'")
            .await
            == 1
    );

    // X: the CRC check, then a signed direct message.
    let crc: Value = app
        .anonymous()
        .get("/channels/x?crc_token=tanggap-crc-1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        crc["response_token"],
        verify::sign_x(X_SECRET, b"tanggap-crc-1")
    );
    let dm = json!({"for_user_id": "1500000000", "direct_message_events": [{
        "type": "message_create", "id": "1860000000000000001", "created_timestamp": "1764550000000",
        "message_create": {"sender_id": "2244994945", "target": {"recipient_id": "1500000000"},
            "message_data": {"text": "Lampu lalu lintas Simpang Lima mati sejak pagi."}}}]});
    let raw = serde_json::to_vec(&dm).unwrap();
    let r = app
        .anonymous()
        .post("/channels/x")
        .header(
            "x-twitter-webhooks-signature",
            verify::sign_x(X_SECRET, &raw),
        )
        .body(raw.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .anonymous()
        .post("/channels/x")
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "no signature");
    app.run_inbox().await;
    assert_eq!(reports_from(app, "twitter").await, 1);

    // E-mail posted by the provider, with the shared secret; a reply quoting the tracking ID in
    // its subject joins the report instead of filing another.
    let mail = |id: &str, subject: &str, text: &str| json!({"message_id": id, "from": "Budi <budi.warga@example.id>", "subject": subject, "text": text});
    let send = |body: Value, secret: &'static str| async move {
        app.anonymous()
            .post("/channels/email")
            .header("x-tanggap-webhook-secret", secret)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(
        send(
            mail(
                "<a1@example.id>",
                "Pungli di sekolah",
                "Ada pungutan Rp 500 ribu untuk buku di SMA N 9."
            ),
            "salah"
        )
        .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(
            mail(
                "<a1@example.id>",
                "Pungli di sekolah",
                "Ada pungutan Rp 500 ribu untuk buku di SMA N 9."
            ),
            EMAIL_SECRET
        )
        .await,
        StatusCode::OK
    );
    app.run_inbox().await;
    assert_eq!(reports_from(app, "email").await, 1);
    let tid = tid_in(&last_answer(app, "budi.warga@example.id").await);
    assert_eq!(
        send(
            mail(
                "<a2@example.id>",
                &format!("Re: [{tid}] Laporan diterima"),
                "Kuitansinya saya lampirkan besok.\n\n> kutipan lama"
            ),
            EMAIL_SECRET
        )
        .await,
        StatusCode::OK
    );
    app.run_inbox().await;
    assert_eq!(
        reports_from(app, "email").await,
        1,
        "the reply joined the report"
    );
    let op = app.staff("mail.operator", Role::Operator, None).await;
    let timeline = op.report(&tid).await["timeline"].to_string();
    assert!(
        timeline.contains("Kuitansinya saya lampirkan besok"),
        "{timeline}"
    );
    assert!(!timeline.contains("kutipan lama"), "quoted text is cut");
}
