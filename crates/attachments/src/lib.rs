//! Files that citizens and agencies upload with reports: photos of a broken road, a scanned
//! letter.
//!
//! Two halves:
//!
//! - [`clean`] checks one uploaded file and makes it safe to keep and to show: its type is
//!   detected from the bytes (the name the browser sent never decides it), its size is checked
//!   against [`Limits`], and metadata that can identify people or places is stripped from
//!   images *without re-encoding the pixels* (a photo's GPS tag once leaked a citizen's home in
//!   another city). [`check_count`] checks how many files one upload carries.
//! - [`DiskStore`] keeps cleaned files on disk, content-addressed under the data directory,
//!   written atomically.
//! - [`redact`] makes the copy of a photo that the public sees once the complaint desk has
//!   blacked out what identifies someone (a face, an identity card, a house number).
//!
//! ```
//! use tanggap_attachments::{DiskStore, Limits, check_count, clean};
//!
//! let limits = Limits::default();
//! let letter = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
//!     2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n\
//!     trailer << /Root 1 0 R /Info << /Author (Pak RT) >> >>\n%%EOF\n";
//! let uploads: Vec<(&[u8], &str)> = vec![(letter, "Surat RT 05.pdf")];
//! check_count(uploads.len(), &limits)?;
//!
//! let dir = tempfile::tempdir()?;
//! let store = DiskStore::new(dir.path().join("attachments"));
//! for (bytes, name) in uploads {
//!     let file = clean(bytes, name, &limits)?;
//!     assert_eq!(file.content_type, "application/pdf");
//!     assert_eq!(file.filename, "Surat RT 05.pdf");
//!     assert!(!String::from_utf8_lossy(&file.bytes).contains("Pak RT"));
//!     let key = store.put(&file)?; // e.g. "3f/3f5c…", kept with the report
//!     assert_eq!(store.get(&key)?, file.bytes);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is accepted
//!
//! | type | detected by | content type | what happens |
//! | --- | --- | --- | --- |
//! | JPEG | `FF D8 FF` | `image/jpeg` | metadata segments dropped, see below |
//! | PNG | the 8-byte PNG signature | `image/png` | metadata chunks dropped, see below |
//! | WebP | `RIFF` + size + `WEBP` | `image/webp` | metadata chunks dropped, see below |
//! | PDF | `%PDF-` | `application/pdf` | rewritten without its metadata, see below |
//!
//! Anything else is [`AttachmentError::UnsupportedType`] (HTTP 415), including GIF, HEIC, TIFF,
//! SVG, HTML, text, archives and executables, whatever their names say.
//!
//! # What is stripped
//!
//! The image cleaners keep a short list of structures they know to be needed to show the picture
//! and drop everything else, so an unknown or vendor-specific metadata block is dropped too.
//!
//! - **JPEG**: kept are the frame, scan, table and restart markers, `APP0` JFIF (rewritten
//!   without its embedded thumbnail, which can show the uncropped original), `APP2` ICC profile
//!   segments and `APP14` Adobe (needed to decode some CMYK files). Dropped are `APP1` (Exif,
//!   including GPS, camera serial numbers and the embedded thumbnail; and XMP), `APP13`
//!   (IPTC/Photoshop), every other `APPn` (including `APP2` segments that are not ICC, such as
//!   MPF and FlashPix), `COM` comments, the reserved `JPGn` extension markers, and anything after
//!   the end-of-image marker (appended data, the secondary images of MPF files, polyglot
//!   payloads). Segments between the scans of a progressive JPEG are filtered the same way.
//!   The one piece of Exif that survives is the *orientation* (when it is not the default): it
//!   is written back as a fresh, minimal Exif segment holding only that tag, because without it
//!   portrait photos from phones show on their side. It says nothing about who or where.
//! - **PNG**: kept are the critical chunks (`IHDR`, `PLTE`, `IDAT`, `IEND`), the colour and
//!   display chunks (`tRNS`, `cHRM`, `gAMA`, `iCCP`, `sBIT`, `sRGB`, `cICP`, `mDCV`, `cLLI`,
//!   `bKGD`, `hIST`, `pHYs`, `sPLT`) and the APNG chunks (`acTL`, `fcTL`, `fdAT`). Dropped are
//!   `eXIf`, `tEXt`, `zTXt`, `iTXt`, `tIME`, every private or unknown ancillary chunk, ancillary
//!   chunks with a bad checksum, and anything after `IEND`.
//! - **WebP**: kept are `VP8X` (with its Exif and XMP flags cleared), `ICCP`, `ANIM`, `ANMF`,
//!   `ALPH`, `VP8 ` and `VP8L`. Dropped are `EXIF`, `XMP ` and every unknown chunk, at the top
//!   level and inside animation frames, and anything after the RIFF container.
//! - **PDF**: parsed and written again from its objects (earlier revisions of an incrementally
//!   updated file are gone), without the document information dictionary (author, creator,
//!   producer, dates), XMP `/Metadata` streams, `/PieceInfo`, embedded files, and with the
//!   embedded JPEG images stripped like photos. An encrypted or unreadable PDF, or one holding
//!   images that cannot be cleaned (JPEG 2000, a JPEG inside another filter), is refused with
//!   [`AttachmentError::PdfNotCleanable`] (HTTP 422) rather than kept with what may be in it.
//!
//! Not looked at: the pixels themselves (a photo can still show a house number or a face), and
//! the image dimensions (the server never decodes the pictures, browsers do).
//!
//! A file whose bytes say it is an image but whose structure cannot be walked (truncated, a
//! segment running past the end, a missing end marker, a bad checksum on a chunk the picture
//! needs) is [`AttachmentError::Damaged`] (HTTP 422).

