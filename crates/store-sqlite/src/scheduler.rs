//! The clock scheduler's claims and firings, the notification outbox, the daily jobs.
//!
//! Claims and firings are writes, so they go through the single writer like every change: two
//! sweeps in one process are serialized there, and the lease a claim takes keeps the second from
//! claiming what the first holds. Claims find clocks through the partial index on
//! `clocks.next_fire_at` only.

use crate::audit;
use crate::intake;
use crate::reports::sql;
use crate::util::{Columns, code, db_err, get, ts, ts_opt, us, us_opt};
use crate::writer::Writer;
use chrono::{NaiveDate, TimeDelta};
use sqlx::sqlite::SqliteRow;
use sqlx::{SqliteConnection, SqlitePool};
use tanggap_domain::escalation::{NotifyChannel, RecipientKind};
use tanggap_domain::{ReportStatus, TrackingId};
use tanggap_store::*;

/// Due clocks, earliest first, with what the scheduler needs to act on them. The planner walks
/// `clocks_next_fire` (a range on `next_fire_at`), never the open reports.
pub(crate) const CLAIM_SQL: &str =
    "SELECT c.*, r.tracking_id AS r_tracking_id, r.status AS r_status, r.version AS r_version,
            a.agency_id AS a_agency_id
       FROM clocks c
       JOIN reports r ON r.id = c.report_id
       LEFT JOIN assignments a ON a.id = c.assignment_id
      WHERE c.next_fire_at <= ?1 AND (c.lease_until IS NULL OR c.lease_until <= ?1)
      ORDER BY c.next_fire_at
      LIMIT ?2";

fn due_clock(row: &SqliteRow) -> Result<DueClock> {
    let tracking: String = get(row, "r_tracking_id")?;
    let assignment_id: i64 = get(row, "assignment_id")?;
    Ok(DueClock {
        report_id: get(row, "report_id")?,
        assignment_id: (assignment_id != 0).then_some(assignment_id),
        agency_id: get(row, "a_agency_id")?,
        tracking_id: TrackingId::parse(&tracking)
            .map_err(|_| StoreError::Backend(format!("bad tracking id `{tracking}`")))?,
        report_status: code(row, "r_status", ReportStatus::parse)?,
        report_version: get(row, "r_version")?,
        clock: crate::util::clock_from_row(row)?,
    })
}

pub(crate) async fn claim_due_clocks(
    w: &Writer,
    now: Timestamp,
    limit: u32,
    lease: TimeDelta,
) -> Result<Vec<DueClock>> {
    w.run(move |conn| {
        Box::pin(async move {
            let rows = sqlx::query(CLAIM_SQL)
                .bind(us(now))
                .bind(i64::from(limit))
                .fetch_all(&mut *conn)
                .await
                .map_err(db_err)?;
            let mut due = Vec::with_capacity(rows.len());
            for row in &rows {
                let d = due_clock(row)?;
                sqlx::query(
                    "UPDATE clocks SET lease_until = ? WHERE report_id = ? AND assignment_id = ? AND kind = ?",
                )
                .bind(us(now + lease))
                .bind(d.report_id)
                .bind(d.assignment_id.unwrap_or(0))
                .bind(d.clock.kind.as_str())
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
                due.push(d);
            }
            Ok(due)
        })
    })
    .await
}

pub(crate) async fn fire_clock(w: &Writer, f: ClockFiring) -> Result<bool> {
    w.run(move |conn| Box::pin(async move { fire_in_tx(conn, &f).await }))
        .await
}

