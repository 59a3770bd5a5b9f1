//! What operators rely on: `/metrics` read back by a Prometheus text-format parser, who may
//! scrape it, request ids on answers, readiness that covers the attachment directory, and
//! submissions retried with an `Idempotency-Key` storing one report, and clients that go away
//! mid-request leaving nothing broken behind.

use crate::common::{TestApp, complaint, problem};
use prometheus_parse::{Scrape, Value as Sample};
use reqwest::StatusCode;
use serde_json::Value;

crate::on_both_backends!(
    metrics_are_scraped_by_a_prometheus_parser,
    answers_carry_a_request_id,
    readiness_checks_the_attachment_directory,
    a_retried_submission_stores_one_report,
    the_same_key_with_another_report_is_refused,
    clients_that_go_away_leave_every_connection_usable
);

async fn scrape(app: &TestApp) -> Scrape {
    let r = app.anonymous().get("/metrics").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    let text = r.text().await.unwrap();
    Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("Prometheus text format")
}

/// The value of the sample named `name` whose labels include `labels`.
fn sample(s: &Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    s.samples
        .iter()
        .filter(|x| x.metric == name)
        .find(|x| labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
        .and_then(|x| match &x.value {
            Sample::Counter(v) | Sample::Gauge(v) | Sample::Untyped(v) => Some(*v),
            Sample::Histogram(h) => h.last().map(|b| b.count),
            Sample::Summary(_) => None,
        })
}

async fn metrics_are_scraped_by_a_prometheus_parser(app: &TestApp) {
    app.submit(complaint("Jalan berlubang di depan pasar"))
        .await;
    let missing = app
        .anonymous()
        .get("/lacak/LG-0000000000")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let s = scrape(app).await;
    // The recorder is the process's: other tests in this binary add to the counters, so these
    // are lower bounds.
    let created = sample(
        &s,
        "tanggap_http_requests_total",
        &[
            ("route", "/api/v1/reports"),
            ("method", "POST"),
            ("status", "201"),
        ],
    );
    assert!(created.unwrap_or(0.0) >= 1.0, "{created:?}");
    // Routes are the router's patterns, never a path with a tracking ID in it.
    assert!(
        s.samples
            .iter()
            .filter(|x| x.metric == "tanggap_http_requests_total")
            .all(|x| !x.labels.get("route").unwrap_or("").contains("LG-")),
    );
    assert!(
        sample(
            &s,
            "tanggap_http_request_duration_seconds",
            &[("route", "/api/v1/reports"), ("method", "POST")]
        )
        .unwrap_or(0.0)
            >= 1.0
    );
    assert!(
        sample(&s, "tanggap_reports_received_total", &[("channel", "api")]).unwrap_or(0.0) >= 1.0
    );
    // Read from this application's database at the scrape: the report's receipt is waiting
    // in the outbox (the jobs are off in tests).
    assert!(sample(&s, "tanggap_outbox_notifications", &[("state", "pending")]).is_some());
    assert!(sample(&s, "tanggap_outbox_notifications", &[("state", "dead")]).is_some());
    assert!(sample(&s, "tanggap_writer_queue_depth", &[]).is_some());
    assert!(sample(&s, "tanggap_db_pool_connections", &[("state", "max")]).unwrap_or(0.0) >= 1.0);
    assert!(s.docs.contains_key("tanggap_http_requests_total"));

    // The scheduler's and the outbox's counters appear once they have worked.
    app.advance(chrono::TimeDelta::hours(30));
    app.deliver().await;
    let s = scrape(app).await;
    assert!(
        s.samples
            .iter()
            .any(|x| x.metric == "tanggap_notifications_total")
    );
    // No reporter's details in any name or label (values are numbers: a latency may well
    // read 0.0812).
    for x in &s.samples {
        let words = std::iter::once(x.metric.as_str()).chain(x.labels.values().map(String::as_str));
        for w in words {
            for private in ["Siti", "0812", "siti@example.id", "LG-"] {
                assert!(
                    !w.contains(private),
                    "{private} in {} {:?}",
                    x.metric,
                    x.labels
                );
            }
        }
    }
}

/// A client behind a trusted proxy is who the proxy says; not on this machine, it needs the
/// token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_from_outside_need_the_token() {
    let app = TestApp::sqlite_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        c.metrics_token = Some("rahasia-prometheus-123".into());
    })
    .await;
    let get = |forwarded: Option<&'static str>, token: Option<&'static str>| {
        let mut r = app.anonymous().get("/metrics");
        if let Some(f) = forwarded {
            r = r.header("x-forwarded-for", f);
        }
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        async move { r.send().await.unwrap().status() }
    };
    assert_eq!(get(None, None).await, StatusCode::OK, "loopback");
    assert_eq!(get(Some("203.0.113.9"), None).await, StatusCode::NOT_FOUND);
    assert_eq!(
        get(Some("203.0.113.9"), Some("salah")).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(Some("203.0.113.9"), Some("rahasia-prometheus-123")).await,
        StatusCode::OK
    );
    app.finish().await;

    // Without a token configured, only this machine may scrape.
    let app =
        TestApp::sqlite_with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let r = app
        .anonymous()
        .get("/metrics")
        .header("x-forwarded-for", "203.0.113.9")
        .bearer_auth("anything")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    app.finish().await;
}

