//! Inbound webhooks: each provider's body parsed into [`Inbound`].
//!
//! Every parser takes the raw request as it arrived, after its signature was checked
//! ([`crate::verify`]), and either understands it or answers [`ParseError`] (the web adapter
//! turns that into a 400 and stores nothing). A well-formed body of an event type Tanggap does
//! not use (a reaction, an edit, a typing indicator) parses to an empty [`Inbound`]: the
//! provider gets its 200 and nothing is stored. No parser panics on any input (property tests).

use serde::{Deserialize, Serialize};
use tanggap_domain::{Channel, Timestamp};

/// The most characters of text kept from one message (longer text is cut at a character
/// boundary).
pub const MAX_TEXT_CHARS: usize = 10_000;
/// The most media references kept from one message.
pub const MAX_MEDIA: usize = 5;

/// One webhook request as it arrived. `url` is the full URL the provider called (scheme, host,
/// path and query), as Twilio signs it; behind a proxy the adapter rebuilds it from the public URL.
#[derive(Debug, Clone, Copy)]
pub struct WebhookRequest<'a> {
    pub url: &'a str,
    /// The raw query string, without `?`.
    pub query: Option<&'a str>,
    /// Header names in any case.
    pub headers: &'a [(String, String)],
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
}

impl WebhookRequest<'_> {
    /// The first header of that name, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What one webhook request carried.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inbound {
    pub messages: Vec<InboundMessage>,
    pub statuses: Vec<DeliveryStatus>,
}

/// One message from a citizen or a staff member, whatever the provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundMessage {
    pub channel: Channel,
    /// The provider's id of this message, the idempotency key: WhatsApp `wamid`, Messenger
    /// `mid`, Telegram `update_id` (as text), Twilio `MessageSid`, the SMS gateway's id (else
    /// `h:` and a SHA-256 of sender, text and time), X event `id`, e-mail `Message-ID`.
    pub provider_id: String,
    /// The sender as the provider vouches for it: E.164 (`+628…`) for WhatsApp and SMS, the
    /// chat id for Telegram, the PSID for Messenger, the user id for X, the lower-cased address
    /// for e-mail.
    pub from: String,
    /// The name the provider shows for the sender (WhatsApp profile name, Telegram first name):
    /// a greeting, never an identity.
    pub display_name: Option<String>,
    /// When the provider says it was sent.
    pub sent_at: Option<Timestamp>,
    /// The words (a photo's caption included), trimmed; `None` when there are none.
    pub text: Option<String>,
    pub media: Vec<MediaRef>,
    pub location: Option<Location>,
    /// A contact card the sender shared: its phone number, as content only.
    pub shared_contact: Option<String>,
    /// The payload of an interactive button or a Telegram callback the sender pressed.
    pub button: Option<String>,
    /// E-mail only: the subject and the `In-Reply-To` message id (threading).
    pub subject: Option<String>,
    pub in_reply_to: Option<String>,
}

/// A photo or document attached to a message, to be fetched and checked like any upload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MediaRef {
    /// Fetched through the provider's media API (WhatsApp media id, Telegram `file_id`).
    ProviderId {
        id: String,
        mime: Option<String>,
        filename: Option<String>,
    },
    /// Fetched from a URL the provider gave (Twilio `MediaUrlN`, Messenger attachment URL).
    Url {
        url: String,
        mime: Option<String>,
        filename: Option<String>,
    },
    /// Carried in the request itself (e-mail attachments, base64 in the JSON).
    Inline {
        #[serde(with = "bytes_b64")]
        bytes: Vec<u8>,
        mime: Option<String>,
        filename: Option<String>,
    },
}

/// A shared location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    /// The place's name or address, when the provider gives one.
    pub label: Option<String>,
}

/// A provider's receipt for a message Tanggap sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryStatus {
    pub channel: Channel,
    /// The id the provider gave our message when it accepted it.
    pub provider_message_id: String,
    pub state: DeliveryState,
    pub at: Option<Timestamp>,
    /// The provider's reason, for `failed`.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Sent,
    Delivered,
    Read,
    Failed,
}

/// Why a body could not be understood (answered 400; nothing stored).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the body is not what {provider} sends: {reason}")]
    Malformed {
        provider: &'static str,
        reason: String,
    },
}

/// The SMS gateway's field names (configurable: Kannel, Gammu relays, RapidPro, Zenziva name
/// them differently).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsFields {
    pub from: String,
    pub text: String,
    /// RFC 3339 (or Unix seconds); optional in the request.
    pub date: String,
    /// The gateway's message id; optional in the request.
    pub id: String,
}

impl Default for SmsFields {
    fn default() -> Self {
        SmsFields {
            from: "from".into(),
            text: "text".into(),
            date: "date".into(),
            id: "id".into(),
        }
    }
}

mod bytes_b64 {
    //! `Vec<u8>` as standard, padded base64 text (RFC 4648), as the payload is stored in JSON.
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(b))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text.as_bytes()).map_err(D::Error::custom)
    }
}

