//! An endpoint's delivery log (status, attempts, last answer and latency) and the manual
//! redeliver.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};

use super::{DeliveryView, TARGET};
use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::db::{begin_write, find_or_404};
use crate::entities::enums::{DeliveryStatus, EventType};
use crate::entities::{deliveries, outbox_events, webhook_endpoints as endpoints};
use crate::error::{CoreError, CoreResult};
use crate::ids::is_valid_id;
use crate::input::page_of;
use crate::pagination::{Page, PageRequest};

fn delivery_view(delivery: deliveries::Model, event_type: EventType) -> DeliveryView {
    let pending = delivery.status == DeliveryStatus::Pending;
    DeliveryView {
        id: delivery.id,
        event_id: delivery.event_id,
        event_type,
        channel: delivery.channel,
        status: delivery.status,
        attempts: delivery.attempts,
        last_status_code: delivery.last_status_code,
        last_latency_ms: delivery.last_latency_ms,
        last_error: delivery.last_error,
        next_attempt_at: pending.then_some(delivery.next_attempt_at),
        created_at: delivery.created_at,
        delivered_at: delivery.delivered_at,
    }
}

/// The deliveries' views, each with its event's type (one query for the page's events).
async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<deliveries::Model>,
) -> CoreResult<Vec<DeliveryView>> {
    let ids: Vec<String> = rows.iter().map(|d| d.event_id.clone()).collect();
    let kinds: HashMap<String, EventType> = outbox_events::Entity::find()
        .filter(outbox_events::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|event| (event.id, event.event_type))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|delivery| {
            let kind = *kinds.get(&delivery.event_id)?;
            Some(delivery_view(delivery, kind))
        })
        .collect())
}

/// The deliveries of endpoint `endpoint_id`, newest first (super admin); 404 for an unknown
/// endpoint.
pub async fn deliveries(
    db: &impl ConnectionTrait,
    actor: &Actor,
    endpoint_id: &str,
    page: PageRequest,
) -> CoreResult<Page<DeliveryView>> {
    actor.require_super_admin()?;
    find_or_404::<endpoints::Entity>(db, endpoint_id, "webhook").await?;
    let selector = deliveries::Entity::find()
        .filter(deliveries::Column::EndpointId.eq(endpoint_id))
        .order_by_desc(deliveries::Column::CreatedAt)
        .order_by_desc(deliveries::Column::Id)
        .into_model::<deliveries::Model>();
    let rows = page_of(db, selector, page).await?;
    let items = views(db, rows.items).await?;
    Ok(Page {
        items,
        total: rows.total,
        page: rows.page,
        page_size: rows.page_size,
    })
}

/// Sends delivery `delivery_id` of endpoint `endpoint_id` again, as soon as a worker is free
/// (super admin): pending, due now, its attempts kept. 404 for an unknown endpoint or a
/// delivery of another endpoint.
pub async fn redeliver(
    db: &DatabaseConnection,
    actor: &Actor,
    endpoint_id: &str,
    delivery_id: &str,
) -> CoreResult<DeliveryView> {
    actor.require_super_admin()?;
    let not_found = CoreError::NotFound { entity: "delivery" };
    let txn = begin_write(db).await?;
    find_or_404::<endpoints::Entity>(&txn, endpoint_id, "webhook").await?;
    if !is_valid_id(delivery_id) {
        return Err(not_found);
    }
    let before = deliveries::Entity::find_by_id(delivery_id.to_owned())
        .filter(deliveries::Column::EndpointId.eq(endpoint_id))
        .one(&txn)
        .await?
        .ok_or(not_found)?;
    let now = super::stored_now();
    // The lease goes too: an attempt in flight no longer owns the row and records nothing.
    let update = deliveries::Entity::update_many()
        .col_expr(
            deliveries::Column::Status,
            Expr::value(DeliveryStatus::Pending),
        )
        .col_expr(deliveries::Column::NextAttemptAt, Expr::value(now));
    crate::deliveries::releasing_lease(update)
        .col_expr(
            deliveries::Column::DeliveredAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(deliveries::Column::Id.eq(delivery_id))
        .exec(&txn)
        .await?;
    let after = deliveries::Model {
        status: DeliveryStatus::Pending,
        next_attempt_at: now,
        lease_owner: None,
        lease_expires_at: None,
        delivered_at: None,
        ..before.clone()
    };
    AuditEntry::of("webhook.redeliver", TARGET, endpoint_id)
        .by(actor)
        .before(serde_json::json!({"deliveryId": before.id, "status": before.status}))
        .after(serde_json::json!({"deliveryId": after.id, "status": after.status}))
        .record(&txn)
        .await?;
    let mut view = views(&txn, vec![after]).await?;
    txn.commit().await?;
    view.pop().ok_or(CoreError::NotFound { entity: "delivery" })
}
