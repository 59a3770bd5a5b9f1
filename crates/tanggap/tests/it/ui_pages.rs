//! The pages over plain HTTP, as a browser without JavaScript (or a cheap phone) sees them.

use crate::common::TestApp;
use reqwest::StatusCode;
use reqwest::multipart::Form;
use tanggap_domain::Role;

fn form(fields: &[(&str, &str)]) -> Form {
    fields.iter().fold(Form::new(), |f, (k, v)| {
        f.text(k.to_string(), v.to_string())
    })
}

/// Every `src` and `href` in a page.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            if let Some(end) = rest.find('"') {
                out.push(rest[..end].to_string());
            }
        }
    }
    out
}

#[tokio::test]
async fn the_submission_page_stays_under_50_kb_and_loads_nothing_from_outside() {
    let app = TestApp::sqlite().await;
    // A client that asks for gzip like a browser and does not decompress: what it counts is
    // what travels over the wire.
    let raw = reqwest::Client::builder().build().unwrap();
    let get = |path: String| {
        let raw = raw.clone();
        let url = app.url(&path);
        async move {
            let r = raw
                .get(url)
                .header("accept-encoding", "gzip")
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            let encoding = r
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap().to_string());
            (encoding, r.bytes().await.unwrap().len())
        }
    };
    let html = app
        .anonymous()
        .get("/lapor")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (enc, page) = get("/lapor".into()).await;
    assert_eq!(enc.as_deref(), Some("gzip"));
    let mut total = page;
    let mut assets = Vec::new();
    for l in links(&html) {
        assert!(
            !l.starts_with("http://") && !l.starts_with("https://") && !l.starts_with("//"),
            "external resource {l}"
        );
        if l.starts_with("/static/") {
            let (_, n) = get(l.clone()).await;
            total += n;
            assets.push((l, n));
        }
    }
    assert!(
        assets.len() >= 2,
        "the stylesheet and the script are counted: {assets:?}"
    );
    eprintln!("submission page transferred: page {page} B + {assets:?} = {total} B");
    assert!(total < 50 * 1024, "{total} bytes");
    app.finish().await;
}

#[tokio::test]
async fn every_field_has_a_label_and_the_page_names_its_language() {
    let app = TestApp::sqlite().await;
    for path in ["/lapor", "/lacak", "/masuk", "/"] {
        let html = app
            .anonymous()
            .get(path)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.starts_with("<!doctype html>\n<html lang=\"id\">"),
            "{path}"
        );
        let mut rest = html.as_str();
        while let Some(i) = rest.find("<input") {
            rest = &rest[i..];
            let tag = &rest[..rest.find('>').unwrap()];
            rest = &rest[tag.len()..];
            if tag.contains("type=\"hidden\"")
                || tag.contains("type=\"radio\"")
                || tag.contains("type=\"checkbox\"")
            {
                continue; // radios and checkboxes sit inside their <label>
            }
            let id = tag
                .split("id=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap_or_else(|| panic!("{path}: input without id: {tag}"));
            assert!(
                html.contains(&format!("for=\"{id}\"")),
                "{path}: no label for #{id}"
            );
        }
    }
    let html = app
        .anonymous()
        .get("/bahasa/en?lanjut=/lapor")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"en\">") && html.contains("Submit a report"));
    app.finish().await;
}

