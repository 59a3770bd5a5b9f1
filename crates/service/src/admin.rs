//! Reference data and configuration: regions, categories, agencies and their heads, holidays,
//! the SLA policy. Reads are open where the data is public (regions, categories, holidays) and
//! cut to the caller where it is not (heads' contacts); every change is the admin's, checked and
//! audited here.

use crate::text::{self, Checker};
use crate::{Caller, FieldError, Result, ServiceError, Services};
use chrono::NaiveDate;
use tanggap_domain::policy::Permission;
use tanggap_domain::sla::{DurationUnit, SlaDuration};
use tanggap_domain::{Agency, AgencyKind, Category, Holiday, HolidayKind, Region, SlaPolicy};

/// A category as an admin changes it: `None` keeps a value of an existing category; a new
/// category needs both names.
#[derive(Debug, Clone, Default)]
pub struct CategoryInput {
    pub name_id: Option<String>,
    pub name_en: Option<String>,
    /// `Some(None)` removes the default agency.
    pub default_agency_id: Option<Option<String>>,
    pub needs_field_check: Option<bool>,
    pub keywords: Option<Vec<String>>,
}

/// An agency and its head as an admin changes them: `None` keeps a value, `Some(None)` clears
/// it.
#[derive(Debug, Clone, Default)]
pub struct AgencyInput {
    pub name: Option<String>,
    /// An agency kind code.
    pub kind: Option<String>,
    pub parent_id: Option<Option<String>>,
    pub region_code: Option<Option<String>>,
    pub head_name: Option<Option<String>>,
    pub head_position: Option<Option<String>>,
    pub head_phone: Option<Option<String>>,
    pub head_email: Option<Option<String>>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct HolidayInput {
    /// `libur_nasional` or `cuti_bersama`.
    pub kind: String,
    pub name: String,
}

/// A new SLA policy: a preset, a whole policy, or the form's adjustments of the current one.
#[derive(Debug, Clone)]
pub enum PolicyInput {
    Preset(String),
    Full(Box<SlaPolicy>),
    Adjust {
        first_response_hours: Option<u32>,
        triage_hours: Option<u32>,
        completion_pengaduan: Option<u32>,
        completion_aspirasi: Option<u32>,
        completion_informasi: Option<u32>,
        completion_field_check: Option<u32>,
        auto_close: Option<u32>,
    },
}

const MAX_NAME: usize = 200;

fn name(c: &mut Checker, field: &'static str, v: &str) -> String {
    let v = c.take(text::line(field, v));
    if !c.has(field) {
        if v.is_empty() {
            c.push(FieldError::new(field, "required"));
        } else if v.chars().count() > MAX_NAME {
            c.push(FieldError::new(field, "too_long").with("max", MAX_NAME));
        }
    }
    v
}

fn optional_line(c: &mut Checker, field: &'static str, v: &Option<String>) -> Option<String> {
    let v = c.take(text::line_opt(field, v.as_deref()));
    if v.as_ref().is_some_and(|v| v.chars().count() > MAX_NAME) {
        c.push(FieldError::new(field, "too_long").with("max", MAX_NAME));
    }
    v
}

pub(crate) fn parse_date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| ServiceError::field("date", "invalid"))
}

impl Services {
    /// Regions below a parent (`None`: the top level), ordered by name.
    pub async fn regions(&self, parent: Option<&str>) -> Result<Vec<Region>> {
        Ok(self.known_children(parent).await?.as_ref().clone())
    }

    /// A region and its parents up to (not including) the province, nearest first.
    pub async fn region_chain(&self, code: Option<&str>) -> Result<Vec<Region>> {
        let mut out = Vec::new();
        let mut cur = code.map(str::to_string);
        while let Some(c) = cur {
            match self.known_region(&c).await? {
                Some(r) => {
                    cur = r.parent_code.clone().filter(|p| p.contains('.'));
                    out.push(r);
                }
                None => break,
            }
        }
        Ok(out)
    }

    /// A region by name with its parents (`Miroto, Semarang Tengah, Kota Semarang`), never as
    /// a code; empty for none or an unknown code.
    pub async fn place_name(&self, code: Option<&str>) -> Result<String> {
        Ok(self
            .region_chain(code)
            .await?
            .iter()
            .map(|x| x.name.as_str())
            .collect::<Vec<_>>()
            .join(", "))
    }

    pub async fn categories(&self) -> Result<Vec<Category>> {
        Ok(self.reference().await?.categories.clone())
    }

    pub async fn holidays(&self) -> Result<Vec<Holiday>> {
        Ok(self.store.holidays().await?)
    }

