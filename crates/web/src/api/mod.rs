//! `/api/v1`: the versioned JSON API. The OpenAPI document at `/api/v1/openapi.json` is generated
//! from the handlers' annotations (utoipa), so it cannot drift from the routes.

pub mod admin;
pub mod dto;
pub mod reports;
pub mod sessions;
pub mod view;

use crate::AppState;
use crate::extract::JSON_LIMIT;
use axum::Json;
use axum::extract::DefaultBodyLimit;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tanggap API",
        version = "1",
        description = "Public-service complaints: submit, follow and act on reports. Errors are `application/problem+json`. \
Staff authenticate with the session cookie from `POST /api/v1/sessions` (writes then need `X-CSRF-Token`) or with an API \
token in `Authorization: Bearer …`; reporters with their report's secret in `X-Report-Secret`."
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "reports", description = "Submitting, reading and listing reports"),
        (name = "workflow", description = "The complaint desk's and leadership's actions"),
        (name = "agency", description = "An agency's actions on its assignments"),
        (name = "reporter", description = "The reporter's actions, with the report's secret"),
        (name = "accounts", description = "Logging in and out"),
        (name = "reference", description = "Regions, categories, agencies, holidays"),
        (name = "admin", description = "Administration"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("tanggap_session"))),
        );
        components.add_security_scheme(
            "reporter_secret",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Report-Secret"))),
        );
    }
}

/// Uploads: up to 5 files of 5 MiB plus the JSON part.
pub const UPLOAD_LIMIT: usize = 5 * 5 * 1024 * 1024 + JSON_LIMIT;

pub fn router() -> axum::Router<AppState> {
    use admin::*;
    use reports::*;
    use sessions::*;
    let uploads = OpenApiRouter::new()
        .routes(routes!(submit_report, list_reports))
        .routes(routes!(reporter_reply))
        .routes(routes!(post_update))
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT));
    let json = OpenApiRouter::new()
        .routes(routes!(get_report))
        .routes(routes!(verify_report))
        .routes(routes!(dispatch_report))
        .routes(routes!(ask_reporter))
        .routes(routes!(mark_duplicate))
        .routes(routes!(archive_report))
        .routes(routes!(return_assignment))
        .routes(routes!(forward_assignment))
        .routes(routes!(confirm_report))
        .routes(routes!(rate_report))
        .routes(routes!(reopen_report))
        .routes(routes!(add_instruction))
        .routes(routes!(list_messages, message_reporter))
        .routes(routes!(report_audit))
        .routes(routes!(get_attachment))
        .routes(routes!(create_session))
        .routes(routes!(delete_session))
        .routes(routes!(me))
        .routes(routes!(list_regions))
        .routes(routes!(list_categories))
        .routes(routes!(put_category))
        .routes(routes!(list_agencies))
        .routes(routes!(put_agency))
        .routes(routes!(list_holidays))
        .routes(routes!(put_holiday, delete_holiday))
        .routes(routes!(get_policy, put_policy))
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user))
        .routes(routes!(create_token))
        .routes(routes!(revoke_token))
        .layer(DefaultBodyLimit::max(JSON_LIMIT));
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(uploads)
        .merge(json)
        .split_for_parts();
    let doc = std::sync::Arc::new(openapi);
    router.route(
        "/api/v1/openapi.json",
        axum::routing::get(move || async move { Json(doc.as_ref().clone()) }),
    )
}
