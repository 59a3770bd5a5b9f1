//! Administration: users and roles, agencies and their heads, categories and their default
//! agencies, the SLA policy, holidays. The forms fill the same inputs as the JSON API and call
//! the same use cases, which check, audit and refuse in one place.

use super::{Layout, Ui, UiResult, page};
use askama::Template;
use axum::Form;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect};
use chrono::Datelike;
use serde::Deserialize;
use tanggap_domain::policy::Permission;
use tanggap_domain::sla::{DurationUnit, SlaDuration};
use tanggap_domain::{Agency, Category, Holiday, Role, SlaPolicy};
use tanggap_service::accounts::{UserChange, UserInput};
use tanggap_service::{AgencyInput, CategoryInput, HolidayInput, PolicyInput, ServiceError};
use tanggap_store::{HeadRecord, User};

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    l: Layout,
    users: Vec<User>,
    agencies: Vec<Agency>,
    categories: Vec<Category>,
    holidays: Vec<Holiday>,
    policy: SlaPolicy,
    editing: Option<Agency>,
    /// The edited agency's heads, newest first (the accountability report names the head in
    /// office when an obligation fell due).
    heads: Vec<HeadRecord>,
    roles: Vec<(&'static str, &'static str)>,
    /// The system's health at a glance (the same figures as `/metrics`).
    health: tanggap_store::Operations,
    /// Requests answered and of them 5xx since this process started.
    requests: (u64, u64),
    /// The desk's assistant: when it learned, how often its suggestions were taken.
    assistant: Option<tanggap_service::assist::AssistantHealth>,
}

/// `a` of `b` as a whole percent, or a dash when there is nothing to count.
fn percent(a: u64, b: u64) -> String {
    if b == 0 {
        "—".into()
    } else {
        format!("{:.0}%", 100.0 * a as f64 / b as f64)
    }
}

