//! `tanggap restore FILE`: a backup ([`crate::backup`]) into an empty data directory.
//!
//! Nothing already there is ever overwritten: a data directory that holds a database file or
//! any attachment is refused before anything is read. The archive is unpacked into a staging
//! directory inside the data directory, every byte checked on the way (the copy's SHA-256
//! against the manifest, each attachment against its name, the manifest present at the end);
//! then the copy is checked by SQLite (`quick_check`), opened as Tanggap opens it (migrations
//! bring a backup of an older version up to date), its audit chain verified from the first
//! event, its head compared with the manifest's and every file it names looked for. Only then
//! are the attachment directory and the database file moved into place (renames on one file
//! system), the database last. A refused restore removes its staging directory and leaves the
//! data directory as it found it.
//!
//! On PostgreSQL the database is restored first with `pg_restore` (README, "Backup and
//! restore"); `tanggap restore` then puts the attachments in place and checks the restored
//! database against them.

use crate::backup::{
    DB_ENTRY, FILES_DIR, FORMAT, FORMAT_VERSION, Hashing, MANIFEST_ENTRY, MANIFEST_MAX, Manifest,
    Scratch, sync_dir,
};
use crate::config::Config;
use anyhow::{Context as _, bail};
use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::time::Instant;
use tanggap_attachments::DiskStore;
use tanggap_store::{Store, VerifyError};

/// What `tanggap restore` put in place.
#[derive(Debug)]
pub struct RestoreSummary {
    pub manifest: Manifest,
    pub reports: u64,
    pub files: u64,
    pub audit_events: u64,
    pub audit_head: String,
    /// Files the database names that were already missing when the backup was made.
    pub missing: usize,
    pub seconds: f64,
}

/// The database files of the SQLite store in a data directory.
const DB_FILES: [&str; 4] = [
    "tanggap.db",
    "tanggap.db-wal",
    "tanggap.db-shm",
    "tanggap.db-journal",
];

/// Refuse a data directory that holds a database or attachments (nothing is touched).
fn refuse_unless_empty(data_dir: &Path) -> anyhow::Result<()> {
    for name in DB_FILES {
        if data_dir.join(name).exists() {
            bail!(
                "the data directory {} already holds a database ({name}); restore only into an empty data directory (nothing was changed)",
                data_dir.display()
            );
        }
    }
    let files = data_dir.join(FILES_DIR);
    match fs::read_dir(&files) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                bail!(
                    "the data directory {} already holds attachments ({}); restore only into an empty data directory (nothing was changed)",
                    data_dir.display(),
                    files.display()
                );
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", files.display())),
    }
    Ok(())
}

