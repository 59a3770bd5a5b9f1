//! The conformance suite: what every [`Store`] implementation must do, written once and run
//! against SQLite and PostgreSQL. A backend crate instantiates it with
//! `tanggap_store::conformance_tests!(MyHarness);` in an integration test; each case becomes its
//! own test on a fresh database.
//!
//! Workflow cases use the domain's `decide` and compare what the store persisted with the domain's
//! reference [`evolve`], so the stores are held to the same rules as the state machine.

use crate::*;
use chrono::{DateTime, NaiveDate, TimeDelta};
use rand::{SeedableRng, rngs::StdRng};
use std::sync::Arc;
use tanggap_domain::workflow::{
    self, Actor, Command, Context, DispatchTarget, ReportEdit, ReportView, UserActor, decide,
    evolve,
};
use tanggap_domain::{
    AgencyKind, AgencyTree, AssignmentRole, Channel, HolidayKind, Outcome, RegionLevel, ReportKind,
    ReportStatus, Role, SecretToken, Stage, Visibility, WorkingCalendar,
};

/// A fresh, empty, migrated store for one test, and a way to reach behind its back.
#[async_trait]
pub trait Harness: Send + Sync + Sized {
    async fn start() -> Self;
    fn store(&self) -> Arc<dyn Store>;
    /// Change the `after` text of audit event `seq` directly in the database, bypassing the store
    /// and any protection it installed, as a malicious administrator could.
    async fn tamper_audit_event(&self, seq: i64);
    /// Drop what the test created.
    async fn finish(self) {}
}

/// Instantiates every conformance case as a `#[tokio::test]` for a harness type.
#[macro_export]
macro_rules! conformance_tests {
    ($harness:ty) => {
        $crate::conformance_tests!(@cases $harness;
            reference_data_round_trips,
            sla_policy_defaults_and_updates,
            users_tokens_and_sessions,
            reports_are_created_with_reporters_and_clocks,
            the_workflow_persists_exactly_what_the_domain_decides,
            stale_decisions_are_refused_and_write_nothing,
            failed_changes_leave_no_trace,
            listing_filters_and_searches,
            audit_chain_verifies_and_detects_tampering,
            concurrent_submissions_all_land_in_one_chain
        );
    };
    (@cases $harness:ty; $($case:ident),+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let h = <$harness as $crate::conformance::Harness>::start().await;
                $crate::conformance::$case(&h).await;
                $crate::conformance::Harness::finish(h).await;
            }
        )+
    };
}

/// Monday 30 November 2026, 09:00 WIB.
pub fn t0() -> Timestamp {
    DateTime::from_timestamp(1_764_468_000, 0).unwrap()
}

fn region(code: &str, parent: Option<&str>, level: RegionLevel, name: &str) -> Region {
    Region {
        code: code.into(),
        parent_code: parent.map(Into::into),
        level,
        name: name.into(),
    }
}

pub fn fixture_regions() -> Vec<Region> {
    vec![
        region("33", None, RegionLevel::Provinsi, "Jawa Tengah"),
        region(
            "33.22",
            Some("33"),
            RegionLevel::KabupatenKota,
            "Kabupaten Semarang",
        ),
        region(
            "33.74",
            Some("33"),
            RegionLevel::KabupatenKota,
            "Kota Semarang",
        ),
        region(
            "33.22.10",
            Some("33.22"),
            RegionLevel::Kecamatan,
            "Ungaran Barat",
        ),
        region(
            "33.74.01",
            Some("33.74"),
            RegionLevel::Kecamatan,
            "Semarang Tengah",
        ),
        region(
            "33.74.01.1001",
            Some("33.74.01"),
            RegionLevel::Kelurahan,
            "Miroto",
        ),
        region(
            "33.22.10.2003",
            Some("33.22.10"),
            RegionLevel::Desa,
            "Lerep",
        ),
    ]
}

fn agency(id: &str, kind: AgencyKind, parent: Option<&str>, region: Option<&str>) -> Agency {
    Agency {
        id: id.into(),
        name: format!("Instansi {id}"),
        kind,
        parent_id: parent.map(Into::into),
        region_code: region.map(Into::into),
        head_name: Some(format!("Kepala {id}")),
        head_position: Some("Kepala".into()),
        head_phone: Some("+6281200000001".into()),
        head_email: Some(format!("kepala@{id}.example")),
        active: true,
    }
}

pub fn fixture_agencies() -> Vec<Agency> {
    vec![
        agency("pemprov", AgencyKind::PemerintahProvinsi, None, None),
        agency("dinkes", AgencyKind::OpdProvinsi, Some("pemprov"), None),
        agency(
            "rsud-moewardi",
            AgencyKind::RumahSakitProvinsi,
            Some("dinkes"),
            None,
        ),
        agency("dpu-bmck", AgencyKind::OpdProvinsi, Some("pemprov"), None),
        agency(
            "pemda-33-74",
            AgencyKind::PemerintahKabupatenKota,
            None,
            Some("33.74"),
        ),
    ]
}

