//! Where notifications leave Tanggap: one [`NotificationSender`] per channel.

use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tanggap_channels::outbound::{ChatProvider, OutboundText, ProviderError};
use tanggap_domain::Timestamp;
use tanggap_domain::escalation::NotifyChannel;
use tanggap_store::{Notification, Store};

/// Why a send failed, and so whether to try again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The provider may take it later (a timeout, a 4xx SMTP reply): retried with backoff.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// It will never go through (a malformed address, a 5xx SMTP reply): not retried.
    #[error("permanent failure: {0}")]
    Permanent(String),
}

impl From<ProviderError> for SendError {
    fn from(e: ProviderError) -> Self {
        match e {
            ProviderError::Transient(m) => SendError::Transient(m),
            ProviderError::Permanent(m) => SendError::Permanent(m),
        }
    }
}

/// What the provider said when it took the message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivered {
    /// Its id at the provider, matched later by the provider's delivery receipts.
    pub provider_message_id: Option<String>,
    /// No provider took it: it was written to the log only (recorded, so pages can say so).
    pub logged_only: bool,
}

/// Delivers one notification at `now`. Implementations must be idempotent where the provider
/// allows it (the notification's `idempotency_key` is there for that): after a crash between the
/// send and its being recorded, the outbox sends it again.
#[async_trait]
pub trait NotificationSender: Send + Sync {
    async fn send(&self, n: &Notification, now: Timestamp) -> Result<Delivered, SendError>;
}

/// A chat channel's notifications through its provider's API ([`ChatProvider`]).
pub struct ChatSender {
    provider: Arc<dyn ChatProvider>,
    store: Arc<dyn Store>,
}

impl ChatSender {
    pub fn new(provider: Arc<dyn ChatProvider>, store: Arc<dyn Store>) -> Self {
        ChatSender { provider, store }
    }
}

/// How long after a citizen's last message a provider takes free-form replies (WhatsApp's
/// customer-service window; Messenger's standard messaging window).
pub const REPLY_WINDOW: chrono::TimeDelta = chrono::TimeDelta::hours(24);

#[async_trait]
impl NotificationSender for ChatSender {
    async fn send(&self, n: &Notification, now: Timestamp) -> Result<Delivered, SendError> {
        let Some(to) = n.address.as_deref() else {
            return Err(SendError::Permanent("no address".into()));
        };
        let last = self
            .store
            .last_inbound_at(self.provider.channel(), to)
            .await
            .map_err(|e| SendError::Transient(e.to_string()))?;
        let outside_window = last.is_none_or(|t| now - t >= REPLY_WINDOW);
        // Staff notifications carry their subject; a reply to a citizen is its body alone.
        let text = if n.subject.is_empty() || n.body.starts_with(&n.subject) {
            n.body.clone()
        } else {
            format!("{}\n\n{}", n.subject, n.body)
        };
        let sent = self
            .provider
            .send_text(&OutboundText {
                to,
                text: &text,
                idempotency_key: &n.idempotency_key,
                outside_window,
            })
            .await?;
        Ok(Delivered {
            provider_message_id: sent.provider_message_id,
            logged_only: false,
        })
    }
}

/// In-app notifications are already where they are read (the user's inbox is the table):
/// delivering one is marking it sent.
pub struct InAppSender;

#[async_trait]
impl NotificationSender for InAppSender {
    async fn send(&self, _n: &Notification, _now: Timestamp) -> Result<Delivered, SendError> {
        Ok(Delivered::default())
    }
}

/// For a channel with no provider configured (development, or WhatsApp and SMS until their
/// providers exist): logs the notification and marks it sent, recorded as logged only.
pub struct LogSender;

#[async_trait]
impl NotificationSender for LogSender {
    async fn send(&self, n: &Notification, _now: Timestamp) -> Result<Delivered, SendError> {
        // The address is personal data: log who it is for, not where it went.
        tracing::info!(
            channel = n.channel.as_str(),
            recipient = n.recipient.as_str(),
            user_id = n.user_id,
            key = %n.idempotency_key,
            subject = %n.subject,
            "notification (no provider configured for this channel; logged only)"
        );
        Ok(Delivered {
            provider_message_id: None,
            logged_only: true,
        })
    }
}

/// A sender for tests: records every send, and fails the ones it is told to.
#[derive(Default)]
pub struct FakeSender {
    sent: Mutex<Vec<Notification>>,
    /// Idempotency key → transient failures still to give.
    transient: Mutex<HashMap<String, u32>>,
    permanent: Mutex<Vec<String>>,
    /// Actions delivered without being recorded (what a test does not look at).
    ignored: Vec<String>,
}

