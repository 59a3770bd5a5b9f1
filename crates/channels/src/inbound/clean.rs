//! What every parser does to what a provider sent: words cleaned and cut, ids and addresses
//! bounded, times and places checked. One place, so that the providers cannot disagree.

use chrono::DateTime;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use tanggap_domain::phone::normalize_phone;
use tanggap_domain::{Channel, Timestamp};

use super::{InboundMessage, Location, MAX_MEDIA, MAX_TEXT_CHARS, MediaRef, ParseError};

/// The longest provider id (message key, media id) or sender address accepted; longer is
/// refused as malformed (no provider sends such ids, and they end up in unique indexes).
pub(crate) const MAX_ID_CHARS: usize = 256;
/// Names, labels, MIME types and file names are cut to this many characters.
pub(crate) const MAX_SHORT_CHARS: usize = 256;
/// The longest media URL kept (Meta's CDN URLs run to several hundred characters).
pub(crate) const MAX_URL_CHARS: usize = 2048;

pub(crate) fn malformed(provider: &'static str, reason: impl Into<String>) -> ParseError {
    ParseError::Malformed {
        provider,
        reason: reason.into(),
    }
}

/// A JSON body into its typed shape; any syntax or type error is the provider's format broken.
pub(crate) fn json<T: DeserializeOwned>(
    provider: &'static str,
    body: &[u8],
) -> Result<T, ParseError> {
    serde_json::from_slice(body).map_err(|e| malformed(provider, format!("invalid JSON: {e}")))
}

/// The words of a message: control characters other than newline and tab removed (so `\r\n`
/// becomes `\n`), trimmed, cut to [`MAX_TEXT_CHARS`] characters; `None` when nothing is left.
pub(crate) fn text(raw: &str) -> Option<String> {
    cleaned(raw, MAX_TEXT_CHARS)
}

/// A name, a label, a MIME type or a file name: like [`text`], cut to [`MAX_SHORT_CHARS`].
pub(crate) fn short(raw: &str) -> Option<String> {
    cleaned(raw, MAX_SHORT_CHARS)
}

pub(crate) fn short_opt(raw: Option<&str>) -> Option<String> {
    raw.and_then(short)
}

fn cleaned(raw: &str, max_chars: usize) -> Option<String> {
    let kept: String = raw
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    let cut: String = kept.trim().chars().take(max_chars).collect();
    let cut = cut.trim_end();
    (!cut.is_empty()).then(|| cut.to_string())
}

/// A provider's id (a message key, a media id, a sender id): trimmed, present, at most
/// [`MAX_ID_CHARS`] characters and free of control characters, or the body is malformed.
pub(crate) fn id(provider: &'static str, what: &str, raw: &str) -> Result<String, ParseError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(malformed(provider, format!("{what} is empty")));
    }
    if trimmed.chars().count() > MAX_ID_CHARS {
        return Err(malformed(
            provider,
            format!("{what} is longer than {MAX_ID_CHARS} characters"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(malformed(
            provider,
            format!("{what} contains control characters"),
        ));
    }
    Ok(trimmed.to_string())
}

/// A phone number the provider vouches for, in E.164 (`+628…`).
pub(crate) fn phone(provider: &'static str, raw: &str) -> Result<String, ParseError> {
    if raw.chars().count() > MAX_ID_CHARS {
        return Err(malformed(provider, "the sender's number is too long"));
    }
    normalize_phone(raw).map_err(|_| malformed(provider, "the sender is not a phone number"))
}

/// A media URL worth fetching later: `http(s)`, no whitespace or control characters, bounded.
/// Anything else is dropped (the message is kept).
pub(crate) fn media_url(raw: &str) -> Option<String> {
    let url = raw.trim();
    let scheme_len = ["https://", "http://"].into_iter().find_map(|scheme| {
        url.get(..scheme.len())
            .filter(|s| s.eq_ignore_ascii_case(scheme))
            .map(|_| scheme.len())
    })?;
    let host = url.get(scheme_len..).unwrap_or("");
    let clean = !url.chars().any(|c| c.is_whitespace() || c.is_control());
    (clean && !host.is_empty() && !host.starts_with('/') && url.chars().count() <= MAX_URL_CHARS)
        .then(|| url.to_string())
}

/// A place, when its coordinates are finite and on Earth; otherwise dropped.
pub(crate) fn location(latitude: f64, longitude: f64, label: Option<String>) -> Option<Location> {
    let valid = latitude.is_finite()
        && longitude.is_finite()
        && (-90.0..=90.0).contains(&latitude)
        && (-180.0..=180.0).contains(&longitude);
    valid.then_some(Location {
        latitude,
        longitude,
        label,
    })
}

pub(crate) fn unix_seconds(secs: i64) -> Option<Timestamp> {
    DateTime::from_timestamp(secs, 0)
}

pub(crate) fn unix_millis(ms: i64) -> Option<Timestamp> {
    DateTime::from_timestamp_millis(ms)
}

/// Unix seconds given as text (WhatsApp's `timestamp`).
pub(crate) fn unix_seconds_text(raw: &str) -> Option<Timestamp> {
    raw.trim().parse::<i64>().ok().and_then(unix_seconds)
}

/// Unix milliseconds given as text (X's `created_timestamp`).
pub(crate) fn unix_millis_text(raw: &str) -> Option<Timestamp> {
    raw.trim().parse::<i64>().ok().and_then(unix_millis)
}

/// A JSON scalar that some providers send as a string and others as a number.
pub(crate) fn scalar_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A key made from the parts of a message when the provider gives none: `prefix` and the hex
/// SHA-256 of the parts joined by newlines.
pub(crate) fn hashed_key(prefix: &str, parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update(b"\n");
        }
        hasher.update(part.as_bytes());
    }
    format!("{prefix}{}", hex::encode(hasher.finalize()))
}

