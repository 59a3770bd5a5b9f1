//! Connectors to agencies' own systems (see `tanggap_store::connectors`).

use crate::audit;
use crate::util::db_err;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};
use tanggap_domain::audit::NewAuditEvent;
use tanggap_store::{
    Connector, ConnectorKind, ConnectorLink, ConnectorSend, ConnectorSendRecord, NewConnectorSend,
    RemoteUpdateRecord, Result, SendKind, SendOutcome, StoreError, Timestamp,
};

const CONNECTOR_COLUMNS: &str = "c.agency_id, c.kind, c.target, c.secret, c.status_map, c.active,
    c.created_at, c.updated_at, c.followed_until, c.last_success_at, c.last_error_at, c.last_error,
    (SELECT COUNT(*) FROM connector_outbox o WHERE o.agency_id = c.agency_id AND o.status IN ('pending', 'sending')) AS queued,
    (SELECT COUNT(*) FROM connector_outbox o WHERE o.agency_id = c.agency_id AND o.status = 'failed') AS failed";

fn connector_of(row: &PgRow) -> Result<Connector> {
    let kind: String = row.try_get("kind").map_err(db_err)?;
    let map: String = row.try_get("status_map").map_err(db_err)?;
    Ok(Connector {
        agency_id: row.try_get("agency_id").map_err(db_err)?,
        kind: ConnectorKind::parse(&kind)
            .ok_or_else(|| StoreError::Backend(format!("unknown connector kind `{kind}`")))?,
        target: row.try_get("target").map_err(db_err)?,
        secret: row.try_get("secret").map_err(db_err)?,
        status_map: serde_json::from_str(&map)
            .map_err(|e| StoreError::Backend(format!("bad status map: {e}")))?,
        active: row.try_get("active").map_err(db_err)?,
        created_at: row.try_get("created_at").map_err(db_err)?,
        updated_at: row.try_get("updated_at").map_err(db_err)?,
        followed_until: row.try_get("followed_until").map_err(db_err)?,
        last_success_at: row.try_get("last_success_at").map_err(db_err)?,
        last_error_at: row.try_get("last_error_at").map_err(db_err)?,
        last_error: row.try_get("last_error").map_err(db_err)?,
        queued: row.try_get::<i64, _>("queued").map_err(db_err)?.max(0) as u64,
        failed: row.try_get::<i64, _>("failed").map_err(db_err)?.max(0) as u64,
    })
}

pub(crate) async fn put(pool: &PgPool, c: &Connector, actor: &str, at: Timestamp) -> Result<()> {
    let map = serde_json::to_string(&c.status_map)
        .map_err(|e| StoreError::Invalid(format!("status map: {e}")))?;
    let mut tx = audit::begin(pool).await?;
    sqlx::query(
        "INSERT INTO connectors (agency_id, kind, target, secret, status_map, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, TRUE, $6, $6)
         ON CONFLICT (agency_id) DO UPDATE SET kind = excluded.kind, target = excluded.target,
           secret = excluded.secret, status_map = excluded.status_map, active = TRUE,
           updated_at = excluded.updated_at, last_error = NULL, last_error_at = NULL",
    )
    .bind(&c.agency_id)
    .bind(c.kind.as_str())
    .bind(&c.target)
    .bind(&c.secret)
    .bind(&map)
    .bind(at)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    audit::append(
        &mut tx,
        NewAuditEvent::new(actor, "connector.set", "agency", &c.agency_id).after(
            &serde_json::json!({
                "kind": c.kind.as_str(),
                "target": c.target,
                "status_map": c.status_map,
            }),
        ),
        at,
    )
    .await?;
    tx.commit().await.map_err(db_err)
}

