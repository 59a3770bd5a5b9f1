//! The clock scheduler's claims and firings, the notification outbox, the daily jobs.
//!
//! Several `tanggap` processes may sweep one database at once. A claim is one statement that
//! picks due clocks through the partial index on `clocks.next_fire_at`, locks them with
//! `FOR UPDATE SKIP LOCKED` (so a concurrent claim passes over them instead of waiting) and leases
//! them until `now + lease` (so later claims leave them alone until the lease ends, e.g. after a
//! crash). A firing then locks the audit head and the report row, like every workflow change,
//! and applies only if the report's version and the clock's `fired` are still what the claim saw.

use crate::audit;
use crate::util::{code, db_err, get};
use chrono::{NaiveDate, TimeDelta};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool};
use tanggap_domain::escalation::{NotifyChannel, RecipientKind};
use tanggap_domain::{ClockKind, ReportStatus, TrackingId};
use tanggap_store::*;

/// Due clocks, earliest first, leased in one statement. The planner walks `clocks_next_fire`
/// (a range on `next_fire_at`), never the open reports.
pub(crate) const CLAIM_SQL: &str = "WITH due AS (
        SELECT report_id, assignment_id, kind FROM clocks
         WHERE next_fire_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
         ORDER BY next_fire_at
         LIMIT $2
         FOR UPDATE SKIP LOCKED
     ), leased AS (
        UPDATE clocks c SET lease_until = $3
          FROM due
         WHERE c.report_id = due.report_id AND c.assignment_id = due.assignment_id AND c.kind = due.kind
        RETURNING c.*
     )
     SELECT l.*, r.tracking_id AS r_tracking_id, r.status AS r_status, r.version AS r_version,
            a.agency_id AS a_agency_id
       FROM leased l
       JOIN reports r ON r.id = l.report_id
       LEFT JOIN assignments a ON a.id = l.assignment_id
      ORDER BY l.next_fire_at, l.report_id, l.assignment_id, l.kind";

fn tracking(row: &PgRow, col: &str) -> Result<TrackingId> {
    let t: String = get(row, col)?;
    TrackingId::parse(&t).map_err(|_| StoreError::Backend(format!("bad tracking id `{t}`")))
}

fn due_clock(row: &PgRow) -> Result<DueClock> {
    let assignment_id: i64 = get(row, "assignment_id")?;
    Ok(DueClock {
        report_id: get(row, "report_id")?,
        assignment_id: (assignment_id != 0).then_some(assignment_id),
        agency_id: get(row, "a_agency_id")?,
        tracking_id: tracking(row, "r_tracking_id")?,
        report_status: code(row, "r_status", ReportStatus::parse)?,
        report_version: get(row, "r_version")?,
        clock: crate::util::clock_from_row(row)?,
    })
}

pub(crate) async fn claim_due_clocks(
    pool: &PgPool,
    now: Timestamp,
    limit: u32,
    lease: TimeDelta,
) -> Result<Vec<DueClock>> {
    sqlx::query(CLAIM_SQL)
        .bind(now)
        .bind(i64::from(limit))
        .bind(now + lease)
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(due_clock)
        .collect()
}

pub(crate) async fn fire_clock(pool: &PgPool, f: &ClockFiring) -> Result<bool> {
    let mut tx = audit::begin(pool).await?;
    let done = fire_in_tx(&mut tx, f).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(done)
}

