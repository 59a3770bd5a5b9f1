//! Forwarding to agencies' own systems and following them (SPEC section 7), in three steps that
//! run with the other background work:
//!
//! 1. [`Connectors::enqueue`] walks the timeline (a cursor in the database, like
//!    [`crate::ReporterUpdates`]): a dispatch to an agency with an active connector enqueues the
//!    report for it, with a fresh reference token kept on the assignment's link; for a webhook
//!    connector, later public updates on the report are enqueued too. Cursor and items move in
//!    one transaction; every item has a key, so several instances enqueue each once.
//! 2. [`Connectors::deliver`] leases the due items (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the
//!    single writer on SQLite) and sends each: an Open311 `POST requests`, a signed JSON
//!    webhook, or an e-mail with a reply address that carries the token. The document is built
//!    by the door when it is sent ([`Services::connector_document`]). A failure that may pass is
//!    retried with backoff (30 s doubling to an hour, [`Backoff`]); a refusal, or the last try,
//!    gives up and shows on the admin page. Until the remote system has taken the report, no
//!    remote answer counts: the clock keeps running and lalai fires as for any agency.
//! 3. [`Connectors::follow`] reads each Open311 connector's `servicerequestupdates` feed since
//!    it last did (or, where the server offers none, `GET requests/{id}` of each open request)
//!    and hands every update to [`Services::record_remote_update`] (each once, by its id).

use crate::Result;
use crate::smtp::SmtpSender;
use chrono::TimeDelta;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use tanggap_channels::connectors::{NewServiceRequest, Open311Client, post_webhook};
use tanggap_channels::outbound::ProviderError;
use tanggap_domain::Timestamp;
use tanggap_domain::access::Audience;
use tanggap_service::Services;
use tanggap_service::connectors::{ConnectorDocument, RemoteRef, RemoteUpdateInput};
use tanggap_store::{
    ActivityKind, Connector, ConnectorKind, ConnectorSend, NewConnectorSend, SendKind, SendOutcome,
    Store,
};

pub const JOB: &str = "connectors";

/// When to try a send again: 30 s after the first failure, doubling, at most an hour apart;
/// given up after `max_attempts` (20: about 14 hours of trying).
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub first: TimeDelta,
    pub max: TimeDelta,
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            first: TimeDelta::seconds(30),
            max: TimeDelta::hours(1),
            max_attempts: 20,
        }
    }
}

impl Backoff {
    /// The wait after the `attempts`-th failed attempt (1 for the first).
    pub fn after(&self, attempts: u32) -> TimeDelta {
        let factor = 1i32 << attempts.saturating_sub(1).min(20);
        (self.first * factor).min(self.max)
    }
}

#[derive(Debug, Clone)]
pub struct ConnectorSettings {
    pub backoff: Backoff,
    /// How long a process holds the items it is sending.
    pub lease: TimeDelta,
    pub batch: u32,
    /// The address replies to connector e-mails go to, `local@domain`: the token is added as
    /// `local+TOKEN@domain`. Without it, replies go to the sender's address with the token in
    /// the subject.
    pub reply_address: Option<String>,
    /// How often each Open311 system's feed is read (remote servers limit their callers).
    pub follow_every: TimeDelta,
}

impl Default for ConnectorSettings {
    fn default() -> Self {
        ConnectorSettings {
            backoff: Backoff::default(),
            lease: TimeDelta::minutes(2),
            batch: 50,
            reply_address: None,
            follow_every: TimeDelta::minutes(1),
        }
    }
}

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ConnectorReport {
    pub enqueued: usize,
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub updates: usize,
}

pub struct Connectors {
    services: Arc<Services>,
    /// Given by the wiring, like the scheduler's (see [`crate::Scheduler`]).
    store: Arc<dyn Store>,
    http: tanggap_channels::reqwest::Client,
    mailer: Option<Arc<SmtpSender>>,
    settings: ConnectorSettings,
}

impl Connectors {
    pub fn new(
        services: Arc<Services>,
        store: Arc<dyn Store>,
        mailer: Option<Arc<SmtpSender>>,
        settings: ConnectorSettings,
    ) -> Self {
        Connectors {
            services,
            store,
            http: tanggap_channels::outbound::http_client(),
            mailer,
            settings,
        }
    }

