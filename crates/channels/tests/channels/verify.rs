//! Signatures and secrets, against vectors computed outside this crate.

use tanggap_channels::verify::{
    VerifyError, meta_signature, meta_subscription, shared_secret, sign_meta, sign_twilio, sign_x,
    telegram_secret, twilio_signature, x_signature,
};

use crate::support::pairs;

const META_SECRET: &str = "app-secret-0123";
const META_BODY: &[u8] = br#"{"object":"whatsapp_business_account","entry":[]}"#;
// python3 -c 'import hmac,hashlib; print("sha256="+hmac.new(b"app-secret-0123",
//   b"{\"object\":\"whatsapp_business_account\",\"entry\":[]}", hashlib.sha256).hexdigest())'
const META_SIGNATURE: &str =
    "sha256=84199fbd4a1e11c21a139a9c021114d2008bfe4fdd754bc12ad059ac5c52d31f";

const X_SECRET: &str = "consumer-secret-xyz";
const X_BODY: &[u8] = br#"{"for_user_id":"1","direct_message_events":[]}"#;
// python3 -c 'import hmac,hashlib,base64; print("sha256="+base64.b64encode(hmac.new(
//   b"consumer-secret-xyz", b"{\"for_user_id\":\"1\",\"direct_message_events\":[]}",
//   hashlib.sha256).digest()).decode())'
const X_SIGNATURE: &str = "sha256=WtzXOH5xcW3xy5zw8tFZO/8GGOlOCR8tsNtxWAIa9Sc=";
// The same over the CRC token `9b4507b3-8c6e-4f1a`.
const X_CRC_RESPONSE: &str = "sha256=cmPUTLcM/fkkJSUpqn7L5ysVt8jV/bU1XiqmeUM4Wt0=";

/// Twilio's own example (the auth token `12345`), as the validators in Twilio's SDKs test it
/// (twilio-python `tests/unit/test_request_validator.py`, twilio-php `RequestValidatorTest`).
const TWILIO_TOKEN: &str = "12345";
const TWILIO_URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
const TWILIO_SIGNATURE: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

fn twilio_params() -> Vec<(String, String)> {
    // Out of order on purpose: the signature orders them.
    pairs(&[
        ("To", "+18005551212"),
        ("CallSid", "CA1234567890ABCDE"),
        ("From", "+14158675309"),
        ("Digits", "1234"),
        ("Caller", "+14158675309"),
    ])
}

fn flip_one_byte(body: &[u8], at: usize) -> Vec<u8> {
    let mut tampered = body.to_vec();
    tampered[at] ^= 0x01;
    tampered
}

#[test]
fn meta_matches_an_independent_vector() {
    assert_eq!(sign_meta(META_SECRET, META_BODY), META_SIGNATURE);
    assert_eq!(
        meta_signature(META_SECRET, Some(META_SIGNATURE), META_BODY),
        Ok(())
    );
    // Hex digits in upper case are the same bytes.
    let upper = format!("sha256={}", META_SIGNATURE[7..].to_uppercase());
    assert_eq!(meta_signature(META_SECRET, Some(&upper), META_BODY), Ok(()));
}

#[test]
fn meta_refusals() {
    let check = |header: Option<&str>, body: &[u8]| meta_signature(META_SECRET, header, body);
    assert_eq!(check(None, META_BODY), Err(VerifyError::Missing));
    assert_eq!(check(Some(""), META_BODY), Err(VerifyError::Missing));
    assert_eq!(
        meta_signature("", Some(META_SIGNATURE), META_BODY),
        Err(VerifyError::Missing)
    );
    assert_eq!(
        meta_signature("another-secret", Some(META_SIGNATURE), META_BODY),
        Err(VerifyError::Invalid)
    );
    for i in [0, META_BODY.len() / 2, META_BODY.len() - 1] {
        assert_eq!(
            check(Some(META_SIGNATURE), &flip_one_byte(META_BODY, i)),
            Err(VerifyError::Invalid)
        );
    }
    let hex_mac = &META_SIGNATURE[7..];
    for header in [
        hex_mac.to_string(),                    // no prefix
        format!("sha1={hex_mac}"),              // the old header's prefix
        format!("SHA256={hex_mac}"),            // the prefix is lower case
        format!("sha256={}", &hex_mac[..62]),   // one byte short
        format!("sha256={hex_mac}00"),          // one byte long
        format!("sha256={}zz", &hex_mac[..62]), // not hex
        format!("sha256={}", &hex_mac[..63]),   // odd length
        "sha256=".to_string(),                  // nothing after the prefix
    ] {
        assert_eq!(
            check(Some(&header), META_BODY),
            Err(VerifyError::Invalid),
            "{header}"
        );
    }
}

