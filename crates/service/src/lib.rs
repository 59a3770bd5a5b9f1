//! Tanggap's use cases: the one door through which every adapter (the JSON API, the pages, the
//! chat channels, Open311, connectors, the CLI, the scheduler) reads and changes data.
//!
//! Each use case takes the [`Caller`], checks permissions through the one table in
//! `tanggap_domain::policy`, validates its input once (text fields included, see [`text`]),
//! decides (report changes through `tanggap_domain::workflow`), and writes audit through the
//! store. Refusals are [`Refusal`]s: a stable code with arguments that each adapter renders in
//! its caller's language. The store is private to this crate; nothing else reaches it.

pub mod accounts;
pub mod actions;
pub mod admin;
pub mod assist;
mod catalogue;
pub mod chat;
pub mod compliance;
pub mod connectors;
pub mod daily_digest;
pub mod dashboards;
pub mod demo;
pub mod files;
pub mod idempotency;
pub mod open311;
pub mod open_data;
pub mod outbox;
pub mod privacy;
pub mod rakor;
pub mod reading;
pub mod receipts;
pub mod reference;
mod reference_cache;
mod refusal;
pub mod reports;
pub mod scale;
pub mod statistics;
pub mod text;

use chrono::{DurationRound, TimeDelta, Utc};
use std::sync::{Arc, Mutex};
use tanggap_domain::policy::{Party, Permission};
use tanggap_domain::{AgencyTree, SlaPolicy, Timestamp, WorkingCalendar};
use tanggap_store::{Store, User};

pub use actions::Action;
pub use admin::{AgencyInput, CategoryInput, HolidayInput, PolicyInput};
pub use dashboards::{DeskRow, DeskTotal, QueueView};
pub use files::ReviewInput;
pub use reading::{OpenedReport, RecentReport, ReportDetail};
pub use refusal::{Args, FieldError, Lang, Refusal, RefusalKind, ServiceError};
pub use reports::{ReportInput, ReporterInput, Submitted};

/// Who is asking. Adapters build it from what they verified (a session, an API token, a
/// provider's signature); use cases decide with it.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A visitor without login. Proves to be a reporter per report, with the report's secret.
    Public,
    /// A logged-in staff member, or an API token acting as its user.
    Staff(User),
    /// Tanggap itself: the scheduler, imports, the command line on the server.
    System,
}

impl Caller {
    pub fn user(&self) -> Option<&User> {
        match self {
            Caller::Staff(u) => Some(u),
            _ => None,
        }
    }

    /// The party for the permission table.
    pub fn party(&self) -> Party {
        match self {
            Caller::Public => Party::Public,
            Caller::Staff(u) => Party::Staff(u.role),
            Caller::System => Party::System,
        }
    }

    /// Whether the permission table lets this caller do `p` (pages use it to offer forms).
    pub fn may(&self, p: Permission) -> bool {
        tanggap_domain::policy::allows(self.party(), p)
    }

    /// Refuse unless the permission table says yes: 401 for a visitor, 403 for anyone else.
    pub fn require(&self, p: Permission) -> Result<()> {
        if self.may(p) {
            Ok(())
        } else if matches!(self, Caller::Public) {
            Err(ServiceError::unauthenticated())
        } else {
            Err(ServiceError::not_permitted(p))
        }
    }

    /// How the caller is written in the audit trail.
    pub fn audit_label(&self) -> String {
        match self {
            Caller::Public => "public".into(),
            Caller::Staff(u) => format!("user:{}", u.id),
            Caller::System => "system".into(),
        }
    }

    /// The workflow actor for a staff or system caller.
    pub fn actor(&self) -> Option<tanggap_domain::workflow::Actor> {
        use tanggap_domain::workflow::{Actor, UserActor};
        match self {
            Caller::Staff(u) => Some(Actor::User(UserActor {
                user_id: u.id,
                role: u.role,
                agency_id: u.agency_id.clone(),
            })),
            Caller::System => Some(Actor::System),
            Caller::Public => None,
        }
    }
}

