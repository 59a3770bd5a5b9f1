//! The redacted copy of a photo: the marked areas are black, the rest is the picture, and no
//! metadata of the original survives.

mod common;

use common::*;
use image::{GenericImageView, ImageFormat};
use tanggap_attachments::{Area, AttachmentError, redact};

fn area(x: f64, y: f64, w: f64, h: f64) -> Area {
    Area { x, y, w, h }
}

#[test]
fn marked_areas_are_black_and_the_metadata_is_gone() {
    let dirty = dirty_jpeg(1);
    let copy = redact(&dirty, "foto KTP.jpg", &[area(10.0, 20.0, 30.0, 40.0)]).unwrap();
    assert_eq!(copy.content_type, "image/jpeg");
    assert_eq!(copy.filename, "foto KTP-disamarkan.jpg");
    assert!(!contains(&copy.bytes, SECRET), "no metadata survives");
    assert!(!contains(&copy.bytes, b"Exif"), "not even an Exif segment");
    let picture = image::load_from_memory_with_format(&copy.bytes, ImageFormat::Jpeg).unwrap();
    assert_eq!(picture.dimensions(), (WIDTH, HEIGHT));
    let original = image::load_from_memory(&dirty).unwrap();
    // Inside the area: black (JPEG is lossy: nearly black). Outside: the picture.
    let (x0, y0) = ((WIDTH as f64 * 0.15) as u32, (HEIGHT as f64 * 0.3) as u32);
    let p = picture.get_pixel(x0, y0);
    assert!(p.0[..3].iter().all(|c| *c < 24), "{p:?}");
    let (x1, y1) = (WIDTH - 2, HEIGHT - 2);
    let (a, b) = (picture.get_pixel(x1, y1), original.get_pixel(x1, y1));
    assert!(
        a.0[..3]
            .iter()
            .zip(&b.0[..3])
            .all(|(a, b)| a.abs_diff(*b) < 40),
        "{a:?} {b:?}"
    );
    assert_ne!(copy.bytes, dirty);
}

#[test]
fn a_rotated_photo_is_redacted_as_it_is_shown() {
    // Orientation 6: stored landscape, shown portrait (rotated 90° clockwise).
    let dirty = dirty_jpeg(6);
    let copy = redact(&dirty, "foto.jpg", &[area(0.0, 0.0, 100.0, 10.0)]).unwrap();
    let picture = image::load_from_memory(&copy.bytes).unwrap();
    assert_eq!(picture.dimensions(), (HEIGHT, WIDTH), "turned upright");
    assert!(
        picture.get_pixel(HEIGHT / 2, 0).0[..3]
            .iter()
            .all(|c| *c < 24)
    );
}

#[test]
fn png_and_webp_become_png_copies() {
    for (bytes, name) in [(dirty_png(), "a.png"), (dirty_webp(), "b.webp")] {
        let copy = redact(&bytes, name, &[area(50.0, 50.0, 50.0, 50.0)]).unwrap();
        assert_eq!(copy.content_type, "image/png");
        assert!(
            copy.filename.ends_with("-disamarkan.png"),
            "{}",
            copy.filename
        );
        assert!(!contains(&copy.bytes, SECRET), "{name}");
        let picture = image::load_from_memory_with_format(&copy.bytes, ImageFormat::Png).unwrap();
        assert_eq!(picture.get_pixel(WIDTH - 1, HEIGHT - 1).0, [0, 0, 0, 255]);
    }
}

#[test]
fn only_pictures_can_be_redacted() {
    let err = redact(b"%PDF-1.7\n", "surat.pdf", &[area(0.0, 0.0, 10.0, 10.0)]).unwrap_err();
    assert!(
        matches!(err, AttachmentError::UnsupportedType { .. }),
        "{err:?}"
    );
    let mut broken = plain_jpeg();
    broken.truncate(broken.len() / 2);
    assert!(matches!(
        redact(&broken, "x.jpg", &[area(0.0, 0.0, 10.0, 10.0)]),
        Err(AttachmentError::Damaged { .. })
    ));
}
