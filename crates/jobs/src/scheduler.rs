//! The sweep: claim the clocks that are due, act on each crossed threshold in order, record.

use crate::digest;
use crate::messages::{self, Context as Words};
use crate::recipients::{Directory, dedupe};
use crate::{JobError, Result};
use chrono::TimeDelta;
use futures_util::{StreamExt, stream};
use std::collections::HashMap;
use std::sync::Arc;
use tanggap_domain::escalation::{
    EscalationAction, NotifyChannel, RecipientKind, action_for, idempotency_key,
};
use tanggap_domain::workflow::{Actor, Command};
use tanggap_domain::{ReportStatus, SlaPolicy, Timestamp, WorkingCalendar};
use tanggap_service::{ServiceError, Services};
use tanggap_store::{ClockFiring, DueClock, NewNotification, ReportRecord, Store};

#[derive(Debug, Clone)]
pub struct SchedulerSettings {
    /// Clocks claimed per round trip.
    pub batch: u32,
    /// How long a claim keeps other instances off a clock. A sweep that dies holding clocks
    /// delays them by at most this much.
    pub lease: TimeDelta,
    /// Reports worked on at once.
    pub concurrency: usize,
    /// Local hour (policy time zone) from which the morning digest goes out.
    pub digest_hour: u32,
    /// Rounds of claiming per sweep, so that one sweep ends even if clocks keep coming due.
    pub max_batches: u32,
    /// The public address, for the link in leadership's daily digest (`JobsConfig::public_url`
    /// when not set here).
    pub public_url: Option<String>,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        SchedulerSettings {
            batch: 500,
            lease: TimeDelta::minutes(5),
            concurrency: 16,
            digest_hour: 7,
            max_batches: 100,
            public_url: None,
        }
    }
}

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Clocks claimed.
    pub claimed: usize,
    /// Thresholds acted on.
    pub fired: usize,
    /// Clocks whose next threshold was only worked out again (nothing crossed yet).
    pub rescheduled: usize,
    /// Firings refused because the report or clock had moved on since the claim (another
    /// instance, or a workflow change): they are looked at again on fresh state.
    pub stale: usize,
    /// Reports closed by the auto-close clock.
    pub auto_closed: usize,
    /// Notifications enqueued (escalations and digests).
    pub notifications: usize,
    /// Agencies that got a morning digest.
    pub digests: usize,
    /// Clocks left for a later sweep because of an error (logged).
    pub errors: usize,
}

impl SweepReport {
    fn add(&mut self, o: &SweepReport) {
        self.claimed += o.claimed;
        self.fired += o.fired;
        self.rescheduled += o.rescheduled;
        self.stale += o.stale;
        self.auto_closed += o.auto_closed;
        self.notifications += o.notifications;
        self.digests += o.digests;
        self.errors += o.errors;
    }
}

/// The clock scheduler. [`Scheduler::sweep`] is a plain step: it does everything due at `now`
/// and returns; [`crate::spawn`] calls it every few seconds, tests call it with a manual clock.
pub struct Scheduler {
    services: Arc<Services>,
    /// The scheduler's own machinery (claims, firings, the outbox) is not a door for anyone's
    /// requests: the wiring hands it the store. What it does to a report (auto-close) goes
    /// through the use case like every other change.
    store: Arc<dyn Store>,
    settings: SchedulerSettings,
}

/// What a sweep reads once, shared by the reports it works on concurrently.
struct Sweep<'a> {
    now: Timestamp,
    policy: &'a SlaPolicy,
    cal: &'a WorkingCalendar,
    directory: &'a Directory,
}

impl Scheduler {
    pub fn new(
        services: Arc<Services>,
        store: Arc<dyn Store>,
        settings: SchedulerSettings,
    ) -> Self {
        Scheduler {
            services,
            store,
            settings,
        }
    }

