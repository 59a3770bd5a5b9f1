//! `Lang::from_accept_language` on any header value: it never fails, and the language it picks
//! is one the header names (`id`/`in`/`en`, any case, before a region subtag or a weight), and
//! the first such.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_service::Lang;

fuzz_target!(|data: &[u8]| {
    let Some(header) = tanggap_fuzz::text(data) else {
        return;
    };
    let picked = Lang::from_accept_language(header);
    let first = header
        .split(',')
        .map(|part| part.split(';').next().unwrap_or(""))
        .map(|tag| {
            tag.trim()
                .split('-')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .find_map(|primary| match primary.as_str() {
            "id" | "in" => Some(Lang::Id),
            "en" => Some(Lang::En),
            _ => None,
        });
    assert_eq!(picked, first, "{header:?}");
});
