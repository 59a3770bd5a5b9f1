//! A reporter's personal-data requests under UU 27/2022, for the desk and the administrators:
//! everything held about the reporter of a report, a correction of their details, and
//! forgetting them (their reports and the figures stay).

use crate::AppState;
use crate::auth::Staff;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tanggap_service::privacy::{ReporterChange, ReporterExport};
use utoipa::ToSchema;

/// Everything held about the reporter of this report, all their reports included: their record,
/// chat addresses, reports, conversation, files (names and digests) and the messages sent to
/// them. Desk and administrators; the request is audited.
#[utoipa::path(get, path = "/api/v1/reports/{tracking_id}/reporter", tag = "admin",
    params(("tracking_id" = String, Path)),
    responses((status = 200, description = "The reporter's data (UU 27/2022)", body = Object)))]
pub async fn export_reporter(
    State(state): State<AppState>,
    ApiPath(tid): ApiPath<String>,
    Staff(principal): Staff,
) -> ApiResult<Json<ReporterExport>> {
    Ok(Json(
        state
            .services
            .export_reporter(&principal.caller, &tid)
            .await?,
    ))
}

/// A correction of the reporter's details; a field left out keeps its value, an empty string
/// clears it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReporterCorrectionBody {
    pub name: Option<String>,
    /// `08…`, `628…` or `+628…`.
    pub phone: Option<String>,
    pub email: Option<String>,
    /// 16 digits.
    pub nik: Option<String>,
}

/// Correct the reporter's details at their request (desk and administrators; audited with the
/// names of the fields changed, never their values).
#[utoipa::path(patch, path = "/api/v1/reports/{tracking_id}/reporter", tag = "admin",
    request_body = ReporterCorrectionBody, params(("tracking_id" = String, Path)),
    responses((status = 204, description = "Corrected")))]
pub async fn correct_reporter(
    State(state): State<AppState>,
    ApiPath(tid): ApiPath<String>,
    Staff(principal): Staff,
    ApiJson(b): ApiJson<ReporterCorrectionBody>,
) -> ApiResult<StatusCode> {
    let change = ReporterChange {
        name: b.name,
        phone: b.phone,
        email: b.email,
        nik: b.nik,
    };
    state
        .services
        .correct_reporter(&principal.caller, &tid, change)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What forgetting changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ForgottenDto {
    pub reports: usize,
    pub timeline_entries: usize,
    pub messages: usize,
    pub attachments: usize,
    pub notifications: usize,
}

/// Forget the reporter of this report: their name, phone, e-mail, NIK and chat addresses are
/// removed from their record and from every text of their reports, file names and messages sent
/// to them; messages not yet sent are not sent. Reports, figures and the audit trail stay.
#[utoipa::path(post, path = "/api/v1/reports/{tracking_id}/reporter/forget", tag = "admin",
    params(("tracking_id" = String, Path)),
    responses((status = 200, body = ForgottenDto)))]
pub async fn forget_reporter(
    State(state): State<AppState>,
    ApiPath(tid): ApiPath<String>,
    Staff(principal): Staff,
) -> ApiResult<Json<ForgottenDto>> {
    let f = state
        .services
        .forget_reporter(&principal.caller, &tid)
        .await?;
    Ok(Json(ForgottenDto {
        reports: f.reports,
        timeline_entries: f.timeline_entries,
        messages: f.messages,
        attachments: f.attachments,
        notifications: f.notifications,
    }))
}
