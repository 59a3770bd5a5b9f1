//! Logging in and out, and who am I.

use crate::AppState;
use crate::auth::{ClientIp, Principal, SESSION_CSRF, SESSION_USER, new_csrf_token};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tanggap_store::User;
use tower_sessions::Session;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// `operator`, `petugas`, `kepala`, `pimpinan`, `auditor` or `admin`.
    pub role: String,
    pub agency_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub active: bool,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        UserDto {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role.as_str().into(),
            agency_id: u.agency_id.clone(),
            email: u.email.clone(),
            phone: u.phone.clone(),
            active: u.active,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    pub user: UserDto,
    /// Send this in `X-CSRF-Token` with every write made with the session cookie.
    pub csrf_token: Option<String>,
}

/// Log in with username and password; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/sessions", tag = "accounts", request_body = LoginRequest,
    responses((status = 201, body = SessionResponse)))]
pub async fn create_session(
    State(state): State<AppState>,
    session: Session,
    ip: ClientIp,
    ApiJson(b): ApiJson<LoginRequest>,
) -> ApiResult<(StatusCode, Json<SessionResponse>)> {
    state.limits.login(&b.username, ip.0)?;
    let Some(user) = state.services.login(&b.username, &b.password).await? else {
        return Err(ApiError::refused(
            tanggap_service::RefusalKind::Unauthenticated,
            "wrong_credentials",
        ));
    };
    // A new session id at login, so a planted cookie never becomes a logged-in session.
    session
        .cycle_id()
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let csrf = new_csrf_token();
    session
        .insert(SESSION_USER, user.id)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    session
        .insert(SESSION_CSRF, &csrf)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        StatusCode::CREATED,
        Json(SessionResponse {
            user: UserDto::from(&user),
            csrf_token: Some(csrf),
        }),
    ))
}

/// Log out: the session ends.
#[utoipa::path(delete, path = "/api/v1/sessions/current", tag = "accounts",
    responses((status = 204, description = "Logged out")))]
pub async fn delete_session(principal: Principal, session: Session) -> ApiResult<StatusCode> {
    // Principal checks the CSRF token for a logged-in session.
    let _ = principal;
    session
        .flush()
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who is logged in, and the CSRF token of the session.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    responses((status = 200, body = SessionResponse)))]
pub async fn me(principal: Principal, session: Session) -> ApiResult<Json<SessionResponse>> {
    let user = principal.require_user()?;
    let csrf: Option<String> = session
        .get(SESSION_CSRF)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(SessionResponse {
        user: UserDto::from(user),
        csrf_token: csrf,
    }))
}
