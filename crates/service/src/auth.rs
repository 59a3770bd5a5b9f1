//! Passwords, API tokens and user accounts.

use crate::{Result, ServiceError, Services};
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use rand::RngCore;
use std::sync::OnceLock;
use tanggap_domain::Role;
use tanggap_domain::ids::sha256_hex;
use tanggap_store::{NewUser, User};

pub const MIN_PASSWORD_CHARS: usize = 10;

/// argon2id with the crate's defaults (19 MiB, 2 passes: OWASP's recommendation).
pub fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Invalid(format!("cannot hash password: {e}")))
}

pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Spend the same time as a real check, so a missing username cannot be told apart by timing.
pub fn verify_against_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_password("tanggap-dummy-password").unwrap_or_default());
    let _ = verify_password(hash, password);
}

/// A new API token: the plaintext (shown once) and the hash that is stored.
pub fn new_api_token() -> (String, String) {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = format!("tgp_{}", hex::encode(bytes));
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// What an administrator (or `tanggap user add`) fills in.
#[derive(Clone)]
pub struct UserInput {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub agency_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password: String,
}

impl std::fmt::Debug for UserInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserInput")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

pub fn check_username(u: &str) -> Result<(), String> {
    let ok_len = (3..=40).contains(&u.len());
    let ok_chars = u
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok_len && ok_chars {
        Ok(())
    } else {
        Err("username: 3-40 characters of a-z, 0-9, '.', '_' or '-'".into())
    }
}

pub fn check_password(p: &str) -> Result<(), String> {
    if p.chars().count() < MIN_PASSWORD_CHARS {
        Err(format!(
            "password must have at least {MIN_PASSWORD_CHARS} characters"
        ))
    } else {
        Ok(())
    }
}

impl Services {
    pub async fn create_user(&self, input: UserInput, actor: &str) -> Result<User> {
        check_username(&input.username).map_err(ServiceError::Invalid)?;
        check_password(&input.password).map_err(ServiceError::Invalid)?;
        if input.display_name.trim().is_empty() {
            return Err(ServiceError::Invalid(
                "display name must not be empty".into(),
            ));
        }
        match (input.role.is_agency_role(), &input.agency_id) {
            (true, None) => {
                return Err(ServiceError::Invalid(format!(
                    "a {} user needs an agency",
                    input.role
                )));
            }
            (false, Some(_)) => {
                return Err(ServiceError::Invalid(format!(
                    "a {} user does not belong to an agency",
                    input.role
                )));
            }
            _ => {}
        }
        if let Some(a) = &input.agency_id
            && self.store.agency(a).await?.is_none()
        {
            return Err(ServiceError::Invalid(format!(
                "agency `{a}` does not exist (run `tanggap seed` first?)"
            )));
        }
        let password_hash = hash_password(&input.password)?;
        let user = NewUser {
            username: input.username,
            display_name: input.display_name.trim().to_string(),
            role: input.role,
            agency_id: input.agency_id,
            email: input.email,
            phone: input.phone,
            password_hash,
            created_at: self.now(),
        };
        Ok(self.store.create_user(&user, actor).await?)
    }

    /// The user for these credentials, if they are right and the account is active.
    pub async fn login(&self, username: &str, password: &str) -> Result<Option<User>> {
        match self.store.user_credentials(username).await? {
            Some((user, hash)) if user.active && verify_password(&hash, password) => Ok(Some(user)),
            Some(_) => Ok(None),
            None => {
                verify_against_dummy(password);
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip() {
        let h = hash_password("rahasia-sekali-123").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "rahasia-sekali-123"));
        assert!(!verify_password(&h, "salah"));
        assert!(!verify_password("not a hash", "x"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, ha) = new_api_token();
        let (b, _) = new_api_token();
        assert_ne!(a, b);
        assert!(a.starts_with("tgp_"));
        assert_eq!(token_hash(&a), ha);
    }

    #[test]
    fn usernames() {
        assert!(check_username("operator.satu").is_ok());
        assert!(check_username("Op").is_err());
        assert!(check_username("a b").is_err());
    }
}
