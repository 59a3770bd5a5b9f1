//! From what a citizen typed to the words the models count: lower case, chat shorthand written
//! out (`yg`, `tdk`, `jln`, `anak2`), common words dropped, Indonesian stems (Snowball, through
//! `frostem`), so that "berlubang", "lubangnya" and "lbng" meet.

use frostem::{Algorithm, Stemmer};
use std::collections::HashSet;
use std::sync::OnceLock;

/// Chat and SMS shorthand seen in complaints, and its word. Applied before stemming.
const SHORTHAND: &[(&str, &str)] = &[
    ("yg", "yang"),
    ("dgn", "dengan"),
    ("dg", "dengan"),
    ("utk", "untuk"),
    ("tdk", "tidak"),
    ("gk", "tidak"),
    ("ga", "tidak"),
    ("gak", "tidak"),
    ("nggak", "tidak"),
    ("ngga", "tidak"),
    ("blm", "belum"),
    ("sdh", "sudah"),
    ("udh", "sudah"),
    ("udah", "sudah"),
    ("dah", "sudah"),
    ("sy", "saya"),
    ("tp", "tapi"),
    ("krn", "karena"),
    ("jg", "juga"),
    ("bgt", "banget"),
    ("org", "orang"),
    ("tlg", "tolong"),
    ("mhn", "mohon"),
    ("sgr", "segera"),
    ("dr", "dari"),
    ("jln", "jalan"),
    ("jl", "jalan"),
    ("kab", "kabupaten"),
    ("kec", "kecamatan"),
    ("kel", "kelurahan"),
    ("ds", "desa"),
    ("skrg", "sekarang"),
    ("kalo", "kalau"),
    ("lg", "lagi"),
    ("aja", "saja"),
    ("bs", "bisa"),
    ("trs", "terus"),
    ("pdhl", "padahal"),
    ("lbng", "lubang"),
    ("prh", "parah"),
    ("byr", "bayar"),
    ("dibyr", "dibayar"),
    ("hr", "hari"),
    ("thn", "tahun"),
    ("taun", "tahun"),
    ("td", "tadi"),
    ("ujan", "hujan"),
    ("dtg", "datang"),
    ("sblm", "sebelum"),
    ("stlh", "setelah"),
    ("msh", "masih"),
    ("bln", "bulan"),
    ("rb", "ribu"),
    ("jt", "juta"),
    ("smp2", "smp"),
    ("sklh", "sekolah"),
    ("rmh", "rumah"),
    ("pemkab", "pemkab"),
    ("dukcapil", "dukcapil"),
];

/// Words that say nothing about where a complaint belongs or which incident it is.
const COMMON: &[&str] = &[
    "yang",
    "di",
    "ke",
    "dari",
    "dan",
    "atau",
    "ini",
    "itu",
    "untuk",
    "dengan",
    "pada",
    "dalam",
    "tidak",
    "sudah",
    "belum",
    "ada",
    "saya",
    "aku",
    "kami",
    "kita",
    "mohon",
    "tolong",
    "min",
    "admin",
    "pak",
    "bu",
    "bapak",
    "ibu",
    "yth",
    "hormat",
    "juga",
    "karena",
    "sangat",
    "lebih",
    "sekali",
    "agar",
    "bisa",
    "akan",
    "jadi",
    "tapi",
    "tetapi",
    "namun",
    "sejak",
    "sampai",
    "masih",
    "lagi",
    "kalau",
    "sebagai",
    "oleh",
    "para",
    "per",
    "pun",
    "nya",
    "lah",
    "kah",
    "sih",
    "dong",
    "deh",
    "kok",
    "ya",
    "tsb",
    "tersebut",
    "setiap",
    "banyak",
    "sekitar",
    "saat",
    "secara",
    "sama",
    "terima",
    "kasih",
    "assalamualaikum",
    "wr",
    "wb",
    "mas",
    "mbak",
    "lapor",
    "melaporkan",
    "pelapor",
    "menyampaikan",
    "bahwa",
    "kepada",
    "dengan",
    "hal",
    "sudah",
    "telah",
    "harus",
    "mau",
    "ingin",
    "bagaimana",
    "kenapa",
    "mengapa",
    "apa",
    "siapa",
    "kapan",
    "dimana",
    "mana",
    "sini",
    "situ",
    "sana",
    "kok",
    "si",
    "the",
    "pada",
    "para",
    "bagi",
    "hingga",
    "serta",
    "tanpa",
    "atas",
    "bawah",
    "jam",
    "tadi",
    "kemarin",
    "sekarang",
    "hari",
    "minggu",
    "bulan",
    "tahun",
    "padahal",
    "banget",
    "saja",
    "terus",
    "udah",
    "kayak",
    "seperti",
    "semua",
    "sendiri",
    "orang",
    "warga",
    "kami",
    "mereka",
    "dia",
    "ia",
    "beliau",
    "kalian",
    "anda",
    "segera",
    "cepat",
    "tindak",
    "ditindak",
    "tindaklanjuti",
    "perhatikan",
    "mohon",
    "harap",
    "rp",
    "ribu",
    "juta",
];

