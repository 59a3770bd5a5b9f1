//! Backup and restore as an operator does them (issue 17): `tanggap backup` while citizens keep
//! submitting, `tanggap restore` into an empty data directory and never into one in use, a
//! damaged file refused, and PostgreSQL through `pg_dump`/`pg_restore` with the attachments
//! archived by `tanggap backup`.

use crate::common::{TestApp, admin_url, complaint};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn tanggap(data_dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tanggap"));
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TANGGAP_DATA_DIR", data_dir)
        .env("RUST_BACKTRACE", "1");
    c
}

/// Run a command off the async runtime: (exit code, stdout, stderr).
async fn run(mut cmd: Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// A refusal is one line on stderr, starting with `error:`, and a non-zero exit.
fn assert_refused(code: i32, stderr: &str, says: &str) {
    assert_ne!(code, 0, "must fail: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains(says), "expected `{says}` in: {stderr}");
}

/// A small PNG whose bytes are its own (content-addressed storage would share equal files).
fn unique_png(n: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(4, 4, |x, y| {
        let v = n.wrapping_mul(2_654_435_761).wrapping_add(x * 4 + y);
        image::Rgb([(v >> 16) as u8, (v >> 8) as u8, v as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Submit a report as a citizen, with a photo of its own when `photo` is set; the tracking ID
/// on a 201.
async fn submit(app_base: &str, client: &reqwest::Client, n: u32, photo: bool) -> Option<String> {
    let body = complaint(&format!("Lampu jalan mati nomor {n}"));
    let request = client.post(format!("{app_base}/api/v1/reports"));
    let r = if photo {
        let form = Form::new().text("data", body.to_string()).part(
            "attachments",
            Part::bytes(unique_png(n)).file_name(format!("lampu-{n}.png")),
        );
        request.multipart(form).send().await
    } else {
        request.json(&body).send().await
    }
    .ok()?;
    if r.status() != StatusCode::CREATED {
        return None;
    }
    let v: serde_json::Value = r.json().await.ok()?;
    v["tracking_id"].as_str().map(str::to_string)
}

/// Every row `query` returns from the SQLite file in `dir`, as text.
async fn sqlite_texts(dir: &Path, query: &str) -> Vec<String> {
    let mut conn = tanggap_store_sqlite::raw_connection(&dir.join("tanggap.db"))
        .await
        .unwrap();
    sqlx::query_scalar(query)
        .fetch_all(&mut conn)
        .await
        .unwrap()
}

/// Each report's attachments (storage keys, in order), by tracking ID.
const ATTACHMENTS_BY_REPORT: &str = "SELECT r.tracking_id || ' ' || COALESCE((SELECT group_concat(a.storage_key, ',') \
     FROM (SELECT storage_key FROM attachments WHERE report_id = r.id ORDER BY id) a), '') FROM reports r";

/// Every file the restored database names is in `restored`'s attachment directory with the
/// same bytes as in `source`'s; returns how many.
fn same_files(keys: &[String], source: &Path, restored: &Path) -> usize {
    for key in keys {
        let original = std::fs::read(source.join("attachments").join(key))
            .unwrap_or_else(|e| panic!("{key} in the source: {e}"));
        let copy = std::fs::read(restored.join("attachments").join(key))
            .unwrap_or_else(|e| panic!("{key} was not restored: {e}"));
        assert!(original == copy, "{key} differs after the restore");
    }
    keys.len()
}

/// What is in a directory, with sizes (to show a refused restore touched nothing).
fn listing(dir: &Path) -> BTreeMap<PathBuf, u64> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                todo.push(e.path());
            }
            out.insert(e.path(), if meta.is_dir() { 0 } else { meta.len() });
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_load_restores_every_acknowledged_report() {
    let app = TestApp::sqlite().await;
    let source = app.dir.path().to_path_buf();
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut citizens = Vec::new();
    for _ in 0..4 {
        let (acked, stop, next, base) =
            (acked.clone(), stop.clone(), next.clone(), app.base.clone());
        citizens.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            // Bounded in count and time, whatever happens to the backup.
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                let n = next.fetch_add(1, Ordering::Relaxed) as u32;
                if n >= 20_000 {
                    break;
                }
                if let Some(tid) = submit(&base, &client, n, n.is_multiple_of(4)).await {
                    acked.lock().unwrap().push(tid);
                }
            }
        }));
    }
    while acked.lock().unwrap().len() < 200 {
        assert!(Instant::now() < deadline, "the citizens got nowhere");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let file = tempfile::tempdir().unwrap();
    let backup = file.path().join("tanggap-backup.tar");
    // Everything acknowledged before the backup starts must be in it.
    let before: BTreeSet<String> = acked.lock().unwrap().iter().cloned().collect();
    let mut cmd = tanggap(&source);
    cmd.arg("backup").arg(&backup);
    let (code, out, err) = run(cmd).await;
    let during = acked.lock().unwrap().len() - before.len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for c in citizens {
        c.await.unwrap();
    }
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("backup written to "), "{out}");
    let total = acked.lock().unwrap().len();
    eprintln!(
        "backup under load: {} reports acknowledged before it, {during} while it ran, {total} in all; {}",
        before.len(),
        out.trim()
    );
    // How many land while it runs depends on the machine (the copy of this small database
    // takes milliseconds; bench/backup.sh measures a large one); that they go on is the point.
    assert!(total > before.len(), "the citizens went on submitting");
    assert!(
        !file
            .path()
            .read_dir()
            .unwrap()
            .any(|e| { e.unwrap().file_name().to_string_lossy().contains("partial") })
    );

    let target = tempfile::tempdir().unwrap();
    let restored = target.path().join("data");
    let mut cmd = tanggap(&restored);
    cmd.arg("restore").arg(&backup);
    let (code, out, err) = run(cmd).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("restored "), "{out}");
    assert!(out.contains("audit trail intact"), "{out}");
    // The database and the files, nothing of the staging (before anything opens the copy);
    // at most an empty write-ahead log beside the database.
    let mut left: Vec<String> = std::fs::read_dir(&restored)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| !(e.file_name() == "tanggap.db-wal" && e.metadata().unwrap().len() == 0))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        vec!["attachments".to_string(), "tanggap.db".to_string()]
    );

    let mut cmd = tanggap(&restored);
    cmd.args(["audit", "verify"]);
    let (code, out, err) = run(cmd).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("audit trail intact: "), "{out}");

    // Every acknowledged report, each whole: its attachments as in the source.
    let held: BTreeSet<String> = sqlite_texts(&restored, "SELECT tracking_id FROM reports")
        .await
        .into_iter()
        .collect();
    let lost: Vec<&String> = before.difference(&held).collect();
    assert!(
        lost.is_empty(),
        "acknowledged before the backup, not restored: {lost:?}"
    );
    let in_source: BTreeSet<String> = sqlite_texts(&source, ATTACHMENTS_BY_REPORT)
        .await
        .into_iter()
        .collect();
    for row in sqlite_texts(&restored, ATTACHMENTS_BY_REPORT).await {
        assert!(in_source.contains(&row), "a torn report: {row}");
    }
    assert_eq!(
        sqlite_texts(&restored, "PRAGMA integrity_check").await,
        vec!["ok".to_string()]
    );
    assert!(
        sqlite_texts(&restored, "SELECT \"table\" FROM pragma_foreign_key_check")
            .await
            .is_empty()
    );
    let keys = sqlite_texts(&restored, tanggap_store::ATTACHMENT_FILES).await;
    let photos = sqlite_texts(&restored, "SELECT storage_key FROM attachments").await;
    assert!(
        !photos.is_empty() && keys.len() == photos.len(),
        "one file per photo"
    );
    same_files(&keys, &source, &restored);
    app.finish().await;
}

