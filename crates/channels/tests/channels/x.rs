//! X Account Activity API: direct-message events, shaped as X documents them.

use serde_json::{Value, json};
use tanggap_channels::inbound::{MediaRef, x};
use tanggap_domain::Channel;

use crate::support::{assert_malformed, assert_nothing, at_ms, only};

const US: &str = "4337869213";
const CITIZEN: &str = "3001969357";

fn dm(id: &str, sender: &str, data: Value) -> Value {
    json!({
        "type": "message_create",
        "id": id,
        "created_timestamp": "1694427240557",
        "message_create": {
            "target": {"recipient_id": if sender == US { CITIZEN } else { US }},
            "sender_id": sender,
            "source_app_id": "268278",
            "message_data": data
        }
    })
}

fn body(events: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "for_user_id": US,
        "direct_message_events": events,
        "apps": {"268278": {"id": "268278", "name": "Twitter Web Client", "url": "http://twitter.com"}},
        "users": {
            CITIZEN: {"id": CITIZEN, "created_timestamp": "1422556069340", "name": "Budi Santoso",
                      "screen_name": "budis", "protected": false, "verified": false,
                      "followers_count": 10, "friends_count": 20, "statuses_count": 30},
            US: {"id": US, "created_timestamp": "1422556069340", "name": "Tanggap Kota Bogor",
                 "screen_name": "tanggapbogor", "protected": false, "verified": true}
        }
    }))
    .unwrap()
}

#[test]
fn a_direct_message() {
    let raw = body(vec![dm(
        "1699100000000000001",
        CITIZEN,
        json!({"text": "Trotoar rusak di Jl. Pajajaran",
               "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []}}),
    )]);
    let inbound = x(&raw).unwrap();
    let msg = only(&inbound);
    assert_eq!(msg.channel, Channel::Twitter);
    assert_eq!(msg.provider_id, "1699100000000000001");
    assert_eq!(msg.from, CITIZEN);
    assert_eq!(msg.display_name.as_deref(), Some("Budi Santoso"));
    assert_eq!(msg.sent_at, Some(at_ms(1_694_427_240_557)));
    assert_eq!(msg.text.as_deref(), Some("Trotoar rusak di Jl. Pajajaran"));
}

#[test]
fn our_own_messages_echoed_back_are_skipped() {
    let raw = body(vec![
        dm("1", US, json!({"text": "Laporan Anda diterima"})),
        dm("2", CITIZEN, json!({"text": "Terima kasih"})),
    ]);
    assert_eq!(only(&x(&raw).unwrap()).provider_id, "2");
}

#[test]
fn media_and_quick_replies() {
    let raw = body(vec![dm(
        "3",
        CITIZEN,
        json!({
            "text": "Foto lokasi https://t.co/AbCdEf1234",
            "entities": {"urls": [{"url": "https://t.co/AbCdEf1234", "indices": [12, 35]}]},
            "attachment": {"type": "media", "media": {
                "id": 1_699_100_000_000_000_100u64, "id_str": "1699100000000000100",
                "media_url": "http://pbs.twimg.com/dm_gif_preview/1/x.jpg",
                "media_url_https": "https://ton.twitter.com/1.1/ton/data/dm/3/1699100000000000100/AbC.jpg",
                "url": "https://t.co/AbCdEf1234", "display_url": "pic.twitter.com/AbCdEf1234",
                "type": "photo", "sizes": {}}},
            "quick_reply_response": {"type": "options", "metadata": "report:TGP-7Q2K"}
        }),
    )]);
    let msg = only(&x(&raw).unwrap()).clone();
    assert_eq!(msg.text.as_deref(), Some("Foto lokasi"));
    assert_eq!(
        msg.media,
        vec![MediaRef::Url {
            url: "https://ton.twitter.com/1.1/ton/data/dm/3/1699100000000000100/AbC.jpg".into(),
            mime: None,
            filename: None
        }]
    );
    assert_eq!(msg.button.as_deref(), Some("report:TGP-7Q2K"));
}

#[test]
fn several_messages_keep_their_order() {
    let raw = body(vec![
        dm("10", CITIZEN, json!({"text": "a"})),
        dm("11", "999", json!({"text": "b"})),
    ]);
    let inbound = x(&raw).unwrap();
    let got: Vec<_> = inbound
        .messages
        .iter()
        .map(|m| {
            (
                m.provider_id.as_str(),
                m.from.as_str(),
                m.display_name.is_some(),
            )
        })
        .collect();
    assert_eq!(got, [("10", CITIZEN, true), ("11", "999", false)]);
}

#[test]
fn other_activities_are_ignored() {
    let tweets = serde_json::to_vec(&json!({
        "for_user_id": US,
        "tweet_create_events": [{"id_str": "1", "text": "@tanggapbogor jalan rusak", "user": {"id_str": CITIZEN}}]
    }))
    .unwrap();
    let favorites = serde_json::to_vec(&json!({
        "for_user_id": US,
        "favorite_events": [{"id": "a", "favorited_status": {}, "user": {}}]
    }))
    .unwrap();
    let typing = serde_json::to_vec(&json!({
        "for_user_id": US,
        "direct_message_indicate_typing_events": [{"created_timestamp": "1", "sender_id": CITIZEN, "target": {"recipient_id": US}}]
    }))
    .unwrap();
    let other_dm_event = body(vec![json!({"type": "message_delete", "id": "7"})]);
    for raw in [tweets, favorites, typing, other_dm_event] {
        assert_nothing(x(&raw));
    }
}

#[test]
fn malformed_events() {
    assert_malformed(x(b"[]"));
    assert_malformed(x(&body(vec![json!({"type": "message_create", "id": "1"})])));
    assert_malformed(x(&body(vec![json!({
        "type": "message_create",
        "message_create": {"sender_id": CITIZEN, "message_data": {"text": "x"}}
    })])));
    assert_malformed(x(&body(vec![json!({
        "type": "message_create", "id": "1",
        "message_create": {"sender_id": 3001969357u64, "message_data": {"text": "x"}}
    })])));
    assert_malformed(x(br#"{"direct_message_events":{"type":"message_create"}}"#));
}
