//! Connectors to agencies' own systems (SPEC section 7): an agency whose reports are handled
//! outside Tanggap (another Tanggap, a kabupaten's or a vertical agency's own complaint
//! system, a liaison to the national platform) is reached through an Open311 client, a signed
//! JSON webhook or e-mail. What the door decides here, once for every transport:
//!
//! - who may set a connector up (administrators) and what a valid one is;
//! - what is sent: the [`ConnectorDocument`], built when it is sent, holding what the receiving
//!   agency's own officers may see of the report (`domain::access`, as their pages do): no
//!   identity for `anonim` reports, the conversation never;
//! - what a remote update does: its status is mapped to a stage by the connector's map and
//!   recorded by the system as [`Command::RemoteUpdate`], which stops the first-response clock
//!   at the remote time, never before the remote system received the report; each update once.

use crate::reading::cut_to;
use crate::text::Checker;
use crate::{Caller, FieldError, RefusalKind, Result, ServiceError, Services};
use serde::Serialize;
use std::collections::BTreeMap;
use tanggap_domain::access::{Audience, ReportScope, Viewer, disclose};
use tanggap_domain::audit::NewAuditEvent;
use tanggap_domain::policy::Permission;
use tanggap_domain::workflow::{Actor, Command};
use tanggap_domain::{AgencyTree, Role, Stage, Timestamp};
use tanggap_store::{
    Connector, ConnectorKind, ConnectorLink, ConnectorSend, ConnectorSendRecord,
    RemoteUpdateRecord, SendKind,
};

/// The shortest webhook secret accepted (HMAC-SHA256 keys shorter than this are guessable).
pub const MIN_SECRET_CHARS: usize = 16;

/// What an administrator (or the command line) sets for an agency.
#[derive(Debug, Clone, Default)]
pub struct ConnectorInput {
    pub agency_id: String,
    /// `open311`, `webhook` or `email`.
    pub kind: String,
    /// The Open311 base URL, the webhook URL or the e-mail address.
    pub target: String,
    /// The Open311 `api_key` or the webhook's HMAC secret.
    pub secret: Option<String>,
    /// `REMOTE=stage,…` on top of the default map (empty: the default).
    pub status_map: Option<String>,
}

/// The statuses every connector understands: the mySociety extended Open311 statuses (which
/// Tanggap's own Open311 feed speaks) and Tanggap's stage codes (which the webhook and e-mail
/// replies use).
pub fn default_status_map() -> BTreeMap<String, Stage> {
    let mut m = BTreeMap::new();
    for (k, v) in [
        ("INVESTIGATING", Stage::Verifikasi),
        ("ACTION_SCHEDULED", Stage::CekLapangan),
        ("IN_PROGRESS", Stage::Pengerjaan),
        ("FIXED", Stage::Tuntas),
        ("CLOSED", Stage::Tuntas),
        ("NOT_COUNCILS_RESPONSIBILITY", Stage::BukanWewenang),
    ] {
        m.insert(k.to_string(), v);
    }
    for s in [
        Stage::Verifikasi,
        Stage::CekLapangan,
        Stage::Pengerjaan,
        Stage::Tuntas,
        Stage::BukanWewenang,
    ] {
        m.insert(s.as_str().to_ascii_uppercase(), s);
    }
    m
}

/// `REMOTE=stage,REMOTE2=stage2` (stages by their codes) on top of the default map.
pub fn parse_status_map(s: &str) -> Option<BTreeMap<String, Stage>> {
    let mut m = default_status_map();
    for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (remote, stage) = pair.split_once('=')?;
        let remote = remote.trim().to_ascii_uppercase();
        let stage = Stage::parse(stage.trim())?;
        if remote.is_empty()
            || remote.len() > 64
            || !remote
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            || !matches!(
                stage,
                Stage::Verifikasi
                    | Stage::CekLapangan
                    | Stage::Pengerjaan
                    | Stage::Tuntas
                    | Stage::BukanWewenang
            )
        {
            return None;
        }
        m.insert(remote, stage);
    }
    Some(m)
}

/// An `http://` or `https://` address with a host, without spaces or control characters.
fn is_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty()
            && !r.starts_with('/')
            && s.len() <= 2000
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

