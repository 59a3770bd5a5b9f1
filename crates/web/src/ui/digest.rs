//! The daily digest for leadership (`/pimpinan/ringkasan?tanggal=2026-12-04`): the reports of
//! one day (yesterday by default), how each agency answered that day's assignments, and what is
//! overdue now, by agency, with the head in office. The same figures go out each morning by
//! e-mail and chat (`tanggap_jobs::digest`); both come from `Services::daily_digest`.

use super::dashboards::{Figures, PeriodChoice, day_label};
use super::{Layout, Ui, UiResult, page};
use askama::Template;
use axum::extract::Query;
use chrono::NaiveDate;
use serde::Deserialize;
use tanggap_domain::Category;
use tanggap_domain::policy::Permission;
use tanggap_service::ServiceError;
use tanggap_service::daily_digest::{DailyDigest, OverdueItem};

/// At most this many tracking IDs per list on the page; the agency's page has the rest.
const IDS_SHOWN: usize = 20;

#[derive(Debug, Deserialize)]
pub struct DigestQuery {
    pub tanggal: Option<String>,
}

#[derive(Template)]
#[template(path = "pimpinan_ringkasan.html")]
struct DigestPage {
    l: Layout,
    d: DailyDigest,
    f: Figures,
    /// The period selector of the shared figures block: none here (the date picker is).
    choices: Vec<PeriodChoice>,
    date_label: String,
    today: NaiveDate,
    previous: NaiveDate,
    next: Option<NaiveDate>,
}

impl DigestPage {
    pub fn category(&self, c: &Option<Category>) -> String {
        match c {
            Some(c) => self.l.tr.pick(c.name_id.clone(), c.name_en.clone()),
            None => self
                .l
                .tr
                .s("Belum berkategori", "Not yet categorised")
                .into(),
        }
    }
    pub fn shown<'a>(&self, items: &'a [OverdueItem]) -> &'a [OverdueItem] {
        &items[..items.len().min(IDS_SHOWN)]
    }
    pub fn more(&self, items: &[OverdueItem]) -> usize {
        items.len().saturating_sub(IDS_SHOWN)
    }
    pub fn day(&self, d: &NaiveDate) -> String {
        day_label(&self.l.tr, *d)
    }
}

pub async fn page_view(ui: Ui, Query(q): Query<DigestQuery>) -> UiResult {
    ui.require(Permission::ViewCompliance)?;
    let date = match q
        .tanggal
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => None,
        Some(t) => Some(
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map_err(|_| ui.api_error(ServiceError::field("date", "invalid").into()))?,
        ),
    };
    let d = ui
        .state
        .services
        .daily_digest(ui.caller(), date)
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    let today = d.made_at.with_timezone(&d.tz).date_naive();
    let tr = ui.tr;
    Ok(page(&DigestPage {
        l: ui
            .layout(tr.s("Ringkasan harian pimpinan", "Leadership daily digest"))
            .await,
        f: Figures::new(d.responses.clone(), tr, None),
        choices: Vec::new(),
        date_label: day_label(&tr, d.date),
        today,
        previous: d.date.pred_opt().unwrap_or(d.date),
        next: d.date.succ_opt().filter(|n| *n <= today),
        d,
    }))
}
