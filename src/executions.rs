//! Executions of agents: recorded when a call is admitted, finished with its outcome (which
//! also feeds the daily roll-ups), and listed for their owner, their organisation's admin
//! (`organizations::activity`) and the super admin.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, Select, Set,
};
use serde_json::Value as Json;

use crate::actor::Actor;
use crate::db::{begin_write, find_by_id, find_or_404, update_returning};
use crate::entities::enums::{ExecutionMode, ExecutionStatus};
use crate::entities::{agent_catalog, module_executions as executions, users};
use crate::error::{ConflictReason, CoreError, CoreResult};
use crate::ids::{is_valid_id, new_id};
use crate::input::{id_filter_on, optional_range, page_of, storable_text};
use crate::pagination::{Page, PageRequest};
use crate::usage;
use crate::views::joined_with_user_and_agent;
pub use abetworks_types::views::ExecutionView;

/// Longest error message kept with an execution.
pub const MAX_ERROR_MESSAGE_CHARS: usize = 10_000;

/// An admitted call about to run.
#[derive(Clone, Debug)]
pub struct NewExecution {
    pub user_id: String,
    pub agent_id: String,
    pub license_id: Option<String>,
    pub api_key_id: Option<String>,
    pub input: Json,
}

/// How a call ended. `status` must be `succeeded` or `failed`.
#[derive(Clone, Debug)]
pub struct ExecutionOutcome {
    pub status: ExecutionStatus,
    pub output: Option<Json>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub duration_ms: i64,
}

