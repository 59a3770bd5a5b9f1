//! The citizen's pages: home with public figures, the submission form, tracking, and the
//! reporter's reply, rating, reopening and confirmation. They work without JavaScript.

use super::text::Tr;
use super::{Layout, Ui, UiError, UiResult, page};
use crate::api::dto::{ActivityDto, AssignmentDto, AttachmentDto, ReportDto};
use crate::api::view::{messages_dto, report_dto};
use crate::auth::ClientIp;
use crate::extract::store_files;
use askama::Template;
use axum::extract::{Multipart, Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::{Form, Json};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use std::collections::HashMap;
use tanggap_attachments::CleanFile;
use tanggap_domain::Category;
use tanggap_domain::compliance::Period;
use tanggap_domain::{Channel, ClockKind, Outcome, Region, ReportKind, ReportStatus, Stage};
use tanggap_service::compliance::Compliance;
use tanggap_service::{Action, FieldError, ReportInput, ReporterInput};

// ----- home -----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    l: Layout,
    total: u64,
    done: u64,
    c: Compliance,
    days: i64,
    /// The kabupaten/kota chosen for "recent reports near you" (empty: the province).
    wilayah: String,
    kabkota: Vec<Region>,
    recent: Vec<tanggap_service::RecentReport>,
    map: Option<super::map::TileMap>,
}

#[derive(Deserialize, Default)]
pub struct HomeQuery {
    wilayah: Option<String>,
}

/// The home page's list of recent public reports, the same for every visitor of one place.
#[derive(Clone)]
pub struct HomeData {
    recent: Vec<tanggap_service::RecentReport>,
}

/// The home page's province-wide totals and agencies, the same on every place's page (drawn
/// once for all of them, apart from the places' lists: a province-wide drawing per place made
/// the first visit of each kabupaten/kota wait for the province's figures again).
#[derive(Clone)]
pub struct HomeTotals {
    total: u64,
    done: u64,
    c: tanggap_service::compliance::Compliance,
    days: i64,
}

/// How many recent public reports the home page lists.
const RECENT_ON_HOME: u32 = 10;

impl HomePage {
    pub fn status_label(&self, r: &tanggap_service::RecentReport) -> &'static str {
        self.l.tr.status(&r.status)
    }
    pub fn chosen_name(&self) -> &str {
        self.kabkota
            .iter()
            .find(|k| k.code == self.wilayah)
            .map_or("Jawa Tengah", |k| k.name.as_str())
    }
    pub fn span(&self, d: &Option<TimeDelta>) -> String {
        d.map_or_else(|| "—".into(), |d| self.l.tr.span(d))
    }
}

