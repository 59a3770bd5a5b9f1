//! Reports, their reporters, assignments, clocks, timeline, messages and attachments.

use crate::audit;
use crate::util::{clock_from_row, code, code_opt, db_err, get, micros};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use std::collections::HashMap;
use tanggap_domain::access::Audience;
use tanggap_domain::audit::NewAuditEvent;
use tanggap_domain::clock::Clock;
use tanggap_domain::workflow::{
    AssignmentRef, AssignmentView, ClockOwner, Event, ReportFields, ReportView,
};
use tanggap_domain::{
    AssignmentRole, Channel, ClockKind, Direction, Outcome, ReportKind, ReportStatus, Stage,
    TrackingId, Visibility,
};
use tanggap_store::effects::{self, EffectsContext, EntryOwner, TimelineEntry};
use tanggap_store::*;

pub(crate) enum Key {
    Id(i64),
    Text(String),
}

/// Every column of `reports` but the search vector, which only the database needs.
const REPORT_COLUMNS: &str = "r.id, r.tracking_id, r.secret_hash, r.kind, r.title, r.body, r.occurred_on, r.region_code, r.address,
     r.latitude, r.longitude, r.category, r.channel, r.reporter_id, r.entered_by, r.show_reporter_name, r.anonim, r.rahasia,
     r.needs_field_check, r.status, r.status_before_wait, r.duplicate_of, r.archive_reason, r.rating, r.outcome, r.rating_comment,
     r.reopen_count, r.version, r.created_at, r.updated_at, r.dispatched_at, r.selesai_at, r.closed_at";

fn report_select() -> String {
    format!(
        "SELECT {REPORT_COLUMNS}, p.name AS p_name, p.phone AS p_phone, p.email AS p_email, p.nik AS p_nik FROM reports r LEFT JOIN reporters p ON p.id = r.reporter_id"
    )
}

fn report_from_row(row: &PgRow) -> Result<ReportRecord> {
    let tracking: String = get(row, "tracking_id")?;
    let reporter_id: Option<i64> = get(row, "reporter_id")?;
    let rating: Option<i16> = get(row, "rating")?;
    Ok(ReportRecord {
        id: get(row, "id")?,
        tracking_id: TrackingId::parse(&tracking)
            .map_err(|_| StoreError::Backend(format!("bad tracking id `{tracking}`")))?,
        kind: code(row, "kind", ReportKind::parse)?,
        title: get(row, "title")?,
        body: get(row, "body")?,
        occurred_on: get(row, "occurred_on")?,
        region_code: get(row, "region_code")?,
        address: get(row, "address")?,
        latitude: get(row, "latitude")?,
        longitude: get(row, "longitude")?,
        category: get(row, "category")?,
        channel: code(row, "channel", Channel::parse)?,
        reporter: match reporter_id {
            None => None,
            Some(id) => Some(ReporterRecord {
                id,
                name: get(row, "p_name")?,
                phone: get(row, "p_phone")?,
                email: get(row, "p_email")?,
                nik: get(row, "p_nik")?,
            }),
        },
        show_reporter_name: get(row, "show_reporter_name")?,
        visibility: Visibility {
            anonim: get(row, "anonim")?,
            rahasia: get(row, "rahasia")?,
        },
        needs_field_check: get(row, "needs_field_check")?,
        status: code(row, "status", ReportStatus::parse)?,
        duplicate_of: get(row, "duplicate_of")?,
        archive_reason: get(row, "archive_reason")?,
        rating: rating
            .map(|r| {
                u8::try_from(r).map_err(|_| StoreError::Backend(format!("rating {r} out of range")))
            })
            .transpose()?,
        outcome: code_opt(row, "outcome", Outcome::parse)?,
        rating_comment: get(row, "rating_comment")?,
        reopen_count: get(row, "reopen_count")?,
        version: get(row, "version")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
        dispatched_at: get(row, "dispatched_at")?,
        selesai_at: get(row, "selesai_at")?,
        closed_at: get(row, "closed_at")?,
    })
}

pub(crate) async fn report_where(
    pool: &PgPool,
    cond: &str,
    key: Key,
) -> Result<Option<ReportRecord>> {
    let sql = format!("{} WHERE {cond}", report_select());
    let q = sqlx::query(&sql);
    let q = match key {
        Key::Id(id) => q.bind(id),
        Key::Text(s) => q.bind(s),
    };
    q.fetch_optional(pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(report_from_row)
        .transpose()
}

pub(crate) async fn secret_hash(pool: &PgPool, id: i64) -> Result<Option<String>> {
    sqlx::query_scalar("SELECT secret_hash FROM reports WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(db_err)
}

/// The report stored with an idempotency key hash.
pub(crate) async fn idempotent_submission(
    pool: &PgPool,
    key_hash: &str,
) -> Result<Option<IdempotentSubmission>> {
    let row: Option<(i64, String, String, String, Timestamp)> = sqlx::query_as(
        "SELECT k.report_id, r.tracking_id, k.request_hash, k.sealed_secret, k.created_at
         FROM idempotency_keys k JOIN reports r ON r.id = k.report_id WHERE k.key_hash = $1",
    )
    .bind(key_hash)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    row.map(
        |(report_id, tid, request_hash, sealed_secret, created_at)| {
            Ok(IdempotentSubmission {
                report_id,
                tracking_id: TrackingId::parse(&tid)
                    .map_err(|e| StoreError::Backend(format!("stored tracking id {tid}: {e}")))?,
                request_hash,
                sealed_secret,
                created_at,
            })
        },
    )
    .transpose()
}

pub(crate) async fn purge_idempotency_keys(pool: &PgPool, before: Timestamp) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(before)
            .execute(pool)
            .await
            .map_err(db_err)?
            .rows_affected(),
    )
}