    /// Enqueue, deliver and follow.
    pub async fn run(&self, now: Timestamp) -> Result<ConnectorReport> {
        let mut r = ConnectorReport {
            enqueued: self.enqueue(now).await?,
            ..ConnectorReport::default()
        };
        let d = self.deliver(now).await?;
        r.sent = d.sent;
        r.retried = d.retried;
        r.failed = d.failed;
        r.updates = self.follow(now).await?;
        Ok(r)
    }

    /// Walk the timeline and enqueue what the connectors must be sent; returns how many.
    pub async fn enqueue(&self, now: Timestamp) -> Result<usize> {
        let connectors: HashMap<String, Connector> = self
            .store
            .connectors()
            .await?
            .into_iter()
            .filter(|c| c.active)
            .map(|c| (c.agency_id.clone(), c))
            .collect();
        let mut enqueued = 0;
        for _ in 0..50 {
            let from = self.store.job_cursor(JOB).await?;
            let updates = self
                .store
                .reporter_updates(from, self.settings.batch.max(1) * 4)
                .await?;
            let Some(to) = updates.last().map(|u| u.activity.id) else {
                break;
            };
            let mut sends = Vec::new();
            if !connectors.is_empty() {
                for u in &updates {
                    let a = &u.activity;
                    if a.audience != Audience::Public {
                        continue;
                    }
                    if a.kind == ActivityKind::Dispatched {
                        if let (Some(agency), Some(assignment)) = (&a.agency_id, a.assignment_id)
                            && connectors.contains_key(agency)
                        {
                            sends.push(NewConnectorSend {
                                idempotency_key: format!("connector:{}:{agency}", a.id),
                                agency_id: agency.clone(),
                                report_id: a.report_id,
                                assignment_id: assignment,
                                kind: SendKind::Report,
                                activity_id: a.id,
                                token: Some(new_token()),
                            });
                        }
                        continue;
                    }
                    // A webhook hears of every later public update on the reports it holds,
                    // except its own agency's (which it sent) and the report turning
                    // `diproses` (which an agency's first update causes, and says nothing new).
                    if a.kind == ActivityKind::StatusChanged
                        && a.status == Some(tanggap_domain::ReportStatus::Diproses)
                    {
                        continue;
                    }
                    for asg in self.store.assignments(a.report_id).await? {
                        let Some(c) = connectors.get(&asg.agency_id) else {
                            continue;
                        };
                        if a.agency_id.as_deref() == Some(asg.agency_id.as_str()) {
                            continue;
                        }
                        if c.kind != ConnectorKind::Webhook
                            || self.store.connector_link(asg.id).await?.is_none()
                        {
                            continue;
                        }
                        sends.push(NewConnectorSend {
                            idempotency_key: format!("connector:{}:{}", a.id, asg.agency_id),
                            agency_id: asg.agency_id.clone(),
                            report_id: a.report_id,
                            assignment_id: asg.id,
                            kind: SendKind::Update,
                            activity_id: a.id,
                            token: None,
                        });
                    }
                }
            }
            if self
                .store
                .advance_connector_cursor(JOB, from, to, &sends, now)
                .await?
            {
                enqueued += sends.len();
            }
        }
        Ok(enqueued)
    }

    /// Send what is due; returns what happened.
    pub async fn deliver(&self, now: Timestamp) -> Result<ConnectorReport> {
        let mut report = ConnectorReport::default();
        let claimed = self
            .store
            .claim_connector_sends(now, now + self.settings.lease, self.settings.batch)
            .await?;
        // One failure that may pass is enough to know a system is down this round: its other
        // items are left leased (taken up again when the lease ends) instead of each waiting
        // for the same timeout while the clocks' sweep waits behind them.
        let mut down: std::collections::HashSet<String> = std::collections::HashSet::new();
        for send in claimed {
            if down.contains(&send.agency_id) {
                continue;
            }
            let outcome = self.send_one(&send, now).await;
            if matches!(outcome, SendOutcome::Retry { .. }) {
                down.insert(send.agency_id.clone());
            }
            match &outcome {
                SendOutcome::Sent { .. } => report.sent += 1,
                SendOutcome::Retry { .. } => report.retried += 1,
                SendOutcome::Failed { .. } => report.failed += 1,
            }
            if let SendOutcome::Retry { error, .. } | SendOutcome::Failed { error } = &outcome {
                tracing::warn!(agency = %send.agency_id, item = send.id, attempts = send.attempts + 1, %error, "connector send failed");
            }
            self.store
                .finish_connector_send(send.id, &outcome, now)
                .await?;
        }
        Ok(report)
    }

