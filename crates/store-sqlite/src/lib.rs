//! Tanggap's store on an embedded SQLite file.
//!
//! SQLite rules, written down once:
//! - WAL journal, `synchronous=FULL` (an acknowledged change survives a power cut),
//!   `busy_timeout` 5 s, foreign keys on, `secure_delete` on (deleted content is zeroed; after
//!   a reporter is forgotten the write-ahead log is checkpointed and truncated).
//! - One writer: every change goes through [`writer::Writer`], which owns the only write
//!   connection and group-commits concurrent changes; reads use a separate pool of read-only
//!   connections and never wait for writes.
//! - Write transactions are short: each change is a handful of statements, no network I/O inside.

mod assist;
mod audit;
pub mod backup;
mod bulk;
mod connectors;
mod copies;
mod dashboards;
mod inbound;
mod intake;
mod obligations;
mod open311;
mod privacy;
mod reference;
mod reporter_updates;
mod reports;
mod scheduler;
mod users;
mod util;
mod writer;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;
use tanggap_domain::audit::{AuditEvent, NewAuditEvent};
use tanggap_domain::workflow::ReportView;
use tanggap_domain::{Agency, Category, Holiday, Region, SlaPolicy, TrackingId};
use tanggap_store::*;
use writer::Writer;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The statements that index the reports listed in `reports_fts_pending` for full-text search
/// and empty the list, in order: what the writer runs before each batch commits (migrations
/// 0016, 0019, 0025), for benchmarks and tools that write rows straight into the file.
pub const INDEX_PENDING: [&str; 4] = [
    reports::sql::INDEX_PENDING_REPORTS,
    reports::sql::INDEX_PENDING_DESK_REPORTS,
    reports::sql::INDEX_PENDING_OPEN_REPORTS,
    "DELETE FROM reports_fts_pending",
];

pub struct SqliteStore {
    path: std::path::PathBuf,
    read: SqlitePool,
    writer: Writer,
    bulk: std::sync::Arc<bulk::Bulk>,
}

/// How much of the file a reading connection maps into memory: all of it, however large. Pages
/// read through the map are the kernel's page cache itself; pages beyond it are read with
/// `pread` and copied into SQLite's own cache, which allocates for every page it holds (at a
/// million reports, a 1 GiB map left most of the desk's search index outside it: ~5% of a
/// search's time in `pread` and much of the ~11% in the allocator; BENCHMARKS.md). The map is
/// address space, not memory: its pages count as shared file pages, which the kernel can drop.
/// SQLite caps it at `SQLITE_MAX_MMAP_SIZE`, raised to match in `.cargo/config.toml`.
pub(crate) const MMAP_SIZE: i64 = 1 << 40;

fn options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true)
        .pragma("temp_store", "memory")
        // Deleted and overwritten content is zeroed on disk: a forgotten reporter's details must
        // not linger in free pages of the file.
        .pragma("secure_delete", "on")
        // Reads of a large file go through the page cache the kernel already holds rather than
        // being copied into each connection's own small cache (the quarterly report reads a
        // quarter's obligations and assignments).
        .pragma("mmap_size", MMAP_SIZE.to_string())
        .log_statements(tracing::log::LevelFilter::Trace)
}

