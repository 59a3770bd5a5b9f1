//! Reading reports: who may open which report, and what of it they may see. Access is decided
//! once, by `tanggap_domain::access`; what leaves here is already cut to the caller (the
//! reporter's identity and contacts, internal timeline entries, the conversation, the audit
//! trail), so no door can show more than it should by forgetting a check.

use crate::{Caller, RefusalKind, Result, ServiceError, Services};
use std::collections::HashMap;
use tanggap_domain::access::{
    Audience, Disclosure, ListScope, Location, ReportScope, Viewer, approximate, disclose,
    list_scope, publicly_listed,
};
use tanggap_domain::audit::AuditEvent;
use tanggap_domain::ids::sha256_hex;
use tanggap_domain::policy::Permission;
use tanggap_domain::{Agency, AgencyTree, Clock, ReportStatus, Timestamp, TrackingId};
use tanggap_store::{
    ActivityKind, ActivityRecord, AssignmentRecord, AttachmentRecord, MessageRecord, Page,
    ReportFilter, ReportRecord,
};

/// A report opened by a caller, with what they may see and who they act as.
#[derive(Debug, Clone)]
pub struct OpenedReport {
    /// The reporter's details are cut to the disclosure.
    pub report: ReportRecord,
    pub assignments: Vec<AssignmentRecord>,
    pub disclosure: Disclosure,
    /// The caller proved to be the reporter (the report's secret).
    pub as_reporter: bool,
    /// Every agency, loaded once (names on the timeline, dispatch choices).
    pub agencies: Vec<Agency>,
}

impl OpenedReport {
    pub fn agency_names(&self) -> HashMap<String, String> {
        self.agencies
            .iter()
            .map(|a| (a.id.clone(), a.name.clone()))
            .collect()
    }

    pub fn tree(&self) -> AgencyTree {
        AgencyTree::from_agencies(&self.agencies)
    }
}

/// One timeline line, with who did it as the viewer may know it.
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    /// For a `withheld` line, without its note.
    pub activity: ActivityRecord,
    /// `Pelapor`, `Sistem`, the agency's name, the desk, or (for staff) the person's name.
    pub by: String,
    /// The files of this entry the viewer may download (for the public: the reviewed copies).
    pub attachments: Vec<AttachmentRecord>,
    /// A line of the conversation the viewer may not read: it says that a question was asked or
    /// answered, not what.
    pub withheld: bool,
}

/// Everything a page or a response shows of a report, for this caller.
#[derive(Debug, Clone)]
pub struct ReportDetail {
    pub opened: OpenedReport,
    /// The master report, for a duplicate.
    pub duplicate_of: Option<TrackingId>,
    /// Entries this caller may see, oldest first.
    pub timeline: Vec<TimelineEntry>,
    /// Files sent with the report itself.
    pub attachments: Vec<AttachmentRecord>,
    /// The report's own clocks (triage, auto-close, Ombudsman), for "what happens next".
    pub clocks: Vec<Clock>,
}

/// A message of the conversation, with its author as the viewer may know them.
#[derive(Debug, Clone)]
pub struct ConversationMessage {
    pub message: MessageRecord,
    pub by: String,
}

pub(crate) fn viewer(caller: &Caller) -> Viewer<'_> {
    match caller {
        Caller::Staff(u) => Viewer::Staff {
            role: u.role,
            agency_id: u.agency_id.as_deref(),
        },
        Caller::Public | Caller::System => Viewer::Public,
    }
}

fn report_not_found(tid: &str) -> ServiceError {
    ServiceError::Refused(
        crate::Refusal::new(RefusalKind::NotFound, "report_not_found").with("tracking_id", tid),
    )
}

