//! Connectors to agencies' own systems (see `tanggap_store::connectors`).

use crate::audit;
use crate::util::{db_err, ts, ts_opt, us, us_opt};
use crate::writer::Writer;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};
use tanggap_domain::audit::NewAuditEvent;
use tanggap_store::{
    Connector, ConnectorKind, ConnectorLink, ConnectorSend, ConnectorSendRecord, NewConnectorSend,
    RemoteUpdateRecord, Result, SendKind, SendOutcome, StoreError, Timestamp,
};

const CONNECTOR_COLUMNS: &str = "c.agency_id, c.kind, c.target, c.secret, c.status_map, c.active,
    c.created_at, c.updated_at, c.followed_until, c.last_success_at, c.last_error_at, c.last_error,
    (SELECT COUNT(*) FROM connector_outbox o WHERE o.agency_id = c.agency_id AND o.status IN ('pending', 'sending')) AS queued,
    (SELECT COUNT(*) FROM connector_outbox o WHERE o.agency_id = c.agency_id AND o.status = 'failed') AS failed";

fn connector_of(row: &SqliteRow) -> Result<Connector> {
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
        created_at: ts(row.try_get("created_at").map_err(db_err)?),
        updated_at: ts(row.try_get("updated_at").map_err(db_err)?),
        followed_until: ts_opt(row.try_get("followed_until").map_err(db_err)?),
        last_success_at: ts_opt(row.try_get("last_success_at").map_err(db_err)?),
        last_error_at: ts_opt(row.try_get("last_error_at").map_err(db_err)?),
        last_error: row.try_get("last_error").map_err(db_err)?,
        queued: row.try_get::<i64, _>("queued").map_err(db_err)?.max(0) as u64,
        failed: row.try_get::<i64, _>("failed").map_err(db_err)?.max(0) as u64,
    })
}

pub(crate) async fn put(w: &Writer, c: Connector, actor: String, at: Timestamp) -> Result<()> {
    let map = serde_json::to_string(&c.status_map)
        .map_err(|e| StoreError::Invalid(format!("status map: {e}")))?;
    w.run(move |conn| {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO connectors (agency_id, kind, target, secret, status_map, active, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, 1, ?, ?)
                 ON CONFLICT (agency_id) DO UPDATE SET kind = excluded.kind, target = excluded.target,
                   secret = excluded.secret, status_map = excluded.status_map, active = 1,
                   updated_at = excluded.updated_at, last_error = NULL, last_error_at = NULL",
            )
            .bind(&c.agency_id)
            .bind(c.kind.as_str())
            .bind(&c.target)
            .bind(&c.secret)
            .bind(&map)
            .bind(us(at))
            .bind(us(at))
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
            audit::append(
                conn,
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
            Ok(())
        })
    })
    .await
}

