//! Reports, their reporters, assignments, clocks, timeline, messages and attachments.

use crate::audit;
use crate::util::{
    clock_from_row, code, code_opt, date_opt, db_err, get, push_in_texts, ts, ts_opt, us, us_opt,
};
use crate::writer::Writer;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
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
use tanggap_store::redact;
use tanggap_store::*;

pub(crate) enum Key {
    Id(i64),
    Text(String),
}

const REPORT_SELECT: &str =
    "SELECT r.*, p.name AS p_name, p.phone AS p_phone, p.email AS p_email, p.nik AS p_nik
     FROM reports r LEFT JOIN reporters p ON p.id = r.reporter_id";

fn report_from_row(row: &SqliteRow) -> Result<ReportRecord> {
    let tracking: String = get(row, "tracking_id")?;
    let reporter_id: Option<i64> = get(row, "reporter_id")?;
    let rating: Option<i64> = get(row, "rating")?;
    Ok(ReportRecord {
        id: get(row, "id")?,
        tracking_id: TrackingId::parse(&tracking)
            .map_err(|_| StoreError::Backend(format!("bad tracking id `{tracking}`")))?,
        kind: code(row, "kind", ReportKind::parse)?,
        title: get(row, "title")?,
        body: get(row, "body")?,
        occurred_on: date_opt(get(row, "occurred_on")?),
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
        rating: rating.map(|r| r as u8),
        outcome: code_opt(row, "outcome", Outcome::parse)?,
        rating_comment: get(row, "rating_comment")?,
        reopen_count: get(row, "reopen_count")?,
        version: get(row, "version")?,
        created_at: ts(get(row, "created_at")?),
        updated_at: ts(get(row, "updated_at")?),
        dispatched_at: ts_opt(get(row, "dispatched_at")?),
        selesai_at: ts_opt(get(row, "selesai_at")?),
        closed_at: ts_opt(get(row, "closed_at")?),
    })
}

