//! The shared conformance suite, on SQLite.

use async_trait::async_trait;
use std::path::PathBuf;
use std::sync::Arc;
use tanggap_store::Store;
use tanggap_store::conformance::Harness;
use tanggap_store_sqlite::{SqliteStore, raw_connection};

struct SqliteHarness {
    _dir: tempfile::TempDir,
    path: PathBuf,
    store: Arc<dyn Store>,
}

#[async_trait]
impl Harness for SqliteHarness {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tanggap.db");
        let store = Arc::new(SqliteStore::open(&path).await.unwrap());
        SqliteHarness {
            _dir: dir,
            path,
            store,
        }
    }

    fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    async fn tamper_audit_event(&self, seq: i64) {
        let mut conn = raw_connection(&self.path).await.unwrap();
        sqlx::query("DROP TRIGGER audit_events_no_update")
            .execute(&mut conn)
            .await
            .unwrap();
        let n =
            sqlx::query("UPDATE audit_events SET after_json = '{\"tampered\":true}' WHERE seq = ?")
                .bind(seq)
                .execute(&mut conn)
                .await
                .unwrap()
                .rows_affected();
        assert_eq!(n, 1);
    }
}

tanggap_store::conformance_tests!(SqliteHarness);

#[tokio::test]
async fn audit_rows_cannot_be_changed_through_sql() {
    let h = SqliteHarness::start().await;
    tanggap_store::conformance::seed(h.store.as_ref()).await;
    let mut conn = raw_connection(&h.path).await.unwrap();
    let err = sqlx::query("UPDATE audit_events SET actor = 'x' WHERE seq = 1")
        .execute(&mut conn)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = sqlx::query("DELETE FROM audit_events WHERE seq = 1")
        .execute(&mut conn)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
}
