//! The quarterly rakor report as files: CSV (one table per section, the section named in the
//! first column, so that a spreadsheet can filter it) for now. The figures are those of
//! `Services::compliance` (SPEC section 6), whose definitions the report prints first.

use crate::spreadsheet::inert;
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
        "penyelesaian_tepat_target",
        "Disposisi triwulan ini yang dituntaskan dalam target penyelesaian (informasi/aspirasi 5 hari kerja, pengaduan 14, dengan cek lapangan 60), dinilai dari waktu kerja yang terpakai; waktu menunggu jawaban pelapor tidak dihitung.",
    ),
    (
        "penyelesaian_terlambat",
        "Disposisi yang dituntaskan sesudah waktu kerja targetnya habis.",
    ),
    (
        "belum_selesai_lewat_target",
        "Disposisi yang belum tuntas dan waktu kerja targetnya sudah habis pada saat laporan dibuat.",
    ),
    (
        "penyelesaian_tepat_target_persen",
        "penyelesaian_tepat_target / (penyelesaian_tepat_target + penyelesaian_terlambat + belum_selesai_lewat_target) x 100; yang belum tuntas dan masih dalam target tidak dihitung.",
    ),
    (
        "dibuka_kembali_persen",
        "Disposisi yang dibuka kembali oleh pelapor / disposisi yang pernah dituntaskan x 100.",
    ),
    (
        "kepuasan_rata_rata",
        "Rata-rata penilaian pelapor (1-5) atas laporan yang instansi ini tangani sebagai instansi utama.",
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

/// A mean rating on the 1-5 scale, one decimal; empty without ratings.
pub(crate) fn satisfaction(v: Option<f64>) -> String {
    v.map_or_else(String::new, |v| format!("{v:.1}"))
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

/// The report as CSV (RFC 4180, by the `csv` crate). Names typed by people (agencies, heads,
/// positions) are made inert where a spreadsheet would run them (`crate::spreadsheet`).
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
        "penyelesaian_tepat_target",
        "penyelesaian_terlambat",
        "belum_selesai_lewat_target",
        "penyelesaian_tepat_target_persen",
        "dibuka_kembali_persen",
        "kepuasan_rata_rata",
    ])?;
    let v = RakorView::new(r);
    for x in &v.rows {
        w.write_record([
            "peringkat".to_string(),
            x.rank.to_string(),
            x.agency_id.clone(),
            inert(x.agency.as_str()),
            inert(x.head.as_str()),
            inert(x.position.as_str()),
            x.received.to_string(),
            x.on_time.to_string(),
            x.late.to_string(),
            x.unresponded_overdue.to_string(),
            x.not_yet_due.to_string(),
            x.cancelled.to_string(),
            x.lalai.to_string(),
            x.compliance.clone(),
            x.previous.clone(),
            x.change.clone(),
            x.median.clone(),
            x.p90.clone(),
            x.evidence.clone(),
            x.completion_on_target.to_string(),
            x.completion_late.to_string(),
            x.completion_open_overdue.to_string(),
            x.completion.clone(),
            x.reopened.clone(),
            x.satisfaction.clone(),
        ])?;
    }
    let t = &v.total;
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
        &t.lalai.to_string(),
        &t.compliance,
        &t.previous,
        &t.change,
        &t.median,
        &t.p90,
        "",
        &t.completion_on_target.to_string(),
        &t.completion_late.to_string(),
        &t.completion_open_overdue.to_string(),
        &t.completion,
        &t.reopened,
        &t.satisfaction,
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
            inert(name_of(c, &l.agency_id)),
            l.tracking_id.clone(),
            time(r, &l.started_at),
            time(r, &l.due_at),
            l.responded_at
                .map_or_else(|| "belum".to_string(), |t| time(r, &t)),
            inert(l.head.as_ref().map(|h| h.name.clone()).unwrap_or_default()),
            inert(
                l.head
                    .as_ref()
                    .and_then(|h| h.position.clone())
                    .unwrap_or_default(),
            ),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// One bar of the chart: an agency's compliance this quarter and the quarter before.
