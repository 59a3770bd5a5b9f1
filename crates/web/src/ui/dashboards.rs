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
use tanggap_domain::compliance::{AgencyFigures, Period};
use tanggap_domain::policy::Permission;
use tanggap_service::compliance::{Compliance, Head, Scope};
use tanggap_store::QueueItem;

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

/// The period a dashboard shows: recent days, or a quarter.
#[derive(Deserialize, Default)]
pub struct PeriodQuery {
    /// `7`, `30`, `90`, `365` days, `kuartal` (this quarter) or `kuartal-lalu` (the previous one).
    periode: Option<String>,
    /// Kept for old links: a number of days.
    hari: Option<i64>,
}

/// The choices of the period selector.
pub struct PeriodChoice {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

fn period(ui: &Ui, q: &PeriodQuery) -> (Period, String, Vec<PeriodChoice>) {
    let today = ui.tr.now.with_timezone(&ui.tr.tz).date_naive();
    let value = q
        .periode
        .clone()
        .or_else(|| q.hari.map(|d| d.to_string()))
        .filter(|v| ["7", "30", "90", "365", "kuartal", "kuartal-lalu"].contains(&v.as_str()))
        .unwrap_or_else(|| "30".into());
    let this_quarter = Period::quarter_of(today);
    let p = match value.as_str() {
        "kuartal" => this_quarter,
        "kuartal-lalu" => this_quarter.previous_quarter(),
        days => {
            let n: u64 = days.parse().unwrap_or(30);
            let from = today
                .checked_sub_days(chrono::Days::new(n.saturating_sub(1)))
                .unwrap_or(today);
            Period { from, to: today }
        }
    };
    let tr = ui.tr;
    let q_name = |p: &Period| p.quarter_name().unwrap_or_default();
    let choices = [
        ("7", tr.pick("7 hari terakhir".into(), "last 7 days".into())),
        (
            "30",
            tr.pick("30 hari terakhir".into(), "last 30 days".into()),
        ),
        (
            "90",
            tr.pick("90 hari terakhir".into(), "last 90 days".into()),
        ),
        (
            "365",
            tr.pick("365 hari terakhir".into(), "last 365 days".into()),
        ),
        (
            "kuartal",
            tr.pick(
                format!("Kuartal ini ({})", q_name(&this_quarter)),
                format!("This quarter ({})", q_name(&this_quarter)),
            ),
        ),
        (
            "kuartal-lalu",
            tr.pick(
                format!(
                    "Kuartal lalu ({})",
                    q_name(&this_quarter.previous_quarter())
                ),
                format!(
                    "Previous quarter ({})",
                    q_name(&this_quarter.previous_quarter())
                ),
            ),
        ),
    ]
    .into_iter()
    .map(|(v, label)| PeriodChoice {
        value: v,
        selected: v == value,
        label,
    })
    .collect();
    (p, value, choices)
}

#[derive(Template)]
#[template(path = "pimpinan.html")]
struct LeadershipPage {
    l: Layout,
    c: Compliance,
    heading: String,
    choices: Vec<PeriodChoice>,
    show_heads: bool,
    names: HashMap<String, String>,
}

impl LeadershipPage {
    pub fn badge(&self, f: &AgencyFigures) -> &'static str {
        match f.compliance() {
            _ if f.unresponded_overdue > 0 => "b-red",
            Some(r) if r >= 0.9 => "b-green",
            Some(r) if r >= 0.7 => "b-amber",
            Some(_) => "b-red",
            None => "",
        }
    }
    pub fn span(&self, d: &Option<TimeDelta>) -> String {
        d.map_or_else(|| "—".into(), |d| self.l.tr.span(d))
    }
    pub fn head(&self, h: &Option<Head>) -> String {
        match h {
            Some(Head {
                name,
                position: Some(p),
            }) => format!("{name} ({p})"),
            Some(Head { name, .. }) => name.clone(),
            None => "—".into(),
        }
    }
    pub fn agency_name(&self, id: &str) -> String {
        self.names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }
    pub fn satisfaction(&self, f: &AgencyFigures) -> String {
        f.satisfaction()
            .map_or_else(|| "—".into(), |s| format!("{s:.1}"))
    }
}

async fn dashboard(ui: &Ui, q: &PeriodQuery, scope: Scope) -> UiResult {
    let (p, _, choices) = period(ui, q);
    let own = scope == Scope::Mine;
    let c = ui
        .state
        .services
        .compliance(ui.caller(), p, scope)
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    let names: HashMap<String, String> = c
        .agencies
        .iter()
        .map(|a| (a.agency_id.clone(), a.name.clone()))
        .collect();
    let heading = if own {
        ui.tr.s("Dasbor instansi", "Agency dashboard").to_string()
    } else {
        ui.tr
            .s("Dasbor pimpinan", "Leadership dashboard")
            .to_string()
    };
    Ok(page(&LeadershipPage {
        l: ui.layout(heading.clone()).await,
        c,
        heading,
        choices,
        show_heads: true,
        names,
    }))
}

pub async fn leadership(ui: Ui, Query(q): Query<PeriodQuery>) -> UiResult {
    ui.require(Permission::ViewLeadershipDashboard)?;
    dashboard(&ui, &q, Scope::All).await
}

pub async fn agency_dashboard(ui: Ui, Query(q): Query<PeriodQuery>) -> UiResult {
    ui.require(Permission::ViewAgencyDashboard)?;
    dashboard(&ui, &q, Scope::Mine).await
}
