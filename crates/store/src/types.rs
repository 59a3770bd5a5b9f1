//! Records that cross the store boundary.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tanggap_domain::access::Audience;
use tanggap_domain::workflow::{Actor, Event};
use tanggap_domain::{
    AssignmentRole, Channel, Clock, Direction, Outcome, ReportKind, ReportStatus, Role, Stage,
    TrackingId, Visibility,
};

pub use tanggap_domain::Timestamp;

/// Everything about a new report that the service layer has already checked and decided.
#[derive(Debug, Clone)]
pub struct NewReport {
    /// Enqueued with the report, in its transaction (the reporter's receipt); their
    /// `report_id` is set to the new report's.
    pub notifications: Vec<crate::NewNotification>,
    pub tracking_id: TrackingId,
    /// SHA-256 of the reporter's secret token.
    pub secret_hash: String,
    pub kind: ReportKind,
    pub title: String,
    pub body: String,
    pub occurred_on: Option<NaiveDate>,
    pub region_code: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub category: Option<String>,
    pub channel: Channel,
    pub reporter: Option<NewReporter>,
    pub visibility: Visibility,
    /// The reporter agreed to show their name on a public report.
    pub show_reporter_name: bool,
    pub needs_field_check: bool,
    pub clocks: Vec<Clock>,
    pub attachments: Vec<NewAttachment>,
    pub created_at: Timestamp,
    /// Audit label of whoever submitted it (`public`, `user:3` for a walk-in entered by the desk).
    pub actor: String,
    /// The user who entered it on the reporter's behalf (phone, walk-in).
    pub entered_by: Option<i64>,
    /// The chat message it was created from (see [`crate::Store::report_by_inbound`]).
    pub inbound_id: Option<i64>,
    /// The Open311 client that filed it, and the token it may exchange for the tracking ID.
    pub open311: Option<Open311Origin>,
    /// The client's idempotency key for this submission, kept in the report's transaction so
    /// that a retry finds the report ([`crate::Store::idempotent_submission`]).
    pub idempotency: Option<IdempotencyRecord>,
}

/// A submission's `Idempotency-Key`, as stored: nothing in it is the key or the request
/// itself, and it is deleted a day later ([`crate::Store::purge_idempotency_keys`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// SHA-256 of who sent it and the key.
    pub key_hash: String,
    /// SHA-256 of the request, so that the same key with another request is refused.
    pub request_hash: String,
    /// The reporter's secret, sealed with a pad only the key opens (the database alone does
    /// not reveal it).
    pub sealed_secret: String,
}

/// A report an idempotency key was used for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentSubmission {
    pub report_id: i64,
    pub tracking_id: TrackingId,
    pub request_hash: String,
    pub sealed_secret: String,
    pub created_at: Timestamp,
}

/// Which Open311 key filed a report, and the token given back for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open311Origin {
    pub key_id: i64,
    pub token: String,
}

