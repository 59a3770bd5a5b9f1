//! Submitting reports: every door (web form, JSON API, desk's walk-in form, chat, Open311) fills
//! a [`ReportInput`] and calls [`Services::submit_report`].

use crate::text::{self, Checker};
use crate::{Caller, FieldError, Result, ServiceError, Services};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tanggap_domain::phone::normalize_phone;
use tanggap_domain::policy::Permission;
use tanggap_domain::workflow::{self, Actor, Command, Context};
use tanggap_domain::{
    Channel, Region, ReportKind, ReportStatus, SecretToken, TrackingId, Visibility,
};
use tanggap_store::{Applied, NewAttachment, NewReport, NewReporter, ReportChange, StoreError};

pub use tanggap_domain::workflow::{MAX_ADDRESS_CHARS, MAX_BODY_CHARS, MAX_TITLE_CHARS};
pub const MIN_BODY_CHARS: usize = 10;
pub const MAX_NAME_CHARS: usize = 120;

/// The reporter's contact details as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReporterInput {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub nik: Option<String>,
}

/// A report as submitted, before anything is checked.
#[derive(Debug, Clone, Default)]
pub struct ReportInput {
    pub kind: String,
    pub title: String,
    pub body: String,
    pub occurred_on: Option<String>,
    pub region_code: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub category: Option<String>,
    pub visibility: Vec<String>,
    pub show_reporter_name: bool,
    pub reporter: ReporterInput,
    pub channel: Channel,
    /// A chat address that identifies the reporter (channel intake).
    pub channel_address: Option<String>,
    /// The chat message the report is created from (channel intake).
    pub inbound_id: Option<i64>,
    pub attachments: Vec<NewAttachment>,
}

/// What the reporter gets back: the tracking ID and, once, the secret for their link (again
/// for a retry with the same idempotency key).
#[derive(Debug, Clone)]
pub struct Submitted {
    pub id: i64,
    pub tracking_id: TrackingId,
    pub secret: SecretToken,
    pub created_at: tanggap_domain::Timestamp,
    /// A retry: the report was stored by an earlier attempt with the same idempotency key.
    pub replayed: bool,
}

fn trimmed(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

pub(crate) fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains(char::is_whitespace)
        && s.len() <= 254
}

/// A checked submission.
#[derive(Debug)]
struct Valid {
    kind: ReportKind,
    title: String,
    body: String,
    occurred_on: Option<NaiveDate>,
    region_code: Option<String>,
    address: Option<String>,
    visibility: Visibility,
    reporter: Option<NewReporter>,
}

