//! A fresh database per test on the server named by `TANGGAP_TEST_DATABASE_URL`, dropped at the
//! end.

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};
use std::str::FromStr;

pub struct TestDb {
    admin: PgConnection,
    name: String,
    /// The test's own database.
    pub options: PgConnectOptions,
}

impl TestDb {
    /// Creates `<prefix>_<16 hex digits>`.
    pub async fn create(prefix: &str) -> Self {
        let url = std::env::var("TANGGAP_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let admin = PgConnectOptions::from_str(&url).unwrap();
        let name = format!("{prefix}_{:016x}", rand::random::<u64>());
        let mut conn = admin.connect().await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        Self {
            admin: conn,
            options: admin.database(&name),
            name,
        }
    }

    pub async fn drop(mut self) {
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut self.admin)
        .await
        .unwrap();
        let _ = self.admin.close().await;
    }
}
