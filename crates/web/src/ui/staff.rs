//! Staff pages: login, the complaint desk's inbox and walk-in entry, and one report page whose
//! panels depend on the role: the desk verifies, dispatches, links duplicates, asks and
//! archives; an assigned agency posts progress, returns or forwards; leadership instructs; the
//! auditor reads the audit trail.

use super::citizen::{FormValues, ReportForm, build_form, describe, read_form, report_input};
use super::text::Tr;
use super::{Layout, Ui, UiError, UiResult, page, safe_next, urlencode};
use crate::api::dto::{
    ActivityDto, AssignmentDto, AttachmentDto, AuditEventDto, MessageDto, ReportDto,
};
use crate::api::view::{Opened, ReportSecret, open_report, report_dto};
use crate::auth::{ClientIp, SESSION_CSRF, SESSION_USER, new_csrf_token};
use crate::extract::store_files;
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use std::collections::HashMap;
use tanggap_attachments::{check_count, clean};
use tanggap_domain::audit::NewAuditEvent;
use tanggap_domain::workflow::{Command, DispatchTarget, ReportEdit};
use tanggap_domain::{
    Agency, AgencyTree, AssignmentRole, Channel, ClockKind, Region, ReportKind, ReportStatus, Role,
    Stage, Visibility,
};
use tanggap_store::{ReportFilter, ReportRecord};

// ----- login ----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "masuk.html")]
struct LoginPage {
    l: Layout,
    username: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    lanjut: Option<String>,
}

pub async fn login_form(ui: Ui, Query(q): Query<LoginQuery>) -> UiResult {
    if let Some(u) = ui.user() {
        return Ok(Redirect::to(&home_for(u.role)).into_response());
    }
    let next = safe_next(q.lanjut.as_deref());
    let mut l = ui.layout(ui.tr.s("Masuk petugas", "Staff login")).await;
    l.csrf = ui.csrf().await;
    Ok(page(&LoginPage {
        l,
        username: String::new(),
        next,
        error: None,
    }))
}

/// Where each role starts.
pub fn home_for(role: Role) -> String {
    match role {
        Role::Operator => "/meja",
        Role::Petugas => "/instansi",
        Role::Kepala => "/instansi/dasbor",
        Role::Pimpinan | Role::Auditor => "/pimpinan",
        Role::Admin => "/admin",
    }
    .into()
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf: String,
}

pub async fn login(ui: Ui, ip: ClientIp, Form(f): Form<LoginForm>) -> UiResult {
    ui.check_csrf(&f.csrf).await?;
    ui.state
        .limits
        .login(&f.username, ip.0)
        .map_err(|e| ui.api_error(e))?;
    let user = ui
        .state
        .services
        .login(f.username.trim(), &f.password)
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    let Some(user) = user else {
        let mut l = ui.layout(ui.tr.s("Masuk petugas", "Staff login")).await;
        l.csrf = ui.csrf().await;
        let error = Some(
            ui.tr
                .s(
                    "Nama pengguna atau kata sandi salah.",
                    "Wrong username or password.",
                )
                .to_string(),
        );
        let mut r = page(&LoginPage {
            l,
            username: f.username,
            next: f.next,
            error,
        });
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(r);
    };
    let session = ui
        .session
        .as_ref()
        .ok_or_else(|| ui.error(StatusCode::BAD_REQUEST, "no session"))?;
    let internal = |e: tower_sessions::session::Error| {
        ui.api_error(crate::error::ApiError::Internal(e.to_string()))
    };
    session.cycle_id().await.map_err(internal)?;
    session
        .insert(SESSION_USER, user.id)
        .await
        .map_err(internal)?;
    session
        .insert(SESSION_CSRF, new_csrf_token())
        .await
        .map_err(internal)?;
    let _ = ui
        .state
        .services
        .store
        .append_audit(
            NewAuditEvent::new(format!("user:{}", user.id), "user.login", "user", user.id),
            ui.state.services.now(),
        )
        .await;
    let next = if f.next.is_empty() || f.next == "/" {
        home_for(user.role)
    } else {
        safe_next(Some(&f.next))
    };
    Ok(Redirect::to(&next).into_response())
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(ui: Ui, Form(f): Form<CsrfOnly>) -> UiResult {
    ui.check_csrf(&f.csrf).await?;
    if let Some(s) = &ui.session {
        let _ = s.flush().await;
    }
    Ok(Redirect::to("/").into_response())
}

// ----- the desk -------------------------------------------------------------------------------

/// A line of a report list, with its most urgent deadline.
pub struct Row {
    pub r: ReportRecord,
    pub due: Option<chrono::DateTime<chrono::Utc>>,
    pub urgency: &'static str,
}

#[derive(Template)]
#[template(path = "meja.html")]
struct DeskPage {
    l: Layout,
    rows: Vec<Row>,
    inbox: Vec<tanggap_store::InboxMessage>,
    total: u64,
    q: DeskQuery,
    statuses: Vec<(&'static str, &'static str)>,
    channels: Vec<(&'static str, &'static str)>,
}

impl DeskPage {
    pub fn status_label(&self, s: &ReportStatus) -> &'static str {
        self.l.tr.status(s)
    }
    pub fn channel_label(&self, c: &Channel) -> &'static str {
        self.l.tr.channel(c)
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct DeskQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub q: String,
}

