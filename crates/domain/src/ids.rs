//! Tracking IDs and reporters' secret tokens.
//!
//! A tracking ID is short enough to read out over the phone and type from an SMS, yet unguessable:
//! 10 Crockford base32 symbols carry 50 random bits. Parsing follows Crockford's rules (case
//! insensitive; `I`/`L` read as 1, `O` as 0; hyphens ignored) so what a citizen types is accepted.

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Symbols after the prefix; 10 × 5 = 50 random bits.
pub const TRACKING_SYMBOLS: usize = 10;

fn decode_symbol(c: char) -> Option<u8> {
    let c = c.to_ascii_uppercase();
    let c = match c {
        'O' => '0',
        'I' | 'L' => '1',
        other => other,
    };
    ALPHABET
        .iter()
        .position(|&a| a as char == c)
        .map(|p| p as u8)
}

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TrackingId(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TrackingIdError {
    #[error("a tracking ID looks like LG-4F7KQ2MZ8T: letters and digits after the prefix")]
    Malformed,
}

impl TrackingId {
    /// A fresh random ID with the given prefix (letters only, e.g. `LG`).
    pub fn generate(prefix: &str, rng: &mut impl RngCore) -> Self {
        let mut bits = rng.next_u64();
        let mut s = String::with_capacity(prefix.len() + 1 + TRACKING_SYMBOLS);
        s.push_str(&prefix.to_ascii_uppercase());
        s.push('-');
        for _ in 0..TRACKING_SYMBOLS {
            s.push(ALPHABET[(bits & 31) as usize] as char);
            bits >>= 5;
        }
        TrackingId(s)
    }

    /// Parse what a person typed: `lg-4f7k-q2mz-8t`, `LG4F7KQ2MZ8T` and `LG-4F7KQ2MZ8T` are the same ID.
    pub fn parse(input: &str) -> Result<Self, TrackingIdError> {
        let input = input.trim();
        // The canonical form (as stored and printed) is taken as it is, without rewriting.
        if let Some((prefix, symbols)) = input.split_once('-')
            && (1..=8).contains(&prefix.len())
            && prefix.bytes().all(|b| b.is_ascii_uppercase())
            && symbols.len() == TRACKING_SYMBOLS
            && symbols.bytes().all(|b| ALPHABET.contains(&b))
        {
            return Ok(TrackingId(input.to_string()));
        }
        let letters: String = input
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        // The prefix is the leading letters that are not part of the symbols. IDs whose symbols
        // start with letters are ambiguous without a separator, so we accept both forms:
        // with a hyphen after the prefix, or a prefix of exactly the letters minus what the
        // symbols need.
        let rest: Vec<char> = input.chars().filter(|c| *c != '-' && *c != ' ').collect();
        if rest.len() <= TRACKING_SYMBOLS {
            return Err(TrackingIdError::Malformed);
        }
        let prefix_len = if let Some(pos) = input.find('-') {
            let p = &input[..pos];
            if p.is_empty() || !p.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(TrackingIdError::Malformed);
            }
            p.len()
        } else {
            rest.len() - TRACKING_SYMBOLS
        };
        if prefix_len == 0 || prefix_len > 8 || letters.len() < prefix_len {
            return Err(TrackingIdError::Malformed);
        }
        let prefix: String = rest[..prefix_len]
            .iter()
            .collect::<String>()
            .to_ascii_uppercase();
        let symbols = &rest[prefix_len..];
        if symbols.len() != TRACKING_SYMBOLS {
            return Err(TrackingIdError::Malformed);
        }
        let mut s = prefix;
        s.push('-');
        for &c in symbols {
            let v = decode_symbol(c).ok_or(TrackingIdError::Malformed)?;
            s.push(ALPHABET[v as usize] as char);
        }
        Ok(TrackingId(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Finds the first tracking ID with this prefix inside free text (an SMS, an e-mail subject).
    pub fn find_in(text: &str, prefix: &str) -> Option<Self> {
        let upper = text.to_ascii_uppercase();
        let prefix = prefix.to_ascii_uppercase();
        let mut from = 0;
        while let Some(pos) = upper[from..].find(&prefix) {
            let start = from + pos;
            let boundary_ok = start == 0
                || !upper[..start]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_ascii_alphanumeric());
            if boundary_ok {
                let candidate: String = upper[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                if let Ok(id) = TrackingId::parse(&candidate)
                    && id.0.starts_with(&format!("{prefix}-"))
                {
                    return Some(id);
                }
            }
            from = start + prefix.len();
        }
        None
    }
}

impl fmt::Display for TrackingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TrackingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TrackingId({})", self.0)
    }
}

impl TryFrom<String> for TrackingId {
    type Error = TrackingIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        TrackingId::parse(&s)
    }
}