/// An Open311 client's key as the administrators see it (the key itself is never stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Open311Key {
    pub id: i64,
    pub name: String,
    /// The integration account the key acts as when it posts stage updates, if any.
    pub user_id: Option<i64>,
    pub created_at: Timestamp,
    /// Audit label of the administrator who issued it.
    pub created_by: String,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewReporter {
    pub name: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub nik: Option<String>,
    /// A chat address (WhatsApp number, Telegram chat id) that identifies the reporter.
    pub channel_address: Option<(Channel, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedReport {
    pub id: i64,
    pub tracking_id: TrackingId,
    pub reporter_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReporterRecord {
    pub id: i64,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub nik: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportRecord {
    pub id: i64,
    pub tracking_id: TrackingId,
    pub kind: ReportKind,
    pub title: String,
    pub body: String,
    pub occurred_on: Option<NaiveDate>,
    pub region_code: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub category: Option<String>,
    pub channel: Channel,
    pub reporter: Option<ReporterRecord>,
    pub show_reporter_name: bool,
    pub visibility: Visibility,
    pub needs_field_check: bool,
    pub status: ReportStatus,
    pub duplicate_of: Option<i64>,
    pub archive_reason: Option<String>,
    pub rating: Option<u8>,
    pub outcome: Option<Outcome>,
    pub rating_comment: Option<String>,
    pub reopen_count: i64,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub dispatched_at: Option<Timestamp>,
    pub selesai_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
}

/// Events decided by the workflow, to be persisted atomically with their audit records.
#[derive(Debug, Clone)]
pub struct ReportChange {
    pub report_id: i64,
    pub expected_version: i64,
    pub actor: Actor,
    pub events: Vec<Event>,
    pub at: Timestamp,
    /// Photos that belong to this change (attached to its first activity).
    pub attachments: Vec<NewAttachment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub version: i64,
    /// Ids of the assignments created, in the order of their `AssignmentCreated` events.
    pub created_assignments: Vec<i64>,
    pub activity_ids: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignmentRecord {
    pub id: i64,
    pub report_id: i64,
    pub agency_id: String,
    pub agency_name: String,
    pub role: AssignmentRole,
    pub stage: Stage,
    pub responded: bool,
    pub forwarded_from: Option<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub first_response_at: Option<Timestamp>,
    pub tuntas_at: Option<Timestamp>,
    pub response_due_at: Option<Timestamp>,
    pub completion_due_at: Option<Timestamp>,
    /// The first-response deadline this assignment missed, once the scheduler marked it `lalai`.
    pub negligent_at: Option<Timestamp>,
    pub clocks: Vec<Clock>,
}

/// One line of a report's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityRecord {
    pub id: i64,
    pub report_id: i64,
    pub assignment_id: Option<i64>,
    pub agency_id: Option<String>,
    pub kind: ActivityKind,
    pub stage: Option<Stage>,
    pub status: Option<ReportStatus>,
    pub note: Option<String>,
    pub actor: String,
    /// Who may read it (`tanggap_domain::access::Disclosure::sees`).
    pub audience: Audience,
    pub created_at: Timestamp,
}

macro_rules! activity_kinds {
    ($($v:ident = $s:literal),+ $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ActivityKind { $($v),+ }
        impl ActivityKind {
            pub fn as_str(self) -> &'static str { match self { $(ActivityKind::$v => $s),+ } }
            pub fn parse(s: &str) -> Option<Self> { match s { $($s => Some(ActivityKind::$v),)+ _ => None } }
        }
    };
}

activity_kinds!(
    Submitted = "submitted",
    Edited = "edited",
    Dispatched = "dispatched",
    StageUpdate = "stage_update",
    Returned = "returned",
    Forwarded = "forwarded",
    StatusChanged = "status_changed",
    AskedReporter = "asked_reporter",
    ReporterReplied = "reporter_replied",
    MessageToReporter = "message_to_reporter",
    Duplicate = "duplicate",
    Archived = "archived",
    Rated = "rated",
    Reopened = "reopened",
    Instruction = "instruction",
    Restarted = "restarted",
    Verified = "verified",
    DispatchNote = "dispatch_note",
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRecord {
    pub id: i64,
    pub report_id: Option<i64>,
    pub reporter_id: Option<i64>,
    pub channel: Channel,
    pub direction: Direction,
    pub provider_message_id: Option<String>,
    pub body: String,
    /// `received` (from the reporter) or `posted` (to the reporter: on the tracking page at once;
    /// its delivery on the reporter's channel is a `reporter_update` notification).
    pub status: String,
    /// Audit label of the author (`reporter:5`, `user:3`).
    pub author: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    /// Where the bytes are, relative to the attachment store.
    pub storage_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRecord {
    /// Internal only: never in a URL (see `public_key`).
    pub id: i64,
    pub report_id: i64,
    pub activity_id: Option<i64>,
    /// The attachment's name in every URL: 128 random bits (`tanggap_domain::ids::attachment_key`).
    pub public_key: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage_key: String,
    pub created_at: Timestamp,
    /// What the desk decided about showing it to the public.
    pub review: Review,
    /// The copy the public sees, for [`Review::Redacted`].
    pub redacted: Option<FileCopy>,
    pub reviewed_at: Option<Timestamp>,
}

impl AttachmentRecord {
    /// What the public may download, if anything: the original once published, the redacted
    /// copy once redacted. (Whether the public may see the report and the entry at all is the
    /// use case's question.)
    pub fn public_file(&self) -> Option<FileCopy> {
        match self.review {
            Review::Published => Some(FileCopy {
                content_type: self.content_type.clone(),
                size_bytes: self.size_bytes,
                sha256: self.sha256.clone(),
                storage_key: self.storage_key.clone(),
            }),
            Review::Redacted => self.redacted.clone(),
            Review::Pending | Review::Hidden => None,
        }
    }
}

/// A stored file other than the upload itself (the redacted copy of a photo).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCopy {
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    /// Where the bytes are, relative to the attachment store.
    pub storage_key: String,
}

macro_rules! reviews {
    ($($(#[$doc:meta])* $v:ident = $s:literal),+ $(,)?) => {
        /// The desk's review of an attachment before the public may see it (photos show faces,
        /// identity cards, house numbers).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Review { $($(#[$doc])* $v),+ }
        impl Review {
            pub fn as_str(self) -> &'static str { match self { $(Review::$v => $s),+ } }
            pub fn parse(s: &str) -> Option<Self> { match s { $($s => Some(Review::$v),)+ _ => None } }
        }
    };
}

reviews!(
    /// Not reviewed yet: staff and the reporter only.
    Pending = "pending",
    /// Public as uploaded.
    Published = "published",
    /// Never public.
    Hidden = "hidden",
    /// Public as a copy with areas blacked out.
    Redacted = "redacted",
);

/// An area of a picture to black out, in percent of its width and height (after rotation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Area {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// The desk's decision on one attachment, audited with the change.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentReview {
    pub attachment_id: i64,
    pub decision: Review,
    /// For [`Review::Redacted`]: the copy and the areas blacked out in it.
    pub redacted: Option<(FileCopy, Vec<Area>)>,
    /// Audit label (`user:3`).
    pub actor: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub agency_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub active: bool,
    pub created_at: Timestamp,
    /// An integration account: it works through API tokens only and never logs in with a
    /// password. Set when the account is created.
    #[serde(default)]
    pub integration: bool,
    /// The password was set by someone else (an administrator): the user must choose a new one
    /// before doing anything else.
    #[serde(default)]
    pub must_change_password: bool,
    /// Too many wrong passwords in a row: password logins are refused until then.
    #[serde(default)]
    pub locked_until: Option<Timestamp>,
    /// Moves on whenever the account's credentials are ended (password, role or agency change,
    /// deactivation); a session made under an older epoch is no longer honoured.
    #[serde(default)]
    pub session_epoch: i64,
}

#[derive(Clone, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub agency_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password_hash: String,
    pub created_at: Timestamp,
    /// See [`User::integration`].
    pub integration: bool,
    /// See [`User::must_change_password`].
    pub must_change_password: bool,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("role", &self.role)
            .field("agency_id", &self.agency_id)
            .field("integration", &self.integration)
            .finish_non_exhaustive()
    }
}

/// Changes to a user; `None` keeps the value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub agency_id: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub active: Option<bool>,
    pub password_hash: Option<String>,
    pub must_change_password: Option<bool>,
    /// End the user's credentials in the same transaction: delete their sessions, revoke their
    /// API tokens and move [`User::session_epoch`] on (audited as `user.credentials_ended`).
    pub end_credentials: bool,
}

impl std::fmt::Debug for UserPatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserPatch")
            .field("display_name", &self.display_name)
            .field("role", &self.role)
            .field("active", &self.active)
            .field("password_changed", &self.password_hash.is_some())
            .field("must_change_password", &self.must_change_password)
            .field("end_credentials", &self.end_credentials)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 of the session id in the cookie.
    pub id_hash: String,
    pub user_id: Option<i64>,
    /// Opaque session data (JSON).
    pub data: String,
    pub expires_at: Timestamp,
}

/// Which reports to list. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub statuses: Vec<ReportStatus>,
    /// Reports with an assignment at this stage (within `agency_ids` when that is set).
    pub stage: Option<Stage>,
    /// Reports with an assignment to one of these agencies (agency users' scope).
    pub agency_ids: Option<Vec<String>>,
    pub category: Option<String>,
    /// Reports in any of these categories (none: any category).
    pub categories: Vec<String>,
    /// Region code or a prefix of one (`33.22` matches every region below it).
    pub region: Option<String>,
    pub channel: Option<Channel>,
    pub kind: Option<ReportKind>,
    pub created_from: Option<Timestamp>,
    pub created_to: Option<Timestamp>,
    /// Only reports with an assignment whose response or completion deadline is past at `now`.
    pub overdue_at: Option<Timestamp>,
    /// Full-text search in title and body: reports holding every word.
    pub text: Option<String>,
    /// With `text`: reports holding any one of its words instead of all of them.
    pub text_any_word: bool,
    /// Leave out confidential (`rahasia`) reports.
    pub public_only: bool,
    pub reporter_id: Option<i64>,
    pub order: ReportOrder,
    pub limit: u32,
    pub offset: u32,
    /// The caller does not need the number of matches: `Page::total` is then the number of
    /// items returned, and nothing is counted.
    pub skip_total: bool,
    /// Count the matches only up to one more than this many: when there are more,
    /// `Page::total` is `count_up_to + 1` ("more than …"). A search's count among thousands
    /// of matches costs more than finding its page.
    pub count_up_to: Option<u64>,
}

impl ReportFilter {
    /// Filters on status (and confidentiality) only: its total is kept per status by the
    /// stores (`report_counts`) instead of counted.
    pub fn by_status_only(&self) -> bool {
        let ReportFilter {
            statuses: _,
            stage,
            agency_ids,
            category,
            categories,
            region,
            channel,
            kind,
            created_from,
            created_to,
            overdue_at,
            text,
            text_any_word: _,
            public_only: _,
            reporter_id,
            order: _,
            limit: _,
            offset: _,
            skip_total: _,
            count_up_to: _,
        } = self;
        stage.is_none()
            && agency_ids.is_none()
            && category.is_none()
            && categories.is_empty()
            && region.is_none()
            && channel.is_none()
            && kind.is_none()
            && created_from.is_none()
            && created_to.is_none()
            && overdue_at.is_none()
            && text.is_none()
            && reporter_id.is_none()
    }
}

/// How many reports matching a filter share a status, a category and a kabupaten/kota.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportCount {
    pub status: ReportStatus,
    pub category: Option<String>,
    /// The kabupaten/kota: the first two levels of the region code (`33.74`), if any.
    pub kabkota: Option<String>,
    pub count: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReportOrder {
    #[default]
    NewestFirst,
    OldestFirst,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}

/// A clock of a report that has not stopped (running or paused), with the assignment it runs
/// for: what the desk's worklist needs to show each report's nearest deadline.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenClock {
    pub report_id: i64,
    /// 0 for the report's own clocks (the desk's triage).
    pub assignment_id: i64,
    /// The assignment's stage and whether its agency has responded; `None` for the report's
    /// own clocks.
    pub assignment: Option<(Stage, bool)>,
    pub clock: Clock,
}

