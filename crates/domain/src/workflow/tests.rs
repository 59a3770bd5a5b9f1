use super::*;
use crate::calendar::test_support::wib;
use crate::model::{ReportKind, Role, Visibility};
use chrono::TimeDelta;

struct World {
    cal: WorkingCalendar,
    policy: SlaPolicy,
    tree: AgencyTree,
    now: Timestamp,
    next_id: i64,
}

impl World {
    fn new() -> Self {
        World {
            cal: WorkingCalendar::jakarta(),
            policy: SlaPolicy::jateng(),
            tree: AgencyTree::new([
                ("pemprov", None),
                ("dinkes", Some("pemprov")),
                ("rsud-moewardi", Some("dinkes")),
                ("dpu-bmck", Some("pemprov")),
                ("pemda-33-74", None),
            ]),
            now: wib("2026-11-30 09:00"),
            next_id: 100,
        }
    }

    fn report(&self) -> ReportView {
        ReportView {
            id: 1,
            status: ReportStatus::Baru,
            status_before_wait: None,
            fields: ReportFields {
                kind: ReportKind::Pengaduan,
                title: "Jalan berlubang".into(),
                body: "Jalan provinsi di Ungaran berlubang besar.".into(),
                category: Some("jalan-jembatan".into()),
                region_code: Some("33.22".into()),
                address: None,
                visibility: Visibility::PUBLIK,
                needs_field_check: false,
            },
            assignments: vec![],
            clocks: new_report_clocks(self.now, &self.policy, &self.cal),
            version: 1,
        }
    }

    fn run(
        &mut self,
        v: &ReportView,
        actor: &Actor,
        cmd: Command,
    ) -> Result<ReportView, WorkflowError> {
        let ctx = Context {
            now: self.now,
            calendar: &self.cal,
            policy: &self.policy,
            agencies: &self.tree,
        };
        let events = decide(v, actor, &cmd, &ctx)?;
        let mut id = self.next_id;
        let out = evolve(v, &events, || {
            id += 1;
            id
        });
        self.next_id = id;
        Ok(out)
    }

    fn advance(&mut self, d: TimeDelta) {
        self.now += d;
    }
}

fn user(role: Role, agency: Option<&str>) -> Actor {
    Actor::User(UserActor {
        user_id: 7,
        role,
        agency_id: agency.map(str::to_string),
    })
}
fn operator() -> Actor {
    user(Role::Operator, None)
}
fn petugas(agency: &str) -> Actor {
    user(Role::Petugas, Some(agency))
}
fn reporter() -> Actor {
    Actor::Reporter {
        reporter_id: Some(1),
    }
}

fn dispatch_two() -> Command {
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
        note: None,
        note_public: false,
    }
}

fn update(id: i64, stage: Stage) -> Command {
    Command::PostUpdate {
        assignment_id: id,
        stage,
        note: format!("tahap {stage}"),
    }
}

fn clock(a: &AssignmentView, kind: ClockKind) -> &Clock {
    a.clocks.iter().find(|c| c.kind == kind).unwrap()
}

