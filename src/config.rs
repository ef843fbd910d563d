//! Configuration from the environment, with working defaults for `make run`.
//! A bad value stops start-up with a message naming the variable; secrets never reach logs.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// The default shared secret between gateway and agent service, for local development only.
pub const DEV_AGENT_SECRET: &str = "abetworks-dev-secret";
/// Registrations one client address may make per hour unless configured otherwise (the
/// reasons are with `auth::MAX_REGISTRATIONS_PER_IP`).
pub const DEFAULT_REGISTRATIONS_PER_HOUR: u64 = 10;
/// The shortest agent secret a production start accepts.
pub const MIN_PRODUCTION_SECRET_CHARS: usize = 32;
/// How long a running execution's lease lasts unless its instance renews it, unless
/// configured otherwise (`ABETWORKS_EXECUTION_LEASE_SECS`).
pub const DEFAULT_EXECUTION_LEASE_SECS: u64 = 60;
/// How often each instance sweeps executions whose lease ended, unless configured otherwise
/// (`ABETWORKS_SWEEP_INTERVAL_SECS`).
pub const DEFAULT_SWEEP_INTERVAL_SECS: u64 = 30;
/// The longest lease or sweep interval accepted (a day).
const MAX_LEASE_OR_SWEEP_SECS: u64 = 86_400;
/// Background runs one instance runs at once, unless configured otherwise
/// (`ABETWORKS_RUN_WORKERS`); keep the sum over instances below the agent service's workers.
pub const DEFAULT_RUN_WORKERS: usize = 2;
/// Background runs of one agent one instance runs at once, unless configured otherwise
/// (`ABETWORKS_RUN_WORKERS_PER_AGENT`), so one long agent cannot take every worker.
pub const DEFAULT_RUN_WORKERS_PER_AGENT: usize = 1;
/// How often each instance looks for new notifications to push to its event streams, unless
/// configured otherwise (`ABETWORKS_LIVE_POLL_MS`).
pub const DEFAULT_LIVE_POLL_MS: u64 = 500;
/// How often each instance looks for outbox events to fan out into notifications and
/// deliveries, unless configured otherwise (`ABETWORKS_OUTBOX_POLL_MS`).
pub const DEFAULT_OUTBOX_POLL_MS: u64 = 500;
/// How often each instance looks for email and webhook deliveries that are due, unless
/// configured otherwise (`ABETWORKS_DELIVERY_POLL_MS`).
pub const DEFAULT_DELIVERY_POLL_MS: u64 = 500;
/// How long a delivery an instance took stays its own (`ABETWORKS_DELIVERY_LEASE_SECS`):
/// longer than one attempt may take (a webhook gives up after 10 s).
pub const DEFAULT_DELIVERY_LEASE_SECS: u64 = 30;
/// The first retry's delay, doubled after every failure (`ABETWORKS_DELIVERY_RETRY_BASE_MS`).
pub const DEFAULT_DELIVERY_RETRY_BASE_MS: u64 = 5_000;

/// A CIDR (`10.0.0.0/8`) or a single address (`127.0.0.1`, a /32 or /128).
fn parse_network(text: &str) -> Option<ipnet::IpNet> {
    text.parse::<ipnet::IpNet>().ok().or_else(|| {
        text.parse::<std::net::IpAddr>()
            .ok()
            .map(ipnet::IpNet::from)
    })
}

/// `text` as a number within `range`, or `None`.
fn number_in<T: std::str::FromStr + PartialOrd>(
    text: &str,
    range: std::ops::RangeInclusive<T>,
) -> Option<T> {
    text.parse().ok().filter(|n| range.contains(n))
}

/// A value that must never be printed: `Debug` and `Display` show a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    /// Plain http on localhost: cookies without `Secure`.
    Development,
    Production,
}

/// Extra roots the agent client trusts (`AGENT_SERVICE_CA_FILE`), read and checked at start-up.
#[derive(Clone, Debug)]
pub struct CaFile {
    pub path: std::path::PathBuf,
    pub certificates: Vec<reqwest::Certificate>,
}

