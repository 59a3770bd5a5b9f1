//! Measuring the assistant on a labelled file of the shape of `complaints-dev.jsonl`
//! (`tanggap eval routing|duplicates FILE.jsonl`).
//!
//! Routing is measured by k-fold cross-validation: the file is cut into `folds` parts by line
//! number; each part is suggested for by a router trained on the reference data and the other
//! parts, so no line is ever suggested for by a model that saw it. With `train`, the router
//! learns from that file instead and every line of the measured file is suggested for.
//! A suggestion naming `agency_id` or any of `alt_agency_ids` is right.
//!
//! Duplicates are measured over pairs: every two lines of the file are compared as the desk
//! would compare a new report with a recent one (same area, time window when the file has
//! `created_at`); a pair shown as likely duplicates is right when both lines have the same
//! `duplicate_group`. Precision is right pairs over shown pairs, recall right pairs over all
//! pairs sharing a group.

use crate::duplicates::{DuplicateSettings, Fingerprint, Rarity, likely_duplicate};
use crate::routing::{Example, Knowledge, Router};
use serde::Deserialize;
use tanggap_domain::Timestamp;

/// One labelled line.
#[derive(Debug, Clone, Deserialize)]
pub struct Labelled {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub region_code: String,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub agency_id: Option<String>,
    #[serde(default)]
    pub alt_agency_ids: Vec<String>,
    #[serde(default)]
    pub duplicate_group: Option<String>,
    #[serde(default)]
    pub created_at: Option<Timestamp>,
}

impl Labelled {
    fn example(&self) -> Example {
        Example {
            title: self.title.clone(),
            body: self.body.clone(),
            region_code: self.region_code.clone(),
            category: self.category.clone(),
            agency_id: self.agency_id.clone(),
        }
    }

    fn fingerprint(&self) -> Fingerprint {
        let mut f = Fingerprint::new(&self.title, &self.body, &self.region_code);
        f.created_at = self.created_at;
        f
    }

    fn accepts(&self, agency: &str) -> bool {
        self.agency_id.as_deref() == Some(agency) || self.alt_agency_ids.iter().any(|a| a == agency)
    }
}

/// Reads a JSON-lines file; a line that is not a labelled report is an error naming its number.
pub fn parse_jsonl(text: &str) -> Result<Vec<Labelled>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

/// What `tanggap eval routing` prints.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoutingFigures {
    /// Lines with an agency to check against.
    pub lines: usize,
    pub agency_top1: usize,
    pub agency_top3: usize,
    /// Lines with a category.
    pub categorised: usize,
    /// The first suggestion's category is the line's.
    pub category_top1: usize,
    /// Sum of the first suggestions' confidences (their mean should be near the top-1 accuracy).
    pub confidence_sum: f64,
    /// Lines where the first suggestion was another agency: (id, expected, suggested).
    pub misses: Vec<(String, String, String)>,
}

impl RoutingFigures {
    fn count(&mut self, line: &Labelled, router: &Router) {
        let suggestions = router.suggest(&line.title, &line.body, &line.region_code);
        if let Some(expected) = &line.agency_id {
            self.lines += 1;
            self.confidence_sum += suggestions.first().map_or(0.0, |s| s.confidence);
            if suggestions
                .first()
                .is_some_and(|s| line.accepts(&s.agency_id))
            {
                self.agency_top1 += 1;
            } else {
                self.misses.push((
                    line.id.clone().unwrap_or_default(),
                    expected.clone(),
                    suggestions
                        .first()
                        .map(|s| s.agency_id.clone())
                        .unwrap_or_default(),
                ));
            }
            if suggestions
                .iter()
                .take(3)
                .any(|s| line.accepts(&s.agency_id))
            {
                self.agency_top3 += 1;
            }
        }
        if let Some(c) = &line.category {
            self.categorised += 1;
            if suggestions.first().and_then(|s| s.category.as_ref()) == Some(c) {
                self.category_top1 += 1;
            }
        }
    }
}

/// Cross-validated routing figures (see the module's text).
pub fn routing(knowledge: &Knowledge, lines: &[Labelled], folds: usize) -> RoutingFigures {
    let folds = folds.max(2);
    let mut figures = RoutingFigures::default();
    for fold in 0..folds {
        let train: Vec<Example> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| i % folds != fold)
            .map(|(_, l)| l.example())
            .collect();
        let router = Router::train(knowledge, &train);
        for (_, line) in lines.iter().enumerate().filter(|(i, _)| i % folds == fold) {
            figures.count(line, &router);
        }
    }
    figures
}

/// Routing figures of a router trained on `train` (the reference data alone when empty).
pub fn routing_trained(
    knowledge: &Knowledge,
    train: &[Labelled],
    lines: &[Labelled],
) -> RoutingFigures {
    let router = Router::train(
        knowledge,
        &train.iter().map(Labelled::example).collect::<Vec<_>>(),
    );
    let mut figures = RoutingFigures::default();
    for line in lines {
        figures.count(line, &router);
    }
    figures
}

/// What `tanggap eval duplicates` prints.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DuplicateFigures {
    /// Pairs of lines sharing a `duplicate_group`.
    pub true_pairs: usize,
    /// Pairs shown as likely duplicates.
    pub shown_pairs: usize,
    /// Shown pairs that share a group.
    pub right_pairs: usize,
    /// Shown pairs that do not: (id, id, score).
    pub wrong: Vec<(String, String, f64)>,
    /// Pairs sharing a group that were not shown: (id, id).
    pub missed: Vec<(String, String)>,
}

impl DuplicateFigures {
    pub fn precision(&self) -> f64 {
        ratio(self.right_pairs, self.shown_pairs)
    }

    pub fn recall(&self) -> f64 {
        ratio(self.right_pairs, self.true_pairs)
    }
}

pub fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// Pairwise duplicate figures (see the module's text). Word rarity is counted over the file.
pub fn duplicates(lines: &[Labelled], settings: &DuplicateSettings) -> DuplicateFigures {
    let prints: Vec<Fingerprint> = lines.iter().map(Labelled::fingerprint).collect();
    let mut rarity = Rarity::default();
    for p in &prints {
        rarity.add(p);
    }
    let rare = |w: &str| rarity.of(w);
    let mut f = DuplicateFigures::default();
    let id = |i: usize| {
        lines[i]
            .id
            .clone()
            .unwrap_or_else(|| format!("line {}", i + 1))
    };
    for i in 0..lines.len() {
        for j in i + 1..lines.len() {
            let same = lines[i].duplicate_group.is_some()
                && lines[i].duplicate_group == lines[j].duplicate_group;
            let shown = likely_duplicate(&prints[j], &prints[i], &rare, settings);
            f.true_pairs += usize::from(same);
            if let Some(l) = &shown {
                f.shown_pairs += 1;
                if same {
                    f.right_pairs += 1;
                } else {
                    f.wrong.push((id(i), id(j), l.score));
                }
            } else if same {
                f.missed.push((id(i), id(j)));
            }
        }
    }
    f
}
