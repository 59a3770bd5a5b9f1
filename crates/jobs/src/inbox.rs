//! The inbox: messages the webhooks recorded, handled one sender at a time and oldest first.
//!
//! For each claimed message: the normalised message is read back, its photos and documents are
//! fetched from the provider ([`ChatProvider::fetch_media`]) and put through the same checks as
//! any upload (`tanggap-attachments`: type from the bytes, metadata stripped, size limits), and
//! the chat use case (`Services::handle_chat`) decides and answers. A provider that cannot be
//! reached is tried again with backoff; after [`InboxSettings::max_attempts`] the message is
//! handled without the media it could not fetch (the sender is told), or, if handling itself
//! keeps failing, given up with an apology to the sender.

use crate::Result;
use chrono::TimeDelta;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tanggap_attachments::{DiskStore, Limits};
use tanggap_channels::outbound::{ChatProvider, FetchedMedia, ProviderError};
use tanggap_channels::{InboundMessage, MediaRef};
use tanggap_domain::Channel;
use tanggap_service::Services;
use tanggap_service::chat::ChatInput;
use tanggap_store::{InboundRecord, NewAttachment};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

/// People whose messages are handled at once.
const SIDE_BY_SIDE: usize = 16;

/// Who a sender address belongs to, across channels: a phone number's digits (WhatsApp sends
/// `628…`, SMS `+628…`), or the address itself.
fn person(address: &str) -> String {
    let digits: String = address.chars().filter(char::is_ascii_digit).collect();
    if digits.len() >= 6 && address.chars().all(|c| c.is_ascii_digit() || c == '+') {
        digits
    } else {
        address.to_string()
    }
}

#[derive(Debug, Clone)]
pub struct InboxSettings {
    /// Messages claimed per round trip.
    pub batch: u32,
    /// How long a claim keeps other instances off a message.
    pub lease: TimeDelta,
    /// Attempts before a message is handled without what could not be fetched, or given up.
    pub max_attempts: u32,
    /// The wait after the first failure; it doubles with each further one, up to `max_retry`.
    pub first_retry: TimeDelta,
    pub max_retry: TimeDelta,
}

impl Default for InboxSettings {
    fn default() -> Self {
        InboxSettings {
            batch: 50,
            lease: TimeDelta::minutes(2),
            max_attempts: 6,
            first_retry: TimeDelta::seconds(30),
            max_retry: TimeDelta::minutes(10),
        }
    }
}

impl InboxSettings {
    fn retry_after(&self, attempts: u32) -> TimeDelta {
        let factor = 1i32 << attempts.saturating_sub(1).min(16);
        (self.first_retry * factor).min(self.max_retry)
    }
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboxReport {
    pub handled: usize,
    pub retried: usize,
    pub failed: usize,
}

pub struct Inbox {
    services: Arc<Services>,
    providers: HashMap<Channel, Arc<dyn ChatProvider>>,
    files: Arc<DiskStore>,
    limits: Limits,
    settings: InboxSettings,
}

impl Inbox {
    pub fn new(
        services: Arc<Services>,
        providers: HashMap<Channel, Arc<dyn ChatProvider>>,
        files: Arc<DiskStore>,
        settings: InboxSettings,
    ) -> Self {
        Inbox {
            services,
            providers,
            files,
            limits: Limits::default(),
            settings,
        }
    }

