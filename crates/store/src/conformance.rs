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
    ReportStatus, Role, SecretToken, Stage, Visibility, WorkingCalendar, access::Audience,
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
            wrong_passwords_lock_an_account_until_a_time,
            changed_credentials_end_sessions_and_tokens,
            expired_sessions_are_purged,
            reports_are_created_with_reporters_and_clocks,
            attachments_are_reviewed_and_audited,
            the_workflow_persists_exactly_what_the_domain_decides,
            stale_decisions_are_refused_and_write_nothing,
            failed_changes_leave_no_trace,
            listing_filters_and_searches,
            audit_chain_verifies_and_detects_tampering,
            concurrent_submissions_all_land_in_one_chain,
            a_failing_submission_does_not_take_others_with_it,
            reports_written_together_read_back_as_written_alone,
            copies_carry_their_templates_history,
            status_totals_follow_every_change,
            listings_agree_however_they_are_found,
            searches_follow_reports_between_the_desk_and_agencies,
            a_search_among_many_open_reports_keeps_time_order,
            queues_and_obligations,
            obligations_keep_every_cycle_and_heads_their_history,
            reporter_updates_and_job_cursors,
            open311_keys_tokens_and_the_public_feed,
            inbound_messages_are_recorded_once_and_handled_in_order,
            the_outbox_keeps_each_address_in_order,
            a_crowd_behind_one_address_is_walked_once,
            a_receipt_is_enqueued_with_its_report_and_a_new_secret_with_its_message,
            // scheduler and notifications
            due_clocks_are_claimed_in_order_and_leased,
            firing_a_threshold_is_a_compare_and_set,
            concurrent_claims_never_share_a_clock,
            the_outbox_claims_retries_and_marks,
            in_app_notifications_are_read_by_their_user_only,
            digest_items_and_daily_jobs,
            // dashboards
            assignment_briefs_and_a_users_notifications_on_every_channel,
            notifications_sent_together_are_each_recorded,
            // connectors
            connectors_send_once_retry_link_and_record_updates_once,
            // the desk's assistant
            the_assistant_learns_from_leads_and_keeps_choices
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

/// Sunday 30 November 2025, 09:00 WIB.
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

/// Loads the fixture reference data, audited at [`t0`].
pub async fn seed(store: &dyn Store) {
    store
        .import_regions(&fixture_regions(), t0())
        .await
        .unwrap();
    store
        .import_agencies(&fixture_agencies(), "system", t0())
        .await
        .unwrap();
    store
        .import_categories(&fixture_categories(), "system", t0())
        .await
        .unwrap();
    store
        .import_holidays(&fixture_holidays(), "system", t0())
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
        notifications: vec![],
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
        inbound_id: None,
        open311: None,
        idempotency: None,
    }
}

/// A dispatch to the road agency as lead with the health office supporting.
fn road_lead_health_support() -> Command {
    Command::Dispatch {
        targets: vec![
            DispatchTarget {
                agency_id: "dpu-bmck".into(),
                role: AssignmentRole::Utama,
            },
            DispatchTarget {
                agency_id: "dinkes".into(),
                role: AssignmentRole::Pendukung,
            },
        ],
        note: None,
        note_public: false,
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
    store.import_regions(&regions, t0()).await.unwrap();
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
    store.update_agency(&changed, "user:1", t0()).await.unwrap();
    assert_eq!(
        store.agency("rsud-moewardi").await.unwrap().unwrap(),
        changed
    );
    let mut orphan = changed.clone();
    orphan.id = "nowhere".into();
    assert!(matches!(
        store.update_agency(&orphan, "user:1", t0()).await,
        Err(StoreError::NotFound(_))
    ));
    let mut bad_parent = changed.clone();
    bad_parent.parent_id = Some("nope".into());
    assert!(matches!(
        store.update_agency(&bad_parent, "user:1", t0()).await,
        Err(StoreError::Invalid(_))
    ));

    let cats = store.categories().await.unwrap();
    assert_eq!(cats, fixture_categories());
    let mut c = cats[1].clone();
    c.default_agency_id = Some("rsud-moewardi".into());
    store.update_category(&c, "user:1", t0()).await.unwrap();
    assert_eq!(store.categories().await.unwrap()[1], c);
    c.default_agency_id = Some("nope".into());
    assert!(matches!(
        store.update_category(&c, "user:1", t0()).await,
        Err(StoreError::Invalid(_))
    ));

    assert_eq!(store.holidays().await.unwrap(), fixture_holidays());
    let extra = Holiday {
        date: NaiveDate::from_ymd_opt(2026, 8, 18).unwrap(),
        kind: HolidayKind::CutiBersama,
        name: "Cuti bersama tambahan".into(),
    };
    store.put_holiday(&extra, "user:1", t0()).await.unwrap();
    assert_eq!(store.holidays().await.unwrap().len(), 3);
    assert_eq!(store.holidays().await.unwrap()[0], extra, "ordered by date");
    assert!(
        store
            .delete_holiday(extra.date, "user:1", t0())
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_holiday(extra.date, "user:1", t0())
            .await
            .unwrap()
    );
    verify_audit_chain(store).await.unwrap();
}

pub async fn sla_policy_defaults_and_updates<H: Harness>(h: &H) {
    let store = h.store();
    assert_eq!(store.sla_policy().await.unwrap(), SlaPolicy::jateng());
    let at = t0() + TimeDelta::hours(1);
    store
        .set_sla_policy(&SlaPolicy::nasional(), "user:1", at)
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
    assert_eq!(trail[0].occurred_at, at, "audited at the time given");
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
        integration: false,
        must_change_password: false,
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
            t0() + TimeDelta::minutes(5),
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
            .update_user(9999, &UserPatch::default(), "user:1", t0())
            .await,
        Err(StoreError::NotFound(_))
    ));
    let audit = store
        .audit_for_object("user", &u.id.to_string())
        .await
        .unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!(
        audit
            .iter()
            .map(|e| (e.action.as_str(), e.occurred_at))
            .collect::<Vec<_>>(),
        vec![
            ("user.created", t0()),
            ("user.updated", t0() + TimeDelta::minutes(5))
        ],
        "audited at the times given"
    );
    assert!(
        audit
            .iter()
            .all(|e| !e.after.as_deref().unwrap_or("").contains("argon2")),
        "hashes never reach the audit trail"
    );

    let token_id = store
        .create_api_token(u.id, "integrasi", "tokenhash", "user:1", t0())
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
    assert!(
        store
            .revoke_api_token(token_id, "user:1", t0())
            .await
            .unwrap()
    );
    assert!(
        store
            .user_by_token_hash("tokenhash")
            .await
            .unwrap()
            .is_none()
    );
    // A deactivated user's tokens stop working too.
    store
        .create_api_token(u.id, "kedua", "tokenhash2", "user:1", t0())
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
            t0(),
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