    /// Agencies and their heads; heads' phone numbers and e-mail addresses only for those the
    /// permission table lets see them.
    pub async fn agencies(&self, caller: &Caller) -> Result<Vec<Agency>> {
        let contacts = caller.may(Permission::ViewHeadContacts);
        let mut agencies = self.known_agencies().await?;
        if !contacts {
            for a in &mut agencies {
                a.head_phone = None;
                a.head_email = None;
            }
        }
        Ok(agencies)
    }

    /// Create or change a category (admin).
    pub async fn put_category(
        &self,
        caller: &Caller,
        code: &str,
        input: CategoryInput,
    ) -> Result<Category> {
        caller.require(Permission::ManageReferenceData)?;
        let mut c = Checker::default();
        let code = code.trim();
        if code.is_empty()
            || code.len() > 60
            || !code
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
        {
            c.push(FieldError::new("code", "invalid"));
        }
        let existing = self
            .store
            .categories()
            .await?
            .into_iter()
            .find(|x| x.code == code);
        let name_id = match (&input.name_id, &existing) {
            (Some(n), _) => name(&mut c, "name_id", n),
            (None, Some(e)) => e.name_id.clone(),
            (None, None) => name(&mut c, "name_id", ""),
        };
        let name_en = match (&input.name_en, &existing) {
            (Some(n), _) => name(&mut c, "name_en", n),
            (None, Some(e)) => e.name_en.clone(),
            (None, None) => name(&mut c, "name_en", ""),
        };
        let default_agency_id = match &input.default_agency_id {
            Some(a) => c.take(text::line_opt("default_agency_id", a.as_deref())),
            None => existing.as_ref().and_then(|e| e.default_agency_id.clone()),
        };
        if let Some(a) = &default_agency_id
            && !c.has("default_agency_id")
            && self.store.agency(a).await?.is_none()
        {
            c.push(FieldError::new("default_agency_id", "unknown").with("agency", a));
        }
        let keywords = match &input.keywords {
            Some(k) => k
                .iter()
                .map(|w| c.take(text::line("keywords", w)))
                .filter(|w| !w.is_empty())
                .collect(),
            None => existing
                .as_ref()
                .map(|e| e.keywords.clone())
                .unwrap_or_default(),
        };
        c.finish()?;
        let category = Category {
            code: code.to_string(),
            name_id,
            name_en,
            default_agency_id,
            needs_field_check: input
                .needs_field_check
                .or(existing.as_ref().map(|e| e.needs_field_check))
                .unwrap_or(false),
            keywords,
        };
        self.store
            .update_category(&category, &caller.audit_label(), self.now())
            .await?;
        self.reference_changed();
        Ok(category)
    }

