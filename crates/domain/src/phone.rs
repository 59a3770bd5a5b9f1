//! Indonesian phone numbers to E.164 (`+62…`), so one person writing by SMS and by WhatsApp from
//! the same number is recognised as one reporter.

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PhoneError {
    #[error("nomor telepon tidak valid: gunakan format 08xx, 628xx atau +628xx")]
    Invalid,
}

/// Normalises `0812-3456-789`, `62812…`, `+62 812 …` and `812…` to `+62812…`.
/// Numbers with another country code (`+1…`) are kept as given, digits only.
pub fn normalize_phone(input: &str) -> Result<String, PhoneError> {
    let trimmed = input.trim();
    let plus = trimmed.starts_with('+');
    let mut digits = String::with_capacity(trimmed.len());
    for c in trimmed.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '+' => {}
            _ => return Err(PhoneError::Invalid),
        }
    }
    let national = if let Some(rest) = digits.strip_prefix("62") {
        rest.to_string()
    } else if plus {
        // Another country: E.164 allows up to 15 digits.
        if (8..=15).contains(&digits.len()) {
            return Ok(format!("+{digits}"));
        }
        return Err(PhoneError::Invalid);
    } else if let Some(rest) = digits.strip_prefix('0') {
        rest.to_string()
    } else {
        digits
    };
    let national = national.trim_start_matches('0');
    // Indonesian subscriber numbers (mobile 8xx…, fixed area codes) are 7 to 12 digits long.
    if !(7..=12).contains(&national.len()) {
        return Err(PhoneError::Invalid);
    }
    Ok(format!("+62{national}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn forms_of_the_same_number_agree() {
        let want = "+6281234567890";
        for s in [
            "081234567890",
            "6281234567890",
            "+6281234567890",
            "+62 812-3456-7890",
            "0812.3456.7890",
        ] {
            assert_eq!(normalize_phone(s).unwrap(), want, "{s}");
        }
    }

    #[test]
    fn rejects_nonsense() {
        for s in ["", "abc", "0812", "+62", "08123456789012345", "0812-x-3456"] {
            assert!(normalize_phone(s).is_err(), "{s}");
        }
    }

    #[test]
    fn keeps_foreign_numbers() {
        assert_eq!(normalize_phone("+1 415 555 0100").unwrap(), "+14155550100");
    }

    proptest! {
        #[test]
        fn never_panics_and_is_idempotent(s in ".{0,30}") {
            if let Ok(n) = normalize_phone(&s) {
                prop_assert_eq!(normalize_phone(&n).unwrap(), n);
            }
        }
    }
}
