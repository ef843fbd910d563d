//! Executions: every run system-wide.

use abetworks_types::views::ExecutionView;
use abetworks_types::Page;
use leptos::prelude::*;

use super::DateRange;
use crate::error::AppError;

/// Every execution matching the filters, newest first.
#[server(endpoint = "admin-ui/executions")]
pub async fn admin_executions(
    user_id: Option<String>,
    agent_id: Option<String>,
    status: Option<String>,
    #[server(flatten)] dates: DateRange,
    page: Option<u64>,
) -> Result<Page<ExecutionView>, AppError> {
    use super::form::{choice, page_request};
    use crate::server::{as_super_admin, core_error};
    let (state, _) = as_super_admin().await?;
    let filter = abetworks::executions::ExecutionFilter {
        user_id,
        agent_id,
        status: choice("status", status.as_deref())?,
        from: dates.start()?,
        to: dates.end()?,
    };
    abetworks::executions::list_all(&state.db, &filter, page_request(page)?)
        .await
        .map_err(core_error)
}
