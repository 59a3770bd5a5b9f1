//! Open data: the public reports of a period in the national SP4N-LAPOR! field names, one use
//! case for every format (the CSV and JSON adapters in `tanggap_web::open_data` only write it
//! out). What a row holds is what the public already sees: the reports of the public list
//! (`reading::public_filter`, through `list_reports` as the public: no confidential report, no
//! report the desk has not verified or has archived or merged), the title and description as
//! the public tracking page shows them, places by name (never coordinates), the lead agency by
//! name, and dates. No reporter, no contact, no NIK, no location point.

use crate::{Caller, Result, Services};
use std::collections::HashMap;
use tanggap_domain::access::Audience;
use tanggap_domain::compliance::Period;
use tanggap_domain::{AssignmentRole, ReportStatus, Stage, Timestamp};
use tanggap_store::{ReportFilter, ReportOrder};

/// The national field names, in the order of the CSV header.
pub const SP4N_FIELDS: [&str; 11] = [
    "TrackingID",
    "JudulLaporan",
    "IsiLaporan",
    "Kategori",
    "DisposisiInstansi",
    "Area",
    "Status",
    "TanggalLaporanMasuk",
    "TanggalDisposisi",
    "TanggalLaporanAktivitasTerakhir",
    "TanggalLaporanDitutup",
];

/// How many reports are read from the store at a time.
const PAGE: u32 = 500;

/// One public report as open data.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenDataRow {
    pub tracking_id: String,
    pub title: String,
    /// The description as the public tracking page shows it.
    pub body: String,
    /// The category's (Indonesian) name.
    pub category: Option<String>,
    /// The lead (`utama`) agency's name.
    pub lead_agency: Option<String>,
    /// Desa, kecamatan, kabupaten/kota by name; empty without a region.
    pub area: String,
    pub status: ReportStatus,
    pub received_at: Timestamp,
    pub dispatched_at: Option<Timestamp>,
    /// The newest entry of the public timeline (the receipt when there is none).
    pub last_activity_at: Timestamp,
    pub closed_at: Option<Timestamp>,
}

/// The open data of a period, oldest report first.
#[derive(Debug, Clone)]
pub struct OpenData {
    pub period: Period,
    /// The policy's time zone, in which dates are written.
    pub tz: chrono_tz::Tz,
    pub rows: Vec<OpenDataRow>,
}

impl Services {
    /// The public reports received in `period` (at most [`Period::new`]'s span), for anyone.
    pub async fn open_data(&self, period: Period) -> Result<OpenData> {
        let tz = self.time_zone().await?;
        let Some(filter) = self.public_filter_for(period).await? else {
            return Ok(OpenData {
                period,
                tz,
                rows: vec![],
            });
        };
        let categories: HashMap<String, String> = self
            .store
            .categories()
            .await?
            .into_iter()
            .map(|c| (c.code, c.name_id))
            .collect();
        let mut places: HashMap<Option<String>, String> = HashMap::new();
        let mut rows = Vec::new();
        let mut offset = 0;
        loop {
            // The public list: what it leaves out, open data leaves out.
            let page = self
                .list_reports(
                    &Caller::Public,
                    ReportFilter {
                        order: ReportOrder::OldestFirst,
                        limit: PAGE,
                        offset,
                        ..filter.clone()
                    },
                    None,
                )
                .await?;
            let n = page.items.len();
            for r in page.items {
                let area = match places.get(&r.region_code) {
                    Some(p) => p.clone(),
                    None => {
                        let p = self.place_name(r.region_code.as_deref()).await?;
                        places.insert(r.region_code.clone(), p.clone());
                        p
                    }
                };
                let assignments = self.store.assignments(r.id).await?;
                // The lead agency now: the newest lead assignment still the agency's (a forward
                // hands the lead to the sub-unit; a return gives it back to the desk).
                let lead = assignments
                    .iter()
                    .rev()
                    .find(|a| {
                        a.role == AssignmentRole::Utama
                            && !matches!(a.stage, Stage::BukanWewenang | Stage::Diteruskan)
                    })
                    .map(|a| a.agency_name.clone());
                let last_activity_at = self
                    .store
                    .activities(r.id)
                    .await?
                    .iter()
                    .filter(|a| a.audience == Audience::Public)
                    .map(|a| a.created_at)
                    .max()
                    .unwrap_or(r.created_at);
                rows.push(OpenDataRow {
                    tracking_id: r.tracking_id.to_string(),
                    title: r.title,
                    body: r.body,
                    category: r
                        .category
                        .as_ref()
                        .map(|c| categories.get(c).cloned().unwrap_or_else(|| c.clone())),
                    lead_agency: lead,
                    area,
                    status: r.status,
                    received_at: r.created_at,
                    dispatched_at: r.dispatched_at,
                    last_activity_at,
                    closed_at: r.closed_at,
                });
            }
            if n < PAGE as usize {
                break;
            }
            offset += PAGE;
        }
        Ok(OpenData { period, tz, rows })
    }
}