pub(crate) async fn report_where(
    pool: &SqlitePool,
    cond: &str,
    key: Key,
) -> Result<Option<ReportRecord>> {
    let sql = format!("{REPORT_SELECT} WHERE {cond}");
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

pub(crate) async fn secret_hash(pool: &SqlitePool, id: i64) -> Result<Option<String>> {
    sqlx::query_scalar("SELECT secret_hash FROM reports WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(db_err)
}

/// The report stored with an idempotency key hash.
pub(crate) async fn idempotent_submission(
    pool: &SqlitePool,
    key_hash: &str,
) -> Result<Option<IdempotentSubmission>> {
    let row: Option<(i64, String, String, String, i64)> = sqlx::query_as(
        "SELECT k.report_id, r.tracking_id, k.request_hash, k.sealed_secret, k.created_at
         FROM idempotency_keys k JOIN reports r ON r.id = k.report_id WHERE k.key_hash = ?",
    )
    .bind(key_hash)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    row.map(|(report_id, tid, request_hash, sealed_secret, at)| {
        Ok(IdempotentSubmission {
            report_id,
            tracking_id: TrackingId::parse(&tid)
                .map_err(|e| StoreError::Backend(format!("stored tracking id {tid}: {e}")))?,
            request_hash,
            sealed_secret,
            created_at: ts(at),
        })
    })
    .transpose()
}

pub(crate) async fn purge_idempotency_keys(w: &Writer, before: Timestamp) -> Result<u64> {
    w.run(move |conn| {
        Box::pin(async move {
            Ok(
                sqlx::query("DELETE FROM idempotency_keys WHERE created_at < ?")
                    .bind(us(before))
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?
                    .rows_affected(),
            )
        })
    })
    .await
}

/// The reporter of a new report. Details someone typed (a phone number, an e-mail address, a
/// NIK) never join a report to an earlier reporter's record: anyone can type a victim's phone
/// number. A typed report gets a record of its own; only a chat address that the provider vouched
/// for finds the record that address belongs to (the same person writing again), and then what
/// this report adds fills in what that record lacked, never overwriting it.
async fn find_or_create_reporter(
    conn: &mut SqliteConnection,
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
        found = sqlx::query_scalar(sql::FIND_REPORTER_BY_ADDRESS)
            .bind(channel.as_str())
            .bind(tanggap_store::identity_peer(*channel).as_str())
            .bind(address)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    let id = match found {
        Some(id) => {
            sqlx::query(sql::FILL_REPORTER)
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
        None => sqlx::query_scalar(sql::INSERT_REPORTER)
            .bind(&r.name)
            .bind(&r.phone)
            .bind(&r.email)
            .bind(&r.nik)
            .bind(us(now))
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err)?,
    };
    if let Some((channel, address)) = &r.channel_address {
        sqlx::query(sql::INSERT_REPORTER_ADDRESS)
            .bind(channel.as_str())
            .bind(address)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    Ok(Some(id))
}

async fn exists(conn: &mut SqliteConnection, sql: &str, key: &str) -> Result<bool> {
    Ok(sqlx::query_scalar::<_, i64>(sql)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .is_some())
}

pub(crate) async fn create_report(w: &Writer, r: NewReport) -> Result<CreatedReport> {
    if crate::intake::eligible(&r) {
        return w.create_report(r).await;
    }
    w.run(move |conn| {
        Box::pin(async move {
            if r.category.is_some() || r.region_code.is_some() {
                // One statement for both (a NULL code is not looked up).
                let (category, region): (bool, bool) = sqlx::query_as(sql::CHECK_REFERENCES)
                    .bind(&r.category)
                    .bind(&r.region_code)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(db_err)?;
                if let (false, Some(c)) = (category, &r.category) {
                    return Err(StoreError::Invalid(format!("unknown category `{c}`")));
                }
                if let (false, Some(code)) = (region, &r.region_code) {
                    return Err(StoreError::Invalid(format!("unknown region `{code}`")));
                }
            }
            let reporter_id = match &r.reporter {
                Some(rep) => find_or_create_reporter(conn, rep, r.created_at).await?,
                None => None,
            };
            let at = us(r.created_at);
            let id: i64 = sqlx::query_scalar(sql::INSERT_REPORT)
                .bind(r.tracking_id.as_str())
                .bind(&r.secret_hash)
                .bind(r.kind.as_str())
                .bind(&r.title)
                .bind(&r.body)
                .bind(r.occurred_on.map(|d| d.to_string()))
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
                .bind(at)
                .bind(at)
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| match db_err(e) {
                    StoreError::Conflict(_) => {
                        StoreError::Conflict(format!("tracking id {} is taken", r.tracking_id))
                    }
                    other => other,
                })?;
            if let Some(inbound) = r.inbound_id {
                sqlx::query("UPDATE reports SET inbound_id = ? WHERE id = ?")
                    .bind(inbound)
                    .bind(id)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
            }
            if let Some(origin) = &r.open311 {
                crate::open311::link_request(conn, id, origin, r.created_at).await?;
            }
            if let Some(k) = &r.idempotency {
                sqlx::query(
                    "INSERT INTO idempotency_keys (key_hash, request_hash, report_id, sealed_secret, created_at)
                     VALUES (?, ?, ?, ?, ?)",
                )
                .bind(&k.key_hash)
                .bind(&k.request_hash)
                .bind(id)
                .bind(&k.sealed_secret)
                .bind(at)
                .execute(&mut *conn)
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
                crate::scheduler::insert_notification(conn, &n, r.created_at).await?;
            }
            for c in &r.clocks {
                upsert_clock(conn, id, 0, c).await?;
            }
            let activity = insert_entry(
                conn,
                id,
                None,
                &effects::submitted_entry(),
                &r.actor,
                r.created_at,
            )
            .await?;
            for a in &r.attachments {
                insert_attachment(conn, id, Some(activity), a, r.created_at).await?;
            }
            let summary = redact::report_created(&r, reporter_id);
            audit::append(
                conn,
                NewAuditEvent::new(&r.actor, "report.created", "report", id).after(&summary),
                r.created_at,
            )
            .await?;
            Ok(CreatedReport {
                id,
                tracking_id: r.tracking_id.clone(),
                reporter_id,
            })
        })
    })
    .await
}

async fn upsert_clock(
    conn: &mut SqliteConnection,
    report_id: i64,
    assignment_id: i64,
    c: &Clock,
) -> Result<()> {
    sqlx::query(sql::UPSERT_CLOCK)
        .bind(report_id)
        .bind(assignment_id)
        .bind(c.kind.as_str())
        .bind(c.measure.as_str())
        .bind(c.budget.num_microseconds().unwrap_or(i64::MAX))
        .bind(us(c.started_at))
        .bind(c.consumed.num_microseconds().unwrap_or(i64::MAX))
        .bind(us_opt(c.running_since))
        .bind(us_opt(c.due_at))
        .bind(us_opt(c.stopped_at))
        .bind(i64::from(c.fired))
        .bind(us_opt(c.next_fire_at))
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Inserts a timeline entry; `assignment` is the entry's assignment and its agency.
async fn insert_entry(
    conn: &mut SqliteConnection,
    report_id: i64,
    assignment: Option<(i64, &str)>,
    entry: &TimelineEntry,
    actor: &str,
    at: Timestamp,
) -> Result<i64> {
    sqlx::query_scalar(sql::INSERT_ENTRY)
        .bind(report_id)
        .bind(assignment.map(|(id, _)| id))
        .bind(assignment.map(|(_, agency)| agency))
        .bind(entry.kind.as_str())
        .bind(entry.stage.map(|s| s.as_str()))
        .bind(entry.status.map(|s| s.as_str()))
        .bind(entry.note.as_deref())
        .bind(actor)
        .bind(entry.audience.as_str())
        .bind(us(at))
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)
}

/// A fresh public key (the thread's generator is not held across an await).
fn new_key() -> String {
    tanggap_domain::ids::attachment_key(&mut rand::thread_rng())
}

async fn insert_attachment(
    conn: &mut SqliteConnection,
    report_id: i64,
    activity_id: Option<i64>,
    a: &NewAttachment,
    at: Timestamp,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO attachments (report_id, activity_id, public_key, filename, content_type, size_bytes, sha256, storage_key, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(report_id)
    .bind(activity_id)
    .bind(new_key())
    .bind(&a.filename)
    .bind(&a.content_type)
    .bind(a.size_bytes)
    .bind(&a.sha256)
    .bind(&a.storage_key)
    .bind(us(at))
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)
}

#[allow(clippy::too_many_arguments)]
async fn insert_message(
    conn: &mut SqliteConnection,
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
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(report_id)
    .bind(reporter_id)
    .bind(channel)
    .bind(direction.as_str())
    .bind(body)
    .bind(status)
    .bind(author)
    .bind(us(at))
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)
}

pub(crate) async fn report_view(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<Option<ReportView>> {
    Ok(report_views(conn, &[id]).await?.pop())
}

/// The views of `ids` that exist, in the order of `ids`: three queries whatever their number.
pub(crate) async fn report_views(
    conn: &mut SqliteConnection,
    ids: &[i64],
) -> Result<Vec<ReportView>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let in_ids = |sql: &str| in_ids(sql, ids);
    let mut clocks: HashMap<(i64, i64), Vec<Clock>> = HashMap::new();
    for c in in_ids("SELECT * FROM clocks WHERE report_id")
        .push(" ORDER BY report_id, assignment_id, kind")
        .build()
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
    for a in in_ids("SELECT * FROM assignments WHERE report_id")
        .push(" ORDER BY id")
        .build()
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
    for row in in_ids("SELECT * FROM reports WHERE id")
        .build()
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

/// `sql` (ending in a column) followed by ` IN (…)` with `ids` bound.
fn in_ids<'a>(sql: &str, ids: &[i64]) -> QueryBuilder<'a, Sqlite> {
    let mut qb = QueryBuilder::<Sqlite>::new(sql);
    qb.push(" IN (");
    let mut sep = qb.separated(", ");
    for id in ids {
        sep.push_bind(*id);
    }
    qb.push(")");
    qb
}

/// The clocks of `ids` that have not stopped, each with its assignment's stage: one statement
/// for a page of the desk (reading the page's whole views took three, and the reports' rows a
/// second time).
pub(crate) async fn open_clocks(pool: &SqlitePool, ids: &[i64]) -> Result<Vec<OpenClock>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    in_ids(
        "SELECT c.*, a.stage AS a_stage, a.responded AS a_responded FROM clocks c \
         LEFT JOIN assignments a ON a.id = c.assignment_id \
         WHERE c.stopped_at IS NULL AND c.report_id",
        ids,
    )
    .build()
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

pub(crate) async fn apply_events(w: &Writer, change: ReportChange) -> Result<Applied> {
    w.run(move |conn| Box::pin(async move { apply_in_tx(conn, &change).await }))
        .await
}

async fn apply_in_tx(conn: &mut SqliteConnection, change: &ReportChange) -> Result<Applied> {
    let id = change.report_id;
    let row: Option<(i64, String, Option<i64>)> =
        sqlx::query_as("SELECT version, channel, reporter_id FROM reports WHERE id = ?")
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
                sqlx::query_scalar("SELECT tracking_id FROM reports WHERE id = ?")
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
        "UPDATE reports SET version = version + 1, updated_at = ? WHERE id = ? AND version = ?",
    )
    .bind(us(now))
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
    conn: &mut SqliteConnection,
    id: i64,
    event: &Event,
    now: Timestamp,
    created: &mut Vec<i64>,
) -> Result<Option<(i64, String)>> {
    let at = us(now);
    match event {
        Event::StatusChanged { to, .. } => {
            let stamp = match to {
                ReportStatus::Didisposisikan => "dispatched_at = COALESCE(dispatched_at, ?)",
                ReportStatus::Selesai => "selesai_at = ?",
                ReportStatus::Ditutup => "closed_at = ?",
                _ => "updated_at = ?",
            };
            sqlx::query(&format!(
                "UPDATE reports SET status = ?, {stamp} WHERE id = ?"
            ))
            .bind(to.as_str())
            .bind(at)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        }
        Event::WaitStarted { resume_to, .. } => {
            sqlx::query("UPDATE reports SET status_before_wait = ? WHERE id = ?")
                .bind(resume_to.as_str())
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
        }
        Event::WaitEnded { .. } => {
            sqlx::query("UPDATE reports SET status_before_wait = NULL WHERE id = ?")
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
        }
        Event::Edited { after, .. } => {
            if let Some(c) = &after.category
                && !exists(conn, "SELECT 1 FROM categories WHERE code = ?", c).await?
            {
                return Err(StoreError::Invalid(format!("unknown category `{c}`")));
            }
            if let Some(code) = &after.region_code
                && !exists(conn, "SELECT 1 FROM regions WHERE code = ?", code).await?
            {
                return Err(StoreError::Invalid(format!("unknown region `{code}`")));
            }
            sqlx::query(
                "UPDATE reports SET kind = ?, title = ?, body = ?, category = ?, region_code = ?, address = ?, anonim = ?, rahasia = ?, needs_field_check = ? WHERE id = ?",
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
            if !exists(conn, "SELECT 1 FROM agencies WHERE id = ?", agency_id).await? {
                return Err(StoreError::Invalid(format!("unknown agency `{agency_id}`")));
            }
            let aid: i64 = sqlx::query_scalar(
                "INSERT INTO assignments (report_id, agency_id, role, stage, responded, forwarded_from, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(id)
            .bind(agency_id)
            .bind(role.as_str())
            .bind(stage.as_str())
            .bind(*responded)
            .bind(*forwarded_from)
            .bind(at)
            .bind(at)
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
                "UPDATE assignments SET stage = ?, updated_at = ?, responded = responded OR ?,
                   first_response_at = CASE WHEN ? AND first_response_at IS NULL THEN ? ELSE first_response_at END,
                   tuntas_at = CASE WHEN ? = 'tuntas' THEN ? ELSE tuntas_at END
                 WHERE id = ? AND report_id = ? RETURNING agency_id",
            )
            .bind(to.as_str())
            .bind(at)
            .bind(*first_response)
            .bind(*first_response)
            .bind(at)
            .bind(to.as_str())
            .bind(at)
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
                "UPDATE assignments SET stage = 'menunggu_respon', responded = 0, first_response_at = NULL, tuntas_at = NULL, updated_at = ?
                 WHERE id = ? AND report_id = ? RETURNING agency_id",
            )
            .bind(at)
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
                "INSERT INTO obligations (assignment_id, report_id, agency_id, cycle, started_at, due_at) SELECT a.id, a.report_id, a.agency_id, 1 + (SELECT COUNT(*) FROM obligations o WHERE o.assignment_id = a.id), ?, ? FROM assignments a WHERE a.id = ? AND a.report_id = ?",
            )
            .bind(us(*started_at))
            .bind(us(*due_at))
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
                Event::ObligationAnswered { at: Some(t), .. } => ("responded_at", us(*t)),
                Event::ObligationAnswered { .. } => ("responded_at", at),
                _ => ("cancelled_at", at),
            };
            sqlx::query(&format!(
                "UPDATE obligations SET {column} = ? WHERE assignment_id = ? AND responded_at IS NULL AND cancelled_at IS NULL"
            ))
            .bind(when)
            .bind(aid)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        }
        Event::ObligationDueMoved { assignment, due_at } => {
            let aid = resolve(*assignment, created)?;
            sqlx::query("UPDATE obligations SET due_at = ? WHERE assignment_id = ? AND responded_at IS NULL AND cancelled_at IS NULL")
                .bind(us(*due_at))
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
            sqlx::query("UPDATE reports SET duplicate_of = ? WHERE id = ?")
                .bind(master_id)
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
        }
        Event::Archived { reason } => {
            sqlx::query("UPDATE reports SET archive_reason = ? WHERE id = ?")
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
                "UPDATE reports SET rating = ?, outcome = ?, rating_comment = ? WHERE id = ?",
            )
            .bind(i64::from(*score))
            .bind(outcome.as_str())
            .bind(comment)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        }
        Event::Reopened { .. } => {
            sqlx::query("UPDATE reports SET reopen_count = reopen_count + 1 WHERE id = ?")
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

/// Turns free text into an FTS5 query: every word must match,
/// with all of FTS5's operators neutralised by quoting.
fn fts_query(text: &str, any_word: bool) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("\"{w}\""))
        .collect();
    (!words.is_empty()).then(|| words.join(if any_word { " OR " } else { " " }))
}