async fn answers_carry_a_request_id(app: &TestApp) {
    let r = app.anonymous().get("/healthz").send().await.unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 16, "{id}");
    let again = app.anonymous().get("/healthz").send().await.unwrap();
    assert_ne!(again.headers()["x-request-id"].to_str().unwrap(), id);
    // A proxy's id is kept; one that is not a plain token is replaced.
    let r = app
        .anonymous()
        .get("/healthz")
        .header("x-request-id", "edge-7f3a:1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "edge-7f3a:1");
    let r = app
        .anonymous()
        .get("/healthz")
        .header("x-request-id", "<script>")
        .send()
        .await
        .unwrap();
    assert_ne!(r.headers()["x-request-id"], "<script>");
}

async fn readiness_checks_the_attachment_directory(app: &TestApp) {
    let ready = || async { app.anonymous().get("/readyz").send().await.unwrap() };
    assert_eq!(ready().await.status(), StatusCode::OK);
    let dir = app.config.data_dir.join("attachments");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::write(&dir, b"a file where the directory should be").unwrap();
    let r = ready().await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.text().await.unwrap().contains("attachment"));
    std::fs::remove_file(&dir).unwrap();
    assert_eq!(ready().await.status(), StatusCode::OK);
}

/// Start-up refuses a data directory whose attachment directory cannot take files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_refuses_an_attachment_directory_that_is_a_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("attachments"), b"not a directory").unwrap();
    let mut config = tanggap::config::Config::load(None, |_| None).unwrap();
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.data_dir = dir.path().to_path_buf();
    config.jobs = false;
    let err = match tanggap::Application::build(&config).await {
        Ok(_) => panic!("started with a file for an attachment directory"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("attachment directory"), "{err}");
}

