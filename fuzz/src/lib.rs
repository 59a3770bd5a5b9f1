//! What the fuzz targets share: splitting one input into several fields, and the checks that
//! hold for every parser's output beyond "it did not panic".

use tanggap_channels::inbound::{MAX_MEDIA, MAX_TEXT_CHARS};
use tanggap_channels::{Inbound, MediaRef};

/// The first `N - 1` NUL bytes split `data` into `N` fields (missing ones are empty); the last
/// field keeps the rest, NULs included. Seeds stay readable: `query\0content-type\0body`.
pub fn fields<const N: usize>(data: &[u8]) -> [&[u8]; N] {
    let mut out = [&data[..0]; N];
    let mut rest = data;
    for slot in out.iter_mut().take(N - 1) {
        match rest.iter().position(|&b| b == 0) {
            Some(i) => {
                *slot = &rest[..i];
                rest = &rest[i + 1..];
            }
            None => {
                *slot = rest;
                rest = &rest[rest.len()..];
            }
        }
    }
    out[N - 1] = rest;
    out
}

/// Text for the parsers that take `&str`: the bytes as UTF-8, or nothing.
pub fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// The rules of `inbound/clean.rs` that every provider's output keeps (ids bounded and free
/// of control characters, words cleaned and cut, media and places bounded), and the stored form
/// (the JSON of [`Inbound`]) reads back as it was written.
pub fn check_inbound(inbound: &Inbound) {
    for m in &inbound.messages {
        check_id("provider_id", &m.provider_id);
        check_id("from", &m.from);
        if let Some(t) = &m.text {
            check_words("text", t, MAX_TEXT_CHARS);
        }
        for (what, v) in [
            ("display_name", &m.display_name),
            ("button", &m.button),
            ("shared_contact", &m.shared_contact),
        ] {
            if let Some(v) = v {
                check_words(what, v, MAX_TEXT_CHARS);
            }
        }
        assert!(m.media.len() <= MAX_MEDIA, "{} media", m.media.len());
        for media in &m.media {
            match media {
                MediaRef::ProviderId { id, .. } => check_id("media id", id),
                MediaRef::Url { url, .. } => {
                    let lower = url.to_ascii_lowercase();
                    assert!(
                        lower.starts_with("https://") || lower.starts_with("http://"),
                        "media URL {url:?}"
                    );
                    assert!(!url.chars().any(|c| c.is_whitespace() || c.is_control()));
                    assert!(url.chars().count() <= 2048);
                }
                MediaRef::Inline { .. } => {}
            }
        }
        if let Some(l) = &m.location {
            assert!(l.latitude.is_finite() && (-90.0..=90.0).contains(&l.latitude));
            assert!(l.longitude.is_finite() && (-180.0..=180.0).contains(&l.longitude));
        }
    }
    for s in &inbound.statuses {
        check_id("provider_message_id", &s.provider_message_id);
    }
    // Stored as JSON and read back (places zeroed: the float parser may differ in the last bit).
    let mut plain = inbound.clone();
    for m in &mut plain.messages {
        if let Some(l) = &mut m.location {
            l.latitude = 0.0;
            l.longitude = 0.0;
        }
    }
    let json = serde_json::to_vec(&plain).expect("an Inbound serialises");
    let back: Inbound = serde_json::from_slice(&json).expect("an Inbound reads back");
    assert_eq!(back, plain);
}

/// A key or a sender: trimmed, present, at most 256 characters, no control characters.
pub fn check_id(what: &str, id: &str) {
    assert!(!id.is_empty(), "{what} is empty");
    assert_eq!(id, id.trim(), "{what} is not trimmed");
    assert!(id.chars().count() <= 256, "{what} is too long");
    assert!(!id.chars().any(char::is_control), "{what}: {id:?}");
}

/// Cleaned words: present, trimmed, cut, no control character but newline and tab.
pub fn check_words(what: &str, s: &str, max_chars: usize) {
    assert!(!s.is_empty(), "{what} is empty");
    assert_eq!(s, s.trim(), "{what} is not trimmed");
    assert!(s.chars().count() <= max_chars, "{what} is too long");
    assert!(
        !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
        "{what}: {s:?}"
    );
}

/// A JPEG's segments (marker, contents), scans included, or `None` when it cannot be walked.
pub fn jpeg_segments(b: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    if !b.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut out = vec![(0xD8, &b[..0])];
    let mut i = 2;
    loop {
        if *b.get(i)? != 0xFF {
            return None;
        }
        while *b.get(i)? == 0xFF {
            i += 1;
        }
        let marker = b[i];
        i += 1;
        match marker {
            0xD9 => {
                out.push((marker, &b[..0]));
                // nothing after the end of the picture
                return (i == b.len()).then_some(out);
            }
            0x01 | 0xD0..=0xD7 => out.push((marker, &b[..0])),
            _ => {
                let len = usize::from(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]));
                let contents = b.get(i + 2..i.checked_add(len)?)?;
                out.push((marker, contents));
                i += len.max(2);
                if marker == 0xDA {
                    // entropy-coded data up to the next marker that is not a stuffed byte or RSTn
                    loop {
                        if *b.get(i)? == 0xFF {
                            match *b.get(i + 1)? {
                                0x00 | 0xD0..=0xD7 => i += 2,
                                0xFF => i += 1,
                                _ => break,
                            }
                        } else {
                            i += 1;
                        }
                    }
                }
            }
        }
    }
}

