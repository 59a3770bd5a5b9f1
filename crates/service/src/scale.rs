//! `tanggap demo --reports N`: a realistic database of N reports for measuring reads at scale.
//!
//! The reports the real workflow made (`tanggap demo`'s, or whatever the database holds) are the
//! templates; each copy takes a template's whole history (assignments, clocks, obligations,
//! timeline, conversation, audit events: `tanggap_store::copies`) and gets its own tracking ID,
//! reporter, place, text and lead agency from the labelled complaints shipped with the binary
//! (`reference/jateng/complaints-dev.jsonl`: the text, the region and the agency that must act).
//!
//! Time: copies of finished templates (no clock running) are spread over the three years before
//! now, more in recent months, in whole weeks so that a working-day deadline keeps its weekday;
//! copies of open templates keep the template's times (moving a running clock back would make
//! the scheduler fire it at start-up), so the open reports are as recent as the templates'; and
//! `tanggap demo --reports` runs the scheduler over the templates first, so that the thresholds
//! they have crossed are copied as fired, as a running system would have fired them. Copies
//! are written oldest first, so the audit trail runs forward in time as it would have.
//! The proportion of open copies is [`OPEN_SHARE`].

use crate::{Result, ServiceError, Services};
use chrono::TimeDelta;
use rand::distributions::{Distribution, WeightedIndex};
use rand::{Rng, RngCore, SeedableRng};
use serde::Deserialize;
use std::collections::HashMap;
use tanggap_domain::{AssignmentRole, Region, RegionLevel, ReportStatus, SecretToken, TrackingId};
use tanggap_store::{ReportCopy, ReportFilter};

const COMPLAINTS: &str = include_str!("../../../reference/jateng/complaints-dev.jsonl");

/// Copies written per transaction.
pub const BATCH: usize = 2_000;
/// The share of copies made from open templates (reports still being handled).
pub const OPEN_SHARE: f64 = 0.04;
/// How far back the copies of finished reports go.
const YEARS: i64 = 3;

#[derive(Debug, Deserialize)]
struct Complaint {
    title: String,
    body: String,
    region_code: String,
    category: String,
    agency_id: String,
}

/// What one template contributes.
#[derive(Debug, Clone)]
struct Template {
    id: i64,
    created_at: crate::Timestamp,
    open: bool,
    /// How often it is copied relative to the others of its kind (open or finished): most
    /// finished reports are closed, few archived or duplicates.
    weight: u32,
    lead: Option<String>,
    /// Agencies of its other assignments (a copy's lead must differ from them).
    others: Vec<String>,
}

/// Progress of a scale load, reported after every batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleProgress {
    pub written: u64,
    pub total: u64,
}

