//! Who is calling: a logged-in user (cookie session, from `tower-sessions`, kept in our store),
//! an integration (a hashed API token in `Authorization: Bearer …`), the reporter (the secret
//! from their link), or nobody. Also CSRF protection for cookie-authenticated writes and the
//! rate limits on logins and tracking lookups.

use crate::AppState;
use crate::error::ApiError;
use async_trait::async_trait;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, header};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;
use tanggap_service::accounts::{login_key, password_change_required};
use tanggap_service::{Caller, RefusalKind, Services};
use tanggap_store::{SessionRecord, User};
use tower_sessions::Session;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// Session keys.
pub const SESSION_USER: &str = "user_id";
pub const SESSION_CSRF: &str = "csrf";
/// The account's session epoch at login: a session from an older epoch (the password, role or
/// agency changed since, or the account was deactivated) is not honoured.
pub const SESSION_EPOCH: &str = "epoch";
/// The header that carries the CSRF token on cookie-authenticated API writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// `tower-sessions` storage through the use cases: sessions live in our database, so several
/// instances share them. Only a hash of the session id is stored. A session expires `idle` after
/// its last save by Tanggap's own clock (the injected one), not the library's system time.
///
/// `tower-sessions` saves the session at every request to push its expiry back; a session
/// whose data did not change and whose stored expiry is less than [`RESAVE_AFTER`] old is not
/// written again (every staff page waited for a write and its fsync). A session may so end up
/// to that long before `idle` has passed since the last request.
#[derive(Clone)]
pub struct StoreSessions {
    pub services: Arc<Services>,
    pub idle: std::time::Duration,
    /// What this instance last stored per session (by id hash): its data and expiry.
    saved: Arc<Mutex<std::collections::HashMap<String, (String, tanggap_store::Timestamp)>>>,
}

/// How far a session's expiry must move before it is written again with unchanged data.
pub const RESAVE_AFTER: chrono::TimeDelta = chrono::TimeDelta::seconds(60);
/// Sessions remembered per instance before the expired ones are dropped from memory.
const SAVED_KEPT: usize = 10_000;

impl StoreSessions {
    pub fn new(services: Arc<Services>, idle: std::time::Duration) -> Self {
        StoreSessions {
            services,
            idle,
            saved: Arc::default(),
        }
    }

    /// Whether this save only pushes the expiry back by less than [`RESAVE_AFTER`].
    fn unchanged(&self, id_hash: &str, data: &str, expires_at: tanggap_store::Timestamp) -> bool {
        let saved = self.saved.lock().unwrap_or_else(|e| e.into_inner());
        saved
            .get(id_hash)
            .is_some_and(|(d, at)| d == data && expires_at - *at < RESAVE_AFTER)
    }

    fn remember(&self, id_hash: String, data: String, expires_at: tanggap_store::Timestamp) {
        let now = self.services.now();
        let mut saved = self.saved.lock().unwrap_or_else(|e| e.into_inner());
        if saved.len() >= SAVED_KEPT {
            saved.retain(|_, (_, at)| *at > now);
        }
        saved.insert(id_hash, (data, expires_at));
    }

    fn forget(&self, id_hash: &str) {
        let mut saved = self.saved.lock().unwrap_or_else(|e| e.into_inner());
        saved.remove(id_hash);
    }
}

impl std::fmt::Debug for StoreSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreSessions")
    }
}

/// A session's data as JSON with its keys in order. The record holds a hash map, which lists
/// its keys in a different order each time it is read back from the database: written as it
/// came, most requests found "changed" data and wrote the session again (with its fsync),
/// five times in six with three keys.
fn session_json(record: &Record) -> session_store::Result<String> {
    let sorted: std::collections::BTreeMap<&String, &serde_json::Value> =
        record.data.iter().collect();
    serde_json::to_string(&sorted).map_err(|e| session_store::Error::Encode(e.to_string()))
}

fn id_hash(id: &Id) -> String {
    hex::encode(Sha256::digest(id.0.to_be_bytes()))
}

fn from_chrono(t: tanggap_store::Timestamp) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(t.timestamp())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

fn backend(e: tanggap_service::ServiceError) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for StoreSessions {
    /// A fresh id that no stored session has (ids are 128 random bits; the loop is a formality).
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        while self.load(&record.id).await?.is_some() {
            record.id = Id::default();
        }
        self.save(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = session_json(record)?;
        let user_id = record.data.get(SESSION_USER).and_then(|v| v.as_i64());
        let idle = chrono::TimeDelta::from_std(self.idle).unwrap_or(chrono::TimeDelta::hours(8));
        let hash = id_hash(&record.id);
        let expires_at = self.services.now() + idle;
        if self.unchanged(&hash, &data, expires_at) {
            return Ok(());
        }
        self.services
            .save_session(&SessionRecord {
                id_hash: hash.clone(),
                user_id,
                data: data.clone(),
                expires_at,
            })
            .await
            .map_err(backend)?;
        self.remember(hash, data, expires_at);
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(rec) = self
            .services
            .load_session(&id_hash(id))
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&rec.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date: from_chrono(rec.expires_at),
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let hash = id_hash(id);
        self.forget(&hash);
        self.services.delete_session(&hash).await.map_err(backend)
    }
}

