//! Response obligations and the facts behind the accountability figures (SPEC section 6).

use crate::audit;
use crate::util::{clock_from_row, code, db_err, get};
use serde_json::json;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
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

/// The response bucket of `o` (migration 0014, [`tanggap_store::tally::bucket_of`]); `RESP` stands
/// for its response time in microseconds as the generated column `response_us` computes it.
const BUCKET: &str = "CASE WHEN o.responded_at IS NULL THEN -1 \
    WHEN RESP < 21600000000 THEN GREATEST(RESP, 0) / 300000000 \
    WHEN RESP < 172800000000 THEN 72 + (RESP - 21600000000) / 900000000 \
    WHEN RESP < 2592000000000 THEN 240 + (RESP - 172800000000) / 3600000000 \
    ELSE 912 + LEAST((RESP - 2592000000000) / 86400000000, 3650) END";

fn tally_row(row: &PgRow) -> Result<ObligationTallyRow> {
    let n = |c: &str| Ok::<i64, StoreError>(get::<Option<i64>>(row, c)?.unwrap_or(0));
    Ok(ObligationTallyRow {
        agency_id: get(row, "agency_id")?,
        bucket: n("bucket")?,
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
    conn: &mut PgConnection,
    from: Timestamp,
    to: Timestamp,
    ids: Option<&[String]>,
    now: Timestamp,
    plan: &tally::TallyPlan,
) -> Result<ObligationTallies> {
    let mut out = ObligationTallies::default();
    if let Some((first, end)) = plan.cells {
        let mut qb: QueryBuilder<'_, Postgres> = QueryBuilder::new(
            "SELECT agency_id, bucket, SUM(received)::BIGINT AS received,
               SUM(on_time)::BIGINT AS on_time, SUM(late)::BIGINT AS late,
               SUM(cancelled)::BIGINT AS cancelled, SUM(lapsed)::BIGINT AS lapsed
             FROM obligation_tallies WHERE cell >= ",
        );
        qb.push_bind(first).push(" AND cell < ").push_bind(end);
        push_scope(&mut qb, "agency_id", ids);
        qb.push(" GROUP BY agency_id, bucket");
        for row in qb.build().fetch_all(&mut *conn).await.map_err(db_err)? {
            out.add(1, &tally_row(&row)?);
        }
    }
    let bucket = BUCKET.replace(
        "RESP",
        "(EXTRACT(EPOCH FROM (o.responded_at - o.started_at)) * 1000000)::BIGINT",
    );
    for edge in &plan.edges {
        let mut qb: QueryBuilder<'_, Postgres> = QueryBuilder::new(format!(
            "SELECT o.agency_id, ({bucket})::BIGINT AS bucket, COUNT(*) AS received,
               SUM(CASE WHEN o.responded_at <= o.due_at THEN 1 ELSE 0 END)::BIGINT AS on_time,
               SUM(CASE WHEN o.responded_at > o.due_at THEN 1 ELSE 0 END)::BIGINT AS late,
               SUM(CASE WHEN o.responded_at IS NULL AND o.cancelled_at <= o.due_at THEN 1 ELSE 0 END)::BIGINT AS cancelled,
               SUM(CASE WHEN o.responded_at IS NULL AND o.cancelled_at > o.due_at THEN 1 ELSE 0 END)::BIGINT AS lapsed
             FROM obligations o WHERE o.started_at >= "
        ));
        qb.push_bind(edge.from)
            .push(" AND o.started_at < ")
            .push_bind(edge.to);
        push_scope(&mut qb, "o.agency_id", ids);
        qb.push(" GROUP BY 1, 2");
        for row in qb.build().fetch_all(&mut *conn).await.map_err(db_err)? {
            out.add(edge.sign, &tally_row(&row)?);
        }
    }
    let mut qb: QueryBuilder<'_, Postgres> =
        QueryBuilder::new("SELECT agency_id, SUM(CASE WHEN due_at < ");
    qb.push_bind(now)
        .push(" THEN 1 ELSE 0 END)::BIGINT AS overdue, SUM(CASE WHEN due_at >= ")
        .push_bind(now)
        .push(
            " THEN 1 ELSE 0 END)::BIGINT AS not_yet_due FROM obligations
             WHERE responded_at IS NULL AND cancelled_at IS NULL AND started_at >= ",
        )
        .push_bind(from)
        .push(" AND started_at < ")
        .push_bind(to);
    push_scope(&mut qb, "agency_id", ids);
    qb.push(" GROUP BY agency_id");
    for row in qb.build().fetch_all(&mut *conn).await.map_err(db_err)? {
        let agency: String = get(&row, "agency_id")?;
        let n = |c: &str| Ok::<i64, StoreError>(get::<Option<i64>>(&row, c)?.unwrap_or(0));
        out.waiting(&agency, n("overdue")?, n("not_yet_due")?);
    }
    Ok(out)
}

