//! The display name of an attachment, derived from the name the browser sent.

/// The most characters (not bytes) a sanitised name has, extension included.
pub(crate) const MAX_CHARS: usize = 100;

/// The name used when nothing of the declared name survives ("attachment").
pub(crate) const FALLBACK_STEM: &str = "lampiran";

/// Makes a safe display name from `declared`, ending in `.{extension}`.
///
/// Keeps the base name only (after the last `/` or `\`), drops control characters, quotes,
/// backquotes, the characters Windows refuses in names (`<>:|?*`) and the invisible
/// bidirectional and zero-width characters (used to make `gpj.exe` look like `exe.jpg`),
/// collapses runs of spaces, trims spaces and dots at both ends, replaces the extension (a last
/// `.` followed by 1 to 10 ASCII letters or digits) with `extension`, and cuts the rest so the
/// whole name has at most [`MAX_CHARS`] characters.
pub(crate) fn sanitize(declared: &str, extension: &str) -> String {
    let base = declared.rsplit(['/', '\\']).next().unwrap_or_default();

    let mut cleaned = String::with_capacity(base.len());
    for c in base.chars() {
        if is_dropped(c) {
            continue;
        }
        let c = if c.is_whitespace() { ' ' } else { c };
        if c == ' ' && (cleaned.is_empty() || cleaned.ends_with(' ')) {
            continue;
        }
        cleaned.push(c);
    }
    // leading dots stay for now, so that ".jpg" is an extension with an empty stem
    let cleaned = cleaned.trim_end_matches(|c: char| c == '.' || c.is_whitespace());

    let stem = match cleaned.rsplit_once('.') {
        Some((stem, ext))
            if !ext.is_empty()
                && ext.len() <= 10
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            trim(stem)
        }
        _ => trim(cleaned),
    };

    let room = MAX_CHARS.saturating_sub(extension.chars().count() + 1);
    let stem: String = stem.chars().take(room).collect();
    let stem = match trim(&stem) {
        "" => FALLBACK_STEM,
        stem => stem,
    };
    format!("{stem}.{extension}")
}

fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c == '.' || c.is_whitespace())
}

fn is_dropped(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '"' | '\''
                | '`'
                | '<'
                | '>'
                | ':'
                | '|'
                | '?'
                | '*'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_dropped() {
        assert_eq!(sanitize("../../etc/passwd.jpg", "jpg"), "passwd.jpg");
        assert_eq!(sanitize("C:\\Users\\x\\foto.PNG", "png"), "foto.png");
        assert_eq!(sanitize("/abs/path/", "pdf"), "lampiran.pdf");
        assert_eq!(sanitize("..", "jpg"), "lampiran.jpg");
        assert_eq!(sanitize("a/..\\..", "jpg"), "lampiran.jpg");
    }

    #[test]
    fn extension_is_the_detected_one() {
        assert_eq!(sanitize("foto.jpg", "png"), "foto.png");
        assert_eq!(sanitize("laporan", "pdf"), "laporan.pdf");
        assert_eq!(sanitize("virus.exe", "jpg"), "virus.jpg");
        assert_eq!(sanitize("foto.jpeg.exe", "jpg"), "foto.jpeg.jpg");
        // a dot inside the name is not an extension
        assert_eq!(
            sanitize("Lubang di Jl. Sudirman", "jpg"),
            "Lubang di Jl. Sudirman.jpg"
        );
        assert_eq!(sanitize(".jpg", "jpg"), "lampiran.jpg");
        assert_eq!(sanitize(".bashrc", "pdf"), "lampiran.pdf");
        assert_eq!(sanitize("..foto.jpg.", "pdf"), "foto.pdf");
        assert_eq!(sanitize("", "webp"), "lampiran.webp");
        assert_eq!(sanitize("   ", "webp"), "lampiran.webp");
    }

    #[test]
    fn unsafe_characters_are_dropped() {
        assert_eq!(sanitize("foto\njalan.jpg", "jpg"), "fotojalan.jpg");
        assert_eq!(sanitize("\"foto\" 'jalan'.jpg", "jpg"), "foto jalan.jpg");
        assert_eq!(sanitize("a\u{0}b\u{7f}c\r.jpg", "jpg"), "abc.jpg");
        assert_eq!(sanitize("foto\u{202E}gpj.exe", "jpg"), "fotogpj.jpg");
        assert_eq!(sanitize("a<b>c:d|e?f*.png", "png"), "abcdef.png");
        assert_eq!(
            sanitize("  banyak \t  spasi  .jpg", "jpg"),
            "banyak spasi.jpg"
        );
        assert_eq!(
            sanitize("Jalan Rusak — Kecamatan Ciputat.jpg", "jpg"),
            "Jalan Rusak — Kecamatan Ciputat.jpg"
        );
    }

    #[test]
    fn long_names_are_cut_by_characters() {
        let long = format!("{}.jpg", "a".repeat(300));
        let name = sanitize(&long, "jpg");
        assert_eq!(name.chars().count(), MAX_CHARS);
        assert_eq!(name, format!("{}.jpg", "a".repeat(96)));

        // multi-byte characters are never split
        let long = format!("{}.webp", "é".repeat(300));
        let name = sanitize(&long, "webp");
        assert_eq!(name.chars().count(), MAX_CHARS);
        assert!(name.ends_with("é.webp"));

        // a cut that ends in spaces or dots is trimmed
        let long = format!("{}{}", "a".repeat(95), " ".repeat(10));
        assert_eq!(sanitize(&long, "jpg"), format!("{}.jpg", "a".repeat(95)));
    }
}
