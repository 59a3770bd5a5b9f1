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
    /// The highest escalation threshold (percent of the budget) that the scheduler has acted on;
    /// 0 before the first. A percentage rather than a count, so that an admin who edits the
    /// ladder while clocks run can neither make a clock repeat a step nor skip the 100% one.
    #[serde(default)]
    pub fired: u32,
    /// When the next threshold not yet acted on is (or was) crossed: what the scheduler's index
    /// is built on. `None` when nothing is left to fire (see [`Clock::reschedule`]).
    #[serde(default)]
    pub next_fire_at: Option<Timestamp>,
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
            fired: 0,
            next_fire_at: None,
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
        // A stop adds its last run to `consumed` (and keeps `running_since` for `crossed_at`):
        // a stopped clock has used exactly `consumed`.
        if self.stopped_at.is_some() {
            return self.consumed;
        }
        self.consumed
            + self
                .running_since
                .map_or(TimeDelta::zero(), |r| self.measure.between(cal, r, now))
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

    fn target(&self, percent: u32) -> TimeDelta {
        self.budget * i32::try_from(percent).unwrap_or(i32::MAX) / 100
    }

    /// When `percent` of the budget was (or, while running, will be) used up; `None` if the clock
    /// stopped or paused before getting there.
    ///
    /// A threshold crossed while the clock ran stays crossed after it stops or pauses: the
    /// scheduler acts on it even if the stop came before its sweep did. So the outcome never
    /// depends on how late the scheduler runs (an agency cannot dodge a `lalai` mark by
    /// responding during an outage), and catching up after downtime fires exactly what a
    /// scheduler that never stopped would have fired.
    pub fn crossed_at(&self, percent: u32, cal: &WorkingCalendar) -> Option<Timestamp> {
        if percent >= 100 {
            // The deadline itself: the one fixed when the clock started or resumed, even if
            // holidays were edited since, and crossed exactly when `is_late` says so.
            let due = self.due_at?;
            return match self.stopped_at {
                Some(stopped) => (stopped > due).then_some(due),
                // Running, or paused after the deadline (a pause keeps only a passed deadline).
                None => Some(due),
            };
        }
        let target = self.target(percent);
        match (self.running_since, self.stopped_at) {
            (Some(since), None) => Some(self.measure.add(
                cal,
                since,
                (target - self.consumed).max(TimeDelta::zero()),
            )),
            (Some(since), Some(stopped)) => {
                if self.consumed < target {
                    return None;
                }
                let before = self.consumed - self.measure.between(cal, since, stopped);
                let at = self
                    .measure
                    .add(cal, since, (target - before).max(TimeDelta::zero()));
                // A crossing at the end of a working day is written as the start of the next
                // working day, which may lie after the stop: the stop is then the crossing.
                Some(at.min(stopped))
            }
            // Paused (or paused, then stopped): crossed in an earlier running period, at an
            // instant no longer known; the start stands in for "some time ago".
            (None, _) => (self.consumed >= target).then_some(self.started_at),
        }
    }

    /// Set [`Clock::next_fire_at`] to the crossing of the first threshold above [`Clock::fired`]
    /// (thresholds in rising order, as the policy validates them), or `None` when none is left
    /// or the next one has not been reached by a stopped or paused clock.
    pub fn reschedule(&mut self, thresholds: &[u32], cal: &WorkingCalendar) {
        self.next_fire_at = self
            .next_threshold(thresholds)
            .and_then(|p| self.crossed_at(p, cal));
    }

    /// The working calendar changed (a holiday added or removed): a running working-day clock
    /// whose deadline has not passed at `now` gets its deadline worked out again on the new
    /// calendar. A passed deadline stays where it was (SPEC section 6). Returns whether the
    /// deadline moved.
    pub fn recalendar(&mut self, now: Timestamp, cal: &WorkingCalendar) -> bool {
        let (Some(since), Some(due)) = (self.running_since, self.due_at) else {
            return false;
        };
        if self.measure != Measure::Working || self.stopped_at.is_some() || due <= now {
            return false;
        }
        let left = (self.budget - self.consumed).max(TimeDelta::zero());
        let moved = self.measure.add(cal, since, left);
        if moved == due {
            return false;
        }
        self.due_at = Some(moved);
        true
    }

    /// The first threshold above the ones already acted on.
    pub fn next_threshold(&self, thresholds: &[u32]) -> Option<u32> {
        thresholds.iter().copied().find(|p| *p > self.fired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::test_support::wib as t;
    use chrono::DateTime;
    use proptest::prelude::*;

    #[test]
    fn a_holiday_added_moves_a_running_deadline_that_has_not_passed() {
        // Monday 09:00, 5 working days: due next Monday 09:00.
        let mut c = Clock::start(
            ClockKind::Completion,
            Measure::Working,
            TimeDelta::days(5),
            t("2026-11-30 09:00"),
            &WorkingCalendar::jakarta(),
        );
        let with_holiday =
            WorkingCalendar::new(chrono_tz::Asia::Jakarta, ["2026-12-02".parse().unwrap()]);
        let mut passed = c.clone();
        assert!(c.recalendar(t("2026-12-01 10:00"), &with_holiday));
        assert_eq!(c.due_at, Some(t("2026-12-08 09:00")));
        assert!(!c.recalendar(t("2026-12-01 10:00"), &with_holiday), "once");
        // A deadline that has passed stays where it was.
        assert!(!passed.recalendar(t("2026-12-07 10:00"), &with_holiday));
        assert_eq!(passed.due_at, Some(t("2026-12-07 09:00")));
    }

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
    fn a_stopped_clock_has_used_what_it_ran() {
        let cal = WorkingCalendar::jakarta();
        let mut c = Clock::start(
            ClockKind::Completion,
            Measure::Working,
            TimeDelta::days(5),
            t("2026-11-30 09:00"),
            &cal,
        );
        // Two working days, then finished: two days used, whenever it is asked.
        c.stop(t("2026-12-02 09:00"), &cal);
        assert_eq!(c.elapsed(t("2026-12-02 09:00"), &cal), TimeDelta::days(2));
        assert_eq!(c.elapsed(t("2026-12-20 09:00"), &cal), TimeDelta::days(2));
        // Paused, resumed, stopped: the runs add up once.
        let mut c = Clock::start(
            ClockKind::Completion,
            Measure::Working,
            TimeDelta::days(5),
            t("2026-11-30 09:00"),
            &cal,
        );
        c.pause(t("2026-12-01 09:00"), &cal);
        c.resume(t("2026-12-04 09:00"), &cal);
        c.stop(t("2026-12-07 09:00"), &cal);
        assert_eq!(c.elapsed(t("2026-12-09 09:00"), &cal), TimeDelta::days(2));
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

    #[test]
    fn reschedule_walks_the_ladder() {
        let cal = WorkingCalendar::jakarta();
        let ladder = [50, 75, 100];
        let mut c = Clock::start(
            ClockKind::FirstResponse,
            Measure::Wall,
            TimeDelta::hours(24),
            t("2026-11-28 22:00"),
            &cal,
        );
        assert_eq!(
            c.next_fire_at, None,
            "a new clock is scheduled by its owner"
        );
        c.reschedule(&ladder, &cal);
        assert_eq!(c.next_fire_at, Some(t("2026-11-29 10:00")));
        c.fired = 50;
        c.reschedule(&ladder, &cal);
        assert_eq!(c.next_fire_at, Some(t("2026-11-29 16:00")));
        c.fired = 75;
        c.reschedule(&ladder, &cal);
        assert_eq!(c.next_fire_at, c.due_at);
        c.fired = 100;
        c.reschedule(&ladder, &cal);
        assert_eq!(c.next_fire_at, None, "everything fired");
        // An admin shortens the ladder while the clock runs: nothing repeats, 100% still comes.
        c.fired = 75;
        c.reschedule(&[30, 100], &cal);
        assert_eq!(c.next_fire_at, c.due_at);
        assert_eq!(c.next_threshold(&[30, 100]), Some(100));
    }

    #[test]
    fn a_threshold_crossed_before_a_stop_still_fires() {
        let cal = WorkingCalendar::jakarta();
        let ladder = [50, 75, 100];
        let mut c = Clock::start(
            ClockKind::FirstResponse,
            Measure::Wall,
            TimeDelta::hours(24),
            t("2026-11-30 09:00"),
            &cal,
        );
        // Responded at 60% before the scheduler got to the 50% step: the step is still due,
        // at its own instant; 75% is never reached.
        c.stop(t("2026-11-30 23:24"), &cal);
        c.reschedule(&ladder, &cal);
        assert_eq!(c.next_fire_at, Some(t("2026-11-30 21:00")));
        c.fired = 50;
        c.reschedule(&ladder, &cal);
        assert_eq!(c.next_fire_at, None);
        // Responded late: every step was crossed, the last at the deadline.
        let mut late = Clock::start(
            ClockKind::FirstResponse,
            Measure::Wall,
            TimeDelta::hours(24),
            t("2026-11-30 09:00"),
            &cal,
        );
        late.stop(t("2026-12-02 09:00"), &cal);
        late.fired = 75;
        late.reschedule(&ladder, &cal);
        assert_eq!(late.next_fire_at, Some(t("2026-12-01 09:00")));
    }

    #[test]
    fn paused_clocks_wait_and_keep_what_fired() {
        let cal = WorkingCalendar::jakarta();
        let mut c = Clock::start(
            ClockKind::Completion,
            Measure::Working,
            TimeDelta::days(5),
            t("2026-11-30 09:00"),
            &cal,
        );
        c.reschedule(&[100], &cal);
        assert_eq!(c.next_fire_at, Some(t("2026-12-07 09:00")));
        c.pause(t("2026-12-01 09:00"), &cal);
        c.reschedule(&[100], &cal);
        assert_eq!(c.next_fire_at, None, "a paused clock does not fire");
        c.resume(t("2026-12-04 09:00"), &cal);
        c.reschedule(&[100], &cal);
        assert_eq!(c.next_fire_at, Some(t("2026-12-10 09:00")));
        // Past its deadline, then paused before the sweep: still due, at the deadline.
        c.pause(t("2026-12-10 12:00"), &cal);
        c.reschedule(&[100], &cal);
        assert_eq!(c.next_fire_at, Some(t("2026-12-10 09:00")));
        c.fired = 100;
        c.pause(t("2026-12-10 12:00"), &cal);
        c.reschedule(&[100], &cal);
        assert_eq!(c.fired, 100);
        assert_eq!(c.next_fire_at, None);
    }

    #[test]
    fn a_working_deadline_is_crossed_exactly_when_the_stop_is_late() {
        let cal = WorkingCalendar::jakarta();
        // Monday 00:00 + 5 working days = end of Friday, written as Monday 00:00.
        let mut c = Clock::start(
            ClockKind::AutoClose,
            Measure::Working,
            TimeDelta::days(5),
            t("2026-11-30 00:00"),
            &cal,
        );
        assert_eq!(c.due_at, Some(t("2026-12-07 00:00")));
        // All five working days are used by Saturday, but the deadline is Monday 00:00: a stop
        // on the weekend is in time, as `is_late` says.
        let mut weekend = c.clone();
        weekend.stop(t("2026-12-05 10:00"), &cal);
        weekend.reschedule(&[100], &cal);
        assert!(!weekend.is_late(t("2026-12-05 10:00")));
        assert_eq!(weekend.next_fire_at, None);
        c.stop(t("2026-12-07 10:00"), &cal);
        c.reschedule(&[100], &cal);
        assert_eq!(c.next_fire_at, Some(t("2026-12-07 00:00")));
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
