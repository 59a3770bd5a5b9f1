//! The working-day calendar and deadline arithmetic.
//!
//! A working day is a weekday that is neither a national holiday nor a cuti bersama day, in the
//! policy's time zone (Asia/Jakarta by default). "N working days" means N × 24 hours of *working
//! time*, where every second of a working day counts and no second of another day does. So a
//! report received on Friday 15:00 with one working day is due Monday 15:00, and one received on
//! Saturday is due at the end of Monday.
//!
//! Because a deadline that falls exactly at midnight after a working day could equally be written
//! as the start of the next working day, [`WorkingCalendar::add_working`] always returns the
//! latest of the equivalent instants: the start of the next working day. Deadlines therefore always
//! lie on a working day, and `working_between(t, add_working(t, d)) == d` holds exactly.

use chrono::{
    DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use std::collections::BTreeSet;

pub type Timestamp = DateTime<Utc>;

/// How far ahead we search for a working day before deciding the calendar is broken.
const MAX_NON_WORKING_RUN: u32 = 370;

#[derive(Debug, Clone)]
pub struct WorkingCalendar {
    tz: Tz,
    holidays: BTreeSet<NaiveDate>,
}

impl WorkingCalendar {
    pub fn new(tz: Tz, holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        WorkingCalendar {
            tz,
            holidays: holidays.into_iter().collect(),
        }
    }

    /// Asia/Jakarta with no holidays: weekends only.
    pub fn jakarta() -> Self {
        Self::new(chrono_tz::Asia::Jakarta, [])
    }

    pub fn tz(&self) -> Tz {
        self.tz
    }

    pub fn holidays(&self) -> impl Iterator<Item = &NaiveDate> {
        self.holidays.iter()
    }

    pub fn local_date(&self, t: Timestamp) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&d)
    }

    /// The first instant of a local date. Where midnight does not exist (a DST gap), the first
    /// instant that does.
    pub fn start_of_day(&self, d: NaiveDate) -> Timestamp {
        let mut time = NaiveTime::MIN;
        for _ in 0..(4 * 60) {
            match self.tz.from_local_datetime(&d.and_time(time)) {
                LocalResult::Single(t) => return t.with_timezone(&Utc),
                LocalResult::Ambiguous(a, b) => return a.min(b).with_timezone(&Utc),
                LocalResult::None => time += TimeDelta::minutes(1),
            }
        }
        // No zone has a gap of four hours; fall back to UTC midnight rather than panic.
        Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN))
    }

    /// The first working day on or after `d`.
    pub fn working_day_on_or_after(&self, d: NaiveDate) -> NaiveDate {
        let mut day = d;
        for _ in 0..MAX_NON_WORKING_RUN {
            if self.is_working_day(day) {
                return day;
            }
            day = day + Days::new(1);
        }
        day
    }

    /// Working time between two instants (zero if `b <= a`).
    pub fn working_between(&self, a: Timestamp, b: Timestamp) -> TimeDelta {
        if b <= a {
            return TimeDelta::zero();
        }
        let mut total = TimeDelta::zero();
        let mut cur = a;
        while cur < b {
            let day = self.local_date(cur);
            let next = self.start_of_day(day + Days::new(1));
            let end = next.min(b);
            if self.is_working_day(day) {
                total += end - cur;
            }
            cur = next;
        }
        total
    }

    /// The instant at which `amount` of working time has passed since `t` (see the module docs).
    pub fn add_working(&self, t: Timestamp, amount: TimeDelta) -> Timestamp {
        let mut remaining = amount.max(TimeDelta::zero());
        let mut cur = t;
        for _ in 0..100_000 {
            let day = self.local_date(cur);
            let day_end = self.start_of_day(day + Days::new(1));
            if self.is_working_day(day) {
                let available = day_end - cur;
                if remaining < available {
                    return cur + remaining;
                }
                remaining -= available;
            }
            cur = day_end;
            if remaining.is_zero() {
                let d = self.working_day_on_or_after(self.local_date(cur));
                return self.start_of_day(d).max(cur);
            }
        }
        cur
    }

    pub fn add_working_days(&self, t: Timestamp, days: u32) -> Timestamp {
        self.add_working(t, TimeDelta::days(i64::from(days)))
    }

    /// Working days from `from` (exclusive) up to `to` (inclusive) by local date; for reports.
    pub fn working_days_between_dates(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d = d + Days::new(1);
            if self.is_working_day(d) {
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::Timestamp;
    use chrono::{NaiveDateTime, TimeZone, Utc};

    /// A Jakarta local time written as `2026-11-27 15:00`.
    pub fn wib(s: &str) -> Timestamp {
        let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        chrono_tz::Asia::Jakarta
            .from_local_datetime(&naive)
            .unwrap()
            .with_timezone(&Utc)
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::wib;
    use super::*;
    use proptest::prelude::*;

    /// Java's 2026 fixture: Idul Fitri 20-21 March with cuti bersama 18, 19, 23, 24 March.
    fn cal() -> WorkingCalendar {
        let dates = [
            "2026-03-18",
            "2026-03-19",
            "2026-03-20",
            "2026-03-21",
            "2026-03-23",
            "2026-03-24",
            "2026-12-25",
            "2026-12-24",
        ];
        WorkingCalendar::new(
            chrono_tz::Asia::Jakarta,
            dates.iter().map(|d| d.parse().unwrap()),
        )
    }

    #[test]
    fn friday_afternoon_plus_one_working_day_is_monday_afternoon() {
        // 2026-11-27 is a Friday.
        assert_eq!(
            cal().add_working_days(wib("2026-11-27 15:00"), 1),
            wib("2026-11-30 15:00")
        );
    }

    #[test]
    fn saturday_report_gets_all_of_monday() {
        assert_eq!(
            cal().add_working_days(wib("2026-11-28 10:00"), 1),
            wib("2026-12-01 00:00")
        );
    }

    #[test]
    fn lebaran_cuti_bersama_is_skipped() {
        // Tue 17 March 10:00 + 2 working days: Wed 18 to Tue 24 are off, so Wed 25 and Thu 26.
        assert_eq!(
            cal().add_working_days(wib("2026-03-17 10:00"), 2),
            wib("2026-03-26 10:00")
        );
    }

    #[test]
    fn deadline_ending_before_a_holiday_moves_to_next_working_day_start() {
        // Mon 16 March 00:00 + 2 working days = end of Tue 17 = start of Wed 25.
        assert_eq!(
            cal().add_working_days(wib("2026-03-16 00:00"), 2),
            wib("2026-03-25 00:00")
        );
    }

    #[test]
    fn fourteen_working_days_across_christmas() {
        // Thu 10 Dec 2026 09:00 + 14 working days: Dec 11,14,15,16,17,18,21,22,23,28,29,30,31, Jan 1?
        // 1 Jan 2027 is not in this fixture, so it counts: the 14th is Fri 1 Jan.
        assert_eq!(
            cal().add_working_days(wib("2026-12-10 09:00"), 14),
            wib("2027-01-01 09:00")
        );
    }

    #[test]
    fn working_between_counts_only_working_time() {
        let c = cal();
        assert_eq!(
            c.working_between(wib("2026-11-27 15:00"), wib("2026-11-30 15:00")),
            TimeDelta::hours(24)
        );
        assert_eq!(
            c.working_between(wib("2026-11-28 00:00"), wib("2026-11-30 00:00")),
            TimeDelta::zero()
        );
        assert_eq!(
            c.working_between(wib("2026-11-30 10:00"), wib("2026-11-30 09:00")),
            TimeDelta::zero()
        );
    }

    #[test]
    fn zero_added_on_a_weekend_moves_to_monday_start() {
        assert_eq!(
            cal().add_working(wib("2026-11-29 12:00"), TimeDelta::zero()),
            wib("2026-11-30 00:00")
        );
        let t = wib("2026-11-30 12:00");
        assert_eq!(cal().add_working(t, TimeDelta::zero()), t);
    }

    #[test]
    fn working_day_counting_by_date() {
        let c = cal();
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            c.working_days_between_dates(d("2026-11-27"), d("2026-11-30")),
            1
        );
        assert_eq!(
            c.working_days_between_dates(d("2026-03-17"), d("2026-03-25")),
            1
        );
    }

    #[test]
    fn dst_zone_does_not_panic() {
        let c = WorkingCalendar::new(chrono_tz::America::Sao_Paulo, []);
        let _ = c.start_of_day("2018-11-04".parse().unwrap());
        let t = wib("2026-03-06 10:00");
        let c2 = WorkingCalendar::new(chrono_tz::Europe::Berlin, []);
        let due = c2.add_working_days(t, 5);
        assert_eq!(c2.working_between(t, due), TimeDelta::days(5));
    }

    fn arb_instant() -> impl Strategy<Value = Timestamp> {
        // 2025-01-01 .. 2027-12-31 UTC, minute resolution plus some seconds.
        (1_735_689_600i64..1_830_211_200i64).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
    }

    proptest! {
        #[test]
        fn adding_working_days_lands_on_a_working_day(t in arb_instant(), n in 0u32..80) {
            let c = cal();
            let due = c.add_working_days(t, n);
            prop_assert!(c.is_working_day(c.local_date(due)), "{t} + {n} = {due}");
        }

        #[test]
        fn adding_then_measuring_gives_back_the_amount(t in arb_instant(), secs in 0i64..(90 * 86_400)) {
            let c = cal();
            let d = TimeDelta::seconds(secs);
            let due = c.add_working(t, d);
            prop_assert_eq!(c.working_between(t, due), d);
            prop_assert!(due >= t);
        }

        #[test]
        fn adding_is_monotonic(t in arb_instant(), a in 0i64..(40 * 86_400), b in 0i64..(40 * 86_400)) {
            let c = cal();
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(c.add_working(t, TimeDelta::seconds(lo)) <= c.add_working(t, TimeDelta::seconds(hi)));
        }

        #[test]
        fn adding_is_additive(t in arb_instant(), a in 0i64..(20 * 86_400), b in 0i64..(20 * 86_400)) {
            let c = cal();
            let once = c.add_working(t, TimeDelta::seconds(a + b));
            let twice = c.add_working(c.add_working(t, TimeDelta::seconds(a)), TimeDelta::seconds(b));
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn working_days_are_never_shorter_than_calendar_days(t in arb_instant(), n in 1u32..30) {
            let c = cal();
            let due = c.add_working_days(t, n);
            prop_assert!(due - t >= TimeDelta::days(i64::from(n)));
        }
    }
}