async fn fire_in_tx(conn: &mut PgConnection, f: &ClockFiring) -> Result<bool> {
    let aid = f.assignment_id.unwrap_or(0);
    let kind = f.kind.as_str();
    // The same lock order as a workflow change: chain head (taken by `audit::begin`), report row.
    let version: Option<i64> =
        sqlx::query_scalar("SELECT version FROM reports WHERE id = $1 FOR NO KEY UPDATE")
            .bind(f.report_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
    let clock: Option<(Timestamp, i32)> = sqlx::query_as(
        "SELECT started_at, fired FROM clocks WHERE report_id = $1 AND assignment_id = $2 AND kind = $3",
    )
    .bind(f.report_id)
    .bind(aid)
    .bind(kind)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    let expected_fired = i32::try_from(f.expected_fired).unwrap_or(i32::MAX);
    let current = version == Some(f.expected_version)
        && clock == Some((f.expected_started_at, expected_fired));
    if !current {
        sqlx::query(
            "UPDATE clocks SET lease_until = NULL WHERE report_id = $1 AND assignment_id = $2 AND kind = $3",
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
        "UPDATE clocks SET fired = $1, next_fire_at = $2, lease_until = NULL
          WHERE report_id = $3 AND assignment_id = $4 AND kind = $5",
    )
    .bind(i32::try_from(f.fired).unwrap_or(i32::MAX))
    .bind(f.next_fire_at)
    .bind(f.report_id)
    .bind(aid)
    .bind(kind)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    if !f.acts() {
        return Ok(true);
    }
    sqlx::query("UPDATE reports SET version = version + 1 WHERE id = $1")
        .bind(f.report_id)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    if let (Some(at), Some(aid)) = (f.negligent_at, f.assignment_id) {
        sqlx::query(
            "UPDATE assignments SET negligent_at = COALESCE(negligent_at, $1) WHERE id = $2",
        )
        .bind(at)
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
    conn: &mut PgConnection,
    n: &NewNotification,
    at: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO notifications (idempotency_key, action, report_id, assignment_id, agency_id, recipient, user_id,
            channel, address, subject, body, status, attempts, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', 0, $12, $12)
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
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
    .bind(at)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

fn notification(row: &PgRow) -> Result<Notification> {
    Ok(Notification {
        id: get(row, "id")?,
        idempotency_key: get(row, "idempotency_key")?,
        action: get(row, "action")?,
        report_id: get(row, "report_id")?,
        assignment_id: get(row, "assignment_id")?,
        agency_id: get(row, "agency_id")?,
        recipient: code(row, "recipient", RecipientKind::parse)?,
        user_id: get(row, "user_id")?,
        channel: code(row, "channel", NotifyChannel::parse)?,
        address: get(row, "address")?,
        subject: get(row, "subject")?,
        body: get(row, "body")?,
        status: code(row, "status", NotificationStatus::parse)?,
        attempts: u32::try_from(get::<i32>(row, "attempts")?).unwrap_or(0),
        next_attempt_at: get(row, "next_attempt_at")?,
        created_at: get(row, "created_at")?,
        sent_at: get(row, "sent_at")?,
        read_at: get(row, "read_at")?,
        last_error: get(row, "last_error")?,
        provider_message_id: get(row, "provider_message_id")?,
        delivery_status: get(row, "delivery_status")?,
        delivery_at: get(row, "delivery_at")?,
        logged_only: get(row, "logged_only")?,
    })
}

/// How many messages waiting behind one first message a claim's statement defers at most.
const CROWD_DEFERRAL: i64 = 50_000;

pub(crate) async fn claim_notifications(
    pool: &PgPool,
    now: Timestamp,
    limit: u32,
    lease: TimeDelta,
) -> Result<Vec<Notification>> {
    // Each statement walks (and locks) at most the batch's remaining room of due notifications,
    // claims those not waiting behind another and defers the others; it is repeated while the
    // batch has room and it deferred some (`tanggap_store::outbox`). A message found waiting
    // defers, in the same statement, the crowd behind the same first message (up to
    // `CROWD_DEFERRAL` of them): one pass instead of a statement (and a commit) per batch's
    // room. The crowd's rows are locked `SKIP LOCKED`, so two instances never wait on each
    // other; a row skipped is walked and deferred later. A first message claimed by this very
    // statement is next due at its lease's end (`$3`).
    let mut out = Vec::new();
    loop {
        let room = limit as usize - out.len();
        let rows = sqlx::query(
            "WITH walked AS (
                SELECT n.id, n.channel, n.address, b.id AS first_id, b.next_attempt_at AS first_due
                  FROM notifications n
                  LEFT JOIN LATERAL (
                       SELECT e.id, e.next_attempt_at FROM notifications e
                        WHERE e.channel = n.channel AND e.address = n.address
                          AND e.id < n.id AND e.status IN ('pending', 'sending')
                        ORDER BY e.id LIMIT 1) b ON true
                 WHERE n.status IN ('pending', 'sending') AND n.next_attempt_at <= $1
                 ORDER BY n.next_attempt_at, n.id
                 LIMIT $2
                 FOR UPDATE OF n SKIP LOCKED
             ),
             crowds AS (
                SELECT w.channel, w.address, w.first_id,
                       GREATEST(CASE WHEN EXISTS (SELECT 1 FROM walked f WHERE f.id = w.first_id AND f.first_id IS NULL)
                                     THEN $3 ELSE MIN(w.first_due) END, $4) AS until
                  FROM walked w WHERE w.first_id IS NOT NULL GROUP BY w.channel, w.address, w.first_id
             ),
             behind AS (
                SELECT w.id, c.until FROM walked w JOIN crowds c USING (channel, address, first_id)
                UNION
                SELECT m.id, c.until FROM crowds c CROSS JOIN LATERAL (
                       SELECT m.id FROM notifications m
                        WHERE m.channel = c.channel AND m.address = c.address AND m.id > c.first_id
                          AND m.status = 'pending' AND m.next_attempt_at < c.until
                        ORDER BY m.id LIMIT $5
                          FOR UPDATE SKIP LOCKED) m
             ),
             deferred AS (
                UPDATE notifications n SET next_attempt_at = b.until
                  FROM (SELECT DISTINCT ON (id) id, until FROM behind ORDER BY id, until DESC) b
                 WHERE n.id = b.id
                RETURNING n.id
             ),
             claimed AS (
                UPDATE notifications n SET status = 'sending', attempts = n.attempts + 1, lease_until = $3, next_attempt_at = $3
                  FROM walked w WHERE n.id = w.id AND w.first_id IS NULL
                RETURNING n.*
             )
             SELECT (SELECT COUNT(*) FROM deferred) AS deferred_count, claimed.*
               FROM (SELECT 1) AS one LEFT JOIN claimed ON true",
        )
        .bind(now)
        .bind(room as i64)
        .bind(now + lease)
        .bind(now + tanggap_store::outbox::deferral_step())
        .bind(CROWD_DEFERRAL)
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
        let deferred: i64 = rows
            .first()
            .map(|r| get(r, "deferred_count"))
            .transpose()?
            .unwrap_or(0);
        for row in &rows {
            if get::<Option<i64>>(row, "id")?.is_some() {
                out.push(notification(row)?);
            }
        }
        if out.len() >= limit as usize || deferred == 0 {
            out.sort_by_key(|n| n.id);
            return Ok(out);
        }
    }
}

pub(crate) async fn mark_sent(
    pool: &PgPool,
    at: Timestamp,
    sent: &[SentNotification],
) -> Result<()> {
    if sent.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = sent.iter().map(|s| s.id).collect();
    let provider_ids: Vec<Option<&str>> = sent
        .iter()
        .map(|s| s.provider_message_id.as_deref())
        .collect();
    let logged_only: Vec<bool> = sent.iter().map(|s| s.logged_only).collect();
    // An in-app notification read while it was being delivered stays read.
    // The next message to each address, deferred by a claim while this one was under way, is
    // due again: from when it was written (as if it had never waited), or now if it has been
    // tried before (`tanggap_store::outbox`). The statement's snapshot still shows the marked rows
    // as `sending`, hence `e.id > done.id`.
    sqlx::query(
        "WITH done AS (
            UPDATE notifications n SET status = CASE WHEN n.status = 'read' THEN 'read' ELSE 'sent' END,
               sent_at = COALESCE(n.sent_at, $1), lease_until = NULL, last_error = NULL,
               provider_message_id = COALESCE(m.provider_message_id, n.provider_message_id),
               logged_only = m.logged_only
              FROM unnest($2::bigint[], $3::text[], $4::boolean[]) AS m(id, provider_message_id, logged_only)
             WHERE n.id = m.id
            RETURNING n.id, n.channel, n.address
         )
         UPDATE notifications f
            SET next_attempt_at = CASE WHEN f.attempts = 0 THEN f.created_at ELSE $1 END
          WHERE f.id IN (SELECT (SELECT e.id FROM notifications e
                                  WHERE e.channel = done.channel AND e.address = done.address
                                    AND e.id > done.id AND e.status IN ('pending', 'sending')
                                  ORDER BY e.id LIMIT 1)
                           FROM done)
            AND f.status = 'pending'
            AND f.next_attempt_at > CASE WHEN f.attempts = 0 THEN f.created_at ELSE $1 END",
    )
    .bind(at)
    .bind(ids)
    .bind(provider_ids)
    .bind(logged_only)
    .execute(pool)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn mark_failed(
    pool: &PgPool,
    id: i64,
    error: &str,
    retry_at: Option<Timestamp>,
) -> Result<()> {
    match retry_at {
        Some(t) => sqlx::query(
            "UPDATE notifications SET status = 'pending', next_attempt_at = $1, lease_until = NULL, last_error = $2
              WHERE id = $3 AND status = 'sending'",
        )
        .bind(t)
        .bind(error)
        .bind(id),
        // As in `mark_sent`: the next message to the address need not wait any longer (due
        // from when it was written, if it has not been tried yet).
        None => sqlx::query(
            "WITH dead AS (
                UPDATE notifications SET status = 'dead', lease_until = NULL, last_error = $1
                 WHERE id = $2 AND status = 'sending'
                RETURNING id, channel, address
             )
             UPDATE notifications f SET next_attempt_at = f.created_at
              WHERE f.id IN (SELECT (SELECT e.id FROM notifications e
                                      WHERE e.channel = dead.channel AND e.address = dead.address
                                        AND e.id > dead.id AND e.status IN ('pending', 'sending')
                                      ORDER BY e.id LIMIT 1)
                               FROM dead)
                AND f.status = 'pending' AND f.attempts = 0 AND f.next_attempt_at > f.created_at",
        )
        .bind(error)
        .bind(id),
    }
    .execute(pool)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn notifications_for_user(
    pool: &PgPool,
    user_id: i64,
    limit: u32,
) -> Result<Vec<Notification>> {
    sqlx::query(
        "SELECT * FROM notifications WHERE user_id = $1 AND channel = 'in_app' ORDER BY id DESC LIMIT $2",
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

pub(crate) async fn unread_notifications(pool: &PgPool, user_id: i64, among: u32) -> Result<u64> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT read_at FROM notifications
          WHERE user_id = $1 AND channel = 'in_app' ORDER BY id DESC LIMIT $2) latest
         WHERE read_at IS NULL",
    )
    .bind(user_id)
    .bind(i64::from(among))
    .fetch_one(pool)
    .await
    .map_err(db_err)?;
    Ok(u64::try_from(n).unwrap_or_default())
}

pub(crate) async fn notifications_to_user(
    pool: &PgPool,
    user_id: i64,
    limit: u32,
) -> Result<Vec<Notification>> {
    sqlx::query("SELECT * FROM notifications WHERE user_id = $1 ORDER BY id DESC LIMIT $2")
        .bind(user_id)
        .bind(i64::from(limit.clamp(1, 1000)))
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(notification)
        .collect()
}

pub(crate) async fn notifications_for_report(
    pool: &PgPool,
    report_id: i64,
) -> Result<Vec<Notification>> {
    sqlx::query("SELECT * FROM notifications WHERE report_id = $1 ORDER BY id")
        .bind(report_id)
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(notification)
        .collect()
}

pub(crate) async fn mark_read(pool: &PgPool, id: i64, user_id: i64, at: Timestamp) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE notifications SET status = 'read', read_at = COALESCE(read_at, $1)
          WHERE id = $2 AND user_id = $3 AND channel = 'in_app'",
    )
    .bind(at)
    .bind(id)
    .bind(user_id)
    .execute(pool)
    .await
    .map_err(db_err)?
    .rows_affected();
    Ok(n == 1)
}

pub(crate) async fn digest_items(pool: &PgPool, until: Timestamp) -> Result<Vec<DigestItem>> {
    // `clocks_due` is the index on running clocks' deadlines: the digest reads what is due, not
    // what is open.
    let rows = sqlx::query(
        "SELECT a.agency_id, c.report_id, r.tracking_id, c.assignment_id, c.kind, c.due_at
           FROM clocks c
           JOIN assignments a ON a.id = c.assignment_id
           JOIN reports r ON r.id = c.report_id
          WHERE c.stopped_at IS NULL AND c.due_at < $1 AND c.running_since IS NOT NULL
            AND c.assignment_id <> 0 AND c.kind IN ('first_response', 'completion')
          ORDER BY a.agency_id, c.due_at, c.assignment_id, c.kind",
    )
    .bind(until)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|row| {
            Ok(DigestItem {
                agency_id: get(row, "agency_id")?,
                report_id: get(row, "report_id")?,
                tracking_id: tracking(row, "tracking_id")?,
                assignment_id: get(row, "assignment_id")?,
                kind: code(row, "kind", ClockKind::parse)?,
                due_at: get(row, "due_at")?,
            })
        })
        .collect()
}