#[test]
fn the_whole_story() {
    let mut w = World::new();
    let v = w.report();
    let v = w.run(&v, &operator(), dispatch_two()).unwrap();
    assert_eq!(v.status, ReportStatus::Didisposisikan);
    assert_eq!(v.assignments.len(), 2);
    let (dpu, pemda) = (v.assignments[0].id, v.assignments[1].id);
    let a = &v.assignments[0];
    assert_eq!(
        clock(a, ClockKind::FirstResponse).due_at,
        Some(wib("2026-12-01 09:00"))
    );
    // 14 working days from Monday 30 Nov 09:00, no holidays in this calendar.
    assert_eq!(
        clock(a, ClockKind::Completion).due_at,
        Some(wib("2026-12-18 09:00"))
    );
    assert!(
        v.clocks
            .iter()
            .find(|c| c.kind == ClockKind::Triage)
            .unwrap()
            .stopped_at
            .is_some()
    );

    // The supporting agency says it is not theirs; the report stays with the lead.
    w.advance(TimeDelta::hours(2));
    let v = w
        .run(
            &v,
            &petugas("pemda-33-74"),
            Command::ReturnNotAuthority {
                assignment_id: pemda,
                reason: "Jalan provinsi, bukan jalan kota".into(),
            },
        )
        .unwrap();
    assert_eq!(v.status, ReportStatus::Didisposisikan);
    let returned = v.assignments.iter().find(|a| a.id == pemda).unwrap();
    assert_eq!(returned.stage, Stage::BukanWewenang);
    assert!(returned.responded, "a reasoned return counts as a response");

    w.advance(TimeDelta::hours(3));
    let v = w
        .run(&v, &petugas("dpu-bmck"), update(dpu, Stage::Verifikasi))
        .unwrap();
    assert_eq!(v.status, ReportStatus::Diproses);
    let a = v.assignments.iter().find(|a| a.id == dpu).unwrap();
    assert!(a.responded);
    assert!(clock(a, ClockKind::FirstResponse).stopped_at.is_some());
    assert!(!clock(a, ClockKind::FirstResponse).is_late(w.now));
    let v = w
        .run(&v, &petugas("dpu-bmck"), update(dpu, Stage::CekLapangan))
        .unwrap();
    let v = w
        .run(&v, &petugas("dpu-bmck"), update(dpu, Stage::Pengerjaan))
        .unwrap();
    // Going back is refused.
    assert!(matches!(
        w.run(&v, &petugas("dpu-bmck"), update(dpu, Stage::Verifikasi)),
        Err(WorkflowError::WrongStage { .. })
    ));
    let v = w
        .run(&v, &petugas("dpu-bmck"), update(dpu, Stage::Tuntas))
        .unwrap();
    assert_eq!(v.status, ReportStatus::Selesai);
    assert!(
        v.clocks
            .iter()
            .any(|c| c.kind == ClockKind::AutoClose && c.is_running())
    );

    // Rated "not fixed" and reopened: back to the agency on a new response clock.
    w.advance(TimeDelta::days(2));
    let v = w
        .run(
            &v,
            &reporter(),
            Command::Rate {
                score: 1,
                outcome: Outcome::NotFixed,
                comment: Some("Masih berlubang".into()),
            },
        )
        .unwrap();
    assert_eq!(v.status, ReportStatus::Selesai);
    let v = w
        .run(
            &v,
            &reporter(),
            Command::Reopen {
                reason: "Lubang belum ditambal".into(),
            },
        )
        .unwrap();
    assert_eq!(v.status, ReportStatus::DibukaKembali);
    let a = v.assignments.iter().find(|a| a.id == dpu).unwrap();
    assert_eq!(a.stage, Stage::MenungguRespon);
    assert!(!a.responded);
    assert_eq!(
        clock(a, ClockKind::FirstResponse).due_at,
        Some(w.now + TimeDelta::hours(24))
    );
    assert!(
        v.clocks
            .iter()
            .any(|c| c.kind == ClockKind::AutoClose && c.stopped_at.is_some())
    );

    let v = w
        .run(&v, &petugas("dpu-bmck"), update(dpu, Stage::Pengerjaan))
        .unwrap();
    assert_eq!(v.status, ReportStatus::Diproses);
    let v = w
        .run(&v, &petugas("dpu-bmck"), update(dpu, Stage::Tuntas))
        .unwrap();
    assert_eq!(v.status, ReportStatus::Selesai);
    let v = w.run(&v, &reporter(), Command::Confirm).unwrap();
    assert_eq!(v.status, ReportStatus::Ditutup);
    assert!(v.clocks.iter().all(|c| c.stopped_at.is_some()));
}

#[test]
fn only_the_right_roles_act() {
    let mut w = World::new();
    let v = w.report();
    for actor in [
        reporter(),
        petugas("dpu-bmck"),
        user(Role::Pimpinan, None),
        user(Role::Auditor, None),
        user(Role::Admin, None),
        Actor::System,
    ] {
        assert!(
            matches!(
                w.run(&v, &actor, dispatch_two()),
                Err(WorkflowError::NotPermitted {
                    permission: Permission::DispatchReport
                })
            ),
            "{actor:?}"
        );
    }
    let v = w.run(&v, &operator(), dispatch_two()).unwrap();
    let dpu = v.assignments[0].id;
    // Another agency, the desk and leadership may not post the agency's progress.
    for actor in [
        petugas("dinkes"),
        operator(),
        user(Role::Pimpinan, None),
        reporter(),
    ] {
        assert!(
            matches!(
                w.run(&v, &actor, update(dpu, Stage::Verifikasi)),
                Err(WorkflowError::OtherAgency | WorkflowError::NotPermitted { .. })
            ),
            "{actor:?}"
        );
    }
    // The parent agency may act on its sub-unit's assignment, not the other way round.
    let v2 = w
        .run(&v, &petugas("pemprov"), update(dpu, Stage::Verifikasi))
        .unwrap();
    assert_eq!(v2.status, ReportStatus::Diproses);
    // Leadership may instruct; the reporter may not confirm before selesai.
    w.run(
        &v,
        &user(Role::Pimpinan, None),
        Command::AddInstruction {
            note: "Segera tindak lanjuti".into(),
        },
    )
    .unwrap();
    assert!(matches!(
        w.run(&v, &reporter(), Command::Confirm),
        Err(WorkflowError::WrongStatus { .. })
    ));
    assert!(matches!(
        w.run(&v, &operator(), Command::AutoClose),
        Err(WorkflowError::NotPermitted {
            permission: Permission::AutoCloseReport
        })
    ));
}

#[test]
fn dispatch_rules() {
    let mut w = World::new();
    let v = w.report();
    let no_lead = Command::Dispatch {
        targets: vec![DispatchTarget {
            agency_id: "dinkes".into(),
            role: AssignmentRole::Pendukung,
        }],
        note: None,
        note_public: false,
    };
    assert!(matches!(
        w.run(&v, &operator(), no_lead),
        Err(WorkflowError::Invalid(_))
    ));
    let unknown = Command::Dispatch {
        targets: vec![DispatchTarget {
            agency_id: "nasa".into(),
            role: AssignmentRole::Utama,
        }],
        note: None,
        note_public: false,
    };
    assert!(matches!(
        w.run(&v, &operator(), unknown),
        Err(WorkflowError::Invalid(_))
    ));
    let v = w.run(&v, &operator(), dispatch_two()).unwrap();
    // Adding a supporting agency later is fine; a second lead or the same agency again is not.
    let more = Command::Dispatch {
        targets: vec![DispatchTarget {
            agency_id: "dinkes".into(),
            role: AssignmentRole::Pendukung,
        }],
        note: None,
        note_public: false,
    };
    let v2 = w.run(&v, &operator(), more).unwrap();
    assert_eq!(v2.assignments.len(), 3);
    assert!(matches!(
        w.run(&v2, &operator(), dispatch_two()),
        Err(WorkflowError::Invalid(_))
    ));
}

