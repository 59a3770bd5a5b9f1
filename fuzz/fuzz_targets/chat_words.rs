//! What the chat reads from a message's words (`tanggap_service::chat`): a staff reply
//! (`LG-… cek lapangan …`), a stage button's payload, a tracking ID in free text, a connector
//! e-mail's `[ref:…]`. No panic on any text; what comes out is part of what came in.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_service::chat::{
    connector_reference, find_tracking_id, parse_staff_reply, parse_stage_button,
};

fuzz_target!(|data: &[u8]| {
    let Some(text) = tanggap_fuzz::text(data) else {
        return;
    };
    if let Some(reply) = parse_staff_reply(text, "LG") {
        assert!(reply.tracking_id.as_str().starts_with("LG-"));
        if let Some(note) = &reply.note {
            assert!(!note.is_empty() && note == note.trim());
            // the note is the end of the text, and never starts inside a word
            let text = text.trim_end();
            assert!(
                text.ends_with(note.as_str()),
                "the note {note:?} is not the end of {text:?}"
            );
            let before = &text[..text.len() - note.len()];
            assert!(
                !(before.ends_with(char::is_alphanumeric)
                    && note.starts_with(char::is_alphanumeric)),
                "the note {note:?} starts inside a word of {text:?}"
            );
        }
    }
    let _ = parse_stage_button(text);
    if let Some(id) = find_tracking_id(text, "LG") {
        assert!(id.as_str().starts_with("LG-"));
    }
    if let Some(reference) = connector_reference(text) {
        assert!(!reference.is_empty() && reference.len() <= 64);
        assert!(reference.bytes().all(|b| b.is_ascii_hexdigit()));
    }
});
