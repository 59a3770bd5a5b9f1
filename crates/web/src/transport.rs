//! The transport: accepting connections and serving HTTP/1.1 on them, with the limits a public
//! site needs against clients that are slow, idle or too many.
//!
//! - **Header timeout.** A request's head (request line and headers) must arrive within
//!   [`TransportConfig::header_timeout`], counted from its first byte (from the opening of the
//!   connection for the first request). A client that sends its headers a byte at a time is cut
//!   off.
//! - **Body timeout.** A request's body must arrive within [`TransportConfig::body_timeout`] of
//!   its head. Past it, reading the body fails, the request is answered `408` and the
//!   connection closed.
//! - **Idle timeout.** A kept-alive connection with no request under way is closed after
//!   [`TransportConfig::idle_timeout`].
//! - **Connection limit.** At most [`TransportConfig::max_connections`] connections are served
//!   at once. A new connection beyond it takes the place of the one idle the longest (a
//!   connection waiting for a request head counts as idle), so idle and half-open connections
//!   can never keep a new client (or `/healthz`) out. Only when every connection has a request
//!   under way does accepting wait for one to finish.
//!
//! A connection counts as busy from the moment its request head has arrived until its response
//! has been sent; the timeouts above never cut a request that is being answered.

use crate::error::ApiError;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

/// How long clients may take, and how many may be connected at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportConfig {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

impl Default for TransportConfig {
    /// 20 s for a request head, 5 minutes for a body (25 MB of photos over a slow mobile link),
    /// 60 s of keep-alive, 4096 connections (keep the open-files limit above it).
    fn default() -> Self {
        TransportConfig {
            header_timeout: Duration::from_secs(20),
            body_timeout: Duration::from_secs(300),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
        }
    }
}

/// Serve `router` on `listener` until `stop` resolves; then stop accepting, let the requests
/// under way finish (idle connections close at once) and return.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    config: TransportConfig,
    stop: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let registry = Arc::new(Registry::default());
    let (shutdown, shutdown_seen) = watch::channel(false);
    let mut stop = pin!(stop);
    'accepting: loop {
        let (stream, peer) = tokio::select! {
            () = &mut stop => break 'accepting,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of file descriptors, most likely: wait a moment rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        while registry.len() >= config.max_connections.max(1) {
            if registry.shed_idlest() {
                continue;
            }
            // Every connection is answering a request: wait until one ends.
            let mut freed = pin!(registry.freed.notified());
            freed.as_mut().enable();
            if registry.len() < config.max_connections.max(1) {
                break;
            }
            tokio::select! {
                () = &mut stop => break 'accepting,
                () = freed => {}
                () = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
        }
        spawn_connection(
            stream,
            peer,
            router.clone(),
            config,
            registry.clone(),
            shutdown_seen.clone(),
        );
    }
    drop(shutdown_seen);
    let _ = shutdown.send(true);
    // Every connection holds a receiver; they are all gone once the last one has finished.
    shutdown.closed().await;
    Ok(())
}

fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}

fn spawn_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    config: TransportConfig,
    registry: Arc<Registry>,
    mut shutdown: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let conn = Arc::new(Conn::new());
    let id = registry.add(conn.clone());
    tokio::spawn(async move {
        let _listed = Listed { registry, id };
        let io = TokioIo::new(Watched {
            inner: stream,
            conn: conn.clone(),
        });
        let for_requests = conn.clone();
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            handle(
                req,
                router.clone(),
                peer,
                for_requests.clone(),
                config.body_timeout,
            )
        });
        let http = hyper::server::conn::http1::Builder::new()
            .keep_alive(true)
            .serve_connection(io, service);
        let mut http = pin!(http);
        let mut draining = false;
        loop {
            let deadline = conn.deadline(&config);
            let changed = conn.changed.notified();
            let killed = conn.killed.notified();
            tokio::select! {
                done = http.as_mut() => {
                    if let Err(e) = done {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                    break;
                }
                () = sleep_until(deadline) => {
                    if conn.deadline(&config).is_some_and(|d| d <= Instant::now()) {
                        tracing::debug!(%peer, "closing a slow or idle connection");
                        break;
                    }
                }
                () = changed => {}
                () = killed => {
                    tracing::debug!(%peer, "closing an idle connection to make room");
                    break;
                }
                _ = shutdown.changed(), if !draining => {
                    draining = true;
                    http.as_mut().graceful_shutdown();
                }
            }
        }
    });
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// One request: the router, with the peer's address, a deadline on the body, and the connection
/// marked busy until the response has been sent.
async fn handle(
    req: Request<Incoming>,
    router: Router,
    peer: SocketAddr,
    conn: Arc<Conn>,
    body_timeout: Duration,
) -> Result<Response<Body>, Infallible> {
    let busy = Busy::start(conn);
    let timed_out = Arc::new(AtomicBool::new(false));
    let api = req.uri().path().starts_with("/api/");
    let (mut parts, body) = req.into_parts();
    parts.extensions.insert(ConnectInfo(peer));
    let body = Body::new(DeadlineBody {
        inner: body,
        deadline: Box::pin(tokio::time::sleep(body_timeout)),
        timed_out: timed_out.clone(),
    });
    let response = router
        .oneshot(Request::from_parts(parts, body))
        .await
        .unwrap_or_else(|never| match never {});
    let response = if timed_out.load(Ordering::Acquire) {
        too_slow(api)
    } else {
        response
    };
    Ok(response.map(|b| {
        Body::new(b.map_frame(move |frame| {
            let _ = &busy;
            frame
        }))
    }))
}

