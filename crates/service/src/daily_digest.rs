//! The daily digest for leadership (SPEC section 6): for one day in the policy's time zone
//! (yesterday by default), the reports received that day, how each agency answered the
//! obligations that started that day (the figures of [`Services::compliance`] for that one
//! day: who responded how fast), and what is overdue now, by agency, with the head in office
//! and the tracking IDs. One computation for the page and for the morning message
//! (`tanggap_jobs::digest`).
//!
//! No reporter's details: counts, agencies, heads and tracking IDs only.

use crate::compliance::{Compliance, Head, Scope, head_at};
use crate::dashboards::due_today;
use crate::{Caller, Result, ServiceError, Services};
use chrono::NaiveDate;
use std::collections::HashMap;
use tanggap_domain::compliance::Period;
use tanggap_domain::policy::Permission;
use tanggap_domain::{Category, ClockKind, ReportStatus, Timestamp};
use tanggap_store::ReportFilter;

/// One day's digest.
#[derive(Debug, Clone)]
pub struct DailyDigest {
    /// The day reported on.
    pub date: NaiveDate,
    pub made_at: Timestamp,
    pub tz: chrono_tz::Tz,
    /// Reports received that day, confidential ones included.
    pub received: u64,
    /// Those reports by their status now (only statuses that occur).
    pub by_status: Vec<(ReportStatus, u64)>,
    /// Those reports by category, most first (`None`: not yet categorised).
    pub by_category: Vec<(Option<Category>, u64)>,
    /// The obligations that started that day, by agency, as of now.
    pub responses: Compliance,
    /// Running first-response and completion clocks past their deadline now, by agency, the
    /// agency with most first responses overdue first.
    pub overdue: Vec<OverdueAgency>,
}

impl DailyDigest {
    /// First responses and completions overdue now, over all agencies.
    pub fn overdue_totals(&self) -> (usize, usize) {
        self.overdue.iter().fold((0, 0), |(f, c), a| {
            (f + a.first_response.len(), c + a.completion.len())
        })
    }
}

/// One agency's overdue work now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueAgency {
    pub agency_id: String,
    pub name: String,
    /// The head in office now.
    pub head: Option<Head>,
    /// Assignments not yet answered past the first-response deadline, longest overdue first.
    pub first_response: Vec<OverdueItem>,
    /// Assignments not finished past the completion target, longest overdue first.
    pub completion: Vec<OverdueItem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueItem {
    pub tracking_id: String,
    pub due_at: Timestamp,
}

impl Services {
    /// The digest of `date` (default: yesterday in the policy's time zone). Leadership,
    /// auditors, admins, the desk and the system (the morning message) may read it. A date
    /// after today is the field error `date`/`invalid`.
    pub async fn daily_digest(
        &self,
        caller: &Caller,
        date: Option<NaiveDate>,
    ) -> Result<DailyDigest> {
        caller.require(Permission::ViewCompliance)?;
        let now = self.now();
        let (_, cal) = self.policy_and_calendar().await?;
        let tz = cal.tz();
        let today = now.with_timezone(&tz).date_naive();
        let date = match date {
            Some(d) if d > today => return Err(ServiceError::field("date", "invalid")),
            Some(d) => d,
            None => today.pred_opt().unwrap_or(today),
        };
        let period = Period {
            from: date,
            to: date,
        };
        let (from, to) = period.instants(&cal);

        let counts = self
            .store
            .report_counts(&ReportFilter {
                created_from: Some(from),
                created_to: Some(to),
                ..Default::default()
            })
            .await?;
        let categories: HashMap<String, Category> = self
            .store
            .categories()
            .await?
            .into_iter()
            .map(|c| (c.code.clone(), c))
            .collect();
        let mut by_status: HashMap<ReportStatus, u64> = HashMap::new();
        let mut by_category: HashMap<Option<&str>, u64> = HashMap::new();
        let mut received = 0;
        for c in &counts {
            received += c.count;
            *by_status.entry(c.status).or_default() += c.count;
            *by_category.entry(c.category.as_deref()).or_default() += c.count;
        }
        let by_status: Vec<(ReportStatus, u64)> = ReportStatus::ALL
            .iter()
            .filter_map(|s| by_status.get(s).map(|n| (*s, *n)))
            .collect();
        let mut by_category: Vec<(Option<&str>, u64)> = by_category.into_iter().collect();
        by_category.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let by_category = by_category
            .into_iter()
            .map(|(code, n)| (code.and_then(|c| categories.get(c)).cloned(), n))
            .collect();

        let responses = self.compliance(caller, period, Scope::All).await?;

        let items = self
            .store
            .digest_items(now + chrono::TimeDelta::microseconds(1))
            .await?;
        let agencies: HashMap<String, String> = self
            .store
            .agencies()
            .await?
            .into_iter()
            .map(|a| (a.id, a.name))
            .collect();
        let heads = self.store.agency_heads().await?;
        let mut overdue: Vec<OverdueAgency> = due_today(&items, now, &cal)
            .into_iter()
            .filter(|(_, lists)| !lists.overdue.is_empty())
            .map(|(agency_id, lists)| {
                let pick = |kind: ClockKind| {
                    lists
                        .overdue
                        .iter()
                        .filter(|i| i.kind == kind)
                        .map(|i| OverdueItem {
                            tracking_id: i.tracking_id.to_string(),
                            due_at: i.due_at,
                        })
                        .collect::<Vec<_>>()
                };
                OverdueAgency {
                    name: agencies
                        .get(&agency_id)
                        .cloned()
                        .unwrap_or_else(|| agency_id.clone()),
                    head: head_at(&heads, &agency_id, now),
                    first_response: pick(ClockKind::FirstResponse),
                    completion: pick(ClockKind::Completion),
                    agency_id,
                }
            })
            .collect();
        overdue.sort_by(|a, b| {
            b.first_response
                .len()
                .cmp(&a.first_response.len())
                .then(b.completion.len().cmp(&a.completion.len()))
                .then(a.name.cmp(&b.name))
        });
        Ok(DailyDigest {
            date,
            made_at: now,
            tz,
            received,
            by_status,
            by_category,
            responses,
            overdue,
        })
    }
}
