//! The single writer. SQLite allows one writer at a time, and every commit costs an fsync; so all
//! changes go through one task that owns the write connection and commits whatever is waiting as
//! one transaction (group commit). Each change runs inside its own savepoint: one that fails is
//! rolled back alone and its caller gets its error, while the others in the batch still commit.
//! Callers are answered only after the batch's COMMIT has returned, so an acknowledged change is
//! durable.

use futures_util::FutureExt;
use sqlx::SqliteConnection;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use tanggap_store::{Result, StoreError};
use tokio::sync::{mpsc, oneshot};

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
type Completion = Box<dyn FnOnce(Option<String>) + Send>;
type Job =
    Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, (bool, Completion)> + Send>;

/// The most changes committed together.
const MAX_BATCH: usize = 512;

#[derive(Clone)]
pub(crate) struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    pub(crate) fn spawn(conn: SqliteConnection) -> Self {
        let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(writer_loop(conn, rx));
        Writer { tx }
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
                let complete: Completion = Box::new(move |commit_error| {
                    let _ = tx.send(match commit_error {
                        None => result,
                        Some(e) => Err(StoreError::Backend(format!("commit failed: {e}"))),
                    });
                });
                (ok, complete)
            })
        });
        self.tx
            .send(job)
            .await
            .map_err(|_| StoreError::Backend("the SQLite writer has stopped".into()))?;
        rx.await.map_err(|_| {
            StoreError::Backend("the SQLite writer dropped the change (see the log)".into())
        })?
    }
}

async fn exec(conn: &mut SqliteConnection, sql: &str) -> Result<(), sqlx::Error> {
    sqlx::query(sql).execute(conn).await.map(|_| ())
}

async fn writer_loop(mut conn: SqliteConnection, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = exec(&mut conn, "BEGIN IMMEDIATE").await {
            // Dropping the jobs answers their callers with an error.
            tracing::error!(error = %e, jobs = batch.len(), "could not begin a write transaction");
            continue;
        }
        let mut done: Vec<Completion> = Vec::with_capacity(batch.len());
        let mut broken: Option<String> = None;
        for job in batch {
            if broken.is_some() {
                continue;
            }
            if let Err(e) = exec(&mut conn, "SAVEPOINT change").await {
                broken = Some(e.to_string());
                continue;
            }
            let outcome = AssertUnwindSafe(job(&mut conn)).catch_unwind().await;
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
                exec(&mut conn, "RELEASE change").await
            } else {
                match exec(&mut conn, "ROLLBACK TO change").await {
                    Ok(()) => exec(&mut conn, "RELEASE change").await,
                    Err(e) => Err(e),
                }
            };
            if let Err(e) = end {
                broken = Some(e.to_string());
            }
        }
        let commit = match broken {
            Some(e) => Err(e),
            None => exec(&mut conn, "COMMIT").await.map_err(|e| e.to_string()),
        };
        match commit {
            Ok(()) => done.into_iter().for_each(|c| c(None)),
            Err(e) => {
                tracing::error!(error = %e, "write batch failed; rolling back");
                let _ = exec(&mut conn, "ROLLBACK").await;
                done.into_iter().for_each(|c| c(Some(e.clone())));
            }
        }
    }
}
