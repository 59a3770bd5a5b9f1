//! Finding a report for a caller and showing it as they may see it. All report handlers, JSON
//! and HTML, go through [`open_report`]: access is decided once, by `tanggap_domain::access`.

use crate::AppState;
use crate::api::dto::{ActivityDto, AssignmentDto, AttachmentDto, ReportDto, ReporterDto};
use crate::auth::{ClientIp, Principal, constant_time_eq};
use crate::error::{ApiError, ApiResult};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::collections::HashMap;
use tanggap_domain::TrackingId;
use tanggap_domain::access::{Disclosure, ReportScope, Viewer, disclose};
use tanggap_domain::ids::sha256_hex;
use tanggap_domain::workflow::Actor;
use tanggap_store::{AssignmentRecord, ReportRecord};

/// The reporter's secret, from `X-Report-Secret` or `?secret=`.
#[derive(Debug, Clone, Default)]
pub struct ReportSecret(pub Option<String>);

pub const SECRET_HEADER: &str = "x-report-secret";

impl<S: Send + Sync> FromRequestParts<S> for ReportSecret {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let from_header = parts
            .headers
            .get(SECRET_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let from_query = parts.uri.query().and_then(|q| {
            q.split('&').find_map(|kv| {
                kv.strip_prefix("secret=")
                    .or_else(|| kv.strip_prefix("kunci="))
                    .map(str::to_string)
            })
        });
        Ok(ReportSecret(
            from_header.or(from_query).filter(|s| !s.is_empty()),
        ))
    }
}

/// A report opened by a caller, with what they may see and who they act as.
pub struct Opened {
    pub report: ReportRecord,
    pub assignments: Vec<AssignmentRecord>,
    pub disclosure: Disclosure,
    /// The caller proved to be the reporter.
    pub as_reporter: bool,
    /// Every agency, loaded once per request (access, names on the timeline, dispatch choices).
    pub agencies: Vec<tanggap_domain::Agency>,
}

impl Opened {
    pub fn agency_names(&self) -> HashMap<String, String> {
        self.agencies
            .iter()
            .map(|a| (a.id.clone(), a.name.clone()))
            .collect()
    }

    /// The workflow actor for a reporter action.
    pub fn reporter_actor(&self) -> ApiResult<Actor> {
        if self.as_reporter {
            Ok(Actor::Reporter {
                reporter_id: self.report.reporter.as_ref().map(|r| r.id),
            })
        } else {
            Err(ApiError::Unauthorized(
                "Only the reporter may do this: send the report's secret in `X-Report-Secret`."
                    .into(),
            ))
        }
    }
}

pub fn parse_tracking_id(tid: &str) -> ApiResult<TrackingId> {
    TrackingId::parse(tid)
        .map_err(|_| ApiError::NotFound(format!("No report has the tracking ID `{tid}`.")))
}

/// Find the report and decide what the caller may see of it. Lookups by people who are not
/// logged in are rate limited, and a wrong secret is refused.
pub async fn open_report(
    state: &AppState,
    tid: &str,
    principal: &Principal,
    secret: &ReportSecret,
    ip: &ClientIp,
) -> ApiResult<Opened> {
    if principal.user().is_none() {
        state.limits.lookup(ip.0)?;
    }
    let tracking_id = parse_tracking_id(tid)?;
    let store = &state.services.store;
    let report = store
        .report_by_tracking_id(&tracking_id)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!("No report has the tracking ID `{tracking_id}`."))
        })?;
    let as_reporter = match &secret.0 {
        None => false,
        Some(s) => {
            let stored = store
                .report_secret_hash(report.id)
                .await?
                .unwrap_or_default();
            let presented = sha256_hex(s.trim().to_ascii_lowercase().as_bytes());
            if !constant_time_eq(&stored, &presented) {
                return Err(ApiError::Forbidden("This secret does not open this report. Use the link you received when you submitted it.".into()));
            }
            true
        }
    };
    let assignments = store.assignments(report.id).await?;
    let agency_ids: Vec<&str> = assignments.iter().map(|a| a.agency_id.as_str()).collect();
    let scope = ReportScope {
        visibility: report.visibility,
        status: report.status,
        show_reporter_name: report.show_reporter_name,
        assigned_agencies: &agency_ids,
    };
    let agencies = store.agencies().await?;
    let tree = tanggap_domain::AgencyTree::from_agencies(&agencies);
    let staff = disclose(principal.viewer(), &scope, &tree);
    let disclosure = if as_reporter {
        merge(staff, disclose(Viewer::Reporter, &scope, &tree))
    } else {
        staff
    };
    if !disclosure.read {
        return Err(match principal.user() {
            Some(_) => ApiError::Forbidden(
                "This report is not assigned to your agency or its sub-units.".into(),
            ),
            None => ApiError::Forbidden(
                "This report is confidential: open it with the secret link the reporter received."
                    .into(),
            ),
        });
    }
    Ok(Opened {
        report,
        assignments,
        disclosure,
        as_reporter,
        agencies,
    })
}