pub async fn attachments_are_reviewed_and_audited<H: Harness>(h: &H) {
    let store = h.store();
    seed(store.as_ref()).await;
    let mut rng = StdRng::seed_from_u64(11);
    let mut r = new_report(&mut rng, "Foto KTP terlampir", None, t0());
    for (i, name) in ["ktp.jpg", "jalan.jpg"].iter().enumerate() {
        r.attachments.push(NewAttachment {
            filename: (*name).into(),
            content_type: "image/jpeg".into(),
            size_bytes: 1000 + i as i64,
            sha256: format!("{i}").repeat(64),
            storage_key: format!("{i}{i}/{}", format!("{i}").repeat(64)),
        });
    }
    let created = store.create_report(&r).await.unwrap();
    let att = store.attachments(created.id).await.unwrap();
    assert_ne!(
        att[0].public_key, att[1].public_key,
        "keys are drawn per file"
    );
    let copy = FileCopy {
        content_type: "image/jpeg".into(),
        size_bytes: 900,
        sha256: "c".repeat(64),
        storage_key: format!("cc/{}", "c".repeat(64)),
    };
    let areas = vec![Area {
        x: 10.0,
        y: 20.0,
        w: 30.0,
        h: 15.0,
    }];
    let at = t0() + TimeDelta::minutes(3);
    let redacted = store
        .review_attachment(&AttachmentReview {
            attachment_id: att[0].id,
            decision: Review::Redacted,
            redacted: Some((copy.clone(), areas.clone())),
            actor: "user:1".into(),
            at,
        })
        .await
        .unwrap();
    assert_eq!(redacted.review, Review::Redacted);
    assert_eq!(
        store.attachment_files().await.unwrap(),
        vec![
            att[0].storage_key.clone(),
            att[1].storage_key.clone(),
            copy.storage_key.clone()
        ],
        "a backup carries the originals and the redacted copy"
    );
    assert_eq!(redacted.redacted.as_ref(), Some(&copy));
    assert_eq!(redacted.reviewed_at, Some(at));
    assert_eq!(redacted.public_file(), Some(copy.clone()));
    assert_eq!(
        redacted.storage_key, att[0].storage_key,
        "the original is kept"
    );
    let published = store
        .review_attachment(&AttachmentReview {
            attachment_id: att[1].id,
            decision: Review::Published,
            redacted: None,
            actor: "user:1".into(),
            at,
        })
        .await
        .unwrap();
    assert_eq!(
        published.public_file().unwrap().storage_key,
        att[1].storage_key
    );
    // A later decision replaces the earlier one (and drops the copy).
    let hidden = store
        .review_attachment(&AttachmentReview {
            attachment_id: att[0].id,
            decision: Review::Hidden,
            redacted: None,
            actor: "user:1".into(),
            at,
        })
        .await
        .unwrap();
    assert_eq!(
        (hidden.review, hidden.redacted.clone(), hidden.public_file()),
        (Review::Hidden, None, None)
    );
    assert_eq!(
        store.attachment_files().await.unwrap(),
        vec![att[0].storage_key.clone(), att[1].storage_key.clone()],
        "a dropped copy is no longer named"
    );
    assert_eq!(
        store
            .attachment_by_key(&att[0].public_key)
            .await
            .unwrap()
            .unwrap(),
        hidden
    );
    let missing = store
        .review_attachment(&AttachmentReview {
            attachment_id: 999_999,
            decision: Review::Hidden,
            redacted: None,
            actor: "user:1".into(),
            at,
        })
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
    let trail: Vec<_> = store
        .audit_for_object("report", &created.id.to_string())
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "attachment.reviewed")
        .collect();
    assert_eq!(trail.len(), 3);
    let first = trail[0].after.as_deref().unwrap();
    assert!(first.contains("\"decision\":\"redacted\"") && first.contains(&"c".repeat(64)));
    assert!(
        !first.contains("ktp.jpg"),
        "no file names on the trail: {first}"
    );
    verify_audit_chain(store.as_ref()).await.unwrap();
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
    // Named in URLs by a random key only, and not public before the desk reviews it.
    assert!(tanggap_domain::ids::is_attachment_key(&att[0].public_key));
    assert_eq!(
        store
            .attachment_by_key(&att[0].public_key)
            .await
            .unwrap()
            .unwrap(),
        att[0]
    );
    assert_eq!(att[0].review, Review::Pending);
    assert_eq!(att[0].public_file(), None);
    assert!(
        store
            .attachment_by_key(&"0".repeat(32))
            .await
            .unwrap()
            .is_none()
    );
    // The title is on the trail as a digest only.
    let created_event = store
        .audit_for_object("report", &created.id.to_string())
        .await
        .unwrap()
        .remove(0);
    assert_eq!(created_event.action, "report.created");
    assert!(!created_event.after.as_deref().unwrap().contains("Pemuda"));
    let acts = store.activities(created.id).await.unwrap();
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].kind, ActivityKind::Submitted);
    assert_eq!(att[0].activity_id, Some(acts[0].id));

    // The same phone typed again is not the same person: anyone can type a victim's number. The
    // second report gets its own record, and the first record is left as it was.
    let mut typed = new_report(&mut rng, "Lampu jalan mati", Some("+6281234567890"), t0());
    typed.reporter = Some(NewReporter {
        name: Some("Penyerang".into()),
        phone: Some("+6281234567890".into()),
        email: Some("penyerang@example.id".into()),
        ..Default::default()
    });
    let second = store.create_report(&typed).await.unwrap();
    assert_ne!(second.reporter_id, created.reporter_id);
    let first = store
        .report(created.id)
        .await
        .unwrap()
        .unwrap()
        .reporter
        .unwrap();
    assert_eq!(first, reporter, "the victim's record is untouched");
    let theirs = store
        .report(second.id)
        .await
        .unwrap()
        .unwrap()
        .reporter
        .unwrap();
    assert_eq!(theirs.name.as_deref(), Some("Penyerang"));
    assert_eq!(theirs.nik, None, "nothing of the victim's record");
    // A chat address the provider vouched for is the same person writing again: its first
    // report creates the record, later ones join it and fill in what it lacked.
    let mut chat = new_report(&mut rng, "Lewat WhatsApp", None, t0());
    chat.channel = Channel::Whatsapp;
    chat.reporter = Some(NewReporter {
        channel_address: Some((Channel::Whatsapp, "6281234567890".into())),
        phone: Some("+6281234567890".into()),
        ..Default::default()
    });
    let third = store.create_report(&chat).await.unwrap();
    assert_ne!(
        third.reporter_id, created.reporter_id,
        "not joined on the phone"
    );
    let mut chat2 = new_report(&mut rng, "Lewat WhatsApp lagi", None, t0());
    chat2.channel = Channel::Whatsapp;
    chat2.reporter = Some(NewReporter {
        name: Some("Budi".into()),
        channel_address: Some((Channel::Whatsapp, "6281234567890".into())),
        ..Default::default()
    });
    let fourth = store.create_report(&chat2).await.unwrap();
    assert_eq!(fourth.reporter_id, third.reporter_id);
    let joined = store
        .report(third.id)
        .await
        .unwrap()
        .unwrap()
        .reporter
        .unwrap();
    assert_eq!(
        (joined.name.as_deref(), joined.phone.as_deref()),
        (Some("Budi"), Some("+6281234567890"))
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
    step(
        store,
        id,
        &op,
        Command::Verify {
            edit,
            confirm: true,
        },
        now,
    )
    .await;
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
            note_public: false,
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
        ActivityKind::Verified,
        ActivityKind::DispatchNote,
    ] {
        assert!(kinds.contains(&k), "timeline lacks {k:?}: {kinds:?}");
    }
    let instruction = acts
        .iter()
        .find(|a| a.kind == ActivityKind::Instruction)
        .unwrap();
    assert_eq!(
        instruction.audience,
        tanggap_domain::access::Audience::Internal,
        "leadership instructions are internal"
    );
    for a in &acts {
        let want = match a.kind {
            ActivityKind::Edited | ActivityKind::Instruction | ActivityKind::DispatchNote => {
                tanggap_domain::access::Audience::Internal
            }
            ActivityKind::AskedReporter
            | ActivityKind::ReporterReplied
            | ActivityKind::MessageToReporter
            | ActivityKind::Reopened => tanggap_domain::access::Audience::Conversation,
            _ => tanggap_domain::access::Audience::Public,
        };
        assert_eq!(a.audience, want, "{:?}", a.kind);
    }
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
    let before = edited.before.as_deref().unwrap();
    let after = edited.after.as_deref().unwrap();
    assert!(
        !before.contains("Jalan provinsi rusak parah") && after.contains("\"changed\""),
        "edits are audited by field, without their text: {before} {after}"
    );
    // No free text on the trail: every note, question and answer of the story is held by its
    // timeline entry, which the audit record names.
    for e in &audit {
        let text = format!("{:?} {:?}", e.before, e.after);
        for a in acts.iter().filter(|a| a.kind != ActivityKind::Duplicate) {
            if let Some(note) = a.note.as_deref().filter(|n| n.len() > 6) {
                assert!(!text.contains(note), "`{note}` on the trail: {text}");
            }
        }
        for m in &msgs {
            assert!(!text.contains(&m.body), "`{}` on the trail", m.body);
        }
    }
    let asked = acts
        .iter()
        .find(|a| a.kind == ActivityKind::AskedReporter)
        .unwrap();
    assert!(audit.iter().any(|e| {
        e.action == "report.wait_started"
            && e.after
                .as_deref()
                .unwrap()
                .contains(&format!("\"activity_id\":{}", asked.id))
            && e.after
                .as_deref()
                .unwrap()
                .contains(&format!("\"message_id\":{}", msgs[0].id))
    }));
    verify_audit_chain(store).await.unwrap();
    // This case finishes, reopens, rates and completes: the counts compared them all.
    let d = counts_agree_with_the_facts(store).await;
    assert!(
        d.finished > 0 && d.reopened > 0 && d.rated > 0 && d.completed > 0,
        "the comparison covered no finished, reopened, rated or completed assignment: {d:?}"
    );
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
        note_public: false,
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
        note_public: false,
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
    for (categories, total) in [
        (vec!["kesehatan"], 1),
        (vec!["kesehatan", "tidak-ada"], 1),
        (vec!["tidak-ada"], 0),
    ] {
        assert_eq!(
            list(ReportFilter {
                categories: categories.into_iter().map(String::from).collect(),
                ..Default::default()
            })
            .await
            .total,
            total
        );
    }
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

    // Counted by status, category and kabupaten/kota, under the same filters as the list.
    let counts = |f: ReportFilter| async move {
        let mut c: Vec<(String, Option<String>, Option<String>, u64)> = store
            .report_counts(&f)
            .await
            .unwrap()
            .into_iter()
            .map(|c| {
                (
                    c.status.as_str().to_string(),
                    c.category,
                    c.kabkota,
                    c.count,
                )
            })
            .collect();
        c.sort();
        c
    };
    let row = |s: &str, c: &str, k: &str, n: u64| {
        (s.to_string(), Some(c.to_string()), Some(k.to_string()), n)
    };
    assert_eq!(
        counts(ReportFilter::default()).await,
        vec![
            row("baru", "jalan-jembatan", "33.22", 1),
            row("baru", "kesehatan", "33.74", 1),
            row("diarsipkan", "jalan-jembatan", "33.74", 1),
            row("didisposisikan", "jalan-jembatan", "33.74", 2),
        ]
    );
    assert_eq!(
        counts(ReportFilter {
            public_only: true,
            statuses: vec![ReportStatus::Baru, ReportStatus::Didisposisikan],
            created_from: Some(t0() + TimeDelta::hours(1)),
            limit: 1,
            ..Default::default()
        })
        .await,
        vec![
            row("baru", "jalan-jembatan", "33.22", 1),
            row("didisposisikan", "jalan-jembatan", "33.74", 1),
        ],
        "confidential left out, the period and statuses applied, the limit ignored"
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

/// Submissions arriving together may be committed together (group commit); one that fails
/// (a tracking ID already taken) gets its own error and the others are stored, once each, with
/// one audit event each on an unbroken chain. Chat reporters (found by their address) arriving
/// in the same burst are still one reporter per address.
pub async fn a_failing_submission_does_not_take_others_with_it<H: Harness>(h: &H) {
    let store = h.store();
    seed(store.as_ref()).await;
    let mut rng = StdRng::seed_from_u64(7);
    let taken = new_report(&mut rng, "Sudah ada", None, t0());
    store.create_report(&taken).await.unwrap();
    let mut handles = Vec::new();
    for i in 0..60u32 {
        let mut r = new_report(&mut rng, &format!("Laporan serentak {i}"), None, t0());
        if i % 10 == 3 {
            r.tracking_id = taken.tracking_id.clone();
        }
        if i % 10 == 5 {
            // The same WhatsApp number, three times in the burst.
            r.reporter = Some(NewReporter {
                name: None,
                phone: Some("+6281255500011".into()),
                email: None,
                nik: None,
                channel_address: Some((Channel::Whatsapp, "6281255500011".into())),
            });
            r.channel = Channel::Whatsapp;
        }
        let store = store.clone();
        handles.push(tokio::spawn(
            async move { (i, store.create_report(&r).await) },
        ));
    }
    let mut stored = Vec::new();
    let mut whatsapp_reporters = Vec::new();
    for h in handles {
        let (i, result) = h.await.unwrap();
        if i % 10 == 3 {
            assert!(
                matches!(result, Err(StoreError::Conflict(_))),
                "{i}: {result:?}"
            );
        } else {
            let c = result.unwrap_or_else(|e| panic!("{i}: {e}"));
            if i % 10 == 5 {
                whatsapp_reporters.push(c.reporter_id.expect("a reporter"));
            }
            stored.push(c.id);
        }
    }
    stored.sort();
    stored.dedup();
    assert_eq!(stored.len(), 54);
    assert_eq!(store.count_reports().await.unwrap(), 55);
    whatsapp_reporters.dedup();
    assert_eq!(whatsapp_reporters.len(), 1, "one reporter per chat address");
    let summary = verify_audit_chain(store.as_ref()).await.unwrap();
    let created = store
        .audit_page(0, 10_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == "report.created")
        .count();
    assert_eq!(created, 55, "one audit event per stored report");
    assert!(summary.events >= 55);
}

/// Reports arriving together are written together (group commit: on PostgreSQL one statement
/// per batch for every table, on SQLite prepared statements per batch); each must read back
/// exactly as the same report written alone: its fields, reporter, clocks, receipt, timeline
/// entry and audit event.
pub async fn reports_written_together_read_back_as_written_alone<H: Harness>(h: &H) {
    let store = h.store();
    seed(store.as_ref()).await;
    let mut rng = StdRng::seed_from_u64(71);
    let at = t0() + TimeDelta::milliseconds(1_234);
    let shapes: Vec<NewReport> = (0..24u32)
        .map(|i| {
            let phone = format!("+62812777{i:04}");
            let mut r = new_report(
                &mut rng,
                &format!("Laporan bersama {i}"),
                (i % 3 != 0).then_some(phone.as_str()),
                at + TimeDelta::seconds(i64::from(i)),
            );
            r.visibility = Visibility {
                anonim: i % 2 == 1,
                rahasia: i % 4 == 1,
            };
            r.show_reporter_name = i % 5 == 2;
            r.needs_field_check = i % 3 == 1;
            r.kind = if i % 2 == 0 {
                ReportKind::Pengaduan
            } else {
                ReportKind::Aspirasi
            };
            r.channel = [Channel::Web, Channel::Sms, Channel::Email][i as usize % 3];
            if i % 4 == 3 {
                (r.latitude, r.longitude, r.address, r.occurred_on) = (None, None, None, None);
                r.region_code = Some("33.74".into());
                r.category = None;
            }
            if i % 2 == 0 {
                r.notifications = vec![sms_receipt(
                    &format!("receipt:bersama:{i}"),
                    &phone,
                    &format!("Tautan {i}"),
                )];
            }
            r
        })
        .collect();
    // The same shapes under fresh tracking IDs: one at a time, then all at once.
    let twin = |r: &NewReport, rng: &mut StdRng| {
        let mut t = r.clone();
        t.tracking_id = TrackingId::generate("LG", rng);
        t.secret_hash = SecretToken::generate(rng).hash();
        for n in &mut t.notifications {
            n.idempotency_key.push_str(":twin");
        }
        t
    };
    let mut alone = Vec::new();
    for r in &shapes {
        alone.push(store.create_report(r).await.unwrap());
    }
    let twins: Vec<NewReport> = shapes.iter().map(|r| twin(r, &mut rng)).collect();
    let handles: Vec<_> = twins
        .iter()
        .cloned()
        .map(|r| {
            let store = store.clone();
            tokio::spawn(async move { store.create_report(&r).await })
        })
        .collect();
    let mut together = Vec::new();
    for h in handles {
        together.push(h.await.unwrap().unwrap());
    }
    for ((r, a), (t, b)) in shapes.iter().zip(&alone).zip(twins.iter().zip(&together)) {
        let (ra, rb) = (
            store.report(a.id).await.unwrap().unwrap(),
            store.report(b.id).await.unwrap().unwrap(),
        );
        assert_eq!(rb.tracking_id, t.tracking_id);
        assert_eq!(rb.reporter.as_ref().map(|p| p.id), b.reporter_id);
        assert_eq!(b.reporter_id.is_some(), r.reporter.is_some(), "{}", r.title);
        let same = |mut x: ReportRecord| {
            x.id = 0;
            x.tracking_id = r.tracking_id.clone();
            if let Some(p) = &mut x.reporter {
                p.id = 0;
            }
            x
        };
        assert_eq!(same(rb.clone()), same(ra.clone()), "{}", r.title);
        assert_eq!(
            (rb.title.as_str(), rb.visibility, rb.kind, rb.channel),
            (r.title.as_str(), r.visibility, r.kind, r.channel)
        );
        assert_eq!(
            store.report_secret_hash(b.id).await.unwrap().as_deref(),
            Some(t.secret_hash.as_str())
        );
        let (va, vb) = (
            sorted(store.report_view(a.id).await.unwrap().unwrap()),
            sorted(store.report_view(b.id).await.unwrap().unwrap()),
        );
        assert_eq!(vb.clocks, va.clocks, "{}", r.title);
        let notes = |id| {
            let store = store.clone();
            async move {
                store
                    .notifications_for_report(id)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|n| (n.action, n.address, n.subject, n.body, n.status))
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(notes(b.id).await, notes(a.id).await, "{}", r.title);
        assert_eq!(notes(b.id).await.len(), r.notifications.len());
        let acts = |id| {
            let store = store.clone();
            async move {
                store
                    .activities(id)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|x| (x.kind, x.note, x.actor, x.created_at))
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(acts(b.id).await, acts(a.id).await, "{}", r.title);
        let created = |id: i64| {
            let store = store.clone();
            async move {
                let events = store
                    .audit_for_object("report", &id.to_string())
                    .await
                    .unwrap();
                assert_eq!(events.len(), 1);
                events.into_iter().next().unwrap()
            }
        };
        let (ea, eb) = (created(a.id).await, created(b.id).await);
        assert_eq!(
            eb.after,
            Some(serde_json::to_string(&redact::report_created(t, b.reporter_id)).unwrap())
        );
        assert_eq!(
            (eb.actor, eb.action, eb.occurred_at),
            (ea.actor, ea.action, ea.occurred_at)
        );
    }
    assert_eq!(
        store.count_reports().await.unwrap(),
        2 * shapes.len() as u64
    );
    verify_audit_chain(store.as_ref()).await.unwrap();
}

/// Scale data: a copy holds its template's history, moved in time and re-pointed at its own
/// reporter, text and lead agency; it is searchable, audited on the chain, and reports filed
/// afterwards get fresh ids.
pub async fn copies_carry_their_templates_history<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let mut rng = StdRng::seed_from_u64(44);
    let created = store
        .create_report(&new_report(
            &mut rng,
            "Jalan provinsi berlubang",
            Some("+6281111111111"),
            t0(),
        ))
        .await
        .unwrap();
    let id = created.id;
    let op = user_actor(1, Role::Operator, None);
    let pemda = user_actor(3, Role::Petugas, Some("pemda-33-74"));
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
            note_public: false,
        },
        t0() + TimeDelta::minutes(30),
    )
    .await;
    let a_pemda = v.assignments[1].id;
    let template = step(
        store,
        id,
        &pemda,
        Command::ReturnNotAuthority {
            assignment_id: a_pemda,
            reason: "Ruas jalan provinsi".into(),
        },
        t0() + TimeDelta::hours(3),
    )
    .await;

    let shift = -TimeDelta::weeks(30);
    let copy = |n: u64, lead: Option<(&str, &str)>| ReportCopy {
        template_id: id,
        shift,
        tracking_id: TrackingId::generate("LG", &mut StdRng::seed_from_u64(1000 + n)),
        secret_hash: SecretToken::generate(&mut StdRng::seed_from_u64(n)).hash(),
        title: format!("Puskesmas kekurangan obat {n}"),
        body: "Stok obat hipertensi di puskesmas kosong sejak sebulan.".into(),
        region_code: Some("33.74.01.1001".into()),
        category: Some("kesehatan".into()),
        lead: lead.map(|(a, b)| (a.to_string(), b.to_string())),
        reporter: Some(("Budi Santoso".into(), format!("+62859000000{n:02}"))),
    };
    let copies = vec![copy(1, Some(("dpu-bmck", "dinkes"))), copy(2, None)];
    assert_eq!(store.copy_reports(&copies).await.unwrap(), 2);
    assert_eq!(store.count_reports().await.unwrap(), 3);

    let record = store
        .report_by_tracking_id(&copies[0].tracking_id)
        .await
        .unwrap()
        .expect("the copy is found by its tracking ID");
    let original = store.report(id).await.unwrap().unwrap();
    assert_ne!(record.id, id);
    assert_eq!(record.title, "Puskesmas kekurangan obat 1");
    assert_eq!(record.category.as_deref(), Some("kesehatan"));
    assert_eq!(record.status, original.status);
    assert_eq!(record.created_at, original.created_at + shift);
    // Its own reporter, never the template's.
    let reporter = record.reporter.clone().expect("a reporter");
    assert_ne!(Some(reporter.id), original.reporter.as_ref().map(|r| r.id));
    assert_eq!(reporter.phone.as_deref(), Some("+6285900000001"));
    assert_eq!(reporter.nik, None);

    // The same state, moved in time, with the lead agency swapped.
    let moved = |c: &tanggap_domain::clock::Clock| tanggap_domain::clock::Clock {
        started_at: c.started_at + shift,
        running_since: c.running_since.map(|t| t + shift),
        due_at: c.due_at.map(|t| t + shift),
        stopped_at: c.stopped_at.map(|t| t + shift),
        next_fire_at: c
            .next_fire_at
            .filter(|_| c.stopped_at.is_none())
            .map(|t| t + shift),
        ..c.clone()
    };
    let got = sorted(store.report_view(record.id).await.unwrap().unwrap());
    // The clocks still open of several reports in one read (the desk's deadlines), each with
    // its assignment's stage; stopped ones (the triage, the returned assignment's) left out.
    let open = store.open_clocks(&[record.id, i64::MAX, id]).await.unwrap();
    let open_of = |view: &ReportView| {
        let own = view.clocks.iter().map(|c| (0, None, c));
        let theirs = view.assignments.iter().flat_map(|a| {
            a.clocks
                .iter()
                .map(move |c| (a.id, Some((a.stage, a.responded)), c))
        });
        let mut want: Vec<OpenClock> = own
            .chain(theirs)
            .filter(|(_, _, c)| c.stopped_at.is_none())
            .map(|(assignment_id, assignment, c)| OpenClock {
                report_id: view.id,
                assignment_id,
                assignment,
                clock: c.clone(),
            })
            .collect();
        want.sort_by_key(|o| (o.assignment_id, o.clock.kind));
        want
    };
    let mut have = open.clone();
    have.sort_by_key(|o| (o.report_id != record.id, o.assignment_id, o.clock.kind));
    let want = [open_of(&got), open_of(&template)].concat();
    let all = |v: &ReportView| {
        v.clocks.len() + v.assignments.iter().map(|a| a.clocks.len()).sum::<usize>()
    };
    assert!(!want.is_empty() && want.len() < all(&got) + all(&template));
    assert_eq!(have, want);
    assert_eq!(got.status, template.status);
    assert_eq!(got.version, template.version);
    assert_eq!(
        got.clocks,
        template.clocks.iter().map(moved).collect::<Vec<_>>()
    );
    assert_eq!(got.assignments.len(), template.assignments.len());
    for (g, t) in got.assignments.iter().zip(&template.assignments) {
        let agency = if t.agency_id == "dpu-bmck" {
            "dinkes"
        } else {
            t.agency_id.as_str()
        };
        assert_eq!(g.agency_id, agency);
        assert_eq!(
            (g.role, g.stage, g.responded),
            (t.role, t.stage, t.responded)
        );
        assert_eq!(g.clocks, t.clocks.iter().map(moved).collect::<Vec<_>>());
        assert!(!template.assignments.iter().any(|x| x.id == g.id));
    }
    let (tl, cl) = (
        store.activities(id).await.unwrap(),
        store.activities(record.id).await.unwrap(),
    );
    assert_eq!(tl.len(), cl.len());
    for (t, c) in tl.iter().zip(&cl) {
        assert_eq!((c.kind, c.stage, c.audience), (t.kind, t.stage, t.audience));
        assert_eq!(c.created_at, t.created_at + shift);
        assert_eq!(c.report_id, record.id);
    }
    let (to, co) = (
        store.report_obligations(id).await.unwrap(),
        store.report_obligations(record.id).await.unwrap(),
    );
    assert_eq!(to.len(), co.len());
    for (t, c) in to.iter().zip(&co) {
        assert_eq!(c.tracking_id, copies[0].tracking_id);
        assert_eq!(c.started_at, t.started_at + shift);
        assert_eq!(c.due_at, t.due_at + shift);
        assert_eq!(c.responded_at, t.responded_at.map(|x| x + shift));
        assert_eq!(c.cancelled_at, t.cancelled_at.map(|x| x + shift));
    }
    // Without a new lead the template's agencies stay.
    let second = store
        .report_by_tracking_id(&copies[1].tracking_id)
        .await
        .unwrap()
        .unwrap();
    let agencies: Vec<String> = store
        .assignments(second.id)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.agency_id)
        .collect();
    assert_eq!(agencies, ["dpu-bmck", "pemda-33-74"]);

    // Audited like the template, on the one chain.
    let (ta, ca) = (
        store
            .audit_for_object("report", &id.to_string())
            .await
            .unwrap(),
        store
            .audit_for_object("report", &record.id.to_string())
            .await
            .unwrap(),
    );
    assert_eq!(
        ca.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ta.iter().map(|e| e.action.as_str()).collect::<Vec<_>>()
    );
    assert!(
        ca.iter()
            .zip(&ta)
            .all(|(c, t)| c.occurred_at == t.occurred_at + shift)
    );
    verify_audit_chain(store).await.unwrap();

    // Searchable by its own words.
    let found = store
        .list_reports(&ReportFilter {
            text: Some("puskesmas".into()),
            limit: 10,
            ..ReportFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(found.total, 2);

    // What comes after gets fresh ids.
    let later = store
        .create_report(&new_report(
            &mut rng,
            "Laporan sesudahnya",
            Some("+6281222222222"),
            t0(),
        ))
        .await
        .unwrap();
    assert!(later.id > second.id);
    assert_eq!(store.copy_reports(&[copy(3, None)]).await.unwrap(), 1);
    assert_eq!(store.count_reports().await.unwrap(), 5);
    verify_audit_chain(store).await.unwrap();
}

/// A listing by status alone takes its total from the per-status counts the store keeps; they
/// agree with counting the reports after submissions, changes, confidential reports and copies.
pub async fn status_totals_follow_every_change<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let mut ids = dispatched_reports(store, 3, 71).await;
    let mut rng = StdRng::seed_from_u64(72);
    for i in 0..4 {
        let mut r = new_report(&mut rng, &format!("Rahasia {i}"), None, t0());
        if i % 2 == 0 {
            r.visibility = Visibility {
                anonim: false,
                rahasia: true,
            };
        }
        ids.push(store.create_report(&r).await.unwrap().id);
    }
    let op = user_actor(1, Role::Operator, None);
    step(
        store,
        ids[3],
        &op,
        Command::Archive {
            reason: "Bukan pengaduan".into(),
        },
        t0() + TimeDelta::hours(1),
    )
    .await;
    let copy = ReportCopy {
        template_id: ids[0],
        shift: -TimeDelta::weeks(2),
        tracking_id: TrackingId::generate("LG", &mut rng),
        secret_hash: "0".repeat(64),
        title: "Salinan".into(),
        body: "Salinan laporan untuk uji skala.".into(),
        region_code: None,
        category: None,
        lead: None,
        reporter: None,
    };
    store.copy_reports(&[copy]).await.unwrap();
    let long_ago = t0() - TimeDelta::days(36_500);
    for public_only in [false, true] {
        for statuses in [
            vec![],
            vec![ReportStatus::Baru],
            vec![ReportStatus::Didisposisikan, ReportStatus::Diarsipkan],
            vec![ReportStatus::Ditutup],
        ] {
            let kept = ReportFilter {
                statuses: statuses.clone(),
                public_only,
                limit: 1,
                ..ReportFilter::default()
            };
            assert!(kept.by_status_only());
            let counted = ReportFilter {
                created_from: Some(long_ago),
                ..kept.clone()
            };
            assert!(!counted.by_status_only());
            let (a, b) = (
                store.list_reports(&kept).await.unwrap().total,
                store.list_reports(&counted).await.unwrap().total,
            );
            assert_eq!(a, b, "{statuses:?} public_only={public_only}");
        }
    }
    assert_eq!(
        store
            .list_reports(&ReportFilter {
                limit: 1,
                ..ReportFilter::default()
            })
            .await
            .unwrap()
            .total,
        8
    );
}

