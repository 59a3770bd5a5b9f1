//! `tanggap_attachments::clean` on any bytes. A file that passes: cleaning it again changes
//! nothing (PDFs: it can be cleaned again); a JPEG walks to its end marker with no Exif but the
//! minimal orientation, no XMP, comments or APPn but JFIF/ICC/Adobe; a PNG keeps no text, time
//! or Exif chunk; a WebP no EXIF/XMP chunk and no Exif/XMP flag. It never grows by more than
//! the orientation segment, and its hash is of its bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tanggap_attachments::{AttachmentError, Limits, clean};

fuzz_target!(|bytes: &[u8]| {
    let limits = Limits::default();
    match clean(bytes, "foto.jpg", &limits) {
        Ok(file) => {
            assert_eq!(file.sha256, tanggap_domain::ids::sha256_hex(&file.bytes));
            let again = clean(&file.bytes, "foto.jpg", &limits);
            match file.content_type {
                "application/pdf" => {
                    assert!(again.is_ok(), "a cleaned PDF is refused: {again:?}");
                }
                kind => {
                    assert_eq!(again.as_ref().map(|f| &f.bytes), Ok(&file.bytes), "{kind}");
                    assert!(file.bytes.len() <= bytes.len() + 34);
                    match kind {
                        "image/jpeg" => tanggap_fuzz::check_clean_jpeg(&file.bytes),
                        "image/png" => tanggap_fuzz::check_clean_png(&file.bytes),
                        "image/webp" => tanggap_fuzz::check_clean_webp(&file.bytes),
                        other => panic!("unexpected type {other}"),
                    }
                }
            }
        }
        Err(AttachmentError::Empty) => assert!(bytes.is_empty()),
        Err(AttachmentError::TooLarge { .. } | AttachmentError::TooMany { .. }) => {
            panic!("no limit was reached")
        }
        Err(_) => {}
    }
});