/// The reporter of a new report. Details someone typed (a phone number, an e-mail address, a
/// NIK) never join a report to an earlier reporter's record: anyone can type a victim's phone
/// number. A typed report gets a record of its own; only a chat address that the provider vouched
/// for finds the record that address belongs to (the same person writing again), and then what
/// this report adds fills in what that record lacked, never overwriting it.
async fn find_or_create_reporter(
    conn: &mut PgConnection,
    r: &NewReporter,
    now: Timestamp,
) -> Result<Option<i64>> {
    if r.name.is_none()
        && r.phone.is_none()
        && r.email.is_none()
        && r.nik.is_none()
        && r.channel_address.is_none()
    {
        return Ok(None);
    }
    let mut found: Option<i64> = None;
    if let Some((channel, address)) = &r.channel_address {
        found = sqlx::query_scalar(
            "SELECT reporter_id FROM reporter_addresses WHERE channel IN ($1, $2) AND address = $3 ORDER BY reporter_id LIMIT 1",
        )
        .bind(channel.as_str())
        .bind(tanggap_store::identity_peer(*channel).as_str())
        .bind(address)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
    }
    let id = match found {
        Some(id) => {
            sqlx::query(
                "UPDATE reporters SET name = COALESCE(name, $1), email = COALESCE(email, $2), nik = COALESCE(nik, $3),
                   phone = COALESCE(phone, $4) WHERE id = $5",
            )
            .bind(&r.name)
            .bind(&r.email)
            .bind(&r.nik)
            .bind(&r.phone)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
            id
        }
        None => sqlx::query_scalar("INSERT INTO reporters (name, phone, email, nik, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(&r.name)
            .bind(&r.phone)
            .bind(&r.email)
            .bind(&r.nik)
            .bind(now)
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err)?,
    };
    if let Some((channel, address)) = &r.channel_address {
        sqlx::query("INSERT INTO reporter_addresses (channel, address, reporter_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(channel.as_str())
            .bind(address)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    Ok(Some(id))
}

/// `sql` is a `SELECT EXISTS (...)` with one text parameter.
async fn exists(conn: &mut PgConnection, sql: &str, key: &str) -> Result<bool> {
    sqlx::query_scalar(sql)
        .bind(key)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)
}

/// Checks the references the service layer cannot see, with the messages users get for them.
async fn check_refs(
    conn: &mut PgConnection,
    category: Option<&str>,
    region_code: Option<&str>,
) -> Result<()> {
    if let Some(c) = category
        && !exists(
            conn,
            "SELECT EXISTS (SELECT 1 FROM categories WHERE code = $1)",
            c,
        )
        .await?
    {
        return Err(StoreError::Invalid(format!("unknown category `{c}`")));
    }
    if let Some(code) = region_code
        && !exists(
            conn,
            "SELECT EXISTS (SELECT 1 FROM regions WHERE code = $1)",
            code,
        )
        .await?
    {
        return Err(StoreError::Invalid(format!("unknown region `{code}`")));
    }
    Ok(())
}

/// Store one new report in a transaction of its own ([`crate::intake`] batches them).
pub(crate) async fn create_report(pool: &PgPool, r: &NewReport) -> Result<CreatedReport> {
    let mut tx = audit::begin(pool).await?;
    let (created, event) = insert_report(&mut tx, r).await?;
    audit::append(&mut tx, event, r.created_at).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(created)
}

/// Every row of a new report but its audit event, which is returned for the caller to append
/// (one at a time, or a batch's events after one lock of the chain's head).
pub(crate) async fn insert_report(
    tx: &mut PgConnection,
    r: &NewReport,
) -> Result<(CreatedReport, NewAuditEvent)> {
    check_refs(tx, r.category.as_deref(), r.region_code.as_deref()).await?;
    let reporter_id = match &r.reporter {
        Some(rep) => find_or_create_reporter(tx, rep, r.created_at).await?,
        None => None,
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO reports (tracking_id, secret_hash, kind, title, body, occurred_on, region_code, address, latitude, longitude,
           category, channel, reporter_id, entered_by, show_reporter_name, anonim, rahasia, needs_field_check, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 'baru', $19, $19) RETURNING id",
    )
    .bind(r.tracking_id.as_str())
    .bind(&r.secret_hash)
    .bind(r.kind.as_str())
    .bind(&r.title)
    .bind(&r.body)
    .bind(r.occurred_on)
    .bind(&r.region_code)
    .bind(&r.address)
    .bind(r.latitude)
    .bind(r.longitude)
    .bind(&r.category)
    .bind(r.channel.as_str())
    .bind(reporter_id)
    .bind(r.entered_by)
    .bind(r.show_reporter_name)
    .bind(r.visibility.anonim)
    .bind(r.visibility.rahasia)
    .bind(r.needs_field_check)
    .bind(r.created_at)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match db_err(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("tracking id {} is taken", r.tracking_id)),
        other => other,
    })?;
    if let Some(inbound) = r.inbound_id {
        sqlx::query("UPDATE reports SET inbound_id = $1 WHERE id = $2")
            .bind(inbound)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    if let Some(origin) = &r.open311 {
        crate::open311::link_request(tx, id, origin, r.created_at).await?;
    }
    if let Some(k) = &r.idempotency {
        sqlx::query(
            "INSERT INTO idempotency_keys (key_hash, request_hash, report_id, sealed_secret, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&k.key_hash)
        .bind(&k.request_hash)
        .bind(id)
        .bind(&k.sealed_secret)
        .bind(r.created_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| match db_err(e) {
            StoreError::Conflict(_) => {
                StoreError::Conflict("the idempotency key was used already".into())
            }
            other => other,
        })?;
    }
    for n in &r.notifications {
        let n = NewNotification {
            report_id: Some(id),
            ..n.clone()
        };
        crate::scheduler::insert_notification(tx, &n, r.created_at).await?;
    }
    for c in &r.clocks {
        upsert_clock(tx, id, 0, c).await?;
    }
    let activity = insert_entry(
        tx,
        id,
        None,
        &effects::submitted_entry(),
        &r.actor,
        r.created_at,
    )
    .await?;
    for a in &r.attachments {
        insert_attachment(tx, id, Some(activity), a, r.created_at).await?;
    }
    let summary = tanggap_store::redact::report_created(r, reporter_id);
    Ok((
        CreatedReport {
            id,
            tracking_id: r.tracking_id.clone(),
            reporter_id,
        },
        NewAuditEvent::new(&r.actor, "report.created", "report", id).after(&summary),
    ))
}

async fn upsert_clock(
    conn: &mut PgConnection,
    report_id: i64,
    assignment_id: i64,
    c: &Clock,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO clocks (report_id, assignment_id, kind, measure, budget_us, started_at, consumed_us, running_since, due_at, stopped_at, fired, next_fire_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (report_id, assignment_id, kind) DO UPDATE SET measure = EXCLUDED.measure, budget_us = EXCLUDED.budget_us,
           started_at = EXCLUDED.started_at, consumed_us = EXCLUDED.consumed_us, running_since = EXCLUDED.running_since,
           due_at = EXCLUDED.due_at, stopped_at = EXCLUDED.stopped_at, fired = EXCLUDED.fired, next_fire_at = EXCLUDED.next_fire_at",
    )
    .bind(report_id)
    .bind(assignment_id)
    .bind(c.kind.as_str())
    .bind(c.measure.as_str())
    .bind(micros(c.budget))
    .bind(c.started_at)
    .bind(micros(c.consumed))
    .bind(c.running_since)
    .bind(c.due_at)
    .bind(c.stopped_at)
    .bind(i32::try_from(c.fired).unwrap_or(i32::MAX))
    .bind(c.next_fire_at)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Inserts a timeline entry; `assignment` is the entry's assignment and its agency.
async fn insert_entry(
    conn: &mut PgConnection,
    report_id: i64,
    assignment: Option<(i64, &str)>,
    entry: &TimelineEntry,
    actor: &str,
    at: Timestamp,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO activities (report_id, assignment_id, agency_id, kind, stage, status, note, actor, audience, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(report_id)
    .bind(assignment.map(|(id, _)| id))
    .bind(assignment.map(|(_, agency)| agency))
    .bind(entry.kind.as_str())
    .bind(entry.stage.map(|s| s.as_str()))
    .bind(entry.status.map(|s| s.as_str()))
    .bind(entry.note.as_deref())
    .bind(actor)
    .bind(entry.audience.as_str())
    .bind(at)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)
}

/// A fresh public key (the thread's generator is not held across an await).
fn new_key() -> String {
    tanggap_domain::ids::attachment_key(&mut rand::thread_rng())
}

async fn insert_attachment(
    conn: &mut PgConnection,
    report_id: i64,
    activity_id: Option<i64>,
    a: &NewAttachment,
    at: Timestamp,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO attachments (report_id, activity_id, public_key, filename, content_type, size_bytes, sha256, storage_key, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(report_id)
    .bind(activity_id)
    .bind(new_key())
    .bind(&a.filename)
    .bind(&a.content_type)
    .bind(a.size_bytes)
    .bind(&a.sha256)
    .bind(&a.storage_key)
    .bind(at)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)
}

#[allow(clippy::too_many_arguments)]
async fn insert_message(
    conn: &mut PgConnection,
    report_id: i64,
    reporter_id: Option<i64>,
    channel: &str,
    direction: Direction,
    body: &str,
    status: &str,
    author: &str,
    at: Timestamp,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO messages (report_id, reporter_id, channel, direction, body, status, author, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(report_id)
    .bind(reporter_id)
    .bind(channel)
    .bind(direction.as_str())
    .bind(body)
    .bind(status)
    .bind(author)
    .bind(at)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)
}

/// What the workflow decides on. The caller runs it in one snapshot (see `PgStore::report_view`),
/// so the report row, its assignments and its clocks are all as of the same moment.
pub(crate) async fn report_view(conn: &mut PgConnection, id: i64) -> Result<Option<ReportView>> {
    Ok(report_views(conn, &[id]).await?.pop())
}

/// The clocks of `ids` that have not stopped, each with its assignment's stage: one statement
/// for a page of the desk (its whole views took a transaction of three, six round trips).
pub(crate) async fn open_clocks(pool: &PgPool, ids: &[i64]) -> Result<Vec<OpenClock>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    sqlx::query(
        "SELECT c.*, a.stage AS a_stage, a.responded AS a_responded FROM clocks c \
         LEFT JOIN assignments a ON a.id = c.assignment_id \
         WHERE c.stopped_at IS NULL AND c.report_id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(pool)
    .await
    .map_err(db_err)?
    .iter()
    .map(|row| {
        let assignment_id: i64 = get(row, "assignment_id")?;
        Ok(OpenClock {
            report_id: get(row, "report_id")?,
            assignment_id,
            assignment: if assignment_id == 0 {
                None
            } else {
                Some((
                    code(row, "a_stage", Stage::parse)?,
                    get(row, "a_responded")?,
                ))
            },
            clock: clock_from_row(row)?,
        })
    })
    .collect()
}

/// The views of `ids` that exist, in the order of `ids`: three queries whatever their number.
pub(crate) async fn report_views(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<ReportView>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let mut clocks: HashMap<(i64, i64), Vec<Clock>> = HashMap::new();
    for c in sqlx::query(
        "SELECT * FROM clocks WHERE report_id = ANY($1) ORDER BY report_id, assignment_id, kind",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?
    {
        clocks
            .entry((get(&c, "report_id")?, get(&c, "assignment_id")?))
            .or_default()
            .push(clock_from_row(&c)?);
    }
    let mut assignments: HashMap<i64, Vec<AssignmentView>> = HashMap::new();
    for a in sqlx::query("SELECT * FROM assignments WHERE report_id = ANY($1) ORDER BY id")
        .bind(ids)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?
    {
        let (aid, rid): (i64, i64) = (get(&a, "id")?, get(&a, "report_id")?);
        assignments.entry(rid).or_default().push(AssignmentView {
            id: aid,
            agency_id: get(&a, "agency_id")?,
            role: code(&a, "role", AssignmentRole::parse)?,
            stage: code(&a, "stage", Stage::parse)?,
            responded: get(&a, "responded")?,
            clocks: clocks.remove(&(rid, aid)).unwrap_or_default(),
        });
    }
    let mut views: HashMap<i64, ReportView> = HashMap::new();
    for row in sqlx::query(&format!(
        "SELECT {REPORT_COLUMNS} FROM reports r WHERE r.id = ANY($1)"
    ))
    .bind(ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?
    {
        let id: i64 = get(&row, "id")?;
        let fields = ReportFields {
            kind: code(&row, "kind", ReportKind::parse)?,
            title: get(&row, "title")?,
            body: get(&row, "body")?,
            category: get(&row, "category")?,
            region_code: get(&row, "region_code")?,
            address: get(&row, "address")?,
            visibility: Visibility {
                anonim: get(&row, "anonim")?,
                rahasia: get(&row, "rahasia")?,
            },
            needs_field_check: get(&row, "needs_field_check")?,
        };
        views.insert(
            id,
            ReportView {
                id,
                status: code(&row, "status", ReportStatus::parse)?,
                status_before_wait: code_opt(&row, "status_before_wait", ReportStatus::parse)?,
                fields,
                assignments: assignments.remove(&id).unwrap_or_default(),
                clocks: clocks.remove(&(id, 0)).unwrap_or_default(),
                version: get(&row, "version")?,
            },
        );
    }
    Ok(ids.iter().filter_map(|id| views.remove(id)).collect())
}

pub(crate) async fn apply_events(pool: &PgPool, change: &ReportChange) -> Result<Applied> {
    let mut tx = audit::begin(pool).await?;
    let applied = apply_in_tx(&mut tx, change).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(applied)
}

async fn apply_in_tx(conn: &mut PgConnection, change: &ReportChange) -> Result<Applied> {
    let id = change.report_id;
    // The row lock keeps every other writer of this report out until we commit, so the version
    // cannot move between this check and our update. NO KEY UPDATE is enough for that (we never
    // change the key) and, unlike FOR UPDATE, still lets other transactions insert rows that refer
    // to this report, e.g. a duplicate linked to it.
    let row: Option<(i64, String, Option<i64>)> = sqlx::query_as(
        "SELECT version, channel, reporter_id FROM reports WHERE id = $1 FOR NO KEY UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    let (version, channel, reporter_id) =
        row.ok_or_else(|| StoreError::NotFound(format!("report {id}")))?;
    if version != change.expected_version {
        return Err(StoreError::VersionConflict);
    }
    let actor = change.actor.audit_label();
    let now = change.at;
    let mut created: Vec<i64> = Vec::new();
    let mut activity_ids: Vec<i64> = Vec::new();
    for event in &change.events {
        let master: Option<String> = match event {
            Event::DuplicateLinked { master_id } => {
                sqlx::query_scalar("SELECT tracking_id FROM reports WHERE id = $1")
                    .bind(master_id)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db_err)?
            }
            _ => None,
        };
        let fx = effects::event_effects(
            event,
            &EffectsContext {
                report_id: id,
                actor: &actor,
                master_tracking_id: master.as_deref(),
            },
        )?;
        let touched = write_event_rows(conn, id, event, now, &mut created).await?;
        let (mut activity_id, mut message_id) = (None, None);
        if let Some(entry) = &fx.entry {
            let assignment = match entry.owner {
                EntryOwner::Report => None,
                EntryOwner::CreatedAssignment | EntryOwner::Assignment(_) => {
                    let (aid, agency) = touched.as_ref().ok_or_else(|| {
                        StoreError::Backend(format!("`{}` touched no assignment", event.action()))
                    })?;
                    Some((*aid, agency.as_str()))
                }
            };
            let activity = insert_entry(conn, id, assignment, entry, &actor, now).await?;
            activity_ids.push(activity);
            activity_id = Some(activity);
        }
        if let Some(m) = &fx.message {
            message_id = Some(
                insert_message(
                    conn,
                    id,
                    reporter_id,
                    &channel,
                    m.direction,
                    &m.body,
                    m.status,
                    &actor,
                    now,
                )
                .await?,
            );
        }
        audit::append(conn, fx.audit.event(activity_id, message_id), now).await?;
    }
    if !change.attachments.is_empty() {
        let first = activity_ids.first().copied();
        for a in &change.attachments {
            insert_attachment(conn, id, first, a, now).await?;
        }
    }
    let updated = sqlx::query(
        "UPDATE reports SET version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3",
    )
    .bind(now)
    .bind(id)
    .bind(change.expected_version)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?
    .rows_affected();
    if updated != 1 {
        return Err(StoreError::VersionConflict);
    }
    Ok(Applied {
        version: change.expected_version + 1,
        created_assignments: created,
        activity_ids,
    })
}

fn resolve(r: AssignmentRef, created: &[i64]) -> Result<i64> {
    match r {
        AssignmentRef::Existing(id) => Ok(id),
        AssignmentRef::New(i) => created.get(i).copied().ok_or_else(|| {
            StoreError::Invalid(format!(
                "event refers to new assignment #{i} before it exists"
            ))
        }),
    }
}

/// The row changes only this event makes (its timeline entry, message and audit record are
/// [`effects::event_effects`]'). Returns the assignment it created or changed, with its agency.
async fn write_event_rows(
    conn: &mut PgConnection,
    id: i64,
    event: &Event,
    now: Timestamp,
    created: &mut Vec<i64>,
) -> Result<Option<(i64, String)>> {
    match event {
        Event::StatusChanged { to, .. } => {
            let stamp = match to {
                ReportStatus::Didisposisikan => "dispatched_at = COALESCE(dispatched_at, $2)",
                ReportStatus::Selesai => "selesai_at = $2",
                ReportStatus::Ditutup => "closed_at = $2",
                _ => "updated_at = $2",
            };
            sqlx::query(&format!(
                "UPDATE reports SET status = $1, {stamp} WHERE id = $3"
            ))
            .bind(to.as_str())
            .bind(now)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        }
        Event::WaitStarted { resume_to, .. } => {
            sqlx::query("UPDATE reports SET status_before_wait = $1 WHERE id = $2")
                .bind(resume_to.as_str())
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
        }
        Event::WaitEnded { .. } => {
            sqlx::query("UPDATE reports SET status_before_wait = NULL WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
        }
        Event::Edited { after, .. } => {
            check_refs(
                conn,
                after.category.as_deref(),
                after.region_code.as_deref(),
            )
            .await?;
            sqlx::query(
                "UPDATE reports SET kind = $1, title = $2, body = $3, category = $4, region_code = $5, address = $6, anonim = $7, rahasia = $8, needs_field_check = $9
                 WHERE id = $10",
            )
            .bind(after.kind.as_str())
            .bind(&after.title)
            .bind(&after.body)
            .bind(&after.category)
            .bind(&after.region_code)
            .bind(&after.address)
            .bind(after.visibility.anonim)
            .bind(after.visibility.rahasia)
            .bind(after.needs_field_check)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        }
        Event::AssignmentCreated {
            agency_id,
            role,
            forwarded_from,
            stage,
            responded,
            ..
        } => {
            if !exists(
                conn,
                "SELECT EXISTS (SELECT 1 FROM agencies WHERE id = $1)",
                agency_id,
            )
            .await?
            {
                return Err(StoreError::Invalid(format!("unknown agency `{agency_id}`")));
            }
            let aid: i64 = sqlx::query_scalar(
                "INSERT INTO assignments (report_id, agency_id, role, stage, responded, forwarded_from, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            )
            .bind(id)
            .bind(agency_id)
            .bind(role.as_str())
            .bind(stage.as_str())
            .bind(*responded)
            .bind(*forwarded_from)
            .bind(now)
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err)?;
            created.push(aid);
            return Ok(Some((aid, agency_id.clone())));
        }
        Event::StageChanged {
            assignment,
            to,
            first_response,
            ..
        } => {
            let aid = resolve(*assignment, created)?;
            let agency: Option<String> = sqlx::query_scalar(
                "UPDATE assignments SET stage = $1, updated_at = $2, responded = responded OR $3,
                   first_response_at = CASE WHEN $3 AND first_response_at IS NULL THEN $2 ELSE first_response_at END,
                   tuntas_at = CASE WHEN $1 = 'tuntas' THEN $2 ELSE tuntas_at END
                 WHERE id = $4 AND report_id = $5 RETURNING agency_id",
            )
            .bind(to.as_str())
            .bind(now)
            .bind(*first_response)
            .bind(aid)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
            let agency = agency.ok_or_else(|| StoreError::NotFound(format!("assignment {aid}")))?;
            return Ok(Some((aid, agency)));
        }
        Event::AssignmentRestarted { assignment, .. } => {
            let agency: Option<String> = sqlx::query_scalar(
                "UPDATE assignments SET stage = 'menunggu_respon', responded = FALSE, first_response_at = NULL, tuntas_at = NULL, updated_at = $1
                 WHERE id = $2 AND report_id = $3 RETURNING agency_id",
            )
            .bind(now)
            .bind(assignment)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
            let agency =
                agency.ok_or_else(|| StoreError::NotFound(format!("assignment {assignment}")))?;
            return Ok(Some((*assignment, agency)));
        }
        Event::ObligationOpened {
            assignment,
            started_at,
            due_at,
        } => {
            let aid = resolve(*assignment, created)?;
            sqlx::query(
                "INSERT INTO obligations (assignment_id, report_id, agency_id, cycle, started_at, due_at) SELECT a.id, a.report_id, a.agency_id, 1 + (SELECT COUNT(*) FROM obligations o WHERE o.assignment_id = a.id), $1, $2 FROM assignments a WHERE a.id = $3 AND a.report_id = $4",
            )
            .bind(*started_at)
            .bind(*due_at)
            .bind(aid)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        }
        Event::ObligationAnswered { assignment, .. }
        | Event::ObligationCancelled { assignment } => {
            let aid = resolve(*assignment, created)?;
            let (column, when) = match event {
                // An answer recorded by the agency's own system carries its time.
                Event::ObligationAnswered { at: Some(t), .. } => ("responded_at", *t),
                Event::ObligationAnswered { .. } => ("responded_at", now),
                _ => ("cancelled_at", now),
            };
            sqlx::query(&format!(
                "UPDATE obligations SET {column} = $1 WHERE assignment_id = $2 AND responded_at IS NULL AND cancelled_at IS NULL"
            ))
            .bind(when)
            .bind(aid)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        }
        Event::ObligationDueMoved { assignment, due_at } => {
            let aid = resolve(*assignment, created)?;
            sqlx::query("UPDATE obligations SET due_at = $1 WHERE assignment_id = $2 AND responded_at IS NULL AND cancelled_at IS NULL")
                .bind(*due_at)
                .bind(aid)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
        }
        Event::ClockSet { owner, clock } => {
            let aid = match owner {
                ClockOwner::Report => 0,
                ClockOwner::Assignment(r) => resolve(*r, created)?,
            };
            upsert_clock(conn, id, aid, clock).await?;
        }
        Event::DuplicateLinked { master_id } => {
            sqlx::query("UPDATE reports SET duplicate_of = $1 WHERE id = $2")
                .bind(master_id)
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
        }
        Event::Archived { reason } => {
            sqlx::query("UPDATE reports SET archive_reason = $1 WHERE id = $2")
                .bind(reason)
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
        }
        Event::Rated {
            score,
            outcome,
            comment,
        } => {
            sqlx::query(
                "UPDATE reports SET rating = $1, outcome = $2, rating_comment = $3 WHERE id = $4",
            )
            .bind(i16::from(*score))
            .bind(outcome.as_str())
            .bind(comment)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        }
        Event::Reopened { .. } => {
            sqlx::query("UPDATE reports SET reopen_count = reopen_count + 1 WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
        }
        Event::ReporterReplied { .. }
        | Event::InstructionAdded { .. }
        | Event::ReporterMessaged { .. }
        | Event::Verified
        | Event::DispatchNoted { .. } => {}
    }
    Ok(None)
}

/// The words searched for: `None` when the text has none. Like the SQLite store, only the first
/// 16 words count, which bounds the cost of a query. The text itself goes to `plainto_tsquery`,
/// which reads it with the same parser as the indexed column and never fails on odd input.
fn search_text(text: &str) -> Option<&str> {
    const MAX_WORDS: usize = 16;
    let mut words = 0;
    let mut in_word = false;
    for (i, c) in text.char_indices() {
        let alnum = c.is_alphanumeric();
        if alnum && !in_word {
            words += 1;
            if words > MAX_WORDS {
                return Some(&text[..i]);
            }
        }
        in_word = alnum;
    }
    (words > 0).then_some(text)
}

/// The full-text part of a filter, on the reports named `alias` in `statuses`. Besides the
/// index of every report there are two partial ones (migration 0027): the reports waiting for
/// the desk and those with agencies. A query can use one only when its statuses imply the
/// index's; for statuses of both, the condition is written once per kind of status, so that
/// each part is answered by its own index.
fn push_text<'a>(
    qb: &mut QueryBuilder<'a, Postgres>,
    f: &'a ReportFilter,
    statuses: &[ReportStatus],
    alias: &str,
    walk: Walk,
) {
    let Some(text) = &f.text else { return };
    let Some(q) = search_text(text) else {
        qb.push(" AND FALSE");
        return;
    };
    let desk: Vec<ReportStatus> = statuses
        .iter()
        .copied()
        .filter(|s| s.awaits_desk())
        .collect();
    let others: Vec<ReportStatus> = statuses
        .iter()
        .copied()
        .filter(|s| !s.awaits_desk())
        .collect();
    let split = !desk.is_empty() && !others.is_empty() && others.iter().all(|s| !s.is_terminal());
    if !split {
        qb.push(" AND ");
        push_match(qb, f, q, alias, walk);
        return;
    }
    for (i, part) in [desk, others].iter().enumerate() {
        qb.push(if i == 0 { " AND ((" } else { " OR (" });
        qb.push(format!("{alias}.status IN ({}) AND ", status_list(part)));
        push_match(qb, f, q, alias, walk);
        qb.push(")");
    }
    qb.push(")");
}

/// How a search's matches are found.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Walk {
    /// As the planner sees fit: the search indexes when they narrow the reports most.
    Planned,
    /// By walking the reports in time order and testing each one's words until the page is
    /// full: for a listing whose words are common among few reports, which the planner
    /// otherwise gathered whole from a search index and sorted (a common word among the desk's
    /// reports: 1,400 rows read for a page of 50, 7.7 ms instead of 1.5 ms at a million).
    InTimeOrder,
}

/// Above this many matches (as counted for the listing), a page per status is found by
/// walking each status's reports in time order ([`Walk::InTimeOrder`]): among the desk's
/// 15,000 reports at a million, a walk reads about 50 × 15,000 / matches rows (3–4 µs each)
/// until the page is full, the search index every match (4 µs each); they meet near 800.
/// The desk counts a search's matches up to 500 (`DESK_SEARCH_COUNTED`), so that is where
/// its searches turn to the walk (at most 1,500 rows).
const WALK_FROM: u64 = 500;

/// `{alias}.search` matching the words `q` (all of them, or any with `text_any_word`). With
/// [`Walk::InTimeOrder`] the match is written as the operator's function, `ts_match_vq`,
/// which no index answers, so that the planner walks the time order instead.
fn push_match<'a>(
    qb: &mut QueryBuilder<'a, Postgres>,
    f: &'a ReportFilter,
    q: &'a str,
    alias: &str,
    walk: Walk,
) {
    let (open, close) = match walk {
        Walk::Planned => (format!("{alias}.search @@ "), ""),
        Walk::InTimeOrder => (format!("ts_match_vq({alias}.search, "), ")"),
    };
    qb.push(open);
    if f.text_any_word {
        // `websearch_to_tsquery` reads `or` between words; the words are letters and digits
        // only, so nothing else in its syntax can appear.
        let words: Vec<&str> = q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        qb.push("websearch_to_tsquery('indonesian', ")
            .push_bind(words.join(" or "))
            .push(")");
    } else {
        qb.push("plainto_tsquery('indonesian', ")
            .push_bind(q)
            .push(")");
    }
    qb.push(close);
}

/// Statuses as SQL literals (`'baru', 'diproses'`), written into a statement rather than bound:
/// a plan made for `status = $1` cannot use an index that holds only some statuses
/// (`reports_search_desk` and `reports_search_open`, migration 0027), one made for
/// `status = 'baru'` can. The codes are the enum's own lower-case words, so nothing from a
/// request reaches the text.
fn status_list(statuses: &[ReportStatus]) -> String {
    statuses
        .iter()
        .map(|s| {
            let code = s.as_str();
            debug_assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
            format!("'{code}'")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn push_filters<'a>(qb: &mut QueryBuilder<'a, Postgres>, f: &'a ReportFilter) {
    qb.push(" WHERE TRUE");
    if !f.statuses.is_empty() {
        // The statuses are written into the text (see [`status_list`]); one status is then
        // `=`, and the planner walks its range of the (status, created_at, id) index in order
        // (a one-element `ANY` walked the time index and filtered).
        qb.push(format!(" AND r.status IN ({})", status_list(&f.statuses)));
    }
    if f.stage.is_some() || f.agency_ids.is_some() {
        qb.push(" AND EXISTS (SELECT 1 FROM assignments a WHERE a.report_id = r.id");
        if let Some(stage) = f.stage {
            qb.push(" AND a.stage = ").push_bind(stage.as_str());
        }
        if let Some(ids) = &f.agency_ids {
            // An empty list matches nothing, as `IN ()` would.
            qb.push(" AND a.agency_id = ANY(").push_bind(ids).push(")");
        }
        qb.push(")");
    }
    if let Some(c) = &f.category {
        qb.push(" AND r.category = ").push_bind(c);
    }
    if !f.categories.is_empty() {
        qb.push(" AND r.category = ANY(")
            .push_bind(&f.categories)
            .push(")");
    }
    if let Some(region) = &f.region {
        // The code itself or any code below it: `33.22` matches `33.22.10`, never `33.2`.
        // Only well-formed codes (digits and dots) reach the statement, as a byte-wise range
        // (the `text_pattern_ops` operators, which the region indexes are built with):
        // `[33.22, 33.22/)` holds `33.22` and `33.22.…` and nothing else a well-formed code can
        // be, since `/` follows `.` and precedes the digits. One range, unlike
        // `= … OR LIKE …`, lets an index over (status, region, time, id) answer alone.
        if tanggap_domain::Region::is_valid_code(region) {
            qb.push(" AND r.region_code ~>=~ ").push_bind(region);
            qb.push(" AND r.region_code ~<~ ")
                .push_bind(format!("{region}/"));
        } else {
            qb.push(" AND 1 = 0");
        }
    }
    if let Some(ch) = f.channel {
        qb.push(" AND r.channel = ").push_bind(ch.as_str());
    }
    if let Some(k) = f.kind {
        qb.push(" AND r.kind = ").push_bind(k.as_str());
    }
    if let Some(from) = f.created_from {
        qb.push(" AND r.created_at >= ").push_bind(from);
    }
    if let Some(to) = f.created_to {
        qb.push(" AND r.created_at < ").push_bind(to);
    }
    if let Some(now) = f.overdue_at {
        qb.push(" AND EXISTS (SELECT 1 FROM clocks c WHERE c.report_id = r.id AND c.assignment_id <> 0 AND c.kind IN ('first_response', 'completion') AND c.stopped_at IS NULL AND c.due_at < ");
        qb.push_bind(now);
        qb.push(")");
    }
    push_text(qb, f, &f.statuses, "r", Walk::Planned);
    if f.public_only {
        qb.push(" AND NOT r.rahasia");
    }
    if let Some(rid) = f.reporter_id {
        qb.push(" AND r.reporter_id = ").push_bind(rid);
    }
}

/// Several statuses (and perhaps a channel or words to search) and nothing else: the desk's
/// queues and its search.
fn split_by_status(f: &ReportFilter) -> bool {
    f.statuses.len() > 1
        && !f.public_only
        && ReportFilter {
            channel: None,
            text: None,
            ..f.clone()
        }
        .by_status_only()
}

/// The page of a [`split_by_status`] listing: each status's first reports in time order from
/// its own range of the `(status, created_at)` index, merged. With `status = ANY(…)` the
/// planner walked the time index from the oldest report and filtered (the open reports are
/// the newest few percent: 0.9 s a desk page at a million reports).
fn page_per_status(f: &ReportFilter, walk: Walk) -> QueryBuilder<'_, Postgres> {
    let order = match f.order {
        ReportOrder::NewestFirst => "created_at DESC, id DESC",
        ReportOrder::OldestFirst => "created_at, id",
    };
    let outer = time_order(f.order);
    let limit = i64::from(f.limit.clamp(1, 500));
    let offset = i64::from(f.offset);
    let mut qb = QueryBuilder::<Postgres>::new(report_select());
    qb.push(" WHERE r.id IN (SELECT id FROM (");
    for (i, status) in f.statuses.iter().enumerate() {
        if i > 0 {
            qb.push(" UNION ALL ");
        }
        qb.push(format!(
            "(SELECT s.id, s.created_at FROM reports s WHERE s.status = {}",
            status_list(std::slice::from_ref(status))
        ));
        if let Some(ch) = f.channel {
            qb.push(" AND s.channel = ").push_bind(ch.as_str());
        }
        push_text(&mut qb, f, std::slice::from_ref(status), "s", walk);
        qb.push(format!(" ORDER BY s.{order} LIMIT "))
            .push_bind(limit + offset)
            .push(")");
    }
    qb.push(format!(") u ORDER BY {order} LIMIT "))
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset)
        .push(format!(") ORDER BY {outer}"));
    qb
}

/// The page of a listing in a region: the ids first, from the indexes alone where they can
/// answer (`reports_status_region` holds status, region, time and id), then only the page's
/// rows. Read whole in one statement, every match was fetched from the table before the sort
/// (the likely duplicates of a report in Kota Semarang: 3,000 rows read for 300 kept).
fn page_ids_first(f: &ReportFilter) -> QueryBuilder<'_, Postgres> {
    let order = time_order(f.order);
    let mut qb = QueryBuilder::<Postgres>::new(report_select());
    qb.push(" WHERE r.id IN (SELECT r.id FROM reports r");
    push_filters(&mut qb, f);
    qb.push(format!(" ORDER BY {order} LIMIT "))
        .push_bind(i64::from(f.limit.clamp(1, 500)))
        .push(" OFFSET ")
        .push_bind(i64::from(f.offset))
        .push(format!(") ORDER BY {order}"));
    qb
}

/// A listing's order over the reports named `r`.
fn time_order(order: ReportOrder) -> &'static str {
    match order {
        ReportOrder::NewestFirst => "r.created_at DESC, r.id DESC",
        ReportOrder::OldestFirst => "r.created_at, r.id",
    }
}

pub(crate) async fn list_reports(pool: &PgPool, f: &ReportFilter) -> Result<Page<ReportRecord>> {
    let mut count = if f.by_status_only() {
        // Kept per status by migration 0017's triggers.
        let mut qb = QueryBuilder::<Postgres>::new(
            "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM report_counts WHERE 1 = 1",
        );
        if !f.statuses.is_empty() {
            qb.push(" AND status IN (");
            let mut sep = qb.separated(", ");
            for s in &f.statuses {
                sep.push_bind(s.as_str());
            }
            qb.push(")");
        }
        if f.public_only {
            qb.push(" AND rahasia = FALSE");
        }
        qb
    } else if let Some(cap) = f.count_up_to {
        // Stops at the first `cap + 1` matches (the desk's search among its open reports:
        // a common word is in thousands of them, each a row to read).
        let mut qb = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM (SELECT 1 FROM reports r");
        push_filters(&mut qb, f);
        qb.push(" LIMIT ")
            .push_bind(i64::try_from(cap.saturating_add(1)).unwrap_or(i64::MAX))
            .push(") m");
        qb
    } else {
        let mut qb = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM reports r");
        push_filters(&mut qb, f);
        qb
    };
    let total: Option<i64> = if f.skip_total {
        None
    } else {
        Some(
            count
                .build_query_scalar()
                .fetch_one(pool)
                .await
                .map_err(db_err)?,
        )
    };
    // Words among statuses still being handled: their count decides the plan (see
    // [`WALK_FROM`]). Only those statuses are few enough to walk (a final status holds most of
    // the reports, where a word in a few hundred would be looked for among all).
    let open = !f.statuses.is_empty() && f.statuses.iter().all(|s| !s.is_terminal());
    let words_among_open = match total {
        Some(n) if open && f.text.is_some() => Some(n as u64),
        _ => None,
    };
    let mut qb = if words_among_open.is_some_and(|n| n <= WALK_FROM) {
        // Few matches: gathered from the search index and sorted, once for all the statuses
        // (per status, the planner also read each status's whole range of `reports_status`
        // to intersect with the matches: 4.9 ms instead of 2.7 ms for a word in 277 of the
        // desk's reports at a million).
        page_ids_first(f)
    } else if split_by_status(f) {
        let walk = if words_among_open.is_some() {
            Walk::InTimeOrder
        } else {
            Walk::Planned
        };
        page_per_status(f, walk)
    } else if f.region.is_some() {
        page_ids_first(f)
    } else {
        let mut qb = QueryBuilder::<Postgres>::new(report_select());
        push_filters(&mut qb, f);
        qb.push(format!(" ORDER BY {}", time_order(f.order)));
        qb.push(" LIMIT ")
            .push_bind(i64::from(f.limit.clamp(1, 500)));
        qb.push(" OFFSET ").push_bind(i64::from(f.offset));
        qb
    };
    let items = qb
        .build()
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(report_from_row)
        .collect::<Result<Vec<_>>>()?;
    let total = match (total, f.count_up_to) {
        (None, _) => items.len() as u64,
        (Some(n), Some(cap)) => (n as u64).min(cap.saturating_add(1)),
        (Some(n), None) => n as u64,
    };
    Ok(Page { items, total })
}

pub(crate) async fn report_counts(pool: &PgPool, f: &ReportFilter) -> Result<Vec<ReportCount>> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "SELECT r.status AS status, r.category AS category, substr(r.region_code, 1, 5) AS kabkota, COUNT(*) AS n FROM reports r",
    );
    push_filters(&mut qb, f);
    qb.push(" GROUP BY 1, 2, 3");
    qb.build()
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(|row| {
            Ok(ReportCount {
                status: code(row, "status", ReportStatus::parse)?,
                category: get(row, "category")?,
                kabkota: get(row, "kabkota")?,
                count: get::<i64>(row, "n")? as u64,
            })
        })
        .collect()
}

