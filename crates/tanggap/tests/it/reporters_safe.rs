//! Reporters are safe: what someone types never joins their report to another person's record,
//! so nobody can read a victim's identity, or receive their updates, by typing their number.

use crate::common::{TestApp, complaint};
use chrono::TimeDelta;
use serde_json::json;
use std::time::{Duration, Instant};
use tanggap_domain::Role;

/// The merge attack, end to end: an attacker who knows the victim's phone number submits a
/// report with it and their own e-mail address, then reads their own report with its secret.
async fn typing_a_victims_phone_number_reveals_nothing(app: &TestApp) {
    let mut victim = complaint("Pungutan liar di kantor desa");
    victim["visibility"] = json!(["anonim", "rahasia"]);
    victim["reporter"] = json!({
        "name": "Sri Rahayu Korban",
        "phone": "0812-7777-1234",
        "email": "sri.korban@example.id",
        "nik": "3374015505800001"
    });
    let (victim_tid, _) = app.submit(victim).await;
    let mut attack = complaint("Laporan pancingan");
    attack["reporter"] = json!({"phone": "+62 812 7777 1234", "email": "penyerang@example.id"});
    let (attack_tid, attack_secret) = app.submit(attack).await;

    let own = app
        .reporter(&attack_secret)
        .get(&format!("/api/v1/reports/{attack_tid}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for secret in ["Sri Rahayu", "sri.korban", "3374015505800001"] {
        assert!(!own.contains(secret), "{secret} leaked: {own}");
    }
    let own: serde_json::Value = serde_json::from_str(&own).unwrap();
    assert_eq!(own["reporter"]["email"], "penyerang@example.id");
    assert!(own["reporter"]["name"].is_null());

    // The desk still sees the victim exactly as they reported, with their own e-mail only.
    let op = app.staff("safe.op", Role::Operator, None).await;
    let v = op.report(&victim_tid).await;
    assert_eq!(v["reporter"]["name"], "Sri Rahayu Korban");
    assert_eq!(v["reporter"]["email"], "sri.korban@example.id");
    assert_eq!(v["reporter"]["nik"], "3374015505800001");
}

/// Updates on the victim's report go to the victim's address only, never to the attacker's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_victims_updates_never_reach_the_attackers_mailbox() {
    let app = TestApp::sqlite_with(|c| {
        c.jobs = true;
        c.sweep_interval = Duration::from_millis(100);
    })
    .await;
    let mut victim = complaint("Jalan desa longsor");
    victim["reporter"] =
        json!({"name": "Korban", "phone": "081277771234", "email": "korban@example.id"});
    let (victim_tid, _) = app.submit(victim).await;
    let mut attack = complaint("Laporan pancingan kedua");
    attack["reporter"] = json!({"phone": "081277771234", "email": "penyerang@example.id"});
    let (attack_tid, _) = app.submit(attack).await;
    let op = app.staff("safe.op2", Role::Operator, None).await;
    for tid in [&victim_tid, &attack_tid] {
        op.act(
            &format!("/api/v1/reports/{tid}/messages"),
            json!({"text": "Terima kasih, laporan sedang kami periksa."}),
        )
        .await;
    }
    let id_of = |tid: &str| {
        let store = app.store.clone();
        let tid = tanggap_domain::TrackingId::parse(tid).unwrap();
        async move { store.report_by_tracking_id(&tid).await.unwrap().unwrap().id }
    };
    let (victim_id, attack_id) = (id_of(&victim_tid).await, id_of(&attack_tid).await);
    app.advance(TimeDelta::seconds(1));
    let started = Instant::now();
    let addresses = |id| {
        let store = app.store.clone();
        async move {
            store
                .notifications_for_report(id)
                .await
                .unwrap()
                .into_iter()
                .filter(|n| n.action == "reporter_update")
                .map(|n| n.address.unwrap_or_default())
                .collect::<Vec<_>>()
        }
    };
    loop {
        let (v, a) = (addresses(victim_id).await, addresses(attack_id).await);
        if !v.is_empty() && !a.is_empty() {
            assert!(v.iter().all(|x| x == "korban@example.id"), "{v:?}");
            assert!(a.iter().all(|x| x == "penyerang@example.id"), "{a:?}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no reporter updates: {v:?} {a:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.finish().await;
}

/// A reporter's data request (UU 27/2022): the desk exports everything held about them, corrects
/// it, and forgets them; afterwards no table holds their name, phone, e-mail or NIK, the audit
/// chain verifies, and the figures are what they were.
async fn a_reporter_is_exported_corrected_and_forgotten(app: &TestApp) {
    let mut report = complaint("Jalan desa rusak parah");
    report["body"] = json!(
        "Saya Sri Rahayu dari RT 02. Jalan di depan rumah rusak parah, hubungi saya di 0812-7777-1234."
    );
    report["reporter"] = json!({
        "name": "Sri Rahayu", "phone": "081277771234", "email": "sri.rahayu@example.id",
        "nik": "3374015505800001"
    });
    let (tid, secret) = app.submit(report).await;
    let op = app.staff("privasi.op", Role::Operator, None).await;
    op.act(
        &format!("/api/v1/reports/{tid}/messages"),
        json!({"text": "Bu Rahayu, mohon kirim foto lokasi ke nomor 0812 7777 1234 ini."}),
    )
    .await;
    app.reporter(&secret)
        .act(
            &format!("/api/v1/reports/{tid}/replies"),
            json!({"text": "Baik, saya Sri Rahayu akan kirim besok."}),
        )
        .await;
    op.act(
        &format!("/api/v1/reports/{tid}/dispatch"),
        json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}]}),
    )
    .await;

    // Only the desk and the administrators handle these requests.
    let dpu = app
        .staff("privasi.dpu", Role::Petugas, Some("dpu-bmck"))
        .await;
    let r = dpu
        .get(&format!("/api/v1/reports/{tid}/reporter"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::FORBIDDEN);

    let export: serde_json::Value = op
        .get(&format!("/api/v1/reports/{tid}/reporter"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(export["reporter"]["name"], "Sri Rahayu");
    assert_eq!(export["reporter"]["nik"], "3374015505800001");
    assert_eq!(export["reports"][0]["tracking_id"], tid);
    assert_eq!(
        export["reports"][0]["messages"].as_array().unwrap().len(),
        2
    );

    // A correction, at the reporter's request.
    let r = op
        .patch(&format!("/api/v1/reports/{tid}/reporter"))
        .json(&json!({"email": "sri.baru@example.id"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::NO_CONTENT);
    assert_eq!(
        op.report(&tid).await["reporter"]["email"],
        "sri.baru@example.id"
    );
    let bad = op
        .patch(&format!("/api/v1/reports/{tid}/reporter"))
        .json(&json!({"nik": "123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);

    let figures = || async {
        let today = app.now().date_naive();
        let period = tanggap_domain::compliance::Period::new(today, today).unwrap();
        let c = app
            .services
            .compliance(
                &tanggap_service::Caller::System,
                period,
                tanggap_service::compliance::Scope::All,
            )
            .await
            .unwrap();
        format!(
            "{:?}",
            (
                c.total,
                c.agencies.iter().map(|a| &a.figures).collect::<Vec<_>>()
            )
        )
    };
    let before = figures().await;
    let r = op
        .post(&format!("/api/v1/reports/{tid}/reporter/forget"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let all = app.all_rows_as_text().await;
    for detail in [
        "Sri Rahayu",
        "Rahayu",
        "sri.rahayu@example.id",
        "sri.baru@example.id",
        "3374015505800001",
        "+6281277771234",
        "0812-7777-1234",
        "0812 7777 1234",
    ] {
        // Reference data may hold the same word (a village is called Rahayu).
        let found: Vec<&str> = all
            .lines()
            .filter(|l| !l.starts_with("regions:") && l.contains(detail))
            .collect();
        assert!(found.is_empty(), "{detail} is still held: {found:?}");
    }
    // Not even the file's free pages or the write-ahead log keep them (SQLite).
    let db = app.dir.path().join("tanggap.db");
    if db.exists() {
        let mut raw = std::fs::read(&db).unwrap();
        raw.extend(std::fs::read(app.dir.path().join("tanggap.db-wal")).unwrap_or_default());
        for detail in [
            "Sri Rahayu",
            "sri.rahayu@example.id",
            "3374015505800001",
            "6281277771234",
        ] {
            assert!(
                !raw.windows(detail.len()).any(|w| w == detail.as_bytes()),
                "{detail} is still in the database file"
            );
        }
    }
    assert!(app.services.verify_audit_chain().await.is_ok());
    assert_eq!(figures().await, before, "the figures are unchanged");
    let after = op.report(&tid).await;
    assert!(after["body"].as_str().unwrap().contains("[dihapus]"));
    assert!(after["reporter"]["name"].is_null());
    // The reporter's link still opens the report.
    let r = app
        .reporter(&secret)
        .get(&format!("/api/v1/reports/{tid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
}

crate::on_both_backends!(
    typing_a_victims_phone_number_reveals_nothing,
    a_reporter_is_exported_corrected_and_forgotten,
);
