//! What the desk, the agencies, leadership and the public look at: the desk's worklist and
//! inbox, an agency's queue, the response facts behind the dashboards, notifications. Each read
//! is scoped to the caller here.

use crate::compliance::{AgencyLine, Compliance, Head, Scope, head_at};
use crate::reading::OpenedReport;
use crate::{Caller, Result, ServiceError, Services};
use chrono::{Days, TimeDelta};
use std::collections::{BTreeMap, HashMap};
use tanggap_domain::compliance::{AgencyFigures, ObligationOutcome, Period};
use tanggap_domain::policy::Permission;
use tanggap_domain::{
    AgencyTree, AssignmentRole, Channel, ClockKind, ReportStatus, Stage, Timestamp, WorkingCalendar,
};
use tanggap_store::{
    AssignmentBrief, DigestItem, InboxMessage, Notification, OpenClock, QueueItem, ReportFilter,
    ReportOrder, ReportRecord,
};

/// A line of the desk's worklist, with its nearest running deadline: the desk's triage, or
/// for a report already dispatched (or reopened) an agency's first response.
#[derive(Debug, Clone)]
pub struct DeskRow {
    pub report: ReportRecord,
    /// Which clock the deadline belongs to.
    pub clock: Option<ClockKind>,
    pub started: Option<Timestamp>,
    pub due: Option<Timestamp>,
}

/// One page of an agency's open assignments, most urgent first, with the whole queue's counts.
#[derive(Debug, Clone)]
pub struct QueueView {
    pub agency_name: String,
    pub items: Vec<QueueItem>,
    /// Open assignments in the whole queue.
    pub total: u64,
    /// Of those, past their running deadline.
    pub overdue: u64,
    /// This page (from 1) and the number of pages.
    pub page: u32,
    pub pages: u32,
}

/// Assignments per page of an agency's queue.
pub const QUEUE_PAGE: u32 = 50;

/// What helps the desk triage one report: where it likely belongs and which open reports
/// likely describe the same incident (see [`crate::assist`]).
#[derive(Debug, Clone, Default)]
pub struct TriageHelp {
    pub suggestions: Vec<crate::assist::RouteSuggestion>,
    pub duplicates: Vec<crate::assist::LikelyDuplicate>,
}

impl Services {
    /// The desk's worklist: reports in these statuses (all when empty), the nearest deadline
    /// first (overdue ones at the top), then those without a running deadline, oldest first.
    /// The [`DESK_PAGE`] oldest matching reports are read; the total counts every match, or
    /// with words to search up to [`DESK_SEARCH_COUNTED`] ("more than …" beyond).
    pub async fn desk_rows(
        &self,
        caller: &Caller,
        statuses: Vec<ReportStatus>,
        channel: Option<Channel>,
        text: Option<String>,
    ) -> Result<(Vec<DeskRow>, DeskTotal)> {
        caller.require(Permission::UseDesk)?;
        let text = text.as_deref().and_then(crate::text::search);
        let filter = ReportFilter {
            statuses,
            channel,
            count_up_to: text.is_some().then_some(DESK_SEARCH_COUNTED),
            text,
            order: ReportOrder::OldestFirst,
            limit: DESK_PAGE,
            ..Default::default()
        };
        let page = self.store.list_reports(&filter).await?;
        let ids: Vec<i64> = page.items.iter().map(|r| r.id).collect();
        let mut clocks: HashMap<i64, Vec<OpenClock>> = HashMap::new();
        for c in self.store.open_clocks(&ids).await? {
            clocks.entry(c.report_id).or_default().push(c);
        }
        let mut rows = Vec::new();
        for mut r in page.items {
            let next = clocks.get(&r.id).and_then(|c| nearest_deadline(c)).cloned();
            r.reporter = None;
            rows.push(DeskRow {
                report: r,
                clock: next.as_ref().map(|c| c.kind),
                started: next.as_ref().map(|c| c.started_at),
                due: next.and_then(|c| c.due_at),
            });
        }
        rows.sort_by_key(|row| (row.due.is_none(), row.due, row.report.created_at));
        Ok((rows, DeskTotal::of(page.total, filter.count_up_to)))
    }

    /// The latest messages from reporters on any channel (the desk).
    pub async fn desk_inbox(&self, caller: &Caller, limit: u32) -> Result<Vec<InboxMessage>> {
        caller.require(Permission::UseDesk)?;
        Ok(self.store.inbound_messages(limit).await?)
    }

