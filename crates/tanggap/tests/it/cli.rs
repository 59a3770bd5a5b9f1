//! The `tanggap` binary as an operator uses it: seeding, users, demo data, serving, verifying the
//! audit trail, and failing with one clear line on bad input.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub(crate) fn tanggap(data_dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tanggap"));
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TANGGAP_DATA_DIR", data_dir)
        .env("RUST_BACKTRACE", "1");
    c
}

pub(crate) fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// A failure is exactly one line on stderr, starting with `error:`, and never a panic.
fn assert_one_line_error(code: i32, stderr: &str) {
    assert_ne!(code, 0, "must fail: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line expected, got:\n{stderr}"
    );
    assert!(stderr.starts_with("error: "), "{stderr}");
}

#[test]
fn bad_input_gets_one_line_and_a_nonzero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(tanggap(dir.path()).arg("frobnicate"));
    assert_one_line_error(code, &err);
    assert!(err.contains("frobnicate"), "{err}");

    let (code, _, err) = run(tanggap(dir.path())
        .args(["seed"])
        .env("DATABASE_URL", "mysql://root@localhost/x"));
    assert_one_line_error(code, &err);
    assert!(err.contains("DATABASE_URL"), "{err}");

    let (code, _, err) = run(tanggap(dir.path())
        .args(["seed"])
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/nothing"));
    assert_one_line_error(code, &err);
    assert!(err.contains("PostgreSQL"), "{err}");

    let (code, _, err) =
        run(tanggap(dir.path()).args(["--config", "/nonexistent/tanggap.toml", "seed"]));
    assert_one_line_error(code, &err);
    assert!(err.contains("/nonexistent/tanggap.toml"), "{err}");

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "listen = [\n").unwrap();
    let (code, _, err) = run(tanggap(dir.path())
        .args(["seed"])
        .env("TANGGAP_CONFIG", &bad));
    assert_one_line_error(code, &err);

    let (code, _, err) = run(tanggap(dir.path()).args(["serve", "--listen", "not-an-address"]));
    assert_one_line_error(code, &err);

    let (code, _, err) =
        run(tanggap(dir.path()).args(["user", "add", "--username", "x", "--role", "raja"]));
    assert_one_line_error(code, &err);
    assert!(err.contains("raja"), "{err}");
}

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["seed", "--help"],
        vec!["demo", "--help"],
        vec!["user", "add", "--help"],
        vec!["audit", "verify", "--help"],
        vec!["reporter", "export", "--help"],
        vec!["agency", "head", "--help"],
        vec!["agency", "heads", "--help"],
        vec!["report", "quarterly", "--help"],
        vec!["api-key", "add", "--help"],
        vec!["api-key", "list", "--help"],
        vec!["api-key", "revoke", "--help"],
    ] {
        let (code, out, _) = run(tanggap(dir.path()).args(&args));
        assert_eq!(code, 0, "{args:?}");
        assert!(out.contains("Usage"), "{args:?}: {out}");
    }
}