#[test]
fn meta_subscription_echoes_the_challenge_for_the_right_token() {
    let token = "tanggap-verify-T0k3n";
    assert_eq!(
        meta_subscription(
            "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=tanggap-verify-T0k3n",
            token
        ),
        Ok("1158201444".to_string())
    );
    // Percent-encoded, in any order.
    assert_eq!(
        meta_subscription(
            "hub.verify_token=a%20b%26c&hub.challenge=ch%2Fx&hub.mode=subscribe",
            "a b&c"
        ),
        Ok("ch/x".to_string())
    );
    let refused = |q: &str| meta_subscription(q, token);
    assert_eq!(
        refused("hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong"),
        Err(VerifyError::Invalid)
    );
    assert_eq!(
        refused("hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=tanggap-verify-T0k3n"),
        Err(VerifyError::Invalid)
    );
    assert_eq!(
        refused("hub.mode=subscribe&hub.verify_token=tanggap-verify-T0k3n"),
        Err(VerifyError::Invalid)
    );
    assert_eq!(
        refused("hub.mode=subscribe&hub.challenge=1"),
        Err(VerifyError::Missing)
    );
    assert_eq!(
        refused("hub.mode=subscribe&hub.challenge=1&hub.verify_token="),
        Err(VerifyError::Missing)
    );
    assert_eq!(refused(""), Err(VerifyError::Missing));
    assert_eq!(
        meta_subscription("hub.mode=subscribe&hub.challenge=1&hub.verify_token=", ""),
        Err(VerifyError::Missing)
    );
}

#[test]
fn telegram_and_shared_secrets() {
    let secret = "Tg_secret-2023_abcDEF";
    assert_eq!(telegram_secret(secret, Some(secret)), Ok(()));
    assert_eq!(telegram_secret(secret, None), Err(VerifyError::Missing));
    assert_eq!(telegram_secret(secret, Some("")), Err(VerifyError::Missing));
    assert_eq!(telegram_secret("", Some(secret)), Err(VerifyError::Missing));
    assert_eq!(
        telegram_secret(secret, Some("Tg_secret-2023_abcDEG")),
        Err(VerifyError::Invalid)
    );
    assert_eq!(
        telegram_secret(secret, Some("Tg_secret-2023_abcDE")),
        Err(VerifyError::Invalid)
    );
    assert_eq!(
        telegram_secret(secret, Some("tg_secret-2023_abcdef")),
        Err(VerifyError::Invalid)
    );
    assert_eq!(shared_secret("p4th-s3cret", Some("p4th-s3cret")), Ok(()));
    assert_eq!(
        shared_secret("p4th-s3cret", Some("p4th-s3cre")),
        Err(VerifyError::Invalid)
    );
    assert_eq!(
        shared_secret("p4th-s3cret", None),
        Err(VerifyError::Missing)
    );
}

#[test]
fn twilio_matches_twilios_published_example() {
    assert_eq!(
        sign_twilio(TWILIO_TOKEN, TWILIO_URL, &twilio_params()),
        TWILIO_SIGNATURE
    );
    assert_eq!(
        twilio_signature(
            TWILIO_TOKEN,
            TWILIO_URL,
            &twilio_params(),
            Some(TWILIO_SIGNATURE)
        ),
        Ok(())
    );
}

