//! Starting the real application for a test, on SQLite or on a fresh PostgreSQL database, and
//! talking to it over HTTP as a citizen, a staff member or an integration would.
#![allow(dead_code)]

use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use tanggap::Application;
use tanggap::config::Config;
use tanggap_domain::Role;
use tanggap_service::accounts::UserInput;
use tanggap_service::{ManualClock, Services, Wallclock};
use tanggap_store::Store;
use tokio::sync::oneshot;

/// Runs an async test body against SQLite and against PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::common::TestApp::sqlite().await;
                    super::$name(&app).await;
                    app.finish().await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::common::TestApp::postgres().await;
                    super::$name(&app).await;
                    app.finish().await;
                }
            )+
        }
    };
}

/// Runs an async test body `(app, fake providers)` against SQLite and against PostgreSQL, with
/// every chat channel pointed at the fake providers.
#[macro_export]
macro_rules! with_fakes_on_both {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let fake = $crate::fakes::FakeProviders::start().await;
                    let channels = fake.channels();
                    let app = $crate::common::TestApp::sqlite_with(move |c| c.channels = channels).await;
                    super::$name(&app, &fake).await;
                    app.finish().await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let fake = $crate::fakes::FakeProviders::start().await;
                    let channels = fake.channels();
                    let app = $crate::common::TestApp::postgres_with(move |c| c.channels = channels).await;
                    super::$name(&app, &fake).await;
                    app.finish().await;
                }
            )+
        }
    };
}

pub struct PgDb {
    admin_url: String,
    name: String,
}

pub struct TestApp {
    pub base: String,
    pub services: Arc<Services>,
    pub clock: Arc<ManualClock>,
    pub store: Arc<dyn Store>,
    pub dir: tempfile::TempDir,
    /// The configuration the application was built with.
    pub config: Config,
    pg: Option<PgDb>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

pub fn admin_url() -> String {
    std::env::var("TANGGAP_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn test_config(dir: &std::path::Path) -> Config {
    let mut c = Config::load(None, |_| None).unwrap();
    c.listen = "127.0.0.1:0".parse().unwrap();
    c.data_dir = dir.to_path_buf();
    // Tests that need the scheduler step it by hand (or turn it back on, see background_jobs.rs).
    c.jobs = false;
    // Tests move the clock by days; staff sessions outlive that (in production they end after
    // 8 idle hours by the same clock).
    c.session_idle = std::time::Duration::from_secs(366 * 24 * 3600);
    c.rates = tanggap_web::RateConfig {
        login_per_user_per_minute: 1000,
        login_per_ip_per_minute: 10_000,
        lookups_per_ip_per_minute: 100_000,
        submissions_per_ip_per_minute: 100_000,
        public_list_per_ip_per_minute: 100_000,
    };
    c
}

impl TestApp {
    pub async fn sqlite() -> Self {
        Self::sqlite_with(|_| {}).await
    }

    pub async fn sqlite_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(
            tanggap_store_sqlite::SqliteStore::open(&dir.path().join("tanggap.db"))
                .await
                .unwrap(),
        );
        let mut config = test_config(dir.path());
        tweak(&mut config);
        Self::start(config, store, dir, None).await
    }

    pub async fn postgres() -> Self {
        Self::postgres_with(|_| {}).await
    }

    pub async fn postgres_with(tweak: impl FnOnce(&mut Config)) -> Self {
        use sqlx::Connection;
        let admin = admin_url();
        let name = format!("tanggap_api_{:016x}", rand::random::<u64>());
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .expect("PostgreSQL must be running (scripts/test.sh starts it)");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
        let store: Arc<dyn Store> = Arc::new(
            tanggap_store_postgres::PgStore::connect(&format!("{base}/{name}"))
                .await
                .unwrap(),
        );
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(dir.path());
        tweak(&mut config);
        Self::start(
            config,
            store,
            dir,
            Some(PgDb {
                admin_url: admin,
                name,
            }),
        )
        .await
    }

    async fn start(
        config: Config,
        store: Arc<dyn Store>,
        dir: tempfile::TempDir,
        pg: Option<PgDb>,
    ) -> Self {
        let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
        let app = Application::build_with(&config, store.clone(), clock.clone())
            .await
            .unwrap();
        let base = format!("http://{}", app.local_addr());
        let services = app.services();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.run_until(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestApp {
            base,
            services,
            clock,
            store,
            dir,
            config,
            pg,
            stop: Some(tx),
            server: Some(server),
        }
    }

    pub async fn finish(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            let _ = s.await;
        }
        if let Some(pg) = self.pg.take() {
            use sqlx::Connection;
            drop(self.services);
            drop(self.store);
            if let Ok(mut c) = sqlx::PgConnection::connect(&pg.admin_url).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", pg.name))
                    .execute(&mut c)
                    .await;
            }
        }
    }