impl ReportInput {
    /// Check every field and report all problems at once.
    fn check(&self, today: NaiveDate, require_contact: bool) -> Result<Valid, Vec<FieldError>> {
        let mut c = Checker::default();
        let kind = ReportKind::parse(self.kind.trim());
        if kind.is_none() {
            c.push(FieldError::new("kind", "invalid"));
        }
        let body = c.take(text::long("body", &self.body));
        let mut title = c.take(text::line("title", &self.title));
        if title.is_empty()
            && (self.channel.is_chat() || self.channel == Channel::Open311)
            && !body.is_empty()
        {
            // Chat messages have no subject line: the first words stand in for one.
            title = text::title_from_words(&body);
        }
        // A title made of the words has nothing to say while the words themselves are refused.
        let words_refused =
            (self.channel.is_chat() || self.channel == Channel::Open311) && c.has("body");
        if !c.has("title") && !words_refused {
            if title.is_empty() {
                c.push(FieldError::new("title", "required"));
            } else if title.chars().count() > MAX_TITLE_CHARS {
                c.push(FieldError::new("title", "too_long").with("max", MAX_TITLE_CHARS));
            }
        }
        let body_chars = body.chars().count();
        if !c.has("body") {
            if body_chars < MIN_BODY_CHARS {
                c.push(FieldError::new("body", "too_short").with("min", MIN_BODY_CHARS));
            } else if body_chars > MAX_BODY_CHARS {
                c.push(FieldError::new("body", "too_long").with("max", MAX_BODY_CHARS));
            }
        }
        let occurred_on = match trimmed(&self.occurred_on) {
            None => None,
            Some(s) => match NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
                Ok(d) if d > today => {
                    c.push(FieldError::new("occurred_on", "future"));
                    None
                }
                Ok(d) if d.year_ce().1 < 2000 => {
                    c.push(FieldError::new("occurred_on", "too_old"));
                    None
                }
                Ok(d) => Some(d),
                Err(_) => {
                    c.push(FieldError::new("occurred_on", "invalid"));
                    None
                }
            },
        };
        let region_code = trimmed(&self.region_code);
        if let Some(r) = &region_code
            && !Region::is_valid_code(r)
        {
            c.push(FieldError::new("region_code", "invalid"));
        }
        let address = c.take(text::line_opt("address", self.address.as_deref()));
        if address
            .as_ref()
            .is_some_and(|a| a.chars().count() > MAX_ADDRESS_CHARS)
        {
            c.push(FieldError::new("address", "too_long").with("max", MAX_ADDRESS_CHARS));
        }
        match (self.latitude, self.longitude) {
            (None, None) => {}
            (Some(lat), Some(lon))
                if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) => {}
            _ => c.push(FieldError::new("latitude", "invalid")),
        }
        let visibility = match Visibility::from_codes(
            self.visibility
                .iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty()),
        ) {
            Ok(v) => v,
            Err(_) => {
                c.push(FieldError::new("visibility", "invalid"));
                Visibility::default()
            }
        };
        let r = &self.reporter;
        let name = c.take(text::line_opt("reporter.name", r.name.as_deref()));
        if name
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NAME_CHARS)
        {
            c.push(FieldError::new("reporter.name", "too_long").with("max", MAX_NAME_CHARS));
        }
        let phone = match trimmed(&r.phone) {
            None => None,
            Some(p) => match normalize_phone(&p) {
                Ok(p) => Some(p),
                Err(_) => {
                    c.push(FieldError::new("reporter.phone", "invalid"));
                    None
                }
            },
        };
        let email = c
            .take(text::line_opt("reporter.email", r.email.as_deref()))
            .map(|e| e.to_lowercase());
        if email.as_ref().is_some_and(|e| !looks_like_email(e)) {
            c.push(FieldError::new("reporter.email", "invalid"));
        }
        let nik = trimmed(&r.nik).map(|n| n.replace([' ', '.'], ""));
        if nik
            .as_ref()
            .is_some_and(|n| n.len() != 16 || !n.bytes().all(|b| b.is_ascii_digit()))
        {
            c.push(FieldError::new("reporter.nik", "invalid"));
        }
        if require_contact && phone.is_none() && email.is_none() && self.channel_address.is_none() {
            c.push(FieldError::new("reporter.phone", "required"));
        }
        if !c.errors.is_empty() {
            return Err(c.errors);
        }
        let channel_address = self.channel_address.clone().map(|a| (self.channel, a));
        let reporter = (name.is_some()
            || phone.is_some()
            || email.is_some()
            || nik.is_some()
            || channel_address.is_some())
        .then_some(NewReporter {
            name,
            phone,
            email,
            nik,
            channel_address,
        });
        Ok(Valid {
            kind: kind.unwrap_or(ReportKind::Pengaduan),
            title,
            body,
            occurred_on,
            region_code,
            address,
            visibility,
            reporter,
        })
    }
}

use chrono::Datelike;

