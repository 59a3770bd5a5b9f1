//! The quarterly rakor report as an Excel workbook (rust_xlsxwriter): the same content as the CSV
//! of `crate::rakor`, with numbers as numbers, percentages as fractions shown with a `%` format,
//! times as Excel date-times in the policy's time zone, and a native bar chart of response
//! compliance against the quarter before. Names typed by people are marked as text where they
//! start like a formula (`crate::spreadsheet`).

use crate::rakor::{DEFINITIONS, name_of, ranked, time};
pub use crate::rakor_pdf::RakorFileError;
use crate::spreadsheet::write_text;
use chrono::{DateTime, Datelike, Timelike, Utc};
use rust_xlsxwriter::{
    Chart, ChartLegendPosition, ChartType, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet,
    XlsxError,
};
use tanggap_domain::compliance::AgencyFigures;
use tanggap_service::rakor::QuarterlyReport;

const TITLE: &str = "Laporan akuntabilitas triwulanan (rakor)";

/// The ranking sheet's columns: title and width (characters).
const RANKING_COLUMNS: &[(&str, f64)] = &[
    ("Peringkat", 10.0),
    ("Instansi ID", 14.0),
    ("Instansi", 36.0),
    ("Kepala", 24.0),
    ("Jabatan", 24.0),
    ("Diterima", 10.0),
    ("Tepat waktu", 11.0),
    ("Terlambat", 10.0),
    ("Belum direspons lewat tenggat", 14.0),
    ("Belum jatuh tempo", 11.0),
    ("Dibatalkan", 11.0),
    ("Lalai", 8.0),
    ("Kepatuhan", 11.0),
    ("Kepatuhan triwulan lalu", 12.0),
    ("Perubahan (poin)", 11.0),
    ("Median respons (jam)", 11.0),
    ("P90 respons (jam)", 11.0),
    ("Selesai tepat target", 11.0),
    ("Selesai terlambat", 11.0),
    ("Belum selesai, lewat target", 12.0),
    ("Selesai tepat target (%)", 12.0),
    ("Dibuka kembali (%)", 11.0),
    ("Kepuasan (1–5)", 10.0),
];
/// Where the ranking's compliance columns are (zero-based), for the chart.
const COMPLIANCE_COL: u16 = 12;
const PREVIOUS_COL: u16 = 13;
/// Where the completion and outcome columns start (zero-based).
const COMPLETION_COL: u16 = 17;

/// The report as an XLSX workbook.
pub fn xlsx(r: &QuarterlyReport) -> Result<Vec<u8>, RakorFileError> {
    let mut workbook = Workbook::new();
    summary(workbook.add_worksheet(), r)?;
    let agencies = ranking(workbook.add_worksheet(), r)?;
    lalai(workbook.add_worksheet(), r)?;
    chart(workbook.add_worksheet(), r, agencies)?;
    Ok(workbook.save_to_buffer()?)
}

fn bold() -> Format {
    Format::new().set_bold()
}

fn header() -> Format {
    Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_background_color(0xDDE3EC)
}

