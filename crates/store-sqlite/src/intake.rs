//! New reports, written in batches on the writer's turn through SQLite's own API.
//!
//! A new report is a dozen statements. Through `sqlx` each statement is a round trip between the
//! writer task and the connection's worker thread (two thread wake-ups), so the single writer
//! spent most of its time handing statements over, and intake stopped at about 900 reports/s
//! whatever the batch size (BENCHMARKS.md). Here a batch of new reports is written by one
//! blocking call on a second write connection (`rusqlite`, cached prepared statements), on the
//! writer's turn: the writer loop runs the batch while its own connection is idle, so the two
//! never compete for SQLite's write lock and changes stay in the order they were queued.
//!
//! The rules are those of `reports::create_report` (the statements are the same text): the
//! references exist, a chat reporter is found by their address (never by anything typed), the
//! clocks, the receipt and the "submitted" entry are stored, and one audit event is sealed per
//! report. Each report runs in its own savepoint: one that fails is rolled back alone and its
//! caller gets its error. The chain head is read once per batch and written once; the
//! full-text index is filled at the end of the batch (migration 0016). Callers are answered
//! after COMMIT (WAL, `synchronous=FULL`) has returned.
//!
//! Reports with attachments or from an Open311 client take the general path.
//!
//! The outbox's claims and records of messages sent ([`Direct`] changes) are written here too,
//! in the same transactions: they come as often as reports do (a receipt for each), and as
//! changes on the other write connection each cost a commit of its own and emptied this
//! connection's page cache (SQLite drops a connection's cache when another one has written).

use crate::reports::sql;
use crate::util::us;
use crate::writer::Completion;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::time::Duration;
use tanggap_domain::audit::{GENESIS_HASH, NewAuditEvent};
use tanggap_store::{CreatedReport, NewReport, Result, StoreError, identity_peer, redact};
use tokio::sync::oneshot;

pub(crate) struct Job {
    pub report: NewReport,
    pub done: oneshot::Sender<Result<CreatedReport>>,
}

/// A change written with SQLite's own API in the next intake batch, in a savepoint of its own:
/// returns whether it succeeded (a failed one is rolled back alone) and what to call with the
/// batch's commit outcome (`Some(error)`: not committed).
pub(crate) type Direct = Box<dyn FnOnce(&Connection) -> (bool, Completion) + Send>;

/// Whether `r` can take this path.
pub(crate) fn eligible(r: &NewReport) -> bool {
    r.attachments.is_empty() && r.open311.is_none() && r.idempotency.is_none()
}

pub(crate) fn open(path: &Path) -> rusqlite::Result<Connection> {
    let c = Connection::open(path)?;
    c.busy_timeout(Duration::from_secs(5))?;
    // As the pool's connections (lib.rs `options`), without the memory map: a writer gains
    // nothing from it, and every page it touched would count in the process's resident size.
    c.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY; PRAGMA secure_delete = ON;",
    )?;
    // A cache four times SQLite's default 2 MB: each batch's full-text flush merges the
    // indexes' recent segments, and with the default cache those pages had been evicted by the
    // batch's own writes and were read back with `pread` (BENCHMARKS.md: 6-12% more reports a
    // second, p99 at 16 connections 53-62 -> 30-35 ms, 4-6 MiB more resident).
    c.pragma_update(None, "cache_size", -8000)?;
    c.set_prepared_statement_cache_capacity(32);
    Ok(c)
}

pub(crate) fn err(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation
                && f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
        {
            StoreError::Conflict(e.to_string())
        }
        _ => StoreError::Backend(e.to_string()),
    }
}

