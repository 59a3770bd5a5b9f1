//! Accountability figures (SPEC section 6), per agency, over assignments dispatched in a period.
//! Open overdue items count against the agency now, not only once they close.

use crate::calendar::Timestamp;
use chrono::TimeDelta;
use serde::Serialize;

/// How one assignment's first response counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseOutcome {
    OnTime,
    Late,
    /// No response and the deadline has passed.
    UnrespondedOverdue,
    /// No response yet, deadline still ahead: excluded from rates.
    NotYetDue,
}

pub fn classify_response(
    due: Timestamp,
    responded_at: Option<Timestamp>,
    now: Timestamp,
) -> ResponseOutcome {
    match responded_at {
        Some(r) if r <= due => ResponseOutcome::OnTime,
        Some(_) => ResponseOutcome::Late,
        None if now > due => ResponseOutcome::UnrespondedOverdue,
        None => ResponseOutcome::NotYetDue,
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ResponseCompliance {
    pub on_time: u64,
    pub late: u64,
    pub unresponded_overdue: u64,
    pub not_yet_due: u64,
}

impl ResponseCompliance {
    pub fn add(&mut self, outcome: ResponseOutcome) {
        match outcome {
            ResponseOutcome::OnTime => self.on_time += 1,
            ResponseOutcome::Late => self.late += 1,
            ResponseOutcome::UnrespondedOverdue => self.unresponded_overdue += 1,
            ResponseOutcome::NotYetDue => self.not_yet_due += 1,
        }
    }

    /// Negligent: late plus unresponded overdue.
    pub fn lalai(&self) -> u64 {
        self.late + self.unresponded_overdue
    }

    /// on time / (on time + late + unresponded overdue); `None` when nothing is due yet.
    pub fn rate(&self) -> Option<f64> {
        let denominator = self.on_time + self.lalai();
        (denominator > 0).then(|| self.on_time as f64 / denominator as f64)
    }
}

/// Nearest-rank percentile (p in 0..=100) of durations; `None` for an empty set.
pub fn percentile(values: &mut [TimeDelta], p: u32) -> Option<TimeDelta> {
    if values.is_empty() {
        return None;
    }
    values.sort();
    let n = values.len();
    let rank = ((u64::from(p.min(100)) * n as u64).div_ceil(100)).max(1) as usize;
    Some(values[rank - 1])
}

/// The 1-based positions, in `n` values sorted ascending, that [`median`] reads (the two middle
/// values; the same one for an odd count) and that the nearest-rank [`percentile`] `p` reads:
/// what a database needs to fetch to give the same figures without returning every value.
/// `None` when there are no values.
pub fn ranks(n: u64, p: u32) -> Option<[u64; 3]> {
    (n > 0).then(|| {
        [
            n.div_ceil(2),
            n / 2 + 1,
            (u64::from(p.min(100)) * n).div_ceil(100).max(1),
        ]
    })
}

/// [`median`] from the two middle values that [`ranks`] names, in whole microseconds as a
/// database keeps them (the mean truncated).
pub fn median_of_middle(lo: i64, hi: i64) -> TimeDelta {
    TimeDelta::microseconds(lo.midpoint(hi))
}

/// The median as the mean of the two middle values for an even count.
pub fn median(values: &mut [TimeDelta]) -> Option<TimeDelta> {
    if values.is_empty() {
        return None;
    }
    values.sort();
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn t(h: i64) -> Timestamp {
        DateTime::from_timestamp(h * 3600, 0).unwrap()
    }

    proptest::proptest! {
        /// What a database fetches at [`ranks`] gives the figures [`median`] and [`percentile`]
        /// compute over every value.
        #[test]
        fn ranks_give_the_median_and_percentile(
            mut us in proptest::collection::vec(0i64..100_000_000, 1..60),
            p in 1u32..=100,
        ) {
            let mut values: Vec<TimeDelta> = us.iter().map(|&u| TimeDelta::microseconds(u)).collect();
            us.sort_unstable();
            let [lo, hi, at] = ranks(us.len() as u64, p).unwrap();
            let pick = |r: u64| us[usize::try_from(r).unwrap() - 1];
            let whole_micros = median(&mut values).unwrap().num_microseconds().unwrap();
            proptest::prop_assert_eq!(median_of_middle(pick(lo), pick(hi)), TimeDelta::microseconds(whole_micros));
            proptest::prop_assert_eq!(TimeDelta::microseconds(pick(at)), percentile(&mut values, p).unwrap());
        }
    }

    #[test]
    fn no_values_no_ranks() {
        assert_eq!(ranks(0, 90), None);
        assert_eq!(ranks(1, 90), Some([1, 1, 1]));
        assert_eq!(ranks(4, 90), Some([2, 3, 4]));
        assert_eq!(ranks(10, 90), Some([5, 6, 9]));
    }

    #[test]
    fn classification() {
        let due = t(24);
        assert_eq!(
            classify_response(due, Some(t(24)), t(100)),
            ResponseOutcome::OnTime
        );
        assert_eq!(
            classify_response(due, Some(t(25)), t(100)),
            ResponseOutcome::Late
        );
        assert_eq!(
            classify_response(due, None, t(25)),
            ResponseOutcome::UnrespondedOverdue
        );
        assert_eq!(
            classify_response(due, None, t(24)),
            ResponseOutcome::NotYetDue
        );
    }

    #[test]
    fn compliance_counts_open_overdue_against_the_agency() {
        let mut c = ResponseCompliance::default();
        for o in [
            ResponseOutcome::OnTime,
            ResponseOutcome::OnTime,
            ResponseOutcome::OnTime,
            ResponseOutcome::Late,
            ResponseOutcome::UnrespondedOverdue,
            ResponseOutcome::NotYetDue,
        ] {
            c.add(o);
        }
        assert_eq!(c.lalai(), 2);
        assert_eq!(c.rate(), Some(0.6));
        assert_eq!(ResponseCompliance::default().rate(), None);
    }

    #[test]
    fn percentiles() {
        let mut v: Vec<TimeDelta> = (1..=10).map(TimeDelta::hours).collect();
        assert_eq!(percentile(&mut v, 90), Some(TimeDelta::hours(9)));
        assert_eq!(percentile(&mut v, 100), Some(TimeDelta::hours(10)));
        assert_eq!(percentile(&mut v, 0), Some(TimeDelta::hours(1)));
        assert_eq!(median(&mut v), Some(TimeDelta::minutes(330)));
        assert_eq!(median(&mut []), None);
    }
}
