//! The transport against slow, idle and too many clients, over raw TCP; and the public list's
//! rate limit and depth.

use crate::common::{TestApp, complaint, problem};
use reqwest::StatusCode;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tanggap_domain::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn addr(app: &TestApp) -> SocketAddr {
    app.base.trim_start_matches("http://").parse().unwrap()
}

/// Wait up to `limit` for the server to close the connection (or answer); what it sent.
async fn closed_within(s: &mut TcpStream, limit: Duration) -> Option<(Duration, String)> {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let left = limit.checked_sub(started.elapsed())?;
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => {
                return Some((started.elapsed(), String::from_utf8_lossy(&got).into()));
            }
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// Send `bytes` one a second; stop when the server closes the connection (or after `limit`).
/// Returns when the connection was closed, and what the server sent.
async fn trickle(s: &mut TcpStream, bytes: &[u8], limit: Duration) -> Option<(Duration, String)> {
    let started = Instant::now();
    let mut got = Vec::new();
    for b in bytes {
        if s.write_all(&[*b]).await.is_err() {
            return Some((started.elapsed(), String::from_utf8_lossy(&got).into()));
        }
        let mut buf = [0u8; 1024];
        let tick = Instant::now();
        while tick.elapsed() < Duration::from_secs(1) {
            let left = Duration::from_secs(1).saturating_sub(tick.elapsed());
            match tokio::time::timeout(left, s.read(&mut buf)).await {
                Err(_) => break,
                Ok(Ok(0)) | Ok(Err(_)) => {
                    return Some((started.elapsed(), String::from_utf8_lossy(&got).into()));
                }
                Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            }
        }
        if started.elapsed() > limit {
            return None;
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_sending_its_headers_a_byte_a_second_is_cut_off() {
    let app = TestApp::sqlite_with(|c| {
        c.transport.header_timeout = Duration::from_secs(2);
    })
    .await;
    let mut s = TcpStream::connect(addr(&app)).await.unwrap();
    let request = b"GET /healthz HTTP/1.1\r\nHost: tanggap\r\nUser-Agent: pelan-sekali\r\n\r\n";
    let (after, answer) = trickle(&mut s, request, Duration::from_secs(10))
        .await
        .expect("still connected after 10 s");
    assert!(
        after < Duration::from_secs(5),
        "cut off after {after:?}, the header timeout is 2 s"
    );
    assert!(!answer.contains("200 OK"), "{answer}");
    // Meanwhile, and after, the server answers others.
    assert_eq!(
        app.anonymous()
            .get("/healthz")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_sending_its_body_a_byte_a_second_gets_408() {
    let app = TestApp::sqlite_with(|c| {
        c.transport.body_timeout = Duration::from_secs(2);
    })
    .await;
    for (path, content_type) in [
        ("/api/v1/reports", "application/json"),
        ("/masuk", "application/x-www-form-urlencoded"),
    ] {
        let mut s = TcpStream::connect(addr(&app)).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: tanggap\r\nContent-Type: {content_type}\r\nContent-Length: 200\r\n\r\n"
        );
        s.write_all(head.as_bytes()).await.unwrap();
        let (after, answer) = trickle(&mut s, &[b'x'; 200], Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("{path}: still connected after 10 s"));
        assert!(after < Duration::from_secs(5), "{path}: after {after:?}");
        assert!(
            answer.starts_with("HTTP/1.1 408"),
            "{path}: answered {answer}"
        );
        if path.starts_with("/api/") {
            assert!(
                answer.contains("application/problem+json") && answer.contains("request_timeout")
            );
        } else {
            assert!(answer.contains("Permintaan terlalu lama terkirim"));
        }
    }
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_idle_connections_are_closed() {
    let app = TestApp::sqlite_with(|c| {
        c.transport.header_timeout = Duration::from_secs(2);
        c.transport.idle_timeout = Duration::from_secs(3);
    })
    .await;
    // Connected, says nothing: closed after the header timeout.
    let mut silent = TcpStream::connect(addr(&app)).await.unwrap();
    let (after, _) = closed_within(&mut silent, Duration::from_secs(8))
        .await
        .expect("a silent connection stays open");
    assert!(
        after >= Duration::from_millis(1500) && after < Duration::from_secs(5),
        "{after:?}"
    );
    // Kept alive after an answer: closed after the idle timeout.
    let mut kept = TcpStream::connect(addr(&app)).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: tanggap\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = kept.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let (after, _) = closed_within(&mut kept, Duration::from_secs(10))
        .await
        .expect("an idle kept-alive connection stays open");
    assert!(
        after >= Duration::from_millis(2500) && after < Duration::from_secs(6),
        "{after:?}"
    );
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_beyond_the_limit_make_room_and_healthz_keeps_answering() {
    let app = TestApp::sqlite_with(|c| {
        c.transport.max_connections = 20;
        c.transport.header_timeout = Duration::from_secs(60);
    })
    .await;
    let mut idle = Vec::new();
    for _ in 0..60 {
        idle.push(TcpStream::connect(addr(&app)).await.unwrap());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Half-sent requests count as idle too.
    for s in idle.iter_mut().skip(50) {
        s.write_all(b"GET /heal").await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..5 {
        let fresh = reqwest::Client::new();
        let t = Instant::now();
        let r = tokio::time::timeout(
            Duration::from_secs(5),
            fresh.get(app.url("/healthz")).send(),
        )
        .await
        .expect("/healthz answers while idle connections fill the limit")
        .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The oldest idle connections were closed to make room; at most the limit stay open.
    let mut open = 0;
    for s in &idle {
        let mut buf = [0u8; 16];
        match s.try_read(&mut buf) {
            Ok(0) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => open += 1,
            _ => {}
        }
    }
    assert!(open <= 20, "{open} of 60 idle connections still open");
    let mut first = idle.remove(0);
    assert!(
        closed_within(&mut first, Duration::from_secs(1))
            .await
            .is_some(),
        "the longest idle went first"
    );
    drop(idle);
    app.finish().await;
}

/// Without login, the list is rate-limited per address and no deeper than 10,000 reports.
async fn the_public_list_is_limited(app: &TestApp) {
    app.submit(complaint("Jalan berlubang")).await;
    let visitor = app.anonymous();
    for n in 1..=5 {
        let r = visitor.get("/api/v1/reports").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "request {n}");
    }
    let (status, body) = problem(visitor.get("/api/v1/reports").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["code"], "rate_limited");
    // Staff are not limited, and page as deep as they need.
    let op = app.staff("t.meja", Role::Operator, None).await;
    for _ in 0..8 {
        assert_eq!(
            op.get("/api/v1/reports?page=400&per_page=50")
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
    }
}

async fn the_public_list_is_shallow(app: &TestApp) {
    let visitor = app.anonymous();
    let r = visitor
        .get("/api/v1/reports?page=201&per_page=50")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "offset 10,000 is the deepest");
    let (status, body) = problem(
        visitor
            .get("/api/v1/reports?page=202&per_page=50")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("10000"), "{body}");
    let (status, _) = problem(
        visitor
            .get("/api/v1/reports?page=4294967295&per_page=200")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

fn few_lists(c: &mut tanggap::config::Config) {
    c.rates.public_list_per_ip_per_minute = 5;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_list_is_limited_on_sqlite() {
    let app = TestApp::sqlite_with(few_lists).await;
    the_public_list_is_limited(&app).await;
    app.finish().await;
    let app = TestApp::sqlite().await;
    the_public_list_is_shallow(&app).await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_list_is_limited_on_postgres() {
    let app = TestApp::postgres_with(few_lists).await;
    the_public_list_is_limited(&app).await;
    app.finish().await;
    let app = TestApp::postgres().await;
    the_public_list_is_shallow(&app).await;
    app.finish().await;
}
