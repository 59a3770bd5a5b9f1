//! Text typed by people, checked once at the door for every use case.
//!
//! - Control characters (NUL, escape sequences, C1 controls, DEL) are refused with a field error:
//!   they have no place in a complaint, break exports and terminals, and a NUL stored raw ends
//!   up in every page and file that shows the text. Long text keeps its line breaks and tabs.
//! - Bidirectional override and isolate characters (U+202A–U+202E, U+2066–U+2069) are removed
//!   from one-line text such as titles and names: they can make a name or tracking ID read
//!   differently from what it is ("Trojan Source"). Long text keeps them (Arabic script in a
//!   quote), since it is always shown as a block of its own.

use crate::FieldError;

/// Bidirectional embedding, override and isolate controls.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn refused(field: &str) -> FieldError {
    FieldError::new(field, "control_characters")
}

/// One line of text (a title, a name, a reason code): trimmed, without control characters
/// (line breaks included), bidirectional controls removed.
/// A subject line for a message that has none (chat, Open311): its first ten words, at most 80
/// characters.
pub fn title_from_words(body: &str) -> String {
    let title = body
        .split_whitespace()
        .take(10)
        .collect::<Vec<_>>()
        .join(" ");
    if title.chars().count() > 80 {
        title.chars().take(80).collect::<String>() + "…"
    } else {
        title
    }
}

pub fn line(field: &str, value: &str) -> Result<String, FieldError> {
    if value.chars().any(char::is_control) {
        return Err(refused(field));
    }
    Ok(value
        .chars()
        .filter(|c| !is_bidi_control(*c))
        .collect::<String>()
        .trim()
        .to_string())
}

/// Several lines of text (a report's body, a note, a message): trimmed; line breaks and tabs
/// kept, every other control character refused.
pub fn long(field: &str, value: &str) -> Result<String, FieldError> {
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(refused(field));
    }
    Ok(value.trim().to_string())
}

/// [`line`] for an optional value; empty becomes `None`.
pub fn line_opt(field: &str, value: Option<&str>) -> Result<Option<String>, FieldError> {
    value
        .map(|v| line(field, v))
        .transpose()
        .map(|v| v.filter(|s| !s.is_empty()))
}

/// [`long`] for an optional value; empty becomes `None`.
pub fn long_opt(field: &str, value: Option<&str>) -> Result<Option<String>, FieldError> {
    value
        .map(|v| long(field, v))
        .transpose()
        .map(|v| v.filter(|s| !s.is_empty()))
}

/// Collects field errors while values are checked, so every problem is reported at once.
#[derive(Debug, Default)]
pub struct Checker {
    pub errors: Vec<FieldError>,
}

impl Checker {
    /// The value, or its default after recording the error.
    pub fn take<T: Default>(&mut self, r: Result<T, FieldError>) -> T {
        match r {
            Ok(v) => v,
            Err(e) => {
                self.errors.push(e);
                T::default()
            }
        }
    }

    pub fn push(&mut self, e: FieldError) {
        self.errors.push(e);
    }

    /// Whether this field already has an error (to report one problem per field).
    pub fn has(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }

    pub fn finish(self) -> crate::Result<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(crate::ServiceError::fields(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nul_and_escapes_are_refused() {
        assert_eq!(
            line("title", "Jalan\0rusak").unwrap_err().code,
            "control_characters"
        );
        assert!(line("title", "Jalan\u{1b}[31mrusak").is_err());
        assert!(line("title", "dua\nbaris").is_err());
        assert!(long("body", "a\u{7f}b").is_err());
        assert!(long("body", "a\u{85}b").is_err(), "C1 controls too");
        assert_eq!(
            long("body", " baris satu\n\tbaris dua \r\n").unwrap(),
            "baris satu\n\tbaris dua"
        );
    }

    #[test]
    fn bidi_overrides_are_neutralised_in_one_line_text() {
        assert_eq!(line("name", "Budi\u{202E}gnp.exe").unwrap(), "Budignp.exe");
        assert_eq!(line("name", "\u{2067}Siti\u{2069}").unwrap(), "Siti");
        assert_eq!(line_opt("name", Some("  ")).unwrap(), None);
    }

    proptest! {
        /// Whatever is typed, what is accepted has no control character but line breaks and
        /// tabs, and no bidirectional control in one-line text.
        #[test]
        fn accepted_text_is_clean(s in "\\PC*|.*[\u{0}-\u{1f}\u{202a}-\u{202e}].*") {
            if let Ok(v) = line("f", &s) {
                prop_assert!(!v.chars().any(|c| c.is_control() || is_bidi_control(c)));
            }
            if let Ok(v) = long("f", &s) {
                prop_assert!(!v.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')));
            }
        }
    }
}