/// The listings find their reports through different indexes depending on the filters (see the
/// stores' `list_reports`): every way gives the same reports, in order, with the same totals.
pub async fn listings_agree_however_they_are_found<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let mut rng = StdRng::seed_from_u64(81);
    let specs = [
        ("Jembatan putus dekat pasar", Some("33.22.10"), Channel::Web),
        (
            "Sekolah memungut biaya seragam",
            Some("33.74.01"),
            Channel::Sms,
        ),
        (
            "Jembatan retak di kelurahan",
            Some("33.74.01.1001"),
            Channel::Whatsapp,
        ),
        ("Lampu penerangan padam", None, Channel::Sms),
        ("Jembatan kayu lapuk", Some("33.74"), Channel::Web),
    ];
    let mut ids = Vec::new();
    for (i, (title, region, channel)) in specs.iter().enumerate() {
        let mut r = new_report(&mut rng, title, None, t0() + TimeDelta::minutes(i as i64));
        r.region_code = region.map(Into::into);
        r.channel = *channel;
        ids.push(store.create_report(&r).await.unwrap().id);
    }
    let op = user_actor(1, Role::Operator, None);
    let archive = |at: Timestamp| {
        (
            Command::Archive {
                reason: "Bukan pengaduan".into(),
            },
            at,
        )
    };
    let (cmd, at) = archive(t0() + TimeDelta::hours(1));
    step(store, ids[4], &op, cmd, at).await;
    let list = |f: ReportFilter| async move {
        let page = store.list_reports(&f).await.unwrap();
        let got: Vec<i64> = page.items.iter().map(|r| r.id).collect();
        (got, page.total)
    };
    let open = vec![ReportStatus::Baru, ReportStatus::DibukaKembali];
    let text = |t: &str| Some(t.to_string());
    let base = ReportFilter {
        order: ReportOrder::OldestFirst,
        limit: 50,
        ..ReportFilter::default()
    };
    // Open statuses with a word: the open reports' index; the archived one is not found.
    assert_eq!(
        list(ReportFilter {
            statuses: open.clone(),
            text: text("jembatan"),
            ..base.clone()
        })
        .await,
        (vec![ids[0], ids[2]], 2)
    );
    // Any status: every report's index, counted by the index itself.
    assert_eq!(
        list(ReportFilter {
            text: text("jembatan"),
            ..base.clone()
        })
        .await,
        (vec![ids[0], ids[2], ids[4]], 3)
    );
    assert_eq!(
        list(ReportFilter {
            text: text("jembatan sekolah"),
            text_any_word: true,
            ..base.clone()
        })
        .await,
        (vec![ids[0], ids[1], ids[2], ids[4]], 4)
    );
    assert_eq!(
        list(ReportFilter {
            text: text("jembatan sekolah"),
            ..base.clone()
        })
        .await,
        (vec![], 0)
    );
    // A region and every region below it, never a longer code that merely starts the same.
    assert_eq!(
        list(ReportFilter {
            region: text("33.74"),
            ..base.clone()
        })
        .await,
        (vec![ids[1], ids[2], ids[4]], 3)
    );
    assert_eq!(
        list(ReportFilter {
            region: text("33.74.01"),
            ..base.clone()
        })
        .await,
        (vec![ids[1], ids[2]], 2)
    );
    assert_eq!(
        list(ReportFilter {
            region: text("33.7"),
            ..base.clone()
        })
        .await,
        (vec![], 0)
    );
    // Several open statuses, by channel, paged: merged per status in time order.
    assert_eq!(
        list(ReportFilter {
            statuses: open.clone(),
            channel: Some(Channel::Sms),
            ..base.clone()
        })
        .await,
        (vec![ids[1], ids[3]], 2)
    );
    for (order, expect) in [
        (ReportOrder::OldestFirst, ids[1]),
        (ReportOrder::NewestFirst, ids[2]),
    ] {
        assert_eq!(
            list(ReportFilter {
                statuses: open.clone(),
                order,
                limit: 1,
                offset: 1,
                ..base.clone()
            })
            .await,
            (vec![expect], 4)
        );
    }
    // Not counted: the total is the page's length.
    assert_eq!(
        list(ReportFilter {
            text: text("jembatan"),
            limit: 1,
            skip_total: true,
            ..base.clone()
        })
        .await,
        (vec![ids[0]], 1)
    );
    // Counted up to a bound: with more matches the total is one more than the bound ("more
    // than"), with as many or fewer it is exact; the page is the same. Every way of counting:
    // the open reports' index among statuses, the index alone, and a region's range.
    for (filter, found, all) in [
        (
            ReportFilter {
                statuses: open.clone(),
                text: text("jembatan"),
                ..base.clone()
            },
            vec![ids[0], ids[2]],
            2,
        ),
        (
            ReportFilter {
                text: text("jembatan"),
                ..base.clone()
            },
            vec![ids[0], ids[2], ids[4]],
            3,
        ),
        (
            ReportFilter {
                region: text("33.74"),
                ..base.clone()
            },
            vec![ids[1], ids[2], ids[4]],
            3,
        ),
        (
            ReportFilter {
                statuses: open.clone(),
                ..base.clone()
            },
            vec![ids[0], ids[1], ids[2], ids[3]],
            4,
        ),
    ] {
        for cap in 0..=all + 1 {
            assert_eq!(
                list(ReportFilter {
                    count_up_to: Some(cap),
                    ..filter.clone()
                })
                .await,
                (found.clone(), all.min(cap + 1)),
                "{filter:?} counted up to {cap}"
            );
        }
    }
    // A report leaving the open statuses leaves the open reports' search.
    let (cmd, at) = archive(t0() + TimeDelta::hours(2));
    step(store, ids[0], &op, cmd, at).await;
    assert_eq!(
        list(ReportFilter {
            statuses: open.clone(),
            text: text("jembatan"),
            ..base.clone()
        })
        .await,
        (vec![ids[2]], 1)
    );
}

/// A search among the reports waiting for the desk, among those with agencies, or both, finds
/// each report where its status is now, with its title as it is now; the total is the number
/// of matches however it is counted.
pub async fn searches_follow_reports_between_the_desk_and_agencies<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let mut rng = StdRng::seed_from_u64(83);
    let mut ids = Vec::new();
    for (i, title) in [
        "Jembatan putus dekat pasar",
        "Jembatan retak di kelurahan",
        "Sekolah memungut biaya seragam",
    ]
    .iter()
    .enumerate()
    {
        let r = new_report(&mut rng, title, None, t0() + TimeDelta::minutes(i as i64));
        ids.push(store.create_report(&r).await.unwrap().id);
    }
    let op = user_actor(1, Role::Operator, None);
    let desk = ReportStatus::AWAITING_DESK.to_vec();
    let agencies = vec![
        ReportStatus::Didisposisikan,
        ReportStatus::Diproses,
        ReportStatus::Selesai,
    ];
    let mixed = vec![ReportStatus::Baru, ReportStatus::Didisposisikan];
    let search = |statuses: &Vec<ReportStatus>, words: &str| {
        let f = ReportFilter {
            statuses: statuses.clone(),
            text: Some(words.to_string()),
            order: ReportOrder::OldestFirst,
            limit: 50,
            ..ReportFilter::default()
        };
        async move {
            let page = store.list_reports(&f).await.unwrap();
            let got: Vec<i64> = page.items.iter().map(|r| r.id).collect();
            (got, page.total)
        }
    };
    assert_eq!(search(&desk, "jembatan").await, (vec![ids[0], ids[1]], 2));
    assert_eq!(search(&agencies, "jembatan").await, (vec![], 0));
    // Dispatched: from the desk's reports to the agencies'.
    step(
        store,
        ids[0],
        &op,
        road_lead_health_support(),
        t0() + TimeDelta::hours(1),
    )
    .await;
    assert_eq!(search(&desk, "jembatan").await, (vec![ids[1]], 1));
    assert_eq!(search(&agencies, "jembatan").await, (vec![ids[0]], 1));
    assert_eq!(search(&mixed, "jembatan").await, (vec![ids[0], ids[1]], 2));
    assert_eq!(
        search(&vec![ReportStatus::Didisposisikan], "putus").await,
        (vec![ids[0]], 1)
    );
    // Edited while waiting for the desk: found by its new words only.
    let edit = ReportEdit {
        title: Some("Lampu penerangan padam".into()),
        body: Some("Lampu penerangan di kelurahan padam sejak sepekan.".into()),
        ..Default::default()
    };
    step(
        store,
        ids[1],
        &op,
        Command::Verify {
            edit,
            confirm: true,
        },
        t0() + TimeDelta::hours(2),
    )
    .await;
    assert_eq!(search(&desk, "jembatan").await, (vec![], 0));
    assert_eq!(search(&desk, "lampu").await, (vec![ids[1]], 1));
    assert_eq!(search(&mixed, "lampu").await, (vec![ids[1]], 1));
    // Archived: in no open report's search, still in every report's.
    step(
        store,
        ids[2],
        &op,
        Command::Archive {
            reason: "Bukan pengaduan".into(),
        },
        t0() + TimeDelta::hours(3),
    )
    .await;
    assert_eq!(search(&desk, "sekolah").await, (vec![], 0));
    assert_eq!(search(&vec![], "sekolah").await, (vec![ids[2]], 1));
    assert_eq!(
        search(&vec![ReportStatus::Diarsipkan], "sekolah").await,
        (vec![ids[2]], 1)
    );
}

/// A word in a thousand of the desk's reports and one in a few hundred: the page is the oldest
/// (or newest) matches in time order and the total as counted, however the stores find them
/// (the SQLite store reads few matches from the search index and walks the time order for
/// many; the PostgreSQL store walks the time order above a few hundred).
pub async fn a_search_among_many_open_reports_keeps_time_order<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let mut rng = StdRng::seed_from_u64(85);
    let template = store
        .create_report(&new_report(&mut rng, "Jembatan rusak", None, t0()))
        .await
        .unwrap()
        .id;
    let copies: Vec<ReportCopy> = (0..1_000u64)
        .map(|n| ReportCopy {
            template_id: template,
            // Out of id order: every fourth copy is the older of its neighbours.
            shift: -TimeDelta::minutes((n as i64 + 1) * 10 + if n % 4 == 0 { 25 } else { 0 }),
            tracking_id: TrackingId::generate("LG", &mut rng),
            secret_hash: SecretToken::generate(&mut rng).hash(),
            title: if n % 3 == 0 {
                format!("Jembatan rusak diterjang banjir {n}")
            } else {
                format!("Jembatan rusak {n}")
            },
            body: "Jembatan desa rusak dan belum diperbaiki.".into(),
            region_code: Some("33.74.01.1001".into()),
            category: Some("jalan-jembatan".into()),
            lead: None,
            reporter: None,
        })
        .collect();
    assert_eq!(store.copy_reports(&copies).await.unwrap(), 1_000);
    let desk = ReportStatus::AWAITING_DESK.to_vec();
    for order in [ReportOrder::OldestFirst, ReportOrder::NewestFirst] {
        let base = ReportFilter {
            statuses: desk.clone(),
            order,
            limit: 500,
            ..ReportFilter::default()
        };
        let first = store.list_reports(&base).await.unwrap();
        assert_eq!(first.total, 1_001);
        let ids = |rs: &[ReportRecord]| rs.iter().map(|r| r.id).collect::<Vec<_>>();
        let with_banjir: Vec<i64> = first
            .items
            .iter()
            .filter(|r| r.title.contains("banjir"))
            .map(|r| r.id)
            .take(50)
            .collect();
        for (words, want, total, cap) in [
            ("jembatan", ids(&first.items[..50]), 1_001, None),
            ("jembatan", ids(&first.items[..50]), 1_001, Some(1_000)),
            ("jembatan", ids(&first.items[..50]), 501, Some(500)),
            ("banjir", with_banjir.clone(), 334, None),
            ("banjir", with_banjir, 334, Some(1_000)),
        ] {
            let page = store
                .list_reports(&ReportFilter {
                    text: Some(words.into()),
                    limit: 50,
                    count_up_to: cap,
                    ..base.clone()
                })
                .await
                .unwrap();
            assert_eq!(
                (ids(&page.items), page.total),
                (want, total),
                "{words} {order:?} counted up to {cap:?}"
            );
        }
    }
}

