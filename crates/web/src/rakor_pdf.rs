//! The quarterly rakor report as PDF: the same content as the CSV of `crate::rakor` (heading,
//! audit chain head, definitions, ranking, lalai evidence) plus a bar chart of response compliance
//! against the quarter before, on A4 portrait pages with "Halaman n dari m".
//!
//! Two steps. The layout (this file) places text and rectangles on pages, measuring every string
//! with the embedded font's own shaping (rustybuzz, the shaper krilla uses) so that lines wrap
//! before the column ends and tables continue on a new page with their header repeated; nothing
//! is clipped. Then krilla writes the pages, embedding the subset of DejaVu Sans Condensed that
//! the report uses (`assets/fonts/`, licence beside it).

use crate::rakor::{DEFINITIONS, hours, name_of, percent, ranked, satisfaction, time};
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Transform};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule};
use krilla::text::{Font, TextDirection};
use std::collections::BTreeMap;
use tanggap_service::compliance::{AgencyLine, Head, LalaiItem};
use tanggap_service::rakor::QuarterlyReport;

/// Why a report file could not be made (PDF or XLSX).
#[derive(Debug, thiserror::Error)]
pub enum RakorFileError {
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
    #[error("the XLSX could not be written: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

const REGULAR: &[u8] = include_bytes!("../assets/fonts/DejaVuSansCondensed.ttf");
const BOLD: &[u8] = include_bytes!("../assets/fonts/DejaVuSansCondensed-Bold.ttf");

/// A4 portrait, in points.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const LEFT: f32 = 36.0;
const RIGHT: f32 = PAGE_W - 36.0;
const TOP: f32 = 42.0;
/// Where the body stops; the footer sits below.
const BOTTOM: f32 = PAGE_H - 48.0;

const TITLE: &str = "Laporan akuntabilitas triwulanan (rakor)";

const INK: Rgb = Rgb(0x22, 0x22, 0x22);
const GREY: Rgb = Rgb(0x5f, 0x63, 0x68);
const RULE: Rgb = Rgb(0xc8, 0xcc, 0xd2);
const SHADE: Rgb = Rgb(0xf1, 0xf3, 0xf6);
const HEADER_BG: Rgb = Rgb(0xdd, 0xe3, 0xec);
const CURRENT: Rgb = Rgb(0x1f, 0x5f, 0xa8);
const PREVIOUS: Rgb = Rgb(0xa9, 0xb1, 0xbd);
const LALAI: Rgb = Rgb(0xa3, 0x1f, 0x1f);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rgb(u8, u8, u8);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Face {
    Regular,
    Bold,
}

/// What the layout puts on a page; `y` grows downwards from the top edge, text at its baseline.
#[derive(Debug, Clone)]
enum Mark {
    Text {
        x: f32,
        y: f32,
        size: f32,
        face: Face,
        color: Rgb,
        /// Turned a quarter counter-clockwise (reads upwards), for narrow table headers.
        upright: bool,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Rgb,
    },
}

/// Text measurement with the fonts that will be embedded.
struct Metrics {
    regular: rustybuzz::Face<'static>,
    bold: rustybuzz::Face<'static>,
}

impl Metrics {
    fn new() -> Result<Metrics, RakorFileError> {
        let face = |data: &'static [u8]| {
            rustybuzz::Face::from_slice(data, 0)
                .ok_or_else(|| RakorFileError::Pdf("the embedded font is unreadable".into()))
        };
        Ok(Metrics {
            regular: face(REGULAR)?,
            bold: face(BOLD)?,
        })
    }

    fn width(&self, face: Face, size: f32, text: &str) -> f32 {
        let f = match face {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
        };
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        let shaped = rustybuzz::shape(f, &[], buffer);
        let units: i32 = shaped.glyph_positions().iter().map(|p| p.x_advance).sum();
        units as f32 * size / f.units_per_em() as f32
    }

    /// Greedy word wrap; a word wider than the line (a hash, a long ID) is cut between
    /// characters.
    fn wrap(&self, face: Face, size: f32, text: &str, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                let candidate = if line.is_empty() {
                    word.to_string()
                } else {
                    format!("{line} {word}")
                };
                if self.width(face, size, &candidate) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                let mut rest = word;
                while self.width(face, size, rest) > width {
                    let cut = self.fitting_prefix(face, size, rest, width);
                    lines.push(rest[..cut].to_string());
                    rest = &rest[cut..];
                }
                line = rest.to_string();
            }
            if !line.is_empty() || lines.is_empty() {
                lines.push(line);
            }
        }
        lines
    }

    /// The byte length of the longest prefix that fits (at least one character).
    fn fitting_prefix(&self, face: Face, size: f32, text: &str, width: f32) -> usize {
        let mut cut = text.chars().next().map_or(0, char::len_utf8);
        for (i, c) in text.char_indices().skip(1) {
            let end = i + c.len_utf8();
            if self.width(face, size, &text[..end]) > width {
                break;
            }
            cut = end;
        }
        cut
    }

    /// One line, shortened with an ellipsis when it does not fit.
    fn fit(&self, face: Face, size: f32, text: &str, width: f32) -> String {
        if self.width(face, size, text) <= width {
            return text.to_string();
        }
        let mut cut: String = text.to_string();
        while !cut.is_empty() {
            cut.pop();
            let candidate = format!("{}…", cut.trim_end());
            if self.width(face, size, &candidate) <= width {
                return candidate;
            }
        }
        "…".into()
    }
}

/// Pages being filled from the top down.
struct Layout<'m> {
    m: &'m Metrics,
    pages: Vec<Vec<Mark>>,
    y: f32,
}

