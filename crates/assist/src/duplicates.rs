//! Which recent reports describe the same incident: the same area (the same kecamatan, or within
//! a distance when both have a point on the map), within a time window, and sharing rare words.
//!
//! Similarity is the weighted overlap of the two reports' stemmed words: the rarity (inverse
//! document frequency over the history) of the words they share, over the rarity of the shorter
//! report's words. A WhatsApp line of twenty words and a letter of two hundred about the same
//! broken bridge share the few words that matter (the bridge, the village, "ambrol"), which a
//! Jaccard index over the letter's many words would drown.

use crate::text;
use std::collections::{BTreeSet, HashMap};
use tanggap_domain::Timestamp;

/// Where and how alike two reports must be to be shown as likely duplicates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DuplicateSettings {
    /// Weighted overlap (0..1) at or above which a report is a likely duplicate.
    pub threshold: f64,
    /// Only reports filed this many days before (or after) are compared.
    pub window_days: i64,
    /// When both reports have a point on the map: at most this far apart.
    pub max_distance_km: f64,
    /// Added to the threshold when the two can only be placed in the same kabupaten/kota (one
    /// of them has no kecamatan): a wider area holds more unrelated reports alike by chance.
    pub wide_area_margin: f64,
}

impl Default for DuplicateSettings {
    fn default() -> Self {
        DuplicateSettings {
            threshold: 0.25,
            window_days: 30,
            max_distance_km: 3.0,
            wide_area_margin: 0.1,
        }
    }
}

/// How rare each word is among the reports (inverse document frequency): shared rare words
/// ("Kalisalak", "ambrol") say more than shared common ones ("jalan", "rusak").
#[derive(Debug, Clone, Default)]
pub struct Rarity {
    documents: u32,
    frequency: HashMap<String, u32>,
}

impl Rarity {
    pub fn add(&mut self, fingerprint: &Fingerprint) {
        self.documents += 1;
        for w in &fingerprint.words {
            *self.frequency.entry(w.clone()).or_default() += 1;
        }
    }

    /// Smoothed inverse document frequency: with no history every word weighs the same.
    pub fn of(&self, word: &str) -> f64 {
        let df = self.frequency.get(word).copied().unwrap_or(0);
        (f64::from(self.documents + 2) / f64::from(df + 1)).ln()
    }

    pub fn documents(&self) -> u32 {
        self.documents
    }
}

/// What is compared of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Fingerprint {
    pub words: BTreeSet<String>,
    pub region_code: String,
    pub created_at: Option<Timestamp>,
    /// Latitude, longitude.
    pub point: Option<(f64, f64)>,
}

impl Fingerprint {
    pub fn new(title: &str, body: &str, region_code: &str) -> Fingerprint {
        Fingerprint {
            words: text::words(&format!("{title} {body}"))
                .into_iter()
                .collect(),
            region_code: region_code.to_string(),
            created_at: None,
            point: None,
        }
    }
}

/// A likely duplicate: how alike, and the rarest words the two share (the reason shown).
#[derive(Debug, Clone, PartialEq)]
pub struct Likeness {
    pub score: f64,
    pub shared: Vec<String>,
}

fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1, lat2, lon2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// How closely two reports share an area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Apart,
    /// Within the distance, or the same kecamatan.
    Near,
    /// Only the same kabupaten/kota is known (one report has no kecamatan).
    Wide,
}

/// The same area: within the distance when both have a point, else the same kecamatan (a
/// report placed only at kabupaten/kota level shares its kabupaten/kota's area, widely).
pub fn same_area(a: &Fingerprint, b: &Fingerprint, settings: &DuplicateSettings) -> Area {
    if let (Some(p), Some(q)) = (a.point, b.point) {
        return if distance_km(p, q) <= settings.max_distance_km {
            Area::Near
        } else {
            Area::Apart
        };
    }
    let pa: Vec<&str> = a.region_code.split('.').collect();
    let pb: Vec<&str> = b.region_code.split('.').collect();
    let depth = pa.len().min(pb.len()).min(3);
    match depth {
        3 if pa[..3] == pb[..3] => Area::Near,
        2 if pa[..2] == pb[..2] => Area::Wide,
        _ => Area::Apart,
    }
}

