//! `/api/v1/reports`: submitting, reading, listing and every workflow action of SPEC section 4.

use crate::AppState;
use crate::api::dto::*;
use crate::api::view::{ReportSecret, messages_dto, report_dto};
use crate::auth::{ClientIp, Principal, Staff};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, WithFiles, store_files};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use tanggap_domain::{Channel, ReportKind, ReportStatus, Stage};
use tanggap_service::actions::VerifyInput;
use tanggap_service::{Action, ReportInput};
use tanggap_store::{NewAttachment, ReportFilter, ReportOrder};
use utoipa::IntoParams;

/// Submit a report. No login needed. Send JSON, or `multipart/form-data` with the same JSON in a
/// `data` part and up to 5 photos (JPEG, PNG, WebP) or PDFs in `attachments` parts.
///
/// With an `Idempotency-Key` header (any 1–255 visible ASCII characters, e.g. a UUID), a
/// retry of the same request with the same key within 24 hours stores nothing new and answers
/// the same tracking ID and secret, with `Idempotent-Replayed: true`; the same key with a
/// different request is refused (422).
#[utoipa::path(post, path = "/api/v1/reports", tag = "reports",
    request_body = SubmitReportRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes retries safe: the same key and request answer the first attempt's report")),
    responses((status = 201, description = "Stored; keep the secret", body = SubmittedResponse)))]
pub async fn submit_report(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    request_headers: HeaderMap,
    body: WithFiles<SubmitReportRequest>,
) -> ApiResult<impl IntoResponse> {
    let WithFiles { data, files } = body;
    let idempotency = match request_headers.get("idempotency-key") {
        None => None,
        Some(v) => Some(tanggap_service::idempotency::Idempotency {
            key: v
                .to_str()
                .map_err(|_| ApiError::field("Idempotency-Key", "invalid"))?
                .to_string(),
            request_hash: request_hash(&data, &files),
        }),
    };
    let channel = match data.channel.as_deref().map(str::trim) {
        None | Some("") => Channel::Api,
        Some(code) => match Channel::parse(code) {
            Some(ch @ (Channel::Api | Channel::Web | Channel::Telepon | Channel::TatapMuka)) => ch,
            Some(_) => return Err(ApiError::field("channel", "not_allowed")),
            None => return Err(ApiError::field("channel", "invalid")),
        },
    };
    if !matches!(channel, Channel::Telepon | Channel::TatapMuka) {
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
        inbound_id: None,
        attachments,
    };
    let submitted = match &idempotency {
        Some(key) => {
            state
                .services
                .submit_report_once(&principal.caller, input, key)
                .await?
        }
        None => {
            state
                .services
                .submit_report(&principal.caller, input)
                .await?
        }
    };
    let tid = submitted.tracking_id.to_string();
    let secret = submitted.secret.expose().to_string();
    let body = SubmittedResponse {
        tracking_url: format!("{}/lacak/{tid}?kunci={secret}", state.public_url),
        tracking_id: tid.clone(),
        secret,
        status: ReportStatus::Baru.as_str().into(),
        created_at: submitted.created_at,
    };
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/reports/{tid}")) {
        headers.insert(header::LOCATION, v);
    }
    if submitted.replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok((StatusCode::CREATED, headers, Json(body)))
}

/// What makes two submissions the same request: the JSON as parsed, and the files' contents.
fn request_hash(data: &SubmitReportRequest, files: &[tanggap_attachments::CleanFile]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(data).unwrap_or_default());
    for f in files {
        h.update(f.sha256.as_bytes());
        h.update(f.filename.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Read a report. The reporter sends the secret (`X-Report-Secret` or `?secret=`); staff are
/// logged in; anyone else sees a public report without personal data. Confidential reports need
/// the secret or staff access.
#[utoipa::path(get, path = "/api/v1/reports/{tracking_id}", tag = "reports",
    params(("tracking_id" = String, Path, description = "e.g. LG-4F7KQ2MZ8T"), ("X-Report-Secret" = Option<String>, Header, description = "the reporter's secret")),
    responses((status = 200, body = ReportDto)))]
pub async fn get_report(
    State(state): State<AppState>,
    ApiPath(tid): ApiPath<String>,
    principal: Principal,
    secret: ReportSecret,
    ip: ClientIp,
) -> ApiResult<Json<ReportDto>> {
    show(&state, &tid, &principal, &secret, &ip).await
}

