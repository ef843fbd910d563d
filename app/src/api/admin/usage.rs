//! Usage: the overview of a date range.

use abetworks_types::views::UsageOverview;
use leptos::prelude::*;

use crate::error::AppError;

/// How many days the overview covers when the form leaves a bound blank.
#[cfg(feature = "ssr")]
const DEFAULT_DAYS: i64 = 30;

/// The usage overview of `[from, to]` (dates; blank means the last 30 days), or of the current
/// UTC day or month when `window` is `day` or `month`.
#[server(endpoint = "admin-ui/usage")]
pub async fn admin_usage(
    from: Option<String>,
    to: Option<String>,
    window: Option<String>,
) -> Result<UsageOverview, AppError> {
    use super::form::time;
    use crate::server::{core_error, require_super_admin, state};
    use abetworks::input::{DayBound, TimeRange};
    require_super_admin().await?;
    let state = state()?;
    if let Some(window) = window.filter(|w| !w.is_empty()) {
        let range = TimeRange::current(&window, state.clock.now()).map_err(core_error)?;
        return abetworks::usage::overview(&state.db, range.from, range.to)
            .await
            .map_err(core_error);
    }
    let default = TimeRange::last_days(DEFAULT_DAYS);
    let from = time("from", from.as_deref(), DayBound::Start)?.unwrap_or(default.from);
    let to = time("to", to.as_deref(), DayBound::End)?.unwrap_or(default.to);
    abetworks::usage::overview(&state.db, from, to)
        .await
        .map_err(core_error)
}
