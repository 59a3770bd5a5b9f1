//! Scale data: a batch of [`ReportCopy`]s in one transaction, one `INSERT … SELECT` per table from
//! a temporary `scale_copies` filled with one `UNNEST` (see `tanggap_store::copies`). The id
//! ranges are taken under a lock on the tables that get new ids, so a copy never collides with a
//! report filed meanwhile; the sequences are moved past the copies before the commit. The
//! triggers derive the assignment figures and tallies from the copied facts, the generated
//! `search` column the full-text index.

use crate::audit;
use crate::util::db_err;
use sqlx::{PgConnection, PgPool};
use std::collections::HashMap;
use tanggap_store::{COPY_ROWS, CopyTemplate, IdCursor, ReportCopy, Result, plan, seal_copies};

const ID_TABLES: [&str; 5] = [
    "reports",
    "reporters",
    "assignments",
    "activities",
    "messages",
];

pub(crate) async fn copy_reports(
    pool: &PgPool,
    copies: &[ReportCopy],
    templates: &HashMap<i64, CopyTemplate>,
) -> Result<u64> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    let head = audit::lock_head(&mut tx).await?;
    exec(
        &mut tx,
        "LOCK TABLE reports, reporters, assignments, activities, messages IN SHARE ROW EXCLUSIVE MODE",
    )
    .await?;
    let mut next = [0i64; 5];
    for (i, table) in ID_TABLES.iter().enumerate() {
        next[i] = sqlx::query_scalar(&format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}"))
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    let [report, reporter, assignment, activity, message] = next;
    let planned = plan(
        copies,
        templates,
        IdCursor {
            report,
            reporter,
            assignment,
            activity,
            message,
        },
    )?;
    exec(
        &mut tx,
        "CREATE TEMP TABLE scale_copies (
            template_id BIGINT NOT NULL, report_id BIGINT NOT NULL, shift INTERVAL NOT NULL,
            tracking_id TEXT NOT NULL, secret_hash TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL,
            region_code TEXT, category TEXT, lead_from TEXT, lead_to TEXT,
            reporter_id BIGINT, reporter_name TEXT, reporter_phone TEXT,
            assignment_base BIGINT NOT NULL, activity_base BIGINT NOT NULL, message_base BIGINT NOT NULL
         ) ON COMMIT DROP",
    )
    .await?;
    let col = |f: &dyn Fn(&tanggap_store::Planned<'_>) -> Option<String>| {
        planned.iter().map(f).collect::<Vec<_>>()
    };
    let num = |f: &dyn Fn(&tanggap_store::Planned<'_>) -> Option<i64>| {
        planned.iter().map(f).collect::<Vec<_>>()
    };
    sqlx::query(
        "INSERT INTO scale_copies
         SELECT t, r, s * INTERVAL '1 microsecond', tr, sh, ti, bo, rc, ca, lf, lt, ri, rn, rp, ab, vb, mb
           FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[],
                       $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[],
                       $13::text[], $14::text[], $15::bigint[], $16::bigint[], $17::bigint[])
             AS u(t, r, s, tr, sh, ti, bo, rc, ca, lf, lt, ri, rn, rp, ab, vb, mb)",
    )
    .bind(num(&|(c, _, _)| Some(c.template_id)))
    .bind(num(&|(_, _, i)| Some(i.report)))
    .bind(num(&|(c, _, _)| c.shift.num_microseconds()))
    .bind(col(&|(c, _, _)| Some(c.tracking_id.as_str().to_string())))
    .bind(col(&|(c, _, _)| Some(c.secret_hash.clone())))
    .bind(col(&|(c, _, _)| Some(c.title.clone())))
    .bind(col(&|(c, _, _)| Some(c.body.clone())))
    .bind(col(&|(c, _, _)| c.region_code.clone()))
    .bind(col(&|(c, _, _)| c.category.clone()))
    .bind(col(&|(c, _, _)| c.lead.as_ref().map(|l| l.0.clone())))
    .bind(col(&|(c, _, _)| c.lead.as_ref().map(|l| l.1.clone())))
    .bind(num(&|(_, _, i)| i.reporter))
    .bind(col(&|(c, _, _)| c.reporter.as_ref().map(|r| r.0.clone())))
    .bind(col(&|(c, _, _)| c.reporter.as_ref().map(|r| r.1.clone())))
    .bind(num(&|(_, t, i)| Some(i.assignment_base - t.assignments.min)))
    .bind(num(&|(_, t, i)| Some(i.activity_base - t.activities.min)))
    .bind(num(&|(_, t, i)| Some(i.message_base - t.messages.min)))
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    for stmt in COPY_ROWS {
        exec(
            &mut tx,
            &stmt.replace("{overriding}", "OVERRIDING SYSTEM VALUE"),
        )
        .await?;
    }
    for table in ID_TABLES {
        exec(
            &mut tx,
            &format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), m) FROM (SELECT MAX(id) AS m FROM {table}) x WHERE m IS NOT NULL"
            ),
        )
        .await?;
    }
    let sealed = seal_copies(&planned, head);
    if let Some(last) = sealed.last() {
        audit::insert_events(&mut tx, &sealed).await?;
        audit::store_head(&mut tx, &(last.seq, last.hash.clone())).await?;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(planned.len() as u64)
}

async fn exec(conn: &mut PgConnection, q: &str) -> Result<()> {
    sqlx::query(q)
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(db_err)
}
