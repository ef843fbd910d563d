//! Server functions and the data they exchange with the browser. Thin: they parse, authorise
//! through [`crate::server::require_user`], call the `abetworks` core and format.

pub mod admin;
pub mod auth;
pub mod keys;
pub mod marketplace;
pub mod notifications;
pub mod quota;
pub mod runs;
pub mod teams;

use abetworks_types::enums::Role;
use chrono::{DateTime, SecondsFormat, Utc};

/// A time shown as "2026-11-25 09:44 UTC".
pub fn format_time(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Only the date of a time, as `YYYY-MM-DD` (what a date input takes).
pub fn format_date(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// The date something expires on, or "Never" without an expiry.
pub fn expiry_date(expires_at: Option<&DateTime<Utc>>) -> String {
    expires_at.map_or_else(|| "Never".to_owned(), format_date)
}

/// A time for a `<time datetime>` attribute: RFC 3339 in UTC, whole seconds.
pub fn iso_time(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// How a role reads in the UI.
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::SuperAdmin => "Super admin",
        Role::Admin => "Admin",
        Role::Member => "Member",
    }
}

/// An agent of the catalog as a choice in a picker: its name, then its slug.
#[cfg(feature = "ssr")]
pub fn agent_option(
    agent: abetworks::entities::agent_catalog::Model,
) -> abetworks_types::views::PickOption {
    abetworks_types::views::PickOption {
        id: agent.id,
        label: agent.name,
        detail: agent.slug,
    }
}

/// A path inside this site to return to after signing in; anything else means the marketplace.
pub fn safe_next(next: Option<&str>) -> String {
    match next.map(str::trim) {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.contains(['\r', '\n'])
                && path.len() <= 512 =>
        {
            path.to_owned()
        }
        _ => "/marketplace".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/account")), "/account");
        assert_eq!(safe_next(Some("//evil.example")), "/marketplace");
        assert_eq!(safe_next(Some("https://evil.example")), "/marketplace");
        assert_eq!(safe_next(Some("/\\evil.example")), "/marketplace");
        assert_eq!(safe_next(None), "/marketplace");
    }

    #[test]
    fn times_read_as_date_and_minutes() {
        let at: DateTime<Utc> = "2026-11-25T09:44:12Z".parse().unwrap();
        assert_eq!(format_time(&at), "2026-11-25 09:44 UTC");
        assert_eq!(format_date(&at), "2026-11-25");
        assert_eq!(iso_time(&at), "2026-11-25T09:44:12Z");
    }
}
