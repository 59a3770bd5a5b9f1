//! Telegram Bot API updates, shaped as the Bot API documents `Update`.

use serde_json::{Value, json};
use tanggap_channels::inbound::{Location, MediaRef, telegram};
use tanggap_domain::Channel;

use crate::support::{assert_malformed, assert_nothing, at, only};

fn from_budi() -> Value {
    json!({"id": 111_222_333, "is_bot": false, "first_name": "Budi", "last_name": "Santoso",
           "username": "budis", "language_code": "id"})
}

fn update(message: Value) -> Vec<u8> {
    let mut message = message;
    let fields = message.as_object_mut().unwrap();
    fields.entry("message_id").or_insert(json!(1365));
    fields.entry("from").or_insert(from_budi());
    fields.entry("chat").or_insert(
        json!({"id": 111_222_333, "type": "private", "first_name": "Budi", "username": "budis"}),
    );
    fields.entry("date").or_insert(json!(1_694_427_240));
    serde_json::to_vec(&json!({"update_id": 872_645_001, "message": message})).unwrap()
}

#[test]
fn a_text_message() {
    let raw = br#"{"update_id":872645001,"message":{"message_id":1365,"from":{"id":111222333,"is_bot":false,"first_name":"Budi","last_name":"Santoso","username":"budis","language_code":"id"},"chat":{"id":111222333,"first_name":"Budi","username":"budis","type":"private"},"date":1694427240,"text":"Saluran air tersumbat di RT 04"}}"#;
    let inbound = telegram(raw).unwrap();
    let msg = only(&inbound);
    assert_eq!(msg.channel, Channel::Telegram);
    assert_eq!(msg.provider_id, "872645001");
    assert_eq!(msg.from, "111222333");
    assert_eq!(msg.display_name.as_deref(), Some("Budi"));
    assert_eq!(msg.sent_at, Some(at(1_694_427_240)));
    assert_eq!(msg.text.as_deref(), Some("Saluran air tersumbat di RT 04"));
}

#[test]
fn in_a_group_the_sender_is_the_chat() {
    let raw = update(json!({
        "chat": {"id": -1_001_234_567_890i64, "title": "Warga RW 05", "type": "supergroup"},
        "text": "Ada pohon tumbang"
    }));
    let msg = only(&telegram(&raw).unwrap()).clone();
    assert_eq!(msg.from, "-1001234567890");
    assert_eq!(msg.display_name.as_deref(), Some("Budi"));
}

#[test]
fn a_photo_keeps_the_largest_size_and_its_caption() {
    let raw = update(json!({
        "photo": [
            {"file_id": "AgACAgUAAxkBAAIBsmS_small", "file_unique_id": "AQADs", "file_size": 1203, "width": 90, "height": 68},
            {"file_id": "AgACAgUAAxkBAAIBsmS_large", "file_unique_id": "AQADl", "file_size": 84512, "width": 1280, "height": 960},
            {"file_id": "AgACAgUAAxkBAAIBsmS_medium", "file_unique_id": "AQADm", "file_size": 20990, "width": 320, "height": 240}
        ],
        "caption": "Jembatan retak"
    }));
    let msg = only(&telegram(&raw).unwrap()).clone();
    assert_eq!(msg.text.as_deref(), Some("Jembatan retak"));
    assert_eq!(
        msg.media,
        vec![MediaRef::ProviderId {
            id: "AgACAgUAAxkBAAIBsmS_large".into(),
            mime: None,
            filename: None
        }]
    );
}

#[test]
fn a_document_keeps_its_type_and_name() {
    let raw = update(json!({
        "document": {"file_name": "foto_jalan.heic", "mime_type": "image/heic",
                     "file_id": "BQACAgUAAxkBAAIBs2S_doc", "file_unique_id": "AgADd", "file_size": 1_204_001}
    }));
    let msg = only(&telegram(&raw).unwrap()).clone();
    assert_eq!(msg.text, None);
    assert_eq!(
        msg.media,
        vec![MediaRef::ProviderId {
            id: "BQACAgUAAxkBAAIBs2S_doc".into(),
            mime: Some("image/heic".into()),
            filename: Some("foto_jalan.heic".into())
        }]
    );
}

#[test]
fn a_location_a_venue_and_a_contact() {
    let loc = update(json!({"location": {"latitude": -6.914744, "longitude": 107.60981}}));
    assert_eq!(
        only(&telegram(&loc).unwrap()).location,
        Some(Location {
            latitude: -6.914744,
            longitude: 107.60981,
            label: None
        })
    );
    let venue = update(json!({
        "location": {"latitude": -6.9175, "longitude": 107.6191},
        "venue": {"location": {"latitude": -6.9175, "longitude": 107.6191},
                  "title": "Gedung Sate", "address": "Jl. Diponegoro No.22"}
    }));
    assert_eq!(
        only(&telegram(&venue).unwrap())
            .location
            .as_ref()
            .and_then(|l| l.label.as_deref()),
        Some("Gedung Sate")
    );
    let contact = update(json!({
        "contact": {"phone_number": "+6281277778888", "first_name": "Siti", "user_id": 444}
    }));
    let msg = only(&telegram(&contact).unwrap()).clone();
    assert_eq!(msg.shared_contact.as_deref(), Some("+6281277778888"));
    assert_eq!(msg.from, "111222333");
}

