//! `parse_regions` on any text: every region has a valid Kemendagri code, and the regions
//! written back as CSV parse to the same regions.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_domain::Region;
use tanggap_service::reference::parse_regions;

fuzz_target!(|data: &[u8]| {
    let Some(text) = tanggap_fuzz::text(data) else {
        return;
    };
    let Ok(regions) = parse_regions(text) else {
        return;
    };
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(["code", "parent_code", "level", "name"])
        .unwrap();
    for r in &regions {
        assert!(Region::is_valid_code(&r.code), "{:?}", r.code);
        assert_ne!(r.parent_code.as_deref(), Some(""));
        w.write_record([
            r.code.as_str(),
            r.parent_code.as_deref().unwrap_or(""),
            r.level.as_str(),
            r.name.as_str(),
        ])
        .unwrap();
    }
    let written = String::from_utf8(w.into_inner().unwrap()).unwrap();
    assert_eq!(parse_regions(&written).unwrap(), regions, "{written}");
});
