//! The other side of a connector (SPEC section 7): the Open311 GeoReport v2 client Tanggap uses
//! to hand a report to an agency's own system and follow it, and the signature of the JSON
//! webhook in both directions.
//!
//! Failures are [`ProviderError::Transient`] (no answer, a timeout, 408, 429, 5xx: try again
//! later) or [`ProviderError::Permanent`] (another 4xx, an answer that cannot be read); error
//! texts never carry the URL's query, the key or the secret (see `outbound::http`).

use crate::outbound::ProviderError;
use crate::outbound::http::{Api, base, encode};
use chrono::{DateTime, SecondsFormat};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use tanggap_domain::Timestamp;

/// A service request as posted (`POST requests.json`, form-encoded).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewServiceRequest {
    pub service_code: String,
    pub description: String,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub address_string: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// `attribute[code]` values (a list value repeats the code).
    pub attributes: Vec<(String, String)>,
}

impl NewServiceRequest {
    /// The form fields, in order (without the key).
    pub fn form(&self) -> Vec<(String, String)> {
        let mut f = vec![
            ("service_code".to_string(), self.service_code.clone()),
            ("description".to_string(), self.description.clone()),
        ];
        let mut opt = |k: &str, v: Option<String>| {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                f.push((k.to_string(), v));
            }
        };
        opt("lat", self.lat.map(|v| v.to_string()));
        opt("long", self.long.map(|v| v.to_string()));
        opt("address_string", self.address_string.clone());
        opt("email", self.email.clone());
        opt("phone", self.phone.clone());
        opt("first_name", self.first_name.clone());
        opt("last_name", self.last_name.clone());
        for (code, value) in &self.attributes {
            f.push((format!("attribute[{code}]"), value.clone()));
        }
        f
    }
}

/// What `POST requests` answered: an id at once, or a token to exchange later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedRequest {
    pub service_request_id: Option<String>,
    pub token: Option<String>,
}

/// A request as `GET requests/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteRequest {
    pub service_request_id: String,
    /// `open` or `closed`.
    pub status: String,
    pub status_notes: Option<String>,
    pub updated: Option<Timestamp>,
}

/// One entry of the mySociety `servicerequestupdates` feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteUpdate {
    pub update_id: String,
    pub service_request_id: String,
    /// Upper case (`INVESTIGATING`, `ACTION_SCHEDULED`, `FIXED`, …).
    pub status: String,
    pub description: Option<String>,
    pub at: Timestamp,
}

/// An Open311 GeoReport v2 server, by its base URL (the part before `requests.json`).
#[derive(Clone)]
pub struct Open311Client {
    api: Api,
    base: String,
    api_key: Option<String>,
}

impl Open311Client {
    pub fn new(http: reqwest::Client, base_url: &str, api_key: Option<&str>) -> Self {
        let api_key = api_key.map(str::to_string).filter(|k| !k.is_empty());
        Open311Client {
            api: Api::new(http, "Open311", api_key.iter().cloned().collect()),
            base: base(base_url),
            api_key,
        }
    }

    /// `POST requests.json`.
    pub async fn post_request(
        &self,
        r: &NewServiceRequest,
    ) -> Result<PostedRequest, ProviderError> {
        let mut form = r.form();
        if let Some(k) = &self.api_key {
            form.push(("api_key".into(), k.clone()));
        }
        let answer = self
            .api
            .json(
                self.api
                    .http
                    .post(format!("{}/requests.json", self.base))
                    .form(&form),
            )
            .await?;
        let first = answer
            .as_array()
            .and_then(|a| a.first())
            .cloned()
            .unwrap_or(answer);
        let text = |k: &str| match first.get(k) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let posted = PostedRequest {
            service_request_id: text("service_request_id"),
            token: text("token"),
        };
        if posted.service_request_id.is_none() && posted.token.is_none() {
            return Err(self
                .api
                .permanent("the answer carries neither service_request_id nor token"));
        }
        Ok(posted)
    }

    /// `GET tokens/{token}.json`: the id of a request posted with a token, once it has one.
    pub async fn request_id_of_token(&self, token: &str) -> Result<Option<String>, ProviderError> {
        let answer = self
            .api
            .json(
                self.api
                    .http
                    .get(format!("{}/tokens/{}.json", self.base, encode(token))),
            )
            .await?;
        Ok(first(&answer)
            .and_then(|v| v.get("service_request_id"))
            .and_then(value_text))
    }

