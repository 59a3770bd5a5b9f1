//! One door: the same command gets the same refusal, with the same code, whether it comes through
//! the JSON API, a staff page's form, or a direct call of the use case.

use crate::common::TestApp;
use reqwest::StatusCode;
use reqwest::multipart::Form;
use serde_json::json;
use tanggap_domain::Role;
use tanggap_service::actions::VerifyInput;
use tanggap_service::{Action, Caller as Door};

/// What a refusal says, whatever door it came out of: status, code, and the fields to fix as
/// `field:code`.
#[derive(Debug, PartialEq, Eq)]
struct Refusal {
    status: u16,
    code: String,
    fields: String,
}

fn form(fields: &[(&str, &str)]) -> Form {
    fields.iter().fold(Form::new(), |f, (k, v)| {
        f.text(k.to_string(), v.to_string())
    })
}

/// The value of `attr="…"` on the element with `marker` (the first after it).
fn attribute(html: &str, marker: &str, attr: &str) -> String {
    let i = html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in the page"));
    html[i..]
        .split(&format!("{attr}=\""))
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_string()
}

async fn through_the_api(r: reqwest::Response) -> Refusal {
    let (status, body) = crate::common::problem(r).await;
    let fields = body["errors"]
        .as_array()
        .map(|errs| {
            errs.iter()
                .map(|e| {
                    format!(
                        "{}:{}",
                        e["field"].as_str().unwrap(),
                        e["code"].as_str().unwrap()
                    )
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    Refusal {
        status: status.as_u16(),
        code: body["code"].as_str().unwrap().to_string(),
        fields,
    }
}

/// A staff page form post: the refusal is on the page, next to the form or at the top.
async fn through_the_page(
    user: &crate::common::Caller,
    tid: &str,
    fields: &[(&str, &str)],
) -> (Refusal, String) {
    let page = user
        .get(&format!("/kelola/{tid}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = attribute(&page, "name=\"csrf\"", "value");
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    let r = user
        .post(&format!("/kelola/{tid}/aksi"))
        .multipart(form(&all))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let html = r.text().await.unwrap();
    let refusal = Refusal {
        status,
        code: attribute(&html, "role=\"alert\" ", "data-code"),
        fields: attribute(&html, "role=\"alert\" ", "data-fields"),
    };
    (refusal, html)
}

fn through_the_use_case(e: tanggap_service::ServiceError) -> Refusal {
    let r = e.refusal().expect("a refusal, not a failure");
    let status = match r.kind {
        tanggap_service::RefusalKind::Unauthenticated => 401,
        tanggap_service::RefusalKind::Forbidden => 403,
        tanggap_service::RefusalKind::NotFound => 404,
        tanggap_service::RefusalKind::Conflict => 409,
        tanggap_service::RefusalKind::Invalid => 422,
        tanggap_service::RefusalKind::RateLimited { .. } => 429,
    };
    Refusal {
        status,
        code: r.code.to_string(),
        fields: r
            .fields
            .iter()
            .map(|f| format!("{}:{}", f.field, f.code))
            .collect::<Vec<_>>()
            .join(","),
    }
}

async fn staff_user(app: &TestApp, username: &str) -> Door {
    let (u, _) = app.store.user_credentials(username).await.unwrap().unwrap();
    Door::Staff(u)
}

async fn verifying_with_an_unknown_category_is_refused_alike(app: &TestApp) {
    let op = app.staff("door.op", Role::Operator, None).await;
    let (tid, _) = app
        .submit(crate::common::complaint("Jembatan kayu lapuk"))
        .await;
    let before = op.report(&tid).await;

    let api = through_the_api(
        op.post(&format!("/api/v1/reports/{tid}/verify"))
            .json(&json!({"category": "tidak-ada"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let (page, html) = through_the_page(
        &op,
        &tid,
        &[
            ("aksi", "verifikasi"),
            ("kind", "pengaduan"),
            ("title", "Jembatan kayu lapuk"),
            ("body", before["body"].as_str().unwrap()),
            ("category", "tidak-ada"),
            ("kabkota", "33.74"),
            ("kecamatan", "33.74.01"),
            ("desa", "33.74.01.1001"),
        ],
    )
    .await;
    let direct = through_the_use_case(
        app.services
            .act(
                &staff_user(app, "door.op").await,
                &tid,
                None,
                Action::Verify(VerifyInput {
                    category: Some("tidak-ada".into()),
                    ..Default::default()
                }),
                vec![],
            )
            .await
            .unwrap_err(),
    );
    let expected = Refusal {
        status: 422,
        code: "validation_failed".into(),
        fields: "category:unknown".into(),
    };
    assert_eq!(api, expected, "JSON API");
    assert_eq!(page, expected, "staff page");
    assert_eq!(direct, expected, "use case");
    assert!(
        html.contains("Kategori tidak dikenal."),
        "said in Indonesian"
    );
    assert_eq!(op.report(&tid).await, before, "nothing changed");
}

async fn dispatching_without_the_permission_is_refused_alike(app: &TestApp) {
    app.staff("door.op2", Role::Operator, None).await;
    let lead = app.staff("door.pimpinan", Role::Pimpinan, None).await;
    let (tid, _) = app
        .submit(crate::common::complaint("Pungutan liar di SMA negeri"))
        .await;
    let api = through_the_api(
        lead.post(&format!("/api/v1/reports/{tid}/dispatch"))
            .json(&json!({"agencies": [{"agency_id": "disdikbud", "role": "utama"}]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let (page, html) = through_the_page(
        &lead,
        &tid,
        &[("aksi", "disposisi"), ("utama", "disdikbud")],
    )
    .await;
    let direct = through_the_use_case(
        app.services
            .act(
                &staff_user(app, "door.pimpinan").await,
                &tid,
                None,
                Action::Dispatch {
                    agencies: vec![("disdikbud".into(), "utama".into())],
                    note: None,
                    note_public: false,
                    category: None,
                },
                vec![],
            )
            .await
            .unwrap_err(),
    );
    let expected = Refusal {
        status: 403,
        code: "role_not_allowed".into(),
        fields: String::new(),
    };
    assert_eq!(api, expected, "JSON API");
    assert_eq!(page, expected, "staff page");
    assert_eq!(direct, expected, "use case");
    assert!(
        html.contains("Anda tidak berwenang mendisposisikan laporan."),
        "said in Indonesian, at the top since the page has no dispatch form for leadership"
    );
    // Anyone without a login is asked to log in (401), before the body is even read.
    let r = app
        .anonymous()
        .post(&format!("/api/v1/reports/{tid}/dispatch"))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

/// The refusal is rendered in the caller's language: Indonesian on request, English otherwise.
async fn refusals_speak_the_callers_language(app: &TestApp) {
    let lead = app.staff("door.pimpinan2", Role::Pimpinan, None).await;
    let (tid, _) = app
        .submit(crate::common::complaint("Lampu penerangan jalan padam"))
        .await;
    let ask = |lang: &'static str| {
        lead.post(&format!("/api/v1/reports/{tid}/archive"))
            .header("accept-language", lang)
            .json(&json!({"reason": "spam"}))
    };
    let (_, en) = crate::common::problem(ask("en").send().await.unwrap()).await;
    let (_, id) = crate::common::problem(ask("id-ID,id;q=0.9").send().await.unwrap()).await;
    assert_eq!(en["code"], "role_not_allowed");
    assert_eq!(id["code"], en["code"]);
    assert_eq!(en["args"]["permission"], "archive_report");
    assert_eq!(en["detail"], "Your role may not archive a report.");
    assert_eq!(id["detail"], "Anda tidak berwenang mengarsipkan laporan.");
}

/// Text is checked once, for every door: control characters are refused with a field error
/// (nothing stored), bidirectional overrides are taken out of names and titles.
async fn text_is_checked_at_the_door(app: &TestApp) {
    let before = app.store.count_reports().await.unwrap();
    let mut bad = crate::common::complaint("Jalan\u{0}rusak");
    bad["reporter"]["name"] = json!("Siti");
    let r = app
        .anonymous()
        .post("/api/v1/reports")
        .json(&bad)
        .send()
        .await
        .unwrap();
    let refusal = through_the_api(r).await;
    assert_eq!(
        (refusal.status, refusal.fields.as_str()),
        (422, "body:control_characters,title:control_characters"),
        "the body repeats the title"
    );
    // The same through the citizen's form.
    let r = app
        .anonymous()
        .post("/lapor")
        .multipart(form(&[
            ("aksi", "kirim"),
            ("kind", "pengaduan"),
            ("title", "Jalan\u{1b}[2Jrusak"),
            ("body", "Lubang besar di depan pasar, sudah dua minggu."),
            ("kabkota", "33.74"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("karakter kendali"));
    assert_eq!(
        app.store.count_reports().await.unwrap(),
        before,
        "nothing stored"
    );

    let mut spoofed = crate::common::complaint("Jalan\u{202e}kusar");
    spoofed["reporter"]["name"] = json!("Budi\u{202e}nagnisoruG");
    let (tid, _) = app.submit(spoofed).await;
    let op = app.staff("door.op3", Role::Operator, None).await;
    let r = op.report(&tid).await;
    assert_eq!(r["title"], "Jalankusar");
    assert_eq!(r["reporter"]["name"], "BudinagnisoruG");
    // A control character in a verification is refused too; letter case of the media type does
    // not matter.
    let r = op
        .post(&format!("/api/v1/reports/{tid}/verify"))
        .header("content-type", "APPLICATION/JSON")
        .body(json!({"body": "Isi baru\u{7}dengan bel"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(through_the_api(r).await.fields, "body:control_characters");
    let r = op
        .post(&format!("/api/v1/reports/{tid}/verify"))
        .header("content-type", "Application/Json; charset=utf-8")
        .body(json!({"address": "Jl. Pemuda 12"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// What cannot be read is a 400 problem document, and a staff endpoint asks for a login before
/// it looks at the body.
async fn unreadable_requests_are_problems(app: &TestApp) {
    for path in [
        "/api/v1/reports?per_page=-1",
        "/api/v1/reports?page=abc",
        "/api/v1/reports?overdue=vielleicht",
    ] {
        let r = app.anonymous().get(path).send().await.unwrap();
        let (status, _) = crate::common::problem(r).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
    }
    let r = app
        .anonymous()
        .get("/api/v1/users/1/tokens")
        .send()
        .await
        .unwrap();
    let (status, _) = crate::common::problem(r).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    for (method, path) in [
        ("PUT", "/api/v1/categories/jalan-jembatan"),
        ("POST", "/api/v1/users"),
        ("PUT", "/api/v1/sla-policy"),
        ("PATCH", "/api/v1/users/1"),
    ] {
        let r = app
            .anonymous()
            .client
            .request(method.parse().unwrap(), app.url(path))
            .header("content-type", "text/plain")
            .body("{")
            .send()
            .await
            .unwrap();
        let (status, body) = crate::common::problem(r).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {body}");
    }
}

crate::on_both_backends!(
    text_is_checked_at_the_door,
    unreadable_requests_are_problems,
    verifying_with_an_unknown_category_is_refused_alike,
    dispatching_without_the_permission_is_refused_alike,
    refusals_speak_the_callers_language,
);