pub async fn home(ui: Ui, Query(q): Query<HomeQuery>) -> UiResult {
    let err = |e: tanggap_service::ServiceError| ui.api_error(e.into());
    let kabkota = ui.state.services.regions(Some("33")).await.map_err(err)?;
    // Only a known kabupaten/kota narrows the list; anything else shows the province.
    let wilayah = q
        .wilayah
        .filter(|w| kabkota.iter().any(|k| &k.code == w))
        .unwrap_or_default();
    // The same for every visitor: drawn once a minute per place (see `memo`).
    let HomeData { recent } = ui
        .state
        .home
        .get_or_draw(wilayah.clone(), ui.tr.now, async {
            let err = |e: tanggap_service::ServiceError| ui.api_error(e.into());
            let recent = ui
                .state
                .services
                .recent_public_reports(Some(&wilayah), RECENT_ON_HOME)
                .await
                .map_err(err)?;
            Ok(HomeData { recent })
        })
        .await?;
    let HomeTotals {
        total,
        done,
        c,
        days,
    } = ui
        .state
        .home_totals
        .get_or_draw((), ui.tr.now, async {
            let err = |e: tanggap_service::ServiceError| ui.api_error(e.into());
            let (total, done) = ui.state.services.public_counts().await.map_err(err)?;
            let days = 90;
            let today = ui.tr.now.with_timezone(&ui.tr.tz).date_naive();
            let period = Period {
                from: today
                    .checked_sub_days(chrono::Days::new(days as u64 - 1))
                    .unwrap_or(today),
                to: today,
            };
            let mut c = ui
                .state
                .services
                .public_compliance(period)
                .await
                .map_err(err)?;
            c.agencies.sort_by(|a, b| {
                b.figures
                    .received
                    .cmp(&a.figures.received)
                    .then(a.name.cmp(&b.name))
            });
            c.agencies.truncate(15);
            Ok(HomeTotals {
                total,
                done,
                c,
                days,
            })
        })
        .await?;
    let map = ui.state.map.as_ref().and_then(|source| {
        let points: Vec<super::map::Point> = recent
            .iter()
            .filter_map(|r| {
                Some(super::map::Point {
                    latitude: r.latitude?,
                    longitude: r.longitude?,
                    label: format!("{} · {}", r.tracking_id, r.title),
                    href: format!("/lacak/{}", r.tracking_id),
                })
            })
            .collect();
        super::map::tile_map(source, &points)
    });
    let home = HomePage {
        l: ui.layout(ui.tr.s("Beranda", "Home")).await,
        total,
        done,
        c,
        days,
        wilayah,
        kabkota,
        recent,
        map,
    };
    let mut r = page(&home);
    // The map's tiles come from the configured source: the page allows images from there.
    if let (Some(_), Some(source)) = (&home.map, &ui.state.map)
        && let Ok(v) = axum::http::HeaderValue::from_str(&super::CSP.replace(
            "img-src 'self'",
            &format!("img-src 'self' {}", source.origin()),
        ))
    {
        r.headers_mut()
            .insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(r)
}

// ----- the submission form ----------------------------------------------------------------------

/// What the citizen typed, to show again when something must be fixed.
#[derive(Debug, Default, Clone)]
pub struct FormValues {
    pub kind: String,
    pub title: String,
    pub body: String,
    pub occurred_on: String,
    pub kabkota: String,
    pub kecamatan: String,
    pub desa: String,
    pub address: String,
    pub latitude: String,
    pub longitude: String,
    pub category: String,
    pub anonim: bool,
    pub rahasia: bool,
    pub show_name: bool,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub nik: String,
    pub channel: String,
}

impl FormValues {
    fn region_code(&self) -> Option<String> {
        [&self.desa, &self.kecamatan, &self.kabkota]
            .into_iter()
            .find(|c| !c.is_empty())
            .cloned()
    }
}

/// The form with its choices and the problems to fix.
pub struct ReportForm {
    pub v: FormValues,
    pub errors: Vec<FieldError>,
    pub kabkota: Vec<Region>,
    pub kecamatan: Vec<Region>,
    pub desa: Vec<Region>,
    pub categories: Vec<Category>,
    /// Walk-in entry by the desk: shows the channel choice.
    pub desk: bool,
    pub action: String,
    /// The page came back from "show the districts/villages" (the region step without
    /// JavaScript): the location section says what to do next.
    pub region_step: bool,
    /// Files the citizen chose that this answer did not keep (they must be chosen again).
    pub photos_dropped: usize,
}

/// The form's fields in the order they appear, for the error summary.
const FIELD_ORDER: &[&str] = &[
    "channel",
    "kind",
    "title",
    "body",
    "occurred_on",
    "kabkota",
    "kecamatan",
    "desa",
    "region_code",
    "address",
    "latitude",
    "longitude",
    "category",
    "foto",
    "visibility",
    "reporter.name",
    "reporter.phone",
    "reporter.email",
    "reporter.nik",
];

/// Put errors in the order of the form's fields (unknown fields last, in their order).
pub fn in_form_order(errors: &mut [FieldError]) {
    errors.sort_by_key(|e| {
        FIELD_ORDER
            .iter()
            .position(|f| *f == e.field)
            .unwrap_or(FIELD_ORDER.len())
    });
}

impl ReportForm {
    pub fn error(&self, tr: &Tr, field: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message(tr.lang))
    }
    pub fn message_of(&self, tr: &Tr, e: &FieldError) -> String {
        e.message(tr.lang)
    }
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    /// The ids that describe a field's input (for `aria-describedby`): its help text (ids end
    /// in `-hint`) and its error (`-err`); empty when it has neither.
    pub fn described_by(&self, field: &str, hint: &bool) -> String {
        let id = self.anchor(field);
        let mut by = Vec::new();
        if *hint {
            by.push(format!("{id}-hint"));
        }
        if self.invalid(field) {
            by.push(format!("{id}-err"));
        }
        by.join(" ")
    }
    /// Whether the field has an error.
    pub fn invalid(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }
    /// What the location section says after a region step without JavaScript.
    pub fn region_hint(&self, tr: &Tr) -> Option<&'static str> {
        if !self.region_step || self.v.kabkota.is_empty() {
            return None;
        }
        Some(if self.v.kecamatan.is_empty() {
            tr.s(
                "Pilih kecamatan, lalu tekan \u{201c}Tampilkan desa\u{201d}; atau lanjutkan mengisi formulir di bawah.",
                "Choose the district, then press \u{201c}Show villages\u{201d}; or carry on with the form below.",
            )
        } else if self.v.desa.is_empty() {
            tr.s(
                "Pilih desa/kelurahan, lalu lanjutkan mengisi formulir di bawah.",
                "Choose the village, then carry on with the form below.",
            )
        } else {
            tr.s(
                "Lokasi terpilih. Lanjutkan mengisi formulir di bawah.",
                "Location chosen. Carry on with the form below.",
            )
        })
    }
    /// The label of the no-JavaScript region button.
    pub fn region_button(&self, tr: &Tr) -> &'static str {
        if self.v.kabkota.is_empty() || self.kecamatan.is_empty() {
            tr.s("Tampilkan kecamatan", "Show districts")
        } else {
            tr.s("Tampilkan desa", "Show villages")
        }
    }
    /// The id of the input an error summary links to.
    pub fn anchor(&self, field: &str) -> String {
        match field {
            "reporter.name" => "reporter_name".into(),
            "reporter.phone" => "reporter_phone".into(),
            "reporter.email" => "reporter_email".into(),
            "reporter.nik" => "reporter_nik".into(),
            "region_code" => "kabkota".into(),
            "latitude" => "address".into(),
            other => other.replace('.', "_"),
        }
    }
    pub fn category_name(&self, tr: &Tr, c: &Category) -> String {
        if tr.is_en() {
            c.name_en.clone()
        } else {
            c.name_id.clone()
        }
    }
}