fn summary(ws: &mut Worksheet, r: &QuarterlyReport) -> Result<(), XlsxError> {
    ws.set_name("Ringkasan")?;
    ws.set_column_width(0, 30)?;
    ws.set_column_width(1, 100)?;
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let c = &r.current;
    ws.write_string_with_format(0, 0, TITLE, &bold().set_font_size(14))?;
    let mut row = 2;
    let mut line = |ws: &mut Worksheet, label: &str, value: String| -> Result<(), XlsxError> {
        ws.write_string_with_format(row, 0, label, &bold())?;
        ws.write_string_with_format(row, 1, value, &wrap)?;
        row += 1;
        Ok(())
    };
    line(ws, "Triwulan", r.quarter.clone())?;
    line(
        ws,
        "Periode",
        format!("{} s.d. {}", c.period.from, c.period.to),
    )?;
    line(ws, "Dibuat", time(r, &r.made_at))?;
    line(ws, "Zona waktu", r.tz.name().to_string())?;
    let (seq, hash) = r
        .audit_head
        .as_ref()
        .map_or((String::new(), String::new()), |(s, h)| {
            (s.to_string(), h.clone())
        });
    line(ws, "Jejak audit: urutan terakhir", seq)?;
    line(ws, "Jejak audit: hash", hash)?;
    line(
        ws,
        "Memeriksa jejak audit",
        "Jalankan perintah “tanggap audit verify”: rantai jejak audit harus utuh dan memuat urutan serta hash di atas.".into(),
    )?;
    row += 1;
    ws.write_string_with_format(row, 0, "Definisi", &bold().set_font_size(12))?;
    row += 1;
    for (term, meaning) in DEFINITIONS {
        ws.write_string_with_format(row, 0, *term, &bold().set_align(FormatAlign::Top))?;
        ws.write_string_with_format(row, 1, *meaning, &wrap)?;
        row += 1;
    }
    Ok(())
}

/// Writes the ranking; returns how many agencies it lists.
fn ranking(ws: &mut Worksheet, r: &QuarterlyReport) -> Result<u32, XlsxError> {
    ws.set_name("Peringkat")?;
    let head = header();
    for (col, (title, width)) in RANKING_COLUMNS.iter().enumerate() {
        let col = col as u16;
        ws.write_string_with_format(0, col, *title, &head)?;
        ws.set_column_width(col, *width)?;
    }
    ws.set_row_height(0, 45)?;
    let pct = Format::new().set_num_format("0.0%");
    let one = Format::new().set_num_format("0.0");
    let change = Format::new().set_num_format("+0.0;-0.0;0.0");
    let lines = ranked(&r.current);
    for (i, a) in lines.iter().enumerate() {
        let row = i as u32 + 1;
        let f = &a.figures;
        ws.write_number(row, 0, (i + 1) as f64)?;
        ws.write_string(row, 1, &a.agency_id)?;
        write_text(ws, row, 2, &a.name)?;
        if let Some(h) = &a.head {
            write_text(ws, row, 3, &h.name)?;
            if let Some(p) = &h.position {
                write_text(ws, row, 4, p)?;
            }
        }
        let counts = [
            f.received,
            f.on_time,
            f.late,
            f.unresponded_overdue,
            f.not_yet_due,
            f.cancelled,
            f.lalai(),
        ];
        for (k, n) in counts.iter().enumerate() {
            ws.write_number(row, 5 + k as u16, *n as f64)?;
        }
        let now = f.compliance();
        let before = r.previous_compliance(&a.agency_id);
        if let Some(v) = now {
            ws.write_number_with_format(row, COMPLIANCE_COL, v, &pct)?;
        }
        if let Some(v) = before {
            ws.write_number_with_format(row, PREVIOUS_COL, v, &pct)?;
        }
        if let Some((n, b)) = now.zip(before) {
            ws.write_number_with_format(row, 14, (n - b) * 100.0, &change)?;
        }
        for (k, d) in [f.median_response, f.p90_response].iter().enumerate() {
            if let Some(d) = d {
                ws.write_number_with_format(
                    row,
                    15 + k as u16,
                    d.num_seconds() as f64 / 3600.0,
                    &one,
                )?;
            }
        }
        outcomes(ws, row, f, false)?;
    }
    let n = lines.len() as u32;
    // The total below the filtered range, so that filtering leaves it in place.
    let total_row = n + 2;
    let t = &r.current.total;
    ws.write_string_with_format(total_row, 2, "Semua instansi", &bold())?;
    let counts = [
        t.received,
        t.on_time,
        t.late,
        t.unresponded_overdue,
        t.not_yet_due,
        t.cancelled,
        t.lalai(),
    ];
    for (k, v) in counts.iter().enumerate() {
        ws.write_number_with_format(total_row, 5 + k as u16, *v as f64, &bold())?;
    }
    if let Some(v) = t.compliance() {
        ws.write_number_with_format(total_row, COMPLIANCE_COL, v, &pct.clone().set_bold())?;
    }
    if let Some(v) = r.previous.total.compliance() {
        ws.write_number_with_format(total_row, PREVIOUS_COL, v, &pct.set_bold())?;
    }
    outcomes(ws, total_row, t, true)?;
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, n.max(1), RANKING_COLUMNS.len() as u16 - 1)?;
    Ok(n)
}

