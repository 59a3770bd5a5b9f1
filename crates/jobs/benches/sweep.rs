//! How a sweep's cost grows: with the number of clocks that are due, not with the number of open
//! assignments. `bench/sweep.sh` runs this for SQLite and PostgreSQL with 10,000 and 1,000,000
//! open assignments; see BENCHMARKS.md.
//!
//! The open assignments are bulk-loaded with SQL (not through the API), with realistic clocks:
//! most agencies have responded (first-response clock stopped, completion running with deadlines
//! over the next two months), 5% are waiting for a first response due in the next hours, and
//! four groups of 1,000 have their 50% reminder due one hour apart. A first sweep takes the first
//! group (warm-up); each of the three measured sweeps then claims and fires exactly 1,000 clocks
//! (the reminders of the agencies' officers: four notifications each, one audit event each).
//!
//! With `--measure rakor` it measures instead the quarterly report's figures over every loaded
//! assignment beside a full scan of the assignments table (`bench/rakor.sh`).
//!
//! With `--measure outbox` it measures the outbox's claims instead (`bench/outbox.sh`): `--open N`
//! e-mails wait behind one being sent to the same address (an agency head's inbox in a flood)
//! and `--due M` receipts to M other addresses come after them; the claims of batches of 100
//! that take all M, the next round's claim, and the statement the claim was before
//! (`OLD_CLAIM`, read only) on the same rows.
//!
//! Usage: `sweep --backend sqlite|postgres --open N [--due 1000] [--measure rakor|outbox]`. PostgreSQL: a fresh database
//! on `TANGGAP_TEST_DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/postgres), dropped
//! at the end.

use chrono::{DateTime, NaiveDateTime, TimeDelta, TimeZone, Utc};
use sqlx::Connection;
use std::sync::Arc;
use std::time::Instant;
use tanggap_domain::Role;
use tanggap_jobs::{Scheduler, SchedulerSettings};
use tanggap_service::{ManualClock, Services, Settings};
use tanggap_store::{NewUser, Store};

type Timestamp = DateTime<Utc>;

const AGENCIES: [&str; 10] = [
    "dinkes",
    "dpu-bmck",
    "disdikbud",
    "dinsos",
    "dishub",
    "dlhk",
    "bpbd",
    "pusdataru",
    "disnakertrans",
    "dinarpus",
];
const GROUPS: i64 = 4;

fn wib(s: &str) -> Timestamp {
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    chrono_tz::Asia::Jakarta
        .from_local_datetime(&naive)
        .unwrap()
        .with_timezone(&Utc)
}

/// The moment the last measured group is due (1 h before it, its 50% step).
fn t() -> Timestamp {
    wib("2027-03-10 12:00")
}

struct Args {
    backend: String,
    open: i64,
    due: i64,
    /// `sweep` (the default) or `rakor`: the quarterly report's figures over every assignment.
    measure: String,
}