/// An open assignment, for an agency's queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueItem {
    pub report_id: i64,
    pub tracking_id: TrackingId,
    pub title: String,
    pub report_status: ReportStatus,
    pub kind: ReportKind,
    pub visibility: Visibility,
    pub region_code: Option<String>,
    pub assignment_id: i64,
    pub agency_id: String,
    pub agency_name: String,
    pub role: AssignmentRole,
    pub stage: Stage,
    pub responded: bool,
    pub assigned_at: Timestamp,
    pub response_due_at: Option<Timestamp>,
    pub completion_due_at: Option<Timestamp>,
}

/// One page of an agency's queue, with the counts of the whole queue.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct QueueSlice {
    pub items: Vec<QueueItem>,
    /// Open assignments in the whole queue.
    pub total: u64,
    /// Of those, the ones whose running deadline (response, else completion) has passed.
    pub overdue: u64,
}

/// An assignment as a dashboard line names it: its report's title and status, its role and
/// stage. Nothing about the reporter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentBrief {
    pub assignment_id: i64,
    pub report_id: i64,
    pub tracking_id: TrackingId,
    pub title: String,
    pub report_status: ReportStatus,
    pub agency_id: String,
    pub role: AssignmentRole,
    pub stage: Stage,
}

/// A message from a reporter, for the desk's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxMessage {
    pub message: MessageRecord,
    pub tracking_id: Option<TrackingId>,
    pub report_title: Option<String>,
    pub report_status: Option<ReportStatus>,
}

