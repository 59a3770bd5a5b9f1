//! Several instances on one database, and restarts in the middle of the work: every threshold
//! is acted on once and every notification is sent once, none missing.

use crate::common::*;
use chrono::TimeDelta;
use std::sync::Arc;
use tanggap_domain::Timestamp;
use tanggap_jobs::{FakeSender, SchedulerSettings};
use tanggap_service::ManualClock;
use tanggap_store::Store;

const AGENCIES: [&str; 3] = ["dinkes", "dpu-bmck", "disdikbud"];

enum Db {
    Sqlite(tempfile::TempDir),
    Pg(PgDb),
}

impl Db {
    async fn sqlite() -> Db {
        Db::Sqlite(tempfile::tempdir().unwrap())
    }
    async fn pg() -> Db {
        Db::Pg(PgDb::create().await)
    }
    /// A new connection to the database, as a freshly started process would open it.
    async fn open(&self) -> Arc<dyn Store> {
        match self {
            Db::Sqlite(dir) => sqlite_store(dir).await,
            Db::Pg(db) => db.store().await,
        }
    }
}

fn instance(store: Arc<dyn Store>, at: Timestamp, sender: &Arc<FakeSender>) -> Instance {
    // Small batches and leases of a few minutes, so that instances interleave.
    let settings = SchedulerSettings {
        batch: 7,
        concurrency: 4,
        ..SchedulerSettings::default()
    };
    Instance::new(
        store,
        Arc::new(ManualClock::new(at)),
        sender.clone(),
        settings,
    )
}

/// `n` reports dispatched a minute apart from `start`, round the agencies; (report, assignment,
/// agency, dispatched at).
async fn workload(
    app: &Instance,
    staff: &Staff,
    start: Timestamp,
    n: usize,
) -> Vec<(i64, i64, &'static str, Timestamp)> {
    let mut out = Vec::new();
    for i in 0..n {
        let at = start + TimeDelta::minutes(i as i64);
        app.clock.set(at);
        let agency = AGENCIES[i % AGENCIES.len()];
        let r = submit(
            &app.services,
            &format!("Laporan nomor {i}"),
            "pengaduan",
            "kesehatan",
        )
        .await;
        let a = dispatch(&app.services, staff, r, agency).await;
        out.push((r, a, agency, at));
    }
    out
}