pub fn fixture_categories() -> Vec<Category> {
    vec![
        Category {
            code: "jalan-jembatan".into(),
            name_id: "Jalan dan Jembatan".into(),
            name_en: "Roads and bridges".into(),
            default_agency_id: Some("dpu-bmck".into()),
            needs_field_check: true,
            keywords: vec!["jalan rusak".into(), "berlubang".into()],
        },
        Category {
            code: "kesehatan".into(),
            name_id: "Kesehatan".into(),
            name_en: "Health".into(),
            default_agency_id: Some("dinkes".into()),
            needs_field_check: false,
            keywords: vec!["rumah sakit".into()],
        },
    ]
}

pub fn fixture_holidays() -> Vec<Holiday> {
    vec![
        Holiday {
            date: NaiveDate::from_ymd_opt(2026, 12, 24).unwrap(),
            kind: HolidayKind::CutiBersama,
            name: "Cuti Bersama Natal".into(),
        },
        Holiday {
            date: NaiveDate::from_ymd_opt(2026, 12, 25).unwrap(),
            kind: HolidayKind::LiburNasional,
            name: "Hari Raya Natal".into(),
        },
    ]
}

/// Loads the fixture reference data.
pub async fn seed(store: &dyn Store) {
    store.import_regions(&fixture_regions()).await.unwrap();
    store
        .import_agencies(&fixture_agencies(), "system")
        .await
        .unwrap();
    store
        .import_categories(&fixture_categories(), "system")
        .await
        .unwrap();
    store
        .import_holidays(&fixture_holidays(), "system")
        .await
        .unwrap();
}

fn calendar() -> WorkingCalendar {
    WorkingCalendar::new(
        chrono_tz::Asia::Jakarta,
        fixture_holidays().into_iter().map(|h| h.date),
    )
}

/// A citizen's report as the service layer would hand it over.
pub fn new_report(rng: &mut StdRng, title: &str, phone: Option<&str>, at: Timestamp) -> NewReport {
    let policy = SlaPolicy::jateng();
    NewReport {
        tracking_id: TrackingId::generate("LG", rng),
        secret_hash: SecretToken::generate(rng).hash(),
        kind: ReportKind::Pengaduan,
        title: title.into(),
        body: format!("{title}. Mohon segera ditindaklanjuti oleh instansi terkait."),
        occurred_on: NaiveDate::from_ymd_opt(2026, 11, 28),
        region_code: Some("33.74.01.1001".into()),
        address: Some("Jl. Pemuda No. 1".into()),
        latitude: Some(-6.98),
        longitude: Some(110.41),
        category: Some("jalan-jembatan".into()),
        channel: Channel::Web,
        reporter: phone.map(|p| NewReporter {
            name: Some("Siti Aminah".into()),
            phone: Some(p.into()),
            email: Some("siti@example.id".into()),
            nik: Some("3374010101900001".into()),
            channel_address: None,
        }),
        visibility: Visibility::PUBLIK,
        show_reporter_name: false,
        needs_field_check: false,
        clocks: workflow::new_report_clocks(at, &policy, &calendar()),
        attachments: vec![],
        created_at: at,
        actor: "public".into(),
        entered_by: None,
    }
}

fn user_actor(id: i64, role: Role, agency: Option<&str>) -> Actor {
    Actor::User(UserActor {
        user_id: id,
        role,
        agency_id: agency.map(Into::into),
    })
}

fn sorted(mut v: ReportView) -> ReportView {
    v.clocks.sort_by_key(|c| c.kind);
    for a in &mut v.assignments {
        a.clocks.sort_by_key(|c| c.kind);
    }
    v.assignments.sort_by_key(|a| a.id);
    v
}

/// Decide `cmd` on the stored view, persist it, and check the store now holds what the domain says.
async fn step(
    store: &dyn Store,
    report_id: i64,
    actor: &Actor,
    cmd: Command,
    now: Timestamp,
) -> ReportView {
    let agencies = store.agencies().await.unwrap();
    let tree = AgencyTree::from_agencies(&agencies);
    let cal = calendar();
    let policy = store.sla_policy().await.unwrap();
    let ctx = Context {
        now,
        calendar: &cal,
        policy: &policy,
        agencies: &tree,
    };
    let view = store.report_view(report_id).await.unwrap().unwrap();
    let events =
        decide(&view, actor, &cmd, &ctx).unwrap_or_else(|e| panic!("{} refused: {e}", cmd.name()));
    let applied = store
        .apply_events(&ReportChange {
            report_id,
            expected_version: view.version,
            actor: actor.clone(),
            events: events.clone(),
            at: now,
            attachments: vec![],
        })
        .await
        .unwrap();
    let mut ids = applied.created_assignments.clone().into_iter();
    let expected = sorted(evolve(&view, &events, || {
        ids.next().expect("store reported every created assignment")
    }));
    let stored = sorted(store.report_view(report_id).await.unwrap().unwrap());
    assert_eq!(stored, expected, "after {}", cmd.name());
    assert_eq!(applied.version, stored.version);
    stored
}