#[derive(Template)]
#[template(path = "lapor.html")]
struct SubmitPage {
    l: Layout,
    f: ReportForm,
}

pub async fn build_form(
    ui: &Ui,
    v: FormValues,
    errors: Vec<FieldError>,
    desk: bool,
) -> UiResult<ReportForm> {
    let services = &ui.state.services;
    let err = |e: tanggap_service::ServiceError| ui.api_error(e.into());
    let kabkota = services.regions(Some("33")).await.map_err(err)?;
    let kecamatan = if v.kabkota.is_empty() {
        vec![]
    } else {
        services.regions(Some(&v.kabkota)).await.map_err(err)?
    };
    let desa = if v.kecamatan.is_empty() {
        vec![]
    } else {
        services.regions(Some(&v.kecamatan)).await.map_err(err)?
    };
    let categories = services.categories().await.map_err(err)?;
    let mut errors = errors;
    in_form_order(&mut errors);
    Ok(ReportForm {
        v,
        errors,
        region_step: false,
        photos_dropped: 0,
        kabkota,
        kecamatan,
        desa,
        categories,
        desk,
        action: if desk {
            "/meja/baru".into()
        } else {
            "/lapor".into()
        },
    })
}

pub async fn submit_form(ui: Ui) -> UiResult {
    let v = FormValues {
        kind: "pengaduan".into(),
        ..Default::default()
    };
    let f = build_form(&ui, v, vec![], false).await?;
    Ok(page(&SubmitPage {
        l: ui
            .layout(ui.tr.s("Sampaikan laporan", "Submit a report"))
            .await,
        f,
    }))
}

/// Read the report form: fields, and photos checked on their bytes (see [`super::form`]).
/// Problems with the photos come back as field errors with everything typed kept.
pub async fn read_form(
    ui: &Ui,
    mp: Multipart,
) -> UiResult<(FormValues, String, Vec<CleanFile>, Vec<FieldError>, String)> {
    let form = super::form::read(mp, &ui.state.attachment_limits, "foto")
        .await
        .map_err(|_| unreadable(ui))?;
    let mut v = FormValues::default();
    let mut action = String::new();
    let mut csrf = String::new();
    for (name, text) in form.fields() {
        let text = text.clone();
        match name.as_str() {
            "kind" => v.kind = text,
            "title" => v.title = text,
            "body" => v.body = text,
            "occurred_on" => v.occurred_on = text,
            "kabkota" => v.kabkota = text,
            "kecamatan" => v.kecamatan = text,
            "desa" => v.desa = text,
            "address" => v.address = text,
            "latitude" => v.latitude = text,
            "longitude" => v.longitude = text,
            "category" => v.category = text,
            "anonim" => v.anonim = true,
            "rahasia" => v.rahasia = true,
            "show_name" => v.show_name = true,
            "name" => v.name = text,
            "phone" => v.phone = text,
            "email" => v.email = text,
            "nik" => v.nik = text,
            "channel" => v.channel = text,
            "aksi" => action = text,
            "csrf" => csrf = text,
            _ => {}
        }
    }
    // A kecamatan from another kabupaten (the citizen changed their mind) is dropped.
    if !v.kecamatan.is_empty() && !v.kecamatan.starts_with(&format!("{}.", v.kabkota)) {
        v.kecamatan.clear();
    }
    if !v.desa.is_empty() && !v.desa.starts_with(&format!("{}.", v.kecamatan)) {
        v.desa.clear();
    }
    Ok((v, action, form.files, form.file_errors, csrf))
}

/// A multipart body that cannot be parsed at all.
pub fn unreadable(ui: &Ui) -> UiError {
    ui.error(
        StatusCode::BAD_REQUEST,
        ui.tr.s(
            "Formulir tidak terbaca. Coba kirim ulang.",
            "The form could not be read. Please send it again.",
        ),
    )
}

