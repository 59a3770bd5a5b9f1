//! The page forms take what the spec promises and the API takes: 5 files of 5 MB. A file or an
//! upload too large is explained in Indonesian next to the form, with what was typed kept.

use crate::common::{TestApp, complaint};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use tanggap_domain::Role;

const MIB: usize = 1024 * 1024;

/// A well-formed PDF of `bytes` bytes: an empty document with a stream of padding (the upload
/// is parsed and rewritten without its metadata, so it must be a real PDF).
fn pdf(bytes: usize) -> Vec<u8> {
    let head = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
        2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n";
    let tail = b"\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    // The stream's length is written in a fixed width, so the total is known beforehand.
    let dict_len = "3 0 obj << /Length 0000000000 >> stream\n".len();
    let len = bytes.saturating_sub(head.len() + dict_len + tail.len());
    let mut v = head.to_vec();
    v.extend_from_slice(format!("3 0 obj << /Length {len:>10} >> stream\n").as_bytes());
    v.resize(v.len() + len, b'x');
    v.extend_from_slice(tail);
    v
}

fn report_form(title: &str, files: &[usize]) -> Form {
    let mut f = Form::new();
    for (k, v) in [
        ("aksi", "kirim"),
        ("kind", "pengaduan"),
        ("title", title),
        (
            "body",
            "Jembatan penghubung dua desa retak parah sejak banjir bulan lalu dan berbahaya.",
        ),
        ("kabkota", "33.74"),
        ("category", "jalan-jembatan"),
        ("name", "Siti Aminah"),
        ("phone", "081234567890"),
    ] {
        f = f.text(k, v.to_string());
    }
    for (i, n) in files.iter().enumerate() {
        f = f.part(
            "foto",
            Part::bytes(pdf(*n))
                .file_name(format!("bukti-{i}.pdf"))
                .mime_str("application/pdf")
                .unwrap(),
        );
    }
    f
}

async fn the_citizen_form_takes_a_few_megabytes_of_photos(app: &TestApp) {
    let r = app
        .anonymous()
        .post("/lapor")
        .multipart(report_form(
            "Jembatan retak di Tegalrejo",
            &[3 * MIB, 4 * MIB],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.url().path().starts_with("/lacak/"),
        "lands on the tracking page: {}",
        r.url()
    );
    let tid = r.url().path().trim_start_matches("/lacak/").to_string();
    let rec = app
        .store
        .report_by_tracking_id(&tanggap_domain::TrackingId::parse(&tid).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(app.store.attachments(rec.id).await.unwrap().len(), 2);
}

async fn a_file_or_an_upload_too_large_is_explained_and_the_text_kept(app: &TestApp) {
    let before = app.store.count_reports().await.unwrap();
    // One file over 5 MB.
    let r = app
        .anonymous()
        .post("/lapor")
        .multipart(report_form("Jembatan retak di Pedurungan", &[6 * MIB]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("bukti-0.pdf: Berkas terlalu besar: maksimal 5 MB per berkas."),
        "says which file and why"
    );
    assert!(
        html.contains("value=\"Jembatan retak di Pedurungan\""),
        "title kept"
    );
    assert!(html.contains("Siti Aminah"), "name kept");
    // More than the upload limit in all.
    let r = app
        .anonymous()
        .post("/lapor")
        .multipart(report_form(
            "Jembatan retak di Banyumanik",
            &[
                5 * MIB - 100,
                5 * MIB - 100,
                5 * MIB - 100,
                5 * MIB - 100,
                6 * MIB,
            ],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Berkas terlalu besar bersama-sama: maksimal 25 MB untuk semua berkas."),
        "says the total is too large"
    );
    assert!(html.contains("value=\"Jembatan retak di Banyumanik\""));
    assert_eq!(
        app.store.count_reports().await.unwrap(),
        before,
        "nothing stored"
    );

    // The reporter's reply keeps its text too.
    let (tid, secret) = app.submit(complaint("Lampu jalan padam")).await;
    let form = Form::new()
        .text("kunci", secret.clone())
        .text("text", "Ini foto lampunya, Pak.")
        .part(
            "foto",
            Part::bytes(pdf(6 * MIB))
                .file_name("lampu.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let r = app
        .anonymous()
        .post(&format!("/lacak/{tid}/balas"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("lampu.pdf: Berkas terlalu besar"));
    assert!(html.contains(">Ini foto lampunya, Pak.</textarea>"));
    // ... and a reply with 3 MB goes through.
    let form = Form::new()
        .text("kunci", secret.clone())
        .text("text", "Ini foto lampunya, Pak.")
        .part(
            "foto",
            Part::bytes(pdf(3 * MIB))
                .file_name("lampu.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let r = app
        .anonymous()
        .post(&format!("/lacak/{tid}/balas"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.url().query().unwrap_or("").contains("ok=balas"));
}

async fn the_staff_forms_take_the_same_uploads(app: &TestApp) {
    let op = app.staff("u.meja", Role::Operator, None).await;
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
    let walk_in = report_form("Pungli di loket samsat", &[3 * MIB])
        .text("csrf", csrf.clone())
        .text("channel", "tatap_muka");
    let r = op
        .post("/meja/baru")
        .multipart(walk_in)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.url().path().starts_with("/kelola/"), "{}", r.url());
    let walk_in = report_form("Pungli di loket samsat lagi", &[6 * MIB])
        .text("csrf", csrf.clone())
        .text("channel", "tatap_muka");
    let r = op
        .post("/meja/baru")
        .multipart(walk_in)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Berkas terlalu besar"));
    assert!(html.contains("value=\"Pungli di loket samsat lagi\""));

    // An agency's progress update with a photo.
    let (tid, _) = app.submit(complaint("Drainase mampet")).await;
    op.act(
        &format!("/api/v1/reports/{tid}/dispatch"),
        serde_json::json!({"agencies": [{"agency_id": "dinkes", "role": "utama"}]}),
    )
    .await;
    let dinkes = app.staff("u.dinkes", Role::Petugas, Some("dinkes")).await;
    let html = dinkes
        .get(&format!("/kelola/{tid}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let field = |name: &str| {
        html.split(&format!("name=\"{name}\" value=\""))
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string()
    };
    let (csrf, aid) = (field("csrf"), field("assignment"));
    let update = |size: usize| {
        Form::new()
            .text("csrf", csrf.clone())
            .text("aksi", "tahap")
            .text("assignment", aid.clone())
            .text("stage", "verifikasi")
            .text("note", "Petugas sudah meninjau saluran.")
            .part(
                "foto",
                Part::bytes(pdf(size))
                    .file_name("saluran.pdf")
                    .mime_str("application/pdf")
                    .unwrap(),
            )
    };
    let r = dinkes
        .post(&format!("/kelola/{tid}/aksi"))
        .multipart(update(6 * MIB))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    let form_start = html.find(&format!("id=\"tindak-lanjut-{aid}\"")).unwrap();
    let message = html[form_start..]
        .find("saluran.pdf: Berkas terlalu besar")
        .expect("the reason next to the form");
    assert!(message < html[form_start..].find("</form>").unwrap());
    assert!(html.contains(">Petugas sudah meninjau saluran.</textarea>"));
    let r = dinkes
        .post(&format!("/kelola/{tid}/aksi"))
        .multipart(update(3 * MIB))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Perkembangan disimpan"));
}

crate::on_both_backends!(
    the_citizen_form_takes_a_few_megabytes_of_photos,
    a_file_or_an_upload_too_large_is_explained_and_the_text_kept,
    the_staff_forms_take_the_same_uploads
);