    async fn send_one(&self, send: &ConnectorSend, now: Timestamp) -> SendOutcome {
        let connector = match self.services.connector_for_sending(&send.agency_id).await {
            Ok(Some(c)) => c,
            Ok(None) => {
                return SendOutcome::Failed {
                    error: "the connector is no longer active".into(),
                };
            }
            Err(e) => return self.retry(send, now, e.to_string()),
        };
        let document = match self.services.connector_document(send).await {
            Ok(d) => d,
            Err(tanggap_service::ServiceError::Refused(r)) => {
                return SendOutcome::Failed {
                    error: format!("the report cannot be sent: {}", r.code),
                };
            }
            Err(e) => return self.retry(send, now, e.to_string()),
        };
        let body = serde_json::to_vec(&document).unwrap_or_default();
        let digest = hex::encode(Sha256::digest(&body));
        let sent = match connector.kind {
            ConnectorKind::Open311 => self.open311(&connector, &document).await,
            ConnectorKind::Webhook => {
                post_webhook(
                    &self.http,
                    &connector.target,
                    connector.secret.as_deref().unwrap_or_default(),
                    &body,
                    now,
                )
                .await
            }
            ConnectorKind::Email => self.email(&connector, &document, send).await,
        };
        let fields = match connector.kind {
            ConnectorKind::Open311 => open311_fields(&document),
            _ => document.fields(),
        };
        match sent {
            Ok(remote_id) => SendOutcome::Sent {
                remote_id,
                fields,
                digest,
            },
            Err(ProviderError::Transient(m)) => self.retry(send, now, m),
            Err(ProviderError::Permanent(m)) => SendOutcome::Failed { error: m },
        }
    }

    fn retry(&self, send: &ConnectorSend, now: Timestamp, error: String) -> SendOutcome {
        let attempts = send.attempts + 1;
        if attempts >= self.settings.backoff.max_attempts {
            SendOutcome::Failed {
                error: format!("{error} (gave up after {attempts} attempts)"),
            }
        } else {
            SendOutcome::Retry {
                at: now + self.settings.backoff.after(attempts),
                error,
            }
        }
    }

    async fn open311(
        &self,
        c: &Connector,
        d: &ConnectorDocument,
    ) -> std::result::Result<Option<String>, ProviderError> {
        if d.event != "report" {
            return Err(ProviderError::Permanent(
                "Open311 takes reports, not updates".into(),
            ));
        }
        let client = Open311Client::new(self.http.clone(), &c.target, c.secret.as_deref());
        let posted = client.post_request(&open311_request(d)).await?;
        match (posted.service_request_id, posted.token) {
            (Some(id), _) => Ok(Some(id)),
            // The id comes later: asked for once now, else on a later follow.
            (None, Some(token)) => Ok(client.request_id_of_token(&token).await.ok().flatten()),
            (None, None) => Ok(None),
        }
    }

    async fn email(
        &self,
        c: &Connector,
        d: &ConnectorDocument,
        send: &ConnectorSend,
    ) -> std::result::Result<Option<String>, ProviderError> {
        let Some(mailer) = &self.mailer else {
            return Err(ProviderError::Transient(
                "no SMTP server is configured (TANGGAP_SMTP_URL)".into(),
            ));
        };
        let reply_to = self
            .settings
            .reply_address
            .as_deref()
            .and_then(|a| a.split_once('@'))
            .map(|(local, domain)| format!("{local}+{}@{domain}", d.reference));
        let key = format!("connector:{}:{}", d.reference, send.id);
        mailer
            .send_mail(
                &c.target,
                &email_subject(d),
                &email_body(d),
                &key,
                reply_to.as_deref(),
            )
            .await
            .map_err(|e| match e {
                crate::SendError::Transient(m) => ProviderError::Transient(m),
                crate::SendError::Permanent(m) => ProviderError::Permanent(m),
            })?;
        Ok(Some(mailer.message_id(&key)))
    }

