//! The morning digest: at 07:00 in the policy's time zone, each agency head gets one message
//! listing the agency's assignments due today and overdue (with tracking IDs); an agency with
//! nothing due gets nothing.
//!
//! Once a day: the store records the date together with the digest's notifications, so several
//! instances, or a restart, never send a day's digest twice. After downtime across 07:00 the
//! digest goes out when the scheduler is back, for that day only (yesterday's list is stale).

use crate::Result;
use crate::messages::local;
use crate::recipients::{Address, Directory, dedupe};
use chrono::Timelike;
use tanggap_domain::escalation::{NotifyChannel, RecipientKind, digest_key, leadership_digest_key};
use tanggap_domain::{ClockKind, Timestamp, WorkingCalendar};
use tanggap_service::compliance::Head;
use tanggap_service::daily_digest::{DailyDigest, OverdueItem};
use tanggap_service::dashboards::{DueToday, due_today, end_of_today};
use tanggap_service::{Caller, Services};
use tanggap_store::{DigestItem, NewNotification, Store};

pub(crate) const JOB: &str = "digest";

/// Enqueue today's digests if they are due and not done; returns (agencies, notifications).
pub(crate) async fn morning_digest(
    store: &dyn Store,
    now: Timestamp,
    cal: &WorkingCalendar,
    hour: u32,
    directory: &mut Option<Directory>,
) -> Result<(usize, usize)> {
    let tz = cal.tz();
    let local_now = now.with_timezone(&tz);
    if local_now.hour() < hour {
        return Ok((0, 0));
    }
    let date = local_now.date_naive();
    if store
        .daily_job_last_date(JOB)
        .await?
        .is_some_and(|d| d >= date)
    {
        return Ok((0, 0));
    }
    let items = store.digest_items(end_of_today(now, cal)).await?;
    let by_agency = due_today(&items, now, cal);
    if directory.is_none() && !by_agency.is_empty() {
        *directory = Some(Directory::load(store).await?);
    }
    let mut notes = Vec::new();
    let mut agencies = 0;
    if let Some(dir) = directory.as_ref() {
        for (agency_id, lists) in &by_agency {
            // E-mail to the head's address and the kepala users' inboxes; not WhatsApp: a list
            // belongs in a mailbox, and the ladder already reaches the head's phone when urgent.
            let addresses: Vec<Address> = dedupe(
                dir.addresses(RecipientKind::Head, Some(agency_id.as_str()), None)
                    .into_iter()
                    .filter(|a| a.channel != NotifyChannel::Whatsapp)
                    .collect(),
            );
            if addresses.is_empty() {
                continue;
            }
            agencies += 1;
            let name = dir
                .agency(agency_id)
                .map_or(agency_id.as_str(), |a| a.name.as_str());
            let (subject, body) = compose(name, lists, tz);
            for a in addresses {
                notes.push(NewNotification {
                    idempotency_key: digest_key(agency_id, date, &a.token()),
                    action: "digest".into(),
                    report_id: None,
                    assignment_id: None,
                    agency_id: Some(agency_id.to_string()),
                    recipient: a.kind,
                    user_id: a.user_id,
                    channel: a.channel,
                    address: a.address,
                    subject: subject.clone(),
                    body: body.clone(),
                });
            }
        }
    }
    if store.complete_daily_job(JOB, date, &notes, now).await? {
        Ok((agencies, notes.len()))
    } else {
        Ok((0, 0))
    }
}

