//! Where a call's unit came from, and the one refund of every path.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::{refund, UsageSource};
use crate::entities::module_executions as executions;
use crate::error::CoreResult;

/// Where an admitted call's unit came from, so a refund goes back there: the caller's own
/// license, or their organisation's pool (a subscription) for the agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unit {
    License(String),
    Subscription(String),
}

impl Unit {
    /// The unit an execution's row took, if it took one (its license or its pool).
    pub fn of_execution(execution: &executions::Model) -> Option<Self> {
        match (&execution.license_id, &execution.subscription_id) {
            (Some(license_id), _) => Some(Self::License(license_id.clone())),
            (None, Some(subscription_id)) => Some(Self::Subscription(subscription_id.clone())),
            (None, None) => None,
        }
    }

    pub fn license_id(&self) -> Option<&str> {
        match self {
            Self::License(id) => Some(id),
            Self::Subscription(_) => None,
        }
    }

    pub fn subscription_id(&self) -> Option<&str> {
        match self {
            Self::Subscription(id) => Some(id),
            Self::License(_) => None,
        }
    }

    /// What the call's usage answer names as its source.
    pub fn source(&self) -> UsageSource {
        match self {
            Self::License(_) => UsageSource::License,
            Self::Subscription(_) => UsageSource::Subscription,
        }
    }
}

/// Gives back the unit of `user_id`'s call that did not succeed, to the window it was taken
/// from: to the license, or to the pool and the member's share of it. The one refund of
/// every path (a failed call, a sweep, a cancelled or failed run). `false` when there was
/// none to give (the window is over, or the license or pool is gone).
pub async fn give_back(
    db: &impl ConnectionTrait,
    unit: &Unit,
    user_id: &str,
    window_start_unix: i64,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    match unit {
        Unit::License(license_id) => refund(db, license_id, window_start_unix, now).await,
        Unit::Subscription(subscription_id) => {
            crate::subscriptions::admission::give_back(
                db,
                subscription_id,
                user_id,
                window_start_unix,
                now,
            )
            .await
        }
    }
}
