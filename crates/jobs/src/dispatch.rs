//! The outbox: claimed notifications go out through their channel's sender, with retries.

use crate::Result;
use crate::sender::{SendError, Senders};
use chrono::TimeDelta;
use futures_util::{StreamExt, stream};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tanggap_domain::Timestamp;
use tanggap_store::{Notification, SentNotification, Store};
use tokio::sync::mpsc::UnboundedSender;

#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// Notifications claimed per round trip.
    pub batch: u32,
    /// How long a claim keeps other instances off a notification. A sender that crashes after
    /// sending but before recording it leads to one resend after this (see `NotificationSender`).
    pub lease: TimeDelta,
    /// Attempts before a transiently failing notification is given up as `failed`.
    pub max_attempts: u32,
    /// The wait after the first failure; it doubles with each further one, up to `max_retry`.
    pub first_retry: TimeDelta,
    pub max_retry: TimeDelta,
    /// Rounds of claiming per dispatch.
    pub max_batches: u32,
    /// Notifications sent at once.
    pub concurrency: usize,
}

impl Default for DispatchSettings {
    fn default() -> Self {
        DispatchSettings {
            batch: 100,
            lease: TimeDelta::minutes(5),
            max_attempts: 8,
            first_retry: TimeDelta::minutes(1),
            max_retry: TimeDelta::hours(6),
            max_batches: 1000,
            concurrency: 16,
        }
    }
}

impl DispatchSettings {
    /// When to try again after failed attempt number `attempts` (1-based), without jitter.
    pub fn retry_after(&self, attempts: u32) -> TimeDelta {
        let factor = 1i32 << attempts.saturating_sub(1).min(20);
        (self.first_retry * factor).min(self.max_retry)
    }