/// Where "now" comes from. Production uses the system clock; tests move time by hand.
pub trait Wallclock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The system clock, truncated to microseconds (what both databases store).
pub struct SystemClock;

impl Wallclock for SystemClock {
    fn now(&self) -> Timestamp {
        truncate(Utc::now())
    }
}

fn truncate(t: Timestamp) -> Timestamp {
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}

/// A clock that runs `rate` times faster than the system clock from `anchor` on: at the system
/// time `anchor + d` it reads `anchor + rate × d`. Only for tests of whole processes (the crash
/// test, `bench/crash.sh`), where SLA thresholds of hours must cross within minutes and a
/// process killed and started again must read on from where the last one was: the reading is a
/// function of the system time alone. Set by `TANGGAP_TEST_TIME_RATE` and
/// `TANGGAP_TEST_TIME_ANCHOR`; never in production.
pub struct ScaledClock {
    pub anchor: Timestamp,
    pub rate: f64,
}

impl Wallclock for ScaledClock {
    fn now(&self) -> Timestamp {
        let real = Utc::now() - self.anchor;
        let micros = real.num_microseconds().unwrap_or(i64::MAX) as f64 * self.rate;
        truncate(self.anchor + TimeDelta::microseconds(micros as i64))
    }
}

/// A clock that only moves when told to.
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    pub fn new(at: Timestamp) -> Self {
        ManualClock(Mutex::new(truncate(at)))
    }
    pub fn set(&self, at: Timestamp) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = truncate(at);
    }
    pub fn advance(&self, by: TimeDelta) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *t += by;
    }
}

impl Wallclock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Deployment choices that shape the use cases.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Prefix of tracking IDs, e.g. `LG` (LaporGub!).
    pub tracking_prefix: String,
    /// Refuse reports without a phone number or e-mail address.
    pub require_contact: bool,
    /// The address citizens reach the site at, for links in chat answers.
    pub public_url: Option<String>,
    /// How long reference data (SLA policy, holidays, categories, regions) read from the
    /// database is used before it is read again, so that a change made by another instance
    /// is seen within this time (`TANGGAP_REFERENCE_CACHE_SECS`; zero reads it every time).
    pub reference_cache: std::time::Duration,
    /// How alike, how near and how recent a report must be to be shown as a likely duplicate
    /// (`TANGGAP_DUPLICATE_WINDOW_DAYS`, `TANGGAP_DUPLICATE_DISTANCE_KM`).
    pub duplicates: tanggap_assist::DuplicateSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            tracking_prefix: "LG".into(),
            require_contact: false,
            public_url: None,
            reference_cache: std::time::Duration::from_secs(10),
            duplicates: tanggap_assist::DuplicateSettings::default(),
        }
    }
}

/// Everything a use case needs. The store is private: every read that needs a rule and every
/// write goes through a method here.
#[derive(Clone)]
pub struct Services {
    store: Arc<dyn Store>,
    clock: Arc<dyn Wallclock>,
    pub settings: Settings,
    reference: Arc<reference_cache::ReferenceCache>,
    assistant: Arc<assist::AssistantSlot>,
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

impl Services {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Wallclock>, settings: Settings) -> Self {
        Services {
            reference: Arc::new(reference_cache::ReferenceCache::new(
                settings.reference_cache,
            )),
            assistant: Arc::default(),
            store,
            clock,
            settings,
        }
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The policy in force and the working calendar in its time zone.
    pub async fn policy_and_calendar(&self) -> Result<(SlaPolicy, WorkingCalendar)> {
        let r = self.reference().await?;
        Ok((r.policy.clone(), r.calendar.clone()))
    }

    /// The policy's time zone (pages show times in it).
    pub async fn time_zone(&self) -> Result<chrono_tz::Tz> {
        Ok(self.reference().await?.calendar.tz())
    }