/// How a user proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthVia {
    Session,
    Token,
}

/// The caller, as far as we know, and how they proved it.
#[derive(Debug, Clone)]
pub struct Principal {
    pub caller: Caller,
    pub via: Option<AuthVia>,
}

impl Principal {
    pub fn anonymous() -> Self {
        Principal {
            caller: Caller::Public,
            via: None,
        }
    }

    pub fn user(&self) -> Option<&User> {
        self.caller.user()
    }

    /// The logged-in user, or 401.
    pub fn require_user(&self) -> Result<&User, ApiError> {
        self.user()
            .ok_or_else(|| tanggap_service::ServiceError::unauthenticated().into())
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

impl Principal {
    /// Who is calling, without any CSRF check: a bearer token wins over the session cookie.
    /// Returns the session too (pages need it for their own CSRF check on form posts).
    pub async fn resolve(
        parts: &Parts,
        state: &AppState,
    ) -> Result<(Principal, Option<Session>), ApiError> {
        if let Some(token) = bearer(parts) {
            let user = state.services.authenticate_token(token).await?;
            return Ok((
                Principal {
                    caller: Caller::Staff(user),
                    via: Some(AuthVia::Token),
                },
                None,
            ));
        }
        let Some(session) = parts.extensions.get::<Session>().cloned() else {
            return Ok((Principal::anonymous(), None));
        };
        let user_id: Option<i64> = session
            .get(SESSION_USER)
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let Some(user_id) = user_id else {
            return Ok((Principal::anonymous(), Some(session)));
        };
        let epoch: i64 = session
            .get(SESSION_EPOCH)
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .unwrap_or(0);
        match state.services.session_user(user_id, epoch).await? {
            Some(user) => Ok((
                Principal {
                    caller: Caller::Staff(user),
                    via: Some(AuthVia::Session),
                },
                Some(session),
            )),
            None => {
                // The account was deactivated or removed, or its credentials were ended since
                // this session began: end the session.
                let _ = session.flush().await;
                Ok((Principal::anonymous(), Some(session)))
            }
        }
    }
}

/// The API's caller. For a cookie-authenticated user, every unsafe method must carry the
/// session's CSRF token in `X-CSRF-Token`: a cookie alone is ambient authority that another site
/// could use. Bearer tokens are not ambient and need no CSRF token.
impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (principal, session) = Principal::resolve(parts, state).await?;
        if principal.caller.password_change_pending()
            && !may_pass_before_password_change(&parts.method, parts.uri.path())
        {
            return Err(password_change_required().into());
        }
        if let (Some(AuthVia::Session), Some(session)) = (principal.via, session)
            && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS)
        {
            let presented = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !csrf_matches(&session, presented).await? {
                return Err(ApiError::refused(
                    RefusalKind::Forbidden,
                    "csrf_token_missing",
                ));
            }
        }
        Ok(principal)
    }
}

/// What a user whose password was set by an administrator may still do through the API:
/// choose a new one, or log out.
fn may_pass_before_password_change(method: &Method, path: &str) -> bool {
    (method == Method::POST && path == "/api/v1/me/password")
        || (method == Method::DELETE && path == "/api/v1/sessions/current")
}

/// A logged-in staff member (session or API token), or 401 before anything else of the
/// request (its body included) is looked at.
pub struct Staff(pub Principal);

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let p = Principal::from_request_parts(parts, state).await?;
        p.require_user()?;
        Ok(Staff(p))
    }
}

/// The presented token equals the session's CSRF token.
pub async fn csrf_matches(session: &Session, presented: &str) -> Result<bool, ApiError> {
    let expected: Option<String> = session
        .get(SESSION_CSRF)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(expected.is_some_and(|e| constant_time_eq(&e, presented)))
}

pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

pub fn new_csrf_token() -> String {
    let mut b = [0u8; 24];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut b);
    hex::encode(b)
}

/// The login form is protected without a session (nothing is stored for a visitor who only
/// looks at it): the form carries a random token that must equal the one in this cookie, which
/// only the site can set and only the site's own pages can read back into a form
/// (double-submit). A page on another site can post to `/masuk` but cannot know the token.
pub const LOGIN_CSRF_COOKIE: &str = "tanggap_masuk";