impl Services {
    /// Find the report and decide what the caller may see of it. A wrong secret is refused.
    pub async fn open_report(
        &self,
        caller: &Caller,
        tracking_id: &str,
        secret: Option<&str>,
    ) -> Result<OpenedReport> {
        let tid = TrackingId::parse(tracking_id).map_err(|_| report_not_found(tracking_id))?;
        let mut report = self
            .store
            .report_by_tracking_id(&tid)
            .await?
            .ok_or_else(|| report_not_found(tid.as_str()))?;
        let secret = secret.map(str::trim).filter(|s| !s.is_empty());
        let as_reporter = match secret {
            None => false,
            Some(s) => {
                let stored = self
                    .store
                    .report_secret_hash(report.id)
                    .await?
                    .unwrap_or_default();
                let presented = sha256_hex(s.to_ascii_lowercase().as_bytes());
                if !constant_time_eq(&stored, &presented) {
                    return Err(ServiceError::refused(
                        RefusalKind::Forbidden,
                        "wrong_secret",
                    ));
                }
                true
            }
        };
        let assignments = self.store.assignments(report.id).await?;
        let agency_ids: Vec<&str> = assignments.iter().map(|a| a.agency_id.as_str()).collect();
        let scope = ReportScope {
            visibility: report.visibility,
            status: report.status,
            show_reporter_name: report.show_reporter_name,
            assigned_agencies: &agency_ids,
        };
        let agencies = self.known_agencies().await?;
        let tree = AgencyTree::from_agencies(&agencies);
        let staff = disclose(viewer(caller), &scope, &tree);
        let disclosure = if as_reporter {
            staff.union(disclose(Viewer::Reporter, &scope, &tree))
        } else {
            staff
        };
        if !disclosure.read {
            return Err(ServiceError::refused(
                RefusalKind::Forbidden,
                if caller.user().is_some() {
                    "outside_scope"
                } else {
                    "confidential"
                },
            ));
        }
        cut_to(&mut report, &disclosure);
        Ok(OpenedReport {
            report,
            assignments,
            disclosure,
            as_reporter,
            agencies,
        })
    }

    /// The report with its timeline, files and clocks, as the caller may see it.
    pub async fn report_detail(
        &self,
        caller: &Caller,
        tracking_id: &str,
        secret: Option<&str>,
    ) -> Result<ReportDetail> {
        let opened = self.open_report(caller, tracking_id, secret).await?;
        self.detail_of(opened).await
    }

    /// [`Self::report_detail`] for a report already opened.
    pub async fn detail_of(&self, opened: OpenedReport) -> Result<ReportDetail> {
        let r = &opened.report;
        let d = opened.disclosure;
        let duplicate_of = match r.duplicate_of {
            Some(id) => self.store.report(id).await?.map(|m| m.tracking_id),
            None => None,
        };
        let activities = self.store.activities(r.id).await?;
        let audience: HashMap<i64, Audience> =
            activities.iter().map(|a| (a.id, a.audience)).collect();
        let mut by_activity: HashMap<Option<i64>, Vec<AttachmentRecord>> = HashMap::new();
        for a in self.store.attachments(r.id).await? {
            let entry = a.activity_id.and_then(|id| audience.get(&id).copied());
            if let Some(file) = file_for(a, &d, r.status, entry) {
                by_activity.entry(file.activity_id).or_default().push(file);
            }
        }
        let submitted = activities
            .iter()
            .find(|a| a.kind == ActivityKind::Submitted)
            .map(|a| a.id);
        // Lines of the conversation the viewer may not read still say that something was asked
        // or answered (the report waits for the reporter), without the words.
        let visible: Vec<(ActivityRecord, bool)> = activities
            .into_iter()
            .filter_map(|mut a| {
                if d.sees(a.audience) {
                    Some((a, false))
                } else if a.audience == Audience::Conversation {
                    a.note = None;
                    Some((a, true))
                } else {
                    None
                }
            })
            .collect();
        let names = self
            .names(
                d.internal,
                visible.iter().map(|(a, _)| a.actor.as_str()),
                opened.agency_names(),
            )
            .await?;
        let attachments = by_activity.remove(&submitted).unwrap_or_default();
        let timeline = visible
            .into_iter()
            .map(|(a, withheld)| TimelineEntry {
                by: names.label(&a.actor, a.agency_id.as_deref()),
                attachments: if Some(a.id) == submitted || withheld {
                    vec![]
                } else {
                    by_activity.remove(&Some(a.id)).unwrap_or_default()
                },
                activity: a,
                withheld,
            })
            .collect();
        let clocks = self
            .store
            .report_view(r.id)
            .await?
            .map(|v| v.clocks)
            .unwrap_or_default();
        Ok(ReportDetail {
            opened,
            duplicate_of,
            timeline,
            attachments,
            clocks,
        })
    }

