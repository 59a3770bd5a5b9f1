//! Read models for queues and dashboards.

use crate::util::{code, db_err, get, ts, ts_opt, us};
use crate::util::{code_opt, push_in_texts};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};
use tanggap_domain::Timestamp;
use tanggap_domain::{AssignmentRole, ReportKind, ReportStatus, Stage, TrackingId, Visibility};
use tanggap_store::{AssignmentBrief, InboxMessage, QueueItem, QueueSlice, Result, StoreError};

fn tracking(row: &SqliteRow) -> Result<TrackingId> {
    let t: String = get(row, "tracking_id")?;
    TrackingId::parse(&t).map_err(|_| StoreError::Backend(format!("bad tracking id `{t}`")))
}

/// The open stages are named (every `Stage` that `is_closed` is not) so that the index on
/// (agency, stage) finds them directly: `NOT IN` the closed ones walked every assignment the
/// agency ever had (33,000 for one agency at a million reports).
pub(crate) async fn open_assignments(
    pool: &SqlitePool,
    agency_ids: Option<&[String]>,
    now: Timestamp,
    offset: u32,
    limit: u32,
) -> Result<QueueSlice> {
    // The queue index (`assignments_queue`, migration 0023: the agency, the running deadline
    // and the id of each assignment in an open stage on a report still being worked) answers
    // both statements alone: the counts, then the page's ids, whose rows alone are read (a
    // report row holds its whole text). The queue itself stays inside SQLite: fetching every
    // open assignment of the agency to count them here (755 rows for the road agency at a
    // million reports) cost more than the page, each row handed over from sqlx's worker thread.
    // `INDEXED BY`: for the counts the planner chose the (agency, stage) index and read every
    // assignment's row.
    let now = us(now);
    let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*), COUNT(CASE WHEN a.queue_due < ");
    count.push_bind(now).push(" THEN 1 END)");
    push_queue(&mut count, agency_ids);
    let (total, overdue): (i64, i64) = count
        .build_query_as()
        .fetch_one(pool)
        .await
        .map_err(db_err)?;
    if total <= i64::from(offset) {
        return Ok(QueueSlice {
            items: Vec::new(),
            total: u64::try_from(total).unwrap_or_default(),
            overdue: u64::try_from(overdue).unwrap_or_default(),
        });
    }
    let mut qb = QueryBuilder::<Sqlite>::new(
        "SELECT r.id AS report_id, r.tracking_id, r.title, r.status, r.kind, r.anonim, r.rahasia, r.region_code,
                a.id AS assignment_id, a.agency_id, g.name AS agency_name, a.role, a.stage, a.responded, a.created_at,
                fr.due_at AS response_due_at, co.due_at AS completion_due_at
         FROM assignments a
         JOIN reports r ON r.id = a.report_id
         JOIN agencies g ON g.id = a.agency_id
         LEFT JOIN clocks fr ON fr.report_id = a.report_id AND fr.assignment_id = a.id AND fr.kind = 'first_response'
         LEFT JOIN clocks co ON co.report_id = a.report_id AND co.assignment_id = a.id AND co.kind = 'completion'
         WHERE a.id IN (SELECT a.id",
    );
    push_queue(&mut qb, agency_ids);
    qb.push(" ORDER BY a.queue_due NULLS LAST, a.id LIMIT ")
        .push_bind(i64::from(limit.clamp(1, 2000)))
        .push(" OFFSET ")
        .push_bind(i64::from(offset));
    qb.push(") ORDER BY a.queue_due NULLS LAST, a.id");
    let rows = qb.build().fetch_all(pool).await.map_err(db_err)?;
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
                assigned_at: ts(get(row, "created_at")?),
                response_due_at: ts_opt(get(row, "response_due_at")?),
                completion_due_at: ts_opt(get(row, "completion_due_at")?),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(QueueSlice {
        items,
        total: u64::try_from(total).unwrap_or_default(),
        overdue: u64::try_from(overdue).unwrap_or_default(),
    })
}

/// ` FROM` the open assignments of `agency_ids` (all agencies with `None`, none with an empty
/// list), as the queue index holds them.
fn push_queue(qb: &mut QueryBuilder<'_, Sqlite>, agency_ids: Option<&[String]>) {
    qb.push(
        " FROM assignments a INDEXED BY assignments_queue
          WHERE a.stage IN ('menunggu_respon', 'verifikasi', 'cek_lapangan', 'pengerjaan')
            AND a.report_finished = 0",
    );
    if let Some(ids) = agency_ids {
        push_in_texts(qb, "a.agency_id", ids);
    }
}

pub(crate) async fn inbound_messages(pool: &SqlitePool, limit: u32) -> Result<Vec<InboxMessage>> {
    let rows = sqlx::query(
        "SELECT m.*, r.tracking_id AS r_tracking, r.title AS r_title, r.status AS r_status
         FROM messages m LEFT JOIN reports r ON r.id = m.report_id
         WHERE m.direction = 'inbound' ORDER BY m.id DESC LIMIT ?",
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

pub(crate) async fn assignment_briefs(
    pool: &SqlitePool,
    ids: &[i64],
) -> Result<Vec<AssignmentBrief>> {
    let mut out = Vec::with_capacity(ids.len());
    // Within SQLite's limit on bound parameters.
    for chunk in ids.chunks(500) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT a.id AS assignment_id, a.report_id, r.tracking_id, r.title, r.status, a.agency_id, a.role, a.stage
             FROM assignments a JOIN reports r ON r.id = a.report_id WHERE a.id IN (",
        );
        let mut sep = qb.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        qb.push(")");
        for row in qb.build().fetch_all(pool).await.map_err(db_err)? {
            out.push(brief(&row)?);
        }
    }
    out.sort_by_key(|b| b.assignment_id);
    Ok(out)
}

fn brief(row: &SqliteRow) -> Result<AssignmentBrief> {
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
}

#[cfg(test)]
mod tests {
    use tanggap_domain::Stage;

    /// The agency queue names the open stages; a new stage must be added there.
    #[test]
    fn the_queue_names_every_open_stage() {
        let open: Vec<&str> = Stage::ALL
            .iter()
            .filter(|s| !s.is_closed())
            .map(|s| s.as_str())
            .collect();
        assert_eq!(
            open,
            [
                "menunggu_respon",
                "verifikasi",
                "cek_lapangan",
                "pengerjaan"
            ]
        );
    }
}