/// A reporter's address check (`reports::looks_like_email`), and one mailbox only: no second
/// `@`, no control characters or angle brackets (it goes into a To header).
fn is_email(s: &str) -> bool {
    crate::reports::looks_like_email(s)
        && s.matches('@').count() == 1
        && !s.chars().any(|c| c.is_control() || c == '<' || c == '>')
}

/// The reporter as the receiving agency may know them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentReporter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// A public timeline entry, for an update document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentUpdate {
    pub id: i64,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub at: Timestamp,
}

/// What is sent to an agency's system: the documented JSON of the webhook (`docs/CONNECTORS.md`),
/// and what the Open311 request and the e-mail are made of.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectorDocument {
    /// `report` (the report was dispatched to the agency) or `update` (a public update).
    pub event: &'static str,
    /// Unique per document: the receiver's idempotency key.
    pub id: String,
    pub tracking_id: String,
    /// Quote it in updates and replies: it maps them back to this assignment.
    pub reference: String,
    pub agency_id: String,
    pub kind: String,
    pub title: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub long: Option<f64>,
    pub confidential: bool,
    pub anonymous: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporter: Option<DocumentReporter>,
    pub submitted_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dispatched_at: Option<Timestamp>,
    /// The first response is due by then (1×24 h from the dispatch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub respond_by: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update: Option<DocumentUpdate>,
}

impl ConnectorDocument {
    /// The names of the fields it carries (for the audit trail: names, never values).
    pub fn fields(&self) -> Vec<String> {
        let v = serde_json::to_value(self).unwrap_or_default();
        let mut out = vec![];
        if let Some(o) = v.as_object() {
            for (k, val) in o {
                match (k.as_str(), val.as_object()) {
                    ("reporter" | "update", Some(inner)) => {
                        out.extend(inner.keys().map(|i| format!("{k}.{i}")))
                    }
                    _ => out.push(k.clone()),
                }
            }
        }
        out
    }
}

/// Where a remote update points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteRef {
    /// The reference Tanggap sent (webhook updates, e-mail replies).
    Token(String),
    /// The remote system's own id (Open311 `service_request_id`).
    RemoteId(String),
}

/// An update an agency's system reported.
#[derive(Debug, Clone)]
pub struct RemoteUpdateInput {
    pub agency_id: String,
    pub reference: RemoteRef,
    /// The remote system's id of the update (its idempotency key).
    pub update_id: String,
    pub status: String,
    pub description: Option<String>,
    /// When the remote system says it happened.
    pub at: Timestamp,
}

/// What a remote update did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteOutcome {
    /// The assignment moved to this stage.
    Recorded { tracking_id: String, stage: Stage },
    /// Its id was seen before: nothing done again.
    Duplicate,
    /// The connector's map does not know the status: recorded, nothing changed.
    Unmapped,
    /// The workflow refused it (a stage going back, the report closed…): recorded with the code.
    Refused(String),
}

impl Services {
    /// Set an agency's connector (administrators, or the system from the command line).
    pub async fn set_connector(&self, caller: &Caller, input: ConnectorInput) -> Result<Connector> {
        caller.require(Permission::ManageConnectors)?;
        let mut c = Checker::default();
        let agency_id = input.agency_id.trim().to_string();
        if self.store.agency(&agency_id).await?.is_none() {
            c.push(FieldError::new("agency_id", "unknown").with("agency", &agency_id));
        }
        let kind = ConnectorKind::parse(input.kind.trim());
        if kind.is_none() {
            c.push(FieldError::new("kind", "invalid"));
        }
        let target = input.target.trim().to_string();
        let secret = input
            .secret
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        match kind {
            Some(ConnectorKind::Open311 | ConnectorKind::Webhook) if !is_url(&target) => {
                c.push(FieldError::new("target", "invalid"))
            }
            Some(ConnectorKind::Email) if !is_email(&target) => {
                c.push(FieldError::new("target", "invalid"))
            }
            _ => {}
        }
        if let Some(s) = &secret
            && (s.chars().any(char::is_control) || s.len() > 500)
        {
            c.push(FieldError::new("secret", "invalid"));
        }
        if kind == Some(ConnectorKind::Webhook)
            && secret
                .as_ref()
                .is_none_or(|s| s.chars().count() < MIN_SECRET_CHARS)
        {
            c.push(FieldError::new("secret", "too_short").with("min", MIN_SECRET_CHARS));
        }
        let status_map = match input.status_map.as_deref().map(str::trim) {
            None | Some("") => Some(default_status_map()),
            Some(s) => parse_status_map(s),
        };
        if status_map.is_none() {
            c.push(FieldError::new("status_map", "invalid"));
        }
        c.finish()?;
        let (Some(kind), Some(status_map)) = (kind, status_map) else {
            return Err(ServiceError::Internal("checked above".into()));
        };
        let now = self.now();
        let connector = Connector {
            agency_id: agency_id.clone(),
            kind,
            target,
            secret: if kind == ConnectorKind::Email {
                None
            } else {
                secret
            },
            status_map,
            active: true,
            created_at: now,
            updated_at: now,
            followed_until: None,
            last_success_at: None,
            last_error_at: None,
            last_error: None,
            queued: 0,
            failed: 0,
        };
        self.store
            .put_connector(&connector, &caller.audit_label(), now)
            .await?;
        self.store
            .connector(&agency_id)
            .await?
            .map(hide_secret)
            .ok_or_else(|| ServiceError::Internal("the connector was not kept".into()))
    }