pub async fn reference_data_round_trips<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    assert_eq!(store.count_regions().await.unwrap(), 7);
    // Importing again updates instead of duplicating.
    let mut regions = fixture_regions();
    regions[2].name = "Kota Semarang (diperbarui)".into();
    store.import_regions(&regions).await.unwrap();
    assert_eq!(store.count_regions().await.unwrap(), 7);
    assert_eq!(
        store.region("33.74").await.unwrap().unwrap().name,
        "Kota Semarang (diperbarui)"
    );
    let top = store.child_regions(None).await.unwrap();
    assert_eq!(
        top.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(),
        vec!["33"]
    );
    let kabkota = store.child_regions(Some("33")).await.unwrap();
    assert_eq!(
        kabkota.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        vec!["Kabupaten Semarang", "Kota Semarang (diperbarui)"]
    );
    assert!(store.region("99").await.unwrap().is_none());

    let agencies = store.agencies().await.unwrap();
    assert_eq!(agencies.len(), 5);
    let rsud = store.agency("rsud-moewardi").await.unwrap().unwrap();
    assert_eq!(rsud, fixture_agencies()[2]);
    let mut changed = rsud.clone();
    changed.head_name = Some("dr. Baru".into());
    changed.head_phone = Some("+6281299999999".into());
    store.update_agency(&changed, "user:1").await.unwrap();
    assert_eq!(
        store.agency("rsud-moewardi").await.unwrap().unwrap(),
        changed
    );
    let mut orphan = changed.clone();
    orphan.id = "nowhere".into();
    assert!(matches!(
        store.update_agency(&orphan, "user:1").await,
        Err(StoreError::NotFound(_))
    ));
    let mut bad_parent = changed.clone();
    bad_parent.parent_id = Some("nope".into());
    assert!(matches!(
        store.update_agency(&bad_parent, "user:1").await,
        Err(StoreError::Invalid(_))
    ));

    let cats = store.categories().await.unwrap();
    assert_eq!(cats, fixture_categories());
    let mut c = cats[1].clone();
    c.default_agency_id = Some("rsud-moewardi".into());
    store.update_category(&c, "user:1").await.unwrap();
    assert_eq!(store.categories().await.unwrap()[1], c);
    c.default_agency_id = Some("nope".into());
    assert!(matches!(
        store.update_category(&c, "user:1").await,
        Err(StoreError::Invalid(_))
    ));

    assert_eq!(store.holidays().await.unwrap(), fixture_holidays());
    let extra = Holiday {
        date: NaiveDate::from_ymd_opt(2026, 8, 18).unwrap(),
        kind: HolidayKind::CutiBersama,
        name: "Cuti bersama tambahan".into(),
    };
    store.put_holiday(&extra, "user:1").await.unwrap();
    assert_eq!(store.holidays().await.unwrap().len(), 3);
    assert_eq!(store.holidays().await.unwrap()[0], extra, "ordered by date");
    assert!(store.delete_holiday(extra.date, "user:1").await.unwrap());
    assert!(!store.delete_holiday(extra.date, "user:1").await.unwrap());
    verify_audit_chain(store).await.unwrap();
}

pub async fn sla_policy_defaults_and_updates<H: Harness>(h: &H) {
    let store = h.store();
    assert_eq!(store.sla_policy().await.unwrap(), SlaPolicy::jateng());
    store
        .set_sla_policy(&SlaPolicy::nasional(), "user:1")
        .await
        .unwrap();
    assert_eq!(store.sla_policy().await.unwrap(), SlaPolicy::nasional());
    let trail = store
        .audit_for_object("sla_policy", "current")
        .await
        .unwrap();
    assert_eq!(trail.len(), 1);
    assert!(trail[0].before.as_deref().unwrap().contains("jateng"));
    assert!(trail[0].after.as_deref().unwrap().contains("nasional"));
}