/// 408 for a body that did not arrive in time, and the connection is closed after it.
fn too_slow(api: bool) -> Response<Body> {
    use axum::response::IntoResponse;
    let mut r = if api {
        ApiError::RequestTimeout.into_response()
    } else {
        let page = "<!doctype html>\n<html lang=\"id\"><meta charset=\"utf-8\"><title>408</title>\
<p>Permintaan terlalu lama terkirim. Periksa sambungan lalu coba lagi.</p>\
<p lang=\"en\">The request took too long to arrive. Check the connection and try again.</p></html>";
        let mut r = (StatusCode::REQUEST_TIMEOUT, axum::response::Html(page)).into_response();
        r.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'"),
        );
        r
    };
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// What a connection is doing, for its timeouts and for choosing whom to close at the limit.
struct Conn {
    state: Mutex<ConnState>,
    /// Its deadline may have moved.
    changed: Notify,
    /// Close it now (to make room).
    killed: Notify,
}

struct ConnState {
    /// Requests whose head has arrived and whose response has not been sent yet.
    in_flight: usize,
    /// Since when nothing is under way (the opening, or the end of the last response).
    idle_since: Instant,
    /// When the first byte of the next request head arrived.
    head_started: Option<Instant>,
    /// A request has been answered (later waits are keep-alive waits).
    served: bool,
}

impl Conn {
    fn new() -> Self {
        Conn {
            state: Mutex::new(ConnState {
                in_flight: 0,
                idle_since: Instant::now(),
                head_started: None,
                served: false,
            }),
            changed: Notify::new(),
            killed: Notify::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, ConnState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// When the connection is to be closed if nothing happens; `None` while a request is
    /// under way.
    fn deadline(&self, c: &TransportConfig) -> Option<Instant> {
        let s = self.state();
        if s.in_flight > 0 {
            return None;
        }
        Some(match s.head_started {
            Some(t) => t + c.header_timeout,
            None if !s.served => s.idle_since + c.header_timeout,
            None => s.idle_since + c.idle_timeout,
        })
    }

    /// Since when the connection has been idle; `None` while it answers a request.
    fn idle_since(&self) -> Option<Instant> {
        let s = self.state();
        (s.in_flight == 0).then_some(s.idle_since)
    }

    fn bytes_arrived(&self) {
        let mut s = self.state();
        if s.in_flight == 0 && s.head_started.is_none() {
            s.head_started = Some(Instant::now());
            drop(s);
            self.changed.notify_one();
        }
    }
}

/// Marks its connection busy while it lives.
struct Busy(Arc<Conn>);

impl Busy {
    fn start(conn: Arc<Conn>) -> Self {
        {
            let mut s = conn.state();
            s.in_flight += 1;
            s.head_started = None;
            s.served = true;
        }
        conn.changed.notify_one();
        Busy(conn)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        {
            let mut s = self.0.state();
            s.in_flight = s.in_flight.saturating_sub(1);
            if s.in_flight == 0 {
                s.idle_since = Instant::now();
            }
        }
        self.0.changed.notify_one();
    }
}

/// The open connections.
#[derive(Default)]
struct Registry {
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    next_id: AtomicU64,
    /// A connection ended.
    freed: Notify,
}

impl Registry {
    fn conns(&self) -> MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        self.conns.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn len(&self) -> usize {
        self.conns().len()
    }

    fn add(&self, conn: Arc<Conn>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.conns().insert(id, conn);
        id
    }

    fn remove(&self, id: u64) {
        if self.conns().remove(&id).is_some() {
            self.freed.notify_one();
        }
    }

    /// Close the connection that has been idle the longest; `false` if every one is busy.
    fn shed_idlest(&self) -> bool {
        let mut conns = self.conns();
        let idlest = conns
            .iter()
            .filter_map(|(id, c)| c.idle_since().map(|t| (t, *id)))
            .min();
        match idlest.and_then(|(_, id)| conns.remove(&id)) {
            Some(c) => {
                c.killed.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Takes its connection off the registry when the connection's task ends.
struct Listed {
    registry: Arc<Registry>,
    id: u64,
}

impl Drop for Listed {
    fn drop(&mut self) {
        self.registry.remove(self.id);
    }
}

/// The socket, telling its connection when bytes arrive (the start of a request head).
struct Watched {
    inner: TcpStream,
    conn: Arc<Conn>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.conn.bytes_arrived();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// A request body that fails once its deadline has passed.
struct DeadlineBody {
    inner: Incoming,
    deadline: Pin<Box<Sleep>>,
    timed_out: Arc<AtomicBool>,
}

/// Reading a request body took longer than the body timeout.
#[derive(Debug)]
pub struct BodyTimedOut;

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body took too long to arrive")
    }
}

impl std::error::Error for BodyTimedOut {}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|r| r.map_err(Into::into)));
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.timed_out.store(true, Ordering::Release);
            return Poll::Ready(Some(Err(Box::new(BodyTimedOut))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