impl Services {
    /// Add `n` copies of the database's reports (see the module documentation); loads the demo
    /// first when there are no reports. `progress` is called after every batch.
    pub async fn load_scale(&self, n: u64, mut progress: impl FnMut(ScaleProgress)) -> Result<u64> {
        if self.store.count_reports().await? == 0 {
            self.load_demo().await?;
        }
        let templates = self.scale_templates().await?;
        let (open, done): (Vec<_>, Vec<_>) = templates.into_iter().partition(|t| t.open);
        if done.is_empty() && open.is_empty() {
            return Err(ServiceError::Internal(
                "no reports to copy: run `tanggap demo` first".into(),
            ));
        }
        let complaints = complaints()?;
        let villages = villages()?;
        let now = self.clock.now();
        let mut rng = rand::rngs::StdRng::seed_from_u64(n ^ now.timestamp() as u64);
        let id_salt = rng.next_u64();
        let phone_base = self.store.count_reports().await?;
        let n_open = if done.is_empty() {
            n
        } else if open.is_empty() {
            0
        } else {
            (n as f64 * OPEN_SHARE).round() as u64
        };
        let n_done = n - n_open;
        let start = now - TimeDelta::days(365 * YEARS);
        let span = (TimeDelta::days(365 * YEARS) - TimeDelta::days(30)).num_seconds() as f64;
        let weights = |v: &[Template]| {
            WeightedIndex::new(v.iter().map(|t| t.weight).chain(v.is_empty().then_some(1)))
                .map_err(|e| ServiceError::Internal(e.to_string()))
        };
        let (done_pick, open_pick) = (weights(&done)?, weights(&open)?);
        let mut written = 0u64;
        let mut batch = Vec::with_capacity(BATCH);
        for k in 0..n {
            let (t, shift) = if k < n_done {
                let t = &done[done_pick.sample(&mut rng)];
                // Density grows towards now: the k-th of n_done at u^0.8 of the span.
                let u = (k as f64 + rng.r#gen::<f64>()) / n_done as f64;
                let target = start + TimeDelta::seconds((u.powf(0.8) * span) as i64);
                let weeks = (target - t.created_at).num_days().div_euclid(7);
                (t, TimeDelta::weeks(weeks.min(0)))
            } else {
                (&open[open_pick.sample(&mut rng)], TimeDelta::zero())
            };
            let c = &complaints[rng.gen_range(0..complaints.len())];
            batch.push(copy_of(
                t,
                shift,
                c,
                &villages,
                k,
                id_salt,
                phone_base + k,
                &self.settings.tracking_prefix,
                &mut rng,
            ));
            if batch.len() == BATCH || k + 1 == n {
                written += self.store.copy_reports(&batch).await?;
                batch.clear();
                progress(ScaleProgress { written, total: n });
            }
        }
        Ok(written)
    }

    async fn scale_templates(&self) -> Result<Vec<Template>> {
        let mut out = Vec::new();
        let mut offset = 0;
        loop {
            let page = self
                .store
                .list_reports(&ReportFilter {
                    limit: 500,
                    offset,
                    ..ReportFilter::default()
                })
                .await?;
            let n = page.items.len() as u32;
            for r in page.items {
                let Some(view) = self.store.report_view(r.id).await? else {
                    continue;
                };
                let running = |c: &&tanggap_domain::clock::Clock| {
                    c.running_since.is_some() && c.stopped_at.is_none()
                };
                let open = view.clocks.iter().any(|c| running(&c))
                    || view
                        .assignments
                        .iter()
                        .flat_map(|a| &a.clocks)
                        .any(|c| running(&c));
                let lead = view
                    .assignments
                    .iter()
                    .find(|a| a.role == AssignmentRole::Utama)
                    .map(|a| a.agency_id.clone());
                let others = view
                    .assignments
                    .iter()
                    .map(|a| a.agency_id.clone())
                    .filter(|a| Some(a) != lead.as_ref())
                    .collect();
                let weight = match r.status {
                    ReportStatus::Ditutup => 8,
                    _ => 1,
                };
                out.push(Template {
                    id: r.id,
                    created_at: r.created_at,
                    open,
                    weight,
                    lead,
                    others,
                });
            }
            if n < 500 || out.len() >= 5_000 {
                break;
            }
            offset += n;
        }
        Ok(out)
    }
}

fn complaints() -> Result<Vec<Complaint>> {
    COMPLAINTS
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l)
                .map_err(|e| ServiceError::Internal(format!("complaints-dev.jsonl: {e}")))
        })
        .collect()
}

/// Village codes (desa and kelurahan) by kabupaten/kota code (`33.22`), and all of them under `33`.
fn villages() -> Result<HashMap<String, Vec<String>>> {
    let regions = crate::reference::jateng()
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .regions;
    let mut by: HashMap<String, Vec<String>> = HashMap::new();
    for r in regions
        .iter()
        .filter(|r| matches!(r.level, RegionLevel::Desa | RegionLevel::Kelurahan))
    {
        if let Some(kab) = Region::kabupaten_kota_code(&r.code) {
            by.entry(kab).or_default().push(r.code.clone());
        }
        by.entry("33".into()).or_default().push(r.code.clone());
    }
    Ok(by)
}

