//! A Tanggap world for scheduler tests: a store (SQLite file or a fresh PostgreSQL database)
//! with the Central Java reference data, staff, a manual clock, and the real use cases.
#![allow(dead_code)]

use chrono::{NaiveDateTime, TimeZone, Utc};
use sqlx::Connection;
use std::sync::Arc;
use tanggap_domain::workflow::{Actor, Command, DispatchTarget, UserActor};
use tanggap_domain::{AssignmentRole, Role, Timestamp};
use tanggap_jobs::{
    DispatchSettings, Dispatcher, FakeSender, Scheduler, SchedulerSettings, Senders,
};
use tanggap_service::{ManualClock, ReportInput, ReporterInput, Services, Settings};
use tanggap_store::{NewUser, Store, User};

/// A Jakarta local time written `2026-12-21 09:00`.
pub fn wib(s: &str) -> Timestamp {
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    chrono_tz::Asia::Jakarta
        .from_local_datetime(&naive)
        .unwrap()
        .with_timezone(&Utc)
}

pub fn admin_url() -> String {
    std::env::var("TANGGAP_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh PostgreSQL database, dropped with the value.
pub struct PgDb {
    admin: String,
    pub name: String,
    pub url: String,
}

impl PgDb {
    pub async fn create() -> PgDb {
        let admin = admin_url();
        let name = format!("tanggap_jobs_{:016x}", rand::random::<u64>());
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .expect("PostgreSQL must be running (scripts/test.sh starts it)");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
        PgDb {
            url: format!("{base}/{name}"),
            admin,
            name,
        }
    }

    pub async fn store(&self) -> Arc<tanggap_store_postgres::PgStore> {
        Arc::new(
            tanggap_store_postgres::PgStore::connect(&self.url)
                .await
                .unwrap(),
        )
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut c)
                        .await;
                }
            });
        })
        .join();
    }
}

/// One running Tanggap: use cases, scheduler and dispatcher on one store and clock.
pub struct Instance {
    pub services: Arc<Services>,
    pub store: Arc<dyn Store>,
    pub clock: Arc<ManualClock>,
    pub scheduler: Scheduler,
    pub dispatcher: Dispatcher,
}

