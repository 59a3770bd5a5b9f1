//! How the engine is set up to read: the scheduler's claim reads the `next_fire_at` index,
//! never the open reports; a reading connection maps the whole file.

use tanggap_store_sqlite::{SqliteStore, claim_query_plan, raw_connection};

#[tokio::test]
async fn the_claim_walks_the_next_fire_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tanggap.db");
    let _store = SqliteStore::open(&path).await.unwrap();
    // With statistics that say clocks are many and few are scheduled soon.
    let mut conn = raw_connection(&path).await.unwrap();
    sqlx::query("ANALYZE").execute(&mut conn).await.unwrap();
    let plan = claim_query_plan(&path).await.unwrap();
    let text = plan.join("\n");
    assert!(text.contains("clocks_next_fire"), "{text}");
    assert!(
        !text.contains("SCAN c") && !text.contains("SCAN r") && !text.contains("SCAN clocks"),
        "no table scan: {text}"
    );
}

/// The memory map covers any file we will see: SQLite silently caps `mmap_size` at its
/// compile-time `SQLITE_MAX_MMAP_SIZE` (2 GiB unless `.cargo/config.toml` raises it), and a
/// million reports are 13.5 GB.
#[tokio::test]
async fn a_reading_connection_maps_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tanggap.db");
    let _store = SqliteStore::open(&path).await.unwrap();
    let mut conn = raw_connection(&path).await.unwrap();
    let (mapped,): (i64,) = sqlx::query_as("PRAGMA mmap_size")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mapped, 1 << 40);
}