/// The keys of the first-response ladder up to and including `upto` percent.
fn ladder_keys(
    staff: &Staff,
    work: &[(i64, i64, &'static str, Timestamp)],
    upto: u32,
) -> Vec<String> {
    let mut want = Vec::new();
    for (r, a, agency, at) in work {
        for (p, tokens) in [
            (50, officers_tokens(staff, agency)),
            (75, head_tokens(staff, agency)),
            (
                100,
                [head_tokens(staff, agency), desk_tokens(staff)].concat(),
            ),
        ] {
            if p <= upto {
                want.extend(
                    tokens
                        .iter()
                        .map(|t| key(*r, *a, "first_response", *at, p, t)),
                );
            }
        }
    }
    want
}

/// Sweep at `t + skew` and dispatch at `t`, twice; (fired, stale).
async fn run(app: &Instance, t: Timestamp, skew: TimeDelta) -> (usize, usize) {
    app.clock.set(t);
    let mut fired = 0;
    let mut stale = 0;
    for _ in 0..2 {
        let r = app.scheduler.sweep(t + skew).await.unwrap();
        assert_eq!(r.errors, 0, "{r:?}");
        fired += r.fired;
        stale += r.stale;
        app.dispatcher.dispatch(t).await.unwrap();
    }
    (fired, stale)
}

async fn two_instances_race(db: Db) {
    let start = wib("2026-11-30 09:00");
    let sender = FakeSender::ignoring(&["receipt"]);
    let one = instance(db.open().await, start, &sender);
    let two = instance(db.open().await, start, &sender);
    let staff = setup(&one.services, one.store.as_ref(), &AGENCIES, &[]).await;
    let work = workload(&one, &staff, start, 90).await;
    let mut fired = 0;
    let mut stale = 0;
    // Both sweep and dispatch the same due clocks at the same moments, twice per moment. The
    // second's clock runs six minutes ahead, past the first's five-minute leases, so that it also
    // claims clocks the first is still working on (as after a pause longer than a lease): the
    // compare-and-set of the firing decides who acts.
    let mut t = start;
    while t <= start + TimeDelta::hours(27) {
        let (a, b) = tokio::join!(
            run(&one, t, TimeDelta::zero()),
            run(&two, t, TimeDelta::minutes(6))
        );
        fired += a.0 + b.0;
        stale += a.1 + b.1;
        t += TimeDelta::minutes(30);
    }
    eprintln!("{fired} firings; {stale} refused as stale (the other instance got there first)");
    assert_eq!(
        fired,
        3 * work.len(),
        "each step acted on once (stale firings: {stale})"
    );
    let mut want = ladder_keys(&staff, &work, 100);
    // The digest of 1 December, once, although both instances reached 07:00.
    for day in ["2026-12-01"] {
        for agency in AGENCIES {
            let k = staff.kepala_of(agency).unwrap().id;
            for token in [
                "head/email".to_string(),
                format!("u{k}/in_app"),
                format!("u{k}/email"),
            ] {
                want.push(format!("digest:{agency}:{day}:{token}"));
            }
        }
    }
    assert_keys(
        &sent_keys(&sender),
        &want,
        "every notification exactly once",
    );
    tanggap_store::verify_audit_chain(one.store().as_ref())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_send_every_notification_once() {
    two_instances_race(Db::pg().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_sweeps_on_sqlite_send_every_notification_once() {
    two_instances_race(Db::sqlite().await).await;
}

/// A sweep dies after claiming; a later one dies after firing, before dispatching; a dispatcher
/// dies holding notifications. New processes finish the work: nothing lost, nothing twice.
async fn restarts_lose_and_repeat_nothing(db: Db) {
    let start = wib("2026-11-30 09:00");
    let sender = FakeSender::ignoring(&["receipt"]);
    let first = instance(db.open().await, start, &sender);
    let staff = setup(&first.services, first.store.as_ref(), &AGENCIES, &[]).await;
    let work = workload(&first, &staff, start, 30).await;
    let lease = tanggap_jobs::SchedulerSettings::default().lease;
    let half = start + TimeDelta::hours(13);

    // Claimed 50% of everything, then the process died.
    let claimed = first
        .store()
        .claim_due_clocks(half, 1000, lease)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 30);
    drop(claimed);
    drop(first);

    let second = instance(db.open().await, half, &sender);
    let r = second.tick(half).await;
    assert_eq!(r.fired, 0, "still leased by the dead process: {r:?}");
    let r = second.tick(half + lease + TimeDelta::seconds(1)).await;
    assert_eq!(r.fired, 30, "{r:?}");
    assert_keys(
        &sent_keys(&sender),
        &ladder_keys(&staff, &work, 50),
        "after the crashed claim",
    );

    // 75% fired and recorded, then the process died before sending anything.
    let three_quarters = start + TimeDelta::hours(19);
    second.clock.set(three_quarters);
    let r = second.scheduler.sweep(three_quarters).await.unwrap();
    assert_eq!(r.fired, 30, "{r:?}");
    drop(second);

    // A dispatcher took ten of them, then died.
    let third = instance(db.open().await, three_quarters, &sender);
    let held = third
        .store()
        .claim_notifications(three_quarters, 10, lease)
        .await
        .unwrap();
    assert_eq!(held.len(), 10);
    drop(third);

    let fourth = instance(db.open().await, three_quarters, &sender);
    let r = fourth.tick(three_quarters).await;
    assert_eq!(r.fired, 0, "75% is not fired again: {r:?}");
    let all75 = ladder_keys(&staff, &work, 75);
    // The ten held ones wait for their lease, and so do the later messages to the same
    // addresses (the outbox keeps each address in order); everything else goes out now.
    let now_sent = sent_keys(&sender).len();
    assert!(
        now_sent > 0 && now_sent <= all75.len() - 10,
        "{now_sent} of {}",
        all75.len()
    );
    fourth
        .tick(three_quarters + lease + TimeDelta::seconds(1))
        .await;
    assert_keys(&sent_keys(&sender), &all75, "nothing lost, nothing twice");
    tanggap_store::verify_audit_chain(fourth.store().as_ref())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarts_on_sqlite_lose_and_repeat_nothing() {
    restarts_lose_and_repeat_nothing(Db::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarts_on_postgres_lose_and_repeat_nothing() {
    restarts_lose_and_repeat_nothing(Db::pg().await).await;
}
