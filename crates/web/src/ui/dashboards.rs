//! The agency's queue (most urgent first, with red/amber/green countdowns to the 1×24 h
//! response), the agency head's dashboard (who is late and by how much, what falls due soon,
//! the morning digest's "due today"), and leadership's dashboard across agencies with each
//! agency's obligations and CSV downloads of what is on screen. The figures are the service's
//! (`Services::compliance`, SPEC section 6): open overdue items count against the agency now.
//! Nothing here names a reporter.

use super::staff::urgency;
use super::text::Tr;
use super::{Layout, Ui, UiResult, page};
use crate::error::ApiError;
use crate::spreadsheet::inert;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use std::collections::HashMap;
use tanggap_domain::compliance::{AgencyFigures, ObligationOutcome, Period};
use tanggap_domain::policy::Permission;
use tanggap_domain::{AssignmentRole, ClockKind, ReportStatus, Stage};
use tanggap_service::compliance::{Compliance, Head, Scope};
use tanggap_service::dashboards::{AgencyDeadlines, AgencyObligations, DeadlineLine, LalaiLine};
use tanggap_store::QueueItem;

/// A queue line with its countdown.
pub struct QueueRow {
    pub q: QueueItem,
    pub due: Option<DateTime<Utc>>,
    pub urgency: &'static str,
    /// `respons` while the first response is owed, else `selesai`.
    pub clock: &'static str,
}

#[derive(Template)]
#[template(path = "instansi.html")]
struct QueuePage {
    l: Layout,
    rows: Vec<QueueRow>,
    agency_name: String,
    total: u64,
    overdue: u64,
    page: u32,
    pages: u32,
    /// The rank of the first row shown (from 1).
    first: u64,
}

/// `?halaman=N` on a paged list.
#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    halaman: Option<String>,
}

impl QueuePage {
    pub fn stage_label(&self, s: &Stage) -> &'static str {
        self.l.tr.stage(s)
    }
}

