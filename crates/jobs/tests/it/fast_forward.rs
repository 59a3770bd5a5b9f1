//! Two weeks of a province's complaints, fast-forwarded.
//!
//! 2,400 reports are submitted and dispatched through the use cases, an hour apart in batches
//! from Monday 21 December 2026 to Sunday 27 December, to eight agencies (one of which has
//! nobody to notify). Between them the agencies respond before 50% of the 1×24 h, between 50
//! and 75%, after the deadline, or never; finish the work; ask the reporter something and get an
//! answer days later; or are waiting on a reporter the desk asked. Older reports (October, early
//! December) come due inside the window: completion targets missed long ago, the Ombudsman offer
//! at 60 days, and auto-close after 10 working days of silence, across Christmas.
//!
//! The clock then moves in 15-minute steps to Monday 4 January 2027, sweeping and dispatching at
//! each step. The fortnight holds two weekends, cuti bersama (24 Dec), Christmas (25 Dec) and New
//! Year (1 Jan), from the real `reference/jateng/holidays.csv`.
//!
//! Expectations are computed here, independently of the scheduler: deadlines by counting
//! working days in the holiday file, the ladder from the response times, the digests from which
//! clocks run at 07:00. Every deadline, every `lalai` mark and the exact multiset of notification
//! keys sent must match.

use crate::common::*;
use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Weekday};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tanggap_domain::workflow::{Actor, Command};
use tanggap_domain::{ReportStatus, Stage, Timestamp};
use tanggap_jobs::{FakeSender, SchedulerSettings};
use tanggap_service::{ManualClock, Services};

const AGENCIES: [&str; 8] = [
    "dinkes",
    "dpu-bmck",
    "disdikbud",
    "dinsos",
    "dishub",
    "dlhk",
    "bpbd",
    "diskominfo",
];
/// Nobody to notify there: no head contact, no kepala, only a retired officer.
const QUIET: &str = "diskominfo";
const BULK: usize = 2400;
const SLOTS: usize = 168;
const HOLIDAYS: &str = include_str!("../../../../reference/jateng/holidays.csv");

fn start() -> Timestamp {
    wib("2026-12-21 00:00")
}

fn end() -> Timestamp {
    wib("2027-01-04 00:00")
}

// ----- the independent calendar ----------------------------------------------------------------

struct Calendar(BTreeSet<NaiveDate>);

impl Calendar {
    fn load() -> Calendar {
        Calendar(
            HOLIDAYS
                .lines()
                .skip(1)
                .filter_map(|l| l.split(',').next()?.parse().ok())
                .collect(),
        )
    }

    fn working(&self, d: NaiveDate) -> bool {
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.0.contains(&d)
    }

    /// The `n`-th working day after `d`.
    fn nth_working_after(&self, d: NaiveDate, n: u32) -> NaiveDate {
        let mut day = d;
        let mut k = 0;
        while k < n {
            day = day + Days::new(1);
            if self.working(day) {
                k += 1;
            }
        }
        day
    }

    /// `n` working days from `t`, by counting days: from a working day, the same time of day on
    /// the n-th working day after it; from a day off, the start of the (n+1)-th working day
    /// after it (all of the first working day counts).
    fn due(&self, t: Timestamp, n: u32) -> Timestamp {
        let l = local(t);
        if self.working(l.date()) {
            from_local(self.nth_working_after(l.date(), n).and_time(l.time()))
        } else {
            from_local(
                self.nth_working_after(l.date(), n + 1)
                    .and_time(NaiveTime::MIN),
            )
        }
    }

    /// Working time in `[a, b)`, both within two consecutive local days at most.
    fn working_between(&self, a: Timestamp, b: Timestamp) -> TimeDelta {
        let mut total = TimeDelta::zero();
        let mut cur = a;
        while cur < b {
            let next_midnight =
                from_local((local(cur).date() + Days::new(1)).and_time(NaiveTime::MIN));
            let until = next_midnight.min(b);
            if self.working(local(cur).date()) {
                total += until - cur;
            }
            cur = until;
        }
        total
    }
}

/// Jakarta has no daylight saving: WIB is UTC+7 all year.
fn local(t: Timestamp) -> NaiveDateTime {
    (t + TimeDelta::hours(7)).naive_utc()
}

fn from_local(l: NaiveDateTime) -> Timestamp {
    l.and_utc() - TimeDelta::hours(7)
}

