//! `parse_status_map` (a connector's `--status-map REMOTE=stage,…`) on any text: what it accepts
//! keeps the default map, names remote statuses in upper case (letters, digits, `_`, `-`, at most
//! 64), maps only to the stages an agency's system may report, and written back in the same
//! form parses to the same map.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_domain::Stage;
use tanggap_service::connectors::{default_status_map, parse_status_map};

fuzz_target!(|data: &[u8]| {
    let Some(text) = tanggap_fuzz::text(data) else {
        return;
    };
    let Some(map) = parse_status_map(text) else {
        return;
    };
    let defaults = default_status_map();
    for k in defaults.keys() {
        assert!(map.contains_key(k), "{k} dropped from the default map");
    }
    for (remote, stage) in &map {
        assert!(
            !remote.is_empty()
                && remote.len() <= 64
                && remote
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '-'),
            "{remote:?}"
        );
        assert!(
            matches!(
                stage,
                Stage::Verifikasi
                    | Stage::CekLapangan
                    | Stage::Pengerjaan
                    | Stage::Tuntas
                    | Stage::BukanWewenang
            ),
            "{remote} maps to {stage:?}"
        );
    }
    let written = map
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str()))
        .collect::<Vec<_>>()
        .join(",");
    assert_eq!(parse_status_map(&written).as_ref(), Some(&map), "{written}");
});
