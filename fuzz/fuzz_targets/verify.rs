//! Webhook signatures and secrets (`tanggap_channels::verify`): `secret \0 header \0 body`.
//! Any header is refused or accepted without a panic; a header accepted for Meta or X is the
//! one that `sign_*` computes; what `sign_*` computes is accepted; the subscription check only
//! echoes a challenge when the token matched.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_channels::verify::*;

fuzz_target!(|data: &[u8]| {
    let [secret, header, body] = tanggap_fuzz::fields::<3>(data);
    let (Some(secret), Some(header)) = (tanggap_fuzz::text(secret), tanggap_fuzz::text(header))
    else {
        return;
    };
    let configured = !secret.is_empty();

    if meta_signature(secret, Some(header), body).is_ok() {
        let want = sign_meta(secret, body);
        assert_eq!(header.trim().to_ascii_lowercase(), want);
    }
    if x_signature(secret, Some(header), body).is_ok() {
        assert!(configured);
    }
    assert_eq!(
        meta_signature(secret, Some(&sign_meta(secret, body)), body).is_ok(),
        configured
    );
    assert_eq!(
        x_signature(secret, Some(&sign_x(secret, body)), body).is_ok(),
        configured
    );
    if telegram_secret(secret, Some(header)).is_ok() {
        assert_eq!(header.trim(), secret);
    }
    if let Ok(params) = tanggap_channels::inbound::form_params(body) {
        let _ = twilio_signature(secret, "https://t.example/", &params, Some(header));
        let signed = sign_twilio(secret, "https://t.example/", &params);
        assert_eq!(
            twilio_signature(secret, "https://t.example/", &params, Some(&signed)).is_ok(),
            configured
        );
    }
    if let Ok(challenge) = meta_subscription(header, secret) {
        assert!(configured && !challenge.is_empty());
    }
});
