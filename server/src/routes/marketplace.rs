//! `/api/marketplace/*` and `/api/usage/my-usage`: what a signed-in customer sees.

use abetworks::access_requests::{self, AccessRequestView, NewAccessRequest};
use abetworks::catalog::CatalogFilter;
use abetworks::licenses::LicenseView;
use abetworks::marketplace::{self, MarketplaceAgent};
use abetworks::pagination::{Page, PageRequest};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use super::whole_list;
use crate::error::ApiError;
use crate::extract::{ClientIp, CurrentUser};
use crate::input::{ApiJson, ApiQuery};
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AgentQuery {
    q: Option<String>,
    category: Option<String>,
    /// In cents.
    min_price: Option<i64>,
    max_price: Option<i64>,
}

/// Every match on one page: the marketplace is small enough to list whole.
pub async fn agents(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(query): ApiQuery<AgentQuery>,
) -> Result<Json<Page<MarketplaceAgent>>, ApiError> {
    let filter = CatalogFilter {
        query: query.q,
        category: query.category,
        min_price_cents: query.min_price,
        max_price_cents: query.max_price,
    };
    let items = marketplace::list_for_user(&state.db, current.id(), &filter).await?;
    Ok(Json(whole_list(items)))
}

pub async fn my_agents(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<Vec<LicenseView>>, ApiError> {
    Ok(Json(
        abetworks::licenses::list_for_holder(&state.db, current.id()).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequestAccessBody {
    agent_id: String,
    request_reason: String,
}

pub async fn request_access(
    State(state): State<AppState>,
    current: CurrentUser,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<RequestAccessBody>,
) -> Result<(StatusCode, Json<AccessRequestView>), ApiError> {
    let created = access_requests::create(
        &state.db,
        current.id(),
        Some(&ip),
        NewAccessRequest {
            agent_id: body.agent_id,
            reason: body.request_reason,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PageQuery {
    page: Option<i64>,
    page_size: Option<i64>,
}

pub async fn my_requests(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<Page<AccessRequestView>>, ApiError> {
    let page = PageRequest::new(query.page, query.page_size)?;
    Ok(Json(
        access_requests::list_mine(&state.db, current.id(), page).await?,
    ))
}
