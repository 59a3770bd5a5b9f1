//! SLA policy: configuration, not code (SPEC section 5). A policy is read when a clock starts;
//! the clock keeps its own budget, so editing the policy never changes a running clock.

use crate::calendar::WorkingCalendar;
use crate::clock::{Clock, ClockKind, Measure, Timestamp};
use crate::model::ReportKind;
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DurationUnit {
    Hours,
    Days,
    WorkingDays,
}

/// An allowance such as "24 hours" or "14 working days".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaDuration {
    pub amount: u32,
    pub unit: DurationUnit,
}

impl SlaDuration {
    pub const fn hours(amount: u32) -> Self {
        SlaDuration {
            amount,
            unit: DurationUnit::Hours,
        }
    }
    pub const fn days(amount: u32) -> Self {
        SlaDuration {
            amount,
            unit: DurationUnit::Days,
        }
    }
    pub const fn working_days(amount: u32) -> Self {
        SlaDuration {
            amount,
            unit: DurationUnit::WorkingDays,
        }
    }

    pub fn measure(self) -> Measure {
        match self.unit {
            DurationUnit::Hours | DurationUnit::Days => Measure::Wall,
            DurationUnit::WorkingDays => Measure::Working,
        }
    }

    pub fn budget(self) -> TimeDelta {
        let a = i64::from(self.amount);
        match self.unit {
            DurationUnit::Hours => TimeDelta::hours(a),
            DurationUnit::Days | DurationUnit::WorkingDays => TimeDelta::days(a),
        }
    }

    pub fn start(self, kind: ClockKind, at: Timestamp, cal: &WorkingCalendar) -> Clock {
        Clock::start(kind, self.measure(), self.budget(), at, cal)
    }

