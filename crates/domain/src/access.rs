//! Who may see what of a report. Writes are decided by [`crate::workflow::decide`]; this module
//! decides reads, and what of the reporter's identity a viewer may learn. Every handler asks here;
//! none decides on its own.
//!
//! What the reporter writes (answers, added information, a reopen reason, a rating comment) and
//! what the staff write to them can identify the reporter as surely as their name: it is the
//! [`Audience::Conversation`], seen by the reporter, the complaint desk, and the assigned agencies
//! (and leadership, the inspectorate) only when the report is not `anonim`. Never by the public.

use crate::agency::AgencyTree;
use crate::model::{ReportStatus, Role, Visibility};
use crate::policy::{self, Party, Permission};
use serde::{Deserialize, Serialize};

/// Who a timeline entry, and the files attached to it, is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Everyone who may read the report (for a public report, anyone): the desk's and the
    /// agencies' progress, status changes.
    Public,
    /// The conversation with the reporter: questions, answers, added information, messages, the
    /// reporter's reopen reason. See [`Disclosure::conversation`].
    Conversation,
    /// Staff only: the desk's edits, leadership instructions.
    Internal,
}

impl Audience {
    pub const ALL: [Audience; 3] = [Audience::Public, Audience::Conversation, Audience::Internal];

    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Public => "public",
            Audience::Conversation => "conversation",
            Audience::Internal => "internal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// How precisely a viewer may know where the problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Location {
    /// No coordinates at all.
    #[default]
    Hidden,
    /// Latitude and longitude rounded to [`approximate`] (about 100 m).
    Approximate,
    Exact,
}

/// A coordinate rounded to 3 decimals (about 110 m of latitude): enough to find the street,
/// not the house.
pub fn approximate(coordinate: f64) -> f64 {
    (coordinate * 1000.0).round() / 1000.0
}

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
    /// The conversation with the reporter ([`Audience::Conversation`] entries, their files, the
    /// messages, the rating comment).
    pub conversation: bool,
    pub audit_trail: bool,
    /// The coordinates.
    pub location: Location,
    /// Files as uploaded. Without it, only the files the desk reviewed and published (or their
    /// redacted copies), of entries the viewer sees, of a publicly listed report.
    pub original_files: bool,
}

impl Disclosure {
    /// Whether the viewer sees entries (and their files) written for `audience`.
    pub fn sees(&self, audience: Audience) -> bool {
        match audience {
            Audience::Public => self.read,
            Audience::Conversation => self.read && self.conversation,
            Audience::Internal => self.read && self.internal,
        }
    }

    /// What either disclosure allows (a staff member who also holds the reporter's secret).
    pub fn union(self, other: Disclosure) -> Disclosure {
        Disclosure {
            read: self.read || other.read,
            reporter_name: self.reporter_name || other.reporter_name,
            reporter_contact: self.reporter_contact || other.reporter_contact,
            nik: self.nik || other.nik,
            internal: self.internal || other.internal,
            conversation: self.conversation || other.conversation,
            audit_trail: self.audit_trail || other.audit_trail,
            location: self.location.max(other.location),
            original_files: self.original_files || other.original_files,
        }
    }
}

impl PartialOrd for Location {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Location {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let rank = |l: &Location| match l {
            Location::Hidden => 0,
            Location::Approximate => 1,
            Location::Exact => 2,
        };
        rank(self).cmp(&rank(other))
    }
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
            // Even a rounded point can be the reporter's own house: none for anonim reports.
            location: if identity_shown {
                Location::Approximate
            } else {
                Location::Hidden
            },
            ..Disclosure::default()
        },
        Viewer::Reporter => Disclosure {
            read: true,
            reporter_name: true,
            reporter_contact: true,
            conversation: true,
            location: Location::Exact,
            original_files: true,
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
                // What the reporter writes can name them: for anonim reports, the desk only.
                conversation: operator || identity_shown,
                audit_trail: policy::allows(Party::Staff(role), Permission::ReadAuditTrail),
                location: Location::Exact,
                original_files: true,
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

    fn anonim() -> Visibility {
        Visibility {
            anonim: true,
            rahasia: false,
        }
    }

    /// Who sees which audience, for a public and for an anonim report.
    #[test]
    fn audiences_per_viewer() {
        let t = tree();
        let cases: [(Viewer<'_>, [bool; 3], [bool; 3]); 7] = [
            // (viewer, [public, conversation, internal] on a public report, the same on anonim)
            (Viewer::Public, [true, false, false], [true, false, false]),
            (Viewer::Reporter, [true, true, false], [true, true, false]),
            (
                staff(Role::Operator, None),
                [true, true, true],
                [true, true, true],
            ),
            (
                staff(Role::Petugas, Some("rsud")),
                [true, true, true],
                [true, false, true],
            ),
            (
                staff(Role::Kepala, Some("dinkes")),
                [true, true, true],
                [true, false, true],
            ),
            (
                staff(Role::Pimpinan, None),
                [true, true, true],
                [true, false, true],
            ),
            (
                staff(Role::Auditor, None),
                [true, true, true],
                [true, false, true],
            ),
        ];
        for (viewer, on_public, on_anonim) in cases {
            for (v, want) in [(Visibility::PUBLIK, on_public), (anonim(), on_anonim)] {
                let d = disclose(viewer, &scope(v, &["rsud"]), &t);
                let got = Audience::ALL.map(|a| d.sees(a));
                assert_eq!(got, want, "{viewer:?} on {v:?}");
            }
        }
        // An agency that is not assigned sees nothing, whatever the audience.
        let d = disclose(
            staff(Role::Petugas, Some("dpu")),
            &scope(Visibility::PUBLIK, &["rsud"]),
            &t,
        );
        assert!(Audience::ALL.iter().all(|a| !d.sees(*a)));
        // Nor does the public see anything of a confidential report.
        let rahasia = Visibility {
            anonim: false,
            rahasia: true,
        };
        let d = disclose(Viewer::Public, &scope(rahasia, &[]), &t);
        assert!(Audience::ALL.iter().all(|a| !d.sees(*a)));
        for a in Audience::ALL {
            assert_eq!(Audience::parse(a.as_str()), Some(a));
        }
    }

    #[test]
    fn the_public_gets_an_approximate_location_and_none_for_anonim_reports() {
        let t = tree();
        let public = disclose(Viewer::Public, &scope(Visibility::PUBLIK, &[]), &t);
        assert_eq!(public.location, Location::Approximate);
        assert!(!public.original_files);
        assert_eq!(
            disclose(Viewer::Public, &scope(anonim(), &[]), &t).location,
            Location::Hidden
        );
        for v in [
            Viewer::Reporter,
            staff(Role::Operator, None),
            staff(Role::Petugas, Some("rsud")),
            staff(Role::Auditor, None),
        ] {
            let d = disclose(v, &scope(anonim(), &["rsud"]), &t);
            assert_eq!(d.location, Location::Exact, "{v:?}");
            assert!(d.original_files, "{v:?}");
        }
        assert_eq!(approximate(-6.982_649), -6.983);
        assert_eq!(approximate(110.409_249), 110.409);
        let both = public.union(disclose(
            Viewer::Reporter,
            &scope(Visibility::PUBLIK, &[]),
            &t,
        ));
        assert_eq!(both.location, Location::Exact);
        assert!(both.conversation && both.original_files);
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
