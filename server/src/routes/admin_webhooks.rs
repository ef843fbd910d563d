//! `/api/admin/webhooks*`: the super admin registers, changes and removes webhook endpoints,
//! reads each one's delivery log and sends a delivery again.

use abetworks::pagination::Page;
use abetworks::types::enums::{EventType, WebhookStatus};
use abetworks::webhooks::{
    self, DeliveryView, NewWebhook, Reach, WebhookChange, WebhookCreated, WebhookEndpointView,
};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use super::{PageQuery, Paging};
use crate::error::ApiError;
use crate::extract::SuperAdmin;
use crate::input::{ApiJson, ApiPath};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WebhookBody {
    /// `https://…` (or `http://…`), at most 2048 characters; loopback and private addresses
    /// are refused unless `ABETWORKS_WEBHOOK_ALLOW_PRIVATE=true`.
    url: String,
    /// The event types to send, at least one.
    events: Vec<EventType>,
    /// At most 500 characters.
    #[serde(default)]
    description: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WebhookPatch {
    url: Option<String>,
    events: Option<Vec<EventType>>,
    description: Option<String>,
    /// `active` (also clears `failing`) or `disabled`.
    status: Option<WebhookStatus>,
}

pub async fn list(
    SuperAdmin { state, actor }: SuperAdmin,
    Paging(page): Paging,
) -> Result<Json<Page<WebhookEndpointView>>, ApiError> {
    Ok(Json(webhooks::list(&state.db, &actor, page).await?))
}

pub async fn create(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiJson(body): ApiJson<WebhookBody>,
) -> Result<(StatusCode, Json<WebhookCreated>), ApiError> {
    let input = NewWebhook {
        url: body.url,
        events: body.events,
        description: body.description,
    };
    let reach = Reach::of(&state.config);
    let created = webhooks::create(&state.db, &actor, reach, input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

pub async fn update(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<WebhookPatch>,
) -> Result<Json<WebhookEndpointView>, ApiError> {
    let change = WebhookChange {
        url: patch.url,
        events: patch.events,
        description: patch.description,
        status: patch.status,
    };
    let reach = Reach::of(&state.config);
    Ok(Json(
        webhooks::update(&state.db, &actor, reach, &id, change).await?,
    ))
}

pub async fn delete(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    webhooks::delete(&state.db, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn deliveries(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiPath(id): ApiPath<String>,
    Paging(page): Paging,
) -> Result<Json<Page<DeliveryView>>, ApiError> {
    Ok(Json(
        webhooks::delivery_log(&state.db, &actor, &id, page).await?,
    ))
}

pub async fn redeliver(
    SuperAdmin { state, actor }: SuperAdmin,
    ApiPath((id, delivery_id)): ApiPath<(String, String)>,
) -> Result<Json<DeliveryView>, ApiError> {
    Ok(Json(
        webhooks::redeliver(&state.db, &actor, &id, &delivery_id).await?,
    ))
}

/// The webhook administration routes, as served and documented.
pub fn routes(api: super::ApiRoutes) -> super::ApiRoutes {
    use super::{Access, Route};
    api.add(
        Route::get(
            "/api/admin/webhooks",
            Access::SuperAdmin,
            "Every webhook endpoint, newest first",
        )
        .query::<PageQuery>()
        .answers_page::<WebhookEndpointView>(200),
        list,
    )
    .add(
        Route::post(
            "/api/admin/webhooks",
            Access::SuperAdmin,
            "Register a webhook endpoint; the answer holds its signing secret, shown this once",
        )
        .body::<WebhookBody>()
        .answers::<WebhookCreated>(201),
        create,
    )
    .add(
        Route::patch(
            "/api/admin/webhooks/{id}",
            Access::SuperAdmin,
            "Change a webhook endpoint's URL, events, description or status",
        )
        .body::<WebhookPatch>()
        .answers::<WebhookEndpointView>(200),
        update,
    )
    .add(
        Route::delete(
            "/api/admin/webhooks/{id}",
            Access::SuperAdmin,
            "Remove a webhook endpoint and its delivery log",
        )
        .answers_nothing(),
        delete,
    )
    .add(
        Route::get(
            "/api/admin/webhooks/{id}/deliveries",
            Access::SuperAdmin,
            "A webhook endpoint's deliveries, newest first: status, attempts, last answer, latency",
        )
        .query::<PageQuery>()
        .answers_page::<DeliveryView>(200),
        deliveries,
    )
    .add(
        Route::post(
            "/api/admin/webhooks/{id}/deliveries/{deliveryId}/redeliver",
            Access::SuperAdmin,
            "Send a delivery again now (its attempts are kept)",
        )
        .answers::<DeliveryView>(200),
        redeliver,
    )
}
