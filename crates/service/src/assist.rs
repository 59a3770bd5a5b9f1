//! The desk's assistant in the running system (issue 18): routing suggestions and likely
//! duplicates for the report on the desk, learned from the reference data and the dispatches
//! operators made, and how often operators took the suggestion.
//!
//! The model ([`tanggap_assist::Router`]) lives in memory. It is trained from the latest
//! [`HISTORY`] dispatches when first needed, again on demand (admin page, permission
//! `manage_reference_data`) and when it is older than [`MAX_AGE`] (the jobs runner asks).
//! Training reads only what was written and where, the category and the lead agency: nothing of
//! the reporter. At a report's first dispatch the use case records what was suggested and what
//! the desk chose (`routing_choices`); the accuracy on the admin page is counted from those.

use crate::{Caller, Result, ServiceError, Services};
use chrono::TimeDelta;
use std::sync::Arc;
pub use tanggap_assist::Reason;
use tanggap_assist::{
    DuplicateSettings, Example, Fingerprint, Knowledge, Likeness, Rarity, Router,
};
use tanggap_domain::policy::Permission;
use tanggap_domain::{Agency, Category, Region, RegionLevel, ReportStatus, Timestamp};
use tanggap_store::{
    ReportFilter, ReportOrder, ReportRecord, RoutingAccuracy, RoutingChoice, RoutingChoiceRecord,
    SuggestedRoute,
};

/// Dispatches learned from (the latest).
pub const HISTORY: u32 = 50_000;
/// A model older than this is trained again by the jobs runner.
pub const MAX_AGE: TimeDelta = TimeDelta::hours(24);
/// Open reports compared with a new one (the latest in its kabupaten/kota within the window).
const CANDIDATES: u32 = 300;
/// Likely duplicates shown.
const SHOWN: usize = 5;

const ROUTING_CUES: &str = include_str!("../../../reference/jateng/routing.csv");

/// The trained assistant.
pub struct Assistant {
    router: Router,
    rarity: Rarity,
    pub trained_at: Timestamp,
    /// Dispatches learned from.
    pub trained_on: usize,
}

/// The assistant's slot in [`Services`]: empty until first needed. One training at a time
/// (`training`): when a server starts, the first staff pages of open reports all need the
/// model, and each of them training it (a 50,000-row read and seconds of CPU) took every
/// core for half a minute at a million reports; they now wait for the one training.
#[derive(Default)]
pub(crate) struct AssistantSlot {
    current: tokio::sync::RwLock<Option<Arc<Assistant>>>,
    training: tokio::sync::Mutex<()>,
}

/// A suggested dispatch: where, how sure, and why.
#[derive(Debug, Clone)]
pub struct RouteSuggestion {
    pub agency: Agency,
    pub category: Option<Category>,
    /// 0..1.
    pub confidence: f64,
    pub reasons: Vec<Reason>,
}

/// An open report that likely describes the same incident.
#[derive(Debug, Clone)]
pub struct LikelyDuplicate {
    /// Without its reporter.
    pub report: ReportRecord,
    /// 0..1.
    pub score: f64,
    /// The rarest words the two share.
    pub shared: Vec<String>,
}

/// The assistant's state and record, for the admin page.
#[derive(Debug, Clone)]
pub struct AssistantHealth {
    pub trained_at: Option<Timestamp>,
    pub trained_on: usize,
    pub last_30_days: RoutingAccuracy,
    pub last_90_days: RoutingAccuracy,
    /// The latest dispatches where the desk chose another agency than the first suggestion.
    pub overrides: Vec<RoutingChoiceRecord>,
}

/// The routing cues compiled into the binary (`reference/jateng/routing.csv`).
pub fn routing_cues() -> Vec<tanggap_assist::Cue> {
    tanggap_assist::routing::parse_cues(ROUTING_CUES).unwrap_or_default()
}

