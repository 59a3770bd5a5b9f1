//! `tanggap_channels::inbound::email` on any body: no panic, and what it returns keeps the
//! shared rules (ids bounded, words cleaned, media and places bounded) and stores as JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Ok(inbound) = tanggap_channels::inbound::email(body) {
        tanggap_fuzz::check_inbound(&inbound);
    }
});
