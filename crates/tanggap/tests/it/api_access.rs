//! The authorization matrix: every endpoint, called by every role (and by an agency user of
//! another agency, the reporter, and nobody), gets the expected allow or deny. Each probe runs on
//! a report prepared for it, so an allowed call really succeeds (2xx) and a denied one is 401/403.
//! Also: an anonymous reporter's identity never reaches an agency user, leadership, the auditor
//! or the public, in any response.

use crate::common::{Caller, TestApp, complaint};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use tanggap_domain::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Who {
    Nobody,
    Reporter,
    Operator,
    /// Petugas of the assigned agency (dinkes).
    Petugas,
    /// Kepala of the assigned agency.
    Kepala,
    /// Petugas of an agency that has nothing to do with the report (dpu-bmck).
    OtherAgency,
    Pimpinan,
    Auditor,
    Admin,
}

const EVERYONE: &[Who] = &[
    Who::Nobody,
    Who::Reporter,
    Who::Operator,
    Who::Petugas,
    Who::Kepala,
    Who::OtherAgency,
    Who::Pimpinan,
    Who::Auditor,
    Who::Admin,
];
const STAFF: &[Who] = &[
    Who::Operator,
    Who::Petugas,
    Who::Kepala,
    Who::OtherAgency,
    Who::Pimpinan,
    Who::Auditor,
    Who::Admin,
];
const READERS: &[Who] = &[
    Who::Reporter,
    Who::Operator,
    Who::Petugas,
    Who::Kepala,
    Who::Pimpinan,
    Who::Auditor,
];
const ASSIGNED: &[Who] = &[Who::Petugas, Who::Kepala];
const DESK_AND_ASSIGNED: &[Who] = &[Who::Operator, Who::Petugas, Who::Kepala];

/// The state a probe's report is prepared in.
#[derive(Debug, Clone, Copy)]
enum Setup {
    /// Submitted, confidential and anonymous, status `baru`.
    Fresh,
    /// Dispatched to dinkes (lead), with an attachment.
    Dispatched,
    /// Dinkes marked it tuntas.
    Selesai,
    /// No report needed.
    None,
}

struct Prepared {
    tid: String,
    secret: String,
    assignment: i64,
    attachment: Option<String>,
    /// Something unique for this probe (a holiday date, a user id, a token id, a master report).
    extra: String,
}

struct World {
    callers: HashMap<Who, Caller>,
    operator: Caller,
    dinkes: Caller,
    admin: Caller,
}

async fn world(app: &TestApp) -> World {
    let mut callers = HashMap::new();
    callers.insert(Who::Nobody, app.anonymous());
    callers.insert(
        Who::Operator,
        app.staff("m.operator", Role::Operator, None).await,
    );
    callers.insert(
        Who::Petugas,
        app.staff("m.petugas", Role::Petugas, Some("dinkes")).await,
    );
    callers.insert(
        Who::Kepala,
        app.staff("m.kepala", Role::Kepala, Some("dinkes")).await,
    );
    callers.insert(
        Who::OtherAgency,
        app.staff("m.lain", Role::Petugas, Some("dpu-bmck")).await,
    );
    callers.insert(
        Who::Pimpinan,
        app.staff("m.pimpinan", Role::Pimpinan, None).await,
    );
    callers.insert(
        Who::Auditor,
        app.staff("m.auditor", Role::Auditor, None).await,
    );
    callers.insert(Who::Admin, app.staff("m.admin", Role::Admin, None).await);
    World {
        operator: callers[&Who::Operator].clone(),
        dinkes: callers[&Who::Petugas].clone(),
        admin: callers[&Who::Admin].clone(),
        callers,
    }
}

fn secret_report(title: &str) -> Value {
    let mut c = complaint(title);
    c["visibility"] = json!(["anonim", "rahasia"]);
    c["category"] = json!("kesehatan");
    c
}

