//! Admission on an organisation's pool: the same single conditional UPDATE as a license's
//! (`quota::take_one`), on the `agent_subscriptions` row, never a read-then-write, so a pool
//! admits exactly its limit under any concurrency and across instances. With a per-member cap,
//! the member's share (`subscription_member_usage`) is taken in the same transaction by a
//! second conditional UPDATE, after the pool's.
//!
//! A refusal by the cap comes after the pool's UPDATE has counted the call: the caller's
//! transaction must then be dropped uncommitted (every caller returns the refusal without
//! committing), so nothing is written. On PostgreSQL the pool's UPDATE holds the pool row until
//! the transaction ends, so the admissions of one pool, their member rows and their refunds
//! always lock in the same order (pool, then member): no deadlock, and the cap read with the
//! pool is the cap in force (the UPDATE also requires it unchanged).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, Set};

use crate::db::update_returning;
use crate::entities::{
    agent_subscriptions as subscriptions, subscription_member_usage as members, users,
};
use crate::error::CoreResult;
use crate::ids::{is_valid_id, new_id};
use crate::quota::window::WindowPlan;
use crate::quota::{
    retry_after, Admission, LicenseDenial, QuotaContext, UsageSnapshot, UsageSource, WindowCounter,
    ADMISSION_ATTEMPTS,
};

/// The pool's window rules.
pub fn plan_of(pool: &subscriptions::Model) -> WindowPlan {
    WindowPlan::new(pool.quota_window, &pool.window_time_zone, pool.reset_day)
}

/// Whether the stored window of a counter starting at `window_start_unix` is still the
/// current one at `now` (an older one reads as empty).
fn is_current(plan: &WindowPlan, window_start_unix: i64, now: DateTime<Utc>) -> bool {
    window_start_unix >= plan.start_unix(now)
}

/// A standing of `limit` calls of which `used` are used, in the pool's window holding `now`.
fn snapshot(
    pool: &subscriptions::Model,
    limit: i64,
    used: i64,
    now: DateTime<Utc>,
) -> UsageSnapshot {
    let plan = plan_of(pool);
    let bounds = plan.bounds(now);
    UsageSnapshot::in_window(
        limit,
        used,
        0,
        plan.window,
        bounds.map(|b| b.start),
        bounds.map(|b| b.end),
    )
    .with_source(UsageSource::Subscription)
}

/// Where the pool stands at `now`: a stored window older than the current one is over.
pub fn standing(pool: &subscriptions::Model, now: DateTime<Utc>) -> UsageSnapshot {
    let used = match is_current(&plan_of(pool), pool.window_start_unix, now) {
        true => pool.api_calls_used,
        false => 0,
    };
    snapshot(pool, pool.api_call_limit, used, now)
}

/// What the member whose share is `share` has taken from the pool in its window at `now`.
pub fn member_used(
    pool: &subscriptions::Model,
    share: Option<&members::Model>,
    now: DateTime<Utc>,
) -> i64 {
    share
        .filter(|share| is_current(&plan_of(pool), share.window_start_unix, now))
        .map_or(0, |share| share.calls_used)
}

/// The member's standing against the pool's cap at `now` (`None` when there is no cap).
fn member_standing(
    pool: &subscriptions::Model,
    share: Option<&members::Model>,
    now: DateTime<Utc>,
) -> Option<UsageSnapshot> {
    let cap = pool.member_cap?;
    Some(snapshot(pool, cap, member_used(pool, share, now), now))
}

/// The pool of `user_id`'s organisation for `agent_id`, if it has one.
pub(crate) async fn pool_for(
    conn: &impl ConnectionTrait,
    user_id: &str,
    agent_id: &str,
) -> CoreResult<Option<subscriptions::Model>> {
    if !is_valid_id(user_id) || !is_valid_id(agent_id) {
        return Ok(None);
    }
    let users_organization = Query::select()
        .column(users::Column::OrganizationId)
        .from(users::Entity)
        .and_where(users::Column::Id.eq(user_id))
        .to_owned();
    Ok(subscriptions::Entity::find()
        .filter(subscriptions::Column::AgentId.eq(agent_id))
        .filter(subscriptions::Column::OrganizationId.in_subquery(users_organization))
        .one(conn)
        .await?)
}

