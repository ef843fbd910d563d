//! Configuration from the environment, with working defaults for `make run`.
//! A bad value stops start-up with a message naming the variable; secrets never reach logs.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// The default shared secret between gateway and agent service, for local development only.
pub const DEV_AGENT_SECRET: &str = "abetworks-dev-secret";

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

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub site_addr: SocketAddr,
    pub agent_service_url: url::Url,
    pub agent_service_secret: Secret,
    pub agent_connect_timeout: Duration,
    pub agent_request_timeout: Duration,
    pub admin_email: Option<String>,
    pub admin_password: Option<Secret>,
    pub log_format: LogFormat,
    pub environment: Environment,
    /// Seed the demo member and publish synced agents on an empty database.
    pub demo_data: bool,
    /// Sync the catalog from the agent service in the background at start-up.
    pub sync_on_start: bool,
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

        let agent_service_secret = match get("AGENT_SERVICE_SECRET") {
            Some(secret) if secret.len() < 16 => {
                return Err(bad(
                    "AGENT_SERVICE_SECRET",
                    "must be at least 16 characters",
                ))
            }
            Some(secret) => Secret::new(secret),
            None if environment == Environment::Production => {
                return Err(bad("AGENT_SERVICE_SECRET", "is required in production"))
            }
            None => Secret::new(DEV_AGENT_SECRET),
        };

        let millis = |name: &'static str, default: u64| -> Result<Duration, ConfigError> {
            match get(name) {
                None => Ok(Duration::from_millis(default)),
                Some(v) => v
                    .parse::<u64>()
                    .ok()
                    .filter(|ms| (1..=600_000).contains(ms))
                    .map(Duration::from_millis)
                    .ok_or_else(|| bad(name, "must be milliseconds between 1 and 600000")),
            }
        };
        let agent_connect_timeout = millis("AGENT_CONNECT_TIMEOUT_MS", 2_000)?;
        let agent_request_timeout = millis("AGENT_TIMEOUT_MS", 30_000)?;

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

        let demo_data = match get("ABETWORKS_DEMO_DATA").as_deref() {
            None | Some("true") | Some("1") => true,
            Some("false") | Some("0") => false,
            Some(_) => return Err(bad("ABETWORKS_DEMO_DATA", "must be true or false")),
        };

        let sync_on_start = match get("ABETWORKS_SYNC_ON_START").as_deref() {
            None | Some("true") | Some("1") => true,
            Some("false") | Some("0") => false,
            Some(_) => return Err(bad("ABETWORKS_SYNC_ON_START", "must be true or false")),
        };

        Ok(Self {
            sync_on_start,
            database_url,
            site_addr,
            agent_service_url,
            agent_service_secret,
            agent_connect_timeout,
            agent_request_timeout,
            admin_email,
            admin_password,
            log_format,
            environment,
            demo_data,
        })
    }
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
        let err = config_from(&[("LEPTOS_SITE_ADDR", "nowhere")]).unwrap_err();
        assert_eq!(err.variable, "LEPTOS_SITE_ADDR");
        let err = config_from(&[("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert_eq!(err.variable, "DATABASE_URL");
        let err = config_from(&[("ABETWORKS_LOG_FORMAT", "xml")]).unwrap_err();
        assert_eq!(err.variable, "ABETWORKS_LOG_FORMAT");
        let err = config_from(&[("AGENT_TIMEOUT_MS", "-5")]).unwrap_err();
        assert_eq!(err.variable, "AGENT_TIMEOUT_MS");
    }

    #[test]
    fn production_requires_an_agent_secret() {
        let err = config_from(&[("ABETWORKS_ENV", "production")]).unwrap_err();
        assert_eq!(err.variable, "AGENT_SERVICE_SECRET");
    }

    #[test]
    fn the_admin_email_needs_its_password() {
        let err = config_from(&[("ABETWORKS_ADMIN_EMAIL", "root@example.com")]).unwrap_err();
        assert_eq!(err.variable, "ABETWORKS_ADMIN_PASSWORD");
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
}