/// Red when past the deadline or in its last quarter, amber in the third, green before.
pub fn urgency(
    tr: &Tr,
    started: chrono::DateTime<chrono::Utc>,
    due: Option<chrono::DateTime<chrono::Utc>>,
) -> &'static str {
    let Some(due) = due else { return "" };
    let total = (due - started).num_seconds().max(1) as f64;
    let used = (tr.now - started).num_seconds() as f64 / total;
    if used >= 0.75 {
        "b-red"
    } else if used >= 0.5 {
        "b-amber"
    } else {
        "b-green"
    }
}

pub async fn desk(ui: Ui, Query(q): Query<DeskQuery>) -> UiResult {
    ui.require_role(&[Role::Operator])?;
    let store = &ui.state.services.store;
    let statuses = match ReportStatus::parse(&q.status) {
        Some(s) => vec![s],
        None if q.status == "semua" => vec![],
        None => vec![
            ReportStatus::Baru,
            ReportStatus::DibukaKembali,
            ReportStatus::MenungguPelapor,
        ],
    };
    let filter = ReportFilter {
        statuses,
        channel: Channel::parse(&q.channel),
        text: Some(q.q.clone()).filter(|t| !t.trim().is_empty()),
        order: tanggap_store::ReportOrder::OldestFirst,
        limit: 100,
        ..Default::default()
    };
    let page_ = store
        .list_reports(&filter)
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    let mut rows = Vec::new();
    for r in page_.items {
        let view = store
            .report_view(r.id)
            .await
            .map_err(|e| ui.api_error(e.into()))?;
        let triage = view.as_ref().and_then(|v| {
            v.clocks
                .iter()
                .find(|c| c.kind == ClockKind::Triage && c.stopped_at.is_none())
                .cloned()
        });
        let due = triage.as_ref().and_then(|c| c.due_at);
        let urgency = triage
            .map(|c| urgency(&ui.tr, c.started_at, c.due_at))
            .unwrap_or("");
        rows.push(Row { r, due, urgency });
    }
    let tr = ui.tr;
    let statuses = vec![
        ("", tr.s("Perlu ditangani", "Needs attention")),
        ("baru", tr.s("Baru", "New")),
        ("dibuka_kembali", tr.s("Dibuka kembali", "Reopened")),
        (
            "menunggu_pelapor",
            tr.s("Menunggu pelapor", "Waiting for reporter"),
        ),
        ("didisposisikan", tr.s("Didisposisikan", "Dispatched")),
        ("diproses", tr.s("Diproses", "In progress")),
        ("selesai", tr.s("Selesai", "Resolved")),
        ("semua", tr.s("Semua", "All")),
    ];
    let channels = vec![
        ("", tr.s("Semua kanal", "All channels")),
        ("web", "Web"),
        ("api", "API"),
        ("whatsapp", "WhatsApp"),
        ("sms", "SMS"),
        ("telegram", "Telegram"),
        ("email", "E-mail"),
        ("telepon", tr.s("Telepon", "Phone")),
        ("tatap_muka", tr.s("Tatap muka", "Walk-in")),
    ];
    let inbox = store
        .inbound_messages(15)
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    Ok(page(&DeskPage {
        l: ui.layout(ui.tr.s("Meja pengaduan", "Complaint desk")).await,
        rows,
        inbox,
        total: page_.total,
        q,
        statuses,
        channels,
    }))
}

