//! Injection (issue 17), the doors `injection.rs` leaves out: Facebook Messenger, X and Twilio
//! in their providers' formats with real signatures, an agency system's signed update through
//! the webhook connector, the names an administrator gives (categories, holidays, users, an
//! agency) through the API and the admin page, and the `tanggap` command line. The same corpus
//! and the same rules as `injection.rs`: stored as the text rules say or refused with a field
//! error, shown as text wherever it appears, sent as plain text, and the database whole after.

use crate::chat::{FB_SECRET, X_SECRET};
use crate::cli::{run, tanggap};
use crate::common::{Caller, TestApp, csrf, problem};
use crate::fakes::FakeProviders;
use crate::injection::{
    as_chat, as_line, as_long, assert_inert, assert_shows, assert_well_formed, chat_title, corpus,
    csv_rows, deliver_all, dispatch, field_codes, inert, name_of, newest_from, note, page,
    refused_in_line, staff, starts_like_formula, title_chunks, unescape, xml_elements,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tanggap_channels::verify;
use tanggap_domain::Role;

crate::with_fakes_on_both!(
    messenger_x_and_twilio_keep_the_corpus_as_text,
    an_agency_systems_update_keeps_the_corpus_as_text,
    names_an_admin_gives_are_shown_as_text_everywhere,
);

fn body_of(chunk: &str, note: &str) -> String {
    format!("{chunk}\n{note}\nSelesai.")
}

async fn post_messenger(app: &TestApp, sender: &str, mid: &str, text: &str) {
    let page = json!({"object": "page", "entry": [{"id": "1770001", "time": 1764550000000i64, "messaging": [{
        "sender": {"id": sender}, "recipient": {"id": "1770001"}, "timestamp": 1764550000000i64,
        "message": {"mid": mid, "text": text}}]}]});
    let raw = serde_json::to_vec(&page).unwrap();
    let r = app
        .anonymous()
        .post("/channels/messenger")
        .header("content-type", "application/json")
        .header("x-hub-signature-256", verify::sign_meta(FB_SECRET, &raw))
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

async fn post_x(app: &TestApp, sender: &str, id: &str, name: &str, text: &str) {
    let dm = json!({"for_user_id": "1500000000", "direct_message_events": [{
        "type": "message_create", "id": id, "created_timestamp": "1764550000000",
        "message_create": {"sender_id": sender, "target": {"recipient_id": "1500000000"},
            "message_data": {"text": text}}}],
        "users": {sender: {"id": sender, "name": name, "screen_name": "warga"}}});
    let raw = serde_json::to_vec(&dm).unwrap();
    let r = app
        .anonymous()
        .post("/channels/x")
        .header(
            "x-twitter-webhooks-signature",
            verify::sign_x(X_SECRET, &raw),
        )
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// Twilio's form, signed over the URL it called and the sorted fields.
async fn post_twilio(app: &TestApp, from: &str, sid: &str, text: &str) {
    let params = vec![
        ("AccountSid".to_string(), "AC0000".to_string()),
        ("Body".to_string(), text.to_string()),
        ("From".to_string(), from.to_string()),
        ("MessageSid".to_string(), sid.to_string()),
        ("NumMedia".to_string(), "0".to_string()),
        ("To".to_string(), "+6281100000000".to_string()),
    ];
    let sig = crate::chat::twilio_signature(app, &params);
    let r = app
        .anonymous()
        .post("/channels/twilio")
        .header("x-twilio-signature", &sig)
        .form(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// A chat report as it must be stored.
struct Chat {
    channel: &'static str,
    address: String,
    tid: String,
    title: String,
    body: String,
    name: Option<String>,
}

/// The report the inbox files from a chat message, and what it must be stored as.
async fn filed_from(
    app: &TestApp,
    channel: &'static str,
    address: String,
    sent: &str,
    name: Option<String>,
) -> Chat {
    app.run_inbox().await;
    Chat {
        channel,
        address,
        tid: newest_from(app, channel).await,
        title: chat_title(&as_chat(sent)),
        body: as_chat(sent),
        name,
    }
}

async fn messenger_x_and_twilio_keep_the_corpus_as_text(app: &TestApp, fake: &FakeProviders) {
    let corpus = corpus();
    let chunks = title_chunks(&corpus);
    let note = note(&corpus);
    let s = staff(app).await;
    let mut filed: Vec<Chat> = Vec::new();
    // Each channel twice, with different chunks leading the message (X's sender name is a
    // chunk too).
    for k in 0..2 {
        let body = body_of(&chunks[k % chunks.len()], &note);
        let sender = format!("645300000000010{k}");
        post_messenger(app, &sender, &format!("m_INJ{k}"), &body).await;
        filed.push(filed_from(app, "facebook", sender, &body, None).await);

        let chunk = &chunks[(k + 2) % chunks.len()];
        let body = body_of(chunk, &note);
        let sender = format!("224499494{k}");
        let name = name_of(chunk);
        post_x(app, &sender, &format!("18600000000000010{k}"), &name, &body).await;
        filed.push(filed_from(app, "twitter", sender, &body, Some(as_line(&name))).await);

        let body = body_of(&chunks[(k + 4) % chunks.len()], &note);
        let from = format!("+62856000009{k:02}");
        post_twilio(app, &from, &format!("SMINJ{k}"), &body).await;
        filed.push(filed_from(app, "sms", from, &body, None).await);
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM reports").await,
        filed.len() as i64,
        "one report per message"
    );
    // The first Messenger and X reporters write again: a reply on their report, kept as sent.
    post_messenger(app, &filed[0].address, "m_INJ-R", &note).await;
    post_x(app, &filed[1].address, "1860000000000000199", "x", &note).await;
    post_twilio(app, &filed[2].address, "SMINJ-R", &note).await;
    app.run_inbox().await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM reports").await,
        filed.len() as i64,
        "a reply files nothing new"
    );

    for f in &filed {
        let what = format!("{} {}", f.channel, f.tid);
        let r = s.op.report(&f.tid).await;
        assert_eq!(r["title"].as_str(), Some(f.title.as_str()), "{what}: title");
        assert_eq!(r["body"].as_str(), Some(f.body.as_str()), "{what}: body");
        if let Some(n) = &f.name {
            assert_eq!(r["reporter"]["name"].as_str(), Some(n.as_str()), "{what}");
        }
        dispatch(&s.op, &f.tid).await;
    }
    for f in &filed[..3] {
        let notes: Vec<String> = s.op.report(&f.tid).await["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a["note"].as_str().map(str::to_string))
            .collect();
        assert!(
            notes.contains(&as_chat(&note)),
            "{}: the reply is not kept exactly: {notes:?}",
            f.channel
        );
    }
    // The desk writes to each reporter with the whole corpus.
    for f in &filed[..3] {
        s.op.act(
            &format!("/api/v1/reports/{}/messages", f.tid),
            json!({ "text": note }),
        )
        .await;
    }

    // Every page that shows them: the desk's, the agency's, the public's.
    let public = app.anonymous();
    for f in &filed {
        let what = format!("{} {}", f.channel, f.tid);
        let mut shows = vec![f.title.as_str(), f.body.as_str()];
        let html = page(&public, &format!("/lacak/{}", f.tid)).await;
        assert_inert(&format!("/lacak of {what}"), &html, &corpus);
        assert_shows(&format!("/lacak of {what}"), &html, &shows);
        if let Some(n) = &f.name {
            shows.push(n);
        }
        for c in [&s.op, &s.dpu] {
            let html = page(c, &format!("/kelola/{}", f.tid)).await;
            assert_inert(&format!("/kelola of {what}"), &html, &corpus);
            assert_shows(&format!("/kelola of {what}"), &html, &shows);
        }
    }
    for (c, path) in [
        (&s.op, "/meja?status=semua"),
        (&s.dpu, "/instansi"),
        (&public, "/?wilayah=33.74"),
    ] {
        let html = page(c, path).await;
        assert_inert(path, &html, &corpus);
    }
    // Open311 shows them to other systems exactly, the XML well-formed.
    for f in &filed {
        let xml = page(&public, &format!("/open311/v2/requests/{}.xml", f.tid)).await;
        assert_well_formed(&xml);
        assert_eq!(xml_elements(&xml, "description"), [f.body.as_str()]);
    }

    // The answers go out through the providers' send APIs as plain text: the receipts name
    // the tracking ID, and the desk's message reaches each reporter as written.
    deliver_all(app).await;
    assert_eq!(fake.errors(), 0);
    let delivered = fake.delivered();
    for (f, provider) in filed.iter().zip(["messenger", "x", "sms"].iter().cycle()) {
        let texts: Vec<&str> = delivered
            .iter()
            .filter(|d| d.provider == *provider && d.to == f.address)
            .map(|d| d.text.as_str())
            .collect();
        assert!(
            texts.iter().any(|t| t.contains(&f.tid)),
            "{} {}: no receipt in {texts:?}",
            f.channel,
            f.tid
        );
    }
    for (f, provider) in filed[..3].iter().zip(["messenger", "x", "sms"]) {
        let texts: Vec<String> = delivered
            .iter()
            .filter(|d| d.provider == provider && d.to == f.address)
            .map(|d| d.text.clone())
            .collect();
        // A chat message is split where the provider's limit says; joined, it holds the note.
        let joined = texts.join("\n");
        for line in as_long(&note).lines().filter(|l| !l.trim().is_empty()) {
            assert!(
                joined.contains(line.trim()),
                "{provider} to {}: {line:?} is not in {texts:?}",
                f.address
            );
        }
        for t in &texts {
            assert!(
                !t.contains("&lt;script&gt;") && !t.contains("&quot;"),
                "{provider}: a chat message is text, not HTML: {t:?}"
            );
        }
    }
    app.services.verify_audit_chain().await.unwrap();
}

// ----- the webhook connector ----------------------------------------------------------------------

async fn an_agency_systems_update_keeps_the_corpus_as_text(app: &TestApp, _fake: &FakeProviders) {
    use crate::connectors::{KAB, SECRET, connectors, post_update, receiver, set_connector};
    let corpus = corpus();
    let chunks = title_chunks(&corpus);
    let note = note(&corpus);
    let (url, rx) = receiver().await;
    set_connector(app, "webhook", &url, Some(SECRET)).await;
    // The province forwarded the report a minute ago (the agency's answer must come after).
    let sent_at = chrono::Utc::now() - chrono::TimeDelta::minutes(1);
    app.clock.set(sent_at);
    let mut report = crate::common::complaint("x");
    let title = chunks[0].clone();
    let body = body_of(&chunks[1], &note);
    report["title"] = json!(title);
    report["body"] = json!(body);
    report["address"] = json!(chunks[2]);
    let (tid, _) = app.submit(report).await;
    let op = app.staff("inj.op", Role::Operator, None).await;
    op.act(
        &format!("/api/v1/reports/{tid}/dispatch"),
        json!({"agencies": [{"agency_id": KAB, "role": "utama"}], "note": note}),
    )
    .await;
    let jobs = connectors(app, None);
    let r = jobs.run(app.now()).await.unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
    // The agency's system receives the text exactly, in JSON.
    let doc = rx.documents.lock().unwrap()[0].clone();
    assert_eq!(
        doc["title"].as_str(),
        Some(as_line(&title).as_str()),
        "{doc}"
    );
    assert_eq!(doc["description"].as_str(), Some(as_long(&body).as_str()));
    let reference = doc["reference"].as_str().unwrap().to_string();

    app.clock.set(chrono::Utc::now());
    let at = (sent_at + chrono::TimeDelta::seconds(1)).to_rfc3339();
    let stage_before = op.report(&tid).await["assignments"][0]["stage"].clone();
    // Hostile statuses, references and update ids are refused or left unmapped, never a
    // failure, and change nothing.
    for (k, p) in corpus.iter().enumerate() {
        for update in [
            json!({"update_id": format!("u-{k}"), "reference": reference, "status": p.text, "updated_at": at}),
            json!({"update_id": format!("r-{k}"), "reference": p.text, "status": "CEK_LAPANGAN", "updated_at": at}),
            json!({"update_id": format!("t-{k}"), "reference": reference, "status": "CEK_LAPANGAN", "updated_at": p.text}),
        ] {
            let (status, v) = post_update(app, &update, SECRET, chrono::Utc::now()).await;
            assert!(
                status.is_client_error() || v["outcome"] == "unmapped_status",
                "{}: {status} {v}",
                p.name
            );
        }
        let (status, v) = post_update(
            app,
            &json!({"update_id": p.text, "reference": reference, "status": "DIPROSES_X", "updated_at": at}),
            SECRET,
            chrono::Utc::now(),
        )
        .await;
        assert!(!status.is_server_error(), "{}: {status} {v}", p.name);
    }
    assert_eq!(
        op.report(&tid).await["assignments"][0]["stage"],
        stage_before,
        "nothing moved the stage"
    );
    // The agency's progress with the whole corpus as its description.
    let update = json!({"update_id": "'; DROP TABLE remote_updates; --", "reference": reference,
        "status": "CEK_LAPANGAN", "description": note, "updated_at": at});
    let (status, v) = post_update(app, &update, SECRET, chrono::Utc::now()).await;
    assert_eq!(
        (status, v["outcome"].as_str()),
        (StatusCode::OK, Some("recorded")),
        "{v}"
    );
    let r = op.report(&tid).await;
    assert_eq!(r["assignments"][0]["stage"], "cek_lapangan");
    let expected = r["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["note"].as_str())
        .find(|n| n.starts_with(&format!("{}\n\n(Dari sistem ", as_long(&note))))
        .unwrap_or_else(|| panic!("the update's note: {}", r["timeline"]))
        .to_string();
    assert!(expected.ends_with(".)"), "{expected}");
    // A control character in the description is refused with the field named.
    let bad = json!({"update_id": "simpel-cc", "reference": reference, "status": "PENGERJAAN",
        "description": "Sedang dikerjakan\u{1b}[2J", "updated_at": at});
    let (status, v) = post_update(app, &bad, SECRET, chrono::Utc::now()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(field_codes(&v), ["description:control_characters"], "{v}");

    let public = app.anonymous();
    let dpu = app.staff("inj.kab", Role::Petugas, Some(KAB)).await;
    for (who, c, path) in [
        ("the desk", &op, format!("/kelola/{tid}")),
        ("the kabupaten", &dpu, format!("/kelola/{tid}")),
        ("the public", &public, format!("/lacak/{tid}")),
    ] {
        let html = page(c, &path).await;
        assert_inert(&format!("{who} on {path}"), &html, &corpus);
        assert_shows(
            &format!("{who} on {path}"),
            &html,
            &[as_line(&title).as_str(), as_long(&note).as_str()],
        );
    }
    let feed = page(&public, "/open311/v2/servicerequestupdates.xml").await;
    assert_well_formed(&feed);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM reports").await,
        1,
        "the report is there, once"
    );
    app.services.verify_audit_chain().await.unwrap();
}

// ----- names the administrator gives --------------------------------------------------------------

/// The CSRF token of the admin page.
async fn admin_token(admin: &Caller) -> String {
    csrf(&page(admin, "/admin").await)
}

/// Posts one of the admin page's forms; the client follows the redirect to the page, which
/// shows the outcome.
async fn admin_form(admin: &Caller, path: &str, fields: &[(&str, &str)]) -> String {
    let token = admin_token(admin).await;
    let mut all = vec![("csrf", token.as_str())];
    all.extend_from_slice(fields);
    let r = admin.post(path).form(&all).send().await.unwrap();
    let status = r.status();
    let html = r.text().await.unwrap();
    assert_eq!(
        status,
        StatusCode::OK,
        "{path}: {}",
        &html[..html.len().min(2000)]
    );
    html
}

async fn names_an_admin_gives_are_shown_as_text_everywhere(app: &TestApp, _fake: &FakeProviders) {
    let corpus = corpus();
    let chunks = title_chunks(&corpus);
    let pick = |k: usize| chunks[k % chunks.len()].clone();
    let s = staff(app).await;
    let admin = &s.admin;
    let (cat_id, cat_en, holiday, api_user, form_user, agency) =
        (pick(0), pick(1), pick(2), pick(3), pick(4), pick(5));
    let keyword = corpus
        .iter()
        .map(|p| p.text.as_str())
        .find(|t| starts_like_formula(t) && !refused_in_line(t))
        .unwrap()
        .to_string();

    // Refused with the field named, through the API and the admin page, for every control
    // character of the corpus; nothing changes.
    let categories_before: Value = admin.get_json("/api/v1/categories").await;
    for p in corpus.iter().filter(|p| refused_in_line(&p.text)) {
        let t = format!("Nama {}", p.text);
        for (path, body, field) in [
            (
                "/api/v1/categories/jalan-jembatan",
                json!({"name_id": t, "name_en": "Roads", "default_agency_id": "dpu-bmck", "needs_field_check": true}),
                "name_id",
            ),
            (
                "/api/v1/holidays/2026-12-24",
                json!({"kind": "cuti_bersama", "name": t}),
                "name",
            ),
        ] {
            let r = admin.put(path).json(&body).send().await.unwrap();
            let (status, v) = problem(r).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {v}", p.name);
            assert!(
                field_codes(&v).contains(&format!("{field}:control_characters")),
                "{}: {v}",
                p.name
            );
        }
        let r = admin
            .post("/api/v1/users")
            .json(
                &json!({"username": "inj.tolak", "display_name": t, "role": "petugas",
                "agency_id": "dpu-bmck", "password": "kata-sandi-yang-panjang"}),
            )
            .send()
            .await
            .unwrap();
        let (status, v) = problem(r).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {v}", p.name);
        assert!(
            field_codes(&v).contains(&"display_name:control_characters".to_string()),
            "{v}"
        );
        let html = admin_form(
            admin,
            "/admin/pengguna",
            &[
                ("username", "inj.tolak"),
                ("display_name", &t),
                ("role", "petugas"),
                ("agency_id", "dpu-bmck"),
                ("password", "kata-sandi-yang-panjang"),
            ],
        )
        .await;
        assert!(html.contains("karakter kendali"), "{}", p.name);
        assert_inert(&format!("/admin refusing {}", p.name), &html, &corpus);
    }
    let categories_after: Value = admin.get_json("/api/v1/categories").await;
    assert_eq!(
        categories_before, categories_after,
        "nothing refused was kept"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM users WHERE username = 'inj.tolak'")
            .await,
        0
    );

    // Accepted: the category's names and a keyword, a holiday, a user through the API and
    // one through the page, the agency's name through the page.
    let r = admin
        .put("/api/v1/categories/jalan-jembatan")
        .json(
            &json!({"name_id": cat_id, "name_en": cat_en, "default_agency_id": "dpu-bmck",
            "needs_field_check": true, "keywords": ["jalan", keyword]}),
        )
        .send()
        .await
        .unwrap();
    let (status, v) = problem(r).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["name_id"].as_str(), Some(as_line(&cat_id).as_str()));
    let r = admin
        .put("/api/v1/holidays/2026-12-24")
        .json(&json!({"kind": "cuti_bersama", "name": holiday}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let r = admin
        .post("/api/v1/users")
        .json(
            &json!({"username": "inj.api", "display_name": api_user, "role": "petugas",
            "agency_id": "dpu-bmck", "password": "kata-sandi-yang-panjang"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    let html = admin_form(
        admin,
        "/admin/pengguna",
        &[
            ("username", "inj.form"),
            ("display_name", &form_user),
            ("role", "operator"),
            ("agency_id", ""),
            ("password", "kata-sandi-yang-panjang"),
        ],
    )
    .await;
    assert!(
        html.contains("Pengguna inj.form dibuat."),
        "the form took it"
    );
    let html = admin_form(
        admin,
        "/admin/instansi",
        &[
            ("id", "dpu-bmck"),
            ("name", &agency),
            ("head_name", &form_user),
            ("active", "on"),
        ],
    )
    .await;
    assert_inert("/admin after the agency's edit", &html, &corpus);
    assert!(
        unescape(&html).contains(&format!("{} disimpan.", as_line(&agency))),
        "the agency's name is said back as text"
    );

    // A report in the category, dispatched to the agency, moved by the API user and the form
    // user (they act on it, so their names are on its history).
    let (tid, secret) = app
        .submit(crate::common::complaint("Jalan berlubang di depan pasar"))
        .await;
    let petugas = first_login(app, "inj.api").await;
    let operator = first_login(app, "inj.form").await;
    dispatch(&operator, &tid).await;
    let aid = s.op.report(&tid).await["assignments"][0]["id"]
        .as_i64()
        .unwrap();
    petugas
        .act(
            &format!("/api/v1/reports/{tid}/assignments/{aid}/updates"),
            json!({"stage": "verifikasi", "note": "Sedang dicek."}),
        )
        .await;

    // Read back as JSON exactly.
    let cats: Value = app.anonymous().get_json("/api/v1/categories").await;
    let cat = cats
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "jalan-jembatan")
        .unwrap();
    assert_eq!(cat["name_id"].as_str(), Some(as_line(&cat_id).as_str()));
    assert_eq!(cat["name_en"].as_str(), Some(as_line(&cat_en).as_str()));
    let holidays: Value = app.anonymous().get_json("/api/v1/holidays").await;
    assert!(
        holidays
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["name"].as_str() == Some(as_line(&holiday).as_str())),
        "{holidays}"
    );
    let r = s.op.report(&tid).await;
    assert_eq!(
        r["assignments"][0]["agency_name"]
            .as_str()
            .or(r["assignments"][0]["agency"].as_str()),
        Some(as_line(&agency).as_str()),
        "{}",
        r["assignments"]
    );

    // Every page that shows the names, as text.
    let public = app.anonymous();
    let (cat_shown, agency_shown, api_shown, form_shown, holiday_shown) = (
        as_line(&cat_id),
        as_line(&agency),
        as_line(&api_user),
        as_line(&form_user),
        as_line(&holiday),
    );
    for (who, c, path, shows) in [
        (
            "the admin",
            admin,
            "/admin".to_string(),
            vec![
                cat_shown.as_str(),
                agency_shown.as_str(),
                api_shown.as_str(),
                form_shown.as_str(),
                holiday_shown.as_str(),
            ],
        ),
        (
            "the desk",
            &s.op,
            format!("/kelola/{tid}"),
            vec![
                cat_shown.as_str(),
                agency_shown.as_str(),
                api_shown.as_str(),
                form_shown.as_str(),
            ],
        ),
        (
            "the agency",
            &s.dpu,
            format!("/kelola/{tid}"),
            vec![cat_shown.as_str(), agency_shown.as_str()],
        ),
        (
            "the public",
            &public,
            format!("/lacak/{tid}"),
            vec![agency_shown.as_str()],
        ),
        (
            "the reporter",
            &public,
            format!("/lacak/{tid}?kunci={secret}"),
            vec![agency_shown.as_str()],
        ),
        (
            "the citizen's form",
            &public,
            "/lapor".to_string(),
            vec![cat_shown.as_str()],
        ),
        ("the desk", &s.op, "/meja".to_string(), vec![]),
        ("the agency", &s.dpu, "/instansi".to_string(), vec![]),
        (
            "the head",
            &s.head,
            "/instansi/dasbor".to_string(),
            vec![agency_shown.as_str()],
        ),
        (
            "leadership",
            &s.sekda,
            "/pimpinan?periode=30".to_string(),
            vec![agency_shown.as_str()],
        ),
        (
            "the public",
            &public,
            "/statistik".to_string(),
            vec![agency_shown.as_str()],
        ),
        ("the public", &public, "/?wilayah=33.74".to_string(), vec![]),
    ] {
        let html = page(c, &path).await;
        assert_inert(&format!("{who} on {path}"), &html, &corpus);
        assert_shows(&format!("{who} on {path}"), &html, &shows);
    }
    // Open311's service list: the name exact, the XML well-formed.
    let services: Value = public.get_json("/open311/v2/services.json").await;
    assert!(
        services
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["service_code"] == "jalan-jembatan"
                && s["service_name"].as_str() == Some(cat_shown.as_str())),
        "{services}"
    );
    let xml = page(&public, "/open311/v2/services.xml").await;
    assert_well_formed(&xml);
    assert!(
        xml_elements(&xml, "service_name").contains(&cat_shown),
        "the XML names the category exactly"
    );
    // Open data: the category and the agency made inert in the CSV.
    let rows = csv_rows(&public, "/data-terbuka.csv").await;
    let header = rows[0].clone();
    let row = rows
        .iter()
        .find(|r| r.contains(&tid))
        .unwrap_or_else(|| panic!("{tid} in open data"));
    for (i, h) in header.iter().enumerate() {
        let cell = &row[i];
        if starts_like_formula(cell) {
            panic!("{h}: {cell:?} would be a formula");
        }
    }
    assert!(
        row.contains(&inert(&agency_shown)),
        "the agency's name, inert: {row:?}"
    );
    // Nothing of the reporter in what the admin changed, and the chain intact.
    app.services.verify_audit_chain().await.unwrap();
}

/// Logs in with the password the admin set and chooses a new one, as a new user must.
async fn first_login(app: &TestApp, username: &str) -> Caller {
    let c = Caller::login_at(&app.base, username, "kata-sandi-yang-panjang").await;
    let r = c
        .post("/api/v1/me/password")
        .json(&json!({"current_password": "kata-sandi-yang-panjang", "new_password": "kata-sandi-pilihan-sendiri"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    Caller::login_at(&app.base, username, "kata-sandi-pilihan-sendiri").await
}

// ----- the command line ---------------------------------------------------------------------------

/// The operator's commands take the corpus as names: a string with a control character is
/// refused with one line and a non-zero exit (a NUL cannot be an argument at all), the others
/// are kept exactly as the web's rules say and printed back without an escape sequence of
/// their own; the audit trail stays intact.
#[test]
fn the_command_line_takes_the_corpus_as_names() {
    let corpus = corpus();
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(tanggap(dir.path()).arg("seed"));
    assert_eq!(code, 0, "{err}");
    let mut heads = 0;
    let mut keys: Vec<String> = Vec::new();
    for (k, p) in corpus.iter().enumerate() {
        if p.text.contains('\0') {
            continue;
        }
        let t = p.text.as_str();
        let refused = refused_in_line(t);
        let name = as_line(t);
        let blank = name.is_empty();
        let mut commands: Vec<Vec<String>> = vec![
            vec![
                "agency".into(),
                "head".into(),
                "dpu-bmck".into(),
                format!("--name={t}"),
                format!("--position={t}"),
            ],
            // (`--` ends the options: a name may start with a hyphen.)
            vec!["api-key".into(), "add".into(), "--".into(), t.into()],
            vec![
                "user".into(),
                "add".into(),
                "--username".into(),
                format!("cli.inj{k}"),
                "--role".into(),
                "operator".into(),
                format!("--name={t}"),
                "--integration".into(),
            ],
        ];
        // A hostile username is refused by the username rule.
        commands.push(vec![
            "user".into(),
            "add".into(),
            format!("--username={t}"),
            "--role".into(),
            "operator".into(),
            "--integration".into(),
        ]);
        for (i, args) in commands.iter().enumerate() {
            let (code, out, err) = run(tanggap(dir.path()).args(args));
            let what = format!("{} through `{}`", p.name, args[..2].join(" "));
            assert!(
                !err.contains("panicked") && !out.contains('\u{1b}') && !err.contains('\u{1b}'),
                "{what}: {out} {err}"
            );
            let plain = t.chars().all(|c| c.is_ascii_alphanumeric());
            if i == 3 && plain {
                // (`null` is a fine username.)
                continue;
            }
            // (An Open311 key's name is at most 100 characters.)
            let too_long = i == 1 && name.chars().count() > 100;
            if refused || blank || too_long || i == 3 {
                assert_ne!(code, 0, "{what} must be refused: {out}");
                assert_eq!(err.trim_end().lines().count(), 1, "{what}: {err}");
                assert!(err.starts_with("error: "), "{what}: {err}");
            } else {
                assert_eq!(code, 0, "{what}: {err}");
                if i == 0 {
                    heads += 1;
                }
                if i == 1 {
                    keys.push(name.clone());
                }
            }
        }
    }
    // Every accepted head, in order, exactly as stored; one line each.
    let (code, out, err) = run(tanggap(dir.path()).args(["agency", "heads", "dpu-bmck"]));
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), heads, "{out}");
    let accepted: Vec<String> = corpus
        .iter()
        .map(|p| p.text.as_str())
        .filter(|t| !t.contains('\0') && !refused_in_line(t) && !as_line(t).is_empty())
        .map(as_line)
        .collect();
    for (line, name) in lines.iter().zip(&accepted) {
        assert!(line.ends_with(&format!("\t{name}\t{name}")), "{line:?}");
    }
    let (code, out, _) = run(tanggap(dir.path()).args(["api-key", "list"]));
    assert_eq!(code, 0);
    for name in &keys {
        assert!(out.contains(&format!("\t{name}\t")), "{name:?} in {out}");
    }
    let (code, out, err) = run(tanggap(dir.path()).args(["audit", "verify"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("audit trail intact: "), "{out}");
}
