//! Tanggap's use cases: what the web layer, the scheduler and the CLI ask for, in domain terms.
//! Handlers stay thin because the work is here; the rules themselves are in `tanggap-domain`.

pub mod auth;
pub mod demo;
pub mod reference;
pub mod reports;

use chrono::{DurationRound, TimeDelta, Utc};
use std::sync::{Arc, Mutex};
use tanggap_domain::workflow::WorkflowError;
use tanggap_domain::{AgencyTree, SlaPolicy, Timestamp, WorkingCalendar};
use tanggap_store::{Store, StoreError};

pub use reports::{FieldError, ReportInput, ReporterInput, Submitted};

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
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            tracking_prefix: "LG".into(),
            require_contact: false,
        }
    }
}

/// Everything a use case needs.
#[derive(Clone)]
pub struct Services {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Wallclock>,
    pub settings: Settings,
}

/// Errors of the use cases, in terms a handler can turn into a response.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// 422: fields to fix.
    #[error("the request has fields to fix")]
    Validation(Vec<FieldError>),
    /// 403 / 404 / 409 / 422 by kind.
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    #[error("{0} not found")]
    NotFound(String),
    /// 409
    #[error("{0}")]
    Conflict(String),
    /// 422: a reference to something that does not exist.
    #[error("{0}")]
    Invalid(String),
    /// 500: logged, never shown.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ServiceError::NotFound(what),
            StoreError::Conflict(msg) => ServiceError::Conflict(msg),
            StoreError::Invalid(msg) => ServiceError::Invalid(msg),
            StoreError::VersionConflict => ServiceError::Conflict(
                "the report was changed by someone else at the same moment; please try again"
                    .into(),
            ),
            other @ StoreError::Backend(_) => ServiceError::Store(other),
        }
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

impl Services {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Wallclock>, settings: Settings) -> Self {
        Services {
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
        let policy = self.store.sla_policy().await?;
        let tz = policy
            .tz()
            .map_err(|e| ServiceError::Invalid(e.to_string()))?;
        let holidays = self.store.holidays().await?;
        Ok((
            policy,
            WorkingCalendar::new(tz, holidays.into_iter().map(|h| h.date)),
        ))
    }

    pub async fn agency_tree(&self) -> Result<AgencyTree> {
        Ok(AgencyTree::from_agencies(&self.store.agencies().await?))
    }

    /// Load the shipped Central Java reference data (idempotent).
    pub async fn seed_reference_data(&self) -> Result<SeedCounts> {
        let j = reference::jateng().map_err(|e| ServiceError::Invalid(e.to_string()))?;
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