    /// `GET requests/{id}.json`; `None` if the server does not know it.
    pub async fn request(&self, id: &str) -> Result<Option<RemoteRequest>, ProviderError> {
        let req = self
            .api
            .http
            .get(format!("{}/requests/{}.json", self.base, encode(id)));
        let answer = match self.api.json(req).await {
            Err(ProviderError::Permanent(m)) if m.contains("404") => return Ok(None),
            other => other?,
        };
        let Some(r) = first(&answer) else {
            return Ok(None);
        };
        Ok(Some(RemoteRequest {
            service_request_id: r
                .get("service_request_id")
                .and_then(value_text)
                .unwrap_or_else(|| id.to_string()),
            status: r
                .get("status")
                .and_then(value_text)
                .unwrap_or_default()
                .to_ascii_lowercase(),
            status_notes: r.get("status_notes").and_then(value_text),
            updated: r
                .get("updated_datetime")
                .and_then(value_text)
                .and_then(|t| parse_time(&t)),
        }))
    }

    /// The mySociety `GET servicerequestupdates.json` between two instants; `None` if the server
    /// does not offer it (404 or 501).
    pub async fn updates(
        &self,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Option<Vec<RemoteUpdate>>, ProviderError> {
        let mut query = vec![("start_date", w3c(start)), ("end_date", w3c(end))];
        if let Some(k) = &self.api_key {
            query.push(("api_key", k.clone()));
        }
        let req = self
            .api
            .http
            .get(format!("{}/servicerequestupdates.json", self.base))
            .query(&query);
        let answer = match self.api.json(req).await {
            Err(ProviderError::Permanent(m)) if m.contains("404") || m.contains("501") => {
                return Ok(None);
            }
            other => other?,
        };
        let list = answer.as_array().cloned().unwrap_or_default();
        let mut out = Vec::with_capacity(list.len());
        for u in list {
            let (Some(update_id), Some(request_id), Some(at)) = (
                u.get("update_id").and_then(value_text),
                u.get("service_request_id").and_then(value_text),
                u.get("updated_datetime")
                    .and_then(value_text)
                    .and_then(|t| parse_time(&t)),
            ) else {
                continue;
            };
            out.push(RemoteUpdate {
                update_id,
                service_request_id: request_id,
                status: u
                    .get("status")
                    .and_then(value_text)
                    .unwrap_or_default()
                    .to_ascii_uppercase(),
                description: u.get("description").and_then(value_text),
                at,
            });
        }
        Ok(Some(out))
    }
}

fn first(v: &Value) -> Option<&Value> {
    match v {
        Value::Array(a) => a.first(),
        Value::Object(_) => Some(v),
        _ => None,
    }
}

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A W3C date-time, as Open311 writes them.
pub fn w3c(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A W3C (RFC 3339) date-time in any offset, to the microsecond (what the databases keep). A
/// leap second (`…:59:60Z`, which RFC 3339 allows) is read as the start of the next second, as
/// every system that does not count leap seconds sees it.
pub fn parse_time(s: &str) -> Option<Timestamp> {
    let t = DateTime::parse_from_rfc3339(s.trim()).ok()?;
    DateTime::from_timestamp_micros(t.timestamp_micros())
}

/// The signature header of the connector webhook, both ways.
pub const SIGNATURE_HEADER: &str = "X-Tanggap-Signature";
/// How far a signature's time may be from the receiver's clock.
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;

/// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the time is signed with the
/// body, so a captured request cannot be replayed after the tolerance.
pub fn sign(secret: &str, at: Timestamp, body: &[u8]) -> String {
    let t = at.timestamp();
    format!("t={t},v1={}", hex::encode(mac(secret, t, body)))
}

fn mac(secret: &str, t: i64, body: &[u8]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m.finalize().into_bytes().to_vec()
}

/// Why a webhook signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request carries no signature")]
    Missing,
    #[error("the signature is not `t=…,v1=…`")]
    Malformed,
    #[error("the signature's time is more than five minutes from ours")]
    Stale,
    #[error("the signature does not match")]
    Invalid,
}

/// Check a [`SIGNATURE_HEADER`] value against the body, at `now`.
pub fn verify(
    secret: &str,
    header: Option<&str>,
    body: &[u8],
    now: Timestamp,
) -> Result<(), SignatureError> {
    let header = header.map(str::trim).filter(|h| !h.is_empty());
    let Some(header) = header else {
        return Err(SignatureError::Missing);
    };
    let (mut t, mut v1) = (None, None);
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(given)) = (t, v1) else {
        return Err(SignatureError::Malformed);
    };
    // `abs_diff`: a time far from ours (`t=-9223372036854775808`) is stale, not an overflow.
    if now.timestamp().abs_diff(t) > SIGNATURE_TOLERANCE_SECS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    if bool::from(mac(secret, t, body).ct_eq(&given)) {
        Ok(())
    } else {
        Err(SignatureError::Invalid)
    }
}

