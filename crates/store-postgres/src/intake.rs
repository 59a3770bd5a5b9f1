//! Group commit for new reports. Every audited write holds the chain's head row until it
//! commits, so one report per transaction means one head lock, one head update and one fsync
//! per report, one after another. Here the reports that arrive while a batch is being written
//! wait for the next one; each batch is one transaction with one head lock, one head update and
//! one commit, and every caller is answered only after that commit has returned (a 2xx still
//! means the report is durable).
//!
//! Which lock comes first: a batch of plain reports (no chat address to look a reporter up by,
//! no Open311 client) only inserts new rows, so it writes them first and locks the head just
//! before sealing its audit events; several instances sharing the database then write their
//! batches side by side and queue only for the seal and the commit. A batch with a report that
//! looks a reporter up takes the head first, as every other audited write does, so the lookup
//! sees every reporter committed before it.
//!
//! If anything in a batch fails (a tracking ID that is taken, a constraint), the batch is rolled
//! back and each of its reports is written again in a transaction of its own, so each caller
//! gets its own answer and no report is lost for another's fault.

use crate::audit;
use crate::reports::{create_report, insert_report};
use crate::util::{db_err, micros};
use chrono::SubsecRound;
use sqlx::PgPool;
use std::sync::LazyLock;
use tanggap_domain::audit::NewAuditEvent;
use tanggap_store::{CreatedReport, NewReport, NewReporter, Result, StoreError, Timestamp};
use tokio::sync::{mpsc, oneshot};

/// The most reports written together.
const MAX_BATCH: usize = 256;

struct Job {
    report: NewReport,
    done: oneshot::Sender<Result<CreatedReport>>,
}

pub(crate) struct Intake {
    tx: mpsc::Sender<Job>,
}

impl Intake {
    /// Start the batching task (needs a Tokio runtime).
    pub(crate) fn spawn(pool: PgPool) -> Self {
        let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(pool, rx));
        Intake { tx }
    }

    /// New reports waiting for a batch (not counting callers blocked on a full queue).
    pub(crate) fn queue_depth(&self) -> u64 {
        (self.tx.max_capacity() - self.tx.capacity()) as u64
    }

    pub(crate) async fn create(&self, report: &NewReport) -> Result<CreatedReport> {
        let (done, answer) = oneshot::channel();
        self.tx
            .send(Job {
                report: report.clone(),
                done,
            })
            .await
            .map_err(|_| StoreError::Backend("the intake batcher has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Backend("the intake batcher dropped a report".into()))?
    }
}

/// One batch at a time: the next one forms while this one is written. (Two in flight, the next
/// writing its rows while the last waits for its commit, measured no faster on two cores shared
/// with the database; BENCHMARKS.md.)
async fn run(pool: PgPool, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        metrics::histogram!("tanggap_writer_batch_size", "writer" => "postgres_intake")
            .record(batch.len() as f64);
        write(&pool, batch).await;
    }
}

async fn write(pool: &PgPool, batch: Vec<Job>) {
    if batch.len() > 1 {
        let reports: Vec<&NewReport> = batch.iter().map(|j| &j.report).collect();
        match together(pool, &reports).await {
            Ok(created) => {
                for (job, c) in batch.into_iter().zip(created) {
                    let _ = job.done.send(Ok(c));
                }
                return;
            }
            Err(e) => {
                tracing::debug!(error = %e, reports = batch.len(), "a batch of reports failed; writing them one by one");
            }
        }
    }
    for job in batch {
        let result = create_report(pool, &job.report).await;
        let _ = job.done.send(result);
    }
}

/// Whether writing `r` reads rows another writer may be creating (a reporter found by a chat
/// address, an Open311 client's token).
fn reads_before_writing(r: &NewReport) -> bool {
    r.open311.is_some()
        || r.idempotency.is_some()
        || r.inbound_id.is_some()
        || r.reporter
            .as_ref()
            .is_some_and(|rep| rep.channel_address.is_some())
}