#[derive(Template)]
#[template(path = "meja_baru.html")]
struct WalkInPage {
    l: Layout,
    f: ReportForm,
}

pub async fn walk_in_form(ui: Ui) -> UiResult {
    ui.require_role(&[Role::Operator])?;
    let v = FormValues {
        kind: "pengaduan".into(),
        channel: "telepon".into(),
        ..Default::default()
    };
    let f = build_form(&ui, v, vec![], true).await?;
    Ok(page(&WalkInPage {
        l: ui
            .layout(ui.tr.s(
                "Catat laporan telepon/tatap muka",
                "Enter a phone or walk-in report",
            ))
            .await,
        f,
    }))
}

pub async fn walk_in(ui: Ui, mp: Multipart) -> UiResult {
    let user = ui.require_role(&[Role::Operator])?.clone();
    let (v, action, files, errors, csrf) = read_form(&ui, mp).await?;
    ui.check_csrf(&csrf).await?;
    let title = ui.tr.s(
        "Catat laporan telepon/tatap muka",
        "Enter a phone or walk-in report",
    );
    if action == "wilayah" || !errors.is_empty() {
        let f = build_form(&ui, v, errors, true).await?;
        return Ok(page(&WalkInPage {
            l: ui.layout(title).await,
            f,
        }));
    }
    let channel = match v.channel.as_str() {
        "tatap_muka" => Channel::TatapMuka,
        _ => Channel::Telepon,
    };
    let mut input = report_input(&v, channel, Some(user.id));
    input.attachments = store_files(&ui.state, files)
        .await
        .map_err(|e| ui.api_error(e))?;
    match ui.state.services.submit_report(input).await {
        Ok(s) => {
            ui.flash(&ui.tr.pick(
                format!(
                    "Laporan {} tercatat. Sampaikan nomor ini dan kode rahasia {} kepada pelapor.",
                    s.tracking_id,
                    s.secret.expose()
                ),
                format!(
                    "Report {} entered. Give the reporter this number and the secret code {}.",
                    s.tracking_id,
                    s.secret.expose()
                ),
            ))
            .await;
            Ok(Redirect::to(&format!("/kelola/{}", s.tracking_id)).into_response())
        }
        Err(tanggap_service::ServiceError::Validation(errors)) => {
            let f = build_form(&ui, v, errors, true).await?;
            let mut r = page(&WalkInPage {
                l: ui.layout(title).await,
                f,
            });
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(ui.api_error(e.into())),
    }
}

// ----- the report page ------------------------------------------------------------------------

/// An assignment the viewer's agency may act on, with what it may do next.
pub struct Workable {
    pub a: AssignmentDto,
    pub next_stages: Vec<(&'static str, &'static str)>,
    pub can_return: bool,
    pub sub_units: Vec<Agency>,
}

/// A suggested agency for dispatch, and why.
pub struct Suggestion {
    pub agency: Agency,
    pub why: String,
}

/// A refused action, shown again with the reason next to its form and the text kept.
#[derive(Default)]
pub struct Retry {
    pub aksi: String,
    pub assignment: Option<i64>,
    pub message: String,
    pub fields: HashMap<String, String>,
}

#[derive(Template)]
#[template(path = "kelola.html")]
struct ManagePage {
    retry: Option<Retry>,
    l: Layout,
    r: ReportDto,
    lines: Vec<super::citizen::Line>,
    messages: Vec<MessageDto>,
    audit: Vec<AuditEventDto>,
    region_name: String,
    category_name: String,
    // panels
    desk: bool,
    leadership: bool,
    workable: Vec<Workable>,
    suggestions: Vec<Suggestion>,
    agencies: Vec<Agency>,
    duplicates: Vec<ReportRecord>,
    categories: Vec<tanggap_domain::Category>,
    open: bool,
    can_message: bool,
    /// Escalations and notifications sent about the report (desk, leadership, auditor, agencies).
    notices: Vec<tanggap_store::Notification>,
    /// Only the desk sees the addresses (a reporter's phone may be among them).
    show_addresses: bool,
}

impl ManagePage {
    fn retry_for(&self, aksi: &str, assignment: i64) -> Option<&Retry> {
        self.retry
            .as_ref()
            .filter(|r| r.aksi == aksi && r.assignment.unwrap_or(0) == assignment)
    }
    /// The refusal for this form, if it was the one that failed (`assignment` 0 for report-level forms).
    pub fn error_for(
        &self,
        aksi: &str,
        assignment: impl std::borrow::Borrow<i64>,
    ) -> Option<String> {
        self.retry_for(aksi, *assignment.borrow())
            .map(|r| r.message.clone())
    }
    /// What the user had typed into this form's field.
    pub fn kept(
        &self,
        aksi: &str,
        assignment: impl std::borrow::Borrow<i64>,
        field: &str,
    ) -> String {
        self.retry_for(aksi, *assignment.borrow())
            .and_then(|r| r.fields.get(field).cloned())
            .unwrap_or_default()
    }
    pub fn is_image(&self, a: &AttachmentDto) -> bool {
        a.content_type.starts_with("image/")
    }
    pub fn status_label(&self) -> &'static str {
        self.l.tr.status_code(&self.r.status)
    }
    pub fn kind_label(&self) -> &'static str {
        ReportKind::parse(&self.r.kind).map_or("", |k| self.l.tr.kind(&k))
    }
    pub fn stage_label(&self, code: &str) -> &'static str {
        Stage::parse(code).map_or("", |s| self.l.tr.stage(&s))
    }
    pub fn has_visibility(&self, code: &str) -> bool {
        self.r.visibility.iter().any(|v| v == code)
    }
    pub fn state_badge(&self, a: &AssignmentDto) -> &'static str {
        match a.response_state.as_str() {
            "overdue" | "late" => "b-red",
            "on_time" => "b-green",
            _ => "b-amber",
        }
    }
    pub fn response_state(&self, a: &AssignmentDto) -> &'static str {
        match a.response_state.as_str() {
            "overdue" => self
                .l
                .tr
                .s("lalai: belum direspon", "negligent: no response"),
            "late" => self.l.tr.s("respon terlambat", "responded late"),
            "on_time" => self.l.tr.s("respon tepat waktu", "responded on time"),
            _ => self.l.tr.s("menunggu respon", "awaiting response"),
        }
    }
    pub fn kind_is(&self, k: &str) -> bool {
        self.r.kind == k
    }
}

