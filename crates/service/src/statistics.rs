//! The public dashboard (`/statistik`): what anyone may know of a period without logging in.
//! Counts come from the public list's own rule (`reading::public_filter`: no confidential
//! report, only the statuses the public sees); agencies' figures from `public_compliance` (no
//! heads, no tracking IDs). Nothing here carries a reporter.

use crate::compliance::Compliance;
use crate::reading::{RecentReport, public_filter};
use crate::{Result, ServiceError, Services};
use std::collections::HashMap;
use tanggap_domain::compliance::Period;
use tanggap_domain::{ReportStatus, Timestamp};
use tanggap_store::ReportFilter;

/// The public period when none is asked for: the last 90 days ending today, as on the home page.
pub const PUBLIC_DEFAULT_DAYS: u64 = 90;

/// How many recent public reports the dashboard lists.
const RECENT_ON_DASHBOARD: u32 = 20;

/// A number of public reports under a name (a category, a kabupaten/kota).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedCount {
    /// `None`: reports without a category or a region.
    pub code: Option<String>,
    pub name_id: String,
    pub name_en: String,
    pub count: u64,
}

/// The public dashboard of a period.
#[derive(Debug, Clone)]
pub struct PublicStatistics {
    pub period: Period,
    pub at: Timestamp,
    /// Public reports received in the period.
    pub total: u64,
    /// Every status the public sees, in the workflow's order (zero included).
    pub by_status: Vec<(ReportStatus, u64)>,
    /// Most reports first, then by name.
    pub by_category: Vec<NamedCount>,
    pub by_kabkota: Vec<NamedCount>,
    /// Agencies' response figures: counted over obligations, confidential reports included
    /// (an agency is judged on all its work), without tracking IDs or heads.
    pub compliance: Compliance,
    /// The newest public reports received in the period.
    pub recent: Vec<RecentReport>,
}

impl Services {
    /// The period of a public page: a calendar quarter (`2026-Q3`), else the last
    /// [`PUBLIC_DEFAULT_DAYS`] days ending today in the policy's time zone. A quarter that
    /// cannot be read is the field error `quarter`/`invalid`.
    pub async fn public_period(&self, quarter: Option<&str>) -> Result<Period> {
        match quarter.map(str::trim).filter(|q| !q.is_empty()) {
            Some(q) => Period::quarter(q).map_err(|_| ServiceError::field("quarter", "invalid")),
            None => {
                let today = self
                    .now()
                    .with_timezone(&self.time_zone().await?)
                    .date_naive();
                let from = today
                    .checked_sub_days(chrono::Days::new(PUBLIC_DEFAULT_DAYS - 1))
                    .unwrap_or(today);
                Period::new(from, today).map_err(|_| ServiceError::field("quarter", "invalid"))
            }
        }
    }

    /// The filter of the public reports received in `period` (`None`: the public sees none).
    pub(crate) async fn public_filter_for(&self, period: Period) -> Result<Option<ReportFilter>> {
        let period = Period::new(period.from, period.to)
            .map_err(|_| ServiceError::field("quarter", "invalid"))?;
        let (_, cal) = self.policy_and_calendar().await?;
        let (from, to) = period.instants(&cal);
        Ok(public_filter(ReportFilter {
            created_from: Some(from),
            created_to: Some(to),
            ..Default::default()
        }))
    }

    /// The public dashboard of `period`.
    pub async fn public_statistics(&self, period: Period) -> Result<PublicStatistics> {
        let filter = self.public_filter_for(period).await?;
        let counts = match &filter {
            Some(f) => self.store.report_counts(f).await?,
            None => vec![],
        };
        let mut by_status: Vec<(ReportStatus, u64)> = ReportStatus::ALL
            .iter()
            .copied()
            .filter(|s| tanggap_domain::access::publicly_listed(*s))
            .map(|s| (s, 0))
            .collect();
        let mut by_category: HashMap<Option<String>, u64> = HashMap::new();
        let mut by_kabkota: HashMap<Option<String>, u64> = HashMap::new();
        let mut total = 0;
        for c in &counts {
            total += c.count;
            match by_status.iter_mut().find(|(s, _)| *s == c.status) {
                Some((_, n)) => *n += c.count,
                None => by_status.push((c.status, c.count)),
            }
            *by_category.entry(c.category.clone()).or_default() += c.count;
            *by_kabkota.entry(c.kabkota.clone()).or_default() += c.count;
        }
        let categories = self.reference().await?.categories.clone();
        let by_category = sorted(
            by_category
                .into_iter()
                .map(|(code, count)| {
                    let known = code
                        .as_deref()
                        .and_then(|c| categories.iter().find(|x| x.code == c));
                    let (name_id, name_en) = match (known, &code) {
                        (Some(k), _) => (k.name_id.clone(), k.name_en.clone()),
                        (None, Some(c)) => (c.clone(), c.clone()),
                        (None, None) => ("Tanpa kategori".into(), "No category".into()),
                    };
                    NamedCount {
                        code,
                        name_id,
                        name_en,
                        count,
                    }
                })
                .collect(),
        );
        let mut kabkota = Vec::with_capacity(by_kabkota.len());
        for (code, count) in by_kabkota {
            let name = match &code {
                Some(c) => self.known_region(c).await?.map(|r| r.name),
                None => None,
            };
            let (name_id, name_en) = match name {
                Some(n) => (n.clone(), n),
                None => ("Tanpa lokasi".into(), "No location".into()),
            };
            kabkota.push(NamedCount {
                code,
                name_id,
                name_en,
                count,
            });
        }
        let recent = match filter {
            Some(f) => {
                self.public_report_list(ReportFilter {
                    limit: RECENT_ON_DASHBOARD,
                    ..f
                })
                .await?
            }
            None => vec![],
        };
        Ok(PublicStatistics {
            period,
            at: self.now(),
            total,
            by_status,
            by_category,
            by_kabkota: sorted(kabkota),
            compliance: self.public_compliance(period).await?,
            recent,
        })
    }
}

fn sorted(mut v: Vec<NamedCount>) -> Vec<NamedCount> {
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.name_id.cmp(&b.name_id)));
    v
}