/// Which index finds a listing's reports. A full-text match is a list of ids read from the
/// search index; when another condition narrows the reports to a few (statuses still being
/// handled, a place, a reporter), that condition's index is walked and each report looked up
/// in the list (`+r.id`: a few thousand lookups, 15 ms at a million reports for a word in one
/// report of seven) instead of reading every matching report's row (170 ms for the same word).
fn narrow_besides_text(f: &ReportFilter) -> bool {
    few_statuses(f) || f.region.is_some() || f.reporter_id.is_some() || f.channel.is_some()
}

/// Only statuses that a report leaves (not closed, archived or duplicate): a few percent of
/// a database of years.
fn few_statuses(f: &ReportFilter) -> bool {
    !f.statuses.is_empty() && f.statuses.iter().all(|s| !s.is_terminal())
}

/// What the filters are for: counting every match, or finding one page of them in order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Listing {
    Count,
    /// `text_first`: the search's matches are few enough to read each one's row (see
    /// [`TEXT_FIRST_UP_TO`]); otherwise the time index is walked and each report looked up in
    /// the matches until the page is full.
    Page {
        text_first: bool,
    },
}

/// Up to this many matches, a search with nothing narrower to go by reads the matches' rows
/// (about a microsecond each) and sorts them; with more, walking the time index and looking
/// each report up in the matches fills the page sooner (a word in one report of seven: 15 ms
/// instead of 155 ms at a million; a word in a handful of reports would walk the whole index).
const TEXT_FIRST_UP_TO: i64 = 5_000;