    /// Handle everything that is due now (bounded: at most 20 rounds of claims).
    pub async fn run(&self) -> Result<InboxReport> {
        let mut report = InboxReport::default();
        for _ in 0..20 {
            let batch = self
                .services
                .claim_inbound(self.settings.batch, self.settings.lease)
                .await?;
            if batch.is_empty() {
                break;
            }
            // The claim holds at most one message per sender address; different people's
            // messages are handled side by side (their writes then share group commits), one
            // person's (a number writing on WhatsApp and SMS) one after another.
            let mut people: Vec<(String, Vec<InboundRecord>)> = Vec::new();
            for record in batch {
                let key = person(&record.address);
                match people.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, records)) => records.push(record),
                    None => people.push((key, vec![record])),
                }
            }
            let outcomes: Vec<Result<Vec<Step>>> = futures_util::stream::iter(people)
                .map(|(_, records)| async move {
                    let mut steps = Vec::with_capacity(records.len());
                    for record in &records {
                        steps.push(self.handle(record).await?);
                    }
                    Ok(steps)
                })
                .buffer_unordered(SIDE_BY_SIDE)
                .collect()
                .await;
            for outcome in outcomes {
                for step in outcome? {
                    match step {
                        Step::Handled => report.handled += 1,
                        Step::Retried => report.retried += 1,
                        Step::Failed => report.failed += 1,
                    }
                }
            }
        }
        Ok(report)
    }

    async fn handle(&self, record: &InboundRecord) -> Result<Step> {
        let message: InboundMessage = match serde_json::from_str(&record.payload) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(id = record.id, error = %e, "recorded message unreadable; given up");
                self.services
                    .fail_inbound(record, "the recorded message is unreadable")
                    .await?;
                return Ok(Step::Failed);
            }
        };
        let last_chance = record.attempts >= self.settings.max_attempts;
        let mut attachments = Vec::new();
        let mut refused = Vec::new();
        for media in &message.media {
            match self.fetch(message.channel, media).await {
                Ok(file) => match self.keep(file).await {
                    Ok(a) => attachments.push(a),
                    Err(reason) => refused.push(reason),
                },
                Err(ProviderError::Transient(e)) if !last_chance => {
                    tracing::info!(id = record.id, attempts = record.attempts, error = %e, "media not fetched; will retry");
                    let after = self.settings.retry_after(record.attempts);
                    self.services.retry_inbound(record.id, &e, after).await?;
                    return Ok(Step::Retried);
                }
                Err(e) => {
                    tracing::warn!(id = record.id, error = %e, "media not fetched; handled without it");
                    refused.push("berkas tidak dapat diambil dari penyedia layanan pesan.".into());
                }
            }
        }
        let input = ChatInput {
            inbound_id: record.id,
            channel: message.channel,
            from: message.from.clone(),
            display_name: message.display_name.clone(),
            text: message.text.clone(),
            button: message.button.clone(),
            location: message
                .location
                .as_ref()
                .map(|l| (l.latitude, l.longitude, l.label.clone())),
            shared_contact: message.shared_contact.clone(),
            subject: message.subject.clone(),
            attachments,
            refused_media: refused,
        };
        match self.services.handle_chat(input).await {
            Ok(_) => Ok(Step::Handled),
            Err(e) if !last_chance => {
                tracing::warn!(id = record.id, attempts = record.attempts, error = %e, "message not handled; will retry");
                let after = self.settings.retry_after(record.attempts);
                self.services
                    .retry_inbound(record.id, &e.to_string(), after)
                    .await?;
                Ok(Step::Retried)
            }
            Err(e) => {
                tracing::error!(id = record.id, error = %e, "message not handled; given up");
                self.services.fail_inbound(record, &e.to_string()).await?;
                Ok(Step::Failed)
            }
        }
    }

    async fn fetch(
        &self,
        channel: Channel,
        media: &MediaRef,
    ) -> std::result::Result<FetchedMedia, ProviderError> {
        match media {
            MediaRef::Inline {
                bytes,
                mime,
                filename,
            } => Ok(FetchedMedia {
                bytes: bytes.clone(),
                mime: mime.clone(),
                filename: filename.clone(),
            }),
            _ => match self.providers.get(&channel) {
                Some(p) => p.fetch_media(media, self.limits.max_file_bytes).await,
                None => Err(ProviderError::Permanent(format!(
                    "no {} provider configured to fetch media",
                    channel.as_str()
                ))),
            },
        }
    }

    /// Check and store one fetched file; the reason in Indonesian when it is refused.
    async fn keep(&self, file: FetchedMedia) -> std::result::Result<NewAttachment, String> {
        let name = file.filename.clone().unwrap_or_else(|| "foto".into());
        let limits = self.limits;
        let disk = self.files.clone();
        let done = tokio::task::spawn_blocking(move || {
            let clean = tanggap_attachments::clean(&file.bytes, &name, &limits)
                .map_err(|e| e.to_string())?;
            let key = disk.put(&clean).map_err(|e| {
                tracing::error!(error = %e, "cannot store a chat attachment");
                "berkas tidak dapat disimpan.".to_string()
            })?;
            Ok(NewAttachment {
                filename: clean.filename,
                content_type: clean.content_type.to_string(),
                size_bytes: i64::try_from(clean.bytes.len()).unwrap_or(i64::MAX),
                sha256: clean.sha256,
                storage_key: key,
            })
        })
        .await;
        match done {
            Ok(r) => r,
            Err(e) => Err(format!("berkas tidak dapat diproses ({e}).")),
        }
    }
}

enum Step {
    Handled,
    Retried,
    Failed,
}

/// Handle messages as soon as a webhook records one (`wake`), and every `interval` for retries,
/// until `shutdown`.
pub fn spawn_inbox(
    inbox: Inbox,
    wake: Arc<Notify>,
    interval: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if *shutdown.borrow() {
                break;
            }
            match inbox.run().await {
                Ok(r) if r.handled + r.retried + r.failed > 0 => tracing::info!(
                    handled = r.handled,
                    retried = r.retried,
                    failed = r.failed,
                    "inbox"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "inbox failed; trying again"),
            }
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(interval) => {}
                r = shutdown.changed() => if r.is_err() { break },
            }
        }
    })
}
