//! WhatsApp Business Cloud API webhooks, shaped as Meta documents them.

use serde_json::{Value, json};
use tanggap_channels::inbound::{DeliveryState, DeliveryStatus, Location, MediaRef, whatsapp};
use tanggap_domain::Channel;

use crate::support::{assert_malformed, assert_nothing, at, only};

/// A `messages` change as Meta wraps it, around `value`'s own fields.
fn body(value: Value) -> Vec<u8> {
    let mut value = value;
    let fields = value.as_object_mut().expect("an object");
    fields.insert("messaging_product".into(), json!("whatsapp"));
    fields.insert(
        "metadata".into(),
        json!({"display_phone_number": "6281100001111", "phone_number_id": "106540352242922"}),
    );
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}]
    }))
    .unwrap()
}

fn budi() -> Value {
    json!([{"profile": {"name": "Budi Santoso"}, "wa_id": "6281234567890"}])
}

fn one_message(message: Value) -> Vec<u8> {
    body(json!({"contacts": budi(), "messages": [message]}))
}

#[test]
fn a_text_message_gives_the_sender_in_e164_and_the_profile_name() {
    let raw = br#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"6281100001111","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Budi Santoso"},"wa_id":"6281234567890"}],"messages":[{"from":"6281234567890","id":"wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBDMEI2RjA2NDZBNEY5QzdBAA==","timestamp":"1694427240","text":{"body":"  Jalan berlubang di depan SDN 3 Cibinong  "},"type":"text"}]},"field":"messages"}]}]}"#;
    let inbound = whatsapp(raw).unwrap();
    let msg = only(&inbound);
    assert_eq!(msg.channel, Channel::Whatsapp);
    assert_eq!(
        msg.provider_id,
        "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBDMEI2RjA2NDZBNEY5QzdBAA=="
    );
    assert_eq!(msg.from, "+6281234567890");
    assert_eq!(msg.display_name.as_deref(), Some("Budi Santoso"));
    assert_eq!(msg.sent_at, Some(at(1_694_427_240)));
    assert_eq!(
        msg.text.as_deref(),
        Some("Jalan berlubang di depan SDN 3 Cibinong")
    );
    assert!(msg.media.is_empty());
    assert_eq!(msg.location, None);
    assert_eq!(msg.button, None);
    assert_eq!(msg.subject, None);
}

#[test]
fn a_number_from_another_country_keeps_its_country_code() {
    let raw = body(json!({
        "contacts": [{"profile": {"name": "Tourist"}, "wa_id": "14155552671"}],
        "messages": [{"from": "14155552671", "id": "wamid.1", "timestamp": "1694427240",
                      "type": "text", "text": {"body": "hello"}}]
    }));
    let inbound = whatsapp(&raw).unwrap();
    let msg = only(&inbound);
    assert_eq!(msg.from, "+14155552671");
    assert_eq!(msg.display_name.as_deref(), Some("Tourist"));
}

#[test]
fn the_profile_name_is_the_senders_own_not_another_contacts() {
    let raw = body(json!({
        "contacts": [{"profile": {"name": "Someone Else"}, "wa_id": "6289999999999"}],
        "messages": [{"from": "6281234567890", "id": "wamid.2", "timestamp": "1694427240",
                      "type": "text", "text": {"body": "halo"}}]
    }));
    assert_eq!(only(&whatsapp(&raw).unwrap()).display_name, None);
}

#[test]
fn an_image_is_a_media_id_and_its_caption_the_text() {
    let raw = one_message(json!({
        "from": "6281234567890", "id": "wamid.img", "timestamp": "1694427300", "type": "image",
        "image": {"caption": "Sampah menumpuk", "mime_type": "image/jpeg",
                  "sha256": "2ahX0sbtE5bLyxGJdIY0Hkq1RfZxZrS9mLyx9b5Kg6o=", "id": "1003383421387256"}
    }));
    let inbound = whatsapp(&raw).unwrap();
    let msg = only(&inbound);
    assert_eq!(msg.text.as_deref(), Some("Sampah menumpuk"));
    assert_eq!(
        msg.media,
        vec![MediaRef::ProviderId {
            id: "1003383421387256".into(),
            mime: Some("image/jpeg".into()),
            filename: None,
        }]
    );
}