pub async fn queues_and_obligations<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let mut rng = StdRng::seed_from_u64(7);
    let op = user_actor(1, Role::Operator, None);
    let dispatch = |agency: &str| Command::Dispatch {
        targets: vec![DispatchTarget {
            agency_id: agency.into(),
            role: AssignmentRole::Utama,
        }],
        note: None,
        note_public: false,
    };
    let mut ids = Vec::new();
    for (i, agency) in ["dpu-bmck", "rsud-moewardi", "dinkes"].iter().enumerate() {
        let at = t0() + TimeDelta::hours(i as i64);
        let id = store
            .create_report(&new_report(&mut rng, &format!("Antrean {i}"), None, at))
            .await
            .unwrap()
            .id;
        let v = step(
            store,
            id,
            &op,
            dispatch(agency),
            at + TimeDelta::minutes(10),
        )
        .await;
        ids.push((id, v.assignments[0].id));
    }
    // The road agency responds: its queue item now counts down to completion, not response.
    step(
        store,
        ids[0].0,
        &user_actor(2, Role::Petugas, Some("dpu-bmck")),
        Command::PostUpdate {
            assignment_id: ids[0].1,
            stage: Stage::Verifikasi,
            note: "Dicek".into(),
        },
        t0() + TimeDelta::hours(5),
    )
    .await;
    // Dinkes forwards to the hospital: the child carries the clock, the parent leaves the queue.
    step(
        store,
        ids[2].0,
        &user_actor(3, Role::Kepala, Some("dinkes")),
        Command::Forward {
            assignment_id: ids[2].1,
            to_agency_id: "rsud-moewardi".into(),
            note: "Ke RSUD".into(),
        },
        t0() + TimeDelta::hours(6),
    )
    .await;
    let now = t0() + TimeDelta::hours(6);
    let slice = store.open_assignments(None, now, 0, 100).await.unwrap();
    assert_eq!((slice.total, slice.overdue), (3, 0));
    let queue = slice.items;
    let order: Vec<(i64, &str)> = queue
        .iter()
        .map(|q| (q.report_id, q.agency_id.as_str()))
        .collect();
    assert_eq!(
        order,
        vec![
            (ids[1].0, "rsud-moewardi"),
            (ids[2].0, "rsud-moewardi"),
            (ids[0].0, "dpu-bmck")
        ],
        "most urgent first"
    );
    let first = &queue[0];
    assert_eq!(
        first.response_due_at,
        Some(t0() + TimeDelta::hours(1) + TimeDelta::minutes(10) + TimeDelta::hours(24))
    );
    assert!(!first.responded);
    assert_eq!(first.agency_name, "Instansi rsud-moewardi");
    assert!(queue[2].responded && queue[2].completion_due_at.is_some());
    let scoped = store
        .open_assignments(
            Some(&["dinkes".to_string(), "rsud-moewardi".to_string()]),
            now,
            0,
            100,
        )
        .await
        .unwrap();
    assert_eq!((scoped.items.len(), scoped.total), (2, 2));
    // One agency alone (the common case, which a store may answer differently): its queue in
    // the same order, page by page, with the whole queue's counts on each page.
    let one = ["rsud-moewardi".to_string()];
    let mut alone = Vec::new();
    for offset in 0..3 {
        let page = store
            .open_assignments(Some(&one), now, offset, 1)
            .await
            .unwrap();
        assert_eq!((page.total, page.overdue), (2, 0));
        alone.extend(page.items.into_iter().map(|q| q.report_id));
    }
    assert_eq!(alone, vec![ids[1].0, ids[2].0]);
    let empty = store
        .open_assignments(Some(&[]), now, 0, 100)
        .await
        .unwrap();
    assert_eq!(empty, QueueSlice::default());
    // Pages: one at a time in the same order, the counts of the whole queue on each; two
    // days on, every response deadline has passed (the responded one runs to completion).
    let mut paged = Vec::new();
    for offset in 0..4 {
        let page = store.open_assignments(None, now, offset, 1).await.unwrap();
        assert_eq!(page.total, 3);
        paged.extend(page.items.into_iter().map(|q| q.assignment_id));
    }
    assert_eq!(
        paged,
        queue.iter().map(|q| q.assignment_id).collect::<Vec<_>>()
    );
    let later = store
        .open_assignments(None, t0() + TimeDelta::days(2), 0, 1)
        .await
        .unwrap();
    assert_eq!((later.items.len(), later.total, later.overdue), (1, 3, 2));

    // Response obligations: one per dispatch, one for the sub-unit from the forward; the
    // forward answered for the parent.
    let all = store
        .obligations(t0(), t0() + TimeDelta::days(1), None)
        .await
        .unwrap();
    assert_eq!(all.len(), 4);
    let road = all.iter().find(|o| o.agency_id == "dpu-bmck").unwrap();
    assert_eq!(road.responded_at, Some(t0() + TimeDelta::hours(5)));
    assert_eq!(
        road.due_at,
        t0() + TimeDelta::minutes(10) + TimeDelta::hours(24)
    );
    assert_eq!(road.cycle, 1);
    let parent = all.iter().find(|o| o.agency_id == "dinkes").unwrap();
    assert_eq!(
        parent.responded_at,
        Some(t0() + TimeDelta::hours(6)),
        "the forward"
    );
    let child = all
        .iter()
        .find(|o| o.report_id == ids[2].0 && o.agency_id == "rsud-moewardi")
        .unwrap();
    assert_eq!(child.started_at, t0() + TimeDelta::hours(6));
    assert_eq!(child.due_at, t0() + TimeDelta::hours(30));
    assert_eq!(child.responded_at, None);
    assert_eq!(
        store
            .obligations(
                t0(),
                t0() + TimeDelta::days(1),
                Some(&["dinkes".to_string()])
            )
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .obligations(t0() + TimeDelta::days(1), t0() + TimeDelta::days(2), None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.report_obligations(ids[2].0).await.unwrap().len(), 2);
    let facts = store
        .assignment_facts(t0(), t0() + TimeDelta::days(1))
        .await
        .unwrap();
    assert_eq!(facts.len(), 4);
    assert!(facts.iter().any(|f| f.stage == Stage::Diteruskan));
    assert!(
        facts
            .iter()
            .all(|f| f.completion.is_some() && !f.finished && !f.reopened)
    );
    assert_eq!(store.count_obligations().await.unwrap(), 4);

    // The desk's inbox: the reporter's answer, newest first, with its report.
    step(
        store,
        ids[1].0,
        &op,
        Command::AskReporter {
            question: "Jam berapa?".into(),
        },
        t0() + TimeDelta::hours(7),
    )
    .await;
    step(
        store,
        ids[1].0,
        &Actor::Reporter { reporter_id: None },
        Command::ReporterReply {
            text: "Jam 7 pagi".into(),
        },
        t0() + TimeDelta::hours(8),
    )
    .await;
    let inbox = store.inbound_messages(10).await.unwrap();
    assert_eq!(
        inbox.len(),
        1,
        "questions to the reporter are not inbox items"
    );
    assert_eq!(inbox[0].message.body, "Jam 7 pagi");
    assert_eq!(inbox[0].report_title.as_deref(), Some("Antrean 1"));
    assert_eq!(inbox[0].report_status, Some(ReportStatus::Didisposisikan));
    counts_agree_with_the_facts(store).await;

    // The queue follows the facts it is derived from (its order and counts come from an index
    // of derived columns, migration 0023). A report dispatched to a lead and a supporting
    // agency: the lead finishes, the report is done (selesai), and the supporting agency's
    // assignment, still in an open stage, leaves the queue with it.
    let at = t0() + TimeDelta::days(3);
    let before = store
        .open_assignments(None, at, 0, 100)
        .await
        .unwrap()
        .total;
    let created = store
        .create_report(&new_report(&mut rng, "Antrean 3", None, at))
        .await
        .unwrap();
    let both = step(store, created.id, &op, road_lead_health_support(), at).await;
    let queued = |s: &QueueSlice| -> Vec<i64> { s.items.iter().map(|q| q.assignment_id).collect() };
    let slice = store.open_assignments(None, at, 0, 100).await.unwrap();
    assert_eq!(slice.total, before + 2);
    assert!(queued(&slice).contains(&both.assignments[1].id));
    step(
        store,
        created.id,
        &user_actor(2, Role::Petugas, Some("dpu-bmck")),
        Command::PostUpdate {
            assignment_id: both.assignments[0].id,
            stage: Stage::Tuntas,
            note: "Selesai".into(),
        },
        at + TimeDelta::hours(1),
    )
    .await;
    let slice = store
        .open_assignments(None, at + TimeDelta::hours(1), 0, 100)
        .await
        .unwrap();
    assert_eq!(
        slice.total, 3,
        "the finished report's assignments left the queue"
    );
    assert!(!queued(&slice).contains(&both.assignments[1].id));
    // The reporter reopens it: the lead is back, counting down to a first response again.
    let reopened_at = at + TimeDelta::hours(2);
    step(
        store,
        created.id,
        &Actor::Reporter {
            reporter_id: created.reporter_id,
        },
        Command::Reopen {
            reason: "Belum beres".into(),
        },
        reopened_at,
    )
    .await;
    let slice = store
        .open_assignments(None, reopened_at, 0, 100)
        .await
        .unwrap();
    let lead = slice
        .items
        .iter()
        .find(|q| q.assignment_id == both.assignments[0].id)
        .expect("the reopened lead is queued");
    assert!(!lead.responded);
    assert_eq!(
        lead.response_due_at,
        Some(reopened_at + TimeDelta::hours(24)),
        "a fresh first-response deadline"
    );
    // Every page is in the order of the clocks the items carry.
    let key = |q: &QueueItem| {
        let due = if q.responded {
            q.completion_due_at
        } else {
            q.response_due_at
        };
        (due.is_none(), due, q.assignment_id)
    };
    let keys: Vec<_> = slice.items.iter().map(key).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "deadline order, the undated last");
}

// ----- scheduler and notifications ----------------------------------------------------------

use tanggap_domain::ClockKind;
use tanggap_domain::escalation::{EscalationAction, NotifyChannel, RecipientKind};

const LADDER: [u32; 3] = [50, 75, 100];
const LEASE_MINUTES: i64 = 5;

fn lease() -> TimeDelta {
    TimeDelta::minutes(LEASE_MINUTES)
}

/// `n` reports submitted at `t0()` and dispatched at once to dinkes; their ids.
async fn dispatched_reports(store: &dyn Store, n: usize, seed: u64) -> Vec<i64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let op = user_actor(1, Role::Operator, None);
    let mut ids = Vec::new();
    for i in 0..n {
        let id = store
            .create_report(&new_report(&mut rng, &format!("Laporan {i}"), None, t0()))
            .await
            .unwrap()
            .id;
        step(
            store,
            id,
            &op,
            Command::Dispatch {
                targets: vec![DispatchTarget {
                    agency_id: "dinkes".into(),
                    role: AssignmentRole::Utama,
                }],
                note: None,
                note_public: false,
            },
            t0(),
        )
        .await;
        ids.push(id);
    }
    ids
}