#[test]
fn a_location_off_the_globe_is_dropped_but_the_message_kept() {
    let raw = update(json!({"location": {"latitude": 12.0, "longitude": 181.0}}));
    let inbound = telegram(&raw).unwrap();
    assert_eq!(only(&inbound).location, None);
}

#[test]
fn a_callback_query_is_a_button_from_the_chat_it_was_pressed_in() {
    let raw = serde_json::to_vec(&json!({
        "update_id": 872_645_002,
        "callback_query": {
            "id": "4382bfdwdsb323b2d9",
            "from": from_budi(),
            "message": {"message_id": 1366, "from": {"id": 5_000_000_001i64, "is_bot": true, "first_name": "TanggapBot"},
                        "chat": {"id": -1_001_234_567_890i64, "type": "supergroup", "title": "Warga"},
                        "date": 1_694_427_100, "text": "Laporan mana?"},
            "chat_instance": "-7390152960474335217",
            "data": "report:TGP-7Q2K"
        }
    }))
    .unwrap();
    let msg = only(&telegram(&raw).unwrap()).clone();
    assert_eq!(msg.provider_id, "872645002");
    assert_eq!(msg.from, "-1001234567890");
    assert_eq!(msg.button.as_deref(), Some("report:TGP-7Q2K"));
    assert_eq!(msg.display_name.as_deref(), Some("Budi"));
    assert_eq!(msg.text, None);
    assert_eq!(msg.sent_at, None);

    // Without the message (too old), the reply goes to the user who pressed.
    let raw = serde_json::to_vec(&json!({
        "update_id": 872_645_003,
        "callback_query": {"id": "1", "from": from_budi(), "chat_instance": "1", "data": "ok"}
    }))
    .unwrap();
    assert_eq!(only(&telegram(&raw).unwrap()).from, "111222333");
}

#[test]
fn edits_channel_posts_bots_stickers_and_service_messages_are_ignored() {
    let edited = serde_json::to_vec(&json!({
        "update_id": 1,
        "edited_message": {"message_id": 1, "from": from_budi(), "chat": {"id": 1, "type": "private"},
                           "date": 1, "edit_date": 2, "text": "diubah"}
    }))
    .unwrap();
    let channel_post = serde_json::to_vec(&json!({
        "update_id": 2,
        "channel_post": {"message_id": 1, "chat": {"id": -100, "type": "channel"}, "date": 1, "text": "x"}
    }))
    .unwrap();
    let bot = update(json!({
        "from": {"id": 5_000_000_001i64, "is_bot": true, "first_name": "OtherBot"}, "text": "spam"
    }));
    let sticker = update(json!({
        "sticker": {"file_id": "CAACAgIAAxkBAAIB", "file_unique_id": "x", "type": "regular",
                    "width": 512, "height": 512, "is_animated": false, "is_video": false}
    }));
    let joined = update(json!({"new_chat_members": [from_budi()]}));
    let callback_without_data = serde_json::to_vec(&json!({
        "update_id": 3,
        "callback_query": {"id": "1", "from": from_budi(), "chat_instance": "1", "game_short_name": "g"}
    }))
    .unwrap();
    let my_chat_member = br#"{"update_id":4,"my_chat_member":{"chat":{"id":1,"type":"private"},"from":{"id":1,"is_bot":false,"first_name":"A"},"date":1,"old_chat_member":{},"new_chat_member":{}}}"#;
    for raw in [
        edited,
        channel_post,
        bot,
        sticker,
        joined,
        callback_without_data,
        my_chat_member.to_vec(),
    ] {
        assert_nothing(telegram(&raw));
    }
}

#[test]
fn malformed_updates() {
    assert_malformed(telegram(br#"{"message":{"chat":{"id":1},"text":"x"}}"#));
    assert_malformed(telegram(
        br#"{"update_id":"1","message":{"chat":{"id":1},"text":"x"}}"#,
    ));
    assert_malformed(telegram(br#"{"update_id":1,"message":{"text":"x"}}"#));
    assert_malformed(telegram(
        br#"{"update_id":1,"message":{"chat":{"id":1},"text":["x"]}}"#,
    ));
    assert_malformed(telegram(br#"[1,2,3]"#));
    assert_malformed(telegram(&update(
        json!({"photo": [{"file_id": "", "width": 1, "height": 1}]}),
    )));
}
