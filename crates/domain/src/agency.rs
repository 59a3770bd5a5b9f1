//! Agencies form a tree: province → OPD → unit; kabupaten/kota government → its OPDs; vertical
//! agencies and utilities as their own roots. Scoping rules ("an agency sees its own and its
//! sub-units' assignments") are questions about this tree.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyKind {
    PemerintahProvinsi,
    OpdProvinsi,
    Biro,
    BumdProvinsi,
    RumahSakitProvinsi,
    PemerintahKabupatenKota,
    OpdKabupatenKota,
    InstansiVertikal,
    Unit,
}

impl AgencyKind {
    pub const ALL: &'static [AgencyKind] = &[
        AgencyKind::PemerintahProvinsi,
        AgencyKind::OpdProvinsi,
        AgencyKind::Biro,
        AgencyKind::BumdProvinsi,
        AgencyKind::RumahSakitProvinsi,
        AgencyKind::PemerintahKabupatenKota,
        AgencyKind::OpdKabupatenKota,
        AgencyKind::InstansiVertikal,
        AgencyKind::Unit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AgencyKind::PemerintahProvinsi => "pemerintah_provinsi",
            AgencyKind::OpdProvinsi => "opd_provinsi",
            AgencyKind::Biro => "biro",
            AgencyKind::BumdProvinsi => "bumd_provinsi",
            AgencyKind::RumahSakitProvinsi => "rumah_sakit_provinsi",
            AgencyKind::PemerintahKabupatenKota => "pemerintah_kabupaten_kota",
            AgencyKind::OpdKabupatenKota => "opd_kabupaten_kota",
            AgencyKind::InstansiVertikal => "instansi_vertikal",
            AgencyKind::Unit => "unit",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        AgencyKind::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

/// An agency and its head, who receives escalations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agency {
    pub id: String,
    pub name: String,
    pub kind: AgencyKind,
    pub parent_id: Option<String>,
    /// For a kabupaten/kota government: the region it governs (`33.01`).
    pub region_code: Option<String>,
    pub head_name: Option<String>,
    pub head_position: Option<String>,
    pub head_phone: Option<String>,
    pub head_email: Option<String>,
    pub active: bool,
}

/// Parent links of all agencies, for scoping questions.
#[derive(Debug, Clone, Default)]
pub struct AgencyTree {
    parent: HashMap<String, Option<String>>,
}

impl AgencyTree {
    pub fn new<'a>(links: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> Self {
        AgencyTree {
            parent: links
                .into_iter()
                .map(|(id, p)| (id.to_string(), p.map(str::to_string)))
                .collect(),
        }
    }

    pub fn from_agencies(agencies: &[Agency]) -> Self {
        Self::new(
            agencies
                .iter()
                .map(|a| (a.id.as_str(), a.parent_id.as_deref())),
        )
    }

    pub fn contains(&self, id: &str) -> bool {
        self.parent.contains_key(id)
    }

    /// `agency` is `ancestor` itself or one of its sub-units (at any depth).
    pub fn is_within(&self, agency: &str, ancestor: &str) -> bool {
        let mut cur = Some(agency);
        // The depth bound guards against a cycle in bad data.
        for _ in 0..64 {
            match cur {
                Some(id) if id == ancestor => return true,
                Some(id) => cur = self.parent.get(id).and_then(|p| p.as_deref()),
                None => return false,
            }
        }
        false
    }

    /// `agency` is a strict sub-unit of `ancestor`.
    pub fn is_sub_unit(&self, agency: &str, ancestor: &str) -> bool {
        agency != ancestor && self.is_within(agency, ancestor)
    }

    /// `ancestor` and all its sub-units.
    pub fn subtree(&self, ancestor: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .parent
            .keys()
            .filter(|id| self.is_within(id, ancestor))
            .cloned()
            .collect();
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> AgencyTree {
        AgencyTree::new([
            ("pemprov", None),
            ("dinkes", Some("pemprov")),
            ("rsud-moewardi", Some("dinkes")),
            ("dishub", Some("pemprov")),
            ("pln-uid", None),
        ])
    }

    #[test]
    fn scoping() {
        let t = tree();
        assert!(t.is_within("rsud-moewardi", "dinkes"));
        assert!(t.is_within("rsud-moewardi", "pemprov"));
        assert!(t.is_within("dinkes", "dinkes"));
        assert!(!t.is_within("dinkes", "rsud-moewardi"));
        assert!(!t.is_within("dishub", "dinkes"));
        assert!(!t.is_within("pln-uid", "pemprov"));
        assert!(t.is_sub_unit("rsud-moewardi", "dinkes"));
        assert!(!t.is_sub_unit("dinkes", "dinkes"));
        assert_eq!(t.subtree("dinkes"), vec!["dinkes", "rsud-moewardi"]);
    }

    #[test]
    fn cycles_do_not_hang() {
        let t = AgencyTree::new([("a", Some("b")), ("b", Some("a"))]);
        assert!(!t.is_within("a", "c"));
    }
}
