//! Tallies: the accountability counts of a period read from per-day totals that the database
//! keeps in the same transaction as the facts (migration 0014, triggers on `obligations` and
//! `assignments`), instead of counting a quarter's rows one by one.
//!
//! A tally **cell** is a day at +07:00 (WIB: the province's quarters, months and days are whole
//! cells). A period that does not start or end on a cell boundary (another time zone, an
//! arbitrary range) is counted as whole cells plus or minus the rows of its edges, counted from
//! the facts themselves ([`tally_plan`]): the result is exact for any period.
//!
//! Response obligations are tallied by agency, cell and **response bucket** (a range of response
//! times, [`bucket_of`]; [`NOT_ANSWERED`] for the rest), which is a histogram: the median and the
//! 90th percentile are found in it by rank ([`Histogram::locate`]) and then read exactly from
//! the few rows of that one bucket. The bucket expression is written in SQL in each store's
//! migration; the conformance suite checks both against [`bucket_of`] through the figures.

use crate::Timestamp;
use std::collections::BTreeMap;
use tanggap_domain::compliance::{AssignmentCounts, ObligationCounts};

/// One tally cell: a day.
pub const CELL_US: i64 = 86_400_000_000;
/// Cells start at midnight +07:00 (17:00 UTC).
pub const CELL_SHIFT_US: i64 = 25_200_000_000;
/// The bucket of an obligation not answered (waiting, cancelled, lapsed).
pub const NOT_ANSWERED: i64 = -1;

const M5: i64 = 300_000_000;
const M15: i64 = 900_000_000;
const H1: i64 = 3_600_000_000;
const H6: i64 = 21_600_000_000;
const H48: i64 = 172_800_000_000;
const D1: i64 = 86_400_000_000;
const D30: i64 = 2_592_000_000_000;
const LAST: i64 = 912 + 3650;

/// The cell of an instant in microseconds (as the migrations compute it: integer division of
/// a non-negative number).
pub fn cell_of(us: i64) -> i64 {
    (us + CELL_SHIFT_US).div_euclid(CELL_US)
}

/// Where cell `c` starts, in microseconds.
pub fn cell_start(c: i64) -> i64 {
    c * CELL_US - CELL_SHIFT_US
}

/// The response bucket of a response time in microseconds: 5 minutes wide up to 6 hours, 15
/// minutes up to 48 hours, an hour up to 30 days, then a day (ten years at most; later ones
/// share the last bucket). Migration 0014 has the same expression in SQL.
pub fn bucket_of(response_us: i64) -> i64 {
    let r = response_us;
    if r < H6 {
        r.max(0) / M5
    } else if r < H48 {
        72 + (r - H6) / M15
    } else if r < D30 {
        240 + (r - H48) / H1
    } else {
        912 + ((r - D30) / D1).min(3650)
    }
}

/// The response times of bucket `b`: `[lo, hi)` in microseconds.
pub fn bucket_bounds(b: i64) -> (i64, i64) {
    match b {
        ..=0 => (i64::MIN, M5),
        1..72 => (b * M5, (b + 1) * M5),
        72..240 => (H6 + (b - 72) * M15, H6 + (b - 71) * M15),
        240..912 => (H48 + (b - 240) * H1, H48 + (b - 239) * H1),
        LAST.. => (D30 + (LAST - 912) * D1, i64::MAX),
        _ => (D30 + (b - 912) * D1, D30 + (b - 911) * D1),
    }
}

/// A stretch of a period's edge counted from the facts: `sign` 1 adds it to the whole cells,
/// -1 takes it away from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub from: Timestamp,
    pub to: Timestamp,
    pub sign: i64,
}

/// How a period `[from, to)` is counted: the whole cells `[first, end)` from the tallies (none
/// for a period shorter than two cells) and its edges from the facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyPlan {
    pub cells: Option<(i64, i64)>,
    pub edges: Vec<Edge>,
}

fn at(us: i64) -> Timestamp {
    Timestamp::from_timestamp_micros(us).unwrap_or(Timestamp::MIN_UTC)
}

/// The plan for `[from, to)`: each edge that is not on a cell boundary is counted as the
/// shorter of the part of its cell inside the period (added) or outside it (taken away).
pub fn tally_plan(from: Timestamp, to: Timestamp) -> TallyPlan {
    let (f, t) = (from.timestamp_micros(), to.timestamp_micros());
    if f < 0 || t - f < 2 * CELL_US {
        return TallyPlan {
            cells: None,
            edges: vec![Edge { from, to, sign: 1 }],
        };
    }
    let mut edges = vec![];
    let c = cell_of(f);
    let (s, e) = (cell_start(c), cell_start(c + 1));
    let first = if s == f {
        c
    } else if f - s <= e - f {
        edges.push(Edge {
            from: at(s),
            to: from,
            sign: -1,
        });
        c
    } else {
        edges.push(Edge {
            from,
            to: at(e),
            sign: 1,
        });
        c + 1
    };
    let c = cell_of(t);
    let (s, e) = (cell_start(c), cell_start(c + 1));
    let end = if s == t {
        c
    } else if t - s <= e - t {
        edges.push(Edge {
            from: at(s),
            to,
            sign: 1,
        });
        c
    } else {
        edges.push(Edge {
            from: to,
            to: at(e),
            sign: -1,
        });
        c + 1
    };
    TallyPlan {
        cells: Some((first, end)),
        edges,
    }
}

