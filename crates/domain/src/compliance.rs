//! The accountability figures of SPEC section 6, computed from facts: one computation for the
//! API, the dashboards and the reports.
//!
//! The counted unit is a **response obligation**: one agency, one cycle (a dispatch, a forward to a
//! sub-unit, or a reopen), with its start, its deadline, and then a response, a cancellation, or
//! nothing. An obligation belongs to the period (whole dates in the policy's time zone) in which
//! it started. Completion is judged on the working time the completion clock used (paused time
//! excluded), not on a due instant.

use crate::calendar::{Timestamp, WorkingCalendar};
use crate::metrics::{median, percentile};
use crate::model::Outcome;
use chrono::{Datelike, Months, NaiveDate, TimeDelta};
use serde::Serialize;
use std::collections::BTreeMap;

/// A range of whole dates in the policy's time zone, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("`{0}` is not a date (YYYY-MM-DD) or a quarter (YYYY-Qn)")]
    Unreadable(String),
    #[error("the period ends before it starts")]
    Reversed,
    #[error("a period may span at most {0} days")]
    TooLong(i64),
}

/// The longest period a computation accepts (a little over a year).
pub const MAX_PERIOD_DAYS: i64 = 400;

impl Period {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Period, PeriodError> {
        if to < from {
            return Err(PeriodError::Reversed);
        }
        if (to - from).num_days() >= MAX_PERIOD_DAYS {
            return Err(PeriodError::TooLong(MAX_PERIOD_DAYS));
        }
        Ok(Period { from, to })
    }

    /// A calendar quarter: `2026-Q3` is 1 July to 30 September.
    pub fn quarter(s: &str) -> Result<Period, PeriodError> {
        let bad = || PeriodError::Unreadable(s.to_string());
        let (year, q) = s.trim().split_once("-Q").ok_or_else(bad)?;
        let year: i32 = year.parse().map_err(|_| bad())?;
        let q: u32 = q.parse().map_err(|_| bad())?;
        if !(1..=4).contains(&q) {
            return Err(bad());
        }
        let from = NaiveDate::from_ymd_opt(year, (q - 1) * 3 + 1, 1).ok_or_else(bad)?;
        let to = from
            .checked_add_months(Months::new(3))
            .and_then(|d| d.pred_opt())
            .ok_or_else(bad)?;
        Ok(Period { from, to })
    }

    /// The quarter a date falls in.
    pub fn quarter_of(d: NaiveDate) -> Period {
        let q = (d.month0() / 3) + 1;
        Period::quarter(&format!("{}-Q{q}", d.year())).unwrap_or(Period { from: d, to: d })
    }

    /// The quarter before this period's quarter.
    pub fn previous_quarter(&self) -> Period {
        let start = Period::quarter_of(self.from).from;
        Period::quarter_of(start.pred_opt().unwrap_or(start))
    }

    /// `2026-Q3` when the period is exactly a quarter.
    pub fn quarter_name(&self) -> Option<String> {
        let q = Period::quarter_of(self.from);
        (q == *self).then(|| format!("{}-Q{}", self.from.year(), self.from.month0() / 3 + 1))
    }

    /// `[start, end)` instants: 00:00 on the first day to 24:00 on the last, in the calendar's
    /// time zone.
    pub fn instants(&self, cal: &WorkingCalendar) -> (Timestamp, Timestamp) {
        let end = self.to.succ_opt().unwrap_or(self.to);
        (cal.start_of_day(self.from), cal.start_of_day(end))
    }

    pub fn contains(&self, t: Timestamp, cal: &WorkingCalendar) -> bool {
        let d = cal.local_date(t);
        self.from <= d && d <= self.to
    }
}

/// One response obligation, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObligationFact {
    pub agency_id: String,
    pub tracking_id: String,
    pub started_at: Timestamp,
    pub due_at: Timestamp,
    pub responded_at: Option<Timestamp>,
    pub cancelled_at: Option<Timestamp>,
}

/// How an obligation counts at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObligationOutcome {
    OnTime,
    Late,
    /// No response and the deadline has passed: counts against the agency now.
    UnrespondedOverdue,
    /// No response yet, deadline still ahead: excluded from rates.
    NotYetDue,
    /// The report ended before the deadline: excluded from rates, listed.
    Cancelled,
}

