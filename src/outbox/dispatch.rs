//! The dispatcher: fans undispatched events out into in-app notifications and email and
//! webhook deliveries. Any instance runs it (`run_dispatcher`); a batch is one transaction
//! that claims its events (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two dispatchers take
//! different events; SQLite's immediate transaction serialises them), writes every row the
//! events make and marks them dispatched, so a batch happens wholly or not at all. The rows
//! are unique per event and recipient and inserted with `ON CONFLICT DO NOTHING`, so an event
//! fanned out again (a replay) writes nothing twice.
//!
//! Who is told (in-app, and by email when SMTP is configured and the user has not opted out):
//! new access requests and high or critical errors reach every active super admin; a new agent
//! reaches every active user; everything else reaches the user it is about (the requester, the
//! license holder, the run owner) — except a license event an approved request caused
//! (`viaRequest`), which the approval's notification already tells. Webhooks get every event
//! of the types each endpoint wants, unless the endpoint is disabled.

use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::message;
use crate::db::begin_write;
use crate::entities::enums::{DeliveryChannel, EventType, Role, WebhookStatus};
use crate::entities::{deliveries, notifications, outbox_events, users, webhook_endpoints};
use crate::error::CoreResult;
use crate::ids::new_id;
use crate::metric_names;
use crate::state::AppState;

/// Events fanned out per transaction.
pub const DISPATCH_BATCH: u64 = 100;

/// Who an event reaches in the app and by email.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Audience {
    SuperAdmins,
    Everyone,
    /// The event's `subject_user_id`.
    Subject,
    /// Webhooks only.
    Nobody,
}

fn audience(event: &outbox_events::Model) -> Audience {
    let via_request = event
        .payload
        .get("viaRequest")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    match event.event_type {
        EventType::AccessRequestCreated | EventType::ErrorLogged => Audience::SuperAdmins,
        EventType::AgentPublished => Audience::Everyone,
        EventType::LicenseGranted | EventType::LicenseChanged | EventType::LicenseRevoked
            if via_request =>
        {
            Audience::Nobody
        }
        _ => Audience::Subject,
    }
}

/// The active users `event` reaches.
async fn recipients(
    conn: &impl ConnectionTrait,
    event: &outbox_events::Model,
) -> CoreResult<Vec<String>> {
    let active = users::Entity::find().filter(users::Column::Disabled.eq(false));
    let found = match audience(event) {
        Audience::Nobody => return Ok(Vec::new()),
        Audience::SuperAdmins => active.filter(users::Column::Role.eq(Role::SuperAdmin)),
        Audience::Everyone => active,
        Audience::Subject => match &event.subject_user_id {
            Some(user_id) => active.filter(users::Column::Id.eq(user_id)),
            None => return Ok(Vec::new()),
        },
    };
    Ok(found
        .select_only()
        .column(users::Column::Id)
        .order_by_asc(users::Column::Id)
        .into_tuple::<String>()
        .all(conn)
        .await?)
}

/// The enabled endpoints that want events of `kind`.
async fn endpoints_wanting(
    conn: &impl ConnectionTrait,
    kind: EventType,
) -> CoreResult<Vec<String>> {
    let endpoints = webhook_endpoints::Entity::find()
        .filter(webhook_endpoints::Column::Status.ne(WebhookStatus::Disabled))
        .all(conn)
        .await?;
    Ok(endpoints
        .into_iter()
        .filter(|endpoint| {
            endpoint
                .event_types
                .as_array()
                .is_some_and(|types| types.iter().any(|t| t.as_str() == Some(kind.as_str())))
        })
        .map(|endpoint| endpoint.id)
        .collect())
}

