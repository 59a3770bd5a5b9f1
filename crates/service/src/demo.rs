//! `tanggap demo`: a login for every role and a deterministic, realistic set of reports in every
//! state, spread over Central Java's regions and agencies. Each report is driven through the real
//! workflow (the same `execute` the web uses), back-dated so that clocks show real countdowns and
//! breaches.

use crate::accounts::UserInput;
use crate::{Caller, ManualClock, ReportInput, ReporterInput, Result, Services, Wallclock};
use chrono::TimeDelta;
use std::sync::Arc;
use tanggap_domain::workflow::{Actor, Command, DispatchTarget, UserActor};
use tanggap_domain::{AgencyKind, AssignmentRole, Channel, Outcome, Role, Stage};
use tanggap_store::User;

/// A demo account and its password (printed once by the CLI).
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub agency_id: Option<String>,
    pub created: bool,
}

const USERS: &[(&str, &str, Role, Option<&str>)] = &[
    ("admin", "Administrator Sistem", Role::Admin, None),
    ("operator", "Rina (Admin Gubernuran)", Role::Operator, None),
    (
        "petugas.dpu",
        "Budi (Penghubung DPU Bina Marga Cipta Karya)",
        Role::Petugas,
        Some("dpu-bmck"),
    ),
    (
        "kepala.dpu",
        "Ir. Hendra, Kepala DPU Bina Marga Cipta Karya",
        Role::Kepala,
        Some("dpu-bmck"),
    ),
    (
        "petugas.dinkes",
        "Sari (Penghubung Dinas Kesehatan)",
        Role::Petugas,
        Some("dinkes"),
    ),
    (
        "kepala.dinkes",
        "dr. Yunita, Kepala Dinas Kesehatan",
        Role::Kepala,
        Some("dinkes"),
    ),
    (
        "petugas.semarang",
        "Agus (Penghubung Pemkot Semarang)",
        Role::Petugas,
        Some("pemda-33-74"),
    ),
    (
        "petugas.disdikbud",
        "Wulan (Penghubung Disdikbud)",
        Role::Petugas,
        Some("disdikbud"),
    ),
    (
        "pimpinan",
        "Sekretaris Daerah Provinsi",
        Role::Pimpinan,
        None,
    ),
    ("auditor", "Inspektorat Provinsi", Role::Auditor, None),
];

/// Where a demo report ends up.
#[derive(Debug, Clone, Copy)]
enum Plan {
    Baru,
    Dispatched,
    /// Dispatched long ago and never answered: shows as lalai.
    Ignored,
    Progress(Stage),
    WaitingForReporter,
    Selesai,
    Closed(u8, Outcome),
    Archived,
    DuplicateOf(usize),
    Reopened,
    ReturnedToTriage,
}

struct Template {
    kind: &'static str,
    title: &'static str,
    body: &'static str,
    category: &'static str,
    region: &'static str,
    channel: Channel,
    lead: &'static str,
    support: Option<&'static str>,
    hours_ago: i64,
    plan: Plan,
    anonim: bool,
}

macro_rules! t {
    ($kind:literal, $title:literal, $body:literal, $cat:literal, $region:literal, $channel:ident, $lead:literal, $support:expr, $hours:literal, $plan:expr) => {
        Template {
            kind: $kind,
            title: $title,
            body: $body,
            category: $cat,
            region: $region,
            channel: Channel::$channel,
            lead: $lead,
            support: $support,
            hours_ago: $hours,
            plan: $plan,
            anonim: false,
        }
    };
}

