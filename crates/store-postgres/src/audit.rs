//! Appending to and reading the hash-chained audit trail, and the write transactions that do it.
//!
//! Every event's `seq` and `prev_hash` come from the single `audit_head` row. Several processes
//! may share one database, so two transactions must never read the same head: a write
//! transaction locks the row with `SELECT ... FOR UPDATE` before anything else, and holds it until
//! it commits or rolls back. A transaction waiting for the lock reads the head as committed by
//! the one before it (READ COMMITTED re-reads a locked row once the lock is granted).

use crate::util::{db_err, get};
use chrono::SubsecRound;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use tanggap_domain::audit::{AuditEvent, NewAuditEvent};
use tanggap_store::{Result, StoreError, Timestamp};

/// Begin a write transaction that holds the chain head.
///
/// Taking the head first, rather than at the first append, gives every audited write the same
/// lock order (head, then rows), so two writes can never deadlock on each other. It also makes
/// audited writes run one at a time, as on SQLite's single writer: a change that reads before it
/// writes (finding a reporter by phone, the `before` snapshot of an edit) sees every change that
/// committed before it and cannot interleave with another. Readers are not affected.
pub(crate) async fn begin(pool: &PgPool) -> Result<Transaction<'static, Postgres>> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    lock_head(&mut tx).await?;
    Ok(tx)
}

/// The chain's head as a write transaction holds it: the last `seq` and its hash.
pub(crate) type Head = (i64, String);

/// Lock the head row and read it: the last `seq` (0 before the first event) and its hash
/// (the genesis hash before the first event). Locking again in the same transaction is a no-op.
pub(crate) async fn lock_head(conn: &mut PgConnection) -> Result<Head> {
    sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")
        .fetch_optional(conn)
        .await
        .map_err(db_err)?
        .ok_or_else(head_missing)
}

/// The error when the head row is gone (it is created by the first migration).
pub(crate) fn head_missing() -> StoreError {
    StoreError::Backend("the audit_head row is missing; the chain cannot be extended".into())
}

/// Seal `event` onto the end of the chain. Runs inside the caller's write transaction, so the
/// event commits (or rolls back) together with the change it records.
pub(crate) async fn append(
    conn: &mut PgConnection,
    event: NewAuditEvent,
    at: Timestamp,
) -> Result<AuditEvent> {
    let mut head = lock_head(conn).await?;
    let sealed = append_after(conn, &mut head, event, at).await?;
    store_head(conn, &head).await?;
    Ok(sealed)
}

/// Seal `event` after `head`, which the transaction has locked, and move `head` on; the caller
/// writes the head row once at the end ([`store_head`]), however many events it appended.
pub(crate) async fn append_after(
    conn: &mut PgConnection,
    head: &mut Head,
    event: NewAuditEvent,
    at: Timestamp,
) -> Result<AuditEvent> {
    // TIMESTAMPTZ keeps microseconds; sealing the truncated time makes the returned event equal
    // to the stored one (the hash covers microseconds only, so it is the same either way).
    let sealed = event.seal(head.0 + 1, at.trunc_subsecs(6), &head.1);
    sqlx::query(
        "INSERT INTO audit_events (seq, occurred_at, actor, action, object_type, object_id, before_json, after_json, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(sealed.seq)
    .bind(sealed.occurred_at)
    .bind(&sealed.actor)
    .bind(&sealed.action)
    .bind(&sealed.object_type)
    .bind(&sealed.object_id)
    .bind(&sealed.before)
    .bind(&sealed.after)
    .bind(&sealed.prev_hash)
    .bind(&sealed.hash)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    *head = (sealed.seq, sealed.hash.clone());
    Ok(sealed)
}

/// Events sealed in order, one array per column (`seq`, `occurred_at`, `actor`, `action`,
/// `object_type`, `object_id`, `before_json`, `after_json`, `prev_hash`, `hash`).
pub(crate) const INSERT_EVENTS: &str =
    "INSERT INTO audit_events (seq, occurred_at, actor, action, object_type, object_id, before_json, after_json, prev_hash, hash)
     SELECT * FROM UNNEST($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
       $8::text[], $9::text[], $10::text[])";

/// Insert events sealed in order after the head the transaction holds (one statement).
pub(crate) async fn insert_events(conn: &mut PgConnection, events: &[AuditEvent]) -> Result<()> {
    bind_events(sqlx::query(INSERT_EVENTS), events)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Bind the columns of [`INSERT_EVENTS`], in its order, after whatever `query` has bound.
pub(crate) fn bind_events<'q>(
    query: Query<'q, Postgres, PgArguments>,
    events: &[AuditEvent],
) -> Query<'q, Postgres, PgArguments> {
    query
        .bind(events.iter().map(|e| e.seq).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.occurred_at).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.actor.clone()).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.action.clone()).collect::<Vec<_>>())
        .bind(
            events
                .iter()
                .map(|e| e.object_type.clone())
                .collect::<Vec<_>>(),
        )
        .bind(
            events
                .iter()
                .map(|e| e.object_id.clone())
                .collect::<Vec<_>>(),
        )
        .bind(events.iter().map(|e| e.before.clone()).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.after.clone()).collect::<Vec<_>>())
        .bind(
            events
                .iter()
                .map(|e| e.prev_hash.clone())
                .collect::<Vec<_>>(),
        )
        .bind(events.iter().map(|e| e.hash.clone()).collect::<Vec<_>>())
}

/// Write the head the transaction has moved on to.
pub(crate) async fn store_head(conn: &mut PgConnection, head: &Head) -> Result<()> {
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(head.0)
        .bind(&head.1)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

fn from_row(row: &PgRow) -> Result<AuditEvent> {
    Ok(AuditEvent {
        seq: get(row, "seq")?,
        occurred_at: get(row, "occurred_at")?,
        actor: get(row, "actor")?,
        action: get(row, "action")?,
        object_type: get(row, "object_type")?,
        object_id: get(row, "object_id")?,
        before: get(row, "before_json")?,
        after: get(row, "after_json")?,
        prev_hash: get(row, "prev_hash")?,
        hash: get(row, "hash")?,
    })
}

pub(crate) async fn page(pool: &PgPool, after: i64, limit: u32) -> Result<Vec<AuditEvent>> {
    sqlx::query("SELECT * FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2")
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(from_row)
        .collect()
}

/// The head as the trait means it: `None` until the first event (the stored row then holds
/// seq 0 and the genesis hash).
pub(crate) async fn head(pool: &PgPool) -> Result<Option<(i64, String)>> {
    sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1 AND seq > 0")
        .fetch_optional(pool)
        .await
        .map_err(db_err)
}

pub(crate) async fn for_object(
    pool: &PgPool,
    object_type: &str,
    object_id: &str,
) -> Result<Vec<AuditEvent>> {
    sqlx::query("SELECT * FROM audit_events WHERE object_type = $1 AND object_id = $2 ORDER BY seq")
        .bind(object_type)
        .bind(object_id)
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(from_row)
        .collect()
}
