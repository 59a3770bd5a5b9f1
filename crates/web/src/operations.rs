//! What operators see of the running process: Prometheus metrics at `/metrics`, and a request id
//! on every request's log lines and in its `X-Request-Id` answer header.
//!
//! The process records through the `metrics` facade wherever the work happens (requests here,
//! reports received in the submit use case, clocks fired and notifications sent in the jobs,
//! batch sizes in the stores' writers); this module installs the one recorder that keeps them
//! and renders them. Figures that live in the database (the outbox, dead letters, the pool, the
//! writer's queue) are read at each scrape through [`tanggap_service::Services::operations`].
//! Nothing here names a report, a reporter or a path with an identifier in it: routes are the
//! router's patterns (`/lacak/{tracking_id}`), never the request's path.
//!
//! `/metrics` answers loopback clients (after the trusted-proxy rule, so a request relayed by a
//! local reverse proxy counts as its real client) and otherwise only a bearer token equal to
//! `TANGGAP_METRICS_TOKEN`; anyone else gets 404, as if there were nothing there.

use crate::AppState;
use crate::auth::{ClientIp, constant_time_eq};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tanggap_service::Caller;

/// Seconds: from a cached page (1 ms) to a slow export.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Changes or reports committed together by a writer.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Requests answered and of them 5xx, since the process started (the admin page's glance).
static REQUESTS: AtomicU64 = AtomicU64::new(0);
static SERVER_ERRORS: AtomicU64 = AtomicU64::new(0);

/// The process's recorder, installed on first use. Several applications in one process (the
/// tests) share it; a process whose global recorder someone else installed renders an empty
/// page and says so in the log.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("tanggap_http_request_duration_seconds".into()),
                LATENCY_BUCKETS,
            )
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full("tanggap_writer_batch_size".into()),
                    BATCH_BUCKETS,
                )
            })
            .expect("the bucket lists are not empty")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed: /metrics shows only gauges");
        }
        describe();
        handle
    })
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "tanggap_http_requests_total",
        "HTTP requests answered, by method, route pattern and status"
    );
    describe_histogram!(
        "tanggap_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request, by method and route pattern"
    );
    describe_counter!(
        "tanggap_reports_received_total",
        "Reports stored, by the channel they came in on"
    );
    describe_counter!(
        "tanggap_clock_steps_fired_total",
        "SLA clock thresholds acted on by the scheduler (reminders, escalations, lapses)"
    );
    describe_counter!(
        "tanggap_reports_auto_closed_total",
        "Reports closed by the auto-close clock"
    );
    describe_counter!(
        "tanggap_notifications_total",
        "Notification delivery attempts, by outcome (sent, retried, dead)"
    );
    describe_histogram!(
        "tanggap_writer_batch_size",
        "Changes or new reports committed in one transaction by a writer"
    );
    describe_gauge!(
        "tanggap_outbox_notifications",
        "Notifications in the outbox, by state (pending: waiting or being sent; dead: given up)"
    );
    describe_gauge!(
        "tanggap_connector_outbox_documents",
        "Documents waiting to be forwarded to agencies' own systems"
    );
    describe_gauge!(
        "tanggap_writer_queue_depth",
        "Writes waiting for the database writer (SQLite) or reports for the intake batcher"
    );
    describe_gauge!(
        "tanggap_db_pool_connections",
        "Database connections: open, idle, and the most the pool opens"
    );
}

/// Runs the rest of the request on a task of its own, so that its work is finished even when
/// the client goes away (the server drops a request's future when its connection closes). A
/// request dropped in the middle of a database call could leave a pooled PostgreSQL connection
/// inside a transaction its pool did not know of (sqlx 0.8.6 counts a `BEGIN` only once its
/// answer is read), and a later request on that connection failed: the 500s when `wrk` closed
/// its connections at the end of a benchmark. Writes were never half-done (each is one
/// transaction); now none is cut short either.
pub async fn run_to_end(req: Request, next: Next) -> Response {
    match tokio::spawn(next.run(req)).await {
        Ok(response) => response,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Only when the runtime is shutting down.
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// Counts every answered request by route pattern and status, and times it.
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = method_label(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let response = next.run(req).await;
    let status = response.status();
    REQUESTS.fetch_add(1, Ordering::Relaxed);
    if status.is_server_error() {
        SERVER_ERRORS.fetch_add(1, Ordering::Relaxed);
    }
    metrics::counter!(
        "tanggap_http_requests_total",
        "method" => method,
        "route" => route.clone(),
        "status" => status.as_u16().to_string(),
    )
    .increment(1);
    metrics::histogram!(
        "tanggap_http_request_duration_seconds",
        "method" => method,
        "route" => route,
    )
    .record(start.elapsed().as_secs_f64());
    response
}

fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Requests answered and of them 5xx since the process started.
pub fn request_totals() -> (u64, u64) {
    (
        REQUESTS.load(Ordering::Relaxed),
        SERVER_ERRORS.load(Ordering::Relaxed),
    )
}

const REQUEST_ID: &str = "x-request-id";

/// A request id a client or proxy sent is kept when it is a plain token (letters, digits,
/// `-_.:`, at most 64); otherwise, or without one, a new one is drawn. The id goes into the
/// request (for the log span) and back in the answer.
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| plain_token(v))
        .map(str::to_string);
    let id = given.unwrap_or_else(new_request_id);
    let value = HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("-"));
    req.headers_mut().insert(REQUEST_ID, value.clone());
    let mut response = next.run(req).await;
    response.headers_mut().insert(REQUEST_ID, value);
    response
}