fn templates() -> Vec<Template> {
    use Plan::*;
    let mut v = vec![
        t!(
            "pengaduan",
            "Jalan provinsi Ungaran–Bandungan berlubang",
            "Jalan provinsi di ruas Ungaran–Bandungan, dekat SPBU Lerep, berlubang besar sedalam kurang lebih 20 cm. Sudah dua pengendara motor jatuh minggu ini. Mohon segera ditambal sebelum musim hujan.",
            "jalan-jembatan",
            "33.22.01.2001",
            Web,
            "dpu-bmck",
            None,
            3,
            Baru
        ),
        t!(
            "pengaduan",
            "Pungutan seragam di SMA negeri",
            "Anak saya kelas X di salah satu SMA negeri di Purworejo diminta membayar Rp 1.250.000 untuk seragam dan kegiatan, katanya wajib. Apakah ini diperbolehkan? Kami keluarga kurang mampu.",
            "pendidikan",
            "33.06.01.2002",
            Whatsapp,
            "disdikbud",
            None,
            6,
            Baru
        ),
        t!(
            "permintaan_informasi",
            "Syarat bantuan rehab rumah tidak layak huni",
            "Mohon informasi persyaratan dan jadwal pendaftaran bantuan rehab rumah tidak layak huni (RTLH) dari provinsi tahun depan untuk warga Desa Batur.",
            "perumahan",
            "33.22.01.2002",
            Sms,
            "disperakim",
            None,
            20,
            Baru
        ),
        t!(
            "pengaduan",
            "Antrean pendaftaran RSUD Moewardi sejak subuh",
            "Pasien BPJS harus antre sejak jam 4 pagi di loket pendaftaran RSUD Moewardi, padahal katanya sudah ada pendaftaran online. Aplikasi sering error. Mohon perbaikan sistem antrean.",
            "kesehatan",
            "33.72.01.1001",
            Web,
            "dinkes",
            None,
            10,
            Dispatched
        ),
        t!(
            "pengaduan",
            "Lampu penerangan jalan mati di Jl. Pemuda",
            "Sudah dua minggu lampu PJU di sepanjang Jl. Pemuda depan Kelurahan Miroto mati. Malam hari sangat gelap dan rawan kejahatan.",
            "perhubungan",
            "33.74.01.1001",
            Telegram,
            "pemda-33-74",
            Some("dishub"),
            14,
            Dispatched
        ),
        t!(
            "pengaduan",
            "Jembatan gantung Cirahab rusak",
            "Jembatan gantung penghubung Desa Cirahab dan Canduk papannya banyak yang lapuk dan satu tali sling putus. Anak-anak sekolah tetap melintas setiap hari. Sangat berbahaya.",
            "jalan-jembatan",
            "33.02.01.2001",
            Facebook,
            "dpu-bmck",
            Some("pemda-33-02"),
            52,
            Ignored
        ),
        t!(
            "pengaduan",
            "Obat kosong di puskesmas",
            "Sudah tiga kali kontrol, obat hipertensi untuk ibu saya selalu kosong di puskesmas dan disuruh beli sendiri di apotek luar.",
            "kesehatan",
            "33.09.01",
            Whatsapp,
            "dinkes",
            None,
            40,
            Ignored
        ),
        t!(
            "pengaduan",
            "Saluran drainase tersumbat di Semarang Utara",
            "Saluran di Jl. Arteri Utara tersumbat sampah dan lumpur, setiap hujan deras air meluap ke jalan dan rumah warga.",
            "sumber-daya-air",
            "33.74.02",
            Web,
            "pemda-33-74",
            Some("pusdataru"),
            30,
            Progress(Stage::Verifikasi)
        ),
        t!(
            "pengaduan",
            "Trotoar rusak dan berlubang di Laweyan",
            "Trotoar di Jl. Dr. Radjiman depan Pasar Kembang banyak yang ambles. Pejalan kaki terpaksa turun ke jalan.",
            "jalan-jembatan",
            "33.72.01.1002",
            Email,
            "dpu-bmck",
            None,
            70,
            Progress(Stage::CekLapangan)
        ),
        t!(
            "pengaduan",
            "Ruang kelas SMK nyaris roboh",
            "Atap dua ruang kelas di SMK negeri di Wangon sudah melengkung dan bocor. Siswa dipindah belajar di musala.",
            "pendidikan",
            "33.02.02",
            Telepon,
            "disdikbud",
            None,
            120,
            Progress(Stage::Pengerjaan)
        ),
        t!(
            "aspirasi",
            "Usul halte Trans Jateng di Tengaran",
            "Kami mengusulkan penambahan halte Trans Jateng di depan Pasar Tengaran karena banyak pedagang dan pelajar yang menunggu bus di pinggir jalan tanpa peneduh.",
            "perhubungan",
            "33.22.02",
            Web,
            "dishub",
            None,
            90,
            Progress(Stage::Verifikasi)
        ),
        t!(
            "pengaduan",
            "Bantuan PKH belum cair tiga bulan",
            "Saya penerima PKH di Desa Harjobinangun, sudah tiga bulan bantuan belum masuk ke rekening. Pendamping belum bisa menjelaskan.",
            "bantuan-sosial",
            "33.06.01.2001",
            Sms,
            "dinsos",
            None,
            50,
            WaitingForReporter
        ),
        t!(
            "pengaduan",
            "Pelayanan Samsat lambat",
            "Perpanjangan STNK tahunan di Samsat memakan waktu lebih dari 3 jam karena hanya satu loket yang buka.",
            "pajak-kendaraan",
            "33.24",
            Web,
            "bapenda",
            None,
            160,
            Selesai
        ),
        t!(
            "pengaduan",
            "Sampah menumpuk di TPS Brumbungan",
            "TPS di Kelurahan Brumbungan tidak diangkut selama seminggu, bau menyengat dan banyak lalat.",
            "lingkungan",
            "33.74.01.1002",
            Whatsapp,
            "pemda-33-74",
            None,
            200,
            Selesai
        ),
        t!(
            "pengaduan",
            "Jalan provinsi Selo–Boyolali longsor",
            "Sebagian badan jalan provinsi di Selo longsor setelah hujan deras, hanya bisa dilewati satu kendaraan.",
            "jalan-jembatan",
            "33.09.01",
            Telepon,
            "dpu-bmck",
            Some("bpbd"),
            400,
            Closed(5, Outcome::Fixed)
        ),
        t!(
            "pengaduan",
            "Pemadaman listrik berulang di Grabag",
            "Listrik di Kecamatan Grabag padam hampir setiap malam selama seminggu tanpa pemberitahuan.",
            "listrik",
            "33.06.01",
            Twitter,
            "pln-uid",
            None,
            300,
            Closed(3, Outcome::Partly)
        ),
        t!(
            "permintaan_informasi",
            "Jadwal pemutihan pajak kendaraan",
            "Kapan program pemutihan denda pajak kendaraan bermotor tahun ini dimulai dan apa syaratnya?",
            "pajak-kendaraan",
            "33.75",
            Web,
            "bapenda",
            None,
            260,
            Closed(4, Outcome::Fixed)
        ),
        t!(
            "pengaduan",
            "Iklan obat palsu",
            "asdfgh tes tes",
            "lainnya",
            "33",
            Sms,
            "setda",
            None,
            100,
            Archived
        ),
        t!(
            "pengaduan",
            "Jalan berlubang dekat SPBU Lerep",
            "Ada lubang besar di jalan provinsi dekat SPBU Lerep, sudah ada korban jatuh.",
            "jalan-jembatan",
            "33.22.01.2001",
            Whatsapp,
            "dpu-bmck",
            None,
            2,
            DuplicateOf(0)
        ),
        t!(
            "pengaduan",
            "Perbaikan jalan di Getasan belum tuntas",
            "Perbaikan jalan provinsi di Getasan berhenti di tengah jalan, material dibiarkan menumpuk di bahu jalan.",
            "jalan-jembatan",
            "33.22.01",
            Web,
            "dpu-bmck",
            None,
            240,
            Reopened
        ),
        t!(
            "pengaduan",
            "Sertifikat tanah tak kunjung terbit",
            "Saya mengurus sertifikat tanah warisan sejak dua tahun lalu tetapi belum juga terbit.",
            "pertanahan",
            "33.71",
            Web,
            "disperakim",
            None,
            36,
            ReturnedToTriage
        ),
    ];
    // Whistle-blowing reports are anonymous and confidential.
    v[1].anonim = true;
    v
}

