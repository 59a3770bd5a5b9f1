//! `clean` on real pictures (encoded by the `image` crate) carrying real-looking metadata.

mod common;

use common::*;
use image::{ImageDecoder, ImageFormat, metadata::Orientation};
use std::io::Cursor;
use tanggap_attachments::{AttachmentError, CleanFile, Limits, clean};

fn clean_ok(bytes: &[u8], name: &str) -> CleanFile {
    clean(bytes, name, &Limits::default()).unwrap()
}

fn decode(bytes: &[u8], format: ImageFormat) -> image::DynamicImage {
    image::load_from_memory_with_format(bytes, format).unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

// ---------------------------------------------------------------- JPEG

#[test]
fn jpeg_loses_exif_gps_xmp_iptc_and_comments() {
    let dirty = dirty_jpeg(1);
    // the fixture really carries what a reader would find
    let mut decoder = image::codecs::jpeg::JpegDecoder::new(Cursor::new(&dirty)).unwrap();
    assert!(decoder.exif_metadata().unwrap().is_some());
    assert!(decoder.xmp_metadata().unwrap().is_some());
    assert!(decoder.iptc_metadata().unwrap().is_some());
    assert!(contains(&dirty, b"GPSLatitude"));

    let file = clean_ok(&dirty, "IMG_20240817_101500.jpg");
    assert_eq!(file.content_type, "image/jpeg");
    assert_eq!(file.filename, "IMG_20240817_101500.jpg");
    assert_eq!(file.sha256, sha256_hex(&file.bytes));
    let out = &file.bytes;

    assert!(!contains(out, SECRET));
    assert!(!contains(out, b"GPSLatitude"));
    assert!(!contains(out, b"Exif\0\0"));
    assert!(!contains(out, b"http://ns.adobe.com/xap"));
    assert!(!contains(out, b"Photoshop 3.0"));
    assert!(!contains(out, b"VENDOR"));
    let mut decoder = image::codecs::jpeg::JpegDecoder::new(Cursor::new(out)).unwrap();
    assert_eq!(decoder.exif_metadata().unwrap(), None);
    assert_eq!(decoder.xmp_metadata().unwrap(), None);
    assert_eq!(decoder.iptc_metadata().unwrap(), None);

    // what is needed to show it survives: JFIF, the ICC profile, the Adobe segment
    assert!(out.starts_with(b"\xFF\xD8\xFF\xE0"));
    assert!(contains(out, b"JFIF\0"));
    assert!(contains(out, &icc_segment()));
    assert!(contains(out, &adobe_segment()));
    assert!(out.ends_with(b"\xFF\xD9"));

    // the pixels are untouched: same dimensions, same decoded samples
    let before = decode(&dirty, ImageFormat::Jpeg);
    let after = decode(out, ImageFormat::Jpeg);
    assert_eq!((after.width(), after.height()), (WIDTH, HEIGHT));
    assert_eq!(before.as_bytes(), after.as_bytes());
    // and it is exactly the plain file plus the two segments that were kept
    assert_eq!(out, &jpeg_with(&[icc_segment(), adobe_segment()], b""));
}

#[test]
fn jpeg_orientation_is_kept_in_a_minimal_exif() {
    let dirty = dirty_jpeg(6);
    let mut decoder = image::codecs::jpeg::JpegDecoder::new(Cursor::new(&dirty)).unwrap();
    assert_eq!(decoder.orientation().unwrap(), Orientation::Rotate90);

    let out = clean_ok(&dirty, "potret.jpg").bytes;
    assert!(!contains(&out, SECRET));
    assert!(!contains(&out, b"GPS"));
    let mut decoder = image::codecs::jpeg::JpegDecoder::new(Cursor::new(&out)).unwrap();
    assert_eq!(decoder.orientation().unwrap(), Orientation::Rotate90);
    // one IFD with one entry and nothing else: header (8) + count (2) + entry (12) + next (4)
    let exif = decoder.exif_metadata().unwrap().unwrap();
    assert_eq!(exif.len(), 26);
    assert_eq!(decode(&out, ImageFormat::Jpeg).width(), WIDTH);
}

#[test]
fn jpeg_already_clean_is_unchanged() {
    let plain = plain_jpeg();
    let file = clean_ok(&plain, "x.jpg");
    assert_eq!(file.bytes, plain);
    // cleaning is idempotent
    let dirty = dirty_jpeg(3);
    let once = clean_ok(&dirty, "x.jpg");
    let twice = clean_ok(&once.bytes, "x.jpg");
    assert_eq!(once, twice);
}

#[test]
fn truncated_jpeg_is_damaged() {
    let plain = plain_jpeg();
    for len in [3, 10, plain.len() / 2, plain.len() - 2, plain.len() - 1] {
        let err = clean(&plain[..len], "foto.jpg", &Limits::default()).unwrap_err();
        assert!(
            matches!(err, AttachmentError::Damaged { .. }),
            "{len}: {err:?}"
        );
        assert_eq!(err.code(), "damaged");
    }
}

// ---------------------------------------------------------------- PNG

#[test]
fn png_loses_text_exif_and_time_chunks() {
    let dirty = dirty_png();
    let mut decoder = image::codecs::png::PngDecoder::new(Cursor::new(&dirty)).unwrap();
    assert!(decoder.exif_metadata().unwrap().is_some());

    let file = clean_ok(&dirty, "tangkapan layar.PNG");
    assert_eq!(file.content_type, "image/png");
    assert_eq!(file.filename, "tangkapan layar.png");
    let out = &file.bytes;
    assert!(!contains(out, SECRET));
    assert!(!contains(out, b"GPSLatitude"));
    for chunk in [b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME", b"vpAg"] {
        assert!(!contains(out, chunk), "{}", String::from_utf8_lossy(chunk));
    }
    // the colour chunk stays
    assert!(contains(out, &png_chunk(b"gAMA", &45455u32.to_be_bytes())));
    let mut decoder = image::codecs::png::PngDecoder::new(Cursor::new(out)).unwrap();
    assert_eq!(decoder.exif_metadata().unwrap(), None);

    let before = decode(&dirty, ImageFormat::Png);
    let after = decode(out, ImageFormat::Png);
    assert_eq!((after.width(), after.height()), (WIDTH, HEIGHT));
    assert_eq!(before.as_bytes(), after.as_bytes());
    assert_eq!(
        out,
        &png_with(&[png_chunk(b"gAMA", &45455u32.to_be_bytes())], &[], b"")
    );
}

#[test]
fn png_already_clean_is_unchanged() {
    let plain = plain_png();
    assert_eq!(clean_ok(&plain, "x.png").bytes, plain);
}

#[test]
fn truncated_png_is_damaged() {
    let plain = plain_png();
    for len in [8, 20, plain.len() / 2, plain.len() - 1] {
        let err = clean(&plain[..len], "x.png", &Limits::default()).unwrap_err();
        assert!(matches!(err, AttachmentError::Damaged { .. }), "{len}");
    }
}

// ---------------------------------------------------------------- WebP

#[test]
fn webp_loses_exif_and_xmp_chunks_and_flags() {
    let dirty = dirty_webp();
    let mut decoder = image::codecs::webp::WebPDecoder::new(Cursor::new(&dirty)).unwrap();
    assert!(decoder.exif_metadata().unwrap().is_some());

    let file = clean_ok(&dirty, "stiker.webp");
    assert_eq!(file.content_type, "image/webp");
    assert_eq!(file.filename, "stiker.webp");
    let out = &file.bytes;
    assert!(!contains(out, SECRET));
    assert!(!contains(out, b"GPSLatitude"));

    let chunks = riff_chunks(out);
    let names: Vec<&[u8; 4]> = chunks.iter().map(|(fourcc, _)| fourcc).collect();
    assert_eq!(names, [b"VP8X", b"VP8L"]);
    assert_eq!(chunks[0].1[0], VP8X_ALPHA, "Exif and XMP flags cleared");
    assert_eq!(
        u32::from_le_bytes(out[4..8].try_into().unwrap()) as usize,
        out.len() - 8
    );

    let mut decoder = image::codecs::webp::WebPDecoder::new(Cursor::new(out)).unwrap();
    assert_eq!(decoder.exif_metadata().unwrap(), None);
    let before = decode(&plain_webp(), ImageFormat::WebP);
    let after = decode(out, ImageFormat::WebP);
    assert_eq!((after.width(), after.height()), (WIDTH, HEIGHT));
    assert_eq!(before.as_bytes(), after.as_bytes());
}

#[test]
fn webp_already_clean_is_unchanged() {
    let plain = plain_webp();
    assert_eq!(clean_ok(&plain, "x.webp").bytes, plain);
}

#[test]
fn truncated_webp_is_damaged() {
    let plain = plain_webp();
    for len in [12, 16, plain.len() / 2, plain.len() - 1] {
        let err = clean(&plain[..len], "x.webp", &Limits::default()).unwrap_err();
        assert!(matches!(err, AttachmentError::Damaged { .. }), "{len}");
    }
}

// ---------------------------------------------------------------- PDF

#[test]
fn pdf_loses_its_information_dictionary() {
    // Hand-written, without a cross-reference table: the parser rebuilds it.
    let pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n\
        2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n\
        trailer\n<< /Root 1 0 R /Info << /Author (Budi) >> >>\n%%EOF\n";
    let file = clean_ok(pdf, "Surat Keterangan RT.pdf");
    assert!(!contains(&file.bytes, b"Budi"));
    assert!(contains(&file.bytes, b"/Catalog"));
    assert_eq!(file.content_type, "application/pdf");
    assert_eq!(file.filename, "Surat Keterangan RT.pdf");
    assert_eq!(file.sha256, sha256_hex(&file.bytes));
}

// ---------------------------------------------------------------- refusals

fn unsupported(bytes: &[u8], name: &str) -> Option<String> {
    match clean(bytes, name, &Limits::default()) {
        Err(AttachmentError::UnsupportedType { detected }) => detected,
        other => panic!("{name}: expected UnsupportedType, got {other:?}"),
    }
}

#[test]
fn type_comes_from_the_bytes_not_the_name() {
    assert_eq!(
        unsupported(b"Jalan rusak di depan rumah.", "foto.jpg"),
        None
    );
    assert_eq!(
        unsupported(
            b"<!DOCTYPE html><html><script>alert(1)</script></html>",
            "foto.jpg"
        ),
        Some("text/html".to_owned())
    );
    // SVG can carry scripts: refused whatever its name
    unsupported(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>", "peta.png");
    assert_eq!(
        unsupported(b"PK\x03\x04\x14\0\0\0\x08\0rest-of-zip", "foto.jpg"),
        Some("application/zip".to_owned())
    );
    let mut elf = b"\x7FELF\x02\x01\x01\0".to_vec();
    elf.resize(64, 0);
    assert!(unsupported(&elf, "foto.png").is_some());
    let mut exe = b"MZ\x90\0\x03\0\0\0".to_vec();
    exe.resize(128, 0);
    assert!(unsupported(&exe, "laporan.pdf").is_some());
    assert_eq!(
        unsupported(b"GIF89a\x01\0\x01\0\0\0\0;", "foto.gif"),
        Some("image/gif".to_owned())
    );
    // half a signature is not the signature
    assert_eq!(unsupported(b"\xFF\xD8", "foto.jpg"), None);
    assert_eq!(unsupported(b"RIFF\x04\0\0\0WEB", "foto.webp"), None);

    // and a real picture with a wrong name is accepted as what it is
    let file = clean_ok(&plain_png(), "dokumen.pdf");
    assert_eq!(file.content_type, "image/png");
    assert_eq!(file.filename, "dokumen.png");
}

#[test]
fn empty_and_too_large() {
    assert_eq!(
        clean(b"", "foto.jpg", &Limits::default()),
        Err(AttachmentError::Empty)
    );

    let png = plain_png();
    let exact = Limits {
        max_file_bytes: png.len(),
        max_files: 1,
    };
    assert!(clean(&png, "x.png", &exact).is_ok());
    let small = Limits {
        max_file_bytes: png.len() - 1,
        ..exact
    };
    let err = clean(&png, "x.png", &small).unwrap_err();
    assert_eq!(
        err,
        AttachmentError::TooLarge {
            limit: png.len() - 1
        }
    );
    assert_eq!(err.code(), "too_large");

    // the default limit: 5 MiB, checked before anything else
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(5 * 1024 * 1024 + 1, b' ');
    let err = clean(&big, "besar.pdf", &Limits::default()).unwrap_err();
    assert_eq!(
        err,
        AttachmentError::TooLarge {
            limit: 5 * 1024 * 1024
        }
    );
    assert_eq!(
        err.to_string(),
        "Berkas terlalu besar: maksimal 5 MB per berkas."
    );
    assert_eq!(
        err.message_en(),
        "The file is too large: at most 5 MB per file."
    );
    big.truncate(5 * 1024 * 1024);
    assert!(!matches!(
        clean(&big, "besar.pdf", &Limits::default()),
        Err(AttachmentError::TooLarge { .. })
    ));
}

// ---------------------------------------------------------------- names

#[test]
fn filenames_are_sanitised() {
    let png = plain_png();
    let name = |declared: &str| clean_ok(&png, declared).filename;
    assert_eq!(name("../../etc/passwd.jpg"), "passwd.png");
    assert_eq!(name("C:\\Users\\x\\foto.PNG"), "foto.png");
    assert_eq!(name("..\\..\\windows\\system32"), "system32.png");
    assert_eq!(name("foto\njalan\r\n.png"), "fotojalan.png");
    assert_eq!(
        name("\"foto\"; filename=evil.exe"),
        "foto; filename=evil.png"
    );
    assert_eq!(name("foto'jalan'.png"), "fotojalan.png");
    assert_eq!(name(""), "lampiran.png");
    assert_eq!(name("../"), "lampiran.png");
    assert_eq!(name("\u{0}\u{7}.png"), "lampiran.png");

    let long = name(&"x".repeat(300));
    assert_eq!(long.chars().count(), 100);
    assert_eq!(long, format!("{}.png", "x".repeat(96)));
    let long = name(&format!("{}.jpeg", "ü".repeat(300)));
    assert_eq!(long.chars().count(), 100);
    assert!(long.ends_with("ü.png"));
}
