//! Open311 GeoReport v2 (SPEC section 7): what the `/open311/v2` adapter asks of the door.
//! Services are the categories; requests are reports, filed through [`Services::submit`] like
//! every other door (channel `open311`, the reporter's receipt, the triage clock) and read
//! through the public's view of a report ([`Services::open_report`], [`Services::list_reports`]
//! as [`Caller::Public`]): never a confidential report, never a reporter's name, contact or
//! words from the conversation, the location as the public page shows it. Updates are the
//! public timeline; an integration account's key posts its agency's stage through
//! [`Services::act`], the mySociety extended statuses mapped onto Tanggap's stages.
//!
//! Clients authenticate with an Open311 key (`api_key`), issued by an administrator and shown
//! once; only its SHA-256 is kept.

use crate::accounts::token_hash;
use crate::text::Checker;
use crate::{Action, Caller, FieldError, RefusalKind, ReportInput, ReporterInput, Result};
use crate::{ServiceError, Services};
use chrono::{NaiveDate, TimeDelta};
use std::collections::HashMap;
use tanggap_domain::policy::Permission;
use tanggap_domain::{AgencyKind, Channel, ReportStatus, Stage, Timestamp, TrackingId};
use tanggap_store::{ActivityKind, ActivityRecord, Open311Key, Open311Origin, ReportFilter};

/// The longest span of `GET requests` and of the update feed (the GeoReport v2 rule).
pub const MAX_SPAN_DAYS: i64 = 90;
/// The most requests one page holds.
pub const MAX_PAGE_SIZE: u32 = 200;
/// Requests per page when the client does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The most updates one call of the feed returns.
pub const MAX_UPDATES: u32 = 1000;

/// A category as an Open311 service.
#[derive(Debug, Clone, PartialEq)]
pub struct Open311Service {
    pub code: String,
    pub name: String,
    /// The name in English.
    pub description: String,
    pub keywords: Vec<String>,
    /// Who handles it by default: a provincial agency, a kabupaten/kota, a vertical agency…
    pub group: String,
}

/// A value of a list attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeValue {
    pub key: &'static str,
    pub name: &'static str,
}

/// A field of the service definition, beyond the standard ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Open311Attribute {
    pub code: &'static str,
    /// `string`, `number`, `datetime`, `text`, `singlevaluelist`, `multivaluelist`.
    pub datatype: &'static str,
    pub required: bool,
    pub description: &'static str,
    pub datatype_description: &'static str,
    pub order: u32,
    pub values: Vec<AttributeValue>,
}

/// What Tanggap asks of a report beyond the GeoReport v2 fields: every service has them.
pub fn attributes() -> Vec<Open311Attribute> {
    vec![
        Open311Attribute {
            code: "judul",
            datatype: "string",
            required: false,
            description: "Judul laporan (bila kosong: kata-kata pertama uraian)",
            datatype_description: "Paling banyak 150 karakter",
            order: 1,
            values: vec![],
        },
        Open311Attribute {
            code: "jenis",
            datatype: "singlevaluelist",
            required: false,
            description: "Jenis laporan (bila kosong: pengaduan)",
            datatype_description: "",
            order: 2,
            values: vec![
                AttributeValue {
                    key: "pengaduan",
                    name: "Pengaduan",
                },
                AttributeValue {
                    key: "aspirasi",
                    name: "Aspirasi",
                },
                AttributeValue {
                    key: "permintaan_informasi",
                    name: "Permintaan informasi",
                },
            ],
        },
        Open311Attribute {
            code: "tanggal_kejadian",
            datatype: "datetime",
            required: false,
            description: "Kapan kejadiannya",
            datatype_description: "Tanggal (2026-11-28) atau waktu W3C (2026-11-28T08:00:00+07:00)",
            order: 3,
            values: vec![],
        },
        Open311Attribute {
            code: "kerahasiaan",
            datatype: "multivaluelist",
            required: false,
            description: "Rahasia: laporan tidak tampil untuk publik. Anonim: identitas pelapor hanya diketahui petugas meja pengaduan.",
            datatype_description: "",
            order: 4,
            values: vec![
                AttributeValue {
                    key: "rahasia",
                    name: "Rahasia",
                },
                AttributeValue {
                    key: "anonim",
                    name: "Anonim",
                },
            ],
        },
    ]
}

