//! The storage boundary of Tanggap.
//!
//! [`Store`] speaks in domain operations (create a report, apply the events the workflow decided,
//! append to the audit trail), never in SQL or rows. Every change a method makes is written in one
//! transaction together with its audit events, so the trail and the data cannot drift apart.
//!
//! Two implementations exist, `tanggap-store-sqlite` and `tanggap-store-postgres`, each with its
//! own migrations and SQL. Both run [`conformance`] in CI.

mod error;
mod types;

pub mod conformance;

pub use error::{Result, StoreError};
pub use types::*;

use async_trait::async_trait;
use tanggap_domain::audit::{AuditEvent, ChainBreak, ChainSummary, ChainVerifier, NewAuditEvent};
use tanggap_domain::workflow::ReportView;
use tanggap_domain::{Agency, Category, Holiday, Region, SlaPolicy, TrackingId};

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// The database answers (for `/readyz`).
    async fn ping(&self) -> Result<()>;

    // ----- reference data -------------------------------------------------------------------

    /// Insert or update regions by code. Returns how many rows were written.
    async fn import_regions(&self, regions: &[Region]) -> Result<u64>;
    async fn region(&self, code: &str) -> Result<Option<Region>>;
    /// Children of a region (`None`: the top level), ordered by name.
    async fn child_regions(&self, parent_code: Option<&str>) -> Result<Vec<Region>>;
    async fn count_regions(&self) -> Result<u64>;

    /// Insert or update agencies by id, parents first. Audited as one event.
    async fn import_agencies(&self, agencies: &[Agency], actor: &str) -> Result<u64>;
    async fn agencies(&self) -> Result<Vec<Agency>>;
    async fn agency(&self, id: &str) -> Result<Option<Agency>>;
    /// Replace an agency's editable fields (name, head, parent, active). Audited with before/after.
    async fn update_agency(&self, agency: &Agency, actor: &str) -> Result<()>;

    async fn import_categories(&self, categories: &[Category], actor: &str) -> Result<u64>;
    async fn categories(&self) -> Result<Vec<Category>>;
    async fn update_category(&self, category: &Category, actor: &str) -> Result<()>;

    async fn import_holidays(&self, holidays: &[Holiday], actor: &str) -> Result<u64>;
    async fn holidays(&self) -> Result<Vec<Holiday>>;
    async fn put_holiday(&self, holiday: &Holiday, actor: &str) -> Result<()>;
    async fn delete_holiday(&self, date: chrono::NaiveDate, actor: &str) -> Result<bool>;

    /// The SLA policy in force: the stored one, else the `jateng` preset.
    async fn sla_policy(&self) -> Result<SlaPolicy>;
    async fn set_sla_policy(&self, policy: &SlaPolicy, actor: &str) -> Result<()>;

    // ----- users and sessions ---------------------------------------------------------------

    async fn create_user(&self, user: &NewUser, actor: &str) -> Result<User>;
    async fn user(&self, id: i64) -> Result<Option<User>>;
    /// The user and their password hash, for login.
    async fn user_credentials(&self, username: &str) -> Result<Option<(User, String)>>;
    async fn users(&self) -> Result<Vec<User>>;
    async fn update_user(&self, id: i64, patch: &UserPatch, actor: &str) -> Result<User>;

    /// Store a hashed API token for a user; returns its id.
    async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        actor: &str,
    ) -> Result<i64>;
    /// The active user owning an unrevoked token with this hash.
    async fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>>;
    async fn revoke_api_token(&self, token_id: i64, actor: &str) -> Result<bool>;

    async fn session_load(&self, id_hash: &str, now: Timestamp) -> Result<Option<SessionRecord>>;
    async fn session_save(&self, session: &SessionRecord) -> Result<()>;
    async fn session_delete(&self, id_hash: &str) -> Result<()>;

    // ----- reports --------------------------------------------------------------------------

    /// Create a report with its reporter (found by phone, e-mail or channel address, else new),
    /// clocks, attachments' metadata, first activity and audit events.
    /// A taken tracking ID gives [`StoreError::Conflict`]; the caller picks another.
    async fn create_report(&self, report: &NewReport) -> Result<CreatedReport>;
    async fn report(&self, id: i64) -> Result<Option<ReportRecord>>;
    async fn report_by_tracking_id(&self, tracking_id: &TrackingId)
    -> Result<Option<ReportRecord>>;
    /// The report's secret hash, for the reporter's link.
    async fn report_secret_hash(&self, id: i64) -> Result<Option<String>>;
    /// What the workflow needs to decide the next step.
    async fn report_view(&self, id: i64) -> Result<Option<ReportView>>;
    /// Persist events decided on `change.expected_version`. If the report has moved on since,
    /// nothing is written and [`StoreError::VersionConflict`] is returned.
    async fn apply_events(&self, change: &ReportChange) -> Result<Applied>;
    async fn list_reports(&self, filter: &ReportFilter) -> Result<Page<ReportRecord>>;
    async fn assignments(&self, report_id: i64) -> Result<Vec<AssignmentRecord>>;
    async fn activities(&self, report_id: i64) -> Result<Vec<ActivityRecord>>;
    async fn messages(&self, report_id: i64) -> Result<Vec<MessageRecord>>;
    async fn attachments(&self, report_id: i64) -> Result<Vec<AttachmentRecord>>;
    async fn attachment(&self, id: i64) -> Result<Option<AttachmentRecord>>;
    async fn count_reports(&self) -> Result<u64>;

    // ----- audit ----------------------------------------------------------------------------

    /// Append one event that is not part of another change (a login, an export).
    async fn append_audit(&self, event: NewAuditEvent, at: Timestamp) -> Result<AuditEvent>;
    /// Events with `seq > after`, in order, at most `limit`.
    async fn audit_page(&self, after: i64, limit: u32) -> Result<Vec<AuditEvent>>;
    /// The separately kept head of the chain: last seq and hash.
    async fn audit_head(&self) -> Result<Option<(i64, String)>>;
    async fn audit_for_object(&self, object_type: &str, object_id: &str)
    -> Result<Vec<AuditEvent>>;
}

/// Why `verify_audit_chain` failed.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Broken(#[from] ChainBreak),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Walk the whole audit chain page by page; the first broken event is named in the error.
pub async fn verify_audit_chain(store: &dyn Store) -> Result<ChainSummary, VerifyError> {
    let mut verifier = ChainVerifier::default();
    let mut after = 0;
    loop {
        let page = store.audit_page(after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for e in &page {
            verifier.feed(e)?;
        }
    }
    let head = store.audit_head().await?;
    Ok(verifier.finish(head.as_ref().map(|(s, h)| (*s, h.as_str())))?)
}