    /// Read the Open311 connectors' feeds (each at most every `follow_every`); returns how many
    /// updates were recorded.
    pub async fn follow(&self, now: Timestamp) -> Result<usize> {
        let mut recorded = 0;
        for c in self.store.connectors().await? {
            let recent = c
                .followed_until
                .is_some_and(|t| now - t < self.settings.follow_every);
            if !c.active || c.kind != ConnectorKind::Open311 || recent {
                continue;
            }
            match self.follow_one(&c, now).await {
                Ok(n) => recorded += n,
                Err(e) => {
                    tracing::warn!(agency = %c.agency_id, error = %e, "following the connector failed");
                    self.services
                        .connector_followed(&c.agency_id, None, Some(&e))
                        .await?;
                }
            }
        }
        Ok(recorded)
    }

    /// Follow one agency's Open311 system now (the scheduler, or an administrator on demand).
    pub async fn follow_one(
        &self,
        c: &Connector,
        now: Timestamp,
    ) -> std::result::Result<usize, String> {
        let client = Open311Client::new(self.http.clone(), &c.target, c.secret.as_deref());
        // A little overlap: an update written as the last read ran is read again (and ignored).
        let start = c
            .followed_until
            .map_or(now - TimeDelta::days(7), |t| t - TimeDelta::minutes(5))
            .max(now - TimeDelta::days(89));
        let mut recorded = 0;
        match client
            .updates(start, now)
            .await
            .map_err(|e| e.to_string())?
        {
            Some(updates) => {
                for u in updates {
                    let input = RemoteUpdateInput {
                        agency_id: c.agency_id.clone(),
                        reference: RemoteRef::RemoteId(u.service_request_id.clone()),
                        update_id: u.update_id,
                        status: u.status,
                        description: u.description,
                        at: u.at,
                    };
                    recorded += self.record(input).await?;
                }
            }
            None => {
                // No feed: each open request on its own.
                let links = self
                    .services
                    .open_connector_links(&c.agency_id)
                    .await
                    .map_err(|e| e.to_string())?;
                for link in links {
                    let Some(id) = link.remote_id.as_deref() else {
                        continue;
                    };
                    let Some(r) = client.request(id).await.map_err(|e| e.to_string())? else {
                        continue;
                    };
                    if r.status != "closed" {
                        continue;
                    }
                    let input = RemoteUpdateInput {
                        agency_id: c.agency_id.clone(),
                        reference: RemoteRef::RemoteId(id.to_string()),
                        update_id: format!("{id}:closed"),
                        status: "CLOSED".into(),
                        description: r.status_notes,
                        at: r.updated.unwrap_or(now),
                    };
                    recorded += self.record(input).await?;
                }
            }
        }
        self.services
            .connector_followed(&c.agency_id, Some(now), None)
            .await
            .map_err(|e| e.to_string())?;
        Ok(recorded)
    }

