//! What the reporter-updates job reads and writes.

use crate::reports::activity_from_row;
use crate::scheduler::insert_notification;
use crate::util::{code, db_err, get};
use crate::writer::Writer;
use sqlx::SqlitePool;
use tanggap_domain::{Channel, ReportStatus, TrackingId};
use tanggap_store::{
    NewNotification, ReporterRecord, ReporterUpdate, Result, StoreError, Timestamp,
};

pub(crate) async fn reporter_updates(
    pool: &SqlitePool,
    after: i64,
    limit: u32,
) -> Result<Vec<ReporterUpdate>> {
    let rows = sqlx::query(
        "SELECT a.*, r.tracking_id, r.title AS r_title, r.channel AS r_channel, r.status AS r_status, r.reporter_id AS r_reporter,
                p.name AS p_name, p.phone AS p_phone, p.email AS p_email,
                (SELECT ra.address FROM reporter_addresses ra WHERE ra.reporter_id = r.reporter_id AND ra.channel = r.channel LIMIT 1) AS chat_address
         FROM activities a
         JOIN reports r ON r.id = a.report_id
         LEFT JOIN reporters p ON p.id = r.reporter_id
         WHERE a.id > ? AND a.audience IN ('public', 'conversation')
         ORDER BY a.id LIMIT ?",
    )
    .bind(after)
    .bind(i64::from(limit.clamp(1, 1000)))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|row| {
            let tracking: String = get(row, "tracking_id")?;
            let reporter_id: Option<i64> = get(row, "r_reporter")?;
            Ok(ReporterUpdate {
                activity: activity_from_row(row)?,
                tracking_id: TrackingId::parse(&tracking)
                    .map_err(|_| StoreError::Backend(format!("bad tracking id `{tracking}`")))?,
                title: get(row, "r_title")?,
                channel: code(row, "r_channel", Channel::parse)?,
                status: code(row, "r_status", ReportStatus::parse)?,
                reporter: match reporter_id {
                    None => None,
                    Some(id) => Some(ReporterRecord {
                        id,
                        name: get(row, "p_name")?,
                        phone: get(row, "p_phone")?,
                        email: get(row, "p_email")?,
                        nik: None,
                    }),
                },
                chat_address: get(row, "chat_address")?,
            })
        })
        .collect()
}

pub(crate) async fn job_cursor(pool: &SqlitePool, name: &str) -> Result<i64> {
    let v: Option<i64> = sqlx::query_scalar("SELECT position FROM job_cursors WHERE name = ?")
        .bind(name)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    Ok(v.unwrap_or(0))
}

pub(crate) async fn advance_job_cursor(
    w: &Writer,
    name: String,
    from: i64,
    to: i64,
    notifications: Vec<NewNotification>,
    at: Timestamp,
) -> Result<bool> {
    w.run(move |conn| {
        Box::pin(async move {
            let current: Option<i64> = sqlx::query_scalar("SELECT position FROM job_cursors WHERE name = ?").bind(&name).fetch_optional(&mut *conn).await.map_err(db_err)?;
            if current.unwrap_or(0) != from {
                return Ok(false);
            }
            sqlx::query("INSERT INTO job_cursors (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position")
                .bind(&name)
                .bind(to)
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
