//! The open-data formats: `Services::open_data` written out as CSV (header in the national
//! field order) or as a JSON array of objects with the same keys. Both render a row through
//! [`fields`], so they cannot disagree.

use crate::spreadsheet::inert;
use crate::ui::text::{Lang, Tr};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use tanggap_service::open_data::{OpenData, OpenDataRow, SP4N_FIELDS};

/// ISO 8601 with the policy time zone's offset: `2026-11-30T08:15:00+07:00`.
fn iso(tz: chrono_tz::Tz, t: &DateTime<Utc>) -> String {
    t.with_timezone(&tz)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// A row's values in the order of [`SP4N_FIELDS`]; `None` for what is absent. The status is
/// the label the public tracking page shows (in Indonesian).
pub fn fields(data: &OpenData, r: &OpenDataRow) -> [Option<String>; 11] {
    let tr = Tr {
        lang: Lang::Id,
        tz: data.tz,
        now: r.received_at,
    };
    let tz = data.tz;
    [
        Some(r.tracking_id.clone()),
        Some(r.title.clone()),
        Some(r.body.clone()),
        r.category.clone(),
        r.lead_agency.clone(),
        Some(r.area.clone()).filter(|a| !a.is_empty()),
        Some(tr.status(&r.status).to_string()),
        Some(iso(tz, &r.received_at)),
        r.dispatched_at.as_ref().map(|t| iso(tz, t)),
        Some(iso(tz, &r.last_activity_at)),
        r.closed_at.as_ref().map(|t| iso(tz, t)),
    ]
}

/// CSV (RFC 4180 quoting by the `csv` crate), absent values empty, formulas made inert.
pub fn to_csv(data: &OpenData) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(256 + data.rows.len() * 700));
    w.write_record(SP4N_FIELDS)?;
    for r in &data.rows {
        w.write_record(fields(data, r).map(|v| inert(v.unwrap_or_default())))?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// One JSON object, keys in the national order, absent values `null`.
#[derive(Serialize)]
struct JsonRow {
    #[serde(rename = "TrackingID")]
    tracking_id: Option<String>,
    #[serde(rename = "JudulLaporan")]
    judul: Option<String>,
    #[serde(rename = "IsiLaporan")]
    isi: Option<String>,
    #[serde(rename = "Kategori")]
    kategori: Option<String>,
    #[serde(rename = "DisposisiInstansi")]
    disposisi_instansi: Option<String>,
    #[serde(rename = "Area")]
    area: Option<String>,
    #[serde(rename = "Status")]
    status: Option<String>,
    #[serde(rename = "TanggalLaporanMasuk")]
    masuk: Option<String>,
    #[serde(rename = "TanggalDisposisi")]
    disposisi: Option<String>,
    #[serde(rename = "TanggalLaporanAktivitasTerakhir")]
    aktivitas_terakhir: Option<String>,
    #[serde(rename = "TanggalLaporanDitutup")]
    ditutup: Option<String>,
}

/// A JSON array of objects with the national keys.
pub fn to_json(data: &OpenData) -> Result<Vec<u8>, serde_json::Error> {
    let rows: Vec<JsonRow> = data
        .rows
        .iter()
        .map(|r| {
            let [a, b, c, d, e, f, g, h, i, j, k] = fields(data, r);
            JsonRow {
                tracking_id: a,
                judul: b,
                isi: c,
                kategori: d,
                disposisi_instansi: e,
                area: f,
                status: g,
                masuk: h,
                disposisi: i,
                aktivitas_terakhir: j,
                ditutup: k,
            }
        })
        .collect();
    serde_json::to_vec(&rows)
}
