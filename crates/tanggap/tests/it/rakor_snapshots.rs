//! The quarterly rakor report of the demo data, as CSV and as HTML, against snapshots kept in
//! `tests/it/snapshots/`, on both databases (the same file for both: the figures are counted in
//! SQL by each). The demo is loaded at a fixed instant in October 2026, so its reports span the
//! end of the third quarter and the start of the fourth; the report is that of 2026-Q4 with
//! 2026-Q3 as the quarter before. Tracking IDs and the audit hash are drawn at random on each run:
//! they are replaced by placeholders in the order they appear.
//!
//! After an intended change: `TANGGAP_UPDATE_SNAPSHOTS=1 cargo test -p tanggap --test it
//! rakor_snapshots`, then read the diff before committing it.

use crate::common::TestApp;
use crate::on_both_backends;
use chrono::{NaiveDateTime, Utc};
use std::collections::HashMap;
use std::path::PathBuf;
use tanggap_service::Caller;

on_both_backends!(the_demo_quarter_matches_its_snapshots);

/// Tracking IDs become `LG-#1`, `LG-#2`… by first appearance; 64-digit hex hashes `HASH`.
fn normalise(text: &str) -> String {
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(tail) = rest.strip_prefix("LG-") {
            let n = tail
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(tail.len());
            if n >= 6 {
                let next = ids.len() + 1;
                let k = *ids.entry(tail[..n].to_string()).or_insert(next);
                out.push_str(&format!("LG-#{k}"));
                rest = &tail[n..];
                continue;
            }
        }
        let hex = rest
            .find(|c: char| !matches!(c, '0'..='9' | 'a'..='f'))
            .unwrap_or(rest.len());
        if hex == 64 {
            out.push_str("HASH");
            rest = &rest[64..];
            continue;
        }
        let c = rest.chars().next().unwrap();
        out.push(c);
        rest = &rest[c.len_utf8()..];
        // Skip the rest of a run of hex digits that is not a hash, so a hash is only ever
        // matched from its first digit.
        if hex > 1 && c.is_ascii_hexdigit() {
            out.push_str(&rest[..hex - 1]);
            rest = &rest[hex - 1..];
        }
    }
    out
}

fn check(name: &str, got: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/snapshots")
        .join(name);
    if std::env::var("TANGGAP_UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}: run with TANGGAP_UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    if want != got {
        let line = want
            .lines()
            .zip(got.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(want.lines().count().min(got.lines().count()));
        panic!(
            "{name} differs from its snapshot from line {}:\n want: {:?}\n  got: {:?}",
            line + 1,
            want.lines().nth(line),
            got.lines().nth(line)
        );
    }
}

async fn the_demo_quarter_matches_its_snapshots(app: &TestApp) {
    let at = NaiveDateTime::parse_from_str("2026-10-12 09:30", "%Y-%m-%d %H:%M")
        .unwrap()
        .and_local_timezone(chrono_tz::Asia::Jakarta)
        .unwrap()
        .with_timezone(&Utc);
    app.clock.set(at);
    app.services.load_demo().await.unwrap();
    let report = app
        .services
        .quarterly_report(&Caller::System, "2026-Q4")
        .await
        .unwrap();
    assert!(
        report.current.total.received > 0 && report.previous.total.received > 0,
        "the demo spans both quarters"
    );
    let csv = normalise(&tanggap_web::rakor::csv(&report).unwrap());
    let html = normalise(&tanggap_web::rakor::html(&report).unwrap());
    assert!(!csv.contains("LG-") || csv.contains("LG-#1"));
    check("rakor-demo-2026-Q4.csv", &csv);
    check("rakor-demo-2026-Q4.html", &html);
}

#[test]
fn normalising_replaces_ids_and_hashes_only() {
    let h = "ab".repeat(32);
    assert_eq!(
        normalise(&format!(
            "LG-ABCDEF12, LG-ZZZZZZ99 LG-ABCDEF12 {h} 2026 cafe"
        )),
        "LG-#1, LG-#2 LG-#1 HASH 2026 cafe"
    );
}
