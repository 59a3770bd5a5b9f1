//! Tanggap's HTTP surface: two adapters (the JSON API and the pages) in front of the one door,
//! `tanggap_service::Services`. [`router`] builds the whole application; handlers parse their
//! format, call a use case with the caller they authenticated, and render the answer or the
//! refusal in the caller's language. They decide nothing themselves.

pub mod api;
pub mod auth;
pub mod channels;
mod connectors;
pub mod error;
pub mod extract;
pub mod open311;
pub mod open_data;
pub mod operations;
pub mod rakor;
pub mod rakor_pdf;
pub mod rakor_xlsx;
pub mod spreadsheet;
pub mod transport;
pub mod ui;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use std::sync::Arc;
use tanggap_attachments::{DiskStore, Limits};
use tanggap_service::Services;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub use auth::{RateConfig, RateLimits};
pub use transport::{TransportConfig, serve};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
    pub limits: Arc<RateLimits>,
    pub attachments: Arc<DiskStore>,
    pub attachment_limits: Limits,
    /// Where citizens reach the site (`https://lapor.jatengprov.go.id`), for links; may be empty.
    pub public_url: String,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<Vec<std::net::IpAddr>>,
    /// A staff session ends after this long without a request.
    pub session_idle: std::time::Duration,
    /// The chat channels' credentials (a channel without them answers 404).
    pub channels: Arc<tanggap_channels::ChannelsConfig>,
    /// Woken when a webhook recorded a new message, so the inbox handles it at once.
    pub inbox: Arc<tokio::sync::Notify>,
    /// The home page's map of recent reports (none: the list only).
    pub map: Option<ui::map::TileSource>,
    /// The public dashboard's rendered pages, kept for a minute.
    pub statistik: Arc<ui::statistik::PageCache>,
    /// The home page's list of recent public reports by kabupaten/kota (`""`: the province).
    pub home: Arc<ui::memo::Memo<String, ui::citizen::HomeData>>,
    /// The home page's province-wide totals and agencies.
    pub home_totals: Arc<ui::memo::Memo<(), ui::citizen::HomeTotals>>,
    pub open311: Arc<Open311Config>,
    pub metrics_token: Option<Arc<str>>,
}

/// How the web layer is set up.
#[derive(Debug, Clone)]
pub struct WebConfig {
    pub attachments_dir: std::path::PathBuf,
    pub public_url: Option<String>,
    pub rates: RateConfig,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub session_idle: std::time::Duration,
    pub channels: tanggap_channels::ChannelsConfig,
    /// Shared with the inbox (see [`AppState::inbox`]).
    pub inbox: Arc<tokio::sync::Notify>,
    /// A tile URL template for the home page's map, and its attribution.
    pub map_tiles: Option<String>,
    pub map_attribution: Option<String>,
    /// `/metrics` for clients that are not on this machine (see [`operations`]).
    pub metrics_token: Option<String>,
    pub open311: Open311Config,
}

/// How `/open311/v2` names this installation.
#[derive(Debug, Clone)]
pub struct Open311Config {
    /// The `jurisdiction_id` clients send; another one is answered 404.
    pub jurisdiction: String,
    /// A request without `jurisdiction_id` is answered 400.
    pub jurisdiction_required: bool,
}

impl Default for Open311Config {
    fn default() -> Self {
        Open311Config {
            jurisdiction: "jatengprov.go.id".into(),
            jurisdiction_required: false,
        }
    }
}

impl AppState {
    /// Cookies are Secure when the site is served over TLS (its public address is https).
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    pub fn new(services: Arc<Services>, config: &WebConfig) -> Self {
        AppState {
            services,
            limits: Arc::new(RateLimits::new(config.rates)),
            attachments: Arc::new(DiskStore::new(config.attachments_dir.clone())),
            attachment_limits: Limits::default(),
            public_url: config.public_url.clone().unwrap_or_default(),
            trusted_proxies: Arc::new(config.trusted_proxies.clone()),
            session_idle: config.session_idle,
            channels: Arc::new(config.channels.clone()),
            inbox: config.inbox.clone(),
            map: config.map_tiles.as_deref().and_then(|t| {
                let source = ui::map::TileSource::new(t, config.map_attribution.as_deref());
                if source.is_none() {
                    tracing::warn!(
                        "TANGGAP_MAP_TILES is not an http(s) URL with {{z}}, {{x}} and {{y}}: no map"
                    );
                }
                source
            }),
            statistik: Arc::default(),
            home: Arc::default(),
            home_totals: Arc::default(),
            open311: Arc::new(config.open311.clone()),
            metrics_token: config.metrics_token.as_deref().map(Arc::from),
        }
    }
}

pub fn router(state: AppState) -> Router {
    // Installed before the first request, so that nothing counted is lost.
    operations::handle();
    let secure = state.secure_cookies();
    let idle =
        time::Duration::seconds(i64::try_from(state.session_idle.as_secs()).unwrap_or(8 * 3600));
    let sessions = SessionManagerLayer::new(auth::StoreSessions::new(
        state.services.clone(),
        state.session_idle,
    ))
    .with_name("tanggap_session")
    .with_http_only(true)
    .with_secure(secure)
    .with_same_site(SameSite::Lax)
    .with_expiry(Expiry::OnInactivity(idle));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(operations::scrape))
        .merge(api::router().layer(axum::middleware::from_fn(error::localise)))
        .merge(ui::router())
        .merge(channels::router())
        .merge(connectors::router())
        .merge(open311::router())
        .fallback(ui::not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(sessions)
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(axum::middleware::from_fn(operations::track))
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                |req: &axum::http::Request<_>| {
                    // The path only: query strings can carry a reporter's secret.
                    tracing::info_span!(
                        "http",
                        method = %req.method(),
                        path = %req.uri().path(),
                        request_id = %operations::request_id_of(req),
                    )
                },
            ),
        )
        .layer(axum::middleware::from_fn(operations::request_id))
        .layer(axum::middleware::from_fn(operations::run_to_end))
        .with_state(state)
}

async fn method_not_allowed() -> error::ApiError {
    error::ApiError::MethodNotAllowed
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The process can serve: its database answers and its attachment directory takes files.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if let Err(e) = state.services.ping().await {
        tracing::warn!(error = %e, "readiness check failed: database");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable");
    }
    let attachments = state.attachments.clone();
    let checked = tokio::task::spawn_blocking(move || attachments.check_writable()).await;
    if let Err(e) = checked
        .map_err(|e| std::io::Error::other(e.to_string()))
        .and_then(|r| r)
    {
        tracing::warn!(error = %e, "readiness check failed: attachment directory");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "attachment directory unavailable",
        );
    }
    (StatusCode::OK, "ready")
}
