//! What the desk, the agencies, leadership and the public look at: the desk's worklist and
//! inbox, an agency's queue, the response facts behind the dashboards, notifications. Each read
//! is scoped to the caller here.

use crate::reading::OpenedReport;
use crate::{Caller, Result, ServiceError, Services};
use chrono::TimeDelta;
use tanggap_domain::policy::Permission;
use tanggap_domain::{Agency, Category, Channel, ClockKind, Region, ReportStatus, Timestamp};
use tanggap_store::{
    InboxMessage, Notification, QueueItem, ReportFilter, ReportOrder, ReportRecord,
};

/// A line of the desk's worklist, with its triage deadline.
#[derive(Debug, Clone)]
pub struct DeskRow {
    pub report: ReportRecord,
    pub triage_started: Option<Timestamp>,
    pub triage_due: Option<Timestamp>,
}

/// An agency's open assignments, most urgent first.
#[derive(Debug, Clone)]
pub struct QueueView {
    pub agency_name: String,
    pub items: Vec<QueueItem>,
}

/// Why the desk might send a report to an agency.
#[derive(Debug, Clone)]
pub enum SuggestionReason {
    /// The category's default agency.
    CategoryDefault(Category),
    /// The government of the kabupaten/kota where it happened.
    RegionGovernment,
}

#[derive(Debug, Clone)]
pub struct Suggestion {
    pub agency: Agency,
    pub reason: SuggestionReason,
}

/// What helps the desk triage one report.
#[derive(Debug, Clone, Default)]
pub struct TriageHelp {
    pub suggestions: Vec<Suggestion>,
    /// Recent open reports in the same kabupaten/kota sharing a significant word.
    pub similar: Vec<ReportRecord>,
}

impl Services {
    /// The desk's worklist: reports in these statuses (all when empty), oldest first.
    pub async fn desk_rows(
        &self,
        caller: &Caller,
        statuses: Vec<ReportStatus>,
        channel: Option<Channel>,
        text: Option<String>,
    ) -> Result<(Vec<DeskRow>, u64)> {
        caller.require(Permission::UseDesk)?;
        let filter = ReportFilter {
            statuses,
            channel,
            text,
            order: ReportOrder::OldestFirst,
            limit: 100,
            ..Default::default()
        };
        let page = self.store.list_reports(&filter).await?;
        let mut rows = Vec::new();
        for mut r in page.items {
            let triage = self.store.report_view(r.id).await?.and_then(|v| {
                v.clocks
                    .into_iter()
                    .find(|c| c.kind == ClockKind::Triage && c.stopped_at.is_none())
            });
            r.reporter = None;
            rows.push(DeskRow {
                report: r,
                triage_started: triage.as_ref().map(|c| c.started_at),
                triage_due: triage.and_then(|c| c.due_at),
            });
        }
        Ok((rows, page.total))
    }

    /// The latest messages from reporters on any channel (the desk).
    pub async fn desk_inbox(&self, caller: &Caller, limit: u32) -> Result<Vec<InboxMessage>> {
        caller.require(Permission::UseDesk)?;
        Ok(self.store.inbound_messages(limit).await?)
    }

    /// Dispatch suggestions and similar reports, for the desk working on one report.
    pub async fn triage_help(&self, caller: &Caller, opened: &OpenedReport) -> Result<TriageHelp> {
        if !caller.may(Permission::DispatchReport) {
            return Ok(TriageHelp::default());
        }
        let r = &opened.report;
        let categories = self.store.categories().await?;
        let mut help = TriageHelp::default();
        if let Some(c) = r
            .category
            .as_ref()
            .and_then(|c| categories.iter().find(|x| &x.code == c))
            && let Some(a) = c
                .default_agency_id
                .as_ref()
                .and_then(|id| opened.agencies.iter().find(|x| &x.id == id))
        {
            help.suggestions.push(Suggestion {
                agency: a.clone(),
                reason: SuggestionReason::CategoryDefault(c.clone()),
            });
        }
        if let Some(kab) = r
            .region_code
            .as_deref()
            .and_then(Region::kabupaten_kota_code)
        {
            if let Some(a) = opened
                .agencies
                .iter()
                .find(|x| x.region_code.as_deref() == Some(kab.as_str()))
                && !help.suggestions.iter().any(|s| s.agency.id == a.id)
            {
                help.suggestions.push(Suggestion {
                    agency: a.clone(),
                    reason: SuggestionReason::RegionGovernment,
                });
            }
            help.similar = self.similar_reports(r, &kab).await?;
        }
        Ok(help)
    }