fn shorthand(word: &str) -> &str {
    SHORTHAND
        .iter()
        .find(|(short, _)| *short == word)
        .map(|(_, long)| *long)
        .unwrap_or(word)
}

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON.iter().copied().collect())
}

fn stemmer() -> &'static Stemmer {
    static STEMMER: OnceLock<Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| Stemmer::new(Algorithm::Indonesian))
}

/// The significant words of a text, stemmed, in order (repeats kept).
pub fn words(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut out = Vec::new();
    for raw in lower.split(|c: char| !c.is_alphanumeric()) {
        // `anak2` is `anak-anak`; `warung2` is `warung-warung`.
        let raw = if raw.len() > 2
            && raw.ends_with('2')
            && !raw[..raw.len() - 1].ends_with(|c: char| c.is_ascii_digit())
        {
            &raw[..raw.len() - 1]
        } else {
            raw
        };
        if raw.is_empty() || raw.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let word = shorthand(raw);
        if word.chars().count() < 2 || common().contains(word) {
            continue;
        }
        let stem = stemmer().stem(word).to_string();
        if stem.chars().count() < 2 || common().contains(stem.as_str()) {
            continue;
        }
        out.push(stem);
    }
    out
}

/// The features of a text for the routing models: its words and each pair of neighbours
/// (`jalan nasional`, `smp negeri`), each once.
pub fn features(text: &str) -> Vec<String> {
    let w = words(text);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for f in w
        .iter()
        .cloned()
        .chain(w.windows(2).map(|p| format!("{} {}", p[0], p[1])))
    {
        if seen.insert(f.clone()) {
            out.push(f);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_shorthand_and_reduplication_meet_the_written_words() {
        assert_eq!(words("jln rusak"), words("jalan rusak"));
        assert_eq!(words("anak2 sekolah"), words("anak sekolah"));
        assert_eq!(words("lbng"), words("lubang"));
        assert!(words("Mohon tolong min, yg di sana").is_empty());
    }

    #[test]
    fn school_levels_survive() {
        for w in ["sd", "smp", "sma", "smk", "slb", "pdam", "pln"] {
            assert_eq!(words(w), vec![w.to_string()], "{w}");
        }
    }

    #[test]
    fn stems_join_inflections() {
        assert_eq!(words("berlubang"), words("lubangnya"));
        assert_eq!(words("pemadaman"), words("padam"));
    }

    proptest::proptest! {
        #[test]
        fn any_text_gives_lower_case_words_of_two_letters_or_more(text in "\\PC{0,200}") {
            for w in words(&text) {
                proptest::prop_assert!(w.chars().count() >= 2, "{w:?}");
                proptest::prop_assert_eq!(w.to_lowercase(), w.clone());
            }
            let f = features(&text);
            let mut unique = f.clone();
            unique.sort();
            unique.dedup();
            proptest::prop_assert_eq!(unique.len(), f.len());
        }
    }

    #[test]
    fn features_hold_neighbour_pairs_once() {
        let f = features("jalan nasional rusak, jalan nasional");
        assert!(f.contains(&"jalan nasional".to_string()));
        assert_eq!(f.iter().filter(|x| *x == "jalan").count(), 1);
    }
}
