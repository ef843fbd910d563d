//! The workers of one instance: they take queued runs ([`super::claim_next`]), run them on the
//! agent service as a stream, write the agent's progress into the run (throttled), renew the
//! lease, and settle the run: `succeeded` with its output, or `failed` and refunded, or
//! `cancelled` and refunded when its owner asked — each with its events, in one transaction.
//!
//! Concurrency is bounded per instance (`ABETWORKS_RUN_WORKERS`) and per agent
//! (`ABETWORKS_RUN_WORKERS_PER_AGENT`): long runs occupy the agent service's workers, so the sum
//! over instances should stay below the service's worker count.
//!
//! A worker that loses its lease (the sweeper re-queued the run: this instance could not reach
//! the database for a whole lease period) drops the stream, which stops the agent, and leaves
//! the run to whoever takes it next.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};
use serde_json::{json, Value};
use tokio::sync::Semaphore;

use super::{append_event, append_status, claim_next, settle_cancelled};
use crate::agent_client::{AgentClient, AgentError, AgentEvent, AgentEventStream, AgentOutput};
use crate::db::begin_write;
use crate::entities::enums::{AgentStatus, ExecutionStatus, RunEventKind};
use crate::entities::{agent_catalog, module_executions as executions};
use crate::error::CoreResult;
use crate::executions::lease::{self, LeaseSettings};
use crate::executions::MAX_ERROR_MESSAGE_CHARS;
use crate::input::storable_text;

/// How long one run may take on the agent service (its own limit is 600 s).
pub const RUN_TIME_LIMIT: Duration = Duration::from_secs(630);
/// How often an idle worker looks at the queue.
pub const POLL_EVERY: Duration = Duration::from_millis(300);
/// How often a running run looks whether its owner asked to stop it.
pub const CANCEL_CHECK_EVERY: Duration = Duration::from_secs(1);
/// Progress is written at most this often (the last report before the output always is).
pub const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// How many runs one instance runs at once, and of one agent.
#[derive(Clone, Copy, Debug)]
pub struct WorkerSettings {
    pub workers: usize,
    pub per_agent: usize,
}

/// Runs this instance's workers until the task is aborted: at most `settings.workers` runs at
/// once, at most `settings.per_agent` of one agent.
pub async fn run_workers(
    db: DatabaseConnection,
    agents: AgentClient,
    lease: LeaseSettings,
    settings: WorkerSettings,
) {
    if settings.workers == 0 {
        return;
    }
    let permits = Arc::new(Semaphore::new(settings.workers));
    let running: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    // The runs in progress: aborting the workers (the instance stops) drops them, and so their
    // agent streams; their leases end and another instance takes them again.
    let mut in_progress = tokio::task::JoinSet::new();
    loop {
        while in_progress.try_join_next().is_some() {}
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        let busy: Vec<String> = running
            .lock()
            .map(|running| {
                running
                    .iter()
                    .filter(|(_, n)| **n >= settings.per_agent)
                    .map(|(agent, _)| agent.clone())
                    .collect()
            })
            .unwrap_or_default();
        match claim_next(&db, &lease, &busy).await {
            Ok(Some(run)) => {
                let agent_id = run.agent_id.clone();
                if let Ok(mut running) = running.lock() {
                    *running.entry(agent_id.clone()).or_default() += 1;
                }
                let (db, agents, lease, running) =
                    (db.clone(), agents.clone(), lease.clone(), running.clone());
                in_progress.spawn(async move {
                    if let Err(e) = execute_run(&db, &agents, &lease, run).await {
                        tracing::warn!(
                            "a background run could not be settled; the sweeper will: {e}"
                        );
                    }
                    if let Ok(mut running) = running.lock() {
                        if let Some(n) = running.get_mut(&agent_id) {
                            *n = n.saturating_sub(1);
                        }
                    }
                    drop(permit);
                });
            }
            Ok(None) => {
                drop(permit);
                tokio::time::sleep(POLL_EVERY).await;
            }
            Err(e) => {
                drop(permit);
                tracing::warn!("could not look at the run queue: {e}");
                tokio::time::sleep(POLL_EVERY).await;
            }
        }
    }
}

