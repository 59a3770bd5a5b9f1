//! Test fixtures: real pictures encoded with the `image` crate, then given metadata by hand.

#![allow(dead_code)]

use image::{DynamicImage, ImageFormat, RgbImage, RgbaImage};
use std::io::Cursor;

/// Markers that must never survive cleaning.
pub const SECRET: &[u8] = b"RAHASIA-LOKASI-7731";

pub const WIDTH: u32 = 37;
pub const HEIGHT: u32 = 23;

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn rgb_picture() -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        image::Rgb([(x * 7) as u8, (y * 11) as u8, ((x + y) * 3) as u8])
    }))
}

fn rgba_picture() -> DynamicImage {
    DynamicImage::ImageRgba8(RgbaImage::from_fn(WIDTH, HEIGHT, |x, y| {
        image::Rgba([(x * 7) as u8, (y * 11) as u8, 200, (x * y) as u8])
    }))
}

pub fn encode(picture: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    picture
        .write_to(&mut Cursor::new(&mut out), format)
        .unwrap();
    out
}

/// A plain baseline JPEG, as an encoder writes it.
pub fn plain_jpeg() -> Vec<u8> {
    encode(&rgb_picture(), ImageFormat::Jpeg)
}

/// A plain PNG with an alpha channel.
pub fn plain_png() -> Vec<u8> {
    encode(&rgba_picture(), ImageFormat::Png)
}

/// A plain lossless WebP (the simple format: one `VP8L` chunk).
pub fn plain_webp() -> Vec<u8> {
    encode(&rgba_picture(), ImageFormat::WebP)
}

// ---------------------------------------------------------------- JPEG

pub fn jpeg_segment(marker: u8, contents: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(&(contents.len() as u16 + 2).to_be_bytes());
    s.extend_from_slice(contents);
    s
}

/// An Exif TIFF structure (little-endian, like most phones write it) with an orientation, a
/// GPS IFD holding a latitude, and a camera owner name containing [`SECRET`].
pub fn exif_tiff(orientation: u16) -> Vec<u8> {
    let mut t = b"II\x2A\0\x08\0\0\0".to_vec();
    // IFD0 at 8: 3 entries (Orientation, Artist -> string, GPSInfo -> GPS IFD), next IFD 0
    let ifd0_len = 2 + 3 * 12 + 4;
    let artist_at = 8 + ifd0_len;
    let mut artist = b"GPSLatitude ".to_vec();
    artist.extend_from_slice(SECRET);
    artist.push(0);
    let gps_at = artist_at + artist.len();
    t.extend_from_slice(&3u16.to_le_bytes());
    // 0x0112 Orientation SHORT 1
    t.extend_from_slice(&0x0112u16.to_le_bytes());
    t.extend_from_slice(&3u16.to_le_bytes());
    t.extend_from_slice(&1u32.to_le_bytes());
    t.extend_from_slice(&orientation.to_le_bytes());
    t.extend_from_slice(&[0, 0]);
    // 0x013B Artist ASCII
    t.extend_from_slice(&0x013Bu16.to_le_bytes());
    t.extend_from_slice(&2u16.to_le_bytes());
    t.extend_from_slice(&(artist.len() as u32).to_le_bytes());
    t.extend_from_slice(&(artist_at as u32).to_le_bytes());
    // 0x8825 GPSInfo LONG
    t.extend_from_slice(&0x8825u16.to_le_bytes());
    t.extend_from_slice(&4u16.to_le_bytes());
    t.extend_from_slice(&1u32.to_le_bytes());
    t.extend_from_slice(&(gps_at as u32).to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(t.len(), artist_at);
    t.extend_from_slice(&artist);
    // GPS IFD: GPSLatitudeRef "S", GPSLatitude 6/1 12/1 3456/100
    let rationals_at = gps_at + 2 + 2 * 12 + 4;
    t.extend_from_slice(&2u16.to_le_bytes());
    t.extend_from_slice(&0x0001u16.to_le_bytes());
    t.extend_from_slice(&2u16.to_le_bytes());
    t.extend_from_slice(&2u32.to_le_bytes());
    t.extend_from_slice(b"S\0\0\0");
    t.extend_from_slice(&0x0002u16.to_le_bytes());
    t.extend_from_slice(&5u16.to_le_bytes());
    t.extend_from_slice(&3u32.to_le_bytes());
    t.extend_from_slice(&(rationals_at as u32).to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    for (n, d) in [(6u32, 1u32), (12, 1), (3456, 100)] {
        t.extend_from_slice(&n.to_le_bytes());
        t.extend_from_slice(&d.to_le_bytes());
    }
    t
}

pub fn exif_segment(orientation: u16) -> Vec<u8> {
    let mut contents = b"Exif\0\0".to_vec();
    contents.extend(exif_tiff(orientation));
    jpeg_segment(0xE1, &contents)
}

/// A fake (but well-formed as far as JPEG goes) single-segment ICC profile.
pub fn icc_segment() -> Vec<u8> {
    jpeg_segment(0xE2, b"ICC_PROFILE\0\x01\x01FAKE-ICC-PROFILE-DATA")
}

/// An Adobe segment saying "YCbCr", which is what the encoder wrote anyway.
pub fn adobe_segment() -> Vec<u8> {
    jpeg_segment(0xEE, b"Adobe\0\x64\0\0\0\0\x01")
}

/// Splits an encoded JPEG after SOI and its leading APP0 segment(s).
pub fn jpeg_header_end(jpeg: &[u8]) -> usize {
    let mut pos = 2;
    while jpeg[pos] == 0xFF && jpeg[pos + 1] == 0xE0 {
        pos += 2 + usize::from(u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]));
    }
    pos
}