/// The `sslmode` values of a PostgreSQL `DATABASE_URL` (sqlx reads them; `allow` is not offered
/// because sqlx treats it as `disable`).
pub const SSL_MODES: [&str; 5] = ["disable", "prefer", "require", "verify-ca", "verify-full"];

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub site_addr: SocketAddr,
    pub agent_service_url: url::Url,
    pub agent_service_secret: Secret,
    pub agent_connect_timeout: Duration,
    pub agent_request_timeout: Duration,
    /// Private CA roots for an `https://` agent service, on top of the public ones.
    pub agent_service_ca: Option<CaFile>,
    pub admin_email: Option<String>,
    pub admin_password: Option<Secret>,
    pub log_format: LogFormat,
    pub environment: Environment,
    /// Seed the demo member and publish synced agents on an empty database.
    pub demo_data: bool,
    /// Sync the catalog from the agent service in the background at start-up.
    pub sync_on_start: bool,
    /// Peers whose `X-Forwarded-For` / `Forwarded` / `X-Forwarded-Proto` are believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Registrations one client address may make per hour.
    pub registrations_per_hour: u64,
    /// Calls per second a license without its own burst rate may make; none = no limit.
    pub default_burst_per_second: Option<i32>,
    /// Where panics and 5xx are also reported (Sentry); error tracking is off without it.
    pub sentry_dsn: Option<Secret>,
    /// How long a running execution's lease lasts; its instance renews it every third of this.
    pub execution_lease: Duration,
    /// How often the sweeper looks for executions whose lease ended (also once at start-up).
    pub sweep_interval: Duration,
    /// Background runs this instance runs at once (0: it takes none, it only accepts them).
    pub run_workers: usize,
    /// Background runs of one agent this instance runs at once.
    pub run_workers_per_agent: usize,
    /// How often this instance looks for new notifications for its live streams.
    pub live_poll: Duration,
    /// How often this instance looks for outbox events to dispatch.
    pub outbox_poll: Duration,
    /// How often this instance looks for deliveries that are due.
    pub delivery_poll: Duration,
    /// How long a delivery this instance took stays its own before another may take it.
    pub delivery_lease: Duration,
    /// The delay before a failed delivery's first retry (doubled each time, with jitter).
    pub delivery_retry_base: Duration,
    /// Webhook URLs may point at loopback or private addresses (tests, closed networks).
    pub webhook_allow_private: bool,
    /// Email: the SMTP server (none = no email), the sender and the site's URL for links.
    pub mail: crate::email::MailSettings,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("configuration: {variable} {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

fn bad(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let database_url =
            get("DATABASE_URL").unwrap_or_else(|| "sqlite://data/abetworks.sqlite?mode=rwc".into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(bad(
                "DATABASE_URL",
                "must start with sqlite: or postgres://",
            ));
        }
        check_database_tls(&database_url)?;

        let site_addr = get("LEPTOS_SITE_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse::<SocketAddr>()
            .map_err(|e| bad("LEPTOS_SITE_ADDR", format!("is not host:port ({e})")))?;

        let agent_service_url = get("AGENT_SERVICE_URL")
            .unwrap_or_else(|| "http://127.0.0.1:8001".into())
            .parse::<url::Url>()
            .map_err(|e| bad("AGENT_SERVICE_URL", format!("is not a URL ({e})")))?;
        if !matches!(agent_service_url.scheme(), "http" | "https") {
            return Err(bad("AGENT_SERVICE_URL", "must be http:// or https://"));
        }

        let environment = match get("ABETWORKS_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(_) => return Err(bad("ABETWORKS_ENV", "must be development or production")),
        };

        let production = environment == Environment::Production;
        let agent_service_secret = match get("AGENT_SERVICE_SECRET") {
            None if production => {
                return Err(bad("AGENT_SERVICE_SECRET", "is required in production"))
            }
            None => Secret::new(DEV_AGENT_SECRET),
            Some(secret) if production && secret == DEV_AGENT_SECRET => {
                return Err(bad(
                    "AGENT_SERVICE_SECRET",
                    "is the published development secret: choose your own in production",
                ))
            }
            Some(secret) if production && secret.chars().count() < MIN_PRODUCTION_SECRET_CHARS => {
                return Err(bad(
                    "AGENT_SERVICE_SECRET",
                    format!(
                        "must be at least {MIN_PRODUCTION_SECRET_CHARS} characters in production"
                    ),
                ))
            }
            Some(secret) if secret.chars().count() < 16 => {
                return Err(bad(
                    "AGENT_SERVICE_SECRET",
                    "must be at least 16 characters",
                ))
            }
            Some(secret) => Secret::new(secret),
        };

        let millis = |name: &'static str, default: u64| -> Result<Duration, ConfigError> {
            match get(name) {
                None => Ok(Duration::from_millis(default)),
                Some(v) => number_in(&v, 1..=600_000)
                    .map(Duration::from_millis)
                    .ok_or_else(|| bad(name, "must be milliseconds between 1 and 600000")),
            }
        };
        let agent_connect_timeout = millis("AGENT_CONNECT_TIMEOUT_MS", 2_000)?;
        let agent_request_timeout = millis("AGENT_TIMEOUT_MS", 30_000)?;
        let agent_service_ca = get("AGENT_SERVICE_CA_FILE")
            .map(|path| read_ca_file(path.trim()))
            .transpose()?;

        let admin_email = get("ABETWORKS_ADMIN_EMAIL").map(|e| e.trim().to_lowercase());
        if let Some(email) = &admin_email {
            if !email.contains('@') {
                return Err(bad("ABETWORKS_ADMIN_EMAIL", "is not an email address"));
            }
        }
        let admin_password = get("ABETWORKS_ADMIN_PASSWORD").map(Secret::new);
        if admin_email.is_some() != admin_password.is_some() {
            return Err(bad(
                if admin_email.is_some() {
                    "ABETWORKS_ADMIN_PASSWORD"
                } else {
                    "ABETWORKS_ADMIN_EMAIL"
                },
                "must be set together with the other admin variable",
            ));
        }

        let log_format = match get("ABETWORKS_LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(_) => return Err(bad("ABETWORKS_LOG_FORMAT", "must be pretty or json")),
        };

        let flag = |name: &'static str, default: bool| -> Result<bool, ConfigError> {
            match get(name).as_deref() {
                None => Ok(default),
                Some("true") | Some("1") => Ok(true),
                Some("false") | Some("0") => Ok(false),
                Some(_) => Err(bad(name, "must be true or false")),
            }
        };

        // Off unless asked for, and never in production: the demo member's password is public.
        let demo_data = flag("ABETWORKS_DEMO_DATA", false)?;
        if demo_data && production {
            return Err(bad(
                "ABETWORKS_DEMO_DATA",
                "must not be true in production (the demo member's password is published)",
            ));
        }

        let trusted_proxies = match get("ABETWORKS_TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|cidr| !cidr.is_empty())
                .map(parse_network)
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    bad(
                        "ABETWORKS_TRUSTED_PROXIES",
                        "must be a comma-separated list of addresses or CIDRs, e.g. 10.0.0.0/8,127.0.0.1",
                    )
                })?,
        };

        let sync_on_start = flag("ABETWORKS_SYNC_ON_START", true)?;

        // Checked here so a typo stops start-up; the value is never echoed (it holds a key).
        let sentry_dsn = get("SENTRY_DSN").map(|dsn| dsn.trim().to_owned());
        if let Some(dsn) = &sentry_dsn {
            let usable = url::Url::parse(dsn).is_ok_and(|url| {
                matches!(url.scheme(), "http" | "https")
                    && !url.username().is_empty()
                    && url.path().len() > 1
            });
            if !usable {
                return Err(bad(
                    "SENTRY_DSN",
                    "is not a Sentry DSN (https://PUBLIC_KEY@HOST/PROJECT_ID)",
                ));
            }
        }
        let sentry_dsn = sentry_dsn.map(Secret::new);

        let registrations_per_hour = match get("ABETWORKS_REGISTRATIONS_PER_HOUR") {
            None => DEFAULT_REGISTRATIONS_PER_HOUR,
            Some(text) => number_in(text.trim(), 1..=1_000_000).ok_or_else(|| {
                bad(
                    "ABETWORKS_REGISTRATIONS_PER_HOUR",
                    "must be a whole number from 1 to 1000000",
                )
            })?,
        };

        let default_burst_per_second = match get("ABETWORKS_DEFAULT_BURST_PER_SECOND") {
            None => None,
            Some(text) => Some(number_in(text.trim(), 1..=100_000).ok_or_else(|| {
                bad(
                    "ABETWORKS_DEFAULT_BURST_PER_SECOND",
                    "must be a whole number from 1 to 100000",
                )
            })?),
        };

        let seconds = |name: &'static str, default: u64| -> Result<Duration, ConfigError> {
            match get(name) {
                None => Ok(Duration::from_secs(default)),
                Some(text) => text
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|s| (1..=MAX_LEASE_OR_SWEEP_SECS).contains(s))
                    .map(Duration::from_secs)
                    .ok_or_else(|| bad(name, "must be whole seconds from 1 to 86400")),
            }
        };
        let execution_lease = seconds(
            "ABETWORKS_EXECUTION_LEASE_SECS",
            DEFAULT_EXECUTION_LEASE_SECS,
        )?;
        let sweep_interval = seconds("ABETWORKS_SWEEP_INTERVAL_SECS", DEFAULT_SWEEP_INTERVAL_SECS)?;
        let workers = |name: &'static str, default: usize, least: usize| match get(name) {
            None => Ok(default),
            Some(text) => number_in(text.trim(), least..=64)
                .ok_or_else(|| bad(name, format!("must be a whole number from {least} to 64"))),
        };
        let run_workers = workers("ABETWORKS_RUN_WORKERS", DEFAULT_RUN_WORKERS, 0)?;
        let live_poll = millis("ABETWORKS_LIVE_POLL_MS", DEFAULT_LIVE_POLL_MS)?;
        let outbox_poll = millis("ABETWORKS_OUTBOX_POLL_MS", DEFAULT_OUTBOX_POLL_MS)?;
        let delivery_poll = millis("ABETWORKS_DELIVERY_POLL_MS", DEFAULT_DELIVERY_POLL_MS)?;
        let delivery_lease = seconds("ABETWORKS_DELIVERY_LEASE_SECS", DEFAULT_DELIVERY_LEASE_SECS)?;
        let delivery_retry_base = millis(
            "ABETWORKS_DELIVERY_RETRY_BASE_MS",
            DEFAULT_DELIVERY_RETRY_BASE_MS,
        )?;
        let webhook_allow_private = flag("ABETWORKS_WEBHOOK_ALLOW_PRIVATE", false)?;
        let mail_variables = crate::email::MailVariables {
            smtp_url: get("ABETWORKS_SMTP_URL"),
            mail_from: get("ABETWORKS_MAIL_FROM"),
            public_url: get("ABETWORKS_PUBLIC_URL"),
        };
        let mail = crate::email::MailSettings::read(mail_variables, site_addr, production)?;
        let run_workers_per_agent = workers(
            "ABETWORKS_RUN_WORKERS_PER_AGENT",
            DEFAULT_RUN_WORKERS_PER_AGENT,
            1,
        )?;

        Ok(Self {
            execution_lease,
            sweep_interval,
            run_workers,
            run_workers_per_agent,
            live_poll,
            outbox_poll,
            delivery_poll,
            delivery_lease,
            delivery_retry_base,
            webhook_allow_private,
            mail,
            registrations_per_hour,
            default_burst_per_second,
            sentry_dsn,
            sync_on_start,
            trusted_proxies,
            database_url,
            site_addr,
            agent_service_url,
            agent_service_secret,
            agent_connect_timeout,
            agent_request_timeout,
            agent_service_ca,
            admin_email,
            admin_password,
            log_format,
            environment,
            demo_data,
        })
    }
}