// ----- the cases -------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Act {
    Respond,
    Finish,
    AgencyAsks,
    ReporterAnswers,
    DeskAsks,
}

/// One assignment and what happens to it.
#[derive(Clone, Debug)]
struct Case {
    agency: &'static str,
    kind: &'static str,
    field_check: bool,
    /// Report submitted (its Ombudsman clock starts) and dispatched.
    created: Timestamp,
    report: i64,
    assignment: i64,
    /// Start of the first-response clock the expectations are about (a reopening restarts it).
    fr_start: Timestamp,
    respond: Option<Timestamp>,
    finish: Option<Timestamp>,
    /// (asked, answered): completion pauses in between.
    wait: Option<(Timestamp, Option<Timestamp>)>,
}

impl Case {
    fn budget(&self) -> u32 {
        match (self.field_check, self.kind) {
            (true, _) => 60,
            (false, "pengaduan") => 14,
            _ => 5,
        }
    }

    fn fr_due(&self) -> Timestamp {
        self.fr_start + TimeDelta::hours(24)
    }

    /// The completion deadline as it stands once the wait (if any) is over; `None` while
    /// paused before the deadline.
    fn completion_due(&self, cal: &Calendar) -> Option<Timestamp> {
        match self.wait {
            Some((_, None)) => None,
            Some((asked, Some(answered))) => {
                let used = cal.working_between(self.fr_start, asked);
                Some(cal.due(answered - used, self.budget()))
            }
            None => Some(cal.due(self.fr_start, self.budget())),
        }
    }

    fn completion_due_before_wait(&self, cal: &Calendar) -> Timestamp {
        cal.due(self.fr_start, self.budget())
    }

    /// Did the first-response clock cross `p` percent by the end of the window?
    fn crossed(&self, p: u32) -> bool {
        let at = self.fr_start + TimeDelta::minutes(24 * 60 * i64::from(p) / 100);
        if at > end() {
            return false;
        }
        match (p, self.respond) {
            (100, Some(r)) => r > self.fr_due(),
            (_, Some(r)) => at <= r,
            (_, None) => true,
        }
    }
}

/// The bulk assignment `i`: slot, behaviour, agency, kind.
fn bulk_case(i: usize, cal: &Calendar) -> (Case, Vec<(Timestamp, Act)>) {
    let slot = i % SLOTS;
    let behaviour = (i / SLOTS) % 8;
    let c = start() + TimeDelta::hours(slot as i64) + TimeDelta::minutes(7);
    let m = |minutes: i64| c + TimeDelta::minutes(minutes);
    let mut case = Case {
        agency: AGENCIES[i % AGENCIES.len()],
        kind: ["pengaduan", "aspirasi", "permintaan_informasi"][i % 3],
        field_check: i.is_multiple_of(5),
        created: c,
        report: 0,
        assignment: 0,
        fr_start: c,
        respond: None,
        finish: None,
        wait: None,
    };
    let mut acts = Vec::new();
    let mut respond = |case: &mut Case, at: Timestamp| {
        case.respond = Some(at);
        acts.push((at, Act::Respond));
    };
    match behaviour {
        0 => respond(&mut case, m(5 * 60 + 45)),
        1 => respond(&mut case, m(14 * 60 + 13)),
        2 => respond(&mut case, m(20 * 60 + 29)),
        3 => respond(&mut case, m(26 * 60 + 31)),
        4 => {}
        5 => {
            respond(&mut case, m(63));
            case.finish = Some(m(47 * 60));
            acts.push((m(47 * 60), Act::Finish));
        }
        6 => {
            respond(&mut case, m(131));
            let asked = m(160);
            // Answered on the next working day after the question, at 20:00.
            let day = cal.nth_working_after(local(asked).date(), 1);
            let answered = from_local(day.and_hms_opt(20, 0, 0).unwrap());
            acts.push((asked, Act::AgencyAsks));
            if answered <= end() {
                acts.push((answered, Act::ReporterAnswers));
            }
            case.wait = Some((asked, (answered <= end()).then_some(answered)));
        }
        _ => {
            let asked = m(30);
            acts.push((asked, Act::DeskAsks));
            case.wait = Some((asked, None));
        }
    }
    (case, acts)
}

// ----- the expectations ------------------------------------------------------------------------

