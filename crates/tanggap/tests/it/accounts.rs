//! Accounts keep reporters safe: logins are throttled and locked after repeated wrong
//! passwords, the login page stores nothing, redirects stay on the site, an administrator cannot
//! become an operator (no tokens for people's accounts, admin-set passwords are replaced first),
//! and changed credentials end old sessions and tokens.

use crate::common::{Caller, TestApp, problem};
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tanggap_domain::Role;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

/// The value of `name="…" value="…"` in a page.
fn hidden(html: &str, name: &str) -> String {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no {name} in the page"))
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_string()
}

async fn api_login(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.anonymous()
        .post("/api/v1/sessions")
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
}

/// Log in through the API and keep the session (and its CSRF token).
async fn session_of(app: &TestApp, username: &str, password: &str) -> (Caller, Value) {
    let c = app.anonymous();
    let r = c
        .post("/api/v1/sessions")
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(r).await;
    assert_eq!(status, StatusCode::CREATED, "login {username}: {body}");
    let mut c = c;
    c.csrf = body["csrf_token"].as_str().map(str::to_string);
    (c, body)
}

async fn user_id(admin: &Caller, username: &str) -> i64 {
    let users: Value = admin
        .get("/api/v1/users")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn audit_actions(app: &TestApp, user: i64) -> Vec<(String, String, String)> {
    app.store
        .audit_for_object("user", &user.to_string())
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.actor, e.after.unwrap_or_default()))
        .collect()
}

