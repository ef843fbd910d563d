//! Outbound webhooks: the super admin registers endpoint URLs with the event types each
//! wants; the delivery worker (`crate::deliveries`) sends each event signed per Standard
//! Webhooks (`signing`), from any instance, at least once. The secret is shown once, when
//! the endpoint is created; the audit trail never holds it.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder,
};
use serde_json::Value;

use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::db::{begin_write, find_or_404};
use crate::entities::enums::{EventType, WebhookStatus};
use crate::entities::{deliveries, webhook_endpoints as endpoints};
use crate::error::{CoreError, CoreResult};
use crate::ids::new_id;
use crate::input::{optional_text, page_of};
use crate::pagination::{Page, PageRequest};

mod address;
mod log;
mod send;
mod signing;
pub use address::{is_private, Reach, MAX_URL_CHARS};
pub use log::{deliveries as delivery_log, redeliver};
pub use send::{deliver, WebhookClient, MAX_ERROR_CHARS, WEBHOOK_TIMEOUT};
pub use signing::{signature, SECRET_PREFIX};

pub use abetworks_types::inputs::{NewWebhook, WebhookChange};
pub use abetworks_types::views::{DeliveryView, WebhookCreated, WebhookEndpointView};

/// The longest description accepted.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// What the audit trail names an endpoint.
const TARGET: &str = "webhook_endpoint";

/// Now, to the microsecond, as PostgreSQL keeps it: an answer equals what is read back later.
pub(crate) fn stored_now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The event types an endpoint wants, as stored (a JSON array of dotted names).
pub(crate) fn event_types(endpoint: &endpoints::Model) -> Vec<EventType> {
    let names = endpoint.event_types.as_array().cloned().unwrap_or_default();
    names
        .into_iter()
        .filter_map(|name| serde_json::from_value(name).ok())
        .collect()
}

fn view(endpoint: &endpoints::Model) -> WebhookEndpointView {
    WebhookEndpointView {
        id: endpoint.id.clone(),
        url: endpoint.url.clone(),
        description: endpoint.description.clone(),
        events: event_types(endpoint),
        status: endpoint.status,
        failing_since: endpoint.failing_since,
        created_at: endpoint.created_at,
        updated_at: endpoint.updated_at,
    }
}

/// At least one event type, each once, in the order given.
fn checked_events(events: &[EventType]) -> CoreResult<Value> {
    let mut unique: Vec<EventType> = Vec::new();
    for kind in events {
        if !unique.contains(kind) {
            unique.push(*kind);
        }
    }
    if unique.is_empty() {
        return Err(CoreError::invalid(
            "events",
            "must name at least one event type",
        ));
    }
    Ok(serde_json::to_value(unique).unwrap_or_default())
}

fn checked_description(text: &str) -> CoreResult<String> {
    Ok(optional_text("description", Some(text), MAX_DESCRIPTION_CHARS)?.unwrap_or_default())
}

/// A URL that may be saved under `reach`, in its normal form.
async fn checked_url(text: &str, reach: Reach) -> CoreResult<String> {
    let url = address::parse_url(text)?;
    address::check_reachable(&url, reach).await?;
    Ok(url.to_string())
}

/// Registers an endpoint (super admin). The answer holds its secret, shown this once.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    reach: Reach,
    input: NewWebhook,
) -> CoreResult<WebhookCreated> {
    actor.require_super_admin()?;
    let event_types = checked_events(&input.events)?;
    let description = checked_description(&input.description)?;
    let url = checked_url(&input.url, reach).await?;
    let now = stored_now();
    let endpoint = endpoints::Model {
        id: new_id(),
        url,
        description,
        event_types,
        secret: signing::new_secret(),
        status: WebhookStatus::Active,
        failing_since: None,
        created_by: Some(actor.user_id.clone()),
        created_at: now,
        updated_at: now,
    };
    let txn = begin_write(db).await?;
    endpoints::Entity::insert(endpoints::ActiveModel::from(endpoint.clone()).reset_all())
        .exec_without_returning(&txn)
        .await?;
    let created = view(&endpoint);
    AuditEntry::of("webhook.create", TARGET, &endpoint.id)
        .by(actor)
        .after(&created)
        .record(&txn)
        .await?;
    txn.commit().await?;
    Ok(WebhookCreated {
        endpoint: created,
        secret: endpoint.secret,
    })
}