    /// Dispatch suggestions and likely duplicates, for the desk working on one report.
    pub async fn triage_help(&self, caller: &Caller, opened: &OpenedReport) -> Result<TriageHelp> {
        let r = &opened.report;
        // A finished report is not triaged again (the page shows no help for it): at a
        // million reports most staff pages are of such reports.
        if !caller.may(Permission::DispatchReport) || r.status.is_terminal() {
            return Ok(TriageHelp::default());
        }
        Ok(TriageHelp {
            suggestions: self.route_suggestions(r, &opened.agencies).await?.0,
            duplicates: if caller.may(Permission::MarkDuplicate) {
                self.likely_duplicates(r).await?
            } else {
                Vec::new()
            },
        })
    }

    /// The caller's agency's open assignments (it and its sub-units), most urgent first: page
    /// `page` (from 1; past the last page, the last) of [`QUEUE_PAGE`].
    pub async fn agency_queue(&self, caller: &Caller, page: u32) -> Result<QueueView> {
        caller.require(Permission::ViewAgencyQueue)?;
        let mine = caller
            .user()
            .and_then(|u| u.agency_id.clone())
            .unwrap_or_default();
        let agencies = self.known_agencies().await?;
        let tree = tanggap_domain::AgencyTree::from_agencies(&agencies);
        let scope = tree.subtree(&mine);
        let now = self.now();
        let wanted = page.max(1);
        let mut slice = self
            .store
            .open_assignments(Some(&scope), now, (wanted - 1) * QUEUE_PAGE, QUEUE_PAGE)
            .await?;
        let pages = u32::try_from(slice.total.div_ceil(u64::from(QUEUE_PAGE)))
            .unwrap_or(u32::MAX)
            .max(1);
        let page = wanted.min(pages);
        if page != wanted {
            slice = self
                .store
                .open_assignments(Some(&scope), now, (page - 1) * QUEUE_PAGE, QUEUE_PAGE)
                .await?;
        }
        Ok(QueueView {
            agency_name: agencies
                .iter()
                .find(|a| a.id == mine)
                .map(|a| a.name.clone())
                .unwrap_or_default(),
            items: slice.items,
            total: slice.total,
            overdue: slice.overdue,
            page,
            pages,
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
            Some(u) => Ok(
                usize::try_from(self.store.unread_notifications(u.id, 100).await?)
                    .unwrap_or(usize::MAX),
            ),
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

/// The running clock of a report that falls due first: the desk's triage, or an agency's first
/// response not yet given (paused clocks, while the reporter is asked, have no deadline).
fn nearest_deadline(clocks: &[OpenClock]) -> Option<&tanggap_domain::Clock> {
    clocks
        .iter()
        .filter(|o| match o.assignment {
            None => o.clock.kind == ClockKind::Triage,
            Some((stage, responded)) => {
                stage.is_active() && !responded && o.clock.kind == ClockKind::FirstResponse
            }
        })
        .map(|o| &o.clock)
        .filter(|c| c.is_running() && c.due_at.is_some())
        .min_by_key(|c| c.due_at)
}

/// One agency's lines of the morning digest at an instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DueToday {
    /// Running clocks past their deadline, most late first.
    pub overdue: Vec<DigestItem>,
    /// Running clocks due later today (before midnight in the policy's time zone).
    pub today: Vec<DigestItem>,
}

/// The end of `now`'s day in the calendar's time zone: how far the digest looks.
pub fn end_of_today(now: Timestamp, cal: &WorkingCalendar) -> Timestamp {
    cal.start_of_day(now.with_timezone(&cal.tz()).date_naive() + Days::new(1))
}

/// The morning digest's lists by agency, from running clocks (`Store::digest_items`): overdue
/// at `now`, and due before the end of the day. The digest and the head's dashboard both take
/// their lists from here, so they cannot disagree. Items due later are left out.
pub fn due_today(
    items: &[DigestItem],
    now: Timestamp,
    cal: &WorkingCalendar,
) -> BTreeMap<String, DueToday> {
    let end = end_of_today(now, cal);
    let mut by_agency: BTreeMap<String, DueToday> = BTreeMap::new();
    for i in items.iter().filter(|i| i.due_at < end) {
        let lists = by_agency.entry(i.agency_id.clone()).or_default();
        if i.due_at <= now {
            lists.overdue.push(i.clone());
        } else {
            lists.today.push(i.clone());
        }
    }
    for lists in by_agency.values_mut() {
        lists.overdue.sort_by_key(|i| (i.due_at, i.assignment_id));
        lists.today.sort_by_key(|i| (i.due_at, i.assignment_id));
    }
    by_agency
}

/// How many reports the desk's queue shows at once (the most urgent of the oldest).
pub const DESK_PAGE: u32 = 50;

/// A desk search counts its matches up to this many: a common word is in thousands of the
/// open reports, and counting them all cost more than finding the page (at a million reports,
/// most of a search's time on both engines).
pub const DESK_SEARCH_COUNTED: u64 = 500;

/// How many reports match the desk's filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeskTotal {
    Exactly(u64),
    /// More than this many (a search stops counting there).
    MoreThan(u64),
}

impl DeskTotal {
    /// A listing's total, counted up to `counted_up_to` if that is set (see
    /// `ReportFilter::count_up_to`: a total above it means "more").
    pub fn of(total: u64, counted_up_to: Option<u64>) -> Self {
        match counted_up_to {
            Some(cap) if total > cap => DeskTotal::MoreThan(cap),
            _ => DeskTotal::Exactly(total),
        }
    }
}

/// "Due within six hours" on the head's dashboard.
pub const DUE_SOON: TimeDelta = TimeDelta::hours(6);

/// A running clock with what a dashboard line names: the report's title, the agency (or
/// sub-unit) handling it, its role and stage. Assignments go to agencies, not to officers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineLine {
    pub tracking_id: String,
    pub title: String,
    pub agency_id: String,
    pub agency_name: String,
    pub role: AssignmentRole,
    pub stage: Stage,
    /// `FirstResponse` or `Completion`.
    pub kind: ClockKind,
    pub due_at: Timestamp,
}

/// What the head of an agency looks at first: who is late and by how much, what falls due
/// soon, and the morning digest's "due today".
#[derive(Debug, Clone)]
pub struct AgencyDeadlines {
    pub agency_name: String,
    pub at: Timestamp,
    /// Past the deadline now, most late first (the digest's "Terlambat").
    pub late: Vec<DeadlineLine>,
    /// Due within [`DUE_SOON`].
    pub soon: Vec<DeadlineLine>,
    /// Due later today (the digest's "Jatuh tempo hari ini").
    pub today: Vec<DeadlineLine>,
}

/// A response obligation of one agency as leadership opens it from the agency's row.
#[derive(Debug, Clone)]
pub struct ObligationLine {
    pub tracking_id: String,
    pub title: String,
    pub role: AssignmentRole,
    pub report_status: ReportStatus,
    pub cycle: u32,
    pub started_at: Timestamp,
    pub due_at: Timestamp,
    pub responded_at: Option<Timestamp>,
    pub cancelled_at: Option<Timestamp>,
    pub outcome: ObligationOutcome,
    pub lalai: bool,
    /// The head in office at the deadline.
    pub head: Option<Head>,
}

/// One agency's row of the period's figures and the obligations behind it.
#[derive(Debug, Clone)]
pub struct AgencyObligations {
    pub period: Period,
    pub at: Timestamp,
    pub line: AgencyLine,
    /// Oldest first.
    pub items: Vec<ObligationLine>,
}

/// A lalai item of the leadership dashboard with its report's title and the agency's role.
#[derive(Debug, Clone)]
pub struct LalaiLine {
    pub item: crate::compliance::LalaiItem,
    pub title: String,
    pub role: Option<AssignmentRole>,
}

impl Services {
    /// The caller's agency's (and sub-units') late and soon-due assignments, and the digest's
    /// lists, at now.
    pub async fn agency_deadlines(&self, caller: &Caller) -> Result<AgencyDeadlines> {
        caller.require(Permission::ViewAgencyDashboard)?;
        let mine = caller
            .user()
            .and_then(|u| u.agency_id.clone())
            .unwrap_or_default();
        let now = self.now();
        let (_, cal) = self.policy_and_calendar().await?;
        let agencies = self.known_agencies().await?;
        let within = AgencyTree::from_agencies(&agencies).subtree(&mine);
        let until = end_of_today(now, &cal).max(now + DUE_SOON);
        let items: Vec<DigestItem> = self
            .store
            .digest_items(until)
            .await?
            .into_iter()
            .filter(|i| within.contains(&i.agency_id))
            .collect();
        let ids: Vec<i64> = items.iter().map(|i| i.assignment_id).collect();
        let briefs: HashMap<i64, AssignmentBrief> = self
            .store
            .assignment_briefs(&ids)
            .await?
            .into_iter()
            .map(|b| (b.assignment_id, b))
            .collect();
        let names: HashMap<&str, &str> = agencies
            .iter()
            .map(|a| (a.id.as_str(), a.name.as_str()))
            .collect();
        let line = |i: &DigestItem| {
            let b = briefs.get(&i.assignment_id);
            DeadlineLine {
                tracking_id: i.tracking_id.to_string(),
                title: b.map(|b| b.title.clone()).unwrap_or_default(),
                agency_id: i.agency_id.clone(),
                agency_name: names
                    .get(i.agency_id.as_str())
                    .map_or_else(|| i.agency_id.clone(), |n| n.to_string()),
                role: b.map_or(AssignmentRole::Utama, |b| b.role),
                stage: b.map_or(Stage::MenungguRespon, |b| b.stage),
                kind: i.kind,
                due_at: i.due_at,
            }
        };
        let mut late = Vec::new();
        let mut today = Vec::new();
        for lists in due_today(&items, now, &cal).values() {
            late.extend(lists.overdue.iter().map(line));
            today.extend(lists.today.iter().map(line));
        }
        late.sort_by_key(|l| l.due_at);
        today.sort_by_key(|l| l.due_at);
        let soon = items
            .iter()
            .filter(|i| i.due_at > now && i.due_at <= now + DUE_SOON)
            .map(line)
            .collect();
        Ok(AgencyDeadlines {
            agency_name: names.get(mine.as_str()).copied().unwrap_or("").to_string(),
            at: now,
            late,
            soon,
            today,
        })
    }