    /// One update: requests that are not ours (another client's, on a shared server) are
    /// passed over.
    async fn record(&self, input: RemoteUpdateInput) -> std::result::Result<usize, String> {
        use tanggap_service::connectors::RemoteOutcome;
        match self.services.record_remote_update(input).await {
            Ok(RemoteOutcome::Recorded { .. }) => Ok(1),
            Ok(_) => Ok(0),
            Err(tanggap_service::ServiceError::Refused(r)) if r.code == "not_found" => Ok(0),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// A reference token: 96 random bits, hex.
fn new_token() -> String {
    use rand::RngCore;
    let mut b = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// The report as an Open311 service request (between two Tanggap instances the category code
/// is the service code).
pub fn open311_request(d: &ConnectorDocument) -> NewServiceRequest {
    let (first_name, last_name) = match d.reporter.as_ref().and_then(|r| r.name.as_deref()) {
        Some(n) => match n.trim().rsplit_once(' ') {
            Some((f, l)) => (Some(f.to_string()), Some(l.to_string())),
            None => (Some(n.trim().to_string()), None),
        },
        None => (None, None),
    };
    let mut attributes = vec![
        ("judul".to_string(), d.title.clone()),
        ("jenis".to_string(), d.kind.clone()),
    ];
    if d.confidential {
        attributes.push(("kerahasiaan".into(), "rahasia".into()));
    }
    if d.anonymous {
        attributes.push(("kerahasiaan".into(), "anonim".into()));
    }
    let address = match (&d.address, &d.region_code) {
        (Some(a), _) => Some(a.clone()),
        (None, Some(r)) => Some(r.clone()),
        _ => None,
    };
    NewServiceRequest {
        service_code: d.category.clone().unwrap_or_default(),
        description: format!(
            "{}\n\n(Diteruskan dari Tanggap, laporan {}, referensi {}.)",
            d.description, d.tracking_id, d.reference
        ),
        lat: d.lat,
        long: d.long,
        address_string: address,
        email: d.reporter.as_ref().and_then(|r| r.email.clone()),
        phone: d.reporter.as_ref().and_then(|r| r.phone.clone()),
        first_name,
        last_name,
        attributes,
    }
}

/// The names of what an Open311 request carried.
fn open311_fields(d: &ConnectorDocument) -> Vec<String> {
    open311_request(d)
        .form()
        .into_iter()
        .map(|(k, _)| k)
        .collect()
}

fn email_subject(d: &ConnectorDocument) -> String {
    let title: String = d.title.chars().take(80).collect();
    match &d.update {
        None => format!(
            "[Tanggap {}] Laporan untuk ditindaklanjuti: {title} [ref:{}]",
            d.tracking_id, d.reference
        ),
        Some(_) => format!(
            "[Tanggap {}] Perkembangan: {title} [ref:{}]",
            d.tracking_id, d.reference
        ),
    }
}

fn email_body(d: &ConnectorDocument) -> String {
    let mut b = String::new();
    b.push_str(&format!(
        "Laporan {} didisposisikan ke instansi Anda melalui Tanggap.\n\n",
        d.tracking_id
    ));
    b.push_str(&format!("Judul: {}\n", d.title));
    if let Some(c) = &d.category {
        b.push_str(&format!("Kategori: {c}\n"));
    }
    if let Some(a) = &d.address {
        b.push_str(&format!("Lokasi: {a}\n"));
    }
    if let (Some(lat), Some(long)) = (d.lat, d.long) {
        b.push_str(&format!("Koordinat: {lat}, {long}\n"));
    }
    if let Some(r) = &d.reporter {
        if let Some(n) = &r.name {
            b.push_str(&format!("Pelapor: {n}\n"));
        }
        if let Some(p) = &r.phone {
            b.push_str(&format!("Telepon pelapor: {p}\n"));
        }
        if let Some(e) = &r.email {
            b.push_str(&format!("E-mail pelapor: {e}\n"));
        }
    } else if d.anonymous {
        b.push_str("Pelapor: anonim\n");
    }
    if d.confidential {
        b.push_str("Laporan ini RAHASIA: jangan diteruskan atau diumumkan.\n");
    }
    if let Some(t) = d.respond_by {
        b.push_str(&format!(
            "Respons pertama paling lambat: {}\n",
            t.with_timezone(&chrono_tz::Asia::Jakarta)
                .format("%d-%m-%Y %H:%M WIB")
        ));
    }
    b.push_str(&format!("\n{}\n", d.description));
    if let Some(u) = &d.update {
        b.push_str(&format!(
            "\nPerkembangan: {}\n",
            u.note.as_deref().unwrap_or(u.kind.as_str())
        ));
    }
    b.push_str(&format!(
        "\nBalas e-mail ini untuk melaporkan perkembangan. Tulis tahapnya di baris pertama: \
         VERIFIKASI, CEK_LAPANGAN, PENGERJAAN, TUNTAS, atau BUKAN_WEWENANG, lalu keterangannya. \
         Jangan ubah kode [ref:{}] di subjek.\n",
        d.reference
    ));
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_thirty_seconds_to_an_hour() {
        let b = Backoff::default();
        assert_eq!(b.after(1), TimeDelta::seconds(30));
        assert_eq!(b.after(2), TimeDelta::seconds(60));
        assert_eq!(b.after(5), TimeDelta::seconds(480));
        assert_eq!(b.after(8), TimeDelta::hours(1));
        assert_eq!(b.after(40), TimeDelta::hours(1));
    }
}