pub(crate) async fn assignments(pool: &PgPool, report_id: i64) -> Result<Vec<AssignmentRecord>> {
    let mut clocks: HashMap<i64, Vec<Clock>> = HashMap::new();
    for c in sqlx::query(
        "SELECT * FROM clocks WHERE report_id = $1 AND assignment_id <> 0 ORDER BY kind",
    )
    .bind(report_id)
    .fetch_all(pool)
    .await
    .map_err(db_err)?
    {
        clocks
            .entry(get(&c, "assignment_id")?)
            .or_default()
            .push(clock_from_row(&c)?);
    }
    let rows = sqlx::query("SELECT a.*, g.name AS agency_name FROM assignments a JOIN agencies g ON g.id = a.agency_id WHERE a.report_id = $1 ORDER BY a.id")
        .bind(report_id)
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|row| {
            let id: i64 = get(row, "id")?;
            let clocks = clocks.remove(&id).unwrap_or_default();
            let due = |k: ClockKind| clocks.iter().find(|c| c.kind == k).and_then(|c| c.due_at);
            Ok(AssignmentRecord {
                id,
                report_id,
                agency_id: get(row, "agency_id")?,
                agency_name: get(row, "agency_name")?,
                role: code(row, "role", AssignmentRole::parse)?,
                stage: code(row, "stage", Stage::parse)?,
                responded: get(row, "responded")?,
                forwarded_from: get(row, "forwarded_from")?,
                created_at: get(row, "created_at")?,
                updated_at: get(row, "updated_at")?,
                first_response_at: get(row, "first_response_at")?,
                tuntas_at: get(row, "tuntas_at")?,
                response_due_at: due(ClockKind::FirstResponse),
                completion_due_at: due(ClockKind::Completion),
                negligent_at: get(row, "negligent_at")?,
                clocks,
            })
        })
        .collect()
}