    /// One agency's response obligations started in `period` (its own, not its sub-units'),
    /// each with how it counts now, beside the agency's row of the figures.
    pub async fn agency_obligations(
        &self,
        caller: &Caller,
        period: Period,
        agency_id: &str,
    ) -> Result<AgencyObligations> {
        let c: Compliance = self
            .compliance(caller, period, Scope::Agency(agency_id.to_string()))
            .await?;
        let now = c.at;
        let heads = self.store.agency_heads().await?;
        let line = match c.agencies.into_iter().find(|a| a.agency_id == agency_id) {
            Some(l) => l,
            None => AgencyLine {
                agency_id: agency_id.to_string(),
                name: self
                    .store
                    .agencies()
                    .await?
                    .into_iter()
                    .find(|a| a.id == agency_id)
                    .map(|a| a.name)
                    .unwrap_or_else(|| agency_id.to_string()),
                head: head_at(&heads, agency_id, now),
                figures: AgencyFigures::default(),
            },
        };
        let (_, cal) = self.policy_and_calendar().await?;
        let (from, to) = period.instants(&cal);
        let obligations = self
            .store
            .obligations(from, to, Some(&[agency_id.to_string()]))
            .await?;
        let ids: Vec<i64> = obligations.iter().map(|o| o.assignment_id).collect();
        let briefs = self.briefs(&ids).await?;
        let items = obligations
            .iter()
            .map(|o| {
                let f = o.fact();
                let b = briefs.get(&o.assignment_id);
                ObligationLine {
                    tracking_id: o.tracking_id.to_string(),
                    title: b.map(|b| b.title.clone()).unwrap_or_default(),
                    role: b.map_or(AssignmentRole::Utama, |b| b.role),
                    report_status: b.map_or(ReportStatus::Didisposisikan, |b| b.report_status),
                    cycle: o.cycle,
                    started_at: o.started_at,
                    due_at: o.due_at,
                    responded_at: o.responded_at,
                    cancelled_at: o.cancelled_at,
                    outcome: f.outcome(now),
                    lalai: f.is_lalai(now),
                    head: head_at(&heads, agency_id, o.due_at),
                }
            })
            .collect();
        Ok(AgencyObligations {
            period,
            at: now,
            line,
            items,
        })
    }

