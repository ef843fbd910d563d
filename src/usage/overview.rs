//! The super admin's usage overview of a date range.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, Func, Order};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait,
};

use super::{count_calls, count_per_bucket, failed, in_range, period_starts};
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

/// The [`TOP`] agents or users (`related`) by calls in `range`, as `M`: `calls` and the
/// `columns` of each, `[id, label, other]`, named `{prefix}_{column}`; ties go by label.
async fn most_calls<M, C>(
    db: &impl ConnectionTrait,
    range: TimeRange,
    related: tracking::Relation,
    prefix: &str,
    columns: [C; 3],
) -> CoreResult<Vec<M>>
where
    M: FromQueryResult + Send + Sync,
    C: ColumnTrait,
{
    let mut query = tracking::Entity::find()
        .select_only()
        .join(JoinType::InnerJoin, related.def());
    for column in columns {
        let name = format!("{prefix}_{}", column.as_str());
        query = query.column_as(column, name).group_by(column);
    }
    Ok(query
        .expr_as(calls_count(), "calls")
        .filter(in_range(range))
        .order_by(calls_count(), Order::Desc)
        .order_by_asc(columns[1])
        .limit(TOP)
        .into_model::<M>()
        .all(db)
        .await?)
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
    let total_calls = count_calls(db, in_range(range)).await?;
    let failed_calls = count_calls(db, in_range(range).add(failed())).await?;

    use agent_catalog::Column as Agent;
    use users::Column as User;
    let agent = [Agent::Id, Agent::Name, Agent::Slug];
    let user = [User::Id, User::Email, User::Name];
    let by_agent = most_calls(db, range, tracking::Relation::Agent, "agent", agent).await?;
    let by_user = most_calls(db, range, tracking::Relation::User, "user", user).await?;

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
