//! Chat channels: inbound messages recorded before the provider is answered, the conversations'
//! open questions, and when each chat address last wrote.

use crate::util::{code, db_err};
use chrono::TimeDelta;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use tanggap_domain::Channel;
use tanggap_store::{
    ChatPending, InboundEnd, InboundRecord, NewNotification, Result, StoreError, Timestamp,
};

pub(crate) async fn record_inbound(
    pool: &PgPool,
    channel: Channel,
    provider_id: &str,
    address: &str,
    payload: &str,
    at: Timestamp,
) -> Result<Option<i64>> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO inbound_messages (channel, provider_id, address, payload, received_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel, provider_id) DO NOTHING RETURNING id",
    )
    .bind(channel.as_str())
    .bind(provider_id)
    .bind(address)
    .bind(payload)
    .bind(at)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?;
    if id.is_some() {
        sqlx::query(
            "INSERT INTO chat_windows (channel, address, last_inbound_at) VALUES ($1, $2, $3)
             ON CONFLICT (channel, address) DO UPDATE
             SET last_inbound_at = GREATEST(chat_windows.last_inbound_at, excluded.last_inbound_at)",
        )
        .bind(channel.as_str())
        .bind(address)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(id)
}

fn record(row: &PgRow) -> Result<InboundRecord> {
    let attempts: i32 = row.try_get("attempts").map_err(db_err)?;
    Ok(InboundRecord {
        id: row.try_get("id").map_err(db_err)?,
        channel: code(row, "channel", Channel::parse)?,
        provider_id: row.try_get("provider_id").map_err(db_err)?,
        address: row
            .try_get::<Option<String>, _>("address")
            .map_err(db_err)?
            .unwrap_or_default(),
        payload: row
            .try_get::<Option<String>, _>("payload")
            .map_err(db_err)?
            .unwrap_or_default(),
        attempts: attempts.try_into().unwrap_or(0),
        received_at: row.try_get("received_at").map_err(db_err)?,
    })
}

pub(crate) async fn claim_inbound(
    pool: &PgPool,
    now: Timestamp,
    limit: u32,
    lease: TimeDelta,
) -> Result<Vec<InboundRecord>> {
    let mut out = sqlx::query(
        "WITH due AS (
            SELECT m.id FROM inbound_messages m
             WHERE m.status IN ('received', 'handling')
               AND (m.lease_until IS NULL OR m.lease_until <= $1)
               AND NOT EXISTS (SELECT 1 FROM inbound_messages o
                                WHERE o.channel = m.channel AND o.address = m.address
                                  AND o.status IN ('received', 'handling') AND o.id < m.id)
             ORDER BY m.id
             LIMIT $2
             FOR UPDATE SKIP LOCKED
         )
         UPDATE inbound_messages n SET status = 'handling', attempts = n.attempts + 1, lease_until = $3
           FROM due WHERE n.id = due.id
         RETURNING n.*",
    )
    .bind(now)
    .bind(i64::from(limit))
    .bind(now + lease)
    .fetch_all(pool)
    .await
    .map_err(db_err)?
    .iter()
    .map(record)
    .collect::<Result<Vec<_>>>()?;
    out.sort_by_key(|m| m.id);
    Ok(out)
}

pub(crate) async fn end_inbound(
    pool: &PgPool,
    id: i64,
    end: &InboundEnd,
    replies: &[NewNotification],
    at: Timestamp,
) -> Result<()> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    let q = match end {
        InboundEnd::Done { report_id } => sqlx::query(
            "UPDATE inbound_messages SET status = 'done', address = NULL, payload = NULL,
               lease_until = NULL, handled_at = $1, report_id = $2, last_error = NULL WHERE id = $3",
        )
        .bind(at)
        .bind(*report_id),
        InboundEnd::Retry { error, at: retry } => sqlx::query(
            "UPDATE inbound_messages SET status = 'received', lease_until = $1, last_error = $2
              WHERE id = $3 AND status = 'handling'",
        )
        .bind(*retry)
        .bind(error.clone()),
        InboundEnd::Failed { error } => sqlx::query(
            "UPDATE inbound_messages SET status = 'failed', address = NULL, payload = NULL,
               lease_until = NULL, handled_at = $1, last_error = $2 WHERE id = $3",
        )
        .bind(at)
        .bind(error.clone()),
    };
    let n = q
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound(format!("inbound message {id}")));
    }
    if !matches!(end, InboundEnd::Retry { .. }) {
        for r in replies {
            crate::scheduler::insert_notification(&mut tx, r, at).await?;
        }
    }
    tx.commit().await.map_err(db_err)?;
    Ok(())
}

pub(crate) async fn chat_pending(
    pool: &PgPool,
    channel: Channel,
    address: &str,
) -> Result<Option<ChatPending>> {
    let row = sqlx::query("SELECT * FROM chat_pending WHERE channel = $1 AND address = $2")
        .bind(channel.as_str())
        .bind(address)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    row.map(|row| {
        let choices: String = row.try_get("choices").map_err(db_err)?;
        Ok(ChatPending {
            channel,
            address: address.to_string(),
            inbound_id: row.try_get("inbound_id").map_err(db_err)?,
            payload: row.try_get("payload").map_err(db_err)?,
            choices: serde_json::from_str(&choices)
                .map_err(|e| StoreError::Backend(format!("chat_pending.choices: {e}")))?,
            asked_at: row.try_get("asked_at").map_err(db_err)?,
        })
    })
    .transpose()
}

pub(crate) async fn set_chat_pending(pool: &PgPool, p: &ChatPending) -> Result<()> {
    sqlx::query(
        "INSERT INTO chat_pending (channel, address, inbound_id, payload, choices, asked_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (channel, address) DO UPDATE SET inbound_id = excluded.inbound_id,
           payload = excluded.payload, choices = excluded.choices, asked_at = excluded.asked_at",
    )
    .bind(p.channel.as_str())
    .bind(&p.address)
    .bind(p.inbound_id)
    .bind(&p.payload)
    .bind(serde_json::to_string(&p.choices).unwrap_or_else(|_| "[]".into()))
    .bind(p.asked_at)
    .execute(pool)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn clear_chat_pending(
    pool: &PgPool,
    channel: Channel,
    address: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM chat_pending WHERE channel = $1 AND address = $2")
        .bind(channel.as_str())
        .bind(address)
        .execute(pool)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn last_inbound_at(
    pool: &PgPool,
    channel: Channel,
    address: &str,
) -> Result<Option<Timestamp>> {
    sqlx::query_scalar(
        "SELECT last_inbound_at FROM chat_windows WHERE channel = $1 AND address = $2",
    )
    .bind(channel.as_str())
    .bind(address)
    .fetch_optional(pool)
    .await
    .map_err(db_err)
}

pub(crate) async fn report_by_inbound(pool: &PgPool, inbound_id: i64) -> Result<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM reports WHERE inbound_id = $1")
        .bind(inbound_id)
        .fetch_optional(pool)
        .await
        .map_err(db_err)
}

pub(crate) async fn reporter_by_address(
    pool: &PgPool,
    channel: Channel,
    address: &str,
) -> Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT reporter_id FROM reporter_addresses WHERE channel IN ($1, $2) AND address = $3
          ORDER BY reporter_id LIMIT 1",
    )
    .bind(channel.as_str())
    .bind(tanggap_store::identity_peer(channel).as_str())
    .bind(address)
    .fetch_optional(pool)
    .await
    .map_err(db_err)
}