#[tokio::test]
async fn a_rejected_form_keeps_what_was_typed_and_says_what_to_fix() {
    let app = TestApp::sqlite().await;
    let r = app
        .anonymous()
        .post("/lapor")
        .multipart(form(&[
            ("aksi", "kirim"),
            ("kind", "pengaduan"),
            ("title", ""),
            ("body", "Jalan di depan rumah saya rusak sekali"),
            ("kabkota", "33.74"),
            ("address", "Jl. Pemuda 5"),
            ("phone", "12"),
            ("name", "Budi Santoso"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Judul laporan wajib diisi."),
        "next to the title"
    );
    assert!(html.contains("Nomor telepon tidak valid"));
    assert!(
        html.contains("Jalan di depan rumah saya rusak sekali"),
        "the body is kept"
    );
    assert!(html.contains("value=\"Jl. Pemuda 5\"") && html.contains("value=\"Budi Santoso\""));
    assert!(
        html.contains("<option value=\"33.74\" selected>"),
        "the regency is kept"
    );
    assert!(html.contains("id=\"title\"") && html.contains("aria-invalid=\"true\""));
    assert_eq!(
        app.store.count_reports().await.unwrap(),
        0,
        "nothing stored"
    );
    // Markup typed into a field comes back escaped.
    let r = app
        .anonymous()
        .post("/lapor")
        .multipart(form(&[
            ("aksi", "kirim"),
            ("title", "<b>x</b>\"><script>alert(1)</script>"),
            ("body", "pendek"),
        ]))
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(
        html.contains("&#60;script&#62;alert(1)") || html.contains("&lt;script&gt;alert(1)"),
        "shown escaped"
    );
    app.finish().await;
}

#[tokio::test]
async fn without_javascript_the_region_pickers_fill_in_by_reloading() {
    let app = TestApp::sqlite().await;
    let html = app
        .anonymous()
        .get("/lapor")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("name=\"aksi\" value=\"wilayah\""),
        "a no-script button to show the next level"
    );
    let r = app
        .anonymous()
        .post("/lapor")
        .multipart(form(&[
            ("aksi", "wilayah"),
            ("title", "Sampah menumpuk"),
            ("kabkota", "33.74"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("value=\"33.74.01\"") && html.contains("Semarang Tengah"),
        "kecamatan of Kota Semarang offered"
    );
    assert!(html.contains("value=\"Sampah menumpuk\""));
    let r = app
        .anonymous()
        .post("/lapor")
        .multipart(form(&[
            ("aksi", "wilayah"),
            ("kabkota", "33.74"),
            ("kecamatan", "33.74.01"),
        ]))
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("Miroto"), "desa/kelurahan offered");
    // And a full submission without JavaScript lands on the tracking page.
    let r = app
        .anonymous()
        .post("/lapor")
        .multipart(form(&[
            ("aksi", "kirim"),
            ("kind", "aspirasi"),
            ("title", "Taman kota perlu lampu"),
            (
                "body",
                "Taman di Miroto gelap di malam hari, mohon dipasang lampu.",
            ),
            ("kabkota", "33.74"),
            ("kecamatan", "33.74.01"),
            ("desa", "33.74.01.1001"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "followed the redirect");
    assert!(r.url().path().starts_with("/lacak/LG-"));
    let html = r.text().await.unwrap();
    assert!(html.contains("Laporan Anda sudah kami terima") && html.contains("tautan-rahasia"));
    app.finish().await;
}

#[tokio::test]
async fn pages_belong_to_their_roles_and_forms_need_the_csrf_token() {
    let app = TestApp::sqlite().await;
    let pages = [
        ("/meja", vec![Role::Operator]),
        ("/meja/baru", vec![Role::Operator]),
        ("/instansi", vec![Role::Petugas, Role::Kepala]),
        ("/instansi/dasbor", vec![Role::Petugas, Role::Kepala]),
        (
            "/pimpinan",
            vec![Role::Pimpinan, Role::Auditor, Role::Operator],
        ),
        ("/admin", vec![Role::Admin]),
    ];
    // Nobody is sent to the login page.
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (p, _) in &pages {
        let r = no_redirect.get(app.url(p)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{p}");
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/masuk?lanjut=")
        );
    }
    for role in Role::ALL {
        let agency = role.is_agency_role().then_some("dinkes");
        let c = app
            .staff(&format!("page.{}", role.as_str()), *role, agency)
            .await;
        for (p, allowed) in &pages {
            let status = c.get(p).send().await.unwrap().status();
            let want = if allowed.contains(role) {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(status, want, "{p} as {role}");
        }
    }
    // A staff form posted without the session's CSRF token is refused and changes nothing.
    let mut op = app.staff("page.operator2", Role::Operator, None).await;
    let (tid, _) = app
        .submit(crate::common::complaint("Drainase mampet"))
        .await;
    op.csrf = None;
    let r = op
        .post(&format!("/kelola/{tid}/aksi"))
        .multipart(form(&[
            ("aksi", "arsip"),
            ("reason", "uji"),
            ("csrf", "salah"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .store
        .report_by_tracking_id(&tanggap_domain::TrackingId::parse(&tid).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.status, tanggap_domain::ReportStatus::Baru);
    let r = op
        .post("/keluar")
        .form(&[("csrf", "salah")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "even logging out needs the token"
    );
    app.finish().await;
}

#[tokio::test]
async fn the_desk_enters_a_walk_in_report_and_the_public_never_sees_confidential_ones() {
    let app = TestApp::sqlite().await;
    let op = app.staff("page.desk", Role::Operator, None).await;
    let html = op
        .get("/meja/baru")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = op
        .post("/meja/baru")
        .multipart(form(&[
            ("csrf", &csrf),
            ("aksi", "kirim"),
            ("channel", "tatap_muka"),
            ("kind", "pengaduan"),
            ("title", "Pungli pembuatan KTP"),
            (
                "body",
                "Warga diminta membayar Rp 50.000 untuk KTP di kantor kecamatan.",
            ),
            ("kabkota", "33.22"),
            ("rahasia", "on"),
            ("name", "Pak Darmo"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("tercatat") && html.contains("Pungli pembuatan KTP"),
        "lands on the report with the secret to hand over"
    );
    let tid = html
        .split("class=\"tracking small\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    let rec = app
        .store
        .report_by_tracking_id(&tanggap_domain::TrackingId::parse(&tid).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.channel, tanggap_domain::Channel::TatapMuka);
    // Confidential: the public tracking page refuses without the secret, the home page counts it not.
    let r = app
        .anonymous()
        .get(&format!("/lacak/{tid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("rahasia"));
    app.finish().await;
}

#[tokio::test]
async fn a_refused_action_keeps_the_text_and_explains_next_to_the_form() {
    let app = TestApp::sqlite().await;
    let op = app.staff("page.op3", Role::Operator, None).await;
    let (tid, _) = app
        .submit(crate::common::complaint("Lampu jalan mati total"))
        .await;
    op.act(
        &format!("/api/v1/reports/{tid}/dispatch"),
        serde_json::json!({"agencies": [{"agency_id": "dinkes", "role": "utama"}]}),
    )
    .await;
    let dinkes = app
        .staff("page.dinkes", Role::Petugas, Some("dinkes"))
        .await;
    let html = dinkes
        .get(&format!("/kelola/{tid}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let aid = html
        .split("name=\"assignment\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let long = format!("Catatan yang terlalu panjang {}", "x".repeat(4100));
    let r = dinkes
        .post(&format!("/kelola/{tid}/aksi"))
        .multipart(form(&[
            ("csrf", &csrf),
            ("aksi", "tahap"),
            ("assignment", &aid),
            ("stage", "verifikasi"),
            ("note", &long),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Catatan paling banyak 4000 karakter."),
        "the reason, in Indonesian"
    );
    assert!(
        html.contains("Catatan yang terlalu panjang"),
        "the typed note is kept"
    );
    assert!(
        html.contains("data-code=\"too_long\" data-fields=\"note:too_long\""),
        "with its code"
    );
    let i = html.find(&format!("id=\"tindak-lanjut-{aid}\"")).unwrap();
    assert!(
        html[i..]
            .find("Catatan paling banyak 4000 karakter.")
            .unwrap()
            < html[i..].find("</form>").unwrap(),
        "inside the form that failed"
    );
    app.finish().await;
}

#[tokio::test]
async fn pages_forbid_inline_script_and_other_hosts() {
    let app = TestApp::sqlite().await;
    for path in ["/", "/lapor", "/lacak", "/masuk"] {
        let r = app.anonymous().get(path).send().await.unwrap();
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            csp.contains("script-src 'self'")
                && csp.contains("default-src 'none'")
                && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        let html = r.text().await.unwrap();
        assert!(
            !html.contains(" style=\"") && !html.contains("<script>"),
            "{path} has inline style or script"
        );
    }
    app.finish().await;
}

/// A browser that opens an address that does not exist, or an unknown tracking number, gets a
/// page in Indonesian with a way on; the API and non-browser clients keep problem+json.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_addresses_and_numbers_get_pages_in_the_visitors_language() {
    let app = TestApp::sqlite().await;
    let get = |path: &'static str, accept: Option<&'static str>| {
        let app = &app;
        async move {
            let mut r = app.anonymous().get(path);
            if let Some(a) = accept {
                r = r.header("accept", a);
            }
            let r = r.send().await.unwrap();
            let status = r.status();
            let kind = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            (status, kind, r.text().await.unwrap())
        }
    };
    const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let (status, kind, html) = get("/tidak-ada", Some(BROWSER)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(
        html.contains("Halaman tidak ditemukan") && html.contains("href=\"/\""),
        "{html}"
    );
    assert!(
        !html.contains("Not Found"),
        "no English on an Indonesian page"
    );
    let (status, kind, _) = get("/api/v1/tidak-ada", Some(BROWSER)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(kind.starts_with("application/problem+json"), "{kind}");
    let (_, kind, _) = get("/tidak-ada", None).await;
    assert!(kind.starts_with("application/problem+json"), "{kind}");

    let (status, _, html) = get("/lacak/LG-AAAAAAAAAA", Some(BROWSER)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("LG-AAAAAAAAAA tidak ditemukan"), "{html}");
    assert!(html.contains("name=\"nomor\"") && html.contains("value=\"LG-AAAAAAAAAA\""));
    app.finish().await;
}