/// A form re-rendered with errors: 413 when the upload as a whole was too large, else 422.
pub fn status_for(errors: &[FieldError]) -> StatusCode {
    if errors.iter().any(|e| e.code == "total_too_large") {
        StatusCode::PAYLOAD_TOO_LARGE
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

pub fn report_input(v: &FormValues, channel: Channel) -> ReportInput {
    let mut visibility = Vec::new();
    if v.anonim {
        visibility.push("anonim".to_string());
    }
    if v.rahasia {
        visibility.push("rahasia".to_string());
    }
    let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    ReportInput {
        kind: v.kind.clone(),
        title: v.title.clone(),
        body: v.body.clone(),
        occurred_on: opt(&v.occurred_on),
        region_code: v.region_code(),
        address: opt(&v.address),
        latitude: v.latitude.trim().parse().ok(),
        longitude: v.longitude.trim().parse().ok(),
        category: opt(&v.category),
        visibility,
        show_reporter_name: v.show_name,
        reporter: ReporterInput {
            name: opt(&v.name),
            phone: opt(&v.phone),
            email: opt(&v.email),
            nik: opt(&v.nik),
        },
        channel,
        channel_address: None,
        inbound_id: None,
        attachments: vec![],
    }
}

pub async fn submit(ui: Ui, ip: ClientIp, mp: Multipart) -> UiResult {
    let (v, action, files, mut errors, _) = read_form(&ui, mp).await?;
    let title = ui.tr.s("Sampaikan laporan", "Submit a report");
    if action == "wilayah" {
        // Without JavaScript, "show the villages" comes back here with what was typed, at the
        // location section (the button's action ends in `#lokasi`), saying what comes next and
        // which photos must be chosen again.
        let mut f = build_form(&ui, v, vec![], false).await?;
        f.region_step = true;
        f.photos_dropped = files.len();
        return Ok(page(&SubmitPage {
            l: ui.layout(title).await,
            f,
        }));
    }
    ui.state.limits.submit(ip.0).map_err(|e| ui.api_error(e))?;
    if v.kabkota.is_empty() {
        errors.push(FieldError::new("kabkota", "required"));
    }
    let mut input = report_input(&v, Channel::Web);
    let files_chosen = files.len() + errors.iter().filter(|e| e.field == "foto").count();
    if errors.is_empty() {
        input.attachments = store_files(&ui.state, files)
            .await
            .map_err(|e| ui.api_error(e))?;
        match ui.state.services.submit_report(ui.caller(), input).await {
            Ok(s) => {
                return Ok(Redirect::to(&format!(
                    "/lacak/{}?kunci={}&baru=1",
                    s.tracking_id,
                    s.secret.expose()
                ))
                .into_response());
            }
            Err(e) => match e.field_errors() {
                Some(fields) => errors = fields.to_vec(),
                None => return Err(ui.api_error(e.into())),
            },
        }
    } else if let Err(e) = ui.state.services.check_report(&input).await
        && let Some(more) = e.field_errors()
    {
        errors.extend(more.iter().cloned());
    }
    let status = status_for(&errors);
    let mut f = build_form(&ui, v, errors, false).await?;
    f.photos_dropped = files_chosen;
    let mut r = page(&SubmitPage {
        l: ui.layout(title).await,
        f,
    });
    *r.status_mut() = status;
    Ok(r)
}

/// JSON of a region's children, for scripts that prefer this path (same as the API).
pub async fn regions_fragment(
    ui: Ui,
    Query(q): Query<HashMap<String, String>>,
) -> UiResult<Json<Vec<(String, String)>>> {
    let parent = q.get("induk").cloned();
    let regions = ui
        .state
        .services
        .regions(parent.as_deref())
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    Ok(Json(
        regions.into_iter().map(|r| (r.code, r.name)).collect(),
    ))
}

// ----- tracking -------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct ResendForm {
    #[serde(default)]
    nomor: String,
}

/// "Send me my link again": the same answer whatever the tracking ID (see
/// `Services::resend_link`).
pub async fn resend_link(ui: Ui, ip: ClientIp, Form(f): Form<ResendForm>) -> UiResult {
    ui.state.limits.lookup(ip.0).map_err(|e| ui.api_error(e))?;
    ui.state
        .services
        .resend_link(ui.caller(), &f.nomor)
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    let l = ui.layout(ui.tr.s("Lacak laporan", "Track a report")).await;
    let notice = Some(
        ui.tr
            .s(
                "Bila nomor itu terdaftar dan laporannya mencatat e-mail atau nomor ponsel, tautan baru sudah kami kirim ke sana (paling sering sekali tiap 15 menit). Tautan lama tidak berlaku lagi.",
                "If that number is on record and its report has an e-mail address or phone number, a new link has been sent there (at most once every 15 minutes). The old link no longer works.",
            )
            .to_string(),
    );
    Ok(page(&LookupPage {
        l,
        nomor: f.nomor.trim().chars().take(40).collect(),
        error: None,
        notice,
    }))
}

#[derive(Template)]
#[template(path = "lacak.html")]
struct LookupPage {
    l: Layout,
    nomor: String,
    error: Option<String>,
    /// After "send me my link again".
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct LookupQuery {
    nomor: Option<String>,
    kunci: Option<String>,
}

pub async fn track_lookup(ui: Ui, Query(q): Query<LookupQuery>) -> UiResult {
    let l = ui.layout(ui.tr.s("Lacak laporan", "Track a report")).await;
    match q.nomor.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        None => Ok(page(&LookupPage {
            l,
            nomor: String::new(),
            error: None,
            notice: None,
        })),
        Some(n) => match tanggap_domain::TrackingId::parse(n) {
            Ok(t) => {
                let key = q.kunci.as_deref().map(str::trim).filter(|k| !k.is_empty());
                Ok(Redirect::to(&match key {
                    Some(k) => format!("/lacak/{t}?kunci={}", super::urlencode(k)),
                    None => format!("/lacak/{t}"),
                })
                .into_response())
            }
            Err(_) => {
                let error = Some(
                    ui.tr
                        .s(
                            "Nomor laporan tidak dikenali. Contoh: LG-4F7KQ2MZ8T.",
                            "That is not a tracking ID. Example: LG-4F7KQ2MZ8T.",
                        )
                        .to_string(),
                );
                let mut r = page(&LookupPage {
                    l,
                    nomor: n.to_string(),
                    error,
                    notice: None,
                });
                *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                Ok(r)
            }
        },
    }
}

/// The progress bar: received → dispatched → verification → field check → work → done.
pub struct Step {
    pub label: &'static str,
    pub state: &'static str,
}

fn steps(tr: &Tr, r: &ReportDto) -> Vec<Step> {
    let lead = r
        .assignments
        .iter()
        .filter(|a| a.stage != "bukan_wewenang" && a.stage != "diteruskan")
        .find(|a| a.role == "utama")
        .or_else(|| {
            r.assignments
                .iter()
                .find(|a| a.stage != "bukan_wewenang" && a.stage != "diteruskan")
        });
    let rank = match lead
        .and_then(|a| Stage::parse(&a.stage))
        .and_then(|s| s.progress_rank())
    {
        Some(r) => r as usize + 1,
        None => 0,
    };
    let labels = [
        tr.s("Diterima", "Received"),
        tr.s("Disposisi", "Dispatched"),
        tr.s("Verifikasi", "Verification"),
        tr.s("Cek lapangan", "Field check"),
        tr.s("Pengerjaan", "Work"),
        tr.s("Tuntas", "Done"),
    ];
    labels
        .iter()
        .enumerate()
        .map(|(i, label)| Step {
            label,
            state: if i < rank {
                "done"
            } else if i == rank {
                "now"
            } else {
                ""
            },
        })
        .collect()
}

/// A timeline line as the page shows it.
pub struct Line {
    pub a: ActivityDto,
    pub text: String,
    pub internal: bool,
}

pub fn describe(tr: &Tr, a: &ActivityDto, agency_names: &HashMap<String, String>) -> String {
    let agency = a
        .agency_id
        .as_ref()
        .and_then(|id| agency_names.get(id))
        .cloned()
        .unwrap_or_default();
    let stage = a
        .stage
        .as_deref()
        .and_then(Stage::parse)
        .map(|s| tr.stage(&s))
        .unwrap_or("");
    match a.kind.as_str() {
        "submitted" => tr.s("Laporan diterima", "Report received").into(),
        "edited" => tr
            .s(
                "Laporan dilengkapi oleh admin",
                "Report completed by the desk",
            )
            .into(),
        "dispatched" => tr.pick(
            format!("Didisposisikan ke {agency}"),
            format!("Dispatched to {agency}"),
        ),
        "forwarded" if a.stage.as_deref() == Some("diteruskan") => tr.pick(
            format!("{agency} meneruskan ke unit di bawahnya"),
            format!("{agency} forwarded it to a sub-unit"),
        ),
        "forwarded" => tr.pick(
            format!("Diteruskan ke {agency}"),
            format!("Forwarded to {agency}"),
        ),
        "stage_update" => format!("{agency}: {stage}"),
        "returned" => tr.pick(
            format!("{agency}: bukan wewenang"),
            format!("{agency}: not our authority"),
        ),
        "status_changed" => {
            let s = a.status.as_deref().map(|s| tr.status_code(s)).unwrap_or("");
            tr.pick(format!("Status: {s}"), format!("Status: {s}"))
        }
        "asked_reporter" => tr
            .s("Pertanyaan untuk pelapor", "Question to the reporter")
            .into(),
        "reporter_replied" => tr
            .s(
                "Pelapor menambahkan informasi",
                "The reporter added information",
            )
            .into(),
        "message_to_reporter" => tr
            .s("Pesan untuk pelapor", "Message to the reporter")
            .into(),
        "duplicate" => tr
            .s(
                "Digabung dengan laporan lain yang sama",
                "Merged with another report of the same problem",
            )
            .into(),
        "archived" => tr.s("Laporan diarsipkan", "Report archived").into(),
        "rated" => tr
            .s(
                "Pelapor memberi penilaian",
                "The reporter rated the outcome",
            )
            .into(),
        "reopened" => tr
            .s(
                "Pelapor membuka kembali laporan",
                "The reporter reopened the report",
            )
            .into(),
        "instruction" => tr.s("Arahan pimpinan", "Leadership instruction").into(),
        "verified" => tr
            .s("Laporan diverifikasi admin", "The desk verified the report")
            .into(),
        "dispatch_note" => tr
            .s(
                "Catatan disposisi untuk instansi",
                "Dispatch note for the agencies",
            )
            .into(),
        "restarted" => tr.pick(
            format!("Dikembalikan ke {agency} untuk ditindaklanjuti lagi"),
            format!("Back to {agency} for further action"),
        ),
        other => other.into(),
    }
}

#[derive(Template)]
#[template(path = "track.html")]
struct TrackPage {
    l: Layout,
    r: ReportDto,
    steps: Vec<Step>,
    lines: Vec<Line>,
    next: String,
    secret: Option<String>,
    just_submitted: bool,
    notice: Option<String>,
    can_reply: bool,
    can_rate: bool,
    can_close: bool,
    secret_link: String,
    messages: Vec<crate::api::dto::MessageDto>,
    /// A refused reply: its text and why.
    reply: Option<ReplyRetry>,
    /// Where it happened, by name.
    place: String,
}

impl TrackPage {
    pub fn reply_text(&self) -> &str {
        self.reply.as_ref().map_or("", |r| r.text.as_str())
    }
    pub fn is_image(&self, a: &AttachmentDto) -> bool {
        a.content_type.starts_with("image/")
    }
    pub fn kunci(&self) -> String {
        self.secret.clone().unwrap_or_default()
    }
    /// The text of the "save it to your WhatsApp" link: the tracking ID and the secret link.
    pub fn share_text(&self) -> String {
        super::urlencode(&format!(
            "Laporan Tanggap {}: {}",
            self.r.tracking_id, self.secret_link
        ))
    }
    pub fn kind_label(&self) -> &'static str {
        ReportKind::parse(&self.r.kind).map_or("", |k| self.l.tr.kind(&k))
    }
    pub fn status_label(&self) -> &'static str {
        self.l.tr.status_code(&self.r.status)
    }
    pub fn stage_label(&self, a: &AssignmentDto) -> &'static str {
        Stage::parse(&a.stage).map_or("", |s| self.l.tr.stage(&s))
    }
    pub fn role_label(&self, code: &str) -> &'static str {
        tanggap_domain::AssignmentRole::parse(code).map_or("", |r| self.l.tr.assignment_role(&r))
    }
    pub fn outcome_label(&self) -> &'static str {
        self.r
            .outcome
            .as_deref()
            .and_then(Outcome::parse)
            .map_or("", |o| self.l.tr.outcome(&o))
    }
    /// Attachment URLs carry the secret for the reporter (their browser sends no header).
    pub fn file_url(&self, a: &AttachmentDto) -> String {
        match &self.secret {
            Some(k) => format!("{}?secret={}", a.url, super::urlencode(k)),
            None => a.url.clone(),
        }
    }
}

