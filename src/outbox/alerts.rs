//! Alerts emitted once per license and period: usage at 80, 90 and 100 % of a window's limit,
//! and a license expiring within 7 days. Each is a `license_alerts` row, unique per license,
//! alert and period, inserted with `ON CONFLICT DO NOTHING`; the event is emitted only when the
//! insert wrote a row, in the same transaction.
//!
//! **Thresholds** are checked in the transaction that finishes a call as succeeded. The calls
//! a window has used successfully are its counter less the calls still in flight (queued or
//! running): refunded calls have left the counter and in-flight ones are not successes yet, so
//! a call that is refunded never crosses a threshold, and a renewal (the counter back to zero)
//! counts from zero. On PostgreSQL the check and [`rearm`] take an advisory lock per license
//! before counting ([`serialize_threshold_checks`]): of two finishes at once, the second waits
//! for the first to commit and then counts both, so the last call of a window always sees
//! every success and 100 % cannot be missed. SQLite's immediate transaction already serialises
//! writers.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};
use serde_json::json;

use super::{emit, payloads};
use crate::db::begin_write;
use crate::entities::enums::{EventType, ExecutionStatus, LicenseAlert, LicenseStatus};
use crate::entities::{
    license_alerts as alerts, module_executions as executions, user_agent_licenses as licenses,
};
use crate::error::CoreResult;
use crate::ids::new_id;
use crate::licenses::UNLIMITED;

/// How long before its expiry a license's holder is told.
pub const EXPIRING_WITHIN_DAYS: i64 = 7;
/// Licenses looked at per expiry scan.
const EXPIRING_BATCH: u64 = 500;

/// Records `alert` for `license_id` and `period_unix`; `true` when it is new (the caller then
/// emits its event).
async fn record(
    conn: &impl ConnectionTrait,
    license_id: &str,
    alert: LicenseAlert,
    period_unix: i64,
) -> CoreResult<bool> {
    let inserted = alerts::Entity::insert(alerts::ActiveModel {
        id: Set(new_id()),
        license_id: Set(license_id.to_owned()),
        alert: Set(alert),
        period_unix: Set(period_unix),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([
            alerts::Column::LicenseId,
            alerts::Column::Alert,
            alerts::Column::PeriodUnix,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(inserted == 1)
}

/// Where a license's window stands: the calls it allows (limit and live top-ups) and the
/// calls that succeeded in it.
struct WindowUse {
    allowed: i64,
    succeeded: i64,
}

/// The calls `license`'s stored window allows at `now`: its limit and live top-ups.
fn allowed(license: &licenses::Model, now: DateTime<Utc>) -> i64 {
    let top_ups = match license.top_up_expires_at {
        Some(at) if at <= now => 0,
        _ => license.top_up_calls,
    };
    license.api_call_limit + top_ups
}

/// The limit with live top-ups, and the successes, of `license`'s stored window at `now`.
async fn window_use(
    conn: &impl ConnectionTrait,
    license: &licenses::Model,
    now: DateTime<Utc>,
) -> CoreResult<WindowUse> {
    let in_flight = executions::Entity::find()
        .filter(executions::Column::LicenseId.eq(&license.id))
        .filter(executions::Column::WindowStartUnix.eq(license.window_start_unix))
        .filter(executions::Column::Status.is_in([
            ExecutionStatus::Pending,
            ExecutionStatus::Queued,
            ExecutionStatus::Running,
        ]))
        .count(conn)
        .await? as i64;
    Ok(WindowUse {
        allowed: allowed(license, now),
        succeeded: std::cmp::max(license.api_calls_used - in_flight, 0),
    })
}

/// Whether `used` reaches `percent` of `allowed`.
fn reaches(used: i64, allowed: i64, percent: i64) -> bool {
    allowed > 0 && used * 100 >= allowed * percent
}

/// After `execution` finished as succeeded, in the same transaction: emits `usage.threshold`
/// for every threshold of its window the license has now reached for the first time.
pub(crate) async fn after_success(
    txn: &impl ConnectionTrait,
    execution: &executions::Model,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let (Some(license_id), Some(window)) = (&execution.license_id, execution.window_start_unix)
    else {
        return Ok(());
    };
    let lowest = LicenseAlert::THRESHOLDS[0].1;
    // A cheap look first: the counter (successes and calls in flight) bounds the successes.
    let Some(license) = licenses::Entity::find_by_id(license_id).one(txn).await? else {
        return Ok(());
    };
    if license.api_call_limit == UNLIMITED
        || license.window_start_unix != window
        || !reaches(license.api_calls_used, allowed(&license, now), lowest)
    {
        return Ok(());
    }
    let license = match txn.get_database_backend() {
        DbBackend::Postgres => {
            serialize_threshold_checks(txn, license_id).await?;
            // Read again: what committed while this finish waited counts.
            match licenses::Entity::find_by_id(license_id).one(txn).await? {
                Some(license) if license.window_start_unix == window => license,
                _ => return Ok(()),
            }
        }
        _ => license,
    };
    let usage = window_use(txn, &license, now).await?;
    for (alert, percent) in LicenseAlert::THRESHOLDS {
        if !reaches(usage.succeeded, usage.allowed, percent) {
            break;
        }
        if record(txn, &license.id, alert, window).await? {
            let extra = json!({
                "threshold": percent,
                "windowStart": DateTime::from_timestamp(window, 0),
                "limit": usage.allowed,
                "used": usage.succeeded,
            });
            let event = payloads::license(txn, EventType::UsageThreshold, &license, extra).await?;
            emit(txn, event).await?;
        }
    }
    Ok(())
}

/// An arbitrary class for the advisory locks of [`serialize_threshold_checks`] (the two-key
/// form, apart from the migrations' one-key lock).
const THRESHOLD_LOCK_CLASS: i32 = 0x4142_5754;

/// On PostgreSQL, waits until no other transaction checks or rearms `license_id`'s thresholds,
/// and keeps them waiting until this one ends: of two finishes at once, the second counts
/// both, and a finish never counts against a limit a top-up is changing. An advisory lock per
/// license rather than the license row's lock, so admissions on the row do not queue behind
/// the check (a hash collision only makes two licenses wait for each other).
async fn serialize_threshold_checks(
    txn: &impl ConnectionTrait,
    license_id: &str,
) -> CoreResult<()> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1, hashtext($2))",
        [THRESHOLD_LOCK_CLASS.into(), license_id.into()],
    ))
    .await?;
    Ok(())
}

