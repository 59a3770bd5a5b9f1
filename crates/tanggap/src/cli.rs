//! The command line. Every failure ends in one line on stderr and a non-zero exit code; nothing
//! here panics on bad input.

use crate::config::Config;
use crate::{Application, open_store, services};
use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tanggap_domain::Role;
use tanggap_service::accounts::UserInput;
use tanggap_service::{Caller, Lang, SystemClock};
use tanggap_store::VerifyError;

#[derive(Debug, Parser)]
#[command(
    name = "tanggap",
    version,
    about = "Tanggap: public-service complaints for Indonesian regional governments."
)]
#[command(
    after_help = "Environment: TANGGAP_LISTEN (default 127.0.0.1:8080), TANGGAP_DATA_DIR (default ./data), \
DATABASE_URL (PostgreSQL instead of the SQLite file), TANGGAP_CONFIG (a TOML file with the same settings), \
TANGGAP_JOBS (on/off: the SLA scheduler and outbox in this process), TANGGAP_SWEEP_INTERVAL_SECS, TANGGAP_SMTP_URL, TANGGAP_SMTP_FROM, \
TANGGAP_PUBLIC_URL, TANGGAP_TRACKING_PREFIX, TANGGAP_REQUIRE_CONTACT, TANGGAP_TRUSTED_PROXIES, \
TANGGAP_RATE_LOGIN_PER_USER, TANGGAP_RATE_LOGIN_PER_IP, TANGGAP_RATE_LOOKUPS_PER_IP, TANGGAP_RATE_SUBMISSIONS_PER_IP, \
TANGGAP_RATE_PUBLIC_LIST_PER_IP (per minute), TANGGAP_SESSION_HOURS (default 8), \
TANGGAP_DUPLICATE_WINDOW_DAYS (default 30), TANGGAP_DUPLICATE_DISTANCE_KM (default 3: likely duplicates), \
TANGGAP_HEADER_TIMEOUT_SECS (default 20: a request's headers must arrive within it), \
TANGGAP_BODY_TIMEOUT_SECS (default 300: a request's body must arrive within it), \
TANGGAP_IDLE_TIMEOUT_SECS (default 60: an idle kept-alive connection is closed), \
TANGGAP_MAX_CONNECTIONS (default 4096: beyond it the longest-idle connection is closed; keep ulimit -n above it), \
TANGGAP_LOG, TANGGAP_LOG_FORMAT."
)]
pub struct Cli {
    /// A TOML configuration file (overrides TANGGAP_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web server and the background jobs.
    Serve(ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Load the Central Java reference data (regions, agencies, categories, holidays).
    Seed,
    /// Load the reference data, demo logins for every role and demo reports in every state.
    Demo(DemoArgs),
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Check the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// A reporter's personal-data requests (UU 27/2022), by the tracking ID of one of their reports.
    #[command(subcommand)]
    Reporter(ReporterCommand),
    /// Agencies' heads: who is named in the accountability report for an agency's lalai.
    #[command(subcommand)]
    Agency(AgencyCommand),
    /// Accountability reports.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Open311 clients' keys (`api_key` of /open311/v2).
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Agencies handled in their own systems: forward their reports there and follow them.
    #[command(subcommand)]
    Connector(ConnectorCommand),
    /// Copy the database and the attachments into one file, while Tanggap runs. On PostgreSQL
    /// the file holds the attachments only: back the database up with pg_dump first.
    Backup {
        /// The backup file to write (a tar archive); it must not exist yet.
        file: PathBuf,
    },
    /// Restore a backup into an empty data directory (TANGGAP_DATA_DIR), check it and print
    /// what it holds. Refused if the data directory holds a database or attachments. On
    /// PostgreSQL restore the database with pg_restore first; this puts the attachments back.
    Restore {
        /// A file written by `tanggap backup`.
        file: PathBuf,
    },
    /// Measure the desk's assistant on a labelled file (JSON lines of the shape of
    /// reference/jateng/complaints-dev.jsonl), with the compiled-in reference data.
    #[command(subcommand)]
    Eval(EvalCommand),
}

#[derive(Debug, Subcommand)]
enum EvalCommand {
    /// Routing suggestions: agency top-1 and top-3 accuracy (a suggestion naming `agency_id` or
    /// any of `alt_agency_ids` is right) and category accuracy, by cross-validation.
    Routing {
        file: PathBuf,
        /// Folds of the cross-validation.
        #[arg(long, default_value_t = 10)]
        folds: usize,
        /// Learn from this labelled file instead, and suggest for every line of FILE.
        #[arg(long, value_name = "HISTORY.jsonl")]
        train: Option<PathBuf>,
        /// Also list the lines whose first suggestion was wrong.
        #[arg(long)]
        verbose: bool,
    },
    /// Duplicate suggestions: precision and recall over every pair of lines (`duplicate_group`).
    Duplicates {
        file: PathBuf,
        /// Also list the wrong and the missed pairs.
        #[arg(long)]
        verbose: bool,
    },
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// Then add this many reports for measuring at scale: copies of the demo reports with their
    /// whole history, spread over three years, each with its own tracking ID, reporter, place
    /// and text (e.g. `--reports 1000000`).
    #[arg(long, value_name = "N")]
    reports: Option<u64>,
}

#[derive(Debug, Subcommand)]
enum ConnectorCommand {
    /// Set an agency's connector (replacing the one it had).
    Add {
        /// The agency (its id, e.g. `pemda-33-22`).
        agency_id: String,
        #[command(subcommand)]
        kind: ConnectorKindArg,
        /// `REMOTE_STATUS=stage,…` on top of the default map (the mySociety Open311 statuses
        /// and Tanggap's stage codes).
        #[arg(long, global = true)]
        status_map: Option<String>,
    },
    /// List the connectors with their health (never their secrets).
    List,
    /// Stop using an agency's connector: its reports stay in Tanggap from then on.
    Remove { agency_id: String },
    /// Read an Open311 connector's updates now (instead of waiting for the next round).
    Follow { agency_id: String },
}

#[derive(Debug, Subcommand)]
enum ConnectorKindArg {
    /// An Open311 GeoReport v2 server (another Tanggap, FixMyStreet, a utility's endpoint).
    Open311 {
        /// The base URL, before `requests.json` (e.g. https://lapor.semarangkab.go.id/open311/v2).
        base_url: String,
        /// The `api_key` the server issued to this province.
        #[arg(long)]
        api_key: Option<String>,
    },
    /// A signed JSON webhook; the other side posts its updates back to
    /// /connectors/{agency}/updates, signed with the same secret.
    Webhook {
        url: String,
        /// The shared HMAC-SHA256 secret (at least 16 characters).
        #[arg(long)]
        secret: String,
    },
    /// E-mail to the agency's address; replies are mapped back by their reference.
    Email { address: String },
}

#[derive(Debug, Subcommand)]
enum ApiKeyCommand {
    /// Issue an Open311 key for a client and print it once (only its hash is kept).
    Add(ApiKeyAddArgs),
    /// List the Open311 keys (never the keys themselves).
    List,
    /// Revoke an Open311 key by its id: the client is refused from then on.
    Revoke { id: i64 },
}

#[derive(Debug, Args)]
struct ApiKeyAddArgs {
    /// Who the key is for (e.g. "Aplikasi Lapor Semarang").
    name: String,
    /// An integration account (username) the key acts as when it posts stage updates through
    /// servicerequestupdates; without it the key files and reads requests only.
    #[arg(long)]
    user: Option<String>,
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// The quarterly report for the coordination meeting (rakor): the ranking of all agencies,
    /// the lalai with their heads and tracking IDs, the trend against the quarter before, and the
    /// audit trail's chain head.
    Quarterly(QuarterlyArgs),
}

#[derive(Debug, Args)]
struct QuarterlyArgs {
    /// A calendar quarter in the policy's time zone, e.g. 2026-Q3.
    quarter: String,
    /// The file format: html, pdf, csv or xlsx.
    #[arg(long, default_value = "csv")]
    format: String,
    /// Write to this file instead of standard output.
    #[arg(long)]
    output: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
enum AgencyCommand {
    /// Record a new head of an agency, in office from now; earlier heads stay on record.
    Head(AgencyHeadArgs),
    /// List an agency's heads over time, oldest first.
    Heads { agency: String },
}

#[derive(Debug, Args)]
struct AgencyHeadArgs {
    /// The agency's code (e.g. `dpu-bmck`).
    agency: String,
    /// The head's full name, with titles (e.g. "Ir. Hanung Triyono, M.Si."). Use "Plt." in the
    /// position for an acting head.
    #[arg(long)]
    name: String,
    /// The position (e.g. "Kepala Dinas" or "Plt. Kepala Dinas").
    #[arg(long)]
    position: Option<String>,
    /// The head's mobile for escalations (kept, never shown publicly).
    #[arg(long)]
    phone: Option<String>,
    /// The head's e-mail for escalations and the morning digest.
    #[arg(long)]
    email: Option<String>,
}

#[derive(Debug, Subcommand)]
enum ReporterCommand {
    /// Print (JSON) everything held about the reporter of this report, all their reports included.
    Export { tracking_id: String },
    /// Remove the reporter's name, contacts, NIK and chat addresses everywhere; their reports,
    /// the figures and the audit trail stay.
    Forget { tracking_id: String },
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on (overrides TANGGAP_LISTEN).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Load the demo logins and reports when the database has none.
    #[arg(long)]
    demo: bool,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a user. The password is read from stdin with --password-stdin, else one is generated and printed.
    Add(UserAddArgs),
}

#[derive(Debug, Args)]
struct UserAddArgs {
    #[arg(long)]
    username: String,
    /// operator, petugas, kepala, pimpinan, auditor or admin.
    #[arg(long)]
    role: String,
    /// The agency id, for petugas and kepala (see reference/jateng/agencies.csv).
    #[arg(long)]
    agency: Option<String>,
    /// Full name shown in the interface (defaults to the username).
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    email: Option<String>,
    #[arg(long)]
    phone: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
    /// An integration account: works with API tokens only and never logs in with a password.
    #[arg(long, conflicts_with = "password_stdin")]
    integration: bool,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Walk the hash chain; name the first broken event and exit non-zero if there is one.
    Verify,
}

/// Turns any error into the one line we print.
fn one_line(e: &anyhow::Error) -> String {
    format!("{e:#}")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                        ExitCode::from(2)
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                _ => {
                    let text = e.to_string();
                    let first = text
                        .lines()
                        .next()
                        .unwrap_or("invalid arguments")
                        .trim_start_matches("error: ");
                    eprintln!("error: {first} (see `tanggap --help`)");
                    ExitCode::from(2)
                }
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

fn init_logging(config: &Config, default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TANGGAP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = if config.log_json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut config = Config::load(cli.config.as_deref(), |k| std::env::var(k).ok())?;
    match cli.command {
        Command::Serve(args) => {
            init_logging(&config, "info,sqlx=warn,tower_http=info");
            if let Some(l) = args.listen {
                config.listen = l.parse().with_context(|| {
                    format!("--listen `{l}` is not an address like 127.0.0.1:8080")
                })?;
            }
            let app = Application::build(&config).await?;
            if args.demo {
                load_demo(&app.services()).await?;
            }
            eprintln!(
                "Tanggap is running at http://{}/ (Ctrl-C stops it)",
                app.local_addr()
            );
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            init_logging(&config, "warn");
            let store = open_store(&config).await?;
            println!(
                "database schema is up to date ({})",
                store.backend().as_str()
            );
        }
        Command::Seed => {
            init_logging(&config, "warn");
            let svc = services(&config, open_store(&config).await?, Arc::new(SystemClock));
            let c = svc.seed_reference_data().await?;
            println!(
                "loaded {} regions, {} agencies, {} categories, {} holidays",
                c.regions, c.agencies, c.categories, c.holidays
            );
        }
        Command::Demo(args) => {
            init_logging(&config, "warn");
            let store = open_store(&config).await?;
            let svc = Arc::new(services(&config, store.clone(), Arc::new(SystemClock)));
            svc.seed_reference_data().await?;
            load_demo(&svc).await?;
            if let Some(n) = args.reports {
                // The scheduler's work on the templates is done before they are copied, as it
                // would have been while the reports were being handled: their crossed
                // thresholds fired, so every copy holds its clocks as a running system keeps
                // them. Copied as they were, each open copy's crossed thresholds all fired at
                // the first start (52,660 at a million reports, ~45,000 notifications to send
                // while the reads were being measured).
                tanggap_jobs::Scheduler::new(svc.clone(), store, Default::default())
                    .sweep(svc.now())
                    .await
                    .map_err(|e| {
                        anyhow::anyhow!("the scheduler failed on the demo reports: {e}")
                    })?;
                load_scale(&svc, n).await?;
            }
        }
        Command::User(UserCommand::Add(a)) => {
            init_logging(&config, "warn");
            Role::parse(&a.role).with_context(|| {
                format!(
                    "unknown role `{}`: use operator, petugas, kepala, pimpinan, auditor or admin",
                    a.role
                )
            })?;
            let (password, generated) = if a.integration {
                (String::new(), false)
            } else if a.password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("cannot read the password from stdin")?;
                (line.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (generate_password(), true)
            };
            let svc = services(&config, open_store(&config).await?, Arc::new(SystemClock));
            let input = UserInput {
                display_name: a.name.unwrap_or_else(|| a.username.clone()),
                username: a.username,
                role: a.role,
                agency_id: a.agency,
                email: a.email,
                phone: a.phone,
                password: password.clone(),
                integration: a.integration,
            };
            let user = svc
                .create_user(&Caller::System, input)
                .await
                .map_err(|e| anyhow::anyhow!(refusal_text(&e)))?;
            println!(
                "created user `{}` ({}) with id {}",
                user.username, user.role, user.id
            );
            if generated {
                println!("password: {password}");
            }
            if a.integration {
                println!(
                    "integration account: an administrator issues its API token with POST /api/v1/users/{}/tokens",
                    user.id
                );
            }
        }
        Command::ApiKey(cmd) => {
            init_logging(&config, "warn");
            let svc = services(&config, open_store(&config).await?, Arc::new(SystemClock));
            let text = |e: tanggap_service::ServiceError| anyhow::anyhow!(refusal_text(&e));
            match cmd {
                ApiKeyCommand::Add(a) => {
                    let user_id = match &a.user {
                        None => None,
                        Some(name) => Some(
                            svc.users(&Caller::System)
                                .await
                                .map_err(text)?
                                .into_iter()
                                .find(|u| u.username == name.trim().to_lowercase())
                                .with_context(|| format!("no user `{name}`"))?
                                .id,
                        ),
                    };
                    let (id, key) = svc
                        .create_open311_key(&Caller::System, &a.name, user_id)
                        .await
                        .map_err(text)?;
                    println!("{key}");
                    eprintln!(
                        "Open311 key {id} for `{}`: shown once, keep it now (revoke: tanggap api-key revoke {id})",
                        a.name
                    );
                }
                ApiKeyCommand::List => {
                    for k in svc.open311_keys(&Caller::System).await.map_err(text)? {
                        println!(
                            "{}\t{}\t{}\t{}\t{}",
                            k.id,
                            k.name,
                            k.user_id
                                .map(|u| format!("user:{u}"))
                                .unwrap_or_else(|| "-".into()),
                            k.created_at.to_rfc3339(),
                            k.revoked_at
                                .map(|t| format!("revoked {}", t.to_rfc3339()))
                                .unwrap_or_else(|| "active".into())
                        );
                    }
                }
                ApiKeyCommand::Revoke { id } => {
                    svc.revoke_open311_key(&Caller::System, id)
                        .await
                        .map_err(text)?;
                    println!("revoked Open311 key {id}");
                }
            }
        }
        Command::Connector(cmd) => {
            init_logging(&config, "warn");
            let store = open_store(&config).await?;
            let svc = Arc::new(services(&config, store.clone(), Arc::new(SystemClock)));
            let text = |e: tanggap_service::ServiceError| anyhow::anyhow!(refusal_text(&e));
            match cmd {
                ConnectorCommand::Add {
                    agency_id,
                    kind,
                    status_map,
                } => {
                    let (kind, target, secret) = match kind {
                        ConnectorKindArg::Open311 { base_url, api_key } => {
                            ("open311", base_url, api_key)
                        }
                        ConnectorKindArg::Webhook { url, secret } => ("webhook", url, Some(secret)),
                        ConnectorKindArg::Email { address } => ("email", address, None),
                    };
                    let c = svc
                        .set_connector(
                            &Caller::System,
                            tanggap_service::connectors::ConnectorInput {
                                agency_id,
                                kind: kind.into(),
                                target,
                                secret,
                                status_map,
                            },
                        )
                        .await
                        .map_err(text)?;
                    println!(
                        "connector for `{}`: {} {}",
                        c.agency_id,
                        c.kind.as_str(),
                        c.target
                    );
                }
                ConnectorCommand::List => {
                    for c in svc.connectors(&Caller::System).await.map_err(text)? {
                        let at = |t: Option<tanggap_domain::Timestamp>| {
                            t.map(|t| t.to_rfc3339()).unwrap_or_else(|| "-".into())
                        };
                        println!(
                            "{}\t{}\t{}\t{}\tqueued {}\tfailed {}\tlast success {}\tlast error {} {}",
                            c.agency_id,
                            c.kind.as_str(),
                            c.target,
                            if c.active { "active" } else { "inactive" },
                            c.queued,
                            c.failed,
                            at(c.last_success_at),
                            at(c.last_error_at),
                            c.last_error.unwrap_or_default()
                        );
                    }
                }
                ConnectorCommand::Remove { agency_id } => {
                    svc.deactivate_connector(&Caller::System, &agency_id)
                        .await
                        .map_err(text)?;
                    println!("connector for `{agency_id}` no longer used");
                }
                ConnectorCommand::Follow { agency_id } => {
                    let c = svc
                        .connector_for_sending(&agency_id)
                        .await
                        .map_err(text)?
                        .filter(|c| c.kind == tanggap_store::ConnectorKind::Open311)
                        .with_context(|| {
                            format!("`{agency_id}` has no active Open311 connector")
                        })?;
                    let connectors = tanggap_jobs::Connectors::new(
                        svc.clone(),
                        store,
                        None,
                        tanggap_jobs::ConnectorSettings::default(),
                    );
                    let n = connectors
                        .follow_one(&c, svc.now())
                        .await
                        .map_err(|e| anyhow::anyhow!("following `{agency_id}` failed: {e}"))?;
                    println!("{n} update(s) recorded from `{agency_id}`");
                }
            }
        }
        Command::Reporter(rc) => {
            init_logging(&config, "warn");
            let svc = services(&config, open_store(&config).await?, Arc::new(SystemClock));
            match rc {
                ReporterCommand::Export { tracking_id } => {
                    let data = svc
                        .export_reporter(&Caller::System, &tracking_id)
                        .await
                        .map_err(|e| anyhow::anyhow!(refusal_text(&e)))?;
                    let mut out = std::io::stdout().lock();
                    serde_json::to_writer_pretty(&mut out, &data)?;
                    writeln!(out)?;
                }
                ReporterCommand::Forget { tracking_id } => {
                    let n = svc
                        .forget_reporter(&Caller::System, &tracking_id)
                        .await
                        .map_err(|e| anyhow::anyhow!(refusal_text(&e)))?;
                    println!(
                        "forgot the reporter of {tracking_id}: {} report(s), {} timeline entries, {} messages, {} attachments, {} notifications rewritten",
                        n.reports, n.timeline_entries, n.messages, n.attachments, n.notifications
                    );
                }
            }
        }
        Command::Agency(ac) => {
            init_logging(&config, "warn");
            let svc = services(&config, open_store(&config).await?, Arc::new(SystemClock));
            let fail = |e: tanggap_service::ServiceError| anyhow::anyhow!(refusal_text(&e));
            match ac {
                AgencyCommand::Head(a) => {
                    if a.name.trim().is_empty() {
                        bail!("--name: the head's name is required");
                    }
                    let input = tanggap_service::AgencyInput {
                        head_name: Some(Some(a.name)),
                        head_position: Some(a.position),
                        head_phone: a.phone.map(Some),
                        head_email: a.email.map(Some),
                        ..Default::default()
                    };
                    let agency = svc
                        .update_agency(&Caller::System, &a.agency, input)
                        .await
                        .map_err(fail)?;
                    println!(
                        "{}: head {}{}",
                        agency.name,
                        agency.head_name.unwrap_or_default(),
                        agency
                            .head_position
                            .map(|p| format!(", {p}"))
                            .unwrap_or_default()
                    );
                }
                AgencyCommand::Heads { agency } => {
                    let heads: Vec<_> = svc
                        .agency_heads(&Caller::System)
                        .await
                        .map_err(fail)?
                        .into_iter()
                        .filter(|h| h.agency_id == agency)
                        .collect();
                    if heads.is_empty() {
                        println!("{agency}: no head recorded");
                    }
                    for h in heads {
                        println!(
                            "{}\t{}\t{}",
                            h.since.to_rfc3339(),
                            h.name,
                            h.position.unwrap_or_default()
                        );
                    }
                }
            }
        }
        Command::Report(ReportCommand::Quarterly(a)) => {
            init_logging(&config, "warn");
            let format = tanggap_web::rakor::FileFormat::parse(&a.format)
                .with_context(|| format!("--format {}: choose html, pdf, csv or xlsx", a.format))?;
            let svc = services(&config, open_store(&config).await?, Arc::new(SystemClock));
            let report = svc
                .quarterly_report(&Caller::System, &a.quarter)
                .await
                .map_err(|e| anyhow::anyhow!(refusal_text(&e)))?;
            let bytes = tanggap_web::rakor::render(&report, format).map_err(anyhow::Error::msg)?;
            match &a.output {
                Some(path) => std::fs::write(path, bytes)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => std::io::stdout().lock().write_all(&bytes)?,
            }
        }
        Command::Backup { file } => {
            init_logging(&config, "warn");
            let b = crate::backup::backup(&config, &file).await?;
            let m = &b.manifest;
            if config.database_url.is_some() {
                eprintln!(
                    "PostgreSQL: {} holds the attachments only; the database is backed up with pg_dump (run it before this command, see README, \"Backup and restore\")",
                    file.display()
                );
            }
            println!(
                "backup written to {} ({}) in {:.1} s{}: {}{} reports, audit head #{}, {} attachment files ({}){}",
                file.display(),
                size(b.bytes),
                b.seconds,
                b.copy_seconds
                    .map(|s| format!(" (the database's copy {s:.1} s)"))
                    .unwrap_or_default(),
                match &m.database {
                    Some(db) => format!(
                        "SQLite database (schema {}, {}) with ",
                        db.schema_version,
                        size(db.bytes)
                    ),
                    None => "attachments of a PostgreSQL database that held ".into(),
                },
                m.reports,
                m.audit_head.as_ref().map(|h| h.seq).unwrap_or(0),
                m.attachments.files,
                size(m.attachments.bytes),
                if m.attachments.missing.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; {} file(s) the database names were missing or damaged on disk (listed in its manifest)",
                        m.attachments.missing.len()
                    )
                }
            );
        }
        Command::Eval(EvalCommand::Routing {
            file,
            folds,
            train,
            verbose,
        }) => {
            print!(
                "{}",
                crate::eval::routing(&file, folds, train.as_deref(), verbose)?
            );
        }
        Command::Eval(EvalCommand::Duplicates { file, verbose }) => {
            print!("{}", crate::eval::duplicates(&file, verbose)?);
        }
        Command::Restore { file } => {
            init_logging(&config, "warn");
            let r = crate::restore::restore(&config, &file).await?;
            println!(
                "restored {} into {}{} in {:.1} s: {} reports, {} attachment files, audit trail intact: {} events, head {} (backup made {} by tanggap {}){}",
                file.display(),
                config.data_dir.display(),
                if config.database_url.is_some() {
                    " (attachments; the database is the one in DATABASE_URL)"
                } else {
                    ""
                },
                r.seconds,
                r.reports,
                r.files,
                r.audit_events,
                r.audit_head,
                r.manifest.created_at,
                r.manifest.tanggap_version,
                if r.missing > 0 {
                    format!(
                        "; {} file(s) the database names were already missing when the backup was made",
                        r.missing
                    )
                } else {
                    String::new()
                }
            );
        }
        Command::Audit(AuditCommand::Verify) => {
            init_logging(&config, "warn");
            let svc = services(&config, open_store(&config).await?, Arc::new(SystemClock));
            match svc.verify_audit_chain().await {
                Ok(summary) => println!(
                    "audit trail intact: {} events, head {}",
                    summary.events, summary.head_hash
                ),
                Err(VerifyError::Broken(b)) => {
                    eprintln!("error: audit trail broken at event #{}: {b}", b.seq());
                    return Ok(ExitCode::FAILURE);
                }
                Err(VerifyError::Store(e)) => bail!(e),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A size for people: bytes, KiB, MiB or GiB.
fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.2} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}

/// A refusal for the command line: in English, with the fields to fix.
fn refusal_text(e: &tanggap_service::ServiceError) -> String {
    match e.refusal() {
        None => e.to_string(),
        Some(r) if r.fields.is_empty() => r.message(Lang::En),
        Some(r) => r
            .fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message(Lang::En)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..16)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

async fn load_scale(svc: &tanggap_service::Services, n: u64) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let mut last_line = std::time::Instant::now();
    let written = svc
        .load_scale(n, |p| {
            if last_line.elapsed().as_secs() >= 10 || p.written == p.total {
                last_line = std::time::Instant::now();
                let secs = started.elapsed().as_secs_f64();
                eprintln!(
                    "{} of {} reports copied ({:.0}/s)",
                    p.written,
                    p.total,
                    p.written as f64 / secs.max(0.001)
                );
            }
        })
        .await?;
    println!(
        "Added {written} reports (copies of the demo reports over three years) in {:.1} s.",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn load_demo(svc: &tanggap_service::Services) -> anyhow::Result<()> {
    let (logins, reports) = svc.load_demo().await?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Demo logins (for trying Tanggap out only; never on a production database):"
    )?;
    for l in &logins {
        writeln!(
            out,
            "  {:<26} {:<34} {:<9} {}",
            l.username,
            l.password,
            l.role.as_str(),
            l.agency_id.as_deref().unwrap_or("-")
        )?;
    }
    if reports > 0 {
        writeln!(out, "Loaded {reports} demo reports in every state.")?;
    } else {
        writeln!(
            out,
            "The database already has reports; no demo reports were added."
        )?;
    }
    Ok(())
}
