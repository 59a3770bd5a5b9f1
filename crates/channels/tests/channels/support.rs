//! Helpers shared by the provider tests.

use chrono::{DateTime, TimeZone, Utc};
use tanggap_channels::inbound::{Inbound, InboundMessage, ParseError};

/// The only message of a body that carries exactly one and no receipts.
#[track_caller]
pub fn only(inbound: &Inbound) -> &InboundMessage {
    assert!(
        inbound.statuses.is_empty(),
        "unexpected statuses: {inbound:?}"
    );
    assert_eq!(
        inbound.messages.len(),
        1,
        "expected one message: {inbound:?}"
    );
    &inbound.messages[0]
}

#[track_caller]
pub fn assert_nothing(result: Result<Inbound, ParseError>) {
    assert_eq!(result, Ok(Inbound::default()));
}

#[track_caller]
pub fn assert_malformed(result: Result<Inbound, ParseError>) {
    assert!(
        matches!(result, Err(ParseError::Malformed { .. })),
        "expected Malformed, got {result:?}"
    );
}

pub fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().expect("a valid time")
}

pub fn at_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).expect("a valid time")
}

pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}