async fn fire_in_tx(conn: &mut SqliteConnection, f: &ClockFiring) -> Result<bool> {
    let aid = f.assignment_id.unwrap_or(0);
    let kind = f.kind.as_str();
    let version: Option<i64> = sqlx::query_scalar("SELECT version FROM reports WHERE id = ?")
        .bind(f.report_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
    let clock: Option<(i64, i64)> = sqlx::query_as(
        "SELECT started_at, fired FROM clocks WHERE report_id = ? AND assignment_id = ? AND kind = ?",
    )
    .bind(f.report_id)
    .bind(aid)
    .bind(kind)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    let current = version == Some(f.expected_version)
        && clock == Some((us(f.expected_started_at), i64::from(f.expected_fired)));
    if !current {
        sqlx::query(
            "UPDATE clocks SET lease_until = NULL WHERE report_id = ? AND assignment_id = ? AND kind = ?",
        )
        .bind(f.report_id)
        .bind(aid)
        .bind(kind)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
        return Ok(false);
    }
    sqlx::query(
        "UPDATE clocks SET fired = ?, next_fire_at = ?, lease_until = NULL
          WHERE report_id = ? AND assignment_id = ? AND kind = ?",
    )
    .bind(i64::from(f.fired))
    .bind(us_opt(f.next_fire_at))
    .bind(f.report_id)
    .bind(aid)
    .bind(kind)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    if !f.acts() {
        return Ok(true);
    }
    sqlx::query("UPDATE reports SET version = version + 1 WHERE id = ?")
        .bind(f.report_id)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    if let (Some(at), Some(aid)) = (f.negligent_at, f.assignment_id) {
        sqlx::query("UPDATE assignments SET negligent_at = COALESCE(negligent_at, ?) WHERE id = ?")
            .bind(us(at))
            .bind(aid)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    for n in &f.notifications {
        insert_notification(conn, n, f.at).await?;
    }
    audit::append(conn, f.audit_event(), f.at).await?;
    Ok(true)
}

pub(crate) async fn insert_notification(
    conn: &mut SqliteConnection,
    n: &NewNotification,
    at: Timestamp,
) -> Result<()> {
    sqlx::query(sql::INSERT_NOTIFICATION)
        .bind(&n.idempotency_key)
        .bind(&n.action)
        .bind(n.report_id)
        .bind(n.assignment_id)
        .bind(&n.agency_id)
        .bind(n.recipient.as_str())
        .bind(n.user_id)
        .bind(n.channel.as_str())
        .bind(&n.address)
        .bind(&n.subject)
        .bind(&n.body)
        .bind(us(at))
        .bind(us(at))
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

fn notification(row: &impl Columns) -> Result<Notification> {
    Ok(Notification {
        id: row.column("id")?,
        idempotency_key: row.column("idempotency_key")?,
        action: row.column("action")?,
        report_id: row.column("report_id")?,
        assignment_id: row.column("assignment_id")?,
        agency_id: row.column("agency_id")?,
        recipient: row.code("recipient", RecipientKind::parse)?,
        user_id: row.column("user_id")?,
        channel: row.code("channel", NotifyChannel::parse)?,
        address: row.column("address")?,
        subject: row.column("subject")?,
        body: row.column("body")?,
        status: row.code("status", NotificationStatus::parse)?,
        attempts: u32::try_from(row.column::<i64>("attempts")?).unwrap_or(0),
        next_attempt_at: ts(row.column("next_attempt_at")?),
        created_at: ts(row.column("created_at")?),
        sent_at: ts_opt(row.column("sent_at")?),
        read_at: ts_opt(row.column("read_at")?),
        last_error: row.column("last_error")?,
        provider_message_id: row.column("provider_message_id")?,
        delivery_status: row.column("delivery_status")?,
        delivery_at: ts_opt(row.column("delivery_at")?),
        logged_only: row.column("logged_only")?,
    })
}

/// The outbox's claims and records of messages sent are written in the intake batches
/// ([`crate::intake::Direct`]): there is one of each for every receipt of a new report.
pub(crate) async fn claim_notifications(
    w: &Writer,
    now: Timestamp,
    limit: u32,
    lease: TimeDelta,
) -> Result<Vec<Notification>> {
    // Each round walks at most the batch's remaining room of due notifications, claims those
    // not waiting behind another and defers the others; it is repeated while the batch has
    // room and it deferred some (`tanggap_store::outbox`). Rounds are separate turns of the
    // writer, so new reports are written between them however long the crowd.
    let mut out = Vec::new();
    loop {
        let room = limit as usize - out.len();
        let (claimed, deferred) = w
            .run_direct(move |c| claim_round(c, now, room, lease))
            .await?;
        out.extend(claimed);
        if out.len() >= limit as usize || deferred == 0 {
            out.sort_by_key(|n: &Notification| n.id);
            return Ok(out);
        }
    }
}

/// One round of [`claim_notifications`]: the notifications claimed and how many were deferred.
fn claim_round(
    c: &rusqlite::Connection,
    now: Timestamp,
    room: usize,
    lease: TimeDelta,
) -> Result<(Vec<Notification>, usize)> {
    let until = us(now + lease);
    let step = us(now + tanggap_store::outbox::deferral_step());
    let walked: Vec<(i64, Option<i64>)> = c
        .prepare_cached(
            "SELECT n.id, (SELECT e.next_attempt_at FROM notifications e
                            WHERE e.channel = n.channel AND e.address = n.address
                              AND e.id < n.id AND e.status IN ('pending', 'sending')
                            ORDER BY e.id LIMIT 1)
               FROM notifications n
              WHERE n.status IN ('pending', 'sending') AND n.next_attempt_at <= ?1
              ORDER BY n.next_attempt_at, n.id LIMIT ?2",
        )
        .and_then(|mut q| {
            q.query_map(rusqlite::params![us(now), room as i64], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect()
        })
        .map_err(intake::err)?;
    let mut claimed = Vec::new();
    let mut deferred = 0;
    for (id, blocked_until) in walked {
        if let Some(at) = blocked_until {
            c.prepare_cached(
                "UPDATE notifications SET next_attempt_at = max(?1, ?2) WHERE id = ?3",
            )
            .and_then(|mut q| q.execute(rusqlite::params![at, step, id]))
            .map_err(intake::err)?;
            deferred += 1;
        } else {
            let mut claim = c
                .prepare_cached(
                    "UPDATE notifications SET status = 'sending', attempts = attempts + 1, lease_until = ?1, next_attempt_at = ?1
                      WHERE id = ?2 RETURNING *",
                )
                .map_err(intake::err)?;
            let mut rows = claim
                .query(rusqlite::params![until, id])
                .map_err(intake::err)?;
            while let Some(row) = rows.next().map_err(intake::err)? {
                claimed.push(notification(row)?);
            }
        }
    }
    Ok((claimed, deferred))
}

pub(crate) async fn mark_sent(
    w: &Writer,
    at: Timestamp,
    sent: Vec<SentNotification>,
) -> Result<()> {
    if sent.is_empty() {
        return Ok(());
    }
    let marks = serde_json::Value::Array(
        sent.into_iter()
            .map(|s| serde_json::json!([s.id, s.provider_message_id, s.logged_only]))
            .collect(),
    )
    .to_string();
    w.run_direct(move |c| {
        // An in-app notification read while it was being delivered stays read.
        c.prepare_cached(
            "UPDATE notifications SET status = CASE WHEN status = 'read' THEN 'read' ELSE 'sent' END,
               sent_at = COALESCE(sent_at, ?1), lease_until = NULL, last_error = NULL,
               provider_message_id = COALESCE(m.provider_message_id, notifications.provider_message_id),
               logged_only = m.logged_only
              FROM (SELECT json_extract(value, '$[0]') AS id,
                           json_extract(value, '$[1]') AS provider_message_id,
                           json_extract(value, '$[2]') AS logged_only
                      FROM json_each(?2)) AS m
             WHERE notifications.id = m.id",
        )
        .and_then(|mut q| q.execute(rusqlite::params![us(at), &marks]))
        .map_err(intake::err)?;
        // The next message to each address, deferred by a claim while this one was under way,
        // is due again: from when it was written (as if it had never waited), or now if it has
        // been tried before (`tanggap_store::outbox`).
        c.prepare_cached(
            "UPDATE notifications SET next_attempt_at = CASE WHEN attempts = 0 THEN created_at ELSE ?1 END
              WHERE id IN (SELECT (SELECT e.id FROM notifications e
                                    WHERE e.channel = d.channel AND e.address = d.address
                                      AND e.id > d.id AND e.status IN ('pending', 'sending')
                                    ORDER BY e.id LIMIT 1)
                             FROM notifications d
                            WHERE d.id IN (SELECT json_extract(value, '$[0]') FROM json_each(?2)))
                AND status = 'pending'
                AND next_attempt_at > CASE WHEN attempts = 0 THEN created_at ELSE ?1 END",
        )
        .and_then(|mut q| q.execute(rusqlite::params![us(at), marks]))
        .map_err(intake::err)?;
        Ok(())
    })
    .await
}

pub(crate) async fn mark_failed(
    w: &Writer,
    id: i64,
    error: String,
    retry_at: Option<Timestamp>,
) -> Result<()> {
    w.run(move |conn| {
        Box::pin(async move {
            let q = match retry_at {
                Some(t) => sqlx::query(
                    "UPDATE notifications SET status = 'pending', next_attempt_at = ?, lease_until = NULL, last_error = ?
                      WHERE id = ? AND status = 'sending'",
                )
                .bind(us(t)),
                None => sqlx::query(
                    "UPDATE notifications SET status = 'dead', lease_until = NULL, last_error = ?
                      WHERE id = ? AND status = 'sending'",
                ),
            };
            q.bind(error)
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            if retry_at.is_none() {
                // As in `mark_sent`: the next message to the address need not wait any longer
                // (due from when it was written, if it has not been tried yet).
                sqlx::query(
                    "UPDATE notifications SET next_attempt_at = created_at
                      WHERE id = (SELECT e.id FROM notifications e, notifications d
                                   WHERE d.id = ? AND d.status = 'dead'
                                     AND e.channel = d.channel AND e.address = d.address
                                     AND e.id > d.id AND e.status IN ('pending', 'sending')
                                   ORDER BY e.id LIMIT 1)
                        AND status = 'pending' AND attempts = 0 AND next_attempt_at > created_at",
                )
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            }
            Ok(())
        })
    })
    .await
}

pub(crate) async fn notifications_for_user(
    pool: &SqlitePool,
    user_id: i64,
    limit: u32,
) -> Result<Vec<Notification>> {
    sqlx::query(
        "SELECT * FROM notifications WHERE user_id = ? AND channel = 'in_app' ORDER BY id DESC LIMIT ?",
    )
    .bind(user_id)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err)?
    .iter()
    .map(notification)
    .collect()
}

pub(crate) async fn unread_notifications(
    pool: &SqlitePool,
    user_id: i64,
    among: u32,
) -> Result<u64> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT read_at FROM notifications
          WHERE user_id = ? AND channel = 'in_app' ORDER BY id DESC LIMIT ?)
         WHERE read_at IS NULL",
    )
    .bind(user_id)
    .bind(i64::from(among))
    .fetch_one(pool)
    .await
    .map_err(db_err)?;
    Ok(u64::try_from(n).unwrap_or_default())
}

