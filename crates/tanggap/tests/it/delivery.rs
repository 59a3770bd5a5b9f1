//! Replies and notifications leaving Tanggap through the providers' real APIs (a fake provider
//! server that speaks them), on SQLite and PostgreSQL: a WhatsApp conversation whose answers,
//! agency alerts and stage updates are actually delivered; a provider outage that delays but
//! never loses, repeats or reorders a message; dead letters seen and sent again by an operator.

use crate::chat::{WA_SECRET, post_tg, post_wa, tg_update, wa_message, wa_text};
use crate::common::TestApp;
use crate::fakes::FakeProviders;
use chrono::TimeDelta;
use reqwest::StatusCode;
use serde_json::json;
use tanggap_channels::verify;
use tanggap_domain::Role;
use tanggap_service::accounts::UserInput;

crate::with_fakes_on_both!(
    answers_alerts_and_updates_reach_the_phones,
    a_provider_outage_delays_but_never_loses_repeats_or_reorders,
);

const WARGA: &str = "6281234567001";
const HEAD: &str = "6281277700011";

async fn say(app: &TestApp, from: &str, id: &str, text: &str) {
    assert_eq!(post_wa(app, &wa_text(from, id, text)).await, StatusCode::OK);
    app.run_inbox().await;
}

fn tid_in(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || matches!(c, '.' | ',' | '[' | ']' | '/' | '?' | '"'))
        .find(|w| w.starts_with("LG-") && w.len() == 13)
        .unwrap_or_else(|| panic!("no tracking id in {text:?}"))
        .to_string()
}

/// The provider ids the outbox recorded for an address, in the order the messages were queued.
async fn queued_ids(app: &TestApp, address: &str) -> Vec<String> {
    app.texts(&format!(
        "SELECT COALESCE(provider_message_id, '-') FROM notifications WHERE address = '{address}' ORDER BY id"
    ))
    .await
}

async fn head_of_dpu(app: &TestApp) -> i64 {
    app.services
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
        .unwrap()
        .id
}