/// Fictional heads for the demo: the reference data names no one (real heads are entered by the
/// province's administrators), but the dashboards and the accountability report name the head of
/// every lalai agency. Every demo name is marked "(fiktif)" so that no one mistakes it for a real
/// official.
const DEMO_GIVEN: &[&str] = &[
    "Agus", "Bambang", "Dewi", "Endang", "Hadi", "Indah", "Joko", "Kartika", "Lestari", "Mulyono",
    "Nur", "Puji", "Rina", "Slamet", "Tri", "Wahyu", "Yuni", "Arif", "Sri", "Teguh",
];
const DEMO_FAMILY: &[&str] = &[
    "Santoso",
    "Wibowo",
    "Rahayu",
    "Prasetyo",
    "Lestari",
    "Hartono",
    "Susilo",
    "Wulandari",
    "Nugroho",
    "Purnomo",
    "Setiawati",
    "Kurniawan",
    "Handayani",
];

fn demo_head(i: usize, kind: AgencyKind, name: &str) -> (String, &'static str) {
    let given = DEMO_GIVEN[i % DEMO_GIVEN.len()];
    let family = DEMO_FAMILY[(i * 7 + 3) % DEMO_FAMILY.len()];
    let position = match kind {
        AgencyKind::PemerintahProvinsi => "Gubernur",
        AgencyKind::PemerintahKabupatenKota if name.starts_with("Pemerintah Kota") => "Wali Kota",
        AgencyKind::PemerintahKabupatenKota => "Bupati",
        AgencyKind::OpdProvinsi | AgencyKind::OpdKabupatenKota if name.starts_with("Badan") => {
            "Kepala Badan"
        }
        AgencyKind::OpdProvinsi | AgencyKind::OpdKabupatenKota
            if name.starts_with("Sekretariat") =>
        {
            "Sekretaris"
        }
        AgencyKind::OpdProvinsi | AgencyKind::OpdKabupatenKota => "Kepala Dinas",
        AgencyKind::Biro => "Kepala Biro",
        AgencyKind::BumdProvinsi => "Direktur Utama",
        AgencyKind::RumahSakitProvinsi => "Direktur",
        AgencyKind::InstansiVertikal => "Kepala Kantor",
        AgencyKind::Unit => "Kepala",
    };
    (format!("{given} {family} (fiktif)"), position)
}

