//! Background runs: a run is an execution (`module_executions`, `mode = background`) that the
//! caller does not wait for. One pipeline with the synchronous execute:
//!
//! - **Enqueue** ([`enqueue`]): the license check, the atomic admission (`lease::admit_in`: the
//!   license, else the organisation's pool), the `queued` execution and its first event are
//!   written in one transaction; the caller gets the run id at once (202).
//! - **Claim** ([`claim_next`]): a worker of any instance takes the oldest queued run (claimed
//!   with `FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's immediate transaction serialises
//!   writers) and marks it `running` under its lease ([`worker`] runs it: it streams the
//!   agent's progress into the run's events, renews the lease and settles the run).
//! - **Cancel** ([`cancel`]): a queued run is cancelled and refunded at once; a running run is
//!   marked `cancel_requested` and its worker stops it at its next report or renewal (dropping
//!   the agent's stream stops the agent) and settles it cancelled and refunded; a finished run
//!   is a conflict (409).
//! - **A run outlives its instance** ([`requeue_expired`], part of every sweep): a running run
//!   whose lease ended goes back to the queue (its unit stays taken for the retry) until it has
//!   been taken [`MAX_ATTEMPTS`] times; then it is abandoned and refunded like a synchronous
//!   execution. A run whose owner asked to cancel it is cancelled and refunded instead.
//!
//! The invariant of the executions holds: a license's (or a pool's) used count equals its
//! executions that succeeded, are running under a live lease, or are queued.
//!
//! Every change of a run writes its events (`run_events`, numbered from 1 per run) in the same
//! transaction: `status` (queued, running, then the final status), `progress`, `output`,
//! `error`. The event stream (`GET /api/runs/{runId}/events`) replays them after a
//! `Last-Event-ID` and ends after the final status.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{json, Value};

use crate::actor::Actor;
use crate::db::begin_write;
use crate::entities::enums::{ExecutionMode, ExecutionStatus, RunEventKind};
use crate::entities::{agent_catalog, module_executions as executions, run_events};
use crate::error::{ConflictReason, CoreError, CoreResult};
use crate::executions::lease::{self, LeaseSettings};
use crate::executions::new_row;
use crate::gateway::ExecuteFailure;
use crate::ids::{is_valid_id, new_id};
use crate::input::page_of;
use crate::pagination::{Page, PageRequest};
use crate::quota::{self, QuotaContext};
use crate::secrets::mask_secrets;
use crate::usage::{self, TrackCall};
pub use abetworks_types::views::{RunAccepted, RunError, RunProgress, RunView};

pub mod worker;

/// The REST route that enqueues a run, as usage rows record it.
pub const RUNS_ENDPOINT: &str = "/api/agents/{agentId}/runs";
/// How many times a worker may take a run (its instance dying each time) before it is
/// abandoned and refunded.
pub const MAX_ATTEMPTS: i32 = 3;
/// The `error_code` of a run stopped by its owner.
pub const CANCELLED_CODE: &str = "RUN_CANCELLED";
/// Runs re-queued or settled per sweep transaction.
const REQUEUE_BATCH: u64 = 100;

/// Who asks to run what in the background.
#[derive(Clone, Debug)]
pub struct RunRequest<'a> {
    pub user_id: &'a str,
    pub api_key_id: Option<&'a str>,
    /// The one agent a scoped API key may run.
    pub key_agent_scope: Option<&'a str>,
    /// The agent's id or slug.
    pub agent: &'a str,
    pub input: Value,
    /// The time of the call (from the state's clock) and the default burst rate.
    pub quota: QuotaContext,
}

/// Admits the run and queues it: the license check, the unit, the `queued` execution and its
/// first event commit together, or nothing is written. The outer `Err` is a fault of ours;
/// the inner result is the caller's answer (the same refusals as execute). Every call writes
/// one usage row.
pub async fn enqueue(
    db: &DatabaseConnection,
    request: RunRequest<'_>,
) -> CoreResult<Result<RunAccepted, ExecuteFailure>> {
    let agent = crate::catalog::find_agent(db, request.agent).await?;
    let outcome = enqueue_for(db, &request, agent.as_ref()).await;
    let (status, error) = match &outcome {
        Ok(Ok(_)) => (202, None),
        Ok(Err(failure)) => (
            failure.status_code(),
            Some(failure.code().as_str().to_owned()),
        ),
        Err(e) => (500, Some(e.to_string())),
    };
    usage::track(
        db,
        TrackCall {
            user_id: Some(request.user_id.to_owned()),
            agent_id: agent.map(|a| a.id),
            api_key_id: request.api_key_id.map(str::to_owned),
            endpoint: RUNS_ENDPOINT.to_owned(),
            method: "POST".to_owned(),
            status_code: status,
            duration_ms: 0,
            error,
        },
    )
    .await?;
    outcome
}

