//! Words on the pages: Bahasa Indonesia first, English second. Templates write both languages
//! side by side (`{{ tr.s("Kirim", "Send") }}`), so a page can never miss a translation, and
//! dates, countdowns and codes are formatted here once.

use chrono::{DateTime, Datelike, TimeDelta, Timelike, Utc};
use chrono_tz::Tz;
use tanggap_domain::{AssignmentRole, Channel, Outcome, ReportKind, ReportStatus, Role, Stage};

pub use tanggap_service::Lang;

/// The translator handed to every template.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
    pub tz: Tz,
    pub now: DateTime<Utc>,
}

const MONTHS_ID: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des",
];
const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl Tr {
    /// Pick the text for the page's language.
    pub fn s(&self, id: &'static str, en: &'static str) -> &'static str {
        match self.lang {
            Lang::Id => id,
            Lang::En => en,
        }
    }

    /// The same for text that is built at run time.
    pub fn pick(&self, id: String, en: String) -> String {
        match self.lang {
            Lang::Id => id,
            Lang::En => en,
        }
    }

    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    fn zone_label(&self) -> &'static str {
        match self.tz.name() {
            "Asia/Jakarta" | "Asia/Pontianak" => "WIB",
            "Asia/Makassar" => "WITA",
            "Asia/Jayapura" => "WIT",
            _ => "",
        }
    }

    /// `28 Nov 2026, 08.15 WIB`.
    pub fn datetime(&self, t: &DateTime<Utc>) -> String {
        let l = t.with_timezone(&self.tz);
        let months = if self.is_en() { MONTHS_EN } else { MONTHS_ID };
        let sep = if self.is_en() { ':' } else { '.' };
        format!(
            "{} {} {}, {:02}{sep}{:02} {}",
            l.day(),
            months[l.month0() as usize],
            l.year(),
            l.hour(),
            l.minute(),
            self.zone_label()
        )
        .trim_end()
        .to_string()
    }

    pub fn datetime_opt(&self, t: &Option<DateTime<Utc>>) -> String {
        t.as_ref()
            .map(|t| self.datetime(t))
            .unwrap_or_else(|| "—".into())
    }

    /// `28 Nov 2026`.
    pub fn date(&self, t: &DateTime<Utc>) -> String {
        let l = t.with_timezone(&self.tz);
        let months = if self.is_en() { MONTHS_EN } else { MONTHS_ID };
        format!("{} {} {}", l.day(), months[l.month0() as usize], l.year())
    }

    /// A duration in words: `1 hari 3 jam`, `45 menit`.
    pub fn span(&self, d: TimeDelta) -> String {
        let mins = d.num_minutes().abs();
        let (days, hours, minutes) = (mins / 1440, (mins % 1440) / 60, mins % 60);
        let (dw, hw, mw) = if self.is_en() {
            ("d", "h", "min")
        } else {
            ("hari", "jam", "menit")
        };
        let mut parts = Vec::new();
        if days > 0 {
            parts.push(format!("{days} {dw}"));
        }
        if hours > 0 {
            parts.push(format!("{hours} {hw}"));
        }
        if days == 0 && (minutes > 0 || parts.is_empty()) {
            parts.push(format!("{minutes} {mw}"));
        }
        parts.join(" ")
    }

    /// `sisa 5 jam` before a deadline, `terlambat 2 jam` after it.
    pub fn countdown(&self, due: &DateTime<Utc>) -> String {
        let left = *due - self.now;
        if left >= TimeDelta::zero() {
            self.pick(
                format!("sisa {}", self.span(left)),
                format!("{} left", self.span(left)),
            )
        } else {
            self.pick(
                format!("terlambat {}", self.span(left)),
                format!("{} late", self.span(left)),
            )
        }
    }

    pub fn status(&self, s: &ReportStatus) -> &'static str {
        use ReportStatus::*;
        match s {
            Baru => self.s("Baru", "New"),
            Didisposisikan => self.s("Didisposisikan", "Dispatched"),
            Diproses => self.s("Diproses", "In progress"),
            Selesai => self.s("Selesai", "Resolved"),
            Ditutup => self.s("Ditutup", "Closed"),
            MenungguPelapor => self.s("Menunggu pelapor", "Waiting for reporter"),
            Diarsipkan => self.s("Diarsipkan", "Archived"),
            Duplikat => self.s("Duplikat", "Duplicate"),
            DibukaKembali => self.s("Dibuka kembali", "Reopened"),
        }
    }

    pub fn status_code(&self, code: &str) -> &'static str {
        ReportStatus::parse(code).map_or("?", |s| self.status(&s))
    }

    pub fn stage(&self, s: &Stage) -> &'static str {
        use Stage::*;
        match s {
            MenungguRespon => self.s("Menunggu respons", "Awaiting response"),
            Verifikasi => self.s("Verifikasi", "Verification"),
            CekLapangan => self.s("Cek lapangan", "Field check"),
            Pengerjaan => self.s("Pengerjaan", "Work under way"),
            Tuntas => self.s("Tuntas", "Done"),
            BukanWewenang => self.s("Bukan wewenang", "Not our authority"),
            Diteruskan => self.s("Diteruskan", "Forwarded"),
        }
    }

    pub fn kind(&self, k: &ReportKind) -> &'static str {
        match k {
            ReportKind::Pengaduan => self.s("Pengaduan", "Complaint"),
            ReportKind::Aspirasi => self.s("Aspirasi", "Suggestion"),
            ReportKind::PermintaanInformasi => {
                self.s("Permintaan informasi", "Information request")
            }
        }
    }

    pub fn role(&self, r: &Role) -> &'static str {
        match r {
            Role::Operator => self.s("Operator", "Operator"),
            Role::Petugas => self.s("Petugas instansi", "Agency officer"),
            Role::Kepala => self.s("Kepala instansi", "Agency head"),
            Role::Pimpinan => self.s("Pimpinan", "Leadership"),
            Role::Auditor => self.s("Auditor", "Auditor"),
            Role::Admin => self.s("Administrator", "Administrator"),
        }
    }

    pub fn assignment_role(&self, r: &AssignmentRole) -> &'static str {
        match r {
            AssignmentRole::Utama => self.s("utama", "lead"),
            AssignmentRole::Pendukung => self.s("pendukung", "supporting"),
        }
    }

    pub fn channel(&self, c: &Channel) -> &'static str {
        match c {
            Channel::Web => self.s("Situs web", "Website"),
            Channel::Telepon => self.s("Telepon", "Phone"),
            Channel::TatapMuka => self.s("Tatap muka", "Walk-in"),
            other => other.label(),
        }
    }

    /// A channel's name from its code (`sms`), the code itself when unknown.
    pub fn channel_code<'a>(&self, code: &'a str) -> std::borrow::Cow<'a, str> {
        match Channel::parse(code) {
            Some(c) => self.channel(&c).into(),
            None => code.into(),
        }
    }

    /// Who acted, as the service names them (`Pelapor`, `Sistem`, `Admin Tanggap`, or a
    /// person's or agency's own name), in the page's language.
    pub fn actor<'a>(&self, by: &'a str) -> std::borrow::Cow<'a, str> {
        match by {
            "Pelapor" => self.s("Pelapor", "Reporter").into(),
            "Sistem" => self.s("Sistem", "System").into(),
            "Admin Tanggap" => self.s("Admin Tanggap", "Tanggap desk").into(),
            other => other.into(),
        }
    }

    pub fn outcome(&self, o: &Outcome) -> &'static str {
        match o {
            Outcome::Fixed => self.s("Tuntas", "Fixed"),
            Outcome::Partly => self.s("Sebagian", "Partly fixed"),
            Outcome::NotFixed => self.s("Belum tuntas", "Not fixed"),
        }
    }

    /// A rate as `87%`, or a dash when there is nothing to rate.
    pub fn percent(&self, r: Option<f64>) -> String {
        r.map_or_else(|| "—".into(), |r| format!("{:.0}%", r * 100.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tr(lang: Lang) -> Tr {
        Tr {
            lang,
            tz: chrono_tz::Asia::Jakarta,
            now: DateTime::from_timestamp(1_796_004_000, 0).unwrap(),
        }
    }

    #[test]
    fn formats_in_jakarta_time() {
        let t = DateTime::from_timestamp(1_796_004_000, 0).unwrap();
        assert_eq!(tr(Lang::Id).datetime(&t), "30 Nov 2026, 09.00 WIB");
        assert_eq!(tr(Lang::En).datetime(&t), "30 Nov 2026, 09:00 WIB");
    }

    #[test]
    fn countdowns() {
        let t = tr(Lang::Id);
        assert_eq!(
            t.countdown(&(t.now + TimeDelta::minutes(5 * 60 + 12))),
            "sisa 5 jam 12 menit"
        );
        assert_eq!(
            t.countdown(&(t.now - TimeDelta::hours(27))),
            "terlambat 1 hari 3 jam"
        );
        assert_eq!(
            tr(Lang::En).countdown(&(t.now + TimeDelta::minutes(30))),
            "30 min left"
        );
    }
}