#[derive(Debug, Clone)]
pub struct ChartBar {
    pub label: String,
    pub y: u32,
    /// Bar widths in the chart's units (100 = 100 %); `None`: nothing was due.
    pub now: Option<u32>,
    pub before: Option<u32>,
    pub value: String,
}

/// One line of the ranking, formatted as every format prints it.
#[derive(Debug, Clone)]
pub struct RankRow {
    pub rank: usize,
    pub agency_id: String,
    pub agency: String,
    pub head: String,
    pub position: String,
    pub received: u64,
    pub on_time: u64,
    pub late: u64,
    pub unresponded_overdue: u64,
    pub not_yet_due: u64,
    pub cancelled: u64,
    pub lalai: u64,
    pub compliance: String,
    pub previous: String,
    pub change: String,
    pub median: String,
    pub p90: String,
    /// `hijau`, `kuning`, `merah`, or empty when nothing was due: the leadership dashboard's
    /// badge ([`rag`]).
    pub rag: &'static str,
    /// The tracking IDs of its lalai obligations, space-separated.
    pub evidence: String,
    pub completion_on_target: u64,
    pub completion_late: u64,
    pub completion_open_overdue: u64,
    /// Completion within target, percent (empty when nothing was judged).
    pub completion: String,
    /// Reopened after finishing, percent of the finished (empty when none was finished).
    pub reopened: String,
    /// The reporters' mean rating, 1-5 with one decimal (empty without ratings).
    pub satisfaction: String,
}

/// One obligation of the lalai list, the evidence.
#[derive(Debug, Clone)]
pub struct LalaiRow {
    pub tracking_id: String,
    pub started: String,
    pub due: String,
    pub responded: String,
    pub head: String,
    pub position: String,
}

/// An agency that did not respond within 1×24 h, with its evidence.
#[derive(Debug, Clone)]
pub struct LalaiGroup {
    pub agency_id: String,
    pub agency: String,
    pub items: Vec<LalaiRow>,
}

/// The report prepared for the page and the HTML document.
#[derive(Debug, Clone)]
pub struct RakorView {
    pub quarter: String,
    pub previous_quarter: String,
    pub from: String,
    pub to: String,
    pub made_at: String,
    pub tz: String,
    pub audit_seq: String,
    pub audit_hash: String,
    pub definitions: &'static [(&'static str, &'static str)],
    pub rows: Vec<RankRow>,
    pub total: RankRow,
    pub lalai: Vec<LalaiGroup>,
    pub bars: Vec<ChartBar>,
    pub chart_height: u32,
}

/// Red, yellow or green: the leadership dashboard's badge, named in Indonesian.
pub fn rag(f: &tanggap_domain::compliance::AgencyFigures) -> &'static str {
    match crate::ui::dashboards::badge(f) {
        "b-red" => "merah",
        "b-amber" => "kuning",
        "b-green" => "hijau",
        _ => "",
    }
}

fn rank_row(
    rank: usize,
    id: &str,
    name: &str,
    head: Option<&tanggap_service::compliance::Head>,
    f: &tanggap_domain::compliance::AgencyFigures,
    before: Option<f64>,
) -> RankRow {
    let now = f.compliance();
    RankRow {
        rank,
        agency_id: id.to_string(),
        agency: name.to_string(),
        head: head.map(|h| h.name.clone()).unwrap_or_default(),
        position: head.and_then(|h| h.position.clone()).unwrap_or_default(),
        received: f.received,
        on_time: f.on_time,
        late: f.late,
        unresponded_overdue: f.unresponded_overdue,
        not_yet_due: f.not_yet_due,
        cancelled: f.cancelled,
        lalai: f.lalai(),
        compliance: percent(now),
        previous: percent(before),
        change: now
            .zip(before)
            .map_or_else(String::new, |(n, b)| format!("{:+.1}", (n - b) * 100.0)),
        median: hours(f.median_response),
        p90: hours(f.p90_response),
        rag: rag(f),
        evidence: f.lalai_tracking_ids.join(" "),
        completion_on_target: f.completion_on_target,
        completion_late: f.completion_late,
        completion_open_overdue: f.completion_open_overdue,
        completion: percent(f.completion_rate()),
        reopened: percent(f.reopened_rate()),
        satisfaction: satisfaction(f.satisfaction()),
    }
}