#[test]
fn seed_user_demo_and_audit_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(tanggap(dir.path()).arg("migrate"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("sqlite"));
    assert!(dir.path().join("tanggap.db").exists());

    let (code, out, err) = run(tanggap(dir.path()).arg("seed"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim(),
        "loaded 9175 regions, 101 agencies, 29 categories, 79 holidays"
    );

    let mut child = tanggap(dir.path())
        .args([
            "user",
            "add",
            "--username",
            "op.satu",
            "--role",
            "operator",
            "--name",
            "Operator Satu",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"kata-sandi-rahasia\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created user `op.satu` (operator)"));
    let (code, _, err) = run(tanggap(dir.path()).args([
        "user",
        "add",
        "--username",
        "op.satu",
        "--role",
        "operator",
    ]));
    assert_one_line_error(code, &err);
    assert!(err.contains("taken"), "{err}");
    let (code, out, _) = run(tanggap(dir.path()).args([
        "user",
        "add",
        "--username",
        "petugas.x",
        "--role",
        "petugas",
        "--agency",
        "dinkes",
    ]));
    assert_eq!(code, 0);
    assert!(
        out.contains("password: "),
        "a generated password is printed once"
    );

    let (code, out, err) = run(tanggap(dir.path()).arg("demo"));
    assert_eq!(code, 0, "{err}");
    for role in [
        "operator", "petugas", "kepala", "pimpinan", "auditor", "admin",
    ] {
        assert!(
            out.lines()
                .any(|l| l.split_whitespace().nth(2) == Some(role)),
            "no {role} login in:\n{out}"
        );
    }
    assert!(out.contains("demo reports in every state"), "{out}");
    // Running it again adds no duplicates.
    let (code, out, _) = run(tanggap(dir.path()).arg("demo"));
    assert_eq!(code, 0);
    assert!(out.contains("no demo reports were added"));

    let (code, out, err) = run(tanggap(dir.path()).args(["audit", "verify"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("audit trail intact: "), "{out}");

    // Change one audit row behind the store's back (bypassing the append-only trigger).
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut conn = tanggap_store_sqlite::raw_connection(&dir.path().join("tanggap.db"))
            .await
            .unwrap();
        sqlx::query("DROP TRIGGER audit_events_no_update")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("UPDATE audit_events SET actor = 'user:999' WHERE seq = 42")
            .execute(&mut conn)
            .await
            .unwrap();
    });
    let (code, _, err) = run(tanggap(dir.path()).args(["audit", "verify"]));
    assert_one_line_error(code, &err);
    assert!(err.contains("#42"), "the broken event is named: {err}");
}

/// A personal-data request from the command line: export, then forget, the reporter of a demo
/// report; afterwards their name is nowhere and the audit trail still verifies.
#[test]
fn agency_heads_are_recorded_with_their_history() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(tanggap(dir.path()).arg("seed"));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(tanggap(dir.path()).args([
        "agency",
        "head",
        "dpu-bmck",
        "--name",
        "Ir. Budi Hartono, M.T. (fiktif)",
        "--position",
        "Kepala Dinas",
        "--phone",
        "081234500001",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("head Ir. Budi Hartono, M.T. (fiktif), Kepala Dinas"),
        "{out}"
    );
    let (code, _, err) = run(tanggap(dir.path()).args([
        "agency",
        "head",
        "dpu-bmck",
        "--name",
        "Sri Wahyuni, S.T. (fiktif)",
        "--position",
        "Plt. Kepala Dinas",
    ]));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(tanggap(dir.path()).args(["agency", "heads", "dpu-bmck"]));
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].ends_with("\tIr. Budi Hartono, M.T. (fiktif)\tKepala Dinas"),
        "{out}"
    );
    assert!(
        lines[1].ends_with("\tSri Wahyuni, S.T. (fiktif)\tPlt. Kepala Dinas"),
        "{out}"
    );

    let (code, _, err) = run(tanggap(dir.path()).args([
        "agency",
        "head",
        "dinas-tidak-ada",
        "--name",
        "Siapa Saja",
    ]));
    assert_one_line_error(code, &err);
    assert!(err.contains("dinas-tidak-ada"), "{err}");
    let (code, _, err) =
        run(tanggap(dir.path()).args(["agency", "head", "dpu-bmck", "--name", "   "]));
    assert_one_line_error(code, &err);
    let (code, out, _) = run(tanggap(dir.path()).args(["audit", "verify"]));
    assert_eq!(code, 0);
    assert!(out.starts_with("audit trail intact: "), "{out}");
}

