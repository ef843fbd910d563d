//! Admission on a pool, through the gateway's path (`lease::admit_and_start`): exact under
//! concurrency and across instances, the member's cap, the member's own license first, the
//! pool's windows and expiry.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection};

use super::*;
use crate::entities::enums::LicenseStatus;
use crate::entities::module_executions as executions;
use crate::quota::{LicenseDenial, Unit, UsageSnapshot, UsageSource};
use crate::test_fixtures::lease_of;

/// What 100 calls made at once by `members`, in turn, on two instances (two connection pools
/// to one database) came to: the calls admitted, and the refusals' usage.
async fn hundred_at_once(
    instances: [&DatabaseConnection; 2],
    members: &[users::Model],
    agent: &agent_catalog::Model,
    now: DateTime<Utc>,
) -> (Vec<Started>, Vec<UsageSnapshot>) {
    let clock = crate::clock::ManualClock::new(now);
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let db = instances[i % 2].clone();
            let (user, agent) = (members[i % members.len()].clone(), agent.clone());
            let lease = lease_of(&format!("instance-{}", i % 2), &clock);
            tokio::spawn(async move { call_at(&db, &user, &agent, &lease, now).await })
        })
        .collect();
    let (mut admitted, mut refused) = (Vec::new(), Vec::new());
    for task in tasks {
        match task.await.expect("the call ran") {
            Ok(started) => admitted.push(started),
            Err(Refusal::QuotaExceeded { usage, .. }) => refused.push(usage),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    (admitted, refused)
}

async fn a_pool_of_twenty_shared_by_three_members_admits_exactly_twenty_of_a_hundred_concurrent_calls(
    database: TestDatabase,
) {
    let (db, admin, _, agent, acme, ana) = acme(&database).await;
    let second_instance = second_instance(&database).await;
    let mut members = vec![ana];
    for email in ["bob@acme.test", "cy@acme.test"] {
        members.push(in_team(&db, &acme, email, Role::Member).await);
    }
    let pool = subscribe(&db, &admin, &acme, &agent, 20, daily(), None).await;
    let now = fx::start_clock().now();

    let (admitted, refused) = hundred_at_once([&db, &second_instance], &members, &agent, now).await;
    assert_eq!((admitted.len(), refused.len()), (20, 80));
    assert!(refused.iter().all(
        |usage| (usage.limit, usage.used, usage.source) == (20, 20, UsageSource::Subscription)
    ));
    assert!(admitted
        .iter()
        .all(|call| call.unit == Unit::Subscription(pool.id.clone())
            && call.usage.source == UsageSource::Subscription));
    let mut seen: Vec<i64> = admitted.iter().map(|call| call.usage.used).collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        (1..=20).collect::<Vec<_>>(),
        "each call saw its own place in the pool"
    );

    assert_eq!(pool_used(&db, &pool.id).await, 20);
    let recorded =
        fx::count_where::<executions::Entity>(&db, executions::Column::SubscriptionId.eq(&pool.id))
            .await;
    assert_eq!(
        recorded, 20,
        "one execution per admitted call, none for a refusal"
    );
    let mut shares = 0;
    for member in &members {
        shares += share_used(&db, &pool.id, member).await;
    }
    assert_eq!(shares, 20, "the members' shares add up to the pool");
}
crate::on_every_database!(
    a_pool_of_twenty_shared_by_three_members_admits_exactly_twenty_of_a_hundred_concurrent_calls
);