/// `tanggap restore FILE`.
pub async fn restore(config: &Config, archive: &Path) -> anyhow::Result<RestoreSummary> {
    let started = Instant::now();
    let data_dir = config.data_dir.clone();
    refuse_unless_empty(&data_dir)?;
    let file = File::open(archive).with_context(|| format!("cannot read {}", archive.display()))?;
    if let Some(url) = &config.database_url
        && !tanggap_store_postgres::PgStore::has_schema(url)
            .await
            .context("cannot use the PostgreSQL database in DATABASE_URL")?
    {
        bail!(
            "the PostgreSQL database in DATABASE_URL is empty: restore it from its pg_dump with pg_restore first, then run tanggap restore for the attachments (nothing was changed)"
        );
    }
    // A data directory made here is removed again if the restore fails.
    let mut made = MadeDir(None);
    if !data_dir.exists() {
        fs::create_dir_all(&data_dir)
            .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
        made.0 = Some(data_dir.clone());
    }
    let staging = data_dir.join(format!(".restore-{:016x}", rand::random::<u64>()));
    private_dir(&staging)?;
    let scratch = Scratch(vec![staging.clone()]);

    let with_db = config.database_url.is_none();
    let unpacked = {
        let staging = staging.clone();
        let archive = archive.to_path_buf();
        tokio::task::spawn_blocking(move || unpack(file, &staging, with_db))
            .await?
            .with_context(|| format!("{} cannot be restored", archive.display()))?
    };
    let manifest = unpacked.manifest.clone();

    let (reports, chain, missing) = match &config.database_url {
        None => {
            let db = staging.join(DB_ENTRY);
            {
                let db = db.clone();
                tokio::task::spawn_blocking(move || tanggap_store_sqlite::backup::quick_check(&db))
                    .await??;
            }
            let store = tanggap_store_sqlite::SqliteStore::open(&db)
                .await
                .context("cannot open the database in the backup")?;
            let checked = check_restored(&store, &unpacked, with_db).await;
            store.close().await;
            let checked = checked?;
            tokio::task::spawn_blocking(move || tanggap_store_sqlite::backup::settle(&db))
                .await??;
            checked
        }
        Some(url) => {
            let store = tanggap_store_postgres::PgStore::connect(url)
                .await
                .context("cannot use the PostgreSQL database in DATABASE_URL")?;
            let checked = check_restored(&store, &unpacked, with_db).await;
            store.close().await;
            checked?
        }
    };

    // Into place: the attachments, then the database (its presence means a finished restore).
    refuse_unless_empty(&data_dir)?;
    let staged_files = staging.join(FILES_DIR);
    if staged_files.is_dir() {
        // Over an empty attachment directory at most (rename refuses a non-empty one).
        fs::rename(&staged_files, data_dir.join(FILES_DIR))
            .context("cannot move the attachments into place")?;
    }
    if with_db {
        let _ = fs::remove_file(staging.join("tanggap.db-shm"));
        for name in ["tanggap.db-wal", DB_ENTRY] {
            let from = staging.join(name);
            if from.exists() {
                fs::rename(&from, data_dir.join(name))
                    .context("cannot move the database into place")?;
            }
        }
    }
    sync_dir(&data_dir)?;
    drop(scratch);
    made.0 = None;
    Ok(RestoreSummary {
        manifest,
        reports,
        files: unpacked.files.len() as u64,
        audit_events: chain.events,
        audit_head: chain.head_hash,
        missing,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Removes the data directory a failed restore created (if it is still empty).
struct MadeDir(Option<std::path::PathBuf>);

impl Drop for MadeDir {
    fn drop(&mut self) {
        if let Some(dir) = &self.0 {
            let _ = fs::remove_dir(dir);
        }
    }
}

/// What came out of the archive, checked against its manifest.
struct Unpacked {
    manifest: Manifest,
    /// Storage keys of the files unpacked.
    files: BTreeSet<String>,
}

fn private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
}

/// Unpack `archive` into `staging`, checking every entry; fails on anything that is not a
/// whole backup of the kind expected (`with_db`: a SQLite one).
fn unpack(archive: File, staging: &Path, with_db: bool) -> anyhow::Result<Unpacked> {
    let damaged = |e: io::Error| {
        let text = e.to_string();
        if text.contains("entire block") || text.contains("EOF") {
            cut_short(e)
        } else {
            // The tar reader quotes the bytes it could not read; a few are enough.
            let short: String = text.chars().take(60).collect();
            let more = if short.len() < text.len() { "…" } else { "" };
            anyhow::anyhow!("not a Tanggap backup, or damaged ({short}{more})")
        }
    };
    let mut tar = tar::Archive::new(BufReader::with_capacity(1 << 20, archive));
    let mut manifest: Option<Manifest> = None;
    let mut db: Option<(u64, String)> = None;
    let mut files = BTreeSet::new();
    let keys = DiskStore::new(staging.join(FILES_DIR));
    for entry in tar.entries().map_err(damaged)? {
        let mut entry = entry.map_err(damaged)?;
        let name = entry
            .path()
            .map_err(damaged)?
            .to_string_lossy()
            .into_owned();
        if manifest.is_some() {
            bail!("not a Tanggap backup: `{name}` follows the manifest");
        }
        if !matches!(
            entry.header().entry_type(),
            tar::EntryType::Regular | tar::EntryType::Continuous
        ) {
            bail!("not a Tanggap backup: `{name}` is not a plain file");
        }
        if name == MANIFEST_ENTRY {
            if entry.size() > MANIFEST_MAX {
                bail!(
                    "not a Tanggap backup: its manifest is {} bytes",
                    entry.size()
                );
            }
            let mut json = Vec::new();
            entry.read_to_end(&mut json).map_err(cut_short)?;
            if json.len() as u64 != entry.size() {
                bail!("the file was cut short in its manifest");
            }
            manifest = Some(
                serde_json::from_slice(&json)
                    .map_err(|e| anyhow::anyhow!("its manifest cannot be read: {e}"))?,
            );
        } else if name == DB_ENTRY {
            if !with_db {
                bail!(
                    "it holds a SQLite database, but DATABASE_URL is set: unset it to restore into the data directory (moving between SQLite and PostgreSQL is not supported)"
                );
            }
            if db.is_some() {
                bail!("not a Tanggap backup: two databases");
            }
            let size = entry.size();
            db = Some(write_file(&mut entry, size, &staging.join(DB_ENTRY))?);
        } else if let Some(key) = name.strip_prefix(&format!("{FILES_DIR}/")) {
            let path = keys
                .path(key)
                .with_context(|| format!("not a Tanggap backup: `{name}` is not an attachment"))?;
            if !files.insert(key.to_string()) {
                bail!("not a Tanggap backup: `{name}` is in it twice");
            }
            if let Some(shard) = path.parent()
                && !shard.is_dir()
            {
                if !keys.root().is_dir() {
                    private_dir(keys.root())?;
                }
                private_dir(shard)?;
            }
            let size = entry.size();
            let (_, sha256) = write_file(&mut entry, size, &path)?;
            if sha256 != key[3..] {
                bail!("the attachment {key} in it is damaged (its bytes do not match its name)");
            }
        } else {
            bail!("not a Tanggap backup: unexpected entry `{name}`");
        }
    }
    let Some(manifest) = manifest else {
        bail!("it ends before its manifest: the file was cut short (or is not a Tanggap backup)");
    };
    if manifest.format != FORMAT {
        bail!("not a Tanggap backup (format `{}`)", manifest.format);
    }
    if manifest.format_version > FORMAT_VERSION {
        bail!(
            "it was made by a newer Tanggap ({}, backup format {}); restore it with that version or newer",
            manifest.tanggap_version,
            manifest.format_version
        );
    }
    match (with_db, manifest.backend.as_str()) {
        (true, "sqlite") | (false, "postgres") => {}
        (true, "postgres") => bail!(
            "it holds the attachments of a PostgreSQL installation: restore its database with pg_restore and set DATABASE_URL to it"
        ),
        (false, "sqlite") => bail!(
            "it holds a SQLite database, but DATABASE_URL is set: unset it to restore into the data directory"
        ),
        (_, other) => bail!("not a Tanggap backup (backend `{other}`)"),
    }
    match (&manifest.database, db) {
        (None, None) => {}
        (Some(expected), Some((bytes, sha256))) => {
            if bytes != expected.bytes || sha256 != expected.sha256 {
                bail!(
                    "its database is damaged ({bytes} bytes with SHA-256 {sha256}, the manifest says {} bytes with {})",
                    expected.bytes,
                    expected.sha256
                );
            }
        }
        (Some(_), None) => bail!("its database is missing: the file was altered"),
        (None, Some(_)) => bail!("not a Tanggap backup: a database its manifest does not list"),
    }
    if files.len() as u64 != manifest.attachments.files {
        bail!(
            "it holds {} attachments, its manifest says {}: the file was altered",
            files.len(),
            manifest.attachments.files
        );
    }
    for dir in [staging.join(FILES_DIR), staging.to_path_buf()] {
        if dir.is_dir() {
            sync_dir(&dir)?;
        }
    }
    Ok(Unpacked { manifest, files })
}

fn cut_short(e: io::Error) -> anyhow::Error {
    anyhow::anyhow!("the file was cut short or is damaged: {e}")
}

/// Copy an entry's `size` bytes to a new private file, fsync'd; returns its size and SHA-256.
fn write_file(entry: &mut impl Read, size: u64, path: &Path) -> anyhow::Result<(u64, String)> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let out = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    let mut out = Hashing::new(io::BufWriter::with_capacity(1 << 20, out));
    io::copy(entry, &mut out).map_err(cut_short)?;
    if out.bytes != size {
        bail!(
            "the file was cut short in {} ({} of {size} bytes)",
            path.file_name().unwrap_or_default().to_string_lossy(),
            out.bytes
        );
    }
    std::io::Write::flush(&mut out)?;
    out.get_mut()
        .get_ref()
        .sync_all()
        .with_context(|| format!("cannot flush {}", path.display()))?;
    Ok((size, out.hex()))
}

/// The restored database, opened by its store: its audit chain verified, its head and report
/// count as the manifest says (SQLite), and every file it names unpacked (or already missing
/// at backup). Returns the report count, the chain and how many named files were missing.
async fn check_restored(
    store: &dyn Store,
    unpacked: &Unpacked,
    sqlite: bool,
) -> anyhow::Result<(u64, tanggap_domain::audit::ChainSummary, usize)> {
    let chain = match tanggap_store::verify_audit_chain(store).await {
        Ok(c) => c,
        Err(VerifyError::Broken(b)) => bail!(
            "the restored audit trail is broken at event #{}: {b}; nothing was restored",
            b.seq()
        ),
        Err(VerifyError::Store(e)) => return Err(e.into()),
    };
    let manifest = &unpacked.manifest;
    let reports = store.count_reports().await?;
    if sqlite {
        if reports != manifest.reports {
            bail!(
                "the restored database holds {reports} reports, its manifest says {}",
                manifest.reports
            );
        }
        // A newer version may have appended events while migrating; the head at backup time
        // must still be where it was.
        if let Some(head) = &manifest.audit_head {
            let at = store.audit_page(head.seq - 1, 1).await?;
            if at
                .first()
                .is_none_or(|e| e.seq != head.seq || e.hash != head.hash)
            {
                bail!(
                    "the restored audit trail does not hold the chain head of the backup (#{} {})",
                    head.seq,
                    head.hash
                );
            }
        }
    }
    let missing_at_backup: BTreeSet<&String> = manifest.attachments.missing.iter().collect();
    let named = store.attachment_files().await?;
    let absent: Vec<&String> = named
        .iter()
        .filter(|k| !unpacked.files.contains(*k) && !missing_at_backup.contains(k))
        .collect();
    if let Some(first) = absent.first() {
        bail!(
            "the database names {} attachment(s) that are not in the backup (first: {first}){}",
            absent.len(),
            if sqlite {
                ""
            } else {
                "; make the attachments backup after pg_dump, not before"
            }
        );
    }
    let missing = named
        .iter()
        .filter(|k| missing_at_backup.contains(k))
        .count();
    Ok((reports, chain, missing))
}
