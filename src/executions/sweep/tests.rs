//! Executions under a lease on every backend: an instance that dies leaves its execution to
//! the sweeper, which settles it once (abandoned, refunded, logged), however many sweep.

use std::time::Duration as StdDuration;

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use super::*;
use crate::clock::Clock;
use crate::entities::enums::Severity;
use crate::entities::{agent_catalog, error_logs, users};
use crate::executions::lease::{self, LeaseSettings, Refusal, Settled, Started};
use crate::executions::{ExecutionOutcome, NewExecution};
use crate::quota::QuotaContext;
use crate::test_fixtures::{self as fx, lease_of, used, LEASE_SECS};
use crate::testing::TestDatabase;

/// Admits one call and records it running under `lease`, as the gateway does.
async fn started(
    db: &DatabaseConnection,
    user: &users::Model,
    agent: &agent_catalog::Model,
    lease: &LeaseSettings,
) -> Started {
    let ctx = QuotaContext {
        now: lease.clock.now(),
        default_burst_per_second: None,
    };
    lease::admit_and_start(db, &ctx, fx::new_run(user, agent), lease)
        .await
        .expect("admission ran")
        .expect("the call is admitted")
}

/// Settles `call` as failed (finished and refunded together), as the gateway does.
async fn settle_failed(db: &DatabaseConnection, call: &Started, now: DateTime<Utc>) -> Settled {
    lease::settle_failure(
        db,
        &call.execution.id,
        fx::failed_outcome(),
        &call.unit,
        call.window_start_unix,
        now,
    )
    .await
    .unwrap()
}

fn succeeded() -> ExecutionOutcome {
    ExecutionOutcome {
        status: ExecutionStatus::Succeeded,
        output: Some(json!({"summary": "hi"})),
        error_code: None,
        error_message: None,
        duration_ms: 10,
    }
}

async fn execution(db: &DatabaseConnection, id: &str) -> executions::Model {
    fx::row::<executions::Entity>(db, id).await
}

async fn with_status(db: &DatabaseConnection, status: ExecutionStatus) -> u64 {
    fx::count_where::<executions::Entity>(db, executions::Column::Status.eq(status)).await
}

async fn a_call_whose_instance_dies_is_swept_as_abandoned_once_its_lease_ends(db: TestDatabase) {
    let (db, _, user, agent, license, clock) = fx::licensed(&db, 5).await;
    let lease = lease_of("instance-a", &clock);
    // Admission and the running execution are written; the instance "dies": nothing more.
    let call = started(&db, &user, &agent, &lease).await;
    assert_eq!(used(&db, &license.id).await, 1);
    let row = execution(&db, &call.execution.id).await;
    assert_eq!(row.status, ExecutionStatus::Running);
    assert_eq!(row.window_start_unix, Some(call.window_start_unix));
    assert_eq!(row.lease_owner.as_deref(), Some("instance-a"));
    assert_eq!(
        row.lease_expires_at,
        Some(clock.now() + Duration::seconds(LEASE_SECS))
    );

    assert_eq!(sweep_expired(&db, clock.now()).await.unwrap(), 0);
    assert_eq!(
        sweep_expired(&db, clock.now() + Duration::seconds(LEASE_SECS))
            .await
            .unwrap(),
        0,
        "a lease ending exactly now has not ended yet"
    );
    clock.advance(Duration::seconds(LEASE_SECS + 1));
    assert_eq!(sweep_expired(&db, clock.now()).await.unwrap(), 1);

    let row = execution(&db, &call.execution.id).await;
    assert_eq!(row.status, ExecutionStatus::Abandoned);
    assert_eq!(row.error_code.as_deref(), Some(ABANDONED_CODE));
    assert_eq!(row.error_message.as_deref(), Some(ABANDONED_MESSAGE));
    assert!(row.finished_at.is_some());
    assert_eq!(used(&db, &license.id).await, 0, "the unit is given back");

    let logged = error_logs::Entity::find().all(&db).await.unwrap();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].severity, Severity::High);
    assert_eq!(logged[0].code, ABANDONED_CODE);
    assert_eq!(logged[0].user_id.as_deref(), Some(user.id.as_str()));
    let context = logged[0].context.clone().unwrap_or_default();
    assert_eq!(context["executionId"], json!(call.execution.id));
    assert_eq!(context["refunded"], json!(true));

    // Swept once: later sweeps find nothing and give nothing back again.
    clock.advance(Duration::hours(1));
    assert_eq!(sweep_expired(&db, clock.now()).await.unwrap(), 0);
    assert_eq!(used(&db, &license.id).await, 0);
    assert_eq!(fx::count::<error_logs::Entity>(&db).await, 1);
}
crate::on_every_database!(a_call_whose_instance_dies_is_swept_as_abandoned_once_its_lease_ends);