/// An `activities` row.
pub(crate) fn activity_from_row(row: &PgRow) -> Result<ActivityRecord> {
    Ok(ActivityRecord {
        id: get(row, "id")?,
        report_id: get(row, "report_id")?,
        assignment_id: get(row, "assignment_id")?,
        agency_id: get(row, "agency_id")?,
        kind: code(row, "kind", ActivityKind::parse)?,
        stage: code_opt(row, "stage", Stage::parse)?,
        status: code_opt(row, "status", ReportStatus::parse)?,
        note: get(row, "note")?,
        actor: get(row, "actor")?,
        audience: code(row, "audience", Audience::parse)?,
        created_at: get(row, "created_at")?,
    })
}

pub(crate) async fn activities(pool: &PgPool, report_id: i64) -> Result<Vec<ActivityRecord>> {
    let rows = sqlx::query("SELECT * FROM activities WHERE report_id = $1 ORDER BY id")
        .bind(report_id)
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.iter().map(activity_from_row).collect()
}

/// A `messages` row.
pub(crate) fn message_from_row(row: &PgRow) -> Result<MessageRecord> {
    Ok(MessageRecord {
        id: get(row, "id")?,
        report_id: get(row, "report_id")?,
        reporter_id: get(row, "reporter_id")?,
        channel: code(row, "channel", Channel::parse)?,
        direction: code(row, "direction", Direction::parse)?,
        provider_message_id: get(row, "provider_message_id")?,
        body: get(row, "body")?,
        status: get(row, "status")?,
        author: get(row, "author")?,
        created_at: get(row, "created_at")?,
    })
}

