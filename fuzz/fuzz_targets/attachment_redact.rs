//! `tanggap_attachments::redact`: four bytes of area (x, y, w, h in percent), then the
//! picture. A copy that comes out is a JPEG or PNG that `clean` accepts unchanged in type,
//! and carries no metadata (checked as a cleaned file is).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_attachments::{Area, Limits, clean, redact};

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let pct = |b: u8| f64::from(b % 101);
    let area = Area {
        x: pct(data[0]),
        y: pct(data[1]),
        w: pct(data[2]).max(1.0),
        h: pct(data[3]).max(1.0),
    };
    let areas = if area.is_valid() { vec![area] } else { vec![] };
    if let Ok(copy) = redact(&data[4..], "foto.webp", &areas) {
        let cleaned = clean(&copy.bytes, &copy.filename, &Limits::default())
            .expect("a redacted copy is a clean picture");
        assert_eq!(cleaned.content_type, copy.content_type);
        match copy.content_type {
            "image/jpeg" => tanggap_fuzz::check_clean_jpeg(&copy.bytes),
            "image/png" => tanggap_fuzz::check_clean_png(&copy.bytes),
            other => panic!("a redacted copy is {other}"),
        }
    }
});