    /// Do everything due at `now`: act on every crossed threshold of every due clock (each
    /// clock's thresholds in order), then enqueue the heads' morning digest and leadership's
    /// daily digest if it is time.
    ///
    /// Reports are worked on concurrently (`concurrency` at a time; on SQLite their firings then
    /// share group commits), the clocks of one report one after another, since each firing moves
    /// the report's version.
    pub async fn sweep(&self, now: Timestamp) -> Result<SweepReport> {
        let (policy, cal) = self.services.policy_and_calendar().await?;
        let store = &self.store;
        let mut report = SweepReport::default();
        let mut directory: Option<Directory> = None;
        for _ in 0..self.settings.max_batches {
            let batch = store
                .claim_due_clocks(now, self.settings.batch, self.settings.lease)
                .await?;
            if batch.is_empty() {
                break;
            }
            let n = batch.len();
            report.claimed += n;
            if directory.is_none() {
                directory = Some(Directory::load(store.as_ref()).await?);
            }
            let Some(dir) = directory.as_ref() else { break };
            let s = Sweep {
                now,
                policy: &policy,
                cal: &cal,
                directory: dir,
            };
            let mut groups: Vec<Vec<DueClock>> = Vec::new();
            let mut index: HashMap<i64, usize> = HashMap::new();
            for d in batch {
                let i = *index.entry(d.report_id).or_insert_with(|| {
                    groups.push(Vec::new());
                    groups.len() - 1
                });
                groups[i].push(d);
            }
            let s = &s;
            let results: Vec<SweepReport> = stream::iter(groups)
                .map(|clocks| self.work_report(s, clocks))
                .buffer_unordered(self.settings.concurrency.max(1))
                .collect()
                .await;
            let stale_before = report.stale;
            for r in &results {
                report.add(r);
            }
            // A full batch means more may be due; a stale firing gave its clock back, to be
            // looked at again at once on fresh state.
            if n < self.settings.batch as usize && report.stale == stale_before {
                break;
            }
        }
        let (digests, notes) = digest::morning_digest(
            store.as_ref(),
            now,
            &cal,
            self.settings.digest_hour,
            &mut directory,
        )
        .await?;
        report.digests = digests;
        report.notifications += notes;
        metrics::counter!("tanggap_clock_steps_fired_total").increment(report.fired as u64);
        metrics::counter!("tanggap_reports_auto_closed_total").increment(report.auto_closed as u64);
        report.notifications += digest::leadership_digest(
            &self.services,
            store.as_ref(),
            now,
            &cal,
            self.settings.digest_hour,
            &mut directory,
            self.settings.public_url.as_deref(),
        )
        .await?;
        Ok(report)
    }

    /// The due clocks of one report, one after another.
    async fn work_report(&self, s: &Sweep<'_>, clocks: Vec<DueClock>) -> SweepReport {
        let mut report = SweepReport::default();
        let mut version: Option<i64> = None;
        for due in clocks {
            match self.work(s, &due, version, &mut report).await {
                Ok(v) => version = v.or(version),
                Err(e) => {
                    report.errors += 1;
                    tracing::warn!(
                        error = %e,
                        report_id = due.report_id,
                        assignment_id = due.assignment_id,
                        clock = due.clock.kind.as_str(),
                        "could not act on a due clock; it is retried when its lease ends"
                    );
                }
            }
        }
        report
    }