/// How a run's agent call ended.
enum Ended {
    Output(AgentOutput),
    Failed(AgentError),
    /// Its owner asked to stop it.
    Cancelled,
    /// This instance no longer holds it (re-queued or settled by the sweeper).
    Lost,
}

/// What the run's row says at a renewal or a progress report.
enum Hold {
    Keep,
    Cancel,
    Lost,
}

/// Runs one claimed run to its end and settles it.
pub async fn execute_run(
    db: &DatabaseConnection,
    agents: &AgentClient,
    lease: &LeaseSettings,
    run: executions::Model,
) -> CoreResult<()> {
    let agent = agent_catalog::Entity::find_by_id(run.agent_id.clone())
        .one(db)
        .await?;
    let began = Instant::now();
    let ended = match &agent {
        Some(agent) if agent.status == AgentStatus::Available => {
            drive(db, agents, lease, &run, agent).await
        }
        _ => Ended::Failed(AgentError::UnknownAgent),
    };
    let duration_ms = began.elapsed().as_millis() as i64;
    match ended {
        Ended::Output(answer) => settle_success(db, lease, &run, answer, duration_ms).await,
        Ended::Failed(error) => {
            let Some(agent) = agent else {
                return settle_failed(
                    db,
                    lease,
                    &run,
                    "AGENT_NOT_FOUND",
                    "The agent is gone.",
                    None,
                    duration_ms,
                )
                .await;
            };
            let failure =
                crate::gateway::agent_failure(db, error, &run.user_id, &agent, None, &run.id)
                    .await?;
            settle_failed(
                db,
                lease,
                &run,
                failure.code().as_str(),
                &failure.message(),
                failure.reference_id(),
                duration_ms,
            )
            .await
        }
        Ended::Cancelled => {
            let txn = begin_write(db).await?;
            settle_cancelled(&txn, &run, ExecutionStatus::Running, lease.clock.now()).await?;
            txn.commit().await?;
            Ok(())
        }
        Ended::Lost => Ok(()),
    }
}

/// The execution id the agent call is signed for: the run's id, and for a later attempt the
/// run's id with the attempt (the service refuses an id it has seen).
fn signed_id(run: &executions::Model) -> String {
    if run.attempts <= 1 {
        run.id.clone()
    } else {
        format!("{}-attempt-{}", run.id, run.attempts)
    }
}

/// Calls the agent as a stream, renewing the lease and writing progress, until it ends, the
/// owner cancels or the lease is lost. Dropping the stream stops the agent.
async fn drive(
    db: &DatabaseConnection,
    agents: &AgentClient,
    lease: &LeaseSettings,
    run: &executions::Model,
    agent: &agent_catalog::Model,
) -> Ended {
    let input = run.run_input.clone().unwrap_or_else(|| run.input.clone());
    // Each tick looks whether the owner asked to stop; the lease is renewed every third of its
    // period (a progress report renews it too).
    let every = lease.renew_every().min(CANCEL_CHECK_EVERY);
    let mut renewed = Instant::now();
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let id = signed_id(run);
    let opening = agents.execute_streaming(&id, &run.user_id, &agent.slug, &input, RUN_TIME_LIMIT);
    let mut opening = std::pin::pin!(opening);
    let opened = loop {
        tokio::select! {
            opened = &mut opening => break opened,
            _ = tick.tick() => match hold(db, &run.id, lease, &mut renewed).await {
                Hold::Keep => {}
                Hold::Cancel => return Ended::Cancelled,
                Hold::Lost => return Ended::Lost,
            },
        }
    };
    let mut stream: AgentEventStream = match opened {
        Ok(stream) => stream,
        Err(error) => return Ended::Failed(error),
    };
    let mut last_written: Option<Instant> = None;
    let mut pending: Option<(u64, u64, Option<String>)> = None;
    loop {
        let hold = tokio::select! {
            event = stream.next() => match event {
                None => return Ended::Failed(AgentError::Malformed("the stream ended without an answer".into())),
                Some(Err(error)) => return Ended::Failed(error),
                Some(Ok(AgentEvent::Output(answer))) => {
                    if let Some(report) = pending.take() {
                        // The last report before the output is always written (tried twice).
                        for _ in 0..2 {
                            match write_progress(db, &run.id, lease, report.clone()).await {
                                Some(Hold::Lost) => return Ended::Lost,
                                Some(_) => break,
                                None => {}
                            }
                        }
                    }
                    return Ended::Output(answer);
                }
                Some(Ok(AgentEvent::Progress { done, total, message })) => {
                    let report = (done, total, message);
                    if last_written.is_some_and(|at| at.elapsed() < PROGRESS_EVERY) {
                        pending = Some(report);
                        Hold::Keep
                    } else {
                        last_written = Some(Instant::now());
                        renewed = Instant::now();
                        // This report supersedes any older one still waiting.
                        pending = None;
                        write_or_keep(db, &run.id, lease, report, &mut pending).await
                    }
                }
            },
            _ = tick.tick() => match pending.take() {
                Some(report) => {
                    last_written = Some(Instant::now());
                    renewed = Instant::now();
                    write_or_keep(db, &run.id, lease, report, &mut pending).await
                }
                None => hold(db, &run.id, lease, &mut renewed).await,
            },
        };
        match hold {
            Hold::Keep => {}
            Hold::Cancel => return Ended::Cancelled,
            Hold::Lost => return Ended::Lost,
        }
    }
}

