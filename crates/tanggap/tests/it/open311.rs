//! Open311 GeoReport v2 over HTTP on both databases, as a third-party client uses it: discovery,
//! services and their definitions, filing requests with a key (form-encoded and multipart with
//! a photo), reading them back by ID and by token, listing with filters and pages, the update
//! history (`extensions=true`), the mySociety `servicerequestupdates` feed and an agency's
//! system posting its progress. Every JSON answer is validated against the GeoReport v2 schemas
//! (copied from the shared spec into `fixtures/open311-schemas`); the XML answers are read back.
//! No answer carries a reporter's name, phone or e-mail, nor a confidential report. Keys are
//! issued and revoked on the admin page.

use crate::common::{Caller, TestApp, csrf, jpeg_with_exif};
use crate::on_both_backends;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tanggap_domain::Role;
use tanggap_service::accounts::UserInput;

on_both_backends!(
    open311_clients_file_read_and_follow_requests,
    open311_keys_are_issued_once_and_revoked_on_the_admin_page
);

const PERSONAL: [&str; 4] = ["Siti", "Aminah", "siti.open311@example.id", "81234567811"];

fn schema(name: &str) -> Value {
    let path = format!(
        "{}/tests/it/fixtures/open311-schemas/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The list schemas refer to their item schema by file name: put the item in its place.
fn list_schema(list: &str, item: &str) -> Value {
    let mut s = schema(list);
    s["items"] = schema(item);
    s
}

fn validate(schema: &Value, v: &Value, what: &str) {
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap();
    let errors: Vec<String> = validator.iter_errors(v).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{what} does not fit its schema: {errors:?}\n{v}"
    );
}

fn no_personal_data(text: &str, what: &str) {
    for p in PERSONAL {
        assert!(!text.contains(p), "{what} shows `{p}`: {text}");
    }
}

async fn get(c: &Caller, path: &str) -> (StatusCode, String) {
    let r = c.get(path).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn get_json(c: &Caller, path: &str) -> (StatusCode, Value) {
    let (s, t) = get(c, path).await;
    no_personal_data(&t, path);
    (s, serde_json::from_str(&t).unwrap_or(Value::Null))
}

async fn post_form(c: &Caller, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let r = c.post(path).form(form).send().await.unwrap();
    let s = r.status();
    let t = r.text().await.unwrap();
    no_personal_data(&t, path);
    (s, serde_json::from_str(&t).unwrap_or(Value::Null))
}

fn error_codes(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap_or_else(|| panic!("an errors list: {v}"))
        .iter()
        .map(|e| {
            assert!(e["description"].as_str().is_some_and(|d| !d.is_empty()));
            e["code"].as_i64().unwrap()
        })
        .collect()
}

/// Every element `<name>` of an XML document, in order (the document must be well-formed).
fn xml_texts(xml: &str, name: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let (mut out, mut inside) = (vec![], false);
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) if e.name().0 == name => inside = true,
            Event::Text(t) if inside => out.push(t.into_inner().into_owned()),
            Event::End(e) if e.name().0 == name => inside = false,
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

async fn key(app: &TestApp, name: &str, user: Option<i64>) -> String {
    app.services
        .create_open311_key(&tanggap_service::Caller::System, name, user)
        .await
        .unwrap()
        .1
}

async fn integration_account(app: &TestApp, username: &str, agency: &str) -> i64 {
    app.services
        .create_user(
            &tanggap_service::Caller::System,
            UserInput {
                username: username.into(),
                display_name: format!("Sistem {agency}"),
                role: "petugas".into(),
                agency_id: Some(agency.into()),
                email: None,
                phone: None,
                password: String::new(),
                integration: true,
            },
        )
        .await
        .unwrap()
        .id
}

async fn open311_clients_file_read_and_follow_requests(app: &TestApp) {
    let client = app.anonymous();
    let k = key(app, "Aplikasi Warga", None).await;

    // Discovery and services.
    let (s, d) = get_json(&client, "/open311/v2/discovery.json").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        d["endpoints"][0]["url"]
            .as_str()
            .unwrap()
            .ends_with("/open311/v2")
    );
    let (s, xml) = get(&client, "/open311/v2/discovery.xml").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(xml_texts(&xml, "format"), ["application/json", "text/xml"]);
    let (s, services) = get_json(&client, "/open311/v2/services.json").await;
    assert_eq!(s, StatusCode::OK);
    validate(
        &list_schema("services.json", "service.json"),
        &services,
        "services",
    );
    let codes: Vec<&str> = services
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service_code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"jalan-jembatan") && codes.contains(&"listrik"));
    let pln = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service_code"] == "listrik")
        .unwrap();
    assert_eq!(pln["group"], "Instansi vertikal");
    let (_, xml) = get(&client, "/open311/v2/services.xml").await;
    assert_eq!(xml_texts(&xml, "service_code"), codes);
    let (s, def) = get_json(&client, "/open311/v2/services/jalan-jembatan.json").await;
    assert_eq!(s, StatusCode::OK);
    validate(
        &schema("service-definition.json"),
        &def,
        "service definition",
    );
    let (s, e) = get_json(&client, "/open311/v2/services/tidak-ada.json").await;
    assert_eq!((s, error_codes(&e)), (StatusCode::NOT_FOUND, vec![404]));
    let (s, xml) = get(&client, "/open311/v2/services/tidak-ada.xml").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(xml_texts(&xml, "code"), ["404"]);
    let (s, _) = get(&client, "/open311/v2/services.html").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Jurisdictions: this one, another (404).
    let (s, _) = get_json(
        &client,
        "/open311/v2/services.json?jurisdiction_id=jatengprov.go.id",
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = get_json(
        &client,
        "/open311/v2/services.json?jurisdiction_id=kota-lain",
    )
    .await;
    assert_eq!((s, error_codes(&e)), (StatusCode::NOT_FOUND, vec![404]));

    // Filing: the key is required and must be valid; bad fields are listed, each with a 400.
    let good = [
        ("service_code", "jalan-jembatan"),
        ("lat", "-6.98261"),
        ("long", "110.40937"),
        ("address_string", "Jl. Pemuda No. 12, Semarang"),
        (
            "description",
            "Jalan berlubang besar di depan pasar, sudah dua pengendara jatuh minggu ini.",
        ),
        ("email", "siti.open311@example.id"),
        ("phone", "081234567811"),
        ("first_name", "Siti"),
        ("last_name", "Aminah"),
        ("attribute[jenis]", "pengaduan"),
        ("attribute[tanggal_kejadian]", "2026-11-20"),
    ];
    let (s, e) = post_form(&client, "/open311/v2/requests.json", &good).await;
    assert_eq!((s, error_codes(&e)), (StatusCode::FORBIDDEN, vec![403]));
    let mut with_bad_key = good.to_vec();
    with_bad_key.push(("api_key", "o311_salah"));
    let (s, e) = post_form(&client, "/open311/v2/requests.json", &with_bad_key).await;
    assert_eq!((s, error_codes(&e)), (StatusCode::FORBIDDEN, vec![403]));
    let (s, e) = post_form(
        &client,
        "/open311/v2/requests.json",
        &[
            ("api_key", k.as_str()),
            ("service_code", "tidak-ada"),
            ("lat", "utara"),
            ("attribute[warna]", "merah"),
            ("description", "pendek"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(error_codes(&e).iter().all(|c| *c == 400));
    let text = e.to_string();
    for field in ["service_code", "lat", "attribute[warna]"] {
        assert!(text.contains(&format!("{field}: ")), "{field} in {text}");
    }
    let before = app.services.public_counts().await.unwrap();
    let mut filed = good.to_vec();
    filed.push(("api_key", k.as_str()));
    filed.push(("jurisdiction_id", "jatengprov.go.id"));
    let (s, created) = post_form(&client, "/open311/v2/requests.json", &filed).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    validate(
        &list_schema("requests.json", "request.json"),
        &created,
        "POST requests",
    );
    let tid = created[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = created[0]["token"].as_str().unwrap().to_string();
    assert_eq!(created[0]["status"], "open");
    assert!(
        created[0]["service_notice"]
            .as_str()
            .unwrap()
            .contains("1×24 jam")
    );
    assert_eq!(
        app.services.public_counts().await.unwrap(),
        before,
        "not listed before verification"
    );

    // In Tanggap it is a report like any other: channel open311, the reporter's contacts kept
    // for the desk (never shown above), the receipt on its way to the e-mail address.
    let op = app.staff("op.open311", Role::Operator, None).await;
    let report = op.report(&tid).await;
    assert_eq!(report["channel"], "open311");
    assert_eq!(report["status"], "baru");
    assert_eq!(report["category"], "jalan-jembatan");
    assert_eq!(report["occurred_on"], "2026-11-20");
    assert_eq!(report["reporter"]["email"], "siti.open311@example.id");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM notifications n JOIN reports r ON r.id = n.report_id WHERE r.tracking_id = '{tid}'"
        ))
        .await,
        1
    );

    // Read back: by ID in JSON and XML, by token.
    let (s, one) = get_json(&client, &format!("/open311/v2/requests/{tid}.json")).await;
    assert_eq!(s, StatusCode::OK);
    validate(
        &list_schema("requests.json", "request.json"),
        &one,
        "GET request",
    );
    assert_eq!(one[0]["service_request_id"], tid.as_str());
    assert_eq!(one[0]["address"], "Jl. Pemuda No. 12, Semarang");
    let lat = one[0]["lat"].as_f64().unwrap();
    assert!(
        (lat + 6.98261).abs() < 0.01 && lat != -6.98261,
        "approximate: {lat}"
    );
    let (s, xml) = get(&client, &format!("/open311/v2/requests/{tid}.xml")).await;
    assert_eq!(s, StatusCode::OK);
    no_personal_data(&xml, "GET request XML");
    assert_eq!(xml_texts(&xml, "service_request_id"), [tid.as_str()]);
    assert_eq!(xml_texts(&xml, "status"), ["open"]);
    let (s, t) = get_json(&client, &format!("/open311/v2/tokens/{token}.json")).await;
    assert_eq!(s, StatusCode::OK);
    validate(
        &list_schema("requests.json", "request.json"),
        &t,
        "GET token",
    );
    assert_eq!(t[0]["service_request_id"], tid.as_str());
    let (s, e) = get_json(&client, "/open311/v2/tokens/tidak-ada.json").await;
    assert_eq!((s, error_codes(&e)), (StatusCode::NOT_FOUND, vec![404]));

    // Multipart with a photo: the photo is cleaned (EXIF gone) and kept with the report.
    let form = reqwest::multipart::Form::new()
        .text("api_key", k.clone())
        .text("service_code", "lingkungan")
        .text("address_id", "33.74")
        .text(
            "description",
            "Sampah menumpuk di pinggir sungai sejak dua minggu, bau menyengat.",
        )
        .part(
            "media",
            reqwest::multipart::Part::bytes(jpeg_with_exif())
                .file_name("sampah.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        );
    let r = client
        .post("/open311/v2/requests.json")
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let with_photo: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{with_photo}");
    let photo_tid = with_photo[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(with_photo[0]["address_id"], "33.74");
    assert_eq!(
        op.report(&photo_tid).await["attachments"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A confidential request is filed, answered with its number only, and never read back.
    let mut secret = filed.clone();
    secret.push(("attribute[kerahasiaan]", "rahasia"));
    let (s, c) = post_form(&client, "/open311/v2/requests.json", &secret).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    validate(
        &list_schema("requests.json", "request.json"),
        &c,
        "POST confidential",
    );
    let secret_tid = c[0]["service_request_id"].as_str().unwrap().to_string();
    assert!(c[0].get("description").is_none());
    let (s, _) = get_json(&client, &format!("/open311/v2/requests/{secret_tid}.json")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Verified and dispatched, the requests are listed; the confidential one never is.
    let dispatch = json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}],
        "note": "Diteruskan ke DPU Bina Marga.", "note_public": true});
    for t in [&tid, &secret_tid] {
        op.act(&format!("/api/v1/reports/{t}/dispatch"), dispatch.clone())
            .await;
    }
    let (s, list) = get_json(&client, "/open311/v2/requests.json").await;
    assert_eq!(s, StatusCode::OK);
    validate(
        &list_schema("requests.json", "request.json"),
        &list,
        "GET requests",
    );
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["service_request_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [tid.as_str()], "only the verified public request");
    assert!(
        list[0]["agency_responsible"]
            .as_str()
            .unwrap()
            .contains("Bina Marga")
    );
    let (_, xml) = get(&client, "/open311/v2/requests.xml?status=open").await;
    assert_eq!(xml_texts(&xml, "service_request_id"), [tid.as_str()]);
    for (query, expected) in [
        ("status=closed", 0),
        ("service_code=lingkungan,listrik", 0),
        ("service_code=jalan-jembatan", 1),
        ("page_size=1&page=2", 0),
        ("page_size=1&page=1", 1),
    ] {
        let (s, l) = get_json(&client, &format!("/open311/v2/requests.json?{query}")).await;
        assert_eq!(s, StatusCode::OK, "{query}");
        assert_eq!(l.as_array().unwrap().len(), expected, "{query}");
    }
    let (_, by_ids) = get_json(
        &client,
        &format!("/open311/v2/requests.json?service_request_id={tid},{secret_tid},{photo_tid}"),
    )
    .await;
    assert_eq!(
        by_ids.as_array().unwrap().len(),
        2,
        "confidential left out: {by_ids}"
    );
    for bad in [
        "status=sedang",
        "page=0",
        "start_date=kemarin",
        "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",
        "start_date=2026-06-01T00:00:00Z&end_date=2026-05-01T00:00:00Z",
    ] {
        let (s, e) = get_json(&client, &format!("/open311/v2/requests.json?{bad}")).await;
        assert_eq!(
            (s, error_codes(&e)[0]),
            (StatusCode::BAD_REQUEST, 400),
            "{bad}"
        );
    }

    // The agency answers on its page; an agency system posts its progress through Open311.
    let dpu = app
        .staff("petugas.dpu.o311", Role::Petugas, Some("dpu-bmck"))
        .await;
    let assignment = op.report(&tid).await["assignments"][0]["id"]
        .as_i64()
        .unwrap();
    dpu.act(
        &format!("/api/v1/reports/{tid}/assignments/{assignment}/updates"),
        json!({"stage": "verifikasi", "note": "Tim kami memeriksa lokasi."}),
    )
    .await;
    let system = integration_account(app, "sistem.dpu", "dpu-bmck").await;
    let agency_key = key(app, "Sistem DPU", Some(system)).await;
    let update = |key: &str, status: &str| {
        vec![
            ("api_key", key.to_string()),
            ("service_request_id", tid.clone()),
            ("status", status.to_string()),
            (
                "description",
                "Penambalan dijadwalkan besok pagi.".to_string(),
            ),
            ("updated_datetime", "2026-12-01T08:00:00+07:00".to_string()),
        ]
    };
    let post_update = |form: Vec<(&'static str, String)>| {
        let client = &client;
        async move {
            let r = client
                .post("/open311/v2/servicerequestupdates.json")
                .form(&form)
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, e) = post_update(update(&k, "IN_PROGRESS")).await;
    assert_eq!(
        (s, error_codes(&e)),
        (StatusCode::FORBIDDEN, vec![403]),
        "no account"
    );
    let (s, e) = post_update(update(&agency_key, "SELESAI_DONG")).await;
    assert_eq!((s, error_codes(&e)), (StatusCode::BAD_REQUEST, vec![400]));
    let (s, posted) = post_update(update(&agency_key, "IN_PROGRESS")).await;
    assert_eq!(s, StatusCode::OK, "{posted}");
    assert_eq!(posted[0]["status"], "IN_PROGRESS");
    assert_eq!(posted[0]["service_request_id"], tid.as_str());
    let now = op.report(&tid).await;
    assert_eq!(now["assignments"][0]["stage"], "pengerjaan");

    // The history and the feed, with the extended statuses.
    let (_, with_notes) = get_json(
        &client,
        &format!("/open311/v2/requests/{tid}.json?extensions=true"),
    )
    .await;
    validate(
        &list_schema("requests.json", "request.json"),
        &with_notes,
        "extensions",
    );
    let statuses: Vec<&str> = with_notes[0]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["status"].as_str().unwrap())
        .collect();
    let investigating = statuses.iter().position(|s| *s == "INVESTIGATING");
    assert!(
        investigating.is_some_and(|i| i > 0 && statuses[0] == "OPEN")
            && statuses.last() == Some(&"IN_PROGRESS"),
        "{statuses:?}"
    );
    let (s, feed) = get_json(&client, "/open311/v2/servicerequestupdates.json").await;
    assert_eq!(s, StatusCode::OK);
    let feed = feed.as_array().unwrap();
    assert!(
        feed.iter().all(|u| u["service_request_id"] == tid.as_str()),
        "{feed:?}"
    );
    assert!(feed.iter().any(
        |u| u["status"] == "INVESTIGATING" && u["description"] == "Tim kami memeriksa lokasi."
    ));
    let (_, xml) = get(&client, "/open311/v2/servicerequestupdates.xml").await;
    assert!(xml_texts(&xml, "status").contains(&"IN_PROGRESS".to_string()));

    // A revoked key is refused.
    app.services
        .revoke_open311_key(&tanggap_service::Caller::System, 1)
        .await
        .unwrap();
    let (s, _) = post_form(&client, "/open311/v2/requests.json", &filed).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

async fn open311_keys_are_issued_once_and_revoked_on_the_admin_page(app: &TestApp) {
    let admin = app.staff("admin.o311", Role::Admin, None).await;
    let system = integration_account(app, "sistem.pln", "pln-uid").await;
    let page = admin.get("/admin/open311").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains("id=\"kunci-kosong\""));
    assert!(
        page.contains("sistem.pln"),
        "integration accounts to choose from"
    );
    let token = csrf(&page);
    let r = admin
        .post("/admin/open311")
        .form(&[
            ("csrf", token.as_str()),
            ("name", "Aplikasi PLN Mobile"),
            ("user_id", &system.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    let key = page
        .split("<code id=\"kunci\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_string();
    assert!(key.starts_with("o311_"));
    // Shown once: the list does not show it again, and only its hash is in the database.
    let list = admin
        .get("/admin/open311")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("Aplikasi PLN Mobile") && !list.contains(&key));
    assert!(!app.all_rows_as_text().await.contains(&key));
    // The key works.
    let client = app.anonymous();
    let filing = [
        ("api_key", key.as_str()),
        ("service_code", "listrik"),
        ("address_string", "Desa Sidomulyo, Ungaran"),
        (
            "description",
            "Tiang listrik miring hampir roboh di pinggir jalan desa.",
        ),
    ];
    let (s, _) = post_form(&client, "/open311/v2/requests.json", &filing).await;
    assert_eq!(s, StatusCode::CREATED);
    // Refused: a nameless key, someone who is not an admin.
    let r = admin
        .post("/admin/open311")
        .form(&[("csrf", token.as_str()), ("name", " ")])
        .send()
        .await
        .unwrap();
    assert!(r.url().path().starts_with("/admin/open311"));
    let op = app.staff("op.o311", Role::Operator, None).await;
    assert_eq!(
        op.get("/admin/open311").send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    // Revoked on the page: refused from then on, and audited.
    let r = admin
        .post("/admin/open311/cabut")
        .form(&[("csrf", token.as_str()), ("id", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let list = r.text().await.unwrap();
    assert!(
        list.contains("Dicabut") || list.contains("Revoked"),
        "{list}"
    );
    let (s, _) = post_form(&client, "/open311/v2/requests.json", &filing).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action LIKE 'open311_key.%'")
            .await,
        2
    );
}

/// An installation may require `jurisdiction_id`: without it every call is 400.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_required_jurisdiction_is_asked_for() {
    let app = TestApp::sqlite_with(|c| {
        c.open311_jurisdiction = "jateng".into();
        c.open311_jurisdiction_required = true;
    })
    .await;
    let client = app.anonymous();
    let (s, e) = get_json(&client, "/open311/v2/services.json").await;
    assert_eq!((s, error_codes(&e)), (StatusCode::BAD_REQUEST, vec![400]));
    let (s, xml) = get(&client, "/open311/v2/services.xml").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(xml_texts(&xml, "code"), ["400"]);
    let (s, _) = get_json(&client, "/open311/v2/services.json?jurisdiction_id=jateng").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = get_json(
        &client,
        "/open311/v2/services.json?jurisdiction_id=jatengprov.go.id",
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.finish().await;
}
