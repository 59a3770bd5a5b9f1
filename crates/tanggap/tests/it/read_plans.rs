//! Every statement behind the reads of issue 16 runs on an index. The reads are made through the
//! real binary on a database of `tanggap demo --reports N`, with its statement log on
//! (`TANGGAP_LOG=sqlx::query=trace`, JSON lines); each statement the log names is then explained
//! on the same database, and no plan may read a whole table that grows with the reports.
//!
//! SQLite: `EXPLAIN QUERY PLAN`, where a full read of a table is a bare `SCAN t` (an index walk
//! says `USING INDEX`). PostgreSQL: the statement's generic plan (`plan_cache_mode =
//! force_generic_plan`, the plan a prepared statement gets whatever its values) with sequential
//! scans priced out (`enable_seqscan = off`), so a `Seq Scan` left on a table means no index can
//! serve it, whatever the table's size in the test.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use sqlx::Connection;

use super::cli::{PgDatabase, run, tanggap};

/// Tables that hold reference data or one row per agency, user or quarter: small whatever the
/// number of reports, so reading them whole is fine. Every other table is checked.
const SMALL_TABLES: &[&str] = &[
    "agencies",
    "agency_heads",
    "api_tokens",
    "audit_head",
    "categories",
    "connectors",
    "holidays",
    "job_cursors",
    "open311_keys",
    "regions",
    "report_counts",
    "settings",
    "users",
    "assignment_tallies",
    "obligation_tallies",
];

/// Every table of the schema that grows with the reports.
const LARGE_TABLES: &[&str] = &[
    "activities",
    "assignments",
    "attachments",
    "audit_events",
    "chat_pending",
    "chat_windows",
    "clocks",
    "connector_links",
    "connector_outbox",
    "connector_updates",
    "idempotency_keys",
    "inbound_messages",
    "job_runs",
    "messages",
    "notifications",
    "notifications_new",
    "obligations",
    "open311_requests",
    "reporter_addresses",
    "reporters",
    "reports",
    "reports_fts_pending",
    "routing_choices",
    "sessions",
];

const REPORTS: u32 = 3000;

#[test]
fn the_reads_run_on_indexes_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tanggap.db");
    let url = format!("sqlite://{}", db.display());
    let statements = read_everything(dir.path(), None, &url);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let bad = rt.block_on(async {
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let mut bad = Vec::new();
        for sql in &statements {
            let rows: Vec<(i64, i64, i64, String)> =
                sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                    .fetch_all(&mut c)
                    .await
                    .unwrap_or_else(|e| panic!("EXPLAIN failed: {e}\n{sql}"));
            let plan: Vec<String> = rows.into_iter().map(|r| r.3).collect();
            let aliases = large_table_aliases(sql);
            let sorts = plan.iter().any(|l| l.contains("TEMP B-TREE"));
            for line in &plan {
                if let Some(name) = line.strip_prefix("SCAN ")
                    && !name.contains(' ')
                    && aliases.contains(name)
                    && (sorts || !newest_first(sql, name))
                {
                    bad.push(format!("{line}\n  in: {sql}\n  plan: {plan:?}"));
                }
            }
        }
        bad
    });
    assert_none_read_whole_tables(&bad, statements.len());
}

#[test]
fn the_reads_run_on_indexes_on_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = PgDatabase::fresh(&rt, &format!("tanggap_plans_{}", std::process::id()));
    let url = db.url.clone();
    let dir = tempfile::tempdir().unwrap();
    let statements = read_everything(dir.path(), Some(&url), &url);
    let bad = rt.block_on(async {
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        for s in [
            "ANALYZE",
            "SET enable_seqscan = off",
            "SET plan_cache_mode = force_generic_plan",
        ] {
            sqlx::query(s).execute(&mut c).await.unwrap();
        }
        let mut bad = Vec::new();
        for sql in &statements {
            let params = highest_parameter(sql);
            sqlx::query(&format!("PREPARE plan_check AS {sql}"))
                .execute(&mut c)
                .await
                .unwrap_or_else(|e| panic!("PREPARE failed: {e}\n{sql}"));
            let explain = if params == 0 {
                "EXPLAIN EXECUTE plan_check".to_string()
            } else {
                format!(
                    "EXPLAIN EXECUTE plan_check({})",
                    vec!["NULL"; params].join(", ")
                )
            };
            let plan: Vec<String> = sqlx::query_scalar(&explain)
                .fetch_all(&mut c)
                .await
                .unwrap_or_else(|e| panic!("EXPLAIN failed: {e}\n{sql}"));
            sqlx::query("DEALLOCATE plan_check")
                .execute(&mut c)
                .await
                .unwrap();
            for line in &plan {
                if let Some((_, rest)) = line.split_once("Seq Scan on ") {
                    let table = rest.split_whitespace().next().unwrap_or_default();
                    if !SMALL_TABLES.contains(&table) {
                        bad.push(format!(
                            "{}\n  in: {sql}\n  plan:\n{}",
                            line.trim(),
                            plan.join("\n")
                        ));
                    }
                }
            }
        }
        bad
    });
    db.drop(&rt);
    assert_none_read_whole_tables(&bad, statements.len());
}