impl AdminPage {
    pub fn pct(&self, a: &u64, b: &u64) -> String {
        percent(*a, *b)
    }
    pub fn agency_name(&self, id: &Option<String>) -> String {
        id.as_ref()
            .and_then(|id| self.agencies.iter().find(|a| &a.id == id))
            .map(|a| a.name.clone())
            .unwrap_or_else(|| "—".into())
    }
    pub fn role_label(&self, r: &Role) -> &'static str {
        self.l.tr.role(r)
    }
    pub fn duration(&self, d: &SlaDuration) -> String {
        let unit = match d.unit {
            DurationUnit::Hours => self.l.tr.s("jam", "hours"),
            DurationUnit::Days => self.l.tr.s("hari", "days"),
            DurationUnit::WorkingDays => self.l.tr.s("hari kerja", "working days"),
        };
        format!("{} {unit}", d.amount)
    }
    pub fn escalation(&self) -> String {
        self.policy
            .escalation_percent
            .iter()
            .map(|p| format!("{p}%"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Deserialize, Default)]
pub struct AdminQuery {
    instansi: Option<String>,
}

pub async fn index(ui: Ui, Query(q): Query<AdminQuery>) -> UiResult {
    ui.require(Permission::ManageReferenceData)?;
    let services = &ui.state.services;
    let caller = ui.caller();
    let err = |e: ServiceError| ui.api_error(e.into());
    let agencies = services.agencies(caller).await.map_err(err)?;
    let editing = q
        .instansi
        .and_then(|id| agencies.iter().find(|a| a.id == id).cloned());
    let heads = match &editing {
        Some(a) => {
            let mut h: Vec<HeadRecord> = services
                .agency_heads(caller)
                .await
                .map_err(err)?
                .into_iter()
                .filter(|h| h.agency_id == a.id)
                .collect();
            h.reverse();
            h
        }
        None => vec![],
    };
    let year = ui.tr.now.with_timezone(&ui.tr.tz).year();
    let holidays = services
        .holidays()
        .await
        .map_err(err)?
        .into_iter()
        .filter(|h| h.date.year() >= year)
        .collect();
    let tr = ui.tr;
    let roles = Role::ALL.iter().map(|r| (r.as_str(), tr.role(r))).collect();
    let t = AdminPage {
        l: ui.layout(ui.tr.s("Administrasi", "Administration")).await,
        users: services.users(caller).await.map_err(err)?,
        categories: services.categories().await.map_err(err)?,
        holidays,
        policy: services.sla_policy(caller).await.map_err(err)?,
        editing,
        heads,
        agencies,
        roles,
        health: services.operations(caller).await.map_err(err)?,
        requests: crate::operations::request_totals(),
        assistant: if caller.may(Permission::ManageReferenceData) {
            Some(services.assistant_health(caller).await.map_err(err)?)
        } else {
            None
        },
    };
    Ok(page(&t))
}

/// After an admin form: back to the page, with what happened or why it was refused.
async fn done<T>(
    ui: &Ui,
    result: Result<T, ServiceError>,
    ok: impl FnOnce(T) -> String,
    anchor: &str,
) -> UiResult {
    match result {
        Ok(v) => ui.flash(&ok(v)).await,
        Err(ServiceError::Internal(cause)) => {
            return Err(ui.api_error(crate::error::ApiError::Internal(cause)));
        }
        Err(ServiceError::Refused(r)) => {
            let message = match r.fields.first() {
                Some(f) => f.message(ui.tr.lang),
                None => r.message(ui.tr.lang),
            };
            ui.flash_error(&message).await
        }
    }
    Ok(Redirect::to(&format!("/admin#{anchor}")).into_response())
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

#[derive(Deserialize)]
pub struct UserForm {
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    role: String,
    #[serde(default)]
    agency_id: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    integration: Option<String>,
}

pub async fn save_user(ui: Ui, Form(f): Form<UserForm>) -> UiResult {
    ui.require(Permission::ManageUsers)?;
    ui.check_csrf(&f.csrf).await?;
    let tr = ui.tr;
    let services = &ui.state.services;
    // The form always sends an agency; only agency roles keep it.
    let agency =
        opt(&f.agency_id).filter(|_| Role::parse(&f.role).is_some_and(|r| r.is_agency_role()));
    if f.id.is_empty() {
        let input = UserInput {
            username: f.username,
            display_name: f.display_name,
            role: f.role,
            agency_id: agency,
            email: opt(&f.email),
            phone: None,
            password: f.password,
            integration: f.integration.is_some(),
        };
        let r = services.create_user(ui.caller(), input).await;
        let ok = |u: User| {
            tr.pick(
                format!("Pengguna {} dibuat.", u.username),
                format!("User {} created.", u.username),
            )
        };
        done(&ui, r, ok, "pengguna").await
    } else {
        let id: i64 = f.id.trim().parse().unwrap_or_default();
        let change = UserChange {
            display_name: opt(&f.display_name),
            role: Some(f.role),
            agency_id: Some(agency),
            email: Some(opt(&f.email)),
            phone: None,
            active: Some(f.active.is_some()),
            password: opt(&f.password),
        };
        let r = services.update_user(ui.caller(), id, change).await;
        let ok = |u: User| {
            tr.pick(
                format!("Pengguna {} disimpan.", u.username),
                format!("User {} saved.", u.username),
            )
        };
        done(&ui, r, ok, "pengguna").await
    }
}

#[derive(Deserialize)]
pub struct AgencyForm {
    csrf: String,
    id: String,
    name: String,
    #[serde(default)]
    head_name: String,
    #[serde(default)]
    head_position: String,
    #[serde(default)]
    head_phone: String,
    #[serde(default)]
    head_email: String,
    #[serde(default)]
    active: Option<String>,
}

pub async fn save_agency(ui: Ui, Form(f): Form<AgencyForm>) -> UiResult {
    ui.require(Permission::ManageReferenceData)?;
    ui.check_csrf(&f.csrf).await?;
    let tr = ui.tr;
    let input = AgencyInput {
        name: Some(f.name),
        head_name: Some(opt(&f.head_name)),
        head_position: Some(opt(&f.head_position)),
        head_phone: Some(opt(&f.head_phone)),
        head_email: Some(opt(&f.head_email)),
        active: Some(f.active.is_some()),
        ..Default::default()
    };
    let r = ui
        .state
        .services
        .update_agency(ui.caller(), &f.id, input)
        .await;
    let ok = |a: Agency| {
        tr.pick(
            format!("{} disimpan.", a.name),
            format!("{} saved.", a.name),
        )
    };
    done(&ui, r, ok, "instansi").await
}

#[derive(Deserialize)]
pub struct CategoryForm {
    csrf: String,
    code: String,
    default_agency_id: String,
    #[serde(default)]
    needs_field_check: Option<String>,
}

pub async fn save_category(ui: Ui, Form(f): Form<CategoryForm>) -> UiResult {
    ui.require(Permission::ManageReferenceData)?;
    ui.check_csrf(&f.csrf).await?;
    let tr = ui.tr;
    let services = &ui.state.services;
    // The form changes categories that exist; a new one comes through the API or the import.
    let exists = services
        .categories()
        .await
        .map_err(|e| ui.api_error(e.into()))?
        .iter()
        .any(|c| c.code == f.code);
    let r = if exists {
        let input = CategoryInput {
            default_agency_id: Some(opt(&f.default_agency_id)),
            needs_field_check: Some(f.needs_field_check.is_some()),
            ..Default::default()
        };
        services.put_category(ui.caller(), &f.code, input).await
    } else {
        Err(ServiceError::not_found("category", &f.code))
    };
    let ok = |c: Category| {
        tr.pick(
            format!("Kategori {} disimpan.", c.name_id),
            format!("Category {} saved.", c.name_en),
        )
    };
    done(&ui, r, ok, "kategori").await
}

#[derive(Deserialize)]
pub struct HolidayForm {
    csrf: String,
    date: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    delete: Option<String>,
}

pub async fn save_holiday(ui: Ui, Form(f): Form<HolidayForm>) -> UiResult {
    ui.require(Permission::ManageReferenceData)?;
    ui.check_csrf(&f.csrf).await?;
    let tr = ui.tr;
    let services = &ui.state.services;
    if f.delete.is_some() {
        let r = services.delete_holiday(ui.caller(), &f.date).await;
        let ok = |date| {
            tr.pick(
                format!("{date} dihapus dari hari libur."),
                format!("{date} removed from the holidays."),
            )
        };
        done(&ui, r, ok, "libur").await
    } else {
        let input = HolidayInput {
            kind: f.kind,
            name: f.name,
        };
        let r = services.put_holiday(ui.caller(), &f.date, input).await;
        let ok = |h: Holiday| {
            tr.pick(
                format!("{} disimpan sebagai hari libur.", h.date),
                format!("{} saved as a holiday.", h.date),
            )
        };
        done(&ui, r, ok, "libur").await
    }
}

#[derive(Deserialize)]
pub struct PolicyForm {
    csrf: String,
    #[serde(default)]
    preset: String,
    #[serde(default)]
    first_response_hours: Option<u32>,
    #[serde(default)]
    triage_hours: Option<u32>,
    #[serde(default)]
    completion_pengaduan: Option<u32>,
    #[serde(default)]
    completion_aspirasi: Option<u32>,
    #[serde(default)]
    completion_informasi: Option<u32>,
    #[serde(default)]
    completion_field_check: Option<u32>,
    #[serde(default)]
    auto_close: Option<u32>,
}

pub async fn save_policy(ui: Ui, Form(f): Form<PolicyForm>) -> UiResult {
    ui.require(Permission::ManagePolicy)?;
    ui.check_csrf(&f.csrf).await?;
    let tr = ui.tr;
    let input = if f.preset.trim().is_empty() {
        PolicyInput::Adjust {
            first_response_hours: f.first_response_hours,
            triage_hours: f.triage_hours,
            completion_pengaduan: f.completion_pengaduan,
            completion_aspirasi: f.completion_aspirasi,
            completion_informasi: f.completion_informasi,
            completion_field_check: f.completion_field_check,
            auto_close: f.auto_close,
        }
    } else {
        PolicyInput::Preset(f.preset)
    };
    let r = ui.state.services.set_sla_policy(ui.caller(), input).await;
    let ok = |_| {
        tr.s("Kebijakan SLA disimpan. Berlaku untuk tenggat baru; tenggat yang sedang berjalan tidak berubah.", "SLA policy saved. It applies to new clocks; running clocks keep their deadlines.").to_string()
    };
    done(&ui, r, ok, "sla").await
}

#[derive(Template)]
#[template(path = "kotak_keluar.html")]
struct OutboxPage {
    l: Layout,
    items: Vec<tanggap_service::outbox::DeadLetter>,
}

impl OutboxPage {
    /// The channel's name (an unknown code is shown as stored).
    pub fn channel_label(&self, code: &str) -> String {
        tanggap_domain::escalation::NotifyChannel::parse(code).map_or_else(
            || code.to_string(),
            |c| super::notifications::channel_label(&self.l.tr, &c).to_string(),
        )
    }
    /// Whom it was for (an unknown code is shown as stored).
    pub fn recipient_label(&self, code: &str) -> String {
        tanggap_domain::escalation::RecipientKind::parse(code).map_or_else(
            || code.to_string(),
            |k| super::notifications::recipient_label(&self.l.tr, &k).to_string(),
        )
    }
}

/// The dead letters, for the operators who send them again.
#[derive(Template)]
#[template(path = "open311_keys.html")]
struct Open311KeysPage {
    l: Layout,
    keys: Vec<tanggap_store::Open311Key>,
    /// Integration accounts a key may act as.
    accounts: Vec<User>,
    /// A key just issued: shown on this answer only.
    new_key: Option<String>,
    new_name: String,
}

impl Open311KeysPage {
    pub fn account(&self, id: &Option<i64>) -> String {
        match id {
            None => "—".into(),
            Some(id) => self
                .accounts
                .iter()
                .find(|u| u.id == *id)
                .map(|u| format!("{} ({})", u.display_name, u.username))
                .unwrap_or_else(|| format!("#{id}")),
        }
    }
}

async fn open311_page(ui: &Ui, new_key: Option<String>, new_name: String) -> UiResult {
    let services = &ui.state.services;
    let err = |e: ServiceError| ui.api_error(e.into());
    let keys = services.open311_keys(ui.caller()).await.map_err(err)?;
    let accounts = services
        .users(ui.caller())
        .await
        .map_err(err)?
        .into_iter()
        .filter(|u| u.integration)
        .collect();
    let t = Open311KeysPage {
        l: ui.layout(ui.tr.s("Kunci Open311", "Open311 keys")).await,
        keys,
        accounts,
        new_key,
        new_name,
    };
    Ok(page(&t))
}

/// The Open311 keys, with the forms to issue and revoke them.
pub async fn open311_keys(ui: Ui) -> UiResult {
    ui.require(Permission::ManageUsers)?;
    open311_page(&ui, None, String::new()).await
}

#[derive(Deserialize)]
pub struct IssueKeyForm {
    csrf: String,
    name: String,
    #[serde(default)]
    user_id: String,
}

/// Issue a key: the answer shows it once (it is never stored, nor put in a session).
pub async fn issue_open311_key(ui: Ui, Form(f): Form<IssueKeyForm>) -> UiResult {
    ui.require(Permission::ManageUsers)?;
    ui.check_csrf(&f.csrf).await?;
    let user_id = match f.user_id.trim() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                ui.flash_error(ui.tr.s(
                    "Akun integrasi tidak dikenal.",
                    "Unknown integration account.",
                ))
                .await;
                return Ok(Redirect::to("/admin/open311").into_response());
            }
        },
    };
    match ui
        .state
        .services
        .create_open311_key(ui.caller(), &f.name, user_id)
        .await
    {
        Ok((_, key)) => open311_page(&ui, Some(key), f.name.trim().to_string()).await,
        Err(ServiceError::Internal(cause)) => {
            Err(ui.api_error(crate::error::ApiError::Internal(cause)))
        }
        Err(ServiceError::Refused(r)) => {
            let message = match r.fields.first() {
                Some(f) => f.message(ui.tr.lang),
                None => r.message(ui.tr.lang),
            };
            ui.flash_error(&message).await;
            Ok(Redirect::to("/admin/open311#terbitkan").into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct RevokeKeyForm {
    csrf: String,
    id: String,
}

pub async fn revoke_open311_key(ui: Ui, Form(f): Form<RevokeKeyForm>) -> UiResult {
    ui.require(Permission::ManageUsers)?;
    ui.check_csrf(&f.csrf).await?;
    let tr = ui.tr;
    let result = match f.id.trim().parse::<i64>() {
        Ok(id) => ui.state.services.revoke_open311_key(ui.caller(), id).await,
        Err(_) => Err(ServiceError::not_found("open311_key", f.id.trim())),
    };
    match result {
        Ok(()) => ui.flash(tr.s("Kunci dicabut.", "Key revoked.")).await,
        Err(ServiceError::Internal(cause)) => {
            return Err(ui.api_error(crate::error::ApiError::Internal(cause)));
        }
        Err(ServiceError::Refused(r)) => ui.flash_error(&r.message(tr.lang)).await,
    }
    Ok(Redirect::to("/admin/open311#daftar").into_response())
}

pub async fn outbox(ui: Ui) -> UiResult {
    ui.require(Permission::ManageOutbox)?;
    let items = ui
        .state
        .services
        .dead_letters(ui.caller())
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    let t = OutboxPage {
        l: ui.layout(ui.tr.s("Kotak keluar", "Outbox")).await,
        items,
    };
    Ok(page(&t))
}

#[derive(Deserialize)]
pub struct RetryForm {
    csrf: String,
    /// A dead letter's id, or `semua` for all of them.
    id: String,
}

pub async fn retry_outbox(ui: Ui, Form(f): Form<RetryForm>) -> UiResult {
    ui.require(Permission::ManageOutbox)?;
    ui.check_csrf(&f.csrf).await?;
    let tr = ui.tr;
    let id = match f.id.trim() {
        "semua" => None,
        s => match s.parse::<i64>() {
            Ok(i) => Some(i),
            Err(_) => {
                ui.flash_error(tr.s("Pesan tidak dikenal.", "Unknown message."))
                    .await;
                return Ok(Redirect::to("/admin/kotak-keluar").into_response());
            }
        },
    };
    match ui.state.services.retry_dead_letters(ui.caller(), id).await {
        Ok(0) => {
            ui.flash_error(tr.s(
                "Pesan itu sudah tidak ada di daftar gagal.",
                "That message is no longer in the failed list.",
            ))
            .await
        }
        Ok(n) => {
            ui.flash(&tr.pick(
                format!("{n} pesan dimasukkan kembali ke antrean kirim."),
                format!("{n} message(s) queued again."),
            ))
            .await
        }
        Err(e) => return Err(ui.api_error(e.into())),
    }
    Ok(Redirect::to("/admin/kotak-keluar").into_response())
}

#[derive(Template)]
#[template(path = "konektor.html")]
struct ConnectorsPage {
    l: Layout,
    connectors: Vec<tanggap_store::Connector>,
    sends: Vec<tanggap_store::ConnectorSendRecord>,
    agencies: Vec<tanggap_domain::Agency>,
}

impl ConnectorsPage {
    pub fn agency_name(&self, id: &str) -> String {
        self.agencies
            .iter()
            .find(|a| a.id == id)
            .map_or_else(|| id.to_string(), |a| a.name.clone())
    }
}

/// The connectors to agencies' own systems with their health (last success, last error,
/// queue), the form to set one, and the latest sends.
pub async fn connectors(ui: Ui) -> UiResult {
    ui.require(Permission::ManageConnectors)?;
    let services = &ui.state.services;
    let err = |e: ServiceError| ui.api_error(e.into());
    let t = ConnectorsPage {
        l: ui
            .layout(
                ui.tr
                    .s("Konektor sistem instansi", "Agency system connectors"),
            )
            .await,
        connectors: services.connectors(ui.caller()).await.map_err(err)?,
        sends: services
            .connector_sends(ui.caller(), None, 50)
            .await
            .map_err(err)?,
        agencies: services.agencies(ui.caller()).await.map_err(err)?,
    };
    Ok(page(&t))
}

#[derive(Deserialize)]
pub struct ConnectorForm {
    csrf: String,
    agency_id: String,
    kind: String,
    target: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    status_map: String,
}

pub async fn save_connector(ui: Ui, Form(f): Form<ConnectorForm>) -> UiResult {
    ui.require(Permission::ManageConnectors)?;
    ui.check_csrf(&f.csrf).await?;
    let input = tanggap_service::connectors::ConnectorInput {
        agency_id: f.agency_id,
        kind: f.kind,
        target: f.target,
        secret: Some(f.secret),
        status_map: Some(f.status_map),
    };
    match ui.state.services.set_connector(ui.caller(), input).await {
        Ok(_) => {
            ui.flash(ui.tr.s("Konektor disimpan.", "Connector saved."))
                .await;
            Ok(Redirect::to("/admin/konektor#daftar").into_response())
        }
        Err(ServiceError::Internal(cause)) => {
            Err(ui.api_error(crate::error::ApiError::Internal(cause)))
        }
        Err(ServiceError::Refused(r)) => {
            let message = if r.fields.is_empty() {
                r.message(ui.tr.lang)
            } else {
                r.fields
                    .iter()
                    .map(|f| f.message(ui.tr.lang))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            ui.flash_error(&message).await;
            Ok(Redirect::to("/admin/konektor#pasang").into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct DeactivateConnectorForm {
    csrf: String,
    agency_id: String,
}

pub async fn deactivate_connector(ui: Ui, Form(f): Form<DeactivateConnectorForm>) -> UiResult {
    ui.require(Permission::ManageConnectors)?;
    ui.check_csrf(&f.csrf).await?;
    match ui
        .state
        .services
        .deactivate_connector(ui.caller(), f.agency_id.trim())
        .await
    {
        Ok(()) => {
            ui.flash(ui.tr.s("Konektor dinonaktifkan.", "Connector deactivated."))
                .await
        }
        Err(ServiceError::Internal(cause)) => {
            return Err(ui.api_error(crate::error::ApiError::Internal(cause)));
        }
        Err(ServiceError::Refused(r)) => ui.flash_error(&r.message(ui.tr.lang)).await,
    }
    Ok(Redirect::to("/admin/konektor#daftar").into_response())
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Train the desk's assistant again from the latest dispatches.
pub async fn train_assistant(ui: Ui, Form(f): Form<CsrfForm>) -> UiResult {
    ui.require(Permission::ManageReferenceData)?;
    ui.check_csrf(&f.csrf).await?;
    let tr = ui.tr;
    let result = ui.state.services.train_assistant(ui.caller()).await;
    done(
        &ui,
        result,
        |n| {
            tr.pick(
                format!("Asisten meja dilatih ulang dari {n} disposisi."),
                format!("The desk assistant learned again from {n} dispatches."),
            )
        },
        "asisten",
    )
    .await
}
