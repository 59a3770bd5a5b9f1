//! Reference data in memory: the SLA policy and its working calendar, the categories, the
//! agencies and the regions a report or a page names. Every submission, every action and every
//! staff page needs them, and they change a few times a year, so reading them from the database
//! each time was most of an intake request's cost and a dozen of a staff page's statements.
//!
//! A change made through this process's [`crate::Services`] drops the cached copy at once (the
//! next request reads the new data). A change made by another process sharing the database (a
//! second instance on PostgreSQL, `tanggap seed` or an import) is seen when the copy expires:
//! `max_age` after it was read (`TANGGAP_REFERENCE_CACHE_SECS`, 10 s by default; 0 turns the
//! cache off). A reader that started before an invalidation never stores what it read, so a
//! change is never hidden for longer than that.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tanggap_domain::calendar::WorkingCalendar;
use tanggap_domain::{Agency, Category, Region, SlaPolicy};

/// One consistent copy of the reference data a request reads.
pub(crate) struct Reference {
    pub policy: SlaPolicy,
    pub calendar: WorkingCalendar,
    pub categories: Vec<Category>,
    /// Every agency with its head (the head's contacts included: callers cut them to what the
    /// viewer may see, as they do with the database's rows).
    pub agencies: Vec<Agency>,
    /// Regions looked up since the copy was read (`None`: no such region).
    regions: Mutex<HashMap<String, Option<Region>>>,
    /// Lists of regions below a parent (`None`: the top level) read since the copy was read.
    children: Mutex<HashMap<Option<String>, Arc<Vec<Region>>>>,
}

impl Reference {
    pub(crate) fn new(
        policy: SlaPolicy,
        calendar: WorkingCalendar,
        categories: Vec<Category>,
        agencies: Vec<Agency>,
    ) -> Self {
        Reference {
            policy,
            calendar,
            categories,
            agencies,
            regions: Mutex::new(HashMap::new()),
            children: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn known_children(&self, parent: Option<&str>) -> Option<Arc<Vec<Region>>> {
        self.children
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&parent.map(str::to_string))
            .cloned()
    }

    pub(crate) fn remember_children(&self, parent: Option<&str>, list: Arc<Vec<Region>>) {
        let mut map = self.children.lock().unwrap_or_else(|p| p.into_inner());
        // Parents come from requests too: keep the map bounded as the regions' is.
        if map.len() < 10_000 {
            map.insert(parent.map(str::to_string), list);
        }
    }

    pub(crate) fn known_region(&self, code: &str) -> Option<Option<Region>> {
        self.regions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(code)
            .cloned()
    }

    pub(crate) fn remember_region(&self, code: &str, region: Option<Region>) {
        let mut map = self.regions.lock().unwrap_or_else(|p| p.into_inner());
        // A flood of made-up codes must not grow the map without bound.
        if map.len() < 100_000 {
            map.insert(code.to_string(), region);
        }
    }
}

pub(crate) struct ReferenceCache {
    max_age: Duration,
    /// Bumped by every invalidation; a copy read under an older generation is not kept.
    generation: AtomicU64,
    current: Mutex<Option<(Instant, u64, Arc<Reference>)>>,
}

impl ReferenceCache {
    pub(crate) fn new(max_age: Duration) -> Self {
        ReferenceCache {
            max_age,
            generation: AtomicU64::new(0),
            current: Mutex::new(None),
        }
    }

    /// The cached copy if it is fresh, with the generation a reader must quote to store a new one.
    pub(crate) fn get(&self) -> Result<Arc<Reference>, u64> {
        let generation = self.generation.load(Ordering::Acquire);
        let current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        match &*current {
            Some((read_at, g, r)) if *g == generation && read_at.elapsed() < self.max_age => {
                Ok(r.clone())
            }
            _ => Err(generation),
        }
    }

    /// Keep `reference`, read at `read_at` under `generation`, unless something changed since.
    pub(crate) fn put(&self, read_at: Instant, generation: u64, reference: Arc<Reference>) {
        if self.max_age.is_zero() {
            return;
        }
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if self.generation.load(Ordering::Acquire) == generation {
            *current = Some((read_at, generation, reference));
        }
    }

    /// Reference data changed: the next reader reads it again.
    pub(crate) fn invalidate(&self) {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        *current = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> Arc<Reference> {
        Arc::new(Reference::new(
            SlaPolicy::jateng(),
            WorkingCalendar::new(chrono_tz::Asia::Jakarta, []),
            vec![],
            vec![],
        ))
    }

    fn generation(cache: &ReferenceCache) -> u64 {
        match cache.get() {
            Err(g) => g,
            Ok(_) => panic!("expected no fresh copy"),
        }
    }

    #[test]
    fn a_copy_is_kept_until_it_expires_or_is_invalidated() {
        let cache = ReferenceCache::new(Duration::from_secs(60));
        let g = generation(&cache);
        cache.put(Instant::now(), g, reference());
        assert!(cache.get().is_ok());
        cache.invalidate();
        assert!(cache.get().is_err());
        let g = generation(&cache);
        cache.put(Instant::now() - Duration::from_secs(61), g, reference());
        assert!(cache.get().is_err(), "expired");
    }

    #[test]
    fn a_read_that_started_before_an_invalidation_is_not_kept() {
        let cache = ReferenceCache::new(Duration::from_secs(60));
        let g = generation(&cache);
        cache.invalidate();
        cache.put(Instant::now(), g, reference());
        assert!(cache.get().is_err());
    }

    #[test]
    fn max_age_zero_turns_the_cache_off() {
        let cache = ReferenceCache::new(Duration::ZERO);
        let g = generation(&cache);
        cache.put(Instant::now(), g, reference());
        assert!(cache.get().is_err());
    }
}
