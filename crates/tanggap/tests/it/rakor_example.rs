//! The quarterly rakor report of 2026-Q4 for a hand-computed example: every figure of its CSV,
//! for every agency in it, worked out below with pen and paper from SPEC sections 5 and 6, then
//! asserted cell by cell (issue 13).
//!
//! Policy `jateng`: first response 1×24 h of wall-clock time (nights, weekends and holidays
//! count); completion in working days (information and aspiration 5, complaint 14; no field
//! check here), where a working day is a weekday that is neither a national holiday nor a cuti
//! bersama day of `reference/jateng/holidays.csv`: in this example 24 December 2026 (cuti bersama
//! Natal), 25 December 2026 (Natal) and 1 January 2027. "N working days" is N × 24 h of working
//! time. The report is made on **Friday 1 January 2027 10:00 WIB** (`now`); all times are WIB.
//! `d` is a working day of 24 h, `h` an hour.
//!
//! Agencies: **A** = `dpu-bmck`, **B** = `dinkes` (whose head changes on 1 November), **C** =
//! `dinsos`.
//!
//! # 2026-Q3, the quarter before (only its compliance is printed)
//!
//! | # | agency | dispatched | response due | responded | response |
//! |---|---|---|---|---|---|
//! | P1 | A | Wed 30 Sep 20:00 | Thu 1 Oct 20:00 (in Q4) | Thu 1 Oct 19:00 (23 h) | on time, **in Q3**: an obligation belongs to the quarter it started in |
//! | P2 | A | Mon 14 Sep 09:00 | Tue 15 Sep 09:00 | Tue 15 Sep 10:00 (25 h) | late |
//! | P3 | B | Mon 21 Sep 09:00 | Tue 22 Sep 09:00 | Mon 21 Sep 13:00 (4 h) | on time |
//!
//! Q3 compliance: A 1/2 = 50.0; B 1/1 = 100.0; C nothing (empty); all 2/3 = 66.7.
//!
//! # 2026-Q4: first response
//!
//! | # | agency, kind | dispatched | response due (+24 h) | responded | response |
//! |---|---|---|---|---|---|
//! | A1 | A, pengaduan | Fri 9 Oct 19:00 | **Sat** 10 Oct 19:00 | Sat 10 Oct 11:00 (16 h) | on time: the weekend does not extend the deadline |
//! | A2 | A, pengaduan | Mon 12 Oct 09:00 | Tue 13 Oct 09:00 | Tue 13 Oct 09:00 (24 h) | on time: exactly at the deadline (≤ due) |
//! | A3 | A, pengaduan | Tue 3 Nov 08:00 | Wed 4 Nov 08:00 | Wed 4 Nov 08:01 (24 h 1 min) | late by one minute |
//! | A4 | A, pengaduan | Thu 31 Dec 20:00 | Fri 1 Jan 2027 20:00 (in 2027-Q1) | — | not yet due at 10:00 on 1 Jan; in Q4 |
//! | B4 | B, pengaduan | Fri 2 Oct 17:00 | **Sat** 3 Oct 17:00 | Mon 5 Oct 08:00 (63 h) | late: a working-day clock would have made Monday on time |
//! | B1 | B, pengaduan | Wed 11 Nov 10:00 | Thu 12 Nov 10:00 | never | unresponded overdue (counts now) |
//! | B2 | B, pengaduan | Mon 16 Nov 09:00 | Tue 17 Nov 09:00 | — (desk asks 11:00, archives 12:00) | cancelled: the report ended before the deadline |
//! | B3 | B, permintaan_informasi | Tue 1 Dec 08:00 | Wed 2 Dec 08:00 | Tue 1 Dec 08:36 (0.6 h) | on time, early |
//! | C2 | C, permintaan_informasi | Mon 19 Oct 09:00 | Tue 20 Oct 09:00 | Mon 19 Oct 10:00 (1 h) | on time |
//! | C2′ | C, reopened Wed 21 Oct 09:00 | Wed 21 Oct 09:00 | Thu 22 Oct 09:00 | Thu 22 Oct 12:00 (27 h) | late (a new obligation, from the reopen) |
//! | C3 | C, aspirasi | Mon 14 Dec 09:00 | Tue 15 Dec 09:00 | Mon 14 Dec 12:00 (3 h) | on time |
//! | C4 | C, pengaduan | Thu 17 Dec 09:00 | Fri 18 Dec 09:00 | Thu 17 Dec 10:00 (1 h) | on time |
//! | C1 | C, aspirasi | Mon 21 Dec 09:00 | Tue 22 Dec 09:00 | Mon 21 Dec 15:00 (6 h) | on time |
//!
//! # 2026-Q4: completion (per assignment), reopen and rating
//!
//! | # | target | finished | working time used | completion |
//! |---|---|---|---|---|
//! | A1 | 14 d | Tue 20 Oct 11:00 | 5 h (9 Oct) + 5 d (12–16 Oct) + 1 d (19 Oct) + 11 h = 6 d 16 h ≤ 14 d | on target; rated 5 (fixed) |
//! | A2 | 14 d | open | target used up Fri 30 Oct 09:00 (13–16, 19–23, 26–30 Oct) < now | open past target |
//! | A3 | 14 d | Tue 24 Nov 10:00 | target used up Mon 23 Nov 08:00 (4–6, 9–13, 16–20, 23 Nov); used 14 d + 26 h | finished late; rated 2 (not fixed) |
//! | A4 | 14 d | open | 4 h of 14 d | within target: not counted |
//! | B4 | 14 d | open | target used up Thu 22 Oct 17:00 (5–9, 12–16, 19–22 Oct) < now | open past target |
//! | B1 | 14 d | open | target used up Tue 1 Dec 10:00 (12, 13, 16–20, 23–27, 30 Nov, 1 Dec) < now | open past target |
//! | B2 | 14 d | archived | 2 h, then stopped | not counted |
//! | B3 | 5 d | Wed 2 Dec 14:00 | 16 h + 14 h = 1 d 6 h ≤ 5 d | on target |
//! | C2 | 5 d | Tue 20 Oct 10:00, reopened, again Fri 23 Oct 09:00 | the reopen starts a new clock: 21 Oct 09:00 → 23 Oct 09:00 = 2 d ≤ 5 d (25 h + 2 d had it carried on: on target too) | on target; reopened; rated 4 (partly) |
//! | C3 | 5 d | open | target used up Mon 21 Dec 09:00 (15–18, 21 Dec) < now | open past target |
//! | C4 | 14 d | open | 15 h + 1 d (18) + 3 d (21–23) + 4 d (28–31) = 8 d 15 h by now (24, 25 Dec and 1 Jan off) | within target: not counted |
//! | C1 | 5 d | Tue 29 Dec 15:00 | 15 h (21) + 1 d (22) + 1 d (23) + [24 cuti bersama, 25 Natal, 26–27 weekend] + 1 d (28) + 15 h (29) = 102 h = 4 d 6 h ≤ 5 d; by calendar days 8 d 6 h, by weekdays without holidays 6 d 6 h: both wrongly late | on target; rated 5 (fixed) |
//!
//! # The figures
//!
//! | | A `dpu-bmck` | B `dinkes` | C `dinsos` | all |
//! |---|---|---|---|---|
//! | received (obligations) | A1–A4 = 4 | B1–B4 = 4 | C1, C2, C2′, C3, C4 = 5 | 13 |
//! | on time | A1, A2 = 2 | B3 = 1 | C1, C2, C3, C4 = 4 | 7 |
//! | late | A3 = 1 | B4 = 1 | C2′ = 1 | 3 |
//! | unresponded overdue | 0 | B1 = 1 | 0 | 1 |
//! | not yet due | A4 = 1 | 0 | 0 | 1 |
//! | cancelled | 0 | B2 = 1 | 0 | 1 |
//! | lalai | 1 | 2 | 1 | 4 |
//! | compliance % | 2/3 = 66.7 | 1/3 = 33.3 | 4/5 = 80.0 | 7/11 = 63.6 |
//! | Q3 % | 50.0 | 100.0 | (none) | 66.7 |
//! | change (points) | +16.7 | −66.7 | (none) | 63.64 − 66.67 = −3.0 |
//! | response times (h) | 16, 24, 24.02 | 0.6, 63 | 1, 1, 3, 6, 27 | all ten |
//! | median (h) | 24.0 | (0.6 + 63)/2 = 31.8 | 3.0 | (6 + 16)/2 = 11.0 |
//! | p90 (h), nearest rank ⌈0.9 n⌉ | 3rd: 24.0 | 2nd: 63.0 | 5th: 27.0 | 9th: 27.0 |
//! | lalai evidence (by start) | A3 | B4 B1 | C2 | |
//! | completion on target | A1 = 1 | B3 = 1 | C1, C2 = 2 | 4 |
//! | completion late | A3 = 1 | 0 | 0 | 1 |
//! | open past target | A2 = 1 | B1, B4 = 2 | C3 = 1 | 4 |
//! | completion within target % | 1/3 = 33.3 | 1/3 = 33.3 | 2/3 = 66.7 | 4/9 = 44.4 |
//! | reopened % (of finished) | 0/2 = 0.0 | 0/1 = 0.0 | 1/2 = 50.0 | 1/5 = 20.0 |
//! | satisfaction (lead's ratings) | (5 + 2)/2 = 3.5 | (none) | (4 + 5)/2 = 4.5 | 16/4 = 4.0 |
//!
//! Ranking, best compliance first: C (80.0), A (66.7), B (33.3). B's line names the head in
//! office at the end of the quarter; each lalai item the head in office at its deadline (B4's
//! on 3 October: the first head; B1's on 12 November: the second). The lalai list: unanswered
//! first (B1), then by deadline (B4 3 Oct, C2′ 22 Oct, A3 4 Nov).

