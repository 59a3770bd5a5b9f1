//! Injection (issue 17): one corpus of hostile strings (markup and script, SQL, template syntax,
//! spreadsheet formulas, Unicode tricks, control characters) pushed through every text field of
//! every way in, and read back wherever it shows.
//!
//! Ways in: the citizen's form (`/lapor`, multipart) and their follow-up forms on the tracking
//! page (reply, rating, reopening), the staff forms on `/kelola/{id}` with their CSRF token
//! (verify, dispatch, question, message, stage, instruction, archive), the walk-in form, the JSON
//! API (the report and every action with text), the chat channels in their providers' formats
//! with real signatures (WhatsApp, Telegram, an SMS gateway, e-mail; a staff member's WhatsApp
//! reply), Open311 (`POST requests`, `POST servicerequestupdates`), the admin's agency edit.
//!
//! Read back from: the report in the API, the public and the reporter's tracking pages, the staff
//! report page, the desk, the agency's queue, the leadership pages, the home page, the outbox
//! page, the staff notifications, Open311 JSON and XML, the open-data CSV and JSON, the
//! leadership CSVs, the rakor CSV, XLSX, PDF and HTML, and the messages the outbox sends (SMS,
//! WhatsApp and its template, read from the fake providers).
//!
//! What must hold: text is shown as text (escaped in HTML and XML, present literally once
//! unescaped, no element or script of its own), nothing breaks (no 500, well-formed XML), a
//! report is stored exactly as the text rules of `service::text` say or refused with a field
//! error naming the rule, a spreadsheet cell that starts like a formula is made inert, and the
//! database is whole afterwards (the reports all there, the audit chain intact).
//!
//! The corpus is batched: each report carries several strings in its title, address and name and
//! all of them in its text, so a few reports per door cover every string in every field.

use crate::chat::{EMAIL_SECRET, SMS_SECRET, TG_SECRET, WA_SECRET};
use crate::common::{Caller, TestApp, csrf, problem};
use crate::fakes::FakeProviders;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use tanggap_channels::verify;
use tanggap_domain::Role;
use tanggap_service::accounts::UserInput;

// ----- the corpus ---------------------------------------------------------------------------------

/// One string of the corpus.
pub(crate) struct Payload {
    pub name: &'static str,
    pub text: String,
}

/// Every hostile string, once. Strings that are refused at the door are here too; the tests
/// sort them by the rules below.
pub(crate) fn corpus() -> Vec<Payload> {
    let p = |name: &'static str, text: &str| Payload {
        name,
        text: text.to_string(),
    };
    let long_word: String = "Pneumonoultramicroscopicsilicovolcanoconiosis"
        .chars()
        .cycle()
        .take(110)
        .collect();
    vec![
        // Markup and script.
        p("script", "<script>window.__pwned=1</script>"),
        p("img-onerror", "\"><img src=x onerror=\"window.__pwned=2\">"),
        p("svg-onload", "'><svg/onload=window.__pwned=3>"),
        p("textarea", "</textarea><script>window.__pwned=4</script>"),
        p("title", "</title><script>window.__pwned=5</script>"),
        p(
            "iframe",
            "<iframe srcdoc=\"<script>parent.__pwned=6</script>\"></iframe>",
        ),
        p("javascript-url", "javascript:window.__pwned=7//"),
        p(
            "javascript-link",
            "<a href=\"javascript:window.__pwned=8\">klik</a>",
        ),
        p("attribute", "\" autofocus onfocus=\"window.__pwned=9"),
        p(
            "meta-refresh",
            "<meta http-equiv=\"refresh\" content=\"0;url=https://jahat.example/\">",
        ),
        p("base", "<base href=\"https://jahat.example/\">"),
        p("style", "<style>body{display:none}</style>"),
        p("comment", "<!-- komentar tak tertutup"),
        p("cdata", "<![CDATA[ x ]]> ]]>"),
        p(
            "entities",
            "&lt;b&gt;sudah di-escape&lt;/b&gt; &amp; &#60;i&#62;",
        ),
        // Template syntax.
        p("jinja", "{{7*7}} {{ self }} {% raw %}"),
        p("expression", "${7*7} #{7*7} <%= 7*7 %> [[${7*7}]]"),
        // SQL and full-text search syntax.
        p("sql-drop", "'; DROP TABLE reports; --"),
        p("sql-or", "' OR '1'='1"),
        p("sql-dquote", "\" OR \"\"=\""),
        p("sql-sleep", "1; SELECT pg_sleep(5); --"),
        p("sql-bobby", "Robert'); DELETE FROM audit_events;--"),
        p("sql-backslash", "\\'; -- \\\\"),
        p("fts", "\"tak tertutup NEAR(a b) * OR -x title:jalan ^"),
        // Spreadsheet formulas.
        p("formula-dde", "=cmd|' /C calc'!A0"),
        p("formula-plus", "+SUM(1+1)*cmd|' /C calc'!A0"),
        p("formula-minus", "-2+3+cmd|' /C calc'!A0"),
        p("formula-at", "@SUM(1+1)*cmd|' /C calc'!A0"),
        p(
            "formula-hyperlink",
            "=HYPERLINK(\"https://jahat.example/?d=\"&A1,\"Klik\")",
        ),
        p("formula-tab", "\t=1+1"),
        p("formula-cr", "\r=1+1"),
        p("formula-inside", "a,=1+1;@x"),
        // Unicode tricks.
        p("bidi-override", "Jalan \u{202E}kusar\u{202C} parah"),
        p(
            "bidi-isolate",
            "\u{2067}نقل\u{2069} dan \u{2066}LRI\u{2069}",
        ),
        p(
            "zero-width",
            "Ja\u{200B}lan\u{200C}ru\u{200D}sak\u{2060}\u{FEFF}",
        ),
        p("homoglyph", "Јаlаn rusаk LG-4F7KQ2MZ8Т раураl.com"),
        p(
            "combining",
            "Z\u{0337}\u{0321}a\u{0338}\u{034e}l\u{0337}g\u{0336}o\u{0335} e\u{0301}\u{0301}\u{0301}",
        ),
        p("long-word", &long_word),
        p("emoji", "🚧🕳️ 👷🏽‍♀️ 🇮🇩 1️⃣ 🏳️‍🌈"),
        p("line-separator", "satu\u{2028}dua\u{2029}tiga"),
        p("fullwidth", "＜script＞ ＝1+1"),
        p("rtl", "شارع مكسور"),
        p("percent", "%3Cscript%3E %00 %s%n {0} ../../etc/passwd"),
        p("crlf", "Subjek\r\nBcc: korban@example.id"),
        p(
            "markdown",
            "*tebal* _miring_ ~coret~ ```kode``` [tautan](javascript:alert(1))",
        ),
        p("null-word", "null"),
        p("escapes-as-text", "C:\\Windows\\System32\\ \\u0000 \\x00"),
        // Refused wherever they come: control characters and noncharacters.
        p("nul", "Jalan\0rusak"),
        p("escape", "\u{1b}[31mMERAH\u{1b}[0m"),
        p("bell", "tolong\u{7}"),
        p("delete", "hapus\u{7f}"),
        p("c1-nel", "baris\u{85}baru"),
        p("c1-csi", "\u{9b}2J layar"),
        p("noncharacter", "akhir\u{FFFE}\u{FFFF}"),
    ]
}

pub(crate) fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn is_noncharacter(c: char) -> bool {
    matches!(c, '\u{FDD0}'..='\u{FDEF}') || (c as u32 & 0xFFFE) == 0xFFFE
}

/// Refused in every field: a control character other than a line break or a tab, or a
/// noncharacter (which XML cannot carry).
pub(crate) fn refused_anywhere(s: &str) -> bool {
    s.chars()
        .any(|c| (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) || is_noncharacter(c))
}

/// Refused in one-line text (titles, names, addresses): any control character.
pub(crate) fn refused_in_line(s: &str) -> bool {
    refused_anywhere(s) || s.chars().any(char::is_control)
}

/// What one-line text is stored as: bidirectional controls removed, trimmed.
pub(crate) fn as_line(s: &str) -> String {
    s.chars()
        .filter(|c| !is_bidi(*c))
        .collect::<String>()
        .trim()
        .to_string()
}

/// What long text is stored as: trimmed.
pub(crate) fn as_long(s: &str) -> String {
    s.trim().to_string()
}

/// What a chat message's words become: control characters but line breaks and tabs removed by
/// the channel, then trimmed.
pub(crate) fn as_chat(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect::<String>()
        .trim()
        .to_string()
}

/// The title a chat message without a subject gets: its first ten words, at most 80
/// characters, as one-line text.
pub(crate) fn chat_title(body: &str) -> String {
    let clean: String = body.chars().filter(|c| !is_bidi(*c)).collect();
    let words = clean
        .split_whitespace()
        .take(10)
        .collect::<Vec<_>>()
        .join(" ");
    let title = if words.chars().count() > 80 {
        words.chars().take(80).collect::<String>() + "…"
    } else {
        words
    };
    as_line(&title)
}

