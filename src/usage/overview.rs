//! The super admin's usage overview of a date range.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, Func, Order};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait,
};

use super::{count_calls, count_per_bucket, in_range, period_starts};
use crate::entities::{agent_catalog, api_usage_tracking as tracking, users};
use crate::error::CoreResult;
use crate::input::TimeRange;
use crate::licenses::near_their_limit;
pub use abetworks_types::views::{AgentCalls, TrendPoint, UsageOverview, UserCalls};

/// Longest range shown per hour; longer ones are shown per day.
const HOURLY_UP_TO: Duration = Duration::days(2);
/// How many agents, users and heavy users the overview lists.
const TOP: u64 = 50;

pub use abetworks_types::enums::Granularity;

fn calls_count() -> Expr {
    Expr::expr(Func::count(Expr::col(tracking::Column::Id.as_column_ref())))
}

/// The overview of `[from, to]`: `from` after `to`, or a range over 400 days, is `Invalid`.
pub async fn overview(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> CoreResult<UsageOverview> {
    let range = TimeRange::new(from, to)?;
    let granularity = if to - from <= HOURLY_UP_TO {
        Granularity::Hour
    } else {
        Granularity::Day
    };
    let failed = || Condition::all().add(tracking::Column::StatusCode.gte(400));
    let total_calls = count_calls(db, in_range(range)).await?;
    let failed_calls = count_calls(db, in_range(range).add(failed())).await?;

    let by_agent = tracking::Entity::find()
        .select_only()
        .join(JoinType::InnerJoin, tracking::Relation::Agent.def())
        .column_as(agent_catalog::Column::Id, "agent_id")
        .column_as(agent_catalog::Column::Name, "agent_name")
        .column_as(agent_catalog::Column::Slug, "agent_slug")
        .expr_as(calls_count(), "calls")
        .filter(in_range(range))
        .group_by(agent_catalog::Column::Id)
        .group_by(agent_catalog::Column::Name)
        .group_by(agent_catalog::Column::Slug)
        .order_by(calls_count(), Order::Desc)
        .order_by_asc(agent_catalog::Column::Name)
        .limit(TOP)
        .into_model::<AgentCalls>()
        .all(db)
        .await?;
    let by_user = tracking::Entity::find()
        .select_only()
        .join(JoinType::InnerJoin, tracking::Relation::User.def())
        .column_as(users::Column::Id, "user_id")
        .column_as(users::Column::Email, "user_email")
        .column_as(users::Column::Name, "user_name")
        .expr_as(calls_count(), "calls")
        .filter(in_range(range))
        .group_by(users::Column::Id)
        .group_by(users::Column::Email)
        .group_by(users::Column::Name)
        .order_by(calls_count(), Order::Desc)
        .order_by_asc(users::Column::Email)
        .limit(TOP)
        .into_model::<UserCalls>()
        .all(db)
        .await?;

    let trend =
        count_per_bucket::<tracking::Entity>(db, in_range(range), range, granularity).await?;
    let (today, week, month) = period_starts(Utc::now());
    let since = |start: DateTime<Utc>| Condition::all().add(tracking::Column::CreatedAt.gte(start));
    Ok(UsageOverview {
        from,
        to,
        total_calls,
        successful_calls: total_calls.saturating_sub(failed_calls),
        failed_calls,
        by_agent,
        by_user,
        granularity,
        trend,
        heavy_users: near_their_limit(db, TOP).await?,
        calls_today: count_calls(db, since(today)).await?,
        calls_this_week: count_calls(db, since(week)).await?,
        calls_this_month: count_calls(db, since(month)).await?,
    })
}
