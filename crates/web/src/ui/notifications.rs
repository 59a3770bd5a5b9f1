//! A staff member's in-app notifications: escalation reminders, negligence marks, digests.

use super::{Layout, Ui, UiResult, page};
use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use std::collections::HashMap;
use tanggap_store::Notification;

#[derive(Template)]
#[template(path = "notifikasi.html")]
struct NotificationsPage {
    l: Layout,
    items: Vec<Notification>,
    tracking: HashMap<i64, String>,
}

impl NotificationsPage {
    pub fn tracking_of(&self, n: &Notification) -> Option<String> {
        n.report_id.and_then(|id| self.tracking.get(&id).cloned())
    }
}

pub async fn list(ui: Ui) -> UiResult {
    let user = ui.require_user()?.clone();
    let store = &ui.state.services.store;
    let items = store
        .notifications_for_user(user.id, 100)
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    let mut tracking = HashMap::new();
    for id in items.iter().filter_map(|n| n.report_id) {
        if let std::collections::hash_map::Entry::Vacant(e) = tracking.entry(id)
            && let Some(r) = store.report(id).await.map_err(|e| ui.api_error(e.into()))?
        {
            e.insert(r.tracking_id.to_string());
        }
    }
    Ok(page(&NotificationsPage {
        l: ui.layout(ui.tr.s("Notifikasi", "Notifications")).await,
        items,
        tracking,
    }))
}

#[derive(Deserialize)]
pub struct ReadForm {
    csrf: String,
}

/// Mark one notification read (`/notifikasi/0/baca` marks them all).
pub async fn mark_read(ui: Ui, Path(id): Path<i64>, Form(f): Form<ReadForm>) -> UiResult {
    let user = ui.require_user()?.clone();
    ui.check_csrf(&f.csrf).await?;
    let store = &ui.state.services.store;
    let now = ui.state.services.now();
    let ids: Vec<i64> = if id == 0 {
        store
            .notifications_for_user(user.id, 500)
            .await
            .map_err(|e| ui.api_error(e.into()))?
            .into_iter()
            .filter(|n| n.read_at.is_none())
            .map(|n| n.id)
            .collect()
    } else {
        vec![id]
    };
    for id in ids {
        store
            .mark_notification_read(id, user.id, now)
            .await
            .map_err(|e| ui.api_error(e.into()))?;
    }
    Ok(Redirect::to("/notifikasi").into_response())
}
