//! The storage boundary of Tanggap.
//!
//! [`Store`] speaks in domain operations (create a report, apply the events the workflow decided,
//! append to the audit trail), never in SQL or rows. Every change a method makes is written in one
//! transaction together with its audit events, so the trail and the data cannot drift apart.
//!
//! Two implementations exist, `tanggap-store-sqlite` and `tanggap-store-postgres`, each with its
//! own migrations and SQL. Both run the conformance suite (module `conformance`, compiled only
//! with the `conformance` feature, which the backends enable for their tests) in CI.
//!
//! What a workflow event writes besides its own row changes (timeline entry and its audience,
//! conversation message, audit record) is decided once, in [`effects`], and both backends write
//! exactly that. What audit records may hold about people and what they wrote is decided once,
//! in [`redact`].

mod assist;
mod connectors;
mod copies;
mod error;
mod inbound;
mod scheduler;
mod types;

#[cfg(feature = "conformance")]
pub mod conformance;
pub mod effects;
pub mod outbox;
pub mod redact;
pub mod tally;

pub use assist::*;
pub use connectors::*;
pub use copies::*;
pub use error::{Result, StoreError};
pub use inbound::*;
pub use scheduler::*;
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

/// The storage keys of every file the database names ([`Store::attachment_files`]): the same
/// SQL on both engines, also read from a SQLite backup's snapshot file.
pub const ATTACHMENT_FILES: &str = "SELECT storage_key FROM attachments \
     UNION SELECT copy_storage_key FROM attachments WHERE copy_storage_key IS NOT NULL \
     ORDER BY 1";