async fn prepare(app: &TestApp, w: &World, setup: Setup, n: usize) -> Prepared {
    let extra_date = format!("2031-01-{:02}", 1 + n % 28);
    match setup {
        Setup::None => {
            // A user, a token and a holiday that a probe may change or remove.
            let r = w.admin.post("/api/v1/users").json(&json!({"username": format!("korban{n}"), "display_name": "Korban", "role": "operator", "integration": true})).send().await.unwrap();
            let uid = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
            let t: Value = w
                .admin
                .post(&format!("/api/v1/users/{uid}/tokens"))
                .json(&json!({"name": "uji"}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            w.admin
                .put(&format!("/api/v1/holidays/{extra_date}"))
                .json(&json!({"kind": "cuti_bersama", "name": "Uji"}))
                .send()
                .await
                .unwrap();
            Prepared {
                tid: String::new(),
                secret: String::new(),
                assignment: 0,
                attachment: None,
                extra: format!("{uid}|{}|{extra_date}", t["id"]),
            }
        }
        _ => {
            let (master, _) = app.submit(complaint(&format!("Laporan induk {n}"))).await;
            let (tid, secret) = app
                .submit(secret_report(&format!("Puskesmas tutup siang hari {n}")))
                .await;
            let mut p = Prepared {
                tid: tid.clone(),
                secret: secret.clone(),
                assignment: 0,
                attachment: None,
                extra: master,
            };
            if matches!(setup, Setup::Fresh) {
                return p;
            }
            let r = w
                .operator
                .act(
                    &format!("/api/v1/reports/{tid}/dispatch"),
                    json!({"agencies": [{"agency_id": "dinkes", "role": "utama"}]}),
                )
                .await;
            p.assignment = r["assignments"][0]["id"].as_i64().unwrap();
            let form = reqwest::multipart::Form::new()
                .text(
                    "data",
                    json!({"text": "Foto pintu puskesmas yang tertutup."}).to_string(),
                )
                .part(
                    "attachments",
                    reqwest::multipart::Part::bytes(crate::common::jpeg_with_exif())
                        .file_name("pintu.jpg"),
                );
            let r: Value = app
                .reporter(&secret)
                .post(&format!("/api/v1/reports/{tid}/replies"))
                .multipart(form)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            p.attachment = r["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|a| a["attachments"].as_array().unwrap().clone())
                .next()
                .and_then(|a| a["key"].as_str().map(str::to_string));
            if matches!(setup, Setup::Selesai) {
                w.dinkes
                    .act(
                        &format!("/api/v1/reports/{tid}/assignments/{}/updates", p.assignment),
                        json!({"stage": "tuntas", "note": "Jam layanan sudah diperbaiki."}),
                    )
                    .await;
            }
            p
        }
    }
}

type Call = fn(&Caller, &Prepared) -> RequestBuilder;

struct Probe {
    name: &'static str,
    setup: Setup,
    call: Call,
    allowed: &'static [Who],
}

fn probes() -> Vec<Probe> {
    fn p(name: &'static str, setup: Setup, call: Call, allowed: &'static [Who]) -> Probe {
        Probe {
            name,
            setup,
            call,
            allowed,
        }
    }
    vec![
        p(
            "GET report (confidential)",
            Setup::Dispatched,
            |c, p| c.get(&format!("/api/v1/reports/{}", p.tid)),
            READERS,
        ),
        // The report is anonim: what the reporter writes is for the desk only.
        p(
            "GET messages",
            Setup::Dispatched,
            |c, p| c.get(&format!("/api/v1/reports/{}/messages", p.tid)),
            &[Who::Reporter, Who::Operator],
        ),
        p(
            "GET audit",
            Setup::Dispatched,
            |c, p| c.get(&format!("/api/v1/reports/{}/audit", p.tid)),
            &[Who::Auditor],
        ),
        // The reporter's photo, sent with an answer on an anonim report: the conversation.
        p(
            "GET attachment",
            Setup::Dispatched,
            |c, p| {
                c.get(&format!(
                    "/api/v1/attachments/{}",
                    p.attachment.as_deref().unwrap()
                ))
            },
            &[Who::Reporter, Who::Operator],
        ),
        p(
            "POST attachment review",
            Setup::Dispatched,
            |c, p| {
                c.post(&format!(
                    "/api/v1/attachments/{}/review",
                    p.attachment.as_deref().unwrap()
                ))
                .json(&json!({"decision": "hide"}))
            },
            &[Who::Operator],
        ),
        p(
            "GET reports (list)",
            Setup::None,
            |c, _| c.get("/api/v1/reports"),
            &[
                Who::Nobody,
                Who::Reporter,
                Who::Operator,
                Who::Petugas,
                Who::Kepala,
                Who::OtherAgency,
                Who::Pimpinan,
                Who::Auditor,
            ],
        ),
        p(
            "POST reports (walk-in)",
            Setup::None,
            |c, _| {
                c.post("/api/v1/reports").json(&{
                    let mut b = complaint("Laporan tatap muka");
                    b["channel"] = json!("tatap_muka");
                    b
                })
            },
            &[Who::Operator],
        ),
        p(
            "POST verify",
            Setup::Fresh,
            |c, p| {
                c.post(&format!("/api/v1/reports/{}/verify", p.tid))
                    .json(&json!({"needs_field_check": true}))
            },
            &[Who::Operator],
        ),
        p(
            "POST dispatch",
            Setup::Fresh,
            |c, p| {
                c.post(&format!("/api/v1/reports/{}/dispatch", p.tid))
                    .json(&json!({"agencies": [{"agency_id": "dinkes", "role": "utama"}]}))
            },
            &[Who::Operator],
        ),
        p(
            "POST questions",
            Setup::Dispatched,
            |c, p| {
                c.post(&format!("/api/v1/reports/{}/questions", p.tid))
                    .json(&json!({"text": "Puskesmas yang mana?"}))
            },
            DESK_AND_ASSIGNED,
        ),
        p(
            "POST replies",
            Setup::Dispatched,
            |c, p| {
                c.post(&format!("/api/v1/reports/{}/replies", p.tid))
                    .json(&json!({"text": "Tambahan informasi."}))
            },
            &[Who::Reporter],
        ),
        p(
            "POST duplicate",
            Setup::Fresh,
            |c, p| {
                c.post(&format!("/api/v1/reports/{}/duplicate", p.tid))
                    .json(&json!({"master_tracking_id": p.extra}))
            },
            &[Who::Operator],
        ),
        p(
            "POST archive",
            Setup::Fresh,
            |c, p| {
                c.post(&format!("/api/v1/reports/{}/archive", p.tid))
                    .json(&json!({"reason": "Tidak jelas."}))
            },
            &[Who::Operator],
        ),
        p(
            "POST updates",
            Setup::Dispatched,
            |c, p| {
                c.post(&format!(
                    "/api/v1/reports/{}/assignments/{}/updates",
                    p.tid, p.assignment
                ))
                .json(&json!({"stage": "verifikasi", "note": "Sedang dicek."}))
            },
            ASSIGNED,
        ),
        p(
            "POST return",
            Setup::Dispatched,
            |c, p| {
                c.post(&format!(
                    "/api/v1/reports/{}/assignments/{}/return",
                    p.tid, p.assignment
                ))
                .json(&json!({"reason": "Kewenangan kabupaten."}))
            },
            ASSIGNED,
        ),
        p(
            "POST forward",
            Setup::Dispatched,
            |c, p| {
                c.post(&format!(
                    "/api/v1/reports/{}/assignments/{}/forward",
                    p.tid, p.assignment
                ))
                .json(&json!({"agency_id": "rsud-moewardi", "note": "Ke RSUD."}))
            },
            ASSIGNED,
        ),
        p(
            "POST confirm",
            Setup::Selesai,
            |c, p| {
                c.post(&format!("/api/v1/reports/{}/confirm", p.tid))
                    .json(&json!({}))
            },
            &[Who::Reporter],
        ),
        p(
            "POST rating",
            Setup::Selesai,
            |c, p| {
                c.post(&format!("/api/v1/reports/{}/rating", p.tid))
                    .json(&json!({"score": 4, "outcome": "fixed"}))
            },
            &[Who::Reporter],
        ),
        p(
            "POST reopen",
            Setup::Selesai,
            |c, p| {
                c.post(&format!("/api/v1/reports/{}/reopen", p.tid))
                    .json(&json!({"reason": "Masih tutup."}))
            },
            &[Who::Reporter],
        ),
        p(
            "POST instructions",
            Setup::Dispatched,
            |c, p| {
                c.post(&format!("/api/v1/reports/{}/instructions", p.tid))
                    .json(&json!({"note": "Segera."}))
            },
            &[Who::Pimpinan],
        ),
        p(
            "POST messages",
            Setup::Dispatched,
            |c, p| {
                c.post(&format!("/api/v1/reports/{}/messages", p.tid))
                    .json(&json!({"text": "Kami tindak lanjuti."}))
            },
            DESK_AND_ASSIGNED,
        ),
        p("GET me", Setup::None, |c, _| c.get("/api/v1/me"), STAFF),
        p(
            "GET regions",
            Setup::None,
            |c, _| c.get("/api/v1/regions?parent=33"),
            EVERYONE,
        ),
        p(
            "GET categories",
            Setup::None,
            |c, _| c.get("/api/v1/categories"),
            EVERYONE,
        ),
        p(
            "GET agencies",
            Setup::None,
            |c, _| c.get("/api/v1/agencies"),
            EVERYONE,
        ),
        p(
            "GET holidays",
            Setup::None,
            |c, _| c.get("/api/v1/holidays"),
            EVERYONE,
        ),
        p(
            "GET openapi",
            Setup::None,
            |c, _| c.get("/api/v1/openapi.json"),
            EVERYONE,
        ),
        p(
            "GET sla-policy",
            Setup::None,
            |c, _| c.get("/api/v1/sla-policy"),
            STAFF,
        ),
        p(
            "PUT sla-policy",
            Setup::None,
            |c, _| {
                c.put("/api/v1/sla-policy")
                    .json(&json!({"preset": "jateng"}))
            },
            &[Who::Admin],
        ),
        p(
            "PUT category",
            Setup::None,
            |c, _| {
                c.put("/api/v1/categories/uji-coba").json(&json!({"name_id": "Uji", "name_en": "Test", "default_agency_id": "setda", "needs_field_check": false}))
            },
            &[Who::Admin],
        ),
        p(
            "PUT agency",
            Setup::None,
            |c, _| {
                c.put("/api/v1/agencies/dishub").json(&json!({"name": "Dinas Perhubungan Provinsi Jawa Tengah", "kind": "opd_provinsi", "parent_id": "pemprov", "head_name": "Kepala Dishub", "head_phone": "081200001111"}))
            },
            &[Who::Admin],
        ),
        p(
            "PUT holiday",
            Setup::None,
            |c, p| {
                c.put(&format!(
                    "/api/v1/holidays/{}",
                    p.extra.split('|').nth(2).unwrap().replace("2031", "2032")
                ))
                .json(&json!({"kind": "libur_nasional", "name": "Uji"}))
            },
            &[Who::Admin],
        ),
        p(
            "DELETE holiday",
            Setup::None,
            |c, p| {
                c.delete(&format!(
                    "/api/v1/holidays/{}",
                    p.extra.split('|').nth(2).unwrap()
                ))
            },
            &[Who::Admin],
        ),
        p(
            "GET users",
            Setup::None,
            |c, _| c.get("/api/v1/users"),
            &[Who::Operator, Who::Auditor, Who::Admin],
        ),
        p(
            "POST users",
            Setup::None,
            |c, p| {
                c.post("/api/v1/users").json(&json!({"username": format!("baru{}", p.extra.split('|').next().unwrap()), "display_name": "Baru", "role": "pimpinan", "password": "kata-sandi-panjang"}))
            },
            &[Who::Admin],
        ),
        p(
            "PATCH user",
            Setup::None,
            |c, p| {
                c.patch(&format!(
                    "/api/v1/users/{}",
                    p.extra.split('|').next().unwrap()
                ))
                .json(&json!({"display_name": "Nama Baru"}))
            },
            &[Who::Admin],
        ),
        p(
            "POST token",
            Setup::None,
            |c, p| {
                c.post(&format!(
                    "/api/v1/users/{}/tokens",
                    p.extra.split('|').next().unwrap()
                ))
                .json(&json!({"name": "integrasi"}))
            },
            &[Who::Admin],
        ),
        p(
            "DELETE token",
            Setup::None,
            |c, p| {
                c.delete(&format!(
                    "/api/v1/tokens/{}",
                    p.extra.split('|').nth(1).unwrap()
                ))
            },
            &[Who::Admin],
        ),
    ]
}

async fn authorization_matrix(app: &TestApp) {
    let w = world(app).await;
    let mut failures = Vec::new();
    let mut n = 0;
    for probe in probes() {
        for who in EVERYONE {
            n += 1;
            let prepared = prepare(app, &w, probe.setup, n).await;
            let caller = match who {
                Who::Reporter => app.reporter(&prepared.secret),
                other => w.callers[other].clone(),
            };
            let resp = (probe.call)(&caller, &prepared).send().await.unwrap();
            let status = resp.status();
            let allowed = probe.allowed.contains(who);
            let ok = if allowed {
                status.is_success()
            } else {
                status == StatusCode::UNAUTHORIZED
                    || status == StatusCode::FORBIDDEN
                    // A file one may not see does not exist, as far as one can tell.
                    || (probe.name.starts_with("GET attachment") && status == StatusCode::NOT_FOUND)
            };
            if !ok {
                let body = resp.text().await.unwrap_or_default();
                failures.push(format!(
                    "{} as {who:?}: got {status}, expected {} — {}",
                    probe.name,
                    if allowed { "2xx" } else { "401/403" },
                    body.chars().take(200).collect::<String>()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} probes wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(n >= 300, "{n} probes");
}

/// The anonymous reporter's identity never leaves the complaint desk.
async fn anonymous_identity_stays_with_the_desk(app: &TestApp) {
    let w = world(app).await;
    let mut body = complaint("Pungli di loket puskesmas");
    body["visibility"] = json!("anonim");
    body["category"] = json!("kesehatan");
    body["reporter"] = json!({"name": "Rahasiawati Pelapor", "phone": "0812-9988-7766", "email": "rahasiawati@example.id", "nik": "3374015505900002"});
    let (tid, secret) = app.submit(body).await;
    let r = w
        .operator
        .act(
            &format!("/api/v1/reports/{tid}/dispatch"),
            json!({"agencies": [{"agency_id": "dinkes", "role": "utama"}]}),
        )
        .await;
    let a = r["assignments"][0]["id"].as_i64().unwrap();
    w.operator
        .act(
            &format!("/api/v1/reports/{tid}/questions"),
            json!({"text": "Jam berapa kejadiannya?"}),
        )
        .await;
    app.reporter(&secret)
        .act(
            &format!("/api/v1/reports/{tid}/replies"),
            json!({"text": "Sekitar jam sembilan pagi."}),
        )
        .await;
    w.dinkes
        .act(
            &format!("/api/v1/reports/{tid}/assignments/{a}/updates"),
            json!({"stage": "verifikasi", "note": "Sedang kami periksa."}),
        )
        .await;
    // The phone as typed and as stored (a short fragment such as `9988` also turns up by chance
    // in the audit trail's hex hashes).
    let secrets = [
        "Rahasiawati",
        "9988-7766",
        "81299887766",
        "rahasiawati@",
        "3374015505900002",
    ];
    let paths = [
        format!("/api/v1/reports/{tid}"),
        format!("/api/v1/reports/{tid}/messages"),
        format!("/api/v1/reports/{tid}/audit"),
        "/api/v1/reports".to_string(),
        "/api/v1/reports?q=pungli".to_string(),
        "/api/v1/reports?q=Rahasiawati".to_string(),
    ];
    for who in [
        Who::Nobody,
        Who::Petugas,
        Who::Kepala,
        Who::OtherAgency,
        Who::Pimpinan,
        Who::Auditor,
        Who::Admin,
    ] {
        let c = &w.callers[&who];
        for path in &paths {
            let text = c.get(path).send().await.unwrap().text().await.unwrap();
            for s in secrets {
                assert!(
                    !text.contains(s),
                    "{who:?} GET {path} reveals `{s}`: {text}"
                );
            }
        }
    }
    // The desk does see who it is; the agency sees the report itself.
    let r = w.operator.report(&tid).await;
    assert_eq!(r["reporter"]["name"], "Rahasiawati Pelapor");
    assert_eq!(r["reporter"]["nik"], "3374015505900002");
    let r = w.dinkes.report(&tid).await;
    assert_eq!(r["title"], "Pungli di loket puskesmas");
    assert!(r["reporter"].is_null());
}

/// NIK never leaves the operator role, even for a non-anonymous report.
async fn nik_is_for_the_desk_only(app: &TestApp) {
    let w = world(app).await;
    let mut body = complaint("Bantuan sosial tidak cair");
    body["category"] = json!("kesehatan");
    body["reporter"]["nik"] = json!("3374010101900009");
    let (tid, secret) = app.submit(body).await;
    w.operator
        .act(
            &format!("/api/v1/reports/{tid}/dispatch"),
            json!({"agencies": [{"agency_id": "dinkes", "role": "utama"}]}),
        )
        .await;
    for who in [Who::Petugas, Who::Pimpinan, Who::Auditor, Who::Nobody] {
        let text = w.callers[&who]
            .get(&format!("/api/v1/reports/{tid}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!text.contains("3374010101900009"), "{who:?}");
    }
    let r = w.dinkes.report(&tid).await;
    assert_eq!(
        r["reporter"]["name"], "Siti Aminah",
        "agencies may contact a named reporter"
    );
    assert!(r["reporter"]["nik"].is_null());
    assert_eq!(
        app.reporter(&secret).report(&tid).await["reporter"]["nik"],
        Value::Null
    );
    assert_eq!(
        w.operator.report(&tid).await["reporter"]["nik"],
        "3374010101900009"
    );
}

crate::on_both_backends!(
    authorization_matrix,
    anonymous_identity_stays_with_the_desk,
    nik_is_for_the_desk_only
);
