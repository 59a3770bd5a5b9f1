//! `tanggap backup FILE`: one file an operator can move, holding a consistent copy of the
//! database and the attachments it names, made while Tanggap runs. Its restore is
//! [`crate::restore`].
//!
//! The file is an uncompressed tar archive (POSIX ustar), in this order:
//!
//! ```text
//! tanggap.db                  the SQLite copy (SQLite only: PostgreSQL's database goes through pg_dump)
//! attachments/ab/ab12…        the files, under their storage keys (a file's name is its SHA-256)
//! manifest.json               format and versions, time, counts, audit chain head, the copy's SHA-256
//! ```
//!
//! The manifest comes last, so an archive cut short anywhere lacks it and is refused. It is
//! written to a temporary name beside FILE, fsync'd, and renamed to FILE at the end: FILE is a
//! whole backup or does not exist. FILE is never overwritten.
//!
//! On SQLite the database is copied first (`tanggap_store_sqlite::backup::snapshot`: SQLite's
//! online backup in one read transaction, so writers are never blocked), and then exactly the
//! files that copy names are read from the attachment directory. Files are content-addressed
//! and stored before the database row that names them (an orphan is harmless, a lost report is
//! not), so every file the copy names is on disk by then and cannot have changed.
//!
//! On PostgreSQL the database is backed up with `pg_dump` (README, "Backup and restore"), and
//! `tanggap backup` archives the attachment directory alone, with a manifest that says so. Every
//! file on disk is taken (not only those the database names now): run it after `pg_dump`, and
//! every file the dump names is in the archive.

use crate::config::Config;
use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;
use tanggap_attachments::DiskStore;
use tanggap_store::Store as _;

/// The manifest's `format`.
pub const FORMAT: &str = "tanggap-backup";
/// The manifest's `format_version`; a restore refuses newer ones.
pub const FORMAT_VERSION: u32 = 1;
pub(crate) const DB_ENTRY: &str = "tanggap.db";
pub(crate) const FILES_DIR: &str = "attachments";
pub(crate) const MANIFEST_ENTRY: &str = "manifest.json";
/// A manifest larger than this is not one of ours (it lists only the files found missing).
pub(crate) const MANIFEST_MAX: u64 = 64 << 20;

