//! The server-rendered pages. Citizens' pages work without JavaScript on a cheap phone; the
//! staff pages use the same forms, with a little script only where it saves typing. Every page
//! is an askama template (HTML-escaped by default), rendered with a [`Layout`] that carries the
//! language, the logged-in user and the CSRF token for forms. Nothing is loaded from outside.

pub mod admin;
pub mod citizen;
pub mod dashboards;
pub mod digest;
pub mod form;
pub mod map;
pub mod memo;
pub mod notifications;
pub mod privacy;
pub mod rakor;
pub mod staff;
pub mod statistik;
pub mod text;

use crate::AppState;
use crate::auth::{Principal, SESSION_CSRF, csrf_matches};
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tanggap_domain::policy::Permission;
use tanggap_service::Caller;
use tanggap_store::User;
use text::{Lang, Tr};
use tower_sessions::Session;

pub const LANG_COOKIE: &str = "tanggap_lang";
const FLASH: &str = "flash";
const FLASH_ERROR: &str = "flash_error";

/// What the base layout needs on every page.
pub struct Layout {
    pub tr: Tr,
    pub user: Option<User>,
    pub csrf: String,
    pub flash: Option<String>,
    /// Why the last action was refused.
    pub flash_error: Option<String>,
    /// Unread in-app notifications of the logged-in user.
    pub unread: usize,
    pub title: String,
    /// The current path, for the language switch.
    pub path: String,
}

impl Layout {
    pub fn is(&self, role: &str) -> bool {
        self.user.as_ref().is_some_and(|u| u.role.as_str() == role)
    }
    /// Whether the permission table lets the logged-in user do `p` (menus follow it).
    pub fn may(&self, p: &str) -> bool {
        let Some(u) = &self.user else { return false };
        Permission::ALL.iter().any(|x| {
            x.as_str() == p
                && tanggap_domain::policy::allows(tanggap_domain::policy::Party::Staff(u.role), *x)
        })
    }
    pub fn is_agency(&self) -> bool {
        self.may("view_agency_queue")
    }
    pub fn sees_dashboards(&self) -> bool {
        self.may("view_leadership_dashboard") || self.may("view_agency_dashboard")
    }
}

/// A page request: who is asking, in which language, with which session.
pub struct Ui {
    pub state: AppState,
    pub principal: Principal,
    pub session: Option<Session>,
    pub tr: Tr,
    pub path: String,
    /// `https://lapor.example.go.id`, or `http://{Host}` when no public address is configured.
    origin: String,
}

impl FromRequestParts<AppState> for Ui {
    type Rejection = UiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let fallback = Tr {
            lang: Lang::Id,
            tz: chrono_tz::Asia::Jakarta,
            now: state.services.now(),
        };
        let (principal, session) = Principal::resolve(parts, state)
            .await
            .map_err(|e| UiError::from_api(e, fallback))?;
        // A password set by an administrator is replaced before anything else.
        if principal.caller.password_change_pending()
            && !matches!(parts.uri.path(), staff::CHANGE_PASSWORD | "/keluar")
        {
            return Err(UiError::Redirect(staff::CHANGE_PASSWORD.into()));
        }
        let lang = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().strip_prefix(&format!("{LANG_COOKIE}=")))
            .find_map(Lang::parse)
            .unwrap_or(Lang::Id);
        let tz = state
            .services
            .time_zone()
            .await
            .unwrap_or(chrono_tz::Asia::Jakarta);
        let tr = Tr {
            lang,
            tz,
            now: state.services.now(),
        };
        // Links citizens keep (the secret link) are absolute: the configured public address,
        // else the address this request came to.
        let origin = if state.public_url.is_empty() {
            parts
                .headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .filter(|h| {
                    !h.is_empty()
                        && h.len() <= 255
                        && h.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
                })
                .map(|h| format!("http://{h}"))
                .unwrap_or_default()
        } else {
            state.public_url.trim_end_matches('/').to_string()
        };
        Ok(Ui {
            state: state.clone(),
            principal,
            session,
            tr,
            path: parts.uri.path().to_string(),
            origin,
        })
    }
}

