//! Response obligations and the facts behind the accountability figures (SPEC section 6).

use crate::audit;
use crate::util::{clock_from_row, code, db_err, get, ts, ts_opt, us, us_opt};
use crate::writer::Writer;
use serde_json::json;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};
use std::collections::HashMap;
use tanggap_domain::audit::NewAuditEvent;
use tanggap_domain::{AssignmentRole, Outcome, Stage, TrackingId};
use tanggap_store::{
    AssignmentFact, NewObligation, ObligationRecord, Result, StoreError, Timestamp,
};

const SELECT: &str =
    "SELECT o.id, o.assignment_id, o.report_id, r.tracking_id, o.agency_id, o.cycle,
    o.started_at, o.due_at, o.responded_at, o.cancelled_at
    FROM obligations o JOIN reports r ON r.id = o.report_id";

fn tracking(row: &SqliteRow) -> Result<TrackingId> {
    let t: String = get(row, "tracking_id")?;
    TrackingId::parse(&t).map_err(|_| StoreError::Backend(format!("bad tracking id `{t}`")))
}

fn obligation_from_row(row: &SqliteRow) -> Result<ObligationRecord> {
    Ok(ObligationRecord {
        id: get(row, "id")?,
        assignment_id: get(row, "assignment_id")?,
        report_id: get(row, "report_id")?,
        tracking_id: tracking(row)?,
        agency_id: get(row, "agency_id")?,
        cycle: u32::try_from(get::<i64>(row, "cycle")?).unwrap_or(1),
        started_at: ts(get(row, "started_at")?),
        due_at: ts(get(row, "due_at")?),
        responded_at: ts_opt(get(row, "responded_at")?),
        cancelled_at: ts_opt(get(row, "cancelled_at")?),
    })
}

pub(crate) async fn obligations(
    pool: &SqlitePool,
    from: Timestamp,
    to: Timestamp,
    agency_ids: Option<&[String]>,
) -> Result<Vec<ObligationRecord>> {
    let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new(SELECT);
    qb.push(" WHERE o.started_at >= ")
        .push_bind(us(from))
        .push(" AND o.started_at < ")
        .push_bind(us(to));
    if let Some(ids) = agency_ids {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        qb.push(" AND o.agency_id IN (");
        let mut sep = qb.separated(", ");
        for id in ids {
            sep.push_bind(id.clone());
        }
        sep.push_unseparated(")");
    }
    qb.push(" ORDER BY o.started_at, o.id");
    qb.build()
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(obligation_from_row)
        .collect()
}

pub(crate) async fn report_obligations(
    pool: &SqlitePool,
    report_id: i64,
) -> Result<Vec<ObligationRecord>> {
    sqlx::query(&format!(
        "{SELECT} WHERE o.report_id = ? ORDER BY o.started_at, o.id"
    ))
    .bind(report_id)
    .fetch_all(pool)
    .await
    .map_err(db_err)?
    .iter()
    .map(obligation_from_row)
    .collect()
}

pub(crate) async fn assignment_facts(
    pool: &SqlitePool,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<AssignmentFact>> {
    let rows = sqlx::query(
        "SELECT a.id, a.report_id, r.tracking_id, a.agency_id, a.role, a.stage, a.created_at, r.rating, r.outcome,
           EXISTS (SELECT 1 FROM obligations o WHERE o.assignment_id = a.id AND o.cycle > 1) AS reopened,
           EXISTS (SELECT 1 FROM activities x WHERE x.assignment_id = a.id AND x.stage = 'tuntas') AS finished
         FROM assignments a JOIN reports r ON r.id = a.report_id
         WHERE a.created_at >= ? AND a.created_at < ? ORDER BY a.id",
    )
    .bind(us(from))
    .bind(us(to))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    let clocks: HashMap<i64, tanggap_domain::Clock> = sqlx::query(
        "SELECT c.* FROM clocks c JOIN assignments a ON a.id = c.assignment_id
         WHERE c.kind = 'completion' AND a.created_at >= ? AND a.created_at < ?",
    )
    .bind(us(from))
    .bind(us(to))
    .fetch_all(pool)
    .await
    .map_err(db_err)?
    .iter()
    .map(|row| Ok((get::<i64>(row, "assignment_id")?, clock_from_row(row)?)))
    .collect::<Result<_>>()?;
    rows.iter()
        .map(|row| {
            let id: i64 = get(row, "id")?;
            let rating: Option<i64> = get(row, "rating")?;
            Ok(AssignmentFact {
                assignment_id: id,
                report_id: get(row, "report_id")?,
                tracking_id: tracking(row)?,
                agency_id: get(row, "agency_id")?,
                role: code(row, "role", AssignmentRole::parse)?,
                stage: code(row, "stage", Stage::parse)?,
                created_at: ts(get(row, "created_at")?),
                completion: clocks.get(&id).cloned(),
                finished: get(row, "finished")?,
                reopened: get(row, "reopened")?,
                rating: rating.and_then(|r| u8::try_from(r).ok()),
                outcome: get::<Option<String>>(row, "outcome")?
                    .as_deref()
                    .and_then(Outcome::parse),
            })
        })
        .collect()
}

pub(crate) async fn insert_obligations(
    w: &Writer,
    rows: Vec<NewObligation>,
    at: Timestamp,
) -> Result<u64> {
    w.run(move |conn| {
        Box::pin(async move {
            let mut n = 0;
            for o in &rows {
                n += sqlx::query(
                    "INSERT INTO obligations (assignment_id, report_id, agency_id, cycle, started_at, due_at, responded_at, cancelled_at)
                     SELECT a.id, a.report_id, a.agency_id, ?, ?, ?, ?, ? FROM assignments a WHERE a.id = ?
                     ON CONFLICT (assignment_id, cycle) DO NOTHING",
                )
                .bind(i64::from(o.cycle))
                .bind(us(o.started_at))
                .bind(us(o.due_at))
                .bind(us_opt(o.responded_at))
                .bind(us_opt(o.cancelled_at))
                .bind(o.assignment_id)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?
                .rows_affected();
            }
            audit::append(
                conn,
                NewAuditEvent::new("system", "obligations.rebuilt", "obligations", "all")
                    .after(&json!({ "rows": n })),
                at,
            )
            .await?;
            Ok(n)
        })
    })
    .await
}
