//! One way from a request to a report change. Every door that acts on a report (the JSON API,
//! the staff and tracking pages, and later the chat channels and Open311) fills an [`Action`]
//! with the strings it received and calls [`Services::act`]: the action's permission is checked
//! first, its text is cleaned and its codes parsed here, references (category, region, master
//! report) are looked up here, and the workflow decides. So the doors accept and refuse the same
//! things, with the same codes.

use crate::text::{self, Checker};
use crate::{Caller, FieldError, Result, ServiceError, Services};
use tanggap_domain::policy::Permission;
use tanggap_domain::workflow::{Actor, Command, DispatchTarget, ReportEdit};
use tanggap_domain::{AssignmentRole, Outcome, Region, ReportKind, Stage, TrackingId, Visibility};
use tanggap_store::{Applied, NewAttachment};

/// Verification by the desk: `None` keeps a value; an empty category, region or address keeps it
/// too (a form sends every field back).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerifyInput {
    pub kind: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub category: Option<String>,
    pub region_code: Option<String>,
    pub address: Option<String>,
    /// Visibility codes: `publik`, or any of `anonim`, `rahasia`. An empty list is `publik`.
    pub visibility: Option<Vec<String>>,
    pub needs_field_check: Option<bool>,
    /// Record that the desk checked the report ("Terverifikasi"), with or without edits.
    pub confirm: bool,
}

/// A request to change a report, as a door received it.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Verify(VerifyInput),
    /// `(agency id, role code)` pairs; role `utama` or `pendukung`.
    Dispatch {
        agencies: Vec<(String, String)>,
        note: Option<String>,
        /// Show the note to the reporter and the public (else only staff read it).
        note_public: bool,
        /// Classify the report first (a suggestion taken in one click names its category).
        category: Option<String>,
    },
    AskReporter {
        text: String,
    },
    MessageReporter {
        text: String,
    },
    MarkDuplicate {
        master_tracking_id: String,
    },
    Archive {
        reason: String,
    },
    PostUpdate {
        assignment_id: i64,
        stage: String,
        note: String,
    },
    ReturnAssignment {
        assignment_id: i64,
        reason: String,
    },
    ForwardAssignment {
        assignment_id: i64,
        agency_id: String,
        note: String,
    },
    AddInstruction {
        note: String,
    },
    /// The reporter answers a question or adds information.
    Reply {
        text: String,
    },
    Confirm,
    Rate {
        score: i64,
        outcome: String,
        comment: Option<String>,
    },
    Reopen {
        reason: String,
    },
    /// The reporter takes back a report not yet dispatched.
    Withdraw {
        reason: String,
    },
}

impl Action {
    /// What the permission table must allow before anything else is looked at.
    pub fn permission(&self) -> Permission {
        match self {
            Action::Verify(_) => Permission::VerifyReport,
            Action::Dispatch { .. } => Permission::DispatchReport,
            Action::AskReporter { .. } | Action::MessageReporter { .. } => {
                Permission::WriteToReporter
            }
            Action::MarkDuplicate { .. } => Permission::MarkDuplicate,
            Action::Archive { .. } => Permission::ArchiveReport,
            Action::PostUpdate { .. }
            | Action::ReturnAssignment { .. }
            | Action::ForwardAssignment { .. } => Permission::WorkAssignment,
            Action::AddInstruction { .. } => Permission::AddInstruction,
            Action::Reply { .. }
            | Action::Confirm
            | Action::Rate { .. }
            | Action::Reopen { .. }
            | Action::Withdraw { .. } => Permission::ActAsReporter,
        }
    }

    /// The reporter's own actions, proven by the report's secret.
    pub fn is_reporters(&self) -> bool {
        self.permission() == Permission::ActAsReporter
    }
}

fn optional(field: &str, v: &Option<String>) -> std::result::Result<Option<String>, FieldError> {
    text::line_opt(field, v.as_deref())
}

