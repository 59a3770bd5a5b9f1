//! Accounts: passwords, logins, sessions, API tokens and the administration of users.
//!
//! Password hashing (argon2id, about 19 MiB and tens of milliseconds each) never runs on the
//! async threads: it goes to the blocking pool, at most as many at once as there are cores, so a
//! burst of logins queues there while the server keeps answering everything else.
//!
//! What keeps an administrator from becoming someone else: API tokens exist only for integration
//! accounts (which never log in with a password), and a password an administrator sets must be
//! replaced by its owner before they can do anything else. Changing a password, role or agency,
//! or deactivating an account, ends its sessions and revokes its tokens.

use crate::text::{self, Checker};
use crate::{Caller, FieldError, RefusalKind, Result, ServiceError, Services};
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use rand::RngCore;
use std::sync::OnceLock;
use tanggap_domain::Role;
use tanggap_domain::ids::sha256_hex;
use tanggap_domain::phone::normalize_phone;
use tanggap_domain::policy::Permission;
use tanggap_store::{NewUser, SessionRecord, StoreError, User, UserPatch};
use tokio::sync::Semaphore;

pub const MIN_PASSWORD_CHARS: usize = 10;
/// Wrong passwords in a row that lock an account ...
pub const LOCK_AFTER_FAILURES: u32 = 10;
/// ... for this many minutes.
pub const LOCK_MINUTES: i64 = 15;
/// Usernames have at most 40 characters; anything typed is cut to this before it is looked up
/// or counted.
pub const MAX_LOGIN_KEY_CHARS: usize = 64;

/// The username as a login looks it up, and as the per-user rate limit counts it: trimmed, in
/// lower case (usernames are stored so), at most [`MAX_LOGIN_KEY_CHARS`] characters. One
/// function for both, so `"Admin "` is the same account and the same quota as `"admin"`.
pub fn login_key(username: &str) -> String {
    username
        .trim()
        .chars()
        .take(MAX_LOGIN_KEY_CHARS)
        .flat_map(char::to_lowercase)
        .collect()
}

/// The answer to every failed password login, whatever the reason (unknown username, wrong
/// password, locked, inactive or integration account): it must not tell which.
pub fn wrong_credentials() -> ServiceError {
    ServiceError::Refused(
        crate::Refusal::new(RefusalKind::Unauthenticated, "wrong_credentials")
            .with("max_failures", LOCK_AFTER_FAILURES)
            .with("lock_minutes", LOCK_MINUTES),
    )
}

/// Run password hashing on the blocking pool, at most as many at once as there are cores.
async fn off_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    static HASHING: OnceLock<Semaphore> = OnceLock::new();
    let permits = HASHING.get_or_init(|| {
        Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get))
    });
    let _permit = permits
        .acquire()
        .await
        .map_err(|e| ServiceError::Internal(format!("password hashing stopped: {e}")))?;
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ServiceError::Internal(format!("password hashing failed: {e}")))
}

/// [`hash_password`] off the async threads.
pub async fn hash_password_off_thread(password: &str) -> Result<String> {
    let password = password.to_string();
    off_thread(move || hash_password(&password)).await?
}

/// [`verify_password`] off the async threads.
pub async fn verify_password_off_thread(hash: String, password: &str) -> Result<bool> {
    let password = password.to_string();
    off_thread(move || verify_password(&hash, &password)).await
}

/// [`verify_against_dummy`] off the async threads.
async fn verify_against_dummy_off_thread(password: &str) -> Result<()> {
    let password = password.to_string();
    off_thread(move || verify_against_dummy(&password)).await
}

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
    /// Required (at least 10 characters) unless the account is an integration account.
    pub password: String,
    /// An integration account: API tokens only, never a password login. Fixed at creation.
    pub integration: bool,
}

