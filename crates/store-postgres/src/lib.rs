//! Tanggap's store on PostgreSQL.
//!
//! PostgreSQL rules, written down once:
//! - Every change is one transaction (`pool.begin()` … `commit()`); there is no single writer
//!   task as on SQLite, and several `tanggap` processes may share one database.
//! - Audited changes serialize on the `audit_head` row, which they lock first (see
//!   `audit::begin`): the hash chain needs one order of events, and taking the lock first gives
//!   every write the same lock order and the read-then-write semantics of SQLite's single writer.
//!   Reads never take it.
//! - Default isolation (READ COMMITTED). Reads that must agree with each other (a report's
//!   workflow view) run in one REPEATABLE READ snapshot.
//! - Write transactions are short: a handful of statements, no network I/O inside.

mod assist;
mod audit;
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

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection};
use std::str::FromStr;
use std::time::Duration;
use tanggap_domain::audit::{AuditEvent, NewAuditEvent};
use tanggap_domain::workflow::ReportView;
use tanggap_domain::{Agency, Category, Holiday, Region, SlaPolicy, TrackingId};
use tanggap_store::*;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connections per process. Writes queue on the chain head anyway, so more connections would
/// mostly wait; ten leave room for reads while a few writes are in flight, and for several
/// processes within PostgreSQL's default limit of 100.
const MAX_CONNECTIONS: u32 = 10;

pub struct PgStore {
    pool: PgPool,
    /// New reports, group-committed ([`intake`]).
    intake: intake::Intake,
}