async fn answers_alerts_and_updates_reach_the_phones(app: &TestApp, fake: &FakeProviders) {
    let head = head_of_dpu(app).await;
    // A photo with a caption: the photo is fetched through the media API and checked like an
    // upload; the answer goes out as a free-form text (the citizen just wrote).
    fake.add_media("MEDIA-4471", crate::common::jpeg_with_exif());
    let photo = wa_message(
        WARGA,
        json!({"from": WARGA, "id": "wamid.P1", "timestamp": "1764550000", "type": "image",
               "image": {"id": "MEDIA-4471", "mime_type": "image/jpeg", "sha256": "x",
                         "caption": "Jembatan Kali Garang retak dan miring, truk masih lewat."}}),
    );
    assert_eq!(post_wa(app, &photo).await, StatusCode::OK);
    app.run_inbox().await;
    let d = app.deliver().await;
    assert_eq!(d.failed + d.retried, 0, "{d:?}");
    let to_warga = fake.delivered_to(WARGA);
    assert_eq!(to_warga.len(), 1, "{to_warga:?}");
    assert!(!to_warga[0].template);
    let tid = tid_in(&to_warga[0].text);
    let op = app.staff("kirim.operator", Role::Operator, None).await;
    let r = op.report(&tid).await;
    assert_eq!(r["channel"], "whatsapp");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM attachments a JOIN reports r ON r.id = a.report_id WHERE r.tracking_id = '{tid}'"
        ))
        .await,
        1,
        "the photo was fetched and kept"
    );

    // Dispatched: the reporter hears of it; the agency's head hears on their registered phone,
    // as the approved template (they never wrote to us), with how to answer.
    op.act(
        &format!("/api/v1/reports/{tid}/verify"),
        json!({"title": "Jembatan Kali Garang retak dan miring"}),
    )
    .await;
    op.act(
        &format!("/api/v1/reports/{tid}/dispatch"),
        json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}]}),
    )
    .await;
    app.deliver().await;
    let to_head = fake.delivered_to(HEAD);
    assert_eq!(to_head.len(), 1, "{to_head:?}");
    assert!(
        to_head[0].template,
        "outside the 24-hour window: the template"
    );
    assert!(to_head[0].text.contains(&tid) && to_head[0].text.contains("Jembatan Kali Garang"));
    assert!(
        to_head[0].text.contains("Jawab dari ponsel ini"),
        "{}",
        to_head[0].text
    );
    assert!(
        !to_head[0].text.contains(WARGA),
        "the reporter's number is not the agency's business"
    );
    let to_warga = fake.delivered_to(WARGA);
    assert_eq!(to_warga.len(), 2);
    assert!(
        to_warga[1].text.contains("didisposisikan"),
        "{}",
        to_warga[1].text
    );

    // The desk answers the reporter from the report page: it goes out on WhatsApp.
    let html = op
        .get(&format!("/kelola/{tid}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("melalui WhatsApp"),
        "the page says where the message goes"
    );
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("aksi", "pesan")
        .text(
            "text",
            "Terima kasih, laporan Anda sudah kami teruskan ke DPU Bina Marga.",
        );
    let r = op
        .post(&format!("/kelola/{tid}/aksi"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    app.deliver().await;
    let to_warga = fake.delivered_to(WARGA);
    assert_eq!(to_warga.len(), 3, "{to_warga:?}");
    assert!(
        to_warga[2]
            .text
            .contains("sudah kami teruskan ke DPU Bina Marga"),
        "{}",
        to_warga[2].text
    );

    // The head answers from the phone: the stage is posted as them, the reporter is told.
    app.advance(TimeDelta::hours(3));
    say(
        app,
        HEAD,
        "wamid.H1",
        &format!("{tid} cek lapangan tim sudah meluncur"),
    )
    .await;
    app.deliver().await;
    let to_head = fake.delivered_to(HEAD);
    assert_eq!(to_head.len(), 2);
    assert!(
        !to_head[1].template,
        "the head just wrote: a free-form text"
    );
    assert!(to_head[1].text.contains("tercatat"), "{}", to_head[1].text);
    let to_warga = fake.delivered_to(WARGA);
    assert_eq!(to_warga.len(), 4);
    assert!(
        to_warga[3].text.contains("Cek lapangan"),
        "{}",
        to_warga[3].text
    );
    assert!(to_warga[3].text.contains("tim sudah meluncur"));
    let r = op.report(&tid).await;
    assert!(r["assignments"][0]["first_response_at"].is_string());
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'assignment.stage_changed' AND actor = 'user:{head}'"
        ))
        .await,
        1
    );

    // Delivery receipts land on the notification they name; a late older one changes nothing.
    let receipt = |id: &str, status: &str, ts: i64| {
        json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "6281100000000", "phone_number_id": "106540352242922"},
            "statuses": [{"id": id, "status": status, "timestamp": ts.to_string(), "recipient_id": WARGA}]}}]}]})
    };
    let now = app.now().timestamp();
    let first_id = &fake.delivered_to(WARGA)[0].id;
    for (status, ts) in [
        ("delivered", now - 60),
        ("read", now - 30),
        ("delivered", now - 50),
    ] {
        assert_eq!(
            post_wa(app, &receipt(first_id, status, ts)).await,
            StatusCode::OK
        );
    }
    assert_eq!(
        app.texts(&format!(
            "SELECT delivery_status FROM notifications WHERE provider_message_id = '{first_id}'"
        ))
        .await,
        ["read"]
    );
    // A receipt signed with another secret is refused like any forged request.
    let raw = serde_json::to_vec(&receipt(first_id, "failed", now)).unwrap();
    let forged = app
        .anonymous()
        .post("/channels/whatsapp")
        .header(
            "x-hub-signature-256",
            verify::sign_meta("not-the-secret", &raw),
        )
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        post_wa(app, &receipt("wamid.unknown", "read", now)).await,
        StatusCode::OK
    );
    // Receipts never become messages or reports.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM reports WHERE channel = 'whatsapp'")
            .await,
        1
    );
    // An SMS through the gateway is answered through the gateway's send URL.
    let r = app
        .anonymous()
        .get(&format!(
            "/channels/sms/{}?from=085600000001&text=Air%20PDAM%20mati%20tiga%20hari%20di%20Banyumanik&id=gw-77",
            crate::chat::SMS_SECRET
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    app.run_inbox().await;
    app.deliver().await;
    let sms = fake.delivered_to("+6285600000001");
    assert_eq!(sms.len(), 1, "{:?}", fake.delivered());
    assert_eq!(sms[0].provider, "sms");
    assert!(sms[0].text.contains("LG-"), "{}", sms[0].text);

    // Everything queued went out; nothing is waiting or dead.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM notifications WHERE status NOT IN ('sent', 'read')")
            .await,
        0
    );
    let _ = WA_SECRET;
}

