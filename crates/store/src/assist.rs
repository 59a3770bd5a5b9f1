//! Records of the desk's assistant: the dispatches it learns from, and what operators chose
//! against what it suggested (insert-only: the accuracy shown on the admin page is derived).

use serde::{Deserialize, Serialize};
use tanggap_domain::{Timestamp, TrackingId};

/// A report as the routing assistant learns from it: what was written and where, how the desk
/// classified it, and the lead agency it was dispatched to (the first lead that did not return
/// it as not its authority). Holds nothing of the reporter.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingExample {
    pub title: String,
    pub body: String,
    pub region_code: Option<String>,
    pub category: Option<String>,
    pub agency_id: String,
}

/// A routing example as the stores read it: title, body, region, category, agency.
pub type RoutingExampleRow = (String, String, Option<String>, Option<String>, String);

impl From<RoutingExampleRow> for RoutingExample {
    fn from((title, body, region_code, category, agency_id): RoutingExampleRow) -> Self {
        RoutingExample {
            title,
            body,
            region_code,
            category,
            agency_id,
        }
    }
}

/// One suggestion as it was shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestedRoute {
    pub agency_id: String,
    pub category: Option<String>,
    pub confidence: f64,
}

/// What the desk chose for a report against what was suggested, at its first dispatch.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingChoice {
    pub report_id: i64,
    /// Best first, at most three.
    pub suggested: Vec<SuggestedRoute>,
    pub chosen_agency: String,
    pub chosen_category: Option<String>,
    /// Dispatches the model had learned from.
    pub trained_on: u64,
    pub at: Timestamp,
}

impl RoutingChoice {
    /// Where the chosen agency stood among the suggestions (1-based).
    pub fn rank(&self) -> Option<u32> {
        self.suggested
            .iter()
            .position(|s| s.agency_id == self.chosen_agency)
            .map(|i| i as u32 + 1)
    }

    /// Whether the first suggestion's category was the one chosen (`None`: no category chosen).
    pub fn category_right(&self) -> Option<bool> {
        let chosen = self.chosen_category.as_ref()?;
        Some(self.suggested.first().and_then(|s| s.category.as_ref()) == Some(chosen))
    }
}

/// A recorded choice, for the admin page.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingChoiceRecord {
    pub tracking_id: TrackingId,
    pub choice: RoutingChoice,
}

impl RoutingChoiceRecord {
    /// A stored choice back into its record (`suggested` as the stores keep it: JSON).
    pub fn from_stored(
        tracking_id: &str,
        report_id: i64,
        suggested: &str,
        chosen_agency: String,
        chosen_category: Option<String>,
        trained_on: i64,
        at: Timestamp,
    ) -> crate::Result<RoutingChoiceRecord> {
        let bad = |what: String| crate::StoreError::Backend(what);
        Ok(RoutingChoiceRecord {
            tracking_id: TrackingId::parse(tracking_id)
                .map_err(|e| bad(format!("stored tracking id {tracking_id}: {e}")))?,
            choice: RoutingChoice {
                report_id,
                suggested: serde_json::from_str(suggested)
                    .map_err(|e| bad(format!("stored suggestion: {e}")))?,
                chosen_agency,
                chosen_category,
                trained_on: u64::try_from(trained_on).unwrap_or(0),
                at,
            },
        })
    }
}

/// How often the suggestions were taken since some time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoutingAccuracy {
    pub dispatches: u64,
    /// The first suggestion was the agency chosen.
    pub top1: u64,
    /// One of the three was.
    pub top3: u64,
    /// Dispatches with a category chosen.
    pub categorised: u64,
    /// ... and the first suggestion's category was it.
    pub category_right: u64,
}
