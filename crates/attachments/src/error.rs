//! Why an attachment was refused, in words for the citizen (Bahasa Indonesia via `Display`,
//! English via [`AttachmentError::message_en`]) and as a stable code for the API.

/// Why [`clean`](crate::clean) or [`check_count`](crate::check_count) refused an upload.
///
/// `Display` gives the message for the citizen in Bahasa Indonesia; the suggested HTTP status
/// is given for each variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    /// The file has no bytes (HTTP 400). Code `empty`.
    #[error("Berkas kosong. Pilih berkas lain.")]
    Empty,
    /// The file is bigger than `limit` bytes (HTTP 413). Code `too_large`.
    #[error("Berkas terlalu besar: maksimal {} per berkas.", size_id(*.limit))]
    TooLarge {
        /// The largest size accepted, in bytes.
        limit: usize,
    },
    /// The bytes are not a JPEG, PNG, WebP or PDF file (HTTP 415). Code `unsupported_type`.
    #[error("Jenis berkas tidak didukung. Unggah foto (JPEG, PNG, atau WebP) atau dokumen PDF.")]
    UnsupportedType {
        /// The MIME type recognised from the bytes, when it is a known one (for logs; never
        /// from the file name).
        detected: Option<String>,
    },
    /// The bytes start like an image, but its structure cannot be read: truncated or corrupt
    /// (HTTP 422). Code `damaged`.
    #[error("Berkas gambar rusak atau tidak utuh sehingga tidak dapat dibaca.")]
    Damaged {
        /// What was wrong, in English, for logs (not for the citizen).
        reason: &'static str,
    },
    /// A PDF whose metadata cannot be stripped: encrypted, unreadable, or holding images that
    /// cannot be cleaned (HTTP 422). Code `pdf_not_cleanable`.
    #[error(
        "Dokumen PDF ini tidak dapat dibersihkan dari data yang dapat mengungkap identitas (misalnya terkunci kata sandi atau rusak). Unggah sebagai foto atau simpan ulang PDF tanpa kata sandi."
    )]
    PdfNotCleanable {
        /// What was wrong, in English, for logs (not for the citizen).
        reason: &'static str,
    },
    /// One upload carries more than `limit` files (HTTP 413). Code `too_many`.
    #[error("Terlalu banyak berkas: maksimal {limit} berkas per unggahan.")]
    TooMany {
        /// The most files accepted in one upload.
        limit: usize,
    },
}

impl AttachmentError {
    /// The same message as `Display`, in English.
    pub fn message_en(&self) -> String {
        match self {
            AttachmentError::Empty => "The file is empty. Choose another file.".to_owned(),
            AttachmentError::TooLarge { limit } => {
                format!(
                    "The file is too large: at most {} per file.",
                    size_en(*limit)
                )
            }
            AttachmentError::UnsupportedType { .. } => {
                "Unsupported file type. Upload a photo (JPEG, PNG or WebP) or a PDF document."
                    .to_owned()
            }
            AttachmentError::Damaged { .. } => {
                "The image file is damaged or incomplete and cannot be read.".to_owned()
            }
            AttachmentError::PdfNotCleanable { .. } => {
                "This PDF cannot be cleaned of data that could identify you (it may be password-protected or damaged). Upload it as a photo, or save it again without a password.".to_owned()
            }
            AttachmentError::TooMany { limit } => {
                format!("Too many files: at most {limit} files per upload.")
            }
        }
    }

    /// A stable machine-readable code: `empty`, `too_large`, `unsupported_type`, `damaged`,
    /// `pdf_not_cleanable` or `too_many`.
    pub fn code(&self) -> &'static str {
        match self {
            AttachmentError::Empty => "empty",
            AttachmentError::TooLarge { .. } => "too_large",
            AttachmentError::UnsupportedType { .. } => "unsupported_type",
            AttachmentError::Damaged { .. } => "damaged",
            AttachmentError::PdfNotCleanable { .. } => "pdf_not_cleanable",
            AttachmentError::TooMany { .. } => "too_many",
        }
    }
}

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

/// A size for people: whole MB/KB when exact, else one decimal with `separator`.
fn size(bytes: usize, separator: char, byte_word: &str) -> String {
    let (unit, name) = if bytes >= MIB {
        (MIB, "MB")
    } else if bytes >= KIB {
        (KIB, "KB")
    } else {
        return format!("{bytes} {byte_word}");
    };
    let whole = bytes / unit;
    // tenths, rounded down so the limit shown is never more than the real one
    let tenth = (bytes % unit) * 10 / unit;
    if tenth == 0 {
        format!("{whole} {name}")
    } else {
        format!("{whole}{separator}{tenth} {name}")
    }
}

fn size_id(bytes: usize) -> String {
    size(bytes, ',', "bita")
}

fn size_en(bytes: usize) -> String {
    size(bytes, '.', "bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let e = AttachmentError::TooLarge { limit: 5 * MIB };
        assert_eq!(
            e.to_string(),
            "Berkas terlalu besar: maksimal 5 MB per berkas."
        );
        assert_eq!(
            e.message_en(),
            "The file is too large: at most 5 MB per file."
        );
        assert_eq!(e.code(), "too_large");

        let e = AttachmentError::TooMany { limit: 5 };
        assert_eq!(
            e.to_string(),
            "Terlalu banyak berkas: maksimal 5 berkas per unggahan."
        );
        assert_eq!(
            e.message_en(),
            "Too many files: at most 5 files per upload."
        );
        assert_eq!(e.code(), "too_many");

        let all = [
            AttachmentError::Empty,
            AttachmentError::TooLarge { limit: 1 },
            AttachmentError::UnsupportedType { detected: None },
            AttachmentError::Damaged { reason: "x" },
            AttachmentError::TooMany { limit: 1 },
        ];
        let codes: Vec<_> = all.iter().map(AttachmentError::code).collect();
        assert_eq!(
            codes,
            [
                "empty",
                "too_large",
                "unsupported_type",
                "damaged",
                "too_many"
            ]
        );
        for e in &all {
            assert!(!e.to_string().is_empty());
            assert_ne!(e.to_string(), e.message_en());
            // the reason for logs never reaches the citizen
            assert!(!e.to_string().contains(" x"));
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(size_id(5 * MIB), "5 MB");
        assert_eq!(size_id(3 * MIB / 2), "1,5 MB");
        assert_eq!(size_en(3 * MIB / 2), "1.5 MB");
        assert_eq!(size_id(MIB - 1), "1023,9 KB");
        assert_eq!(size_id(500 * KIB), "500 KB");
        assert_eq!(size_id(10), "10 bita");
        assert_eq!(size_en(10), "10 bytes");
    }
}