/// One row of obligation counts as a store reads it (from the tallies or from an edge's
/// facts, grouped the same way).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObligationTallyRow {
    pub agency_id: String,
    pub bucket: i64,
    pub received: i64,
    pub on_time: i64,
    pub late: i64,
    pub cancelled: i64,
    /// Not answered and cancelled after the deadline: lalai.
    pub lapsed: i64,
}

/// Answered obligations by response bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram(pub BTreeMap<i64, i64>);

impl Histogram {
    /// How many were answered.
    pub fn total(&self) -> u64 {
        u64::try_from(self.0.values().sum::<i64>()).unwrap_or(0)
    }

    /// Where the value of `rank` (1-based, ascending) is: its bucket's response times
    /// `[lo, hi)` and its 0-based position among that bucket's values.
    pub fn locate(&self, rank: u64) -> Option<(i64, i64, u64)> {
        let mut below = 0u64;
        for (&b, &n) in &self.0 {
            let n = u64::try_from(n).unwrap_or(0);
            if rank <= below + n {
                let (lo, hi) = bucket_bounds(b);
                return Some((lo, hi, rank - below - 1));
            }
            below += n;
        }
        None
    }
}

/// The least and greatest response time found in each bucket `[lo, hi)` read so far (`None`:
/// nothing there): a store asks once per bucket.
pub type BucketSpans = Vec<((i64, i64), Option<(i64, i64)>)>;

/// A period's obligation counts gathered from the rows a store reads.
#[derive(Debug, Clone, Default)]
pub struct ObligationTallies {
    by: BTreeMap<String, (ObligationTallyRow, Histogram)>,
    waiting: BTreeMap<String, (i64, i64)>,
}

impl ObligationTallies {
    /// Adds (`sign` 1) or takes away (-1) one row.
    pub fn add(&mut self, sign: i64, row: &ObligationTallyRow) {
        let (t, h) = self.by.entry(row.agency_id.clone()).or_default();
        t.received += sign * row.received;
        t.on_time += sign * row.on_time;
        t.late += sign * row.late;
        t.cancelled += sign * row.cancelled;
        t.lapsed += sign * row.lapsed;
        if row.bucket != NOT_ANSWERED {
            *h.0.entry(row.bucket).or_default() += sign * (row.on_time + row.late);
        }
    }

    /// The obligations of `agency` still waiting for an answer: past their deadline, and not.
    pub fn waiting(&mut self, agency: &str, overdue: i64, not_yet_due: i64) {
        self.waiting
            .insert(agency.to_string(), (overdue, not_yet_due));
    }

    /// Each agency's counts without the percentiles (agencies with nothing received left
    /// out), with its histogram.
    pub fn counts(&self) -> Vec<(ObligationCounts, Histogram)> {
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        self.by
            .iter()
            .filter(|(_, (t, _))| t.received > 0)
            .map(|(agency, (t, h))| {
                let (overdue, not_yet_due) = self.waiting.get(agency).copied().unwrap_or((0, 0));
                let mut hist = h.clone();
                hist.0.retain(|_, v| *v != 0);
                (
                    ObligationCounts {
                        agency_id: agency.clone(),
                        received: n(t.received),
                        on_time: n(t.on_time),
                        late: n(t.late),
                        unresponded_overdue: n(t.lapsed + overdue),
                        not_yet_due: n(not_yet_due),
                        cancelled: n(t.cancelled),
                        median_response: None,
                        p90_response: None,
                    },
                    hist,
                )
            })
            .collect()
    }
}

/// One row of assignment counts as a store reads it: the agency, how many assignments were
/// counted (not handed on), and the counts in the order of [`AssignmentCounts`]' fields
/// (on target, late, open overdue, reopened, finished, ratings, rating sum, fixed, partly,
/// not fixed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssignmentTallyRow {
    pub agency_id: String,
    pub counted: i64,
    pub counts: [i64; 10],
}

/// The columns of [`AssignmentTallyRow::counts`], in order, as the stores name them.
pub const ASSIGNMENT_COUNT_COLUMNS: [&str; 10] = [
    "on_target",
    "done_late",
    "open_overdue",
    "reopened",
    "finished",
    "ratings",
    "rating_sum",
    "fixed",
    "partly",
    "not_fixed",
];

