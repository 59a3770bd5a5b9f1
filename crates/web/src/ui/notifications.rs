//! A staff member's in-app notifications: escalation reminders, negligence marks, digests, each
//! with how it also travelled to them (e-mail, WhatsApp…) and whether that reached anyone.
//! The words for recipients, channels and delivery states live here, in both languages, for
//! every page that lists notifications.

use super::text::Tr;
use super::{Layout, Ui, UiResult, page};
use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use std::collections::HashMap;
use tanggap_domain::escalation::{NotifyChannel, RecipientKind};
use tanggap_domain::policy::Permission;
use tanggap_store::{Notification, NotificationStatus};

/// Who a notification was for.
pub fn recipient_label(tr: &Tr, k: &RecipientKind) -> &'static str {
    match k {
        RecipientKind::Officers => tr.s("petugas instansi", "agency officers"),
        RecipientKind::Head => tr.s("kepala instansi", "agency head"),
        RecipientKind::Desk => tr.s("meja pengaduan", "complaint desk"),
        RecipientKind::Reporter => tr.s("pelapor", "reporter"),
        RecipientKind::User => tr.s("pengguna", "user"),
    }
}

/// How it travelled.
pub fn channel_label(tr: &Tr, c: &NotifyChannel) -> &'static str {
    match c {
        NotifyChannel::InApp => tr.s("di aplikasi", "in the app"),
        NotifyChannel::Email => tr.s("e-mail", "e-mail"),
        NotifyChannel::Whatsapp => "WhatsApp",
        NotifyChannel::Sms => "SMS",
        NotifyChannel::Telegram => "Telegram",
        NotifyChannel::Facebook => "Messenger",
        NotifyChannel::Twitter => "X",
    }
}

/// Where it is, from the recorded facts: a "sent" that only went to the log (no provider
/// configured for the channel) reached nobody, and says so.
pub fn status_label(tr: &Tr, n: &Notification) -> &'static str {
    match n.status {
        NotificationStatus::Sent | NotificationStatus::Read if n.logged_only => tr.s(
            "tidak terkirim: penyedia belum dikonfigurasi",
            "not sent: no provider configured",
        ),
        NotificationStatus::Pending if n.attempts > 0 => {
            tr.s("gagal, akan dicoba lagi", "failed, will be retried")
        }
        NotificationStatus::Pending => tr.s("menunggu dikirim", "waiting to be sent"),
        NotificationStatus::Sending => tr.s("sedang dikirim", "being sent"),
        NotificationStatus::Sent => tr.s("terkirim", "sent"),
        NotificationStatus::Read => tr.s("dibaca", "read"),
        NotificationStatus::Failed | NotificationStatus::Dead => {
            tr.s("gagal, tidak dicoba lagi", "failed, given up")
        }
    }
}

/// The provider's last delivery receipt (`delivered`, `read`, `failed`…).
pub fn receipt_label(tr: &Tr, receipt: &str) -> String {
    match receipt {
        "delivered" => tr.s("diterima", "delivered").into(),
        "read" => tr.s("dibaca", "read").into(),
        "failed" | "undelivered" => tr.s("gagal diterima", "not delivered").into(),
        "sent" | "queued" | "accepted" => tr
            .s("diteruskan penyedia", "passed on by the provider")
            .into(),
        other => other.to_string(),
    }
}

/// The notification event a copy belongs to: its key without the `/{channel}` ending (see
/// `tanggap_domain::escalation::recipient_token`).
fn event_key(n: &Notification) -> &str {
    n.idempotency_key
        .rsplit_once('/')
        .map_or(n.idempotency_key.as_str(), |(k, _)| k)
}

#[derive(Template)]
#[template(path = "notifikasi.html")]
struct NotificationsPage {
    l: Layout,
    items: Vec<Notification>,
    tracking: HashMap<i64, String>,
    /// Event key → every copy of it sent to this user (the in-app one included).
    copies: HashMap<String, Vec<Notification>>,
}