impl Services {
    /// Act on a report: prove who acts, check the permission, parse the request, decide, store.
    /// `secret` is the reporter's secret for their own actions.
    pub async fn act(
        &self,
        caller: &Caller,
        tracking_id: &str,
        secret: Option<&str>,
        action: Action,
        attachments: Vec<NewAttachment>,
    ) -> Result<Applied> {
        let (opened, actor) = if action.is_reporters() {
            let unproven = || {
                ServiceError::refused(
                    crate::RefusalKind::Unauthenticated,
                    "reporter_secret_required",
                )
            };
            if secret.is_none_or(|s| s.trim().is_empty()) {
                return Err(unproven());
            }
            let opened = self.open_report(caller, tracking_id, secret).await?;
            if !opened.as_reporter {
                return Err(unproven());
            }
            let actor = Actor::Reporter {
                reporter_id: opened.report.reporter.as_ref().map(|r| r.id),
            };
            (opened, actor)
        } else {
            let actor = caller.actor().ok_or_else(ServiceError::unauthenticated)?;
            caller.require(action.permission())?;
            (self.open_report(caller, tracking_id, None).await?, actor)
        };
        // A dispatch may name the category (a suggestion taken in one click): classify first,
        // then dispatch, two facts on the trail in that order.
        let named_category = match &action {
            Action::Dispatch {
                category: Some(c), ..
            } => Some(c.trim().to_string()).filter(|c| !c.is_empty()),
            _ => None,
        };
        if let Some(category) = &named_category
            && opened.report.category.as_ref() != Some(category)
        {
            caller.require(Permission::VerifyReport)?;
            let classify = Action::Verify(VerifyInput {
                category: Some(category.clone()),
                ..VerifyInput::default()
            });
            let command = self.command(&classify, opened.report.id).await?;
            self.execute(opened.report.id, &actor, command, Vec::new())
                .await?;
        }
        let had_lead = opened
            .assignments
            .iter()
            .any(|a| a.role == AssignmentRole::Utama);
        let command = self.command(&action, opened.report.id).await?;
        let applied = self
            .execute(opened.report.id, &actor, command, attachments)
            .await?;
        // The first dispatch is measured against what the assistant suggested.
        if let Action::Dispatch { agencies, .. } = &action
            && !had_lead
            && let Some((lead, _)) = agencies.iter().find(|(_, role)| role.trim() == "utama")
        {
            let category = named_category.or_else(|| opened.report.category.clone());
            self.record_routing_choice(&opened.report, &opened.agencies, lead.trim(), category)
                .await;
        }
        Ok(applied)
    }