pub(crate) async fn notifications_for_report(
    pool: &SqlitePool,
    report_id: i64,
) -> Result<Vec<Notification>> {
    sqlx::query("SELECT * FROM notifications WHERE report_id = ? ORDER BY id")
        .bind(report_id)
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(notification)
        .collect()
}

pub(crate) async fn notifications_to_user(
    pool: &SqlitePool,
    user_id: i64,
    limit: u32,
) -> Result<Vec<Notification>> {
    sqlx::query("SELECT * FROM notifications WHERE user_id = ? ORDER BY id DESC LIMIT ?")
        .bind(user_id)
        .bind(i64::from(limit.clamp(1, 1000)))
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(notification)
        .collect()
}

pub(crate) async fn mark_read(w: &Writer, id: i64, user_id: i64, at: Timestamp) -> Result<bool> {
    w.run(move |conn| {
        Box::pin(async move {
            let n = sqlx::query(
                "UPDATE notifications SET status = 'read', read_at = COALESCE(read_at, ?)
                  WHERE id = ? AND user_id = ? AND channel = 'in_app'",
            )
            .bind(us(at))
            .bind(id)
            .bind(user_id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?
            .rows_affected();
            Ok(n == 1)
        })
    })
    .await
}

pub(crate) async fn digest_items(pool: &SqlitePool, until: Timestamp) -> Result<Vec<DigestItem>> {
    // `clocks_due` is the index on running clocks' deadlines: the digest reads what is due, not
    // what is open.
    let rows = sqlx::query(
        "SELECT a.agency_id, c.report_id, r.tracking_id, c.assignment_id, c.kind, c.due_at
           FROM clocks c
           JOIN assignments a ON a.id = c.assignment_id
           JOIN reports r ON r.id = c.report_id
          WHERE c.stopped_at IS NULL AND c.due_at < ? AND c.running_since IS NOT NULL
            AND c.assignment_id <> 0 AND c.kind IN ('first_response', 'completion')
          ORDER BY a.agency_id, c.due_at, c.assignment_id, c.kind",
    )
    .bind(us(until))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|row| {
            let tracking: String = get(row, "tracking_id")?;
            Ok(DigestItem {
                agency_id: get(row, "agency_id")?,
                report_id: get(row, "report_id")?,
                tracking_id: TrackingId::parse(&tracking)
                    .map_err(|_| StoreError::Backend(format!("bad tracking id `{tracking}`")))?,
                assignment_id: get(row, "assignment_id")?,
                kind: code(row, "kind", tanggap_domain::ClockKind::parse)?,
                due_at: ts(get(row, "due_at")?),
            })
        })
        .collect()
}