/// A `POST requests` as the client sent it (strings, not yet checked).
#[derive(Debug, Clone, Default)]
pub struct Open311Submission {
    pub service_code: String,
    pub lat: Option<String>,
    pub long: Option<String>,
    pub address_string: Option<String>,
    /// A region code of Kemendagri (Tanggap's master address list).
    pub address_id: Option<String>,
    pub description: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub media_url: Option<String>,
    /// `attribute[code]` values (a list attribute may repeat).
    pub attributes: Vec<(String, String)>,
    pub attachments: Vec<tanggap_store::NewAttachment>,
}

/// What `POST requests` answers.
#[derive(Debug, Clone)]
pub struct Open311Created {
    pub tracking_id: TrackingId,
    pub token: String,
    pub notice: String,
    pub service_code: String,
    pub requested: Timestamp,
}

/// A report as Open311 shows it to anyone.
#[derive(Debug, Clone, PartialEq)]
pub struct Open311Request {
    pub id: String,
    /// `open` or `closed`.
    pub status: &'static str,
    pub status_notes: String,
    pub service_code: Option<String>,
    pub service_name: Option<String>,
    pub description: String,
    pub agency_responsible: Option<String>,
    pub service_notice: Option<String>,
    pub requested: Timestamp,
    pub updated: Timestamp,
    pub expected: Option<Timestamp>,
    pub address: Option<String>,
    pub address_id: Option<String>,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    /// The public timeline (`extensions=true`).
    pub notes: Vec<Open311Update>,
}

/// One public update of a request (the mySociety `request_update`).
#[derive(Debug, Clone, PartialEq)]
pub struct Open311Update {
    pub update_id: String,
    pub request_id: String,
    /// A mySociety extended status (`OPEN`, `INVESTIGATING`, `ACTION_SCHEDULED`, `IN_PROGRESS`,
    /// `FIXED`, `CLOSED`, `NOT_COUNCILS_RESPONSIBILITY`, `INTERNAL_REFERRAL`, `DUPLICATE`,
    /// `NO_FURTHER_ACTION`).
    pub status: &'static str,
    /// The entry's kind in words (Indonesian).
    pub summary: String,
    pub description: String,
    pub at: Timestamp,
}

/// `GET requests`' filters, parsed by the adapter.
#[derive(Debug, Clone, Default)]
pub struct Open311Query {
    pub ids: Vec<String>,
    pub service_codes: Vec<String>,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    /// `open`, `closed`; empty: both.
    pub statuses: Vec<String>,
    /// From 1.
    pub page: u32,
    pub page_size: u32,
    pub with_notes: bool,
}

/// A `POST servicerequestupdates`.
#[derive(Debug, Clone, Default)]
pub struct PostedUpdate {
    pub service_request_id: String,
    pub status: String,
    pub description: String,
}

/// An Open311 request is closed when no more work happens on it for now.
pub fn open_or_closed(status: ReportStatus) -> &'static str {
    match status {
        ReportStatus::Selesai
        | ReportStatus::Ditutup
        | ReportStatus::Diarsipkan
        | ReportStatus::Duplikat => "closed",
        _ => "open",
    }
}

/// The extended status of a stage (mySociety's vocabulary).
pub fn stage_status(stage: Stage) -> &'static str {
    match stage {
        Stage::MenungguRespon => "OPEN",
        Stage::Verifikasi => "INVESTIGATING",
        Stage::CekLapangan => "ACTION_SCHEDULED",
        Stage::Pengerjaan => "IN_PROGRESS",
        Stage::Tuntas => "FIXED",
        Stage::BukanWewenang => "NOT_COUNCILS_RESPONSIBILITY",
        Stage::Diteruskan => "INTERNAL_REFERRAL",
    }
}

/// The extended status a public timeline entry stands for.
pub fn entry_status(a: &ActivityRecord) -> &'static str {
    match a.kind {
        ActivityKind::StageUpdate => a.stage.map(stage_status).unwrap_or("OPEN"),
        ActivityKind::Returned => "NOT_COUNCILS_RESPONSIBILITY",
        ActivityKind::Forwarded => "INTERNAL_REFERRAL",
        ActivityKind::Duplicate => "DUPLICATE",
        ActivityKind::Archived => "NO_FURTHER_ACTION",
        _ => match a.status {
            Some(ReportStatus::Diproses) => "IN_PROGRESS",
            Some(ReportStatus::Selesai) => "FIXED",
            Some(ReportStatus::Ditutup) => "CLOSED",
            Some(ReportStatus::Diarsipkan) => "NO_FURTHER_ACTION",
            Some(ReportStatus::Duplikat) => "DUPLICATE",
            _ => "OPEN",
        },
    }
}