    /// The conversation with the reporter: for the reporter and the staff handling the report.
    pub async fn conversation(&self, opened: &OpenedReport) -> Result<Vec<ConversationMessage>> {
        if !opened.disclosure.conversation {
            return Err(ServiceError::refused(
                RefusalKind::Forbidden,
                "conversation_private",
            ));
        }
        let messages = self.store.messages(opened.report.id).await?;
        let staff_view = opened.disclosure.internal;
        let names = self
            .names(
                staff_view,
                messages.iter().map(|m| m.author.as_str()),
                opened.agency_names(),
            )
            .await?;
        Ok(messages
            .into_iter()
            .map(|m| ConversationMessage {
                by: names.label(&m.author, None),
                message: m,
            })
            .collect())
    }

    /// The report's audit trail (the inspectorate).
    pub async fn report_audit(&self, opened: &OpenedReport) -> Result<Vec<AuditEvent>> {
        if !opened.disclosure.audit_trail {
            return Err(ServiceError::not_permitted(Permission::ReadAuditTrail));
        }
        Ok(self
            .store
            .audit_for_object("report", &opened.report.id.to_string())
            .await?)
    }

    /// An attachment by its public key, as the caller may download it: the original for staff
    /// who may read its entry and for the reporter; for anyone else, only a file the desk
    /// published (or its redacted copy), of an entry the public sees, of a publicly listed
    /// report. Anything else is "not found", so that a key says nothing about what exists.
    pub async fn attachment(
        &self,
        caller: &Caller,
        key: &str,
        secret: Option<&str>,
    ) -> Result<AttachmentRecord> {
        let not_found = || ServiceError::not_found("attachment", key);
        if !tanggap_domain::ids::is_attachment_key(key) {
            return Err(not_found());
        }
        let a = self
            .store
            .attachment_by_key(key)
            .await?
            .ok_or_else(not_found)?;
        let report = self
            .store
            .report(a.report_id)
            .await?
            .ok_or_else(not_found)?;
        let opened = match self
            .open_report(caller, report.tracking_id.as_str(), secret)
            .await
        {
            Ok(o) => o,
            Err(ServiceError::Refused(r)) if r.code == "wrong_secret" => {
                return Err(ServiceError::Refused(r));
            }
            Err(ServiceError::Refused(_)) => return Err(not_found()),
            Err(e) => return Err(e),
        };
        let entry = match a.activity_id {
            None => None,
            Some(act) => self
                .store
                .activities(opened.report.id)
                .await?
                .into_iter()
                .find(|x| x.id == act)
                .map(|x| x.audience),
        };
        file_for(a, &opened.disclosure, opened.report.status, entry).ok_or_else(not_found)
    }

    /// Reports matching `filter`, within what the caller may list: staff their scope (an agency
    /// its own and its sub-units' assignments, narrowed to `agency` if given); everyone else the
    /// verified public reports only.
    pub async fn list_reports(
        &self,
        caller: &Caller,
        mut filter: ReportFilter,
        agency: Option<&str>,
    ) -> Result<Page<ReportRecord>> {
        filter.text = filter.text.as_deref().and_then(crate::text::search);
        // A code asked for (a category, a region) with a control character is no code we hold:
        // it matches nothing (and PostgreSQL cannot take a NUL in a query).
        let no_code = |c: &str| c.chars().any(char::is_control);
        if filter.category.as_deref().is_some_and(no_code)
            || filter.categories.iter().any(|c| no_code(c))
            || filter.region.as_deref().is_some_and(no_code)
        {
            return Ok(Page {
                items: vec![],
                total: 0,
            });
        }
        let tree = self.agency_tree().await?;
        match list_scope(viewer(caller), &tree) {
            ListScope::Everything => filter.agency_ids = agency.map(|a| tree.subtree(a)),
            ListScope::Agencies(mine) => {
                filter.agency_ids = Some(match agency {
                    Some(a) if mine.iter().any(|m| m == a) => tree.subtree(a),
                    Some(a) => {
                        return Err(ServiceError::Refused(
                            crate::Refusal::new(RefusalKind::Forbidden, "agency_outside_scope")
                                .with("agency", a),
                        ));
                    }
                    None => mine,
                });
            }
            ListScope::PublicOnly => {
                filter.agency_ids = agency.map(|a| tree.subtree(a));
                match public_filter(filter) {
                    Some(f) => filter = f,
                    None => {
                        return Ok(Page {
                            items: vec![],
                            total: 0,
                        });
                    }
                }
            }
            ListScope::Nothing => {
                return Err(ServiceError::refused(
                    RefusalKind::Forbidden,
                    "no_report_access",
                ));
            }
        }
        let public = filter.public_only;
        let mut page = self.store.list_reports(&filter).await?;
        // A list never carries reporters' identities nor what they wrote in the conversation;
        // the report page decides those. The public gets the location as on the report page.
        for r in &mut page.items {
            r.reporter = None;
            r.rating_comment = None;
            if public {
                let anonim = r.visibility.anonim;
                r.latitude = r.latitude.filter(|_| !anonim).map(approximate);
                r.longitude = r.longitude.filter(|_| !anonim).map(approximate);
            }
        }
        Ok(page)
    }