/// Whether a spreadsheet would take the cell for a formula (OWASP's list).
pub(crate) fn starts_like_formula(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// A cell as a spreadsheet export must write it: formulas made inert with an apostrophe.
pub(crate) fn inert(s: &str) -> String {
    if starts_like_formula(s) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// The strings accepted in one-line fields, grouped into titles of at most 200 characters, each
/// group led by a string that starts like a formula while there are such (so that exports see a
/// cell starting with each).
pub(crate) fn title_chunks(corpus: &[Payload]) -> Vec<String> {
    let line: Vec<&str> = corpus
        .iter()
        .map(|p| p.text.as_str())
        .filter(|t| !refused_in_line(t))
        .collect();
    let mut chunks: Vec<String> = line
        .iter()
        .filter(|t| starts_like_formula(t))
        .map(|t| t.to_string())
        .collect();
    for t in line.iter().filter(|t| !starts_like_formula(t)) {
        match chunks
            .iter_mut()
            .find(|c| c.chars().count() + 1 + t.chars().count() <= 200)
        {
            Some(c) => {
                c.push(' ');
                c.push_str(t);
            }
            None => chunks.push(t.to_string()),
        }
    }
    chunks
}

/// Every string accepted in long text, one per line.
pub(crate) fn note(corpus: &[Payload]) -> String {
    corpus
        .iter()
        .map(|p| p.text.as_str())
        .filter(|t| !refused_anywhere(t))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A name of at most 120 characters from a chunk.
pub(crate) fn name_of(chunk: &str) -> String {
    chunk.chars().take(120).collect::<String>()
}

// ----- reading pages ----------------------------------------------------------------------------

/// HTML or XML text with its character references decoded (one pass, so `&#38;lt;` stays
/// `&lt;`).
pub(crate) fn unescape(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest.bytes().take(12).position(|b| b == b';');
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = match name {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Markup from the corpus that must never reach a page as markup.
const MARKUP: &[&str] = &[
    "<img src=x",
    "<svg/onload",
    "<iframe",
    "<a href=\"javascript:",
    "onfocus=\"window",
    "onerror=\"window",
    "http-equiv=\"refresh\" content=\"0;url=https://jahat",
    "<base href=",
    "<style>body{display:none}",
    "<!-- komentar",
    "<![CDATA[ x",
    "</textarea><script",
    "</title><script",
];

/// Nothing of the corpus is markup on this page: every script is one of ours, loaded from a
/// file, no corpus string containing `<`, `>`, `&` or a quote appears unescaped.
pub(crate) fn assert_inert(what: &str, html: &str, corpus: &[Payload]) {
    let lower = html.to_ascii_lowercase();
    for (i, _) in lower.match_indices("<script") {
        assert!(
            lower[i..].starts_with("<script src=\"/static/"),
            "{what}: a script that is not ours: {}",
            &html[i..html.len().min(i + 80)]
        );
    }
    for m in MARKUP {
        assert!(!html.contains(m), "{what} carries `{m}` as markup");
    }
    for p in corpus {
        let t = p.text.as_str();
        if t.contains(['<', '>', '&', '"', '\'']) {
            for form in [t.to_string(), as_line(t), as_chat(t)] {
                assert!(!html.contains(&form), "{what} shows `{}` unescaped", p.name);
            }
        }
    }
}

/// The page shows every one of `texts`, literally once unescaped.
pub(crate) fn assert_shows(what: &str, html: &str, texts: &[&str]) {
    let text = unescape(html);
    for t in texts {
        assert!(
            text.contains(t),
            "{what} does not show {:?}",
            t.chars().take(120).collect::<String>()
        );
    }
}

pub(crate) async fn page(c: &Caller, path: &str) -> String {
    let r = c.get(path).send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "GET {path}");
    text
}

pub(crate) fn form(fields: &[(&str, &str)]) -> Form {
    fields.iter().fold(Form::new(), |f, (k, v)| {
        f.text(k.to_string(), v.to_string())
    })
}

/// Post one of a staff page's forms with the page's CSRF token; the client follows the
/// redirect. Returns the final status, path and page.
async fn staff_form(
    c: &Caller,
    tid: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let token = csrf(&page(c, &format!("/kelola/{tid}")).await);
    let mut all = vec![("csrf", token.as_str())];
    all.extend_from_slice(fields);
    let r = c
        .post(&format!("/kelola/{tid}/aksi"))
        .multipart(form(&all))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let path = r.url().path().to_string();
    (status, path, r.text().await.unwrap())
}

async fn staff_action_ok(c: &Caller, tid: &str, fields: &[(&str, &str)]) {
    let (status, path, body) = staff_form(c, tid, fields).await;
    assert_eq!(
        (status, path.as_str()),
        (StatusCode::OK, format!("/kelola/{tid}").as_str()),
        "{fields:?}: {}",
        &body[..body.len().min(2000)]
    );
}

// ----- the application with fake providers ------------------------------------------------------

crate::with_fakes_on_both!(
    every_door_stores_the_corpus_and_every_page_and_message_shows_it_as_text,
    control_characters_are_refused_with_a_field_error_at_every_door,
    exports_make_formulas_inert_and_keep_every_character,
    searches_and_lookups_of_the_corpus_answer_calmly,
);

// ----- the doors ----------------------------------------------------------------------------------

/// A report filed through one door, and what it must be stored as.
struct Filed {
    door: &'static str,
    tid: String,
    /// The reporter's secret, where the door hands it out.
    secret: Option<String>,
    title: String,
    body: String,
    address: Option<String>,
    name: Option<String>,
    /// The reporter's phone (E.164), where a receipt goes by SMS.
    phone: Option<String>,
    /// The title the receipt names (before the desk edits it).
    receipt_title: String,
}

fn phone(door: usize, k: usize) -> (String, String) {
    let local = format!("0812{door}55{k:05}");
    let e164 = format!("+62812{door}55{k:05}");
    (local, e164)
}

async fn file_through_the_api(app: &TestApp, chunk: &str, body: &str, k: usize) -> Filed {
    let (local, e164) = phone(1, k);
    let r = app
        .anonymous()
        .post("/api/v1/reports")
        .json(&json!({
            "kind": "pengaduan", "title": chunk, "body": body, "address": chunk,
            "region_code": "33.74.01.1001", "category": "jalan-jembatan", "visibility": "publik",
            "reporter": {"name": name_of(chunk), "phone": local}
        }))
        .send()
        .await
        .unwrap();
    let (status, v) = problem(r).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    Filed {
        door: "api",
        tid: v["tracking_id"].as_str().unwrap().to_string(),
        secret: v["secret"].as_str().map(str::to_string),
        title: as_line(chunk),
        body: as_long(body),
        address: Some(as_line(chunk)),
        name: Some(as_line(&name_of(chunk))),
        phone: Some(e164),
        receipt_title: as_line(chunk),
    }
}

/// The citizen's form, as a browser sends it; the photo's name is hostile too.
async fn file_through_the_form(app: &TestApp, chunk: &str, body: &str, k: usize) -> Filed {
    let (local, e164) = phone(2, k);
    let name = name_of(chunk);
    let mut f = form(&[
        ("aksi", "kirim"),
        ("kind", "pengaduan"),
        ("title", chunk),
        ("body", body),
        ("kabkota", "33.74"),
        ("address", chunk),
        ("category", "jalan-jembatan"),
        ("name", &name),
        ("phone", &local),
    ]);
    if k == 0 {
        f = f.part(
            "foto",
            Part::bytes(crate::content_safety::photo())
                .file_name("=cmd|' calc'!A0 \"><img src=x onerror=alert(1)>\u{202E}gpj.exe")
                .mime_str("image/jpeg")
                .unwrap(),
        );
    }
    let r = app
        .anonymous()
        .post("/lapor")
        .multipart(f)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let url = r.url().clone();
    let html = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{}", &html[..html.len().min(3000)]);
    let tid = url
        .path()
        .strip_prefix("/lacak/")
        .unwrap_or_else(|| panic!("lands on the tracking page: {url}"))
        .to_string();
    let secret = url
        .query_pairs()
        .find(|(k, _)| k == "kunci")
        .map(|(_, v)| v.into_owned());
    Filed {
        door: "form",
        tid,
        secret,
        title: as_line(chunk),
        body: as_long(body),
        address: Some(as_line(chunk)),
        name: Some(as_line(&name)),
        phone: Some(e164),
        receipt_title: as_line(chunk),
    }
}

async fn file_through_open311(
    app: &TestApp,
    key: &str,
    chunk: &str,
    body: &str,
    k: usize,
) -> Filed {
    let (local, e164) = phone(3, k);
    let name = name_of(chunk);
    let r = app
        .anonymous()
        .post("/open311/v2/requests.json")
        .form(&[
            ("api_key", key),
            ("service_code", "jalan-jembatan"),
            ("address_string", chunk),
            ("address_id", "33.74.01.1001"),
            ("description", body),
            ("first_name", &name),
            ("phone", &local),
            ("attribute[judul]", chunk),
            ("attribute[jenis]", "pengaduan"),
        ])
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{v}");
    Filed {
        door: "open311",
        tid: v[0]["service_request_id"].as_str().unwrap().to_string(),
        secret: None,
        title: as_line(chunk),
        body: as_long(body),
        address: Some(as_line(chunk)),
        name: Some(as_line(&name)),
        phone: Some(e164),
        receipt_title: as_line(chunk),
    }
}

/// A WhatsApp Cloud API message with the sender's profile name.
fn wa_from(from: &str, profile: &str, id: &str, text: &str) -> Value {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "6281100000000", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": profile}, "wa_id": from}],
            "messages": [{"from": from, "id": id, "timestamp": "1764550000", "type": "text", "text": {"body": text}}]
        }}]}]
    })
}

