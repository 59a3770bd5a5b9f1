//! What the JSON API takes and returns. Codes are strings in the API (`"pengaduan"`,
//! `"menunggu_respon"`); the domain's enums are parsed from them at the edge.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use tanggap_service::ReporterInput;
use tanggap_store::{
    ActivityRecord, AssignmentRecord, AttachmentRecord, MessageRecord, ReportRecord,
};
use utoipa::ToSchema;

/// Visibility as one code or a list: `"publik"`, `"anonim"`, `["anonim", "rahasia"]`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum VisibilityInput {
    One(String),
    Many(Vec<String>),
}

impl VisibilityInput {
    pub fn codes(self) -> Vec<String> {
        match self {
            VisibilityInput::One(s) => vec![s],
            VisibilityInput::Many(v) => v,
        }
    }
}

/// The reporter's contact details; all optional unless the deployment requires contact.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReporterBody {
    pub name: Option<String>,
    /// `08…`, `628…` or `+628…`; stored as E.164.
    pub phone: Option<String>,
    pub email: Option<String>,
    /// 16 digits; shown to the complaint desk only.
    pub nik: Option<String>,
}

impl From<ReporterBody> for ReporterInput {
    fn from(r: ReporterBody) -> Self {
        ReporterInput {
            name: r.name,
            phone: r.phone,
            email: r.email,
            nik: r.nik,
        }
    }
}

/// A new report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitReportRequest {
    /// `pengaduan`, `aspirasi` or `permintaan_informasi`. (Missing fields are reported with the
    /// others as fields to fix.)
    #[serde(default)]
    #[schema(example = "pengaduan", required = true)]
    pub kind: String,
    /// At most 200 characters.
    #[serde(default)]
    #[schema(
        example = "Jalan provinsi berlubang di Ungaran",
        required = true,
        max_length = 200
    )]
    pub title: String,
    /// 10 to 10,000 characters.
    #[serde(default)]
    #[schema(required = true, min_length = 10, max_length = 10000)]
    pub body: String,
    /// The date of the incident, `YYYY-MM-DD`.
    pub occurred_on: Option<String>,
    /// A Kemendagri region code down to desa/kelurahan, e.g. `33.22.01.2001`.
    pub region_code: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// A category code (GET /api/v1/categories).
    pub category: Option<String>,
    /// `publik` (default), `anonim`, `rahasia`, or a list of `anonim` and `rahasia`.
    pub visibility: Option<VisibilityInput>,
    /// Show the reporter's name on the public site (ignored for `anonim`).
    #[serde(default)]
    pub show_reporter_name: bool,
    pub reporter: Option<ReporterBody>,
    /// For the complaint desk entering a report on a citizen's behalf: `telepon` or `tatap_muka`.
    pub channel: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubmittedResponse {
    #[schema(example = "LG-4F7KQ2MZ8T")]
    pub tracking_id: String,
    /// The reporter's secret, shown once: it opens the report and lets the reporter reply, rate
    /// and reopen. Send it as `X-Report-Secret` (or `?secret=`).
    pub secret: String,
    /// The reporter's private tracking link.
    pub tracking_url: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReporterDto {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub nik: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttachmentDto {
    /// The attachment's name in URLs: 128 random bits, 32 hex digits.
    #[schema(example = "3f5c0d0c6b1e4d8a9e2f7a1b2c3d4e5f")]
    pub key: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Download address. Staff and the reporter get the original; anyone else, once the desk
    /// reviewed it, the published file or its redacted copy.
    pub url: String,
    /// The desk's review: `pending`, `published`, `hidden` or `redacted`.
    pub review: String,
}

impl From<&AttachmentRecord> for AttachmentDto {
    fn from(a: &AttachmentRecord) -> Self {
        AttachmentDto {
            key: a.public_key.clone(),
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            size_bytes: a.size_bytes,
            url: format!("/api/v1/attachments/{}", a.public_key),
            review: a.review.as_str().into(),
        }
    }
}

/// One agency's part in a report and its clocks.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssignmentDto {
    pub id: i64,
    pub agency_id: String,
    pub agency_name: String,
    /// `utama` (lead) or `pendukung` (supporting).
    pub role: String,
    /// `menunggu_respon`, `verifikasi`, `cek_lapangan`, `pengerjaan`, `tuntas`, `bukan_wewenang`, `diteruskan`.
    pub stage: String,
    pub responded: bool,
    pub forwarded_from: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    /// The 1×24 h (or policy) first-response deadline.
    pub response_due_at: Option<DateTime<Utc>>,
    pub completion_due_at: Option<DateTime<Utc>>,
    pub tuntas_at: Option<DateTime<Utc>>,
    /// `pending`, `on_time`, `late` or `overdue` (no response and past the deadline).
    pub response_state: String,
}

impl AssignmentDto {
    pub fn new(a: &AssignmentRecord, now: DateTime<Utc>) -> Self {
        use tanggap_domain::metrics::{ResponseOutcome, classify_response};
        let response_state = match a.response_due_at {
            Some(due) => match classify_response(due, a.first_response_at, now) {
                ResponseOutcome::OnTime => "on_time",
                ResponseOutcome::Late => "late",
                ResponseOutcome::UnrespondedOverdue => "overdue",
                ResponseOutcome::NotYetDue => "pending",
            },
            None => "pending",
        };
        AssignmentDto {
            id: a.id,
            agency_id: a.agency_id.clone(),
            agency_name: a.agency_name.clone(),
            role: a.role.as_str().into(),
            stage: a.stage.as_str().into(),
            responded: a.responded,
            forwarded_from: a.forwarded_from,
            created_at: a.created_at,
            first_response_at: a.first_response_at,
            response_due_at: a.response_due_at,
            completion_due_at: a.completion_due_at,
            tuntas_at: a.tuntas_at,
            response_state: response_state.into(),
        }
    }
}

/// One line of the timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivityDto {
    pub id: i64,
    /// `submitted`, `dispatched`, `stage_update`, `returned`, `forwarded`, `status_changed`,
    /// `asked_reporter`, `reporter_replied`, `message_to_reporter`, `rated`, `reopened`, ...
    pub kind: String,
    pub assignment_id: Option<i64>,
    pub agency_id: Option<String>,
    pub stage: Option<String>,
    pub status: Option<String>,
    pub note: Option<String>,
    /// Who acted, as the viewer may know it: `pelapor`, `admin`, an agency, or a name for staff.
    pub by: String,
    pub created_at: DateTime<Utc>,
    pub attachments: Vec<AttachmentDto>,
    /// Who may read it: `public`, `conversation` (the reporter, the desk, and the assigned
    /// agencies unless the report is anonim) or `internal` (staff).
    pub audience: String,
    /// A conversation line the caller may not read: it shows that something was asked or
    /// answered; `note` and `attachments` are withheld.
    pub withheld: bool,
}

