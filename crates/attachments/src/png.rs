//! PNG: walks the chunks and copies only those needed to show the picture. See the crate
//! documentation for the list.

use crate::{AttachmentError, damaged};

/// The 8 bytes every PNG file starts with.
pub(crate) const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Ancillary chunks that only describe how to show the pixels, and are kept.
const KEPT_ANCILLARY: &[&[u8; 4]] = &[
    b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"cICP", b"mDCV", b"cLLI", b"bKGD",
    b"hIST", b"pHYs", b"sPLT", b"acTL", b"fcTL", b"fdAT",
];

/// The most a chunk's length may be (2^31 - 1).
const MAX_CHUNK_LEN: u32 = 0x7FFF_FFFF;

/// Returns `b` (which starts with the PNG signature) without its metadata.
pub(crate) fn strip(b: &[u8]) -> Result<Vec<u8>, AttachmentError> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(SIGNATURE);
    let mut pos = SIGNATURE.len();
    let mut first = true;
    let mut seen_idat = false;

    loop {
        let header = b
            .get(pos..pos + 8)
            .ok_or(damaged("PNG ends before its IEND chunk"))?;
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        if len > MAX_CHUNK_LEN {
            return Err(damaged("PNG chunk has an impossible length"));
        }
        let kind: [u8; 4] = [header[4], header[5], header[6], header[7]];
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(damaged("PNG chunk has an invalid type"));
        }
        let data_end = pos + 8 + len as usize;
        let end = data_end + 4;
        let chunk = b.get(pos..end).ok_or(damaged("PNG chunk is truncated"))?;
        pos = end;
        let stored_crc = u32::from_be_bytes([
            chunk[chunk.len() - 4],
            chunk[chunk.len() - 3],
            chunk[chunk.len() - 2],
            chunk[chunk.len() - 1],
        ]);
        let crc_ok = crc32(&chunk[4..chunk.len() - 4]) == stored_crc;
        let critical = kind[0].is_ascii_uppercase();

        if first {
            if &kind != b"IHDR" || len != 13 {
                return Err(damaged("PNG does not start with its header chunk"));
            }
            let data = &chunk[8..8 + 13];
            if data[0..4] == [0; 4] || data[4..8] == [0; 4] {
                return Err(damaged("PNG header has a zero dimension"));
            }
            first = false;
        } else if &kind == b"IHDR" {
            return Err(damaged("PNG has a second header chunk"));
        }

        if critical {
            if !matches!(&kind, b"IHDR" | b"PLTE" | b"IDAT" | b"IEND") {
                return Err(damaged("PNG has an unknown critical chunk"));
            }
            if !crc_ok {
                return Err(damaged("PNG chunk has a bad checksum"));
            }
            out.extend_from_slice(chunk);
            match &kind {
                b"IDAT" => seen_idat = true,
                b"IEND" => break,
                _ => {}
            }
        } else if crc_ok && KEPT_ANCILLARY.contains(&&kind) {
            out.extend_from_slice(chunk);
        }
        // every other ancillary chunk (eXIf, tEXt, zTXt, iTXt, tIME, private ones) and
        // ancillary chunks with a bad checksum, which decoders ignore anyway, are dropped
    }

    if !seen_idat {
        return Err(damaged("PNG has no image data"));
    }
    Ok(out)
}

/// The CRC-32 (ISO 3309, as in PNG and zlib) table, built at compile time.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

/// The CRC-32 of `bytes`.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &byte in bytes {
        c = CRC_TABLE[((c ^ u32::from(byte)) & 0xFF) as usize] ^ (c >> 8);
    }
    c ^ 0xFFFF_FFFF
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        let crc = crc32(&c[4..]);
        c.extend_from_slice(&crc.to_be_bytes());
        c
    }

    fn png(chunks: &[&[u8]]) -> Vec<u8> {
        let mut f = SIGNATURE.to_vec();
        f.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]));
        for c in chunks {
            f.extend_from_slice(c);
        }
        f
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn crc_matches_the_reference() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn keeps_a_clean_file_byte_for_byte() {
        let f = png(&[
            &chunk(b"sRGB", &[0]),
            &chunk(b"pHYs", &[0, 0, 0x0B, 0x13, 0, 0, 0x0B, 0x13, 1]),
            &chunk(b"IDAT", b"pixels"),
            &chunk(b"IDAT", b"more"),
            &chunk(b"IEND", b""),
        ]);
        assert_eq!(strip(&f).unwrap(), f);
    }

    #[test]
    fn drops_metadata_and_trailing_data() {
        let idat = chunk(b"IDAT", b"pixels");
        let iend = chunk(b"IEND", b"");
        let mut dirty = png(&[
            &chunk(b"tEXt", b"Comment\0SECRET-TEXT"),
            &chunk(b"zTXt", b"Raw profile type exif\0\0SECRET-ZTXT"),
            &chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0SECRET-ITXT"),
            &chunk(b"eXIf", b"MM\0\x2ASECRET-EXIF"),
            &chunk(b"tIME", &[7, 232, 1, 1, 0, 0, 0]),
            &chunk(b"prVt", b"SECRET-PRIVATE"),
            &idat,
            &chunk(b"tEXt", b"Author\0SECRET-AFTER"),
            &iend,
        ]);
        dirty.extend_from_slice(b"SECRET-TRAILER");
        let out = strip(&dirty).unwrap();
        assert_eq!(out, png(&[&idat, &iend]));
        assert!(!contains(&out, b"SECRET"));
    }

    #[test]
    fn damaged_files() {
        let idat = chunk(b"IDAT", b"pixels");
        let iend = chunk(b"IEND", b"");
        let good = png(&[&idat, &iend]);
        for cut in SIGNATURE.len()..good.len() {
            assert!(strip(&good[..cut]).is_err(), "cut at {cut}");
        }
        // bad checksum on a critical chunk
        let mut bad = good.clone();
        let at = good.len() - iend.len() - 5;
        bad[at] ^= 1;
        assert!(strip(&bad).is_err());
        // no image data
        assert!(strip(&png(&[&iend])).is_err());
        // not starting with IHDR
        let mut f = SIGNATURE.to_vec();
        f.extend_from_slice(&idat);
        f.extend_from_slice(&iend);
        assert!(strip(&f).is_err());
        // an unknown critical chunk
        assert!(strip(&png(&[&chunk(b"ABCD", b""), &idat, &iend])).is_err());
        // an impossible length
        let mut f = png(&[]);
        f.extend_from_slice(b"\xFF\xFF\xFF\xFFIDAT");
        assert!(strip(&f).is_err());
    }

    #[test]
    fn ancillary_chunk_with_bad_checksum_is_dropped() {
        let idat = chunk(b"IDAT", b"pixels");
        let iend = chunk(b"IEND", b"");
        let mut gama = chunk(b"gAMA", &[0, 0, 0xB1, 0x8F]);
        let last = gama.len() - 1;
        gama[last] ^= 1;
        assert_eq!(
            strip(&png(&[&gama, &idat, &iend])).unwrap(),
            png(&[&idat, &iend])
        );
    }
}