/// The report as the caller may see it now. Lookups by people who are not logged in are rate
/// limited.
async fn show(
    state: &AppState,
    tid: &str,
    principal: &Principal,
    secret: &ReportSecret,
    ip: &ClientIp,
) -> ApiResult<Json<ReportDto>> {
    if principal.user().is_none() {
        state.limits.lookup(ip.0)?;
    }
    let detail = state
        .services
        .report_detail(&principal.caller, tid, secret.as_deref())
        .await?;
    Ok(Json(report_dto(&detail, state.services.now())))
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
    /// 1-based. Without login, `(page - 1) × per_page` may be at most 10,000.
    pub page: Option<u32>,
    /// 1 to 200, default 50.
    pub per_page: Option<u32>,
}

/// The deepest offset the public list serves.
pub const MAX_PUBLIC_OFFSET: u32 = 10_000;

fn bad_query(name: &str, value: &str, expected: &str) -> ApiError {
    ApiError::BadRequest(format!(
        "Query parameter `{name}={value}` is not valid: {expected}."
    ))
}

/// List and search reports. Staff see their scope (an agency its own and its sub-units'
/// assignments); without login only verified public reports are listed, at a limited rate per
/// address and no deeper than the 10,000th.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", params(ListQuery),
    responses((status = 200, body = ReportPage)))]
pub async fn list_reports(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<ReportPage>> {
    let public = principal.user().is_none();
    if public {
        state.limits.public_list(ip.0)?;
    }
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
    // Deep pages cost the database a scan of everything before them; the public gets the first
    // ten thousand reports of any search, and narrows the search for more.
    if public && f.offset > MAX_PUBLIC_OFFSET {
        return Err(bad_query(
            "page",
            &page.to_string(),
            &format!(
                "without login, (page - 1) × per_page may be at most {MAX_PUBLIC_OFFSET}; narrow the search instead"
            ),
        ));
    }
    let result = state
        .services
        .list_reports(&principal.caller, f, q.agency.as_deref())
        .await?;
    Ok(Json(ReportPage {
        items: result.items.iter().map(ReportSummaryDto::from).collect(),
        total: result.total,
        page,
        per_page,
    }))
}

/// Act on a report through the one use case, then answer with the report as the caller now
/// sees it.
async fn act(
    state: &AppState,
    tid: &str,
    principal: &Principal,
    secret: &ReportSecret,
    ip: &ClientIp,
    action: Action,
    attachments: Vec<NewAttachment>,
) -> ApiResult<Json<ReportDto>> {
    state
        .services
        .act(
            &principal.caller,
            tid,
            secret.as_deref(),
            action,
            attachments,
        )
        .await?;
    show(state, tid, principal, secret, ip).await
}

/// A staff action: no secret, no files.
async fn staff_act(
    state: &AppState,
    tid: &str,
    Staff(principal): &Staff,
    ip: &ClientIp,
    action: Action,
) -> ApiResult<Json<ReportDto>> {
    act(
        state,
        tid,
        principal,
        &ReportSecret::default(),
        ip,
        action,
        vec![],
    )
    .await
}

/// The desk verifies, corrects and classifies a report (operator).
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/verify", tag = "workflow", request_body = VerifyRequest,
    params(("tracking_id" = String, Path)),
    responses((status = 200, body = ReportDto)))]
pub async fn verify_report(
    State(state): State<AppState>,
    ApiPath(tid): ApiPath<String>,
    staff: Staff,
    ip: ClientIp,
    ApiJson(b): ApiJson<VerifyRequest>,
) -> ApiResult<Json<ReportDto>> {
    let input = VerifyInput {
        kind: b.kind,
        title: b.title,
        body: b.body,
        category: b.category,
        region_code: b.region_code,
        address: b.address,
        visibility: b.visibility.map(VisibilityInput::codes),
        needs_field_check: b.needs_field_check,
        confirm: b.verified,
    };
    staff_act(&state, &tid, &staff, &ip, Action::Verify(input)).await
}

/// Dispatch to one or more agencies: exactly one lead (`utama`), any number supporting (operator).
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/dispatch", tag = "workflow", request_body = DispatchRequest,
    params(("tracking_id" = String, Path)),
    responses((status = 200, body = ReportDto)))]
