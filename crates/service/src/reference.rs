//! Central Java reference data, compiled into the binary so that `tanggap seed` works on any
//! machine. The files and their sources are in `reference/jateng/` (see SOURCE.md there).

use serde::Deserialize;
use tanggap_domain::{Agency, AgencyKind, Category, Holiday, HolidayKind, Region, RegionLevel};

const REGIONS: &str = include_str!("../../../reference/jateng/regions.csv");
const AGENCIES: &str = include_str!("../../../reference/jateng/agencies.csv");
const CATEGORIES: &str = include_str!("../../../reference/jateng/categories.csv");
const HOLIDAYS: &str = include_str!("../../../reference/jateng/holidays.csv");

#[derive(Debug, thiserror::Error)]
#[error("reference data {file}, row {row}: {message}")]
pub struct ReferenceError {
    pub file: &'static str,
    pub row: usize,
    pub message: String,
}

fn rows<T: for<'de> Deserialize<'de>>(
    file: &'static str,
    text: &str,
) -> Result<Vec<(usize, T)>, ReferenceError> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .enumerate()
        .map(|(i, r)| {
            r.map(|v| (i + 2, v)).map_err(|e| ReferenceError {
                file,
                row: i + 2,
                message: e.to_string(),
            })
        })
        .collect()
}

fn bad(file: &'static str, row: usize, message: impl Into<String>) -> ReferenceError {
    ReferenceError {
        file,
        row,
        message: message.into(),
    }
}

#[derive(Deserialize)]
struct RegionRow {
    code: String,
    parent_code: String,
    level: String,
    name: String,
}

pub fn parse_regions(text: &str) -> Result<Vec<Region>, ReferenceError> {
    const F: &str = "regions.csv";
    rows::<RegionRow>(F, text)?
        .into_iter()
        .map(|(row, r)| {
            if !Region::is_valid_code(&r.code) {
                return Err(bad(F, row, format!("bad region code `{}`", r.code)));
            }
            Ok(Region {
                level: RegionLevel::parse(&r.level)
                    .ok_or_else(|| bad(F, row, format!("unknown level `{}`", r.level)))?,
                parent_code: Some(r.parent_code).filter(|p| !p.is_empty()),
                code: r.code,
                name: r.name,
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct AgencyRow {
    id: String,
    name: String,
    kind: String,
    parent_id: String,
    note: String,
}

pub fn parse_agencies(text: &str) -> Result<Vec<Agency>, ReferenceError> {
    const F: &str = "agencies.csv";
    rows::<AgencyRow>(F, text)?
        .into_iter()
        .map(|(row, a)| {
            // A kabupaten/kota government's note names the region it governs: "region 33.01".
            let region_code = a
                .note
                .split_whitespace()
                .skip_while(|w| *w != "region")
                .nth(1)
                .map(str::to_string);
            Ok(Agency {
                kind: AgencyKind::parse(&a.kind)
                    .ok_or_else(|| bad(F, row, format!("unknown agency kind `{}`", a.kind)))?,
                parent_id: Some(a.parent_id).filter(|p| !p.is_empty()),
                region_code,
                id: a.id,
                name: a.name,
                head_name: None,
                head_position: None,
                head_phone: None,
                head_email: None,
                active: true,
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct CategoryRow {
    code: String,
    name_id: String,
    name_en: String,
    default_agency_id: String,
    needs_field_check: String,
    keywords: String,
}

pub fn parse_categories(text: &str) -> Result<Vec<Category>, ReferenceError> {
    const F: &str = "categories.csv";
    rows::<CategoryRow>(F, text)?
        .into_iter()
        .map(|(row, c)| {
            let needs_field_check = match c.needs_field_check.as_str() {
                "true" => true,
                "false" => false,
                other => {
                    return Err(bad(
                        F,
                        row,
                        format!("needs_field_check must be true or false, not `{other}`"),
                    ));
                }
            };
            Ok(Category {
                code: c.code,
                name_id: c.name_id,
                name_en: c.name_en,
                default_agency_id: Some(c.default_agency_id).filter(|a| !a.is_empty()),
                needs_field_check,
                keywords: c
                    .keywords
                    .split(';')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(str::to_string)
                    .collect(),
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct HolidayRow {
    date: String,
    kind: String,
    name: String,
}

pub fn parse_holidays(text: &str) -> Result<Vec<Holiday>, ReferenceError> {
    const F: &str = "holidays.csv";
    rows::<HolidayRow>(F, text)?
        .into_iter()
        .map(|(row, h)| {
            Ok(Holiday {
                date: h
                    .date
                    .parse()
                    .map_err(|_| bad(F, row, format!("bad date `{}`", h.date)))?,
                kind: HolidayKind::parse(&h.kind)
                    .ok_or_else(|| bad(F, row, format!("unknown holiday kind `{}`", h.kind)))?,
                name: h.name,
            })
        })
        .collect()
}

/// The data shipped with the binary.
pub struct Jateng {
    pub regions: Vec<Region>,
    pub agencies: Vec<Agency>,
    pub categories: Vec<Category>,
    pub holidays: Vec<Holiday>,
}

pub fn jateng() -> Result<Jateng, ReferenceError> {
    Ok(Jateng {
        regions: parse_regions(REGIONS)?,
        agencies: parse_agencies(AGENCIES)?,
        categories: parse_categories(CATEGORIES)?,
        holidays: parse_holidays(HOLIDAYS)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_data_parses_with_the_documented_counts() {
        let j = jateng().unwrap();
        assert_eq!(j.regions.len(), 9175);
        assert_eq!(j.agencies.len(), 101);
        assert_eq!(j.categories.len(), 29);
        assert_eq!(j.holidays.len(), 79);
        let cilacap = j.agencies.iter().find(|a| a.id == "pemda-33-01").unwrap();
        assert_eq!(cilacap.region_code.as_deref(), Some("33.01"));
        let ids: std::collections::HashSet<&str> =
            j.agencies.iter().map(|a| a.id.as_str()).collect();
        for a in &j.agencies {
            if let Some(p) = &a.parent_id {
                assert!(ids.contains(p.as_str()), "{} has unknown parent {p}", a.id);
            }
        }
        for c in &j.categories {
            assert!(
                ids.contains(c.default_agency_id.as_deref().unwrap()),
                "{}",
                c.code
            );
        }
        let codes: std::collections::HashSet<&str> =
            j.regions.iter().map(|r| r.code.as_str()).collect();
        assert!(
            j.regions
                .iter()
                .all(|r| r.parent_code.as_deref().is_none_or(|p| codes.contains(p)))
        );
    }

    #[test]
    fn bad_rows_are_named() {
        let e = parse_holidays("date,kind,name\n2026-13-01,libur_nasional,X\n").unwrap_err();
        assert_eq!(e.row, 2);
        assert!(e.to_string().contains("bad date"));
        assert!(
            parse_categories(
                "code,name_id,name_en,default_agency_id,needs_field_check,keywords\na,b,c,d,yes,\n"
            )
            .is_err()
        );
    }
}