async fn post_signed_wa(app: &TestApp, body: &Value) {
    let raw = serde_json::to_vec(body).unwrap();
    let r = app
        .anonymous()
        .post("/channels/whatsapp")
        .header("content-type", "application/json")
        .header("x-hub-signature-256", verify::sign_meta(WA_SECRET, &raw))
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

async fn post_tg(app: &TestApp, update_id: i64, chat_id: i64, first_name: &str, text: &str) {
    let body = json!({
        "update_id": update_id,
        "message": {
            "message_id": update_id * 10,
            "from": {"id": chat_id, "is_bot": false, "first_name": first_name, "language_code": "id"},
            "chat": {"id": chat_id, "type": "private"},
            "date": 1764550000,
            "text": text
        }
    });
    let r = app
        .anonymous()
        .post("/channels/telegram")
        .header("content-type", "application/json")
        .header("x-telegram-bot-api-secret-token", TG_SECRET)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

async fn post_sms(app: &TestApp, from: &str, id: &str, text: &str) {
    let query = serde_urlencoded::to_string([("from", from), ("text", text), ("id", id)]).unwrap();
    let r = app
        .anonymous()
        .get(&format!("/channels/sms/{SMS_SECRET}?{query}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

async fn post_mail(app: &TestApp, id: &str, from: &str, subject: &str, text: &str) {
    let r = app
        .anonymous()
        .post("/channels/email")
        .header("x-tanggap-webhook-secret", EMAIL_SECRET)
        .json(&json!({"message_id": id, "from": from, "subject": subject, "text": text}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// The newest report from a chat address, by its reporter's address.
pub(crate) async fn newest_from(app: &TestApp, channel: &str) -> String {
    app.texts(&format!(
        "SELECT tracking_id FROM reports WHERE channel = '{channel}' ORDER BY id DESC LIMIT 1"
    ))
    .await
    .pop()
    .unwrap_or_else(|| panic!("no report from {channel}"))
}

async fn assignment_of(c: &Caller, tid: &str) -> i64 {
    c.report(tid).await["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|a| a["agency_id"] == "dpu-bmck")
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

pub(crate) async fn dispatch(op: &Caller, tid: &str) {
    op.act(
        &format!("/api/v1/reports/{tid}/dispatch"),
        json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}]}),
    )
    .await;
}

pub(crate) struct Staff {
    pub op: Caller,
    pub dpu: Caller,
    pub sekda: Caller,
    pub admin: Caller,
    /// The head of DPU, with a phone for WhatsApp.
    pub head: Caller,
}

pub(crate) async fn staff(app: &TestApp) -> Staff {
    app.services
        .create_user(
            &tanggap_service::Caller::System,
            UserInput {
                username: "inj.kepala".into(),
                display_name: "Kepala DPU".into(),
                role: "kepala".into(),
                agency_id: Some("dpu-bmck".into()),
                email: None,
                phone: Some(HEAD_PHONE.into()),
                password: "inj.kepala-kata-sandi".into(),
                integration: false,
            },
        )
        .await
        .unwrap();
    Staff {
        op: app.staff("inj.op", Role::Operator, None).await,
        dpu: app.staff("inj.dpu", Role::Petugas, Some("dpu-bmck")).await,
        sekda: app.staff("inj.sekda", Role::Pimpinan, None).await,
        admin: app.staff("inj.admin", Role::Admin, None).await,
        head: app
            .staff("inj.kepala", Role::Kepala, Some("dpu-bmck"))
            .await,
    }
}

const HEAD_PHONE: &str = "081277700011";
const HEAD_WA: &str = "6281277700011";

// ----- every door, every page, every message ------------------------------------------------------

async fn every_door_stores_the_corpus_and_every_page_and_message_shows_it_as_text(
    app: &TestApp,
    fake: &FakeProviders,
) {
    let corpus = corpus();
    let chunks = title_chunks(&corpus);
    let note = note(&corpus);
    let s = staff(app).await;
    let key = app
        .services
        .create_open311_key(&tanggap_service::Caller::System, "Aplikasi Warga", None)
        .await
        .unwrap()
        .1;
    let body_of = |chunk: &str| format!("{chunk}\n{note}\nSelesai.");
    let mut filed: Vec<Filed> = Vec::new();

    // The API, the citizen's form and Open311: every chunk as title, address and name, the whole
    // corpus in the text.
    for (k, chunk) in chunks.iter().enumerate() {
        let body = body_of(chunk);
        filed.push(file_through_the_api(app, chunk, &body, k).await);
        filed.push(file_through_the_form(app, chunk, &body, k).await);
        filed.push(file_through_open311(app, &key, chunk, &body, k).await);
    }
    // The walk-in form at the desk.
    let walk_in = {
        let token = csrf(&page(&s.op, "/meja/baru").await);
        let chunk = &chunks[1];
        let body = body_of(chunk);
        let name = name_of(chunk);
        let r =
            s.op.post("/meja/baru")
                .multipart(form(&[
                    ("csrf", &token),
                    ("aksi", "kirim"),
                    ("channel", "tatap_muka"),
                    ("kind", "pengaduan"),
                    ("title", chunk),
                    ("body", &body),
                    ("kabkota", "33.74"),
                    ("address", chunk),
                    ("name", &name),
                ]))
                .send()
                .await
                .unwrap();
        let status = r.status();
        let url = r.url().clone();
        let html = r.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{}", &html[..html.len().min(3000)]);
        let tid = url.path().strip_prefix("/kelola/").unwrap().to_string();
        Filed {
            door: "walk-in",
            tid,
            secret: None,
            title: as_line(chunk),
            body: as_long(&body),
            address: Some(as_line(chunk)),
            name: Some(as_line(&name)),
            phone: None,
            receipt_title: String::new(),
        }
    };
    filed.push(walk_in);

    // The chat channels: WhatsApp from as many numbers as there are chunks (the chunk as the
    // profile name), Telegram, an SMS gateway and e-mail once each.
    for (k, chunk) in chunks.iter().enumerate() {
        let from = format!("62813{k:08}");
        let body = body_of(chunk);
        post_signed_wa(
            app,
            &wa_from(&from, &name_of(chunk), &format!("wamid.INJ{k}"), &body),
        )
        .await;
        app.run_inbox().await;
        let tid = newest_from(app, "whatsapp").await;
        let body = as_chat(&body);
        filed.push(Filed {
            door: "whatsapp",
            tid,
            secret: None,
            title: chat_title(&body),
            body,
            address: None,
            name: Some(as_line(&name_of(chunk))),
            phone: None,
            receipt_title: String::new(),
        });
    }
    let chat_body = body_of(&chunks[2]);
    post_tg(app, 9001, 777_001, &note, &chat_body).await;
    post_sms(app, "+6285600000017", "k-17", &chat_body).await;
    post_mail(
        app,
        "<inj1@example.id>",
        &format!("\"{}\" <warga.inj@example.id>", chunks[3]),
        &chunks[2],
        &chat_body,
    )
    .await;
    app.run_inbox().await;
    for channel in ["telegram", "sms", "email"] {
        let tid = newest_from(app, channel).await;
        let body = as_chat(&chat_body);
        filed.push(Filed {
            door: channel,
            tid,
            secret: None,
            title: if channel == "email" {
                as_line(&chunks[2])
            } else {
                chat_title(&body)
            },
            body,
            address: None,
            name: None,
            phone: None,
            receipt_title: String::new(),
        });
    }
    let total = filed.len();

    // Every action with text, through the API on the first API report and through the pages on
    // the first form report: a question, the reporter's answer, a dispatch note (public), a
    // message, stage notes, an instruction, the rating's comment and the reason to reopen.
    let api0 = filed.iter().find(|f| f.door == "api").unwrap();
    let (tid, secret) = (api0.tid.clone(), api0.secret.clone().unwrap());
    let reporter = app.reporter(&secret);
    s.op.act(
        &format!("/api/v1/reports/{tid}/questions"),
        json!({ "text": note }),
    )
    .await;
    reporter
        .act(
            &format!("/api/v1/reports/{tid}/replies"),
            json!({ "text": note }),
        )
        .await;
    s.op.act(
        &format!("/api/v1/reports/{tid}/dispatch"),
        json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}], "note": note, "note_public": true}),
    )
    .await;
    let aid = assignment_of(&s.op, &tid).await;
    s.dpu
        .act(
            &format!("/api/v1/reports/{tid}/messages"),
            json!({ "text": note }),
        )
        .await;
    s.dpu
        .act(
            &format!("/api/v1/reports/{tid}/assignments/{aid}/updates"),
            json!({"stage": "pengerjaan", "note": note}),
        )
        .await;
    s.sekda
        .act(
            &format!("/api/v1/reports/{tid}/instructions"),
            json!({ "note": note }),
        )
        .await;
    s.dpu
        .act(
            &format!("/api/v1/reports/{tid}/assignments/{aid}/updates"),
            json!({"stage": "tuntas", "note": note}),
        )
        .await;
    reporter
        .act(
            &format!("/api/v1/reports/{tid}/rating"),
            json!({"score": 2, "outcome": "partly", "comment": note}),
        )
        .await;
    reporter
        .act(
            &format!("/api/v1/reports/{tid}/reopen"),
            json!({ "reason": note }),
        )
        .await;

    let web0 = filed.iter().find(|f| f.door == "form").unwrap();
    let (wtid, wkunci) = (web0.tid.clone(), web0.secret.clone().unwrap());
    staff_action_ok(&s.op, &wtid, &[("aksi", "tanya"), ("text", &note)]).await;
    let r = app
        .anonymous()
        .post(&format!("/lacak/{wtid}/balas"))
        .multipart(form(&[("kunci", &wkunci), ("text", &note)]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status(), r.url().path()),
        (StatusCode::OK, format!("/lacak/{wtid}").as_str())
    );
    staff_action_ok(
        &s.op,
        &wtid,
        &[
            ("aksi", "disposisi"),
            ("utama", "dpu-bmck"),
            ("note", &note),
        ],
    )
    .await;
    let waid = assignment_of(&s.op, &wtid).await.to_string();
    staff_action_ok(&s.dpu, &wtid, &[("aksi", "pesan"), ("text", &note)]).await;
    staff_action_ok(
        &s.dpu,
        &wtid,
        &[
            ("aksi", "tahap"),
            ("assignment", &waid),
            ("stage", "pengerjaan"),
            ("note", &note),
        ],
    )
    .await;
    staff_action_ok(&s.sekda, &wtid, &[("aksi", "arahan"), ("note", &note)]).await;
    staff_action_ok(
        &s.dpu,
        &wtid,
        &[
            ("aksi", "tahap"),
            ("assignment", &waid),
            ("stage", "tuntas"),
            ("note", &note),
        ],
    )
    .await;
    for (path, fields) in [
        (
            "nilai",
            vec![
                ("kunci", wkunci.as_str()),
                ("score", "2"),
                ("outcome", "partly"),
                ("comment", note.as_str()),
            ],
        ),
        (
            "buka-kembali",
            vec![("kunci", wkunci.as_str()), ("reason", note.as_str())],
        ),
    ] {
        let r = app
            .anonymous()
            .post(&format!("/lacak/{wtid}/{path}"))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(
            (r.status(), r.url().path()),
            (StatusCode::OK, format!("/lacak/{wtid}").as_str()),
            "{path}"
        );
    }

    // The desk verifies with the corpus through the API and through the page (the title, text
    // and address change), returns one, archives two.
    let api1 = filed
        .iter()
        .position(|f| f.door == "api" && f.tid != tid)
        .unwrap();
    let (vchunk, vbody) = (
        chunks.last().unwrap().clone(),
        body_of(chunks.last().unwrap()),
    );
    s.op.act(
        &format!("/api/v1/reports/{}/verify", filed[api1].tid),
        json!({"title": vchunk, "body": vbody, "address": vchunk}),
    )
    .await;
    filed[api1].title = as_line(&vchunk);
    filed[api1].body = as_long(&vbody);
    filed[api1].address = Some(as_line(&vchunk));
    let web1 = filed
        .iter()
        .position(|f| f.door == "form" && f.tid != wtid)
        .unwrap();
    staff_action_ok(
        &s.op,
        &filed[web1].tid.clone(),
        &[
            ("aksi", "verifikasi"),
            ("kind", "pengaduan"),
            ("title", &vchunk),
            ("body", &vbody),
            ("category", "jalan-jembatan"),
            ("kabkota", "33.74"),
            ("address", &vchunk),
        ],
    )
    .await;
    filed[web1].title = as_line(&vchunk);
    filed[web1].body = as_long(&vbody);
    filed[web1].address = Some(as_line(&vchunk));
    let archived_api = filed
        .iter()
        .filter(|f| f.door == "api")
        .nth(2)
        .unwrap()
        .tid
        .clone();
    s.op.act(
        &format!("/api/v1/reports/{archived_api}/archive"),
        json!({ "reason": note }),
    )
    .await;
    let archived_form = filed
        .iter()
        .filter(|f| f.door == "form")
        .nth(2)
        .unwrap()
        .tid
        .clone();
    staff_action_ok(
        &s.op,
        &archived_form,
        &[("aksi", "arsip"), ("reason", &note)],
    )
    .await;
    let returned = filed
        .iter()
        .filter(|f| f.door == "api")
        .nth(3)
        .unwrap()
        .tid
        .clone();
    dispatch(&s.op, &returned).await;
    let raid = assignment_of(&s.op, &returned).await;
    s.dpu
        .act(
            &format!("/api/v1/reports/{returned}/assignments/{raid}/return"),
            json!({ "reason": note }),
        )
        .await;

    // Everything else is dispatched to the agency, so that it is public.
    let done = [
        tid.as_str(),
        wtid.as_str(),
        archived_api.as_str(),
        archived_form.as_str(),
        returned.as_str(),
    ];
    for f in filed.iter().filter(|f| !done.contains(&f.tid.as_str())) {
        dispatch(&s.op, &f.tid).await;
    }

    // The outbox, sent before the head writes from WhatsApp (so their alerts go out as the
    // template: they have not written within 24 hours).
    deliver_all(app).await;

    // The chat follow-ups: the WhatsApp reporter writes again (a reply on their report); the
    // head answers from WhatsApp (`cek` in mixed case; a homoglyph such as the Kelvin sign is
    // not read as a stage word: service::chat's unit tests); an agency's system posts its
    // progress through Open311.
    let wa0 = filed
        .iter()
        .find(|f| f.door == "whatsapp")
        .unwrap()
        .tid
        .clone();
    post_signed_wa(app, &wa_from("6281300000000", "x", "wamid.INJ-R", &note)).await;
    app.run_inbox().await;
    let head_note = "<script>window.__pwned=10</script> '; DROP TABLE reports; -- =1+1";
    post_signed_wa(
        app,
        &wa_from(
            HEAD_WA,
            "Kepala",
            "wamid.INJ-H",
            &format!("{wa0} CeK {head_note}"),
        ),
    )
    .await;
    app.run_inbox().await;
    let r = s.op.report(&wa0).await;
    assert_eq!(
        r["assignments"][0]["stage"], "cek_lapangan",
        "{}",
        r["timeline"]
    );
    let o0 = filed
        .iter()
        .find(|f| f.door == "open311")
        .unwrap()
        .tid
        .clone();
    let system = app
        .services
        .create_user(
            &tanggap_service::Caller::System,
            UserInput {
                username: "inj.sistem".into(),
                display_name: "Sistem DPU".into(),
                role: "petugas".into(),
                agency_id: Some("dpu-bmck".into()),
                email: None,
                phone: None,
                password: String::new(),
                integration: true,
            },
        )
        .await
        .unwrap()
        .id;
    let agency_key = app
        .services
        .create_open311_key(&tanggap_service::Caller::System, "Sistem DPU", Some(system))
        .await
        .unwrap()
        .1;
    let r = app
        .anonymous()
        .post("/open311/v2/servicerequestupdates.json")
        .form(&[
            ("api_key", agency_key.as_str()),
            ("service_request_id", o0.as_str()),
            ("status", "IN_PROGRESS"),
            ("description", note.as_str()),
            ("updated_datetime", "2026-12-01T08:00:00+07:00"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());

    // Stored exactly as the rules say, read through the API by the desk.
    for f in &filed {
        let r = s.op.report(&f.tid).await;
        let what = format!("{} {}", f.door, f.tid);
        assert_eq!(r["title"].as_str(), Some(f.title.as_str()), "{what}: title");
        assert_eq!(r["body"].as_str(), Some(f.body.as_str()), "{what}: body");
        if let Some(a) = &f.address {
            assert_eq!(r["address"].as_str(), Some(a.as_str()), "{what}: address");
        }
        if let Some(n) = &f.name {
            assert_eq!(
                r["reporter"]["name"].as_str(),
                Some(n.as_str()),
                "{what}: name"
            );
        }
        assert!(
            !r["title"].as_str().unwrap().chars().any(is_bidi),
            "{what}: a bidirectional control in a title"
        );
    }
    // Every note of the conversations, exactly (the chat's without its carriage returns).
    let notes = |r: &Value| -> Vec<String> {
        r["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a["note"].as_str().map(str::to_string))
            .collect()
    };
    for t in [&tid, &wtid, &archived_api, &archived_form, &returned, &o0] {
        let r = s.op.report(t).await;
        assert!(
            notes(&r).contains(&as_long(&note)),
            "{t}: the note is not kept exactly: {:?}",
            notes(&r)
        );
    }
    let r = s.op.report(&tid).await;
    assert_eq!(r["rating_comment"].as_str(), Some(as_long(&note).as_str()));
    let kinds_with_the_note = r["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["note"].as_str() == Some(as_long(&note).as_str()))
        .count();
    assert!(kinds_with_the_note >= 6, "{kinds_with_the_note} notes");
    let messages: Value =
        s.op.get(&format!("/api/v1/reports/{tid}/messages"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert!(
        messages
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["body"].as_str() == Some(as_long(&note).as_str()))
            .count()
            >= 3,
        "the question, the answer and the message: {messages}"
    );
    let r = s.op.report(&wa0).await;
    let wa_notes = notes(&r);
    assert!(wa_notes.contains(&as_chat(&note)), "{wa_notes:?}");
    assert!(wa_notes.iter().any(|n| n == head_note), "{wa_notes:?}");

    // Every page that shows a report: the desk's, the public's, the reporter's.
    let public = app.anonymous();
    for f in &filed {
        let what = format!("{} {}", f.door, f.tid);
        let mut shows: Vec<&str> = vec![f.title.as_str(), f.body.as_str()];
        if let Some(a) = &f.address {
            shows.push(a);
        }
        let mut staff_shows = shows.clone();
        if let Some(n) = &f.name {
            staff_shows.push(n);
        }
        let html = page(&s.op, &format!("/kelola/{}", f.tid)).await;
        assert_inert(&format!("/kelola of {what}"), &html, &corpus);
        assert_shows(&format!("/kelola of {what}"), &html, &staff_shows);
        let archived = f.tid == archived_api || f.tid == archived_form;
        if !archived {
            let html = page(&public, &format!("/lacak/{}", f.tid)).await;
            assert_inert(&format!("/lacak of {what}"), &html, &corpus);
            assert_shows(
                &format!("/lacak of {what}"),
                &html,
                &[f.title.as_str(), f.body.as_str()],
            );
        }
        if let Some(k) = &f.secret {
            let html = page(&public, &format!("/lacak/{}?kunci={k}", f.tid)).await;
            assert_inert(&format!("the reporter's page of {what}"), &html, &corpus);
            assert_shows(
                &format!("the reporter's page of {what}"),
                &html,
                &[f.title.as_str(), f.body.as_str()],
            );
        }
    }
    let long_note = as_long(&note);
    for (who, c, path) in [
        ("the desk", &s.op, format!("/kelola/{tid}")),
        ("the agency", &s.dpu, format!("/kelola/{wtid}")),
        ("leadership", &s.sekda, format!("/kelola/{tid}")),
        (
            "the reporter",
            &public,
            format!("/lacak/{tid}?kunci={secret}"),
        ),
        (
            "the reporter",
            &public,
            format!("/lacak/{wtid}?kunci={wkunci}"),
        ),
        ("the public", &public, format!("/lacak/{tid}")),
        (
            "the reporter of an archived report",
            &public,
            format!(
                "/lacak/{archived_api}?kunci={}",
                filed
                    .iter()
                    .find(|f| f.tid == archived_api)
                    .unwrap()
                    .secret
                    .clone()
                    .unwrap()
            ),
        ),
        ("the desk", &s.op, format!("/kelola/{wa0}")),
    ] {
        let html = page(c, &path).await;
        assert_inert(&format!("{who} on {path}"), &html, &corpus);
        let expect = if path.contains(&wa0) {
            as_chat(&note)
        } else {
            long_note.clone()
        };
        assert_shows(&format!("{who} on {path}"), &html, &[expect.as_str()]);
    }
    // Lists and dashboards.
    let desk = page(&s.op, "/meja?status=semua").await;
    assert_inert("/meja", &desk, &corpus);
    let titles: Vec<&str> = filed.iter().map(|f| f.title.as_str()).collect();
    assert_shows("/meja", &desk, &titles);
    for (who, c, path) in [
        ("the desk", &s.op, "/meja"),
        ("the agency", &s.dpu, "/instansi"),
        ("the head", &s.head, "/instansi/dasbor"),
        ("the head", &s.head, "/notifikasi"),
        ("leadership", &s.sekda, "/pimpinan?periode=30"),
        (
            "leadership",
            &s.sekda,
            "/pimpinan/instansi/dpu-bmck?periode=30",
        ),
        ("the admin", &s.admin, "/admin/kotak-keluar"),
        ("the public", &public, "/?wilayah=33.74"),
        ("the public", &public, "/statistik"),
    ] {
        let html = page(c, path).await;
        assert_inert(&format!("{who} on {path}"), &html, &corpus);
    }
    let home = page(&public, "/?wilayah=33.74").await;
    assert!(
        filed.iter().any(|f| unescape(&home).contains(&f.title)),
        "the home page lists the newest"
    );

    // Open311 as JSON and as XML: the text exact, the XML well-formed.
    for f in filed
        .iter()
        .filter(|f| f.door == "open311" || f.door == "api")
    {
        if f.tid == archived_api {
            continue;
        }
        let r = app
            .anonymous()
            .get(&format!("/open311/v2/requests/{}.json", f.tid))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{}", f.tid);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v[0]["description"].as_str(), Some(f.body.as_str()));
        assert_eq!(v[0]["address"].as_str(), f.address.as_deref());
        let xml = page(&public, &format!("/open311/v2/requests/{}.xml", f.tid)).await;
        assert_well_formed(&xml);
        assert_eq!(xml_elements(&xml, "description"), [f.body.as_str()]);
        assert_eq!(xml_elements(&xml, "address"), [f.address.clone().unwrap()]);
    }
    for path in [
        format!("/open311/v2/requests/{o0}.xml?extensions=true"),
        "/open311/v2/requests.xml".to_string(),
        "/open311/v2/servicerequestupdates.xml".to_string(),
    ] {
        let xml = page(&public, &path).await;
        assert_well_formed(&xml);
        assert!(!xml.contains("<script"), "{path}");
    }
    let feed: Value = app
        .anonymous()
        .get("/open311/v2/servicerequestupdates.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        feed.as_array()
            .unwrap()
            .iter()
            .any(|u| u["description"].as_str() == Some(long_note.as_str())),
        "the agency system's update is in the feed as it was posted"
    );

    // The messages: receipts by SMS carry the title as it is (the gateway's URL encodes it),
    // WhatsApp answers go out, and the template sent outside the 24-hour window is one line
    // (WhatsApp refuses a template parameter with a line break, a tab or more than four spaces).
    deliver_all(app).await;
    assert_eq!(fake.errors(), 0);
    let delivered = fake.delivered();
    for f in filed.iter().filter(|f| f.phone.is_some()) {
        let to = f.phone.as_deref().unwrap();
        let sms: Vec<&str> = delivered
            .iter()
            .filter(|d| d.provider == "sms" && d.to == to)
            .map(|d| d.text.as_str())
            .collect();
        assert!(
            sms.iter()
                .any(|t| t.contains(&format!("\"{}\"", f.receipt_title)) && t.contains(&f.tid)),
            "the receipt to {to} lacks its title: {sms:?}"
        );
    }
    let to_reporter: Vec<&str> = delivered
        .iter()
        .filter(|d| d.to == format!("+62812{}55{:05}", 1, 0))
        .map(|d| d.text.as_str())
        .collect();
    assert!(
        to_reporter.iter().any(|t| t.contains(&long_note)),
        "the staff's message reaches the reporter by SMS as written: {to_reporter:?}"
    );
    let templates: Vec<&str> = delivered
        .iter()
        .filter(|d| d.template)
        .map(|d| d.text.as_str())
        .collect();
    assert!(!templates.is_empty(), "the head hears outside the window");
    for t in &templates {
        assert!(
            !t.contains(['\n', '\t', '\r']) && !t.contains("     "),
            "a template parameter WhatsApp would refuse: {t:?}"
        );
    }
    let flat_title = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let to_head: Vec<&str> = delivered
        .iter()
        .filter(|d| d.to == HEAD_WA)
        .map(|d| d.text.as_str())
        .collect();
    for f in filed.iter().filter(|f| f.door == "api").skip(4) {
        assert!(
            to_head.iter().any(|t| t.contains(&flat_title(&f.title))),
            "the head's alert lacks the title of {}",
            f.tid
        );
    }
    assert!(
        delivered
            .iter()
            .any(|d| d.provider == "whatsapp" && d.to == "6281300000000"),
        "the WhatsApp reporter is answered"
    );

    // The database is whole: every report there, the SQL stored as text, the chain intact.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM reports").await,
        total as i64,
        "every report, nothing more"
    );
    let stored = app.texts("SELECT title FROM reports").await;
    assert!(
        stored
            .iter()
            .any(|t| t.contains("'; DROP TABLE reports; --")),
        "SQL kept as text"
    );
    let sql = filed
        .iter()
        .find(|f| f.door == "api" && f.body.contains("DROP TABLE"))
        .unwrap();
    let raw_body = app
        .texts(&format!(
            "SELECT body FROM reports WHERE tracking_id = '{}'",
            sql.tid
        ))
        .await;
    assert_eq!(raw_body, [sql.body.as_str()], "stored verbatim");
    assert!(app.scalar("SELECT COUNT(*) FROM audit_events").await > total as i64);
    app.services.verify_audit_chain().await.unwrap();
}

/// Everything in the outbox, sent through the fake providers; nothing fails.
pub(crate) async fn deliver_all(app: &TestApp) {
    for _ in 0..20 {
        let d = app.deliver().await;
        assert_eq!((d.failed, d.retried), (0, 0), "{d:?}");
        if d.sent == 0 {
            return;
        }
    }
    panic!("the outbox does not empty");
}

/// The texts of every `<name>` element, unescaped.
pub(crate) fn xml_elements(xml: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    xml.split(&open)
        .skip(1)
        .map(|s| {
            let raw = &s[..s.find(&close).expect("closed")];
            quick_xml::escape::unescape(raw).unwrap().into_owned()
        })
        .collect()
}

/// A well-formed XML 1.0 document: it reads to the end, and holds no character XML forbids.
pub(crate) fn assert_well_formed(xml: &str) {
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed XML: {e}\n{xml}"),
        }
    }
    let bad = xml.chars().find(|c| {
        !matches!(*c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
    });
    assert_eq!(bad, None, "a character XML 1.0 cannot carry: {xml:?}");
}

// ----- refusals -----------------------------------------------------------------------------------

/// The field errors of a problem document, as `field:code`.
pub(crate) fn field_codes(v: &Value) -> Vec<String> {
    v["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|e| {
                    format!(
                        "{}:{}",
                        e["field"].as_str().unwrap_or(""),
                        e["code"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The answers queued for a chat address, oldest first.
pub(crate) async fn chat_answers(app: &TestApp, address: &str) -> Vec<String> {
    app.texts(&format!(
        "SELECT subject || '\n' || body FROM notifications WHERE action = 'chat_reply' AND address = '{address}' ORDER BY id"
    ))
    .await
}

async fn control_characters_are_refused_with_a_field_error_at_every_door(
    app: &TestApp,
    _fake: &FakeProviders,
) {
    let corpus = corpus();
    let s = staff(app).await;
    let key = app
        .services
        .create_open311_key(&tanggap_service::Caller::System, "Aplikasi Warga", None)
        .await
        .unwrap()
        .1;
    let (tid, _) = app
        .submit(crate::common::complaint("Jalan rusak di depan pasar"))
        .await;
    let before = app.scalar("SELECT COUNT(*) FROM reports").await;
    let refused: Vec<&Payload> = corpus
        .iter()
        .filter(|p| refused_anywhere(&p.text))
        .collect();
    assert!(refused.len() >= 7, "the corpus has its control characters");
    for p in &refused {
        let t = p.text.as_str();
        // The API: every text field at once, each named with the rule.
        let r = app
            .anonymous()
            .post("/api/v1/reports")
            .json(&json!({
                "kind": "pengaduan", "title": format!("Judul {t}"),
                "body": format!("Isi laporan yang cukup panjang {t} di sini."),
                "address": format!("Jl. {t}"), "region_code": "33.74",
                "reporter": {"name": format!("Nama {t}")}
            }))
            .send()
            .await
            .unwrap();
        let (status, v) = problem(r).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {v}", p.name);
        let codes = field_codes(&v);
        for field in ["title", "body", "address", "reporter.name"] {
            assert!(
                codes.contains(&format!("{field}:control_characters")),
                "{}: {codes:?}",
                p.name
            );
        }
        // The citizen's form: the page again, the reason next to the fields.
        let r = app
            .anonymous()
            .post("/lapor")
            .multipart(form(&[
                ("aksi", "kirim"),
                ("kind", "pengaduan"),
                ("title", &format!("Judul {t}")),
                (
                    "body",
                    &format!("Isi laporan yang cukup panjang {t} di sini."),
                ),
                ("kabkota", "33.74"),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}", p.name);
        let html = r.text().await.unwrap();
        assert!(html.contains("karakter kendali"), "{}", p.name);
        assert_inert(&format!("/lapor refusing {}", p.name), &html, &corpus);
        // Open311: GeoReport's errors list, one entry per field.
        let r = app
            .anonymous()
            .post("/open311/v2/requests.json")
            .form(&[
                ("api_key", key.as_str()),
                ("service_code", "jalan-jembatan"),
                ("address_id", "33.74"),
                (
                    "description",
                    &format!("Isi laporan yang cukup panjang {t} di sini."),
                ),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{}", p.name);
        let v: Value = r.json().await.unwrap();
        assert!(v.to_string().contains("description: "), "{}: {v}", p.name);
        // A staff action through the API and through the page.
        let r =
            s.op.post(&format!("/api/v1/reports/{tid}/questions"))
                .json(&json!({ "text": format!("Tanya {t}") }))
                .send()
                .await
                .unwrap();
        let (status, v) = problem(r).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {v}", p.name);
        assert!(
            field_codes(&v)
                .iter()
                .all(|c| c.ends_with(":control_characters")),
            "{v}"
        );
        let (status, _, html) = staff_form(
            &s.op,
            &tid,
            &[("aksi", "tanya"), ("text", &format!("Tanya {t}"))],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.name);
        assert!(html.contains("karakter kendali"), "{}", p.name);
    }
    // One-line fields refuse tabs and line breaks too.
    for t in ["Judul\tdengan tab", "Judul\rdengan CR", "Judul\ndua baris"] {
        let mut body = crate::common::complaint(t);
        body["body"] = json!("Isi laporan yang cukup panjang di sini.");
        let r = app
            .anonymous()
            .post("/api/v1/reports")
            .json(&body)
            .send()
            .await
            .unwrap();
        let (status, v) = problem(r).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{t:?}");
        assert_eq!(field_codes(&v), ["title:control_characters"], "{t:?}");
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM reports").await,
        before,
        "nothing refused was stored"
    );
    let r = s.op.report(&tid).await;
    assert_eq!(r["status"], "baru", "no question was asked");

    // Chat: the channel drops control characters from what it received (the citizen cannot
    // retype a message), and the report is filed without them.
    let words: String = refused
        .iter()
        .filter(|p| !p.text.chars().any(is_noncharacter))
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    post_signed_wa(app, &wa_from("6281399900001", "Warga", "wamid.CC1", &words)).await;
    app.run_inbox().await;
    let wa = newest_from(app, "whatsapp").await;
    let body = s.op.report(&wa).await["body"].as_str().unwrap().to_string();
    assert_eq!(body, as_chat(&words));
    assert!(
        !body
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
    );
    // A noncharacter is refused there too, with an answer saying why.
    post_signed_wa(
        app,
        &wa_from(
            "6281399900002",
            "Warga",
            "wamid.CC2",
            "Jalan rusak parah \u{FFFE} di depan pasar",
        ),
    )
    .await;
    app.run_inbox().await;
    let answers = chat_answers(app, "+6281399900002").await;
    assert!(
        answers.len() == 1
            && answers[0].contains("belum dapat kami terima")
            && answers[0].contains("karakter"),
        "{answers:?}"
    );
    // A chat name is the provider's, not typed into the report: one with line breaks and tabs,
    // or longer than a name may be, becomes a name of one line and does not refuse the report.
    post_tg(
        app,
        9101,
        777_101,
        "Sri\nBudi\tSantoso\r",
        "Lampu jalan mati sejak seminggu di gang kami.",
    )
    .await;
    let long_name: String = "Budi Santoso ".repeat(15);
    post_mail(
        app,
        "<cc3@example.id>",
        &format!("\"{long_name}\" <budi.cc@example.id>"),
        "Sampah menumpuk",
        "Sampah menumpuk di pinggir sungai sejak dua minggu.",
    )
    .await;
    app.run_inbox().await;
    let tg = newest_from(app, "telegram").await;
    assert_eq!(
        s.op.report(&tg).await["reporter"]["name"],
        "Sri Budi Santoso"
    );
    let mail = newest_from(app, "email").await;
    let name = s.op.report(&mail).await["reporter"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        name.starts_with("Budi Santoso Budi") && name.chars().count() <= 120,
        "{name}"
    );
}

// ----- exports ------------------------------------------------------------------------------------

const AGENCY: &str = "-2+3+cmd|' /C calc'!A0 <b>Dinas PU</b>";
const HEAD: &str = "=cmd|' /C calc'!A0";
const POSITION: &str = "@SUM(1+1)*cmd|' /C calc'!A0";

pub(crate) async fn csv_rows(c: &Caller, path: &str) -> Vec<Vec<String>> {
    let r = c.get(path).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"),
        "{path}"
    );
    let body = r.text().await.unwrap();
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

async fn bytes(c: &Caller, path: &str) -> Vec<u8> {
    let r = c.get(path).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.bytes().await.unwrap().to_vec()
}

async fn exports_make_formulas_inert_and_keep_every_character(
    app: &TestApp,
    _fake: &FakeProviders,
) {
    let corpus = corpus();
    let note = note(&corpus);
    let chunks = title_chunks(&corpus);
    let s = staff(app).await;
    // The admin names the agency and its head with formulas.
    let agencies: Value = s
        .admin
        .get("/api/v1/agencies")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let dpu = agencies
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "dpu-bmck")
        .unwrap()
        .clone();
    let r = s
        .admin
        .put("/api/v1/agencies/dpu-bmck")
        .json(&json!({
            "name": AGENCY, "kind": dpu["kind"], "parent_id": dpu["parent_id"],
            "region_code": dpu["region_code"], "head_name": HEAD, "head_position": POSITION,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());

    // Reports whose title and text start with each formula, one whose text starts with a tab
    // and a formula (stored trimmed), and one of plain chunks.
    let mut reports: Vec<(String, String, String)> = Vec::new();
    let file = |title: String, body: String| async move {
        let mut r = crate::common::complaint("x");
        r["title"] = json!(title);
        r["body"] = json!(body);
        let (tid, _) = app.submit(r).await;
        (tid, as_line(&title), as_long(&body))
    };
    for lead in chunks.iter() {
        reports.push(file(lead.clone(), format!("{lead}\n{note}")).await);
    }
    reports.push(file("Rumus sesudah tab".into(), format!("\t=1+1\n{note}")).await);
    for (tid, _, _) in &reports {
        dispatch(&s.op, tid).await;
    }
    let dispatched_at = app.now();
    assert!(reports.iter().any(|(_, t, _)| !starts_like_formula(t)));
    assert!(
        reports
            .iter()
            .filter(|(_, _, b)| starts_like_formula(b))
            .count()
            >= 6
    );

    // Open data: CSV cells inert, JSON exact.
    let public = app.anonymous();
    let rows = csv_rows(&public, "/data-terbuka.csv").await;
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (id, title, isi, agency) = (
        col("TrackingID"),
        col("JudulLaporan"),
        col("IsiLaporan"),
        col("DisposisiInstansi"),
    );
    for (tid, t, b) in &reports {
        let row = rows
            .iter()
            .find(|r| &r[id] == tid)
            .unwrap_or_else(|| panic!("{tid} in open data"));
        assert_eq!(row[title], inert(t), "{tid}");
        assert_eq!(row[isi], inert(b), "{tid}");
        assert_eq!(row[agency], inert(AGENCY), "{tid}");
    }
    let json: Value = public
        .get("/data-terbuka.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (tid, t, b) in &reports {
        let row = json
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["TrackingID"] == tid.as_str())
            .unwrap();
        assert_eq!(row["JudulLaporan"].as_str(), Some(t.as_str()));
        assert_eq!(row["IsiLaporan"].as_str(), Some(b.as_str()));
        assert_eq!(row["DisposisiInstansi"].as_str(), Some(AGENCY));
    }

    // The leadership's CSVs.
    let rows = csv_rows(&s.sekda, "/pimpinan.csv?periode=30").await;
    let dpu_row = rows.iter().find(|r| r[0] == "dpu-bmck").unwrap();
    assert_eq!(
        (dpu_row[1].as_str(), dpu_row[2].as_str()),
        (inert(AGENCY).as_str(), inert(HEAD).as_str())
    );
    assert!(
        dpu_row[3..].iter().all(|c| !c.starts_with('\'')),
        "numbers stay numbers: {dpu_row:?}"
    );
    let rows = csv_rows(&s.sekda, "/pimpinan/instansi/dpu-bmck.csv?periode=30").await;
    for (tid, t, _) in &reports {
        let row = rows
            .iter()
            .find(|r| &r[0] == tid)
            .unwrap_or_else(|| panic!("{tid}"));
        assert_eq!(row[1], inert(t), "{tid}");
    }
    // Two days on, every one is lalai: the list names the title, the agency and its head.
    app.advance(chrono::TimeDelta::days(2));
    let rows = csv_rows(&s.sekda, "/pimpinan/lalai.csv?periode=30").await;
    for (tid, t, _) in &reports {
        let row = rows
            .iter()
            .find(|r| &r[0] == tid)
            .unwrap_or_else(|| panic!("{tid} lalai"));
        assert_eq!(
            (row[1].as_str(), row[2].as_str(), row[4].as_str()),
            (
                inert(t).as_str(),
                inert(AGENCY).as_str(),
                inert(HEAD).as_str()
            ),
            "{tid}"
        );
    }

    // The rakor report of the quarter, in every format.
    let local = dispatched_at.with_timezone(&chrono_tz::Asia::Jakarta);
    use chrono::Datelike;
    let quarter = format!("{}-Q{}", local.year(), (local.month() - 1) / 3 + 1);
    let rows = csv_rows(&s.sekda, &format!("/pimpinan/rakor/{quarter}.csv")).await;
    let ranked = rows
        .iter()
        .find(|r| r[0] == "peringkat" && r.get(2).map(String::as_str) == Some("dpu-bmck"))
        .expect("the agency is ranked");
    assert_eq!(
        &ranked[3..6],
        [inert(AGENCY), inert(HEAD), inert(POSITION)],
        "{ranked:?}"
    );
    assert!(
        ranked[6..].iter().all(|c| !c.starts_with('\'')),
        "numbers stay numbers: {ranked:?}"
    );
    let lalai: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[0] == "lalai" && r[1] == "dpu-bmck")
        .collect();
    assert_eq!(lalai.len(), reports.len(), "{rows:?}");
    for r in lalai {
        assert_eq!(
            [r[2].as_str(), r[7].as_str(), r[8].as_str()],
            [
                inert(AGENCY).as_str(),
                inert(HEAD).as_str(),
                inert(POSITION).as_str()
            ]
        );
    }
    let xlsx = bytes(&s.sekda, &format!("/pimpinan/rakor/{quarter}.xlsx")).await;
    assert_xlsx_inert(&xlsx, &[AGENCY, HEAD, POSITION]);
    let pdf = bytes(&s.sekda, &format!("/pimpinan/rakor/{quarter}.pdf")).await;
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    if let Some(text) = pdf_text(app, &pdf) {
        for want in [HEAD, "Dinas PU"] {
            assert!(text.contains(want), "the PDF lacks {want:?}: {text}");
        }
    }
    for path in [
        format!("/pimpinan/rakor/{quarter}.html"),
        format!("/pimpinan/rakor?kuartal={quarter}"),
    ] {
        let html = page(&s.sekda, &path).await;
        assert_inert(&path, &html, &corpus);
        assert!(!html.contains("<b>Dinas PU</b>"), "{path}");
        assert_shows(&path, &html, &[AGENCY, HEAD, POSITION]);
    }
    for path in ["/statistik", "/pimpinan?periode=30"] {
        let c = if path == "/statistik" {
            &public
        } else {
            &s.sekda
        };
        let html = page(c, path).await;
        assert!(!html.contains("<b>Dinas PU</b>"), "{path}");
        assert_shows(path, &html, &[AGENCY]);
    }
}

/// The text of a PDF through poppler's `pdftotext`; `None` (said on stderr) without poppler,
/// unless the browser tests are required (CI installs poppler with Chromium).
fn pdf_text(app: &TestApp, pdf: &[u8]) -> Option<String> {
    let path = app.dir.path().join("rakor.pdf");
    std::fs::write(&path, pdf).unwrap();
    match std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(out) if out.status.success() => Some(String::from_utf8_lossy(&out.stdout).into_owned()),
        other => {
            assert!(
                std::env::var("TANGGAP_REQUIRE_BROWSER").as_deref() != Ok("1"),
                "pdftotext: {other:?}"
            );
            eprintln!("SKIPPED: pdftotext not installed; the PDF's text is not read");
            None
        }
    }
}

/// A part of a zip file, as text.
fn zip_part(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut file = zip.by_name(name).unwrap_or_else(|_| panic!("{name}"));
    let mut s = String::new();
    file.read_to_string(&mut s).unwrap();
    s
}

/// The value of `attr` in an XML start tag.
fn attr<'a>(tag: &'a str, attr: &str) -> Option<&'a str> {
    let key = format!(" {attr}=\"");
    let at = tag.find(&key)? + key.len();
    Some(&tag[at..at + tag[at..].find('"')?])
}

/// The workbook has no formula cell, and every text cell that starts like a formula is marked
/// as text (Excel's "quote prefix", so that editing the cell does not make it a formula); the
/// given texts are all there, exactly.
fn assert_xlsx_inert(xlsx: &[u8], texts: &[&str]) {
    let strings: Vec<String> = zip_part(xlsx, "xl/sharedStrings.xml")
        .split("<si>")
        .skip(1)
        .map(|si| {
            let si = &si[..si.find("</si>").unwrap()];
            si.split("<t")
                .skip(1)
                .map(|t| {
                    let t = &t[t.find('>').unwrap() + 1..];
                    quick_xml::escape::unescape(&t[..t.find("</t>").unwrap()])
                        .unwrap()
                        .into_owned()
                })
                .collect()
        })
        .collect();
    for t in texts {
        assert!(strings.iter().any(|s| s == t), "{t:?} in {strings:?}");
    }
    let styles = zip_part(xlsx, "xl/styles.xml");
    let xfs = &styles[styles.find("<cellXfs").unwrap()..styles.find("</cellXfs>").unwrap()];
    let quoted: Vec<bool> = xfs
        .split("<xf ")
        .skip(1)
        .map(|xf| attr(&format!(" {xf}"), "quotePrefix") == Some("1"))
        .collect();
    let mut formula_like = 0;
    for sheet in 1..=4 {
        let xml = zip_part(xlsx, &format!("xl/worksheets/sheet{sheet}.xml"));
        assert!(
            !xml.contains("<f>") && !xml.contains("<f "),
            "a formula in sheet {sheet}"
        );
        for cell in xml.split("<c ").skip(1) {
            let tag = &cell[..cell.find('>').unwrap()];
            if attr(&format!(" {tag}"), "t") != Some("s") {
                continue;
            }
            let v: usize = cell[cell.find("<v>").unwrap() + 3..cell.find("</v>").unwrap()]
                .parse()
                .unwrap();
            if starts_like_formula(&strings[v]) {
                formula_like += 1;
                let style: usize = attr(&format!(" {tag}"), "s").map_or(0, |s| s.parse().unwrap());
                assert!(
                    quoted[style],
                    "sheet {sheet}: {:?} is not marked as text",
                    strings[v]
                );
            }
        }
    }
    assert!(formula_like >= 3, "the agency, its head and position");
}

// ----- searches and lookups -----------------------------------------------------------------------

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn searches_and_lookups_of_the_corpus_answer_calmly(app: &TestApp, _fake: &FakeProviders) {
    let corpus = corpus();
    let s = staff(app).await;
    let (tid, _) = app
        .submit(crate::common::complaint(
            "'; DROP TABLE reports; -- jalan berlubang",
        ))
        .await;
    dispatch(&s.op, &tid).await;
    let public = app.anonymous();
    for p in &corpus {
        let e = enc(&p.text);
        for (c, path) in [
            (&s.op, format!("/api/v1/reports?q={e}")),
            (&public, format!("/api/v1/reports?q={e}")),
            (&s.op, format!("/meja?q={e}")),
            (&s.op, format!("/meja?status={e}&channel={e}")),
            (&public, format!("/lacak?nomor={e}")),
            (&public, format!("/lacak/{e}")),
            (&public, format!("/open311/v2/requests/{e}.json")),
            (
                &public,
                format!("/open311/v2/requests.xml?service_code={e}&status={e}"),
            ),
            (&public, format!("/?wilayah={e}")),
            (&public, format!("/statistik?kuartal={e}")),
            (&s.sekda, format!("/pimpinan?periode={e}")),
            (&s.sekda, format!("/pimpinan/rakor/{e}.csv")),
            (
                &s.op,
                format!("/api/v1/reports?category={e}&region={e}&agency={e}&kind={e}"),
            ),
            (&public, format!("/api/v1/reports/{e}")),
            (&public, format!("/api/v1/attachments/{e}")),
            (&public, format!("/open311/v2/tokens/{e}.json")),
            (
                &public,
                format!("/open311/v2/requests.json?service_request_id={e}"),
            ),
            (
                &public,
                format!("/open311/v2/requests.json?service_code={e}"),
            ),
            (&s.admin, format!("/data-pribadi?nomor={e}")),
        ] {
            let r = c.get(&path).send().await.unwrap();
            let status = r.status();
            let ct = r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let body = r.text().await.unwrap();
            let what = format!("{} through {path}", p.name);
            assert!(!status.is_server_error(), "{what}: {status}");
            if ct.starts_with("text/html") {
                assert_inert(&what, &body, &corpus);
            }
            if ct.starts_with("text/xml") {
                assert_well_formed(&body);
            }
        }
    }
    // Codes and numbers in bodies: refused as unknown, never a failure.
    for p in &corpus {
        let t = p.text.as_str();
        for (path, body) in [
            (
                format!("/api/v1/reports/{tid}/dispatch"),
                json!({"agencies": [{"agency_id": t, "role": "utama"}]}),
            ),
            (
                format!("/api/v1/reports/{tid}/verify"),
                json!({ "category": t }),
            ),
            (
                format!("/api/v1/reports/{tid}/duplicate"),
                json!({ "master_tracking_id": t }),
            ),
            (
                "/api/v1/reports".to_string(),
                json!({"kind": t, "title": "Jalan rusak", "body": "Jalan rusak di depan pasar sejak lama.",
                       "category": t, "region_code": t, "visibility": [t], "occurred_on": t}),
            ),
        ] {
            let r = s.op.post(&path).json(&body).send().await.unwrap();
            let (status, v) = problem(r).await;
            assert!(
                status.is_client_error(),
                "{} through {path}: {status} {v}",
                p.name
            );
        }
        let r = public
            .post("/lacak/kirim-tautan")
            .form(&[("nomor", t)])
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "{} through /lacak/kirim-tautan",
            p.name
        );
    }
    // Logging in with the corpus as the name and the password: refused like any wrong login
    // (a few of them: each wrong login costs a password hash).
    let logins = ["nul", "noncharacter", "sql-drop"];
    for p in corpus.iter().filter(|p| logins.contains(&p.name)) {
        let r = app
            .anonymous()
            .post("/api/v1/sessions")
            .json(&json!({"username": p.text, "password": p.text}))
            .send()
            .await
            .unwrap();
        let (status, v) = problem(r).await;
        assert!(
            matches!(
                status,
                StatusCode::UNAUTHORIZED | StatusCode::UNPROCESSABLE_ENTITY
            ),
            "{}: {status} {v}",
            p.name
        );
        let login = page(&public, "/masuk").await;
        let token = login
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .map(|s| s[..s.find('"').unwrap()].to_string())
            .unwrap_or_default();
        let r = public
            .post("/masuk")
            .form(&[
                ("csrf", token.as_str()),
                ("username", &p.text),
                ("password", &p.text),
            ])
            .send()
            .await
            .unwrap();
        let status = r.status();
        let html = r.text().await.unwrap();
        assert!(!status.is_server_error(), "{}: /masuk {status}", p.name);
        assert_inert(&format!("/masuk with {}", p.name), &html, &corpus);
    }
    // The search finds the report by its words, SQL or not, on both engines.
    for q in ["DROP TABLE reports", "'; DROP TABLE reports; --"] {
        let v: Value =
            s.op.get(&format!("/api/v1/reports?q={}", enc(q)))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
        assert!(v.to_string().contains(&tid), "{q}: {v}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM reports").await, 1);
}

// ----- in a real browser --------------------------------------------------------------------------

/// Elements the corpus would make if it were markup, and the flag its scripts set.
const INJECTED: &str = "return { \
    pwned: typeof window.__pwned === 'undefined' ? null : window.__pwned, \
    elements: document.querySelectorAll('img[src=\"x\"], iframe, svg, base, meta[http-equiv], style, \
        a[href^=\"javascript:\"], [onerror], [onload], [onfocus], script:not([src])').length, \
    title: document.title };";

/// A report carrying the corpus, opened where the public, the reporter, the desk and the agency
/// read it, in headless Chromium with JavaScript on: no dialog opens, no script of the corpus
/// runs, none of its markup becomes an element, the text is shown as typed, and on a phone the
/// long word does not make the page scroll sideways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_text_runs_nothing_in_a_real_browser() {
    let Some(b) = crate::browser::browser().await else {
        return;
    };
    let app = TestApp::sqlite().await;
    let corpus = corpus();
    let note = note(&corpus);
    let op_pw = crate::browser::user(&app, "ib.operator", Role::Operator, None).await;
    let dpu_pw = crate::browser::user(&app, "ib.dpu", Role::Petugas, Some("dpu-bmck")).await;
    let op = app.staff("ib.operator", Role::Operator, None).await;
    let dpu = app.staff("ib.dpu", Role::Petugas, Some("dpu-bmck")).await;
    // The title with the scripts and the tags that end the title and a textarea, the text with
    // everything.
    let title = ["script", "img-onerror", "title", "textarea"]
        .iter()
        .map(|n| corpus.iter().find(|p| p.name == *n).unwrap().text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(title.chars().count() <= 200);
    let mut report = crate::common::complaint("x");
    report["title"] = json!(title);
    report["body"] = json!(format!("{title}\n{note}"));
    let long_word = corpus
        .iter()
        .find(|p| p.name == "long-word")
        .unwrap()
        .text
        .clone();
    report["address"] = json!(format!("{long_word} {title}"));
    let (tid, secret) = app.submit(report).await;
    // Another whose title is the long word, for the lists.
    let mut report = crate::common::complaint("x");
    report["title"] = json!(long_word);
    let (long, _) = app.submit(report).await;
    op.act(
        &format!("/api/v1/reports/{long}/dispatch"),
        json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}]}),
    )
    .await;
    op.act(
        &format!("/api/v1/reports/{tid}/dispatch"),
        json!({"agencies": [{"agency_id": "dpu-bmck", "role": "utama"}], "note": note, "note_public": true}),
    )
    .await;
    dpu.act(
        &format!("/api/v1/reports/{tid}/messages"),
        json!({ "text": note }),
    )
    .await;
    let shown_title = as_line(&title);

    check(&b, &app, &format!("/lacak/{tid}"), &shown_title).await;
    check(
        &b,
        &app,
        &format!("/lacak/{tid}?kunci={secret}"),
        &shown_title,
    )
    .await;
    b.login(&app, "ib.operator", &op_pw).await;
    check(&b, &app, "/meja?status=semua", &shown_title).await;
    check(&b, &app, &format!("/kelola/{tid}"), &shown_title).await;
    // The verification form holds the text as typed, ready to send back unchanged.
    let v = b
        .client
        .execute("return [document.getElementById('v-title').value, document.getElementById('v-body').value];", vec![])
        .await
        .unwrap();
    assert_eq!(v[0].as_str(), Some(shown_title.as_str()));
    // (HTML reads a carriage return in a textarea as a line break.)
    let typed = as_long(&format!("{title}\n{note}"))
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    assert_eq!(v[1].as_str(), Some(typed.as_str()));
    b.login(&app, "ib.dpu", &dpu_pw).await;
    check(&b, &app, "/instansi", &shown_title).await;
    check(&b, &app, &format!("/kelola/{tid}"), &shown_title).await;
    // Names an admin gives: the category named with the scripts, on the admin page and the
    // citizen's form.
    let admin_pw = crate::browser::user(&app, "ib.admin", Role::Admin, None).await;
    let admin = app.staff("ib.admin", Role::Admin, None).await;
    let r = admin
        .put("/api/v1/categories/jalan-jembatan")
        .json(&json!({"name_id": title, "name_en": title, "default_agency_id": "dpu-bmck", "needs_field_check": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    b.login(&app, "ib.admin", &admin_pw).await;
    check(&b, &app, "/admin", &shown_title).await;
    b.client.delete_all_cookies().await.unwrap();
    check(&b, &app, "/?wilayah=33.74", &shown_title).await;
    check(&b, &app, "/lapor", &shown_title).await;
    app.finish().await;
    b.finish().await;
}

/// One page in the browser: no dialog, no script or element of the corpus, the text shown as
/// typed, nothing wider than a phone.
async fn check(b: &crate::browser::Browser, app: &TestApp, path: &str, shown_title: &str) {
    b.go(&app.url(path)).await;
    assert!(
        b.client.get_alert_text().await.is_err(),
        "a dialog opened on {path}"
    );
    let v = b.client.execute(INJECTED, vec![]).await.unwrap();
    assert_eq!(
        v["pwned"],
        Value::Null,
        "a script of the corpus ran on {path}"
    );
    assert_eq!(
        v["elements"], 0,
        "markup of the corpus became elements on {path}"
    );
    let text = b.page_text().await;
    assert!(
        text.contains("<script>window.__pwned=1</script>"),
        "{path} does not show the script as text"
    );
    if path.contains("/lacak/") || path.contains("/kelola/") {
        assert!(
            v["title"].as_str().unwrap().contains(shown_title),
            "the window's title shows the text: {}",
            v["title"]
        );
        // What is shown is what was typed (the heading's text, as the DOM has it).
        let shown = b
            .client
            .execute("return document.querySelector('h1').textContent;", vec![])
            .await
            .unwrap();
        assert_eq!(shown.as_str(), Some(shown_title), "{path}");
    }
    b.phone(true).await;
    let wide = b.overflow_x().await;
    b.phone(false).await;
    assert!(
        wide <= 0.0,
        "{path} scrolls sideways on a phone by {wide} px"
    );
}
