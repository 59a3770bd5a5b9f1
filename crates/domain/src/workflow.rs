//! The transition table of SPEC section 4.
//!
//! [`decide`] takes the report as it is now, who is acting and what they ask for, and returns the
//! events that follow, or a typed error. It never touches storage: the caller loads a
//! [`ReportView`], calls `decide`, and persists the events (with their audit records) in one
//! transaction, retrying if the report changed in between.

use crate::agency::AgencyTree;
use crate::calendar::WorkingCalendar;
use crate::clock::{Clock, ClockKind, Timestamp};
use crate::model::{AssignmentRole, Outcome, ReportKind, ReportStatus, Role, Stage, Visibility};
use crate::policy::{self, Party, Permission};
use crate::sla::SlaPolicy;
use serde::{Deserialize, Serialize};

/// Longest note, reason or message text accepted (characters).
pub const MAX_NOTE_CHARS: usize = 4000;
/// Longest report title (characters), at submission and in verification alike.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest report body (characters), at submission and in verification alike.
pub const MAX_BODY_CHARS: usize = 10_000;
/// Longest free-text address (characters).
pub const MAX_ADDRESS_CHARS: usize = 500;

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    /// The reporter, proven by the secret link or a verified channel address.
    Reporter { reporter_id: Option<i64> },
    /// A logged-in user.
    User(UserActor),
    /// The scheduler (auto-close, escalations) or another internal process.
    System,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserActor {
    pub user_id: i64,
    pub role: Role,
    pub agency_id: Option<String>,
}

impl Actor {
    /// How the actor is written in the audit trail.
    pub fn audit_label(&self) -> String {
        match self {
            Actor::Reporter {
                reporter_id: Some(id),
            } => format!("reporter:{id}"),
            Actor::Reporter { reporter_id: None } => "reporter".into(),
            Actor::User(u) => format!("user:{}", u.user_id),
            Actor::System => "system".into(),
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::User(u) => Some(u.role),
            _ => None,
        }
    }
}

/// The editable facts of a report, as the desk sees them during verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportFields {
    pub kind: ReportKind,
    pub title: String,
    pub body: String,
    pub category: Option<String>,
    pub region_code: Option<String>,
    pub address: Option<String>,
    pub visibility: Visibility,
    pub needs_field_check: bool,
}

/// What verification may change; `None` keeps the current value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportEdit {
    pub kind: Option<ReportKind>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub category: Option<String>,
    pub region_code: Option<String>,
    pub address: Option<String>,
    pub visibility: Option<Visibility>,
    pub needs_field_check: Option<bool>,
}

impl ReportEdit {
    pub fn apply_to(&self, f: &ReportFields) -> ReportFields {
        ReportFields {
            kind: self.kind.unwrap_or(f.kind),
            title: self.title.clone().unwrap_or_else(|| f.title.clone()),
            body: self.body.clone().unwrap_or_else(|| f.body.clone()),
            category: self.category.clone().or_else(|| f.category.clone()),
            region_code: self.region_code.clone().or_else(|| f.region_code.clone()),
            address: self.address.clone().or_else(|| f.address.clone()),
            visibility: self.visibility.unwrap_or(f.visibility),
            needs_field_check: self.needs_field_check.unwrap_or(f.needs_field_check),
        }
    }
}

/// An assignment as the rules need to see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentView {
    pub id: i64,
    pub agency_id: String,
    pub role: AssignmentRole,
    pub stage: Stage,
    /// The agency has made its first citizen-visible update since the assignment (re)started.
    pub responded: bool,
    pub clocks: Vec<Clock>,
}

impl AssignmentView {
    pub fn clock(&self, kind: ClockKind) -> Option<&Clock> {
        self.clocks.iter().find(|c| c.kind == kind)
    }
}

/// A report as the rules need to see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportView {
    pub id: i64,
    pub status: ReportStatus,
    /// The status to return to when the reporter answers a question.
    pub status_before_wait: Option<ReportStatus>,
    pub fields: ReportFields,
    pub assignments: Vec<AssignmentView>,
    pub clocks: Vec<Clock>,
    /// Bumped by every change; the store refuses events decided on an older version.
    pub version: i64,
}

impl ReportView {
    fn assignment(&self, id: i64) -> Result<&AssignmentView, WorkflowError> {
        self.assignments
            .iter()
            .find(|a| a.id == id)
            .ok_or(WorkflowError::UnknownAssignment(id))
    }

    fn clock(&self, kind: ClockKind) -> Option<&Clock> {
        self.clocks.iter().find(|c| c.kind == kind)
    }
}

/// One agency to dispatch to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispatchTarget {
    pub agency_id: String,
    pub role: AssignmentRole,
}