/// The plain JPEG with, after its APP0: `extra` segments; and `trailer` after EOI.
pub fn jpeg_with(extra: &[Vec<u8>], trailer: &[u8]) -> Vec<u8> {
    let plain = plain_jpeg();
    let at = jpeg_header_end(&plain);
    let mut f = plain[..at].to_vec();
    for s in extra {
        f.extend_from_slice(s);
    }
    f.extend_from_slice(&plain[at..]);
    f.extend_from_slice(trailer);
    f
}

/// A JPEG full of metadata: Exif with GPS (and `orientation`), XMP, IPTC, an APP5 with a
/// vendor blob, a comment, an ICC profile, an Adobe segment and data after EOI.
pub fn dirty_jpeg(orientation: u16) -> Vec<u8> {
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><exif:GPSLatitude>".to_vec();
    xmp.extend_from_slice(SECRET);
    xmp.extend_from_slice(b"</exif:GPSLatitude></x:xmpmeta>");
    let mut iptc = b"Photoshop 3.0\08BIM\x04\x04\0\0\0\0\0\x20\x1C\x02\x5A\0\x13".to_vec();
    iptc.extend_from_slice(SECRET);
    let mut com = b"Diambil di rumah ".to_vec();
    com.extend_from_slice(SECRET);
    let mut trailer = b"\xFF\xD8\xFF\xE1".to_vec();
    trailer.extend_from_slice(SECRET);
    jpeg_with(
        &[
            exif_segment(orientation),
            icc_segment(),
            jpeg_segment(0xE1, &xmp),
            jpeg_segment(0xED, &iptc),
            jpeg_segment(0xE5, &[b"VENDOR:".as_slice(), SECRET].concat()),
            adobe_segment(),
            jpeg_segment(0xFE, &com),
        ],
        &trailer,
    )
}

// ---------------------------------------------------------------- PNG

fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    c.extend_from_slice(kind);
    c.extend_from_slice(data);
    let crc = crc32(&c[4..]);
    c.extend_from_slice(&crc.to_be_bytes());
    c
}