#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// The database answers (for `/readyz`).
    async fn ping(&self) -> Result<()>;

    // ----- reference data -------------------------------------------------------------------
    //
    // Here and under users, a change is stamped and audited with the `at` it is given (the use
    // case's clock): stores never read the system clock.

    /// Insert or update regions by code. Returns how many rows were written.
    async fn import_regions(&self, regions: &[Region], at: Timestamp) -> Result<u64>;
    async fn region(&self, code: &str) -> Result<Option<Region>>;
    /// Children of a region (`None`: the top level), ordered by name.
    async fn child_regions(&self, parent_code: Option<&str>) -> Result<Vec<Region>>;
    async fn count_regions(&self) -> Result<u64>;

    /// Insert or update agencies by id, parents first. Audited as one event.
    async fn import_agencies(&self, agencies: &[Agency], actor: &str, at: Timestamp)
    -> Result<u64>;
    async fn agencies(&self) -> Result<Vec<Agency>>;
    async fn agency(&self, id: &str) -> Result<Option<Agency>>;
    /// Every head every agency has had, oldest first.
    async fn agency_heads(&self) -> Result<Vec<HeadRecord>>;
    /// Replace an agency's editable fields (name, head, parent, active). Audited with before/after.
    /// A new head's name or position starts a new entry of the heads' history, from `at`.
    async fn update_agency(&self, agency: &Agency, actor: &str, at: Timestamp) -> Result<()>;

    async fn import_categories(
        &self,
        categories: &[Category],
        actor: &str,
        at: Timestamp,
    ) -> Result<u64>;
    async fn categories(&self) -> Result<Vec<Category>>;
    async fn update_category(&self, category: &Category, actor: &str, at: Timestamp) -> Result<()>;

    async fn import_holidays(
        &self,
        holidays: &[Holiday],
        actor: &str,
        at: Timestamp,
    ) -> Result<u64>;
    async fn holidays(&self) -> Result<Vec<Holiday>>;
    async fn put_holiday(&self, holiday: &Holiday, actor: &str, at: Timestamp) -> Result<()>;
    async fn delete_holiday(
        &self,
        date: chrono::NaiveDate,
        actor: &str,
        at: Timestamp,
    ) -> Result<bool>;

    /// The SLA policy in force: the stored one, else the `jateng` preset.
    async fn sla_policy(&self) -> Result<SlaPolicy>;
    async fn set_sla_policy(&self, policy: &SlaPolicy, actor: &str, at: Timestamp) -> Result<()>;

    // ----- users and sessions ---------------------------------------------------------------

    async fn create_user(&self, user: &NewUser, actor: &str) -> Result<User>;
    async fn user(&self, id: i64) -> Result<Option<User>>;
    /// The user and their password hash, for login.
    async fn user_credentials(&self, username: &str) -> Result<Option<(User, String)>>;
    async fn users(&self) -> Result<Vec<User>>;
    /// Change a user, audited with before and after (never the password hash). With
    /// `patch.end_credentials`, the user's sessions are deleted, their API tokens revoked and
    /// their session epoch moved on in the same transaction (audited as
    /// `user.credentials_ended`, with how many of each).
    async fn update_user(
        &self,
        id: i64,
        patch: &UserPatch,
        actor: &str,
        at: Timestamp,
    ) -> Result<User>;

    /// Store a hashed API token for a user; returns its id.
    async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<i64>;
    /// The active user owning an unrevoked token with this hash.
    async fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>>;
    async fn revoke_api_token(&self, token_id: i64, actor: &str, at: Timestamp) -> Result<bool>;

    /// Store an Open311 key's hash (audited `open311_key.created`); returns its id.
    async fn create_open311_key(
        &self,
        name: &str,
        key_hash: &str,
        user_id: Option<i64>,
        actor: &str,
        at: Timestamp,
    ) -> Result<i64>;
    /// Every Open311 key, revoked ones too, oldest first.
    async fn open311_keys(&self) -> Result<Vec<Open311Key>>;
    /// The unrevoked key with this hash.
    async fn open311_key_by_hash(&self, key_hash: &str) -> Result<Option<Open311Key>>;
    /// Revoke a key (audited `open311_key.revoked`); false if there is no such unrevoked key.
    async fn revoke_open311_key(&self, key_id: i64, actor: &str, at: Timestamp) -> Result<bool>;
    /// The report an Open311 client's token stands for.
    async fn report_by_open311_token(&self, token: &str) -> Result<Option<TrackingId>>;
    /// Public timeline entries (audience `public`) written in `[from, to)` on reports the public
    /// list shows (not confidential, verified, not archived or merged), oldest first, with
    /// their reports' tracking IDs: the Open311 update feed.
    async fn public_updates(
        &self,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> Result<Vec<(TrackingId, ActivityRecord)>>;

    /// A successful password login: the count of failures is reset, a lock cleared, and the
    /// login audited (`user.login`), in one transaction.
    async fn record_login(&self, user_id: i64, at: Timestamp) -> Result<()>;
    /// A wrong password for an existing account: count it. The failure that makes
    /// `max_failures` in a row locks the account until `lock_until`, resets the count and is
    /// audited (`user.locked`); the lock is returned then, `None` otherwise.
    async fn record_login_failure(
        &self,
        user_id: i64,
        max_failures: u32,
        lock_until: Timestamp,
        at: Timestamp,
    ) -> Result<Option<Timestamp>>;

    async fn session_load(&self, id_hash: &str, now: Timestamp) -> Result<Option<SessionRecord>>;
    async fn session_save(&self, session: &SessionRecord) -> Result<()>;
    async fn session_delete(&self, id_hash: &str) -> Result<()>;
    /// Delete every session that expired at or before `now`; returns how many.
    async fn purge_expired_sessions(&self, now: Timestamp) -> Result<u64>;

    // ----- reports --------------------------------------------------------------------------

    /// Create a report with its reporter (found by phone, e-mail or channel address, else new),
    /// clocks, attachments' metadata, first activity and audit events.
    /// A taken tracking ID gives [`StoreError::Conflict`]; the caller picks another.
    async fn create_report(&self, report: &NewReport) -> Result<CreatedReport>;
    /// The report stored with this idempotency key hash, if any.
    async fn idempotent_submission(&self, key_hash: &str) -> Result<Option<IdempotentSubmission>>;
    /// Forget idempotency keys stored before `before`. Returns how many.
    async fn purge_idempotency_keys(&self, before: Timestamp) -> Result<u64>;
    async fn report(&self, id: i64) -> Result<Option<ReportRecord>>;
    async fn report_by_tracking_id(&self, tracking_id: &TrackingId)
    -> Result<Option<ReportRecord>>;
    /// The report's secret hash, for the reporter's link.
    async fn report_secret_hash(&self, id: i64) -> Result<Option<String>>;
    /// Give the report a new secret (the old link stops working) and enqueue the message that
    /// carries the new link, in one transaction. `false`: no such report.
    async fn replace_report_secret(
        &self,
        report_id: i64,
        secret_hash: &str,
        notification: &NewNotification,
        at: Timestamp,
    ) -> Result<bool>;
    /// What the workflow needs to decide the next step.
    async fn report_view(&self, id: i64) -> Result<Option<ReportView>>;
    /// The clocks of `ids` that have not stopped, with their assignments' stages, in one read
    /// (the desk's worklist: a page's deadlines), in no particular order.
    async fn open_clocks(&self, ids: &[i64]) -> Result<Vec<OpenClock>>;
    /// Persist events decided on `change.expected_version`. If the report has moved on since,
    /// nothing is written and [`StoreError::VersionConflict`] is returned.
    async fn apply_events(&self, change: &ReportChange) -> Result<Applied>;
    async fn list_reports(&self, filter: &ReportFilter) -> Result<Page<ReportRecord>>;
    /// The reports `filter` matches (its limit, offset and order ignored), counted by status,
    /// category and kabupaten/kota: one row per combination present, in no particular order.
    async fn report_counts(&self, filter: &ReportFilter) -> Result<Vec<ReportCount>>;
    async fn assignments(&self, report_id: i64) -> Result<Vec<AssignmentRecord>>;
    async fn activities(&self, report_id: i64) -> Result<Vec<ActivityRecord>>;
    async fn messages(&self, report_id: i64) -> Result<Vec<MessageRecord>>;
    async fn attachments(&self, report_id: i64) -> Result<Vec<AttachmentRecord>>;
    async fn attachment(&self, id: i64) -> Result<Option<AttachmentRecord>>;
    /// The attachment named by its public key (the only name for it in URLs).
    async fn attachment_by_key(&self, public_key: &str) -> Result<Option<AttachmentRecord>>;
    /// Record the desk's review of an attachment (and its redacted copy), with the audit event
    /// `attachment.reviewed` on the report (no free text), in one transaction. Returns the
    /// attachment as it is now.
    async fn review_attachment(&self, review: &AttachmentReview) -> Result<AttachmentRecord>;
    async fn count_reports(&self) -> Result<u64>;
    /// The storage keys of every file the database names (each attachment's original and the
    /// desk's redacted copy, where it has one), distinct, in order: what a backup must carry
    /// and a restored copy must find on disk.
    async fn attachment_files(&self) -> Result<Vec<String>>;
    /// Scale data (`tanggap demo --reports N`, benchmarks): write `copies` of existing reports
    /// with every row they own, in one transaction (module `copies` of this crate). Returns how many were written.
    async fn copy_reports(&self, copies: &[ReportCopy]) -> Result<u64>;

    // ----- personal data (UU 27/2022) -------------------------------------------------------

    /// The reporter's record with their chat addresses.
    async fn reporter(&self, id: i64) -> Result<Option<ReporterRow>>;
    /// Correct a reporter's details; audited with the names of the fields changed, never their
    /// values.
    async fn correct_reporter(
        &self,
        id: i64,
        correction: &ReporterCorrection,
        actor: &str,
        at: Timestamp,
    ) -> Result<()>;
    /// Forget a reporter as planned (see [`ForgetPlan`]), in one transaction.
    async fn forget_reporter(&self, plan: &ForgetPlan, at: Timestamp) -> Result<()>;

    // ----- dashboards ---------------------------------------------------------------------

    /// Open assignments (not done, returned or forwarded, on reports still being worked), of
    /// these agencies (or all), most urgent deadline first: the response deadline while the agency
    /// has not responded, else the completion deadline. `limit` of them from `offset`, with the
    /// whole queue's count and how many are past their deadline at `now`.
    async fn open_assignments(
        &self,
        agency_ids: Option<&[String]>,
        now: Timestamp,
        offset: u32,
        limit: u32,
    ) -> Result<QueueSlice>;
    /// Response obligations started in `[from, to)` (of these agencies, or all), oldest first.
    async fn obligations(
        &self,
        from: Timestamp,
        to: Timestamp,
        agency_ids: Option<&[String]>,
    ) -> Result<Vec<ObligationRecord>>;
    /// The accountability figures of a period counted by the database at `now` (SPEC section 6):
    /// obligations started in `[from, to)` per agency and in total, and assignments created in
    /// it per agency; completion clocks still running past their deadline come back to be judged
    /// on the working calendar (one whose deadline is ahead has not used its budget: not
    /// counted). Nothing is loaded per obligation: this is what the quarterly report uses.
    async fn compliance_counts(
        &self,
        from: Timestamp,
        to: Timestamp,
        agency_ids: Option<&[String]>,
        now: Timestamp,
    ) -> Result<ComplianceCounts>;
    /// The obligations started in `[from, to)` that are lalai at `now` (answered late, or
    /// unanswered past the deadline and not cancelled before it), by start: the evidence.
    async fn lalai_obligations(
        &self,
        from: Timestamp,
        to: Timestamp,
        agency_ids: Option<&[String]>,
        now: Timestamp,
    ) -> Result<Vec<ObligationRecord>>;
    /// A report's obligations, oldest first.
    async fn report_obligations(&self, report_id: i64) -> Result<Vec<ObligationRecord>>;
    /// Assignments created in `[from, to)`, with their completion clocks and outcomes.
    async fn assignment_facts(&self, from: Timestamp, to: Timestamp)
    -> Result<Vec<AssignmentFact>>;
    async fn count_obligations(&self) -> Result<u64>;
    /// What the dashboards show of these assignments (title, role, statuses), in id order;
    /// unknown ids are left out. Never the reporter.
    async fn assignment_briefs(&self, assignment_ids: &[i64]) -> Result<Vec<AssignmentBrief>>;
    /// Reports with a running working-day clock (whose deadlines a calendar edit may move).
    async fn reports_with_running_working_clocks(&self) -> Result<Vec<i64>>;
    /// Store obligations rebuilt from the timeline of reports that predate them (an upgrade);
    /// one audit record for the lot. Obligations that exist are left as they are.
    async fn insert_obligations(&self, rows: &[NewObligation], at: Timestamp) -> Result<u64>;
    /// The latest messages from reporters (any channel), newest first, for the desk's inbox.
    async fn inbound_messages(&self, limit: u32) -> Result<Vec<InboxMessage>>;

    // ----- audit ----------------------------------------------------------------------------

    /// Append one event that is not part of another change (a login, an export).
    async fn append_audit(&self, event: NewAuditEvent, at: Timestamp) -> Result<AuditEvent>;
    /// Events with `seq > after`, in order, at most `limit`.
    async fn audit_page(&self, after: i64, limit: u32) -> Result<Vec<AuditEvent>>;
    /// The separately kept head of the chain: last seq and hash.
    async fn audit_head(&self) -> Result<Option<(i64, String)>>;
    async fn audit_for_object(&self, object_type: &str, object_id: &str)
    -> Result<Vec<AuditEvent>>;

    // ----- scheduler and notifications ------------------------------------------------------
    //
    // The scheduler finds work through the index on `clocks.next_fire_at` only, never by scanning
    // open reports. Several instances may sweep one database: a claim leases the clocks it
    // returns, and a firing is a compare-and-set on the report's version and the clock's `fired`,
    // so each threshold is acted on once. Notifications carry an idempotency key (unique) and
    // leave through the outbox below.

    /// Lease up to `limit` clocks whose `next_fire_at <= now` and that no live lease holds, the
    /// earliest first, until `now + lease`. (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: the
    /// single writer.)
    async fn claim_due_clocks(
        &self,
        now: Timestamp,
        limit: u32,
        lease: chrono::TimeDelta,
    ) -> Result<Vec<DueClock>>;
    /// Act on one threshold in one transaction: check the expected state, advance the clock, set
    /// `negligent_at`, enqueue the notifications, bump the report's version (so a workflow
    /// decision taken on the old state is decided again) and append `clock.threshold_fired` to
    /// the audit trail. Releases the lease either way. `false`: the state had moved on (or the
    /// firing was already done), nothing was written.
    async fn fire_clock(&self, firing: &ClockFiring) -> Result<bool>;

    /// Lease up to `limit` notifications that are pending and due at `now` (or whose sending
    /// lease has expired), marking them `sending` and counting an attempt.
    async fn claim_notifications(
        &self,
        now: Timestamp,
        limit: u32,
        lease: chrono::TimeDelta,
    ) -> Result<Vec<Notification>>;
    /// Sent at `at`, each with the provider's id when it gave one (for the delivery receipts),
    /// all in one change: the dispatcher records together the messages whose sending finished
    /// together. An in-app notification read while it was being sent stays read.
    async fn mark_notifications_sent(&self, at: Timestamp, sent: &[SentNotification])
    -> Result<()>;
    /// One notification sent ([`Store::mark_notifications_sent`] for one); `logged_only` when
    /// no provider was configured and it was only written to the log.
    async fn mark_notification_sent(
        &self,
        id: i64,
        at: Timestamp,
        provider_message_id: Option<&str>,
        logged_only: bool,
    ) -> Result<()> {
        let sent = SentNotification {
            id,
            provider_message_id: provider_message_id.map(str::to_string),
            logged_only,
        };
        self.mark_notifications_sent(at, std::slice::from_ref(&sent))
            .await
    }
    /// A failed attempt: tried again at `retry_at`, or dead-lettered (`dead`: given up, shown to
    /// operators, who may send it again) when that is `None`.
    async fn mark_notification_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()>;
    /// How the store is doing now, for operators (`/metrics`, the admin page): the outbox, the
    /// connection pool, the writer's queue. Every count is read from an index.
    async fn operations(&self) -> Result<Operations>;
    // ----- the desk's assistant ----------------------------------------------------------------

    /// The latest `limit` dispatched reports, newest first, as the routing model learns from them.
    async fn routing_history(&self, limit: u32) -> Result<Vec<RoutingExample>>;
    /// Record what the desk chose against what was suggested.
    async fn record_routing_choice(&self, choice: &RoutingChoice) -> Result<()>;
    /// How often the suggestions were taken, over the choices recorded since `since`.
    async fn routing_accuracy(&self, since: Timestamp) -> Result<RoutingAccuracy>;
    /// The latest recorded choices where the desk chose another agency than the first suggestion.
    async fn routing_overrides(&self, limit: u32) -> Result<Vec<RoutingChoiceRecord>>;
    /// The dead letters, newest first.
    async fn dead_notifications(&self, limit: u32) -> Result<Vec<Notification>>;
    /// Put one dead letter (or, with `None`, every one) back in the outbox, due at `at`, with
    /// its attempts reset. Returns how many.
    async fn retry_dead_notifications(&self, id: Option<i64>, at: Timestamp) -> Result<u64>;
    /// A provider's delivery receipt for a message it accepted: recorded on the notification
    /// unless a later receipt is already there. `false`: no notification has that id.
    async fn record_delivery(
        &self,
        channel: tanggap_domain::escalation::NotifyChannel,
        provider_message_id: &str,
        status: &str,
        at: Timestamp,
    ) -> Result<bool>;
    /// A user's in-app notifications, newest first.
    async fn notifications_for_user(&self, user_id: i64, limit: u32) -> Result<Vec<Notification>>;
    /// How many of the user's newest `among` in-app notifications are unread (the count every
    /// staff page shows): counted in the database, not read row by row.
    async fn unread_notifications(&self, user_id: i64, among: u32) -> Result<u64>;
    /// Mark one of the user's in-app notifications read; `false` if it is not theirs.
    async fn mark_notification_read(&self, id: i64, user_id: i64, at: Timestamp) -> Result<bool>;
    // ----- chat channels ---------------------------------------------------------------------

    /// Record a provider's message before the provider is answered, and note when this address
    /// last wrote. `None` when `(channel, provider_id)` is already recorded: a provider's retry,
    /// which must change nothing.
    async fn record_inbound(
        &self,
        channel: tanggap_domain::Channel,
        provider_id: &str,
        address: &str,
        payload: &str,
        at: Timestamp,
    ) -> Result<Option<i64>>;
    /// Lease up to `limit` messages to handle: received (or whose lease ran out), and only the
    /// oldest unhandled one of each sender, so that one sender's messages are handled in order.
    async fn claim_inbound(
        &self,
        now: Timestamp,
        limit: u32,
        lease: chrono::TimeDelta,
    ) -> Result<Vec<InboundRecord>>;
    /// End the handling of a message and enqueue the answers to its sender, in one transaction.
    /// `Done` and `Failed` empty its address and words.
    async fn end_inbound(
        &self,
        id: i64,
        end: &InboundEnd,
        replies: &[NewNotification],
        at: Timestamp,
    ) -> Result<()>;
    /// The reporter a provider-verified chat address belongs to (a WhatsApp number is the same
    /// person on SMS: see [`identity_peer`]).
    async fn reporter_by_address(
        &self,
        channel: tanggap_domain::Channel,
        address: &str,
    ) -> Result<Option<i64>>;
    /// The report created from this chat message, if one was.
    async fn report_by_inbound(&self, inbound_id: i64) -> Result<Option<i64>>;
    /// The bot's open question to this sender, if any.
    async fn chat_pending(
        &self,
        channel: tanggap_domain::Channel,
        address: &str,
    ) -> Result<Option<ChatPending>>;
    /// Ask (or ask again): replaces the sender's open question.
    async fn set_chat_pending(&self, pending: &ChatPending) -> Result<()>;
    async fn clear_chat_pending(
        &self,
        channel: tanggap_domain::Channel,
        address: &str,
    ) -> Result<()>;
    /// When this chat address last wrote to us (WhatsApp's 24-hour window), if ever.
    async fn last_inbound_at(
        &self,
        channel: tanggap_domain::Channel,
        address: &str,
    ) -> Result<Option<Timestamp>>;
    /// Every notification about a report, in order.
    async fn notifications_for_report(&self, report_id: i64) -> Result<Vec<Notification>>;
    /// The user's notifications on every channel (in-app, e-mail, WhatsApp...), newest first.
    async fn notifications_to_user(&self, user_id: i64, limit: u32) -> Result<Vec<Notification>>;

    /// Running first-response and completion clocks of assignments due before `until`: what the
    /// morning digest lists (due today and overdue), by agency.
    async fn digest_items(&self, until: Timestamp) -> Result<Vec<DigestItem>>;
    /// The last local date a daily job (`digest`) was done for.
    async fn daily_job_last_date(&self, job: &str) -> Result<Option<chrono::NaiveDate>>;
    /// Record a daily job as done for `date` and enqueue its notifications, in one transaction;
    /// `false` (nothing written) if it was already done for that date or a later one.
    async fn complete_daily_job(
        &self,
        job: &str,
        date: chrono::NaiveDate,
        notifications: &[NewNotification],
        at: Timestamp,
    ) -> Result<bool>;
    /// Assignments marked `lalai` at or after `since`, the latest first.
    async fn negligent_assignments(
        &self,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<NegligentAssignment>>;

    // ----- reporter updates -----------------------------------------------------------------

    /// Timeline entries the reporter sees (audience `public` or `conversation`) with id above
    /// `after`, oldest first, with the report's channel and the reporter's contact: what the
    /// reporter-updates job tells citizens about.
    async fn reporter_updates(&self, after: i64, limit: u32) -> Result<Vec<ReporterUpdate>>;
    /// Where a cursor-driven job stands (0 if it never ran).
    async fn job_cursor(&self, name: &str) -> Result<i64>;
    /// Move a job's cursor from `from` to `to` and enqueue its notifications in one transaction.
    /// `false`, and nothing written, if the cursor is no longer at `from` (another instance moved
    /// it first). Notifications whose idempotency key exists are dropped.
    async fn advance_job_cursor(
        &self,
        name: &str,
        from: i64,
        to: i64,
        notifications: &[NewNotification],
        at: Timestamp,
    ) -> Result<bool>;

    // Connectors to agencies' own systems (see [`connectors`]).

    /// Set an agency's connector (replacing the one it had), with an audit record that names
    /// its kind and target, never its secret.
    async fn put_connector(&self, connector: &Connector, actor: &str, at: Timestamp) -> Result<()>;
    /// Stop using an agency's connector (kept, inactive, with what it sent). `false` if none.
    async fn deactivate_connector(
        &self,
        agency_id: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<bool>;
    /// Every connector, active or not, with its queue counts.
    async fn connectors(&self) -> Result<Vec<Connector>>;
    async fn connector(&self, agency_id: &str) -> Result<Option<Connector>>;
    /// Like [`Store::advance_job_cursor`], enqueueing connector sends: each report send also
    /// makes the assignment's link (if it has none). Sends whose key exists are dropped.
    async fn advance_connector_cursor(
        &self,
        name: &str,
        from: i64,
        to: i64,
        sends: &[NewConnectorSend],
        at: Timestamp,
    ) -> Result<bool>;
    /// Lease up to `limit` outbox items due at `now` (pending, or sending with a lapsed lease)
    /// until `lease_until`, oldest first.
    async fn claim_connector_sends(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<ConnectorSend>>;
    /// Record how a send ended, in one transaction with the link (remote id, delivery time),
    /// the connector's health and, when sent, the audit record of what was sent.
    async fn finish_connector_send(
        &self,
        id: i64,
        outcome: &SendOutcome,
        at: Timestamp,
    ) -> Result<()>;
    /// The latest outbox items (of one agency, or all), newest first.
    async fn connector_sends(
        &self,
        agency_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ConnectorSendRecord>>;
    async fn connector_link(&self, assignment_id: i64) -> Result<Option<ConnectorLink>>;
    async fn connector_link_by_token(&self, token: &str) -> Result<Option<ConnectorLink>>;
    async fn connector_link_by_remote(
        &self,
        agency_id: &str,
        remote_id: &str,
    ) -> Result<Option<ConnectorLink>>;
    /// Links of an agency whose assignment is still open and whose report the remote system
    /// took (to follow them one by one where no update feed is offered).
    async fn open_connector_links(&self, agency_id: &str, limit: u32)
    -> Result<Vec<ConnectorLink>>;
    /// Whether a remote update was recorded before.
    async fn remote_update_seen(&self, agency_id: &str, update_id: &str) -> Result<bool>;
    /// Record a remote update; `false` if its id was recorded before (so of several processes
    /// reading the same update, one alone goes on to apply it).
    async fn record_remote_update(&self, update: &RemoteUpdateRecord) -> Result<bool>;
    /// Note what a recorded remote update did.
    async fn set_remote_update_outcome(
        &self,
        agency_id: &str,
        update_id: &str,
        outcome: &str,
    ) -> Result<()>;
    async fn remote_updates(&self, assignment_id: i64) -> Result<Vec<RemoteUpdateRecord>>;
    /// Note a follow of the agency's system: how far its feed was read (if it was), and the
    /// health (`error` None for a success).
    async fn connector_followed(
        &self,
        agency_id: &str,
        until: Option<Timestamp>,
        error: Option<&str>,
        at: Timestamp,
    ) -> Result<()>;
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
