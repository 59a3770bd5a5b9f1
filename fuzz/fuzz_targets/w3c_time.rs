//! The W3C (RFC 3339) times that Open311 and the webhook connector read (`updated_datetime`,
//! `start_date`, `updated_at`): any text either fails or gives a time that, written the way
//! Tanggap writes times, reads back to the same second, and whose offset was honoured (a leap
//! second, `:60`, reads as the start of the next second: a finding of this target).
#![no_main]

use chrono::Timelike;
use libfuzzer_sys::fuzz_target;
use tanggap_channels::connectors::{parse_time, w3c};

fuzz_target!(|data: &[u8]| {
    let Some(text) = tanggap_fuzz::text(data) else {
        return;
    };
    let Some(t) = parse_time(text) else {
        return;
    };
    let written = w3c(t);
    let back = parse_time(&written).expect("what we write reads back");
    assert_eq!(back, t.with_nanosecond(0).unwrap(), "{text:?} -> {written}");
    // Read in any offset, the instant is chrono's own reading, to the microsecond.
    let direct = chrono::DateTime::parse_from_rfc3339(text.trim()).expect("parsed above");
    assert_eq!(direct.timestamp_micros(), t.timestamp_micros());
});
