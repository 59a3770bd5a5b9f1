//! Twilio Programmable Messaging: the incoming-message webhook and status callbacks, as form
//! parameters (the names from Twilio's "request to your webhook URL" reference).

use tanggap_channels::inbound::{
    DeliveryState, DeliveryStatus, Location, MediaRef, form_params, twilio,
};
use tanggap_domain::Channel;

use crate::support::{assert_malformed, assert_nothing, only, pairs};

#[test]
fn an_incoming_sms_from_the_raw_form_body() {
    let body = b"ToCountry=ID&ToState=&SmsMessageSid=SM1f0e8ae6ade43cb3c0ce4525424e404f&NumMedia=0&ToCity=&FromZip=&SmsSid=SM1f0e8ae6ade43cb3c0ce4525424e404f&FromState=&SmsStatus=received&FromCity=&Body=Got+a+pothole+on+Jl.+Sudirman+%E2%80%94+deep%21&FromCountry=ID&To=%2B6281100001111&ToZip=&NumSegments=1&MessageSid=SM1f0e8ae6ade43cb3c0ce4525424e404f&AccountSid=ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX&From=%2B6281234567890&ApiVersion=2010-04-01";
    let params = form_params(body).unwrap();
    let inbound = twilio(&params).unwrap();
    let msg = only(&inbound);
    assert_eq!(msg.channel, Channel::Sms);
    assert_eq!(msg.provider_id, "SM1f0e8ae6ade43cb3c0ce4525424e404f");
    assert_eq!(msg.from, "+6281234567890");
    assert_eq!(
        msg.text.as_deref(),
        Some("Got a pothole on Jl. Sudirman — deep!")
    );
    assert!(msg.media.is_empty());
    assert_eq!(msg.sent_at, None);
}

#[test]
fn an_mms_gives_its_media_urls_and_types() {
    let params = pairs(&[
        ("MessageSid", "MM800f449d0399ed014aae2bcc0cc2f2ec"),
        ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
        ("From", "+14155552671"),
        ("To", "+6281100001111"),
        ("Body", ""),
        ("NumMedia", "2"),
        ("MediaContentType0", "image/jpeg"),
        (
            "MediaUrl0",
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM8/Media/ME1",
        ),
        ("MediaContentType1", "image/png"),
        (
            "MediaUrl1",
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM8/Media/ME2",
        ),
    ]);
    let msg = only(&twilio(&params).unwrap()).clone();
    assert_eq!(msg.from, "+14155552671");
    assert_eq!(msg.text, None);
    assert_eq!(
        msg.media,
        vec![
            MediaRef::Url {
                url: "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM8/Media/ME1".into(),
                mime: Some("image/jpeg".into()),
                filename: None
            },
            MediaRef::Url {
                url: "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM8/Media/ME2".into(),
                mime: Some("image/png".into()),
                filename: None
            },
        ]
    );
}

#[test]
fn whatsapp_through_twilio_strips_the_prefix_and_keeps_profile_button_and_place() {
    let params = pairs(&[
        ("MessageSid", "SM11"),
        ("From", "whatsapp:+6281234567890"),
        ("To", "whatsapp:+6281100001111"),
        ("Body", "Ya"),
        ("ProfileName", "Budi Santoso"),
        ("WaId", "6281234567890"),
        ("ButtonPayload", "confirm:TGP-7Q2K"),
        ("ButtonText", "Ya"),
        ("NumMedia", "0"),
    ]);
    let msg = only(&twilio(&params).unwrap()).clone();
    assert_eq!(msg.channel, Channel::Sms);
    assert_eq!(msg.from, "+6281234567890");
    assert_eq!(msg.display_name.as_deref(), Some("Budi Santoso"));
    assert_eq!(msg.button.as_deref(), Some("confirm:TGP-7Q2K"));

    let place = pairs(&[
        ("MessageSid", "SM12"),
        ("From", "WhatsApp:+6281234567890"),
        ("Body", ""),
        ("Latitude", "-6.595038"),
        ("Longitude", "106.816635"),
        ("Address", "Kebun Raya Bogor"),
    ]);
    assert_eq!(
        only(&twilio(&place).unwrap()).location,
        Some(Location {
            latitude: -6.595038,
            longitude: 106.816635,
            label: Some("Kebun Raya Bogor".into())
        })
    );
}

