//! Configuration: defaults, then a TOML file, then `TANGGAP_*` environment variables (and
//! `DATABASE_URL`), then command-line flags. The variable names are part of the interface that
//! operators' scripts rely on; do not rename them.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./data";

/// The settings file, every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    tracking_prefix: Option<String>,
    require_contact: Option<bool>,
    public_url: Option<String>,
    map_tiles: Option<String>,
    map_attribution: Option<String>,
    metrics_token: Option<String>,
    open311_jurisdiction: Option<String>,
    open311_jurisdiction_required: Option<bool>,
    log_format: Option<String>,
    jobs: Option<bool>,
    sweep_interval_secs: Option<u64>,
    reference_cache_secs: Option<u64>,
    duplicate_window_days: Option<i64>,
    duplicate_distance_km: Option<f64>,
    smtp_url: Option<String>,
    smtp_from: Option<String>,
    connector_reply_address: Option<String>,
    trusted_proxies: Option<Vec<String>>,
    rate_login_per_user: Option<u32>,
    rate_login_per_ip: Option<u32>,
    rate_lookups_per_ip: Option<u32>,
    rate_submissions_per_ip: Option<u32>,
    rate_public_list_per_ip: Option<u32>,
    session_hours: Option<u32>,
    header_timeout_secs: Option<u64>,
    body_timeout_secs: Option<u64>,
    idle_timeout_secs: Option<u64>,
    max_connections: Option<usize>,
    /// `[channels]`: the chat channels' keys (see `channels_config`).
    channels: Option<std::collections::HashMap<String, String>>,
}