impl Ui {
    /// Where this site is, for absolute links.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn user(&self) -> Option<&User> {
        self.principal.user()
    }

    /// Who is asking, for the use cases.
    pub fn caller(&self) -> &Caller {
        &self.principal.caller
    }

    /// The logged-in user, or a redirect to the login page.
    pub fn require_user(&self) -> Result<&User, UiError> {
        self.user()
            .ok_or_else(|| UiError::Redirect(format!("/masuk?lanjut={}", urlencode(&self.path))))
    }

    /// The logged-in user if the permission table lets them do `p`; a visitor goes to the login
    /// page.
    pub fn require(&self, p: Permission) -> Result<&User, UiError> {
        let u = self.require_user()?;
        self.caller()
            .require(p)
            .map_err(|e| self.api_error(e.into()))?;
        Ok(u)
    }

    /// The session's CSRF token (created on first use).
    pub async fn csrf(&self) -> String {
        let Some(session) = &self.session else {
            return String::new();
        };
        match session.get::<String>(SESSION_CSRF).await {
            Ok(Some(t)) => t,
            _ => {
                let t = crate::auth::new_csrf_token();
                let _ = session.insert(SESSION_CSRF, &t).await;
                t
            }
        }
    }

    /// Refuse a form post whose CSRF token is not the session's.
    pub async fn check_csrf(&self, presented: &str) -> Result<(), UiError> {
        let ok = match &self.session {
            Some(s) => csrf_matches(s, presented)
                .await
                .map_err(|e| UiError::from_api(e, self.tr))?,
            None => false,
        };
        if ok {
            Ok(())
        } else {
            Err(self.error(
                StatusCode::FORBIDDEN,
                self.tr.s(
                    "Formulir kedaluwarsa. Muat ulang halaman lalu coba lagi.",
                    "The form has expired. Reload the page and try again.",
                ),
            ))
        }
    }

    pub async fn flash(&self, message: &str) {
        if let Some(s) = &self.session {
            let _ = s.insert(FLASH, message).await;
        }
    }

    pub async fn flash_error(&self, message: &str) {
        if let Some(s) = &self.session {
            let _ = s.insert(FLASH_ERROR, message).await;
        }
    }

    pub async fn layout(&self, title: impl Into<String>) -> Layout {
        let (flash, flash_error) = match &self.session {
            Some(s) => (
                s.remove::<String>(FLASH).await.ok().flatten(),
                s.remove::<String>(FLASH_ERROR).await.ok().flatten(),
            ),
            None => (None, None),
        };
        // Anonymous visitors get no session (and no database write) just for viewing a page;
        // their forms carry no ambient authority. The login page protects its form with a token
        // in a cookie (see `staff::login_form`), so it stores nothing either.
        let csrf = if self.user().is_some() {
            self.csrf().await
        } else {
            String::new()
        };
        let unread = self
            .state
            .services
            .unread_notifications(self.caller())
            .await
            .unwrap_or(0);
        Layout {
            tr: self.tr,
            user: self.user().cloned(),
            csrf,
            flash,
            flash_error,
            unread,
            title: title.into(),
            path: self.path.clone(),
        }
    }

    pub fn error(&self, status: StatusCode, message: &str) -> UiError {
        UiError::Page {
            status,
            code: "",
            message: message.to_string(),
            tr: self.tr,
        }
    }

    pub fn api_error(&self, e: ApiError) -> UiError {
        UiError::from_api(e, self.tr)
    }
}

/// Render a template as a page.
/// Pages load nothing from other hosts and run no inline script or style: even if a bug let
/// markup through the templates' escaping, the browser would not run it.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn page(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => {
            let mut r = Html(html).into_response();
            let h = r.headers_mut();
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            );
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Html("<!doctype html><title>500</title><p>Terjadi kesalahan. / Something went wrong.</p>")).into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    message: String,
    code: &'static str,
}

/// What a page handler can fail with: an error page, or a redirect (to the login page).
pub enum UiError {
    Page {
        status: StatusCode,
        /// The refusal's stable code (on the page as `data-code`), empty for the pages' own.
        code: &'static str,
        message: String,
        tr: Tr,
    },
    Redirect(String),
}

impl UiError {
    /// A refusal in the page's language: the first field to fix, or what was refused.
    pub fn from_api(e: ApiError, tr: Tr) -> Self {
        let message = match &e {
            ApiError::Refused(r) if !r.fields.is_empty() => r.fields[0].message(tr.lang),
            other => other.message(tr.lang),
        };
        UiError::Page {
            status: e.status(),
            code: e.code(),
            message,
            tr,
        }
    }
}

/// The heading of an error page, in the page's language.
fn error_title(tr: &Tr, status: StatusCode) -> String {
    let words = match status {
        StatusCode::NOT_FOUND => tr.s("Halaman tidak ditemukan", "Page not found"),
        StatusCode::FORBIDDEN => tr.s("Akses tidak diizinkan", "Not allowed"),
        StatusCode::UNAUTHORIZED => tr.s("Silakan masuk terlebih dahulu", "Please log in first"),
        StatusCode::TOO_MANY_REQUESTS => tr.s(
            "Terlalu banyak permintaan, coba lagi sebentar lagi",
            "Too many requests, try again shortly",
        ),
        StatusCode::METHOD_NOT_ALLOWED => tr.s(
            "Alamat ini tidak menerima permintaan itu",
            "Not allowed here",
        ),
        s if s.is_client_error() => tr.s(
            "Permintaan tidak dapat diproses",
            "The request cannot be processed",
        ),
        _ => tr.s(
            "Terjadi kesalahan di server",
            "Something went wrong on the server",
        ),
    };
    format!("{words} ({})", status.as_u16())
}