impl Services {
    /// Check a submission without storing it (every problem at once).
    pub async fn check_report(&self, input: &ReportInput) -> Result<()> {
        let (_, calendar) = self.policy_and_calendar().await?;
        let today = calendar.local_date(self.now());
        let mut errors = match input.check(today, self.settings.require_contact) {
            Ok(_) => vec![],
            Err(e) => e,
        };
        let region = input
            .region_code
            .as_deref()
            .map(str::trim)
            .filter(|c| Region::is_valid_code(c));
        errors.extend(
            self.check_references(region, input.category.as_deref())
                .await?
                .1,
        );
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::fields(errors))
        }
    }

    /// Region and category exist; returns the category's `needs_field_check`.
    async fn check_references(
        &self,
        region: Option<&str>,
        category: Option<&str>,
    ) -> Result<(bool, Vec<FieldError>)> {
        let mut errors = Vec::new();
        if let Some(code) = region
            && self.known_region(code).await?.is_none()
        {
            errors.push(FieldError::new("region_code", "unknown"));
        }
        let mut needs_field_check = false;
        if let Some(code) = category.map(str::trim).filter(|c| !c.is_empty()) {
            match self
                .reference()
                .await?
                .categories
                .iter()
                .find(|c| c.code == code)
            {
                Some(c) => needs_field_check = c.needs_field_check,
                None => errors.push(FieldError::new("category", "unknown")),
            }
        }
        Ok((needs_field_check, errors))
    }

    /// Check and store a new report. Nothing is stored unless everything is valid. A phone or
    /// walk-in report (`telepon`, `tatap_muka`) is entered by the desk on the citizen's behalf.
    pub async fn submit_report(&self, caller: &Caller, input: ReportInput) -> Result<Submitted> {
        self.submit(caller, input, None, None).await
    }

    /// [`Self::submit_report`] with the client's idempotency key: a retry of the same request
    /// with the same key answers the report the first attempt stored (`replayed`), however many
    /// arrive at once; the key with another request is refused (see [`crate::idempotency`]).
    pub async fn submit_report_once(
        &self,
        caller: &Caller,
        input: ReportInput,
        key: &crate::idempotency::Idempotency,
    ) -> Result<Submitted> {
        self.submit(caller, input, None, Some(key)).await
    }

    /// The report an earlier attempt stored with this key, if any (`None`: none yet, or the
    /// key was forgotten after a day).
    async fn replay(&self, key: &crate::idempotency::BoundKey) -> Result<Option<Submitted>> {
        let Some(found) = self.store.idempotent_submission(&key.key_hash()).await? else {
            return Ok(None);
        };
        let secret = key.open(&found.request_hash, &found.sealed_secret)?;
        Ok(Some(Submitted {
            id: found.report_id,
            tracking_id: found.tracking_id,
            secret,
            created_at: found.created_at,
            replayed: true,
        }))
    }

    /// Forget the idempotency keys older than [`crate::idempotency::KEEP_FOR`] (the jobs'
    /// rounds).
    pub async fn purge_idempotency_keys(&self) -> Result<u64> {
        let before = self.now() - crate::idempotency::KEEP_FOR;
        Ok(self.store.purge_idempotency_keys(before).await?)
    }

    /// [`Self::submit_report`], recording the Open311 client that filed it (with its token) in
    /// the report's own transaction.
    pub(crate) async fn submit(
        &self,
        caller: &Caller,
        input: ReportInput,
        open311: Option<tanggap_store::Open311Origin>,
        idempotency: Option<&crate::idempotency::Idempotency>,
    ) -> Result<Submitted> {
        let entered_by = if matches!(input.channel, Channel::Telepon | Channel::TatapMuka) {
            caller.require(Permission::EnterReportOnBehalf)?;
            caller.user().map(|u| u.id)
        } else {
            caller.require(Permission::SubmitReport)?;
            None
        };
        let key = idempotency
            .map(|i| crate::idempotency::BoundKey::new(caller, i))
            .transpose()?;
        if let Some(k) = &key
            && let Some(done) = self.replay(k).await?
        {
            return Ok(done);
        }
        let now = self.now();
        let (policy, calendar) = self.policy_and_calendar().await?;
        let today = calendar.local_date(now);
        let mut valid = input
            .check(today, self.settings.require_contact)
            .map_err(ServiceError::fields)?;
        let (needs_field_check, errors) = self
            .check_references(valid.region_code.as_deref(), input.category.as_deref())
            .await?;
        if !errors.is_empty() {
            return Err(ServiceError::fields(errors));
        }
        let category = input
            .category
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string);
        let actor = match entered_by {
            Some(u) => format!("user:{u}"),
            None => "public".to_string(),
        };
        // 50 random bits make a collision unlikely, not impossible: draw again if it happens.
        for _ in 0..5 {
            let (tracking_id, secret) = {
                let mut rng = rand::thread_rng();
                (
                    TrackingId::generate(&self.settings.tracking_prefix, &mut rng),
                    SecretToken::generate(&mut rng),
                )
            };
            let receipt = self.receipt(
                input.channel,
                &tracking_id,
                &secret,
                crate::receipts::Contact {
                    email: valid.reporter.as_ref().and_then(|r| r.email.as_deref()),
                    phone: valid.reporter.as_ref().and_then(|r| r.phone.as_deref()),
                },
                crate::receipts::Receipt::Submitted {
                    title: &valid.title,
                },
                &format!("receipt:{tracking_id}"),
            );
            let report = NewReport {
                notifications: receipt.into_iter().collect(),
                tracking_id: tracking_id.clone(),
                secret_hash: secret.hash(),
                kind: valid.kind,
                title: std::mem::take(&mut valid.title),
                body: std::mem::take(&mut valid.body),
                occurred_on: valid.occurred_on,
                region_code: valid.region_code.clone(),
                address: valid.address.clone(),
                latitude: input.latitude,
                longitude: input.longitude,
                category: category.clone(),
                channel: input.channel,
                reporter: valid.reporter.clone(),
                visibility: valid.visibility,
                show_reporter_name: input.show_reporter_name && !valid.visibility.anonim,
                needs_field_check,
                clocks: workflow::new_report_clocks(now, &policy, &calendar),
                attachments: input.attachments.clone(),
                created_at: now,
                actor: actor.clone(),
                entered_by,
                inbound_id: input.inbound_id,
                open311: open311.clone(),
                idempotency: key.as_ref().map(|k| k.record(&secret)),
            };
            match self.store.create_report(&report).await {
                Ok(created) => {
                    metrics::counter!("tanggap_reports_received_total", "channel" => input.channel.as_str())
                        .increment(1);
                    return Ok(Submitted {
                        id: created.id,
                        tracking_id,
                        secret,
                        created_at: now,
                        replayed: false,
                    });
                }
                Err(StoreError::Conflict(_)) => {
                    // A concurrent attempt with the same key got there first.
                    if let Some(k) = &key
                        && let Some(done) = self.replay(k).await?
                    {
                        return Ok(done);
                    }
                    tracing::warn!("tracking id collision; drawing another");
                    valid.title = report.title;
                    valid.body = report.body;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Internal(
            "could not allocate a tracking id in 5 draws".into(),
        ))
    }

    /// Decide `command` on the report as it is now and persist the outcome, deciding again if
    /// someone else changed the report in between. This is the core of every report change;
    /// adapters reach it through [`Services::act`], which proves who the actor is and parses
    /// the request. The scheduler and the demo loader call it with the actor they are.
    pub async fn execute(
        &self,
        report_id: i64,
        actor: &Actor,
        command: Command,
        attachments: Vec<NewAttachment>,
    ) -> Result<Applied> {
        let mut command = command;
        if let Command::MarkDuplicate {
            master_id,
            master_is_open,
        } = &mut command
        {
            let master = self
                .store
                .report(*master_id)
                .await?
                .ok_or_else(|| ServiceError::field("master_tracking_id", "unknown"))?;
            *master_is_open = !matches!(
                master.status,
                ReportStatus::Duplikat | ReportStatus::Diarsipkan
            );
        }
        let (policy, calendar) = self.policy_and_calendar().await?;
        let agencies = self.agency_tree().await?;
        for _ in 0..5 {
            let view = self
                .store
                .report_view(report_id)
                .await?
                .ok_or_else(|| ServiceError::not_found("report", report_id))?;
            let ctx = Context {
                now: self.now(),
                calendar: &calendar,
                policy: &policy,
                agencies: &agencies,
            };
            let events = workflow::decide(&view, actor, &command, &ctx)?;
            if events.is_empty() {
                return Ok(Applied {
                    version: view.version,
                    created_assignments: vec![],
                    activity_ids: vec![],
                });
            }
            let change = ReportChange {
                report_id,
                expected_version: view.version,
                actor: actor.clone(),
                events,
                at: ctx.now,
                attachments: attachments.clone(),
            };
            match self.store.apply_events(&change).await {
                Err(StoreError::VersionConflict) => continue,
                other => return Ok(other?),
            }
        }
        Err(ServiceError::refused(
            crate::RefusalKind::Conflict,
            "concurrent_change",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
    }

    fn good() -> ReportInput {
        ReportInput {
            kind: "pengaduan".into(),
            title: "Jalan rusak".into(),
            body: "Jalan di depan pasar berlubang besar.".into(),
            region_code: Some("33.74".into()),
            visibility: vec!["publik".into()],
            reporter: ReporterInput {
                phone: Some("0812 3456 7890".into()),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn valid_input_is_normalised() {
        let v = good().check(today(), false).unwrap();
        assert_eq!(v.reporter.unwrap().phone.as_deref(), Some("+6281234567890"));
        assert_eq!(v.kind, ReportKind::Pengaduan);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let input = ReportInput {
            kind: "keluhan".into(),
            title: " ".into(),
            body: "pendek".into(),
            occurred_on: Some("2030-01-01".into()),
            region_code: Some("33.1".into()),
            visibility: vec!["publik".into(), "anonim".into()],
            reporter: ReporterInput {
                phone: Some("12".into()),
                email: Some("bukan-email".into()),
                nik: Some("123".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let errors = input.check(today(), false).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "kind",
                "title",
                "body",
                "occurred_on",
                "region_code",
                "visibility",
                "reporter.phone",
                "reporter.email",
                "reporter.nik"
            ]
        );
        for e in &errors {
            assert_ne!(e.message(crate::Lang::Id), e.message(crate::Lang::En));
            assert!(
                !e.message(crate::Lang::Id).contains("tidak valid.") || e.field == "reporter.email"
            );
        }
    }

    #[test]
    fn contact_can_be_required() {
        let mut input = good();
        input.reporter = ReporterInput::default();
        assert!(input.check(today(), false).is_ok());
        assert_eq!(input.check(today(), true).unwrap_err()[0].code, "required");
    }

    #[test]
    fn chat_messages_get_a_title_from_their_words() {
        let mut input = good();
        input.title = String::new();
        input.channel = Channel::Whatsapp;
        input.body = "Lampu jalan di Jl. Pemuda mati sudah seminggu, mohon diperbaiki".into();
        assert_eq!(
            input.check(today(), false).unwrap().title,
            "Lampu jalan di Jl. Pemuda mati sudah seminggu, mohon diperbaiki"
        );
    }
}