pub async fn agency_queue(ui: Ui, Query(q): Query<PageQuery>) -> UiResult {
    ui.require(Permission::ViewAgencyQueue)?;
    // A page number that is not one shows the first page.
    let wanted = q
        .halaman
        .as_deref()
        .and_then(|h| h.trim().parse::<u32>().ok())
        .unwrap_or(1);
    let queue = ui
        .state
        .services
        .agency_queue(ui.caller(), wanted)
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    let tanggap_service::dashboards::QueueView {
        agency_name,
        items,
        total,
        overdue,
        page: shown,
        pages,
    } = queue;
    let rows: Vec<QueueRow> = items
        .into_iter()
        .map(|q| {
            let (due, clock) = if q.responded {
                (q.completion_due_at, "selesai")
            } else {
                (q.response_due_at, "respons")
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
    Ok(page(&QueuePage {
        l: ui.layout(ui.tr.s("Antrean instansi", "Agency queue")).await,
        rows,
        agency_name,
        total,
        overdue,
        page: shown,
        pages,
        first: u64::from(shown - 1) * u64::from(tanggap_service::dashboards::QUEUE_PAGE) + 1,
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

/// The figures block both dashboards show (stats, one row per agency), with its helpers.
pub struct Figures {
    pub c: Compliance,
    tr: Tr,
    /// `periode=…` for the rows' links to the agency's obligations; `None`: rows do not open.
    pub drill: Option<String>,
}

impl Figures {
    pub fn new(c: Compliance, tr: Tr, drill: Option<String>) -> Figures {
        Figures { c, tr, drill }
    }
    pub fn badge(&self, f: &AgencyFigures) -> &'static str {
        badge(f)
    }
    pub fn span(&self, d: &Option<TimeDelta>) -> String {
        d.map_or_else(|| "—".into(), |d| self.tr.span(d))
    }
    pub fn head(&self, h: &Option<Head>) -> String {
        head_name(h)
    }
    pub fn satisfaction(&self, f: &AgencyFigures) -> String {
        f.satisfaction()
            .map_or_else(|| "—".into(), |s| format!("{s:.1}"))
    }
    pub fn period_label(&self) -> String {
        period_label(&self.tr, &self.c.period)
    }
    pub fn agency_name(&self, id: &str) -> String {
        self.c
            .agencies
            .iter()
            .find(|a| a.agency_id == id)
            .map_or_else(|| id.to_string(), |a| a.name.clone())
    }
}

/// `1 Okt 2026 – 30 Okt 2026`, in the pages' date format; one day is just that day.
pub(crate) fn period_label(tr: &Tr, p: &Period) -> String {
    if p.from == p.to {
        return day_label(tr, p.from);
    }
    format!("{} – {}", day_label(tr, p.from), day_label(tr, p.to))
}

/// `1 Okt 2026`: a date in the pages' date format.
pub(crate) fn day_label(tr: &Tr, d: chrono::NaiveDate) -> String {
    d.and_hms_opt(12, 0, 0)
        .and_then(|t| t.and_local_timezone(tr.tz).single())
        .map_or_else(|| d.to_string(), |t| tr.date(&t.with_timezone(&Utc)))
}

/// Red/amber/green for an agency's response compliance (the one rule, for every dashboard):
/// red with any unanswered overdue obligation or below 70%, amber below 90%, else green.
pub(crate) fn badge(f: &AgencyFigures) -> &'static str {
    match f.compliance() {
        _ if f.unresponded_overdue > 0 => "b-red",
        Some(r) if r >= 0.9 => "b-green",
        Some(r) if r >= 0.7 => "b-amber",
        Some(_) => "b-red",
        None => "",
    }
}

/// The words for [`badge`], so that colour is never the only signal.
pub(crate) fn badge_label(tr: &Tr, f: &AgencyFigures) -> &'static str {
    match badge(f) {
        "b-green" => tr.s("Hijau: baik", "Green: good"),
        "b-amber" => tr.s("Kuning: perlu perhatian", "Amber: needs attention"),
        "b-red" => tr.s("Merah: buruk", "Red: poor"),
        _ => tr.s("Belum dapat dinilai", "Not yet rated"),
    }
}

fn head_name(h: &Option<Head>) -> String {
    match h {
        Some(Head {
            name,
            position: Some(p),
        }) => format!("{name} ({p})"),
        Some(Head { name, .. }) => name.clone(),
        None => "—".into(),
    }
}

fn role_label(tr: &Tr, r: &Option<AssignmentRole>) -> &'static str {
    r.as_ref().map_or("—", |r| tr.assignment_role(r))
}

fn clock_label(tr: &Tr, k: &ClockKind) -> &'static str {
    match k {
        ClockKind::FirstResponse => tr.s("respons pertama", "first response"),
        _ => tr.s("penyelesaian", "completion"),
    }
}

fn outcome_label(tr: &Tr, o: &ObligationOutcome) -> &'static str {
    match o {
        ObligationOutcome::OnTime => tr.s("tepat waktu", "on time"),
        ObligationOutcome::Late => tr.s("terlambat", "late"),
        ObligationOutcome::UnrespondedOverdue => {
            tr.s("belum direspons, lewat tenggat", "unanswered, overdue")
        }
        ObligationOutcome::NotYetDue => tr.s("belum jatuh tempo", "not yet due"),
        ObligationOutcome::Cancelled => tr.s("dibatalkan", "cancelled"),
    }
}

#[derive(Template)]
#[template(path = "pimpinan.html")]
struct LeadershipPage {
    l: Layout,
    f: Figures,
    choices: Vec<PeriodChoice>,
    lalai: Vec<LalaiLine>,
    /// `periode=…` of this view, for the CSV links.
    query: String,
}

impl LeadershipPage {
    pub fn role_label(&self, r: &Option<AssignmentRole>) -> &'static str {
        role_label(&self.l.tr, r)
    }
}

/// The figures and the lalai list of a period, as the caller may see them.
async fn figures(ui: &Ui, p: Period, scope: Scope) -> UiResult<(Compliance, Vec<LalaiLine>)> {
    let services = &ui.state.services;
    let c = services
        .compliance(ui.caller(), p, scope)
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    let lalai = services
        .lalai_lines(ui.caller(), &c)
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    Ok((c, lalai))
}