/// An address that does not exist: a page in the visitor's language for browsers, a
/// problem+json document for the API and for clients that do not ask for HTML.
pub async fn not_found(
    ui: Result<Ui, UiError>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let wants_html = !uri.path().starts_with("/api/")
        && headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"));
    let api =
        crate::error::ApiError::refused(tanggap_service::RefusalKind::NotFound, "no_such_address");
    match (wants_html, ui) {
        (true, Ok(ui)) => UiError::Page {
            status: StatusCode::NOT_FOUND,
            code: "no_such_address",
            message: ui
                .tr
                .s(
                    "Alamat yang Anda buka tidak ada. Periksa kembali tautannya, atau mulai dari beranda.",
                    "The address you opened does not exist. Check the link, or start from the home page.",
                )
                .to_string(),
            tr: ui.tr,
        }
        .into_response(),
        (true, Err(e)) => e.into_response(),
        (false, _) => api.into_response(),
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        match self {
            UiError::Redirect(to) => Redirect::to(&to).into_response(),
            UiError::Page {
                status,
                code,
                message,
                tr,
            } => {
                let title = error_title(&tr, status);
                let l = Layout {
                    tr,
                    user: None,
                    csrf: String::new(),
                    flash: None,
                    flash_error: None,
                    unread: 0,
                    title,
                    path: "/".into(),
                };
                let mut r = page(&ErrorPage { l, message, code });
                *r.status_mut() = status;
                r
            }
        }
    }
}

pub type UiResult<T = Response> = Result<T, UiError>;

/// Percent-encoding for a path placed in a query string.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Only clean local paths are followed after login or a language switch; anything else goes
/// to `/`. A path must start with one `/` (not `//` or `/\\`, which browsers read as another
/// host), and hold no control characters, whitespace or backslash: browsers drop tabs and
/// newlines from a `Location` (`/\t/evil.com` becomes `//evil.com`) and read `\\` as `/`. Nor
/// may it turn into such a path when percent-decoded (up to three times: `/%2F/evil.com`,
/// `/%09/x`), since a proxy or a later redirect may decode it.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_clean_local_path(n) => n.to_string(),
        _ => "/".into(),
    }
}

fn is_clean_local_path(path: &str) -> bool {
    // Decoded, an encoded space (`%20`) is harmless; what a decoder could turn into another
    // host or a dropped character is not.
    fn clean(p: &str) -> bool {
        p.starts_with('/')
            && !p.starts_with("//")
            && !p.starts_with("/\\")
            && !p.chars().any(|c| c.is_control() || c == '\\')
    }
    if path.len() > 2048 || !clean(path) || path.chars().any(char::is_whitespace) {
        return false;
    }
    let mut current = path.to_string();
    for _ in 0..3 {
        let decoded = percent_decode(&current);
        if decoded == current {
            return true;
        }
        if !clean(&decoded) {
            return false;
        }
        current = decoded;
    }
    // Still changing after three rounds: nobody needs that.
    false
}

/// `%XX` sequences decoded as bytes (read as UTF-8, invalid sequences replaced).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod next_tests {
    use super::safe_next;
    use proptest::prelude::*;

    #[test]
    fn only_clean_local_paths_are_followed() {
        for ok in [
            "/",
            "/lapor",
            "/lacak/LG-ABC?kunci=x&ok=1",
            "/kelola/LG-1#tindak",
            "/a%20b",
        ] {
            assert_eq!(safe_next(Some(ok)), ok, "{ok}");
        }
        for bad in [
            "//evil.com",
            "/\\evil.com",
            "/\t/evil.com",
            "/\n/x",
            "/\r\n/x",
            " /x",
            "/x y",
            "https://evil.com",
            "evil.com",
            "/%2F/evil.com",
            "/%2f%2fevil.com",
            "/%5Cevil.com",
            "/%09/evil.com",
            "/%0a/x",
            "/%2509/evil.com",
            "/%252F/evil.com",
            "/%25252525252F",
            "/\u{3000}/evil.com",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }

    proptest! {
        /// Whatever comes in, what goes out is a path a browser keeps on this site, and can be
        /// put in a `Location` header.
        #[test]
        fn whatever_comes_in_the_redirect_stays_home(s in "\\PC{0,40}|/[/\\\\%0-9a-fA-F\t\n .:a-z]{0,20}") {
            let out = safe_next(Some(&s));
            prop_assert!(out.starts_with('/'));
            prop_assert!(!out.starts_with("//") && !out.starts_with("/\\"));
            prop_assert!(!out.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\'));
            prop_assert!(axum::http::HeaderValue::from_str(&out).is_ok());
        }
    }
}

#[derive(Deserialize)]
struct NextQuery {
    lanjut: Option<String>,
}

/// `/bahasa/en?lanjut=/lapor`: remember the language and go back.
async fn switch_language(Path(code): Path<String>, Query(q): Query<NextQuery>) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::Id);
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    )) {
        headers.insert(header::SET_COOKIE, v);
    }
    (headers, Redirect::to(&safe_next(q.lanjut.as_deref()))).into_response()
}

