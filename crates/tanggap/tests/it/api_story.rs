//! The complaint's whole life through the JSON API, on SQLite and on PostgreSQL: a citizen
//! submits; the desk verifies and dispatches to two agencies; one returns it as not its
//! authority; the other works it to `tuntas`; the citizen rates it "not fixed" and reopens; the
//! agency finishes again; the citizen confirms and the report closes. Every step is on the audit
//! trail and the chain verifies.

use crate::common::{TestApp, complaint, jpeg_with_exif, problem};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use tanggap_domain::Role;

fn stages(report: &Value) -> Vec<(String, String)> {
    report["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["agency_id"].as_str().unwrap().to_string(),
                a["stage"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn assignment_id(report: &Value, agency: &str) -> i64 {
    report["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agency_id"] == agency)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn the_whole_story(app: &TestApp) {
    // A citizen submits.
    let (tid, secret) = app
        .submit(complaint("Jalan provinsi berlubang di Jl. Pemuda"))
        .await;
    assert!(tid.starts_with("LG-"));
    let citizen = app.reporter(&secret);
    let r = citizen.report(&tid).await;
    assert_eq!(r["status"], "baru");
    assert_eq!(
        r["reporter"]["phone"], "+6281234567890",
        "the reporter sees their own details"
    );

    // The desk verifies and dispatches to two agencies.
    let operator = app.staff("operator.satu", Role::Operator, None).await;
    let r = operator.act(&format!("/api/v1/reports/{tid}/verify"), json!({"title": "Jalan provinsi berlubang di Jl. Pemuda, Miroto", "needs_field_check": true})).await;
    assert_eq!(r["title"], "Jalan provinsi berlubang di Jl. Pemuda, Miroto");
    let r = operator
        .act(&format!("/api/v1/reports/{tid}/dispatch"), json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}, {"agency_id": "pemda-33-74", "role": "pendukung"}], "note": "Mohon segera ditangani"}))
        .await;
    assert_eq!(r["status"], "didisposisikan");
    assert_eq!(
        stages(&r),
        vec![
            ("dpu-bmck".into(), "menunggu_respon".into()),
            ("pemda-33-74".into(), "menunggu_respon".into())
        ]
    );
    let due = r["assignments"][0]["response_due_at"]
        .as_str()
        .unwrap()
        .to_string();
    let dispatched_at = r["assignments"][0]["created_at"]
        .as_str()
        .unwrap()
        .to_string();
    let hours = (chrono::DateTime::parse_from_rfc3339(&due).unwrap()
        - chrono::DateTime::parse_from_rfc3339(&dispatched_at).unwrap())
    .num_hours();
    assert_eq!(hours, 24, "the 1×24 h first response clock");
    let dpu_a = assignment_id(&r, "dpu-bmck");
    let pemda_a = assignment_id(&r, "pemda-33-74");

    // One agency returns it as not its authority.
    app.advance(chrono::TimeDelta::hours(2));
    let pemda = app
        .staff("petugas.semarang", Role::Petugas, Some("pemda-33-74"))
        .await;
    let r = pemda
        .act(
            &format!("/api/v1/reports/{tid}/assignments/{pemda_a}/return"),
            json!({"reason": "Ruas ini jalan provinsi, kewenangan DPU Bina Marga Provinsi."}),
        )
        .await;
    assert_eq!(stages(&r)[1].1, "bukan_wewenang");
    assert_eq!(r["assignments"][1]["response_state"], "on_time");

    // The other reports verifikasi, cek_lapangan (with a photo), pengerjaan, tuntas.
    let dpu = app
        .staff("petugas.dpu", Role::Petugas, Some("dpu-bmck"))
        .await;
    let update = format!("/api/v1/reports/{tid}/assignments/{dpu_a}/updates");
    app.advance(chrono::TimeDelta::hours(1));
    let r = dpu
        .act(
            &update,
            json!({"stage": "verifikasi", "note": "Laporan diterima, kami jadwalkan pengecekan."}),
        )
        .await;
    assert_eq!(r["status"], "diproses");
    app.advance(chrono::TimeDelta::hours(20));
    let form = Form::new()
        .text(
            "data",
            json!({"stage": "cek_lapangan", "note": "Tim sudah mengecek lokasi; lubang 40 cm."})
                .to_string(),
        )
        .part(
            "attachments",
            Part::bytes(jpeg_with_exif())
                .file_name("lokasi.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        );
    let resp = dpu.post(&update).multipart(form).send().await.unwrap();
    let status = resp.status();
    let r: Value = resp.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{r}");
    let photo = r["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["stage"] == "cek_lapangan")
        .unwrap()["attachments"][0]
        .clone();
    assert_eq!(photo["content_type"], "image/jpeg");
    // The citizen can see the photo, and its GPS tag is gone.
    let bytes = citizen
        .get(photo["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(bytes.starts_with(&[0xFF, 0xD8]));
    assert!(
        !bytes.windows(17).any(|w| w == b"SECRET-GPS-MARKER"),
        "EXIF stripped"
    );
    for (stage, note) in [
        ("pengerjaan", "Penambalan dimulai hari ini."),
        ("tuntas", "Lubang sudah ditambal dan diaspal."),
    ] {
        app.advance(chrono::TimeDelta::hours(30));
        dpu.act(&update, json!({"stage": stage, "note": note}))
            .await;
    }

    // The citizen sees the timeline, rates it "not fixed" and reopens.
    let r = citizen.report(&tid).await;
    assert_eq!(r["status"], "selesai");
    let notes: Vec<&str> = r["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["note"].as_str())
        .collect();
    assert!(notes.contains(&"Lubang sudah ditambal dan diaspal."));
    app.advance(chrono::TimeDelta::hours(5));
    citizen
        .act(
            &format!("/api/v1/reports/{tid}/rating"),
            json!({"score": 2, "outcome": "not_fixed", "comment": "Tambalan sudah rusak lagi."}),
        )
        .await;
    let r = citizen
        .act(
            &format!("/api/v1/reports/{tid}/reopen"),
            json!({"reason": "Lubang kembali terbuka setelah hujan."}),
        )
        .await;
    assert_eq!(r["status"], "dibuka_kembali");
    assert_eq!(r["reopen_count"], 1);
    let a = &r["assignments"][0];
    assert_eq!(a["stage"], "menunggu_respon");
    assert_eq!(a["response_state"], "pending", "a new response clock runs");

    // The agency finishes again.
    app.advance(chrono::TimeDelta::hours(3));
    dpu.act(
        &update,
        json!({"stage": "pengerjaan", "note": "Perbaikan ulang dengan lapisan baru."}),
    )
    .await;
    app.advance(chrono::TimeDelta::hours(24));
    let r = dpu
        .act(
            &update,
            json!({"stage": "tuntas", "note": "Perbaikan ulang selesai."}),
        )
        .await;
    assert_eq!(r["status"], "selesai");

    // The citizen rates and confirms; the report closes.
    citizen
        .act(
            &format!("/api/v1/reports/{tid}/rating"),
            json!({"score": 5, "outcome": "fixed"}),
        )
        .await;
    let r = citizen
        .act(&format!("/api/v1/reports/{tid}/confirm"), json!({}))
        .await;
    assert_eq!(r["status"], "ditutup");
    assert_eq!(r["rating"], 5);
    assert_eq!(r["outcome"], "fixed");

    // The audit trail holds every step, and the chain verifies.
    let auditor = app.staff("inspektorat", Role::Auditor, None).await;
    let resp = auditor
        .get(&format!("/api/v1/reports/{tid}/audit"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let trail: Value = resp.json().await.unwrap();
    let actions: Vec<&str> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for want in [
        "report.created",
        "report.edited",
        "assignment.created",
        "assignment.stage_changed",
        "report.rated",
        "report.reopened",
        "assignment.restarted",
        "report.status_changed",
        "clock.set",
    ] {
        assert!(actions.contains(&want), "trail lacks {want}: {actions:?}");
    }
    let stage_changes = trail
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "assignment.stage_changed")
        .count();
    assert_eq!(stage_changes, 7, "1 return + 4 updates + 2 after reopening");
    let s = tanggap_store::verify_audit_chain(app.store.as_ref())
        .await
        .unwrap();
    assert!(s.events as usize >= trail.as_array().unwrap().len());
    // Only the auditor reads it.
    let resp = operator
        .get(&format!("/api/v1/reports/{tid}/audit"))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(resp).await.0, StatusCode::FORBIDDEN);
}

async fn conversation_and_waiting(app: &TestApp) {
    let (tid, secret) = app
        .submit(complaint("Lampu jalan mati di Jl. Pandanaran"))
        .await;
    let operator = app.staff("operator.dua", Role::Operator, None).await;
    operator
        .act(
            &format!("/api/v1/reports/{tid}/dispatch"),
            json!({"agencies": [{"agency_id": "pemda-33-74", "role": "utama"}]}),
        )
        .await;
    let r = operator
        .act(
            &format!("/api/v1/reports/{tid}/questions"),
            json!({"text": "Mohon sebutkan nomor tiang lampunya."}),
        )
        .await;
    assert_eq!(r["status"], "menunggu_pelapor");
    let citizen = app.reporter(&secret);
    let r = citizen
        .act(
            &format!("/api/v1/reports/{tid}/replies"),
            json!({"text": "Tiang nomor 17 dan 18."}),
        )
        .await;
    assert_eq!(r["status"], "didisposisikan");
    let petugas = app
        .staff("petugas.kota", Role::Petugas, Some("pemda-33-74"))
        .await;
    petugas
        .act(
            &format!("/api/v1/reports/{tid}/messages"),
            json!({"text": "Terima kasih, tim kami ke lokasi besok pagi."}),
        )
        .await;
    let msgs: Value = citizen
        .get(&format!("/api/v1/reports/{tid}/messages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bodies: Vec<(&str, &str)> = msgs
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["direction"].as_str().unwrap(),
                m["body"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        bodies,
        vec![
            ("outbound", "Mohon sebutkan nomor tiang lampunya."),
            ("inbound", "Tiang nomor 17 dan 18."),
            ("outbound", "Terima kasih, tim kami ke lokasi besok pagi.")
        ]
    );
    // The public sees neither the conversation nor the reporter.
    let public = app.anonymous();
    let r = public.report(&tid).await;
    assert!(r["reporter"].is_null());
    let (status, _) = problem(
        public
            .get(&format!("/api/v1/reports/{tid}/messages"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Leadership adds an instruction; it is internal.
    let pimpinan = app.staff("sekda", Role::Pimpinan, None).await;
    pimpinan
        .act(
            &format!("/api/v1/reports/{tid}/instructions"),
            json!({"note": "Tolong dipercepat."}),
        )
        .await;
    let r = public.report(&tid).await;
    assert!(
        !r["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "instruction")
    );
    let r = petugas.report(&tid).await;
    assert!(
        r["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "instruction" && a["by"] == "Pengguna sekda")
    );
}

async fn duplicates_archives_and_forwarding(app: &TestApp) {
    let (master, _) = app.submit(complaint("Jembatan retak di Lerep")).await;
    let (dup, _) = app.submit(complaint("Jembatan Lerep retak parah")).await;
    let (spam, _) = app.submit(complaint("Tes tes tes saja ya")).await;
    let operator = app.staff("operator.tiga", Role::Operator, None).await;
    let r = operator
        .act(
            &format!("/api/v1/reports/{dup}/duplicate"),
            json!({"master_tracking_id": master}),
        )
        .await;
    assert_eq!(r["status"], "duplikat");
    assert_eq!(r["duplicate_of"], master.as_str());
    let r = operator
        .act(
            &format!("/api/v1/reports/{spam}/archive"),
            json!({"reason": "Bukan laporan, hanya uji coba."}),
        )
        .await;
    assert_eq!(r["status"], "diarsipkan");
    // Forwarding to a sub-unit keeps the deadline.
    let (tid, _) = app
        .submit(complaint("Antrean panjang di RSUD Moewardi"))
        .await;
    let r = operator
        .act(
            &format!("/api/v1/reports/{tid}/dispatch"),
            json!({"agencies": [{"agency_id": "dinkes", "role": "utama"}]}),
        )
        .await;
    let a = assignment_id(&r, "dinkes");
    let due = r["assignments"][0]["response_due_at"].clone();
    let dinkes = app
        .staff("kepala.dinkes", Role::Kepala, Some("dinkes"))
        .await;
    app.advance(chrono::TimeDelta::hours(3));
    let r = dinkes
        .act(
            &format!("/api/v1/reports/{tid}/assignments/{a}/forward"),
            json!({"agency_id": "rsud-moewardi", "note": "Ditangani langsung oleh RSUD."}),
        )
        .await;
    let child = r["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["agency_id"] == "rsud-moewardi")
        .unwrap();
    // The forward is the parent's answer; the hospital owes its own, 24 hours from the forward
    // (SPEC section 6), three hours after the parent's deadline.
    let parent_due: chrono::DateTime<chrono::Utc> = due.as_str().unwrap().parse().unwrap();
    let child_due: chrono::DateTime<chrono::Utc> =
        child["response_due_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(child_due, parent_due + chrono::TimeDelta::hours(3));
    assert_eq!(child["forwarded_from"], a);
    // The hospital sees it and works it; the parent agency sees it too.
    let rsud = app
        .staff("petugas.rsud", Role::Petugas, Some("rsud-moewardi"))
        .await;
    let cid = child["id"].as_i64().unwrap();
    let r = rsud
        .act(
            &format!("/api/v1/reports/{tid}/assignments/{cid}/updates"),
            json!({"stage": "tuntas", "note": "Loket tambahan sudah dibuka."}),
        )
        .await;
    assert_eq!(r["status"], "selesai");
    assert_eq!(dinkes.report(&tid).await["status"], "selesai");
}

async fn listing_search_and_scoping(app: &TestApp) {
    let operator = app.staff("operator.empat", Role::Operator, None).await;
    let (a, _) = app.submit(complaint("Trotoar ambles di Jl. Pemuda")).await;
    let (b, _) = app.submit(json!({"kind": "aspirasi", "title": "Usul halte bus sekolah", "body": "Mohon dibangun halte untuk siswa di depan SMA negeri.", "region_code": "33.22", "visibility": ["rahasia"]})).await;
    operator
        .act(
            &format!("/api/v1/reports/{a}/dispatch"),
            json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}]}),
        )
        .await;
    operator
        .act(
            &format!("/api/v1/reports/{b}/dispatch"),
            json!({"agencies": [{"agency_id": "dishub", "role": "utama"}]}),
        )
        .await;
    let list = |c: crate::common::Caller, q: &'static str| async move {
        let r = c.get(&format!("/api/v1/reports{q}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{q}");
        let v: Value = r.json().await.unwrap();
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["tracking_id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(list(operator.clone(), "?q=trotoar").await, vec![a.clone()]);
    assert_eq!(
        list(operator.clone(), "?kind=aspirasi").await,
        vec![b.clone()]
    );
    assert_eq!(
        list(operator.clone(), "?region=33.22").await,
        vec![b.clone()]
    );
    assert_eq!(
        list(operator.clone(), "?agency=dpu-bmck&stage=menunggu_respon").await,
        vec![a.clone()]
    );
    let dpu = app
        .staff("petugas.dpu4", Role::Petugas, Some("dpu-bmck"))
        .await;
    assert_eq!(
        list(dpu.clone(), "").await,
        vec![a.clone()],
        "an agency lists its own reports only"
    );
    let r = dpu
        .get("/api/v1/reports?agency=dishub")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, StatusCode::FORBIDDEN);
    // The public list has no confidential reports.
    let public = list(app.anonymous(), "").await;
    assert!(public.contains(&a) && !public.contains(&b));
    // Overdue: 25 hours later, nobody responded.
    assert!(list(operator.clone(), "?overdue=true").await.is_empty());
    app.advance(chrono::TimeDelta::hours(25));
    let overdue = list(operator.clone(), "?overdue=true").await;
    assert!(overdue.contains(&a) && overdue.contains(&b));
    // Bad query parameters are explained.
    for q in [
        "?status=nope",
        "?per_page=0",
        "?from=kemarin",
        "?region=33.%25",
        "?order=sideways",
    ] {
        let r = operator
            .get(&format!("/api/v1/reports{q}"))
            .send()
            .await
            .unwrap();
        assert_eq!(problem(r).await.0, StatusCode::BAD_REQUEST, "{q}");
    }
    // Pagination.
    let r: Value = operator
        .get("/api/v1/reports?per_page=1&page=2&order=oldest")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["total"], 2);
    assert_eq!(r["items"][0]["tracking_id"], b.as_str());
}

crate::on_both_backends!(
    the_whole_story,
    conversation_and_waiting,
    duplicates_archives_and_forwarding,
    listing_search_and_scoping
);
