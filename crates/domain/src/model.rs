//! The nouns of SPEC section 2 as types. Each enum has a stable lowercase code (stored in the
//! database, sent in the API) and an Indonesian label for people.

use serde::{Deserialize, Serialize};

/// Declares a closed set of codes with `as_str`, `parse`, `ALL`, Display and serde, from one list.
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $code:literal / $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The Indonesian label shown to people.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownCode;
            fn from_str(s: &str) -> Result<Self, UnknownCode> {
                $name::parse(s).ok_or_else(|| UnknownCode { kind: stringify!($name), code: s.to_string() })
            }
        }
    };
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("unknown {kind} code `{code}`")]
pub struct UnknownCode {
    pub kind: &'static str,
    pub code: String,
}

code_enum!(
    /// What the citizen is asking for.
    ReportKind {
        Pengaduan = "pengaduan" / "Pengaduan",
        Aspirasi = "aspirasi" / "Aspirasi",
        PermintaanInformasi = "permintaan_informasi" / "Permintaan informasi",
    }
);

code_enum!(
    /// Report status (SPEC section 4).
    ReportStatus {
        Baru = "baru" / "Baru",
        Didisposisikan = "didisposisikan" / "Didisposisikan",
        Diproses = "diproses" / "Diproses",
        Selesai = "selesai" / "Selesai",
        Ditutup = "ditutup" / "Ditutup",
        MenungguPelapor = "menunggu_pelapor" / "Menunggu pelapor",
        Diarsipkan = "diarsipkan" / "Diarsipkan",
        Duplikat = "duplikat" / "Duplikat",
        DibukaKembali = "dibuka_kembali" / "Dibuka kembali",
    }
);

impl ReportStatus {
    /// No more work happens on the report (except a reopen from `ditutup`, which we do not allow).
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Ditutup | Self::Diarsipkan | Self::Duplikat)
    }

    /// The statuses in which a report waits for the desk (a new report, a reopened one, one
    /// waiting for its reporter's answer): the desk's default queue.
    pub const AWAITING_DESK: [ReportStatus; 3] = [
        ReportStatus::Baru,
        ReportStatus::DibukaKembali,
        ReportStatus::MenungguPelapor,
    ];

    /// Whether the report waits for the desk (see [`Self::AWAITING_DESK`]).
    pub fn awaits_desk(self) -> bool {
        Self::AWAITING_DESK.contains(&self)
    }
}

code_enum!(
    /// An assignment's stage: the agency's progress as the public sees it.
    Stage {
        MenungguRespon = "menunggu_respon" / "Menunggu respon",
        Verifikasi = "verifikasi" / "Verifikasi",
        CekLapangan = "cek_lapangan" / "Cek lapangan",
        Pengerjaan = "pengerjaan" / "Pengerjaan",
        Tuntas = "tuntas" / "Tuntas",
        BukanWewenang = "bukan_wewenang" / "Bukan wewenang",
        Diteruskan = "diteruskan" / "Diteruskan",
    }
);

impl Stage {
    /// Position on the progress path; side exits have none.
    pub fn progress_rank(self) -> Option<u8> {
        match self {
            Stage::MenungguRespon => Some(0),
            Stage::Verifikasi => Some(1),
            Stage::CekLapangan => Some(2),
            Stage::Pengerjaan => Some(3),
            Stage::Tuntas => Some(4),
            Stage::BukanWewenang | Stage::Diteruskan => None,
        }
    }

    /// The assignment no longer carries work for its agency.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            Stage::Tuntas | Stage::BukanWewenang | Stage::Diteruskan
        )
    }

    /// Still counts towards the report (not handed back or handed on).
    pub fn is_active(self) -> bool {
        !matches!(self, Stage::BukanWewenang | Stage::Diteruskan)
    }
}

code_enum!(
    /// Lead or supporting agency on a report.
    AssignmentRole {
        Utama = "utama" / "Utama",
        Pendukung = "pendukung" / "Pendukung",
    }
);

code_enum!(
    /// Who a logged-in user is (SPEC section 1). Reporters act through their secret link.
    Role {
        Operator = "operator" / "Operator",
        Petugas = "petugas" / "Petugas instansi",
        Kepala = "kepala" / "Kepala instansi",
        Pimpinan = "pimpinan" / "Pimpinan",
        Auditor = "auditor" / "Auditor",
        Admin = "admin" / "Administrator",
    }
);

impl Role {
    /// Roles that belong to one agency.
    pub fn is_agency_role(self) -> bool {
        matches!(self, Role::Petugas | Role::Kepala)
    }
}

code_enum!(
    /// Where a report or message came in.
    Channel {
        Web = "web" / "Situs web",
        Api = "api" / "API",
        Whatsapp = "whatsapp" / "WhatsApp",
        Sms = "sms" / "SMS",
        Telegram = "telegram" / "Telegram",
        Facebook = "facebook" / "Facebook",
        Twitter = "twitter" / "X (Twitter)",
        Email = "email" / "E-mail",
        Telepon = "telepon" / "Telepon",
        TatapMuka = "tatap_muka" / "Tatap muka",
        Open311 = "open311" / "Open311",
    }
);

impl Channel {
    /// Chat channels carry no subject line and reach the reporter back on the same address.
    pub fn is_chat(self) -> bool {
        matches!(
            self,
            Channel::Whatsapp
                | Channel::Sms
                | Channel::Telegram
                | Channel::Facebook
                | Channel::Twitter
        )
    }
}