/// A small installation with reports and photos, backed up; the app keeps running.
async fn small_backup(dir: &Path) -> (TestApp, PathBuf) {
    let app = TestApp::sqlite().await;
    let client = reqwest::Client::new();
    for n in 0..6 {
        submit(&app.base, &client, n, n.is_multiple_of(2))
            .await
            .unwrap();
    }
    let file = dir.join("backup.tar");
    let mut cmd = tanggap(app.dir.path());
    cmd.arg("backup").arg(&file);
    let (code, out, err) = run(cmd).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("3 attachment files"), "{out}");
    (app, file)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_a_data_directory_in_use_and_backup_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let (app, file) = small_backup(dir.path()).await;

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "personal data: the owner's only");
    }
    // A backup onto an existing file is refused, the file untouched.
    let before = std::fs::read(&file).unwrap();
    let mut cmd = tanggap(app.dir.path());
    cmd.arg("backup").arg(&file);
    let (code, _, err) = run(cmd).await;
    assert_refused(code, &err, "already exists");
    assert!(std::fs::read(&file).unwrap() == before);

    // A data directory with a database, or with attachments, is left exactly as it was.
    let with_db = tempfile::tempdir().unwrap();
    std::fs::write(with_db.path().join("tanggap.db"), b"somebody's database").unwrap();
    let with_files = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(with_files.path().join("attachments/ab")).unwrap();
    std::fs::write(with_files.path().join("attachments/ab/photo"), b"a photo").unwrap();
    for (target, says) in [
        (with_db.path(), "already holds a database"),
        (with_files.path(), "already holds attachments"),
    ] {
        let was = listing(target);
        let mut cmd = tanggap(target);
        cmd.arg("restore").arg(&file);
        let (code, _, err) = run(cmd).await;
        assert_refused(code, &err, says);
        assert_eq!(listing(target), was, "a refused restore touched nothing");
    }
    assert_eq!(
        std::fs::read(with_db.path().join("tanggap.db")).unwrap(),
        b"somebody's database"
    );
    // The live installation itself is in use, of course.
    let mut cmd = tanggap(app.dir.path());
    cmd.arg("restore").arg(&file);
    let (code, _, err) = run(cmd).await;
    assert_refused(code, &err, "already holds a database");

    // An empty attachment directory and other files (a settings file) are no obstacle.
    let prepared = tempfile::tempdir().unwrap();
    std::fs::create_dir(prepared.path().join("attachments")).unwrap();
    std::fs::write(
        prepared.path().join("tanggap.toml"),
        b"listen = \"127.0.0.1:9000\"\n",
    )
    .unwrap();
    let mut cmd = tanggap(prepared.path());
    cmd.arg("restore").arg(&file);
    let (code, out, err) = run(cmd).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(" 6 reports, 3 attachment files"), "{out}");
    assert_eq!(
        std::fs::read(prepared.path().join("tanggap.toml")).unwrap(),
        b"listen = \"127.0.0.1:9000\"\n"
    );
    // And restoring again over what was just restored is refused.
    let mut cmd = tanggap(prepared.path());
    cmd.arg("restore").arg(&file);
    let (code, _, err) = run(cmd).await;
    assert_refused(code, &err, "already holds a database");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_or_cut_short_backup_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (app, file) = small_backup(dir.path()).await;
    let whole = std::fs::read(&file).unwrap();
    // Where each entry's header and bytes are: (name, header at, bytes at, size).
    let mut entries = Vec::new();
    let mut archive = tar::Archive::new(std::fs::File::open(&file).unwrap());
    for e in archive.entries().unwrap() {
        let e = e.unwrap();
        entries.push((
            e.path().unwrap().to_string_lossy().into_owned(),
            e.raw_header_position() as usize,
            e.raw_file_position() as usize,
            e.size() as usize,
        ));
    }
    let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(names.len(), 5, "{names:?}");
    assert_eq!(names[0], "tanggap.db");
    assert!(
        names[1..4].iter().all(|n| n.starts_with("attachments/")),
        "{names:?}"
    );
    assert_eq!(names[4], "manifest.json");
    let (db, photo, manifest) = (&entries[0], &entries[2], &entries[4]);
    let cut = |at: usize| whole[..at].to_vec();
    let flip = |at: usize| {
        let mut b = whole.clone();
        b[at] ^= 0x5a;
        b
    };
    let damaged: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", Vec::new(), "cut short"),
        ("cut in the first header", cut(100), "cut short"),
        ("cut in the database", cut(db.2 + db.3 / 2), "cut short"),
        ("cut in a photo", cut(photo.2 + photo.3 / 2), "cut short"),
        ("cut before the manifest", cut(manifest.1), "cut short"),
        (
            "cut in the manifest",
            cut(manifest.2 + manifest.3 / 2),
            "cut short",
        ),
        (
            "not an archive",
            b"tanggap.db\n".repeat(100),
            "not a Tanggap backup",
        ),
        (
            "a header changed",
            flip(photo.1 + 3),
            "not a Tanggap backup",
        ),
        (
            "a byte of the database changed",
            flip(db.2 + db.3 / 2),
            "database is damaged",
        ),
        (
            "a byte of a photo changed",
            flip(photo.2 + photo.3 / 2),
            "is damaged",
        ),
    ];
    for (what, bytes, says) in damaged {
        let bad = dir.path().join("bad.tar");
        std::fs::write(&bad, &bytes).unwrap();
        // A data directory that does not exist yet: a refused restore leaves none behind.
        let target = tempfile::tempdir().unwrap();
        let mut cmd = tanggap(&target.path().join("data"));
        cmd.arg("restore").arg(&bad);
        let (code, _, err) = run(cmd).await;
        assert_ne!(code, 0, "{what}: must be refused");
        assert_refused(code, &err, says);
        assert!(
            listing(target.path()).is_empty(),
            "{what}: nothing is left behind: {:?}",
            listing(target.path())
        );
    }
    let target = tempfile::tempdir().unwrap();
    let mut cmd = tanggap(target.path());
    cmd.arg("restore").arg(dir.path().join("no-such.tar"));
    let (code, _, err) = run(cmd).await;
    assert_refused(code, &err, "cannot read");
    app.finish().await;
}

