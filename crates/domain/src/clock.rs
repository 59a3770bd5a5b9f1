//! SLA clocks: a budget of wall-clock or working time that runs from a start, can pause (while the
//! report waits for the reporter) and resume keeping what was already used, and stops when the
//! thing it measures happens.

use crate::calendar::WorkingCalendar;
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

pub use crate::calendar::Timestamp;

/// Which kind of time a clock counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Every second counts (the 1×24 h first response).
    Wall,
    /// Only seconds on working days count (completion targets in working days).
    Working,
}

impl Measure {
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Wall => "wall",
            Measure::Working => "working",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "wall" => Some(Measure::Wall),
            "working" => Some(Measure::Working),
            _ => None,
        }
    }

    pub fn between(self, cal: &WorkingCalendar, a: Timestamp, b: Timestamp) -> TimeDelta {
        match self {
            Measure::Wall => (b - a).max(TimeDelta::zero()),
            Measure::Working => cal.working_between(a, b),
        }
    }

    pub fn add(self, cal: &WorkingCalendar, t: Timestamp, d: TimeDelta) -> Timestamp {
        match self {
            Measure::Wall => t + d.max(TimeDelta::zero()),
            Measure::Working => cal.add_working(t, d),
        }
    }
}

/// What a clock measures (SPEC section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// Report received → dispatched or archived.
    Triage,
    /// Assignment created → the agency's first citizen-visible update.
    FirstResponse,
    /// Assignment created → `tuntas`.
    Completion,
    /// Report `selesai` → closed unless the reporter replies or reopens.
    AutoClose,
    /// Report received → offer the reporter escalation to the Ombudsman unless `selesai`.
    Ombudsman,
}

impl ClockKind {
    pub const ALL: &'static [ClockKind] = &[
        ClockKind::Triage,
        ClockKind::FirstResponse,
        ClockKind::Completion,
        ClockKind::AutoClose,
        ClockKind::Ombudsman,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClockKind::Triage => "triage",
            ClockKind::FirstResponse => "first_response",
            ClockKind::Completion => "completion",
            ClockKind::AutoClose => "auto_close",
            ClockKind::Ombudsman => "ombudsman",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        ClockKind::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

/// One running (or paused, or stopped) SLA clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    pub kind: ClockKind,
    pub measure: Measure,
    /// The whole allowance, fixed when the clock starts: later policy changes do not alter it.
    pub budget: TimeDelta,
    pub started_at: Timestamp,
    /// Time used in earlier running periods (before the last pause).
    pub consumed: TimeDelta,
    /// Set while running.
    pub running_since: Option<Timestamp>,
    /// The deadline while running; `None` while paused or stopped.
    pub due_at: Option<Timestamp>,
    /// When the measured thing happened (or the clock was cancelled).
    pub stopped_at: Option<Timestamp>,
}

impl Clock {
    pub fn start(
        kind: ClockKind,
        measure: Measure,
        budget: TimeDelta,
        at: Timestamp,
        cal: &WorkingCalendar,
    ) -> Clock {
        Clock {
            kind,
            measure,
            budget,
            started_at: at,
            consumed: TimeDelta::zero(),
            running_since: Some(at),
            due_at: Some(measure.add(cal, at, budget)),
            stopped_at: None,
        }
    }

    pub fn is_running(&self) -> bool {
        self.running_since.is_some() && self.stopped_at.is_none()
    }

    pub fn is_paused(&self) -> bool {
        self.running_since.is_none() && self.stopped_at.is_none()
    }

    /// Time used so far, counting the current running period up to `now`.
    pub fn elapsed(&self, now: Timestamp, cal: &WorkingCalendar) -> TimeDelta {
        let end = self.stopped_at.map_or(now, |s| s.min(now));
        self.consumed
            + self
                .running_since
                .map_or(TimeDelta::zero(), |r| self.measure.between(cal, r, end))
    }

    /// Stop counting. The deadline disappears until [`Clock::resume`], unless it has already
    /// passed: a missed deadline stays missed.
    pub fn pause(&mut self, at: Timestamp, cal: &WorkingCalendar) {
        if let (Some(since), None) = (self.running_since, self.stopped_at) {
            self.consumed += self.measure.between(cal, since, at);
            self.running_since = None;
            if self.due_at.is_some_and(|due| at < due) {
                self.due_at = None;
            }
        }
    }

    /// Continue with what is left of the budget.
    pub fn resume(&mut self, at: Timestamp, cal: &WorkingCalendar) {
        if self.is_paused() {
            self.running_since = Some(at);
            if self.due_at.is_none() {
                let left = (self.budget - self.consumed).max(TimeDelta::zero());
                self.due_at = Some(self.measure.add(cal, at, left));
            }
        }
    }

