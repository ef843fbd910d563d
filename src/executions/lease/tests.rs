//! Admission and start on both databases (on PostgreSQL through the one-statement path): one
//! unit and one running execution, both or neither, and exactly the limit under concurrency.

use chrono::Utc;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

use super::*;
use crate::ids::new_id;
use crate::test_fixtures as fx;
use crate::testing::TestDatabase;

fn now() -> QuotaContext {
    QuotaContext {
        now: Utc::now(),
        default_burst_per_second: None,
    }
}

async fn executions_recorded(db: &DatabaseConnection) -> u64 {
    executions::Entity::find().count(db).await.unwrap()
}

async fn an_admitted_call_takes_one_unit_and_is_recorded_running_under_the_lease(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let license = fx::license(&db, &admin, &user, &agent, 5).await;
    let lease = LeaseSettings::default();

    let started = admit_and_start(&db, &now(), fx::new_run(&user, &agent), &lease)
        .await
        .expect("admission ran")
        .expect("the call is admitted");

    assert_eq!(started.unit, Unit::License(license.id.clone()));
    assert_eq!((started.usage.used, started.usage.limit), (1, 5));
    let stored = executions::Entity::find_by_id(&started.execution.id)
        .one(&db)
        .await
        .unwrap()
        .expect("the execution is recorded");
    assert_eq!(stored.status, ExecutionStatus::Running);
    assert_eq!(stored.license_id.as_deref(), Some(license.id.as_str()));
    assert_eq!(stored.window_start_unix, Some(started.window_start_unix));
    assert_eq!(stored.lease_owner.as_deref(), Some(&*lease.owner));
    assert_eq!(stored.input, started.execution.input);
    assert_eq!(fx::used(&db, &license.id).await, 1);
}
crate::on_every_database!(an_admitted_call_takes_one_unit_and_is_recorded_running_under_the_lease);

async fn a_call_whose_execution_cannot_be_recorded_takes_no_unit(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let license = fx::license(&db, &admin, &user, &agent, 5).await;
    let mut run = fx::new_run(&user, &agent);
    // No such key: the execution's row breaks its foreign key.
    run.api_key_id = Some(new_id());

    let outcome = admit_and_start(&db, &now(), run, &LeaseSettings::default()).await;

    assert!(outcome.is_err(), "{outcome:?}");
    assert_eq!(fx::used(&db, &license.id).await, 0);
    assert_eq!(executions_recorded(&db).await, 0);
}
crate::on_every_database!(a_call_whose_execution_cannot_be_recorded_takes_no_unit);

async fn two_hundred_concurrent_calls_against_fifty_start_exactly_fifty(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let license = fx::license(&db, &admin, &user, &agent, 50).await;
    let lease = LeaseSettings::default();
    let calls: Vec<_> = (0..200)
        .map(|_| {
            let (db, run, lease) = (db.clone(), fx::new_run(&user, &agent), lease.clone());
            tokio::spawn(async move { admit_and_start(&db, &now(), run, &lease).await })
        })
        .collect();

    let (mut started, mut refused) = (0, 0);
    for call in calls {
        match call.await.unwrap().expect("admission ran") {
            Ok(_) => started += 1,
            Err(Refusal::QuotaExceeded { usage, .. }) if usage.used == 50 => refused += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    assert_eq!((started, refused), (50, 150));
    assert_eq!(fx::used(&db, &license.id).await, 50);
    assert_eq!(executions_recorded(&db).await, 50);
}
crate::on_every_database!(two_hundred_concurrent_calls_against_fifty_start_exactly_fifty);

async fn one_statement_admits_up_to_the_limit_and_then_writes_nothing(db: TestDatabase) {
    let (db, admin, user, agent) = fx::cast(&db).await;
    let license = fx::license(&db, &admin, &user, &agent, 1).await;
    let lease = LeaseSettings::default();
    let run = fx::new_run(&user, &agent);

    let first = one_statement::admit_and_start(&db, &now(), &run, &lease)
        .await
        .expect("the statement ran")
        .expect("the call is admitted by the one statement");
    let second = one_statement::admit_and_start(&db, &now(), &run, &lease)
        .await
        .expect("the statement ran");

    assert_eq!((first.usage.used, first.usage.limit), (1, 1));
    assert!(second.is_none(), "the limit is reached: {second:?}");
    assert_eq!(fx::used(&db, &license.id).await, 1);
    assert_eq!(executions_recorded(&db).await, 1);
    let stored = executions::Entity::find_by_id(&first.execution.id)
        .one(&db)
        .await
        .unwrap()
        .expect("the execution is recorded");
    assert_eq!(stored.window_start_unix, Some(first.window_start_unix));
}

/// The one statement is PostgreSQL's (SQLite has no data-modifying `WITH`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_statement_admits_up_to_the_limit_and_then_writes_nothing_on_postgres() {
    let backend = crate::testing::Backend::Postgres;
    if let Some(db) = TestDatabase::create(backend).await {
        crate::testing::run_with_timeout(
            db,
            one_statement_admits_up_to_the_limit_and_then_writes_nothing,
        )
        .await;
    }
}
