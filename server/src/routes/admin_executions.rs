//! `/api/admin/executions/all`: every execution, filtered, for the super admin.

use abetworks::entities::enums::ExecutionStatus;
use abetworks::error::CoreResult;
use abetworks::executions::{self, ExecutionFilter, ExecutionView};
use abetworks::input::{id_filter, parse_time, DayBound};
use abetworks::pagination::{Page, PageRequest};
use abetworks::types::Vocabulary;
use axum::Json;
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::SuperAdmin;
use crate::input::ApiQuery;

/// The query of an execution list: the super admin's log here and an organisation admin's
/// (`/api/orgs/current/executions`) filter and page alike.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExecutionQuery {
    user_id: Option<String>,
    agent_id: Option<String>,
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<i64>,
    page_size: Option<i64>,
}

impl ExecutionQuery {
    /// The filter and the page asked for, each field checked.
    pub(super) fn parse(self) -> CoreResult<(ExecutionFilter, PageRequest)> {
        let page = PageRequest::new(self.page, self.page_size)?;
        let filter = ExecutionFilter {
            user_id: id_filter("userId", self.user_id.as_deref())?,
            agent_id: id_filter("agentId", self.agent_id.as_deref())?,
            status: ExecutionStatus::parse_optional("status", self.status.as_deref())?,
            from: parse_time("from", self.from.as_deref(), DayBound::Start)?,
            to: parse_time("to", self.to.as_deref(), DayBound::End)?,
        };
        Ok((filter, page))
    }
}

pub async fn list_all(
    SuperAdmin { state, .. }: SuperAdmin,
    ApiQuery(query): ApiQuery<ExecutionQuery>,
) -> Result<Json<Page<ExecutionView>>, ApiError> {
    let (filter, page) = query.parse()?;
    Ok(Json(executions::list_all(&state.db, &filter, page).await?))
}

/// The execution log route, as served and documented.
pub fn routes(api: super::ApiRoutes) -> super::ApiRoutes {
    use super::{Access, Route};
    use abetworks::types::views::ExecutionView;
    api.add(
        Route::get(
            "/api/admin/executions/all",
            Access::SuperAdmin,
            "Every execution, filtered",
        )
        .query::<ExecutionQuery>()
        .answers_page::<ExecutionView>(200),
        list_all,
    )
}