    async fn similar_reports(&self, report: &ReportRecord, kab: &str) -> Result<Vec<ReportRecord>> {
        let mut words: Vec<&str> = report
            .title
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 5)
            .collect();
        words.sort_by_key(|w| std::cmp::Reverse(w.len()));
        words.dedup();
        let mut found: Vec<ReportRecord> = Vec::new();
        for w in words.into_iter().take(3) {
            let f = ReportFilter {
                region: Some(kab.to_string()),
                text: Some(w.to_string()),
                created_from: Some(self.now() - TimeDelta::days(60)),
                limit: 5,
                ..Default::default()
            };
            for mut r in self.store.list_reports(&f).await?.items {
                if r.id != report.id
                    && !matches!(r.status, ReportStatus::Duplikat | ReportStatus::Diarsipkan)
                    && !found.iter().any(|x| x.id == r.id)
                {
                    r.reporter = None;
                    found.push(r);
                }
            }
        }
        found.truncate(5);
        Ok(found)
    }

    /// The caller's agency's open assignments (it and its sub-units), most urgent first.
    pub async fn agency_queue(&self, caller: &Caller) -> Result<QueueView> {
        caller.require(Permission::ViewAgencyQueue)?;
        let mine = caller
            .user()
            .and_then(|u| u.agency_id.clone())
            .unwrap_or_default();
        let agencies = self.store.agencies().await?;
        let tree = tanggap_domain::AgencyTree::from_agencies(&agencies);
        let items = self
            .store
            .open_assignments(Some(&tree.subtree(&mine)), 500)
            .await?;
        Ok(QueueView {
            agency_name: agencies
                .iter()
                .find(|a| a.id == mine)
                .map(|a| a.name.clone())
                .unwrap_or_default(),
            items,
        })
    }

    /// The caller's in-app notifications, newest first, with their reports' tracking IDs.
    pub async fn my_notifications(
        &self,
        caller: &Caller,
        limit: u32,
    ) -> Result<Vec<(Notification, Option<String>)>> {
        caller.require(Permission::ReadOwnNotifications)?;
        let user = caller.user().ok_or_else(ServiceError::unauthenticated)?;
        let items = self.store.notifications_for_user(user.id, limit).await?;
        let mut tracking = std::collections::HashMap::new();
        let mut out = Vec::with_capacity(items.len());
        for n in items {
            let tid = match n.report_id {
                None => None,
                Some(id) => {
                    if let std::collections::hash_map::Entry::Vacant(e) = tracking.entry(id) {
                        e.insert(
                            self.store
                                .report(id)
                                .await?
                                .map(|r| r.tracking_id.to_string()),
                        );
                    }
                    tracking.get(&id).cloned().flatten()
                }
            };
            out.push((n, tid));
        }
        Ok(out)
    }

    /// How many of the caller's in-app notifications are unread (0 for a visitor).
    pub async fn unread_notifications(&self, caller: &Caller) -> Result<usize> {
        match caller.user() {
            None => Ok(0),
            Some(u) => Ok(self
                .store
                .notifications_for_user(u.id, 100)
                .await?
                .iter()
                .filter(|n| n.read_at.is_none())
                .count()),
        }
    }

    /// Mark one of the caller's notifications read, or all of them (`None`).
    pub async fn mark_notifications_read(&self, caller: &Caller, id: Option<i64>) -> Result<()> {
        caller.require(Permission::ReadOwnNotifications)?;
        let user = caller.user().ok_or_else(ServiceError::unauthenticated)?;
        let now = self.now();
        let ids: Vec<i64> = match id {
            Some(id) => vec![id],
            None => self
                .store
                .notifications_for_user(user.id, 500)
                .await?
                .into_iter()
                .filter(|n| n.read_at.is_none())
                .map(|n| n.id)
                .collect(),
        };
        for id in ids {
            self.store.mark_notification_read(id, user.id, now).await?;
        }
        Ok(())
    }

    /// Escalations and notifications sent about a report, for staff who may read it. Their
    /// addresses (a reporter's phone may be among them) are for the desk only.
    pub async fn report_notifications(
        &self,
        caller: &Caller,
        opened: &OpenedReport,
    ) -> Result<Vec<Notification>> {
        if caller.user().is_none() || !opened.disclosure.internal {
            return Ok(vec![]);
        }
        let mut items = self
            .store
            .notifications_for_report(opened.report.id)
            .await?;
        if !caller.may(Permission::UseDesk) {
            for n in &mut items {
                n.address = None;
            }
        }
        Ok(items)
    }
}
