//! Personal-data rights under UU 27/2022 (Pelindungan Data Pribadi): a reporter may ask what is
//! held about them (export), have it corrected, or be forgotten. The desk and the administrators
//! handle such requests (`Permission::ManagePersonalData`), by the tracking ID of any of the
//! reporter's reports.
//!
//! Forgetting removes the person, not the report: their name, phone, e-mail, NIK and chat
//! addresses go from their record, from every text of their reports (title, body, timeline
//! notes, the conversation), from attachments' file names and from notifications (sent or not;
//! those not yet sent are not sent). The reports, their clocks and the compliance figures stay,
//! and so does the audit trail, which never held those details in the first place.

use crate::text::Checker;
use crate::{Caller, FieldError, RefusalKind, Result, ServiceError, Services};
use serde::Serialize;
use tanggap_domain::TrackingId;
use tanggap_domain::phone::normalize_phone;
use tanggap_domain::policy::Permission;
use tanggap_store::{
    ActivityRecord, AttachmentRecord, ForgetPlan, MessageRecord, Notification, ReportFilter,
    ReportRecord, ReporterCorrection, ReporterRow, Timestamp,
};

/// What replaces a forgotten detail in text.
pub const REMOVED: &str = "[dihapus]";

/// Everything held about a reporter.
#[derive(Debug, Clone, Serialize)]
pub struct ReporterExport {
    pub exported_at: Timestamp,
    pub reporter: ExportedReporter,
    pub reports: Vec<ExportedReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportedReporter {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub nik: Option<String>,
    pub chat_addresses: Vec<ExportedAddress>,
    pub created_at: Timestamp,
    pub pseudonymised_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportedAddress {
    pub channel: String,
    pub address: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportedReport {
    pub tracking_id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub occurred_on: Option<chrono::NaiveDate>,
    pub region_code: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub category: Option<String>,
    pub channel: String,
    pub visibility: Vec<String>,
    pub show_reporter_name: bool,
    pub status: String,
    pub rating: Option<u8>,
    pub outcome: Option<String>,
    pub rating_comment: Option<String>,
    pub created_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    /// The conversation with the reporter, both ways.
    pub messages: Vec<ExportedMessage>,
    /// Files sent with the report or its updates (their contents are available on request).
    pub attachments: Vec<ExportedAttachment>,
    /// Messages sent to the reporter's e-mail, WhatsApp or SMS.
    pub notifications: Vec<ExportedNotification>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportedMessage {
    /// `inbound` (from the reporter) or `outbound` (to the reporter).
    pub direction: String,
    pub channel: String,
    pub body: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportedAttachment {
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportedNotification {
    pub channel: String,
    pub address: Option<String>,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

/// What forgetting changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Forgotten {
    pub reports: usize,
    pub timeline_entries: usize,
    pub messages: usize,
    pub attachments: usize,
    pub notifications: usize,
}

/// A correction of the reporter's details, as typed: `None` keeps a value, an empty string
/// clears it.
#[derive(Debug, Clone, Default)]
pub struct ReporterChange {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub nik: Option<String>,
}

/// Everything about one reporter that forgetting or exporting needs.
struct Held {
    row: ReporterRow,
    reports: Vec<Report>,
}

struct Report {
    record: ReportRecord,
    activities: Vec<ActivityRecord>,
    messages: Vec<MessageRecord>,
    attachments: Vec<AttachmentRecord>,
    notifications: Vec<Notification>,
}

/// The details that identify a person, to be taken out of text.
struct Terms {
    words: Vec<String>,
    /// Phone numbers in E.164, compared after normalising whatever number-like run a text has.
    phones: Vec<String>,
}

impl Terms {
    fn of(row: &ReporterRow) -> Terms {
        let r = &row.record;
        let mut words: Vec<String> = Vec::new();
        if let Some(name) = &r.name {
            words.push(name.clone());
            // Parts of a name are how people are mentioned ("Bu Sri"); short ones are too common
            // to take out of every text.
            words.extend(
                name.split_whitespace()
                    .filter(|w| w.chars().count() >= 4)
                    .map(str::to_string),
            );
        }
        words.extend(r.email.iter().cloned());
        words.extend(r.nik.iter().cloned());
        let mut phones: Vec<String> = r.phone.iter().cloned().collect();
        for (_, address) in &row.addresses {
            match normalize_phone(address) {
                Ok(p) => phones.push(p),
                Err(_) => words.push(address.clone()),
            }
        }
        words.retain(|w| w.chars().count() >= 3);
        // Longest first, so a full name goes before its parts.
        words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        words.dedup();
        Terms { words, phones }
    }

    /// The text without the person's details; `None` if nothing was found.
    fn scrub(&self, text: &str) -> Option<String> {
        let mut out = text.to_string();
        for w in &self.words {
            out = replace_case_insensitive(&out, w);
        }
        out = self.scrub_phones(&out);
        (out != text).then_some(out)
    }

    /// Runs of digits (with the separators people type: spaces, dashes, dots, brackets, a plus)
    /// that are one of the person's numbers, however written.
    fn scrub_phones(&self, text: &str) -> String {
        if self.phones.is_empty() {
            return text.to_string();
        }
        let chars: Vec<char> = text.chars().collect();
        let is_part =
            |c: char| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '.' | '(' | ')');
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < chars.len() {
            if chars[i].is_ascii_digit() || chars[i] == '+' {
                let mut j = i;
                while j < chars.len() && is_part(chars[j]) {
                    j += 1;
                }
                // Trailing separators belong to the text around the number.
                while j > i && !chars[j - 1].is_ascii_digit() {
                    j -= 1;
                }
                let run: String = chars[i..j].iter().collect();
                let digits = run.chars().filter(char::is_ascii_digit).count();
                if digits >= 9 && normalize_phone(&run).is_ok_and(|p| self.phones.contains(&p)) {
                    out.push_str(REMOVED);
                    i = j.max(i + 1);
                    continue;
                }
                out.extend(&chars[i..j.max(i + 1)]);
                i = j.max(i + 1);
                continue;
            }
            out.push(chars[i]);
            i += 1;
        }
        out
    }
}

fn replace_case_insensitive(text: &str, term: &str) -> String {
    let lower_text = text.to_lowercase();
    let lower_term = term.to_lowercase();
    // Lower-casing may change byte lengths (rare outside ASCII); fall back to exact matching.
    if lower_text.len() != text.len() || lower_term.len() != term.len() {
        return text.replace(term, REMOVED);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    while let Some(pos) = lower_text[rest..].find(&lower_term) {
        let start = rest + pos;
        out.push_str(&text[rest..start]);
        out.push_str(REMOVED);
        rest = start + term.len();
    }
    out.push_str(&text[rest..]);
    out
}

fn extension(filename: &str) -> String {
    filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .filter(|e| e.len() <= 5 && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .map_or_else(String::new, |e| format!(".{e}"))
}

impl Services {
    /// The reporter of the report with this tracking ID, with everything held about them.
    async fn held(&self, caller: &Caller, tracking_id: &str) -> Result<Held> {
        caller.require(Permission::ManagePersonalData)?;
        let not_found = || {
            ServiceError::Refused(
                crate::Refusal::new(RefusalKind::NotFound, "report_not_found")
                    .with("tracking_id", tracking_id),
            )
        };
        let tid = TrackingId::parse(tracking_id).map_err(|_| not_found())?;
        let report = self
            .store
            .report_by_tracking_id(&tid)
            .await?
            .ok_or_else(not_found)?;
        let reporter_id = report
            .reporter
            .as_ref()
            .map(|r| r.id)
            .ok_or_else(|| ServiceError::refused(RefusalKind::NotFound, "no_reporter"))?;
        let row = self
            .store
            .reporter(reporter_id)
            .await?
            .ok_or_else(|| ServiceError::refused(RefusalKind::NotFound, "no_reporter"))?;
        let mut reports = Vec::new();
        let mut offset = 0;
        loop {
            let page = self
                .store
                .list_reports(&ReportFilter {
                    reporter_id: Some(reporter_id),
                    limit: 200,
                    offset,
                    order: tanggap_store::ReportOrder::OldestFirst,
                    ..Default::default()
                })
                .await?;
            let n = page.items.len();
            for record in page.items {
                let id = record.id;
                reports.push(Report {
                    activities: self.store.activities(id).await?,
                    messages: self.store.messages(id).await?,
                    attachments: self.store.attachments(id).await?,
                    notifications: self
                        .store
                        .notifications_for_report(id)
                        .await?
                        .into_iter()
                        .filter(|n| {
                            n.recipient == tanggap_domain::escalation::RecipientKind::Reporter
                        })
                        .collect(),
                    record,
                });
            }
            if n < 200 {
                break;
            }
            offset += 200;
        }
        Ok(Held { row, reports })
    }

    /// Everything held about the reporter of this report, all their reports included (for a
    /// request under UU 27/2022). Audited, without the contents.
    pub async fn export_reporter(
        &self,
        caller: &Caller,
        tracking_id: &str,
    ) -> Result<ReporterExport> {
        let held = self.held(caller, tracking_id).await?;
        let now = self.now();
        self.store
            .append_audit(
                tanggap_domain::audit::NewAuditEvent::new(
                    caller.audit_label(),
                    "reporter.exported",
                    "reporter",
                    held.row.record.id,
                ),
                now,
            )
            .await?;
        let r = &held.row.record;
        Ok(ReporterExport {
            exported_at: now,
            reporter: ExportedReporter {
                name: r.name.clone(),
                phone: r.phone.clone(),
                email: r.email.clone(),
                nik: r.nik.clone(),
                chat_addresses: held
                    .row
                    .addresses
                    .iter()
                    .map(|(c, a)| ExportedAddress {
                        channel: c.as_str().into(),
                        address: a.clone(),
                    })
                    .collect(),
                created_at: held.row.created_at,
                pseudonymised_at: held.row.pseudonymised_at,
            },
            reports: held.reports.iter().map(exported_report).collect(),
        })
    }

    /// Correct the reporter's details (the desk, at the reporter's request). Audited with the
    /// names of the fields changed only.
    pub async fn correct_reporter(
        &self,
        caller: &Caller,
        tracking_id: &str,
        change: ReporterChange,
    ) -> Result<()> {
        let held = self.held(caller, tracking_id).await?;
        let mut c = Checker::default();
        let clear_or = |v: Option<String>| v.map(|s| Some(s).filter(|s| !s.is_empty()));
        let name = clear_or(
            c.take(
                change
                    .name
                    .as_deref()
                    .map(|n| crate::text::line("name", n))
                    .transpose(),
            ),
        );
        if name.as_ref().is_some_and(|n| {
            n.as_ref()
                .is_some_and(|n| n.chars().count() > crate::reports::MAX_NAME_CHARS)
        }) {
            c.push(FieldError::new("name", "too_long").with("max", crate::reports::MAX_NAME_CHARS));
        }
        let phone = match change.phone.as_deref().map(str::trim) {
            None => None,
            Some("") => Some(None),
            Some(p) => match normalize_phone(p) {
                Ok(p) => Some(Some(p)),
                Err(_) => {
                    c.push(FieldError::new("phone", "invalid"));
                    None
                }
            },
        };
        let email = clear_or(
            c.take(
                change
                    .email
                    .as_deref()
                    .map(|e| crate::text::line("email", e))
                    .transpose(),
            )
            .map(|e| e.to_lowercase()),
        );
        if email.as_ref().is_some_and(|e| {
            e.as_ref()
                .is_some_and(|e| !crate::reports::looks_like_email(e))
        }) {
            c.push(FieldError::new("email", "invalid"));
        }
        let nik = match change
            .nik
            .as_deref()
            .map(|n| n.trim().replace([' ', '.'], ""))
        {
            None => None,
            Some(n) if n.is_empty() => Some(None),
            Some(n) if n.len() == 16 && n.bytes().all(|b| b.is_ascii_digit()) => Some(Some(n)),
            Some(_) => {
                c.push(FieldError::new("reporter.nik", "invalid"));
                None
            }
        };
        c.finish()?;
        let correction = ReporterCorrection {
            name,
            phone,
            email,
            nik,
        };
        Ok(self
            .store
            .correct_reporter(
                held.row.record.id,
                &correction,
                &caller.audit_label(),
                self.now(),
            )
            .await?)
    }

    /// Forget the reporter of this report (see the module's documentation).
    pub async fn forget_reporter(&self, caller: &Caller, tracking_id: &str) -> Result<Forgotten> {
        let held = self.held(caller, tracking_id).await?;
        let plan = forget_plan(&held, caller.audit_label());
        let summary = Forgotten {
            reports: plan.reports.len(),
            timeline_entries: plan.activities.len(),
            messages: plan.messages.len(),
            attachments: plan.attachments.len(),
            notifications: plan.notifications.len(),
        };
        self.store.forget_reporter(&plan, self.now()).await?;
        Ok(summary)
    }
}

/// Every text of the reporter's reports with their details taken out; every attachment
/// renamed; every notification to them kept without its address.
fn forget_plan(held: &Held, actor: String) -> ForgetPlan {
    let terms = Terms::of(&held.row);
    let mut plan = ForgetPlan {
        reporter_id: held.row.record.id,
        actor,
        ..Default::default()
    };
    for r in &held.reports {
        let rec = &r.record;
        let title = terms.scrub(&rec.title);
        let body = terms.scrub(&rec.body);
        let address = rec.address.as_deref().and_then(|a| terms.scrub(a));
        plan.reports.push((
            rec.id,
            title.unwrap_or_else(|| rec.title.clone()),
            body.unwrap_or_else(|| rec.body.clone()),
            address.or_else(|| rec.address.clone()),
        ));
        for a in &r.activities {
            if let Some(note) = a.note.as_deref().and_then(|n| terms.scrub(n)) {
                plan.activities.push((a.id, Some(note)));
            }
        }
        for m in &r.messages {
            if let Some(body) = terms.scrub(&m.body) {
                plan.messages.push((m.id, body));
            }
        }
        for a in &r.attachments {
            plan.attachments
                .push((a.id, format!("lampiran-{}{}", a.id, extension(&a.filename))));
        }
        for n in &r.notifications {
            plan.notifications.push((
                n.id,
                terms.scrub(&n.subject).unwrap_or_else(|| n.subject.clone()),
                terms.scrub(&n.body).unwrap_or_else(|| n.body.clone()),
            ));
        }
    }
    plan
}

fn exported_report(r: &Report) -> ExportedReport {
    let rec = &r.record;
    ExportedReport {
        tracking_id: rec.tracking_id.to_string(),
        kind: rec.kind.as_str().into(),
        title: rec.title.clone(),
        body: rec.body.clone(),
        occurred_on: rec.occurred_on,
        region_code: rec.region_code.clone(),
        address: rec.address.clone(),
        latitude: rec.latitude,
        longitude: rec.longitude,
        category: rec.category.clone(),
        channel: rec.channel.as_str().into(),
        visibility: rec
            .visibility
            .codes()
            .into_iter()
            .map(String::from)
            .collect(),
        show_reporter_name: rec.show_reporter_name,
        status: rec.status.as_str().into(),
        rating: rec.rating,
        outcome: rec.outcome.map(|o| o.as_str().into()),
        rating_comment: rec.rating_comment.clone(),
        created_at: rec.created_at,
        closed_at: rec.closed_at,
        messages: r
            .messages
            .iter()
            .map(|m| ExportedMessage {
                direction: m.direction.as_str().into(),
                channel: m.channel.as_str().into(),
                body: m.body.clone(),
                created_at: m.created_at,
            })
            .collect(),
        attachments: r
            .attachments
            .iter()
            .map(|a| ExportedAttachment {
                filename: a.filename.clone(),
                content_type: a.content_type.clone(),
                size_bytes: a.size_bytes,
                sha256: a.sha256.clone(),
                created_at: a.created_at,
            })
            .collect(),
        notifications: r
            .notifications
            .iter()
            .map(|n| ExportedNotification {
                channel: n.channel.as_str().into(),
                address: n.address.clone(),
                subject: n.subject.clone(),
                body: n.body.clone(),
                status: n.status.as_str().into(),
                created_at: n.created_at,
                sent_at: n.sent_at,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tanggap_domain::Channel;
    use tanggap_store::ReporterRecord;

    fn row() -> ReporterRow {
        ReporterRow {
            record: ReporterRecord {
                id: 1,
                name: Some("Sri Rahayu".into()),
                phone: Some("+6281277771234".into()),
                email: Some("sri@example.id".into()),
                nik: Some("3374015505800001".into()),
            },
            addresses: vec![(Channel::Telegram, "tg-99887766".into())],
            created_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            pseudonymised_at: None,
        }
    }

    #[test]
    fn names_numbers_and_addresses_are_taken_out_however_written() {
        let t = Terms::of(&row());
        assert_eq!(
            t.scrub(
                "Saya SRI RAHAYU, hubungi 0812-7777-1234 atau sri@EXAMPLE.id. NIK 3374015505800001."
            )
            .unwrap(),
            "Saya [dihapus], hubungi [dihapus] atau [dihapus]. NIK [dihapus]."
        );
        assert_eq!(
            t.scrub("Bu Rahayu sudah ditelepon ke +62 812 7777 1234")
                .unwrap(),
            "Bu [dihapus] sudah ditelepon ke [dihapus]"
        );
        assert_eq!(t.scrub("chat tg-99887766").unwrap(), "chat [dihapus]");
        assert_eq!(
            t.scrub("Jalan rusak di RT 02, nomor 0812 0000 9999"),
            None,
            "other numbers stay"
        );
        assert_eq!(t.scrub("Tidak ada nama"), None);
    }

    #[test]
    fn file_names_keep_only_their_extension() {
        assert_eq!(extension("KTP Sri Rahayu.JPG"), ".jpg");
        assert_eq!(extension("tanpa-titik"), "");
        assert_eq!(extension("aneh.<script>"), "");
    }
}
