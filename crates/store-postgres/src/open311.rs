//! Open311: the clients' keys, the tokens of the requests they filed, the public update feed.

use crate::audit;
use crate::reports::activity_from_row;
use crate::util::{db_err, get};
use serde_json::json;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool};
use tanggap_domain::TrackingId;
use tanggap_domain::audit::NewAuditEvent;
use tanggap_store::{ActivityRecord, Open311Key, Open311Origin, Result, StoreError, Timestamp};

fn key_from_row(row: &PgRow) -> Result<Open311Key> {
    Ok(Open311Key {
        id: get(row, "id")?,
        name: get(row, "name")?,
        user_id: get(row, "user_id")?,
        created_at: get(row, "created_at")?,
        created_by: get(row, "created_by")?,
        revoked_at: get(row, "revoked_at")?,
    })
}

pub(crate) async fn create_key(
    pool: &PgPool,
    name: &str,
    key_hash: &str,
    user_id: Option<i64>,
    actor: &str,
    at: Timestamp,
) -> Result<i64> {
    let mut tx = audit::begin(pool).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO open311_keys (name, key_hash, user_id, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(name)
    .bind(key_hash)
    .bind(user_id)
    .bind(at)
    .bind(actor)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err)?;
    audit::append(
        &mut tx,
        NewAuditEvent::new(actor, "open311_key.created", "open311_key", id)
            .after(&json!({ "name": name, "user_id": user_id })),
        at,
    )
    .await?;
    tx.commit().await.map_err(db_err)?;
    Ok(id)
}

pub(crate) async fn keys(pool: &PgPool) -> Result<Vec<Open311Key>> {
    sqlx::query("SELECT * FROM open311_keys ORDER BY id")
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(key_from_row)
        .collect()
}

pub(crate) async fn key_by_hash(pool: &PgPool, key_hash: &str) -> Result<Option<Open311Key>> {
    sqlx::query("SELECT * FROM open311_keys WHERE key_hash = $1 AND revoked_at IS NULL")
        .bind(key_hash)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(key_from_row)
        .transpose()
}

pub(crate) async fn revoke_key(pool: &PgPool, id: i64, actor: &str, at: Timestamp) -> Result<bool> {
    let mut tx = audit::begin(pool).await?;
    let done =
        sqlx::query("UPDATE open311_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected()
            == 1;
    if done {
        audit::append(
            &mut tx,
            NewAuditEvent::new(actor, "open311_key.revoked", "open311_key", id),
            at,
        )
        .await?;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(done)
}

/// Inside the report's creation: which key filed it, and its token.
pub(crate) async fn link_request(
    conn: &mut PgConnection,
    report_id: i64,
    origin: &Open311Origin,
    at: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO open311_requests (token, report_id, key_id, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&origin.token)
    .bind(report_id)
    .bind(origin.key_id)
    .bind(at)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn report_by_token(pool: &PgPool, token: &str) -> Result<Option<TrackingId>> {
    let tid: Option<String> = sqlx::query_scalar(
        "SELECT r.tracking_id FROM open311_requests q JOIN reports r ON r.id = q.report_id
         WHERE q.token = $1",
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
    pool: &PgPool,
    from: Timestamp,
    to: Timestamp,
    limit: u32,
) -> Result<Vec<(TrackingId, ActivityRecord)>> {
    let rows = sqlx::query(
        "SELECT a.*, r.tracking_id AS report_tracking_id
         FROM activities a JOIN reports r ON r.id = a.report_id
         WHERE a.audience = 'public' AND a.created_at >= $1 AND a.created_at < $2
           AND NOT r.rahasia AND r.status NOT IN ('baru', 'diarsipkan', 'duplikat')
         ORDER BY a.created_at, a.id LIMIT $3",
    )
    .bind(from)
    .bind(to)
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