/// What the assistant knows of Central Java before any dispatch: the compiled-in reference data
/// and routing cues (`tanggap eval` measures with it).
pub fn jateng_knowledge() -> std::result::Result<Knowledge, crate::reference::ReferenceError> {
    let j = crate::reference::jateng()?;
    Ok(Knowledge {
        categories: j.categories,
        agencies: j.agencies.into_iter().filter(|a| a.active).collect(),
        regions: j
            .regions
            .into_iter()
            .filter(|r| matches!(r.level, RegionLevel::Provinsi | RegionLevel::KabupatenKota))
            .collect(),
        cues: routing_cues(),
    })
}

fn example(e: tanggap_store::RoutingExample) -> Example {
    Example {
        title: e.title,
        body: e.body,
        region_code: e.region_code.unwrap_or_default(),
        category: e.category,
        agency_id: Some(e.agency_id),
    }
}

fn fingerprint(r: &ReportRecord) -> Fingerprint {
    let mut f = Fingerprint::new(&r.title, &r.body, r.region_code.as_deref().unwrap_or(""));
    f.created_at = Some(r.created_at);
    f.point = r.latitude.zip(r.longitude);
    f
}

impl Services {
    /// What the assistant knows from this installation's reference data.
    async fn knowledge(&self) -> Result<Knowledge> {
        let mut regions: Vec<Region> = Vec::new();
        for province in self.store.child_regions(None).await? {
            regions.extend(self.store.child_regions(Some(&province.code)).await?);
            regions.push(province);
        }
        Ok(Knowledge {
            categories: self.reference().await?.categories.clone(),
            agencies: self
                .store
                .agencies()
                .await?
                .into_iter()
                .filter(|a| a.active)
                .collect(),
            regions,
            cues: routing_cues(),
        })
    }

    /// Train the assistant from the latest dispatches and put it in use.
    async fn retrain(&self) -> Result<Arc<Assistant>> {
        let _one = self.assistant.training.lock().await;
        self.train_now().await
    }

    async fn train_now(&self) -> Result<Arc<Assistant>> {
        let knowledge = self.knowledge().await?;
        let history = self.store.routing_history(HISTORY).await?;
        let now = self.now();
        let assistant = tokio::task::spawn_blocking(move || {
            let examples: Vec<Example> = history.into_iter().map(example).collect();
            let mut rarity = Rarity::default();
            for e in &examples {
                rarity.add(&Fingerprint::new(&e.title, &e.body, &e.region_code));
            }
            Arc::new(Assistant {
                router: Router::train(&knowledge, &examples),
                trained_on: examples.len(),
                rarity,
                trained_at: now,
            })
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("training the assistant: {e}")))?;
        *self.assistant.current.write().await = Some(assistant.clone());
        tracing::info!(dispatches = assistant.trained_on, "desk assistant trained");
        Ok(assistant)
    }

    /// The assistant in use, trained now if it never was.
    async fn assistant(&self) -> Result<Arc<Assistant>> {
        if let Some(a) = self.assistant.current.read().await.clone() {
            return Ok(a);
        }
        let _one = self.assistant.training.lock().await;
        // Another caller may have trained it while this one waited.
        if let Some(a) = self.assistant.current.read().await.clone() {
            return Ok(a);
        }
        self.train_now().await
    }

    /// Train the assistant again from the latest dispatches (admin page).
    pub async fn train_assistant(&self, caller: &Caller) -> Result<usize> {
        caller.require(Permission::ManageReferenceData)?;
        Ok(self.retrain().await?.trained_on)
    }

    /// The jobs runner's call: train again when the model is older than [`MAX_AGE`] (or was
    /// never trained in this process). Returns whether it trained.
    pub async fn refresh_assistant(&self) -> Result<bool> {
        let stale = match self.assistant.current.read().await.as_ref() {
            Some(a) => self.now() - a.trained_at > MAX_AGE,
            None => true,
        };
        if stale {
            self.retrain().await?;
        }
        Ok(stale)
    }

