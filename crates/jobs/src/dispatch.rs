//! The outbox: claimed notifications go out through their channel's sender, with retries.

use crate::Result;
use crate::sender::{SendError, Senders};
use chrono::TimeDelta;
use futures_util::{StreamExt, stream};
use std::sync::Arc;
use tanggap_domain::Timestamp;
use tanggap_store::{Notification, Store};

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
            max_batches: 100,
            concurrency: 16,
        }
    }
}

impl DispatchSettings {
    /// When to try again after failed attempt number `attempts` (1-based).
    pub fn retry_after(&self, attempts: u32) -> TimeDelta {
        let factor = 1i32 << attempts.saturating_sub(1).min(20);
        (self.first_retry * factor).min(self.max_retry)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DispatchReport {
    pub sent: usize,
    /// Failed for now, to be tried again.
    pub retried: usize,
    /// Failed for good.
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
            let outcomes: Vec<Result<Outcome>> = stream::iter(batch.iter().cloned())
                .map(|n| async move { self.deliver(&n, now).await })
                .buffer_unordered(self.settings.concurrency.max(1))
                .collect()
                .await;
            for o in outcomes {
                match o? {
                    Outcome::Sent => report.sent += 1,
                    Outcome::Retried => report.retried += 1,
                    Outcome::Failed => report.failed += 1,
                }
            }
            if batch.len() < self.settings.batch as usize {
                break;
            }
        }
        Ok(report)
    }

    async fn deliver(&self, n: &Notification, now: Timestamp) -> Result<Outcome> {
        match self.senders.for_channel(n.channel).send(n).await {
            Ok(()) => {
                self.store.mark_notification_sent(n.id, now).await?;
                Ok(Outcome::Sent)
            }
            Err(SendError::Transient(e)) if n.attempts < self.settings.max_attempts => {
                let retry = now + self.settings.retry_after(n.attempts);
                tracing::info!(id = n.id, attempts = n.attempts, error = %e, %retry, "notification not sent; will retry");
                self.store
                    .mark_notification_failed(n.id, &e, Some(retry))
                    .await?;
                Ok(Outcome::Retried)
            }
            Err(e) => {
                tracing::warn!(id = n.id, attempts = n.attempts, error = %e, "notification failed for good");
                self.store
                    .mark_notification_failed(n.id, &e.to_string(), None)
                    .await?;
                Ok(Outcome::Failed)
            }
        }
    }
}

enum Outcome {
    Sent,
    Retried,
    Failed,
}
