//! WebP: rebuilds the RIFF container with only the chunks needed to show the picture, and the
//! Exif and XMP flags of the `VP8X` header cleared. See the crate documentation for the list.

use crate::{AttachmentError, damaged};

/// Top-level chunks that are kept.
const KEPT: &[&[u8; 4]] = &[
    b"VP8X", b"ICCP", b"ANIM", b"ANMF", b"ALPH", b"VP8 ", b"VP8L",
];
/// Chunks kept inside an animation frame (`ANMF`), after its 16-byte header.
const KEPT_IN_FRAME: &[&[u8; 4]] = &[b"ALPH", b"VP8 ", b"VP8L"];
/// The size of the `ANMF` header before the frame's own chunks.
const ANMF_HEADER: usize = 16;

/// `VP8X` flag: the file has an `EXIF` chunk.
const FLAG_EXIF: u8 = 0x08;
/// `VP8X` flag: the file has an `XMP ` chunk.
const FLAG_XMP: u8 = 0x04;
/// `VP8X` flag: the file is animated.
const FLAG_ANIMATION: u8 = 0x02;

/// One chunk of a RIFF container.
struct Chunk<'a> {
    fourcc: [u8; 4],
    payload: &'a [u8],
}

/// Splits `b` into chunks; a final odd-sized chunk may lack its padding byte.
fn chunks(mut b: &[u8]) -> Result<Vec<Chunk<'_>>, AttachmentError> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let header = b.get(..8).ok_or(damaged("WebP chunk is truncated"))?;
        let fourcc = [header[0], header[1], header[2], header[3]];
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let payload = b
            .get(8..8 + size)
            .ok_or(damaged("WebP chunk is truncated"))?;
        out.push(Chunk { fourcc, payload });
        let padded = 8 + size + (size & 1);
        b = b.get(padded..).unwrap_or_default();
    }
    Ok(out)
}

fn write_chunk(out: &mut Vec<u8>, fourcc: &[u8; 4], payload: &[u8]) {
    out.extend_from_slice(fourcc);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    if payload.len() % 2 == 1 {
        out.push(0);
    }
}

/// Checks that a `VP8 ` (lossy) or `VP8L` (lossless) bitstream at least starts as one.
fn check_bitstream(chunk: &Chunk<'_>) -> Result<(), AttachmentError> {
    let ok = match &chunk.fourcc {
        // a key frame: frame tag (3 bytes), start code 9D 01 2A, width and height (2 + 2)
        b"VP8 " => chunk.payload.len() >= 10 && chunk.payload[3..6] == [0x9D, 0x01, 0x2A],
        // signature 0x2F, then 14-bit width and height and flags (4 bytes)
        b"VP8L" => chunk.payload.len() >= 5 && chunk.payload[0] == 0x2F,
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(damaged("WebP image data is invalid"))
    }
}

/// Returns `b` (which starts with `RIFF`, a size and `WEBP`) without its metadata.
pub(crate) fn strip(b: &[u8]) -> Result<Vec<u8>, AttachmentError> {
    let riff_size = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
    // the RIFF size counts "WEBP" and the chunks; anything after it is dropped
    let body = b
        .get(12..8 + riff_size)
        .ok_or(damaged("WebP file is truncated"))?;
    let chunks = chunks(body)?;

    let first = chunks.first().ok_or(damaged("WebP file has no image"))?;
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(b"RIFF\0\0\0\0WEBP");

    match &first.fourcc {
        // the simple formats: a single bitstream chunk
        b"VP8 " | b"VP8L" => {
            check_bitstream(first)?;
            write_chunk(&mut out, &first.fourcc, first.payload);
        }
        b"VP8X" => {
            if first.payload.len() < 10 {
                return Err(damaged("WebP extended header is truncated"));
            }
            let animated = first.payload[0] & FLAG_ANIMATION != 0;
            let mut header = first.payload.to_vec();
            header[0] &= !(FLAG_EXIF | FLAG_XMP);
            write_chunk(&mut out, b"VP8X", &header);

            let mut seen_image = false;
            for chunk in &chunks[1..] {
                if !KEPT.contains(&&chunk.fourcc) {
                    continue;
                }
                match &chunk.fourcc {
                    b"VP8X" => return Err(damaged("WebP has a second extended header")),
                    b"VP8 " | b"VP8L" => {
                        check_bitstream(chunk)?;
                        seen_image = true;
                        write_chunk(&mut out, &chunk.fourcc, chunk.payload);
                    }
                    b"ANMF" => {
                        let frame = clean_frame(chunk.payload)?;
                        seen_image = true;
                        write_chunk(&mut out, b"ANMF", &frame);
                    }
                    _ => write_chunk(&mut out, &chunk.fourcc, chunk.payload),
                }
            }
            if !seen_image && !animated {
                return Err(damaged("WebP file has no image"));
            }
        }
        _ => return Err(damaged("WebP file does not start with an image header")),
    }

    let riff_size = u32::try_from(out.len() - 8)
        .map_err(|_| damaged("WebP file is too large for its container"))?;
    out[4..8].copy_from_slice(&riff_size.to_le_bytes());
    Ok(out)
}

