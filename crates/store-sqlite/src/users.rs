//! Users, API tokens and sessions.

use crate::audit;
use crate::util::{code, db_err, get, ts, ts_opt, us};
use crate::writer::Writer;
use serde_json::json;
use sqlx::sqlite::SqliteRow;
use sqlx::{SqliteConnection, SqlitePool};
use tanggap_domain::Role;
use tanggap_domain::audit::NewAuditEvent;
use tanggap_store::{NewUser, Result, SessionRecord, StoreError, Timestamp, User, UserPatch};

fn user_from_row(row: &SqliteRow) -> Result<User> {
    Ok(User {
        id: get(row, "id")?,
        username: get(row, "username")?,
        display_name: get(row, "display_name")?,
        role: code(row, "role", Role::parse)?,
        agency_id: get(row, "agency_id")?,
        email: get(row, "email")?,
        phone: get(row, "phone")?,
        active: get(row, "active")?,
        created_at: ts(get(row, "created_at")?),
        integration: get(row, "integration")?,
        must_change_password: get(row, "must_change_password")?,
        locked_until: ts_opt(get(row, "locked_until")?),
        session_epoch: get(row, "session_epoch")?,
    })
}

async fn load(conn: &mut SqliteConnection, id: i64) -> Result<Option<User>> {
    sqlx::query("SELECT * FROM users WHERE id = ?")
        .bind(id)
        .fetch_optional(conn)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(user_from_row)
        .transpose()
}

pub(crate) async fn create_user(w: &Writer, u: NewUser, actor: String) -> Result<User> {
    w.run(move |conn| {
        Box::pin(async move {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (username, display_name, role, agency_id, email, phone, password_hash, active, created_at, integration, must_change_password)
                 VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?) RETURNING id",
            )
            .bind(&u.username)
            .bind(&u.display_name)
            .bind(u.role.as_str())
            .bind(&u.agency_id)
            .bind(&u.email)
            .bind(&u.phone)
            .bind(&u.password_hash)
            .bind(us(u.created_at))
            .bind(u.integration)
            .bind(u.must_change_password)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| match db_err(e) {
                StoreError::Conflict(_) => StoreError::Conflict(format!("username `{}` is taken", u.username)),
                StoreError::Invalid(_) => StoreError::Invalid(format!("agency `{}` does not exist", u.agency_id.clone().unwrap_or_default())),
                other => other,
            })?;
            let user = load(conn, id).await?.ok_or_else(|| StoreError::Backend("user vanished".into()))?;
            audit::append(conn, NewAuditEvent::new(actor, "user.created", "user", id).after(&tanggap_store::redact::user(&user)), u.created_at).await?;
            Ok(user)
        })
    })
    .await
}

pub(crate) async fn user(pool: &SqlitePool, id: i64) -> Result<Option<User>> {
    let mut conn = pool.acquire().await.map_err(db_err)?;
    load(&mut conn, id).await
}

pub(crate) async fn user_credentials(
    pool: &SqlitePool,
    username: &str,
) -> Result<Option<(User, String)>> {
    let row = sqlx::query("SELECT * FROM users WHERE username = ?")
        .bind(username)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    match row {
        None => Ok(None),
        Some(row) => Ok(Some((user_from_row(&row)?, get(&row, "password_hash")?))),
    }
}

pub(crate) async fn users(pool: &SqlitePool) -> Result<Vec<User>> {
    sqlx::query("SELECT * FROM users ORDER BY username")
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(user_from_row)
        .collect()
}

