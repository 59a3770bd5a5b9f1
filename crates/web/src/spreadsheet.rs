//! Text that a spreadsheet must show and never run. A cell that starts with `=`, `+`, `-` or `@`
//! (or a tab or a carriage return, which some spreadsheets skip before reading a formula) is a
//! formula to Excel and LibreOffice: `=cmd|' /C calc'!A0` typed into a complaint, an agency's
//! name or a head's name would run when the export is opened (OWASP, "CSV Injection"). Every
//! export of text people typed goes through here: a CSV cell gets a leading apostrophe (the
//! spreadsheet shows the text without running it), an XLSX text cell is marked as text with
//! Excel's quote prefix (shown exactly, and still text when the cell is edited). Numbers we
//! format ourselves (`-3.0`, `+16.7`) are written as they are.

/// Whether a spreadsheet would read `cell` as a formula.
pub fn starts_like_formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// A text cell for a CSV file: with a leading apostrophe when it starts like a formula.
pub fn inert(cell: impl Into<String>) -> String {
    let cell = cell.into();
    if starts_like_formula(&cell) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// Writes a text cell to a workbook, marked as text (quote prefix) when it starts like a
/// formula. The cell's value is the text itself, unchanged.
pub fn write_text(
    ws: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    text: &str,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    if starts_like_formula(text) {
        let as_text = rust_xlsxwriter::Format::new().set_quote_prefix();
        ws.write_string_with_format(row, col, text, &as_text)?;
    } else {
        ws.write_string(row, col, text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_in_typed_text_are_inert() {
        assert_eq!(inert("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(inert("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(inert("+62 812"), "'+62 812");
        assert_eq!(inert("-2+3+cmd|' /C calc'!A0"), "'-2+3+cmd|' /C calc'!A0");
        assert_eq!(inert("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(inert("\t=1+1"), "'\t=1+1");
        assert_eq!(inert("\r=1+1"), "'\r=1+1");
        assert_eq!(inert("Jalan rusak"), "Jalan rusak");
        assert_eq!(inert("a,=1+1"), "a,=1+1", "only the start counts");
        assert_eq!(inert(String::new()), "");
    }

    #[test]
    fn a_workbook_marks_formula_like_text_as_text() {
        use std::io::Read;
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet();
        write_text(ws, 0, 0, "Jalan rusak").unwrap();
        write_text(ws, 1, 0, "=cmd|' /C calc'!A0").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut part = |name: &str| {
            let mut s = String::new();
            zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
            s
        };
        let sheet = part("xl/worksheets/sheet1.xml");
        let styles = part("xl/styles.xml");
        let strings = part("xl/sharedStrings.xml");
        assert!(!sheet.contains("<f>"), "no formula: {sheet}");
        assert!(
            strings.contains("<t>=cmd|' /C calc'!A0</t>"),
            "the text itself: {strings}"
        );
        // A1 has the default style; A2 the one with the quote prefix.
        assert!(sheet.contains("<c r=\"A1\" t=\"s\">"), "{sheet}");
        assert!(sheet.contains("<c r=\"A2\" s=\"1\" t=\"s\">"), "{sheet}");
        let xfs = &styles[styles.find("<cellXfs").unwrap()..];
        let second = xfs.split("<xf ").nth(2).unwrap();
        assert!(second.contains("quotePrefix=\"1\""), "{styles}");
    }
}
