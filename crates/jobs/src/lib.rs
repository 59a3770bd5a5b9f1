//! Tanggap's background work, in the same process as the web server (SPEC section 5):
//!
//! - [`Scheduler`]: finds the SLA clocks whose next threshold is due through the store's index
//!   on `next_fire_at`, decides what each threshold means (`tanggap_domain::escalation`), works
//!   out who must hear of it, and records the firing and its notifications in one transaction.
//!   Its [`Scheduler::sweep`] is a plain step function of "now", so tests drive it with a manual
//!   clock; it also enqueues the agency heads' morning digest.
//! - [`Dispatcher`]: drains the notification outbox through a [`NotificationSender`] per
//!   channel (in-app, e-mail over SMTP, and plug points for WhatsApp and SMS), with retries.
//! - [`ReporterUpdates`]: tells citizens, on the channel they used, what happened to their
//!   report (dispatch, agency updates, questions, done, closed), through the same outbox.
//! - [`Inbox`]: handles the chat messages the webhooks recorded, fetching their media from the
//!   providers, through the chat use case ([`spawn_inbox`] runs it as soon as one arrives).
//! - [`spawn`]: runs them every few seconds until shutdown.
//!
//! Several processes may run all of this against one PostgreSQL database: claims are leased
//! with `FOR UPDATE SKIP LOCKED`, firings are compare-and-set, and every notification has an
//! idempotency key, so each threshold is acted on once and each notification enqueued once.

mod connectors;
mod digest;
mod dispatch;
mod inbox;
mod messages;
mod recipients;
mod reporter_updates;
mod runner;
mod scheduler;
mod sender;
mod smtp;

pub use connectors::{Backoff, ConnectorReport, ConnectorSettings, Connectors};
pub use dispatch::{DispatchReport, DispatchSettings, Dispatcher};
pub use inbox::{Inbox, InboxReport, InboxSettings, spawn_inbox};
pub use reporter_updates::ReporterUpdates;
pub use runner::{JobsConfig, spawn};
pub use scheduler::{Scheduler, SchedulerSettings, SweepReport};
pub use sender::{
    ChatSender, Delivered, FakeSender, InAppSender, LogSender, NotificationSender, REPLY_WINDOW,
    SendError, Senders,
};
pub use smtp::{SmtpConfigError, SmtpSender};

use tanggap_service::ServiceError;
use tanggap_store::StoreError;

/// Why a sweep or a dispatch stopped early. What was committed before stays committed; what
/// was claimed and not finished is taken up again when its lease ends.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

pub type Result<T, E = JobError> = std::result::Result<T, E>;
