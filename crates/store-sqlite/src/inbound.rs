//! Chat channels: inbound messages recorded before the provider is answered, the conversations'
//! open questions, and when each chat address last wrote.

use crate::util::{code, db_err, get, ts, us};
use crate::writer::Writer;
use chrono::TimeDelta;
use sqlx::SqlitePool;
use sqlx::sqlite::SqliteRow;
use tanggap_domain::Channel;
use tanggap_store::{
    ChatPending, InboundEnd, InboundRecord, NewNotification, Result, StoreError, Timestamp,
};

pub(crate) async fn record_inbound(
    w: &Writer,
    channel: Channel,
    provider_id: String,
    address: String,
    payload: String,
    at: Timestamp,
) -> Result<Option<i64>> {
    w.run(move |conn| {
        Box::pin(async move {
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO inbound_messages (channel, provider_id, address, payload, received_at)
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, provider_id) DO NOTHING RETURNING id",
            )
            .bind(channel.as_str())
            .bind(&provider_id)
            .bind(&address)
            .bind(&payload)
            .bind(us(at))
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
            if id.is_some() {
                sqlx::query(
                    "INSERT INTO chat_windows (channel, address, last_inbound_at) VALUES (?, ?, ?)
                     ON CONFLICT (channel, address) DO UPDATE
                     SET last_inbound_at = MAX(last_inbound_at, excluded.last_inbound_at)",
                )
                .bind(channel.as_str())
                .bind(&address)
                .bind(us(at))
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            }
            Ok(id)
        })
    })
    .await
}

fn record(row: &SqliteRow) -> Result<InboundRecord> {
    Ok(InboundRecord {
        id: get(row, "id")?,
        channel: code(row, "channel", Channel::parse)?,
        provider_id: get(row, "provider_id")?,
        address: get::<Option<String>>(row, "address")?.unwrap_or_default(),
        payload: get::<Option<String>>(row, "payload")?.unwrap_or_default(),
        attempts: get::<i64>(row, "attempts")?.try_into().unwrap_or(u32::MAX),
        received_at: ts(get(row, "received_at")?),
    })
}

pub(crate) async fn claim_inbound(
    w: &Writer,
    now: Timestamp,
    limit: u32,
    lease: TimeDelta,
) -> Result<Vec<InboundRecord>> {
    w.run(move |conn| {
        Box::pin(async move {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT m.id FROM inbound_messages m
                  WHERE m.status IN ('received', 'handling')
                    AND (m.lease_until IS NULL OR m.lease_until <= ?)
                    AND NOT EXISTS (SELECT 1 FROM inbound_messages o
                                     WHERE o.channel = m.channel AND o.address = m.address
                                       AND o.status IN ('received', 'handling') AND o.id < m.id)
                  ORDER BY m.id LIMIT ?",
            )
            .bind(us(now))
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let row = sqlx::query(
                    "UPDATE inbound_messages SET status = 'handling', attempts = attempts + 1, lease_until = ?
                      WHERE id = ? RETURNING *",
                )
                .bind(us(now + lease))
                .bind(id)
                .fetch_one(&mut *conn)
                .await
                .map_err(db_err)?;
                out.push(record(&row)?);
            }
            Ok(out)
        })
    })
    .await
}