/// A read inside a response bucket: agency (`None`: all in scope), `[lo, hi)`, offset (`None`:
/// the least and greatest value).
type BucketAsk = (Option<String>, i64, i64, Option<u64>);

/// Reads, for each `(agency, lo, hi, offset)` (agency `None`: every agency in scope), the
/// response time at `offset` among those in `[lo, hi)` started in the period (`offset` `None`:
/// the least and the greatest there instead), all in one round trip: the figures of every
/// agency cost two queries, not a few per agency.
async fn in_buckets(
    conn: &mut PgConnection,
    asks: &[BucketAsk],
    (from, to): (Timestamp, Timestamp),
    ids: Option<&[String]>,
) -> Result<Vec<(Option<i64>, Option<i64>)>> {
    let mut out = vec![(None, None); asks.len()];
    for (of_agency, walk) in [(true, false), (true, true), (false, false), (false, true)] {
        let picked: Vec<usize> = (0..asks.len())
            .filter(|&i| asks[i].0.is_some() == of_agency && asks[i].3.is_some() == walk)
            .collect();
        if picked.is_empty() {
            continue;
        }
        let mut qb: QueryBuilder<'_, Postgres> = QueryBuilder::new("SELECT v.i");
        let exprs: &[&str] = if walk {
            &["o.response_us"]
        } else {
            &["MIN(o.response_us)", "MAX(o.response_us)"]
        };
        for e in exprs {
            qb.push(format!(
                ", (SELECT {e} FROM obligations o WHERE o.response_us IS NOT NULL"
            ));
            if of_agency {
                qb.push(" AND o.agency_id = v.a");
            }
            qb.push(" AND o.response_us >= v.lo AND o.response_us < v.hi AND o.started_at >= ")
                .push_bind(from)
                .push(" AND o.started_at < ")
                .push_bind(to);
            push_scope(&mut qb, "o.agency_id", ids);
            if walk {
                qb.push(" ORDER BY o.response_us OFFSET v.k LIMIT 1");
            }
            qb.push(")");
        }
        let col = |f: &dyn Fn(&BucketAsk) -> i64| {
            picked.iter().map(|&i| f(&asks[i])).collect::<Vec<i64>>()
        };
        let agencies: Vec<String> = picked
            .iter()
            .map(|&i| asks[i].0.clone().unwrap_or_default())
            .collect();
        qb.push(" FROM unnest(")
            .push_bind(agencies)
            .push("::TEXT[], ")
            .push_bind(col(&|a| a.1))
            .push("::BIGINT[], ")
            .push_bind(col(&|a| a.2))
            .push("::BIGINT[], ")
            .push_bind(col(&|a| {
                a.3.map_or(0, |k| i64::try_from(k).unwrap_or(i64::MAX))
            }))
            .push("::BIGINT[]) WITH ORDINALITY AS v(a, lo, hi, k, i)");
        for row in qb.build().fetch_all(&mut *conn).await.map_err(db_err)? {
            let i: i64 = get(&row, "i")?;
            let at = picked[usize::try_from(i - 1).unwrap_or(usize::MAX)];
            let first: Option<i64> = sqlx::Row::try_get(&row, 1).map_err(db_err)?;
            let second: Option<i64> = if walk {
                first
            } else {
                sqlx::Row::try_get(&row, 2).map_err(db_err)?
            };
            out[at] = (first, second);
        }
    }
    Ok(out)
}

