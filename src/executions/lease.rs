//! Executions as durable records with a lease, so nothing is lost when a process dies.
//!
//! - **Admission** ([`admit_and_start`]): the license check, the atomic admission
//!   (`quota::admit`, or the organisation's pool when the caller's own license does not admit:
//!   [`admit_in`]) and the `running` execution with its unit, window and lease are written in
//!   one transaction. Either the unit is taken *and* the execution recorded, or neither.
//! - **While the agent runs** ([`hold_while`]) the instance renews the lease every third of its
//!   period; a renewal only touches an execution still `running` under this instance's lease.
//! - **Finishing** only applies to an execution still `running`: a success is finished with its
//!   roll-up ([`finish_success`]); a failure is finished `failed` and its unit refunded in one
//!   transaction ([`settle_failure`]).
//! - **The sweeper** (`super::sweep`) marks executions whose lease ended `abandoned`, refunds
//!   their unit and logs an error, in one transaction per batch.
//!
//! A late finish (the sweeper abandoned the execution while its call was still running, e.g.
//! the instance could not reach the database to renew for a whole lease period) changes
//! nothing: the execution stays `abandoned` and its unit stays refunded, so the unit is never
//! given back twice and no execution comes back to life. The caller of a late success still
//! gets the agent's answer; that call is simply not counted.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, Set,
};

use super::{add_to_roll_up, finish_in, mark_finished, new_row, ExecutionOutcome, NewExecution};
use crate::clock::SharedClock;
use crate::db::begin_write;
use crate::entities::enums::{ExecutionMode, ExecutionStatus};
use crate::entities::module_executions as executions;
use crate::error::{ConflictReason, CoreError, CoreResult};
use crate::ids::new_id;
pub use crate::quota::Unit;
use crate::quota::{self, Admission, LicenseDenial, QuotaContext, UsageSnapshot};
use crate::subscriptions::admission as pools;
use crate::usage::{self, TrackCall};

mod one_statement;

/// Who holds the leases of this process's executions, for how long, and where "now" comes
/// from (`AppState::execution_lease`).
#[derive(Clone, Debug)]
pub struct LeaseSettings {
    /// This instance's id (`AppState.instance_id`), new at every start.
    pub owner: Arc<str>,
    /// How long a lease lasts unless renewed (`ABETWORKS_EXECUTION_LEASE_SECS`).
    pub period: Duration,
    pub clock: SharedClock,
}

impl Default for LeaseSettings {
    /// A new owner, the default period and the system clock (for tools and tests).
    fn default() -> Self {
        Self {
            owner: new_instance_id().into(),
            period: Duration::from_secs(crate::config::DEFAULT_EXECUTION_LEASE_SECS),
            clock: crate::clock::system(),
        }
    }
}

impl LeaseSettings {
    /// When a lease taken or renewed at `now` ends.
    pub fn expires_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + chrono::Duration::from_std(self.period).unwrap_or(chrono::Duration::seconds(60))
    }

    /// How often a running execution's lease is renewed: a third of its period, so two
    /// renewals may fail before it ends.
    pub fn renew_every(&self) -> Duration {
        std::cmp::max(self.period / 3, Duration::from_millis(10))
    }

    /// Limits `update` to the execution `execution_id` while it is still `running` under this
    /// lease (not finished, not swept, not taken by another instance).
    pub(crate) fn holding(
        &self,
        update: sea_orm::UpdateMany<executions::Entity>,
        execution_id: &str,
    ) -> sea_orm::UpdateMany<executions::Entity> {
        update
            .filter(executions::Column::Id.eq(execution_id))
            .filter(executions::Column::Status.eq(ExecutionStatus::Running))
            .filter(executions::Column::LeaseOwner.eq(&*self.owner))
    }

    /// The update that renews this lease on the execution `execution_id` (see [`Self::holding`]).
    pub(crate) fn renewing(&self, execution_id: &str) -> sea_orm::UpdateMany<executions::Entity> {
        let update = executions::Entity::update_many().col_expr(
            executions::Column::LeaseExpiresAt,
            Expr::value(self.expires_at(self.clock.now())),
        );
        self.holding(update, execution_id)
    }
}

