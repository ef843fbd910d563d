//! `/api/admin/errors*`: the error log, its resolution and its statistics.

use abetworks::entities::enums::Severity;
use abetworks::entities::error_logs::Model as ErrorLog;
use abetworks::error_logs::{self, ErrorFilter, ErrorKind, ErrorStats};
use abetworks::input::TimeRange;
use abetworks::pagination::{Page, PageRequest};
use app::state::AppState;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::{ClientIp, SuperAdmin};
use crate::input::{parse_time, ApiJson, ApiPath, ApiQuery};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ErrorQuery {
    severity: Option<Severity>,
    #[serde(rename = "type")]
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
    resolved: Option<bool>,
    page: Option<i64>,
    page_size: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    _: SuperAdmin,
    ApiQuery(query): ApiQuery<ErrorQuery>,
) -> Result<Json<Page<ErrorLog>>, ApiError> {
    let page = PageRequest::new(query.page, query.page_size)?;
    let filter = ErrorFilter {
        severity: query.severity,
        kind: query.kind.as_deref().map(ErrorKind::parse).transpose()?,
        from: parse_time("from", query.from.as_deref(), false)?,
        to: parse_time("to", query.to.as_deref(), true)?,
        resolved: query.resolved,
    };
    Ok(Json(error_logs::list(&state.db, &filter, page).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResolveBody {
    resolution_note: Option<String>,
}

pub async fn resolve(
    State(state): State<AppState>,
    SuperAdmin(current): SuperAdmin,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ResolveBody>,
) -> Result<Json<ErrorLog>, ApiError> {
    let resolved = error_logs::resolve(
        &state.db,
        current.id(),
        Some(&ip),
        &id,
        body.resolution_note.as_deref(),
    )
    .await?;
    Ok(Json(resolved))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    from: Option<String>,
    to: Option<String>,
}

pub async fn stats(
    State(state): State<AppState>,
    _: SuperAdmin,
    ApiQuery(query): ApiQuery<StatsQuery>,
) -> Result<Json<ErrorStats>, ApiError> {
    let default = TimeRange::last_days(30);
    let from = parse_time("from", query.from.as_deref(), false)?.unwrap_or(default.from);
    let to = parse_time("to", query.to.as_deref(), true)?.unwrap_or(default.to);
    Ok(Json(
        error_logs::stats(&state.db, TimeRange::new(from, to)?).await?,
    ))
}