/// Adds one agency's obligation counts to the total (the percentiles are the total's own).
pub fn add_to_total(total: &mut ObligationCounts, c: &ObligationCounts) {
    total.received += c.received;
    total.on_time += c.on_time;
    total.late += c.late;
    total.unresponded_overdue += c.unresponded_overdue;
    total.not_yet_due += c.not_yet_due;
    total.cancelled += c.cancelled;
}

/// A period's assignment counts gathered from the rows a store reads.
#[derive(Debug, Clone, Default)]
pub struct AssignmentTallies(BTreeMap<String, AssignmentTallyRow>);

impl AssignmentTallies {
    /// Adds (`sign` 1) or takes away (-1) one row.
    pub fn add(&mut self, sign: i64, row: &AssignmentTallyRow) {
        let t = self.0.entry(row.agency_id.clone()).or_default();
        t.counted += sign * row.counted;
        for (a, b) in t.counts.iter_mut().zip(row.counts) {
            *a += sign * b;
        }
    }

    /// Each agency's counts, for the agencies with an assignment counted.
    pub fn counts(&self) -> Vec<AssignmentCounts> {
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        self.0
            .iter()
            .filter(|(_, t)| t.counted > 0)
            .map(|(agency, t)| {
                let c = t.counts.map(n);
                AssignmentCounts {
                    agency_id: agency.clone(),
                    completion_on_target: c[0],
                    completion_late: c[1],
                    completion_open_overdue: c[2],
                    reopened: c[3],
                    finished: c[4],
                    ratings: c[5],
                    rating_sum: c[6],
                    fixed: c[7],
                    partly: c[8],
                    not_fixed: c[9],
                }
            })
            .collect()
    }
}

/// The sum of histograms (every agency's, for the total).
pub fn merged(hists: &[&Histogram]) -> Histogram {
    let mut out = Histogram::default();
    for h in hists {
        for (&b, &n) in &h.0 {
            *out.0.entry(b).or_default() += n;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn buckets_are_ordered_and_their_bounds_hold_them() {
        let mut last = bucket_of(0);
        let mut r = 0i64;
        while r < 20 * 365 * D1 {
            let b = bucket_of(r);
            assert!(b >= last, "monotonic at {r}");
            let (lo, hi) = bucket_bounds(b);
            assert!(lo <= r && r < hi, "{r} in bucket {b} [{lo}, {hi})");
            last = b;
            r += if r < H48 { 61_000_000 } else { 3 * H1 + 7 };
        }
        assert_eq!(bucket_of(-5), 0);
        assert_eq!(bucket_of(i64::MAX / 2), LAST);
        for b in 1..=LAST {
            assert_eq!(
                bucket_bounds(b - 1).1,
                bucket_bounds(b).0,
                "contiguous at {b}"
            );
        }
    }

    #[test]
    fn whole_days_in_wib_need_no_edges_and_others_are_exact() {
        let wib = |y, m, d, h| {
            Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap() - chrono::TimeDelta::hours(7)
        };
        let q = tally_plan(wib(2026, 7, 1, 0), wib(2026, 10, 1, 0));
        assert!(q.edges.is_empty());
        let (a, b) = q.cells.unwrap();
        assert_eq!(b - a, 92);
        // WITA midnight: an hour before WIB midnight, at both ends.
        let p = tally_plan(wib(2026, 6, 30, 23), wib(2026, 9, 30, 23));
        assert_eq!(p.edges.len(), 2);
        assert_eq!(p.edges[0].sign, 1);
        assert_eq!(p.edges[1].sign, -1);
        assert_eq!(p.edges[1].from, wib(2026, 9, 30, 23));
        assert_eq!(p.edges[1].to, wib(2026, 10, 1, 0));
        // Short periods are counted from the facts.
        let d = tally_plan(wib(2026, 7, 1, 0), wib(2026, 7, 2, 0));
        assert_eq!(d.cells, None);
    }

    #[test]
    fn ranks_are_found_in_the_histogram() {
        let mut t = ObligationTallies::default();
        let row = |b, n| ObligationTallyRow {
            agency_id: "a".into(),
            bucket: b,
            received: n,
            on_time: if b == NOT_ANSWERED { 0 } else { n },
            ..Default::default()
        };
        t.add(1, &row(3, 2));
        t.add(1, &row(80, 5));
        t.add(-1, &row(80, 1));
        t.add(1, &row(NOT_ANSWERED, 4));
        let (c, h) = t.counts().pop().unwrap();
        assert_eq!((c.received, c.on_time), (10, 6));
        assert_eq!(h.total(), 6);
        assert_eq!(h.locate(2), Some((3 * M5, 4 * M5, 1)));
        assert_eq!(h.locate(3).map(|l| l.2), Some(0));
        assert_eq!(h.locate(6).map(|l| l.2), Some(3));
        assert_eq!(h.locate(7), None);
    }
}
