//! The dashboards as their readers use them, over HTTP on both databases with the clock moved by
//! hand: the head of Dinas Kesehatan sees who is late and by how much, what falls due within six
//! hours and today (the same lists as the morning digest), and how each of their notifications
//! travelled; leadership opens an agency's row, reads the lalai list with titles, roles and the
//! heads in office, and downloads what is on screen as CSV. No page or file names the reporter.

use crate::common::{Caller, TestApp, complaint};
use crate::on_both_backends;
use chrono::{DateTime, NaiveDateTime, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use tanggap_domain::Role;
use tanggap_service::accounts::UserInput;

on_both_backends!(the_head_and_leadership_see_who_is_late);

pub(crate) fn wib(s: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .unwrap()
        .and_local_timezone(chrono_tz::Asia::Jakarta)
        .unwrap()
        .with_timezone(&Utc)
}

/// What a reporter gave (`complaint`), which no dashboard may show.
pub(crate) const REPORTER: [&str; 4] =
    ["Siti Aminah", "81234567890", "3456-7890", "siti@example.id"];

/// A kepala with an e-mail address (so their notifications also travel by e-mail), logged in.
async fn kepala(app: &TestApp, username: &str, agency: &str) -> Caller {
    app.services
        .create_user(
            &tanggap_service::Caller::System,
            UserInput {
                username: username.into(),
                display_name: format!("Kepala {agency}"),
                role: "kepala".into(),
                agency_id: Some(agency.into()),
                email: Some(format!("{username}@example.go.id")),
                phone: None,
                password: format!("{username}-kata-sandi"),
                integration: false,
            },
        )
        .await
        .unwrap();
    app.staff(username, Role::Kepala, Some(agency)).await
}

/// A report submitted and dispatched now; its tracking ID and assignment ids by agency.
pub(crate) async fn dispatched(
    op: &Caller,
    app: &TestApp,
    title: &str,
    agencies: &[&str],
) -> (String, Value) {
    let mut r = complaint(title);
    r["category"] = Value::Null;
    r["occurred_on"] = Value::Null;
    let (tid, _) = app.submit(r).await;
    let targets: Vec<Value> = agencies
        .iter()
        .enumerate()
        .map(|(i, a)| json!({"agency_id": a, "role": if i == 0 { "utama" } else { "pendukung" }}))
        .collect();
    let v = op
        .act(
            &format!("/api/v1/reports/{tid}/dispatch"),
            json!({"agencies": targets}),
        )
        .await;
    (tid, v["assignments"].clone())
}

pub(crate) async fn html(c: &Caller, path: &str) -> String {
    let r = c.get(path).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

/// The page's own content (the layout around it is not this page's).
pub(crate) fn main_of(page: &str) -> &str {
    let start = page.find("<main").expect("a <main>");
    &page[start..page[start..].find("</main>").unwrap() + start]
}

/// What a reader sees of some HTML: the text outside the tags.
pub(crate) fn visible(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// The table with this id.
pub(crate) fn table<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("<table id=\"{id}\""))
        .unwrap_or_else(|| panic!("no table #{id}"));
    &page[start..page[start..].find("</table>").unwrap() + start]
}

/// Tracking IDs linked from a piece of a page, in order.
pub(crate) fn tracking_ids(part: &str) -> Vec<String> {
    part.split("href=\"/kelola/")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .collect()
}

/// The tracking IDs of a digest body's section (`Terlambat`, `Jatuh tempo hari ini`).
fn digest_section(body: &str, heading: &str) -> Vec<String> {
    let Some(start) = body.find(&format!("\n{heading} (")) else {
        return vec![];
    };
    body[start + 1..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("- "))
        .map(|l| l[2..l.find(" · ").unwrap()].to_string())
        .collect()
}

/// The table row that links to this report.
fn row_of<'a>(part: &'a str, tid: &str) -> &'a str {
    let at = part.find(&format!("/kelola/{tid}\"")).unwrap();
    let start = part[..at].rfind("<tr").unwrap();
    &part[start..start + part[start..].find("</tr>").unwrap()]
}

