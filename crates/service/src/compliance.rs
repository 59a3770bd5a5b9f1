//! The accountability figures (SPEC section 6) for a period: one computation for the JSON API,
//! the dashboards and the reports. Figures come from the stored response obligations and
//! assignments through `tanggap_domain::compliance`; heads are named from their history.

use crate::{Caller, Result, ServiceError, Services};
use std::collections::HashMap;
use tanggap_domain::compliance::{
    AgencyFigures, CompletionFact, ObligationOutcome, Period, TimelineFact, TimelineKind,
    from_counts, rebuild_obligations, total_from_counts,
};
use tanggap_domain::policy::Permission;
use tanggap_domain::{AgencyTree, ClockKind, ReportStatus, Stage, Timestamp};
use tanggap_store::{ActivityKind, HeadRecord, NewObligation, ObligationRecord};

/// Whose figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every agency (leadership, auditors, administrators, the desk).
    All,
    /// One agency and its sub-units.
    Agency(String),
    /// The caller's own agency and its sub-units (an agency's dashboard).
    Mine,
}

/// A head of an agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub name: String,
    pub position: Option<String>,
}

/// An obligation counted as lalai, with the head in office at its deadline: the evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LalaiItem {
    pub assignment_id: i64,
    pub tracking_id: String,
    pub agency_id: String,
    pub started_at: Timestamp,
    pub due_at: Timestamp,
    /// `None`: still unanswered.
    pub responded_at: Option<Timestamp>,
    pub head: Option<Head>,
}

/// One agency's line.
#[derive(Debug, Clone)]
pub struct AgencyLine {
    pub agency_id: String,
    pub name: String,
    /// The head now (or at the end of a past period).
    pub head: Option<Head>,
    pub figures: AgencyFigures,
}

/// The figures of a period.
#[derive(Debug, Clone)]
pub struct Compliance {
    pub period: Period,
    pub at: Timestamp,
    /// Worst first: most unanswered overdue, then lowest compliance.
    pub agencies: Vec<AgencyLine>,
    pub total: AgencyFigures,
    /// Every lalai obligation, unanswered first, then by deadline.
    pub lalai: Vec<LalaiItem>,
}

/// The head of `agency` at `t` from the history.
pub(crate) fn head_at(heads: &[HeadRecord], agency: &str, t: Timestamp) -> Option<Head> {
    heads
        .iter()
        .rfind(|h| h.agency_id == agency && h.since <= t)
        .map(|h| Head {
            name: h.name.clone(),
            position: h.position.clone(),
        })
}

/// The head history by agency (oldest first), to name the head of each of many items without
/// going through every agency's history for each.
pub(crate) struct HeadIndex<'a>(HashMap<&'a str, Vec<&'a HeadRecord>>);

impl<'a> HeadIndex<'a> {
    pub(crate) fn new(heads: &'a [HeadRecord]) -> Self {
        let mut by: HashMap<&str, Vec<&HeadRecord>> = HashMap::new();
        for h in heads {
            by.entry(h.agency_id.as_str()).or_default().push(h);
        }
        HeadIndex(by)
    }

    /// As [`head_at`].
    pub(crate) fn at(&self, agency: &str, t: Timestamp) -> Option<Head> {
        self.0
            .get(agency)?
            .iter()
            .rfind(|h| h.since <= t)
            .map(|h| Head {
                name: h.name.clone(),
                position: h.position.clone(),
            })
    }
}