/// The full-text indexes: every report's, and two that hold only the reports still being
/// handled, each open report in one of them: those waiting for the desk (migration 0025) and
/// those with agencies (migration 0019).
const FTS_ALL: &str = "reports_fts";
const FTS_DESK: &str = "reports_fts_desk";
const FTS_OPEN: &str = "reports_fts_open";

/// The search indexes that hold every report in these statuses, the smallest that do.
fn search_indexes(statuses: &[ReportStatus]) -> &'static [&'static str] {
    if statuses.is_empty() || statuses.iter().any(|s| s.is_terminal()) {
        &[FTS_ALL]
    } else if statuses.iter().all(|s| s.awaits_desk()) {
        &[FTS_DESK]
    } else if statuses.iter().all(|s| !s.awaits_desk()) {
        &[FTS_OPEN]
    } else {
        &[FTS_DESK, FTS_OPEN]
    }
}

/// The statuses whose reports a search index holds, when it holds only some.
fn index_statuses(index: &str) -> Option<Vec<ReportStatus>> {
    let open = ReportStatus::ALL.iter().filter(|s| !s.is_terminal());
    match index {
        FTS_DESK => Some(open.filter(|s| s.awaits_desk()).copied().collect()),
        FTS_OPEN => Some(open.filter(|s| !s.awaits_desk()).copied().collect()),
        _ => None,
    }
}

/// The one index holding exactly the reports of a filter on statuses and words alone, if any:
/// its own count of a query's matches is then the filter's total (the desk's search among
/// the reports waiting for it).
fn index_of_exactly(f: &ReportFilter) -> Option<&'static str> {
    let statuses_only = ReportFilter {
        text: None,
        ..f.clone()
    }
    .by_status_only();
    if f.text.is_none() || f.public_only || !statuses_only {
        return None;
    }
    let [index] = search_indexes(&f.statuses) else {
        return None;
    };
    // The filter's statuses are all the index's (search_indexes); are all the index's there?
    let holds = index_statuses(index)?;
    holds
        .iter()
        .all(|s| f.statuses.contains(s))
        .then_some(*index)
}