use crate::common::{Caller, TestApp};
use crate::compliance::{World, wib};
use serde_json::json;
use tanggap_domain::Role;

const A: &str = "dpu-bmck";
const B: &str = "dinkes";
const C: &str = "dinsos";
const A_NAME: &str = "Dinas Pekerjaan Umum Bina Marga dan Cipta Karya Provinsi Jawa Tengah";
const B_NAME: &str = "Dinas Kesehatan Provinsi Jawa Tengah";
const C_NAME: &str = "Dinas Sosial Provinsi Jawa Tengah";
const B_HEAD_1: &str = "dr. Yulia Hartati (fiktif)";
const B_HEAD_2: &str = "dr. Bambang Wicaksono (fiktif)";

crate::on_both_backends!(the_hand_computed_quarter_is_the_csv);

/// A stage update by the agency at the current instant, which must be accepted.
async fn post(w: &World<'_>, who: &Caller, tid: &str, aid: i64, stage: &str) {
    let r = w.update(who, tid, aid, stage).await;
    assert_eq!(r.status(), reqwest::StatusCode::OK, "{stage} on {tid}");
}

async fn rate(app: &TestApp, tid: &str, secret: &str, score: u8, outcome: &str) {
    app.reporter(secret)
        .act(
            &format!("/api/v1/reports/{tid}/rating"),
            json!({"score": score, "outcome": outcome}),
        )
        .await;
}