/// What a backup holds; the archive's last entry, `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    pub format_version: u32,
    /// The version of the `tanggap` that made it.
    pub tanggap_version: String,
    /// `sqlite` or `postgres` (then without the database).
    pub backend: String,
    /// When the copy was made (RFC 3339, UTC).
    pub created_at: String,
    /// The SQLite copy; `None` on PostgreSQL.
    pub database: Option<DatabaseEntry>,
    /// Reports in the copy (on PostgreSQL: in the database when the attachments were archived).
    pub reports: u64,
    /// The audit trail's chain head in the copy (on PostgreSQL: when the attachments were
    /// archived).
    pub audit_head: Option<AuditHead>,
    pub attachments: FilesEntry,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatabaseEntry {
    /// The entry's name in the archive.
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
    /// The last migration applied to the copy: a newer `tanggap` upgrades it when restoring.
    pub schema_version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FilesEntry {
    /// Files in the archive.
    pub files: u64,
    pub bytes: u64,
    /// Files the database names that were not on disk, or whose bytes no longer matched their
    /// name, when the backup was made: they were lost before it, and a restore accepts their
    /// absence (and says so).
    pub missing: Vec<String>,
}

/// What `tanggap backup` made.
#[derive(Debug)]
pub struct BackupSummary {
    pub manifest: Manifest,
    /// The archive's size.
    pub bytes: u64,
    pub seconds: f64,
    /// Of which the database's copy (SQLite).
    pub copy_seconds: Option<f64>,
}

/// Removes the temporary files of an unfinished backup or restore.
pub(crate) struct Scratch(pub Vec<PathBuf>);

impl Drop for Scratch {
    fn drop(&mut self) {
        for p in &self.0 {
            if p.is_dir() {
                let _ = fs::remove_dir_all(p);
            } else {
                let _ = fs::remove_file(p);
            }
        }
    }
}

/// `tanggap backup FILE`.
pub async fn backup(config: &Config, target: &Path) -> anyhow::Result<BackupSummary> {
    let started = Instant::now();
    if target.exists() {
        bail!(
            "{} already exists: a backup never overwrites a file; choose a new name",
            target.display()
        );
    }
    let dir = parent(target);
    if !dir.is_dir() {
        bail!(
            "cannot write {}: no directory {}",
            target.display(),
            dir.display()
        );
    }
    let name = target
        .file_name()
        .with_context(|| format!("{} is not a file name", target.display()))?
        .to_string_lossy()
        .into_owned();
    let partial = dir.join(format!(".{name}.partial-{:016x}", rand::random::<u64>()));
    let copy = dir.join(format!(".{name}.db-partial-{:016x}", rand::random::<u64>()));
    let _scratch = Scratch(vec![copy.clone(), partial.clone()]);
    let files = DiskStore::new(config.data_dir.join(FILES_DIR));
    let archive = partial.clone();
    let mut copy_seconds = None;
    let (manifest, bytes) = match &config.database_url {
        None => {
            let source = config.sqlite_path();
            let snapshot = {
                let (from, into) = (source.clone(), copy.clone());
                tokio::task::spawn_blocking(move || {
                    tanggap_store_sqlite::backup::snapshot(&from, &into)
                })
                .await?
                .with_context(|| format!("cannot copy the database {}", source.display()))?
            };
            copy_seconds = Some(started.elapsed().as_secs_f64());
            let at = chrono::Utc::now();
            tokio::task::spawn_blocking(move || {
                let keys = &snapshot.files;
                write_archive(&archive, Some(&copy), &files, keys, |db, found| {
                    let database = db.map(|(bytes, sha256)| DatabaseEntry {
                        file: DB_ENTRY.into(),
                        bytes,
                        sha256,
                        schema_version: snapshot.schema_version,
                    });
                    let head = snapshot.audit_head.clone();
                    manifest("sqlite", at, database, snapshot.reports, head, found)
                })
            })
            .await??
        }
        Some(url) => {
            let store = tanggap_store_postgres::PgStore::connect(url)
                .await
                .context("cannot use the PostgreSQL database in DATABASE_URL")?;
            let at = chrono::Utc::now();
            let facts = async {
                Ok::<_, tanggap_store::StoreError>((
                    store.count_reports().await?,
                    store.audit_head().await?,
                    store.attachment_files().await?,
                ))
            }
            .await;
            store.close().await;
            let (reports, head, named) = facts?;
            tokio::task::spawn_blocking(move || {
                let on_disk = files
                    .keys()
                    .with_context(|| format!("cannot list {}", files.root().display()))?;
                write_archive(&archive, None, &files, &on_disk, |_, mut found| {
                    // Named by the database now and not on disk: lost already.
                    found.missing.extend(
                        named
                            .into_iter()
                            .filter(|k| on_disk.binary_search(k).is_err()),
                    );
                    found.missing.sort();
                    found.missing.dedup();
                    manifest("postgres", at, None, reports, head, found)
                })
            })
            .await??
        }
    };
    finish(&partial, target)?;
    Ok(BackupSummary {
        manifest,
        bytes,
        seconds: started.elapsed().as_secs_f64(),
        copy_seconds,
    })
}

fn manifest(
    backend: &str,
    at: chrono::DateTime<chrono::Utc>,
    database: Option<DatabaseEntry>,
    reports: u64,
    audit_head: Option<(i64, String)>,
    attachments: FilesEntry,
) -> Manifest {
    Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        tanggap_version: env!("CARGO_PKG_VERSION").into(),
        backend: backend.into(),
        created_at: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        database,
        reports,
        audit_head: audit_head.map(|(seq, hash)| AuditHead { seq, hash }),
        attachments,
    }
}