/// A page of a whole kabupaten/kota (or the province) in time order, with nothing narrower to
/// go by, is found sooner by walking the time index back from the newest until the page is
/// full (a kabupaten/kota holds a few percent of the reports) than by reading and sorting the
/// region's whole range (85 ms at a million). A kecamatan or village is narrow: its range.
fn walk_time_for_region(f: &ReportFilter, listing: Listing) -> bool {
    matches!(listing, Listing::Page { .. })
        && f.region.as_deref().is_some_and(|r| r.len() <= 5)
        && f.text.is_none()
        && f.created_from.is_none()
        && f.reporter_id.is_none()
        && !few_statuses(f)
}

fn push_filters(qb: &mut QueryBuilder<'_, Sqlite>, f: &ReportFilter, listing: Listing) {
    qb.push(" WHERE 1 = 1");
    if !f.statuses.is_empty() {
        qb.push(" AND r.status IN (");
        let mut sep = qb.separated(", ");
        for s in &f.statuses {
            sep.push_bind(s.as_str());
        }
        qb.push(")");
    }
    if f.stage.is_some() || f.agency_ids.is_some() {
        qb.push(" AND EXISTS (SELECT 1 FROM assignments a WHERE a.report_id = r.id");
        if let Some(stage) = f.stage {
            qb.push(" AND a.stage = ").push_bind(stage.as_str());
        }
        if let Some(ids) = &f.agency_ids {
            push_in_texts(qb, "a.agency_id", ids);
        }
        qb.push(")");
    }
    if let Some(c) = &f.category {
        qb.push(" AND r.category = ").push_bind(c.clone());
    }
    if !f.categories.is_empty() {
        qb.push(" AND r.category IN (");
        let mut sep = qb.separated(", ");
        for c in &f.categories {
            sep.push_bind(c.clone());
        }
        qb.push(")");
    }
    if let Some(region) = &f.region {
        // The code itself or any code below it: `33.22` matches `33.22.10`, never `33.2` nor
        // `33.220`. A well-formed code is digits and dots, so the codes from `33.22` up to
        // `33.22/` (`/` follows `.`) are exactly those: one range of the region index.
        if tanggap_domain::Region::is_valid_code(region) {
            let col = if walk_time_for_region(f, listing) {
                "+r.region_code"
            } else {
                "r.region_code"
            };
            qb.push(format!(" AND {col} >= ")).push_bind(region.clone());
            qb.push(format!(" AND {col} < "))
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
        qb.push(" AND r.created_at >= ").push_bind(us(from));
    }
    if let Some(to) = f.created_to {
        qb.push(" AND r.created_at < ").push_bind(us(to));
    }
    if let Some(now) = f.overdue_at {
        qb.push(" AND EXISTS (SELECT 1 FROM clocks c WHERE c.report_id = r.id AND c.assignment_id <> 0 AND c.kind IN ('first_response', 'completion') AND c.stopped_at IS NULL AND c.due_at < ");
        qb.push_bind(us(now));
        qb.push(")");
    }
    if f.text.is_some() {
        let id = match listing {
            _ if narrow_besides_text(f) => "+r.id",
            Listing::Page { text_first: false } => "+r.id",
            _ => "r.id",
        };
        push_text(qb, f, &f.statuses, id);
    }
    if f.public_only {
        qb.push(" AND r.rahasia = 0");
    }
    if let Some(rid) = f.reporter_id {
        qb.push(" AND r.reporter_id = ").push_bind(rid);
    }
}

pub(crate) async fn list_reports(
    pool: &SqlitePool,
    f: &ReportFilter,
) -> Result<Page<ReportRecord>> {
    // The page's ids first, from the indexes alone where the filters allow; then only the
    // page's rows (a report's row holds its whole text: reading the rows of every candidate
    // to sort them cost 25 ms for the desk's 15,000 open reports at a million).
    // A search with nothing narrower: how many reports hold the words decides the plan (and
    // is the total when the words are the only filter).
    let text_only = f.statuses.is_empty()
        && !f.public_only
        && ReportFilter {
            text: None,
            ..f.clone()
        }
        .by_status_only();
    let hits = match (&f.text, narrow_besides_text(f)) {
        (Some(t), false) => match fts_query(t, f.text_any_word) {
            Some(q) => Some(search_hits(pool, FTS_ALL, q).await?),
            None => Some(0),
        },
        _ => None,
    };
    // The desk's search among the reports waiting for it: their own index counts them.
    let exactly = index_of_exactly(f).filter(|_| !f.skip_total);
    let exact = match (&f.text, exactly) {
        (Some(t), Some(index)) => match fts_query(t, f.text_any_word) {
            Some(q) => Some(search_hits(pool, index, q).await?),
            None => Some(0),
        },
        _ => None,
    };
    let mut qb = if let (Some(n), Some(index)) = (exact, exactly)
        && n <= MATCHES_FIRST_UP_TO
    {
        page_from_matches(f, index)
    } else if split_by_status(f) {
        page_per_status(f)
    } else {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT r.id FROM reports r");
        push_filters(
            &mut qb,
            f,
            Listing::Page {
                text_first: hits.is_none_or(|n| n <= TEXT_FIRST_UP_TO),
            },
        );
        // Reports in the statuses still being handled are few (a few percent of a database
        // of years); walking the time index to find them read every closed report first
        // (0.7 s at a million). `+` keeps SQLite off the time index for those, so it reads
        // the status index and sorts the few; a listing of closed, archived or duplicate
        // reports (most of the database) still walks the time index and stops at the page's
        // end.
        let few = few_statuses(f);
        qb.push(match (f.order, few) {
            (ReportOrder::NewestFirst, false) => " ORDER BY r.created_at DESC, r.id DESC",
            (ReportOrder::OldestFirst, false) => " ORDER BY r.created_at, r.id",
            (ReportOrder::NewestFirst, true) => " ORDER BY +r.created_at DESC, r.id DESC",
            (ReportOrder::OldestFirst, true) => " ORDER BY +r.created_at, r.id",
        });
        qb.push(" LIMIT ")
            .push_bind(i64::from(f.limit.clamp(1, 500)));
        qb.push(" OFFSET ").push_bind(i64::from(f.offset));
        qb
    };
    let ids: Vec<i64> = if exact == Some(0) {
        Vec::new()
    } else {
        qb.build_query_scalar()
            .fetch_all(pool)
            .await
            .map_err(db_err)?
    };
    let items = reports_by_ids(pool, &ids).await?;
    let total = match (f.skip_total, text_only, hits, exact) {
        (true, ..) => items.len() as u64,
        // Every report is in the search index once its batch has committed, and leaves it
        // when deleted: the index counts its own matches without reading a report.
        (false, true, Some(n), _) | (false, _, _, Some(n)) => n as u64,
        (false, ..) => count_reports_matching(pool, f).await?,
    };
    let total = match f.count_up_to {
        Some(cap) if !f.skip_total => total.min(cap.saturating_add(1)),
        _ => total,
    };
    Ok(Page { items, total })
}

/// The filter's words to search, if any: `{id}` (the report's id, `+r.id` to keep SQLite from
/// driving the statement by it) among the matches of the indexes that hold the reports of
/// `statuses` (see [`search_indexes`]).
fn push_text(
    qb: &mut QueryBuilder<'_, Sqlite>,
    f: &ReportFilter,
    statuses: &[ReportStatus],
    id: &str,
) {
    let Some(text) = &f.text else { return };
    match fts_query(text, f.text_any_word) {
        Some(q) => {
            qb.push(format!(" AND {id} IN ("));
            for (i, index) in search_indexes(statuses).iter().enumerate() {
                if i > 0 {
                    qb.push(" UNION ALL ");
                }
                qb.push(format!("SELECT rowid FROM {index} WHERE {index} MATCH "))
                    .push_bind(q.clone());
            }
            qb.push(")");
        }
        None => {
            qb.push(" AND 0");
        }
    }
}

/// Several open statuses (and perhaps a channel or words to search) and nothing else: the
/// desk's queues and its search.
fn split_by_status(f: &ReportFilter) -> bool {
    few_statuses(f)
        && f.statuses.len() > 1
        && !f.public_only
        && ReportFilter {
            channel: None,
            text: None,
            ..f.clone()
        }
        .by_status_only()
}

/// The page of a [`split_by_status`] listing: each status's first reports in time order read
/// from its own range of the status (or channel) index, which is in that order, and merged;
/// sorting every report of the statuses (15,000 at a million) cost 2 ms of the desk's page.
/// With words to search, each status's range is walked until its first matches fill the page
/// (a common word: a few hundred reports looked up in the matches instead of every one of the
/// statuses' and a sort, 1.6–3.3 ms instead of 3–8 ms at a million).
fn page_per_status(f: &ReportFilter) -> QueryBuilder<'static, Sqlite> {
    let order = match f.order {
        ReportOrder::NewestFirst => "created_at DESC, id DESC",
        ReportOrder::OldestFirst => "created_at, id",
    };
    let limit = i64::from(f.limit.clamp(1, 500));
    let offset = i64::from(f.offset);
    let mut qb = QueryBuilder::<Sqlite>::new("SELECT id FROM (");
    for (i, status) in f.statuses.iter().enumerate() {
        if i > 0 {
            qb.push(" UNION ALL ");
        }
        qb.push("SELECT * FROM (SELECT r.id, r.created_at FROM reports r WHERE r.status = ")
            .push_bind(status.as_str());
        if let Some(ch) = f.channel {
            qb.push(" AND r.channel = ").push_bind(ch.as_str());
        }
        push_text(&mut qb, f, std::slice::from_ref(status), "+r.id");
        qb.push(format!(" ORDER BY r.{order} LIMIT "))
            .push_bind(limit + offset)
            .push(")");
    }
    qb.push(format!(") ORDER BY {order} LIMIT "))
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    qb
}