pub async fn users_tokens_and_sessions<H: Harness>(h: &H) {
    let store = h.store();
    seed(store.as_ref()).await;
    let new = NewUser {
        username: "petugas.dinkes".into(),
        display_name: "Petugas Dinkes".into(),
        role: Role::Petugas,
        agency_id: Some("dinkes".into()),
        email: Some("petugas@dinkes.example".into()),
        phone: None,
        password_hash: "$argon2id$fake".into(),
        created_at: t0(),
    };
    let u = store.create_user(&new, "system").await.unwrap();
    assert_eq!(u.username, "petugas.dinkes");
    assert_eq!(u.role, Role::Petugas);
    assert!(matches!(
        store.create_user(&new, "system").await,
        Err(StoreError::Conflict(_))
    ));
    let mut unknown_agency = new.clone();
    unknown_agency.username = "x".into();
    unknown_agency.agency_id = Some("nope".into());
    assert!(matches!(
        store.create_user(&unknown_agency, "system").await,
        Err(StoreError::Invalid(_))
    ));

    let (found, hash) = store
        .user_credentials("petugas.dinkes")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, u);
    assert_eq!(hash, "$argon2id$fake");
    assert!(store.user_credentials("nobody").await.unwrap().is_none());
    assert_eq!(store.user(u.id).await.unwrap().unwrap(), u);

    let patched = store
        .update_user(
            u.id,
            &UserPatch {
                role: Some(Role::Kepala),
                password_hash: Some("$argon2id$new".into()),
                ..Default::default()
            },
            "user:1",
        )
        .await
        .unwrap();
    assert_eq!(patched.role, Role::Kepala);
    assert_eq!(
        store
            .user_credentials("petugas.dinkes")
            .await
            .unwrap()
            .unwrap()
            .1,
        "$argon2id$new"
    );
    assert!(matches!(
        store
            .update_user(9999, &UserPatch::default(), "user:1")
            .await,
        Err(StoreError::NotFound(_))
    ));
    let audit = store
        .audit_for_object("user", &u.id.to_string())
        .await
        .unwrap();
    assert_eq!(audit.len(), 2);
    assert!(
        audit
            .iter()
            .all(|e| !e.after.as_deref().unwrap_or("").contains("argon2")),
        "hashes never reach the audit trail"
    );

    let token_id = store
        .create_api_token(u.id, "integrasi", "tokenhash", "user:1")
        .await
        .unwrap();
    assert_eq!(
        store
            .user_by_token_hash("tokenhash")
            .await
            .unwrap()
            .unwrap()
            .id,
        u.id
    );
    assert!(store.user_by_token_hash("other").await.unwrap().is_none());
    assert!(store.revoke_api_token(token_id, "user:1").await.unwrap());
    assert!(
        store
            .user_by_token_hash("tokenhash")
            .await
            .unwrap()
            .is_none()
    );
    // A deactivated user's tokens stop working too.
    store
        .create_api_token(u.id, "kedua", "tokenhash2", "user:1")
        .await
        .unwrap();
    store
        .update_user(
            u.id,
            &UserPatch {
                active: Some(false),
                ..Default::default()
            },
            "user:1",
        )
        .await
        .unwrap();
    assert!(
        store
            .user_by_token_hash("tokenhash2")
            .await
            .unwrap()
            .is_none()
    );

    let s = SessionRecord {
        id_hash: "sess".into(),
        user_id: Some(u.id),
        data: "{\"csrf\":\"x\"}".into(),
        expires_at: t0() + TimeDelta::hours(8),
    };
    store.session_save(&s).await.unwrap();
    assert_eq!(store.session_load("sess", t0()).await.unwrap().unwrap(), s);
    assert!(
        store
            .session_load("sess", t0() + TimeDelta::hours(9))
            .await
            .unwrap()
            .is_none(),
        "expired sessions are not loaded"
    );
    let s2 = SessionRecord {
        data: "{}".into(),
        ..s.clone()
    };
    store.session_save(&s2).await.unwrap();
    assert_eq!(
        store
            .session_load("sess", t0())
            .await
            .unwrap()
            .unwrap()
            .data,
        "{}"
    );
    store.session_delete("sess").await.unwrap();
    assert!(store.session_load("sess", t0()).await.unwrap().is_none());
}

