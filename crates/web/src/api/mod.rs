//! `/api/v1`: the versioned JSON API. The OpenAPI document at `/api/v1/openapi.json` is generated
//! from the handlers' annotations (utoipa), so it cannot drift from the routes.

pub mod admin;
pub mod compliance;
pub mod dto;
pub mod privacy;
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
    components(schemas(crate::error::Problem, crate::error::FieldProblem)),
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

/// Every error answer is `application/problem+json` (`Problem`). Which statuses an operation can
/// answer follows from the doors it goes through, so they are added here once rather than
/// repeated on every handler: any operation can meet an unreadable path or query (400), a bad
/// API token (401), a refusal (403), a missing object (404) and an internal failure (500);
/// operations with a body can meet a body too large (413) or of the wrong type (415); writes can
/// meet fields to fix (422) and a state that does not allow them (409); the report,
/// attachment, login and password endpoints are rate-limited (429).
struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let rate_limited = [
                "/api/v1/reports",
                "/api/v1/attachments",
                "/api/v1/sessions",
                "/api/v1/me/password",
            ]
            .iter()
            .any(|p| path.starts_with(p));
            let ops = [
                (&mut item.get, false),
                (&mut item.delete, true),
                (&mut item.post, true),
                (&mut item.put, true),
                (&mut item.patch, true),
            ];
            for (op, write) in ops {
                let Some(op) = op.as_mut() else { continue };
                let has_body = op.request_body.is_some();
                let mut statuses = vec![
                    ("400", "The path, query or body cannot be read"),
                    (
                        "401",
                        "Log in, or send a valid API token or the report's secret",
                    ),
                    ("403", "Not allowed for this caller"),
                    ("404", "Not found"),
                    ("500", "Internal failure (logged)"),
                ];
                if write {
                    statuses.push(("409", "Not possible in the current state"));
                }
                if write || has_body {
                    statuses.push(("422", "Fields to fix, or a value that does not fit"));
                }
                if has_body {
                    statuses.push(("413", "The body is too large"));
                    statuses.push(("415", "Send JSON (or multipart where files are accepted)"));
                }
                if rate_limited {
                    statuses.push(("429", "Too many requests; see Retry-After"));
                }
                for (status, description) in statuses {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| problem(description).into());
                }
            }
        }
    }
}

/// Uploads: up to 5 files of 5 MiB plus the JSON part.
pub const UPLOAD_LIMIT: usize = 5 * 5 * 1024 * 1024 + JSON_LIMIT;

pub fn router() -> axum::Router<AppState> {
    use admin::*;
    use compliance::*;
    use privacy::*;
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
        .routes(routes!(review_attachment))
        .routes(routes!(create_session))
        .routes(routes!(delete_session))
        .routes(routes!(me))
        .routes(routes!(change_password))
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
        .routes(routes!(export_reporter, correct_reporter))
        .routes(routes!(forget_reporter))
        .routes(routes!(get_compliance))
        .routes(routes!(list_heads))
        .routes(routes!(report_obligations))
        .layer(DefaultBodyLimit::max(JSON_LIMIT));
    let (router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(uploads)
        .merge(json)
        .split_for_parts();
    // The operations exist only now that the routes are merged.
    ProblemResponses.modify(&mut openapi);
    let doc = std::sync::Arc::new(openapi);
    router.route(
        "/api/v1/openapi.json",
        axum::routing::get(move || async move { Json(doc.as_ref().clone()) }),
    )
}
