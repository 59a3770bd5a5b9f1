//! `/api/v1/reports`: submitting, reading, listing and every workflow action of SPEC section 4.

use crate::AppState;
use crate::api::dto::*;
use crate::api::view::{Names, Opened, ReportSecret, open_report, report_dto};
use crate::auth::{ClientIp, Principal};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, WithFiles, store_files};
use crate::policy::{Permission, require};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use tanggap_domain::access::{ListScope, list_scope, publicly_listed};
use tanggap_domain::workflow::{Command, DispatchTarget, ReportEdit};
use tanggap_domain::{
    AssignmentRole, Channel, Outcome, ReportKind, ReportStatus, Stage, Visibility,
};
use tanggap_service::ReportInput;
use tanggap_store::{NewAttachment, ReportFilter, ReportOrder};
use utoipa::IntoParams;

/// Submit a report. No login needed. Send JSON, or `multipart/form-data` with the same JSON in a
/// `data` part and up to 5 photos (JPEG, PNG, WebP) or PDFs in `attachments` parts.
#[utoipa::path(post, path = "/api/v1/reports", tag = "reports",
    request_body = SubmitReportRequest,
    responses(
        (status = 201, description = "Stored; keep the secret", body = SubmittedResponse),
        (status = 400, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem),
        (status = 422, description = "Fields to fix", body = Problem), (status = 429, body = Problem),
    ))]
pub async fn submit_report(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    body: WithFiles<SubmitReportRequest>,
) -> ApiResult<impl IntoResponse> {
    let WithFiles { data, files } = body;
    let mut entered_by = None;
    let channel = match data.channel.as_deref() {
        None | Some("") => Channel::Api,
        Some(code) => {
            let ch = Channel::parse(code).ok_or_else(|| {
                ApiError::field(
                    "channel",
                    "invalid",
                    "Kanal tidak dikenal.",
                    "Unknown channel.",
                )
            })?;
            if matches!(ch, Channel::Telepon | Channel::TatapMuka) {
                let user = principal.require_user()?;
                require(user, Permission::EnterReportOnBehalf)?;
                entered_by = Some(user.id);
            } else if ch != Channel::Api && ch != Channel::Web {
                return Err(ApiError::field(
                    "channel",
                    "invalid",
                    "Kanal ini tidak bisa dipilih lewat API.",
                    "This channel cannot be chosen through the API.",
                ));
            }
            ch
        }
    };
    if entered_by.is_none() {
        state.limits.submit(ip.0)?;
    }
    let attachments = store_files(&state, files).await?;
    let input = ReportInput {
        kind: data.kind,
        title: data.title,
        body: data.body,
        occurred_on: data.occurred_on,
        region_code: data.region_code,
        address: data.address,
        latitude: data.latitude,
        longitude: data.longitude,
        category: data.category,
        visibility: data
            .visibility
            .map(VisibilityInput::codes)
            .unwrap_or_default(),
        show_reporter_name: data.show_reporter_name,
        reporter: data.reporter.unwrap_or_default().into(),
        channel,
        channel_address: None,
        entered_by,
        attachments,
    };
    let submitted = state.services.submit_report(input).await?;
    let report = state
        .services
        .store
        .report(submitted.id)
        .await?
        .ok_or_else(|| ApiError::Internal("report vanished after submit".into()))?;
    let tid = submitted.tracking_id.to_string();
    let secret = submitted.secret.expose().to_string();
    let body = SubmittedResponse {
        tracking_url: format!("{}/lacak/{tid}?kunci={secret}", state.public_url),
        tracking_id: tid.clone(),
        secret,
        status: report.status.as_str().into(),
        created_at: report.created_at,
    };
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/reports/{tid}")) {
        headers.insert(header::LOCATION, v);
    }
    Ok((StatusCode::CREATED, headers, Json(body)))
}