#[test]
fn open311_keys_are_printed_once_listed_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(tanggap(dir.path()).arg("seed"));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(tanggap(dir.path()).args(["api-key", "add", "Aplikasi Kota"]));
    assert_eq!(code, 0, "{err}");
    let key = out.trim().to_string();
    assert!(
        key.starts_with("o311_") && !key.contains(char::is_whitespace),
        "{out}"
    );
    assert!(err.contains("shown once"), "{err}");
    let (code, out, _) = run(tanggap(dir.path()).args(["api-key", "list"]));
    assert_eq!(code, 0);
    assert!(out.starts_with("1\tAplikasi Kota\t-\t"), "{out}");
    assert!(
        out.trim_end().ends_with("active") && !out.contains(&key),
        "{out}"
    );
    // An account that does not exist, or is a person's, cannot be given to a key.
    let (code, _, err) = run(tanggap(dir.path()).args(["api-key", "add", "X", "--user", "siapa"]));
    assert_one_line_error(code, &err);
    let (code, _, err) = run(tanggap(dir.path()).args(["api-key", "add", " "]));
    assert_one_line_error(code, &err);
    let (code, out, err) = run(tanggap(dir.path()).args(["api-key", "revoke", "1"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "revoked Open311 key 1");
    let (code, _, err) = run(tanggap(dir.path()).args(["api-key", "revoke", "1"]));
    assert_one_line_error(code, &err);
    let (_, out, _) = run(tanggap(dir.path()).args(["api-key", "list"]));
    assert!(out.contains("\trevoked "), "{out}");
}

#[test]
fn reporter_export_and_forget() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(tanggap(dir.path()).arg("demo"));
    assert_eq!(code, 0, "{err}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = dir.path().join("tanggap.db");
    let (tid, name): (String, String) = rt.block_on(async {
        let mut conn = tanggap_store_sqlite::raw_connection(&db).await.unwrap();
        sqlx::query_as(
            "SELECT r.tracking_id, p.name FROM reports r JOIN reporters p ON p.id = r.reporter_id
             WHERE p.name IS NOT NULL ORDER BY r.id LIMIT 1",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap()
    });
    let (code, out, err) = run(tanggap(dir.path()).args(["reporter", "export", &tid]));
    assert_eq!(code, 0, "{err}");
    let export: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(export["reporter"]["name"], name.as_str());
    assert!(export["reports"].as_array().is_some_and(|r| !r.is_empty()));

    let (code, out, err) = run(tanggap(dir.path()).args(["reporter", "forget", &tid]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(&format!("forgot the reporter of {tid}")),
        "{out}"
    );
    let (_, out, _) = run(tanggap(dir.path()).args(["reporter", "export", &tid]));
    let export: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(export["reporter"]["name"].is_null());
    assert!(export["reporter"]["pseudonymised_at"].is_string());
    let held: i64 = rt.block_on(async {
        let mut conn = tanggap_store_sqlite::raw_connection(&db).await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM reporters WHERE name = ?")
            .bind(&name)
            .fetch_one(&mut conn)
            .await
            .unwrap()
    });
    assert_eq!(held, 0);
    let (code, out, err) = run(tanggap(dir.path()).args(["audit", "verify"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("audit trail intact: "), "{out}");

    let (code, _, err) = run(tanggap(dir.path()).args(["reporter", "forget", "LG-TIDAKADA00"]));
    assert_one_line_error(code, &err);
    assert!(err.contains("LG-TIDAKADA00"), "{err}");
}

#[test]
fn audit_verify_catches_tampering_on_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = PgDatabase::fresh(&rt, &format!("tanggap_cli_{}", std::process::id()));
    let url = db.url.clone();
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(tanggap(dir.path()).arg("seed").env("DATABASE_URL", &url));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("9175 regions"));
    assert!(
        !dir.path().join("tanggap.db").exists(),
        "PostgreSQL, not SQLite"
    );
    let (code, _, err) = run(tanggap(dir.path())
        .args(["audit", "verify"])
        .env("DATABASE_URL", &url));
    assert_eq!(code, 0, "{err}");
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query("ALTER TABLE audit_events DISABLE TRIGGER ALL")
            .execute(&mut c)
            .await
            .unwrap();
        sqlx::query("UPDATE audit_events SET after_json = '{}' WHERE seq = 2")
            .execute(&mut c)
            .await
            .unwrap();
    });
    let (code, _, err) = run(tanggap(dir.path())
        .args(["audit", "verify"])
        .env("DATABASE_URL", &url));
    assert_one_line_error(code, &err);
    assert!(err.contains("#2"), "{err}");
    db.drop(&rt);
}

/// A database of its own on the test server (`TANGGAP_TEST_DATABASE_URL`), made afresh.
pub(crate) struct PgDatabase {
    admin: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    pub(crate) fn fresh(rt: &tokio::runtime::Runtime, name: &str) -> Self {
        let admin = std::env::var("TANGGAP_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
        let db = PgDatabase {
            url: format!("{base}/{name}"),
            admin,
            name: name.to_string(),
        };
        db.run(
            rt,
            &[
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                &format!("CREATE DATABASE {name}"),
            ],
        );
        db
    }

    pub(crate) fn drop(&self, rt: &tokio::runtime::Runtime) {
        self.run(
            rt,
            &[&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )],
        );
    }

    fn run(&self, rt: &tokio::runtime::Runtime, statements: &[&str]) {
        rt.block_on(async {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&self.admin)
                .await
                .expect("PostgreSQL must be running (see scripts/test.sh)");
            for s in statements {
                sqlx::query(s).execute(&mut c).await.unwrap();
            }
        })
    }
}

