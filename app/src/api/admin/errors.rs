//! Error logs: the list, the 30-day statistics and resolving one.

use abetworks_types::views::{ErrorLogView, ErrorStats};
use abetworks_types::Page;
use leptos::prelude::*;

use super::DateRange;
use crate::error::AppError;

/// How many days the statistics cards cover.
#[cfg(feature = "ssr")]
const STATS_DAYS: i64 = 30;

/// Error logs matching the filters, newest first. `resolved` is `yes`, `no` or blank.
#[server(endpoint = "admin-ui/errors")]
pub async fn admin_errors(
    severity: Option<String>,
    kind: Option<String>,
    #[server(flatten)] dates: DateRange,
    resolved: Option<String>,
    page: Option<u64>,
) -> Result<Page<ErrorLogView>, AppError> {
    use super::form::{choice, page_request};
    use crate::server::{as_super_admin, core_error};
    let (state, _) = as_super_admin().await?;
    let filter = abetworks::error_logs::ErrorFilter {
        severity: choice("severity", severity.as_deref())?,
        kind: choice("kind", kind.as_deref())?,
        from: dates.start()?,
        to: dates.end()?,
        resolved: yes_or_no("resolved", resolved.as_deref())?,
    };
    let page = abetworks::error_logs::list(&state.db, &filter, page_request(page)?)
        .await
        .map_err(core_error)?;
    Ok(page.map(ErrorLogView::from))
}

/// `yes`/`true` or `no`/`false`; blank or absent means either.
#[cfg(feature = "ssr")]
fn yes_or_no(field: &str, text: Option<&str>) -> Result<Option<bool>, AppError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some("yes" | "true") => Ok(Some(true)),
        Some("no" | "false") => Ok(Some(false)),
        Some(_) => Err(AppError::field(field, "Choose yes or no.")),
    }
}

/// Error totals of the last 30 days.
#[server(endpoint = "admin-ui/errors/stats")]
pub async fn admin_error_stats() -> Result<ErrorStats, AppError> {
    use crate::server::{as_super_admin, core_error};
    use abetworks::input::TimeRange;
    let (state, _) = as_super_admin().await?;
    abetworks::error_logs::stats(&state.db, TimeRange::last_days(STATS_DAYS))
        .await
        .map_err(core_error)
}

/// Marks an error resolved, with an optional note.
#[server(endpoint = "admin-ui/errors/resolve")]
pub async fn admin_resolve_error(
    id: String,
    note: Option<String>,
) -> Result<ErrorLogView, AppError> {
    use crate::server::{as_caller, core_error};
    let (state, actor) = as_caller().await?;
    abetworks::error_logs::resolve(&state.db, &actor, &id, note.as_deref())
        .await
        .map(ErrorLogView::from)
        .map_err(core_error)
}
