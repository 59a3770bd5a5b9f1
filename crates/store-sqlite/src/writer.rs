//! The single writer. SQLite allows one writer at a time, and every commit costs an fsync; so all
//! changes go through one task that owns the write connection and commits whatever is waiting as
//! one transaction (group commit). Each change runs inside its own savepoint: one that fails is
//! rolled back alone and its caller gets its error, while the others in the batch still commit.
//! Callers are answered only after the batch's COMMIT has returned, so an acknowledged change is
//! durable.

use crate::intake;
use futures_util::FutureExt;
use sqlx::SqliteConnection;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use tanggap_store::{Result, StoreError};
use tokio::sync::{mpsc, oneshot};

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
pub(crate) type Completion = Box<dyn FnOnce(Option<String>) + Send>;
type Job =
    Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, (bool, Completion)> + Send>;

/// The most changes committed together.
const MAX_BATCH: usize = 512;

/// What waits for the writer: a change on its `sqlx` connection, or a new report for the intake
/// batch ([`intake`]).
enum Work {
    Change(Job),
    Report(intake::Job),
    /// A change for the intake connection's next batch ([`intake::Direct`]).
    Direct(intake::Direct),
    /// Finish what is queued, close both write connections, then answer.
    Stop(oneshot::Sender<()>),
}

#[derive(Clone)]
pub(crate) struct Writer {
    tx: mpsc::Sender<Work>,
}

impl Writer {
    /// Start the writer on `conn`; `path` is the database file, for the intake connection.
    pub(crate) fn spawn(conn: SqliteConnection, path: std::path::PathBuf) -> Self {
        let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(writer_loop(conn, path, rx));
        Writer { tx }
    }

    /// Changes and new reports waiting for the writer (not counting callers blocked on a full
    /// queue).
    pub(crate) fn queue_depth(&self) -> u64 {
        (self.tx.max_capacity() - self.tx.capacity()) as u64
    }

    /// Store a new report in the next intake batch ([`intake::eligible`] reports only) and
    /// return once that batch has committed.
    pub(crate) async fn create_report(
        &self,
        report: tanggap_store::NewReport,
    ) -> Result<tanggap_store::CreatedReport> {
        let (done, answer) = oneshot::channel();
        self.tx
            .send(Work::Report(intake::Job { report, done }))
            .await
            .map_err(|_| StoreError::Backend("the SQLite writer has stopped".into()))?;
        answer.await.map_err(|_| {
            StoreError::Backend("the SQLite writer dropped the report (see the log)".into())
        })?
    }

    /// Write what is queued, close the write connections and stop; later changes are refused.
    pub(crate) async fn stop(&self) {
        let (done, stopped) = oneshot::channel();
        if self.tx.send(Work::Stop(done)).await.is_ok() {
            let _ = stopped.await;
        }
    }

    /// Run `f` with SQLite's own API in the next intake batch ([`intake::Direct`]) and return its
    /// result once that batch has committed. For changes as frequent as new reports.
    pub(crate) async fn run_direct<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<T>>();
        let job: intake::Direct = Box::new(move |conn| {
            let result = f(conn);
            let ok = result.is_ok();
            (ok, answer_after_commit(tx, result))
        });
        self.submit(Work::Direct(job), rx).await
    }

    /// Run `f` in the next write transaction and return its result once that has committed.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<T>>();
        let job: Job = Box::new(move |conn| {
            Box::pin(async move {
                let result = f(conn).await;
                let ok = result.is_ok();
                (ok, answer_after_commit(tx, result))
            })
        });
        self.submit(Work::Change(job), rx).await
    }

    /// Queue a change and wait for its answer (sent after its batch's commit).
    async fn submit<T>(&self, work: Work, answer: oneshot::Receiver<Result<T>>) -> Result<T> {
        self.tx
            .send(work)
            .await
            .map_err(|_| StoreError::Backend("the SQLite writer has stopped".into()))?;
        answer.await.map_err(|_| {
            StoreError::Backend("the SQLite writer dropped the change (see the log)".into())
        })?
    }
}

/// What answers a change's caller once its batch's commit is known: its own result if the
/// batch committed, the commit's error otherwise.
fn answer_after_commit<T: Send + 'static>(
    tx: oneshot::Sender<Result<T>>,
    result: Result<T>,
) -> Completion {
    Box::new(move |commit_error| {
        let _ = tx.send(match commit_error {
            None => result,
            Some(e) => Err(StoreError::Backend(format!("commit failed: {e}"))),
        });
    })
}

async fn exec(conn: &mut SqliteConnection, sql: &str) -> Result<(), sqlx::Error> {
    sqlx::query(sql).execute(conn).await.map(|_| ())
}

