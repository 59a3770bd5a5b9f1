//! The accessibility check: axe-core (fetched pinned by `scripts/fetch-axe.sh`, path in
//! `TANGGAP_AXE_JS`) runs inside each main page, as a citizen and as every staff role, at
//! phone and desktop width, against the WCAG 2.1 A and AA rules. A serious or critical
//! violation fails the test; every finding is written to `ci-output/axe.txt`.

use crate::browser::{Browser, browser, user};
use crate::common::{TestApp, complaint};
use serde_json::json;
use std::fmt::Write as _;
use tanggap_domain::Role;

/// axe-core's source, or `None` (skip) when it was not fetched and no browser run is required.
fn axe_source() -> Option<String> {
    match std::env::var("TANGGAP_AXE_JS") {
        Ok(path) => Some(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))),
        Err(_) => {
            assert!(
                !std::env::var("TANGGAP_REQUIRE_BROWSER").is_ok_and(|v| v == "1"),
                "TANGGAP_REQUIRE_BROWSER=1 but TANGGAP_AXE_JS is not set (run scripts/test.sh, which fetches axe-core)"
            );
            eprintln!("SKIPPED accessibility check: TANGGAP_AXE_JS not set (scripts/fetch-axe.sh)");
            None
        }
    }
}

/// Run axe in the current page; the violations as `(impact, rule, targets)`.
async fn axe(b: &Browser, source: &str) -> Vec<(String, String, String)> {
    b.client
        .execute(&format!("{source}\n;return true;"), vec![])
        .await
        .expect("load axe-core");
    let out = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
               .then(r => done(r.violations.map(v => [v.impact || 'none', v.id,
                   v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')])))
               .catch(e => done([['error', String(e), '']]));",
            vec![],
        )
        .await
        .expect("run axe-core");
    serde_json::from_value::<Vec<(String, String, String)>>(out).unwrap()
}

/// What axe found, page by page.
#[derive(Default)]
struct Found {
    report: String,
    serious: Vec<String>,
}

impl Found {
    fn record(
        &mut self,
        who: &str,
        path: &str,
        width: &str,
        violations: Vec<(String, String, String)>,
    ) {
        for (impact, rule, targets) in violations {
            let line = format!("{who} {path} ({width}): {impact} {rule} at {targets}");
            writeln!(self.report, "{line}").unwrap();
            if matches!(impact.as_str(), "serious" | "critical" | "error") {
                self.serious.push(line);
            }
        }
    }

    /// Check a page at phone and at desktop width.
    async fn check(&mut self, b: &Browser, app: &TestApp, source: &str, who: &str, path: &str) {
        for (phone, width) in [(true, "phone"), (false, "desktop")] {
            b.phone(phone).await;
            b.go(&app.url(path)).await;
            let found = axe(b, source).await;
            self.record(who, path, width, found);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_pages_have_no_serious_accessibility_violations() {
    let Some(source) = axe_source() else { return };
    let Some(b) = browser().await else { return };
    let app = TestApp::sqlite().await;
    let op_pw = user(&app, "ax.operator", Role::Operator, None).await;
    let officer_pw = user(&app, "ax.petugas", Role::Petugas, Some("dpu-bmck")).await;
    let head_pw = user(&app, "ax.kepala", Role::Kepala, Some("dpu-bmck")).await;
    let lead_pw = user(&app, "ax.pimpinan", Role::Pimpinan, None).await;
    let op = app.staff("ax.desk", Role::Operator, None).await;
    let (tid, secret) = app
        .submit(complaint("Jalan berlubang di depan SD Miroto"))
        .await;
    op.act(
        &format!("/api/v1/reports/{tid}/dispatch"),
        json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}]}),
    )
    .await;
    let (waiting, _) = app.submit(complaint("Pungutan di sekolah dasar")).await;

    let citizen = [
        "/".to_string(),
        "/lapor".into(),
        "/lacak".into(),
        "/lacak?nomor=LG-TIDAKADA".into(),
        format!("/lacak/{tid}?kunci={secret}"),
        format!("/lacak/{tid}"),
        "/masuk".into(),
        "/tidak-ada".into(),
    ];
    let staff: [(&str, &str, Vec<String>); 4] = [
        (
            "ax.operator",
            op_pw.as_str(),
            vec![
                "/meja".into(),
                "/meja/baru".into(),
                format!("/kelola/{waiting}"),
                format!("/kelola/{tid}"),
                "/notifikasi".into(),
            ],
        ),
        (
            "ax.petugas",
            officer_pw.as_str(),
            vec!["/instansi".into(), format!("/kelola/{tid}")],
        ),
        (
            "ax.kepala",
            head_pw.as_str(),
            vec!["/instansi/dasbor".into()],
        ),
        (
            "ax.pimpinan",
            lead_pw.as_str(),
            vec!["/pimpinan".into(), "/pimpinan/instansi/dpu-bmck".into()],
        ),
    ];
    let mut found = Found::default();
    for path in &citizen {
        found.check(&b, &app, &source, "warga", path).await;
    }
    // A form with its errors shown is a page of its own.
    b.go(&app.url("/lapor")).await;
    b.submit("form[action='/lapor'] button[value=kirim]").await;
    found.record(
        "warga",
        "/lapor (kesalahan)",
        "desktop",
        axe(&b, &source).await,
    );
    for (username, pw, paths) in &staff {
        b.login(&app, username, pw).await;
        for path in paths {
            found.check(&b, &app, &source, username, path).await;
        }
    }
    let Found { report, serious } = found;
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ci-output");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("axe.txt"),
        if report.is_empty() {
            "no violations\n".to_string()
        } else {
            report
        },
    )
    .unwrap();
    assert!(
        serious.is_empty(),
        "serious accessibility violations:\n{}",
        serious.join("\n")
    );
    b.finish().await;
    app.finish().await;
}
