//! Who may see what of a report. Writes are decided by [`crate::workflow::decide`]; this module
//! decides reads, and what of the reporter's identity a viewer may learn. Every handler asks here;
//! none decides on its own.

use crate::agency::AgencyTree;
use crate::model::{ReportStatus, Role, Visibility};
use crate::policy::{self, Party, Permission};

/// Who is looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer<'a> {
    /// Anyone, without login or secret.
    Public,
    /// The reporter, proven by the secret link.
    Reporter,
    /// A logged-in user.
    Staff {
        role: Role,
        agency_id: Option<&'a str>,
    },
}

/// The facts about a report that decide access.
#[derive(Debug, Clone, Copy)]
pub struct ReportScope<'a> {
    pub visibility: Visibility,
    pub status: ReportStatus,
    /// The reporter agreed to show their name on the public site.
    pub show_reporter_name: bool,
    /// Agencies with an assignment on the report (any stage, including returned ones).
    pub assigned_agencies: &'a [&'a str],
}

/// What a viewer may see of one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Disclosure {
    pub read: bool,
    pub reporter_name: bool,
    /// Phone and e-mail.
    pub reporter_contact: bool,
    /// The NIK: never outside the operator role.
    pub nik: bool,
    /// Internal timeline entries (edits, leadership instructions).
    pub internal: bool,
    /// The conversation with the reporter.
    pub conversation: bool,
    pub audit_trail: bool,
}

/// Statuses the public listing shows: verified by the desk, not archived or merged.
pub fn publicly_listed(status: ReportStatus) -> bool {
    !matches!(
        status,
        ReportStatus::Baru | ReportStatus::Diarsipkan | ReportStatus::Duplikat
    )
}

/// The agency user's scope: their agency and its sub-units.
fn in_agency_scope(mine: Option<&str>, scope: &ReportScope<'_>, tree: &AgencyTree) -> bool {
    mine.is_some_and(|m| scope.assigned_agencies.iter().any(|a| tree.is_within(a, m)))
}

pub fn disclose(viewer: Viewer<'_>, scope: &ReportScope<'_>, tree: &AgencyTree) -> Disclosure {
    let identity_shown = !scope.visibility.anonim;
    match viewer {
        Viewer::Public => Disclosure {
            read: scope.visibility.is_public(),
            reporter_name: scope.visibility.is_public()
                && identity_shown
                && scope.show_reporter_name,
            ..Disclosure::default()
        },
        Viewer::Reporter => Disclosure {
            read: true,
            reporter_name: true,
            reporter_contact: true,
            conversation: true,
            ..Disclosure::default()
        },
        Viewer::Staff { role, agency_id } => {
            let read = match role {
                Role::Operator | Role::Pimpinan | Role::Auditor => true,
                Role::Petugas | Role::Kepala => in_agency_scope(agency_id, scope, tree),
                Role::Admin => false,
            };
            if !read {
                return Disclosure::default();
            }
            let operator = role == Role::Operator;
            Disclosure {
                read,
                // Anonymous reporters are known to the complaint desk only.
                reporter_name: operator || identity_shown,
                reporter_contact: operator || identity_shown,
                nik: operator,
                internal: true,
                conversation: true,
                audit_trail: policy::allows(Party::Staff(role), Permission::ReadAuditTrail),
            }
        }
    }
}

/// Which reports a viewer's list may contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListScope {
    Everything,
    /// Reports assigned to these agencies (the user's agency and its sub-units).
    Agencies(Vec<String>),
    /// Public, verified reports only.
    PublicOnly,
    Nothing,
}