/// The member's share of the pool, if they took from it.
pub(crate) async fn share_of(
    conn: &impl ConnectionTrait,
    subscription_id: &str,
    user_id: &str,
) -> CoreResult<Option<members::Model>> {
    Ok(members::Entity::find()
        .filter(members::Column::SubscriptionId.eq(subscription_id))
        .filter(members::Column::UserId.eq(user_id))
        .one(conn)
        .await?)
}

/// Takes one call from `pool` for `user_id` inside the caller's transaction: the pool's
/// window, then the member's share under the cap. A refusal after the pool's UPDATE leaves it
/// in the transaction, which the caller drops (see the module's notes).
pub(crate) async fn admit(
    conn: &impl ConnectionTrait,
    pool: &subscriptions::Model,
    user_id: &str,
    ctx: &QuotaContext,
) -> CoreResult<Admission> {
    let mut pool = pool.clone();
    for _ in 0..ADMISSION_ATTEMPTS {
        // Never step back to an older window (an instance whose clock is behind).
        let window = std::cmp::max(plan_of(&pool).start_unix(ctx.now), pool.window_start_unix);
        if let Some(after) = take_one(conn, &pool, window, ctx.now).await? {
            // Described in the window the call was counted in (see `quota::admit`).
            let seen = DateTime::from_timestamp(window, 0)
                .map_or(ctx.now, |start| std::cmp::max(ctx.now, start));
            if !take_member_share(conn, &pool, user_id, window).await? {
                let share = share_of(conn, &pool.id, user_id).await?;
                let usage = member_standing(&pool, share.as_ref(), seen)
                    .unwrap_or_else(|| standing(&pool, seen));
                return Ok(Admission::QuotaExceeded {
                    retry_after_secs: retry_after(&usage, ctx.now),
                    usage,
                });
            }
            return Ok(Admission::Admitted {
                usage: standing(&after, seen),
                window_start_unix: window,
            });
        }
        let Some(current) = subscriptions::Entity::find_by_id(&pool.id)
            .one(conn)
            .await?
        else {
            return Ok(Admission::Denied(LicenseDenial::Required));
        };
        if let Some(refusal) = refusal_of(&current, ctx.now) {
            return Ok(refusal);
        }
        pool = current;
    }
    let usage = standing(&pool, ctx.now);
    Ok(Admission::QuotaExceeded {
        retry_after_secs: retry_after(&usage, ctx.now),
        usage,
    })
}

/// Why the pool's UPDATE matched no row, read from the row as it is now; `None` when nothing
/// refuses the call any more (the row changed meanwhile: try again).
fn refusal_of(pool: &subscriptions::Model, now: DateTime<Utc>) -> Option<Admission> {
    if pool.expires_at.is_some_and(|at| at <= now) {
        return Some(Admission::Denied(LicenseDenial::Expired));
    }
    let usage = standing(pool, now);
    (usage.remaining == Some(0)).then(|| Admission::QuotaExceeded {
        retry_after_secs: retry_after(&usage, now),
        usage,
    })
}