/// Read a report. The reporter sends the secret (`X-Report-Secret` or `?secret=`); staff are
/// logged in; anyone else sees a public report without personal data. Confidential reports need
/// the secret or staff access.
#[utoipa::path(get, path = "/api/v1/reports/{tracking_id}", tag = "reports",
    params(("tracking_id" = String, Path, description = "e.g. LG-4F7KQ2MZ8T"), ("X-Report-Secret" = Option<String>, Header, description = "the reporter's secret")),
    responses((status = 200, body = ReportDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn get_report(
    State(state): State<AppState>,
    Path(tid): Path<String>,
    principal: Principal,
    secret: ReportSecret,
    ip: ClientIp,
) -> ApiResult<Json<ReportDto>> {
    let opened = open_report(&state, &tid, &principal, &secret, &ip).await?;
    Ok(Json(report_dto(&state, &opened).await?))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Comma-separated statuses, e.g. `baru,didisposisikan`.
    pub status: Option<String>,
    /// Reports with an assignment at this stage.
    pub stage: Option<String>,
    /// Reports assigned to this agency.
    pub agency: Option<String>,
    pub category: Option<String>,
    /// A region code; matches it and every region below it.
    pub region: Option<String>,
    pub channel: Option<String>,
    pub kind: Option<String>,
    /// Received on or after this date (`YYYY-MM-DD`, policy time zone).
    pub from: Option<String>,
    /// Received on or before this date.
    pub to: Option<String>,
    /// Only reports with an overdue response or completion deadline.
    pub overdue: Option<bool>,
    /// Words to find in title and body.
    pub q: Option<String>,
    /// `newest` (default) or `oldest`.
    pub order: Option<String>,
    /// 1-based.
    pub page: Option<u32>,
    /// 1 to 200, default 50.
    pub per_page: Option<u32>,
}

fn bad_query(name: &str, value: &str, expected: &str) -> ApiError {
    ApiError::BadRequest(format!(
        "Query parameter `{name}={value}` is not valid: {expected}."
    ))
}

/// List and search reports. Staff see their scope (an agency its own and its sub-units'
/// assignments); without login only verified public reports are listed.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", params(ListQuery),
    responses((status = 200, body = ReportPage), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn list_reports(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<ReportPage>> {
    let tree = state.services.agency_tree().await?;
    let (_, calendar) = state.services.policy_and_calendar().await?;
    let mut f = ReportFilter::default();
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
        for code in s.split(',') {
            f.statuses
                .push(ReportStatus::parse(code.trim()).ok_or_else(|| {
                    bad_query(
                        "status",
                        code,
                        "use report status codes such as baru or diproses",
                    )
                })?);
        }
    }
    if let Some(s) = q.stage.as_deref() {
        f.stage =
            Some(Stage::parse(s).ok_or_else(|| {
                bad_query("stage", s, "use a stage code such as menunggu_respon")
            })?);
    }
    if let Some(c) = q.channel.as_deref() {
        f.channel = Some(
            Channel::parse(c)
                .ok_or_else(|| bad_query("channel", c, "use a channel code such as whatsapp"))?,
        );
    }
    if let Some(k) = q.kind.as_deref() {
        f.kind =
            Some(ReportKind::parse(k).ok_or_else(|| {
                bad_query("kind", k, "pengaduan, aspirasi or permintaan_informasi")
            })?);
    }
    let day_start = |name: &str, s: &str, plus_days: u64| -> ApiResult<chrono::DateTime<Utc>> {
        let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| bad_query(name, s, "use YYYY-MM-DD"))?;
        let d = d
            .checked_add_days(chrono::Days::new(plus_days))
            .ok_or_else(|| bad_query(name, s, "date out of range"))?;
        Ok(calendar.start_of_day(d))
    };
    if let Some(s) = q.from.as_deref() {
        f.created_from = Some(day_start("from", s, 0)?);
    }
    if let Some(s) = q.to.as_deref() {
        f.created_to = Some(day_start("to", s, 1)?);
    }
    if let Some(r) = q.region.as_deref() {
        if !tanggap_domain::Region::is_valid_code(r) {
            return Err(bad_query("region", r, "use a region code such as 33.22"));
        }
        f.region = Some(r.to_string());
    }
    f.category = q.category.clone().filter(|c| !c.is_empty());
    f.text = q.q.clone().filter(|t| !t.trim().is_empty());
    if q.overdue == Some(true) {
        f.overdue_at = Some(state.services.now());
    }
    f.order = match q.order.as_deref() {
        None | Some("newest") => ReportOrder::NewestFirst,
        Some("oldest") => ReportOrder::OldestFirst,
        Some(o) => return Err(bad_query("order", o, "newest or oldest")),
    };
    let per_page = q.per_page.unwrap_or(50);
    if !(1..=200).contains(&per_page) {
        return Err(bad_query("per_page", &per_page.to_string(), "1 to 200"));
    }
    let page = q.page.unwrap_or(1).max(1);
    f.limit = per_page;
    f.offset = (page - 1).saturating_mul(per_page);
    match list_scope(principal.viewer(), &tree) {
        ListScope::Everything => f.agency_ids = q.agency.clone().map(|a| tree.subtree(&a)),
        ListScope::Agencies(mine) => {
            f.agency_ids = Some(match &q.agency {
                Some(a) if mine.contains(a) => tree.subtree(a),
                Some(a) => {
                    return Err(ApiError::Forbidden(format!(
                        "Agency `{a}` is outside your agency's scope."
                    )));
                }
                None => mine,
            });
        }
        ListScope::PublicOnly => {
            f.public_only = true;
            f.agency_ids = q.agency.clone().map(|a| tree.subtree(&a));
            let listed: Vec<ReportStatus> = ReportStatus::ALL
                .iter()
                .copied()
                .filter(|s| publicly_listed(*s))
                .collect();
            f.statuses = if f.statuses.is_empty() {
                listed
            } else {
                f.statuses
                    .into_iter()
                    .filter(|s| listed.contains(s))
                    .collect()
            };
            if f.statuses.is_empty() {
                return Ok(Json(ReportPage {
                    items: vec![],
                    total: 0,
                    page,
                    per_page,
                }));
            }
        }
        ListScope::Nothing => {
            return Err(ApiError::Forbidden(
                "Your role does not read reports.".into(),
            ));
        }
    }
    let result = state.services.store.list_reports(&f).await?;
    Ok(Json(ReportPage {
        items: result.items.iter().map(ReportSummaryDto::from).collect(),
        total: result.total,
        page,
        per_page,
    }))
}

/// Run a staff command on an opened report and answer with the report as the caller now sees it.
async fn staff_command(
    state: &AppState,
    tid: &str,
    principal: &Principal,
    ip: &ClientIp,
    attachments: Vec<NewAttachment>,
    build: impl FnOnce(&Opened) -> ApiResult<Command>,
) -> ApiResult<Json<ReportDto>> {
    let actor = principal.actor().ok_or_else(|| {
        principal
            .require_user()
            .err()
            .unwrap_or(ApiError::Unauthorized("log in".into()))
    })?;
    let opened = open_report(state, tid, principal, &ReportSecret::default(), ip).await?;
    let command = build(&opened)?;
    state
        .services
        .execute(opened.report.id, &actor, command, attachments)
        .await?;
    reload(state, tid, principal, &ReportSecret::default(), ip).await
}

async fn reporter_command(
    state: &AppState,
    tid: &str,
    principal: &Principal,
    secret: &ReportSecret,
    ip: &ClientIp,
    attachments: Vec<NewAttachment>,
    command: Command,
) -> ApiResult<Json<ReportDto>> {
    if secret.0.is_none() {
        return Err(ApiError::Unauthorized(
            "Only the reporter may do this: send the report's secret in `X-Report-Secret`.".into(),
        ));
    }
    let opened = open_report(state, tid, principal, secret, ip).await?;
    let actor = opened.reporter_actor()?;
    state
        .services
        .execute(opened.report.id, &actor, command, attachments)
        .await?;
    reload(state, tid, principal, secret, ip).await
}

async fn reload(
    state: &AppState,
    tid: &str,
    principal: &Principal,
    secret: &ReportSecret,
    ip: &ClientIp,
) -> ApiResult<Json<ReportDto>> {
    let opened = open_report(state, tid, principal, secret, ip).await?;
    Ok(Json(report_dto(state, &opened).await?))
}

fn visibility(v: Option<VisibilityInput>) -> ApiResult<Option<Visibility>> {
    v.map(|v| {
        let codes = v.codes();
        Visibility::from_codes(codes.iter().map(String::as_str)).map_err(|e| {
            ApiError::field(
                "visibility",
                "invalid",
                "Pilihan kerahasiaan tidak dikenal.",
                &e.to_string(),
            )
        })
    })
    .transpose()
}

fn assignment_of(opened: &Opened, id: i64) -> ApiResult<()> {
    if opened.assignments.iter().any(|a| a.id == id) {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!(
            "Assignment {id} is not part of this report."
        )))
    }
}