impl NotificationsPage {
    pub fn tracking_of(&self, n: &Notification) -> Option<String> {
        n.report_id.and_then(|id| self.tracking.get(&id).cloned())
    }
    pub fn copies_of(&self, n: &Notification) -> &[Notification] {
        self.copies.get(event_key(n)).map_or(&[], Vec::as_slice)
    }
    pub fn channel_label(&self, c: &NotifyChannel) -> &'static str {
        channel_label(&self.l.tr, c)
    }
    pub fn status_label(&self, n: &Notification) -> &'static str {
        status_label(&self.l.tr, n)
    }
    pub fn receipt_label(&self, r: &str) -> String {
        receipt_label(&self.l.tr, r)
    }
}

pub async fn list(ui: Ui) -> UiResult {
    ui.require(Permission::ReadOwnNotifications)?;
    let services = &ui.state.services;
    let found = services
        .my_notifications(ui.caller(), 100)
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    let deliveries = services
        .my_deliveries(ui.caller(), 400)
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    let mut copies: HashMap<String, Vec<Notification>> = HashMap::new();
    for d in deliveries.into_iter().rev() {
        copies.entry(event_key(&d).to_string()).or_default().push(d);
    }
    let mut tracking = HashMap::new();
    let mut items = Vec::with_capacity(found.len());
    for (n, tid) in found {
        if let (Some(id), Some(t)) = (n.report_id, tid) {
            tracking.insert(id, t);
        }
        items.push(n);
    }
    Ok(page(&NotificationsPage {
        l: ui.layout(ui.tr.s("Notifikasi", "Notifications")).await,
        items,
        tracking,
        copies,
    }))
}

#[derive(Deserialize)]
pub struct ReadForm {
    csrf: String,
}

/// Mark one notification read (`/notifikasi/0/baca` marks them all).
pub async fn mark_read(ui: Ui, Path(id): Path<i64>, Form(f): Form<ReadForm>) -> UiResult {
    ui.require(Permission::ReadOwnNotifications)?;
    ui.check_csrf(&f.csrf).await?;
    ui.state
        .services
        .mark_notifications_read(ui.caller(), (id != 0).then_some(id))
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    Ok(Redirect::to("/notifikasi").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tanggap_service::Lang;

    fn note(status: NotificationStatus, logged_only: bool, attempts: u32) -> Notification {
        let t = chrono::DateTime::from_timestamp(1_796_004_000, 0).unwrap();
        Notification {
            id: 1,
            idempotency_key: "1:2:first_response:0:75:u3/email".into(),
            action: "notify_head".into(),
            report_id: None,
            assignment_id: None,
            agency_id: None,
            recipient: RecipientKind::Head,
            user_id: Some(3),
            channel: NotifyChannel::Email,
            address: None,
            subject: String::new(),
            body: String::new(),
            status,
            attempts,
            next_attempt_at: t,
            created_at: t,
            sent_at: None,
            read_at: None,
            last_error: None,
            provider_message_id: None,
            delivery_status: None,
            delivery_at: None,
            logged_only,
        }
    }

    #[test]
    fn a_logged_only_send_is_not_called_sent() {
        for lang in [Lang::Id, Lang::En] {
            let tr = Tr {
                lang,
                tz: chrono_tz::Asia::Jakarta,
                now: chrono::Utc::now(),
            };
            let label = |s, l, a| status_label(&tr, &note(s, l, a));
            assert_eq!(
                label(NotificationStatus::Sent, true, 1),
                tr.s(
                    "tidak terkirim: penyedia belum dikonfigurasi",
                    "not sent: no provider configured"
                )
            );
            assert_eq!(
                label(NotificationStatus::Sent, false, 1),
                tr.s("terkirim", "sent")
            );
            assert_eq!(
                label(NotificationStatus::Pending, false, 2),
                tr.s("gagal, akan dicoba lagi", "failed, will be retried")
            );
        }
        assert_eq!(
            event_key(&note(NotificationStatus::Sent, false, 1)),
            "1:2:first_response:0:75:u3"
        );
    }
}
