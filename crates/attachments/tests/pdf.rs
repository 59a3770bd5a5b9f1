//! PDFs lose what names their author or where their photos were taken: the document
//! information, XMP metadata, embedded files, earlier revisions, and their images' Exif.

mod common;

use common::*;
use lopdf::{Document, Object, Stream, dictionary};
use tanggap_attachments::{AttachmentError, Limits, clean};

/// A one-page document with a photo (carrying Exif GPS, XMP and IPTC with [`SECRET`]), the
/// author's name in its information dictionary and in XMP, and an embedded file.
fn dirty_pdf(modern: bool) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let photo = doc.add_object(Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => WIDTH as i64,
            "Height" => HEIGHT as i64, "ColorSpace" => "DeviceRGB", "BitsPerComponent" => 8,
            "Filter" => "DCTDecode",
        },
        dirty_jpeg(1),
    ));
    let content = doc.add_object(Stream::new(
        dictionary! {},
        b"q 100 0 0 60 0 0 cm /Im1 Do Q".to_vec(),
    ));
    let page_xmp = doc.add_object(Stream::new(
        dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
        b"<x:xmpmeta><dc:creator>Budi Santoso (halaman)</dc:creator></x:xmpmeta>".to_vec(),
    ));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "MediaBox" => vec![0.into(), 0.into(), 200.into(), 200.into()],
        "Contents" => content, "Resources" => dictionary! { "XObject" => dictionary! { "Im1" => photo } },
        "Metadata" => page_xmp, "PieceInfo" => dictionary! { "Scanner" => dictionary! { "Private" => Object::string_literal("Budi Santoso") } },
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
        ),
    );
    let xmp = doc.add_object(Stream::new(
        dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
        b"<x:xmpmeta><dc:creator>Budi Santoso</dc:creator><pdf:Producer>HP Scan</pdf:Producer></x:xmpmeta>".to_vec(),
    ));
    let embedded = doc.add_object(Stream::new(
        dictionary! { "Type" => "EmbeddedFile" },
        b"KTP Budi Santoso 3374010101800001".to_vec(),
    ));
    let spec = doc.add_object(dictionary! { "Type" => "Filespec", "F" => Object::string_literal("ktp.txt"), "EF" => dictionary! { "F" => embedded } });
    let catalog = doc.add_object(dictionary! {
        "Type" => "Catalog", "Pages" => pages_id, "Metadata" => xmp,
        "Names" => dictionary! { "EmbeddedFiles" => dictionary! { "Names" => vec![Object::string_literal("ktp.txt"), spec.into()] } },
    });
    let info = doc.add_object(dictionary! {
        "Author" => Object::string_literal("Budi Santoso"), "Producer" => Object::string_literal("HP Scan"),
        "Title" => Object::string_literal("Surat RT untuk Budi Santoso"),
    });
    doc.trailer.set("Root", catalog);
    doc.trailer.set("Info", info);
    let mut out = Vec::new();
    if modern {
        // Compressed object streams: the metadata is not readable in the raw bytes.
        doc.save_modern(&mut out).unwrap();
    } else {
        doc.save_to(&mut out).unwrap();
    }
    out
}

/// Everything a reader of `pdf` could find: every object, with streams decompressed.
fn everything_in(pdf: &[u8]) -> Vec<u8> {
    let doc = Document::load_mem(pdf).unwrap();
    let mut all = format!("{:?}", doc.trailer).into_bytes();
    for object in doc.objects.values() {
        match object {
            Object::Stream(s) => {
                all.extend(format!("{:?}", s.dict).into_bytes());
                all.extend(
                    s.decompressed_content()
                        .unwrap_or_else(|_| s.content.clone()),
                );
            }
            other => all.extend(format!("{other:?}").into_bytes()),
        }
    }
    all
}

fn assert_clean(cleaned: &[u8]) {
    let all = everything_in(cleaned);
    for secret in [
        b"Budi Santoso".as_slice(),
        b"HP Scan",
        b"3374010101800001",
        SECRET,
    ] {
        assert!(
            !contains(&all, secret) && !contains(cleaned, secret),
            "{} is still in the document",
            String::from_utf8_lossy(secret)
        );
    }
    let doc = Document::load_mem(cleaned).unwrap();
    assert_eq!(doc.get_pages().len(), 1, "the page is kept");
    let photo = doc
        .objects
        .values()
        .find_map(|o| match o {
            Object::Stream(s)
                if s.dict
                    .get(b"Subtype")
                    .is_ok_and(|t| t.as_name().ok() == Some(b"Image".as_slice())) =>
            {
                Some(s)
            }
            _ => None,
        })
        .expect("the photo is kept");
    // The photo still decodes, without its metadata.
    assert!(photo.content.starts_with(&[0xFF, 0xD8]));
    assert_eq!(
        image::load_from_memory(&photo.content).unwrap().width(),
        WIDTH
    );
}