pub async fn dispatch_report(
    State(state): State<AppState>,
    ApiPath(tid): ApiPath<String>,
    staff: Staff,
    ip: ClientIp,
    ApiJson(b): ApiJson<DispatchRequest>,
) -> ApiResult<Json<ReportDto>> {
    let agencies = b
        .agencies
        .into_iter()
        .map(|t| (t.agency_id, t.role))
        .collect();
    staff_act(
        &state,
        &tid,
        &staff,
        &ip,
        Action::Dispatch {
            agencies,
            note: b.note,
            note_public: b.note_public,
            category: b.category,
        },
    )
    .await
}

/// Ask the reporter for information; completion clocks pause until they answer (desk or assigned agency).
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/questions", tag = "workflow", request_body = TextRequest,
    params(("tracking_id" = String, Path)),
    responses((status = 200, body = ReportDto)))]
pub async fn ask_reporter(
    State(state): State<AppState>,
    ApiPath(tid): ApiPath<String>,
    staff: Staff,
    ip: ClientIp,
    ApiJson(b): ApiJson<TextRequest>,
) -> ApiResult<Json<ReportDto>> {
    staff_act(
        &state,
        &tid,
        &staff,
        &ip,
        Action::AskReporter { text: b.text },
    )
    .await
}

/// The reporter answers or adds information (with optional photos, as multipart).
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/replies", tag = "reporter", request_body = TextRequest,
    params(("tracking_id" = String, Path), ("X-Report-Secret" = String, Header)),
    responses((status = 200, body = ReportDto)))]
pub async fn reporter_reply(
    State(state): State<AppState>,
    ApiPath(tid): ApiPath<String>,
    principal: Principal,
    secret: ReportSecret,
    ip: ClientIp,
    body: WithFiles<TextRequest>,
) -> ApiResult<Json<ReportDto>> {
    reporter_guard(&state, &principal, &secret, &ip)?;
    let attachments = store_files(&state, body.files).await?;
    act(
        &state,
        &tid,
        &principal,
        &secret,
        &ip,
        Action::Reply {
            text: body.data.text,
        },
        attachments,
    )
    .await
}

/// The reporter's own actions need the secret; tries without a login are rate limited like
/// lookups.
fn reporter_guard(
    state: &AppState,
    principal: &Principal,
    secret: &ReportSecret,
    ip: &ClientIp,
) -> ApiResult<()> {
    if secret.0.is_none() {
        return Err(ApiError::refused(
            tanggap_service::RefusalKind::Unauthenticated,
            "reporter_secret_required",
        ));
    }
    if principal.user().is_none() {
        state.limits.lookup(ip.0)?;
    }
    Ok(())
}

/// Link as a duplicate of a master report (operator).
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/duplicate", tag = "workflow", request_body = DuplicateRequest,
    params(("tracking_id" = String, Path)),
    responses((status = 200, body = ReportDto)))]
pub async fn mark_duplicate(
    State(state): State<AppState>,
    ApiPath(tid): ApiPath<String>,
    staff: Staff,
    ip: ClientIp,
    ApiJson(b): ApiJson<DuplicateRequest>,
) -> ApiResult<Json<ReportDto>> {
    staff_act(
        &state,
        &tid,
        &staff,
        &ip,
        Action::MarkDuplicate {
            master_tracking_id: b.master_tracking_id,
        },
    )
    .await
}

/// Archive with a reason: unclear, spam, out of scope (operator).
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/archive", tag = "workflow", request_body = ReasonRequest,
    params(("tracking_id" = String, Path)),
    responses((status = 200, body = ReportDto)))]
pub async fn archive_report(
    State(state): State<AppState>,
    ApiPath(tid): ApiPath<String>,
    staff: Staff,
    ip: ClientIp,
    ApiJson(b): ApiJson<ReasonRequest>,
) -> ApiResult<Json<ReportDto>> {
    staff_act(
        &state,
        &tid,
        &staff,
        &ip,
        Action::Archive { reason: b.reason },
    )
    .await
}

/// An agency posts progress: a stage and a note for the citizen, with optional photos (multipart).
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/assignments/{assignment_id}/updates", tag = "agency", request_body = StageUpdateRequest,
    params(("tracking_id" = String, Path), ("assignment_id" = i64, Path)),
    responses((status = 200, body = ReportDto)))]
pub async fn post_update(
    State(state): State<AppState>,
    ApiPath((tid, aid)): ApiPath<(String, i64)>,
    staff: Staff,
    ip: ClientIp,
    body: WithFiles<StageUpdateRequest>,
) -> ApiResult<Json<ReportDto>> {
    let attachments = store_files(&state, body.files).await?;
    let action = Action::PostUpdate {
        assignment_id: aid,
        stage: body.data.stage,
        note: body.data.note,
    };
    act(
        &state,
        &tid,
        &staff.0,
        &ReportSecret::default(),
        &ip,
        action,
        attachments,
    )
    .await
}

