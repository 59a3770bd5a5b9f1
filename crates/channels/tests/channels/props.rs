//! Property tests: no input makes a parser panic; generated valid payloads with any text
//! come through with the expected sender, key and cleaned text; signatures round-trip and
//! break on any changed byte.

use proptest::prelude::*;
use serde_json::{Value, json};
use tanggap_channels::inbound::{
    Inbound, MAX_MEDIA, MAX_TEXT_CHARS, ParseError, SmsFields, WebhookRequest, email, form_params,
    messenger, sms_gateway, strip_quoted, telegram, twilio, whatsapp, x,
};
use tanggap_channels::verify::{
    VerifyError, meta_signature, shared_secret, sign_meta, sign_twilio, sign_x, twilio_signature,
    x_signature,
};

use crate::support::at;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// What the parsers promise about text, written again independently: controls other than
/// newline and tab removed, trimmed, at most MAX_TEXT_CHARS characters, trimmed again.
fn expected_text(raw: &str) -> Option<String> {
    let kept: String = raw
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect();
    let cut: String = kept.trim().chars().take(MAX_TEXT_CHARS).collect();
    let cut = cut.trim_end().to_string();
    (!cut.is_empty()).then_some(cut)
}

/// Any text a citizen might send: unicode, controls, blanks, and now and then one far over
/// the limit.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<String>(),
        2 => "[ \\t\\r\\n\\x00-\\x1f\\x7f\\u{80}-\\u{9f}a-zé中😀]{0,40}",
        1 => ("[a-zé😀 ]{1,3}", MAX_TEXT_CHARS - 5..MAX_TEXT_CHARS + 20)
            .prop_map(|(unit, n)| unit.repeat(n)),
    ]
}