impl ObligationFact {
    pub fn outcome(&self, now: Timestamp) -> ObligationOutcome {
        match (self.responded_at, self.cancelled_at) {
            (Some(r), _) if r <= self.due_at => ObligationOutcome::OnTime,
            (Some(_), _) => ObligationOutcome::Late,
            // Cancelled only when the report ended before the deadline; after it, the evidence
            // of the missed deadline stays.
            (None, Some(c)) if c <= self.due_at => ObligationOutcome::Cancelled,
            (None, _) if now > self.due_at => ObligationOutcome::UnrespondedOverdue,
            (None, _) => ObligationOutcome::NotYetDue,
        }
    }

    pub fn is_lalai(&self, now: Timestamp) -> bool {
        matches!(
            self.outcome(now),
            ObligationOutcome::Late | ObligationOutcome::UnrespondedOverdue
        )
    }
}

/// One assignment's completion, for "completion within target".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompletionFact {
    pub agency_id: String,
    /// Working (or wall) time the completion clock used, paused time excluded.
    pub used: TimeDelta,
    pub budget: TimeDelta,
    pub finished: bool,
}

impl CompletionFact {
    /// A completion clock still running, judged at `now` on the working calendar.
    pub fn running(
        agency_id: &str,
        clock: &crate::Clock,
        now: Timestamp,
        cal: &WorkingCalendar,
    ) -> CompletionFact {
        CompletionFact {
            agency_id: agency_id.to_string(),
            used: clock.elapsed(now, cal),
            budget: clock.budget,
            finished: false,
        }
    }
}

/// A report's outcome as the reporter rated it, for each agency that worked on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportOutcomeFact {
    pub agency_id: String,
    /// The agency's work was reopened by the reporter.
    pub reopened: bool,
    /// The agency finished (tuntas) at least once.
    pub finished: bool,
    pub rating: Option<(u8, Outcome)>,
}

/// The figures of one agency.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AgencyFigures {
    /// Obligations started in the period (cancelled ones included).
    pub received: u64,
    pub on_time: u64,
    pub late: u64,
    pub unresponded_overdue: u64,
    pub not_yet_due: u64,
    pub cancelled: u64,
    pub median_response: Option<TimeDelta>,
    pub p90_response: Option<TimeDelta>,
    pub completion_on_target: u64,
    pub completion_late: u64,
    pub completion_open_overdue: u64,
    /// Assignments the reporter reopened after the agency finished.
    pub reopened: u64,
    /// Assignments the agency finished.
    pub finished: u64,
    pub ratings: u64,
    pub rating_sum: u64,
    pub fixed: u64,
    pub partly: u64,
    pub not_fixed: u64,
    /// The tracking IDs of the obligations counted as lalai, as evidence.
    pub lalai_tracking_ids: Vec<String>,
}

impl AgencyFigures {
    pub fn lalai(&self) -> u64 {
        self.late + self.unresponded_overdue
    }

    /// on time / (on time + late + unresponded overdue); `None` when nothing is due yet.
    pub fn compliance(&self) -> Option<f64> {
        let d = self.on_time + self.lalai();
        (d > 0).then(|| self.on_time as f64 / d as f64)
    }

    /// finished within / (finished within + finished late + open past target).
    pub fn completion_rate(&self) -> Option<f64> {
        let d = self.completion_on_target + self.completion_late + self.completion_open_overdue;
        (d > 0).then(|| self.completion_on_target as f64 / d as f64)
    }

    pub fn reopened_rate(&self) -> Option<f64> {
        (self.finished > 0).then(|| self.reopened as f64 / self.finished as f64)
    }

    pub fn satisfaction(&self) -> Option<f64> {
        (self.ratings > 0).then(|| self.rating_sum as f64 / self.ratings as f64)
    }

    fn add(&mut self, other: &AgencyFigures) {
        self.received += other.received;
        self.on_time += other.on_time;
        self.late += other.late;
        self.unresponded_overdue += other.unresponded_overdue;
        self.not_yet_due += other.not_yet_due;
        self.cancelled += other.cancelled;
        self.completion_on_target += other.completion_on_target;
        self.completion_late += other.completion_late;
        self.completion_open_overdue += other.completion_open_overdue;
        self.reopened += other.reopened;
        self.finished += other.finished;
        self.ratings += other.ratings;
        self.rating_sum += other.rating_sum;
        self.fixed += other.fixed;
        self.partly += other.partly;
        self.not_fixed += other.not_fixed;
        self.lalai_tracking_ids
            .extend(other.lalai_tracking_ids.iter().cloned());
    }
}