const CSS: &str = include_str!("../../static/app.css");
const JS: &str = include_str!("../../static/app.js");
/// The site's icon (a white "T" on the brand green), also answered at `/favicon.ico`, where
/// browsers ask by default.
const ICON: &str = include_str!("../../static/favicon.svg");

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    r
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(citizen::home))
        // The forms with files read their bodies themselves, within the API's upload limit
        // (see `form`).
        .route(
            "/lapor",
            get(citizen::submit_form)
                .post(citizen::submit)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/statistik", get(statistik::public_dashboard))
        .route("/data-terbuka.csv", get(statistik::open_data_csv))
        .route("/data-terbuka.json", get(statistik::open_data_json))
        .route("/lacak", get(citizen::track_lookup))
        .route("/lacak/{tid}", get(citizen::track))
        .route("/lacak/kirim-tautan", post(citizen::resend_link))
        .route(
            "/lacak/{tid}/balas",
            post(citizen::reply).layer(DefaultBodyLimit::disable()),
        )
        .route("/lacak/{tid}/nilai", post(citizen::rate))
        .route("/lacak/{tid}/buka-kembali", post(citizen::reopen))
        .route("/lacak/{tid}/konfirmasi", post(citizen::confirm))
        .route("/wilayah", get(citizen::regions_fragment))
        .route("/masuk", get(staff::login_form).post(staff::login))
        .route(
            staff::CHANGE_PASSWORD,
            get(staff::change_password_form).post(staff::change_password),
        )
        .route("/keluar", post(staff::logout))
        .route("/meja", get(staff::desk))
        .route(
            "/meja/baru",
            get(staff::walk_in_form)
                .post(staff::walk_in)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/kelola/{tid}", get(staff::report_page))
        .route(
            "/kelola/{tid}/aksi",
            post(staff::act).layer(DefaultBodyLimit::disable()),
        )
        .route("/instansi", get(dashboards::agency_queue))
        .route("/instansi/dasbor", get(dashboards::agency_dashboard))
        .route("/pimpinan", get(dashboards::leadership))
        .route("/pimpinan.csv", get(dashboards::leadership_csv))
        .route("/pimpinan/lalai.csv", get(dashboards::lalai_csv))
        .route(
            "/pimpinan/instansi/{agency}",
            get(dashboards::leadership_agency),
        )
        .route("/pimpinan/ringkasan", get(digest::page_view))
        .route("/pimpinan/rakor", get(rakor::page_view))
        .route("/pimpinan/rakor/{file}", get(rakor::file))
        .route("/admin", get(admin::index))
        .route("/admin/pengguna", post(admin::save_user))
        .route("/admin/instansi", post(admin::save_agency))
        .route("/admin/kategori", post(admin::save_category))
        .route("/admin/libur", post(admin::save_holiday))
        .route("/admin/sla", post(admin::save_policy))
        .route(
            "/admin/open311",
            get(admin::open311_keys).post(admin::issue_open311_key),
        )
        .route("/admin/open311/cabut", post(admin::revoke_open311_key))
        .route(
            "/admin/konektor",
            get(admin::connectors).post(admin::save_connector),
        )
        .route("/admin/konektor/hapus", post(admin::deactivate_connector))
        .route("/admin/asisten/latih", post(admin::train_assistant))
        .route("/admin/kotak-keluar", get(admin::outbox))
        .route("/admin/kotak-keluar/ulang", post(admin::retry_outbox))
        .route("/data-pribadi", get(privacy::export).post(privacy::request))
        .route("/notifikasi", get(notifications::list))
        .route("/notifikasi/{id}/baca", post(notifications::mark_read))
        .route("/bahasa/{code}", get(switch_language))
        .route(
            "/static/app.css",
            get(|| async { asset(CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/static/app.js",
            get(|| async { asset(JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/static/favicon.svg",
            get(|| async { asset(ICON, "image/svg+xml") }),
        )
        .route(
            "/favicon.ico",
            get(|| async { asset(ICON, "image/svg+xml") }),
        )
}
