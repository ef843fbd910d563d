//! Refunds of a pool's unit, on every path (a failed call, a sweep, a cancelled run): given
//! back to the pool and the member's share, exactly once.

use chrono::Duration;

use super::*;
use crate::entities::enums::ExecutionStatus;
use crate::entities::module_executions as executions;
use crate::executions::sweep::sweep_expired;
use crate::quota::UsageSource;
use crate::test_fixtures::{lease_of, LEASE_SECS};

async fn a_failed_pool_call_gives_its_unit_back_to_the_pool_and_the_member_once(db: TestDatabase) {
    let (db, admin, _, agent, acme, ana) = acme(&db).await;
    let pool = subscribe(&db, &admin, &acme, &agent, 2, daily(), Some(1)).await;
    let clock = fx::start_clock();
    let lease = lease_of("instance-a", &clock);
    let call = call_at(&db, &ana, &agent, &lease, clock.now())
        .await
        .expect("admitted");
    let capped = call_at(&db, &ana, &agent, &lease, clock.now()).await;
    assert!(matches!(capped, Err(Refusal::QuotaExceeded { .. })));

    let settle = || {
        lease::settle_failure(
            &db,
            &call.execution.id,
            fx::failed_outcome(),
            &call.unit,
            call.window_start_unix,
            clock.now(),
        )
    };
    assert!(matches!(
        settle().await.unwrap(),
        lease::Settled::Finished(_)
    ));
    assert_eq!(pool_and_share_used(&db, &pool.id, &ana).await, (0, 0));
    assert_eq!(settle().await.unwrap(), lease::Settled::AlreadySettled);
    assert_eq!(pool_used(&db, &pool.id).await, 0, "never given back twice");

    call_at(&db, &ana, &agent, &lease, clock.now())
        .await
        .expect("room again, for pool and cap");
    assert_eq!(pool_and_share_used(&db, &pool.id, &ana).await, (1, 1));
}
crate::on_every_database!(a_failed_pool_call_gives_its_unit_back_to_the_pool_and_the_member_once);

async fn the_sweeper_gives_an_abandoned_pool_call_back_once_however_many_sweep(
    database: TestDatabase,
) {
    let (db, admin, _, agent, acme, ana) = acme(&database).await;
    let second_instance = second_instance(&database).await;
    let pool = subscribe(&db, &admin, &acme, &agent, 5, QuotaPlan::default(), Some(3)).await;
    let clock = fx::start_clock();
    let lease = lease_of("instance-a", &clock);
    // Admitted and recorded running; then the instance "dies".
    let call = call_at(&db, &ana, &agent, &lease, clock.now())
        .await
        .expect("admitted");
    call_at(&db, &ana, &agent, &lease, clock.now())
        .await
        .expect("a second call");
    assert_eq!(pool_used(&db, &pool.id).await, 2);

    clock.advance(Duration::seconds(LEASE_SECS + 1));
    let now = clock.now();
    let sweeps: Vec<_> = [db.clone(), second_instance.clone(), db.clone()]
        .into_iter()
        .map(|db| tokio::spawn(async move { sweep_expired(&db, now).await }))
        .collect();
    let mut settled = 0;
    for sweep in sweeps {
        settled += sweep
            .await
            .expect("the sweep ran")
            .expect("the sweep settled");
    }
    assert_eq!(settled, 2, "each abandoned call settled by one sweeper");
    assert_eq!(pool_and_share_used(&db, &pool.id, &ana).await, (0, 0));
    let row = fx::row::<executions::Entity>(&db, &call.execution.id).await;
    assert_eq!(row.status, ExecutionStatus::Abandoned);
    assert_eq!(
        sweep_expired(&db, now + Duration::hours(1)).await.unwrap(),
        0
    );
    assert_eq!(pool_used(&db, &pool.id).await, 0, "never given back twice");
}
crate::on_every_database!(the_sweeper_gives_an_abandoned_pool_call_back_once_however_many_sweep);

async fn a_cancelled_queued_run_on_the_pool_gives_its_unit_back(db: TestDatabase) {
    let (db, admin, _, agent, acme, ana) = acme(&db).await;
    let pool = subscribe(&db, &admin, &acme, &agent, 5, daily(), Some(2)).await;
    let now = fx::start_clock().now();
    let request = crate::runs::RunRequest {
        user_id: &ana.id,
        api_key_id: None,
        key_agent_scope: None,
        agent: &agent.slug,
        input: serde_json::json!({"text": "hello"}),
        quota: ctx(now),
    };
    let accepted = crate::runs::enqueue(&db, request)
        .await
        .unwrap()
        .expect("queued");
    assert_eq!(accepted.usage.source, UsageSource::Subscription);
    let run = fx::row::<executions::Entity>(&db, &accepted.run_id).await;
    assert_eq!(run.subscription_id.as_deref(), Some(pool.id.as_str()));
    assert_eq!(pool_and_share_used(&db, &pool.id, &ana).await, (1, 1));
    crate::runs::cancel(&db, &fx::actor(&ana), &accepted.run_id, now)
        .await
        .unwrap();
    assert_eq!(pool_and_share_used(&db, &pool.id, &ana).await, (0, 0));
}
crate::on_every_database!(a_cancelled_queued_run_on_the_pool_gives_its_unit_back);