/// A tracking ID from a number: a bijection of the 60 bits the ID shows, so copies never share
/// one and do not follow each other visibly.
fn tracking_id(prefix: &str, n: u64) -> TrackingId {
    struct Fixed(u64);
    impl RngCore for Fixed {
        fn next_u32(&mut self) -> u32 {
            self.0 as u32
        }
        fn next_u64(&mut self) -> u64 {
            self.0
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            dest.fill(0)
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> std::result::Result<(), rand::Error> {
            dest.fill(0);
            Ok(())
        }
    }
    TrackingId::generate(
        prefix,
        &mut Fixed(n.wrapping_mul(0x9E37_79B9_7F4A_7C15) & ((1 << 60) - 1)),
    )
}

const GIVEN: &[&str] = &[
    "Siti", "Budi", "Agus", "Dewi", "Sri", "Joko", "Wahyu", "Rina", "Eko", "Yuli", "Bambang",
    "Endang", "Heru", "Lestari", "Slamet", "Nur", "Tri", "Dian", "Fajar", "Rizki",
];
const FAMILY: &[&str] = &[
    "Rahayu",
    "Santoso",
    "Wibowo",
    "Susanti",
    "Prasetyo",
    "Handayani",
    "Setiawan",
    "Purnomo",
    "Kurniawan",
    "Lestari",
    "Saputra",
    "Utami",
    "Nugroho",
    "Wulandari",
    "Hidayat",
];

#[allow(clippy::too_many_arguments)]
fn copy_of(
    t: &Template,
    shift: TimeDelta,
    c: &Complaint,
    villages: &HashMap<String, Vec<String>>,
    k: u64,
    id_salt: u64,
    person: u64,
    prefix: &str,
    rng: &mut impl Rng,
) -> ReportCopy {
    // A village where the complaint is: the given one, one of its kabupaten/kota, or anywhere.
    let region = if c.region_code.len() > 5 {
        c.region_code.clone()
    } else {
        villages
            .get(&c.region_code)
            .or_else(|| villages.get("33"))
            .and_then(|v| v.get(rng.gen_range(0..v.len().max(1))).cloned())
            .unwrap_or_else(|| c.region_code.clone())
    };
    // A kabupaten/kota's own matter goes to that kabupaten/kota's government.
    let agency = match Region::kabupaten_kota_code(&region) {
        Some(kab) if c.agency_id.starts_with("pemda-") => {
            format!("pemda-{}", kab.replace('.', "-"))
        }
        _ => c.agency_id.clone(),
    };
    let lead = t
        .lead
        .as_ref()
        .filter(|from| **from != agency && !t.others.contains(&agency))
        .map(|from| (from.clone(), agency));
    let title = if c.title.trim().is_empty() {
        crate::text::title_from_words(&c.body)
    } else {
        c.title.clone()
    };
    ReportCopy {
        template_id: t.id,
        shift,
        tracking_id: tracking_id(prefix, id_salt.wrapping_add(k)),
        secret_hash: SecretToken::generate(rng).hash(),
        title,
        body: c.body.clone(),
        region_code: Some(region),
        // The complaint's category goes with its agency (kept from the template when the
        // template's lead stays).
        category: (lead.is_some() || t.lead.is_none()).then(|| c.category.clone()),
        lead,
        reporter: Some((
            format!(
                "{} {}",
                GIVEN[rng.gen_range(0..GIVEN.len())],
                FAMILY[rng.gen_range(0..FAMILY.len())]
            ),
            format!("+62859{:08}", person % 100_000_000),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_complaints_and_villages_are_read() {
        let c = complaints().unwrap();
        assert!(c.len() >= 100, "{}", c.len());
        let v = villages().unwrap();
        assert!(v["33"].len() > 8_000);
        assert!(v["33.22"].iter().all(|code| code.starts_with("33.22.")));
    }

    #[test]
    fn tracking_ids_from_numbers_are_distinct_and_valid() {
        let ids: std::collections::HashSet<String> = (0..100_000u64)
            .map(|n| tracking_id("LG", n).as_str().to_string())
            .collect();
        assert_eq!(ids.len(), 100_000);
        for id in ids.iter().take(50) {
            assert_eq!(TrackingId::parse(id).unwrap().as_str(), id);
        }
    }
}