    /// "1×24 jam", "14 hari kerja": how people say it.
    pub fn label_id(self) -> String {
        match self.unit {
            DurationUnit::Hours if self.amount.is_multiple_of(24) => {
                format!("{}×24 jam", self.amount / 24)
            }
            DurationUnit::Hours => format!("{} jam", self.amount),
            DurationUnit::Days => format!("{} hari", self.amount),
            DurationUnit::WorkingDays => format!("{} hari kerja", self.amount),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletionTargets {
    pub permintaan_informasi: SlaDuration,
    pub aspirasi: SlaDuration,
    pub pengaduan: SlaDuration,
    /// Reports that need a field inspection (berkadar pengawasan), whatever their kind.
    pub field_check: SlaDuration,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    pub name: String,
    pub time_zone: String,
    pub triage: SlaDuration,
    pub first_response: SlaDuration,
    pub completion: CompletionTargets,
    pub auto_close: SlaDuration,
    pub ombudsman: SlaDuration,
    /// Percentages of the first-response clock at which the escalation ladder acts: remind the
    /// officers, notify the head, mark negligent.
    pub escalation_percent: Vec<u32>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error("unknown SLA preset `{0}` (known: jateng, nasional)")]
    UnknownPreset(String),
    #[error("unknown time zone `{0}`")]
    UnknownTimeZone(String),
    #[error("{0} must be more than zero")]
    Zero(&'static str),
    #[error("escalation percentages must rise and end at 100, e.g. [50, 75, 100]")]
    BadEscalation,
}

impl SlaPolicy {
    /// Central Java's practice: the 1×24 hour first response.
    pub fn jateng() -> Self {
        SlaPolicy {
            name: "jateng".into(),
            time_zone: "Asia/Jakarta".into(),
            triage: SlaDuration::hours(24),
            first_response: SlaDuration::hours(24),
            completion: CompletionTargets {
                permintaan_informasi: SlaDuration::working_days(5),
                aspirasi: SlaDuration::working_days(5),
                pengaduan: SlaDuration::working_days(14),
                field_check: SlaDuration::working_days(60),
            },
            auto_close: SlaDuration::working_days(10),
            ombudsman: SlaDuration::days(60),
            escalation_percent: vec![50, 75, 100],
        }
    }

    /// The national limits of SP4N-LAPOR!: triage in 3 working days, first response in 3 days.
    pub fn nasional() -> Self {
        SlaPolicy {
            name: "nasional".into(),
            triage: SlaDuration::working_days(3),
            first_response: SlaDuration::days(3),
            ..Self::jateng()
        }
    }

    pub fn preset(name: &str) -> Result<Self, PolicyError> {
        match name {
            "jateng" => Ok(Self::jateng()),
            "nasional" => Ok(Self::nasional()),
            other => Err(PolicyError::UnknownPreset(other.to_string())),
        }
    }

    pub fn completion_for(&self, kind: ReportKind, needs_field_check: bool) -> SlaDuration {
        if needs_field_check {
            return self.completion.field_check;
        }
        match kind {
            ReportKind::PermintaanInformasi => self.completion.permintaan_informasi,
            ReportKind::Aspirasi => self.completion.aspirasi,
            ReportKind::Pengaduan => self.completion.pengaduan,
        }
    }

    /// The thresholds (percent of the budget) at which the scheduler acts on a clock of `kind`:
    /// the escalation ladder for the first response, the deadline alone for every other clock.
    pub fn thresholds(&self, kind: ClockKind) -> Vec<u32> {
        match kind {
            ClockKind::FirstResponse => self.escalation_percent.clone(),
            _ => vec![100],
        }
    }

    pub fn tz(&self) -> Result<chrono_tz::Tz, PolicyError> {
        self.time_zone
            .parse()
            .map_err(|_| PolicyError::UnknownTimeZone(self.time_zone.clone()))
    }

    pub fn validate(&self) -> Result<(), PolicyError> {
        self.tz()?;
        let durations = [
            ("triage", self.triage),
            ("first_response", self.first_response),
            (
                "completion.permintaan_informasi",
                self.completion.permintaan_informasi,
            ),
            ("completion.aspirasi", self.completion.aspirasi),
            ("completion.pengaduan", self.completion.pengaduan),
            ("completion.field_check", self.completion.field_check),
            ("auto_close", self.auto_close),
            ("ombudsman", self.ombudsman),
        ];
        for (name, d) in durations {
            if d.amount == 0 {
                return Err(PolicyError::Zero(name));
            }
        }
        let e = &self.escalation_percent;
        if e.is_empty() || e.last() != Some(&100) || e.windows(2).any(|w| w[0] >= w[1]) || e[0] == 0
        {
            return Err(PolicyError::BadEscalation);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid() {
        SlaPolicy::jateng().validate().unwrap();
        SlaPolicy::nasional().validate().unwrap();
        assert!(SlaPolicy::preset("mars").is_err());
    }

    #[test]
    fn completion_targets() {
        let p = SlaPolicy::jateng();
        assert_eq!(
            p.completion_for(ReportKind::Pengaduan, false),
            SlaDuration::working_days(14)
        );
        assert_eq!(
            p.completion_for(ReportKind::Aspirasi, false),
            SlaDuration::working_days(5)
        );
        assert_eq!(
            p.completion_for(ReportKind::PermintaanInformasi, true),
            SlaDuration::working_days(60)
        );
        assert_eq!(p.first_response.label_id(), "1×24 jam");
    }

    #[test]
    fn bad_policies_are_rejected() {
        let mut p = SlaPolicy::jateng();
        p.escalation_percent = vec![75, 50, 100];
        assert_eq!(p.validate(), Err(PolicyError::BadEscalation));
        let mut p = SlaPolicy::jateng();
        p.first_response.amount = 0;
        assert_eq!(p.validate(), Err(PolicyError::Zero("first_response")));
        let mut p = SlaPolicy::jateng();
        p.time_zone = "Mars/Olympus".into();
        assert!(matches!(p.validate(), Err(PolicyError::UnknownTimeZone(_))));
    }

    #[test]
    fn policy_round_trips_through_json() {
        let p = SlaPolicy::nasional();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<SlaPolicy>(&json).unwrap(), p);
    }
}
