//! The web UI in a real headless Chromium, driven over WebDriver: a citizen submits a report
//! with a photo, the desk dispatches it, the agency posts progress up to `tuntas`, the citizen
//! reads the timeline and rates it; another agency's officer is refused; a script typed into a
//! report is shown as text everywhere. Screenshots of the main pages at phone and desktop widths
//! are saved under `ci-output/screenshots/`.
//!
//! Needs `chromedriver` and `chromium` (Debian packages `chromium-driver`, `chromium`). Without
//! them the test says so and passes, unless `TANGGAP_REQUIRE_BROWSER=1` (set by `.ci/run`).

use crate::common::TestApp;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tanggap_domain::Role;

pub(crate) struct Browser {
    pub(crate) client: Client,
    driver: Child,
    shots: PathBuf,
    profile: PathBuf,
    /// Page scripts run (false: Chromium blocks JavaScript, as on a phone with it turned off).
    pub(crate) js: bool,
    /// One browser at a time on the machine: held until the session ends.
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

/// Browser tests take turns: several Chromiums at once on a two-core machine only make each
/// one slow enough to time out.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl Browser {
    /// End the WebDriver session (Chromium quits) and stop the driver.
    pub(crate) async fn finish(self) {
        let _ = self.client.clone().close().await;
        // Drop kills whatever is left.
    }
}

impl Drop for Browser {
    /// chromedriver runs in a process group of its own, with the Chromium processes it started:
    /// killing the group leaves nothing behind, even when a test failed half-way.
    ///
    /// The group is named after `--`: procps-ng's `kill -KILL -12345` reads `-1` as the pid and
    /// signals every process on the machine (that was the "machine kill" of earlier CI runs).
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn find_binary(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|n| {
        std::env::split_paths(&path)
            .map(|d| d.join(n))
            .find(|p| p.is_file())
    })
}

/// A Chromium session with JavaScript on.
pub(crate) async fn browser() -> Option<Browser> {
    start(true).await
}

/// A Chromium session with JavaScript blocked: what a citizen without script sees.
pub(crate) async fn browser_without_js() -> Option<Browser> {
    start(false).await
}

async fn start(js: bool) -> Option<Browser> {
    let required = std::env::var("TANGGAP_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let (Some(driver_bin), Some(chrome)) = (
        find_binary(&["chromedriver"]),
        find_binary(&["chromium", "chromium-browser", "google-chrome"]),
    ) else {
        assert!(
            !required,
            "TANGGAP_REQUIRE_BROWSER=1 but chromedriver/chromium are not installed (apt-get install chromium chromium-driver)"
        );
        eprintln!(
            "SKIPPED browser tests: chromedriver or chromium not installed (apt-get install chromium chromium-driver)"
        );
        return None;
    };
    let turn = TURN.lock().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let driver = {
        use std::os::unix::process::CommandExt;
        Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start chromedriver")
    };
    let profile = std::env::temp_dir().join(format!("tanggap-chrome-{port}"));
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chrome,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                     "--window-size=1366,900", format!("--user-data-dir={}", profile.display())],
            "prefs": { "profile.managed_default_content_settings.javascript": if js { 1 } else { 2 } }
        }
    });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    let mut last = None;
    for _ in 0..50 {
        let mut b = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        b.capabilities(caps.clone());
        match b.connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(client) => {
                let shots =
                    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ci-output/screenshots");
                std::fs::create_dir_all(&shots).unwrap();
                return Some(Browser {
                    client,
                    driver,
                    shots,
                    profile,
                    js,
                    _turn: turn,
                });
            }
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("cannot start a Chromium session: {last:?}");
}

