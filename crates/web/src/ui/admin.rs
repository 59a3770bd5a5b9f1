//! Administration: users and roles, agencies and their heads, categories and their default
//! agencies, the SLA policy, holidays. Every change is audited by the store.

use super::{Layout, Ui, UiResult, page};
use askama::Template;
use axum::Form;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use tanggap_domain::sla::{DurationUnit, SlaDuration};
use tanggap_domain::{Agency, Category, Holiday, HolidayKind, Role, SlaPolicy};
use tanggap_service::auth::{UserInput, check_password, hash_password};
use tanggap_store::{User, UserPatch};

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
    roles: Vec<(&'static str, &'static str)>,
}

impl AdminPage {
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
    ui.require_role(&[Role::Admin])?;
    let store = &ui.state.services.store;
    let err = |e: tanggap_store::StoreError| ui.api_error(e.into());
    let agencies = store.agencies().await.map_err(err)?;
    let editing = q
        .instansi
        .and_then(|id| agencies.iter().find(|a| a.id == id).cloned());
    let year = ui.tr.now.with_timezone(&ui.tr.tz).year();
    let holidays = store
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
        users: store.users().await.map_err(err)?,
        categories: store.categories().await.map_err(err)?,
        holidays,
        policy: store.sla_policy().await.map_err(err)?,
        editing,
        agencies,
        roles,
    };
    Ok(page(&t))
}

fn actor(ui: &Ui) -> String {
    ui.user()
        .map_or_else(|| "public".into(), |u| format!("user:{}", u.id))
}

