//! `/api/v1/compliance`: the accountability figures of SPEC section 6 for a period, per agency,
//! with the heads named and the lalai tracking IDs as evidence. The dashboards and the reports
//! read the same computation (`Services::compliance`).

use crate::AppState;
use crate::auth::Staff;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use tanggap_domain::compliance::{AgencyFigures, Period};
use tanggap_domain::policy::Permission;
use tanggap_service::compliance::{AgencyLine, Scope};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplianceQuery {
    /// First day (`YYYY-MM-DD`, in the policy's time zone); with `to`. Default: the current
    /// quarter.
    pub from: Option<String>,
    /// Last day, included.
    pub to: Option<String>,
    /// Only this agency and its sub-units.
    pub agency: Option<String>,
}

/// One agency's figures (SPEC section 6). Rates are `null` when nothing is due yet.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyComplianceDto {
    pub agency_id: String,
    pub agency_name: String,
    /// Response obligations started in the period (one agency, one cycle).
    pub received: u64,
    pub on_time: u64,
    pub late: u64,
    pub unresponded_overdue: u64,
    pub not_yet_due: u64,
    pub cancelled: u64,
    /// on time / (on time + late + unresponded overdue).
    pub compliance: Option<f64>,
    /// late + unresponded overdue.
    pub lalai: u64,
    pub median_response_secs: Option<i64>,
    pub p90_response_secs: Option<i64>,
    pub completion_on_target: u64,
    pub completion_late: u64,
    pub completion_open_overdue: u64,
    /// Assignments the reporter reopened after the agency finished.
    pub reopened: u64,
    pub satisfaction_avg: Option<f64>,
    pub fixed: u64,
    pub partly: u64,
    pub not_fixed: u64,
    /// The head in office at the end of the period (or now).
    pub head_name: Option<String>,
    pub head_position: Option<String>,
    pub lalai_tracking_ids: Vec<String>,
}

impl AgencyComplianceDto {
    fn new(
        id: String,
        name: String,
        head: Option<(String, Option<String>)>,
        f: &AgencyFigures,
    ) -> Self {
        let (head_name, head_position) = match head {
            Some((n, p)) => (Some(n), p),
            None => (None, None),
        };
        AgencyComplianceDto {
            agency_id: id,
            agency_name: name,
            received: f.received,
            on_time: f.on_time,
            late: f.late,
            unresponded_overdue: f.unresponded_overdue,
            not_yet_due: f.not_yet_due,
            cancelled: f.cancelled,
            compliance: f.compliance(),
            lalai: f.lalai(),
            median_response_secs: f.median_response.map(|d| d.num_seconds()),
            p90_response_secs: f.p90_response.map(|d| d.num_seconds()),
            completion_on_target: f.completion_on_target,
            completion_late: f.completion_late,
            completion_open_overdue: f.completion_open_overdue,
            reopened: f.reopened,
            satisfaction_avg: f.satisfaction(),
            fixed: f.fixed,
            partly: f.partly,
            not_fixed: f.not_fixed,
            head_name,
            head_position,
            lalai_tracking_ids: f.lalai_tracking_ids.clone(),
        }
    }

    fn from_line(l: &AgencyLine) -> Self {
        AgencyComplianceDto::new(
            l.agency_id.clone(),
            l.name.clone(),
            l.head
                .as_ref()
                .map(|h| (h.name.clone(), h.position.clone())),
            &l.figures,
        )
    }
}

/// A response obligation counted as lalai: the evidence, with the head in office at its deadline.
#[derive(Debug, Serialize, ToSchema)]
pub struct LalaiDto {
    pub tracking_id: String,
    pub agency_id: String,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// `null`: still unanswered.
    pub responded_at: Option<DateTime<Utc>>,
    pub head_name: Option<String>,
    pub head_position: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComplianceDto {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The instant the figures are computed at: open overdue items count against the agency now.
    pub generated_at: DateTime<Utc>,
    pub agencies: Vec<AgencyComplianceDto>,
    /// Every agency together.
    pub total: AgencyComplianceDto,
    /// Every lalai obligation of the period, unanswered first.
    pub lalai: Vec<LalaiDto>,
}

fn date(name: &str, s: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        ApiError::BadRequest(format!(
            "Query parameter `{name}={s}` is not a date (YYYY-MM-DD)."
        ))
    })
}

/// The accountability figures of a period (leadership, auditors, administrators, the desk; an
/// agency for itself and its sub-units).
#[utoipa::path(get, path = "/api/v1/compliance", tag = "reports", params(ComplianceQuery),
    responses((status = 200, body = ComplianceDto)))]
