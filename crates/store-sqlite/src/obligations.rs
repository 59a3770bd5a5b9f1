//! Response obligations and the facts behind the accountability figures (SPEC section 6).

use crate::audit;
use crate::util::{clock_from_row, code, db_err, get, ts, ts_opt, us, us_opt};
use crate::writer::Writer;
use serde_json::json;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use std::collections::HashMap;
use tanggap_domain::audit::NewAuditEvent;
use tanggap_domain::{AssignmentRole, Outcome, Stage, TrackingId};
use tanggap_store::tally::{
    self, AssignmentTallies, AssignmentTallyRow, Histogram, ObligationTallies, ObligationTallyRow,
};
use tanggap_store::{
    AssignmentFact, ComplianceCounts, NewObligation, ObligationRecord, Result, StoreError,
    Timestamp,
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

/// `AND <column> IN (…)` for a scope; `false` when the scope is empty (nothing to count).
fn push_scope(qb: &mut QueryBuilder<'_, Sqlite>, column: &str, ids: Option<&[String]>) -> bool {
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

/// Median and 90th percentile of the `answered` first-response times of the obligations
/// started in `[from, to)` of `agency` (or of every agency in scope), read at their ranks
/// ([`tanggap_store::rank_pages`]): from the indexes ordered by response time when `walk`
/// ([`tanggap_store::walk_response_index`]), else from the period's rows sorted.
#[allow(clippy::too_many_arguments)]
async fn response_times(
    conn: &mut SqliteConnection,
    agency: Option<&str>,
    answered: u64,
    from: Timestamp,
    to: Timestamp,
    ids: Option<&[String]>,
    walk: bool,
) -> Result<(Option<chrono::TimeDelta>, Option<chrono::TimeDelta>)> {
    let Some(pages) = tanggap_store::rank_pages(answered) else {
        return Ok((None, None));
    };
    let index = match (walk, agency) {
        (true, Some(_)) => "obligations_response",
        (true, None) => "obligations_response_all",
        (false, _) => "obligations_figures",
    };
    let mut read: [Vec<i64>; 2] = Default::default();
    for ((offset, limit), page) in pages.into_iter().zip(&mut read) {
        let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new(format!(
            "SELECT response_us FROM obligations INDEXED BY {index}
             WHERE response_us IS NOT NULL AND started_at >= "
        ));
        qb.push_bind(us(from))
            .push(" AND started_at < ")
            .push_bind(us(to));
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

/// The response bucket of `o` (migration 0014, [`tanggap_store::tally::bucket_of`]).
const BUCKET: &str = "CASE WHEN o.responded_at IS NULL THEN -1 \
    WHEN o.responded_at - o.started_at < 21600000000 THEN MAX(o.responded_at - o.started_at, 0) / 300000000 \
    WHEN o.responded_at - o.started_at < 172800000000 THEN 72 + (o.responded_at - o.started_at - 21600000000) / 900000000 \
    WHEN o.responded_at - o.started_at < 2592000000000 THEN 240 + (o.responded_at - o.started_at - 172800000000) / 3600000000 \
    ELSE 912 + MIN((o.responded_at - o.started_at - 2592000000000) / 86400000000, 3650) END";

fn tally_row(row: &SqliteRow) -> Result<ObligationTallyRow> {
    let n = |c: &str| Ok::<i64, StoreError>(get::<Option<i64>>(row, c)?.unwrap_or(0));
    Ok(ObligationTallyRow {
        agency_id: get(row, "agency_id")?,
        bucket: get(row, "bucket")?,
        received: n("received")?,
        on_time: n("on_time")?,
        late: n("late")?,
        cancelled: n("cancelled")?,
        lapsed: n("lapsed")?,
    })
}

/// The period's obligations counted by agency and response bucket: whole cells from the
/// tallies, edges from the facts, the waiting ones live.
async fn obligation_tallies(
    conn: &mut SqliteConnection,
    from: Timestamp,
    to: Timestamp,
    ids: Option<&[String]>,
    now: Timestamp,
    plan: &tally::TallyPlan,
) -> Result<ObligationTallies> {
    let mut out = ObligationTallies::default();
    if let Some((first, end)) = plan.cells {
        let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new(
            "SELECT agency_id, bucket, SUM(received) AS received, SUM(on_time) AS on_time,
               SUM(late) AS late, SUM(cancelled) AS cancelled, SUM(lapsed) AS lapsed
             FROM obligation_tallies WHERE cell >= ",
        );
        qb.push_bind(first).push(" AND cell < ").push_bind(end);
        push_scope(&mut qb, "agency_id", ids);
        qb.push(" GROUP BY agency_id, bucket");
        for row in qb.build().fetch_all(&mut *conn).await.map_err(db_err)? {
            out.add(1, &tally_row(&row)?);
        }
    }
    for edge in &plan.edges {
        let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new(format!(
            "SELECT o.agency_id, {BUCKET} AS bucket, COUNT(*) AS received,
               SUM(o.responded_at <= o.due_at) AS on_time,
               SUM(o.responded_at > o.due_at) AS late,
               SUM(o.responded_at IS NULL AND o.cancelled_at <= o.due_at) AS cancelled,
               SUM(o.responded_at IS NULL AND o.cancelled_at > o.due_at) AS lapsed
             FROM obligations o INDEXED BY obligations_started WHERE o.started_at >= "
        ));
        qb.push_bind(us(edge.from))
            .push(" AND o.started_at < ")
            .push_bind(us(edge.to));
        push_scope(&mut qb, "o.agency_id", ids);
        qb.push(" GROUP BY 1, 2");
        for row in qb.build().fetch_all(&mut *conn).await.map_err(db_err)? {
            out.add(edge.sign, &tally_row(&row)?);
        }
    }
    let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new("SELECT agency_id, SUM(due_at < ");
    qb.push_bind(us(now))
        .push(") AS overdue, SUM(due_at >= ")
        .push_bind(us(now))
        .push(
            ") AS not_yet_due FROM obligations INDEXED BY obligations_waiting
             WHERE responded_at IS NULL AND cancelled_at IS NULL AND started_at >= ",
        )
        .push_bind(us(from))
        .push(" AND started_at < ")
        .push_bind(us(to));
    push_scope(&mut qb, "agency_id", ids);
    qb.push(" GROUP BY agency_id");
    let q = qb.build();
    for row in q.fetch_all(&mut *conn).await.map_err(db_err)? {
        let agency: String = get(&row, "agency_id")?;
        let n = |c: &str| Ok::<i64, StoreError>(get::<Option<i64>>(&row, c)?.unwrap_or(0));
        out.waiting(&agency, n("overdue")?, n("not_yet_due")?);
    }
    Ok(out)
}

/// The response time at `offset` in `order` among those of `agency` (or all in scope) in
/// `[bounds.0, bounds.1)` started in the period.
async fn in_bucket(
    conn: &mut SqliteConnection,
    agency: Option<&str>,
    bounds: (i64, i64),
    order: &str,
    offset: u64,
    (from, to): (Timestamp, Timestamp),
    ids: Option<&[String]>,
) -> Result<Option<i64>> {
    let index = if agency.is_some() {
        "obligations_response"
    } else {
        "obligations_response_all"
    };
    let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new(format!(
        "SELECT response_us FROM obligations INDEXED BY {index} WHERE response_us IS NOT NULL"
    ));
    if let Some(a) = agency {
        qb.push(" AND agency_id = ").push_bind(a.to_string());
    }
    qb.push(" AND response_us >= ")
        .push_bind(bounds.0)
        .push(" AND response_us < ")
        .push_bind(bounds.1)
        .push(" AND started_at >= ")
        .push_bind(us(from))
        .push(" AND started_at < ")
        .push_bind(us(to));
    push_scope(&mut qb, "agency_id", ids);
    qb.push(format!(" ORDER BY response_us{order} LIMIT 1 OFFSET "))
        .push_bind(i64::try_from(offset).unwrap_or(i64::MAX));
    qb.build_query_scalar::<i64>()
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)
}

/// Median and 90th percentile from the period's histogram: each rank's bucket found in it,
/// the value read from that bucket's few rows. `None` when a bucket does not hold what the
/// histogram says (the caller then reads the ranks the long way).
async fn response_times_from(
    conn: &mut SqliteConnection,
    agency: Option<&str>,
    hist: &Histogram,
    from: Timestamp,
    to: Timestamp,
    ids: Option<&[String]>,
) -> Result<Option<(chrono::TimeDelta, chrono::TimeDelta)>> {
    let Some([lo, hi, p90]) = tanggap_domain::metrics::ranks(hist.total(), 90) else {
        return Ok(None);
    };
    let mut values = [0i64; 3];
    let mut spans: tally::BucketSpans = vec![];
    for (rank, value) in [lo, hi, p90].into_iter().zip(&mut values) {
        let Some((min, max, offset)) = hist.locate(rank) else {
            return Ok(None);
        };
        // The least and greatest value of the bucket in the period, once per bucket: a
        // bucket whose values are all one (many answers at the same time after the start)
        // needs no walk to its offset.
        let span = match spans.iter().find(|(b, _)| *b == (min, max)) {
            Some((_, s)) => *s,
            None => {
                let s = {
                    let first = in_bucket(conn, agency, (min, max), "", 0, (from, to), ids).await?;
                    let last =
                        in_bucket(conn, agency, (min, max), " DESC", 0, (from, to), ids).await?;
                    first.zip(last)
                };
                spans.push(((min, max), s));
                s
            }
        };
        let found = match span {
            Some((a, b)) if a == b => Some(a),
            Some(_) => in_bucket(conn, agency, (min, max), "", offset, (from, to), ids).await?,
            None => None,
        };
        match found {
            Some(v) => *value = v,
            None => return Ok(None),
        }
    }
    Ok(Some((
        tanggap_domain::metrics::median_of_middle(values[0], values[1]),
        chrono::TimeDelta::microseconds(values[2]),
    )))
}

/// The assignment counts of `[from, to)` from the facts (an edge of a period).
async fn assignment_counts(
    conn: &mut SqliteConnection,
    from: Timestamp,
    to: Timestamp,
    ids: Option<&[String]>,
) -> Result<Vec<AssignmentTallyRow>> {
    // Assignments (a forwarded or returned one handed its work on: not judged), with the
    // completion of every clock that is not running judged on the time it used; what each
    // assignment's facts say is kept on it (migration 0012, the columns kept by triggers).
    const JUDGED: &str = "a.completion_judged";
    const DONE: &str = "a.stage = 'tuntas' AND a.completion_stopped";
    const RATED: &str = "a.role = 'utama' AND a.rating IS NOT NULL AND a.outcome IS NOT NULL";
    let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new(format!(
        "SELECT a.agency_id, COUNT(*) AS counted,
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
         FROM assignments a INDEXED BY assignments_figures
         WHERE a.stage NOT IN ('diteruskan', 'bukan_wewenang') AND a.created_at >= "
    ));
    qb.push_bind(us(from))
        .push(" AND a.created_at < ")
        .push_bind(us(to));
    push_scope(&mut qb, "a.agency_id", ids);
    qb.push(" GROUP BY a.agency_id");
    qb.build()
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?
        .iter()
        .map(assignment_tally_row)
        .collect()
}

fn assignment_tally_row(row: &SqliteRow) -> Result<AssignmentTallyRow> {
    let n = |c: &str| Ok::<i64, StoreError>(get::<Option<i64>>(row, c)?.unwrap_or(0));
    let mut counts = [0; 10];
    for (c, column) in counts.iter_mut().zip(tally::ASSIGNMENT_COUNT_COLUMNS) {
        *c = n(column)?;
    }
    Ok(AssignmentTallyRow {
        agency_id: get(row, "agency_id")?,
        counted: n("counted")?,
        counts,
    })
}

pub(crate) async fn compliance_counts(
    pool: &SqlitePool,
    from: Timestamp,
    to: Timestamp,
    ids: Option<&[String]>,
    now: Timestamp,
) -> Result<ComplianceCounts> {
    let mut out = ComplianceCounts::default();
    if ids.is_some_and(<[String]>::is_empty) {
        return Ok(out);
    }
    // One read transaction: every figure from the same snapshot of the file.
    let mut tx = pool.begin().await.map_err(db_err)?;
    let plan = tally::tally_plan(from, to);
    let tallies = obligation_tallies(&mut tx, from, to, ids, now, &plan).await?;
    let counted = tallies.counts();
    let mut walk = None;
    for (mut c, hist) in counted.iter().cloned() {
        (c.median_response, c.p90_response) =
            match response_times_from(&mut tx, Some(&c.agency_id), &hist, from, to, ids).await? {
                Some((m, p)) if hist.total() == c.on_time + c.late => (Some(m), Some(p)),
                _ if c.on_time + c.late == 0 => (None, None),
                _ => {
                    let w = walk_index(&mut tx, &mut walk, from, to, now).await?;
                    response_times(
                        &mut tx,
                        Some(&c.agency_id),
                        c.on_time + c.late,
                        from,
                        to,
                        ids,
                        w,
                    )
                    .await?
                }
            };
        tally::add_to_total(&mut out.total, &c);
        out.obligations.push(c);
    }
    let answered = out.total.on_time + out.total.late;
    let all = tally::merged(&counted.iter().map(|(_, h)| h).collect::<Vec<_>>());
    (out.total.median_response, out.total.p90_response) =
        match response_times_from(&mut tx, None, &all, from, to, ids).await? {
            Some((m, p)) if all.total() == answered => (Some(m), Some(p)),
            _ if answered == 0 => (None, None),
            _ => {
                let w = walk_index(&mut tx, &mut walk, from, to, now).await?;
                response_times(&mut tx, None, answered, from, to, ids, w).await?
            }
        };

    let mut assignments = AssignmentTallies::default();
    if let Some((first, end)) = plan.cells {
        let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new(
            "SELECT agency_id, SUM(counted) AS counted, SUM(on_target) AS on_target,
               SUM(done_late) AS done_late, SUM(open_overdue) AS open_overdue,
               SUM(reopened) AS reopened, SUM(finished) AS finished, SUM(ratings) AS ratings,
               SUM(rating_sum) AS rating_sum, SUM(fixed) AS fixed, SUM(partly) AS partly,
               SUM(not_fixed) AS not_fixed
             FROM assignment_tallies WHERE cell >= ",
        );
        qb.push_bind(first).push(" AND cell < ").push_bind(end);
        push_scope(&mut qb, "agency_id", ids);
        qb.push(" GROUP BY agency_id");
        for row in qb.build().fetch_all(&mut *tx).await.map_err(db_err)? {
            assignments.add(1, &assignment_tally_row(&row)?);
        }
    }
    for edge in &plan.edges {
        for row in assignment_counts(&mut tx, edge.from, edge.to, ids).await? {
            assignments.add(edge.sign, &row);
        }
    }
    out.assignments = assignments.counts();
    // A running clock whose deadline is still ahead has used no more than its budget (the
    // deadline is where the budget runs out on the calendar): nothing to count, nothing to load.
    // Found from the index of unstopped clocks by deadline (those past it, and those without
    // one), not by looking up every assignment's clock.
    let mut running = vec![];
    for past_due in [true, false] {
        let mut qb: QueryBuilder<'_, Sqlite> = QueryBuilder::new(
            "SELECT a.id AS a_id, a.agency_id, c.* FROM clocks c INDEXED BY clocks_due
             JOIN assignments a ON a.id = c.assignment_id AND a.report_id = c.report_id
             WHERE c.stopped_at IS NULL AND c.kind = 'completion' AND c.running_since IS NOT NULL
               AND a.stage NOT IN ('diteruskan', 'bukan_wewenang') AND a.created_at >= ",
        );
        qb.push_bind(us(from))
            .push(" AND a.created_at < ")
            .push_bind(us(to));
        if past_due {
            qb.push(" AND c.due_at < ").push_bind(us(now));
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

/// Whether the long way to the ranks walks the index by response time (asked once).
async fn walk_index(
    conn: &mut SqliteConnection,
    known: &mut Option<bool>,
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
) -> Result<bool> {
    if let Some(w) = known {
        return Ok(*w);
    }
    let first: Option<i64> = sqlx::query_scalar("SELECT MIN(started_at) FROM obligations")
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
    let w = tanggap_store::walk_response_index(from, to, now, first.map(ts));
    *known = Some(w);
    Ok(w)
}

/// The lalai obligations of a period: answered late, or not answered (nor cancelled in time)
/// and past the deadline at `now`; read from the covering index of those that can be
/// (migration 0014) in one bulk read.
pub(crate) async fn lalai_obligations(
    bulk: &std::sync::Arc<crate::bulk::Bulk>,
    from: Timestamp,
    to: Timestamp,
    ids: Option<&[String]>,
    now: Timestamp,
) -> Result<Vec<ObligationRecord>> {
    let ids: Option<Vec<String>> = ids.map(<[String]>::to_vec);
    if ids.as_ref().is_some_and(Vec::is_empty) {
        return Ok(vec![]);
    }
    let rows = bulk
        .read(move |conn| {
            use rusqlite::types::Value;
            let mut sql = String::from(
                "SELECT o.id, o.assignment_id, o.report_id,
                   COALESCE(o.tracking_id, (SELECT r.tracking_id FROM reports r WHERE r.id = o.report_id)),
                   o.agency_id, o.cycle, o.started_at, o.due_at, o.responded_at, o.cancelled_at
                 FROM obligations o INDEXED BY obligations_lalai
                 WHERE (o.responded_at > o.due_at OR (o.responded_at IS NULL AND (o.cancelled_at IS NULL OR o.cancelled_at > o.due_at)))
                   AND (o.responded_at > o.due_at OR o.due_at < ?)
                   AND o.started_at >= ? AND o.started_at < ?",
            );
            let mut params = vec![
                Value::Integer(us(now)),
                Value::Integer(us(from)),
                Value::Integer(us(to)),
            ];
            if let Some(ids) = ids {
                sql.push_str(" AND o.agency_id IN (");
                sql.push_str(&vec!["?"; ids.len()].join(", "));
                sql.push(')');
                params.extend(ids.into_iter().map(Value::Text));
            }
            sql.push_str(" ORDER BY o.started_at, o.id");
            let mut stmt = conn.prepare(&sql)?;
            let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
            let mut out = vec![];
            while let Some(row) = rows.next()? {
                out.push((
                    [row.get::<_, i64>(0)?, row.get(1)?, row.get(2)?, row.get(5)?],
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    [row.get::<_, i64>(6)?, row.get(7)?],
                    [row.get::<_, Option<i64>>(8)?, row.get(9)?],
                ));
            }
            Ok(out)
        })
        .await?;
    rows.into_iter()
        .map(
            |([id, assignment_id, report_id, cycle], t, agency_id, [s, d], [r, c])| {
                Ok(ObligationRecord {
                    id,
                    assignment_id,
                    report_id,
                    tracking_id: TrackingId::parse(&t)
                        .map_err(|_| StoreError::Backend(format!("bad tracking id `{t}`")))?,
                    agency_id,
                    cycle: u32::try_from(cycle).unwrap_or(1),
                    started_at: ts(s),
                    due_at: ts(d),
                    responded_at: ts_opt(r),
                    cancelled_at: ts_opt(c),
                })
            },
        )
        .collect()
}