pub async fn reports_are_created_with_reporters_and_clocks<H: Harness>(h: &H) {
    let store = h.store();
    seed(store.as_ref()).await;
    let mut rng = StdRng::seed_from_u64(1);
    let mut r = new_report(
        &mut rng,
        "Jalan berlubang di Jl. Pemuda",
        Some("+6281234567890"),
        t0(),
    );
    r.attachments.push(NewAttachment {
        filename: "foto.jpg".into(),
        content_type: "image/jpeg".into(),
        size_bytes: 1234,
        sha256: "ab".repeat(32),
        storage_key: "ab/abcd".into(),
    });
    let created = store.create_report(&r).await.unwrap();
    assert_eq!(created.tracking_id, r.tracking_id);
    let rec = store.report(created.id).await.unwrap().unwrap();
    assert_eq!(rec.title, r.title);
    assert_eq!(rec.status, ReportStatus::Baru);
    assert_eq!(rec.occurred_on, r.occurred_on);
    assert_eq!(rec.latitude, Some(-6.98));
    assert_eq!(rec.created_at, t0());
    let reporter = rec.reporter.clone().unwrap();
    assert_eq!(reporter.phone.as_deref(), Some("+6281234567890"));
    assert_eq!(reporter.nik.as_deref(), Some("3374010101900001"));
    assert_eq!(
        store
            .report_by_tracking_id(&r.tracking_id)
            .await
            .unwrap()
            .unwrap(),
        rec
    );
    assert_eq!(
        store.report_secret_hash(created.id).await.unwrap().unwrap(),
        r.secret_hash
    );

    let view = store.report_view(created.id).await.unwrap().unwrap();
    assert_eq!(view.status, ReportStatus::Baru);
    assert_eq!(sorted(view.clone()).clocks, {
        let mut c = r.clocks.clone();
        c.sort_by_key(|c| c.kind);
        c
    });
    assert_eq!(view.fields.category.as_deref(), Some("jalan-jembatan"));

    let att = store.attachments(created.id).await.unwrap();
    assert_eq!(att.len(), 1);
    assert_eq!(att[0].storage_key, "ab/abcd");
    assert_eq!(store.attachment(att[0].id).await.unwrap().unwrap(), att[0]);
    let acts = store.activities(created.id).await.unwrap();
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].kind, ActivityKind::Submitted);
    assert_eq!(att[0].activity_id, Some(acts[0].id));

    // Same phone, written differently upstream but normalised: the same reporter.
    let second = store
        .create_report(&new_report(
            &mut rng,
            "Lampu jalan mati",
            Some("+6281234567890"),
            t0(),
        ))
        .await
        .unwrap();
    assert_eq!(second.reporter_id, created.reporter_id);
    // A different phone is a different person, even when the e-mail address is shared.
    let other = store
        .create_report(&new_report(
            &mut rng,
            "Nomor lain",
            Some("+6281299998888"),
            t0(),
        ))
        .await
        .unwrap();
    assert_ne!(other.reporter_id, created.reporter_id);
    // A chat address links to a reporter too.
    let mut chat = new_report(&mut rng, "Lewat WhatsApp", None, t0());
    chat.channel = Channel::Whatsapp;
    chat.reporter = Some(NewReporter {
        channel_address: Some((Channel::Whatsapp, "6281234567890".into())),
        phone: Some("+6281234567890".into()),
        ..Default::default()
    });
    let third = store.create_report(&chat).await.unwrap();
    assert_eq!(third.reporter_id, created.reporter_id);
    let mut chat2 = new_report(&mut rng, "Lewat WhatsApp lagi", None, t0());
    chat2.reporter = Some(NewReporter {
        channel_address: Some((Channel::Whatsapp, "6281234567890".into())),
        ..Default::default()
    });
    assert_eq!(
        store.create_report(&chat2).await.unwrap().reporter_id,
        created.reporter_id
    );
    // Without any contact there is no reporter record.
    let anon = store
        .create_report(&new_report(&mut rng, "Tanpa identitas", None, t0()))
        .await
        .unwrap();
    assert_eq!(anon.reporter_id, None);

    // A taken tracking ID is a conflict and writes nothing.
    let before = store.count_reports().await.unwrap();
    let dup = new_report(&mut rng, "Tabrakan ID", None, t0());
    let dup = NewReport {
        tracking_id: r.tracking_id.clone(),
        ..dup
    };
    assert!(matches!(
        store.create_report(&dup).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.count_reports().await.unwrap(), before);
    // Unknown references are refused, not stored half-way.
    let mut bad = new_report(&mut rng, "Kategori aneh", None, t0());
    bad.category = Some("tidak-ada".into());
    assert!(matches!(
        store.create_report(&bad).await,
        Err(StoreError::Invalid(_))
    ));
    let mut bad = new_report(&mut rng, "Wilayah aneh", None, t0());
    bad.region_code = Some("99.99".into());
    assert!(matches!(
        store.create_report(&bad).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(store.count_reports().await.unwrap(), before);
    verify_audit_chain(store.as_ref()).await.unwrap();
}

pub async fn the_workflow_persists_exactly_what_the_domain_decides<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let mut rng = StdRng::seed_from_u64(2);
    let created = store
        .create_report(&new_report(
            &mut rng,
            "Jalan provinsi rusak parah",
            Some("+6281111111111"),
            t0(),
        ))
        .await
        .unwrap();
    let id = created.id;
    let op = user_actor(1, Role::Operator, None);
    let dpu = user_actor(2, Role::Petugas, Some("dpu-bmck"));
    let pemda = user_actor(3, Role::Petugas, Some("pemda-33-74"));
    let reporter = Actor::Reporter {
        reporter_id: created.reporter_id,
    };
    let mut now = t0();

    let edit = ReportEdit {
        title: Some("Jalan provinsi Semarang–Ungaran rusak parah".into()),
        needs_field_check: Some(true),
        ..Default::default()
    };
    step(store, id, &op, Command::Verify { edit }, now).await;
    now += TimeDelta::minutes(30);
    let v = step(
        store,
        id,
        &op,
        Command::Dispatch {
            targets: vec![
                DispatchTarget {
                    agency_id: "dpu-bmck".into(),
                    role: AssignmentRole::Utama,
                },
                DispatchTarget {
                    agency_id: "pemda-33-74".into(),
                    role: AssignmentRole::Pendukung,
                },
            ],
            note: Some("Mohon ditindaklanjuti".into()),
        },
        now,
    )
    .await;
    assert_eq!(v.status, ReportStatus::Didisposisikan);
    let (a_dpu, a_pemda) = (v.assignments[0].id, v.assignments[1].id);
    now += TimeDelta::hours(2);
    step(
        store,
        id,
        &pemda,
        Command::ReturnNotAuthority {
            assignment_id: a_pemda,
            reason: "Ruas jalan provinsi".into(),
        },
        now,
    )
    .await;
    now += TimeDelta::hours(1);
    step(
        store,
        id,
        &op,
        Command::AskReporter {
            question: "Mohon kirim titik lokasi".into(),
        },
        now,
    )
    .await;
    now += TimeDelta::days(1);
    step(
        store,
        id,
        &reporter,
        Command::ReporterReply {
            text: "Depan kantor kelurahan Miroto".into(),
        },
        now,
    )
    .await;
    for stage in [
        Stage::Verifikasi,
        Stage::CekLapangan,
        Stage::Pengerjaan,
        Stage::Tuntas,
    ] {
        now += TimeDelta::hours(5);
        step(
            store,
            id,
            &dpu,
            Command::PostUpdate {
                assignment_id: a_dpu,
                stage,
                note: format!("Tahap {stage}"),
            },
            now,
        )
        .await;
    }
    now += TimeDelta::days(1);
    step(
        store,
        id,
        &reporter,
        Command::Rate {
            score: 2,
            outcome: Outcome::NotFixed,
            comment: Some("Masih berlubang".into()),
        },
        now,
    )
    .await;
    let v = step(
        store,
        id,
        &reporter,
        Command::Reopen {
            reason: "Tambalan sudah rusak lagi".into(),
        },
        now,
    )
    .await;
    assert_eq!(v.status, ReportStatus::DibukaKembali);
    step(
        store,
        id,
        &user_actor(4, Role::Pimpinan, None),
        Command::AddInstruction {
            note: "Prioritaskan".into(),
        },
        now,
    )
    .await;
    now += TimeDelta::hours(3);
    step(
        store,
        id,
        &dpu,
        Command::PostUpdate {
            assignment_id: a_dpu,
            stage: Stage::Tuntas,
            note: "Sudah diaspal ulang".into(),
        },
        now,
    )
    .await;
    now += TimeDelta::hours(3);
    step(
        store,
        id,
        &reporter,
        Command::Rate {
            score: 5,
            outcome: Outcome::Fixed,
            comment: None,
        },
        now,
    )
    .await;
    let v = step(store, id, &reporter, Command::Confirm, now).await;
    assert_eq!(v.status, ReportStatus::Ditutup);

    let rec = store.report(id).await.unwrap().unwrap();
    assert_eq!(rec.title, "Jalan provinsi Semarang–Ungaran rusak parah");
    assert!(rec.needs_field_check);
    assert_eq!(rec.rating, Some(5));
    assert_eq!(rec.outcome, Some(Outcome::Fixed));
    assert_eq!(rec.reopen_count, 1);
    assert!(rec.dispatched_at.is_some() && rec.selesai_at.is_some());
    assert_eq!(rec.closed_at, Some(now));

    let asg = store.assignments(id).await.unwrap();
    assert_eq!(asg.len(), 2);
    let dpu_a = asg.iter().find(|a| a.id == a_dpu).unwrap();
    assert_eq!(dpu_a.stage, Stage::Tuntas);
    assert_eq!(dpu_a.agency_name, "Instansi dpu-bmck");
    assert!(dpu_a.first_response_at.is_some() && dpu_a.tuntas_at.is_some());
    assert!(dpu_a.response_due_at.is_some());
    let pemda_a = asg.iter().find(|a| a.id == a_pemda).unwrap();
    assert_eq!(pemda_a.stage, Stage::BukanWewenang);
    assert!(
        pemda_a.first_response_at.is_some(),
        "a reasoned return is a response"
    );

    let acts = store.activities(id).await.unwrap();
    let kinds: Vec<ActivityKind> = acts.iter().map(|a| a.kind).collect();
    for k in [
        ActivityKind::Submitted,
        ActivityKind::Edited,
        ActivityKind::Dispatched,
        ActivityKind::Returned,
        ActivityKind::AskedReporter,
        ActivityKind::ReporterReplied,
        ActivityKind::StageUpdate,
        ActivityKind::Rated,
        ActivityKind::Reopened,
        ActivityKind::Instruction,
        ActivityKind::StatusChanged,
    ] {
        assert!(kinds.contains(&k), "timeline lacks {k:?}: {kinds:?}");
    }
    let instruction = acts
        .iter()
        .find(|a| a.kind == ActivityKind::Instruction)
        .unwrap();
    assert!(!instruction.public, "leadership instructions are internal");
    let stage_notes: Vec<&str> = acts
        .iter()
        .filter(|a| a.kind == ActivityKind::StageUpdate)
        .filter_map(|a| a.note.as_deref())
        .collect();
    assert!(stage_notes.contains(&"Tahap cek_lapangan"));
    assert!(
        acts.windows(2).all(|w| w[0].id < w[1].id),
        "timeline in order"
    );

    let msgs = store.messages(id).await.unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].direction, tanggap_domain::Direction::Outbound);
    assert_eq!(msgs[0].body, "Mohon kirim titik lokasi");
    assert_eq!(msgs[1].direction, tanggap_domain::Direction::Inbound);

    let audit = store
        .audit_for_object("report", &id.to_string())
        .await
        .unwrap();
    assert!(
        audit.len() > 20,
        "every step is on the trail ({} events)",
        audit.len()
    );
    assert_eq!(audit[0].action, "report.created");
    assert!(audit.iter().any(|e| e.action == "assignment.stage_changed"
        && e.after.as_deref().unwrap().contains("cek_lapangan")));
    let edited = audit.iter().find(|e| e.action == "report.edited").unwrap();
    assert!(
        edited
            .before
            .as_deref()
            .unwrap()
            .contains("Jalan provinsi rusak parah")
    );
    verify_audit_chain(store).await.unwrap();
}