async fn enqueue_for(
    db: &DatabaseConnection,
    request: &RunRequest<'_>,
    agent: Option<&agent_catalog::Model>,
) -> CoreResult<Result<RunAccepted, ExecuteFailure>> {
    let agent = match crate::gateway::agent_in_scope(agent, request.key_agent_scope) {
        Ok(agent) => agent,
        Err(failure) => return Ok(Err(failure)),
    };
    let txn = begin_write(db).await?;
    let admitted = match lease::admit_in(&txn, &request.quota, request.user_id, &agent.id).await? {
        Ok(admitted) => admitted,
        Err(refusal) => return Ok(Err(refusal.into())),
    };
    let new = crate::executions::NewExecution {
        user_id: request.user_id.to_owned(),
        agent_id: agent.id.clone(),
        license_id: None,
        api_key_id: request.api_key_id.map(str::to_owned),
        // Shown with its secret fields masked; the worker runs the real input (`run_input`).
        input: mask_secrets(&agent.input_schema, &request.input),
    };
    let mut run = new_row(new, ExecutionStatus::Queued, ExecutionMode::Background);
    admitted.stamp(&mut run);
    run.attempts = Set(0);
    run.run_input = Set(Some(request.input.clone()));
    let run = run.insert(&txn).await?;
    append_status(&txn, &run, ExecutionStatus::Queued).await?;
    txn.commit().await?;
    Ok(Ok(RunAccepted {
        run_id: run.id,
        status: ExecutionStatus::Queued,
        usage: admitted.usage,
    }))
}

/// A `status` event's data: the status and the attempt it belongs to.
fn status_data(run: &executions::Model, status: ExecutionStatus) -> Value {
    json!({ "status": status, "attempt": run.attempts })
}

/// Writes the run's next `status` event (its new status and attempt), as [`append_event`];
/// a final status also emits `run.finished` for its owner, in the same transaction.
pub(crate) async fn append_status(
    txn: &impl ConnectionTrait,
    run: &executions::Model,
    status: ExecutionStatus,
) -> CoreResult<i64> {
    let seq = append_event(txn, &run.id, RunEventKind::Status, status_data(run, status)).await?;
    if status.is_finished() {
        let event = crate::outbox::payloads::run_finished(txn, run, status).await?;
        crate::outbox::emit(txn, event).await?;
    }
    Ok(seq)
}

/// The update that ends the run `run_id` with `status`: its end time, and its unmasked input
/// dropped. The caller adds what else changes and the status it may change from.
pub(crate) fn finishing(
    run_id: &str,
    status: ExecutionStatus,
) -> sea_orm::UpdateMany<executions::Entity> {
    executions::Entity::update_many()
        .col_expr(executions::Column::Status, Expr::value(status))
        .col_expr(executions::Column::FinishedAt, Expr::value(Utc::now()))
        .col_expr(
            executions::Column::RunInput,
            Expr::value(Option::<Value>::None),
        )
        .filter(executions::Column::Id.eq(run_id))
}

/// Writes the run's next event (its `seq` is one more than the last) inside the caller's
/// transaction, which has changed the run's row first: the row's lock (PostgreSQL) or the
/// immediate transaction (SQLite) orders the writers of one run.
pub(crate) async fn append_event(
    txn: &impl ConnectionTrait,
    run_id: &str,
    kind: RunEventKind,
    data: Value,
) -> CoreResult<i64> {
    let last = run_events::Entity::find()
        .filter(run_events::Column::RunId.eq(run_id))
        .order_by_desc(run_events::Column::Seq)
        .one(txn)
        .await?
        .map_or(0, |event| event.seq);
    let seq = last + 1;
    run_events::ActiveModel {
        id: Set(new_id()),
        run_id: Set(run_id.to_owned()),
        seq: Set(seq),
        kind: Set(kind),
        data: Set(data),
        created_at: Set(Utc::now()),
    }
    .insert(txn)
    .await?;
    Ok(seq)
}

