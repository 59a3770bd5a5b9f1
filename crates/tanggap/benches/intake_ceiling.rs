//! Our own ceiling for intake: the rows of N new reports written straight into a fresh Tanggap
//! database, in batches, with no HTTP and no use-case code. Each report is what one
//! `POST /api/v1/reports` of `bench/post_report.lua` stores: a reporter (e-mail), the report (its
//! full-text entry and tallies follow by the schema's triggers), the receipt notification, the
//! two SLA clocks, the "submitted" timeline entry and a hash-chained audit event, with the head
//! row written once per batch. Durability as in production: SQLite in WAL with
//! `synchronous=FULL` (prepared statements on one connection, no async layer); PostgreSQL with
//! `synchronous_commit=on` (one connection, one statement per row, the chain head locked once per
//! batch). `BENCHMARKS.md` compares HTTP intake with this.
//!
//! Usage: `intake_ceiling --backend sqlite|postgres [--reports 20000] [--batch 16]`.
//! PostgreSQL: a fresh database on `TANGGAP_TEST_DATABASE_URL` (default
//! postgres://postgres@127.0.0.1:5432/postgres), dropped at the end.

use chrono::{TimeDelta, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use sqlx::{Connection, Executor};
use std::sync::Arc;
use std::time::Instant;
use tanggap_domain::audit::{GENESIS_HASH, NewAuditEvent};
use tanggap_domain::clock::Clock;
use tanggap_domain::{
    Channel, ReportKind, SecretToken, SlaPolicy, TrackingId, Visibility, WorkingCalendar, workflow,
};
use tanggap_service::{ManualClock, Services, Settings};
use tanggap_store::{NewReport, NewReporter, Store};

type Timestamp = chrono::DateTime<Utc>;

struct Args {
    backend: String,
    reports: usize,
    batch: usize,
}

fn args() -> Args {
    let mut a = Args {
        backend: "sqlite".into(),
        reports: 20_000,
        batch: 16,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_default();
        match flag.as_str() {
            "--backend" => a.backend = value(),
            "--reports" => a.reports = value().parse().expect("--reports N"),
            "--batch" => a.batch = value().parse().expect("--batch N"),
            _ => {} // cargo bench passes --bench
        }
    }
    a
}

/// One report as `bench/post_report.lua` sends it, with what the service would add.
fn report(i: usize, rng: &mut StdRng, at: Timestamp, clocks: Vec<Clock>) -> NewReport {
    let text = "Jalan provinsi di depan pasar berlubang besar dan membahayakan pengendara motor. "
        .repeat(7);
    NewReport {
        notifications: vec![],
        tracking_id: TrackingId::generate("LG", rng),
        secret_hash: SecretToken::generate(rng).hash(),
        kind: ReportKind::Pengaduan,
        title: format!("ceiling n{i:07} jalan berlubang di depan pasar"),
        body: text[..500].to_string(),
        occurred_on: None,
        region_code: Some("33.74.01.1001".into()),
        address: None,
        latitude: None,
        longitude: None,
        category: Some("jalan-jembatan".into()),
        channel: Channel::Api,
        reporter: Some(NewReporter {
            name: None,
            phone: None,
            email: Some(format!("warga{i}@example.org")),
            nik: None,
            channel_address: None,
        }),
        visibility: Visibility::PUBLIK,
        show_reporter_name: false,
        needs_field_check: false,
        clocks,
        attachments: vec![],
        created_at: at,
        actor: "public".into(),
        entered_by: None,
        inbound_id: None,
        open311: None,
        idempotency: None,
    }
}

fn us(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

fn micros(d: TimeDelta) -> i64 {
    d.num_microseconds().unwrap_or(i64::MAX)
}

const RECEIPT_SUBJECT: &str = "Laporan Anda telah diterima";
const RECEIPT_BODY: &str = "Terima kasih. Laporan Anda telah kami terima dan akan diverifikasi dalam 1x24 jam. Simpan nomor dan kunci ini untuk melacaknya.";

fn main() {
    let a = args();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let policy = SlaPolicy::jateng();
    let calendar = WorkingCalendar::new(policy.tz().unwrap(), []);
    let base = Utc::now();
    let mut rng = StdRng::seed_from_u64(2026);
    let reports: Vec<NewReport> = (0..a.reports)
        .map(|i| {
            let at = base + TimeDelta::milliseconds(i as i64);
            let clocks = workflow::new_report_clocks(at, &policy, &calendar);
            report(i, &mut rng, at, clocks)
        })
        .collect();
    let secs = match a.backend.as_str() {
        "sqlite" => sqlite(&rt, &reports, a.batch),
        "postgres" => rt.block_on(postgres(&reports, a.batch)),
        other => panic!("--backend sqlite|postgres, not {other}"),
    };
    println!(
        "CEILING backend={} reports={} batch={} seconds={:.3} reports_per_sec={:.0}",
        a.backend,
        a.reports,
        a.batch,
        secs,
        a.reports as f64 / secs
    );
}

async fn seed(store: Arc<dyn Store>) {
    let services = Services::new(
        store,
        Arc::new(ManualClock::new(Utc::now())),
        Settings::default(),
    );
    services.seed_reference_data().await.unwrap();
}

fn sqlite(rt: &tokio::runtime::Runtime, reports: &[NewReport], batch: usize) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tanggap.db");
    rt.block_on(async {
        let store = tanggap_store_sqlite::SqliteStore::open(&path)
            .await
            .unwrap();
        seed(Arc::new(store)).await;
    });
    let mut c = rusqlite::Connection::open(&path).unwrap();
    for (k, v) in [
        ("journal_mode", "wal"),
        ("synchronous", "full"),
        ("foreign_keys", "on"),
        ("temp_store", "memory"),
        ("secure_delete", "on"),
        ("mmap_size", "1073741824"),
    ] {
        c.pragma_update(None, k, v).unwrap();
    }
    let t0 = Instant::now();
    for chunk in reports.chunks(batch) {
        let tx = c.transaction().unwrap();
        let (mut seq, mut prev): (i64, String) = tx
            .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap_or((0, GENESIS_HASH.to_string()));
        for r in chunk {
            let rep = r.reporter.as_ref().unwrap();
            let reporter_id: i64 = tx
                .prepare_cached("INSERT INTO reporters (name, phone, email, nik, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id")
                .unwrap()
                .query_row(rusqlite::params![rep.name, rep.phone, rep.email, rep.nik, us(r.created_at)], |row| row.get(0))
                .unwrap();
            let at = us(r.created_at);
            let id: i64 = tx
                .prepare_cached(
                    "INSERT INTO reports (tracking_id, secret_hash, kind, title, body, occurred_on, region_code, address, latitude, longitude,
                       category, channel, reporter_id, entered_by, show_reporter_name, anonim, rahasia, needs_field_check, status, created_at, updated_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'baru', ?, ?) RETURNING id",
                )
                .unwrap()
                .query_row(
                    rusqlite::params![
                        r.tracking_id.as_str(), r.secret_hash, r.kind.as_str(), r.title, r.body,
                        None::<String>, r.region_code, r.address, r.latitude, r.longitude,
                        r.category, r.channel.as_str(), reporter_id, r.entered_by,
                        r.show_reporter_name, r.visibility.anonim, r.visibility.rahasia,
                        r.needs_field_check, at, at
                    ],
                    |row| row.get(0),
                )
                .unwrap();
            tx.prepare_cached(
                "INSERT INTO notifications (idempotency_key, action, report_id, assignment_id, agency_id, recipient, user_id,
                    channel, address, subject, body, status, attempts, next_attempt_at, created_at)
                 VALUES (?, 'receipt', ?, NULL, NULL, 'reporter', NULL, 'email', ?, ?, ?, 'pending', 0, ?, ?)",
            )
            .unwrap()
            .execute(rusqlite::params![format!("receipt:{}", r.tracking_id), id, rep.email, RECEIPT_SUBJECT, RECEIPT_BODY, at, at])
            .unwrap();
            for clock in &r.clocks {
                tx.prepare_cached(
                    "INSERT INTO clocks (report_id, assignment_id, kind, measure, budget_us, started_at, consumed_us, running_since, due_at, stopped_at, fired, next_fire_at)
                     VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .unwrap()
                .execute(rusqlite::params![
                    id, clock.kind.as_str(), clock.measure.as_str(), micros(clock.budget),
                    us(clock.started_at), micros(clock.consumed), clock.running_since.map(us),
                    clock.due_at.map(us), clock.stopped_at.map(us), clock.fired, clock.next_fire_at.map(us)
                ])
                .unwrap();
            }
            tx.prepare_cached(
                "INSERT INTO activities (report_id, assignment_id, agency_id, kind, stage, status, note, actor, audience, created_at)
                 VALUES (?, NULL, NULL, 'submitted', NULL, NULL, NULL, ?, 'public', ?)",
            )
            .unwrap()
            .execute(rusqlite::params![id, r.actor, at])
            .unwrap();
            let summary = tanggap_store::redact::report_created(r, Some(reporter_id));
            let sealed = NewAuditEvent::new(&r.actor, "report.created", "report", id)
                .after(&summary)
                .seal(seq + 1, r.created_at, &prev);
            tx.prepare_cached(
                "INSERT INTO audit_events (seq, occurred_at, actor, action, object_type, object_id, before_json, after_json, prev_hash, hash)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .unwrap()
            .execute(rusqlite::params![
                sealed.seq, us(sealed.occurred_at), sealed.actor, sealed.action, sealed.object_type,
                sealed.object_id, sealed.before, sealed.after, sealed.prev_hash, sealed.hash
            ])
            .unwrap();
            seq = sealed.seq;
            prev = sealed.hash;
        }
        tx.execute(
            "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            rusqlite::params![seq, prev],
        )
        .unwrap();
        // The full-text indexes, once per batch, as the store's writer does.
        for sql in tanggap_store_sqlite::INDEX_PENDING {
            tx.execute(sql, []).unwrap();
        }
        tx.commit().unwrap();
    }
    let secs = t0.elapsed().as_secs_f64();
    let stored: i64 = c
        .query_row("SELECT count(*) FROM reports_fts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored as usize, reports.len(), "every report indexed");
    secs
}

async fn postgres(reports: &[NewReport], batch: usize) -> f64 {
    let url = std::env::var("TANGGAP_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let db = format!("tanggap_ceiling_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    admin
        .execute(format!("CREATE DATABASE {db}").as_str())
        .await
        .unwrap();
    let db_url = format!("{}/{db}", url.rsplit_once('/').unwrap().0);
    let store = tanggap_store_postgres::PgStore::connect(&db_url)
        .await
        .unwrap();
    seed(Arc::new(store)).await;
    let mut c = sqlx::PgConnection::connect(&db_url).await.unwrap();
    let t0 = Instant::now();
    for chunk in reports.chunks(batch) {
        let mut tx = c.begin().await.unwrap();
        let (mut seq, mut prev): (i64, String) =
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")
                .fetch_one(&mut *tx)
                .await
                .unwrap();
        for r in chunk {
            let rep = r.reporter.as_ref().unwrap();
            let reporter_id: i64 = sqlx::query_scalar("INSERT INTO reporters (name, phone, email, nik, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                .bind(&rep.name).bind(&rep.phone).bind(&rep.email).bind(&rep.nik).bind(r.created_at)
                .fetch_one(&mut *tx).await.unwrap();
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO reports (tracking_id, secret_hash, kind, title, body, occurred_on, region_code, address, latitude, longitude,
                   category, channel, reporter_id, entered_by, show_reporter_name, anonim, rahasia, needs_field_check, status, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, NULL, $6, NULL, NULL, NULL, $7, $8, $9, NULL, $10, $11, $12, $13, 'baru', $14, $14) RETURNING id",
            )
            .bind(r.tracking_id.as_str()).bind(&r.secret_hash).bind(r.kind.as_str()).bind(&r.title).bind(&r.body)
            .bind(&r.region_code).bind(&r.category).bind(r.channel.as_str()).bind(reporter_id)
            .bind(r.show_reporter_name).bind(r.visibility.anonim).bind(r.visibility.rahasia).bind(r.needs_field_check)
            .bind(r.created_at)
            .fetch_one(&mut *tx).await.unwrap();
            sqlx::query(
                "INSERT INTO notifications (idempotency_key, action, report_id, assignment_id, agency_id, recipient, user_id,
                    channel, address, subject, body, status, attempts, next_attempt_at, created_at)
                 VALUES ($1, 'receipt', $2, NULL, NULL, 'reporter', NULL, 'email', $3, $4, $5, 'pending', 0, $6, $6)",
            )
            .bind(format!("receipt:{}", r.tracking_id)).bind(id).bind(&rep.email).bind(RECEIPT_SUBJECT).bind(RECEIPT_BODY).bind(r.created_at)
            .execute(&mut *tx).await.unwrap();
            for clock in &r.clocks {
                sqlx::query(
                    "INSERT INTO clocks (report_id, assignment_id, kind, measure, budget_us, started_at, consumed_us, running_since, due_at, stopped_at, fired, next_fire_at)
                     VALUES ($1, 0, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(id).bind(clock.kind.as_str()).bind(clock.measure.as_str()).bind(micros(clock.budget))
                .bind(clock.started_at).bind(micros(clock.consumed)).bind(clock.running_since)
                .bind(clock.due_at).bind(clock.stopped_at).bind(clock.fired as i32).bind(clock.next_fire_at)
                .execute(&mut *tx).await.unwrap();
            }
            sqlx::query(
                "INSERT INTO activities (report_id, assignment_id, agency_id, kind, stage, status, note, actor, audience, created_at)
                 VALUES ($1, NULL, NULL, 'submitted', NULL, NULL, NULL, $2, 'public', $3)",
            )
            .bind(id).bind(&r.actor).bind(r.created_at)
            .execute(&mut *tx).await.unwrap();
            let summary = tanggap_store::redact::report_created(r, Some(reporter_id));
            let sealed = NewAuditEvent::new(&r.actor, "report.created", "report", id)
                .after(&summary)
                .seal(seq + 1, r.created_at.trunc_subsecs_us(), &prev);
            sqlx::query(
                "INSERT INTO audit_events (seq, occurred_at, actor, action, object_type, object_id, before_json, after_json, prev_hash, hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(sealed.seq).bind(sealed.occurred_at).bind(&sealed.actor).bind(&sealed.action)
            .bind(&sealed.object_type).bind(&sealed.object_id).bind(&sealed.before).bind(&sealed.after)
            .bind(&sealed.prev_hash).bind(&sealed.hash)
            .execute(&mut *tx).await.unwrap();
            seq = sealed.seq;
            prev = sealed.hash;
        }
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(&prev)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let secs = t0.elapsed().as_secs_f64();
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM reports")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(stored as usize, reports.len());
    drop(c);
    admin
        .execute(format!("DROP DATABASE {db} WITH (FORCE)").as_str())
        .await
        .unwrap();
    secs
}

trait Micro {
    fn trunc_subsecs_us(self) -> Self;
}

impl Micro for Timestamp {
    fn trunc_subsecs_us(self) -> Self {
        use chrono::SubsecRound;
        self.trunc_subsecs(6)
    }
}