/// A message with its key and sender and nothing else yet.
pub(crate) fn message(channel: Channel, provider_id: String, from: String) -> InboundMessage {
    InboundMessage {
        channel,
        provider_id,
        from,
        display_name: None,
        sent_at: None,
        text: None,
        media: Vec::new(),
        location: None,
        shared_contact: None,
        button: None,
        subject: None,
        in_reply_to: None,
    }
}

/// Adds a media reference unless the message already holds [`MAX_MEDIA`].
pub(crate) fn push_media(msg: &mut InboundMessage, media: MediaRef) {
    if msg.media.len() < MAX_MEDIA {
        msg.media.push(media);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_cleaned_and_cut() {
        assert_eq!(
            text("  halo \r\n dunia\t!\u{7}  "),
            Some("halo \n dunia\t!".into())
        );
        assert_eq!(text(" \u{0}\u{1b} \n "), None);
        let long = "é".repeat(MAX_TEXT_CHARS + 10);
        let cut = text(&long).unwrap();
        assert_eq!(cut.chars().count(), MAX_TEXT_CHARS);
        // Cutting may leave a space at the end: it is trimmed too.
        let spaced = format!("{} x", "a".repeat(MAX_TEXT_CHARS - 1));
        assert_eq!(text(&spaced).unwrap().chars().count(), MAX_TEXT_CHARS - 1);
    }

    #[test]
    fn ids_are_bounded() {
        assert_eq!(id("p", "id", " abc ").unwrap(), "abc");
        assert!(id("p", "id", "").is_err());
        assert!(id("p", "id", "a\u{0}b").is_err());
        assert!(id("p", "id", &"x".repeat(MAX_ID_CHARS)).is_ok());
        assert!(id("p", "id", &"x".repeat(MAX_ID_CHARS + 1)).is_err());
    }

    #[test]
    fn places_must_be_on_earth() {
        assert!(location(-6.2, 106.8, None).is_some());
        assert!(location(90.0, -180.0, None).is_some());
        assert!(location(90.1, 0.0, None).is_none());
        assert!(location(0.0, 180.5, None).is_none());
        assert!(location(f64::NAN, 0.0, None).is_none());
        assert!(location(0.0, f64::INFINITY, None).is_none());
    }

    #[test]
    fn media_urls_are_http_only() {
        assert!(media_url("https://cdn.example/a.jpg").is_some());
        assert!(media_url("HTTP://cdn.example/a.jpg").is_some());
        assert!(media_url("file:///etc/passwd").is_none());
        assert!(media_url("https://a b").is_none());
        assert!(media_url("https://").is_none());
        assert!(media_url("https:///etc").is_none());
        assert!(media_url("é").is_none());
    }

    #[test]
    fn hashed_keys_separate_their_parts() {
        assert_ne!(
            hashed_key("h:", &["ab", "c"]),
            hashed_key("h:", &["a", "bc"])
        );
        assert_eq!(hashed_key("h:", &["a"]).len(), 2 + 64);
    }
}
