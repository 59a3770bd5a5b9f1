//! JPEG: walks every marker of the file, scans included, and copies only the segments needed
//! to show the picture. See the crate documentation for the list.

use crate::{AttachmentError, damaged};

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const TEM: u8 = 0x01;
const APP0: u8 = 0xE0;
const APP1: u8 = 0xE1;
const APP2: u8 = 0xE2;
const APP14: u8 = 0xEE;

const JFIF_PREFIX: &[u8] = b"JFIF\0";
/// "JFIF\0", version (2), units (1), X and Y density (2 + 2), thumbnail width and height (1 + 1).
const JFIF_LEN: usize = 14;
const ICC_PREFIX: &[u8] = b"ICC_PROFILE\0";
const ADOBE_PREFIX: &[u8] = b"Adobe";
const EXIF_PREFIX: &[u8] = b"Exif\0\0";

/// The Exif orientation tag.
const ORIENTATION_TAG: u16 = 0x0112;
/// The TIFF type SHORT (u16).
const SHORT: u16 = 3;

/// What to do with a segment that has a length.
enum Keep {
    /// Copy it as it is.
    AsIs,
    /// Copy only the JFIF header, without its thumbnail.
    JfifHeader,
    /// Drop it.
    Drop,
}

fn keep(marker: u8, contents: &[u8]) -> Keep {
    match marker {
        // frame headers (SOFn), DHT, DAC, and DQT, DNL, DRI, DHP, EXP; SOS is handled apart
        0xC0..=0xC7 | 0xC9..=0xCF | 0xDB..=0xDF => Keep::AsIs,
        APP0 if contents.starts_with(JFIF_PREFIX) && contents.len() >= JFIF_LEN => Keep::JfifHeader,
        APP2 if contents.starts_with(ICC_PREFIX) => Keep::AsIs,
        APP14 if contents.starts_with(ADOBE_PREFIX) => Keep::AsIs,
        // every other APPn, COM, JPG/JPGn extensions and reserved markers
        _ => Keep::Drop,
    }
}

fn is_sof(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF)
}