/// The figures of every agency with anything in the period, at `now`. The facts are those of the
/// period (obligations started in it; completions and outcomes of the assignments dispatched in
/// it).
pub fn compute(
    obligations: &[ObligationFact],
    completions: &[CompletionFact],
    outcomes: &[ReportOutcomeFact],
    now: Timestamp,
) -> BTreeMap<String, AgencyFigures> {
    let mut by: BTreeMap<String, AgencyFigures> = BTreeMap::new();
    let mut times: BTreeMap<String, Vec<TimeDelta>> = BTreeMap::new();
    for o in obligations {
        let f = by.entry(o.agency_id.clone()).or_default();
        f.received += 1;
        match o.outcome(now) {
            ObligationOutcome::OnTime => f.on_time += 1,
            ObligationOutcome::Late => f.late += 1,
            ObligationOutcome::UnrespondedOverdue => f.unresponded_overdue += 1,
            ObligationOutcome::NotYetDue => f.not_yet_due += 1,
            ObligationOutcome::Cancelled => f.cancelled += 1,
        }
        if o.is_lalai(now) {
            f.lalai_tracking_ids.push(o.tracking_id.clone());
        }
        if let Some(r) = o.responded_at {
            times
                .entry(o.agency_id.clone())
                .or_default()
                .push(r - o.started_at);
        }
    }
    for c in completions {
        let f = by.entry(c.agency_id.clone()).or_default();
        match (c.finished, c.used <= c.budget) {
            (true, true) => f.completion_on_target += 1,
            (true, false) => f.completion_late += 1,
            (false, false) => f.completion_open_overdue += 1,
            (false, true) => {}
        }
    }
    for o in outcomes {
        let f = by.entry(o.agency_id.clone()).or_default();
        f.finished += u64::from(o.finished);
        f.reopened += u64::from(o.reopened);
        if let Some((score, outcome)) = o.rating {
            f.ratings += 1;
            f.rating_sum += u64::from(score);
            match outcome {
                Outcome::Fixed => f.fixed += 1,
                Outcome::Partly => f.partly += 1,
                Outcome::NotFixed => f.not_fixed += 1,
            }
        }
    }
    for (agency, mut t) in times {
        if let Some(f) = by.get_mut(&agency) {
            f.median_response = median(&mut t);
            f.p90_response = percentile(&mut t, 90);
        }
    }
    for f in by.values_mut() {
        first_of_each(&mut f.lalai_tracking_ids);
    }
    by
}

/// Keeps the first of each tracking ID (a report with several lalai obligations is listed once),
/// in order.
fn first_of_each(ids: &mut Vec<String>) {
    let keep: Vec<bool> = {
        let mut seen = std::collections::HashSet::with_capacity(ids.len());
        ids.iter().map(|id| seen.insert(id.as_str())).collect()
    };
    let mut keep = keep.into_iter();
    ids.retain(|_| keep.next().unwrap_or(true));
}

/// The figures of all agencies together (response times over every obligation).
pub fn total(
    obligations: &[ObligationFact],
    figures: &BTreeMap<String, AgencyFigures>,
) -> AgencyFigures {
    let mut sum = AgencyFigures::default();
    for f in figures.values() {
        sum.add(f);
    }
    let mut t: Vec<TimeDelta> = obligations
        .iter()
        .filter_map(|o| o.responded_at.map(|r| r - o.started_at))
        .collect();
    sum.median_response = median(&mut t);
    sum.p90_response = percentile(&mut t, 90);
    sum
}

/// One agency's obligations of a period (or all agencies' together) as counted by a database at
/// an instant: the same classification as [`ObligationFact::outcome`], the median and 90th
/// percentile as [`median`] and [`percentile`] define them, truncated to whole microseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObligationCounts {
    /// Empty for the total.
    pub agency_id: String,
    pub received: u64,
    pub on_time: u64,
    pub late: u64,
    pub unresponded_overdue: u64,
    pub not_yet_due: u64,
    pub cancelled: u64,
    pub median_response: Option<TimeDelta>,
    pub p90_response: Option<TimeDelta>,
}

