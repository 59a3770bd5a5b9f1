//! The `tanggap` binary's library: configuration, the choice of store, and [`Application`], which
//! builds and runs the whole system exactly as production does, so tests and benchmarks start it
//! the same way.

pub mod backup;
mod channels_config;
pub mod cli;
pub mod config;
pub mod eval;
pub mod restore;

use anyhow::Context as _;
use config::Config;
use std::net::SocketAddr;
use std::sync::Arc;
use tanggap_service::{Services, Settings, SystemClock, Wallclock};
use tanggap_store::Store;
use tanggap_store_postgres::PgStore;
use tanggap_store_sqlite::SqliteStore;

/// Open the configured store: PostgreSQL when `DATABASE_URL` is set, else the SQLite file.
/// Migrations run as part of opening.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    Ok(match &config.database_url {
        Some(url) => Arc::new(
            PgStore::connect(url)
                .await
                .context("cannot use the PostgreSQL database in DATABASE_URL")?,
        ),
        None => {
            let path = config.sqlite_path();
            Arc::new(
                SqliteStore::open(&path).await.with_context(|| {
                    format!("cannot use the SQLite database {}", path.display())
                })?,
            )
        }
    })
}

/// The system clock, or a faster one for tests of whole processes (`TANGGAP_TEST_TIME_RATE`).
pub fn clock(config: &Config) -> Arc<dyn Wallclock> {
    match config.test_time {
        Some((anchor, rate)) => {
            tracing::warn!(
                %anchor,
                rate,
                "TANGGAP_TEST_TIME_RATE is set: this process's clock runs {rate} times faster than real time (tests only)"
            );
            Arc::new(tanggap_service::ScaledClock { anchor, rate })
        }
        None => Arc::new(SystemClock),
    }
}

pub fn services(config: &Config, store: Arc<dyn Store>, clock: Arc<dyn Wallclock>) -> Services {
    Services::new(
        store,
        clock,
        Settings {
            tracking_prefix: config.tracking_prefix.clone(),
            require_contact: config.require_contact,
            public_url: config.public_url.clone(),
            reference_cache: config.reference_cache,
            duplicates: config.duplicates,
        },
    )
}

/// The running system: HTTP server and background jobs (clock scheduler, outbox) on one store.
pub struct Application {
    listener: tokio::net::TcpListener,
    router: axum::Router,
    services: Arc<Services>,
    /// For the background jobs' own machinery (see `tanggap_jobs::Scheduler`); every request
    /// goes through `services`.
    store: Arc<dyn Store>,
    /// `None` when `TANGGAP_JOBS=off`.
    jobs: Option<(
        tanggap_jobs::JobsConfig,
        tanggap_jobs::Senders,
        tanggap_jobs::Inbox,
    )>,
    /// Woken by the webhooks when they recorded a message.
    inbox_wake: Arc<tokio::sync::Notify>,
    transport: tanggap_web::TransportConfig,
}

/// Notification senders from the configuration: SMTP when `TANGGAP_SMTP_URL` is set, else
/// e-mails are logged; each chat channel through its provider when its sending credentials are
/// configured, else logged.
pub fn senders(config: &Config, store: Arc<dyn Store>) -> anyhow::Result<tanggap_jobs::Senders> {
    let mut senders = tanggap_jobs::Senders::logging();
    if let (Some(url), Some(from)) = (&config.smtp_url, &config.smtp_from) {
        senders = senders.with_smtp(Arc::new(tanggap_jobs::SmtpSender::new(url, from)?));
    }
    for (channel, provider) in chat_providers(config) {
        match tanggap_domain::escalation::NotifyChannel::for_report_channel(channel) {
            Some(tanggap_domain::escalation::NotifyChannel::Email) | None => {}
            Some(notify) => {
                senders = senders.with(
                    notify,
                    Arc::new(tanggap_jobs::ChatSender::new(provider, store.clone())),
                );
            }
        }
    }
    Ok(senders)
}

/// The chat providers' APIs (sending, media) whose credentials are configured.
pub fn chat_providers(
    config: &Config,
) -> std::collections::HashMap<
    tanggap_domain::Channel,
    Arc<dyn tanggap_channels::outbound::ChatProvider>,
> {
    tanggap_channels::outbound::providers(&config.channels)
        .into_iter()
        .map(|p| (p.channel(), p))
        .collect()
}