#![deny(missing_docs)]

mod error;
mod filename;
mod jpeg;
mod pdf;
mod png;
mod redact;
mod store;
mod webp;

pub use error::AttachmentError;
pub use redact::{Area, redact};
pub use store::DiskStore;

use sha2::{Digest, Sha256};

/// How big, and how many, the files of one upload may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest file accepted, in bytes, as uploaded (before cleaning).
    pub max_file_bytes: usize,
    /// The most files one upload (one report, one comment) may carry.
    pub max_files: usize,
}

impl Limits {
    /// 5 MiB, the default [`Limits::max_file_bytes`].
    pub const DEFAULT_MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
    /// 5, the default [`Limits::max_files`].
    pub const DEFAULT_MAX_FILES: usize = 5;
}

impl Default for Limits {
    /// 5 MiB per file, 5 files per upload.
    fn default() -> Self {
        Limits {
            max_file_bytes: Self::DEFAULT_MAX_FILE_BYTES,
            max_files: Self::DEFAULT_MAX_FILES,
        }
    }
}

/// A file that passed [`clean`]: safe to store and to serve with its content type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanFile {
    /// The cleaned bytes (without their metadata).
    pub bytes: Vec<u8>,
    /// The detected type: `image/jpeg`, `image/png`, `image/webp` or `application/pdf`.
    pub content_type: &'static str,
    /// A safe name to show and to offer in downloads, derived from the uploaded name: no
    /// directories, no control characters or quotes, at most 100 characters, ending in the
    /// detected type's extension. Never used as a path: storage is by content, see [`DiskStore`].
    pub filename: String,
    /// Lowercase hex SHA-256 of [`CleanFile::bytes`].
    pub sha256: String,
}

/// The file types that [`clean`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Jpeg,
    Png,
    Webp,
    Pdf,
}

impl Kind {
    /// Detects the type from the first bytes (the "magic number") only.
    fn detect(bytes: &[u8]) -> Option<Kind> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Kind::Jpeg)
        } else if bytes.starts_with(png::SIGNATURE) {
            Some(Kind::Png)
        } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
            Some(Kind::Webp)
        } else if bytes.starts_with(b"%PDF-") {
            Some(Kind::Pdf)
        } else {
            None
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Webp => "image/webp",
            Kind::Pdf => "application/pdf",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Kind::Jpeg => "jpg",
            Kind::Png => "png",
            Kind::Webp => "webp",
            Kind::Pdf => "pdf",
        }
    }
}

