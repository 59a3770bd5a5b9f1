//! `normalize_phone` on any text: a number is `+` and 8 to 15 digits (Indonesian ones `+62`
//! and 7 to 12 more, no leading zero), and normalising it again changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_domain::phone::normalize_phone;

fuzz_target!(|data: &[u8]| {
    let Some(text) = tanggap_fuzz::text(data) else {
        return;
    };
    if let Ok(n) = normalize_phone(text) {
        let digits = n.strip_prefix('+').expect("E.164 starts with +");
        assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{n}");
        if let Some(national) = digits.strip_prefix("62") {
            assert!((7..=12).contains(&national.len()), "{n}");
            assert!(!national.starts_with('0'), "{n}");
        } else {
            assert!((8..=15).contains(&digits.len()), "{n}");
        }
        assert_eq!(normalize_phone(&n).as_deref(), Ok(n.as_str()));
    }
});