/// One agency's assignments of a period as counted by a database: outcomes, ratings, and the
/// completion of every clock that is not running (a running clock's used time depends on the
/// working calendar: those come as [`CompletionFact`]s judged here).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssignmentCounts {
    pub agency_id: String,
    pub completion_on_target: u64,
    pub completion_late: u64,
    pub completion_open_overdue: u64,
    pub reopened: u64,
    pub finished: u64,
    pub ratings: u64,
    pub rating_sum: u64,
    pub fixed: u64,
    pub partly: u64,
    pub not_fixed: u64,
}

/// The figures from what a database counted: the same result as [`compute`] on every fact.
/// `lalai` are the period's lalai obligations as (agency, tracking ID), in the order
/// [`compute`] sees them (by start).
pub fn from_counts<'a>(
    obligations: &[ObligationCounts],
    assignments: &[AssignmentCounts],
    running: &[CompletionFact],
    lalai: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> BTreeMap<String, AgencyFigures> {
    let mut by: BTreeMap<String, AgencyFigures> = BTreeMap::new();
    for o in obligations {
        let f = by.entry(o.agency_id.clone()).or_default();
        f.received += o.received;
        f.on_time += o.on_time;
        f.late += o.late;
        f.unresponded_overdue += o.unresponded_overdue;
        f.not_yet_due += o.not_yet_due;
        f.cancelled += o.cancelled;
        f.median_response = o.median_response;
        f.p90_response = o.p90_response;
    }
    // The first of each tracking ID per agency (as `compute`), without a copy per row.
    let lalai = lalai.into_iter();
    let mut seen: std::collections::HashSet<(&str, &str)> =
        std::collections::HashSet::with_capacity(lalai.size_hint().0);
    for (agency, tracking_id) in lalai {
        if !seen.insert((agency, tracking_id)) {
            continue;
        }
        let f = match by.get_mut(agency) {
            Some(f) => f,
            None => by.entry(agency.to_string()).or_default(),
        };
        f.lalai_tracking_ids.push(tracking_id.to_string());
    }
    for a in assignments {
        let f = by.entry(a.agency_id.clone()).or_default();
        f.completion_on_target += a.completion_on_target;
        f.completion_late += a.completion_late;
        f.completion_open_overdue += a.completion_open_overdue;
        f.reopened += a.reopened;
        f.finished += a.finished;
        f.ratings += a.ratings;
        f.rating_sum += a.rating_sum;
        f.fixed += a.fixed;
        f.partly += a.partly;
        f.not_fixed += a.not_fixed;
    }
    let judged = compute(&[], running, &[], Timestamp::MIN_UTC);
    for (agency, j) in judged {
        let f = by.entry(agency).or_default();
        f.completion_on_target += j.completion_on_target;
        f.completion_late += j.completion_late;
        f.completion_open_overdue += j.completion_open_overdue;
    }
    by
}

/// The total from what a database counted (its response times over every obligation).
pub fn total_from_counts(
    total: &ObligationCounts,
    figures: &BTreeMap<String, AgencyFigures>,
) -> AgencyFigures {
    let mut sum = AgencyFigures::default();
    for f in figures.values() {
        sum.add(f);
    }
    sum.median_response = total.median_response;
    sum.p90_response = total.p90_response;
    sum
}

