//! X (Twitter) Account Activity API: `direct_message_events[]`.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;
use tanggap_domain::Channel;

use crate::inbound::clean::{self, malformed};
use crate::inbound::{Inbound, InboundMessage, MediaRef, ParseError};

const PROVIDER: &str = "X";

/// Other event kinds (`tweet_create_events`, `favorite_events`, `direct_message_indicate_typing_events`…)
/// are not named, so not parsed.
#[derive(Deserialize)]
struct Body {
    for_user_id: Option<String>,
    #[serde(default)]
    direct_message_events: Vec<Event>,
    #[serde(default)]
    users: HashMap<String, User>,
}

#[derive(Deserialize)]
struct User {
    name: Option<String>,
}

#[derive(Deserialize)]
struct Event {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
    created_timestamp: Option<Value>,
    message_create: Option<MessageCreate>,
}

#[derive(Deserialize)]
struct MessageCreate {
    sender_id: String,
    message_data: Option<MessageData>,
}

#[derive(Deserialize)]
struct MessageData {
    text: Option<String>,
    attachment: Option<Attachment>,
    quick_reply_response: Option<QuickReplyResponse>,
}

#[derive(Deserialize)]
struct Attachment {
    media: Option<Media>,
}

#[derive(Deserialize)]
struct Media {
    media_url_https: Option<String>,
    /// The `t.co` link X appends to the text for the media.
    url: Option<String>,
}

#[derive(Deserialize)]
struct QuickReplyResponse {
    metadata: Option<String>,
}

pub(crate) fn parse(body: &[u8]) -> Result<Inbound, ParseError> {
    let body: Body = clean::json(PROVIDER, body)?;
    let mut inbound = Inbound::default();
    for event in &body.direct_message_events {
        if event.kind != "message_create" {
            continue;
        }
        let create = event
            .message_create
            .as_ref()
            .ok_or_else(|| malformed(PROVIDER, "a message_create event without message_create"))?;
        let sender = clean::id(PROVIDER, "sender_id", &create.sender_id)?;
        if body.for_user_id.as_deref().map(str::trim) == Some(sender.as_str()) {
            // Our own account's message, echoed back.
            continue;
        }
        let id = clean::id(PROVIDER, "the event id", event.id.as_deref().unwrap_or(""))?;
        inbound
            .messages
            .push(message_of(id, sender, event, create, &body.users));
    }
    Ok(inbound)
}

fn message_of(
    id: String,
    sender: String,
    event: &Event,
    create: &MessageCreate,
    users: &HashMap<String, User>,
) -> InboundMessage {
    let mut msg = clean::message(Channel::Twitter, id, sender);
    msg.display_name = users
        .get(&msg.from)
        .and_then(|u| clean::short_opt(u.name.as_deref()));
    msg.sent_at = event
        .created_timestamp
        .as_ref()
        .and_then(clean::scalar_text)
        .and_then(|t| clean::unix_millis_text(&t));
    if let Some(data) = &create.message_data {
        let media = data.attachment.as_ref().and_then(|a| a.media.as_ref());
        let mut text = data.text.as_deref().unwrap_or("");
        if let Some(link) = media
            .and_then(|m| m.url.as_deref())
            .filter(|l| !l.is_empty())
        {
            text = text.trim_end().strip_suffix(link).unwrap_or(text);
        }
        msg.text = clean::text(text);
        if let Some(url) = media
            .and_then(|m| m.media_url_https.as_deref())
            .and_then(clean::media_url)
        {
            clean::push_media(
                &mut msg,
                MediaRef::Url {
                    url,
                    mime: None,
                    filename: None,
                },
            );
        }
        msg.button = data
            .quick_reply_response
            .as_ref()
            .and_then(|q| clean::short_opt(q.metadata.as_deref()));
    }
    msg
}
