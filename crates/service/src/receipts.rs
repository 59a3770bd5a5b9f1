//! The reporter's receipt: the tracking ID and the secret link, sent to the e-mail address or
//! phone number they gave, so that a citizen who closes the confirmation page can still follow,
//! answer, rate and reopen their report. And "send me my link again": a new link (the old one
//! stops working) to the contact on record, never to one typed in the request.
//!
//! Chat reporters get the link in the chat's first answer (`chat.rs`); these are for the web
//! form, the API, Open311 and the desk's phone and walk-in entries.

use crate::{Caller, Result, Services};
use chrono::TimeDelta;
use tanggap_domain::audit::NewAuditEvent;
use tanggap_domain::escalation::{NotifyChannel, RecipientKind};
use tanggap_domain::{Channel, SecretToken, TrackingId};
use tanggap_store::NewNotification;

/// A new link is sent at most this often per report, whoever asks.
pub const RESEND_EVERY: TimeDelta = TimeDelta::minutes(15);

/// Where the reporter can be reached: their e-mail address and E.164 phone number.
#[derive(Clone, Copy)]
pub(crate) struct Contact<'a> {
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
}

/// What the receipt says.
pub(crate) enum Receipt<'a> {
    Submitted { title: &'a str },
    NewLink,
}

impl Services {
    /// The secret link as the reporter opens it (relative when no public address is configured).
    pub fn secret_link(&self, tracking_id: &TrackingId, secret: &SecretToken) -> String {
        format!(
            "{}/lacak/{tracking_id}?kunci={}",
            self.settings
                .public_url
                .as_deref()
                .unwrap_or("")
                .trim_end_matches('/'),
            secret.expose()
        )
    }

    /// The receipt for a report that came in on `channel`, to the reporter's e-mail (else their
    /// phone, by SMS); `None` for chat reports and reporters without a contact.
    pub(crate) fn receipt(
        &self,
        channel: Channel,
        tracking_id: &TrackingId,
        secret: &SecretToken,
        to: Contact<'_>,
        what: Receipt<'_>,
        key: &str,
    ) -> Option<NewNotification> {
        if channel.is_chat() || channel == Channel::Email {
            return None;
        }
        let (notify, address) = match (to.email, to.phone) {
            (Some(e), _) => (NotifyChannel::Email, e),
            (None, Some(p)) => (NotifyChannel::Sms, p),
            (None, None) => return None,
        };
        let link = if self.settings.public_url.is_some() {
            format!(
                "Tautan rahasia (jangan dibagikan): {}",
                self.secret_link(tracking_id, secret)
            )
        } else {
            format!(
                "Buka halaman Lacak di situs Tanggap, masukkan nomor {tracking_id} dan kode rahasia {}.",
                secret.expose()
            )
        };
        let (subject, body) = match what {
            Receipt::Submitted { title } => (
                format!("[{tracking_id}] Tanda terima laporan Anda"),
                format!(
                    "Laporan Anda \"{title}\" telah kami terima dengan nomor {tracking_id}.\n\
                     Dengan tautan ini Anda dapat mengikuti perkembangan, menjawab pertanyaan \
                     petugas, memberi penilaian dan membuka kembali laporan.\n{link}"
                ),
            ),
            Receipt::NewLink => (
                format!("[{tracking_id}] Tautan baru untuk laporan Anda"),
                format!(
                    "Atas permintaan melalui situs, berikut tautan baru untuk laporan \
                     {tracking_id}. Tautan lama tidak berlaku lagi.\n{link}\n\
                     Bila Anda tidak memintanya, abaikan pesan ini: laporan Anda tetap aman."
                ),
            ),
        };
        Some(NewNotification {
            idempotency_key: key.to_string(),
            action: "receipt".into(),
            report_id: None,
            assignment_id: None,
            agency_id: None,
            recipient: RecipientKind::Reporter,
            user_id: None,
            channel: notify,
            address: Some(address.to_string()),
            subject,
            body,
        })
    }

    /// "Send me my link again": a new secret for the report, sent to the contact on record. The
    /// answer is the same whether or not the report exists, has a contact, or was asked for a
    /// moment ago (at most one new link per [`RESEND_EVERY`]), so that nobody learns anything
    /// about a report or its reporter from it.
    pub async fn resend_link(&self, caller: &Caller, tracking_id: &str) -> Result<()> {
        let Ok(tid) = TrackingId::parse(tracking_id.trim()) else {
            return Ok(());
        };
        let Some(report) = self.store.report_by_tracking_id(&tid).await? else {
            return Ok(());
        };
        let now = self.now();
        let recent = self
            .store
            .notifications_for_report(report.id)
            .await?
            .iter()
            .any(|n| n.action == "receipt" && now - n.created_at < RESEND_EVERY);
        if recent {
            return Ok(());
        }
        let Some(r) = report.reporter.as_ref() else {
            return Ok(());
        };
        let secret = SecretToken::generate(&mut rand::thread_rng());
        let key = format!("receipt:{tid}:{}", now.timestamp_micros());
        // The desk's own entries count as the web here: the reporter asked on the site.
        let channel = if report.channel.is_chat() || report.channel == Channel::Email {
            Channel::Web
        } else {
            report.channel
        };
        let Some(n) = self.receipt(
            channel,
            &tid,
            &secret,
            Contact {
                email: r.email.as_deref(),
                phone: r.phone.as_deref(),
            },
            Receipt::NewLink,
            &key,
        ) else {
            return Ok(());
        };
        if self
            .store
            .replace_report_secret(report.id, &secret.hash(), &n, now)
            .await?
        {
            self.store
                .append_audit(
                    NewAuditEvent::new(
                        caller.audit_label(),
                        "report.link_resent",
                        "report",
                        report.id,
                    )
                    .after(&serde_json::json!({ "channel": n.channel.as_str() })),
                    now,
                )
                .await?;
        }
        Ok(())
    }
}