/// Checks the TLS parameters of a PostgreSQL URL before any connection is tried. The URL is
/// never echoed: it may hold a password.
fn check_database_tls(database_url: &str) -> Result<(), ConfigError> {
    let Ok(url) = url::Url::parse(database_url) else {
        return Ok(()); // sqlx names the problem when it parses the same URL
    };
    if url.scheme() == "sqlite" {
        return Ok(());
    }
    for (key, value) in url.query_pairs() {
        match &*key {
            "sslmode" | "ssl-mode" if !SSL_MODES.contains(&value.to_ascii_lowercase().as_str()) => {
                return Err(bad(
                    "DATABASE_URL",
                    format!(
                        "sslmode must be one of {} (not {value:?})",
                        SSL_MODES.join(", ")
                    ),
                ))
            }
            "sslrootcert" | "ssl-root-cert" | "ssl-ca" => {
                std::fs::File::open(&*value).map_err(|e| {
                    bad(
                        "DATABASE_URL",
                        format!("sslrootcert {value} cannot be read ({e})"),
                    )
                })?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Reads a PEM file of CA certificates; no certificate at all is an error, not an empty trust.
fn read_ca_file(path: &str) -> Result<CaFile, ConfigError> {
    const VARIABLE: &str = "AGENT_SERVICE_CA_FILE";
    let pem =
        std::fs::read(path).map_err(|e| bad(VARIABLE, format!("{path} cannot be read ({e})")))?;
    let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        bad(
            VARIABLE,
            format!("{path} is not a PEM file of certificates ({e})"),
        )
    })?;
    if certificates.is_empty() {
        return Err(bad(VARIABLE, format!("{path} holds no PEM certificate")));
    }
    Ok(CaFile {
        path: path.into(),
        certificates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config_from(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    /// The variable named by the error that `pairs` start with.
    fn refused(pairs: &[(&str, &str)]) -> &'static str {
        config_from(pairs).unwrap_err().variable
    }

    #[test]
    fn an_empty_environment_gives_working_defaults() {
        let config = config_from(&[]).expect("defaults are valid");
        assert!(config.database_url.starts_with("sqlite://data/"));
        assert_eq!(config.site_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.agent_service_url.as_str(), "http://127.0.0.1:8001/");
        assert_eq!(config.log_format, LogFormat::Pretty);
        assert_eq!(config.environment, Environment::Development);
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        for (variable, value) in [
            ("LEPTOS_SITE_ADDR", "nowhere"),
            ("DATABASE_URL", "mysql://x"),
            ("ABETWORKS_LOG_FORMAT", "xml"),
            ("AGENT_TIMEOUT_MS", "-5"),
        ] {
            assert_eq!(refused(&[(variable, value)]), variable);
        }
    }

    #[test]
    fn production_requires_an_agent_secret() {
        assert_eq!(
            refused(&[("ABETWORKS_ENV", "production")]),
            "AGENT_SERVICE_SECRET"
        );
    }

    #[test]
    fn production_refuses_a_default_or_short_secret_and_demo_data_naming_the_variable() {
        let strong = "a-production-secret-of-32-chars!";
        for (pairs, variable) in [
            (
                vec![("AGENT_SERVICE_SECRET", DEV_AGENT_SECRET)],
                "AGENT_SERVICE_SECRET",
            ),
            (
                vec![("AGENT_SERVICE_SECRET", "only-twenty-chars-xx")],
                "AGENT_SERVICE_SECRET",
            ),
            (
                vec![
                    ("AGENT_SERVICE_SECRET", strong),
                    ("ABETWORKS_DEMO_DATA", "true"),
                ],
                "ABETWORKS_DEMO_DATA",
            ),
        ] {
            let mut pairs = pairs;
            pairs.push(("ABETWORKS_ENV", "production"));
            let err = config_from(&pairs).unwrap_err();
            assert_eq!(err.variable, variable, "{pairs:?}");
            assert!(err.to_string().contains(variable));
        }
        let config = config_from(&[
            ("ABETWORKS_ENV", "production"),
            ("AGENT_SERVICE_SECRET", strong),
        ])
        .expect("a strong secret starts");
        assert!(!config.demo_data, "demo data is off unless asked for");
    }

    #[test]
    fn demo_data_is_off_unless_asked_for_outside_production() {
        assert!(!config_from(&[]).unwrap().demo_data);
        assert!(
            config_from(&[("ABETWORKS_DEMO_DATA", "true")])
                .unwrap()
                .demo_data
        );
    }

    #[test]
    fn trusted_proxies_are_cidrs_or_addresses_and_nothing_else() {
        let config =
            config_from(&[("ABETWORKS_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1,::1")]).unwrap();
        assert_eq!(config.trusted_proxies.len(), 3);
        assert!(
            config.trusted_proxies[1].contains(&"127.0.0.1".parse::<std::net::IpAddr>().unwrap())
        );
        assert!(config_from(&[]).unwrap().trusted_proxies.is_empty());
        let bad_cidr = [("ABETWORKS_TRUSTED_PROXIES", "10.0.0.0/33")];
        assert_eq!(refused(&bad_cidr), "ABETWORKS_TRUSTED_PROXIES");
    }

    #[test]
    fn the_admin_email_needs_its_password() {
        let email_only = [("ABETWORKS_ADMIN_EMAIL", "root@example.com")];
        assert_eq!(refused(&email_only), "ABETWORKS_ADMIN_PASSWORD");
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let config = config_from(&[
            ("AGENT_SERVICE_SECRET", "super-secret-value-123"),
            ("ABETWORKS_ADMIN_EMAIL", "Root@Example.com "),
            ("ABETWORKS_ADMIN_PASSWORD", "hunter2-hunter2"),
        ])
        .unwrap();
        let printed = format!("{config:?}");
        assert!(!printed.contains("super-secret-value-123"));
        assert!(!printed.contains("hunter2"));
        assert_eq!(config.admin_email.as_deref(), Some("root@example.com"));
    }

    /// A file in the temporary folder, named for this process so parallel runs do not meet.
    fn temp_file(name: &str, contents: &[u8]) -> std::path::PathBuf {
        let path =
            std::env::temp_dir().join(format!("abetworks-config-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).expect("the temporary file is written");
        path
    }

    #[test]
    fn the_agent_ca_file_must_be_a_readable_pem_of_certificates() {
        assert!(config_from(&[]).unwrap().agent_service_ca.is_none());
        let key = rcgen::KeyPair::generate().unwrap();
        let ca = rcgen::CertificateParams::new(Vec::<String>::new())
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let good = temp_file("ca.pem", ca.pem().as_bytes());
        let not_pem = temp_file("not-a-ca.pem", b"no certificate here\n");
        let missing = std::env::temp_dir().join("abetworks-config-no-such-ca.pem");

        let config = config_from(&[("AGENT_SERVICE_CA_FILE", good.to_str().unwrap())]);
        let ca_file = config
            .unwrap()
            .agent_service_ca
            .expect("the CA file is kept");
        assert_eq!(
            (ca_file.path, ca_file.certificates.len()),
            (good.clone(), 1)
        );
        for path in [&not_pem, &missing] {
            let err =
                config_from(&[("AGENT_SERVICE_CA_FILE", path.to_str().unwrap())]).unwrap_err();
            assert_eq!(err.variable, "AGENT_SERVICE_CA_FILE", "{path:?}");
            assert!(err.problem.contains(path.to_str().unwrap()), "{err}");
        }
        let _ = std::fs::remove_file(good);
        let _ = std::fs::remove_file(not_pem);
    }

    #[test]
    fn database_tls_parameters_are_checked_without_echoing_the_url() {
        for mode in SSL_MODES {
            let url = format!("postgres://u:pw@db/x?sslmode={mode}");
            assert!(config_from(&[("DATABASE_URL", &url)]).is_ok(), "{mode}");
        }
        let err =
            config_from(&[("DATABASE_URL", "postgres://u:pw@db/x?sslmode=requir")]).unwrap_err();
        assert_eq!(err.variable, "DATABASE_URL");
        assert!(err.problem.contains("sslmode"), "{err}");
        assert!(!err.to_string().contains("pw@"), "{err}");
        let url = "postgres://db/x?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem";
        let err = config_from(&[("DATABASE_URL", url)]).unwrap_err();
        assert_eq!(err.variable, "DATABASE_URL");
        assert!(
            err.problem.contains("sslrootcert /nonexistent/ca.pem"),
            "{err}"
        );
    }

    #[test]
    fn the_execution_lease_and_sweep_interval_default_to_a_minute_and_half_a_minute() {
        let config = config_from(&[]).unwrap();
        assert_eq!(config.execution_lease, Duration::from_secs(60));
        assert_eq!(config.sweep_interval, Duration::from_secs(30));
        let config = config_from(&[
            ("ABETWORKS_EXECUTION_LEASE_SECS", "3"),
            ("ABETWORKS_SWEEP_INTERVAL_SECS", " 1 "),
        ])
        .unwrap();
        assert_eq!(config.execution_lease, Duration::from_secs(3));
        assert_eq!(config.sweep_interval, Duration::from_secs(1));
        for (variable, value) in [
            ("ABETWORKS_EXECUTION_LEASE_SECS", "0"),
            ("ABETWORKS_EXECUTION_LEASE_SECS", "soon"),
            ("ABETWORKS_SWEEP_INTERVAL_SECS", "86401"),
        ] {
            assert_eq!(
                config_from(&[(variable, value)]).unwrap_err().variable,
                variable
            );
        }
    }

    #[test]
    fn the_outbox_poll_defaults_to_half_a_second_and_refuses_zero() {
        assert_eq!(
            config_from(&[]).unwrap().outbox_poll,
            Duration::from_millis(500)
        );
        let config = config_from(&[("ABETWORKS_OUTBOX_POLL_MS", "50")]).unwrap();
        assert_eq!(config.outbox_poll, Duration::from_millis(50));
        let refused = config_from(&[("ABETWORKS_OUTBOX_POLL_MS", "0")]).unwrap_err();
        assert_eq!(refused.variable, "ABETWORKS_OUTBOX_POLL_MS");
    }

    #[test]
    fn the_live_poll_defaults_to_half_a_second_and_refuses_zero() {
        assert_eq!(
            config_from(&[]).unwrap().live_poll,
            Duration::from_millis(500)
        );
        let config = config_from(&[("ABETWORKS_LIVE_POLL_MS", "100")]).unwrap();
        assert_eq!(config.live_poll, Duration::from_millis(100));
        let refused = config_from(&[("ABETWORKS_LIVE_POLL_MS", "0")]).unwrap_err();
        assert_eq!(refused.variable, "ABETWORKS_LIVE_POLL_MS");
    }

    #[test]
    fn deliveries_poll_every_half_second_lease_for_30_s_and_retry_from_5_s_by_default() {
        let config = config_from(&[]).unwrap();
        assert_eq!(config.delivery_poll, Duration::from_millis(500));
        assert_eq!(config.delivery_lease, Duration::from_secs(30));
        assert_eq!(config.delivery_retry_base, Duration::from_millis(5_000));
        assert!(!config.webhook_allow_private);
        let config = config_from(&[
            ("ABETWORKS_DELIVERY_POLL_MS", "50"),
            ("ABETWORKS_DELIVERY_LEASE_SECS", "2"),
            ("ABETWORKS_DELIVERY_RETRY_BASE_MS", "100"),
            ("ABETWORKS_WEBHOOK_ALLOW_PRIVATE", "true"),
        ])
        .unwrap();
        assert_eq!(config.delivery_poll, Duration::from_millis(50));
        assert_eq!(config.delivery_lease, Duration::from_secs(2));
        assert_eq!(config.delivery_retry_base, Duration::from_millis(100));
        assert!(config.webhook_allow_private);
        for (variable, value) in [
            ("ABETWORKS_DELIVERY_POLL_MS", "0"),
            ("ABETWORKS_DELIVERY_LEASE_SECS", "0"),
            ("ABETWORKS_DELIVERY_RETRY_BASE_MS", "soon"),
            ("ABETWORKS_WEBHOOK_ALLOW_PRIVATE", "yes"),
        ] {
            let refused = config_from(&[(variable, value)]).unwrap_err();
            assert_eq!(refused.variable, variable);
        }
    }

    #[test]
    fn background_run_workers_default_to_two_and_one_per_agent() {
        let config = config_from(&[]).unwrap();
        assert_eq!((config.run_workers, config.run_workers_per_agent), (2, 1));
        let config = config_from(&[
            ("ABETWORKS_RUN_WORKERS", "0"),
            ("ABETWORKS_RUN_WORKERS_PER_AGENT", " 3 "),
        ])
        .unwrap();
        assert_eq!((config.run_workers, config.run_workers_per_agent), (0, 3));
        for (variable, value) in [
            ("ABETWORKS_RUN_WORKERS", "65"),
            ("ABETWORKS_RUN_WORKERS", "many"),
            ("ABETWORKS_RUN_WORKERS_PER_AGENT", "0"),
        ] {
            assert_eq!(
                config_from(&[(variable, value)]).unwrap_err().variable,
                variable
            );
        }
    }

    #[test]
    fn a_sentry_dsn_is_optional_checked_and_never_shown() {
        assert!(config_from(&[]).unwrap().sentry_dsn.is_none());
        let dsn = "https://abc123@o1.ingest.example.com/42";
        let config = config_from(&[("SENTRY_DSN", dsn)]).unwrap();
        assert_eq!(config.sentry_dsn.as_ref().map(Secret::expose), Some(dsn));
        assert!(!format!("{config:?}").contains("abc123"));
        for unusable in [
            "not a url",
            "https://host/42",
            "ftp://k@host/1",
            "https://k@host/",
        ] {
            let err = config_from(&[("SENTRY_DSN", unusable)]).unwrap_err();
            assert_eq!(err.variable, "SENTRY_DSN", "{unusable}");
            assert!(!err.to_string().contains("k@host"), "{err}");
        }
    }
}