/// Takes the oldest queued run whose agent is not in `busy_agents` and marks it `running` under
/// `lease` (one more attempt), with its event, in one transaction. `None` when none waits.
pub async fn claim_next(
    db: &DatabaseConnection,
    lease: &LeaseSettings,
    busy_agents: &[String],
) -> CoreResult<Option<executions::Model>> {
    let queued = || {
        let query = executions::Entity::find()
            .filter(executions::Column::Mode.eq(ExecutionMode::Background))
            .filter(executions::Column::Status.eq(ExecutionStatus::Queued));
        match busy_agents.is_empty() {
            true => query,
            false => {
                query.filter(executions::Column::AgentId.is_not_in(busy_agents.iter().cloned()))
            }
        }
    };
    // A plain read first: an idle worker takes no write lock (SQLite has one for everybody).
    if queued().one(db).await?.is_none() {
        return Ok(None);
    }
    let txn = begin_write(db).await?;
    let mut query = queued()
        .order_by_asc(executions::Column::CreatedAt)
        .order_by_asc(executions::Column::Id)
        .limit(1);
    if db.get_database_backend() == DbBackend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let Some(queued) = query.one(&txn).await? else {
        return Ok(None);
    };
    let now = lease.clock.now();
    let holder = Some((lease.owner.to_string(), lease.expires_at(now)));
    let taken = moving(
        &queued.id,
        ExecutionStatus::Queued,
        ExecutionStatus::Running,
        holder,
    )
    .col_expr(executions::Column::StartedAt, Expr::value(now))
    .col_expr(
        executions::Column::Attempts,
        Expr::col(executions::Column::Attempts).add(1),
    )
    .exec(&txn)
    .await?;
    if taken.rows_affected != 1 {
        // Cancelled meanwhile (SQLite cannot get here: the transaction holds the writers).
        return Ok(None);
    }
    let run = find_run(&txn, &queued.id).await?;
    append_status(&txn, &run, ExecutionStatus::Running).await?;
    txn.commit().await?;
    Ok(Some(run))
}

/// The update that moves the run `run_id` from `from` to `to`, held under `holder`'s lease
/// (its owner and end) or by no one: a claim, or a return to the queue.
fn moving(
    run_id: &str,
    from: ExecutionStatus,
    to: ExecutionStatus,
    holder: Option<(String, DateTime<Utc>)>,
) -> sea_orm::UpdateMany<executions::Entity> {
    let (owner, expires_at) = holder.unzip();
    executions::Entity::update_many()
        .col_expr(executions::Column::Status, Expr::value(to))
        .col_expr(executions::Column::LeaseOwner, Expr::value(owner))
        .col_expr(executions::Column::LeaseExpiresAt, Expr::value(expires_at))
        .filter(executions::Column::Id.eq(run_id))
        .filter(executions::Column::Status.eq(from))
}

async fn find_run(db: &impl ConnectionTrait, run_id: &str) -> CoreResult<executions::Model> {
    if !is_valid_id(run_id) {
        return Err(CoreError::NotFound { entity: "run" });
    }
    executions::Entity::find_by_id(run_id)
        .filter(executions::Column::Mode.eq(ExecutionMode::Background))
        .one(db)
        .await?
        .ok_or(CoreError::NotFound { entity: "run" })
}

/// The run if `actor` may see it: its owner or a super admin (anyone else: not found).
async fn visible_run(
    db: &impl ConnectionTrait,
    actor: &Actor,
    run_id: &str,
) -> CoreResult<executions::Model> {
    let run = find_run(db, run_id).await?;
    if run.user_id != actor.user_id && !actor.role.is_super_admin() {
        return Err(CoreError::NotFound { entity: "run" });
    }
    Ok(run)
}

fn view_of(run: executions::Model, agent: Option<agent_catalog::Model>) -> RunView {
    let (agent_name, agent_slug) = agent.map_or_else(Default::default, |a| (a.name, a.slug));
    let progress = match (run.progress_done, run.progress_total) {
        (Some(done), Some(total)) => Some(RunProgress {
            done,
            total,
            message: run.progress_message,
        }),
        _ => None,
    };
    let error = run.error_code.map(|code| RunError {
        code,
        message: run.error_message.unwrap_or_default(),
    });
    RunView {
        run_id: run.id,
        agent_id: run.agent_id,
        agent_name,
        agent_slug,
        status: run.status,
        progress,
        output: run.output,
        error,
        cancel_requested: run.cancel_requested,
        attempts: run.attempts,
        created_at: run.created_at,
        started_at: run.started_at,
        finished_at: run.finished_at,
    }
}

