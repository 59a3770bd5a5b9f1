//! The generic SMS gateway: Kannel's get-url, a Gammu relay, RapidPro's external channel, a
//! JSON-posting vendor.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tanggap_channels::inbound::{
    Inbound, MAX_TEXT_CHARS, ParseError, SmsFields, WebhookRequest, sms_gateway,
};
use tanggap_domain::Channel;

use crate::support::{assert_malformed, at, only};

const URL: &str = "https://tanggap.example.go.id/hooks/sms/s3cr3t-path";

fn received() -> DateTime<Utc> {
    at(1_694_427_300)
}

fn get(fields: &SmsFields, query: &str) -> Result<Inbound, ParseError> {
    let req = WebhookRequest {
        url: URL,
        query: Some(query),
        headers: &[],
        content_type: None,
        body: b"",
    };
    sms_gateway(fields, &req, received())
}

fn post(content_type: Option<&str>, body: &[u8]) -> Result<Inbound, ParseError> {
    let req = WebhookRequest {
        url: URL,
        query: None,
        headers: &[],
        content_type,
        body,
    };
    sms_gateway(&SmsFields::default(), &req, received())
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

#[test]
fn a_get_with_the_default_fields() {
    let inbound = get(
        &SmsFields::default(),
        "from=081234567890&text=Jalan+rusak+di+Jl.+Merdeka%2C+Bogor&date=2023-09-11T10%3A14%3A00%2B07%3A00&id=4711",
    )
    .unwrap();
    let msg = only(&inbound);
    assert_eq!(msg.channel, Channel::Sms);
    assert_eq!(msg.from, "+6281234567890");
    assert_eq!(msg.provider_id, "4711");
    assert_eq!(
        msg.text.as_deref(),
        Some("Jalan rusak di Jl. Merdeka, Bogor")
    );
    assert_eq!(msg.sent_at, Some(at(1_694_402_040)));
}

#[test]
fn kannel_and_gammu_field_names_are_configuration() {
    // Kannel: get-url = "https://…/hooks/sms/…?p=%p&a=%a&t=%t&i=%I"
    let kannel = SmsFields {
        from: "p".into(),
        text: "a".into(),
        date: "t".into(),
        id: "i".into(),
    };
    let inbound = get(
        &kannel,
        "p=%2B6281234567890&a=Lampu+mati&t=2023-09-11+10%3A14%3A00&i=",
    )
    .unwrap();
    let msg = only(&inbound);
    assert_eq!(msg.from, "+6281234567890");
    assert_eq!(msg.text.as_deref(), Some("Lampu mati"));
    // Kannel's %t has no zone: kept for the key, not guessed into a time.
    assert_eq!(msg.sent_at, None);
    assert_eq!(
        msg.provider_id,
        format!(
            "h:{}",
            sha256_hex("+6281234567890\nLampu mati\n2023-09-11 10:14:00")
        )
    );

    let gammu = SmsFields {
        from: "SMS_1_NUMBER".into(),
        text: "SMS_1_TEXT".into(),
        ..SmsFields::default()
    };
    let req = WebhookRequest {
        url: URL,
        query: None,
        headers: &[],
        content_type: Some("application/x-www-form-urlencoded"),
        body: b"SMS_1_NUMBER=6281234567890&SMS_1_TEXT=Banjir+setinggi+lutut&SMS_MESSAGES=1",
    };
    let inbound = sms_gateway(&gammu, &req, received()).unwrap();
    let msg = only(&inbound);
    assert_eq!(msg.from, "+6281234567890");
    assert_eq!(msg.text.as_deref(), Some("Banjir setinggi lutut"));
}

#[test]
fn without_id_or_date_the_key_hashes_the_time_received() {
    let inbound = get(&SmsFields::default(), "from=0812-3456-7890&text=halo").unwrap();
    let want = format!(
        "h:{}",
        sha256_hex("+6281234567890\nhalo\n2023-09-11T10:15:00Z")
    );
    assert_eq!(only(&inbound).provider_id, want);
    assert_eq!(only(&inbound).sent_at, None);
}

#[test]
fn a_retry_gets_the_same_key_and_another_message_another() {
    let q = "from=6281234567890&text=halo&date=1694427240";
    let a = get(&SmsFields::default(), q).unwrap();
    let b = get(&SmsFields::default(), q).unwrap();
    assert_eq!(only(&a).provider_id, only(&b).provider_id);
    assert_eq!(only(&a).sent_at, Some(at(1_694_427_240)));
    let c = get(
        &SmsFields::default(),
        "from=6281234567890&text=halo&date=1694427241",
    )
    .unwrap();
    assert_ne!(only(&a).provider_id, only(&c).provider_id);
}

#[test]
fn a_json_post_may_give_numbers_for_id_and_date() {
    let inbound = post(
        Some("application/json; charset=utf-8"),
        br#"{"from":"+6281234567890","text":"Pohon tumbang","date":1694427240,"id":98231,"extra":{"nested":true}}"#,
    )
    .unwrap();
    let msg = only(&inbound);
    assert_eq!(msg.provider_id, "98231");
    assert_eq!(msg.sent_at, Some(at(1_694_427_240)));
    assert_eq!(msg.text.as_deref(), Some("Pohon tumbang"));
}

#[test]
fn without_a_content_type_the_body_is_sniffed() {
    let json = post(None, br#" {"from":"081234567890","text":"a"}"#).unwrap();
    assert_eq!(only(&json).text.as_deref(), Some("a"));
    let form = post(None, b"from=081234567890&text=b").unwrap();
    assert_eq!(only(&form).text.as_deref(), Some("b"));
}

#[test]
fn the_first_of_a_repeated_field_counts() {
    let inbound = get(
        &SmsFields::default(),
        "from=081234567890&text=first&text=second",
    )
    .unwrap();
    assert_eq!(only(&inbound).text.as_deref(), Some("first"));
}

#[test]
fn long_text_is_cut_and_blank_text_kept_as_none() {
    let long = "a".repeat(MAX_TEXT_CHARS + 50);
    let inbound = get(
        &SmsFields::default(),
        &format!("from=081234567890&text={long}&id=1"),
    )
    .unwrap();
    assert_eq!(
        only(&inbound).text.as_ref().map(|t| t.chars().count()),
        Some(MAX_TEXT_CHARS)
    );
    let blank = get(&SmsFields::default(), "from=081234567890&text=+++&id=2").unwrap();
    assert_eq!(only(&blank).text, None);
}

#[test]
fn what_the_gateway_cannot_send_is_malformed() {
    // Missing sender or text.
    assert_malformed(get(&SmsFields::default(), "text=halo"));
    assert_malformed(get(&SmsFields::default(), "from=081234567890"));
    assert_malformed(get(&SmsFields::default(), ""));
    // A sender that is not a phone number (an alphanumeric sender id, a short code).
    assert_malformed(get(&SmsFields::default(), "from=TELKOMSEL&text=promo"));
    assert_malformed(get(&SmsFields::default(), "from=3636&text=promo"));
    // An id too long to be one.
    assert_malformed(get(
        &SmsFields::default(),
        &format!("from=081234567890&text=x&id={}", "9".repeat(257)),
    ));
    // JSON of the wrong shape or types.
    assert_malformed(post(Some("application/json"), b"[1,2]"));
    assert_malformed(post(
        Some("application/json"),
        br#"{"from":6281234567890,"text":"x"}"#,
    ));
    assert_malformed(post(
        Some("application/json"),
        br#"{"from":"081234567890","text":["x"]}"#,
    ));
    assert_malformed(post(
        Some("application/json"),
        br#"{"from":"081234567890","text":"x","id":{"a":1}}"#,
    ));
    assert_malformed(post(Some("application/json"), b"{not json"));
    // Bodies not read.
    assert_malformed(post(
        Some("multipart/form-data; boundary=xyz"),
        b"--xyz\r\nContent-Disposition: form-data; name=\"from\"\r\n\r\n0812\r\n--xyz--",
    ));
    assert_malformed(post(Some("text/plain"), b"from=081234567890&text=x"));
}

#[test]
fn null_fields_in_json_are_absent() {
    let inbound = post(
        Some("application/json"),
        br#"{"from":"081234567890","text":"x","id":null,"date":null}"#,
    )
    .unwrap();
    assert!(only(&inbound).provider_id.starts_with("h:"));
}
