//! The desk's assistant through HTTP on both databases: routing suggestions with their reasons
//! on the staff page, taken in one click (category and lead agency), the desk's choices
//! recorded and counted on the admin page; likely duplicates in the same area and window,
//! linked in one click; `tanggap eval` on the labelled file against the targets.

use crate::common::{Caller, TestApp, csrf};
use reqwest::StatusCode;
use reqwest::multipart::Form;
use serde_json::{Value, json};
use tanggap_domain::Role;

async fn html(c: &Caller, path: &str) -> String {
    let r = c.get(path).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "GET {path}");
    r.text().await.unwrap()
}

/// A citizen's report as it arrives from a chat channel: no category.
fn chat_report(body: &str, region: &str) -> Value {
    json!({
        "kind": "pengaduan",
        "title": body.chars().take(60).collect::<String>(),
        "body": body,
        "region_code": region,
        "visibility": "publik",
        "reporter": {"name": "Warga Pelapor", "phone": "0813-2222-3333"}
    })
}

async fn post_form(c: &Caller, path: &str, page_path: &str, fields: &[(&str, &str)]) -> String {
    let page = html(c, page_path).await;
    let token = csrf(&page);
    let form = fields
        .iter()
        .fold(Form::new().text("csrf", token), |f, (k, v)| {
            f.text(k.to_string(), v.to_string())
        });
    let r = c.post(path).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "POST {path}");
    r.text().await.unwrap()
}

/// The `<li>` of the suggestion list for an agency.
fn suggestion<'a>(page: &'a str, agency: &str) -> Option<&'a str> {
    let list = page.split("id=\"saran\"").nth(1)?.split("</ol>").next()?;
    list.split("<li ")
        .find(|li| li.contains(&format!("data-agency=\"{agency}\"")))
}

async fn suggestions_are_taken_in_one_click_and_measured(app: TestApp) {
    let op = app.staff("as.op", Role::Operator, None).await;
    // A junior secondary school in Klaten: the kabupaten's, whatever the category's default.
    let (smp, _) = app
        .submit(chat_report(
            "Assalamualaikum min, SMP negeri di Delanggu minta uang seragam 1,2 juta, katanya wajib beli di koperasi sekolah",
            "33.10.16",
        ))
        .await;
    let page = html(&op, &format!("/kelola/{smp}")).await;
    let first = page
        .split("id=\"saran\"")
        .nth(1)
        .and_then(|l| l.split("<li ").nth(1))
        .expect("suggestions shown");
    assert!(
        first.contains("data-agency=\"pemda-33-10\"")
            && first.contains("data-category=\"pendidikan\""),
        "{first}"
    );
    assert!(
        first.contains("Kabupaten Klaten"),
        "the reason names the region: {first}"
    );
    assert!(
        first.to_lowercase().contains("smp"),
        "and the words: {first}"
    );
    assert_eq!(
        page.matches("name=\"kategori\"").count(),
        3,
        "three suggestions, each one click"
    );
    // One click: classified and dispatched, two facts on the trail.
    let after = post_form(
        &op,
        &format!("/kelola/{smp}/aksi"),
        &format!("/kelola/{smp}"),
        &[
            ("aksi", "disposisi"),
            ("utama", "pemda-33-10"),
            ("kategori", "pendidikan"),
        ],
    )
    .await;
    assert!(after.contains("Laporan didisposisikan."), "{after}");
    let r = op.report(&smp).await;
    assert_eq!(r["category"], "pendidikan");
    assert_eq!(r["status"], "didisposisikan");
    assert_eq!(r["assignments"][0]["agency_id"], "pemda-33-10");

    // The desk overrides a suggestion through the API (a senior high school: the province's).
    let (sma, _) = app
        .submit(chat_report(
            "SMA negeri 1 Pati minta sumbangan pembangunan 3 juta saat daftar ulang, wajib lunas",
            "33.18.10",
        ))
        .await;
    let page = html(&op, &format!("/kelola/{sma}")).await;
    assert!(
        suggestion(&page, "disdikbud")
            .is_some_and(|li| li.contains("data-category=\"pendidikan\"")),
        "{page}"
    );
    op.act(
        &format!("/api/v1/reports/{sma}/dispatch"),
        json!({"agencies": [{"agency_id": "inspektorat", "role": "utama"}], "category": "pendidikan"}),
    )
    .await;
    assert_eq!(op.report(&sma).await["category"], "pendidikan");
    // A second dispatch is not a new choice.
    op.act(
        &format!("/api/v1/reports/{sma}/dispatch"),
        json!({"agencies": [{"agency_id": "disdikbud", "role": "pendukung"}]}),
    )
    .await;
    assert_eq!(app.scalar("SELECT count(*) FROM routing_choices").await, 2);
    assert_eq!(
        app.scalar("SELECT count(*) FROM routing_choices WHERE rank = 1")
            .await,
        1
    );
    // What is recorded holds codes and confidences only, nothing of the reporter.
    let stored = app
        .texts("SELECT suggested || ' ' || chosen_agency FROM routing_choices")
        .await
        .join("\n");
    for secret in ["Warga Pelapor", "0813", "Delanggu", "seragam"] {
        assert!(!stored.contains(secret), "{secret} in {stored}");
    }

    // The admin page counts them and lists the override; the model learns again on demand.
    let admin = app.staff("as.admin", Role::Admin, None).await;
    let page = html(&admin, "/admin").await;
    let table = page
        .split("id=\"akurasi-asisten\"")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .expect("accuracy table");
    assert!(
        table.contains("<td>2</td><td>50%</td><td>50%</td>"),
        "{table}"
    );
    let overrides = page.split("id=\"beda-saran\"").nth(1).unwrap();
    assert!(overrides.contains(&sma) && !overrides.split("</ul>").next().unwrap().contains(&smp));
    let token = csrf(&page);
    let r = admin
        .post("/admin/asisten/latih")
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let trained = r.text().await.unwrap();
    assert!(trained.contains("dilatih ulang dari"), "{trained}");
    // Not for the desk.
    let r = op
        .post("/admin/asisten/latih")
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.finish().await;
}

