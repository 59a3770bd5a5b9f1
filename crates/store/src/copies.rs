//! Scale data (`tanggap demo --reports N`): copies of reports that the real workflow made, each
//! moved in time and given its own tracking ID, reporter, text, place and lead agency. Every row a
//! report owns (assignments, clocks, obligations, timeline, conversation, audit) is copied as the
//! workflow wrote it, so a database of millions of copies holds exactly the shapes the product
//! produces, and the figures the triggers keep (tallies, assignment figures, search index) are
//! derived from the copies as they are from real reports. Attachments, notifications and chat
//! state are not copied (nothing is sent for a copy and no file is shared between reports).
//!
//! Both engines write a batch of copies in one transaction with one `INSERT … SELECT` per table
//! from a table of [`ReportCopy`] rows; ids are given out in ranges ([`CopyIds`]) so that a copy's
//! rows point at each other without reading them back. Audit events are read from the template,
//! re-pointed at the copy's ids ([`copy_audit_event`]) and sealed onto the chain like any other.

use crate::{Result, StoreError, Timestamp};
use chrono::TimeDelta;
use serde_json::Value;
use std::collections::HashMap;
use tanggap_domain::TrackingId;
use tanggap_domain::audit::{AuditEvent, NewAuditEvent};

/// One copy of a template report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportCopy {
    pub template_id: i64,
    /// Added to every time of the template's rows.
    pub shift: TimeDelta,
    pub tracking_id: TrackingId,
    pub secret_hash: String,
    pub title: String,
    pub body: String,
    pub region_code: Option<String>,
    pub category: Option<String>,
    /// The template's lead agency and the copy's: rows of that agency become rows of this one.
    pub lead: Option<(String, String)>,
    /// The copy's own reporter (used only when the template has one): a name and an E.164 phone.
    pub reporter: Option<(String, String)>,
}

/// The id ranges a template's rows occupy: a copy's row gets `base + (id - min)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IdRange {
    pub min: i64,
    /// `max - min + 1`, 0 when the template has no such rows.
    pub span: i64,
}

impl IdRange {
    pub fn of(ids: impl IntoIterator<Item = i64>) -> IdRange {
        let (mut min, mut max) = (i64::MAX, i64::MIN);
        for id in ids {
            min = min.min(id);
            max = max.max(id);
        }
        if min > max {
            IdRange::default()
        } else {
            IdRange {
                min,
                span: max - min + 1,
            }
        }
    }
}

/// What one template holds, read once per batch.
#[derive(Debug, Clone, Default)]
pub struct CopyTemplate {
    pub report_id: i64,
    pub tracking_id: String,
    pub has_reporter: bool,
    pub assignments: IdRange,
    pub activities: IdRange,
    pub messages: IdRange,
    /// The template's audit events (object `report`, its id), in chain order.
    pub audit: Vec<AuditEvent>,
}

/// The ids one copy's rows take.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CopyIds {
    pub report: i64,
    pub reporter: Option<i64>,
    pub assignment_base: i64,
    pub activity_base: i64,
    pub message_base: i64,
}

impl CopyIds {
    pub fn assignment(&self, t: &CopyTemplate, old: i64) -> i64 {
        self.assignment_base + (old - t.assignments.min)
    }
    pub fn activity(&self, t: &CopyTemplate, old: i64) -> i64 {
        self.activity_base + (old - t.activities.min)
    }
    pub fn message(&self, t: &CopyTemplate, old: i64) -> i64 {
        self.message_base + (old - t.messages.min)
    }
}

/// Next free ids of each kind, handed out in the templates' spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdCursor {
    pub report: i64,
    pub reporter: i64,
    pub assignment: i64,
    pub activity: i64,
    pub message: i64,
}

impl IdCursor {
    pub fn take(&mut self, t: &CopyTemplate) -> CopyIds {
        let ids = CopyIds {
            report: self.report,
            reporter: t.has_reporter.then_some(self.reporter),
            assignment_base: self.assignment,
            activity_base: self.activity,
            message_base: self.message,
        };
        self.report += 1;
        if t.has_reporter {
            self.reporter += 1;
        }
        self.assignment += t.assignments.span;
        self.activity += t.activities.span;
        self.message += t.messages.span;
        ids
    }
}