pub(crate) async fn end_inbound(
    w: &Writer,
    id: i64,
    end: InboundEnd,
    replies: Vec<NewNotification>,
    at: Timestamp,
) -> Result<()> {
    w.run(move |conn| {
        Box::pin(async move {
            let q = match &end {
                InboundEnd::Done { report_id } => sqlx::query(
                    "UPDATE inbound_messages SET status = 'done', address = NULL, payload = NULL,
                       lease_until = NULL, handled_at = ?, report_id = ?, last_error = NULL WHERE id = ?",
                )
                .bind(us(at))
                .bind(*report_id),
                InboundEnd::Retry { error, at: retry } => sqlx::query(
                    "UPDATE inbound_messages SET status = 'received', lease_until = ?, last_error = ?
                      WHERE id = ? AND status = 'handling'",
                )
                .bind(us(*retry))
                .bind(error.clone()),
                InboundEnd::Failed { error } => sqlx::query(
                    "UPDATE inbound_messages SET status = 'failed', address = NULL, payload = NULL,
                       lease_until = NULL, handled_at = ?, last_error = ? WHERE id = ?",
                )
                .bind(us(at))
                .bind(error.clone()),
            };
            let n = q.bind(id).execute(&mut *conn).await.map_err(db_err)?.rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound(format!("inbound message {id}")));
            }
            if !matches!(end, InboundEnd::Retry { .. }) {
                for r in &replies {
                    crate::scheduler::insert_notification(conn, r, at).await?;
                }
            }
            Ok(())
        })
    })
    .await
}

pub(crate) async fn chat_pending(
    pool: &SqlitePool,
    channel: Channel,
    address: &str,
) -> Result<Option<ChatPending>> {
    let row = sqlx::query("SELECT * FROM chat_pending WHERE channel = ? AND address = ?")
        .bind(channel.as_str())
        .bind(address)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    row.map(|row| {
        let choices: String = get(&row, "choices")?;
        Ok(ChatPending {
            channel,
            address: address.to_string(),
            inbound_id: get(&row, "inbound_id")?,
            payload: get(&row, "payload")?,
            choices: serde_json::from_str(&choices)
                .map_err(|e| StoreError::Backend(format!("chat_pending.choices: {e}")))?,
            asked_at: ts(get(&row, "asked_at")?),
        })
    })
    .transpose()
}

pub(crate) async fn set_chat_pending(w: &Writer, p: ChatPending) -> Result<()> {
    w.run(move |conn| {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO chat_pending (channel, address, inbound_id, payload, choices, asked_at)
                 VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT (channel, address) DO UPDATE SET inbound_id = excluded.inbound_id,
                   payload = excluded.payload, choices = excluded.choices, asked_at = excluded.asked_at",
            )
            .bind(p.channel.as_str())
            .bind(&p.address)
            .bind(p.inbound_id)
            .bind(&p.payload)
            .bind(serde_json::to_string(&p.choices).unwrap_or_else(|_| "[]".into()))
            .bind(us(p.asked_at))
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
            Ok(())
        })
    })
    .await
}

pub(crate) async fn clear_chat_pending(
    w: &Writer,
    channel: Channel,
    address: String,
) -> Result<()> {
    w.run(move |conn| {
        Box::pin(async move {
            sqlx::query("DELETE FROM chat_pending WHERE channel = ? AND address = ?")
                .bind(channel.as_str())
                .bind(&address)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            Ok(())
        })
    })
    .await
}

pub(crate) async fn last_inbound_at(
    pool: &SqlitePool,
    channel: Channel,
    address: &str,
) -> Result<Option<Timestamp>> {
    let v: Option<i64> = sqlx::query_scalar(
        "SELECT last_inbound_at FROM chat_windows WHERE channel = ? AND address = ?",
    )
    .bind(channel.as_str())
    .bind(address)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    Ok(v.map(ts))
}

pub(crate) async fn report_by_inbound(pool: &SqlitePool, inbound_id: i64) -> Result<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM reports WHERE inbound_id = ?")
        .bind(inbound_id)
        .fetch_optional(pool)
        .await
        .map_err(db_err)
}

pub(crate) async fn reporter_by_address(
    pool: &SqlitePool,
    channel: Channel,
    address: &str,
) -> Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT reporter_id FROM reporter_addresses WHERE channel IN (?, ?) AND address = ?
          ORDER BY reporter_id LIMIT 1",
    )
    .bind(channel.as_str())
    .bind(tanggap_store::identity_peer(channel).as_str())
    .bind(address)
    .fetch_optional(pool)
    .await
    .map_err(db_err)
}
