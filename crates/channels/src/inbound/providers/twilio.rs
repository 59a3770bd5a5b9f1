//! Twilio Programmable Messaging: the incoming-message webhook and the status callback, both
//! form parameters.

use tanggap_domain::Channel;

use crate::inbound::clean::{self, malformed};
use crate::inbound::{DeliveryState, DeliveryStatus, Inbound, MediaRef, ParseError};

const PROVIDER: &str = "Twilio";
/// Twilio attaches at most ten media to one message.
const MAX_TWILIO_MEDIA: usize = 10;

pub(crate) fn parse(params: &[(String, String)]) -> Result<Inbound, ParseError> {
    let get = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let sid = get("MessageSid")
        .or_else(|| get("SmsSid"))
        .ok_or_else(|| malformed(PROVIDER, "no MessageSid"))?;
    let sid = clean::id(PROVIDER, "MessageSid", sid)?;
    let mut inbound = Inbound::default();

    // A status callback carries `MessageStatus` and no `Body`; an incoming message without
    // words (a photo alone) may say `received`, and is still a message.
    let status_callback = get("MessageStatus")
        .filter(|s| get("Body").is_none() && !matches!(s.trim(), "received" | "receiving"));
    if let Some(status) = status_callback {
        let state = match status.trim() {
            "sent" => DeliveryState::Sent,
            "delivered" => DeliveryState::Delivered,
            "read" => DeliveryState::Read,
            "undelivered" | "failed" => DeliveryState::Failed,
            // queued, accepted, sending, scheduled, canceled…: nothing to record yet.
            _ => return Ok(inbound),
        };
        let error = (state == DeliveryState::Failed)
            .then(|| get("ErrorCode").or_else(|| get("ErrorMessage")))
            .flatten()
            .and_then(clean::short);
        inbound.statuses.push(DeliveryStatus {
            channel: Channel::Sms,
            provider_message_id: sid,
            state,
            at: None,
            error,
        });
        return Ok(inbound);
    }

    let from_raw = get("From").ok_or_else(|| malformed(PROVIDER, "no From"))?;
    let from_raw = from_raw.trim();
    // WhatsApp through Twilio: `whatsapp:+628…`.
    let number = match from_raw.split_at_checked("whatsapp:".len()) {
        Some((prefix, rest)) if prefix.eq_ignore_ascii_case("whatsapp:") => rest,
        _ => from_raw,
    };
    let mut msg = clean::message(Channel::Sms, sid, clean::phone(PROVIDER, number)?);
    msg.text = get("Body").and_then(clean::text);
    msg.display_name = get("ProfileName").and_then(clean::short);
    msg.button = get("ButtonPayload").and_then(clean::short);
    let coordinate = |name| get(name).and_then(|v| v.trim().parse::<f64>().ok());
    if let (Some(lat), Some(lon)) = (coordinate("Latitude"), coordinate("Longitude")) {
        let label = get("Label")
            .and_then(clean::short)
            .or_else(|| get("Address").and_then(clean::short));
        msg.location = clean::location(lat, lon, label);
    }
    // Twilio always sends a count; anything but a number is not Twilio.
    let count = match get("NumMedia") {
        Some(n) => n
            .trim()
            .parse::<usize>()
            .map_err(|_| malformed(PROVIDER, "NumMedia is not a number"))?,
        None => MAX_TWILIO_MEDIA,
    }
    .min(MAX_TWILIO_MEDIA);
    for i in 0..count {
        let Some(url) = get(&format!("MediaUrl{i}")).and_then(clean::media_url) else {
            continue;
        };
        clean::push_media(
            &mut msg,
            MediaRef::Url {
                url,
                mime: get(&format!("MediaContentType{i}")).and_then(clean::short),
                filename: None,
            },
        );
    }
    inbound.messages.push(msg);
    Ok(inbound)
}
