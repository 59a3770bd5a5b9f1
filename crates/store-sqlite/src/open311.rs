//! Open311: the clients' keys, the tokens of the requests they filed, the public update feed.

use crate::audit;
use crate::reports::activity_from_row;
use crate::util::{db_err, get, ts, ts_opt, us};
use crate::writer::Writer;
use serde_json::json;
use sqlx::SqlitePool;
use sqlx::sqlite::SqliteRow;
use tanggap_domain::TrackingId;
use tanggap_domain::audit::NewAuditEvent;
use tanggap_store::{ActivityRecord, Open311Key, Result, StoreError, Timestamp};

fn key_from_row(row: &SqliteRow) -> Result<Open311Key> {
    Ok(Open311Key {
        id: get(row, "id")?,
        name: get(row, "name")?,
        user_id: get(row, "user_id")?,
        created_at: ts(get(row, "created_at")?),
        created_by: get(row, "created_by")?,
        revoked_at: ts_opt(get(row, "revoked_at")?),
    })
}

pub(crate) async fn create_key(
    w: &Writer,
    name: String,
    key_hash: String,
    user_id: Option<i64>,
    actor: String,
    at: Timestamp,
) -> Result<i64> {
    w.run(move |conn| {
        Box::pin(async move {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO open311_keys (name, key_hash, user_id, created_at, created_by)
                 VALUES (?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(&name)
            .bind(&key_hash)
            .bind(user_id)
            .bind(us(at))
            .bind(&actor)
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err)?;
            audit::append(
                conn,
                NewAuditEvent::new(actor, "open311_key.created", "open311_key", id)
                    .after(&json!({ "name": name, "user_id": user_id })),
                at,
            )
            .await?;
            Ok(id)
        })
    })
    .await
}

pub(crate) async fn keys(pool: &SqlitePool) -> Result<Vec<Open311Key>> {
    sqlx::query("SELECT * FROM open311_keys ORDER BY id")
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(key_from_row)
        .collect()
}

pub(crate) async fn key_by_hash(pool: &SqlitePool, key_hash: &str) -> Result<Option<Open311Key>> {
    sqlx::query("SELECT * FROM open311_keys WHERE key_hash = ? AND revoked_at IS NULL")
        .bind(key_hash)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(key_from_row)
        .transpose()
}

pub(crate) async fn revoke_key(w: &Writer, id: i64, actor: String, at: Timestamp) -> Result<bool> {
    w.run(move |conn| {
        Box::pin(async move {
            let done = sqlx::query(
                "UPDATE open311_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            )
            .bind(us(at))
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?
            .rows_affected()
                == 1;
            if done {
                audit::append(
                    conn,
                    NewAuditEvent::new(actor, "open311_key.revoked", "open311_key", id),
                    at,
                )
                .await?;
            }
            Ok(done)
        })
    })
    .await
}

/// Inside the report's creation: which key filed it, and its token.
pub(crate) async fn link_request(
    conn: &mut sqlx::SqliteConnection,
    report_id: i64,
    origin: &tanggap_store::Open311Origin,
    at: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO open311_requests (token, report_id, key_id, created_at) VALUES (?, ?, ?, ?)",
    )
    .bind(&origin.token)
    .bind(report_id)
    .bind(origin.key_id)
    .bind(us(at))
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn report_by_token(pool: &SqlitePool, token: &str) -> Result<Option<TrackingId>> {
    let tid: Option<String> = sqlx::query_scalar(
        "SELECT r.tracking_id FROM open311_requests q JOIN reports r ON r.id = q.report_id
         WHERE q.token = ?",
    )
    .bind(token)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    tid.map(|t| {
        TrackingId::parse(&t).map_err(|e| StoreError::Backend(format!("bad tracking id: {e}")))
    })
    .transpose()
}

pub(crate) async fn public_updates(
    pool: &SqlitePool,
    from: Timestamp,
    to: Timestamp,
    limit: u32,
) -> Result<Vec<(TrackingId, ActivityRecord)>> {
    let rows = sqlx::query(
        "SELECT a.*, r.tracking_id AS report_tracking_id
         FROM activities a INDEXED BY activities_public_time JOIN reports r ON r.id = a.report_id
         WHERE a.audience = 'public' AND a.created_at >= ? AND a.created_at < ?
           AND NOT r.rahasia AND r.status NOT IN ('baru', 'diarsipkan', 'duplikat')
         ORDER BY a.created_at, a.id LIMIT ?",
    )
    .bind(us(from))
    .bind(us(to))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|row| {
            let tid: String = get(row, "report_tracking_id")?;
            let tid = TrackingId::parse(&tid)
                .map_err(|e| StoreError::Backend(format!("bad tracking id: {e}")))?;
            Ok((tid, activity_from_row(row)?))
        })
        .collect()
}