impl ActivityDto {
    pub fn new(
        a: &ActivityRecord,
        by: String,
        attachments: Vec<AttachmentDto>,
        withheld: bool,
    ) -> Self {
        ActivityDto {
            id: a.id,
            kind: a.kind.as_str().into(),
            assignment_id: a.assignment_id,
            agency_id: a.agency_id.clone(),
            stage: a.stage.map(|s| s.as_str().into()),
            status: a.status.map(|s| s.as_str().into()),
            note: a.note.clone(),
            by,
            created_at: a.created_at,
            attachments,
            audience: a.audience.as_str().into(),
            withheld,
        }
    }
}

/// A report as the caller may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportDto {
    pub tracking_id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub occurred_on: Option<NaiveDate>,
    pub region_code: Option<String>,
    pub address: Option<String>,
    /// Exact for staff and the reporter; rounded to 3 decimals (about 100 m) for the public, and
    /// absent for the public on anonim reports.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub category: Option<String>,
    pub channel: String,
    pub visibility: Vec<String>,
    pub needs_field_check: bool,
    pub status: String,
    /// The master report's tracking ID, for a duplicate.
    pub duplicate_of: Option<String>,
    pub archive_reason: Option<String>,
    pub rating: Option<u8>,
    pub outcome: Option<String>,
    /// Only for those who may read the conversation (the reporter, the desk, and the assigned
    /// agencies unless the report is anonim).
    pub rating_comment: Option<String>,
    pub reopen_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub selesai_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Present when the caller may know something of the reporter; withheld fields are null.
    pub reporter: Option<ReporterDto>,
    pub assignments: Vec<AssignmentDto>,
    pub timeline: Vec<ActivityDto>,
    /// Attachments of the submission itself (updates carry theirs in the timeline).
    pub attachments: Vec<AttachmentDto>,
}

impl ReportDto {
    pub fn base(r: &ReportRecord, duplicate_of: Option<String>) -> Self {
        ReportDto {
            tracking_id: r.tracking_id.to_string(),
            kind: r.kind.as_str().into(),
            title: r.title.clone(),
            body: r.body.clone(),
            occurred_on: r.occurred_on,
            region_code: r.region_code.clone(),
            address: r.address.clone(),
            latitude: r.latitude,
            longitude: r.longitude,
            category: r.category.clone(),
            channel: r.channel.as_str().into(),
            visibility: r.visibility.codes().into_iter().map(String::from).collect(),
            needs_field_check: r.needs_field_check,
            status: r.status.as_str().into(),
            duplicate_of,
            archive_reason: r.archive_reason.clone(),
            rating: r.rating,
            outcome: r.outcome.map(|o| o.as_str().into()),
            rating_comment: r.rating_comment.clone(),
            reopen_count: r.reopen_count,
            created_at: r.created_at,
            updated_at: r.updated_at,
            dispatched_at: r.dispatched_at,
            selesai_at: r.selesai_at,
            closed_at: r.closed_at,
            reporter: None,
            assignments: vec![],
            timeline: vec![],
            attachments: vec![],
        }
    }
}