/// Post a signed JSON document to a webhook; its 2xx answer's `id` (if any) is returned.
pub async fn post_webhook(
    http: &reqwest::Client,
    url: &str,
    secret: &str,
    body: &[u8],
    now: Timestamp,
) -> Result<Option<String>, ProviderError> {
    let api = Api::new(http.clone(), "the webhook", vec![secret.to_string()]);
    let req = http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, sign(secret, now, body))
        .body(body.to_vec());
    let resp = api.send(req).await?;
    let bytes = api.read(resp, 64 << 10, "answer").await.unwrap_or_default();
    Ok(serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v.get("id").and_then(value_text)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn a_leap_second_is_the_start_of_the_next_second() {
        // Found by the `w3c_time` fuzz target: chrono keeps a leap second as a nanosecond
        // count past a billion, which did not survive being written and read back.
        let t = parse_time("2026-12-06T01:14:60.0350Z").unwrap();
        assert_eq!(w3c(t), "2026-12-06T01:15:00Z");
        assert_eq!(parse_time(&w3c(t)).unwrap().timestamp(), t.timestamp());
        assert_eq!(
            parse_time("2026-11-28T08:00:00.1234567+07:00").map(w3c),
            Some("2026-11-28T01:00:00Z".to_string())
        );
        assert_eq!(parse_time(" 2026-02-30T10:00:00Z"), None);
    }

    #[test]
    fn a_signature_checks_the_body_the_secret_and_the_time() {
        let now = parse_time("2026-12-06T09:00:00+07:00").unwrap();
        let body = br#"{"event":"update"}"#;
        let h = sign("rahasia-bersama-16", now, body);
        assert!(h.starts_with(&format!("t={},v1=", now.timestamp())));
        assert_eq!(verify("rahasia-bersama-16", Some(&h), body, now), Ok(()));
        assert_eq!(
            verify(
                "rahasia-bersama-16",
                Some(&h),
                body,
                now + TimeDelta::seconds(299)
            ),
            Ok(())
        );
        assert_eq!(
            verify(
                "rahasia-bersama-16",
                Some(&h),
                body,
                now + TimeDelta::seconds(301)
            ),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify("rahasia-lain-sekali", Some(&h), body, now),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify("rahasia-bersama-16", Some(&h), b"{}", now),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify("rahasia-bersama-16", None, body, now),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify("rahasia-bersama-16", Some("sha256=abc"), body, now),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn a_time_at_the_ends_of_the_range_is_stale() {
        // Found by fuzz/fuzz_targets/connector_webhook.rs: `now - t` overflowed.
        let now = parse_time("2026-12-06T09:00:00+07:00").unwrap();
        for t in [i64::MIN, i64::MAX, i64::MIN + 1] {
            let h = format!("t={t},v1=00");
            assert_eq!(
                verify("rahasia", Some(&h), b"{}", now),
                Err(SignatureError::Stale)
            );
        }
    }

    #[test]
    fn open311_times_read_in_any_offset() {
        let t = parse_time("2026-12-06T09:14:03+07:00").unwrap();
        assert_eq!(w3c(t), "2026-12-06T02:14:03Z");
        assert_eq!(parse_time("2026-12-06T02:14:03Z"), Some(t));
        assert_eq!(parse_time("kemarin"), None);
    }

    #[test]
    fn the_form_carries_what_is_given() {
        let r = NewServiceRequest {
            service_code: "jalan-jembatan".into(),
            description: "Jalan berlubang".into(),
            lat: Some(-7.1),
            attributes: vec![("kerahasiaan".into(), "anonim".into())],
            ..NewServiceRequest::default()
        };
        let f = r.form();
        assert!(f.contains(&("lat".into(), "-7.1".into())));
        assert!(f.contains(&("attribute[kerahasiaan]".into(), "anonim".into())));
        assert!(!f.iter().any(|(k, _)| k == "email" || k == "long"));
    }
}
