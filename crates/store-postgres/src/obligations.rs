//! Response obligations and the facts behind the accountability figures (SPEC section 6).

use crate::audit;
use crate::util::{clock_from_row, code, db_err, get};
use serde_json::json;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use std::collections::HashMap;
use tanggap_domain::audit::NewAuditEvent;
use tanggap_domain::compliance::{AssignmentCounts, ObligationCounts};
use tanggap_domain::{AssignmentRole, Outcome, Stage, TrackingId};
use tanggap_store::{
    AssignmentFact, ComplianceCounts, NewObligation, ObligationRecord, Result, StoreError,
    Timestamp,
};

const SELECT: &str =
    "SELECT o.id, o.assignment_id, o.report_id, r.tracking_id, o.agency_id, o.cycle,
    o.started_at, o.due_at, o.responded_at, o.cancelled_at
    FROM obligations o JOIN reports r ON r.id = o.report_id";

fn tracking(row: &PgRow) -> Result<TrackingId> {
    let t: String = get(row, "tracking_id")?;
    TrackingId::parse(&t).map_err(|_| StoreError::Backend(format!("bad tracking id `{t}`")))
}

fn obligation_from_row(row: &PgRow) -> Result<ObligationRecord> {
    Ok(ObligationRecord {
        id: get(row, "id")?,
        assignment_id: get(row, "assignment_id")?,
        report_id: get(row, "report_id")?,
        tracking_id: tracking(row)?,
        agency_id: get(row, "agency_id")?,
        cycle: u32::try_from(get::<i32>(row, "cycle")?).unwrap_or(1),
        started_at: get(row, "started_at")?,
        due_at: get(row, "due_at")?,
        responded_at: get(row, "responded_at")?,
        cancelled_at: get(row, "cancelled_at")?,
    })
}