/// What a batch's templates hold, read through the store's own reads (before the write).
pub async fn copy_templates<S: crate::Store + ?Sized>(
    store: &S,
    copies: &[ReportCopy],
) -> Result<HashMap<i64, CopyTemplate>> {
    let mut out = HashMap::new();
    for c in copies {
        let id = c.template_id;
        if out.contains_key(&id) {
            continue;
        }
        let report = store
            .report(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("report {id}")))?;
        let template = CopyTemplate {
            report_id: id,
            tracking_id: report.tracking_id.as_str().to_string(),
            has_reporter: report.reporter.is_some(),
            assignments: IdRange::of(store.assignments(id).await?.iter().map(|a| a.id)),
            activities: IdRange::of(store.activities(id).await?.iter().map(|a| a.id)),
            messages: IdRange::of(store.messages(id).await?.iter().map(|m| m.id)),
            audit: store.audit_for_object("report", &id.to_string()).await?,
        };
        out.insert(id, template);
    }
    Ok(out)
}

/// A copy with its template and the ids its rows take.
pub type Planned<'a> = (&'a ReportCopy, &'a CopyTemplate, CopyIds);

/// Give each copy its ids, in order, from `cursor` (the next free id of each kind).
pub fn plan<'a>(
    copies: &'a [ReportCopy],
    templates: &'a HashMap<i64, CopyTemplate>,
    mut cursor: IdCursor,
) -> Result<Vec<Planned<'a>>> {
    copies
        .iter()
        .map(|c| {
            let t = templates
                .get(&c.template_id)
                .ok_or_else(|| StoreError::NotFound(format!("report {}", c.template_id)))?;
            Ok((c, t, cursor.take(t)))
        })
        .collect()
}