/// What someone asks to happen to a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Command {
    /// The desk checks the report and corrects or classifies it.
    Verify {
        edit: ReportEdit,
        /// Also record that the desk checked the report (the explicit "Terverifikasi"): with
        /// it, saving without edits is not a mistake.
        #[serde(default)]
        confirm: bool,
    },
    Dispatch {
        targets: Vec<DispatchTarget>,
        note: Option<String>,
        /// The note is for the agencies only unless the desk marks it public.
        #[serde(default)]
        note_public: bool,
    },
    AskReporter {
        question: String,
    },
    /// The reporter answers a question or adds information.
    ReporterReply {
        text: String,
    },
    /// `master_is_open` is filled in by the caller from the master report.
    MarkDuplicate {
        master_id: i64,
        master_is_open: bool,
    },
    Archive {
        reason: String,
    },
    /// The reporter takes back a report that has not been dispatched yet (`batal` in a chat). It
    /// ends as archived, with the reason recorded. Once dispatched it can no longer be
    /// withdrawn: an agency holds an obligation, and must not be able to have a complaint
    /// against it cancelled by pressing the reporter.
    Withdraw {
        reason: String,
    },
    /// An agency's progress update with a note for the citizen.
    PostUpdate {
        assignment_id: i64,
        stage: Stage,
        note: String,
    },
    ReturnNotAuthority {
        assignment_id: i64,
        reason: String,
    },
    /// An agency whose reports are handled in its own system (SPEC section 7, connectors)
    /// reported progress there: recorded by the system under the same rules as the agency's
    /// [`Command::PostUpdate`] (or, with `bukan_wewenang`, its [`Command::ReturnNotAuthority`]).
    /// The first response is the remote system's time `at`, kept between the start of the
    /// first-response clock and now; the caller keeps it after the moment the remote system
    /// received the report, so an unreachable system never stops a clock.
    RemoteUpdate {
        assignment_id: i64,
        stage: Stage,
        note: String,
        at: Timestamp,
    },
    Forward {
        assignment_id: i64,
        to_agency_id: String,
        note: String,
    },
    Confirm,
    Rate {
        score: u8,
        outcome: Outcome,
        comment: Option<String>,
    },
    Reopen {
        reason: String,
    },
    AddInstruction {
        note: String,
    },
    /// A message to the reporter from the desk or an agency.
    MessageReporter {
        text: String,
    },
    /// The scheduler closes a report after the auto-close period.
    AutoClose,
    /// The working calendar changed: running working-day clocks whose deadlines have not passed
    /// get them worked out again (the system, after a holiday was added or removed).
    Recalendar,
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Verify { .. } => "verify",
            Command::Dispatch { .. } => "dispatch",
            Command::AskReporter { .. } => "ask_reporter",
            Command::ReporterReply { .. } => "reporter_reply",
            Command::MarkDuplicate { .. } => "mark_duplicate",
            Command::Archive { .. } => "archive",
            Command::Withdraw { .. } => "withdraw",
            Command::PostUpdate { .. } => "post_update",
            Command::ReturnNotAuthority { .. } => "return_not_authority",
            Command::RemoteUpdate { .. } => "remote_update",
            Command::Forward { .. } => "forward",
            Command::Confirm => "confirm",
            Command::Rate { .. } => "rate",
            Command::Reopen { .. } => "reopen",
            Command::AddInstruction { .. } => "add_instruction",
            Command::MessageReporter { .. } => "message_reporter",
            Command::AutoClose => "auto_close",
            Command::Recalendar => "recalendar",
        }
    }
}

/// Refers to an assignment that exists, or to one created earlier in the same decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentRef {
    Existing(i64),
    /// Index into the `AssignmentCreated` events of this decision, in order.
    New(usize),
}

/// Whose clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockOwner {
    Report,
    Assignment(AssignmentRef),
}

/// What happened. The store persists each event and writes one audit record for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    StatusChanged {
        from: ReportStatus,
        to: ReportStatus,
    },
    /// Remember the status to return to after the reporter answers (or forget it).
    WaitStarted {
        resume_to: ReportStatus,
        question: String,
    },
    WaitEnded {
        resume_to: ReportStatus,
    },
    Edited {
        before: ReportFields,
        after: ReportFields,
    },
    AssignmentCreated {
        agency_id: String,
        role: AssignmentRole,
        forwarded_from: Option<i64>,
        note: Option<String>,
        /// A forwarded assignment continues at its parent's stage.
        stage: Stage,
        responded: bool,
    },
    /// An agency changed stage (or posted another note at the same stage).
    StageChanged {
        assignment: AssignmentRef,
        from: Stage,
        to: Stage,
        note: String,
        /// This update is the agency's first response on this assignment.
        first_response: bool,
    },
    /// After a reopen the assignment waits for a response again.
    AssignmentRestarted {
        assignment: i64,
        from: Stage,
    },
    /// A response obligation starts (SPEC section 6): the agency must answer by `due_at` (its
    /// first-response clock's deadline). One per dispatch, per forward to a sub-unit, per reopen.
    ObligationOpened {
        assignment: AssignmentRef,
        started_at: Timestamp,
        due_at: Timestamp,
    },
    /// The agency answered its open obligation: a citizen-visible update, a return with its
    /// reason, or a forward with its note.
    ObligationAnswered {
        assignment: AssignmentRef,
        /// When the agency answered, if not when the event was recorded: an answer recorded by
        /// the agency's own system and reported through its connector ([`Command::RemoteUpdate`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<Timestamp>,
    },
    /// The open obligation's deadline moved with the working calendar (a holiday added or
    /// removed before it passed).
    ObligationDueMoved {
        assignment: AssignmentRef,
        due_at: Timestamp,
    },
    /// The report ended (archived, merged, closed, or finished by the lead) before the open
    /// obligation's deadline: it no longer counts. After the deadline nothing is cancelled: the
    /// missed deadline stays on record.
    ObligationCancelled {
        assignment: AssignmentRef,
    },
    /// A clock is created or its state changes; the store upserts it by (owner, kind).
    ClockSet {
        owner: ClockOwner,
        clock: Clock,
    },
    DuplicateLinked {
        master_id: i64,
    },
    Archived {
        reason: String,
    },
    ReporterReplied {
        text: String,
    },
    Rated {
        score: u8,
        outcome: Outcome,
        comment: Option<String>,
    },
    Reopened {
        reason: String,
    },
    InstructionAdded {
        note: String,
    },
    ReporterMessaged {
        text: String,
    },
    /// The desk checked the report (explicit verification).
    Verified,
    /// The desk's dispatch note for the agencies, not shown to the reporter or the public.
    DispatchNoted {
        note: String,
    },
}

impl Event {
    /// The audit action name.
    pub fn action(&self) -> &'static str {
        match self {
            Event::StatusChanged { .. } => "report.status_changed",
            Event::WaitStarted { .. } => "report.wait_started",
            Event::WaitEnded { .. } => "report.wait_ended",
            Event::Edited { .. } => "report.edited",
            Event::AssignmentCreated { .. } => "assignment.created",
            Event::StageChanged { .. } => "assignment.stage_changed",
            Event::AssignmentRestarted { .. } => "assignment.restarted",
            Event::ObligationOpened { .. } => "obligation.opened",
            Event::ObligationAnswered { .. } => "obligation.answered",
            Event::ObligationDueMoved { .. } => "obligation.due_moved",
            Event::ObligationCancelled { .. } => "obligation.cancelled",
            Event::ClockSet { .. } => "clock.set",
            Event::DuplicateLinked { .. } => "report.duplicate_linked",
            Event::Archived { .. } => "report.archived",
            Event::ReporterReplied { .. } => "report.reporter_replied",
            Event::Rated { .. } => "report.rated",
            Event::Reopened { .. } => "report.reopened",
            Event::InstructionAdded { .. } => "report.instruction_added",
            Event::ReporterMessaged { .. } => "report.reporter_messaged",
            Event::Verified => "report.verified",
            Event::DispatchNoted { .. } => "report.dispatch_noted",
        }
    }
}

