//! `clean` never panics, whatever the bytes: random ones, random ones behind each accepted
//! signature, and real pictures with bytes changed or cut.

mod common;

use proptest::prelude::*;
use std::sync::LazyLock;
use tanggap_attachments::{AttachmentError, Limits, clean};

const SIGNATURES: &[&[u8]] = &[
    b"\xFF\xD8\xFF",
    b"\xFF\xD8\xFF\xE1",
    b"\xFF\xD8\xFF\xDA",
    b"\x89PNG\r\n\x1a\n",
    b"\x89PNG\r\n\x1a\n\0\0\0\x0DIHDR",
    b"RIFF\xFF\xFF\xFF\x7FWEBP",
    b"RIFF\x20\0\0\0WEBPVP8X",
    b"RIFF\x20\0\0\0WEBPVP8 ",
    b"%PDF-",
];

static FIXTURES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    vec![
        common::dirty_jpeg(6),
        common::dirty_png(),
        common::dirty_webp(),
    ]
});

/// Checks what must hold for any result of `clean`.
fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    let limits = Limits::default();
    match clean(bytes, "x", &limits) {
        Ok(file) if file.content_type == "application/pdf" => {
            // a rewritten document can be read and rewritten again
            prop_assert!(clean(&file.bytes, "x", &limits).is_ok());
        }
        Ok(file) => {
            // cleaning a clean file changes nothing
            let again = clean(&file.bytes, "x", &limits);
            prop_assert_eq!(again.as_ref().map(|f| &f.bytes), Ok(&file.bytes));
            prop_assert!(file.bytes.len() <= bytes.len() + 34);
        }
        Err(AttachmentError::Empty) => prop_assert!(bytes.is_empty()),
        Err(AttachmentError::TooLarge { .. } | AttachmentError::TooMany { .. }) => {
            prop_assert!(false, "no size limit was reached")
        }
        Err(
            AttachmentError::UnsupportedType { .. }
            | AttachmentError::Damaged { .. }
            | AttachmentError::PdfNotCleanable { .. },
        ) => {}
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check(&bytes)?;
    }

    #[test]
    fn arbitrary_bytes_behind_a_signature(
        which in 0..SIGNATURES.len(),
        tail in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let bytes = [SIGNATURES[which], &tail].concat();
        check(&bytes)?;
    }

    #[test]
    fn structured_junk_behind_a_signature(
        which in 0..SIGNATURES.len(),
        // bytes that often look like markers, lengths and chunk names
        tail in prop::collection::vec(
            prop_oneof![
                Just(0xFFu8), Just(0x00), Just(0xD9), Just(0xDA), Just(0xE1), Just(0xC0),
                Just(0x02), Just(0x10), any::<u8>(),
            ],
            0..256,
        ),
    ) {
        let bytes = [SIGNATURES[which], &tail].concat();
        check(&bytes)?;
    }

    #[test]
    fn real_pictures_with_changed_bytes(
        which in 0..3usize,
        changes in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        do_cut in any::<bool>(),
    ) {
        let mut bytes = FIXTURES[which].clone();
        for (at, value) in changes {
            let at = at.index(bytes.len());
            bytes[at] = value;
        }
        if do_cut {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        check(&bytes)?;
    }
}