impl From<TrackingId> for String {
    fn from(t: TrackingId) -> String {
        t.0
    }
}

/// The reporter's secret: 128 random bits, shown once, stored only as its SHA-256.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    pub fn generate(rng: &mut impl RngCore) -> Self {
        let mut bytes = [0u8; 16];
        rng.fill_bytes(&mut bytes);
        SecretToken(hex::encode(bytes))
    }

    pub fn from_presented(s: &str) -> Self {
        SecretToken(s.trim().to_ascii_lowercase())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> String {
        sha256_hex(self.0.as_bytes())
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

/// The public name of an attachment in every URL: 128 random bits as 32 lowercase hex digits.
/// Attachments keep an internal sequential id, which is never shown, so that nobody can find
/// the files of other reports by counting.
pub fn attachment_key(rng: &mut impl RngCore) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Whether `s` has the form of an [`attachment_key`] (checked before any lookup).
pub fn is_attachment_key(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn attachment_keys_are_128_random_bits() {
        let mut rng = StdRng::seed_from_u64(7);
        let a = attachment_key(&mut rng);
        let b = attachment_key(&mut rng);
        assert_ne!(a, b);
        assert!(is_attachment_key(&a) && is_attachment_key(&b), "{a} {b}");
        for bad in [
            "1",
            "",
            &a.to_uppercase(),
            &a[..31],
            "../../etc/passwd0000000000000000",
        ] {
            assert!(!is_attachment_key(bad), "{bad}");
        }
    }

    #[test]
    fn generated_ids_parse_back() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..1000 {
            let id = TrackingId::generate("LG", &mut rng);
            assert_eq!(id.as_str().len(), 3 + TRACKING_SYMBOLS);
            assert_eq!(TrackingId::parse(id.as_str()).unwrap(), id);
            assert_eq!(TrackingId::parse(&id.as_str().to_lowercase()).unwrap(), id);
        }
    }

    #[test]
    fn crockford_confusables_are_accepted() {
        let id = TrackingId::parse("LG-0000011111").unwrap();
        assert_eq!(TrackingId::parse("lg-ooooo-iiiil").unwrap(), id);
        assert_eq!(TrackingId::parse("LGOOOOOIIIIL").unwrap(), id);
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "LG",
            "LG-123",
            "LG-12345678901",
            "12-4F7KQ2MZ8T",
            "LG-4F7KQ2MZ8U",
        ] {
            assert!(TrackingId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn finds_ids_in_free_text() {
        let id = TrackingId::parse("LG-4F7KQ2MZ8T").unwrap();
        assert_eq!(
            TrackingId::find_in("status lg-4f7kq2mz8t mohon info", "LG"),
            Some(id.clone())
        );
        assert_eq!(
            TrackingId::find_in("Re: [LG-4F7KQ2MZ8T] balasan", "LG"),
            Some(id)
        );
        assert_eq!(TrackingId::find_in("tidak ada nomor", "LG"), None);
    }

    #[test]
    fn secret_debug_is_redacted() {
        let mut rng = StdRng::seed_from_u64(1);
        let s = SecretToken::generate(&mut rng);
        assert!(!format!("{s:?}").contains(s.expose()));
        assert_eq!(s.hash().len(), 64);
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in ".{0,40}") {
            let _ = TrackingId::parse(&s);
            let _ = TrackingId::find_in(&s, "LG");
        }

        #[test]
        fn parse_is_idempotent(s in "[A-Za-z]{2}-?[0-9A-Za-z]{10}") {
            if let Ok(id) = TrackingId::parse(&s) {
                prop_assert_eq!(TrackingId::parse(id.as_str()).unwrap(), id);
            }
        }
    }
}
