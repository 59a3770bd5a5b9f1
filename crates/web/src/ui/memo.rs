//! Public figures kept in memory for a minute: the dashboard's pages, the open-data files and
//! the home page's lists and totals are the same for every visitor, so under load they are
//! drawn once a minute instead of once a request. Times come from the services' clock, so tests
//! can move it.

use axum::body::Bytes;
use chrono::TimeDelta;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::Mutex;
use tanggap_domain::Timestamp;

/// How long a value is served from memory (and a page may be kept by caches).
pub const CACHE_SECONDS: i64 = 60;
/// At most this many values are kept (languages × periods or places asked for within a minute).
const ENTRIES: usize = 64;

/// Values by key, with when they were drawn.
pub struct Memo<K, V> {
    values: Mutex<HashMap<K, (Timestamp, V)>>,
    /// One drawing at a time: when a value expires under load, one request draws it again and
    /// the others wait for it instead of all drawing it at once.
    drawing: tokio::sync::Mutex<()>,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Memo {
            values: Mutex::new(HashMap::new()),
            drawing: tokio::sync::Mutex::new(()),
        }
    }
}

/// The dashboard's pages and the open-data files, rendered.
pub type PageCache = Memo<(&'static str, chrono::NaiveDate, chrono::NaiveDate), Bytes>;

fn fresh(at: Timestamp, now: Timestamp) -> bool {
    now >= at && now - at < TimeDelta::seconds(CACHE_SECONDS)
}

impl<K: Eq + Hash + Clone, V: Clone> Memo<K, V> {
    fn get(&self, key: &K, now: Timestamp) -> Option<V> {
        let values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        values
            .get(key)
            .filter(|(at, _)| fresh(*at, now))
            .map(|(_, v)| v.clone())
    }

    fn put(&self, key: K, now: Timestamp, value: V) {
        let mut values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        if values.len() >= ENTRIES && !values.contains_key(&key) {
            values.retain(|_, (at, _)| fresh(*at, now));
            if values.len() >= ENTRIES
                && let Some(oldest) = values
                    .iter()
                    .min_by_key(|(_, (at, _))| *at)
                    .map(|(k, _)| k.clone())
            {
                values.remove(&oldest);
            }
        }
        values.insert(key, (now, value));
    }

    /// The value for `key` if it was drawn less than a minute before `now`, else `draw`'s (kept
    /// when it succeeds).
    pub async fn get_or_draw<E, F>(&self, key: K, now: Timestamp, draw: F) -> Result<V, E>
    where
        F: Future<Output = Result<V, E>>,
    {
        if let Some(v) = self.get(&key, now) {
            return Ok(v);
        }
        let _drawing = self.drawing.lock().await;
        if let Some(v) = self.get(&key, now) {
            return Ok(v);
        }
        let v = draw.await?;
        self.put(key, now, v.clone());
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_value_is_drawn_once_a_minute_and_failures_are_not_kept() {
        let memo: Memo<u8, u32> = Memo::default();
        let t = chrono::Utc::now();
        let draw = |v: u32| async move { Ok::<_, ()>(v) };
        assert_eq!(memo.get_or_draw(1, t, draw(1)).await, Ok(1));
        assert_eq!(
            memo.get_or_draw(1, t + TimeDelta::seconds(59), draw(2))
                .await,
            Ok(1)
        );
        assert_eq!(
            memo.get_or_draw(1, t + TimeDelta::seconds(60), draw(3))
                .await,
            Ok(3)
        );
        let failed = memo
            .get_or_draw(2, t, async { Err::<u32, _>("down") })
            .await;
        assert_eq!(failed, Err("down"));
        assert_eq!(memo.get_or_draw(2, t, draw(4)).await, Ok(4));
        for k in 10..(10 + ENTRIES as u8 + 5) {
            memo.get_or_draw(k, t, draw(0)).await.unwrap();
        }
        assert!(memo.values.lock().unwrap().len() <= ENTRIES);
    }
}