#[derive(Deserialize)]
pub struct TrackQuery {
    kunci: Option<String>,
    baru: Option<String>,
    ok: Option<String>,
}

/// What happens next, and by when, in one sentence.
fn next_step(tr: &Tr, r: &ReportDto, report_clocks: &[tanggap_domain::Clock]) -> String {
    let due = |k: ClockKind| {
        report_clocks
            .iter()
            .find(|c| c.kind == k && c.stopped_at.is_none())
            .and_then(|c| c.due_at)
    };
    let when = |t: Option<DateTime<Utc>>| t.map(|t| tr.datetime(&t)).unwrap_or_else(|| "—".into());
    let open: Vec<&AssignmentDto> = r
        .assignments
        .iter()
        .filter(|a| a.stage != "bukan_wewenang" && a.stage != "diteruskan" && a.stage != "tuntas")
        .collect();
    match ReportStatus::parse(&r.status).unwrap_or(ReportStatus::Baru) {
        ReportStatus::Baru => tr.pick(
            format!("Admin akan memeriksa laporan Anda dan meneruskannya ke instansi yang berwenang paling lambat {}.", when(due(ClockKind::Triage))),
            format!("The desk will check your report and send it to the agency in charge by {}.", when(due(ClockKind::Triage))),
        ),
        ReportStatus::MenungguPelapor => tr.s("Kami menunggu jawaban Anda atas pertanyaan di bawah. Penghitungan waktu penyelesaian dihentikan sementara.", "We are waiting for your answer to the question below. The completion clock is paused.").into(),
        ReportStatus::Didisposisikan | ReportStatus::Diproses | ReportStatus::DibukaKembali => {
            let parts: Vec<String> = open
                .iter()
                .map(|a| {
                    if a.responded {
                        tr.pick(format!("{} menargetkan selesai paling lambat {}.", a.agency_name, when(a.completion_due_at)), format!("{} aims to finish by {}.", a.agency_name, when(a.completion_due_at)))
                    } else {
                        tr.pick(format!("{} wajib memberi respons pertama paling lambat {}.", a.agency_name, when(a.response_due_at)), format!("{} must respond first by {}.", a.agency_name, when(a.response_due_at)))
                    }
                })
                .collect();
            parts.join(" ")
        }
        ReportStatus::Selesai => tr.pick(
            format!("Instansi menyatakan laporan selesai. Beri penilaian, atau buka kembali jika belum tuntas. Tanpa tanggapan, laporan ditutup otomatis pada {}.", when(due(ClockKind::AutoClose))),
            format!("The agency says it is done. Rate it, or reopen it if it is not fixed. Without an answer it closes automatically on {}.", when(due(ClockKind::AutoClose))),
        ),
        ReportStatus::Ditutup => tr.s("Laporan sudah ditutup. Terima kasih.", "The report is closed. Thank you.").into(),
        ReportStatus::Diarsipkan => tr.pick(format!("Laporan diarsipkan: {}", r.archive_reason.clone().unwrap_or_default()), format!("The report was archived: {}", r.archive_reason.clone().unwrap_or_default())),
        ReportStatus::Duplikat => tr.pick(
            format!("Laporan ini sama dengan laporan {}; perkembangannya diikuti di sana.", r.duplicate_of.clone().unwrap_or_default()),
            format!("This report repeats report {}; follow it there.", r.duplicate_of.clone().unwrap_or_default()),
        ),
    }
}