/// Median and 90th percentile of each histogram (agency `None`: the total) at the ranks
/// `domain::metrics::ranks` names: each rank located in its histogram, the least and greatest
/// value of every bucket that holds one read at once, then the ranks inside buckets of more
/// than one value at once. `None` for one whose buckets do not hold what its histogram says
/// (the caller reads it the long way).
async fn percentiles(
    conn: &mut PgConnection,
    items: &[(Option<String>, &Histogram)],
    period: (Timestamp, Timestamp),
    ids: Option<&[String]>,
) -> Result<Vec<Option<(chrono::TimeDelta, chrono::TimeDelta)>>> {
    // Where each item's three ranks are.
    let located: Vec<Option<[(i64, i64, u64); 3]>> = items
        .iter()
        .map(|(_, h)| {
            let [a, b, c] = tanggap_domain::metrics::ranks(h.total(), 90)?;
            Some([h.locate(a)?, h.locate(b)?, h.locate(c)?])
        })
        .collect();
    let mut spans: Vec<BucketAsk> = vec![];
    for (item, l) in items.iter().zip(&located) {
        for &(lo, hi, _) in l.iter().flatten() {
            let ask = (item.0.clone(), lo, hi, None);
            if !spans.contains(&ask) {
                spans.push(ask);
            }
        }
    }
    let span_values = in_buckets(conn, &spans, period, ids).await?;
    let span_of = |agency: &Option<String>, lo: i64, hi: i64| {
        spans
            .iter()
            .position(|s| &s.0 == agency && s.1 == lo && s.2 == hi)
            .map(|i| span_values[i])
    };
    // The ranks inside buckets of more than one value.
    let mut walks: Vec<BucketAsk> = vec![];
    for (item, l) in items.iter().zip(&located) {
        for &(lo, hi, k) in l.iter().flatten() {
            if let Some((Some(a), Some(b))) = span_of(&item.0, lo, hi)
                && a != b
            {
                walks.push((item.0.clone(), lo, hi, Some(k)));
            }
        }
    }
    let walked = in_buckets(conn, &walks, period, ids).await?;
    let mut out = vec![];
    for (item, l) in items.iter().zip(&located) {
        let Some(l) = l else {
            out.push(None);
            continue;
        };
        let mut values = [None; 3];
        for (&(lo, hi, k), v) in l.iter().zip(&mut values) {
            *v = match span_of(&item.0, lo, hi) {
                Some((Some(a), Some(b))) if a == b => Some(a),
                Some((Some(_), Some(_))) => walks
                    .iter()
                    .position(|w| w.0 == item.0 && w.1 == lo && w.2 == hi && w.3 == Some(k))
                    .and_then(|i| walked[i].0),
                _ => None,
            };
        }
        out.push(match values {
            [Some(a), Some(b), Some(c)] => Some((
                tanggap_domain::metrics::median_of_middle(a, b),
                chrono::TimeDelta::microseconds(c),
            )),
            _ => None,
        });
    }
    Ok(out)
}

/// The assignment counts of `[from, to)` from the facts (an edge of a period).
async fn assignment_counts(
    conn: &mut PgConnection,
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
    let mut qb: QueryBuilder<'_, Postgres> = QueryBuilder::new(format!(
        "SELECT a.agency_id, COUNT(*) AS counted,
           SUM(CASE WHEN {JUDGED} AND {DONE} AND NOT a.completion_over THEN 1 ELSE 0 END)::BIGINT AS on_target,
           SUM(CASE WHEN {JUDGED} AND {DONE} AND a.completion_over THEN 1 ELSE 0 END)::BIGINT AS done_late,
           SUM(CASE WHEN {JUDGED} AND NOT ({DONE}) AND a.completion_over THEN 1 ELSE 0 END)::BIGINT AS open_overdue,
           SUM(CASE WHEN a.reopened THEN 1 ELSE 0 END)::BIGINT AS reopened,
           SUM(CASE WHEN a.finished THEN 1 ELSE 0 END)::BIGINT AS finished,
           SUM(CASE WHEN {RATED} THEN 1 ELSE 0 END)::BIGINT AS ratings,
           SUM(CASE WHEN {RATED} THEN a.rating ELSE 0 END)::BIGINT AS rating_sum,
           SUM(CASE WHEN {RATED} AND a.outcome = 'fixed' THEN 1 ELSE 0 END)::BIGINT AS fixed,
           SUM(CASE WHEN {RATED} AND a.outcome = 'partly' THEN 1 ELSE 0 END)::BIGINT AS partly,
           SUM(CASE WHEN {RATED} AND a.outcome = 'not_fixed' THEN 1 ELSE 0 END)::BIGINT AS not_fixed
         FROM assignments a
         WHERE a.stage NOT IN ('diteruskan', 'bukan_wewenang') AND a.created_at >= "
    ));
    qb.push_bind(from)
        .push(" AND a.created_at < ")
        .push_bind(to);
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

