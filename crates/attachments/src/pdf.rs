//! PDF documents without the metadata that names their author or where a photo was taken.
//!
//! The file is parsed (with `lopdf`) and written again from its objects, so that earlier
//! revisions kept by incremental updates, and objects nothing refers to, are gone. Dropped:
//!
//! - the trailer's document information dictionary (`/Info`: author, creator, producer, title,
//!   dates);
//! - every `/Metadata` stream (XMP, at the document, page or image level) and every
//!   `/PieceInfo` (an application's private data);
//! - embedded files (`/EmbeddedFiles` in the name tree, `/AF` associated files): a document
//!   inside the document, with its own metadata;
//! - in every embedded JPEG image (`/DCTDecode`), the segments [`crate::jpeg`] drops from photos
//!   (`APP1` Exif with GPS, XMP; `APP13` IPTC; comments).
//!
//! Refused (as [`AttachmentError::PdfNotCleanable`]): encrypted documents (their objects cannot
//! be read and rewritten), documents the parser cannot read, and images whose compression chain
//! we cannot clean (a JPEG inside another filter, JPEG 2000), rather than stored with what may be
//! in them.

use crate::AttachmentError;
use lopdf::{Document, Object};

fn refuse(reason: &'static str) -> AttachmentError {
    AttachmentError::PdfNotCleanable { reason }
}

/// The document written again without its metadata.
pub(crate) fn strip(bytes: &[u8]) -> Result<Vec<u8>, AttachmentError> {
    // A parser fed with hostile bytes: a panic inside it refuses the file instead of ending the
    // request.
    std::panic::catch_unwind(|| strip_unguarded(bytes))
        .unwrap_or_else(|_| Err(refuse("the PDF parser failed")))
}

fn strip_unguarded(bytes: &[u8]) -> Result<Vec<u8>, AttachmentError> {
    let mut doc = Document::load_mem(bytes).map_err(|_| refuse("unreadable PDF"))?;
    if doc.was_encrypted() || doc.trailer.has(b"Encrypt") {
        return Err(refuse("encrypted PDF"));
    }
    if let Some(Object::Reference(info)) = doc.trailer.remove(b"Info") {
        doc.objects.remove(&info);
    }
    for object in doc.objects.values_mut() {
        clean_object(object)?;
    }
    clean_dictionary(&mut doc.trailer);
    doc.prune_objects();
    let mut out = Vec::with_capacity(bytes.len());
    doc.save_to(&mut out)
        .map_err(|_| refuse("the PDF cannot be written"))?;
    Ok(out)
}

/// Keys whose values are metadata or other documents.
const DROPPED_KEYS: &[&[u8]] = &[b"Metadata", b"PieceInfo", b"EmbeddedFiles", b"AF"];

fn clean_dictionary(dict: &mut lopdf::Dictionary) {
    for key in DROPPED_KEYS {
        dict.remove(key);
    }
    for (_, value) in dict.iter_mut() {
        clean_direct(value);
    }
}

/// Direct objects nested in a dictionary or array.
fn clean_direct(object: &mut Object) {
    match object {
        Object::Dictionary(d) => clean_dictionary(d),
        Object::Array(items) => items.iter_mut().for_each(clean_direct),
        _ => {}
    }
}

fn clean_object(object: &mut Object) -> Result<(), AttachmentError> {
    match object {
        Object::Stream(stream) => {
            clean_dictionary(&mut stream.dict);
            let filters: Vec<Vec<u8>> = match stream.dict.get(b"Filter") {
                Ok(Object::Name(n)) => vec![n.clone()],
                Ok(Object::Array(a)) => a
                    .iter()
                    .filter_map(|f| f.as_name().ok().map(<[u8]>::to_vec))
                    .collect(),
                _ => vec![],
            };
            let jpeg = filters.iter().any(|f| f == b"DCTDecode" || f == b"DCT");
            if filters.iter().any(|f| f == b"JPXDecode") {
                return Err(refuse("JPEG 2000 image"));
            }
            if jpeg {
                if filters.len() != 1 {
                    return Err(refuse("JPEG image inside another filter"));
                }
                let cleaned = crate::jpeg::strip(&stream.content)
                    .map_err(|_| refuse("damaged JPEG image"))?;
                stream.set_content(cleaned);
            }
        }
        other => clean_direct(other),
    }
    Ok(())
}