#[test]
fn status_callbacks_are_receipts() {
    let callback = |status: &str, error: Option<&str>| {
        let mut p = vec![
            ("MessageSid", "SM5e0b0e0a1c6e4d2f9a7b3c1d2e3f4a5b"),
            ("SmsSid", "SM5e0b0e0a1c6e4d2f9a7b3c1d2e3f4a5b"),
            ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
            ("From", "+6281100001111"),
            ("To", "+6281234567890"),
            ("MessageStatus", status),
            ("SmsStatus", status),
            ("ApiVersion", "2010-04-01"),
        ];
        if let Some(code) = error {
            p.push(("ErrorCode", code));
        }
        twilio(&pairs(&p)).unwrap()
    };
    let receipt = |state, error: Option<&str>| DeliveryStatus {
        channel: Channel::Sms,
        provider_message_id: "SM5e0b0e0a1c6e4d2f9a7b3c1d2e3f4a5b".into(),
        state,
        at: None,
        error: error.map(Into::into),
    };
    for status in ["queued", "accepted", "sending", "scheduled", "canceled"] {
        assert_eq!(callback(status, None), Default::default(), "{status}");
    }
    for (status, state) in [
        ("sent", DeliveryState::Sent),
        ("delivered", DeliveryState::Delivered),
        ("read", DeliveryState::Read),
    ] {
        let inbound = callback(status, None);
        assert!(inbound.messages.is_empty());
        assert_eq!(inbound.statuses, vec![receipt(state, None)]);
    }
    for status in ["undelivered", "failed"] {
        assert_eq!(
            callback(status, Some("30003")).statuses,
            vec![receipt(DeliveryState::Failed, Some("30003"))]
        );
    }
}

#[test]
fn an_incoming_message_with_a_status_field_is_still_a_message() {
    let params = pairs(&[
        ("MessageSid", "SM13"),
        ("From", "+6281234567890"),
        ("Body", "halo"),
        ("MessageStatus", "received"),
    ]);
    assert_eq!(
        only(&twilio(&params).unwrap()).text.as_deref(),
        Some("halo")
    );
    let photo_only = pairs(&[
        ("MessageSid", "MM14"),
        ("From", "+6281234567890"),
        ("MessageStatus", "received"),
        ("NumMedia", "1"),
        ("MediaUrl0", "https://api.twilio.com/m/1"),
    ]);
    assert_eq!(only(&twilio(&photo_only).unwrap()).media.len(), 1);
}

#[test]
fn media_are_capped_and_bad_urls_dropped() {
    let mut p: Vec<(String, String)> = vec![
        ("MessageSid".into(), "MM1".into()),
        ("From".into(), "+6281234567890".into()),
        ("NumMedia".into(), "999999999999".into()),
        ("MediaUrl0".into(), "javascript:alert(1)".into()),
    ];
    for i in 1..10 {
        p.push((
            format!("MediaUrl{i}"),
            format!("https://api.twilio.com/m/{i}"),
        ));
    }
    let msg = only(&twilio(&p).unwrap()).clone();
    assert_eq!(msg.media.len(), tanggap_channels::inbound::MAX_MEDIA);
    assert!(matches!(&msg.media[0], MediaRef::Url { url, .. } if url.ends_with("/m/1")));
}

#[test]
fn malformed_requests() {
    assert_malformed(twilio(&pairs(&[("From", "+6281234567890"), ("Body", "x")])));
    assert_malformed(twilio(&pairs(&[("MessageSid", "SM1"), ("Body", "x")])));
    assert_malformed(twilio(&pairs(&[
        ("MessageSid", "SM1"),
        ("From", "whatsapp:"),
        ("Body", "x"),
    ])));
    assert_malformed(twilio(&pairs(&[
        ("MessageSid", ""),
        ("MessageStatus", "delivered"),
    ])));
    assert_nothing(twilio(&pairs(&[
        ("MessageSid", "SM1"),
        ("MessageStatus", "partially_delivered"),
    ])));
}

#[test]
fn form_params_keep_order_and_duplicates() {
    assert_eq!(
        form_params(b"b=2&a=1&b=3&empty=&flag&sp=a+b%20c&pct=%25%2B").unwrap(),
        pairs(&[
            ("b", "2"),
            ("a", "1"),
            ("b", "3"),
            ("empty", ""),
            ("flag", ""),
            ("sp", "a b c"),
            ("pct", "%+"),
        ])
    );
    assert_eq!(form_params(b"").unwrap(), Vec::new());
    // Bytes that are not UTF-8 are replaced, never refused.
    assert_eq!(form_params(b"a=%FF").unwrap(), pairs(&[("a", "\u{FFFD}")]));
}
