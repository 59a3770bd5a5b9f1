//! The citizen's pages in headless Chromium, as a citizen whose phone runs no JavaScript and as
//! one whose does: the region step returns to the location section with a hint and says which
//! photos must be chosen again, required fields are marked, the error summary follows the form,
//! every field with help or an error is described, the GPS button only shows with script, the
//! focus ring stands out and the tap targets are large enough. Screenshots go to
//! `ci-output/screenshots/lapor-*`.

use crate::browser::{Browser, browser, browser_without_js};
use crate::common::{TestApp, complaint};
use fantoccini::Locator;
use serde_json::Value;

async fn js(b: &Browser, script: &str) -> Value {
    b.client.execute(script, vec![]).await.unwrap()
}

/// A small photo on disk, for the file input.
fn photo() -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("tanggap-foto-{}.jpg", std::process::id()));
    std::fs::write(&p, crate::common::jpeg_with_exif()).unwrap();
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_the_region_step_comes_back_to_the_location() {
    let Some(b) = browser_without_js().await else {
        return;
    };
    let app = TestApp::sqlite().await;
    b.phone(true).await;
    b.go(&app.url("/lapor")).await;
    // No script: the GPS button stays hidden, the region button shows.
    let gps = b.client.find(Locator::Css("#gps")).await.unwrap();
    assert!(!gps.is_displayed().await.unwrap(), "GPS shows without JS");
    b.shoot("lapor").await;

    b.fill("#title", "Lampu jalan mati di Jalan Pemuda").await;
    b.fill(
        "#body",
        "Sudah seminggu lampu jalan mati, pengendara sering jatuh di malam hari.",
    )
    .await;
    b.select("#kabkota", "33.74").await;
    let file = b.client.find(Locator::Css("#foto")).await.unwrap();
    file.send_keys(&photo().display().to_string())
        .await
        .unwrap();
    b.submit("#tampilkan-wilayah").await;
    // Back at the location section, with what to do next; what was typed is kept; the photo
    // must be chosen again, and the page says so.
    assert!(b.scroll_y().await > 200.0, "the page opened at the top");
    assert!(b.text("#langkah-wilayah").await.contains("Pilih kecamatan"));
    assert_eq!(b.value("#title").await, "Lampu jalan mati di Jalan Pemuda");
    assert!(b.text("#foto-ulang").await.contains("Pilih lagi"));
    b.shoot("lapor-wilayah").await;

    b.select("#kecamatan", "33.74.01").await;
    b.submit("#tampilkan-wilayah").await;
    assert!(b.text("#langkah-wilayah").await.contains("Pilih desa"));
    assert!(b.scroll_y().await > 200.0);
    b.select("#desa", "33.74.01.1001").await;
    let file = b.client.find(Locator::Css("#foto")).await.unwrap();
    file.send_keys(&photo().display().to_string())
        .await
        .unwrap();
    b.submit("form[action='/lapor'] button[value=kirim]").await;
    // The receipt: the full link to keep.
    let link = b.value("#tautan-rahasia").await;
    assert!(
        link.starts_with("http://") && link.contains("kunci="),
        "{link}"
    );
    assert!(b.text("#lokasi-laporan").await.contains("Semarang Tengah"));
    b.shoot("lapor-tanda-terima").await;
    b.finish().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_follow_the_form_and_every_field_says_what_describes_it() {
    let Some(b) = browser().await else { return };
    let app = TestApp::postgres().await;
    b.go(&app.url("/lapor")).await;
    // With script the GPS button shows, and the no-JS region button does not.
    let gps = b.client.find(Locator::Css("#gps")).await.unwrap();
    assert!(gps.is_displayed().await.unwrap());
    // Required fields are marked in their labels.
    for id in ["title", "body", "kabkota"] {
        let label = b.text(&format!("label[for={id}]")).await;
        assert!(label.contains("(wajib)"), "{id}: {label}");
    }
    b.fill("#reporter_email", "bukan-email").await;
    b.submit("form[action='/lapor'] button[value=kirim]").await;
    // The summary lists the problems in the order of the form.
    let order: Vec<String> = serde_json::from_value(
        js(
            &b,
            "return [...document.querySelectorAll('#kesalahan a')].map(a => a.getAttribute('href'));",
        )
        .await,
    )
    .unwrap();
    let want = ["#title", "#body", "#kabkota", "#reporter_email"];
    let positions: Vec<usize> = want
        .iter()
        .map(|w| {
            order
                .iter()
                .position(|o| o == w)
                .unwrap_or_else(|| panic!("{w} not in {order:?}"))
        })
        .collect();
    assert!(positions.windows(2).all(|p| p[0] < p[1]), "{order:?}");
    // Every field with help or an error names them, and the names resolve.
    let broken = js(
        &b,
        "const out = [];
         for (const el of document.querySelectorAll('form input, form select, form textarea')) {
           const by = (el.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
           for (const id of by) if (!document.getElementById(id)) out.push(el.id + ' -> ' + id);
           if (el.getAttribute('aria-invalid') === 'true' && !by.some(id => id.endsWith('-err'))) out.push(el.id + ' has no error link');
           const hint = document.getElementById(el.id + '-hint');
           if (hint && !by.includes(el.id + '-hint')) out.push(el.id + ' misses its hint');
         }
         return out;",
    )
    .await;
    assert_eq!(broken, Value::Array(vec![]), "{broken}");
    b.shoot("lapor-kesalahan").await;

    // The focus ring: 3 px or more, and at 3:1 or more against the white page.
    b.client
        .find(Locator::Css("#title"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let ring = js(
        &b,
        "const s = getComputedStyle(document.activeElement);
         const rgb = s.outlineColor.match(/\\d+/g).slice(0, 3).map(Number).map(v => {
           v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
         const lum = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
         return [parseFloat(s.outlineWidth), 1.05 / (lum + 0.05)];",
    )
    .await;
    let (width, contrast) = (ring[0].as_f64().unwrap(), ring[1].as_f64().unwrap());
    assert!(
        width >= 3.0 && contrast >= 3.0,
        "focus ring {width}px {contrast}:1"
    );

    // On a phone every navigation link is a 44 px target.
    b.phone(true).await;
    let small = js(
        &b,
        "return [...document.querySelectorAll('nav.main a, nav.main button')]
           .map(e => [e.textContent.trim(), e.getBoundingClientRect().height])
           .filter(([_, h]) => h < 44);",
    )
    .await;
    assert_eq!(small, Value::Array(vec![]), "{small}");
    b.finish().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_home_page_lists_recent_reports_near_the_citizen() {
    let Some(b) = browser_without_js().await else {
        return;
    };
    let app = TestApp::sqlite().await;
    let op = app
        .staff("bc.operator", tanggap_domain::Role::Operator, None)
        .await;
    let mut solo = complaint("Trotoar rusak di Jalan Slamet Riyadi");
    solo["region_code"] = Value::String("33.72".into());
    for r in [complaint("Saluran air tersumbat di Pandanaran"), solo] {
        let (tid, _) = app.submit(r).await;
        // A report is listed publicly once the desk has dispatched it.
        op.act(
            &format!("/api/v1/reports/{tid}/dispatch"),
            serde_json::json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}]}),
        )
        .await;
    }
    b.go(&app.url("/")).await;
    let all = b.text("#daftar-terbaru").await;
    assert!(
        all.contains("Pandanaran") && all.contains("Slamet Riyadi"),
        "{all}"
    );
    b.select("#wilayah", "33.74").await;
    b.submit("#terbaru button[type=submit]").await;
    let near = b.text("#daftar-terbaru").await;
    assert!(
        near.contains("Pandanaran") && !near.contains("Slamet Riyadi"),
        "{near}"
    );
    assert!(near.contains("Kota Semarang"), "the place by name: {near}");
    b.shoot("beranda-terbaru").await;
    b.finish().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_dashboard_fits_a_phone_without_script() {
    let Some(b) = browser_without_js().await else {
        return;
    };
    let app = TestApp::sqlite().await;
    let op = app
        .staff("bs.operator", tanggap_domain::Role::Operator, None)
        .await;
    for (title, agency) in [
        ("Saluran air tersumbat di Pandanaran", "dpu-bmck"),
        ("Antrean obat di RSUD sangat panjang", "dinkes"),
    ] {
        let (tid, _) = app.submit(complaint(title)).await;
        op.act(
            &format!("/api/v1/reports/{tid}/dispatch"),
            serde_json::json!({"agencies": [{"agency_id": agency, "role": "utama"}]}),
        )
        .await;
    }
    b.go(&app.url("/statistik")).await;
    let agencies = b.text("#per-instansi").await;
    assert!(
        agencies.contains("Dinas Pekerjaan Umum Bina Marga"),
        "{agencies}"
    );
    // `shoot` fails if the phone-width page scrolls sideways.
    b.shoot("statistik").await;
    b.finish().await;
    app.finish().await;
}
