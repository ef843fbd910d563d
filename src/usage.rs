//! Usage: one tracking row per API call, daily roll-ups per user and agent, a user's own
//! quotas, and the super admin's overview and CSV export.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use sea_orm::sea_query::{Expr, Func, OnConflict};
use sea_orm::{
    ActiveModelTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, ExprTrait,
    FromQueryResult, PaginatorTrait, PrimaryKeyTrait, QueryFilter, QuerySelect, Set,
};

use crate::db::find_by_id;
use crate::entities::{
    agent_catalog, api_keys, api_usage_tracking as tracking, resource_usage, users,
};
use crate::error::CoreResult;
use crate::ids::{is_valid_id, new_id};
use crate::input::{storable_text, TimeRange};
pub use crate::licenses::my_usage;

mod by_user;
mod export;
mod overview;

pub(crate) use by_user::{failed, of_organization, outcomes_by_user};
pub(crate) use export::defuse_formula;
pub use export::{csv_line, export_rows, ExportCursor, ExportRow, CSV_HEADER, MAX_EXPORT_BATCH};
pub use overview::{overview, AgentCalls, Granularity, TrendPoint, UsageOverview, UserCalls};

/// One API call to record, admitted or not.
#[derive(Clone, Debug, Default)]
pub struct TrackCall {
    pub user_id: Option<String>,
    pub agent_id: Option<String>,
    pub api_key_id: Option<String>,
    pub endpoint: String,
    pub method: String,
    pub status_code: u16,
    pub duration_ms: i64,
    pub error: Option<String>,
}

const MAX_ENDPOINT_CHARS: usize = 2048;
const MAX_METHOD_CHARS: usize = 16;
const MAX_TRACKED_ERROR_CHARS: usize = 4000;

/// Writes one `api_usage_tracking` row and returns its id. Tracking must not fail because of
/// what a caller sent: text is cleaned, and references to rows that do not exist are dropped.
pub async fn track(db: &impl ConnectionTrait, call: TrackCall) -> CoreResult<String> {
    let id = new_id();
    let refs = Refs::of(call.user_id, call.agent_id, call.api_key_id);
    let row = tracking::ActiveModel {
        id: Set(id.clone()),
        endpoint: Set(storable_text(&call.endpoint, MAX_ENDPOINT_CHARS)),
        method: Set(storable_text(&call.method, MAX_METHOD_CHARS)),
        status_code: Set(i32::from(call.status_code)),
        duration_ms: Set(std::cmp::max(call.duration_ms, 0)),
        error: Set(call
            .error
            .map(|e| storable_text(&e, MAX_TRACKED_ERROR_CHARS))),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    insert_with_existing_refs(db, refs, |refs| tracking::ActiveModel {
        user_id: Set(refs.user_id),
        agent_id: Set(refs.agent_id),
        api_key_id: Set(refs.api_key_id),
        ..row.clone()
    })
    .await?;
    Ok(id)
}

/// The user, agent and API key a tracking or error row points at, each only if it looks like
/// one of our ids.
#[derive(Clone, Debug, Default)]
pub(crate) struct Refs {
    pub user_id: Option<String>,
    pub agent_id: Option<String>,
    pub api_key_id: Option<String>,
}

impl Refs {
    pub(crate) fn of(
        user_id: Option<String>,
        agent_id: Option<String>,
        api_key_id: Option<String>,
    ) -> Self {
        let only_id = |id: Option<String>| id.filter(|i| is_valid_id(i));
        Self {
            user_id: only_id(user_id),
            agent_id: only_id(agent_id),
            api_key_id: only_id(api_key_id),
        }
    }

    /// Those that name existing rows.
    pub(crate) async fn existing(self, db: &impl ConnectionTrait) -> CoreResult<Self> {
        Ok(Self {
            user_id: existing::<users::Entity>(db, self.user_id).await?,
            agent_id: existing::<agent_catalog::Entity>(db, self.agent_id).await?,
            api_key_id: existing::<api_keys::Entity>(db, self.api_key_id).await?,
        })
    }
}

/// `id` if it names a row of `E`.
async fn existing<E>(db: &impl ConnectionTrait, id: Option<String>) -> CoreResult<Option<String>>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<String>,
{
    Ok(match id {
        Some(id) => find_by_id::<E>(db, &id).await?.map(|_| id),
        None => None,
    })
}

/// Inserts the row `build` makes of `refs`. Recording must not fail because of what it
/// records: when a reference names no row (a foreign-key violation), the row is inserted again
/// with only the references that exist.
pub(crate) async fn insert_with_existing_refs<A>(
    db: &impl ConnectionTrait,
    refs: Refs,
    build: impl Fn(Refs) -> A,
) -> CoreResult<()>
where
    A: ActiveModelTrait + Send,
{
    match A::Entity::insert(build(refs.clone()))
        .exec_without_returning(db)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_foreign_key_violation(&e) => {
            A::Entity::insert(build(refs.existing(db).await?))
                .exec_without_returning(db)
                .await?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

fn is_foreign_key_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_))
    )
}

