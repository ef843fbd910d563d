//! The admin dashboard's server functions, one file per resource. Thin: each takes the caller's
//! `Actor`, parses the form's text, calls the `abetworks` core with it and returns the shared
//! view unchanged. The core checks the role of every change; the reads it does not guard are
//! guarded here first ([`crate::server::require_super_admin`]; the organisation admin only
//! reads their own organisation's users).

pub mod agents;
pub mod errors;
pub mod executions;
pub mod licenses;
pub mod organizations;
pub mod requests;
pub mod subscriptions;
pub mod usage;
pub mod users;
pub mod webhooks;

use serde::{Deserialize, Serialize};

/// What the license editor sends as `expires_on` to remove an expiry.
pub const NO_EXPIRY: &str = "never";

/// The dates a list or the usage overview is limited to, as the date inputs send them
/// (`YYYY-MM-DD`), each day included; blank or absent leaves that end open. A server
/// function takes it as `#[server(flatten)]`: the fields stay `from` and `to` on the wire.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DateRange {
    pub from: Option<String>,
    pub to: Option<String>,
}

#[cfg(feature = "ssr")]
impl DateRange {
    /// The start of the `from` day (UTC), if one is given.
    pub fn start(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, crate::error::AppError> {
        form::time(
            "from",
            self.from.as_deref(),
            abetworks::input::DayBound::Start,
        )
    }

    /// The end of the `to` day (UTC), if one is given.
    pub fn end(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, crate::error::AppError> {
        form::time("to", self.to.as_deref(), abetworks::input::DayBound::End)
    }

    /// The range the dates give; a blank end is the one of the last 30 days.
    pub fn time_range(&self) -> Result<abetworks::input::TimeRange, crate::error::AppError> {
        use abetworks::input::TimeRange;
        let default = TimeRange::last_days(30);
        let from = self.start()?.unwrap_or(default.from);
        let to = self.end()?.unwrap_or(default.to);
        TimeRange::new(from, to).map_err(crate::server::core_error)
    }
}

/// Reading the forms' text: pages, enum choices and dates, each through the one shared rule.
#[cfg(feature = "ssr")]
pub(crate) mod form {
    use abetworks::input::{parse_time, DayBound};
    use abetworks::pagination::PageRequest;
    use abetworks::CoreError;
    use abetworks_types::Vocabulary;
    use chrono::{DateTime, Utc};

    use crate::error::AppError;
    use crate::server::core_error;

    /// Rows per page of every admin list.
    const PAGE_SIZE: i64 = 20;

    /// How many matches a picker offers.
    pub const PICK_SIZE: i64 = 10;

    /// Page `page` (from 1) of [`PAGE_SIZE`] rows.
    pub fn page_request(page: Option<u64>) -> Result<PageRequest, AppError> {
        let page = i64::try_from(page.unwrap_or(1).max(1)).unwrap_or(i64::MAX);
        PageRequest::new(Some(page), Some(PAGE_SIZE)).map_err(core_error)
    }

    /// The first page of a picker's matches.
    pub fn pick_request() -> Result<PageRequest, AppError> {
        PageRequest::new(Some(1), Some(PICK_SIZE)).map_err(core_error)
    }

    /// A choice of `E` sent as text; blank or absent means none.
    pub fn choice<E: Vocabulary>(field: &str, text: Option<&str>) -> Result<Option<E>, AppError> {
        E::parse_optional(field, text).map_err(|issue| core_error(CoreError::from(issue)))
    }

    /// A date or time sent as text; blank or absent means none.
    pub fn time(
        field: &str,
        text: Option<&str>,
        bound: DayBound,
    ) -> Result<Option<DateTime<Utc>>, AppError> {
        parse_time(field, text, bound).map_err(core_error)
    }

    /// A required id the form must carry (a picker left on "Choose…" sends it blank).
    pub fn required(field: &str, id: String, message: &str) -> Result<String, AppError> {
        let id = id.trim();
        if id.is_empty() {
            Err(AppError::field(field, message))
        } else {
            Ok(id.to_owned())
        }
    }
}
