//! A copy of a photo with areas blacked out, for the public (a face, an identity card, a house
//! number), as the complaint desk decides when it reviews a report's photos.
//!
//! The copy is decoded, turned upright (the Exif orientation applied to the pixels), blacked out
//! and encoded again: a JPEG as a JPEG, a PNG or WebP as a PNG. Nothing of the original file
//! but its pixels survives re-encoding: no Exif, XMP, ICC profile, comment or thumbnail (which
//! could show the uncovered original).

use crate::{AttachmentError, CleanFile, Kind, damaged, filename, sha256_hex};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageReader};
use std::io::Cursor;

/// An area to black out, in percent of the picture's width and height as it is shown (upright),
/// from its top left corner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    /// Left edge, 0 to 100.
    pub x: f64,
    /// Top edge, 0 to 100.
    pub y: f64,
    /// Width, above 0.
    pub w: f64,
    /// Height, above 0.
    pub h: f64,
}

impl Area {
    /// Whether the area is a rectangle inside the picture (with a little tolerance for rounding).
    pub fn is_valid(&self) -> bool {
        let ok = |v: f64| v.is_finite();
        ok(self.x)
            && ok(self.y)
            && ok(self.w)
            && ok(self.h)
            && self.x >= 0.0
            && self.y >= 0.0
            && self.w > 0.0
            && self.h > 0.0
            && self.x + self.w <= 100.0 + 1e-6
            && self.y + self.h <= 100.0 + 1e-6
    }

    /// The pixel columns or rows `[start, end)` covered along a side of `len` pixels, rounded
    /// outwards so that nothing the desk marked stays visible.
    fn span(start: f64, size: f64, len: u32) -> (u32, u32) {
        let len_f = f64::from(len);
        let a = (start / 100.0 * len_f).floor().clamp(0.0, len_f) as u32;
        let b = ((start + size) / 100.0 * len_f).ceil().clamp(0.0, len_f) as u32;
        (a, b)
    }
}

/// The largest picture decoded for redaction: phone photos are below 50 megapixels.
const MAX_SIDE: u32 = 12_000;
const MAX_ALLOC: u64 = 400 * 1024 * 1024;

/// A copy of the photo `bytes` (JPEG, PNG or WebP) with `areas` blacked out, re-encoded
/// without any metadata. `declared_name` is the original's name; the copy's is derived from it.
///
/// [`AttachmentError::UnsupportedType`] for anything but those images (a PDF cannot be
/// redacted), [`AttachmentError::Damaged`] if the picture cannot be decoded.
pub fn redact(
    bytes: &[u8],
    declared_name: &str,
    areas: &[Area],
) -> Result<CleanFile, AttachmentError> {
    let kind = match Kind::detect(bytes) {
        Some(k @ (Kind::Jpeg | Kind::Png | Kind::Webp)) => k,
        _ => {
            return Err(AttachmentError::UnsupportedType {
                detected: infer::get(bytes).map(|t| t.mime_type().to_owned()),
            });
        }
    };
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| damaged("unreadable image"))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|_| damaged("unreadable image"))?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut picture =
        DynamicImage::from_decoder(decoder).map_err(|_| damaged("image cannot be decoded"))?;
    picture.apply_orientation(orientation);
    let mut out = Vec::new();
    let (content_type, extension) = if kind == Kind::Jpeg {
        let mut rgb = picture.to_rgb8();
        let (w, h) = rgb.dimensions();
        for area in areas.iter().filter(|a| a.is_valid()) {
            let (x0, x1) = Area::span(area.x, area.w, w);
            let (y0, y1) = Area::span(area.y, area.h, h);
            for y in y0..y1 {
                for x in x0..x1 {
                    rgb.put_pixel(x, y, image::Rgb([0, 0, 0]));
                }
            }
        }
        JpegEncoder::new_with_quality(&mut out, 85)
            .encode_image(&rgb)
            .map_err(|_| damaged("image cannot be encoded"))?;
        ("image/jpeg", "jpg")
    } else {
        let mut rgba = picture.to_rgba8();
        let (w, h) = rgba.dimensions();
        for area in areas.iter().filter(|a| a.is_valid()) {
            let (x0, x1) = Area::span(area.x, area.w, w);
            let (y0, y1) = Area::span(area.y, area.h, h);
            for y in y0..y1 {
                for x in x0..x1 {
                    rgba.put_pixel(x, y, image::Rgba([0, 0, 0, 255]));
                }
            }
        }
        PngEncoder::new(&mut out)
            .write_image(&rgba, w, h, image::ExtendedColorType::Rgba8)
            .map_err(|_| damaged("image cannot be encoded"))?;
        ("image/png", "png")
    };
    let stem = declared_name
        .rsplit_once('.')
        .map_or(declared_name, |(stem, _)| stem);
    let sha256 = sha256_hex(&out);
    Ok(CleanFile {
        bytes: out,
        content_type,
        filename: filename::sanitize(&format!("{stem}-disamarkan"), extension),
        sha256,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_must_lie_inside_the_picture() {
        let a = |x, y, w, h| Area { x, y, w, h };
        assert!(a(10.0, 20.0, 30.0, 15.0).is_valid());
        assert!(a(0.0, 0.0, 100.0, 100.0).is_valid());
        for bad in [
            a(-1.0, 0.0, 10.0, 10.0),
            a(95.0, 0.0, 10.0, 10.0),
            a(0.0, 0.0, 0.0, 10.0),
            a(f64::NAN, 0.0, 10.0, 10.0),
            a(0.0, f64::INFINITY, 10.0, 10.0),
        ] {
            assert!(!bad.is_valid(), "{bad:?}");
        }
    }

    #[test]
    fn spans_round_outwards() {
        assert_eq!(Area::span(10.0, 30.0, 64), (6, 26));
        assert_eq!(Area::span(0.0, 100.0, 7), (0, 7));
        assert_eq!(Area::span(99.9, 0.1, 10), (9, 10));
    }
}
