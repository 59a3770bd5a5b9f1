//! The scheduler's claim reads the `next_fire_at` index, never the open reports: checked with
//! `EXPLAIN` on a database of 20,000 open reports whose clocks are mostly scheduled far ahead.

mod common;

use sqlx::{ConnectOptions, Connection};
use tanggap_store_postgres::PgStore;

#[tokio::test]
async fn the_claim_walks_the_next_fire_index() {
    let test_db = common::TestDb::create("tanggap_plan").await;
    let db = test_db.options.clone();
    let store = PgStore::connect_with(db.clone()).await.unwrap();
    let mut conn = db.connect().await.unwrap();
    for sql in [
        "INSERT INTO reports (id, tracking_id, secret_hash, kind, title, body, channel, status, created_at, updated_at)
         OVERRIDING SYSTEM VALUE
         SELECT n, 'LG' || lpad(n::text, 10, '0'), 'x', 'pengaduan', 'Laporan', 'Isi laporan', 'web', 'diproses', now(), now()
           FROM generate_series(1, 20000) AS s(n)",
        "INSERT INTO clocks (report_id, assignment_id, kind, measure, budget_us, started_at, consumed_us, running_since, due_at, next_fire_at)
         SELECT n, 0, 'ombudsman', 'wall', 1, now(), 0, now(), now() + n * interval '1 hour', now() + n * interval '1 hour'
           FROM generate_series(1, 20000) AS s(n)",
        "ANALYZE",
    ] {
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
    let plan = store
        .claim_query_plan(chrono::Utc::now() + chrono::TimeDelta::hours(10))
        .await
        .unwrap()
        .join("\n");
    assert!(plan.contains("clocks_next_fire"), "{plan}");
    assert!(
        !plan.contains("Seq Scan on clocks") && !plan.contains("Seq Scan on reports"),
        "{plan}"
    );
    let _ = conn.close().await;
    store.close().await;
    test_db.drop().await;
}