/// The union of two disclosures (a staff member who also holds the reporter's secret).
fn merge(a: Disclosure, b: Disclosure) -> Disclosure {
    Disclosure {
        read: a.read || b.read,
        reporter_name: a.reporter_name || b.reporter_name,
        reporter_contact: a.reporter_contact || b.reporter_contact,
        nik: a.nik || b.nik,
        internal: a.internal || b.internal,
        conversation: a.conversation || b.conversation,
        audit_trail: a.audit_trail || b.audit_trail,
    }
}

/// Names for actors in the timeline, as this viewer may know them.
pub struct Names {
    staff_view: bool,
    users: HashMap<i64, String>,
    agencies: HashMap<String, String>,
}

impl Names {
    pub async fn load(
        state: &AppState,
        staff_view: bool,
        actors: impl Iterator<Item = &str>,
        agencies: HashMap<String, String>,
    ) -> ApiResult<Names> {
        let mut users = HashMap::new();
        if staff_view {
            for a in actors {
                if let Some(id) = a.strip_prefix("user:").and_then(|s| s.parse::<i64>().ok())
                    && let std::collections::hash_map::Entry::Vacant(e) = users.entry(id)
                    && let Some(u) = state.services.store.user(id).await?
                {
                    e.insert(u.display_name);
                }
            }
        }

        Ok(Names {
            staff_view,
            users,
            agencies,
        })
    }

    /// `pelapor`, `sistem`, the agency's name, the desk, or (for staff) the person's name.
    pub fn label(&self, actor: &str, agency_id: Option<&str>) -> String {
        if actor == "public" || actor.starts_with("reporter") {
            return "Pelapor".into();
        }
        if actor == "system" || actor.starts_with("channel:") {
            return "Sistem".into();
        }
        if let Some(id) = actor
            .strip_prefix("user:")
            .and_then(|s| s.parse::<i64>().ok())
            && self.staff_view
            && let Some(name) = self.users.get(&id)
        {
            return name.clone();
        }
        match agency_id.and_then(|a| self.agencies.get(a)) {
            Some(name) => name.clone(),
            None => "Admin Tanggap".into(),
        }
    }

    pub fn agency(&self, id: &str) -> String {
        self.agencies
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }
}

/// The report as this caller may see it.
pub async fn report_dto(state: &AppState, opened: &Opened) -> ApiResult<ReportDto> {
    let store = &state.services.store;
    let r = &opened.report;
    let d = opened.disclosure;
    let duplicate_of = match r.duplicate_of {
        Some(id) => store.report(id).await?.map(|m| m.tracking_id.to_string()),
        None => None,
    };
    let mut dto = ReportDto::base(r, duplicate_of);
    if let Some(p) = &r.reporter
        && (d.reporter_name || d.reporter_contact)
    {
        dto.reporter = Some(ReporterDto {
            name: p.name.clone().filter(|_| d.reporter_name),
            phone: p.phone.clone().filter(|_| d.reporter_contact),
            email: p.email.clone().filter(|_| d.reporter_contact),
            nik: p.nik.clone().filter(|_| d.nik),
        });
    }
    let now = state.services.now();
    dto.assignments = opened
        .assignments
        .iter()
        .map(|a| AssignmentDto::new(a, now))
        .collect();
    let activities = store.activities(r.id).await?;
    let attachments = store.attachments(r.id).await?;
    let mut by_activity: HashMap<Option<i64>, Vec<AttachmentDto>> = HashMap::new();
    for a in &attachments {
        by_activity
            .entry(a.activity_id)
            .or_default()
            .push(AttachmentDto::from(a));
    }
    let visible: Vec<_> = activities
        .iter()
        .filter(|a| a.public || d.internal)
        .collect();
    let names = Names::load(
        state,
        d.internal,
        visible.iter().map(|a| a.actor.as_str()),
        opened.agency_names(),
    )
    .await?;
    let submitted = activities
        .iter()
        .find(|a| a.kind == tanggap_store::ActivityKind::Submitted)
        .map(|a| a.id);
    dto.attachments = by_activity.remove(&submitted).unwrap_or_default();
    dto.timeline = visible
        .into_iter()
        .map(|a| {
            let files = if Some(a.id) == submitted {
                vec![]
            } else {
                by_activity.remove(&Some(a.id)).unwrap_or_default()
            };
            ActivityDto::new(a, names.label(&a.actor, a.agency_id.as_deref()), files)
        })
        .collect();
    Ok(dto)
}