fn compose(agency: &str, lists: &DueToday, tz: chrono_tz::Tz) -> (String, String) {
    let (overdue, today) = (&lists.overdue, &lists.today);
    let line = |i: &DigestItem| {
        let what = match i.kind {
            ClockKind::FirstResponse => "respons pertama",
            _ => "penyelesaian",
        };
        format!(
            "- {} · {what} · batas {}",
            i.tracking_id,
            local(i.due_at, tz)
        )
    };
    let mut body = format!("Ringkasan pagi untuk {agency}.\n");
    if !overdue.is_empty() {
        body.push_str(&format!("\nTerlambat ({}):\n", overdue.len()));
        for i in overdue {
            body.push_str(&line(i));
            body.push('\n');
        }
    }
    if !today.is_empty() {
        body.push_str(&format!("\nJatuh tempo hari ini ({}):\n", today.len()));
        for i in today {
            body.push_str(&line(i));
            body.push('\n');
        }
    }
    (
        format!(
            "Ringkasan pagi {agency}: {} terlambat, {} jatuh tempo hari ini",
            overdue.len(),
            today.len()
        ),
        body,
    )
}

/// The daily-job name of leadership's digest.
pub(crate) const LEADERSHIP_JOB: &str = "leadership-digest";

/// Tracking IDs named per list in a message; the page has them all.
const IDS_IN_MESSAGE: usize = 10;

/// Enqueue leadership's digest of yesterday (`Services::daily_digest`), once a day from
/// `hour`: in the inbox and by e-mail in full, on WhatsApp in a few lines with the link to the
/// page. Returns the notifications enqueued. With no `pimpinan` user the day is marked done
/// without computing anything.
pub(crate) async fn leadership_digest(
    services: &Services,
    store: &dyn Store,
    now: Timestamp,
    cal: &WorkingCalendar,
    hour: u32,
    directory: &mut Option<Directory>,
    public_url: Option<&str>,
) -> Result<usize> {
    let tz = cal.tz();
    let local_now = now.with_timezone(&tz);
    if local_now.hour() < hour {
        return Ok(0);
    }
    let today = local_now.date_naive();
    if store
        .daily_job_last_date(LEADERSHIP_JOB)
        .await?
        .is_some_and(|d| d >= today)
    {
        return Ok(0);
    }
    if directory.is_none() {
        *directory = Some(Directory::load(store).await?);
    }
    let addresses = directory
        .as_ref()
        .map(Directory::leadership)
        .unwrap_or_default();
    let mut notes = Vec::new();
    if !addresses.is_empty() {
        let yesterday = today.pred_opt().unwrap_or(today);
        let d = services
            .daily_digest(&Caller::System, Some(yesterday))
            .await?;
        let link = format!(
            "{}/pimpinan/ringkasan?tanggal={}",
            public_url.unwrap_or("").trim_end_matches('/'),
            d.date
        );
        let (subject, full) = compose_leadership(&d, &link);
        let short = compose_leadership_chat(&d, &link);
        for a in addresses {
            let body = if a.channel == NotifyChannel::Whatsapp {
                short.clone()
            } else {
                full.clone()
            };
            notes.push(NewNotification {
                idempotency_key: leadership_digest_key(d.date, &a.token()),
                action: "leadership_digest".into(),
                report_id: None,
                assignment_id: None,
                agency_id: None,
                recipient: a.kind,
                user_id: a.user_id,
                channel: a.channel,
                address: a.address,
                subject: subject.clone(),
                body,
            });
        }
    }
    if store
        .complete_daily_job(LEADERSHIP_JOB, today, &notes, now)
        .await?
    {
        Ok(notes.len())
    } else {
        Ok(0)
    }
}

/// `14-12-2026`.
fn day(d: chrono::NaiveDate) -> String {
    d.format("%d-%m-%Y").to_string()
}

/// `2 jam 5 menit`.
fn span(d: chrono::TimeDelta) -> String {
    let m = d.num_minutes().max(0);
    match (m / 60, m % 60) {
        (0, m) => format!("{m} menit"),
        (h, 0) => format!("{h} jam"),
        (h, m) => format!("{h} jam {m} menit"),
    }
}

fn percent(r: Option<f64>) -> String {
    r.map_or_else(|| "-".into(), |r| format!("{:.0}%", r * 100.0))
}