pub async fn track(
    ui: Ui,
    ip: ClientIp,
    Path(tid): Path<String>,
    Query(q): Query<TrackQuery>,
) -> UiResult {
    if ui.user().is_none() {
        ui.state.limits.lookup(ip.0).map_err(|e| ui.api_error(e))?;
    }
    match render_track(&ui, &tid, q, None).await {
        // An unknown number: the lookup form again, saying so.
        Err(UiError::Page {
            status:
                StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY,
            ..
        }) => {
            let l = ui.layout(ui.tr.s("Lacak laporan", "Track a report")).await;
            let error = Some(ui.tr.pick(
                format!("Nomor laporan {} tidak ditemukan. Periksa kembali nomornya (contoh: LG-4F7KQ2MZ8T).", tid.trim()),
                format!("No report has the number {}. Check it again (example: LG-4F7KQ2MZ8T).", tid.trim()),
            ));
            let mut r = page(&LookupPage {
                l,
                nomor: tid.trim().chars().take(40).collect(),
                error,
                notice: None,
            });
            *r.status_mut() = StatusCode::NOT_FOUND;
            Ok(r)
        }
        other => other,
    }
}

/// A reply the page refused, shown again in its form with the reason.
pub struct ReplyRetry {
    pub text: String,
    pub message: String,
    /// `field:code`, comma-separated (on the page as `data-fields`).
    pub field_codes: String,
}

