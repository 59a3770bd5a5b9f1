//! The public dashboard and the open data over HTTP on both databases, as a visitor without an
//! account sees them: counts of public reports by status, category and kabupaten/kota (names),
//! each agency's response compliance with a red/amber/green label in words, the newest public
//! reports, the CSV and JSON downloads in the SP4N-LAPOR! field names. A confidential report is
//! nowhere and counted nowhere; no reporter's name, phone, e-mail or NIK appears anywhere; the
//! page is kept for a minute per language and period.

use crate::common::{Caller, TestApp, complaint};
use crate::on_both_backends;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use tanggap_domain::Role;

on_both_backends!(
    public_dashboard_counts_public_reports_and_rates_agencies,
    public_dashboard_rejects_an_unreadable_quarter
);

const FIELDS: [&str; 11] = [
    "TrackingID",
    "JudulLaporan",
    "IsiLaporan",
    "Kategori",
    "DisposisiInstansi",
    "Area",
    "Status",
    "TanggalLaporanMasuk",
    "TanggalDisposisi",
    "TanggalLaporanAktivitasTerakhir",
    "TanggalLaporanDitutup",
];

/// Everything the reporters gave that no public page or file may show.
const PERSONAL: [&str; 13] = [
    "Siti Aminah",
    "81234567890",
    "3456-7890",
    "siti@example.id",
    "Budi Santoso",
    "81311112222",
    "1111-2222",
    "budi@example.id",
    "3374012345678901",
    "Rahmat Hidayat",
    "rahmat@example.id",
    "3374019876543210",
    "-6.98261",
];

const DPU: &str = "Dinas Pekerjaan Umum Bina Marga dan Cipta Karya Provinsi Jawa Tengah";
const DINKES: &str = "Dinas Kesehatan Provinsi Jawa Tengah";

fn wib(s: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .unwrap()
        .and_local_timezone(chrono_tz::Asia::Jakarta)
        .unwrap()
        .with_timezone(&Utc)
}

/// Submit and dispatch to one lead agency; the tracking ID and the assignment id.
async fn dispatched(app: &TestApp, op: &Caller, body: Value, agency: &str) -> (String, i64) {
    let (tid, _) = app.submit(body).await;
    let v = op
        .act(
            &format!("/api/v1/reports/{tid}/dispatch"),
            json!({"agencies": [{"agency_id": agency, "role": "utama"}]}),
        )
        .await;
    (tid, v["assignments"][0]["id"].as_i64().unwrap())
}

async fn respond(officer: &Caller, tid: &str, assignment: i64) {
    officer
        .act(
            &format!("/api/v1/reports/{tid}/assignments/{assignment}/updates"),
            json!({"stage": "verifikasi", "note": "Tim kami memeriksa lokasi."}),
        )
        .await;
}

fn assert_nothing_personal(what: &str, text: &str) {
    for p in PERSONAL {
        assert!(!text.contains(p), "{what} shows {p}");
    }
}

/// The rows of the table with this id, as the text of their cells.
fn table_rows(page: &str, id: &str) -> Vec<Vec<String>> {
    let start = page
        .find(&format!("<table id=\"{id}\""))
        .unwrap_or_else(|| panic!("no table #{id}"));
    let table = &page[start..start + page[start..].find("</table>").unwrap()];
    let body = &table[table.find("<tbody>").unwrap()..];
    body.split("<tr")
        .skip(1)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let cell = &cell[cell.find('>').unwrap() + 1..];
                    let cell = &cell[..cell.find("</td>").unwrap()];
                    visible(cell)
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect()
        })
        .collect()
}

fn visible(html: &str) -> String {
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
    out.replace("&amp;", "&")
}

fn total_on(page: &str) -> String {
    const AT: &str = "id=\"jumlah-laporan\">";
    let at = page.find(AT).expect("the total") + AT.len();
    page[at..at + page[at..].find('<').unwrap()].to_string()
}