async fn a_member_cap_holds_under_concurrency_and_a_refusal_writes_nothing(database: TestDatabase) {
    let (db, admin, _, agent, acme, ana) = acme(&database).await;
    let second_instance = second_instance(&database).await;
    let bob = in_team(&db, &acme, "bob@acme.test", Role::Member).await;
    let pool = subscribe(&db, &admin, &acme, &agent, 50, daily(), Some(5)).await;
    let now = fx::start_clock().now();

    let (admitted, refused) = hundred_at_once(
        [&db, &second_instance],
        std::slice::from_ref(&ana),
        &agent,
        now,
    )
    .await;
    assert_eq!((admitted.len(), refused.len()), (5, 95));
    assert!(
        refused
            .iter()
            .all(|usage| (usage.limit, usage.used) == (5, 5)),
        "the refusal shows the member's standing against the cap"
    );
    assert_eq!(
        pool_used(&db, &pool.id).await,
        5,
        "refused calls took nothing from the pool"
    );
    assert_eq!(share_used(&db, &pool.id, &ana).await, 5);
    assert_eq!(fx::count::<executions::Entity>(&db).await, 5);

    // The cap is per member: the pool still has room for the others.
    let lease = lease_of("instance-a", &fx::start_clock());
    let bobs = call_at(&db, &bob, &agent, &lease, now)
        .await
        .expect("bob has his own share");
    assert_eq!(bobs.usage.used, 6, "the answer shows the pool's standing");
    let mine = for_member(&db, &fx::actor(&ana)).await.unwrap();
    assert_eq!(
        (
            mine[0].member_used,
            mine[0].member_remaining,
            mine[0].can_run
        ),
        (5, Some(0), false),
        "a member at the cap cannot run on the pool"
    );
    assert_eq!(mine[0].subscription.usage.used, 6);
    let bob_view = for_member(&db, &fx::actor(&bob)).await.unwrap();
    assert!(bob_view[0].can_run, "a member under the cap still can");
}
crate::on_every_database!(a_member_cap_holds_under_concurrency_and_a_refusal_writes_nothing);

async fn a_members_own_license_is_used_first_and_the_pool_once_it_is_used_up(db: TestDatabase) {
    let (db, admin, _, agent, acme, ana) = acme(&db).await;
    let license = fx::license(&db, &admin, &ana, &agent, 2).await;
    let pool = subscribe(&db, &admin, &acme, &agent, 10, daily(), None).await;
    let clock = fx::start_clock();
    let lease = lease_of("instance-a", &clock);
    for used in 1..=2 {
        let call = call_at(&db, &ana, &agent, &lease, clock.now())
            .await
            .expect("admitted");
        assert_eq!(call.unit, Unit::License(license.id.clone()));
        assert_eq!(
            (call.usage.source, call.usage.used),
            (UsageSource::License, used)
        );
        assert_eq!(
            call.execution.license_id.as_deref(),
            Some(license.id.as_str())
        );
        assert_eq!(call.execution.subscription_id, None);
    }
    let from_pool = call_at(&db, &ana, &agent, &lease, clock.now())
        .await
        .expect("the pool");
    assert_eq!(from_pool.unit, Unit::Subscription(pool.id.clone()));
    assert_eq!(
        (
            from_pool.usage.source,
            from_pool.usage.used,
            from_pool.usage.limit
        ),
        (UsageSource::Subscription, 1, 10)
    );
    assert_eq!(from_pool.execution.license_id, None);
    assert_eq!(
        from_pool.execution.subscription_id.as_deref(),
        Some(pool.id.as_str())
    );
    assert_eq!(
        (
            fx::used(&db, &license.id).await,
            pool_used(&db, &pool.id).await
        ),
        (2, 1)
    );
    let json = serde_json::to_value(from_pool.usage).unwrap();
    assert_eq!(json["source"], "subscription");

    // A suspended license does not stop the pool either.
    crate::entities::user_agent_licenses::Entity::update_many()
        .col_expr(
            crate::entities::user_agent_licenses::Column::Status,
            sea_orm::sea_query::Expr::value(LicenseStatus::Suspended),
        )
        .exec(&db)
        .await
        .unwrap();
    let call = call_at(&db, &ana, &agent, &lease, clock.now())
        .await
        .expect("the pool");
    assert_eq!(call.usage.source, UsageSource::Subscription);
}
crate::on_every_database!(a_members_own_license_is_used_first_and_the_pool_once_it_is_used_up);

