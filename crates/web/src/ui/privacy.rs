//! A reporter's personal-data requests (UU 27/2022) on the pages: the desk's report page and the
//! admin page send here to download what is held about a reporter, correct it, or forget them.

use super::{Ui, UiResult, safe_next};
use axum::Form;
use axum::extract::Query;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tanggap_domain::policy::Permission;
use tanggap_service::privacy::ReporterChange;

#[derive(Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    nomor: String,
}

/// Everything held about the reporter of report `nomor`, as a JSON file to hand over.
pub async fn export(ui: Ui, Query(q): Query<ExportQuery>) -> UiResult {
    ui.require(Permission::ManagePersonalData)?;
    let tid = q.nomor.trim();
    let data = ui
        .state
        .services
        .export_reporter(ui.caller(), tid)
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    let body = serde_json::to_vec_pretty(&data)
        .map_err(|e| ui.api_error(crate::error::ApiError::Internal(e.to_string())))?;
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let name: String = tid
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"data-pelapor-{name}.json\""
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

#[derive(Deserialize)]
pub struct RequestForm {
    csrf: String,
    nomor: String,
    /// `koreksi` or `lupakan`.
    aksi: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    nik: Option<String>,
    /// The confirmation box for forgetting.
    #[serde(default)]
    yakin: Option<String>,
    /// Where to go back to.
    #[serde(default)]
    kembali: Option<String>,
}

/// Correct the reporter's details, or forget them; back to the page the form was on.
pub async fn request(ui: Ui, Form(f): Form<RequestForm>) -> UiResult {
    ui.require(Permission::ManagePersonalData)?;
    ui.check_csrf(&f.csrf).await?;
    let back = safe_next(f.kembali.as_deref());
    let services = &ui.state.services;
    let tid = f.nomor.trim();
    let tr = ui.tr;
    let outcome = match f.aksi.as_str() {
        "koreksi" => services
            .correct_reporter(
                ui.caller(),
                tid,
                ReporterChange {
                    name: f.name,
                    phone: f.phone,
                    email: f.email,
                    nik: f.nik,
                },
            )
            .await
            .map(|_| {
                tr.s(
                    "Data pelapor diperbaiki.",
                    "The reporter's details were corrected.",
                )
                .to_string()
            }),
        "lupakan" if f.yakin.is_none() => {
            ui.flash_error(tr.s(
                "Centang kotak konfirmasi untuk menghapus identitas pelapor.",
                "Tick the confirmation box to forget the reporter.",
            ))
            .await;
            return Ok(Redirect::to(&back).into_response());
        }
        "lupakan" => services.forget_reporter(ui.caller(), tid).await.map(|n| {
            tr.pick(
                format!(
                    "Identitas pelapor dihapus dari {} laporan; laporan dan angka kinerja tetap.",
                    n.reports
                ),
                format!(
                    "The reporter was forgotten in {} report(s); the reports and figures remain.",
                    n.reports
                ),
            )
        }),
        _ => {
            return Err(ui.error(
                StatusCode::BAD_REQUEST,
                tr.s("Aksi tidak dikenal.", "Unknown action."),
            ));
        }
    };
    match outcome {
        Ok(message) => ui.flash(&message).await,
        Err(tanggap_service::ServiceError::Refused(r)) => {
            let message = match r.fields.first() {
                Some(field) => field.message(tr.lang),
                None => r.message(tr.lang),
            };
            ui.flash_error(&message).await
        }
        Err(e) => return Err(ui.api_error(e.into())),
    }
    Ok(Redirect::to(&back).into_response())
}