    /// The period's lalai items with their reports' titles and the agency's role (lead or
    /// supporting), in the figures' order.
    pub async fn lalai_lines(&self, caller: &Caller, c: &Compliance) -> Result<Vec<LalaiLine>> {
        if !caller.may(Permission::ViewCompliance) {
            caller.require(Permission::ViewAgencyDashboard)?;
        }
        let ids: Vec<i64> = c.lalai.iter().map(|l| l.assignment_id).collect();
        let briefs = self.briefs(&ids).await?;
        Ok(c.lalai
            .iter()
            .map(|l| {
                let b = briefs.get(&l.assignment_id);
                LalaiLine {
                    item: l.clone(),
                    title: b.map(|b| b.title.clone()).unwrap_or_default(),
                    role: b.map(|b| b.role),
                }
            })
            .collect())
    }

    async fn briefs(&self, ids: &[i64]) -> Result<HashMap<i64, AssignmentBrief>> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        Ok(self
            .store
            .assignment_briefs(&ids)
            .await?
            .into_iter()
            .map(|b| (b.assignment_id, b))
            .collect())
    }

    /// The caller's notifications on every channel (e-mail, WhatsApp... besides the in-app
    /// one), newest first, to show how each in-app notice also travelled. Addresses withheld.
    pub async fn my_deliveries(&self, caller: &Caller, limit: u32) -> Result<Vec<Notification>> {
        caller.require(Permission::ReadOwnNotifications)?;
        let user = caller.user().ok_or_else(ServiceError::unauthenticated)?;
        let mut items = self.store.notifications_to_user(user.id, limit).await?;
        for n in &mut items {
            n.address = None;
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use tanggap_domain::Clock;
    use tanggap_domain::clock::Measure;

    fn open(
        assignment: Option<(Stage, bool)>,
        kind: ClockKind,
        due_h: i64,
        running: bool,
    ) -> OpenClock {
        let t0 = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap();
        OpenClock {
            report_id: 1,
            assignment_id: if assignment.is_some() { 7 } else { 0 },
            assignment,
            clock: Clock {
                kind,
                measure: Measure::Wall,
                budget: TimeDelta::hours(due_h),
                started_at: t0,
                consumed: TimeDelta::zero(),
                running_since: running.then_some(t0),
                due_at: running.then(|| t0 + TimeDelta::hours(due_h)),
                stopped_at: None,
                fired: 0,
                next_fire_at: None,
            },
        }
    }

    #[test]
    fn a_search_counted_up_to_a_bound_says_more_beyond_it() {
        assert_eq!(DeskTotal::of(15_032, None), DeskTotal::Exactly(15_032));
        assert_eq!(DeskTotal::of(0, Some(1_000)), DeskTotal::Exactly(0));
        assert_eq!(DeskTotal::of(1_000, Some(1_000)), DeskTotal::Exactly(1_000));
        assert_eq!(
            DeskTotal::of(1_001, Some(1_000)),
            DeskTotal::MoreThan(1_000)
        );
    }

    #[test]
    fn the_nearest_deadline_is_the_triage_or_a_first_response_still_owed() {
        let due = |clocks: &[OpenClock]| nearest_deadline(clocks).map(|c| (c.kind, c.budget));
        let triage = open(None, ClockKind::Triage, 8, true);
        let owed = open(
            Some((Stage::MenungguRespon, false)),
            ClockKind::FirstResponse,
            24,
            true,
        );
        assert_eq!(
            due(&[owed.clone(), triage.clone()]),
            Some((ClockKind::Triage, TimeDelta::hours(8)))
        );
        // A completion clock, an answered first response, a returned assignment's clock and a
        // paused one are not the desk's deadline.
        let others = [
            open(
                Some((Stage::Pengerjaan, true)),
                ClockKind::Completion,
                2,
                true,
            ),
            open(
                Some((Stage::Pengerjaan, true)),
                ClockKind::FirstResponse,
                3,
                true,
            ),
            open(
                Some((Stage::BukanWewenang, false)),
                ClockKind::FirstResponse,
                4,
                true,
            ),
            open(
                Some((Stage::MenungguRespon, false)),
                ClockKind::FirstResponse,
                5,
                false,
            ),
            open(None, ClockKind::AutoClose, 1, true),
        ];
        assert_eq!(due(&others), None);
        let all = [others.to_vec(), vec![owed]].concat();
        assert_eq!(
            due(&all),
            Some((ClockKind::FirstResponse, TimeDelta::hours(24)))
        );
    }
}