fn region_label(regions: &[Region]) -> String {
    regions
        .iter()
        .map(|r| r.name.clone())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The region and its parents, nearest first.
async fn region_chain(ui: &Ui, code: Option<&str>) -> Vec<Region> {
    let mut out = Vec::new();
    let mut cur = code.map(str::to_string);
    while let Some(c) = cur {
        match ui.state.services.store.region(&c).await {
            Ok(Some(r)) => {
                cur = r.parent_code.clone().filter(|p| p != "33");
                out.push(r);
            }
            _ => break,
        }
    }
    out
}

const PROGRESS: [Stage; 4] = [
    Stage::Verifikasi,
    Stage::CekLapangan,
    Stage::Pengerjaan,
    Stage::Tuntas,
];

fn next_stages(tr: &Tr, current: &str) -> Vec<(&'static str, &'static str)> {
    let rank = Stage::parse(current)
        .and_then(|s| s.progress_rank())
        .unwrap_or(0);
    PROGRESS
        .iter()
        .filter(|s| s.progress_rank().unwrap_or(0) >= rank.max(1))
        .map(|s| (s.as_str(), tr.stage(s)))
        .collect()
}

pub async fn report_page(ui: Ui, ip: ClientIp, Path(tid): Path<String>) -> UiResult {
    let user = ui.require_user()?.clone();
    let opened = open_report(
        &ui.state,
        &tid,
        &ui.principal,
        &ReportSecret::default(),
        &ip,
    )
    .await
    .map_err(|e| ui.api_error(e))?;
    render_manage(&ui, &user, opened, None).await
}

async fn render_manage(
    ui: &Ui,
    user: &tanggap_store::User,
    opened: Opened,
    retry: Option<Retry>,
) -> UiResult {
    let store = &ui.state.services.store;
    let err = |e: tanggap_store::StoreError| ui.api_error(e.into());
    let r = report_dto(&ui.state, &opened)
        .await
        .map_err(|e| ui.api_error(e))?;
    let agencies = opened.agencies.clone();
    let names: HashMap<String, String> = agencies
        .iter()
        .map(|a| (a.id.clone(), a.name.clone()))
        .collect();
    let tree = AgencyTree::from_agencies(&agencies);
    let lines = r
        .timeline
        .iter()
        .map(|a: &ActivityDto| super::citizen::Line {
            text: describe(&ui.tr, a, &names),
            internal: matches!(a.kind.as_str(), "edited" | "instruction"),
            a: a.clone(),
        })
        .collect();
    let messages = if opened.disclosure.conversation {
        let msgs = store.messages(opened.report.id).await.map_err(err)?;
        let label = |m: &tanggap_store::MessageRecord| {
            if m.direction == tanggap_domain::Direction::Inbound {
                "Pelapor".to_string()
            } else {
                m.author.clone()
            }
        };
        msgs.iter().map(|m| MessageDto::new(m, label(m))).collect()
    } else {
        vec![]
    };
    let audit = if opened.disclosure.audit_trail {
        store
            .audit_for_object("report", &opened.report.id.to_string())
            .await
            .map_err(err)?
            .into_iter()
            .map(AuditEventDto::from)
            .collect()
    } else {
        vec![]
    };
    let chain = region_chain(ui, r.region_code.as_deref()).await;
    let categories = store.categories().await.map_err(err)?;
    let category_name = r
        .category
        .as_ref()
        .and_then(|c| categories.iter().find(|x| &x.code == c))
        .map(|c| {
            if ui.tr.is_en() {
                c.name_en.clone()
            } else {
                c.name_id.clone()
            }
        })
        .unwrap_or_else(|| "—".into());
    let status = opened.report.status;
    let desk = user.role == Role::Operator;
    let workable: Vec<Workable> = if user.role.is_agency_role() {
        let mine = user.agency_id.clone().unwrap_or_default();
        r.assignments
            .iter()
            .filter(|a| {
                tree.is_within(&a.agency_id, &mine)
                    && !matches!(a.stage.as_str(), "tuntas" | "bukan_wewenang" | "diteruskan")
            })
            .map(|a| Workable {
                next_stages: next_stages(&ui.tr, &a.stage),
                can_return: matches!(a.stage.as_str(), "menunggu_respon" | "verifikasi"),
                sub_units: agencies
                    .iter()
                    .filter(|x| tree.is_sub_unit(&x.id, &a.agency_id))
                    .cloned()
                    .collect(),
                a: a.clone(),
            })
            .collect()
    } else {
        vec![]
    };
    // Dispatch suggestions: the category's default agency, then the region's government.
    let mut suggestions = Vec::new();
    let mut duplicates = Vec::new();
    if desk {
        if let Some(c) = r
            .category
            .as_ref()
            .and_then(|c| categories.iter().find(|x| &x.code == c))
            && let Some(a) = c
                .default_agency_id
                .as_ref()
                .and_then(|id| agencies.iter().find(|x| &x.id == id))
        {
            suggestions.push(Suggestion {
                agency: a.clone(),
                why: ui.tr.pick(
                    format!("instansi utama kategori {}", c.name_id),
                    format!("default agency for {}", c.name_en),
                ),
            });
        }
        if let Some(kab) = r
            .region_code
            .as_deref()
            .and_then(Region::kabupaten_kota_code)
        {
            if let Some(a) = agencies
                .iter()
                .find(|x| x.region_code.as_deref() == Some(kab.as_str()))
                && !suggestions.iter().any(|s| s.agency.id == a.id)
            {
                suggestions.push(Suggestion {
                    agency: a.clone(),
                    why: ui
                        .tr
                        .s(
                            "pemerintah daerah lokasi kejadian",
                            "government of the place where it happened",
                        )
                        .into(),
                });
            }
            duplicates = similar_reports(ui, &opened.report, &kab).await?;
        }
    }
    let open = !status.is_terminal();
    let can_message = open && (desk || !workable.is_empty());
    let notices = store
        .notifications_for_report(opened.report.id)
        .await
        .map_err(err)?;
    let title = format!("{} · {}", r.tracking_id, r.title);
    let t = ManagePage {
        retry,
        l: ui.layout(title).await,
        lines,
        messages,
        audit,
        region_name: region_label(&chain),
        category_name,
        desk,
        leadership: user.role == Role::Pimpinan,
        workable,
        suggestions,
        agencies,
        duplicates,
        categories,
        open,
        can_message,
        notices,
        show_addresses: desk,
        r,
    };
    Ok(page(&t))
}

/// Recent open reports in the same kabupaten/kota sharing a significant word with this one.
async fn similar_reports(ui: &Ui, report: &ReportRecord, kab: &str) -> UiResult<Vec<ReportRecord>> {
    let mut words: Vec<&str> = report
        .title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 5)
        .collect();
    words.sort_by_key(|w| std::cmp::Reverse(w.len()));
    words.dedup();
    let mut found: Vec<ReportRecord> = Vec::new();
    for w in words.into_iter().take(3) {
        let f = ReportFilter {
            region: Some(kab.to_string()),
            text: Some(w.to_string()),
            created_from: Some(ui.tr.now - chrono::TimeDelta::days(60)),
            limit: 5,
            ..Default::default()
        };
        for r in ui
            .state
            .services
            .store
            .list_reports(&f)
            .await
            .map_err(|e| ui.api_error(e.into()))?
            .items
        {
            if r.id != report.id
                && !matches!(r.status, ReportStatus::Duplikat | ReportStatus::Diarsipkan)
                && !found.iter().any(|x| x.id == r.id)
            {
                found.push(r);
            }
        }
    }
    found.truncate(5);
    Ok(found)
}

