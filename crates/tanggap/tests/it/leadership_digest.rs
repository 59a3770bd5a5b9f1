//! Leadership's daily digest, over HTTP on both databases with the clock moved by hand: the page
//! `/pimpinan/ringkasan` for yesterday and for a chosen day (reports received, how each agency
//! answered that day's assignments, what is overdue now by agency), its refusals, and the
//! morning message: once a day from 07:00, in full in the inbox and by e-mail, in a few lines on
//! WhatsApp with the link to the page. Nothing in it names a reporter.

use crate::common::TestApp;
use crate::dashboard_pages::{
    assert_no_reporter, dispatched, html, main_of, table, tracking_ids, visible, wib,
};
use crate::on_both_backends;
use reqwest::StatusCode;
use serde_json::json;
use tanggap_domain::Role;
use tanggap_service::accounts::UserInput;

on_both_backends!(leadership_reads_yesterday_and_hears_of_it_each_morning);

/// The cells of the `per-instansi` row of an agency, as text.
fn agency_row(page: &str, name: &str) -> Vec<String> {
    let t = table(page, "per-instansi");
    let at = t
        .find(&format!(">{name}<"))
        .unwrap_or_else(|| panic!("no row for {name}"));
    let start = t[..at].rfind("<tr").unwrap();
    let row = &t[start..start + t[start..].find("</tr>").unwrap()];
    row.split("<td")
        .skip(1)
        .map(|c| visible(&format!("<td{c}")).trim().to_string())
        .collect()
}

