//! Reference data (public reads) and administration: users, API tokens, agencies and their heads,
//! categories and default agencies, holidays, the SLA policy.

use crate::AppState;
use crate::api::sessions::UserDto;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::ApiJson;
use crate::policy::{Permission, require};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tanggap_domain::{Agency, AgencyKind, Category, Holiday, HolidayKind, Region, Role, SlaPolicy};
use tanggap_service::auth::{UserInput, check_password, hash_password, new_api_token};
use tanggap_store::UserPatch;
use utoipa::{IntoParams, ToSchema};

fn label(principal: &Principal) -> String {
    principal
        .user()
        .map_or_else(|| "public".into(), |u| format!("user:{}", u.id))
}

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
    Query(q): Query<RegionQuery>,
) -> ApiResult<Json<Vec<RegionDto>>> {
    let regions = state
        .services
        .store
        .child_regions(q.parent.as_deref())
        .await?;
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
            .store
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
    responses((status = 200, body = CategoryDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_category(
    State(state): State<AppState>,
    principal: Principal,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<CategoryBody>,
) -> ApiResult<Json<CategoryDto>> {
    require(principal.require_user()?, Permission::ManageReferenceData)?;
    if code.is_empty()
        || code.len() > 60
        || !code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(ApiError::field(
            "code",
            "invalid",
            "Kode kategori: huruf kecil, angka dan tanda hubung.",
            "A category code has lowercase letters, digits and hyphens.",
        ));
    }
    if b.name_id.trim().is_empty() || b.name_en.trim().is_empty() {
        return Err(ApiError::field(
            "name_id",
            "required",
            "Nama kategori wajib diisi.",
            "Names are required.",
        ));
    }
    if let Some(a) = &b.default_agency_id
        && state.services.store.agency(a).await?.is_none()
    {
        return Err(ApiError::field(
            "default_agency_id",
            "unknown",
            "Instansi tidak dikenal.",
            "Unknown agency.",
        ));
    }
    let c = Category {
        code,
        name_id: b.name_id.trim().into(),
        name_en: b.name_en.trim().into(),
        default_agency_id: b.default_agency_id,
        needs_field_check: b.needs_field_check,
        keywords: b.keywords,
    };
    state
        .services
        .store
        .update_category(&c, &label(&principal), state.services.now())
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

impl AgencyDto {
    fn new(a: Agency, staff: bool) -> Self {
        AgencyDto {
            id: a.id,
            name: a.name,
            kind: a.kind.as_str().into(),
            parent_id: a.parent_id,
            region_code: a.region_code,
            head_name: a.head_name,
            head_position: a.head_position,
            head_phone: a.head_phone.filter(|_| staff),
            head_email: a.head_email.filter(|_| staff),
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
    let staff = principal.user().is_some();
    Ok(Json(
        state
            .services
            .store
            .agencies()
            .await?
            .into_iter()
            .map(|a| AgencyDto::new(a, staff))
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
    responses((status = 200, body = AgencyDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_agency(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AgencyBody>,
) -> ApiResult<Json<AgencyDto>> {
    require(principal.require_user()?, Permission::ManageReferenceData)?;
    let kind = AgencyKind::parse(&b.kind).ok_or_else(|| {
        ApiError::field(
            "kind",
            "invalid",
            "Jenis instansi tidak dikenal.",
            "Unknown agency kind.",
        )
    })?;
    if b.name.trim().is_empty() {
        return Err(ApiError::field(
            "name",
            "required",
            "Nama instansi wajib diisi.",
            "A name is required.",
        ));
    }
    let head_phone = b
        .head_phone
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            tanggap_domain::phone::normalize_phone(&p).map_err(|_| {
                ApiError::field(
                    "head_phone",
                    "invalid",
                    "Nomor telepon tidak valid.",
                    "Invalid phone number.",
                )
            })
        })
        .transpose()?;
    if let Some(p) = &b.parent_id {
        let tree = state.services.agency_tree().await?;
        if p == &id || tree.is_within(p, &id) {
            return Err(ApiError::field(
                "parent_id",
                "cycle",
                "Induk tidak boleh instansi ini sendiri atau sub-unitnya.",
                "The parent cannot be the agency itself or one of its sub-units.",
            ));
        }
    }
    let a = Agency {
        id,
        name: b.name.trim().into(),
        kind,
        parent_id: b.parent_id,
        region_code: b.region_code,
        head_name: b.head_name,
        head_position: b.head_position,
        head_phone,
        head_email: b.head_email,
        active: b.active,
    };
    state
        .services
        .store
        .update_agency(&a, &label(&principal), state.services.now())
        .await?;
    Ok(Json(AgencyDto::new(a, true)))
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
            .store
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
    responses((status = 200, body = HolidayDto), (status = 400, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_holiday(
    State(state): State<AppState>,
    principal: Principal,
    Path(date): Path<String>,
    ApiJson(b): ApiJson<HolidayBody>,
) -> ApiResult<Json<HolidayDto>> {
    require(principal.require_user()?, Permission::ManageReferenceData)?;
    let date = NaiveDate::parse_from_str(&date, "%Y-%m-%d")
        .map_err(|_| ApiError::BadRequest("The date must be YYYY-MM-DD.".into()))?;
    let kind = HolidayKind::parse(&b.kind).ok_or_else(|| {
        ApiError::field(
            "kind",
            "invalid",
            "Jenis: libur_nasional atau cuti_bersama.",
            "Kind is libur_nasional or cuti_bersama.",
        )
    })?;
    if b.name.trim().is_empty() {
        return Err(ApiError::field(
            "name",
            "required",
            "Nama hari libur wajib diisi.",
            "A name is required.",
        ));
    }
    let h = Holiday {
        date,
        kind,
        name: b.name.trim().into(),
    };
    state
        .services
        .store
        .put_holiday(&h, &label(&principal), state.services.now())
        .await?;
    Ok(Json(HolidayDto {
        date,
        kind: kind.as_str().into(),
        name: h.name,
    }))
}

/// Remove a holiday (admin).
#[utoipa::path(delete, path = "/api/v1/holidays/{date}", tag = "admin", params(("date" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_holiday(
    State(state): State<AppState>,
    principal: Principal,
    Path(date): Path<String>,
) -> ApiResult<StatusCode> {
    require(principal.require_user()?, Permission::ManageReferenceData)?;
    let date = NaiveDate::parse_from_str(&date, "%Y-%m-%d")
        .map_err(|_| ApiError::BadRequest("The date must be YYYY-MM-DD.".into()))?;
    if state
        .services
        .store
        .delete_holiday(date, &label(&principal), state.services.now())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("No holiday on {date}.")))
    }
}

/// The SLA policy in force.
#[utoipa::path(get, path = "/api/v1/sla-policy", tag = "admin", responses((status = 200, description = "The policy", body = Object), (status = 401, body = Problem)))]
pub async fn get_policy(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<SlaPolicy>> {
    require(principal.require_user()?, Permission::ViewPolicy)?;
    Ok(Json(state.services.store.sla_policy().await?))
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
    responses((status = 200, body = Object), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_policy(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(b): ApiJson<PolicyBody>,
) -> ApiResult<Json<SlaPolicy>> {
    require(principal.require_user()?, Permission::ManagePolicy)?;
    let policy = match b {
        PolicyBody::Preset { preset } => SlaPolicy::preset(&preset).map_err(|e| {
            ApiError::field("preset", "invalid", "Preset tidak dikenal.", &e.to_string())
        })?,
        PolicyBody::Full(p) => p,
    };
    policy
        .validate()
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    state
        .services
        .store
        .set_sla_policy(&policy, &label(&principal), state.services.now())
        .await?;
    Ok(Json(policy))
}

/// All accounts (admin, operator, auditor).
#[utoipa::path(get, path = "/api/v1/users", tag = "admin", responses((status = 200, body = [UserDto]), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_users(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<UserDto>>> {
    require(principal.require_user()?, Permission::ViewUsers)?;
    Ok(Json(
        state
            .services
            .store
            .users()
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
    /// At least 10 characters.
    pub password: String,
}

/// Create an account (admin).
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = NewUserBody,
    responses((status = 201, body = UserDto), (status = 403, body = Problem), (status = 409, description = "Username taken", body = Problem), (status = 422, body = Problem)))]
pub async fn create_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(b): ApiJson<NewUserBody>,
) -> ApiResult<(StatusCode, Json<UserDto>)> {
    require(principal.require_user()?, Permission::ManageUsers)?;
    let role = Role::parse(&b.role).ok_or_else(|| {
        ApiError::field("role", "invalid", "Peran tidak dikenal.", "Unknown role.")
    })?;
    let input = UserInput {
        username: b.username.trim().to_lowercase(),
        display_name: b.display_name,
        role,
        agency_id: b.agency_id,
        email: b.email,
        phone: b.phone,
        password: b.password,
    };
    let user = state
        .services
        .create_user(input, &label(&principal))
        .await?;
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

/// Change an account: role, agency, contact, active, password (admin).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "admin", request_body = UserPatchBody, params(("id" = i64, Path)),
    responses((status = 200, body = UserDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_user(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<UserPatchBody>,
) -> ApiResult<Json<UserDto>> {
    let me = principal.require_user()?;
    require(me, Permission::ManageUsers)?;
    let current = state
        .services
        .store
        .user(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No user {id}.")))?;
    let role = b
        .role
        .as_deref()
        .map(|r| {
            Role::parse(r).ok_or_else(|| {
                ApiError::field("role", "invalid", "Peran tidak dikenal.", "Unknown role.")
            })
        })
        .transpose()?;
    let new_role = role.unwrap_or(current.role);
    let new_agency = b.agency_id.clone().unwrap_or(current.agency_id.clone());
    match (new_role.is_agency_role(), &new_agency) {
        (true, None) => {
            return Err(ApiError::field(
                "agency_id",
                "required",
                "Petugas dan kepala harus punya instansi.",
                "Agency roles need an agency.",
            ));
        }
        (false, Some(_)) => {
            return Err(ApiError::field(
                "agency_id",
                "not_allowed",
                "Peran ini tidak terikat instansi.",
                "This role has no agency.",
            ));
        }
        _ => {}
    }
    if let Some(a) = &new_agency
        && state.services.store.agency(a).await?.is_none()
    {
        return Err(ApiError::field(
            "agency_id",
            "unknown",
            "Instansi tidak dikenal.",
            "Unknown agency.",
        ));
    }
    if id == me.id && (b.active == Some(false) || role.is_some_and(|r| r != Role::Admin)) {
        return Err(ApiError::Conflict {
            code: "self_lockout",
            detail: "You cannot deactivate yourself or drop your own admin role.".into(),
        });
    }
    let password_hash = match &b.password {
        Some(p) => {
            check_password(p).map_err(|m| {
                ApiError::field(
                    "password",
                    "too_short",
                    "Kata sandi minimal 10 karakter.",
                    &m,
                )
            })?;
            Some(hash_password(p)?)
        }
        None => None,
    };
    let patch = UserPatch {
        display_name: b.display_name,
        role,
        agency_id: b.agency_id,
        email: b.email,
        phone: b.phone,
        active: b.active,
        password_hash,
    };
    let user = state
        .services
        .store
        .update_user(id, &patch, &label(&principal), state.services.now())
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

/// Issue an API token for a user, e.g. an integration account (admin).
#[utoipa::path(post, path = "/api/v1/users/{id}/tokens", tag = "admin", request_body = TokenRequest, params(("id" = i64, Path)),
    responses((status = 201, body = TokenResponse), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn create_token(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<TokenRequest>,
) -> ApiResult<(StatusCode, Json<TokenResponse>)> {
    require(principal.require_user()?, Permission::ManageUsers)?;
    state
        .services
        .store
        .user(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No user {id}.")))?;
    if b.name.trim().is_empty() || b.name.chars().count() > 100 {
        return Err(ApiError::field(
            "name",
            "invalid",
            "Beri nama token (maks. 100 karakter).",
            "Name the token (at most 100 characters).",
        ));
    }
    let (token, hash) = new_api_token();
    let token_id = state
        .services
        .store
        .create_api_token(
            id,
            b.name.trim(),
            &hash,
            &label(&principal),
            state.services.now(),
        )
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
    responses((status = 204, description = "Revoked"), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    require(principal.require_user()?, Permission::ManageUsers)?;
    if state
        .services
        .store
        .revoke_api_token(id, &label(&principal), state.services.now())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("No active token {id}.")))
    }
}
