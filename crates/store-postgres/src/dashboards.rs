//! Read models for queues and dashboards.

use crate::util::code_opt;
use crate::util::{code, db_err, get};
use sqlx::PgPool;
use sqlx::postgres::PgRow;
use tanggap_domain::Timestamp;
use tanggap_domain::{AssignmentRole, ReportKind, ReportStatus, Stage, TrackingId, Visibility};
use tanggap_store::{AssignmentBrief, InboxMessage, QueueItem, QueueSlice, Result, StoreError};

fn tracking(row: &PgRow) -> Result<TrackingId> {
    let t: String = get(row, "tracking_id")?;
    TrackingId::parse(&t).map_err(|_| StoreError::Backend(format!("bad tracking id `{t}`")))
}

/// The open stages are named (every `Stage` that `is_closed` is not) so that the index on
/// (agency, stage) finds them directly: `NOT IN` the closed ones walked every assignment the
/// agency ever had (33,000 for one agency at a million reports).
pub(crate) async fn open_assignments(
    pool: &PgPool,
    agency_ids: Option<&[String]>,
    now: Timestamp,
    offset: u32,
    limit: u32,
) -> Result<QueueSlice> {
    // The queue index (`assignments_queue`, migration 0023) holds each assignment in an open
    // stage on a report still being worked with its agency and running deadline: the counts
    // and the page's ids come from it, then only the page's rows are read (a report row holds
    // its whole text). With no agency named, the index is read whole (every open assignment).
    // One agency (most agencies have no sub-units) is named with `=`: the index then gives the
    // queue in deadline order and the page stops after its rows, where `= ANY` read and sorted
    // the whole queue (733 entries for the road agency at a million reports).
    let scope = match agency_ids {
        Some([_]) => " AND a.agency_id = ($1::text[])[1]",
        Some(_) => " AND a.agency_id = ANY($1)",
        None => " AND $1::text[] IS NULL",
    };
    let queue = format!(
        " FROM assignments a
         WHERE a.stage IN ('menunggu_respon', 'verifikasi', 'cek_lapangan', 'pengerjaan')
           AND NOT a.report_finished{scope}"
    );
    let (total, overdue): (i64, i64) = sqlx::query_as(&format!(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE a.queue_due < $2){queue}"
    ))
    .bind(agency_ids)
    .bind(now)
    .fetch_one(pool)
    .await
    .map_err(db_err)?;
    let rows = sqlx::query(&format!(
        "SELECT r.id AS report_id, r.tracking_id, r.title, r.status, r.kind, r.anonim, r.rahasia, r.region_code,
                a.id AS assignment_id, a.agency_id, g.name AS agency_name, a.role, a.stage, a.responded, a.created_at,
                fr.due_at AS response_due_at, co.due_at AS completion_due_at
         FROM (SELECT a.id, a.queue_due AS due{queue} ORDER BY due NULLS LAST, a.id LIMIT $2 OFFSET $3) p
         JOIN assignments a ON a.id = p.id
         JOIN reports r ON r.id = a.report_id
         JOIN agencies g ON g.id = a.agency_id
         LEFT JOIN clocks fr ON fr.report_id = a.report_id AND fr.assignment_id = a.id AND fr.kind = 'first_response'
         LEFT JOIN clocks co ON co.report_id = a.report_id AND co.assignment_id = a.id AND co.kind = 'completion'
         ORDER BY p.due NULLS LAST, a.id"
    ))
    .bind(agency_ids)
    .bind(i64::from(limit.clamp(1, 2000)))
    .bind(i64::from(offset))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    let items = rows
        .iter()
        .map(|row| {
            Ok(QueueItem {
                report_id: get(row, "report_id")?,
                tracking_id: tracking(row)?,
                title: get(row, "title")?,
                report_status: code(row, "status", ReportStatus::parse)?,
                kind: code(row, "kind", ReportKind::parse)?,
                visibility: Visibility {
                    anonim: get(row, "anonim")?,
                    rahasia: get(row, "rahasia")?,
                },
                region_code: get(row, "region_code")?,
                assignment_id: get(row, "assignment_id")?,
                agency_id: get(row, "agency_id")?,
                agency_name: get(row, "agency_name")?,
                role: code(row, "role", AssignmentRole::parse)?,
                stage: code(row, "stage", Stage::parse)?,
                responded: get(row, "responded")?,
                assigned_at: get(row, "created_at")?,
                response_due_at: get(row, "response_due_at")?,
                completion_due_at: get(row, "completion_due_at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(QueueSlice {
        items,
        total: u64::try_from(total).unwrap_or_default(),
        overdue: u64::try_from(overdue).unwrap_or_default(),
    })
}

pub(crate) async fn inbound_messages(pool: &PgPool, limit: u32) -> Result<Vec<InboxMessage>> {
    let rows = sqlx::query(
        "SELECT m.*, r.tracking_id AS r_tracking, r.title AS r_title, r.status AS r_status
         FROM messages m LEFT JOIN reports r ON r.id = m.report_id
         WHERE m.direction = 'inbound' ORDER BY m.id DESC LIMIT $1",
    )
    .bind(i64::from(limit.clamp(1, 500)))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|row| {
            let t: Option<String> = get(row, "r_tracking")?;
            Ok(InboxMessage {
                message: crate::reports::message_from_row(row)?,
                tracking_id: t.and_then(|t| TrackingId::parse(&t).ok()),
                report_title: get(row, "r_title")?,
                report_status: code_opt(row, "r_status", ReportStatus::parse)?,
            })
        })
        .collect()
}

pub(crate) async fn assignment_briefs(pool: &PgPool, ids: &[i64]) -> Result<Vec<AssignmentBrief>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let rows = sqlx::query(
        "SELECT a.id AS assignment_id, a.report_id, r.tracking_id, r.title, r.status, a.agency_id, a.role, a.stage
         FROM assignments a JOIN reports r ON r.id = a.report_id
         WHERE a.id = ANY($1) ORDER BY a.id",
    )
    .bind(ids)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|row| {
            Ok(AssignmentBrief {
                assignment_id: get(row, "assignment_id")?,
                report_id: get(row, "report_id")?,
                tracking_id: tracking(row)?,
                title: get(row, "title")?,
                report_status: code(row, "status", ReportStatus::parse)?,
                agency_id: get(row, "agency_id")?,
                role: code(row, "role", AssignmentRole::parse)?,
                stage: code(row, "stage", Stage::parse)?,
            })
        })
        .collect()
}