    /// Stop using an agency's connector: its reports stay in Tanggap from then on.
    pub async fn deactivate_connector(&self, caller: &Caller, agency_id: &str) -> Result<()> {
        caller.require(Permission::ManageConnectors)?;
        if self
            .store
            .deactivate_connector(agency_id, &caller.audit_label(), self.now())
            .await?
        {
            Ok(())
        } else {
            Err(ServiceError::not_found("connector", agency_id))
        }
    }

    /// Every connector with its health (secrets never leave).
    pub async fn connectors(&self, caller: &Caller) -> Result<Vec<Connector>> {
        caller.require(Permission::ManageConnectors)?;
        Ok(self
            .store
            .connectors()
            .await?
            .into_iter()
            .map(hide_secret)
            .collect())
    }

    /// The latest items of the connectors' outbox (administrators).
    pub async fn connector_sends(
        &self,
        caller: &Caller,
        agency_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ConnectorSendRecord>> {
        caller.require(Permission::ManageConnectors)?;
        Ok(self
            .store
            .connector_sends(agency_id, limit.min(500))
            .await?)
    }

    /// The active connector of an agency, secret included: for the system's own senders only.
    pub async fn connector_for_sending(&self, agency_id: &str) -> Result<Option<Connector>> {
        Ok(self.store.connector(agency_id).await?.filter(|c| c.active))
    }

    /// The document of an outbox item, as the receiving agency may see the report now.
    pub async fn connector_document(&self, send: &ConnectorSend) -> Result<ConnectorDocument> {
        let mut report = self
            .store
            .report(send.report_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("report", send.report_id))?;
        let assignments = self.store.assignments(report.id).await?;
        let ids: Vec<&str> = assignments.iter().map(|a| a.agency_id.as_str()).collect();
        let scope = ReportScope {
            visibility: report.visibility,
            status: report.status,
            show_reporter_name: report.show_reporter_name,
            assigned_agencies: &ids,
        };
        let tree = AgencyTree::from_agencies(&self.known_agencies().await?);
        let disclosure = disclose(
            Viewer::Staff {
                role: Role::Petugas,
                agency_id: Some(&send.agency_id),
            },
            &scope,
            &tree,
        );
        if !disclosure.read {
            return Err(ServiceError::refused(
                RefusalKind::Forbidden,
                "outside_scope",
            ));
        }
        cut_to(&mut report, &disclosure);
        let link = self.store.connector_link(send.assignment_id).await?;
        let reference = link.map(|l| l.token).unwrap_or_default();
        let clocks = self
            .store
            .report_view(report.id)
            .await?
            .and_then(|v| {
                v.assignments
                    .into_iter()
                    .find(|a| a.id == send.assignment_id)
            })
            .and_then(|a| {
                a.clock(tanggap_domain::clock::ClockKind::FirstResponse)
                    .and_then(|c| c.due_at)
            });
        let update = match send.kind {
            SendKind::Report => None,
            SendKind::Update => {
                let a = self
                    .store
                    .activities(report.id)
                    .await?
                    .into_iter()
                    .find(|a| a.id == send.activity_id)
                    .filter(|a| a.audience == Audience::Public)
                    .ok_or_else(|| ServiceError::not_found("activity", send.activity_id))?;
                Some(DocumentUpdate {
                    id: a.id,
                    kind: a.kind.as_str().to_string(),
                    stage: a.stage.map(|s| s.as_str().to_string()),
                    status: a.status.map(|s| s.as_str().to_string()),
                    note: a.note.clone(),
                    at: a.created_at,
                })
            }
        };
        let reporter = report.reporter.as_ref().and_then(|p| {
            let r = DocumentReporter {
                name: p.name.clone(),
                email: p.email.clone(),
                phone: p.phone.clone(),
            };
            (r.name.is_some() || r.email.is_some() || r.phone.is_some()).then_some(r)
        });
        Ok(ConnectorDocument {
            event: send.kind.as_str(),
            id: format!(
                "{}:{}:{}",
                report.tracking_id, send.assignment_id, send.activity_id
            ),
            tracking_id: report.tracking_id.to_string(),
            reference,
            agency_id: send.agency_id.clone(),
            kind: report.kind.as_str().to_string(),
            title: report.title.clone(),
            description: report.body.clone(),
            category: report.category.clone(),
            region_code: report.region_code.clone(),
            address: report.address.clone(),
            lat: report.latitude,
            long: report.longitude,
            confidential: !report.visibility.is_public(),
            anonymous: report.visibility.anonim,
            reporter,
            submitted_at: report.created_at,
            dispatched_at: report.dispatched_at,
            respond_by: clocks,
            update,
        })
    }

    /// The link of a remote request (for the transports that follow it).
    pub async fn connector_link(
        &self,
        reference: &RemoteRef,
        agency_id: &str,
    ) -> Result<Option<ConnectorLink>> {
        let (RemoteRef::Token(text) | RemoteRef::RemoteId(text)) = reference;
        // No reference we hand out holds a control character (nor could every database
        // search for one).
        if text.chars().any(char::is_control) {
            return Ok(None);
        }
        let link = match reference {
            RemoteRef::Token(t) => self.store.connector_link_by_token(t.trim()).await?,
            RemoteRef::RemoteId(id) => {
                self.store
                    .connector_link_by_remote(agency_id, id.trim())
                    .await?
            }
        };
        Ok(link.filter(|l| l.agency_id == agency_id))
    }

    /// Open links of an agency that the remote system took (to follow one by one).
    pub async fn open_connector_links(&self, agency_id: &str) -> Result<Vec<ConnectorLink>> {
        Ok(self.store.open_connector_links(agency_id, 500).await?)
    }

    /// What an agency's system reported: mapped to a stage and recorded by the system, once.
    pub async fn record_remote_update(&self, input: RemoteUpdateInput) -> Result<RemoteOutcome> {
        let connector = self
            .connector_for_sending(&input.agency_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("connector", &input.agency_id))?;
        let mut c = Checker::default();
        let update_id = c.take(crate::text::line("update_id", &input.update_id));
        if update_id.is_empty() && !c.has("update_id") {
            c.push(FieldError::new("update_id", "required"));
        }
        let status = c
            .take(crate::text::line("status", &input.status))
            .to_ascii_uppercase();
        if !c.has("status") && (status.is_empty() || status.len() > 64) {
            c.push(FieldError::new("status", "invalid"));
        }
        let description = c.take(crate::text::long_opt(
            "description",
            input.description.as_deref(),
        ));
        c.finish()?;
        let link = self
            .connector_link(&input.reference, &input.agency_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("request", reference_text(&input.reference)))?;
        if self
            .store
            .remote_update_seen(&input.agency_id, &update_id)
            .await?
        {
            return Ok(RemoteOutcome::Duplicate);
        }
        let now = self.now();
        // Nothing counts from before the remote system had the report, nor from the future.
        let at = match link.delivered_at {
            Some(d) => input.at.max(d).min(now),
            None => now,
        };
        // Claimed first: of several processes reading the same update, one alone applies it.
        let record = RemoteUpdateRecord {
            agency_id: input.agency_id.clone(),
            update_id: update_id.clone(),
            assignment_id: link.assignment_id,
            status: status.clone(),
            remote_at: input.at,
            received_at: now,
            outcome: "received".into(),
        };
        if !self.store.record_remote_update(&record).await? {
            return Ok(RemoteOutcome::Duplicate);
        }
        let outcome = match connector.status_map.get(&status).copied() {
            None => RemoteOutcome::Unmapped,
            Some(stage) => {
                let agency = self
                    .store
                    .agency(&input.agency_id)
                    .await?
                    .map_or(input.agency_id.clone(), |a| a.name);
                let note = match description.as_deref().map(str::trim) {
                    Some(d) if !d.is_empty() => format!("{d}\n\n(Dari sistem {agency}.)"),
                    _ => format!("Tahap {} menurut sistem {agency}.", stage.label()),
                };
                let command = Command::RemoteUpdate {
                    assignment_id: link.assignment_id,
                    stage,
                    note,
                    at,
                };
                match self
                    .execute(link.report_id, &Actor::System, command, vec![])
                    .await
                {
                    Ok(_) => {
                        let tracking_id = self
                            .store
                            .report(link.report_id)
                            .await?
                            .map(|r| r.tracking_id.to_string())
                            .unwrap_or_default();
                        RemoteOutcome::Recorded { tracking_id, stage }
                    }
                    Err(ServiceError::Refused(r)) => RemoteOutcome::Refused(r.code.to_string()),
                    Err(e) => {
                        self.store
                            .set_remote_update_outcome(&input.agency_id, &update_id, "error")
                            .await?;
                        return Err(e);
                    }
                }
            }
        };
        let outcome_text = match &outcome {
            RemoteOutcome::Recorded { .. } => "recorded".to_string(),
            RemoteOutcome::Unmapped => "unmapped_status".into(),
            RemoteOutcome::Refused(code) => format!("refused:{code}"),
            RemoteOutcome::Duplicate => "duplicate".into(),
        };
        self.store
            .set_remote_update_outcome(&input.agency_id, &update_id, &outcome_text)
            .await?;
        self.store
            .append_audit(
                NewAuditEvent::new(
                    format!("connector:{}", input.agency_id),
                    "connector.update_received",
                    "assignment",
                    link.assignment_id,
                )
                .after(&serde_json::json!({
                    "update_id": update_id,
                    "status": status,
                    "remote_at": input.at,
                    "counted_at": at,
                    "outcome": outcome_text,
                })),
                now,
            )
            .await?;
        Ok(outcome)
    }

    /// The updates an agency's system reported on an assignment (for the desk).
    pub async fn remote_updates(
        &self,
        caller: &Caller,
        assignment_id: i64,
    ) -> Result<Vec<RemoteUpdateRecord>> {
        if !caller.may(Permission::ManageConnectors) {
            caller.require(Permission::UseDesk)?;
        }
        Ok(self.store.remote_updates(assignment_id).await?)
    }

    /// Note a follow of an agency's system (its feed read up to `until`, or the error).
    pub async fn connector_followed(
        &self,
        agency_id: &str,
        until: Option<Timestamp>,
        error: Option<&str>,
    ) -> Result<()> {
        Ok(self
            .store
            .connector_followed(agency_id, until, error, self.now())
            .await?)
    }
}

fn reference_text(r: &RemoteRef) -> String {
    match r {
        RemoteRef::Token(t) | RemoteRef::RemoteId(t) => t.chars().take(80).collect(),
    }
}

fn hide_secret(mut c: Connector) -> Connector {
    c.secret = c.secret.map(|_| "••••••".into());
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_maps_extend_the_default_and_refuse_nonsense() {
        let m = parse_status_map("selesai=tuntas, Dalam_Proses=pengerjaan").unwrap();
        assert_eq!(m.get("SELESAI"), Some(&Stage::Tuntas));
        assert_eq!(m.get("DALAM_PROSES"), Some(&Stage::Pengerjaan));
        assert_eq!(m.get("ACTION_SCHEDULED"), Some(&Stage::CekLapangan));
        assert_eq!(m.get("CEK_LAPANGAN"), Some(&Stage::CekLapangan));
        for bad in ["x", "a=nope", "a=menunggu_respon", "=tuntas", "a b=tuntas"] {
            assert!(parse_status_map(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn targets_are_checked_for_their_kind() {
        assert!(is_url("https://lapor.semarangkab.go.id/open311/v2"));
        assert!(is_url("http://127.0.0.1:8080/open311/v2"));
        for bad in [
            "ftp://x",
            "https://",
            "https:///x",
            "https://a b",
            "lapor.go.id",
        ] {
            assert!(!is_url(bad), "{bad}");
        }
        assert!(is_email("pengaduan@semarangkab.go.id"));
        for bad in ["a", "a@b", "@b.id", "a@b.", "a b@c.id", "a@b@c.id"] {
            assert!(!is_email(bad), "{bad}");
        }
    }
}
