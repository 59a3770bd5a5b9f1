//! Scale data: a batch of [`ReportCopy`]s written in one transaction of the single writer, one
//! `INSERT … SELECT` per table from `scale_copies` (see `tanggap_store::copies`). The
//! triggers derive the assignment figures, tallies and the search index from the copied facts as
//! they did from the template's.

use crate::reports::sql;
use crate::util::{db_err, us};
use crate::writer::Writer;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use std::collections::HashMap;
use tanggap_domain::audit::GENESIS_HASH;
use tanggap_store::{COPY_ROWS, CopyTemplate, IdCursor, ReportCopy, Result, plan, seal_copies};

pub(crate) async fn copy_reports(
    w: &Writer,
    copies: Vec<ReportCopy>,
    templates: HashMap<i64, CopyTemplate>,
) -> Result<u64> {
    w.run(move |conn| Box::pin(async move { write(conn, &copies, &templates).await }))
        .await
}

/// Bind parameters per row of `scale_copies`; rows go in chunks under SQLite's limit.
const COLUMNS: usize = 17;
const CHUNK: usize = 30_000 / COLUMNS;

async fn write(
    conn: &mut SqliteConnection,
    copies: &[ReportCopy],
    templates: &HashMap<i64, CopyTemplate>,
) -> Result<u64> {
    let next = |table: &str| format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}");
    let cursor = IdCursor {
        report: scalar(conn, &next("reports")).await?,
        reporter: scalar(conn, &next("reporters")).await?,
        assignment: scalar(conn, &next("assignments")).await?,
        activity: scalar(conn, &next("activities")).await?,
        message: scalar(conn, &next("messages")).await?,
    };
    for stmt in [
        "CREATE TEMP TABLE IF NOT EXISTS scale_copies (
            template_id INTEGER NOT NULL, report_id INTEGER NOT NULL, shift INTEGER NOT NULL,
            tracking_id TEXT NOT NULL, secret_hash TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL,
            region_code TEXT, category TEXT, lead_from TEXT, lead_to TEXT,
            reporter_id INTEGER, reporter_name TEXT, reporter_phone TEXT,
            assignment_base INTEGER NOT NULL, activity_base INTEGER NOT NULL, message_base INTEGER NOT NULL)",
        "DELETE FROM scale_copies",
    ] {
        exec(conn, stmt).await?;
    }
    let planned = plan(copies, templates, cursor)?;
    for chunk in planned.chunks(CHUNK) {
        let mut qb = QueryBuilder::<Sqlite>::new("INSERT INTO scale_copies ");
        qb.push_values(chunk, |mut b, (c, t, ids)| {
            let (lead_from, lead_to) = c.lead.clone().unzip();
            let (name, phone) = c.reporter.clone().unzip();
            b.push_bind(c.template_id)
                .push_bind(ids.report)
                .push_bind(c.shift.num_microseconds().unwrap_or(0))
                .push_bind(c.tracking_id.as_str().to_string())
                .push_bind(c.secret_hash.clone())
                .push_bind(c.title.clone())
                .push_bind(c.body.clone())
                .push_bind(c.region_code.clone())
                .push_bind(c.category.clone())
                .push_bind(lead_from)
                .push_bind(lead_to)
                .push_bind(ids.reporter)
                .push_bind(name)
                .push_bind(phone)
                .push_bind(ids.assignment_base - t.assignments.min)
                .push_bind(ids.activity_base - t.activities.min)
                .push_bind(ids.message_base - t.messages.min);
        });
        qb.build().execute(&mut *conn).await.map_err(db_err)?;
    }
    for stmt in COPY_ROWS {
        exec(conn, &stmt.replace("{overriding}", "")).await?;
    }
    // The audit trail: the templates' events, re-pointed and sealed in the copies' order.
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
    let sealed = seal_copies(&planned, head.unwrap_or((0, GENESIS_HASH.to_string())));
    for chunk in sealed.chunks(30_000 / 10) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO audit_events (seq, occurred_at, actor, action, object_type, object_id, before_json, after_json, prev_hash, hash) ",
        );
        qb.push_values(chunk, |mut b, e| {
            b.push_bind(e.seq)
                .push_bind(us(e.occurred_at))
                .push_bind(&e.actor)
                .push_bind(&e.action)
                .push_bind(&e.object_type)
                .push_bind(&e.object_id)
                .push_bind(&e.before)
                .push_bind(&e.after)
                .push_bind(&e.prev_hash)
                .push_bind(&e.hash);
        });
        qb.build().execute(&mut *conn).await.map_err(db_err)?;
    }
    if let Some(last) = sealed.last() {
        sqlx::query(sql::UPSERT_AUDIT_HEAD)
            .bind(last.seq)
            .bind(&last.hash)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    exec(conn, "DELETE FROM scale_copies").await?;
    Ok(planned.len() as u64)
}

async fn scalar(conn: &mut SqliteConnection, q: &str) -> Result<i64> {
    sqlx::query_scalar(q)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)
}

async fn exec(conn: &mut SqliteConnection, q: &str) -> Result<()> {
    sqlx::query(q)
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(db_err)
}