fn expected_keys(cases: &[Case], staff: &Staff, cal: &Calendar) -> Vec<String> {
    let mut want = Vec::new();
    for c in cases {
        for (p, tokens) in [
            (50, officers_tokens(staff, c.agency)),
            (75, head_tokens(staff, c.agency)),
            (
                100,
                [head_tokens(staff, c.agency), desk_tokens(staff)].concat(),
            ),
        ] {
            if c.crossed(p) {
                want.extend(
                    tokens
                        .iter()
                        .map(|t| key(c.report, c.assignment, "first_response", c.fr_start, p, t)),
                );
            }
        }
        if let Some(due) = c.completion_due(cal)
            && due <= end()
            && c.finish.is_none_or(|f| f > due)
        {
            want.extend(
                [head_tokens(staff, c.agency), desk_tokens(staff)]
                    .concat()
                    .iter()
                    .map(|t| key(c.report, c.assignment, "completion", c.fr_start, 100, t)),
            );
        }
        let offer = c.created + TimeDelta::days(60);
        if offer <= end() && c.finish.is_none_or(|f| f > offer) {
            want.push(key(
                c.report,
                0,
                "ombudsman",
                c.created,
                100,
                "reporter/email",
            ));
        }
    }
    want
}

/// Per (agency, day): (overdue, due later today) at 07:00.
fn expected_digests(
    cases: &[Case],
    cal: &Calendar,
) -> BTreeMap<(&'static str, NaiveDate), (usize, usize)> {
    let mut out = BTreeMap::new();
    let mut day = local(start()).date();
    while from_local(day.and_hms_opt(7, 0, 0).unwrap()) < end() {
        let t = from_local(day.and_hms_opt(7, 0, 0).unwrap());
        let until = from_local((day + Days::new(1)).and_time(NaiveTime::MIN));
        for c in cases.iter().filter(|c| c.agency != QUIET) {
            let mut items = Vec::new();
            if c.fr_start <= t && c.respond.is_none_or(|r| r > t) && c.fr_due() < until {
                items.push(c.fr_due());
            }
            let waiting = c
                .wait
                .is_some_and(|(asked, answered)| asked <= t && answered.is_none_or(|a| a > t));
            if c.fr_start <= t && c.finish.is_none_or(|f| f > t) && !waiting {
                let resumed = c.wait.is_some_and(|(_, a)| a.is_some_and(|a| a <= t));
                let due = if resumed {
                    c.completion_due(cal).unwrap()
                } else {
                    c.completion_due_before_wait(cal)
                };
                if due < until {
                    items.push(due);
                }
            }
            for due in items {
                let e: &mut (usize, usize) = out.entry((c.agency, day)).or_default();
                if due <= t {
                    e.0 += 1;
                } else {
                    e.1 += 1;
                }
            }
        }
        day = day + Days::new(1);
    }
    out
}

// ----- the run ---------------------------------------------------------------------------------

async fn act(services: &Services, staff: &Staff, c: &Case, what: Act) {
    let r = c.report;
    let (actor, command) = match what {
        Act::Respond => (
            staff.actor(c.agency),
            Command::PostUpdate {
                assignment_id: c.assignment,
                stage: Stage::Verifikasi,
                note: "Laporan diterima dan sedang diverifikasi".into(),
            },
        ),
        Act::Finish => (
            staff.actor(c.agency),
            Command::PostUpdate {
                assignment_id: c.assignment,
                stage: Stage::Tuntas,
                note: "Sudah ditangani".into(),
            },
        ),
        Act::AgencyAsks => (
            staff.actor(c.agency),
            Command::AskReporter {
                question: "Mohon kirim foto lokasi".into(),
            },
        ),
        Act::ReporterAnswers => (
            Actor::Reporter { reporter_id: None },
            Command::ReporterReply {
                text: "Fotonya sudah saya kirim".into(),
            },
        ),
        Act::DeskAsks => (
            staff.operator(),
            Command::AskReporter {
                question: "Di kelurahan mana tepatnya?".into(),
            },
        ),
    };
    services
        .execute(r, &actor, command, vec![])
        .await
        .unwrap_or_else(|e| panic!("{what:?} on report {r}: {e}"));
}

