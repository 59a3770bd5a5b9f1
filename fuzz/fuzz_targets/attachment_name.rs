//! The display name `clean` gives a file from the name the browser sent (any text): no
//! directory, control character, quote or Windows-forbidden character, at most 100
//! characters, not hidden (no leading dot), ending in the detected type's extension.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_attachments::{Limits, clean};

/// The smallest PDF `clean` accepts (the type only decides the extension).
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

fuzz_target!(|data: &[u8]| {
    let Some(declared) = tanggap_fuzz::text(data) else {
        return;
    };
    let file = clean(PDF, declared, &Limits::default()).expect("the PDF is clean");
    let name = file.filename;
    assert!(name.chars().count() <= 100, "{name:?}");
    assert!(name.ends_with(".pdf"), "{name:?}");
    assert!(!name.starts_with('.') && !name.starts_with(' '), "{name:?}");
    assert!(name.len() > ".pdf".len(), "{name:?}");
    for c in name.chars() {
        assert!(
            !c.is_control()
                && !matches!(
                    c,
                    '/' | '\\' | '"' | '\'' | '`' | '<' | '>' | ':' | '|' | '?' | '*'
                ),
            "{name:?} holds {c:?}"
        );
        assert!(
            !matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'),
            "{name:?} holds an invisible {c:?}"
        );
    }
    assert!(!name.contains("  "), "{name:?}");
});