    /// The newest public reports in a region (a kabupaten/kota code, or any prefix; `None`:
    /// the whole province), for the home page: what the public list shows (no confidential
    /// report, no reporter, the location approximated and none for anonymous reports), with the
    /// place by name.
    pub async fn recent_public_reports(
        &self,
        region: Option<&str>,
        limit: u32,
    ) -> Result<Vec<RecentReport>> {
        self.public_report_list(ReportFilter {
            region: region.map(str::to_string).filter(|r| !r.is_empty()),
            limit: limit.clamp(1, 50),
            skip_total: true,
            ..Default::default()
        })
        .await
    }

    /// The public list of `filter` (through [`Self::list_reports`] as the public), places by name.
    pub(crate) async fn public_report_list(
        &self,
        filter: ReportFilter,
    ) -> Result<Vec<RecentReport>> {
        let page = self.list_reports(&Caller::Public, filter, None).await?;
        let mut out = Vec::with_capacity(page.items.len());
        // Reports in one desa share their place: each is looked up once.
        let mut places: HashMap<Option<String>, String> = HashMap::new();
        for r in page.items {
            let place = match places.get(&r.region_code) {
                Some(p) => p.clone(),
                None => {
                    let p = self.place_name(r.region_code.as_deref()).await?;
                    places.insert(r.region_code.clone(), p.clone());
                    p
                }
            };
            out.push(RecentReport {
                tracking_id: r.tracking_id.to_string(),
                title: r.title,
                status: r.status,
                place,
                latitude: r.latitude,
                longitude: r.longitude,
                created_at: r.created_at,
            });
        }
        Ok(out)
    }

    /// How many public, verified reports there are, and how many of them are done.
    pub async fn public_counts(&self) -> Result<(u64, u64)> {
        let count = |statuses: Vec<ReportStatus>| async {
            self.store
                .list_reports(&ReportFilter {
                    statuses,
                    public_only: true,
                    limit: 1,
                    ..Default::default()
                })
                .await
                .map(|p| p.total)
        };
        let listed: Vec<ReportStatus> = ReportStatus::ALL
            .iter()
            .copied()
            .filter(|s| tanggap_domain::access::publicly_listed(*s))
            .collect();
        Ok((
            count(listed).await?,
            count(vec![ReportStatus::Selesai, ReportStatus::Ditutup]).await?,
        ))
    }

    async fn names(
        &self,
        staff_view: bool,
        actors: impl Iterator<Item = &str>,
        agencies: HashMap<String, String>,
    ) -> Result<Names> {
        let mut users = HashMap::new();
        for a in actors {
            if let Some(id) = a.strip_prefix("user:").and_then(|s| s.parse::<i64>().ok())
                && let std::collections::hash_map::Entry::Vacant(e) = users.entry(id)
                && let Some(u) = self.store.user(id).await?
            {
                e.insert((u.display_name, u.agency_id));
            }
        }
        Ok(Names {
            staff_view,
            users,
            agencies,
        })
    }
}

/// Names for actors in the timeline, as this viewer may know them.
struct Names {
    staff_view: bool,
    /// Users who acted: their name and agency (none for the desk and leadership).
    users: HashMap<i64, (String, Option<String>)>,
    agencies: HashMap<String, String>,
}