/// A cookie's value from the request headers.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The `Set-Cookie` value that hands the login form's token to the browser (an empty token
/// removes it).
pub fn login_csrf_cookie(token: &str, secure: bool) -> String {
    let max_age = if token.is_empty() { 0 } else { 3600 };
    format!(
        "{LOGIN_CSRF_COOKIE}={token}; Path=/masuk; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The login form's token matches its cookie.
pub fn login_csrf_matches(headers: &axum::http::HeaderMap, presented: &str) -> bool {
    cookie(headers, LOGIN_CSRF_COOKIE)
        .is_some_and(|c| !c.is_empty() && constant_time_eq(c, presented))
}

/// The caller's address, for rate limits. Behind a trusted reverse proxy it is the right-most
/// `X-Forwarded-For` address that is not one of the proxies (the left-most ones can be forged).
pub struct ClientIp(pub IpAddr);

pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    forwarded_for
        .into_iter()
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        Ok(ClientIp(client_ip(peer, forwarded, &state.trusted_proxies)))
    }
}

#[cfg(test)]
mod tests {
    use super::{Record, client_ip, session_json};
    use std::net::IpAddr;

    /// A session read back from the database is a new hash map each time; the JSON written for
    /// the same data must be the same, or every page writes its session again.
    #[test]
    fn the_same_session_data_is_the_same_json_however_it_was_read() {
        let record = |data| Record {
            id: tower_sessions::session::Id::default(),
            data,
            expiry_date: time::OffsetDateTime::UNIX_EPOCH,
        };
        let mut first = std::collections::HashMap::new();
        for k in ["user", "csrf", "epoch", "lang", "flash", "a", "b", "c"] {
            first.insert(k.to_string(), serde_json::json!(format!("{k}-value")));
        }
        let stored = session_json(&record(first)).unwrap();
        assert!(stored.starts_with(r#"{"a":"a-value","b""#), "{stored}");
        for _ in 0..20 {
            let again: std::collections::HashMap<String, serde_json::Value> =
                serde_json::from_str(&stored).unwrap();
            assert_eq!(session_json(&record(again)).unwrap(), stored);
        }
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let client: IpAddr = "36.68.1.2".parse().unwrap();
        assert_eq!(
            client_ip(client, Some("1.2.3.4"), &[proxy]),
            client,
            "a direct caller cannot claim another address"
        );
        assert_eq!(client_ip(proxy, Some("36.68.1.2"), &[proxy]), client);
        assert_eq!(
            client_ip(proxy, Some("6.6.6.6, 36.68.1.2"), &[proxy]),
            client,
            "the forged left-most entry is ignored"
        );
        assert_eq!(client_ip(proxy, None, &[proxy]), proxy);
        assert_eq!(client_ip(proxy, Some("garbage"), &[proxy]), proxy);
    }
}

/// Per-process rate limits. With several instances each keeps its own counts, so the effective
/// limit is the per-instance limit times the number of instances.
///
/// Keys are bounded: usernames are counted as the login looks them up ([`login_key`]: trimmed,
/// lower case, at most 64 characters), and IPv6 clients by their /64 network (one customer's
/// line gets a /64, and rotating addresses inside it must not buy fresh quotas). Keys whose
/// quota has recovered are dropped once a minute, so random usernames cannot grow memory
/// without end; the per-IP login limit is checked first, which also bounds how fast new
/// usernames can be tried.
pub struct RateLimits {
    login_per_user: DefaultKeyedRateLimiter<String>,
    login_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    lookup_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    submit_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    public_list_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    last_prune: Mutex<Instant>,
}

/// How often the limiters forget keys whose quota has recovered.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

#[derive(Debug, Clone, Copy)]
pub struct RateConfig {
    pub login_per_user_per_minute: u32,
    pub login_per_ip_per_minute: u32,
    pub lookups_per_ip_per_minute: u32,
    pub submissions_per_ip_per_minute: u32,
    /// `GET /api/v1/reports` without login.
    pub public_list_per_ip_per_minute: u32,
}

impl Default for RateConfig {
    fn default() -> Self {
        RateConfig {
            login_per_user_per_minute: 5,
            login_per_ip_per_minute: 30,
            lookups_per_ip_per_minute: 60,
            submissions_per_ip_per_minute: 30,
            public_list_per_ip_per_minute: 60,
        }
    }
}

/// The key an address is counted under: IPv4 addresses as they are (an IPv4-mapped IPv6
/// address as its IPv4 address), IPv6 addresses by their /64 network.
pub fn rate_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

impl RateLimits {
    pub fn new(c: RateConfig) -> Self {
        RateLimits {
            login_per_user: RateLimiter::keyed(per_minute(c.login_per_user_per_minute)),
            login_per_ip: RateLimiter::keyed(per_minute(c.login_per_ip_per_minute)),
            lookup_per_ip: RateLimiter::keyed(per_minute(c.lookups_per_ip_per_minute)),
            submit_per_ip: RateLimiter::keyed(per_minute(c.submissions_per_ip_per_minute)),
            public_list_per_ip: RateLimiter::keyed(per_minute(c.public_list_per_ip_per_minute)),
            last_prune: Mutex::new(Instant::now()),
        }
    }

    fn check<K: std::hash::Hash + Eq + Clone>(
        &self,
        limiter: &DefaultKeyedRateLimiter<K>,
        key: &K,
    ) -> Result<(), ApiError> {
        self.prune_now_and_then();
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ));
            ApiError::Refused(
                tanggap_service::Refusal::new(
                    RefusalKind::RateLimited {
                        retry_after_secs: wait.as_secs().max(1),
                    },
                    "rate_limited",
                )
                .with("retry_after_secs", wait.as_secs().max(1)),
            )
        })
    }

    /// Prune at most once per [`PRUNE_EVERY`]; a request that finds another one pruning goes on.
    fn prune_now_and_then(&self) {
        let Ok(mut last) = self.last_prune.try_lock() else {
            return;
        };
        if last.elapsed() < PRUNE_EVERY {
            return;
        }
        *last = Instant::now();
        drop(last);
        self.prune();
    }

    /// Forget every key whose quota has fully recovered (it would behave exactly like a new one).
    pub fn prune(&self) {
        fn one<K: std::hash::Hash + Eq + Clone>(l: &DefaultKeyedRateLimiter<K>) {
            l.retain_recent();
            l.shrink_to_fit();
        }
        one(&self.login_per_user);
        one(&self.login_per_ip);
        one(&self.lookup_per_ip);
        one(&self.submit_per_ip);
        one(&self.public_list_per_ip);
    }

    /// How many keys the limiters hold (for tests and diagnostics).
    pub fn keys(&self) -> usize {
        self.login_per_user.len()
            + self.login_per_ip.len()
            + self.lookup_per_ip.len()
            + self.submit_per_ip.len()
            + self.public_list_per_ip.len()
    }

    pub fn login(&self, username: &str, ip: IpAddr) -> Result<(), ApiError> {
        self.check(&self.login_per_ip, &rate_key(ip))?;
        self.check(&self.login_per_user, &login_key(username))
    }

    pub fn lookup(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.check(&self.lookup_per_ip, &rate_key(ip))
    }

    pub fn submit(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.check(&self.submit_per_ip, &rate_key(ip))
    }

    pub fn public_list(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.check(&self.public_list_per_ip, &rate_key(ip))
    }
}