/// What a posted extended status does to the agency's assignment.
enum Posted {
    Stage(Stage),
    NotOurs,
}

fn posted_status(s: &str) -> Option<Posted> {
    Some(match s.trim().to_ascii_uppercase().as_str() {
        "INVESTIGATING" => Posted::Stage(Stage::Verifikasi),
        "ACTION_SCHEDULED" => Posted::Stage(Stage::CekLapangan),
        "IN_PROGRESS" => Posted::Stage(Stage::Pengerjaan),
        "FIXED" | "CLOSED" => Posted::Stage(Stage::Tuntas),
        "NOT_COUNCILS_RESPONSIBILITY" => Posted::NotOurs,
        _ => return None,
    })
}

fn summary(a: &ActivityRecord) -> String {
    match a.kind {
        ActivityKind::StageUpdate => match a.stage {
            Some(s) => format!("Tahap: {}", s.label()),
            None => "Perkembangan".into(),
        },
        ActivityKind::StatusChanged => match a.status {
            Some(s) => format!("Status: {}", s.label()),
            None => "Status berubah".into(),
        },
        ActivityKind::Submitted => "Laporan diterima".into(),
        ActivityKind::Verified => "Diverifikasi".into(),
        ActivityKind::Dispatched | ActivityKind::DispatchNote => "Didisposisikan".into(),
        ActivityKind::Returned => "Bukan wewenang".into(),
        ActivityKind::Forwarded => "Diteruskan".into(),
        ActivityKind::Duplicate => "Duplikat".into(),
        ActivityKind::Archived => "Diarsipkan".into(),
        ActivityKind::Rated => "Dinilai pelapor".into(),
        ActivityKind::Reopened => "Dibuka kembali".into(),
        ActivityKind::Restarted => "Dimulai lagi".into(),
        ActivityKind::Edited => "Diperbarui".into(),
        _ => "Perkembangan".into(),
    }
}

fn update_of(tid: &TrackingId, a: &ActivityRecord) -> Open311Update {
    Open311Update {
        update_id: a.id.to_string(),
        request_id: tid.to_string(),
        status: entry_status(a),
        summary: summary(a),
        description: a.note.clone().unwrap_or_else(|| summary(a)),
        at: a.created_at,
    }
}

fn group_of(kind: Option<AgencyKind>) -> &'static str {
    match kind {
        Some(AgencyKind::InstansiVertikal) => "Instansi vertikal",
        Some(AgencyKind::BumdProvinsi) => "BUMD Provinsi",
        Some(AgencyKind::PemerintahKabupatenKota | AgencyKind::OpdKabupatenKota) => {
            "Pemerintah kabupaten/kota"
        }
        Some(AgencyKind::RumahSakitProvinsi) => "Rumah sakit provinsi",
        _ => "Pemerintah Provinsi",
    }
}

fn bad_key() -> ServiceError {
    ServiceError::refused(RefusalKind::Forbidden, "open311_key_invalid")
}

fn new_key() -> (String, String) {
    use rand::RngCore;
    let mut bytes = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut bytes);
    let key = format!("o311_{}", hex::encode(bytes));
    let hash = token_hash(&key);
    (key, hash)
}

fn new_request_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn trimmed(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A date or a W3C date-time, as a date in the policy's zone.
fn date_of(s: &str, zone: chrono_tz::Tz) -> Option<NaiveDate> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d);
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&zone).date_naive())
}

impl Services {
    /// The categories as services, in their order.
    pub async fn open311_services(&self) -> Result<Vec<Open311Service>> {
        let agencies = self.known_agencies().await?;
        let kinds: HashMap<&str, AgencyKind> =
            agencies.iter().map(|a| (a.id.as_str(), a.kind)).collect();
        Ok(self
            .store
            .categories()
            .await?
            .into_iter()
            .map(|c| Open311Service {
                group: group_of(
                    c.default_agency_id
                        .as_deref()
                        .and_then(|a| kinds.get(a).copied()),
                )
                .to_string(),
                code: c.code,
                name: c.name_id,
                description: c.name_en,
                keywords: c.keywords,
            })
            .collect())
    }