pub async fn leadership(ui: Ui, Query(q): Query<PeriodQuery>) -> UiResult {
    ui.require(Permission::ViewLeadershipDashboard)?;
    let (p, value, choices) = period(&ui, &q);
    let (c, lalai) = figures(&ui, p, Scope::All).await?;
    let query = format!("periode={value}");
    Ok(page(&LeadershipPage {
        l: ui
            .layout(ui.tr.s("Dasbor pimpinan", "Leadership dashboard"))
            .await,
        f: Figures {
            c,
            tr: ui.tr,
            drill: Some(query.clone()),
        },
        choices,
        lalai,
        query,
    }))
}

#[derive(Template)]
#[template(path = "dasbor_instansi.html")]
struct AgencyDashboardPage {
    l: Layout,
    d: AgencyDeadlines,
    f: Figures,
    choices: Vec<PeriodChoice>,
    lalai: Vec<LalaiLine>,
}

impl AgencyDashboardPage {
    /// The three lists: (table id, heading, what to say when empty, rows).
    pub fn lists(&self) -> [(&'static str, &'static str, &'static str, &[DeadlineLine]); 3] {
        let tr = &self.l.tr;
        [
            (
                "terlambat",
                tr.s("Terlambat", "Late"),
                tr.s("Tidak ada yang terlambat.", "Nothing is late."),
                &self.d.late,
            ),
            (
                "segera",
                tr.s("Jatuh tempo dalam 6 jam", "Due within 6 hours"),
                tr.s(
                    "Tidak ada tenggat dalam 6 jam ke depan.",
                    "No deadline in the next 6 hours.",
                ),
                &self.d.soon,
            ),
            (
                "hari-ini",
                tr.s("Jatuh tempo hari ini", "Due today"),
                tr.s(
                    "Tidak ada lagi yang jatuh tempo hari ini.",
                    "Nothing else falls due today.",
                ),
                &self.d.today,
            ),
        ]
    }
    pub fn clock_label(&self, k: &ClockKind) -> &'static str {
        clock_label(&self.l.tr, k)
    }
    pub fn stage_label(&self, s: &Stage) -> &'static str {
        self.l.tr.stage(s)
    }
    pub fn role_label(&self, r: &Option<AssignmentRole>) -> &'static str {
        role_label(&self.l.tr, r)
    }
}

/// The head's dashboard: who is late and by how much, what falls due within six hours and
/// today (the morning digest's list), then the agency's figures for the period.
pub async fn agency_dashboard(ui: Ui, Query(q): Query<PeriodQuery>) -> UiResult {
    ui.require(Permission::ViewAgencyDashboard)?;
    let (p, _, choices) = period(&ui, &q);
    let d = ui
        .state
        .services
        .agency_deadlines(ui.caller())
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    let (c, lalai) = figures(&ui, p, Scope::Mine).await?;
    Ok(page(&AgencyDashboardPage {
        l: ui
            .layout(ui.tr.s("Dasbor instansi", "Agency dashboard"))
            .await,
        d,
        f: Figures {
            c,
            tr: ui.tr,
            drill: None,
        },
        choices,
        lalai,
    }))
}

#[derive(Template)]
#[template(path = "pimpinan_instansi.html")]
struct AgencyObligationsPage {
    l: Layout,
    o: AgencyObligations,
    choices: Vec<PeriodChoice>,
    query: String,
}

impl AgencyObligationsPage {
    pub fn period_label(&self) -> String {
        period_label(&self.l.tr, &self.o.period)
    }
    pub fn badge(&self, f: &AgencyFigures) -> &'static str {
        badge(f)
    }
    pub fn head(&self, h: &Option<Head>) -> String {
        head_name(h)
    }
    pub fn role_label(&self, r: &AssignmentRole) -> &'static str {
        self.l.tr.assignment_role(r)
    }
    pub fn status_label(&self, s: &ReportStatus) -> &'static str {
        self.l.tr.status(s)
    }
    pub fn outcome_label(&self, o: &ObligationOutcome) -> &'static str {
        outcome_label(&self.l.tr, o)
    }
}