impl Instance {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<ManualClock>,
        sender: Arc<FakeSender>,
        scheduler: SchedulerSettings,
    ) -> Instance {
        let services = Arc::new(Services::new(
            store.clone(),
            clock.clone(),
            Settings::default(),
        ));
        Instance {
            scheduler: Scheduler::new(services.clone(), store.clone(), scheduler),
            dispatcher: Dispatcher::new(
                store.clone(),
                Senders::all(sender),
                DispatchSettings::default(),
            ),
            services,
            store,
            clock,
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Set the clock, sweep, dispatch; panics on errors.
    pub async fn tick(&self, at: Timestamp) -> tanggap_jobs::SweepReport {
        self.clock.set(at);
        let r = self.scheduler.sweep(at).await.unwrap();
        assert_eq!(r.errors, 0, "{r:?}");
        self.dispatcher.dispatch(at).await.unwrap();
        r
    }
}

pub async fn sqlite_store(dir: &tempfile::TempDir) -> Arc<dyn Store> {
    Arc::new(
        tanggap_store_sqlite::SqliteStore::open(&dir.path().join("tanggap.db"))
            .await
            .unwrap(),
    )
}

/// The staff of the tests: per agency two officers (one inactive in `quiet` agencies), a head
/// (kepala user, plus the agency's head contact), and two desk operators.
pub struct Staff {
    pub officers: Vec<(String, Vec<User>)>,
    pub kepala: Vec<(String, User)>,
    pub desk: Vec<User>,
    /// An inactive officer: never notified.
    pub retired: Vec<User>,
}

impl Staff {
    pub fn officers_of(&self, agency: &str) -> &[User] {
        self.officers
            .iter()
            .find(|(a, _)| a == agency)
            .map(|(_, u)| u.as_slice())
            .unwrap_or(&[])
    }

    pub fn kepala_of(&self, agency: &str) -> Option<&User> {
        self.kepala
            .iter()
            .find(|(a, _)| a == agency)
            .map(|(_, u)| u)
    }

    /// An actor who may work on the agency's assignments.
    pub fn actor(&self, agency: &str) -> Actor {
        let u = self
            .officers_of(agency)
            .first()
            .or_else(|| {
                self.retired
                    .iter()
                    .find(|u| u.agency_id.as_deref() == Some(agency))
            })
            .expect("every agency has an officer");
        Actor::User(UserActor {
            user_id: u.id,
            role: Role::Petugas,
            agency_id: Some(agency.into()),
        })
    }

    pub fn operator(&self) -> Actor {
        Actor::User(UserActor {
            user_id: self.desk[0].id,
            role: Role::Operator,
            agency_id: None,
        })
    }
}

async fn user(store: &dyn Store, username: &str, role: Role, agency: Option<&str>) -> User {
    store
        .create_user(
            &NewUser {
                username: username.into(),
                display_name: username.into(),
                role,
                agency_id: agency.map(Into::into),
                email: Some(format!("{username}@jatengprov.example")),
                phone: None,
                password_hash: "$argon2id$test".into(),
                created_at: wib("2026-01-01 00:00"),
                integration: false,
                must_change_password: false,
            },
            "test",
        )
        .await
        .unwrap()
}

/// Reference data, head contacts and staff. Agencies in `quiet` have nobody to notify: no head
/// contact, no kepala, and an inactive officer only.
pub async fn setup(
    services: &Services,
    store: &dyn Store,
    agencies: &[&str],
    quiet: &[&str],
) -> Staff {
    services.seed_reference_data().await.unwrap();
    let mut staff = Staff {
        officers: vec![],
        kepala: vec![],
        desk: vec![],
        retired: vec![],
    };
    for a in agencies {
        let mut agency = store.agency(a).await.unwrap().unwrap();
        if quiet.contains(a) {
            agency.head_email = None;
            agency.head_phone = None;
            store
                .update_agency(&agency, "test", services.now())
                .await
                .unwrap();
            let retired = user(store, &format!("petugas.{a}.lama"), Role::Petugas, Some(a)).await;
            store
                .update_user(
                    retired.id,
                    &tanggap_store::UserPatch {
                        active: Some(false),
                        ..Default::default()
                    },
                    "test",
                    services.now(),
                )
                .await
                .unwrap();
            staff.retired.push(retired);
            continue;
        }
        agency.head_email = Some(format!("kepala@{a}.jatengprov.example"));
        agency.head_phone = Some("+6281200000001".into());
        store
            .update_agency(&agency, "test", services.now())
            .await
            .unwrap();
        let officers = vec![
            user(store, &format!("petugas.{a}.1"), Role::Petugas, Some(a)).await,
            user(store, &format!("petugas.{a}.2"), Role::Petugas, Some(a)).await,
        ];
        staff.officers.push((a.to_string(), officers));
        staff.kepala.push((
            a.to_string(),
            user(store, &format!("kepala.{a}"), Role::Kepala, Some(a)).await,
        ));
    }
    staff.desk = vec![
        user(store, "operator.1", Role::Operator, None).await,
        user(store, "operator.2", Role::Operator, None).await,
    ];
    staff
}

/// A citizen's report, submitted now; its id.
pub async fn submit(services: &Services, title: &str, kind: &str, category: &str) -> i64 {
    services
        .submit_report(
            &tanggap_service::Caller::Public,
            ReportInput {
                kind: kind.into(),
                title: title.into(),
                body: format!("{title}. Mohon segera ditindaklanjuti, sudah lama dibiarkan."),
                region_code: Some("33.74".into()),
                category: Some(category.into()),
                visibility: vec!["publik".into()],
                reporter: ReporterInput {
                    name: Some("Siti Aminah".into()),
                    phone: Some("0812-3456-7890".into()),
                    email: Some("siti@example.id".into()),
                    nik: None,
                },
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
}

/// Dispatch to one lead agency now; the assignment's id.
pub async fn dispatch(services: &Services, staff: &Staff, report: i64, agency: &str) -> i64 {
    services
        .execute(
            report,
            &staff.operator(),
            Command::Dispatch {
                targets: vec![DispatchTarget {
                    agency_id: agency.into(),
                    role: AssignmentRole::Utama,
                }],
                note: None,
                note_public: false,
            },
            vec![],
        )
        .await
        .unwrap()
        .created_assignments[0]
}

/// The idempotency keys the test expects, written out here rather than taken from the code
/// under test: `{report}:{assignment}:{clock}:{start µs}:{percent}:{recipient}`.
pub fn key(
    report: i64,
    assignment: i64,
    clock: &str,
    started: Timestamp,
    percent: u32,
    recipient: &str,
) -> String {
    format!(
        "{report}:{assignment}:{clock}:{}:{percent}:{recipient}",
        started.timestamp_micros()
    )
}

/// The recipient tokens of each escalation, for one agency, as the tests' staff makes them.
pub fn officers_tokens(staff: &Staff, agency: &str) -> Vec<String> {
    staff
        .officers_of(agency)
        .iter()
        .flat_map(|u| [format!("u{}/in_app", u.id), format!("u{}/email", u.id)])
        .collect()
}

pub fn head_tokens(staff: &Staff, agency: &str) -> Vec<String> {
    match staff.kepala_of(agency) {
        Some(k) => vec![
            "head/email".into(),
            "head/whatsapp".into(),
            format!("u{}/in_app", k.id),
            format!("u{}/email", k.id),
        ],
        None => vec![],
    }
}

pub fn desk_tokens(staff: &Staff) -> Vec<String> {
    staff
        .desk
        .iter()
        .flat_map(|u| [format!("u{}/in_app", u.id), format!("u{}/email", u.id)])
        .collect()
}

/// Every key sent, sorted, with duplicates kept (so that a duplicate shows).
pub fn sent_keys(sender: &FakeSender) -> Vec<String> {
    let mut keys: Vec<String> = sender
        .sent()
        .into_iter()
        .map(|n| n.idempotency_key)
        .collect();
    keys.sort();
    keys
}

/// Compare key lists (sorted, duplicates kept), reporting only what differs.
#[track_caller]
pub fn assert_keys(got: &[String], want: &[String], what: &str) {
    use std::collections::BTreeMap;
    let count = |v: &[String]| {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for k in v {
            *m.entry(k.clone()).or_default() += 1;
        }
        m
    };
    let (g, w) = (count(got), count(want));
    let missing: Vec<&String> = w.keys().filter(|k| !g.contains_key(*k)).take(10).collect();
    let extra: Vec<&String> = g.keys().filter(|k| !w.contains_key(*k)).take(10).collect();
    let twice: Vec<(&String, &usize)> = g
        .iter()
        .filter(|(k, n)| **n != w.get(*k).copied().unwrap_or(0) && w.contains_key(*k))
        .take(10)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && twice.is_empty(),
        "{what}: {} sent, {} expected; missing {missing:?}; unexpected {extra:?}; wrong counts {twice:?}",
        got.len(),
        want.len()
    );
}