impl PgStore {
    /// Connect to `postgres://…` and bring the schema up to date.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(Self::parse_url(url)?).await
    }

    /// Like [`PgStore::connect`], for callers that build the options themselves (tests pick the
    /// database name this way).
    pub async fn connect_with(options: PgConnectOptions) -> Result<Self> {
        // No JIT: Tanggap's queries are short or read through indexes, and the planner's
        // cost estimates for the rakor reads (a partial index it cannot size) made PostgreSQL
        // spend 80 ms compiling a 40 ms scan (BENCHMARKS.md, the quarterly report).
        let options = options
            .log_statements(tracing::log::LevelFilter::Trace)
            .options([("jit", "off")]);
        // One plain connection first: an unreachable server or a wrong password then fails at
        // once with the server's own reason, instead of as a pool timeout.
        let probe = tokio::time::timeout(
            Duration::from_secs(10),
            PgConnection::connect_with(&options),
        )
        .await
        .map_err(|_| {
            StoreError::Backend("cannot connect to PostgreSQL: no answer within 10 s".into())
        })?
        .map_err(|e| StoreError::Backend(format!("cannot connect to PostgreSQL: {e}")))?;
        let _ = probe.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot connect to PostgreSQL: {e}")))?;
        // The migrator takes an advisory lock, so processes starting together migrate once.
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
        Ok(PgStore {
            intake: intake::Intake::spawn(pool.clone()),
            pool,
        })
    }

    /// Validate a URL without connecting (for configuration errors).
    pub fn check_url(url: &str) -> Result<()> {
        Self::parse_url(url).map(|_| ())
    }

    fn parse_url(url: &str) -> Result<PgConnectOptions> {
        PgConnectOptions::from_str(url).map_err(|e| StoreError::Invalid(e.to_string()))
    }

    /// Whether the database at `url` holds Tanggap's schema (a restored dump, a running
    /// installation) or is still empty, without creating anything: `tanggap restore` must not
    /// migrate an empty database that `pg_restore` is about to fill.
    pub async fn has_schema(url: &str) -> Result<bool> {
        let mut conn = PgConnection::connect_with(&Self::parse_url(url)?)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot connect to PostgreSQL: {e}")))?;
        let present: bool =
            sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                .fetch_one(&mut conn)
                .await
                .map_err(util::db_err)?;
        let _ = conn.close().await;
        Ok(present)
    }

    /// Close every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(util::db_err)?;
        Ok(())
    }

    async fn import_regions(&self, regions: &[Region], at: Timestamp) -> Result<u64> {
        reference::import_regions(&self.pool, regions, at).await
    }
    async fn region(&self, code: &str) -> Result<Option<Region>> {
        reference::region(&self.pool, code).await
    }
    async fn child_regions(&self, parent_code: Option<&str>) -> Result<Vec<Region>> {
        reference::child_regions(&self.pool, parent_code).await
    }
    async fn count_regions(&self) -> Result<u64> {
        reference::count(&self.pool, "regions").await
    }
    async fn import_agencies(
        &self,
        agencies: &[Agency],
        actor: &str,
        at: Timestamp,
    ) -> Result<u64> {
        reference::import_agencies(&self.pool, agencies, actor, at).await
    }
    async fn agencies(&self) -> Result<Vec<Agency>> {
        reference::agencies(&self.pool, None).await
    }
    async fn agency(&self, id: &str) -> Result<Option<Agency>> {
        Ok(reference::agencies(&self.pool, Some(id))
            .await?
            .into_iter()
            .next())
    }
    async fn update_agency(&self, agency: &Agency, actor: &str, at: Timestamp) -> Result<()> {
        reference::update_agency(&self.pool, agency, actor, at).await
    }
    async fn import_categories(
        &self,
        categories: &[Category],
        actor: &str,
        at: Timestamp,
    ) -> Result<u64> {
        reference::import_categories(&self.pool, categories, actor, at).await
    }
    async fn categories(&self) -> Result<Vec<Category>> {
        reference::categories(&self.pool).await
    }
    async fn update_category(&self, category: &Category, actor: &str, at: Timestamp) -> Result<()> {
        reference::update_category(&self.pool, category, actor, at).await
    }
    async fn import_holidays(
        &self,
        holidays: &[Holiday],
        actor: &str,
        at: Timestamp,
    ) -> Result<u64> {
        reference::import_holidays(&self.pool, holidays, actor, at).await
    }
    async fn holidays(&self) -> Result<Vec<Holiday>> {
        reference::holidays(&self.pool).await
    }
    async fn put_holiday(&self, holiday: &Holiday, actor: &str, at: Timestamp) -> Result<()> {
        reference::import_holidays(&self.pool, std::slice::from_ref(holiday), actor, at)
            .await
            .map(|_| ())
    }
    async fn delete_holiday(
        &self,
        date: chrono::NaiveDate,
        actor: &str,
        at: Timestamp,
    ) -> Result<bool> {
        reference::delete_holiday(&self.pool, date, actor, at).await
    }
    async fn sla_policy(&self) -> Result<SlaPolicy> {
        reference::sla_policy(&self.pool).await
    }
    async fn set_sla_policy(&self, policy: &SlaPolicy, actor: &str, at: Timestamp) -> Result<()> {
        reference::set_sla_policy(&self.pool, policy, actor, at).await
    }

    async fn create_user(&self, user: &NewUser, actor: &str) -> Result<User> {
        users::create_user(&self.pool, user, actor).await
    }
    async fn user(&self, id: i64) -> Result<Option<User>> {
        users::user(&self.pool, id).await
    }
    async fn user_credentials(&self, username: &str) -> Result<Option<(User, String)>> {
        users::user_credentials(&self.pool, username).await
    }
    async fn users(&self) -> Result<Vec<User>> {
        users::users(&self.pool).await
    }
    async fn update_user(
        &self,
        id: i64,
        patch: &UserPatch,
        actor: &str,
        at: Timestamp,
    ) -> Result<User> {
        users::update_user(&self.pool, id, patch, actor, at).await
    }
    async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<i64> {
        users::create_api_token(&self.pool, user_id, name, token_hash, actor, at).await
    }
    async fn create_open311_key(
        &self,
        name: &str,
        key_hash: &str,
        user_id: Option<i64>,
        actor: &str,
        at: Timestamp,
    ) -> Result<i64> {
        open311::create_key(&self.pool, name, key_hash, user_id, actor, at).await
    }

    async fn open311_keys(&self) -> Result<Vec<Open311Key>> {
        open311::keys(&self.pool).await
    }

    async fn open311_key_by_hash(&self, key_hash: &str) -> Result<Option<Open311Key>> {
        open311::key_by_hash(&self.pool, key_hash).await
    }

    async fn revoke_open311_key(&self, key_id: i64, actor: &str, at: Timestamp) -> Result<bool> {
        open311::revoke_key(&self.pool, key_id, actor, at).await
    }

    async fn report_by_open311_token(&self, token: &str) -> Result<Option<TrackingId>> {
        open311::report_by_token(&self.pool, token).await
    }

    async fn public_updates(
        &self,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> Result<Vec<(TrackingId, ActivityRecord)>> {
        open311::public_updates(&self.pool, from, to, limit).await
    }

    async fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>> {
        users::user_by_token_hash(&self.pool, token_hash).await
    }
    async fn revoke_api_token(&self, token_id: i64, actor: &str, at: Timestamp) -> Result<bool> {
        users::revoke_api_token(&self.pool, token_id, actor, at).await
    }
    async fn session_load(&self, id_hash: &str, now: Timestamp) -> Result<Option<SessionRecord>> {
        users::session_load(&self.pool, id_hash, now).await
    }
    async fn session_save(&self, session: &SessionRecord) -> Result<()> {
        users::session_save(&self.pool, session).await
    }
    async fn session_delete(&self, id_hash: &str) -> Result<()> {
        users::session_delete(&self.pool, id_hash).await
    }
    async fn purge_expired_sessions(&self, now: Timestamp) -> Result<u64> {
        users::purge_expired_sessions(&self.pool, now).await
    }
    async fn record_login(&self, user_id: i64, at: Timestamp) -> Result<()> {
        users::record_login(&self.pool, user_id, at).await
    }
    async fn record_login_failure(
        &self,
        user_id: i64,
        max_failures: u32,
        lock_until: Timestamp,
        at: Timestamp,
    ) -> Result<Option<Timestamp>> {
        users::record_login_failure(&self.pool, user_id, max_failures, lock_until, at).await
    }

    async fn create_report(&self, report: &NewReport) -> Result<CreatedReport> {
        self.intake.create(report).await
    }
    async fn idempotent_submission(&self, key_hash: &str) -> Result<Option<IdempotentSubmission>> {
        reports::idempotent_submission(&self.pool, key_hash).await
    }
    async fn purge_idempotency_keys(&self, before: Timestamp) -> Result<u64> {
        reports::purge_idempotency_keys(&self.pool, before).await
    }
    async fn report(&self, id: i64) -> Result<Option<ReportRecord>> {
        reports::report_where(&self.pool, "r.id = $1", reports::Key::Id(id)).await
    }
    async fn report_by_tracking_id(
        &self,
        tracking_id: &TrackingId,
    ) -> Result<Option<ReportRecord>> {
        reports::report_where(
            &self.pool,
            "r.tracking_id = $1",
            reports::Key::Text(tracking_id.to_string()),
        )
        .await
    }
    async fn report_secret_hash(&self, id: i64) -> Result<Option<String>> {
        reports::secret_hash(&self.pool, id).await
    }
    async fn replace_report_secret(
        &self,
        report_id: i64,
        secret_hash: &str,
        notification: &NewNotification,
        at: Timestamp,
    ) -> Result<bool> {
        reports::replace_report_secret(&self.pool, report_id, secret_hash, notification, at).await
    }
    /// Read in one snapshot: the workflow decides on this view and the store later checks only
    /// its version, so the row, assignments and clocks must not come from different moments.
    async fn report_view(&self, id: i64) -> Result<Option<ReportView>> {
        let mut tx = self.pool.begin().await.map_err(util::db_err)?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await
            .map_err(util::db_err)?;
        let view = reports::report_view(&mut tx, id).await?;
        tx.commit().await.map_err(util::db_err)?;
        Ok(view)
    }
    async fn open_clocks(&self, ids: &[i64]) -> Result<Vec<OpenClock>> {
        reports::open_clocks(&self.pool, ids).await
    }
    async fn apply_events(&self, change: &ReportChange) -> Result<Applied> {
        reports::apply_events(&self.pool, change).await
    }
    async fn list_reports(&self, filter: &ReportFilter) -> Result<Page<ReportRecord>> {
        reports::list_reports(&self.pool, filter).await
    }
    async fn report_counts(&self, filter: &ReportFilter) -> Result<Vec<ReportCount>> {
        reports::report_counts(&self.pool, filter).await
    }
    async fn assignments(&self, report_id: i64) -> Result<Vec<AssignmentRecord>> {
        reports::assignments(&self.pool, report_id).await
    }
    async fn activities(&self, report_id: i64) -> Result<Vec<ActivityRecord>> {
        reports::activities(&self.pool, report_id).await
    }
    async fn messages(&self, report_id: i64) -> Result<Vec<MessageRecord>> {
        reports::messages(&self.pool, report_id).await
    }
    async fn attachments(&self, report_id: i64) -> Result<Vec<AttachmentRecord>> {
        reports::attachments(&self.pool, "report_id = $1", reports::Key::Id(report_id)).await
    }
    async fn attachment(&self, id: i64) -> Result<Option<AttachmentRecord>> {
        Ok(
            reports::attachments(&self.pool, "id = $1", reports::Key::Id(id))
                .await?
                .into_iter()
                .next(),
        )
    }
    async fn attachment_by_key(&self, public_key: &str) -> Result<Option<AttachmentRecord>> {
        Ok(reports::attachments(
            &self.pool,
            "public_key = $1",
            reports::Key::Text(public_key.to_string()),
        )
        .await?
        .into_iter()
        .next())
    }
    async fn review_attachment(&self, review: &AttachmentReview) -> Result<AttachmentRecord> {
        reports::review_attachment(&self.pool, review).await
    }
    async fn copy_reports(&self, copies: &[ReportCopy]) -> Result<u64> {
        let templates = copy_templates(self, copies).await?;
        copies::copy_reports(&self.pool, copies, &templates).await
    }
    async fn count_reports(&self) -> Result<u64> {
        reference::count(&self.pool, "reports").await
    }
    async fn attachment_files(&self) -> Result<Vec<String>> {
        sqlx::query_scalar(tanggap_store::ATTACHMENT_FILES)
            .fetch_all(&self.pool)
            .await
            .map_err(util::db_err)
    }

    async fn reporter(&self, id: i64) -> Result<Option<ReporterRow>> {
        privacy::reporter(&self.pool, id).await
    }

    async fn correct_reporter(
        &self,
        id: i64,
        correction: &ReporterCorrection,
        actor: &str,
        at: Timestamp,
    ) -> Result<()> {
        privacy::correct_reporter(&self.pool, id, correction, actor, at).await
    }

    async fn forget_reporter(&self, plan: &ForgetPlan, at: Timestamp) -> Result<()> {
        privacy::forget_reporter(&self.pool, plan, at).await
    }

    async fn open_assignments(
        &self,
        agency_ids: Option<&[String]>,
        now: Timestamp,
        offset: u32,
        limit: u32,
    ) -> Result<QueueSlice> {
        dashboards::open_assignments(&self.pool, agency_ids, now, offset, limit).await
    }

    async fn obligations(
        &self,
        from: Timestamp,
        to: Timestamp,
        agency_ids: Option<&[String]>,
    ) -> Result<Vec<ObligationRecord>> {
        obligations::obligations(&self.pool, from, to, agency_ids).await
    }

    async fn compliance_counts(
        &self,
        from: Timestamp,
        to: Timestamp,
        agency_ids: Option<&[String]>,
        now: Timestamp,
    ) -> Result<ComplianceCounts> {
        obligations::compliance_counts(&self.pool, from, to, agency_ids, now).await
    }

    async fn lalai_obligations(
        &self,
        from: Timestamp,
        to: Timestamp,
        agency_ids: Option<&[String]>,
        now: Timestamp,
    ) -> Result<Vec<ObligationRecord>> {
        obligations::lalai_obligations(&self.pool, from, to, agency_ids, now).await
    }

    async fn report_obligations(&self, report_id: i64) -> Result<Vec<ObligationRecord>> {
        obligations::report_obligations(&self.pool, report_id).await
    }

    async fn assignment_facts(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<AssignmentFact>> {
        obligations::assignment_facts(&self.pool, from, to).await
    }

    async fn agency_heads(&self) -> Result<Vec<HeadRecord>> {
        reference::agency_heads(&self.pool).await
    }

    async fn reports_with_running_working_clocks(&self) -> Result<Vec<i64>> {
        sqlx::query_scalar(
            "SELECT DISTINCT report_id FROM clocks
             WHERE stopped_at IS NULL AND running_since IS NOT NULL AND measure = 'working' ORDER BY report_id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(util::db_err)
    }

    async fn count_obligations(&self) -> Result<u64> {
        reference::count(&self.pool, "obligations").await
    }

    async fn assignment_briefs(&self, assignment_ids: &[i64]) -> Result<Vec<AssignmentBrief>> {
        dashboards::assignment_briefs(&self.pool, assignment_ids).await
    }

    async fn insert_obligations(&self, rows: &[NewObligation], at: Timestamp) -> Result<u64> {
        obligations::insert_obligations(&self.pool, rows, at).await
    }

    async fn inbound_messages(&self, limit: u32) -> Result<Vec<InboxMessage>> {
        dashboards::inbound_messages(&self.pool, limit).await
    }

    async fn reporter_updates(&self, after: i64, limit: u32) -> Result<Vec<ReporterUpdate>> {
        reporter_updates::reporter_updates(&self.pool, after, limit).await
    }
    async fn job_cursor(&self, name: &str) -> Result<i64> {
        reporter_updates::job_cursor(&self.pool, name).await
    }
    async fn advance_job_cursor(
        &self,
        name: &str,
        from: i64,
        to: i64,
        notifications: &[NewNotification],
        at: Timestamp,
    ) -> Result<bool> {
        reporter_updates::advance_job_cursor(&self.pool, name, from, to, notifications, at).await
    }

    async fn put_connector(&self, connector: &Connector, actor: &str, at: Timestamp) -> Result<()> {
        connectors::put(&self.pool, connector, actor, at).await
    }
    async fn deactivate_connector(
        &self,
        agency_id: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<bool> {
        connectors::deactivate(&self.pool, agency_id, actor, at).await
    }
    async fn connectors(&self) -> Result<Vec<Connector>> {
        connectors::all(&self.pool).await
    }
    async fn connector(&self, agency_id: &str) -> Result<Option<Connector>> {
        connectors::one(&self.pool, agency_id).await
    }
    async fn advance_connector_cursor(
        &self,
        name: &str,
        from: i64,
        to: i64,
        sends: &[NewConnectorSend],
        at: Timestamp,
    ) -> Result<bool> {
        connectors::advance_cursor(&self.pool, name, from, to, sends, at).await
    }
    async fn claim_connector_sends(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<ConnectorSend>> {
        connectors::claim(&self.pool, now, lease_until, limit).await
    }
    async fn finish_connector_send(
        &self,
        id: i64,
        outcome: &SendOutcome,
        at: Timestamp,
    ) -> Result<()> {
        connectors::finish(&self.pool, id, outcome, at).await
    }
    async fn connector_sends(
        &self,
        agency_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ConnectorSendRecord>> {
        connectors::sends(&self.pool, agency_id, limit).await
    }
    async fn connector_link(&self, assignment_id: i64) -> Result<Option<ConnectorLink>> {
        connectors::link(&self.pool, assignment_id).await
    }
    async fn connector_link_by_token(&self, token: &str) -> Result<Option<ConnectorLink>> {
        connectors::link_by_token(&self.pool, token).await
    }
    async fn connector_link_by_remote(
        &self,
        agency_id: &str,
        remote_id: &str,
    ) -> Result<Option<ConnectorLink>> {
        connectors::link_by_remote(&self.pool, agency_id, remote_id).await
    }
    async fn open_connector_links(
        &self,
        agency_id: &str,
        limit: u32,
    ) -> Result<Vec<ConnectorLink>> {
        connectors::open_links(&self.pool, agency_id, limit).await
    }
    async fn remote_update_seen(&self, agency_id: &str, update_id: &str) -> Result<bool> {
        connectors::update_seen(&self.pool, agency_id, update_id).await
    }
    async fn record_remote_update(&self, update: &RemoteUpdateRecord) -> Result<bool> {
        connectors::record_update(&self.pool, update).await
    }
    async fn set_remote_update_outcome(
        &self,
        agency_id: &str,
        update_id: &str,
        outcome: &str,
    ) -> Result<()> {
        connectors::set_update_outcome(&self.pool, agency_id, update_id, outcome).await
    }
    async fn remote_updates(&self, assignment_id: i64) -> Result<Vec<RemoteUpdateRecord>> {
        connectors::updates(&self.pool, assignment_id).await
    }
    async fn connector_followed(
        &self,
        agency_id: &str,
        until: Option<Timestamp>,
        error: Option<&str>,
        at: Timestamp,
    ) -> Result<()> {
        connectors::followed(&self.pool, agency_id, until, error, at).await
    }

    async fn append_audit(&self, event: NewAuditEvent, at: Timestamp) -> Result<AuditEvent> {
        let mut tx = audit::begin(&self.pool).await?;
        let sealed = audit::append(&mut tx, event, at).await?;
        tx.commit().await.map_err(util::db_err)?;
        Ok(sealed)
    }
    async fn audit_page(&self, after: i64, limit: u32) -> Result<Vec<AuditEvent>> {
        audit::page(&self.pool, after, limit).await
    }
    async fn audit_head(&self) -> Result<Option<(i64, String)>> {
        audit::head(&self.pool).await
    }
    async fn audit_for_object(
        &self,
        object_type: &str,
        object_id: &str,
    ) -> Result<Vec<AuditEvent>> {
        audit::for_object(&self.pool, object_type, object_id).await
    }

    async fn claim_due_clocks(
        &self,
        now: Timestamp,
        limit: u32,
        lease: chrono::TimeDelta,
    ) -> Result<Vec<DueClock>> {
        scheduler::claim_due_clocks(&self.pool, now, limit, lease).await
    }
    async fn fire_clock(&self, firing: &ClockFiring) -> Result<bool> {
        scheduler::fire_clock(&self.pool, firing).await
    }
    async fn claim_notifications(
        &self,
        now: Timestamp,
        limit: u32,
        lease: chrono::TimeDelta,
    ) -> Result<Vec<Notification>> {
        scheduler::claim_notifications(&self.pool, now, limit, lease).await
    }
    async fn mark_notifications_sent(
        &self,
        at: Timestamp,
        sent: &[SentNotification],
    ) -> Result<()> {
        scheduler::mark_sent(&self.pool, at, sent).await
    }
    async fn operations(&self) -> Result<tanggap_store::Operations> {
        let mut ops = scheduler::operations(&self.pool).await?;
        ops.pool_size = self.pool.size();
        ops.pool_idle = u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX);
        ops.pool_max = self.pool.options().get_max_connections();
        ops.writer_queue = self.intake.queue_depth();
        Ok(ops)
    }
    async fn routing_history(&self, limit: u32) -> Result<Vec<RoutingExample>> {
        assist::routing_history(&self.pool, limit).await
    }
    async fn record_routing_choice(&self, choice: &RoutingChoice) -> Result<()> {
        assist::record_routing_choice(&self.pool, choice).await
    }
    async fn routing_accuracy(&self, since: Timestamp) -> Result<RoutingAccuracy> {
        assist::routing_accuracy(&self.pool, since).await
    }
    async fn routing_overrides(&self, limit: u32) -> Result<Vec<RoutingChoiceRecord>> {
        assist::routing_overrides(&self.pool, limit).await
    }
    async fn dead_notifications(&self, limit: u32) -> Result<Vec<Notification>> {
        scheduler::dead_notifications(&self.pool, limit).await
    }
    async fn retry_dead_notifications(&self, id: Option<i64>, at: Timestamp) -> Result<u64> {
        scheduler::retry_dead(&self.pool, id, at).await
    }
    async fn record_delivery(
        &self,
        channel: tanggap_domain::escalation::NotifyChannel,
        provider_message_id: &str,
        status: &str,
        at: Timestamp,
    ) -> Result<bool> {
        scheduler::record_delivery(&self.pool, channel, provider_message_id, status, at).await
    }
    async fn mark_notification_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()> {
        scheduler::mark_failed(&self.pool, id, error, retry_at).await
    }
    async fn notifications_for_user(&self, user_id: i64, limit: u32) -> Result<Vec<Notification>> {
        scheduler::notifications_for_user(&self.pool, user_id, limit).await
    }
    async fn unread_notifications(&self, user_id: i64, among: u32) -> Result<u64> {
        scheduler::unread_notifications(&self.pool, user_id, among).await
    }
    async fn mark_notification_read(&self, id: i64, user_id: i64, at: Timestamp) -> Result<bool> {
        scheduler::mark_read(&self.pool, id, user_id, at).await
    }
    async fn record_inbound(
        &self,
        channel: tanggap_domain::Channel,
        provider_id: &str,
        address: &str,
        payload: &str,
        at: Timestamp,
    ) -> Result<Option<i64>> {
        inbound::record_inbound(&self.pool, channel, provider_id, address, payload, at).await
    }

    async fn claim_inbound(
        &self,
        now: Timestamp,
        limit: u32,
        lease: chrono::TimeDelta,
    ) -> Result<Vec<InboundRecord>> {
        inbound::claim_inbound(&self.pool, now, limit, lease).await
    }

    async fn end_inbound(
        &self,
        id: i64,
        end: &InboundEnd,
        replies: &[NewNotification],
        at: Timestamp,
    ) -> Result<()> {
        inbound::end_inbound(&self.pool, id, end, replies, at).await
    }

    async fn reporter_by_address(
        &self,
        channel: tanggap_domain::Channel,
        address: &str,
    ) -> Result<Option<i64>> {
        inbound::reporter_by_address(&self.pool, channel, address).await
    }

    async fn report_by_inbound(&self, inbound_id: i64) -> Result<Option<i64>> {
        inbound::report_by_inbound(&self.pool, inbound_id).await
    }

    async fn chat_pending(
        &self,
        channel: tanggap_domain::Channel,
        address: &str,
    ) -> Result<Option<ChatPending>> {
        inbound::chat_pending(&self.pool, channel, address).await
    }

    async fn set_chat_pending(&self, pending: &ChatPending) -> Result<()> {
        inbound::set_chat_pending(&self.pool, pending).await
    }

    async fn clear_chat_pending(
        &self,
        channel: tanggap_domain::Channel,
        address: &str,
    ) -> Result<()> {
        inbound::clear_chat_pending(&self.pool, channel, address).await
    }

    async fn last_inbound_at(
        &self,
        channel: tanggap_domain::Channel,
        address: &str,
    ) -> Result<Option<Timestamp>> {
        inbound::last_inbound_at(&self.pool, channel, address).await
    }

    async fn notifications_for_report(&self, report_id: i64) -> Result<Vec<Notification>> {
        scheduler::notifications_for_report(&self.pool, report_id).await
    }
    async fn notifications_to_user(&self, user_id: i64, limit: u32) -> Result<Vec<Notification>> {
        scheduler::notifications_to_user(&self.pool, user_id, limit).await
    }
    async fn digest_items(&self, until: Timestamp) -> Result<Vec<DigestItem>> {
        scheduler::digest_items(&self.pool, until).await
    }
    async fn daily_job_last_date(&self, job: &str) -> Result<Option<chrono::NaiveDate>> {
        scheduler::daily_job_last_date(&self.pool, job).await
    }
    async fn complete_daily_job(
        &self,
        job: &str,
        date: chrono::NaiveDate,
        notifications: &[NewNotification],
        at: Timestamp,
    ) -> Result<bool> {
        scheduler::complete_daily_job(&self.pool, job, date, notifications, at).await
    }
    async fn negligent_assignments(
        &self,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<NegligentAssignment>> {
        scheduler::negligent_assignments(&self.pool, since, limit).await
    }
}

impl PgStore {
    /// `EXPLAIN` of the scheduler's claim at `now`, one line per plan node (for tests and
    /// `BENCHMARKS.md`). Runs in a transaction that is rolled back: EXPLAIN alone does not lease.
    pub async fn claim_query_plan(&self, now: Timestamp) -> Result<Vec<String>> {
        let mut tx = self.pool.begin().await.map_err(util::db_err)?;
        let lines: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN {}", scheduler::CLAIM_SQL))
            .bind(now)
            .bind(1000i64)
            .bind(now)
            .fetch_all(&mut *tx)
            .await
            .map_err(util::db_err)?;
        tx.rollback().await.map_err(util::db_err)?;
        Ok(lines)
    }
}

/// For tests and `tanggap audit verify` demonstrations: a plain connection to the same database,
/// outside the store and its rules.
pub async fn raw_connection(options: &PgConnectOptions) -> Result<PgConnection> {
    options.connect().await.map_err(util::db_err)
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgStore")
    }
}