impl<'m> Layout<'m> {
    fn new(m: &'m Metrics) -> Layout<'m> {
        Layout {
            m,
            pages: vec![Vec::new()],
            y: TOP,
        }
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    /// Starts a new page unless `h` more points fit on this one; true when it did.
    fn room(&mut self, h: f32) -> bool {
        if self.y + h > BOTTOM && self.y > TOP {
            self.new_page();
            return true;
        }
        false
    }

    fn mark(&mut self, mark: Mark) {
        if let Some(page) = self.pages.last_mut() {
            page.push(mark);
        }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, face: Face, color: Rgb, text: impl Into<String>) {
        self.mark(Mark::Text {
            x,
            y,
            size,
            face,
            color,
            upright: false,
            text: text.into(),
        });
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgb) {
        if w > 0.0 && h > 0.0 {
            self.mark(Mark::Rect { x, y, w, h, color });
        }
    }

    /// Wrapped text from `x` to the right margin; each line finds its own page.
    fn paragraph(&mut self, text: &str, face: Face, size: f32, color: Rgb, x: f32) {
        let leading = size * 1.3;
        for line in self.m.wrap(face, size, text, RIGHT - x) {
            self.room(leading);
            self.text(x, self.y + size, size, face, color, line);
            self.y += leading;
        }
    }

    /// A section heading, kept on the page with at least `keep` points of what follows.
    fn heading(&mut self, text: &str, keep: f32) {
        self.y += 10.0;
        self.room(16.0 + keep);
        self.text(LEFT, self.y + 11.0, 11.0, Face::Bold, INK, text);
        self.y += 15.0;
        self.rect(LEFT, self.y, RIGHT - LEFT, 0.6, RULE);
        self.y += 6.0;
    }

    fn gap(&mut self, h: f32) {
        self.y += h;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

struct Column {
    title: String,
    width: f32,
    align: Align,
    /// The title reads upwards (narrow number columns).
    upright: bool,
}

/// One piece of a cell: its own line(s), face and colour.
struct Span {
    text: String,
    face: Face,
    color: Rgb,
}

fn span(text: impl Into<String>) -> Span {
    Span {
        text: text.into(),
        face: Face::Regular,
        color: INK,
    }
}

const CELL_PAD: f32 = 2.5;
/// The longest upright title line; longer titles wrap into a second line beside it.
const UPRIGHT_LINE: f32 = 62.0;

/// A table whose rows flow over pages, the header repeated (with a caption) on each.
struct Table {
    columns: Vec<Column>,
    size: f32,
    header_size: f32,
    /// Printed above the repeated header on a continuation page.
    continued: String,
}

impl Table {
    fn header_height(&self, m: &Metrics) -> f32 {
        let leading = self.header_size * 1.25;
        self.columns
            .iter()
            .map(|c| {
                if c.upright {
                    m.width(Face::Bold, self.header_size, &c.title)
                        .min(UPRIGHT_LINE)
                        + 2.0 * CELL_PAD
                } else {
                    let lines = m
                        .wrap(
                            Face::Bold,
                            self.header_size,
                            &c.title,
                            c.width - 2.0 * CELL_PAD,
                        )
                        .len();
                    lines as f32 * leading + 2.0 * CELL_PAD
                }
            })
            .fold(0.0, f32::max)
    }

    fn header(&self, l: &mut Layout) {
        let h = self.header_height(l.m);
        l.room(h + self.size * 3.0);
        let top = l.y;
        l.rect(LEFT, top, self.width(), h, HEADER_BG);
        let leading = self.header_size * 1.25;
        let mut x = LEFT;
        for c in &self.columns {
            if c.upright {
                let lines =
                    l.m.wrap(Face::Bold, self.header_size, &c.title, UPRIGHT_LINE);
                let block = lines.len() as f32 * leading;
                // Upright lines stack from left to right, centred in the column.
                let mut bx = x + (c.width - block) / 2.0 + self.header_size;
                for line in lines {
                    l.mark(Mark::Text {
                        x: bx,
                        y: top + h - CELL_PAD,
                        size: self.header_size,
                        face: Face::Bold,
                        color: INK,
                        upright: true,
                        text: line,
                    });
                    bx += leading;
                }
            } else {
                let lines = l.m.wrap(
                    Face::Bold,
                    self.header_size,
                    &c.title,
                    c.width - 2.0 * CELL_PAD,
                );
                // Bottom-aligned, like the upright titles.
                let mut y = top + h - CELL_PAD - (lines.len() as f32 - 1.0) * leading;
                for line in lines {
                    let tx = match c.align {
                        Align::Left => x + CELL_PAD,
                        Align::Right => {
                            x + c.width - CELL_PAD - l.m.width(Face::Bold, self.header_size, &line)
                        }
                    };
                    l.text(tx, y - 1.5, self.header_size, Face::Bold, INK, line);
                    y += leading;
                }
            }
            x += c.width;
        }
        l.y = top + h;
    }

    fn width(&self) -> f32 {
        self.columns.iter().map(|c| c.width).sum()
    }

    /// One row; every span of a cell wraps within the column (at most `MAX_LINES` lines each,
    /// the last shortened with an ellipsis).
    fn row(&self, l: &mut Layout, cells: Vec<Vec<Span>>, shaded: bool) {
        const MAX_LINES: usize = 4;
        let leading = self.size * 1.25;
        let laid: Vec<Vec<(String, Face, Rgb)>> = cells
            .into_iter()
            .zip(&self.columns)
            .map(|(spans, c)| {
                let inner = c.width - 2.0 * CELL_PAD;
                let mut lines = Vec::new();
                for s in spans {
                    if s.text.is_empty() {
                        continue;
                    }
                    let mut wrapped = l.m.wrap(s.face, self.size, &s.text, inner);
                    if wrapped.len() > MAX_LINES {
                        let rest = wrapped[MAX_LINES - 1..].join(" ");
                        wrapped.truncate(MAX_LINES - 1);
                        wrapped.push(l.m.fit(s.face, self.size, &rest, inner));
                    }
                    lines.extend(wrapped.into_iter().map(|t| (t, s.face, s.color)));
                }
                lines
            })
            .collect();
        let n = laid.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let h = n as f32 * leading + 2.0 * CELL_PAD;
        if l.y + h > BOTTOM {
            l.new_page();
            let caption = l.m.fit(Face::Bold, 8.0, &self.continued, RIGHT - LEFT);
            l.text(LEFT, l.y + 8.0, 8.0, Face::Bold, GREY, caption);
            l.y += 12.0;
            self.header(l);
        }
        let top = l.y;
        if shaded {
            l.rect(LEFT, top, self.width(), h, SHADE);
        }
        let mut x = LEFT;
        for (lines, c) in laid.into_iter().zip(&self.columns) {
            let mut y = top + CELL_PAD + self.size;
            for (text, face, color) in lines {
                let tx = match c.align {
                    Align::Left => x + CELL_PAD,
                    Align::Right => x + c.width - CELL_PAD - l.m.width(face, self.size, &text),
                };
                l.text(tx, y, self.size, face, color, text);
                y += leading;
            }
            x += c.width;
        }
        l.y = top + h;
        l.rect(LEFT, l.y - 0.3, self.width(), 0.3, RULE);
    }
}

/// The report as a PDF.
pub fn pdf(r: &QuarterlyReport) -> Result<Vec<u8>, RakorFileError> {
    let m = Metrics::new()?;
    let pages = layout(r, &m);
    render(r, &pages)
}

/// Every page's marks, footers included.
fn layout(r: &QuarterlyReport, m: &Metrics) -> Vec<Vec<Mark>> {
    let mut l = Layout::new(m);
    let ranking = ranked(&r.current);
    front(&mut l, r);
    definitions(&mut l);
    chart(&mut l, r, &ranking);
    ranking_table(&mut l, r, &ranking);
    lalai(&mut l, r, &ranking);
    let footer = format!(
        "{TITLE} {} · dibuat {} ({})",
        r.quarter,
        time(r, &r.made_at),
        r.tz.name()
    );
    let total = l.pages.len();
    l.pages
        .into_iter()
        .enumerate()
        .map(|(i, mut marks)| {
            let y = PAGE_H - 26.0;
            marks.push(Mark::Rect {
                x: LEFT,
                y: y - 10.0,
                w: RIGHT - LEFT,
                h: 0.5,
                color: RULE,
            });
            let page_no = format!("Halaman {} dari {total}", i + 1);
            let w = m.width(Face::Regular, 7.5, &page_no);
            let footer = m.fit(Face::Regular, 7.5, &footer, RIGHT - LEFT - w - 20.0);
            marks.push(footer_text(LEFT, y, footer));
            marks.push(footer_text(RIGHT - w, y, page_no));
            marks
        })
        .collect()
}

fn footer_text(x: f32, y: f32, text: String) -> Mark {
    Mark::Text {
        x,
        y,
        size: 7.5,
        face: Face::Regular,
        color: GREY,
        upright: false,
        text,
    }
}

fn front(l: &mut Layout, r: &QuarterlyReport) {
    let c = &r.current;
    l.text(LEFT, l.y + 17.0, 17.0, Face::Bold, INK, TITLE);
    l.gap(26.0);
    l.paragraph(
        &format!(
            "Triwulan {}: {} s.d. {}",
            r.quarter, c.period.from, c.period.to
        ),
        Face::Bold,
        11.0,
        INK,
        LEFT,
    );
    l.gap(2.0);
    l.paragraph(
        &format!(
            "Dibuat {} ({}). Semua tanggal dan waktu dalam zona waktu {}; periode dari pukul 00:00 hari pertama sampai 24:00 hari terakhir.",
            time(r, &r.made_at),
            r.tz.name(),
            r.tz.name()
        ),
        Face::Regular,
        9.0,
        INK,
        LEFT,
    );
    l.gap(4.0);
    let trail = match &r.audit_head {
        Some((seq, hash)) => format!("Jejak audit: urutan terakhir {seq}, hash {hash}"),
        None => "Jejak audit: belum ada catatan saat laporan dibuat.".to_string(),
    };
    l.paragraph(&trail, Face::Regular, 9.0, INK, LEFT);
    l.paragraph(
        "Untuk memeriksa bahwa bukti dalam laporan ini tidak diubah sesudahnya, jalankan perintah “tanggap audit verify”: rantai jejak audit harus utuh dan memuat urutan serta hash di atas.",
        Face::Regular,
        9.0,
        GREY,
        LEFT,
    );
    let t = &c.total;
    l.gap(4.0);
    l.paragraph(
        &format!(
            "Semua instansi: {} kewajiban respons diterima, {} tepat waktu, {} lalai ({} terlambat, {} belum direspons lewat tenggat); kepatuhan {}% (triwulan lalu {}%).",
            t.received,
            t.on_time,
            t.lalai(),
            t.late,
            t.unresponded_overdue,
            or_dash(percent(t.compliance())),
            or_dash(percent(r.previous.total.compliance())),
        ),
        Face::Regular,
        9.0,
        INK,
        LEFT,
    );
}

fn or_dash(s: String) -> String {
    if s.is_empty() { "–".into() } else { s }
}

fn definitions(l: &mut Layout) {
    l.heading("Definisi", 30.0);
    let size = 8.0;
    let term_w = DEFINITIONS
        .iter()
        .map(|(term, _)| l.m.width(Face::Bold, size, term))
        .fold(0.0, f32::max)
        .min(180.0)
        + 10.0;
    let leading = size * 1.3;
    for (term, meaning) in DEFINITIONS {
        let lines =
            l.m.wrap(Face::Regular, size, meaning, RIGHT - LEFT - term_w);
        let terms = l.m.wrap(Face::Bold, size, term, term_w - 6.0);
        let h = lines.len().max(terms.len()) as f32 * leading + 2.0;
        l.room(h);
        let top = l.y;
        for (i, t) in terms.into_iter().enumerate() {
            l.text(
                LEFT,
                top + size + i as f32 * leading,
                size,
                Face::Bold,
                INK,
                t,
            );
        }
        for (i, t) in lines.into_iter().enumerate() {
            l.text(
                LEFT + term_w,
                top + size + i as f32 * leading,
                size,
                Face::Regular,
                INK,
                t,
            );
        }
        l.y = top + h;
    }
}

/// Horizontal bars, this quarter above the previous one, per agency in the ranking order.
fn chart(l: &mut Layout, r: &QuarterlyReport, ranking: &[&AgencyLine]) {
    l.heading("Kepatuhan respons per instansi", 60.0);
    let label_w = 178.0;
    let x0 = LEFT + label_w + 4.0;
    let bar_w = RIGHT - x0 - 30.0;
    let previous_name = previous_quarter_name(r);
    let scale = |l: &mut Layout| {
        l.room(34.0);
        let y = l.y;
        l.rect(LEFT, y + 2.0, 8.0, 8.0, CURRENT);
        let current = format!("Triwulan ini ({})", r.quarter);
        l.text(
            LEFT + 11.0,
            y + 9.0,
            8.0,
            Face::Regular,
            INK,
            current.clone(),
        );
        let x2 = LEFT + 11.0 + l.m.width(Face::Regular, 8.0, &current) + 14.0;
        l.rect(x2, y + 2.0, 8.0, 8.0, PREVIOUS);
        l.text(
            x2 + 11.0,
            y + 9.0,
            8.0,
            Face::Regular,
            INK,
            format!("Triwulan lalu ({previous_name})"),
        );
        for tick in [0, 25, 50, 75, 100] {
            let label = format!("{tick}%");
            let w = l.m.width(Face::Regular, 7.0, &label);
            let x = x0 + bar_w * tick as f32 / 100.0;
            l.text(x - w / 2.0, y + 26.0, 7.0, Face::Regular, GREY, label);
        }
        l.y += 30.0;
    };
    scale(l);
    if ranking.is_empty() {
        l.paragraph(
            "Tidak ada kewajiban respons pada triwulan ini.",
            Face::Regular,
            8.0,
            GREY,
            LEFT,
        );
        return;
    }
    let row_h = 17.0;
    for (i, a) in ranking.iter().enumerate() {
        if l.y + row_h > BOTTOM {
            l.new_page();
            l.text(
                LEFT,
                l.y + 8.0,
                8.0,
                Face::Bold,
                GREY,
                "Kepatuhan respons per instansi (lanjutan)",
            );
            l.y += 12.0;
            scale(l);
        }
        let y = l.y;
        // Long names take a second line, shortened only past that.
        let label = format!("{}. {}", i + 1, a.name);
        let lines = l.m.wrap(Face::Regular, 7.0, &label, label_w - 4.0);
        if lines.len() == 1 {
            l.text(LEFT, y + 11.0, 7.0, Face::Regular, INK, label);
        } else {
            let rest =
                l.m.fit(Face::Regular, 7.0, &lines[1..].join(" "), label_w - 4.0);
            l.text(LEFT, y + 7.5, 7.0, Face::Regular, INK, lines[0].clone());
            l.text(LEFT, y + 15.0, 7.0, Face::Regular, INK, rest);
        }
        for tick in [0, 25, 50, 75, 100] {
            let x = x0 + bar_w * tick as f32 / 100.0;
            l.rect(x - 0.2, y, 0.4, row_h, RULE);
        }
        let now = a.figures.compliance();
        let before = r.previous_compliance(&a.agency_id);
        if now.is_none() && before.is_none() {
            l.text(
                x0 + 4.0,
                y + 11.0,
                7.0,
                Face::Regular,
                GREY,
                "belum ada kewajiban yang jatuh tempo",
            );
        } else {
            bar(l, x0, y + 2.5, bar_w, now, CURRENT);
            bar(l, x0, y + 9.0, bar_w, before, PREVIOUS);
        }
        l.y += row_h;
    }
}

fn bar(l: &mut Layout, x0: f32, y: f32, bar_w: f32, value: Option<f64>, color: Rgb) {
    let h = 5.5;
    let (w, label) = match value {
        Some(v) => (bar_w * v as f32, format!("{}%", percent(Some(v)))),
        None => (0.0, "–".to_string()),
    };
    l.rect(x0, y, w, h, color);
    l.text(x0 + w + 2.0, y + 5.0, 6.0, Face::Regular, GREY, label);
}

fn previous_quarter_name(r: &QuarterlyReport) -> String {
    r.previous
        .period
        .quarter_name()
        .unwrap_or_else(|| format!("{} s.d. {}", r.previous.period.from, r.previous.period.to))
}

fn ranking_table(l: &mut Layout, r: &QuarterlyReport, ranking: &[&AgencyLine]) {
    let size = 7.0;
    let number_titles = [
        "Diterima",
        "Tepat waktu",
        "Terlambat",
        "Belum direspons, lewat tenggat",
        "Belum jatuh tempo",
        "Dibatalkan",
        "Lalai",
        "Kepatuhan (%)",
        "Triwulan lalu (%)",
        "Perubahan (poin)",
        "Median respons (jam)",
        "P90 respons (jam)",
        "Selesai tepat target (%)",
        "Dibuka kembali (%)",
        "Kepuasan (1–5)",
    ];
    let rows: Vec<(String, Vec<String>, &AgencyLine)> = ranking
        .iter()
        .enumerate()
        .map(|(i, a)| ((i + 1).to_string(), number_cells(r, a), *a))
        .collect();
    let t = &r.current.total;
    let total_cells = vec![
        t.received.to_string(),
        t.on_time.to_string(),
        t.late.to_string(),
        t.unresponded_overdue.to_string(),
        t.not_yet_due.to_string(),
        t.cancelled.to_string(),
        t.lalai().to_string(),
        percent(t.compliance()),
        percent(r.previous.total.compliance()),
        String::new(),
        String::new(),
        String::new(),
        percent(t.completion_rate()),
        percent(t.reopened_rate()),
        satisfaction(t.satisfaction()),
    ];
    // Number columns as wide as their widest value, the names take what is left.
    let widths: Vec<f32> = (0..number_titles.len())
        .map(|i| {
            rows.iter()
                .map(|(_, cells, _)| &cells[i])
                .chain(std::iter::once(&total_cells[i]))
                .map(|v| l.m.width(Face::Bold, size, v))
                .fold(l.m.width(Face::Bold, size, "100.0"), f32::max)
                + 2.0 * CELL_PAD
        })
        .collect();
    let rank_w =
        l.m.width(Face::Regular, size, &ranking.len().max(10).to_string()) + 2.0 * CELL_PAD + 2.0;
    let rest = RIGHT - LEFT - rank_w - widths.iter().sum::<f32>();
    let mut columns = vec![
        Column {
            title: "#".into(),
            width: rank_w,
            align: Align::Right,
            upright: false,
        },
        Column {
            title: "Instansi".into(),
            width: rest * 0.55,
            align: Align::Left,
            upright: false,
        },
        Column {
            title: "Kepala / jabatan".into(),
            width: rest * 0.45,
            align: Align::Left,
            upright: false,
        },
    ];
    columns.extend(number_titles.iter().zip(&widths).map(|(t, w)| Column {
        title: (*t).to_string(),
        width: *w,
        align: Align::Right,
        upright: true,
    }));
    let table = Table {
        columns,
        size,
        header_size: 6.5,
        continued: "Peringkat (lanjutan)".into(),
    };
    l.heading("Peringkat", table.header_height(l.m) + 30.0);
    l.paragraph(
        "Terbaik di atas: kepatuhan tertinggi, lalu lalai paling sedikit, lalu nama; instansi yang belum punya kewajiban jatuh tempo di bawah. Kepala: yang menjabat pada akhir triwulan atau saat laporan dibuat.",
        Face::Regular,
        7.5,
        GREY,
        LEFT,
    );
    l.gap(3.0);
    table.header(l);
    for (i, (rank, cells, a)) in rows.into_iter().enumerate() {
        let mut row = vec![
            vec![span(rank)],
            vec![span(a.name.clone())],
            head_spans(a.head.as_ref()),
        ];
        row.extend(cells.into_iter().map(|c| vec![span(c)]));
        table.row(l, row, i % 2 == 1);
    }
    let mut row = vec![
        vec![],
        vec![Span {
            text: "Semua instansi".into(),
            face: Face::Bold,
            color: INK,
        }],
        vec![],
    ];
    row.extend(total_cells.into_iter().map(|c| {
        vec![Span {
            text: c,
            face: Face::Bold,
            color: INK,
        }]
    }));
    table.row(l, row, false);
}

fn head_spans(head: Option<&Head>) -> Vec<Span> {
    match head {
        None => vec![Span {
            text: "(belum tercatat)".into(),
            face: Face::Regular,
            color: GREY,
        }],
        Some(h) => {
            let mut spans = vec![span(h.name.clone())];
            if let Some(p) = &h.position {
                spans.push(Span {
                    text: p.clone(),
                    face: Face::Regular,
                    color: GREY,
                });
            }
            spans
        }
    }
}

/// The number cells of a ranking row, formatted as in the CSV.
fn number_cells(r: &QuarterlyReport, a: &AgencyLine) -> Vec<String> {
    let f = &a.figures;
    let now = f.compliance();
    let before = r.previous_compliance(&a.agency_id);
    let change = now
        .zip(before)
        .map_or_else(String::new, |(n, b)| format!("{:+.1}", (n - b) * 100.0));
    vec![
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
        percent(f.completion_rate()),
        percent(f.reopened_rate()),
        satisfaction(f.satisfaction()),
    ]
}

/// The lalai obligations grouped by agency, most first (then by ranking position), each group
/// in the order of `Compliance::lalai` (unanswered first, then by deadline).
fn lalai_by_agency<'a>(
    r: &'a QuarterlyReport,
    ranking: &[&AgencyLine],
) -> Vec<(&'a str, Vec<&'a LalaiItem>)> {
    let mut groups: BTreeMap<&str, Vec<&LalaiItem>> = BTreeMap::new();
    for item in &r.current.lalai {
        groups.entry(&item.agency_id).or_default().push(item);
    }
    let position = |id: &str| ranking.iter().position(|a| a.agency_id == id);
    let mut groups: Vec<(&str, Vec<&LalaiItem>)> = groups.into_iter().collect();
    groups.sort_by(|a, b| {
        b.1.len()
            .cmp(&a.1.len())
            .then(position(a.0).cmp(&position(b.0)))
            .then(a.0.cmp(b.0))
    });
    groups
}

fn lalai(l: &mut Layout, r: &QuarterlyReport, ranking: &[&AgencyLine]) {
    let c = &r.current;
    l.heading("Instansi yang tidak merespons dalam 1x24 jam", 110.0);
    let groups = lalai_by_agency(r, ranking);
    if groups.is_empty() {
        l.paragraph(
            "Tidak ada: setiap kewajiban respons triwulan ini dijawab dalam 1x24 jam atau belum jatuh tempo.",
            Face::Regular,
            9.0,
            INK,
            LEFT,
        );
        return;
    }
    l.paragraph(
        "Per instansi: setiap kewajiban yang terlambat atau belum direspons lewat tenggat, dengan nomor laporan sebagai bukti dan kepala instansi yang menjabat pada tenggatnya. Belum direspons di atas, lalu menurut tenggat.",
        Face::Regular,
        7.5,
        GREY,
        LEFT,
    );
    let size = 7.0;
    let id_w = c
        .lalai
        .iter()
        .map(|i| l.m.width(Face::Regular, size, &i.tracking_id))
        .fold(l.m.width(Face::Bold, 6.5, "Nomor laporan"), f32::max)
        + 2.0 * CELL_PAD
        + 6.0;
    let time_w = l.m.width(Face::Regular, size, "0000-00-00 00:00") + 2.0 * CELL_PAD + 6.0;
    let rest = RIGHT - LEFT - id_w - 3.0 * time_w;
    let column = |title: &str, width: f32| Column {
        title: title.into(),
        width,
        align: Align::Left,
        upright: false,
    };
    for (agency_id, items) in groups {
        let name = name_of(c, agency_id);
        let unanswered = items.iter().filter(|i| i.responded_at.is_none()).count();
        let table = Table {
            columns: vec![
                column("Nomor laporan", id_w),
                column("Mulai", time_w),
                column("Tenggat", time_w),
                column("Direspons", time_w),
                column("Kepala saat tenggat", rest * 0.5),
                column("Jabatan", rest * 0.5),
            ],
            size,
            header_size: 6.5,
            continued: format!("{name} (lanjutan)"),
        };
        l.gap(6.0);
        l.room(60.0);
        l.paragraph(name, Face::Bold, 9.0, INK, LEFT);
        let mut heads: Vec<String> = Vec::new();
        for i in &items {
            let h = head_text(i.head.as_ref());
            if !heads.contains(&h) {
                heads.push(h);
            }
        }
        l.paragraph(
            &format!(
                "{} kewajiban lalai ({} terlambat, {} belum direspons). Kepala pada tenggat: {}.",
                items.len(),
                items.len() - unanswered,
                unanswered,
                heads.join("; ")
            ),
            Face::Regular,
            8.0,
            INK,
            LEFT,
        );
        l.gap(2.0);
        table.header(l);
        for (n, i) in items.into_iter().enumerate() {
            let responded = match i.responded_at {
                Some(t) => span(time(r, &t)),
                None => Span {
                    text: "belum".into(),
                    face: Face::Bold,
                    color: LALAI,
                },
            };
            let (head, position) = match &i.head {
                Some(h) => (h.name.clone(), h.position.clone().unwrap_or_default()),
                None => ("(belum tercatat)".into(), String::new()),
            };
            table.row(
                l,
                vec![
                    vec![span(i.tracking_id.clone())],
                    vec![span(time(r, &i.started_at))],
                    vec![span(time(r, &i.due_at))],
                    vec![responded],
                    vec![span(head)],
                    vec![span(position)],
                ],
                n % 2 == 1,
            );
        }
    }
}

fn head_text(head: Option<&Head>) -> String {
    match head {
        None => "(belum tercatat)".into(),
        Some(Head {
            name,
            position: Some(p),
        }) => format!("{name} ({p})"),
        Some(Head {
            name,
            position: None,
        }) => name.clone(),
    }
}

fn render(r: &QuarterlyReport, pages: &[Vec<Mark>]) -> Result<Vec<u8>, RakorFileError> {
    let unreadable = || RakorFileError::Pdf("the embedded font is unreadable".into());
    let regular = Font::new(REGULAR.into(), 0).ok_or_else(unreadable)?;
    let bold = Font::new(BOLD.into(), 0).ok_or_else(unreadable)?;
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
        .ok_or_else(|| RakorFileError::Pdf("invalid page size".into()))?;
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(format!("{TITLE} {}", r.quarter))
            .language("id".into())
            .creator("Tanggap".into()),
    );
    for marks in pages {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for mark in marks {
            match mark {
                Mark::Rect { x, y, w, h, color } => {
                    let mut path = PathBuilder::new();
                    if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                        path.push_rect(rect);
                    }
                    if let Some(path) = path.finish() {
                        surface.set_stroke(None);
                        surface.set_fill(Some(fill(*color)));
                        surface.draw_path(&path);
                    }
                }
                Mark::Text {
                    x,
                    y,
                    size,
                    face,
                    color,
                    upright,
                    text,
                } => {
                    let font = match face {
                        Face::Regular => regular.clone(),
                        Face::Bold => bold.clone(),
                    };
                    surface.set_stroke(None);
                    surface.set_fill(Some(fill(*color)));
                    if *upright {
                        surface.push_transform(&Transform::from_row(0.0, -1.0, 1.0, 0.0, *x, *y));
                        surface.draw_text(
                            Point::from_xy(0.0, 0.0),
                            font,
                            *size,
                            text,
                            false,
                            TextDirection::Auto,
                        );
                        surface.pop();
                    } else {
                        surface.draw_text(
                            Point::from_xy(*x, *y),
                            font,
                            *size,
                            text,
                            false,
                            TextDirection::Auto,
                        );
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| RakorFileError::Pdf(format!("{e:?}")))
}

fn fill(c: Rgb) -> Fill {
    Fill {
        paint: rgb::Color::new(c.0, c.1, c.2).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    //! Reports made by hand (every type has public fields), shared with the XLSX tests.

    use super::*;
    use chrono::{DateTime, TimeDelta, TimeZone, Utc};
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use tanggap_domain::compliance::{AgencyFigures, Period};
    use tanggap_service::compliance::Compliance;

    fn wib(d: u32, m: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Jakarta
            .with_ymd_and_hms(2026, m, d, h, min, 0)
            .single()
            .expect("a WIB time")
            .with_timezone(&Utc)
    }

    fn quarter(q: &str) -> Period {
        Period::quarter(q).expect("a quarter")
    }

    fn head(name: &str, position: &str) -> Option<Head> {
        Some(Head {
            name: name.into(),
            position: Some(position.into()),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn figures(
        received: u64,
        on_time: u64,
        late: u64,
        unresponded_overdue: u64,
        not_yet_due: u64,
        cancelled: u64,
        lalai_ids: &[&str],
    ) -> AgencyFigures {
        AgencyFigures {
            received,
            on_time,
            late,
            unresponded_overdue,
            not_yet_due,
            cancelled,
            median_response: Some(TimeDelta::minutes(330)),
            p90_response: Some(TimeDelta::minutes(1290)),
            lalai_tracking_ids: lalai_ids.iter().map(|s| s.to_string()).collect(),
            ..AgencyFigures::default()
        }
    }

    fn line(id: &str, name: &str, head: Option<Head>, figures: AgencyFigures) -> AgencyLine {
        AgencyLine {
            agency_id: id.into(),
            name: name.into(),
            head,
            figures,
        }
    }

    fn sum(lines: &[AgencyLine]) -> AgencyFigures {
        let mut t = AgencyFigures::default();
        for l in lines {
            let f = &l.figures;
            t.received += f.received;
            t.on_time += f.on_time;
            t.late += f.late;
            t.unresponded_overdue += f.unresponded_overdue;
            t.not_yet_due += f.not_yet_due;
            t.cancelled += f.cancelled;
            t.lalai_tracking_ids
                .extend(f.lalai_tracking_ids.iter().cloned());
        }
        t
    }

    pub(crate) const DINKES: &str = "Dinas Kesehatan Provinsi Jawa Tengah";
    pub(crate) const DPU: &str = "Dinas Pekerjaan Umum Bina Marga dan Cipta Karya Provinsi Jawa Tengah (Balai Pengelolaan Jalan Wilayah Semarang)";
    pub(crate) const BPBD: &str = "Badan Penanggulangan Bencana Daerah";
    pub(crate) const UNANSWERED: &str = "JTG-2026-000123";

    /// 2026-Q3: the public works office all on time (100 %, 90 % before), the health office
    /// 9 of 12 (75 %, 60 % before) with three lalai items under two heads, the disaster
    /// agency with nothing due yet.
    pub(crate) fn sample() -> QuarterlyReport {
        let ids = [UNANSWERED, "JTG-2026-000045", "JTG-2026-000078"];
        let agencies = vec![
            line(
                "dinkes",
                DINKES,
                head("dr. Yunita Dyah Suminar", "Kepala Dinas Kesehatan"),
                figures(12, 9, 2, 1, 0, 0, &ids),
            ),
            line(
                "dpu-bm",
                DPU,
                head("Ir. Hanung Triyono, M.Si.", "Kepala Dinas"),
                figures(20, 20, 0, 0, 0, 0, &[]),
            ),
            line("bpbd", BPBD, None, {
                let mut f = figures(2, 0, 0, 0, 1, 1, &[]);
                f.median_response = None;
                f.p90_response = None;
                f
            }),
        ];
        let lalai = vec![
            LalaiItem {
                assignment_id: 7,
                tracking_id: UNANSWERED.into(),
                agency_id: "dinkes".into(),
                started_at: wib(20, 9, 9, 15),
                due_at: wib(21, 9, 9, 15),
                responded_at: None,
                head: head("dr. Yunita Dyah Suminar", "Kepala Dinas Kesehatan"),
            },
            LalaiItem {
                assignment_id: 3,
                tracking_id: "JTG-2026-000045".into(),
                agency_id: "dinkes".into(),
                started_at: wib(1, 7, 10, 0),
                due_at: wib(2, 7, 10, 0),
                responded_at: Some(wib(3, 7, 8, 30)),
                head: head("Drs. Bambang Santoso", "Plt. Kepala Dinas Kesehatan"),
            },
            LalaiItem {
                assignment_id: 5,
                tracking_id: "JTG-2026-000078".into(),
                agency_id: "dinkes".into(),
                started_at: wib(14, 8, 13, 0),
                due_at: wib(15, 8, 13, 0),
                responded_at: Some(wib(15, 8, 16, 45)),
                head: head("dr. Yunita Dyah Suminar", "Kepala Dinas Kesehatan"),
            },
        ];
        let previous_lines = vec![
            line("dinkes", DINKES, None, figures(10, 6, 4, 0, 0, 0, &[])),
            line("dpu-bm", DPU, None, figures(20, 18, 2, 0, 0, 0, &[])),
        ];
        QuarterlyReport {
            quarter: "2026-Q3".into(),
            current: Compliance {
                period: quarter("2026-Q3"),
                at: wib(2, 10, 8, 0),
                total: sum(&agencies),
                agencies,
                lalai,
            },
            previous: Compliance {
                period: quarter("2026-Q2"),
                at: wib(2, 10, 8, 0),
                total: sum(&previous_lines),
                agencies: previous_lines,
                lalai: vec![],
            },
            audit_head: Some((
                48213,
                "9f2c4e1a7b3d5f60812a4c6e8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4b6d".into(),
            )),
            made_at: wib(2, 10, 8, 0),
            tz: chrono_tz::Asia::Jakarta,
        }
    }

    /// A province: `agencies` agencies (long names among them) and `items` lalai items spread
    /// over them.
    pub(crate) fn province(agencies: usize, items: usize) -> QuarterlyReport {
        let mut r = sample();
        let kinds = [
            "Dinas Pendidikan dan Kebudayaan",
            "Badan Pendapatan Daerah",
            "Dinas Perhubungan",
            "Dinas Lingkungan Hidup dan Kehutanan",
            "Rumah Sakit Umum Daerah Dr. Moewardi",
            "Dinas Kependudukan dan Pencatatan Sipil",
        ];
        let lines: Vec<AgencyLine> = (0..agencies)
            .map(|i| {
                let on_time = (i as u64 * 7) % 40;
                let late = (i as u64) % 5;
                let overdue = (i as u64) % 3;
                let mut name = format!("{} Unit {}", kinds[i % kinds.len()], i + 1);
                if i % 9 == 0 {
                    name.push_str(
                        " Kabupaten Kepulauan Karimunjawa dan Sekitarnya Wilayah Pantai Utara",
                    );
                }
                line(
                    &format!("ag-{i:02}"),
                    &name,
                    head(&format!("Kepala Nomor {}", i + 1), "Kepala Unit"),
                    figures(
                        on_time + late + overdue + 1,
                        on_time,
                        late,
                        overdue,
                        1,
                        0,
                        &[],
                    ),
                )
            })
            .collect();
        let lalai: Vec<LalaiItem> = (0..items)
            .map(|n| LalaiItem {
                assignment_id: n as i64,
                tracking_id: format!("JTG-2026-{:06}", 100_000 + n),
                agency_id: format!("ag-{:02}", n % agencies),
                started_at: wib(1 + (n % 28) as u32, 8, 9, 0),
                due_at: wib(2 + (n % 28) as u32, 8, 9, 0),
                responded_at: (n % 4 != 0)
                    .then(|| wib(2 + (n % 28) as u32, 8, 10 + (n % 9) as u32, 30)),
                head: head(&format!("Kepala Nomor {}", n % agencies + 1), "Kepala Unit"),
            })
            .collect();
        r.previous.agencies = lines
            .iter()
            .map(|l| AgencyLine {
                head: None,
                ..l.clone()
            })
            .collect();
        r.current.total = sum(&lines);
        r.current.agencies = lines;
        r.current.lalai = lalai;
        r
    }

    /// Keeps a made file for a look when TANGGAP_RAKOR_SAMPLES names a directory.
    pub(crate) fn keep(name: &str, bytes: &[u8]) {
        if let Some(dir) = std::env::var_os("TANGGAP_RAKOR_SAMPLES") {
            std::fs::write(Path::new(&dir).join(name), bytes).expect("the sample kept");
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tanggap-rakor-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        dir
    }

    /// Whether a poppler tool can run; fails instead when TANGGAP_REQUIRE_BROWSER=1.
    fn have(tool: &str) -> bool {
        let found = Command::new(tool).arg("-v").output().is_ok();
        if !found {
            assert!(
                std::env::var("TANGGAP_REQUIRE_BROWSER").as_deref() != Ok("1"),
                "{tool} is not installed (apt-get install poppler-utils) and TANGGAP_REQUIRE_BROWSER=1"
            );
            println!("SKIPPED: {tool} not installed");
        }
        found
    }

    fn pdftotext(file: &Path) -> String {
        let out = Command::new("pdftotext")
            .args(["-layout"])
            .arg(file)
            .arg("-")
            .output()
            .expect("pdftotext runs");
        assert!(out.status.success(), "pdftotext failed: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Width, height and pixels of a binary PGM (P5, 8 bit).
    fn read_pgm(bytes: &[u8]) -> (usize, usize, &[u8]) {
        let mut fields = Vec::new();
        let mut i = 0;
        while fields.len() < 4 {
            while bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if bytes[i] == b'#' {
                while bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            let start = i;
            while !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            fields.push(String::from_utf8_lossy(&bytes[start..i]).into_owned());
        }
        assert_eq!(fields[0], "P5", "a binary greyscale PGM");
        assert_eq!(fields[3], "255", "8-bit grey");
        let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
        let pixels = &bytes[i + 1..];
        assert_eq!(pixels.len(), w * h);
        (w, h, pixels)
    }

    fn media_boxes(pdf: &[u8]) -> Vec<Vec<f32>> {
        let text = String::from_utf8_lossy(pdf);
        text.match_indices("/MediaBox")
            .map(|(i, _)| {
                let rest = &text[i + "/MediaBox".len()..];
                let open = rest.find('[').expect("[");
                let close = rest.find(']').expect("]");
                rest[open + 1..close]
                    .split_whitespace()
                    .map(|n| n.parse().expect("a number"))
                    .collect()
            })
            .collect()
    }

    fn page_count(pdf: &[u8]) -> usize {
        let raw = String::from_utf8_lossy(pdf);
        raw.matches("/Type /Page").count() - raw.matches("/Type /Pages").count()
    }

    #[test]
    fn pdf_is_a4_embeds_its_fonts_and_its_first_page_renders() {
        let r = sample();
        let bytes = pdf(&r).expect("a PDF");
        assert!(bytes.starts_with(b"%PDF-"), "a PDF header");
        let raw = String::from_utf8_lossy(&bytes);
        assert!(raw.contains("/FontFile2"), "the TrueType font is embedded");
        assert!(
            !raw.contains("/BaseFont /Helvetica"),
            "no unembedded standard font"
        );
        let boxes = media_boxes(&bytes);
        assert!(!boxes.is_empty());
        for b in &boxes {
            assert_eq!(b.len(), 4);
            assert!(b[0].abs() < 0.01 && b[1].abs() < 0.01, "{b:?}");
            assert!(
                (b[2] - 595.28).abs() < 0.5 && (b[3] - 841.89).abs() < 0.5,
                "A4: {b:?}"
            );
        }
        keep("rakor-sample.pdf", &bytes);
        let dir = scratch("sample");
        let file = dir.join("rakor.pdf");
        std::fs::write(&file, &bytes).expect("written");
        if !have("pdftoppm") {
            return;
        }
        let prefix = dir.join("page");
        let out = Command::new("pdftoppm")
            .args(["-r", "40", "-f", "1", "-l", "1", "-gray"])
            .arg(&file)
            .arg(&prefix)
            .output()
            .expect("pdftoppm runs");
        assert!(out.status.success(), "pdftoppm failed: {out:?}");
        let pgm = std::fs::read_dir(&dir)
            .expect("the scratch directory")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|e| e == "pgm"))
            .expect("a PGM of page 1");
        let bytes_pgm = std::fs::read(&pgm).expect("the PGM");
        let (w, h, pixels) = read_pgm(&bytes_pgm);
        // 40 dpi: A4 is 331 x 468 pixels.
        assert!(
            (330..=332).contains(&w) && (467..=469).contains(&h),
            "{w}x{h}"
        );
        let inked = pixels.iter().filter(|&&p| p < 200).count() as f64 / pixels.len() as f64;
        let white = pixels.iter().filter(|&&p| p > 250).count() as f64 / pixels.len() as f64;
        assert!(inked > 0.005, "page 1 is blank: {inked}");
        assert!(white > 0.5, "page 1 is mostly dark: {white} white");
        if have("pdftotext") {
            let text = pdftotext(&file);
            for expected in [
                "Laporan akuntabilitas triwulanan (rakor)",
                "2026-Q3",
                "2026-07-01",
                "2026-09-30",
                "Asia/Jakarta",
                "48213",
                "tanggap audit verify",
                "Dinas Kesehatan Provinsi Jawa Tengah",
                "Badan Penanggulangan Bencana Daerah",
                "Dinas Pekerjaan Umum Bina Marga",
                "dr. Yunita Dyah Suminar",
                "Drs. Bambang Santoso",
                "Plt. Kepala Dinas Kesehatan",
                UNANSWERED,
                "JTG-2026-000078",
                "Instansi yang tidak merespons dalam 1x24 jam",
                "Halaman 1 dari",
                "75.0",
                "+15.0",
                "belum",
            ] {
                assert!(
                    text.contains(expected),
                    "{expected:?} missing from:\n{text}"
                );
            }
            // The hash is printed whole (it may wrap, never be cut).
            let joined: String = text.split_whitespace().collect();
            assert!(
                joined.contains("9f2c4e1a7b3d5f60812a4c6e8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4b6d")
            );
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn pdf_ranks_best_first_and_lists_lalai_by_agency() {
        let r = sample();
        let m = Metrics::new().unwrap();
        let pages = layout(&r, &m);
        let texts: Vec<&str> = pages
            .iter()
            .flatten()
            .filter_map(|mark| match mark {
                Mark::Text { text, .. } => Some(text.as_str()),
                Mark::Rect { .. } => None,
            })
            .collect();
        let at = |s: &str| {
            texts
                .iter()
                .position(|t| t.contains(s))
                .unwrap_or_else(|| panic!("{s:?} not laid out"))
        };
        // The chart labels: best first.
        assert!(at("1. Dinas Pekerjaan Umum") < at("2. Dinas Kesehatan"));
        assert!(at("2. Dinas Kesehatan") < at("3. Badan Penanggulangan"));
        assert!(texts.contains(&"belum ada kewajiban yang jatuh tempo"));
        // The lalai section names both heads in office at the deadlines.
        let summary = texts
            .iter()
            .find(|t| t.starts_with("3 kewajiban lalai"))
            .expect("the health office's lalai summary");
        assert!(summary.contains("1 belum direspons"), "{summary}");
        let lalai_text = texts.join(" ");
        assert!(lalai_text.contains("dr. Yunita Dyah Suminar (Kepala Dinas Kesehatan)"));
        assert!(lalai_text.contains("Drs. Bambang Santoso (Plt. Kepala Dinas Kesehatan)"));
        // Unanswered first in the evidence table.
        assert!(at(UNANSWERED) < at("JTG-2026-000045"));
        assert!(texts.contains(&"2026-09-21 09:15"));
    }

    /// Every text mark stays inside the page's body (or its footer) and within the margins.
    fn assert_inside(pages: &[Vec<Mark>], m: &Metrics) {
        for (n, page) in pages.iter().enumerate() {
            for mark in page {
                if let Mark::Text {
                    x,
                    y,
                    size,
                    face,
                    upright,
                    text,
                    ..
                } = mark
                {
                    let w = m.width(*face, *size, text);
                    if *upright {
                        assert!(
                            *y - w >= TOP - 0.5,
                            "page {}: {text:?} runs off the top",
                            n + 1
                        );
                    } else {
                        assert!(
                            *x >= LEFT - 0.5,
                            "page {}: {text:?} left of the margin",
                            n + 1
                        );
                        assert!(
                            *x + w <= RIGHT + 0.5,
                            "page {}: {text:?} ends at {} past {RIGHT}",
                            n + 1,
                            x + w
                        );
                    }
                    assert!(
                        *y <= PAGE_H - 20.0,
                        "page {}: {text:?} below the page",
                        n + 1
                    );
                    assert!(
                        *y <= BOTTOM || text.starts_with("Halaman") || text.starts_with(TITLE),
                        "page {}: {text:?} in the footer",
                        n + 1
                    );
                }
            }
        }
    }

    #[test]
    fn pdf_text_stays_within_the_margins() {
        let m = Metrics::new().unwrap();
        assert_inside(&layout(&sample(), &m), &m);
        assert_inside(&layout(&province(60, 500), &m), &m);
    }

    #[test]
    fn pdf_of_a_province_flows_over_several_pages() {
        let r = province(60, 500);
        let bytes = pdf(&r).expect("a PDF");
        let pages = page_count(&bytes);
        println!(
            "60 agencies, 500 lalai items: {pages} pages, {} bytes",
            bytes.len()
        );
        assert!(pages >= 8, "{pages} pages");
        assert_eq!(media_boxes(&bytes).len(), pages);
        keep("rakor-province.pdf", &bytes);
        let dir = scratch("province");
        let file = dir.join("rakor.pdf");
        std::fs::write(&file, &bytes).expect("written");
        if have("pdftotext") {
            let text = pdftotext(&file);
            assert!(text.contains(&format!("Halaman {pages} dari {pages}")));
            assert!(text.contains("Peringkat (lanjutan)"));
            for n in [0, 250, 499] {
                let id = format!("JTG-2026-{:06}", 100_000 + n);
                assert!(text.contains(&id), "{id} missing");
            }
            assert!(text.contains("Dinas Kependudukan dan Pencatatan Sipil Unit 60"));
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn pdf_of_an_empty_quarter() {
        let mut r = sample();
        r.current.agencies.clear();
        r.current.lalai.clear();
        r.current.total = AgencyFigures::default();
        r.audit_head = None;
        let bytes = pdf(&r).expect("a PDF");
        assert_eq!(page_count(&bytes), 1);
    }

    #[test]
    fn wrapping_cuts_long_words_and_keeps_every_character() {
        let m = Metrics::new().unwrap();
        let text = "hash 9f2c4e1a7b3d5f60812a4c6e8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4b6d selesai";
        let lines = m.wrap(Face::Regular, 9.0, text, 80.0);
        assert!(lines.len() >= 4, "{lines:?}");
        for l in &lines {
            assert!(m.width(Face::Regular, 9.0, l) <= 80.0, "{l:?}");
        }
        let joined: String = lines.concat().split_whitespace().collect();
        let original: String = text.split_whitespace().collect();
        assert_eq!(joined, original);
        assert_eq!(
            m.fit(Face::Bold, 8.0, "Dinas Kesehatan", 1000.0),
            "Dinas Kesehatan"
        );
        let short = m.fit(Face::Regular, 8.0, DPU, 100.0);
        assert!(short.ends_with('…') && m.width(Face::Regular, 8.0, &short) <= 100.0);
    }
}
