//! A multinomial naive Bayes classifier over sets of features, kept sparse so that scoring a
//! text costs its features times the classes that ever saw them, not the whole vocabulary.

use std::collections::HashMap;

/// Additive smoothing.
const ALPHA: f64 = 0.1;

#[derive(Debug, Clone, Default)]
pub struct NaiveBayes {
    classes: Vec<String>,
    index: HashMap<String, usize>,
    /// Weighted documents per class.
    docs: Vec<f64>,
    /// Weighted feature occurrences per class.
    totals: Vec<f64>,
    /// For each feature, the classes that saw it and how often.
    counts: HashMap<String, Vec<(usize, f64)>>,
}

/// One class's score for a text, and which features spoke for it most.
#[derive(Debug, Clone)]
pub struct Scored {
    pub class: String,
    pub log_score: f64,
}

impl NaiveBayes {
    pub fn class_id(&mut self, class: &str) -> usize {
        if let Some(&i) = self.index.get(class) {
            return i;
        }
        self.classes.push(class.to_string());
        self.docs.push(0.0);
        self.totals.push(0.0);
        self.index.insert(class.to_string(), self.classes.len() - 1);
        self.classes.len() - 1
    }

    /// Counts one document of `class` with these (distinct) features, `weight` times.
    pub fn add(&mut self, class: &str, features: &[String], weight: f64) {
        let c = self.class_id(class);
        self.docs[c] += weight;
        for f in features {
            self.totals[c] += weight;
            let row = self.counts.entry(f.clone()).or_default();
            match row.iter_mut().find(|(k, _)| *k == c) {
                Some((_, n)) => *n += weight,
                None => row.push((c, weight)),
            }
        }
    }

    pub fn knows(&self, feature: &str) -> bool {
        self.counts.contains_key(feature)
    }

    fn denominator(&self, c: usize) -> f64 {
        (self.totals[c] + ALPHA * self.counts.len() as f64).ln()
    }

    /// Every class's log score for a document with these features, best first.
    pub fn score(&self, features: &[String]) -> Vec<Scored> {
        let n = self.classes.len();
        let total_docs: f64 = self.docs.iter().sum();
        let known: Vec<&Vec<(usize, f64)>> =
            features.iter().filter_map(|f| self.counts.get(f)).collect();
        let mut scores: Vec<f64> = (0..n)
            .map(|c| {
                ((self.docs[c] + 1.0) / (total_docs + n as f64)).ln()
                    + known.len() as f64 * (ALPHA.ln() - self.denominator(c))
            })
            .collect();
        for row in known {
            for &(c, count) in row {
                scores[c] += (count + ALPHA).ln() - ALPHA.ln();
            }
        }
        let mut out: Vec<Scored> = scores
            .into_iter()
            .enumerate()
            .map(|(c, log_score)| Scored {
                class: self.classes[c].clone(),
                log_score,
            })
            .collect();
        out.sort_by(|a, b| b.log_score.total_cmp(&a.log_score));
        out
    }

    /// How much a feature speaks for `class` against the average class: the features of a
    /// text with the highest values are the reason shown to the operator.
    pub fn evidence(&self, feature: &str, class: &str) -> f64 {
        let (Some(&c), Some(row)) = (self.index.get(class), self.counts.get(feature)) else {
            return 0.0;
        };
        let log_p = |k: usize| {
            let count = row.iter().find(|(x, _)| *x == k).map_or(0.0, |(_, n)| *n);
            (count + ALPHA).ln() - self.denominator(k)
        };
        let mine = log_p(c);
        let mean = (0..self.classes.len()).map(log_p).sum::<f64>() / self.classes.len() as f64;
        mine - mean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn the_class_that_saw_the_words_wins() {
        let mut nb = NaiveBayes::default();
        nb.add("jalan", &f(&["jalan", "lubang"]), 1.0);
        nb.add("jalan", &f(&["jalan", "aspal"]), 1.0);
        nb.add("listrik", &f(&["listrik", "padam"]), 1.0);
        assert_eq!(nb.score(&f(&["lubang", "zzz"]))[0].class, "jalan");
        assert_eq!(nb.score(&f(&["padam"]))[0].class, "listrik");
        assert!(nb.evidence("lubang", "jalan") > 0.0);
        assert!(nb.evidence("lubang", "listrik") < 0.0);
    }

    #[test]
    fn with_no_known_word_the_prior_decides() {
        let mut nb = NaiveBayes::default();
        nb.add("a", &f(&["x"]), 3.0);
        nb.add("b", &f(&["y"]), 1.0);
        assert_eq!(nb.score(&f(&["unknown"]))[0].class, "a");
    }
}
