//! The desk's and the agencies' pages over plain HTTP, on SQLite and PostgreSQL: what each
//! text is for (internal or public), feedback after every action, the desk's order, the
//! region by name.

use crate::common::{Caller, TestApp, complaint, csrf};
use reqwest::StatusCode;
use reqwest::multipart::Form;
use serde_json::json;
use tanggap_domain::Role;

fn form(fields: &[(&str, &str)]) -> Form {
    fields.iter().fold(Form::new(), |f, (k, v)| {
        f.text(k.to_string(), v.to_string())
    })
}

async fn html(c: &Caller, path: &str) -> String {
    let r = c.get(path).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "GET {path}");
    r.text().await.unwrap()
}

/// What the verification form sends back when nothing is edited (as the page fills it in).
async fn unchanged(c: &Caller, tid: &str) -> Vec<(String, String)> {
    let r = c.report(tid).await;
    let mut out: Vec<(String, String)> = ["kind", "title", "body", "category", "address"]
        .iter()
        .filter_map(|k| r[*k].as_str().map(|v| (k.to_string(), v.to_string())))
        .collect();
    if r["needs_field_check"] == true {
        out.push(("needs_field_check".into(), "on".into()));
    }
    for v in r["visibility"].as_array().into_iter().flatten() {
        if let Some(v) = v.as_str().filter(|v| *v != "publik") {
            out.push((v.to_string(), "on".into()));
        }
    }
    out
}

/// Post one of the report page's forms: the final status, the path it landed on, the page.
async fn post_action(
    c: &Caller,
    tid: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, Option<String>, String) {
    let page = html(c, &format!("/kelola/{tid}")).await;
    let token = csrf(&page);
    let mut all = vec![("csrf", token.as_str())];
    all.extend_from_slice(fields);
    // The caller's client follows the redirect of a successful action: where it lands tells.
    let r = c
        .post(&format!("/kelola/{tid}/aksi"))
        .multipart(form(&all))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let landed = r.url().path().to_string();
    let body = r.text().await.unwrap();
    (status, Some(landed), body)
}

async fn the_dispatch_note_is_internal_unless_marked_public(app: TestApp) {
    let op = app.staff("sp.op", Role::Operator, None).await;
    let (tid, secret) = app
        .submit(complaint("Jalan provinsi berlubang dekat pasar"))
        .await;
    // Through the desk's page: a note for the agency, not marked public.
    let (status, landed, page) = post_action(
        &op,
        &tid,
        &[
            ("aksi", "disposisi"),
            ("utama", "dpu-bmck"),
            ("note", "Pelapor kerabat pejabat, tangani hati-hati"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(landed.as_deref(), Some(format!("/kelola/{tid}").as_str()));
    assert!(
        page.contains("Laporan didisposisikan."),
        "the flash at the top"
    );
    assert!(
        page.contains("Pelapor kerabat pejabat"),
        "staff read the note"
    );
    // The reporter (secret link) and the public never see it, and the dispatch is the desk's act.
    let reporter = html(&app.anonymous(), &format!("/lacak/{tid}?kunci={secret}")).await;
    let public = html(&app.anonymous(), &format!("/lacak/{tid}")).await;
    for (who, page) in [("reporter", &reporter), ("public", &public)] {
        assert!(
            !page.contains("Pelapor kerabat pejabat"),
            "{who} must not read the internal note"
        );
        assert!(page.contains("Didisposisikan ke"), "{who}: {page}");
    }
    let line = reporter
        .split("Didisposisikan ke")
        .nth(1)
        .unwrap()
        .split("</li>")
        .next()
        .unwrap();
    assert!(
        line.contains("Admin Tanggap"),
        "credited to the desk: {line}"
    );
    let api = app
        .anonymous()
        .get(&format!("/api/v1/reports/{tid}"))
        .send()
        .await
        .unwrap();
    let text = api.text().await.unwrap();
    assert!(!text.contains("Pelapor kerabat pejabat"), "{text}");

    // A note marked public goes with the dispatch on the public timeline.
    let (tid2, _) = app.submit(complaint("Lampu jalan padam sepekan")).await;
    op.act(
        &format!("/api/v1/reports/{tid2}/dispatch"),
        json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}],
               "note": "Perbaikan dijadwalkan pekan ini", "note_public": true}),
    )
    .await;
    let public = html(&app.anonymous(), &format!("/lacak/{tid2}")).await;
    assert!(public.contains("Perbaikan dijadwalkan pekan ini"));
    // Staff forms say who reads each text field.
    let page = html(&op, &format!("/kelola/{tid2}")).await;
    assert!(page.contains("id=\"dnote-vis\""));
    assert!(page.contains("aria-describedby=\"dnote-vis\""));
    assert!(page.contains("Tampilkan catatan ini kepada pelapor dan publik"));
    app.finish().await;
}

