//! The outbox as operators see it: the dead letters (notifications given up after their
//! attempts, or refused for good by the provider) and sending them again.
//!
//! A dead letter is shown without its address and words: operators need to know that a
//! reporter's WhatsApp message about a report did not go out and why, not the reporter's number
//! (STYLE: reporters first). The report's tracking ID leads the desk to the reporter if needed.

use crate::{Caller, Result, Services};
use serde::Serialize;
use tanggap_domain::Timestamp;
use tanggap_domain::audit::NewAuditEvent;
use tanggap_domain::policy::Permission;

/// One dead letter, as the outbox page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadLetter {
    pub id: i64,
    /// `whatsapp`, `sms`, `email`, ...
    pub channel: String,
    /// `reporter`, `officers`, `head`, `desk`, `user`.
    pub recipient: String,
    /// What it was about: `reporter_update`, `chat_reply`, `remind_officers`, ...
    pub action: String,
    pub tracking_id: Option<String>,
    pub subject: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
}

/// At most this many dead letters are listed (newest first).
pub const DEAD_LETTER_PAGE: u32 = 200;

impl Services {
    /// The dead letters, newest first.
    pub async fn dead_letters(&self, caller: &Caller) -> Result<Vec<DeadLetter>> {
        caller.require(Permission::ManageOutbox)?;
        let dead = self.store.dead_notifications(DEAD_LETTER_PAGE).await?;
        let mut out = Vec::with_capacity(dead.len());
        for n in dead {
            let tracking_id = match n.report_id {
                Some(id) => self
                    .store
                    .report(id)
                    .await?
                    .map(|r| r.tracking_id.to_string()),
                None => None,
            };
            // A reporter's message's subject names only the report; staff subjects name the
            // report and the agency: neither carries personal data.
            out.push(DeadLetter {
                id: n.id,
                channel: n.channel.as_str().into(),
                recipient: n.recipient.as_str().into(),
                action: n.action,
                tracking_id,
                subject: n.subject,
                attempts: n.attempts,
                last_error: n.last_error,
                created_at: n.created_at,
            });
        }
        Ok(out)
    }

    /// Send one dead letter (`Some(id)`) or all of them (`None`) again, now; audited. Returns
    /// how many went back into the outbox (0: it was not a dead letter any more).
    pub async fn retry_dead_letters(&self, caller: &Caller, id: Option<i64>) -> Result<u64> {
        caller.require(Permission::ManageOutbox)?;
        let now = self.now();
        let count = self.store.retry_dead_notifications(id, now).await?;
        if count > 0 {
            self.store
                .append_audit(
                    NewAuditEvent::new(
                        caller.audit_label(),
                        "notification.retried",
                        "notification",
                        id.map_or_else(|| "all".to_string(), |i| i.to_string()),
                    )
                    .after(&serde_json::json!({ "count": count })),
                    now,
                )
                .await?;
        }
        Ok(count)
    }
}