pub(crate) async fn deactivate(
    pool: &PgPool,
    agency_id: &str,
    actor: &str,
    at: Timestamp,
) -> Result<bool> {
    let mut tx = audit::begin(pool).await?;
    let done = sqlx::query(
        "UPDATE connectors SET active = FALSE, updated_at = $1 WHERE agency_id = $2 AND active",
    )
    .bind(at)
    .bind(agency_id)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?
    .rows_affected()
        == 1;
    if done {
        audit::append(
            &mut tx,
            NewAuditEvent::new(actor, "connector.deactivated", "agency", agency_id),
            at,
        )
        .await?;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(done)
}

pub(crate) async fn all(pool: &PgPool) -> Result<Vec<Connector>> {
    sqlx::query(&format!(
        "SELECT {CONNECTOR_COLUMNS} FROM connectors c ORDER BY c.agency_id"
    ))
    .fetch_all(pool)
    .await
    .map_err(db_err)?
    .iter()
    .map(connector_of)
    .collect()
}

pub(crate) async fn one(pool: &PgPool, agency_id: &str) -> Result<Option<Connector>> {
    sqlx::query(&format!(
        "SELECT {CONNECTOR_COLUMNS} FROM connectors c WHERE c.agency_id = $1"
    ))
    .bind(agency_id)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?
    .as_ref()
    .map(connector_of)
    .transpose()
}

pub(crate) async fn advance_cursor(
    pool: &PgPool,
    name: &str,
    from: i64,
    to: i64,
    sends: &[NewConnectorSend],
    at: Timestamp,
) -> Result<bool> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    sqlx::query(
        "INSERT INTO job_cursors (name, position) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    // Compare-and-set under the row lock: another instance that moved it first wins.
    let moved =
        sqlx::query("UPDATE job_cursors SET position = $1 WHERE name = $2 AND position = $3")
            .bind(to)
            .bind(name)
            .bind(from)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected()
            == 1;
    if !moved {
        return Ok(false);
    }
    for s in sends {
        if let Some(token) = &s.token {
            sqlx::query(
                "INSERT INTO connector_links (assignment_id, report_id, agency_id, token, created_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (assignment_id) DO NOTHING",
            )
            .bind(s.assignment_id)
            .bind(s.report_id)
            .bind(&s.agency_id)
            .bind(token)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        sqlx::query(
            "INSERT INTO connector_outbox (idempotency_key, agency_id, report_id, assignment_id, kind, activity_id, next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(&s.idempotency_key)
        .bind(&s.agency_id)
        .bind(s.report_id)
        .bind(s.assignment_id)
        .bind(s.kind.as_str())
        .bind(s.activity_id)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(true)
}

fn send_kind(row: &PgRow) -> Result<SendKind> {
    let kind: String = row.try_get("kind").map_err(db_err)?;
    SendKind::parse(&kind).ok_or_else(|| StoreError::Backend(format!("unknown send kind `{kind}`")))
}

fn send_of(row: &PgRow) -> Result<ConnectorSend> {
    Ok(ConnectorSend {
        id: row.try_get("id").map_err(db_err)?,
        agency_id: row.try_get("agency_id").map_err(db_err)?,
        report_id: row.try_get("report_id").map_err(db_err)?,
        assignment_id: row.try_get("assignment_id").map_err(db_err)?,
        kind: send_kind(row)?,
        activity_id: row.try_get("activity_id").map_err(db_err)?,
        attempts: row.try_get::<i32, _>("attempts").map_err(db_err)?.max(0) as u32,
        created_at: row.try_get("created_at").map_err(db_err)?,
    })
}

pub(crate) async fn claim(
    pool: &PgPool,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> Result<Vec<ConnectorSend>> {
    // Rows another process is leasing right now are skipped, not waited for.
    let rows = sqlx::query(
        "WITH due AS (
            SELECT o.id FROM connector_outbox o JOIN connectors c ON c.agency_id = o.agency_id
            WHERE o.status IN ('pending', 'sending') AND o.next_attempt_at <= $1 AND c.active
            ORDER BY o.next_attempt_at, o.id LIMIT $2 FOR UPDATE OF o SKIP LOCKED)
         UPDATE connector_outbox o SET status = 'sending', next_attempt_at = $3 FROM due WHERE o.id = due.id
         RETURNING o.id, o.agency_id, o.report_id, o.assignment_id, o.kind, o.activity_id, o.attempts, o.created_at",
    )
    .bind(now)
    .bind(i64::from(limit))
    .bind(lease_until)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    let mut out = rows.iter().map(send_of).collect::<Result<Vec<_>>>()?;
    out.sort_by_key(|s| s.id);
    Ok(out)
}

pub(crate) async fn finish(
    pool: &PgPool,
    id: i64,
    outcome: &SendOutcome,
    at: Timestamp,
) -> Result<()> {
    let mut tx = match outcome {
        SendOutcome::Retry { .. } => pool.begin().await.map_err(db_err)?,
        _ => audit::begin(pool).await?,
    };
    let row = sqlx::query(
        "SELECT agency_id, assignment_id, kind FROM connector_outbox WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?
    .ok_or_else(|| StoreError::NotFound(format!("connector send {id}")))?;
    let agency: String = row.try_get("agency_id").map_err(db_err)?;
    let assignment: i64 = row.try_get("assignment_id").map_err(db_err)?;
    let kind: String = row.try_get("kind").map_err(db_err)?;
    match outcome {
        SendOutcome::Sent {
            remote_id,
            fields,
            digest,
        } => {
            sqlx::query(
                "UPDATE connector_outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2",
            )
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            if kind == "report" {
                sqlx::query(
                    "UPDATE connector_links SET remote_id = COALESCE($1, remote_id), delivered_at = COALESCE(delivered_at, $2) WHERE assignment_id = $3",
                )
                .bind(remote_id)
                .bind(at)
                .bind(assignment)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            }
            sqlx::query("UPDATE connectors SET last_success_at = $1 WHERE agency_id = $2")
                .bind(at)
                .bind(&agency)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            audit::append(
                &mut tx,
                NewAuditEvent::new("system", "connector.sent", "assignment", assignment).after(
                    &serde_json::json!({
                        "agency_id": agency,
                        "kind": kind,
                        "fields": fields,
                        "sha256": digest,
                        "remote_id": remote_id,
                    }),
                ),
                at,
            )
            .await?;
        }
        SendOutcome::Retry { at: next, error } => {
            sqlx::query(
                "UPDATE connector_outbox SET status = 'pending', attempts = attempts + 1, next_attempt_at = $1, last_error = $2 WHERE id = $3",
            )
            .bind(*next)
            .bind(error)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            health_error(&mut tx, &agency, error, at).await?;
        }
        SendOutcome::Failed { error } => {
            sqlx::query(
                "UPDATE connector_outbox SET status = 'failed', attempts = attempts + 1, last_error = $1 WHERE id = $2",
            )
            .bind(error)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            health_error(&mut tx, &agency, error, at).await?;
            audit::append(
                &mut tx,
                NewAuditEvent::new("system", "connector.failed", "assignment", assignment).after(
                    &serde_json::json!({
                        "agency_id": agency,
                        "kind": kind,
                        "error": error,
                    }),
                ),
                at,
            )
            .await?;
        }
    }
    tx.commit().await.map_err(db_err)
}

async fn health_error(
    conn: &mut PgConnection,
    agency: &str,
    error: &str,
    at: Timestamp,
) -> Result<()> {
    sqlx::query("UPDATE connectors SET last_error_at = $1, last_error = $2 WHERE agency_id = $3")
        .bind(at)
        .bind(error)
        .bind(agency)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn sends(
    pool: &PgPool,
    agency_id: Option<&str>,
    limit: u32,
) -> Result<Vec<ConnectorSendRecord>> {
    let rows = sqlx::query(
        "SELECT id, agency_id, report_id, assignment_id, kind, status, attempts, next_attempt_at, created_at, sent_at, last_error
         FROM connector_outbox WHERE ($1::text IS NULL OR agency_id = $1) ORDER BY id DESC LIMIT $2",
    )
    .bind(agency_id)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|row| {
            Ok(ConnectorSendRecord {
                id: row.try_get("id").map_err(db_err)?,
                agency_id: row.try_get("agency_id").map_err(db_err)?,
                report_id: row.try_get("report_id").map_err(db_err)?,
                assignment_id: row.try_get("assignment_id").map_err(db_err)?,
                kind: send_kind(row)?,
                status: row.try_get("status").map_err(db_err)?,
                attempts: row.try_get::<i32, _>("attempts").map_err(db_err)?.max(0) as u32,
                next_attempt_at: row.try_get("next_attempt_at").map_err(db_err)?,
                created_at: row.try_get("created_at").map_err(db_err)?,
                sent_at: row.try_get("sent_at").map_err(db_err)?,
                last_error: row.try_get("last_error").map_err(db_err)?,
            })
        })
        .collect()
}

fn link_of(row: &PgRow) -> Result<ConnectorLink> {
    Ok(ConnectorLink {
        assignment_id: row.try_get("assignment_id").map_err(db_err)?,
        report_id: row.try_get("report_id").map_err(db_err)?,
        agency_id: row.try_get("agency_id").map_err(db_err)?,
        token: row.try_get("token").map_err(db_err)?,
        remote_id: row.try_get("remote_id").map_err(db_err)?,
        delivered_at: row.try_get("delivered_at").map_err(db_err)?,
        created_at: row.try_get("created_at").map_err(db_err)?,
    })
}

const LINK_COLUMNS: &str =
    "l.assignment_id, l.report_id, l.agency_id, l.token, l.remote_id, l.delivered_at, l.created_at";

pub(crate) async fn link(pool: &PgPool, assignment_id: i64) -> Result<Option<ConnectorLink>> {
    sqlx::query(&format!(
        "SELECT {LINK_COLUMNS} FROM connector_links l WHERE l.assignment_id = $1"
    ))
    .bind(assignment_id)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?
    .as_ref()
    .map(link_of)
    .transpose()
}

pub(crate) async fn link_by_token(pool: &PgPool, token: &str) -> Result<Option<ConnectorLink>> {
    sqlx::query(&format!(
        "SELECT {LINK_COLUMNS} FROM connector_links l WHERE l.token = $1"
    ))
    .bind(token)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?
    .as_ref()
    .map(link_of)
    .transpose()
}

pub(crate) async fn link_by_remote(
    pool: &PgPool,
    agency_id: &str,
    remote_id: &str,
) -> Result<Option<ConnectorLink>> {
    sqlx::query(&format!(
        "SELECT {LINK_COLUMNS} FROM connector_links l WHERE l.agency_id = $1 AND l.remote_id = $2"
    ))
    .bind(agency_id)
    .bind(remote_id)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?
    .as_ref()
    .map(link_of)
    .transpose()
}

pub(crate) async fn open_links(
    pool: &PgPool,
    agency_id: &str,
    limit: u32,
) -> Result<Vec<ConnectorLink>> {
    sqlx::query(&format!(
        "SELECT {LINK_COLUMNS} FROM connector_links l JOIN assignments a ON a.id = l.assignment_id
         WHERE l.agency_id = $1 AND l.remote_id IS NOT NULL
           AND a.stage NOT IN ('tuntas', 'bukan_wewenang', 'diteruskan')
         ORDER BY l.assignment_id LIMIT $2"
    ))
    .bind(agency_id)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err)?
    .iter()
    .map(link_of)
    .collect()
}

pub(crate) async fn update_seen(pool: &PgPool, agency_id: &str, update_id: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM connector_updates WHERE agency_id = $1 AND update_id = $2",
    )
    .bind(agency_id)
    .bind(update_id)
    .fetch_one(pool)
    .await
    .map_err(db_err)?;
    Ok(n > 0)
}

pub(crate) async fn record_update(pool: &PgPool, u: &RemoteUpdateRecord) -> Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO connector_updates (agency_id, update_id, assignment_id, status, remote_at, received_at, outcome)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (agency_id, update_id) DO NOTHING",
    )
    .bind(&u.agency_id)
    .bind(&u.update_id)
    .bind(u.assignment_id)
    .bind(&u.status)
    .bind(u.remote_at)
    .bind(u.received_at)
    .bind(&u.outcome)
    .execute(pool)
    .await
    .map_err(db_err)?
    .rows_affected()
        == 1)
}