async fn a_provider_outage_delays_but_never_loses_repeats_or_reorders(
    app: &TestApp,
    fake: &FakeProviders,
) {
    const BROKEN: &str = "6281299900077";
    fake.set_down(true);
    fake.keep_failing(BROKEN, true);
    // Two WhatsApp citizens and a Telegram one write while every send fails.
    say(
        app,
        WARGA,
        "wamid.O1",
        "Lampu PJU di Jalan Pemuda mati sepanjang 200 meter sejak seminggu.",
    )
    .await;
    say(
        app,
        WARGA,
        "wamid.O2",
        "Tepatnya di depan Pasar Johar, gelap sekali malam hari.",
    )
    .await;
    say(app, WARGA, "wamid.O3", "status").await;
    say(
        app,
        BROKEN,
        "wamid.B1",
        "Sekolah memungut biaya seragam Rp 1,2 juta, padahal dilarang.",
    )
    .await;
    for (n, text) in [
        (1, "Bantuan PKH ibu saya belum cair tiga bulan."),
        (2, "status"),
    ] {
        assert_eq!(
            post_tg(
                app,
                &tg_update(9100 + n, 5550001, text),
                Some(crate::chat::TG_SECRET)
            )
            .await,
            StatusCode::OK
        );
        app.run_inbox().await;
    }
    // An hour of outage: the outbox keeps trying, with backoff.
    for _ in 0..6 {
        let d = app.deliver().await;
        assert_eq!(d.sent, 0, "{d:?}");
        app.advance(TimeDelta::minutes(10));
    }
    assert!(fake.delivered().is_empty());
    let tries = fake.errors();
    assert!(tries >= 6, "the outbox kept trying: {tries}");
    // One message per address at a time: the citizen's later answers waited behind the first.
    assert!(
        app.scalar(&format!(
            "SELECT CAST(MAX(attempts) AS BIGINT) FROM notifications WHERE address = '+{WARGA}' AND id > (SELECT MIN(id) FROM notifications WHERE address = '+{WARGA}')"
        ))
        .await
            == 0,
        "later messages to an address are not tried before the first goes out"
    );

    // The provider recovers: everything goes out once, in order per address.
    fake.set_down(false);
    for _ in 0..30 {
        app.deliver().await;
        app.advance(TimeDelta::minutes(10));
    }
    let to_warga = fake.delivered_to(WARGA);
    assert_eq!(to_warga.len(), 3, "{to_warga:?}");
    assert!(
        to_warga[0].text.contains("kami terima"),
        "{}",
        to_warga[0].text
    );
    assert!(
        to_warga[1].text.contains("ditambahkan"),
        "{}",
        to_warga[1].text
    );
    let ids: Vec<String> = to_warga.iter().map(|d| d.id.clone()).collect();
    assert_eq!(
        queued_ids(app, &format!("+{WARGA}")).await,
        ids,
        "in order, each once"
    );
    let to_tg = fake.delivered_to("5550001");
    assert_eq!(to_tg.len(), 2, "{to_tg:?}");
    let ids: Vec<String> = to_tg.iter().map(|d| d.id.clone()).collect();
    assert_eq!(queued_ids(app, "5550001").await, ids);

    // A number the provider refuses for good is dead-lettered at the first answer.
    const REFUSED: &str = "6281255500031";
    fake.refuse(REFUSED);
    say(
        app,
        REFUSED,
        "wamid.R1",
        "Pelayanan KTP di kecamatan meminta uang pelicin.",
    )
    .await;
    app.deliver().await;
    assert_eq!(
        app.texts(&format!(
            "SELECT status || ' ' || CAST(attempts AS TEXT) FROM notifications WHERE address = '+{REFUSED}'"
        ))
        .await,
        ["dead 1"]
    );

    // The broken number exhausted its attempts: a dead letter, on the operators' page, without
    // the number or the words.
    assert!(fake.delivered_to(BROKEN).is_empty());
    assert_eq!(
        app.texts(&format!(
            "SELECT status FROM notifications WHERE address = '+{BROKEN}'"
        ))
        .await,
        ["dead"]
    );
    let admin = app.staff("kotak.admin", Role::Admin, None).await;
    let page = admin.get("/admin/kotak-keluar").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let tid = app
        .texts(&format!(
            "SELECT r.tracking_id FROM notifications n JOIN reports r ON r.id = n.report_id WHERE n.address = '+{BROKEN}'"
        ))
        .await
        .remove(0);
    assert!(html.contains(&tid) && html.contains("whatsapp"), "{html}");
    assert!(
        !html.contains(BROKEN) && !html.contains("seragam"),
        "no number, no words"
    );
    // Agencies do not see the outbox.
    let officer = app
        .staff("kotak.petugas", Role::Petugas, Some("dinkes"))
        .await;
    assert_eq!(
        officer
            .get("/admin/kotak-keluar")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );

    // The number works again; the operator sends it again from the page: delivered once.
    fake.keep_failing(BROKEN, false);
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let id = app
        .texts(&format!(
            "SELECT CAST(id AS TEXT) FROM notifications WHERE address = '+{BROKEN}'"
        ))
        .await
        .remove(0);
    let r = admin
        .post("/admin/kotak-keluar/ulang")
        .form(&[("csrf", csrf.as_str()), ("id", id.as_str())])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    app.deliver().await;
    app.deliver().await;
    assert_eq!(fake.delivered_to(BROKEN).len(), 1);
    let html = admin
        .get("/admin/kotak-keluar")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains(&tid), "sent: no longer a dead letter");
    assert!(
        !html.contains("pelicin") && html.contains("whatsapp"),
        "{html}"
    );
    // "Send all again" while the provider still refuses: tried once more, dead again.
    let r = admin
        .post("/admin/kotak-keluar/ulang")
        .form(&[("csrf", csrf.as_str()), ("id", "semua")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection());
    app.deliver().await;
    assert_eq!(
        app.texts(&format!(
            "SELECT status || ' ' || CAST(attempts AS TEXT) FROM notifications WHERE address = '+{REFUSED}'"
        ))
        .await,
        ["dead 1"]
    );
    assert!(fake.delivered_to(REFUSED).is_empty());
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'notification.retried'")
            .await,
        2
    );
}
