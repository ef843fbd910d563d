//! The metered gate in front of every agent call: is the caller licensed, and may one more
//! call run? Admission is one atomic conditional UPDATE of the license counter, never a
//! read-then-write, so successes never exceed the limit under any concurrency and across
//! server instances, and the counter equals the admissions minus the refunds.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;

use crate::entities::enums::LicenseStatus;
use crate::entities::user_agent_licenses as licenses;
use crate::error::CoreResult;
use crate::ids::is_valid_id;
use crate::licenses::{find_live, EffectiveStatus, UNLIMITED};

pub use abetworks_types::enums::LicenseDenial;

/// Why `license` may not be used now, `None` when it may.
fn denial_of(license: &licenses::Model) -> Option<LicenseDenial> {
    LicenseDenial::of(EffectiveStatus::of(
        license.status,
        license.expires_at,
        Utc::now(),
    ))
}

/// The outcome of asking for one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum Admission {
    /// The call may run; `used` includes it (read after admission, for display only).
    Admitted { limit: i64, used: i64 },
    /// The limit is reached (429 with limit and used).
    QuotaExceeded { limit: i64, used: i64 },
    /// The license changed since it was checked (revoked, suspended or expired meanwhile).
    Denied(LicenseDenial),
}

/// Calls left under `limit`, `None` when unlimited.
pub fn remaining(limit: i64, used: i64) -> Option<i64> {
    (limit != UNLIMITED).then(|| std::cmp::max(limit - used, 0))
}

/// The license that lets `user_id` run `agent_id`, or why there is none. The live license
/// decides; with only revoked ones left, the newest says "revoked".
pub async fn check_license(
    db: &impl ConnectionTrait,
    user_id: &str,
    agent_id: &str,
) -> CoreResult<Result<licenses::Model, LicenseDenial>> {
    if !is_valid_id(user_id) || !is_valid_id(agent_id) {
        return Ok(Err(LicenseDenial::Required));
    }
    if let Some(live) = find_live(db, user_id, agent_id).await? {
        return Ok(match denial_of(&live) {
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

/// Takes one call from the license's quota with a single conditional UPDATE:
/// active, not expired, and under the limit (or unlimited).
pub async fn admit(db: &impl ConnectionTrait, license_id: &str) -> CoreResult<Admission> {
    if !is_valid_id(license_id) {
        return Ok(Admission::Denied(LicenseDenial::Required));
    }
    let now = Utc::now();
    let admitted = licenses::Entity::update_many()
        .col_expr(
            licenses::Column::ApiCallsUsed,
            Expr::col(licenses::Column::ApiCallsUsed).add(1),
        )
        .col_expr(licenses::Column::UpdatedAt, Expr::value(now))
        .filter(licenses::Column::Id.eq(license_id))
        .filter(licenses::Column::Status.eq(LicenseStatus::Active))
        .filter(
            Condition::any()
                .add(licenses::Column::ExpiresAt.is_null())
                .add(licenses::Column::ExpiresAt.gt(now)),
        )
        .filter(
            Condition::any()
                .add(licenses::Column::ApiCallLimit.eq(UNLIMITED))
                .add(
                    Expr::col(licenses::Column::ApiCallsUsed)
                        .lt(Expr::col(licenses::Column::ApiCallLimit)),
                ),
        )
        .exec(db)
        .await?
        .rows_affected
        == 1;
    // Read afterwards only to tell the caller where they stand; the decision is made above.
    let Some(license) = licenses::Entity::find_by_id(license_id).one(db).await? else {
        return Ok(Admission::Denied(LicenseDenial::Required));
    };
    let (limit, used) = (license.api_call_limit, license.api_calls_used);
    if admitted {
        return Ok(Admission::Admitted { limit, used });
    }
    Ok(match denial_of(&license) {
        Some(denial) => Admission::Denied(denial),
        None => Admission::QuotaExceeded { limit, used },
    })
}

/// Gives back the unit of a call that did not succeed. `false` when there was none to give.
pub async fn refund(db: &impl ConnectionTrait, license_id: &str) -> CoreResult<bool> {
    if !is_valid_id(license_id) {
        return Ok(false);
    }
    let refunded = licenses::Entity::update_many()
        .col_expr(
            licenses::Column::ApiCallsUsed,
            Expr::col(licenses::Column::ApiCallsUsed).sub(1),
        )
        .col_expr(licenses::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(licenses::Column::Id.eq(license_id))
        .filter(licenses::Column::ApiCallsUsed.gt(0))
        .exec(db)
        .await?;
    Ok(refunded.rows_affected == 1)
}

#[cfg(test)]
mod tests;
