//! The email settings: where to send (`ABETWORKS_SMTP_URL`), as whom (`ABETWORKS_MAIL_FROM`)
//! and the site's address for the links in a message (`ABETWORKS_PUBLIC_URL`). Read with the
//! rest of the configuration (`Config::from_lookup`), so a bad value stops start-up.

use std::net::SocketAddr;

use lettre::message::Mailbox;
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::Tokio1Executor;

use crate::config::{ConfigError, Secret};

/// The sender when `ABETWORKS_MAIL_FROM` is not set.
pub const DEFAULT_MAIL_FROM: &str = "Abetworks <no-reply@localhost>";

/// The raw values of `ABETWORKS_SMTP_URL`, `ABETWORKS_MAIL_FROM` and `ABETWORKS_PUBLIC_URL`
/// (read by `Config::from_lookup`, which names every variable it reads).
#[derive(Default)]
pub struct MailVariables {
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub public_url: Option<String>,
}

#[derive(Clone, Debug)]
pub struct MailSettings {
    /// `smtp://user:pass@host:587?tls=required`, `smtps://…:465` or `smtp://127.0.0.1:2525`
    /// (a plain local relay); none = no email. Holds a password: never printed.
    pub smtp_url: Option<Secret>,
    pub from: Mailbox,
    /// The site's base URL, without a trailing slash (`https://abetworks.example.com`).
    pub public_url: String,
}

fn bad(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
    }
}

impl MailSettings {
    /// Checks the values of the three variables (`None` when unset or blank). Without
    /// `ABETWORKS_PUBLIC_URL` the links point at `site_addr` (a wildcard address read as
    /// 127.0.0.1), which only suits development: production with email requires it.
    pub fn read(
        values: MailVariables,
        site_addr: SocketAddr,
        production: bool,
    ) -> Result<Self, ConfigError> {
        let smtp_url = values.smtp_url.map(|url| url.trim().to_owned());
        if let Some(url) = &smtp_url {
            check_smtp_url(url)?;
        }

        let from = values
            .mail_from
            .unwrap_or_else(|| DEFAULT_MAIL_FROM.to_owned())
            .trim()
            .parse::<Mailbox>()
            .map_err(|e| {
                bad(
                    "ABETWORKS_MAIL_FROM",
                    format!("is not a mailbox like \"Abetworks <no-reply@example.com>\" ({e})"),
                )
            })?;

        let public_url = match values.public_url {
            Some(text) => {
                let url = url::Url::parse(text.trim())
                    .map_err(|e| bad("ABETWORKS_PUBLIC_URL", format!("is not a URL ({e})")))?;
                if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                    return Err(bad(
                        "ABETWORKS_PUBLIC_URL",
                        "must be the site's http:// or https:// address",
                    ));
                }
                url.as_str().trim_end_matches('/').to_owned()
            }
            None if production && smtp_url.is_some() => return Err(bad(
                "ABETWORKS_PUBLIC_URL",
                "is required in production when ABETWORKS_SMTP_URL is set (the links in emails)",
            )),
            None => local_url(site_addr),
        };

        Ok(Self {
            smtp_url: smtp_url.map(Secret::new),
            from,
            public_url,
        })
    }

    /// Whether this server sends email.
    pub fn configured(&self) -> bool {
        self.smtp_url.is_some()
    }
}

/// Checks an SMTP URL the way the mailer will read it, without echoing it (it may hold a
/// password).
fn check_smtp_url(text: &str) -> Result<(), ConfigError> {
    const VARIABLE: &str = "ABETWORKS_SMTP_URL";
    let url = url::Url::parse(text).map_err(|e| bad(VARIABLE, format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "smtp" | "smtps") {
        return Err(bad(VARIABLE, "must start with smtp:// or smtps://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad(VARIABLE, "names no host"));
    }
    AsyncSmtpTransport::<Tokio1Executor>::from_url(text)
        .map(drop)
        .map_err(|e| bad(VARIABLE, format!("cannot be used ({e})")))
}

/// `http://` + the listening address, a wildcard host read as the loopback address.
fn local_url(site_addr: SocketAddr) -> String {
    let host = if site_addr.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else {
        match site_addr.ip() {
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        }
    };
    format!("http://{host}:{}", site_addr.port())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(pairs: &[(&str, &str)], production: bool) -> Result<MailSettings, ConfigError> {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        let get = |name: &str| map.get(name).map(|v| (*v).to_owned());
        let values = MailVariables {
            smtp_url: get("ABETWORKS_SMTP_URL"),
            mail_from: get("ABETWORKS_MAIL_FROM"),
            public_url: get("ABETWORKS_PUBLIC_URL"),
        };
        let site: SocketAddr = "0.0.0.0:3000".parse().expect("an address");
        MailSettings::read(values, site, production)
    }

    #[test]
    fn without_settings_no_email_is_sent_and_links_point_at_the_local_site() {
        let settings = read(&[], false).expect("defaults are valid");
        assert!(!settings.configured());
        assert_eq!(settings.from.to_string(), DEFAULT_MAIL_FROM);
        assert_eq!(settings.public_url, "http://127.0.0.1:3000");
    }

    #[test]
    fn an_smtp_url_a_sender_and_a_public_url_are_read() {
        let settings = read(
            &[
                (
                    "ABETWORKS_SMTP_URL",
                    "smtp://ada:pw@mail.example.com:587?tls=required",
                ),
                ("ABETWORKS_MAIL_FROM", "Alerts <alerts@example.com>"),
                ("ABETWORKS_PUBLIC_URL", "https://abetworks.example.com/"),
            ],
            true,
        )
        .expect("valid settings");
        assert!(settings.configured());
        assert_eq!(settings.from.email.to_string(), "alerts@example.com");
        assert_eq!(settings.public_url, "https://abetworks.example.com");
        assert!(
            !format!("{settings:?}").contains("pw@"),
            "the password is never printed"
        );
    }

    #[test]
    fn bad_email_settings_stop_start_up_naming_the_variable() {
        for (pairs, variable) in [
            (
                &[("ABETWORKS_SMTP_URL", "http://mail.example.com")][..],
                "ABETWORKS_SMTP_URL",
            ),
            (
                &[("ABETWORKS_SMTP_URL", "smtp://")][..],
                "ABETWORKS_SMTP_URL",
            ),
            (
                &[("ABETWORKS_MAIL_FROM", "not an address")][..],
                "ABETWORKS_MAIL_FROM",
            ),
            (
                &[("ABETWORKS_PUBLIC_URL", "ftp://example.com")][..],
                "ABETWORKS_PUBLIC_URL",
            ),
        ] {
            assert_eq!(
                read(pairs, false).unwrap_err().variable,
                variable,
                "{pairs:?}"
            );
        }
    }

    #[test]
    fn production_email_needs_the_public_url_for_its_links() {
        let smtp = [("ABETWORKS_SMTP_URL", "smtp://127.0.0.1:2525")];
        assert_eq!(
            read(&smtp, true).unwrap_err().variable,
            "ABETWORKS_PUBLIC_URL"
        );
        assert!(read(&smtp, false).is_ok());
    }
}