/// Why a command is refused. Each refusal has a stable [`code`](WorkflowError::code) and its
/// arguments; the doors render them in their caller's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum WorkflowError {
    /// 403: this party may never do this (the permission table says no).
    #[error("this caller may not {}", permission.as_str())]
    NotPermitted { permission: Permission },
    /// 403: the assignment belongs to an agency outside the user's agency and its sub-units.
    #[error("this assignment belongs to another agency")]
    OtherAgency,
    /// 409: not now, in this status.
    #[error("`{action}` is not possible while the report is `{status}`")]
    WrongStatus {
        action: &'static str,
        status: ReportStatus,
    },
    /// 409: not now, at this stage.
    #[error("`{action}` is not possible while the assignment is at stage `{stage}`")]
    WrongStage { action: &'static str, stage: Stage },
    /// 404
    #[error("assignment {0} is not part of this report")]
    UnknownAssignment(i64),
    /// 422: the request itself is incomplete or contradictory.
    #[error(transparent)]
    Invalid(Invalid),
}

/// What is wrong with a command's content (422).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "invalid", rename_all = "snake_case")]
pub enum Invalid {
    #[error("{field} must not be empty")]
    Required { field: &'static str },
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("nothing to change")]
    NothingToChange,
    #[error("choose at least one agency")]
    NoAgency,
    #[error("unknown agency `{agency}`")]
    UnknownAgency { agency: String },
    #[error("agency `{agency}` is listed twice")]
    AgencyListedTwice { agency: String },
    #[error("agency `{agency}` already has this report")]
    AlreadyAssigned { agency: String },
    #[error("exactly one agency must be the lead (utama)")]
    NoLead,
    #[error("the report would have more than one lead agency (utama)")]
    TwoLeads,
    #[error("`{agency}` is not a sub-unit of `{parent}`")]
    NotSubUnit { agency: String, parent: String },
    #[error("a report cannot duplicate itself")]
    SelfDuplicate,
    #[error("the master report is itself a duplicate or archived")]
    MasterNotOpen,
    #[error("score must be 1 to 5")]
    ScoreOutOfRange,
    #[error(
        "`{stage}` is not a progress stage; use verifikasi, cek_lapangan, pengerjaan or tuntas"
    )]
    NotProgressStage { stage: Stage },
}

impl Invalid {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Invalid::Required { .. } => "required",
            Invalid::TooLong { .. } => "too_long",
            Invalid::NothingToChange => "nothing_to_change",
            Invalid::NoAgency => "no_agency",
            Invalid::UnknownAgency { .. } => "unknown_agency",
            Invalid::AgencyListedTwice { .. } => "agency_listed_twice",
            Invalid::AlreadyAssigned { .. } => "agency_already_assigned",
            Invalid::NoLead => "no_lead",
            Invalid::TwoLeads => "two_leads",
            Invalid::NotSubUnit { .. } => "not_sub_unit",
            Invalid::SelfDuplicate => "self_duplicate",
            Invalid::MasterNotOpen => "master_not_open",
            Invalid::ScoreOutOfRange => "score_out_of_range",
            Invalid::NotProgressStage { .. } => "not_progress_stage",
        }
    }

    /// The request field the problem is about, when there is one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Invalid::Required { field } | Invalid::TooLong { field, .. } => Some(field),
            Invalid::NoAgency
            | Invalid::UnknownAgency { .. }
            | Invalid::AgencyListedTwice { .. }
            | Invalid::AlreadyAssigned { .. }
            | Invalid::NoLead
            | Invalid::TwoLeads => Some("agencies"),
            Invalid::NotSubUnit { .. } => Some("agency_id"),
            Invalid::SelfDuplicate | Invalid::MasterNotOpen => Some("master_tracking_id"),
            Invalid::ScoreOutOfRange => Some("score"),
            Invalid::NotProgressStage { .. } => Some("stage"),
            Invalid::NothingToChange => None,
        }
    }

    /// The arguments a message needs, by name.
    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            Invalid::TooLong { max, .. } => vec![("max", max.to_string())],
            Invalid::UnknownAgency { agency }
            | Invalid::AgencyListedTwice { agency }
            | Invalid::AlreadyAssigned { agency } => vec![("agency", agency.clone())],
            Invalid::NotSubUnit { agency, parent } => {
                vec![("agency", agency.clone()), ("parent", parent.clone())]
            }
            Invalid::NotProgressStage { stage } => vec![("stage", stage.as_str().into())],
            _ => vec![],
        }
    }
}

impl WorkflowError {
    /// Stable code: `role_not_allowed`, `other_agency`, `invalid_transition`,
    /// `unknown_assignment`, or the [`Invalid`] code.
    pub fn code(&self) -> &'static str {
        match self {
            WorkflowError::NotPermitted { .. } => "role_not_allowed",
            WorkflowError::OtherAgency => "other_agency",
            WorkflowError::WrongStatus { .. } | WorkflowError::WrongStage { .. } => {
                "invalid_transition"
            }
            WorkflowError::UnknownAssignment(_) => "unknown_assignment",
            WorkflowError::Invalid(i) => i.code(),
        }
    }

    /// The arguments a message needs, by name.
    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            WorkflowError::NotPermitted { permission } => {
                vec![("permission", permission.as_str().into())]
            }
            WorkflowError::OtherAgency => vec![],
            WorkflowError::WrongStatus { action, status } => {
                vec![
                    ("action", (*action).into()),
                    ("status", status.as_str().into()),
                ]
            }
            WorkflowError::WrongStage { action, stage } => {
                vec![
                    ("action", (*action).into()),
                    ("stage", stage.as_str().into()),
                ]
            }
            WorkflowError::UnknownAssignment(id) => vec![("assignment", id.to_string())],
            WorkflowError::Invalid(i) => i.args(),
        }
    }
}

impl From<Invalid> for WorkflowError {
    fn from(i: Invalid) -> Self {
        WorkflowError::Invalid(i)
    }
}

/// Everything `decide` needs besides the report and the command.
pub struct Context<'a> {
    pub now: Timestamp,
    pub calendar: &'a WorkingCalendar,
    pub policy: &'a SlaPolicy,
    pub agencies: &'a AgencyTree,
}