/// Up to this many matches in the index that holds exactly a search's statuses, its page is
/// found by reading each match's row (1–3 µs each) rather than by walking the statuses'
/// reports in time order until the page is full, which walks most of them (15,000 at a
/// million, about 2 ms) when the words are rare: 0.1–0.3 ms instead for a word in a few
/// hundred of the desk's reports; a common one fills the page from the walk in 1–1.5 ms.
const MATCHES_FIRST_UP_TO: i64 = 500;

/// The page of a search on statuses and words alone whose matches are few: the matches of the
/// index that holds exactly those statuses' reports, each report's row read and sorted.
fn page_from_matches(f: &ReportFilter, index: &str) -> QueryBuilder<'static, Sqlite> {
    let order = match f.order {
        ReportOrder::NewestFirst => "r.created_at DESC, r.id DESC",
        ReportOrder::OldestFirst => "r.created_at, r.id",
    };
    let mut qb = QueryBuilder::<Sqlite>::new(format!(
        "SELECT r.id FROM {index} CROSS JOIN reports r ON r.id = {index}.rowid WHERE {index} MATCH "
    ));
    // Words to search are there: without any, the listing has no matches and is not read.
    qb.push_bind(fts_query(
        f.text.as_deref().unwrap_or_default(),
        f.text_any_word,
    ));
    qb.push(" AND r.status IN (");
    let mut sep = qb.separated(", ");
    for s in &f.statuses {
        sep.push_bind(s.as_str());
    }
    qb.push(format!(") ORDER BY {order} LIMIT "))
        .push_bind(i64::from(f.limit.clamp(1, 500)))
        .push(" OFFSET ")
        .push_bind(i64::from(f.offset));
    qb
}