/// The inbox: handles the messages the webhooks record (see `tanggap_jobs::Inbox`).
pub fn inbox(config: &Config, services: Arc<Services>) -> tanggap_jobs::Inbox {
    tanggap_jobs::Inbox::new(
        services,
        chat_providers(config),
        Arc::new(tanggap_attachments::DiskStore::new(
            config.data_dir.join("attachments"),
        )),
        tanggap_jobs::InboxSettings::default(),
    )
}

impl Application {
    /// Build with the system clock.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let store = open_store(config).await?;
        Self::build_with(config, store, clock(config)).await
    }

    /// Build on a given store and clock (tests inject both).
    pub async fn build_with(
        config: &Config,
        store: Arc<dyn Store>,
        clock: Arc<dyn Wallclock>,
    ) -> anyhow::Result<Self> {
        let services = Arc::new(services(config, store.clone(), clock));
        if !services.has_reference_data().await? {
            let counts = services.seed_reference_data().await?;
            tracing::info!(
                ?counts,
                "empty database: loaded the Central Java reference data"
            );
        }
        let rebuilt = services.rebuild_obligations().await?;
        if rebuilt > 0 {
            tracing::info!(
                rebuilt,
                "response obligations rebuilt from the timeline of existing reports"
            );
        }
        let attachments_dir = config.data_dir.join("attachments");
        tanggap_attachments::DiskStore::new(&attachments_dir)
            .check_writable()
            .with_context(|| {
                format!(
                    "the attachment directory {} cannot take files",
                    attachments_dir.display()
                )
            })?;
        let inbox_wake = Arc::new(tokio::sync::Notify::new());
        let web = tanggap_web::WebConfig {
            attachments_dir: config.data_dir.join("attachments"),
            public_url: config.public_url.clone(),
            rates: config.rates,
            trusted_proxies: config.trusted_proxies.clone(),
            session_idle: config.session_idle,
            channels: config.channels.clone(),
            inbox: inbox_wake.clone(),
            map_tiles: config.map_tiles.clone(),
            map_attribution: config.map_attribution.clone(),
            metrics_token: config.metrics_token.clone(),
            open311: tanggap_web::Open311Config {
                jurisdiction: config.open311_jurisdiction.clone(),
                jurisdiction_required: config.open311_jurisdiction_required,
            },
        };
        let router = tanggap_web::router(tanggap_web::AppState::new(services.clone(), &web));
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let jobs = if config.jobs {
            let jobs = tanggap_jobs::JobsConfig {
                interval: config.sweep_interval,
                public_url: config.public_url.clone(),
                connectors: tanggap_jobs::ConnectorSettings {
                    reply_address: config.connector_reply_address.clone(),
                    ..Default::default()
                },
                ..Default::default()
            };
            Some((
                jobs,
                senders(config, store.clone())?,
                inbox(config, services.clone()),
            ))
        } else {
            None
        };
        Ok(Application {
            listener,
            router,
            services,
            store,
            jobs,
            inbox_wake,
            transport: config.transport,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn services(&self) -> Arc<Services> {
        self.services.clone()
    }

    /// Serve until Ctrl-C or SIGTERM, finishing requests in flight.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr(), backend = self.services.backend().as_str(), jobs = self.jobs.is_some(), "Tanggap is listening");
        self.run_until(shutdown_signal()).await
    }

    /// Serve, with the background jobs, until the future resolves; then stop taking requests,
    /// finish those in flight and let the jobs finish their current step. The transport
    /// (`tanggap_web::serve`) applies the header, body and idle timeouts and the connection
    /// limit.
    pub async fn run_until(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_jobs, jobs_stopped) = tokio::sync::watch::channel(false);
        let jobs = self.jobs.map(|(config, senders, inbox)| {
            let interval = config.interval;
            let inbox =
                tanggap_jobs::spawn_inbox(inbox, self.inbox_wake, interval, jobs_stopped.clone());
            let jobs = tanggap_jobs::spawn(
                self.services.clone(),
                self.store.clone(),
                senders,
                config,
                jobs_stopped,
            );
            (jobs, inbox)
        });
        let served = tanggap_web::serve(self.listener, self.router, self.transport, stop).await;
        let _ = stop_jobs.send(true);
        if let Some((jobs, inbox)) = jobs {
            for (name, task) in [("background jobs", jobs), ("inbox", inbox)] {
                if let Err(e) = task.await {
                    tracing::error!(error = %e, "the {name} ended abnormally");
                }
            }
        }
        served?;
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
