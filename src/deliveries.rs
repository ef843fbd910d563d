//! Email and webhook deliveries of outbox events: each is claimed by one instance under a
//! lease, attempted, and retried with exponential backoff and jitter until it succeeds or a
//! day has passed. An instance that dies mid-delivery loses its lease and another (or the
//! restarted one) delivers again: at least once; receivers deduplicate by event id.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand_core::{OsRng, RngCore};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::db::begin_write;
use crate::entities::enums::{DeliveryChannel, DeliveryStatus};
use crate::entities::{deliveries, outbox_events};
use crate::error::CoreResult;
use crate::ids::new_id;
use crate::input::storable_text;
use crate::state::AppState;
use crate::webhooks::MAX_ERROR_CHARS;

/// What one attempt at a delivery came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Accepted by the receiver (a 2xx, or the SMTP server took the message).
    Delivered {
        status_code: Option<i32>,
        latency_ms: i64,
    },
    /// Not accepted; `retry` is false when trying again cannot help (the recipient is gone).
    Failed {
        status_code: Option<i32>,
        latency_ms: i64,
        error: String,
        retry: bool,
    },
}

impl Attempt {
    fn status_code(&self) -> Option<i32> {
        match self {
            Self::Delivered { status_code, .. } | Self::Failed { status_code, .. } => *status_code,
        }
    }

    fn latency_ms(&self) -> i64 {
        match self {
            Self::Delivered { latency_ms, .. } | Self::Failed { latency_ms, .. } => *latency_ms,
        }
    }
}

/// A pending delivery of `event` on `channel` to a user (email) or an endpoint (webhook), due
/// now (the dispatcher writes these).
pub(crate) fn pending(
    event: &outbox_events::Model,
    channel: DeliveryChannel,
    user_id: Option<String>,
    endpoint_id: Option<String>,
) -> deliveries::ActiveModel {
    let now = Utc::now();
    deliveries::ActiveModel {
        id: Set(new_id()),
        event_id: Set(event.id.clone()),
        channel: Set(channel),
        user_id: Set(user_id),
        endpoint_id: Set(endpoint_id),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        last_status_code: Set(None),
        last_error: Set(None),
        last_latency_ms: Set(None),
        created_at: Set(now),
        delivered_at: Set(None),
    }
}

