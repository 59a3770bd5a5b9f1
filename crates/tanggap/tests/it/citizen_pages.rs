//! The citizen's home page and icon over HTTP: the recent public reports near a kabupaten/kota
//! (names, never codes; no confidential report; no location of an anonymous one), the map drawn
//! from a configured tile source, and the favicon.

use crate::common::{TestApp, complaint};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tanggap_domain::Role;

async fn dispatched(app: &TestApp, body: Value) -> String {
    let op = app.staff("cp.operator", Role::Operator, None).await;
    let (tid, _) = app.submit(body).await;
    op.act(
        &format!("/api/v1/reports/{tid}/dispatch"),
        json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}]}),
    )
    .await;
    tid
}

/// A complaint with a location, public or anonymous.
fn located(title: &str, lat: f64, lon: f64, anonymous: bool) -> Value {
    let mut r = complaint(title);
    r["latitude"] = json!(lat);
    r["longitude"] = json!(lon);
    if anonymous {
        r["visibility"] = json!("anonim");
    }
    r
}

#[tokio::test]
async fn recent_reports_are_listed_by_place_without_what_is_private() {
    let app = TestApp::postgres().await;
    let shown = dispatched(
        &app,
        located("Jalan amblas di Miroto", -6.9826, 110.4092, false),
    )
    .await;
    let anon = dispatched(
        &app,
        located("Pungutan di kantor kelurahan", -6.9901, 110.4201, true),
    )
    .await;
    let mut confidential = complaint("Rahasia: guru meminta uang");
    confidential["visibility"] = json!("rahasia");
    dispatched(&app, confidential).await;
    let (new, _) = app.submit(complaint("Belum diperiksa admin")).await;

    let r = app.anonymous().get("/?wilayah=33.74").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let html = r.text().await.unwrap();
    let list = &html[html.find("id=\"daftar-terbaru\"").expect("the list")..];
    assert!(list.contains(&format!("/lacak/{shown}")) && list.contains(&format!("/lacak/{anon}")));
    assert!(
        !list.contains("Rahasia: guru"),
        "a confidential report is listed"
    );
    assert!(
        !list.contains(&new),
        "a report the desk has not dispatched is listed"
    );
    assert!(
        list.contains("Miroto, Semarang Tengah, Kota Semarang"),
        "names of the place"
    );
    assert!(!list.contains("33.74.01"), "a region code on the page");
    // No tile source configured: no map, and the page loads images from itself only.
    assert!(!html.contains("<svg"));
    assert!(csp.contains("img-src 'self';"), "{csp}");

    // Another kabupaten/kota has none; an unknown code shows the province.
    let html = app
        .anonymous()
        .get("/?wilayah=33.72")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"terbaru-kosong\"") && html.contains("Kota Surakarta"));
    let html = app
        .anonymous()
        .get("/?wilayah=99'x")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("/lacak/{shown}")));
    app.finish().await;
}

#[tokio::test]
async fn with_a_tile_source_the_home_page_draws_a_map_of_the_located_reports() {
    let app = TestApp::sqlite_with(|c| {
        c.map_tiles = Some("https://tiles.example.org/{z}/{x}/{y}.png".into());
        c.map_attribution = Some("© Peta Contoh".into());
    })
    .await;
    let tid = dispatched(
        &app,
        located("Jembatan retak di Pandanaran", -6.9826, 110.4092, false),
    )
    .await;
    dispatched(
        &app,
        located("Lokasi pelapor anonim", -6.9901, 110.4201, true),
    )
    .await;

    let r = app.anonymous().get("/").send().await.unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let html = r.text().await.unwrap();
    assert!(
        csp.contains("img-src 'self' https://tiles.example.org;"),
        "{csp}"
    );
    let map = &html[html.find("id=\"peta\"").expect("a map")..html.find("</figure>").unwrap()];
    assert!(
        map.contains("https://tiles.example.org/16/"),
        "one point: close up"
    );
    // One marker: the anonymous report has no location in public.
    assert_eq!(map.matches("<circle").count(), 1, "{map}");
    assert!(map.contains(&format!("href=\"/lacak/{tid}\"")));
    assert!(map.contains("© Peta Contoh"));
    app.finish().await;
}

#[tokio::test]
async fn the_site_has_an_icon() {
    let app = TestApp::sqlite().await;
    for path in ["/favicon.ico", "/static/favicon.svg"] {
        let r = app.anonymous().get(path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers()["content-type"], "image/svg+xml");
        assert!(r.text().await.unwrap().starts_with("<svg"));
    }
    let home = app
        .anonymous()
        .get("/")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("<link rel=\"icon\" href=\"/static/favicon.svg\""));
    app.finish().await;
}
