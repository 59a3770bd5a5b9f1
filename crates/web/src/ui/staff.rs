//! Staff pages: login, the complaint desk's inbox and walk-in entry, and one report page whose
//! panels depend on the role: the desk verifies, dispatches, links duplicates, asks and
//! archives; an assigned agency posts progress, returns or forwards; leadership instructs; the
//! auditor reads the audit trail.

use super::citizen::{
    FormValues, ReportForm, build_form, describe, read_form, report_input, status_for, unreadable,
};
use super::text::Tr;
use super::{Layout, Ui, UiError, UiResult, page, safe_next, urlencode};
use crate::api::dto::{
    ActivityDto, AssignmentDto, AttachmentDto, AuditEventDto, MessageDto, ReportDto,
};
use crate::api::view::{messages_dto, report_dto};
use crate::auth::{
    ClientIp, SESSION_CSRF, SESSION_EPOCH, SESSION_USER, login_csrf_cookie, login_csrf_matches,
    new_csrf_token,
};
use crate::extract::store_files;
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;
use tanggap_domain::policy::Permission;
use tanggap_domain::{Agency, Channel, Region, ReportKind, ReportStatus, Role, Stage};
use tanggap_service::actions::VerifyInput;
use tanggap_service::reading::OpenedReport;
use tanggap_service::{Action, ServiceError};
use tanggap_store::ReportRecord;
use tanggap_store::User;
use tower_sessions::Session;

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

/// The login page. It stores nothing: its form is protected by a token in a cookie
/// ([`crate::auth::LOGIN_CSRF_COOKIE`]), and a session is made only when a login succeeds.
pub async fn login_form(ui: Ui, Query(q): Query<LoginQuery>) -> UiResult {
    if let Some(u) = ui.user() {
        return Ok(Redirect::to(&home_for(u.role)).into_response());
    }
    let next = safe_next(q.lanjut.as_deref());
    Ok(login_page(&ui, String::new(), next, None, StatusCode::OK).await)
}