/// Text that must be present and at most `max` characters (after trimming).
fn required_text(field: &'static str, s: &str, max: usize) -> Result<(), WorkflowError> {
    let n = s.trim().chars().count();
    if n == 0 {
        return Err(Invalid::Required { field }.into());
    }
    if n > max {
        return Err(Invalid::TooLong { field, max }.into());
    }
    Ok(())
}

/// A note, reason or message: present and at most [`MAX_NOTE_CHARS`].
fn note(field: &'static str, s: &str) -> Result<(), WorkflowError> {
    required_text(field, s, MAX_NOTE_CHARS)
}

/// The party the actor is, for the permission table.
pub fn party(actor: &Actor) -> Party {
    match actor {
        Actor::Reporter { .. } => Party::Reporter,
        Actor::User(u) => Party::Staff(u.role),
        Actor::System => Party::System,
    }
}

fn require(actor: &Actor, permission: Permission) -> Result<(), WorkflowError> {
    if policy::allows(party(actor), permission) {
        Ok(())
    } else {
        Err(WorkflowError::NotPermitted { permission })
    }
}

fn require_status(
    status: ReportStatus,
    allowed: &[ReportStatus],
    action: &'static str,
) -> Result<(), WorkflowError> {
    if allowed.contains(&status) {
        Ok(())
    } else {
        Err(WorkflowError::WrongStatus { action, status })
    }
}

/// The acting agency user may work on this assignment: it belongs to their agency or a sub-unit.
fn require_agency_scope(
    actor: &Actor,
    a: &AssignmentView,
    agencies: &AgencyTree,
) -> Result<(), WorkflowError> {
    require(actor, Permission::WorkAssignment)?;
    match actor {
        Actor::User(UserActor {
            agency_id: Some(mine),
            ..
        }) if agencies.is_within(&a.agency_id, mine) => Ok(()),
        _ => Err(WorkflowError::OtherAgency),
    }
}

/// A progress update may move an open assignment forward (or keep its stage), never back.
fn check_progress(a: &AssignmentView, stage: Stage) -> Result<(), WorkflowError> {
    let to_rank = stage
        .progress_rank()
        .filter(|r| *r > 0)
        .ok_or(Invalid::NotProgressStage { stage })?;
    match a.stage.progress_rank().filter(|_| !a.stage.is_closed()) {
        Some(r) if to_rank >= r => Ok(()),
        _ => Err(WorkflowError::WrongStage {
            action: "post_update",
            stage: a.stage,
        }),
    }
}

/// An assignment may be handed back as not the agency's responsibility before work starts.
fn check_return(a: &AssignmentView) -> Result<(), WorkflowError> {
    if matches!(a.stage, Stage::MenungguRespon | Stage::Verifikasi) {
        Ok(())
    } else {
        Err(WorkflowError::WrongStage {
            action: "return_not_authority",
            stage: a.stage,
        })
    }
}

use ReportStatus as S;

/// Statuses in which agencies are working on the report.
const WORKING: &[ReportStatus] = &[
    S::Didisposisikan,
    S::Diproses,
    S::DibukaKembali,
    S::MenungguPelapor,
];

