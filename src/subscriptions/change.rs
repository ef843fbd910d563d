//! Changing a subscription in place: its limit, plan, member cap or expiry. One UPDATE of the
//! pool (and, for a new plan, of its members' shares) and one audit entry, in one transaction.
//! Concurrent admissions are never lost: the counters are only written by expressions on the
//! rows themselves, and admission requires the plan and cap it read to be unchanged.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::{admission, checked_plan, validate_member_cap, view_at, SubscriptionChange};
use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::db::{begin_write, find_or_404};
use crate::entities::{agent_subscriptions as subscriptions, subscription_member_usage as members};
use crate::error::{CoreError, CoreResult};
use crate::licenses;
use crate::quota::{window, WindowCounter};
use abetworks_types::teams::SubscriptionView;

/// Changes a subscription (super admin), now: see [`update_at`].
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    subscription_id: &str,
    change: SubscriptionChange,
) -> CoreResult<SubscriptionView> {
    update_at(db, actor, subscription_id, change, Utc::now()).await
}

/// Changes the limit, plan, member cap or expiry of a subscription (super admin). `now` is the
/// window a new plan starts from: the calls the pool (and each member) used in the current
/// window carry over into the new plan's current window. 404 for an unknown id.
pub async fn update_at(
    db: &DatabaseConnection,
    actor: &Actor,
    subscription_id: &str,
    change: SubscriptionChange,
    now: DateTime<Utc>,
) -> CoreResult<SubscriptionView> {
    use subscriptions::Column as C;
    actor.require_super_admin()?;
    if let Some(limit) = change.api_call_limit {
        licenses::validate_limit(limit)?;
    }
    if let Some(cap) = change.member_cap {
        validate_member_cap(cap)?;
    }
    if let Some(expires_at) = change.expires_at {
        licenses::validate_expiry(expires_at, now)?;
    }
    let plan = change.plan.as_ref().map(checked_plan).transpose()?;
    let txn = begin_write(db).await?;
    let before =
        find_or_404::<subscriptions::Entity>(&txn, subscription_id, "subscription").await?;
    let mut update = subscriptions::Entity::update_many()
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Id.eq(&before.id));
    if let Some(limit) = change.api_call_limit {
        update = update.col_expr(C::ApiCallLimit, Expr::value(limit));
    }
    if let Some(cap) = change.member_cap {
        update = update.col_expr(C::MemberCap, Expr::value(cap));
    }
    if let Some(expires_at) = change.expires_at {
        update = update.col_expr(C::ExpiresAt, Expr::value(expires_at));
    }
    // The window the counters belong to after the change: the new plan's current one.
    let mut moved = None;
    if let Some(plan) = &plan {
        update = update
            .col_expr(C::QuotaWindow, Expr::value(plan.window))
            .col_expr(
                C::WindowTimeZone,
                Expr::value(plan.window_time_zone.clone()),
            )
            .col_expr(C::ResetDay, Expr::value(plan.reset_day));
        moved = window::start_after_change(
            before.quota_window,
            &before.window_time_zone,
            before.reset_day,
            plan,
            now,
        )
        .map(|new_start| (admission::plan_of(&before).start_unix(now), new_start));
    }
    if let Some((old_start, new_start)) = moved {
        // What the current window used carries over; a stored window already over carries
        // nothing.
        let counter = WindowCounter {
            start: C::WindowStartUnix,
            used: C::ApiCallsUsed,
        };
        update = update
            .col_expr(C::ApiCallsUsed, counter.carried_over(old_start))
            .col_expr(C::WindowStartUnix, Expr::value(new_start));
    }
    if update.exec(&txn).await?.rows_affected != 1 {
        return Err(CoreError::NotFound {
            entity: "subscription",
        });
    }
    if let Some((old_start, new_start)) = moved {
        // The members' shares move with the pool, so a share never counts a window other than
        // the pool's (the cap is checked in the pool's window).
        use members::Column as M;
        let share = WindowCounter {
            start: M::WindowStartUnix,
            used: M::CallsUsed,
        };
        members::Entity::update_many()
            .col_expr(M::CallsUsed, share.carried_over(old_start))
            .col_expr(M::WindowStartUnix, Expr::value(new_start))
            .filter(M::SubscriptionId.eq(&before.id))
            .exec(&txn)
            .await?;
    }
    let after = subscriptions::Entity::find_by_id(&before.id)
        .one(&txn)
        .await?;
    AuditEntry::of("subscription.update", "subscription", &before.id)
        .by(actor)
        .before(&before)
        .after(after)
        .record(&txn)
        .await?;
    txn.commit().await?;
    view_at(db, &before.id, now).await
}