    /// Change an agency and its head (admin). Agencies are created by the reference data import.
    pub async fn update_agency(
        &self,
        caller: &Caller,
        id: &str,
        input: AgencyInput,
    ) -> Result<Agency> {
        caller.require(Permission::ManageReferenceData)?;
        let mut a = self
            .store
            .agency(id)
            .await?
            .ok_or_else(|| ServiceError::not_found("agency", id))?;
        let mut c = Checker::default();
        if let Some(n) = &input.name {
            a.name = name(&mut c, "name", n);
        }
        if let Some(k) = &input.kind {
            match AgencyKind::parse(k.trim()) {
                Some(k) => a.kind = k,
                None => c.push(FieldError::new("kind", "invalid_agency_kind")),
            }
        }
        if let Some(p) = &input.parent_id {
            let p = c.take(text::line_opt("parent_id", p.as_deref()));
            if let Some(parent) = &p {
                let tree = self.agency_tree().await?;
                if !tree.contains(parent) {
                    c.push(FieldError::new("parent_id", "unknown").with("agency", parent));
                } else if parent == id || tree.is_within(parent, id) {
                    c.push(FieldError::new("parent_id", "cycle"));
                }
            }
            a.parent_id = p;
        }
        if let Some(r) = &input.region_code {
            let r = c.take(text::line_opt("region_code", r.as_deref()));
            if let Some(code) = &r
                && self.store.region(code).await?.is_none()
            {
                c.push(FieldError::new("region_code", "unknown"));
            }
            a.region_code = r;
        }
        if let Some(v) = &input.head_name {
            a.head_name = optional_line(&mut c, "head_name", v);
        }
        if let Some(v) = &input.head_position {
            a.head_position = optional_line(&mut c, "head_position", v);
        }
        if let Some(v) = &input.head_phone {
            a.head_phone = match v.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
                None => None,
                Some(p) => match tanggap_domain::phone::normalize_phone(p) {
                    Ok(p) => Some(p),
                    Err(_) => {
                        c.push(FieldError::new("head_phone", "invalid"));
                        None
                    }
                },
            };
        }
        if let Some(v) = &input.head_email {
            let e = optional_line(&mut c, "head_email", v).map(|e| e.to_lowercase());
            if e.as_ref().is_some_and(|e| !e.contains('@')) {
                c.push(FieldError::new("head_email", "invalid"));
            }
            a.head_email = e;
        }
        if let Some(active) = input.active {
            a.active = active;
        }
        c.finish()?;
        self.store
            .update_agency(&a, &caller.audit_label(), self.now())
            .await?;
        self.reference_changed();
        Ok(a)
    }

    /// Add or change a holiday (admin).
    pub async fn put_holiday(
        &self,
        caller: &Caller,
        date: &str,
        input: HolidayInput,
    ) -> Result<Holiday> {
        caller.require(Permission::ManageReferenceData)?;
        let date = parse_date(date)?;
        let mut c = Checker::default();
        let kind = HolidayKind::parse(input.kind.trim());
        if kind.is_none() {
            c.push(FieldError::new("kind", "invalid_holiday_kind"));
        }
        let name = name(&mut c, "name", &input.name);
        c.finish()?;
        let h = Holiday {
            date,
            kind: kind.unwrap_or(HolidayKind::LiburNasional),
            name,
        };
        self.store
            .put_holiday(&h, &caller.audit_label(), self.now())
            .await?;
        self.reference_changed();
        self.recalendar().await?;
        Ok(h)
    }

    /// Remove a holiday (admin).
    pub async fn delete_holiday(&self, caller: &Caller, date: &str) -> Result<NaiveDate> {
        caller.require(Permission::ManageReferenceData)?;
        let date = parse_date(date)?;
        if self
            .store
            .delete_holiday(date, &caller.audit_label(), self.now())
            .await?
        {
            self.reference_changed();
            self.recalendar().await?;
            Ok(date)
        } else {
            Err(ServiceError::not_found("holiday", date))
        }
    }

    /// After a calendar edit: running working-day deadlines that have not passed move to the new
    /// calendar (SPEC section 6), report by report, through the workflow as the system.
    async fn recalendar(&self) -> Result<()> {
        for id in self.store.reports_with_running_working_clocks().await? {
            self.execute(
                id,
                &tanggap_domain::workflow::Actor::System,
                tanggap_domain::workflow::Command::Recalendar,
                vec![],
            )
            .await?;
        }
        Ok(())
    }

    /// The SLA policy in force.
    pub async fn sla_policy(&self, caller: &Caller) -> Result<SlaPolicy> {
        caller.require(Permission::ViewPolicy)?;
        Ok(self.store.sla_policy().await?)
    }

    /// Replace the SLA policy (admin). Running clocks keep their budgets.
    pub async fn set_sla_policy(&self, caller: &Caller, input: PolicyInput) -> Result<SlaPolicy> {
        caller.require(Permission::ManagePolicy)?;
        let policy = match input {
            PolicyInput::Preset(p) => {
                SlaPolicy::preset(p.trim()).map_err(|_| ServiceError::field("preset", "invalid"))?
            }
            PolicyInput::Full(p) => *p,
            PolicyInput::Adjust {
                first_response_hours,
                triage_hours,
                completion_pengaduan,
                completion_aspirasi,
                completion_informasi,
                completion_field_check,
                auto_close,
            } => {
                let mut policy = self.store.sla_policy().await?;
                let set = |d: &mut SlaDuration, v: Option<u32>, unit: DurationUnit| {
                    if let Some(v) = v {
                        *d = SlaDuration { amount: v, unit };
                    }
                };
                use DurationUnit::{Hours, WorkingDays};
                set(&mut policy.first_response, first_response_hours, Hours);
                set(&mut policy.triage, triage_hours, Hours);
                set(
                    &mut policy.completion.pengaduan,
                    completion_pengaduan,
                    WorkingDays,
                );
                set(
                    &mut policy.completion.aspirasi,
                    completion_aspirasi,
                    WorkingDays,
                );
                set(
                    &mut policy.completion.permintaan_informasi,
                    completion_informasi,
                    WorkingDays,
                );
                set(
                    &mut policy.completion.field_check,
                    completion_field_check,
                    WorkingDays,
                );
                set(&mut policy.auto_close, auto_close, WorkingDays);
                policy.name = "custom".into();
                policy
            }
        };
        policy.validate().map_err(|e| {
            ServiceError::fields(vec![
                FieldError::new("policy", "invalid").with("detail", e.to_string()),
            ])
        })?;
        self.store
            .set_sla_policy(&policy, &caller.audit_label(), self.now())
            .await?;
        self.reference_changed();
        Ok(policy)
    }
}