    /// One service (404 for an unknown code).
    pub async fn open311_service(&self, code: &str) -> Result<Open311Service> {
        self.open311_services()
            .await?
            .into_iter()
            .find(|s| s.code == code)
            .ok_or_else(|| ServiceError::not_found("service", code))
    }

    /// The unrevoked key a client presented (403 for a wrong or revoked one, 401 for none).
    pub async fn open311_key(&self, key: Option<&str>) -> Result<Open311Key> {
        let key = key
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                ServiceError::refused(RefusalKind::Unauthenticated, "open311_key_required")
            })?;
        self.store
            .open311_key_by_hash(&token_hash(key))
            .await?
            .ok_or_else(bad_key)
    }

    /// File a report for an Open311 client: the same checks, clocks and receipt as the web form.
    pub async fn open311_submit(
        &self,
        key: Option<&str>,
        s: Open311Submission,
    ) -> Result<Open311Created> {
        let key = self.open311_key(key).await?;
        let (policy, calendar) = self.policy_and_calendar().await?;
        let mut c = Checker::default();
        let code = s.service_code.trim();
        let categories = self.reference().await?.categories.clone();
        if code.is_empty() {
            c.push(FieldError::new("service_code", "required"));
        } else if !categories.iter().any(|x| x.code == code) {
            c.push(FieldError::new("service_code", "unknown"));
        }
        let number = |c: &mut Checker, field: &str, v: &Option<String>, max: f64| {
            trimmed(v).and_then(|v| match v.parse::<f64>() {
                Ok(x) if x.is_finite() && x.abs() <= max => Some(x),
                _ => {
                    c.push(FieldError::new(field, "invalid"));
                    None
                }
            })
        };
        let lat = number(&mut c, "lat", &s.lat, 90.0);
        let long = number(&mut c, "long", &s.long, 180.0);
        if lat.is_some() != long.is_some() && !c.has("lat") && !c.has("long") {
            c.push(FieldError::new(
                if lat.is_some() { "long" } else { "lat" },
                "required",
            ));
        }
        let address = trimmed(&s.address_string);
        let address_id = trimmed(&s.address_id);
        if lat.is_none() && address.is_none() && address_id.is_none() && c.errors.is_empty() {
            c.push(FieldError::new("location", "required"));
        }
        let mut title = String::new();
        let mut kind = "pengaduan".to_string();
        let mut occurred_on = None;
        let mut visibility = vec![];
        let known = attributes();
        for (code, value) in &s.attributes {
            let value = value.trim();
            let field = format!("attribute[{code}]");
            let Some(attr) = known.iter().find(|a| a.code == code) else {
                c.push(FieldError::new(field, "unknown"));
                continue;
            };
            if !attr.values.is_empty()
                && !value.is_empty()
                && !attr.values.iter().any(|v| v.key == value)
            {
                c.push(FieldError::new(field, "invalid"));
                continue;
            }
            match attr.code {
                "judul" => title = value.to_string(),
                "jenis" if !value.is_empty() => kind = value.to_string(),
                "tanggal_kejadian" if !value.is_empty() => match date_of(value, calendar.tz()) {
                    Some(d) => occurred_on = Some(d.to_string()),
                    None => c.push(FieldError::new(field, "invalid")),
                },
                "kerahasiaan" if !value.is_empty() => visibility.push(value.to_string()),
                _ => {}
            }
        }
        c.finish()?;
        let mut body = s.description.clone().unwrap_or_default();
        if let Some(url) = trimmed(&s.media_url) {
            // Kept as a link for the desk to open; never fetched by the server (a URL from a
            // client could point anywhere, inside the network too).
            body = format!("{}\n\nMedia: {url}", body.trim_end());
        }
        let name = [trimmed(&s.first_name), trimmed(&s.last_name)]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let input = ReportInput {
            kind,
            title,
            body,
            occurred_on,
            region_code: address_id,
            address,
            latitude: lat,
            longitude: long,
            category: Some(code.to_string()),
            visibility,
            show_reporter_name: false,
            reporter: ReporterInput {
                name: Some(name).filter(|n| !n.is_empty()),
                phone: trimmed(&s.phone),
                email: trimmed(&s.email),
                nik: None,
            },
            channel: Channel::Open311,
            channel_address: None,
            inbound_id: None,
            attachments: s.attachments,
        };
        let token = new_request_token();
        let origin = Open311Origin {
            key_id: key.id,
            token: token.clone(),
        };
        let submitted = self
            .submit(&Caller::Public, input, Some(origin), None)
            .await
            .map_err(in_open311_terms)?;
        Ok(Open311Created {
            tracking_id: submitted.tracking_id,
            service_code: code.to_string(),
            requested: submitted.created_at,
            token,
            notice: format!(
                "Laporan diterima dan diperiksa meja pengaduan; instansi yang ditunjuk wajib memberi respons pertama dalam {} setelah disposisi.",
                policy.first_response.label_id()
            ),
        })
    }

    /// The request a token stands for (404 for an unknown token).
    pub async fn open311_token(&self, token: &str) -> Result<TrackingId> {
        let token = token.trim();
        // Tokens are ours (`new_request_token`): one with a control character is none of them,
        // and PostgreSQL cannot take a NUL in a query.
        if token.chars().any(char::is_control) {
            return Err(ServiceError::not_found("token", token));
        }
        self.store
            .report_by_open311_token(token)
            .await?
            .ok_or_else(|| ServiceError::not_found("token", token))
    }

    /// One request as the public sees it (404 for an unknown or confidential one).
    pub async fn open311_request(&self, id: &str, with_notes: bool) -> Result<Open311Request> {
        let names = self.category_names().await?;
        self.request_named(id, with_notes, &names).await
    }

    /// [`Self::open311_request`] with the categories' names already read.
    async fn request_named(
        &self,
        id: &str,
        with_notes: bool,
        names: &HashMap<String, String>,
    ) -> Result<Open311Request> {
        // A confidential report is, for the public, one that does not exist.
        let opened = match self.open_report(&Caller::Public, id, None).await {
            Err(ServiceError::Refused(r)) if r.kind == RefusalKind::Forbidden => {
                return Err(ServiceError::not_found("service_request", id));
            }
            other => other?,
        };
        let mut out = request_of(&opened, names);
        if with_notes {
            // The timeline only when asked for: it is most of the reading.
            let tid = opened.report.tracking_id.clone();
            out.notes = self
                .detail_of(opened)
                .await?
                .timeline
                .iter()
                .filter(|e| !e.withheld)
                .map(|e| update_of(&tid, &e.activity))
                .collect();
        }
        Ok(out)
    }

    /// Requests the public list shows, newest first: by id (the ones that exist and are
    /// public, whatever their status), or by service, time and status.
    pub async fn open311_requests(&self, q: Open311Query) -> Result<Vec<Open311Request>> {
        if !q.ids.is_empty() {
            let mut out = vec![];
            for id in q.ids.iter().take(MAX_PAGE_SIZE as usize) {
                match self.open311_request(id, q.with_notes).await {
                    Ok(r) => out.push(r),
                    Err(ServiceError::Refused(r)) if r.kind == RefusalKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
            return Ok(out);
        }
        let now = self.now();
        let end = q.end.unwrap_or(now);
        let start = q.start.unwrap_or(end - TimeDelta::days(MAX_SPAN_DAYS));
        check_span(start, end)?;
        let mut statuses = vec![];
        if !q.statuses.is_empty() {
            for s in ReportStatus::ALL {
                if q.statuses.iter().any(|x| x == open_or_closed(*s)) {
                    statuses.push(*s);
                }
            }
        }
        let size = q.page_size.clamp(1, MAX_PAGE_SIZE);
        let page = self
            .list_reports(
                &Caller::Public,
                ReportFilter {
                    statuses,
                    categories: q.service_codes.clone(),
                    created_from: Some(start),
                    // `end_date` is the latest time included.
                    created_to: q.end.map(|e| e + TimeDelta::microseconds(1)),
                    limit: size,
                    offset: q.page.max(1).saturating_sub(1).saturating_mul(size),
                    ..Default::default()
                },
                None,
            )
            .await?;
        let names = self.category_names().await?;
        let mut out = Vec::with_capacity(page.items.len());
        for r in page.items {
            out.push(
                self.request_named(r.tracking_id.as_str(), q.with_notes, &names)
                    .await?,
            );
        }
        Ok(out)
    }

    /// The public updates written in `[start, end)` (at most 90 days; by default the last day),
    /// oldest first.
    pub async fn open311_updates(
        &self,
        start: Option<Timestamp>,
        end: Option<Timestamp>,
    ) -> Result<Vec<Open311Update>> {
        let end = end.unwrap_or_else(|| self.now());
        let start = start.unwrap_or(end - TimeDelta::days(1));
        check_span(start, end)?;
        // `end_date` is the latest time included.
        Ok(self
            .store
            .public_updates(start, end + TimeDelta::microseconds(1), MAX_UPDATES)
            .await?
            .iter()
            // The report turning `diproses` is an agency's first stage update, which is in the
            // feed with its own, more precise status: as a second entry it would read as
            // IN_PROGRESS (work under way) to a client that follows the feed.
            .filter(|(_, a)| {
                !(a.kind == ActivityKind::StatusChanged && a.status == Some(ReportStatus::Diproses))
            })
            .map(|(tid, a)| update_of(tid, a))
            .collect())
    }

    /// An agency's system posts its progress on a request: the key must act for an integration
    /// account, and the status becomes that agency's stage (or hands the assignment back as not
    /// its responsibility) through the same use case as the agency's own pages.
    pub async fn open311_post_update(
        &self,
        key: Option<&str>,
        u: PostedUpdate,
    ) -> Result<Open311Update> {
        let key = self.open311_key(key).await?;
        let user = match key.user_id {
            Some(id) => self.store.user(id).await?.filter(|u| u.active),
            None => None,
        }
        .ok_or_else(|| {
            ServiceError::refused(RefusalKind::Forbidden, "open311_key_cannot_update")
        })?;
        let caller = Caller::Staff(user);
        caller.require(Permission::WorkAssignment)?;
        let mut c = Checker::default();
        let id = u.service_request_id.trim();
        if id.is_empty() {
            c.push(FieldError::new("service_request_id", "required"));
        }
        let posted = posted_status(&u.status);
        if posted.is_none() {
            c.push(FieldError::new("status", "invalid"));
        }
        let note = c.take(crate::text::long("description", &u.description));
        if note.is_empty() && !c.has("description") {
            c.push(FieldError::new("description", "required"));
        }
        c.finish()?;
        let opened = self.open_report(&caller, id, None).await?;
        let tree = opened.tree();
        let mine = caller.user().and_then(|u| u.agency_id.clone());
        let assignment = opened
            .assignments
            .iter()
            .filter(|a| a.stage.is_active())
            .find(|a| {
                mine.as_deref()
                    .is_some_and(|m| tree.is_within(&a.agency_id, m))
            })
            .ok_or_else(|| ServiceError::refused(RefusalKind::Forbidden, "other_agency"))?;
        let action = match posted {
            Some(Posted::Stage(stage)) => Action::PostUpdate {
                assignment_id: assignment.id,
                stage: stage.as_str().to_string(),
                note,
            },
            _ => Action::ReturnAssignment {
                assignment_id: assignment.id,
                reason: note,
            },
        };
        let tid = opened.report.tracking_id.clone();
        self.act(&caller, tid.as_str(), None, action, vec![])
            .await?;
        let newest = self
            .store
            .activities(opened.report.id)
            .await?
            .into_iter()
            .rev()
            .find(|a| a.assignment_id == Some(assignment.id))
            .ok_or_else(|| ServiceError::Internal("the update left no entry".into()))?;
        Ok(update_of(&tid, &newest))
    }

    async fn category_names(&self) -> Result<HashMap<String, String>> {
        Ok(self
            .store
            .categories()
            .await?
            .into_iter()
            .map(|c| (c.code, c.name_id))
            .collect())
    }

    /// Issue an Open311 key (admin), optionally acting for an integration account (whose
    /// agency may then post updates). Returns its id and the key, shown once.
    pub async fn create_open311_key(
        &self,
        caller: &Caller,
        name: &str,
        user_id: Option<i64>,
    ) -> Result<(i64, String)> {
        caller.require(Permission::ManageUsers)?;
        let mut c = Checker::default();
        let name = c.take(crate::text::line("name", name));
        if !c.has("name") && name.is_empty() {
            c.push(FieldError::new("name", "required"));
        } else if name.chars().count() > 100 {
            c.push(FieldError::new("name", "too_long").with("max", 100));
        }
        if let Some(id) = user_id {
            match self.store.user(id).await? {
                None => c.push(FieldError::new("user_id", "unknown")),
                // A person's account would let the client act (and read) as that person.
                Some(u) if !u.integration => {
                    return Err(ServiceError::Refused(
                        crate::Refusal::new(RefusalKind::Conflict, "not_an_integration_account")
                            .with("user", id),
                    ));
                }
                Some(_) => {}
            }
        }
        c.finish()?;
        let (key, hash) = new_key();
        let id = self
            .store
            .create_open311_key(&name, &hash, user_id, &caller.audit_label(), self.now())
            .await?;
        Ok((id, key))
    }

    /// Every Open311 key (admin), revoked ones too.
    pub async fn open311_keys(&self, caller: &Caller) -> Result<Vec<Open311Key>> {
        caller.require(Permission::ManageUsers)?;
        Ok(self.store.open311_keys().await?)
    }

    /// Revoke an Open311 key (admin): the client is refused from then on.
    pub async fn revoke_open311_key(&self, caller: &Caller, key_id: i64) -> Result<()> {
        caller.require(Permission::ManageUsers)?;
        if self
            .store
            .revoke_open311_key(key_id, &caller.audit_label(), self.now())
            .await?
        {
            Ok(())
        } else {
            Err(ServiceError::not_found("open311_key", key_id))
        }
    }
}

fn check_span(start: Timestamp, end: Timestamp) -> Result<()> {
    if end < start {
        return Err(ServiceError::field("end_date", "before_start"));
    }
    if end - start > TimeDelta::days(MAX_SPAN_DAYS) {
        return Err(ServiceError::Refused(crate::Refusal {
            kind: RefusalKind::Invalid,
            code: "validation_failed",
            args: vec![],
            fields: vec![FieldError::new("end_date", "span_too_long").with("max", MAX_SPAN_DAYS)],
        }));
    }
    Ok(())
}

/// The public's view of an opened report as an Open311 request.
fn request_of(o: &crate::OpenedReport, categories: &HashMap<String, String>) -> Open311Request {
    let r = &o.report;
    let active: Vec<_> = o
        .assignments
        .iter()
        .filter(|a| a.stage.is_active())
        .collect();
    let lead = active
        .iter()
        .find(|a| a.role == tanggap_domain::AssignmentRole::Utama)
        .or(active.first());
    let agencies: Vec<&str> = active.iter().map(|a| a.agency_name.as_str()).collect();
    let mut notes = r.status.label().to_string();
    if let Some(a) = lead {
        notes = format!("{notes}; {}: {}", a.agency_name, a.stage.label());
    }
    let located = o.disclosure.location != tanggap_domain::access::Location::Hidden;
    Open311Request {
        id: r.tracking_id.to_string(),
        status: open_or_closed(r.status),
        status_notes: notes,
        service_name: r.category.as_ref().and_then(|c| categories.get(c).cloned()),
        service_code: r.category.clone(),
        description: r.body.clone(),
        agency_responsible: Some(agencies.join(", ")).filter(|s| !s.is_empty()),
        service_notice: None,
        requested: r.created_at,
        updated: r.updated_at,
        expected: lead.and_then(|a| a.completion_due_at),
        address: r.address.clone().filter(|_| located),
        address_id: r.region_code.clone(),
        lat: r.latitude.filter(|_| located),
        long: r.longitude.filter(|_| located),
        notes: vec![],
    }
}

/// A refusal of the report a request became, its fields named as the client sent them
/// (`description`, not the report's `body`), so that the errors list says what to fix.
fn in_open311_terms(e: ServiceError) -> ServiceError {
    match e {
        ServiceError::Refused(mut r) => {
            for f in &mut r.fields {
                let name = match f.field.as_str() {
                    "title" => "attribute[judul]",
                    "body" => "description",
                    "kind" => "attribute[jenis]",
                    "occurred_on" => "attribute[tanggal_kejadian]",
                    "visibility" => "attribute[kerahasiaan]",
                    "address" => "address_string",
                    "region_code" => "address_id",
                    "latitude" | "longitude" => "lat",
                    "category" => "service_code",
                    "reporter.name" => "first_name",
                    "reporter.phone" => "phone",
                    "reporter.email" => "email",
                    _ => continue,
                };
                f.field = name.to_string();
            }
            ServiceError::Refused(r)
        }
        other => other,
    }
}