pub(crate) async fn update_user(
    w: &Writer,
    id: i64,
    p: UserPatch,
    actor: String,
    at: Timestamp,
) -> Result<User> {
    w.run(move |conn| {
        Box::pin(async move {
            let before = load(conn, id).await?.ok_or_else(|| StoreError::NotFound(format!("user {id}")))?;
            let agency = p.agency_id.clone().unwrap_or(before.agency_id.clone());
            let email = p.email.clone().unwrap_or(before.email.clone());
            let phone = p.phone.clone().unwrap_or(before.phone.clone());
            sqlx::query(
                "UPDATE users SET display_name = ?, role = ?, agency_id = ?, email = ?, phone = ?, active = ?,
                   password_hash = COALESCE(?, password_hash), must_change_password = ?,
                   session_epoch = session_epoch + ? WHERE id = ?",
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
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
            let ended = if p.end_credentials { Some(end_credentials(conn, id, at).await?) } else { None };
            let after = load(conn, id).await?.ok_or_else(|| StoreError::NotFound(format!("user {id}")))?;
            let (before_json, after_json) = tanggap_store::redact::user_change(&before, &after, p.password_hash.is_some());
            audit::append(conn, NewAuditEvent::new(actor.clone(), "user.updated", "user", id).before(&before_json).after(&after_json), at).await?;
            if let Some((sessions, tokens)) = ended {
                audit::append(conn, NewAuditEvent::new(actor, "user.credentials_ended", "user", id).after(&json!({ "sessions_ended": sessions, "tokens_revoked": tokens })), at).await?;
            }
            Ok(after)
        })
    })
    .await
}

/// Delete the user's sessions and revoke their tokens; returns how many of each.
async fn end_credentials(
    conn: &mut SqliteConnection,
    user_id: i64,
    at: Timestamp,
) -> Result<(u64, u64)> {
    let sessions = sqlx::query("DELETE FROM sessions WHERE user_id = ?")
        .bind(user_id)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?
        .rows_affected();
    let tokens = sqlx::query(
        "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
    )
    .bind(us(at))
    .bind(user_id)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?
    .rows_affected();
    Ok((sessions, tokens))
}

pub(crate) async fn record_login(w: &Writer, user_id: i64, at: Timestamp) -> Result<()> {
    w.run(move |conn| {
        Box::pin(async move {
            sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?")
                .bind(user_id)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            audit::append(
                conn,
                NewAuditEvent::new(format!("user:{user_id}"), "user.login", "user", user_id),
                at,
            )
            .await?;
            Ok(())
        })
    })
    .await
}

pub(crate) async fn record_login_failure(
    w: &Writer,
    user_id: i64,
    max_failures: u32,
    lock_until: Timestamp,
    at: Timestamp,
) -> Result<Option<Timestamp>> {
    w.run(move |conn| {
        Box::pin(async move {
            let failures: Option<i64> = sqlx::query_scalar("UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ? RETURNING failed_logins")
                .bind(user_id)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?;
            let Some(failures) = failures else {
                return Err(StoreError::NotFound(format!("user {user_id}")));
            };
            if failures < i64::from(max_failures) {
                return Ok(None);
            }
            sqlx::query("UPDATE users SET failed_logins = 0, locked_until = ? WHERE id = ?")
                .bind(us(lock_until))
                .bind(user_id)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            audit::append(conn, NewAuditEvent::new("system", "user.locked", "user", user_id).after(&json!({ "failed_logins": failures, "locked_until": lock_until })), at).await?;
            Ok(Some(lock_until))
        })
    })
    .await
}

pub(crate) async fn purge_expired_sessions(w: &Writer, now: Timestamp) -> Result<u64> {
    w.run(move |conn| {
        Box::pin(async move {
            Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
                .bind(us(now))
                .execute(&mut *conn)
                .await
                .map_err(db_err)?
                .rows_affected())
        })
    })
    .await
}

pub(crate) async fn create_api_token(
    w: &Writer,
    user_id: i64,
    name: String,
    token_hash: String,
    actor: String,
    at: Timestamp,
) -> Result<i64> {
    w.run(move |conn| {
        Box::pin(async move {
            let id: i64 = sqlx::query_scalar("INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id")
                .bind(user_id)
                .bind(&name)
                .bind(&token_hash)
                .bind(us(at))
                .fetch_one(&mut *conn)
                .await
                .map_err(db_err)?;
            audit::append(conn, NewAuditEvent::new(actor, "api_token.created", "user", user_id).after(&json!({ "token_id": id, "name": name })), at).await?;
            Ok(id)
        })
    })
    .await
}

pub(crate) async fn user_by_token_hash(
    pool: &SqlitePool,
    token_hash: &str,
) -> Result<Option<User>> {
    sqlx::query("SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.active = 1")
        .bind(token_hash)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(user_from_row)
        .transpose()
}

pub(crate) async fn revoke_api_token(
    w: &Writer,
    token_id: i64,
    actor: String,
    at: Timestamp,
) -> Result<bool> {
    w.run(move |conn| {
        Box::pin(async move {
            let user_id: Option<i64> = sqlx::query_scalar("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING user_id")
                .bind(us(at))
                .bind(token_id)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?;
            if let Some(user_id) = user_id {
                audit::append(conn, NewAuditEvent::new(actor, "api_token.revoked", "user", user_id).after(&json!({ "token_id": token_id })), at).await?;
            }
            Ok(user_id.is_some())
        })
    })
    .await
}

pub(crate) async fn session_load(
    pool: &SqlitePool,
    id_hash: &str,
    now: Timestamp,
) -> Result<Option<SessionRecord>> {
    let row = sqlx::query("SELECT * FROM sessions WHERE id_hash = ? AND expires_at > ?")
        .bind(id_hash)
        .bind(us(now))
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    row.map(|row| {
        Ok(SessionRecord {
            id_hash: get(&row, "id_hash")?,
            user_id: get(&row, "user_id")?,
            data: get(&row, "data")?,
            expires_at: ts(get(&row, "expires_at")?),
        })
    })
    .transpose()
}

pub(crate) async fn session_save(w: &Writer, s: SessionRecord) -> Result<()> {
    w.run(move |conn| {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO sessions (id_hash, user_id, data, expires_at) VALUES (?, ?, ?, ?)
                 ON CONFLICT (id_hash) DO UPDATE SET user_id = excluded.user_id, data = excluded.data, expires_at = excluded.expires_at",
            )
            .bind(&s.id_hash)
            .bind(s.user_id)
            .bind(&s.data)
            .bind(us(s.expires_at))
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
            Ok(())
        })
    })
    .await
}

pub(crate) async fn session_delete(w: &Writer, id_hash: String) -> Result<()> {
    w.run(move |conn| {
        Box::pin(async move {
            sqlx::query("DELETE FROM sessions WHERE id_hash = ?")
                .bind(&id_hash)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            Ok(())
        })
    })
    .await
}
