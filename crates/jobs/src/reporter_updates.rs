//! Telling citizens what happened to their report, on the channel they used (SPEC section 3:
//! "the citizen hears back on the channel they used"): a dispatch, each agency update, a question
//! or message from the staff, the report finished, closed or archived.
//!
//! The same walk tells an agency's staff of each new assignment at once (in the app, by e-mail,
//! and on WhatsApp to registered phones, with the report's summary and how to answer from the
//! phone): the first-response clock has started.
//!
//! The job walks the public timeline (`activities`) with a cursor kept in the database. Moving
//! the cursor and enqueueing the notifications happen in one transaction, and every notification
//! has the key `reporter-update:{activity}:{channel}`, so with several instances each entry is
//! announced once. Entries older than a day when first seen (an upgrade, a restored backup, demo
//! data) are passed over rather than sent as stale news.

use crate::Result;
use crate::recipients::{Directory, dedupe};
use chrono::TimeDelta;
use std::collections::HashMap;
use std::sync::Arc;
use tanggap_domain::escalation::{NotifyChannel, RecipientKind};
use tanggap_domain::{Channel, ReportStatus, Stage, Timestamp};
use tanggap_store::{ActivityKind, NewNotification, ReporterUpdate, Store};

pub const JOB: &str = "reporter_updates";

pub struct ReporterUpdates {
    /// Given by the wiring, like the scheduler's (see [`crate::Scheduler`]).
    store: Arc<dyn Store>,
    /// `https://lapor.example.go.id`, for the link in messages; may be empty.
    public_url: String,
    max_age: TimeDelta,
    batch: u32,
}

impl ReporterUpdates {
    pub fn new(store: Arc<dyn Store>, public_url: Option<String>) -> Self {
        ReporterUpdates {
            store,
            public_url: public_url.unwrap_or_default(),
            max_age: TimeDelta::hours(24),
            batch: 200,
        }
    }

    /// Enqueue a notification for every new public timeline entry; returns how many.
    pub async fn run(&self, now: Timestamp) -> Result<usize> {
        let store = &self.store;
        let mut directory: Option<Directory> = None;
        let mut enqueued = 0;
        for _ in 0..50 {
            let from = store.job_cursor(JOB).await?;
            let updates = store.reporter_updates(from, self.batch).await?;
            let Some(to) = updates.last().map(|u| u.activity.id) else {
                break;
            };
            if directory.is_none() {
                directory = Some(Directory::load(store.as_ref()).await?);
            }
            let Some(dir) = directory.as_ref() else {
                break;
            };
            let names: HashMap<String, String> = dir
                .agency_names()
                .map(|(id, name)| (id.to_string(), name.to_string()))
                .collect();
            let mut notes: Vec<NewNotification> = Vec::new();
            for u in updates
                .iter()
                .filter(|u| now - u.activity.created_at <= self.max_age)
            {
                notes.extend(compose(u, &names, &self.public_url));
                notes.extend(assignment_alerts(u, dir));
            }
            // Another instance may have moved the cursor first: then read again from where it is.
            if store.advance_job_cursor(JOB, from, to, &notes, now).await? {
                enqueued += notes.len();
            }
        }
        Ok(enqueued)
    }
}

/// Where to reach the reporter: the chat they wrote from (the address the provider vouched for),
/// else e-mail, else SMS to their phone.
pub fn route(u: &ReporterUpdate) -> Option<(NotifyChannel, String)> {
    let r = u.reporter.as_ref();
    let phone = r.and_then(|r| r.phone.clone());
    let fallback = || {
        r.and_then(|r| r.email.clone())
            .map(|e| (NotifyChannel::Email, e))
            .or_else(|| phone.clone().map(|p| (NotifyChannel::Sms, p)))
    };
    match u.channel {
        Channel::Whatsapp => u
            .chat_address
            .clone()
            .or(phone.clone())
            .map(|a| (NotifyChannel::Whatsapp, a)),
        Channel::Sms => phone
            .clone()
            .or_else(|| u.chat_address.clone())
            .map(|a| (NotifyChannel::Sms, a)),
        Channel::Telegram | Channel::Facebook | Channel::Twitter => {
            match (
                NotifyChannel::for_report_channel(u.channel),
                &u.chat_address,
            ) {
                (Some(c), Some(a)) => Some((c, a.clone())),
                _ => fallback(),
            }
        }
        _ => fallback(),
    }
}

