//! The desk assistant's cost per report with a large history (issue 18: under 5 ms per
//! suggestion with 100,000 reports in the history).
//!
//! A history of N dispatched reports is made from the labelled complaints shipped with the
//! binary (each copy gets words of other complaints and a number, so no two are alike), spread
//! over three years in their own kabupaten/kota. The router and the word rarities are trained
//! on all of it (as the running system does, from the latest 50,000 by default; here from all
//! N). Then, for each of Q new reports, one suggestion is what the staff page asks for: the three
//! routing suggestions, and the likely duplicates among the open reports the store returns for
//! its kabupaten/kota within the window (at most 300, the newest; here the history's reports of
//! that kabupaten/kota in the 30 days before, as the store's query would return them). The
//! database query itself is measured by `bench/reads.sh` (staff page).
//!
//! Usage: `cargo bench -p tanggap --bench assistant -- [--history 100000] [--queries 2000]`.

use chrono::{DateTime, TimeDelta, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::time::Instant;
use tanggap_assist::duplicates::likely_duplicate;
use tanggap_assist::{DuplicateSettings, Example, Fingerprint, Rarity, Router};

const COMPLAINTS: &str = include_str!("../../../reference/jateng/complaints-dev.jsonl");

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The kabupaten/kota part of a region code (the province for `33`).
fn kab(code: &str) -> String {
    code.split('.').take(2).collect::<Vec<_>>().join(".")
}

fn main() {
    let n = arg("--history", 100_000);
    let queries = arg("--queries", 2_000);
    let lines = tanggap_assist::eval::parse_jsonl(COMPLAINTS).unwrap();
    let knowledge = tanggap_service::assist::jateng_knowledge().unwrap();
    let vocabulary: Vec<&str> = lines
        .iter()
        .flat_map(|l| l.body.split_whitespace())
        .collect();
    let mut rng = StdRng::seed_from_u64(18);
    let now: DateTime<Utc> = DateTime::from_timestamp(1_796_000_000, 0).unwrap();
    let make = |i: usize, rng: &mut StdRng| {
        let l = &lines[rng.gen_range(0..lines.len())];
        let extra: Vec<&str> = vocabulary.choose_multiple(rng, 6).copied().collect();
        let at = now - TimeDelta::minutes(rng.gen_range(0..3 * 365 * 24 * 60));
        (
            Example {
                title: l.title.clone(),
                body: format!("{} {} nomor {i}", l.body, extra.join(" ")),
                region_code: l.region_code.clone(),
                category: l.category.clone(),
                agency_id: l.agency_id.clone(),
            },
            at,
        )
    };
    let history: Vec<(Example, DateTime<Utc>)> = (0..n).map(|i| make(i, &mut rng)).collect();

    let started = Instant::now();
    let examples: Vec<Example> = history.iter().map(|(e, _)| e.clone()).collect();
    let router = Router::train(&knowledge, &examples);
    let mut rarity = Rarity::default();
    let mut by_kab: HashMap<String, Vec<(Fingerprint, DateTime<Utc>)>> = HashMap::new();
    for (e, at) in &history {
        let mut f = Fingerprint::new(&e.title, &e.body, &e.region_code);
        rarity.add(&f);
        f.created_at = Some(*at);
        by_kab
            .entry(kab(&e.region_code))
            .or_default()
            .push((f, *at));
    }
    for v in by_kab.values_mut() {
        v.sort_by_key(|(_, at)| std::cmp::Reverse(*at));
    }
    let trained = started.elapsed();

    let settings = DuplicateSettings::default();
    let window = TimeDelta::days(settings.window_days);
    let mut times = Vec::with_capacity(queries);
    let (mut shown, mut compared) = (0usize, 0usize);
    for q in 0..queries {
        let (new, _) = make(n + q, &mut rng);
        let at = now - TimeDelta::days(rng.gen_range(0..3 * 365));
        let t = Instant::now();
        let suggestions = router.suggest(&new.title, &new.body, &new.region_code);
        let mut me = Fingerprint::new(&new.title, &new.body, &new.region_code);
        me.created_at = Some(at);
        let candidates: Vec<&Fingerprint> = by_kab
            .get(&kab(&new.region_code))
            .map(|v| {
                v.iter()
                    .filter(|(_, c)| *c <= at && *c >= at - window)
                    .take(300)
                    .map(|(f, _)| f)
                    .collect()
            })
            .unwrap_or_default();
        compared += candidates.len();
        let rare = |w: &str| rarity.of(w);
        let mut found: Vec<f64> = candidates
            .iter()
            .filter_map(|c| likely_duplicate(&me, c, &rare, &settings).map(|l| l.score))
            .collect();
        found.sort_by(|a, b| b.total_cmp(a));
        found.truncate(5);
        shown += found.len();
        times.push(t.elapsed());
        assert!(!suggestions.is_empty());
    }
    times.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let mean = times.iter().map(|d| ms(*d)).sum::<f64>() / times.len() as f64;
    println!(
        "history {n} reports: trained in {:.1} s ({} dispatches learned)",
        trained.as_secs_f64(),
        router.trained_on
    );
    println!(
        "{queries} suggestions (routing + duplicates among {:.0} candidates on average, {:.2} shown): mean {:.3} ms, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        compared as f64 / queries as f64,
        shown as f64 / queries as f64,
        mean,
        ms(times[times.len() / 2]),
        ms(times[times.len() * 99 / 100]),
        ms(times[times.len() - 1])
    );
}
