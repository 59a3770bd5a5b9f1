//! The online copy behind `tanggap backup` on SQLite: SQLite's backup API, in one step, from a
//! connection of its own, while the server goes on writing.
//!
//! Why one step: the backup API can copy a few pages at a time and let go of the file in
//! between, but when another connection writes in between (the server's writer, in another
//! process) the copy starts again from the first page; under a steady intake it would never
//! finish. In WAL mode a reader never blocks the writer, so copying everything inside one read
//! transaction (`step(-1)`) never stops the server's writes: it competes with them only for
//! the disk and the CPU, and the write-ahead log cannot be folded back into the file until
//! the copy is done (it grows by what is written meanwhile, 92–157 MB in the benchmark, and
//! is folded back afterwards). The copy is the database as of that transaction's start:
//! exactly the changes committed before it, each whole.
//!
//! Why not `VACUUM INTO`, which is as consistent and as online: it rebuilds every table and
//! index into the new file, so its cost grows with the indexes (and the search index's shadow
//! tables) rather than with the pages. On a database of 1.4–1.6 GB under intake it took
//! 5.5–6.8 s where this copy took 1.6–3.9 s, with the same effect on intake within the
//! machine's noise (BENCHMARKS.md, "Backup and restore"). Its one advantage, a compact copy,
//! matters little here: nothing is deleted in bulk, and freed pages are zeroed
//! (`secure_delete`). And this copy is the file as it was, page for page.

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::Path;
use std::time::{Duration, Instant};
use tanggap_store::{Result, StoreError};

/// What a copy holds, read from the copy itself, so it describes exactly what was copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The last migration applied to the copy.
    pub schema_version: i64,
    pub reports: u64,
    /// The chain head of the audit trail: last seq and hash.
    pub audit_head: Option<(i64, String)>,
    /// The storage keys of every file the copy names ([`tanggap_store::ATTACHMENT_FILES`]).
    pub files: Vec<String>,
}

fn err(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// How long the copy waits for the file when SQLite answers busy (a WAL recovery in another
/// process, say) before giving up.
const BUSY_FOR: Duration = Duration::from_secs(60);

/// Copy the live database `source` into the new file `dest` (which must not exist; it is
/// created readable by its owner only), online, and read what the copy holds. `dest` is left as a single file in rollback-journal mode
/// (no write-ahead log beside it), not fsync'd: the caller archives it. Blocks.
pub fn snapshot(source: &Path, dest: &Path) -> Result<Snapshot> {
    if !source.is_file() {
        return Err(StoreError::Invalid(format!(
            "there is no database at {}",
            source.display()
        )));
    }
    // The copy holds personal data: readable by the owner only, from its first byte (an empty
    // file is an empty database to SQLite).
    let mut create = std::fs::OpenOptions::new();
    create.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        create.mode(0o600);
    }
    create.open(dest).map_err(|e| {
        StoreError::Invalid(format!("cannot create the copy {}: {e}", dest.display()))
    })?;
    // Read-write without create: a read-only connection cannot open a WAL file whose
    // shared-memory index does not exist yet (the server is stopped). Nothing is written.
    let src = Connection::open_with_flags(
        source,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err)?;
    src.busy_timeout(Duration::from_secs(5)).map_err(err)?;
    let mut dst = Connection::open_with_flags(
        dest,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err)?;
    // The copy is a scratch file until it is archived (and the archive is fsync'd).
    dst.pragma_update(None, "synchronous", "OFF").map_err(err)?;
    {
        let backup = Backup::new(&src, &mut dst).map_err(err)?;
        let started = Instant::now();
        loop {
            match backup.step(-1).map_err(err)? {
                StepResult::Done => break,
                StepResult::More => {}
                _busy_or_locked if started.elapsed() < BUSY_FOR => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => {
                    return Err(StoreError::Backend(format!(
                        "{} stayed busy for {} s; no copy was made",
                        source.display(),
                        BUSY_FOR.as_secs()
                    )));
                }
            }
        }
    }
    drop(src);
    // The copy carries the source's WAL mode in its header; one file is easier to carry.
    // (The store turns WAL on again when it opens a restored copy.)
    let mode: String = dst
        .pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))
        .map_err(err)?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(StoreError::Backend(format!(
            "the copy stayed in journal mode {mode}"
        )));
    }
    let snapshot = read(&dst).map_err(err)?;
    dst.close().map_err(|(_, e)| err(e))?;
    Ok(snapshot)
}

fn read(c: &Connection) -> rusqlite::Result<Snapshot> {
    let number = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0));
    let schema_version =
        number("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success")?;
    let reports = number("SELECT COUNT(*) FROM reports")?.max(0) as u64;
    let audit_head = c
        .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let mut files = c.prepare(tanggap_store::ATTACHMENT_FILES)?;
    let files = files
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(Snapshot {
        schema_version,
        reports,
        audit_head,
        files,
    })
}

/// `PRAGMA quick_check` on a copy that no other process uses (a restore's staging file):
/// `Ok(())`, or SQLite's first complaints. Blocks.
pub fn quick_check(path: &Path) -> Result<()> {
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err)?;
    let mut stmt = c.prepare("PRAGMA quick_check(5)").map_err(err)?;
    let found = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(err)?;
    if found.len() == 1 && found[0] == "ok" {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "the database file is damaged: {}",
            found.join("; ")
        )))
    }
}

/// Fold the write-ahead log of a copy that this process has closed back into the file and
/// leave it in rollback-journal mode (the store turns WAL on again when it opens it), so that
/// the file alone is the database and can be moved (`tanggap restore`). Closing a store does
/// not guarantee this: a read-only connection closing last leaves the log where it is. If a
/// connection still lingers, the log is at least emptied. Blocks.
pub fn settle(path: &Path) -> Result<()> {
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err)?;
    c.busy_timeout(Duration::from_secs(5)).map_err(err)?;
    let busy: i64 = c
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
        .map_err(err)?;
    if busy != 0 {
        return Err(StoreError::Backend(format!(
            "{} is still in use: its write-ahead log cannot be folded back",
            path.display()
        )));
    }
    // Needs the file to itself; if a closing connection lingers, the (now empty) log stays.
    let _ = c.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get::<_, String>(0));
    c.close().map_err(|(_, e)| err(e))
}