fn args() -> Args {
    let mut a = Args {
        backend: "sqlite".into(),
        open: 10_000,
        due: 1_000,
        measure: "sweep".into(),
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        match argv[i].as_str() {
            "--backend" => a.backend = argv[i + 1].clone(),
            "--open" => a.open = argv[i + 1].parse().expect("--open N"),
            "--due" => a.due = argv[i + 1].parse().expect("--due N"),
            "--measure" => a.measure = argv[i + 1].clone(),
            // `cargo bench` passes --bench.
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    assert!(
        a.measure == "outbox" || a.open >= GROUPS * a.due,
        "--open must be at least {GROUPS} × --due"
    );
    a
}

/// The outbox for `--measure outbox`: notification 1 is being sent to the head's address, the
/// next `waiting` wait behind it, then `due` receipts to addresses of their own; all written an
/// hour before T, in id order.
fn outbox_script(waiting: i64, due: i64, pg: bool) -> String {
    let t = t().timestamp_micros();
    let total = waiting + 1 + due;
    let (with, series) = if pg {
        (
            String::new(),
            format!("generate_series(1::bigint, {total}) AS s(n)"),
        )
    } else {
        (
            format!(
                "WITH RECURSIVE n(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM n WHERE n < {total}) "
            ),
            "n".to_string(),
        )
    };
    let ts = |e: String| {
        if pg {
            format!("(TIMESTAMPTZ 'epoch' + ({e}) * INTERVAL '1 microsecond')")
        } else {
            format!("({e})")
        }
    };
    let created = format!("{t} - 3600000000 + n");
    let lease_end = format!("{t} + 300000000");
    format!(
        "{with}INSERT INTO notifications (idempotency_key, action, recipient, channel, address, subject, body, status, attempts, next_attempt_at, lease_until, created_at)
         SELECT 'bench/' || n, 'remind_officers', 'head', 'email',
                CASE WHEN n <= {w} THEN 'kepala@dinkes.example' ELSE 'warga' || n || '@example.org' END,
                'Pengingat', 'Laporan belum direspons.',
                CASE WHEN n = 1 THEN 'sending' ELSE 'pending' END, CASE WHEN n = 1 THEN 1 ELSE 0 END,
                CASE WHEN n = 1 THEN {l} ELSE {c} END, CASE WHEN n = 1 THEN {l} END, {c}
           FROM {series}",
        w = waiting + 1,
        l = ts(lease_end),
        c = ts(created),
    )
}

/// What `a` measures needs loaded: the outbox, or the open assignments.
fn load(a: &Args, pg: bool) -> Vec<String> {
    if a.measure == "outbox" {
        vec![outbox_script(a.open, a.due, pg)]
    } else {
        script(a.open, a.due, pg)
    }
}

/// The claim's statement before messages waiting behind another were deferred: every claim
/// walked them all. Read only here (no `FOR UPDATE`, no `UPDATE`).
const OLD_CLAIM: &str = "SELECT id FROM notifications n
     WHERE status IN ('pending', 'sending') AND next_attempt_at <= $1
       AND NOT EXISTS (SELECT 1 FROM notifications e
                        WHERE e.channel = n.channel AND e.address = n.address
                          AND e.id < n.id AND e.status IN ('pending', 'sending'))
     ORDER BY next_attempt_at, id
     LIMIT 100";

/// The rows, as one SQL script per table, in either dialect. `ts(x)` turns an expression in
/// microseconds into the backend's timestamp; `n` is the row number (1-based).
///
/// Assignment n belongs to report n. Its first-response clock:
/// - n ≤ 4 × due: group g = (n-1) / due, 50% step due at T - (4 - g) h (started 12 h before);
/// - n % 20 = 0: running, started 30 minutes to 11.5 hours before T (its 50% step lies after
///   every sweep here);
/// - else: stopped three hours after it started, two to five days before T.
fn script(open: i64, due: i64, pg: bool) -> Vec<String> {
    let t = t().timestamp_micros();
    let h = 3_600_000_000i64;
    let series = if pg {
        format!("generate_series(1::bigint, {open}) AS s(n)")
    } else {
        "n".into()
    };
    let with = if pg {
        String::new()
    } else {
        format!("WITH RECURSIVE n(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM n WHERE n < {open}) ")
    };
    let ts = |e: String| {
        if pg {
            format!("(TIMESTAMPTZ 'epoch' + ({e}) * INTERVAL '1 microsecond')")
        } else {
            format!("({e})")
        }
    };
    let g = GROUPS * due;
    // When the first-response clock started.
    let started = format!(
        "CASE WHEN n <= {g} THEN {t} - (({GROUPS} - (n - 1) / {due}) * {h}) - 12 * {h}
              WHEN n % 20 = 0 THEN {t} - 30 * 60000000 - (n % 660) * 60000000
              ELSE {t} - 2 * 24 * {h} - (n % 4320) * 60000000 END"
    );
    let running = format!("(n <= {g} OR n % 20 = 0)");
    let agencies = AGENCIES
        .iter()
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let agency = if pg {
        format!("(ARRAY[{agencies}])[1 + n % {}]", AGENCIES.len())
    } else {
        let cases: String = AGENCIES
            .iter()
            .enumerate()
            .map(|(i, a)| format!(" WHEN {i} THEN '{a}'"))
            .collect();
        format!("CASE n % {}{cases} END", AGENCIES.len())
    };
    let tracking = if pg {
        "'LG' || lpad(n::text, 10, '0')".to_string()
    } else {
        "'LG' || printf('%010d', n)".to_string()
    };
    let overriding = if pg { " OVERRIDING SYSTEM VALUE" } else { "" };
    let boolean = |b: bool| {
        if pg {
            b.to_string()
        } else {
            u8::from(b).to_string()
        }
    };
    vec![
        format!(
            "{with}INSERT INTO reports (id, tracking_id, secret_hash, kind, title, body, channel, status, version, created_at, updated_at, dispatched_at){overriding}
             SELECT n, {tracking}, 'x', 'pengaduan', 'Laporan ' || n, 'Isi laporan nomor ' || n || ' untuk uji beban penjadwal.', 'web', 'diproses', 1,
                    {c}, {c}, {c} FROM {series}",
            c = ts(started.clone())
        ),
        format!(
            "{with}INSERT INTO assignments (id, report_id, agency_id, role, stage, responded, created_at, updated_at, first_response_at){overriding}
             SELECT n, n, {agency}, 'utama', CASE WHEN {running} THEN 'menunggu_respon' ELSE 'verifikasi' END, CASE WHEN {running} THEN {f} ELSE {tr} END,
                    {c}, {c}, CASE WHEN {running} THEN NULL ELSE {r} END FROM {series}",
            c = ts(started.clone()),
            r = ts(format!("{started} + 3 * {h}")),
            f = boolean(false),
            tr = boolean(true),
        ),
        // First response: 24 h of wall time.
        format!(
            "{with}INSERT INTO clocks (report_id, assignment_id, kind, measure, budget_us, started_at, consumed_us, running_since, due_at, stopped_at, fired, next_fire_at)
             SELECT n, n, 'first_response', 'wall', 24 * {h}, {c}, CASE WHEN {running} THEN 0 ELSE 3 * {h} END, {c}, {d},
                    CASE WHEN {running} THEN NULL ELSE {r} END, 0, CASE WHEN {running} THEN {half} ELSE NULL END FROM {series}",
            c = ts(started.clone()),
            d = ts(format!("{started} + 24 * {h}")),
            r = ts(format!("{started} + 3 * {h}")),
            half = ts(format!("{started} + 12 * {h}")),
        ),
        // The response obligations behind the figures: answered within 3 h, every seventh late
        // (30 h), the running ones not yet.
        format!(
            "{with}INSERT INTO obligations (assignment_id, report_id, agency_id, cycle, started_at, due_at, responded_at, cancelled_at)
             SELECT n, n, {agency}, 1, {c}, {d}, CASE WHEN {running} THEN NULL WHEN n % 7 = 0 THEN {late} ELSE {r} END, NULL FROM {series}",
            c = ts(started.clone()),
            d = ts(format!("{started} + 24 * {h}")),
            r = ts(format!("{started} + 3 * {h}")),
            late = ts(format!("{started} + 30 * {h}")),
        ),
        // Completion: 14 working days, deadlines spread over the next two months.
        format!(
            "{with}INSERT INTO clocks (report_id, assignment_id, kind, measure, budget_us, started_at, consumed_us, running_since, due_at, stopped_at, fired, next_fire_at)
             SELECT n, n, 'completion', 'working', 14 * 24 * {h}, {c}, 0, {c}, {d}, NULL, 0, {d} FROM {series}",
            c = ts(started.clone()),
            d = ts(format!("{t} + (1 + n % 60) * 24 * {h} + (n % 1440) * 60000000")),
        ),
        // The report's own: triage (stopped at dispatch) and the Ombudsman offer (60 days).
        format!(
            "{with}INSERT INTO clocks (report_id, assignment_id, kind, measure, budget_us, started_at, consumed_us, running_since, due_at, stopped_at, fired, next_fire_at)
             SELECT n, 0, 'triage', 'wall', 24 * {h}, {c}, 0, {c}, {d}, {c}, 0, NULL FROM {series}",
            c = ts(started.clone()),
            d = ts(format!("{started} + 24 * {h}")),
        ),
        format!(
            "{with}INSERT INTO clocks (report_id, assignment_id, kind, measure, budget_us, started_at, consumed_us, running_since, due_at, stopped_at, fired, next_fire_at)
             SELECT n, 0, 'ombudsman', 'wall', 60 * 24 * {h}, {c}, 0, {c}, {d}, NULL, 0, {d} FROM {series}",
            c = ts(started.clone()),
            d = ts(format!("{started} + 60 * 24 * {h}")),
        ),
    ]
}

async fn staff(store: &dyn Store) {
    for a in AGENCIES {
        for k in 1..=2 {
            store
                .create_user(
                    &NewUser {
                        username: format!("petugas.{a}.{k}"),
                        display_name: format!("Petugas {a}"),
                        role: Role::Petugas,
                        agency_id: Some(a.into()),
                        email: Some(format!("petugas{k}@{a}.jatengprov.example")),
                        phone: None,
                        password_hash: "$argon2id$bench".into(),
                        created_at: t(),
                        integration: false,
                        must_change_password: false,
                    },
                    "bench",
                )
                .await
                .unwrap();
        }
    }
}

/// Drops the benchmark's PostgreSQL database when the run ends, also by a panic.
struct DropDatabase(Option<(String, String)>);

impl Drop for DropDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.0.take() {
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut c)
                                .await;
                    }
                });
            })
            .join();
        }
    }
}