impl std::fmt::Debug for UserInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserInput")
            .field("username", &self.username)
            .field("role", &self.role)
            .field("integration", &self.integration)
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
    /// The user for these credentials, if they are right, the account is active, not an
    /// integration account and not locked. A login is audited; a wrong password is counted, and
    /// [`LOCK_AFTER_FAILURES`] in a row lock the account for [`LOCK_MINUTES`] (in the database,
    /// so the lock holds on every instance and across restarts). Every failure is the same
    /// [`wrong_credentials`] refusal, and takes as long as a real check.
    pub async fn login(&self, username: &str, password: &str) -> Result<User> {
        let key = login_key(username);
        // No username has a control character (names are checked as one-line text), and
        // PostgreSQL cannot take a NUL in a query: such a name is unknown without asking.
        let found = if key.chars().any(char::is_control) {
            None
        } else {
            self.store.user_credentials(&key).await?
        };
        let Some((user, hash)) = found else {
            verify_against_dummy_off_thread(password).await?;
            return Err(wrong_credentials());
        };
        let right = verify_password_off_thread(hash, password).await?;
        let now = self.now();
        if !user.active || user.integration || user.locked_until.is_some_and(|t| t > now) {
            return Err(wrong_credentials());
        }
        if right {
            self.store.record_login(user.id, now).await?;
            Ok(user)
        } else {
            let lock = now + chrono::TimeDelta::minutes(LOCK_MINUTES);
            if let Some(until) = self
                .store
                .record_login_failure(user.id, LOCK_AFTER_FAILURES, lock, now)
                .await?
            {
                tracing::warn!(user = user.id, %until, "account locked after repeated wrong passwords");
            }
            Err(wrong_credentials())
        }
    }

    /// The active integration account owning this API token. Tokens of other accounts (made
    /// before tokens were limited to integration accounts) are refused like unknown ones.
    pub async fn authenticate_token(&self, token: &str) -> Result<User> {
        self.store
            .user_by_token_hash(&token_hash(token))
            .await?
            .filter(|u| u.integration)
            .ok_or_else(|| ServiceError::refused(RefusalKind::Unauthenticated, "bad_token"))
    }

    /// The account behind a session made under `epoch`, if it is still active and its
    /// credentials have not been ended since.
    pub async fn session_user(&self, user_id: i64, epoch: i64) -> Result<Option<User>> {
        Ok(self
            .store
            .user(user_id)
            .await?
            .filter(|u| u.active && !u.integration && u.session_epoch == epoch))
    }

    /// Delete the sessions that have expired (the background jobs call it every round).
    pub async fn purge_expired_sessions(&self) -> Result<u64> {
        Ok(self.store.purge_expired_sessions(self.now()).await?)
    }

    /// The logged-in user chooses a new password: the current one proves it is them. Their other
    /// sessions end and their tokens are revoked; the adapter gives the current session a new id
    /// and the returned user's epoch. Clears [`User::must_change_password`].
    pub async fn change_password(
        &self,
        caller: &Caller,
        current_password: &str,
        new_password: &str,
    ) -> Result<User> {
        let me = caller.user().ok_or_else(ServiceError::unauthenticated)?;
        if me.integration {
            return Err(ServiceError::refused(
                RefusalKind::Forbidden,
                "integration_account",
            ));
        }
        let (_, hash) = self
            .store
            .user_credentials(&me.username)
            .await?
            .ok_or_else(|| ServiceError::not_found("user", me.id))?;
        let mut c = Checker::default();
        if new_password.chars().count() < MIN_PASSWORD_CHARS {
            c.push(FieldError::new("new_password", "too_short").with("min", MIN_PASSWORD_CHARS));
        } else if new_password == current_password {
            c.push(FieldError::new("new_password", "unchanged"));
        }
        if !verify_password_off_thread(hash, current_password).await? {
            c.push(FieldError::new("current_password", "wrong"));
        }
        c.finish()?;
        let password_hash = hash_password_off_thread(new_password).await?;
        let patch = UserPatch {
            password_hash: Some(password_hash),
            must_change_password: Some(false),
            end_credentials: true,
            ..Default::default()
        };
        Ok(self
            .store
            .update_user(me.id, &patch, &caller.audit_label(), self.now())
            .await?)
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
        // An integration account never logs in with a password: it gets a random one nobody
        // knows unless one is given.
        let password = if input.integration && input.password.is_empty() {
            let mut bytes = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut bytes);
            hex::encode(bytes)
        } else {
            check_password(&mut c, &input.password);
            input.password.clone()
        };
        let role = parse_role(&mut c, &input.role);
        let agency_id = c.take(text::line_opt("agency_id", input.agency_id.as_deref()));
        let email = check_email(&mut c, "email", input.email.as_deref());
        let phone = check_phone(&mut c, "phone", input.phone.as_deref());
        if let Some(role) = role {
            self.check_agency_of_role(&mut c, role, agency_id.as_deref())
                .await?;
        }
        c.finish()?;
        let password_hash = hash_password_off_thread(&password).await?;
        let user = NewUser {
            username: username.clone(),
            display_name,
            role: role.unwrap_or(Role::Operator),
            agency_id,
            email,
            phone,
            password_hash,
            created_at: self.now(),
            integration: input.integration,
            // A person's password chosen by an administrator is known to the administrator:
            // its owner replaces it at first login. (`tanggap user add` on the server is how
            // the first administrator is made, and is exempt.)
            must_change_password: !input.integration && matches!(caller, Caller::Staff(_)),
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
        if let Some(p) = &change.password {
            check_password(&mut c, p);
        }
        c.finish()?;
        let password_hash = match &change.password {
            Some(p) => Some(hash_password_off_thread(p).await?),
            None => None,
        };
        if caller.user().is_some_and(|me| me.id == id)
            && (change.active == Some(false) || new_role != Role::Admin)
        {
            return Err(ServiceError::refused(RefusalKind::Conflict, "self_lockout"));
        }
        // A password set by someone other than its owner must be replaced at next login.
        let set_by_other = caller.user().is_none_or(|me| me.id != id);
        let must_change_password = password_hash
            .as_ref()
            .map(|_| set_by_other && !current.integration && matches!(caller, Caller::Staff(_)));
        // What the account could do, or who proved to be its owner, changed: whatever was
        // issued before (sessions, tokens) ends.
        let end_credentials = password_hash.is_some()
            || new_role != current.role
            || new_agency != current.agency_id
            || (current.active && change.active == Some(false));
        let patch = UserPatch {
            display_name,
            role,
            agency_id,
            email,
            phone,
            active: change.active,
            password_hash,
            must_change_password,
            end_credentials,
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
        let user = self
            .store
            .user(user_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("user", user_id))?;
        // A token for a person's account would let an administrator act (and read NIK and
        // anonymous reporters) as that person.
        if !user.integration {
            return Err(ServiceError::Refused(
                crate::Refusal::new(RefusalKind::Conflict, "not_an_integration_account")
                    .with("user", user_id),
            ));
        }
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

impl Caller {
    /// A logged-in user whose password was set by an administrator: until they choose a new one
    /// (`change_password`), they may do nothing else. Each adapter refuses them at its
    /// authentication with [`password_change_required`].
    pub fn password_change_pending(&self) -> bool {
        self.user().is_some_and(|u| u.must_change_password)
    }
}

/// 403 for a user who must choose a new password first.
pub fn password_change_required() -> ServiceError {
    ServiceError::refused(RefusalKind::Forbidden, "password_change_required")
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
    fn the_login_key_is_the_stored_username() {
        assert_eq!(login_key("  Admin \t"), "admin");
        assert_eq!(login_key("admin "), login_key("admin"));
        assert_eq!(login_key(&"x".repeat(10_000)).len(), MAX_LOGIN_KEY_CHARS);
    }

    /// Hashing runs on the blocking pool: a single-threaded runtime keeps running its other tasks
    /// while passwords are checked.
    #[tokio::test(flavor = "current_thread")]
    async fn password_checks_leave_the_async_thread_free() {
        let hash = hash_password("rahasia-sekali-123").unwrap();
        let started = std::time::Instant::now();
        assert!(verify_password(&hash, "rahasia-sekali-123"));
        let one = started.elapsed();
        let ticks = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = ticks.clone();
        let ticker = tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        });
        tokio::task::yield_now().await;
        for _ in 0..3 {
            assert!(
                verify_password_off_thread(hash.clone(), "rahasia-sekali-123")
                    .await
                    .unwrap()
            );
        }
        ticker.abort();
        let ticks = ticks.load(std::sync::atomic::Ordering::Relaxed);
        // Inline, the ticker would get a turn only between the checks (3 ticks at most).
        let expected = (one.as_millis() / 4).max(6) as usize;
        assert!(
            ticks >= expected,
            "{ticks} ticks while three checks of {one:?} each ran"
        );
    }

    #[test]
    fn usernames() {
        assert!(username_is_valid("operator.satu"));
        assert!(!username_is_valid("Op"));
        assert!(!username_is_valid("a b"));
    }
}