/// Decide what follows from `command` by `actor` on `report`.
pub fn decide(
    report: &ReportView,
    actor: &Actor,
    command: &Command,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, WorkflowError> {
    let mut d = Decision::new(report, ctx);
    match command {
        Command::Verify { edit, confirm } => {
            require(actor, Permission::VerifyReport)?;
            if report.status.is_terminal() {
                return Err(WorkflowError::WrongStatus {
                    action: "verify",
                    status: report.status,
                });
            }
            if let Some(t) = &edit.title {
                required_text("title", t, MAX_TITLE_CHARS)?;
            }
            if let Some(b) = &edit.body {
                required_text("body", b, MAX_BODY_CHARS)?;
            }
            if let Some(a) = &edit.address
                && a.chars().count() > MAX_ADDRESS_CHARS
            {
                return Err(Invalid::TooLong {
                    field: "address",
                    max: MAX_ADDRESS_CHARS,
                }
                .into());
            }
            let after = edit.apply_to(&report.fields);
            if after != report.fields {
                d.push(Event::Edited {
                    before: report.fields.clone(),
                    after,
                });
            } else if !confirm {
                return Err(Invalid::NothingToChange.into());
            }
            if *confirm {
                d.push(Event::Verified);
            }
        }
        Command::Dispatch {
            targets,
            note,
            note_public,
        } => {
            require(actor, Permission::DispatchReport)?;
            require_status(
                report.status,
                &[S::Baru, S::Didisposisikan, S::Diproses, S::DibukaKembali],
                "dispatch",
            )?;
            d.dispatch(targets, note.clone(), *note_public)?;
        }
        Command::AskReporter { question } => {
            ask_permission(actor, report, ctx)?;
            require_status(
                report.status,
                &[S::Baru, S::Didisposisikan, S::Diproses, S::DibukaKembali],
                "ask_reporter",
            )?;
            note("question", question)?;
            d.start_wait(question.clone());
        }
        Command::ReporterReply { text } => {
            require(actor, Permission::ActAsReporter)?;
            note("text", text)?;
            if report.status.is_terminal() {
                return Err(WorkflowError::WrongStatus {
                    action: "reporter_reply",
                    status: report.status,
                });
            }
            d.push(Event::ReporterReplied { text: text.clone() });
            match report.status {
                S::MenungguPelapor => d.end_wait(),
                // Silence after `selesai` is what closes a report; a reply restarts that silence.
                S::Selesai => d.restart_report_clock(ClockKind::AutoClose, ctx.policy.auto_close),
                _ => {}
            }
        }
        Command::MarkDuplicate {
            master_id,
            master_is_open,
        } => {
            require(actor, Permission::MarkDuplicate)?;
            require_status(
                report.status,
                &[S::Baru, S::MenungguPelapor],
                "mark_duplicate",
            )?;
            if *master_id == report.id {
                return Err(Invalid::SelfDuplicate.into());
            }
            if !master_is_open {
                return Err(Invalid::MasterNotOpen.into());
            }
            d.set_status(S::Duplikat);
            d.push(Event::DuplicateLinked {
                master_id: *master_id,
            });
            d.stop_report_clocks();
        }
        Command::Archive { reason } => {
            require(actor, Permission::ArchiveReport)?;
            require_status(report.status, &[S::Baru, S::MenungguPelapor], "archive")?;
            note("reason", reason)?;
            d.set_status(S::Diarsipkan);
            d.push(Event::Archived {
                reason: reason.clone(),
            });
            d.stop_report_clocks();
        }
        Command::Withdraw { reason } => {
            require(actor, Permission::ActAsReporter)?;
            require_status(report.status, &[S::Baru], "withdraw")?;
            note("reason", reason)?;
            d.set_status(S::Diarsipkan);
            d.push(Event::Archived {
                reason: reason.clone(),
            });
            d.stop_report_clocks();
        }
        Command::PostUpdate {
            assignment_id,
            stage,
            note,
        } => {
            let a = report.assignment(*assignment_id)?;
            require_agency_scope(actor, a, ctx.agencies)?;
            require_status(report.status, WORKING, "post_update")?;
            self::note("note", note)?;
            check_progress(a, *stage)?;
            d.agency_update(a, *stage, note.clone(), ctx.now);
        }
        Command::ReturnNotAuthority {
            assignment_id,
            reason,
        } => {
            let a = report.assignment(*assignment_id)?;
            require_agency_scope(actor, a, ctx.agencies)?;
            require_status(report.status, WORKING, "return_not_authority")?;
            note("reason", reason)?;
            check_return(a)?;
            d.agency_update(a, Stage::BukanWewenang, reason.clone(), ctx.now);
        }
        Command::RemoteUpdate {
            assignment_id,
            stage,
            note,
            at,
        } => {
            require(actor, Permission::RecordRemoteUpdate)?;
            let a = report.assignment(*assignment_id)?;
            require_status(report.status, WORKING, "remote_update")?;
            self::note("note", note)?;
            if *stage == Stage::BukanWewenang {
                check_return(a)?;
            } else {
                check_progress(a, *stage)?;
            }
            let started = a
                .clock(ClockKind::FirstResponse)
                .map_or(ctx.now, |c| c.running_since.unwrap_or(c.started_at));
            d.agency_update(
                a,
                *stage,
                note.clone(),
                (*at).clamp(started.min(ctx.now), ctx.now),
            );
        }
        Command::Forward {
            assignment_id,
            to_agency_id,
            note,
        } => {
            let a = report.assignment(*assignment_id)?;
            require_agency_scope(actor, a, ctx.agencies)?;
            require_status(report.status, WORKING, "forward")?;
            self::note("note", note)?;
            if a.stage.is_closed() {
                return Err(WorkflowError::WrongStage {
                    action: "forward",
                    stage: a.stage,
                });
            }
            if !ctx.agencies.is_sub_unit(to_agency_id, &a.agency_id) {
                return Err(Invalid::NotSubUnit {
                    agency: to_agency_id.clone(),
                    parent: a.agency_id.clone(),
                }
                .into());
            }
            d.forward(a, to_agency_id, note.clone());
        }
        Command::Confirm => {
            require(actor, Permission::ActAsReporter)?;
            require_status(report.status, &[S::Selesai], "confirm")?;
            d.close();
        }
        Command::Rate {
            score,
            outcome,
            comment,
        } => {
            require(actor, Permission::ActAsReporter)?;
            require_status(report.status, &[S::Selesai, S::Ditutup], "rate")?;
            if !(1..=5).contains(score) {
                return Err(Invalid::ScoreOutOfRange.into());
            }
            if let Some(c) = comment
                && c.chars().count() > MAX_NOTE_CHARS
            {
                return Err(Invalid::TooLong {
                    field: "comment",
                    max: MAX_NOTE_CHARS,
                }
                .into());
            }
            d.push(Event::Rated {
                score: *score,
                outcome: *outcome,
                comment: comment.clone(),
            });
        }
        Command::Reopen { reason } => {
            require(actor, Permission::ActAsReporter)?;
            require_status(report.status, &[S::Selesai], "reopen")?;
            note("reason", reason)?;
            d.reopen(reason.clone());
        }
        Command::AddInstruction { note } => {
            require(actor, Permission::AddInstruction)?;
            self::note("note", note)?;
            d.push(Event::InstructionAdded { note: note.clone() });
        }
        Command::MessageReporter { text } => {
            ask_permission(actor, report, ctx)?;
            if report.status.is_terminal() {
                return Err(WorkflowError::WrongStatus {
                    action: "message_reporter",
                    status: report.status,
                });
            }
            note("text", text)?;
            d.push(Event::ReporterMessaged { text: text.clone() });
        }
        Command::AutoClose => {
            require(actor, Permission::AutoCloseReport)?;
            require_status(report.status, &[S::Selesai], "auto_close")?;
            d.close();
        }
        Command::Recalendar => {
            require(actor, Permission::RecalendarClocks)?;
            d.recalendar();
        }
    }
    Ok(d.events)
}

/// The desk, or an agency with an active assignment on the report, may write to the reporter.
fn ask_permission(
    actor: &Actor,
    report: &ReportView,
    ctx: &Context<'_>,
) -> Result<(), WorkflowError> {
    require(actor, Permission::WriteToReporter)?;
    match actor.role() {
        Some(r) if r.is_agency_role() => report
            .assignments
            .iter()
            .filter(|a| a.stage.is_active())
            .find_map(|a| require_agency_scope(actor, a, ctx.agencies).ok())
            .ok_or(WorkflowError::OtherAgency),
        _ => Ok(()),
    }
}

/// Accumulates events while tracking the status they lead to.
struct Decision<'a, 'c> {
    report: &'a ReportView,
    ctx: &'a Context<'c>,
    status: ReportStatus,
    events: Vec<Event>,
    new_assignments: usize,
    /// Assignments this decision already moved (their clocks are dealt with).
    touched: Vec<i64>,
}

impl<'a, 'c> Decision<'a, 'c> {
    fn new(report: &'a ReportView, ctx: &'a Context<'c>) -> Self {
        Decision {
            report,
            ctx,
            status: report.status,
            events: Vec::new(),
            new_assignments: 0,
            touched: Vec::new(),
        }
    }

    fn push(&mut self, e: Event) {
        self.events.push(e);
    }

    fn set_status(&mut self, to: ReportStatus) {
        if to != self.status {
            self.events.push(Event::StatusChanged {
                from: self.status,
                to,
            });
            self.status = to;
            if matches!(to, S::Selesai | S::Ditutup | S::Diarsipkan | S::Duplikat) {
                self.end_obligations();
            }
        }
    }

    /// The report ended (or its lead finished): no agency can act on it any more, so every
    /// clock still running on an assignment stops. An unanswered obligation whose deadline has
    /// not passed is cancelled and its clock sends nothing more; one past its deadline stays
    /// unanswered and overdue, and its lalai step still fires if the scheduler has not reached
    /// it yet.
    fn end_obligations(&mut self) {
        let now = self.now();
        let mut ended = Vec::new();
        for a in &self.report.assignments {
            // This decision may have moved the assignment already (the lead's `tuntas`).
            if self.touched.contains(&a.id) {
                continue;
            }
            let owner = ClockOwner::Assignment(AssignmentRef::Existing(a.id));
            for c in a.clocks.iter().filter(|c| c.stopped_at.is_none()) {
                let mut c = c.clone();
                let before_deadline = c.due_at.is_none_or(|due| now <= due);
                c.stop(now, self.ctx.calendar);
                if c.kind == ClockKind::FirstResponse && !a.responded && before_deadline {
                    ended.push(Event::ObligationCancelled {
                        assignment: AssignmentRef::Existing(a.id),
                    });
                }
                ended.push(Event::ClockSet { owner, clock: c });
            }
        }
        for e in ended {
            match e {
                Event::ClockSet { owner, mut clock } => {
                    let before_deadline = clock.due_at.is_none_or(|due| now <= due);
                    if before_deadline {
                        // Nothing left to remind anyone of.
                        clock.next_fire_at = None;
                        self.events.push(Event::ClockSet { owner, clock });
                    } else {
                        self.set_clock(owner, clock);
                    }
                }
                other => self.events.push(other),
            }
        }
    }

    fn now(&self) -> Timestamp {
        self.ctx.now
    }

    /// The one place where clock events are made: every clock leaves a decision with its next
    /// escalation instant worked out under the policy in force.
    fn set_clock(&mut self, owner: ClockOwner, mut clock: Clock) {
        clock.reschedule(&self.ctx.policy.thresholds(clock.kind), self.ctx.calendar);
        self.events.push(Event::ClockSet { owner, clock });
    }

    fn stop_clock(&mut self, owner: ClockOwner, clock: Option<&Clock>) {
        self.stop_clock_at(owner, clock, self.now());
    }

    fn stop_clock_at(&mut self, owner: ClockOwner, clock: Option<&Clock>, at: Timestamp) {
        if let Some(c) = clock.filter(|c| c.stopped_at.is_none()) {
            let mut c = c.clone();
            c.stop(at, self.ctx.calendar);
            self.set_clock(owner, c);
        }
    }

    fn stop_report_clocks(&mut self) {
        for c in &self.report.clocks {
            self.stop_clock(ClockOwner::Report, Some(c));
        }
    }

    fn restart_report_clock(&mut self, kind: ClockKind, d: crate::sla::SlaDuration) {
        let clock = d.start(kind, self.now(), self.ctx.calendar);
        self.set_clock(ClockOwner::Report, clock);
    }

    fn create_assignment(
        &mut self,
        agency_id: &str,
        role: AssignmentRole,
        forwarded_from: Option<&AssignmentView>,
        note: Option<String>,
    ) -> AssignmentRef {
        let r = AssignmentRef::New(self.new_assignments);
        self.new_assignments += 1;
        self.push(Event::AssignmentCreated {
            agency_id: agency_id.to_string(),
            role,
            forwarded_from: forwarded_from.map(|a| a.id),
            note,
            stage: Stage::MenungguRespon,
            responded: false,
        });
        match forwarded_from {
            // The sub-unit owes its own first response, measured from the forward (SPEC section
            // 6); the completion target is not reset: it carries on the parent's clock as it is.
            Some(parent) => {
                self.open_obligation(r);
                if let Some(c) = parent
                    .clock(ClockKind::Completion)
                    .filter(|c| c.stopped_at.is_none())
                {
                    self.set_clock(ClockOwner::Assignment(r), c.clone());
                }
            }
            None => self.start_assignment_clocks(r),
        }
        r
    }

    /// Move the deadlines of running working-day clocks that have not passed (and of the open
    /// obligations they measure) to the calendar in force. Nothing if nothing moves.
    fn recalendar(&mut self) {
        let (now, cal) = (self.now(), self.ctx.calendar);
        for c in &self.report.clocks {
            let mut c = c.clone();
            if c.recalendar(now, cal) {
                self.set_clock(ClockOwner::Report, c);
            }
        }
        for a in &self.report.assignments {
            let r = AssignmentRef::Existing(a.id);
            for c in &a.clocks {
                let mut c = c.clone();
                if c.recalendar(now, cal) {
                    if c.kind == ClockKind::FirstResponse
                        && !a.responded
                        && let Some(due_at) = c.due_at
                    {
                        self.push(Event::ObligationDueMoved {
                            assignment: r,
                            due_at,
                        });
                    }
                    self.set_clock(ClockOwner::Assignment(r), c);
                }
            }
        }
    }

    /// A new first-response clock and the response obligation it measures.
    fn open_obligation(&mut self, r: AssignmentRef) {
        let response = self.ctx.policy.first_response.start(
            ClockKind::FirstResponse,
            self.now(),
            self.ctx.calendar,
        );
        if let Some(due_at) = response.due_at {
            self.push(Event::ObligationOpened {
                assignment: r,
                started_at: response.started_at,
                due_at,
            });
        }
        self.set_clock(ClockOwner::Assignment(r), response);
    }

    fn start_assignment_clocks(&mut self, r: AssignmentRef) {
        let p = self.ctx.policy;
        let f = &self.report.fields;
        let mut completion = p.completion_for(f.kind, f.needs_field_check).start(
            ClockKind::Completion,
            self.now(),
            self.ctx.calendar,
        );
        if self.status == S::MenungguPelapor {
            completion.pause(self.now(), self.ctx.calendar);
        }
        self.open_obligation(r);
        self.set_clock(ClockOwner::Assignment(r), completion);
    }

    fn dispatch(
        &mut self,
        targets: &[DispatchTarget],
        note: Option<String>,
        note_public: bool,
    ) -> Result<(), WorkflowError> {
        if targets.is_empty() {
            return Err(Invalid::NoAgency.into());
        }
        let active: Vec<&AssignmentView> = self
            .report
            .assignments
            .iter()
            .filter(|a| a.stage.is_active())
            .collect();
        for (i, t) in targets.iter().enumerate() {
            if !self.ctx.agencies.contains(&t.agency_id) {
                return Err(Invalid::UnknownAgency {
                    agency: t.agency_id.clone(),
                }
                .into());
            }
            if targets[..i].iter().any(|o| o.agency_id == t.agency_id) {
                return Err(Invalid::AgencyListedTwice {
                    agency: t.agency_id.clone(),
                }
                .into());
            }
            if active.iter().any(|a| a.agency_id == t.agency_id) {
                return Err(Invalid::AlreadyAssigned {
                    agency: t.agency_id.clone(),
                }
                .into());
            }
        }
        let leads = targets
            .iter()
            .filter(|t| t.role == AssignmentRole::Utama)
            .count()
            + active
                .iter()
                .filter(|a| a.role == AssignmentRole::Utama)
                .count();
        if leads != 1 {
            return Err(if leads == 0 {
                Invalid::NoLead
            } else {
                Invalid::TwoLeads
            }
            .into());
        }
        if let Some(n) = &note {
            self::note("note", n)?;
        }
        if self.status == S::Baru {
            self.set_status(S::Didisposisikan);
            let triage = self.report.clock(ClockKind::Triage).cloned();
            self.stop_clock(ClockOwner::Report, triage.as_ref());
        }
        // A public note goes with each assignment on the timeline; an internal one is a line of
        // its own that only staff see.
        let (public, internal) = if note_public {
            (note, None)
        } else {
            (None, note)
        };
        for t in targets {
            self.create_assignment(&t.agency_id, t.role, None, public.clone());
        }
        if let Some(note) = internal {
            self.push(Event::DispatchNoted { note });
        }
        Ok(())
    }

    fn start_wait(&mut self, question: String) {
        let resume_to = self.status;
        self.push(Event::WaitStarted {
            resume_to,
            question,
        });
        self.set_status(S::MenungguPelapor);
        let cal = self.ctx.calendar;
        let now = self.now();
        let mut paused = Vec::new();
        for c in self
            .report
            .clocks
            .iter()
            .filter(|c| c.kind == ClockKind::Triage && c.is_running())
        {
            let mut c = c.clone();
            c.pause(now, cal);
            paused.push((ClockOwner::Report, c));
        }
        for a in self
            .report
            .assignments
            .iter()
            .filter(|a| !a.stage.is_closed())
        {
            if let Some(c) = a.clock(ClockKind::Completion).filter(|c| c.is_running()) {
                let mut c = c.clone();
                c.pause(now, cal);
                paused.push((ClockOwner::Assignment(AssignmentRef::Existing(a.id)), c));
            }
        }
        for (o, c) in paused {
            self.set_clock(o, c);
        }
    }

    fn end_wait(&mut self) {
        let resume_to =
            self.report
                .status_before_wait
                .unwrap_or(if self.report.assignments.is_empty() {
                    S::Baru
                } else {
                    S::Didisposisikan
                });
        self.push(Event::WaitEnded { resume_to });
        self.set_status(resume_to);
        let cal = self.ctx.calendar;
        let now = self.now();
        let mut resumed = Vec::new();
        for c in self.report.clocks.iter().filter(|c| c.is_paused()) {
            let mut c = c.clone();
            c.resume(now, cal);
            resumed.push((ClockOwner::Report, c));
        }
        for a in &self.report.assignments {
            for c in a.clocks.iter().filter(|c| c.is_paused()) {
                let mut c = c.clone();
                c.resume(now, cal);
                resumed.push((ClockOwner::Assignment(AssignmentRef::Existing(a.id)), c));
            }
        }
        for (o, c) in resumed {
            self.set_clock(o, c);
        }
    }

    /// A stage update, including a return as `bukan_wewenang`.
    /// `answered_at` is when the agency answered: now, or the time its own system gives.
    fn agency_update(
        &mut self,
        a: &AssignmentView,
        to: Stage,
        note: String,
        answered_at: Timestamp,
    ) {
        let owner = ClockOwner::Assignment(AssignmentRef::Existing(a.id));
        let first_response = !a.responded;
        self.touched.push(a.id);
        self.push(Event::StageChanged {
            assignment: AssignmentRef::Existing(a.id),
            from: a.stage,
            to,
            note,
            first_response,
        });
        if first_response {
            self.push(Event::ObligationAnswered {
                assignment: AssignmentRef::Existing(a.id),
                at: (answered_at != self.now()).then_some(answered_at),
            });
            self.stop_clock_at(owner, a.clock(ClockKind::FirstResponse), answered_at);
        }
        if to.is_closed() {
            self.stop_clock(owner, a.clock(ClockKind::Completion));
        }
        // Where the report stands once this assignment has moved.
        let stages: Vec<(AssignmentRole, Stage)> = self
            .report
            .assignments
            .iter()
            .map(|x| (x.role, if x.id == a.id { to } else { x.stage }))
            .collect();
        self.after_assignment_change(&stages, to != Stage::BukanWewenang);
    }

    /// The forward, with its note for the citizen, is the parent's response, on time or late by
    /// its own deadline: a parent that missed it stays lalai, and its lalai step still fires. The
    /// completion clock passes to the sub-unit, which owes its own first response.
    fn forward(&mut self, a: &AssignmentView, to_agency: &str, note: String) {
        let owner = ClockOwner::Assignment(AssignmentRef::Existing(a.id));
        let first_response = !a.responded;
        self.touched.push(a.id);
        self.push(Event::StageChanged {
            assignment: AssignmentRef::Existing(a.id),
            from: a.stage,
            to: Stage::Diteruskan,
            note: note.clone(),
            first_response,
        });
        if first_response {
            self.push(Event::ObligationAnswered {
                assignment: AssignmentRef::Existing(a.id),
                at: None,
            });
            self.stop_clock(owner, a.clock(ClockKind::FirstResponse));
        }
        if let Some(c) = a
            .clock(ClockKind::Completion)
            .filter(|c| c.stopped_at.is_none())
        {
            let mut c = c.clone();
            c.stop(self.now(), self.ctx.calendar);
            c.next_fire_at = None;
            self.events.push(Event::ClockSet { owner, clock: c });
        }
        self.create_assignment(to_agency, a.role, Some(a), Some(note));
    }

    /// Move the report's status after an assignment changed.
    fn after_assignment_change(&mut self, stages: &[(AssignmentRole, Stage)], progress: bool) {
        let active: Vec<&(AssignmentRole, Stage)> =
            stages.iter().filter(|(_, s)| s.is_active()).collect();
        if active.is_empty() {
            // Every agency handed it back: triage again, on a fresh triage clock.
            self.set_status(S::Baru);
            self.restart_report_clock(ClockKind::Triage, self.ctx.policy.triage);
            return;
        }
        let lead = active.iter().find(|(r, _)| *r == AssignmentRole::Utama);
        let done = match lead {
            Some((_, s)) => *s == Stage::Tuntas,
            None => active.iter().all(|(_, s)| *s == Stage::Tuntas),
        };
        if done {
            self.set_status(S::Selesai);
            self.restart_report_clock(ClockKind::AutoClose, self.ctx.policy.auto_close);
            if let Some(o) = self
                .report
                .clock(ClockKind::Ombudsman)
                .filter(|c| c.is_running())
            {
                let mut o = o.clone();
                o.pause(self.now(), self.ctx.calendar);
                self.set_clock(ClockOwner::Report, o);
            }
        } else if progress && matches!(self.status, S::Didisposisikan | S::DibukaKembali) {
            self.set_status(S::Diproses);
        }
    }

    fn close(&mut self) {
        self.set_status(S::Ditutup);
        self.stop_report_clocks();
    }

    fn reopen(&mut self, reason: String) {
        self.push(Event::Reopened { reason });
        self.set_status(S::DibukaKembali);
        let auto_close = self.report.clock(ClockKind::AutoClose).cloned();
        self.stop_clock(ClockOwner::Report, auto_close.as_ref());
        if let Some(o) = self
            .report
            .clock(ClockKind::Ombudsman)
            .filter(|c| c.is_paused())
        {
            let mut o = o.clone();
            o.resume(self.now(), self.ctx.calendar);
            self.set_clock(ClockOwner::Report, o);
        }
        // Back to the lead agency (or, without an active lead, every agency that finished).
        let active: Vec<&AssignmentView> = self
            .report
            .assignments
            .iter()
            .filter(|a| a.stage.is_active())
            .collect();
        let has_lead = active.iter().any(|a| a.role == AssignmentRole::Utama);
        let targets: Vec<&AssignmentView> = active
            .into_iter()
            .filter(|a| a.stage == Stage::Tuntas && (!has_lead || a.role == AssignmentRole::Utama))
            .collect();
        for a in targets {
            self.push(Event::AssignmentRestarted {
                assignment: a.id,
                from: a.stage,
            });
            self.start_assignment_clocks(AssignmentRef::Existing(a.id));
        }
    }
}

/// What persisting `events` does to `view`: the reference the stores are tested against.
/// `next_id` hands out ids for assignments created by the events.
pub fn evolve(view: &ReportView, events: &[Event], mut next_id: impl FnMut() -> i64) -> ReportView {
    let mut v = view.clone();
    let mut created: Vec<i64> = Vec::new();
    let resolve = |r: AssignmentRef, created: &[i64]| match r {
        AssignmentRef::Existing(id) => id,
        AssignmentRef::New(i) => created[i],
    };
    for e in events {
        match e {
            Event::StatusChanged { to, .. } => v.status = *to,
            Event::WaitStarted { resume_to, .. } => v.status_before_wait = Some(*resume_to),
            Event::WaitEnded { .. } => v.status_before_wait = None,
            Event::Edited { after, .. } => v.fields = after.clone(),
            Event::AssignmentCreated {
                agency_id,
                role,
                stage,
                responded,
                ..
            } => {
                let id = next_id();
                created.push(id);
                v.assignments.push(AssignmentView {
                    id,
                    agency_id: agency_id.clone(),
                    role: *role,
                    stage: *stage,
                    responded: *responded,
                    clocks: Vec::new(),
                });
            }
            Event::StageChanged {
                assignment,
                to,
                first_response,
                ..
            } => {
                let id = resolve(*assignment, &created);
                if let Some(a) = v.assignments.iter_mut().find(|a| a.id == id) {
                    a.stage = *to;
                    a.responded |= *first_response;
                }
            }
            Event::AssignmentRestarted { assignment, .. } => {
                if let Some(a) = v.assignments.iter_mut().find(|a| a.id == *assignment) {
                    a.stage = Stage::MenungguRespon;
                    a.responded = false;
                }
            }
            Event::ClockSet { owner, clock } => {
                let clocks = match owner {
                    ClockOwner::Report => &mut v.clocks,
                    ClockOwner::Assignment(r) => {
                        let id = resolve(*r, &created);
                        match v.assignments.iter_mut().find(|a| a.id == id) {
                            Some(a) => &mut a.clocks,
                            None => continue,
                        }
                    }
                };
                match clocks.iter_mut().find(|c| c.kind == clock.kind) {
                    Some(c) => *c = clock.clone(),
                    None => clocks.push(clock.clone()),
                }
            }
            Event::DuplicateLinked { .. }
            | Event::ObligationOpened { .. }
            | Event::ObligationAnswered { .. }
            | Event::ObligationDueMoved { .. }
            | Event::ObligationCancelled { .. }
            | Event::Archived { .. }
            | Event::ReporterReplied { .. }
            | Event::Rated { .. }
            | Event::Reopened { .. }
            | Event::InstructionAdded { .. }
            | Event::ReporterMessaged { .. }
            | Event::Verified
            | Event::DispatchNoted { .. } => {}
        }
    }
    v.version += 1;
    v
}

/// Clocks a new report starts with: triage, and the Ombudsman offer.
pub fn new_report_clocks(now: Timestamp, policy: &SlaPolicy, cal: &WorkingCalendar) -> Vec<Clock> {
    let mut clocks = vec![
        policy.triage.start(ClockKind::Triage, now, cal),
        policy.ombudsman.start(ClockKind::Ombudsman, now, cal),
    ];
    for c in &mut clocks {
        c.reschedule(&policy.thresholds(c.kind), cal);
    }
    clocks
}

#[cfg(test)]
mod tests;
