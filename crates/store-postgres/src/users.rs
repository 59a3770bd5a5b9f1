//! Users, API tokens and sessions.

use crate::audit;
use crate::util::{code, db_err, get};
use serde_json::json;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool};
use tanggap_domain::Role;
use tanggap_domain::audit::NewAuditEvent;
use tanggap_store::{NewUser, Result, SessionRecord, StoreError, Timestamp, User, UserPatch};

fn user_from_row(row: &PgRow) -> Result<User> {
    Ok(User {
        id: get(row, "id")?,
        username: get(row, "username")?,
        display_name: get(row, "display_name")?,
        role: code(row, "role", Role::parse)?,
        agency_id: get(row, "agency_id")?,
        email: get(row, "email")?,
        phone: get(row, "phone")?,
        active: get(row, "active")?,
        created_at: get(row, "created_at")?,
        integration: get(row, "integration")?,
        must_change_password: get(row, "must_change_password")?,
        locked_until: get(row, "locked_until")?,
        session_epoch: get(row, "session_epoch")?,
    })
}

async fn load(conn: &mut PgConnection, id: i64) -> Result<Option<User>> {
    sqlx::query("SELECT * FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(user_from_row)
        .transpose()
}

pub(crate) async fn create_user(pool: &PgPool, u: &NewUser, actor: &str) -> Result<User> {
    let mut tx = audit::begin(pool).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, role, agency_id, email, phone, password_hash, active, created_at, integration, must_change_password)
         VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, $8, $9, $10) RETURNING id",
    )
    .bind(&u.username)
    .bind(&u.display_name)
    .bind(u.role.as_str())
    .bind(&u.agency_id)
    .bind(&u.email)
    .bind(&u.phone)
    .bind(&u.password_hash)
    .bind(u.created_at)
    .bind(u.integration)
    .bind(u.must_change_password)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match db_err(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("username `{}` is taken", u.username)),
        StoreError::Invalid(_) => StoreError::Invalid(format!("agency `{}` does not exist", u.agency_id.clone().unwrap_or_default())),
        other => other,
    })?;
    let user = load(&mut tx, id)
        .await?
        .ok_or_else(|| StoreError::Backend("user vanished".into()))?;
    audit::append(
        &mut tx,
        NewAuditEvent::new(actor, "user.created", "user", id)
            .after(&tanggap_store::redact::user(&user)),
        u.created_at,
    )
    .await?;
    tx.commit().await.map_err(db_err)?;
    Ok(user)
}

pub(crate) async fn user(pool: &PgPool, id: i64) -> Result<Option<User>> {
    let mut conn = pool.acquire().await.map_err(db_err)?;
    load(&mut conn, id).await
}

pub(crate) async fn user_credentials(
    pool: &PgPool,
    username: &str,
) -> Result<Option<(User, String)>> {
    let row = sqlx::query("SELECT * FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    match row {
        None => Ok(None),
        Some(row) => Ok(Some((user_from_row(&row)?, get(&row, "password_hash")?))),
    }
}

pub(crate) async fn users(pool: &PgPool) -> Result<Vec<User>> {
    sqlx::query("SELECT * FROM users ORDER BY username")
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(user_from_row)
        .collect()
}

pub(crate) async fn update_user(
    pool: &PgPool,
    id: i64,
    p: &UserPatch,
    actor: &str,
    at: Timestamp,
) -> Result<User> {
    let mut tx = audit::begin(pool).await?;
    let before = load(&mut tx, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("user {id}")))?;
    let agency = p.agency_id.clone().unwrap_or(before.agency_id.clone());
    let email = p.email.clone().unwrap_or(before.email.clone());
    let phone = p.phone.clone().unwrap_or(before.phone.clone());
    sqlx::query(
        "UPDATE users SET display_name = $1, role = $2, agency_id = $3, email = $4, phone = $5, active = $6,
           password_hash = COALESCE($7, password_hash), must_change_password = $8,
           session_epoch = session_epoch + $9 WHERE id = $10",
    )
    .bind(p.display_name.as_ref().unwrap_or(&before.display_name))
    .bind(p.role.unwrap_or(before.role).as_str())
    .bind(&agency)
    .bind(&email)
    .bind(&phone)
    .bind(p.active.unwrap_or(before.active))
    .bind(&p.password_hash)
    .bind(p.must_change_password.unwrap_or(before.must_change_password))
    .bind(i64::from(p.end_credentials))
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    let ended = if p.end_credentials {
        Some(end_credentials(&mut tx, id, at).await?)
    } else {
        None
    };
    let after = load(&mut tx, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("user {id}")))?;
    let (before_json, after_json) =
        tanggap_store::redact::user_change(&before, &after, p.password_hash.is_some());
    audit::append(
        &mut tx,
        NewAuditEvent::new(actor, "user.updated", "user", id)
            .before(&before_json)
            .after(&after_json),
        at,
    )
    .await?;
    if let Some((sessions, tokens)) = ended {
        audit::append(
            &mut tx,
            NewAuditEvent::new(actor, "user.credentials_ended", "user", id)
                .after(&json!({ "sessions_ended": sessions, "tokens_revoked": tokens })),
            at,
        )
        .await?;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(after)
}

