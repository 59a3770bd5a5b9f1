//! Text typed by people, checked once at the door for every use case.
//!
//! - Control characters (NUL, escape sequences, C1 controls, DEL) are refused with a field error:
//!   they have no place in a complaint, break exports and terminals, and a NUL stored raw ends
//!   up in every page and file that shows the text. Long text keeps its line breaks and tabs.
//!   Unicode's noncharacters (U+FFFE, U+FFFF, U+FDD0–U+FDEF and the last two of every plane) are
//!   refused the same way: they are not text, and XML cannot carry U+FFFE or U+FFFF at all, so
//!   one of them in a title made every Open311 XML list that showed it unreadable.
//! - Bidirectional override and isolate characters (U+202A–U+202E, U+2066–U+2069) are removed
//!   from one-line text such as titles and names: they can make a name or tracking ID read
//!   differently from what it is ("Trojan Source"). Long text keeps them (Arabic script in a
//!   quote), since it is always shown as a block of its own.

use crate::FieldError;

/// Bidirectional embedding, override and isolate controls.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Code points that are not characters (Unicode's 66 noncharacters).
fn is_noncharacter(c: char) -> bool {
    matches!(c, '\u{FDD0}'..='\u{FDEF}') || (c as u32) & 0xFFFE == 0xFFFE
}

fn refused(field: &str) -> FieldError {
    FieldError::new(field, "control_characters")
}

/// A subject line for a message that has none (chat, Open311): its first ten words, at most 80
/// characters, without bidirectional controls (it is one-line text, like a typed title).
pub fn title_from_words(body: &str) -> String {
    let words: String = body.chars().filter(|c| !is_bidi_control(*c)).collect();
    let title = words
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

/// One line of text (a title, a name, a reason code): trimmed, without control characters
/// (line breaks included) or noncharacters, bidirectional controls removed.
pub fn line(field: &str, value: &str) -> Result<String, FieldError> {
    if value.chars().any(|c| c.is_control() || is_noncharacter(c)) {
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
/// kept, every other control character refused, noncharacters too.
pub fn long(field: &str, value: &str) -> Result<String, FieldError> {
    if value
        .chars()
        .any(|c| (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) || is_noncharacter(c))
    {
        return Err(refused(field));
    }
    Ok(value.trim().to_string())
}

/// Words to search for: a control character or a noncharacter cannot be in any stored text, so
/// it is a space here (PostgreSQL cannot even hold a NUL in a query's text: searching for one
/// was a 500). Trimmed; nothing left is no search.
pub fn search(words: &str) -> Option<String> {
    let words: String = words
        .chars()
        .map(|c| {
            if c.is_control() || is_noncharacter(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    let words = words.trim();
    (!words.is_empty()).then(|| words.to_string())
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
    fn noncharacters_are_refused() {
        for bad in ["akhir\u{FFFE}", "\u{FFFF}", "a\u{FDD0}b", "z\u{10FFFF}"] {
            assert_eq!(
                line("title", bad).unwrap_err().code,
                "control_characters",
                "{bad:?}"
            );
            assert!(long("body", bad).is_err(), "{bad:?}");
        }
        // Private use and the replacement character are text.
        assert!(line("title", "\u{E000}\u{FFFD}").is_ok());
    }

    #[test]
    fn searched_words_lose_what_no_text_holds() {
        assert_eq!(search("Jalan\0rusak").as_deref(), Some("Jalan rusak"));
        assert_eq!(
            search("\u{1b}[31m'; DROP\u{FFFF}").as_deref(),
            Some("[31m'; DROP")
        );
        assert_eq!(search(" \0\t "), None);
    }

    #[test]
    fn a_title_made_of_words_has_no_bidi_controls() {
        assert_eq!(
            title_from_words("Jalan \u{202E}kusar\u{202C} parah\n\u{2067}x\u{2069}"),
            "Jalan kusar parah x"
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
                prop_assert!(!v.chars().any(|c| c.is_control() || is_bidi_control(c) || is_noncharacter(c)));
            }
            if let Ok(v) = long("f", &s) {
                prop_assert!(!v.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')));
            }
        }
    }
}
