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
use tanggap_domain::escalation::{NotifyChannel, RecipientKind, digest_key};
use tanggap_domain::{ClockKind, Timestamp, WorkingCalendar};
use tanggap_service::dashboards::{DueToday, due_today, end_of_today};
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
