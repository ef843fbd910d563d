//! Executions of agents: recorded when a call is admitted, finished with its outcome (which
//! also feeds the daily roll-ups), and listed for their owner and for the super admin.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, Select, Set,
};
use serde_json::Value as Json;

use crate::actor::Actor;
use crate::db::begin_write;
use crate::entities::enums::ExecutionStatus;
use crate::entities::{agent_catalog, module_executions as executions};
use crate::error::{ConflictReason, CoreError, CoreResult};
use crate::ids::{is_valid_id, new_id};
use crate::input::{check_optional_range, id_filter, page_of, storable_text};
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
    Ok(executions::ActiveModel {
        id: Set(new_id()),
        user_id: Set(new.user_id),
        agent_id: Set(new.agent_id),
        license_id: Set(new.license_id),
        api_key_id: Set(new.api_key_id),
        input: Set(new.input),
        output: Set(None),
        status: Set(ExecutionStatus::Running),
        duration_ms: Set(None),
        error_code: Set(None),
        error_message: Set(None),
        created_at: Set(Utc::now()),
        finished_at: Set(None),
    }
    .insert(db)
    .await?)
}

/// Finishes a running execution and adds it to the day's roll-up, in one transaction.
/// 404 for an unknown id, 409 when it has already finished.
pub async fn finish(
    db: &DatabaseConnection,
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
    let txn = begin_write(db).await?;
    let finished = executions::Entity::update_many()
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
        )
        .exec(&txn)
        .await?;
    let execution = executions::Entity::find_by_id(execution_id)
        .one(&txn)
        .await?
        .ok_or(CoreError::NotFound {
            entity: "execution",
        })?;
    if finished.rows_affected != 1 {
        return Err(CoreError::Conflict(ConflictReason::AlreadyFinished));
    }
    usage::add_to_daily_roll_up(
        &txn,
        &execution.user_id,
        &execution.agent_id,
        now.date_naive(),
        outcome.status == ExecutionStatus::Succeeded,
        outcome.duration_ms,
    )
    .await?;
    txn.commit().await?;
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
        if !is_valid_id(agent_id)
            || agent_catalog::Entity::find_by_id(agent_id)
                .one(db)
                .await?
                .is_none()
        {
            return Err(CoreError::NotFound { entity: "agent" });
        }
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
    check_optional_range(filter.from, filter.to)?;
    let mut condition = Condition::all();
    if let Some(user_id) = id_filter("userId", filter.user_id.as_deref())? {
        condition = condition.add(executions::Column::UserId.eq(user_id));
    }
    if let Some(agent_id) = id_filter("agentId", filter.agent_id.as_deref())? {
        condition = condition.add(executions::Column::AgentId.eq(agent_id));
    }
    if let Some(status) = filter.status {
        condition = condition.add(executions::Column::Status.eq(status));
    }
    if let Some(from) = filter.from {
        condition = condition.add(executions::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        condition = condition.add(executions::Column::CreatedAt.lte(to));
    }
    page_of(db, joined().filter(condition).into_model(), page).await
}

#[cfg(test)]
mod tests;