pub async fn wrong_passwords_lock_an_account_until_a_time<H: Harness>(h: &H) {
    let store = h.store();
    seed(store.as_ref()).await;
    let u = staff(store.as_ref(), "operator.kunci", Role::Operator, None).await;
    assert_eq!(u.locked_until, None);
    let lock = t0() + TimeDelta::minutes(15);
    for i in 1..10 {
        assert_eq!(
            store
                .record_login_failure(u.id, 10, lock, t0())
                .await
                .unwrap(),
            None,
            "failure {i} does not lock yet"
        );
    }
    assert_eq!(
        store
            .record_login_failure(u.id, 10, lock, t0())
            .await
            .unwrap(),
        Some(lock),
        "the tenth failure in a row locks"
    );
    assert_eq!(
        store.user(u.id).await.unwrap().unwrap().locked_until,
        Some(lock)
    );
    let (listed, _) = store
        .user_credentials("operator.kunci")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        listed.locked_until,
        Some(lock),
        "the login lookup sees the lock"
    );
    let trail = store
        .audit_for_object("user", &u.id.to_string())
        .await
        .unwrap();
    let locked: Vec<_> = trail.iter().filter(|e| e.action == "user.locked").collect();
    assert_eq!(
        locked.len(),
        1,
        "the lock is audited once, not every failure"
    );
    assert_eq!(locked[0].occurred_at, t0());
    // A success clears the lock and starts the count again.
    store
        .record_login(u.id, t0() + TimeDelta::minutes(20))
        .await
        .unwrap();
    assert_eq!(store.user(u.id).await.unwrap().unwrap().locked_until, None);
    for _ in 1..10 {
        assert_eq!(
            store
                .record_login_failure(u.id, 10, lock, t0())
                .await
                .unwrap(),
            None
        );
    }
    store.record_login(u.id, t0()).await.unwrap();
    assert_eq!(
        store
            .record_login_failure(u.id, 10, lock, t0())
            .await
            .unwrap(),
        None,
        "a success in between resets the count"
    );
    let logins = store
        .audit_for_object("user", &u.id.to_string())
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "user.login")
        .count();
    assert_eq!(logins, 2, "each login is audited");
    assert!(matches!(
        store.record_login_failure(9999, 10, lock, t0()).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn changed_credentials_end_sessions_and_tokens<H: Harness>(h: &H) {
    let store = h.store();
    seed(store.as_ref()).await;
    let created = store
        .create_user(
            &NewUser {
                username: "integrasi.cc".into(),
                display_name: "Call centre".into(),
                role: Role::Operator,
                agency_id: None,
                email: None,
                phone: None,
                password_hash: "$argon2id$fake".into(),
                created_at: t0(),
                integration: true,
                must_change_password: false,
            },
            "user:1",
        )
        .await
        .unwrap();
    assert!(created.integration && !created.must_change_password);
    let u = staff(store.as_ref(), "operator.lama", Role::Operator, None).await;
    let other = staff(store.as_ref(), "operator.lain", Role::Operator, None).await;
    assert_eq!(u.session_epoch, 0);
    let session = |id: &str, user: i64| SessionRecord {
        id_hash: id.into(),
        user_id: Some(user),
        data: "{}".into(),
        expires_at: t0() + TimeDelta::hours(8),
    };
    for s in [
        session("a", u.id),
        session("b", u.id),
        session("c", other.id),
    ] {
        store.session_save(&s).await.unwrap();
    }
    store
        .create_api_token(u.id, "satu", "hash-satu", "user:1", t0())
        .await
        .unwrap();
    store
        .create_api_token(other.id, "lain", "hash-lain", "user:1", t0())
        .await
        .unwrap();
    // A change that does not end credentials leaves them alone.
    let same = store
        .update_user(
            u.id,
            &UserPatch {
                display_name: Some("Nama".into()),
                ..Default::default()
            },
            "user:1",
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(same.session_epoch, 0);
    assert!(store.session_load("a", t0()).await.unwrap().is_some());
    let after = store
        .update_user(
            u.id,
            &UserPatch {
                password_hash: Some("$argon2id$baru".into()),
                must_change_password: Some(true),
                end_credentials: true,
                ..Default::default()
            },
            "user:1",
            t0() + TimeDelta::minutes(1),
        )
        .await
        .unwrap();
    assert!(after.must_change_password);
    assert_eq!(
        after.session_epoch, 1,
        "older sessions are no longer honoured"
    );
    assert!(store.session_load("a", t0()).await.unwrap().is_none());
    assert!(store.session_load("b", t0()).await.unwrap().is_none());
    assert!(
        store.session_load("c", t0()).await.unwrap().is_some(),
        "other users keep their sessions"
    );
    assert!(
        store
            .user_by_token_hash("hash-satu")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .user_by_token_hash("hash-lain")
            .await
            .unwrap()
            .is_some()
    );
    let trail = store
        .audit_for_object("user", &u.id.to_string())
        .await
        .unwrap();
    let ended = trail
        .iter()
        .find(|e| e.action == "user.credentials_ended")
        .expect("audited");
    assert_eq!(ended.actor, "user:1");
    let counts: serde_json::Value = serde_json::from_str(ended.after.as_deref().unwrap()).unwrap();
    assert_eq!(counts["sessions_ended"], 2);
    assert_eq!(counts["tokens_revoked"], 1);
    assert!(
        trail
            .iter()
            .all(|e| !e.after.as_deref().unwrap_or("").contains("argon2")),
        "no password material in the trail"
    );
    let cleared = store
        .update_user(
            u.id,
            &UserPatch {
                must_change_password: Some(false),
                ..Default::default()
            },
            "user:2",
            t0(),
        )
        .await
        .unwrap();
    assert!(!cleared.must_change_password);
}

pub async fn expired_sessions_are_purged<H: Harness>(h: &H) {
    let store = h.store();
    seed(store.as_ref()).await;
    let u = staff(store.as_ref(), "operator.sesi", Role::Operator, None).await;
    let session = |id: &str, user: Option<i64>, hours: i64| SessionRecord {
        id_hash: id.into(),
        user_id: user,
        data: "{}".into(),
        expires_at: t0() + TimeDelta::hours(hours),
    };
    store
        .session_save(&session("old", Some(u.id), 1))
        .await
        .unwrap();
    store.session_save(&session("anon", None, 2)).await.unwrap();
    store
        .session_save(&session("live", Some(u.id), 8))
        .await
        .unwrap();
    assert_eq!(store.purge_expired_sessions(t0()).await.unwrap(), 0);
    assert_eq!(
        store
            .purge_expired_sessions(t0() + TimeDelta::hours(2))
            .await
            .unwrap(),
        2,
        "expired at or before now"
    );
    assert!(
        store.session_load("old", t0()).await.unwrap().is_none(),
        "deleted, not only hidden"
    );
    assert!(store.session_load("anon", t0()).await.unwrap().is_none());
    assert!(store.session_load("live", t0()).await.unwrap().is_some());
    assert_eq!(
        store
            .purge_expired_sessions(t0() + TimeDelta::hours(2))
            .await
            .unwrap(),
        0
    );
}

async fn staff(store: &dyn Store, username: &str, role: Role, agency: Option<&str>) -> User {
    store
        .create_user(
            &NewUser {
                username: username.into(),
                display_name: username.into(),
                role,
                agency_id: agency.map(Into::into),
                email: Some(format!("{username}@example.go.id")),
                phone: None,
                password_hash: "$argon2id$fake".into(),
                created_at: t0(),
                integration: false,
                must_change_password: false,
            },
            "system",
        )
        .await
        .unwrap()
}

/// A submission's receipt by SMS to the reporter, enqueued with the report.
fn sms_receipt(key: &str, phone: &str, body: &str) -> NewNotification {
    NewNotification {
        idempotency_key: key.into(),
        action: "receipt".into(),
        report_id: None,
        assignment_id: None,
        agency_id: None,
        recipient: RecipientKind::Reporter,
        user_id: None,
        channel: NotifyChannel::Sms,
        address: Some(phone.into()),
        subject: "Tanda terima".into(),
        body: body.into(),
    }
}

/// [`in_app`], sent by e-mail to `user`'s address instead.
fn email_note(key: &str, user: &User, report: Option<i64>) -> NewNotification {
    NewNotification {
        channel: NotifyChannel::Email,
        address: user.email.clone(),
        ..in_app(key, user.id, report)
    }
}

/// `notes` enqueued by the day's digest job (which must not have run that day).
async fn enqueue_digest(store: &dyn Store, date: NaiveDate, notes: &[NewNotification]) {
    assert!(
        store
            .complete_daily_job("digest", date, notes, t0())
            .await
            .unwrap()
    );
}

fn in_app(key: &str, user: i64, report: Option<i64>) -> NewNotification {
    NewNotification {
        idempotency_key: key.into(),
        action: EscalationAction::RemindOfficers.as_str().into(),
        report_id: report,
        assignment_id: None,
        agency_id: Some("dinkes".into()),
        recipient: RecipientKind::Officers,
        user_id: Some(user),
        channel: NotifyChannel::InApp,
        address: None,
        subject: format!("Pengingat {key}"),
        body: "Laporan belum direspons.".into(),
    }
}

/// The firing of the next ladder step of a claimed first-response clock.
fn firing(d: &DueClock, notifications: Vec<NewNotification>, at: Timestamp) -> ClockFiring {
    let cal = calendar();
    let mut next = d.clock.clone();
    next.fired = next.next_threshold(&LADDER).unwrap();
    next.reschedule(&LADDER, &cal);
    ClockFiring {
        report_id: d.report_id,
        assignment_id: d.assignment_id,
        kind: d.clock.kind,
        expected_version: d.report_version,
        expected_started_at: d.clock.started_at,
        expected_fired: d.clock.fired,
        fired: next.fired,
        next_fire_at: next.next_fire_at,
        action: tanggap_domain::escalation::action_for(d.clock.kind, next.fired, next.fired == 100),
        negligent_at: (next.fired == 100).then(|| d.clock.due_at.unwrap()),
        notifications,
        at,
    }
}

/// A reopen starts a new cycle and leaves the earlier answer as it was; the report ending
/// cancels an unanswered obligation; rebuilt obligations are stored once; a new head starts an
/// entry of the heads' history.
pub async fn obligations_keep_every_cycle_and_heads_their_history<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let mut rng = StdRng::seed_from_u64(11);
    let op = user_actor(1, Role::Operator, None);
    let dpu = user_actor(2, Role::Petugas, Some("dpu-bmck"));
    let id = store
        .create_report(&new_report(
            &mut rng,
            "Siklus",
            Some("+6281200000011"),
            t0(),
        ))
        .await
        .unwrap()
        .id;
    let reporter_id = store
        .report(id)
        .await
        .unwrap()
        .unwrap()
        .reporter
        .unwrap()
        .id;
    let reporter = Actor::Reporter {
        reporter_id: Some(reporter_id),
    };
    let v = step(store, id, &op, road_lead_health_support(), t0()).await;
    let lead = v.assignments[0].id;
    // The lead answers and finishes in three hours: the supporting agency's obligation, still
    // within its deadline, is cancelled.
    step(
        store,
        id,
        &dpu,
        Command::PostUpdate {
            assignment_id: lead,
            stage: Stage::Tuntas,
            note: "Selesai".into(),
        },
        t0() + TimeDelta::hours(3),
    )
    .await;
    step(
        store,
        id,
        &reporter,
        Command::Reopen {
            reason: "Belum".into(),
        },
        t0() + TimeDelta::hours(30),
    )
    .await;
    let obligations = store.report_obligations(id).await.unwrap();
    let lead_cycles: Vec<&ObligationRecord> = obligations
        .iter()
        .filter(|o| o.assignment_id == lead)
        .collect();
    assert_eq!(lead_cycles.len(), 2);
    assert_eq!(
        lead_cycles[0].responded_at,
        Some(t0() + TimeDelta::hours(3)),
        "the first cycle's answer stays"
    );
    assert_eq!(
        (
            lead_cycles[1].cycle,
            lead_cycles[1].started_at,
            lead_cycles[1].responded_at
        ),
        (2, t0() + TimeDelta::hours(30), None)
    );
    let supporting = obligations
        .iter()
        .find(|o| o.agency_id == "dinkes")
        .unwrap();
    assert_eq!(supporting.cancelled_at, Some(t0() + TimeDelta::hours(3)));
    let facts = store
        .assignment_facts(t0(), t0() + TimeDelta::days(1))
        .await
        .unwrap();
    let lead_fact = facts.iter().find(|f| f.assignment_id == lead).unwrap();
    assert!(lead_fact.finished && lead_fact.reopened);

    // Rebuilt obligations for assignments that have none: stored once.
    let before = store.count_obligations().await.unwrap();
    let rebuilt = [NewObligation {
        assignment_id: lead,
        cycle: 3,
        started_at: t0() + TimeDelta::hours(40),
        due_at: t0() + TimeDelta::hours(64),
        responded_at: None,
        cancelled_at: None,
    }];
    assert_eq!(store.insert_obligations(&rebuilt, t0()).await.unwrap(), 1);
    assert_eq!(store.insert_obligations(&rebuilt, t0()).await.unwrap(), 0);
    assert_eq!(store.count_obligations().await.unwrap(), before + 1);

    // Heads with their history.
    let mut agency = store.agency("dpu-bmck").await.unwrap().unwrap();
    agency.head_name = Some("Ir. Budi Santoso (fiktif)".into());
    agency.head_position = Some("Kepala Dinas".into());
    store.update_agency(&agency, "admin", t0()).await.unwrap();
    store
        .update_agency(&agency, "admin", t0() + TimeDelta::days(1))
        .await
        .unwrap();
    agency.head_name = Some("Dr. Sri Wahyuni (fiktif)".into());
    store
        .update_agency(&agency, "admin", t0() + TimeDelta::days(10))
        .await
        .unwrap();
    let heads: Vec<HeadRecord> = store
        .agency_heads()
        .await
        .unwrap()
        .into_iter()
        .filter(|h| h.agency_id == "dpu-bmck")
        .collect();
    assert_eq!(heads.len(), 2, "an unchanged head is not a new entry");
    assert_eq!(heads[0].since, t0());
    assert_eq!(heads[1].name, "Dr. Sri Wahyuni (fiktif)");
    assert_eq!(heads[1].since, t0() + TimeDelta::days(10));
    counts_agree_with_the_facts(store).await;
}

pub async fn due_clocks_are_claimed_in_order_and_leased<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let ids = dispatched_reports(store, 3, 20).await;
    // A fourth report stays in triage: its triage clock is due at t0 + 24 h.
    let mut rng = StdRng::seed_from_u64(21);
    let waiting = store
        .create_report(&new_report(&mut rng, "Belum diverifikasi", None, t0()))
        .await
        .unwrap()
        .id;

    // Nothing is due before 50% of the first 24 hours.
    let early = t0() + TimeDelta::hours(12) - TimeDelta::seconds(1);
    assert!(
        store
            .claim_due_clocks(early, 100, lease())
            .await
            .unwrap()
            .is_empty()
    );

    let noon = t0() + TimeDelta::hours(12);
    let first = store.claim_due_clocks(noon, 2, lease()).await.unwrap();
    assert_eq!(first.len(), 2, "the limit is respected");
    let rest = store.claim_due_clocks(noon, 100, lease()).await.unwrap();
    assert_eq!(rest.len(), 1, "leased clocks are not claimed twice");
    let mut claimed: Vec<&DueClock> = first.iter().chain(&rest).collect();
    claimed.sort_by_key(|d| d.report_id);
    for (d, id) in claimed.iter().zip(&ids) {
        assert_eq!(d.report_id, *id);
        assert_eq!(d.clock.kind, ClockKind::FirstResponse);
        assert_eq!(d.clock.next_fire_at, Some(noon));
        assert_eq!(d.clock.fired, 0);
        assert_eq!(d.agency_id.as_deref(), Some("dinkes"));
        assert_eq!(d.report_status, ReportStatus::Didisposisikan);
        let view = store.report_view(*id).await.unwrap().unwrap();
        assert_eq!(d.report_version, view.version);
        assert_eq!(
            &d.clock,
            view.assignments[0]
                .clocks
                .iter()
                .find(|c| c.kind == ClockKind::FirstResponse)
                .unwrap()
        );
        let rec = store.report(*id).await.unwrap().unwrap();
        assert_eq!(d.tracking_id, rec.tracking_id);
    }
    assert!(
        store
            .claim_due_clocks(noon, 100, lease())
            .await
            .unwrap()
            .is_empty()
    );
    // A crashed claimer's lease runs out and the clocks come back, earliest first.
    let later = noon + lease() + TimeDelta::seconds(1);
    let long = TimeDelta::days(2);
    assert_eq!(
        store
            .claim_due_clocks(later, 100, long)
            .await
            .unwrap()
            .len(),
        3
    );

    // A day on, the triage clock of the undispatched report is due too.
    let day = t0() + TimeDelta::hours(24);
    let due = store.claim_due_clocks(day, 100, lease()).await.unwrap();
    assert_eq!(due[0].report_id, waiting);
    assert_eq!(due[0].assignment_id, None);
    assert_eq!(due[0].agency_id, None);
    assert_eq!(due[0].clock.kind, ClockKind::Triage);
    assert_eq!(due.len(), 1, "the others are still leased");
}

pub async fn firing_a_threshold_is_a_compare_and_set<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let officer = staff(store, "petugas.dinkes", Role::Petugas, Some("dinkes")).await;
    let ids = dispatched_reports(store, 2, 30).await;
    let noon = t0() + TimeDelta::hours(12);
    let mut claimed = store.claim_due_clocks(noon, 10, lease()).await.unwrap();
    claimed.sort_by_key(|d| d.report_id);
    let d = claimed[0].clone();
    let asg = d.assignment_id.unwrap();
    let key = format!(
        "{}:{asg}:first_response:x:50:u{}/in_app",
        d.report_id, officer.id
    );
    let head = store.audit_head().await.unwrap().unwrap();
    let fire = firing(&d, vec![in_app(&key, officer.id, Some(d.report_id))], noon);
    assert_eq!(fire.fired, 50);
    assert_eq!(fire.next_fire_at, Some(t0() + TimeDelta::hours(18)));
    assert!(store.fire_clock(&fire).await.unwrap());

    let view = store.report_view(d.report_id).await.unwrap().unwrap();
    assert_eq!(
        view.version,
        d.report_version + 1,
        "a firing moves the version"
    );
    let clock = view.assignments[0]
        .clocks
        .iter()
        .find(|c| c.kind == ClockKind::FirstResponse)
        .unwrap();
    assert_eq!(clock.fired, 50);
    assert_eq!(clock.next_fire_at, Some(t0() + TimeDelta::hours(18)));
    let notes = store.notifications_for_report(d.report_id).await.unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].idempotency_key, key);
    assert_eq!(notes[0].status, NotificationStatus::Pending);
    assert_eq!(notes[0].user_id, Some(officer.id));
    assert_eq!(notes[0].channel, NotifyChannel::InApp);
    assert_eq!(notes[0].next_attempt_at, noon);
    let trail = store
        .audit_for_object("report", &d.report_id.to_string())
        .await
        .unwrap();
    let last = trail.last().unwrap();
    assert_eq!(last.action, "clock.threshold_fired");
    assert_eq!(last.actor, "system");
    assert!(last.after.as_deref().unwrap().contains("remind_officers"));
    assert_eq!(store.audit_head().await.unwrap().unwrap().0, head.0 + 1);

    // The same firing again (a second instance, a retry after a lost answer): refused, no trace.
    let head = store.audit_head().await.unwrap();
    assert!(!store.fire_clock(&fire).await.unwrap());
    assert_eq!(store.audit_head().await.unwrap(), head);
    assert_eq!(
        store
            .notifications_for_report(d.report_id)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .report_view(d.report_id)
            .await
            .unwrap()
            .unwrap()
            .version,
        d.report_version + 1
    );

    // A workflow decision taken on the state before the firing is refused and decided again.
    let stale = decide(
        &store.report_view(ids[1]).await.unwrap().unwrap(),
        &user_actor(officer.id, Role::Petugas, Some("dinkes")),
        &Command::PostUpdate {
            assignment_id: claimed[1].assignment_id.unwrap(),
            stage: Stage::Verifikasi,
            note: "Sedang dicek".into(),
        },
        &Context {
            now: noon,
            calendar: &calendar(),
            policy: &SlaPolicy::jateng(),
            agencies: &AgencyTree::from_agencies(&store.agencies().await.unwrap()),
        },
    )
    .unwrap();
    let other = claimed[1].clone();
    assert!(
        store
            .fire_clock(&firing(&other, vec![], noon))
            .await
            .unwrap()
    );
    let r = store
        .apply_events(&ReportChange {
            report_id: ids[1],
            expected_version: other.report_version,
            actor: user_actor(officer.id, Role::Petugas, Some("dinkes")),
            events: stale,
            at: noon,
            attachments: vec![],
        })
        .await;
    assert!(matches!(r, Err(StoreError::VersionConflict)), "{r:?}");

    // The workflow moves on first (the agency responds): the claimed firing is stale and refused,
    // and it gives its lease back so that the clock is looked at again at once.
    let later = t0() + TimeDelta::hours(18);
    let d = store.claim_due_clocks(later, 10, lease()).await.unwrap();
    let d = d.iter().find(|c| c.report_id == ids[0]).unwrap().clone();
    assert_eq!(d.clock.fired, 50);
    let v = step(
        store,
        ids[0],
        &user_actor(officer.id, Role::Petugas, Some("dinkes")),
        Command::PostUpdate {
            assignment_id: asg,
            stage: Stage::Verifikasi,
            note: "Sedang dicek".into(),
        },
        later + TimeDelta::minutes(1),
    )
    .await;
    let stopped = v.assignments[0]
        .clocks
        .iter()
        .find(|c| c.kind == ClockKind::FirstResponse)
        .unwrap();
    assert_eq!(stopped.fired, 50, "pausing or stopping keeps what fired");
    assert_eq!(
        stopped.next_fire_at,
        Some(later),
        "75% was crossed before the response, so it still fires"
    );
    assert!(!store.fire_clock(&firing(&d, vec![], later)).await.unwrap());
    let again = store
        .claim_due_clocks(later + TimeDelta::minutes(1), 10, lease())
        .await
        .unwrap();
    assert!(
        again.iter().any(|c| c.report_id == ids[0]),
        "lease released"
    );

    // The last step marks the assignment lalai; the mark is kept once set.
    let d = again
        .iter()
        .find(|c| c.report_id == ids[0])
        .unwrap()
        .clone();
    let key75 = format!(
        "{}:{asg}:first_response:x:75:u{}/in_app",
        d.report_id, officer.id
    );
    assert!(
        store
            .fire_clock(&firing(
                &d,
                vec![in_app(&key75, officer.id, Some(d.report_id))],
                later
            ))
            .await
            .unwrap()
    );
    let after = store.report_view(ids[0]).await.unwrap().unwrap();
    let c = after.assignments[0]
        .clocks
        .iter()
        .find(|c| c.kind == ClockKind::FirstResponse)
        .unwrap();
    assert_eq!(
        (c.fired, c.next_fire_at),
        (75, None),
        "100% was never reached"
    );
    assert!(
        store.assignments(ids[0]).await.unwrap()[0]
            .negligent_at
            .is_none()
    );

    // Report 2's clock runs on to its deadline: 75%, then 100% with the lalai mark.
    let day = t0() + TimeDelta::hours(25);
    let d = store.claim_due_clocks(day, 10, lease()).await.unwrap();
    let d = d.iter().find(|c| c.report_id == ids[1]).unwrap().clone();
    assert!(store.fire_clock(&firing(&d, vec![], day)).await.unwrap());
    let d = store.claim_due_clocks(day, 10, lease()).await.unwrap();
    let d = d.iter().find(|c| c.report_id == ids[1]).unwrap().clone();
    assert_eq!(d.clock.fired, 75);
    let last = firing(&d, vec![in_app(&key, officer.id, Some(d.report_id))], day);
    assert_eq!(last.negligent_at, Some(t0() + TimeDelta::hours(24)));
    assert!(store.fire_clock(&last).await.unwrap());
    assert!(
        store
            .notifications_for_report(ids[1])
            .await
            .unwrap()
            .is_empty(),
        "a notification whose key exists already is dropped"
    );
    let a = &store.assignments(ids[1]).await.unwrap()[0];
    assert_eq!(a.negligent_at, Some(t0() + TimeDelta::hours(24)));
    let board = store.negligent_assignments(t0(), 10).await.unwrap();
    assert_eq!(board.len(), 1);
    assert_eq!(board[0].assignment_id, a.id);
    assert_eq!(board[0].agency_id, "dinkes");
    assert_eq!(board[0].agency_name, "Instansi dinkes");
    assert_eq!(board[0].first_response_at, None);
    assert!(
        store
            .negligent_assignments(t0() + TimeDelta::hours(25), 10)
            .await
            .unwrap()
            .is_empty()
    );

    // A plain reschedule (nothing crossed yet) moves neither the version nor the trail.
    let d = store
        .claim_due_clocks(t0() + TimeDelta::days(30), 10, lease())
        .await
        .unwrap();
    let c = d
        .iter()
        .find(|c| c.clock.kind == ClockKind::Completion)
        .unwrap()
        .clone();
    let head = store.audit_head().await.unwrap();
    let moved = t0() + TimeDelta::days(40);
    assert!(
        store
            .fire_clock(&ClockFiring {
                fired: c.clock.fired,
                next_fire_at: Some(moved),
                action: None,
                negligent_at: None,
                ..firing(&c, vec![], t0() + TimeDelta::days(30))
            })
            .await
            .unwrap()
    );
    assert_eq!(store.audit_head().await.unwrap(), head);
    let v = store.report_view(c.report_id).await.unwrap().unwrap();
    assert_eq!(v.version, c.report_version);
    assert!(
        v.assignments[0]
            .clocks
            .iter()
            .any(|k| k.kind == ClockKind::Completion && k.next_fire_at == Some(moved))
    );
    verify_audit_chain(store).await.unwrap();
}

pub async fn concurrent_claims_never_share_a_clock<H: Harness>(h: &H) {
    let store = h.store();
    seed(store.as_ref()).await;
    let ids = dispatched_reports(store.as_ref(), 40, 40).await;
    let noon = t0() + TimeDelta::hours(12);
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store.claim_due_clocks(noon, 3, lease()).await.unwrap();
                if got.is_empty() {
                    break;
                }
                mine.extend(got.into_iter().map(|d| d.report_id));
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(all, expected, "every due clock claimed exactly once");
}

pub async fn the_outbox_claims_retries_and_marks<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let officer = staff(store, "petugas.dinkes", Role::Petugas, Some("dinkes")).await;
    let mut email = in_app("digest:dinkes:2026-11-30:head/email", officer.id, None);
    email.recipient = RecipientKind::Head;
    email.user_id = None;
    email.channel = NotifyChannel::Email;
    email.address = Some("kepala@dinkes.example".into());
    assert!(
        store
            .complete_daily_job(
                "digest",
                NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
                &[
                    email,
                    in_app("k2", officer.id, None),
                    in_app("k3", officer.id, None)
                ],
                t0(),
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_notifications(t0() - TimeDelta::seconds(1), 10, lease())
            .await
            .unwrap()
            .is_empty(),
        "not due before it was enqueued"
    );
    let first = store.claim_notifications(t0(), 2, lease()).await.unwrap();
    assert_eq!(first.len(), 2);
    assert!(
        first
            .iter()
            .all(|n| n.status == NotificationStatus::Sending && n.attempts == 1)
    );
    assert_eq!(
        first[0].idempotency_key,
        "digest:dinkes:2026-11-30:head/email"
    );
    assert_eq!(first[0].address.as_deref(), Some("kepala@dinkes.example"));
    let second = store.claim_notifications(t0(), 10, lease()).await.unwrap();
    assert_eq!(second.len(), 1, "claimed ones are leased");
    assert!(
        store
            .claim_notifications(t0(), 10, lease())
            .await
            .unwrap()
            .is_empty()
    );

    // Sent; failed for a moment (retried later); failed for good.
    store
        .mark_notification_sent(first[0].id, t0(), Some("msg-1"), false)
        .await
        .unwrap();
    let retry = t0() + TimeDelta::minutes(2);
    store
        .mark_notification_failed(first[1].id, "koneksi terputus", Some(retry))
        .await
        .unwrap();
    store
        .mark_notification_failed(second[0].id, "alamat ditolak", None)
        .await
        .unwrap();
    assert!(
        store
            .claim_notifications(retry - TimeDelta::seconds(1), 10, lease())
            .await
            .unwrap()
            .is_empty()
    );
    let again = store.claim_notifications(retry, 10, lease()).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, first[1].id);
    assert_eq!(again[0].attempts, 2);
    assert_eq!(again[0].last_error.as_deref(), Some("koneksi terputus"));
    // The sender crashed mid-send: the lease runs out and the notification is tried again.
    let expired = retry + lease() + TimeDelta::seconds(1);
    let resumed = store
        .claim_notifications(expired, 10, lease())
        .await
        .unwrap();
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0].attempts, 3);
    store
        .mark_notification_sent(resumed[0].id, expired, None, false)
        .await
        .unwrap();
    assert!(
        store
            .claim_notifications(expired + TimeDelta::days(1), 10, lease())
            .await
            .unwrap()
            .is_empty(),
        "sent and failed notifications leave the outbox"
    );
    let inbox = store.notifications_for_user(officer.id, 10).await.unwrap();
    assert_eq!(inbox.len(), 2, "in-app only");
    let by_key = |k: &str| {
        inbox
            .iter()
            .find(|n| n.idempotency_key == k)
            .unwrap()
            .clone()
    };
    assert_eq!(by_key("k2").status, NotificationStatus::Sent);
    assert_eq!(by_key("k2").sent_at, Some(expired));
    assert_eq!(by_key("k2").last_error, None);
    assert_eq!(by_key("k3").status, NotificationStatus::Dead);
    assert_eq!(by_key("k3").last_error.as_deref(), Some("alamat ditolak"));

    // Dead letters are listed, and an operator sends one again: due now, attempts reset.
    let dead = store.dead_notifications(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].idempotency_key, "k3");
    let later = expired + TimeDelta::days(2);
    assert_eq!(
        store
            .retry_dead_notifications(Some(dead[0].id + 1000), later)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .retry_dead_notifications(Some(dead[0].id), later)
            .await
            .unwrap(),
        1
    );
    assert!(store.dead_notifications(10).await.unwrap().is_empty());
    let revived = store.claim_notifications(later, 10, lease()).await.unwrap();
    assert_eq!(revived.len(), 1);
    assert_eq!(revived[0].attempts, 1);
    assert_eq!(
        store.retry_dead_notifications(None, later).await.unwrap(),
        0,
        "a claimed notification is not a dead letter"
    );

    // Delivery receipts land on the notification the provider's id names; an older receipt
    // arriving late does not replace a newer one.
    let receipt = |s: &'static str, at| async move {
        store
            .record_delivery(NotifyChannel::Email, "msg-1", s, at)
            .await
            .unwrap()
    };
    assert!(receipt("delivered", t0() + TimeDelta::minutes(1)).await);
    assert!(receipt("read", t0() + TimeDelta::minutes(5)).await);
    assert!(!receipt("delivered", t0() + TimeDelta::minutes(2)).await);
    assert!(
        !store
            .record_delivery(NotifyChannel::Whatsapp, "msg-1", "read", t0())
            .await
            .unwrap(),
        "the id is the provider's: another channel's message is another message"
    );
}