#[test]
fn serve_answers_healthz_and_readyz() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = tanggap(dir.path())
        .arg("serve")
        .env("TANGGAP_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let result = rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await {
                let health = (r.status().as_u16(), r.text().await.unwrap_or_default());
                let ready = reqwest::get(format!("http://127.0.0.1:{port}/readyz"))
                    .await
                    .map(|r| r.status().as_u16());
                return Ok((health, ready.unwrap_or(0)));
            }
            if Instant::now() > deadline {
                return Err("server did not come up in 60 s");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let _ = child.kill();
    let _ = child.wait();
    let ((status, body), ready) = result.unwrap();
    assert_eq!((status, body.as_str()), (200, "ok"));
    assert_eq!(ready, 200);
}

#[test]
fn the_quarterly_report_is_written_as_csv_with_the_audit_head() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(tanggap(dir.path()).arg("seed"));
    assert_eq!(code, 0, "{err}");
    let out = dir.path().join("rakor.csv");
    let (code, _, err) = run(tanggap(dir.path()).args([
        "report",
        "quarterly",
        "2026-Q3",
        "--output",
        out.to_str().unwrap(),
    ]));
    assert_eq!(code, 0, "{err}");
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(csv.starts_with("laporan,"), "{csv}");
    let (_, verify, _) = run(tanggap(dir.path()).args(["audit", "verify"]));
    let head = verify.trim().rsplit(' ').next().unwrap().to_string();
    assert!(csv.contains(&format!(",hash,{head}")), "{csv}\n{verify}");
    assert!(csv.contains("definisi,kepatuhan_persen,"));
    // Standard output when no file is named.
    let (code, stdout, _) = run(tanggap(dir.path()).args(["report", "quarterly", "2026-Q3"]));
    assert_eq!(code, 0);
    assert!(stdout.starts_with("laporan,"));
    // The same report as HTML (with its chart), PDF and XLSX.
    let (code, html, err) =
        run(tanggap(dir.path()).args(["report", "quarterly", "2026-Q3", "--format", "html"]));
    assert_eq!(code, 0, "{err}");
    assert!(html.starts_with("<!doctype html>"), "{html}");
    assert!(
        html.contains(&head) && html.contains("Belum ada disposisi pada triwulan ini."),
        "{html}"
    );
    for (format, magic) in [("pdf", &b"%PDF-"[..]), ("xlsx", &b"PK\x03\x04"[..])] {
        let out = dir.path().join(format!("rakor.{format}"));
        let (code, _, err) = run(tanggap(dir.path()).args([
            "report",
            "quarterly",
            "2026-Q3",
            "--format",
            format,
            "--output",
            out.to_str().unwrap(),
        ]));
        assert_eq!(code, 0, "{format}: {err}");
        let bytes = std::fs::read(&out).unwrap();
        assert!(bytes.starts_with(magic), "{format}");
    }
    for bad in [
        vec!["report", "quarterly", "2026-Q5"],
        vec!["report", "quarterly", "2026-Q3", "--format", "docx"],
    ] {
        let (code, _, err) = run(tanggap(dir.path()).args(&bad));
        assert_one_line_error(code, &err);
    }
}
