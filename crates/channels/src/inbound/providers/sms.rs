//! The generic SMS gateway (Kannel, Gammu relays, RapidPro, Zenziva…): four configurable
//! fields, from the query string or the body.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use tanggap_domain::{Channel, Timestamp};

use crate::inbound::clean::{self, malformed};
use crate::inbound::{Inbound, ParseError, SmsFields, WebhookRequest, form_params};

const PROVIDER: &str = "the SMS gateway";

/// The four fields as the gateway gave them (first occurrence of each).
#[derive(Default)]
struct Raw {
    from: Option<String>,
    text: Option<String>,
    date: Option<String>,
    id: Option<String>,
}

pub(crate) fn parse(
    fields: &SmsFields,
    req: &WebhookRequest<'_>,
    received_at: Timestamp,
) -> Result<Inbound, ParseError> {
    let raw = read_fields(fields, req)?;
    let from_raw = raw
        .from
        .ok_or_else(|| malformed(PROVIDER, format!("no {:?} field", fields.from)))?;
    let text_raw = raw
        .text
        .ok_or_else(|| malformed(PROVIDER, format!("no {:?} field", fields.text)))?;
    let from = clean::phone(PROVIDER, &from_raw)?;
    let date = raw.date.filter(|d| !d.trim().is_empty());
    let key = match raw.id.as_deref().map(str::trim).filter(|id| !id.is_empty()) {
        Some(id) => clean::id(PROVIDER, "the message id", id)?,
        None => {
            let time = date
                .clone()
                .unwrap_or_else(|| received_at.to_rfc3339_opts(SecondsFormat::AutoSi, true));
            clean::hashed_key("h:", &[&from, &text_raw, &time])
        }
    };
    let mut msg = clean::message(Channel::Sms, key, from);
    msg.sent_at = date.as_deref().and_then(parse_date);
    msg.text = clean::text(&text_raw);
    Ok(Inbound {
        messages: vec![msg],
        statuses: Vec::new(),
    })
}

/// RFC 3339 or Unix seconds; anything else gives no time (Kannel's `%t` is local time without
/// a zone: guessing the zone would be worse than not knowing).
fn parse_date(raw: &str) -> Option<Timestamp> {
    let raw = raw.trim();
    if let Ok(secs) = raw.parse::<i64>() {
        return clean::unix_seconds(secs);
    }
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn read_fields(fields: &SmsFields, req: &WebhookRequest<'_>) -> Result<Raw, ParseError> {
    if req.body.is_empty() {
        let query = req.query.unwrap_or("");
        return Ok(from_pairs(fields, &form_params(query.as_bytes())?));
    }
    let media_type = req
        .content_type
        .and_then(|ct| ct.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase());
    let json = match media_type.as_deref() {
        Some("application/json") => true,
        Some("application/x-www-form-urlencoded") => false,
        Some(other) => {
            return Err(malformed(
                PROVIDER,
                format!("content type {other} is not read (use a form or JSON)"),
            ));
        }
        // Hand-written relays (a curl in Gammu's RunOnReceive) do not always say.
        None => req.body.trim_ascii_start().starts_with(b"{"),
    };
    if json {
        from_json(fields, req.body)
    } else {
        Ok(from_pairs(fields, &form_params(req.body)?))
    }
}

fn from_pairs(fields: &SmsFields, pairs: &[(String, String)]) -> Raw {
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    Raw {
        from: get(&fields.from),
        text: get(&fields.text),
        date: get(&fields.date),
        id: get(&fields.id),
    }
}

/// A flat JSON object; `null` is an absent field; `id` and `date` may be numbers.
fn from_json(fields: &SmsFields, body: &[u8]) -> Result<Raw, ParseError> {
    let object: serde_json::Map<String, Value> = clean::json(PROVIDER, body)?;
    let get = |name: &str, numbers_allowed: bool| -> Result<Option<String>, ParseError> {
        match object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) if numbers_allowed => Ok(Some(n.to_string())),
            Some(_) => Err(malformed(
                PROVIDER,
                format!("field {name:?} has the wrong type"),
            )),
        }
    };
    Ok(Raw {
        from: get(&fields.from, false)?,
        text: get(&fields.text, false)?,
        date: get(&fields.date, true)?,
        id: get(&fields.id, true)?,
    })
}
