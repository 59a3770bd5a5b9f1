//! The reporter's secret as the API and the pages receive it, and a report as the caller may
//! see it, turned into the API's shapes. What the caller may see was decided by the use case
//! (`Services::report_detail`); this module only changes the form.

use crate::api::dto::{
    ActivityDto, AssignmentDto, AttachmentDto, MessageDto, ReportDto, ReporterDto,
};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tanggap_service::ReportDetail;
use tanggap_service::reading::ConversationMessage;
use tanggap_store::Timestamp;

/// The reporter's secret, from `X-Report-Secret` or `?secret=` (`?kunci=` on pages).
#[derive(Debug, Clone, Default)]
pub struct ReportSecret(pub Option<String>);

impl ReportSecret {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

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

/// The report as this caller may see it.
pub fn report_dto(detail: &ReportDetail, now: Timestamp) -> ReportDto {
    let opened = &detail.opened;
    let r = &opened.report;
    let d = opened.disclosure;
    let mut dto = ReportDto::base(r, detail.duplicate_of.as_ref().map(|t| t.to_string()));
    if let Some(p) = &r.reporter
        && (d.reporter_name || d.reporter_contact)
    {
        dto.reporter = Some(ReporterDto {
            name: p.name.clone(),
            phone: p.phone.clone(),
            email: p.email.clone(),
            nik: p.nik.clone(),
        });
    }
    dto.assignments = opened
        .assignments
        .iter()
        .map(|a| AssignmentDto::new(a, now))
        .collect();
    dto.attachments = detail.attachments.iter().map(AttachmentDto::from).collect();
    dto.timeline = detail
        .timeline
        .iter()
        .map(|e| {
            ActivityDto::new(
                &e.activity,
                e.by.clone(),
                e.attachments.iter().map(AttachmentDto::from).collect(),
                e.withheld,
            )
        })
        .collect();
    dto
}

/// The conversation, as the caller may see it.
pub fn messages_dto(messages: &[ConversationMessage]) -> Vec<MessageDto> {
    messages
        .iter()
        .map(|m| MessageDto::new(&m.message, m.by.clone()))
        .collect()
}