async fn a_lease_its_instance_renews_is_not_swept(db: TestDatabase) {
    let (db, _, user, agent, license, clock) = fx::licensed(&db, 5).await;
    let lease = lease_of("instance-a", &clock);
    let call = started(&db, &user, &agent, &lease).await;

    clock.advance(Duration::seconds(50));
    assert!(lease::renew(&db, &call.execution.id, &lease).await.unwrap());
    let other = lease_of("instance-b", &clock);
    assert!(
        !lease::renew(&db, &call.execution.id, &other).await.unwrap(),
        "only the instance holding the lease renews it"
    );
    clock.advance(Duration::seconds(20));
    assert_eq!(
        sweep_expired(&db, clock.now()).await.unwrap(),
        0,
        "the renewed lease runs until 110 s"
    );
    assert_eq!(
        execution(&db, &call.execution.id).await.status,
        ExecutionStatus::Running
    );
    assert_eq!(used(&db, &license.id).await, 1);

    // Renewing in the background while the work runs keeps it alive, too.
    let real = LeaseSettings {
        owner: "instance-a".into(),
        period: StdDuration::from_millis(300),
        clock: crate::clock::system(),
    };
    let held = lease::hold_while(&db, &call.execution.id, &real, async {
        tokio::time::sleep(StdDuration::from_millis(700)).await;
        "done"
    })
    .await;
    assert_eq!(held, "done");
    let renewed = execution(&db, &call.execution.id).await;
    assert!(
        renewed
            .lease_expires_at
            .is_some_and(|at| at > Utc::now() - Duration::milliseconds(100)),
        "renewed during the work: {:?}",
        renewed.lease_expires_at
    );

    // Once it is no longer renewed, its lease ends and the sweep settles it.
    clock.set(Utc::now() + Duration::hours(1));
    assert_eq!(sweep_expired(&db, clock.now()).await.unwrap(), 1);
    assert_eq!(used(&db, &license.id).await, 0);
}
crate::on_every_database!(a_lease_its_instance_renews_is_not_swept);

async fn sweeps_running_at_once_refund_each_abandoned_execution_exactly_once(db: TestDatabase) {
    let calls = SWEEP_BATCH as i64 + 20;
    let (db, _, user, agent, license, clock) = fx::licensed(&db, calls + 10).await;
    let lease = lease_of("instance-a", &clock);
    for _ in 0..calls {
        started(&db, &user, &agent, &lease).await;
    }
    assert_eq!(used(&db, &license.id).await, calls);

    let later = clock.now() + Duration::seconds(LEASE_SECS + 1);
    let sweepers: Vec<_> = (0..4)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move { sweep_expired(&db, later).await })
        })
        .collect();
    let mut settled = 0;
    for sweeper in sweepers {
        settled += sweeper.await.expect("the sweeper ran").expect("it swept");
    }
    assert_eq!(
        settled, calls as u64,
        "each execution settled by one sweeper"
    );
    assert_eq!(
        with_status(&db, ExecutionStatus::Abandoned).await,
        calls as u64
    );
    assert_eq!(used(&db, &license.id).await, 0, "each unit given back once");
    assert_eq!(fx::count::<error_logs::Entity>(&db).await, calls as u64);
}
crate::on_every_database!(sweeps_running_at_once_refund_each_abandoned_execution_exactly_once);

async fn a_failed_call_is_finished_and_refunded_together_and_never_twice(db: TestDatabase) {
    let (db, _, user, agent, license, clock) = fx::licensed(&db, 5).await;
    let lease = lease_of("instance-a", &clock);

    let failing = started(&db, &user, &agent, &lease).await;
    let settled = settle_failed(&db, &failing, clock.now()).await;
    assert!(matches!(settled, Settled::Finished(ref row) if row.status == ExecutionStatus::Failed));
    assert_eq!(used(&db, &license.id).await, 0);
    let again = settle_failed(&db, &failing, clock.now()).await;
    assert_eq!(again, Settled::AlreadySettled);

    // A late finish of a call the sweeper settled changes nothing: no second refund, no
    // resurrection.
    let late = started(&db, &user, &agent, &lease).await;
    let kept = started(&db, &user, &agent, &lease).await;
    assert_eq!(used(&db, &license.id).await, 2);
    clock.advance(Duration::seconds(LEASE_SECS + 1));
    assert_eq!(sweep_expired(&db, clock.now()).await.unwrap(), 2);
    assert_eq!(used(&db, &license.id).await, 0);
    let late_failure = settle_failed(&db, &late, clock.now()).await;
    assert_eq!(late_failure, Settled::AlreadySettled);
    let late_success = lease::finish_success(&db, &kept.execution.id, succeeded())
        .await
        .unwrap();
    assert_eq!(late_success, Settled::AlreadySettled);
    assert_eq!(used(&db, &license.id).await, 0, "given back once only");
    for id in [&late.execution.id, &kept.execution.id] {
        let row = execution(&db, id).await;
        assert_eq!(row.status, ExecutionStatus::Abandoned);
        assert_eq!(row.output, None);
    }
    // Nothing failed is swept: it was settled when it failed.
    assert_eq!(
        execution(&db, &failing.execution.id).await.status,
        ExecutionStatus::Failed
    );
}
crate::on_every_database!(a_failed_call_is_finished_and_refunded_together_and_never_twice);