pub(crate) async fn deactivate(
    w: &Writer,
    agency_id: String,
    actor: String,
    at: Timestamp,
) -> Result<bool> {
    w.run(move |conn| {
        Box::pin(async move {
            let done = sqlx::query(
                "UPDATE connectors SET active = 0, updated_at = ? WHERE agency_id = ? AND active = 1",
            )
            .bind(us(at))
            .bind(&agency_id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?
            .rows_affected()
                == 1;
            if done {
                audit::append(
                    conn,
                    NewAuditEvent::new(actor, "connector.deactivated", "agency", &agency_id),
                    at,
                )
                .await?;
            }
            Ok(done)
        })
    })
    .await
}

pub(crate) async fn all(pool: &SqlitePool) -> Result<Vec<Connector>> {
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

pub(crate) async fn one(pool: &SqlitePool, agency_id: &str) -> Result<Option<Connector>> {
    sqlx::query(&format!(
        "SELECT {CONNECTOR_COLUMNS} FROM connectors c WHERE c.agency_id = ?"
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
    w: &Writer,
    name: String,
    from: i64,
    to: i64,
    sends: Vec<NewConnectorSend>,
    at: Timestamp,
) -> Result<bool> {
    w.run(move |conn| {
        Box::pin(async move {
            let current: Option<i64> =
                sqlx::query_scalar("SELECT position FROM job_cursors WHERE name = ?")
                    .bind(&name)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db_err)?;
            if current.unwrap_or(0) != from {
                return Ok(false);
            }
            sqlx::query("INSERT INTO job_cursors (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position")
                .bind(&name)
                .bind(to)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            for s in &sends {
                if let Some(token) = &s.token {
                    sqlx::query(
                        "INSERT INTO connector_links (assignment_id, report_id, agency_id, token, created_at)
                         VALUES (?, ?, ?, ?, ?) ON CONFLICT (assignment_id) DO NOTHING",
                    )
                    .bind(s.assignment_id)
                    .bind(s.report_id)
                    .bind(&s.agency_id)
                    .bind(token)
                    .bind(us(at))
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
                }
                sqlx::query(
                    "INSERT INTO connector_outbox (idempotency_key, agency_id, report_id, assignment_id, kind, activity_id, next_attempt_at, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING",
                )
                .bind(&s.idempotency_key)
                .bind(&s.agency_id)
                .bind(s.report_id)
                .bind(s.assignment_id)
                .bind(s.kind.as_str())
                .bind(s.activity_id)
                .bind(us(at))
                .bind(us(at))
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            }
            Ok(true)
        })
    })
    .await
}

fn send_kind(row: &SqliteRow) -> Result<SendKind> {
    let kind: String = row.try_get("kind").map_err(db_err)?;
    SendKind::parse(&kind).ok_or_else(|| StoreError::Backend(format!("unknown send kind `{kind}`")))
}

fn send_of(row: &SqliteRow) -> Result<ConnectorSend> {
    Ok(ConnectorSend {
        id: row.try_get("id").map_err(db_err)?,
        agency_id: row.try_get("agency_id").map_err(db_err)?,
        report_id: row.try_get("report_id").map_err(db_err)?,
        assignment_id: row.try_get("assignment_id").map_err(db_err)?,
        kind: send_kind(row)?,
        activity_id: row.try_get("activity_id").map_err(db_err)?,
        attempts: row.try_get::<i64, _>("attempts").map_err(db_err)?.max(0) as u32,
        created_at: ts(row.try_get("created_at").map_err(db_err)?),
    })
}

pub(crate) async fn claim(
    w: &Writer,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> Result<Vec<ConnectorSend>> {
    w.run(move |conn| {
        Box::pin(async move {
            // One writer: the select and the lease are one transaction.
            let rows = sqlx::query(
                "UPDATE connector_outbox SET status = 'sending', next_attempt_at = ?
                 WHERE id IN (SELECT o.id FROM connector_outbox o JOIN connectors c ON c.agency_id = o.agency_id
                              WHERE o.status IN ('pending', 'sending') AND o.next_attempt_at <= ? AND c.active = 1
                              ORDER BY o.next_attempt_at, o.id LIMIT ?)
                 RETURNING id, agency_id, report_id, assignment_id, kind, activity_id, attempts, created_at",
            )
            .bind(us(lease_until))
            .bind(us(now))
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
            let mut out = rows.iter().map(send_of).collect::<Result<Vec<_>>>()?;
            out.sort_by_key(|s| s.id);
            Ok(out)
        })
    })
    .await
}

pub(crate) async fn finish(w: &Writer, id: i64, outcome: SendOutcome, at: Timestamp) -> Result<()> {
    w.run(move |conn| {
        Box::pin(async move {
            let row = sqlx::query(
                "SELECT agency_id, report_id, assignment_id, kind, activity_id, attempts FROM connector_outbox WHERE id = ?",
            )
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?
            .ok_or_else(|| StoreError::NotFound(format!("connector send {id}")))?;
            let agency: String = row.try_get("agency_id").map_err(db_err)?;
            let assignment: i64 = row.try_get("assignment_id").map_err(db_err)?;
            let kind: String = row.try_get("kind").map_err(db_err)?;
            match &outcome {
                SendOutcome::Sent {
                    remote_id,
                    fields,
                    digest,
                } => {
                    sqlx::query(
                        "UPDATE connector_outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
                    )
                    .bind(us(at))
                    .bind(id)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
                    if kind == "report" {
                        sqlx::query(
                            "UPDATE connector_links SET remote_id = COALESCE(?, remote_id), delivered_at = COALESCE(delivered_at, ?) WHERE assignment_id = ?",
                        )
                        .bind(remote_id)
                        .bind(us(at))
                        .bind(assignment)
                        .execute(&mut *conn)
                        .await
                        .map_err(db_err)?;
                    }
                    sqlx::query(
                        "UPDATE connectors SET last_success_at = ? WHERE agency_id = ?",
                    )
                    .bind(us(at))
                    .bind(&agency)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
                    audit::append(
                        conn,
                        NewAuditEvent::new("system", "connector.sent", "assignment", assignment)
                            .after(&serde_json::json!({
                                "agency_id": agency,
                                "kind": kind,
                                "fields": fields,
                                "sha256": digest,
                                "remote_id": remote_id,
                            })),
                        at,
                    )
                    .await?;
                }
                SendOutcome::Retry { at: next, error } => {
                    sqlx::query(
                        "UPDATE connector_outbox SET status = 'pending', attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?",
                    )
                    .bind(us(*next))
                    .bind(error)
                    .bind(id)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
                    health_error(conn, &agency, error, at).await?;
                }
                SendOutcome::Failed { error } => {
                    sqlx::query(
                        "UPDATE connector_outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?",
                    )
                    .bind(error)
                    .bind(id)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
                    health_error(conn, &agency, error, at).await?;
                    audit::append(
                        conn,
                        NewAuditEvent::new("system", "connector.failed", "assignment", assignment)
                            .after(&serde_json::json!({
                                "agency_id": agency,
                                "kind": kind,
                                "error": error,
                            })),
                        at,
                    )
                    .await?;
                }
            }
            Ok(())
        })
    })
    .await
}

async fn health_error(
    conn: &mut sqlx::SqliteConnection,
    agency: &str,
    error: &str,
    at: Timestamp,
) -> Result<()> {
    sqlx::query("UPDATE connectors SET last_error_at = ?, last_error = ? WHERE agency_id = ?")
        .bind(us(at))
        .bind(error)
        .bind(agency)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn sends(
    pool: &SqlitePool,
    agency_id: Option<&str>,
    limit: u32,
) -> Result<Vec<ConnectorSendRecord>> {
    let rows = sqlx::query(
        "SELECT id, agency_id, report_id, assignment_id, kind, status, attempts, next_attempt_at, created_at, sent_at, last_error
         FROM connector_outbox WHERE (? IS NULL OR agency_id = ?) ORDER BY id DESC LIMIT ?",
    )
    .bind(agency_id)
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
                attempts: row.try_get::<i64, _>("attempts").map_err(db_err)?.max(0) as u32,
                next_attempt_at: ts(row.try_get("next_attempt_at").map_err(db_err)?),
                created_at: ts(row.try_get("created_at").map_err(db_err)?),
                sent_at: ts_opt(row.try_get("sent_at").map_err(db_err)?),
                last_error: row.try_get("last_error").map_err(db_err)?,
            })
        })
        .collect()
}

fn link_of(row: &SqliteRow) -> Result<ConnectorLink> {
    Ok(ConnectorLink {
        assignment_id: row.try_get("assignment_id").map_err(db_err)?,
        report_id: row.try_get("report_id").map_err(db_err)?,
        agency_id: row.try_get("agency_id").map_err(db_err)?,
        token: row.try_get("token").map_err(db_err)?,
        remote_id: row.try_get("remote_id").map_err(db_err)?,
        delivered_at: ts_opt(row.try_get("delivered_at").map_err(db_err)?),
        created_at: ts(row.try_get("created_at").map_err(db_err)?),
    })
}

const LINK_COLUMNS: &str =
    "l.assignment_id, l.report_id, l.agency_id, l.token, l.remote_id, l.delivered_at, l.created_at";

pub(crate) async fn link_by_token(pool: &SqlitePool, token: &str) -> Result<Option<ConnectorLink>> {
    sqlx::query(&format!(
        "SELECT {LINK_COLUMNS} FROM connector_links l WHERE l.token = ?"
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
    pool: &SqlitePool,
    agency_id: &str,
    remote_id: &str,
) -> Result<Option<ConnectorLink>> {
    sqlx::query(&format!(
        "SELECT {LINK_COLUMNS} FROM connector_links l WHERE l.agency_id = ? AND l.remote_id = ?"
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

pub(crate) async fn link(pool: &SqlitePool, assignment_id: i64) -> Result<Option<ConnectorLink>> {
    sqlx::query(&format!(
        "SELECT {LINK_COLUMNS} FROM connector_links l WHERE l.assignment_id = ?"
    ))
    .bind(assignment_id)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?
    .as_ref()
    .map(link_of)
    .transpose()
}

pub(crate) async fn open_links(
    pool: &SqlitePool,
    agency_id: &str,
    limit: u32,
) -> Result<Vec<ConnectorLink>> {
    sqlx::query(&format!(
        "SELECT {LINK_COLUMNS} FROM connector_links l JOIN assignments a ON a.id = l.assignment_id
         WHERE l.agency_id = ? AND l.remote_id IS NOT NULL
           AND a.stage NOT IN ('tuntas', 'bukan_wewenang', 'diteruskan')
         ORDER BY l.assignment_id LIMIT ?"
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

pub(crate) async fn update_seen(
    pool: &SqlitePool,
    agency_id: &str,
    update_id: &str,
) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM connector_updates WHERE agency_id = ? AND update_id = ?",
    )
    .bind(agency_id)
    .bind(update_id)
    .fetch_one(pool)
    .await
    .map_err(db_err)?;
    Ok(n > 0)
}

pub(crate) async fn record_update(w: &Writer, u: RemoteUpdateRecord) -> Result<bool> {
    w.run(move |conn| {
        Box::pin(async move {
            Ok(sqlx::query(
                "INSERT INTO connector_updates (agency_id, update_id, assignment_id, status, remote_at, received_at, outcome)
                 VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (agency_id, update_id) DO NOTHING",
            )
            .bind(&u.agency_id)
            .bind(&u.update_id)
            .bind(u.assignment_id)
            .bind(&u.status)
            .bind(us(u.remote_at))
            .bind(us(u.received_at))
            .bind(&u.outcome)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?
            .rows_affected()
                == 1)
        })
    })
    .await
}

pub(crate) async fn updates(
    pool: &SqlitePool,
    assignment_id: i64,
) -> Result<Vec<RemoteUpdateRecord>> {
    sqlx::query(
        "SELECT agency_id, update_id, assignment_id, status, remote_at, received_at, outcome
         FROM connector_updates WHERE assignment_id = ? ORDER BY received_at, update_id",
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
            remote_at: ts(row.try_get("remote_at").map_err(db_err)?),
            received_at: ts(row.try_get("received_at").map_err(db_err)?),
            outcome: row.try_get("outcome").map_err(db_err)?,
        })
    })
    .collect()
}

pub(crate) async fn followed(
    w: &Writer,
    agency_id: String,
    until: Option<Timestamp>,
    error: Option<String>,
    at: Timestamp,
) -> Result<()> {
    w.run(move |conn| {
        Box::pin(async move {
            match &error {
                None => sqlx::query(
                    "UPDATE connectors SET followed_until = COALESCE(?, followed_until), last_success_at = ? WHERE agency_id = ?",
                )
                .bind(us_opt(until))
                .bind(us(at))
                .bind(&agency_id)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?,
                Some(e) => sqlx::query(
                    "UPDATE connectors SET last_error_at = ?, last_error = ? WHERE agency_id = ?",
                )
                .bind(us(at))
                .bind(e)
                .bind(&agency_id)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?,
            };
            Ok(())
        })
    })
    .await
}

pub(crate) async fn set_update_outcome(
    w: &Writer,
    agency_id: String,
    update_id: String,
    outcome: String,
) -> Result<()> {
    w.run(move |conn| {
        Box::pin(async move {
            sqlx::query(
                "UPDATE connector_updates SET outcome = ? WHERE agency_id = ? AND update_id = ?",
            )
            .bind(&outcome)
            .bind(&agency_id)
            .bind(&update_id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
            Ok(())
        })
    })
    .await
}