/// Arbitrary JSON trees, a few levels deep, using the providers' own key names so that the
/// parsers get past their first checks.
fn any_json() -> impl Strategy<Value = Value> {
    let keys = prop_oneof![
        Just("object".to_string()),
        Just("entry".to_string()),
        Just("changes".to_string()),
        Just("field".to_string()),
        Just("value".to_string()),
        Just("messages".to_string()),
        Just("statuses".to_string()),
        Just("messaging".to_string()),
        Just("message".to_string()),
        Just("update_id".to_string()),
        Just("callback_query".to_string()),
        Just("direct_message_events".to_string()),
        Just("message_create".to_string()),
        Just("type".to_string()),
        Just("id".to_string()),
        Just("from".to_string()),
        Just("text".to_string()),
        Just("body".to_string()),
        Just("message_id".to_string()),
        Just("attachments".to_string()),
        "[a-z_]{1,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop_oneof![
            Just("whatsapp_business_account".to_string()),
            Just("page".to_string()),
            Just("messages".to_string()),
            Just("text".to_string()),
            Just("image".to_string()),
            Just("location".to_string()),
            Just("message_create".to_string()),
            Just("6281234567890".to_string()),
            any::<String>(),
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn all_json_parsers(body: &[u8]) -> Vec<Result<Inbound, ParseError>> {
    vec![
        whatsapp(body),
        messenger(body),
        telegram(body),
        x(body),
        email(body),
    ]
}

fn sms(
    content_type: Option<&str>,
    query: Option<&str>,
    body: &[u8],
) -> Result<Inbound, ParseError> {
    let req = WebhookRequest {
        url: "https://t.example/hooks/sms/s",
        query,
        headers: &[],
        content_type,
        body,
    };
    sms_gateway(&SmsFields::default(), &req, at(1_694_427_300))
}

/// Whatever comes out keeps the promises every parser makes.
fn check_invariants(result: &Result<Inbound, ParseError>) {
    if let Ok(inbound) = result {
        for m in &inbound.messages {
            assert!(m.media.len() <= MAX_MEDIA);
            assert!(!m.provider_id.is_empty() && m.provider_id.chars().count() <= 256);
            assert!(!m.from.is_empty() && m.from.chars().count() <= 256);
            if let Some(t) = &m.text {
                assert!(!t.is_empty() && t.chars().count() <= MAX_TEXT_CHARS);
                assert_eq!(t.trim(), t);
                assert!(!t.chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
            }
            if let Some(l) = &m.location {
                assert!(l.latitude.abs() <= 90.0 && l.longitude.abs() <= 180.0);
            }
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512),
                                   ct in prop_oneof![
                                       Just(None),
                                       Just(Some("application/json")),
                                       Just(Some("application/x-www-form-urlencoded")),
                                       Just(Some("multipart/form-data")),
                                   ]) {
        for r in all_json_parsers(&body) {
            check_invariants(&r);
        }
        check_invariants(&sms(ct, None, &body));
        let text = String::from_utf8_lossy(&body);
        check_invariants(&sms(None, Some(&text), b""));
        let params = form_params(&body).unwrap();
        check_invariants(&twilio(&params));
        let _ = strip_quoted(&text);
    }

    #[test]
    fn arbitrary_json_never_panics(tree in any_json()) {
        let body = serde_json::to_vec(&tree).unwrap();
        for r in all_json_parsers(&body) {
            check_invariants(&r);
        }
        check_invariants(&sms(Some("application/json"), None, &body));
    }

    #[test]
    fn arbitrary_json_in_the_providers_shapes_never_panics(
        message in any_json(), status in any_json(), value in any_json()
    ) {
        let wa = json!({"object": "whatsapp_business_account", "entry": [
            {"changes": [{"field": "messages", "value": {"messages": [message.clone()], "statuses": [status.clone()]}},
                         {"field": "messages", "value": value.clone()}]}]});
        let fb = json!({"object": "page", "entry": [{"messaging": [message.clone(), value.clone()]}]});
        let tg = json!({"update_id": 1, "message": message.clone(), "callback_query": value.clone()});
        let xx = json!({"for_user_id": "1", "direct_message_events": [message.clone(), status], "users": value});
        for body in [wa, fb, tg, xx, message] {
            for r in all_json_parsers(&serde_json::to_vec(&body).unwrap()) {
                check_invariants(&r);
            }
        }
    }

    #[test]
    fn arbitrary_form_strings_never_panic(
        fields in prop::collection::vec(
            (prop_oneof![
                Just("MessageSid".to_string()), Just("From".to_string()), Just("Body".to_string()),
                Just("NumMedia".to_string()), Just("MediaUrl0".to_string()),
                Just("MediaContentType0".to_string()), Just("MessageStatus".to_string()),
                Just("ErrorCode".to_string()), Just("Latitude".to_string()),
                Just("Longitude".to_string()), Just("from".to_string()), Just("text".to_string()),
                Just("date".to_string()), Just("id".to_string()), any::<String>(),
            ], any::<String>()),
            0..10)
    ) {
        check_invariants(&twilio(&fields));
        let encoded = serde_urlencoded::to_string(&fields).unwrap();
        check_invariants(&sms(None, Some(&encoded), b""));
        check_invariants(&sms(Some("application/x-www-form-urlencoded"), None, encoded.as_bytes()));
        // Form decoding gives back what was encoded.
        prop_assert_eq!(form_params(encoded.as_bytes()).unwrap(), fields);
    }

    #[test]
    fn whatsapp_text_comes_through(text in any_text(), digits in "8[1-9][0-9]{7,9}",
                                   key in "wamid\\.[A-Za-z0-9=_-]{10,60}") {
        let body = serde_json::to_vec(&json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "messages": [{"from": format!("62{digits}"), "id": key, "timestamp": "1694427240",
                              "type": "text", "text": {"body": text}}]}}]}]
        })).unwrap();
        let inbound = whatsapp(&body).unwrap();
        prop_assert_eq!(inbound.messages.len(), 1);
        let m = &inbound.messages[0];
        prop_assert_eq!(&m.from, &format!("+62{digits}"));
        prop_assert_eq!(&m.provider_id, &key);
        prop_assert_eq!(&m.text, &expected_text(&text));
    }

    #[test]
    fn messenger_text_comes_through(text in any_text(), psid in "[1-9][0-9]{15}",
                                    mid in "m_[A-Za-z0-9_-]{20,80}") {
        let body = serde_json::to_vec(&json!({"object": "page", "entry": [{"id": "1", "time": 1,
            "messaging": [{"sender": {"id": psid}, "recipient": {"id": "1"}, "timestamp": 1,
                           "message": {"mid": mid, "text": text}}]}]})).unwrap();
        let inbound = messenger(&body).unwrap();
        prop_assert_eq!(inbound.messages.len(), 1);
        let m = &inbound.messages[0];
        prop_assert_eq!(&m.from, &psid);
        prop_assert_eq!(&m.provider_id, &mid);
        prop_assert_eq!(&m.text, &expected_text(&text));
    }

    #[test]
    fn telegram_text_comes_through(text in any_text(), chat in any::<i64>(),
                                   update_id in 0..i64::MAX, name in any::<String>()) {
        let body = serde_json::to_vec(&json!({"update_id": update_id, "message": {
            "message_id": 1, "from": {"id": 1, "is_bot": false, "first_name": name},
            "chat": {"id": chat, "type": "private"}, "date": 1_694_427_240, "text": text}})).unwrap();
        let inbound = telegram(&body).unwrap();
        prop_assert_eq!(inbound.messages.len(), 1);
        let m = &inbound.messages[0];
        prop_assert_eq!(&m.from, &chat.to_string());
        prop_assert_eq!(&m.provider_id, &update_id.to_string());
        prop_assert_eq!(&m.text, &expected_text(&text));
        prop_assert!(m.display_name.as_ref().is_none_or(|n| n.chars().count() <= 256));
    }

    #[test]
    fn x_text_comes_through(text in any_text(), sender in "[1-9][0-9]{5,19}",
                            id in "[1-9][0-9]{18}") {
        let body = serde_json::to_vec(&json!({"for_user_id": "1", "direct_message_events": [{
            "type": "message_create", "id": id, "created_timestamp": "1694427240557",
            "message_create": {"target": {"recipient_id": "1"}, "sender_id": sender,
                               "message_data": {"text": text}}}]})).unwrap();
        let inbound = x(&body).unwrap();
        prop_assert_eq!(inbound.messages.len(), 1);
        let m = &inbound.messages[0];
        prop_assert_eq!(&m.from, &sender);
        prop_assert_eq!(&m.provider_id, &id);
        prop_assert_eq!(&m.text, &expected_text(&text));
    }

    #[test]
    fn email_text_comes_through(text in any_text(), local in "[a-zA-Z0-9._%+-]{1,30}",
                                key in "<[a-z0-9.]{5,40}@[a-z]{3,10}\\.example>") {
        let body = serde_json::to_vec(&json!({"message_id": key, "from": format!("Warga <{local}@Example.org>"),
            "to": "lapor@t.example", "subject": "Laporan", "text": text})).unwrap();
        let inbound = email(&body).unwrap();
        prop_assert_eq!(inbound.messages.len(), 1);
        let m = &inbound.messages[0];
        prop_assert_eq!(&m.from, &format!("{}@example.org", local.to_lowercase()));
        prop_assert_eq!(&m.provider_id, &key);
        prop_assert_eq!(&m.text, &expected_text(&strip_quoted(&text)));
    }

    #[test]
    fn sms_gateway_text_comes_through(text in any_text(), digits in "8[1-9][0-9]{7,9}",
                                      id in proptest::option::of("[A-Za-z0-9-]{1,40}"),
                                      local_form in any::<bool>(), as_json in any::<bool>()) {
        let from = if local_form { format!("0{digits}") } else { format!("+62{digits}") };
        let mut fields = vec![("from".to_string(), from), ("text".to_string(), text.clone())];
        if let Some(id) = &id {
            fields.push(("id".to_string(), id.clone()));
        }
        let result = if as_json {
            let object: serde_json::Map<String, Value> =
                fields.iter().map(|(k, v)| (k.clone(), Value::from(v.clone()))).collect();
            sms(Some("application/json"), None, &serde_json::to_vec(&object).unwrap())
        } else {
            sms(None, Some(&serde_urlencoded::to_string(&fields).unwrap()), b"")
        };
        let inbound = result.unwrap();
        prop_assert_eq!(inbound.messages.len(), 1);
        let m = &inbound.messages[0];
        prop_assert_eq!(&m.from, &format!("+62{digits}"));
        match &id {
            Some(id) => prop_assert_eq!(&m.provider_id, id),
            None => prop_assert!(m.provider_id.starts_with("h:") && m.provider_id.len() == 66),
        }
        prop_assert_eq!(&m.text, &expected_text(&text));
    }

    #[test]
    fn twilio_text_comes_through(text in any_text(), digits in "8[1-9][0-9]{7,9}",
                                 sid in "SM[0-9a-f]{32}", whatsapp_prefix in any::<bool>()) {
        let from = if whatsapp_prefix { format!("whatsapp:+62{digits}") } else { format!("+62{digits}") };
        let params = vec![
            ("MessageSid".to_string(), sid.clone()),
            ("From".to_string(), from),
            ("Body".to_string(), text.clone()),
            ("NumMedia".to_string(), "0".to_string()),
        ];
        // Through the wire format too: encoded, decoded, parsed.
        let decoded = form_params(serde_urlencoded::to_string(&params).unwrap().as_bytes()).unwrap();
        let inbound = twilio(&decoded).unwrap();
        prop_assert_eq!(inbound.messages.len(), 1);
        let m = &inbound.messages[0];
        prop_assert_eq!(&m.from, &format!("+62{digits}"));
        prop_assert_eq!(&m.provider_id, &sid);
        prop_assert_eq!(&m.text, &expected_text(&text));
    }

    #[test]
    fn meta_signatures_round_trip_and_break_on_any_byte(
        secret in ".{1,64}", body in prop::collection::vec(any::<u8>(), 1..256), pick in any::<prop::sample::Index>(),
        flip in 1u8..=255
    ) {
        let header = sign_meta(&secret, &body);
        prop_assert_eq!(meta_signature(&secret, Some(&header), &body), Ok(()));
        let mut tampered = body.clone();
        let i = pick.index(tampered.len());
        tampered[i] ^= flip;
        prop_assert_eq!(meta_signature(&secret, Some(&header), &tampered), Err(VerifyError::Invalid));
    }

    #[test]
    fn x_signatures_round_trip_and_break_on_any_byte(
        secret in ".{1,64}", body in prop::collection::vec(any::<u8>(), 1..256), pick in any::<prop::sample::Index>(),
        flip in 1u8..=255
    ) {
        let header = sign_x(&secret, &body);
        prop_assert_eq!(x_signature(&secret, Some(&header), &body), Ok(()));
        let mut tampered = body.clone();
        let i = pick.index(tampered.len());
        tampered[i] ^= flip;
        prop_assert_eq!(x_signature(&secret, Some(&header), &tampered), Err(VerifyError::Invalid));
    }

    #[test]
    fn twilio_signatures_round_trip_and_break_on_any_change(
        token in "[a-f0-9]{32}", path in "[a-z/]{0,20}",
        params in prop::collection::vec((any::<String>(), any::<String>()), 1..8),
        pick in any::<prop::sample::Index>(), extra in ".{0,3}"
    ) {
        let url = format!("https://t.example/{path}");
        let header = sign_twilio(&token, &url, &params);
        prop_assert_eq!(twilio_signature(&token, &url, &params, Some(&header)), Ok(()));
        // The order they arrive in does not matter.
        let mut reversed = params.clone();
        reversed.reverse();
        prop_assert_eq!(twilio_signature(&token, &url, &reversed, Some(&header)), Ok(()));
        // A value changed (one character appended) breaks it.
        let mut changed = params.clone();
        let i = pick.index(changed.len());
        changed[i].1.push('x');
        changed[i].1.push_str(&extra);
        prop_assert_eq!(twilio_signature(&token, &url, &changed, Some(&header)), Err(VerifyError::Invalid));
        prop_assert_eq!(
            twilio_signature(&token, &format!("{url}x"), &params, Some(&header)),
            Err(VerifyError::Invalid)
        );
    }

    #[test]
    fn shared_secrets_accept_only_themselves(secret in "[!-~]{1,64}", other in "[!-~]{1,64}") {
        prop_assert_eq!(shared_secret(&secret, Some(&secret)), Ok(()));
        prop_assume!(secret != other);
        prop_assert_eq!(shared_secret(&secret, Some(&other)), Err(VerifyError::Invalid));
    }

    #[test]
    fn strip_quoted_never_grows_and_keeps_unquoted_text(text in any_text()) {
        let out = strip_quoted(&text);
        prop_assert!(out.len() <= text.len());
        prop_assert_eq!(out.trim(), out.as_str());
    }
}