/// Every staff action on the report page comes here, named by `aksi`.
pub async fn act(ui: Ui, ip: ClientIp, Path(tid): Path<String>, mut mp: Multipart) -> UiResult {
    let user = ui.require_user()?.clone();
    let mut fields: HashMap<String, Vec<String>> = HashMap::new();
    let mut files = Vec::new();
    let limits = ui.state.attachment_limits;
    while let Some(field) = mp.next_field().await.map_err(|_| {
        ui.error(
            StatusCode::BAD_REQUEST,
            ui.tr
                .s("Formulir tidak terbaca.", "The form could not be read."),
        )
    })? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "foto" {
            let filename = field.file_name().unwrap_or("foto").to_string();
            let bytes = field.bytes().await.map_err(|_| {
                ui.error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ui.tr.s("Berkas terlalu besar.", "Files too large."),
                )
            })?;
            if bytes.is_empty() {
                continue;
            }
            check_count(files.len() + 1, &limits).map_err(|e| ui.api_error(e.into()))?;
            files.push(clean(&bytes, &filename, &limits).map_err(|e| ui.api_error(e.into()))?);
        } else {
            let v = field.text().await.unwrap_or_default();
            fields.entry(name).or_default().push(v);
        }
    }
    let get = |k: &str| {
        fields
            .get(k)
            .and_then(|v| v.first())
            .cloned()
            .unwrap_or_default()
    };
    ui.check_csrf(&get("csrf")).await?;
    let opened = open_report(
        &ui.state,
        &tid,
        &ui.principal,
        &ReportSecret::default(),
        &ip,
    )
    .await
    .map_err(|e| ui.api_error(e))?;
    let actor = ui
        .principal
        .actor()
        .ok_or_else(|| ui.error(StatusCode::UNAUTHORIZED, "login"))?;
    let aid = || {
        get("assignment").parse::<i64>().map_err(|_| {
            ui.error(
                StatusCode::UNPROCESSABLE_ENTITY,
                ui.tr.s("Pilih disposisi.", "Choose an assignment."),
            )
        })
    };
    let opt = |k: &str| Some(get(k).trim().to_string()).filter(|s| !s.is_empty());
    let (command, done) = match get("aksi").as_str() {
        "verifikasi" => {
            let mut vis = Vec::new();
            if fields.contains_key("anonim") {
                vis.push("anonim");
            }
            if fields.contains_key("rahasia") {
                vis.push("rahasia");
            }
            let visibility = Visibility::from_codes(vis).ok();
            let edit = ReportEdit {
                kind: ReportKind::parse(&get("kind")),
                title: opt("title"),
                body: opt("body"),
                category: opt("category"),
                region_code: opt("region_code"),
                address: opt("address"),
                visibility,
                needs_field_check: Some(fields.contains_key("needs_field_check")),
            };
            (
                Command::Verify { edit },
                ui.tr.s("Perubahan disimpan.", "Changes saved."),
            )
        }
        "disposisi" => {
            // The "other agency" select comes after the suggested radios: a choice there wins.
            let lead = fields
                .get("utama")
                .and_then(|v| v.iter().rev().find(|s| !s.is_empty()))
                .cloned()
                .unwrap_or_default();
            let mut targets = Vec::new();
            if !lead.is_empty() {
                targets.push(DispatchTarget {
                    agency_id: lead.clone(),
                    role: AssignmentRole::Utama,
                });
            }
            for s in fields.get("pendukung").cloned().unwrap_or_default() {
                if !s.is_empty() && s != lead && !targets.iter().any(|t| t.agency_id == s) {
                    targets.push(DispatchTarget {
                        agency_id: s,
                        role: AssignmentRole::Pendukung,
                    });
                }
            }
            (
                Command::Dispatch {
                    targets,
                    note: opt("note"),
                },
                ui.tr.s("Laporan didisposisikan.", "Report dispatched."),
            )
        }
        "tanya" => (
            Command::AskReporter {
                question: get("text"),
            },
            ui.tr.s(
                "Pertanyaan dikirim ke pelapor.",
                "Question sent to the reporter.",
            ),
        ),
        "pesan" => (
            Command::MessageReporter { text: get("text") },
            ui.tr
                .s("Pesan dikirim ke pelapor.", "Message sent to the reporter."),
        ),
        "arsip" => (
            Command::Archive {
                reason: get("reason"),
            },
            ui.tr.s("Laporan diarsipkan.", "Report archived."),
        ),
        "duplikat" => {
            let master = tanggap_domain::TrackingId::parse(&get("master")).map_err(|_| {
                ui.error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ui.tr.s(
                        "Nomor laporan induk tidak valid.",
                        "Not a valid tracking ID.",
                    ),
                )
            })?;
            let m = ui
                .state
                .services
                .store
                .report_by_tracking_id(&master)
                .await
                .map_err(|e| ui.api_error(e.into()))?
                .ok_or_else(|| {
                    ui.error(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        ui.tr.s(
                            "Laporan induk tidak ditemukan.",
                            "The master report was not found.",
                        ),
                    )
                })?;
            (
                Command::MarkDuplicate {
                    master_id: m.id,
                    master_is_open: true,
                },
                ui.tr
                    .s("Ditandai sebagai duplikat.", "Marked as a duplicate."),
            )
        }
        "tahap" => {
            let stage = Stage::parse(&get("stage")).ok_or_else(|| {
                ui.error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ui.tr.s("Pilih tahap.", "Choose a stage."),
                )
            })?;
            (
                Command::PostUpdate {
                    assignment_id: aid()?,
                    stage,
                    note: get("note"),
                },
                ui.tr.s(
                    "Perkembangan disimpan dan terlihat oleh pelapor.",
                    "Update saved; the reporter can see it.",
                ),
            )
        }
        "kembalikan" => (
            Command::ReturnNotAuthority {
                assignment_id: aid()?,
                reason: get("reason"),
            },
            ui.tr.s(
                "Dikembalikan ke admin sebagai bukan wewenang.",
                "Returned to the desk as not our authority.",
            ),
        ),
        "teruskan" => (
            Command::Forward {
                assignment_id: aid()?,
                to_agency_id: get("to"),
                note: get("note"),
            },
            ui.tr.s(
                "Diteruskan ke unit; tenggat tetap sama.",
                "Forwarded to the unit; the deadline stays the same.",
            ),
        ),
        "arahan" => (
            Command::AddInstruction { note: get("note") },
            ui.tr.s("Arahan disimpan.", "Instruction saved."),
        ),
        _ => {
            return Err(ui.error(
                StatusCode::BAD_REQUEST,
                ui.tr.s("Aksi tidak dikenal.", "Unknown action."),
            ));
        }
    };
    let attachments = store_files(&ui.state, files)
        .await
        .map_err(|e| ui.api_error(e))?;
    match ui
        .state
        .services
        .execute(opened.report.id, &actor, command, attachments)
        .await
    {
        Ok(_) => {
            ui.flash(done).await;
            Ok(Redirect::to(&format!("/kelola/{}", urlencode(&tid))).into_response())
        }
        Err(e) => {
            // Show the page again: the reason next to the form that failed, the text kept.
            let api = crate::error::ApiError::from(e);
            let status = api.status();
            let message = match ui.api_error(api) {
                UiError::Page { message, .. } => message,
                UiError::Redirect(_) => String::new(),
            };
            let retry = Retry {
                aksi: get("aksi"),
                assignment: get("assignment").parse().ok(),
                message,
                fields: fields
                    .iter()
                    .filter_map(|(k, v)| v.first().map(|x| (k.clone(), x.clone())))
                    .filter(|(k, _)| k != "csrf")
                    .collect(),
            };
            let opened = open_report(
                &ui.state,
                &tid,
                &ui.principal,
                &ReportSecret::default(),
                &ip,
            )
            .await
            .map_err(|e| ui.api_error(e))?;
            let mut r = render_manage(&ui, &user, opened, Some(retry)).await?;
            *r.status_mut() = status;
            Ok(r)
        }
    }
}