/// The desk verifies, corrects and classifies a report (operator).
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/verify", tag = "workflow", request_body = VerifyRequest,
    params(("tracking_id" = String, Path)),
    responses((status = 200, body = ReportDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, description = "Not possible in this status", body = Problem), (status = 422, body = Problem)))]
pub async fn verify_report(
    State(state): State<AppState>,
    Path(tid): Path<String>,
    principal: Principal,
    ip: ClientIp,
    ApiJson(b): ApiJson<VerifyRequest>,
) -> ApiResult<Json<ReportDto>> {
    let kind = b
        .kind
        .as_deref()
        .map(|k| {
            ReportKind::parse(k).ok_or_else(|| {
                ApiError::field(
                    "kind",
                    "invalid",
                    "Jenis laporan tidak dikenal.",
                    "Unknown kind.",
                )
            })
        })
        .transpose()?;
    let region = b.region_code.clone();
    if let Some(r) = &region
        && state.services.store.region(r).await?.is_none()
    {
        return Err(ApiError::field(
            "region_code",
            "unknown",
            "Wilayah tidak ditemukan.",
            "Unknown region.",
        ));
    }
    if let Some(c) = &b.category
        && !state
            .services
            .store
            .categories()
            .await?
            .iter()
            .any(|x| &x.code == c)
    {
        return Err(ApiError::field(
            "category",
            "unknown",
            "Kategori tidak dikenal.",
            "Unknown category.",
        ));
    }
    let edit = ReportEdit {
        kind,
        title: b.title.map(|t| t.trim().to_string()),
        body: b.body.map(|t| t.trim().to_string()),
        category: b.category,
        region_code: region,
        address: b.address,
        visibility: visibility(b.visibility)?,
        needs_field_check: b.needs_field_check,
    };
    if edit
        .title
        .as_ref()
        .is_some_and(|t| t.chars().count() > tanggap_service::reports::MAX_TITLE_CHARS)
    {
        return Err(ApiError::field(
            "title",
            "too_long",
            "Judul terlalu panjang.",
            "The title is too long.",
        ));
    }
    if edit
        .body
        .as_ref()
        .is_some_and(|t| t.chars().count() > tanggap_service::reports::MAX_BODY_CHARS)
    {
        return Err(ApiError::field(
            "body",
            "too_long",
            "Isi laporan terlalu panjang.",
            "The body is too long.",
        ));
    }
    staff_command(&state, &tid, &principal, &ip, vec![], |_| {
        Ok(Command::Verify { edit })
    })
    .await
}

