//! The reporter's receipt cannot be lost: the confirmation shows the full link (to copy or to
//! save to one's own WhatsApp), the receipt goes to the contact they gave, and a lost link is
//! replaced by a new one sent to that contact, never to anyone who asks.

use crate::common::{TestApp, complaint};
use reqwest::StatusCode;
use serde_json::json;

macro_rules! on_both {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = crate::common::TestApp::sqlite_with(super::public).await;
                    super::$name(&app).await;
                    app.finish().await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = crate::common::TestApp::postgres_with(super::public).await;
                    super::$name(&app).await;
                    app.finish().await;
                }
            )+
        }
    };
}

on_both!(
    the_receipt_carries_the_full_link_to_the_contact_given,
    a_lost_link_is_replaced_only_through_the_contact_on_record,
);

const SITE: &str = "https://lapor.jatengprov.example";

fn public(c: &mut tanggap::config::Config) {
    c.public_url = Some(SITE.into());
}

async fn receipts(app: &TestApp, tid: &str) -> Vec<String> {
    app.texts(&format!(
        "SELECT n.channel || ' ' || COALESCE(n.address, '') || '\n' || COALESCE(n.body, '') FROM notifications n JOIN reports r ON r.id = n.report_id
          WHERE r.tracking_id = '{tid}' AND n.action = 'receipt' ORDER BY n.id"
    ))
    .await
}

async fn the_receipt_carries_the_full_link_to_the_contact_given(app: &TestApp) {
    let (tid, secret) = app.submit(complaint("Jalan amblas di Jl. Setiabudi")).await;
    let got = receipts(app, &tid).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].starts_with("email siti@example.id\n"), "{}", got[0]);
    assert!(
        got[0].contains(&format!("{SITE}/lacak/{tid}?kunci={secret}")),
        "{}",
        got[0]
    );
    // Only a phone: by SMS.
    let mut c = complaint("Lampu jalan mati di Tembalang");
    c["reporter"] = json!({"phone": "0813 1111 2222"});
    let (tid2, _) = app.submit(c).await;
    let got = receipts(app, &tid2).await;
    assert_eq!(got.len(), 1);
    assert!(got[0].starts_with("sms +6281311112222\n"), "{}", got[0]);
    // No contact: nothing to send (the page is the receipt).
    let mut c = complaint("Sampah menumpuk di pasar");
    c["reporter"] = json!({"name": "Warga"});
    let (tid3, _) = app.submit(c).await;
    assert!(receipts(app, &tid3).await.is_empty());
    // The outbox sends it like any message.
    app.deliver().await;
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM notifications WHERE action = 'receipt' AND status = 'sent'"
        )
        .await,
        2
    );

    // The confirmation page: the full link in a field, and a WhatsApp link to keep it.
    let html = app
        .anonymous()
        .get(&format!("/lacak/{tid}?kunci={secret}&baru=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("value=\"{SITE}/lacak/{tid}?kunci={secret}\"")),
        "{html}"
    );
    assert!(html.contains("href=\"https://wa.me/?text="), "{html}");
    assert!(html.contains("id=\"salin-tautan\"") && html.contains(" hidden>"));
}

async fn a_lost_link_is_replaced_only_through_the_contact_on_record(app: &TestApp) {
    let (tid, old) = app.submit(complaint("Pungli di kantor kelurahan")).await;
    let as_reporter = |key: String| {
        let tid = tid.clone();
        async move {
            app.anonymous()
                .get(&format!("/lacak/{tid}?kunci={key}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
                .contains(&format!("/lacak/{tid}/balas"))
        }
    };
    assert!(as_reporter(old.clone()).await);
    let lookup = app
        .anonymous()
        .get("/lacak")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(lookup.contains("action=\"/lacak/kirim-tautan\""));
    let ask = |nomor: &str| {
        let nomor = nomor.to_string();
        async move {
            let r = app
                .anonymous()
                .post("/lacak/kirim-tautan")
                .form(&[("nomor", nomor.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            r.text().await.unwrap()
        }
    };
    // Right after the receipt went out, a request sends nothing more (one link per 15 minutes).
    let page = ask(&tid).await;
    assert!(page.contains("id=\"tautan-dikirim\""), "{page}");
    assert_eq!(receipts(app, &tid).await.len(), 1);
    app.advance(chrono::TimeDelta::minutes(16));
    ask(&tid).await;
    let got = receipts(app, &tid).await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got[1].starts_with("email siti@example.id\n"),
        "to the contact on record"
    );
    let new = got[1]
        .split("kunci=")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect::<String>();
    assert_eq!(new.len(), 32);
    assert_ne!(new, old);
    assert!(as_reporter(new.clone()).await, "the new link works");
    assert!(!as_reporter(old).await, "the old one does not");

    // Asked again at once, or for a report that does not exist, or for garbage: the same
    // answer, and nothing sent.
    for nomor in [tid.as_str(), "LG-AAAAAAAAAA", "bukan nomor"] {
        let p = ask(nomor).await;
        assert!(p.contains("id=\"tautan-dikirim\""), "{nomor}");
    }
    assert_eq!(receipts(app, &tid).await.len(), 2);
    assert!(
        as_reporter(new.clone()).await,
        "a second request inside 15 minutes changes nothing"
    );
    // Later, it may be asked again.
    app.advance(chrono::TimeDelta::minutes(16));
    ask(&tid).await;
    assert_eq!(receipts(app, &tid).await.len(), 3);
    assert!(!as_reporter(new).await);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'report.link_resent'")
            .await,
        2
    );
    // A reporter who has been forgotten has no contact: nothing is sent, the answer is the same.
    let desk = app
        .staff("kwitansi.operator", tanggap_domain::Role::Operator, None)
        .await;
    let r = desk
        .post(&format!("/api/v1/reports/{tid}/reporter/forget"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    app.advance(chrono::TimeDelta::minutes(16));
    ask(&tid).await;
    assert_eq!(receipts(app, &tid).await.len(), 3);
}