fn admin_url() -> String {
    std::env::var("TANGGAP_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let a = args();
    let loading = Instant::now();
    let dir = tempfile::tempdir_in(
        std::env::var("TANGGAP_BENCH_DIR")
            .unwrap_or_else(|_| std::env::temp_dir().display().to_string()),
    )
    .unwrap();
    let mut pg_name = DropDatabase(None);
    // Where the full scan of the rakor measurement runs: the SQLite file or the database URL.
    let scan_target: String;
    let (store, plan): (Arc<dyn Store>, Vec<String>) = match a.backend.as_str() {
        "sqlite" => {
            let path = dir.path().join("bench.db");
            let store = Arc::new(
                tanggap_store_sqlite::SqliteStore::open(&path)
                    .await
                    .unwrap(),
            );
            seed(store.clone()).await;
            let mut conn = tanggap_store_sqlite::raw_connection(&path).await.unwrap();
            for sql in load(&a, false) {
                sqlx::query(&sql).execute(&mut conn).await.unwrap();
            }
            // As the store's writer does at the end of each batch.
            for sql in tanggap_store_sqlite::INDEX_PENDING {
                sqlx::query(sql).execute(&mut conn).await.unwrap();
            }
            sqlx::query("ANALYZE").execute(&mut conn).await.unwrap();
            drop(conn);
            let plan = tanggap_store_sqlite::claim_query_plan(&path).await.unwrap();
            scan_target = path.display().to_string();
            (store, plan)
        }
        // TANGGAP_BENCH_PG_DB=tanggap_bench_… measures a database kept by an earlier run
        // (TANGGAP_BENCH_KEEP=1) without loading it again.
        "postgres" if std::env::var("TANGGAP_BENCH_PG_DB").is_ok() => {
            let name = std::env::var("TANGGAP_BENCH_PG_DB").unwrap_or_default();
            let admin = admin_url();
            let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
            let pg = Arc::new(
                tanggap_store_postgres::PgStore::connect(&url)
                    .await
                    .unwrap(),
            );
            let plan = pg.claim_query_plan(t()).await.unwrap();
            scan_target = url.clone();
            (pg, plan)
        }
        "postgres" => {
            let admin = admin_url();
            let name = format!("tanggap_bench_{:016x}", rand::random::<u64>());
            let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut c)
                .await
                .unwrap();
            let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
            pg_name.0 = Some((admin, name));
            let pg = Arc::new(
                tanggap_store_postgres::PgStore::connect(&url)
                    .await
                    .unwrap(),
            );
            seed(pg.clone()).await;
            let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
            for sql in load(&a, true) {
                sqlx::query(&sql).execute(&mut conn).await.unwrap();
            }
            for table in ["reports", "assignments"] {
                sqlx::query(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                ))
                .execute(&mut conn)
                .await
                .unwrap();
            }
            sqlx::query("VACUUM ANALYZE")
                .execute(&mut conn)
                .await
                .unwrap();
            drop(conn);
            let plan = pg.claim_query_plan(t()).await.unwrap();
            scan_target = url.clone();
            (pg, plan)
        }
        other => panic!("unknown backend {other}: use sqlite or postgres"),
    };
    eprintln!(
        "{}: loaded {} open assignments in {:.1} s",
        a.backend,
        a.open,
        loading.elapsed().as_secs_f64()
    );
    eprintln!("claim query plan:");
    for line in plan {
        eprintln!("    {line}");
    }

    if a.measure == "outbox" {
        outbox(&a, store.clone(), &scan_target).await;
        drop(store);
        drop(pg_name);
        return;
    }
    if a.measure == "rakor" {
        rakor(&a, store.clone(), &scan_target).await;
        drop(store);
        // TANGGAP_BENCH_KEEP=1 leaves the SQLite file or the PostgreSQL database behind, to
        // study its query plans.
        if std::env::var_os("TANGGAP_BENCH_KEEP").is_some() {
            eprintln!("kept {} {:?}", dir.keep().display(), pg_name.0.take());
        }
        drop(pg_name);
        return;
    }
    let clock = Arc::new(ManualClock::new(t()));
    let services = Arc::new(Services::new(
        store.clone(),
        clock.clone(),
        Settings::default(),
    ));
    let scheduler = Scheduler::new(
        services,
        store.clone(),
        SchedulerSettings {
            // The morning digest is not part of what is measured.
            digest_hour: 24,
            ..SchedulerSettings::default()
        },
    );
    let mut times = Vec::new();
    for g in 0..GROUPS {
        let at = t() - TimeDelta::hours(GROUPS - g) + TimeDelta::minutes(1);
        clock.set(at);
        let began = Instant::now();
        let r = scheduler.sweep(at).await.unwrap();
        let took = began.elapsed();
        assert_eq!(
            (r.claimed, r.fired, r.errors),
            (a.due as usize, a.due as usize, 0),
            "{r:?}"
        );
        if g == 0 {
            eprintln!("warm-up sweep: {:.1} ms", took.as_secs_f64() * 1e3);
        } else {
            eprintln!(
                "sweep {g}: {} clocks fired, {} notifications, {:.1} ms",
                r.fired,
                r.notifications,
                took.as_secs_f64() * 1e3
            );
            times.push(took.as_secs_f64() * 1e3);
        }
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "backend={} open={} due={} sweep_ms_median={median:.1} sweep_ms_all={}",
        a.backend,
        a.open,
        a.due,
        times
            .iter()
            .map(|t| format!("{t:.1}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    drop(scheduler);
    drop(store);
    drop(pg_name);
}

async fn seed(store: Arc<dyn Store>) {
    let services = Services::new(
        store.clone(),
        Arc::new(ManualClock::new(t())),
        Settings::default(),
    );
    services.seed_reference_data().await.unwrap();
    staff(store.as_ref()).await;
}

/// Drain the `--due` receipts in claims of 100 at T (what the dispatcher does), then claim once
/// more a minute later (the next round), beside the old statement's read of the same rows.
async fn outbox(a: &Args, store: Arc<dyn Store>, target: &str) {
    let old = if a.backend == "sqlite" {
        let mut c = tanggap_store_sqlite::raw_connection(std::path::Path::new(target))
            .await
            .unwrap();
        let began = Instant::now();
        let n = sqlx::query(&OLD_CLAIM.replace("$1", "?"))
            .bind(t().timestamp_micros())
            .fetch_all(&mut c)
            .await
            .unwrap()
            .len();
        (n, began.elapsed())
    } else {
        let mut c = sqlx::PgConnection::connect(target).await.unwrap();
        let began = Instant::now();
        let n = sqlx::query(OLD_CLAIM)
            .bind(t())
            .fetch_all(&mut c)
            .await
            .unwrap()
            .len();
        (n, began.elapsed())
    };
    let lease = TimeDelta::minutes(5);
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    let mut claims = Vec::new();
    let mut claimed = 0;
    let drain = Instant::now();
    loop {
        let began = Instant::now();
        let got = store.claim_notifications(t(), 100, lease).await.unwrap();
        claims.push(ms(began.elapsed()));
        if got.is_empty() {
            break;
        }
        claimed += got.len();
    }
    let drain = ms(drain.elapsed());
    assert_eq!(claimed as i64, a.due, "every receipt, none of the waiting");
    let began = Instant::now();
    let next = store
        .claim_notifications(t() + TimeDelta::minutes(1), 100, lease)
        .await
        .unwrap();
    let next_round = ms(began.elapsed());
    assert!(next.is_empty());
    println!(
        "backend={} waiting={} due={} old_claim_ms={:.1} old_claim_rows={} first_claim_ms={:.1} claims={} drain_ms={drain:.1} next_round_ms={next_round:.2}",
        a.backend,
        a.open,
        a.due,
        ms(old.1),
        old.0,
        claims[0],
        claims.len(),
    );
}

/// The quarterly report's figures (`Services::quarterly_report`: the quarter, the quarter before
/// and the audit head) over every assignment loaded, beside one full scan of the assignments
/// table on the same engine; three runs each, medians.
async fn rakor(a: &Args, store: Arc<dyn Store>, scan_target: &str) {
    let services = Services::new(
        store.clone(),
        Arc::new(ManualClock::new(t())),
        Settings::default(),
    );
    let quarter = "2027-Q1";
    // No index holds `role`: both engines read every row of the table.
    let scan = "SELECT COUNT(*) FROM assignments WHERE role <> '' AND stage <> ''";
    let mut sqlite = None;
    let mut pg = None;
    if a.backend == "sqlite" {
        sqlite = Some(
            tanggap_store_sqlite::raw_connection(std::path::Path::new(scan_target))
                .await
                .unwrap(),
        );
    } else {
        pg = Some(sqlx::PgConnection::connect(scan_target).await.unwrap());
    }
    let (mut report_ms, mut scan_ms) = (vec![], vec![]);
    for _ in 0..3 {
        let began = Instant::now();
        let r = services
            .quarterly_report(&tanggap_service::Caller::System, quarter)
            .await
            .unwrap();
        report_ms.push(began.elapsed().as_secs_f64() * 1e3);
        assert_eq!(
            r.current.total.received, a.open as u64,
            "every obligation counted"
        );
        let began = Instant::now();
        let n: i64 = match (&mut sqlite, &mut pg) {
            (Some(c), _) => sqlx::query_scalar(scan).fetch_one(c).await.unwrap(),
            (_, Some(c)) => sqlx::query_scalar(scan).fetch_one(c).await.unwrap(),
            _ => unreachable!(),
        };
        scan_ms.push(began.elapsed().as_secs_f64() * 1e3);
        assert_eq!(n, a.open);
    }
    report_ms.sort_by(f64::total_cmp);
    scan_ms.sort_by(f64::total_cmp);
    // Where the time goes: the store's two reads of the quarter, once each.
    let (from, to) = (wib("2027-01-01 00:00"), wib("2027-04-01 00:00"));
    let began = Instant::now();
    store.compliance_counts(from, to, None, t()).await.unwrap();
    let counts_ms = began.elapsed().as_secs_f64() * 1e3;
    let began = Instant::now();
    let lalai = store.lalai_obligations(from, to, None, t()).await.unwrap();
    let lalai_ms = began.elapsed().as_secs_f64() * 1e3;
    eprintln!(
        "of one quarter: compliance_counts {counts_ms:.1} ms, lalai_obligations {lalai_ms:.1} ms ({} rows)",
        lalai.len()
    );
    let (r, s) = (report_ms[1], scan_ms[1]);
    println!(
        "backend={} assignments={} report_ms_median={r:.1} scan_ms_median={s:.1} ratio={:.2}",
        a.backend,
        a.open,
        r / s
    );
}
