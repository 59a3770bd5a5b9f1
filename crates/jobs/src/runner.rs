//! Running the scheduler and the dispatcher in the background of the server process.

use crate::dispatch::{DispatchSettings, Dispatcher};
use crate::scheduler::{Scheduler, SchedulerSettings};
use crate::sender::Senders;
use std::sync::Arc;
use std::time::Duration;
use tanggap_service::Services;
use tanggap_store::Store;
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub struct JobsConfig {
    /// Time between the end of one sweep-and-dispatch and the start of the next.
    pub interval: Duration,
    pub scheduler: SchedulerSettings,
    pub dispatch: DispatchSettings,
    /// The site's public address, for links in messages to reporters.
    pub public_url: Option<String>,
    /// Forwarding to agencies' own systems.
    pub connectors: crate::ConnectorSettings,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            interval: Duration::from_secs(10),
            scheduler: SchedulerSettings::default(),
            dispatch: DispatchSettings::default(),
            public_url: None,
            connectors: crate::ConnectorSettings::default(),
        }
    }
}

/// Sweep, announce, purge expired sessions and dispatch every `interval` until `shutdown` turns true (or its sender is dropped).
/// A sweep or dispatch in progress finishes first: each of its steps is its own transaction, so
/// stopping between them loses nothing, and stopping the process in the middle of one loses
/// nothing either (the claim's lease runs out and another sweep takes it up).
pub fn spawn(
    services: Arc<Services>,
    store: Arc<dyn Store>,
    senders: Senders,
    config: JobsConfig,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut settings = config.scheduler.clone();
        settings.public_url = settings.public_url.or_else(|| config.public_url.clone());
        let scheduler = Scheduler::new(services.clone(), store.clone(), settings);
        let connectors = crate::Connectors::new(
            services.clone(),
            store.clone(),
            senders.smtp.clone(),
            config.connectors.clone(),
        );
        let dispatcher = Dispatcher::new(store.clone(), senders, config.dispatch.clone());
        let reporter_updates = crate::ReporterUpdates::new(store, config.public_url.clone());
        tracing::info!(
            interval_secs = config.interval.as_secs_f64(),
            "background jobs started"
        );
        loop {
            if *shutdown.borrow() {
                break;
            }
            match scheduler.sweep(services.now()).await {
                Ok(r) if r.claimed > 0 || r.digests > 0 => {
                    tracing::info!(
                        claimed = r.claimed,
                        fired = r.fired,
                        stale = r.stale,
                        auto_closed = r.auto_closed,
                        notifications = r.notifications,
                        digests = r.digests,
                        errors = r.errors,
                        "sweep"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "sweep failed; trying again next round"),
            }
            match reporter_updates.run(services.now()).await {
                Ok(n) if n > 0 => tracing::info!(enqueued = n, "reporter updates"),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "reporter updates failed; trying again next round")
                }
            }
            match connectors.run(services.now()).await {
                Ok(r) if r != crate::ConnectorReport::default() => tracing::info!(
                    enqueued = r.enqueued,
                    sent = r.sent,
                    retried = r.retried,
                    failed = r.failed,
                    updates = r.updates,
                    "connectors"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "connectors failed; trying again next round"),
            }
            match services.purge_expired_sessions().await {
                Ok(n) if n > 0 => tracing::debug!(purged = n, "expired sessions"),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "purging expired sessions failed; trying again next round")
                }
            }
            if let Err(e) = services.purge_idempotency_keys().await {
                tracing::warn!(error = %e, "forgetting old idempotency keys failed; trying again next round");
            }
            // The desk's assistant learns the day's dispatches (and is ready before the desk
            // first needs it).
            if let Err(e) = services.refresh_assistant().await {
                tracing::warn!(error = %e, "training the desk assistant failed; trying again next round");
            }
            match dispatcher.dispatch(services.now()).await {
                Ok(r) if r.sent + r.retried + r.failed > 0 => {
                    tracing::info!(
                        sent = r.sent,
                        retried = r.retried,
                        failed = r.failed,
                        "outbox"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "dispatch failed; trying again next round"),
            }
            tokio::select! {
                _ = tokio::time::sleep(config.interval) => {}
                r = shutdown.changed() => if r.is_err() { break },
            }
        }
        tracing::info!("background jobs stopped");
    })
}
