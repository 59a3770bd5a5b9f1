//! Bad requests get the documented status and a problem document, and leave the data as it was.

use crate::common::{Caller, TestApp, complaint, jpeg_with_exif, problem};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use tanggap_domain::Role;

/// Everything that would change if a request wrote anything.
async fn fingerprint(app: &TestApp) -> (Option<(i64, String)>, u64) {
    (
        app.store.audit_head().await.unwrap(),
        app.store.count_reports().await.unwrap(),
    )
}

async fn expect(resp: reqwest::Response, status: StatusCode, what: &str) -> Value {
    let (got, body) = problem(resp).await;
    assert_eq!(got, status, "{what}: {body}");
    body
}

async fn dispatched(app: &TestApp, operator: &Caller) -> (String, String, i64) {
    let (tid, secret) = app.submit(complaint("Jalan rusak di depan sekolah")).await;
    let r = operator
        .act(
            &format!("/api/v1/reports/{tid}/dispatch"),
            json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}]}),
        )
        .await;
    (tid, secret, r["assignments"][0]["id"].as_i64().unwrap())
}

async fn invalid_transitions_are_409_and_change_nothing(app: &TestApp) {
    let operator = app.staff("e.operator", Role::Operator, None).await;
    let dpu = app.staff("e.dpu", Role::Petugas, Some("dpu-bmck")).await;
    let (tid, secret, a) = dispatched(app, &operator).await;
    let citizen = app.reporter(&secret);
    dpu.act(
        &format!("/api/v1/reports/{tid}/assignments/{a}/updates"),
        json!({"stage": "pengerjaan", "note": "Mulai dikerjakan."}),
    )
    .await;
    let before = fingerprint(app).await;
    let report_before = operator.report(&tid).await;
    let cases: Vec<(reqwest::RequestBuilder, &str)> = vec![
        (
            citizen
                .post(&format!("/api/v1/reports/{tid}/confirm"))
                .json(&json!({})),
            "confirm before selesai",
        ),
        (
            citizen
                .post(&format!("/api/v1/reports/{tid}/reopen"))
                .json(&json!({"reason": "x"})),
            "reopen before selesai",
        ),
        (
            citizen
                .post(&format!("/api/v1/reports/{tid}/rating"))
                .json(&json!({"score": 5, "outcome": "fixed"})),
            "rate before selesai",
        ),
        (
            operator
                .post(&format!("/api/v1/reports/{tid}/archive"))
                .json(&json!({"reason": "Sudah ditangani"})),
            "archive a dispatched report",
        ),
        (
            operator
                .post(&format!("/api/v1/reports/{tid}/duplicate"))
                .json(&json!({"master_tracking_id": tid})),
            "duplicate after dispatch",
        ),
        (
            dpu.post(&format!("/api/v1/reports/{tid}/assignments/{a}/updates"))
                .json(&json!({"stage": "verifikasi", "note": "Mundur"})),
            "stage going backwards",
        ),
        (
            dpu.post(&format!("/api/v1/reports/{tid}/assignments/{a}/return"))
                .json(&json!({"reason": "Bukan kami"})),
            "return after work started",
        ),
    ];
    for (req, what) in cases {
        let body = expect(req.send().await.unwrap(), StatusCode::CONFLICT, what).await;
        assert_eq!(body["code"], "invalid_transition", "{what}");
    }
    assert_eq!(fingerprint(app).await, before, "nothing was written");
    assert_eq!(operator.report(&tid).await, report_before);
}

