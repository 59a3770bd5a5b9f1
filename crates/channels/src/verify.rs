//! Who sent a webhook: each provider's signature or secret, checked over the raw bytes in
//! constant time. The `sign_*` functions compute the same values (for the fake providers in the
//! tests, and for X's CRC answer).
//!
//! Every comparison goes through [`subtle::ConstantTimeEq`] on bytes: a signature is decoded
//! (hex or base64) and compared with the expected MAC, a secret's bytes with the expected bytes.
//! An empty configured secret is treated like a missing proof, so that a channel left
//! unconfigured can never accept a request signed with the empty key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Why a request is refused (401 when the proof is missing, 403 when it is wrong; nothing is
/// stored either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the request carries no signature")]
    Missing,
    #[error("the signature does not match")]
    Invalid,
}

/// The prefix of Meta's and X's signature headers.
const SHA256_PREFIX: &str = "sha256=";

/// Meta (WhatsApp, Messenger): `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app_secret, body)>`.
pub fn meta_signature(
    app_secret: &str,
    header: Option<&str>,
    body: &[u8],
) -> Result<(), VerifyError> {
    let (secret, header) = present(app_secret, header)?;
    let hex_mac = header
        .strip_prefix(SHA256_PREFIX)
        .ok_or(VerifyError::Invalid)?;
    let given = hex::decode(hex_mac).map_err(|_| VerifyError::Invalid)?;
    same_bytes(&hmac_sha256(secret.as_bytes(), body), &given)
}

/// The header value Meta would send for `body`.
pub fn sign_meta(app_secret: &str, body: &[u8]) -> String {
    format!(
        "{SHA256_PREFIX}{}",
        hex::encode(hmac_sha256(app_secret.as_bytes(), body))
    )
}

/// Meta's subscription check (`GET ?hub.mode=subscribe&hub.challenge=X&hub.verify_token=T`):
/// the challenge to echo when the token matches.
///
/// `Missing` when no token is configured or the query carries none; `Invalid` when the token
/// differs, `hub.mode` is not `subscribe` or there is no challenge to echo.
pub fn meta_subscription(query: &str, verify_token: &str) -> Result<String, VerifyError> {
    let params: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|_| VerifyError::Invalid)?;
    let param = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let (expected, given) = present(verify_token, param("hub.verify_token"))?;
    same_bytes(expected.as_bytes(), given.as_bytes())?;
    if param("hub.mode") != Some("subscribe") {
        return Err(VerifyError::Invalid);
    }
    match param("hub.challenge") {
        Some(challenge) if !challenge.is_empty() => Ok(challenge.to_string()),
        _ => Err(VerifyError::Invalid),
    }
}

/// Telegram: `X-Telegram-Bot-Api-Secret-Token` equals the secret given to `setWebhook`.
pub fn telegram_secret(expected: &str, header: Option<&str>) -> Result<(), VerifyError> {
    shared_secret(expected, header)
}

/// Twilio: `X-Twilio-Signature` = Base64(HMAC-SHA1(auth_token, url + each POST parameter's name
/// and value, in name order)).
///
/// Parameters are ordered by name, then by value; a name given twice with the same value counts
/// once (as Twilio's own validators do).
pub fn twilio_signature(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    header: Option<&str>,
) -> Result<(), VerifyError> {
    let (token, header) = present(auth_token, header)?;
    let given = BASE64.decode(header).map_err(|_| VerifyError::Invalid)?;
    same_bytes(&twilio_mac(token, url, params), &given)
}

/// The `X-Twilio-Signature` Twilio would send.
pub fn sign_twilio(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    BASE64.encode(twilio_mac(auth_token, url, params))
}

/// X: `x-twitter-webhooks-signature: sha256=<base64(HMAC-SHA256(consumer_secret, body))>`.
pub fn x_signature(
    consumer_secret: &str,
    header: Option<&str>,
    body: &[u8],
) -> Result<(), VerifyError> {
    let (secret, header) = present(consumer_secret, header)?;
    let b64_mac = header
        .strip_prefix(SHA256_PREFIX)
        .ok_or(VerifyError::Invalid)?;
    let given = BASE64.decode(b64_mac).map_err(|_| VerifyError::Invalid)?;
    same_bytes(&hmac_sha256(secret.as_bytes(), body), &given)
}

/// The signature header X would send for `body` (also the CRC answer's `response_token` for a
/// `crc_token`).
pub fn sign_x(consumer_secret: &str, body: &[u8]) -> String {
    format!(
        "{SHA256_PREFIX}{}",
        BASE64.encode(hmac_sha256(consumer_secret.as_bytes(), body))
    )
}

/// A shared secret (the SMS gateway's path secret, the e-mail webhook's token), compared in
/// constant time.
pub fn shared_secret(expected: &str, given: Option<&str>) -> Result<(), VerifyError> {
    let (expected, given) = present(expected, given)?;
    same_bytes(expected.as_bytes(), given.as_bytes())
}

/// The configured secret and the proof the request carries, both non-empty (the proof without
/// surrounding whitespace), or `Missing`.
fn present<'a, 'b>(
    secret: &'a str,
    proof: Option<&'b str>,
) -> Result<(&'a str, &'b str), VerifyError> {
    let proof = proof.map(str::trim).filter(|p| !p.is_empty());
    match proof {
        Some(proof) if !secret.is_empty() => Ok((secret, proof)),
        _ => Err(VerifyError::Missing),
    }
}

/// Constant time over the bytes (only the lengths, which are public, may end it early).
fn same_bytes(expected: &[u8], given: &[u8]) -> Result<(), VerifyError> {
    if bool::from(expected.ct_eq(given)) {
        Ok(())
    } else {
        Err(VerifyError::Invalid)
    }
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length (longer ones are hashed), so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn twilio_mac(auth_token: &str, url: &str, params: &[(String, String)]) -> Vec<u8> {
    let mut sorted: Vec<(&str, &str)> = params
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut mac =
        Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC accepts any key length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_covers_absent_empty_and_unconfigured() {
        assert_eq!(shared_secret("s", None), Err(VerifyError::Missing));
        assert_eq!(shared_secret("s", Some("  ")), Err(VerifyError::Missing));
        assert_eq!(shared_secret("", Some("s")), Err(VerifyError::Missing));
        assert_eq!(shared_secret("", Some("")), Err(VerifyError::Missing));
        assert_eq!(shared_secret("s", Some("t")), Err(VerifyError::Invalid));
        assert_eq!(shared_secret("s", Some("s")), Ok(()));
    }

    #[test]
    fn the_empty_key_signs_but_never_verifies() {
        let body = b"{}";
        assert_eq!(
            meta_signature("", Some(&sign_meta("", body)), body),
            Err(VerifyError::Missing)
        );
        assert_eq!(
            x_signature("", Some(&sign_x("", body)), body),
            Err(VerifyError::Missing)
        );
    }
}