/// The directory a path is in (`.` for a bare name).
pub(crate) fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Write the archive to `path` (a new file): the database copy if any, the files under
/// `keys` that are on disk and whole, then the manifest `manifest` builds from the copy's size
/// and SHA-256 and what was found of the files. Returns the manifest and the archive's size.
/// The archive is fsync'd.
fn write_archive(
    path: &Path,
    db: Option<&Path>,
    files: &DiskStore,
    keys: &[String],
    manifest: impl FnOnce(Option<(u64, String)>, FilesEntry) -> Manifest,
) -> anyhow::Result<(Manifest, u64)> {
    let mut create = fs::OpenOptions::new();
    create.write(true).create_new(true);
    #[cfg(unix)]
    {
        // Reporters' personal data: readable by the owner only.
        use std::os::unix::fs::OpenOptionsExt;
        create.mode(0o600);
    }
    let out = create
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    let mut tar = tar::Builder::new(BufWriter::with_capacity(1 << 20, out));
    let mtime = chrono::Utc::now().timestamp().max(0) as u64;
    let db = match db {
        None => None,
        Some(db) => {
            let file = File::open(db).with_context(|| format!("cannot read {}", db.display()))?;
            let bytes = file.metadata()?.len();
            let mut reader = Hashing::new(file);
            tar.append_data(&mut header(bytes, mtime), DB_ENTRY, &mut reader)
                .context("cannot write the database into the backup")?;
            if reader.bytes != bytes {
                bail!("the database copy changed size while it was archived");
            }
            Some((bytes, reader.hex()))
        }
    };
    let mut found = FilesEntry::default();
    for key in keys {
        let Some(on_disk) = files.path(key) else {
            tracing::warn!(key = %key, "the database names a file by a key that is not a storage key");
            found.missing.push(key.clone());
            continue;
        };
        let bytes = match fs::read(&on_disk) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                tracing::warn!(key = %key, "an attachment the database names is not on disk");
                found.missing.push(key.clone());
                continue;
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", on_disk.display())),
        };
        if hex::encode(Sha256::digest(&bytes)) != key[3..] {
            tracing::warn!(key = %key, "an attachment on disk does not match its name (damaged)");
            found.missing.push(key.clone());
            continue;
        }
        tar.append_data(
            &mut header(bytes.len() as u64, mtime),
            format!("{FILES_DIR}/{key}"),
            bytes.as_slice(),
        )
        .context("cannot write an attachment into the backup")?;
        found.files += 1;
        found.bytes += bytes.len() as u64;
    }
    let manifest = manifest(db, found);
    let json = serde_json::to_vec_pretty(&manifest)?;
    tar.append_data(
        &mut header(json.len() as u64, mtime),
        MANIFEST_ENTRY,
        json.as_slice(),
    )?;
    let out = tar
        .into_inner()?
        .into_inner()
        .map_err(|e| e.into_error())
        .context("cannot write the backup")?;
    out.sync_all().context("cannot flush the backup to disk")?;
    let size = out.metadata()?.len();
    Ok((manifest, size))
}

fn header(size: u64, mtime: u64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(size);
    h.set_mode(0o600);
    h.set_mtime(mtime);
    h
}

/// Rename the finished archive to its name (never over a file that appeared meanwhile) and
/// make the rename durable.
fn finish(partial: &Path, target: &Path) -> anyhow::Result<()> {
    if target.exists() {
        bail!(
            "{} appeared while the backup was being written; it was left alone",
            target.display()
        );
    }
    fs::rename(partial, target)
        .with_context(|| format!("cannot rename the backup to {}", target.display()))?;
    sync_dir(&parent(target))
}

pub(crate) fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot flush the directory {}", dir.display()))
}

/// A reader or writer that hashes what passes through it.
pub(crate) struct Hashing<T> {
    inner: T,
    sha: Sha256,
    pub bytes: u64,
}

impl<T> Hashing<T> {
    pub fn new(inner: T) -> Self {
        Hashing {
            inner,
            sha: Sha256::new(),
            bytes: 0,
        }
    }

    pub fn hex(self) -> String {
        hex::encode(self.sha.finalize())
    }

    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