/// `A, B, C dan 4 lainnya`.
fn ids(items: &[OverdueItem]) -> String {
    let mut s = items
        .iter()
        .take(IDS_IN_MESSAGE)
        .map(|i| i.tracking_id.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > IDS_IN_MESSAGE {
        s.push_str(&format!(" dan {} lainnya", items.len() - IDS_IN_MESSAGE));
    }
    s
}

fn head(h: &Option<Head>) -> String {
    match h {
        Some(Head {
            name,
            position: Some(p),
        }) => format!(" (Kepala: {name}, {p})"),
        Some(Head { name, .. }) => format!(" (Kepala: {name})"),
        None => String::new(),
    }
}

/// Subject and the full text (inbox and e-mail).
fn compose_leadership(d: &DailyDigest, link: &str) -> (String, String) {
    let (fr, co) = d.overdue_totals();
    let subject = format!(
        "Ringkasan harian Tanggap {}: {} laporan masuk, {} belum direspons lewat tenggat",
        day(d.date),
        d.received,
        fr
    );
    let mut b = format!("Ringkasan harian untuk pimpinan: {}.\n\n", day(d.date));
    b.push_str(&format!("Laporan masuk: {}\n", d.received));
    for (c, n) in &d.by_category {
        let name = c
            .as_ref()
            .map_or("Belum berkategori", |c| c.name_id.as_str());
        b.push_str(&format!("- {name}: {n}\n"));
    }
    b.push_str(&format!(
        "\nRespons instansi atas disposisi {} (sampai sekarang):\n",
        day(d.date)
    ));
    if d.responses.agencies.is_empty() {
        b.push_str("- Tidak ada disposisi.\n");
    }
    for a in &d.responses.agencies {
        let f = &a.figures;
        b.push_str(&format!(
            "- {}: {} disposisi, {} tepat waktu, {} terlambat, {} belum direspons lewat tenggat, {} belum jatuh tempo",
            a.name, f.received, f.on_time, f.late, f.unresponded_overdue, f.not_yet_due
        ));
        if let Some(m) = f.median_response {
            b.push_str(&format!("; median respons {}", span(m)));
        }
        b.push('\n');
    }
    if !d.responses.agencies.is_empty() {
        b.push_str(&format!(
            "Kepatuhan respons hari itu: {}\n",
            percent(d.responses.total.compliance())
        ));
    }
    b.push_str(&format!(
        "\nLewat tenggat sekarang: {fr} belum direspons lewat 1×24 jam, {co} belum tuntas lewat target.\n"
    ));
    for a in &d.overdue {
        b.push_str(&format!("- {}{}:", a.name, head(&a.head)));
        if !a.first_response.is_empty() {
            b.push_str(&format!(
                " {} belum direspons ({})",
                a.first_response.len(),
                ids(&a.first_response)
            ));
        }
        if !a.completion.is_empty() {
            if !a.first_response.is_empty() {
                b.push(';');
            }
            b.push_str(&format!(
                " {} belum tuntas ({})",
                a.completion.len(),
                ids(&a.completion)
            ));
        }
        b.push('\n');
    }
    b.push_str(&format!("\nSelengkapnya: {link}\n"));
    (subject, b)
}

/// A few lines for a chat message.
fn compose_leadership_chat(d: &DailyDigest, link: &str) -> String {
    let (fr, co) = d.overdue_totals();
    let worst = d
        .overdue
        .first()
        .filter(|a| !a.first_response.is_empty())
        .map(|a| format!(" (terbanyak: {} {})", a.name, a.first_response.len()))
        .unwrap_or_default();
    format!(
        "Ringkasan harian Tanggap {}: {} laporan masuk; respons tepat waktu {}. Sekarang {fr} belum direspons lewat 1×24 jam{worst}, {co} belum tuntas lewat target. Selengkapnya: {link}",
        day(d.date),
        d.received,
        percent(d.responses.total.compliance()),
    )
}