async fn get_ok(c: &Caller, path: &str) -> reqwest::Response {
    let r = c.get(path).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r
}

async fn public_dashboard_counts_public_reports_and_rates_agencies(app: &TestApp) {
    app.clock.set(wib("2026-11-24 09:00"));
    let op = app.staff("pd.operator", Role::Operator, None).await;
    let dpu = app.staff("pd.dpu", Role::Petugas, Some("dpu-bmck")).await;

    // A public complaint in Kota Semarang whose reporter chose to show their name, located.
    let mut a = complaint("Jalan berlubang di Jl. Pemuda");
    a["show_reporter_name"] = json!(true);
    a["latitude"] = json!(-6.982_612_3);
    a["longitude"] = json!(110.409_234_5);
    let (a_tid, a_asg) = dispatched(app, &op, a, "dpu-bmck").await;
    // An anonymous one about health in Kabupaten Semarang, with everything about the reporter.
    let mut b = complaint("Puskesmas tutup pada jam layanan");
    b["visibility"] = json!("anonim");
    b["category"] = json!("kesehatan");
    b["region_code"] = json!("33.22.10.2003");
    b["reporter"] = json!({"name": "Budi Santoso", "phone": "0813-1111-2222",
        "email": "budi@example.id", "nik": "3374012345678901"});
    let (b_tid, _) = dispatched(app, &op, b, "dinkes").await;
    // A confidential one, dispatched and answered: it counts for the agency, nowhere else.
    let mut c = complaint("Rahasia: pungutan di kantor dinas");
    c["visibility"] = json!("rahasia");
    c["reporter"] = json!({"name": "Rahmat Hidayat", "phone": "0857-2222-3333",
        "email": "rahmat@example.id", "nik": "3374019876543210"});
    let (c_tid, c_asg) = dispatched(app, &op, c, "dpu-bmck").await;
    // One the desk has not looked at yet: not public yet.
    let (d_tid, _) = app.submit(complaint("Belum diverifikasi admin")).await;

    // DPU answers both of its reports within the hour; Dinkes never answers.
    app.advance(TimeDelta::hours(1));
    respond(&dpu, &a_tid, a_asg).await;
    respond(&dpu, &c_tid, c_asg).await;
    app.advance(TimeDelta::hours(25));

    let visitor = app.anonymous();
    let r = get_ok(&visitor, "/statistik").await;
    assert_eq!(r.headers()["cache-control"], "public, max-age=60");
    assert!(
        r.headers().get("set-cookie").is_none(),
        "a visitor gets no session"
    );
    let page = r.text().await.unwrap();
    assert_nothing_personal("the dashboard", &page);
    for hidden in [&c_tid, &d_tid] {
        assert!(
            !page.contains(hidden.as_str()),
            "{hidden} is on the dashboard"
        );
    }
    assert!(
        !page.contains("Rahasia: pungutan"),
        "the confidential title"
    );
    assert!(
        !page.contains("33.74") && !page.contains("33.22"),
        "region codes"
    );

    assert_eq!(total_on(&page), "2", "public, verified reports only");
    let by_status = table_rows(&page, "per-status");
    for (status, n) in [
        ("Didisposisikan", "1"),
        ("Diproses", "1"),
        ("Selesai", "0"),
        ("Ditutup", "0"),
    ] {
        assert!(
            by_status.contains(&vec![status.to_string(), n.to_string()]),
            "{status}: {by_status:?}"
        );
    }
    assert!(
        !by_status
            .iter()
            .any(|r| r[0] == "Baru" || r[0] == "Diarsipkan"),
        "statuses the public never sees: {by_status:?}"
    );
    assert_eq!(
        table_rows(&page, "per-kategori"),
        vec![
            vec!["Jalan dan Jembatan".to_string(), "1".into()],
            vec!["Kesehatan".into(), "1".into()],
        ]
    );
    assert_eq!(
        table_rows(&page, "per-wilayah"),
        vec![
            vec!["Kabupaten Semarang".to_string(), "1".into()],
            vec!["Kota Semarang".into(), "1".into()],
        ]
    );
    // Agencies: every obligation counts (DPU's two, the confidential one included), worst first.
    let agencies = table_rows(&page, "per-instansi");
    assert_eq!(agencies.len(), 2, "{agencies:?}");
    assert_eq!(
        agencies[0][..3],
        [DINKES.to_string(), "0% · Merah: buruk".into(), "1".into()]
    );
    assert_eq!(
        agencies[1],
        vec![
            DPU.to_string(),
            "100% · Hijau: baik".into(),
            "2".into(),
            "1 jam".into()
        ]
    );
    assert!(page.contains("badge b-red") && page.contains("badge b-green"));
    // The list: the two public reports, linked, places by name.
    let list = &page[page.find("id=\"daftar-terbaru\"").expect("the list")..];
    assert!(list.contains(&format!("/lacak/{a_tid}")) && list.contains(&format!("/lacak/{b_tid}")));
    assert!(list.contains("Miroto, Semarang Tengah, Kota Semarang"));
    assert!(
        page.contains("href=\"/data-terbuka.csv\"") && page.contains("href=\"/data-terbuka.json\"")
    );
    // The home page links to it.
    let home = get_ok(&visitor, "/").await.text().await.unwrap();
    assert!(home.contains("href=\"/statistik\""));

    // Open data: CSV, exact header, one row per public report, oldest first.
    let today = app
        .now()
        .with_timezone(&chrono_tz::Asia::Jakarta)
        .date_naive();
    let from = today - TimeDelta::days(89);
    let r = get_ok(&visitor, "/data-terbuka.csv").await;
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert_eq!(
        r.headers()["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"tanggap-data-terbuka-{from}_{today}.csv\"")
    );
    let csv_text = r.text().await.unwrap();
    assert_nothing_personal("the CSV", &csv_text);
    assert_eq!(csv_text.lines().next().unwrap(), FIELDS.join(","));
    let rows: Vec<Vec<String>> = csv::Reader::from_reader(csv_text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    assert_eq!(
        rows.iter().map(|r| r[0].clone()).collect::<Vec<_>>(),
        vec![a_tid.clone(), b_tid.clone()],
        "no confidential report, none the desk has not verified"
    );
    assert_eq!(
        rows[0],
        vec![
            a_tid.clone(),
            "Jalan berlubang di Jl. Pemuda".into(),
            "Jalan berlubang di Jl. Pemuda. Sudah lebih dari dua minggu tidak ada perbaikan dan membahayakan pengendara.".into(),
            "Jalan dan Jembatan".into(),
            DPU.into(),
            "Miroto, Semarang Tengah, Kota Semarang".into(),
            "Diproses".into(),
            "2026-11-24T09:00:00+07:00".into(),
            "2026-11-24T09:00:00+07:00".into(),
            "2026-11-24T10:00:00+07:00".into(),
            String::new(),
        ]
    );
    assert_eq!(rows[1][3], "Kesehatan");
    assert_eq!(rows[1][4], DINKES);
    assert!(
        rows[1][5].ends_with(", Kabupaten Semarang"),
        "{}",
        rows[1][5]
    );
    assert_eq!(rows[1][6], "Didisposisikan");

    // JSON: the same rows, the same keys, null for what is absent.
    let r = get_ok(&visitor, "/data-terbuka.json").await;
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .ends_with(".json\"")
    );
    let json_text = r.text().await.unwrap();
    assert_nothing_personal("the JSON", &json_text);
    assert!(!json_text.contains(&c_tid) && !json_text.contains(&d_tid));
    let items: Vec<Value> = serde_json::from_str(&json_text).unwrap();
    assert_eq!(items.len(), 2);
    let want: BTreeSet<&str> = FIELDS.into_iter().collect();
    for item in &items {
        let keys: BTreeSet<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, want);
    }
    assert_eq!(items[0]["TrackingID"], a_tid.as_str());
    assert_eq!(items[0]["Status"], "Diproses");
    assert_eq!(
        items[0]["TanggalLaporanAktivitasTerakhir"],
        "2026-11-24T10:00:00+07:00"
    );
    assert!(items[0]["TanggalLaporanDitutup"].is_null());
    for (i, row) in rows.iter().enumerate() {
        for (k, f) in FIELDS.iter().enumerate() {
            let v = items[i][f].as_str().unwrap_or("");
            assert_eq!(v, row[k], "{f} differs between CSV and JSON");
        }
    }
    // A quarter: its own file name; 2026-Q3 has none of these reports.
    let r = get_ok(&visitor, "/data-terbuka.csv?kuartal=2026-Q4").await;
    assert_eq!(
        r.headers()["content-disposition"].to_str().unwrap(),
        "attachment; filename=\"tanggap-data-terbuka-2026-10-01_2026-12-31.csv\""
    );
    assert_eq!(r.text().await.unwrap().lines().count(), 3);
    let q3 = get_ok(&visitor, "/data-terbuka.json?kuartal=2026-Q3").await;
    assert_eq!(q3.text().await.unwrap(), "[]");
    let q3 = get_ok(&visitor, "/statistik?kuartal=2026-Q3")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(total_on(&q3), "0");
    assert!(q3.contains("href=\"/data-terbuka.csv?kuartal=2026-Q3\""));

    // Kept for a minute: a new public report shows once the minute has passed; the English
    // page is kept apart from the Indonesian one.
    dispatched(app, &op, complaint("Jembatan retak di Lerep"), "dpu-bmck").await;
    let again = get_ok(&visitor, "/statistik").await.text().await.unwrap();
    assert_eq!(total_on(&again), "2", "served from memory");
    let english = visitor
        .get("/statistik")
        .header("Cookie", "tanggap_lang=en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("Public complaint statistics") && english.contains("Green: good"));
    app.advance(TimeDelta::seconds(61));
    let later = get_ok(&visitor, "/statistik").await.text().await.unwrap();
    assert_eq!(total_on(&later), "3", "drawn again after a minute");
    assert_nothing_personal("the dashboard", &later);

    // The open-data files are kept the same way, each format apart.
    let records = |t: &str| csv::Reader::from_reader(t.as_bytes()).records().count();
    let csv_now = get_ok(&visitor, "/data-terbuka.csv")
        .await
        .text()
        .await
        .unwrap();
    let json_now = get_ok(&visitor, "/data-terbuka.json")
        .await
        .text()
        .await
        .unwrap();
    dispatched(
        app,
        &op,
        complaint("Lampu jalan mati di Ungaran"),
        "dpu-bmck",
    )
    .await;
    let csv_kept = get_ok(&visitor, "/data-terbuka.csv")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv_kept, csv_now, "served from memory");
    let json_kept = get_ok(&visitor, "/data-terbuka.json")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(json_kept, json_now, "served from memory");
    app.advance(TimeDelta::seconds(61));
    let csv_later = get_ok(&visitor, "/data-terbuka.csv")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        records(&csv_later),
        records(&csv_now) + 1,
        "drawn again after a minute"
    );
    let json_later: Vec<serde_json::Value> = serde_json::from_str(
        &get_ok(&visitor, "/data-terbuka.json")
            .await
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(json_later.len(), records(&csv_later));
}

async fn public_dashboard_rejects_an_unreadable_quarter(app: &TestApp) {
    let visitor = app.anonymous();
    for path in [
        "/statistik?kuartal=2026-Q5",
        "/statistik?kuartal=kemarin",
        "/data-terbuka.csv?kuartal=2026Q1",
        "/data-terbuka.json?kuartal=2026-Q0",
    ] {
        let r = visitor
            .get(path)
            .header("Accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        let body = r.text().await.unwrap();
        assert!(
            body.contains("Kuartal harus berformat TTTT-Qn, misalnya 2026-Q3."),
            "{path}: {body}"
        );
    }
}