/// The tracking page (for the reporter with their secret, for staff, or for the public).
async fn render_track(ui: &Ui, tid: &str, q: TrackQuery, reply: Option<ReplyRetry>) -> UiResult {
    let secret = q.kunci.clone().filter(|k| !k.trim().is_empty());
    let services = &ui.state.services;
    let detail = services
        .report_detail(ui.caller(), tid, secret.as_deref())
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    let r = report_dto(&detail, services.now());
    let opened = &detail.opened;
    let clocks = detail.clocks.clone();
    let names = opened.agency_names();
    let internal_kinds = ["edited", "instruction", "dispatch_note"];
    let lines = r
        .timeline
        .iter()
        .filter(|a| {
            !(a.kind == "status_changed"
                && a.status.as_deref() != Some("selesai")
                && a.status.as_deref() != Some("ditutup"))
        })
        .map(|a| Line {
            text: describe(&ui.tr, a, &names),
            internal: internal_kinds.contains(&a.kind.as_str()),
            a: a.clone(),
        })
        .collect();
    let messages = if opened.disclosure.conversation {
        messages_dto(
            &services
                .conversation(opened)
                .await
                .map_err(|e| ui.api_error(e.into()))?,
        )
    } else {
        vec![]
    };
    let status = opened.report.status;
    let as_reporter = opened.as_reporter;
    let notice = match q.ok.as_deref() {
        Some("balas") => Some(ui.tr.s(
            "Terima kasih, informasi Anda sudah kami terima.",
            "Thank you, we have your information.",
        )),
        Some("nilai") => Some(ui.tr.s(
            "Terima kasih atas penilaian Anda.",
            "Thank you for your rating.",
        )),
        Some("buka") => Some(ui.tr.s(
            "Laporan dibuka kembali dan dikembalikan ke instansi.",
            "The report is reopened and back with the agency.",
        )),
        Some("tutup") => Some(ui.tr.s(
            "Laporan ditutup. Terima kasih.",
            "The report is closed. Thank you.",
        )),
        _ => None,
    }
    .map(str::to_string);
    let next = next_step(&ui.tr, &r, &clocks);
    // The place by name (desa, kecamatan, kabupaten/kota), never as a code.
    let place = services
        .place_name(r.region_code.as_deref())
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    let page_title = format!("{} · {}", r.tracking_id, r.title);
    let secret_link = format!(
        "{}/lacak/{}?kunci={}",
        ui.origin(),
        r.tracking_id,
        secret.clone().unwrap_or_default()
    );
    let t = TrackPage {
        place,
        steps: steps(&ui.tr, &r),
        lines,
        next,
        secret: secret.clone().filter(|_| as_reporter),
        just_submitted: q.baru.is_some() && as_reporter,
        notice,
        can_reply: as_reporter && !status.is_terminal(),
        can_rate: as_reporter && matches!(status, ReportStatus::Selesai | ReportStatus::Ditutup),
        can_close: as_reporter && status == ReportStatus::Selesai,
        secret_link,
        messages,
        l: ui.layout(page_title).await,
        r,
        reply,
    };
    Ok(page(&t))
}