/// The copies' audit events, sealed onto the chain after `head` (last seq and hash) in the
/// copies' order.
pub fn seal_copies(planned: &[Planned<'_>], head: (i64, String)) -> Vec<AuditEvent> {
    let (mut seq, mut prev) = head;
    let mut sealed = Vec::new();
    for (c, t, ids) in planned {
        for e in &t.audit {
            let (event, at) = copy_audit_event(e, t, ids, c);
            seq += 1;
            let s = event.seal(seq, at, &prev);
            prev.clone_from(&s.hash);
            sealed.push(s);
        }
    }
    sealed
}

/// A template's audit event as the copy's: object id, ids inside the JSON (report, assignment,
/// activity, message), tracking ID and lead agency re-pointed; time shifted. Keys naming other
/// reports (a duplicate's master) keep their value.
pub fn copy_audit_event(
    e: &AuditEvent,
    t: &CopyTemplate,
    ids: &CopyIds,
    copy: &ReportCopy,
) -> (NewAuditEvent, Timestamp) {
    let remap = |text: &Option<String>| {
        text.as_ref()
            .map(|s| match serde_json::from_str::<Value>(s) {
                Ok(mut v) => {
                    remap_value(&mut v, None, t, ids, copy);
                    serde_json::to_string(&v).unwrap_or_else(|_| s.clone())
                }
                Err(_) => s.clone(),
            })
    };
    let object_id = if e.object_id == t.report_id.to_string() {
        ids.report.to_string()
    } else {
        e.object_id.clone()
    };
    (
        NewAuditEvent {
            actor: e.actor.clone(),
            action: e.action.clone(),
            object_type: e.object_type.clone(),
            object_id,
            before: remap(&e.before),
            after: remap(&e.after),
        },
        e.occurred_at + copy.shift,
    )
}

fn remap_value(
    v: &mut Value,
    key: Option<&str>,
    t: &CopyTemplate,
    ids: &CopyIds,
    copy: &ReportCopy,
) {
    match v {
        Value::Object(map) => {
            for (k, inner) in map.iter_mut() {
                remap_value(inner, Some(k.as_str()), t, ids, copy);
            }
        }
        Value::Array(items) => {
            for inner in items {
                remap_value(inner, key, t, ids, copy);
            }
        }
        Value::Number(n) => {
            let Some(old) = n.as_i64() else { return };
            let new = match key {
                Some("report_id") if old == t.report_id => Some(ids.report),
                Some("assignment_id" | "forwarded_from" | "assignment")
                    if t.assignments.span > 0
                        && (t.assignments.min..t.assignments.min + t.assignments.span)
                            .contains(&old) =>
                {
                    Some(ids.assignment(t, old))
                }
                Some("activity_id")
                    if (t.activities.min..t.activities.min + t.activities.span).contains(&old) =>
                {
                    Some(ids.activity(t, old))
                }
                Some("message_id")
                    if (t.messages.min..t.messages.min + t.messages.span).contains(&old) =>
                {
                    Some(ids.message(t, old))
                }
                _ => None,
            };
            if let Some(new) = new {
                *v = Value::from(new);
            }
        }
        Value::String(s) => {
            if *s == t.tracking_id {
                *s = copy.tracking_id.as_str().to_string();
            } else if let Some((from, to)) = &copy.lead
                && s == from
            {
                *s = to.clone();
            }
        }
        _ => {}
    }
}

/// One statement per table, in the order the triggers need (a report before its assignments,
/// clocks and obligations before the timeline). `{overriding}` is PostgreSQL's `OVERRIDING SYSTEM VALUE` (ids are given), nothing on
/// SQLite; `c.shift` is added to every time (µs on SQLite, an interval on PostgreSQL). The
/// `c.*_base` columns hold `base - template min`,
/// so a copied id is `base + old id`. A stopped clock's copy has no next step to fire (the
/// scheduler would only find it stopped).
pub const COPY_ROWS: &[&str] = &[
    "INSERT INTO reporters (id, name, phone, created_at) {overriding}
     SELECT c.reporter_id, c.reporter_name, c.reporter_phone, r.created_at + c.shift
       FROM scale_copies c JOIN reports r ON r.id = c.template_id
      WHERE c.reporter_id IS NOT NULL",
    "INSERT INTO reporter_addresses (channel, address, reporter_id)
     SELECT a.channel, ltrim(c.reporter_phone, '+'), c.reporter_id
       FROM scale_copies c JOIN reports r ON r.id = c.template_id
       JOIN reporter_addresses a ON a.reporter_id = r.reporter_id
      WHERE c.reporter_id IS NOT NULL AND c.reporter_phone IS NOT NULL",
    "INSERT INTO reports (id, tracking_id, secret_hash, kind, title, body, occurred_on, region_code,
            address, latitude, longitude, category, channel, reporter_id, entered_by,
            show_reporter_name, anonim, rahasia, needs_field_check, status, status_before_wait,
            duplicate_of, archive_reason, rating, outcome, rating_comment, reopen_count, version,
            created_at, updated_at, dispatched_at, selesai_at, closed_at, inbound_id) {overriding}
     SELECT c.report_id, c.tracking_id, c.secret_hash, r.kind, c.title, c.body, NULL,
            COALESCE(c.region_code, r.region_code), NULL, NULL, NULL, COALESCE(c.category, r.category),
            r.channel, c.reporter_id, r.entered_by, r.show_reporter_name, r.anonim, r.rahasia,
            r.needs_field_check, r.status, r.status_before_wait, r.duplicate_of, r.archive_reason,
            r.rating, r.outcome, r.rating_comment, r.reopen_count, r.version,
            r.created_at + c.shift, r.updated_at + c.shift, r.dispatched_at + c.shift,
            r.selesai_at + c.shift, r.closed_at + c.shift, NULL
       FROM scale_copies c JOIN reports r ON r.id = c.template_id",
    "INSERT INTO assignments (id, report_id, agency_id, role, stage, responded, forwarded_from,
            created_at, updated_at, first_response_at, tuntas_at, negligent_at) {overriding}
     SELECT c.assignment_base + a.id, c.report_id,
            CASE WHEN a.agency_id = c.lead_from THEN c.lead_to ELSE a.agency_id END,
            a.role, a.stage, a.responded, c.assignment_base + a.forwarded_from,
            a.created_at + c.shift, a.updated_at + c.shift, a.first_response_at + c.shift,
            a.tuntas_at + c.shift, a.negligent_at + c.shift
       FROM scale_copies c JOIN assignments a ON a.report_id = c.template_id
      ORDER BY c.assignment_base + a.id",
    "INSERT INTO clocks (report_id, assignment_id, kind, measure, budget_us, started_at, consumed_us,
            running_since, due_at, stopped_at, next_fire_at, fired, lease_until)
     SELECT c.report_id, CASE WHEN k.assignment_id = 0 THEN 0 ELSE c.assignment_base + k.assignment_id END,
            k.kind, k.measure, k.budget_us, k.started_at + c.shift, k.consumed_us,
            k.running_since + c.shift, k.due_at + c.shift, k.stopped_at + c.shift,
            CASE WHEN k.stopped_at IS NULL THEN k.next_fire_at + c.shift END, k.fired, NULL
       FROM scale_copies c JOIN clocks k ON k.report_id = c.template_id",
    "INSERT INTO obligations (assignment_id, report_id, agency_id, cycle, started_at, due_at,
            responded_at, cancelled_at, tracking_id)
     SELECT c.assignment_base + o.assignment_id, c.report_id,
            CASE WHEN o.agency_id = c.lead_from THEN c.lead_to ELSE o.agency_id END,
            o.cycle, o.started_at + c.shift, o.due_at + c.shift, o.responded_at + c.shift,
            o.cancelled_at + c.shift, c.tracking_id
       FROM scale_copies c JOIN obligations o ON o.report_id = c.template_id
      ORDER BY c.report_id, o.id",
    "INSERT INTO activities (id, report_id, assignment_id, agency_id, kind, stage, status, note, actor,
            created_at, audience) {overriding}
     SELECT c.activity_base + v.id, c.report_id, c.assignment_base + v.assignment_id,
            CASE WHEN v.agency_id = c.lead_from THEN c.lead_to ELSE v.agency_id END,
            v.kind, v.stage, v.status, v.note, v.actor, v.created_at + c.shift, v.audience
       FROM scale_copies c JOIN activities v ON v.report_id = c.template_id
      ORDER BY c.activity_base + v.id",
    "INSERT INTO messages (id, report_id, reporter_id, channel, direction, provider_message_id, body,
            status, author, created_at) {overriding}
     SELECT c.message_base + m.id, c.report_id, c.reporter_id, m.channel, m.direction, NULL, m.body,
            m.status, m.author, m.created_at + c.shift
       FROM scale_copies c JOIN messages m ON m.report_id = c.template_id
      ORDER BY c.message_base + m.id",
];