#[test]
fn a_document_keeps_its_file_name() {
    let raw = one_message(json!({
        "from": "6281234567890", "id": "wamid.doc", "timestamp": "1694427300", "type": "document",
        "document": {"caption": "Surat pengaduan", "filename": "surat.pdf", "mime_type": "application/pdf",
                     "sha256": "abc", "id": "889202938409"}
    }));
    let msg = only(&whatsapp(&raw).unwrap()).clone();
    assert_eq!(msg.text.as_deref(), Some("Surat pengaduan"));
    assert_eq!(
        msg.media,
        vec![MediaRef::ProviderId {
            id: "889202938409".into(),
            mime: Some("application/pdf".into()),
            filename: Some("surat.pdf".into()),
        }]
    );
}

#[test]
fn voice_notes_and_videos_are_media_without_text() {
    for (kind, mime) in [("audio", "audio/ogg; codecs=opus"), ("video", "video/mp4")] {
        let raw = one_message(json!({
            "from": "6281234567890", "id": format!("wamid.{kind}"), "timestamp": "1694427300",
            "type": kind, kind: {"mime_type": mime, "sha256": "x", "id": "55501", "voice": true}
        }));
        let msg = only(&whatsapp(&raw).unwrap()).clone();
        assert_eq!(msg.text, None, "{kind}");
        assert_eq!(
            msg.media,
            vec![MediaRef::ProviderId {
                id: "55501".into(),
                mime: Some(mime.into()),
                filename: None
            }]
        );
    }
}

#[test]
fn a_location_with_its_name() {
    let raw = one_message(json!({
        "from": "6281234567890", "id": "wamid.loc", "timestamp": "1694427300", "type": "location",
        "location": {"latitude": -6.4817, "longitude": 106.8540, "name": "Pasar Cibinong",
                     "address": "Jl. Raya Bogor, Cibinong"}
    }));
    assert_eq!(
        only(&whatsapp(&raw).unwrap()).location,
        Some(Location {
            latitude: -6.4817,
            longitude: 106.854,
            label: Some("Pasar Cibinong".into())
        })
    );
}

#[test]
fn a_location_off_the_globe_is_dropped_but_the_message_kept() {
    let raw = one_message(json!({
        "from": "6281234567890", "id": "wamid.badloc", "timestamp": "1694427300", "type": "location",
        "location": {"latitude": 91.0, "longitude": 106.8}
    }));
    let inbound = whatsapp(&raw).unwrap();
    let msg = only(&inbound);
    assert_eq!(msg.provider_id, "wamid.badloc");
    assert_eq!(msg.location, None);
}

#[test]
fn a_shared_contact_gives_its_first_phone_as_content() {
    let raw = one_message(json!({
        "from": "6281234567890", "id": "wamid.card", "timestamp": "1694427300", "type": "contacts",
        "contacts": [{
            "name": {"first_name": "Siti", "formatted_name": "Siti Aminah"},
            "phones": [{"phone": "+62 812-7777-8888", "type": "CELL", "wa_id": "6281277778888"},
                       {"phone": "+62 21 555 0101", "type": "WORK"}]
        }]
    }));
    let msg = only(&whatsapp(&raw).unwrap()).clone();
    assert_eq!(msg.shared_contact.as_deref(), Some("+62 812-7777-8888"));
    // The card is content: the sender is still the one WhatsApp vouches for.
    assert_eq!(msg.from, "+6281234567890");
}