/// Run a reporter action from a form on the tracking page, then show the page again.
async fn reporter_action(
    ui: &Ui,
    ip: &ClientIp,
    tid: &str,
    kunci: &str,
    action: Action,
    files: Vec<CleanFile>,
    ok: &str,
) -> UiResult {
    if ui.user().is_none() {
        ui.state.limits.lookup(ip.0).map_err(|e| ui.api_error(e))?;
    }
    let attachments = store_files(&ui.state, files)
        .await
        .map_err(|e| ui.api_error(e))?;
    ui.state
        .services
        .act(ui.caller(), tid, Some(kunci), action, attachments)
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    Ok(Redirect::to(&format!(
        "/lacak/{tid}?kunci={}&ok={ok}",
        super::urlencode(kunci)
    ))
    .into_response())
}

pub async fn reply(ui: Ui, ip: ClientIp, Path(tid): Path<String>, mp: Multipart) -> UiResult {
    let form = super::form::read(mp, &ui.state.attachment_limits, "foto")
        .await
        .map_err(|_| unreadable(&ui))?;
    let kunci = form.get("kunci");
    let text = form.get("text");
    let again = |message: String, field_codes: String, status: StatusCode| {
        let ui = &ui;
        let q = TrackQuery {
            kunci: Some(kunci.clone()),
            baru: None,
            ok: None,
        };
        let retry = ReplyRetry {
            text: text.clone(),
            message,
            field_codes,
        };
        let tid = tid.clone();
        async move {
            let mut r = render_track(ui, &tid, q, Some(retry)).await?;
            *r.status_mut() = status;
            Ok(r)
        }
    };
    if let Some(e) = form.file_errors.first() {
        let codes = form
            .file_errors
            .iter()
            .map(|e| format!("{}:{}", e.field, e.code))
            .collect::<Vec<_>>()
            .join(",");
        return again(e.message(ui.tr.lang), codes, form.status()).await;
    }
    match reporter_action(
        &ui,
        &ip,
        &tid,
        &kunci,
        Action::Reply { text: text.clone() },
        form.files,
        "balas",
    )
    .await
    {
        // What to fix in the reply (too long, control characters): the page again, text kept.
        Err(UiError::Page {
            status,
            code,
            message,
            ..
        }) if status == StatusCode::UNPROCESSABLE_ENTITY => {
            again(message, code.to_string(), status).await
        }
        other => other,
    }
}

#[derive(Deserialize)]
pub struct RateForm {
    kunci: String,
    #[serde(default)]
    score: String,
    #[serde(default)]
    outcome: String,
    comment: Option<String>,
}

pub async fn rate(
    ui: Ui,
    ip: ClientIp,
    Path(tid): Path<String>,
    Form(f): Form<RateForm>,
) -> UiResult {
    let action = Action::Rate {
        score: f.score.trim().parse().unwrap_or(0),
        outcome: f.outcome,
        comment: f.comment,
    };
    reporter_action(&ui, &ip, &tid, &f.kunci, action, vec![], "nilai").await
}

#[derive(Deserialize)]
pub struct ReasonForm {
    kunci: String,
    #[serde(default)]
    reason: String,
}

pub async fn reopen(
    ui: Ui,
    ip: ClientIp,
    Path(tid): Path<String>,
    Form(f): Form<ReasonForm>,
) -> UiResult {
    reporter_action(
        &ui,
        &ip,
        &tid,
        &f.kunci,
        Action::Reopen { reason: f.reason },
        vec![],
        "buka",
    )
    .await
}

pub async fn confirm(
    ui: Ui,
    ip: ClientIp,
    Path(tid): Path<String>,
    Form(f): Form<ReasonForm>,
) -> UiResult {
    reporter_action(&ui, &ip, &tid, &f.kunci, Action::Confirm, vec![], "tutup").await
}
