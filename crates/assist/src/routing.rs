//! Where a report belongs: the three likeliest (category, agency) pairs, each with a confidence
//! and the reasons an operator can read.
//!
//! Two naive Bayes models read the stemmed words and word pairs of the title and body: one for
//! the category, one for the agency that must act. The agency model does not learn "Pemerintah
//! Kabupaten Klaten" and "Pemerintah Kota Tegal" as 35 separate classes from a handful of
//! reports each: a dispatch to the government of the report's own kabupaten/kota is learned as
//! one class, [`REGION_GOVERNMENT`] ("the kabupaten/kota holds authority here": an SD, a
//! kabupaten road, the PDAM), and the region of the report decides which government that is.
//! Both models start from the reference data (the categories' keywords and default agencies,
//! the agencies' names, the routing cues of who holds authority: `routing.csv`) and learn from
//! the dispatches operators made.

use crate::bayes::NaiveBayes;
use crate::text;
use std::collections::{HashMap, HashSet};
use tanggap_domain::{Agency, Category, Region};

/// The class of a dispatch to the government of the report's own kabupaten/kota.
pub const REGION_GOVERNMENT: &str = "kabupaten_kota";

/// Weight of one reference line (a category's keywords, an agency's name, a cue) against one
/// real dispatch.
const REFERENCE_WEIGHT: f64 = 3.0;
/// Weight of one past dispatch. A tenth of a hundred reference lines is soon outweighed when
/// the history holds thousands of dispatches, as it should be.
const HISTORY_WEIGHT: f64 = 0.2;
/// Log scores are divided by the square root of the number of known features, so that a long
/// letter's score does not drown the cues (whose boost does not grow with length).
const LENGTH_NORM: f64 = 0.5;
/// How much a cue found in the text adds to its agency's and category's log score.
const CUE_BOOST: f64 = 3.0;
/// Confidences are the models' probabilities flattened by this temperature (naive Bayes is
/// sure of itself far beyond its accuracy).
const TEMPERATURE: f64 = 0.75;

/// A phrase that says who holds authority (`smp` → the kabupaten/kota, `jalan nasional` →
/// BBPJN), from the reference file `routing.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cue {
    pub phrase: String,
    /// An agency id, or [`REGION_GOVERNMENT`].
    pub agency: Option<String>,
    pub category: Option<String>,
}

/// Parses `routing.csv` (`phrase,agency,category,note`; phrases separated by `;`).
pub fn parse_cues(csv_text: &str) -> Result<Vec<Cue>, String> {
    let mut out = Vec::new();
    for (i, line) in csv_text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.splitn(4, ',').collect();
        if cols.len() < 3 {
            return Err(format!(
                "routing.csv line {}: expected phrase,agency,category",
                i + 1
            ));
        }
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        for phrase in cols[0].split(';').map(str::trim).filter(|p| !p.is_empty()) {
            out.push(Cue {
                phrase: phrase.to_string(),
                agency: opt(cols[1]),
                category: opt(cols[2]),
            });
        }
    }
    Ok(out)
}

/// What the assistant knows before it has seen a single dispatch.
#[derive(Debug, Clone, Default)]
pub struct Knowledge {
    pub categories: Vec<Category>,
    /// Active agencies (suggestions name only these).
    pub agencies: Vec<Agency>,
    /// Regions at least down to kabupaten/kota level (for the names in reasons).
    pub regions: Vec<Region>,
    pub cues: Vec<Cue>,
}

/// One report as the models learn from it or are asked about it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Example {
    pub title: String,
    pub body: String,
    pub region_code: String,
    /// What the operator classified it as.
    pub category: Option<String>,
    /// The agency the operator dispatched it to (the lead).
    pub agency_id: Option<String>,
}

/// Why a suggestion was made, in words the page renders.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// Words of the report that speak for it (as the citizen wrote them).
    Keywords(Vec<String>),
    /// A phrase of the routing cues or an agency's name found in the text.
    Named(String),
    /// The government of this kabupaten/kota holds authority where the report happened.
    RegionGovernment { code: String, name: String },
    /// Where it happened.
    Region { code: String, name: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoutingSuggestion {
    pub category: Option<String>,
    pub agency_id: String,
    /// 0..1.
    pub confidence: f64,
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone)]
struct CompiledCue {
    words: Vec<String>,
    cue: Cue,
}

/// The trained assistant for routing.
#[derive(Debug, Clone)]
pub struct Router {
    agency_model: NaiveBayes,
    category_model: NaiveBayes,
    /// How often a category went with an agency class (target), reference lines included.
    pairs: HashMap<(String, String), f64>,
    cues: Vec<CompiledCue>,
    /// kabupaten/kota code → its government's agency id.
    governments: HashMap<String, String>,
    region_names: HashMap<String, String>,
    active: HashSet<String>,
    categories: HashSet<String>,
    /// Real dispatches learned from.
    pub trained_on: usize,
}

