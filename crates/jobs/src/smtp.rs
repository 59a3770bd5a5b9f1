//! E-mail over SMTP with `lettre`.

use crate::sender::{Delivered, NotificationSender, SendError};
use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;
use tanggap_domain::Timestamp;
use tanggap_store::Notification;

#[derive(Debug, thiserror::Error)]
pub enum SmtpConfigError {
    #[error(
        "TANGGAP_SMTP_URL is not valid: {0} (e.g. smtp://user:pass@host:587?tls=required or smtps://user:pass@host:465)"
    )]
    Url(String),
    #[error(
        "TANGGAP_SMTP_FROM is not an e-mail address such as \"Tanggap <tanggap@jatengprov.go.id>\": {0}"
    )]
    From(String),
}

/// Sends e-mail notifications through one SMTP server, configured by a URL in lettre's form:
/// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://user:pass@host:465` (TLS), or
/// plain `smtp://host:25` for a relay on the same network.
///
/// The notification's idempotency key becomes the Message-ID, so a resend after a crash (see
/// [`NotificationSender`]) can be recognised as a duplicate by the provider and the recipient's
/// mail client.
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The right-hand side of Message-IDs: the sender's domain.
    domain: String,
}

impl SmtpSender {
    pub fn new(url: &str, from: &str) -> Result<Self, SmtpConfigError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| SmtpConfigError::Url(e.to_string()))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let from: Mailbox = from
            .parse()
            .map_err(|e: lettre::address::AddressError| SmtpConfigError::From(e.to_string()))?;
        let domain = from.email.domain().to_string();
        Ok(SmtpSender {
            transport,
            from,
            domain,
        })
    }

    /// `<{key}@{domain}>` with the key's `:` and `/` (not allowed there) made `.` and `-`.
    pub fn message_id(&self, key: &str) -> String {
        let local: String = key
            .chars()
            .map(|c| match c {
                ':' => '.',
                c if c.is_ascii_alphanumeric() || "-_.+=".contains(c) => c,
                _ => '-',
            })
            .collect();
        format!("<{local}@{}>", self.domain)
    }

    /// One plain-text message; `key` makes its Message-ID (see [`SmtpSender::message_id`]);
    /// replies go to `reply_to` when given.
    pub async fn send_mail(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        key: &str,
        reply_to: Option<&str>,
    ) -> Result<(), SendError> {
        let mailbox = |a: &str| {
            a.parse::<Mailbox>()
                .map_err(|e: lettre::address::AddressError| {
                    SendError::Permanent(format!("bad e-mail address: {e}"))
                })
        };
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(mailbox(to)?)
            .subject(subject)
            .message_id(Some(self.message_id(key)))
            .header(ContentType::TEXT_PLAIN);
        if let Some(r) = reply_to {
            builder = builder.reply_to(mailbox(r)?);
        }
        let message = builder
            .body(body.to_string())
            .map_err(|e| SendError::Permanent(format!("cannot build the message: {e}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }
}

#[async_trait]
impl NotificationSender for SmtpSender {
    async fn send(&self, n: &Notification, _now: Timestamp) -> Result<Delivered, SendError> {
        let to = n
            .address
            .as_deref()
            .ok_or_else(|| SendError::Permanent("no e-mail address".into()))?;
        self.send_mail(to, &n.subject, &n.body, &n.idempotency_key, None)
            .await
            .map(|()| Delivered::default())
    }
}