async fn submit_and_dispatch(services: &Services, staff: &Staff, c: &mut Case, title: String) {
    let category = if c.field_check {
        "jalan-jembatan"
    } else {
        "kesehatan"
    };
    c.report = submit(services, &title, c.kind, category).await;
    c.assignment = dispatch(services, staff, c.report, c.agency).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_weeks_across_christmas_and_new_year() {
    let began = std::time::Instant::now();
    let cal = Calendar::load();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(wib("2026-10-20 10:00")));
    let sender = FakeSender::ignoring(&["receipt"]);
    let app = Instance::new(
        sqlite_store(&dir).await,
        clock.clone(),
        sender.clone(),
        SchedulerSettings::default(),
    );
    let svc = &app.services;
    let store = app.store().clone();
    let staff = setup(svc, store.as_ref(), &AGENCIES, &[QUIET]).await;
    let mut cases: Vec<Case> = Vec::new();

    // History: October reports answered at once but never finished (completion overdue since
    // November; the Ombudsman offer on 19 December, before the window, and on 25 December).
    for (n, at) in [
        "2026-10-20 10:00",
        "2026-10-20 10:00",
        "2026-10-20 10:00",
        "2026-10-26 14:05",
        "2026-10-26 14:05",
        "2026-10-26 14:05",
    ]
    .iter()
    .enumerate()
    {
        let at = wib(at);
        clock.set(at);
        let mut c = Case {
            agency: AGENCIES[n % 3],
            kind: "pengaduan",
            field_check: false,
            created: at,
            report: 0,
            assignment: 0,
            fr_start: at,
            respond: Some(at + TimeDelta::hours(1)),
            finish: None,
            wait: None,
        };
        submit_and_dispatch(svc, &staff, &mut c, format!("Laporan lama {n}")).await;
        clock.set(at + TimeDelta::hours(1));
        act(svc, &staff, &c, Act::Respond).await;
        cases.push(c);
    }
    // Early December: four reports finished on 10 and 11 December. The third reporter answers on
    // 22 December (the silence starts again); the fourth reopens on 23 December and nobody
    // responds to the new response clock.
    let mut finished: Vec<Case> = Vec::new();
    for (n, done) in [
        "2026-12-10 11:00",
        "2026-12-11 15:30",
        "2026-12-10 11:00",
        "2026-12-10 11:00",
    ]
    .iter()
    .enumerate()
    {
        let at = wib("2026-12-08 10:00");
        clock.set(at);
        let mut c = Case {
            agency: AGENCIES[n],
            kind: "aspirasi",
            field_check: false,
            created: at,
            report: 0,
            assignment: 0,
            fr_start: at,
            respond: Some(at + TimeDelta::minutes(5)),
            finish: Some(wib(done)),
            wait: None,
        };
        submit_and_dispatch(svc, &staff, &mut c, format!("Laporan Desember {n}")).await;
        clock.set(at + TimeDelta::minutes(5));
        act(svc, &staff, &c, Act::Respond).await;
        clock.set(wib(done));
        act(svc, &staff, &c, Act::Finish).await;
        finished.push(c);
    }

    // The fortnight's reports, and the triage group: submitted, dispatched after 30 hours (then
    // answered and finished at once) or never.
    let mut bulk: Vec<Case> = Vec::new();
    let mut agenda: BTreeMap<Timestamp, Vec<(usize, Act)>> = BTreeMap::new();
    for i in 0..BULK {
        let (c, acts) = bulk_case(i, &cal);
        for (at, a) in acts {
            agenda.entry(at).or_default().push((i, a));
        }
        bulk.push(c);
    }
    let mut creations: BTreeMap<Timestamp, Vec<usize>> = BTreeMap::new();
    for (i, c) in bulk.iter().enumerate() {
        creations.entry(c.created).or_default().push(i);
    }
    let mut triage: Vec<(i64, Timestamp, bool)> = Vec::new();
    let mut late_dispatch: BTreeMap<Timestamp, Vec<usize>> = BTreeMap::new();
    let mut triage_at: BTreeMap<Timestamp, Vec<usize>> = BTreeMap::new();
    for j in 0..20usize {
        let at = start() + TimeDelta::hours(7 * j as i64) + TimeDelta::minutes(11);
        triage_at.entry(at).or_default().push(j);
        if j % 2 == 0 {
            late_dispatch
                .entry(at + TimeDelta::hours(30))
                .or_default()
                .push(j);
        }
        triage.push((0, at, j % 2 == 0));
    }

    // The answer after selesai (22 Dec 14:00) and the reopening (23 Dec 10:00).
    let answer_at = wib("2026-12-22 14:00");
    let reopen_at = wib("2026-12-23 10:00");
    let mut reopened = finished[3].clone();
    reopened.fr_start = reopen_at;
    reopened.respond = None;
    reopened.finish = None;

    // Go.
    let mut t = start();
    let mut steps = 0;
    let mut fired = 0;
    while t <= end() {
        // What people did since the last step, in order; at one instant, all at once.
        let due_creations: Vec<Timestamp> = creations.range(..=t).map(|(k, _)| *k).collect();
        let due_acts: Vec<Timestamp> = agenda.range(..=t).map(|(k, _)| *k).collect();
        let due_triage: Vec<Timestamp> = triage_at.range(..=t).map(|(k, _)| *k).collect();
        let due_late: Vec<Timestamp> = late_dispatch.range(..=t).map(|(k, _)| *k).collect();
        let mut instants: BTreeSet<Timestamp> = BTreeSet::new();
        instants.extend(&due_creations);
        instants.extend(&due_acts);
        instants.extend(&due_triage);
        instants.extend(&due_late);
        for special in [answer_at, reopen_at] {
            if special <= t && special > t - TimeDelta::minutes(15) {
                instants.insert(special);
            }
        }
        for at in instants {
            clock.set(at);
            if let Some(ids) = creations.remove(&at) {
                let made = futures_util::future::join_all(ids.iter().map(|&i| {
                    let mut c = bulk[i].clone();
                    let staff = &staff;
                    async move {
                        submit_and_dispatch(svc, staff, &mut c, format!("Laporan nomor {i}")).await;
                        (i, c)
                    }
                }))
                .await;
                for (i, c) in made {
                    bulk[i] = c;
                }
            }
            if let Some(js) = triage_at.remove(&at) {
                for j in js {
                    triage[j].0 = submit(
                        svc,
                        &format!("Belum diverifikasi {j}"),
                        "aspirasi",
                        "kesehatan",
                    )
                    .await;
                }
            }
            if let Some(js) = late_dispatch.remove(&at) {
                for j in js {
                    let r = triage[j].0;
                    let a = dispatch(svc, &staff, r, "dinkes").await;
                    let c = Case {
                        agency: "dinkes",
                        kind: "aspirasi",
                        field_check: false,
                        created: triage[j].1,
                        report: r,
                        assignment: a,
                        fr_start: at,
                        respond: Some(at),
                        finish: Some(at),
                        wait: None,
                    };
                    act(svc, &staff, &c, Act::Respond).await;
                    act(svc, &staff, &c, Act::Finish).await;
                }
            }
            if at == answer_at {
                svc.execute(
                    finished[2].report,
                    &Actor::Reporter { reporter_id: None },
                    Command::ReporterReply {
                        text: "Terima kasih, akan saya cek dulu".into(),
                    },
                    vec![],
                )
                .await
                .unwrap();
            }
            if at == reopen_at {
                svc.execute(
                    reopened.report,
                    &Actor::Reporter { reporter_id: None },
                    Command::Reopen {
                        reason: "Ternyata belum beres".into(),
                    },
                    vec![],
                )
                .await
                .unwrap();
            }
            if let Some(list) = agenda.remove(&at) {
                futures_util::future::join_all(
                    list.iter().map(|(i, a)| act(svc, &staff, &bulk[*i], *a)),
                )
                .await;
            }
        }
        let r = app.tick(t).await;
        fired += r.fired;
        steps += 1;
        t += TimeDelta::minutes(15);
    }
    eprintln!(
        "fast-forward: {steps} steps, {fired} thresholds fired, {} notifications sent, {:?}",
        sender.sent().len(),
        began.elapsed()
    );

    // ---- every deadline and every lalai mark -------------------------------------------------
    // The reopened report counts with its new response clock (started 23 December, never
    // answered); the other early-December reports have nothing left to fire.
    let mut all: Vec<Case> = cases.clone();
    all.extend(bulk.iter().cloned());
    all.push(reopened.clone());
    for c in &all {
        let a = store
            .assignments(c.report)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.id == c.assignment)
            .unwrap();
        assert_eq!(
            a.response_due_at,
            Some(c.fr_due()),
            "response deadline of {c:?}"
        );
        assert_eq!(
            a.completion_due_at,
            c.completion_due(&cal),
            "completion deadline of {c:?}"
        );
        let lalai = c.crossed(100).then(|| c.fr_due());
        assert_eq!(a.negligent_at, lalai, "lalai mark of {c:?}");
    }
    // A few by hand (a slot's kind is fixed: slot % 3).
    let hand = |slot: usize| {
        bulk.iter()
            .find(|c| {
                c.created == start() + TimeDelta::hours(slot as i64) + TimeDelta::minutes(7)
                    && !c.field_check
                    && c.wait.is_none()
            })
            .cloned()
            .unwrap()
    };
    let check = |c: Case, kind: &'static str, due: &'static str| {
        let store = store.clone();
        async move {
            assert_eq!(c.kind, kind);
            let a = &store.assignments(c.report).await.unwrap()[0];
            assert_eq!(a.completion_due_at, Some(wib(due)), "{c:?}");
        }
    };
    // Mon 21 Dec 01:07, an aspiration, 5 working days: 22, 23, (24 cuti bersama, 25 Christmas,
    // the weekend) 28, 29, 30 → Wed 30 Dec 01:07.
    check(hand(1), "aspirasi", "2026-12-30 01:07").await;
    // Mon 21 Dec 00:07, a complaint, 14 working days: 22, 23, 28-31, 4 Jan, (5 Jan Isra Mikraj)
    // 6, 7, 8, 11, 12, 13, 14 → Thu 14 Jan 2027 00:07.
    check(hand(0), "pengaduan", "2027-01-14 00:07").await;
    // Thu 24 Dec 06:07 is cuti bersama: the 14 working days are 28 Dec to 18 Jan (1 and 5 Jan
    // off), all of each; due at the start of Tue 19 Jan.
    check(hand(78), "pengaduan", "2027-01-19 00:00").await;
    // Sat 26 Dec 11:07, an information request: 28, 29, 30, 31 Dec, 4 Jan → due at the start
    // of Wed 6 Jan.
    check(hand(131), "permintaan_informasi", "2027-01-06 00:00").await;

    // ---- auto-close across Christmas -----------------------------------------------------------
    // Ten working days after Thu 10 Dec 11:00: 11, 14-18, 21, 22, 23, 28 → Mon 28 Dec 11:00.
    // After Fri 11 Dec 15:30: 14-18, 21, 22, 23, 28, 29 → Tue 29 Dec 15:30.
    for (c, closes) in [
        (&finished[0], "2026-12-28 11:00"),
        (&finished[1], "2026-12-29 15:30"),
    ] {
        let rec = store.report(c.report).await.unwrap().unwrap();
        assert_eq!(rec.status, ReportStatus::Ditutup, "{c:?}");
        assert_eq!(rec.closed_at, Some(wib(closes)));
    }
    // The answered one waits again (until 11 January); the reopened one is being worked.
    assert_eq!(
        store
            .report(finished[2].report)
            .await
            .unwrap()
            .unwrap()
            .status,
        ReportStatus::Selesai
    );
    assert_eq!(
        store.report(reopened.report).await.unwrap().unwrap().status,
        ReportStatus::DibukaKembali
    );

    // ---- the exact notifications -----------------------------------------------------------------
    let mut want = expected_keys(&all, &staff, &cal);
    // Every triage clock of that group ran out: dispatched after 30 hours, or never.
    for (r, at, _) in &triage {
        want.extend(
            desk_tokens(&staff)
                .iter()
                .map(|t| key(*r, 0, "triage", *at, 100, t)),
        );
    }
    let digests = expected_digests(&all, &cal);
    for (agency, day) in digests.keys() {
        let k = staff.kepala_of(agency).unwrap().id;
        for token in [
            "head/email".to_string(),
            format!("u{k}/in_app"),
            format!("u{k}/email"),
        ] {
            want.push(format!("digest:{agency}:{day}:{token}"));
        }
    }
    assert_keys(&sent_keys(&sender), &want, "notifications");
    // And what each digest said.
    for n in sender
        .sent()
        .iter()
        .filter(|n| n.action == "digest" && n.idempotency_key.ends_with(":head/email"))
    {
        let parts: Vec<&str> = n.idempotency_key.split(':').collect();
        let day: NaiveDate = parts[2].parse().unwrap();
        let agency = AGENCIES.iter().find(|a| **a == parts[1]).unwrap();
        let (overdue, today) = digests[&(*agency, day)];
        assert!(
            n.subject.ends_with(&format!(
                "{overdue} terlambat, {today} jatuh tempo hari ini"
            )),
            "{}: {}",
            n.idempotency_key,
            n.subject
        );
    }
    tanggap_store::verify_audit_chain(store.as_ref())
        .await
        .unwrap();
}
