//! `/api/admin/subscriptions*`: the super admin subscribes an organisation to an agent — a
//! pool of calls its members share (limit or unlimited, a quota window like a license's, an
//! optional cap per member) — and changes or ends it.

use abetworks::input::id_filter;
use abetworks::pagination::{Page, PageRequest};
use abetworks::subscriptions::{self, SubscriptionFilter};
use abetworks::types::enums::QuotaWindow;
use abetworks::types::inputs::QuotaPlan;
use abetworks::types::teams::{NewSubscription, SubscriptionChange, SubscriptionView};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::admin_licenses::{present, PlanFields};
use crate::error::ApiError;
use crate::extract::SuperAdmin;
use crate::input::{ApiJson, ApiPath, ApiQuery};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SubscriptionQuery {
    organization_id: Option<String>,
    page: Option<i64>,
    page_size: Option<i64>,
}

pub async fn list(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiQuery(query): ApiQuery<SubscriptionQuery>,
) -> Result<Json<Page<SubscriptionView>>, ApiError> {
    let page = PageRequest::new(query.page, query.page_size)?;
    let filter = SubscriptionFilter {
        organization_id: id_filter("organizationId", query.organization_id.as_deref())?,
    };
    Ok(Json(
        subscriptions::list(&state.db, &actor, &filter, page).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SubscriptionBody {
    organization_id: String,
    agent_id: String,
    /// The pool's calls per window; `-1` = unlimited.
    api_call_limit: i64,
    /// The most calls one member may take from the pool per window; absent = no cap.
    member_cap: Option<i64>,
    expires_at: Option<DateTime<Utc>>,
    /// `lifetime` when absent.
    window: Option<QuotaWindow>,
    /// An IANA zone such as `Europe/Berlin`; `UTC` when absent.
    window_time_zone: Option<String>,
    /// 1–28, the day a month window starts on; 1 when absent.
    reset_day: Option<i32>,
}

pub async fn create(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiJson(body): ApiJson<SubscriptionBody>,
) -> Result<(StatusCode, Json<SubscriptionView>), ApiError> {
    let plan = PlanFields {
        window: body.window,
        window_time_zone: body.window_time_zone,
        reset_day: body.reset_day,
        burst_per_second: None,
    }
    .over(QuotaPlan::default());
    let new = NewSubscription {
        organization_id: body.organization_id,
        agent_id: body.agent_id,
        api_call_limit: body.api_call_limit,
        plan,
        member_cap: body.member_cap,
        expires_at: body.expires_at,
    };
    let created = subscriptions::create(&state.db, &actor, new).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SubscriptionPatch {
    api_call_limit: Option<i64>,
    /// null: no cap.
    #[serde(default, deserialize_with = "present")]
    member_cap: Option<Option<i64>>,
    /// null: no expiry.
    #[serde(default, deserialize_with = "present")]
    expires_at: Option<Option<DateTime<Utc>>>,
    window: Option<QuotaWindow>,
    window_time_zone: Option<String>,
    reset_day: Option<i32>,
}

pub async fn update(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<SubscriptionPatch>,
) -> Result<Json<SubscriptionView>, ApiError> {
    let fields = PlanFields {
        window: patch.window,
        window_time_zone: patch.window_time_zone,
        reset_day: patch.reset_day,
        burst_per_second: None,
    };
    // The core takes a whole plan: the fields not sent keep the subscription's current values.
    let plan = if fields.is_empty() {
        None
    } else {
        let current = subscriptions::get(&state.db, &actor, &id).await?;
        Some(fields.over(QuotaPlan {
            window: current.window,
            window_time_zone: current.window_time_zone,
            reset_day: current.reset_day,
            burst_per_second: None,
        }))
    };
    let change = SubscriptionChange {
        api_call_limit: patch.api_call_limit,
        plan,
        member_cap: patch.member_cap,
        expires_at: patch.expires_at,
    };
    Ok(Json(
        subscriptions::update(&state.db, &actor, &id, change).await?,
    ))
}

pub async fn delete(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    subscriptions::delete(&state.db, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The subscription administration routes, as served and documented.
pub fn routes(api: super::ApiRoutes) -> super::ApiRoutes {
    use super::{Access, Route};
    api.add(
        Route::get(
            "/api/admin/subscriptions",
            Access::SuperAdmin,
            "Every subscription (an organisation's shared pool for an agent), by organisation",
        )
        .query::<SubscriptionQuery>()
        .answers_page::<SubscriptionView>(200),
        list,
    )
    .add(
        Route::post(
            "/api/admin/subscriptions",
            Access::SuperAdmin,
            "Subscribe an organisation to an agent: a pool its members share (apiCallLimit -1 = unlimited; memberCap caps each member)",
        )
        .body::<SubscriptionBody>()
        .answers::<SubscriptionView>(201)
        .fails(&[404, 409]),
        create,
    )
    .add(
        Route::patch(
            "/api/admin/subscriptions/{id}",
            Access::SuperAdmin,
            "Change a subscription's limit, quota window, member cap or expiry",
        )
        .body::<SubscriptionPatch>()
        .answers::<SubscriptionView>(200),
        update,
    )
    .add(
        Route::delete(
            "/api/admin/subscriptions/{id}",
            Access::SuperAdmin,
            "End a subscription: its members can no longer run the agent from the pool",
        )
        .answers_nothing(),
        delete,
    )
}