/// The agency class of a dispatch: [`REGION_GOVERNMENT`] when it went to the government of the
/// report's own kabupaten/kota.
fn target_of(agency_id: &str, region_code: &str, governments: &HashMap<String, String>) -> String {
    match Region::kabupaten_kota_code(region_code).and_then(|k| governments.get(&k)) {
        Some(gov) if gov == agency_id => REGION_GOVERNMENT.to_string(),
        _ => agency_id.to_string(),
    }
}

fn contains_phrase(words: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty() && words.windows(phrase.len()).any(|w| w == phrase)
}

impl Router {
    /// Learns from the reference data and the dispatches in `history`.
    pub fn train(knowledge: &Knowledge, history: &[Example]) -> Router {
        let governments: HashMap<String, String> = knowledge
            .agencies
            .iter()
            .filter_map(|a| Some((a.region_code.clone()?, a.id.clone())))
            .collect();
        let mut r = Router {
            agency_model: NaiveBayes::default(),
            category_model: NaiveBayes::default(),
            pairs: HashMap::new(),
            cues: Vec::new(),
            region_names: knowledge
                .regions
                .iter()
                .map(|x| (x.code.clone(), x.name.clone()))
                .collect(),
            active: knowledge.agencies.iter().map(|a| a.id.clone()).collect(),
            categories: knowledge
                .categories
                .iter()
                .map(|c| c.code.clone())
                .collect(),
            governments,
            trained_on: 0,
        };
        // The reference: each category with its name and keywords, for it and its default agency.
        for c in &knowledge.categories {
            let f = text::features(&format!("{} {}", c.name_id, c.keywords.join(" ")));
            r.category_model.add(&c.code, &f, REFERENCE_WEIGHT);
            if let Some(a) = c
                .default_agency_id
                .as_ref()
                .filter(|a| r.active.contains(*a))
            {
                r.agency_model.add(a, &f, REFERENCE_WEIGHT);
                *r.pairs.entry((a.clone(), c.code.clone())).or_default() += 1.0;
            }
            for k in &c.keywords {
                r.compile_cue(Cue {
                    phrase: k.clone(),
                    agency: None,
                    category: Some(c.code.clone()),
                });
            }
        }
        // Agencies' names (a kabupaten/kota government's name teaches its class).
        for a in &knowledge.agencies {
            let class = if a.region_code.is_some() {
                REGION_GOVERNMENT
            } else {
                a.id.as_str()
            };
            r.agency_model
                .add(class, &text::features(&a.name), REFERENCE_WEIGHT / 2.0);
        }
        // An agency named by its short name (`disperindag`, `bpjs kesehatan`, `kanwil bpn`).
        for a in knowledge
            .agencies
            .iter()
            .filter(|a| a.region_code.is_none())
        {
            r.compile_cue(Cue {
                phrase: a.id.replace('-', " "),
                agency: Some(a.id.clone()),
                category: None,
            });
        }
        for cue in &knowledge.cues {
            let f = text::features(&cue.phrase);
            if let Some(a) = &cue.agency {
                r.agency_model.add(a, &f, REFERENCE_WEIGHT);
            }
            if let Some(c) = &cue.category {
                r.category_model.add(c, &f, REFERENCE_WEIGHT);
            }
            if let (Some(a), Some(c)) = (&cue.agency, &cue.category) {
                *r.pairs.entry((a.clone(), c.clone())).or_default() += 1.0;
            }
            r.compile_cue(cue.clone());
        }
        for e in history {
            let f = text::features(&format!("{} {}", e.title, e.body));
            if let Some(c) = &e.category {
                r.category_model.add(c, &f, HISTORY_WEIGHT);
            }
            if let Some(a) = &e.agency_id {
                let t = target_of(a, &e.region_code, &r.governments);
                r.agency_model.add(&t, &f, HISTORY_WEIGHT);
                if let Some(c) = &e.category {
                    *r.pairs.entry((t, c.clone())).or_default() += 1.0;
                }
                r.trained_on += 1;
            }
        }
        r
    }

    fn compile_cue(&mut self, cue: Cue) {
        let words = text::words(&cue.phrase);
        if !words.is_empty() {
            self.cues.push(CompiledCue { words, cue });
        }
    }