pub(crate) async fn messages(pool: &PgPool, report_id: i64) -> Result<Vec<MessageRecord>> {
    let rows = sqlx::query("SELECT * FROM messages WHERE report_id = $1 ORDER BY id")
        .bind(report_id)
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.iter().map(message_from_row).collect()
}

pub(crate) async fn attachments(
    pool: &PgPool,
    cond: &str,
    key: Key,
) -> Result<Vec<AttachmentRecord>> {
    let sql = format!("SELECT * FROM attachments WHERE {cond} ORDER BY id");
    let q = sqlx::query(&sql);
    let q = match key {
        Key::Id(id) => q.bind(id),
        Key::Text(s) => q.bind(s),
    };
    let rows = q.fetch_all(pool).await.map_err(db_err)?;
    rows.iter().map(attachment_from_row).collect()
}

fn attachment_from_row(row: &PgRow) -> Result<AttachmentRecord> {
    let copy_key: Option<String> = get(row, "copy_storage_key")?;
    Ok(AttachmentRecord {
        id: get(row, "id")?,
        report_id: get(row, "report_id")?,
        activity_id: get(row, "activity_id")?,
        public_key: get(row, "public_key")?,
        filename: get(row, "filename")?,
        content_type: get(row, "content_type")?,
        size_bytes: get(row, "size_bytes")?,
        sha256: get(row, "sha256")?,
        storage_key: get(row, "storage_key")?,
        created_at: get(row, "created_at")?,
        review: code(row, "review", Review::parse)?,
        redacted: match copy_key {
            None => None,
            Some(storage_key) => Some(FileCopy {
                content_type: get(row, "copy_content_type")?,
                size_bytes: get(row, "copy_size_bytes")?,
                sha256: get(row, "copy_sha256")?,
                storage_key,
            }),
        },
        reviewed_at: get(row, "reviewed_at")?,
    })
}