/// How alike two reports' words are, weighted by `rarity`.
pub fn likeness(a: &Fingerprint, b: &Fingerprint, rarity: &dyn Fn(&str) -> f64) -> Likeness {
    let weight = |set: &BTreeSet<String>| set.iter().map(|w| rarity(w)).sum::<f64>();
    let mut shared: Vec<(f64, &String)> = a
        .words
        .intersection(&b.words)
        .map(|w| (rarity(w), w))
        .collect();
    let common: f64 = shared.iter().map(|(r, _)| r).sum();
    let smaller = weight(&a.words).min(weight(&b.words));
    shared.sort_by(|x, y| y.0.total_cmp(&x.0));
    Likeness {
        score: if smaller > 0.0 { common / smaller } else { 0.0 },
        shared: shared.into_iter().take(5).map(|(_, w)| w.clone()).collect(),
    }
}

/// Whether `b` is a likely duplicate of `a`: same area, within the window, alike enough.
pub fn likely_duplicate(
    a: &Fingerprint,
    b: &Fingerprint,
    rarity: &dyn Fn(&str) -> f64,
    settings: &DuplicateSettings,
) -> Option<Likeness> {
    let threshold = match same_area(a, b, settings) {
        Area::Apart => return None,
        Area::Near => settings.threshold,
        Area::Wide => settings.threshold + settings.wide_area_margin,
    };
    if let (Some(x), Some(y)) = (a.created_at, b.created_at)
        && (x - y).num_days().abs() > settings.window_days
    {
        return None;
    }
    let l = likeness(a, b, rarity);
    (l.score >= threshold).then_some(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(_: &str) -> f64 {
        1.0
    }

    #[test]
    fn a_short_message_about_the_same_bridge_is_alike() {
        let a = Fingerprint::new(
            "",
            "jembatan di Kalisalak ambrol td subuh, ga bisa lewat",
            "33.02.05.2007",
        );
        let b = Fingerprint::new(
            "Jembatan Kaliwedi–Kalisalak putus",
            "Kepala dusun melaporkan jembatan penghubung ke Desa Kalisalak ambrol pada Selasa dini \
             hari akibat banjir sungai. Sekitar 300 KK terdampak karena akses ke sekolah terputus.",
            "33.02.05.2005",
        );
        let s = DuplicateSettings::default();
        let l = likely_duplicate(&a, &b, &flat, &s).expect("duplicate");
        assert!(l.shared.contains(&"kalisalak".to_string()), "{l:?}");
    }

    #[test]
    fn another_kecamatan_or_another_month_is_not() {
        let a = Fingerprint::new("", "jembatan Kalisalak ambrol", "33.02.05.2007");
        let mut b = Fingerprint::new("", "jembatan Kalisalak ambrol", "33.02.06.2001");
        let s = DuplicateSettings::default();
        assert!(likely_duplicate(&a, &b, &flat, &s).is_none());
        b.region_code = "33.02.05".into();
        assert!(likely_duplicate(&a, &b, &flat, &s).is_some());
        let day = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let (mut a, mut b) = (a, b);
        a.created_at = Some(day);
        b.created_at = Some(day + chrono::TimeDelta::days(45));
        assert!(likely_duplicate(&a, &b, &flat, &s).is_none());
    }

    #[test]
    fn points_on_the_map_decide_the_area_when_both_have_one() {
        let mut a = Fingerprint::new("", "tiang listrik miring", "33.15.16");
        let mut b = Fingerprint::new("", "tiang listrik miring", "33.15.01");
        let s = DuplicateSettings::default();
        a.point = Some((-7.0, 110.40));
        b.point = Some((-7.0, 110.41));
        assert!(likely_duplicate(&a, &b, &flat, &s).is_some());
        b.point = Some((-7.2, 110.41));
        assert!(likely_duplicate(&a, &b, &flat, &s).is_none());
    }
}