/// A reporter's own record with what only the personal-data use cases need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReporterRow {
    pub record: ReporterRecord,
    /// Chat addresses (channel, address) that identify the reporter.
    pub addresses: Vec<(Channel, String)>,
    pub created_at: Timestamp,
    /// When the reporter was forgotten (UU 27/2022); their reports and figures remain.
    pub pseudonymised_at: Option<Timestamp>,
}

/// A correction of a reporter's details (UU 27/2022): `None` keeps a value, `Some(None)` clears
/// it. Values are already checked.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ReporterCorrection {
    pub name: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub nik: Option<Option<String>>,
}

impl std::fmt::Debug for ReporterCorrection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReporterCorrection")
            .field("name", &self.name.is_some())
            .field("phone", &self.phone.is_some())
            .field("email", &self.email.is_some())
            .field("nik", &self.nik.is_some())
            .finish()
    }
}

/// What forgetting a reporter rewrites, worked out by the use case from everything held about
/// them: every text that named or reached them, with those details taken out. The store applies
/// it in one transaction, then blanks the reporter's record (name, phone, e-mail, NIK), drops
/// their chat addresses, clears the address of every notification listed (a pending one is not
/// sent any more) and appends `reporter.forgotten` to the audit trail.
#[derive(Clone, Default, PartialEq)]
pub struct ForgetPlan {
    pub reporter_id: i64,
    /// (report id, title, body, address)
    pub reports: Vec<(i64, String, String, Option<String>)>,
    /// (timeline entry id, note)
    pub activities: Vec<(i64, Option<String>)>,
    /// (message id, body)
    pub messages: Vec<(i64, String)>,
    /// (attachment id, file name)
    pub attachments: Vec<(i64, String)>,
    /// (notification id, subject, body): their address is cleared.
    pub notifications: Vec<(i64, String, String)>,
    /// Audit label of whoever asked.
    pub actor: String,
}