/// Row height of the chart, in its units.
const BAR_ROW: u32 = 26;

impl RakorView {
    pub fn new(r: &QuarterlyReport) -> RakorView {
        let c = &r.current;
        let ranking = ranked(c);
        let rows: Vec<RankRow> = ranking
            .iter()
            .enumerate()
            .map(|(i, a)| {
                rank_row(
                    i + 1,
                    &a.agency_id,
                    &a.name,
                    a.head.as_ref(),
                    &a.figures,
                    r.previous_compliance(&a.agency_id),
                )
            })
            .collect();
        let total = rank_row(
            0,
            "",
            "Semua instansi",
            None,
            &c.total,
            r.previous.total.compliance(),
        );
        let mut lalai: Vec<LalaiGroup> = Vec::new();
        // Grouped in the ranking's order, worst last there, so most lalai agencies come first
        // here: the list the meeting reads out.
        let mut order: Vec<&RankRow> = rows.iter().filter(|x| x.lalai > 0).collect();
        order.sort_by(|a, b| b.lalai.cmp(&a.lalai).then(a.agency.cmp(&b.agency)));
        for row in order {
            let items: Vec<LalaiRow> = c
                .lalai
                .iter()
                .filter(|l| l.agency_id == row.agency_id)
                .map(|l| LalaiRow {
                    tracking_id: l.tracking_id.clone(),
                    started: time(r, &l.started_at),
                    due: time(r, &l.due_at),
                    responded: l
                        .responded_at
                        .map_or_else(|| "belum".to_string(), |t| time(r, &t)),
                    head: l.head.as_ref().map(|h| h.name.clone()).unwrap_or_default(),
                    position: l
                        .head
                        .as_ref()
                        .and_then(|h| h.position.clone())
                        .unwrap_or_default(),
                })
                .collect();
            lalai.push(LalaiGroup {
                agency_id: row.agency_id.clone(),
                agency: row.agency.clone(),
                items,
            });
        }
        let width = |v: Option<f64>| v.map(|v| (v * 100.0).round().clamp(0.0, 100.0) as u32);
        let bars: Vec<ChartBar> = ranking
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let now = a.figures.compliance();
                let before = r.previous_compliance(&a.agency_id);
                let mut label: String = a.name.chars().take(38).collect();
                if a.name.chars().count() > 38 {
                    label.push('…');
                }
                ChartBar {
                    label,
                    y: i as u32 * BAR_ROW,
                    now: width(now),
                    before: width(before),
                    value: now.map_or_else(|| "—".to_string(), |v| format!("{:.1} %", v * 100.0)),
                }
            })
            .collect();
        let (seq, hash) = r
            .audit_head
            .as_ref()
            .map_or((String::new(), String::new()), |(s, h)| {
                (s.to_string(), h.clone())
            });
        RakorView {
            quarter: r.quarter.clone(),
            previous_quarter: r
                .previous
                .period
                .quarter_name()
                .unwrap_or_else(|| r.previous.period.from.to_string()),
            from: c.period.from.to_string(),
            to: c.period.to.to_string(),
            made_at: time(r, &r.made_at),
            tz: r.tz.name().to_string(),
            audit_seq: seq,
            audit_hash: hash,
            definitions: DEFINITIONS,
            chart_height: bars.len() as u32 * BAR_ROW + 30,
            rows,
            total,
            lalai,
            bars,
        }
    }
}