#[tokio::test]
async fn dispatch_note_internal_sqlite() {
    the_dispatch_note_is_internal_unless_marked_public(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn dispatch_note_internal_postgres() {
    the_dispatch_note_is_internal_unless_marked_public(TestApp::postgres().await).await;
}

async fn verification_is_explicit_and_every_refusal_shows_at_the_top(app: TestApp) {
    let op = app.staff("sp.op2", Role::Operator, None).await;
    let (tid, _) = app.submit(complaint("Sekolah menarik pungutan liar")).await;
    // Saving without edits is refused: the reason at the top with a link to the form, the form
    // open, its first field focused (the browser scrolls there).
    let same = unchanged(&op, &tid).await;
    let mut fields: Vec<(&str, &str)> =
        same.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    fields.push(("aksi", "verifikasi"));
    let (status, _, page) = post_action(&op, &tid, &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let banner = page.find("id=\"penolakan\"").expect("a banner");
    let form = page.find("id=\"verifikasi\"").expect("the form");
    assert!(banner < form, "the banner comes first");
    assert!(page[banner..].contains("href=\"#verifikasi\""));
    assert!(page.contains("<details class=\"card\" id=\"verifikasi\" open>"));
    assert!(page.contains("id=\"v-title\" name=\"title\"") && page.contains("autofocus"));
    // "Terverifikasi" records the check even without edits: redirect, flash, badge, timeline.
    fields.push(("confirm", "1"));
    let (status, landed, page) = post_action(&op, &tid, &fields).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(landed.as_deref(), Some(format!("/kelola/{tid}").as_str()));
    assert!(page.contains("Laporan ditandai terverifikasi."));
    assert!(page.contains("id=\"terverifikasi\""));
    assert!(page.contains("Laporan diverifikasi admin"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM activities WHERE kind = 'verified'")
            .await,
        1
    );
    // The public sees that it was verified.
    let public = html(&app.anonymous(), &format!("/lacak/{tid}")).await;
    assert!(public.contains("Laporan diverifikasi admin"));
    app.finish().await;
}

#[tokio::test]
async fn verification_sqlite() {
    verification_is_explicit_and_every_refusal_shows_at_the_top(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn verification_postgres() {
    verification_is_explicit_and_every_refusal_shows_at_the_top(TestApp::postgres().await).await;
}

async fn regions_by_name_and_the_same_pickers_for_staff(app: TestApp) {
    let op = app.staff("sp.op3", Role::Operator, None).await;
    let mut c = complaint("Saluran air tersumbat");
    c["region_code"] = json!("33.74.01.1001");
    let (tid, _) = app.submit(c).await;
    let public = html(&app.anonymous(), &format!("/lacak/{tid}")).await;
    let place = public
        .split("id=\"lokasi-laporan\"")
        .nth(1)
        .expect("the place")
        .split("</p>")
        .next()
        .unwrap();
    assert!(!place.contains("33.74"), "no code: {place}");
    assert!(place.contains("Kota Semarang"), "{place}");
    // The desk edits the region with the citizens' pickers, filled down to the chosen village.
    let page = html(&op, &format!("/kelola/{tid}")).await;
    assert!(page.contains("<option value=\"33.74\" selected>"));
    assert!(page.contains("<option value=\"33.74.01\" selected>"));
    assert!(page.contains("<option value=\"33.74.01.1001\" selected>"));
    // Changing the kabupaten/kota without script leaves stale lower lists: the place becomes
    // the new kabupaten/kota, not a village of the old one.
    let same = unchanged(&op, &tid).await;
    let mut fields: Vec<(&str, &str)> =
        same.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    fields.extend([
        ("aksi", "verifikasi"),
        ("kabkota", "33.22"),
        ("kecamatan", "33.74.01"),
        ("desa", "33.74.01.1001"),
    ]);
    let (status, _, _) = post_action(&op, &tid, &fields).await;
    assert_eq!(status, StatusCode::OK);
    let r = op.report(&tid).await;
    assert_eq!(r["region_code"], "33.22");
    // Agencies are listed alphabetically; supporting agencies are a checklist.
    let page = html(&op, &format!("/kelola/{tid}")).await;
    let select = page
        .split("id=\"utama-lain\"")
        .nth(1)
        .unwrap()
        .split("</select>")
        .next()
        .unwrap();
    let names: Vec<String> = select
        .split("\">")
        .skip(2)
        .filter_map(|s| s.split("</option>").next())
        .map(|s| s.to_lowercase())
        .filter(|s| s != "—")
        .collect();
    assert!(names.len() > 5, "{names:?}");
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert!(page.contains("type=\"checkbox\" name=\"pendukung\""));
    app.finish().await;
}

#[tokio::test]
async fn regions_sqlite() {
    regions_by_name_and_the_same_pickers_for_staff(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn regions_postgres() {
    regions_by_name_and_the_same_pickers_for_staff(TestApp::postgres().await).await;
}

async fn the_desk_lists_the_most_urgent_first(app: TestApp) {
    let op = app.staff("sp.op4", Role::Operator, None).await;
    let (first, _) = app.submit(complaint("Laporan pertama masuk")).await;
    app.advance(chrono::TimeDelta::hours(1));
    let (second, _) = app.submit(complaint("Laporan kedua masuk")).await;
    app.advance(chrono::TimeDelta::hours(1));
    // The first is dispatched: its deadline is now the agency's 1×24 h, later than the
    // second's triage deadline.
    op.act(
        &format!("/api/v1/reports/{first}/dispatch"),
        json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}]}),
    )
    .await;
    let page = html(&op, "/meja?status=semua").await;
    let a = page.find(&format!(">{first}<")).unwrap();
    let b = page.find(&format!(">{second}<")).unwrap();
    assert!(b < a, "the second falls due first");
    assert!(page.contains("respons pertama instansi"), "whose deadline");
    assert!(page.contains("class=\"stack\""), "stacks on a phone");
    app.finish().await;
}

#[tokio::test]
async fn desk_order_sqlite() {
    the_desk_lists_the_most_urgent_first(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn desk_order_postgres() {
    the_desk_lists_the_most_urgent_first(TestApp::postgres().await).await;
}

/// An agency's queue shows 50 assignments a page, most urgent first, and counts the whole
/// queue (open and past the deadline), not only the page; the pages link to each other, a page
/// past the last shows the last, and a page number that is not one shows the first.
async fn the_agency_queue_is_paged_and_counts_everything(app: TestApp) {
    let op = app.staff("sp.op5", Role::Operator, None).await;
    let dpu = app.staff("sp.dpu5", Role::Petugas, Some("dpu-bmck")).await;
    let mut tids = Vec::new();
    for k in 0..53 {
        let (tid, _) = app
            .submit(complaint(&format!("Jalan rusak nomor {k:02} di kecamatan")))
            .await;
        op.act(
            &format!("/api/v1/reports/{tid}/dispatch"),
            json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}]}),
        )
        .await;
        tids.push(tid);
        app.advance(chrono::TimeDelta::minutes(10));
    }
    let count_rows = |html: &str| html.matches("<td class=\"lead\">").count();
    let first = html(&dpu, "/instansi").await;
    assert!(
        first.contains("53 disposisi terbuka"),
        "the whole queue is counted"
    );
    assert_eq!(count_rows(&first), 50);
    assert!(first.contains("1–50 dari 53") && first.contains("halaman 1/2"));
    assert!(
        first.contains("href=\"/instansi?halaman=2\""),
        "a link to the next page"
    );
    let at = |html: &str, tid: &str| html.find(&format!(">{tid}<"));
    assert!(at(&first, &tids[0]).unwrap() < at(&first, &tids[1]).unwrap());
    assert!(
        at(&first, &tids[52]).is_none(),
        "the least urgent is on the next page"
    );
    let second = html(&dpu, "/instansi?halaman=2").await;
    assert_eq!(count_rows(&second), 3);
    assert!(second.contains("51–53 dari 53") && second.contains("href=\"/instansi?halaman=1\""));
    assert!(at(&second, &tids[52]).is_some());
    assert_eq!(count_rows(&html(&dpu, "/instansi?halaman=99").await), 3);
    assert_eq!(count_rows(&html(&dpu, "/instansi?halaman=abc").await), 50);
    assert!(!first.contains("melewati tenggat"), "nothing is late yet");
    // Ten days on every response deadline has passed: the count is the queue's, not the page's.
    app.advance(chrono::TimeDelta::days(10));
    let late = html(&dpu, "/instansi").await;
    assert!(
        late.contains("53 melewati tenggat"),
        "every one, not the 50 shown"
    );
    app.finish().await;
}

#[tokio::test]
async fn agency_queue_pages_sqlite() {
    the_agency_queue_is_paged_and_counts_everything(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn agency_queue_pages_postgres() {
    the_agency_queue_is_paged_and_counts_everything(TestApp::postgres().await).await;
}
