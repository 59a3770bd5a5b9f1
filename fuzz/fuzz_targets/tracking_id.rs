//! `TrackingId::parse` and `TrackingId::find_in` on any text: an ID parsed is in its canonical
//! form (`PREFIX-` and ten Crockford symbols), prints as it parses, and parses back to itself,
//! also lower-cased and with hyphens between the symbols (as people type it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_domain::ids::{TRACKING_SYMBOLS, TrackingId};

fn check(id: &TrackingId) {
    let s = id.to_string();
    assert_eq!(s, id.as_str());
    let (prefix, symbols) = s.split_once('-').expect("a canonical ID has a hyphen");
    assert!(
        !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_uppercase()),
        "{s}"
    );
    assert_eq!(symbols.len(), TRACKING_SYMBOLS, "{s}");
    assert!(
        symbols
            .bytes()
            .all(|b| b"0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(&b)),
        "{s}"
    );
    assert_eq!(TrackingId::parse(&s).as_ref(), Ok(id));
    assert_eq!(TrackingId::parse(&s.to_lowercase()).as_ref(), Ok(id));
    let typed = format!("{prefix}-{}-{}", &symbols[..5], &symbols[5..]);
    assert_eq!(TrackingId::parse(&typed).as_ref(), Ok(id), "{typed}");
}

fuzz_target!(|data: &[u8]| {
    let Some(text) = tanggap_fuzz::text(data) else {
        return;
    };
    if let Ok(id) = TrackingId::parse(text) {
        check(&id);
    }
    for prefix in ["LG", "lg", "A"] {
        if let Some(id) = TrackingId::find_in(text, prefix) {
            check(&id);
            assert!(
                id.as_str()
                    .starts_with(&format!("{}-", prefix.to_ascii_uppercase()))
            );
        }
    }
});
