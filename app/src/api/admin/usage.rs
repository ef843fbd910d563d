//! Usage: the overview of a date range.

use abetworks_types::views::UsageOverview;
use leptos::prelude::*;

use super::DateRange;
use crate::error::AppError;

/// How many days the overview covers when the form leaves a bound blank.
#[cfg(feature = "ssr")]
const DEFAULT_DAYS: i64 = 30;

/// The usage overview of `[from, to]` (dates; blank means the last 30 days), or of the current
/// UTC day or month when `window` is `day` or `month`.
#[server(endpoint = "admin-ui/usage")]
pub async fn admin_usage(
    #[server(flatten)] dates: DateRange,
    window: Option<String>,
) -> Result<UsageOverview, AppError> {
    use crate::server::{as_super_admin, core_error};
    use abetworks::input::TimeRange;
    let (state, _) = as_super_admin().await?;
    if let Some(window) = window.filter(|w| !w.is_empty()) {
        let range = TimeRange::current(&window, state.clock.now()).map_err(core_error)?;
        return abetworks::usage::overview(&state.db, range.from, range.to)
            .await
            .map_err(core_error);
    }
    let default = TimeRange::last_days(DEFAULT_DAYS);
    let from = dates.start()?.unwrap_or(default.from);
    let to = dates.end()?.unwrap_or(default.to);
    abetworks::usage::overview(&state.db, from, to)
        .await
        .map_err(core_error)
}
