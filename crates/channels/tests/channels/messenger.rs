//! Facebook Messenger webhooks, shaped as the Messenger Platform documents them.

use serde_json::{Value, json};
use tanggap_channels::inbound::{
    DeliveryState, DeliveryStatus, Location, MAX_MEDIA, MediaRef, messenger,
};
use tanggap_domain::Channel;

use crate::support::{assert_malformed, assert_nothing, at_ms, only};

const PAGE: &str = "104623419128011";
const PSID: &str = "6783451238712345";

fn body(events: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "page",
        "entry": [{"id": PAGE, "time": 1_694_427_240_123i64, "messaging": events}]
    }))
    .unwrap()
}

fn event(kind: &str, payload: Value) -> Value {
    json!({
        "sender": {"id": PSID},
        "recipient": {"id": PAGE},
        "timestamp": 1_694_427_240_000i64,
        kind: payload
    })
}

#[test]
fn a_text_message() {
    let raw = br#"{"object":"page","entry":[{"id":"104623419128011","time":1694427240123,"messaging":[{"sender":{"id":"6783451238712345"},"recipient":{"id":"104623419128011"},"timestamp":1694427240000,"message":{"mid":"m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P","text":"Lampu jalan mati sejak seminggu"}}]}]}"#;
    let inbound = messenger(raw).unwrap();
    let msg = only(&inbound);
    assert_eq!(msg.channel, Channel::Facebook);
    assert_eq!(
        msg.provider_id,
        "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P"
    );
    assert_eq!(msg.from, PSID);
    assert_eq!(msg.sent_at, Some(at_ms(1_694_427_240_000)));
    assert_eq!(msg.text.as_deref(), Some("Lampu jalan mati sejak seminggu"));
    assert_eq!(msg.display_name, None);
}

#[test]
fn attachments_are_urls_and_a_location_is_a_place() {
    let raw = body(json!([event(
        "message",
        json!({"mid": "m_att", "attachments": [
            {"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/v/t1.15752-9/photo.jpg?_nc_cat=1&oh=abc"}},
            {"type": "file", "payload": {"url": "https://cdn.fbsbx.com/v/t59.2708-21/laporan.pdf"}},
            {"type": "location", "title": "Pinned Location",
             "url": "https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.bing.com%2Fmaps",
             "payload": {"coordinates": {"lat": -6.2, "long": 106.816666}}},
            {"type": "fallback", "payload": null, "title": "a link", "url": "https://example.org"},
            {"type": "template", "payload": {"template_type": "generic", "elements": []}}
        ]})
    )]));
    let msg = only(&messenger(&raw).unwrap()).clone();
    assert_eq!(msg.text, None);
    assert_eq!(
        msg.media,
        vec![
            MediaRef::Url {
                url: "https://scontent.xx.fbcdn.net/v/t1.15752-9/photo.jpg?_nc_cat=1&oh=abc".into(),
                mime: None,
                filename: None
            },
            MediaRef::Url {
                url: "https://cdn.fbsbx.com/v/t59.2708-21/laporan.pdf".into(),
                mime: None,
                filename: None
            },
        ]
    );
    assert_eq!(
        msg.location,
        Some(Location {
            latitude: -6.2,
            longitude: 106.816666,
            label: Some("Pinned Location".into())
        })
    );
}

#[test]
fn no_more_than_max_media_and_no_urls_that_are_not_http() {
    let mut attachments: Vec<Value> = (0..MAX_MEDIA + 3)
        .map(|i| json!({"type": "image", "payload": {"url": format!("https://cdn.example/{i}.jpg")}}))
        .collect();
    attachments.insert(
        0,
        json!({"type": "image", "payload": {"url": "file:///etc/passwd"}}),
    );
    let raw = body(json!([event(
        "message",
        json!({"mid": "m_many", "text": "foto", "attachments": attachments})
    )]));
    let msg = only(&messenger(&raw).unwrap()).clone();
    assert_eq!(msg.media.len(), MAX_MEDIA);
    assert_eq!(
        msg.media[0],
        MediaRef::Url {
            url: "https://cdn.example/0.jpg".into(),
            mime: None,
            filename: None
        }
    );
}

#[test]
fn quick_replies_and_postbacks_give_the_button() {
    let raw = body(json!([
        event(
            "message",
            json!({"mid": "m_qr", "text": "Ya", "quick_reply": {"payload": "confirm:TGP-7Q2K"}})
        ),
        event(
            "postback",
            json!({"title": "Laporan saya", "payload": "MY_REPORTS", "mid": "m_pb"})
        ),
    ]));
    let inbound = messenger(&raw).unwrap();
    assert_eq!(inbound.messages.len(), 2);
    assert_eq!(
        inbound.messages[0].button.as_deref(),
        Some("confirm:TGP-7Q2K")
    );
    assert_eq!(inbound.messages[0].text.as_deref(), Some("Ya"));
    assert_eq!(inbound.messages[1].provider_id, "m_pb");
    assert_eq!(inbound.messages[1].button.as_deref(), Some("MY_REPORTS"));
    assert_eq!(inbound.messages[1].text, None);
}