    /// [`Self::retry_after`] moved by up to a fifth either way, so that the messages that failed
    /// together in a provider's outage do not all come back in the same second. The jitter is a
    /// hash of the notification's key and the attempt: spread across notifications, repeatable
    /// for one (tests can predict it).
    pub fn retry_after_jittered(&self, attempts: u32, key: &str) -> TimeDelta {
        let base = self.retry_after(attempts);
        let digest = Sha256::digest(format!("{key}#{attempts}").as_bytes());
        let unit = f64::from(u16::from_be_bytes([digest[0], digest[1]])) / f64::from(u16::MAX);
        let shift = base.num_milliseconds() as f64 * 0.2 * (2.0 * unit - 1.0);
        base + TimeDelta::milliseconds(shift as i64)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DispatchReport {
    pub sent: usize,
    /// Failed for now, to be tried again.
    pub retried: usize,
    /// Failed for good: dead-lettered, for operators to see and send again.
    pub failed: usize,
}

pub struct Dispatcher {
    store: Arc<dyn Store>,
    senders: Senders,
    settings: DispatchSettings,
}

impl Dispatcher {
    pub fn new(store: Arc<dyn Store>, senders: Senders, settings: DispatchSettings) -> Self {
        Dispatcher {
            store,
            senders,
            settings,
        }
    }

    /// Send everything due at `now`.
    pub async fn dispatch(&self, now: Timestamp) -> Result<DispatchReport> {
        let mut report = DispatchReport::default();
        for _ in 0..self.settings.max_batches {
            let batch = self
                .store
                .claim_notifications(now, self.settings.batch, self.settings.lease)
                .await?;
            if batch.is_empty() {
                break;
            }
            for outcome in self.round(batch, now).await? {
                match outcome {
                    Outcome::Sent => report.sent += 1,
                    Outcome::Retried => report.retried += 1,
                    Outcome::Failed => report.failed += 1,
                }
                metrics::counter!("tanggap_notifications_total", "outcome" => outcome.as_str())
                    .increment(1);
            }
            // A round takes one message per address (the outbox keeps each address in order):
            // the next round takes the ones that waited behind those just sent.
        }
        Ok(report)
    }

    /// Delivers one claimed batch, `concurrency` at a time. What was sent is recorded by a
    /// marker running beside the deliveries: it writes everything finished since its last write
    /// in one statement (a round of 100 receipts is a few writes, not 100), and the deliveries
    /// never wait for it, so none is held half-way (holding a database connection, say) while
    /// it writes. A crash between a send and its record sends that message again after the
    /// lease, as before; the window is one write longer.
    async fn round(&self, batch: Vec<Notification>, now: Timestamp) -> Result<Vec<Outcome>> {
        let (sent_tx, mut sent_rx) = tokio::sync::mpsc::unbounded_channel::<SentNotification>();
        let deliveries = async move {
            let outcomes: Vec<Result<Outcome>> = stream::iter(batch)
                .map(|n| {
                    let sent_tx = sent_tx.clone();
                    async move { self.deliver(&n, now, &sent_tx).await }
                })
                .buffer_unordered(self.settings.concurrency.max(1))
                .collect()
                .await;
            // The marker ends once every sender is gone and it has recorded the rest.
            drop(sent_tx);
            outcomes
        };
        let marker = async {
            let mut sent = Vec::new();
            while sent_rx.recv_many(&mut sent, MARKED_AT_ONCE).await > 0 {
                self.store.mark_notifications_sent(now, &sent).await?;
                sent.clear();
            }
            Ok::<_, crate::JobError>(())
        };
        let (outcomes, marked) = tokio::join!(deliveries, marker);
        marked?;
        outcomes.into_iter().collect()
    }

    async fn deliver(
        &self,
        n: &Notification,
        now: Timestamp,
        sent: &UnboundedSender<SentNotification>,
    ) -> Result<Outcome> {
        match self.senders.for_channel(n.channel).send(n, now).await {
            Ok(d) => {
                // Recorded by the round's marker; if it has stopped on an error, the round
                // fails with that error and this one is sent again after its lease.
                let _ = sent.send(SentNotification {
                    id: n.id,
                    provider_message_id: d.provider_message_id,
                    logged_only: d.logged_only,
                });
                Ok(Outcome::Sent)
            }
            Err(SendError::Transient(e)) if n.attempts < self.settings.max_attempts => {
                let retry = now
                    + self
                        .settings
                        .retry_after_jittered(n.attempts, &n.idempotency_key);
                tracing::info!(id = n.id, attempts = n.attempts, error = %e, %retry, "notification not sent; will retry");
                self.store
                    .mark_notification_failed(n.id, &e, Some(retry))
                    .await?;
                Ok(Outcome::Retried)
            }
            Err(e) => {
                tracing::warn!(id = n.id, attempts = n.attempts, error = %e, "notification dead-lettered");
                self.store
                    .mark_notification_failed(n.id, &e.to_string(), None)
                    .await?;
                Ok(Outcome::Failed)
            }
        }
    }
}

/// The most sent notifications the marker records in one statement.
const MARKED_AT_ONCE: usize = 256;

enum Outcome {
    Sent,
    Retried,
    Failed,
}

impl Outcome {
    /// The label of `tanggap_notifications_total` (`dead`: given up on, a dead letter).
    fn as_str(&self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Retried => "retried",
            Outcome::Failed => "dead",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_with_a_bounded_repeatable_jitter() {
        let s = DispatchSettings::default();
        assert_eq!(s.retry_after(1), TimeDelta::minutes(1));
        assert_eq!(s.retry_after(3), TimeDelta::minutes(4));
        assert_eq!(s.retry_after(30), TimeDelta::hours(6));
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..200 {
            let key = format!("reporter_update:{i}");
            for attempts in 1..=10 {
                let base = s.retry_after(attempts);
                let j = s.retry_after_jittered(attempts, &key);
                assert!(j >= base * 4 / 5 && j <= base * 6 / 5, "{j} vs {base}");
                assert_eq!(j, s.retry_after_jittered(attempts, &key), "repeatable");
            }
            seen.insert(s.retry_after_jittered(1, &key));
        }
        assert!(
            seen.len() > 150,
            "spread across notifications: {}",
            seen.len()
        );
    }
}