#[test]
fn button_and_list_replies_and_template_buttons_give_the_button() {
    let cases = [
        json!({"type": "interactive", "interactive": {"type": "button_reply",
               "button_reply": {"id": "confirm:TGP-7Q2K", "title": "Ya"}}}),
        json!({"type": "interactive", "interactive": {"type": "list_reply",
               "list_reply": {"id": "report:TGP-7Q2K", "title": "TGP-7Q2K", "description": "Jalan"}}}),
        json!({"type": "button", "button": {"payload": "confirm:TGP-7Q2K", "text": "Ya"},
               "context": {"from": "6281100001111", "id": "wamid.template"}}),
    ];
    for (i, mut case) in cases.into_iter().enumerate() {
        let fields = case.as_object_mut().unwrap();
        fields.insert("from".into(), json!("6281234567890"));
        fields.insert("id".into(), json!(format!("wamid.btn{i}")));
        fields.insert("timestamp".into(), json!("1694427300"));
        let msg = only(&whatsapp(&one_message(case)).unwrap()).clone();
        let want = if i == 1 {
            "report:TGP-7Q2K"
        } else {
            "confirm:TGP-7Q2K"
        };
        assert_eq!(msg.button.as_deref(), Some(want), "case {i}");
        assert_eq!(msg.text, None);
    }
}

#[test]
fn several_messages_in_one_body_all_come_through_in_order() {
    let raw = serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [
            {"id": "1", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "contacts": budi(),
                "messages": [
                    {"from": "6281234567890", "id": "wamid.a", "timestamp": "1694427240", "type": "text", "text": {"body": "satu"}},
                    {"from": "6281234567890", "id": "wamid.b", "timestamp": "1694427241", "type": "reaction",
                     "reaction": {"message_id": "wamid.x", "emoji": "👍"}},
                    {"from": "6281234567890", "id": "wamid.c", "timestamp": "1694427242", "type": "text", "text": {"body": "dua"}}
                ]}}]},
            {"id": "2", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "messages": [{"from": "6285700001111", "id": "wamid.d", "timestamp": "1694427243", "type": "text", "text": {"body": "tiga"}}]
            }}]}
        ]
    }))
    .unwrap();
    let inbound = whatsapp(&raw).unwrap();
    let keys: Vec<_> = inbound
        .messages
        .iter()
        .map(|m| m.provider_id.as_str())
        .collect();
    assert_eq!(keys, ["wamid.a", "wamid.c", "wamid.d"]);
    assert_eq!(inbound.messages[2].from, "+6285700001111");
    assert_eq!(inbound.messages[2].display_name, None);
}

#[test]
fn statuses_are_receipts_never_messages() {
    let raw = body(json!({"statuses": [
        {"id": "wamid.out1", "status": "sent", "timestamp": "1694427300", "recipient_id": "6281234567890",
         "conversation": {"id": "c1", "origin": {"type": "service"}}, "pricing": {"billable": true}},
        {"id": "wamid.out1", "status": "delivered", "timestamp": "1694427301", "recipient_id": "6281234567890"},
        {"id": "wamid.out1", "status": "read", "timestamp": "1694427302", "recipient_id": "6281234567890"},
        {"id": "wamid.out2", "status": "failed", "timestamp": "1694427303", "recipient_id": "6281234567890",
         "errors": [{"code": 131047, "title": "Re-engagement message",
                     "message": "Re-engagement message",
                     "error_data": {"details": "Message failed to send because more than 24 hours have passed"}}]},
        {"id": "wamid.out3", "status": "failed", "timestamp": "1694427304", "recipient_id": "6281234567890",
         "errors": [{"code": 131026, "message": "Message undeliverable"}]},
        {"id": "wamid.out4", "status": "deleted", "timestamp": "1694427305", "recipient_id": "6281234567890"}
    ]}));
    let inbound = whatsapp(&raw).unwrap();
    assert!(inbound.messages.is_empty());
    let status = |id: &str, state, secs, error: Option<&str>| DeliveryStatus {
        channel: Channel::Whatsapp,
        provider_message_id: id.into(),
        state,
        at: Some(at(secs)),
        error: error.map(Into::into),
    };
    assert_eq!(
        inbound.statuses,
        vec![
            status("wamid.out1", DeliveryState::Sent, 1_694_427_300, None),
            status("wamid.out1", DeliveryState::Delivered, 1_694_427_301, None),
            status("wamid.out1", DeliveryState::Read, 1_694_427_302, None),
            status(
                "wamid.out2",
                DeliveryState::Failed,
                1_694_427_303,
                Some("Re-engagement message")
            ),
            status(
                "wamid.out3",
                DeliveryState::Failed,
                1_694_427_304,
                Some("Message undeliverable")
            ),
        ]
    );
}