/// What the JPEG cleaner promises: only the picture's own segments, JFIF without thumbnail,
/// ICC and Adobe, and at most one minimal Exif (the orientation alone).
pub fn check_clean_jpeg(out: &[u8]) {
    let segments = jpeg_segments(out).expect("a cleaned JPEG can be walked to its end");
    let mut exif = 0;
    for (marker, contents) in segments {
        match marker {
            0xE0 => {
                assert!(contents.starts_with(b"JFIF\0"), "APP0 that is not JFIF");
                assert_eq!(contents.len(), 14, "JFIF with a thumbnail");
                assert_eq!(&contents[12..], &[0, 0], "JFIF thumbnail size");
            }
            0xE1 => {
                exif += 1;
                assert!(contents.starts_with(b"Exif\0\0"), "APP1 that is not Exif");
                assert!(
                    contents.len() <= 6 + 26,
                    "Exif larger than the orientation alone"
                );
            }
            0xE2 => assert!(
                contents.starts_with(b"ICC_PROFILE\0"),
                "APP2 that is not ICC"
            ),
            0xEE => assert!(contents.starts_with(b"Adobe"), "APP14 that is not Adobe"),
            0xE3..=0xED | 0xEF | 0xFE | 0xF0..=0xFD | 0xC8 => {
                panic!("a cleaned JPEG keeps marker {marker:02X}")
            }
            _ => {}
        }
    }
    assert!(exif <= 1, "{exif} Exif segments");
}

/// PNG chunks after the signature, or `None`.
pub fn png_chunks(b: &[u8]) -> Option<Vec<[u8; 4]>> {
    let mut i = b.strip_prefix(b"\x89PNG\r\n\x1a\n".as_slice()).map(|_| 8)?;
    let mut out = vec![];
    while i < b.len() {
        let len = u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?) as usize;
        let kind: [u8; 4] = b.get(i + 4..i + 8)?.try_into().ok()?;
        i = i.checked_add(12)?.checked_add(len)?;
        if i > b.len() {
            return None;
        }
        out.push(kind);
    }
    Some(out)
}

pub fn check_clean_png(out: &[u8]) {
    let chunks = png_chunks(out).expect("a cleaned PNG can be walked");
    assert_eq!(chunks.last(), Some(b"IEND"), "a cleaned PNG ends with IEND");
    for kind in chunks {
        assert!(
            !matches!(&kind, b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" | b"tIME"),
            "a cleaned PNG keeps {}",
            String::from_utf8_lossy(&kind)
        );
        // private or unknown ancillary chunks are dropped: no lowercase third letter
        assert!(
            kind[2].is_ascii_uppercase(),
            "reserved bit set in a kept chunk"
        );
    }
}

/// WebP's top-level chunks (fourcc, payload), or `None`.
pub fn webp_chunks(b: &[u8]) -> Option<Vec<([u8; 4], &[u8])>> {
    if b.len() < 12 || &b[..4] != b"RIFF" || &b[8..12] != b"WEBP" {
        return None;
    }
    let size = u32::from_le_bytes(b[4..8].try_into().ok()?) as usize;
    if size.checked_add(8)? != b.len() {
        return None;
    }
    let mut i = 12;
    let mut out = vec![];
    while i < b.len() {
        let fourcc: [u8; 4] = b.get(i..i + 4)?.try_into().ok()?;
        let len = u32::from_le_bytes(b.get(i + 4..i + 8)?.try_into().ok()?) as usize;
        let payload = b.get(i + 8..(i + 8).checked_add(len)?)?;
        out.push((fourcc, payload));
        i += 8 + len + (len & 1);
    }
    Some(out)
}

pub fn check_clean_webp(out: &[u8]) {
    let chunks = webp_chunks(out).expect("a cleaned WebP can be walked");
    for (fourcc, payload) in chunks {
        assert!(
            matches!(
                &fourcc,
                b"VP8X" | b"ICCP" | b"ANIM" | b"ANMF" | b"ALPH" | b"VP8 " | b"VP8L"
            ),
            "a cleaned WebP keeps {}",
            String::from_utf8_lossy(&fourcc)
        );
        if &fourcc == b"VP8X" {
            assert_eq!(payload.first().map(|f| f & 0x0C), Some(0), "Exif/XMP flags");
        }
    }
}
