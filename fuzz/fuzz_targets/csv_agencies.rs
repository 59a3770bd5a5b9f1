//! `parse_agencies` on any text: agencies written back as CSV (the governed region in the
//! note as `region CODE`) parse to the same agencies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_service::reference::parse_agencies;

fuzz_target!(|data: &[u8]| {
    let Some(text) = tanggap_fuzz::text(data) else {
        return;
    };
    let Ok(agencies) = parse_agencies(text) else {
        return;
    };
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(["id", "name", "kind", "parent_id", "note"])
        .unwrap();
    for a in &agencies {
        assert_ne!(a.parent_id.as_deref(), Some(""));
        let note = a
            .region_code
            .as_ref()
            .map(|code| {
                assert!(
                    !code.is_empty() && !code.contains(char::is_whitespace),
                    "{code:?}"
                );
                format!("region {code}")
            })
            .unwrap_or_default();
        w.write_record([
            a.id.as_str(),
            a.name.as_str(),
            a.kind.as_str(),
            a.parent_id.as_deref().unwrap_or(""),
            note.as_str(),
        ])
        .unwrap();
    }
    let written = String::from_utf8(w.into_inner().unwrap()).unwrap();
    assert_eq!(parse_agencies(&written).unwrap(), agencies, "{written}");
});