/// Returns `b` without its metadata; `b` must start with `FF D8 FF`, else it is damaged.
pub(crate) fn strip(b: &[u8]) -> Result<Vec<u8>, AttachmentError> {
    // `clean` only calls this after checking the signature, but a PDF's `DCTDecode` stream is
    // whatever the document holds (an empty one panicked at `b[2..]`, found by
    // fuzz/fuzz_targets/attachment_clean.rs).
    if !b.starts_with(&[0xFF, SOI, 0xFF]) {
        return Err(damaged(
            "JPEG does not start with its start-of-image marker",
        ));
    }
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&[0xFF, SOI]);
    // where a minimal Exif segment with the orientation goes: after the leading APP0 segments
    let mut exif_at = out.len();
    let mut leading = true;
    let mut orientation = None;
    let mut seen_sof = false;
    let mut seen_sos = false;

    let mut pos = 2;
    loop {
        // Bytes before a marker that are not 0xFF are junk that decoders skip with a warning;
        // they are skipped (and not copied) here too. 0xFF fill bytes before a marker likewise.
        let ff = b[pos..]
            .iter()
            .position(|&x| x == 0xFF)
            .ok_or(damaged("JPEG ends before its end-of-image marker"))?;
        pos += ff;
        while b.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *b
            .get(pos)
            .ok_or(damaged("JPEG ends before its end-of-image marker"))?;
        pos += 1;

        match marker {
            EOI => {
                if !seen_sos {
                    return Err(damaged("JPEG has no image data"));
                }
                out.extend_from_slice(&[0xFF, EOI]);
                break;
            }
            0x00 | SOI => return Err(damaged("JPEG has a misplaced marker")),
            // standalone markers, without a length
            TEM | 0xD0..=0xD7 => {
                out.extend_from_slice(&[0xFF, marker]);
                continue;
            }
            _ => {}
        }

        let len_bytes = b
            .get(pos..pos + 2)
            .ok_or(damaged("JPEG segment is truncated"))?;
        let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
        if len < 2 {
            return Err(damaged("JPEG segment has an impossible length"));
        }
        let end = pos + len;
        let contents = b
            .get(pos + 2..end)
            .ok_or(damaged("JPEG segment is truncated"))?;
        let segment = &b[pos - 2..end];
        pos = end;

        if marker == SOS {
            if !seen_sof {
                return Err(damaged("JPEG scan comes before the frame header"));
            }
            seen_sos = true;
            out.extend_from_slice(segment);
            // the entropy-coded data runs to the next marker that is not a stuffed 0xFF00
            // or a restart marker
            let data_end = entropy_end(b, pos)?;
            out.extend_from_slice(&b[pos..data_end]);
            pos = data_end;
            leading = false;
            continue;
        }

        if is_sof(marker) {
            // precision (1), height (2), width (2), components (1)
            if contents.len() < 6 || contents[3..5] == [0, 0] {
                return Err(damaged("JPEG frame header is invalid"));
            }
            seen_sof = true;
        }

        if marker == APP1
            && orientation.is_none()
            && !seen_sos
            && let Some(tiff) = contents.strip_prefix(EXIF_PREFIX)
        {
            orientation = exif_orientation(tiff);
        }

        match keep(marker, contents) {
            Keep::AsIs => out.extend_from_slice(segment),
            Keep::JfifHeader => {
                out.extend_from_slice(&[0xFF, APP0, 0, (JFIF_LEN + 2) as u8]);
                out.extend_from_slice(&contents[..JFIF_LEN - 2]);
                // no thumbnail
                out.extend_from_slice(&[0, 0]);
            }
            Keep::Drop => {}
        }
        if leading && marker == APP0 {
            exif_at = out.len();
        } else {
            leading = false;
        }
    }

    if let Some(orientation) = orientation {
        let segment = orientation_segment(orientation);
        out.splice(exif_at..exif_at, segment);
    }
    Ok(out)
}

/// The end of the entropy-coded data that starts at `start`: the position of the `0xFF` of the
/// next real marker.
fn entropy_end(b: &[u8], start: usize) -> Result<usize, AttachmentError> {
    let mut i = start;
    loop {
        let ff = b[i..]
            .iter()
            .position(|&x| x == 0xFF)
            .ok_or(damaged("JPEG scan data is truncated"))?;
        i += ff;
        match b.get(i + 1) {
            None => return Err(damaged("JPEG scan data is truncated")),
            // a stuffed 0xFF data byte, a restart marker, or a fill byte before a marker
            Some(0x00 | 0xD0..=0xD7 | 0xFF) => i += 1,
            Some(_) => return Ok(i),
        }
    }
}

/// The orientation (2 to 8) in the IFD0 of an Exif TIFF structure, unless it is missing,
/// unreadable or the default (1).
fn exif_orientation(tiff: &[u8]) -> Option<u16> {
    let big_endian = match tiff.get(0..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let bytes: [u8; 2] = tiff.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if big_endian {
            u16::from_be_bytes(bytes)
        } else {
            u16::from_le_bytes(bytes)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let bytes: [u8; 4] = tiff.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(bytes)
        } else {
            u32::from_le_bytes(bytes)
        })
    };
    if u16_at(2)? != 42 {
        return None;
    }
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let count = usize::from(u16_at(ifd)?);
    for i in 0..count {
        let entry = ifd.checked_add(2 + 12 * i)?;
        if u16_at(entry)? == ORIENTATION_TAG {
            if u16_at(entry + 2)? != SHORT || u32_at(entry + 4)? != 1 {
                return None;
            }
            let value = u16_at(entry + 8)?;
            return (2..=8).contains(&value).then_some(value);
        }
    }
    None
}

