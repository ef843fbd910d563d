//! `/api/admin/executions/all`: every execution, filtered, for the super admin.

use abetworks::entities::enums::ExecutionStatus;
use abetworks::executions::{self, ExecutionFilter, ExecutionView};
use abetworks::pagination::{Page, PageRequest};
use app::state::AppState;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::SuperAdmin;
use crate::input::{parse_time, ApiQuery};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExecutionQuery {
    user_id: Option<String>,
    agent_id: Option<String>,
    status: Option<ExecutionStatus>,
    from: Option<String>,
    to: Option<String>,
    page: Option<i64>,
    page_size: Option<i64>,
}

pub async fn list_all(
    State(state): State<AppState>,
    _: SuperAdmin,
    ApiQuery(query): ApiQuery<ExecutionQuery>,
) -> Result<Json<Page<ExecutionView>>, ApiError> {
    let page = PageRequest::new(query.page, query.page_size)?;
    let filter = ExecutionFilter {
        user_id: abetworks::input::id_filter("userId", query.user_id.as_deref())?,
        agent_id: abetworks::input::id_filter("agentId", query.agent_id.as_deref())?,
        status: query.status,
        from: parse_time("from", query.from.as_deref(), false)?,
        to: parse_time("to", query.to.as_deref(), true)?,
    };
    Ok(Json(executions::list_all(&state.db, &filter, page).await?))
}