/// Delete the user's sessions and revoke their tokens; returns how many of each.
async fn end_credentials(
    conn: &mut PgConnection,
    user_id: i64,
    at: Timestamp,
) -> Result<(u64, u64)> {
    let sessions = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?
        .rows_affected();
    let tokens = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(at)
    .bind(user_id)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?
    .rows_affected();
    Ok((sessions, tokens))
}

pub(crate) async fn record_login(pool: &PgPool, user_id: i64, at: Timestamp) -> Result<()> {
    let mut tx = audit::begin(pool).await?;
    sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    audit::append(
        &mut tx,
        NewAuditEvent::new(format!("user:{user_id}"), "user.login", "user", user_id),
        at,
    )
    .await?;
    tx.commit().await.map_err(db_err)?;
    Ok(())
}

pub(crate) async fn record_login_failure(
    pool: &PgPool,
    user_id: i64,
    max_failures: u32,
    lock_until: Timestamp,
    at: Timestamp,
) -> Result<Option<Timestamp>> {
    let mut tx = audit::begin(pool).await?;
    let failures: Option<i32> = sqlx::query_scalar(
        "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins",
    )
    .bind(user_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?;
    let Some(failures) = failures else {
        return Err(StoreError::NotFound(format!("user {user_id}")));
    };
    if i64::from(failures) < i64::from(max_failures) {
        tx.commit().await.map_err(db_err)?;
        return Ok(None);
    }
    sqlx::query("UPDATE users SET failed_logins = 0, locked_until = $1 WHERE id = $2")
        .bind(lock_until)
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    audit::append(
        &mut tx,
        NewAuditEvent::new("system", "user.locked", "user", user_id)
            .after(&json!({ "failed_logins": failures, "locked_until": lock_until })),
        at,
    )
    .await?;
    tx.commit().await.map_err(db_err)?;
    Ok(Some(lock_until))
}

pub(crate) async fn purge_expired_sessions(pool: &PgPool, now: Timestamp) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(pool)
        .await
        .map_err(db_err)?
        .rows_affected())
}

pub(crate) async fn create_api_token(
    pool: &PgPool,
    user_id: i64,
    name: &str,
    token_hash: &str,
    actor: &str,
    at: Timestamp,
) -> Result<i64> {
    let mut tx = audit::begin(pool).await?;
    let id: i64 = sqlx::query_scalar("INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
    audit::append(
        &mut tx,
        NewAuditEvent::new(actor, "api_token.created", "user", user_id)
            .after(&json!({ "token_id": id, "name": name })),
        at,
    )
    .await?;
    tx.commit().await.map_err(db_err)?;
    Ok(id)
}

pub(crate) async fn user_by_token_hash(pool: &PgPool, token_hash: &str) -> Result<Option<User>> {
    sqlx::query("SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active")
        .bind(token_hash)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(user_from_row)
        .transpose()
}

pub(crate) async fn revoke_api_token(
    pool: &PgPool,
    token_id: i64,
    actor: &str,
    at: Timestamp,
) -> Result<bool> {
    let mut tx = audit::begin(pool).await?;
    let user_id: Option<i64> = sqlx::query_scalar("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING user_id")
        .bind(at)
        .bind(token_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
    if let Some(user_id) = user_id {
        audit::append(
            &mut tx,
            NewAuditEvent::new(actor, "api_token.revoked", "user", user_id)
                .after(&json!({ "token_id": token_id })),
            at,
        )
        .await?;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(user_id.is_some())
}

pub(crate) async fn session_load(
    pool: &PgPool,
    id_hash: &str,
    now: Timestamp,
) -> Result<Option<SessionRecord>> {
    let row = sqlx::query("SELECT * FROM sessions WHERE id_hash = $1 AND expires_at > $2")
        .bind(id_hash)
        .bind(now)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    row.map(|row| {
        Ok(SessionRecord {
            id_hash: get(&row, "id_hash")?,
            user_id: get(&row, "user_id")?,
            data: get(&row, "data")?,
            expires_at: get(&row, "expires_at")?,
        })
    })
    .transpose()
}

/// Sessions are not audited, so they need neither the chain head nor a transaction: each is one
/// statement.
pub(crate) async fn session_save(pool: &PgPool, s: &SessionRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, data, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id_hash) DO UPDATE SET user_id = EXCLUDED.user_id, data = EXCLUDED.data, expires_at = EXCLUDED.expires_at",
    )
    .bind(&s.id_hash)
    .bind(s.user_id)
    .bind(&s.data)
    .bind(s.expires_at)
    .execute(pool)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn session_delete(pool: &PgPool, id_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(pool)
        .await
        .map_err(db_err)?;
    Ok(())
}