/// A report whose rows are all new and known in advance: no reporter to look up, nothing linked.
fn plain(r: &NewReport) -> bool {
    !reads_before_writing(r) && r.attachments.is_empty()
}

/// Plain reports in three round trips whatever their number: the first takes the chain's head
/// and draws the new rows' ids from the tables' sequences (so every row can name its report and
/// reporter and every audit event can be sealed here); the second writes every table, one
/// `INSERT` over unnested arrays per table, as the parts of one statement ([`BATCH_ROWS`]),
/// with the audit events and the new head; the third commits. The references (category,
/// region) are checked by the foreign keys: a batch that breaks one is written again report by
/// report, which gives the offending report its own message.
async fn together_in_rows(pool: &PgPool, reports: &[&NewReport]) -> Result<Vec<CreatedReport>> {
    let n = reports.len() as i64;
    let with_reporter: Vec<bool> = reports
        .iter()
        .map(|r| {
            r.reporter.as_ref().is_some_and(|p| {
                p.name.is_some() || p.phone.is_some() || p.email.is_some() || p.nik.is_some()
            })
        })
        .collect();
    let reporters = with_reporter.iter().filter(|b| **b).count() as i64;
    // The chain's head first, as every audited write takes it (`audit::begin`): the new
    // reports' rows take other locks (the per-status totals of migration 0017), and a batch
    // that took them before the head deadlocked with a change holding the head and updating a
    // report (found with two instances sharing the database, `INSTANCES=2 bench/intake.sh`).
    let mut tx = pool.begin().await.map_err(db_err)?;
    let (seq, hash, report_ids, reporter_ids): (i64, String, Vec<i64>, Vec<i64>) = sqlx::query_as(
        "SELECT seq, hash,
                ARRAY(SELECT nextval(pg_get_serial_sequence('reports', 'id')) FROM generate_series(1, $1)),
                ARRAY(SELECT nextval(pg_get_serial_sequence('reporters', 'id')) FROM generate_series(1, $2))
         FROM audit_head WHERE id = 1 FOR UPDATE",
    )
    .bind(n)
    .bind(reporters)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?
    .ok_or_else(audit::head_missing)?;
    let mut next_reporter = reporter_ids.iter();
    let reporter_of: Vec<Option<i64>> = with_reporter
        .iter()
        .map(|has| {
            if *has {
                next_reporter.next().copied()
            } else {
                None
            }
        })
        .collect();
    let mut head = (seq, hash);
    let mut sealed = Vec::with_capacity(reports.len());
    for ((r, id), reporter_id) in reports.iter().zip(&report_ids).zip(&reporter_of) {
        let summary = tanggap_store::redact::report_created(r, *reporter_id);
        let event = NewAuditEvent::new(&r.actor, "report.created", "report", *id)
            .after(&summary)
            .seal(head.0 + 1, r.created_at.trunc_subsecs(6), &head.1);
        head = (event.seq, event.hash.clone());
        sealed.push(event);
    }
    let people: Vec<(&NewReporter, i64, Timestamp)> = reports
        .iter()
        .zip(&reporter_of)
        .filter_map(|(r, id)| Some((r.reporter.as_ref()?, (*id)?, r.created_at)))
        .collect();
    let col =
        |f: &dyn Fn(&NewReport) -> Option<String>| reports.iter().map(|r| f(r)).collect::<Vec<_>>();
    let notes: Vec<(&tanggap_store::NewNotification, i64, Timestamp)> = reports
        .iter()
        .zip(&report_ids)
        .flat_map(|(r, id)| r.notifications.iter().map(move |n| (n, *id, r.created_at)))
        .collect();
    let clocks: Vec<(&tanggap_domain::clock::Clock, i64)> = reports
        .iter()
        .zip(&report_ids)
        .flat_map(|(r, id)| r.clocks.iter().map(move |c| (c, *id)))
        .collect();
    let entry = tanggap_store::effects::submitted_entry();
    let rows = sqlx::query(&BATCH_ROWS)
        // reporters
        .bind(people.iter().map(|p| p.1).collect::<Vec<_>>())
        .bind(people.iter().map(|p| p.0.name.clone()).collect::<Vec<_>>())
        .bind(people.iter().map(|p| p.0.phone.clone()).collect::<Vec<_>>())
        .bind(people.iter().map(|p| p.0.email.clone()).collect::<Vec<_>>())
        .bind(people.iter().map(|p| p.0.nik.clone()).collect::<Vec<_>>())
        .bind(people.iter().map(|p| p.2).collect::<Vec<_>>())
        // reports
        .bind(&report_ids)
        .bind(col(&|r| Some(r.tracking_id.to_string())))
        .bind(col(&|r| Some(r.secret_hash.clone())))
        .bind(col(&|r| Some(r.kind.as_str().to_string())))
        .bind(col(&|r| Some(r.title.clone())))
        .bind(col(&|r| Some(r.body.clone())))
        .bind(reports.iter().map(|r| r.occurred_on).collect::<Vec<_>>())
        .bind(col(&|r| r.region_code.clone()))
        .bind(col(&|r| r.address.clone()))
        .bind(reports.iter().map(|r| r.latitude).collect::<Vec<_>>())
        .bind(reports.iter().map(|r| r.longitude).collect::<Vec<_>>())
        .bind(col(&|r| r.category.clone()))
        .bind(col(&|r| Some(r.channel.as_str().to_string())))
        .bind(&reporter_of)
        .bind(reports.iter().map(|r| r.entered_by).collect::<Vec<_>>())
        .bind(
            reports
                .iter()
                .map(|r| r.show_reporter_name)
                .collect::<Vec<_>>(),
        )
        .bind(
            reports
                .iter()
                .map(|r| r.visibility.anonim)
                .collect::<Vec<_>>(),
        )
        .bind(
            reports
                .iter()
                .map(|r| r.visibility.rahasia)
                .collect::<Vec<_>>(),
        )
        .bind(
            reports
                .iter()
                .map(|r| r.needs_field_check)
                .collect::<Vec<_>>(),
        )
        .bind(reports.iter().map(|r| r.created_at).collect::<Vec<_>>())
        // notifications
        .bind(
            notes
                .iter()
                .map(|n| n.0.idempotency_key.clone())
                .collect::<Vec<_>>(),
        )
        .bind(notes.iter().map(|n| n.0.action.clone()).collect::<Vec<_>>())
        .bind(notes.iter().map(|n| n.1).collect::<Vec<_>>())
        .bind(notes.iter().map(|n| n.0.assignment_id).collect::<Vec<_>>())
        .bind(
            notes
                .iter()
                .map(|n| n.0.agency_id.clone())
                .collect::<Vec<_>>(),
        )
        .bind(
            notes
                .iter()
                .map(|n| n.0.recipient.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(notes.iter().map(|n| n.0.user_id).collect::<Vec<_>>())
        .bind(
            notes
                .iter()
                .map(|n| n.0.channel.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            notes
                .iter()
                .map(|n| n.0.address.clone())
                .collect::<Vec<_>>(),
        )
        .bind(
            notes
                .iter()
                .map(|n| n.0.subject.clone())
                .collect::<Vec<_>>(),
        )
        .bind(notes.iter().map(|n| n.0.body.clone()).collect::<Vec<_>>())
        .bind(notes.iter().map(|n| n.2).collect::<Vec<_>>())
        // clocks
        .bind(clocks.iter().map(|c| c.1).collect::<Vec<_>>())
        .bind(clocks.iter().map(|c| c.0.kind.as_str()).collect::<Vec<_>>())
        .bind(
            clocks
                .iter()
                .map(|c| c.0.measure.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            clocks
                .iter()
                .map(|c| micros(c.0.budget))
                .collect::<Vec<_>>(),
        )
        .bind(clocks.iter().map(|c| c.0.started_at).collect::<Vec<_>>())
        .bind(
            clocks
                .iter()
                .map(|c| micros(c.0.consumed))
                .collect::<Vec<_>>(),
        )
        .bind(clocks.iter().map(|c| c.0.running_since).collect::<Vec<_>>())
        .bind(clocks.iter().map(|c| c.0.due_at).collect::<Vec<_>>())
        .bind(clocks.iter().map(|c| c.0.stopped_at).collect::<Vec<_>>())
        .bind(
            clocks
                .iter()
                .map(|c| i32::try_from(c.0.fired).unwrap_or(i32::MAX))
                .collect::<Vec<_>>(),
        )
        .bind(clocks.iter().map(|c| c.0.next_fire_at).collect::<Vec<_>>())
        // activities
        .bind(&report_ids)
        .bind(entry.kind.as_str())
        .bind(entry.stage.map(|s| s.as_str()))
        .bind(entry.status.map(|s| s.as_str()))
        .bind(entry.note.as_deref())
        .bind(entry.audience.as_str())
        .bind(reports.iter().map(|r| r.actor.clone()).collect::<Vec<_>>())
        .bind(reports.iter().map(|r| r.created_at).collect::<Vec<_>>());
    audit::bind_events(rows, &sealed)
        // the head
        .bind(head.0)
        .bind(&head.1)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    Ok(reports
        .iter()
        .zip(report_ids)
        .zip(reporter_of)
        .map(|((r, id), reporter_id)| CreatedReport {
            id,
            tracking_id: r.tracking_id.clone(),
            reporter_id,
        })
        .collect())
}

/// A batch of plain reports' rows as one statement: each table's `INSERT` over unnested arrays
/// (parameters numbered from `$1` in each, as if alone), then the audit events and the new
/// head. [`one_statement`] joins them as the data-modifying parts of a `WITH`; the foreign keys
/// between the parts (a report's reporter, a clock's report) are checked at the end of the
/// statement, when every part has written its rows.
static BATCH_ROWS: LazyLock<String> = LazyLock::new(|| {
    one_statement(&[
        "INSERT INTO reporters (id, name, phone, email, nik, created_at) OVERRIDING SYSTEM VALUE
         SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])",
        "INSERT INTO reports (id, tracking_id, secret_hash, kind, title, body, occurred_on, region_code, address, latitude, longitude,
           category, channel, reporter_id, entered_by, show_reporter_name, anonim, rahasia, needs_field_check, status, created_at, updated_at)
         OVERRIDING SYSTEM VALUE
         SELECT id, tracking_id, secret_hash, kind, title, body, occurred_on, region_code, address, latitude, longitude,
           category, channel, reporter_id, entered_by, show_reporter_name, anonim, rahasia, needs_field_check, 'baru', created_at, created_at
         FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::date[], $8::text[], $9::text[],
           $10::float8[], $11::float8[], $12::text[], $13::text[], $14::bigint[], $15::bigint[], $16::bool[], $17::bool[], $18::bool[],
           $19::bool[], $20::timestamptz[])
           AS t(id, tracking_id, secret_hash, kind, title, body, occurred_on, region_code, address, latitude, longitude,
           category, channel, reporter_id, entered_by, show_reporter_name, anonim, rahasia, needs_field_check, created_at)",
        "INSERT INTO notifications (idempotency_key, action, report_id, assignment_id, agency_id, recipient, user_id,
            channel, address, subject, body, status, attempts, next_attempt_at, created_at)
         SELECT k, a, r, asg, ag, rc, u, ch, ad, sj, b, 'pending', 0, t, t
         FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::bigint[],
           $8::text[], $9::text[], $10::text[], $11::text[], $12::timestamptz[])
           AS x(k, a, r, asg, ag, rc, u, ch, ad, sj, b, t)
         ON CONFLICT (idempotency_key) DO NOTHING",
        "INSERT INTO clocks (report_id, assignment_id, kind, measure, budget_us, started_at, consumed_us, running_since, due_at, stopped_at, fired, next_fire_at)
         SELECT r, 0, k, m, b, s, c, rs, d, st, f, nf
         FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[], $6::bigint[], $7::timestamptz[],
           $8::timestamptz[], $9::timestamptz[], $10::int[], $11::timestamptz[]) AS x(r, k, m, b, s, c, rs, d, st, f, nf)",
        "INSERT INTO activities (report_id, assignment_id, agency_id, kind, stage, status, note, actor, audience, created_at)
         SELECT r, NULL, NULL, $2, $3, $4, $5, a, $6, t FROM UNNEST($1::bigint[], $7::text[], $8::timestamptz[]) AS x(r, a, t)",
        audit::INSERT_EVENTS,
        "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
    ])
});