/// Index the batch's new reports for full-text search, in the batch's transaction (see
/// migration 0016: indexing inside each change's savepoint made FTS5 flush at every change).
async fn index_new_reports(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    // The first statement indexes every pending report; the rest only matter if it did.
    let [first, rest @ ..] = crate::INDEX_PENDING;
    let pending = sqlx::query(first)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if pending > 0 {
        for statement in rest {
            exec(conn, statement).await?;
        }
    }
    Ok(())
}

async fn writer_loop(
    mut conn: SqliteConnection,
    path: std::path::PathBuf,
    mut rx: mpsc::Receiver<Work>,
) {
    let mut intake_conn: Option<rusqlite::Connection> = None;
    while let Some(first) = rx.recv().await {
        let mut changes = Vec::new();
        let mut reports = Vec::new();
        let mut direct = Vec::new();
        let mut stop = None;
        let mut take = |work: Work| match work {
            Work::Change(job) => changes.push(job),
            Work::Report(job) => reports.push(job),
            Work::Direct(job) => direct.push(job),
            Work::Stop(done) => stop = Some(done),
        };
        take(first);
        let mut n = 1;
        while n < MAX_BATCH {
            match rx.try_recv() {
                Ok(work) => take(work),
                Err(_) => break,
            }
            n += 1;
        }
        metrics::histogram!("tanggap_writer_batch_size", "writer" => "sqlite")
            .record((changes.len() + reports.len() + direct.len()) as f64);
        if !changes.is_empty() {
            write_changes(&mut conn, changes).await;
        }
        if !reports.is_empty() || !direct.is_empty() {
            intake_conn = write_reports(&path, intake_conn.take(), reports, direct).await;
        }
        if let Some(done) = stop {
            drop(intake_conn);
            if let Err(e) = sqlx::Connection::close(conn).await {
                tracing::warn!(error = %e, "closing the SQLite write connection");
            }
            let _ = done.send(());
            return;
        }
    }
}

/// A batch of new reports and direct changes on the intake connection (opened on first use,
/// and again after an error), on a blocking thread; returns the connection to keep.
async fn write_reports(
    path: &std::path::Path,
    conn: Option<rusqlite::Connection>,
    jobs: Vec<intake::Job>,
    direct: Vec<intake::Direct>,
) -> Option<rusqlite::Connection> {
    let path = path.to_path_buf();
    let done = tokio::task::spawn_blocking(move || {
        let mut c = match conn {
            Some(c) => c,
            None => match intake::open(&path) {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(error = %e, "cannot open the intake connection");
                    for job in jobs {
                        let _ = job.done.send(Err(StoreError::Backend(format!(
                            "cannot open the database for writing: {e}"
                        ))));
                    }
                    // Dropping a direct change answers its caller with an error.
                    drop(direct);
                    return None;
                }
            },
        };
        intake::write_batch(&mut c, jobs, direct);
        // A connection left inside a transaction (a failed rollback) is not reused.
        c.is_autocommit().then_some(c)
    })
    .await;
    done.unwrap_or_else(|e| {
        tracing::error!(error = %e, "an intake batch panicked; its reports are answered with an error");
        None
    })
}

async fn write_changes(conn: &mut SqliteConnection, batch: Vec<Job>) {
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE").await {
        // Dropping the jobs answers their callers with an error.
        tracing::error!(error = %e, jobs = batch.len(), "could not begin a write transaction");
        return;
    }
    let mut done: Vec<Completion> = Vec::with_capacity(batch.len());
    let mut broken: Option<String> = None;
    for job in batch {
        if broken.is_some() {
            continue;
        }
        if let Err(e) = exec(conn, "SAVEPOINT change").await {
            broken = Some(e.to_string());
            continue;
        }
        let outcome = AssertUnwindSafe(job(conn)).catch_unwind().await;
        let keep = match outcome {
            Ok((ok, complete)) => {
                done.push(complete);
                ok
            }
            Err(_) => {
                tracing::error!("a write job panicked; its change is rolled back");
                false
            }
        };
        let end = if keep {
            exec(conn, "RELEASE change").await
        } else {
            match exec(conn, "ROLLBACK TO change").await {
                Ok(()) => exec(conn, "RELEASE change").await,
                Err(e) => Err(e),
            }
        };
        if let Err(e) = end {
            broken = Some(e.to_string());
        }
    }
    let commit = match broken {
        Some(e) => Err(e),
        None => match index_new_reports(conn).await {
            Err(e) => Err(e.to_string()),
            Ok(()) => exec(conn, "COMMIT").await.map_err(|e| e.to_string()),
        },
    };
    match commit {
        Ok(()) => done.into_iter().for_each(|c| c(None)),
        Err(e) => {
            tracing::error!(error = %e, "write batch failed; rolling back");
            let _ = exec(conn, "ROLLBACK").await;
            done.into_iter().for_each(|c| c(Some(e.clone())));
        }
    }
}