impl std::fmt::Debug for ForgetPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForgetPlan")
            .field("reporter_id", &self.reporter_id)
            .field("reports", &self.reports.len())
            .field("activities", &self.activities.len())
            .field("messages", &self.messages.len())
            .field("attachments", &self.attachments.len())
            .field("notifications", &self.notifications.len())
            .finish()
    }
}

/// One response obligation (SPEC section 6): an agency, a cycle, its start, its deadline, and
/// then its answer, its cancellation, or nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObligationRecord {
    pub id: i64,
    pub assignment_id: i64,
    pub report_id: i64,
    pub tracking_id: TrackingId,
    pub agency_id: String,
    /// 1 for the dispatch or forward; one more for each reopen.
    pub cycle: u32,
    pub started_at: Timestamp,
    pub due_at: Timestamp,
    pub responded_at: Option<Timestamp>,
    pub cancelled_at: Option<Timestamp>,
}

impl ObligationRecord {
    /// The obligation as the accountability figures count it.
    pub fn fact(&self) -> tanggap_domain::compliance::ObligationFact {
        tanggap_domain::compliance::ObligationFact {
            agency_id: self.agency_id.clone(),
            tracking_id: self.tracking_id.to_string(),
            started_at: self.started_at,
            due_at: self.due_at,
            responded_at: self.responded_at,
            cancelled_at: self.cancelled_at,
        }
    }
}

/// An obligation rebuilt from an existing report's timeline (upgrades).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewObligation {
    pub assignment_id: i64,
    pub cycle: u32,
    pub started_at: Timestamp,
    pub due_at: Timestamp,
    pub responded_at: Option<Timestamp>,
    pub cancelled_at: Option<Timestamp>,
}

