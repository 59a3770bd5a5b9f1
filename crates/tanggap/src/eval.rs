//! `tanggap eval routing FILE.jsonl` and `tanggap eval duplicates FILE.jsonl`: the desk
//! assistant's accuracy on a labelled file of the shape of `complaints-dev.jsonl`, with the
//! Central Java reference data and routing cues compiled into this binary (no database).
//! How it is measured: `tanggap_assist::eval`.

use anyhow::Context as _;
use std::fmt::Write as _;
use std::path::Path;
use tanggap_assist::eval::{self, Labelled, ratio};

fn read(file: &Path) -> anyhow::Result<Vec<Labelled>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let lines = eval::parse_jsonl(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    anyhow::ensure!(!lines.is_empty(), "{}: no labelled lines", file.display());
    Ok(lines)
}

fn pct(a: usize, b: usize) -> String {
    format!("{a}/{b} = {:.1}%", 100.0 * ratio(a, b))
}

/// The routing figures as printed.
pub fn routing(
    file: &Path,
    folds: usize,
    train: Option<&Path>,
    verbose: bool,
) -> anyhow::Result<String> {
    let lines = read(file)?;
    let knowledge = tanggap_service::assist::jateng_knowledge()?;
    let (how, f) = match train {
        Some(t) => {
            let history = read(t)?;
            (
                format!("trained on the {} lines of {}", history.len(), t.display()),
                eval::routing_trained(&knowledge, &history, &lines),
            )
        }
        None => (
            format!(
                "{folds}-fold cross-validation: each line suggested by a model trained on the reference data and the other folds"
            ),
            eval::routing(&knowledge, &lines, folds),
        ),
    };
    let alone = eval::routing_trained(&knowledge, &[], &lines);
    let mut out = String::new();
    writeln!(
        out,
        "routing: {} lines of {}, {how}",
        lines.len(),
        file.display()
    )?;
    writeln!(out, "agency top-1:  {}", pct(f.agency_top1, f.lines))?;
    writeln!(out, "agency top-3:  {}", pct(f.agency_top3, f.lines))?;
    writeln!(
        out,
        "category:      {}",
        pct(f.category_top1, f.categorised)
    )?;
    writeln!(
        out,
        "mean confidence of the first suggestion: {:.1}%",
        100.0 * f.confidence_sum / f.lines.max(1) as f64
    )?;
    writeln!(
        out,
        "reference data alone (no dispatches learned): agency top-1 {}, top-3 {}, category {}",
        pct(alone.agency_top1, alone.lines),
        pct(alone.agency_top3, alone.lines),
        pct(alone.category_top1, alone.categorised)
    )?;
    if verbose {
        for (id, expected, got) in &f.misses {
            writeln!(
                out,
                "  first suggestion wrong: {id}: expected {expected}, suggested {got}"
            )?;
        }
    }
    Ok(out)
}

/// The duplicate figures as printed.
pub fn duplicates(file: &Path, verbose: bool) -> anyhow::Result<String> {
    let lines = read(file)?;
    let settings = tanggap_assist::DuplicateSettings::default();
    let f = eval::duplicates(&lines, &settings);
    let n = lines.len();
    let mut out = String::new();
    writeln!(
        out,
        "duplicates: {n} lines of {}, {} pairs compared (same area: same kecamatan, or within {} km; threshold {:.2}, +{:.2} when only the kabupaten/kota is shared)",
        file.display(),
        n * (n - 1) / 2,
        settings.max_distance_km,
        settings.threshold,
        settings.wide_area_margin
    )?;
    writeln!(out, "pairs sharing a duplicate_group: {}", f.true_pairs)?;
    writeln!(out, "pairs shown as likely duplicates: {}", f.shown_pairs)?;
    writeln!(out, "precision: {}", pct(f.right_pairs, f.shown_pairs))?;
    writeln!(out, "recall:    {}", pct(f.right_pairs, f.true_pairs))?;
    if verbose {
        for (a, b, score) in &f.wrong {
            writeln!(out, "  shown but not in one group: {a} {b} ({score:.2})")?;
        }
        for (a, b) in &f.missed {
            writeln!(out, "  in one group but not shown: {a} {b}")?;
        }
    }
    Ok(out)
}