/// The run as its owner or a super admin sees it (404 for anyone else).
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, run_id: &str) -> CoreResult<RunView> {
    let run = visible_run(db, actor, run_id).await?;
    let agent = agent_catalog::Entity::find_by_id(run.agent_id.clone())
        .one(db)
        .await?;
    Ok(view_of(run, agent))
}

/// The actor's own runs, newest first, optionally of one status or agent.
pub async fn list_mine(
    db: &DatabaseConnection,
    actor: &Actor,
    status: Option<ExecutionStatus>,
    agent_id: Option<&str>,
    page: PageRequest,
) -> CoreResult<Page<RunView>> {
    let mut query = executions::Entity::find()
        .filter(executions::Column::UserId.eq(&actor.user_id))
        .filter(executions::Column::Mode.eq(ExecutionMode::Background))
        .order_by_desc(executions::Column::CreatedAt)
        .order_by_desc(executions::Column::Id);
    if let Some(status) = status {
        query = query.filter(executions::Column::Status.eq(status));
    }
    if let Some(agent_id) = agent_id {
        let agent = crate::catalog::find_agent(db, agent_id)
            .await?
            .ok_or(CoreError::NotFound { entity: "agent" })?;
        query = query.filter(executions::Column::AgentId.eq(agent.id));
    }
    let page = page_of(
        db,
        query
            .find_also_related(agent_catalog::Entity)
            .into_model::<executions::Model, agent_catalog::Model>(),
        page,
    )
    .await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|(run, agent)| view_of(run, agent))
            .collect(),
        total: page.total,
        page: page.page,
        page_size: page.page_size,
    })
}

/// The run's events after `after_seq` (0: all of them), in order, for a caller who may see it.
pub async fn events_after(
    db: &impl ConnectionTrait,
    actor: &Actor,
    run_id: &str,
    after_seq: i64,
) -> CoreResult<Vec<run_events::Model>> {
    visible_run(db, actor, run_id).await?;
    events_since(db, run_id, after_seq).await
}

/// The run's events after `after_seq`, in order (the caller has checked who asks).
pub async fn events_since(
    db: &impl ConnectionTrait,
    run_id: &str,
    after_seq: i64,
) -> CoreResult<Vec<run_events::Model>> {
    Ok(run_events::Entity::find()
        .filter(run_events::Column::RunId.eq(run_id))
        .filter(run_events::Column::Seq.gt(after_seq))
        .order_by_asc(run_events::Column::Seq)
        .all(db)
        .await?)
}

/// Whether an event is the run's last: a `status` event with a final status.
pub fn is_final_event(event: &run_events::Model) -> bool {
    event.kind == RunEventKind::Status
        && serde_json::from_value::<ExecutionStatus>(event.data["status"].clone())
            .is_ok_and(ExecutionStatus::is_finished)
}

/// Stops a run for its owner or a super admin. A queued run is cancelled and refunded at once;
/// a running one is marked `cancel_requested` (its worker settles it cancelled and refunded);
/// a finished one is a conflict.
pub async fn cancel(
    db: &DatabaseConnection,
    actor: &Actor,
    run_id: &str,
    now: DateTime<Utc>,
) -> CoreResult<RunView> {
    let txn = begin_write(db).await?;
    let run = visible_run(&txn, actor, run_id).await?;
    if run.status.is_finished() {
        return Err(CoreError::Conflict(ConflictReason::AlreadyFinished));
    }
    if !settle_cancelled(&txn, &run, ExecutionStatus::Queued, now).await? {
        let requested = executions::Entity::update_many()
            .col_expr(executions::Column::CancelRequested, Expr::value(true))
            .filter(executions::Column::Id.eq(&run.id))
            .filter(executions::Column::Status.eq(ExecutionStatus::Running))
            .exec(&txn)
            .await?;
        if requested.rows_affected != 1 {
            // It finished between the read and the write (PostgreSQL).
            return Err(CoreError::Conflict(ConflictReason::AlreadyFinished));
        }
    }
    txn.commit().await?;
    get(db, actor, run_id).await
}

