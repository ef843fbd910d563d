//! The metered gate in front of every agent call: is the caller licensed, and may one more
//! call run? Admission is one atomic conditional UPDATE of the license row, never a
//! read-then-write, so successes never exceed the limit under any concurrency and across
//! server instances, and the counter equals the admissions minus the refunds.
//!
//! A limit counts per window (`lifetime`, `day`, `month`; see [`window`]). The row holds the
//! start of the window its counter belongs to; the UPDATE compares it with the window the call
//! falls in and starts a new window at one call when it is older, so no job resets counters.
//! The same statement counts the call against the license's burst rate (calls per second).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
    UpdateMany,
};

use crate::db::update_returning;
use crate::entities::enums::LicenseStatus;
use crate::entities::user_agent_licenses as licenses;
use crate::error::CoreResult;
use crate::ids::is_valid_id;
use crate::licenses::{find_live, EffectiveStatus, UNLIMITED};

mod counter;
mod unit;
pub mod window;

pub(crate) use counter::WindowCounter;
pub use unit::{give_back, Unit};

pub use abetworks_types::enums::{LicenseDenial, UsageSource};
pub use abetworks_types::views::UsageSnapshot;
use window::WindowPlan;

/// What admission needs besides the license: the time of the call and the server's default
/// burst rate (for licenses without their own).
#[derive(Clone, Copy, Debug)]
pub struct QuotaContext {
    pub now: DateTime<Utc>,
    pub default_burst_per_second: Option<i32>,
}

/// Why `license` may not be used at `now`, `None` when it may.
fn denial_of(license: &licenses::Model, now: DateTime<Utc>) -> Option<LicenseDenial> {
    LicenseDenial::of(EffectiveStatus::of(license.status, license.expires_at, now))
}

/// The outcome of asking for one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// The call may run in the window starting at `window_start_unix`; a refund goes there.
    /// `usage` includes the call (read after admission, for display only).
    Admitted {
        usage: UsageSnapshot,
        window_start_unix: i64,
    },
    /// The window's limit is reached (429); `retry_after_secs` until it resets, none for a
    /// lifetime limit.
    QuotaExceeded {
        usage: UsageSnapshot,
        retry_after_secs: Option<i64>,
    },
    /// More calls this second than the burst rate allows (429 with `Retry-After`).
    RateLimited { retry_after_secs: i64 },
    /// The license changed since it was checked (revoked, suspended or expired meanwhile).
    Denied(LicenseDenial),
}

/// Calls left under `limit`, `None` when unlimited.
pub fn remaining(limit: i64, used: i64) -> Option<i64> {
    (limit != UNLIMITED).then(|| std::cmp::max(limit - used, 0))
}

/// The license's window rules.
pub fn plan_of(license: &licenses::Model) -> WindowPlan {
    WindowPlan::new(
        license.quota_window,
        &license.window_time_zone,
        license.reset_day,
    )
}

/// Top-up calls of the stored window that have not expired at `now`.
fn live_top_ups(license: &licenses::Model, now: DateTime<Utc>) -> i64 {
    match license.top_up_expires_at {
        Some(at) if at <= now => 0,
        _ => license.top_up_calls,
    }
}

/// Where the license stands at `now`: a stored window older than the current one is over, so
/// the current one has used nothing and has no top-ups yet.
pub fn standing(license: &licenses::Model, now: DateTime<Utc>) -> UsageSnapshot {
    let plan = plan_of(license);
    let bounds = plan.bounds(now);
    let (used, top_ups) = if license.window_start_unix >= plan.start_unix(now) {
        (license.api_calls_used, live_top_ups(license, now))
    } else {
        (0, 0)
    };
    UsageSnapshot::in_window(
        license.api_call_limit,
        used,
        top_ups,
        plan.window,
        bounds.map(|b| b.start),
        bounds.map(|b| b.end),
    )
}

/// The burst rate that applies to `license`, if any.
fn burst_of(license: &licenses::Model, ctx: &QuotaContext) -> Option<i32> {
    license
        .burst_per_second
        .or(ctx.default_burst_per_second)
        .filter(|rate| *rate > 0)
}

