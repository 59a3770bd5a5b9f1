//! Reading the pages' multipart forms: the citizen's report form, the desk's walk-in form, the
//! staff report page and the reporter's reply. They take what the API's uploads take (5 files
//! of 5 MiB, [`FORM_LIMIT`] in all); a file or a whole upload that is too large becomes a field
//! error in the page's language, with every typed field kept, never an unreadable form.
//!
//! The page routes carry no body limit of their own: this reader counts, keeps at most the
//! allowed files and 64 KiB per text field, and reads (and drops) what comes beyond the limit up
//! to twice the limit, so that a browser still uploading receives the answer rather than a
//! reset connection. Past that it stops reading.

use crate::error::attachment_field;
use axum::extract::Multipart;
use axum::extract::multipart::MultipartError;
use tanggap_attachments::{AttachmentError, CleanFile, Limits, clean};
use tanggap_service::FieldError;

/// The most a page form may carry: as much as an upload through the API.
pub const FORM_LIMIT: usize = crate::api::UPLOAD_LIMIT;
/// Reading stops here.
const READ_AT_MOST: usize = 2 * FORM_LIMIT;
/// A text field keeps at most this much (the longest field the use cases accept is far
/// shorter, so a longer one is refused with its own message).
const TEXT_FIELD_MAX: usize = 64 * 1024;

/// A page form as read.
#[derive(Default)]
pub struct PageForm {
    fields: Vec<(String, String)>,
    /// The files that passed the checks (none if the upload as a whole was too large).
    pub files: Vec<CleanFile>,
    /// What is wrong with the files, as errors of the file field.
    pub file_errors: Vec<FieldError>,
    /// The upload as a whole was larger than [`FORM_LIMIT`].
    pub too_large: bool,
}

impl PageForm {
    /// The first value of a field (empty if absent).
    pub fn get(&self, name: &str) -> String {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every value of a field, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The text fields, in order.
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }

    /// The status a page re-rendered for the file errors answers with.
    pub fn status(&self) -> axum::http::StatusCode {
        if self.too_large {
            axum::http::StatusCode::PAYLOAD_TOO_LARGE
        } else {
            axum::http::StatusCode::UNPROCESSABLE_ENTITY
        }
    }
}

/// Read a page form whose files come in the `file_field` parts.
pub async fn read(
    mut mp: Multipart,
    limits: &Limits,
    file_field: &str,
) -> Result<PageForm, MultipartError> {
    let mut form = PageForm::default();
    let mut total = 0usize;
    let mut file_count = 0usize;
    'parts: while let Some(mut field) = mp.next_field().await? {
        let name = field.name().unwrap_or_default().to_string();
        if name == file_field {
            let filename = field.file_name().unwrap_or("foto").to_string();
            // `None` once the file is over the per-file limit: the rest is counted, not kept.
            let mut kept = Some(Vec::new());
            while let Some(chunk) = field.chunk().await? {
                total += chunk.len();
                if total > READ_AT_MOST {
                    break 'parts;
                }
                if let Some(bytes) = &mut kept {
                    if bytes.len() + chunk.len() > limits.max_file_bytes {
                        kept = None;
                    } else {
                        bytes.extend_from_slice(&chunk);
                    }
                }
            }
            let Some(bytes) = kept else {
                let e = AttachmentError::TooLarge {
                    limit: limits.max_file_bytes,
                };
                form.file_errors
                    .push(attachment_field(file_field, &e, Some(&filename)));
                continue;
            };
            if bytes.is_empty() {
                continue; // an empty file input
            }
            file_count += 1;
            if file_count > limits.max_files {
                if file_count == limits.max_files + 1 {
                    let e = AttachmentError::TooMany {
                        limit: limits.max_files,
                    };
                    form.file_errors
                        .push(attachment_field(file_field, &e, None));
                }
                continue;
            }
            match clean(&bytes, &filename, limits) {
                Ok(f) => form.files.push(f),
                Err(e) => form
                    .file_errors
                    .push(attachment_field(file_field, &e, Some(&filename))),
            }
        } else {
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await? {
                total += chunk.len();
                if total > READ_AT_MOST {
                    break 'parts;
                }
                let room = TEXT_FIELD_MAX.saturating_sub(bytes.len());
                bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            form.fields
                .push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    if total > FORM_LIMIT {
        form.too_large = true;
        form.files.clear();
        form.file_errors.insert(
            0,
            FieldError::new(file_field, "total_too_large")
                .with("limit", limits.max_files * limits.max_file_bytes),
        );
    }
    Ok(form)
}
