//! Server functions and the data they exchange with the browser. Thin: they parse, authorise
//! through [`crate::server::require_user`], call the `abetworks` core and format.

pub mod admin;
pub mod auth;
pub mod keys;
pub mod marketplace;
pub mod runs;

/// A time as RFC 3339 (UTC) shown as "2026-11-25 09:44 UTC".
pub fn format_time(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => rfc3339.to_owned(),
    }
}

/// Only the date of an RFC 3339 time.
pub fn format_date(rfc3339: &str) -> String {
    rfc3339.get(..10).unwrap_or(rfc3339).to_owned()
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
        assert_eq!(format_time("2026-11-25T09:44:12Z"), "2026-11-25 09:44 UTC");
        assert_eq!(format_date("2026-11-25T09:44:12Z"), "2026-11-25");
    }
}