/// Writes everything `event` makes: notifications, email deliveries (when `email` is on) and
/// webhook deliveries; a row that exists already is left alone.
async fn fan_out(
    conn: &impl ConnectionTrait,
    event: &outbox_events::Model,
    email: bool,
) -> CoreResult<()> {
    let users = recipients(conn, event).await?;
    let text = message::of_event(event);
    for chunk in users.chunks(200) {
        let rows = chunk.iter().map(|user_id| notifications::ActiveModel {
            id: Set(new_id()),
            user_id: Set(user_id.clone()),
            kind: Set(event.event_type),
            title: Set(text.title.clone()),
            body: Set(text.body.clone()),
            link: Set(Some(text.link.clone())),
            read_at: Set(None),
            created_at: Set(Utc::now()),
            event_id: Set(Some(event.id.clone())),
        });
        notifications::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([
                notifications::Column::EventId,
                notifications::Column::UserId,
            ])
            .exec_without_returning(conn)
            .await?;
    }
    if email {
        let mailed = crate::notifications::wanting_email(conn, event.event_type, &users).await?;
        for chunk in mailed.chunks(200) {
            let rows = chunk.iter().map(|user_id| {
                crate::deliveries::pending(
                    event,
                    DeliveryChannel::Email,
                    Some(user_id.clone()),
                    None,
                )
            });
            deliveries::Entity::insert_many(rows)
                .on_conflict_do_nothing_on([
                    deliveries::Column::EventId,
                    deliveries::Column::UserId,
                ])
                .exec_without_returning(conn)
                .await?;
        }
    }
    let endpoints = endpoints_wanting(conn, event.event_type).await?;
    let rows = endpoints.into_iter().map(|endpoint_id| {
        crate::deliveries::pending(event, DeliveryChannel::Webhook, None, Some(endpoint_id))
    });
    deliveries::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([deliveries::Column::EventId, deliveries::Column::EndpointId])
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Fans out up to [`DISPATCH_BATCH`] undispatched events, oldest first, in one transaction;
/// email deliveries only when `email` (SMTP is configured). Returns how many it dispatched.
pub async fn dispatch_batch(db: &DatabaseConnection, email: bool) -> CoreResult<u64> {
    let undispatched =
        || outbox_events::Entity::find().filter(outbox_events::Column::DispatchedAt.is_null());
    // A plain read first: an idle dispatcher takes no write lock (SQLite has one for all).
    if undispatched().one(db).await?.is_none() {
        return Ok(0);
    }
    let txn = begin_write(db).await?;
    let mut query = undispatched()
        .order_by_asc(outbox_events::Column::CreatedAt)
        .order_by_asc(outbox_events::Column::Id)
        .limit(DISPATCH_BATCH);
    if db.get_database_backend() == DbBackend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let events = query.all(&txn).await?;
    for event in &events {
        fan_out(&txn, event, email).await?;
    }
    if !events.is_empty() {
        outbox_events::Entity::update_many()
            .col_expr(outbox_events::Column::DispatchedAt, Expr::value(Utc::now()))
            .filter(outbox_events::Column::Id.is_in(events.iter().map(|e| e.id.clone())))
            .filter(outbox_events::Column::DispatchedAt.is_null())
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(events.len() as u64)
}

/// Fans out every undispatched event (batch after batch) and sets the lag gauge.
pub async fn dispatch_all(db: &DatabaseConnection, email: bool) -> CoreResult<u64> {
    let mut dispatched = 0;
    loop {
        let done = dispatch_batch(db, email).await?;
        dispatched += done;
        if done < DISPATCH_BATCH {
            break;
        }
    }
    record_lag(db).await?;
    Ok(dispatched)
}

/// Sets the outbox lag gauge: the age in seconds of the oldest undispatched event (0 if none).
async fn record_lag(db: &DatabaseConnection) -> CoreResult<()> {
    let oldest = outbox_events::Entity::find()
        .filter(outbox_events::Column::DispatchedAt.is_null())
        .order_by_asc(outbox_events::Column::CreatedAt)
        .one(db)
        .await?;
    let lag = oldest.map_or(0.0, |event| {
        (Utc::now() - event.created_at).num_milliseconds().max(0) as f64 / 1000.0
    });
    metrics::gauge!(metric_names::OUTBOX_LAG_SECONDS).set(lag);
    Ok(())
}

/// Dispatches every `state.config.outbox_poll`, forever (the server spawns it beside the
/// sweeper; dropping the task stops it). A failed pass is logged and the next one tries again.
pub async fn run_dispatcher(state: AppState) {
    let every = std::cmp::max(state.config.outbox_poll, Duration::from_millis(10));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let email = state.config.mail.configured();
        if let Err(e) = dispatch_all(&state.db, email).await {
            tracing::warn!("the outbox dispatch failed: {e}");
        }
    }
}
