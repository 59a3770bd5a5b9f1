//! Reporters are safe: what the public, the agencies and the audit trail see of a report's
//! content. The conversation with the reporter is theirs and the desk's (and the agencies', unless
//! the report is anonim), never the public's; the audit trail holds no free text or contact
//! details; the public gets a rounded location, none for anonim reports; attachments are named by
//! random keys and reach the public only after the desk reviewed them, redacted if need be.

use crate::common::{Caller, TestApp, complaint, problem};
use image::GenericImageView;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use tanggap_domain::Role;

crate::on_both_backends!(
    the_conversation_is_not_public,
    an_anonim_conversation_stays_with_the_desk,
    the_audit_trail_holds_no_free_text_or_contacts,
    the_public_gets_an_approximate_location_and_none_for_anonim_reports,
    attachments_are_named_by_random_keys,
    photos_are_public_only_once_the_desk_reviewed_them,
    a_redacted_copy_hides_the_marked_area
);

const QUESTION: &str = "Apakah lubangnya di depan rumah nomor 12 milik Bu Sri?";
const ANSWER: &str = "Ya, depan rumah saya, RT 07 RW 03, dekat warung Pak Darto.";
const MESSAGE: &str = "Tim kami akan menghubungi Ibu di nomor yang Ibu berikan besok pagi.";
const COMMENT: &str = "Tetangga saya Pak Joko yang menambal sendiri akhirnya.";
const REOPEN: &str = "Lubang muncul lagi di depan rumah saya setelah hujan deras.";

/// A photo of 80×60 light pixels, with an Exif segment carrying a GPS-like marker.
pub fn photo() -> Vec<u8> {
    let picture = image::RgbImage::from_pixel(80, 60, image::Rgb([220, 200, 180]));
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&picture)
        .unwrap();
    let exif = b"Exif\0\0GPSLatitude -6.9826 SECRET-GPS-MARKER";
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(exif);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Submit a report with one photo, as multipart; returns (tracking id, secret).
pub async fn submit_with_photo(app: &TestApp, body: Value) -> (String, String) {
    let form = Form::new().text("data", body.to_string()).part(
        "attachments",
        Part::bytes(photo())
            .file_name("jalan.jpg")
            .mime_str("image/jpeg")
            .unwrap(),
    );
    let r = app
        .anonymous()
        .post("/api/v1/reports")
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (status, v) = problem(r).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    (
        v["tracking_id"].as_str().unwrap().to_string(),
        v["secret"].as_str().unwrap().to_string(),
    )
}