pub(crate) async fn obligations(
    pool: &PgPool,
    from: Timestamp,
    to: Timestamp,
    agency_ids: Option<&[String]>,
) -> Result<Vec<ObligationRecord>> {
    let mut qb: QueryBuilder<'_, Postgres> = QueryBuilder::new(SELECT);
    qb.push(" WHERE o.started_at >= ")
        .push_bind(from)
        .push(" AND o.started_at < ")
        .push_bind(to);
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
    pool: &PgPool,
    report_id: i64,
) -> Result<Vec<ObligationRecord>> {
    sqlx::query(&format!(
        "{SELECT} WHERE o.report_id = $1 ORDER BY o.started_at, o.id"
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
    pool: &PgPool,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<AssignmentFact>> {
    let rows = sqlx::query(
        "SELECT a.id, a.report_id, r.tracking_id, a.agency_id, a.role, a.stage, a.created_at, r.rating, r.outcome,
           EXISTS (SELECT 1 FROM obligations o WHERE o.assignment_id = a.id AND o.cycle > 1) AS reopened,
           EXISTS (SELECT 1 FROM activities x WHERE x.assignment_id = a.id AND x.stage = 'tuntas') AS finished
         FROM assignments a JOIN reports r ON r.id = a.report_id
         WHERE a.created_at >= $1 AND a.created_at < $2 ORDER BY a.id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    let clocks: HashMap<i64, tanggap_domain::Clock> = sqlx::query(
        "SELECT c.* FROM clocks c JOIN assignments a ON a.id = c.assignment_id
         WHERE c.kind = 'completion' AND a.created_at >= $1 AND a.created_at < $2",
    )
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
    .map_err(db_err)?
    .iter()
    .map(|row| Ok((get::<i64>(row, "assignment_id")?, clock_from_row(row)?)))
    .collect::<Result<_>>()?;
    rows.iter()
        .map(|row| {
            let id: i64 = get(row, "id")?;
            let rating: Option<i16> = get(row, "rating")?;
            Ok(AssignmentFact {
                assignment_id: id,
                report_id: get(row, "report_id")?,
                tracking_id: tracking(row)?,
                agency_id: get(row, "agency_id")?,
                role: code(row, "role", AssignmentRole::parse)?,
                stage: code(row, "stage", Stage::parse)?,
                created_at: get(row, "created_at")?,
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
    pool: &PgPool,
    rows: &[NewObligation],
    at: Timestamp,
) -> Result<u64> {
    let mut tx = audit::begin(pool).await?;
    let mut n = 0;
    for o in rows {
        n += sqlx::query(
            "INSERT INTO obligations (assignment_id, report_id, agency_id, cycle, started_at, due_at, responded_at, cancelled_at)
             SELECT a.id, a.report_id, a.agency_id, $1, $2, $3, $4, $5 FROM assignments a WHERE a.id = $6
             ON CONFLICT (assignment_id, cycle) DO NOTHING",
        )
        .bind(i32::try_from(o.cycle).unwrap_or(i32::MAX))
        .bind(o.started_at)
        .bind(o.due_at)
        .bind(o.responded_at)
        .bind(o.cancelled_at)
        .bind(o.assignment_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
    }
    audit::append(
        &mut tx,
        NewAuditEvent::new("system", "obligations.rebuilt", "obligations", "all")
            .after(&json!({ "rows": n })),
        at,
    )
    .await?;
    tx.commit().await.map_err(db_err)?;
    Ok(n)
}

/// `AND <column> IN (…)` for a scope; `false` when the scope is empty (nothing to count).
fn push_scope(qb: &mut QueryBuilder<'_, Postgres>, column: &str, ids: Option<&[String]>) -> bool {
    let Some(ids) = ids else { return true };
    if ids.is_empty() {
        return false;
    }
    qb.push(format!(" AND {column} IN ("));
    let mut sep = qb.separated(", ");
    for id in ids {
        sep.push_bind(id.clone());
    }
    sep.push_unseparated(")");
    true
}

/// Not answered and not cancelled before the deadline (SQL for `ObligationFact::outcome`).
const OPEN: &str =
    "o.responded_at IS NULL AND NOT (o.cancelled_at IS NOT NULL AND o.cancelled_at <= o.due_at)";

fn n(row: &PgRow, col: &str) -> Result<u64> {
    Ok(u64::try_from(get::<Option<i64>>(row, col)?.unwrap_or(0)).unwrap_or(0))
}

/// Median and 90th percentile of the `answered` first-response times of the obligations
/// started in `[from, to)` of `agency` (or of every agency in scope), read at their ranks
/// ([`tanggap_store::rank_pages`]): from the indexes ordered by response time when the period is
/// most of the history, else from the period's rows sorted (the planner chooses).
async fn response_times(
    conn: &mut PgConnection,
    agency: Option<&str>,
    answered: u64,
    from: Timestamp,
    to: Timestamp,
    ids: Option<&[String]>,
) -> Result<(Option<chrono::TimeDelta>, Option<chrono::TimeDelta>)> {
    let Some(pages) = tanggap_store::rank_pages(answered) else {
        return Ok((None, None));
    };
    let mut read: [Vec<i64>; 2] = Default::default();
    for ((offset, limit), page) in pages.into_iter().zip(&mut read) {
        let mut qb: QueryBuilder<'_, Postgres> = QueryBuilder::new(
            "SELECT response_us FROM obligations WHERE response_us IS NOT NULL AND started_at >= ",
        );
        qb.push_bind(from).push(" AND started_at < ").push_bind(to);
        if let Some(a) = agency {
            qb.push(" AND agency_id = ").push_bind(a.to_string());
        }
        push_scope(&mut qb, "agency_id", ids);
        qb.push(" ORDER BY response_us LIMIT ")
            .push_bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .push(" OFFSET ")
            .push_bind(i64::try_from(offset).unwrap_or(i64::MAX));
        *page = qb
            .build_query_scalar()
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    let (median, p90) = tanggap_store::figures_from_rank_pages(pages, read)?;
    Ok((Some(median), Some(p90)))
}

pub(crate) async fn compliance_counts(
    pool: &PgPool,
    from: Timestamp,
    to: Timestamp,
    ids: Option<&[String]>,
    now: Timestamp,
) -> Result<ComplianceCounts> {
    let mut out = ComplianceCounts::default();
    // One snapshot for every figure.
    let mut tx = pool.begin().await.map_err(db_err)?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    let mut qb: QueryBuilder<'_, Postgres> = QueryBuilder::new(
        "SELECT o.agency_id, COUNT(*) AS received,
           SUM(CASE WHEN o.responded_at <= o.due_at THEN 1 ELSE 0 END) AS on_time,
           SUM(CASE WHEN o.responded_at > o.due_at THEN 1 ELSE 0 END) AS late,
           SUM(CASE WHEN o.responded_at IS NULL AND o.cancelled_at <= o.due_at THEN 1 ELSE 0 END) AS cancelled,",
    );
    qb.push(format!(" SUM(CASE WHEN {OPEN} AND o.due_at < "))
        .push_bind(now)
        .push(format!(
            " THEN 1 ELSE 0 END) AS overdue, SUM(CASE WHEN {OPEN} AND o.due_at >= "
        ))
        .push_bind(now)
        .push(" THEN 1 ELSE 0 END) AS not_yet_due FROM obligations o WHERE TRUE");
    qb.push(" AND o.started_at >= ")
        .push_bind(from)
        .push(" AND o.started_at < ")
        .push_bind(to);
    if !push_scope(&mut qb, "o.agency_id", ids) {
        return Ok(out);
    }
    qb.push(" GROUP BY o.agency_id ORDER BY o.agency_id");
    for row in qb.build().fetch_all(&mut *tx).await.map_err(db_err)? {
        let agency_id: String = get(&row, "agency_id")?;
        let (on_time, late) = (n(&row, "on_time")?, n(&row, "late")?);
        let (median, p90) =
            response_times(&mut tx, Some(&agency_id), on_time + late, from, to, ids).await?;
        let c = ObligationCounts {
            received: n(&row, "received")?,
            on_time,
            late,
            unresponded_overdue: n(&row, "overdue")?,
            not_yet_due: n(&row, "not_yet_due")?,
            cancelled: n(&row, "cancelled")?,
            median_response: median,
            p90_response: p90,
            agency_id,
        };
        let t = &mut out.total;
        t.received += c.received;
        t.on_time += c.on_time;
        t.late += c.late;
        t.unresponded_overdue += c.unresponded_overdue;
        t.not_yet_due += c.not_yet_due;
        t.cancelled += c.cancelled;
        out.obligations.push(c);
    }
    let answered = out.total.on_time + out.total.late;
    (out.total.median_response, out.total.p90_response) =
        response_times(&mut tx, None, answered, from, to, ids).await?;

    // Assignments (a forwarded or returned one handed its work on: not judged), with the
    // completion of every clock that is not running judged on the time it used; what each
    // assignment's facts say is kept on it (migration 0012, the columns kept by triggers).
    const JUDGED: &str = "a.completion_judged";
    const DONE: &str = "a.stage = 'tuntas' AND a.completion_stopped";
    const RATED: &str = "a.role = 'utama' AND a.rating IS NOT NULL AND a.outcome IS NOT NULL";
    let mut qb: QueryBuilder<'_, Postgres> = QueryBuilder::new(format!(
        "SELECT a.agency_id,
           SUM(CASE WHEN {JUDGED} AND {DONE} AND NOT a.completion_over THEN 1 ELSE 0 END) AS on_target,
           SUM(CASE WHEN {JUDGED} AND {DONE} AND a.completion_over THEN 1 ELSE 0 END) AS done_late,
           SUM(CASE WHEN {JUDGED} AND NOT ({DONE}) AND a.completion_over THEN 1 ELSE 0 END) AS open_overdue,
           SUM(CASE WHEN a.reopened THEN 1 ELSE 0 END) AS reopened,
           SUM(CASE WHEN a.finished THEN 1 ELSE 0 END) AS finished,
           SUM(CASE WHEN {RATED} THEN 1 ELSE 0 END) AS ratings,
           SUM(CASE WHEN {RATED} THEN a.rating ELSE 0 END) AS rating_sum,
           SUM(CASE WHEN {RATED} AND a.outcome = 'fixed' THEN 1 ELSE 0 END) AS fixed,
           SUM(CASE WHEN {RATED} AND a.outcome = 'partly' THEN 1 ELSE 0 END) AS partly,
           SUM(CASE WHEN {RATED} AND a.outcome = 'not_fixed' THEN 1 ELSE 0 END) AS not_fixed
         FROM assignments a
         WHERE a.stage NOT IN ('diteruskan', 'bukan_wewenang') AND a.created_at >= "
    ));
    qb.push_bind(from)
        .push(" AND a.created_at < ")
        .push_bind(to);
    push_scope(&mut qb, "a.agency_id", ids);
    qb.push(" GROUP BY a.agency_id ORDER BY a.agency_id");
    for row in qb.build().fetch_all(&mut *tx).await.map_err(db_err)? {
        out.assignments.push(AssignmentCounts {
            agency_id: get(&row, "agency_id")?,
            completion_on_target: n(&row, "on_target")?,
            completion_late: n(&row, "done_late")?,
            completion_open_overdue: n(&row, "open_overdue")?,
            reopened: n(&row, "reopened")?,
            finished: n(&row, "finished")?,
            ratings: n(&row, "ratings")?,
            rating_sum: n(&row, "rating_sum")?,
            fixed: n(&row, "fixed")?,
            partly: n(&row, "partly")?,
            not_fixed: n(&row, "not_fixed")?,
        });
    }
    // A running clock whose deadline is still ahead has used no more than its budget (the
    // deadline is where the budget runs out on the calendar): nothing to count, nothing to load.
    // Found from the index of unstopped clocks by deadline (those past it, and those without
    // one), not by looking up every assignment's clock.
    let mut running = vec![];
    for past_due in [true, false] {
        let mut qb: QueryBuilder<'_, Postgres> = QueryBuilder::new(
            "SELECT a.id AS a_id, a.agency_id, c.* FROM clocks c
             JOIN assignments a ON a.id = c.assignment_id AND a.report_id = c.report_id
             WHERE c.stopped_at IS NULL AND c.kind = 'completion' AND c.running_since IS NOT NULL
               AND a.stage NOT IN ('diteruskan', 'bukan_wewenang') AND a.created_at >= ",
        );
        qb.push_bind(from)
            .push(" AND a.created_at < ")
            .push_bind(to);
        if past_due {
            qb.push(" AND c.due_at < ").push_bind(now);
        } else {
            qb.push(" AND c.due_at IS NULL");
        }
        push_scope(&mut qb, "a.agency_id", ids);
        for row in qb.build().fetch_all(&mut *tx).await.map_err(db_err)? {
            let id: i64 = get(&row, "a_id")?;
            running.push((id, get(&row, "agency_id")?, clock_from_row(&row)?));
        }
    }
    running.sort_by_key(|(id, _, _)| *id);
    out.running_completions = running.into_iter().map(|(_, a, c)| (a, c)).collect();
    Ok(out)
}

pub(crate) async fn lalai_obligations(
    pool: &PgPool,
    from: Timestamp,
    to: Timestamp,
    ids: Option<&[String]>,
    now: Timestamp,
) -> Result<Vec<ObligationRecord>> {
    let mut qb: QueryBuilder<'_, Postgres> = QueryBuilder::new(format!(
        "{SELECT} WHERE (o.responded_at > o.due_at OR ({OPEN} AND o.due_at < "
    ));
    qb.push_bind(now)
        .push(")) AND o.started_at >= ")
        .push_bind(from)
        .push(" AND o.started_at < ")
        .push_bind(to);
    if !push_scope(&mut qb, "o.agency_id", ids) {
        return Ok(vec![]);
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
