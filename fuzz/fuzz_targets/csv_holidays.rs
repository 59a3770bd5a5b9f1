//! `parse_holidays` on any text: holidays written back as CSV (dates as `YYYY-MM-DD`) parse to
//! the same holidays.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_service::reference::parse_holidays;

fuzz_target!(|data: &[u8]| {
    let Some(text) = tanggap_fuzz::text(data) else {
        return;
    };
    let Ok(holidays) = parse_holidays(text) else {
        return;
    };
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(["date", "kind", "name"]).unwrap();
    for h in &holidays {
        w.write_record([
            h.date.to_string().as_str(),
            h.kind.as_str(),
            h.name.as_str(),
        ])
        .unwrap();
    }
    let written = String::from_utf8(w.into_inner().unwrap()).unwrap();
    assert_eq!(parse_holidays(&written).unwrap(), holidays, "{written}");
});
