//! Who may do what: the one permission table of Tanggap (SPEC section 1).
//!
//! Every door (the JSON API, the pages, the chat channels, Open311, connectors, the CLI, the
//! scheduler) names its caller as a [`Party`] and asks [`allows`]. The workflow
//! ([`crate::workflow::decide`]) asks here for report writes, the service layer for everything
//! else, and the pages ask here which panels to show, so a form is offered exactly when the
//! action would be allowed. What a party may *read* of one report, and of the reporter's
//! identity, is decided in [`crate::access`], which takes its role lists from here too.
//!
//! Scope is separate from permission: an agency user who may work assignments still works only
//! those of their agency and its sub-units (checked by the workflow against the agency tree).

use crate::model::Role;
use serde::{Deserialize, Serialize};

/// Who is asking, as far as permissions go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "role", rename_all = "snake_case")]
pub enum Party {
    /// Anyone, without login or proof.
    Public,
    /// The reporter of the report at hand, proven by its secret link or by the verified chat
    /// address it came from.
    Reporter,
    /// A logged-in staff member, or an API token acting as its user.
    Staff(Role),
    /// Tanggap itself: the scheduler, imports, the command line run by the operator of the
    /// machine.
    System,
}

macro_rules! permissions {
    ($($(#[$doc:meta])* $v:ident = $s:literal),+ $(,)?) => {
        /// Something a party may be allowed to do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Permission { $($(#[$doc])* $v),+ }
        impl Permission {
            pub const ALL: &'static [Permission] = &[$(Permission::$v),+];
            /// Stable name, used in refusals (`role_not_allowed` with `permission`).
            pub fn as_str(self) -> &'static str { match self { $(Permission::$v => $s),+ } }
        }
    };
}

permissions!(
    /// Submit a report as a citizen (web form, API, chat, Open311): anyone.
    SubmitReport = "submit_report",
    /// Enter a phone or walk-in report on a citizen's behalf.
    EnterReportOnBehalf = "enter_report_on_behalf",
    /// Check, correct and classify a new report.
    VerifyReport = "verify_report",
    /// Send a report to one or more agencies.
    DispatchReport = "dispatch_report",
    /// Link a report to the master report it repeats.
    MarkDuplicate = "mark_duplicate",
    /// Archive an unclear, spam or out-of-scope report with a reason.
    ArchiveReport = "archive_report",
    /// Review a report's photos and documents before the public sees them: publish, hide, or
    /// publish a copy with areas blacked out.
    ReviewAttachments = "review_attachments",
    /// Ask the reporter a question or write to them (the desk; an agency with an active
    /// assignment on the report).
    WriteToReporter = "write_to_reporter",
    /// Post progress on, return or forward an assignment (within the agency's scope).
    WorkAssignment = "work_assignment",
    /// Add a leadership instruction to a report.
    AddInstruction = "add_instruction",
    /// Reply, add information, confirm, rate and reopen one's own report.
    ActAsReporter = "act_as_reporter",
    /// Close a report whose auto-close period passed.
    AutoCloseReport = "auto_close_report",
    /// Move running deadlines after the working calendar changed.
    RecalendarClocks = "recalendar_clocks",
    /// Work the complaint desk: its inbox, list of reports to triage, the channel inbox.
    UseDesk = "use_desk",
    /// See the agency's queue of open assignments with their countdowns.
    ViewAgencyQueue = "view_agency_queue",
    /// See the agency's dashboard of its own figures.
    ViewAgencyDashboard = "view_agency_dashboard",
    /// See every agency's figures, the lalai list and the heads named in it.
    ViewLeadershipDashboard = "view_leadership_dashboard",
    /// Read a report's audit trail.
    ReadAuditTrail = "read_audit_trail",
    /// See agency heads' phone numbers and e-mail addresses.
    ViewHeadContacts = "view_head_contacts",
    /// List the accounts.
    ViewUsers = "view_users",
    /// Create and change accounts and their API tokens.
    ManageUsers = "manage_users",
    /// Change agencies and their heads, categories, holidays.
    ManageReferenceData = "manage_reference_data",
    /// Read the SLA policy as configured.
    ViewPolicy = "view_policy",
    /// Change the SLA policy.
    ManagePolicy = "manage_policy",
    /// Read the accountability figures of every agency, and the heads they name.
    ViewCompliance = "view_compliance",
    /// Read one's own in-app notifications.
    ReadOwnNotifications = "read_own_notifications",
    /// Answer a reporter's personal-data request (UU 27/2022): export, correct, forget.
    ManagePersonalData = "manage_personal_data",
    /// See the messages the outbox gave up on (dead letters) and send them again.
    ManageOutbox = "manage_outbox",
    /// Record the progress an agency's own system reported through its connector.
    RecordRemoteUpdate = "record_remote_update",
    /// Set up and watch the connectors to agencies' own systems.
    ManageConnectors = "manage_connectors",
    /// See how the system is doing: the outbox, the database pool, the writer's queue.
    ViewOperations = "view_operations",
);

/// The table. A new permission must be placed here; there is no default.
pub fn allows(party: Party, p: Permission) -> bool {
    use Permission::*;
    use Role::*;
    let staff = |roles: &[Role]| matches!(party, Party::Staff(r) if roles.contains(&r));
    match p {
        // Anyone may complain, staff included (an integration's token submits as the API).
        SubmitReport => true,
        EnterReportOnBehalf | VerifyReport | DispatchReport | MarkDuplicate | ArchiveReport
        | ReviewAttachments | UseDesk => staff(&[Operator]),
        WriteToReporter => staff(&[Operator, Petugas, Kepala]),
        WorkAssignment | ViewAgencyQueue | ViewAgencyDashboard => staff(&[Petugas, Kepala]),
        AddInstruction => staff(&[Pimpinan]),
        ActAsReporter => party == Party::Reporter,
        AutoCloseReport | RecalendarClocks | RecordRemoteUpdate => party == Party::System,
        ViewLeadershipDashboard => staff(&[Pimpinan, Auditor, Operator]),
        ReadAuditTrail => staff(&[Auditor]),
        ViewHeadContacts => staff(&[Operator, Petugas, Kepala, Pimpinan, Auditor, Admin]),
        ViewUsers => staff(&[Admin, Operator, Auditor]),
        ManageUsers | ManageReferenceData | ManagePolicy => {
            staff(&[Admin]) || party == Party::System
        }
        ViewPolicy => matches!(party, Party::Staff(_) | Party::System),
        ReadOwnNotifications => matches!(party, Party::Staff(_)),
        ViewCompliance => staff(&[Pimpinan, Auditor, Admin, Operator]) || party == Party::System,
        ManagePersonalData => staff(&[Operator, Admin]) || party == Party::System,
        ManageOutbox => staff(&[Admin, Operator]),
        ManageConnectors | ViewOperations => staff(&[Admin]) || party == Party::System,
    }
}

/// The roles that hold a permission (for messages and documentation).
pub fn roles_with(p: Permission) -> Vec<Role> {
    Role::ALL
        .iter()
        .copied()
        .filter(|r| allows(Party::Staff(*r), p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn desk_actions_belong_to_the_operator() {
        for p in [
            Permission::VerifyReport,
            Permission::DispatchReport,
            Permission::ArchiveReport,
            Permission::ReviewAttachments,
        ] {
            assert_eq!(roles_with(p), vec![Role::Operator], "{p:?}");
            assert!(!allows(Party::Public, p));
            assert!(!allows(Party::Reporter, p));
            assert!(!allows(Party::System, p));
        }
    }

    #[test]
    fn only_the_reporter_acts_as_reporter_and_only_the_system_auto_closes() {
        for r in Role::ALL {
            assert!(!allows(Party::Staff(*r), Permission::ActAsReporter));
            assert!(!allows(Party::Staff(*r), Permission::AutoCloseReport));
        }
        assert!(allows(Party::Reporter, Permission::ActAsReporter));
        assert!(allows(Party::System, Permission::AutoCloseReport));
        assert!(!allows(Party::Public, Permission::ActAsReporter));
    }

    #[test]
    fn the_auditor_reads_the_trail_and_changes_nothing() {
        let auditor = Party::Staff(Role::Auditor);
        assert!(allows(auditor, Permission::ReadAuditTrail));
        for p in Permission::ALL {
            let writes = !matches!(
                p,
                Permission::SubmitReport
                    | Permission::ReadAuditTrail
                    | Permission::ViewLeadershipDashboard
                    | Permission::ViewHeadContacts
                    | Permission::ViewUsers
                    | Permission::ViewPolicy
                    | Permission::ViewCompliance
                    | Permission::ReadOwnNotifications
            );
            if writes {
                assert!(!allows(auditor, *p), "{p:?}");
            }
        }
    }

    /// (Submitting a complaint is open to everyone, staff included.)
    #[test]
    fn the_public_may_only_submit() {
        let allowed: Vec<_> = Permission::ALL
            .iter()
            .filter(|p| allows(Party::Public, **p))
            .collect();
        assert_eq!(allowed, vec![&Permission::SubmitReport]);
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = Permission::ALL.iter().map(|p| p.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Permission::ALL.len());
    }
}
