//! `/api/admin/usage/*`: usage analytics and the CSV export, for the super admin.

use abetworks::input::TimeRange;
use abetworks::usage::{export_rows, ExportCursor, CSV_HEADER};
use abetworks::usage::{overview as usage_overview, UsageOverview};
use abetworks::CoreError;
use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use futures_util::stream;
use serde::Deserialize;

use super::range_or_last_30_days;
use crate::error::ApiError;
use crate::extract::SuperAdmin;
use crate::input::ApiQuery;

/// Rows read per database round trip while streaming the export.
const EXPORT_BATCH: u64 = 1_000;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
    /// `day` or `month`: the current UTC day or month, instead of from and to.
    window: Option<String>,
}

/// The asked range (a `window` preset or from/to), or the last 30 days.
fn range(query: &RangeQuery, now: DateTime<Utc>) -> Result<TimeRange, ApiError> {
    if let Some(window) = query.window.as_deref() {
        if query.from.is_some() || query.to.is_some() {
            return Err(CoreError::invalid("window", "give either window or from and to").into());
        }
        return Ok(TimeRange::current(window, now)?);
    }
    Ok(range_or_last_30_days(
        query.from.as_deref(),
        query.to.as_deref(),
    )?)
}

pub async fn overview(
    SuperAdmin { state, .. }: SuperAdmin,
    ApiQuery(query): ApiQuery<RangeQuery>,
) -> Result<Json<UsageOverview>, ApiError> {
    let range = range(&query, state.clock.now())?;
    Ok(Json(usage_overview(&state.db, range.from, range.to).await?))
}

/// Streams the tracking rows of the range as CSV, batch by batch, never all in memory.
pub async fn export_csv(
    SuperAdmin { state, .. }: SuperAdmin,
    ApiQuery(query): ApiQuery<RangeQuery>,
) -> Result<Response, ApiError> {
    let range = range(&query, state.clock.now())?;
    // The first batch is read before answering, so a failure is still a clean error.
    let first = export_rows(&state.db, range.from, range.to, None, EXPORT_BATCH).await?;
    let db = state.db.clone();
    let mut head = CSV_HEADER.to_owned();
    head.extend(first.iter().map(|row| row.csv_line()));
    let cursor = (first.len() as u64 == EXPORT_BATCH)
        .then(|| first.last().map(|r| r.cursor()))
        .flatten();
    let rest = stream::unfold(cursor, move |cursor: Option<ExportCursor>| {
        let db = db.clone();
        async move {
            let cursor = cursor?;
            match export_rows(&db, range.from, range.to, Some(&cursor), EXPORT_BATCH).await {
                Ok(rows) => {
                    let next = (rows.len() as u64 == EXPORT_BATCH)
                        .then(|| rows.last().map(|r| r.cursor()))
                        .flatten();
                    let chunk: String = rows.iter().map(|row| row.csv_line()).collect();
                    Some((Ok::<_, std::io::Error>(chunk), next))
                }
                Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
            }
        }
    });
    let body = Body::from_stream(futures_util::StreamExt::chain(
        stream::once(async { Ok(head) }),
        rest,
    ));
    let filename = format!(
        "attachment; filename=\"abetworks-usage-{}-{}.csv\"",
        range.from.format("%Y%m%d"),
        range.to.format("%Y%m%d")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        body,
    )
        .into_response())
}

/// The usage analytics routes, as served and documented.
pub fn routes(api: super::ApiRoutes) -> super::ApiRoutes {
    use super::{Access, Route};
    use abetworks::types::views::UsageOverview;
    api.add(
        Route::get(
            "/api/admin/usage/overview",
            Access::SuperAdmin,
            "Usage analytics for a range (from, to) or this UTC day or month (window=day|month)",
        )
        .query::<RangeQuery>()
        .answers::<UsageOverview>(200),
        overview,
    )
    .add(
        Route::get(
            "/api/admin/usage/export.csv",
            Access::SuperAdmin,
            "The range's tracked calls as CSV (from, to or window=day|month)",
        )
        .query::<RangeQuery>()
        .answers_csv(),
        export_csv,
    )
}