/// The license that lets `user_id` run `agent_id`, or why there is none. The live license
/// decides; with only revoked ones left, the newest says "revoked".
pub async fn check_license(
    db: &impl ConnectionTrait,
    user_id: &str,
    agent_id: &str,
    now: DateTime<Utc>,
) -> CoreResult<Result<licenses::Model, LicenseDenial>> {
    if !is_valid_id(user_id) || !is_valid_id(agent_id) {
        return Ok(Err(LicenseDenial::Required));
    }
    if let Some(live) = find_live(db, user_id, agent_id).await? {
        return Ok(match denial_of(&live, now) {
            None => Ok(live),
            Some(denial) => Err(denial),
        });
    }
    let newest = licenses::Entity::find()
        .filter(licenses::Column::UserId.eq(user_id))
        .filter(licenses::Column::AgentId.eq(agent_id))
        .order_by_desc(licenses::Column::GrantedAt)
        .order_by_desc(licenses::Column::Id)
        .one(db)
        .await?;
    Ok(Err(match newest {
        Some(license) if license.status == LicenseStatus::Revoked => LicenseDenial::Revoked,
        _ => LicenseDenial::Required,
    }))
}

/// How many times admission re-reads a license that changed under it (its plan edited, or a
/// newer window started by an instance whose clock is ahead) before giving up.
pub(crate) const ADMISSION_ATTEMPTS: usize = 3;

/// Takes one call from the license's current window with a single conditional UPDATE, and
/// says why not when it cannot.
pub async fn admit(
    db: &impl ConnectionTrait,
    license: &licenses::Model,
    ctx: &QuotaContext,
) -> CoreResult<Admission> {
    let mut license = license.clone();
    for _ in 0..ADMISSION_ATTEMPTS {
        let window = window_to_admit_in(&license, ctx.now);
        if let Some(after) = take_one(db, &license, window, ctx).await? {
            return Ok(Admission::Admitted {
                usage: usage_after(&after, window, ctx.now),
                window_start_unix: window,
            });
        }
        let Some(current) = licenses::Entity::find_by_id(&license.id).one(db).await? else {
            return Ok(Admission::Denied(LicenseDenial::Required));
        };
        if let Some(refusal) = refusal_of(&current, ctx) {
            return Ok(refusal);
        }
        license = current;
    }
    let usage = standing(&license, ctx.now);
    Ok(Admission::QuotaExceeded {
        retry_after_secs: retry_after(&usage, ctx.now),
        usage,
    })
}

/// The window a call at `now` is counted in: the plan's current one, never an older one than
/// the row's (an instance whose clock is behind does not step back).
pub(crate) fn window_to_admit_in(license: &licenses::Model, now: DateTime<Utc>) -> i64 {
    std::cmp::max(plan_of(license).start_unix(now), license.window_start_unix)
}

/// The usage of `after` (the row that admitted a call in `window`), described as that window,
/// which is newer than `now`'s when another instance's clock started it first.
pub(crate) fn usage_after(
    after: &licenses::Model,
    window: i64,
    now: DateTime<Utc>,
) -> UsageSnapshot {
    let seen = DateTime::from_timestamp(window, 0).map_or(now, |start| std::cmp::max(now, start));
    standing(after, seen)
}

/// Why the UPDATE matched no row, read from the row as it is now; `None` when nothing refuses
/// the call any more (the row changed meanwhile: try again).
fn refusal_of(license: &licenses::Model, ctx: &QuotaContext) -> Option<Admission> {
    if let Some(denial) = denial_of(license, ctx.now) {
        return Some(Admission::Denied(denial));
    }
    let second = ctx.now.timestamp();
    if burst_of(license, ctx)
        .is_some_and(|rate| license.burst_second_unix >= second && license.burst_count >= rate)
    {
        return Some(Admission::RateLimited {
            retry_after_secs: 1,
        });
    }
    let usage = standing(license, ctx.now);
    (usage.remaining == Some(0)).then(|| Admission::QuotaExceeded {
        retry_after_secs: retry_after(&usage, ctx.now),
        usage,
    })
}

/// Whole seconds until the window resets (at least one), none for a lifetime limit.
pub fn retry_after(usage: &UsageSnapshot, now: DateTime<Utc>) -> Option<i64> {
    usage
        .resets_at
        .map(|at| std::cmp::max(((at - now).num_milliseconds() + 999).div_euclid(1000), 1))
}

/// Sets the row's top-ups (calls and expiry) to what they are where `current` holds and to none
/// where it does not: a window that is over takes its top-ups with it.
pub(crate) fn keep_top_ups_if(
    update: UpdateMany<licenses::Entity>,
    current: impl Fn() -> Expr,
) -> UpdateMany<licenses::Entity> {
    use licenses::Column as C;
    let kept = |column: C, none: Expr| -> Expr {
        Expr::case(current(), Expr::col(column))
            .finally(none)
            .into()
    };
    update
        .col_expr(C::TopUpCalls, kept(C::TopUpCalls, Expr::value(0i64)))
        .col_expr(
            C::TopUpExpiresAt,
            kept(
                C::TopUpExpiresAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            ),
        )
}