/// How many reports a search index holds for a query.
async fn search_hits(pool: &SqlitePool, index: &str, q: String) -> Result<i64> {
    sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM {index} WHERE {index} MATCH ?"
    ))
    .bind(q)
    .fetch_one(pool)
    .await
    .map_err(db_err)
}

/// The reports with these ids, in the order given (ids not found are left out).
async fn reports_by_ids(pool: &SqlitePool, ids: &[i64]) -> Result<Vec<ReportRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut by_id: HashMap<i64, ReportRecord> = in_ids(&format!("{REPORT_SELECT} WHERE r.id"), ids)
        .build()
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(|row| report_from_row(row).map(|r| (r.id, r)))
        .collect::<Result<_>>()?;
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

async fn count_reports_matching(pool: &SqlitePool, f: &ReportFilter) -> Result<u64> {
    let mut count = if f.by_status_only() {
        // Kept per status by migration 0017's triggers.
        let mut qb = QueryBuilder::<Sqlite>::new(
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
            qb.push(" AND rahasia = 0");
        }
        qb
    } else if let Some(cap) = f.count_up_to {
        // Stops at the first `cap + 1` matches (the desk's search among its open reports:
        // a common word is in thousands of them).
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM (SELECT 1 FROM reports r");
        push_filters(&mut qb, f, Listing::Count);
        qb.push(" LIMIT ")
            .push_bind(i64::try_from(cap.saturating_add(1)).unwrap_or(i64::MAX))
            .push(")");
        qb
    } else {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM reports r");
        push_filters(&mut qb, f, Listing::Count);
        qb
    };
    let total: i64 = count
        .build_query_scalar()
        .fetch_one(pool)
        .await
        .map_err(db_err)?;
    Ok(total as u64)
}

pub(crate) async fn report_counts(pool: &SqlitePool, f: &ReportFilter) -> Result<Vec<ReportCount>> {
    let mut qb = QueryBuilder::<Sqlite>::new(
        "SELECT r.status AS status, r.category AS category, substr(r.region_code, 1, 5) AS kabkota, COUNT(*) AS n FROM reports r",
    );
    push_filters(&mut qb, f, Listing::Count);
    qb.push(" GROUP BY r.status, r.category, substr(r.region_code, 1, 5)");
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

pub(crate) async fn assignments(
    pool: &SqlitePool,
    report_id: i64,
) -> Result<Vec<AssignmentRecord>> {
    let mut clocks: HashMap<i64, Vec<Clock>> = HashMap::new();
    for c in
        sqlx::query("SELECT * FROM clocks WHERE report_id = ? AND assignment_id <> 0 ORDER BY kind")
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
    let rows = sqlx::query("SELECT a.*, g.name AS agency_name FROM assignments a JOIN agencies g ON g.id = a.agency_id WHERE a.report_id = ? ORDER BY a.id")
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
                created_at: ts(get(row, "created_at")?),
                updated_at: ts(get(row, "updated_at")?),
                first_response_at: ts_opt(get(row, "first_response_at")?),
                tuntas_at: ts_opt(get(row, "tuntas_at")?),
                response_due_at: due(ClockKind::FirstResponse),
                completion_due_at: due(ClockKind::Completion),
                negligent_at: ts_opt(get(row, "negligent_at")?),
                clocks,
            })
        })
        .collect()
}

/// An `activities` row.
pub(crate) fn activity_from_row(row: &SqliteRow) -> Result<ActivityRecord> {
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
        created_at: ts(get(row, "created_at")?),
    })
}

pub(crate) async fn activities(pool: &SqlitePool, report_id: i64) -> Result<Vec<ActivityRecord>> {
    let rows = sqlx::query("SELECT * FROM activities WHERE report_id = ? ORDER BY id")
        .bind(report_id)
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.iter().map(activity_from_row).collect()
}

/// A `messages` row.
pub(crate) fn message_from_row(row: &SqliteRow) -> Result<MessageRecord> {
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
        created_at: ts(get(row, "created_at")?),
    })
}

pub(crate) async fn messages(pool: &SqlitePool, report_id: i64) -> Result<Vec<MessageRecord>> {
    let rows = sqlx::query("SELECT * FROM messages WHERE report_id = ? ORDER BY id")
        .bind(report_id)
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.iter().map(message_from_row).collect()
}

pub(crate) async fn attachments(
    pool: &SqlitePool,
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

fn attachment_from_row(row: &SqliteRow) -> Result<AttachmentRecord> {
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
        created_at: ts(get(row, "created_at")?),
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
        reviewed_at: ts_opt(get(row, "reviewed_at")?),
    })
}