/// Super admin filters; the date range applies to `created_at`.
#[derive(Clone, Debug, Default)]
pub struct ExecutionFilter {
    pub user_id: Option<String>,
    pub agent_id: Option<String>,
    pub status: Option<ExecutionStatus>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Records an admitted call as `running`; returns the execution (its id goes to the agent).
pub async fn start(db: &impl ConnectionTrait, new: NewExecution) -> CoreResult<executions::Model> {
    // Without a lease: the gateway records its executions with `lease::admit_and_start`.
    Ok(new_row(new, ExecutionStatus::Running, ExecutionMode::Sync)
        .insert(db)
        .await?)
}

/// The row of a new execution of `new`, with `status` and `mode`, created now, its first
/// attempt: no output, error, end, window, lease or progress yet. Callers set what they know
/// more before inserting it.
pub(crate) fn new_row(
    new: NewExecution,
    status: ExecutionStatus,
    mode: ExecutionMode,
) -> executions::ActiveModel {
    executions::ActiveModel {
        id: Set(new_id()),
        user_id: Set(new.user_id),
        agent_id: Set(new.agent_id),
        license_id: Set(new.license_id),
        api_key_id: Set(new.api_key_id),
        input: Set(new.input),
        output: Set(None),
        status: Set(status),
        duration_ms: Set(None),
        error_code: Set(None),
        error_message: Set(None),
        created_at: Set(Utc::now()),
        finished_at: Set(None),
        window_start_unix: Set(None),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        mode: Set(mode),
        progress_done: Set(None),
        progress_total: Set(None),
        progress_message: Set(None),
        started_at: Set(None),
        attempts: Set(1),
        cancel_requested: Set(false),
        run_input: Set(None),
        subscription_id: Set(None),
    }
}

/// Finishes a running execution and adds it to the day's roll-up, in one transaction.
/// 404 for an unknown id, 409 when it has already finished (or was swept as abandoned).
pub async fn finish(
    db: &DatabaseConnection,
    execution_id: &str,
    outcome: ExecutionOutcome,
) -> CoreResult<executions::Model> {
    let txn = begin_write(db).await?;
    let execution = finish_in(&txn, execution_id, outcome).await?;
    txn.commit().await?;
    Ok(execution)
}

/// [`finish`] inside the caller's transaction, so what must go with it (a refund) commits
/// with it. Only a `pending` or `running` execution is finished.
pub(crate) async fn finish_in(
    txn: &impl ConnectionTrait,
    execution_id: &str,
    outcome: ExecutionOutcome,
) -> CoreResult<executions::Model> {
    let execution = mark_finished(txn, execution_id, outcome).await?;
    add_to_roll_up(txn, &execution).await?;
    Ok(execution)
}

/// Adds the finished `execution` to its day's roll-up. The row is shared by every call of the
/// user and agent that day and stays locked until the transaction ends, so a transaction that
/// does more after finishing adds it last.
pub(crate) async fn add_to_roll_up(
    txn: &impl ConnectionTrait,
    execution: &executions::Model,
) -> CoreResult<()> {
    let finished_at = execution.finished_at.unwrap_or_else(Utc::now);
    usage::add_to_daily_roll_up(
        txn,
        &execution.user_id,
        &execution.agent_id,
        finished_at.date_naive(),
        execution.status == ExecutionStatus::Succeeded,
        execution.duration_ms.unwrap_or(0),
    )
    .await
}

/// Marks a `pending` or `running` execution finished as `outcome`, without its roll-up
/// ([`finish_in`] adds it).
pub(crate) async fn mark_finished(
    txn: &impl ConnectionTrait,
    execution_id: &str,
    outcome: ExecutionOutcome,
) -> CoreResult<executions::Model> {
    if !matches!(
        outcome.status,
        ExecutionStatus::Succeeded | ExecutionStatus::Failed
    ) {
        return Err(CoreError::invalid("status", "must be succeeded or failed"));
    }
    if outcome.duration_ms < 0 {
        return Err(CoreError::invalid("durationMs", "must not be negative"));
    }
    if !is_valid_id(execution_id) {
        return Err(CoreError::NotFound {
            entity: "execution",
        });
    }
    let now = Utc::now();
    let finishing = executions::Entity::update_many()
        .col_expr(executions::Column::Status, Expr::value(outcome.status))
        .col_expr(executions::Column::Output, Expr::value(outcome.output))
        .col_expr(
            executions::Column::DurationMs,
            Expr::value(outcome.duration_ms),
        )
        .col_expr(
            executions::Column::ErrorCode,
            Expr::value(outcome.error_code.map(|c| storable_text(&c, 255))),
        )
        .col_expr(
            executions::Column::ErrorMessage,
            Expr::value(
                outcome
                    .error_message
                    .map(|m| storable_text(&m, MAX_ERROR_MESSAGE_CHARS)),
            ),
        )
        .col_expr(executions::Column::FinishedAt, Expr::value(now))
        .filter(executions::Column::Id.eq(execution_id))
        .filter(
            executions::Column::Status.is_in([ExecutionStatus::Pending, ExecutionStatus::Running]),
        );
    // The finished row in the same statement; only when none changed, a read says why.
    let Some(execution) = update_returning(txn, finishing).await?.pop() else {
        return Err(
            match find_by_id::<executions::Entity>(txn, execution_id).await? {
                Some(_) => CoreError::Conflict(ConflictReason::AlreadyFinished),
                None => CoreError::NotFound {
                    entity: "execution",
                },
            },
        );
    };
    Ok(execution)
}

fn joined() -> Select<executions::Entity> {
    joined_with_user_and_agent(executions::Relation::User, executions::Relation::Agent)
        .order_by_desc(executions::Column::CreatedAt)
        .order_by_desc(executions::Column::Id)
}

/// The actor's own executions, newest first, optionally of one agent (404 if unknown).
pub async fn list_mine(
    db: &impl ConnectionTrait,
    actor: &Actor,
    agent_id: Option<&str>,
    page: PageRequest,
) -> CoreResult<Page<ExecutionView>> {
    let mut query = joined().filter(executions::Column::UserId.eq(&actor.user_id));
    if let Some(agent_id) = agent_id {
        find_or_404::<agent_catalog::Entity>(db, agent_id, "agent").await?;
        query = query.filter(executions::Column::AgentId.eq(agent_id));
    }
    page_of(db, query.into_model(), page).await
}

/// Every execution matching `filter`, newest first (super admin).
pub async fn list_all(
    db: &impl ConnectionTrait,
    filter: &ExecutionFilter,
    page: PageRequest,
) -> CoreResult<Page<ExecutionView>> {
    list_in(db, None, filter, page).await
}

/// Executions matching `filter`, newest first, of the users now in `organization_id` when
/// given (an organisation's admin), else of everyone. The caller has checked the actor.
pub(crate) async fn list_in(
    db: &impl ConnectionTrait,
    organization_id: Option<&str>,
    filter: &ExecutionFilter,
    page: PageRequest,
) -> CoreResult<Page<ExecutionView>> {
    use executions::Column as C;
    let in_range = optional_range(C::CreatedAt, filter.from, filter.to)?;
    let user = id_filter_on(C::UserId, "userId", filter.user_id.as_deref())?;
    let agent = id_filter_on(C::AgentId, "agentId", filter.agent_id.as_deref())?;
    let status = filter.status.map(|status| C::Status.eq(status));
    let condition = in_range
        .add_option(user)
        .add_option(agent)
        .add_option(status)
        .add_option(organization_id.map(in_organization));
    page_of(db, joined().filter(condition).into_model(), page).await
}

/// One execution as a view, if its user is now in `organization_id` when given: 404 for an
/// unknown id and for one outside the organisation alike. The caller has checked the actor.
pub(crate) async fn get_in(
    db: &impl ConnectionTrait,
    organization_id: Option<&str>,
    execution_id: &str,
) -> CoreResult<ExecutionView> {
    let not_found = || CoreError::NotFound {
        entity: "execution",
    };
    if !is_valid_id(execution_id) {
        return Err(not_found());
    }
    let condition = Condition::all()
        .add(executions::Column::Id.eq(execution_id))
        .add_option(organization_id.map(in_organization));
    joined()
        .filter(condition)
        .into_model::<ExecutionView>()
        .one(db)
        .await?
        .ok_or_else(not_found)
}

/// Executions whose user is now in `organization_id` (the user is joined in [`joined`]).
fn in_organization(organization_id: &str) -> Condition {
    Condition::all().add(users::Column::OrganizationId.eq(organization_id))
}

pub mod lease;
pub mod sweep;

#[cfg(test)]
mod tests;
