//! Reference data (public reads) and administration: users, API tokens, agencies and their heads,
//! categories and default agencies, holidays, the SLA policy.

use crate::AppState;
use crate::api::sessions::UserDto;
use crate::auth::{Principal, Staff};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tanggap_domain::{Agency, Category, Region, SlaPolicy};
use tanggap_service::accounts::{UserChange, UserInput};
use tanggap_service::{AgencyInput, CategoryInput, HolidayInput, PolicyInput};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct RegionDto {
    pub code: String,
    pub parent_code: Option<String>,
    /// `provinsi`, `kabupaten_kota`, `kecamatan`, `desa` or `kelurahan`.
    pub level: String,
    pub name: String,
}

impl From<Region> for RegionDto {
    fn from(r: Region) -> Self {
        RegionDto {
            code: r.code,
            parent_code: r.parent_code,
            level: r.level.as_str().into(),
            name: r.name,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegionQuery {
    /// The parent's code; without it, the top level (the province).
    pub parent: Option<String>,
}

/// Regions below a parent (kabupaten/kota → kecamatan → desa/kelurahan), for pickers.
#[utoipa::path(get, path = "/api/v1/regions", tag = "reference", params(RegionQuery), responses((status = 200, body = [RegionDto])))]
pub async fn list_regions(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<RegionQuery>,
) -> ApiResult<Json<Vec<RegionDto>>> {
    let regions = state.services.regions(q.parent.as_deref()).await?;
    Ok(Json(regions.into_iter().map(RegionDto::from).collect()))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CategoryDto {
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    pub default_agency_id: Option<String>,
    pub needs_field_check: bool,
    pub keywords: Vec<String>,
}

impl From<Category> for CategoryDto {
    fn from(c: Category) -> Self {
        CategoryDto {
            code: c.code,
            name_id: c.name_id,
            name_en: c.name_en,
            default_agency_id: c.default_agency_id,
            needs_field_check: c.needs_field_check,
            keywords: c.keywords,
        }
    }
}

/// Categories and their default agencies.
#[utoipa::path(get, path = "/api/v1/categories", tag = "reference", responses((status = 200, body = [CategoryDto])))]
pub async fn list_categories(State(state): State<AppState>) -> ApiResult<Json<Vec<CategoryDto>>> {
    Ok(Json(
        state
            .services
            .categories()
            .await?
            .into_iter()
            .map(CategoryDto::from)
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryBody {
    pub name_id: String,
    pub name_en: String,
    pub default_agency_id: Option<String>,
    pub needs_field_check: bool,
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// Create or change a category (admin).
#[utoipa::path(put, path = "/api/v1/categories/{code}", tag = "admin", request_body = CategoryBody, params(("code" = String, Path)),
    responses((status = 200, body = CategoryDto)))]
pub async fn put_category(
    State(state): State<AppState>,
    Staff(principal): Staff,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<CategoryBody>,
) -> ApiResult<Json<CategoryDto>> {
    let input = CategoryInput {
        name_id: Some(b.name_id),
        name_en: Some(b.name_en),
        default_agency_id: Some(b.default_agency_id),
        needs_field_check: Some(b.needs_field_check),
        keywords: Some(b.keywords),
    };
    let c = state
        .services
        .put_category(&principal.caller, &code, input)
        .await?;
    Ok(Json(CategoryDto::from(c)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyDto {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<String>,
    pub region_code: Option<String>,
    pub head_name: Option<String>,
    pub head_position: Option<String>,
    /// Staff only.
    pub head_phone: Option<String>,
    /// Staff only.
    pub head_email: Option<String>,
    pub active: bool,
}

impl From<Agency> for AgencyDto {
    /// The agency as the use case gave it: contacts are already cut to the caller.
    fn from(a: Agency) -> Self {
        AgencyDto {
            id: a.id,
            name: a.name,
            kind: a.kind.as_str().into(),
            parent_id: a.parent_id,
            region_code: a.region_code,
            head_name: a.head_name,
            head_position: a.head_position,
            head_phone: a.head_phone,
            head_email: a.head_email,
            active: a.active,
        }
    }
}

/// Agencies (a tree through `parent_id`) and their heads.
#[utoipa::path(get, path = "/api/v1/agencies", tag = "reference", responses((status = 200, body = [AgencyDto])))]
pub async fn list_agencies(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<AgencyDto>>> {
    Ok(Json(
        state
            .services
            .agencies(&principal.caller)
            .await?
            .into_iter()
            .map(AgencyDto::from)
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgencyBody {
    pub name: String,
    pub kind: String,
    pub parent_id: Option<String>,
    pub region_code: Option<String>,
    pub head_name: Option<String>,
    pub head_position: Option<String>,
    pub head_phone: Option<String>,
    pub head_email: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Change an agency and its head (admin). Creating agencies is done by the reference data import.
#[utoipa::path(put, path = "/api/v1/agencies/{id}", tag = "admin", request_body = AgencyBody, params(("id" = String, Path)),
    responses((status = 200, body = AgencyDto)))]
pub async fn put_agency(
    State(state): State<AppState>,
    Staff(principal): Staff,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<AgencyBody>,
) -> ApiResult<Json<AgencyDto>> {
    let input = AgencyInput {
        name: Some(b.name),
        kind: Some(b.kind),
        parent_id: Some(b.parent_id),
        region_code: Some(b.region_code),
        head_name: Some(b.head_name),
        head_position: Some(b.head_position),
        head_phone: Some(b.head_phone),
        head_email: Some(b.head_email),
        active: Some(b.active),
    };
    let a = state
        .services
        .update_agency(&principal.caller, &id, input)
        .await?;
    Ok(Json(AgencyDto::from(a)))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HolidayDto {
    pub date: NaiveDate,
    /// `libur_nasional` or `cuti_bersama`.
    pub kind: String,
    pub name: String,
}

/// Holidays and cuti bersama that the working-day calendar skips.
#[utoipa::path(get, path = "/api/v1/holidays", tag = "reference", responses((status = 200, body = [HolidayDto])))]
pub async fn list_holidays(State(state): State<AppState>) -> ApiResult<Json<Vec<HolidayDto>>> {
    Ok(Json(
        state
            .services
            .holidays()
            .await?
            .into_iter()
            .map(|h| HolidayDto {
                date: h.date,
                kind: h.kind.as_str().into(),
                name: h.name,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolidayBody {
    pub kind: String,
    pub name: String,
}

/// Add or change a holiday (admin); takes effect for clocks started afterwards.
#[utoipa::path(put, path = "/api/v1/holidays/{date}", tag = "admin", request_body = HolidayBody, params(("date" = String, Path, description = "YYYY-MM-DD")),
    responses((status = 200, body = HolidayDto)))]
pub async fn put_holiday(
    State(state): State<AppState>,
    Staff(principal): Staff,
    ApiPath(date): ApiPath<String>,
    ApiJson(b): ApiJson<HolidayBody>,
) -> ApiResult<Json<HolidayDto>> {
    let input = HolidayInput {
        kind: b.kind,
        name: b.name,
    };
    let h = state
        .services
        .put_holiday(&principal.caller, &date, input)
        .await?;
    Ok(Json(HolidayDto {
        date: h.date,
        kind: h.kind.as_str().into(),
        name: h.name,
    }))
}

/// Remove a holiday (admin).
#[utoipa::path(delete, path = "/api/v1/holidays/{date}", tag = "admin", params(("date" = String, Path)),
    responses((status = 204, description = "Removed")))]
pub async fn delete_holiday(
    State(state): State<AppState>,
    Staff(principal): Staff,
    ApiPath(date): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state
        .services
        .delete_holiday(&principal.caller, &date)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The SLA policy in force.
#[utoipa::path(get, path = "/api/v1/sla-policy", tag = "admin", responses((status = 200, description = "The policy", body = Object)))]
pub async fn get_policy(
    State(state): State<AppState>,
    Staff(principal): Staff,
) -> ApiResult<Json<SlaPolicy>> {
    Ok(Json(state.services.sla_policy(&principal.caller).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum PolicyBody {
    /// `{"preset": "jateng"}` or `{"preset": "nasional"}`.
    Preset { preset: String },
    /// A whole policy, as GET returns it.
    #[schema(value_type = Object)]
    Full(SlaPolicy),
}

/// Replace the SLA policy (admin). Running clocks keep their budgets; new clocks use the new policy.
#[utoipa::path(put, path = "/api/v1/sla-policy", tag = "admin", request_body = PolicyBody,
    responses((status = 200, body = Object)))]
pub async fn put_policy(
    State(state): State<AppState>,
    Staff(principal): Staff,
    ApiJson(b): ApiJson<PolicyBody>,
) -> ApiResult<Json<SlaPolicy>> {
    let input = match b {
        PolicyBody::Preset { preset } => PolicyInput::Preset(preset),
        PolicyBody::Full(p) => PolicyInput::Full(Box::new(p)),
    };
    Ok(Json(
        state
            .services
            .set_sla_policy(&principal.caller, input)
            .await?,
    ))
}

/// All accounts (admin, operator, auditor).
#[utoipa::path(get, path = "/api/v1/users", tag = "admin", responses((status = 200, body = [UserDto])))]
pub async fn list_users(
    State(state): State<AppState>,
    Staff(principal): Staff,
) -> ApiResult<Json<Vec<UserDto>>> {
    Ok(Json(
        state
            .services
            .users(&principal.caller)
            .await?
            .iter()
            .map(UserDto::from)
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub agency_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// At least 10 characters; not needed for an integration account. A password set here
    /// must be replaced by its owner at first login.
    #[serde(default)]
    pub password: Option<String>,
    /// An integration account (a call centre, another system): it works with API tokens only
    /// and cannot log in with a password. Only integration accounts get tokens. Fixed at
    /// creation.
    #[serde(default)]
    pub integration: bool,
}

/// Create an account (admin).
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = NewUserBody,
    responses((status = 201, body = UserDto)))]
pub async fn create_user(
    State(state): State<AppState>,
    Staff(principal): Staff,
    ApiJson(b): ApiJson<NewUserBody>,
) -> ApiResult<(StatusCode, Json<UserDto>)> {
    let input = UserInput {
        username: b.username,
        display_name: b.display_name,
        role: b.role,
        agency_id: b.agency_id,
        email: b.email,
        phone: b.phone,
        password: b.password.unwrap_or_default(),
        integration: b.integration,
    };
    let user = state.services.create_user(&principal.caller, input).await?;
    Ok((StatusCode::CREATED, Json(UserDto::from(&user))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatchBody {
    pub display_name: Option<String>,
    pub role: Option<String>,
    /// `null` removes the agency.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub agency_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    pub active: Option<bool>,
    pub password: Option<String>,
}

fn double_option<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Change an account: role, agency, contact, active, password (admin). A new password must be
/// replaced by its owner at next login. A new password, role or agency, or deactivation, ends
/// the account's sessions and revokes its API tokens.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "admin", request_body = UserPatchBody, params(("id" = i64, Path)),
    responses((status = 200, body = UserDto)))]
pub async fn update_user(
    State(state): State<AppState>,
    Staff(principal): Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<UserPatchBody>,
) -> ApiResult<Json<UserDto>> {
    let change = UserChange {
        display_name: b.display_name,
        role: b.role,
        agency_id: b.agency_id,
        email: b.email,
        phone: b.phone,
        active: b.active,
        password: b.password,
    };
    let user = state
        .services
        .update_user(&principal.caller, id, change)
        .await?;
    Ok(Json(UserDto::from(&user)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// What the token is for, e.g. "integrasi call centre".
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub id: i64,
    /// Shown once; send as `Authorization: Bearer …`. Only its hash is stored.
    pub token: String,
}

/// Issue an API token for an integration account (admin); other accounts answer 409
/// `not_an_integration_account`.
#[utoipa::path(post, path = "/api/v1/users/{id}/tokens", tag = "admin", request_body = TokenRequest, params(("id" = i64, Path)),
    responses((status = 201, body = TokenResponse)))]
pub async fn create_token(
    State(state): State<AppState>,
    Staff(principal): Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TokenRequest>,
) -> ApiResult<(StatusCode, Json<TokenResponse>)> {
    let (token_id, token) = state
        .services
        .create_api_token(&principal.caller, id, &b.name)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenResponse {
            id: token_id,
            token,
        }),
    ))
}

/// Revoke an API token (admin).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "admin", params(("id" = i64, Path)),
    responses((status = 204, description = "Revoked")))]
pub async fn revoke_token(
    State(state): State<AppState>,
    Staff(principal): Staff,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state
        .services
        .revoke_api_token(&principal.caller, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