pub(crate) async fn daily_job_last_date(pool: &SqlitePool, job: &str) -> Result<Option<NaiveDate>> {
    let d: Option<String> = sqlx::query_scalar("SELECT last_date FROM job_runs WHERE name = ?")
        .bind(job)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    Ok(crate::util::date_opt(d))
}

pub(crate) async fn complete_daily_job(
    w: &Writer,
    job: String,
    date: NaiveDate,
    notifications: Vec<NewNotification>,
    at: Timestamp,
) -> Result<bool> {
    w.run(move |conn| {
        Box::pin(async move {
            let last: Option<String> =
                sqlx::query_scalar("SELECT last_date FROM job_runs WHERE name = ?")
                    .bind(&job)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db_err)?;
            if crate::util::date_opt(last).is_some_and(|d| d >= date) {
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO job_runs (name, last_date, updated_at) VALUES (?, ?, ?)
                 ON CONFLICT (name) DO UPDATE SET last_date = excluded.last_date, updated_at = excluded.updated_at",
            )
            .bind(&job)
            .bind(date.to_string())
            .bind(us(at))
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
            for n in &notifications {
                insert_notification(conn, n, at).await?;
            }
            Ok(true)
        })
    })
    .await
}

pub(crate) async fn negligent_assignments(
    pool: &SqlitePool,
    since: Timestamp,
    limit: u32,
) -> Result<Vec<NegligentAssignment>> {
    let rows = sqlx::query(
        "SELECT a.id, a.report_id, r.tracking_id, a.agency_id, g.name AS agency_name, a.negligent_at, a.first_response_at
           FROM assignments a
           JOIN reports r ON r.id = a.report_id
           JOIN agencies g ON g.id = a.agency_id
          WHERE a.negligent_at >= ?
          ORDER BY a.negligent_at DESC, a.id DESC
          LIMIT ?",
    )
    .bind(us(since))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|row| {
            let tracking: String = get(row, "tracking_id")?;
            Ok(NegligentAssignment {
                assignment_id: get(row, "id")?,
                report_id: get(row, "report_id")?,
                tracking_id: TrackingId::parse(&tracking)
                    .map_err(|_| StoreError::Backend(format!("bad tracking id `{tracking}`")))?,
                agency_id: get(row, "agency_id")?,
                agency_name: get(row, "agency_name")?,
                negligent_at: ts(get(row, "negligent_at")?),
                first_response_at: ts_opt(get(row, "first_response_at")?),
            })
        })
        .collect()
}

