//! The quarterly rakor report as files: CSV (one table per section, the section named in the
//! first column, so that a spreadsheet can filter it) for now. The figures are those of
//! `Services::compliance` (SPEC section 6), whose definitions the report prints first.

use chrono::{DateTime, Utc};
use tanggap_service::compliance::{AgencyLine, Compliance};
use tanggap_service::rakor::QuarterlyReport;

/// The definitions, as printed on the report (SPEC section 6).
pub const DEFINITIONS: &[(&str, &str)] = &[
    (
        "kewajiban_respons",
        "Satu instansi, satu siklus: dihitung pada kuartal saat kewajiban dimulai (disposisi, penerusan, atau pembukaan kembali), tanggal dalam zona waktu kebijakan.",
    ),
    (
        "tepat_waktu",
        "Respons pertama pada atau sebelum tenggat 1x24 jam.",
    ),
    ("terlambat", "Respons pertama sesudah tenggat."),
    (
        "belum_direspons_lewat_tenggat",
        "Belum ada respons dan tenggat sudah lewat pada saat laporan dibuat.",
    ),
    (
        "belum_jatuh_tempo",
        "Belum ada respons, tenggat belum lewat: tidak dihitung dalam persentase.",
    ),
    (
        "dibatalkan",
        "Laporan berakhir sebelum tenggat instansi: tidak dihitung dalam persentase.",
    ),
    ("lalai", "terlambat + belum_direspons_lewat_tenggat."),
    (
        "kepatuhan_persen",
        "tepat_waktu / (tepat_waktu + terlambat + belum_direspons_lewat_tenggat) x 100.",
    ),
    (
        "kepala",
        "Kepala instansi yang menjabat pada tenggat kewajiban (untuk peringkat: pada akhir kuartal atau saat laporan dibuat).",
    ),
];

pub(crate) fn time(r: &QuarterlyReport, t: &DateTime<Utc>) -> String {
    t.with_timezone(&r.tz).format("%Y-%m-%d %H:%M").to_string()
}

pub(crate) fn percent(v: Option<f64>) -> String {
    v.map_or_else(String::new, |v| format!("{:.1}", v * 100.0))
}

pub(crate) fn hours(d: Option<chrono::TimeDelta>) -> String {
    d.map_or_else(String::new, |d| {
        format!("{:.1}", d.num_seconds() as f64 / 3600.0)
    })
}

pub(crate) fn name_of<'a>(c: &'a Compliance, agency_id: &'a str) -> &'a str {
    c.agencies
        .iter()
        .find(|a| a.agency_id == agency_id)
        .map_or(agency_id, |a| a.name.as_str())
}

fn ranking_row(r: &QuarterlyReport, rank: usize, a: &AgencyLine) -> Vec<String> {
    let f = &a.figures;
    let now = f.compliance();
    let before = r.previous_compliance(&a.agency_id);
    let change = now
        .zip(before)
        .map_or_else(String::new, |(n, b)| format!("{:+.1}", (n - b) * 100.0));
    vec![
        "peringkat".into(),
        rank.to_string(),
        a.agency_id.clone(),
        a.name.clone(),
        a.head.as_ref().map(|h| h.name.clone()).unwrap_or_default(),
        a.head
            .as_ref()
            .and_then(|h| h.position.clone())
            .unwrap_or_default(),
        f.received.to_string(),
        f.on_time.to_string(),
        f.late.to_string(),
        f.unresponded_overdue.to_string(),
        f.not_yet_due.to_string(),
        f.cancelled.to_string(),
        f.lalai().to_string(),
        percent(now),
        percent(before),
        change,
        hours(f.median_response),
        hours(f.p90_response),
        f.lalai_tracking_ids.join(" "),
    ]
}

/// The ranking every format prints: best first (highest compliance, then fewest lalai, then by
/// name); agencies with nothing due yet come last.
pub fn ranked(c: &Compliance) -> Vec<&AgencyLine> {
    let mut ranked: Vec<&AgencyLine> = c.agencies.iter().collect();
    ranked.sort_by(|a, b| {
        let (ca, cb) = (a.figures.compliance(), b.figures.compliance());
        cb.is_some()
            .cmp(&ca.is_some())
            .then(cb.unwrap_or(0.0).total_cmp(&ca.unwrap_or(0.0)))
            .then(a.figures.lalai().cmp(&b.figures.lalai()))
            .then(a.name.cmp(&b.name))
    });
    ranked
}

/// The report as CSV (RFC 4180, by the `csv` crate).
pub fn csv(r: &QuarterlyReport) -> Result<String, csv::Error> {
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(vec![]);
    let c = &r.current;
    w.write_record([
        "laporan",
        "Laporan akuntabilitas triwulanan (rakor)",
        &r.quarter,
        &c.period.from.to_string(),
        &c.period.to.to_string(),
        &format!("dibuat {}", time(r, &r.made_at)),
        r.tz.name(),
    ])?;
    let (seq, hash) = r
        .audit_head
        .as_ref()
        .map_or((String::new(), String::new()), |(s, h)| {
            (s.to_string(), h.clone())
        });
    w.write_record(["jejak_audit", "urutan_terakhir", &seq, "hash", &hash])?;
    for (term, meaning) in DEFINITIONS {
        w.write_record(["definisi", term, meaning])?;
    }
    w.write_record([
        "bagian",
        "peringkat",
        "instansi_id",
        "instansi",
        "kepala",
        "jabatan",
        "diterima",
        "tepat_waktu",
        "terlambat",
        "belum_direspons_lewat_tenggat",
        "belum_jatuh_tempo",
        "dibatalkan",
        "lalai",
        "kepatuhan_persen",
        "kepatuhan_kuartal_lalu_persen",
        "perubahan_poin",
        "median_respons_jam",
        "p90_respons_jam",
        "nomor_laporan_lalai",
    ])?;
    for (i, a) in ranked(c).iter().enumerate() {
        w.write_record(ranking_row(r, i + 1, a))?;
    }
    let t = &c.total;
    w.write_record([
        "jumlah",
        "",
        "",
        "Semua instansi",
        "",
        "",
        &t.received.to_string(),
        &t.on_time.to_string(),
        &t.late.to_string(),
        &t.unresponded_overdue.to_string(),
        &t.not_yet_due.to_string(),
        &t.cancelled.to_string(),
        &t.lalai().to_string(),
        &percent(t.compliance()),
        &percent(r.previous.total.compliance()),
    ])?;
    w.write_record([
        "bagian",
        "instansi_id",
        "instansi",
        "nomor_laporan",
        "mulai",
        "tenggat",
        "direspons",
        "kepala_saat_tenggat",
        "jabatan",
    ])?;
    for l in &c.lalai {
        w.write_record([
            "lalai".to_string(),
            l.agency_id.clone(),
            name_of(c, &l.agency_id).to_string(),
            l.tracking_id.clone(),
            time(r, &l.started_at),
            time(r, &l.due_at),
            l.responded_at
                .map_or_else(|| "belum".to_string(), |t| time(r, &t)),
            l.head.as_ref().map(|h| h.name.clone()).unwrap_or_default(),
            l.head
                .as_ref()
                .and_then(|h| h.position.clone())
                .unwrap_or_default(),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
