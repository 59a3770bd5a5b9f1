//! Logging in and out, and who am I.

use crate::AppState;
use crate::auth::{ClientIp, Principal, SESSION_CSRF, SESSION_EPOCH, SESSION_USER, new_csrf_token};
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
    /// An integration account: API tokens only, no password login.
    pub integration: bool,
    /// The password was set by an administrator: until the user chooses a new one
    /// (`POST /api/v1/me/password`), every other call answers 403 `password_change_required`.
    pub must_change_password: bool,
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
            integration: u.integration,
            must_change_password: u.must_change_password,
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
    let user = state.services.login(&b.username, &b.password).await?;
    let csrf = begin_session(&session, &user).await?;
    Ok((
        StatusCode::CREATED,
        Json(SessionResponse {
            user: UserDto::from(&user),
            csrf_token: Some(csrf),
        }),
    ))
}

/// A session for a user who just proved who they are; returns its CSRF token. A new session id
/// at login, so a planted cookie never becomes a logged-in session.
async fn begin_session(session: &Session, user: &User) -> ApiResult<String> {
    let internal = |e: tower_sessions::session::Error| ApiError::Internal(e.to_string());
    session.cycle_id().await.map_err(internal)?;
    let csrf = new_csrf_token();
    session
        .insert(SESSION_USER, user.id)
        .await
        .map_err(internal)?;
    session
        .insert(SESSION_EPOCH, user.session_epoch)
        .await
        .map_err(internal)?;
    session
        .insert(SESSION_CSRF, &csrf)
        .await
        .map_err(internal)?;
    Ok(csrf)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    /// At least 10 characters, different from the current one.
    pub new_password: String,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordChange")
    }
}

/// Choose a new password (the logged-in user). Required before anything else when an
/// administrator set the password. The user's other sessions end and their tokens are revoked;
/// this session continues under a new id, with a new CSRF token in the answer.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "accounts", request_body = PasswordChange,
    responses((status = 200, body = SessionResponse)))]
pub async fn change_password(
    State(state): State<AppState>,
    principal: Principal,
    session: Session,
    ip: ClientIp,
    ApiJson(b): ApiJson<PasswordChange>,
) -> ApiResult<Json<SessionResponse>> {
    let me = principal.require_user()?;
    state.limits.login(&me.username, ip.0)?;
    let user = state
        .services
        .change_password(&principal.caller, &b.current_password, &b.new_password)
        .await?;
    let csrf = match principal.via {
        Some(crate::auth::AuthVia::Session) => Some(begin_session(&session, &user).await?),
        _ => None,
    };
    Ok(Json(SessionResponse {
        user: UserDto::from(&user),
        csrf_token: csrf,
    }))
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