/// A fresh APP1 Exif segment holding nothing but the orientation tag.
fn orientation_segment(orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::with_capacity(26);
    // big-endian TIFF header, IFD0 right after it
    tiff.extend_from_slice(b"MM\0\x2A\0\0\0\x08");
    // one entry: orientation, SHORT, count 1, value left-justified in the 4-byte field
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&ORIENTATION_TAG.to_be_bytes());
    tiff.extend_from_slice(&SHORT.to_be_bytes());
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    // no next IFD
    tiff.extend_from_slice(&0u32.to_be_bytes());

    let len = 2 + EXIF_PREFIX.len() + tiff.len();
    let mut segment = vec![0xFF, APP1];
    segment.extend_from_slice(&(len as u16).to_be_bytes());
    segment.extend_from_slice(EXIF_PREFIX);
    segment.extend_from_slice(&tiff);
    segment
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(marker: u8, contents: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&(contents.len() as u16 + 2).to_be_bytes());
        s.extend_from_slice(contents);
        s
    }

    /// A structurally valid (if undecodable) JPEG made of `middle` between a frame header and
    /// a scan.
    fn jpeg(before_sof: &[&[u8]], between_scans: &[&[u8]], after_eoi: &[u8]) -> Vec<u8> {
        let mut f = vec![0xFF, SOI];
        for s in before_sof {
            f.extend_from_slice(s);
        }
        f.extend(segment(0xC2, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]));
        f.extend(segment(SOS, &[1, 1, 0, 0, 0x3F, 0]));
        f.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        for s in between_scans {
            f.extend_from_slice(s);
        }
        f.extend(segment(SOS, &[1, 1, 0, 1, 0x3F, 0]));
        f.extend_from_slice(&[0x78, 0xFF, 0x00, 0xFF, 0xFF, 0xD1, 0x9A]);
        f.extend_from_slice(&[0xFF, EOI]);
        f.extend_from_slice(after_eoi);
        f
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn bytes_without_the_signature_are_damaged_not_a_panic() {
        for b in [&b""[..], b"\xFF", b"\xFF\xD8", b"\xFF\xD9\xFF", b"%PDF"] {
            assert!(
                matches!(strip(b), Err(AttachmentError::Damaged { .. })),
                "{b:?}"
            );
        }
    }

    #[test]
    fn keeps_a_clean_file_byte_for_byte() {
        let jfif = segment(APP0, b"JFIF\0\x01\x02\0\0\x01\0\x01\0\0");
        let icc = segment(APP2, b"ICC_PROFILE\0\x01\x01profile");
        let adobe = segment(APP14, b"Adobe\0\x64\0\0\0\0\x01");
        let dqt = segment(0xDB, &[0; 65]);
        let dht = segment(0xC4, &[0; 17]);
        let f = jpeg(&[&jfif, &icc, &adobe, &dqt, &dht], &[&dht], b"");
        assert_eq!(strip(&f).unwrap(), f);
    }

    #[test]
    fn drops_metadata_everywhere() {
        let jfif = segment(APP0, b"JFIF\0\x01\x02\0\0\x01\0\x01\0\0");
        let exif = segment(APP1, b"Exif\0\0MM\0\x2A\0\0\0\x08\0\0SECRET-EXIF");
        let xmp = segment(APP1, b"http://ns.adobe.com/xap/1.0/\0SECRET-XMP");
        let iptc = segment(0xED, b"Photoshop 3.0\0SECRET-IPTC");
        let mpf = segment(APP2, b"MPF\0SECRET-MPF");
        let app5 = segment(0xE5, b"SECRET-APP5");
        let com = segment(0xFE, b"SECRET-COM");
        let jpg7 = segment(0xF7, b"SECRET-JPG7");
        let dirty = jpeg(
            &[&jfif, &exif, &xmp, &iptc, &mpf, &app5, &com, &jpg7],
            &[&com, &exif],
            b"\xFF\xD8\xFF\xE1SECRET-TRAILER",
        );
        let clean = jpeg(&[&jfif], &[], b"");
        let out = strip(&dirty).unwrap();
        assert_eq!(out, clean);
        assert!(!contains(&out, b"SECRET"));
        assert!(!contains(&out, b"Exif"));
    }

    #[test]
    fn jfif_thumbnail_is_dropped() {
        let mut jfif = b"JFIF\0\x01\x02\0\0\x01\0\x01\x02\x01".to_vec();
        jfif.extend_from_slice(b"THUMBNAILPX");
        let f = jpeg(&[&segment(APP0, &jfif)], &[], b"");
        let out = strip(&f).unwrap();
        assert!(!contains(&out, b"THUMBNAIL"));
        let expected = segment(APP0, b"JFIF\0\x01\x02\0\0\x01\0\x01\0\0");
        assert_eq!(&out[2..2 + expected.len()], &expected[..]);
    }

    #[test]
    fn orientation_survives_alone() {
        // little-endian Exif: IFD0 with a GPS pointer and the orientation 6
        let mut tiff = b"II\x2A\0\x08\0\0\0".to_vec();
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0, 0x26, 0, 0, 0]);
        tiff.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]);
        tiff.extend_from_slice(&[0; 4]);
        tiff.extend_from_slice(b"GPSLatitude SECRET");
        let mut exif = EXIF_PREFIX.to_vec();
        exif.extend_from_slice(&tiff);
        assert_eq!(exif_orientation(&tiff), Some(6));

        let jfif = segment(APP0, b"JFIF\0\x01\x02\0\0\x01\0\x01\0\0");
        let f = jpeg(&[&jfif, &segment(APP1, &exif)], &[], b"");
        let out = strip(&f).unwrap();
        assert!(!contains(&out, b"SECRET"));
        assert!(!contains(&out, b"GPS"));
        // right after SOI and JFIF
        let at = 2 + jfif.len();
        let minimal = orientation_segment(6);
        assert_eq!(&out[at..at + minimal.len()], &minimal[..]);
        assert_eq!(exif_orientation(&minimal[4 + EXIF_PREFIX.len()..]), Some(6));
        assert_eq!(out.len(), jpeg(&[&jfif], &[], b"").len() + minimal.len());
    }

    #[test]
    fn default_or_broken_orientation_is_not_kept() {
        let mut tiff = b"MM\0\x2A\0\0\0\x08\0\x01".to_vec();
        tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 1, 0, 0]);
        assert_eq!(exif_orientation(&tiff), None);
        tiff[19] = 9;
        assert_eq!(exif_orientation(&tiff), None);
        tiff[19] = 3;
        assert_eq!(exif_orientation(&tiff), Some(3));
        assert_eq!(exif_orientation(&tiff[..17]), None);
        assert_eq!(exif_orientation(b"MM\0\x2A\xFF\xFF\xFF\xFF"), None);
        assert_eq!(exif_orientation(b""), None);
    }

    #[test]
    fn damaged_files() {
        let good = jpeg(&[], &[], b"");
        for cut in 3..good.len() - 1 {
            assert!(
                matches!(strip(&good[..cut]), Err(AttachmentError::Damaged { .. })),
                "cut at {cut}"
            );
        }
        // no frame header before the scan
        let mut f = vec![0xFF, SOI];
        f.extend(segment(SOS, &[1, 1, 0, 0, 0x3F, 0]));
        f.extend_from_slice(&[0x12, 0xFF, EOI]);
        assert!(strip(&f).is_err());
        // no scan at all
        let mut f = vec![0xFF, SOI];
        f.extend(segment(0xC0, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]));
        f.extend_from_slice(&[0xFF, EOI]);
        assert!(strip(&f).is_err());
        // zero width
        let mut f = vec![0xFF, SOI];
        f.extend(segment(0xC0, &[8, 0, 1, 0, 0, 1, 1, 0x11, 0]));
        assert!(strip(&f).is_err());
        // a length below 2
        assert!(strip(b"\xFF\xD8\xFF\xE0\x00\x01\xFF\xD9").is_err());
    }
}
