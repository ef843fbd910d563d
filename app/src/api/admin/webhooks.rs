//! Webhook endpoints (super admin): list, register (the secret is answered once), change,
//! disable, delete, and each endpoint's delivery log with a manual redeliver. Thin: the rules,
//! the address checks and the role check are `abetworks::webhooks`'.

use abetworks_types::enums::{EventType, WebhookStatus};
use abetworks_types::views::{DeliveryView, WebhookCreated, WebhookEndpointView};
use abetworks_types::Page;
use leptos::prelude::*;

use crate::error::AppError;

/// Every endpoint, newest first, a page at a time.
#[server(endpoint = "admin-ui/webhooks")]
pub async fn admin_webhooks(page: Option<u64>) -> Result<Page<WebhookEndpointView>, AppError> {
    use super::form::page_request;
    use crate::server::{as_super_admin, core_error};
    let (state, actor) = as_super_admin().await?;
    abetworks::webhooks::list(&state.db, &actor, page_request(page)?)
        .await
        .map_err(core_error)
}

/// Registers an endpoint for `events`: the endpoint and its signing secret, answered once.
#[server(endpoint = "admin-ui/webhooks/create")]
pub async fn admin_create_webhook(
    url: String,
    #[server(default)] events: Vec<EventType>,
    #[server(default)] description: String,
) -> Result<WebhookCreated, AppError> {
    use crate::server::{as_super_admin, core_error};
    use abetworks_types::inputs::NewWebhook;
    let (state, actor) = as_super_admin().await?;
    let reach = abetworks::webhooks::Reach::of(&state.config);
    let input = NewWebhook {
        url,
        events,
        description,
    };
    abetworks::webhooks::create(&state.db, &actor, reach, input)
        .await
        .map_err(core_error)
}

/// Changes what is given of an endpoint: its URL, events, description, or status (`active`,
/// which also clears `failing`, or `disabled`).
#[server(endpoint = "admin-ui/webhooks/update")]
pub async fn admin_update_webhook(
    id: String,
    url: Option<String>,
    #[server(default)] events: Option<Vec<EventType>>,
    description: Option<String>,
    status: Option<WebhookStatus>,
) -> Result<WebhookEndpointView, AppError> {
    use crate::server::{as_super_admin, core_error};
    use abetworks_types::inputs::WebhookChange;
    let (state, actor) = as_super_admin().await?;
    let reach = abetworks::webhooks::Reach::of(&state.config);
    let change = WebhookChange {
        url,
        events,
        description,
        status,
    };
    abetworks::webhooks::update(&state.db, &actor, reach, &id, change)
        .await
        .map_err(core_error)
}

/// Removes an endpoint and its delivery log.
#[server(endpoint = "admin-ui/webhooks/delete")]
pub async fn admin_delete_webhook(id: String) -> Result<(), AppError> {
    use crate::server::{as_super_admin, core_error};
    let (state, actor) = as_super_admin().await?;
    abetworks::webhooks::delete(&state.db, &actor, &id)
        .await
        .map_err(core_error)
}

/// An endpoint's deliveries, newest first, a page at a time.
#[server(endpoint = "admin-ui/webhooks/deliveries")]
pub async fn admin_webhook_deliveries(
    id: String,
    page: Option<u64>,
) -> Result<Page<DeliveryView>, AppError> {
    use super::form::page_request;
    use crate::server::{as_super_admin, core_error};
    let (state, actor) = as_super_admin().await?;
    abetworks::webhooks::delivery_log(&state.db, &actor, &id, page_request(page)?)
        .await
        .map_err(core_error)
}

/// Sends a delivery again (due at once, whatever its state).
#[server(endpoint = "admin-ui/webhooks/redeliver")]
pub async fn admin_redeliver(id: String, delivery_id: String) -> Result<DeliveryView, AppError> {
    use crate::server::{as_super_admin, core_error};
    let (state, actor) = as_super_admin().await?;
    abetworks::webhooks::redeliver(&state.db, &actor, &id, &delivery_id)
        .await
        .map_err(core_error)
}