/// An assignment with what the completion, reopen and satisfaction figures need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignmentFact {
    pub assignment_id: i64,
    pub report_id: i64,
    pub tracking_id: TrackingId,
    pub agency_id: String,
    pub role: AssignmentRole,
    pub stage: Stage,
    pub created_at: Timestamp,
    /// Its completion clock (the current cycle's).
    pub completion: Option<Clock>,
    /// The agency marked it `tuntas` at least once.
    pub finished: bool,
    /// The reporter reopened it after it was finished.
    pub reopened: bool,
    pub rating: Option<u8>,
    pub outcome: Option<Outcome>,
}

/// What a database counted for the accountability figures of a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComplianceCounts {
    /// Per agency, by agency id.
    pub obligations: Vec<tanggap_domain::compliance::ObligationCounts>,
    /// All agencies together.
    pub total: tanggap_domain::compliance::ObligationCounts,
    /// Per agency, by agency id.
    pub assignments: Vec<tanggap_domain::compliance::AssignmentCounts>,
    /// Completion clocks still running past their deadline, with their agency: judged on the
    /// working calendar.
    pub running_completions: Vec<(String, tanggap_domain::Clock)>,
}

/// A head of an agency from `since` until the next head's `since`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadRecord {
    pub agency_id: String,
    pub name: String,
    pub position: Option<String>,
    pub since: Timestamp,
}

/// Whether a store reads a period's response-time percentiles by walking the index ordered by
/// response time (no sorting, but every answered obligation of the history is a candidate), or
/// sorts the period's own rows: walk when the period (up to now) is at least half the history
/// (from the first obligation ever started to now), sort when it is a small part of a long
/// history (a day's digest in the third year). The conformance suite's periods take both ways.
pub fn walk_response_index(
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
    first_started: Option<Timestamp>,
) -> bool {
    let Some(first) = first_started else {
        return true;
    };
    if first >= from {
        return true;
    }
    (to.min(now) - from) * 2 >= now - first
}

/// The pages of a period's response times (microseconds, ascending) a store reads to give the
/// median and 90th percentile at their ranks ([`tanggap_domain::metrics::ranks`]) rather than
/// over every value, as `(offset, limit)`: the two middle values, then the 90th percentile.
/// `None` when nothing was answered.
pub fn rank_pages(answered: u64) -> Option<[(u64, u64); 2]> {
    let [lo, hi, at] = tanggap_domain::metrics::ranks(answered, 90)?;
    Some([(lo - 1, hi - lo + 1), (at - 1, 1)])
}

/// The median and 90th percentile from the [`rank_pages`] as read; a short page means the rows
/// changed under the count.
pub fn figures_from_rank_pages(
    pages: [(u64, u64); 2],
    read: [Vec<i64>; 2],
) -> crate::Result<(chrono::TimeDelta, chrono::TimeDelta)> {
    let mut values = Vec::with_capacity(3);
    for ((offset, limit), page) in pages.into_iter().zip(read) {
        if page.len() as u64 != limit {
            return Err(crate::StoreError::Backend(format!(
                "{} response times at rank {} of a period, expected {limit}",
                page.len(),
                offset + 1
            )));
        }
        values.extend(page);
    }
    let n = values.len();
    Ok((
        tanggap_domain::metrics::median_of_middle(values[0], values[n - 2]),
        chrono::TimeDelta::microseconds(values[n - 1]),
    ))
}

#[cfg(test)]
mod walk_tests {
    use super::walk_response_index;
    use chrono::{TimeDelta, TimeZone, Utc};

    #[test]
    fn walks_a_period_that_is_most_of_the_history_and_sorts_a_small_one() {
        let day = |d: i64| Utc.timestamp_opt(0, 0).unwrap() + TimeDelta::days(d);
        // Nothing stored yet, or everything stored inside the period: walk.
        assert!(walk_response_index(day(0), day(90), day(100), None));
        assert!(walk_response_index(day(0), day(90), day(100), Some(day(3))));
        // The last quarter of a year's history: sort; the second half of it: walk.
        assert!(!walk_response_index(
            day(270),
            day(360),
            day(365),
            Some(day(0))
        ));
        assert!(walk_response_index(
            day(180),
            day(365),
            day(365),
            Some(day(0))
        ));
        // A day in the third year: sort.
        assert!(!walk_response_index(
            day(1000),
            day(1001),
            day(1001),
            Some(day(0))
        ));
    }
}