pub async fn stale_decisions_are_refused_and_write_nothing<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let mut rng = StdRng::seed_from_u64(3);
    let id = store
        .create_report(&new_report(&mut rng, "Puskesmas tutup", None, t0()))
        .await
        .unwrap()
        .id;
    let op = user_actor(1, Role::Operator, None);
    let view = store.report_view(id).await.unwrap().unwrap();
    step(
        store,
        id,
        &op,
        Command::Archive {
            reason: "Tidak jelas".into(),
        },
        t0(),
    )
    .await;
    let head = store.audit_head().await.unwrap();
    let cal = calendar();
    let policy = SlaPolicy::jateng();
    let tree = AgencyTree::from_agencies(&store.agencies().await.unwrap());
    let ctx = Context {
        now: t0(),
        calendar: &cal,
        policy: &policy,
        agencies: &tree,
    };
    let cmd = Command::Dispatch {
        targets: vec![DispatchTarget {
            agency_id: "dinkes".into(),
            role: AssignmentRole::Utama,
        }],
        note: None,
    };
    let events = decide(&view, &op, &cmd, &ctx).unwrap();
    let r = store
        .apply_events(&ReportChange {
            report_id: id,
            expected_version: view.version,
            actor: op,
            events,
            at: t0(),
            attachments: vec![],
        })
        .await;
    assert!(matches!(r, Err(StoreError::VersionConflict)), "{r:?}");
    assert_eq!(store.audit_head().await.unwrap(), head);
    assert!(store.assignments(id).await.unwrap().is_empty());
    assert_eq!(
        store.report(id).await.unwrap().unwrap().status,
        ReportStatus::Diarsipkan
    );
}

