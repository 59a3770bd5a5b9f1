//! Personal data (UU 27/2022): a reporter's record, its correction, and forgetting it.

use crate::audit;
use crate::util::{db_err, get};
use serde_json::json;
use sqlx::{PgPool, Row};
use tanggap_domain::Channel;
use tanggap_domain::audit::NewAuditEvent;
use tanggap_store::{
    ForgetPlan, ReporterCorrection, ReporterRecord, ReporterRow, Result, StoreError, Timestamp,
};

pub(crate) async fn reporter(pool: &PgPool, id: i64) -> Result<Option<ReporterRow>> {
    let Some(row) = sqlx::query(
        "SELECT id, name, phone, email, nik, created_at, pseudonymised_at FROM reporters WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?
    else {
        return Ok(None);
    };
    let addresses = sqlx::query(
        "SELECT channel, address FROM reporter_addresses WHERE reporter_id = $1 ORDER BY channel, address",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .map_err(db_err)?
    .iter()
    .map(|r| {
        let channel: String = r.get("channel");
        let channel = Channel::parse(&channel)
            .ok_or_else(|| StoreError::Backend(format!("bad channel `{channel}`")))?;
        Ok((channel, r.get::<String, _>("address")))
    })
    .collect::<Result<Vec<_>>>()?;
    Ok(Some(ReporterRow {
        record: ReporterRecord {
            id: get(&row, "id")?,
            name: get(&row, "name")?,
            phone: get(&row, "phone")?,
            email: get(&row, "email")?,
            nik: get(&row, "nik")?,
        },
        addresses,
        created_at: get(&row, "created_at")?,
        pseudonymised_at: get(&row, "pseudonymised_at")?,
    }))
}

pub(crate) async fn correct_reporter(
    pool: &PgPool,
    id: i64,
    c: &ReporterCorrection,
    actor: &str,
    at: Timestamp,
) -> Result<()> {
    let mut tx = audit::begin(pool).await?;
    {
        let conn = &mut *tx;
        {
            let mut changed = Vec::new();
            for (field, value) in [
                ("name", &c.name),
                ("phone", &c.phone),
                ("email", &c.email),
                ("nik", &c.nik),
            ] {
                if let Some(v) = value {
                    let n =
                        sqlx::query(&format!("UPDATE reporters SET {field} = $1 WHERE id = $2"))
                            .bind(v)
                            .bind(id)
                            .execute(&mut *conn)
                            .await
                            .map_err(db_err)?
                            .rows_affected();
                    if n == 0 {
                        return Err(StoreError::NotFound(format!("reporter {id}")));
                    }
                    changed.push(field);
                }
            }
            audit::append(
                conn,
                NewAuditEvent::new(actor, "reporter.corrected", "reporter", id)
                    .after(&json!({ "fields": changed })),
                at,
            )
            .await?;
        }
    }
    tx.commit().await.map_err(db_err)
}

pub(crate) async fn forget_reporter(pool: &PgPool, plan: &ForgetPlan, at: Timestamp) -> Result<()> {
    let mut tx = audit::begin(pool).await?;
    {
        let conn = &mut *tx;
        {
            let id = plan.reporter_id;
            let n = sqlx::query(
                "UPDATE reporters SET name = NULL, phone = NULL, email = NULL, nik = NULL, pseudonymised_at = $1 WHERE id = $2",
            )
            .bind(at)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound(format!("reporter {id}")));
            }
            // The chat conversations' traces of their addresses go with them.
            sqlx::query(
                "UPDATE inbound_messages SET address = NULL, payload = NULL, status = 'failed', last_error = 'reporter forgotten'
                  WHERE status IN ('received', 'handling')
                    AND address IN (SELECT address FROM reporter_addresses WHERE reporter_id = $1)",
            )
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
            for table in ["chat_windows", "chat_pending"] {
                sqlx::query(&format!(
                    "DELETE FROM {table} WHERE address IN (SELECT address FROM reporter_addresses WHERE reporter_id = $1)"
                ))
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            }
            sqlx::query("DELETE FROM reporter_addresses WHERE reporter_id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            for (report, title, body, address) in &plan.reports {
                sqlx::query("UPDATE reports SET title = $1, body = $2, address = $3 WHERE id = $4 AND reporter_id = $5")
                    .bind(title)
                    .bind(body)
                    .bind(address)
                    .bind(report)
                    .bind(id)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
            }
            for (entry, note) in &plan.activities {
                sqlx::query("UPDATE activities SET note = $1 WHERE id = $2")
                    .bind(note)
                    .bind(entry)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
            }
            for (message, body) in &plan.messages {
                sqlx::query("UPDATE messages SET body = $1 WHERE id = $2")
                    .bind(body)
                    .bind(message)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
            }
            for (attachment, filename) in &plan.attachments {
                sqlx::query("UPDATE attachments SET filename = $1 WHERE id = $2")
                    .bind(filename)
                    .bind(attachment)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
            }
            for (note, subject, body) in &plan.notifications {
                sqlx::query(
                    "UPDATE notifications SET address = NULL, subject = $1, body = $2,
                       status = CASE WHEN status IN ('pending', 'sending') THEN 'failed' ELSE status END,
                       last_error = CASE WHEN status IN ('pending', 'sending') THEN 'recipient forgotten (UU 27/2022)' ELSE last_error END,
                       lease_until = NULL
                     WHERE id = $3",
                )
                .bind(subject)
                .bind(body)
                .bind(note)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            }
            audit::append(
                conn,
                NewAuditEvent::new(&plan.actor, "reporter.forgotten", "reporter", id).after(
                    &json!({
                        "reports": plan.reports.len(),
                        "timeline_entries": plan.activities.len(),
                        "messages": plan.messages.len(),
                        "attachments": plan.attachments.len(),
                        "notifications": plan.notifications.len(),
                    }),
                ),
                at,
            )
            .await?;
        }
    }
    tx.commit().await.map_err(db_err)
}
