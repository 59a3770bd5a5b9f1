//! Accounts: passwords, logins, sessions, API tokens and the administration of users.

use crate::text::{self, Checker};
use crate::{Caller, FieldError, RefusalKind, Result, ServiceError, Services};
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use rand::RngCore;
use std::sync::OnceLock;
use tanggap_domain::Role;
use tanggap_domain::audit::NewAuditEvent;
use tanggap_domain::ids::sha256_hex;
use tanggap_domain::phone::normalize_phone;
use tanggap_domain::policy::Permission;
use tanggap_store::{NewUser, SessionRecord, StoreError, User, UserPatch};

pub const MIN_PASSWORD_CHARS: usize = 10;

/// argon2id with the crate's defaults (19 MiB, 2 passes: OWASP's recommendation).
pub fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(format!("cannot hash password: {e}")))
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
    /// A role code: `operator`, `petugas`, `kepala`, `pimpinan`, `auditor`, `admin`.
    pub role: String,
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

/// Changes to an account; `None` keeps a value, `Some(None)` clears it.
#[derive(Clone, Default)]
pub struct UserChange {
    pub display_name: Option<String>,
    pub role: Option<String>,
    pub agency_id: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub active: Option<bool>,
    pub password: Option<String>,
}

impl std::fmt::Debug for UserChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserChange")
            .field("role", &self.role)
            .field("active", &self.active)
            .field("password_changed", &self.password.is_some())
            .finish_non_exhaustive()
    }
}

pub fn username_is_valid(u: &str) -> bool {
    (3..=40).contains(&u.len())
        && u.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

fn check_password(c: &mut Checker, p: &str) {
    if p.chars().count() < MIN_PASSWORD_CHARS {
        c.push(FieldError::new("password", "too_short").with("min", MIN_PASSWORD_CHARS));
    }
}

fn check_email(c: &mut Checker, field: &str, e: Option<&str>) -> Option<String> {
    let e = c.take(text::line_opt(field, e)).map(|e| e.to_lowercase());
    if e.as_ref()
        .is_some_and(|e| !e.contains('@') || e.contains(char::is_whitespace) || e.len() > 254)
    {
        c.push(FieldError::new(field, "invalid"));
    }
    e
}

fn check_phone(c: &mut Checker, field: &str, p: Option<&str>) -> Option<String> {
    match p.map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => match normalize_phone(p) {
            Ok(p) => Some(p),
            Err(_) => {
                c.push(FieldError::new(field, "invalid"));
                None
            }
        },
    }
}

fn parse_role(c: &mut Checker, role: &str) -> Option<Role> {
    let r = Role::parse(role.trim());
    if r.is_none() {
        c.push(FieldError::new("role", "invalid"));
    }
    r
}

impl Services {
    /// The user for these credentials, if they are right and the account is active. A login is
    /// audited.
    pub async fn login(&self, username: &str, password: &str) -> Result<Option<User>> {
        match self.store.user_credentials(username.trim()).await? {
            Some((user, hash)) if user.active && verify_password(&hash, password) => {
                self.store
                    .append_audit(
                        NewAuditEvent::new(
                            format!("user:{}", user.id),
                            "user.login",
                            "user",
                            user.id,
                        ),
                        self.now(),
                    )
                    .await?;
                Ok(Some(user))
            }
            Some(_) => Ok(None),
            None => {
                verify_against_dummy(password);
                Ok(None)
            }
        }
    }

    /// The active user owning this API token.
    pub async fn authenticate_token(&self, token: &str) -> Result<User> {
        self.store
            .user_by_token_hash(&token_hash(token))
            .await?
            .ok_or_else(|| ServiceError::refused(RefusalKind::Unauthenticated, "bad_token"))
    }

    /// The account behind a session, if it is still active.
    pub async fn session_user(&self, user_id: i64) -> Result<Option<User>> {
        Ok(self.store.user(user_id).await?.filter(|u| u.active))
    }

    /// A stored session that has not expired.
    pub async fn load_session(&self, id_hash: &str) -> Result<Option<SessionRecord>> {
        Ok(self.store.session_load(id_hash, self.now()).await?)
    }

    pub async fn save_session(&self, session: &SessionRecord) -> Result<()> {
        Ok(self.store.session_save(session).await?)
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        Ok(self.store.session_delete(id_hash).await?)
    }

    /// All accounts (admin, desk, auditor).
    pub async fn users(&self, caller: &Caller) -> Result<Vec<User>> {
        caller.require(Permission::ViewUsers)?;
        Ok(self.store.users().await?)
    }

    /// One account, for whoever may list them.
    pub async fn user(&self, caller: &Caller, id: i64) -> Result<User> {
        caller.require(Permission::ViewUsers)?;
        self.store
            .user(id)
            .await?
            .ok_or_else(|| ServiceError::not_found("user", id))
    }