#[test]
fn all_agencies_returning_sends_it_back_to_triage() {
    let mut w = World::new();
    let v = w.run(&w.report(), &operator(), dispatch_two()).unwrap();
    let (a, b) = (v.assignments[0].id, v.assignments[1].id);
    let v = w
        .run(
            &v,
            &petugas("dpu-bmck"),
            Command::ReturnNotAuthority {
                assignment_id: a,
                reason: "Bukan jalan provinsi".into(),
            },
        )
        .unwrap();
    assert_eq!(v.status, ReportStatus::Didisposisikan);
    let v = w
        .run(
            &v,
            &petugas("pemda-33-74"),
            Command::ReturnNotAuthority {
                assignment_id: b,
                reason: "Jalan nasional".into(),
            },
        )
        .unwrap();
    assert_eq!(v.status, ReportStatus::Baru);
    let triage = v
        .clocks
        .iter()
        .find(|c| c.kind == ClockKind::Triage)
        .unwrap();
    assert!(triage.is_running());
    // Once work has started, a return is no longer possible.
    let v = w
        .run(
            &v,
            &operator(),
            Command::Dispatch {
                targets: vec![DispatchTarget {
                    agency_id: "dinkes".into(),
                    role: AssignmentRole::Utama,
                }],
                note: None,
                note_public: false,
            },
        )
        .unwrap();
    let c = v.assignments.last().unwrap().id;
    let v = w
        .run(&v, &petugas("dinkes"), update(c, Stage::Pengerjaan))
        .unwrap();
    assert!(matches!(
        w.run(
            &v,
            &petugas("dinkes"),
            Command::ReturnNotAuthority {
                assignment_id: c,
                reason: "x".into()
            }
        ),
        Err(WorkflowError::WrongStage { .. })
    ));
}

/// SPEC section 6: the forward, with its note, is the parent's response (here on time, after 20
/// hours); the sub-unit owes its own first response, measured from the forward; the completion
/// target carries on unchanged.
#[test]
fn forwarding_answers_for_the_parent_and_obliges_the_sub_unit() {
    let mut w = World::new();
    let v = w
        .run(
            &w.report(),
            &operator(),
            Command::Dispatch {
                targets: vec![DispatchTarget {
                    agency_id: "dinkes".into(),
                    role: AssignmentRole::Utama,
                }],
                note: None,
                note_public: false,
            },
        )
        .unwrap();
    let parent = v.assignments[0].clone();
    w.advance(TimeDelta::hours(20));
    assert!(matches!(
        w.run(
            &v,
            &petugas("dinkes"),
            Command::Forward {
                assignment_id: parent.id,
                to_agency_id: "dpu-bmck".into(),
                note: "x".into()
            }
        ),
        Err(WorkflowError::Invalid(_))
    ));
    let v = w
        .run(
            &v,
            &petugas("dinkes"),
            Command::Forward {
                assignment_id: parent.id,
                to_agency_id: "rsud-moewardi".into(),
                note: "Ditangani RSUD".into(),
            },
        )
        .unwrap();
    let child = v
        .assignments
        .iter()
        .find(|a| a.agency_id == "rsud-moewardi")
        .unwrap();
    assert_eq!(child.role, AssignmentRole::Utama);
    assert_eq!(child.stage, Stage::MenungguRespon);
    assert!(!child.responded);
    assert_eq!(
        clock(child, ClockKind::FirstResponse).due_at,
        Some(w.now + TimeDelta::hours(24)),
        "the sub-unit's own obligation, from the forward"
    );
    assert_eq!(
        clock(child, ClockKind::Completion).due_at,
        clock(&parent, ClockKind::Completion).due_at,
        "forwarding never resets the completion target"
    );
    let p = v.assignments.iter().find(|a| a.id == parent.id).unwrap();
    assert_eq!(p.stage, Stage::Diteruskan);
    assert!(p.responded, "the forward is the parent's response");
    let fr = clock(p, ClockKind::FirstResponse);
    assert_eq!(fr.stopped_at, Some(w.now));
    assert!(!fr.is_late(w.now), "answered on time");
    // The hospital can act; the report is worked by it now.
    let v = w
        .run(
            &v,
            &petugas("rsud-moewardi"),
            update(child.id, Stage::Tuntas),
        )
        .unwrap();
    assert_eq!(v.status, ReportStatus::Selesai);
}