    /// The three likeliest dispatches for a report, best first (agencies and categories that
    /// no longer exist are left out).
    pub(crate) async fn route_suggestions(
        &self,
        report: &ReportRecord,
        agencies: &[Agency],
    ) -> Result<(Vec<RouteSuggestion>, usize)> {
        let assistant = self.assistant().await?;
        let categories = self.reference().await?.categories.clone();
        let suggestions = assistant
            .router
            .suggest(
                &report.title,
                &report.body,
                report.region_code.as_deref().unwrap_or(""),
            )
            .into_iter()
            .filter_map(|s| {
                Some(RouteSuggestion {
                    agency: agencies.iter().find(|a| a.id == s.agency_id)?.clone(),
                    category: s
                        .category
                        .and_then(|c| categories.iter().find(|x| x.code == c).cloned()),
                    confidence: s.confidence,
                    reasons: s.reasons,
                })
            })
            .collect();
        Ok((suggestions, assistant.trained_on))
    }

    /// Open reports filed within the window in the same area whose words are alike, likeliest
    /// first (without their reporters).
    pub(crate) async fn likely_duplicates(
        &self,
        report: &ReportRecord,
    ) -> Result<Vec<LikelyDuplicate>> {
        let Some(kab) = report
            .region_code
            .as_deref()
            .and_then(Region::kabupaten_kota_code)
        else {
            return Ok(Vec::new());
        };
        let settings: DuplicateSettings = self.settings.duplicates;
        let window = TimeDelta::days(settings.window_days);
        let filter = ReportFilter {
            statuses: ReportStatus::ALL
                .iter()
                .copied()
                .filter(|s| !s.is_terminal())
                .collect(),
            region: Some(kab),
            created_from: Some(report.created_at - window),
            created_to: Some(report.created_at + window),
            order: ReportOrder::NewestFirst,
            limit: CANDIDATES,
            skip_total: true,
            ..Default::default()
        };
        let candidates = self.store.list_reports(&filter).await?.items;
        let assistant = self.assistant().await?;
        let rarity = |w: &str| assistant.rarity.of(w);
        let me = fingerprint(report);
        let mut found: Vec<LikelyDuplicate> = candidates
            .into_iter()
            .filter(|c| c.id != report.id)
            .filter_map(|mut c| {
                let Likeness { score, shared } = tanggap_assist::duplicates::likely_duplicate(
                    &me,
                    &fingerprint(&c),
                    &rarity,
                    &settings,
                )?;
                c.reporter = None;
                Some(LikelyDuplicate {
                    report: c,
                    score,
                    shared,
                })
            })
            .collect();
        found.sort_by(|a, b| b.score.total_cmp(&a.score));
        found.truncate(SHOWN);
        Ok(found)
    }

    /// Record what the desk chose at a report's first dispatch against what was suggested.
    /// A failure is logged, never refused: the dispatch stands.
    pub(crate) async fn record_routing_choice(
        &self,
        report: &ReportRecord,
        agencies: &[Agency],
        lead: &str,
        category: Option<String>,
    ) {
        let recorded = async {
            let (suggestions, trained_on) = self.route_suggestions(report, agencies).await?;
            self.store
                .record_routing_choice(&RoutingChoice {
                    report_id: report.id,
                    suggested: suggestions
                        .iter()
                        .map(|s| SuggestedRoute {
                            agency_id: s.agency.id.clone(),
                            category: s.category.as_ref().map(|c| c.code.clone()),
                            confidence: s.confidence,
                        })
                        .collect(),
                    chosen_agency: lead.to_string(),
                    chosen_category: category,
                    trained_on: trained_on as u64,
                    at: self.now(),
                })
                .await?;
            Ok::<(), ServiceError>(())
        };
        if let Err(e) = recorded.await {
            tracing::warn!(report = report.id, error = %e, "routing choice not recorded");
        }
    }

    /// How the assistant is doing (admin page).
    pub async fn assistant_health(&self, caller: &Caller) -> Result<AssistantHealth> {
        caller.require(Permission::ManageReferenceData)?;
        let now = self.now();
        let current = self.assistant.current.read().await.clone();
        Ok(AssistantHealth {
            trained_at: current.as_ref().map(|a| a.trained_at),
            trained_on: current.as_ref().map_or(0, |a| a.trained_on),
            last_30_days: self
                .store
                .routing_accuracy(now - TimeDelta::days(30))
                .await?,
            last_90_days: self
                .store
                .routing_accuracy(now - TimeDelta::days(90))
                .await?,
            overrides: self.store.routing_overrides(20).await?,
        })
    }
}