impl Browser {
    pub(crate) async fn go(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub(crate) async fn text(&self, css: &str) -> String {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .unwrap()
    }

    /// An input's current value.
    pub(crate) async fn value(&self, css: &str) -> String {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default()
    }

    pub(crate) async fn page_text(&self) -> String {
        self.text("body").await
    }

    pub(crate) async fn fill(&self, css: &str, value: &str) {
        let el = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        el.clear().await.unwrap();
        el.send_keys(value).await.unwrap();
    }

    pub(crate) async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Click a submit button and wait until the next page has loaded (works with JavaScript
    /// blocked: the old page's root element goes stale).
    pub(crate) async fn submit(&self, css: &str) {
        let old = self.client.find(Locator::Css("html")).await.unwrap();
        self.click(css).await;
        for _ in 0..100 {
            if old.tag_name().await.is_err() {
                // The new document may still be loading.
                self.client
                    .wait()
                    .at_most(Duration::from_secs(10))
                    .for_element(Locator::Css("body"))
                    .await
                    .unwrap();
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no new page after clicking {css}");
    }

    /// The page's vertical scroll position (0 at the top).
    pub(crate) async fn scroll_y(&self) -> f64 {
        self.client
            .execute("return window.scrollY;", vec![])
            .await
            .unwrap()
            .as_f64()
            .unwrap_or(0.0)
    }

    /// Set the window to a phone (390×844) or desktop (1366×900) size.
    pub(crate) async fn phone(&self, phone: bool) {
        let (w, h) = if phone { (390, 844) } else { (1366, 900) };
        self.client.set_window_size(w, h).await.unwrap();
    }

    pub(crate) async fn select(&self, css: &str, value: &str) {
        let el = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap();
        // Options arrive by script after the parent is chosen: wait for this one.
        let opt = format!("{css} option[value='{value}']");
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(&opt))
            .await
            .unwrap_or_else(|e| panic!("{opt}: {e}"));
        el.select_by_value(value).await.unwrap();
    }

    /// How many pixels the page is wider than the window (0 or less: nothing scrolls sideways).
    pub(crate) async fn overflow_x(&self) -> f64 {
        self.client
            .execute(
                "return document.documentElement.scrollWidth - window.innerWidth;",
                vec![],
            )
            .await
            .unwrap()
            .as_f64()
            .unwrap_or(0.0)
    }

    /// Screenshots of the current page at phone and desktop width (`NAME-phone.png`,
    /// `NAME-desktop.png`; `NAME-nojs-…` from a browser without JavaScript). At phone width the
    /// page must not scroll sideways.
    pub(crate) async fn shoot(&self, name: &str) {
        let js = if self.js { "" } else { "-nojs" };
        for (label, w, h) in [("phone", 390, 844), ("desktop", 1366, 900)] {
            self.client.set_window_size(w, h).await.unwrap();
            if label == "phone" {
                let wide = self.overflow_x().await;
                assert!(
                    wide <= 0.0,
                    "{name}{js} scrolls sideways on a phone by {wide} px"
                );
            }
            let png = self.client.screenshot().await.unwrap();
            assert!(png.starts_with(b"\x89PNG"), "screenshot of {name}");
            std::fs::write(self.shots.join(format!("{name}{js}-{label}.png")), png).unwrap();
        }
        self.client.set_window_size(1366, 900).await.unwrap();
    }

    pub(crate) async fn login(&self, app: &TestApp, username: &str, password: &str) {
        self.client.delete_all_cookies().await.unwrap();
        self.go(&app.url("/masuk")).await;
        self.fill("#username", username).await;
        self.fill("#password", password).await;
        self.submit("form[action='/masuk'] button[type=submit]")
            .await;
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("form[action='/keluar']"))
            .await
            .unwrap();
    }

    /// No script injected through report text has run on this page.
    pub(crate) async fn assert_no_script_ran(&self, page: &str) {
        let v = self
            .client
            .execute(
                "return typeof window.__xss === 'undefined' ? null : window.__xss;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(v, Value::Null, "a script from a report ran on {page}");
    }
}

pub(crate) async fn user(
    app: &TestApp,
    username: &str,
    role: Role,
    agency: Option<&str>,
) -> String {
    app.staff(username, role, agency).await;
    format!("{username}-kata-sandi")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn citizen_desk_agency_and_back_in_a_real_browser() {
    let Some(b) = browser().await else { return };
    let app = TestApp::sqlite().await;
    let operator_pw = user(&app, "b.operator", Role::Operator, None).await;
    let dpu_pw = user(&app, "b.dpu", Role::Petugas, Some("dpu-bmck")).await;
    let dinkes_pw = user(&app, "b.dinkes", Role::Petugas, Some("dinkes")).await;
    let pimpinan_pw = user(&app, "b.sekda", Role::Pimpinan, None).await;
    let admin_pw = user(&app, "b.admin", Role::Admin, None).await;

    // Home and the form, in both languages.
    b.go(&app.url("/")).await;
    assert!(b.page_text().await.contains("1×24 jam"));
    b.shoot("beranda").await;
    b.go(&app.url("/bahasa/en?lanjut=/lapor")).await;
    assert!(b.text("h1").await.contains("Submit a report"));
    b.go(&app.url("/bahasa/id?lanjut=/lapor")).await;
    assert!(b.text("h1").await.contains("Sampaikan laporan"));

    // A citizen submits a report with a photo, choosing the place through the region pickers.
    b.fill("#title", "Jalan provinsi berlubang di Jl. Pemuda")
        .await;
    b.fill(
        "#body",
        "Lubang sedalam 20 cm di depan kantor kelurahan Miroto, sudah dua motor jatuh minggu ini.",
    )
    .await;
    b.select("#kabkota", "33.74").await;
    b.select("#kecamatan", "33.74.01").await;
    b.select("#desa", "33.74.01.1001").await;
    b.fill("#address", "Depan kantor kelurahan").await;
    b.select("#category", "jalan-jembatan").await;
    let photo = app.dir.path().join("lubang.jpg");
    std::fs::write(&photo, crate::common::jpeg_with_exif()).unwrap();
    b.client
        .find(Locator::Id("foto"))
        .await
        .unwrap()
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    b.fill("#reporter_name", "Siti Aminah").await;
    b.fill("#reporter_phone", "0812 3456 7890").await;
    b.shoot("lapor").await;
    b.submit("button[name=aksi][value=kirim]").await;
    let tid = b.text("#nomor-laporan").await;
    assert!(tid.starts_with("LG-"), "{tid}");
    // The receipt: the full link, to copy (the button appears with JavaScript) or to save to
    // one's own WhatsApp.
    let secret_link = b.value("#tautan-rahasia").await;
    assert!(secret_link.starts_with("http://"), "{secret_link}");
    let copy = b.client.find(Locator::Css("#salin-tautan")).await.unwrap();
    assert!(
        copy.is_displayed().await.unwrap(),
        "the copy button shows with JavaScript"
    );
    let share = b
        .client
        .find(Locator::Css("#bagikan-wa"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        share.starts_with("https://wa.me/?text=") && share.contains(&tid),
        "{share}"
    );
    let secret_path = secret_link[secret_link.find("/lacak/").unwrap()..].to_string();
    b.shoot("terkirim").await;
    let stored = app
        .store
        .report_by_tracking_id(&tanggap_domain::TrackingId::parse(&tid).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.region_code.as_deref(), Some("33.74.01.1001"));
    assert_eq!(
        app.store.attachments(stored.id).await.unwrap().len(),
        1,
        "the photo arrived"
    );

    // The desk dispatches it to the suggested agency (the category's default).
    b.login(&app, "b.operator", &operator_pw).await;
    b.go(&app.url("/meja")).await;
    assert!(b.text("#kotak-masuk").await.contains(&tid));
    b.shoot("meja").await;
    b.click(&format!("#kotak-masuk a[href='/kelola/{tid}']"))
        .await;
    assert!(
        b.text("#panel-disposisi")
            .await
            .contains("Dinas Pekerjaan Umum"),
        "the category's default agency is suggested"
    );
    b.shoot("kelola-operator").await;
    b.submit("#panel-disposisi button[type=submit]").await;
    assert!(b.text("#status").await.contains("Didisposisikan"));

    // The agency officer sees it in the queue and works it to tuntas.
    b.login(&app, "b.dpu", &dpu_pw).await;
    b.go(&app.url("/instansi")).await;
    let queue = b.text("#antrean").await;
    assert!(queue.contains(&tid) && queue.contains("sisa"), "{queue}");
    b.shoot("antrean-instansi").await;
    b.click(&format!("#antrean a[href='/kelola/{tid}']")).await;
    for (stage, note) in [
        ("verifikasi", "Laporan diterima, kami verifikasi."),
        ("cek_lapangan", "Tim sudah cek lokasi."),
        ("pengerjaan", "Penambalan dimulai."),
        ("tuntas", "Lubang sudah ditambal."),
    ] {
        let form = "[id^='tindak-lanjut-'] form";
        b.select(&format!("{form} select[name=stage]"), stage).await;
        b.fill(&format!("{form} textarea[name=note]"), note).await;
        if stage == "cek_lapangan" {
            b.client
                .find(Locator::Css(&format!("{form} input[type=file]")))
                .await
                .unwrap()
                .send_keys(photo.to_str().unwrap())
                .await
                .unwrap();
        }
        b.submit(&format!("{form} button[type=submit]")).await;
        assert!(b.text("#linimasa").await.contains(note), "{stage}");
        if stage == "cek_lapangan" {
            b.shoot("kelola-instansi").await;
        }
    }
    assert!(b.text("#status").await.contains("Selesai"));

    // Another agency's officer is refused.
    b.login(&app, "b.dinkes", &dinkes_pw).await;
    b.go(&app.url(&format!("/kelola/{tid}"))).await;
    let refused = b.page_text().await;
    assert!(
        refused.contains("403") && refused.contains("bukan"),
        "{refused}"
    );

    // The citizen reads the timeline and rates it.
    b.client.delete_all_cookies().await.unwrap();
    b.go(&app.url(&secret_path)).await;
    let timeline = b.text("#linimasa").await;
    for want in [
        "Verifikasi",
        "Cek lapangan",
        "Pengerjaan",
        "Lubang sudah ditambal.",
    ] {
        assert!(timeline.contains(want), "timeline lacks {want}: {timeline}");
    }
    assert!(
        b.client.find(Locator::Css("#linimasa img")).await.is_ok(),
        "the agency's photo shows"
    );
    b.shoot("lacak").await;
    b.click("#penilaian input[name=outcome][value=fixed]").await;
    b.click("#penilaian input[name=score][value='5']").await;
    b.fill("#comment", "Terima kasih, cepat sekali.").await;
    b.submit("#penilaian form[action$='/nilai'] button[type=submit]")
        .await;
    assert!(
        b.page_text()
            .await
            .contains("Terima kasih atas penilaian Anda")
    );
    let r = app.store.report(stored.id).await.unwrap().unwrap();
    assert_eq!(r.rating, Some(5));

    // Leadership and admin pages render for their roles.
    b.login(&app, "b.sekda", &pimpinan_pw).await;
    b.go(&app.url("/pimpinan")).await;
    assert!(
        b.text("#per-instansi")
            .await
            .contains("Dinas Pekerjaan Umum")
    );
    b.shoot("pimpinan").await;
    b.login(&app, "b.admin", &admin_pw).await;
    b.go(&app.url("/admin")).await;
    assert!(b.page_text().await.contains("b.operator"));
    b.shoot("admin").await;
    app.finish().await;
    b.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn script_typed_into_a_report_stays_text() {
    let Some(b) = browser().await else { return };
    let app = TestApp::sqlite().await;
    let operator_pw = user(&app, "x.operator", Role::Operator, None).await;
    let dpu_pw = user(&app, "x.dpu", Role::Petugas, Some("dpu-bmck")).await;
    let pimpinan_pw = user(&app, "x.sekda", Role::Pimpinan, None).await;
    let title = "Jalan rusak <script>window.__xss=1</script>";
    let body = "Tolong <img src=x onerror=\"window.__xss=2\"> diperbaiki </textarea><script>window.__xss=3</script>";
    b.go(&app.url("/lapor")).await;
    b.fill("#title", title).await;
    b.fill("#body", body).await;
    b.select("#kabkota", "33.74").await;
    b.submit("button[name=aksi][value=kirim]").await;
    let tid = b.text("#nomor-laporan").await;
    b.assert_no_script_ran("the confirmation page").await;
    assert!(
        b.page_text()
            .await
            .contains("<script>window.__xss=1</script>"),
        "shown as text"
    );

    b.login(&app, "x.operator", &operator_pw).await;
    for page in ["/meja".to_string(), format!("/kelola/{tid}")] {
        b.go(&app.url(&page)).await;
        b.assert_no_script_ran(&page).await;
        assert!(
            b.page_text()
                .await
                .contains("<script>window.__xss=1</script>"),
            "{page} shows the text"
        );
    }
    // The verify form's textarea keeps the text as text too.
    let v = b
        .client
        .find(Locator::Id("v-body"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v, body);
    b.select("#panel-disposisi #utama-lain", "dpu-bmck").await;
    b.submit("#panel-disposisi button[type=submit]").await;
    b.login(&app, "x.dpu", &dpu_pw).await;
    for page in ["/instansi".to_string(), format!("/kelola/{tid}")] {
        b.go(&app.url(&page)).await;
        b.assert_no_script_ran(&page).await;
        assert!(b.page_text().await.contains("window.__xss=1"), "{page}");
    }
    b.login(&app, "x.sekda", &pimpinan_pw).await;
    b.go(&app.url(&format!("/kelola/{tid}"))).await;
    b.assert_no_script_ran("the leadership view").await;
    b.client.delete_all_cookies().await.unwrap();
    b.go(&app.url(&format!("/lacak/{tid}"))).await;
    b.assert_no_script_ran("the public tracking page").await;
    assert!(b.page_text().await.contains("<img src=x onerror="));
    app.finish().await;
    b.finish().await;
}

/// The desk verifies a report whose text is as long as submission allows (10,000 characters,
/// more than a note may have): the page sends the stored text back, and it is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_verifies_a_report_of_ten_thousand_characters() {
    let Some(b) = browser().await else { return };
    let app = TestApp::sqlite().await;
    let operator_pw = user(&app, "l.operator", Role::Operator, None).await;
    let opening = "Saluran irigasi di Desa Miroto jebol dan sawah warga terendam. ";
    let body: String = opening
        .chars()
        .cycle()
        .take(tanggap_domain::workflow::MAX_BODY_CHARS)
        .collect();
    let mut report = crate::common::complaint("Saluran irigasi jebol");
    report["body"] = json!(body);
    let (tid, _) = app.submit(report).await;

    b.login(&app, "l.operator", &operator_pw).await;
    b.go(&app.url(&format!("/kelola/{tid}"))).await;
    // Open the verification panel and change the category only; the 10,000 characters go back
    // as they are.
    b.client
        .execute(
            "for (const d of document.querySelectorAll('details')) d.open = true;",
            vec![],
        )
        .await
        .unwrap();
    b.select("#v-category", "sumber-daya-air").await;
    b.submit("#tombol-simpan-verifikasi").await;
    let flash = b.page_text().await;
    assert!(
        flash.contains("Perubahan disimpan."),
        "{}",
        &flash[..flash.len().min(400)]
    );
    let stored = app
        .store
        .report_by_tracking_id(&tanggap_domain::TrackingId::parse(&tid).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.category.as_deref(), Some("sumber-daya-air"));
    assert_eq!(
        stored.body.chars().count(),
        tanggap_domain::workflow::MAX_BODY_CHARS
    );
    app.finish().await;
    b.finish().await;
}

/// The desk reviews a citizen's photo on the report page, without JavaScript: it blacks out the
/// top left quarter and publishes that copy. The public then sees the copy, never the original.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_publishes_a_redacted_photo() {
    use image::GenericImageView;
    let Some(b) = browser().await else { return };
    let app = TestApp::sqlite().await;
    let operator_pw = user(&app, "f.operator", Role::Operator, None).await;
    let (tid, secret) = crate::content_safety::submit_with_photo(
        &app,
        crate::common::complaint("Jalan amblas di depan rumah warga"),
    )
    .await;
    let operator = app.staff("f.operator", Role::Operator, None).await;
    operator
        .act(
            &format!("/api/v1/reports/{tid}/dispatch"),
            json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}]}),
        )
        .await;
    let key = operator.report(&tid).await["attachments"][0]["key"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/attachments/{key}");
    let public = app.anonymous();
    let status = public.get(&path).send().await.unwrap().status();
    assert_eq!(status.as_u16(), 404, "not public before the review");

    b.login(&app, "f.operator", &operator_pw).await;
    b.go(&app.url(&format!("/kelola/{tid}"))).await;
    let form = format!("#tinjau-{key}");
    assert!(
        b.text(&format!("{form} [data-review]"))
            .await
            .contains("belum ditinjau")
    );
    b.click(&format!("{form} input[name=decision][value=redact]"))
        .await;
    for (field, value) in [
        ("area_x", "0"),
        ("area_y", "0"),
        ("area_w", "50"),
        ("area_h", "50"),
    ] {
        b.fill(&format!("{form} input[name={field}]"), value).await;
    }
    b.shoot("tinjau-foto").await;
    b.submit(&format!("{form} button[type=submit]")).await;
    assert!(b.page_text().await.contains("Tinjauan foto disimpan."));
    assert!(
        b.text(&format!("{form} [data-review]"))
            .await
            .contains("area ditutup")
    );

    // The public tracking page shows the copy; its top left quarter is black.
    b.client.delete_all_cookies().await.unwrap();
    b.go(&app.url(&format!("/lacak/{tid}"))).await;
    assert!(
        b.client
            .find(Locator::Css(&format!("img[src*='{key}']")))
            .await
            .is_ok(),
        "the photo shows on the public page"
    );
    let copy = public
        .get(&path)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let original = app
        .reporter(&secret)
        .get(&path)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_ne!(copy, original);
    let picture = image::load_from_memory(&copy).unwrap();
    assert!(picture.get_pixel(10, 10).0[..3].iter().all(|c| *c < 30));
    assert!(picture.get_pixel(70, 50).0[0] > 180);
    app.finish().await;
    b.finish().await;
}