async fn used_equals_successes_plus_calls_running_under_a_live_lease_after_a_mix(db: TestDatabase) {
    let (db, _, user, agent, license, clock) = fx::licensed(&db, 10).await;
    let lease = lease_of("instance-a", &clock);
    let mut calls = Vec::new();
    for _ in 0..10 {
        calls.push(started(&db, &user, &agent, &lease).await);
    }
    // The limit is reached: a refused call writes no execution.
    let ctx = QuotaContext {
        now: clock.now(),
        default_burst_per_second: None,
    };
    let refused = lease::admit_and_start(&db, &ctx, fx::new_run(&user, &agent), &lease)
        .await
        .unwrap();
    assert!(matches!(refused, Err(Refusal::QuotaExceeded { .. })));
    assert_eq!(fx::count::<executions::Entity>(&db).await, 10);

    // 3 succeed, 2 fail, 2 stay alive (renewed), 3 die with their instance.
    for done in &calls[0..3] {
        lease::finish_success(&db, &done.execution.id, succeeded())
            .await
            .unwrap();
    }
    for broken in &calls[3..5] {
        settle_failed(&db, broken, clock.now()).await;
    }
    clock.advance(Duration::seconds(40));
    for alive in &calls[5..7] {
        assert!(lease::renew(&db, &alive.execution.id, &lease)
            .await
            .unwrap());
    }
    clock.advance(Duration::seconds(30));
    assert_eq!(sweep_expired(&db, clock.now()).await.unwrap(), 3);

    let now = clock.now();
    let succeeded_count = with_status(&db, ExecutionStatus::Succeeded).await as i64;
    let live = executions::Entity::find()
        .filter(executions::Column::LicenseId.eq(&license.id))
        .filter(executions::Column::Status.eq(ExecutionStatus::Running))
        .filter(executions::Column::LeaseExpiresAt.gt(now))
        .count(&db)
        .await
        .unwrap() as i64;
    assert_eq!((succeeded_count, live), (3, 2));
    assert_eq!(used(&db, &license.id).await, succeeded_count + live);
    assert_eq!(with_status(&db, ExecutionStatus::Failed).await, 2);
    assert_eq!(with_status(&db, ExecutionStatus::Abandoned).await, 3);
}
crate::on_every_database!(used_equals_successes_plus_calls_running_under_a_live_lease_after_a_mix);

async fn an_execution_left_running_before_leases_is_settled_by_the_first_sweep(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let license = fx::license(&db, &admin, &user, &agent, 5).await;
    // As before leases: the unit taken and the execution recorded without a window or lease;
    // the migration gives such rows a lease that ended when they were created.
    assert!(fx::admit(&db, &license.id, Utc::now()).await);
    let old = crate::executions::start(
        &db,
        NewExecution {
            license_id: Some(license.id.clone()),
            ..fx::new_run(&user, &agent)
        },
    )
    .await
    .unwrap();
    executions::Entity::update_many()
        .col_expr(
            executions::Column::LeaseExpiresAt,
            Expr::value(old.created_at),
        )
        .filter(executions::Column::Id.eq(&old.id))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(used(&db, &license.id).await, 1);

    assert_eq!(sweep_expired(&db, Utc::now()).await.unwrap(), 1);
    let row = execution(&db, &old.id).await;
    assert_eq!(row.status, ExecutionStatus::Abandoned);
    assert_eq!(row.window_start_unix, None);
    assert_eq!(
        used(&db, &license.id).await,
        0,
        "a lifetime license's one window gets the unit back"
    );
}
crate::on_every_database!(an_execution_left_running_before_leases_is_settled_by_the_first_sweep);
