//! The SMTP sender against a minimal SMTP server on the loopback interface.

use chrono::Utc;
use std::sync::{Arc, Mutex};
use tanggap_domain::escalation::{NotifyChannel, RecipientKind};
use tanggap_jobs::{NotificationSender, SendError, SmtpSender};
use tanggap_store::{Notification, NotificationStatus};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Accepts connections until dropped; answers RCPT for `reject@...` with `code`, and records
/// each message's DATA.
async fn smtp_server(reject_code: &'static str) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let messages = Arc::new(Mutex::new(Vec::new()));
    let store = messages.clone();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                w.write_all(b"220 fake.smtp ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(d) = data.as_mut() {
                        if line == "." {
                            store.lock().unwrap().push(std::mem::take(d));
                            data = None;
                            w.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            d.push_str(&line);
                            d.push('\n');
                        }
                        continue;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply: String = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        "250 fake.smtp\r\n".into()
                    } else if upper.starts_with("RCPT") && upper.contains("REJECT@") {
                        format!("{reject_code} no such mailbox\r\n")
                    } else if upper.starts_with("DATA") {
                        data = Some(String::new());
                        "354 go on\r\n".into()
                    } else if upper.starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        "250 ok\r\n".into()
                    };
                    if w.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, messages)
}

fn email(key: &str, to: &str) -> Notification {
    Notification {
        id: 1,
        idempotency_key: key.into(),
        action: "notify_head".into(),
        report_id: Some(41),
        assignment_id: Some(57),
        agency_id: Some("dinkes".into()),
        recipient: RecipientKind::Head,
        user_id: None,
        channel: NotifyChannel::Email,
        address: Some(to.into()),
        subject: "Perhatian Kepala Dinas Kesehatan: laporan LG-ABC belum direspons".into(),
        body: "Laporan LG-ABC belum mendapat respons pertama.".into(),
        status: NotificationStatus::Sending,
        attempts: 1,
        next_attempt_at: Utc::now(),
        created_at: Utc::now(),
        sent_at: None,
        read_at: None,
        last_error: None,
        provider_message_id: None,
        delivery_status: None,
        delivery_at: None,
        logged_only: false,
    }
}

#[tokio::test]
async fn e_mail_carries_the_idempotency_key_as_its_message_id() {
    let (port, messages) = smtp_server("550").await;
    let sender = SmtpSender::new(
        &format!("smtp://127.0.0.1:{port}"),
        "Tanggap Jateng <tanggap@jatengprov.go.id>",
    )
    .unwrap();
    let key = "41:57:first_response:1764468000000000:75:head/email";
    sender
        .send(&email(key, "kepala@dinkes.jatengprov.go.id"), Utc::now())
        .await
        .unwrap();
    let got = messages.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert!(
        m.contains(
            "Message-ID: <41.57.first_response.1764468000000000.75.head-email@jatengprov.go.id>"
        ),
        "{m}"
    );
    assert!(m.contains("To: kepala@dinkes.jatengprov.go.id"), "{m}");
    assert!(
        m.contains("From: \"Tanggap Jateng\" <tanggap@jatengprov.go.id>")
            || m.contains("From: Tanggap Jateng <tanggap@jatengprov.go.id>"),
        "{m}"
    );

    // A mailbox the server refuses for good is a permanent failure; one it defers is transient.
    let err = sender
        .send(&email(key, "reject@dinkes.jatengprov.go.id"), Utc::now())
        .await;
    assert!(matches!(err, Err(SendError::Permanent(_))), "{err:?}");
    let (port, _) = smtp_server("451").await;
    let deferring = SmtpSender::new(
        &format!("smtp://127.0.0.1:{port}"),
        "tanggap@jatengprov.go.id",
    )
    .unwrap();
    let err = deferring
        .send(&email(key, "reject@dinkes.jatengprov.go.id"), Utc::now())
        .await;
    assert!(matches!(err, Err(SendError::Transient(_))), "{err:?}");
    let err = deferring
        .send(&email(key, "bukan alamat"), Utc::now())
        .await;
    assert!(matches!(err, Err(SendError::Permanent(_))), "{err:?}");
    // Nobody listening: try again later.
    let closed = SmtpSender::new("smtp://127.0.0.1:9", "tanggap@jatengprov.go.id").unwrap();
    let err = closed
        .send(&email(key, "kepala@dinkes.jatengprov.go.id"), Utc::now())
        .await;
    assert!(matches!(err, Err(SendError::Transient(_))), "{err:?}");
    assert!(SmtpSender::new("http://x", "tanggap@jatengprov.go.id").is_err());
    assert!(SmtpSender::new("smtp://127.0.0.1:25", "no address").is_err());
}