/// After a change of `license` (a renewal, a new limit, a top-up), in its transaction: the
/// thresholds of its window it no longer reaches may be crossed, and told, again. Waits for
/// the threshold checks in progress on the license, so their successes are counted.
pub(crate) async fn rearm(
    txn: &impl ConnectionTrait,
    license: &licenses::Model,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    serialize_threshold_checks(txn, &license.id).await?;
    let usage = window_use(txn, license, now).await?;
    let unreached: Vec<LicenseAlert> = LicenseAlert::THRESHOLDS
        .iter()
        .filter(|(_, percent)| {
            license.api_call_limit == UNLIMITED
                || !reaches(usage.succeeded, usage.allowed, *percent)
        })
        .map(|(alert, _)| *alert)
        .collect();
    if unreached.is_empty() {
        return Ok(());
    }
    alerts::Entity::delete_many()
        .filter(alerts::Column::LicenseId.eq(&license.id))
        .filter(alerts::Column::PeriodUnix.eq(license.window_start_unix))
        .filter(alerts::Column::Alert.is_in(unreached))
        .exec(txn)
        .await?;
    Ok(())
}

/// Emits `license.expiring` once for every active license that expires within
/// [`EXPIRING_WITHIN_DAYS`] of `now` (once per expiry date: a license renewed to a later date
/// is told again). Part of every sweep; returns how many it emitted.
pub async fn scan_expiring(db: &DatabaseConnection, now: DateTime<Utc>) -> CoreResult<u64> {
    let soon = now + Duration::days(EXPIRING_WITHIN_DAYS);
    let candidates = || {
        licenses::Entity::find()
            .filter(licenses::Column::Status.eq(LicenseStatus::Active))
            .filter(licenses::Column::ExpiresAt.gt(now))
            .filter(licenses::Column::ExpiresAt.lte(soon))
    };
    // A plain read first: most sweeps find nothing new and take no write lock.
    let expiring = candidates()
        .order_by_asc(licenses::Column::ExpiresAt)
        .limit(EXPIRING_BATCH)
        .all(db)
        .await?;
    if expiring.is_empty() {
        return Ok(0);
    }
    let told = alerts::Entity::find()
        .filter(alerts::Column::Alert.eq(LicenseAlert::Expiring))
        .filter(alerts::Column::LicenseId.is_in(expiring.iter().map(|l| l.id.clone())))
        .all(db)
        .await?;
    let untold: Vec<licenses::Model> = expiring
        .into_iter()
        .filter(|license| {
            let period = license.expires_at.map_or(0, |at| at.timestamp());
            !told
                .iter()
                .any(|alert| alert.license_id == license.id && alert.period_unix == period)
        })
        .collect();
    if untold.is_empty() {
        return Ok(0);
    }
    let txn = begin_write(db).await?;
    let mut emitted = 0;
    for license in untold {
        // Read again in the transaction: it may have been revoked or renewed meanwhile.
        let current = candidates()
            .filter(licenses::Column::Id.eq(&license.id))
            .one(&txn)
            .await?;
        let Some((license, expires_at)) = current.and_then(|l| l.expires_at.map(|at| (l, at)))
        else {
            continue;
        };
        if record(
            &txn,
            &license.id,
            LicenseAlert::Expiring,
            expires_at.timestamp(),
        )
        .await?
        {
            let event =
                payloads::license(&txn, EventType::LicenseExpiring, &license, json!({})).await?;
            emit(&txn, event).await?;
            emitted += 1;
        }
    }
    txn.commit().await?;
    Ok(emitted)
}
