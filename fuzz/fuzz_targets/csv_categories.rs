//! `parse_categories` on any text: keywords are trimmed, non-empty and free of `;`, and the
//! categories written back as CSV parse to the same categories.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_service::reference::parse_categories;

fuzz_target!(|data: &[u8]| {
    let Some(text) = tanggap_fuzz::text(data) else {
        return;
    };
    let Ok(categories) = parse_categories(text) else {
        return;
    };
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record([
        "code",
        "name_id",
        "name_en",
        "default_agency_id",
        "needs_field_check",
        "keywords",
    ])
    .unwrap();
    for c in &categories {
        for k in &c.keywords {
            assert!(!k.is_empty() && k == k.trim() && !k.contains(';'), "{k:?}");
        }
        w.write_record([
            c.code.as_str(),
            c.name_id.as_str(),
            c.name_en.as_str(),
            c.default_agency_id.as_deref().unwrap_or(""),
            if c.needs_field_check { "true" } else { "false" },
            c.keywords.join(";").as_str(),
        ])
        .unwrap();
    }
    let written = String::from_utf8(w.into_inner().unwrap()).unwrap();
    assert_eq!(parse_categories(&written).unwrap(), categories, "{written}");
});