/// A new id for this server instance: the process id and a UUID v7, unique across restarts.
pub fn new_instance_id() -> String {
    format!("pid{}-{}", std::process::id(), new_id())
}

/// An admitted call, recorded as `running` under a lease.
#[derive(Clone, Debug)]
pub struct Started {
    pub execution: executions::Model,
    /// The license or pool the unit was taken from; a refund goes there.
    pub unit: Unit,
    /// The quota window the unit was taken from; a refund goes there.
    pub window_start_unix: i64,
    /// The usage of the unit's license or pool, including this call (for display).
    pub usage: UsageSnapshot,
}

/// Why a call was not admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No license in force, or it changed meanwhile (revoked, suspended, expired).
    License(LicenseDenial),
    /// The organisation's pool for the agent has expired (and no license admits the call).
    SubscriptionExpired,
    /// The window's limit is reached; seconds until it resets (none for lifetime).
    QuotaExceeded {
        usage: UsageSnapshot,
        retry_after_secs: Option<i64>,
    },
    /// Over the burst rate this second.
    RateLimited { retry_after_secs: i64 },
}

/// A unit taken inside the caller's transaction.
#[derive(Clone, Debug)]
pub(crate) struct Admitted {
    /// The license or pool the unit was taken from.
    pub unit: Unit,
    /// The quota window the unit was taken from; a refund goes there.
    pub window_start_unix: i64,
    pub usage: UsageSnapshot,
}

impl Admitted {
    /// Records on a new execution's row where its unit came from and the window it counts in.
    pub fn stamp(&self, row: &mut executions::ActiveModel) {
        stamp(row, &self.unit, self.window_start_unix);
    }
}

/// Takes one unit for `user_id` to run `agent_id` inside `txn` (the caller records the
/// execution in the same transaction): from the caller's own license first; when it does not
/// admit (none, expired, suspended, used up, over its burst rate) and the caller's
/// organisation has a pool for the agent, from the pool. When neither admits, the refusal is
/// the license's if the caller holds one (in force or expired), else the pool's.
///
/// A refusal may leave writes in `txn` (a pool counted before its member cap refused): the
/// caller must drop `txn` uncommitted, so a refusal writes nothing.
pub(crate) async fn admit_in(
    txn: &impl ConnectionTrait,
    ctx: &QuotaContext,
    user_id: &str,
    agent_id: &str,
) -> CoreResult<Result<Admitted, Refusal>> {
    let by_license = match quota::check_license(txn, user_id, agent_id, ctx.now).await? {
        Ok(license) => {
            let admission = quota::admit(txn, &license, ctx).await?;
            admitted(admission, Unit::License(license.id))
        }
        Err(denial) => Err(Refusal::License(denial)),
    };
    let license_refusal = match by_license {
        Ok(admitted) => return Ok(Ok(admitted)),
        Err(refusal) => refusal,
    };
    let Some(pool) = pools::pool_for(txn, user_id, agent_id).await? else {
        return Ok(Err(license_refusal));
    };
    let admission = pools::admit(txn, &pool, user_id, ctx).await?;
    Ok(admitted(admission, Unit::Subscription(pool.id)).map_err(
        |pool_refusal| match holds_license(&license_refusal) {
            true => license_refusal,
            false => pool_refusal,
        },
    ))
}

/// Whether a license refused the call (rather than there being none to ask): one revoked or
/// never granted is not held.
fn holds_license(refusal: &Refusal) -> bool {
    !matches!(
        refusal,
        Refusal::License(LicenseDenial::Required | LicenseDenial::Revoked)
    )
}

/// An admission of a license or pool as the unit taken from `unit`, or why not.
fn admitted(admission: Admission, unit: Unit) -> Result<Admitted, Refusal> {
    match admission {
        Admission::Admitted {
            usage,
            window_start_unix,
        } => Ok(Admitted {
            usage: usage.with_source(unit.source()),
            unit,
            window_start_unix,
        }),
        Admission::QuotaExceeded {
            usage,
            retry_after_secs,
        } => Err(Refusal::QuotaExceeded {
            usage,
            retry_after_secs,
        }),
        Admission::RateLimited { retry_after_secs } => {
            Err(Refusal::RateLimited { retry_after_secs })
        }
        Admission::Denied(LicenseDenial::Expired) if unit.subscription_id().is_some() => {
            Err(Refusal::SubscriptionExpired)
        }
        Admission::Denied(denial) => Err(Refusal::License(denial)),
    }
}

