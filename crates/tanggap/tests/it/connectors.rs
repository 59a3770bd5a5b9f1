//! Forwarding to agencies' own systems (issue 15): a kabupaten on its own Tanggap (another
//! process, its own database) through Open311; an agency's software through the signed webhook
//! (a fake receiver that checks the signature and answers with a signed update); an agency
//! without software through e-mail (a loopback SMTP server) and its reply; and an outage.

use crate::common::{Caller, TestApp, complaint};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tanggap_channels::connectors::{SIGNATURE_HEADER, parse_time, sign, verify};
use tanggap_domain::Role;
use tanggap_jobs::{ConnectorSettings, Connectors};
use tanggap_service::connectors::ConnectorInput;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

pub(crate) const KAB: &str = "pemda-33-22";

fn tanggap(data_dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tanggap"));
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TANGGAP_DATA_DIR", data_dir);
    c
}

fn run_ok(cmd: &mut Command, stdin: Option<&str>) -> String {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The kabupaten's own Tanggap, as its operator runs it; stopped when dropped.
struct Kabupaten {
    child: Child,
    base: String,
    api_key: String,
    _dir: tempfile::TempDir,
}

impl Drop for Kabupaten {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn kabupaten() -> Kabupaten {
    let dir = tempfile::tempdir().unwrap();
    run_ok(tanggap(dir.path()).arg("seed"), None);
    for (user, role, agency) in [
        ("operator.kab", "operator", None),
        ("petugas.kab", "petugas", Some("dpu-bmck")),
    ] {
        let mut c = tanggap(dir.path());
        c.args([
            "user",
            "add",
            "--username",
            user,
            "--role",
            role,
            "--password-stdin",
        ]);
        if let Some(a) = agency {
            c.args(["--agency", a]);
        }
        run_ok(&mut c, Some(&format!("{user}-kata-sandi\n")));
    }
    let api_key = run_ok(
        tanggap(dir.path()).args(["api-key", "add", "Provinsi Jawa Tengah"]),
        None,
    )
    .trim()
    .to_string();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let child = tanggap(dir.path())
        .arg("serve")
        .env("TANGGAP_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let began = Instant::now();
    loop {
        if let Ok(r) = reqwest::get(format!("{base}/healthz")).await
            && r.status().is_success()
        {
            break;
        }
        assert!(
            began.elapsed() < Duration::from_secs(30),
            "the kabupaten's Tanggap did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Kabupaten {
        child,
        base,
        api_key,
        _dir: dir,
    }
}

pub(crate) fn connectors(
    app: &TestApp,
    mailer: Option<Arc<tanggap_jobs::SmtpSender>>,
) -> Connectors {
    Connectors::new(
        app.services.clone(),
        app.store.clone(),
        mailer,
        ConnectorSettings {
            reply_address: Some("pengaduan@jatengprov.go.id".into()),
            ..ConnectorSettings::default()
        },
    )
}

pub(crate) async fn set_connector(app: &TestApp, kind: &str, target: &str, secret: Option<&str>) {
    app.services
        .set_connector(
            &tanggap_service::Caller::System,
            ConnectorInput {
                agency_id: KAB.into(),
                kind: kind.into(),
                target: target.into(),
                secret: secret.map(str::to_string),
                status_map: None,
            },
        )
        .await
        .unwrap();
}

/// A report from a citizen, dispatched by the province's desk to the kabupaten; returns
/// (tracking ID, assignment id).
async fn dispatched(app: &TestApp, title: &str) -> (String, i64) {
    let (tid, _) = app.submit(complaint(title)).await;
    let desk = app.staff("operator.prov", Role::Operator, None).await;
    let r = desk
        .act(
            &format!("/api/v1/reports/{tid}/dispatch"),
            json!({"agencies": [{"agency_id": KAB, "role": "utama"}], "note": "Wewenang kabupaten"}),
        )
        .await;
    let id = r["assignments"][0]["id"].as_i64().unwrap();
    (tid, id)
}

async fn report(app: &TestApp, tid: &str) -> Value {
    app.staff("operator.prov", Role::Operator, None)
        .await
        .report(tid)
        .await
}

/// When the province counted the kabupaten's first response.
async fn responded_at(app: &TestApp, assignment: i64) -> Option<chrono::DateTime<Utc>> {
    let link = app.store.connector_link(assignment).await.unwrap().unwrap();
    app.store
        .report_obligations(link.report_id)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.assignment_id == assignment)
        .and_then(|o| o.responded_at)
}

/// The reporter hears of the agency's progress on the channel they used (the report came by
/// the web with an e-mail address).
async fn reporter_told(app: &TestApp, tid: &str, stage_label: &str) {
    tanggap_jobs::ReporterUpdates::new(app.store.clone(), None)
        .run(app.now())
        .await
        .unwrap();
    let report = app
        .store
        .report_by_tracking_id(&tanggap_domain::TrackingId::parse(tid).unwrap())
        .await
        .unwrap()
        .unwrap();
    let notes = app.store.notifications_for_report(report.id).await.unwrap();
    assert!(
        notes.iter().any(
            |n| n.address.as_deref() == Some("siti@example.id") && n.body.contains(stage_label)
        ),
        "the reporter is told `{stage_label}`: {:?}",
        notes.iter().map(|n| &n.body).collect::<Vec<_>>()
    );
}

async fn a_kabupaten_on_its_own_tanggap_answers_through_open311(app: TestApp) {
    let kab = kabupaten().await;
    set_connector(
        &app,
        "open311",
        &format!("{}/open311/v2", kab.base),
        Some(&kab.api_key),
    )
    .await;
    let (tid, assignment) = dispatched(&app, "Jembatan desa putus di Bandungan").await;
    // From here the province runs on the real time, as the kabupaten does.
    app.clock.set(Utc::now());
    let jobs = connectors(&app, None);
    let r = jobs.run(app.now()).await.unwrap();
    assert_eq!((r.enqueued, r.sent, r.failed), (1, 1, 0), "{r:?}");
    let link = app.store.connector_link(assignment).await.unwrap().unwrap();
    let remote = link.remote_id.clone().expect("the kabupaten's tracking ID");
    assert_eq!(link.delivered_at, Some(app.now()));
    let trail = app
        .store
        .audit_for_object("assignment", &assignment.to_string())
        .await
        .unwrap();
    let sent = trail.iter().find(|e| e.action == "connector.sent").unwrap();
    let fields = sent.after.clone().unwrap_or_default();
    assert!(
        fields.contains("service_code") && fields.contains("description"),
        "{fields}"
    );
    assert!(
        !fields.contains("Bandungan"),
        "names of fields, not values: {fields}"
    );

    // (Open311 times are to the second: the kabupaten acts a second after it had the report.)
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // The kabupaten has it as a report of its own, from the province's Open311 key.
    let kdesk = Caller::login_at(&kab.base, "operator.kab", "operator.kab-kata-sandi").await;
    let k = kdesk.report(&remote).await;
    assert_eq!(k["channel"], "open311");
    assert_eq!(k["category"], "jalan-jembatan");
    assert!(k["body"].as_str().unwrap().contains(&tid));
    let r = kdesk
        .act(
            &format!("/api/v1/reports/{remote}/dispatch"),
            json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}]}),
        )
        .await;
    let kassignment = r["assignments"][0]["id"].as_i64().unwrap();
    let kofficer = Caller::login_at(&kab.base, "petugas.kab", "petugas.kab-kata-sandi").await;
    kofficer
        .act(
            &format!("/api/v1/reports/{remote}/assignments/{kassignment}/updates"),
            json!({"stage": "cek_lapangan", "note": "Tim menuju lokasi jembatan."}),
        )
        .await;
    // Its time, as its own feed tells it.
    let feed: Value = reqwest::get(format!(
        "{}/open311/v2/servicerequestupdates.json",
        kab.base
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let answered = feed
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["service_request_id"] == remote.as_str() && u["status"] == "ACTION_SCHEDULED")
        .and_then(|u| parse_time(u["updated_datetime"].as_str()?))
        .expect("the kabupaten's feed has the field check");

    // The province follows it at its next read, a minute after the last: the stage is shown,
    // the clock stopped at the kabupaten's time, the reporter told.
    app.clock.set(Utc::now() + TimeDelta::seconds(30));
    assert_eq!(
        jobs.follow(app.now()).await.unwrap(),
        0,
        "read less than a minute ago"
    );
    app.clock.set(Utc::now() + TimeDelta::minutes(1));
    assert_eq!(jobs.follow(app.now()).await.unwrap(), 1);
    let mine = report(&app, &tid).await;
    assert_eq!(mine["assignments"][0]["stage"], "cek_lapangan");
    assert_eq!(responded_at(&app, assignment).await, Some(answered));
    assert!(answered < app.now());
    reporter_told(&app, &tid, "Cek lapangan").await;
    // Not read again within the minute; read again, nothing is recorded twice.
    assert_eq!(jobs.follow(app.now()).await.unwrap(), 0);
    let c = app.store.connector(KAB).await.unwrap().unwrap();
    assert_eq!(c.followed_until, Some(app.now()));
    assert_eq!(jobs.follow_one(&c, app.now()).await.unwrap(), 0);
    let updates = app.store.remote_updates(assignment).await.unwrap();
    assert_eq!(
        updates.iter().filter(|u| u.outcome == "recorded").count(),
        1,
        "{updates:?}"
    );
    app.finish().await;
}