async fn post_once(app: &TestApp, key: &str, body: &Value) -> reqwest::Response {
    app.anonymous()
        .post("/api/v1/reports")
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn a_retried_submission_stores_one_report(app: &TestApp) {
    let body = complaint("Pungutan liar di SMA Negeri 3");
    let before = app.scalar("SELECT COUNT(*) FROM reports").await;
    let key = "0f8fad5b-d9cb-469f-a165-70867728950e";
    // Twenty at once (a client that timed out and retried, several times, in parallel).
    let answers = futures_util::future::join_all((0..20).map(|_| post_once(app, key, &body))).await;
    let mut seen = std::collections::BTreeSet::new();
    let mut replayed = 0;
    for r in answers {
        assert_eq!(r.status(), StatusCode::CREATED);
        if r.headers().get("idempotent-replayed").is_some() {
            replayed += 1;
        }
        let v: Value = r.json().await.unwrap();
        seen.insert((
            v["tracking_id"].as_str().unwrap().to_string(),
            v["secret"].as_str().unwrap().to_string(),
        ));
    }
    assert_eq!(seen.len(), 1, "one tracking ID and secret: {seen:?}");
    assert_eq!(replayed, 19);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM reports").await, before + 1);
    // And later, one by one: the same answer, and the secret works.
    let r = post_once(app, key, &body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    let (tid, secret) = seen.into_iter().next().unwrap();
    assert_eq!(v["tracking_id"], tid.as_str());
    assert_eq!(v["secret"], secret.as_str());
    let report = app.reporter(&secret).report(&tid).await;
    assert_eq!(report["reporter"]["name"], "Siti Aminah");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM reports").await, before + 1);
    // The database holds the key nowhere, and its row does not show the secret (the receipt
    // waiting in the outbox carries the reporter's link, as without a key).
    assert!(!app.all_rows_as_text().await.contains(key));
    let row = app
        .texts(
            "SELECT key_hash || ' ' || request_hash || ' ' || sealed_secret FROM idempotency_keys",
        )
        .await;
    assert_eq!(row.len(), 1);
    assert!(!row[0].contains(&secret), "{row:?}");
    // One receipt, one audit record of the creation.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'report.created'")
            .await,
        before + 1
    );
    // Without a key, the same body is a new report.
    app.submit(body).await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM reports").await, before + 2);
    // A day later the key is forgotten.
    app.advance(chrono::TimeDelta::hours(25));
    app.services.purge_idempotency_keys().await.unwrap();
    assert_eq!(app.scalar("SELECT COUNT(*) FROM idempotency_keys").await, 0);
}

async fn the_same_key_with_another_report_is_refused(app: &TestApp) {
    let key = "kunci-ulang-1";
    let first = post_once(app, key, &complaint("Lampu jalan mati di Jl. Pahlawan")).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let r = post_once(app, key, &complaint("Sampah menumpuk di pasar")).await;
    let (status, p) = problem(r).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "Idempotency-Key", "{p}");
    assert_eq!(p["errors"][0]["code"], "reused", "{p}");
    let r = post_once(app, &"x".repeat(300), &complaint("Kunci terlalu panjang")).await;
    let (status, p) = problem(r).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["code"], "invalid", "{p}");
    // Another key with the second report is fine.
    let r = post_once(app, "kunci-ulang-2", &complaint("Sampah menumpuk di pasar")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

/// A client that goes away mid-request (a closed tab, a phone losing signal, a proxy's timeout)
/// leaves every pooled connection usable. On PostgreSQL a request dropped just after its
/// `BEGIN` was sent left a connection inside a transaction its pool did not know of (sqlx
/// 0.8.6 counts a `BEGIN` once its answer is read), and a later request on that connection
/// failed: the 500s seen when `wrk` closed its connections at the end of a benchmark.
async fn clients_that_go_away_leave_every_connection_usable(app: &TestApp) {
    use std::time::Duration;
    let (tid, secret) = app
        .submit(complaint("Lampu jalan padam di depan pasar"))
        .await;
    let reporter = app.reporter(&secret);
    let path = format!("/api/v1/reports/{tid}");
    let ok = reporter.get(&path).send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    // Cut off at every moment of the request (its reading of the report's view is one
    // transaction on PostgreSQL), four at a time, from 0.15 ms to 100 ms.
    for round in 0..125u64 {
        let cut = (0..4).map(|i| {
            reporter
                .get(&path)
                .timeout(Duration::from_micros(150 + 200 * (round * 4 + i)))
                .send()
        });
        futures_util::future::join_all(cut).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    if app.is_postgres() {
        let stuck = app
            .scalar(
                "SELECT COUNT(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
            )
            .await;
        assert_eq!(stuck, 0, "connections left inside a transaction");
    }
    for _ in 0..40 {
        let r = reporter.get(&path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}
