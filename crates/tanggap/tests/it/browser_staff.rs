//! The desk's pages in headless Chromium, at phone and desktop width, with and without
//! JavaScript: the desk's worklist stacks on a phone, "Terverifikasi" answers at the top, a
//! refused form opens and takes the focus, the supporting agencies are a searchable checklist,
//! and the dispatch note stays internal.

use crate::browser::{Browser, browser, browser_without_js, user};
use crate::common::{TestApp, complaint};
use fantoccini::Locator;
use tanggap_domain::Role;

/// Whether the page is wider than the window (a phone would scroll sideways).
async fn scrolls_sideways(b: &Browser) -> bool {
    b.overflow_x().await > 0.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_verifies_and_dispatches_with_a_searchable_checklist() {
    let Some(b) = browser().await else { return };
    let app = TestApp::sqlite().await;
    let pw = user(&app, "bs.operator", Role::Operator, None).await;
    let (tid, _) = app
        .submit(complaint("Jembatan penghubung desa retak"))
        .await;
    let (other, _) = app.submit(complaint("Drainase pasar meluap")).await;
    b.login(&app, "bs.operator", &pw).await;

    // The worklist on a phone: each report is a block led by its title, nothing scrolls sideways.
    b.phone(true).await;
    b.go(&app.url("/meja")).await;
    assert!(
        !scrolls_sideways(&b).await,
        "the desk scrolls sideways on a phone"
    );
    let first_cell = b.text("#kotak-masuk tbody tr td").await;
    assert!(
        first_cell.contains("Jembatan penghubung desa retak")
            || first_cell.contains("Drainase pasar meluap"),
        "{first_cell}"
    );
    b.shoot("meja").await;

    // "Terverifikasi" without edits: the answer at the top, the badge next to the status.
    b.phone(false).await;
    b.go(&app.url(&format!("/kelola/{tid}"))).await;
    b.submit("#tombol-terverifikasi").await;
    assert!(
        b.page_text()
            .await
            .contains("Laporan ditandai terverifikasi.")
    );
    assert!(b.text("#terverifikasi").await.contains("Terverifikasi"));
    assert!(b.scroll_y().await < 1.0, "the answer is at the top");

    // The supporting agencies: typing narrows the checklist.
    b.fill("#cari-pendukung", "rsud").await;
    let shown = b
        .client
        .execute(
            "return [...document.querySelectorAll('#daftar-pendukung label')].filter(l => !l.hidden).map(l => l.textContent.trim());",
            vec![],
        )
        .await
        .unwrap();
    let shown: Vec<String> = serde_json::from_value(shown).unwrap();
    assert!(!shown.is_empty() && shown.len() < 10, "{shown:?}");
    assert!(
        shown.iter().all(|s| s.to_lowercase().contains("rsud")),
        "{shown:?}"
    );
    b.click("#daftar-pendukung label:not([hidden]) input").await;
    b.fill("#dnote", "Catatan khusus untuk instansi saja").await;
    b.shoot("kelola-disposisi").await;
    b.submit("#panel-disposisi button[type=submit]").await;
    assert!(b.page_text().await.contains("Laporan didisposisikan."));
    let assignments = b.text("#disposisi").await;
    assert!(assignments.contains("pendukung"), "{assignments}");
    assert!(
        b.text("#linimasa")
            .await
            .contains("Catatan khusus untuk instansi saja")
    );

    // The public tracking page: the dispatch by the desk, without the internal note.
    b.client.delete_all_cookies().await.unwrap();
    b.go(&app.url(&format!("/lacak/{tid}"))).await;
    let timeline = b.text("#linimasa").await;
    assert!(timeline.contains("Didisposisikan ke"), "{timeline}");
    assert!(!timeline.contains("Catatan khusus"), "{timeline}");
    assert!(timeline.contains("Admin Tanggap"), "{timeline}");
    b.shoot("lacak-setelah-disposisi").await;

    // The report page on a phone does not scroll sideways either.
    b.login(&app, "bs.operator", &pw).await;
    b.phone(true).await;
    b.go(&app.url(&format!("/kelola/{other}"))).await;
    assert!(
        !scrolls_sideways(&b).await,
        "the report page scrolls sideways on a phone"
    );
    b.shoot("kelola").await;
    b.finish().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_a_refused_form_opens_and_takes_the_focus() {
    let Some(b) = browser_without_js().await else {
        return;
    };
    let app = TestApp::postgres().await;
    let pw = user(&app, "bsn.operator", Role::Operator, None).await;
    let (tid, _) = app.submit(complaint("Pungutan liar di sekolah")).await;
    b.login(&app, "bsn.operator", &pw).await;
    b.go(&app.url(&format!("/kelola/{tid}"))).await;
    // No script: the filter box stays hidden, the checklist is all there.
    let filter = b
        .client
        .find(Locator::Css("#cari-pendukung"))
        .await
        .unwrap();
    assert!(!filter.is_displayed().await.unwrap());
    // Saving the verification form without edits: refused, the reason at the top, the form open
    // with its first field focused (the browser scrolled there).
    b.submit("#tombol-simpan-verifikasi").await;
    assert!(!b.text("#penolakan").await.trim().is_empty());
    let focused = b
        .client
        .active_element()
        .await
        .unwrap()
        .attr("id")
        .await
        .unwrap();
    assert_eq!(focused.as_deref(), Some("v-title"));
    assert!(
        b.scroll_y().await > 100.0,
        "scrolled to the form that failed"
    );
    b.shoot("kelola-ditolak").await;
    // Then "Terverifikasi" works without script too.
    b.submit("#tombol-terverifikasi").await;
    assert!(
        b.page_text()
            .await
            .contains("Laporan ditandai terverifikasi.")
    );
    b.finish().await;
    app.finish().await;
}