#[derive(askama::Template)]
#[template(path = "rakor.html")]
struct RakorDocument<'a> {
    v: &'a RakorView,
}

/// The report as one printable HTML document (A4, no script, the chart as inline SVG).
pub fn html(r: &QuarterlyReport) -> Result<String, askama::Error> {
    use askama::Template;
    RakorDocument {
        v: &RakorView::new(r),
    }
    .render()
}

/// The files the report is made as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Html,
    Pdf,
    Csv,
    Xlsx,
}

impl FileFormat {
    pub const ALL: [FileFormat; 4] = [
        FileFormat::Html,
        FileFormat::Pdf,
        FileFormat::Csv,
        FileFormat::Xlsx,
    ];

    pub fn parse(s: &str) -> Option<FileFormat> {
        FileFormat::ALL
            .into_iter()
            .find(|f| f.extension().eq_ignore_ascii_case(s.trim()))
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Html => "html",
            FileFormat::Pdf => "pdf",
            FileFormat::Csv => "csv",
            FileFormat::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            FileFormat::Html => "text/html; charset=utf-8",
            FileFormat::Pdf => "application/pdf",
            FileFormat::Csv => "text/csv; charset=utf-8",
            FileFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// The report as a file of the given format: the one renderer the command line and the pages
/// call.
pub fn render(r: &QuarterlyReport, format: FileFormat) -> Result<Vec<u8>, String> {
    match format {
        FileFormat::Html => html(r).map(String::into_bytes).map_err(|e| e.to_string()),
        FileFormat::Csv => csv(r).map(String::into_bytes).map_err(|e| e.to_string()),
        FileFormat::Pdf => crate::rakor_pdf::pdf(r).map_err(|e| e.to_string()),
        FileFormat::Xlsx => crate::rakor_xlsx::xlsx(r).map_err(|e| e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rakor_pdf::tests::sample;

    /// An agency, its head and position named with formulas, as an administrator could type
    /// them: every such cell of the CSV starts with an apostrophe; figures stay numbers.
    #[test]
    fn csv_makes_typed_names_inert() {
        let mut r = sample();
        let a = &mut r.current.agencies[0];
        a.name = "=cmd|' /C calc'!A0".into();
        let h = a.head.as_mut().unwrap();
        h.name = "@SUM(1+1)*cmd|' /C calc'!A0".into();
        h.position = Some("-2+3+cmd|' /C calc'!A0".into());
        let id = a.agency_id.clone();
        for l in r.current.lalai.iter_mut().filter(|l| l.agency_id == id) {
            let h = l.head.as_mut().unwrap();
            h.name = "+HYPERLINK(\"https://jahat.example\")".into();
        }
        let text = csv(&r).unwrap();
        let rows: Vec<Vec<String>> = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        let ranked = rows
            .iter()
            .find(|r| r[0] == "peringkat" && r[2] == id)
            .unwrap();
        assert_eq!(
            &ranked[3..6],
            [
                "'=cmd|' /C calc'!A0",
                "'@SUM(1+1)*cmd|' /C calc'!A0",
                "'-2+3+cmd|' /C calc'!A0"
            ]
        );
        let lalai: Vec<&Vec<String>> = rows
            .iter()
            .filter(|r| r[0] == "lalai" && r[1] == id)
            .collect();
        assert!(!lalai.is_empty());
        for l in lalai {
            assert_eq!(l[2], "'=cmd|' /C calc'!A0");
            assert_eq!(l[7], "'+HYPERLINK(\"https://jahat.example\")");
        }
        // A change of points is a signed number, written as one.
        let dpu = rows
            .iter()
            .find(|r| r[0] == "peringkat" && r[2] == "dpu-bm")
            .unwrap();
        assert_eq!(dpu[15], "+10.0");
    }
}
