//! English mode leaves no Indonesian on the pages: every main page, as a citizen and as each
//! staff role, after switching the language, is searched for the Indonesian words of the
//! interface (the citizens' own text, agency and place names are not the interface's).

use crate::common::{Caller, TestApp, complaint};
use serde_json::json;
use tanggap_domain::Role;

/// Words of the Indonesian interface that English pages must not show (whole words; the
/// message subjects sent to an Indonesian reporter stay in their language, so lower-case
/// "laporan" is not among them).
const INDONESIAN: &[&str] = &[
    "Kirim",
    "Simpan",
    "Pilih",
    "Tenggat",
    "terlambat",
    "Terlambat",
    "Belum",
    "belum",
    "Tampilkan",
    "wajib",
    "Kembali",
    "Keluar",
    "Masuk",
    "menit",
    "jam",
    "Laporan",
    "Lacak",
    "Instansi",
    "Disposisi",
    "Verifikasi",
    "Diterima",
    "Menunggu",
    "respons",
    "respon",
    "Petugas",
    "Beranda",
    "Catatan",
    "Kanal",
    "Selanjutnya",
    "Ditolak",
    "Terverifikasi",
    "Notifikasi",
    "Jatuh tempo",
    "hari ini",
    "Tidak ada",
    "Sampaikan",
    "Ubah",
    "Tanggal",
];

/// Where `phrase` stands as whole words in `text`.
fn find_words(text: &str, phrase: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find(phrase).map(|i| from + i) {
        let before = text[..i].chars().next_back();
        let after = text[i + phrase.len()..].chars().next();
        if !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric) {
            return Some(i);
        }
        from = i + phrase.len();
    }
    None
}

/// The visible text of a page: tags, scripts and the link to the other language removed.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("Bahasa Indonesia", "")
}

async fn english(c: &Caller) {
    let r = c.get("/bahasa/en?lanjut=/").send().await.unwrap();
    assert!(r.status().is_success() || r.status().is_redirection());
}

async fn check(c: &Caller, who: &str, path: &str, found: &mut Vec<String>) {
    let r = c
        .get(path)
        .header("Accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    let status = r.status();
    let html = r.text().await.unwrap();
    assert!(
        html.contains("<html lang=\"en\""),
        "{who} {path} ({status}) is not in English"
    );
    let text = visible_text(&html);
    for w in INDONESIAN {
        if let Some(i) = find_words(&text, w) {
            let from = text[..i].char_indices().rev().nth(40).map_or(0, |(j, _)| j);
            let to = text[i..]
                .char_indices()
                .nth(40)
                .map_or(text.len(), |(j, _)| i + j);
            found.push(format!(
                "{who} {path}: \"{w}\" in …{}…",
                text[from..to].trim()
            ));
        }
    }
}

#[tokio::test]
async fn english_pages_have_no_indonesian_interface_words() {
    let app = TestApp::sqlite().await;
    let desk = app.staff("en.operator", Role::Operator, None).await;
    let (tid, secret) = app.submit(complaint("Broken bridge railing")).await;
    desk.act(
        &format!("/api/v1/reports/{tid}/dispatch"),
        json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}]}),
    )
    .await;
    let (waiting, _) = app.submit(complaint("Streetlights out")).await;
    let officer = app
        .staff("en.petugas", Role::Petugas, Some("dpu-bmck"))
        .await;
    let head = app.staff("en.kepala", Role::Kepala, Some("dpu-bmck")).await;
    let lead = app.staff("en.pimpinan", Role::Pimpinan, None).await;
    // Past the deadline: the late lists and marks show.
    app.advance(chrono::TimeDelta::days(3));

    let mut found = Vec::new();
    let citizen = app.anonymous();
    english(&citizen).await;
    for path in [
        "/".to_string(),
        "/lapor".into(),
        "/lacak".into(),
        "/lacak/LG-NOPE000000".into(),
        format!("/lacak/{tid}?kunci={secret}"),
        format!("/lacak/{tid}"),
        "/masuk".into(),
        "/no-such-page".into(),
    ] {
        check(&citizen, "citizen", &path, &mut found).await;
    }
    let pages: [(&Caller, &str, Vec<String>); 4] = [
        (
            &desk,
            "desk",
            vec![
                "/meja".into(),
                "/meja/baru".into(),
                format!("/kelola/{waiting}"),
                format!("/kelola/{tid}"),
                "/notifikasi".into(),
            ],
        ),
        (
            &officer,
            "officer",
            vec!["/instansi".into(), format!("/kelola/{tid}")],
        ),
        (
            &head,
            "head",
            vec!["/instansi/dasbor".into(), "/notifikasi".into()],
        ),
        (
            &lead,
            "leadership",
            vec!["/pimpinan".into(), "/pimpinan/instansi/dpu-bmck".into()],
        ),
    ];
    for (c, who, paths) in pages {
        english(c).await;
        for p in paths {
            check(c, who, &p, &mut found).await;
        }
    }
    assert!(
        found.is_empty(),
        "Indonesian in English mode:\n{}",
        found.join("\n")
    );
    app.finish().await;
}