#[tokio::test]
async fn routing_suggestions_sqlite() {
    suggestions_are_taken_in_one_click_and_measured(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn routing_suggestions_postgres() {
    suggestions_are_taken_in_one_click_and_measured(TestApp::postgres().await).await;
}

async fn likely_duplicates_are_shown_and_linked(app: TestApp) {
    let op = app.staff("dup.op", Role::Operator, None).await;
    let (first, _) = app
        .submit(chat_report(
            "Min, jembatan di Kalisalak Kebasen ambrol td subuh abis ujan deres, skrg ga bisa lewat sama sekali, anak2 sekolah muter jauh",
            "33.02.05.2007",
        ))
        .await;
    let (elsewhere, _) = app
        .submit(chat_report(
            "Jembatan di Kalisalak ambrol td subuh abis ujan deres, ga bisa lewat",
            "33.02.06",
        ))
        .await;
    let (unrelated, _) = app
        .submit(chat_report(
            "Listrik di Kebasen padam dari magrib sampai pagi tanpa pemberitahuan",
            "33.02.05.2001",
        ))
        .await;
    let (letter, _) = app
        .submit(chat_report(
            "Kepala dusun Desa Kaliwedi melaporkan jembatan penghubung ke Desa Kalisalak ambrol pada dini hari akibat banjir sungai. Sekitar 300 KK terdampak karena akses ke sekolah dan pasar terputus.",
            "33.02.05.2005",
        ))
        .await;
    let page = html(&op, &format!("/kelola/{letter}")).await;
    let card = page
        .split("id=\"duplikat\"")
        .nth(1)
        .and_then(|c| c.split("</div>").next())
        .expect("likely duplicates shown");
    assert!(
        card.contains(&format!("data-tracking-id=\"{first}\"")),
        "{card}"
    );
    assert!(card.contains("kalisalak"), "the shared words: {card}");
    assert!(!card.contains(&elsewhere), "another kecamatan: {card}");
    assert!(!card.contains(&unrelated), "other words: {card}");
    // One click links it.
    let after = post_form(
        &op,
        &format!("/kelola/{letter}/aksi"),
        &format!("/kelola/{letter}"),
        &[("aksi", "duplikat"), ("master", &first)],
    )
    .await;
    assert!(after.contains(&first), "{after}");
    assert_eq!(op.report(&letter).await["status"], "duplikat");
    // Outside the window (30 days) a report about the same bridge is a new incident.
    app.advance(chrono::TimeDelta::days(40));
    let (later, _) = app
        .submit(chat_report(
            "Jembatan Kalisalak Kebasen ambrol lagi setelah hujan deras, tidak bisa lewat",
            "33.02.05.2007",
        ))
        .await;
    let page = html(&op, &format!("/kelola/{later}")).await;
    assert!(
        !page.contains(&format!("data-tracking-id=\"{first}\"")),
        "{page}"
    );
    app.finish().await;
}

#[tokio::test]
async fn likely_duplicates_sqlite() {
    likely_duplicates_are_shown_and_linked(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn likely_duplicates_postgres() {
    likely_duplicates_are_shown_and_linked(TestApp::postgres().await).await;
}

fn eval(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tanggap"))
        .arg("eval")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// The figure after `label` (`agency top-1:  171/200 = 85.5%` → 85.5).
fn figure(out: &str, label: &str) -> f64 {
    out.lines()
        .find(|l| l.starts_with(label))
        .and_then(|l| l.rsplit("= ").next())
        .and_then(|p| p.trim_end_matches('%').parse().ok())
        .unwrap_or_else(|| panic!("{label} in {out}"))
}

#[test]
fn eval_meets_the_targets_on_the_development_file() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../reference/jateng/complaints-dev.jsonl"
    );
    let (code, out, err) = eval(&["routing", file]);
    assert_eq!(code, 0, "{err}");
    assert!(figure(&out, "agency top-1:") >= 80.0, "{out}");
    assert!(figure(&out, "agency top-3:") >= 95.0, "{out}");
    assert!(figure(&out, "category:") > 0.0, "{out}");
    let (code, out, err) = eval(&["duplicates", file]);
    assert_eq!(code, 0, "{err}");
    assert!(figure(&out, "precision:") >= 90.0, "{out}");
    assert!(figure(&out, "recall:") >= 80.0, "{out}");
    // A file that is not labelled reports are refused with the line.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"title\": \"ok\"}\n{\"title\": 5}\n").unwrap();
    let (code, _, err) = eval(&["routing", bad.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("line 2"), "{err}");
}