/// The notifications of a new assignment to the agency's officers and head.
pub(crate) fn assignment_alerts(u: &ReporterUpdate, dir: &Directory) -> Vec<NewNotification> {
    let a = &u.activity;
    if a.kind != ActivityKind::Dispatched {
        return vec![];
    }
    let Some(agency_id) = a.agency_id.as_deref() else {
        return vec![];
    };
    let agency = dir.agency(agency_id).map_or(agency_id, |a| a.name.as_str());
    let tid = u.tracking_id.to_string();
    let mut addresses = dir.addresses(RecipientKind::Officers, Some(agency_id), None);
    addresses.extend(dir.addresses(RecipientKind::Head, Some(agency_id), None));
    let instruction = a
        .note
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .map(|n| format!("\nCatatan disposisi: {n}"))
        .unwrap_or_default();
    let body = format!(
        "Laporan {tid} didisposisikan ke {agency}: \"{title}\".{instruction}\n\
         Berikan respons pertama (verifikasi, cek lapangan, pengerjaan) paling lambat 1×24 jam.",
        title = u.title
    );
    dedupe(addresses)
        .into_iter()
        .map(|to| {
            let body = if to.user_id.is_some() && to.channel == NotifyChannel::Whatsapp {
                format!(
                    "{body}\n\n{}",
                    tanggap_service::chat::staff_answer_hint(&tid)
                )
            } else {
                format!("{body}\nTanggapi melalui Tanggap.")
            };
            NewNotification {
                idempotency_key: format!("new-assignment:{}:{}", a.id, to.token()),
                action: "new_assignment".into(),
                report_id: Some(a.report_id),
                assignment_id: a.assignment_id,
                agency_id: Some(agency_id.to_string()),
                recipient: to.kind,
                user_id: to.user_id,
                channel: to.channel,
                address: to.address,
                subject: format!("Disposisi baru: laporan {tid}"),
                body,
            }
        })
        .collect()
}

/// A conversation: the reporter answers by replying to the message itself.
fn is_chat(channel: NotifyChannel) -> bool {
    !matches!(channel, NotifyChannel::Email | NotifyChannel::InApp)
}