/// The idempotency keys of claimed notifications, in the claim's order.
fn keys(v: &[Notification]) -> Vec<String> {
    v.iter().map(|n| n.idempotency_key.clone()).collect()
}

pub async fn the_outbox_keeps_each_address_in_order<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let officer = staff(store, "petugas.dinkes", Role::Petugas, Some("dinkes")).await;
    let wa = |key: &str, to: &str| {
        let mut n = in_app(key, officer.id, None);
        n.recipient = RecipientKind::User;
        n.channel = NotifyChannel::Whatsapp;
        n.address = Some(to.into());
        n
    };
    store
        .complete_daily_job(
            "digest",
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            &[
                wa("a1", "+6281100000001"),
                wa("a2", "+6281100000001"),
                wa("b1", "+6281100000002"),
                wa("a3", "+6281100000001"),
            ],
            t0(),
        )
        .await
        .unwrap();
    // One message per address at a time: a2 waits for a1.
    let first = store.claim_notifications(t0(), 10, lease()).await.unwrap();
    assert_eq!(keys(&first), ["a1", "b1"]);
    // a1 fails and is retried later: a2 and a3 still wait behind it.
    let retry = t0() + TimeDelta::minutes(3);
    store
        .mark_notification_failed(first[0].id, "503", Some(retry))
        .await
        .unwrap();
    store
        .mark_notification_sent(first[1].id, t0(), None, false)
        .await
        .unwrap();
    assert!(
        store
            .claim_notifications(t0() + TimeDelta::minutes(1), 10, lease())
            .await
            .unwrap()
            .is_empty()
    );
    let again = store.claim_notifications(retry, 10, lease()).await.unwrap();
    assert_eq!(keys(&again), ["a1"]);
    // Dead-lettered, it no longer holds the others back.
    store
        .mark_notification_failed(again[0].id, "400", None)
        .await
        .unwrap();
    let next = store.claim_notifications(retry, 10, lease()).await.unwrap();
    assert_eq!(keys(&next), ["a2"]);
    store
        .mark_notification_sent(next[0].id, retry, None, false)
        .await
        .unwrap();
    let last = store.claim_notifications(retry, 10, lease()).await.unwrap();
    assert_eq!(keys(&last), ["a3"]);
}

/// Thousands of messages waiting behind one address (an agency head's inbox in a flood) are
/// walked once, not by every claim (`crate::outbox`): a claim that finds one waiting defers it
/// to when the message it waits for is next due; the message after one sent or given up is due
/// again at once, in its place; and a message to another address behind the crowd still goes.
pub async fn a_crowd_behind_one_address_is_walked_once<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let a = staff(store, "kepala.a", Role::Kepala, Some("dinkes")).await;
    let b = staff(store, "kepala.b", Role::Kepala, Some("dinkes")).await;
    let crowd = 40;
    let mut notes = vec![email_note("a/0", &a, None)];
    notes.extend((1..=crowd).map(|i| email_note(&format!("a/{i}"), &a, None)));
    notes.push(email_note("b/0", &b, None));
    enqueue_digest(store, NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(), &notes).await;
    let claim = |at: Timestamp, limit: u32| async move {
        store.claim_notifications(at, limit, lease()).await.unwrap()
    };
    let sent = |id: i64, at: Timestamp| async move {
        store
            .mark_notification_sent(id, at, None, false)
            .await
            .unwrap()
    };
    // A batch of 2: each statement walks the batch's room; the first claims a/0 and defers
    // a/1 (on PostgreSQL with the rest of the crowd; on SQLite the next statements defer the
    // rest room by room) until b/0 fills the batch.
    let first = claim(t0(), 2).await;
    assert_eq!(keys(&first), ["a/0", "b/0"]);
    sent(first[1].id, t0()).await;
    assert!(claim(t0(), 2).await.is_empty());
    let waiting = |all: &[Notification]| {
        all.iter()
            .filter(|n| n.status == NotificationStatus::Pending)
            .map(|n| n.next_attempt_at)
            .collect::<Vec<_>>()
    };
    let all = store.notifications_to_user(a.id, 100).await.unwrap();
    assert_eq!(waiting(&all).len(), crowd);
    assert!(
        waiting(&all).iter().all(|at| *at > t0()),
        "the whole crowd is deferred past the claims' now: no later claim walks it again"
    );
    // Seen again a second later, they wait for a/0's lease.
    let later = t0() + TimeDelta::seconds(1);
    assert!(claim(later, 10).await.is_empty());
    let all = store.notifications_to_user(a.id, 100).await.unwrap();
    assert!(
        waiting(&all).iter().all(|at| *at >= t0() + lease()),
        "{:?}",
        waiting(&all)
    );
    // a/0 sent: a/1 is due at once (in its place, from when it was written), the rest wait.
    let sent_at = t0() + TimeDelta::seconds(2);
    sent(first[0].id, sent_at).await;
    let next = claim(sent_at, 10).await;
    assert_eq!(keys(&next), ["a/1"]);
    assert_eq!(next[0].attempts, 1);
    // a/1 given up as dead: a/2 is due at once too.
    store
        .mark_notification_failed(next[0].id, "550 mailbox unavailable", None)
        .await
        .unwrap();
    let next = claim(sent_at, 10).await;
    assert_eq!(keys(&next), ["a/2"]);
    // When a/0's lease would have ended the crowd is due again, but still waits for a/2.
    let late = t0() + lease() + TimeDelta::seconds(1);
    assert!(claim(late, 10).await.is_empty());
    sent(next[0].id, late).await;
    let next = claim(late, 10).await;
    assert_eq!(keys(&next), ["a/3"]);
}

pub async fn in_app_notifications_are_read_by_their_user_only<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let a = staff(store, "petugas.a", Role::Petugas, Some("dinkes")).await;
    let b = staff(store, "petugas.b", Role::Petugas, Some("dinkes")).await;
    let date = |d: u32| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
    store
        .complete_daily_job(
            "digest",
            date(1),
            &[in_app("a1", a.id, None), in_app("b1", b.id, None)],
            t0(),
        )
        .await
        .unwrap();
    store
        .complete_daily_job(
            "digest",
            date(2),
            &[in_app("a2", a.id, None)],
            t0() + TimeDelta::days(1),
        )
        .await
        .unwrap();
    let inbox = store.notifications_for_user(a.id, 10).await.unwrap();
    assert_eq!(
        inbox
            .iter()
            .map(|n| n.idempotency_key.as_str())
            .collect::<Vec<_>>(),
        vec!["a2", "a1"],
        "newest first"
    );
    assert_eq!(
        store.notifications_for_user(a.id, 1).await.unwrap().len(),
        1
    );
    assert_eq!(store.unread_notifications(a.id, 10).await.unwrap(), 2);
    let b1 = store.notifications_for_user(b.id, 10).await.unwrap()[0].id;
    assert!(!store.mark_notification_read(b1, a.id, t0()).await.unwrap());
    assert!(
        store
            .mark_notification_read(inbox[1].id, a.id, t0())
            .await
            .unwrap()
    );
    let read = store.notifications_for_user(a.id, 10).await.unwrap();
    assert_eq!(read[1].status, NotificationStatus::Read);
    // Unread among the newest: a2 is unread and a1 read; among the newest one, a2 alone; b's
    // are not a's.
    assert_eq!(store.unread_notifications(a.id, 10).await.unwrap(), 1);
    assert_eq!(store.unread_notifications(a.id, 1).await.unwrap(), 1);
    assert_eq!(store.unread_notifications(b.id, 10).await.unwrap(), 1);
    assert_eq!(store.unread_notifications(a.id, 0).await.unwrap(), 0);
    assert_eq!(read[1].read_at, Some(t0()));
    assert_eq!(
        store.notifications_for_user(b.id, 10).await.unwrap()[0].status,
        NotificationStatus::Pending
    );
    // A read notification is not sent again, and delivery does not unread it.
    let out = store
        .claim_notifications(t0() + TimeDelta::days(2), 10, lease())
        .await
        .unwrap();
    assert_eq!(
        out.iter()
            .map(|n| n.idempotency_key.as_str())
            .collect::<Vec<_>>(),
        vec!["b1", "a2"]
    );
    assert!(
        store
            .mark_notification_read(out[1].id, a.id, t0() + TimeDelta::days(2))
            .await
            .unwrap()
    );
    store
        .mark_notification_sent(out[1].id, t0() + TimeDelta::days(2), None, false)
        .await
        .unwrap();
    assert_eq!(
        store.notifications_for_user(a.id, 10).await.unwrap()[0].status,
        NotificationStatus::Read
    );
}

pub async fn digest_items_and_daily_jobs<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let ids = dispatched_reports(store, 2, 50).await;
    let officer = user_actor(9, Role::Petugas, Some("dinkes"));
    // The second agency responds: its first-response clock stops and leaves the digest.
    let v = store.report_view(ids[1]).await.unwrap().unwrap();
    step(
        store,
        ids[1],
        &officer,
        Command::PostUpdate {
            assignment_id: v.assignments[0].id,
            stage: Stage::Verifikasi,
            note: "Diterima".into(),
        },
        t0() + TimeDelta::hours(1),
    )
    .await;
    // Until 39 hours after dispatch (the end of the next day): report 1's response (due at
    // dispatch + 24 h) only.
    let tuesday_end = t0() + TimeDelta::hours(39);
    let items = store.digest_items(tuesday_end).await.unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].report_id, ids[0]);
    assert_eq!(items[0].agency_id, "dinkes");
    assert_eq!(items[0].kind, ClockKind::FirstResponse);
    assert_eq!(items[0].due_at, t0() + TimeDelta::hours(24));
    assert_eq!(
        items[0].tracking_id,
        store.report(ids[0]).await.unwrap().unwrap().tracking_id
    );
    // Nineteen days on, both completion deadlines (14 working days) are in, earliest first.
    let items = store
        .digest_items(t0() + TimeDelta::days(19))
        .await
        .unwrap();
    assert_eq!(
        items
            .iter()
            .map(|i| (i.report_id, i.kind))
            .collect::<Vec<_>>(),
        vec![
            (ids[0], ClockKind::FirstResponse),
            (ids[0], ClockKind::Completion),
            (ids[1], ClockKind::Completion),
        ]
    );

    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
    assert_eq!(store.daily_job_last_date("digest").await.unwrap(), None);
    assert!(
        store
            .complete_daily_job("digest", day(1), &[], t0())
            .await
            .unwrap()
    );
    assert!(
        !store
            .complete_daily_job("digest", day(1), &[], t0())
            .await
            .unwrap(),
        "once a day"
    );
    assert!(
        !store
            .complete_daily_job(
                "digest",
                NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
                &[],
                t0()
            )
            .await
            .unwrap(),
        "never backwards"
    );
    assert_eq!(
        store.daily_job_last_date("digest").await.unwrap(),
        Some(day(1))
    );
    assert_eq!(store.daily_job_last_date("other").await.unwrap(), None);
    assert!(
        store
            .complete_daily_job("digest", day(2), &[], t0())
            .await
            .unwrap()
    );
    assert_eq!(
        store.daily_job_last_date("digest").await.unwrap(),
        Some(day(2))
    );
}

/// Open311 keys are stored hashed, listed, found while unrevoked and revoked once (audited); a
/// report filed through a key keeps its token in the same transaction (a taken token writes
/// nothing); the public update feed shows public entries of verified public reports only.
pub async fn open311_keys_tokens_and_the_public_feed<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let integration = staff(store, "sistem.pln", Role::Petugas, Some("dpu-bmck")).await;
    let audited = store.audit_page(0, 10_000).await.unwrap().len();
    let a = store
        .create_open311_key("Aplikasi Kota", "hash-a", None, "user:1", t0())
        .await
        .unwrap();
    let b = store
        .create_open311_key("Sistem PLN", "hash-b", Some(integration.id), "user:1", t0())
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_open311_key("Lagi", "hash-a", None, "user:1", t0())
            .await,
        Err(StoreError::Conflict(_))
    ));
    let keys = store.open311_keys().await.unwrap();
    assert_eq!(
        keys.iter()
            .map(|k| (k.id, k.name.as_str(), k.user_id))
            .collect::<Vec<_>>(),
        vec![
            (a, "Aplikasi Kota", None),
            (b, "Sistem PLN", Some(integration.id))
        ]
    );
    assert_eq!(keys[0].created_by, "user:1");
    assert_eq!(keys[0].created_at, t0());
    assert_eq!(
        store
            .open311_key_by_hash("hash-b")
            .await
            .unwrap()
            .unwrap()
            .id,
        b
    );
    assert!(store.open311_key_by_hash("hash-x").await.unwrap().is_none());
    let later = t0() + TimeDelta::minutes(1);
    assert!(store.revoke_open311_key(b, "user:1", later).await.unwrap());
    assert!(!store.revoke_open311_key(b, "user:1", later).await.unwrap());
    assert!(store.open311_key_by_hash("hash-b").await.unwrap().is_none());
    assert_eq!(
        store.open311_keys().await.unwrap()[1].revoked_at,
        Some(later)
    );
    let events = store.audit_page(0, 10_000).await.unwrap();
    let actions: Vec<&str> = events[audited..]
        .iter()
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "open311_key.created",
            "open311_key.created",
            "open311_key.revoked"
        ]
    );

    let mut rng = StdRng::seed_from_u64(31);
    let mut filed = new_report(&mut rng, "Lewat Open311", Some("+6281300000031"), t0());
    filed.channel = Channel::Open311;
    filed.open311 = Some(Open311Origin {
        key_id: a,
        token: "tok-1".into(),
    });
    let r = store.create_report(&filed).await.unwrap();
    assert_eq!(
        store.report_by_open311_token("tok-1").await.unwrap(),
        Some(r.tracking_id.clone())
    );
    assert_eq!(store.report_by_open311_token("tok-2").await.unwrap(), None);
    let before = store.count_reports().await.unwrap();
    let mut again = new_report(&mut rng, "Token sama", None, t0());
    again.open311 = filed.open311.clone();
    assert!(store.create_report(&again).await.is_err());
    assert_eq!(store.count_reports().await.unwrap(), before);

    // The feed: nothing while the report is new; the dispatch's public entry once verified and
    // dispatched; never an internal instruction; never a confidential report.
    let day = |h: i64| t0() + TimeDelta::hours(h);
    assert!(
        store
            .public_updates(t0(), day(48), 100)
            .await
            .unwrap()
            .is_empty()
    );
    let op = user_actor(1, Role::Operator, None);
    let dispatch = Command::Dispatch {
        targets: vec![DispatchTarget {
            agency_id: "dpu-bmck".into(),
            role: AssignmentRole::Utama,
        }],
        note: Some("Diteruskan ke DPU".into()),
        note_public: true,
    };
    step(store, r.id, &op, dispatch.clone(), day(1)).await;
    step(
        store,
        r.id,
        &user_actor(4, Role::Pimpinan, None),
        Command::AddInstruction {
            note: "Internal".into(),
        },
        day(2),
    )
    .await;
    let mut secret = new_report(&mut rng, "Rahasia", None, t0());
    secret.visibility = Visibility {
        rahasia: true,
        anonim: false,
    };
    let secret = store.create_report(&secret).await.unwrap();
    step(store, secret.id, &op, dispatch, day(1)).await;
    let feed = store.public_updates(t0(), day(48), 100).await.unwrap();
    assert!(!feed.is_empty());
    assert!(feed.iter().all(|(tid, a)| *tid == r.tracking_id
        && a.audience == Audience::Public
        && a.report_id == r.id));
    assert!(
        feed.windows(2)
            .all(|w| (w[0].1.created_at, w[0].1.id) <= (w[1].1.created_at, w[1].1.id))
    );
    // The window and the limit.
    assert!(
        store
            .public_updates(day(3), day(48), 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.public_updates(t0(), day(48), 1).await.unwrap().len(),
        1
    );
}

