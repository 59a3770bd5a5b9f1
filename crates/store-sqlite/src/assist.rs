//! The desk's assistant: the dispatches it learns from, the choices it is measured by.

use crate::util::{db_err, ts, us};
use crate::writer::Writer;
use sqlx::SqlitePool;
use tanggap_store::*;

pub(crate) async fn routing_history(pool: &SqlitePool, limit: u32) -> Result<Vec<RoutingExample>> {
    let rows: Vec<RoutingExampleRow> = sqlx::query_as(
        "SELECT r.title, r.body, r.region_code, r.category, a.agency_id
           FROM reports r
           JOIN assignments a ON a.id = (
                SELECT min(x.id) FROM assignments x
                 WHERE x.report_id = r.id AND x.role = 'utama' AND x.stage <> 'bukan_wewenang')
          ORDER BY r.id DESC
          LIMIT ?",
    )
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    Ok(rows.into_iter().map(RoutingExample::from).collect())
}

pub(crate) async fn record_routing_choice(w: &Writer, choice: &RoutingChoice) -> Result<()> {
    let suggested =
        serde_json::to_string(&choice.suggested).map_err(|e| StoreError::Backend(e.to_string()))?;
    let c = choice.clone();
    w.run(move |conn| {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO routing_choices
                   (report_id, suggested, chosen_agency, chosen_category, rank, category_right, trained_on, at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(c.report_id)
            .bind(suggested)
            .bind(&c.chosen_agency)
            .bind(&c.chosen_category)
            .bind(c.rank().map(i64::from))
            .bind(c.category_right())
            .bind(i64::try_from(c.trained_on).unwrap_or(i64::MAX))
            .bind(us(c.at))
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
            Ok(())
        })
    })
    .await
}

pub(crate) async fn routing_accuracy(
    pool: &SqlitePool,
    since: tanggap_domain::Timestamp,
) -> Result<RoutingAccuracy> {
    let (count, top1, top3, categorised, right): (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*),
                coalesce(sum(rank = 1), 0),
                coalesce(sum(rank IS NOT NULL), 0),
                coalesce(sum(category_right IS NOT NULL), 0),
                coalesce(sum(category_right = 1), 0)
           FROM routing_choices WHERE at >= ?",
    )
    .bind(us(since))
    .fetch_one(pool)
    .await
    .map_err(db_err)?;
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(RoutingAccuracy {
        dispatches: n(count),
        top1: n(top1),
        top3: n(top3),
        categorised: n(categorised),
        category_right: n(right),
    })
}

type ChoiceRow = (String, i64, String, String, Option<String>, i64, i64);

pub(crate) async fn routing_overrides(
    pool: &SqlitePool,
    limit: u32,
) -> Result<Vec<RoutingChoiceRecord>> {
    let rows: Vec<ChoiceRow> = sqlx::query_as(
        "SELECT r.tracking_id, c.report_id, c.suggested, c.chosen_agency, c.chosen_category,
                c.trained_on, c.at
           FROM routing_choices c JOIN reports r ON r.id = c.report_id
          WHERE c.rank IS NULL OR c.rank > 1
          ORDER BY c.id DESC LIMIT ?",
    )
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.into_iter()
        .map(
            |(tid, report_id, suggested, chosen_agency, chosen_category, trained_on, at)| {
                RoutingChoiceRecord::from_stored(
                    &tid,
                    report_id,
                    &suggested,
                    chosen_agency,
                    chosen_category,
                    trained_on,
                    ts(at),
                )
            },
        )
        .collect()
}