async fn leadership_reads_yesterday_and_hears_of_it_each_morning(app: &TestApp) {
    app.clock.set(wib("2026-11-09 08:00"));
    let op = app.staff("ringkas.op", Role::Operator, None).await;
    let dinkes = app
        .staff("ringkas.dinkes", Role::Petugas, Some("dinkes"))
        .await;
    app.services
        .create_user(
            &tanggap_service::Caller::System,
            UserInput {
                username: "ringkas.sekda".into(),
                display_name: "Sekretaris Daerah".into(),
                role: "pimpinan".into(),
                agency_id: None,
                email: Some("sekda@example.go.id".into()),
                phone: Some("+6281200000077".into()),
                password: "ringkas.sekda-kata-sandi".into(),
                integration: false,
            },
        )
        .await
        .unwrap();
    let sekda = app.staff("ringkas.sekda", Role::Pimpinan, None).await;

    // Monday: one report to Dinas Kesehatan, never answered.
    app.clock.set(wib("2026-11-09 15:00"));
    let (r0, _) = dispatched(&op, app, "Puskesmas tutup siang hari", &["dinkes"]).await;
    // Tuesday, the day of the digest: answered in 2½ hours; never answered; not yet due;
    // not yet dispatched.
    app.clock.set(wib("2026-11-10 07:00"));
    let (r1, a1) = dispatched(&op, app, "Obat habis di puskesmas", &["dinkes"]).await;
    app.clock.set(wib("2026-11-10 08:00"));
    let (r2, _) = dispatched(&op, app, "Jalan provinsi berlubang", &["dpu-bmck"]).await;
    app.clock.set(wib("2026-11-10 09:30"));
    let r = dinkes
        .post(&format!(
            "/api/v1/reports/{r1}/assignments/{}/updates",
            a1[0]["id"]
        ))
        .json(&json!({"stage": "verifikasi", "note": "Kami cek stok obatnya."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    app.clock.set(wib("2026-11-10 20:00"));
    let (r3, _) = dispatched(&op, app, "Jembatan desa retak", &["dpu-bmck"]).await;
    app.clock.set(wib("2026-11-10 22:00"));
    let mut late = crate::common::complaint("Lampu jalan mati");
    late["occurred_on"] = serde_json::Value::Null;
    app.submit(late).await;

    // Wednesday 09:00: yesterday is Tuesday.
    app.clock.set(wib("2026-11-11 09:00"));
    let page = html(&sekda, "/pimpinan/ringkasan").await;
    let main = main_of(&page);
    assert_no_reporter("the digest page", main);
    assert!(main.contains("value=\"2026-11-10\""), "{main}");
    assert!(main.contains("id=\"jumlah-masuk\">4<"), "{main}");
    // Who answered how fast: Dinas Kesehatan on time in 2 h 30 min; DPU one unanswered past
    // its deadline (08:00 today) and one not yet due (20:00 today).
    let d = agency_row(main, "Dinas Kesehatan Provinsi Jawa Tengah");
    assert_eq!(d[3..10], ["1", "1", "0", "0", "0", "0", "0"], "{d:?}");
    assert_eq!(d[10], "2 jam 30 menit", "{d:?}");
    let p = agency_row(
        main,
        "Dinas Pekerjaan Umum Bina Marga dan Cipta Karya Provinsi Jawa Tengah",
    );
    assert_eq!(p[3..10], ["2", "0", "0", "1", "1", "1", "0"], "{p:?}");
    // Overdue now, by agency: DPU's Tuesday report and Dinas Kesehatan's Monday one.
    let overdue = table(main, "lewat-tenggat-instansi");
    let ids = tracking_ids(overdue);
    assert!(ids.contains(&r0) && ids.contains(&r2), "{ids:?}");
    assert!(!ids.contains(&r1) && !ids.contains(&r3), "{ids:?}");
    assert!(
        visible(main).contains("2 belum direspons lewat 1×24 jam"),
        "{main}"
    );

    // Another day: Monday, with its one unanswered report.
    let page = html(&sekda, "/pimpinan/ringkasan?tanggal=2026-11-09").await;
    let main = main_of(&page);
    assert!(main.contains("id=\"jumlah-masuk\">1<"), "{main}");
    let d = agency_row(main, "Dinas Kesehatan Provinsi Jawa Tengah");
    assert_eq!(d[3..10], ["1", "0", "0", "1", "1", "0", "0"], "{d:?}");

    // A date that is not one, or is still to come, is refused in words; an officer is refused.
    for bad in ["kemarin", "2026-11-12"] {
        let r = sekda
            .get(&format!("/pimpinan/ringkasan?tanggal={bad}"))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(r.text().await.unwrap().contains("Tanggal harus berformat"));
    }
    let r = dinkes.get("/pimpinan/ringkasan").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The morning message: once, to leadership's inbox, e-mail and WhatsApp.
    let settings = tanggap_jobs::SchedulerSettings {
        public_url: Some("https://lapor.example.go.id".into()),
        ..Default::default()
    };
    let scheduler = tanggap_jobs::Scheduler::new(app.services.clone(), app.store.clone(), settings);
    scheduler.sweep(app.now()).await.unwrap();
    app.advance(chrono::TimeDelta::hours(2));
    scheduler.sweep(app.now()).await.unwrap();
    let sent = app
        .texts(
            "SELECT channel || '|' || subject || '|' || body FROM notifications
              WHERE action = 'leadership_digest' ORDER BY channel",
        )
        .await;
    assert_eq!(sent.len(), 3, "{sent:#?}");
    let by = |channel: &str| {
        sent.iter()
            .find(|s| s.starts_with(&format!("{channel}|")))
            .unwrap_or_else(|| panic!("nothing by {channel}: {sent:#?}"))
            .clone()
    };
    let link = "https://lapor.example.go.id/pimpinan/ringkasan?tanggal=2026-11-10";
    let email = by("email");
    assert!(
        email.contains("10-11-2026: 4 laporan masuk, 2 belum direspons lewat tenggat"),
        "{email}"
    );
    assert!(
        email.contains(
            "- Dinas Kesehatan Provinsi Jawa Tengah: 1 disposisi, 1 tepat waktu, 0 terlambat, 0 belum direspons lewat tenggat, 0 belum jatuh tempo; median respons 2 jam 30 menit"
        ),
        "{email}"
    );
    assert!(email.contains(&r0) && email.contains(&r2) && email.contains(link));
    assert_eq!(
        by("in_app").split_once('|').unwrap().1,
        email.split_once('|').unwrap().1
    );
    let chat = by("whatsapp");
    assert!(
        chat.contains("4 laporan masuk; respons tepat waktu 50%")
            && chat.contains("2 belum direspons lewat 1×24 jam")
            && chat.contains(link),
        "{chat}"
    );
    assert!(chat.len() < 600, "a chat message is a few lines: {chat}");
    for s in &sent {
        assert_no_reporter("the digest message", s);
    }
}
