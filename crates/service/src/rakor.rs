//! The quarterly accountability report for the coordination meeting (rakor): the figures of
//! `Services::compliance` for a calendar quarter and for the quarter before it (the trend), with
//! the audit trail's chain head at the moment the report was made, so that anyone can later
//! check that the evidence it names was not rewritten. Rendering (CSV, HTML) is the adapters'.

use crate::compliance::{Compliance, Scope};
use crate::{Caller, Result, Services};
use tanggap_domain::Timestamp;
use tanggap_domain::compliance::Period;
use tanggap_domain::policy::Permission;

/// A quarter's report.
#[derive(Debug, Clone)]
pub struct QuarterlyReport {
    /// `2026-Q3`.
    pub quarter: String,
    pub current: Compliance,
    /// The quarter before, for the trend.
    pub previous: Compliance,
    /// The audit trail's last sequence number and hash when the report was made.
    pub audit_head: Option<(i64, String)>,
    pub made_at: Timestamp,
    /// The policy's time zone, in which the quarter's dates and every time are given.
    pub tz: chrono_tz::Tz,
}

impl QuarterlyReport {
    /// The previous quarter's compliance of an agency (`None`: nothing was due then).
    pub fn previous_compliance(&self, agency_id: &str) -> Option<f64> {
        self.previous
            .agencies
            .iter()
            .find(|a| a.agency_id == agency_id)
            .and_then(|a| a.figures.compliance())
    }
}

impl Services {
    /// The report of one calendar quarter (`2026-Q3`). Leadership, auditors, admins and the
    /// system (the command line) may make it.
    pub async fn quarterly_report(
        &self,
        caller: &Caller,
        quarter: &str,
    ) -> Result<QuarterlyReport> {
        caller.require(Permission::ViewCompliance)?;
        let period = Period::quarter(quarter)
            .map_err(|_| crate::ServiceError::field("quarter", "invalid"))?;
        let quarter = period.quarter_name().unwrap_or_else(|| quarter.to_string());
        // The head first: every fact the figures count is on the trail up to it.
        let audit_head = self.store.audit_head().await?;
        let current = self.compliance(caller, period, Scope::All).await?;
        let previous = self
            .compliance(caller, period.previous_quarter(), Scope::All)
            .await?;
        let (_, cal) = self.policy_and_calendar().await?;
        Ok(QuarterlyReport {
            quarter,
            made_at: current.at,
            current,
            previous,
            audit_head,
            tz: cal.tz(),
        })
    }
}