impl Services {
    /// The accountability figures of `period` for `scope`, as of now.
    pub async fn compliance(
        &self,
        caller: &Caller,
        period: Period,
        scope: Scope,
    ) -> Result<Compliance> {
        let now = self.now();
        let (_, cal) = self.policy_and_calendar().await?;
        let agencies = self.known_agencies().await?;
        let tree = AgencyTree::from_agencies(&agencies);
        let within: Option<Vec<String>> = match &scope {
            Scope::All => {
                caller.require(Permission::ViewCompliance)?;
                None
            }
            Scope::Agency(a) => {
                if !caller.may(Permission::ViewCompliance) {
                    let mine = caller.user().and_then(|u| u.agency_id.clone());
                    caller.require(Permission::ViewAgencyDashboard)?;
                    if !mine.is_some_and(|m| tree.is_within(a, &m)) {
                        return Err(ServiceError::Refused(
                            crate::Refusal::new(
                                crate::RefusalKind::Forbidden,
                                "agency_outside_scope",
                            )
                            .with("agency", a),
                        ));
                    }
                }
                if !tree.contains(a) {
                    return Err(ServiceError::not_found("agency", a));
                }
                Some(tree.subtree(a))
            }
            Scope::Mine => {
                caller.require(Permission::ViewAgencyDashboard)?;
                let mine = caller
                    .user()
                    .and_then(|u| u.agency_id.clone())
                    .unwrap_or_default();
                Some(tree.subtree(&mine))
            }
        };
        let (from, to) = period.instants(&cal);
        // Counted by the database (a quarter of a province is too many obligations to load);
        // the conformance suite checks the counts against `compute` on the same facts.
        // The counts and the evidence are two reads: both at once.
        let (counts, lalai_rows) = tokio::try_join!(
            self.store
                .compliance_counts(from, to, within.as_deref(), now),
            self.store
                .lalai_obligations(from, to, within.as_deref(), now)
        )?;
        let running: Vec<CompletionFact> = counts
            .running_completions
            .iter()
            .map(|(agency_id, c)| CompletionFact::running(agency_id, c, now, &cal))
            .collect();
        let figures = from_counts(
            &counts.obligations,
            &counts.assignments,
            &running,
            lalai_rows
                .iter()
                .map(|o| (o.agency_id.as_str(), o.tracking_id.as_str())),
        );
        let total = total_from_counts(&counts.total, &figures);
        let heads = self.store.agency_heads().await?;
        let as_of = to.min(now);
        let names: HashMap<&str, &str> = agencies
            .iter()
            .map(|a| (a.id.as_str(), a.name.as_str()))
            .collect();
        let mut lines: Vec<AgencyLine> = figures
            .into_iter()
            .map(|(id, f)| AgencyLine {
                name: names.get(id.as_str()).copied().unwrap_or(&id).to_string(),
                head: head_at(&heads, &id, as_of),
                agency_id: id,
                figures: f,
            })
            .collect();
        lines.sort_by(|a, b| {
            b.figures
                .unresponded_overdue
                .cmp(&a.figures.unresponded_overdue)
                .then(
                    a.figures
                        .compliance()
                        .unwrap_or(1.0)
                        .total_cmp(&b.figures.compliance().unwrap_or(1.0)),
                )
                .then(a.name.cmp(&b.name))
        });
        let index = HeadIndex::new(&heads);
        let mut lalai: Vec<LalaiItem> = lalai_rows
            .iter()
            .map(|o| LalaiItem {
                assignment_id: o.assignment_id,
                tracking_id: o.tracking_id.to_string(),
                agency_id: o.agency_id.clone(),
                started_at: o.started_at,
                due_at: o.due_at,
                responded_at: o.responded_at,
                head: index.at(&o.agency_id, o.due_at),
            })
            .collect();
        lalai.sort_by_key(|l| (l.responded_at.is_some(), l.due_at));
        Ok(Compliance {
            period,
            at: now,
            agencies: lines,
            total,
            lalai,
        })
    }

    /// The figures the public sees: every agency's counts, rates and times; no heads, no
    /// tracking IDs (a confidential report's ID is not public).
    pub async fn public_compliance(&self, period: Period) -> Result<Compliance> {
        let mut c = self.compliance(&Caller::System, period, Scope::All).await?;
        c.lalai.clear();
        c.total.lalai_tracking_ids.clear();
        for a in &mut c.agencies {
            a.head = None;
            a.figures.lalai_tracking_ids.clear();
        }
        Ok(c)
    }

    /// Heads of every agency, oldest first (for whoever may see the figures).
    pub async fn agency_heads(&self, caller: &Caller) -> Result<Vec<HeadRecord>> {
        if !caller.may(Permission::ViewCompliance) {
            caller.require(Permission::ViewAgencyDashboard)?;
        }
        Ok(self.store.agency_heads().await?)
    }