#[test]
fn reactions_stickers_unsupported_and_other_fields_give_nothing() {
    for message in [
        json!({"from": "6281234567890", "id": "wamid.r", "timestamp": "1", "type": "reaction",
               "reaction": {"message_id": "wamid.x", "emoji": "❤️"}}),
        json!({"from": "6281234567890", "id": "wamid.s", "timestamp": "1", "type": "sticker",
               "sticker": {"mime_type": "image/webp", "id": "123", "animated": false}}),
        json!({"from": "6281234567890", "id": "wamid.u", "timestamp": "1", "type": "unsupported",
               "errors": [{"code": 131051, "title": "Message type unknown"}]}),
    ] {
        assert_nothing(whatsapp(&one_message(message)));
    }
    let other_field = serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "account_update",
            "value": {"phone_number": "6281100001111", "event": "VERIFIED_ACCOUNT"}}]}]
    }))
    .unwrap();
    assert_nothing(whatsapp(&other_field));
    assert_nothing(whatsapp(
        br#"{"object":"whatsapp_business_account","entry":[]}"#,
    ));
}

#[test]
fn a_text_that_cleans_to_nothing_is_still_a_message_without_text() {
    let raw = one_message(json!({
        "from": "6281234567890", "id": "wamid.blank", "timestamp": "1", "type": "text",
        "text": {"body": " \u{0007}\r\n "}
    }));
    assert_eq!(only(&whatsapp(&raw).unwrap()).text, None);
}

#[test]
fn another_object_or_a_broken_shape_is_malformed() {
    assert_malformed(whatsapp(br#"{"object":"page","entry":[]}"#));
    assert_malformed(whatsapp(b"not json"));
    assert_malformed(whatsapp(b""));
    assert_malformed(whatsapp(br#"{"entry":[]}"#));
    // The key or the sender of the wrong type.
    assert_malformed(whatsapp(&one_message(
        json!({"from": 6281234567890u64, "id": "wamid.x", "timestamp": "1", "type": "text", "text": {"body": "x"}}),
    )));
    assert_malformed(whatsapp(&one_message(
        json!({"from": "6281234567890", "id": ["wamid.x"], "timestamp": "1", "type": "text", "text": {"body": "x"}}),
    )));
    // A text message without its text, an image without its image.
    assert_malformed(whatsapp(&one_message(
        json!({"from": "6281234567890", "id": "wamid.x", "timestamp": "1", "type": "text"}),
    )));
    assert_malformed(whatsapp(&one_message(
        json!({"from": "6281234567890", "id": "wamid.x", "timestamp": "1", "type": "image"}),
    )));
    // A sender that is no phone number, a key too long to be one.
    assert_malformed(whatsapp(&one_message(
        json!({"from": "budi", "id": "wamid.x", "timestamp": "1", "type": "text", "text": {"body": "x"}}),
    )));
    assert_malformed(whatsapp(&one_message(
        json!({"from": "6281234567890", "id": "w".repeat(257), "timestamp": "1", "type": "text", "text": {"body": "x"}}),
    )));
}

#[test]
fn a_timestamp_that_is_not_a_time_gives_no_time() {
    let raw = one_message(json!({
        "from": "6281234567890", "id": "wamid.t", "timestamp": "yesterday", "type": "text",
        "text": {"body": "halo"}
    }));
    assert_eq!(only(&whatsapp(&raw).unwrap()).sent_at, None);
}