async fn get_text(c: &Caller, path: &str) -> (StatusCode, String) {
    let r = c.get(path).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn get_bytes(c: &Caller, path: &str) -> (StatusCode, Vec<u8>) {
    let r = c.get(path).send().await.unwrap();
    (r.status(), r.bytes().await.unwrap().to_vec())
}

fn assert_none_of(text: &str, secrets: &[&str], what: &str) {
    for s in secrets {
        assert!(!text.contains(s), "{what} shows `{s}`");
    }
}

fn assert_all_of(text: &str, secrets: &[&str], what: &str) {
    for s in secrets {
        assert!(text.contains(s), "{what} lacks `{s}`");
    }
}

struct Story {
    tid: String,
    secret: String,
    operator: Caller,
    agency: Caller,
}

/// A public report through the whole conversation: the desk asks, the reporter answers with a
/// photo, the agency writes to the reporter, finishes; the reporter rates with a comment and
/// reopens with a reason.
async fn conversation_story(app: &TestApp, mut body: Value, prefix: &str) -> Story {
    body["latitude"] = json!(-6.982_649_1);
    body["longitude"] = json!(110.409_248_7);
    let (tid, secret) = app.submit(body).await;
    let operator = app
        .staff(&format!("{prefix}.op"), Role::Operator, None)
        .await;
    let agency = app
        .staff(&format!("{prefix}.dpu"), Role::Petugas, Some("dpu-bmck"))
        .await;
    let reporter = app.reporter(&secret);
    operator
        .act(
            &format!("/api/v1/reports/{tid}/questions"),
            json!({ "text": QUESTION }),
        )
        .await;
    let form = Form::new()
        .text("data", json!({ "text": ANSWER }).to_string())
        .part(
            "attachments",
            Part::bytes(photo())
                .file_name("rumah.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        );
    let r = reporter
        .post(&format!("/api/v1/reports/{tid}/replies"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = operator
        .act(
            &format!("/api/v1/reports/{tid}/dispatch"),
            json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}]}),
        )
        .await;
    let aid = r["assignments"][0]["id"].as_i64().unwrap();
    agency
        .act(
            &format!("/api/v1/reports/{tid}/messages"),
            json!({ "text": MESSAGE }),
        )
        .await;
    agency
        .act(
            &format!("/api/v1/reports/{tid}/assignments/{aid}/updates"),
            json!({"stage": "tuntas", "note": "Lubang sudah ditambal."}),
        )
        .await;
    reporter
        .act(
            &format!("/api/v1/reports/{tid}/rating"),
            json!({"score": 2, "outcome": "partly", "comment": COMMENT}),
        )
        .await;
    reporter
        .act(
            &format!("/api/v1/reports/{tid}/reopen"),
            json!({ "reason": REOPEN }),
        )
        .await;
    Story {
        tid,
        secret,
        operator,
        agency,
    }
}

const CONVERSATION: [&str; 5] = [QUESTION, ANSWER, MESSAGE, COMMENT, REOPEN];

async fn the_conversation_is_not_public(app: &TestApp) {
    let s = conversation_story(app, complaint("Jalan berlubang di Jl. Melati"), "c").await;
    let tid = &s.tid;
    let public = app.anonymous();

    // The API without credentials: none of the words, but the lines say what happened.
    let (status, text) = get_text(&public, &format!("/api/v1/reports/{tid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_none_of(&text, &CONVERSATION, "the public API");
    let r: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["rating"], 2, "the score is public");
    assert_eq!(r["outcome"], "partly");
    assert_eq!(r["rating_comment"], Value::Null);
    let timeline = r["timeline"].as_array().unwrap();
    let asked = timeline
        .iter()
        .find(|a| a["kind"] == "asked_reporter")
        .expect("the public sees that a question was asked");
    assert_eq!(
        (asked["withheld"].clone(), asked["note"].clone()),
        (json!(true), Value::Null)
    );
    let answered = timeline
        .iter()
        .find(|a| a["kind"] == "reporter_replied")
        .unwrap();
    assert_eq!(
        answered["attachments"],
        json!([]),
        "nor the photo sent with it"
    );
    assert!(
        timeline
            .iter()
            .any(|a| a["kind"] == "rated" && a["note"] == "2/5 · Sebagian")
    );
    assert!(
        timeline
            .iter()
            .any(|a| a["note"] == "Lubang sudah ditambal."),
        "the agency's progress stays public"
    );
    let (status, _) = get_text(&public, &format!("/api/v1/reports/{tid}/messages")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The public tracking page: the same.
    let (status, page) = get_text(&public, &format!("/lacak/{tid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_none_of(&page, &CONVERSATION, "the public tracking page");
    assert!(
        page.contains("Pertanyaan untuk pelapor"),
        "the question is mentioned"
    );
    assert!(page.contains("Lubang sudah ditambal."));

    // The reporter, the desk and the (non-anonim) agency read it all.
    let reporter = app.reporter(&s.secret);
    for (who, c) in [
        ("the reporter", &reporter),
        ("the desk", &s.operator),
        ("the agency", &s.agency),
    ] {
        let (status, text) = get_text(c, &format!("/api/v1/reports/{tid}")).await;
        assert_eq!(status, StatusCode::OK, "{who}");
        assert_all_of(&text, &CONVERSATION, who);
    }
    let (_, page) = get_text(&public, &format!("/lacak/{tid}?kunci={}", s.secret)).await;
    assert_all_of(
        &page,
        &[QUESTION, ANSWER, MESSAGE, COMMENT],
        "the reporter's page",
    );
}

async fn an_anonim_conversation_stays_with_the_desk(app: &TestApp) {
    let mut body = complaint("Pungli di loket samsat");
    body["visibility"] = json!("anonim");
    let s = conversation_story(app, body, "a").await;
    let tid = &s.tid;
    let leadership = app.staff("a.sekda", Role::Pimpinan, None).await;
    let auditor = app.staff("a.inspektur", Role::Auditor, None).await;
    for (who, c) in [
        ("the agency", &s.agency),
        ("leadership", &leadership),
        ("the auditor", &auditor),
        ("the public", &app.anonymous()),
    ] {
        let (status, text) = get_text(c, &format!("/api/v1/reports/{tid}")).await;
        assert_eq!(status, StatusCode::OK, "{who}");
        assert_none_of(&text, &CONVERSATION, who);
        let (status, _) = get_text(c, &format!("/api/v1/reports/{tid}/messages")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who} reads the messages");
        if who != "the public" {
            let (status, page) = get_text(c, &format!("/kelola/{tid}")).await;
            assert_eq!(status, StatusCode::OK, "{who}");
            assert_none_of(&page, &CONVERSATION, who);
        }
    }
    // The photo the reporter sent with the answer: not for the agency.
    let r = s.operator.report(tid).await;
    let key = r["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "reporter_replied")
        .unwrap()["attachments"][0]["key"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/attachments/{key}");
    assert_eq!(get_bytes(&s.operator, &path).await.0, StatusCode::OK);
    assert_eq!(get_bytes(&s.agency, &path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        get_bytes(&app.reporter(&s.secret), &path).await.0,
        StatusCode::OK
    );
    // The desk reads everything.
    let (_, text) = get_text(&s.operator, &format!("/api/v1/reports/{tid}")).await;
    assert_all_of(&text, &CONVERSATION, "the desk");
}

async fn the_audit_trail_holds_no_free_text_or_contacts(app: &TestApp) {
    let mut body = complaint("Jalan berlubang di Jl. Kenanga");
    body["reporter"] = json!({
        "name": "Sri Wahyuningsih", "phone": "0813-2468-1357",
        "email": "sri.wahyu@example.id", "nik": "3374014101850003"
    });
    let s = conversation_story(app, body, "t").await;
    // The desk edits the text during verification of another report, and archives one.
    let (other, _) = app
        .submit(complaint("Sampah menumpuk di depan rumah Pak Bambang"))
        .await;
    s.operator
        .act(
            &format!("/api/v1/reports/{other}/verify"),
            json!({"title": "Sampah menumpuk di Jl. Anggrek", "address": "Jl. Anggrek 5, rumah Pak Bambang"}),
        )
        .await;
    s.operator
        .act(
            &format!("/api/v1/reports/{other}/archive"),
            json!({"reason": "Sudah ditangani kelurahan, kata Pak Bambang."}),
        )
        .await;
    // Staff and agency heads' contacts change.
    let admin = app.staff("t.admin", Role::Admin, None).await;
    let r = admin
        .post("/api/v1/users")
        .json(&json!({"username": "t.baru", "display_name": "Petugas Baru", "role": "operator",
            "password": "kata-sandi-panjang", "phone": "081111112222", "email": "petugas.baru@jatengprov.go.id"}))
        .send()
        .await
        .unwrap();
    let (status, user) = problem(r).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let r = admin
        .patch(&format!("/api/v1/users/{}", user["id"]))
        .json(&json!({"phone": "081133334444", "email": "ganti@jatengprov.go.id"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let dpu: Value = admin
        .get("/api/v1/agencies")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "dpu-bmck")
        .unwrap()
        .clone();
    let body = json!({
        "name": dpu["name"], "kind": dpu["kind"], "parent_id": dpu["parent_id"],
        "region_code": dpu["region_code"], "head_name": "Ir. Hadi Prasetyo", "head_position": "Kepala Dinas",
        "head_phone": "081255556666", "head_email": "kadis.pu@jatengprov.go.id",
    });
    let r = admin
        .put("/api/v1/agencies/dpu-bmck")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());

    let mut trail = String::new();
    let mut after = 0;
    loop {
        let page = app.store.audit_page(after, 500).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        for e in page {
            trail.push_str(&format!("{:?} {:?}\n", e.before, e.after));
        }
    }
    assert!(trail.contains("report.") || !trail.is_empty());
    let mut secrets: Vec<&str> = CONVERSATION.to_vec();
    secrets.extend([
        "Lubang sudah ditambal.",
        "Jalan berlubang di Jl. Kenanga",
        "Sri Wahyuningsih",
        "24681357",
        "sri.wahyu@example.id",
        "3374014101850003",
        "Pak Bambang",
        "Jl. Anggrek",
        "11112222",
        "33334444",
        "petugas.baru@jatengprov.go.id",
        "ganti@jatengprov.go.id",
        "55556666",
        "kadis.pu@jatengprov.go.id",
    ]);
    assert_none_of(&trail, &secrets, "the audit trail");
    // The chain still verifies, and the auditor still sees what happened.
    app.services.verify_audit_chain().await.unwrap();
    let auditor = app.staff("t.inspektur", Role::Auditor, None).await;
    let r: Value = auditor
        .get(&format!("/api/v1/reports/{}/audit", s.tid))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for want in [
        "report.created",
        "report.wait_started",
        "report.reporter_replied",
        "report.reporter_messaged",
        "report.rated",
        "report.reopened",
    ] {
        assert!(actions.contains(&want), "{want} in {actions:?}");
    }
    let (_, page) = get_text(&auditor, &format!("/kelola/{}", s.tid)).await;
    assert!(page.contains("report.reporter_replied") && page.contains("sha256"));
}

async fn the_public_gets_an_approximate_location_and_none_for_anonim_reports(app: &TestApp) {
    let operator = app.staff("l.op", Role::Operator, None).await;
    let agency = app.staff("l.dpu", Role::Petugas, Some("dpu-bmck")).await;
    for anonim in [false, true] {
        let mut body = complaint("Lampu jalan mati di gang sempit");
        body["latitude"] = json!(-6.982_649_1);
        body["longitude"] = json!(110.409_248_7);
        if anonim {
            body["visibility"] = json!("anonim");
        }
        let (tid, secret) = app.submit(body).await;
        operator
            .act(
                &format!("/api/v1/reports/{tid}/dispatch"),
                json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}]}),
            )
            .await;
        let public = app.anonymous().report(&tid).await;
        if anonim {
            assert_eq!(
                (public["latitude"].clone(), public["longitude"].clone()),
                (Value::Null, Value::Null)
            );
        } else {
            assert_eq!(public["latitude"], json!(-6.983));
            assert_eq!(public["longitude"], json!(110.409));
        }
        for (who, c) in [
            ("the reporter", app.reporter(&secret)),
            ("the desk", operator.clone()),
            ("the agency", agency.clone()),
        ] {
            let r = c.report(&tid).await;
            assert_eq!(r["latitude"], json!(-6.982_649_1), "{who}, anonim {anonim}");
            assert_eq!(r["longitude"], json!(110.409_248_7), "{who}");
        }
    }
}

async fn attachments_are_named_by_random_keys(app: &TestApp) {
    let (tid, secret) = submit_with_photo(app, complaint("Trotoar rusak di Jl. Pandanaran")).await;
    let operator = app.staff("k.op", Role::Operator, None).await;
    let r = operator.report(&tid).await;
    let a = &r["attachments"][0];
    let key = a["key"].as_str().unwrap();
    assert!(
        key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit()),
        "{key}"
    );
    assert_eq!(a["url"], json!(format!("/api/v1/attachments/{key}")));
    assert!(a.get("id").is_none(), "the internal id stays inside");
    // Counting finds nothing, for anyone.
    for c in [app.anonymous(), app.reporter(&secret), operator.clone()] {
        for id in 0..12 {
            let (status, _) = get_bytes(&c, &format!("/api/v1/attachments/{id}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "attachment {id}");
        }
        let (status, _) = get_bytes(&c, &format!("/api/v1/attachments/{}", "0".repeat(32))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, bytes) = get_bytes(&operator, &format!("/api/v1/attachments/{key}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes.starts_with(&[0xFF, 0xD8]));
    assert!(!bytes.windows(17).any(|w| w == b"SECRET-GPS-MARKER"));
}

async fn review(c: &Caller, key: &str, body: Value) -> (StatusCode, Value) {
    problem(
        c.post(&format!("/api/v1/attachments/{key}/review"))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn photos_are_public_only_once_the_desk_reviewed_them(app: &TestApp) {
    let (tid, secret) =
        submit_with_photo(app, complaint("Saluran air tersumbat di Jl. Mawar")).await;
    let operator = app.staff("p.op", Role::Operator, None).await;
    let agency = app.staff("p.dpu", Role::Petugas, Some("dpu-bmck")).await;
    let public = app.anonymous();
    let key = operator.report(&tid).await["attachments"][0]["key"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/attachments/{key}");
    let original = get_bytes(&app.reporter(&secret), &path).await.1;

    // Published before the report is verified: still not public (not listed yet).
    let (status, a) = review(&operator, &key, json!({"decision": "publish"})).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["review"], "published");
    assert_eq!(get_bytes(&public, &path).await.0, StatusCode::NOT_FOUND);
    review(&operator, &key, json!({"decision": "hide"})).await;
    operator
        .act(
            &format!("/api/v1/reports/{tid}/dispatch"),
            json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}]}),
        )
        .await;
    // Verified, but the desk has not published the photo: nothing for the public, neither the
    // file nor its mention.
    assert_eq!(get_bytes(&public, &path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(public.report(&tid).await["attachments"], json!([]));
    let (_, page) = get_text(&public, &format!("/lacak/{tid}")).await;
    assert!(!page.contains(&key));
    // The agency and the reporter see the original all along.
    assert_eq!(
        get_bytes(&agency, &path).await,
        (StatusCode::OK, original.clone())
    );
    // Only the desk reviews.
    let (status, body) = review(&agency, &key, json!({"decision": "publish"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "role_not_allowed");
    let (status, _) = review(&public, &key, json!({"decision": "publish"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Bad input is a clear 422, an unknown key 404.
    let (status, body) = review(&operator, &key, json!({"decision": "tampilkan"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "decision");
    let (status, body) = review(
        &operator,
        &key,
        json!({"decision": "redact", "areas": [{"x": 90, "y": 0, "w": 20, "h": 10}]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["code"], "area_outside");
    let (status, _) = review(&operator, &"a".repeat(32), json!({"decision": "hide"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Published: now the public gets it.
    review(&operator, &key, json!({"decision": "publish"})).await;
    assert_eq!(
        get_bytes(&public, &path).await,
        (StatusCode::OK, original.clone())
    );
    let (_, page) = get_text(&public, &format!("/lacak/{tid}")).await;
    assert!(page.contains(&key), "the tracking page shows the photo");
    // Hidden again: gone for the public, not for staff.
    review(&operator, &key, json!({"decision": "hide"})).await;
    assert_eq!(get_bytes(&public, &path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(get_bytes(&operator, &path).await.0, StatusCode::OK);
    // The reviews are on the report's audit trail.
    let auditor = app.staff("p.inspektur", Role::Auditor, None).await;
    let trail: Value = auditor
        .get(&format!("/api/v1/reports/{tid}/audit"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reviews = trail
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "attachment.reviewed")
        .count();
    assert_eq!(reviews, 4);
}

async fn a_redacted_copy_hides_the_marked_area(app: &TestApp) {
    let (tid, secret) =
        submit_with_photo(app, complaint("Tiang listrik miring di Jl. Kartini")).await;
    let operator = app.staff("r.op", Role::Operator, None).await;
    operator
        .act(
            &format!("/api/v1/reports/{tid}/dispatch"),
            json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}]}),
        )
        .await;
    let key = operator.report(&tid).await["attachments"][0]["key"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/attachments/{key}");
    let (status, a) = review(
        &operator,
        &key,
        json!({"decision": "redact", "areas": [{"x": 10, "y": 20, "w": 30, "h": 15}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["review"], "redacted");
    let original = get_bytes(&operator, &path).await.1;
    let (status, copy) = get_bytes(&app.anonymous(), &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(copy, original, "the public gets the copy");
    assert_eq!(
        get_bytes(&app.reporter(&secret), &path).await.1,
        original,
        "the reporter the original"
    );
    assert!(
        !copy.windows(4).any(|w| w == b"Exif"),
        "no metadata in the copy"
    );
    let picture = image::load_from_memory(&copy).unwrap();
    assert_eq!(picture.dimensions(), (80, 60));
    // x 8..32, y 12..21 is black; the rest is the photo.
    for (x, y) in [(9, 13), (20, 16), (30, 20)] {
        let p = picture.get_pixel(x, y);
        assert!(p.0[..3].iter().all(|c| *c < 30), "({x},{y}) {p:?}");
    }
    for (x, y) in [(2, 2), (60, 40), (20, 40)] {
        let p = picture.get_pixel(x, y);
        assert!(p.0[0] > 180, "({x},{y}) {p:?}");
    }
}
