//! The inbound side of the webhook connector, `POST /connectors/{agency_id}/updates`: an
//! agency's own system reports progress on a report Tanggap forwarded to it. The request is
//! checked against the connector's shared secret over its raw bytes (`X-Tanggap-Signature:
//! t=…,v1=…`, HMAC-SHA256 of `t.body`, at most five minutes old: `tanggap_channels::connectors`),
//! then handed to [`Services::record_remote_update`], which maps the status, records it by the
//! system and counts it once by its `update_id` (a retry is answered 200 `duplicate`).
//!
//! The body (documented in `docs/CONNECTORS.md`):
//! `{"update_id": "…", "reference": "<the reference Tanggap sent>", "status": "CEK_LAPANGAN",
//! "description": "…", "updated_at": "2026-12-06T09:14:03+07:00"}`.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};
use tanggap_channels::connectors::{SIGNATURE_HEADER, SignatureError, parse_time, verify};
use tanggap_service::RefusalKind;
use tanggap_service::connectors::{RemoteOutcome, RemoteRef, RemoteUpdateInput};
use tanggap_store::ConnectorKind;

const BODY_LIMIT: usize = 64 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/connectors/{agency_id}/updates",
            axum::routing::post(update),
        )
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

#[derive(Deserialize)]
struct Posted {
    update_id: String,
    reference: String,
    status: String,
    description: Option<String>,
    updated_at: String,
}

async fn update(
    State(state): State<AppState>,
    Path(agency_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let services = &state.services;
    let connector = services
        .connector_for_sending(&agency_id)
        .await?
        .filter(|c| c.kind == ConnectorKind::Webhook)
        .ok_or_else(|| ApiError::refused(RefusalKind::NotFound, "channel_off"))?;
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    verify(
        connector.secret.as_deref().unwrap_or_default(),
        signature,
        &body,
        services.now(),
    )
    .map_err(|e| match e {
        SignatureError::Missing => {
            ApiError::refused(RefusalKind::Unauthenticated, "signature_missing")
        }
        SignatureError::Stale => ApiError::refused(RefusalKind::Forbidden, "signature_stale"),
        SignatureError::Malformed | SignatureError::Invalid => {
            ApiError::refused(RefusalKind::Forbidden, "signature_invalid")
        }
    })?;
    let posted: Posted = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not the update JSON: {e}")))?;
    let at =
        parse_time(&posted.updated_at).ok_or_else(|| ApiError::field("updated_at", "invalid"))?;
    let outcome = services
        .record_remote_update(RemoteUpdateInput {
            agency_id,
            reference: RemoteRef::Token(posted.reference),
            update_id: posted.update_id,
            status: posted.status,
            description: posted.description,
            at,
        })
        .await?;
    Ok(Json(match outcome {
        RemoteOutcome::Recorded { tracking_id, stage } => {
            json!({"outcome": "recorded", "tracking_id": tracking_id, "stage": stage.as_str()})
        }
        RemoteOutcome::Duplicate => json!({"outcome": "duplicate"}),
        RemoteOutcome::Unmapped => json!({"outcome": "unmapped_status"}),
        RemoteOutcome::Refused(code) => json!({"outcome": "refused", "code": code}),
    }))
}
