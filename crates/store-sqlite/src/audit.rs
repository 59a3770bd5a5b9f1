//! Appending to and reading the hash-chained audit trail.

use crate::reports::sql;
use crate::util::{db_err, get, ts, us};
use sqlx::sqlite::SqliteRow;
use sqlx::{SqliteConnection, SqlitePool};
use tanggap_domain::audit::{AuditEvent, GENESIS_HASH, NewAuditEvent};
use tanggap_store::{Result, Timestamp};

/// Seal `event` onto the end of the chain. Runs inside the caller's write transaction, so the
/// event commits (or rolls back) together with the change it records.
pub(crate) async fn append(
    conn: &mut SqliteConnection,
    event: NewAuditEvent,
    at: Timestamp,
) -> Result<AuditEvent> {
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
    let (seq, prev) = head.unwrap_or((0, GENESIS_HASH.to_string()));
    let sealed = event.seal(seq + 1, at, &prev);
    sqlx::query(sql::INSERT_AUDIT_EVENT)
        .bind(sealed.seq)
        .bind(us(sealed.occurred_at))
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
    sqlx::query(sql::UPSERT_AUDIT_HEAD)
        .bind(sealed.seq)
        .bind(&sealed.hash)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(sealed)
}

fn from_row(row: &SqliteRow) -> Result<AuditEvent> {
    Ok(AuditEvent {
        seq: get(row, "seq")?,
        occurred_at: ts(get(row, "occurred_at")?),
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

pub(crate) async fn page(pool: &SqlitePool, after: i64, limit: u32) -> Result<Vec<AuditEvent>> {
    sqlx::query("SELECT * FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?")
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(from_row)
        .collect()
}

pub(crate) async fn head(pool: &SqlitePool) -> Result<Option<(i64, String)>> {
    sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_optional(pool)
        .await
        .map_err(db_err)
}

pub(crate) async fn for_object(
    pool: &SqlitePool,
    object_type: &str,
    object_id: &str,
) -> Result<Vec<AuditEvent>> {
    sqlx::query("SELECT * FROM audit_events WHERE object_type = ? AND object_id = ? ORDER BY seq")
        .bind(object_type)
        .bind(object_id)
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(from_row)
        .collect()
}
