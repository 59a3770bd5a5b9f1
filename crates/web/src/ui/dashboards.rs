//! The agency's queue (most urgent first, with red/amber/green countdowns to the 1×24 h
//! response), the agency head's dashboard, and leadership's dashboard across agencies. The
//! figures follow SPEC section 6 (`tanggap_domain::metrics`): open overdue items count against
//! the agency now.

use super::staff::urgency;
use super::text::Tr;
use super::{Layout, Ui, UiResult, page};
use askama::Template;
use axum::extract::Query;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use std::collections::HashMap;
use tanggap_domain::Stage;
use tanggap_domain::metrics::{
    ResponseCompliance, ResponseOutcome, classify_response, median, percentile,
};
use tanggap_domain::policy::Permission;
use tanggap_store::{QueueItem, ResponseFact};

/// A queue line with its countdown.
pub struct QueueRow {
    pub q: QueueItem,
    pub due: Option<DateTime<Utc>>,
    pub urgency: &'static str,
    /// `respon` while the first response is owed, else `selesai`.
    pub clock: &'static str,
}

#[derive(Template)]
#[template(path = "instansi.html")]
struct QueuePage {
    l: Layout,
    rows: Vec<QueueRow>,
    agency_name: String,
    overdue: usize,
}

impl QueuePage {
    pub fn stage_label(&self, s: &Stage) -> &'static str {
        self.l.tr.stage(s)
    }
}

pub async fn agency_queue(ui: Ui) -> UiResult {
    ui.require(Permission::ViewAgencyQueue)?;
    let queue = ui
        .state
        .services
        .agency_queue(ui.caller())
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    let agency_name = queue.agency_name;
    let items = queue.items;
    let rows: Vec<QueueRow> = items
        .into_iter()
        .map(|q| {
            let (due, clock) = if q.responded {
                (q.completion_due_at, "selesai")
            } else {
                (q.response_due_at, "respon")
            };
            let urgency = if q.responded {
                completion_urgency(&ui.tr, due)
            } else {
                urgency(&ui.tr, q.assigned_at, due)
            };
            QueueRow {
                q,
                due,
                urgency,
                clock,
            }
        })
        .collect();
    let overdue = rows
        .iter()
        .filter(|r| r.due.is_some_and(|d| d < ui.tr.now))
        .count();
    Ok(page(&QueuePage {
        l: ui.layout(ui.tr.s("Antrean instansi", "Agency queue")).await,
        rows,
        agency_name,
        overdue,
    }))
}

/// Completion targets run for days: red once past, amber in the last two days, else green.
fn completion_urgency(tr: &Tr, due: Option<DateTime<Utc>>) -> &'static str {
    match due {
        Some(d) if d < tr.now => "b-red",
        Some(d) if d - tr.now < TimeDelta::days(2) => "b-amber",
        Some(_) => "b-green",
        None => "",
    }
}

/// One agency's figures over a period.
pub struct AgencyRow {
    pub id: String,
    pub name: String,
    pub head: String,
    pub received: u64,
    pub c: ResponseCompliance,
    pub median: Option<TimeDelta>,
    pub p90: Option<TimeDelta>,
    pub completed_on_time: u64,
    pub completed: u64,
}

impl AgencyRow {
    pub fn badge(&self) -> &'static str {
        match self.c.rate() {
            _ if self.c.unresponded_overdue > 0 => "b-red",
            Some(r) if r >= 0.9 => "b-green",
            Some(r) if r >= 0.7 => "b-amber",
            Some(_) => "b-red",
            None => "",
        }
    }
    pub fn median_text(&self, tr: &Tr) -> String {
        self.median.map_or_else(|| "—".into(), |m| tr.span(m))
    }
    pub fn p90_text(&self, tr: &Tr) -> String {
        self.p90.map_or_else(|| "—".into(), |m| tr.span(m))
    }
    pub fn completion_rate(&self) -> Option<f64> {
        (self.completed > 0).then(|| self.completed_on_time as f64 / self.completed as f64)
    }
}

/// An assignment that missed its response deadline (lalai), as evidence.
pub struct Breach {
    pub f: ResponseFact,
    pub agency: String,
    pub outcome: ResponseOutcome,
}