// The macro cannot derive Default for one enum only.
#[allow(clippy::derivable_impls)]
impl Default for Channel {
    fn default() -> Self {
        Channel::Web
    }
}

code_enum!(
    /// The level of a region in the Kemendagri hierarchy.
    RegionLevel {
        Provinsi = "provinsi" / "Provinsi",
        KabupatenKota = "kabupaten_kota" / "Kabupaten/Kota",
        Kecamatan = "kecamatan" / "Kecamatan",
        Desa = "desa" / "Desa",
        Kelurahan = "kelurahan" / "Kelurahan",
    }
);

code_enum!(
    /// The reporter's verdict on the outcome. "Closed" and "fixed" are never conflated.
    Outcome {
        Fixed = "fixed" / "Tuntas",
        Partly = "partly" / "Sebagian",
        NotFixed = "not_fixed" / "Belum tuntas",
    }
);

code_enum!(
    HolidayKind {
        LiburNasional = "libur_nasional" / "Libur nasional",
        CutiBersama = "cuti_bersama" / "Cuti bersama",
    }
);

code_enum!(
    /// Message direction in a report's conversation.
    Direction {
        Inbound = "inbound" / "Masuk",
        Outbound = "outbound" / "Keluar",
    }
);

/// Visibility flags (SPEC section 2). `anonim` and `rahasia` combine; neither means `publik`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Visibility {
    /// Identity hidden from the public and from agencies: only operators see it.
    pub anonim: bool,
    /// The whole report hidden from the public.
    pub rahasia: bool,
}

impl Visibility {
    pub const PUBLIK: Visibility = Visibility {
        anonim: false,
        rahasia: false,
    };

    pub fn is_public(self) -> bool {
        !self.rahasia
    }

    /// The codes, as the API lists them: `["publik"]`, `["anonim"]`, `["anonim","rahasia"]`.
    pub fn codes(self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.anonim {
            v.push("anonim");
        }
        if self.rahasia {
            v.push("rahasia");
        }
        if v.is_empty() {
            v.push("publik");
        }
        v
    }

    /// Parses a list of codes; `publik` combined with another flag is a contradiction.
    pub fn from_codes<'a>(codes: impl IntoIterator<Item = &'a str>) -> Result<Self, UnknownCode> {
        let mut v = Visibility::default();
        let mut publik = false;
        for c in codes {
            match c {
                "publik" => publik = true,
                "anonim" => v.anonim = true,
                "rahasia" => v.rahasia = true,
                other => {
                    return Err(UnknownCode {
                        kind: "visibility",
                        code: other.to_string(),
                    });
                }
            }
        }
        if publik && (v.anonim || v.rahasia) {
            return Err(UnknownCode {
                kind: "visibility",
                code: "publik together with anonim/rahasia".into(),
            });
        }
        Ok(v)
    }
}

/// A region of the Kemendagri code list, e.g. `33.01.01.2001`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub code: String,
    pub parent_code: Option<String>,
    pub level: RegionLevel,
    pub name: String,
}

impl Region {
    /// The kabupaten/kota code a region belongs to (`33.01` for `33.01.01.2001`).
    pub fn kabupaten_kota_code(code: &str) -> Option<String> {
        let parts: Vec<&str> = code.split('.').collect();
        (parts.len() >= 2).then(|| format!("{}.{}", parts[0], parts[1]))
    }

    /// A syntactically valid Kemendagri code: `33`, `33.01`, `33.01.01`, `33.01.01.2001`.
    pub fn is_valid_code(code: &str) -> bool {
        let parts: Vec<&str> = code.split('.').collect();
        let widths = [2, 2, 2, 4];
        !parts.is_empty()
            && parts.len() <= 4
            && parts
                .iter()
                .zip(widths)
                .all(|(p, w)| p.len() == w && p.bytes().all(|b| b.is_ascii_digit()))
    }
}

/// A complaint category with its default agency (`data/jateng/categories.csv`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    pub default_agency_id: Option<String>,
    pub needs_field_check: bool,
    pub keywords: Vec<String>,
}

/// One day that is not worked although it is a weekday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub date: chrono::NaiveDate,
    pub kind: HolidayKind,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in ReportStatus::ALL {
            assert_eq!(ReportStatus::parse(s.as_str()), Some(*s));
            let json = serde_json::to_string(s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        for s in Stage::ALL {
            assert_eq!(s.as_str().parse::<Stage>().unwrap(), *s);
        }
        assert!("nope".parse::<Role>().is_err());
    }

    #[test]
    fn visibility_codes() {
        assert_eq!(
            Visibility::from_codes(["publik"]).unwrap(),
            Visibility::PUBLIK
        );
        let both = Visibility::from_codes(["anonim", "rahasia"]).unwrap();
        assert!(both.anonim && both.rahasia && !both.is_public());
        assert_eq!(both.codes(), vec!["anonim", "rahasia"]);
        assert!(Visibility::from_codes(["publik", "anonim"]).is_err());
        assert!(Visibility::from_codes(["secret"]).is_err());
    }

    #[test]
    fn region_codes() {
        assert!(Region::is_valid_code("33.01.01.2001"));
        assert!(Region::is_valid_code("33"));
        assert!(!Region::is_valid_code("33.1"));
        assert!(!Region::is_valid_code("33.01.01.2001.1"));
        assert_eq!(
            Region::kabupaten_kota_code("33.01.01.2001").as_deref(),
            Some("33.01")
        );
        assert_eq!(Region::kabupaten_kota_code("33"), None);
    }
}
