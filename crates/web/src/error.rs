//! Every error the HTTP layer answers with, as `application/problem+json` (RFC 9457): a status,
//! a short title, a `detail` a person can act on, a stable `code` with its `args`, and the
//! fields to fix. Refusals come from the use cases ([`Refusal`]) and are rendered here in the
//! caller's language (`Accept-Language`, English by default); the transport's own errors
//! (unreadable bodies, wrong media types) are written here. Internal failures are logged with
//! their cause and answered with an opaque 500.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::collections::BTreeMap;
use tanggap_service::{FieldError, Lang, Refusal, RefusalKind, ServiceError};
use utoipa::ToSchema;

/// A problem detail (RFC 9457), served as `application/problem+json`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What happened and what to do about it, in the language of `Accept-Language`
    /// (`id` or `en`; English by default).
    pub detail: String,
    /// Stable machine-readable code, e.g. `invalid_transition`, `role_not_allowed`.
    pub code: String,
    /// The code's arguments, e.g. `{"permission": "dispatch_report"}`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
    /// The fields to fix (422).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

/// One field to fix.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub code: String,
    /// In Bahasa Indonesia.
    pub message: String,
    pub message_en: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
}

impl From<&FieldError> for FieldProblem {
    fn from(e: &FieldError) -> Self {
        FieldProblem {
            field: e.field.clone(),
            code: e.code.to_string(),
            message: e.message(Lang::Id),
            message_en: e.message(Lang::En),
            args: e
                .args
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        }
    }
}

/// What a handler can fail with.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// A use case said no: rendered from its code in the caller's language.
    Refused(Refusal),
    /// 400: the request cannot be read (malformed JSON, bad query string or path).
    BadRequest(String),
    /// 413
    TooLarge(String),
    /// 405: the address exists, with other methods.
    MethodNotAllowed,
    /// 415
    UnsupportedMediaType(String),
    /// 408: the body did not arrive within the body timeout (see `transport`).
    RequestTimeout,
    /// 500: the cause is logged, never sent.
    Internal(String),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// 422 with one field to fix.
    pub fn field(field: &str, code: &'static str) -> Self {
        ApiError::Refused(Refusal {
            kind: RefusalKind::Invalid,
            code: "validation_failed",
            args: vec![],
            fields: vec![FieldError::new(field, code)],
        })
    }

    pub fn refused(kind: RefusalKind, code: &'static str) -> Self {
        ApiError::Refused(Refusal::new(kind, code))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Refused(r) => match r.kind {
                RefusalKind::Unauthenticated => StatusCode::UNAUTHORIZED,
                RefusalKind::Forbidden => StatusCode::FORBIDDEN,
                RefusalKind::NotFound => StatusCode::NOT_FOUND,
                RefusalKind::Conflict => StatusCode::CONFLICT,
                RefusalKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
                RefusalKind::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            },
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Refused(r) => r.code,
            ApiError::BadRequest(_) => "bad_request",
            ApiError::TooLarge(_) => "too_large",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::RequestTimeout => "request_timeout",
            ApiError::Internal(_) => "internal",
        }
    }

    /// What to tell the caller, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            ApiError::Refused(r) => r.message(lang),
            ApiError::BadRequest(d) | ApiError::TooLarge(d) | ApiError::UnsupportedMediaType(d) => {
                match lang {
                    Lang::En => d.clone(),
                    Lang::Id => match self {
                        ApiError::BadRequest(_) => format!("Permintaan tidak terbaca. ({d})"),
                        ApiError::TooLarge(_) => format!("Isi permintaan terlalu besar. ({d})"),
                        _ => format!("Jenis isi permintaan tidak didukung. ({d})"),
                    },
                }
            }
            ApiError::RequestTimeout => {
                Refusal::new(RefusalKind::Invalid, "request_timeout").message(lang)
            }
            ApiError::MethodNotAllowed => match lang {
                Lang::En => "This address does not take this method.".into(),
                Lang::Id => "Alamat ini tidak menerima metode ini.".into(),
            },
            ApiError::Internal(_) => match lang {
                Lang::En => {
                    "Something went wrong on our side; it has been logged. Please try again later."
                        .into()
                }
                Lang::Id => {
                    "Terjadi kesalahan di sistem kami dan sudah dicatat. Silakan coba lagi nanti."
                        .into()
                }
            },
        }
    }

    pub fn problem(&self, lang: Lang) -> Problem {
        let status = self.status();
        let code = self.code();
        let (args, errors) = match self {
            ApiError::Refused(r) => (
                r.args
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
                r.fields.iter().map(FieldProblem::from).collect(),
            ),
            _ => (BTreeMap::new(), vec![]),
        };
        Problem {
            kind: format!("https://tanggap.id/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail: self.message(lang),
            code: code.into(),
            args,
            errors,
        }
    }

    fn response(&self, lang: Lang) -> Response {
        let mut resp = (self.status(), axum::Json(self.problem(lang))).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let ApiError::Refused(Refusal {
            kind: RefusalKind::RateLimited { retry_after_secs },
            ..
        }) = self
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

/// The error behind a problem response, kept so that [`localise`] can render it again in the
/// caller's language.
#[derive(Clone)]
struct Rendered(ApiError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(%cause, "internal error");
        }
        let mut resp = self.response(Lang::En);
        resp.extensions_mut().insert(Rendered(self));
        resp
    }
}

/// Middleware: problems are rendered in the language the caller asks for with
/// `Accept-Language` (Bahasa Indonesia or English; English when neither is asked for).
pub async fn localise(req: Request, next: Next) -> Response {
    let lang = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::from_accept_language);
    let resp = next.run(req).await;
    match (lang, resp.extensions().get::<Rendered>()) {
        (Some(Lang::Id), Some(Rendered(e))) => {
            let mut again = e.response(Lang::Id);
            for (k, v) in resp.headers() {
                if k != header::CONTENT_LENGTH && k != header::CONTENT_TYPE {
                    again.headers_mut().insert(k.clone(), v.clone());
                }
            }
            again
        }
        _ => resp,
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        ApiError::Refused(r)
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Refused(r) => ApiError::Refused(r),
            ServiceError::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<tanggap_attachments::AttachmentError> for ApiError {
    fn from(e: tanggap_attachments::AttachmentError) -> Self {
        match e.code() {
            "too_large" => ApiError::TooLarge(e.message_en()),
            "unsupported_type" => ApiError::UnsupportedMediaType(e.message_en()),
            _ => ApiError::Refused(Refusal {
                kind: RefusalKind::Invalid,
                code: "validation_failed",
                args: vec![],
                fields: vec![attachment_field("attachments", &e, None)],
            }),
        }
    }
}

/// An upload's problem as a field error (the page shows it next to the file input).
pub fn attachment_field(
    field: &str,
    e: &tanggap_attachments::AttachmentError,
    filename: Option<&str>,
) -> FieldError {
    use tanggap_attachments::AttachmentError as A;
    let mut f = FieldError::new(field, e.code());
    match e {
        A::TooLarge { limit } | A::TooMany { limit } => f = f.with("limit", limit),
        _ => {}
    }
    if let Some(name) = filename {
        f = f.with("filename", name);
    }
    f
}