/// Takes one unit (the license's, else the pool's: [`admit_in`]) and records the execution
/// `running` with its unit, window and a lease held by `lease.owner`, in one transaction. A
/// refusal writes nothing (the transaction is dropped uncommitted).
///
/// On PostgreSQL a call on the caller's own license is first tried as one statement committed
/// on its own ([`one_statement`]), so the license row is locked only while that statement
/// commits; anything else (a refusal, the pool, a changed row) takes the transaction below.
pub async fn admit_and_start(
    db: &DatabaseConnection,
    ctx: &QuotaContext,
    new: NewExecution,
    lease: &LeaseSettings,
) -> CoreResult<Result<Started, Refusal>> {
    if db.get_database_backend() == DbBackend::Postgres {
        if let Some(started) = one_statement::admit_and_start(db, ctx, &new, lease).await? {
            return Ok(Ok(started));
        }
    }
    let txn = begin_write(db).await?;
    let admitted = match admit_in(&txn, ctx, &new.user_id, &new.agent_id).await? {
        Ok(admitted) => admitted,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let execution = running_row(
        new,
        &admitted.unit,
        admitted.window_start_unix,
        lease,
        ctx.now,
    )
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Ok(Started {
        execution,
        unit: admitted.unit,
        window_start_unix: admitted.window_start_unix,
        usage: admitted.usage,
    }))
}

/// Records on a new execution's row the unit it took and the window that unit counts in.
fn stamp(row: &mut executions::ActiveModel, unit: &Unit, window_start_unix: i64) {
    row.license_id = Set(unit.license_id().map(str::to_owned));
    row.subscription_id = Set(unit.subscription_id().map(str::to_owned));
    row.window_start_unix = Set(Some(window_start_unix));
}

/// A sync execution `running` under `lease` (taken at `now`) with `unit`, taken in the window
/// starting at `window_start_unix`.
fn running_row(
    new: NewExecution,
    unit: &Unit,
    window_start_unix: i64,
    lease: &LeaseSettings,
    now: DateTime<Utc>,
) -> executions::ActiveModel {
    let started_at = Utc::now();
    let mut row = new_row(new, ExecutionStatus::Running, ExecutionMode::Sync);
    stamp(&mut row, unit, window_start_unix);
    row.created_at = Set(started_at);
    row.lease_owner = Set(Some(lease.owner.to_string()));
    row.lease_expires_at = Set(Some(lease.expires_at(now)));
    row.started_at = Set(Some(started_at));
    row
}

/// Extends the lease of a running execution held by `lease.owner`; `false` when it is no
/// longer running under that lease (finished, or swept as abandoned).
pub async fn renew(
    db: &impl ConnectionTrait,
    execution_id: &str,
    lease: &LeaseSettings,
) -> CoreResult<bool> {
    let renewed = lease.renewing(execution_id).exec(db).await?;
    Ok(renewed.rows_affected == 1)
}

/// Runs `work` (the agent call) while renewing the execution's lease every
/// [`LeaseSettings::renew_every`]. A renewal that fails is logged and tried again at the next
/// tick; one that finds the execution no longer running stops renewing.
pub async fn hold_while<F: Future>(
    db: &DatabaseConnection,
    execution_id: &str,
    lease: &LeaseSettings,
    work: F,
) -> F::Output {
    let mut work = std::pin::pin!(work);
    let every = lease.renew_every();
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut renewing = true;
    loop {
        tokio::select! {
            output = &mut work => return output,
            _ = tick.tick(), if renewing => match renew(db, execution_id, lease).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(execution_id, "the execution's lease was lost (swept as abandoned); its unit was given back");
                    renewing = false;
                }
                Err(e) => tracing::warn!(execution_id, "could not renew the execution's lease: {e}"),
            },
        }
    }
}