pub async fn reporter_updates_and_job_cursors<H: Harness>(h: &H) {
    use tanggap_domain::escalation::{NotifyChannel, RecipientKind};
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let mut rng = StdRng::seed_from_u64(8);
    let op = user_actor(1, Role::Operator, None);
    let web = store
        .create_report(&new_report(
            &mut rng,
            "Jalan rusak",
            Some("+6281300000001"),
            t0(),
        ))
        .await
        .unwrap();
    let v = step(
        store,
        web.id,
        &op,
        Command::Dispatch {
            targets: vec![DispatchTarget {
                agency_id: "dpu-bmck".into(),
                role: AssignmentRole::Utama,
            }],
            note: None,
            note_public: false,
        },
        t0() + TimeDelta::minutes(5),
    )
    .await;
    step(
        store,
        web.id,
        &user_actor(4, Role::Pimpinan, None),
        Command::AddInstruction {
            note: "Internal".into(),
        },
        t0() + TimeDelta::minutes(6),
    )
    .await;
    step(
        store,
        web.id,
        &user_actor(2, Role::Petugas, Some("dpu-bmck")),
        Command::PostUpdate {
            assignment_id: v.assignments[0].id,
            stage: Stage::Verifikasi,
            note: "Dicek".into(),
        },
        t0() + TimeDelta::minutes(7),
    )
    .await;
    let mut chat = new_report(&mut rng, "Lewat WA", None, t0());
    chat.channel = Channel::Whatsapp;
    chat.reporter = Some(NewReporter {
        channel_address: Some((Channel::Whatsapp, "6281300000002".into())),
        phone: Some("+6281300000002".into()),
        ..Default::default()
    });
    let wa = store.create_report(&chat).await.unwrap();
    step(
        store,
        web.id,
        &user_actor(2, Role::Petugas, Some("dpu-bmck")),
        Command::MessageReporter {
            text: "Besok tim datang".into(),
        },
        t0() + TimeDelta::minutes(8),
    )
    .await;

    let updates = store.reporter_updates(0, 100).await.unwrap();
    let kinds: Vec<(i64, ActivityKind)> = updates
        .iter()
        .map(|u| (u.activity.report_id, u.activity.kind))
        .collect();
    assert!(
        !kinds.iter().any(|(_, k)| *k == ActivityKind::Instruction),
        "internal entries are never sent to reporters"
    );
    assert!(
        kinds.contains(&(web.id, ActivityKind::Dispatched))
            && kinds.contains(&(web.id, ActivityKind::StageUpdate))
    );
    assert!(
        kinds.contains(&(web.id, ActivityKind::MessageToReporter)),
        "messages to the reporter are sent to them, though not public"
    );
    assert!(
        updates
            .windows(2)
            .all(|w| w[0].activity.id < w[1].activity.id),
        "oldest first"
    );
    let u = updates
        .iter()
        .find(|u| u.activity.kind == ActivityKind::StageUpdate)
        .unwrap();
    assert_eq!(u.channel, Channel::Web);
    assert_eq!(u.title, "Jalan rusak");
    assert_eq!(
        u.reporter.as_ref().unwrap().email.as_deref(),
        Some("siti@example.id")
    );
    assert_eq!(u.activity.note.as_deref(), Some("Dicek"));
    let w = updates
        .iter()
        .find(|u| u.activity.report_id == wa.id)
        .unwrap();
    assert_eq!(
        (w.channel, w.chat_address.as_deref()),
        (Channel::Whatsapp, Some("6281300000002"))
    );
    let last = updates.last().unwrap().activity.id;
    assert!(store.reporter_updates(last, 100).await.unwrap().is_empty());
    assert_eq!(
        store
            .reporter_updates(updates[1].activity.id, 1)
            .await
            .unwrap()[0]
            .activity
            .id,
        updates[2].activity.id
    );

    let note = NewNotification {
        idempotency_key: format!("reporter-update:{}:email", u.activity.id),
        action: "reporter_update".into(),
        report_id: Some(web.id),
        assignment_id: None,
        agency_id: Some("dpu-bmck".into()),
        recipient: RecipientKind::Reporter,
        user_id: None,
        channel: NotifyChannel::Email,
        address: Some("siti@example.id".into()),
        subject: "Laporan diperbarui".into(),
        body: "Dicek".into(),
    };
    assert_eq!(store.job_cursor("reporter_updates").await.unwrap(), 0);
    assert!(
        store
            .advance_job_cursor("reporter_updates", 0, 5, std::slice::from_ref(&note), t0())
            .await
            .unwrap()
    );
    assert_eq!(store.job_cursor("reporter_updates").await.unwrap(), 5);
    assert!(
        !store
            .advance_job_cursor("reporter_updates", 0, 7, &[], t0())
            .await
            .unwrap(),
        "a stale move is refused"
    );
    assert_eq!(store.job_cursor("reporter_updates").await.unwrap(), 5);
    assert!(
        store
            .advance_job_cursor("reporter_updates", 5, 9, std::slice::from_ref(&note), t0())
            .await
            .unwrap()
    );
    let sent = store.notifications_for_report(web.id).await.unwrap();
    assert_eq!(
        sent.iter()
            .filter(|n| n.action == "reporter_update")
            .count(),
        1,
        "one notification per key"
    );
    assert_eq!(store.job_cursor("another_job").await.unwrap(), 0);
}

/// A provider's message is recorded once (a retry is a no-op), handled one at a time per sender
/// and oldest first, retried after a failure, and emptied of the sender's words once handled.
pub async fn inbound_messages_are_recorded_once_and_handled_in_order<H: Harness>(h: &H) {
    let store = h.store();
    let wa = Channel::Whatsapp;
    let a = "+6281200000001";
    let b = "+6281200000002";
    let first = store
        .record_inbound(wa, "wamid.1", a, r#"{"text":"jalan rusak"}"#, t0())
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(
        store
            .record_inbound(wa, "wamid.1", a, r#"{"text":"jalan rusak"}"#, t0())
            .await
            .unwrap(),
        None,
        "a provider's retry records nothing"
    );
    let second = store
        .record_inbound(
            wa,
            "wamid.2",
            a,
            r#"{"text":"foto"}"#,
            t0() + TimeDelta::seconds(5),
        )
        .await
        .unwrap()
        .unwrap();
    let other = store
        .record_inbound(Channel::Telegram, "wamid.1", b, "{}", t0())
        .await
        .unwrap()
        .expect("the same id on another channel is another message");
    assert_eq!(
        store.last_inbound_at(wa, a).await.unwrap(),
        Some(t0() + TimeDelta::seconds(5))
    );
    assert_eq!(store.last_inbound_at(wa, b).await.unwrap(), None);

    let lease = TimeDelta::minutes(2);
    let claimed = store.claim_inbound(t0(), 10, lease).await.unwrap();
    let ids: Vec<i64> = claimed.iter().map(|m| m.id).collect();
    assert_eq!(
        ids,
        vec![first, other],
        "one message per sender, oldest first"
    );
    assert_eq!(claimed[0].address, a);
    assert_eq!(claimed[0].payload, r#"{"text":"jalan rusak"}"#);
    assert_eq!(claimed[0].attempts, 1);
    assert!(
        store
            .claim_inbound(t0(), 10, lease)
            .await
            .unwrap()
            .is_empty(),
        "leased messages and the ones queued behind them wait"
    );
    store
        .end_inbound(
            first,
            &InboundEnd::Retry {
                error: "media not reachable".into(),
                at: t0() + TimeDelta::minutes(1),
            },
            &[],
            t0(),
        )
        .await
        .unwrap();
    assert!(
        store
            .claim_inbound(t0(), 10, lease)
            .await
            .unwrap()
            .is_empty()
    );
    let again = store
        .claim_inbound(t0() + TimeDelta::minutes(1), 10, lease)
        .await
        .unwrap();
    assert_eq!(
        again.iter().map(|m| (m.id, m.attempts)).collect::<Vec<_>>(),
        vec![(first, 2)]
    );
    store
        .end_inbound(first, &InboundEnd::Done { report_id: None }, &[], t0())
        .await
        .unwrap();
    let next = store
        .claim_inbound(t0() + TimeDelta::minutes(1), 10, lease)
        .await
        .unwrap();
    assert_eq!(next.iter().map(|m| m.id).collect::<Vec<_>>(), vec![second]);
    store
        .end_inbound(
            second,
            &InboundEnd::Failed {
                error: "bad".into(),
            },
            &[],
            t0(),
        )
        .await
        .unwrap();
    // A lease that ran out is claimed again (a crashed handler).
    let stolen = store
        .claim_inbound(t0() + TimeDelta::minutes(3), 10, lease)
        .await
        .unwrap();
    assert_eq!(stolen.iter().map(|m| m.id).collect::<Vec<_>>(), vec![other]);
    store
        .end_inbound(other, &InboundEnd::Done { report_id: None }, &[], t0())
        .await
        .unwrap();
    assert!(
        store
            .claim_inbound(t0() + TimeDelta::hours(1), 10, lease)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .record_inbound(wa, "wamid.2", a, "{}", t0())
            .await
            .unwrap(),
        None,
        "a handled message is still known: the retry stays a no-op"
    );

    // The open question of a conversation.
    assert_eq!(store.chat_pending(wa, a).await.unwrap(), None);
    let p = ChatPending {
        channel: wa,
        address: a.into(),
        inbound_id: second,
        payload: r#"{"text":"foto"}"#.into(),
        choices: vec!["LG-AAAAAAAAAA".into(), "LG-BBBBBBBBBB".into()],
        asked_at: t0(),
    };
    store.set_chat_pending(&p).await.unwrap();
    assert_eq!(store.chat_pending(wa, a).await.unwrap(), Some(p.clone()));
    let p2 = ChatPending {
        choices: vec!["LG-CCCCCCCCCC".into()],
        ..p.clone()
    };
    store.set_chat_pending(&p2).await.unwrap();
    assert_eq!(store.chat_pending(wa, a).await.unwrap(), Some(p2));
    assert_eq!(store.chat_pending(Channel::Sms, a).await.unwrap(), None);
    store.clear_chat_pending(wa, a).await.unwrap();
    assert_eq!(store.chat_pending(wa, a).await.unwrap(), None);
}

pub async fn a_receipt_is_enqueued_with_its_report_and_a_new_secret_with_its_message<H: Harness>(
    h: &H,
) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let mut rng = StdRng::seed_from_u64(31);
    let receipt = |key: &str| sms_receipt(key, "+6281234500001", "Tautan");
    let mut r = new_report(&mut rng, "Kuitansi", Some("+6281234500001"), t0());
    r.notifications = vec![receipt("receipt:a")];
    let created = store.create_report(&r).await.unwrap();
    let notes = store.notifications_for_report(created.id).await.unwrap();
    assert_eq!(notes.len(), 1, "enqueued with the report");
    assert_eq!(notes[0].report_id, Some(created.id));
    assert_eq!(notes[0].status, NotificationStatus::Pending);

    let new_hash = SecretToken::generate(&mut rng).hash();
    assert!(
        store
            .replace_report_secret(created.id, &new_hash, &receipt("receipt:b"), t0())
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .report_secret_hash(created.id)
            .await
            .unwrap()
            .as_deref(),
        Some(new_hash.as_str())
    );
    assert_eq!(
        store
            .notifications_for_report(created.id)
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(
        !store
            .replace_report_secret(created.id + 999, &new_hash, &receipt("receipt:c"), t0())
            .await
            .unwrap(),
        "no such report: nothing changes, nothing is sent"
    );
    assert_eq!(
        store
            .claim_notifications(t0(), 10, lease())
            .await
            .unwrap()
            .len(),
        1,
        "one address: one at a time"
    );
}

pub async fn assignment_briefs_and_a_users_notifications_on_every_channel<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let ids = dispatched_reports(store, 2, 51).await;
    let views = [
        store.report_view(ids[0]).await.unwrap().unwrap(),
        store.report_view(ids[1]).await.unwrap().unwrap(),
    ];
    let (a0, a1) = (views[0].assignments[0].id, views[1].assignments[0].id);
    let briefs = store.assignment_briefs(&[a1, a0, 999_999]).await.unwrap();
    assert_eq!(
        briefs.iter().map(|b| b.assignment_id).collect::<Vec<_>>(),
        vec![a0, a1],
        "in id order, unknown ids left out"
    );
    let r0 = store.report(ids[0]).await.unwrap().unwrap();
    assert_eq!(briefs[0].report_id, ids[0]);
    assert_eq!(briefs[0].tracking_id, r0.tracking_id);
    assert_eq!(briefs[0].title, r0.title);
    assert_eq!(briefs[0].report_status, ReportStatus::Didisposisikan);
    assert_eq!(briefs[0].agency_id, "dinkes");
    assert_eq!(briefs[0].role, AssignmentRole::Utama);
    assert_eq!(briefs[0].stage, Stage::MenungguRespon);
    assert!(store.assignment_briefs(&[]).await.unwrap().is_empty());

    // A user's notifications on every channel; an e-mail without a provider is only logged.
    let a = staff(store, "kepala.a", Role::Kepala, Some("dinkes")).await;
    let b = staff(store, "kepala.b", Role::Kepala, Some("dinkes")).await;
    let email = |key: &str, user: &User| email_note(key, user, Some(ids[0]));
    let date = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let notes = [
        in_app("a/in_app", a.id, Some(ids[0])),
        email("a/email", &a),
        email("b/email", &b),
    ];
    enqueue_digest(store, date, &notes).await;
    let out = store.claim_notifications(t0(), 10, lease()).await.unwrap();
    for n in &out {
        let logged = n.channel == NotifyChannel::Email;
        store
            .mark_notification_sent(n.id, t0(), None, logged)
            .await
            .unwrap();
    }
    let mine = store.notifications_to_user(a.id, 10).await.unwrap();
    assert_eq!(
        mine.iter()
            .map(|n| (n.idempotency_key.as_str(), n.status, n.logged_only))
            .collect::<Vec<_>>(),
        vec![
            ("a/email", NotificationStatus::Sent, true),
            ("a/in_app", NotificationStatus::Sent, false),
        ],
        "newest first, with how each was delivered"
    );
    assert_eq!(store.notifications_to_user(a.id, 1).await.unwrap().len(), 1);
    assert_eq!(
        store.notifications_for_user(a.id, 10).await.unwrap().len(),
        1,
        "the inbox is in-app only"
    );
}

/// The dispatcher records the messages whose sending finished together in one call: each gets
/// its own provider id and delivery mode, one read while it was out stays read, and nothing
/// else changes.
pub async fn notifications_sent_together_are_each_recorded<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let ids = dispatched_reports(store, 1, 53).await;
    let a = staff(store, "kepala.a", Role::Kepala, Some("dinkes")).await;
    let b = staff(store, "kepala.b", Role::Kepala, Some("dinkes")).await;
    let email = |key: &str, user: &User| email_note(key, user, Some(ids[0]));
    let notes = [
        in_app("a/in_app", a.id, Some(ids[0])),
        email("a/email", &a),
        email("b/email", &b),
        // Behind b's first e-mail: not claimed in this round, so not recorded.
        email("b/later", &b),
    ];
    let date = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
    enqueue_digest(store, date, &notes).await;
    let out = store.claim_notifications(t0(), 10, lease()).await.unwrap();
    let key = |n: &Notification| n.idempotency_key.clone();
    assert_eq!(
        out.iter().map(key).collect::<Vec<_>>(),
        vec!["a/in_app", "a/email", "b/email"],
        "in id order, one per address"
    );
    let in_app_id = out[0].id;
    assert!(
        store
            .mark_notification_read(in_app_id, a.id, t0())
            .await
            .unwrap()
    );
    let sent_at = t0() + TimeDelta::seconds(5);
    let sent = [
        SentNotification {
            id: out[0].id,
            provider_message_id: None,
            logged_only: false,
        },
        SentNotification {
            id: out[1].id,
            provider_message_id: Some("wamid.a".into()),
            logged_only: false,
        },
        SentNotification {
            id: out[2].id,
            provider_message_id: None,
            logged_only: true,
        },
    ];
    store.mark_notifications_sent(sent_at, &sent).await.unwrap();
    store.mark_notifications_sent(sent_at, &[]).await.unwrap();
    let mut all = store.notifications_to_user(a.id, 10).await.unwrap();
    all.extend(store.notifications_to_user(b.id, 10).await.unwrap());
    all.sort_by_key(|n| n.id);
    assert_eq!(
        all.iter()
            .map(|n| (
                n.idempotency_key.as_str(),
                n.status,
                n.sent_at,
                n.provider_message_id.as_deref(),
                n.logged_only
            ))
            .collect::<Vec<_>>(),
        vec![
            (
                "a/in_app",
                NotificationStatus::Read,
                Some(sent_at),
                None,
                false
            ),
            (
                "a/email",
                NotificationStatus::Sent,
                Some(sent_at),
                Some("wamid.a"),
                false
            ),
            (
                "b/email",
                NotificationStatus::Sent,
                Some(sent_at),
                None,
                true
            ),
            ("b/later", NotificationStatus::Pending, None, None, false),
        ]
    );
    let next = store.claim_notifications(t0(), 10, lease()).await.unwrap();
    assert_eq!(
        next.iter().map(key).collect::<Vec<_>>(),
        vec!["b/later"],
        "the address's next message comes out once the one before it is sent"
    );
}

/// The figures the database counts (`compliance_counts`, `lalai_obligations`) are those the
/// domain computes from every stored fact (`compute` over `obligations` and
/// `assignment_facts`), at instants before, around and long after the deadlines, for every
/// agency, one agency and none.
pub async fn counts_agree_with_the_facts(store: &dyn Store) -> DerivedCompared {
    use tanggap_domain::compliance::{
        CompletionFact, ObligationFact, ReportOutcomeFact, compute, from_counts, total,
        total_from_counts, truncated_to_micros,
    };
    let cal = calendar();
    // Whole tally cells (days at +07:00) and periods with edges inside a cell, both ways.
    let day = |d: i64| {
        let c = crate::tally::cell_of(t0().timestamp_micros()) + d;
        Timestamp::from_timestamp_micros(crate::tally::cell_start(c)).unwrap()
    };
    let periods = [
        (t0() - TimeDelta::days(30), t0() + TimeDelta::days(400)),
        (t0() + TimeDelta::hours(1), t0() + TimeDelta::days(3)),
        (day(-10), day(20)),
        (day(0) + TimeDelta::hours(20), day(3) + TimeDelta::hours(3)),
    ];
    let instants = [
        t0() - TimeDelta::days(1),
        t0() + TimeDelta::hours(2),
        t0() + TimeDelta::days(1),
        t0() + TimeDelta::days(3),
        t0() + TimeDelta::days(400),
    ];
    let mut agencies: Vec<String> = store
        .obligations(periods[0].0, periods[0].1, None)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.agency_id)
        .collect();
    agencies.sort();
    agencies.dedup();
    assert!(
        !agencies.is_empty(),
        "the case made no obligations to count"
    );
    let scopes: Vec<Option<Vec<String>>> =
        vec![None, Some(vec![agencies[0].clone()]), Some(vec![])];
    // The comparison must have had something to compare.
    let (mut answered, mut timed) = (0, 0);
    // What the assignments' derived columns (migration 0012) said, over every comparison.
    let mut derived = DerivedCompared::default();
    for (from, to) in periods {
        for now in instants {
            for scope in &scopes {
                let ids = scope.as_deref();
                // The reference: every fact loaded, computed by the domain.
                let obligations = store.obligations(from, to, ids).await.unwrap();
                let facts: Vec<ObligationFact> =
                    obligations.iter().map(ObligationRecord::fact).collect();
                let mut completions = vec![];
                let mut outcomes = vec![];
                for a in store.assignment_facts(from, to).await.unwrap() {
                    if ids.is_some_and(|ids| !ids.contains(&a.agency_id))
                        || matches!(a.stage, Stage::Diteruskan | Stage::BukanWewenang)
                    {
                        continue;
                    }
                    if let Some(c) = &a.completion {
                        completions.push(CompletionFact {
                            agency_id: a.agency_id.clone(),
                            used: c.elapsed(now, &cal),
                            budget: c.budget,
                            finished: a.stage == Stage::Tuntas && c.stopped_at.is_some(),
                        });
                    }
                    outcomes.push(ReportOutcomeFact {
                        agency_id: a.agency_id.clone(),
                        reopened: a.reopened,
                        finished: a.finished,
                        rating: (a.role == AssignmentRole::Utama)
                            .then(|| a.rating.zip(a.outcome))
                            .flatten(),
                    });
                }
                let expected = compute(&facts, &completions, &outcomes, now);
                let expected_total = truncated_to_micros(total(&facts, &expected));
                let expected: Vec<_> = expected
                    .into_iter()
                    .map(|(k, f)| (k, truncated_to_micros(f)))
                    .collect();

                // What the database counted.
                let counts = store.compliance_counts(from, to, ids, now).await.unwrap();
                let lalai = store.lalai_obligations(from, to, ids, now).await.unwrap();
                let lalai_facts: Vec<ObligationFact> =
                    lalai.iter().map(ObligationRecord::fact).collect();
                let expected_lalai: Vec<&ObligationFact> =
                    facts.iter().filter(|f| f.is_lalai(now)).collect();
                assert_eq!(
                    lalai_facts.iter().collect::<Vec<_>>(),
                    expected_lalai,
                    "lalai at {now} in {from}..{to} for {ids:?}"
                );
                let running: Vec<CompletionFact> = counts
                    .running_completions
                    .iter()
                    .map(|(agency_id, c)| CompletionFact::running(agency_id, c, now, &cal))
                    .collect();
                let got = from_counts(
                    &counts.obligations,
                    &counts.assignments,
                    &running,
                    lalai_facts
                        .iter()
                        .map(|l| (l.agency_id.as_str(), l.tracking_id.as_str())),
                );
                let got_total = total_from_counts(&counts.total, &got);
                answered += got_total.on_time + got_total.late;
                timed += usize::from(got_total.median_response.is_some());
                derived.finished += got_total.finished;
                derived.reopened += got_total.reopened;
                derived.rated += got_total.ratings;
                derived.completed += got_total.completion_on_target + got_total.completion_late;
                let got: Vec<_> = got.into_iter().collect();
                assert_eq!(
                    got, expected,
                    "figures at {now} in {from}..{to} for {ids:?}"
                );
                assert_eq!(
                    got_total, expected_total,
                    "total at {now} in {from}..{to} for {ids:?}"
                );
            }
        }
    }
    assert!(
        answered > 0 && timed > 0,
        "no answered obligation was compared"
    );
    derived
}