pub async fn failed_changes_leave_no_trace<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let mut rng = StdRng::seed_from_u64(4);
    let id = store
        .create_report(&new_report(&mut rng, "Sekolah pungli", None, t0()))
        .await
        .unwrap()
        .id;
    let view = store.report_view(id).await.unwrap().unwrap();
    let head = store.audit_head().await.unwrap();
    // An event naming an agency the database does not know (the tree was stale) must fail whole.
    let events = vec![
        workflow::Event::StatusChanged {
            from: ReportStatus::Baru,
            to: ReportStatus::Didisposisikan,
        },
        workflow::Event::AssignmentCreated {
            agency_id: "hilang".into(),
            role: AssignmentRole::Utama,
            forwarded_from: None,
            note: None,
            stage: Stage::MenungguRespon,
            responded: false,
        },
    ];
    let r = store
        .apply_events(&ReportChange {
            report_id: id,
            expected_version: view.version,
            actor: user_actor(1, Role::Operator, None),
            events,
            at: t0(),
            attachments: vec![],
        })
        .await;
    assert!(matches!(r, Err(StoreError::Invalid(_))), "{r:?}");
    assert_eq!(store.report_view(id).await.unwrap().unwrap(), view);
    assert_eq!(store.audit_head().await.unwrap(), head);
    // Unknown report.
    let r = store
        .apply_events(&ReportChange {
            report_id: 999_999,
            expected_version: 1,
            actor: Actor::System,
            events: vec![],
            at: t0(),
            attachments: vec![],
        })
        .await;
    assert!(matches!(r, Err(StoreError::NotFound(_))), "{r:?}");
    assert!(store.report_view(999_999).await.unwrap().is_none());
    assert!(store.report(999_999).await.unwrap().is_none());
}

