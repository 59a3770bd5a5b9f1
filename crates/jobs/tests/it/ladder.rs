//! The escalation ladder step by step, catching up after downtime, auto-close, the Ombudsman
//! offer, the morning digest, and the outbox's retries.

use crate::common::*;
use chrono::TimeDelta;
use std::collections::BTreeSet;
use tanggap_domain::workflow::{Actor, Command};
use tanggap_domain::{Channel, ClockKind, ReportStatus, Stage};
use tanggap_jobs::{DispatchSettings, Dispatcher, FakeSender, SchedulerSettings, Senders};
use tanggap_service::{ManualClock, ReportInput, ReporterInput};
use tanggap_store::NotificationStatus;

/// Sent keys of everything but the morning digests.
fn escalations(sender: &FakeSender) -> Vec<String> {
    sent_keys(sender)
        .into_iter()
        .filter(|k| !k.starts_with("digest:"))
        .collect()
}

fn expected(keys: &[String]) -> Vec<String> {
    let mut k = keys.to_vec();
    k.sort();
    k
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ladder_reminds_then_tells_the_head_then_marks_lalai() {
    let dir = tempfile::tempdir().unwrap();
    let start = wib("2026-11-30 09:00");
    let clock = std::sync::Arc::new(ManualClock::new(start));
    let sender = FakeSender::ignoring(&["receipt"]);
    let app = Instance::new(
        sqlite_store(&dir).await,
        clock.clone(),
        sender.clone(),
        SchedulerSettings::default(),
    );
    let staff = setup(
        &app.services,
        app.store.as_ref(),
        &["dinkes", "dishub"],
        &["dishub"],
    )
    .await;
    let r1 = submit(
        &app.services,
        "Antrean RSUD sangat panjang",
        "pengaduan",
        "kesehatan",
    )
    .await;
    let a1 = dispatch(&app.services, &staff, r1, "dinkes").await;
    let r2 = submit(
        &app.services,
        "Lampu lalu lintas mati",
        "pengaduan",
        "kesehatan",
    )
    .await;
    let a2 = dispatch(&app.services, &staff, r2, "dishub").await;
    let store = app.store().clone();

    let r = app.tick(wib("2026-11-30 20:59")).await;
    assert_eq!(r.fired, 0, "{r:?}");
    assert!(sender.sent().is_empty());

    // 50%: the officers of dinkes; nobody at dishub to tell, but the step is taken all the same.
    let r = app.tick(wib("2026-11-30 21:00")).await;
    assert_eq!(r.fired, 2, "{r:?}");
    let fr = |r: i64, a: i64, p: u32, tokens: Vec<String>| -> Vec<String> {
        tokens
            .iter()
            .map(|t| key(r, a, "first_response", start, p, t))
            .collect()
    };
    let mut want = fr(r1, a1, 50, officers_tokens(&staff, "dinkes"));
    assert_eq!(sent_keys(&sender), expected(&want));
    let reminder = sender.sent()[0].clone();
    let tid = store
        .report(r1)
        .await
        .unwrap()
        .unwrap()
        .tracking_id
        .to_string();
    assert!(reminder.subject.contains(&tid), "{}", reminder.subject);
    assert!(
        reminder.body.contains("01-12-2026 09:00 WIB"),
        "{}",
        reminder.body
    );

    // 75%: the head, on every address.
    app.tick(wib("2026-12-01 02:45")).await;
    assert_eq!(sent_keys(&sender).len(), want.len());
    app.tick(wib("2026-12-01 03:00")).await;
    want.extend(fr(r1, a1, 75, head_tokens(&staff, "dinkes")));
    assert_eq!(sent_keys(&sender), expected(&want));
    let to_head = sender
        .sent()
        .into_iter()
        .find(|n| n.idempotency_key.ends_with(":75:head/whatsapp"))
        .unwrap();
    assert_eq!(to_head.address.as_deref(), Some("+6281200000001"));

    // 100%: lalai, the head and the desk; both assignments on the leadership board.
    assert!(
        store
            .negligent_assignments(start, 10)
            .await
            .unwrap()
            .is_empty()
    );
    app.tick(wib("2026-12-01 09:00")).await;
    want.extend(fr(r1, a1, 100, head_tokens(&staff, "dinkes")));
    want.extend(fr(r1, a1, 100, desk_tokens(&staff)));
    // dishub has no head to tell, but the desk hears of its lapse too.
    want.extend(fr(r2, a2, 100, desk_tokens(&staff)));
    assert_eq!(escalations(&sender), expected(&want));
    let board = store.negligent_assignments(start, 10).await.unwrap();
    assert_eq!(
        board
            .iter()
            .map(|b| b.assignment_id)
            .collect::<BTreeSet<_>>(),
        BTreeSet::from([a1, a2])
    );
    assert!(
        board
            .iter()
            .all(|b| b.negligent_at == wib("2026-12-01 09:00"))
    );
    let rec = store.assignments(r1).await.unwrap();
    assert_eq!(rec[0].negligent_at, Some(wib("2026-12-01 09:00")));

    // Nothing more happens on later sweeps, and a late response keeps the evidence.
    app.services
        .execute(
            r1,
            &staff.actor("dinkes"),
            Command::PostUpdate {
                assignment_id: a1,
                stage: Stage::Verifikasi,
                note: "Maaf terlambat, sedang kami cek".into(),
            },
            vec![],
        )
        .await
        .unwrap();
    let r = app.tick(wib("2026-12-01 12:00")).await;
    assert_eq!(r.fired, 0, "{r:?}");
    assert_eq!(escalations(&sender), expected(&want));
    assert_eq!(
        store.assignments(r1).await.unwrap()[0].negligent_at,
        Some(wib("2026-12-01 09:00"))
    );

    // The trail shows each step once, in order.
    let steps: Vec<String> = store
        .audit_for_object("report", &r1.to_string())
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "clock.threshold_fired")
        .map(|e| e.after.unwrap())
        .collect();
    assert_eq!(steps.len(), 3);
    for (s, (p, action)) in steps.iter().zip([
        (50, "remind_officers"),
        (75, "notify_head"),
        (100, "mark_negligent"),
    ]) {
        assert!(s.contains(&format!("\"threshold_percent\":{p}")), "{s}");
        assert!(s.contains(action), "{s}");
    }
    tanggap_store::verify_audit_chain(store.as_ref())
        .await
        .unwrap();

    // The officer's inbox: the reminder, which they can mark read.
    let officer = &staff.officers_of("dinkes")[0];
    let inbox = store.notifications_for_user(officer.id, 10).await.unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].status, NotificationStatus::Sent);
    assert!(
        store
            .mark_notification_read(inbox[0].id, officer.id, wib("2026-12-01 12:05"))
            .await
            .unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_downtime_every_missed_step_fires_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let start = wib("2026-11-30 09:00");
    let clock = std::sync::Arc::new(ManualClock::new(start));
    let sender = FakeSender::ignoring(&["receipt"]);
    let app = Instance::new(
        sqlite_store(&dir).await,
        clock.clone(),
        sender.clone(),
        SchedulerSettings::default(),
    );
    let staff = setup(&app.services, app.store.as_ref(), &["dinkes"], &[]).await;
    let store = app.store().clone();
    let silent = submit(
        &app.services,
        "Obat habis di puskesmas",
        "pengaduan",
        "kesehatan",
    )
    .await;
    let a_silent = dispatch(&app.services, &staff, silent, "dinkes").await;
    let late = submit(
        &app.services,
        "Ambulans tidak datang",
        "pengaduan",
        "kesehatan",
    )
    .await;
    let a_late = dispatch(&app.services, &staff, late, "dinkes").await;
    // The scheduler is down. The second agency responds late, at 26 hours; the first never does.
    clock.set(wib("2026-12-01 11:00"));
    app.services
        .execute(
            late,
            &staff.actor("dinkes"),
            Command::PostUpdate {
                assignment_id: a_late,
                stage: Stage::Verifikasi,
                note: "Kami cek".into(),
            },
            vec![],
        )
        .await
        .unwrap();
    // Back up on Wednesday: one sweep does all six steps, each clock's in order.
    let r = app.tick(wib("2026-12-02 10:00")).await;
    assert_eq!(r.fired, 6, "{r:?}");
    for (report, asg) in [(silent, a_silent), (late, a_late)] {
        let notes = store.notifications_for_report(report).await.unwrap();
        let actions: Vec<&str> = notes.iter().map(|n| n.action.as_str()).collect();
        let first = |a: &str| actions.iter().position(|x| *x == a).unwrap();
        assert!(first("remind_officers") < first("notify_head"));
        assert!(first("notify_head") < first("mark_negligent"));
        let mut want = Vec::new();
        for (p, tokens) in [
            (50, officers_tokens(&staff, "dinkes")),
            (75, head_tokens(&staff, "dinkes")),
            (
                100,
                [head_tokens(&staff, "dinkes"), desk_tokens(&staff)].concat(),
            ),
        ] {
            want.extend(
                tokens
                    .iter()
                    .map(|t| key(report, asg, "first_response", start, p, t)),
            );
        }
        want.sort();
        // (The reporter's receipt, sent at submission, is not the ladder's.)
        let mut got: Vec<String> = notes
            .into_iter()
            .filter(|n| n.action != "receipt")
            .map(|n| n.idempotency_key)
            .collect();
        got.sort();
        assert_eq!(got, want);
        assert_eq!(
            store.assignments(report).await.unwrap()[0].negligent_at,
            Some(wib("2026-12-01 09:00")),
            "lalai as of the deadline, not of the late sweep"
        );
    }
    let late_reminder = sender
        .sent()
        .into_iter()
        .find(|n| n.report_id == Some(late) && n.action == "remind_officers")
        .unwrap();
    assert!(
        late_reminder
            .body
            .contains("sudah ditanggapi pada 01-12-2026 11:00")
    );
    // And nothing fires twice.
    let r = app.tick(wib("2026-12-02 10:15")).await;
    assert_eq!((r.fired, r.claimed), (0, 0), "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_after_selesai_closes_and_sixty_days_offer_the_ombudsman() {
    let dir = tempfile::tempdir().unwrap();
    let clock = std::sync::Arc::new(ManualClock::new(wib("2026-10-26 14:05")));
    let sender = FakeSender::ignoring(&["receipt"]);
    let app = Instance::new(
        sqlite_store(&dir).await,
        clock.clone(),
        sender.clone(),
        SchedulerSettings::default(),
    );
    let staff = setup(&app.services, app.store.as_ref(), &["dinkes"], &[]).await;
    let store = app.store().clone();
    let svc = &app.services;
    // Submitted 26 October by WhatsApp, dispatched, answered, never finished.
    let wa = svc
        .submit_report(
            &tanggap_service::Caller::Public,
            ReportInput {
                kind: "pengaduan".into(),
                title: String::new(),
                body: "Puskesmas Miroto tutup pada jam pelayanan, mohon ditindak".into(),
                region_code: Some("33.74".into()),
                category: Some("kesehatan".into()),
                reporter: ReporterInput {
                    phone: Some("081234567890".into()),
                    ..Default::default()
                },
                channel: Channel::Whatsapp,
                channel_address: Some("6281234567890".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
    let a = dispatch(svc, &staff, wa, "dinkes").await;
    svc.execute(
        wa,
        &staff.actor("dinkes"),
        Command::PostUpdate {
            assignment_id: a,
            stage: Stage::Verifikasi,
            note: "Kami cek".into(),
        },
        vec![],
    )
    .await
    .unwrap();

    // Three reports finished (selesai) before Christmas.
    clock.set(wib("2026-12-08 10:00"));
    let mut done = Vec::new();
    for title in ["Jalan rusak A", "Jalan rusak B", "Jalan rusak C"] {
        let r = submit(svc, title, "aspirasi", "kesehatan").await;
        let a = dispatch(svc, &staff, r, "dinkes").await;
        svc.execute(
            r,
            &staff.actor("dinkes"),
            Command::PostUpdate {
                assignment_id: a,
                stage: Stage::Verifikasi,
                note: "Kami cek".into(),
            },
            vec![],
        )
        .await
        .unwrap();
        done.push((r, a));
    }
    let finish = |r: i64, a: i64, at: &str| {
        let at = wib(at);
        let clock = clock.clone();
        let staff = &staff;
        async move {
            clock.set(at);
            svc.execute(
                r,
                &staff.actor("dinkes"),
                Command::PostUpdate {
                    assignment_id: a,
                    stage: Stage::Tuntas,
                    note: "Sudah diperbaiki".into(),
                },
                vec![],
            )
            .await
            .unwrap();
        }
    };
    finish(done[0].0, done[0].1, "2026-12-10 11:00").await;
    finish(done[1].0, done[1].1, "2026-12-11 15:30").await;
    finish(done[2].0, done[2].1, "2026-12-10 11:00").await;
    // The third reporter answers on 22 December: the silence starts again.
    clock.set(wib("2026-12-22 14:00"));
    svc.execute(
        done[2].0,
        &Actor::Reporter { reporter_id: None },
        Command::ReporterReply {
            text: "Terima kasih, akan saya cek".into(),
        },
        vec![],
    )
    .await
    .unwrap();

    // Sixty days after 26 Oct 14:05: Fri 25 Dec 14:05, holiday or not. Only the unfinished
    // report's reporter is offered the Ombudsman, back on WhatsApp.
    let offers = || async {
        store
            .notifications_for_report(wa)
            .await
            .unwrap()
            .into_iter()
            .filter(|n| n.action == "offer_ombudsman")
            .collect::<Vec<_>>()
    };
    app.tick(wib("2026-12-25 14:04")).await;
    assert!(offers().await.is_empty());
    app.tick(wib("2026-12-25 14:05")).await;
    let offer = offers().await;
    assert_eq!(offer.len(), 1);
    assert_eq!(
        offer[0].idempotency_key,
        key(
            wa,
            0,
            "ombudsman",
            wib("2026-10-26 14:05"),
            100,
            "reporter/whatsapp"
        )
    );
    assert_eq!(offer[0].address.as_deref(), Some("+6281234567890"));
    assert!(offer[0].body.contains("Ombudsman"));
    assert!(
        done.iter().all(|(r, _)| sender
            .sent()
            .iter()
            .all(|n| n.report_id != Some(*r) || n.action != "offer_ombudsman")),
        "finished reports are not offered the Ombudsman"
    );

    // Ten working days after Thu 10 Dec 11:00, skipping the weekends, cuti bersama 24 Dec and
    // Christmas: 11, 14-18, 21, 22, 23, 28 → Mon 28 Dec 11:00.
    app.tick(wib("2026-12-28 10:59")).await;
    assert_eq!(
        store.report(done[0].0).await.unwrap().unwrap().status,
        ReportStatus::Selesai
    );
    let r = app.tick(wib("2026-12-28 11:00")).await;
    assert_eq!(r.auto_closed, 1, "{r:?}");
    let closed = store.report(done[0].0).await.unwrap().unwrap();
    assert_eq!(closed.status, ReportStatus::Ditutup);
    assert_eq!(closed.closed_at, Some(wib("2026-12-28 11:00")));
    // Fri 11 Dec 15:30 → 14-18, 21, 22, 23, 28, 29 → Tue 29 Dec 15:30.
    app.tick(wib("2026-12-29 15:29")).await;
    assert_eq!(
        store.report(done[1].0).await.unwrap().unwrap().status,
        ReportStatus::Selesai
    );
    app.tick(wib("2026-12-29 15:30")).await;
    assert_eq!(
        store.report(done[1].0).await.unwrap().unwrap().status,
        ReportStatus::Ditutup
    );
    // The answered one is still open; its clock runs from Tue 22 Dec 14:00: 23, 28-31, 4, 6, 7,
    // 8, 11 January (1 and 5 January are holidays too) → Mon 11 Jan 2027 14:00.
    let v = store.report_view(done[2].0).await.unwrap().unwrap();
    let auto = v
        .clocks
        .iter()
        .find(|c| c.kind == ClockKind::AutoClose)
        .unwrap();
    assert_eq!(auto.due_at, Some(wib("2027-01-11 14:00")));
    assert_eq!(v.status, ReportStatus::Selesai);
    let trail = store
        .audit_for_object("report", &done[0].0.to_string())
        .await
        .unwrap();
    assert!(trail.iter().any(|e| e.action == "clock.threshold_fired"
        && e.after.as_deref().unwrap().contains("auto_close")));
    assert!(
        trail
            .iter()
            .any(|e| e.action == "report.status_changed" && e.actor == "system")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agency_heads_get_one_morning_digest_a_day() {
    let dir = tempfile::tempdir().unwrap();
    let clock = std::sync::Arc::new(ManualClock::new(wib("2026-11-30 09:00")));
    let sender = FakeSender::ignoring(&["receipt"]);
    let app = Instance::new(
        sqlite_store(&dir).await,
        clock.clone(),
        sender.clone(),
        SchedulerSettings::default(),
    );
    let staff = setup(
        &app.services,
        app.store.as_ref(),
        &["dinkes", "dishub", "bpbd"],
        &["dishub"],
    )
    .await;
    let r = submit(&app.services, "Antrean RSUD", "pengaduan", "kesehatan").await;
    dispatch(&app.services, &staff, r, "dinkes").await;
    let q = submit(&app.services, "Lampu lalu lintas", "pengaduan", "kesehatan").await;
    dispatch(&app.services, &staff, q, "dishub").await;
    let digests = || {
        sender
            .sent()
            .into_iter()
            .filter(|n| n.action == "digest")
            .collect::<Vec<_>>()
    };
    app.tick(wib("2026-12-01 06:59")).await;
    assert!(digests().is_empty());
    app.tick(wib("2026-12-01 07:00")).await;
    let k = staff.kepala_of("dinkes").unwrap().id;
    let mut got: Vec<String> = digests().into_iter().map(|n| n.idempotency_key).collect();
    got.sort();
    assert_eq!(
        got,
        expected(&[
            "digest:dinkes:2026-12-01:head/email".into(),
            format!("digest:dinkes:2026-12-01:u{k}/email"),
            format!("digest:dinkes:2026-12-01:u{k}/in_app"),
        ]),
        "dinkes only: dishub has nobody to tell, bpbd nothing due"
    );
    let d = &digests()[0];
    assert!(
        d.subject.contains("0 terlambat, 1 jatuh tempo hari ini"),
        "{}",
        d.subject
    );
    let tid = app
        .store()
        .report(r)
        .await
        .unwrap()
        .unwrap()
        .tracking_id
        .to_string();
    assert!(
        d.body.contains(&tid) && d.body.contains("respons pertama"),
        "{}",
        d.body
    );
    app.tick(wib("2026-12-01 07:15")).await;
    app.tick(wib("2026-12-01 23:45")).await;
    assert_eq!(digests().len(), 3, "once a day");
    app.tick(wib("2026-12-02 07:00")).await;
    let wed: Vec<_> = digests()
        .into_iter()
        .filter(|n| n.idempotency_key.contains("2026-12-02"))
        .collect();
    assert_eq!(wed.len(), 3);
    assert!(
        wed[0]
            .subject
            .contains("1 terlambat, 0 jatuh tempo hari ini"),
        "{}",
        wed[0].subject
    );
    // After a day of downtime the digest comes when the scheduler is back, for that day only.
    app.tick(wib("2026-12-04 15:00")).await;
    assert!(
        digests()
            .iter()
            .all(|n| !n.idempotency_key.contains("2026-12-03"))
    );
    assert_eq!(
        digests()
            .iter()
            .filter(|n| n.idempotency_key.contains("2026-12-04"))
            .count(),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_retries_with_backoff_and_gives_up_on_permanent_failures() {
    let dir = tempfile::tempdir().unwrap();
    let start = wib("2026-11-30 09:00");
    let clock = std::sync::Arc::new(ManualClock::new(start));
    let sender = FakeSender::ignoring(&["receipt"]);
    let app = Instance::new(
        sqlite_store(&dir).await,
        clock.clone(),
        sender.clone(),
        SchedulerSettings::default(),
    );
    let staff = setup(&app.services, app.store.as_ref(), &["dinkes"], &[]).await;
    let store = app.store().clone();
    let r = submit(&app.services, "Antrean RSUD", "pengaduan", "kesehatan").await;
    let a = dispatch(&app.services, &staff, r, "dinkes").await;
    let officers = staff.officers_of("dinkes");
    let flaky = key(
        r,
        a,
        "first_response",
        start,
        50,
        &format!("u{}/email", officers[0].id),
    );
    let refused = key(
        r,
        a,
        "first_response",
        start,
        50,
        &format!("u{}/email", officers[1].id),
    );
    sender.fail_transiently(&flaky, 2);
    sender.fail_permanently(&refused);
    let dispatcher = Dispatcher::new(
        store.clone(),
        Senders::all(sender.clone()),
        DispatchSettings::default(),
    );
    let t = wib("2026-11-30 21:00");
    app.scheduler.sweep(t).await.unwrap();
    let d = dispatcher.dispatch(t).await.unwrap();
    // Sent: one reminder and the reporter's receipt from the submission.
    assert_eq!((d.sent, d.retried, d.failed), (3, 1, 1), "{d:?}");
    // About one minute, then about two (each moved by its jitter): sent at the third attempt.
    let s = DispatchSettings::default();
    let first = s.retry_after_jittered(1, &flaky);
    let second = s.retry_after_jittered(2, &flaky);
    let d = dispatcher
        .dispatch(t + first - TimeDelta::seconds(1))
        .await
        .unwrap();
    assert_eq!(d.sent + d.retried, 0);
    let d = dispatcher.dispatch(t + first).await.unwrap();
    assert_eq!(d.retried, 1, "{d:?}");
    let d = dispatcher.dispatch(t + first + second).await.unwrap();
    assert_eq!(d.sent, 1, "{d:?}");
    let notes = store.notifications_for_report(r).await.unwrap();
    let by = |k: &str| notes.iter().find(|n| n.idempotency_key == k).unwrap();
    assert_eq!(by(&flaky).status, NotificationStatus::Sent);
    assert_eq!(by(&flaky).attempts, 3);
    assert_eq!(by(&refused).status, NotificationStatus::Dead);
    assert_eq!(by(&refused).attempts, 1);
    assert!(
        by(&refused)
            .last_error
            .as_deref()
            .unwrap()
            .contains("refused")
    );
    assert_eq!(
        sent_keys(&sender).iter().filter(|k| **k == flaky).count(),
        1
    );
    // Backoff doubles and is capped.
    assert_eq!(s.retry_after(1), TimeDelta::minutes(1));
    assert_eq!(s.retry_after(4), TimeDelta::minutes(8));
    assert_eq!(s.retry_after(30), TimeDelta::hours(6));
}
