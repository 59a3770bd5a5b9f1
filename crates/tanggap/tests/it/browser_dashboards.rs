//! The dashboards in headless Chromium at phone (390 px) and desktop width: the head of Dinas
//! Kesehatan reads who is late and by how much, leadership opens the agency's row; no page
//! scrolls sideways on a phone. Screenshots go to `ci-output/screenshots/dasbor-*`.

use crate::browser::{Browser, browser, user};
use crate::common::{TestApp, complaint};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Value, json};
use tanggap_domain::Role;

fn wib(s: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .unwrap()
        .and_local_timezone(chrono_tz::Asia::Jakarta)
        .unwrap()
        .with_timezone(&Utc)
}

/// The page is no wider than the window: nothing to scroll sideways.
async fn fits(b: &Browser, page: &str) {
    let wide = b.overflow_x().await;
    assert!(wide <= 0.0, "{page} scrolls sideways by {wide} px");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_head_and_leadership_read_their_dashboards_on_a_phone() {
    let Some(b) = browser().await else { return };
    let app = TestApp::sqlite().await;
    let kepala_pw = user(&app, "bd.kepala", Role::Kepala, Some("dinkes")).await;
    let sekda_pw = user(&app, "bd.sekda", Role::Pimpinan, None).await;
    let op = app.staff("bd.operator", Role::Operator, None).await;
    let titles = [
        "Obat habis dan antrean panjang di puskesmas Kecamatan Semarang Tengah sejak Senin pagi",
        "Jalan rusak menuju puskesmas",
        "Ambulans desa tidak datang",
    ];
    for (title, at, agencies) in [
        (
            titles[0],
            "2026-07-06 08:00",
            json!([{"agency_id": "dinkes", "role": "utama"}]),
        ),
        (
            titles[1],
            "2026-07-06 10:00",
            json!([{"agency_id": "dpu-bmck", "role": "utama"}, {"agency_id": "dinkes", "role": "pendukung"}]),
        ),
        (
            titles[2],
            "2026-07-06 17:00",
            json!([{"agency_id": "dinkes", "role": "utama"}]),
        ),
    ] {
        app.clock.set(wib(at));
        let mut r = complaint(title);
        r["category"] = Value::Null;
        r["occurred_on"] = Value::Null;
        let (tid, _) = app.submit(r).await;
        op.act(
            &format!("/api/v1/reports/{tid}/dispatch"),
            json!({"agencies": agencies}),
        )
        .await;
    }
    app.clock.set(wib("2026-07-07 13:20"));

    // The head: who is late, by how much; what falls due soon.
    b.login(&app, "bd.kepala", &kepala_pw).await;
    for phone in [true, false] {
        b.phone(phone).await;
        b.go(&app.url("/instansi/dasbor")).await;
        let late = b.text("#terlambat").await;
        assert!(
            late.contains(titles[0]) && late.contains("terlambat 5 jam 20 menit"),
            "{late}"
        );
        assert!(late.contains("terlambat 3 jam 20 menit") && late.contains("pendukung"));
        assert!(b.text("#segera").await.contains("sisa 3 jam 40 menit"));
        fits(&b, "/instansi/dasbor").await;
        b.go(&app.url("/instansi")).await;
        assert!(b.text("#antrean").await.contains(titles[2]));
        fits(&b, "/instansi").await;
    }
    b.go(&app.url("/instansi/dasbor")).await;
    b.shoot("dasbor-instansi").await;
    b.go(&app.url("/instansi")).await;
    b.shoot("dasbor-antrean").await;

    // Leadership opens the agency's row.
    b.login(&app, "bd.sekda", &sekda_pw).await;
    for phone in [true, false] {
        b.phone(phone).await;
        b.go(&app.url("/pimpinan")).await;
        let lalai = b.text("#lalai").await;
        assert!(
            lalai.contains(titles[0]) && lalai.contains("utama"),
            "{lalai}"
        );
        assert!(lalai.contains(titles[1]) && lalai.contains("pendukung"));
        fits(&b, "/pimpinan").await;
        b.submit("#per-instansi a[href^='/pimpinan/instansi/dinkes']")
            .await;
        let items = b.text("#kewajiban").await;
        for t in titles {
            assert!(items.contains(t), "{items}");
        }
        fits(&b, "/pimpinan/instansi/dinkes").await;
    }
    b.go(&app.url("/pimpinan")).await;
    b.shoot("dasbor-pimpinan").await;
    b.go(&app.url("/pimpinan/instansi/dinkes")).await;
    b.shoot("dasbor-pimpinan-instansi").await;
    app.finish().await;
    b.finish().await;
}