pub async fn listing_filters_and_searches<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let mut rng = StdRng::seed_from_u64(5);
    let op = user_actor(1, Role::Operator, None);
    let titles = [
        "Jalan berlubang di Miroto",
        "Antrean BPJS sangat panjang",
        "Pungutan liar di SMA negeri",
        "Banjir rob di Tambaklorok",
        "Jembatan retak di Lerep",
    ];
    let mut ids = Vec::new();
    for (i, t) in titles.iter().enumerate() {
        let mut r = new_report(&mut rng, t, None, t0() + TimeDelta::hours(i as i64));
        if i == 4 {
            r.region_code = Some("33.22.10.2003".into());
        }
        if i == 2 {
            r.visibility = Visibility {
                anonim: true,
                rahasia: true,
            };
            r.category = Some("kesehatan".into());
        }
        if i == 1 {
            r.channel = Channel::Whatsapp;
        }
        ids.push(store.create_report(&r).await.unwrap().id);
    }
    // Dispatch two: one to dpu-bmck, one to the hospital (a sub-unit of dinkes).
    let dispatch = |agency: &str| Command::Dispatch {
        targets: vec![DispatchTarget {
            agency_id: agency.into(),
            role: AssignmentRole::Utama,
        }],
        note: None,
    };
    step(
        store,
        ids[0],
        &op,
        dispatch("dpu-bmck"),
        t0() + TimeDelta::hours(6),
    )
    .await;
    step(
        store,
        ids[1],
        &op,
        dispatch("rsud-moewardi"),
        t0() + TimeDelta::hours(6),
    )
    .await;
    step(
        store,
        ids[3],
        &op,
        Command::Archive {
            reason: "Di luar kewenangan".into(),
        },
        t0() + TimeDelta::hours(6),
    )
    .await;

    let list = |f: ReportFilter| async move {
        store
            .list_reports(&ReportFilter { limit: 50, ..f })
            .await
            .unwrap()
    };
    let all = list(ReportFilter::default()).await;
    assert_eq!(all.total, 5);
    assert_eq!(all.items[0].id, ids[4], "newest first");
    let oldest = list(ReportFilter {
        order: ReportOrder::OldestFirst,
        ..Default::default()
    })
    .await;
    assert_eq!(oldest.items[0].id, ids[0]);

    let baru = list(ReportFilter {
        statuses: vec![ReportStatus::Baru],
        ..Default::default()
    })
    .await;
    assert_eq!(baru.total, 2);
    let dinkes_scope = list(ReportFilter {
        agency_ids: Some(vec!["dinkes".into(), "rsud-moewardi".into()]),
        ..Default::default()
    })
    .await;
    assert_eq!(
        dinkes_scope.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![ids[1]]
    );
    let by_stage = list(ReportFilter {
        stage: Some(Stage::MenungguRespon),
        ..Default::default()
    })
    .await;
    assert_eq!(by_stage.total, 2);
    let by_region = list(ReportFilter {
        region: Some("33.22".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(
        by_region.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![ids[4]]
    );
    assert_eq!(
        list(ReportFilter {
            region: Some("33.2".into()),
            ..Default::default()
        })
        .await
        .total,
        0,
        "prefix matches whole code segments only"
    );
    assert_eq!(
        list(ReportFilter {
            region: Some("33.%".into()),
            ..Default::default()
        })
        .await
        .total,
        0,
        "wildcards in input are not wildcards"
    );
    assert_eq!(
        list(ReportFilter {
            category: Some("kesehatan".into()),
            ..Default::default()
        })
        .await
        .total,
        1
    );
    assert_eq!(
        list(ReportFilter {
            channel: Some(Channel::Whatsapp),
            ..Default::default()
        })
        .await
        .total,
        1
    );
    assert_eq!(
        list(ReportFilter {
            public_only: true,
            ..Default::default()
        })
        .await
        .total,
        4
    );
    let window = list(ReportFilter {
        created_from: Some(t0() + TimeDelta::hours(1)),
        created_to: Some(t0() + TimeDelta::hours(3)),
        ..Default::default()
    })
    .await;
    assert_eq!(window.total, 2, "from inclusive, to exclusive");

    let text = list(ReportFilter {
        text: Some("berlubang".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(
        text.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![ids[0]]
    );
    let text = list(ReportFilter {
        text: Some("BPJS antrean".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(
        text.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![ids[1]],
        "all words must match, any order, any case"
    );
    assert_eq!(
        list(ReportFilter {
            text: Some("\"unbalanced (query* OR".into()),
            ..Default::default()
        })
        .await
        .total,
        0,
        "odd input is searched, not an error"
    );

    // Overdue: 24 h after dispatch neither agency has responded.
    let later = t0() + TimeDelta::hours(6) + TimeDelta::hours(25);
    assert_eq!(
        list(ReportFilter {
            overdue_at: Some(later),
            ..Default::default()
        })
        .await
        .total,
        2
    );
    assert_eq!(
        list(ReportFilter {
            overdue_at: Some(t0() + TimeDelta::hours(7)),
            ..Default::default()
        })
        .await
        .total,
        0
    );

    let page = store
        .list_reports(&ReportFilter {
            limit: 2,
            offset: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 5);
    assert_eq!(
        page.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![ids[2], ids[1]]
    );
}

pub async fn audit_chain_verifies_and_detects_tampering<H: Harness>(h: &H) {
    let store = h.store();
    seed(store.as_ref()).await;
    let mut rng = StdRng::seed_from_u64(6);
    for i in 0..5 {
        store
            .create_report(&new_report(&mut rng, &format!("Laporan {i}"), None, t0()))
            .await
            .unwrap();
    }
    let e = store
        .append_audit(
            tanggap_domain::audit::NewAuditEvent::new("user:1", "user.login", "user", 1),
            t0(),
        )
        .await
        .unwrap();
    let head = store.audit_head().await.unwrap().unwrap();
    assert_eq!(head, (e.seq, e.hash.clone()));
    let summary = verify_audit_chain(store.as_ref()).await.unwrap();
    assert_eq!(summary.events, e.seq as u64);
    assert_eq!(summary.head_hash, e.hash);
    let page = store.audit_page(0, 3).await.unwrap();
    assert_eq!(
        page.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );

    let victim = e.seq / 2;
    h.tamper_audit_event(victim).await;
    match verify_audit_chain(store.as_ref()).await {
        Err(VerifyError::Broken(b)) => assert_eq!(b.seq(), victim, "{b}"),
        other => panic!("tampering went unnoticed: {other:?}"),
    }
}

pub async fn concurrent_submissions_all_land_in_one_chain<H: Harness>(h: &H) {
    let store = h.store();
    seed(store.as_ref()).await;
    let mut handles = Vec::new();
    for task in 0..8u64 {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(100 + task);
            let mut ids = Vec::new();
            for i in 0..25 {
                let phone = format!("+62812000{task:02}{i:03}");
                ids.push(
                    store
                        .create_report(&new_report(
                            &mut rng,
                            &format!("Laporan {task}-{i}"),
                            Some(&phone),
                            t0(),
                        ))
                        .await
                        .unwrap()
                        .id,
                );
            }
            ids
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 200);
    assert_eq!(store.count_reports().await.unwrap(), 200);
    let summary = verify_audit_chain(store.as_ref()).await.unwrap();
    assert!(summary.events >= 200);
}