/// Checks one uploaded file and returns it cleaned, or says why it is refused.
///
/// In order: [`AttachmentError::Empty`] if there are no bytes, [`AttachmentError::TooLarge`] if
/// there are more than [`Limits::max_file_bytes`], [`AttachmentError::UnsupportedType`] unless
/// the bytes start like a JPEG, PNG, WebP or PDF file (`declared_name` plays no part in this),
/// [`AttachmentError::Damaged`] if an image's structure cannot be walked,
/// [`AttachmentError::PdfNotCleanable`] for a PDF that cannot be rewritten without its metadata.
/// Files come back without their metadata (see the [crate documentation](crate) for exactly
/// what is dropped).
///
/// `declared_name` is only used to derive [`CleanFile::filename`].
pub fn clean(
    bytes: &[u8],
    declared_name: &str,
    limits: &Limits,
) -> Result<CleanFile, AttachmentError> {
    if bytes.is_empty() {
        return Err(AttachmentError::Empty);
    }
    if bytes.len() > limits.max_file_bytes {
        return Err(AttachmentError::TooLarge {
            limit: limits.max_file_bytes,
        });
    }
    let Some(kind) = Kind::detect(bytes) else {
        return Err(AttachmentError::UnsupportedType {
            detected: infer::get(bytes).map(|t| t.mime_type().to_owned()),
        });
    };
    let cleaned = match kind {
        Kind::Jpeg => jpeg::strip(bytes)?,
        Kind::Png => png::strip(bytes)?,
        Kind::Webp => webp::strip(bytes)?,
        Kind::Pdf => pdf::strip(bytes)?,
    };
    let sha256 = sha256_hex(&cleaned);
    Ok(CleanFile {
        bytes: cleaned,
        content_type: kind.content_type(),
        filename: filename::sanitize(declared_name, kind.extension()),
        sha256,
    })
}

/// Checks that one upload carries at most [`Limits::max_files`] files:
/// [`AttachmentError::TooMany`] otherwise. Call it before cleaning any of them.
pub fn check_count(n: usize, limits: &Limits) -> Result<(), AttachmentError> {
    if n > limits.max_files {
        Err(AttachmentError::TooMany {
            limit: limits.max_files,
        })
    } else {
        Ok(())
    }
}

/// Lowercase hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Shorthand for the error of a file whose structure cannot be walked.
pub(crate) fn damaged(reason: &'static str) -> AttachmentError {
    AttachmentError::Damaged { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_limits() {
        let limits = Limits::default();
        assert_eq!(limits.max_file_bytes, 5 * 1024 * 1024);
        assert_eq!(limits.max_files, 5);
    }

    #[test]
    fn count_limit() {
        let limits = Limits::default();
        assert!(check_count(0, &limits).is_ok());
        assert!(check_count(5, &limits).is_ok());
        assert_eq!(
            check_count(6, &limits),
            Err(AttachmentError::TooMany { limit: 5 })
        );
    }

    #[test]
    fn detection_ignores_everything_but_the_bytes() {
        assert_eq!(Kind::detect(b"\xFF\xD8\xFF\xE0"), Some(Kind::Jpeg));
        assert_eq!(Kind::detect(b"\xFF\xD8"), None);
        assert_eq!(Kind::detect(b"RIFF\0\0\0\0WEBP"), Some(Kind::Webp));
        assert_eq!(Kind::detect(b"RIFF\0\0\0\0AVI "), None);
        assert_eq!(Kind::detect(b"%PDF-1.7\n"), Some(Kind::Pdf));
        assert_eq!(Kind::detect(b" %PDF-1.7\n"), None);
        assert_eq!(Kind::detect(b"GIF89a"), None);
    }
}
