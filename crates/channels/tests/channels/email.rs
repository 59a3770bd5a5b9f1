//! Inbound e-mail as the provider's webhook posts it (the JSON documented on `inbound::email`).

use serde_json::{Value, json};
use tanggap_channels::inbound::{MAX_MEDIA, MediaRef, email, strip_quoted};
use tanggap_domain::Channel;

use crate::support::{assert_malformed, at, only};

fn mail(extra: Value) -> Vec<u8> {
    let mut body = json!({
        "message_id": "<CAKx1y2z3+abc@mail.gmail.com>",
        "from": "Budi Santoso <Budi.Santoso@Example.co.id>",
        "to": "lapor@tanggap.bogorkota.go.id",
        "subject": "Re: [TGP-7Q2K] Laporan jalan rusak",
        "text": "Sudah diperbaiki sebagian.\r\n\r\nOn Mon, 11 Sep 2023 at 10:14, Tanggap <lapor@tanggap.bogorkota.go.id> wrote:\r\n> Laporan Anda TGP-7Q2K sedang ditangani.\r\n",
        "in_reply_to": "<tgp-7q2k.1@tanggap.bogorkota.go.id>",
        "date": "Mon, 11 Sep 2023 17:20:00 +0700"
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    serde_json::to_vec(&body).unwrap()
}

#[test]
fn a_reply_with_its_thread_and_without_the_quote() {
    let inbound = email(&mail(json!({}))).unwrap();
    let msg = only(&inbound);
    assert_eq!(msg.channel, Channel::Email);
    assert_eq!(msg.provider_id, "<CAKx1y2z3+abc@mail.gmail.com>");
    assert_eq!(msg.from, "budi.santoso@example.co.id");
    assert_eq!(msg.display_name.as_deref(), Some("Budi Santoso"));
    assert_eq!(msg.text.as_deref(), Some("Sudah diperbaiki sebagian."));
    assert_eq!(
        msg.subject.as_deref(),
        Some("Re: [TGP-7Q2K] Laporan jalan rusak")
    );
    assert_eq!(
        msg.in_reply_to.as_deref(),
        Some("<tgp-7q2k.1@tanggap.bogorkota.go.id>")
    );
    assert_eq!(msg.sent_at, Some(at(1_694_427_600)));
}

#[test]
fn sender_forms() {
    for (from, address, name) in [
        ("warga@example.org", "warga@example.org", None),
        ("  WARGA@Example.ORG ", "warga@example.org", None),
        ("<warga@example.org>", "warga@example.org", None),
        (
            "\"Santoso, Budi\" <budi@example.org>",
            "budi@example.org",
            Some("Santoso, Budi"),
        ),
        ("Siti <siti@example.org>", "siti@example.org", Some("Siti")),
    ] {
        let msg = only(&email(&mail(json!({"from": from}))).unwrap()).clone();
        assert_eq!(msg.from, address, "{from}");
        assert_eq!(msg.display_name.as_deref(), name, "{from}");
    }
    for bad in [
        "Budi Santoso",
        "budi",
        "<>",
        "Budi <budi>",
        "@example.org",
        "budi@",
        "bu di@example.org",
    ] {
        assert_malformed(email(&mail(json!({"from": bad}))));
    }
    let long = format!("{}@example.org", "a".repeat(250));
    assert_malformed(email(&mail(json!({"from": long}))));
}

#[test]
fn attachments_are_decoded_inline_and_capped() {
    let attachments: Vec<Value> = (0..MAX_MEDIA + 2)
        .map(|i| {
            json!({"filename": format!("foto{i}.jpg"), "content_type": "image/jpeg",
                   "content_base64": "/9j/4AAQSkZJRg=="})
        })
        .collect();
    let msg = only(&email(&mail(json!({"attachments": attachments}))).unwrap()).clone();
    assert_eq!(msg.media.len(), MAX_MEDIA);
    assert_eq!(
        msg.media[0],
        MediaRef::Inline {
            bytes: vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46],
            mime: Some("image/jpeg".into()),
            filename: Some("foto0.jpg".into())
        }
    );
    // Base64 wrapped over lines, as MIME writes it.
    let wrapped = json!({"attachments": [{"filename": "a.txt", "content_type": "text/plain",
                                          "content_base64": "aGFsbyBk\r\ndW5pYQ=="}]});
    let msg = only(&email(&mail(wrapped)).unwrap()).clone();
    assert!(matches!(&msg.media[0], MediaRef::Inline { bytes, .. } if bytes == b"halo dunia"));
}

#[test]
fn an_undecodable_attachment_is_malformed() {
    assert_malformed(email(&mail(json!({"attachments": [
        {"filename": "x", "content_type": "image/png", "content_base64": "not*base64!"}
    ]}))));
    assert_malformed(email(&mail(json!({"attachments": [
        {"filename": "x", "content_type": "image/png"}
    ]}))));
}

#[test]
fn inline_media_survive_a_json_round_trip_as_base64() {
    let msg = only(&email(&mail(json!({"attachments": [
        {"filename": "a.bin", "content_type": "application/octet-stream", "content_base64": "AAEC/w=="}
    ]}))).unwrap())
    .clone();
    let stored = serde_json::to_value(&msg.media[0]).unwrap();
    assert_eq!(
        stored,
        json!({"kind": "inline", "bytes": "AAEC/w==", "mime": "application/octet-stream", "filename": "a.bin"})
    );
    let back: MediaRef = serde_json::from_value(stored).unwrap();
    assert_eq!(back, msg.media[0]);
    assert!(
        serde_json::from_value::<MediaRef>(
            json!({"kind": "inline", "bytes": "%%%", "mime": null, "filename": null})
        )
        .is_err()
    );
}

#[test]
fn required_fields_and_dates() {
    assert_malformed(email(br#"{"from":"a@b.c","text":"x"}"#));
    assert_malformed(email(br#"{"message_id":"<1@b.c>","text":"x"}"#));
    assert_malformed(email(
        br#"{"message_id":"<1@b.c>","from":"a@b.c","text":7}"#,
    ));
    assert_malformed(email(b"<html>"));
    let minimal = email(br#"{"message_id":"<1@b.c>","from":"a@b.c"}"#).unwrap();
    let msg = only(&minimal);
    assert_eq!((msg.text.as_deref(), msg.subject.as_deref()), (None, None));
    let rfc3339 = email(&mail(json!({"date": "2023-09-11T10:20:00Z"}))).unwrap();
    assert_eq!(only(&rfc3339).sent_at, Some(at(1_694_427_600)));
    let nonsense = email(&mail(json!({"date": "kemarin sore"}))).unwrap();
    assert_eq!(only(&nonsense).sent_at, None);
}

#[test]
fn strip_quoted_cuts_at_every_documented_marker() {
    let cases = [
        (
            "Baik, terima kasih.\n\n> Laporan Anda diterima.\n> Salam",
            "Baik, terima kasih.",
        ),
        (
            "Sudah beres.\r\n\r\nOn Mon, Sep 11, 2023 at 10:14 AM Tanggap <lapor@x.go.id> wrote:\r\n> lama",
            "Sudah beres.",
        ),
        (
            "Belum ada perbaikan.\n\nPada tanggal Sen, 11 Sep 2023 pukul 10.14 Tanggap <lapor@x.go.id> menulis:\n> lama",
            "Belum ada perbaikan.",
        ),
        (
            "Mohon ditindaklanjuti.\n\n-----Original Message-----\nFrom: Tanggap\nSent: Monday",
            "Mohon ditindaklanjuti.",
        ),
        // Gmail wraps a long attribution over two lines.
        (
            "Oke.\n\nOn Mon, Sep 11, 2023 at 10:14 AM Dinas Pekerjaan Umum dan Penataan Ruang Kota Bogor\n<pupr@x.go.id> wrote:\n\n> lama",
            "Oke.",
        ),
        (
            "Tidak ada kutipan.\nBaris kedua.",
            "Tidak ada kutipan.\nBaris kedua.",
        ),
        // A reply written below the quote: nothing above it, so the whole text.
        ("> pertanyaan\njawaban saya", "> pertanyaan\njawaban saya"),
        ("  \n  ", ""),
    ];
    for (text, want) in cases {
        assert_eq!(strip_quoted(text), want, "{text:?}");
    }
}

#[test]
fn the_quote_is_cut_before_the_text_is_cleaned() {
    let raw = mail(json!({"text": "  Jalan sudah diaspal.  \n> kutipan"}));
    assert_eq!(
        only(&email(&raw).unwrap()).text.as_deref(),
        Some("Jalan sudah diaspal.")
    );
}