fn plain_token(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn new_request_id() -> String {
    let bytes: [u8; 8] = rand::random();
    hex::encode(bytes)
}

/// The request id [`request_id`] put on the request (for the log span).
pub fn request_id_of<B>(req: &axum::http::Request<B>) -> &str {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
}

/// `GET /metrics`.
pub async fn scrape(State(state): State<AppState>, ip: ClientIp, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if !may_scrape(ip.0, token, state.metrics_token.as_deref()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let handle = handle();
    match state.services.operations(&Caller::System).await {
        Ok(ops) => {
            metrics::gauge!("tanggap_outbox_notifications", "state" => "pending")
                .set(ops.outbox as f64);
            metrics::gauge!("tanggap_outbox_notifications", "state" => "dead")
                .set(ops.dead_letters as f64);
            metrics::gauge!("tanggap_connector_outbox_documents").set(ops.connector_outbox as f64);
            metrics::gauge!("tanggap_writer_queue_depth").set(ops.writer_queue as f64);
            for (s, v) in [
                ("open", ops.pool_size),
                ("idle", ops.pool_idle),
                ("max", ops.pool_max),
            ] {
                metrics::gauge!("tanggap_db_pool_connections", "state" => s).set(f64::from(v));
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: the store's figures could not be read"),
    }
    handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        handle.render(),
    )
        .into_response()
}

/// Loopback clients may; others need the configured token.
fn may_scrape(client: std::net::IpAddr, presented: Option<&str>, token: Option<&str>) -> bool {
    if client.is_loopback() {
        return true;
    }
    match (presented, token) {
        (Some(p), Some(t)) => constant_time_eq(p, t),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    #[test]
    fn loopback_scrapes_freely_and_others_need_the_token() {
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let lo6: IpAddr = "::1".parse().unwrap();
        let far: IpAddr = "203.0.113.9".parse().unwrap();
        assert!(may_scrape(lo, None, None));
        assert!(may_scrape(lo6, None, Some("t0ken")));
        assert!(!may_scrape(far, None, None));
        assert!(!may_scrape(far, Some("t0ken"), None));
        assert!(!may_scrape(far, None, Some("t0ken")));
        assert!(!may_scrape(far, Some("t0ke"), Some("t0ken")));
        assert!(may_scrape(far, Some("t0ken"), Some("t0ken")));
    }

    #[test]
    fn request_ids_from_outside_are_kept_only_when_plain() {
        assert!(plain_token("abc-123_x.y:z"));
        assert!(!plain_token(""));
        assert!(!plain_token("a b"));
        assert!(!plain_token("line\nbreak"));
        assert!(!plain_token(&"x".repeat(65)));
        assert_eq!(new_request_id().len(), 16);
    }

    #[tokio::test]
    async fn a_request_runs_to_its_end_when_its_client_goes_away() {
        use std::sync::Arc;
        use std::sync::atomic::AtomicBool;
        use tower::ServiceExt;
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let app = axum::Router::new()
            .route(
                "/",
                axum::routing::get(move || async move {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    flag.store(true, Ordering::SeqCst);
                    "ok"
                }),
            )
            .layer(axum::middleware::from_fn(run_to_end));
        let req = axum::http::Request::get("/")
            .body(axum::body::Body::empty())
            .unwrap();
        // The client gives up after 5 ms: the server drops the request's future.
        let cut = tokio::time::timeout(std::time::Duration::from_millis(5), app.oneshot(req)).await;
        assert!(cut.is_err());
        assert!(!done.load(Ordering::SeqCst));
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        assert!(done.load(Ordering::SeqCst), "the handler was cut short");
    }
}