#[cfg(test)]
mod rate_tests {
    use super::*;

    fn limits(per_minute: u32) -> RateLimits {
        RateLimits::new(RateConfig {
            login_per_user_per_minute: per_minute,
            login_per_ip_per_minute: 1_000_000,
            lookups_per_ip_per_minute: per_minute,
            submissions_per_ip_per_minute: per_minute,
            public_list_per_ip_per_minute: per_minute,
        })
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_username_is_counted_as_the_login_looks_it_up() {
        let l = limits(2);
        let from = ip("36.68.1.2");
        l.login("admin", from).unwrap();
        l.login("Admin ", from).unwrap();
        assert!(
            l.login(" ADMIN\t", from).is_err(),
            "spaces and capitals do not buy a fresh quota"
        );
        let l = limits(2);
        let long = "a".repeat(100_000);
        l.login(&long, from).unwrap();
        l.login(&format!("{long}b"), from).unwrap();
        assert!(
            l.login(&"a".repeat(64), from).is_err(),
            "a long name is counted by its first 64 characters"
        );
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_network() {
        let l = limits(2);
        l.lookup(ip("2001:db8:1:2::1")).unwrap();
        l.lookup(ip("2001:db8:1:2:ffff::9")).unwrap();
        assert!(
            l.lookup(ip("2001:db8:1:2:abcd:1234:5678:9")).is_err(),
            "another address in the same /64 shares the quota"
        );
        l.lookup(ip("2001:db8:1:3::1"))
            .expect("the next /64 is another customer");
        assert_eq!(rate_key(ip("::ffff:36.68.1.2")), ip("36.68.1.2"));
        assert_eq!(rate_key(ip("36.68.1.2")), ip("36.68.1.2"));
    }

    #[test]
    fn keys_whose_quota_recovered_are_forgotten() {
        // 60,000 a minute: one request's cell comes back after a millisecond.
        let l = limits(60_000);
        for n in 0..2_000 {
            let _ = l.login(&format!("acak{n}"), ip("36.68.1.2"));
        }
        assert!(l.keys() >= 2_000);
        // The address's quota (a million a minute) needs 2,000 × 60 µs to recover.
        std::thread::sleep(Duration::from_millis(300));
        l.prune();
        assert_eq!(l.keys(), 0, "nothing is kept for keys that look new again");
    }
}