#[test]
fn waiting_for_the_reporter_pauses_completion_not_response() {
    let mut w = World::new();
    let v = w
        .run(
            &w.report(),
            &operator(),
            Command::Dispatch {
                targets: vec![DispatchTarget {
                    agency_id: "dinkes".into(),
                    role: AssignmentRole::Utama,
                }],
                note: None,
                note_public: false,
            },
        )
        .unwrap();
    let before = v.assignments[0].clone();
    w.advance(TimeDelta::hours(1));
    let v = w
        .run(
            &v,
            &petugas("dinkes"),
            Command::AskReporter {
                question: "Di RS mana tepatnya?".into(),
            },
        )
        .unwrap();
    assert_eq!(v.status, ReportStatus::MenungguPelapor);
    let a = &v.assignments[0];
    assert!(clock(a, ClockKind::Completion).is_paused());
    assert!(clock(a, ClockKind::FirstResponse).is_running());
    // Three days later (Mon 09:00 → Thu 10:00) the reporter answers: completion moves by the wait.
    w.advance(TimeDelta::days(3));
    let v = w
        .run(
            &v,
            &reporter(),
            Command::ReporterReply {
                text: "RSUD Moewardi".into(),
            },
        )
        .unwrap();
    assert_eq!(v.status, ReportStatus::Didisposisikan);
    let a = &v.assignments[0];
    assert_eq!(
        clock(a, ClockKind::Completion).due_at.unwrap(),
        w.cal.add_working(
            clock(&before, ClockKind::Completion).due_at.unwrap(),
            TimeDelta::days(3)
        )
    );
}

#[test]
fn archive_and_duplicate_only_before_dispatch() {
    let mut w = World::new();
    let v = w.report();
    assert!(matches!(
        w.run(
            &v,
            &operator(),
            Command::Archive {
                reason: "  ".into()
            }
        ),
        Err(WorkflowError::Invalid(_))
    ));
    let archived = w
        .run(
            &v,
            &operator(),
            Command::Archive {
                reason: "Spam".into(),
            },
        )
        .unwrap();
    assert_eq!(archived.status, ReportStatus::Diarsipkan);
    assert!(archived.clocks.iter().all(|c| c.stopped_at.is_some()));
    assert!(matches!(
        w.run(
            &archived,
            &reporter(),
            Command::ReporterReply {
                text: "halo".into()
            }
        ),
        Err(WorkflowError::WrongStatus { .. })
    ));
    let dup = w
        .run(
            &v,
            &operator(),
            Command::MarkDuplicate {
                master_id: 9,
                master_is_open: true,
            },
        )
        .unwrap();
    assert_eq!(dup.status, ReportStatus::Duplikat);
    assert!(
        w.run(
            &v,
            &operator(),
            Command::MarkDuplicate {
                master_id: 1,
                master_is_open: true
            }
        )
        .is_err()
    );
    let dispatched = w.run(&v, &operator(), dispatch_two()).unwrap();
    assert!(matches!(
        w.run(
            &dispatched,
            &operator(),
            Command::Archive { reason: "x".into() }
        ),
        Err(WorkflowError::WrongStatus { .. })
    ));
}

#[test]
fn verification_edits_are_recorded_with_before_and_after() {
    let w = World::new();
    let v = w.report();
    let ctx = Context {
        now: w.now,
        calendar: &w.cal,
        policy: &w.policy,
        agencies: &w.tree,
    };
    let edit = ReportEdit {
        title: Some("Jalan Ungaran–Bandungan berlubang".into()),
        visibility: Some(Visibility {
            anonim: true,
            rahasia: false,
        }),
        ..Default::default()
    };
    let events = decide(
        &v,
        &operator(),
        &Command::Verify {
            edit,
            confirm: false,
        },
        &ctx,
    )
    .unwrap();
    match &events[..] {
        [Event::Edited { before, after }] => {
            assert_eq!(before.title, "Jalan berlubang");
            assert_eq!(after.title, "Jalan Ungaran–Bandungan berlubang");
            assert!(after.visibility.anonim);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        decide(
            &v,
            &operator(),
            &Command::Verify {
                edit: ReportEdit::default(),
                confirm: false,
            },
            &ctx
        ),
        Err(WorkflowError::Invalid(_))
    ));
}

/// Verification takes the same limits as submission: a body of 10,000 characters (more than a
/// note may have) can be kept or corrected; one character more is refused with its field.
#[test]
fn verification_accepts_a_body_as_long_as_submission_does() {
    let w = World::new();
    let v = w.report();
    let ctx = Context {
        now: w.now,
        calendar: &w.cal,
        policy: &w.policy,
        agencies: &w.tree,
    };
    let verify = |body: String| Command::Verify {
        edit: ReportEdit {
            body: Some(body),
            ..Default::default()
        },
        confirm: false,
    };
    assert!(decide(&v, &operator(), &verify("a".repeat(MAX_BODY_CHARS)), &ctx).is_ok());
    assert_eq!(
        decide(
            &v,
            &operator(),
            &verify("a".repeat(MAX_BODY_CHARS + 1)),
            &ctx
        ),
        Err(WorkflowError::Invalid(Invalid::TooLong {
            field: "body",
            max: MAX_BODY_CHARS
        }))
    );
    assert_eq!(
        decide(&v, &operator(), &verify(" ".into()), &ctx).map_err(|e| e.code()),
        Err("required")
    );
}