async fn the_refusal_is_the_licenses_when_one_is_held_and_the_pools_otherwise(db: TestDatabase) {
    let (db, admin, outsider, agent, acme, ana) = acme(&db).await;
    let bob = in_team(&db, &acme, "bob@acme.test", Role::Member).await;
    fx::license(&db, &admin, &ana, &agent, 0).await;
    subscribe(&db, &admin, &acme, &agent, 0, daily(), None).await;
    let clock = fx::start_clock();
    let lease = lease_of("instance-a", &clock);
    let source_of = |refusal: Result<Started, Refusal>| match refusal {
        Err(Refusal::QuotaExceeded {
            usage,
            retry_after_secs,
        }) => (usage.source, retry_after_secs.is_some()),
        other => panic!("a quota refusal expected: {other:?}"),
    };
    let anas = call_at(&db, &ana, &agent, &lease, clock.now()).await;
    assert_eq!(
        source_of(anas),
        (UsageSource::License, false),
        "her lifetime license's"
    );
    let bobs = call_at(&db, &bob, &agent, &lease, clock.now()).await;
    assert_eq!(
        source_of(bobs),
        (UsageSource::Subscription, true),
        "the daily pool's"
    );
    let outsiders = call_at(&db, &outsider, &agent, &lease, clock.now()).await;
    assert!(
        matches!(outsiders, Err(Refusal::License(LicenseDenial::Required))),
        "another organisation's pool is not theirs: {outsiders:?}"
    );
    assert_eq!(fx::count::<executions::Entity>(&db).await, 0);
}
crate::on_every_database!(the_refusal_is_the_licenses_when_one_is_held_and_the_pools_otherwise);

async fn an_expired_pool_admits_no_one(db: TestDatabase) {
    let (db, admin, _, agent, acme, ana) = acme(&db).await;
    let mut new = new_pool(&acme, &agent, 10, daily(), None);
    let clock = fx::start_clock();
    new.expires_at = Some(clock.now() + Duration::hours(1));
    let pool = create(&db, &fx::actor(&admin), new).await.unwrap();
    let lease = lease_of("instance-a", &clock);
    call_at(&db, &ana, &agent, &lease, clock.now())
        .await
        .expect("in force");
    clock.advance(Duration::hours(2));
    let expired = call_at(&db, &ana, &agent, &lease, clock.now()).await;
    assert!(
        matches!(expired, Err(Refusal::SubscriptionExpired)),
        "{expired:?}"
    );
    assert_eq!(pool_used(&db, &pool.id).await, 1);
}
crate::on_every_database!(an_expired_pool_admits_no_one);

async fn a_new_day_starts_the_pool_and_the_members_shares_again(db: TestDatabase) {
    let (db, admin, _, agent, acme, ana) = acme(&db).await;
    let bob = in_team(&db, &acme, "bob@acme.test", Role::Member).await;
    let pool = subscribe(&db, &admin, &acme, &agent, 3, daily(), Some(2)).await;
    let evening: DateTime<Utc> = "2027-01-14T22:30:00Z".parse().unwrap();
    let lease = lease_of("instance-a", &fx::start_clock());
    for user in [&ana, &ana, &bob] {
        call_at(&db, user, &agent, &lease, evening)
            .await
            .expect("admitted today");
    }
    match call_at(&db, &bob, &agent, &lease, evening).await {
        Err(Refusal::QuotaExceeded {
            usage,
            retry_after_secs,
        }) => {
            assert_eq!((usage.used, usage.limit), (3, 3));
            assert_eq!(retry_after_secs, Some(90 * 60), "until midnight UTC");
        }
        other => panic!("the pool is used up today: {other:?}"),
    }
    let morning = evening + Duration::hours(2);
    let first = call_at(&db, &ana, &agent, &lease, morning)
        .await
        .expect("a new day");
    assert_eq!(first.usage.used, 1);
    assert_eq!(
        first.usage.window_start,
        "2027-01-15T00:00:00Z".parse().ok()
    );
    call_at(&db, &ana, &agent, &lease, morning)
        .await
        .expect("her share starts again too");
    assert_eq!(pool_and_share_used(&db, &pool.id, &ana).await, (2, 2));
    // Yesterday's unit given back now finds its window over: nothing changes.
    let yesterday: DateTime<Utc> = "2027-01-14T00:00:00Z".parse().unwrap();
    let unit = Unit::Subscription(pool.id.clone());
    let back = crate::quota::give_back(&db, &unit, &bob.id, yesterday.timestamp(), morning).await;
    assert!(!back.unwrap());
    assert_eq!(pool_used(&db, &pool.id).await, 2);
}
crate::on_every_database!(a_new_day_starts_the_pool_and_the_members_shares_again);