/// The resolved configuration.
#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// PostgreSQL URL; `None` means the SQLite file in `data_dir`.
    pub database_url: Option<String>,
    pub tracking_prefix: String,
    pub require_contact: bool,
    /// How long reference data is used from memory before it is read again
    /// (`TANGGAP_REFERENCE_CACHE_SECS`, default 10, 0 to read it on every request): the time
    /// within which another instance's change to the SLA policy, holidays or categories is seen.
    pub reference_cache: std::time::Duration,
    /// Likely duplicates: the time window (`TANGGAP_DUPLICATE_WINDOW_DAYS`, default 30) and,
    /// when both reports have a point on the map, the distance (`TANGGAP_DUPLICATE_DISTANCE_KM`,
    /// default 3).
    pub duplicates: tanggap_assist::DuplicateSettings,
    /// The address citizens reach the site at, for links in messages.
    pub public_url: Option<String>,
    /// A map tile source (`https://tile.example/{z}/{x}/{y}.png`) for the home page's map of
    /// recent reports; without one the page shows the list only.
    pub map_tiles: Option<String>,
    /// The tile source's attribution, shown under the map.
    pub map_attribution: Option<String>,
    /// Tests of whole processes only: the clock runs this many times faster than the system
    /// clock from the anchor on (`TANGGAP_TEST_TIME_RATE`, `TANGGAP_TEST_TIME_ANCHOR`; see
    /// `tanggap_service::ScaledClock`).
    pub test_time: Option<(chrono::DateTime<chrono::Utc>, f64)>,
    /// The bearer token a scraper outside this machine sends for `/metrics` (loopback clients
    /// need none); unset: `/metrics` answers loopback only.
    pub metrics_token: Option<String>,
    /// Open311's `jurisdiction_id` for this installation; another one is answered 404.
    pub open311_jurisdiction: String,
    /// Open311 requests without `jurisdiction_id` are answered 400.
    pub open311_jurisdiction_required: bool,
    pub log_json: bool,
    /// Per-process rate limits, per minute.
    pub rates: tanggap_web::RateConfig,
    /// Reverse proxies whose `X-Forwarded-For` names the real client (for rate limits).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Run the clock scheduler and the outbox in this process (`TANGGAP_JOBS`, default on).
    pub jobs: bool,
    /// Time between sweeps (`TANGGAP_SWEEP_INTERVAL_SECS`, default 10).
    pub sweep_interval: std::time::Duration,
    /// SMTP server for e-mail notifications (`TANGGAP_SMTP_URL`); unset: e-mails are only logged.
    pub smtp_url: Option<String>,
    /// The From address of e-mail notifications (`TANGGAP_SMTP_FROM`).
    pub smtp_from: Option<String>,
    /// Where agencies reply to connector e-mails (`TANGGAP_CONNECTOR_REPLY_ADDRESS`,
    /// `pengaduan@jatengprov.go.id`): the reference is added as `pengaduan+REF@…`, and the
    /// inbound e-mail webhook must receive that mailbox.
    pub connector_reply_address: Option<String>,
    /// A staff session ends after this long without a request (`TANGGAP_SESSION_HOURS`,
    /// default 8).
    pub session_idle: std::time::Duration,
    /// Timeouts for slow and idle clients and the connection limit
    /// (`TANGGAP_HEADER_TIMEOUT_SECS` 20, `TANGGAP_BODY_TIMEOUT_SECS` 300,
    /// `TANGGAP_IDLE_TIMEOUT_SECS` 60, `TANGGAP_MAX_CONNECTIONS` 4096).
    pub transport: tanggap_web::TransportConfig,
    /// The chat channels' credentials and addresses (`TANGGAP_WHATSAPP_*`, `TANGGAP_TELEGRAM_*`,
    /// `TANGGAP_SMS_*`, `TANGGAP_TWILIO_*`, `TANGGAP_MESSENGER_*`, `TANGGAP_X_*`,
    /// `TANGGAP_EMAIL_*`); a channel without them is off.
    pub channels: tanggap_channels::ChannelsConfig,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_ref().map(|_| "<redacted>"),
            )
            .field("tracking_prefix", &self.tracking_prefix)
            .field("require_contact", &self.require_contact)
            .field("reference_cache", &self.reference_cache)
            .field("duplicates", &self.duplicates)
            .field("public_url", &self.public_url)
            .field("map_tiles", &self.map_tiles)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "<redacted>"),
            )
            .field("open311_jurisdiction", &self.open311_jurisdiction)
            .field("jobs", &self.jobs)
            .field("sweep_interval", &self.sweep_interval)
            .field("smtp_url", &self.smtp_url.as_ref().map(|_| "<redacted>"))
            .field("smtp_from", &self.smtp_from)
            .field("connector_reply_address", &self.connector_reply_address)
            .field("session_idle", &self.session_idle)
            .field("transport", &self.transport)
            .field("channels", &self.channels)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("config file {path} is not valid: {reason}")]
    Invalid { path: String, reason: String },
    #[error("{name} is not valid: {reason}")]
    BadValue { name: &'static str, reason: String },
}