fn assert_none_read_whole_tables(bad: &[String], statements: usize) {
    assert!(
        bad.is_empty(),
        "{} of {statements} statements read a whole table:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// Loads the demo reports, serves them with the statement log on, reads every page of issue 16
/// as the public, the desk and an agency, and returns the distinct statements that were run
/// (reads and the writes a read makes, such as a session's expiry; not transaction control).
fn read_everything(dir: &Path, database_url: Option<&str>, url: &str) -> BTreeSet<String> {
    let with_db = |c: &mut std::process::Command| {
        if let Some(u) = database_url {
            c.env("DATABASE_URL", u);
        }
    };
    let mut demo = tanggap(dir);
    with_db(&mut demo);
    let loading = chrono::Utc::now();
    let (code, _, err) = run(demo.args(["demo", "--reports", &REPORTS.to_string()]));
    assert_eq!(code, 0, "{err}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The copies are loaded as a running system keeps its clocks: nothing that was due when the
    // load began is left for the first start to fire (every open copy's crossed thresholds
    // fired at once, and their notifications were sent while the reads were being measured).
    let due = if database_url.is_some() {
        format!(
            "SELECT COUNT(*)::text FROM clocks WHERE next_fire_at <= '{}'::timestamptz",
            loading.to_rfc3339()
        )
    } else {
        format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM clocks WHERE next_fire_at <= {}",
            loading.timestamp_micros()
        )
    };
    let left = rt.block_on(texts(url, database_url.is_some(), &[due.as_str()]));
    assert_eq!(
        left,
        vec![vec!["0".to_string()]],
        "clocks left due by the load"
    );
    let mut found = rt.block_on(texts(
        url,
        database_url.is_some(),
        &[
            "SELECT tracking_id FROM reports WHERE NOT rahasia \
             AND status NOT IN ('baru', 'diarsipkan', 'duplikat') ORDER BY id DESC LIMIT 3",
            // An open report, a finished one and a new one for the staff page.
            "SELECT tracking_id FROM reports WHERE status = 'diproses' ORDER BY id DESC LIMIT 1",
            "SELECT tracking_id FROM reports WHERE status = 'selesai' ORDER BY id DESC LIMIT 1",
            "SELECT tracking_id FROM reports WHERE status = 'baru' ORDER BY id DESC LIMIT 1",
        ],
    ));
    let public = found.remove(0);
    let staff: Vec<String> = found.into_iter().flatten().collect();
    assert_eq!(public.len(), 3, "the demo has public reports");
    assert!(staff.len() >= 2, "the demo has open and finished reports");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = dir.join("server.log");
    let mut serve = tanggap(dir);
    with_db(&mut serve);
    let mut child = serve
        .arg("serve")
        .env("TANGGAP_LISTEN", format!("127.0.0.1:{port}"))
        .env("TANGGAP_JOBS", "off")
        .env("TANGGAP_LOG", "warn,sqlx::query=trace")
        .env("TANGGAP_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let result = rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(60);
        while reqwest::get(format!("{base}/readyz"))
            .await
            .map(|r| r.status().as_u16())
            .ok()
            != Some(200)
        {
            if Instant::now() > deadline {
                return Err("server did not come up in 60 s".to_string());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let anonymous = reqwest::Client::new();
        let mut paths: Vec<(reqwest::Client, String)> = Vec::new();
        for t in &public {
            paths.push((anonymous.clone(), format!("/lacak/{t}")));
        }
        for p in ["/", "/?wilayah=3374", "/statistik"] {
            paths.push((anonymous.clone(), p.to_string()));
        }
        let operator = login(&base, "operator").await?;
        for p in [
            "/meja",
            "/meja?status=baru",
            "/meja?status=didisposisikan",
            "/meja?status=diproses",
            "/meja?channel=whatsapp",
            "/meja?channel=web",
            "/meja?q=jalan",
            "/meja?q=sekolah&status=diproses",
        ] {
            paths.push((operator.clone(), p.to_string()));
        }
        for t in &staff {
            paths.push((operator.clone(), format!("/kelola/{t}")));
        }
        let agency = login(&base, "petugas.dpu").await?;
        for p in ["/instansi", "/instansi?halaman=2"] {
            paths.push((agency.clone(), p.to_string()));
        }
        for (client, path) in paths {
            let status = client
                .get(format!("{base}{path}"))
                .send()
                .await
                .map_err(|e| e.to_string())?
                .status();
            if status != 200 {
                return Err(format!("{path}: {status}"));
            }
        }
        Ok(())
    });
    let _ = child.kill();
    let _ = child.wait();
    result.unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    let mut statements = BTreeSet::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["target"] != "sqlx::query" {
            continue;
        }
        let fields = &v["fields"];
        let mut sql = fields["db.statement"].as_str().unwrap_or_default().trim();
        if sql.is_empty() {
            sql = fields["summary"].as_str().unwrap_or_default().trim();
        }
        let verb = sql
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        if matches!(verb.as_str(), "SELECT" | "WITH" | "UPDATE" | "DELETE") {
            statements.insert(sql.to_string());
        }
    }
    assert!(
        statements.len() >= 20,
        "the statement log names the reads ({} found)",
        statements.len()
    );
    statements
}

/// One column of text rows per query, on one connection; on SQLite after the statistics
/// `bench/reads.sh` leaves (the server runs `optimize` as well).
async fn texts(url: &str, postgres: bool, queries: &[&str]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    if postgres {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        for q in queries {
            out.push(sqlx::query_scalar(q).fetch_all(&mut c).await.unwrap());
        }
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query("PRAGMA optimize")
            .execute(&mut c)
            .await
            .unwrap();
        for q in queries {
            out.push(sqlx::query_scalar(q).fetch_all(&mut c).await.unwrap());
        }
    }
    out
}

async fn login(base: &str, username: &str) -> Result<reqwest::Client, String> {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = client
        .post(format!("{base}/api/v1/sessions"))
        .json(
            &serde_json::json!({"username": username, "password": format!("{username}-demo-2026")}),
        )
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !r.status().is_success() {
        return Err(format!("login {username}: {}", r.status()));
    }
    Ok(client)
}

/// The names a statement gives the large tables it reads: the table's own name and any alias
/// (`FROM reports r`, `JOIN clocks AS c`), which is how SQLite's plan names them.
fn large_table_aliases(sql: &str) -> BTreeSet<String> {
    const NOT_ALIASES: &[&str] = &[
        "WHERE",
        "JOIN",
        "LEFT",
        "INNER",
        "CROSS",
        "ON",
        "USING",
        "GROUP",
        "ORDER",
        "LIMIT",
        "UNION",
        "SET",
        "VALUES",
        "INDEXED",
        "NOT",
        "AND",
        "OR",
        "WINDOW",
        "HAVING",
        "RETURNING",
        "EXCEPT",
        "INTERSECT",
    ];
    let words: Vec<String> = sql
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let mut names = BTreeSet::new();
    for (i, w) in words.iter().enumerate() {
        if !LARGE_TABLES.contains(&w.as_str()) {
            continue;
        }
        names.insert(w.clone());
        let mut next = words.get(i + 1);
        if next.is_some_and(|n| n.eq_ignore_ascii_case("AS")) {
            next = words.get(i + 2);
        }
        if let Some(n) = next
            && !NOT_ALIASES.iter().any(|k| n.eq_ignore_ascii_case(k))
            && !n.chars().all(|c| c.is_ascii_digit())
        {
            names.insert(n.clone());
        }
    }
    names
}

/// A walk of the table from its newest row that stops at the limit (`ORDER BY r.id DESC LIMIT
/// ?`) reads as many rows as it returns when most rows match, as for the assistant's recent
/// dispatches: allowed, unless SQLite sorts (then it read everything first).
fn newest_first(sql: &str, name: &str) -> bool {
    let words: Vec<&str> = sql.split_whitespace().collect();
    words.windows(5).any(|w| {
        w[0].eq_ignore_ascii_case("ORDER")
            && w[1].eq_ignore_ascii_case("BY")
            && (w[2] == format!("{name}.id") || w[2] == "id")
            && w[3].eq_ignore_ascii_case("DESC")
            && w[4].eq_ignore_ascii_case("LIMIT")
    })
}

/// The highest `$N` in a PostgreSQL statement.
fn highest_parameter(sql: &str) -> usize {
    let mut highest = 0;
    let mut rest = sql;
    while let Some(i) = rest.find('$') {
        rest = &rest[i + 1..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse::<usize>() {
            highest = highest.max(n);
        }
    }
    highest
}

#[test]
fn aliases_and_parameters_are_read_from_the_statement() {
    let a = large_table_aliases(
        "SELECT r.id FROM reports r JOIN clocks AS c ON c.report_id = r.id \
         WHERE r.status = ?1 AND EXISTS (SELECT 1 FROM assignments WHERE x = 1)",
    );
    let want: BTreeSet<String> = ["reports", "r", "clocks", "c", "assignments"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(a, want);
    assert!(newest_first(
        "SELECT * FROM reports r ORDER BY r.id DESC LIMIT ?",
        "r"
    ));
    assert!(!newest_first(
        "SELECT * FROM reports r ORDER BY r.created_at DESC LIMIT ?",
        "r"
    ));
    assert!(!newest_first(
        "SELECT * FROM reports r ORDER BY r.id DESC",
        "r"
    ));
    assert_eq!(highest_parameter("SELECT $1, $12, $3 FROM t"), 12);
    assert_eq!(highest_parameter("SELECT 1"), 0);
}