pub(crate) async fn updates(pool: &PgPool, assignment_id: i64) -> Result<Vec<RemoteUpdateRecord>> {
    sqlx::query(
        "SELECT agency_id, update_id, assignment_id, status, remote_at, received_at, outcome
         FROM connector_updates WHERE assignment_id = $1 ORDER BY received_at, update_id",
    )
    .bind(assignment_id)
    .fetch_all(pool)
    .await
    .map_err(db_err)?
    .iter()
    .map(|row| {
        Ok(RemoteUpdateRecord {
            agency_id: row.try_get("agency_id").map_err(db_err)?,
            update_id: row.try_get("update_id").map_err(db_err)?,
            assignment_id: row.try_get("assignment_id").map_err(db_err)?,
            status: row.try_get("status").map_err(db_err)?,
            remote_at: row.try_get("remote_at").map_err(db_err)?,
            received_at: row.try_get("received_at").map_err(db_err)?,
            outcome: row.try_get("outcome").map_err(db_err)?,
        })
    })
    .collect()
}

pub(crate) async fn followed(
    pool: &PgPool,
    agency_id: &str,
    until: Option<Timestamp>,
    error: Option<&str>,
    at: Timestamp,
) -> Result<()> {
    match error {
        None => sqlx::query(
            "UPDATE connectors SET followed_until = COALESCE($1, followed_until), last_success_at = $2 WHERE agency_id = $3",
        )
        .bind(until)
        .bind(at)
        .bind(agency_id)
        .execute(pool)
        .await
        .map_err(db_err)?,
        Some(e) => sqlx::query(
            "UPDATE connectors SET last_error_at = $1, last_error = $2 WHERE agency_id = $3",
        )
        .bind(at)
        .bind(e)
        .bind(agency_id)
        .execute(pool)
        .await
        .map_err(db_err)?,
    };
    Ok(())
}

pub(crate) async fn set_update_outcome(
    pool: &PgPool,
    agency_id: &str,
    update_id: &str,
    outcome: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE connector_updates SET outcome = $1 WHERE agency_id = $2 AND update_id = $3",
    )
    .bind(outcome)
    .bind(agency_id)
    .bind(update_id)
    .execute(pool)
    .await
    .map_err(db_err)?;
    Ok(())
}