#[test]
fn a_postback_without_mid_gets_a_key_stable_across_retries() {
    let pb = |payload: &str, ts: i64| {
        let mut e = event("postback", json!({"title": "Mulai", "payload": payload}));
        e["timestamp"] = json!(ts);
        body(json!([e]))
    };
    let key = |raw: &[u8]| only(&messenger(raw).unwrap()).provider_id.clone();
    let first = key(&pb("GET_STARTED", 1_694_427_240_000));
    assert!(first.starts_with("pb:") && first.len() == 3 + 64, "{first}");
    assert_eq!(first, key(&pb("GET_STARTED", 1_694_427_240_000)));
    assert_ne!(first, key(&pb("GET_STARTED", 1_694_427_240_001)));
    assert_ne!(first, key(&pb("MY_REPORTS", 1_694_427_240_000)));
}

#[test]
fn echoes_reads_and_reactions_are_not_messages() {
    let echo = json!({
        "sender": {"id": PAGE}, "recipient": {"id": PSID}, "timestamp": 1_694_427_240_000i64,
        "message": {"is_echo": true, "app_id": 1517776481860111i64, "metadata": "tanggap",
                    "mid": "m_echo", "text": "Laporan Anda diterima"}
    });
    let read = event("read", json!({"watermark": 1_694_427_240_000i64}));
    let reaction = event(
        "reaction",
        json!({"reaction": "love", "emoji": "❤", "action": "react", "mid": "m_x"}),
    );
    let typing_only_template = event(
        "message",
        json!({"mid": "m_tpl", "attachments": [{"type": "template", "payload": {"template_type": "button"}}]}),
    );
    assert_nothing(messenger(&body(json!([
        echo,
        read,
        reaction,
        typing_only_template
    ]))));
}

#[test]
fn a_delivery_gives_one_receipt_per_mid() {
    let raw = body(json!([event(
        "delivery",
        json!({"mids": ["m_out1", "m_out2"], "watermark": 1_694_427_250_000i64})
    )]));
    let inbound = messenger(&raw).unwrap();
    assert!(inbound.messages.is_empty());
    let receipt = |mid: &str| DeliveryStatus {
        channel: Channel::Facebook,
        provider_message_id: mid.into(),
        state: DeliveryState::Delivered,
        at: Some(at_ms(1_694_427_250_000)),
        error: None,
    };
    assert_eq!(inbound.statuses, vec![receipt("m_out1"), receipt("m_out2")]);
    // Older deliveries carry only a watermark: nothing to match.
    assert_nothing(messenger(&body(json!([event(
        "delivery",
        json!({"watermark": 1_694_427_250_000i64})
    )]))));
}

#[test]
fn several_entries_and_events_keep_their_order() {
    let raw = serde_json::to_vec(&json!({"object": "page", "entry": [
        {"id": PAGE, "time": 1, "messaging": [event("message", json!({"mid": "m_1", "text": "satu"}))]},
        {"id": PAGE, "time": 2, "messaging": [
            event("message", json!({"mid": "m_2", "text": "dua"})),
            event("message", json!({"mid": "m_3", "text": "tiga"}))
        ]}
    ]}))
    .unwrap();
    let keys: Vec<_> = messenger(&raw)
        .unwrap()
        .messages
        .into_iter()
        .map(|m| m.provider_id)
        .collect();
    assert_eq!(keys, ["m_1", "m_2", "m_3"]);
}

#[test]
fn malformed_bodies() {
    assert_malformed(messenger(br#"{"object":"instagram","entry":[]}"#));
    assert_malformed(messenger(b"{"));
    // A message without its mid, or without a sender.
    assert_malformed(messenger(&body(json!([event(
        "message",
        json!({"text": "x"})
    )]))));
    assert_malformed(messenger(&body(json!([{
        "recipient": {"id": PAGE}, "timestamp": 1, "message": {"mid": "m_1", "text": "x"}
    }]))));
    // The text of the wrong type; a location without coordinates.
    assert_malformed(messenger(&body(json!([event(
        "message",
        json!({"mid": "m_1", "text": 5})
    )]))));
    assert_malformed(messenger(&body(json!([event(
        "message",
        json!({"mid": "m_1", "attachments": [{"type": "location", "payload": {}}]})
    )]))));
}