/// After an admin form: back to the page, with what happened.
async fn done(ui: &Ui, result: Result<String, String>, anchor: &str) -> UiResult {
    match result {
        Ok(m) => ui.flash(&m).await,
        Err(m) => ui.flash_error(&m).await,
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
}

pub async fn save_user(ui: Ui, Form(f): Form<UserForm>) -> UiResult {
    let me = ui.require_role(&[Role::Admin])?.clone();
    ui.check_csrf(&f.csrf).await?;
    let tr = ui.tr;
    let Some(role) = Role::parse(&f.role) else {
        return done(
            &ui,
            Err(tr.s("Peran tidak dikenal.", "Unknown role.").into()),
            "pengguna",
        )
        .await;
    };
    let agency = opt(&f.agency_id).filter(|_| role.is_agency_role());
    let result = if f.id.is_empty() {
        let input = UserInput {
            username: f.username.trim().to_lowercase(),
            display_name: f.display_name,
            role,
            agency_id: agency,
            email: opt(&f.email),
            phone: None,
            password: f.password,
        };
        match ui.state.services.create_user(input, &actor(&ui)).await {
            Ok(u) => Ok(tr.pick(
                format!("Pengguna {} dibuat.", u.username),
                format!("User {} created.", u.username),
            )),
            Err(e) => Err(e.to_string()),
        }
    } else {
        let id: i64 = f.id.parse().unwrap_or_default();
        let active = f.active.is_some();
        if id == me.id && (!active || role != Role::Admin) {
            return done(
                &ui,
                Err(tr
                    .s(
                        "Anda tidak bisa menonaktifkan diri sendiri atau melepas peran admin Anda.",
                        "You cannot deactivate yourself or drop your own admin role.",
                    )
                    .into()),
                "pengguna",
            )
            .await;
        }
        if role.is_agency_role() && agency.is_none() {
            return done(
                &ui,
                Err(tr
                    .s(
                        "Petugas dan kepala harus punya instansi.",
                        "Agency roles need an agency.",
                    )
                    .into()),
                "pengguna",
            )
            .await;
        }
        let password_hash = match opt(&f.password) {
            None => None,
            Some(p) => match check_password(&p)
                .and_then(|_| hash_password(&p).map_err(|e| e.to_string()))
            {
                Ok(h) => Some(h),
                Err(m) => return done(&ui, Err(m), "pengguna").await,
            },
        };
        let patch = UserPatch {
            display_name: opt(&f.display_name),
            role: Some(role),
            agency_id: Some(agency),
            email: Some(opt(&f.email)),
            phone: None,
            active: Some(active),
            password_hash,
        };
        match ui
            .state
            .services
            .store
            .update_user(id, &patch, &actor(&ui), ui.state.services.now())
            .await
        {
            Ok(u) => Ok(tr.pick(
                format!("Pengguna {} disimpan.", u.username),
                format!("User {} saved.", u.username),
            )),
            Err(e) => Err(e.to_string()),
        }
    };
    done(&ui, result, "pengguna").await
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
    ui.require_role(&[Role::Admin])?;
    ui.check_csrf(&f.csrf).await?;
    let tr = ui.tr;
    let store = &ui.state.services.store;
    let Some(mut a) = store
        .agency(&f.id)
        .await
        .map_err(|e| ui.api_error(e.into()))?
    else {
        return done(
            &ui,
            Err(tr
                .s("Instansi tidak ditemukan.", "Agency not found.")
                .into()),
            "instansi",
        )
        .await;
    };
    let phone = match opt(&f.head_phone).map(|p| tanggap_domain::phone::normalize_phone(&p)) {
        Some(Err(_)) => {
            return done(
                &ui,
                Err(tr
                    .s(
                        "Nomor telepon kepala tidak valid.",
                        "The head's phone number is not valid.",
                    )
                    .into()),
                "instansi",
            )
            .await;
        }
        Some(Ok(p)) => Some(p),
        None => None,
    };
    if f.name.trim().is_empty() {
        return done(
            &ui,
            Err(tr
                .s("Nama instansi wajib diisi.", "A name is required.")
                .into()),
            "instansi",
        )
        .await;
    }
    a.name = f.name.trim().to_string();
    a.head_name = opt(&f.head_name);
    a.head_position = opt(&f.head_position);
    a.head_phone = phone;
    a.head_email = opt(&f.head_email);
    a.active = f.active.is_some();
    let r = store
        .update_agency(&a, &actor(&ui), ui.state.services.now())
        .await
        .map(|_| {
            tr.pick(
                format!("{} disimpan.", a.name),
                format!("{} saved.", a.name),
            )
        })
        .map_err(|e| e.to_string());
    done(&ui, r, "instansi").await
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
    ui.require_role(&[Role::Admin])?;
    ui.check_csrf(&f.csrf).await?;
    let tr = ui.tr;
    let store = &ui.state.services.store;
    let cats = store
        .categories()
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    let Some(mut c) = cats.into_iter().find(|c| c.code == f.code) else {
        return done(
            &ui,
            Err(tr
                .s("Kategori tidak ditemukan.", "Category not found.")
                .into()),
            "kategori",
        )
        .await;
    };
    c.default_agency_id = opt(&f.default_agency_id);
    c.needs_field_check = f.needs_field_check.is_some();
    let r = store
        .update_category(&c, &actor(&ui), ui.state.services.now())
        .await
        .map(|_| {
            tr.pick(
                format!("Kategori {} disimpan.", c.name_id),
                format!("Category {} saved.", c.name_en),
            )
        })
        .map_err(|e| e.to_string());
    done(&ui, r, "kategori").await
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
    ui.require_role(&[Role::Admin])?;
    ui.check_csrf(&f.csrf).await?;
    let tr = ui.tr;
    let Ok(date) = NaiveDate::parse_from_str(&f.date, "%Y-%m-%d") else {
        return done(
            &ui,
            Err(tr.s("Tanggal tidak valid.", "Invalid date.").into()),
            "libur",
        )
        .await;
    };
    let store = &ui.state.services.store;
    let r = if f.delete.is_some() {
        store
            .delete_holiday(date, &actor(&ui), ui.state.services.now())
            .await
            .map(|_| {
                tr.pick(
                    format!("{date} dihapus dari hari libur.",),
                    format!("{date} removed from the holidays."),
                )
            })
            .map_err(|e| e.to_string())
    } else {
        let Some(kind) = HolidayKind::parse(&f.kind) else {
            return done(
                &ui,
                Err(tr
                    .s("Jenis hari libur tidak dikenal.", "Unknown holiday kind.")
                    .into()),
                "libur",
            )
            .await;
        };
        if f.name.trim().is_empty() {
            return done(
                &ui,
                Err(tr
                    .s("Nama hari libur wajib diisi.", "A name is required.")
                    .into()),
                "libur",
            )
            .await;
        }
        store
            .put_holiday(
                &Holiday {
                    date,
                    kind,
                    name: f.name.trim().into(),
                },
                &actor(&ui),
                ui.state.services.now(),
            )
            .await
            .map(|_| {
                tr.pick(
                    format!("{date} disimpan sebagai hari libur.",),
                    format!("{date} saved as a holiday."),
                )
            })
            .map_err(|e| e.to_string())
    };
    done(&ui, r, "libur").await
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
    ui.require_role(&[Role::Admin])?;
    ui.check_csrf(&f.csrf).await?;
    let tr = ui.tr;
    let store = &ui.state.services.store;
    let mut policy = if f.preset.is_empty() {
        store
            .sla_policy()
            .await
            .map_err(|e| ui.api_error(e.into()))?
    } else {
        match SlaPolicy::preset(&f.preset) {
            Ok(p) => p,
            Err(e) => return done(&ui, Err(e.to_string()), "sla").await,
        }
    };
    if f.preset.is_empty() {
        let set = |d: &mut SlaDuration, v: Option<u32>, unit: DurationUnit| {
            if let Some(v) = v {
                *d = SlaDuration { amount: v, unit };
            }
        };
        set(
            &mut policy.first_response,
            f.first_response_hours,
            DurationUnit::Hours,
        );
        set(&mut policy.triage, f.triage_hours, DurationUnit::Hours);
        set(
            &mut policy.completion.pengaduan,
            f.completion_pengaduan,
            DurationUnit::WorkingDays,
        );
        set(
            &mut policy.completion.aspirasi,
            f.completion_aspirasi,
            DurationUnit::WorkingDays,
        );
        set(
            &mut policy.completion.permintaan_informasi,
            f.completion_informasi,
            DurationUnit::WorkingDays,
        );
        set(
            &mut policy.completion.field_check,
            f.completion_field_check,
            DurationUnit::WorkingDays,
        );
        set(
            &mut policy.auto_close,
            f.auto_close,
            DurationUnit::WorkingDays,
        );
        policy.name = "custom".into();
    }
    if let Err(e) = policy.validate() {
        return done(&ui, Err(e.to_string()), "sla").await;
    }
    let r = store
        .set_sla_policy(&policy, &actor(&ui), ui.state.services.now())
        .await
        .map(|_| tr.s("Kebijakan SLA disimpan. Berlaku untuk tenggat baru; tenggat yang sedang berjalan tidak berubah.", "SLA policy saved. It applies to new clocks; running clocks keep their deadlines.").to_string())
        .map_err(|e| e.to_string());
    done(&ui, r, "sla").await
}