    /// A report's response obligations with how each counts now: the evidence behind the
    /// figures, for the staff who may read the report's internal record (others get none).
    pub async fn report_obligations(
        &self,
        opened: &crate::OpenedReport,
    ) -> Result<Vec<ReportObligation>> {
        if !opened.disclosure.internal {
            return Ok(vec![]);
        }
        let now = self.now();
        Ok(self
            .store
            .report_obligations(opened.report.id)
            .await?
            .into_iter()
            .map(|o| ReportObligation {
                outcome: outcome_of(&o, now),
                lalai: o.fact().is_lalai(now),
                record: o,
            })
            .collect())
    }

    /// Reports that predate response obligations get theirs from their timeline, once (an
    /// upgrade). Returns how many were stored.
    pub async fn rebuild_obligations(&self) -> Result<u64> {
        if self.store.count_obligations().await? > 0 {
            return Ok(0);
        }
        let (policy, cal) = self.policy_and_calendar().await?;
        let epoch = Timestamp::UNIX_EPOCH;
        let far = self.now() + chrono::TimeDelta::days(3650);
        let assignments = self.store.assignment_facts(epoch, far).await?;
        if assignments.is_empty() {
            return Ok(0);
        }
        let mut by_report: HashMap<i64, Vec<&tanggap_store::AssignmentFact>> = HashMap::new();
        for a in &assignments {
            by_report.entry(a.report_id).or_default().push(a);
        }
        let mut rows = Vec::new();
        for (report_id, list) in by_report {
            let activities = self.store.activities(report_id).await?;
            let view = self.store.report_view(report_id).await?;
            let timeline: Vec<TimelineFact> = activities
                .iter()
                .filter_map(|x| {
                    let kind = match x.kind {
                        ActivityKind::StageUpdate | ActivityKind::Returned => TimelineKind::Answer,
                        ActivityKind::Forwarded if x.stage == Some(Stage::Diteruskan) => {
                            TimelineKind::Answer
                        }
                        ActivityKind::Restarted => TimelineKind::Restarted,
                        ActivityKind::StatusChanged
                            if x.status.is_some_and(|s| {
                                matches!(
                                    s,
                                    ReportStatus::Selesai
                                        | ReportStatus::Ditutup
                                        | ReportStatus::Diarsipkan
                                        | ReportStatus::Duplikat
                                )
                            }) =>
                        {
                            TimelineKind::ReportEnded
                        }
                        _ => return None,
                    };
                    Some(TimelineFact {
                        at: x.created_at,
                        assignment_id: x.assignment_id,
                        kind,
                    })
                })
                .collect();
            for a in list {
                let stored = view.as_ref().and_then(|v| {
                    v.assignments
                        .iter()
                        .find(|x| x.id == a.assignment_id)
                        .and_then(|x| x.clocks.iter().find(|c| c.kind == ClockKind::FirstResponse))
                        .cloned()
                });
                let due_of = |start: Timestamp| match &stored {
                    Some(c) if c.started_at == start => c.due_at.unwrap_or(start),
                    _ => policy
                        .first_response
                        .start(ClockKind::FirstResponse, start, &cal)
                        .due_at
                        .unwrap_or(start),
                };
                for o in rebuild_obligations(a.assignment_id, a.created_at, &timeline, due_of) {
                    rows.push(NewObligation {
                        assignment_id: a.assignment_id,
                        cycle: o.cycle,
                        started_at: o.started_at,
                        due_at: o.due_at,
                        responded_at: o.responded_at,
                        cancelled_at: o.cancelled_at,
                    });
                }
            }
        }
        Ok(self.store.insert_obligations(&rows, self.now()).await?)
    }
}

/// One response obligation of a report and how it counts now.
#[derive(Debug, Clone)]
pub struct ReportObligation {
    pub record: ObligationRecord,
    pub outcome: ObligationOutcome,
    /// Named in the accountability report (unanswered past the deadline, or answered late).
    pub lalai: bool,
}

/// How one obligation counts now (for a report's page).
pub fn outcome_of(o: &ObligationRecord, now: Timestamp) -> ObligationOutcome {
    o.fact().outcome(now)
}
