//! Facebook Messenger Platform: `entry[].messaging[]` of a page.

use serde::Deserialize;
use serde_json::Value;
use tanggap_domain::Channel;

use crate::inbound::clean::{self, malformed};
use crate::inbound::{
    DeliveryState, DeliveryStatus, Inbound, InboundMessage, MediaRef, ParseError,
};

const PROVIDER: &str = "Messenger";

#[derive(Deserialize)]
struct Body {
    object: String,
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    messaging: Vec<Event>,
}

#[derive(Deserialize)]
struct Event {
    sender: Option<Party>,
    timestamp: Option<Value>,
    message: Option<Message>,
    postback: Option<Postback>,
    delivery: Option<Delivery>,
}

/// A PSID (a user that came through the checkbox plugin has a `user_ref` instead: not ours).
#[derive(Deserialize)]
struct Party {
    id: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    mid: Option<String>,
    text: Option<String>,
    #[serde(default)]
    is_echo: bool,
    #[serde(default)]
    attachments: Vec<Attachment>,
    quick_reply: Option<QuickReply>,
}

#[derive(Deserialize)]
struct Attachment {
    #[serde(rename = "type")]
    kind: String,
    title: Option<String>,
    #[serde(default)]
    payload: Value,
}

#[derive(Deserialize)]
struct MediaPayload {
    url: Option<String>,
}

#[derive(Deserialize)]
struct LocationPayload {
    coordinates: Coordinates,
}

#[derive(Deserialize)]
struct Coordinates {
    lat: f64,
    long: f64,
}

#[derive(Deserialize)]
struct QuickReply {
    payload: Option<String>,
}

#[derive(Deserialize)]
struct Postback {
    mid: Option<String>,
    payload: Option<String>,
}

#[derive(Deserialize)]
struct Delivery {
    #[serde(default)]
    mids: Vec<String>,
    watermark: Option<i64>,
}

pub(crate) fn parse(body: &[u8]) -> Result<Inbound, ParseError> {
    let body: Body = clean::json(PROVIDER, body)?;
    if body.object != "page" {
        return Err(malformed(
            PROVIDER,
            format!("object is {:?}, not page", body.object),
        ));
    }
    let mut inbound = Inbound::default();
    for event in body.entry.into_iter().flat_map(|e| e.messaging) {
        if let Some(delivery) = &event.delivery {
            let at = delivery.watermark.and_then(clean::unix_millis);
            for mid in &delivery.mids {
                inbound.statuses.push(DeliveryStatus {
                    channel: Channel::Facebook,
                    provider_message_id: clean::id(PROVIDER, "a delivered mid", mid)?,
                    state: DeliveryState::Delivered,
                    at,
                    error: None,
                });
            }
        }
        if let Some(msg) = message_of(&event)? {
            inbound.messages.push(msg);
        }
    }
    Ok(inbound)
}

/// The message or postback an event carries, if any (reads, deliveries, echoes, reactions and
/// the rest are not messages).
fn message_of(event: &Event) -> Result<Option<InboundMessage>, ParseError> {
    let sender = || -> Result<String, ParseError> {
        let id = event
            .sender
            .as_ref()
            .and_then(|s| s.id.as_deref())
            .unwrap_or("");
        clean::id(PROVIDER, "the sender's PSID", id)
    };
    let timestamp = event.timestamp.as_ref().and_then(clean::scalar_text);
    let sent_at = timestamp
        .as_deref()
        .and_then(|t| t.parse::<i64>().ok())
        .and_then(clean::unix_millis);
    if let Some(m) = &event.message {
        // Echoes are the page's own messages; a message with nothing of a kind read here (only
        // a template or a shared link) is not one either.
        let read = m.text.is_some()
            || m.quick_reply.is_some()
            || m.attachments.iter().any(|a| {
                matches!(
                    a.kind.as_str(),
                    "image" | "file" | "video" | "audio" | "location"
                )
            });
        if m.is_echo || !read {
            return Ok(None);
        }
        let mid = clean::id(
            PROVIDER,
            "the message's mid",
            m.mid.as_deref().unwrap_or(""),
        )?;
        let mut msg = clean::message(Channel::Facebook, mid, sender()?);
        msg.sent_at = sent_at;
        msg.text = m.text.as_deref().and_then(clean::text);
        msg.button = m
            .quick_reply
            .as_ref()
            .and_then(|q| clean::short_opt(q.payload.as_deref()));
        for attachment in &m.attachments {
            read_attachment(&mut msg, attachment)?;
        }
        return Ok(Some(msg));
    }
    if let Some(p) = &event.postback {
        let from = sender()?;
        let payload = p.payload.as_deref().unwrap_or("");
        let key = match p.mid.as_deref() {
            Some(mid) if !mid.trim().is_empty() => clean::id(PROVIDER, "the postback's mid", mid)?,
            _ => clean::hashed_key("pb:", &[&from, timestamp.as_deref().unwrap_or(""), payload]),
        };
        let mut msg = clean::message(Channel::Facebook, key, from);
        msg.sent_at = sent_at;
        msg.button = clean::short(payload);
        return Ok(Some(msg));
    }
    Ok(None)
}

fn read_attachment(msg: &mut InboundMessage, attachment: &Attachment) -> Result<(), ParseError> {
    let kind = attachment.kind.as_str();
    match kind {
        "image" | "file" | "video" | "audio" => {}
        "location" => {
            let payload: LocationPayload = serde_json::from_value(attachment.payload.clone())
                .map_err(|e| malformed(PROVIDER, format!("location attachment: {e}")))?;
            let label = clean::short_opt(attachment.title.as_deref());
            if msg.location.is_none() {
                msg.location =
                    clean::location(payload.coordinates.lat, payload.coordinates.long, label);
            }
            return Ok(());
        }
        // Templates, fallbacks (shared links), reels and the like: not media.
        _ => return Ok(()),
    }
    let payload: MediaPayload = serde_json::from_value(attachment.payload.clone())
        .map_err(|e| malformed(PROVIDER, format!("{kind} attachment: {e}")))?;
    if let Some(url) = payload.url.as_deref().and_then(clean::media_url) {
        clean::push_media(
            msg,
            MediaRef::Url {
                url,
                mime: None,
                filename: None,
            },
        );
    }
    Ok(())
}