#[test]
fn twilio_repeated_parameters_match_twilios_published_example() {
    // Also from twilio-python's and twilio-php's tests: a name given several times is ordered
    // by value and a repeated pair counts once.
    let params = pairs(&[
        ("Sid", "CA123"),
        ("SidAccount", "AC123"),
        ("Digits", "5678"),
        ("Digits", "1234"),
        ("Digits", "1234"),
    ]);
    assert_eq!(
        sign_twilio(TWILIO_TOKEN, TWILIO_URL, &params),
        "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    );
}

#[test]
fn twilio_refusals() {
    let check = |url: &str, params: &[(String, String)], header: Option<&str>| {
        twilio_signature(TWILIO_TOKEN, url, params, header)
    };
    let params = twilio_params();
    assert_eq!(check(TWILIO_URL, &params, None), Err(VerifyError::Missing));
    assert_eq!(
        check(TWILIO_URL, &params, Some(" ")),
        Err(VerifyError::Missing)
    );
    assert_eq!(
        twilio_signature("", TWILIO_URL, &params, Some(TWILIO_SIGNATURE)),
        Err(VerifyError::Missing)
    );
    // Another URL, a changed value, an added parameter.
    assert_eq!(
        check(
            &format!("{TWILIO_URL}&x=1"),
            &params,
            Some(TWILIO_SIGNATURE)
        ),
        Err(VerifyError::Invalid)
    );
    let mut changed = params.clone();
    changed[3].1 = "1235".into();
    assert_eq!(
        check(TWILIO_URL, &changed, Some(TWILIO_SIGNATURE)),
        Err(VerifyError::Invalid)
    );
    let mut added = params.clone();
    added.push(("Body".into(), "".into()));
    assert_eq!(
        check(TWILIO_URL, &added, Some(TWILIO_SIGNATURE)),
        Err(VerifyError::Invalid)
    );
    for header in [
        "RSOYDt4T1cUTdK1PDd93/VVr8B8",   // unpadded
        "RSOYDt4T1cUTdK1PDd93/VVr8B8=x", // trailing junk
        "not base64 at all!",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", // right length, wrong bytes
        "UlNPWUR0NFQxY1VUZEsxUERkOTMvVlZyOEI4PQ==", // the signature encoded twice
    ] {
        assert_eq!(
            check(TWILIO_URL, &params, Some(header)),
            Err(VerifyError::Invalid),
            "{header}"
        );
    }
}

#[test]
fn x_matches_independent_vectors_including_the_crc_answer() {
    assert_eq!(sign_x(X_SECRET, X_BODY), X_SIGNATURE);
    assert_eq!(x_signature(X_SECRET, Some(X_SIGNATURE), X_BODY), Ok(()));
    assert_eq!(sign_x(X_SECRET, b"9b4507b3-8c6e-4f1a"), X_CRC_RESPONSE);
}

#[test]
fn x_refusals() {
    let check = |header: Option<&str>, body: &[u8]| x_signature(X_SECRET, header, body);
    assert_eq!(check(None, X_BODY), Err(VerifyError::Missing));
    assert_eq!(check(Some(""), X_BODY), Err(VerifyError::Missing));
    assert_eq!(
        x_signature("", Some(X_SIGNATURE), X_BODY),
        Err(VerifyError::Missing)
    );
    assert_eq!(
        check(Some(X_SIGNATURE), &flip_one_byte(X_BODY, 3)),
        Err(VerifyError::Invalid)
    );
    let b64 = &X_SIGNATURE[7..];
    for header in [
        b64.to_string(),
        format!("sha1={b64}"),
        format!("sha256={}", &b64[..b64.len() - 1]),
        "sha256=***".to_string(),
        // The hex form Meta uses is not X's.
        sign_meta(X_SECRET, X_BODY),
    ] {
        assert_eq!(
            check(Some(&header), X_BODY),
            Err(VerifyError::Invalid),
            "{header}"
        );
    }
}
