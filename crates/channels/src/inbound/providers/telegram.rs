//! Telegram Bot API: one `Update` per request.

use serde::Deserialize;
use tanggap_domain::Channel;

use crate::inbound::clean;
use crate::inbound::{Inbound, InboundMessage, MediaRef, ParseError};

const PROVIDER: &str = "Telegram";

/// Only the kinds read are named: `edited_message`, `channel_post`, `my_chat_member`… are
/// left out by not being parsed at all.
#[derive(Deserialize)]
struct Update {
    update_id: i64,
    message: Option<Message>,
    callback_query: Option<CallbackQuery>,
}

#[derive(Deserialize)]
struct Message {
    from: Option<User>,
    chat: Chat,
    date: Option<i64>,
    text: Option<String>,
    caption: Option<String>,
    #[serde(default)]
    photo: Vec<PhotoSize>,
    document: Option<File>,
    video: Option<File>,
    voice: Option<File>,
    audio: Option<File>,
    location: Option<Place>,
    venue: Option<Venue>,
    contact: Option<Contact>,
}

#[derive(Deserialize)]
struct User {
    id: i64,
    #[serde(default)]
    is_bot: bool,
    first_name: Option<String>,
}

#[derive(Deserialize)]
struct Chat {
    id: i64,
}

#[derive(Deserialize)]
struct PhotoSize {
    file_id: String,
    #[serde(default)]
    width: u64,
    #[serde(default)]
    height: u64,
    #[serde(default)]
    file_size: u64,
}

#[derive(Deserialize)]
struct File {
    file_id: String,
    mime_type: Option<String>,
    file_name: Option<String>,
}

#[derive(Deserialize)]
struct Place {
    latitude: f64,
    longitude: f64,
}

#[derive(Deserialize)]
struct Venue {
    title: Option<String>,
    address: Option<String>,
}

#[derive(Deserialize)]
struct Contact {
    phone_number: Option<String>,
}

#[derive(Deserialize)]
struct CallbackQuery {
    from: User,
    /// The message the button was on (possibly an "inaccessible" one: still with its chat).
    message: Option<CallbackMessage>,
    data: Option<String>,
}

#[derive(Deserialize)]
struct CallbackMessage {
    chat: Option<Chat>,
}

pub(crate) fn parse(body: &[u8]) -> Result<Inbound, ParseError> {
    let update: Update = clean::json(PROVIDER, body)?;
    let key = update.update_id.to_string();
    let message = if let Some(m) = &update.message {
        message_of(key, m)?
    } else if let Some(q) = &update.callback_query {
        callback_of(key, q)
    } else {
        None
    };
    Ok(Inbound {
        messages: message.into_iter().collect(),
        statuses: Vec::new(),
    })
}

fn message_of(key: String, m: &Message) -> Result<Option<InboundMessage>, ParseError> {
    // Bots' messages, and messages of kinds not read here (stickers, polls, service messages
    // such as a member joining), are not passed on.
    let read = m.text.is_some()
        || m.caption.is_some()
        || !m.photo.is_empty()
        || m.document.is_some()
        || m.video.is_some()
        || m.voice.is_some()
        || m.audio.is_some()
        || m.location.is_some()
        || m.contact.is_some();
    if !read || m.from.as_ref().is_some_and(|u| u.is_bot) {
        return Ok(None);
    }
    let mut msg = clean::message(Channel::Telegram, key, m.chat.id.to_string());
    msg.display_name = m
        .from
        .as_ref()
        .and_then(|u| clean::short_opt(u.first_name.as_deref()));
    msg.sent_at = m.date.and_then(clean::unix_seconds);
    msg.text = m
        .text
        .as_deref()
        .or(m.caption.as_deref())
        .and_then(clean::text);
    // Telegram sends every size of a photo; the largest is the one worth keeping.
    if let Some(photo) = m
        .photo
        .iter()
        .max_by_key(|p| (p.width.saturating_mul(p.height), p.file_size))
    {
        clean::push_media(
            &mut msg,
            MediaRef::ProviderId {
                id: file_id(&photo.file_id)?,
                mime: None,
                filename: None,
            },
        );
    }
    for file in [&m.document, &m.video, &m.voice, &m.audio]
        .into_iter()
        .flatten()
    {
        clean::push_media(
            &mut msg,
            MediaRef::ProviderId {
                id: file_id(&file.file_id)?,
                mime: clean::short_opt(file.mime_type.as_deref()),
                filename: clean::short_opt(file.file_name.as_deref()),
            },
        );
    }
    if let Some(place) = &m.location {
        let label = m.venue.as_ref().and_then(|v| {
            clean::short_opt(v.title.as_deref()).or_else(|| clean::short_opt(v.address.as_deref()))
        });
        msg.location = clean::location(place.latitude, place.longitude, label);
    }
    msg.shared_contact = m
        .contact
        .as_ref()
        .and_then(|c| clean::short_opt(c.phone_number.as_deref()));
    Ok(Some(msg))
}

/// A pressed inline button: its `data` is the button; the reply goes to the chat it was in.
fn callback_of(key: String, q: &CallbackQuery) -> Option<InboundMessage> {
    // A callback without data (a game's button) says nothing Tanggap reads.
    if q.from.is_bot || q.data.is_none() {
        return None;
    }
    let chat = q
        .message
        .as_ref()
        .and_then(|m| m.chat.as_ref())
        .map_or(q.from.id, |c| c.id);
    let mut msg = clean::message(Channel::Telegram, key, chat.to_string());
    msg.display_name = clean::short_opt(q.from.first_name.as_deref());
    msg.button = clean::short_opt(q.data.as_deref());
    Some(msg)
}

fn file_id(raw: &str) -> Result<String, ParseError> {
    clean::id(PROVIDER, "a file_id", raw)
}
