//! The numbers a head is named by (SPEC section 6), scenario by scenario, through HTTP on both
//! databases with the clock moved by hand: every rule that decides a figure, asserted on
//! `GET /api/v1/compliance` figure by figure, and a whole quarter checked against an independent
//! recomputation from the reports' timelines alone.

use crate::common::{Caller, TestApp, complaint};
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use tanggap_domain::Role;

/// An instant written in WIB.
pub(crate) fn wib(s: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .unwrap()
        .and_local_timezone(chrono_tz::Asia::Jakarta)
        .unwrap()
        .with_timezone(&Utc)
}

/// A scenario on one application: the desk, agencies' officers, and the clock moved by hand.
pub(crate) struct World<'a> {
    pub(crate) app: &'a TestApp,
    pub(crate) op: Caller,
}

impl<'a> World<'a> {
    pub(crate) async fn new(app: &'a TestApp, start: &str) -> World<'a> {
        app.clock.set(wib(start));
        World {
            op: app.staff("angka.op", Role::Operator, None).await,
            app,
        }
    }

    pub(crate) fn at(&self, t: &str) {
        self.app.clock.set(wib(t));
    }

    pub(crate) async fn agency(&self, agency: &str) -> Caller {
        self.app
            .staff(&format!("angka.{agency}"), Role::Petugas, Some(agency))
            .await
    }

    /// A report dispatched now to these agencies (the first is the lead); its tracking ID,
    /// secret and assignment ids.
    pub(crate) async fn dispatched(
        &self,
        kind: &str,
        agencies: &[&str],
    ) -> (String, String, Vec<i64>) {
        let mut r = complaint("Laporan untuk angka kepatuhan");
        r["kind"] = json!(kind);
        r["occurred_on"] = Value::Null;
        // No category: the completion target is the kind's (no field check).
        r["category"] = Value::Null;
        let (tid, secret) = self.app.submit(r).await;
        let targets: Vec<Value> = agencies
            .iter()
            .enumerate()
            .map(|(i, a)| json!({"agency_id": a, "role": if i == 0 { "utama" } else { "pendukung" }}))
            .collect();
        let v = self
            .op
            .act(
                &format!("/api/v1/reports/{tid}/dispatch"),
                json!({"agencies": targets}),
            )
            .await;
        let ids = agencies
            .iter()
            .map(|a| {
                v["assignments"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|x| x["agency_id"] == *a)
                    .unwrap()["id"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        (tid, secret, ids)
    }

    pub(crate) async fn update(
        &self,
        who: &Caller,
        tid: &str,
        aid: i64,
        stage: &str,
    ) -> reqwest::Response {
        who.post(&format!("/api/v1/reports/{tid}/assignments/{aid}/updates"))
            .json(&json!({"stage": stage, "note": format!("Tahap {stage}.")}))
            .send()
            .await
            .unwrap()
    }

    async fn compliance(&self, from: &str, to: &str) -> Value {
        let r = self
            .op
            .get(&format!("/api/v1/compliance?from={from}&to={to}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::OK);
        r.json().await.unwrap()
    }
}

/// The figures of one agency, as `(name, value)` pairs for readable failures.
fn of<'v>(c: &'v Value, agency: &str) -> &'v Value {
    c["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agency_id"] == agency)
        .unwrap_or_else(|| panic!("no figures for {agency}: {c}"))
}

fn counts(a: &Value) -> [u64; 6] {
    [
        "received",
        "on_time",
        "late",
        "unresponded_overdue",
        "not_yet_due",
        "cancelled",
    ]
    .map(|k| a[k].as_u64().unwrap())
}

/// A reopen starts a new obligation from the reopening; the first cycle's on-time answer stays.
async fn a_reopen_keeps_the_earlier_answer(app: &TestApp) {
    let w = World::new(app, "2026-07-06 08:00").await;
    let dpu = w.agency("dpu-bmck").await;
    let (tid, secret, ids) = w.dispatched("pengaduan", &["dpu-bmck"]).await;
    w.at("2026-07-06 10:00");
    w.update(&dpu, &tid, ids[0], "verifikasi").await;
    w.at("2026-07-06 11:00");
    w.update(&dpu, &tid, ids[0], "tuntas").await;
    w.at("2026-07-08 08:00");
    app.reporter(&secret)
        .act(
            &format!("/api/v1/reports/{tid}/reopen"),
            json!({"reason": "Lubangnya muncul lagi."}),
        )
        .await;
    w.at("2026-07-09 14:00");
    w.update(&dpu, &tid, ids[0], "verifikasi").await;
    let c = w.compliance("2026-07-01", "2026-07-31").await;
    let a = of(&c, "dpu-bmck");
    assert_eq!(counts(a), [2, 1, 1, 0, 0, 0]);
    assert_eq!(a["lalai"], 1);
    assert_eq!(a["compliance"], 0.5);
    assert_eq!(
        a["median_response_secs"],
        16 * 3600,
        "2 h and 30 h, each from its start"
    );
    assert_eq!(a["p90_response_secs"], 30 * 3600);
    assert_eq!(a["reopened"], 1);
    assert_eq!(a["lalai_tracking_ids"], json!([tid]));

    // The evidence: both cycles, each with its own start, deadline and answer.
    let r =
        w.op.get(&format!("/api/v1/reports/{tid}/obligations"))
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let list: Value = r.json().await.unwrap();
    let cycles: Vec<(u64, &str, bool, &str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["cycle"].as_u64().unwrap(),
                o["outcome"].as_str().unwrap(),
                o["lalai"].as_bool().unwrap(),
                o["started_at"].as_str().unwrap(),
                o["responded_at"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        cycles,
        vec![
            (
                1,
                "on_time",
                false,
                "2026-07-06T01:00:00Z",
                "2026-07-06T03:00:00Z"
            ),
            (
                2,
                "late",
                true,
                "2026-07-08T01:00:00Z",
                "2026-07-09T07:00:00Z"
            ),
        ]
    );
    // The report page shows the same evidence to the desk; the public and the reporter get none.
    let page =
        w.op.get(&format!("/kelola/{tid}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
    assert!(page.contains("id=\"kewajiban-respon\""), "{page}");
    assert!(page.contains("Direspons terlambat (lalai)"));
    assert!(page.contains("Direspons tepat waktu"));
    let r = app
        .anonymous()
        .get(&format!("/api/v1/reports/{tid}/obligations"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::UNAUTHORIZED);
    let r = app
        .reporter(&secret)
        .get(&format!("/api/v1/reports/{tid}/obligations"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::UNAUTHORIZED);
}

/// A forward is the parent's response by its own deadline; the sub-unit owes its own, measured
/// from the forward; a parent that forwarded after its deadline stays lalai.
async fn forwarding_keeps_each_agency_to_its_own_obligation(app: &TestApp) {
    let w = World::new(app, "2026-07-06 08:00").await;
    let dinkes = w.agency("dinkes").await;
    let rsud = w.agency("rsud-moewardi").await;
    // Answered on time, then forwarded; the hospital answers three hours after the forward.
    let (first, _, ids) = w.dispatched("pengaduan", &["dinkes"]).await;
    w.at("2026-07-06 09:00");
    w.update(&dinkes, &first, ids[0], "verifikasi").await;
    w.at("2026-07-06 13:00");
    let forwarded = dinkes
        .act(
            &format!("/api/v1/reports/{first}/assignments/{}/forward", ids[0]),
            json!({"agency_id": "rsud-moewardi", "note": "Ditangani RSUD Moewardi."}),
        )
        .await;
    let child = forwarded["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agency_id"] == "rsud-moewardi")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    w.at("2026-07-06 16:00");
    w.update(&rsud, &first, child, "verifikasi").await;
    // Forwarded only after the deadline had passed; the hospital never answers.
    w.at("2026-07-07 08:00");
    let (second, _, ids) = w.dispatched("pengaduan", &["dinkes"]).await;
    w.at("2026-07-08 14:00");
    dinkes
        .act(
            &format!("/api/v1/reports/{second}/assignments/{}/forward", ids[0]),
            json!({"agency_id": "rsud-moewardi", "note": "Terlambat diteruskan."}),
        )
        .await;
    w.at("2026-07-10 08:00");
    let c = w.compliance("2026-07-01", "2026-07-31").await;
    let d = of(&c, "dinkes");
    assert_eq!(counts(d), [2, 1, 1, 0, 0, 0]);
    assert_eq!(
        d["lalai_tracking_ids"],
        json!([second]),
        "the lalai stays with the parent"
    );
    let r = of(&c, "rsud-moewardi");
    assert_eq!(counts(r), [2, 1, 0, 1, 0, 0]);
    assert_eq!(
        r["median_response_secs"],
        3 * 3600,
        "measured from the forward, never 0"
    );
    assert_eq!(r["lalai_tracking_ids"], json!([second]));
}

/// Completion is judged on the working time used: an assignment finished while its clock was
/// paused (waiting for the reporter) is on target.
async fn completion_paused_for_the_reporter_counts_on_target(app: &TestApp) {
    let w = World::new(app, "2026-07-06 08:00").await;
    let dinsos = w.agency("dinsos").await;
    let (tid, _, ids) = w.dispatched("aspirasi", &["dinsos"]).await;
    w.at("2026-07-06 09:00");
    w.update(&dinsos, &tid, ids[0], "verifikasi").await;
    w.at("2026-07-06 10:00");
    w.op.act(
        &format!("/api/v1/reports/{tid}/questions"),
        json!({"text": "Bantuan untuk keluarga siapa tepatnya?"}),
    )
    .await;
    w.at("2026-07-07 10:00");
    let r = w.update(&dinsos, &tid, ids[0], "tuntas").await;
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    w.at("2026-07-20 10:00");
    let c = w.compliance("2026-07-01", "2026-07-31").await;
    let a = of(&c, "dinsos");
    assert_eq!(
        (
            a["completion_on_target"].as_u64(),
            a["completion_late"].as_u64(),
            a["completion_open_overdue"].as_u64()
        ),
        (Some(1), Some(0), Some(0))
    );
}

/// When the report ends first, an unanswered obligation whose deadline has not passed is
/// cancelled (and the agency cannot answer any more); one past its deadline stays overdue.
async fn obligations_that_cannot_be_met_are_cancelled(app: &TestApp) {
    let w = World::new(app, "2026-07-06 08:00").await;
    let dpu = w.agency("dpu-bmck").await;
    let pemda = w.agency("pemda-33-74").await;
    // The lead finishes while the supporting agency has not answered.
    let (first, _, ids) = w
        .dispatched("pengaduan", &["dpu-bmck", "pemda-33-74"])
        .await;
    w.at("2026-07-06 10:00");
    w.update(&dpu, &first, ids[0], "tuntas").await;
    let late_answer = w.update(&pemda, &first, ids[1], "verifikasi").await;
    assert_eq!(late_answer.status(), reqwest::StatusCode::CONFLICT);
    // Archived while the agency waits for the reporter's answer: before and after its deadline.
    let archive = |tid: String| {
        let op = w.op.clone();
        async move {
            op.act(
                &format!("/api/v1/reports/{tid}/questions"),
                json!({"text": "Mohon lokasi tepatnya."}),
            )
            .await;
            op.act(
                &format!("/api/v1/reports/{tid}/archive"),
                json!({"reason": "Pelapor tidak menjawab."}),
            )
            .await;
        }
    };
    w.at("2026-07-07 08:00");
    let (second, _, _) = w.dispatched("pengaduan", &["dpu-bmck"]).await;
    w.at("2026-07-07 12:00");
    archive(second).await;
    w.at("2026-07-08 08:00");
    let (third, _, _) = w.dispatched("pengaduan", &["dpu-bmck"]).await;
    w.at("2026-07-09 12:00");
    archive(third.clone()).await;
    w.at("2026-07-15 08:00");
    let c = w.compliance("2026-07-01", "2026-07-31").await;
    assert_eq!(counts(of(&c, "pemda-33-74")), [1, 0, 0, 0, 0, 1]);
    assert_eq!(of(&c, "pemda-33-74")["lalai"], 0);
    let d = of(&c, "dpu-bmck");
    assert_eq!(counts(d), [3, 1, 0, 1, 0, 1]);
    assert_eq!(d["lalai_tracking_ids"], json!([third]));
}

/// Periods are whole dates in WIB: a dispatch at 23:30 WIB on 30 September (16:30 UTC) is in the
/// third quarter, not the fourth.
async fn periods_are_dates_in_the_policy_time_zone(app: &TestApp) {
    let w = World::new(app, "2026-09-30 23:30").await;
    w.dispatched("pengaduan", &["dpu-bmck"]).await;
    w.at("2026-10-02 08:00");
    let q3 = w.compliance("2026-07-01", "2026-09-30").await;
    assert_eq!(of(&q3, "dpu-bmck")["received"], 1);
    let oct = w.compliance("2026-10-01", "2026-10-31").await;
    assert!(oct["agencies"].as_array().unwrap().is_empty(), "{oct}");
    // Without dates: the current quarter.
    let r = w.op.get("/api/v1/compliance").send().await.unwrap();
    let c: Value = r.json().await.unwrap();
    assert_eq!(
        (c["from"].as_str(), c["to"].as_str()),
        (Some("2026-10-01"), Some("2026-12-31"))
    );
    let bad =
        w.op.get("/api/v1/compliance?from=2026-10-31&to=2026-10-01")
            .send()
            .await
            .unwrap();
    assert_eq!(bad.status(), reqwest::StatusCode::BAD_REQUEST);
    // Agencies see their own figures only.
    let dpu = w.agency("dpu-bmck").await;
    let r = dpu
        .get("/api/v1/compliance?from=2026-07-01&to=2026-09-30")
        .send()
        .await
        .unwrap();
    let own: Value = r.json().await.unwrap();
    assert_eq!(own["agencies"].as_array().unwrap().len(), 1);
    let r = dpu
        .get("/api/v1/compliance?from=2026-07-01&to=2026-09-30&agency=dinkes")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::FORBIDDEN);
}

/// The head in office at the deadline is named with a lalai item; the agency's line names the
/// head at the end of the period.
async fn heads_are_named_with_their_history(app: &TestApp) {
    let w = World::new(app, "2026-07-01 08:00").await;
    let admin = app.staff("angka.admin", Role::Admin, None).await;
    let set_head = |name: &'static str| {
        let admin = admin.clone();
        async move {
            let r = admin
                .put("/api/v1/agencies/dpu-bmck")
                .json(&json!({
                    "name": "Dinas Pekerjaan Umum Bina Marga dan Cipta Karya Provinsi Jawa Tengah",
                    "kind": "opd_provinsi", "parent_id": "pemprov",
                    "head_name": name, "head_position": "Kepala Dinas"
                }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), reqwest::StatusCode::OK);
        }
    };
    set_head("Ir. Agus Wibowo (fiktif)").await;
    w.at("2026-07-06 08:00");
    let (tid, _, _) = w.dispatched("pengaduan", &["dpu-bmck"]).await;
    w.at("2026-07-10 08:00");
    set_head("Dr. Ratna Sari (fiktif)").await;
    w.at("2026-07-15 08:00");
    let c = w.compliance("2026-07-01", "2026-07-31").await;
    let a = of(&c, "dpu-bmck");
    assert_eq!(a["head_name"], "Dr. Ratna Sari (fiktif)");
    assert_eq!(a["head_position"], "Kepala Dinas");
    let item = &c["lalai"][0];
    assert_eq!(item["tracking_id"], tid.as_str());
    assert_eq!(
        item["head_name"], "Ir. Agus Wibowo (fiktif)",
        "the head at the deadline"
    );
    let heads: Value =
        w.op.get("/api/v1/agencies/dpu-bmck/heads")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(heads.as_array().unwrap().len(), 2);
}

/// A holiday added while clocks run moves the working-day deadlines that have not passed;
/// removing it moves them back. The 1×24 h (wall-clock) response deadline does not move.
async fn calendar_edits_move_running_deadlines(app: &TestApp) {
    let w = World::new(app, "2026-07-06 08:00").await;
    let admin = app.staff("angka.admin2", Role::Admin, None).await;
    let (tid, _, _) = w.dispatched("pengaduan", &["dpu-bmck"]).await;
    let due = |r: Value| {
        (
            r["assignments"][0]["completion_due_at"]
                .as_str()
                .unwrap()
                .to_string(),
            r["assignments"][0]["response_due_at"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    };
    let (completion, response) = due(w.op.report(&tid).await);
    assert_eq!(
        completion.parse::<DateTime<Utc>>().unwrap(),
        wib("2026-07-24 08:00"),
        "14 working days"
    );
    w.at("2026-07-07 09:00");
    let r = admin
        .put("/api/v1/holidays/2026-07-10")
        .json(&json!({"kind": "libur_nasional", "name": "Hari libur uji"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let (moved, same) = due(w.op.report(&tid).await);
    assert_eq!(
        moved.parse::<DateTime<Utc>>().unwrap(),
        wib("2026-07-27 08:00")
    );
    assert_eq!(same, response);
    let r = admin
        .delete("/api/v1/holidays/2026-07-10")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::NO_CONTENT);
    assert_eq!(due(w.op.report(&tid).await).0, completion);
}

/// Reports from before response obligations existed get theirs from their timeline, once.
async fn existing_reports_get_their_obligations_from_the_timeline(app: &TestApp) {
    let w = World::new(app, "2026-07-06 08:00").await;
    let dpu = w.agency("dpu-bmck").await;
    let (tid, secret, ids) = w
        .dispatched("pengaduan", &["dpu-bmck", "pemda-33-74"])
        .await;
    w.at("2026-07-06 12:00");
    w.update(&dpu, &tid, ids[0], "tuntas").await;
    w.at("2026-07-08 08:00");
    app.reporter(&secret)
        .act(
            &format!("/api/v1/reports/{tid}/reopen"),
            json!({"reason": "Belum."}),
        )
        .await;
    w.at("2026-07-10 08:00");
    let before = w.compliance("2026-07-01", "2026-07-31").await;
    app.sql("DELETE FROM obligations").await;
    let old = w.compliance("2026-07-01", "2026-07-31").await;
    assert!(
        old["agencies"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["received"] == 0),
        "an old database: {old}"
    );
    assert_eq!(app.services.rebuild_obligations().await.unwrap(), 3);
    assert_eq!(app.services.rebuild_obligations().await.unwrap(), 0, "once");
    let after = w.compliance("2026-07-01", "2026-07-31").await;
    assert_eq!(after["agencies"], before["agencies"]);
    assert!(app.services.verify_audit_chain().await.is_ok());
}

crate::on_both_backends!(
    existing_reports_get_their_obligations_from_the_timeline,
    a_reopen_keeps_the_earlier_answer,
    forwarding_keeps_each_agency_to_its_own_obligation,
    completion_paused_for_the_reporter_counts_on_target,
    obligations_that_cannot_be_met_are_cancelled,
    periods_are_dates_in_the_policy_time_zone,
    heads_are_named_with_their_history,
    calendar_edits_move_running_deadlines,
    a_quarter_against_an_independent_recomputation,
);

// ----- a whole quarter against an oracle --------------------------------------------------------

/// One obligation as the oracle sees it, from the timeline alone.
#[derive(Debug, Clone)]
struct Ob {
    agency: String,
    tid: String,
    start: DateTime<Utc>,
    answered: Option<DateTime<Utc>>,
    ended: Option<DateTime<Utc>>,
}

/// SPEC section 6 from the timeline of every report: a dispatch, a forward's new assignment or a
/// reopen starts an obligation due 24 hours later; the agency's first update, return or forward
/// answers it; the report ending before the deadline cancels it.
fn oracle(
    reports: &[Value],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> BTreeMap<String, ([u64; 6], Vec<String>)> {
    let mut obligations: Vec<Ob> = Vec::new();
    for r in reports {
        let tid = r["tracking_id"].as_str().unwrap().to_string();
        let agency_of: BTreeMap<i64, String> = r["assignments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["id"].as_i64().unwrap(),
                    a["agency_id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let mut open: BTreeMap<i64, usize> = BTreeMap::new();
        for e in r["timeline"].as_array().unwrap() {
            let at: DateTime<Utc> = e["created_at"].as_str().unwrap().parse().unwrap();
            let aid = e["assignment_id"].as_i64();
            let kind = e["kind"].as_str().unwrap();
            let stage = e["stage"].as_str();
            let starts = matches!(kind, "dispatched" | "restarted")
                || (kind == "forwarded" && stage != Some("diteruskan"));
            let answers = matches!(kind, "stage_update" | "returned")
                || (kind == "forwarded" && stage == Some("diteruskan"));
            if let Some(aid) = aid.filter(|_| starts) {
                open.insert(aid, obligations.len());
                obligations.push(Ob {
                    agency: agency_of[&aid].clone(),
                    tid: tid.clone(),
                    start: at,
                    answered: None,
                    ended: None,
                });
            } else if let Some(aid) = aid.filter(|_| answers) {
                if let Some(i) = open.remove(&aid) {
                    obligations[i].answered = Some(at);
                }
            } else if kind == "status_changed"
                && matches!(
                    e["status"].as_str(),
                    Some("selesai" | "ditutup" | "diarsipkan" | "duplikat")
                )
            {
                // Past its deadline, an unanswered obligation stays overdue.
                for (_, i) in std::mem::take(&mut open) {
                    if at <= obligations[i].start + TimeDelta::hours(24) {
                        obligations[i].ended = Some(at);
                    }
                }
            }
        }
    }
    let mut out: BTreeMap<String, ([u64; 6], Vec<String>)> = BTreeMap::new();
    for o in obligations
        .iter()
        .filter(|o| o.start >= from && o.start < to)
    {
        let due = o.start + TimeDelta::hours(24);
        let (c, lalai) = out.entry(o.agency.clone()).or_default();
        c[0] += 1;
        let slot = match (o.answered, o.ended) {
            (Some(a), _) if a <= due => 1,
            (Some(_), _) => 2,
            (None, Some(_)) => 5,
            (None, None) if now > due => 3,
            (None, None) => 4,
        };
        c[slot] += 1;
        if matches!(slot, 2 | 3) && !lalai.contains(&o.tid) {
            lalai.push(o.tid.clone());
        }
    }
    for (_, lalai) in out.values_mut() {
        lalai.sort();
    }
    out
}

/// A quarter of reports (weekends, a holiday added mid-way, cuti bersama, reopens, forwards,
/// archives, late and missing answers) computed by the product and by the oracle alike.
async fn a_quarter_against_an_independent_recomputation(app: &TestApp) {
    use rand::{Rng, SeedableRng, rngs::StdRng};
    let w = World::new(app, "2026-07-01 07:00").await;
    let admin = app.staff("angka.admin3", Role::Admin, None).await;
    let agencies = ["dpu-bmck", "dinkes", "dinsos", "pemda-33-74"];
    let mut callers = BTreeMap::new();
    for a in agencies.iter().chain(["rsud-moewardi"].iter()) {
        callers.insert(*a, w.agency(a).await);
    }
    let mut rng = StdRng::seed_from_u64(2026);
    let mut tids = Vec::new();
    let mut t = wib("2026-07-01 07:00");
    let end = wib("2026-09-30 20:00");
    let mut holiday_added = false;
    while t < end {
        t += TimeDelta::hours(rng.gen_range(20..60));
        if t >= end {
            break;
        }
        app.clock.set(t);
        if !holiday_added && t > wib("2026-08-10 00:00") {
            // A holiday added mid-quarter (moves running working-day deadlines only).
            let r = admin
                .put("/api/v1/holidays/2026-08-21")
                .json(&json!({"kind": "cuti_bersama", "name": "Cuti bersama uji"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), reqwest::StatusCode::OK);
            holiday_added = true;
        }
        let lead = agencies[rng.gen_range(0..agencies.len())];
        let mut list = vec![lead];
        if rng.gen_bool(0.3) {
            let other = agencies[rng.gen_range(0..agencies.len())];
            if other != lead {
                list.push(other);
            }
        }
        let (tid, secret, ids) = w.dispatched("pengaduan", &list).await;
        tids.push(tid.clone());
        // Each agency answers early, late, or never; the lead may finish (and the reporter
        // reopen), or the desk may ask and archive; all in the order of their times.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        enum Step {
            Answer(usize),
            Forward(usize),
            Finish,
            Reopen,
            AskAndArchive,
        }
        let mut steps: Vec<(DateTime<Utc>, Step)> = Vec::new();
        for (i, a) in list.iter().enumerate() {
            let delay = match rng.gen_range(0..10) {
                0..=5 => TimeDelta::hours(rng.gen_range(1..23)),
                6..=7 => TimeDelta::hours(rng.gen_range(25..70)),
                _ => continue,
            };
            let step = if *a == "dinkes" && rng.gen_bool(0.5) {
                Step::Forward(i)
            } else {
                Step::Answer(i)
            };
            steps.push((t + delay, step));
        }
        match rng.gen_range(0..6) {
            0 | 1 => {
                steps.push((t + TimeDelta::hours(30), Step::Finish));
                if rng.gen_bool(0.5) {
                    steps.push((t + TimeDelta::hours(40), Step::Reopen));
                }
            }
            2 => steps.push((
                t + TimeDelta::hours(rng.gen_range(2..40)),
                Step::AskAndArchive,
            )),
            _ => {}
        }
        steps.sort();
        for (at, step) in steps {
            if at >= end {
                continue;
            }
            app.clock.set(at);
            // Refusals (a step no longer possible in the report's state) are part of the game.
            match step {
                Step::Answer(i) => {
                    w.update(&callers[list[i]], &tid, ids[i], "verifikasi")
                        .await;
                }
                Step::Forward(i) => {
                    callers[list[i]]
                        .post(&format!(
                            "/api/v1/reports/{tid}/assignments/{}/forward",
                            ids[i]
                        ))
                        .json(&json!({"agency_id": "rsud-moewardi", "note": "Ke rumah sakit."}))
                        .send()
                        .await
                        .unwrap();
                }
                Step::Finish => {
                    w.update(&callers[lead], &tid, ids[0], "tuntas").await;
                }
                Step::Reopen => {
                    app.reporter(&secret)
                        .post(&format!("/api/v1/reports/{tid}/reopen"))
                        .json(&json!({"reason": "Belum beres."}))
                        .send()
                        .await
                        .unwrap();
                }
                Step::AskAndArchive => {
                    for (path, body) in [
                        ("questions", json!({"text": "Mohon dilengkapi."})),
                        ("archive", json!({"reason": "Tidak lengkap."})),
                    ] {
                        w.op.post(&format!("/api/v1/reports/{tid}/{path}"))
                            .json(&body)
                            .send()
                            .await
                            .unwrap();
                    }
                }
            }
        }
    }
    let now = wib("2026-10-02 09:00");
    app.clock.set(now);
    let mut reports = Vec::new();
    for tid in &tids {
        reports.push(w.op.report(tid).await);
    }
    let expected = oracle(
        &reports,
        wib("2026-07-01 00:00"),
        wib("2026-10-01 00:00"),
        now,
    );
    let c = w.compliance("2026-07-01", "2026-09-30").await;
    let got: BTreeMap<String, ([u64; 6], Vec<String>)> = c["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let mut lalai: Vec<String> = a["lalai_tracking_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_string())
                .collect();
            lalai.sort();
            (
                a["agency_id"].as_str().unwrap().to_string(),
                (counts(a), lalai),
            )
        })
        .collect();
    assert!(tids.len() >= 30, "a quarter's worth: {}", tids.len());
    assert_eq!(
        got, expected,
        "product vs oracle, per agency: ([received, on time, late, overdue, not yet due, cancelled], lalai IDs)"
    );
}

/// The quarterly rakor report's CSV, figure by figure, for an agency answering on time, late
/// and never in 2026-Q3, against a Q2 in which it answered everything on time.
async fn quarterly_report_csv(app: TestApp) {
    let w = World::new(&app, "2026-06-10 09:00").await;
    let dinkes = w.agency("dinkes").await;
    let (a, _, ids) = w.dispatched("pengaduan", &["dinkes"]).await;
    w.at("2026-06-10 10:00");
    w.update(&dinkes, &a, ids[0], "verifikasi").await;
    w.at("2026-07-06 09:00");
    let (b, _, ids) = w.dispatched("pengaduan", &["dinkes"]).await;
    w.at("2026-07-06 15:00");
    w.update(&dinkes, &b, ids[0], "verifikasi").await;
    w.at("2026-07-07 09:00");
    let (c, _, c_ids) = w.dispatched("pengaduan", &["dinkes"]).await;
    w.at("2026-07-08 09:00");
    let (d, _, _) = w.dispatched("pengaduan", &["dinkes"]).await;
    w.at("2026-07-09 09:00");
    w.update(&dinkes, &c, c_ids[0], "verifikasi").await;
    w.at("2026-10-05 10:00");

    let report = app
        .services
        .quarterly_report(&tanggap_service::Caller::System, "2026-Q3")
        .await
        .unwrap();
    let csv = tanggap_web::rakor::csv(&report).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("laporan,"), "{csv}");
    assert!(
        lines[0].contains(",2026-Q3,2026-07-01,2026-09-30,"),
        "{}",
        lines[0]
    );
    let (seq, hash) = report.audit_head.clone().unwrap();
    assert!(lines.contains(&format!("jejak_audit,urutan_terakhir,{seq},hash,{hash}").as_str()));
    let row = lines
        .iter()
        .find(|l| l.starts_with("peringkat,") && l.contains(",dinkes,"))
        .unwrap_or_else(|| panic!("no dinkes row: {csv}"));
    let cells: Vec<&str> = row.split(',').collect();
    // received, on time, late, unanswered overdue, not yet due, cancelled, lalai, compliance,
    // last quarter's, change in points.
    assert_eq!(
        cells[6..16],
        ["3", "1", "1", "1", "0", "0", "2", "33.3", "100.0", "-66.7"],
        "{row}"
    );
    let evidence = cells[18];
    assert!(
        evidence.contains(&c) && evidence.contains(&d) && !evidence.contains(&b),
        "{row}"
    );
    // The lalai section: the late one with its response, the unanswered one "belum".
    let lalai: Vec<&&str> = lines.iter().filter(|l| l.starts_with("lalai,")).collect();
    assert_eq!(lalai.len(), 2, "{csv}");
    assert!(
        lalai
            .iter()
            .any(|l| l.contains(&d) && l.contains(",belum,"))
    );
    assert!(
        lalai
            .iter()
            .any(|l| l.contains(&c) && l.contains(",2026-07-09 09:00,"))
    );
    // A quarter that is not one is refused with the field to fix.
    let e = app
        .services
        .quarterly_report(&tanggap_service::Caller::System, "2026-Q5")
        .await
        .unwrap_err();
    assert_eq!(e.field_errors().unwrap()[0].field, "quarter");
    app.finish().await;
}

#[tokio::test]
async fn quarterly_report_csv_on_sqlite() {
    quarterly_report_csv(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn quarterly_report_csv_on_postgres() {
    quarterly_report_csv(TestApp::postgres().await).await;
}