pub(crate) async fn review_attachment(
    pool: &PgPool,
    review: &AttachmentReview,
) -> Result<AttachmentRecord> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    let copy = review.redacted.as_ref().map(|(c, _)| c);
    let report_id: Option<i64> = sqlx::query_scalar(
        "UPDATE attachments SET review = $1, reviewed_at = $2, copy_storage_key = $3, copy_content_type = $4,
           copy_size_bytes = $5, copy_sha256 = $6
         WHERE id = $7 RETURNING report_id",
    )
    .bind(review.decision.as_str())
    .bind(review.at)
    .bind(copy.map(|c| c.storage_key.clone()))
    .bind(copy.map(|c| c.content_type.clone()))
    .bind(copy.map(|c| c.size_bytes))
    .bind(copy.map(|c| c.sha256.clone()))
    .bind(review.attachment_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?;
    let report_id = report_id
        .ok_or_else(|| StoreError::NotFound(format!("attachment {}", review.attachment_id)))?;
    audit::append(&mut tx, effects::review_audit(review, report_id), review.at).await?;
    let row = sqlx::query("SELECT * FROM attachments WHERE id = $1")
        .bind(review.attachment_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
    let record = attachment_from_row(&row)?;
    tx.commit().await.map_err(db_err)?;
    Ok(record)
}

pub(crate) async fn replace_report_secret(
    pool: &PgPool,
    report_id: i64,
    secret_hash: &str,
    notification: &NewNotification,
    at: Timestamp,
) -> Result<bool> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    let done = sqlx::query("UPDATE reports SET secret_hash = $1 WHERE id = $2")
        .bind(secret_hash)
        .bind(report_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    let n = NewNotification {
        report_id: Some(report_id),
        ..notification.clone()
    };
    crate::scheduler::insert_notification(&mut tx, &n, at).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(true)
}