    /// Create an account (admin; `tanggap user add` as the system).
    pub async fn create_user(&self, caller: &Caller, input: UserInput) -> Result<User> {
        caller.require(Permission::ManageUsers)?;
        let mut c = Checker::default();
        let username = c
            .take(text::line("username", &input.username))
            .to_lowercase();
        if !c.has("username") && !username_is_valid(&username) {
            c.push(FieldError::new("username", "invalid"));
        }
        let display_name = c.take(text::line("display_name", &input.display_name));
        if !c.has("display_name") && display_name.is_empty() {
            c.push(FieldError::new("display_name", "required"));
        }
        check_password(&mut c, &input.password);
        let role = parse_role(&mut c, &input.role);
        let agency_id = c.take(text::line_opt("agency_id", input.agency_id.as_deref()));
        let email = check_email(&mut c, "email", input.email.as_deref());
        let phone = check_phone(&mut c, "phone", input.phone.as_deref());
        if let Some(role) = role {
            self.check_agency_of_role(&mut c, role, agency_id.as_deref())
                .await?;
        }
        c.finish()?;
        let password_hash = hash_password(&input.password)?;
        let user = NewUser {
            username: username.clone(),
            display_name,
            role: role.unwrap_or(Role::Operator),
            agency_id,
            email,
            phone,
            password_hash,
            created_at: self.now(),
        };
        match self.store.create_user(&user, &caller.audit_label()).await {
            Err(StoreError::Conflict(_)) => Err(ServiceError::fields(vec![
                FieldError::new("username", "taken").with("username", username),
            ])),
            other => Ok(other?),
        }
    }

    /// Agency roles need an existing agency; other roles have none.
    async fn check_agency_of_role(
        &self,
        c: &mut Checker,
        role: Role,
        agency: Option<&str>,
    ) -> Result<()> {
        match (role.is_agency_role(), agency) {
            (true, None) => c.push(FieldError::new("agency_id", "required")),
            (false, Some(_)) => c.push(FieldError::new("agency_id", "not_allowed")),
            (true, Some(a)) => {
                if self.store.agency(a).await?.is_none() {
                    c.push(FieldError::new("agency_id", "unknown").with("agency", a));
                }
            }
            (false, None) => {}
        }
        Ok(())
    }

    /// Change an account (admin). An admin cannot lock themselves out.
    pub async fn update_user(&self, caller: &Caller, id: i64, change: UserChange) -> Result<User> {
        caller.require(Permission::ManageUsers)?;
        let current = self
            .store
            .user(id)
            .await?
            .ok_or_else(|| ServiceError::not_found("user", id))?;
        let mut c = Checker::default();
        let role = change.role.as_deref().and_then(|r| parse_role(&mut c, r));
        let display_name = c.take(text::line_opt(
            "display_name",
            change.display_name.as_deref(),
        ));
        let agency_id = change
            .agency_id
            .as_ref()
            .map(|a| c.take(text::line_opt("agency_id", a.as_deref())));
        let email = change
            .email
            .as_ref()
            .map(|e| check_email(&mut c, "email", e.as_deref()));
        let phone = change
            .phone
            .as_ref()
            .map(|p| check_phone(&mut c, "phone", p.as_deref()));
        let new_role = role.unwrap_or(current.role);
        let new_agency = agency_id.clone().unwrap_or(current.agency_id.clone());
        if !c.has("role") {
            self.check_agency_of_role(&mut c, new_role, new_agency.as_deref())
                .await?;
        }
        let password_hash = match &change.password {
            Some(p) => {
                check_password(&mut c, p);
                c.errors.is_empty().then(|| hash_password(p)).transpose()?
            }
            None => None,
        };
        c.finish()?;
        if caller.user().is_some_and(|me| me.id == id)
            && (change.active == Some(false) || new_role != Role::Admin)
        {
            return Err(ServiceError::refused(RefusalKind::Conflict, "self_lockout"));
        }
        let patch = UserPatch {
            display_name,
            role,
            agency_id,
            email,
            phone,
            active: change.active,
            password_hash,
        };
        Ok(self
            .store
            .update_user(id, &patch, &caller.audit_label(), self.now())
            .await?)
    }

    /// Issue an API token for a user (admin). Returns its id and the token, shown once.
    pub async fn create_api_token(
        &self,
        caller: &Caller,
        user_id: i64,
        name: &str,
    ) -> Result<(i64, String)> {
        caller.require(Permission::ManageUsers)?;
        self.store
            .user(user_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("user", user_id))?;
        let mut c = Checker::default();
        let name = c.take(text::line("name", name));
        if !c.has("name") && name.is_empty() {
            c.push(FieldError::new("name", "required"));
        } else if name.chars().count() > 100 {
            c.push(FieldError::new("name", "too_long").with("max", 100));
        }
        c.finish()?;
        let (token, hash) = new_api_token();
        let id = self
            .store
            .create_api_token(user_id, &name, &hash, &caller.audit_label(), self.now())
            .await?;
        Ok((id, token))
    }

    /// Revoke an API token (admin).
    pub async fn revoke_api_token(&self, caller: &Caller, token_id: i64) -> Result<()> {
        caller.require(Permission::ManageUsers)?;
        if self
            .store
            .revoke_api_token(token_id, &caller.audit_label(), self.now())
            .await?
        {
            Ok(())
        } else {
            Err(ServiceError::not_found("token", token_id))
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
        assert!(username_is_valid("operator.satu"));
        assert!(!username_is_valid("Op"));
        assert!(!username_is_valid("a b"));
    }
}