#[test]
fn auto_close_and_replies_after_selesai() {
    let mut w = World::new();
    let v = w
        .run(
            &w.report(),
            &operator(),
            Command::Dispatch {
                targets: vec![DispatchTarget {
                    agency_id: "dinkes".into(),
                    role: AssignmentRole::Utama,
                }],
                note: None,
                note_public: false,
            },
        )
        .unwrap();
    let id = v.assignments[0].id;
    let v = w
        .run(&v, &petugas("dinkes"), update(id, Stage::Tuntas))
        .unwrap();
    let first = v
        .clocks
        .iter()
        .find(|c| c.kind == ClockKind::AutoClose)
        .unwrap()
        .due_at;
    w.advance(TimeDelta::days(1));
    let v = w
        .run(
            &v,
            &reporter(),
            Command::ReporterReply {
                text: "Terima kasih, saya cek dulu".into(),
            },
        )
        .unwrap();
    let second = v
        .clocks
        .iter()
        .find(|c| c.kind == ClockKind::AutoClose)
        .unwrap()
        .due_at;
    assert!(second > first, "a reply restarts the silence");
    let v = w.run(&v, &Actor::System, Command::AutoClose).unwrap();
    assert_eq!(v.status, ReportStatus::Ditutup);
    // Rating is still possible after closing; reopening is not.
    w.run(
        &v,
        &reporter(),
        Command::Rate {
            score: 4,
            outcome: Outcome::Fixed,
            comment: None,
        },
    )
    .unwrap();
    assert!(
        w.run(
            &v,
            &reporter(),
            Command::Rate {
                score: 6,
                outcome: Outcome::Fixed,
                comment: None
            }
        )
        .is_err()
    );
    assert!(matches!(
        w.run(&v, &reporter(), Command::Reopen { reason: "x".into() }),
        Err(WorkflowError::WrongStatus { .. })
    ));
}

#[test]
fn every_clock_leaves_a_decision_scheduled() {
    let mut w = World::new();
    let v = w.report();
    let triage = v
        .clocks
        .iter()
        .find(|c| c.kind == ClockKind::Triage)
        .unwrap();
    assert_eq!(
        triage.next_fire_at, triage.due_at,
        "new reports are scheduled"
    );
    let v = w.run(&v, &operator(), dispatch_two()).unwrap();
    let (dpu, pemda) = (v.assignments[0].id, v.assignments[1].id);
    let a = &v.assignments[0];
    // Dispatched Monday 09:00: the ladder's first step is 50% of 24 hours.
    assert_eq!(
        clock(a, ClockKind::FirstResponse).next_fire_at,
        Some(wib("2026-11-30 21:00"))
    );
    assert_eq!(
        clock(a, ClockKind::Completion).next_fire_at,
        clock(a, ClockKind::Completion).due_at
    );
    let triage = v
        .clocks
        .iter()
        .find(|c| c.kind == ClockKind::Triage)
        .unwrap();
    assert_eq!(triage.next_fire_at, None, "triage stopped in time");

    // The scheduler acted on 50% and 75% of dpu's clock (as the store would record it).
    let mut v = v;
    for a in v.assignments.iter_mut().filter(|a| a.id == dpu) {
        for c in a
            .clocks
            .iter_mut()
            .filter(|c| c.kind == ClockKind::FirstResponse)
        {
            c.fired = 75;
            c.reschedule(&[50, 75, 100], &w.cal);
        }
    }
    // The desk asks the reporter something: completion pauses, the response clock keeps its steps.
    w.advance(TimeDelta::hours(20));
    let v = w
        .run(
            &v,
            &operator(),
            Command::AskReporter {
                question: "Di ruas mana?".into(),
            },
        )
        .unwrap();
    let a = v.assignments.iter().find(|a| a.id == dpu).unwrap();
    assert_eq!(clock(a, ClockKind::Completion).next_fire_at, None);
    assert_eq!(clock(a, ClockKind::FirstResponse).fired, 75);

    // Responding 26 hours after dispatch, late: the 100% step was crossed and still fires.
    w.advance(TimeDelta::hours(6));
    let v = w
        .run(&v, &petugas("dpu-bmck"), update(dpu, Stage::Verifikasi))
        .unwrap();
    let a = v.assignments.iter().find(|a| a.id == dpu).unwrap();
    let fr = clock(a, ClockKind::FirstResponse);
    assert!(fr.stopped_at.is_some());
    assert_eq!(fr.next_fire_at, fr.due_at);
    // pemda never fired anything and responds now: 50% and 75% were crossed long ago, so its
    // steps are all due, first the 50% one.
    let v = w
        .run(
            &v,
            &petugas("pemda-33-74"),
            Command::ReturnNotAuthority {
                assignment_id: pemda,
                reason: "Bukan jalan kota".into(),
            },
        )
        .unwrap();
    let p = v.assignments.iter().find(|a| a.id == pemda).unwrap();
    assert_eq!(
        clock(p, ClockKind::FirstResponse).next_fire_at,
        Some(wib("2026-11-30 21:00"))
    );
}