/// Runs [`admission_statement`]: the row after the call when it was taken, `None` when the row
/// refused it.
async fn take_one(
    db: &impl ConnectionTrait,
    license: &licenses::Model,
    window: i64,
    ctx: &QuotaContext,
) -> CoreResult<Option<licenses::Model>> {
    let update = admission_statement(license, window, ctx);
    Ok(update_returning(db, update).await?.pop())
}

/// The admission statement: one call in `window` (starting it at one call when the row's
/// window is older) if the license is in force, under its limit plus live top-ups, under its
/// burst rate, and still on the plan `window` was worked out from. It matches no row when it
/// refuses the call.
pub(crate) fn admission_statement(
    license: &licenses::Model,
    window: i64,
    ctx: &QuotaContext,
) -> UpdateMany<licenses::Entity> {
    use licenses::Column as C;
    let now = ctx.now;
    let counter = WindowCounter {
        start: C::WindowStartUnix,
        used: C::ApiCallsUsed,
    };
    let live_top_ups: Expr = Expr::case(
        Condition::any()
            .add(C::TopUpExpiresAt.is_null())
            .add(C::TopUpExpiresAt.gt(now)),
        Expr::col(C::TopUpCalls),
    )
    .finally(0)
    .into();
    let under_limit = counter.has_room(
        window,
        Expr::col(C::ApiCallLimit),
        Expr::col(C::ApiCallLimit).add(live_top_ups),
    );
    let update =
        licenses::Entity::update_many().col_expr(C::ApiCallsUsed, counter.after_one_more(window));
    let mut update = keep_top_ups_if(update, || counter.same_window(window))
        .col_expr(C::WindowStartUnix, Expr::value(window))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Id.eq(&license.id))
        .filter(C::Status.eq(LicenseStatus::Active))
        .filter(
            Condition::any()
                .add(C::ExpiresAt.is_null())
                .add(C::ExpiresAt.gt(now)),
        )
        .filter(C::QuotaWindow.eq(license.quota_window))
        .filter(C::WindowTimeZone.eq(&license.window_time_zone))
        .filter(C::ResetDay.eq(license.reset_day))
        .filter(counter.not_ahead_of(window))
        .filter(under_limit);
    if let Some(rate) = burst_of(license, ctx) {
        let second = now.timestamp();
        let same_second = || Expr::col(C::BurstSecondUnix).eq(second);
        update = update
            .col_expr(
                C::BurstCount,
                Expr::case(same_second(), Expr::col(C::BurstCount).add(1))
                    .finally(1)
                    .into(),
            )
            .col_expr(C::BurstSecondUnix, Expr::value(second))
            .filter(Expr::col(C::BurstSecondUnix).lte(second))
            .filter(
                Condition::any()
                    .add(Expr::col(C::BurstSecondUnix).lt(second))
                    .add(Expr::col(C::BurstCount).lt(rate)),
            );
    }
    update
}

/// Gives back the unit of a call that did not succeed, to the window it was admitted in: once
/// that window is over there is nothing to give back. `false` when there was none to give.
pub async fn refund(
    db: &impl ConnectionTrait,
    license_id: &str,
    window_start_unix: i64,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    if !is_valid_id(license_id) {
        return Ok(false);
    }
    let refunded = licenses::Entity::update_many()
        .col_expr(
            licenses::Column::ApiCallsUsed,
            Expr::col(licenses::Column::ApiCallsUsed).sub(1),
        )
        .col_expr(licenses::Column::UpdatedAt, Expr::value(now))
        .filter(licenses::Column::Id.eq(license_id))
        .filter(licenses::Column::WindowStartUnix.eq(window_start_unix))
        .filter(licenses::Column::ApiCallsUsed.gt(0))
        .exec(db)
        .await?;
    Ok(refunded.rows_affected == 1)
}

/// Admits one call on `license_id` now, without a burst default: for tests that only need the
/// counter to move.
#[cfg(any(test, feature = "testing"))]
pub async fn admit_now(db: &impl ConnectionTrait, license_id: &str) -> CoreResult<Admission> {
    let Some(license) = licenses::Entity::find_by_id(license_id).one(db).await? else {
        return Ok(Admission::Denied(LicenseDenial::Required));
    };
    let ctx = QuotaContext {
        now: Utc::now(),
        default_burst_per_second: None,
    };
    admit(db, &license, &ctx).await
}

#[cfg(test)]
mod tests;
