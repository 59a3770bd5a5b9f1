//! The quarterly rakor report in the UI, for leadership, auditors and administrators: the report
//! of a chosen calendar quarter on a page, and the same report as a file (HTML, PDF, CSV, XLSX).
//! One computation (`Services::quarterly_report`); the renderings are `crate::rakor`'s.

use super::statistik::{QuarterChoice, quarter_choices};
use super::{Layout, Ui, UiResult, page};
use crate::error::ApiError;
use crate::rakor::{FileFormat, RakorView};
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tanggap_domain::policy::Permission;

#[derive(Debug, Deserialize)]
pub struct QuarterQuery {
    pub kuartal: Option<String>,
}

#[derive(Template)]
#[template(path = "pimpinan_rakor.html")]
struct RakorPage {
    l: Layout,
    v: RakorView,
    choices: Vec<QuarterChoice>,
}

pub async fn page_view(ui: Ui, Query(q): Query<QuarterQuery>) -> UiResult {
    ui.require(Permission::ViewCompliance)?;
    // The meeting discusses the quarter that has ended: that is the default.
    let chosen = q
        .kuartal
        .filter(|k| !k.trim().is_empty())
        .or_else(|| quarter_choices(&ui.tr, None, 2).pop().map(|c| c.value))
        .unwrap_or_default();
    let report = ui
        .state
        .services
        .quarterly_report(ui.caller(), &chosen)
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    let choices = quarter_choices(&ui.tr, Some(&report.quarter), 8);
    Ok(page(&RakorPage {
        l: ui
            .layout(ui.tr.s(
                "Laporan rakor triwulanan",
                "Quarterly coordination-meeting report",
            ))
            .await,
        v: RakorView::new(&report),
        choices,
    }))
}

/// `/pimpinan/rakor/2026-Q3.pdf` and the like.
pub async fn file(ui: Ui, Path(name): Path<String>) -> UiResult {
    ui.require(Permission::ViewCompliance)?;
    let (quarter, format) = name.rsplit_once('.').unwrap_or((name.as_str(), ""));
    let Some(format) = FileFormat::parse(format) else {
        return Err(ui.error(
            StatusCode::NOT_FOUND,
            ui.tr.s(
                "Format tidak dikenal: pilih html, pdf, csv atau xlsx.",
                "Unknown format: choose html, pdf, csv or xlsx.",
            ),
        ));
    };
    let report = ui
        .state
        .services
        .quarterly_report(ui.caller(), quarter)
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    let body =
        crate::rakor::render(&report, format).map_err(|e| ui.api_error(ApiError::Internal(e)))?;
    let mut r: Response = body.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The HTML document carries its own print styles and no script.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"tanggap-rakor-{}.{}\"",
        report.quarter,
        format.extension()
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