#[test]
fn forwarding_leaves_crossed_steps_with_the_parent_and_reopening_starts_afresh() {
    let mut w = World::new();
    let mut v = w
        .run(
            &w.report(),
            &operator(),
            Command::Dispatch {
                targets: vec![DispatchTarget {
                    agency_id: "dinkes".into(),
                    role: AssignmentRole::Utama,
                }],
                note: None,
                note_public: false,
            },
        )
        .unwrap();
    // 50% was acted on for dinkes; 75% is crossed (20 h) but the scheduler has not got to it.
    for c in v.assignments[0].clocks.iter_mut() {
        if c.kind == ClockKind::FirstResponse {
            c.fired = 50;
        }
    }
    let parent = v.assignments[0].id;
    w.advance(TimeDelta::hours(20));
    let v = w
        .run(
            &v,
            &petugas("dinkes"),
            Command::Forward {
                assignment_id: parent,
                to_agency_id: "rsud-moewardi".into(),
                note: "Ditangani RSUD".into(),
            },
        )
        .unwrap();
    // The parent answered by forwarding at 20 h: the 75% step (18 h) it crossed still fires for
    // it, whenever the scheduler gets there; its completion clock passed to the sub-unit.
    let p = v.assignments.iter().find(|a| a.id == parent).unwrap();
    assert_eq!(
        clock(p, ClockKind::FirstResponse).next_fire_at,
        Some(wib("2026-12-01 03:00"))
    );
    assert_eq!(clock(p, ClockKind::Completion).next_fire_at, None);
    // The sub-unit starts its own obligation, nothing fired, first step at 50% of 24 h.
    let child = v.assignments.iter().find(|a| a.id != parent).unwrap();
    let fr = clock(child, ClockKind::FirstResponse);
    assert_eq!(fr.fired, 0);
    assert_eq!(fr.next_fire_at, Some(w.now + TimeDelta::hours(12)));
    let child_id = child.id;

    // Done, reopened: a new response clock, nothing fired, scheduled from the reopening.
    let v = w
        .run(
            &v,
            &petugas("rsud-moewardi"),
            update(child_id, Stage::Tuntas),
        )
        .unwrap();
    w.advance(TimeDelta::days(1));
    let v = w
        .run(
            &v,
            &reporter(),
            Command::Reopen {
                reason: "Belum beres".into(),
            },
        )
        .unwrap();
    let child = v.assignments.iter().find(|a| a.id == child_id).unwrap();
    let fr = clock(child, ClockKind::FirstResponse);
    assert_eq!(fr.fired, 0);
    assert_eq!(fr.started_at, w.now);
    assert_eq!(fr.next_fire_at, Some(w.now + TimeDelta::hours(12)));
}

impl World {
    /// The events `cmd` decides on `v`, without applying them.
    fn events(&self, v: &ReportView, actor: &Actor, cmd: Command) -> Vec<Event> {
        let ctx = Context {
            now: self.now,
            calendar: &self.cal,
            policy: &self.policy,
            agencies: &self.tree,
        };
        decide(v, actor, &cmd, &ctx).unwrap()
    }
}

fn obligation_events(events: &[Event]) -> Vec<&Event> {
    events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::ObligationOpened { .. }
                    | Event::ObligationAnswered { .. }
                    | Event::ObligationCancelled { .. }
            )
        })
        .collect()
}

/// Every dispatch opens an obligation per agency, measured by its first-response clock; the
/// first update answers it.
#[test]
fn obligations_open_at_dispatch_and_are_answered_by_the_first_update() {
    let mut w = World::new();
    let events = w.events(&w.report(), &operator(), dispatch_two());
    let opened = obligation_events(&events);
    assert_eq!(opened.len(), 2);
    for (i, e) in opened.into_iter().enumerate() {
        assert_eq!(
            e,
            &Event::ObligationOpened {
                assignment: AssignmentRef::New(i),
                started_at: w.now,
                due_at: w.now + TimeDelta::hours(24),
            }
        );
    }
    let v = w.run(&w.report(), &operator(), dispatch_two()).unwrap();
    let dpu = v.assignments[0].id;
    w.advance(TimeDelta::hours(3));
    let events = w.events(&v, &petugas("dpu-bmck"), update(dpu, Stage::Verifikasi));
    assert_eq!(
        obligation_events(&events),
        vec![&Event::ObligationAnswered {
            assignment: AssignmentRef::Existing(dpu),
            at: None
        }]
    );
    // A second update is not another answer.
    let v = w
        .run(&v, &petugas("dpu-bmck"), update(dpu, Stage::Verifikasi))
        .unwrap();
    let events = w.events(&v, &petugas("dpu-bmck"), update(dpu, Stage::Pengerjaan));
    assert!(obligation_events(&events).is_empty());
}