    /// The measured thing happened (or the clock no longer applies). The deadline is kept so that
    /// "responded late" can still be computed.
    pub fn stop(&mut self, at: Timestamp, cal: &WorkingCalendar) {
        if self.stopped_at.is_none() {
            if let Some(since) = self.running_since {
                self.consumed += self.measure.between(cal, since, at);
            }
            self.stopped_at = Some(at);
        }
    }

    /// Stopped after its deadline, or still running past it at `now`.
    pub fn is_late(&self, now: Timestamp) -> bool {
        match (self.due_at, self.stopped_at) {
            (Some(due), Some(stopped)) => stopped > due,
            (Some(due), None) => now > due,
            (None, _) => false,
        }
    }

    /// The instant at which `percent` of the budget will have been used, if running.
    pub fn threshold_at(&self, percent: u32, cal: &WorkingCalendar) -> Option<Timestamp> {
        let since = self.running_since?;
        if self.stopped_at.is_some() {
            return None;
        }
        let target = self.budget * i32::try_from(percent).ok()? / 100;
        let left = target - self.consumed;
        Some(self.measure.add(cal, since, left.max(TimeDelta::zero())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::test_support::wib as t;
    use chrono::DateTime;
    use proptest::prelude::*;

    #[test]
    fn pause_keeps_elapsed_time() {
        let cal = WorkingCalendar::jakarta();
        // Monday 09:00, 5 working days: due next Monday 09:00.
        let mut c = Clock::start(
            ClockKind::Completion,
            Measure::Working,
            TimeDelta::days(5),
            t("2026-11-30 09:00"),
            &cal,
        );
        assert_eq!(c.due_at, Some(t("2026-12-07 09:00")));
        // Paused Tuesday 09:00 (one day used) for the weekend-spanning wait, resumed Friday 09:00.
        c.pause(t("2026-12-01 09:00"), &cal);
        assert_eq!(c.due_at, None);
        assert_eq!(c.elapsed(t("2026-12-03 09:00"), &cal), TimeDelta::days(1));
        c.resume(t("2026-12-04 09:00"), &cal);
        // Four working days left from Friday 09:00: Mon, Tue, Wed, Thu 09:00.
        assert_eq!(c.due_at, Some(t("2026-12-10 09:00")));
    }

    #[test]
    fn wall_clock_first_response() {
        let cal = WorkingCalendar::jakarta();
        let mut c = Clock::start(
            ClockKind::FirstResponse,
            Measure::Wall,
            TimeDelta::hours(24),
            t("2026-11-28 22:00"),
            &cal,
        );
        assert_eq!(c.due_at, Some(t("2026-11-29 22:00")));
        assert_eq!(c.threshold_at(50, &cal), Some(t("2026-11-29 10:00")));
        assert_eq!(c.threshold_at(75, &cal), Some(t("2026-11-29 16:00")));
        assert!(!c.is_late(t("2026-11-29 21:59")));
        assert!(c.is_late(t("2026-11-29 22:01")));
        c.stop(t("2026-11-29 23:00"), &cal);
        assert!(c.is_late(t("2026-11-29 23:00")));
        assert_eq!(c.threshold_at(50, &cal), None);
    }

    proptest! {
        #[test]
        fn pausing_for_zero_time_changes_nothing(start in 1_735_689_600i64..1_830_211_200i64, after in 0i64..(30 * 86_400), days in 1i64..60, working in any::<bool>()) {
            let cal = WorkingCalendar::jakarta();
            let start = DateTime::from_timestamp(start, 0).unwrap();
            let measure = if working { Measure::Working } else { Measure::Wall };
            let mut c = Clock::start(ClockKind::Completion, measure, TimeDelta::days(days), start, &cal);
            let before = c.due_at;
            let at = start + TimeDelta::seconds(after);
            c.pause(at, &cal);
            c.resume(at, &cal);
            prop_assert_eq!(c.due_at, before);
        }

        #[test]
        fn pausing_never_shortens_the_deadline(start in 1_735_689_600i64..1_830_211_200i64, after in 0i64..(10 * 86_400), pause in 0i64..(10 * 86_400)) {
            let cal = WorkingCalendar::jakarta();
            let start = DateTime::from_timestamp(start, 0).unwrap();
            let mut c = Clock::start(ClockKind::Completion, Measure::Working, TimeDelta::days(14), start, &cal);
            let before = c.due_at.unwrap();
            let p = start + TimeDelta::seconds(after);
            c.pause(p, &cal);
            c.resume(p + TimeDelta::seconds(pause), &cal);
            prop_assert!(c.due_at.unwrap() >= before);
        }
    }
}