pub async fn get_compliance(
    State(state): State<AppState>,
    Staff(principal): Staff,
    ApiQuery(q): ApiQuery<ComplianceQuery>,
) -> ApiResult<Json<ComplianceDto>> {
    let services = &state.services;
    let period = match (&q.from, &q.to) {
        (Some(f), Some(t)) => Period::new(date("from", f)?, date("to", t)?)
            .map_err(|e| ApiError::BadRequest(format!("The period is not valid: {e}.")))?,
        (None, None) => {
            let (_, cal) = services.policy_and_calendar().await?;
            Period::quarter_of(cal.local_date(services.now()))
        }
        _ => {
            return Err(ApiError::BadRequest(
                "Give both `from` and `to`, or neither (the current quarter).".into(),
            ));
        }
    };
    let caller = &principal.caller;
    let scope = match q.agency {
        Some(a) => Scope::Agency(a),
        None if caller.may(Permission::ViewCompliance) => Scope::All,
        None => Scope::Mine,
    };
    let c = services.compliance(caller, period, scope).await?;
    Ok(Json(ComplianceDto {
        from: c.period.from,
        to: c.period.to,
        generated_at: c.at,
        agencies: c
            .agencies
            .iter()
            .map(AgencyComplianceDto::from_line)
            .collect(),
        total: AgencyComplianceDto::new("*".into(), "Semua instansi".into(), None, &c.total),
        lalai: c
            .lalai
            .iter()
            .map(|l| LalaiDto {
                tracking_id: l.tracking_id.clone(),
                agency_id: l.agency_id.clone(),
                started_at: l.started_at,
                due_at: l.due_at,
                responded_at: l.responded_at,
                head_name: l.head.as_ref().map(|h| h.name.clone()),
                head_position: l.head.as_ref().and_then(|h| h.position.clone()),
            })
            .collect(),
    }))
}

/// One head of an agency, from `since` until the next one.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeadDto {
    pub name: String,
    pub position: Option<String>,
    pub since: DateTime<Utc>,
}

/// The heads an agency has had, oldest first (whoever may see the figures).
#[utoipa::path(get, path = "/api/v1/agencies/{id}/heads", tag = "reference",
    params(("id" = String, Path)), responses((status = 200, body = [HeadDto])))]
pub async fn list_heads(
    State(state): State<AppState>,
    Staff(principal): Staff,
    crate::extract::ApiPath(id): crate::extract::ApiPath<String>,
) -> ApiResult<Json<Vec<HeadDto>>> {
    let heads = state.services.agency_heads(&principal.caller).await?;
    Ok(Json(
        heads
            .into_iter()
            .filter(|h| h.agency_id == id)
            .map(|h| HeadDto {
                name: h.name,
                position: h.position,
                since: h.since,
            })
            .collect(),
    ))
}

/// One response obligation of a report: an agency's duty to answer within its deadline, one per
/// dispatch, forward or reopen. Kept as evidence; later changes never rewrite it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObligationDto {
    pub agency_id: String,
    /// 1 for the dispatch or forward; one more for each reopen.
    pub cycle: u32,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub responded_at: Option<DateTime<Utc>>,
    /// The report ended (archived, duplicate, closed, completed by the lead) before an answer was
    /// due: not counted.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// `on_time`, `late`, `unresponded_overdue`, `not_yet_due` or `cancelled`, as of now.
    #[schema(value_type = String)]
    pub outcome: tanggap_domain::compliance::ObligationOutcome,
    /// Counted against the agency in the accountability report.
    pub lalai: bool,
}

/// A report's response obligations (staff who may read the report's internal record: the desk,
/// its agencies, leadership, the inspectorate).
#[utoipa::path(get, path = "/api/v1/reports/{tracking_id}/obligations", tag = "reports",
    params(("tracking_id" = String, Path)), responses((status = 200, body = [ObligationDto])))]
pub async fn report_obligations(
    State(state): State<AppState>,
    crate::extract::ApiPath(tid): crate::extract::ApiPath<String>,
    Staff(principal): Staff,
) -> ApiResult<Json<Vec<ObligationDto>>> {
    let services = &state.services;
    let opened = services.open_report(&principal.caller, &tid, None).await?;
    let list = services.report_obligations(&opened).await?;
    Ok(Json(
        list.into_iter()
            .map(|o| ObligationDto {
                agency_id: o.record.agency_id,
                cycle: o.record.cycle,
                started_at: o.record.started_at,
                due_at: o.record.due_at,
                responded_at: o.record.responded_at,
                cancelled_at: o.record.cancelled_at,
                outcome: o.outcome,
                lalai: o.lalai,
            })
            .collect(),
    ))
}