/// The lead finishing ends the report's work: a supporting agency that has not answered has its
/// obligation cancelled before its deadline (and nothing more is sent), or kept overdue after it.
#[test]
fn the_lead_finishing_cancels_a_supporting_agencys_obligation_before_its_deadline() {
    let mut w = World::new();
    let v = w.run(&w.report(), &operator(), dispatch_two()).unwrap();
    let (dpu, pemda) = (v.assignments[0].id, v.assignments[1].id);
    w.advance(TimeDelta::hours(5));
    let events = w.events(&v, &petugas("dpu-bmck"), update(dpu, Stage::Tuntas));
    assert_eq!(
        obligation_events(&events),
        vec![
            &Event::ObligationAnswered {
                assignment: AssignmentRef::Existing(dpu),
                at: None
            },
            &Event::ObligationCancelled {
                assignment: AssignmentRef::Existing(pemda)
            }
        ]
    );
    let v = w
        .run(&v, &petugas("dpu-bmck"), update(dpu, Stage::Tuntas))
        .unwrap();
    assert_eq!(v.status, ReportStatus::Selesai);
    let p = v.assignments.iter().find(|a| a.id == pemda).unwrap();
    assert!(p.clocks.iter().all(|c| c.stopped_at.is_some()));
    assert!(
        p.clocks.iter().all(|c| c.next_fire_at.is_none()),
        "a cancelled obligation sends nothing"
    );

    // Thirty hours in, the supporting agency's deadline has passed: finishing does not cancel.
    let mut w = World::new();
    let v = w.run(&w.report(), &operator(), dispatch_two()).unwrap();
    let dpu = v.assignments[0].id;
    w.advance(TimeDelta::hours(30));
    let events = w.events(&v, &petugas("dpu-bmck"), update(dpu, Stage::Tuntas));
    assert_eq!(
        obligation_events(&events).len(),
        1,
        "only the lead's answer"
    );
    let v = w
        .run(&v, &petugas("dpu-bmck"), update(dpu, Stage::Tuntas))
        .unwrap();
    let p = &v.assignments[1];
    let fr = clock(p, ClockKind::FirstResponse);
    assert!(fr.is_late(w.now));
    assert!(fr.next_fire_at.is_some(), "its steps still fire");
    assert_eq!(
        fr.crossed_at(100, &w.cal),
        fr.due_at,
        "lalai as of the deadline"
    );
}

/// Archiving while agencies wait (the report went back to the reporter with a question) cancels
/// their obligations; a reopen opens a new one from the reopening, leaving the earlier answer.
#[test]
fn archive_cancels_and_reopen_opens_a_new_cycle() {
    let mut w = World::new();
    let v = w.run(&w.report(), &operator(), dispatch_two()).unwrap();
    let v = w
        .run(
            &v,
            &operator(),
            Command::AskReporter {
                question: "Di mana tepatnya?".into(),
            },
        )
        .unwrap();
    w.advance(TimeDelta::hours(2));
    let events = w.events(
        &v,
        &operator(),
        Command::Archive {
            reason: "Tidak ada jawaban".into(),
        },
    );
    assert_eq!(obligation_events(&events).len(), 2);
    assert!(
        obligation_events(&events)
            .iter()
            .all(|e| matches!(e, Event::ObligationCancelled { .. }))
    );

    let v = w.run(&w.report(), &operator(), dispatch_two()).unwrap();
    let (dpu, pemda) = (v.assignments[0].id, v.assignments[1].id);
    let v = w
        .run(&v, &petugas("pemda-33-74"), update(pemda, Stage::Tuntas))
        .unwrap();
    let v = w
        .run(&v, &petugas("dpu-bmck"), update(dpu, Stage::Tuntas))
        .unwrap();
    w.advance(TimeDelta::days(2));
    let reopen = Command::Reopen {
        reason: "Masih berlubang".into(),
    };
    let events = w.events(&v, &reporter(), reopen.clone());
    assert_eq!(
        obligation_events(&events),
        vec![&Event::ObligationOpened {
            assignment: AssignmentRef::Existing(dpu),
            started_at: w.now,
            due_at: w.now + TimeDelta::hours(24),
        }],
        "only the lead must act again"
    );
}

#[test]
fn the_reporter_withdraws_only_before_dispatch() {
    let mut w = World::new();
    let v = w.report();
    let withdraw = || Command::Withdraw {
        reason: "Dibatalkan oleh pelapor".into(),
    };
    assert!(matches!(
        w.run(&v, &operator(), withdraw()),
        Err(WorkflowError::NotPermitted { .. })
    ));
    assert!(matches!(
        w.run(&v, &reporter(), Command::Withdraw { reason: " ".into() }),
        Err(WorkflowError::Invalid(_))
    ));
    let gone = w.run(&v, &reporter(), withdraw()).unwrap();
    assert_eq!(gone.status, ReportStatus::Diarsipkan);
    assert!(gone.clocks.iter().all(|c| c.stopped_at.is_some()));
    let dispatched = w.run(&v, &operator(), dispatch_two()).unwrap();
    assert!(matches!(
        w.run(&dispatched, &reporter(), withdraw()),
        Err(WorkflowError::WrongStatus { .. })
    ));
}

