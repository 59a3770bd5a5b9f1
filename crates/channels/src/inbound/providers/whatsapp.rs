//! WhatsApp Business Cloud API: `entry[].changes[]` of the `messages` field.

use serde::Deserialize;
use serde_json::Value;
use tanggap_domain::Channel;

use crate::inbound::clean::{self, malformed};
use crate::inbound::{
    DeliveryState, DeliveryStatus, Inbound, InboundMessage, MediaRef, ParseError,
};

const PROVIDER: &str = "WhatsApp";

#[derive(Deserialize)]
struct Body {
    object: String,
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

/// `value` is read only for the `messages` field: other fields have other shapes.
#[derive(Deserialize)]
struct Change {
    field: String,
    #[serde(default)]
    value: Value,
}

#[derive(Deserialize)]
struct Messages {
    #[serde(default)]
    contacts: Vec<Contact>,
    #[serde(default)]
    messages: Vec<Message>,
    #[serde(default)]
    statuses: Vec<Status>,
}

#[derive(Deserialize)]
struct Contact {
    wa_id: Option<String>,
    profile: Option<Profile>,
}

#[derive(Deserialize)]
struct Profile {
    name: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    from: String,
    id: String,
    timestamp: Option<Value>,
    #[serde(rename = "type")]
    kind: String,
    text: Option<Text>,
    image: Option<Media>,
    document: Option<Media>,
    audio: Option<Media>,
    video: Option<Media>,
    location: Option<Place>,
    contacts: Option<Vec<Card>>,
    interactive: Option<Interactive>,
    button: Option<Button>,
}

#[derive(Deserialize)]
struct Text {
    body: String,
}

#[derive(Deserialize)]
struct Media {
    id: String,
    mime_type: Option<String>,
    filename: Option<String>,
    caption: Option<String>,
}

#[derive(Deserialize)]
struct Place {
    latitude: f64,
    longitude: f64,
    name: Option<String>,
    address: Option<String>,
}

#[derive(Deserialize)]
struct Card {
    #[serde(default)]
    phones: Vec<CardPhone>,
}

#[derive(Deserialize)]
struct CardPhone {
    phone: Option<String>,
}

#[derive(Deserialize)]
struct Interactive {
    button_reply: Option<Reply>,
    list_reply: Option<Reply>,
}

#[derive(Deserialize)]
struct Reply {
    id: String,
}

#[derive(Deserialize)]
struct Button {
    payload: Option<String>,
    text: Option<String>,
}

#[derive(Deserialize)]
struct Status {
    id: String,
    status: String,
    timestamp: Option<Value>,
    #[serde(default)]
    errors: Vec<StatusError>,
}

#[derive(Deserialize)]
struct StatusError {
    title: Option<String>,
    message: Option<String>,
}

pub(crate) fn parse(body: &[u8]) -> Result<Inbound, ParseError> {
    let body: Body = clean::json(PROVIDER, body)?;
    if body.object != "whatsapp_business_account" {
        return Err(malformed(
            PROVIDER,
            format!("object is {:?}, not whatsapp_business_account", body.object),
        ));
    }
    let mut inbound = Inbound::default();
    for change in body.entry.into_iter().flat_map(|e| e.changes) {
        if change.field != "messages" {
            continue;
        }
        let value: Messages = serde_json::from_value(change.value)
            .map_err(|e| malformed(PROVIDER, format!("messages value: {e}")))?;
        for message in &value.messages {
            if let Some(msg) = message_of(message, &value.contacts)? {
                inbound.messages.push(msg);
            }
        }
        for status in &value.statuses {
            if let Some(status) = status_of(status)? {
                inbound.statuses.push(status);
            }
        }
    }
    Ok(inbound)
}

fn message_of(m: &Message, contacts: &[Contact]) -> Result<Option<InboundMessage>, ParseError> {
    let kind = m.kind.as_str();
    if !matches!(
        kind,
        "text"
            | "image"
            | "document"
            | "audio"
            | "video"
            | "location"
            | "contacts"
            | "interactive"
            | "button"
    ) {
        return Ok(None);
    }
    let id = clean::id(PROVIDER, "the message id", &m.id)?;
    let wa_id = clean::id(PROVIDER, "the sender", &m.from)?;
    // A wa_id is the full international number without `+`.
    let from = clean::phone(PROVIDER, &format!("+{}", wa_id.trim_start_matches('+')))?;
    let mut msg = clean::message(Channel::Whatsapp, id, from);
    msg.sent_at = m
        .timestamp
        .as_ref()
        .and_then(clean::scalar_text)
        .and_then(|t| clean::unix_seconds_text(&t));
    msg.display_name = contacts
        .iter()
        .find(|c| c.wa_id.as_deref().map(str::trim) == Some(wa_id.as_str()))
        .and_then(|c| c.profile.as_ref())
        .and_then(|p| clean::short_opt(p.name.as_deref()));
    let missing = || {
        malformed(
            PROVIDER,
            format!("a {kind} message without its {kind} object"),
        )
    };
    match kind {
        "text" => msg.text = clean::text(&m.text.as_ref().ok_or_else(missing)?.body),
        "image" | "document" | "audio" | "video" => {
            let media = match kind {
                "image" => &m.image,
                "document" => &m.document,
                "audio" => &m.audio,
                _ => &m.video,
            }
            .as_ref()
            .ok_or_else(missing)?;
            msg.text = media.caption.as_deref().and_then(clean::text);
            msg.media.push(MediaRef::ProviderId {
                id: clean::id(PROVIDER, "the media id", &media.id)?,
                mime: clean::short_opt(media.mime_type.as_deref()),
                filename: clean::short_opt(media.filename.as_deref()),
            });
        }
        "location" => {
            let place = m.location.as_ref().ok_or_else(missing)?;
            let label = clean::short_opt(place.name.as_deref())
                .or_else(|| clean::short_opt(place.address.as_deref()));
            msg.location = clean::location(place.latitude, place.longitude, label);
        }
        "contacts" => {
            msg.shared_contact = m
                .contacts
                .as_ref()
                .ok_or_else(missing)?
                .iter()
                .flat_map(|card| &card.phones)
                .find_map(|p| clean::short_opt(p.phone.as_deref()));
        }
        "interactive" => {
            let interactive = m.interactive.as_ref().ok_or_else(missing)?;
            msg.button = interactive
                .button_reply
                .as_ref()
                .or(interactive.list_reply.as_ref())
                .and_then(|r| clean::short(&r.id));
        }
        _ => {
            // "button": a quick-reply button of a template message.
            let button = m.button.as_ref().ok_or_else(missing)?;
            msg.button = clean::short_opt(button.payload.as_deref())
                .or_else(|| clean::short_opt(button.text.as_deref()));
        }
    }
    Ok(Some(msg))
}

fn status_of(s: &Status) -> Result<Option<DeliveryStatus>, ParseError> {
    let state = match s.status.as_str() {
        "sent" => DeliveryState::Sent,
        "delivered" => DeliveryState::Delivered,
        "read" => DeliveryState::Read,
        "failed" => DeliveryState::Failed,
        _ => return Ok(None),
    };
    let error = if state == DeliveryState::Failed {
        s.errors.first().and_then(|e| {
            clean::short_opt(e.title.as_deref()).or_else(|| clean::short_opt(e.message.as_deref()))
        })
    } else {
        None
    };
    Ok(Some(DeliveryStatus {
        channel: Channel::Whatsapp,
        provider_message_id: clean::id(PROVIDER, "the status's message id", &s.id)?,
        state,
        at: s
            .timestamp
            .as_ref()
            .and_then(clean::scalar_text)
            .and_then(|t| clean::unix_seconds_text(&t)),
        error,
    }))
}
