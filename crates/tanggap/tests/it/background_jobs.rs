//! `tanggap serve` runs the clock scheduler and the outbox in-process: a report nobody answers
//! gets its reminder without anyone calling the scheduler, and stopping the server stops them.

use crate::common::{TestApp, complaint};
use chrono::TimeDelta;
use std::time::{Duration, Instant};
use tanggap_domain::AssignmentRole;
use tanggap_domain::workflow::{Actor, Command, DispatchTarget};
use tanggap_store::NotificationStatus;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_runs_the_scheduler_and_the_outbox() {
    let app = TestApp::sqlite_with(|c| {
        c.jobs = true;
        c.sweep_interval = Duration::from_millis(100);
    })
    .await;
    let (tracking, _) = app.submit(complaint("Jalan berlubang di Jl. Pemuda")).await;
    let report = app
        .store
        .report_by_tracking_id(&tanggap_domain::TrackingId::parse(&tracking).unwrap())
        .await
        .unwrap()
        .unwrap();
    let store = app.store.clone();
    let mut kepala = store.agency("dpu-bmck").await.unwrap().unwrap();
    kepala.head_email = Some("kepala@dpubmck.jatengprov.example".into());
    store
        .update_agency(&kepala, "test", app.services.now())
        .await
        .unwrap();
    app.services
        .execute(
            report.id,
            &Actor::User(tanggap_domain::workflow::UserActor {
                user_id: 1,
                role: tanggap_domain::Role::Operator,
                agency_id: None,
            }),
            Command::Dispatch {
                targets: vec![DispatchTarget {
                    agency_id: "dpu-bmck".into(),
                    role: AssignmentRole::Utama,
                }],
                note: None,
                note_public: false,
            },
            vec![],
        )
        .await
        .unwrap();
    // 19 hours on, the 75% step is due: the head is told (the e-mail is logged, no SMTP here).
    app.advance(TimeDelta::hours(19));
    let waited = Instant::now();
    let sent = loop {
        let notes = store.notifications_for_report(report.id).await.unwrap();
        if let Some(n) = notes
            .iter()
            .find(|n| n.action == "notify_head" && n.status == NotificationStatus::Sent)
        {
            break n.clone();
        }
        assert!(
            waited.elapsed() < Duration::from_secs(20),
            "the background scheduler never notified the head: {notes:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        sent.address.as_deref(),
        Some("kepala@dpubmck.jatengprov.example")
    );
    app.finish().await;
}

/// The escalation ladder reaches people in the app: the officer's menu counts the unread
/// reminder, the notifications page shows it and marks it read, and the desk sees the record on
/// the report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_show_up_in_the_officers_inbox() {
    let app = TestApp::sqlite_with(|c| {
        c.jobs = true;
        c.sweep_interval = Duration::from_millis(100);
    })
    .await;
    let operator = app
        .staff("n.operator", tanggap_domain::Role::Operator, None)
        .await;
    let officer = app
        .staff("n.petugas", tanggap_domain::Role::Petugas, Some("dinkes"))
        .await;
    let (tid, _) = app.submit(complaint("Obat kosong di puskesmas")).await;
    operator
        .act(
            &format!("/api/v1/reports/{tid}/dispatch"),
            serde_json::json!({"agencies": [{"agency_id": "dinkes", "role": "utama"}]}),
        )
        .await;
    let me: serde_json::Value = officer
        .get("/api/v1/me")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let uid = me["user"]["id"].as_i64().unwrap();
    // 13 hours on, past 50% of the 1×24 h: the officers are reminded.
    app.advance(TimeDelta::hours(13));
    let waited = Instant::now();
    while app
        .store
        .notifications_for_user(uid, 10)
        .await
        .unwrap()
        .iter()
        .all(|n| n.status != NotificationStatus::Sent || n.action != "remind_officers")
    {
        assert!(
            waited.elapsed() < Duration::from_secs(20),
            "no in-app reminder arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let html = officer
        .get("/notifikasi")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The new assignment (told at once on dispatch) and the reminder.
    assert!(
        html.contains("id=\"belum-dibaca\">2<"),
        "the menu counts them"
    );
    assert!(html.contains("Disposisi baru"), "{html}");
    assert!(
        html.contains(&format!("/kelola/{tid}")),
        "it links to the report"
    );
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = officer
        .post("/notifikasi/0/baca")
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let html = officer
        .get("/notifikasi")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("id=\"belum-dibaca\""), "read");
    let html = operator
        .get(&format!("/kelola/{tid}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("id=\"eskalasi\""),
        "the desk sees the escalation record"
    );
    app.finish().await;
}

/// The citizen hears back: each step the staff take is sent to the contact the reporter gave
/// (here e-mail), once, and the reporter's own messages are not echoed back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reporter_hears_back_on_their_channel() {
    let app = TestApp::sqlite_with(|c| {
        c.jobs = true;
        c.sweep_interval = Duration::from_millis(100);
        c.public_url = Some("https://lapor.example.go.id".into());
    })
    .await;
    let operator = app
        .staff("r.operator", tanggap_domain::Role::Operator, None)
        .await;
    let officer = app
        .staff("r.petugas", tanggap_domain::Role::Petugas, Some("dpu-bmck"))
        .await;
    let (tid, secret) = app.submit(complaint("Jembatan retak di Jl. Pemuda")).await;
    let r = operator
        .act(
            &format!("/api/v1/reports/{tid}/dispatch"),
            serde_json::json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}]}),
        )
        .await;
    let aid = r["assignments"][0]["id"].as_i64().unwrap();
    officer.act(&format!("/api/v1/reports/{tid}/assignments/{aid}/updates"), serde_json::json!({"stage": "cek_lapangan", "note": "Tim meninjau jembatan besok pagi."})).await;
    officer
        .act(
            &format!("/api/v1/reports/{tid}/questions"),
            serde_json::json!({"text": "Retaknya di sisi utara atau selatan?"}),
        )
        .await;
    app.reporter(&secret)
        .act(
            &format!("/api/v1/reports/{tid}/replies"),
            serde_json::json!({"text": "Sisi utara."}),
        )
        .await;
    let report = app
        .store
        .report_by_tracking_id(&tanggap_domain::TrackingId::parse(&tid).unwrap())
        .await
        .unwrap()
        .unwrap();
    let waited = Instant::now();
    let sent = loop {
        let notes: Vec<_> = app
            .store
            .notifications_for_report(report.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|n| n.action == "reporter_update")
            .collect();
        if notes.len() >= 3 && notes.iter().all(|n| n.status == NotificationStatus::Sent) {
            break notes;
        }
        assert!(
            waited.elapsed() < Duration::from_secs(20),
            "reporter updates did not go out: {notes:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        sent.len(),
        3,
        "dispatch, field check, question; not the reporter's own reply: {sent:?}"
    );
    assert!(
        sent.iter()
            .all(|n| n.address.as_deref() == Some("siti@example.id"))
    );
    assert!(
        sent.iter()
            .any(|n| n.body.contains("Tim meninjau jembatan besok pagi."))
    );
    assert!(sent.iter().any(
        |n| n.subject.contains("keterangan Anda") && n.body.contains("sisi utara atau selatan")
    ));
    assert!(
        sent.iter()
            .all(|n| n.subject.starts_with(&format!("[{tid}]"))
                && n.body.contains("https://lapor.example.go.id/lacak"))
    );
    app.finish().await;
}