    /// The three likeliest (category, agency) pairs for a new report, best first.
    pub fn suggest(&self, title: &str, body: &str, region_code: &str) -> Vec<RoutingSuggestion> {
        let all = format!("{title} {body}");
        let words = text::words(&all);
        let features = text::features(&all);
        let kab = Region::kabupaten_kota_code(region_code);
        let government = kab.as_ref().and_then(|k| self.governments.get(k));
        let found: Vec<&CompiledCue> = self
            .cues
            .iter()
            .filter(|c| contains_phrase(&words, &c.words))
            .collect();
        // The most specific phrase speaks: "rsud margono" silences "rsud".
        let found: Vec<&CompiledCue> = found
            .iter()
            .filter(|c| {
                !found.iter().any(|longer| {
                    longer.words.len() > c.words.len() && contains_phrase(&longer.words, &c.words)
                })
            })
            .copied()
            .collect();

        // Agencies.
        let mut agency_scores: Vec<(String, f64)> = self
            .agency_model
            .score(&features)
            .into_iter()
            .map(|mut s| {
                s.log_score /= norm(&features, &self.agency_model);
                s
            })
            .filter_map(|s| {
                let resolved = if s.class == REGION_GOVERNMENT {
                    government?.clone()
                } else {
                    s.class.clone()
                };
                self.active
                    .contains(&resolved)
                    .then_some((s.class, s.log_score))
            })
            .collect();
        for (class, score) in agency_scores.iter_mut() {
            if found.iter().any(|c| c.cue.agency.as_deref() == Some(class)) {
                *score += CUE_BOOST;
            }
        }
        agency_scores.sort_by(|a, b| b.1.total_cmp(&a.1));
        let confidences = softmax(agency_scores.iter().map(|(_, s)| *s));

        // Categories, for the pairing.
        let mut category_scores: HashMap<String, f64> = self
            .category_model
            .score(&features)
            .into_iter()
            .map(|mut s| {
                s.log_score /= norm(&features, &self.category_model);
                s
            })
            .filter(|s| self.categories.contains(&s.class))
            .map(|s| (s.class, s.log_score))
            .collect();
        for c in &found {
            if let Some(cat) = &c.cue.category
                && let Some(s) = category_scores.get_mut(cat)
            {
                *s += CUE_BOOST;
            }
        }

        let mut out = Vec::new();
        for ((class, _), confidence) in agency_scores.iter().zip(confidences).take(3) {
            let agency_id = if class == REGION_GOVERNMENT {
                government.cloned().unwrap_or_default()
            } else {
                class.clone()
            };
            let category = self.category_for(class, &category_scores);
            let mut reasons = Vec::new();
            let mut keywords: Vec<(f64, &String)> = features
                .iter()
                .filter(|f| !f.contains(' '))
                .map(|f| (self.agency_model.evidence(f, class), f))
                .filter(|(e, _)| *e > 0.5)
                .collect();
            keywords.sort_by(|a, b| b.0.total_cmp(&a.0));
            let keywords: Vec<String> = keywords
                .into_iter()
                .take(3)
                .map(|(_, f)| surface(&all, f))
                .collect();
            for c in &found {
                if c.cue.agency.as_deref() == Some(class.as_str())
                    && !reasons.iter().any(|r| matches!(r, Reason::Named(_)))
                {
                    reasons.push(Reason::Named(c.cue.phrase.clone()));
                }
            }
            if !keywords.is_empty() {
                reasons.push(Reason::Keywords(keywords));
            }
            if let Some(k) = &kab {
                let name = self.region_names.get(k).cloned().unwrap_or_default();
                reasons.push(if class == REGION_GOVERNMENT {
                    Reason::RegionGovernment {
                        code: k.clone(),
                        name,
                    }
                } else {
                    Reason::Region {
                        code: k.clone(),
                        name,
                    }
                });
            }
            out.push(RoutingSuggestion {
                category,
                agency_id,
                confidence,
                reasons,
            });
        }
        out
    }