/// At a tick: renews the lease when a third of its period has passed since the last renewal,
/// and looks whether the owner asked to stop the run.
async fn hold(
    db: &DatabaseConnection,
    run_id: &str,
    lease: &LeaseSettings,
    renewed: &mut Instant,
) -> Hold {
    if renewed.elapsed() >= lease.renew_every() {
        *renewed = Instant::now();
        renew(db, run_id, lease).await
    } else {
        cancel_requested(db, run_id).await
    }
}

/// Renews the run's lease and looks whether its owner asked to stop it. A database that does
/// not answer is logged and tried again at the next tick.
async fn renew(db: &DatabaseConnection, run_id: &str, lease: &LeaseSettings) -> Hold {
    match lease::renew(db, run_id, lease).await {
        Ok(true) => cancel_requested(db, run_id).await,
        Ok(false) => Hold::Lost,
        Err(e) => {
            tracing::warn!(run_id, "could not renew a background run's lease: {e}");
            Hold::Keep
        }
    }
}

async fn cancel_requested(db: &impl ConnectionTrait, run_id: &str) -> Hold {
    match executions::Entity::find_by_id(run_id).one(db).await {
        Ok(Some(run)) if run.cancel_requested => Hold::Cancel,
        Ok(Some(_)) | Err(_) => Hold::Keep,
        Ok(None) => Hold::Lost,
    }
}

/// A progress report: done, total, message.
type Report = (u64, u64, Option<String>);

/// Writes `report` ([`write_progress`]); one the database did not take goes back to `pending`
/// (unless a newer one is there), so the next tick or the output writes it.
async fn write_or_keep(
    db: &DatabaseConnection,
    run_id: &str,
    lease: &LeaseSettings,
    report: Report,
    pending: &mut Option<Report>,
) -> Hold {
    match write_progress(db, run_id, lease, report.clone()).await {
        Some(hold) => hold,
        None => {
            pending.get_or_insert(report);
            Hold::Keep
        }
    }
}