pub(crate) async fn review_attachment(
    w: &Writer,
    review: AttachmentReview,
) -> Result<AttachmentRecord> {
    w.run(move |conn| {
        Box::pin(async move {
            let copy = review.redacted.as_ref().map(|(c, _)| c);
            let report_id: Option<i64> = sqlx::query_scalar(
                "UPDATE attachments SET review = ?, reviewed_at = ?, copy_storage_key = ?, copy_content_type = ?, copy_size_bytes = ?, copy_sha256 = ?
                 WHERE id = ? RETURNING report_id",
            )
            .bind(review.decision.as_str())
            .bind(us(review.at))
            .bind(copy.map(|c| c.storage_key.clone()))
            .bind(copy.map(|c| c.content_type.clone()))
            .bind(copy.map(|c| c.size_bytes))
            .bind(copy.map(|c| c.sha256.clone()))
            .bind(review.attachment_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
            let report_id = report_id.ok_or_else(|| StoreError::NotFound(format!("attachment {}", review.attachment_id)))?;
            audit::append(conn, effects::review_audit(&review, report_id), review.at).await?;
            let row = sqlx::query("SELECT * FROM attachments WHERE id = ?")
                .bind(review.attachment_id)
                .fetch_one(&mut *conn)
                .await
                .map_err(db_err)?;
            attachment_from_row(&row)
        })
    })
    .await
}

pub(crate) async fn replace_report_secret(
    w: &Writer,
    report_id: i64,
    secret_hash: String,
    notification: NewNotification,
    at: Timestamp,
) -> Result<bool> {
    w.run(move |conn| {
        Box::pin(async move {
            let done = sqlx::query("UPDATE reports SET secret_hash = ? WHERE id = ?")
                .bind(&secret_hash)
                .bind(report_id)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            let n = NewNotification {
                report_id: Some(report_id),
                ..notification
            };
            crate::scheduler::insert_notification(conn, &n, at).await?;
            Ok(true)
        })
    })
    .await
}

/// Statements shared by the general write path and the intake batches ([`crate::intake`]).
pub(crate) mod sql {
    pub(crate) const CHECK_REFERENCES: &str =
        "SELECT ?1 IS NULL OR EXISTS (SELECT 1 FROM categories WHERE code = ?1),
                            ?2 IS NULL OR EXISTS (SELECT 1 FROM regions WHERE code = ?2)";
    pub(crate) const INSERT_REPORT: &str = "INSERT INTO reports (tracking_id, secret_hash, kind, title, body, occurred_on, region_code, address, latitude, longitude,
                   category, channel, reporter_id, entered_by, show_reporter_name, anonim, rahasia, needs_field_check, status, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'baru', ?, ?) RETURNING id";
    pub(crate) const FIND_REPORTER_BY_ADDRESS: &str = "SELECT reporter_id FROM reporter_addresses WHERE channel IN (?, ?) AND address = ? ORDER BY reporter_id LIMIT 1";
    pub(crate) const FILL_REPORTER: &str = "UPDATE reporters SET name = COALESCE(name, ?), email = COALESCE(email, ?), nik = COALESCE(nik, ?),
                   phone = COALESCE(phone, ?) WHERE id = ?";
    pub(crate) const INSERT_REPORTER: &str = "INSERT INTO reporters (name, phone, email, nik, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id";
    pub(crate) const INSERT_REPORTER_ADDRESS: &str = "INSERT INTO reporter_addresses (channel, address, reporter_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING";
    pub(crate) const UPSERT_CLOCK: &str = "INSERT INTO clocks (report_id, assignment_id, kind, measure, budget_us, started_at, consumed_us, running_since, due_at, stopped_at, fired, next_fire_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (report_id, assignment_id, kind) DO UPDATE SET measure = excluded.measure, budget_us = excluded.budget_us,
           started_at = excluded.started_at, consumed_us = excluded.consumed_us, running_since = excluded.running_since,
           due_at = excluded.due_at, stopped_at = excluded.stopped_at, fired = excluded.fired, next_fire_at = excluded.next_fire_at";
    pub(crate) const INSERT_ENTRY: &str = "INSERT INTO activities (report_id, assignment_id, agency_id, kind, stage, status, note, actor, audience, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
    pub(crate) const INSERT_NOTIFICATION: &str = "INSERT INTO notifications (idempotency_key, action, report_id, assignment_id, agency_id, recipient, user_id,
            channel, address, subject, body, status, attempts, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)
         ON CONFLICT (idempotency_key) DO NOTHING";
    pub(crate) const INSERT_AUDIT_EVENT: &str = "INSERT INTO audit_events (seq, occurred_at, actor, action, object_type, object_id, before_json, after_json, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    pub(crate) const UPSERT_AUDIT_HEAD: &str = "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash";
    /// `CROSS JOIN` keeps the pending list as the outer loop: with a plain join, on a database
    /// of a million reports the planner walked every report to find the few pending (2 s a
    /// commit).
    pub(crate) const INDEX_PENDING_REPORTS: &str = "INSERT INTO reports_fts (rowid, title, body)
         SELECT r.id, r.title, r.body FROM reports_fts_pending p CROSS JOIN reports r ON r.id = p.report_id";
    /// The pending reports still being handled also go into the index of their kind: waiting
    /// for the desk (migration 0025) or with agencies (migration 0019); run before the pending
    /// list is emptied.
    pub(crate) const INDEX_PENDING_DESK_REPORTS: &str = "INSERT INTO reports_fts_desk (rowid, title, body)
         SELECT r.id, r.title, r.body FROM reports_fts_pending p CROSS JOIN reports r ON r.id = p.report_id
          WHERE r.status IN ('baru', 'dibuka_kembali', 'menunggu_pelapor')";
    pub(crate) const INDEX_PENDING_OPEN_REPORTS: &str = "INSERT INTO reports_fts_open (rowid, title, body)
         SELECT r.id, r.title, r.body FROM reports_fts_pending p CROSS JOIN reports r ON r.id = p.report_id
          WHERE r.status NOT IN ('ditutup', 'diarsipkan', 'duplikat', 'baru', 'dibuka_kembali', 'menunggu_pelapor')";
}