async fn malformed_bodies_are_refused_and_change_nothing(app: &TestApp) {
    let operator = app.staff("e.operator2", Role::Operator, None).await;
    let (tid, _, _) = dispatched(app, &operator).await;
    let before = fingerprint(app).await;
    let public = app.anonymous();
    let submit = |c: &Caller| c.post("/api/v1/reports");

    // 400: not JSON at all.
    let b = expect(
        submit(&public)
            .header("content-type", "application/json")
            .body("{\"kind\": \"pengaduan\", ")
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
        "truncated JSON",
    )
    .await;
    assert!(b["detail"].as_str().unwrap().contains("not valid JSON"));
    // 415: not JSON by its content type.
    expect(
        submit(&public)
            .header("content-type", "text/plain")
            .body("jalan rusak")
            .send()
            .await
            .unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "text/plain",
    )
    .await;
    expect(
        submit(&public)
            .header("content-type", "application/xml")
            .body("<report/>")
            .send()
            .await
            .unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "xml",
    )
    .await;
    expect(
        operator
            .post(&format!("/api/v1/reports/{tid}/verify"))
            .body("{}")
            .send()
            .await
            .unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "missing content type",
    )
    .await;
    // 422: unknown fields and wrong types.
    let mut c = complaint("Jalan rusak");
    c["priority"] = json!("tinggi");
    let b = expect(
        submit(&public).json(&c).send().await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown field",
    )
    .await;
    assert!(b["detail"].as_str().unwrap().contains("priority"), "{b}");
    let mut c = complaint("Jalan rusak");
    c["latitude"] = json!("jauh");
    expect(
        submit(&public).json(&c).send().await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "wrong type",
    )
    .await;
    expect(
        operator
            .post(&format!("/api/v1/reports/{tid}/verify"))
            .json(&json!({"judul": "x"}))
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown field in action",
    )
    .await;
    // 422 with the fields to fix, in Indonesian and English.
    let b = expect(
        submit(&public)
            .json(&json!({"kind": "keluhan", "body": "pendek"}))
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid fields",
    )
    .await;
    let fields: Vec<&str> = b["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["kind", "title", "body"]);
    assert!(
        b["errors"][1]["message"]
            .as_str()
            .unwrap()
            .contains("wajib")
    );
    assert!(
        b["errors"][1]["message_en"]
            .as_str()
            .unwrap()
            .contains("required")
    );
    let mut c = complaint(&"x".repeat(201));
    c["region_code"] = json!("99.99");
    let b = expect(
        submit(&public).json(&c).send().await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "too long",
    )
    .await;
    assert_eq!(b["errors"][0]["code"], "too_long");
    let mut c = complaint("Kategori aneh");
    c["category"] = json!("tidak-ada");
    c["region_code"] = json!("33.99");
    let b = expect(
        submit(&public).json(&c).send().await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown references",
    )
    .await;
    let fields: Vec<&str> = b["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["region_code", "category"]);
    expect(
        operator
            .post(&format!("/api/v1/reports/{tid}/messages"))
            .json(&json!({"text": "x".repeat(4001)}))
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "note too long",
    )
    .await;
    // 413: too big.
    let mut c = complaint("Besar");
    c["body"] = json!("a".repeat(70 * 1024));
    expect(
        submit(&public).json(&c).send().await.unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "JSON over 64 KiB",
    )
    .await;
    expect(
        operator
            .post(&format!("/api/v1/reports/{tid}/verify"))
            .json(&json!({"body": "a".repeat(70 * 1024)}))
            .send()
            .await
            .unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "action JSON over 64 KiB",
    )
    .await;
    let mut big = jpeg_with_exif();
    big.resize(6 * 1024 * 1024, 0);
    let form = Form::new()
        .text("data", complaint("Foto besar").to_string())
        .part("attachments", Part::bytes(big).file_name("besar.jpg"));
    expect(
        submit(&public).multipart(form).send().await.unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "file over 5 MiB",
    )
    .await;
    // 415 for a file whose bytes are not an allowed type, whatever its name; 422 for too many.
    let form = Form::new()
        .text("data", complaint("Bukan foto").to_string())
        .part(
            "attachments",
            Part::bytes(b"<html><script>alert(1)</script></html>".to_vec())
                .file_name("foto.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        );
    expect(
        submit(&public).multipart(form).send().await.unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "html named .jpg",
    )
    .await;
    let mut form = Form::new().text("data", complaint("Banyak foto").to_string());
    for i in 0..6 {
        form = form.part(
            "attachments",
            Part::bytes(jpeg_with_exif()).file_name(format!("f{i}.jpg")),
        );
    }
    let b = expect(
        submit(&public).multipart(form).send().await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "six files",
    )
    .await;
    assert_eq!(b["errors"][0]["code"], "too_many");
    let form = Form::new().text("laporan", "{}");
    expect(
        submit(&public).multipart(form).send().await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown part",
    )
    .await;
    let form = Form::new().part(
        "attachments",
        Part::bytes(jpeg_with_exif()).file_name("a.jpg"),
    );
    expect(
        submit(&public).multipart(form).send().await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "no data part",
    )
    .await;

    assert_eq!(
        fingerprint(app).await,
        before,
        "nothing was written by any refused request"
    );
    // And a good multipart submission with a photo still works.
    let form = Form::new()
        .text(
            "data",
            complaint("Jalan berlubang, ada fotonya").to_string(),
        )
        .part(
            "attachments",
            Part::bytes(jpeg_with_exif()).file_name("jalan.jpg"),
        );
    let r = submit(&public).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}

async fn authentication_errors(app: &TestApp) {
    let public = app.anonymous();
    let (tid, _) = app.submit(complaint("Drainase tersumbat")).await;
    // 401 without login, 404 for what does not exist.
    expect(
        public
            .post(&format!("/api/v1/reports/{tid}/dispatch"))
            .json(&json!({"agencies": []}))
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "no login",
    )
    .await;
    expect(
        public
            .get("/api/v1/reports/LG-0000000000")
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "unknown report",
    )
    .await;
    expect(
        public
            .get("/api/v1/reports/bukan-nomor")
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not a tracking id",
    )
    .await;
    expect(
        public.get("/api/v1/tidak-ada").send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "unknown route",
    )
    .await;
    expect(
        app.reporter("salah")
            .get(&format!("/api/v1/reports/{tid}"))
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
        "wrong secret",
    )
    .await;
    // Wrong password.
    app.staff("e.admin", Role::Admin, None).await;
    expect(
        public
            .post("/api/v1/sessions")
            .json(&json!({"username": "e.admin", "password": "salah-sekali-123"}))
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "wrong password",
    )
    .await;
    expect(
        public
            .post("/api/v1/sessions")
            .json(&json!({"username": "tidak.ada", "password": "salah-sekali-123"}))
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "unknown user",
    )
    .await;
    // A session cookie without the CSRF token cannot write.
    let mut operator = app.staff("e.operator3", Role::Operator, None).await;
    let token = operator.csrf.take();
    let b = expect(
        operator
            .post(&format!("/api/v1/reports/{tid}/archive"))
            .json(&json!({"reason": "Uji"}))
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
        "no CSRF token",
    )
    .await;
    assert!(b["detail"].as_str().unwrap().contains("CSRF"));
    operator.csrf = Some("salah".into());
    expect(
        operator
            .post(&format!("/api/v1/reports/{tid}/archive"))
            .json(&json!({"reason": "Uji"}))
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
        "wrong CSRF token",
    )
    .await;
    operator.csrf = token;
    operator
        .act(
            &format!("/api/v1/reports/{tid}/archive"),
            json!({"reason": "Uji"}),
        )
        .await;
    // Logout ends the session.
    let r = operator
        .delete("/api/v1/sessions/current")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    expect(
        operator.get("/api/v1/me").send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "after logout",
    )
    .await;
}

async fn api_tokens_for_integrations(app: &TestApp) {
    let admin = app.staff("e.admin2", Role::Admin, None).await;
    let r: Value = admin.post("/api/v1/users").json(&json!({"username": "integrasi.callcenter", "display_name": "Call centre", "role": "operator", "integration": true})).send().await.unwrap().json().await.unwrap();
    let uid = r["id"].as_i64().unwrap();
    let t: Value = admin
        .post(&format!("/api/v1/users/{uid}/tokens"))
        .json(&json!({"name": "call centre"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = t["token"].as_str().unwrap().to_string();
    let mut integration = app.anonymous();
    integration.bearer = Some(token.clone());
    // A token needs no CSRF token: it is not ambient.
    let mut phone = complaint("Laporan lewat telepon");
    phone["channel"] = json!("telepon");
    let r = integration
        .post("/api/v1/reports")
        .json(&phone)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let tid = r.json::<Value>().await.unwrap()["tracking_id"]
        .as_str()
        .unwrap()
        .to_string();
    let rep: Value = integration
        .get(&format!("/api/v1/reports/{tid}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rep["channel"], "telepon");
    // Revoked: refused.
    let r = admin
        .delete(&format!("/api/v1/tokens/{}", t["id"]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    expect(
        integration.get("/api/v1/reports").send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "revoked token",
    )
    .await;
    integration.bearer = Some("tgp_bogus".into());
    expect(
        integration.get("/api/v1/me").send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "bogus token",
    )
    .await;
    // A deactivated user's session stops working.
    let op = app.staff("e.sementara", Role::Operator, None).await;
    let users: Value = admin
        .get("/api/v1/users")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "e.sementara")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = admin
        .patch(&format!("/api/v1/users/{id}"))
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    expect(
        op.get("/api/v1/me").send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "deactivated",
    )
    .await;
}

async fn openapi_document_lists_every_route(app: &TestApp) {
    let doc: Value = app
        .anonymous()
        .get("/api/v1/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/reports",
        "/api/v1/reports/{tracking_id}",
        "/api/v1/reports/{tracking_id}/verify",
        "/api/v1/reports/{tracking_id}/dispatch",
        "/api/v1/reports/{tracking_id}/questions",
        "/api/v1/reports/{tracking_id}/replies",
        "/api/v1/reports/{tracking_id}/duplicate",
        "/api/v1/reports/{tracking_id}/archive",
        "/api/v1/reports/{tracking_id}/assignments/{assignment_id}/updates",
        "/api/v1/reports/{tracking_id}/assignments/{assignment_id}/return",
        "/api/v1/reports/{tracking_id}/assignments/{assignment_id}/forward",
        "/api/v1/reports/{tracking_id}/confirm",
        "/api/v1/reports/{tracking_id}/rating",
        "/api/v1/reports/{tracking_id}/reopen",
        "/api/v1/reports/{tracking_id}/instructions",
        "/api/v1/reports/{tracking_id}/messages",
        "/api/v1/reports/{tracking_id}/audit",
        "/api/v1/sessions",
        "/api/v1/users",
        "/api/v1/sla-policy",
    ] {
        assert!(paths.contains_key(p), "missing {p}");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    assert!(doc["components"]["securitySchemes"]["token"].is_object());
    assert_eq!(
        doc["paths"]["/api/v1/reports"]["post"]["responses"]["201"]["content"]["application/json"]
            ["schema"]["$ref"],
        "#/components/schemas/SubmittedResponse"
    );
}

crate::on_both_backends!(
    invalid_transitions_are_409_and_change_nothing,
    malformed_bodies_are_refused_and_change_nothing,
    authentication_errors,
    api_tokens_for_integrations,
    openapi_document_lists_every_route
);

/// Login attempts and tracking lookups are throttled (default limits).
#[tokio::test]
async fn throttling() {
    let app = TestApp::sqlite_with(|c| c.rates = tanggap_web::RateConfig::default()).await;
    app.staff("e.korban", Role::Operator, None).await;
    let public = app.anonymous();
    let mut last = StatusCode::OK;
    let mut retry_after = None;
    for _ in 0..10 {
        let r = public
            .post("/api/v1/sessions")
            .json(&json!({"username": "e.korban", "password": "tebak-tebakan-1"}))
            .send()
            .await
            .unwrap();
        last = r.status();
        retry_after = r
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        if last == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after.unwrap().parse::<u64>().unwrap() >= 1);
    let mut statuses = Vec::new();
    for _ in 0..70 {
        statuses.push(
            public
                .get("/api/v1/reports/LG-0000000000")
                .send()
                .await
                .unwrap()
                .status(),
        );
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "lookups are rate limited"
    );
    app.finish().await;
}
