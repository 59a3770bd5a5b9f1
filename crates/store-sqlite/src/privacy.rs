//! Personal data (UU 27/2022): a reporter's record, its correction, and forgetting it.

use crate::audit;
use crate::util::{db_err, get, ts, ts_opt, us};
use crate::writer::Writer;
use serde_json::json;
use sqlx::{Row, SqlitePool};
use tanggap_domain::Channel;
use tanggap_domain::audit::NewAuditEvent;
use tanggap_store::{
    ForgetPlan, ReporterCorrection, ReporterRecord, ReporterRow, Result, StoreError, Timestamp,
};

pub(crate) async fn reporter(pool: &SqlitePool, id: i64) -> Result<Option<ReporterRow>> {
    let Some(row) = sqlx::query(
        "SELECT id, name, phone, email, nik, created_at, pseudonymised_at FROM reporters WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?
    else {
        return Ok(None);
    };
    let addresses = sqlx::query(
        "SELECT channel, address FROM reporter_addresses WHERE reporter_id = ? ORDER BY channel, address",
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
        created_at: ts(get(&row, "created_at")?),
        pseudonymised_at: ts_opt(get(&row, "pseudonymised_at")?),
    }))
}

pub(crate) async fn correct_reporter(
    w: &Writer,
    id: i64,
    c: ReporterCorrection,
    actor: String,
    at: Timestamp,
) -> Result<()> {
    w.run(move |conn| {
        Box::pin(async move {
            let mut changed = Vec::new();
            for (field, value) in [
                ("name", &c.name),
                ("phone", &c.phone),
                ("email", &c.email),
                ("nik", &c.nik),
            ] {
                if let Some(v) = value {
                    let n = sqlx::query(&format!("UPDATE reporters SET {field} = ? WHERE id = ?"))
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
                NewAuditEvent::new(&actor, "reporter.corrected", "reporter", id)
                    .after(&json!({ "fields": changed })),
                at,
            )
            .await?;
            Ok(())
        })
    })
    .await
}

pub(crate) async fn forget_reporter(w: &Writer, plan: ForgetPlan, at: Timestamp) -> Result<()> {
    w.run(move |conn| {
        Box::pin(async move {
            let id = plan.reporter_id;
            let n = sqlx::query(
                "UPDATE reporters SET name = NULL, phone = NULL, email = NULL, nik = NULL, pseudonymised_at = ? WHERE id = ?",
            )
            .bind(us(at))
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
                    AND address IN (SELECT address FROM reporter_addresses WHERE reporter_id = ?)",
            )
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
            for table in ["chat_windows", "chat_pending"] {
                sqlx::query(&format!(
                    "DELETE FROM {table} WHERE address IN (SELECT address FROM reporter_addresses WHERE reporter_id = ?)"
                ))
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            }
            sqlx::query("DELETE FROM reporter_addresses WHERE reporter_id = ?")
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            for (report, title, body, address) in &plan.reports {
                sqlx::query("UPDATE reports SET title = ?, body = ?, address = ? WHERE id = ? AND reporter_id = ?")
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
                sqlx::query("UPDATE activities SET note = ? WHERE id = ?")
                    .bind(note)
                    .bind(entry)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
            }
            for (message, body) in &plan.messages {
                sqlx::query("UPDATE messages SET body = ? WHERE id = ?")
                    .bind(body)
                    .bind(message)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
            }
            for (attachment, filename) in &plan.attachments {
                sqlx::query("UPDATE attachments SET filename = ? WHERE id = ?")
                    .bind(filename)
                    .bind(attachment)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
            }
            for (note, subject, body) in &plan.notifications {
                sqlx::query(
                    "UPDATE notifications SET address = NULL, subject = ?, body = ?,
                       status = CASE WHEN status IN ('pending', 'sending') THEN 'failed' ELSE status END,
                       last_error = CASE WHEN status IN ('pending', 'sending') THEN 'recipient forgotten (UU 27/2022)' ELSE last_error END,
                       lease_until = NULL
                     WHERE id = ?",
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
                NewAuditEvent::new(&plan.actor, "reporter.forgotten", "reporter", id).after(&json!({
                    "reports": plan.reports.len(),
                    "timeline_entries": plan.activities.len(),
                    "messages": plan.messages.len(),
                    "attachments": plan.attachments.len(),
                    "notifications": plan.notifications.len(),
                })),
                at,
            )
            .await?;
            Ok(())
        })
    })
    .await
}