impl Names {
    /// Staff see who acted by name; the reporter and the public see the agency of the officer
    /// who acted, or "Admin Tanggap" for the desk (a dispatch is the desk's act, not the
    /// receiving agency's).
    fn label(&self, actor: &str, agency_id: Option<&str>) -> String {
        if actor == "public" || actor.starts_with("reporter") {
            return "Pelapor".into();
        }
        if actor == "system" || actor.starts_with("channel:") {
            return "Sistem".into();
        }
        let desk = || "Admin Tanggap".to_string();
        let entry_agency = || agency_id.and_then(|a| self.agencies.get(a)).cloned();
        match actor
            .strip_prefix("user:")
            .and_then(|s| s.parse::<i64>().ok())
            .and_then(|id| self.users.get(&id))
        {
            Some((name, _)) if self.staff_view => name.clone(),
            Some((_, None)) => desk(),
            Some((_, Some(own))) => self
                .agencies
                .get(own)
                .cloned()
                .or_else(entry_agency)
                .unwrap_or_else(desk),
            None => entry_agency().unwrap_or_else(desk),
        }
    }
}

/// What the public may list of `filter`: no confidential report, no reporter filter, only the
/// statuses `publicly_listed` allows (`None`: nothing at all). The one rule for the public list,
/// its counts and the open data.
pub(crate) fn public_filter(mut filter: ReportFilter) -> Option<ReportFilter> {
    filter.public_only = true;
    filter.reporter_id = None;
    let listed: Vec<ReportStatus> = ReportStatus::ALL
        .iter()
        .copied()
        .filter(|s| publicly_listed(*s))
        .collect();
    filter.statuses = if filter.statuses.is_empty() {
        listed
    } else {
        filter
            .statuses
            .into_iter()
            .filter(|s| listed.contains(s))
            .collect()
    };
    (!filter.statuses.is_empty()).then_some(filter)
}

/// Equal strings, compared in time that does not depend on where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The file of an attachment as this viewer may download it, if at all: the original, or for
/// the public the reviewed copy (its content type, size, digest and storage key in place of the
/// original's). `entry` is the audience of the timeline entry it belongs to.
fn file_for(
    mut a: AttachmentRecord,
    d: &Disclosure,
    status: ReportStatus,
    entry: Option<Audience>,
) -> Option<AttachmentRecord> {
    if !d.sees(entry.unwrap_or(Audience::Public)) {
        return None;
    }
    if d.original_files {
        return Some(a);
    }
    if !publicly_listed(status) {
        return None;
    }
    let copy = a.public_file()?;
    a.content_type = copy.content_type;
    a.size_bytes = copy.size_bytes;
    a.sha256 = copy.sha256;
    a.storage_key = copy.storage_key;
    Some(a)
}

/// A public report on the home page's "recent reports near you".
#[derive(Debug, Clone, PartialEq)]
pub struct RecentReport {
    pub tracking_id: String,
    pub title: String,
    pub status: ReportStatus,
    /// Desa, kecamatan, kabupaten/kota by name.
    pub place: String,
    /// Approximated as on the public report page; none for anonymous reports.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub created_at: Timestamp,
}

/// Blank what a disclosure withholds from a report: the reporter's name, contacts and NIK, the
/// exact location, the rating comment. Every way a report leaves the door goes through here.
pub(crate) fn cut_to(report: &mut ReportRecord, disclosure: &Disclosure) {
    if let Some(p) = report.reporter.as_mut() {
        if !disclosure.reporter_name {
            p.name = None;
        }
        if !disclosure.reporter_contact {
            p.phone = None;
            p.email = None;
        }
        if !disclosure.nik {
            p.nik = None;
        }
    }
    match disclosure.location {
        Location::Exact => {}
        Location::Approximate => {
            report.latitude = report.latitude.map(approximate);
            report.longitude = report.longitude.map(approximate);
        }
        Location::Hidden => {
            report.latitude = None;
            report.longitude = None;
        }
    }
    if !disclosure.conversation {
        report.rating_comment = None;
    }
    if !(disclosure.reporter_name || disclosure.reporter_contact) {
        report.reporter = report
            .reporter
            .take()
            .map(|p| tanggap_store::ReporterRecord {
                id: p.id,
                name: None,
                phone: None,
                email: None,
                nik: None,
            });
    }
}
