//! Every error the HTTP layer answers with, as `application/problem+json` (RFC 9457): a status,
//! a short title, a `detail` a person can act on, a stable `code`, and the fields to fix.
//! Internal failures are logged with their cause and answered with an opaque 500.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tanggap_domain::workflow::WorkflowError;
use tanggap_service::{FieldError, ServiceError};
use utoipa::ToSchema;

/// A problem detail (RFC 9457).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What happened and what to do about it.
    pub detail: String,
    /// Stable machine-readable code, e.g. `invalid_transition`.
    pub code: String,
    /// The fields to fix (422).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub code: String,
    /// In Bahasa Indonesia.
    pub message: String,
    pub message_en: String,
}

impl From<FieldError> for FieldProblem {
    fn from(e: FieldError) -> Self {
        FieldProblem {
            field: e.field,
            code: e.code.to_string(),
            message: e.message,
            message_en: e.message_en,
        }
    }
}

#[derive(Debug)]
pub enum ApiError {
    /// 400: the request cannot be read (malformed JSON, bad query string).
    BadRequest(String),
    /// 401: log in or present a token or the report's secret.
    Unauthorized(String),
    /// 403
    Forbidden(String),
    /// 404
    NotFound(String),
    /// 409: not possible in the current state.
    Conflict { code: &'static str, detail: String },
    /// 413
    TooLarge(String),
    /// 415
    UnsupportedMediaType(String),
    /// 422
    Unprocessable {
        detail: String,
        errors: Vec<FieldProblem>,
    },
    /// 429
    TooManyRequests { retry_after_secs: u64 },
    /// 500: the cause is logged, never sent.
    Internal(String),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn invalid(detail: impl Into<String>) -> Self {
        ApiError::Unprocessable {
            detail: detail.into(),
            errors: vec![],
        }
    }

    pub fn field(field: &str, code: &str, message: &str, message_en: &str) -> Self {
        ApiError::Unprocessable {
            detail: message_en.to_string(),
            errors: vec![FieldProblem {
                field: field.into(),
                code: code.into(),
                message: message.into(),
                message_en: message_en.into(),
            }],
        }
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str, String) {
        match self {
            ApiError::BadRequest(d) => (
                StatusCode::BAD_REQUEST,
                "bad_request",
                "Bad request",
                d.clone(),
            ),
            ApiError::Unauthorized(d) => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Authentication required",
                d.clone(),
            ),
            ApiError::Forbidden(d) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden", d.clone()),
            ApiError::NotFound(d) => (StatusCode::NOT_FOUND, "not_found", "Not found", d.clone()),
            ApiError::Conflict { code, detail } => {
                (StatusCode::CONFLICT, code, "Conflict", detail.clone())
            }
            ApiError::TooLarge(d) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "Payload too large",
                d.clone(),
            ),
            ApiError::UnsupportedMediaType(d) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Unsupported media type",
                d.clone(),
            ),
            ApiError::Unprocessable { detail, .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "Unprocessable content",
                detail.clone(),
            ),
            ApiError::TooManyRequests { retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many requests",
                format!("Too many requests; try again in {retry_after_secs} s."),
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                "Something went wrong on our side; it has been logged. Please try again later."
                    .into(),
            ),
        }
    }

    pub fn problem(&self) -> Problem {
        let (status, code, title, detail) = self.parts();
        Problem {
            kind: format!("https://tanggap.id/problems/{code}"),
            title: title.into(),
            status: status.as_u16(),
            detail,
            code: code.into(),
            errors: match self {
                ApiError::Unprocessable { errors, .. } => errors.clone(),
                _ => vec![],
            },
        }
    }

    pub fn status(&self) -> StatusCode {
        self.parts().0
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(%cause, "internal error");
        }
        let problem = self.problem();
        let mut resp = (self.status(), axum::Json(problem)).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let ApiError::TooManyRequests { retry_after_secs } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

impl From<WorkflowError> for ApiError {
    fn from(e: WorkflowError) -> Self {
        match e {
            WorkflowError::Forbidden(msg) => ApiError::Forbidden(msg),
            WorkflowError::WrongStatus { .. } | WorkflowError::WrongStage { .. } => {
                ApiError::Conflict {
                    code: "invalid_transition",
                    detail: e.to_string(),
                }
            }
            WorkflowError::UnknownAssignment(_) => ApiError::NotFound(e.to_string()),
            WorkflowError::Invalid(msg) => ApiError::invalid(msg),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Validation(errors) => ApiError::Unprocessable {
                detail: "Some fields need fixing; see `errors`.".into(),
                errors: errors.into_iter().map(FieldProblem::from).collect(),
            },
            ServiceError::Workflow(w) => w.into(),
            ServiceError::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            ServiceError::Conflict(msg) => ApiError::Conflict {
                code: "conflict",
                detail: msg,
            },
            ServiceError::Invalid(msg) => ApiError::invalid(msg),
            ServiceError::Store(e) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<tanggap_store::StoreError> for ApiError {
    fn from(e: tanggap_store::StoreError) -> Self {
        ServiceError::from(e).into()
    }
}

impl From<tanggap_attachments::AttachmentError> for ApiError {
    fn from(e: tanggap_attachments::AttachmentError) -> Self {
        let en = e.message_en();
        match e.code() {
            "too_large" => ApiError::TooLarge(en),
            "unsupported_type" => ApiError::UnsupportedMediaType(en),
            code => ApiError::Unprocessable {
                detail: en.clone(),
                errors: vec![FieldProblem {
                    field: "attachments".into(),
                    code: code.into(),
                    message: e.to_string(),
                    message_en: en,
                }],
            },
        }
    }
}