fn user_actor(u: &User) -> Actor {
    Actor::User(UserActor {
        user_id: u.id,
        role: u.role,
        agency_id: u.agency_id.clone(),
    })
}

impl Services {
    /// Create the demo accounts (skipping any that exist) and the demo reports.
    /// Needs the reference data (`seed`) first.
    pub async fn load_demo(&self) -> Result<(Vec<DemoLogin>, usize)> {
        let mut logins = Vec::new();
        let mut users: Vec<User> = Vec::new();
        for (username, name, role, agency) in USERS {
            let password = format!("{username}-demo-2026");
            let created = match self.store.user_credentials(username).await? {
                Some((u, _)) => {
                    users.push(u);
                    false
                }
                None => {
                    let input = UserInput {
                        username: username.to_string(),
                        display_name: name.to_string(),
                        role: role.as_str().into(),
                        agency_id: agency.map(str::to_string),
                        email: Some(format!("{username}@demo.tanggap.id")),
                        phone: None,
                        password: password.clone(),
                        integration: false,
                    };
                    users.push(self.create_user(&Caller::System, input).await?);
                    true
                }
            };
            logins.push(DemoLogin {
                username: username.to_string(),
                password,
                role: *role,
                agency_id: agency.map(str::to_string),
                created,
            });
        }
        // Every agency that leads a demo report gets a liaison officer to act for it.
        for t in templates() {
            if users
                .iter()
                .any(|u| u.role == Role::Petugas && u.agency_id.as_deref() == Some(t.lead))
            {
                continue;
            }
            let username = format!("petugas.{}", t.lead);
            let password = format!("{username}-demo-2026");
            let existing = self
                .store
                .user_credentials(&username)
                .await?
                .map(|(u, _)| u);
            let created = existing.is_none();
            let user = match existing {
                Some(u) => u,
                None => {
                    let name = self
                        .store
                        .agency(t.lead)
                        .await?
                        .map_or_else(|| t.lead.to_string(), |a| a.name);
                    let input = UserInput {
                        username: username.clone(),
                        display_name: format!("Penghubung {name}"),
                        role: Role::Petugas.as_str().into(),
                        agency_id: Some(t.lead.into()),
                        email: None,
                        phone: None,
                        password: password.clone(),
                        integration: false,
                    };
                    self.create_user(&Caller::System, input).await?
                }
            };
            users.push(user);
            logins.push(DemoLogin {
                username,
                password,
                role: Role::Petugas,
                agency_id: Some(t.lead.into()),
                created,
            });
        }
        if self.store.count_reports().await? > 0 {
            return Ok((logins, 0));
        }
        let by = |name: &str| {
            users
                .iter()
                .find(|u| u.username == name)
                .map(user_actor)
                .unwrap_or(Actor::System)
        };
        let operator = by("operator");
        // Phone and walk-in reports are entered by the desk.
        let desk = users
            .iter()
            .find(|u| u.username == "operator")
            .cloned()
            .map_or(Caller::System, Caller::Staff);
        let real_now = self.now();
        // Heads in office since before the oldest demo report, so that every lalai names one.
        let oldest = templates().iter().map(|t| t.hours_ago).max().unwrap_or(0);
        let heads = Services {
            clock: Arc::new(ManualClock::new(
                real_now - TimeDelta::hours(oldest + 24 * 30),
            )),
            ..self.clone()
        };
        for (i, a) in self.store.agencies().await?.into_iter().enumerate() {
            if a.head_name.is_some() {
                continue;
            }
            let (name, position) = demo_head(i, a.kind, &a.name);
            let input = crate::AgencyInput {
                head_name: Some(Some(name)),
                head_position: Some(Some(position.into())),
                ..Default::default()
            };
            heads.update_agency(&Caller::System, &a.id, input).await?;
        }
        let mut ids = Vec::new();
        for (i, t) in templates().into_iter().enumerate() {
            // Each report lives on its own clock, starting `hours_ago` in the past.
            let clock = Arc::new(ManualClock::new(real_now - TimeDelta::hours(t.hours_ago)));
            let svc = Services {
                clock: clock.clone(),
                ..self.clone()
            };
            let submitted = svc
                .submit_report(
                    &desk,
                    ReportInput {
                        kind: t.kind.into(),
                        title: t.title.into(),
                        body: t.body.into(),
                        region_code: Some(t.region.into()),
                        category: Some(t.category.into()),
                        visibility: if t.anonim {
                            vec!["anonim".into(), "rahasia".into()]
                        } else {
                            vec!["publik".into()]
                        },
                        reporter: ReporterInput {
                            name: Some(format!("Warga Demo {}", i + 1)),
                            phone: Some(format!("+62812555{:05}", i + 1)),
                            email: None,
                            nik: None,
                        },
                        channel: t.channel,
                        ..Default::default()
                    },
                )
                .await?;
            let id = submitted.id;
            ids.push(id);
            let reporter = Actor::Reporter { reporter_id: None };
            // Steps move time forward but never past the real present.
            let step = |h: i64| {
                clock.set((clock.now() + TimeDelta::hours(h)).min(real_now - TimeDelta::minutes(1)))
            };
            let agency_user = users
                .iter()
                .find(|u| u.role == Role::Petugas && u.agency_id.as_deref() == Some(t.lead))
                .map(user_actor)
                .unwrap_or(Actor::System);
            let dispatch = Command::Dispatch {
                targets: std::iter::once(DispatchTarget {
                    agency_id: t.lead.into(),
                    role: AssignmentRole::Utama,
                })
                .chain(t.support.map(|s| DispatchTarget {
                    agency_id: s.into(),
                    role: AssignmentRole::Pendukung,
                }))
                .collect(),
                note: Some("Mohon ditindaklanjuti sesuai kewenangan.".into()),
                note_public: false,
            };
            let lead_assignment = |applied: &tanggap_store::Applied| {
                applied
                    .created_assignments
                    .first()
                    .copied()
                    .unwrap_or_default()
            };
            let update = |a: i64, stage: Stage, note: &str| Command::PostUpdate {
                assignment_id: a,
                stage,
                note: note.into(),
            };
            match t.plan {
                Plan::Baru => {}
                Plan::Archived => {
                    step(1);
                    svc.execute(
                        id,
                        &operator,
                        Command::Archive {
                            reason: "Isi laporan tidak jelas dan tidak dapat ditindaklanjuti."
                                .into(),
                        },
                        vec![],
                    )
                    .await?;
                }
                Plan::DuplicateOf(master) => {
                    step(1);
                    svc.execute(
                        id,
                        &operator,
                        Command::MarkDuplicate {
                            master_id: ids[master],
                            master_is_open: true,
                        },
                        vec![],
                    )
                    .await?;
                }
                Plan::Dispatched | Plan::Ignored => {
                    step(1);
                    svc.execute(id, &operator, dispatch, vec![]).await?;
                }
                Plan::ReturnedToTriage => {
                    step(1);
                    let a = lead_assignment(&svc.execute(id, &operator, dispatch, vec![]).await?);
                    step(3);
                    svc.execute(id, &agency_user, Command::ReturnNotAuthority { assignment_id: a, reason: "Penerbitan sertifikat tanah adalah kewenangan Kantor Pertanahan (BPN), bukan Disperakim.".into() }, vec![]).await?;
                }
                Plan::WaitingForReporter => {
                    step(1);
                    svc.execute(id, &operator, dispatch, vec![]).await?;
                    step(2);
                    svc.execute(
                        id,
                        &operator,
                        Command::AskReporter {
                            question: "Mohon kirimkan nomor KKS/KPM dan nama pendamping PKH Anda."
                                .into(),
                        },
                        vec![],
                    )
                    .await?;
                }
                Plan::Progress(stage) => {
                    step(1);
                    let a = lead_assignment(&svc.execute(id, &operator, dispatch, vec![]).await?);
                    for (s, note) in [
                        (
                            Stage::Verifikasi,
                            "Laporan diterima dan sedang diverifikasi.",
                        ),
                        (Stage::CekLapangan, "Tim dijadwalkan cek lapangan."),
                        (Stage::Pengerjaan, "Perbaikan sedang dikerjakan."),
                    ] {
                        step(5);
                        svc.execute(id, &agency_user, update(a, s, note), vec![])
                            .await?;
                        if s == stage {
                            break;
                        }
                    }
                }
                Plan::Selesai | Plan::Closed(..) | Plan::Reopened => {
                    step(1);
                    let a = lead_assignment(&svc.execute(id, &operator, dispatch, vec![]).await?);
                    step(4);
                    svc.execute(
                        id,
                        &agency_user,
                        update(
                            a,
                            Stage::Verifikasi,
                            "Laporan diterima, kami koordinasikan dengan UPT setempat.",
                        ),
                        vec![],
                    )
                    .await?;
                    step(20);
                    svc.execute(
                        id,
                        &agency_user,
                        update(
                            a,
                            Stage::Pengerjaan,
                            "Petugas sudah di lokasi dan pekerjaan dimulai.",
                        ),
                        vec![],
                    )
                    .await?;
                    step(30);
                    svc.execute(
                        id,
                        &agency_user,
                        update(
                            a,
                            Stage::Tuntas,
                            "Pekerjaan selesai. Terima kasih atas laporannya.",
                        ),
                        vec![],
                    )
                    .await?;
                    match t.plan {
                        Plan::Closed(score, outcome) => {
                            step(6);
                            svc.execute(
                                id,
                                &reporter,
                                Command::Rate {
                                    score,
                                    outcome,
                                    comment: Some("Terima kasih, sudah ditangani.".into()),
                                },
                                vec![],
                            )
                            .await?;
                            svc.execute(id, &reporter, Command::Confirm, vec![]).await?;
                        }
                        Plan::Reopened => {
                            step(6);
                            svc.execute(
                                id,
                                &reporter,
                                Command::Rate {
                                    score: 1,
                                    outcome: Outcome::NotFixed,
                                    comment: Some("Belum selesai, material masih menumpuk.".into()),
                                },
                                vec![],
                            )
                            .await?;
                            svc.execute(
                                id,
                                &reporter,
                                Command::Reopen {
                                    reason: "Material masih menumpuk di bahu jalan.".into(),
                                },
                                vec![],
                            )
                            .await?;
                        }
                        _ => {}
                    }
                }
            }
        }
        // Leadership weighs in on one neglected report.
        if let Some(id) = ids.get(5) {
            self.execute(
                *id,
                &by("pimpinan"),
                Command::AddInstruction {
                    note: "Segera tangani, ini menyangkut keselamatan anak sekolah.".into(),
                },
                vec![],
            )
            .await?;
        }
        Ok((logins, ids.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_is_planned() {
        let plans: Vec<String> = templates()
            .iter()
            .map(|t| format!("{:?}", t.plan))
            .collect();
        for want in [
            "Baru",
            "Dispatched",
            "Ignored",
            "Progress",
            "WaitingForReporter",
            "Selesai",
            "Closed",
            "Archived",
            "DuplicateOf",
            "Reopened",
            "ReturnedToTriage",
        ] {
            assert!(plans.iter().any(|p| p.starts_with(want)), "{want}");
        }
    }
}