/// The login form with a fresh token (in the form and in its cookie).
async fn login_page(
    ui: &Ui,
    username: String,
    next: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let mut l = ui.layout(ui.tr.s("Masuk petugas", "Staff login")).await;
    let token = new_csrf_token();
    l.csrf = token.clone();
    let mut r = page(&LoginPage {
        l,
        username,
        next,
        error,
    });
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(&login_csrf_cookie(&token, ui.state.secure_cookies())) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
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

pub async fn login(ui: Ui, ip: ClientIp, headers: HeaderMap, Form(f): Form<LoginForm>) -> UiResult {
    if !login_csrf_matches(&headers, &f.csrf) {
        let error = ui.tr.s(
            "Formulir kedaluwarsa. Silakan masuk lagi.",
            "The form has expired. Please log in again.",
        );
        return Ok(login_page(
            &ui,
            f.username,
            safe_next(Some(&f.next)),
            Some(error.into()),
            StatusCode::FORBIDDEN,
        )
        .await);
    }
    ui.state
        .limits
        .login(&f.username, ip.0)
        .map_err(|e| ui.api_error(e))?;
    let user = match ui.state.services.login(&f.username, &f.password).await {
        Ok(user) => user,
        Err(ServiceError::Refused(r)) if r.code == "wrong_credentials" => {
            let error = r.message(ui.tr.lang);
            return Ok(login_page(
                &ui,
                f.username,
                safe_next(Some(&f.next)),
                Some(error),
                StatusCode::UNAUTHORIZED,
            )
            .await);
        }
        Err(e) => return Err(ui.api_error(e.into())),
    };
    let session = ui
        .session
        .as_ref()
        .ok_or_else(|| ui.error(StatusCode::BAD_REQUEST, "no session"))?;
    start_session(&ui, session, &user).await?;
    let next = if user.must_change_password {
        CHANGE_PASSWORD.to_string()
    } else if f.next.is_empty() || f.next == "/" {
        home_for(user.role)
    } else {
        safe_next(Some(&f.next))
    };
    let mut r = Redirect::to(&next).into_response();
    if let Ok(v) = HeaderValue::from_str(&login_csrf_cookie("", ui.state.secure_cookies())) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// A session for a user who just proved who they are: a new id (a planted cookie never becomes
/// a logged-in session), the user, their session epoch and a fresh CSRF token.
async fn start_session(ui: &Ui, session: &Session, user: &User) -> UiResult<()> {
    let internal = |e: tower_sessions::session::Error| {
        ui.api_error(crate::error::ApiError::Internal(e.to_string()))
    };
    session.cycle_id().await.map_err(internal)?;
    session
        .insert(SESSION_USER, user.id)
        .await
        .map_err(internal)?;
    session
        .insert(SESSION_EPOCH, user.session_epoch)
        .await
        .map_err(internal)?;
    session
        .insert(SESSION_CSRF, new_csrf_token())
        .await
        .map_err(internal)?;
    Ok(())
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

// ----- choosing a new password ----------------------------------------------------------------

/// Where a user whose password an administrator set is sent until they choose their own.
pub const CHANGE_PASSWORD: &str = "/kata-sandi";

#[derive(Template)]
#[template(path = "kata_sandi.html")]
struct PasswordPage {
    l: Layout,
    /// The administrator set the password: say why the user is here.
    required: bool,
    errors: Vec<tanggap_service::FieldError>,
}

impl PasswordPage {
    pub fn error(&self, field: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message(self.l.tr.lang))
    }
}

async fn password_page(
    ui: &Ui,
    errors: Vec<tanggap_service::FieldError>,
    status: StatusCode,
) -> UiResult {
    let user = ui.require_user()?;
    let mut r = page(&PasswordPage {
        required: user.must_change_password,
        l: ui
            .layout(ui.tr.s("Ganti kata sandi", "Change password"))
            .await,
        errors,
    });
    *r.status_mut() = status;
    Ok(r)
}

pub async fn change_password_form(ui: Ui) -> UiResult {
    password_page(&ui, vec![], StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_again: String,
}

pub async fn change_password(ui: Ui, ip: ClientIp, Form(f): Form<PasswordForm>) -> UiResult {
    let user = ui.require_user()?.clone();
    ui.check_csrf(&f.csrf).await?;
    ui.state
        .limits
        .login(&user.username, ip.0)
        .map_err(|e| ui.api_error(e))?;
    if f.new_password != f.new_password_again {
        let e = tanggap_service::FieldError::new("new_password", "mismatch");
        return password_page(&ui, vec![e], StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match ui
        .state
        .services
        .change_password(ui.caller(), &f.current_password, &f.new_password)
        .await
    {
        Ok(user) => {
            let session = ui
                .session
                .as_ref()
                .ok_or_else(|| ui.error(StatusCode::BAD_REQUEST, "no session"))?;
            start_session(&ui, session, &user).await?;
            ui.flash(ui.tr.s(
                "Kata sandi baru tersimpan. Sesi lain akun ini telah diakhiri.",
                "Your new password is saved. Other sessions of this account have been ended.",
            ))
            .await;
            Ok(Redirect::to(&home_for(user.role)).into_response())
        }
        Err(e) => match e.field_errors() {
            Some(fields) => {
                password_page(&ui, fields.to_vec(), StatusCode::UNPROCESSABLE_ENTITY).await
            }
            None => Err(ui.api_error(e.into())),
        },
    }
}

// ----- the desk -------------------------------------------------------------------------------

/// A line of a report list, with its most urgent deadline.
pub struct Row {
    pub r: ReportRecord,
    pub due: Option<chrono::DateTime<chrono::Utc>>,
    pub urgency: &'static str,
    /// Whose deadline `due` is.
    pub clock: &'static str,
}

#[derive(Template)]
#[template(path = "meja.html")]
struct DeskPage {
    l: Layout,
    rows: Vec<Row>,
    inbox: Vec<tanggap_store::InboxMessage>,
    total: tanggap_service::DeskTotal,
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
    /// "15 laporan", or "lebih dari 500 laporan" for a search with more matches.
    pub fn total_text(&self) -> String {
        use tanggap_service::DeskTotal;
        let tr = &self.l.tr;
        match self.total {
            DeskTotal::Exactly(n) => format!("{n} {}", tr.s("laporan", "reports")),
            DeskTotal::MoreThan(n) => {
                format!(
                    "{} {n} {}",
                    tr.s("lebih dari", "more than"),
                    tr.s("laporan", "reports")
                )
            }
        }
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
    ui.require(Permission::UseDesk)?;
    let services = &ui.state.services;
    let statuses = match ReportStatus::parse(&q.status) {
        Some(s) => vec![s],
        None if q.status == "semua" => vec![],
        None => ReportStatus::AWAITING_DESK.to_vec(),
    };
    let (found, total) = services
        .desk_rows(
            ui.caller(),
            statuses,
            Channel::parse(&q.channel),
            Some(q.q.clone()).filter(|t| !t.trim().is_empty()),
        )
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    let rows = found
        .into_iter()
        .map(|d| Row {
            urgency: match d.started {
                Some(started) => urgency(&ui.tr, started, d.due),
                None => "",
            },
            due: d.due,
            clock: match d.clock {
                Some(tanggap_domain::ClockKind::Triage) => {
                    ui.tr.s("verifikasi admin", "desk triage")
                }
                Some(_) => ui
                    .tr
                    .s("respons pertama instansi", "agency's first response"),
                None => "",
            },
            r: d.report,
        })
        .collect();
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
    let inbox = services
        .desk_inbox(ui.caller(), 15)
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    Ok(page(&DeskPage {
        l: ui.layout(ui.tr.s("Meja pengaduan", "Complaint desk")).await,
        rows,
        inbox,
        total,
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
    ui.require(Permission::EnterReportOnBehalf)?;
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
    ui.require(Permission::EnterReportOnBehalf)?;
    let (v, action, files, errors, csrf) = read_form(&ui, mp).await?;
    ui.check_csrf(&csrf).await?;
    let title = ui.tr.s(
        "Catat laporan telepon/tatap muka",
        "Enter a phone or walk-in report",
    );
    if action == "wilayah" || !errors.is_empty() {
        let status = if errors.is_empty() {
            StatusCode::OK
        } else {
            status_for(&errors)
        };
        let chosen = files.len() + errors.iter().filter(|e| e.field == "foto").count();
        let mut f = build_form(&ui, v, errors, true).await?;
        f.region_step = action == "wilayah";
        f.photos_dropped = chosen;
        let mut r = page(&WalkInPage {
            l: ui.layout(title).await,
            f,
        });
        *r.status_mut() = status;
        return Ok(r);
    }
    let channel = match v.channel.as_str() {
        "tatap_muka" => Channel::TatapMuka,
        _ => Channel::Telepon,
    };
    let mut input = report_input(&v, channel);
    let chosen = files.len();
    input.attachments = store_files(&ui.state, files)
        .await
        .map_err(|e| ui.api_error(e))?;
    match ui.state.services.submit_report(ui.caller(), input).await {
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
        Err(e) => match e.field_errors() {
            Some(errors) => {
                let mut f = build_form(&ui, v, errors.to_vec(), true).await?;
                f.photos_dropped = chosen;
                let mut r = page(&WalkInPage {
                    l: ui.layout(title).await,
                    f,
                });
                *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                Ok(r)
            }
            None => Err(ui.api_error(e.into())),
        },
    }
}

// ----- the report page ------------------------------------------------------------------------

/// An assignment the viewer's agency may act on, with what it may do next.
/// One response obligation as the report page shows it: the evidence behind the figures.
pub struct ObligationLine {
    pub agency: String,
    pub cycle: u32,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub due_at: chrono::DateTime<chrono::Utc>,
    pub responded_at: Option<chrono::DateTime<chrono::Utc>>,
    pub outcome: &'static str,
    /// The badge class (`b-green`, `b-amber`, `b-red`, or none).
    pub badge: &'static str,
    pub lalai: bool,
}

fn obligation_line(
    tr: &super::text::Tr,
    o: tanggap_service::compliance::ReportObligation,
    names: &std::collections::HashMap<String, String>,
) -> ObligationLine {
    use tanggap_domain::compliance::ObligationOutcome::*;
    let (outcome, badge) = match o.outcome {
        OnTime => (tr.s("Direspons tepat waktu", "Answered on time"), "b-green"),
        Late => (
            tr.s("Direspons terlambat (lalai)", "Answered late (lalai)"),
            "b-red",
        ),
        UnrespondedOverdue => (
            tr.s(
                "Belum direspons, lewat tenggat (lalai)",
                "Unanswered, overdue (lalai)",
            ),
            "b-red",
        ),
        NotYetDue => (tr.s("Menunggu respons", "Awaiting an answer"), "b-amber"),
        Cancelled => (
            tr.s(
                "Batal: laporan berakhir sebelum tenggat",
                "Cancelled: the report ended before the deadline",
            ),
            "",
        ),
    };
    ObligationLine {
        agency: names
            .get(&o.record.agency_id)
            .cloned()
            .unwrap_or_else(|| o.record.agency_id.clone()),
        cycle: o.record.cycle,
        started_at: o.record.started_at,
        due_at: o.record.due_at,
        responded_at: o.record.responded_at,
        outcome,
        badge,
        lalai: o.lalai,
    }
}

pub struct Workable {
    pub a: AssignmentDto,
    pub next_stages: Vec<(&'static str, &'static str)>,
    pub can_return: bool,
    pub sub_units: Vec<Agency>,
}

/// A suggested agency for dispatch, and why.
pub struct Suggestion {
    pub agency: Agency,
    pub category_code: String,
    pub category_name: String,
    /// Whole percent.
    pub confidence: u32,
    pub why: String,
}

/// A likely duplicate as the page shows it.
pub struct DuplicateLine {
    pub report: ReportRecord,
    /// Whole percent.
    pub score: u32,
    pub shared: String,
}

/// The reasons of a suggestion in the page's language.
fn reasons_text(tr: &super::text::Tr, reasons: &[tanggap_service::assist::Reason]) -> String {
    use tanggap_service::assist::Reason;
    reasons
        .iter()
        .map(|r| match r {
            Reason::Keywords(w) => format!("{}: {}", tr.s("kata kunci", "keywords"), w.join(", ")),
            Reason::Named(p) => format!("{}: {}", tr.s("disebut", "named"), p),
            Reason::RegionGovernment { name, .. } => format!(
                "{}: {}",
                tr.s("kewenangan kabupaten/kota", "the regency/city's authority"),
                name
            ),
            Reason::Region { name, .. } => format!("{}: {}", tr.s("wilayah", "region"), name),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A refused action, shown again with the reason next to its form and the text kept.
#[derive(Default)]
pub struct Retry {
    pub aksi: String,
    pub assignment: Option<i64>,
    /// The refusal's stable code (on the page as `data-code`).
    pub code: &'static str,
    /// The fields to fix as `field:code`, comma-separated (on the page as `data-fields`).
    pub field_codes: String,
    pub message: String,
    pub fields: HashMap<String, String>,
    /// Fields with several values (checklists), as sent.
    pub many: HashMap<String, Vec<String>>,
}

#[derive(Template)]
#[template(path = "kelola.html")]
struct ManagePage {
    retry: Option<Retry>,
    /// The refused action's form is not on this page (the caller may not use it): the refusal
    /// is shown at the top instead.
    refusal_banner: bool,
    l: Layout,
    r: ReportDto,
    lines: Vec<super::citizen::Line>,
    messages: Vec<MessageDto>,
    audit: Vec<AuditEventDto>,
    obligations: Vec<ObligationLine>,
    region_name: String,
    category_name: String,
    // panels
    desk: bool,
    leadership: bool,
    workable: Vec<Workable>,
    suggestions: Vec<Suggestion>,
    agencies: Vec<Agency>,
    duplicates: Vec<DuplicateLine>,
    categories: Vec<tanggap_domain::Category>,
    open: bool,
    can_message: bool,
    /// Escalations and notifications sent about the report (desk, leadership, auditor, agencies).
    notices: Vec<tanggap_store::Notification>,
    /// Only the desk sees the addresses (a reporter's phone may be among them).
    show_addresses: bool,
    /// The personal-data panel (UU 27/2022): export, correct, forget.
    personal_data: bool,
    /// The report's files, for the desk to review before the public sees them.
    reviewable: Vec<AttachmentDto>,
    /// The region pickers of the verification form: each level's places and the chosen one.
    pickers: RegionPickers,
    /// When the desk last marked the report verified.
    verified_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The three region lists of a form (kabupaten/kota, kecamatan, desa), filled down to the
/// chosen place.
#[derive(Default)]
pub struct RegionPickers {
    pub kabkota: Vec<Region>,
    pub kecamatan: Vec<Region>,
    pub desa: Vec<Region>,
    pub chosen_kabkota: String,
    pub chosen_kecamatan: String,
    pub chosen_desa: String,
}

impl RegionPickers {
    /// The lists for a region chain (the place first, its kabupaten/kota last).
    async fn for_chain(
        services: &tanggap_service::Services,
        chain: &[Region],
    ) -> Result<Self, ServiceError> {
        use tanggap_domain::RegionLevel as L;
        let at = |levels: &[L]| {
            chain
                .iter()
                .find(|r| levels.contains(&r.level))
                .map(|r| r.code.clone())
                .unwrap_or_default()
        };
        let (kk, kec, desa) = (
            at(&[L::KabupatenKota]),
            at(&[L::Kecamatan]),
            at(&[L::Desa, L::Kelurahan]),
        );
        Ok(RegionPickers {
            kabkota: services.regions(Some("33")).await?,
            kecamatan: if kk.is_empty() {
                vec![]
            } else {
                services.regions(Some(&kk)).await?
            },
            desa: if kec.is_empty() {
                vec![]
            } else {
                services.regions(Some(&kec)).await?
            },
            chosen_kabkota: kk,
            chosen_kecamatan: kec,
            chosen_desa: desa,
        })
    }
}

impl ManagePage {
    pub fn recipient_label(&self, k: &tanggap_domain::escalation::RecipientKind) -> &'static str {
        super::notifications::recipient_label(&self.l.tr, k)
    }
    pub fn channel_label(&self, c: &tanggap_domain::escalation::NotifyChannel) -> &'static str {
        super::notifications::channel_label(&self.l.tr, c)
    }
    pub fn notice_status(&self, n: &tanggap_store::Notification) -> &'static str {
        super::notifications::status_label(&self.l.tr, n)
    }
    pub fn receipt_label(&self, r: &str) -> String {
        super::notifications::receipt_label(&self.l.tr, r)
    }
    /// Where a message to the reporter goes: the chat they wrote from (the reporter-updates
    /// job's route), else their e-mail or phone.
    fn reply_route(&self) -> String {
        let name = match self.r.channel.as_str() {
            "whatsapp" => "WhatsApp",
            "sms" => "SMS",
            "telegram" => "Telegram",
            "facebook" => "Facebook Messenger",
            "twitter" => "X (Twitter)",
            "email" => "e-mail",
            _ => "",
        };
        if name.is_empty() {
            self.l
                .tr
                .s(
                    "Pesan dikirim ke e-mail atau nomor ponsel pelapor (bila ada) dan tampil di halaman lacak.",
                    "The message goes to the reporter's e-mail or phone (if any) and shows on the tracking page.",
                )
                .to_string()
        } else {
            self.l.tr.pick(
                format!("Pesan dikirim ke pelapor melalui {name}, kanal tempat ia melapor, dan tampil di halaman lacak."),
                format!("The message goes to the reporter on {name}, the channel they reported on, and shows on the tracking page."),
            )
        }
    }

    /// Whether this form is the one whose action was refused (it opens, and its field takes the
    /// focus so the browser scrolls to it).
    pub fn failed(&self, aksi: &str, assignment: impl std::borrow::Borrow<i64>) -> bool {
        self.retry_for(aksi, *assignment.borrow()).is_some()
    }

    /// The id of the refused action's form, for the link in the banner at the top.
    pub fn retry_anchor(&self) -> String {
        let Some(f) = &self.retry else {
            return String::new();
        };
        let id = f.assignment.unwrap_or(0);
        match f.aksi.as_str() {
            "tahap" => format!("tindak-lanjut-{id}"),
            "kembalikan" | "teruskan" => format!("{}-{id}", f.aksi),
            "disposisi" => "panel-disposisi".into(),
            "duplikat" => "tandai-duplikat".into(),
            "tinjau" => f
                .fields
                .get("attachment")
                .map_or_else(|| "tinjau-foto".into(), |k| format!("tinjau-{k}")),
            other => other.into(),
        }
    }

    /// Whether a refused form had this value among its choices (a checklist).
    pub fn kept_many(&self, aksi: &str, field: &str, value: &str) -> bool {
        self.retry_for(aksi, 0)
            .and_then(|r| r.many.get(field))
            .is_some_and(|v| v.iter().any(|x| x == value))
    }

    /// Who reads a text field's words: said next to every field.
    pub fn seen_by_public(&self) -> &'static str {
        self.l.tr.s(
            "Terlihat oleh pelapor dan publik di halaman lacak.",
            "The reporter and the public see this on the tracking page.",
        )
    }
    pub fn seen_by_reporter(&self) -> &'static str {
        self.l.tr.s(
            "Dibaca pelapor (dan dikirim ke kanalnya); tidak tampil untuk publik.",
            "The reporter reads this (it is sent on their channel); the public does not.",
        )
    }
    pub fn seen_by_staff(&self) -> &'static str {
        self.l.tr.s(
            "Internal: hanya petugas yang membaca; pelapor dan publik tidak.",
            "Internal: staff only; neither the reporter nor the public see it.",
        )
    }
    /// The report's own title, text and address.
    pub fn report_seen_by(&self) -> &'static str {
        if self.has_visibility("rahasia") {
            self.l.tr.s(
                "Laporan rahasia: judul, isi dan alamat hanya dibaca pelapor dan petugas.",
                "Confidential report: the title, text and address are for the reporter and staff only.",
            )
        } else {
            self.l.tr.s(
                "Judul, isi dan alamat terlihat oleh pelapor dan publik (identitas pelapor tidak).",
                "The title, text and address are seen by the reporter and the public (the reporter's identity is not).",
            )
        }
    }
    pub fn role_label(&self, code: &str) -> &'static str {
        match tanggap_domain::AssignmentRole::parse(code) {
            Some(r) => self.l.tr.assignment_role(&r),
            None => "",
        }
    }

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
    /// The refusal's code for this form, if it was the one that failed.
    pub fn code_for(&self, aksi: &str, assignment: impl std::borrow::Borrow<i64>) -> &'static str {
        self.retry_for(aksi, *assignment.borrow())
            .map_or("", |r| r.code)
    }
    /// The fields to fix of this form's refusal, as `field:code`.
    pub fn fields_for(&self, aksi: &str, assignment: impl std::borrow::Borrow<i64>) -> String {
        self.retry_for(aksi, *assignment.borrow())
            .map_or_else(String::new, |r| r.field_codes.clone())
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
    /// The refusal of this attachment's review form, if it was the one that failed.
    pub fn review_error(&self, key: &str) -> Option<String> {
        self.retry
            .as_ref()
            .filter(|r| {
                r.aksi == "tinjau" && r.fields.get("attachment").map(String::as_str) == Some(key)
            })
            .map(|r| r.message.clone())
    }
    pub fn review_code(&self, key: &str) -> String {
        self.retry
            .as_ref()
            .filter(|r| {
                r.aksi == "tinjau" && r.fields.get("attachment").map(String::as_str) == Some(key)
            })
            .map_or_else(String::new, |r| format!("{}|{}", r.code, r.field_codes))
    }
    pub fn review_label(&self, a: &AttachmentDto) -> &'static str {
        let tr = &self.l.tr;
        match a.review.as_str() {
            "published" => tr.s("tampil untuk publik", "public"),
            "hidden" => tr.s("disembunyikan dari publik", "hidden from the public"),
            "redacted" => tr.s(
                "tampil dengan area ditutup",
                "public with areas blacked out",
            ),
            _ => tr.s(
                "belum ditinjau: belum tampil untuk publik",
                "not reviewed: not public yet",
            ),
        }
    }
    pub fn review_badge(&self, a: &AttachmentDto) -> &'static str {
        match a.review.as_str() {
            "published" | "redacted" => "b-green",
            "hidden" => "",
            _ => "b-amber",
        }
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
                .s("lalai: belum direspons", "negligent: no response"),
            "late" => self.l.tr.s("respons terlambat", "responded late"),
            "on_time" => self.l.tr.s("respons tepat waktu", "responded on time"),
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

pub async fn report_page(ui: Ui, Path(tid): Path<String>) -> UiResult {
    ui.require_user()?;
    let opened = ui
        .state
        .services
        .open_report(ui.caller(), &tid, None)
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    render_manage(&ui, opened, None).await
}

async fn render_manage(ui: &Ui, opened: OpenedReport, retry: Option<Retry>) -> UiResult {
    let services = &ui.state.services;
    let caller = ui.caller();
    let err = |e: tanggap_service::ServiceError| ui.api_error(e.into());
    let help = services.triage_help(caller, &opened).await.map_err(err)?;
    let notices = services
        .report_notifications(caller, &opened)
        .await
        .map_err(err)?;
    let messages = if opened.disclosure.conversation {
        messages_dto(&services.conversation(&opened).await.map_err(err)?)
    } else {
        vec![]
    };
    let audit = if opened.disclosure.audit_trail {
        services
            .report_audit(&opened)
            .await
            .map_err(err)?
            .into_iter()
            .map(AuditEventDto::from)
            .collect()
    } else {
        vec![]
    };
    let status = opened.report.status;
    // Lists people read are alphabetical.
    let mut agencies = opened.agencies.clone();
    agencies.sort_by_key(|a| a.name.to_lowercase());
    let names = opened.agency_names();
    let obligations = services
        .report_obligations(&opened)
        .await
        .map_err(err)?
        .into_iter()
        .map(|o| obligation_line(&ui.tr, o, &names))
        .collect();
    let tree = opened.tree();
    let detail = services.detail_of(opened).await.map_err(err)?;
    let r = report_dto(&detail, services.now());
    let lines = r
        .timeline
        .iter()
        .map(|a: &ActivityDto| super::citizen::Line {
            text: describe(&ui.tr, a, &names),
            internal: matches!(a.kind.as_str(), "edited" | "instruction" | "dispatch_note"),
            a: a.clone(),
        })
        .collect();
    let verified_at = r
        .timeline
        .iter()
        .filter(|a| a.kind == "verified")
        .map(|a| a.created_at)
        .max();
    let chain = services
        .region_chain(r.region_code.as_deref())
        .await
        .map_err(err)?;
    let pickers = RegionPickers::for_chain(services, &chain)
        .await
        .map_err(err)?;
    let categories = services.categories().await.map_err(err)?;
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
    let desk = caller.may(Permission::DispatchReport);
    let mine = caller
        .user()
        .and_then(|u| u.agency_id.clone())
        .unwrap_or_default();
    let workable: Vec<Workable> = if caller.may(Permission::WorkAssignment) {
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
    let suggestions: Vec<Suggestion> = help
        .suggestions
        .into_iter()
        .map(|s| Suggestion {
            why: reasons_text(&ui.tr, &s.reasons),
            category_code: s
                .category
                .as_ref()
                .map(|c| c.code.clone())
                .unwrap_or_default(),
            category_name: s
                .category
                .as_ref()
                .map(|c| {
                    if ui.tr.is_en() {
                        c.name_en.clone()
                    } else {
                        c.name_id.clone()
                    }
                })
                .unwrap_or_default(),
            confidence: (s.confidence * 100.0).round() as u32,
            agency: s.agency,
        })
        .collect();
    let duplicates: Vec<DuplicateLine> = help
        .duplicates
        .into_iter()
        .map(|d| DuplicateLine {
            score: (d.score * 100.0).round() as u32,
            shared: d.shared.join(", "),
            report: d.report,
        })
        .collect();
    let reviewable: Vec<AttachmentDto> = if caller.may(Permission::ReviewAttachments) {
        r.attachments
            .iter()
            .chain(r.timeline.iter().flat_map(|a| a.attachments.iter()))
            .cloned()
            .collect()
    } else {
        vec![]
    };
    let open = !status.is_terminal();
    let can_message = open && (desk || !workable.is_empty());
    let leadership = caller.may(Permission::AddInstruction);
    let refusal_banner = retry.as_ref().is_some_and(|f| {
        let inline = match f.aksi.as_str() {
            "verifikasi" | "disposisi" | "duplikat" | "tanya" | "arsip" => desk && open,
            "tahap" | "kembalikan" | "teruskan" => {
                workable.iter().any(|w| Some(w.a.id) == f.assignment)
            }
            "pesan" => can_message,
            "arahan" => leadership,
            "tinjau" => reviewable
                .iter()
                .any(|a| f.fields.get("attachment") == Some(&a.key)),
            _ => false,
        };
        !inline
    });
    let title = format!("{} · {}", r.tracking_id, r.title);
    let t = ManagePage {
        retry,
        refusal_banner,
        l: ui.layout(title).await,
        lines,
        messages,
        audit,
        obligations,
        region_name: region_label(&chain),
        category_name,
        desk,
        leadership,
        workable,
        suggestions,
        agencies,
        duplicates,
        categories,
        open,
        can_message,
        notices,
        show_addresses: caller.may(Permission::UseDesk),
        personal_data: caller.may(Permission::ManagePersonalData) && r.reporter.is_some(),
        reviewable,
        pickers,
        verified_at,
        r,
    };
    Ok(page(&t))
}

/// Every staff action on the report page comes here, named by `aksi`. The form's fields become
/// the same `Action` the JSON API builds, and go through the same use case.
pub async fn act(ui: Ui, Path(tid): Path<String>, mp: Multipart) -> UiResult {
    ui.require_user()?;
    let form = super::form::read(mp, &ui.state.attachment_limits, "foto")
        .await
        .map_err(|_| unreadable(&ui))?;
    let mut fields: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in form.fields() {
        fields.entry(k.clone()).or_default().push(v.clone());
    }
    let get = |k: &str| {
        fields
            .get(k)
            .and_then(|v| v.first())
            .cloned()
            .unwrap_or_default()
    };
    ui.check_csrf(&get("csrf")).await?;
    // A photo too large (or too many): the page again, the reason inside the form, the text kept.
    if let Some(first) = form.file_errors.first() {
        let opened = ui
            .state
            .services
            .open_report(ui.caller(), &tid, None)
            .await
            .map_err(|e| ui.api_error(e.into()))?;
        let retry = Retry {
            aksi: get("aksi"),
            assignment: get("assignment").parse().ok(),
            code: "validation_failed",
            field_codes: form
                .file_errors
                .iter()
                .map(|e| format!("{}:{}", e.field, e.code))
                .collect::<Vec<_>>()
                .join(","),
            message: first.message(ui.tr.lang),
            fields: fields
                .iter()
                .filter_map(|(k, v)| v.first().map(|x| (k.clone(), x.clone())))
                .filter(|(k, _)| k != "csrf")
                .collect(),
            many: fields.clone(),
        };
        let mut r = render_manage(&ui, opened, Some(retry)).await?;
        *r.status_mut() = form.status();
        return Ok(r);
    }
    let files = form.files;
    let aid = || {
        get("assignment").parse::<i64>().map_err(|_| {
            ui.error(
                StatusCode::UNPROCESSABLE_ENTITY,
                ui.tr.s("Pilih disposisi.", "Choose an assignment."),
            )
        })
    };
    if get("aksi") == "tinjau" {
        return review(&ui, &tid, &fields, &get("attachment")).await;
    }
    let (action, done) = match get("aksi").as_str() {
        "verifikasi" => {
            let mut visibility = Vec::new();
            for v in ["anonim", "rahasia"] {
                if fields.contains_key(v) {
                    visibility.push(v.to_string());
                }
            }
            let confirm = get("confirm") == "1";
            let input = VerifyInput {
                kind: Some(get("kind")),
                title: Some(get("title")),
                body: Some(get("body")),
                category: Some(get("category")),
                region_code: Some(chosen_region(
                    &get("kabkota"),
                    &get("kecamatan"),
                    &get("desa"),
                )),
                address: Some(get("address")),
                visibility: Some(visibility),
                needs_field_check: Some(fields.contains_key("needs_field_check")),
                confirm,
            };
            (
                Action::Verify(input),
                if confirm {
                    ui.tr.s(
                        "Laporan ditandai terverifikasi.",
                        "The report is marked as verified.",
                    )
                } else {
                    ui.tr.s("Perubahan disimpan.", "Changes saved.")
                },
            )
        }
        "disposisi" => {
            // The "other agency" select comes after the suggested radios: a choice there wins.
            let lead = fields
                .get("utama")
                .and_then(|v| v.iter().rev().find(|s| !s.is_empty()))
                .cloned()
                .unwrap_or_default();
            let mut agencies: Vec<(String, String)> = Vec::new();
            if !lead.is_empty() {
                agencies.push((lead.clone(), "utama".into()));
            }
            for s in fields.get("pendukung").cloned().unwrap_or_default() {
                if !s.is_empty() && s != lead && !agencies.iter().any(|(a, _)| *a == s) {
                    agencies.push((s, "pendukung".into()));
                }
            }
            let note = Some(get("note")).filter(|n| !n.trim().is_empty());
            (
                Action::Dispatch {
                    agencies,
                    note,
                    note_public: !get("note_public").is_empty(),
                    category: Some(get("kategori")).filter(|c| !c.trim().is_empty()),
                },
                ui.tr.s("Laporan didisposisikan.", "Report dispatched."),
            )
        }
        "tanya" => (
            Action::AskReporter { text: get("text") },
            ui.tr.s(
                "Pertanyaan dikirim ke pelapor.",
                "Question sent to the reporter.",
            ),
        ),
        "pesan" => (
            Action::MessageReporter { text: get("text") },
            ui.tr
                .s("Pesan dikirim ke pelapor.", "Message sent to the reporter."),
        ),
        "arsip" => (
            Action::Archive {
                reason: get("reason"),
            },
            ui.tr.s("Laporan diarsipkan.", "Report archived."),
        ),
        "duplikat" => (
            Action::MarkDuplicate {
                master_tracking_id: get("master"),
            },
            ui.tr
                .s("Ditandai sebagai duplikat.", "Marked as a duplicate."),
        ),
        "tahap" => (
            Action::PostUpdate {
                assignment_id: aid()?,
                stage: get("stage"),
                note: get("note"),
            },
            ui.tr.s(
                "Perkembangan disimpan dan terlihat oleh pelapor.",
                "Update saved; the reporter can see it.",
            ),
        ),
        "kembalikan" => (
            Action::ReturnAssignment {
                assignment_id: aid()?,
                reason: get("reason"),
            },
            ui.tr.s(
                "Dikembalikan ke admin sebagai bukan wewenang.",
                "Returned to the desk as not our authority.",
            ),
        ),
        "teruskan" => (
            Action::ForwardAssignment {
                assignment_id: aid()?,
                agency_id: get("to"),
                note: get("note"),
            },
            ui.tr.s(
                "Diteruskan ke unit; tenggat tetap sama.",
                "Forwarded to the unit; the deadline stays the same.",
            ),
        ),
        "arahan" => (
            Action::AddInstruction { note: get("note") },
            ui.tr.s("Arahan disimpan.", "Instruction saved."),
        ),
        _ => {
            return Err(ui.error(
                StatusCode::BAD_REQUEST,
                ui.tr.s("Aksi tidak dikenal.", "Unknown action."),
            ));
        }
    };
    let services = &ui.state.services;
    let attachments = store_files(&ui.state, files)
        .await
        .map_err(|e| ui.api_error(e))?;
    match services
        .act(ui.caller(), &tid, None, action, attachments)
        .await
    {
        Ok(_) => {
            ui.flash(done).await;
            Ok(Redirect::to(&format!("/kelola/{}", urlencode(&tid))).into_response())
        }
        Err(e) => {
            // Show the page again: the reason next to the form that failed, the text kept. A
            // caller who may not read the report at all gets the refusal as its own page.
            let opened = services
                .open_report(ui.caller(), &tid, None)
                .await
                .map_err(|e| ui.api_error(e.into()))?;
            let field_codes = e
                .refusal()
                .map(|r| {
                    r.fields
                        .iter()
                        .map(|f| format!("{}:{}", f.field, f.code))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default();
            let (status, code, message) = match ui.api_error(e.into()) {
                UiError::Page {
                    status,
                    code,
                    message,
                    ..
                } => (status, code, message),
                UiError::Redirect(to) => return Ok(Redirect::to(&to).into_response()),
            };
            let retry = Retry {
                aksi: get("aksi"),
                assignment: get("assignment").parse().ok(),
                code,
                field_codes,
                message,
                fields: fields
                    .iter()
                    .filter_map(|(k, v)| v.first().map(|x| (k.clone(), x.clone())))
                    .filter(|(k, _)| k != "csrf")
                    .collect(),
                many: fields.clone(),
            };
            let mut r = render_manage(&ui, opened, Some(retry)).await?;
            *r.status_mut() = status;
            Ok(r)
        }
    }
}

/// The region the pickers name: the deepest level chosen that lies within the levels above it.
/// Without JavaScript the lower lists still hold the old region's places after the level above
/// changes: those are ignored, and the page offers the new level's places after saving.
fn chosen_region(kabkota: &str, kecamatan: &str, desa: &str) -> String {
    let within = |child: &str, parent: &str| {
        !child.is_empty() && !parent.is_empty() && child.starts_with(&format!("{parent}."))
    };
    if within(kecamatan, kabkota) && within(desa, kecamatan) {
        desa.into()
    } else if within(kecamatan, kabkota) {
        kecamatan.into()
    } else {
        kabkota.into()
    }
}

/// The desk's review of one attachment from the report page: publish, hide, or publish with the
/// areas typed in the form (percent of the photo) blacked out.
async fn review(ui: &Ui, tid: &str, fields: &HashMap<String, Vec<String>>, key: &str) -> UiResult {
    let list = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let (xs, ys, ws, hs) = (
        list("area_x"),
        list("area_y"),
        list("area_w"),
        list("area_h"),
    );
    let number = |v: Option<&String>| {
        v.map(|s| s.trim().replace(',', "."))
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<f64>().unwrap_or(f64::NAN))
    };
    let mut areas = Vec::new();
    for i in 0..xs.len().max(ys.len()).max(ws.len()).max(hs.len()) {
        let row = [
            number(xs.get(i)),
            number(ys.get(i)),
            number(ws.get(i)),
            number(hs.get(i)),
        ];
        if row.iter().all(Option::is_none) {
            continue;
        }
        let [x, y, w, h] = row.map(|v| v.unwrap_or(f64::NAN));
        areas.push(tanggap_store::Area { x, y, w, h });
    }
    let input = tanggap_service::ReviewInput {
        decision: fields
            .get("decision")
            .and_then(|v| v.first())
            .cloned()
            .unwrap_or_default(),
        areas,
    };
    let services = &ui.state.services;
    match services
        .review_attachment(ui.caller(), key, input, &ui.state.attachments)
        .await
    {
        Ok(_) => {
            ui.flash(ui.tr.s("Tinjauan foto disimpan.", "Review saved."))
                .await;
            Ok(Redirect::to(&format!("/kelola/{}#tinjau-foto", urlencode(tid))).into_response())
        }
        Err(e) => {
            let opened = services
                .open_report(ui.caller(), tid, None)
                .await
                .map_err(|e| ui.api_error(e.into()))?;
            let field_codes = e
                .refusal()
                .map(|r| {
                    r.fields
                        .iter()
                        .map(|f| format!("{}:{}", f.field, f.code))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default();
            let (status, code, message) = match ui.api_error(e.into()) {
                UiError::Page {
                    status,
                    code,
                    message,
                    ..
                } => (status, code, message),
                UiError::Redirect(to) => return Ok(Redirect::to(&to).into_response()),
            };
            let retry = Retry {
                aksi: "tinjau".into(),
                assignment: None,
                code,
                field_codes,
                message,
                fields: fields
                    .iter()
                    .filter_map(|(k, v)| v.first().map(|x| (k.clone(), x.clone())))
                    .filter(|(k, _)| k != "csrf")
                    .collect(),
                many: HashMap::new(),
            };
            let mut r = render_manage(ui, opened, Some(retry)).await?;
            *r.status_mut() = status;
            Ok(r)
        }
    }
}