#[cfg(test)]
mod tests {
    use super::*;
    use tanggap_domain::audit::GENESIS_HASH;

    fn id(seed: u64) -> TrackingId {
        TrackingId::generate(
            "LG",
            &mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed),
        )
    }

    fn template() -> CopyTemplate {
        CopyTemplate {
            report_id: 7,
            tracking_id: id(1).as_str().into(),
            has_reporter: true,
            assignments: IdRange { min: 3, span: 2 },
            activities: IdRange { min: 10, span: 5 },
            messages: IdRange::default(),
            audit: vec![],
        }
    }

    fn copy() -> ReportCopy {
        ReportCopy {
            template_id: 7,
            shift: TimeDelta::days(-400),
            tracking_id: id(2),
            secret_hash: "x".into(),
            title: "t".into(),
            body: "b".into(),
            region_code: None,
            category: None,
            lead: Some(("dpu-bmck".into(), "dinkes".into())),
            reporter: None,
        }
    }

    #[test]
    fn ranges_cover_the_ids_and_the_cursor_hands_them_out_in_turn() {
        assert_eq!(IdRange::of([5, 9, 7]), IdRange { min: 5, span: 5 });
        assert_eq!(IdRange::of([]), IdRange::default());
        let t = template();
        let mut c = IdCursor {
            report: 100,
            reporter: 50,
            assignment: 20,
            activity: 200,
            message: 1,
        };
        let a = c.take(&t);
        let b = c.take(&t);
        assert_eq!((a.report, b.report), (100, 101));
        assert_eq!((a.reporter, b.reporter), (Some(50), Some(51)));
        assert_eq!(a.assignment(&t, 4), 21);
        assert_eq!(b.assignment(&t, 3), 22);
        assert_eq!(b.activity(&t, 14), 209);
        assert_eq!(c.activity, 210);
    }

    #[test]
    fn an_audit_event_is_re_pointed_at_the_copy_and_still_seals() {
        let t = template();
        let ids = CopyIds {
            report: 900,
            reporter: Some(1),
            assignment_base: 40,
            activity_base: 500,
            message_base: 1,
        };
        let e = NewAuditEvent::new("user:2", "assignment.created", "report", 7)
            .after(&serde_json::json!({
                "assignment_id": 4, "agency_id": "dpu-bmck", "activity_id": 12,
                "master": {"report_id": 3, "tracking_id": id(1).as_str()}, "note_len": 12
            }))
            .seal(1, chrono::Utc::now(), GENESIS_HASH);
        let (n, at) = copy_audit_event(&e, &t, &ids, &copy());
        assert_eq!(n.object_id, "900");
        assert_eq!(at, e.occurred_at - TimeDelta::days(400));
        let after: Value = serde_json::from_str(n.after.as_deref().unwrap()).unwrap();
        assert_eq!(after["assignment_id"], 41);
        assert_eq!(after["activity_id"], 502);
        assert_eq!(after["agency_id"], "dinkes");
        // Another report's id stays; the template's tracking ID becomes the copy's.
        assert_eq!(after["master"]["report_id"], 3);
        assert_eq!(after["master"]["tracking_id"], id(2).as_str());
        assert_eq!(after["note_len"], 12);
        let sealed = n.seal(2, at, &e.hash);
        assert_eq!(sealed.hash, sealed.compute_hash());
    }
}