    /// The reference data, from memory while fresh (see [`reference_cache`]).
    pub(crate) async fn reference(&self) -> Result<Arc<reference_cache::Reference>> {
        let generation = match self.reference.get() {
            Ok(r) => return Ok(r),
            Err(generation) => generation,
        };
        let read_at = std::time::Instant::now();
        let policy = self.store.sla_policy().await?;
        let tz = policy
            .tz()
            .map_err(|e| ServiceError::Internal(format!("stored SLA policy: {e}")))?;
        let holidays = self.store.holidays().await?;
        let categories = self.store.categories().await?;
        let agencies = self.store.agencies().await?;
        let reference = Arc::new(reference_cache::Reference::new(
            policy,
            WorkingCalendar::new(tz, holidays.into_iter().map(|h| h.date)),
            categories,
            agencies,
        ));
        self.reference.put(read_at, generation, reference.clone());
        Ok(reference)
    }

    /// A region by code, from the reference copy when it has been looked up before.
    pub(crate) async fn known_region(&self, code: &str) -> Result<Option<tanggap_domain::Region>> {
        let r = self.reference().await?;
        if let Some(found) = r.known_region(code) {
            return Ok(found);
        }
        let found = self.store.region(code).await?;
        r.remember_region(code, found.clone());
        Ok(found)
    }

    /// Regions below a parent (`None`: the top level), ordered by name, from the reference copy
    /// when they have been listed before.
    pub(crate) async fn known_children(
        &self,
        parent: Option<&str>,
    ) -> Result<Arc<Vec<tanggap_domain::Region>>> {
        let r = self.reference().await?;
        if let Some(found) = r.known_children(parent) {
            return Ok(found);
        }
        let found = Arc::new(self.store.child_regions(parent).await?);
        r.remember_children(parent, found.clone());
        Ok(found)
    }

    /// Every agency with its head, from the reference copy.
    pub(crate) async fn known_agencies(&self) -> Result<Vec<tanggap_domain::Agency>> {
        Ok(self.reference().await?.agencies.clone())
    }

    /// Reference data changed through this process: stop using the cached copy.
    pub(crate) fn reference_changed(&self) {
        self.reference.invalidate();
    }

    pub async fn agency_tree(&self) -> Result<AgencyTree> {
        Ok(AgencyTree::from_agencies(&self.known_agencies().await?))
    }

    /// Which database this runs on (for logs and `tanggap migrate`).
    pub fn backend(&self) -> tanggap_store::Backend {
        self.store.backend()
    }

    /// The database answers (`/readyz`).
    pub async fn ping(&self) -> Result<()> {
        Ok(self.store.ping().await?)
    }

    /// How the store is doing now (`/metrics`, the admin page's health panel): counts and
    /// gauges only, nothing about any report or person.
    pub async fn operations(&self, caller: &Caller) -> Result<tanggap_store::Operations> {
        caller.require(Permission::ViewOperations)?;
        Ok(self.store.operations().await?)
    }

    /// Whether the reference data has been loaded (a fresh database has no regions).
    pub async fn has_reference_data(&self) -> Result<bool> {
        Ok(self.store.count_regions().await? > 0)
    }

    /// Walk the whole audit hash chain (`tanggap audit verify`).
    pub async fn verify_audit_chain(
        &self,
    ) -> std::result::Result<tanggap_domain::audit::ChainSummary, tanggap_store::VerifyError> {
        tanggap_store::verify_audit_chain(self.store.as_ref()).await
    }

    /// Load the shipped Central Java reference data (idempotent).
    pub async fn seed_reference_data(&self) -> Result<SeedCounts> {
        let j = reference::jateng().map_err(|e| ServiceError::Internal(e.to_string()))?;
        let now = self.now();
        let regions = self.store.import_regions(&j.regions, now).await?;
        let agencies = self
            .store
            .import_agencies(&j.agencies, "system", now)
            .await?;
        let categories = self
            .store
            .import_categories(&j.categories, "system", now)
            .await?;
        let holidays = self
            .store
            .import_holidays(&j.holidays, "system", now)
            .await?;
        self.reference_changed();
        Ok(SeedCounts {
            regions,
            agencies,
            categories,
            holidays,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedCounts {
    pub regions: u64,
    pub agencies: u64,
    pub categories: u64,
    pub holidays: u64,
}