/// One agency's obligations in the period (its row on `/pimpinan`, opened); `{agency}.csv`
/// downloads them.
pub async fn leadership_agency(
    ui: Ui,
    Path(agency): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> UiResult {
    ui.require(Permission::ViewLeadershipDashboard)?;
    let (p, value, choices) = period(&ui, &q);
    let (id, csv) = match agency.strip_suffix(".csv") {
        Some(id) => (id.to_string(), true),
        None => (agency, false),
    };
    let o = ui
        .state
        .services
        .agency_obligations(ui.caller(), p, &id)
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    if csv {
        return obligations_csv(&ui, &o);
    }
    Ok(page(&AgencyObligationsPage {
        l: ui.layout(o.line.name.clone()).await,
        o,
        choices,
        query: format!("periode={value}"),
    }))
}

/// `/pimpinan.csv`: the rows of the agency table, as on screen.
pub async fn leadership_csv(ui: Ui, Query(q): Query<PeriodQuery>) -> UiResult {
    ui.require(Permission::ViewLeadershipDashboard)?;
    let (p, _, _) = period(&ui, &q);
    let (c, _) = figures(&ui, p, Scope::All).await?;
    let tr = ui.tr;
    let pct = |r: Option<f64>| r.map_or_else(String::new, |r| format!("{:.0}", r * 100.0));
    let mins = |d: Option<TimeDelta>| d.map_or_else(String::new, |d| d.num_minutes().to_string());
    let mut rows = vec![
        [
            tr.s("ID instansi", "Agency ID"),
            tr.s("Instansi", "Agency"),
            tr.s("Kepala", "Head"),
            tr.s("Diterima", "Received"),
            tr.s("Tepat waktu", "On time"),
            tr.s("Terlambat", "Late"),
            tr.s("Belum direspons, lewat tenggat", "Unanswered, overdue"),
            tr.s("Lalai", "Negligent"),
            tr.s("Belum jatuh tempo", "Not yet due"),
            tr.s("Dibatalkan", "Cancelled"),
            tr.s("Kepatuhan (%)", "Compliance (%)"),
            tr.s("Median respons (menit)", "Median response (minutes)"),
            tr.s("P90 respons (menit)", "P90 response (minutes)"),
            tr.s("Selesai sesuai target (%)", "Completed on target (%)"),
            tr.s("Dibuka kembali (%)", "Reopened (%)"),
            tr.s("Kepuasan (1–5)", "Satisfaction (1–5)"),
            tr.s("Tuntas", "Fixed"),
            tr.s("Sebagian", "Partly"),
            tr.s("Belum tuntas", "Not fixed"),
        ]
        .map(String::from)
        .to_vec(),
    ];
    for a in &c.agencies {
        let f = &a.figures;
        rows.push(vec![
            a.agency_id.clone(),
            inert(a.name.as_str()),
            inert(a.head.as_ref().map(|h| h.name.clone()).unwrap_or_default()),
            f.received.to_string(),
            f.on_time.to_string(),
            f.late.to_string(),
            f.unresponded_overdue.to_string(),
            f.lalai().to_string(),
            f.not_yet_due.to_string(),
            f.cancelled.to_string(),
            pct(f.compliance()),
            mins(f.median_response),
            mins(f.p90_response),
            pct(f.completion_rate()),
            pct(f.reopened_rate()),
            f.satisfaction()
                .map_or_else(String::new, |s| format!("{s:.1}")),
            f.fixed.to_string(),
            f.partly.to_string(),
            f.not_fixed.to_string(),
        ]);
    }
    csv_file(&ui, &rows, &format!("kepatuhan-{}", period_slug(&c.period)))
}

/// `/pimpinan/lalai.csv`: the lalai list, as on screen.
pub async fn lalai_csv(ui: Ui, Query(q): Query<PeriodQuery>) -> UiResult {
    ui.require(Permission::ViewLeadershipDashboard)?;
    let (p, _, _) = period(&ui, &q);
    let (c, lalai) = figures(&ui, p, Scope::All).await?;
    let tr = ui.tr;
    let names: HashMap<&str, &str> = c
        .agencies
        .iter()
        .map(|a| (a.agency_id.as_str(), a.name.as_str()))
        .collect();
    let mut rows = vec![
        [
            tr.s("Nomor", "Tracking ID"),
            tr.s("Judul", "Title"),
            tr.s("Instansi", "Agency"),
            tr.s("Peran", "Role"),
            tr.s("Kepala saat tenggat", "Head at the deadline"),
            tr.s("Tenggat respons", "Response due"),
            tr.s("Direspons", "Answered"),
        ]
        .map(String::from)
        .to_vec(),
    ];
    for x in &lalai {
        let i = &x.item;
        rows.push(vec![
            i.tracking_id.clone(),
            inert(x.title.as_str()),
            inert(
                names
                    .get(i.agency_id.as_str())
                    .map_or_else(|| i.agency_id.clone(), |n| n.to_string()),
            ),
            role_label(&tr, &x.role).to_string(),
            inert(i.head.as_ref().map(|h| h.name.clone()).unwrap_or_default()),
            csv_time(&tr, &i.due_at),
            i.responded_at
                .as_ref()
                .map_or_else(String::new, |t| csv_time(&tr, t)),
        ]);
    }
    csv_file(&ui, &rows, &format!("lalai-{}", period_slug(&c.period)))
}

fn obligations_csv(ui: &Ui, o: &AgencyObligations) -> UiResult {
    let tr = ui.tr;
    let yes_no = |b: bool| {
        if b {
            tr.s("ya", "yes")
        } else {
            tr.s("tidak", "no")
        }
        .to_string()
    };
    let mut rows = vec![
        [
            tr.s("Nomor", "Tracking ID"),
            tr.s("Judul", "Title"),
            tr.s("Peran", "Role"),
            tr.s("Status laporan", "Report status"),
            tr.s("Siklus", "Cycle"),
            tr.s("Mulai", "Started"),
            tr.s("Tenggat respons", "Response due"),
            tr.s("Direspons", "Answered"),
            tr.s("Dibatalkan", "Cancelled"),
            tr.s("Hasil", "Outcome"),
            tr.s("Lalai", "Negligent"),
            tr.s("Kepala saat tenggat", "Head at the deadline"),
        ]
        .map(String::from)
        .to_vec(),
    ];
    let opt = |t: &Option<DateTime<Utc>>| t.as_ref().map_or_else(String::new, |t| csv_time(&tr, t));
    for i in &o.items {
        rows.push(vec![
            i.tracking_id.clone(),
            inert(i.title.as_str()),
            tr.assignment_role(&i.role).to_string(),
            tr.status(&i.report_status).to_string(),
            i.cycle.to_string(),
            csv_time(&tr, &i.started_at),
            csv_time(&tr, &i.due_at),
            opt(&i.responded_at),
            opt(&i.cancelled_at),
            outcome_label(&tr, &i.outcome).to_string(),
            yes_no(i.lalai),
            inert(i.head.as_ref().map(|h| h.name.clone()).unwrap_or_default()),
        ]);
    }
    csv_file(
        ui,
        &rows,
        &format!("instansi-{}-{}", o.line.agency_id, period_slug(&o.period)),
    )
}

/// A time in a spreadsheet's terms: `2026-11-28 08:15` in the policy's time zone.
fn csv_time(tr: &Tr, t: &DateTime<Utc>) -> String {
    t.with_timezone(&tr.tz).format("%Y-%m-%d %H:%M").to_string()
}

fn period_slug(p: &Period) -> String {
    format!("{}_{}", p.from, p.to)
}

/// Rows as a CSV download named `tanggap-{name}.csv` (RFC 4180 quoting by the `csv` crate). The
/// callers pass text people typed (titles, agencies' and heads' names) through
/// `spreadsheet::inert`, so that no cell runs as a formula.
fn csv_file(ui: &Ui, rows: &[Vec<String>], name: &str) -> UiResult {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.write_record(r)
            .map_err(|e| ui.api_error(ApiError::Internal(e.to_string())))?;
    }
    let body = w
        .into_inner()
        .map_err(|e| ui.api_error(ApiError::Internal(e.to_string())))?;
    let mut r: Response = body.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let safe: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"tanggap-{safe}.csv\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
