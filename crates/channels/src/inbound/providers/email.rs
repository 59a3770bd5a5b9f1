//! E-mail as a provider's inbound webhook posts it (already parsed from MIME), and the cutting
//! of quoted replies.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tanggap_domain::{Channel, Timestamp};

use crate::inbound::clean::{self, malformed};
use crate::inbound::{Inbound, MAX_MEDIA, MediaRef, ParseError};

const PROVIDER: &str = "the e-mail webhook";
/// A subject is one header line (RFC 5322 caps lines at 998 characters).
const MAX_SUBJECT_CHARS: usize = 998;

#[derive(Deserialize)]
struct Body {
    message_id: String,
    from: String,
    subject: Option<String>,
    text: Option<String>,
    in_reply_to: Option<String>,
    date: Option<String>,
    #[serde(default)]
    attachments: Vec<Attachment>,
}

#[derive(Deserialize)]
struct Attachment {
    filename: Option<String>,
    content_type: Option<String>,
    content_base64: String,
}

pub(crate) fn parse(body: &[u8]) -> Result<Inbound, ParseError> {
    let body: Body = clean::json(PROVIDER, body)?;
    let key = clean::id(PROVIDER, "message_id", &body.message_id)?;
    let (address, name) = sender(&body.from)?;
    let mut msg = clean::message(Channel::Email, key, address);
    msg.display_name = name;
    msg.sent_at = body.date.as_deref().and_then(parse_date);
    msg.text = body
        .text
        .as_deref()
        .and_then(|t| clean::text(&strip_quoted(t)));
    msg.subject = body.subject.as_deref().and_then(clean::text).map(|s| {
        s.replace(['\n', '\t'], " ")
            .chars()
            .take(MAX_SUBJECT_CHARS)
            .collect()
    });
    msg.in_reply_to = body
        .in_reply_to
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| clean::id(PROVIDER, "in_reply_to", r))
        .transpose()?;
    for attachment in body.attachments.iter().take(MAX_MEDIA) {
        let b64: Vec<u8> = attachment
            .content_base64
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        let bytes = BASE64
            .decode(&b64)
            .map_err(|e| malformed(PROVIDER, format!("an attachment is not base64: {e}")))?;
        msg.media.push(MediaRef::Inline {
            bytes,
            mime: clean::short_opt(attachment.content_type.as_deref()),
            filename: clean::short_opt(attachment.filename.as_deref()),
        });
    }
    Ok(Inbound {
        messages: vec![msg],
        statuses: Vec::new(),
    })
}

/// `Name <addr>`, `"Doe, Jane" <addr>` or `addr`: the address lower-cased, and the name.
fn sender(raw: &str) -> Result<(String, Option<String>), ParseError> {
    let raw = raw.trim();
    let (name, address) = match (raw.rfind('<'), raw.ends_with('>')) {
        (Some(open), true) => {
            let name = raw.get(..open).unwrap_or("").trim().trim_matches('"');
            let address = raw.get(open + 1..raw.len() - 1).unwrap_or("");
            (clean::short(name), address)
        }
        _ => (None, raw),
    };
    let address = address.trim().to_lowercase();
    let well_formed = match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !address
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>'))
        }
        None => false,
    };
    if !well_formed {
        return Err(malformed(PROVIDER, "from is not an e-mail address"));
    }
    let address = clean::id(PROVIDER, "the sender's address", &address)?;
    Ok((address, name))
}

/// The `Date:` header's RFC 2822, or RFC 3339.
fn parse_date(raw: &str) -> Option<Timestamp> {
    let raw = raw.trim();
    DateTime::parse_from_rfc2822(raw)
        .or_else(|_| DateTime::parse_from_rfc3339(raw))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub(crate) fn strip_quoted(text: &str) -> String {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let cut = (0..lines.len()).find(|&i| starts_quote(&lines, i));
    let kept = match cut {
        Some(i) => lines[..i].join("\n"),
        None => return text.trim().to_string(),
    };
    let kept = kept.trim();
    if kept.is_empty() {
        text.trim().to_string()
    } else {
        kept.to_string()
    }
}

/// Whether line `i` begins the quoted earlier message.
fn starts_quote(lines: &[&str], i: usize) -> bool {
    let line = lines[i].trim();
    if line.starts_with('>') || contains_ignore_case(line, "-----original message-----") {
        return true;
    }
    let attribution = |start: &str, end: &str| {
        starts_with_ignore_case(line, start)
            && (ends_with_ignore_case(line, end)
                // Long attributions are wrapped: "On Mon, … Budi Santoso\n<budi@…> wrote:".
                || lines
                    .get(i + 1)
                    .is_some_and(|next| ends_with_ignore_case(next.trim(), end)))
    };
    attribution("on ", "wrote:") || attribution("pada ", "menulis:")
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

fn ends_with_ignore_case(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.get(s.len() - suffix.len()..)
            .is_some_and(|p| p.eq_ignore_ascii_case(suffix))
}

fn contains_ignore_case(s: &str, needle: &str) -> bool {
    s.to_ascii_lowercase().contains(needle)
}
