//! The shared conformance suite, on PostgreSQL.
//!
//! Each test gets a fresh database `tanggap_test_<16 hex digits>` on the server named by
//! `TANGGAP_TEST_DATABASE_URL` (default [`DEFAULT_URL`]; the user needs CREATEDB), and drops it at
//! the end, also when the test fails. A server that cannot be reached fails the tests, loudly:
//! skipping them would let a PostgreSQL regression through unnoticed.

use async_trait::async_trait;
use sqlx::ConnectOptions;
use sqlx::postgres::PgConnectOptions;
use std::str::FromStr;
use std::sync::Arc;
use tanggap_domain::audit::GENESIS_HASH;
use tanggap_store::conformance::{Harness, new_report, seed, t0};
use tanggap_store::{Store, verify_audit_chain};
use tanggap_store_postgres::{PgStore, raw_connection};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

struct PgHarness {
    /// Where databases are created and dropped.
    admin: PgConnectOptions,
    /// The test's own database.
    db: PgConnectOptions,
    name: String,
    store: Arc<PgStore>,
    dropped: bool,
}

fn admin_options() -> PgConnectOptions {
    let url = std::env::var("TANGGAP_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.into());
    PgConnectOptions::from_str(&url)
        .unwrap_or_else(|e| panic!("TANGGAP_TEST_DATABASE_URL is not a PostgreSQL URL: {e}"))
}

async fn drop_database(admin: &PgConnectOptions, name: &str) {
    let mut conn = admin
        .connect()
        .await
        .unwrap_or_else(|e| panic!("cannot reconnect to drop test database {name}: {e}"));
    // FORCE ends connections the test left open (a pool that was never closed after a panic).
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
}

#[async_trait]
impl Harness for PgHarness {
    async fn start() -> Self {
        let admin = admin_options();
        let mut conn = admin.connect().await.unwrap_or_else(|e| {
            panic!(
                "cannot reach PostgreSQL at {}:{} as `{}`: {e}\n\
                 The PostgreSQL store tests need a running server. Start the local one with\n    \
                 pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n\
                 or set TANGGAP_TEST_DATABASE_URL to a server where this user may create databases.",
                admin.get_host(),
                admin.get_port(),
                admin.get_username(),
            )
        });
        let name = format!("tanggap_test_{:016x}", rand::random::<u64>());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        drop(conn);
        let db = admin.clone().database(&name);
        let store = match PgStore::connect_with(db.clone()).await {
            Ok(store) => Arc::new(store),
            Err(e) => {
                drop_database(&admin, &name).await;
                panic!("cannot open the test database {name}: {e}");
            }
        };
        PgHarness {
            admin,
            db,
            name,
            store,
            dropped: false,
        }
    }

    fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    async fn tamper_audit_event(&self, seq: i64) {
        let mut conn = raw_connection(&self.db).await.unwrap();
        // What an administrator with the table's ownership could do.
        sqlx::query("ALTER TABLE audit_events DISABLE TRIGGER USER")
            .execute(&mut conn)
            .await
            .unwrap();
        let n = sqlx::query(
            "UPDATE audit_events SET after_json = '{\"tampered\":true}' WHERE seq = $1",
        )
        .bind(seq)
        .execute(&mut conn)
        .await
        .unwrap()
        .rows_affected();
        assert_eq!(n, 1);
    }

    async fn finish(mut self) {
        self.store.close().await;
        drop_database(&self.admin, &self.name).await;
        self.dropped = true;
    }
}

impl Drop for PgHarness {
    /// A failed test never reaches `finish`; drop its database anyway, from a thread of its own
    /// because `Drop` cannot await.
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let cleanup = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(drop_database(&admin, &name));
        });
        if cleanup.join().is_err() {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

tanggap_store::conformance_tests!(PgHarness);

#[tokio::test]
async fn audit_rows_cannot_be_changed_through_sql() {
    let h = PgHarness::start().await;
    seed(h.store.as_ref()).await;
    let mut conn = raw_connection(&h.db).await.unwrap();
    for sql in [
        "UPDATE audit_events SET actor = 'x' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 1",
        "TRUNCATE audit_events",
    ] {
        let err = sqlx::query(sql).execute(&mut conn).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    drop(conn);
    h.finish().await;
}

#[tokio::test]
async fn the_chain_starts_at_the_genesis_hash() {
    let h = PgHarness::start().await;
    assert_eq!(
        h.store.audit_head().await.unwrap(),
        None,
        "no head before the first event"
    );
    let mut conn = raw_connection(&h.db).await.unwrap();
    let stored: (i64, String) = sqlx::query_as("SELECT seq, hash FROM audit_head")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(stored, (0, GENESIS_HASH.to_string()));
    drop(conn);
    h.finish().await;
}

/// Two processes on one database: each runs the (already applied) migrations and appends to the
/// same chain through its own pool.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_database_share_one_chain() {
    let h = PgHarness::start().await;
    seed(h.store.as_ref()).await;
    let other = Arc::new(PgStore::connect_with(h.db.clone()).await.unwrap());
    let mut tasks = Vec::new();
    for (n, store) in [h.store.clone(), other.clone()].into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(n as u64);
            for i in 0..20 {
                let phone = format!("+628130000{n}{i:03}");
                store
                    .create_report(&new_report(
                        &mut rng,
                        &format!("Laporan {n}-{i}"),
                        Some(&phone),
                        t0(),
                    ))
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(other.count_reports().await.unwrap(), 40);
    let summary = verify_audit_chain(other.as_ref()).await.unwrap();
    assert_eq!(
        h.store
            .audit_head()
            .await
            .unwrap()
            .map(|(seq, _)| seq as u64),
        Some(summary.events)
    );
    other.close().await;
    h.finish().await;
}