/// How finishing went.
#[derive(Clone, Debug, PartialEq)]
pub enum Settled {
    /// The execution was running and is now finished.
    Finished(Box<executions::Model>),
    /// It had already been settled (swept as abandoned meanwhile): nothing changed.
    AlreadySettled,
}

/// Finishes a running execution `succeeded` with its roll-up and the usage thresholds it
/// reaches; a late success (already swept) changes nothing (see the module's notes).
pub async fn finish_success(
    db: &DatabaseConnection,
    execution_id: &str,
    outcome: ExecutionOutcome,
) -> CoreResult<Settled> {
    finish_success_and_track(db, execution_id, outcome, None).await
}

/// [`finish_success`] that also writes the call's usage row (`track`) in its transaction: one
/// commit for the metered call's end instead of two. A late success writes nothing; its caller
/// tracks the call itself.
pub async fn finish_success_and_track(
    db: &DatabaseConnection,
    execution_id: &str,
    outcome: ExecutionOutcome,
    track: Option<TrackCall>,
) -> CoreResult<Settled> {
    let txn = begin_write(db).await?;
    let settled = match mark_finished(&txn, execution_id, outcome).await {
        Ok(execution) => {
            // Usage thresholds this success reaches, told once (`crate::outbox::alerts`).
            crate::outbox::alerts::after_success(&txn, &execution, Utc::now()).await?;
            if let Some(track) = track {
                usage::track(&txn, track).await?;
            }
            add_to_roll_up(&txn, &execution).await?;
            Settled::Finished(Box::new(execution))
        }
        Err(CoreError::Conflict(ConflictReason::AlreadyFinished)) => {
            tracing::warn!(
                execution_id,
                "a call succeeded after its execution was swept as abandoned; it stays abandoned and uncounted"
            );
            return Ok(Settled::AlreadySettled);
        }
        Err(e) => return Err(e),
    };
    txn.commit().await?;
    Ok(settled)
}

/// Finishes a running execution as `outcome` (failed) and gives its unit back to `unit` (the
/// pool and the member's share of it for a pool's unit) in `window_start_unix`, in one
/// transaction: both happen or neither. An execution already settled (swept, and so
/// refunded) is left alone.
pub async fn settle_failure(
    db: &DatabaseConnection,
    execution_id: &str,
    outcome: ExecutionOutcome,
    unit: &Unit,
    window_start_unix: i64,
    now: DateTime<Utc>,
) -> CoreResult<Settled> {
    let refund = Refund {
        unit,
        window_start_unix,
        now,
    };
    settle_failure_and_track(db, execution_id, outcome, refund, None).await
}

/// Where [`settle_failure`] gives a unit back.
#[derive(Clone, Copy, Debug)]
pub struct Refund<'a> {
    pub unit: &'a Unit,
    pub window_start_unix: i64,
    pub now: DateTime<Utc>,
}

/// [`settle_failure`] that also writes the call's usage row (`track`) in its transaction. An
/// execution already settled writes nothing; its caller tracks the call itself.
pub async fn settle_failure_and_track(
    db: &DatabaseConnection,
    execution_id: &str,
    outcome: ExecutionOutcome,
    refund: Refund<'_>,
    track: Option<TrackCall>,
) -> CoreResult<Settled> {
    let Refund {
        unit,
        window_start_unix,
        now,
    } = refund;
    let txn = begin_write(db).await?;
    let execution = match finish_in(&txn, execution_id, outcome).await {
        Ok(execution) => execution,
        Err(CoreError::Conflict(ConflictReason::AlreadyFinished)) => {
            return Ok(Settled::AlreadySettled)
        }
        Err(e) => return Err(e),
    };
    quota::give_back(&txn, unit, &execution.user_id, window_start_unix, now).await?;
    if let Some(track) = track {
        usage::track(&txn, track).await?;
    }
    txn.commit().await?;
    Ok(Settled::Finished(Box::new(execution)))
}

#[cfg(test)]
mod tests;