pub(crate) async fn daily_job_last_date(pool: &PgPool, job: &str) -> Result<Option<NaiveDate>> {
    sqlx::query_scalar("SELECT last_date FROM job_runs WHERE name = $1")
        .bind(job)
        .fetch_optional(pool)
        .await
        .map_err(db_err)
}

pub(crate) async fn complete_daily_job(
    pool: &PgPool,
    job: &str,
    date: NaiveDate,
    notifications: &[NewNotification],
    at: Timestamp,
) -> Result<bool> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    // Insert-or-advance as one statement: two instances finishing the same day's job at once
    // serialize on the row, and the second finds the date already taken.
    let advanced: Option<String> = sqlx::query_scalar(
        "INSERT INTO job_runs (name, last_date, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET last_date = EXCLUDED.last_date, updated_at = EXCLUDED.updated_at
          WHERE job_runs.last_date < EXCLUDED.last_date
         RETURNING name",
    )
    .bind(job)
    .bind(date)
    .bind(at)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?;
    if advanced.is_none() {
        return Ok(false);
    }
    for n in notifications {
        insert_notification(&mut tx, n, at).await?;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(true)
}

pub(crate) async fn negligent_assignments(
    pool: &PgPool,
    since: Timestamp,
    limit: u32,
) -> Result<Vec<NegligentAssignment>> {
    let rows = sqlx::query(
        "SELECT a.id, a.report_id, r.tracking_id, a.agency_id, g.name AS agency_name, a.negligent_at, a.first_response_at
           FROM assignments a
           JOIN reports r ON r.id = a.report_id
           JOIN agencies g ON g.id = a.agency_id
          WHERE a.negligent_at >= $1
          ORDER BY a.negligent_at DESC, a.id DESC
          LIMIT $2",
    )
    .bind(since)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|row| {
            Ok(NegligentAssignment {
                assignment_id: get(row, "id")?,
                report_id: get(row, "report_id")?,
                tracking_id: tracking(row, "tracking_id")?,
                agency_id: get(row, "agency_id")?,
                agency_name: get(row, "agency_name")?,
                negligent_at: get(row, "negligent_at")?,
                first_response_at: get(row, "first_response_at")?,
            })
        })
        .collect()
}