/// `update` also releases the delivery's lease: whoever held it no longer owns the row.
pub(crate) fn releasing_lease(
    update: sea_orm::UpdateMany<deliveries::Entity>,
) -> sea_orm::UpdateMany<deliveries::Entity> {
    update
        .col_expr(
            deliveries::Column::LeaseOwner,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            deliveries::Column::LeaseExpiresAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
}

/// Deliveries claimed per look at the table, at most.
pub const CLAIM_BATCH: u64 = 16;
/// The longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// A delivery still failing this long after its event is given up (`failed`).
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Who claims deliveries and for how long, and how long failed ones wait.
#[derive(Clone, Debug)]
pub struct DeliverySettings {
    /// This instance (`AppState::instance_id`).
    pub owner: Arc<str>,
    pub lease: Duration,
    pub retry_base: Duration,
}

impl DeliverySettings {
    pub fn of(state: &AppState) -> Self {
        Self {
            owner: state.instance_id.clone(),
            lease: state.config.delivery_lease,
            retry_base: state.config.delivery_retry_base,
        }
    }
}

/// The wait before the attempt after the `failures`-th failure: `base` doubled per earlier
/// failure, at most [`MAX_BACKOFF`], spread by ±50 % (`jitter` in 0..1 picks where), so
/// endpoints that failed together are not all retried together.
pub fn backoff(base: Duration, failures: i32, jitter: f64) -> Duration {
    let doublings = failures.saturating_sub(1).clamp(0, 30) as u32;
    let delay = base.saturating_mul(1 << doublings).min(MAX_BACKOFF);
    delay.mul_f64(0.5 + jitter.clamp(0.0, 1.0))
}

/// A random number in 0..1 for [`backoff`].
fn random_jitter() -> f64 {
    (OsRng.next_u32() as f64) / (u32::MAX as f64 + 1.0)
}

fn chrono_of(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

/// Pending deliveries due at `now` that nobody holds (never claimed, or their lease ended).
fn due(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(deliveries::Column::Status.eq(DeliveryStatus::Pending))
        .add(deliveries::Column::NextAttemptAt.lte(now))
        .add(
            Condition::any()
                .add(deliveries::Column::LeaseExpiresAt.is_null())
                .add(deliveries::Column::LeaseExpiresAt.lt(now)),
        )
}

/// Claims up to `limit` due deliveries for `settings.owner` until `now + lease`, the longest
/// waiting first. Looks without a write lock first, so idle instances do not queue for it;
/// on PostgreSQL the rows are taken `FOR UPDATE SKIP LOCKED` (two instances take different
/// rows), on SQLite the immediate transaction serialises claimers.
pub async fn claim_due(
    db: &DatabaseConnection,
    settings: &DeliverySettings,
    now: DateTime<Utc>,
    limit: u64,
) -> CoreResult<Vec<deliveries::Model>> {
    if limit == 0
        || deliveries::Entity::find()
            .filter(due(now))
            .one(db)
            .await?
            .is_none()
    {
        return Ok(Vec::new());
    }
    let txn = begin_write(db).await?;
    let mut query = deliveries::Entity::find()
        .filter(due(now))
        .order_by_asc(deliveries::Column::NextAttemptAt)
        .order_by_asc(deliveries::Column::Id)
        .limit(limit);
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let ids: Vec<String> = query.all(&txn).await?.into_iter().map(|d| d.id).collect();
    if ids.is_empty() {
        txn.commit().await?;
        return Ok(Vec::new());
    }
    let until = now + chrono_of(settings.lease);
    deliveries::Entity::update_many()
        .col_expr(
            deliveries::Column::LeaseOwner,
            Expr::value(Some(settings.owner.to_string())),
        )
        .col_expr(deliveries::Column::LeaseExpiresAt, Expr::value(Some(until)))
        .filter(deliveries::Column::Id.is_in(ids.clone()))
        .filter(due(now))
        .exec(&txn)
        .await?;
    let claimed = deliveries::Entity::find()
        .filter(deliveries::Column::Id.is_in(ids))
        .filter(deliveries::Column::LeaseOwner.eq(settings.owner.as_ref()))
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(claimed)
}

/// Where a delivery stands after an attempt was recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    Delivered,
    /// Failed; tried again at the time given.
    Retrying(DateTime<Utc>),
    /// Failed for good: it could not help, or the event is older than [`GIVE_UP_AFTER`].
    GaveUp,
    /// This instance no longer held the delivery (redelivered, or its lease was taken): the
    /// attempt changed nothing.
    NotHeld,
}

/// Records how `attempt` at `delivery` went, only while `settings.owner` still holds it: one
/// more attempt, the answer's code, latency and error; `succeeded`, or due again after
/// [`backoff`], or `failed` once it cannot help or a day has passed — then a webhook's endpoint
/// is marked failing. In one transaction.
pub async fn record(
    db: &DatabaseConnection,
    settings: &DeliverySettings,
    delivery: &deliveries::Model,
    attempt: &Attempt,
    now: DateTime<Utc>,
) -> CoreResult<Recorded> {
    let attempts = delivery.attempts.saturating_add(1);
    let (outcome, error) = match attempt {
        Attempt::Delivered { .. } => (Recorded::Delivered, None),
        Attempt::Failed { error, retry, .. } => {
            let wait = backoff(settings.retry_base, attempts, random_jitter());
            let next = now + chrono_of(wait);
            let too_old = now >= delivery.created_at + chrono_of(GIVE_UP_AFTER);
            let outcome = if *retry && !too_old {
                Recorded::Retrying(next)
            } else {
                Recorded::GaveUp
            };
            (outcome, Some(storable_text(error, MAX_ERROR_CHARS + 1)))
        }
    };
    let status = match outcome {
        Recorded::Delivered => DeliveryStatus::Succeeded,
        Recorded::GaveUp => DeliveryStatus::Failed,
        _ => DeliveryStatus::Pending,
    };
    let mut update = deliveries::Entity::update_many()
        .col_expr(deliveries::Column::Status, Expr::value(status))
        .col_expr(deliveries::Column::Attempts, Expr::value(attempts))
        .col_expr(
            deliveries::Column::LastStatusCode,
            Expr::value(attempt.status_code()),
        )
        .col_expr(
            deliveries::Column::LastLatencyMs,
            Expr::value(Some(attempt.latency_ms())),
        )
        .col_expr(deliveries::Column::LastError, Expr::value(error));
    update = releasing_lease(update);
    match outcome {
        Recorded::Delivered => {
            update = update.col_expr(deliveries::Column::DeliveredAt, Expr::value(Some(now)));
        }
        Recorded::Retrying(next) => {
            update = update.col_expr(deliveries::Column::NextAttemptAt, Expr::value(next));
        }
        _ => {}
    }
    let txn = begin_write(db).await?;
    let changed = update
        .filter(deliveries::Column::Id.eq(&delivery.id))
        .filter(deliveries::Column::Status.eq(DeliveryStatus::Pending))
        .filter(deliveries::Column::LeaseOwner.eq(settings.owner.as_ref()))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        txn.commit().await?;
        return Ok(Recorded::NotHeld);
    }
    if let Some(endpoint_id) = &delivery.endpoint_id {
        match outcome {
            Recorded::Delivered => crate::webhooks::mark_recovered(&txn, endpoint_id).await?,
            Recorded::GaveUp if matches!(attempt, Attempt::Failed { retry: true, .. }) => {
                crate::webhooks::mark_failing(&txn, endpoint_id).await?
            }
            _ => {}
        }
    }
    txn.commit().await?;
    Ok(outcome)
}

mod worker;
pub use worker::run_delivery_worker;

#[cfg(test)]
mod tests;