/// How many finished, reopened, rated and completed assignments `counts_agree_with_the_facts`
/// compared (summed over its periods, instants and scopes): a case that has them can assert
/// that the comparison covered them.
#[derive(Debug, Default)]
pub struct DerivedCompared {
    pub finished: u64,
    pub reopened: u64,
    pub rated: u64,
    pub completed: u64,
}

/// Connectors: set (audited without the secret), items enqueued once with the cursor, leased,
/// retried and sent (the link gets the remote id and the delivery time, the trail what was
/// sent), remote updates recorded once, health and queue counts, deactivation.
pub async fn connectors_send_once_retry_link_and_record_updates_once<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let report = dispatched_reports(store, 1, 31).await[0];
    let assignment = store.assignments(report).await.unwrap()[0].clone();
    assert_eq!(assignment.agency_id, "dinkes");
    let mut map = std::collections::BTreeMap::new();
    map.insert(
        "ACTION_SCHEDULED".to_string(),
        tanggap_domain::Stage::CekLapangan,
    );
    let connector = Connector {
        agency_id: "dinkes".into(),
        kind: ConnectorKind::Webhook,
        target: "https://sistem.dinkes.example/tanggap".into(),
        secret: Some("rahasia-bersama-panjang".into()),
        status_map: map.clone(),
        active: true,
        created_at: t0(),
        updated_at: t0(),
        followed_until: None,
        last_success_at: None,
        last_error_at: None,
        last_error: None,
        queued: 0,
        failed: 0,
    };
    store
        .put_connector(&connector, "user:9", t0())
        .await
        .unwrap();
    let got = store.connector("dinkes").await.unwrap().unwrap();
    assert_eq!(got.kind, ConnectorKind::Webhook);
    assert_eq!(got.secret.as_deref(), Some("rahasia-bersama-panjang"));
    assert_eq!(got.status_map, map);
    assert!(got.active);
    let trail = store.audit_for_object("agency", "dinkes").await.unwrap();
    let set = trail.iter().find(|e| e.action == "connector.set").unwrap();
    assert!(
        !set.after.as_deref().unwrap_or_default().contains("rahasia"),
        "no secret on the trail"
    );

    let send = |key: &str, token: Option<&str>| NewConnectorSend {
        idempotency_key: key.into(),
        agency_id: "dinkes".into(),
        report_id: report,
        assignment_id: assignment.id,
        kind: if token.is_some() {
            SendKind::Report
        } else {
            SendKind::Update
        },
        activity_id: 7,
        token: token.map(str::to_string),
    };
    let job = "connectors";
    assert!(
        store
            .advance_connector_cursor(job, 0, 5, &[send("connector:5:dinkes", Some("ab12"))], t0())
            .await
            .unwrap()
    );
    assert!(
        !store
            .advance_connector_cursor(job, 0, 6, &[send("connector:6:dinkes", None)], t0())
            .await
            .unwrap(),
        "the cursor moved"
    );
    assert_eq!(store.job_cursor(job).await.unwrap(), 5);
    // The same item again (another instance, a second walk): kept once; a second link token is
    // ignored.
    assert!(
        store
            .advance_connector_cursor(job, 5, 6, &[send("connector:5:dinkes", Some("cd34"))], t0())
            .await
            .unwrap()
    );
    assert_eq!(store.connector("dinkes").await.unwrap().unwrap().queued, 1);
    let link = store.connector_link(assignment.id).await.unwrap().unwrap();
    assert_eq!(
        (
            link.token.as_str(),
            link.remote_id.as_ref(),
            link.delivered_at
        ),
        ("ab12", None, None)
    );

    // Leased while sent; a lapsed lease is taken up again.
    let claimed = store
        .claim_connector_sends(t0(), t0() + lease(), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        (
            claimed[0].kind,
            claimed[0].attempts,
            claimed[0].assignment_id
        ),
        (SendKind::Report, 0, assignment.id)
    );
    assert!(
        store
            .claim_connector_sends(t0(), t0() + lease(), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let later = t0() + lease() + TimeDelta::seconds(1);
    let again = store
        .claim_connector_sends(later, later + lease(), 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    let id = again[0].id;

    // A retry waits for its time.
    let retry_at = later + TimeDelta::minutes(1);
    store
        .finish_connector_send(
            id,
            &SendOutcome::Retry {
                at: retry_at,
                error: "connection refused".into(),
            },
            later,
        )
        .await
        .unwrap();
    let health = store.connector("dinkes").await.unwrap().unwrap();
    assert_eq!(
        (
            health.queued,
            health.last_error.as_deref(),
            health.last_error_at
        ),
        (1, Some("connection refused"), Some(later))
    );
    assert!(
        store
            .claim_connector_sends(retry_at - TimeDelta::seconds(1), retry_at + lease(), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let third = store
        .claim_connector_sends(retry_at, retry_at + lease(), 10)
        .await
        .unwrap();
    assert_eq!((third.len(), third[0].attempts), (1, 1));

    store
        .finish_connector_send(
            id,
            &SendOutcome::Sent {
                remote_id: Some("R-1".into()),
                fields: vec!["title".into(), "description".into()],
                digest: "00ff".into(),
            },
            retry_at,
        )
        .await
        .unwrap();
    let link = store.connector_link(assignment.id).await.unwrap().unwrap();
    assert_eq!(
        (link.remote_id.as_deref(), link.delivered_at),
        (Some("R-1"), Some(retry_at))
    );
    assert_eq!(
        store.connector_link_by_token("ab12").await.unwrap(),
        Some(link.clone())
    );
    assert_eq!(
        store
            .connector_link_by_remote("dinkes", "R-1")
            .await
            .unwrap(),
        Some(link.clone())
    );
    assert_eq!(
        store
            .connector_link_by_remote("dpu-bmck", "R-1")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.open_connector_links("dinkes", 10).await.unwrap(),
        vec![link]
    );
    let health = store.connector("dinkes").await.unwrap().unwrap();
    assert_eq!((health.queued, health.last_success_at), (0, Some(retry_at)));
    let sent = store
        .audit_for_object("assignment", &assignment.id.to_string())
        .await
        .unwrap();
    let sent = sent
        .iter()
        .find(|e| e.action == "connector.sent")
        .expect("what was sent is on the trail");
    assert!(
        sent.after
            .as_deref()
            .unwrap_or_default()
            .contains("description")
    );
    assert!(
        store
            .claim_connector_sends(
                retry_at + TimeDelta::hours(1),
                retry_at + TimeDelta::hours(2),
                10
            )
            .await
            .unwrap()
            .is_empty(),
        "sent is sent"
    );

    // Given up: counted as failed.
    assert!(
        store
            .advance_connector_cursor(job, 6, 8, &[send("connector:8:dinkes", None)], retry_at)
            .await
            .unwrap()
    );
    let item = store
        .claim_connector_sends(retry_at, retry_at + lease(), 10)
        .await
        .unwrap();
    store
        .finish_connector_send(
            item[0].id,
            &SendOutcome::Failed {
                error: "answered 410".into(),
            },
            retry_at,
        )
        .await
        .unwrap();
    let health = store.connector("dinkes").await.unwrap().unwrap();
    assert_eq!((health.queued, health.failed), (0, 1));
    let listed = store.connector_sends(Some("dinkes"), 10).await.unwrap();
    assert_eq!(
        listed.iter().map(|s| s.status.as_str()).collect::<Vec<_>>(),
        ["failed", "sent"]
    );
    assert_eq!(listed[1].attempts, 2);

    // Remote updates, once each.
    let update = RemoteUpdateRecord {
        agency_id: "dinkes".into(),
        update_id: "u-1".into(),
        assignment_id: assignment.id,
        status: "ACTION_SCHEDULED".into(),
        remote_at: retry_at,
        received_at: retry_at + TimeDelta::minutes(1),
        outcome: "recorded".into(),
    };
    assert!(!store.remote_update_seen("dinkes", "u-1").await.unwrap());
    assert!(store.record_remote_update(&update).await.unwrap());
    assert!(!store.record_remote_update(&update).await.unwrap());
    assert!(store.remote_update_seen("dinkes", "u-1").await.unwrap());
    assert_eq!(
        store.remote_updates(assignment.id).await.unwrap(),
        vec![update]
    );
    store
        .set_remote_update_outcome("dinkes", "u-1", "refused:wrong_stage")
        .await
        .unwrap();
    assert_eq!(
        store.remote_updates(assignment.id).await.unwrap()[0].outcome,
        "refused:wrong_stage"
    );

    // Following: how far, and the health.
    let until = retry_at + TimeDelta::hours(1);
    store
        .connector_followed("dinkes", Some(until), None, until)
        .await
        .unwrap();
    store
        .connector_followed(
            "dinkes",
            None,
            Some("answered 503"),
            until + TimeDelta::minutes(1),
        )
        .await
        .unwrap();
    let health = store.connector("dinkes").await.unwrap().unwrap();
    assert_eq!(health.followed_until, Some(until));
    assert_eq!(health.last_error.as_deref(), Some("answered 503"));

    // Deactivated: nothing more is claimed for it.
    assert!(
        store
            .advance_connector_cursor(job, 8, 9, &[send("connector:9:dinkes", None)], until)
            .await
            .unwrap()
    );
    assert!(
        store
            .deactivate_connector("dinkes", "user:9", until)
            .await
            .unwrap()
    );
    assert!(
        !store
            .deactivate_connector("dinkes", "user:9", until)
            .await
            .unwrap()
    );
    assert!(!store.connectors().await.unwrap()[0].active);
    assert!(
        store
            .claim_connector_sends(until, until + lease(), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// The routing history holds dispatched reports (newest first) with their first lead, never an
/// undispatched one; choices round-trip and the accuracy is counted from them.
pub async fn the_assistant_learns_from_leads_and_keeps_choices<H: Harness>(h: &H) {
    let store = h.store();
    let store = store.as_ref();
    seed(store).await;
    let ids = dispatched_reports(store, 2, 81).await;
    let mut rng = StdRng::seed_from_u64(82);
    let both = store
        .create_report(&new_report(&mut rng, "Bansos tidak cair", None, t0()))
        .await
        .unwrap()
        .id;
    let op = user_actor(1, Role::Operator, None);
    step(
        store,
        both,
        &op,
        Command::Dispatch {
            targets: vec![
                DispatchTarget {
                    agency_id: "dinkes".into(),
                    role: AssignmentRole::Pendukung,
                },
                DispatchTarget {
                    agency_id: "dpu-bmck".into(),
                    role: AssignmentRole::Utama,
                },
            ],
            note: None,
            note_public: false,
        },
        t0(),
    )
    .await;
    store
        .create_report(&new_report(&mut rng, "Belum didisposisikan", None, t0()))
        .await
        .unwrap();
    let history = store.routing_history(10).await.unwrap();
    assert_eq!(history.len(), 3, "{history:?}");
    assert_eq!(history[0].title, "Bansos tidak cair");
    assert_eq!(
        history[0].agency_id, "dpu-bmck",
        "the lead, not the supporter"
    );
    assert!(history[1..].iter().all(|e| e.agency_id == "dinkes"));
    assert_eq!(store.routing_history(1).await.unwrap().len(), 1);

    let route = |a: &str, c: Option<&str>| SuggestedRoute {
        agency_id: a.into(),
        category: c.map(str::to_string),
        confidence: 0.5,
    };
    let suggested = vec![
        route("dinkes", Some("kesehatan")),
        route("bpbd", Some("bencana")),
        route("dinsos", None),
    ];
    let choice =
        |report_id: i64, agency: &str, category: Option<&str>, at: Timestamp| RoutingChoice {
            report_id,
            suggested: suggested.clone(),
            chosen_agency: agency.into(),
            chosen_category: category.map(str::to_string),
            trained_on: 3,
            at,
        };
    let taken = choice(ids[0], "dinkes", Some("kesehatan"), t0());
    let third = choice(ids[1], "dinsos", None, t0() + TimeDelta::hours(1));
    let other = choice(
        both,
        "satpolpp",
        Some("ketertiban"),
        t0() + TimeDelta::hours(2),
    );
    assert_eq!(taken.rank(), Some(1));
    assert_eq!(third.rank(), Some(3));
    assert_eq!(other.rank(), None);
    for c in [&taken, &third, &other] {
        store.record_routing_choice(c).await.unwrap();
    }
    let all = store
        .routing_accuracy(t0() - TimeDelta::days(1))
        .await
        .unwrap();
    assert_eq!(
        all,
        RoutingAccuracy {
            dispatches: 3,
            top1: 1,
            top3: 2,
            categorised: 2,
            category_right: 1,
        }
    );
    let later = store
        .routing_accuracy(t0() + TimeDelta::minutes(30))
        .await
        .unwrap();
    assert_eq!((later.dispatches, later.top1, later.top3), (2, 0, 1));
    let overrides = store.routing_overrides(10).await.unwrap();
    assert_eq!(
        overrides.len(),
        2,
        "the first suggestion taken is not an override"
    );
    assert_eq!(overrides[0].choice, other);
    assert_eq!(overrides[1].choice, third);
    let report = store.report(both).await.unwrap().unwrap();
    assert_eq!(overrides[0].tracking_id, report.tracking_id);
}