impl FakeSender {
    pub fn new() -> Arc<Self> {
        Arc::new(FakeSender::default())
    }

    /// A sender that delivers notifications of these actions without recording them.
    pub fn ignoring(actions: &[&str]) -> Arc<Self> {
        Arc::new(FakeSender {
            ignored: actions.iter().map(|a| a.to_string()).collect(),
            ..FakeSender::default()
        })
    }

    /// Everything sent so far, in order.
    pub fn sent(&self) -> Vec<Notification> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The next `times` sends of `key` fail transiently.
    pub fn fail_transiently(&self, key: &str, times: u32) {
        self.transient
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.to_string(), times);
    }

    /// Every send of `key` fails permanently.
    pub fn fail_permanently(&self, key: &str) {
        self.permanent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(key.to_string());
    }
}

#[async_trait]
impl NotificationSender for FakeSender {
    async fn send(&self, n: &Notification, _now: Timestamp) -> Result<Delivered, SendError> {
        let key = &n.idempotency_key;
        if self.ignored.contains(&n.action) {
            return Ok(Delivered::default());
        }
        if self
            .permanent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(key)
        {
            return Err(SendError::Permanent(format!("{key} is refused")));
        }
        if let Some(left) = self
            .transient
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(key)
            .filter(|left| **left > 0)
        {
            *left -= 1;
            return Err(SendError::Transient(format!("{key}: try again")));
        }
        self.sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(n.clone());
        Ok(Delivered {
            provider_message_id: Some(format!("fake-{}", n.id)),
            logged_only: false,
        })
    }
}

/// The sender of each channel.
#[derive(Clone)]
pub struct Senders {
    pub in_app: Arc<dyn NotificationSender>,
    pub email: Arc<dyn NotificationSender>,
    pub whatsapp: Arc<dyn NotificationSender>,
    pub sms: Arc<dyn NotificationSender>,
    pub telegram: Arc<dyn NotificationSender>,
    pub facebook: Arc<dyn NotificationSender>,
    pub twitter: Arc<dyn NotificationSender>,
    /// The SMTP server, when one is configured: connectors' e-mails go through it too.
    pub smtp: Option<Arc<crate::SmtpSender>>,
}

impl Senders {
    /// In-app delivered, everything else logged: what a setup without providers gets.
    pub fn logging() -> Self {
        Senders {
            in_app: Arc::new(InAppSender),
            email: Arc::new(LogSender),
            whatsapp: Arc::new(LogSender),
            sms: Arc::new(LogSender),
            telegram: Arc::new(LogSender),
            facebook: Arc::new(LogSender),
            twitter: Arc::new(LogSender),
            smtp: None,
        }
    }

    /// One sender for every channel (tests).
    pub fn all(sender: Arc<dyn NotificationSender>) -> Self {
        Senders {
            in_app: sender.clone(),
            email: sender.clone(),
            whatsapp: sender.clone(),
            sms: sender.clone(),
            telegram: sender.clone(),
            facebook: sender.clone(),
            twitter: sender,
            smtp: None,
        }
    }

    /// E-mail through an SMTP server, for notifications and connectors.
    pub fn with_smtp(mut self, smtp: Arc<crate::SmtpSender>) -> Self {
        self.email = smtp.clone();
        self.smtp = Some(smtp);
        self
    }

    pub fn with_email(mut self, sender: Arc<dyn NotificationSender>) -> Self {
        self.email = sender;
        self
    }

    /// Replace one channel's sender.
    pub fn with(mut self, channel: NotifyChannel, sender: Arc<dyn NotificationSender>) -> Self {
        *match channel {
            NotifyChannel::InApp => &mut self.in_app,
            NotifyChannel::Email => &mut self.email,
            NotifyChannel::Whatsapp => &mut self.whatsapp,
            NotifyChannel::Sms => &mut self.sms,
            NotifyChannel::Telegram => &mut self.telegram,
            NotifyChannel::Facebook => &mut self.facebook,
            NotifyChannel::Twitter => &mut self.twitter,
        } = sender;
        self
    }

    pub fn for_channel(&self, channel: NotifyChannel) -> &Arc<dyn NotificationSender> {
        match channel {
            NotifyChannel::InApp => &self.in_app,
            NotifyChannel::Email => &self.email,
            NotifyChannel::Whatsapp => &self.whatsapp,
            NotifyChannel::Sms => &self.sms,
            NotifyChannel::Telegram => &self.telegram,
            NotifyChannel::Facebook => &self.facebook,
            NotifyChannel::Twitter => &self.twitter,
        }
    }
}
