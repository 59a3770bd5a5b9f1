//! Request bodies: JSON with errors that say what to fix, or multipart with a JSON `data` part
//! and `attachments` file parts, whose bytes are checked and cleaned before anything is stored.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use tanggap_attachments::{CleanFile, check_count, clean};
use tanggap_store::NewAttachment;

/// Whether the request says its body is JSON (`application/json` or `application/…+json`, in
/// any letter case, with any parameters).
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|ct| {
            ct == "application/json" || (ct.starts_with("application/") && ct.ends_with("+json"))
        })
}

/// `axum::extract::Path` whose rejections are problem documents (400: the path segment does
/// not fit, e.g. an id beyond 64 bits).
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| ApiPath(v))
            .map_err(|e| {
                ApiError::BadRequest(format!("The address is not valid: {}", e.body_text()))
            })
    }
}

/// `axum::extract::Query` whose rejections are problem documents (400: e.g. `per_page=-1`).
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| ApiQuery(v))
            .map_err(|e| {
                ApiError::BadRequest(format!("The query string is not valid: {}", e.body_text()))
            })
    }
}

/// Largest JSON body accepted (a report body is at most 10,000 characters).
pub const JSON_LIMIT: usize = 64 * 1024;

/// `axum::Json` whose rejections are problem documents: 415 without a JSON content type, 400
/// for syntax errors, 422 for unknown fields or wrong types, 413 over the size limit.
pub struct ApiJson<T>(pub T);

pub fn json_rejection(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType(
            "Send a JSON body with `Content-Type: application/json`.".into(),
        ),
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::BadRequest(format!("The body is not valid JSON: {}", e.body_text()))
        }
        JsonRejection::JsonDataError(e) => mismatch(e.body_text()),
        JsonRejection::BytesRejection(e)
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
        {
            ApiError::TooLarge(format!(
                "The body is larger than this endpoint accepts ({} KiB for JSON).",
                JSON_LIMIT / 1024
            ))
        }
        other => ApiError::BadRequest(other.body_text()),
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::UnsupportedMediaType(
                "Send a JSON body with `Content-Type: application/json`.".into(),
            ));
        }
        let bytes = axum::body::to_bytes(req.into_body(), JSON_LIMIT)
            .await
            .map_err(|_| {
                ApiError::TooLarge(format!(
                    "The body is larger than this endpoint accepts ({} KiB for JSON).",
                    JSON_LIMIT / 1024
                ))
            })?;
        axum::Json::<T>::from_bytes(&bytes)
            .map(|axum::Json(v)| ApiJson(v))
            .map_err(json_rejection)
    }
}

/// 422: the body is readable but does not fit the endpoint (unknown field, wrong type).
fn mismatch(detail: String) -> ApiError {
    ApiError::Refused(
        tanggap_service::Refusal::new(tanggap_service::RefusalKind::Invalid, "json_mismatch")
            .with("detail", detail),
    )
}

/// A JSON body, or multipart with the same JSON in a `data` part plus `attachments` files.
pub struct WithFiles<T> {
    pub data: T,
    pub files: Vec<CleanFile>,
}

fn is_multipart(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"))
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge("The upload is larger than the limit for all files together.".into())
    } else {
        ApiError::BadRequest(format!(
            "The multipart body cannot be read: {}",
            e.body_text()
        ))
    }
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for WithFiles<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        if !is_multipart(&req) {
            // Upload routes accept large bodies; a JSON body is still held to the JSON limit.
            if !is_json(req.headers()) {
                return Err(ApiError::UnsupportedMediaType("Send `application/json`, or `multipart/form-data` with a `data` part and `attachments` files.".into()));
            }
            let bytes = axum::body::to_bytes(req.into_body(), JSON_LIMIT)
                .await
                .map_err(|_| {
                    ApiError::TooLarge(format!(
                        "A JSON body may have at most {} KiB.",
                        JSON_LIMIT / 1024
                    ))
                })?;
            let axum::Json(data) = axum::Json::<T>::from_bytes(&bytes).map_err(json_rejection)?;
            return Ok(WithFiles {
                data,
                files: vec![],
            });
        }
        let mut mp = Multipart::from_request(req, state)
            .await
            .map_err(|e| ApiError::BadRequest(e.body_text()))?;
        let limits = &state.attachment_limits;
        let mut data: Option<T> = None;
        let mut files = Vec::new();
        while let Some(field) = mp.next_field().await.map_err(multipart_error)? {
            let name = field.name().unwrap_or_default().to_string();
            match name.as_str() {
                "data" => {
                    let bytes = field.bytes().await.map_err(multipart_error)?;
                    if bytes.len() > JSON_LIMIT {
                        return Err(ApiError::TooLarge("The `data` part is too large.".into()));
                    }
                    let v = serde_json::from_slice::<T>(&bytes).map_err(|e| {
                        if e.is_syntax() || e.is_eof() {
                            ApiError::BadRequest(format!("The `data` part is not valid JSON: {e}"))
                        } else {
                            mismatch(format!("the `data` part: {e}"))
                        }
                    })?;
                    data = Some(v);
                }
                "attachments" | "attachments[]" | "photos" => {
                    check_count(files.len() + 1, limits)?;
                    let filename = field.file_name().unwrap_or("lampiran").to_string();
                    let bytes = field.bytes().await.map_err(multipart_error)?;
                    files.push(clean(&bytes, &filename, limits)?);
                }
                other => {
                    return Err(mismatch(format!(
                        "unknown multipart part `{other}`: send `data` (JSON) and `attachments` (files)"
                    )));
                }
            }
        }
        let data = data.ok_or_else(|| {
            mismatch("the multipart body needs a `data` part with the JSON fields".into())
        })?;
        Ok(WithFiles { data, files })
    }
}

/// Store cleaned files on disk and describe them for the database. Runs off the async threads.
pub async fn store_files(
    state: &AppState,
    files: Vec<CleanFile>,
) -> Result<Vec<NewAttachment>, ApiError> {
    if files.is_empty() {
        return Ok(vec![]);
    }
    let disk = state.attachments.clone();
    tokio::task::spawn_blocking(move || {
        files
            .into_iter()
            .map(|f| {
                let key = disk.put(&f)?;
                Ok(NewAttachment {
                    filename: f.filename,
                    content_type: f.content_type.to_string(),
                    size_bytes: f.bytes.len() as i64,
                    sha256: f.sha256,
                    storage_key: key,
                })
            })
            .collect::<std::io::Result<Vec<_>>>()
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(|e| ApiError::Internal(format!("cannot store attachment: {e}")))
}