/// Adds one finished execution to its day's roll-up: one upsert, so concurrent
/// finishes on any number of instances add up.
pub(crate) async fn add_to_daily_roll_up(
    db: &impl ConnectionTrait,
    user_id: &str,
    agent_id: &str,
    day: NaiveDate,
    succeeded: bool,
    duration_ms: i64,
) -> CoreResult<()> {
    let (successes, failures) = if succeeded { (1, 0) } else { (0, 1) };
    let current = |c: resource_usage::Column| Expr::col((resource_usage::Entity, c));
    let upsert = OnConflict::columns([
        resource_usage::Column::UserId,
        resource_usage::Column::AgentId,
        resource_usage::Column::Day,
    ])
    .value(
        resource_usage::Column::Calls,
        current(resource_usage::Column::Calls).add(1),
    )
    .value(
        resource_usage::Column::Successes,
        current(resource_usage::Column::Successes).add(successes),
    )
    .value(
        resource_usage::Column::Failures,
        current(resource_usage::Column::Failures).add(failures),
    )
    .value(
        resource_usage::Column::TotalDurationMs,
        current(resource_usage::Column::TotalDurationMs).add(std::cmp::max(duration_ms, 0)),
    )
    .to_owned();
    resource_usage::Entity::insert(resource_usage::ActiveModel {
        id: Set(new_id()),
        user_id: Set(user_id.to_owned()),
        agent_id: Set(agent_id.to_owned()),
        day: Set(day),
        calls: Set(1),
        successes: Set(successes),
        failures: Set(failures),
        total_duration_ms: Set(std::cmp::max(duration_ms, 0)),
    })
    .on_conflict(upsert)
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// A time bucket of `table.column` as text, `YYYY-MM-DDTHH` or `YYYY-MM-DD` (UTC), the same
/// on both databases: SQLite stores RFC 3339 text, PostgreSQL a `timestamptz`.
pub(crate) fn time_bucket(
    backend: DbBackend,
    table: &str,
    column: &str,
    granularity: Granularity,
) -> Expr {
    let (chars, pattern) = match granularity {
        Granularity::Hour => (13, "YYYY-MM-DD\"T\"HH24"),
        Granularity::Day => (10, "YYYY-MM-DD"),
    };
    match backend {
        DbBackend::Postgres => Expr::cust(format!(
            "to_char(\"{table}\".\"{column}\" AT TIME ZONE 'UTC', '{pattern}')"
        )),
        _ => Expr::cust(format!("substr(\"{table}\".\"{column}\", 1, {chars})")),
    }
}

/// The start of a bucket written by [`time_bucket`].
pub(crate) fn parse_bucket(text: &str, granularity: Granularity) -> Option<DateTime<Utc>> {
    let naive = match granularity {
        Granularity::Hour => {
            NaiveDateTime::parse_from_str(&format!("{text}:00"), "%Y-%m-%dT%H:%M").ok()?
        }
        Granularity::Day => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()?
            .and_hms_opt(0, 0, 0)?,
    };
    Some(naive.and_utc())
}

/// The start of the bucket holding `at`.
pub(crate) fn bucket_start(at: DateTime<Utc>, granularity: Granularity) -> DateTime<Utc> {
    let day = at.date_naive();
    let hour = match granularity {
        Granularity::Hour => chrono::Timelike::hour(&at),
        Granularity::Day => 0,
    };
    day.and_hms_opt(hour, 0, 0)
        .map(|n| n.and_utc())
        .unwrap_or(at)
}

/// Counts per bucket of `table.created_at` for rows matching `condition`, every bucket of the
/// range present (zero when empty), oldest first.
pub(crate) async fn count_per_bucket<E>(
    db: &impl ConnectionTrait,
    condition: Condition,
    range: TimeRange,
    granularity: Granularity,
) -> CoreResult<Vec<TrendPoint>>
where
    E: EntityTrait,
{
    #[derive(FromQueryResult)]
    struct Bucket {
        bucket: String,
        calls: i64,
    }
    let table = E::default().table_name().to_owned();
    let bucket = time_bucket(db.get_database_backend(), &table, "created_at", granularity);
    let counted: Vec<Bucket> = E::find()
        .select_only()
        .expr_as(bucket.clone(), "bucket")
        .expr_as(Expr::expr(Func::count(Expr::cust("*"))), "calls")
        .filter(condition)
        .group_by(bucket)
        .into_model::<Bucket>()
        .all(db)
        .await?;
    let step = match granularity {
        Granularity::Hour => Duration::hours(1),
        Granularity::Day => Duration::days(1),
    };
    let mut points = Vec::new();
    let mut start = bucket_start(range.from, granularity);
    while start <= range.to {
        let calls = counted
            .iter()
            .find(|b| parse_bucket(&b.bucket, granularity) == Some(start))
            .map_or(0, |b| u64::try_from(b.calls).unwrap_or(0));
        points.push(TrendPoint { start, calls });
        start += step;
    }
    Ok(points)
}

/// Midnight UTC today, Monday of this week and the first of this month.
pub(crate) fn period_starts(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>) {
    let today = now.date_naive();
    let week = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let month = today.with_day(1).unwrap_or(today);
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|n| n.and_utc()).unwrap_or(now);
    (midnight(today), midnight(week), midnight(month))
}

/// How many tracking rows match `condition`.
pub(crate) async fn count_calls(
    db: &impl ConnectionTrait,
    condition: Condition,
) -> CoreResult<u64> {
    Ok(tracking::Entity::find().filter(condition).count(db).await?)
}

/// Tracking rows whose `created_at` lies in `range`.
pub(crate) fn in_range(range: TimeRange) -> Condition {
    range.on(tracking::Column::CreatedAt)
}

#[cfg(test)]
mod tests;