/// The plain PNG with `extra` chunks after IHDR and `before_iend` chunks before IEND, and
/// `trailer` after it.
pub fn png_with(extra: &[Vec<u8>], before_iend: &[Vec<u8>], trailer: &[u8]) -> Vec<u8> {
    let plain = plain_png();
    // signature (8) + IHDR (4 + 4 + 13 + 4)
    let after_ihdr = 8 + 25;
    let iend = plain.len() - 12;
    assert_eq!(&plain[iend + 4..iend + 8], b"IEND");
    let mut f = plain[..after_ihdr].to_vec();
    for c in extra {
        f.extend_from_slice(c);
    }
    f.extend_from_slice(&plain[after_ihdr..iend]);
    for c in before_iend {
        f.extend_from_slice(c);
    }
    f.extend_from_slice(&plain[iend..]);
    f.extend_from_slice(trailer);
    f
}

pub fn dirty_png() -> Vec<u8> {
    let text = [b"Author\0".as_slice(), SECRET].concat();
    let ztxt = [b"Raw profile type exif\0\0".as_slice(), SECRET].concat();
    let itxt = [b"XML:com.adobe.xmp\0\0\0\0\0".as_slice(), SECRET].concat();
    let exif = [b"Exif\0\0".as_slice(), &exif_tiff(1)].concat();
    png_with(
        &[
            png_chunk(b"gAMA", &45455u32.to_be_bytes()),
            png_chunk(b"tEXt", &text),
            png_chunk(b"zTXt", &ztxt),
            png_chunk(b"iTXt", &itxt),
            png_chunk(b"eXIf", &exif[6..]),
            png_chunk(b"tIME", &[7, 233, 8, 17, 10, 0, 0]),
            png_chunk(b"vpAg", SECRET),
        ],
        &[png_chunk(b"tEXt", &text)],
        SECRET,
    )
}

// ---------------------------------------------------------------- WebP

pub fn riff_chunk(fourcc: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut c = fourcc.to_vec();
    c.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    c.extend_from_slice(payload);
    if payload.len() % 2 == 1 {
        c.push(0);
    }
    c
}

pub fn riff(chunks: &[Vec<u8>]) -> Vec<u8> {
    let body = chunks.concat();
    let mut f = b"RIFF".to_vec();
    f.extend_from_slice(&(body.len() as u32 + 4).to_le_bytes());
    f.extend_from_slice(b"WEBP");
    f.extend(body);
    f
}

/// The chunks of a RIFF WebP file (fourcc, payload).
pub fn riff_chunks(f: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
    let size = u32::from_le_bytes(f[4..8].try_into().unwrap()) as usize;
    let mut b = &f[12..8 + size];
    let mut out = Vec::new();
    while !b.is_empty() {
        let len = u32::from_le_bytes(b[4..8].try_into().unwrap()) as usize;
        out.push((b[..4].try_into().unwrap(), b[8..8 + len].to_vec()));
        b = &b[(8 + len + (len & 1)).min(b.len())..];
    }
    out
}

/// VP8X flags
pub const VP8X_ALPHA: u8 = 0x10;
pub const VP8X_EXIF: u8 = 0x08;
pub const VP8X_XMP: u8 = 0x04;

/// The plain WebP turned into the extended format with Exif (GPS) and XMP chunks, an unknown
/// chunk, and data after the container.
pub fn dirty_webp() -> Vec<u8> {
    let plain = plain_webp();
    let chunks = riff_chunks(&plain);
    assert_eq!(chunks.len(), 1, "the encoder writes the simple format");
    let (fourcc, bitstream) = &chunks[0];
    assert_eq!(fourcc, b"VP8L");
    let mut vp8x = vec![VP8X_ALPHA | VP8X_EXIF | VP8X_XMP, 0, 0, 0];
    vp8x.extend_from_slice(&(WIDTH - 1).to_le_bytes()[..3]);
    vp8x.extend_from_slice(&(HEIGHT - 1).to_le_bytes()[..3]);
    let xmp = [b"<x:xmpmeta>".as_slice(), SECRET, b"</x:xmpmeta>"].concat();
    let mut f = riff(&[
        riff_chunk(b"VP8X", &vp8x),
        riff_chunk(b"VP8L", bitstream),
        riff_chunk(b"EXIF", &exif_tiff(1)),
        riff_chunk(b"XMP ", &xmp),
        riff_chunk(b"SECR", SECRET),
    ]);
    f.extend_from_slice(SECRET);
    f
}