/// Dispatch to one or more agencies: exactly one lead (`utama`), any number supporting (operator).
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/dispatch", tag = "workflow", request_body = DispatchRequest,
    params(("tracking_id" = String, Path)),
    responses((status = 200, body = ReportDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn dispatch_report(
    State(state): State<AppState>,
    Path(tid): Path<String>,
    principal: Principal,
    ip: ClientIp,
    ApiJson(b): ApiJson<DispatchRequest>,
) -> ApiResult<Json<ReportDto>> {
    let targets = b
        .agencies
        .into_iter()
        .map(|t| {
            let role = AssignmentRole::parse(&t.role).ok_or_else(|| {
                ApiError::field(
                    "agencies.role",
                    "invalid",
                    "Peran instansi: utama atau pendukung.",
                    "Role is utama or pendukung.",
                )
            })?;
            Ok(DispatchTarget {
                agency_id: t.agency_id,
                role,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    staff_command(&state, &tid, &principal, &ip, vec![], |_| {
        Ok(Command::Dispatch {
            targets,
            note: b.note,
        })
    })
    .await
}

/// Ask the reporter for information; completion clocks pause until they answer (desk or assigned agency).
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/questions", tag = "workflow", request_body = TextRequest,
    params(("tracking_id" = String, Path)),
    responses((status = 200, body = ReportDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn ask_reporter(
    State(state): State<AppState>,
    Path(tid): Path<String>,
    principal: Principal,
    ip: ClientIp,
    ApiJson(b): ApiJson<TextRequest>,
) -> ApiResult<Json<ReportDto>> {
    staff_command(&state, &tid, &principal, &ip, vec![], |_| {
        Ok(Command::AskReporter { question: b.text })
    })
    .await
}

/// The reporter answers or adds information (with optional photos, as multipart).
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/replies", tag = "reporter", request_body = TextRequest,
    params(("tracking_id" = String, Path), ("X-Report-Secret" = String, Header)),
    responses((status = 200, body = ReportDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn reporter_reply(
    State(state): State<AppState>,
    Path(tid): Path<String>,
    principal: Principal,
    secret: ReportSecret,
    ip: ClientIp,
    body: WithFiles<TextRequest>,
) -> ApiResult<Json<ReportDto>> {
    let attachments = store_files(&state, body.files).await?;
    reporter_command(
        &state,
        &tid,
        &principal,
        &secret,
        &ip,
        attachments,
        Command::ReporterReply {
            text: body.data.text,
        },
    )
    .await
}

/// Link as a duplicate of a master report (operator).
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/duplicate", tag = "workflow", request_body = DuplicateRequest,
    params(("tracking_id" = String, Path)),
    responses((status = 200, body = ReportDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn mark_duplicate(
    State(state): State<AppState>,
    Path(tid): Path<String>,
    principal: Principal,
    ip: ClientIp,
    ApiJson(b): ApiJson<DuplicateRequest>,
) -> ApiResult<Json<ReportDto>> {
    principal.require_user()?;
    let master_tid = tanggap_domain::TrackingId::parse(&b.master_tracking_id).map_err(|_| {
        ApiError::field(
            "master_tracking_id",
            "invalid",
            "Nomor laporan tidak valid.",
            "Not a tracking ID.",
        )
    })?;
    let master = state
        .services
        .store
        .report_by_tracking_id(&master_tid)
        .await?
        .ok_or_else(|| {
            ApiError::field(
                "master_tracking_id",
                "unknown",
                "Laporan induk tidak ditemukan.",
                "The master report does not exist.",
            )
        })?;
    staff_command(&state, &tid, &principal, &ip, vec![], |_| {
        Ok(Command::MarkDuplicate {
            master_id: master.id,
            master_is_open: true,
        })
    })
    .await
}

/// Archive with a reason: unclear, spam, out of scope (operator).
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/archive", tag = "workflow", request_body = ReasonRequest,
    params(("tracking_id" = String, Path)),
    responses((status = 200, body = ReportDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn archive_report(
    State(state): State<AppState>,
    Path(tid): Path<String>,
    principal: Principal,
    ip: ClientIp,
    ApiJson(b): ApiJson<ReasonRequest>,
) -> ApiResult<Json<ReportDto>> {
    staff_command(&state, &tid, &principal, &ip, vec![], |_| {
        Ok(Command::Archive { reason: b.reason })
    })
    .await
}

/// An agency posts progress: a stage and a note for the citizen, with optional photos (multipart).
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/assignments/{assignment_id}/updates", tag = "agency", request_body = StageUpdateRequest,
    params(("tracking_id" = String, Path), ("assignment_id" = i64, Path)),
    responses((status = 200, body = ReportDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn post_update(
    State(state): State<AppState>,
    Path((tid, aid)): Path<(String, i64)>,
    principal: Principal,
    ip: ClientIp,
    body: WithFiles<StageUpdateRequest>,
) -> ApiResult<Json<ReportDto>> {
    let stage = Stage::parse(&body.data.stage).ok_or_else(|| {
        ApiError::field("stage", "invalid", "Tahap tidak dikenal.", "Unknown stage.")
    })?;
    principal.require_user()?;
    let attachments = store_files(&state, body.files).await?;
    let note = body.data.note;
    staff_command(&state, &tid, &principal, &ip, attachments, |o| {
        assignment_of(o, aid)?;
        Ok(Command::PostUpdate {
            assignment_id: aid,
            stage,
            note,
        })
    })
    .await
}

/// Return as not this agency's authority, with the reason; the report goes back to triage when
/// no agency is left on it.
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/assignments/{assignment_id}/return", tag = "agency", request_body = ReasonRequest,
    params(("tracking_id" = String, Path), ("assignment_id" = i64, Path)),
    responses((status = 200, body = ReportDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn return_assignment(
    State(state): State<AppState>,
    Path((tid, aid)): Path<(String, i64)>,
    principal: Principal,
    ip: ClientIp,
    ApiJson(b): ApiJson<ReasonRequest>,
) -> ApiResult<Json<ReportDto>> {
    staff_command(&state, &tid, &principal, &ip, vec![], |o| {
        assignment_of(o, aid)?;
        Ok(Command::ReturnNotAuthority {
            assignment_id: aid,
            reason: b.reason,
        })
    })
    .await
}

/// Forward to a sub-unit, which inherits the deadlines.
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/assignments/{assignment_id}/forward", tag = "agency", request_body = ForwardRequest,
    params(("tracking_id" = String, Path), ("assignment_id" = i64, Path)),
    responses((status = 200, body = ReportDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn forward_assignment(
    State(state): State<AppState>,
    Path((tid, aid)): Path<(String, i64)>,
    principal: Principal,
    ip: ClientIp,
    ApiJson(b): ApiJson<ForwardRequest>,
) -> ApiResult<Json<ReportDto>> {
    staff_command(&state, &tid, &principal, &ip, vec![], |o| {
        assignment_of(o, aid)?;
        Ok(Command::Forward {
            assignment_id: aid,
            to_agency_id: b.agency_id,
            note: b.note,
        })
    })
    .await
}

/// The reporter confirms the outcome; the report closes.
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/confirm", tag = "reporter",
    params(("tracking_id" = String, Path), ("X-Report-Secret" = String, Header)),
    responses((status = 200, body = ReportDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn confirm_report(
    State(state): State<AppState>,
    Path(tid): Path<String>,
    principal: Principal,
    secret: ReportSecret,
    ip: ClientIp,
) -> ApiResult<Json<ReportDto>> {
    reporter_command(
        &state,
        &tid,
        &principal,
        &secret,
        &ip,
        vec![],
        Command::Confirm,
    )
    .await
}

/// The reporter rates the outcome: 1-5 and fixed / partly / not fixed.
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/rating", tag = "reporter", request_body = RatingRequest,
    params(("tracking_id" = String, Path), ("X-Report-Secret" = String, Header)),
    responses((status = 200, body = ReportDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn rate_report(
    State(state): State<AppState>,
    Path(tid): Path<String>,
    principal: Principal,
    secret: ReportSecret,
    ip: ClientIp,
    ApiJson(b): ApiJson<RatingRequest>,
) -> ApiResult<Json<ReportDto>> {
    let outcome = Outcome::parse(&b.outcome).ok_or_else(|| {
        ApiError::field(
            "outcome",
            "invalid",
            "Pilih: fixed, partly atau not_fixed.",
            "Use fixed, partly or not_fixed.",
        )
    })?;
    reporter_command(
        &state,
        &tid,
        &principal,
        &secret,
        &ip,
        vec![],
        Command::Rate {
            score: b.score,
            outcome,
            comment: b.comment,
        },
    )
    .await
}

/// The reporter reopens a finished report; it goes back to the agency on a new response clock.
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/reopen", tag = "reporter", request_body = ReasonRequest,
    params(("tracking_id" = String, Path), ("X-Report-Secret" = String, Header)),
    responses((status = 200, body = ReportDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn reopen_report(
    State(state): State<AppState>,
    Path(tid): Path<String>,
    principal: Principal,
    secret: ReportSecret,
    ip: ClientIp,
    ApiJson(b): ApiJson<ReasonRequest>,
) -> ApiResult<Json<ReportDto>> {
    reporter_command(
        &state,
        &tid,
        &principal,
        &secret,
        &ip,
        vec![],
        Command::Reopen { reason: b.reason },
    )
    .await
}

/// Leadership adds an instruction (internal; pimpinan).
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/instructions", tag = "workflow", request_body = NoteRequest,
    params(("tracking_id" = String, Path)),
    responses((status = 200, body = ReportDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn add_instruction(
    State(state): State<AppState>,
    Path(tid): Path<String>,
    principal: Principal,
    ip: ClientIp,
    ApiJson(b): ApiJson<NoteRequest>,
) -> ApiResult<Json<ReportDto>> {
    staff_command(&state, &tid, &principal, &ip, vec![], |_| {
        Ok(Command::AddInstruction { note: b.note })
    })
    .await
}

/// The conversation with the reporter.
#[utoipa::path(get, path = "/api/v1/reports/{tracking_id}/messages", tag = "reports",
    params(("tracking_id" = String, Path), ("X-Report-Secret" = Option<String>, Header)),
    responses((status = 200, body = [MessageDto]), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list_messages(
    State(state): State<AppState>,
    Path(tid): Path<String>,
    principal: Principal,
    secret: ReportSecret,
    ip: ClientIp,
) -> ApiResult<Json<Vec<MessageDto>>> {
    let opened = open_report(&state, &tid, &principal, &secret, &ip).await?;
    if !opened.disclosure.conversation {
        return Err(ApiError::Forbidden(
            "The conversation is visible to the reporter and the staff handling the report only."
                .into(),
        ));
    }
    let messages = state.services.store.messages(opened.report.id).await?;
    let names = Names::load(
        &state,
        principal.user().is_some(),
        messages.iter().map(|m| m.author.as_str()),
        opened.agency_names(),
    )
    .await?;
    Ok(Json(
        messages
            .iter()
            .map(|m| MessageDto::new(m, names.label(&m.author, None)))
            .collect(),
    ))
}

/// Write to the reporter (desk or an assigned agency).
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/messages", tag = "workflow", request_body = TextRequest,
    params(("tracking_id" = String, Path)),
    responses((status = 200, body = ReportDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn message_reporter(
    State(state): State<AppState>,
    Path(tid): Path<String>,
    principal: Principal,
    ip: ClientIp,
    ApiJson(b): ApiJson<TextRequest>,
) -> ApiResult<Json<ReportDto>> {
    staff_command(&state, &tid, &principal, &ip, vec![], |_| {
        Ok(Command::MessageReporter { text: b.text })
    })
    .await
}

/// The report's audit trail (auditor).
#[utoipa::path(get, path = "/api/v1/reports/{tracking_id}/audit", tag = "reports",
    params(("tracking_id" = String, Path)),
    responses((status = 200, body = [AuditEventDto]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn report_audit(
    State(state): State<AppState>,
    Path(tid): Path<String>,
    principal: Principal,
    ip: ClientIp,
) -> ApiResult<Json<Vec<AuditEventDto>>> {
    principal.require_user()?;
    let opened = open_report(&state, &tid, &principal, &ReportSecret::default(), &ip).await?;
    if !opened.disclosure.audit_trail {
        return Err(ApiError::Forbidden(
            "The audit trail is for the inspectorate (auditor role).".into(),
        ));
    }
    let events = state
        .services
        .store
        .audit_for_object("report", &opened.report.id.to_string())
        .await?;
    Ok(Json(events.into_iter().map(AuditEventDto::from).collect()))
}

/// Download an attachment (same access as its report).
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "reports",
    params(("id" = i64, Path), ("X-Report-Secret" = Option<String>, Header)),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_attachment(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    principal: Principal,
    secret: ReportSecret,
    ip: ClientIp,
) -> ApiResult<impl IntoResponse> {
    let store = &state.services.store;
    let a = store
        .attachment(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No attachment {id}.")))?;
    let report = store
        .report(a.report_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No attachment {id}.")))?;
    let opened = open_report(
        &state,
        report.tracking_id.as_str(),
        &principal,
        &secret,
        &ip,
    )
    .await?;
    // Internal timeline entries' files follow their entries.
    if let Some(act) = a.activity_id {
        let internal = store
            .activities(opened.report.id)
            .await?
            .into_iter()
            .any(|x| x.id == act && !x.public);
        if internal && !opened.disclosure.internal {
            return Err(ApiError::Forbidden(
                "This file belongs to an internal note.".into(),
            ));
        }
    }
    let disk = state.attachments.clone();
    let key = a.storage_key.clone();
    let bytes = tokio::task::spawn_blocking(move || disk.get(&key))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(format!("attachment {id}: {e}")))?;
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&a.content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    let safe_name: String = a
        .filename
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{safe_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'; img-src 'self'"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    Ok((headers, bytes))
}