async fn ten_wrong_passwords_lock_the_account_for_fifteen_minutes(app: &TestApp) {
    app.staff("a.kunci", Role::Operator, None).await;
    let right = "a.kunci-kata-sandi";
    let (_, unknown) = problem(api_login(app, "tidak.ada", "salah-salah-salah").await).await;
    // A success in between starts the count again.
    for _ in 0..9 {
        api_login(app, "a.kunci", "salah-salah-salah").await;
    }
    assert_eq!(
        api_login(app, "a.kunci", right).await.status(),
        StatusCode::CREATED
    );
    for n in 1..=10 {
        let (status, body) = problem(api_login(app, "A.Kunci ", "salah-salah-salah").await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {n}");
        assert_eq!(body["code"], "wrong_credentials");
    }
    // Locked: the right password gets exactly the answer of a wrong one, or of a name that
    // does not exist.
    let (status, locked) = problem(api_login(app, "a.kunci", right).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(locked, unknown, "a lock does not tell that the name exists");
    assert!(
        locked["detail"].as_str().unwrap().contains("15 minutes"),
        "{locked}"
    );
    let id = app
        .store
        .user_credentials("a.kunci")
        .await
        .unwrap()
        .unwrap()
        .0
        .id;
    let trail = audit_actions(app, id).await;
    assert_eq!(
        trail.iter().filter(|(a, _, _)| a == "user.locked").count(),
        1,
        "{trail:?}"
    );
    // The page says so too, in Indonesian, and tells the user to wait.
    let page = app.anonymous();
    let html = page
        .get("/masuk")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = page
        .post("/masuk")
        .form(&[
            ("username", "a.kunci"),
            ("password", right),
            ("csrf", &hidden(&html, "csrf")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("tunggu 15 menit lalu coba lagi"),
        "the page says to wait"
    );
    // The lock is in the database, by the application's clock: it ends after 15 minutes.
    app.advance(chrono::TimeDelta::minutes(14));
    assert_eq!(
        api_login(app, "a.kunci", right).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.advance(chrono::TimeDelta::minutes(2));
    assert_eq!(
        api_login(app, "a.kunci", right).await.status(),
        StatusCode::CREATED
    );
}

async fn the_login_page_stores_nothing_until_a_login_succeeds(app: &TestApp) {
    app.staff("a.masuk", Role::Operator, None).await;
    let browser = no_redirects();
    let r = browser.get(app.url("/masuk")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookies = set_cookies(&r);
    assert!(
        !cookies.iter().any(|c| c.starts_with("tanggap_session=")),
        "no session for a visitor: {cookies:?}"
    );
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("tanggap_masuk=") && c.contains("HttpOnly")),
        "{cookies:?}"
    );
    let token = hidden(&r.text().await.unwrap(), "csrf");
    // Another site can post the form, but it cannot know the token in the cookie.
    let elsewhere = no_redirects();
    let r = elsewhere
        .post(app.url("/masuk"))
        .form(&[
            ("username", "a.masuk"),
            ("password", "a.masuk-kata-sandi"),
            ("csrf", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        !set_cookies(&r)
            .iter()
            .any(|c| c.starts_with("tanggap_session="))
    );
    let r = browser
        .post(app.url("/masuk"))
        .form(&[
            ("username", "a.masuk"),
            ("password", "a.masuk-kata-sandi"),
            ("csrf", "salah"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a wrong token");
    // The right token with its cookie logs in; only now is there a session.
    let html = browser
        .get(app.url("/masuk"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = browser
        .post(app.url("/masuk"))
        .form(&[
            ("username", "a.masuk"),
            ("password", "a.masuk-kata-sandi"),
            ("csrf", &hidden(&html, "csrf")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/meja");
    assert!(
        set_cookies(&r)
            .iter()
            .any(|c| c.starts_with("tanggap_session="))
    );
    assert_eq!(
        browser.get(app.url("/meja")).send().await.unwrap().status(),
        StatusCode::OK
    );
}

async fn tokens_are_only_for_integration_accounts(app: &TestApp) {
    let admin = app.staff("a.admin", Role::Admin, None).await;
    let r = admin
        .post("/api/v1/users")
        .json(&json!({"username": "a.meja", "display_name": "Operator", "role": "operator", "password": "kata-sandi-awal-1"}))
        .send()
        .await
        .unwrap();
    let (status, person) = problem(r).await;
    assert_eq!(status, StatusCode::CREATED, "{person}");
    assert_eq!(person["integration"], false);
    let (status, body) = problem(
        admin
            .post(&format!("/api/v1/users/{}/tokens", person["id"]))
            .json(&json!({"name": "menyamar"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "not_an_integration_account");
    // An integration account: made so, needs no password, gets tokens, never logs in.
    let r = admin
        .post("/api/v1/users")
        .json(&json!({"username": "a.callcenter", "display_name": "Call centre", "role": "operator", "integration": true}))
        .send()
        .await
        .unwrap();
    let (status, integration) = problem(r).await;
    assert_eq!(status, StatusCode::CREATED, "{integration}");
    assert_eq!(integration["integration"], true);
    assert_eq!(integration["must_change_password"], false);
    let (status, t) = problem(
        admin
            .post(&format!("/api/v1/users/{}/tokens", integration["id"]))
            .json(&json!({"name": "call centre"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let mut bot = app.anonymous();
    bot.bearer = t["token"].as_str().map(str::to_string);
    assert_eq!(
        bot.get("/api/v1/me").send().await.unwrap().status(),
        StatusCode::OK
    );
    let trail = audit_actions(app, integration["id"].as_i64().unwrap()).await;
    let admin_id = user_id(&admin, "a.admin").await;
    assert!(
        trail
            .iter()
            .any(|(a, actor, _)| a == "api_token.created" && *actor == format!("user:{admin_id}")),
        "{trail:?}"
    );
    // The admin page offers the choice when an account is made.
    let html = admin
        .get("/admin")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("name=\"integration\""));
    // No password login for it, whatever its password.
    let id = integration["id"].as_i64().unwrap();
    let r = admin
        .patch(&format!("/api/v1/users/{id}"))
        .json(&json!({"password": "dicoba-masuk-123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (status, body) = problem(api_login(app, "a.callcenter", "dicoba-masuk-123").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "wrong_credentials");
}

async fn a_password_set_by_an_admin_must_be_replaced_before_anything_else(app: &TestApp) {
    let admin = app.staff("a.admin2", Role::Admin, None).await;
    let r = admin
        .post("/api/v1/users")
        .json(&json!({"username": "a.baru", "display_name": "Operator Baru", "role": "operator", "password": "dari-admin-123"}))
        .send()
        .await
        .unwrap();
    let (_, created) = problem(r).await;
    assert_eq!(created["must_change_password"], true);
    let id = created["id"].as_i64().unwrap();
    let (mut op, body) = session_of(app, "a.baru", "dari-admin-123").await;
    assert_eq!(body["user"]["must_change_password"], true);
    for path in ["/api/v1/reports", "/api/v1/me", "/api/v1/users"] {
        let (status, body) = problem(op.get(path).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(body["code"], "password_change_required", "{path}");
    }
    // The pages send the user to choose a new password.
    let r = op.client.get(app.url("/meja")).send().await.unwrap();
    assert_eq!(r.url().path(), "/kata-sandi");
    let html = r.text().await.unwrap();
    assert!(html.contains("ditetapkan oleh admin"));
    let (status, body) = problem(
        op.post("/api/v1/me/password")
            .json(&json!({"current_password": "salah-sekali-1", "new_password": "milik-saya-sendiri"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "current_password");
    let (status, body) = problem(
        op.post("/api/v1/me/password")
            .json(&json!({"current_password": "dari-admin-123", "new_password": "milik-saya-sendiri"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["must_change_password"], false);
    op.csrf = body["csrf_token"].as_str().map(str::to_string);
    let me: Value = op
        .get("/api/v1/me")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["username"], "a.baru", "the session goes on");
    // A reset by the admin: the user's sessions end, and the new password must be replaced too.
    let r = admin
        .patch(&format!("/api/v1/users/{id}"))
        .json(&json!({"password": "reset-oleh-admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        op.get("/api/v1/me").send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "the old session ended"
    );
    // Through the pages this time.
    let browser = app.anonymous();
    let html = browser
        .get("/masuk")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = browser
        .post("/masuk")
        .form(&[
            ("username", "a.baru"),
            ("password", "reset-oleh-admin"),
            ("csrf", &hidden(&html, "csrf")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.url().path(), "/kata-sandi");
    let html = r.text().await.unwrap();
    let r = browser
        .post("/kata-sandi")
        .form(&[
            ("csrf", hidden(&html, "csrf").as_str()),
            ("current_password", "reset-oleh-admin"),
            ("new_password", "pilihan-saya-lagi"),
            ("new_password_again", "pilihan-saya-lagi"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.url().path(), "/meja", "on to work");
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Kata sandi baru tersimpan")
    );
    // Audited with who did it, and never the password.
    let trail = audit_actions(app, id).await;
    let admin_id = user_id(&admin, "a.admin2").await;
    assert!(
        trail.iter().any(|(a, actor, after)| a == "user.updated"
            && *actor == format!("user:{admin_id}")
            && after.contains("\"must_change_password\":true")),
        "{trail:?}"
    );
    assert!(
        trail.iter().any(|(a, actor, after)| a == "user.updated"
            && *actor == format!("user:{id}")
            && after.contains("\"must_change_password\":false")),
        "{trail:?}"
    );
    assert!(trail.iter().all(|(_, _, after)| !after.contains("argon2")
        && !after.contains("reset-oleh-admin")
        && !after.contains("pilihan-saya-lagi")));
}

async fn changed_credentials_end_sessions_and_tokens(app: &TestApp) {
    let admin = app.staff("a.admin3", Role::Admin, None).await;
    let role_change = app.staff("a.peran", Role::Operator, None).await;
    let agency_change = app.staff("a.dinas", Role::Petugas, Some("dinkes")).await;
    let deactivated = app.staff("a.keluar", Role::Operator, None).await;
    let r = admin
        .post("/api/v1/users")
        .json(&json!({"username": "a.sistem", "display_name": "Sistem", "role": "operator", "integration": true}))
        .send()
        .await
        .unwrap();
    let bot_id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let token: Value = admin
        .post(&format!("/api/v1/users/{bot_id}/tokens"))
        .json(&json!({"name": "sistem"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut bot = app.anonymous();
    bot.bearer = token["token"].as_str().map(str::to_string);
    let patch = |username: &'static str, body: Value| {
        let admin = admin.clone();
        async move {
            let id = user_id(&admin, username).await;
            let r = admin
                .patch(&format!("/api/v1/users/{id}"))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{username}");
            id
        }
    };
    // A change of name ends nothing.
    patch("a.peran", json!({"display_name": "Nama Baru"})).await;
    assert_eq!(
        role_change.get("/api/v1/me").send().await.unwrap().status(),
        StatusCode::OK
    );
    let id = patch("a.peran", json!({"role": "pimpinan"})).await;
    assert_eq!(
        role_change.get("/api/v1/me").send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "a new role: the session ends"
    );
    patch("a.dinas", json!({"agency_id": "dpu-bmck"})).await;
    assert_eq!(
        agency_change
            .get("/api/v1/me")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED,
        "a new agency: the session ends"
    );
    assert_eq!(
        bot.get("/api/v1/me").send().await.unwrap().status(),
        StatusCode::OK
    );
    patch("a.sistem", json!({"active": false})).await;
    patch("a.sistem", json!({"active": true})).await;
    assert_eq!(
        bot.get("/api/v1/me").send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "deactivation revoked the token for good"
    );
    patch("a.keluar", json!({"active": false})).await;
    patch("a.keluar", json!({"active": true})).await;
    assert_eq!(
        deactivated.get("/api/v1/me").send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "deactivation ended the session for good"
    );
    // Logging in again works, with the new role.
    let (_, body) = session_of(app, "a.peran", "a.peran-kata-sandi").await;
    assert_eq!(body["user"]["role"], "pimpinan");
    let trail = audit_actions(app, id).await;
    assert!(
        trail
            .iter()
            .any(|(a, _, after)| a == "user.credentials_ended"
                && after.contains("\"sessions_ended\":1")),
        "{trail:?}"
    );
    let trail = audit_actions(app, bot_id).await;
    assert!(
        trail
            .iter()
            .any(|(a, _, after)| a == "user.credentials_ended"
                && after.contains("\"tokens_revoked\":1")),
        "{trail:?}"
    );
}

async fn redirects_stay_on_this_site(app: &TestApp) {
    let c = no_redirects();
    for next in [
        "/%09/evil.com",
        "/%0a/x",
        "//evil.com",
        "/%5Cevil.com",
        "/%2F/evil.com",
        "https://evil.com",
    ] {
        let r = c
            .get(app.url(&format!("/bahasa/en?lanjut={next}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(location(&r), "/", "{next}");
    }
    let r = c
        .get(app.url("/bahasa/id?lanjut=/lacak%3Fkode%3DLG"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/lacak?kode=LG", "a clean path is kept");
    // After login too.
    app.staff("a.arah", Role::Operator, None).await;
    let html = c
        .get(app.url("/masuk?lanjut=/%09/evil.com"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(hidden(&html, "next"), "/");
    let r = c
        .post(app.url("/masuk"))
        .form(&[
            ("username", "a.arah"),
            ("password", "a.arah-kata-sandi"),
            ("next", "/\t/evil.com"),
            ("csrf", &hidden(&html, "csrf")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/");
}

crate::on_both_backends!(
    ten_wrong_passwords_lock_the_account_for_fifteen_minutes,
    the_login_page_stores_nothing_until_a_login_succeeds,
    tokens_are_only_for_integration_accounts,
    a_password_set_by_an_admin_must_be_replaced_before_anything_else,
    changed_credentials_end_sessions_and_tokens,
    redirects_stay_on_this_site
);

/// The per-user login limit counts a username as the login looks it up: `"Admin "` is `admin`.
#[tokio::test]
async fn spaces_and_capitals_do_not_buy_fresh_login_attempts() {
    let app = TestApp::sqlite_with(|c| {
        c.rates.login_per_user_per_minute = 3;
    })
    .await;
    app.staff("a.batas", Role::Operator, None).await;
    for name in ["a.batas", "A.BATAS", " a.batas"] {
        let _ = api_login(&app, name, "salah-salah-salah").await;
    }
    let (status, body) = problem(api_login(&app, "a.batas ", "a.batas-kata-sandi").await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    app.finish().await;
}

/// Password hashing runs off the request threads: while a burst of logins is checked, the
/// server (here on a single thread) keeps answering.
#[tokio::test(flavor = "current_thread")]
async fn a_burst_of_logins_leaves_the_server_answering() {
    let app = TestApp::sqlite().await;
    app.staff("a.ramai", Role::Operator, None).await;
    let hash = tanggap_service::accounts::hash_password("kata-sandi-uji-1").unwrap();
    let mut one = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        assert!(!tanggap_service::accounts::verify_password(&hash, "salah"));
        one = one.min(t.elapsed());
    }
    let logins: Vec<_> = (0..8)
        .map(|i| {
            let c = app.anonymous();
            let name = if i % 2 == 0 {
                "a.ramai".to_string()
            } else {
                format!("tidak.ada.{i}")
            };
            tokio::spawn(async move {
                c.post("/api/v1/sessions")
                    .json(&json!({"username": name, "password": "salah-salah-salah"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    let probe = app.anonymous();
    let started = Instant::now();
    let mut waits = Vec::new();
    while !logins.iter().all(|h| h.is_finished()) && started.elapsed() < Duration::from_secs(60) {
        let t = Instant::now();
        let r = probe.get("/healthz").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        waits.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    for h in logins {
        assert_eq!(h.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
    waits.sort();
    let typical = waits.get(waits.len() / 2).copied().unwrap_or_default();
    eprintln!(
        "one check {one:?}; {} health checks, typically {typical:?}",
        waits.len()
    );
    // With the checks on the request thread, each health check waits for the checks queued
    // before it (hundreds of milliseconds), and only a handful get through during the burst.
    assert!(
        waits.len() >= 5,
        "only {} health checks answered during the burst",
        waits.len()
    );
    assert!(
        typical < one / 2,
        "a health check typically waited {typical:?}; one password check takes {one:?}"
    );
    app.finish().await;
}

/// The background jobs delete expired sessions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_sessions_are_purged_by_the_background_jobs() {
    use sqlx::Connection;
    let app = TestApp::sqlite_with(|c| {
        c.jobs = true;
        c.sweep_interval = Duration::from_millis(100);
    })
    .await;
    app.staff("a.sesi", Role::Operator, None).await;
    app.staff("a.sesi2", Role::Operator, None).await;
    let db = app.dir.path().join("tanggap.db");
    let count = || {
        let db = db.clone();
        async move {
            let mut c = sqlx::SqliteConnection::connect_with(
                &sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(&db)
                    .read_only(true),
            )
            .await
            .unwrap();
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
                .fetch_one(&mut c)
                .await
                .unwrap();
            n
        }
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(count().await, 2, "live sessions stay");
    // Past the sessions' idle time (a year in the tests).
    app.advance(chrono::TimeDelta::days(367));
    let waited = Instant::now();
    while count().await > 0 {
        assert!(
            waited.elapsed() < Duration::from_secs(20),
            "expired sessions are still there"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.finish().await;
}