fn assignment_tally_row(row: &PgRow) -> Result<AssignmentTallyRow> {
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
    pool: &PgPool,
    from: Timestamp,
    to: Timestamp,
    ids: Option<&[String]>,
    now: Timestamp,
) -> Result<ComplianceCounts> {
    let mut out = ComplianceCounts::default();
    if ids.is_some_and(<[String]>::is_empty) {
        return Ok(out);
    }
    // One snapshot for every figure.
    let mut tx = pool.begin().await.map_err(db_err)?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    let plan = tally::tally_plan(from, to);
    let tallies = obligation_tallies(&mut tx, from, to, ids, now, &plan).await?;
    let counted = tallies.counts();
    let all = tally::merged(&counted.iter().map(|(_, h)| h).collect::<Vec<_>>());
    let mut items: Vec<(Option<String>, &tally::Histogram)> = counted
        .iter()
        .map(|(c, h)| (Some(c.agency_id.clone()), h))
        .collect();
    items.push((None, &all));
    let found = percentiles(&mut tx, &items, (from, to), ids).await?;
    for ((mut c, hist), found) in counted.iter().cloned().zip(&found) {
        let answered = c.on_time + c.late;
        (c.median_response, c.p90_response) = match found {
            Some((m, p)) if hist.total() == answered => (Some(*m), Some(*p)),
            _ => response_times(&mut tx, Some(&c.agency_id), answered, from, to, ids).await?,
        };
        tally::add_to_total(&mut out.total, &c);
        out.obligations.push(c);
    }
    let answered = out.total.on_time + out.total.late;
    (out.total.median_response, out.total.p90_response) = match found.last() {
        Some(Some((m, p))) if all.total() == answered => (Some(*m), Some(*p)),
        _ => response_times(&mut tx, None, answered, from, to, ids).await?,
    };

    let mut assignments = AssignmentTallies::default();
    if let Some((first, end)) = plan.cells {
        let mut qb: QueryBuilder<'_, Postgres> = QueryBuilder::new(
            "SELECT agency_id, SUM(counted)::BIGINT AS counted, SUM(on_target)::BIGINT AS on_target,
               SUM(done_late)::BIGINT AS done_late, SUM(open_overdue)::BIGINT AS open_overdue,
               SUM(reopened)::BIGINT AS reopened, SUM(finished)::BIGINT AS finished,
               SUM(ratings)::BIGINT AS ratings, SUM(rating_sum)::BIGINT AS rating_sum,
               SUM(fixed)::BIGINT AS fixed, SUM(partly)::BIGINT AS partly,
               SUM(not_fixed)::BIGINT AS not_fixed
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

/// The lalai obligations of a period: answered late, or not answered (nor cancelled in time)
/// and past the deadline at `now`; read from the covering index of those that can be
/// (migration 0014) as one row of arrays and joined strings (decoding a hundred thousand rows
/// one by one costs more than reading them).
pub(crate) async fn lalai_obligations(
    pool: &PgPool,
    from: Timestamp,
    to: Timestamp,
    ids: Option<&[String]>,
    now: Timestamp,
) -> Result<Vec<ObligationRecord>> {
    // One row: the numbers and times of every obligation packed as fixed-width binary (what
    // `int8send`, `int4send` and `timestamptz_send` write), the text columns joined by the unit
    // separator (U+001F, which no tracking ID holds; an agency id that did would fail the
    // length check below). Decoding a hundred thousand rows, or arrays of them, cost several
    // times what the query takes (BENCHMARKS.md, the quarterly report).
    let mut qb: QueryBuilder<'_, Postgres> = QueryBuilder::new(
        "SELECT string_agg(int8send(o.id) || int8send(o.assignment_id) || int8send(o.report_id)
             || int4send(o.cycle) || timestamptz_send(o.started_at) || timestamptz_send(o.due_at)
             || COALESCE(timestamptz_send(o.responded_at), '\\x8000000000000000'::bytea)
             || COALESCE(timestamptz_send(o.cancelled_at), '\\x8000000000000000'::bytea), ''::bytea) AS packed,
           string_agg(o.tracking_id, chr(31)) AS tracking_id, string_agg(o.agency_id, chr(31)) AS agency_id
         FROM (SELECT o.id, o.assignment_id, o.report_id,
           COALESCE(o.tracking_id, (SELECT r.tracking_id FROM reports r WHERE r.id = o.report_id)) AS tracking_id,
           o.agency_id, o.cycle, o.started_at, o.due_at, o.responded_at, o.cancelled_at
         FROM obligations o
         WHERE (o.responded_at > o.due_at OR (o.responded_at IS NULL AND (o.cancelled_at IS NULL OR o.cancelled_at > o.due_at)))
           AND (o.responded_at > o.due_at OR o.due_at < ",
    );
    qb.push_bind(now)
        .push(") AND o.started_at >= ")
        .push_bind(from)
        .push(" AND o.started_at < ")
        .push_bind(to);
    if !push_scope(&mut qb, "o.agency_id", ids) {
        return Ok(vec![]);
    }
    qb.push(") o");
    let row = qb.build().fetch_one(pool).await.map_err(db_err)?;
    let packed: Vec<u8> = get::<Option<Vec<u8>>>(&row, "packed")?.unwrap_or_default();
    let joined = |c: &str| Ok::<_, StoreError>(get::<Option<String>>(&row, c)?.unwrap_or_default());
    let (tracking, agency) = (joined("tracking_id")?, joined("agency_id")?);
    let split = |s: &str| -> Vec<String> {
        if s.is_empty() {
            vec![]
        } else {
            s.split('\u{1f}').map(str::to_string).collect()
        }
    };
    let (tracking, agency) = (split(&tracking), split(&agency));
    let n = packed.len() / PACKED_ROW;
    if !packed.len().is_multiple_of(PACKED_ROW) || tracking.len() != n || agency.len() != n {
        return Err(StoreError::Backend(
            "lalai evidence of different lengths".into(),
        ));
    }
    let mut out = Vec::with_capacity(n);
    for ((row, t), agency_id) in packed.chunks_exact(PACKED_ROW).zip(tracking).zip(agency) {
        let mut r = Packed(row);
        let (id, assignment_id, report_id, cycle) = (r.i64(), r.i64(), r.i64(), r.i32());
        let (started, due, responded, cancelled) = (r.time(), r.time(), r.time(), r.time());
        let missing = || StoreError::Backend("lalai evidence without a start or deadline".into());
        out.push(ObligationRecord {
            id,
            assignment_id,
            report_id,
            tracking_id: TrackingId::parse(&t)
                .map_err(|_| StoreError::Backend(format!("bad tracking id `{t}`")))?,
            agency_id,
            cycle: u32::try_from(cycle).unwrap_or(1),
            started_at: started.ok_or_else(missing)?,
            due_at: due.ok_or_else(missing)?,
            responded_at: responded,
            cancelled_at: cancelled,
        });
    }
    // By start, as the domain counts them (an aggregate's order is not promised).
    out.sort_by_key(|o| (o.started_at, o.id));
    Ok(out)
}

/// Bytes of one packed lalai row: three `int8`, one `int4`, four timestamps.
const PACKED_ROW: usize = 3 * 8 + 4 + 4 * 8;

/// Reads PostgreSQL's binary send format (big-endian) from a packed row.
struct Packed<'a>(&'a [u8]);

impl Packed<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        b.copy_from_slice(&self.0[..N]);
        self.0 = &self.0[N..];
        b
    }

    fn i64(&mut self) -> i64 {
        i64::from_be_bytes(self.take())
    }

    fn i32(&mut self) -> i32 {
        i32::from_be_bytes(self.take())
    }

    /// Microseconds since 2000-01-01 UTC; `i64::MIN` stands for NULL.
    fn time(&mut self) -> Option<Timestamp> {
        const PG_EPOCH_US: i64 = 946_684_800_000_000;
        match self.i64() {
            i64::MIN => None,
            us => chrono::DateTime::from_timestamp_micros(us + PG_EPOCH_US),
        }
    }
}