/// What to say about one timeline entry, in Bahasa Indonesia; `None` for entries the reporter
/// made themselves or that say nothing new to them.
pub fn compose(
    u: &ReporterUpdate,
    agencies: &HashMap<String, String>,
    public_url: &str,
) -> Option<NewNotification> {
    let a = &u.activity;
    if a.actor == "public" || a.actor.starts_with("reporter") {
        return None;
    }
    let agency = a
        .agency_id
        .as_ref()
        .and_then(|id| agencies.get(id))
        .cloned()
        .unwrap_or_else(|| "instansi terkait".into());
    let note = a.note.clone().unwrap_or_default();
    let tid = &u.tracking_id;
    let (subject, text) = match a.kind {
        ActivityKind::Dispatched => (
            "Laporan Anda diteruskan ke instansi".to_string(),
            format!("Laporan Anda telah didisposisikan ke {agency}. Instansi wajib memberi respons pertama paling lambat 1×24 jam."),
        ),
        ActivityKind::Forwarded if a.stage != Some(Stage::Diteruskan) => ("Laporan Anda ditangani unit instansi".to_string(), format!("Laporan Anda kini ditangani oleh {agency}. {note}")),
        ActivityKind::StageUpdate => {
            let stage = a.stage.map(|s| s.label()).unwrap_or_default();
            (format!("Perkembangan laporan: {stage}"), format!("{agency}: {stage}.\n{note}"))
        }
        ActivityKind::Returned => (
            "Laporan Anda dialihkan".to_string(),
            format!("{agency} menyatakan laporan ini bukan wewenangnya: {note}\nAdmin akan meneruskannya ke instansi yang berwenang."),
        ),
        ActivityKind::AskedReporter => ("Petugas membutuhkan keterangan Anda".to_string(), format!("Pertanyaan petugas: {note}\nMohon jawab agar laporan dapat diproses.")),
        ActivityKind::MessageToReporter => ("Pesan dari petugas".to_string(), note.clone()),
        ActivityKind::StatusChanged if a.status == Some(ReportStatus::Selesai) => (
            "Laporan Anda dinyatakan selesai".to_string(),
            "Instansi menyatakan laporan Anda selesai. Mohon beri penilaian, atau buka kembali bila masalahnya belum tuntas.".to_string(),
        ),
        ActivityKind::StatusChanged if a.status == Some(ReportStatus::Ditutup) => ("Laporan Anda ditutup".to_string(), "Laporan Anda telah ditutup. Terima kasih telah melapor.".to_string()),
        ActivityKind::Archived => ("Laporan Anda diarsipkan".to_string(), format!("Laporan Anda diarsipkan dengan alasan: {note}")),
        ActivityKind::Duplicate => ("Laporan Anda digabung".to_string(), format!("Laporan Anda sama dengan laporan {note}; perkembangannya diikuti di sana.")),
        _ => return None,
    };
    let (channel, address) = route(u)?;
    let link = if public_url.is_empty() {
        String::new()
    } else {
        format!(" atau di {public_url}/lacak")
    };
    let body = if is_chat(channel) {
        format!(
            "{text}\n\nNomor laporan: {tid} ({title}). Balas pesan ini untuk menanggapi; ketik \"status {tid}\" untuk melihat perkembangan.",
            title = u.title
        )
    } else {
        format!(
            "{text}\n\nNomor laporan: {tid} ({title}). Lihat perkembangan dan balas melalui tautan rahasia yang Anda terima saat melapor{link}.",
            title = u.title
        )
    };
    Some(NewNotification {
        idempotency_key: format!("reporter-update:{}:{}", a.id, channel.as_str()),
        action: "reporter_update".into(),
        report_id: Some(a.report_id),
        assignment_id: a.assignment_id,
        agency_id: a.agency_id.clone(),
        recipient: RecipientKind::Reporter,
        user_id: None,
        channel,
        address: Some(address),
        subject: format!("[{tid}] {subject}"),
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use tanggap_domain::TrackingId;
    use tanggap_store::{ActivityRecord, ReporterRecord};

    fn update(
        kind: ActivityKind,
        channel: Channel,
        email: Option<&str>,
        actor: &str,
    ) -> ReporterUpdate {
        ReporterUpdate {
            activity: ActivityRecord {
                id: 42,
                report_id: 7,
                assignment_id: Some(3),
                agency_id: Some("dpu-bmck".into()),
                kind,
                stage: Some(Stage::Pengerjaan),
                status: None,
                note: Some("Penambalan dimulai".into()),
                actor: actor.into(),
                audience: tanggap_domain::access::Audience::Public,
                created_at: DateTime::from_timestamp(0, 0).unwrap(),
            },
            tracking_id: TrackingId::parse("LG-4F7KQ2MZ8T").unwrap(),
            title: "Jalan berlubang".into(),
            channel,
            status: ReportStatus::Diproses,
            reporter: Some(ReporterRecord {
                id: 1,
                name: None,
                phone: Some("+6281234567890".into()),
                email: email.map(Into::into),
                nik: None,
            }),
            chat_address: (channel == Channel::Whatsapp).then(|| "6281234567890".into()),
        }
    }

    fn names() -> HashMap<String, String> {
        HashMap::from([("dpu-bmck".to_string(), "DPU Bina Marga".to_string())])
    }

    #[test]
    fn agency_updates_reach_the_reporter_where_they_wrote_from() {
        let n = compose(
            &update(
                ActivityKind::StageUpdate,
                Channel::Web,
                Some("siti@example.id"),
                "user:2",
            ),
            &names(),
            "https://lapor.example",
        )
        .unwrap();
        assert_eq!(
            (n.channel, n.address.as_deref()),
            (NotifyChannel::Email, Some("siti@example.id"))
        );
        assert_eq!(n.idempotency_key, "reporter-update:42:email");
        assert!(
            n.subject
                .starts_with("[LG-4F7KQ2MZ8T] Perkembangan laporan: Pengerjaan")
        );
        assert!(
            n.body
                .contains("DPU Bina Marga: Pengerjaan.\nPenambalan dimulai")
                && n.body.contains("https://lapor.example/lacak")
        );
        let wa = compose(
            &update(ActivityKind::StageUpdate, Channel::Whatsapp, None, "user:2"),
            &names(),
            "",
        )
        .unwrap();
        assert_eq!(
            (wa.channel, wa.address.as_deref()),
            (NotifyChannel::Whatsapp, Some("6281234567890"))
        );
        let sms = compose(
            &update(ActivityKind::StageUpdate, Channel::Web, None, "user:2"),
            &names(),
            "",
        )
        .unwrap();
        assert_eq!(
            (sms.channel, sms.address.as_deref()),
            (NotifyChannel::Sms, Some("+6281234567890"))
        );
    }

    #[test]
    fn chat_reporters_hear_back_in_the_chat() {
        let mut tg = update(ActivityKind::StageUpdate, Channel::Telegram, None, "user:2");
        tg.chat_address = Some("99887766".into());
        let n = compose(&tg, &names(), "https://lapor.example").unwrap();
        assert_eq!(
            (n.channel, n.address.as_deref()),
            (NotifyChannel::Telegram, Some("99887766"))
        );
        assert!(n.body.contains("Balas pesan ini"), "{}", n.body);
        assert!(!n.body.contains("https://"), "{}", n.body);
        // A Messenger reporter whose chat address was forgotten is reached by SMS instead.
        let mut fb = update(ActivityKind::StageUpdate, Channel::Facebook, None, "user:2");
        fb.chat_address = None;
        let n = compose(&fb, &names(), "").unwrap();
        assert_eq!(n.channel, NotifyChannel::Sms);
    }

    #[test]
    fn the_reporters_own_actions_and_quiet_entries_are_not_announced() {
        assert!(
            compose(
                &update(
                    ActivityKind::ReporterReplied,
                    Channel::Web,
                    Some("a@b.id"),
                    "reporter:1"
                ),
                &names(),
                ""
            )
            .is_none()
        );
        assert!(
            compose(
                &update(
                    ActivityKind::StageUpdate,
                    Channel::Web,
                    Some("a@b.id"),
                    "reporter:1"
                ),
                &names(),
                ""
            )
            .is_none()
        );
        assert!(
            compose(
                &update(
                    ActivityKind::Submitted,
                    Channel::Web,
                    Some("a@b.id"),
                    "public"
                ),
                &names(),
                ""
            )
            .is_none()
        );
        assert!(
            compose(
                &update(
                    ActivityKind::Restarted,
                    Channel::Web,
                    Some("a@b.id"),
                    "user:2"
                ),
                &names(),
                ""
            )
            .is_none()
        );
        let mut no_contact = update(ActivityKind::StageUpdate, Channel::Web, None, "user:2");
        no_contact.reporter = None;
        assert!(
            compose(&no_contact, &names(), "").is_none(),
            "nobody to tell: the tracking page says it"
        );
    }
}
