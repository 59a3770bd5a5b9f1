//! Bulk reads: the few queries that return a hundred thousand rows (the rakor report's lalai
//! evidence for a province's quarter) go through `rusqlite`, which reads each column where
//! SQLite holds it, instead of `sqlx`, which copies every value into its own allocation (a few
//! microseconds a row, most of such a read). A read-only connection of its own, opened on first
//! use and kept; one bulk read at a time, on a blocking thread.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tanggap_store::{Result, StoreError};

pub(crate) struct Bulk {
    path: PathBuf,
    conn: Mutex<Option<rusqlite::Connection>>,
}

fn err(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl Bulk {
    pub(crate) fn new(path: PathBuf) -> Arc<Self> {
        Arc::new(Bulk {
            path,
            conn: Mutex::new(None),
        })
    }

    fn open(&self) -> rusqlite::Result<rusqlite::Connection> {
        use rusqlite::OpenFlags;
        let c = rusqlite::Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        c.busy_timeout(std::time::Duration::from_secs(5))?;
        // As the pool's connections: reads through the kernel's page cache.
        c.pragma_update(None, "mmap_size", crate::MMAP_SIZE)?;
        Ok(c)
    }

    /// Close the bulk connection (a later read opens it again).
    pub(crate) fn close(&self) {
        *self.conn.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Runs `f` on the bulk connection.
    pub(crate) async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = me.conn.lock().unwrap_or_else(|e| e.into_inner());
            if guard.is_none() {
                *guard = Some(me.open().map_err(err)?);
            }
            let conn = guard.as_ref().expect("opened above");
            let out = f(conn);
            if out.is_err() {
                // A broken connection is not kept: the next read opens a fresh one.
                *guard = None;
            }
            out.map_err(err)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("bulk read: {e}")))?
    }
}