fn pg_url(name: &str) -> String {
    let admin = admin_url();
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
    format!("{base}/{name}")
}

async fn pg_admin(statement: &str) {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(&admin_url()).await.unwrap();
    sqlx::query(statement).execute(&mut c).await.unwrap();
}

async fn pg_texts(url: &str, query: &str) -> Vec<String> {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query_scalar(query).fetch_all(&mut c).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_through_pg_dump_and_pg_restore_with_the_attachments() {
    if std::process::Command::new("pg_dump")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("NOTE: pg_dump is not on PATH; the PostgreSQL backup test is skipped");
        return;
    }
    let app = TestApp::postgres().await;
    let client = reqwest::Client::new();
    let mut tids = Vec::new();
    for n in 0..8 {
        tids.push(
            submit(&app.base, &client, n, n.is_multiple_of(2))
                .await
                .unwrap(),
        );
    }
    let name = app.texts("SELECT current_database()::text").await.remove(0);
    let url = pg_url(&name);
    let work = tempfile::tempdir().unwrap();
    let dump = work.path().join("tanggap.dump");

    // 1. pg_dump, then `tanggap backup` for the attachments.
    let mut cmd = Command::new("pg_dump");
    cmd.args(["--format=custom", "--file"]).arg(&dump).arg(&url);
    let (code, _, err) = run(cmd).await;
    assert_eq!(code, 0, "pg_dump: {err}");
    let file = work.path().join("attachments.tar");
    let mut cmd = tanggap(app.dir.path());
    cmd.env("DATABASE_URL", &url).arg("backup").arg(&file);
    let (code, out, err) = run(cmd).await;
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("pg_dump"), "the operator is told: {err}");
    assert!(out.contains("4 attachment files"), "{out}");

    // 2. A fresh database: `tanggap restore` first is refused (and creates nothing there),
    // then pg_restore, then `tanggap restore` for the attachments.
    let fresh = format!("tanggap_restored_{:016x}", rand::random::<u64>());
    pg_admin(&format!("CREATE DATABASE {fresh}")).await;
    let fresh_url = pg_url(&fresh);
    let restored = work.path().join("data");
    let mut cmd = tanggap(&restored);
    cmd.env("DATABASE_URL", &fresh_url)
        .arg("restore")
        .arg(&file);
    let (code, _, err) = run(cmd).await;
    assert_refused(code, &err, "pg_restore first");
    assert!(!restored.exists());
    let mut cmd = Command::new("pg_restore");
    cmd.args(["--no-owner", "--exit-on-error", "--dbname", &fresh_url])
        .arg(&dump);
    let (code, _, err) = run(cmd).await;
    assert_eq!(code, 0, "pg_restore: {err}");
    // The attachments archive of a PostgreSQL installation is no SQLite backup.
    let mut cmd = tanggap(&restored);
    cmd.arg("restore").arg(&file);
    let (code, _, err) = run(cmd).await;
    assert_refused(code, &err, "pg_restore");
    let mut cmd = tanggap(&restored);
    cmd.env("DATABASE_URL", &fresh_url)
        .arg("restore")
        .arg(&file);
    let (code, out, err) = run(cmd).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(" 8 reports, 4 attachment files"), "{out}");
    let mut cmd = tanggap(&restored);
    cmd.env("DATABASE_URL", &fresh_url)
        .args(["audit", "verify"]);
    let (code, out, err) = run(cmd).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("audit trail intact: "), "{out}");

    // 3. The restored database holds every report, and its files are the originals.
    let held: BTreeSet<String> = pg_texts(&fresh_url, "SELECT tracking_id FROM reports")
        .await
        .into_iter()
        .collect();
    assert_eq!(held, tids.iter().cloned().collect());
    let keys = pg_texts(&fresh_url, tanggap_store::ATTACHMENT_FILES).await;
    assert_eq!(same_files(&keys, app.dir.path(), &restored), 4);
    assert_eq!(
        pg_texts(&fresh_url, "SELECT hash FROM audit_head").await,
        app.texts("SELECT hash FROM audit_head").await
    );
    pg_admin(&format!("DROP DATABASE IF EXISTS {fresh} WITH (FORCE)")).await;
    app.finish().await;
}