pub fn list_scope(viewer: Viewer<'_>, tree: &AgencyTree) -> ListScope {
    match viewer {
        Viewer::Public | Viewer::Reporter => ListScope::PublicOnly,
        Viewer::Staff { role, agency_id } => match role {
            Role::Operator | Role::Pimpinan | Role::Auditor => ListScope::Everything,
            Role::Petugas | Role::Kepala => {
                agency_id.map_or(ListScope::Nothing, |a| ListScope::Agencies(tree.subtree(a)))
            }
            Role::Admin => ListScope::Nothing,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> AgencyTree {
        AgencyTree::new([
            ("pemprov", None),
            ("dinkes", Some("pemprov")),
            ("rsud", Some("dinkes")),
            ("dpu", Some("pemprov")),
        ])
    }

    fn scope<'a>(v: Visibility, agencies: &'a [&'a str]) -> ReportScope<'a> {
        ReportScope {
            visibility: v,
            status: ReportStatus::Diproses,
            show_reporter_name: true,
            assigned_agencies: agencies,
        }
    }

    fn staff(role: Role, agency: Option<&str>) -> Viewer<'_> {
        Viewer::Staff {
            role,
            agency_id: agency,
        }
    }

    #[test]
    fn anonymous_identity_reaches_operators_only() {
        let t = tree();
        let s = scope(
            Visibility {
                anonim: true,
                rahasia: false,
            },
            &["rsud"],
        );
        assert!(disclose(staff(Role::Operator, None), &s, &t).reporter_contact);
        assert!(disclose(staff(Role::Operator, None), &s, &t).nik);
        for v in [
            staff(Role::Petugas, Some("dinkes")),
            staff(Role::Kepala, Some("rsud")),
            staff(Role::Pimpinan, None),
            staff(Role::Auditor, None),
            Viewer::Public,
        ] {
            let d = disclose(v, &s, &t);
            assert!(!d.reporter_name && !d.reporter_contact && !d.nik, "{v:?}");
        }
    }

    #[test]
    fn agencies_see_their_subtree_only() {
        let t = tree();
        let s = scope(Visibility::PUBLIK, &["rsud"]);
        assert!(disclose(staff(Role::Petugas, Some("rsud")), &s, &t).read);
        assert!(
            disclose(staff(Role::Kepala, Some("dinkes")), &s, &t).read,
            "parent agency"
        );
        assert!(
            !disclose(staff(Role::Petugas, Some("dpu")), &s, &t).read,
            "other agency"
        );
        assert!(
            !disclose(staff(Role::Petugas, None), &s, &t).read,
            "agency user without agency"
        );
        assert!(!disclose(staff(Role::Admin, None), &s, &t).read);
        assert!(!disclose(staff(Role::Petugas, Some("dinkes")), &s, &t).nik);
    }

    #[test]
    fn confidential_reports_are_not_public() {
        let t = tree();
        let s = scope(
            Visibility {
                anonim: false,
                rahasia: true,
            },
            &[],
        );
        assert!(!disclose(Viewer::Public, &s, &t).read);
        assert!(disclose(Viewer::Reporter, &s, &t).read);
        let public = scope(Visibility::PUBLIK, &[]);
        let d = disclose(Viewer::Public, &public, &t);
        assert!(d.read && d.reporter_name && !d.reporter_contact && !d.conversation && !d.internal);
        assert!(disclose(staff(Role::Auditor, None), &public, &t).audit_trail);
        assert!(!disclose(staff(Role::Operator, None), &public, &t).audit_trail);
    }

    #[test]
    fn list_scopes() {
        let t = tree();
        assert_eq!(
            list_scope(staff(Role::Kepala, Some("dinkes")), &t),
            ListScope::Agencies(vec!["dinkes".into(), "rsud".into()])
        );
        assert_eq!(
            list_scope(staff(Role::Pimpinan, None), &t),
            ListScope::Everything
        );
        assert_eq!(list_scope(Viewer::Public, &t), ListScope::PublicOnly);
        assert_eq!(list_scope(staff(Role::Admin, None), &t), ListScope::Nothing);
        assert!(!publicly_listed(ReportStatus::Baru));
        assert!(publicly_listed(ReportStatus::Selesai));
    }
}
