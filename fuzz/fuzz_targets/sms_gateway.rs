//! The generic SMS gateway: `query \0 content-type \0 body`. Besides the shared rules, the
//! sender is always E.164 (`+` and digits).
#![no_main]

use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use tanggap_channels::inbound::{SmsFields, WebhookRequest, sms_gateway};

fuzz_target!(|data: &[u8]| {
    let [query, content_type, body] = tanggap_fuzz::fields::<3>(data);
    let (Some(query), Some(content_type)) =
        (tanggap_fuzz::text(query), tanggap_fuzz::text(content_type))
    else {
        return;
    };
    let req = WebhookRequest {
        url: "https://tanggap.example/webhooks/sms/secret",
        query: (!query.is_empty()).then_some(query),
        headers: &[],
        content_type: (!content_type.is_empty()).then_some(content_type),
        body,
    };
    let received_at = DateTime::from_timestamp(1_764_000_000, 0).unwrap();
    if let Ok(inbound) = sms_gateway(&SmsFields::default(), &req, received_at) {
        tanggap_fuzz::check_inbound(&inbound);
        for m in &inbound.messages {
            assert!(m.from.starts_with('+'), "{:?}", m.from);
            assert!(
                m.from[1..].bytes().all(|b| b.is_ascii_digit()),
                "{:?}",
                m.from
            );
        }
    }
});
