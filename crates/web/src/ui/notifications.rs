//! A staff member's in-app notifications: escalation reminders, negligence marks, digests.

use super::{Layout, Ui, UiResult, page};
use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use std::collections::HashMap;
use tanggap_domain::policy::Permission;
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
    ui.require(Permission::ReadOwnNotifications)?;
    let found = ui
        .state
        .services
        .my_notifications(ui.caller(), 100)
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    let mut tracking = HashMap::new();
    let mut items = Vec::with_capacity(found.len());
    for (n, tid) in found {
        if let (Some(id), Some(t)) = (n.report_id, tid) {
            tracking.insert(id, t);
        }
        items.push(n);
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
    ui.require(Permission::ReadOwnNotifications)?;
    ui.check_csrf(&f.csrf).await?;
    ui.state
        .services
        .mark_notifications_read(ui.caller(), (id != 0).then_some(id))
        .await
        .map_err(|e| ui.api_error(e.into()))?;
    Ok(Redirect::to("/notifikasi").into_response())
}