/// Cancels `run` if it is still `from` (and, for a running run, still held by `owner`): the
/// status, the refund and the events in the caller's transaction. `false` when it had changed.
pub(crate) async fn settle_cancelled(
    txn: &impl ConnectionTrait,
    run: &executions::Model,
    from: ExecutionStatus,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    let message = "The run was cancelled by its owner; the call was not counted.";
    let changed = finishing(&run.id, ExecutionStatus::Cancelled)
        .col_expr(executions::Column::ErrorCode, Expr::value(CANCELLED_CODE))
        .col_expr(executions::Column::ErrorMessage, Expr::value(message))
        .filter(executions::Column::Status.eq(from))
        .exec(txn)
        .await?;
    if changed.rows_affected != 1 {
        return Ok(false);
    }
    refund(txn, run, now).await?;
    append_status(txn, run, ExecutionStatus::Cancelled).await?;
    Ok(true)
}

/// Gives the run's unit back to the license or pool and the window it was taken from.
pub(crate) async fn refund(
    txn: &impl ConnectionTrait,
    run: &executions::Model,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    match (quota::Unit::of_execution(run), run.window_start_unix) {
        (Some(unit), Some(window)) => quota::give_back(txn, &unit, &run.user_id, window, now).await,
        _ => Ok(false),
    }
}

/// Settles the background runs whose lease ended before `now` (their instance died): each goes
/// back to the queue, its unit still taken, until it has been taken [`MAX_ATTEMPTS`] times;
/// then it is abandoned and refunded like a synchronous execution. One whose owner asked to
/// cancel it is cancelled and refunded. Returns how many it settled. Part of every sweep.
pub async fn requeue_expired(db: &DatabaseConnection, now: DateTime<Utc>) -> CoreResult<u64> {
    let mut settled = 0;
    loop {
        let txn = begin_write(db).await?;
        let expired = crate::executions::sweep::expired_leases(
            &txn,
            ExecutionMode::Background,
            now,
            REQUEUE_BATCH,
        )
        .await?;
        let claimed = expired.len() as u64;
        for run in expired {
            let done = if run.cancel_requested {
                settle_cancelled(&txn, &run, ExecutionStatus::Running, now).await?
            } else if run.attempts < MAX_ATTEMPTS {
                requeue(&txn, &run, now).await?
            } else {
                abandon(&txn, &run, now).await?
            };
            settled += u64::from(done);
        }
        txn.commit().await?;
        if claimed < REQUEUE_BATCH {
            return Ok(settled);
        }
    }
}

/// Puts a running run whose lease ended back in the queue, with its event.
async fn requeue(
    txn: &impl ConnectionTrait,
    run: &executions::Model,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    let changed = moving(
        &run.id,
        ExecutionStatus::Running,
        ExecutionStatus::Queued,
        None,
    )
    .filter(executions::Column::LeaseExpiresAt.lt(now))
    .exec(txn)
    .await?;
    if changed.rows_affected != 1 {
        return Ok(false);
    }
    tracing::warn!(
        run_id = %run.id,
        attempt = run.attempts,
        lease_owner = run.lease_owner.as_deref().unwrap_or("unknown"),
        "a background run's instance stopped; the run is queued again"
    );
    let mut data = status_data(run, ExecutionStatus::Queued);
    data["reason"] = json!("The server running it stopped; it will be run again.");
    append_event(txn, &run.id, RunEventKind::Status, data).await?;
    Ok(true)
}

/// Abandons a run taken [`MAX_ATTEMPTS`] times (the sweeper's settlement: refunded, logged,
/// counted as a failure), with its events.
async fn abandon(
    txn: &(impl ConnectionTrait + sea_orm::TransactionTrait),
    run: &executions::Model,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    if !crate::executions::sweep::abandon(txn, run, now).await? {
        return Ok(false);
    }
    executions::Entity::update_many()
        .col_expr(
            executions::Column::RunInput,
            Expr::value(Option::<Value>::None),
        )
        .filter(executions::Column::Id.eq(&run.id))
        .exec(txn)
        .await?;
    use crate::executions::sweep::{ABANDONED_CODE, ABANDONED_MESSAGE};
    append_event(
        txn,
        &run.id,
        RunEventKind::Error,
        json!({ "code": ABANDONED_CODE, "message": ABANDONED_MESSAGE }),
    )
    .await?;
    append_status(txn, run, ExecutionStatus::Abandoned).await?;
    Ok(true)
}

#[cfg(test)]
mod tests;