/// Writes the agent's progress into the run (its columns and a `progress` event) and renews the
/// lease, in one transaction, only while this instance holds the run. `None` when the database
/// did not take it (logged): the caller keeps the report to write it again.
async fn write_progress(
    db: &DatabaseConnection,
    run_id: &str,
    lease: &LeaseSettings,
    (done, total, message): Report,
) -> Option<Hold> {
    let written = async {
        let txn = begin_write(db).await?;
        let message = message.map(|m| storable_text(&m, 500));
        let done = i64::try_from(done).unwrap_or(i64::MAX);
        let total = i64::try_from(total).unwrap_or(i64::MAX);
        let changed = lease
            .renewing(run_id)
            .col_expr(executions::Column::ProgressDone, Expr::value(done))
            .col_expr(executions::Column::ProgressTotal, Expr::value(total))
            .col_expr(
                executions::Column::ProgressMessage,
                Expr::value(message.clone()),
            )
            .exec(&txn)
            .await?;
        if changed.rows_affected != 1 {
            return Ok::<_, crate::CoreError>(Hold::Lost);
        }
        append_event(
            &txn,
            run_id,
            RunEventKind::Progress,
            json!({ "done": done, "total": total, "message": message }),
        )
        .await?;
        let hold = cancel_requested(&txn, run_id).await;
        txn.commit().await?;
        Ok(hold)
    }
    .await;
    match written {
        Ok(hold) => Some(hold),
        Err(e) => {
            tracing::warn!(run_id, "could not write a background run's progress: {e}");
            None
        }
    }
}

/// The columns every settlement of a run held by this instance changes, on a run still running
/// under `lease`: its status, the end, and the unmasked input is dropped.
fn settle(
    run_id: &str,
    lease: &LeaseSettings,
    status: ExecutionStatus,
    duration_ms: i64,
) -> sea_orm::UpdateMany<executions::Entity> {
    let update = super::finishing(run_id, status)
        .col_expr(executions::Column::DurationMs, Expr::value(duration_ms));
    lease.holding(update, run_id)
}

/// Finishes the run `succeeded` with its output, roll-up and events, in one transaction. A run
/// this instance no longer holds is left as it is.
async fn settle_success(
    db: &DatabaseConnection,
    lease: &LeaseSettings,
    run: &executions::Model,
    answer: AgentOutput,
    duration_ms: i64,
) -> CoreResult<()> {
    let txn = begin_write(db).await?;
    let changed = settle(&run.id, lease, ExecutionStatus::Succeeded, duration_ms)
        .col_expr(
            executions::Column::Output,
            Expr::value(answer.output.clone()),
        )
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        tracing::warn!(run_id = %run.id, "a background run succeeded after this instance lost it; left as it is");
        return Ok(());
    }
    crate::outbox::alerts::after_success(&txn, run, lease.clock.now()).await?;
    let output = json!({ "output": answer.output, "durationMs": duration_ms });
    let end = (ExecutionStatus::Succeeded, RunEventKind::Output, output);
    close(txn, run, duration_ms, end).await
}

/// Writes a settled run's roll-up (a success or a failure as `end`'s status says), its
/// closing event (`end`'s kind and data) then its final status, and commits.
async fn close(
    txn: sea_orm::DatabaseTransaction,
    run: &executions::Model,
    duration_ms: i64,
    (status, kind, data): (ExecutionStatus, RunEventKind, Value),
) -> CoreResult<()> {
    crate::usage::add_to_daily_roll_up(
        &txn,
        &run.user_id,
        &run.agent_id,
        Utc::now().date_naive(),
        status == ExecutionStatus::Succeeded,
        duration_ms,
    )
    .await?;
    append_event(&txn, &run.id, kind, data).await?;
    append_status(&txn, run, status).await?;
    txn.commit().await?;
    Ok(())
}

/// Finishes the run `failed`, refunds its unit and writes its roll-up and events, in one
/// transaction. A run this instance no longer holds is left as it is.
async fn settle_failed(
    db: &DatabaseConnection,
    lease: &LeaseSettings,
    run: &executions::Model,
    code: &str,
    message: &str,
    reference_id: Option<&str>,
    duration_ms: i64,
) -> CoreResult<()> {
    let txn = begin_write(db).await?;
    let changed = settle(&run.id, lease, ExecutionStatus::Failed, duration_ms)
        .col_expr(executions::Column::ErrorCode, Expr::value(code))
        .col_expr(
            executions::Column::ErrorMessage,
            Expr::value(storable_text(message, MAX_ERROR_MESSAGE_CHARS)),
        )
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Ok(());
    }
    super::refund(&txn, run, lease.clock.now()).await?;
    let error = json!({ "code": code, "message": message, "referenceId": reference_id });
    close(
        txn,
        run,
        duration_ms,
        (ExecutionStatus::Failed, RunEventKind::Error, error),
    )
    .await
}