fn one_line(s: impl std::fmt::Display) -> String {
    s.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl Config {
    /// Resolve from an optional file and an environment lookup (injected so tests can set it).
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let path = file.map(Path::to_path_buf).or_else(|| {
            env("TANGGAP_CONFIG")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
        });
        let fc: FileConfig = match &path {
            None => FileConfig::default(),
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| ConfigError::Unreadable {
                    path: p.display().to_string(),
                    reason: one_line(e),
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Invalid {
                    path: p.display().to_string(),
                    reason: one_line(e.message()),
                })?
            }
        };
        let pick = |name: &str, file: Option<String>| env(name).filter(|v| !v.is_empty()).or(file);
        let listen_text =
            pick("TANGGAP_LISTEN", fc.listen).unwrap_or_else(|| DEFAULT_LISTEN.into());
        let listen = listen_text.parse().map_err(|_| ConfigError::BadValue {
            name: "TANGGAP_LISTEN",
            reason: format!("`{listen_text}` is not an address like 127.0.0.1:8080"),
        })?;
        let data_dir = env("TANGGAP_DATA_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or(fc.data_dir)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let database_url = pick("DATABASE_URL", fc.database_url);
        if let Some(url) = &database_url
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            return Err(ConfigError::BadValue {
                    name: "DATABASE_URL",
                    reason: "it must be a postgres:// or postgresql:// URL (leave it unset to use the SQLite file in TANGGAP_DATA_DIR)".into(),
                });
        }
        let tracking_prefix = pick("TANGGAP_TRACKING_PREFIX", fc.tracking_prefix)
            .unwrap_or_else(|| "LG".into())
            .to_ascii_uppercase();
        if tracking_prefix.is_empty()
            || tracking_prefix.len() > 8
            || !tracking_prefix.chars().all(|c| c.is_ascii_alphabetic())
        {
            return Err(ConfigError::BadValue {
                name: "TANGGAP_TRACKING_PREFIX",
                reason: "use 1 to 8 letters, e.g. LG".into(),
            });
        }
        let require_contact = match env("TANGGAP_REQUIRE_CONTACT").filter(|v| !v.is_empty()) {
            Some(v) => match v.as_str() {
                "1" | "true" | "yes" => true,
                "0" | "false" | "no" => false,
                _ => {
                    return Err(ConfigError::BadValue {
                        name: "TANGGAP_REQUIRE_CONTACT",
                        reason: "use true or false".into(),
                    });
                }
            },
            None => fc.require_contact.unwrap_or(false),
        };
        let open311_jurisdiction_required =
            match env("TANGGAP_OPEN311_JURISDICTION_REQUIRED").filter(|v| !v.is_empty()) {
                Some(v) => match v.as_str() {
                    "1" | "true" | "yes" => true,
                    "0" | "false" | "no" => false,
                    _ => {
                        return Err(ConfigError::BadValue {
                            name: "TANGGAP_OPEN311_JURISDICTION_REQUIRED",
                            reason: "use true or false".into(),
                        });
                    }
                },
                None => fc.open311_jurisdiction_required.unwrap_or(false),
            };
        let log_format = pick("TANGGAP_LOG_FORMAT", fc.log_format).unwrap_or_else(|| "text".into());
        let log_json = match log_format.as_str() {
            "json" => true,
            "text" => false,
            _ => {
                return Err(ConfigError::BadValue {
                    name: "TANGGAP_LOG_FORMAT",
                    reason: "use text or json".into(),
                });
            }
        };
        let jobs = match pick("TANGGAP_JOBS", None) {
            Some(v) => match v.as_str() {
                "on" | "1" | "true" | "yes" => true,
                "off" | "0" | "false" | "no" => false,
                _ => {
                    return Err(ConfigError::BadValue {
                        name: "TANGGAP_JOBS",
                        reason: "use on or off".into(),
                    });
                }
            },
            None => fc.jobs.unwrap_or(true),
        };
        let sweep_interval_secs = match pick("TANGGAP_SWEEP_INTERVAL_SECS", None) {
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|s| (1..=3600).contains(s))
                .ok_or_else(|| ConfigError::BadValue {
                    name: "TANGGAP_SWEEP_INTERVAL_SECS",
                    reason: "use a whole number of seconds from 1 to 3600".into(),
                })?,
            None => fc.sweep_interval_secs.unwrap_or(10).clamp(1, 3600),
        };
        let reference_cache_secs = match pick("TANGGAP_REFERENCE_CACHE_SECS", None) {
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|s| *s <= 3600)
                .ok_or_else(|| ConfigError::BadValue {
                    name: "TANGGAP_REFERENCE_CACHE_SECS",
                    reason: "use a whole number of seconds from 0 to 3600".into(),
                })?,
            None => fc.reference_cache_secs.unwrap_or(10).min(3600),
        };
        let duplicate_window_days = match pick("TANGGAP_DUPLICATE_WINDOW_DAYS", None) {
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|d| (1..=366).contains(d))
                .ok_or_else(|| ConfigError::BadValue {
                    name: "TANGGAP_DUPLICATE_WINDOW_DAYS",
                    reason: "use a whole number of days from 1 to 366".into(),
                })?,
            None => fc.duplicate_window_days.unwrap_or(30).clamp(1, 366),
        };
        let duplicate_distance_km = match pick("TANGGAP_DUPLICATE_DISTANCE_KM", None) {
            Some(v) => v
                .parse::<f64>()
                .ok()
                .filter(|d| *d > 0.0 && *d <= 100.0)
                .ok_or_else(|| ConfigError::BadValue {
                    name: "TANGGAP_DUPLICATE_DISTANCE_KM",
                    reason: "use a distance in kilometres above 0 and up to 100".into(),
                })?,
            None => fc.duplicate_distance_km.unwrap_or(3.0).clamp(0.1, 100.0),
        };
        let session_hours = match pick("TANGGAP_SESSION_HOURS", None) {
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|h| (1..=24 * 366).contains(h))
                .ok_or_else(|| ConfigError::BadValue {
                    name: "TANGGAP_SESSION_HOURS",
                    reason: "use a whole number of hours from 1 to 8784".into(),
                })?,
            None => fc.session_hours.unwrap_or(8).clamp(1, 24 * 366),
        };
        let test_time = match env("TANGGAP_TEST_TIME_RATE").filter(|v| !v.is_empty()) {
            None => None,
            Some(v) => {
                let rate = v
                    .parse::<f64>()
                    .ok()
                    .filter(|r| (1.0..=100_000.0).contains(r))
                    .ok_or_else(|| ConfigError::BadValue {
                        name: "TANGGAP_TEST_TIME_RATE",
                        reason: "use a number from 1 to 100000 (tests only)".into(),
                    })?;
                let anchor = match env("TANGGAP_TEST_TIME_ANCHOR").filter(|v| !v.is_empty()) {
                    None => chrono::Utc::now(),
                    Some(a) => a
                        .parse::<i64>()
                        .ok()
                        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                        .ok_or_else(|| ConfigError::BadValue {
                            name: "TANGGAP_TEST_TIME_ANCHOR",
                            reason: "use a Unix time in whole seconds".into(),
                        })?,
                };
                Some((anchor, rate))
            }
        };
        let smtp_url = pick("TANGGAP_SMTP_URL", fc.smtp_url);
        let smtp_from = pick("TANGGAP_SMTP_FROM", fc.smtp_from);
        let connector_reply_address = pick(
            "TANGGAP_CONNECTOR_REPLY_ADDRESS",
            fc.connector_reply_address,
        );
        if let Some(a) = &connector_reply_address
            && !a
                .split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
        {
            return Err(ConfigError::BadValue {
                name: "TANGGAP_CONNECTOR_REPLY_ADDRESS",
                reason: "it must be an e-mail address, e.g. pengaduan@jatengprov.go.id".into(),
            });
        }
        if let Some(url) = &smtp_url {
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                return Err(ConfigError::BadValue {
                    name: "TANGGAP_SMTP_URL",
                    reason: "it must be an smtp:// or smtps:// URL, e.g. smtp://user:pass@host:587?tls=required".into(),
                });
            }
            if smtp_from.is_none() {
                return Err(ConfigError::BadValue {
                    name: "TANGGAP_SMTP_FROM",
                    reason:
                        "set it with TANGGAP_SMTP_URL, e.g. \"Tanggap <tanggap@jatengprov.go.id>\""
                            .into(),
                });
            }
        }
        let per_minute =
            |name: &'static str, file: Option<u32>, default: u32| -> Result<u32, ConfigError> {
                match env(name).filter(|v| !v.is_empty()) {
                    Some(v) => v.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                        ConfigError::BadValue {
                            name,
                            reason: "use a whole number of requests per minute, at least 1".into(),
                        }
                    }),
                    None => Ok(file.unwrap_or(default).max(1)),
                }
            };
        let d = tanggap_web::RateConfig::default();
        let rates = tanggap_web::RateConfig {
            login_per_user_per_minute: per_minute(
                "TANGGAP_RATE_LOGIN_PER_USER",
                fc.rate_login_per_user,
                d.login_per_user_per_minute,
            )?,
            login_per_ip_per_minute: per_minute(
                "TANGGAP_RATE_LOGIN_PER_IP",
                fc.rate_login_per_ip,
                d.login_per_ip_per_minute,
            )?,
            lookups_per_ip_per_minute: per_minute(
                "TANGGAP_RATE_LOOKUPS_PER_IP",
                fc.rate_lookups_per_ip,
                d.lookups_per_ip_per_minute,
            )?,
            submissions_per_ip_per_minute: per_minute(
                "TANGGAP_RATE_SUBMISSIONS_PER_IP",
                fc.rate_submissions_per_ip,
                d.submissions_per_ip_per_minute,
            )?,
            public_list_per_ip_per_minute: per_minute(
                "TANGGAP_RATE_PUBLIC_LIST_PER_IP",
                fc.rate_public_list_per_ip,
                d.public_list_per_ip_per_minute,
            )?,
        };
        let seconds = |name: &'static str,
                       file: Option<u64>,
                       default: std::time::Duration,
                       max: u64|
         -> Result<std::time::Duration, ConfigError> {
            let secs = match env(name).filter(|v| !v.is_empty()) {
                Some(v) => v
                    .parse::<u64>()
                    .ok()
                    .filter(|s| (1..=max).contains(s))
                    .ok_or_else(|| ConfigError::BadValue {
                        name,
                        reason: format!("use a whole number of seconds from 1 to {max}"),
                    })?,
                None => file.unwrap_or(default.as_secs()).clamp(1, max),
            };
            Ok(std::time::Duration::from_secs(secs))
        };
        let t = tanggap_web::TransportConfig::default();
        let max_connections = match env("TANGGAP_MAX_CONNECTIONS").filter(|v| !v.is_empty()) {
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| (16..=1_000_000).contains(n))
                .ok_or_else(|| ConfigError::BadValue {
                    name: "TANGGAP_MAX_CONNECTIONS",
                    reason: "use a whole number from 16 to 1000000 (and keep the open-files limit, ulimit -n, above it)".into(),
                })?,
            None => fc
                .max_connections
                .unwrap_or(t.max_connections)
                .clamp(16, 1_000_000),
        };
        let transport = tanggap_web::TransportConfig {
            header_timeout: seconds(
                "TANGGAP_HEADER_TIMEOUT_SECS",
                fc.header_timeout_secs,
                t.header_timeout,
                3600,
            )?,
            body_timeout: seconds(
                "TANGGAP_BODY_TIMEOUT_SECS",
                fc.body_timeout_secs,
                t.body_timeout,
                3600,
            )?,
            idle_timeout: seconds(
                "TANGGAP_IDLE_TIMEOUT_SECS",
                fc.idle_timeout_secs,
                t.idle_timeout,
                3600,
            )?,
            max_connections,
        };
        let proxies: Vec<String> = match env("TANGGAP_TRUSTED_PROXIES").filter(|v| !v.is_empty()) {
            Some(v) => v
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            None => fc.trusted_proxies.unwrap_or_default(),
        };
        let trusted_proxies = proxies
            .iter()
            .map(|p| {
                p.parse().map_err(|_| ConfigError::BadValue {
                    name: "TANGGAP_TRUSTED_PROXIES",
                    reason: format!(
                        "`{p}` is not an IP address (give the proxies' addresses, comma-separated)"
                    ),
                })
            })
            .collect::<Result<Vec<std::net::IpAddr>, _>>()?;
        let channels =
            crate::channels_config::load(&fc.channels.clone().unwrap_or_default(), &env)?;
        Ok(Config {
            channels,
            transport,
            session_idle: std::time::Duration::from_secs(u64::from(session_hours) * 3600),
            trusted_proxies,
            jobs,
            sweep_interval: std::time::Duration::from_secs(sweep_interval_secs),
            smtp_url,
            smtp_from,
            connector_reply_address,
            listen,
            data_dir,
            database_url,
            tracking_prefix,
            require_contact,
            reference_cache: std::time::Duration::from_secs(reference_cache_secs),
            duplicates: tanggap_assist::DuplicateSettings {
                window_days: duplicate_window_days,
                max_distance_km: duplicate_distance_km,
                ..tanggap_assist::DuplicateSettings::default()
            },
            public_url: pick("TANGGAP_PUBLIC_URL", fc.public_url)
                .map(|u| u.trim_end_matches('/').to_string()),
            map_tiles: pick("TANGGAP_MAP_TILES", fc.map_tiles).filter(|t| !t.trim().is_empty()),
            map_attribution: pick("TANGGAP_MAP_ATTRIBUTION", fc.map_attribution),
            test_time,
            metrics_token: pick("TANGGAP_METRICS_TOKEN", fc.metrics_token)
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty()),
            open311_jurisdiction: pick("TANGGAP_OPEN311_JURISDICTION", fc.open311_jurisdiction)
                .map(|j| j.trim().to_string())
                .filter(|j| !j.is_empty())
                .unwrap_or_else(|| "jatengprov.go.id".into()),
            open311_jurisdiction_required,
            log_json,
            rates,
        })
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("tanggap.db")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn defaults() {
        let c = Config::load(None, env(&[])).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert!(c.database_url.is_none());
        assert_eq!(c.tracking_prefix, "LG");
    }

    #[test]
    fn env_beats_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t.toml");
        std::fs::write(
            &f,
            "listen = \"0.0.0.0:9000\"\ndata_dir = \"/srv/tanggap\"\ntracking_prefix = \"jt\"\n",
        )
        .unwrap();
        let c = Config::load(Some(&f), env(&[("TANGGAP_LISTEN", "127.0.0.1:9999")])).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:9999");
        assert_eq!(c.data_dir, PathBuf::from("/srv/tanggap"));
        assert_eq!(c.tracking_prefix, "JT");
        let c = Config::load(None, env(&[("TANGGAP_CONFIG", f.to_str().unwrap())])).unwrap();
        assert_eq!(c.listen.to_string(), "0.0.0.0:9000");
    }

    #[test]
    fn rate_limits_and_proxies() {
        let c = Config::load(
            None,
            env(&[
                ("TANGGAP_RATE_SUBMISSIONS_PER_IP", "600"),
                ("TANGGAP_TRUSTED_PROXIES", "10.0.0.1, ::1"),
            ]),
        )
        .unwrap();
        assert_eq!(c.rates.submissions_per_ip_per_minute, 600);
        assert_eq!(c.rates.login_per_user_per_minute, 5);
        assert_eq!(c.trusted_proxies.len(), 2);
        assert!(Config::load(None, env(&[("TANGGAP_RATE_LOOKUPS_PER_IP", "0")])).is_err());
        assert!(Config::load(None, env(&[("TANGGAP_TRUSTED_PROXIES", "proxy.local")])).is_err());
    }

    #[test]
    fn timeouts_and_the_connection_limit() {
        let c = Config::load(None, env(&[])).unwrap();
        assert_eq!(c.transport, tanggap_web::TransportConfig::default());
        assert_eq!(c.rates.public_list_per_ip_per_minute, 60);
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t.toml");
        std::fs::write(
            &f,
            "header_timeout_secs = 5\nidle_timeout_secs = 30\nmax_connections = 100\nrate_public_list_per_ip = 10\n",
        )
        .unwrap();
        let c = Config::load(Some(&f), env(&[("TANGGAP_BODY_TIMEOUT_SECS", "90")])).unwrap();
        assert_eq!(
            c.transport.header_timeout,
            std::time::Duration::from_secs(5)
        );
        assert_eq!(c.transport.body_timeout, std::time::Duration::from_secs(90));
        assert_eq!(c.transport.idle_timeout, std::time::Duration::from_secs(30));
        assert_eq!(c.transport.max_connections, 100);
        assert_eq!(c.rates.public_list_per_ip_per_minute, 10);
        let e = Config::load(None, env(&[("TANGGAP_HEADER_TIMEOUT_SECS", "0")])).unwrap_err();
        assert!(e.to_string().contains("TANGGAP_HEADER_TIMEOUT_SECS"), "{e}");
        let e = Config::load(None, env(&[("TANGGAP_MAX_CONNECTIONS", "banyak")])).unwrap_err();
        assert!(e.to_string().contains("ulimit"), "{e}");
    }

    #[test]
    fn bad_values_are_explained() {
        let e = Config::load(None, env(&[("DATABASE_URL", "mysql://x")])).unwrap_err();
        assert!(e.to_string().contains("postgres://"), "{e}");
        let e = Config::load(None, env(&[("TANGGAP_LISTEN", "nowhere")])).unwrap_err();
        assert!(e.to_string().contains("TANGGAP_LISTEN"));
        let e = Config::load(Some(Path::new("/nonexistent/tanggap.toml")), env(&[])).unwrap_err();
        assert!(matches!(e, ConfigError::Unreadable { .. }));
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("bad.toml");
        std::fs::write(&f, "lisen = 1\n").unwrap();
        let e = Config::load(Some(&f), env(&[])).unwrap_err();
        assert!(
            matches!(e, ConfigError::Invalid { .. }) && !e.to_string().contains('\n'),
            "{e}"
        );
        let dbg = format!(
            "{:?}",
            Config::load(None, env(&[("DATABASE_URL", "postgres://u:secret@h/db")])).unwrap()
        );
        assert!(!dbg.contains("secret"));
    }

    #[test]
    fn background_jobs_and_smtp() {
        let c = Config::load(None, env(&[])).unwrap();
        assert!(c.jobs);
        assert_eq!(c.sweep_interval, std::time::Duration::from_secs(10));
        assert!(c.smtp_url.is_none());
        let c = Config::load(
            None,
            env(&[
                ("TANGGAP_JOBS", "off"),
                ("TANGGAP_SWEEP_INTERVAL_SECS", "3"),
                (
                    "TANGGAP_SMTP_URL",
                    "smtp://tanggap:rahasia@mail.example:587?tls=required",
                ),
                ("TANGGAP_SMTP_FROM", "Tanggap <tanggap@jatengprov.go.id>"),
            ]),
        )
        .unwrap();
        assert!(!c.jobs);
        assert_eq!(c.sweep_interval, std::time::Duration::from_secs(3));
        assert!(
            !format!("{c:?}").contains("rahasia"),
            "the SMTP password is never printed"
        );
        let e = Config::load(None, env(&[("TANGGAP_JOBS", "kadang")])).unwrap_err();
        assert!(e.to_string().contains("TANGGAP_JOBS"), "{e}");
        let e = Config::load(None, env(&[("TANGGAP_SWEEP_INTERVAL_SECS", "0")])).unwrap_err();
        assert!(e.to_string().contains("TANGGAP_SWEEP_INTERVAL_SECS"), "{e}");
        let e =
            Config::load(None, env(&[("TANGGAP_SMTP_URL", "smtp://mail.example:25")])).unwrap_err();
        assert!(e.to_string().contains("TANGGAP_SMTP_FROM"), "{e}");
        let e =
            Config::load(None, env(&[("TANGGAP_SMTP_URL", "http://mail.example")])).unwrap_err();
        assert!(e.to_string().contains("smtp://"), "{e}");
    }
}