pub(crate) async fn dead_notifications(pool: &SqlitePool, limit: u32) -> Result<Vec<Notification>> {
    sqlx::query("SELECT * FROM notifications WHERE status = 'dead' ORDER BY id DESC LIMIT ?")
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(notification)
        .collect()
}

/// The outbox's counts for [`tanggap_store::Store::operations`] (each on its partial index);
/// the engine fills in its pool and queue.
pub(crate) async fn operations(pool: &SqlitePool) -> Result<Operations> {
    let (outbox, dead, connectors): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM notifications WHERE status IN ('pending', 'sending')),
                (SELECT count(*) FROM notifications WHERE status = 'dead'),
                (SELECT count(*) FROM connector_outbox WHERE status IN ('pending', 'sending'))",
    )
    .fetch_one(pool)
    .await
    .map_err(db_err)?;
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(Operations {
        outbox: n(outbox),
        dead_letters: n(dead),
        connector_outbox: n(connectors),
        ..Operations::default()
    })
}

pub(crate) async fn retry_dead(w: &Writer, id: Option<i64>, at: Timestamp) -> Result<u64> {
    w.run(move |conn| {
        Box::pin(async move {
            let done = sqlx::query(
                "UPDATE notifications SET status = 'pending', attempts = 0, next_attempt_at = ?, lease_until = NULL
                  WHERE status = 'dead' AND (? IS NULL OR id = ?)",
            )
            .bind(us(at))
            .bind(id)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
            Ok(done.rows_affected())
        })
    })
    .await
}

pub(crate) async fn record_delivery(
    w: &Writer,
    channel: NotifyChannel,
    provider_message_id: String,
    status: String,
    at: Timestamp,
) -> Result<bool> {
    w.run(move |conn| {
        Box::pin(async move {
            // Receipts arrive out of order: an older one never replaces a newer.
            let done = sqlx::query(
                "UPDATE notifications SET delivery_status = ?, delivery_at = ?
                  WHERE channel = ? AND provider_message_id = ?
                    AND (delivery_at IS NULL OR delivery_at <= ?)",
            )
            .bind(status)
            .bind(us(at))
            .bind(channel.as_str())
            .bind(provider_message_id)
            .bind(us(at))
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
            Ok(done.rows_affected() > 0)
        })
    })
    .await
}