    /// Parse an action into the workflow's command, reporting every field problem at once.
    pub(crate) async fn command(&self, action: &Action, report_id: i64) -> Result<Command> {
        let mut c = Checker::default();
        let command = match action {
            Action::Verify(v) => {
                let kind = match v.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
                    None => None,
                    Some(k) => {
                        let parsed = ReportKind::parse(k);
                        if parsed.is_none() {
                            c.push(FieldError::new("kind", "invalid"));
                        }
                        parsed
                    }
                };
                let title = c.take(
                    v.title
                        .as_deref()
                        .map(|t| text::line("title", t))
                        .transpose(),
                );
                let body = c.take(v.body.as_deref().map(|t| text::long("body", t)).transpose());
                let category = c.take(optional("category", &v.category));
                if let Some(code) = &category
                    && !self
                        .store
                        .categories()
                        .await?
                        .iter()
                        .any(|x| &x.code == code)
                {
                    c.push(FieldError::new("category", "unknown"));
                }
                let region_code = c.take(optional("region_code", &v.region_code));
                if let Some(code) = &region_code {
                    if !Region::is_valid_code(code) {
                        c.push(FieldError::new("region_code", "invalid"));
                    } else if self.known_region(code).await?.is_none() {
                        c.push(FieldError::new("region_code", "unknown"));
                    }
                }
                let address = c.take(optional("address", &v.address));
                let visibility = match &v.visibility {
                    None => None,
                    Some(codes) => match Visibility::from_codes(
                        codes.iter().map(|s| s.trim()).filter(|s| !s.is_empty()),
                    ) {
                        Ok(v) => Some(v),
                        Err(_) => {
                            c.push(FieldError::new("visibility", "invalid"));
                            None
                        }
                    },
                };
                Command::Verify {
                    edit: ReportEdit {
                        kind,
                        title,
                        body,
                        category,
                        region_code,
                        address,
                        visibility,
                        needs_field_check: v.needs_field_check,
                    },
                    confirm: v.confirm,
                }
            }
            Action::Dispatch {
                agencies,
                note,
                note_public,
                category: _,
            } => {
                let mut targets = Vec::new();
                for (agency_id, role) in agencies {
                    match AssignmentRole::parse(role.trim()) {
                        Some(role) => targets.push(DispatchTarget {
                            agency_id: agency_id.trim().to_string(),
                            role,
                        }),
                        None if !c.has("agencies.role") => {
                            c.push(FieldError::new("agencies.role", "invalid"))
                        }
                        None => {}
                    }
                }
                let note = c.take(text::long_opt("note", note.as_deref()));
                Command::Dispatch {
                    targets,
                    note,
                    note_public: *note_public,
                }
            }
            Action::AskReporter { text: t } => Command::AskReporter {
                question: c.take(text::long("question", t)),
            },
            Action::MessageReporter { text: t } => Command::MessageReporter {
                text: c.take(text::long("text", t)),
            },
            Action::MarkDuplicate { master_tracking_id } => {
                let master = match TrackingId::parse(master_tracking_id.trim()) {
                    Err(_) => {
                        c.push(FieldError::new("master_tracking_id", "invalid"));
                        None
                    }
                    Ok(tid) => match self.store.report_by_tracking_id(&tid).await? {
                        Some(m) => Some(m.id),
                        None => {
                            c.push(FieldError::new("master_tracking_id", "unknown"));
                            None
                        }
                    },
                };
                Command::MarkDuplicate {
                    master_id: master.unwrap_or(report_id),
                    master_is_open: true,
                }
            }
            Action::Archive { reason } => Command::Archive {
                reason: c.take(text::long("reason", reason)),
            },
            Action::PostUpdate {
                assignment_id,
                stage,
                note,
            } => {
                let stage = match Stage::parse(stage.trim()) {
                    Some(s) => s,
                    None => {
                        c.push(FieldError::new("stage", "invalid"));
                        Stage::Verifikasi
                    }
                };
                Command::PostUpdate {
                    assignment_id: *assignment_id,
                    stage,
                    note: c.take(text::long("note", note)),
                }
            }
            Action::ReturnAssignment {
                assignment_id,
                reason,
            } => Command::ReturnNotAuthority {
                assignment_id: *assignment_id,
                reason: c.take(text::long("reason", reason)),
            },
            Action::ForwardAssignment {
                assignment_id,
                agency_id,
                note,
            } => Command::Forward {
                assignment_id: *assignment_id,
                to_agency_id: agency_id.trim().to_string(),
                note: c.take(text::long("note", note)),
            },
            Action::AddInstruction { note } => Command::AddInstruction {
                note: c.take(text::long("note", note)),
            },
            Action::Reply { text: t } => Command::ReporterReply {
                text: c.take(text::long("text", t)),
            },
            Action::Withdraw { reason } => Command::Withdraw {
                reason: c.take(text::long("reason", reason)),
            },
            Action::Confirm => Command::Confirm,
            Action::Rate {
                score,
                outcome,
                comment,
            } => {
                let outcome = match Outcome::parse(outcome.trim()) {
                    Some(o) => o,
                    None => {
                        c.push(FieldError::new("outcome", "invalid"));
                        Outcome::Fixed
                    }
                };
                let score = match u8::try_from(*score) {
                    Ok(s) if (1..=5).contains(&s) => s,
                    _ => {
                        c.push(FieldError::new("score", "score_out_of_range"));
                        1
                    }
                };
                Command::Rate {
                    score,
                    outcome,
                    comment: c.take(text::long_opt("comment", comment.as_deref())),
                }
            }
            Action::Reopen { reason } => Command::Reopen {
                reason: c.take(text::long("reason", reason)),
            },
        };
        c.finish()?;
        Ok(command)
    }
}
