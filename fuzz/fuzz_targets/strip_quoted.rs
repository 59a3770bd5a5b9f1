//! `strip_quoted` on any text: what it keeps is trimmed and is either the whole text, trimmed,
//! or the start of it (its lines' `\r\n` read as `\n`): the new words come first.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_channels::inbound::strip_quoted;

fuzz_target!(|data: &[u8]| {
    let Some(text) = tanggap_fuzz::text(data) else {
        return;
    };
    let kept = strip_quoted(text);
    assert_eq!(kept, kept.trim());
    let lines = text.replace("\r\n", "\n");
    assert!(
        kept == text.trim() || lines.trim_start().starts_with(&kept),
        "{kept:?} is not the start of {text:?}"
    );
    assert!(kept.len() <= text.len());
});