/// A line of a report list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportSummaryDto {
    pub tracking_id: String,
    pub kind: String,
    pub title: String,
    pub status: String,
    pub category: Option<String>,
    pub region_code: Option<String>,
    pub channel: String,
    pub visibility: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&ReportRecord> for ReportSummaryDto {
    fn from(r: &ReportRecord) -> Self {
        ReportSummaryDto {
            tracking_id: r.tracking_id.to_string(),
            kind: r.kind.as_str().into(),
            title: r.title.clone(),
            status: r.status.as_str().into(),
            category: r.category.clone(),
            region_code: r.region_code.clone(),
            channel: r.channel.as_str().into(),
            visibility: r.visibility.codes().into_iter().map(String::from).collect(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportPage {
    pub items: Vec<ReportSummaryDto>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageDto {
    pub id: i64,
    pub channel: String,
    /// `inbound` (from the reporter) or `outbound` (to the reporter).
    pub direction: String,
    pub body: String,
    pub status: String,
    pub by: String,
    pub created_at: DateTime<Utc>,
}

impl MessageDto {
    pub fn new(m: &MessageRecord, by: String) -> Self {
        MessageDto {
            id: m.id,
            channel: m.channel.as_str().into(),
            direction: m.direction.as_str().into(),
            body: m.body.clone(),
            status: m.status.clone(),
            by,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEventDto {
    pub seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    /// JSON text of the values before the change.
    pub before: Option<String>,
    /// JSON text of the values after the change.
    pub after: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl From<tanggap_domain::audit::AuditEvent> for AuditEventDto {
    fn from(e: tanggap_domain::audit::AuditEvent) -> Self {
        AuditEventDto {
            seq: e.seq,
            occurred_at: e.occurred_at,
            actor: e.actor,
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id,
            before: e.before,
            after: e.after,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

// ----- workflow action bodies ------------------------------------------------------------------

/// Verification by the desk: any field left out keeps its value.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub kind: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub category: Option<String>,
    pub region_code: Option<String>,
    pub address: Option<String>,
    /// `publik`, `anonim`, `rahasia`, or a list of `anonim` and `rahasia`.
    pub visibility: Option<VisibilityInput>,
    pub needs_field_check: Option<bool>,
    /// Also record that the desk checked the report; with it, a request without edits is
    /// accepted.
    #[serde(default)]
    pub verified: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchTargetBody {
    pub agency_id: String,
    /// `utama` (exactly one lead per report) or `pendukung`.
    pub role: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchRequest {
    pub agencies: Vec<DispatchTargetBody>,
    /// For the agencies; the reporter and the public see it only with `note_public`.
    pub note: Option<String>,
    #[serde(default)]
    pub note_public: bool,
    /// Classify the report in this category first (a category code), e.g. when taking a
    /// routing suggestion.
    #[serde(default)]
    pub category: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextRequest {
    pub text: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DuplicateRequest {
    /// The tracking ID of the report this one repeats.
    pub master_tracking_id: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageUpdateRequest {
    /// `verifikasi`, `cek_lapangan`, `pengerjaan` or `tuntas`.
    pub stage: String,
    /// What the citizen should know.
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardRequest {
    /// A sub-unit of the assigned agency.
    pub agency_id: String,
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    /// 1 to 5.
    #[schema(minimum = 1, maximum = 5)]
    pub score: i64,
    /// `fixed`, `partly` or `not_fixed`.
    pub outcome: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    pub note: String,
}

/// An area to black out, in percent of the picture as shown (upright), from its top left corner.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AreaBody {
    #[schema(example = 10)]
    pub x: f64,
    #[schema(example = 20)]
    pub y: f64,
    #[schema(example = 30)]
    pub w: f64,
    #[schema(example = 15)]
    pub h: f64,
}

/// The desk's review of an attachment before the public sees it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// `publish` (as uploaded), `hide` (never public) or `redact` (a copy with `areas` blacked
    /// out; photos only).
    #[schema(example = "redact")]
    pub decision: String,
    /// For `redact`: 1 to 20 areas.
    #[serde(default)]
    pub areas: Vec<AreaBody>,
}