pub fn figures(
    facts: &[ResponseFact],
    now: DateTime<Utc>,
    names: &HashMap<String, (String, String)>,
) -> (Vec<AgencyRow>, Vec<Breach>) {
    let mut rows: HashMap<&str, AgencyRow> = HashMap::new();
    let mut times: HashMap<&str, Vec<TimeDelta>> = HashMap::new();
    let mut breaches = Vec::new();
    for f in facts {
        let (name, head) = names
            .get(&f.agency_id)
            .cloned()
            .unwrap_or_else(|| (f.agency_id.clone(), String::new()));
        let row = rows.entry(&f.agency_id).or_insert_with(|| AgencyRow {
            id: f.agency_id.clone(),
            name: name.clone(),
            head,
            received: 0,
            c: ResponseCompliance::default(),
            median: None,
            p90: None,
            completed_on_time: 0,
            completed: 0,
        });
        row.received += 1;
        if let Some(due) = f.response_due_at {
            let o = classify_response(due, f.first_response_at, now);
            row.c.add(o);
            if matches!(
                o,
                ResponseOutcome::Late | ResponseOutcome::UnrespondedOverdue
            ) {
                breaches.push(Breach {
                    f: f.clone(),
                    agency: name.clone(),
                    outcome: o,
                });
            }
        }
        if let Some(r) = f.first_response_at {
            times
                .entry(&f.agency_id)
                .or_default()
                .push(r - f.assigned_at);
        }
        if let Some(done) = f.tuntas_at {
            row.completed += 1;
            if f.completion_due_at.is_some_and(|d| done <= d) {
                row.completed_on_time += 1;
            }
        }
    }
    for (id, mut t) in times {
        if let Some(row) = rows.get_mut(id) {
            row.median = median(&mut t);
            row.p90 = percentile(&mut t, 90);
        }
    }
    let mut out: Vec<AgencyRow> = rows.into_values().collect();
    // Worst first: most unresponded overdue, then lowest compliance.
    out.sort_by(|a, b| {
        b.c.unresponded_overdue
            .cmp(&a.c.unresponded_overdue)
            .then(
                a.c.rate()
                    .unwrap_or(1.0)
                    .partial_cmp(&b.c.rate().unwrap_or(1.0))
                    .unwrap_or(std::cmp::Ordering::Equal),
            )
            .then(a.name.cmp(&b.name))
    });
    breaches.sort_by_key(|b| {
        (
            b.outcome != ResponseOutcome::UnrespondedOverdue,
            b.f.response_due_at,
        )
    });
    (out, breaches)
}

#[derive(Deserialize, Default)]
pub struct PeriodQuery {
    hari: Option<i64>,
}

#[derive(Template)]
#[template(path = "pimpinan.html")]
struct LeadershipPage {
    l: Layout,
    rows: Vec<AgencyRow>,
    breaches: Vec<Breach>,
    total: ResponseCompliance,
    received: u64,
    days: i64,
    heading: String,
    show_heads: bool,
}

async fn dashboard(ui: &Ui, days: i64, own_agency: bool) -> UiResult {
    let now = ui.tr.now;
    let f = ui
        .state
        .services
        .figures(
            ui.caller(),
            own_agency,
            now - TimeDelta::days(days),
            now + TimeDelta::seconds(1),
        )
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    let heading = match &f.agency_name {
        Some(name) if own_agency => {
            format!("{}: {name}", ui.tr.s("Dasbor instansi", "Agency dashboard"))
        }
        _ => ui
            .tr
            .s("Dasbor pimpinan", "Leadership dashboard")
            .to_string(),
    };
    let facts = f.facts;
    let names: HashMap<String, (String, String)> = f
        .agencies
        .into_iter()
        .map(|a| {
            let head = match (a.head_name, a.head_position) {
                (Some(n), Some(p)) => format!("{n} ({p})"),
                (Some(n), None) => n,
                _ => String::new(),
            };
            (a.id, (a.name, head))
        })
        .collect();
    let (rows, breaches) = figures(&facts, now, &names);
    let mut total = ResponseCompliance::default();
    for r in &rows {
        total.on_time += r.c.on_time;
        total.late += r.c.late;
        total.unresponded_overdue += r.c.unresponded_overdue;
        total.not_yet_due += r.c.not_yet_due;
    }
    let received = rows.iter().map(|r| r.received).sum();
    let show_heads = !own_agency;
    Ok(page(&LeadershipPage {
        l: ui.layout(heading.clone()).await,
        rows,
        breaches,
        total,
        received,
        days,
        heading,
        show_heads,
    }))
}

fn period(q: &PeriodQuery) -> i64 {
    q.hari
        .filter(|d| [7, 30, 90, 365].contains(d))
        .unwrap_or(30)
}

pub async fn leadership(ui: Ui, Query(q): Query<PeriodQuery>) -> UiResult {
    ui.require(Permission::ViewLeadershipDashboard)?;
    dashboard(&ui, period(&q), false).await
}

pub async fn agency_dashboard(ui: Ui, Query(q): Query<PeriodQuery>) -> UiResult {
    ui.require(Permission::ViewAgencyDashboard)?;
    dashboard(&ui, period(&q), true).await
}