/// What [`from_counts`] must equal: [`compute`] with response times truncated to whole
/// microseconds, as a database keeps them.
pub fn truncated_to_micros(mut f: AgencyFigures) -> AgencyFigures {
    let t = |d: Option<TimeDelta>| {
        d.and_then(|d| d.num_microseconds())
            .map(TimeDelta::microseconds)
    };
    f.median_response = t(f.median_response);
    f.p90_response = t(f.p90_response);
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::test_support::wib;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn quarters() {
        let q = Period::quarter("2026-Q3").unwrap();
        assert_eq!((q.from, q.to), (d("2026-07-01"), d("2026-09-30")));
        assert_eq!(q.quarter_name().as_deref(), Some("2026-Q3"));
        assert_eq!(
            Period::quarter("2026-Q1").unwrap().previous_quarter(),
            Period::quarter("2025-Q4").unwrap()
        );
        assert_eq!(
            Period::quarter_of(d("2026-12-31")),
            Period::quarter("2026-Q4").unwrap()
        );
        assert!(Period::quarter("2026-Q5").is_err());
        assert!(Period::quarter("2026Q1").is_err());
        assert_eq!(
            Period::new(d("2026-02-01"), d("2026-01-01")),
            Err(PeriodError::Reversed)
        );
        let cal = WorkingCalendar::jakarta();
        let (a, b) = q.instants(&cal);
        assert_eq!(a, wib("2026-07-01 00:00"));
        assert_eq!(b, wib("2026-10-01 00:00"));
        assert!(q.contains(wib("2026-09-30 23:59"), &cal));
        assert!(!q.contains(wib("2026-10-01 00:00"), &cal));
    }

    fn ob(
        agency: &str,
        tid: &str,
        start: &str,
        due: &str,
        resp: Option<&str>,
        cancel: Option<&str>,
    ) -> ObligationFact {
        ObligationFact {
            agency_id: agency.into(),
            tracking_id: tid.into(),
            started_at: wib(start),
            due_at: wib(due),
            responded_at: resp.map(wib),
            cancelled_at: cancel.map(wib),
        }
    }

    #[test]
    fn obligations_count_as_spec_section_6_says() {
        let now = wib("2026-10-10 12:00");
        let obligations = vec![
            ob(
                "dpu",
                "LG-1",
                "2026-10-01 08:00",
                "2026-10-02 08:00",
                Some("2026-10-01 20:00"),
                None,
            ),
            ob(
                "dpu",
                "LG-2",
                "2026-10-01 08:00",
                "2026-10-02 08:00",
                Some("2026-10-03 08:00"),
                None,
            ),
            ob(
                "dpu",
                "LG-3",
                "2026-10-01 08:00",
                "2026-10-02 08:00",
                None,
                None,
            ),
            ob(
                "dpu",
                "LG-4",
                "2026-10-10 08:00",
                "2026-10-11 08:00",
                None,
                None,
            ),
            // Ended before its deadline: cancelled; after it: stays unresponded overdue.
            ob(
                "dpu",
                "LG-5",
                "2026-10-05 08:00",
                "2026-10-06 08:00",
                None,
                Some("2026-10-05 09:00"),
            ),
            ob(
                "dpu",
                "LG-6",
                "2026-10-05 08:00",
                "2026-10-06 08:00",
                None,
                Some("2026-10-07 09:00"),
            ),
        ];
        let f = &compute(&obligations, &[], &[], now)["dpu"];
        assert_eq!(
            (
                f.received,
                f.on_time,
                f.late,
                f.unresponded_overdue,
                f.not_yet_due,
                f.cancelled
            ),
            (6, 1, 1, 2, 1, 1)
        );
        assert_eq!(f.lalai(), 3);
        assert_eq!(f.compliance(), Some(0.25));
        assert_eq!(f.lalai_tracking_ids, vec!["LG-2", "LG-3", "LG-6"]);
        assert_eq!(f.median_response, Some(TimeDelta::hours(30)));
    }

    #[test]
    fn completion_is_judged_on_the_time_used() {
        let c = |used: i64, finished| CompletionFact {
            agency_id: "dinsos".into(),
            used: TimeDelta::hours(used),
            budget: TimeDelta::hours(100),
            finished,
        };
        let f = &compute(
            &[],
            &[c(90, true), c(120, true), c(130, false), c(10, false)],
            &[],
            wib("2026-10-10 12:00"),
        )["dinsos"];
        assert_eq!(
            (
                f.completion_on_target,
                f.completion_late,
                f.completion_open_overdue
            ),
            (1, 1, 1)
        );
        assert_eq!(f.completion_rate(), Some(1.0 / 3.0));
    }

    #[test]
    fn ratings_and_reopens() {
        let o = |reopened, rating| ReportOutcomeFact {
            agency_id: "dpu".into(),
            reopened,
            finished: true,
            rating,
        };
        let f = &compute(
            &[],
            &[],
            &[
                o(false, Some((5, Outcome::Fixed))),
                o(true, Some((2, Outcome::NotFixed))),
                o(false, None),
            ],
            wib("2026-10-10 12:00"),
        )["dpu"];
        assert_eq!(
            (f.finished, f.reopened, f.ratings, f.fixed, f.not_fixed),
            (3, 1, 2, 1, 1)
        );
        assert_eq!(f.satisfaction(), Some(3.5));
        assert_eq!(f.reopened_rate(), Some(1.0 / 3.0));
    }
}

