//! Twilio: a form body through `form_params` and `twilio`. Besides the shared rules: the body's
//! parameters, signed as Twilio signs them, verify; and written back as a form, read the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_channels::inbound::{form_params, twilio};
use tanggap_channels::verify::{sign_twilio, twilio_signature};

const URL: &str = "https://tanggap.example/webhooks/twilio";

fuzz_target!(|body: &[u8]| {
    let Ok(params) = form_params(body) else {
        return;
    };
    let again = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter())
        .finish();
    assert_eq!(form_params(again.as_bytes()).ok(), Some(params.clone()));
    let signature = sign_twilio("token", URL, &params);
    assert_eq!(
        twilio_signature("token", URL, &params, Some(&signature)),
        Ok(())
    );
    if let Ok(inbound) = twilio(&params) {
        tanggap_fuzz::check_inbound(&inbound);
    }
});