/// The pool's admission statement: one call in `window` (starting it at one call when the
/// row's window is older) if the pool has not expired, is under its limit, and is still on the
/// plan and cap `window` and the member's share were worked out from. The row after the call
/// when it was taken, `None` when the row refused it.
async fn take_one(
    conn: &impl ConnectionTrait,
    pool: &subscriptions::Model,
    window: i64,
    now: DateTime<Utc>,
) -> CoreResult<Option<subscriptions::Model>> {
    use subscriptions::Column as C;
    let counter = WindowCounter {
        start: C::WindowStartUnix,
        used: C::ApiCallsUsed,
    };
    let limit = || Expr::col(C::ApiCallLimit);
    let cap_unchanged = match pool.member_cap {
        Some(cap) => C::MemberCap.eq(cap),
        None => C::MemberCap.is_null(),
    };
    let taken = subscriptions::Entity::update_many()
        .col_expr(C::ApiCallsUsed, counter.after_one_more(window))
        .col_expr(C::WindowStartUnix, Expr::value(window))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Id.eq(&pool.id))
        .filter(
            Condition::any()
                .add(C::ExpiresAt.is_null())
                .add(C::ExpiresAt.gt(now)),
        )
        .filter(C::QuotaWindow.eq(pool.quota_window))
        .filter(C::WindowTimeZone.eq(&pool.window_time_zone))
        .filter(C::ResetDay.eq(pool.reset_day))
        .filter(cap_unchanged)
        .filter(counter.not_ahead_of(window))
        .filter(counter.has_room(window, limit(), limit()));
    Ok(update_returning(conn, taken).await?.into_iter().next())
}

/// Counts the call in `user_id`'s share of the pool's `window` (the row is created at the
/// first call), under the cap when there is one. `false` when the cap is reached.
async fn take_member_share(
    conn: &impl ConnectionTrait,
    pool: &subscriptions::Model,
    user_id: &str,
    window: i64,
) -> CoreResult<bool> {
    use members::Column as C;
    members::Entity::insert(members::ActiveModel {
        id: Set(new_id()),
        subscription_id: Set(pool.id.clone()),
        user_id: Set(user_id.to_owned()),
        window_start_unix: Set(window),
        calls_used: Set(0),
    })
    .on_conflict(
        OnConflict::columns([C::SubscriptionId, C::UserId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    let counter = WindowCounter {
        start: C::WindowStartUnix,
        used: C::CallsUsed,
    };
    // A share never counts a window newer than the pool's (it is only written with the pool's
    // window, and a plan change moves both), so `window` is its current or a newer one.
    let mut update = members::Entity::update_many()
        .col_expr(C::CallsUsed, counter.after_one_more(window))
        .col_expr(C::WindowStartUnix, Expr::value(window))
        .filter(C::SubscriptionId.eq(&pool.id))
        .filter(C::UserId.eq(user_id));
    if let Some(cap) = pool.member_cap {
        update = update.filter(counter.has_room(window, Expr::value(cap), Expr::value(cap)));
    }
    Ok(update.exec(conn).await?.rows_affected == 1)
}

/// Gives a unit back to the pool `subscription_id` and to `user_id`'s share of it, in the
/// window it was taken from; once that window is over there is nothing to give back. `false`
/// when the pool had none to give.
pub(crate) async fn give_back(
    conn: &impl ConnectionTrait,
    subscription_id: &str,
    user_id: &str,
    window_start_unix: i64,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    if !is_valid_id(subscription_id) {
        return Ok(false);
    }
    use subscriptions::Column as C;
    let refunded = subscriptions::Entity::update_many()
        .col_expr(C::ApiCallsUsed, Expr::col(C::ApiCallsUsed).sub(1))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Id.eq(subscription_id))
        .filter(C::WindowStartUnix.eq(window_start_unix))
        .filter(C::ApiCallsUsed.gt(0))
        .exec(conn)
        .await?;
    members::Entity::update_many()
        .col_expr(
            members::Column::CallsUsed,
            Expr::col(members::Column::CallsUsed).sub(1),
        )
        .filter(members::Column::SubscriptionId.eq(subscription_id))
        .filter(members::Column::UserId.eq(user_id))
        .filter(members::Column::WindowStartUnix.eq(window_start_unix))
        .filter(members::Column::CallsUsed.gt(0))
        .exec(conn)
        .await?;
    Ok(refunded.rows_affected == 1)
}