/// The CSV as records (RFC 4180, so a definition's commas stay inside its cell).
fn records(csv_text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv_text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

async fn the_hand_computed_quarter_is_the_csv(app: &TestApp) {
    let w = World::new(app, "2026-09-01 08:00").await;
    let admin = app.staff("contoh.admin", Role::Admin, None).await;
    let set_b_head = |name: &'static str| {
        let admin = admin.clone();
        async move {
            let r = admin
                .put(&format!("/api/v1/agencies/{B}"))
                .json(&json!({
                    "name": B_NAME, "kind": "opd_provinsi", "parent_id": "pemprov",
                    "head_name": name, "head_position": "Kepala Dinas"
                }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), reqwest::StatusCode::OK);
        }
    };
    set_b_head(B_HEAD_1).await;
    let (a, b, c) = (w.agency(A).await, w.agency(B).await, w.agency(C).await);

    // ---- 2026-Q3 -------------------------------------------------------------------------
    w.at("2026-09-14 09:00");
    let (p2_tid, _, p2) = w.dispatched("pengaduan", &[A]).await;
    w.at("2026-09-15 10:00");
    post(&w, &a, &p2_tid, p2[0], "verifikasi").await;
    w.at("2026-09-21 09:00");
    let (p3_tid, _, p3) = w.dispatched("pengaduan", &[B]).await;
    w.at("2026-09-21 13:00");
    post(&w, &b, &p3_tid, p3[0], "verifikasi").await;
    w.at("2026-09-30 20:00");
    let (p1_tid, _, p1) = w.dispatched("pengaduan", &[A]).await;

    // ---- 2026-Q4 -------------------------------------------------------------------------
    w.at("2026-10-01 19:00");
    post(&w, &a, &p1_tid, p1[0], "verifikasi").await;
    w.at("2026-10-02 17:00");
    let (b4_tid, _, b4) = w.dispatched("pengaduan", &[B]).await;
    w.at("2026-10-05 08:00");
    post(&w, &b, &b4_tid, b4[0], "verifikasi").await;
    w.at("2026-10-09 19:00");
    let (a1_tid, a1_secret, a1) = w.dispatched("pengaduan", &[A]).await;
    let report = w.op.report(&a1_tid).await;
    assert_eq!(
        report["assignments"][0]["response_due_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        wib("2026-10-10 19:00"),
        "24 wall-clock hours: due on Saturday"
    );
    w.at("2026-10-10 11:00");
    post(&w, &a, &a1_tid, a1[0], "verifikasi").await;
    w.at("2026-10-12 09:00");
    let (a2_tid, _, a2) = w.dispatched("pengaduan", &[A]).await;
    w.at("2026-10-13 09:00");
    post(&w, &a, &a2_tid, a2[0], "verifikasi").await;
    w.at("2026-10-19 09:00");
    let (c2_tid, c2_secret, c2) = w.dispatched("permintaan_informasi", &[C]).await;
    w.at("2026-10-19 10:00");
    post(&w, &c, &c2_tid, c2[0], "verifikasi").await;
    w.at("2026-10-20 10:00");
    post(&w, &c, &c2_tid, c2[0], "tuntas").await;
    w.at("2026-10-20 11:00");
    post(&w, &a, &a1_tid, a1[0], "tuntas").await;
    w.at("2026-10-20 12:00");
    rate(app, &a1_tid, &a1_secret, 5, "fixed").await;
    w.at("2026-10-21 09:00");
    app.reporter(&c2_secret)
        .act(
            &format!("/api/v1/reports/{c2_tid}/reopen"),
            json!({"reason": "Informasi yang diberikan belum lengkap."}),
        )
        .await;
    w.at("2026-10-22 12:00");
    post(&w, &c, &c2_tid, c2[0], "verifikasi").await;
    w.at("2026-10-23 09:00");
    post(&w, &c, &c2_tid, c2[0], "tuntas").await;
    w.at("2026-10-23 10:00");
    rate(app, &c2_tid, &c2_secret, 4, "partly").await;
    w.at("2026-11-01 08:00");
    set_b_head(B_HEAD_2).await;
    w.at("2026-11-03 08:00");
    let (a3_tid, a3_secret, a3) = w.dispatched("pengaduan", &[A]).await;
    w.at("2026-11-04 08:01");
    post(&w, &a, &a3_tid, a3[0], "verifikasi").await;
    w.at("2026-11-11 10:00");
    let (b1_tid, _, _) = w.dispatched("pengaduan", &[B]).await;
    w.at("2026-11-16 09:00");
    let (b2_tid, _, _) = w.dispatched("pengaduan", &[B]).await;
    w.at("2026-11-16 11:00");
    w.op.act(
        &format!("/api/v1/reports/{b2_tid}/questions"),
        json!({"text": "Mohon sebutkan nama puskesmasnya."}),
    )
    .await;
    w.at("2026-11-16 12:00");
    w.op.act(
        &format!("/api/v1/reports/{b2_tid}/archive"),
        json!({"reason": "Laporan ganda yang dikirim ulang oleh pelapor."}),
    )
    .await;
    w.at("2026-11-24 10:00");
    post(&w, &a, &a3_tid, a3[0], "tuntas").await;
    w.at("2026-11-24 11:00");
    rate(app, &a3_tid, &a3_secret, 2, "not_fixed").await;
    w.at("2026-12-01 08:00");
    let (b3_tid, _, b3) = w.dispatched("permintaan_informasi", &[B]).await;
    w.at("2026-12-01 08:36");
    post(&w, &b, &b3_tid, b3[0], "verifikasi").await;
    w.at("2026-12-02 14:00");
    post(&w, &b, &b3_tid, b3[0], "tuntas").await;
    w.at("2026-12-14 09:00");
    let (c3_tid, _, c3) = w.dispatched("aspirasi", &[C]).await;
    w.at("2026-12-14 12:00");
    post(&w, &c, &c3_tid, c3[0], "verifikasi").await;
    w.at("2026-12-17 09:00");
    let (c4_tid, _, c4) = w.dispatched("pengaduan", &[C]).await;
    w.at("2026-12-17 10:00");
    post(&w, &c, &c4_tid, c4[0], "verifikasi").await;
    w.at("2026-12-21 09:00");
    let (c1_tid, c1_secret, c1) = w.dispatched("aspirasi", &[C]).await;
    let report = w.op.report(&c1_tid).await;
    assert_eq!(
        report["assignments"][0]["completion_due_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        wib("2026-12-30 09:00"),
        "5 working days: 22, 23, 28, 29, 30 December"
    );
    w.at("2026-12-21 15:00");
    post(&w, &c, &c1_tid, c1[0], "verifikasi").await;
    w.at("2026-12-29 15:00");
    post(&w, &c, &c1_tid, c1[0], "tuntas").await;
    w.at("2026-12-29 16:00");
    rate(app, &c1_tid, &c1_secret, 5, "fixed").await;
    w.at("2026-12-31 20:00");
    let (a4_tid, _, _) = w.dispatched("pengaduan", &[A]).await;

    // ---- the report, on New Year's Day ---------------------------------------------------
    w.at("2027-01-01 10:00");
    let report = app
        .services
        .quarterly_report(&tanggap_service::Caller::System, "2026-Q4")
        .await
        .unwrap();
    let text = tanggap_web::rakor::csv(&report).unwrap();
    let all = records(&text);
    let section =
        |name: &str| -> Vec<Vec<String>> { all.iter().filter(|r| r[0] == name).cloned().collect() };

    assert_eq!(
        section("laporan"),
        [row(&[
            "laporan",
            "Laporan akuntabilitas triwulanan (rakor)",
            "2026-Q4",
            "2026-10-01",
            "2026-12-31",
            "dibuat 2027-01-01 10:00",
            "Asia/Jakarta",
        ])]
    );
    let defined: Vec<&str> = all
        .iter()
        .filter(|r| r[0] == "definisi")
        .map(|r| r[1].as_str())
        .collect();
    for term in [
        "penyelesaian_tepat_target",
        "penyelesaian_terlambat",
        "belum_selesai_lewat_target",
        "penyelesaian_tepat_target_persen",
        "dibuka_kembali_persen",
        "kepuasan_rata_rata",
    ] {
        assert!(defined.contains(&term), "{term} is defined: {defined:?}");
    }

    let headers = section("bagian");
    assert_eq!(
        headers[0],
        row(&[
            "bagian",
            "peringkat",
            "instansi_id",
            "instansi",
            "kepala",
            "jabatan",
            "diterima",
            "tepat_waktu",
            "terlambat",
            "belum_direspons_lewat_tenggat",
            "belum_jatuh_tempo",
            "dibatalkan",
            "lalai",
            "kepatuhan_persen",
            "kepatuhan_kuartal_lalu_persen",
            "perubahan_poin",
            "median_respons_jam",
            "p90_respons_jam",
            "nomor_laporan_lalai",
            "penyelesaian_tepat_target",
            "penyelesaian_terlambat",
            "belum_selesai_lewat_target",
            "penyelesaian_tepat_target_persen",
            "dibuka_kembali_persen",
            "kepuasan_rata_rata",
        ])
    );
    let b_evidence = format!("{b4_tid} {b1_tid}");
    #[rustfmt::skip]
    let expected_ranking = [
        row(&["peringkat", "1", C, C_NAME, "", "",
            "5", "4", "1", "0", "0", "0", "1", "80.0", "", "", "3.0", "27.0", &c2_tid,
            "2", "0", "1", "66.7", "50.0", "4.5"]),
        row(&["peringkat", "2", A, A_NAME, "", "",
            "4", "2", "1", "0", "1", "0", "1", "66.7", "50.0", "+16.7", "24.0", "24.0", &a3_tid,
            "1", "1", "1", "33.3", "0.0", "3.5"]),
        row(&["peringkat", "3", B, B_NAME, B_HEAD_2, "Kepala Dinas",
            "4", "1", "1", "1", "0", "1", "2", "33.3", "100.0", "-66.7", "31.8", "63.0", &b_evidence,
            "1", "0", "2", "33.3", "0.0", ""]),
    ];
    let ranking = section("peringkat");
    for (got, want) in ranking.iter().zip(&expected_ranking) {
        assert_eq!(got, want, "{}", want[2]);
    }
    assert_eq!(ranking.len(), 3, "{text}");
    #[rustfmt::skip]
    assert_eq!(
        section("jumlah"),
        [row(&["jumlah", "", "", "Semua instansi", "", "",
            "13", "7", "3", "1", "1", "1", "4", "63.6", "66.7", "-3.0", "11.0", "27.0", "",
            "4", "1", "4", "44.4", "20.0", "4.0"])]
    );

    assert_eq!(
        headers[1],
        row(&[
            "bagian",
            "instansi_id",
            "instansi",
            "nomor_laporan",
            "mulai",
            "tenggat",
            "direspons",
            "kepala_saat_tenggat",
            "jabatan",
        ])
    );
    #[rustfmt::skip]
    let expected_lalai = [
        row(&["lalai", B, B_NAME, &b1_tid, "2026-11-11 10:00", "2026-11-12 10:00", "belum", B_HEAD_2, "Kepala Dinas"]),
        row(&["lalai", B, B_NAME, &b4_tid, "2026-10-02 17:00", "2026-10-03 17:00", "2026-10-05 08:00", B_HEAD_1, "Kepala Dinas"]),
        row(&["lalai", C, C_NAME, &c2_tid, "2026-10-21 09:00", "2026-10-22 09:00", "2026-10-22 12:00", "", ""]),
        row(&["lalai", A, A_NAME, &a3_tid, "2026-11-03 08:00", "2026-11-04 08:00", "2026-11-04 08:01", "", ""]),
    ];
    let lalai = section("lalai");
    for (got, want) in lalai.iter().zip(&expected_lalai) {
        assert_eq!(got, want);
    }
    assert_eq!(lalai.len(), 4, "{text}");
    // Nothing else of the quarter is named: not the quarter-end dispatch (A4, not yet due),
    // not the archived one (B2), not Q3's late answer.
    for tid in [&a4_tid, &b2_tid, &p2_tid, &p1_tid, &p3_tid] {
        assert!(!text.contains(tid.as_str()), "{tid} in {text}");
    }
}