/// The payload of an `ANMF` chunk with only the image chunks of the frame.
fn clean_frame(payload: &[u8]) -> Result<Vec<u8>, AttachmentError> {
    let header = payload
        .get(..ANMF_HEADER)
        .ok_or(damaged("WebP animation frame is truncated"))?;
    let mut out = header.to_vec();
    for chunk in chunks(&payload[ANMF_HEADER..])? {
        if KEPT_IN_FRAME.contains(&&chunk.fourcc) {
            check_bitstream(&chunk)?;
            write_chunk(&mut out, &chunk.fourcc, chunk.payload);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(fourcc: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_chunk(&mut out, fourcc, payload);
        out
    }

    fn riff(chunks: &[&[u8]]) -> Vec<u8> {
        let body: Vec<u8> = chunks.concat();
        let mut f = b"RIFF".to_vec();
        f.extend_from_slice(&(body.len() as u32 + 4).to_le_bytes());
        f.extend_from_slice(b"WEBP");
        f.extend(body);
        f
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    const VP8: &[u8] = b"\x10\x02\0\x9D\x01\x2A\x01\0\x01\0data";
    const VP8L: &[u8] = b"\x2F\0\0\0\0\x07";

    fn vp8x(flags: u8) -> Vec<u8> {
        chunk(b"VP8X", &[flags, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    #[test]
    fn keeps_a_clean_file_byte_for_byte() {
        for f in [
            riff(&[&chunk(b"VP8 ", VP8)]),
            riff(&[&chunk(b"VP8L", VP8L)]),
            riff(&[
                &vp8x(0x20),
                &chunk(b"ICCP", b"profile"),
                &chunk(b"VP8L", VP8L),
            ]),
        ] {
            assert_eq!(strip(&f).unwrap(), f);
        }
    }

    #[test]
    fn drops_exif_and_xmp_and_clears_the_flags() {
        let iccp = chunk(b"ICCP", b"profile");
        let alph = chunk(b"ALPH", b"alpha");
        let vp8 = chunk(b"VP8 ", VP8);
        let mut dirty = riff(&[
            &vp8x(0x20 | 0x10 | FLAG_EXIF | FLAG_XMP),
            &iccp,
            &alph,
            &vp8,
            &chunk(b"EXIF", b"MM\0\x2ASECRET-EXIF GPSLatitude"),
            &chunk(b"XMP ", b"<x:xmpmeta>SECRET-XMP</x:xmpmeta>"),
            &chunk(b"ZZZZ", b"SECRET-UNKNOWN"),
        ]);
        dirty.extend_from_slice(b"SECRET-TRAILER");
        let out = strip(&dirty).unwrap();
        assert_eq!(out, riff(&[&vp8x(0x20 | 0x10), &iccp, &alph, &vp8]));
        assert!(!contains(&out, b"SECRET"));
        assert!(!contains(&out, b"EXIF"));
    }

    #[test]
    fn cleans_animation_frames() {
        let frame_header = [0u8; ANMF_HEADER];
        let vp8l = chunk(b"VP8L", VP8L);
        let dirty_frame = [&frame_header[..], &chunk(b"XMP ", b"SECRET"), &vp8l].concat();
        let clean_frame = [&frame_header[..], &vp8l].concat();
        let anim = chunk(b"ANIM", &[0, 0, 0, 0, 0, 0]);
        let dirty = riff(&[
            &vp8x(FLAG_ANIMATION | FLAG_XMP),
            &anim,
            &chunk(b"ANMF", &dirty_frame),
            &chunk(b"XMP ", b"SECRET"),
        ]);
        let out = strip(&dirty).unwrap();
        assert_eq!(
            out,
            riff(&[&vp8x(FLAG_ANIMATION), &anim, &chunk(b"ANMF", &clean_frame)])
        );
    }

    #[test]
    fn odd_chunk_without_padding_at_the_end() {
        let mut f = b"RIFF".to_vec();
        let payload = b"\x2F\0\0\0\0";
        f.extend_from_slice(&(4 + 8 + payload.len() as u32).to_le_bytes());
        f.extend_from_slice(b"WEBPVP8L\x05\0\0\0");
        f.extend_from_slice(payload);
        assert_eq!(strip(&f).unwrap(), riff(&[&chunk(b"VP8L", payload)]));
    }

    #[test]
    fn damaged_files() {
        let good = riff(&[&vp8x(0), &chunk(b"VP8 ", VP8)]);
        for cut in 12..good.len() {
            assert!(strip(&good[..cut]).is_err(), "cut at {cut}");
        }
        // the RIFF size runs past the end
        let mut f = good.clone();
        f[4] = 0xFF;
        assert!(strip(&f).is_err());
        // no chunks
        assert!(strip(&riff(&[])).is_err());
        // an unknown first chunk
        assert!(strip(&riff(&[&chunk(b"EXIF", b"x"), &chunk(b"VP8 ", VP8)])).is_err());
        // a bad bitstream
        assert!(strip(&riff(&[&chunk(b"VP8 ", b"0123456789")])).is_err());
        assert!(strip(&riff(&[&chunk(b"VP8L", b"01234")])).is_err());
        // an extended file without an image
        assert!(strip(&riff(&[&vp8x(0), &chunk(b"ICCP", b"p")])).is_err());
    }
}