/// Return as not this agency's authority, with the reason; the report goes back to triage when
/// no agency is left on it.
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/assignments/{assignment_id}/return", tag = "agency", request_body = ReasonRequest,
    params(("tracking_id" = String, Path), ("assignment_id" = i64, Path)),
    responses((status = 200, body = ReportDto)))]
pub async fn return_assignment(
    State(state): State<AppState>,
    ApiPath((tid, aid)): ApiPath<(String, i64)>,
    staff: Staff,
    ip: ClientIp,
    ApiJson(b): ApiJson<ReasonRequest>,
) -> ApiResult<Json<ReportDto>> {
    let action = Action::ReturnAssignment {
        assignment_id: aid,
        reason: b.reason,
    };
    staff_act(&state, &tid, &staff, &ip, action).await
}

/// Forward to a sub-unit, which inherits the deadlines.
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/assignments/{assignment_id}/forward", tag = "agency", request_body = ForwardRequest,
    params(("tracking_id" = String, Path), ("assignment_id" = i64, Path)),
    responses((status = 200, body = ReportDto)))]
pub async fn forward_assignment(
    State(state): State<AppState>,
    ApiPath((tid, aid)): ApiPath<(String, i64)>,
    staff: Staff,
    ip: ClientIp,
    ApiJson(b): ApiJson<ForwardRequest>,
) -> ApiResult<Json<ReportDto>> {
    let action = Action::ForwardAssignment {
        assignment_id: aid,
        agency_id: b.agency_id,
        note: b.note,
    };
    staff_act(&state, &tid, &staff, &ip, action).await
}

/// The reporter confirms the outcome; the report closes.
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/confirm", tag = "reporter",
    params(("tracking_id" = String, Path), ("X-Report-Secret" = String, Header)),
    responses((status = 200, body = ReportDto)))]
pub async fn confirm_report(
    State(state): State<AppState>,
    ApiPath(tid): ApiPath<String>,
    principal: Principal,
    secret: ReportSecret,
    ip: ClientIp,
) -> ApiResult<Json<ReportDto>> {
    reporter_guard(&state, &principal, &secret, &ip)?;
    act(
        &state,
        &tid,
        &principal,
        &secret,
        &ip,
        Action::Confirm,
        vec![],
    )
    .await
}

/// The reporter rates the outcome: 1-5 and fixed / partly / not fixed.
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/rating", tag = "reporter", request_body = RatingRequest,
    params(("tracking_id" = String, Path), ("X-Report-Secret" = String, Header)),
    responses((status = 200, body = ReportDto)))]
pub async fn rate_report(
    State(state): State<AppState>,
    ApiPath(tid): ApiPath<String>,
    principal: Principal,
    secret: ReportSecret,
    ip: ClientIp,
    ApiJson(b): ApiJson<RatingRequest>,
) -> ApiResult<Json<ReportDto>> {
    reporter_guard(&state, &principal, &secret, &ip)?;
    let action = Action::Rate {
        score: b.score,
        outcome: b.outcome,
        comment: b.comment,
    };
    act(&state, &tid, &principal, &secret, &ip, action, vec![]).await
}

/// The reporter reopens a finished report; it goes back to the agency on a new response clock.
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/reopen", tag = "reporter", request_body = ReasonRequest,
    params(("tracking_id" = String, Path), ("X-Report-Secret" = String, Header)),
    responses((status = 200, body = ReportDto)))]
pub async fn reopen_report(
    State(state): State<AppState>,
    ApiPath(tid): ApiPath<String>,
    principal: Principal,
    secret: ReportSecret,
    ip: ClientIp,
    ApiJson(b): ApiJson<ReasonRequest>,
) -> ApiResult<Json<ReportDto>> {
    reporter_guard(&state, &principal, &secret, &ip)?;
    let action = Action::Reopen { reason: b.reason };
    act(&state, &tid, &principal, &secret, &ip, action, vec![]).await
}

/// Leadership adds an instruction (internal; pimpinan).
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/instructions", tag = "workflow", request_body = NoteRequest,
    params(("tracking_id" = String, Path)),
    responses((status = 200, body = ReportDto)))]