/// Write `direct` changes and the `jobs`' reports in one transaction and answer each.
pub(crate) fn write_batch(c: &mut Connection, jobs: Vec<Job>, direct: Vec<Direct>) {
    let mut answers: Vec<(
        oneshot::Sender<Result<CreatedReport>>,
        Result<CreatedReport>,
    )> = Vec::with_capacity(jobs.len());
    let mut completions: Vec<Completion> = Vec::with_capacity(direct.len());
    let outcome = (|| -> rusqlite::Result<()> {
        c.execute_batch("BEGIN IMMEDIATE")?;
        for change in direct {
            c.prepare_cached("SAVEPOINT change")?.execute([])?;
            let keep = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| change(c))) {
                Ok((ok, complete)) => {
                    completions.push(complete);
                    ok
                }
                Err(_) => {
                    tracing::error!("a write job panicked; its change is rolled back");
                    false
                }
            };
            if keep {
                c.prepare_cached("RELEASE change")?.execute([])?;
            } else {
                c.execute_batch("ROLLBACK TO change; RELEASE change")?;
            }
        }
        let (mut seq, mut prev): (i64, String) = c
            .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
            .unwrap_or((0, GENESIS_HASH.to_string()));
        let start_seq = seq;
        for job in jobs {
            c.prepare_cached("SAVEPOINT report")?.execute([])?;
            match one(c, &job.report, seq, &prev) {
                Ok((created, hash)) => {
                    c.prepare_cached("RELEASE report")?.execute([])?;
                    seq += 1;
                    prev = hash;
                    answers.push((job.done, Ok(created)));
                }
                Err(e) => {
                    c.execute_batch("ROLLBACK TO report; RELEASE report")?;
                    answers.push((job.done, Err(e)));
                }
            }
        }
        if seq != start_seq {
            c.prepare_cached(sql::UPSERT_AUDIT_HEAD)?
                .execute(params![seq, prev])?;
        }
        // The first statement indexes every pending report; the rest only matter if it did.
        let [first, rest @ ..] = crate::INDEX_PENDING;
        if c.execute(first, [])? > 0 {
            for statement in rest {
                c.execute(statement, [])?;
            }
        }
        c.execute_batch("COMMIT")
    })();
    match outcome {
        Ok(()) => {
            for (done, result) in answers {
                let _ = done.send(result);
            }
            completions.into_iter().for_each(|c| c(None));
        }
        Err(e) => {
            tracing::error!(error = %e, reports = answers.len(), changes = completions.len(), "intake batch failed; rolling back");
            if !c.is_autocommit() {
                let _ = c.execute_batch("ROLLBACK");
            }
            for (done, _) in answers {
                let _ = done.send(Err(StoreError::Backend(format!(
                    "the batch could not be committed: {e}"
                ))));
            }
            completions.into_iter().for_each(|c| c(Some(e.to_string())));
        }
    }
}