    /// Act on every crossed threshold of one claimed clock, in order, then leave it scheduled
    /// for its next one.
    ///
    /// `known_version`: the report's version after this sweep's earlier firings on it. Returns
    /// the version after this clock's firings, if it moved.
    async fn work(
        &self,
        s: &Sweep<'_>,
        due: &DueClock,
        known_version: Option<i64>,
        report: &mut SweepReport,
    ) -> Result<Option<i64>> {
        let store = &self.store;
        let kind = due.clock.kind;
        let thresholds = s.policy.thresholds(kind);
        let mut clock = due.clock.clone();
        let mut status = due.report_status;
        let mut version = known_version.map_or(due.report_version, |v| v.max(due.report_version));
        let mut acted = false;
        let mut tried_close = false;
        loop {
            let next = clock.next_threshold(&thresholds);
            let crossed = next.and_then(|p| clock.crossed_at(p, s.cal));
            let (Some(percent), Some(at)) = (next, crossed.filter(|t| *t <= s.now)) else {
                // Nothing (more) crossed: leave the clock scheduled for its next threshold. After
                // a firing that is already so; a clock claimed for nothing (scheduled before this
                // policy or calendar, or by the migration) is put right.
                if !acted || crossed != clock.next_fire_at {
                    let firing = ClockFiring {
                        report_id: due.report_id,
                        assignment_id: due.assignment_id,
                        kind,
                        expected_version: version,
                        expected_started_at: clock.started_at,
                        expected_fired: clock.fired,
                        fired: clock.fired,
                        next_fire_at: crossed,
                        action: None,
                        negligent_at: None,
                        notifications: vec![],
                        at: s.now,
                    };
                    if store.fire_clock(&firing).await? {
                        report.rescheduled += 1;
                    } else {
                        report.stale += 1;
                    }
                }
                return Ok(acted.then_some(version));
            };
            let last = thresholds.last() == Some(&percent);
            let action = action_for(kind, percent, last);
            if action == Some(EscalationAction::AutoClose)
                && status == ReportStatus::Selesai
                && !tried_close
            {
                tried_close = true;
                match self
                    .services
                    .execute(due.report_id, &Actor::System, Command::AutoClose, vec![])
                    .await
                {
                    Ok(_) => report.auto_closed += 1,
                    // Confirmed, reopened or replied to in the meantime: nothing to close.
                    Err(e) if e.code() == "invalid_transition" => {}
                    Err(e) => return Err(JobError::Service(e)),
                }
                // Closing stopped the clock and moved the version: carry on from what is stored.
                let view = store.report_view(due.report_id).await?.ok_or_else(|| {
                    JobError::Service(ServiceError::not_found("report", due.report_id))
                })?;
                // The threshold was reached, whoever closed the report: record it against the
                // stored clock. If a reply restarted the clock instead, the claimed one is gone
                // and the firing below is refused, which gives the lease back.
                if let Some(fresh) = view
                    .clocks
                    .iter()
                    .find(|c| c.kind == kind)
                    .filter(|c| c.started_at == clock.started_at && c.fired == clock.fired)
                {
                    clock = fresh.clone();
                    version = view.version;
                    status = view.status;
                }
            }
            let notifications = self.notifications(s, due, &clock, percent, action).await?;
            let mut after = clock.clone();
            after.fired = percent;
            after.reschedule(&thresholds, s.cal);
            let count = notifications.len();
            let firing = ClockFiring {
                report_id: due.report_id,
                assignment_id: due.assignment_id,
                kind,
                expected_version: version,
                expected_started_at: clock.started_at,
                expected_fired: clock.fired,
                fired: percent,
                next_fire_at: after.next_fire_at,
                action,
                negligent_at: (action == Some(EscalationAction::MarkNegligent)).then_some(at),
                notifications,
                at: s.now,
            };
            if !store.fire_clock(&firing).await? {
                report.stale += 1;
                return Ok(acted.then_some(version));
            }
            report.fired += 1;
            report.notifications += count;
            version += 1;
            clock = after;
            acted = true;
        }
    }

    async fn notifications(
        &self,
        s: &Sweep<'_>,
        due: &DueClock,
        clock: &tanggap_domain::Clock,
        percent: u32,
        action: Option<EscalationAction>,
    ) -> Result<Vec<NewNotification>> {
        let Some(action) = action else {
            return Ok(vec![]);
        };
        if action.recipients().is_empty() {
            return Ok(vec![]);
        }
        let store = &self.store;
        let dir = s.directory;
        let report: Option<ReportRecord> = if action.recipients().contains(&RecipientKind::Reporter)
        {
            store.report(due.report_id).await?
        } else {
            None
        };
        let agency = due.agency_id.as_deref();
        let mut addresses = Vec::new();
        for kind in action.recipients() {
            addresses.extend(dir.addresses(*kind, agency, report.as_ref()));
        }
        let tracking = due.tracking_id.to_string();
        let words = Words {
            tracking_id: &tracking,
            agency_name: agency.and_then(|a| dir.agency(a)).map(|a| a.name.as_str()),
            clock,
            percent,
            policy: s.policy,
            tz: s.cal.tz(),
        };
        let (subject, body) = messages::compose(action, &words);
        let phone_body = format!(
            "{body}\n\n{}",
            tanggap_service::chat::staff_answer_hint(&tracking)
        );
        Ok(dedupe(addresses)
            .into_iter()
            .map(|a| NewNotification {
                idempotency_key: idempotency_key(
                    due.report_id,
                    due.assignment_id,
                    clock.kind,
                    clock.started_at,
                    percent,
                    &a.token(),
                ),
                action: action.as_str().into(),
                report_id: Some(due.report_id),
                assignment_id: due.assignment_id,
                agency_id: due.agency_id.clone(),
                recipient: a.kind,
                user_id: a.user_id,
                subject: subject.clone(),
                // A staff member's registered phone can answer the reminder itself.
                body: if a.user_id.is_some()
                    && a.channel == NotifyChannel::Whatsapp
                    && matches!(
                        action,
                        EscalationAction::RemindOfficers | EscalationAction::NotifyHead
                    ) {
                    phone_body.clone()
                } else {
                    body.clone()
                },
                channel: a.channel,
                address: a.address,
            })
            .collect())
    }
}
