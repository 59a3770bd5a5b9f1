//! The public dashboard (`/statistik`) and the open-data downloads (`/data-terbuka.csv`,
//! `/data-terbuka.json`). No login; the figures come from `Services::public_statistics` and
//! `Services::open_data`. The page is the same for everyone who asks for a language and a
//! period (it is drawn with a visitor's layout, even for a logged-in user), so it is kept in
//! memory for [`CACHE_SECONDS`] and may be kept as long by browsers and proxies.

use super::dashboards::{badge, badge_label, period_label};
use super::text::Tr;
use super::{CSP, Layout, Ui, UiResult};
use crate::error::ApiError;
use askama::Template;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Datelike, TimeDelta};
use serde::Deserialize;
use tanggap_domain::compliance::{AgencyFigures, Period};
use tanggap_service::ServiceError;
use tanggap_service::statistics::{NamedCount, PublicStatistics};

pub use super::memo::{CACHE_SECONDS, PageCache};
const CACHE_CONTROL: &str = "public, max-age=60";

#[derive(Deserialize, Default)]
pub struct PublicPeriodQuery {
    kuartal: Option<String>,
}

/// The period asked for; a quarter that cannot be read is a 400 page that says how to write it.
async fn period(ui: &Ui, q: &PublicPeriodQuery) -> UiResult<Period> {
    ui.state
        .services
        .public_period(q.kuartal.as_deref())
        .await
        .map_err(|e| match e {
            ServiceError::Refused(r) if !r.fields.is_empty() => {
                ui.error(StatusCode::BAD_REQUEST, &r.fields[0].message(ui.tr.lang))
            }
            e => ui.api_error(e.into()),
        })
}

/// One choice of the period form.
pub struct QuarterChoice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "statistik.html")]
struct StatistikPage {
    l: Layout,
    s: PublicStatistics,
    choices: Vec<QuarterChoice>,
    /// `?kuartal=…` of this view (empty for the default period), for the download links.
    query: String,
}

impl StatistikPage {
    pub fn period_label(&self) -> String {
        period_label(&self.l.tr, &self.s.period)
    }
    pub fn badge(&self, f: &AgencyFigures) -> &'static str {
        badge(f)
    }
    pub fn badge_label(&self, f: &AgencyFigures) -> &'static str {
        badge_label(&self.l.tr, f)
    }
    pub fn span(&self, d: &Option<TimeDelta>) -> String {
        d.map_or_else(|| "—".into(), |d| self.l.tr.span(d))
    }
    pub fn name<'a>(&self, n: &'a NamedCount) -> &'a str {
        if self.l.tr.is_en() {
            &n.name_en
        } else {
            &n.name_id
        }
    }
    pub fn status_label(&self, s: &tanggap_domain::ReportStatus) -> &'static str {
        self.l.tr.status(s)
    }
}

/// The current quarter and the `count - 1` before it, newest first.
pub(crate) fn quarter_choices(tr: &Tr, chosen: Option<&str>, count: usize) -> Vec<QuarterChoice> {
    let today = tr.now.with_timezone(&tr.tz).date_naive();
    let mut p = Period::quarter_of(today);
    let mut out = Vec::new();
    for _ in 0..count {
        let value = p.quarter_name().unwrap_or_default();
        out.push(QuarterChoice {
            label: format!(
                "{} {} {}",
                tr.s("Kuartal", "Quarter"),
                p.from.month0() / 3 + 1,
                p.from.year()
            ),
            selected: chosen == Some(value.as_str()),
            value,
        });
        p = p.previous_quarter();
    }
    out
}

/// `GET /statistik`: counts of public reports by status, category and kabupaten/kota, each
/// agency's response figures with a red/amber/green label, the newest public reports, and the
/// open-data links.
pub async fn public_dashboard(ui: Ui, Query(q): Query<PublicPeriodQuery>) -> UiResult {
    let p = period(&ui, &q).await?;
    let key = (ui.tr.code(), p.from, p.to);
    let html = ui
        .state
        .statistik
        .get_or_draw(key, ui.tr.now, async {
            let s = ui
                .state
                .services
                .public_statistics(p)
                .await
                .map_err(|e| ui.api_error(e.into()))?;
            let chosen = p.quarter_name().filter(|_| q.kuartal.is_some());
            let page = StatistikPage {
                l: Layout {
                    tr: ui.tr,
                    user: None,
                    csrf: String::new(),
                    flash: None,
                    flash_error: None,
                    unread: 0,
                    title: ui
                        .tr
                        .s("Statistik pengaduan publik", "Public complaint statistics")
                        .into(),
                    path: ui.path.clone(),
                },
                choices: quarter_choices(&ui.tr, chosen.as_deref(), 4),
                query: chosen.map_or_else(String::new, |c| format!("?kuartal={c}")),
                s,
            };
            page.render()
                .map(Bytes::from)
                .map_err(|e| ui.api_error(ApiError::Internal(e.to_string())))
        })
        .await?;
    Ok(cached(html))
}

fn cached(html: Bytes) -> Response {
    let mut r = Html(html).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    r
}

/// `GET /data-terbuka.csv`: the public reports of the period in the national field names.
pub async fn open_data_csv(ui: Ui, Query(q): Query<PublicPeriodQuery>) -> UiResult {
    open_data(&ui, &q, "csv").await
}

/// `GET /data-terbuka.json`: the same rows as a JSON array of objects.
pub async fn open_data_json(ui: Ui, Query(q): Query<PublicPeriodQuery>) -> UiResult {
    open_data(&ui, &q, "json").await
}

/// An open-data file, kept in memory like the dashboard (same key, with the format where the
/// page has its language): a minute old at most, drawn by one request at a time.
async fn open_data(ui: &Ui, q: &PublicPeriodQuery, ext: &'static str) -> UiResult {
    let p = period(ui, q).await?;
    let key = (ext, p.from, p.to);
    let content_type = if ext == "csv" {
        "text/csv; charset=utf-8"
    } else {
        "application/json"
    };
    let body = ui
        .state
        .statistik
        .get_or_draw(key, ui.tr.now, async {
            let data = ui
                .state
                .services
                .open_data(p)
                .await
                .map_err(|e| ui.api_error(e.into()))?;
            if ext == "csv" {
                crate::open_data::to_csv(&data).map_err(|e| e.to_string())
            } else {
                crate::open_data::to_json(&data).map_err(|e| e.to_string())
            }
            .map(Bytes::from)
            .map_err(|e| ui.api_error(ApiError::Internal(e)))
        })
        .await?;
    Ok(download(body, content_type, &p, ext))
}

fn download(body: Bytes, content_type: &'static str, p: &Period, ext: &str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"tanggap-data-terbuka-{}_{}.{ext}\"",
        p.from, p.to
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}