/// What of a report's timeline rebuilding obligations needs (reports that predate them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineFact {
    pub at: Timestamp,
    pub assignment_id: Option<i64>,
    pub kind: TimelineKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineKind {
    /// A citizen-visible update, a return or a forward by the assignment's agency: its answer.
    Answer,
    /// The reporter reopened it: a new cycle starts.
    Restarted,
    /// The report ended (selesai, ditutup, diarsipkan, duplikat).
    ReportEnded,
}

/// An obligation rebuilt from the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuiltObligation {
    pub cycle: u32,
    pub started_at: Timestamp,
    pub due_at: Timestamp,
    pub responded_at: Option<Timestamp>,
    pub cancelled_at: Option<Timestamp>,
}

/// The obligations of one assignment created at `created_at`, from its report's timeline
/// (oldest first). `due_of(start)` gives a cycle's deadline (the stored clock's when it is that
/// cycle's, else the policy's).
pub fn rebuild_obligations(
    assignment_id: i64,
    created_at: Timestamp,
    timeline: &[TimelineFact],
    due_of: impl Fn(Timestamp) -> Timestamp,
) -> Vec<RebuiltObligation> {
    let mut out: Vec<RebuiltObligation> = Vec::new();
    let open = |start: Timestamp, out: &mut Vec<RebuiltObligation>| {
        out.push(RebuiltObligation {
            cycle: out.len() as u32 + 1,
            started_at: start,
            due_at: due_of(start),
            responded_at: None,
            cancelled_at: None,
        });
    };
    open(created_at, &mut out);
    for f in timeline.iter().filter(|f| f.at >= created_at) {
        let current = out
            .last_mut()
            .filter(|o| o.responded_at.is_none() && o.cancelled_at.is_none());
        match f.kind {
            TimelineKind::Answer if f.assignment_id == Some(assignment_id) => {
                if let Some(o) = current {
                    o.responded_at = Some(f.at);
                }
            }
            TimelineKind::Restarted if f.assignment_id == Some(assignment_id) => {
                open(f.at, &mut out);
            }
            TimelineKind::ReportEnded => {
                if let Some(o) = current
                    && f.at <= o.due_at
                {
                    o.cancelled_at = Some(f.at);
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod rebuild_tests {
    use super::*;
    use crate::calendar::test_support::wib;

    #[test]
    fn cycles_answers_and_cancellations_come_back_from_the_timeline() {
        let f = |at: &str, a: Option<i64>, kind| TimelineFact {
            at: wib(at),
            assignment_id: a,
            kind,
        };
        let timeline = vec![
            f("2026-10-01 10:00", Some(7), TimelineKind::Answer),
            f("2026-10-01 11:00", Some(7), TimelineKind::Answer),
            f("2026-10-01 12:00", Some(8), TimelineKind::Answer),
            f("2026-10-05 08:00", Some(7), TimelineKind::Restarted),
            f("2026-10-06 09:00", Some(7), TimelineKind::Answer),
            f("2026-10-07 08:00", Some(7), TimelineKind::Restarted),
            f("2026-10-07 09:00", None, TimelineKind::ReportEnded),
        ];
        let due = |t: Timestamp| t + TimeDelta::hours(24);
        let got = rebuild_obligations(7, wib("2026-10-01 08:00"), &timeline, due);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].responded_at, Some(wib("2026-10-01 10:00")));
        assert_eq!(
            (got[1].cycle, got[1].started_at),
            (2, wib("2026-10-05 08:00"))
        );
        assert_eq!(
            got[1].responded_at,
            Some(wib("2026-10-06 09:00")),
            "late, still an answer"
        );
        assert_eq!(got[2].cancelled_at, Some(wib("2026-10-07 09:00")));
    }
}