/// "Terverifikasi" without edits is a fact of its own (not "nothing to change"); with edits it
/// records both.
#[test]
fn explicit_verification_is_recorded_with_or_without_edits() {
    let w = World::new();
    let v = w.report();
    let ctx = Context {
        now: w.now,
        calendar: &w.cal,
        policy: &w.policy,
        agencies: &w.tree,
    };
    let plain = Command::Verify {
        edit: ReportEdit::default(),
        confirm: true,
    };
    assert_eq!(
        decide(&v, &operator(), &plain, &ctx).unwrap(),
        vec![Event::Verified]
    );
    let edited = Command::Verify {
        edit: ReportEdit {
            title: Some("Judul yang dirapikan".into()),
            ..Default::default()
        },
        confirm: true,
    };
    let events = decide(&v, &operator(), &edited, &ctx).unwrap();
    assert!(matches!(
        events.as_slice(),
        [Event::Edited { .. }, Event::Verified]
    ));
}

/// The dispatch note is for the agencies: on its own internal line unless marked public, when
/// it goes with each assignment instead.
#[test]
fn the_dispatch_note_is_internal_unless_marked_public() {
    let w = World::new();
    let v = w.report();
    let dispatch = |note_public| Command::Dispatch {
        targets: vec![DispatchTarget {
            agency_id: "dpu-bmck".into(),
            role: AssignmentRole::Utama,
        }],
        note: Some("Mohon cek bersama kecamatan".into()),
        note_public,
    };
    let ctx = Context {
        now: w.now,
        calendar: &w.cal,
        policy: &w.policy,
        agencies: &w.tree,
    };
    let internal = decide(&v, &operator(), &dispatch(false), &ctx).unwrap();
    assert!(
        internal
            .iter()
            .any(|e| matches!(e, Event::AssignmentCreated { note: None, .. }))
    );
    assert!(internal.contains(&Event::DispatchNoted {
        note: "Mohon cek bersama kecamatan".into()
    }));
    let public = decide(&v, &operator(), &dispatch(true), &ctx).unwrap();
    assert!(public.iter().any(|e| matches!(e, Event::AssignmentCreated { note: Some(n), .. } if n == "Mohon cek bersama kecamatan")));
    assert!(
        !public
            .iter()
            .any(|e| matches!(e, Event::DispatchNoted { .. }))
    );
}

fn remote(id: i64, stage: Stage, at: Timestamp) -> Command {
    Command::RemoteUpdate {
        assignment_id: id,
        stage,
        note: "cek lapangan oleh kabupaten".into(),
        at,
    }
}

/// An agency's own system answered: the clock stops at the time that system gives (kept between
/// the clock's start and now), recorded by the system alone, under the local update's rules.
#[test]
fn a_remote_update_stops_the_first_response_clock_at_the_remote_time() {
    let mut w = World::new();
    let dispatched_at = w.now;
    let v = w.run(&w.report(), &operator(), dispatch_two()).unwrap();
    let pemda = v.assignments[1].id;
    w.advance(TimeDelta::hours(30));
    let answered = dispatched_at + TimeDelta::hours(20);
    // Nobody but the system records what another system says.
    assert!(matches!(
        w.run(
            &v,
            &petugas("pemda-33-74"),
            remote(pemda, Stage::CekLapangan, answered)
        ),
        Err(WorkflowError::NotPermitted { .. })
    ));
    let events = w.events(
        &v,
        &Actor::System,
        remote(pemda, Stage::CekLapangan, answered),
    );
    assert_eq!(
        obligation_events(&events),
        vec![&Event::ObligationAnswered {
            assignment: AssignmentRef::Existing(pemda),
            at: Some(answered)
        }]
    );
    let after = w
        .run(
            &v,
            &Actor::System,
            remote(pemda, Stage::CekLapangan, answered),
        )
        .unwrap();
    let a = &after.assignments[1];
    assert_eq!(a.stage, Stage::CekLapangan);
    let fr = clock(a, ClockKind::FirstResponse);
    assert_eq!(fr.stopped_at, Some(answered));
    assert!(
        !fr.is_late(w.now),
        "answered within 1×24 h by the remote time"
    );

    // A time in the future is now; one before the dispatch is the dispatch.
    let late = w
        .run(
            &v,
            &Actor::System,
            remote(pemda, Stage::Verifikasi, w.now + TimeDelta::days(3)),
        )
        .unwrap();
    let fr = clock(&late.assignments[1], ClockKind::FirstResponse);
    assert_eq!(fr.stopped_at, Some(w.now));
    assert!(fr.is_late(w.now));
    let early = w
        .run(
            &v,
            &Actor::System,
            remote(pemda, Stage::Verifikasi, dispatched_at - TimeDelta::days(3)),
        )
        .unwrap();
    assert_eq!(
        clock(&early.assignments[1], ClockKind::FirstResponse).stopped_at,
        Some(dispatched_at)
    );

    // The same rules as a local update: no going back, a return only before work starts.
    assert!(matches!(
        w.run(
            &after,
            &Actor::System,
            remote(pemda, Stage::Verifikasi, w.now)
        ),
        Err(WorkflowError::WrongStage { .. })
    ));
    assert!(matches!(
        w.run(
            &after,
            &Actor::System,
            remote(pemda, Stage::BukanWewenang, w.now)
        ),
        Err(WorkflowError::WrongStage { .. })
    ));
    let returned = w
        .run(
            &v,
            &Actor::System,
            remote(pemda, Stage::BukanWewenang, answered),
        )
        .unwrap();
    assert_eq!(returned.assignments[1].stage, Stage::BukanWewenang);
}