/// Every endpoint, newest first (super admin).
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    page: PageRequest,
) -> CoreResult<Page<WebhookEndpointView>> {
    actor.require_super_admin()?;
    let selector = endpoints::Entity::find()
        .order_by_desc(endpoints::Column::CreatedAt)
        .order_by_desc(endpoints::Column::Id)
        .into_model::<endpoints::Model>();
    Ok(page_of(db, selector, page).await?.map(|e| view(&e)))
}

/// One endpoint (super admin); 404 for an unknown id.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: &str,
) -> CoreResult<WebhookEndpointView> {
    actor.require_super_admin()?;
    Ok(view(
        &find_or_404::<endpoints::Entity>(db, id, "webhook").await?,
    ))
}

/// Changes an endpoint's URL, events, description or status (super admin). `active`
/// also clears `failing`; `failing` itself is the worker's to set.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    reach: Reach,
    id: &str,
    change: WebhookChange,
) -> CoreResult<WebhookEndpointView> {
    actor.require_super_admin()?;
    if change.status == Some(WebhookStatus::Failing) {
        return Err(CoreError::invalid("status", "must be active or disabled"));
    }
    let event_types = change.events.as_deref().map(checked_events).transpose()?;
    let description = change
        .description
        .as_deref()
        .map(checked_description)
        .transpose()?;
    let url = match change.url.as_deref() {
        Some(text) => Some(checked_url(text, reach).await?),
        None => None,
    };
    let txn = begin_write(db).await?;
    let before = find_or_404::<endpoints::Entity>(&txn, id, "webhook").await?;
    let mut after = before.clone();
    after.url = url.unwrap_or(after.url);
    after.event_types = event_types.unwrap_or(after.event_types);
    after.description = description.unwrap_or(after.description);
    if let Some(status) = change.status {
        after.status = status;
        after.failing_since = None;
    }
    after.updated_at = stored_now();
    after
        .clone()
        .into_active_model()
        .reset_all()
        .update(&txn)
        .await?;
    AuditEntry::of("webhook.update", TARGET, id)
        .by(actor)
        .before(view(&before))
        .after(view(&after))
        .record(&txn)
        .await?;
    txn.commit().await?;
    Ok(view(&after))
}

/// Removes an endpoint and its delivery log (super admin); 404 for an unknown id.
pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: &str) -> CoreResult<()> {
    actor.require_super_admin()?;
    let txn = begin_write(db).await?;
    let before = find_or_404::<endpoints::Entity>(&txn, id, "webhook").await?;
    deliveries::Entity::delete_many()
        .filter(deliveries::Column::EndpointId.eq(id))
        .exec(&txn)
        .await?;
    endpoints::Entity::delete_by_id(id.to_owned())
        .exec(&txn)
        .await?;
    AuditEntry::of("webhook.delete", TARGET, id)
        .by(actor)
        .before(view(&before))
        .record(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Marks `endpoint_id` failing (a delivery to it was given up after a day), unless it is
/// disabled or failing already; on the caller's transaction.
pub(crate) async fn mark_failing(conn: &impl ConnectionTrait, endpoint_id: &str) -> CoreResult<()> {
    let now = Utc::now();
    endpoints::Entity::update_many()
        .col_expr(
            endpoints::Column::Status,
            Expr::value(WebhookStatus::Failing),
        )
        .col_expr(endpoints::Column::FailingSince, Expr::value(Some(now)))
        .col_expr(endpoints::Column::UpdatedAt, Expr::value(now))
        .filter(endpoints::Column::Id.eq(endpoint_id))
        .filter(endpoints::Column::Status.eq(WebhookStatus::Active))
        .exec(conn)
        .await?;
    Ok(())
}

/// Marks a failing `endpoint_id` active again: a delivery to it was accepted.
pub(crate) async fn mark_recovered(
    conn: &impl ConnectionTrait,
    endpoint_id: &str,
) -> CoreResult<()> {
    endpoints::Entity::update_many()
        .col_expr(
            endpoints::Column::Status,
            Expr::value(WebhookStatus::Active),
        )
        .col_expr(
            endpoints::Column::FailingSince,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(endpoints::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(endpoints::Column::Id.eq(endpoint_id))
        .filter(endpoints::Column::Status.eq(WebhookStatus::Failing))
        .exec(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
