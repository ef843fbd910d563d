//! `/api/marketplace/*` and `/api/usage/my-usage`: what a signed-in customer sees.

use abetworks::access_requests::{self, AccessRequestView, NewAccessRequest};
use abetworks::catalog::CatalogFilter;
use abetworks::licenses::LicenseView;
use abetworks::marketplace::{self, AgentAccess};
use abetworks::pagination::{Page, PageRequest};
use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ApiError;
use crate::extract::{ClientIp, CurrentUser};
use crate::input::{ApiJson, ApiQuery};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AgentQuery {
    q: Option<String>,
    category: Option<String>,
    /// In cents.
    min_price: Option<i64>,
    max_price: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MarketplaceAgentView {
    #[serde(flatten)]
    agent: Value,
    access: AgentAccess,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentList {
    items: Vec<MarketplaceAgentView>,
    total: usize,
    page: u64,
    page_size: usize,
}

pub async fn agents(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(query): ApiQuery<AgentQuery>,
) -> Result<Json<AgentList>, ApiError> {
    let filter = CatalogFilter {
        query: query.q,
        category: query.category,
        min_price_cents: query.min_price,
        max_price_cents: query.max_price,
    };
    let items: Vec<MarketplaceAgentView> =
        marketplace::list_for_user(&state.db, current.id(), &filter)
            .await?
            .into_iter()
            .map(|m| MarketplaceAgentView {
                agent: serde_json::to_value(&m.agent).unwrap_or(Value::Null),
                access: m.access,
            })
            .collect();
    let total = items.len();
    Ok(Json(AgentList {
        items,
        total,
        page: 1,
        page_size: total.max(1),
    }))
}

pub async fn my_agents(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<Vec<LicenseView>>, ApiError> {
    Ok(Json(
        abetworks::usage::my_usage(&state.db, current.id()).await?,
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
