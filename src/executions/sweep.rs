//! The sweeper: any instance settles executions whose lease ended (their instance died, or
//! lost the database for a whole lease period). Each is marked `abandoned`, its unit given back
//! to the quota window it was taken from, an error logged and the day's roll-up counted as a
//! failure, all in the transaction that changes its status, so a unit is refunded exactly once
//! however many instances sweep at the same time. On PostgreSQL the rows are claimed with
//! `FOR UPDATE SKIP LOCKED` (two sweepers take different rows); on SQLite the immediate
//! transaction serialises writers. Runs at start-up and every `ABETWORKS_SWEEP_INTERVAL_SECS`.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::db::begin_write;
use crate::entities::enums::{ExecutionMode, ExecutionStatus};
use crate::entities::{module_executions as executions, user_agent_licenses as licenses};
use crate::error::CoreResult;
use crate::error_logs::{self, ErrorKind, NewErrorLog};
use crate::metric_names;
use crate::quota;

/// The `error_code` of an abandoned execution and of its error-log entry.
pub const ABANDONED_CODE: &str = "EXECUTION_ABANDONED";
/// What an abandoned execution's history says.
pub const ABANDONED_MESSAGE: &str =
    "The server running this call stopped before it finished; the call was not counted.";
/// Executions settled per transaction.
pub const SWEEP_BATCH: u64 = 100;

/// Settles every `running` execution whose lease ended before `now`: `abandoned`, refunded,
/// logged; then tells the holders of licenses about to expire (`outbox::alerts`). Returns how
/// many executions it settled (those another sweeper took meanwhile are not counted).
pub async fn sweep_expired(db: &DatabaseConnection, now: DateTime<Utc>) -> CoreResult<u64> {
    // Background runs go back to the queue (or are settled) first (`crate::runs`).
    let mut settled = crate::runs::requeue_expired(db, now).await?;
    loop {
        let (claimed, done) = sweep_batch(db, now).await?;
        settled += done;
        if claimed < SWEEP_BATCH {
            break;
        }
    }
    // Licenses about to expire are told here: every instance sweeps periodically.
    crate::outbox::alerts::scan_expiring(db, now).await?;
    Ok(settled)
}

/// At most `limit` executions of `mode` running under a lease that ended before `now`, the
/// oldest lease first, claimed for the caller's transaction (`FOR UPDATE SKIP LOCKED` on
/// PostgreSQL: two sweepers take different rows).
pub(crate) async fn expired_leases(
    txn: &impl ConnectionTrait,
    mode: ExecutionMode,
    now: DateTime<Utc>,
    limit: u64,
) -> CoreResult<Vec<executions::Model>> {
    let mut query = executions::Entity::find()
        .filter(executions::Column::Status.eq(ExecutionStatus::Running))
        .filter(executions::Column::Mode.eq(mode))
        .filter(executions::Column::LeaseExpiresAt.lt(now))
        .order_by_asc(executions::Column::LeaseExpiresAt)
        .order_by_asc(executions::Column::Id)
        .limit(limit);
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    Ok(query.all(txn).await?)
}

/// One batch in one transaction: (rows claimed, executions settled).
async fn sweep_batch(db: &DatabaseConnection, now: DateTime<Utc>) -> CoreResult<(u64, u64)> {
    let txn = begin_write(db).await?;
    let expired = expired_leases(&txn, ExecutionMode::Sync, now, SWEEP_BATCH).await?;
    let claimed = expired.len() as u64;
    let mut settled = 0;
    for execution in expired {
        if abandon(&txn, &execution, now).await? {
            settled += 1;
        }
    }
    txn.commit().await?;
    if settled > 0 {
        metrics::counter!(metric_names::EXECUTIONS_ABANDONED).increment(settled);
        tracing::error!(
            settled,
            "settled executions abandoned by a stopped instance"
        );
    }
    Ok((claimed, settled))
}

/// Marks one claimed execution `abandoned` (only if it is still running with an ended lease),
/// refunds its unit, logs the error and counts it in the roll-up. `false` when it had changed.
/// Also settles a background run taken too many times (`crate::runs`).
pub(crate) async fn abandon(
    txn: &(impl ConnectionTrait + sea_orm::TransactionTrait),
    execution: &executions::Model,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    let finished_at = Utc::now();
    let changed = executions::Entity::update_many()
        .col_expr(
            executions::Column::Status,
            Expr::value(ExecutionStatus::Abandoned),
        )
        .col_expr(executions::Column::ErrorCode, Expr::value(ABANDONED_CODE))
        .col_expr(
            executions::Column::ErrorMessage,
            Expr::value(ABANDONED_MESSAGE),
        )
        .col_expr(executions::Column::FinishedAt, Expr::value(finished_at))
        .filter(executions::Column::Id.eq(&execution.id))
        .filter(executions::Column::Status.eq(ExecutionStatus::Running))
        .filter(executions::Column::LeaseExpiresAt.lt(now))
        .exec(txn)
        .await?;
    if changed.rows_affected != 1 {
        return Ok(false);
    }
    let refunded = refund(txn, execution, now).await?;
    error_logs::log_error(
        txn,
        NewErrorLog {
            kind: ErrorKind::Internal,
            code: ABANDONED_CODE.to_owned(),
            message: format!(
                "Execution {} was abandoned: the instance running it ({}) stopped renewing its lease, which ended at {}; {}.",
                execution.id,
                execution.lease_owner.as_deref().unwrap_or("unknown"),
                execution
                    .lease_expires_at
                    .map_or_else(|| "an unknown time".to_owned(), |at| at.to_rfc3339()),
                if refunded {
                    "its unit was given back"
                } else {
                    "no unit was given back (its quota window is over or its license or pool is gone)"
                },
            ),
            stack_trace: None,
            user_id: Some(execution.user_id.clone()),
            agent_id: Some(execution.agent_id.clone()),
            request_id: None,
            context: Some(serde_json::json!({
                "executionId": execution.id,
                "licenseId": execution.license_id,
                "subscriptionId": execution.subscription_id,
                "leaseOwner": execution.lease_owner,
                "leaseExpiresAt": execution.lease_expires_at,
                "windowStartUnix": execution.window_start_unix,
                "refunded": refunded,
            })),
        },
    )
    .await?;
    crate::usage::add_to_daily_roll_up(
        txn,
        &execution.user_id,
        &execution.agent_id,
        finished_at.date_naive(),
        false,
        0,
    )
    .await?;
    Ok(true)
}

/// Gives the execution's unit back to the license or pool and the window it was taken from.
/// An execution recorded before leases has no window: a lifetime license has one window (0);
/// a day or month license gets its unit back only if it still counts the window the execution
/// was created in. (Pools came after leases: their executions always have a window.)
async fn refund(
    txn: &impl ConnectionTrait,
    execution: &executions::Model,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    let Some(unit) = quota::Unit::of_execution(execution) else {
        return Ok(false);
    };
    let window = match (execution.window_start_unix, &unit) {
        (Some(window), _) => window,
        (None, quota::Unit::License(license_id)) => {
            let Some(license) = licenses::Entity::find_by_id(license_id).one(txn).await? else {
                return Ok(false);
            };
            // A lifetime plan has the one window 0.
            quota::plan_of(&license).start_unix(execution.created_at)
        }
        (None, quota::Unit::Subscription(_)) => return Ok(false),
    };
    quota::give_back(txn, &unit, &execution.user_id, window, now).await
}

#[cfg(test)]
mod tests;