/// The agency's software: checks each document's signature, keeps it, answers with an id.
#[derive(Clone, Default)]
pub(crate) struct Receiver {
    pub documents: Arc<Mutex<Vec<Value>>>,
    down: Arc<Mutex<bool>>,
    /// The province's clock, which the tests move (the signature carries its time).
    clock: Arc<Mutex<Option<Arc<tanggap_service::ManualClock>>>>,
}

pub(crate) const SECRET: &str = "rahasia-bersama-kabupaten-semarang";

async fn receive(
    State(r): State<Receiver>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> (StatusCode, String) {
    if *r.down.lock().unwrap() {
        return (StatusCode::SERVICE_UNAVAILABLE, "maintenance".into());
    }
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let now = r
        .clock
        .lock()
        .unwrap()
        .as_ref()
        .map_or_else(Utc::now, |c| tanggap_service::Wallclock::now(c.as_ref()));
    if verify(SECRET, signature, &body, now).is_err() {
        return (StatusCode::UNAUTHORIZED, "bad signature".into());
    }
    let doc: Value = serde_json::from_slice(&body).unwrap();
    let mut docs = r.documents.lock().unwrap();
    docs.push(doc);
    (
        StatusCode::OK,
        json!({"id": format!("SIMPEL-{}", docs.len())}).to_string(),
    )
}

pub(crate) async fn receiver() -> (String, Receiver) {
    let r = Receiver::default();
    let app = axum::Router::new()
        .route("/tanggap", axum::routing::post(receive))
        .with_state(r.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("{base}/tanggap"), r)
}

pub(crate) async fn post_update(
    app: &TestApp,
    body: &Value,
    secret: &str,
    at: chrono::DateTime<Utc>,
) -> (StatusCode, Value) {
    let raw = serde_json::to_vec(body).unwrap();
    let r = app
        .anonymous()
        .post(&format!("/connectors/{KAB}/updates"))
        .header(SIGNATURE_HEADER, sign(secret, at, &raw))
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn an_agencys_software_answers_through_the_signed_webhook(app: TestApp) {
    let (url, rx) = receiver().await;
    set_connector(&app, "webhook", &url, Some(SECRET)).await;
    let (tid, assignment) = dispatched(&app, "Lampu penerangan jalan mati di Ungaran").await;
    app.clock.set(Utc::now());
    let jobs = connectors(&app, None);
    let r = jobs.run(app.now()).await.unwrap();
    assert_eq!((r.enqueued, r.sent), (1, 1), "{r:?}");
    let doc = rx.documents.lock().unwrap()[0].clone();
    assert_eq!(doc["event"], "report");
    assert_eq!(doc["tracking_id"], tid.as_str());
    assert_eq!(
        doc["reporter"]["name"], "Siti Aminah",
        "the agency may know a named reporter"
    );
    let reference = doc["reference"].as_str().unwrap().to_string();
    let link = app.store.connector_link(assignment).await.unwrap().unwrap();
    assert_eq!(link.remote_id.as_deref(), Some("SIMPEL-1"));

    // An anonymous, confidential report: the agency learns neither who nor where from.
    let mut secret_one = complaint("Pungutan di puskesmas Tuntang");
    secret_one["visibility"] = json!(["anonim", "rahasia"]);
    let (anon, _) = app.submit(secret_one).await;
    app.staff("operator.prov", Role::Operator, None)
        .await
        .act(
            &format!("/api/v1/reports/{anon}/dispatch"),
            json!({"agencies": [{"agency_id": KAB, "role": "utama"}]}),
        )
        .await;
    assert_eq!(jobs.run(app.now()).await.unwrap().sent, 1);
    let doc = rx.documents.lock().unwrap()[1].clone();
    assert_eq!(doc["tracking_id"], anon.as_str());
    assert_eq!(
        (doc["anonymous"].as_bool(), doc["confidential"].as_bool()),
        (Some(true), Some(true))
    );
    assert!(
        doc.get("reporter").is_none(),
        "no identity for anonim: {doc}"
    );
    assert!(
        !doc.to_string().contains("Siti") && !doc.to_string().contains("0812"),
        "{doc}"
    );

    // The agency answers, signed, with the time its officer recorded (after it had the report,
    // before now).
    let sent_at = app.now();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    app.clock.set(Utc::now());
    let at = sent_at + TimeDelta::seconds(1);
    let update = json!({"update_id": "simpel-77", "reference": reference, "status": "CEK_LAPANGAN",
        "description": "Petugas sudah di lokasi.", "updated_at": at.to_rfc3339()});
    let (s, bad) = post_update(&app, &update, "rahasia-yang-salah-sekali", Utc::now()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{bad}");
    assert_eq!(bad["code"], "signature_invalid");
    let (s, stale) = post_update(&app, &update, SECRET, Utc::now() - TimeDelta::minutes(6)).await;
    assert_eq!(
        (s, stale["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("signature_stale"))
    );
    let (s, ok) = post_update(&app, &update, SECRET, Utc::now()).await;
    assert_eq!(s, StatusCode::OK, "{ok}");
    assert_eq!(ok["outcome"], "recorded");
    assert_eq!(ok["stage"], "cek_lapangan");
    let (s, again) = post_update(&app, &update, SECRET, Utc::now()).await;
    assert_eq!(
        (s, again["outcome"].as_str()),
        (StatusCode::OK, Some("duplicate"))
    );
    let unknown = json!({"update_id": "simpel-78", "reference": "ffff", "status": "TUNTAS", "updated_at": at.to_rfc3339()});
    let (s, _) = post_update(&app, &unknown, SECRET, Utc::now()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let mine = report(&app, &tid).await;
    assert_eq!(mine["assignments"][0]["stage"], "cek_lapangan");
    assert_eq!(responded_at(&app, assignment).await, Some(at));
    reporter_told(&app, &tid, "Cek lapangan").await;
    // The agency hears of later public updates on the report, but not its own back.
    let r = jobs.run(app.now()).await.unwrap();
    assert_eq!(r.sent, 0, "its own update is not sent back: {r:?}");
    app.finish().await;
}

/// An SMTP server on the loopback interface that keeps every message's DATA.
async fn smtp_server() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let messages = Arc::new(Mutex::new(Vec::new()));
    let store = messages.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                w.write_all(b"220 fake.smtp ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(d) = data.as_mut() {
                        if line == "." {
                            store.lock().unwrap().push(std::mem::take(d));
                            data = None;
                            w.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            d.push_str(&line);
                            d.push('\n');
                        }
                        continue;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        "250 fake.smtp\r\n"
                    } else if upper.starts_with("DATA") {
                        data = Some(String::new());
                        "354 go on\r\n"
                    } else if upper.starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        "250 ok\r\n"
                    };
                    if w.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, messages)
}

async fn an_agency_without_software_answers_by_replying_to_the_email(app: TestApp) {
    let (port, mails) = smtp_server().await;
    set_connector(&app, "email", "pengaduan@semarangkab.go.id", None).await;
    let (tid, assignment) = dispatched(&app, "Pungutan liar di pasar Ambarawa").await;
    let mailer = Arc::new(
        tanggap_jobs::SmtpSender::new(
            &format!("smtp://127.0.0.1:{port}"),
            "Tanggap <tanggap@jatengprov.go.id>",
        )
        .unwrap(),
    );
    let jobs = connectors(&app, Some(mailer));
    let r = jobs.run(app.now()).await.unwrap();
    assert_eq!((r.enqueued, r.sent), (1, 1), "{r:?}");
    let mail = mails.lock().unwrap()[0].clone();
    assert!(mail.contains("pengaduan@semarangkab.go.id"), "{mail}");
    assert!(mail.contains(&tid));
    let reference = mail
        .split("[ref:")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .unwrap()
        .to_string();
    assert!(
        mail.contains(&format!("Reply-To: pengaduan+{reference}@jatengprov.go.id")),
        "{mail}"
    );

    // Someone else quoting the reference is a citizen, not the agency.
    app.advance(TimeDelta::hours(2));
    let reply = |id: &str, from: &str, text: &str| json!({"message_id": id, "from": from, "subject": format!("Re: [Tanggap {tid}] Laporan untuk ditindaklanjuti [ref:{reference}]"), "text": text});
    let client = &app;
    let post = |body: Value| async move {
        client
            .anonymous()
            .post("/channels/email")
            .header("x-tanggap-webhook-secret", crate::chat::EMAIL_SECRET)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(
        post(reply(
            "<x1@example.id>",
            "Iseng <iseng@example.id>",
            "TUNTAS\nsudah"
        ))
        .await,
        StatusCode::OK
    );
    assert_eq!(
        post(reply(
            "<k1@semarangkab.go.id>",
            "Bidang Pengaduan <pengaduan@semarangkab.go.id>",
            "Cek lapangan\nKami cek ke pasar besok pagi.\n\n> kutipan e-mail sebelumnya"
        ))
        .await,
        StatusCode::OK
    );
    app.run_inbox().await;
    let mine = report(&app, &tid).await;
    assert_eq!(mine["assignments"][0]["stage"], "cek_lapangan");
    assert_eq!(responded_at(&app, assignment).await, Some(app.now()));
    reporter_told(&app, &tid, "Cek lapangan").await;
    app.finish().await;
}

async fn an_unreachable_system_is_retried_once_each_and_the_clock_keeps_running(app: TestApp) {
    let (url, rx) = receiver().await;
    *rx.down.lock().unwrap() = true;
    *rx.clock.lock().unwrap() = Some(app.clock.clone());
    set_connector(&app, "webhook", &url, Some(SECRET)).await;
    let (tid, assignment) = dispatched(&app, "Saluran air tersumbat di Bawen").await;
    let (other, _) = dispatched(&app, "Gorong-gorong ambrol di Bawen").await;
    app.clock.set(Utc::now());
    let jobs = connectors(&app, None);
    let r = jobs.run(app.now()).await.unwrap();
    // One failure tells the system is down: the second report waits for its lease instead of
    // the same timeout.
    assert_eq!((r.enqueued, r.sent, r.retried), (2, 0, 1), "{r:?}");
    // Not due again before the backoff: nothing is sent twice.
    app.advance(TimeDelta::seconds(29));
    assert_eq!(jobs.deliver(app.now()).await.unwrap().retried, 0);
    app.advance(TimeDelta::seconds(1));
    assert_eq!(jobs.deliver(app.now()).await.unwrap().retried, 1);
    // The desk sees the failure on the admin page's health.
    let health = app.store.connector(KAB).await.unwrap().unwrap();
    assert_eq!(health.queued, 2);
    assert!(health.last_error.unwrap().contains("503"));
    let admin = app.staff("admin.prov", Role::Admin, None).await;
    let page = admin
        .get("/admin/konektor")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(KAB) || page.contains("Kabupaten Semarang"),
        "{page}"
    );
    assert!(page.contains("503"), "the last error is shown");

    // An update from the agency cannot count while it has not received the report.
    let doc_reference = app
        .store
        .connector_link(assignment)
        .await
        .unwrap()
        .unwrap()
        .token;
    let update = json!({"update_id": "u-early", "reference": doc_reference, "status": "VERIFIKASI", "updated_at": app.now().to_rfc3339()});
    // (It can reach us only once it has the reference: no update here.)
    let _ = update;

    // The deadline passes while it is down: the clock ran on, the assignment is lalai.
    app.advance(TimeDelta::hours(25));
    tanggap_jobs::Scheduler::new(
        app.services.clone(),
        app.store.clone(),
        tanggap_jobs::SchedulerSettings::default(),
    )
    .sweep(app.now())
    .await
    .unwrap();
    assert_eq!(responded_at(&app, assignment).await, None);
    let lalai = app
        .services
        .compliance(
            &tanggap_service::Caller::System,
            tanggap_domain::compliance::Period {
                from: (app.now() - TimeDelta::days(3)).date_naive(),
                to: app.now().date_naive(),
            },
            tanggap_service::compliance::Scope::All,
        )
        .await
        .unwrap();
    assert!(
        lalai.lalai.iter().any(|l| l.tracking_id == tid),
        "lalai when the deadline passed"
    );

    // Back up: sent once, after the backoff.
    *rx.down.lock().unwrap() = false;
    let r = jobs.deliver(app.now()).await.unwrap();
    assert_eq!(r.sent, 2, "{r:?}");
    assert_eq!(
        jobs.deliver(app.now() + TimeDelta::hours(2))
            .await
            .unwrap()
            .sent,
        0
    );
    let mut sent: Vec<String> = rx
        .documents
        .lock()
        .unwrap()
        .iter()
        .map(|d| d["tracking_id"].as_str().unwrap().to_string())
        .collect();
    sent.sort();
    let mut expected = vec![tid.clone(), other];
    expected.sort();
    assert_eq!(sent, expected, "each once");
    let link = app.store.connector_link(assignment).await.unwrap().unwrap();
    assert_eq!(link.delivered_at, Some(app.now()));
    // An answer dated before it had the report counts from when it had it.
    let early = json!({"update_id": "u-1", "reference": link.token, "status": "VERIFIKASI",
        "updated_at": (app.now() - TimeDelta::hours(20)).to_rfc3339()});
    let (s, ok) = post_update(&app, &early, SECRET, app.now()).await;
    assert_eq!(
        (s, ok["outcome"].as_str()),
        (StatusCode::OK, Some("recorded")),
        "{ok}"
    );
    assert_eq!(responded_at(&app, assignment).await, link.delivered_at);
    app.finish().await;
}

fn with_email(c: &mut tanggap::config::Config) {
    c.channels = crate::chat::channels("http://127.0.0.1:9");
}

macro_rules! on_both {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::TestApp::sqlite_with(super::with_email).await).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::TestApp::postgres_with(super::with_email).await).await;
                }
            )+
        }
    };
}

on_both!(
    a_kabupaten_on_its_own_tanggap_answers_through_open311,
    an_agencys_software_answers_through_the_signed_webhook,
    an_agency_without_software_answers_by_replying_to_the_email,
    an_unreachable_system_is_retried_once_each_and_the_clock_keeps_running
);