/// Completion within target, reopened and satisfaction: counts, then rates (empty when there
/// is nothing to divide by, as in the CSV).
fn outcomes(ws: &mut Worksheet, row: u32, f: &AgencyFigures, bold: bool) -> Result<(), XlsxError> {
    let style = |f: Format| if bold { f.set_bold() } else { f };
    let counts = [
        f.completion_on_target,
        f.completion_late,
        f.completion_open_overdue,
    ];
    for (k, n) in counts.iter().enumerate() {
        ws.write_number_with_format(
            row,
            COMPLETION_COL + k as u16,
            *n as f64,
            &style(Format::new()),
        )?;
    }
    let pct = style(Format::new().set_num_format("0.0%"));
    if let Some(v) = f.completion_rate() {
        ws.write_number_with_format(row, COMPLETION_COL + 3, v, &pct)?;
    }
    if let Some(v) = f.reopened_rate() {
        ws.write_number_with_format(row, COMPLETION_COL + 4, v, &pct)?;
    }
    if let Some(v) = f.satisfaction() {
        ws.write_number_with_format(
            row,
            COMPLETION_COL + 5,
            v,
            &style(Format::new().set_num_format("0.0")),
        )?;
    }
    Ok(())
}

fn lalai(ws: &mut Worksheet, r: &QuarterlyReport) -> Result<(), XlsxError> {
    ws.set_name("Lalai")?;
    let head = header();
    let columns: &[(&str, f64)] = &[
        ("Instansi ID", 14.0),
        ("Instansi", 36.0),
        ("Nomor laporan", 18.0),
        ("Mulai", 17.0),
        ("Tenggat", 17.0),
        ("Direspons", 17.0),
        ("Kepala saat tenggat", 24.0),
        ("Jabatan", 24.0),
    ];
    for (col, (title, width)) in columns.iter().enumerate() {
        ws.write_string_with_format(0, col as u16, *title, &head)?;
        ws.set_column_width(col as u16, *width)?;
    }
    let when = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let c = &r.current;
    for (i, l) in c.lalai.iter().enumerate() {
        let row = i as u32 + 1;
        ws.write_string(row, 0, &l.agency_id)?;
        write_text(ws, row, 1, name_of(c, &l.agency_id))?;
        ws.write_string(row, 2, &l.tracking_id)?;
        ws.write_datetime_with_format(row, 3, local(r, &l.started_at)?, &when)?;
        ws.write_datetime_with_format(row, 4, local(r, &l.due_at)?, &when)?;
        match &l.responded_at {
            Some(t) => {
                ws.write_datetime_with_format(row, 5, local(r, t)?, &when)?;
            }
            None => {
                ws.write_string(row, 5, "belum")?;
            }
        }
        if let Some(h) = &l.head {
            write_text(ws, row, 6, &h.name)?;
            if let Some(p) = &h.position {
                write_text(ws, row, 7, p)?;
            }
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(
        0,
        0,
        (c.lalai.len() as u32).max(1),
        columns.len() as u16 - 1,
    )?;
    Ok(())
}

/// An instant as an Excel date-time (which has no zone) in the policy's time zone.
fn local(r: &QuarterlyReport, t: &DateTime<Utc>) -> Result<ExcelDateTime, XlsxError> {
    let t = t.with_timezone(&r.tz);
    let year = u16::try_from(t.year())
        .map_err(|_| XlsxError::ParameterError(format!("year {} out of range", t.year())))?;
    ExcelDateTime::from_ymd(year, t.month() as u8, t.day() as u8)?.and_hms(
        t.hour() as u16,
        t.minute() as u8,
        t.second(),
    )
}

/// Compliance per agency (bars, this quarter and the one before), from the ranking sheet.
fn chart(ws: &mut Worksheet, r: &QuarterlyReport, agencies: u32) -> Result<(), XlsxError> {
    ws.set_name("Grafik")?;
    if agencies == 0 {
        ws.write_string(0, 0, "Tidak ada kewajiban respons pada triwulan ini.")?;
        return Ok(());
    }
    let previous = r
        .previous
        .period
        .quarter_name()
        .unwrap_or_else(|| "triwulan lalu".into());
    let mut chart = Chart::new(ChartType::Bar);
    chart
        .title()
        .set_name(&format!("Kepatuhan respons per instansi, {}", r.quarter));
    for (col, name) in [
        (COMPLIANCE_COL, r.quarter.clone()),
        (PREVIOUS_COL, previous),
    ] {
        chart
            .add_series()
            .set_name(&name)
            .set_categories(("Peringkat", 1, 2, agencies, 2))
            .set_values(("Peringkat", 1, col, agencies, col));
    }
    // In a bar chart the categories are on the vertical (y) axis and run upwards: reversed,
    // the best agency is on top as in the ranking. The values are on the horizontal (x) axis.
    chart.y_axis().set_reverse();
    chart
        .x_axis()
        .set_min(0.0)
        .set_max(1.0)
        .set_num_format("0%");
    chart.legend().set_position(ChartLegendPosition::Top);
    chart.set_width(900);
    chart.set_height((agencies * 34 + 120).max(320));
    ws.insert_chart(0, 0, &chart)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rakor_pdf::tests::{BPBD, DINKES, DPU, UNANSWERED, keep, province, sample};
    use calamine::{Data, Range, Reader, Xlsx, open_workbook_from_rs};
    use std::io::Cursor;

    fn open(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
        open_workbook_from_rs(Cursor::new(bytes)).expect("a readable workbook")
    }

    fn sheet(book: &mut Xlsx<Cursor<Vec<u8>>>, name: &str) -> Range<Data> {
        book.worksheet_range(name).expect("the sheet")
    }

    fn text(range: &Range<Data>, row: u32, col: u32) -> String {
        match range.get_value((row, col)) {
            Some(Data::String(s)) => s.clone(),
            other => panic!("({row}, {col}) is not text: {other:?}"),
        }
    }

    fn number(range: &Range<Data>, row: u32, col: u32) -> f64 {
        match range.get_value((row, col)) {
            Some(Data::Float(f)) => *f,
            Some(Data::Int(i)) => *i as f64,
            other => panic!("({row}, {col}) is not a number: {other:?}"),
        }
    }

    /// Excel's serial day number of a local date-time (days since 1899-12-30).
    fn serial(y: i32, m: u32, d: u32, h: u32, min: u32) -> f64 {
        let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        (day - epoch).num_days() as f64 + (h as f64 * 60.0 + min as f64) / 1440.0
    }

    #[test]
    fn xlsx_holds_the_summary_the_ranking_and_the_lalai_evidence() {
        let bytes = xlsx(&sample()).expect("a workbook");
        keep("rakor-sample.xlsx", &bytes);
        assert!(bytes.starts_with(b"PK"), "a zip container");
        let mut book = open(bytes);
        assert_eq!(
            book.sheet_names(),
            ["Ringkasan", "Peringkat", "Lalai", "Grafik"]
        );

        let s = sheet(&mut book, "Ringkasan");
        assert_eq!(text(&s, 0, 0), TITLE);
        assert_eq!(text(&s, 2, 1), "2026-Q3");
        assert_eq!(text(&s, 3, 1), "2026-07-01 s.d. 2026-09-30");
        assert_eq!(text(&s, 4, 1), "2026-10-02 08:00");
        assert_eq!(text(&s, 5, 1), "Asia/Jakarta");
        assert_eq!(text(&s, 6, 1), "48213");
        assert!(text(&s, 7, 1).starts_with("9f2c4e1a"));
        assert!(text(&s, 8, 1).contains("tanggap audit verify"));
        assert_eq!(text(&s, 11, 0), "kewajiban_respons");

        let p = sheet(&mut book, "Peringkat");
        assert_eq!(text(&p, 0, 2), "Instansi");
        assert_eq!(text(&p, 0, 12), "Kepatuhan");
        // Best first: public works 100 % (90 % before, +10 points), then health 75 %.
        assert_eq!(number(&p, 1, 0), 1.0);
        assert_eq!(text(&p, 1, 1), "dpu-bm");
        assert_eq!(text(&p, 1, 2), DPU);
        assert_eq!(text(&p, 1, 3), "Ir. Hanung Triyono, M.Si.");
        assert_eq!(number(&p, 1, 5), 20.0);
        assert_eq!(number(&p, 1, 12), 1.0);
        assert!((number(&p, 1, 13) - 0.9).abs() < 1e-9);
        assert!((number(&p, 1, 14) - 10.0).abs() < 1e-9);
        assert_eq!(text(&p, 2, 2), DINKES);
        assert_eq!(text(&p, 2, 4), "Kepala Dinas Kesehatan");
        assert_eq!(number(&p, 2, 11), 3.0, "lalai");
        assert!((number(&p, 2, 12) - 0.75).abs() < 1e-9);
        assert!((number(&p, 2, 15) - 5.5).abs() < 1e-9, "median hours");
        assert!((number(&p, 2, 16) - 21.5).abs() < 1e-9, "p90 hours");
        // Nothing due: no compliance at all rather than a zero.
        assert_eq!(text(&p, 3, 2), BPBD);
        assert!(matches!(p.get_value((3, 12)), None | Some(Data::Empty)));
        // Completion and outcomes after the response columns: counts always, rates only when
        // there is something to divide by (nothing was finished or rated in the sample).
        assert_eq!(text(&p, 0, 20), "Selesai tepat target (%)");
        assert_eq!(text(&p, 0, 22), "Kepuasan (1–5)");
        assert_eq!(number(&p, 1, 17), 0.0);
        assert!(matches!(p.get_value((1, 20)), None | Some(Data::Empty)));
        assert_eq!(text(&p, 5, 2), "Semua instansi");
        assert_eq!(number(&p, 5, 5), 34.0);

        let l = sheet(&mut book, "Lalai");
        assert_eq!(text(&l, 0, 2), "Nomor laporan");
        assert_eq!(text(&l, 1, 0), "dinkes");
        assert_eq!(text(&l, 1, 1), DINKES);
        assert_eq!(text(&l, 1, 2), UNANSWERED);
        assert_eq!(text(&l, 1, 5), "belum");
        assert_eq!(text(&l, 1, 6), "dr. Yunita Dyah Suminar");
        assert_eq!(text(&l, 2, 2), "JTG-2026-000045");
        assert_eq!(text(&l, 2, 6), "Drs. Bambang Santoso");
        assert_eq!(text(&l, 2, 7), "Plt. Kepala Dinas Kesehatan");
        // Real date-times, in WIB: due 2026-07-02 10:00, answered 2026-07-03 08:30.
        match l.get_value((2, 4)) {
            Some(Data::DateTime(d)) => {
                assert!(
                    (d.as_f64() - serial(2026, 7, 2, 10, 0)).abs() < 1e-6,
                    "{d:?}"
                )
            }
            other => panic!("the deadline is not a date-time: {other:?}"),
        }
        match l.get_value((2, 5)) {
            Some(Data::DateTime(d)) => {
                assert!(
                    (d.as_f64() - serial(2026, 7, 3, 8, 30)).abs() < 1e-6,
                    "{d:?}"
                )
            }
            other => panic!("the response is not a date-time: {other:?}"),
        }
    }

    /// A part of the workbook's zip, as text.
    fn part(bytes: &[u8], name: &str) -> String {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
        let mut file = zip.by_name(name).expect("the part");
        let mut s = String::new();
        std::io::Read::read_to_string(&mut file, &mut s).expect("UTF-8");
        s
    }

    /// The XML element `<tag>…</tag>` (the first one).
    fn element<'a>(xml: &'a str, tag: &str) -> &'a str {
        let start = xml.find(&format!("<{tag}>")).expect("the element");
        let end = xml[start..].find(&format!("</{tag}>")).expect("its end");
        &xml[start..start + end]
    }

    #[test]
    fn xlsx_has_a_native_bar_chart_of_the_ranking() {
        let bytes = xlsx(&sample()).expect("a workbook");
        let chart = part(&bytes, "xl/charts/chart1.xml");
        assert!(chart.contains("<c:barDir val=\"bar\"/>"), "horizontal bars");
        // Two series over the ranking's agencies: this quarter's and the previous compliance.
        assert!(chart.contains("<c:f>Peringkat!$C$2:$C$4</c:f>"));
        assert!(chart.contains("<c:f>Peringkat!$M$2:$M$4</c:f>"));
        assert!(chart.contains("<c:f>Peringkat!$N$2:$N$4</c:f>"));
        // Best agency on top; values from 0 to 100 %.
        let categories = element(&chart, "c:catAx");
        assert!(
            categories.contains("<c:orientation val=\"maxMin\"/>"),
            "{categories}"
        );
        let values = element(&chart, "c:valAx");
        assert!(values.contains("<c:max val=\"1\"/>"), "{values}");
        assert!(values.contains("formatCode=\"0%\""), "{values}");
        // Placed on the chart sheet.
        assert!(part(&bytes, "xl/worksheets/_rels/sheet4.xml.rels").contains("drawing1.xml"));
    }

    /// Names typed with formulas are text cells marked with the quote prefix, their values
    /// exactly what was typed, and no cell is a formula.
    #[test]
    fn xlsx_keeps_typed_formulas_as_text() {
        let mut r = sample();
        r.current.agencies[0].name = "=cmd|' /C calc'!A0".into();
        r.current.agencies[0].head.as_mut().unwrap().name = "@SUM(1+1)".into();
        let bytes = xlsx(&r).expect("a workbook");
        for sheet in 1..=3 {
            let xml = part(&bytes, &format!("xl/worksheets/sheet{sheet}.xml"));
            assert!(!xml.contains("<f>"), "a formula in sheet {sheet}");
        }
        let styles = part(&bytes, "xl/styles.xml");
        assert!(styles.contains("quotePrefix=\"1\""), "{styles}");
        let mut book = open(bytes);
        let p = sheet(&mut book, "Peringkat");
        let row = (1..=3)
            .find(|row| text(&p, *row, 1) == "dinkes")
            .expect("the agency");
        assert_eq!(text(&p, row, 2), "=cmd|' /C calc'!A0");
        assert_eq!(text(&p, row, 3), "@SUM(1+1)");
        let l = sheet(&mut book, "Lalai");
        assert_eq!(text(&l, 1, 1), "=cmd|' /C calc'!A0");
    }

    #[test]
    fn xlsx_of_a_province() {
        let bytes = xlsx(&province(60, 500)).expect("a workbook");
        keep("rakor-province.xlsx", &bytes);
        let mut book = open(bytes);
        let p = sheet(&mut book, "Peringkat");
        assert_eq!(number(&p, 60, 0), 60.0);
        let l = sheet(&mut book, "Lalai");
        assert_eq!(l.get_size().0, 501, "a header and 500 items");
        assert_eq!(text(&l, 500, 2), "JTG-2026-100499");
    }

    #[test]
    fn xlsx_of_an_empty_quarter() {
        let mut r = sample();
        r.current.agencies.clear();
        r.current.lalai.clear();
        let mut book = open(xlsx(&r).expect("a workbook"));
        let g = sheet(&mut book, "Grafik");
        assert_eq!(
            text(&g, 0, 0),
            "Tidak ada kewajiban respons pada triwulan ini."
        );
    }
}