#[test]
fn a_scanned_letter_loses_author_xmp_embedded_files_and_photo_exif() {
    let dirty = dirty_pdf(false);
    // The fixture really carries what a reader would find.
    for secret in [b"Budi Santoso".as_slice(), b"HP Scan", SECRET] {
        assert!(contains(&everything_in(&dirty), secret));
    }
    let file = clean(&dirty, "Surat RT.pdf", &Limits::default()).unwrap();
    assert_eq!(file.content_type, "application/pdf");
    assert_clean(&file.bytes);
}

#[test]
fn compressed_object_streams_are_cleaned_too() {
    let dirty = dirty_pdf(true);
    assert!(
        contains(&dirty, b"/ObjStm"),
        "objects in compressed object streams"
    );
    assert!(contains(&everything_in(&dirty), b"Budi Santoso"));
    let file = clean(&dirty, "surat.pdf", &Limits::default()).unwrap();
    assert_clean(&file.bytes);
}

#[test]
fn earlier_revisions_of_an_updated_document_are_dropped() {
    // An incremental update appends a new information dictionary; the old one stays in the
    // file, readable by anyone who looks.
    let mut bytes = dirty_pdf(false);
    let doc = Document::load_mem(&bytes).unwrap();
    let root = doc.trailer.get(b"Root").unwrap().as_reference().unwrap();
    let startxref = bytes.windows(9).rposition(|w| w == b"startxref").unwrap();
    let prev: String = String::from_utf8_lossy(&bytes[startxref + 9..])
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let obj = doc.max_id + 1;
    let offset = bytes.len();
    bytes
        .extend_from_slice(format!("{obj} 0 obj\n<< /Author (Bukan Budi) >>\nendobj\n").as_bytes());
    let xref = bytes.len();
    bytes.extend_from_slice(
        format!(
            "xref\n{obj} 1\n{offset:010} 00000 n \ntrailer\n<< /Size {} /Root {} {} R /Info {obj} 0 R /Prev {prev} >>\nstartxref\n{xref}\n%%EOF\n",
            obj + 1,
            root.0,
            root.1
        )
        .as_bytes(),
    );
    assert!(contains(&bytes, b"Budi Santoso") && contains(&bytes, b"Bukan Budi"));
    let file = clean(&bytes, "surat.pdf", &Limits::default()).unwrap();
    assert!(!contains(&file.bytes, b"Bukan Budi"));
    assert_clean(&file.bytes);
}

#[test]
fn encrypted_unreadable_and_jpeg2000_documents_are_refused() {
    let mut doc = Document::load_mem(&dirty_pdf(false)).unwrap();
    let encrypt = doc.add_object(dictionary! {
        "Filter" => "Standard", "V" => 1, "R" => 2, "P" => -4,
        "O" => Object::string_literal(vec![0u8; 32]), "U" => Object::string_literal(vec![0u8; 32]),
    });
    doc.trailer.set("Encrypt", encrypt);
    doc.trailer.set(
        "ID",
        vec![
            Object::string_literal(vec![1u8; 16]),
            Object::string_literal(vec![1u8; 16]),
        ],
    );
    let mut encrypted = Vec::new();
    doc.save_to(&mut encrypted).unwrap();

    let mut doc = Document::load_mem(&dirty_pdf(false)).unwrap();
    doc.add_object(Stream::new(
        dictionary! { "Type" => "XObject", "Subtype" => "Image", "Filter" => "JPXDecode" },
        b"\0\0\0\x0cjP  \r\n\x87\n".to_vec(),
    ));
    let mut jpx = Vec::new();
    doc.save_to(&mut jpx).unwrap();

    // An image stream that says DCTDecode but holds no JPEG (empty here) panicked the JPEG
    // cleaner (fuzz/fuzz_targets/attachment_clean.rs).
    let mut doc = Document::load_mem(&dirty_pdf(false)).unwrap();
    doc.add_object(Stream::new(
        dictionary! { "Type" => "XObject", "Subtype" => "Image", "Filter" => "DCTDecode" },
        vec![],
    ));
    let mut empty_jpeg = Vec::new();
    doc.save_to(&mut empty_jpeg).unwrap();

    for (name, bytes) in [
        ("encrypted", encrypted),
        ("jpeg 2000", jpx),
        ("empty jpeg", empty_jpeg),
        (
            "garbage",
            b"%PDF-1.7\n\x00\xff not a document at all".to_vec(),
        ),
    ] {
        let err = clean(&bytes, "x.pdf", &Limits::default()).unwrap_err();
        assert!(
            matches!(err, AttachmentError::PdfNotCleanable { .. }),
            "{name}: {err:?}"
        );
        assert_eq!(err.code(), "pdf_not_cleanable");
        assert!(err.to_string().contains("PDF") && err.message_en().contains("PDF"));
    }
}
