//! Executions: every run system-wide.

use abetworks_types::views::ExecutionView;
use abetworks_types::Page;
use leptos::prelude::*;

use crate::error::AppError;

/// Every execution matching the filters, newest first.
#[server(endpoint = "admin-ui/executions")]
pub async fn admin_executions(
    user_id: Option<String>,
    agent_id: Option<String>,
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<u64>,
) -> Result<Page<ExecutionView>, AppError> {
    use super::form::{choice, page_request, time};
    use crate::server::{core_error, require_super_admin, state};
    use abetworks::input::DayBound;
    require_super_admin().await?;
    let state = state()?;
    let filter = abetworks::executions::ExecutionFilter {
        user_id,
        agent_id,
        status: choice("status", status.as_deref())?,
        from: time("from", from.as_deref(), DayBound::Start)?,
        to: time("to", to.as_deref(), DayBound::End)?,
    };
    abetworks::executions::list_all(&state.db, &filter, page_request(page)?)
        .await
        .map_err(core_error)
}