pub(crate) async fn dead_notifications(pool: &PgPool, limit: u32) -> Result<Vec<Notification>> {
    sqlx::query("SELECT * FROM notifications WHERE status = 'dead' ORDER BY id DESC LIMIT $1")
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
pub(crate) async fn operations(pool: &PgPool) -> Result<Operations> {
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

pub(crate) async fn retry_dead(pool: &PgPool, id: Option<i64>, at: Timestamp) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE notifications SET status = 'pending', attempts = 0, next_attempt_at = $1, lease_until = NULL
          WHERE status = 'dead' AND ($2::BIGINT IS NULL OR id = $2)",
    )
    .bind(at)
    .bind(id)
    .execute(pool)
    .await
    .map_err(db_err)?;
    Ok(done.rows_affected())
}

pub(crate) async fn record_delivery(
    pool: &PgPool,
    channel: NotifyChannel,
    provider_message_id: &str,
    status: &str,
    at: Timestamp,
) -> Result<bool> {
    // Receipts arrive out of order: an older one never replaces a newer.
    let done = sqlx::query(
        "UPDATE notifications SET delivery_status = $1, delivery_at = $2
          WHERE channel = $3 AND provider_message_id = $4
            AND (delivery_at IS NULL OR delivery_at <= $2)",
    )
    .bind(status)
    .bind(at)
    .bind(channel.as_str())
    .bind(provider_message_id)
    .execute(pool)
    .await
    .map_err(db_err)?;
    Ok(done.rows_affected() > 0)
}