pub async fn add_instruction(
    State(state): State<AppState>,
    ApiPath(tid): ApiPath<String>,
    staff: Staff,
    ip: ClientIp,
    ApiJson(b): ApiJson<NoteRequest>,
) -> ApiResult<Json<ReportDto>> {
    staff_act(
        &state,
        &tid,
        &staff,
        &ip,
        Action::AddInstruction { note: b.note },
    )
    .await
}

/// The conversation with the reporter.
#[utoipa::path(get, path = "/api/v1/reports/{tracking_id}/messages", tag = "reports",
    params(("tracking_id" = String, Path), ("X-Report-Secret" = Option<String>, Header)),
    responses((status = 200, body = [MessageDto])))]
pub async fn list_messages(
    State(state): State<AppState>,
    ApiPath(tid): ApiPath<String>,
    principal: Principal,
    secret: ReportSecret,
    ip: ClientIp,
) -> ApiResult<Json<Vec<MessageDto>>> {
    if principal.user().is_none() {
        state.limits.lookup(ip.0)?;
    }
    let services = &state.services;
    let opened = services
        .open_report(&principal.caller, &tid, secret.as_deref())
        .await?;
    Ok(Json(messages_dto(&services.conversation(&opened).await?)))
}

/// Write to the reporter (desk or an assigned agency).
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/messages", tag = "workflow", request_body = TextRequest,
    params(("tracking_id" = String, Path)),
    responses((status = 200, body = ReportDto)))]
pub async fn message_reporter(
    State(state): State<AppState>,
    ApiPath(tid): ApiPath<String>,
    staff: Staff,
    ip: ClientIp,
    ApiJson(b): ApiJson<TextRequest>,
) -> ApiResult<Json<ReportDto>> {
    staff_act(
        &state,
        &tid,
        &staff,
        &ip,
        Action::MessageReporter { text: b.text },
    )
    .await
}

/// The report's audit trail (auditor).
#[utoipa::path(get, path = "/api/v1/reports/{tracking_id}/audit", tag = "reports",
    params(("tracking_id" = String, Path)),
    responses((status = 200, body = [AuditEventDto])))]
pub async fn report_audit(
    State(state): State<AppState>,
    ApiPath(tid): ApiPath<String>,
    Staff(principal): Staff,
) -> ApiResult<Json<Vec<AuditEventDto>>> {
    let services = &state.services;
    let opened = services.open_report(&principal.caller, &tid, None).await?;
    let events = services.report_audit(&opened).await?;
    Ok(Json(events.into_iter().map(AuditEventDto::from).collect()))
}

/// Download an attachment by its key. Staff who may read it and the reporter get the original;
/// anyone else only a file the desk published (or its redacted copy), of a public entry of a
/// verified public report. Anything else is 404.
#[utoipa::path(get, path = "/api/v1/attachments/{key}", tag = "reports",
    params(("key" = String, Path, description = "32 hex digits"), ("X-Report-Secret" = Option<String>, Header)),
    responses((status = 200, description = "The file", content_type = "application/octet-stream")))]
pub async fn get_attachment(
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
    principal: Principal,
    secret: ReportSecret,
    ip: ClientIp,
) -> ApiResult<impl IntoResponse> {
    if principal.user().is_none() {
        state.limits.lookup(ip.0)?;
    }
    let a = state
        .services
        .attachment(&principal.caller, &key, secret.as_deref())
        .await?;
    let id = &a.public_key;
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
    // A review can withdraw a file from the public: nothing may keep serving it.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok((headers, bytes))
}

/// The desk reviews an attachment before the public may see it: `publish` it as uploaded,
/// `hide` it, or `redact` it (a copy with the areas blacked out, re-encoded without metadata,
/// is what the public gets; staff and the reporter keep the original). Operator only.
#[utoipa::path(post, path = "/api/v1/attachments/{key}/review", tag = "workflow", request_body = ReviewRequest,
    params(("key" = String, Path, description = "32 hex digits")),
    responses((status = 200, body = AttachmentDto)))]
pub async fn review_attachment(
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
    Staff(principal): Staff,
    ApiJson(b): ApiJson<ReviewRequest>,
) -> ApiResult<Json<AttachmentDto>> {
    let input = tanggap_service::ReviewInput {
        decision: b.decision,
        areas: b
            .areas
            .iter()
            .map(|a| tanggap_store::Area {
                x: a.x,
                y: a.y,
                w: a.w,
                h: a.h,
            })
            .collect(),
    };
    let a = state
        .services
        .review_attachment(&principal.caller, &key, input, &state.attachments)
        .await?;
    Ok(Json(AttachmentDto::from(&a)))
}