/// Every row of one new report and its audit event sealed after (`seq`, `prev`); returns the
/// event's hash.
fn one(c: &Connection, r: &NewReport, seq: i64, prev: &str) -> Result<(CreatedReport, String)> {
    let (category_ok, region_ok): (bool, bool) = c
        .prepare_cached(sql::CHECK_REFERENCES)
        .and_then(|mut s| {
            s.query_row(params![r.category, r.region_code], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
        })
        .map_err(err)?;
    if let (false, Some(code)) = (category_ok, &r.category) {
        return Err(StoreError::Invalid(format!("unknown category `{code}`")));
    }
    if let (false, Some(code)) = (region_ok, &r.region_code) {
        return Err(StoreError::Invalid(format!("unknown region `{code}`")));
    }
    let reporter_id = reporter(c, r).map_err(err)?;
    let at = us(r.created_at);
    let id: i64 = c
        .prepare_cached(sql::INSERT_REPORT)
        .and_then(|mut s| {
            s.query_row(
                params![
                    r.tracking_id.as_str(),
                    r.secret_hash,
                    r.kind.as_str(),
                    r.title,
                    r.body,
                    r.occurred_on.map(|d| d.to_string()),
                    r.region_code,
                    r.address,
                    r.latitude,
                    r.longitude,
                    r.category,
                    r.channel.as_str(),
                    reporter_id,
                    r.entered_by,
                    r.show_reporter_name,
                    r.visibility.anonim,
                    r.visibility.rahasia,
                    r.needs_field_check,
                    at,
                    at
                ],
                |row| row.get(0),
            )
        })
        .map_err(|e| match err(e) {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("tracking id {} is taken", r.tracking_id))
            }
            other => other,
        })?;
    let rows = || -> rusqlite::Result<()> {
        if let Some(inbound) = r.inbound_id {
            c.prepare_cached("UPDATE reports SET inbound_id = ? WHERE id = ?")?
                .execute(params![inbound, id])?;
        }
        for n in &r.notifications {
            c.prepare_cached(sql::INSERT_NOTIFICATION)?
                .execute(params![
                    n.idempotency_key,
                    n.action,
                    id,
                    n.assignment_id,
                    n.agency_id,
                    n.recipient.as_str(),
                    n.user_id,
                    n.channel.as_str(),
                    n.address,
                    n.subject,
                    n.body,
                    at,
                    at
                ])?;
        }
        for k in &r.clocks {
            c.prepare_cached(sql::UPSERT_CLOCK)?.execute(params![
                id,
                0i64,
                k.kind.as_str(),
                k.measure.as_str(),
                k.budget.num_microseconds().unwrap_or(i64::MAX),
                us(k.started_at),
                k.consumed.num_microseconds().unwrap_or(i64::MAX),
                k.running_since.map(us),
                k.due_at.map(us),
                k.stopped_at.map(us),
                k.fired,
                k.next_fire_at.map(us)
            ])?;
        }
        let entry = tanggap_store::effects::submitted_entry();
        // INSERT_ENTRY returns the entry's id (the general path links attachments to it).
        c.prepare_cached(sql::INSERT_ENTRY)?.query_row(
            params![
                id,
                None::<i64>,
                None::<String>,
                entry.kind.as_str(),
                entry.stage.map(|s| s.as_str()),
                entry.status.map(|s| s.as_str()),
                entry.note,
                r.actor,
                entry.audience.as_str(),
                at
            ],
            |row| row.get::<_, i64>(0),
        )?;
        Ok(())
    };
    rows().map_err(err)?;
    let summary = redact::report_created(r, reporter_id);
    let sealed = NewAuditEvent::new(&r.actor, "report.created", "report", id)
        .after(&summary)
        .seal(seq + 1, r.created_at, prev);
    c.prepare_cached(sql::INSERT_AUDIT_EVENT)
        .and_then(|mut s| {
            s.execute(params![
                sealed.seq,
                us(sealed.occurred_at),
                sealed.actor,
                sealed.action,
                sealed.object_type,
                sealed.object_id,
                sealed.before,
                sealed.after,
                sealed.prev_hash,
                sealed.hash
            ])
        })
        .map_err(err)?;
    Ok((
        CreatedReport {
            id,
            tracking_id: r.tracking_id.clone(),
            reporter_id,
        },
        sealed.hash,
    ))
}

/// `reports::find_or_create_reporter`: a chat reporter is found by their address only.
fn reporter(c: &Connection, r: &NewReport) -> rusqlite::Result<Option<i64>> {
    let Some(rep) = &r.reporter else {
        return Ok(None);
    };
    if rep.name.is_none()
        && rep.phone.is_none()
        && rep.email.is_none()
        && rep.nik.is_none()
        && rep.channel_address.is_none()
    {
        return Ok(None);
    }
    let found: Option<i64> = match &rep.channel_address {
        Some((channel, address)) => c
            .prepare_cached(sql::FIND_REPORTER_BY_ADDRESS)?
            .query_row(
                params![channel.as_str(), identity_peer(*channel).as_str(), address],
                |row| row.get(0),
            )
            .optional()?,
        None => None,
    };
    let id = match found {
        Some(id) => {
            c.prepare_cached(sql::FILL_REPORTER)?
                .execute(params![rep.name, rep.email, rep.nik, rep.phone, id])?;
            id
        }
        None => c.prepare_cached(sql::INSERT_REPORTER)?.query_row(
            params![rep.name, rep.phone, rep.email, rep.nik, us(r.created_at)],
            |row| row.get(0),
        )?,
    };
    if let Some((channel, address)) = &rep.channel_address {
        c.prepare_cached(sql::INSERT_REPORTER_ADDRESS)?
            .execute(params![channel.as_str(), address, id])?;
    }
    Ok(Some(id))
}
