//! `/api/admin/errors*`: the error log, its resolution and its statistics.

use abetworks::entities::enums::Severity;
use abetworks::error_logs::{self, ErrorFilter, ErrorKind, ErrorStats};
use abetworks::input::{parse_time, DayBound};
use abetworks::pagination::{Page, PageRequest};
use abetworks::types::Vocabulary;
use abetworks::views::ErrorLogView;
use axum::Json;
use serde::Deserialize;

use super::range_or_last_30_days;
use crate::error::ApiError;
use crate::extract::SuperAdmin;
use crate::input::{ApiJson, ApiPath, ApiQuery};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ErrorQuery {
    severity: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
    resolved: Option<bool>,
    page: Option<i64>,
    page_size: Option<i64>,
}

pub async fn list(
    SuperAdmin { state, .. }: SuperAdmin,
    ApiQuery(query): ApiQuery<ErrorQuery>,
) -> Result<Json<Page<ErrorLogView>>, ApiError> {
    let page = PageRequest::new(query.page, query.page_size)?;
    let filter = ErrorFilter {
        severity: Severity::parse_optional("severity", query.severity.as_deref())?,
        kind: ErrorKind::parse_optional("type", query.kind.as_deref())?,
        from: parse_time("from", query.from.as_deref(), DayBound::Start)?,
        to: parse_time("to", query.to.as_deref(), DayBound::End)?,
        resolved: query.resolved,
    };
    let errors = error_logs::list(&state.db, &filter, page).await?;
    Ok(Json(errors.map(ErrorLogView::from)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResolveBody {
    resolution_note: Option<String>,
}

pub async fn resolve(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ResolveBody>,
) -> Result<Json<ErrorLogView>, ApiError> {
    let resolved =
        error_logs::resolve(&state.db, &actor, &id, body.resolution_note.as_deref()).await?;
    Ok(Json(resolved.into()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    from: Option<String>,
    to: Option<String>,
}

pub async fn stats(
    SuperAdmin { state, .. }: SuperAdmin,
    ApiQuery(query): ApiQuery<StatsQuery>,
) -> Result<Json<ErrorStats>, ApiError> {
    let range = range_or_last_30_days(query.from.as_deref(), query.to.as_deref())?;
    Ok(Json(error_logs::stats(&state.db, range).await?))
}

/// The error log routes, as served and documented.
pub fn routes(api: super::ApiRoutes) -> super::ApiRoutes {
    use super::{Access, Route};
    use abetworks::types::views::{ErrorLogView, ErrorStats};
    api.add(
        Route::get(
            "/api/admin/errors",
            Access::SuperAdmin,
            "Error logs (severity, type, from, to, resolved)",
        )
        .query::<ErrorQuery>()
        .answers_page::<ErrorLogView>(200),
        list,
    )
    .add(
        Route::patch(
            "/api/admin/errors/{id}/resolve",
            Access::SuperAdmin,
            "Mark an error resolved with a note",
        )
        .body::<ResolveBody>()
        .answers::<ErrorLogView>(200)
        .fails(&[409]),
        resolve,
    )
    .add(
        Route::get(
            "/api/admin/errors/stats",
            Access::SuperAdmin,
            "Error statistics by type, severity and day",
        )
        .query::<StatsQuery>()
        .answers::<ErrorStats>(200),
        stats,
    )
}