/// Statements run as one: all but the last become the data-modifying parts of a `WITH`, and
/// the `$n` placeholders of each part are moved past those of the parts before it, so the
/// parameters are bound in the parts' order.
fn one_statement(parts: &[&str]) -> String {
    let mut before = 0;
    let mut renumber = |part: &str| {
        let (part, used) = renumbered(part, before);
        before += used;
        part
    };
    let (last, with) = parts.split_last().expect("at least one statement");
    let with: Vec<String> = with
        .iter()
        .enumerate()
        .map(|(i, part)| format!("w{i} AS ({})", renumber(part)))
        .collect();
    let last = renumber(last);
    if with.is_empty() {
        last
    } else {
        format!("WITH {} {last}", with.join(", "))
    }
}

/// `sql` with every `$n` placeholder raised by `by`, and the highest `n` it used.
fn renumbered(sql: &str, by: usize) -> (String, usize) {
    let mut out = String::with_capacity(sql.len());
    let mut highest = 0;
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if let Ok(n) = rest[..digits].parse::<usize>() {
            highest = highest.max(n);
            out.push_str(&(n + by).to_string());
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    (out, highest)
}

async fn together(pool: &PgPool, reports: &[&NewReport]) -> Result<Vec<CreatedReport>> {
    if reports.iter().all(|r| plain(r)) {
        return together_in_rows(pool, reports).await;
    }
    // The head first, for the lock order every audited write keeps (see `together_in_rows`).
    let mut tx = audit::begin(pool).await?;
    let mut created = Vec::with_capacity(reports.len());
    let mut events = Vec::with_capacity(reports.len());
    for r in reports {
        let (c, event) = insert_report(&mut tx, r).await?;
        created.push(c);
        events.push((event, r.created_at));
    }
    let mut head = audit::lock_head(&mut tx).await?;
    for (event, at) in events {
        audit::append_after(&mut tx, &mut head, event, at).await?;
    }
    audit::store_head(&mut tx, &head).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_joined_number_their_parameters_in_order() {
        assert_eq!(
            one_statement(&[
                "INSERT INTO a SELECT * FROM UNNEST($1::int[], $2::text[])",
                "INSERT INTO b SELECT $2, x FROM UNNEST($1::int[]) AS t(x)",
                "UPDATE c SET n = $1",
            ]),
            "WITH w0 AS (INSERT INTO a SELECT * FROM UNNEST($1::int[], $2::text[])), \
             w1 AS (INSERT INTO b SELECT $4, x FROM UNNEST($3::int[]) AS t(x)) UPDATE c SET n = $5"
        );
        assert_eq!(one_statement(&["SELECT $1, '$'"]), "SELECT $1, '$'");
    }

    #[test]
    fn the_batch_binds_every_parameter_it_names() {
        // 6 reporters' columns, 20 reports', 12 notifications', 11 clocks', 8 activities',
        // 10 audit events', 2 for the head: the binds in `together_in_rows`, in this order.
        let (_, highest) = renumbered(&BATCH_ROWS, 0);
        assert_eq!(highest, 6 + 20 + 12 + 11 + 8 + 10 + 2);
    }
}