    /// Run a statement on the database behind the store's back (to simulate old data).
    pub async fn sql(&self, statement: &str) {
        match &self.pg {
            None => {
                let mut conn =
                    tanggap_store_sqlite::raw_connection(&self.dir.path().join("tanggap.db"))
                        .await
                        .unwrap();
                sqlx::query(statement).execute(&mut conn).await.unwrap();
            }
            Some(pg) => {
                use sqlx::Connection;
                let base = pg
                    .admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_string())
                    .unwrap();
                let mut conn = sqlx::PgConnection::connect(&format!("{base}/{}", pg.name))
                    .await
                    .unwrap();
                sqlx::query(statement).execute(&mut conn).await.unwrap();
            }
        }
    }

    /// Handle the chat messages the webhooks recorded (the inbox, stepped by hand).
    pub async fn run_inbox(&self) -> tanggap_jobs::InboxReport {
        tanggap::inbox(&self.config, self.services.clone())
            .run()
            .await
            .unwrap()
    }

    /// What the background jobs do after a change, stepped by hand at the clock's now: tell
    /// reporters and staff (the reporter-updates job), then send the outbox through the senders
    /// the configuration gives (real providers, pointed at fakes by the tests).
    pub async fn deliver(&self) -> tanggap_jobs::DispatchReport {
        let now = self.now();
        tanggap_jobs::ReporterUpdates::new(self.store.clone(), self.config.public_url.clone())
            .run(now)
            .await
            .unwrap();
        let senders = tanggap::senders(&self.config, self.store.clone()).unwrap();
        tanggap_jobs::Dispatcher::new(
            self.store.clone(),
            senders,
            tanggap_jobs::DispatchSettings::default(),
        )
        .dispatch(now)
        .await
        .unwrap()
    }

    /// Whether this application runs on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }

    /// One number from the database, behind the store's back (`SELECT COUNT(*) …`).
    pub async fn scalar(&self, query: &str) -> i64 {
        match &self.pg {
            None => {
                let mut conn =
                    tanggap_store_sqlite::raw_connection(&self.dir.path().join("tanggap.db"))
                        .await
                        .unwrap();
                sqlx::query_scalar(query)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap()
            }
            Some(pg) => {
                use sqlx::Connection;
                let base = pg
                    .admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_string())
                    .unwrap();
                let mut conn = sqlx::PgConnection::connect(&format!("{base}/{}", pg.name))
                    .await
                    .unwrap();
                sqlx::query_scalar(query)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap()
            }
        }
    }

    /// One text column from the database, behind the store's back.
    pub async fn texts(&self, query: &str) -> Vec<String> {
        match &self.pg {
            None => {
                let mut conn =
                    tanggap_store_sqlite::raw_connection(&self.dir.path().join("tanggap.db"))
                        .await
                        .unwrap();
                sqlx::query_scalar(query)
                    .fetch_all(&mut conn)
                    .await
                    .unwrap()
            }
            Some(pg) => {
                use sqlx::Connection;
                let base = pg
                    .admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_string())
                    .unwrap();
                let mut conn = sqlx::PgConnection::connect(&format!("{base}/{}", pg.name))
                    .await
                    .unwrap();
                sqlx::query_scalar(query)
                    .fetch_all(&mut conn)
                    .await
                    .unwrap()
            }
        }
    }

    /// Every row of every table as text, to check that some detail is held nowhere.
    pub async fn all_rows_as_text(&self) -> String {
        use sqlx::Row;
        let mut out = String::new();
        match &self.pg {
            None => {
                let mut conn =
                    tanggap_store_sqlite::raw_connection(&self.dir.path().join("tanggap.db"))
                        .await
                        .unwrap();
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                )
                .fetch_all(&mut conn)
                .await
                .unwrap();
                for t in tables {
                    let cols: Vec<String> =
                        sqlx::query(&format!("SELECT name FROM pragma_table_info('{t}')"))
                            .fetch_all(&mut conn)
                            .await
                            .unwrap()
                            .iter()
                            .map(|r| r.get::<String, _>(0))
                            .collect();
                    let expr = cols
                        .iter()
                        .map(|c| format!("quote(\"{c}\")"))
                        .collect::<Vec<_>>()
                        .join(" || '|' || ");
                    for r in sqlx::query(&format!("SELECT {expr} FROM \"{t}\""))
                        .fetch_all(&mut conn)
                        .await
                        .unwrap()
                    {
                        out.push_str(&t);
                        out.push(':');
                        out.push_str(&r.get::<String, _>(0));
                        out.push('\n');
                    }
                }
            }
            Some(pg) => {
                use sqlx::Connection;
                let base = pg
                    .admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_string())
                    .unwrap();
                let mut conn = sqlx::PgConnection::connect(&format!("{base}/{}", pg.name))
                    .await
                    .unwrap();
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
                )
                .fetch_all(&mut conn)
                .await
                .unwrap();
                for t in tables {
                    for r in sqlx::query(&format!("SELECT t::text FROM \"{t}\" t"))
                        .fetch_all(&mut conn)
                        .await
                        .unwrap()
                    {
                        out.push_str(&t);
                        out.push(':');
                        out.push_str(&r.get::<String, _>(0));
                        out.push('\n');
                    }
                }
            }
        }
        out
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A client without any credentials.
    pub fn anonymous(&self) -> Caller {
        Caller {
            app_base: self.base.clone(),
            client: Client::builder().cookie_store(true).build().unwrap(),
            csrf: None,
            secret: None,
            bearer: None,
        }
    }

    /// A client that presents the reporter's secret.
    pub fn reporter(&self, secret: &str) -> Caller {
        Caller {
            secret: Some(secret.to_string()),
            ..self.anonymous()
        }
    }

    /// Create a user directly (as an administrator would) and log in as them over HTTP.
    pub async fn staff(&self, username: &str, role: Role, agency: Option<&str>) -> Caller {
        let password = format!("{username}-kata-sandi");
        if self
            .store
            .user_credentials(username)
            .await
            .unwrap()
            .is_none()
        {
            self.services
                .create_user(
                    &tanggap_service::Caller::System,
                    UserInput {
                        username: username.into(),
                        display_name: format!("Pengguna {username}"),
                        role: role.as_str().into(),
                        agency_id: agency.map(Into::into),
                        email: None,
                        phone: None,
                        password: password.clone(),
                        integration: false,
                    },
                )
                .await
                .unwrap();
        }
        let mut c = self.anonymous();
        let r = c
            .post("/api/v1/sessions")
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "login {username}");
        let body: Value = r.json().await.unwrap();
        c.csrf = body["csrf_token"].as_str().map(str::to_string);
        c
    }

    /// Submit a report as a citizen; returns (tracking id, secret).
    pub async fn submit(&self, body: Value) -> (String, String) {
        let r = self
            .anonymous()
            .post("/api/v1/reports")
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{v}");
        (
            v["tracking_id"].as_str().unwrap().to_string(),
            v["secret"].as_str().unwrap().to_string(),
        )
    }

    pub fn advance(&self, d: chrono::TimeDelta) {
        self.clock.advance(d);
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

/// Somebody calling the API, with whatever credentials they hold.
#[derive(Clone)]
pub struct Caller {
    app_base: String,
    pub client: Client,
    pub csrf: Option<String>,
    pub secret: Option<String>,
    pub bearer: Option<String>,
}

impl Caller {
    /// Log in over HTTP to any Tanggap (another process, in the connector tests).
    pub async fn login_at(base: &str, username: &str, password: &str) -> Caller {
        let mut c = Caller {
            app_base: base.to_string(),
            client: Client::builder().cookie_store(true).build().unwrap(),
            csrf: None,
            secret: None,
            bearer: None,
        };
        let r = c
            .post("/api/v1/sessions")
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "login {username} at {base}"
        );
        let body: Value = r.json().await.unwrap();
        c.csrf = body["csrf_token"].as_str().map(str::to_string);
        c
    }

    fn with_credentials(&self, mut rb: RequestBuilder, write: bool) -> RequestBuilder {
        if let Some(s) = &self.secret {
            rb = rb.header("X-Report-Secret", s);
        }
        if let Some(b) = &self.bearer {
            rb = rb.bearer_auth(b);
        }
        if write && let Some(c) = &self.csrf {
            rb = rb.header("X-CSRF-Token", c);
        }
        rb
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.with_credentials(self.client.get(format!("{}{}", self.app_base, path)), false)
    }
    pub fn post(&self, path: &str) -> RequestBuilder {
        self.with_credentials(self.client.post(format!("{}{}", self.app_base, path)), true)
    }
    pub fn put(&self, path: &str) -> RequestBuilder {
        self.with_credentials(self.client.put(format!("{}{}", self.app_base, path)), true)
    }
    pub fn patch(&self, path: &str) -> RequestBuilder {
        self.with_credentials(
            self.client.patch(format!("{}{}", self.app_base, path)),
            true,
        )
    }
    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.with_credentials(
            self.client.delete(format!("{}{}", self.app_base, path)),
            true,
        )
    }

    /// POST JSON and expect 200; returns the body.
    pub async fn act(&self, path: &str, body: Value) -> Value {
        let r = self.post(path).json(&body).send().await.unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(status, StatusCode::OK, "POST {path}: {v}");
        v
    }

    /// GET a JSON document that must be there (200).
    pub async fn get_json(&self, path: &str) -> Value {
        let r = self.get(path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "GET {path}");
        r.json().await.unwrap()
    }

    pub async fn report(&self, tid: &str) -> Value {
        let r = self
            .get(&format!("/api/v1/reports/{tid}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }
}

/// Status and body of a response; asserts a problem document for errors.
pub async fn problem(r: Response) -> (StatusCode, Value) {
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    if status.is_client_error() || status.is_server_error() {
        assert_eq!(ct, "application/problem+json", "{status}: {body}");
        assert_eq!(
            body["status"].as_u64(),
            Some(u64::from(status.as_u16())),
            "{body}"
        );
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{body}"
        );
    }
    (status, body)
}

/// A realistic complaint.
pub fn complaint(title: &str) -> Value {
    json!({
        "kind": "pengaduan",
        "title": title,
        "body": format!("{title}. Sudah lebih dari dua minggu tidak ada perbaikan dan membahayakan pengendara."),
        "occurred_on": "2026-11-20",
        "region_code": "33.74.01.1001",
        "address": "Jl. Pemuda depan kantor kelurahan",
        "category": "jalan-jembatan",
        "visibility": "publik",
        "reporter": {"name": "Siti Aminah", "phone": "0812-3456-7890", "email": "siti@example.id"}
    })
}

/// A small valid JPEG with an EXIF block carrying GPS-like data, built by the attachments crate's
/// own test helper format: a JFIF header, an APP1 Exif segment, and a minimal baseline image.
pub fn jpeg_with_exif() -> Vec<u8> {
    const BASE: &[u8] = include_bytes!("fixtures/tiny.jpg");
    let exif_payload = b"Exif\0\0GPSLatitude -6.9826 GPSLongitude 110.4092 SECRET-GPS-MARKER";
    let len = (exif_payload.len() + 2) as u16;
    let mut out = Vec::new();
    out.extend_from_slice(&BASE[..2]); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(exif_payload);
    out.extend_from_slice(&BASE[2..]);
    out
}

/// The value of the first `name="csrf"` field of a page.
pub fn csrf(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a form with a CSRF token")
        .to_string()
}
