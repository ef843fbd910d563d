//! Calls per user, and how many of them failed, of the tracking rows a condition picks: an
//! organisation's usage by member, counted as the super admin's overview counts calls.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect, QueryTrait,
};

use crate::entities::{api_usage_tracking as tracking, users};
use crate::error::CoreResult;

/// A failed call: answered with a status of 400 or more (refused or failed).
pub(crate) fn failed() -> Condition {
    Condition::all().add(tracking::Column::StatusCode.gte(400))
}

/// Tracking rows of the users now in `organization_id` (a member who left takes their calls).
pub(crate) fn of_organization(organization_id: &str) -> Condition {
    let members = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::OrganizationId.eq(organization_id))
        .into_query();
    Condition::all().add(tracking::Column::UserId.in_subquery(members))
}

/// A user's calls among the rows counted, and how many failed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct UserOutcomes {
    pub calls: i64,
    pub failed: i64,
}

#[derive(FromQueryResult)]
struct UserCount {
    user_id: String,
    calls: i64,
}

/// Rows matching `condition` per user (rows without a user are left out).
async fn count_by_user(
    db: &impl ConnectionTrait,
    condition: Condition,
) -> CoreResult<HashMap<String, i64>> {
    let counts: Vec<UserCount> = tracking::Entity::find()
        .select_only()
        .column(tracking::Column::UserId)
        .expr_as(Expr::expr(Func::count(Expr::cust("*"))), "calls")
        .filter(condition.add(tracking::Column::UserId.is_not_null()))
        .group_by(tracking::Column::UserId)
        .into_model::<UserCount>()
        .all(db)
        .await?;
    Ok(counts.into_iter().map(|c| (c.user_id, c.calls)).collect())
}

/// Calls and failed calls per user of the rows matching `condition`; users without a call
/// are absent.
pub(crate) async fn outcomes_by_user(
    db: &impl ConnectionTrait,
    condition: Condition,
) -> CoreResult<HashMap<String, UserOutcomes>> {
    // Failures first: a call tracked between the two reads adds to `calls` only, so
    // `calls - failed` never goes negative.
    let failures = count_by_user(db, condition.clone().add(failed())).await?;
    Ok(count_by_user(db, condition)
        .await?
        .into_iter()
        .map(|(user_id, calls)| {
            let failed = failures.get(&user_id).copied().unwrap_or(0);
            (user_id, UserOutcomes { calls, failed })
        })
        .collect())
}
