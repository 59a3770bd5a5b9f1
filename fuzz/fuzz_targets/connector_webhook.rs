//! The connector webhook's signature header (`t=…,v1=…`) and its W3C times:
//! `secret \0 header \0 body`. A signed body verifies at its own time; any header is refused or
//! accepted without a panic; a W3C time read back from its own writing is the same instant.
#![no_main]

use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use tanggap_channels::connectors::{parse_time, sign, verify, w3c};

fuzz_target!(|data: &[u8]| {
    let [secret, header, body] = tanggap_fuzz::fields::<3>(data);
    let (Some(secret), Some(header)) = (tanggap_fuzz::text(secret), tanggap_fuzz::text(header))
    else {
        return;
    };
    let now = DateTime::from_timestamp(1_764_000_000, 0).unwrap();
    let _ = verify(secret, Some(header), body, now);
    let signed = sign(secret, now, body);
    assert_eq!(verify(secret, Some(&signed), body, now), Ok(()));
    if let Some(t) = parse_time(header) {
        // W3C is written to the second, in UTC; years outside 0001–9998 have no four-digit form
        if (1..=9998).contains(&chrono::Datelike::year(&t)) {
            let to_the_second = DateTime::from_timestamp(t.timestamp(), 0).unwrap();
            assert_eq!(parse_time(&w3c(t)), Some(to_the_second));
        }
    }
});