impl SqliteStore {
    /// Open (creating if needed) the database file, run migrations, start the writer.
    pub async fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Backend(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let mut conn = SqliteConnection::connect_with(&options(path).create_if_missing(true))
            .await
            .map_err(|e| StoreError::Backend(format!("cannot open {}: {e}", path.display())))?;
        MIGRATOR
            .run_direct(&mut conn)
            .await
            .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
        // Table statistics for the query planner where they are missing or stale (limited work):
        // without them it cannot skip from agency to agency in a covering index.
        sqlx::query("PRAGMA optimize=0x10002")
            .execute(&mut conn)
            .await
            .map_err(util::db_err)?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .connect_with(options(path).read_only(true))
            .await
            .map_err(|e| StoreError::Backend(format!("cannot open {}: {e}", path.display())))?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            read,
            writer: Writer::spawn(conn, path.to_path_buf()),
            bulk: bulk::Bulk::new(path.to_path_buf()),
        })
    }

    /// Write what is queued, then close every connection to the file, so that it can be moved
    /// (`tanggap restore` opens a restored copy, checks it, closes it and moves it into place).
    /// Whether the write-ahead log is folded back depends on which connection closes last;
    /// `backup::settle` makes sure of it.
    pub async fn close(self) {
        self.read.close().await;
        self.writer.stop().await;
        self.bulk.close();
    }

    /// `sqlite://path` or a plain path.
    pub async fn open_url(url: &str) -> Result<Self> {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        Self::open(Path::new(path)).await
    }

    /// Validate a URL without opening it (for configuration errors).
    pub fn check_url(url: &str) -> Result<()> {
        SqliteConnectOptions::from_str(url)
            .map(|_| ())
            .map_err(|e| StoreError::Invalid(e.to_string()))
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map_err(util::db_err)?;
        self.writer.run(|_conn| Box::pin(async { Ok(()) })).await
    }

    async fn import_regions(&self, regions: &[Region], at: Timestamp) -> Result<u64> {
        reference::import_regions(&self.writer, regions.to_vec(), at).await
    }
    async fn region(&self, code: &str) -> Result<Option<Region>> {
        reference::region(&self.read, code).await
    }
    async fn child_regions(&self, parent_code: Option<&str>) -> Result<Vec<Region>> {
        reference::child_regions(&self.read, parent_code).await
    }
    async fn count_regions(&self) -> Result<u64> {
        reference::count(&self.read, "regions").await
    }
    async fn import_agencies(
        &self,
        agencies: &[Agency],
        actor: &str,
        at: Timestamp,
    ) -> Result<u64> {
        reference::import_agencies(&self.writer, agencies.to_vec(), actor.to_string(), at).await
    }
    async fn agencies(&self) -> Result<Vec<Agency>> {
        reference::agencies(&self.read, None).await
    }
    async fn agency(&self, id: &str) -> Result<Option<Agency>> {
        Ok(reference::agencies(&self.read, Some(id))
            .await?
            .into_iter()
            .next())
    }
    async fn update_agency(&self, agency: &Agency, actor: &str, at: Timestamp) -> Result<()> {
        reference::update_agency(&self.writer, agency.clone(), actor.to_string(), at).await
    }
    async fn import_categories(
        &self,
        categories: &[Category],
        actor: &str,
        at: Timestamp,
    ) -> Result<u64> {
        reference::import_categories(&self.writer, categories.to_vec(), actor.to_string(), at).await
    }
    async fn categories(&self) -> Result<Vec<Category>> {
        reference::categories(&self.read).await
    }
    async fn update_category(&self, category: &Category, actor: &str, at: Timestamp) -> Result<()> {
        reference::update_category(&self.writer, category.clone(), actor.to_string(), at).await
    }
    async fn import_holidays(
        &self,
        holidays: &[Holiday],
        actor: &str,
        at: Timestamp,
    ) -> Result<u64> {
        reference::import_holidays(&self.writer, holidays.to_vec(), actor.to_string(), at).await
    }
    async fn holidays(&self) -> Result<Vec<Holiday>> {
        reference::holidays(&self.read).await
    }
    async fn put_holiday(&self, holiday: &Holiday, actor: &str, at: Timestamp) -> Result<()> {
        reference::import_holidays(&self.writer, vec![holiday.clone()], actor.to_string(), at)
            .await
            .map(|_| ())
    }
    async fn delete_holiday(
        &self,
        date: chrono::NaiveDate,
        actor: &str,
        at: Timestamp,
    ) -> Result<bool> {
        reference::delete_holiday(&self.writer, date, actor.to_string(), at).await
    }
    async fn sla_policy(&self) -> Result<SlaPolicy> {
        reference::sla_policy(&self.read).await
    }
    async fn set_sla_policy(&self, policy: &SlaPolicy, actor: &str, at: Timestamp) -> Result<()> {
        reference::set_sla_policy(&self.writer, policy.clone(), actor.to_string(), at).await
    }

    async fn create_user(&self, user: &NewUser, actor: &str) -> Result<User> {
        users::create_user(&self.writer, user.clone(), actor.to_string()).await
    }
    async fn user(&self, id: i64) -> Result<Option<User>> {
        users::user(&self.read, id).await
    }
    async fn user_credentials(&self, username: &str) -> Result<Option<(User, String)>> {
        users::user_credentials(&self.read, username).await
    }
    async fn users(&self) -> Result<Vec<User>> {
        users::users(&self.read).await
    }
    async fn update_user(
        &self,
        id: i64,
        patch: &UserPatch,
        actor: &str,
        at: Timestamp,
    ) -> Result<User> {
        users::update_user(&self.writer, id, patch.clone(), actor.to_string(), at).await
    }
    async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<i64> {
        users::create_api_token(
            &self.writer,
            user_id,
            name.to_string(),
            token_hash.to_string(),
            actor.to_string(),
            at,
        )
        .await
    }
    async fn create_open311_key(
        &self,
        name: &str,
        key_hash: &str,
        user_id: Option<i64>,
        actor: &str,
        at: Timestamp,
    ) -> Result<i64> {
        open311::create_key(
            &self.writer,
            name.to_string(),
            key_hash.to_string(),
            user_id,
            actor.to_string(),
            at,
        )
        .await
    }

    async fn open311_keys(&self) -> Result<Vec<Open311Key>> {
        open311::keys(&self.read).await
    }

    async fn open311_key_by_hash(&self, key_hash: &str) -> Result<Option<Open311Key>> {
        open311::key_by_hash(&self.read, key_hash).await
    }

    async fn revoke_open311_key(&self, key_id: i64, actor: &str, at: Timestamp) -> Result<bool> {
        open311::revoke_key(&self.writer, key_id, actor.to_string(), at).await
    }

    async fn report_by_open311_token(&self, token: &str) -> Result<Option<TrackingId>> {
        open311::report_by_token(&self.read, token).await
    }

    async fn public_updates(
        &self,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> Result<Vec<(TrackingId, ActivityRecord)>> {
        open311::public_updates(&self.read, from, to, limit).await
    }

    async fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>> {
        users::user_by_token_hash(&self.read, token_hash).await
    }
    async fn revoke_api_token(&self, token_id: i64, actor: &str, at: Timestamp) -> Result<bool> {
        users::revoke_api_token(&self.writer, token_id, actor.to_string(), at).await
    }
    async fn session_load(&self, id_hash: &str, now: Timestamp) -> Result<Option<SessionRecord>> {
        users::session_load(&self.read, id_hash, now).await
    }
    async fn session_save(&self, session: &SessionRecord) -> Result<()> {
        users::session_save(&self.writer, session.clone()).await
    }
    async fn session_delete(&self, id_hash: &str) -> Result<()> {
        users::session_delete(&self.writer, id_hash.to_string()).await
    }
    async fn purge_expired_sessions(&self, now: Timestamp) -> Result<u64> {
        users::purge_expired_sessions(&self.writer, now).await
    }
    async fn record_login(&self, user_id: i64, at: Timestamp) -> Result<()> {
        users::record_login(&self.writer, user_id, at).await
    }
    async fn record_login_failure(
        &self,
        user_id: i64,
        max_failures: u32,
        lock_until: Timestamp,
        at: Timestamp,
    ) -> Result<Option<Timestamp>> {
        users::record_login_failure(&self.writer, user_id, max_failures, lock_until, at).await
    }

    async fn create_report(&self, report: &NewReport) -> Result<CreatedReport> {
        reports::create_report(&self.writer, report.clone()).await
    }
    async fn idempotent_submission(&self, key_hash: &str) -> Result<Option<IdempotentSubmission>> {
        reports::idempotent_submission(&self.read, key_hash).await
    }
    async fn purge_idempotency_keys(&self, before: Timestamp) -> Result<u64> {
        reports::purge_idempotency_keys(&self.writer, before).await
    }
    async fn report(&self, id: i64) -> Result<Option<ReportRecord>> {
        reports::report_where(&self.read, "r.id = ?", reports::Key::Id(id)).await
    }
    async fn report_by_tracking_id(
        &self,
        tracking_id: &TrackingId,
    ) -> Result<Option<ReportRecord>> {
        reports::report_where(
            &self.read,
            "r.tracking_id = ?",
            reports::Key::Text(tracking_id.to_string()),
        )
        .await
    }
    async fn report_secret_hash(&self, id: i64) -> Result<Option<String>> {
        reports::secret_hash(&self.read, id).await
    }
    async fn replace_report_secret(
        &self,
        report_id: i64,
        secret_hash: &str,
        notification: &NewNotification,
        at: Timestamp,
    ) -> Result<bool> {
        reports::replace_report_secret(
            &self.writer,
            report_id,
            secret_hash.to_string(),
            notification.clone(),
            at,
        )
        .await
    }
    async fn report_view(&self, id: i64) -> Result<Option<ReportView>> {
        let mut conn = self.read.acquire().await.map_err(util::db_err)?;
        reports::report_view(&mut conn, id).await
    }
    async fn open_clocks(&self, ids: &[i64]) -> Result<Vec<OpenClock>> {
        reports::open_clocks(&self.read, ids).await
    }
    async fn apply_events(&self, change: &ReportChange) -> Result<Applied> {
        reports::apply_events(&self.writer, change.clone()).await
    }
    async fn list_reports(&self, filter: &ReportFilter) -> Result<Page<ReportRecord>> {
        reports::list_reports(&self.read, filter).await
    }
    async fn report_counts(&self, filter: &ReportFilter) -> Result<Vec<ReportCount>> {
        reports::report_counts(&self.read, filter).await
    }
    async fn assignments(&self, report_id: i64) -> Result<Vec<AssignmentRecord>> {
        reports::assignments(&self.read, report_id).await
    }
    async fn activities(&self, report_id: i64) -> Result<Vec<ActivityRecord>> {
        reports::activities(&self.read, report_id).await
    }
    async fn messages(&self, report_id: i64) -> Result<Vec<MessageRecord>> {
        reports::messages(&self.read, report_id).await
    }
    async fn attachments(&self, report_id: i64) -> Result<Vec<AttachmentRecord>> {
        reports::attachments(&self.read, "report_id = ?", reports::Key::Id(report_id)).await
    }
    async fn attachment(&self, id: i64) -> Result<Option<AttachmentRecord>> {
        Ok(
            reports::attachments(&self.read, "id = ?", reports::Key::Id(id))
                .await?
                .into_iter()
                .next(),
        )
    }
    async fn attachment_by_key(&self, public_key: &str) -> Result<Option<AttachmentRecord>> {
        Ok(reports::attachments(
            &self.read,
            "public_key = ?",
            reports::Key::Text(public_key.to_string()),
        )
        .await?
        .into_iter()
        .next())
    }
    async fn review_attachment(&self, review: &AttachmentReview) -> Result<AttachmentRecord> {
        reports::review_attachment(&self.writer, review.clone()).await
    }
    async fn copy_reports(&self, copies: &[ReportCopy]) -> Result<u64> {
        let templates = copy_templates(self, copies).await?;
        copies::copy_reports(&self.writer, copies.to_vec(), templates).await
    }
    async fn count_reports(&self) -> Result<u64> {
        reference::count(&self.read, "reports").await
    }
    async fn attachment_files(&self) -> Result<Vec<String>> {
        sqlx::query_scalar(tanggap_store::ATTACHMENT_FILES)
            .fetch_all(&self.read)
            .await
            .map_err(util::db_err)
    }

    async fn reporter(&self, id: i64) -> Result<Option<ReporterRow>> {
        privacy::reporter(&self.read, id).await
    }

    async fn correct_reporter(
        &self,
        id: i64,
        correction: &ReporterCorrection,
        actor: &str,
        at: Timestamp,
    ) -> Result<()> {
        privacy::correct_reporter(&self.writer, id, correction.clone(), actor.into(), at).await
    }

    async fn forget_reporter(&self, plan: &ForgetPlan, at: Timestamp) -> Result<()> {
        privacy::forget_reporter(&self.writer, plan.clone(), at).await?;
        // The write-ahead log still holds the pages as they were before: copy the new pages
        // into the file and empty the log, so the old details are nowhere on disk.
        let mut conn = raw_connection(&self.path).await?;
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&mut conn)
            .await
            .map_err(util::db_err)?;
        if busy != 0 {
            tracing::warn!(
                "after forgetting a reporter the write-ahead log could not be emptied (busy); \
                 it is emptied at the next checkpoint"
            );
        }
        Ok(())
    }

    async fn open_assignments(
        &self,
        agency_ids: Option<&[String]>,
        now: Timestamp,
        offset: u32,
        limit: u32,
    ) -> Result<QueueSlice> {
        dashboards::open_assignments(&self.read, agency_ids, now, offset, limit).await
    }

    async fn obligations(
        &self,
        from: Timestamp,
        to: Timestamp,
        agency_ids: Option<&[String]>,
    ) -> Result<Vec<ObligationRecord>> {
        obligations::obligations(&self.read, from, to, agency_ids).await
    }

    async fn compliance_counts(
        &self,
        from: Timestamp,
        to: Timestamp,
        agency_ids: Option<&[String]>,
        now: Timestamp,
    ) -> Result<ComplianceCounts> {
        obligations::compliance_counts(&self.read, from, to, agency_ids, now).await
    }

    async fn lalai_obligations(
        &self,
        from: Timestamp,
        to: Timestamp,
        agency_ids: Option<&[String]>,
        now: Timestamp,
    ) -> Result<Vec<ObligationRecord>> {
        obligations::lalai_obligations(&self.bulk, from, to, agency_ids, now).await
    }

    async fn report_obligations(&self, report_id: i64) -> Result<Vec<ObligationRecord>> {
        obligations::report_obligations(&self.read, report_id).await
    }

    async fn assignment_facts(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<AssignmentFact>> {
        obligations::assignment_facts(&self.read, from, to).await
    }

    async fn agency_heads(&self) -> Result<Vec<HeadRecord>> {
        reference::agency_heads(&self.read).await
    }

    async fn reports_with_running_working_clocks(&self) -> Result<Vec<i64>> {
        sqlx::query_scalar(
            "SELECT DISTINCT report_id FROM clocks
             WHERE stopped_at IS NULL AND running_since IS NOT NULL AND measure = 'working' ORDER BY report_id",
        )
        .fetch_all(&self.read)
        .await
        .map_err(util::db_err)
    }

    async fn count_obligations(&self) -> Result<u64> {
        reference::count(&self.read, "obligations").await
    }

    async fn assignment_briefs(&self, assignment_ids: &[i64]) -> Result<Vec<AssignmentBrief>> {
        dashboards::assignment_briefs(&self.read, assignment_ids).await
    }

    async fn insert_obligations(&self, rows: &[NewObligation], at: Timestamp) -> Result<u64> {
        obligations::insert_obligations(&self.writer, rows.to_vec(), at).await
    }

    async fn inbound_messages(&self, limit: u32) -> Result<Vec<InboxMessage>> {
        dashboards::inbound_messages(&self.read, limit).await
    }

    async fn reporter_updates(&self, after: i64, limit: u32) -> Result<Vec<ReporterUpdate>> {
        reporter_updates::reporter_updates(&self.read, after, limit).await
    }
    async fn job_cursor(&self, name: &str) -> Result<i64> {
        reporter_updates::job_cursor(&self.read, name).await
    }
    async fn advance_job_cursor(
        &self,
        name: &str,
        from: i64,
        to: i64,
        notifications: &[NewNotification],
        at: Timestamp,
    ) -> Result<bool> {
        reporter_updates::advance_job_cursor(
            &self.writer,
            name.to_string(),
            from,
            to,
            notifications.to_vec(),
            at,
        )
        .await
    }

    async fn put_connector(&self, connector: &Connector, actor: &str, at: Timestamp) -> Result<()> {
        connectors::put(&self.writer, connector.clone(), actor.to_string(), at).await
    }
    async fn deactivate_connector(
        &self,
        agency_id: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<bool> {
        connectors::deactivate(&self.writer, agency_id.to_string(), actor.to_string(), at).await
    }
    async fn connectors(&self) -> Result<Vec<Connector>> {
        connectors::all(&self.read).await
    }
    async fn connector(&self, agency_id: &str) -> Result<Option<Connector>> {
        connectors::one(&self.read, agency_id).await
    }
    async fn advance_connector_cursor(
        &self,
        name: &str,
        from: i64,
        to: i64,
        sends: &[NewConnectorSend],
        at: Timestamp,
    ) -> Result<bool> {
        connectors::advance_cursor(&self.writer, name.to_string(), from, to, sends.to_vec(), at)
            .await
    }
    async fn claim_connector_sends(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<ConnectorSend>> {
        connectors::claim(&self.writer, now, lease_until, limit).await
    }
    async fn finish_connector_send(
        &self,
        id: i64,
        outcome: &SendOutcome,
        at: Timestamp,
    ) -> Result<()> {
        connectors::finish(&self.writer, id, outcome.clone(), at).await
    }
    async fn connector_sends(
        &self,
        agency_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ConnectorSendRecord>> {
        connectors::sends(&self.read, agency_id, limit).await
    }
    async fn connector_link(&self, assignment_id: i64) -> Result<Option<ConnectorLink>> {
        connectors::link(&self.read, assignment_id).await
    }
    async fn connector_link_by_token(&self, token: &str) -> Result<Option<ConnectorLink>> {
        connectors::link_by_token(&self.read, token).await
    }
    async fn connector_link_by_remote(
        &self,
        agency_id: &str,
        remote_id: &str,
    ) -> Result<Option<ConnectorLink>> {
        connectors::link_by_remote(&self.read, agency_id, remote_id).await
    }
    async fn open_connector_links(
        &self,
        agency_id: &str,
        limit: u32,
    ) -> Result<Vec<ConnectorLink>> {
        connectors::open_links(&self.read, agency_id, limit).await
    }
    async fn remote_update_seen(&self, agency_id: &str, update_id: &str) -> Result<bool> {
        connectors::update_seen(&self.read, agency_id, update_id).await
    }
    async fn record_remote_update(&self, update: &RemoteUpdateRecord) -> Result<bool> {
        connectors::record_update(&self.writer, update.clone()).await
    }
    async fn set_remote_update_outcome(
        &self,
        agency_id: &str,
        update_id: &str,
        outcome: &str,
    ) -> Result<()> {
        connectors::set_update_outcome(
            &self.writer,
            agency_id.to_string(),
            update_id.to_string(),
            outcome.to_string(),
        )
        .await
    }
    async fn remote_updates(&self, assignment_id: i64) -> Result<Vec<RemoteUpdateRecord>> {
        connectors::updates(&self.read, assignment_id).await
    }
    async fn connector_followed(
        &self,
        agency_id: &str,
        until: Option<Timestamp>,
        error: Option<&str>,
        at: Timestamp,
    ) -> Result<()> {
        connectors::followed(
            &self.writer,
            agency_id.to_string(),
            until,
            error.map(str::to_string),
            at,
        )
        .await
    }

    async fn append_audit(&self, event: NewAuditEvent, at: Timestamp) -> Result<AuditEvent> {
        self.writer
            .run(move |conn| Box::pin(async move { audit::append(conn, event, at).await }))
            .await
    }
    async fn audit_page(&self, after: i64, limit: u32) -> Result<Vec<AuditEvent>> {
        audit::page(&self.read, after, limit).await
    }
    async fn audit_head(&self) -> Result<Option<(i64, String)>> {
        audit::head(&self.read).await
    }
    async fn audit_for_object(
        &self,
        object_type: &str,
        object_id: &str,
    ) -> Result<Vec<AuditEvent>> {
        audit::for_object(&self.read, object_type, object_id).await
    }

    async fn claim_due_clocks(
        &self,
        now: Timestamp,
        limit: u32,
        lease: chrono::TimeDelta,
    ) -> Result<Vec<DueClock>> {
        scheduler::claim_due_clocks(&self.writer, now, limit, lease).await
    }
    async fn fire_clock(&self, firing: &ClockFiring) -> Result<bool> {
        scheduler::fire_clock(&self.writer, firing.clone()).await
    }
    async fn claim_notifications(
        &self,
        now: Timestamp,
        limit: u32,
        lease: chrono::TimeDelta,
    ) -> Result<Vec<Notification>> {
        scheduler::claim_notifications(&self.writer, now, limit, lease).await
    }
    async fn mark_notifications_sent(
        &self,
        at: Timestamp,
        sent: &[SentNotification],
    ) -> Result<()> {
        scheduler::mark_sent(&self.writer, at, sent.to_vec()).await
    }
    async fn operations(&self) -> Result<tanggap_store::Operations> {
        let mut ops = scheduler::operations(&self.read).await?;
        ops.pool_size = self.read.size();
        ops.pool_idle = u32::try_from(self.read.num_idle()).unwrap_or(u32::MAX);
        ops.pool_max = self.read.options().get_max_connections();
        ops.writer_queue = self.writer.queue_depth();
        Ok(ops)
    }
    async fn routing_history(&self, limit: u32) -> Result<Vec<RoutingExample>> {
        assist::routing_history(&self.read, limit).await
    }
    async fn record_routing_choice(&self, choice: &RoutingChoice) -> Result<()> {
        assist::record_routing_choice(&self.writer, choice).await
    }
    async fn routing_accuracy(&self, since: Timestamp) -> Result<RoutingAccuracy> {
        assist::routing_accuracy(&self.read, since).await
    }
    async fn routing_overrides(&self, limit: u32) -> Result<Vec<RoutingChoiceRecord>> {
        assist::routing_overrides(&self.read, limit).await
    }
    async fn dead_notifications(&self, limit: u32) -> Result<Vec<Notification>> {
        scheduler::dead_notifications(&self.read, limit).await
    }
    async fn retry_dead_notifications(&self, id: Option<i64>, at: Timestamp) -> Result<u64> {
        scheduler::retry_dead(&self.writer, id, at).await
    }
    async fn record_delivery(
        &self,
        channel: tanggap_domain::escalation::NotifyChannel,
        provider_message_id: &str,
        status: &str,
        at: Timestamp,
    ) -> Result<bool> {
        scheduler::record_delivery(
            &self.writer,
            channel,
            provider_message_id.to_string(),
            status.to_string(),
            at,
        )
        .await
    }
    async fn mark_notification_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()> {
        scheduler::mark_failed(&self.writer, id, error.to_string(), retry_at).await
    }
    async fn notifications_for_user(&self, user_id: i64, limit: u32) -> Result<Vec<Notification>> {
        scheduler::notifications_for_user(&self.read, user_id, limit).await
    }
    async fn unread_notifications(&self, user_id: i64, among: u32) -> Result<u64> {
        scheduler::unread_notifications(&self.read, user_id, among).await
    }
    async fn mark_notification_read(&self, id: i64, user_id: i64, at: Timestamp) -> Result<bool> {
        scheduler::mark_read(&self.writer, id, user_id, at).await
    }
    async fn record_inbound(
        &self,
        channel: tanggap_domain::Channel,
        provider_id: &str,
        address: &str,
        payload: &str,
        at: Timestamp,
    ) -> Result<Option<i64>> {
        inbound::record_inbound(
            &self.writer,
            channel,
            provider_id.into(),
            address.into(),
            payload.into(),
            at,
        )
        .await
    }

    async fn claim_inbound(
        &self,
        now: Timestamp,
        limit: u32,
        lease: chrono::TimeDelta,
    ) -> Result<Vec<InboundRecord>> {
        inbound::claim_inbound(&self.writer, now, limit, lease).await
    }

    async fn end_inbound(
        &self,
        id: i64,
        end: &InboundEnd,
        replies: &[NewNotification],
        at: Timestamp,
    ) -> Result<()> {
        inbound::end_inbound(&self.writer, id, end.clone(), replies.to_vec(), at).await
    }

    async fn reporter_by_address(
        &self,
        channel: tanggap_domain::Channel,
        address: &str,
    ) -> Result<Option<i64>> {
        inbound::reporter_by_address(&self.read, channel, address).await
    }

    async fn report_by_inbound(&self, inbound_id: i64) -> Result<Option<i64>> {
        inbound::report_by_inbound(&self.read, inbound_id).await
    }

    async fn chat_pending(
        &self,
        channel: tanggap_domain::Channel,
        address: &str,
    ) -> Result<Option<ChatPending>> {
        inbound::chat_pending(&self.read, channel, address).await
    }

    async fn set_chat_pending(&self, pending: &ChatPending) -> Result<()> {
        inbound::set_chat_pending(&self.writer, pending.clone()).await
    }

    async fn clear_chat_pending(
        &self,
        channel: tanggap_domain::Channel,
        address: &str,
    ) -> Result<()> {
        inbound::clear_chat_pending(&self.writer, channel, address.into()).await
    }

    async fn last_inbound_at(
        &self,
        channel: tanggap_domain::Channel,
        address: &str,
    ) -> Result<Option<Timestamp>> {
        inbound::last_inbound_at(&self.read, channel, address).await
    }

    async fn notifications_for_report(&self, report_id: i64) -> Result<Vec<Notification>> {
        scheduler::notifications_for_report(&self.read, report_id).await
    }
    async fn notifications_to_user(&self, user_id: i64, limit: u32) -> Result<Vec<Notification>> {
        scheduler::notifications_to_user(&self.read, user_id, limit).await
    }
    async fn digest_items(&self, until: Timestamp) -> Result<Vec<DigestItem>> {
        scheduler::digest_items(&self.read, until).await
    }
    async fn daily_job_last_date(&self, job: &str) -> Result<Option<chrono::NaiveDate>> {
        scheduler::daily_job_last_date(&self.read, job).await
    }
    async fn complete_daily_job(
        &self,
        job: &str,
        date: chrono::NaiveDate,
        notifications: &[NewNotification],
        at: Timestamp,
    ) -> Result<bool> {
        scheduler::complete_daily_job(
            &self.writer,
            job.to_string(),
            date,
            notifications.to_vec(),
            at,
        )
        .await
    }
    async fn negligent_assignments(
        &self,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<NegligentAssignment>> {
        scheduler::negligent_assignments(&self.read, since, limit).await
    }
}

/// The query plan of the scheduler's claim, one line per step (for tests and `BENCHMARKS.md`).
pub async fn claim_query_plan(path: &Path) -> Result<Vec<String>> {
    let mut conn = raw_connection(path).await?;
    let rows: Vec<(i64, i64, i64, String)> =
        sqlx::query_as(&format!("EXPLAIN QUERY PLAN {}", scheduler::CLAIM_SQL))
            .bind(0i64)
            .bind(1i64)
            .fetch_all(&mut conn)
            .await
            .map_err(util::db_err)?;
    Ok(rows.into_iter().map(|r| r.3).collect())
}

/// For tests and `tanggap audit verify` demonstrations: a raw connection to the same file.
pub async fn raw_connection(path: &Path) -> Result<SqliteConnection> {
    SqliteConnection::connect_with(&options(path))
        .await
        .map_err(util::db_err)
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}