// ----- parsers: one per provider ---------------------------------------------------------------
//
// Each lives in `inbound/providers/`; the shared rules (text cleaned and cut, ids and addresses
// bounded, places checked, empty messages dropped) in `inbound/clean.rs`.
//
// WhatsApp Business Cloud API: `messages[]` (text, image, document, location, contacts,
// interactive button/list replies, button) and `statuses[]`; `from` is digits without `+`.
// Messenger: `entry[].messaging[]` with `message{mid,text,attachments[]}`; echoes
// (`is_echo`) and delivery/read events are not messages.
// Telegram: one `Update`; `message` (text, caption, photo[] (the largest), document, location,
// contact) or `callback_query` (its `data` as `button`, `id` as key); `edited_message` ignored.
// SMS gateway: GET query or POST form/JSON with [`SmsFields`].
// Twilio: form parameters (`From`, `Body`, `MessageSid`, `NumMedia`, `MediaUrlN`,
// `MediaContentTypeN`); status callbacks (`MessageStatus`) are statuses.
// X: `direct_message_events[]` of type `message_create`; events whose sender is `for_user_id`
// (our own account) are not messages.
// E-mail: the JSON documented on [`email`].
//
// Common to all: a message of a kind not read here (a sticker, a reaction, a poll, a service
// message) is left out like an unknown event type; a message of a kind read here is kept even
// when its words clean down to nothing or its place is dropped. A message's key or sender that is empty, longer than 256 characters or holds
// control characters makes the whole body malformed; so does a required field of the wrong
// JSON type. Media beyond [`MAX_MEDIA`] and places off the globe are dropped, the message kept.

mod clean;
mod providers;

/// WhatsApp Business Cloud API webhook body.
///
/// `from` is the `wa_id`, always a full international number without `+`: it is read as
/// `+<digits>` and normalised to E.164. Only `changes[]` with `field == "messages"` are read;
/// of `messages[]`, the types text, image, document, audio, video, location, contacts,
/// interactive and button (reactions, stickers, `unsupported`… are left out). A message whose
/// type's own object is missing (`"type":"image"` without `image`) is malformed.
pub fn whatsapp(body: &[u8]) -> Result<Inbound, ParseError> {
    providers::whatsapp::parse(body)
}

/// Facebook Messenger webhook body.
///
/// A postback without `mid` gets the key `pb:` + hex SHA-256 of `sender \n timestamp \n payload`,
/// stable across the provider's retries.
pub fn messenger(body: &[u8]) -> Result<Inbound, ParseError> {
    providers::messenger::parse(body)
}

/// Telegram Bot API `Update`.
///
/// `from` is the chat's id (where a reply goes), `display_name` the sender's first name. Of a
/// message: text or caption, the largest photo, a document, video, voice note or audio file (as
/// `file_id`), a location (a venue's title as its label), a contact's phone number. A callback
/// query (a pressed inline button) has no time of its own: `sent_at` is `None`.
pub fn telegram(body: &[u8]) -> Result<Inbound, ParseError> {
    providers::telegram::parse(body)
}

/// The generic SMS gateway: fields from the query string (GET) or the body (form or JSON).
/// `received_at` is used for the hash key when the gateway sends neither id nor date.
///
/// The request carries no method: an empty body means the fields are in the query (a GET, or
/// a POST with everything in the URL), otherwise they are read from the body by its content
/// type: `application/x-www-form-urlencoded`, `application/json` (a flat object; `id` and
/// `date` may be numbers), or, without a content type, JSON when the body starts with `{` and
/// a form otherwise. Other types (`multipart/form-data`, `text/plain`) are malformed. A field
/// given twice counts once (the first). `date` is RFC 3339 or Unix seconds; a date in another
/// form is kept for the key but gives no `sent_at`.
pub fn sms_gateway(
    fields: &SmsFields,
    req: &WebhookRequest<'_>,
    received_at: Timestamp,
) -> Result<Inbound, ParseError> {
    providers::sms::parse(fields, req, received_at)
}

/// Twilio's form-encoded webhook (incoming message or status callback).
///
/// A status callback is a request with `MessageStatus` and no `Body`. Incoming WhatsApp
/// messages relayed by Twilio also give `ProfileName` (as `display_name`), `ButtonPayload` (as
/// `button`) and `Latitude`/`Longitude`/`Address` (as `location`); the channel stays `Sms`.
pub fn twilio(params: &[(String, String)]) -> Result<Inbound, ParseError> {
    providers::twilio::parse(params)
}

/// A form-encoded body's parameters, in order (Twilio signs them; the SMS gateway may post them).
///
/// `+` is a space and `%XX` a byte; bytes that do not form UTF-8 become U+FFFD (as every form
/// decoder does), so this never refuses a body.
pub fn form_params(body: &[u8]) -> Result<Vec<(String, String)>, ParseError> {
    serde_urlencoded::from_bytes(body)
        .map_err(|e| clean::malformed("form", format!("not a form: {e}")))
}

/// X Account Activity API event body.
///
/// `display_name` comes from the body's `users` map (the sender's `name`) when it is there.
/// When the message's text ends with the attached media's `t.co` link, the link is cut.
pub fn x(body: &[u8]) -> Result<Inbound, ParseError> {
    providers::x::parse(body)
}

/// An inbound e-mail as a provider posts it, parsed:
/// `{"message_id", "from", "to", "subject", "text", "in_reply_to"?, "date"?,
///   "attachments"?: [{"filename", "content_type", "content_base64"}]}`.
/// `from` may be `Name <addr>`; the address is kept lower-cased. The quoted earlier message
/// is cut from `text` ([`strip_quoted`]).
///
/// `message_id` and `from` are required; `to` is not read (the mailbox the message came to
/// is the adapter's business). `date` is RFC 2822 (the `Date:` header) or RFC 3339.
/// Attachments' base64 may be wrapped over lines (as in MIME).
pub fn email(body: &[u8]) -> Result<Inbound, ParseError> {
    providers::email::parse(body)
}

/// The new words of an e-mail reply: cut at the first quoted line (`>`), an "On … wrote:" /
/// "Pada … menulis:" line, or a `-----Original Message-----` separator.
///
/// The attribution line may be wrapped over two lines (as Gmail does with long names); the
/// markers are matched without regard to ASCII case. What comes before the marker is kept,
/// trimmed; when that is nothing (a reply written below the quote), the whole text, trimmed.
pub fn strip_quoted(text: &str) -> String {
    providers::email::strip_quoted(text)
}