pub(crate) fn assert_no_reporter(what: &str, text: &str) {
    for r in REPORTER {
        assert!(!text.contains(r), "{what} shows the reporter's {r}");
    }
}

async fn csv(c: &Caller, path: &str) -> (String, Vec<Vec<String>>) {
    let r = c.get(path).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"),
        "{path}"
    );
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"tanggap-")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let body = r.text().await.unwrap();
    assert_no_reporter(path, &body);
    let rows = csv::Reader::from_reader(body.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    let header = body.lines().next().unwrap().to_string();
    (header, rows)
}

async fn the_head_and_leadership_see_who_is_late(app: &TestApp) {
    app.clock.set(wib("2026-07-06 07:00"));
    let op = app.staff("dasbor.op", Role::Operator, None).await;
    let admin = app.staff("dasbor.admin", Role::Admin, None).await;
    let head = kepala(app, "dasbor.kepala", "dinkes").await;
    // The sub-unit's head gets its own digest; the parent's head sees both.
    kepala(app, "dasbor.kepala.rsud", "rsud-moewardi").await;
    let dpu = app
        .staff("dasbor.dpu", Role::Petugas, Some("dpu-bmck"))
        .await;
    let sekda = app.staff("dasbor.sekda", Role::Pimpinan, None).await;
    let set_head = |name: &'static str| {
        let admin = admin.clone();
        async move {
            let r = admin
                .put("/api/v1/agencies/dinkes")
                .json(&json!({
                    "name": "Dinas Kesehatan Provinsi Jawa Tengah", "kind": "opd_provinsi",
                    "parent_id": "pemprov", "head_name": name, "head_position": "Kepala Dinas"
                }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
        }
    };
    set_head("dr. Yulianto Prabowo (fiktif)").await;

    // Five reports: two lead and one supporting for Dinas Kesehatan, one for its hospital.
    app.clock.set(wib("2026-07-06 08:00"));
    let (r1, _) = dispatched(
        &op,
        app,
        "Obat \"habis\", antrean panjang di puskesmas",
        &["dinkes"],
    )
    .await;
    app.clock.set(wib("2026-07-06 10:00"));
    let (r2, a2) = dispatched(
        &op,
        app,
        "Jalan rusak menuju puskesmas",
        &["dpu-bmck", "dinkes"],
    )
    .await;
    app.clock.set(wib("2026-07-06 11:00"));
    let (r5, _) = dispatched(&op, app, "Ruang tunggu IGD penuh", &["rsud-moewardi"]).await;
    app.clock.set(wib("2026-07-06 12:00"));
    let dpu_assignment = a2
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agency_id"] == "dpu-bmck")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = dpu
        .post(&format!(
            "/api/v1/reports/{r2}/assignments/{dpu_assignment}/updates"
        ))
        .json(&json!({"stage": "verifikasi", "note": "Kami cek jalannya."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    app.clock.set(wib("2026-07-06 17:00"));
    let (r3, _) = dispatched(&op, app, "Ambulans desa tidak datang", &["dinkes"]).await;
    app.clock.set(wib("2026-07-07 06:00"));
    let (r4, _) = dispatched(&op, app, "Posyandu kekurangan vaksin", &["dinkes"]).await;

    // 09:00: the morning digest goes out, and the head's page shows the same lists.
    app.clock.set(wib("2026-07-07 09:00"));
    let scheduler = tanggap_jobs::Scheduler::new(
        app.services.clone(),
        app.store.clone(),
        tanggap_jobs::SchedulerSettings::default(),
    );
    let swept = scheduler.sweep(app.now()).await.unwrap();
    assert_eq!(swept.digests, 2, "{swept:?}");
    let mut digest_late = BTreeSet::new();
    let mut digest_today = BTreeSet::new();
    for user in ["dasbor.kepala", "dasbor.kepala.rsud"] {
        let (u, _) = app.store.user_credentials(user).await.unwrap().unwrap();
        let id = u.id;
        let notes = app.store.notifications_for_user(id, 10).await.unwrap();
        let digest = notes.iter().find(|n| n.action == "digest").unwrap();
        digest_late.extend(digest_section(&digest.body, "Terlambat"));
        digest_today.extend(digest_section(&digest.body, "Jatuh tempo hari ini"));
    }
    let page = html(&head, "/instansi/dasbor").await;
    let ids =
        |id: &str| -> BTreeSet<String> { tracking_ids(table(&page, id)).into_iter().collect() };
    assert_eq!(digest_late, BTreeSet::from([r1.clone()]));
    assert_eq!(
        digest_today,
        BTreeSet::from([r2.clone(), r3.clone(), r5.clone()])
    );
    assert_eq!(
        ids("terlambat"),
        digest_late,
        "the page's late list is the digest's"
    );
    assert_eq!(
        ids("hari-ini"),
        digest_today,
        "the page's today list is the digest's"
    );
    assert_eq!(ids("segera"), BTreeSet::from([r2.clone(), r5.clone()]));

    // Noon: a new head takes office.
    app.clock.set(wib("2026-07-07 12:00"));
    set_head("dr. Sri Wahyuni (fiktif)").await;

    // 13:20: who is late, by how much.
    app.clock.set(wib("2026-07-07 13:20"));
    scheduler.sweep(app.now()).await.unwrap();
    app.deliver().await;
    let page = html(&head, "/instansi/dasbor").await;
    assert_no_reporter("/instansi/dasbor", &page);
    let late = table(&page, "terlambat");
    assert_eq!(
        tracking_ids(late),
        vec![r1.clone(), r2.clone(), r5.clone()],
        "most late first"
    );
    let r1_row = row_of(late, &r1);
    assert!(
        r1_row.contains("terlambat 5 jam 20 menit")
            && r1_row.contains("Obat &#34;habis&#34;, antrean panjang di puskesmas")
            && r1_row.contains("Dinas Kesehatan Provinsi Jawa Tengah")
            && r1_row.contains("respons pertama"),
        "{r1_row}"
    );
    assert!(
        row_of(late, &r2).contains("terlambat 3 jam 20 menit")
            && row_of(late, &r2).contains("pendukung"),
        "{late}"
    );
    let r5_row = row_of(late, &r5);
    assert!(
        r5_row.contains("terlambat 2 jam 20 menit") && r5_row.contains("RSUD Dr. Moewardi"),
        "the sub-unit handling it is named: {r5_row}"
    );
    let soon = table(&page, "segera");
    assert_eq!(tracking_ids(soon), vec![r3.clone()]);
    assert!(row_of(soon, &r3).contains("sisa 3 jam 40 menit"), "{soon}");
    assert_eq!(tracking_ids(table(&page, "hari-ini")), vec![r3.clone()]);
    assert!(!page.contains(&r4), "due tomorrow: on no list");
    assert!(
        !main_of(&page).contains("respon ") && !main_of(&page).contains("respon<"),
        "KBBI: respons"
    );

    // The head's notifications say how each copy travelled: the e-mail went nowhere.
    let inbox = html(&head, "/notifikasi").await;
    assert_no_reporter("/notifikasi", &inbox);
    assert!(
        inbox.contains("e-mail: <span class=\"badge b-amber\">tidak terkirim: penyedia belum dikonfigurasi</span>"),
        "{}",
        main_of(&inbox)
    );
    assert!(inbox.contains("di aplikasi: <span class=\"badge\">terkirim</span>"));
    assert!(!main_of(&inbox).contains(">sent<") && !main_of(&inbox).contains("in_app"));

    // Leadership: the lalai list with titles, roles and the head at each deadline.
    let board = html(&sekda, "/pimpinan?periode=30").await;
    assert_no_reporter("/pimpinan", &board);
    let lalai = table(&board, "lalai");
    assert_eq!(
        tracking_ids(lalai).into_iter().collect::<BTreeSet<_>>(),
        BTreeSet::from([r1.clone(), r2.clone(), r5.clone()])
    );
    let r1_line = row_of(lalai, &r1);
    assert!(
        r1_line.contains("Obat &#34;habis&#34;")
            && r1_line.contains(">utama<")
            && r1_line.contains("dr. Yulianto Prabowo (fiktif)"),
        "the head in office at the deadline: {r1_line}"
    );
    assert!(
        row_of(lalai, &r2).contains("Jalan rusak menuju puskesmas")
            && row_of(lalai, &r2).contains(">pendukung<"),
        "{lalai}"
    );
    let agencies = table(&board, "per-instansi");
    assert!(agencies.contains("href=\"/pimpinan/instansi/dinkes?periode=30\""));
    assert!(
        agencies.contains("dr. Sri Wahyuni (fiktif) (Kepala Dinas)"),
        "the head now"
    );

    // Its row opens: Dinas Kesehatan's own obligations, as the figures count them.
    let drill = html(&sekda, "/pimpinan/instansi/dinkes?periode=30").await;
    assert_no_reporter("the drill-down", &drill);
    assert!(drill.contains("dr. Sri Wahyuni (fiktif) (Kepala Dinas)"));
    let items = table(&drill, "kewajiban");
    assert_eq!(
        tracking_ids(items).into_iter().collect::<BTreeSet<_>>(),
        BTreeSet::from([r1.clone(), r2.clone(), r3.clone(), r4.clone()]),
        "its own obligations, not the hospital's"
    );
    assert!(
        row_of(items, &r2).contains(">pendukung<")
            && row_of(items, &r2).contains("class=\"lalai\"")
    );
    assert!(
        row_of(items, &r4).contains("belum jatuh tempo")
            && !row_of(items, &r4).contains("class=\"lalai\"")
    );
    let api: Value = sekda
        .get("/api/v1/compliance?from=2026-06-08&to=2026-07-07")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let figures = api["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agency_id"] == "dinkes")
        .unwrap()
        .clone();
    assert_eq!(figures["received"], 4);
    assert_eq!(figures["unresponded_overdue"], 2);
    assert_eq!(figures["not_yet_due"], 2);
    assert_eq!(items.matches("class=\"lalai\"").count(), 2);

    // What is on screen, as CSV: quoted properly, no reporter.
    let (header, rows) = csv(&sekda, "/pimpinan.csv?periode=30").await;
    assert!(
        header.starts_with("ID instansi,Instansi,Kepala,Diterima"),
        "{header}"
    );
    let dinkes = rows.iter().find(|r| r[0] == "dinkes").unwrap();
    assert_eq!(dinkes[1], "Dinas Kesehatan Provinsi Jawa Tengah");
    assert_eq!(dinkes[2], "dr. Sri Wahyuni (fiktif)");
    assert_eq!(
        &dinkes[3..10],
        [
            figures["received"].to_string(),
            figures["on_time"].to_string(),
            figures["late"].to_string(),
            figures["unresponded_overdue"].to_string(),
            figures["lalai"].to_string(),
            figures["not_yet_due"].to_string(),
            figures["cancelled"].to_string(),
        ]
    );
    let (_, rows) = csv(&sekda, "/pimpinan/lalai.csv?periode=30").await;
    let r1_csv = rows.iter().find(|r| r[0] == r1).unwrap();
    assert_eq!(
        r1_csv[1], "Obat \"habis\", antrean panjang di puskesmas",
        "quoting round-trips"
    );
    assert_eq!(r1_csv[3], "utama");
    assert_eq!(r1_csv[4], "dr. Yulianto Prabowo (fiktif)");
    assert_eq!(r1_csv[5], "2026-07-07 08:00");
    let (_, rows) = csv(&sekda, "/pimpinan/instansi/dinkes.csv?periode=30").await;
    assert_eq!(rows.len(), 4);
    let r2_csv = rows.iter().find(|r| r[0] == r2).unwrap();
    assert_eq!(
        (r2_csv[2].as_str(), r2_csv[10].as_str()),
        ("pendukung", "ya")
    );

    // Only leadership opens agencies; an unknown one is not found.
    assert_eq!(
        head.get("/pimpinan/instansi/dinkes")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        head.get("/pimpinan.csv").send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        sekda
            .get("/pimpinan/instansi/tidak-ada")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );

    // The rakor report of this quarter: on a page and as files, for leadership only.
    let rakor = html(&sekda, "/pimpinan/rakor?kuartal=2026-Q3").await;
    assert_no_reporter("/pimpinan/rakor", &rakor);
    let ranking = table(&rakor, "rakor-peringkat");
    assert!(
        ranking.contains("Dinas Kesehatan") && rakor.contains("<svg"),
        "{ranking}"
    );
    let evidence = &rakor[rakor.find("id=\"lalai\"").unwrap()..];
    assert!(
        evidence.contains(&r2) && evidence.contains(&r5),
        "{evidence}"
    );
    assert!(rakor.contains("<option value=\"2026-Q3\" selected>"));
    for (ext, content_type, magic) in [
        ("pdf", "application/pdf", &b"%PDF-"[..]),
        (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &b"PK"[..],
        ),
        ("csv", "text/csv; charset=utf-8", &b"laporan,"[..]),
        ("html", "text/html; charset=utf-8", &b"<!doctype html>"[..]),
    ] {
        let r = sekda
            .get(&format!("/pimpinan/rakor/2026-Q3.{ext}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{ext}");
        assert_eq!(r.headers()["content-type"], content_type);
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains(&format!("tanggap-rakor-2026-Q3.{ext}"))
        );
        let body = r.bytes().await.unwrap();
        assert!(body.starts_with(magic), "{ext}");
        if ext != "pdf" && ext != "xlsx" {
            assert_no_reporter(ext, &String::from_utf8_lossy(&body));
        }
    }
    for (who, path, status) in [
        (
            &sekda,
            "/pimpinan/rakor/2026-Q3.docx",
            StatusCode::NOT_FOUND,
        ),
        (
            &sekda,
            "/pimpinan/rakor/2026-Q9.csv",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (&head, "/pimpinan/rakor", StatusCode::FORBIDDEN),
        (&head, "/pimpinan/rakor/2026-Q3.pdf", StatusCode::FORBIDDEN),
    ] {
        assert_eq!(
            who.get(path).send().await.unwrap().status(),
            status,
            "{path}"
        );
    }

    // In English, nothing Indonesian is left on these pages but names and titles.
    for c in [&head, &sekda] {
        c.get("/bahasa/en").send().await.unwrap();
    }
    // (Notification texts are written in Indonesian by the jobs: their labels are checked.)
    let inbox = html(&head, "/notifikasi").await;
    assert!(
        inbox.contains(
            "e-mail: <span class=\"badge b-amber\">not sent: no provider configured</span>"
        ) && inbox.contains("in the app: <span class=\"badge\">sent</span>")
            && !inbox.contains("tidak terkirim")
            && !inbox.contains("di aplikasi"),
        "{}",
        main_of(&inbox)
    );
    let en = [
        html(&head, "/instansi/dasbor").await,
        html(&head, "/instansi").await,
        html(&sekda, "/pimpinan?periode=30").await,
        html(&sekda, "/pimpinan/instansi/dinkes?periode=30").await,
    ];
    assert!(en[0].contains("5 h 20 min late") && en[0].contains("Due within 6 hours"));
    assert!(en[2].contains(">lead<") && en[2].contains(">supporting<"));
    for page in &en {
        let main = visible(main_of(page));
        for word in [
            "Terlambat",
            "terlambat",
            "Jatuh tempo",
            "Judul",
            "Tenggat",
            "Tahap",
            "Ditangani",
            "respons pertama",
            "direspons",
            "Periode",
            "Tampilkan",
            "Kepatuhan",
            "Belum",
            "belum",
            "sisa ",
            "Kepala saat",
            "Kepala:",
            "utama",
            "pendukung",
            "Peran",
            "Nomor",
            "Unduh",
            "Instansi",
            "Lalai",
            "Agu ",
            "Okt ",
            "Des ",
            "Mei ",
        ] {
            assert!(!main.contains(word), "`{word}` left in English: {main}");
        }
    }
    let (header, _) = csv(&sekda, "/pimpinan/instansi/dinkes.csv?periode=30").await;
    assert!(header.starts_with("Tracking ID,Title,Role"), "{header}");
}