    /// The likeliest category for a report sent to this agency class.
    fn category_for(&self, class: &str, scores: &HashMap<String, f64>) -> Option<String> {
        let pair_total: f64 = self
            .pairs
            .iter()
            .filter(|((a, _), _)| a == class)
            .map(|(_, n)| n)
            .sum();
        scores
            .iter()
            .map(|(c, s)| {
                let n = self
                    .pairs
                    .get(&(class.to_string(), c.clone()))
                    .copied()
                    .unwrap_or(0.0);
                (
                    c,
                    s + ((n + 0.1) / (pair_total + 0.1 * scores.len() as f64)).ln(),
                )
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(c, _)| c.clone())
    }
}

fn norm(features: &[String], m: &NaiveBayes) -> f64 {
    let n = features.iter().filter(|f| m.knows(f)).count() as f64;
    n.max(1.0).powf(LENGTH_NORM)
}

fn softmax(scores: impl Iterator<Item = f64>) -> Vec<f64> {
    let scores: Vec<f64> = scores.map(|s| s / TEMPERATURE).collect();
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exp: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
    let sum: f64 = exp.iter().sum();
    exp.into_iter().map(|e| e / sum).collect()
}

/// The word of the text whose stem is `stem` (the reason shows what the citizen wrote).
fn surface(text: &str, stem: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .find(|w| text::words(w).first().map(String::as_str) == Some(stem))
        .map(str::to_lowercase)
        .unwrap_or_else(|| stem.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tanggap_domain::{AgencyKind, RegionLevel};

    fn agency(id: &str, name: &str, region: Option<&str>) -> Agency {
        Agency {
            id: id.into(),
            name: name.into(),
            kind: if region.is_some() {
                AgencyKind::PemerintahKabupatenKota
            } else {
                AgencyKind::OpdProvinsi
            },
            parent_id: None,
            region_code: region.map(str::to_string),
            head_name: None,
            head_position: None,
            head_phone: None,
            head_email: None,
            active: true,
        }
    }

    fn category(code: &str, default: &str, keywords: &[&str]) -> Category {
        Category {
            code: code.into(),
            name_id: code.into(),
            name_en: code.into(),
            default_agency_id: Some(default.into()),
            needs_field_check: false,
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
        }
    }

    fn knowledge() -> Knowledge {
        Knowledge {
            categories: vec![
                category("pendidikan", "disdikbud", &["sekolah", "guru"]),
                category("listrik", "pln-uid", &["listrik padam"]),
                category("sumber-daya-air", "pusdataru", &["banjir", "sungai"]),
            ],
            agencies: vec![
                agency("disdikbud", "Dinas Pendidikan dan Kebudayaan", None),
                agency("pln-uid", "PLN UID Jawa Tengah", None),
                agency("pusdataru", "Dinas PU Sumber Daya Air", None),
                agency("pemda-33-10", "Pemerintah Kabupaten Klaten", Some("33.10")),
                agency("pemda-33-11", "Pemerintah Kabupaten Sukoharjo", Some("33.11")),
            ],
            regions: vec![Region {
                code: "33.10".into(),
                parent_code: Some("33".into()),
                level: RegionLevel::KabupatenKota,
                name: "Kabupaten Klaten".into(),
            }],
            cues: parse_cues(
                "phrase,agency,category,note\nsmp;sd,kabupaten_kota,pendidikan,\nsma,disdikbud,pendidikan,\n",
            )
            .unwrap(),
        }
    }

    #[test]
    fn who_holds_authority_decides_between_levels_of_school() {
        let r = Router::train(&knowledge(), &[]);
        let smp = r.suggest("", "SMP negeri minta uang seragam", "33.10.16");
        assert_eq!(smp[0].agency_id, "pemda-33-10");
        assert_eq!(smp[0].category.as_deref(), Some("pendidikan"));
        assert!(
            smp[0].reasons.contains(&Reason::RegionGovernment {
                code: "33.10".into(),
                name: "Kabupaten Klaten".into()
            }),
            "{:?}",
            smp[0].reasons
        );
        let sma = r.suggest("", "SMA negeri minta uang seragam", "33.10.16");
        assert_eq!(sma[0].agency_id, "disdikbud");
        assert!(sma.len() <= 3 && sma.iter().all(|s| (0.0..=1.0).contains(&s.confidence)));
        // No kabupaten/kota known: the region's government cannot be suggested.
        let province = r.suggest("", "SMP negeri minta uang seragam", "33");
        assert!(province.iter().all(|s| !s.agency_id.starts_with("pemda")));
    }

    #[test]
    fn dispatches_teach_the_kabupaten_class_for_every_kabupaten() {
        let history: Vec<Example> = (0..5)
            .map(|i| Example {
                title: "Gorong-gorong mampet".into(),
                body: format!("gorong gorong depan rumah nomor {i} mampet, jalan banjir"),
                region_code: "33.10.01".into(),
                category: Some("sumber-daya-air".into()),
                agency_id: Some("pemda-33-10".into()),
            })
            .collect();
        let before = Router::train(&knowledge(), &[]);
        let after = Router::train(&knowledge(), &history);
        assert_eq!(after.trained_on, 5);
        let text = "gorong gorong mampet, kampung kami banjir";
        assert_eq!(
            before.suggest("", text, "33.11.02")[0].agency_id,
            "pusdataru"
        );
        let s = after.suggest("", text, "33.11.02");
        assert_eq!(
            s[0].agency_id, "pemda-33-11",
            "learned in Klaten, applied in Sukoharjo"
        );
        assert_eq!(s[0].category.as_deref(), Some("sumber-daya-air"));
    }
}
