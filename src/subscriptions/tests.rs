//! Subscriptions on every backend: what the super admin may set, who sees which pools, and
//! (in `pool`) admission on a pool: exact under concurrency and across instances, the
//! member's cap, the license first, refunds exactly once.

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait};

use super::*;
use crate::clock::Clock;
use crate::entities::enums::{QuotaWindow, Role};
use crate::entities::{subscription_member_usage as members, users};
use crate::executions::lease::{self, Refusal, Started};
use crate::test_fixtures::{self as fx, page};
use crate::testing::TestDatabase;

mod pool;
mod refunds;
mod support;
mod units;

use support::*;

async fn only_the_super_admin_subscribes_and_the_pool_starts_empty(db: TestDatabase) {
    let (db, admin, outsider, agent) = fx::cast(&db).await;
    let acme = team(&db, "Acme Research").await;
    let org_admin = in_team(&db, &acme, "lead@acme.test", Role::Admin).await;
    for refused in [&org_admin, &outsider] {
        let result = create(
            &db,
            &fx::actor(refused),
            new_pool(&acme, &agent, 20, daily(), None),
        )
        .await;
        assert!(matches!(result, Err(CoreError::Forbidden(_))), "{result:?}");
    }
    let plan = QuotaPlan {
        window_time_zone: " Europe/Berlin ".into(),
        burst_per_second: Some(5),
        ..daily()
    };
    let pool = subscribe(&db, &admin, &acme, &agent, 20, plan, Some(5)).await;
    assert_eq!(
        (pool.organization_name.as_str(), pool.agent_slug.as_str()),
        ("Acme Research", "summarizer")
    );
    assert_eq!((pool.api_call_limit, pool.member_cap), (20, Some(5)));
    assert_eq!(
        pool.window_time_zone, "Europe/Berlin",
        "the zone's canonical name"
    );
    assert_eq!(
        (pool.window, pool.status),
        (QuotaWindow::Day, EffectiveStatus::Active)
    );
    assert_eq!((pool.usage.used, pool.usage.remaining), (0, Some(20)));
    assert_eq!(
        pool.usage.source,
        abetworks_types::enums::UsageSource::Subscription
    );
    assert_eq!(pool.activated_by.as_deref(), Some(admin.id.as_str()));
    let audited = fx::count_where::<crate::entities::logs::Entity>(
        &db,
        crate::entities::logs::Column::Action.eq("subscription.create"),
    )
    .await;
    assert_eq!(audited, 1);

    let twice = create(
        &db,
        &fx::actor(&admin),
        new_pool(&acme, &agent, 5, daily(), None),
    )
    .await;
    assert!(
        matches!(
            twice,
            Err(CoreError::Conflict(ConflictReason::AlreadySubscribed))
        ),
        "{twice:?}"
    );
}
crate::on_every_database!(only_the_super_admin_subscribes_and_the_pool_starts_empty);

async fn a_subscription_is_refused_with_the_field_that_is_wrong(db: TestDatabase) {
    let (db, admin, _, agent) = fx::cast(&db).await;
    let acme = team(&db, "Acme Research").await;
    let actor = fx::actor(&admin);
    let attempt = |change: fn(&mut NewSubscription)| {
        let mut new = new_pool(&acme, &agent, 20, QuotaPlan::default(), None);
        change(&mut new);
        create(&db, &actor, new)
    };
    fx::assert_invalid(&attempt(|n| n.api_call_limit = -2).await, "apiCallLimit");
    fx::assert_invalid(&attempt(|n| n.member_cap = Some(0)).await, "memberCap");
    fx::assert_invalid(
        &attempt(|n| n.plan.window_time_zone = "Mars/Olympus".into()).await,
        "windowTimeZone",
    );
    fx::assert_invalid(&attempt(|n| n.plan.reset_day = 31).await, "resetDay");
    fx::assert_invalid(
        &attempt(|n| n.expires_at = Some(Utc::now() - Duration::days(1))).await,
        "expiresAt",
    );
    let unknown = attempt(|n| n.organization_id = new_id()).await;
    assert!(matches!(
        unknown,
        Err(CoreError::NotFound {
            entity: "organization"
        })
    ));
    let unknown = attempt(|n| n.agent_id = new_id()).await;
    assert!(matches!(
        unknown,
        Err(CoreError::NotFound { entity: "agent" })
    ));
    assert_eq!(fx::count::<subscriptions::Entity>(&db).await, 0);
}
crate::on_every_database!(a_subscription_is_refused_with_the_field_that_is_wrong);

async fn members_see_their_own_organisations_pools_only(db: TestDatabase) {
    let (db, admin, _, _, summarizer, translator) = fx::crowd(&db).await;
    let acme = team(&db, "Acme Research").await;
    let globex = team(&db, "Globex").await;
    let ana = in_team(&db, &acme, "ana@acme.test", Role::Member).await;
    let gus = in_team(&db, &globex, "gus@globex.test", Role::Admin).await;
    let ours = subscribe(&db, &admin, &acme, &summarizer, 20, daily(), Some(3)).await;
    let theirs = subscribe(&db, &admin, &globex, &translator, -1, daily(), None).await;

    let all = list(
        &db,
        &fx::actor(&admin),
        &SubscriptionFilter::default(),
        page(),
    )
    .await;
    assert_eq!(all.unwrap().total, 2);
    let filter = SubscriptionFilter {
        organization_id: Some(globex.id.clone()),
    };
    let one = list(&db, &fx::actor(&admin), &filter, page())
        .await
        .unwrap();
    assert_eq!(
        fx::pairs(&one.items, |s| s.id.as_str()),
        vec![theirs.id.as_str()]
    );

    let mine = list(
        &db,
        &fx::actor(&ana),
        &SubscriptionFilter::default(),
        page(),
    )
    .await;
    assert_eq!(
        fx::pairs(&mine.unwrap().items, |s| s.id.clone()),
        vec![ours.id.clone()]
    );
    let snooping = list(&db, &fx::actor(&ana), &filter, page()).await.unwrap();
    assert_eq!(
        snooping.total, 0,
        "another organisation's pools are not listed"
    );
    assert_eq!(get(&db, &fx::actor(&ana), &ours.id).await.unwrap(), ours);
    for other in [
        get(&db, &fx::actor(&ana), &theirs.id).await,
        get(&db, &fx::actor(&gus), &ours.id).await,
    ] {
        assert!(
            matches!(other, Err(CoreError::NotFound { .. })),
            "{other:?}"
        );
    }

    let agents = for_member(&db, &fx::actor(&ana)).await.unwrap();
    assert_eq!(agents.len(), 1);
    assert_eq!(agents[0].subscription, ours);
    assert_eq!(
        (agents[0].member_used, agents[0].member_remaining),
        (0, Some(3))
    );
    assert!(agents[0].can_run, "a pool in force with room runs");
    let unlimited = for_member(&db, &fx::actor(&gus)).await.unwrap();
    assert_eq!(
        (unlimited[0].member_used, unlimited[0].member_remaining),
        (0, None)
    );
}
crate::on_every_database!(members_see_their_own_organisations_pools_only);

async fn a_changed_plan_carries_the_pools_and_members_calls_into_its_window(db: TestDatabase) {
    let (db, admin, _, agent, acme, ana) = acme(&db).await;
    let pool = subscribe(&db, &admin, &acme, &agent, 10, daily(), Some(5)).await;
    let clock = fx::start_clock();
    let lease = fx::lease_of("instance-a", &clock);
    for _ in 0..2 {
        call_at(&db, &ana, &agent, &lease, clock.now())
            .await
            .expect("admitted");
    }
    let actor = fx::actor(&admin);
    let monthly = QuotaPlan {
        window: QuotaWindow::Month,
        ..QuotaPlan::default()
    };
    let change = SubscriptionChange {
        api_call_limit: Some(30),
        plan: Some(monthly),
        member_cap: Some(Some(2)),
        expires_at: None,
    };
    let changed = update_at(&db, &actor, &pool.id, change, clock.now())
        .await
        .unwrap();
    assert_eq!(
        (changed.window, changed.api_call_limit, changed.member_cap),
        (QuotaWindow::Month, 30, Some(2))
    );
    assert_eq!(changed.usage.used, 2, "the calls carry over into the month");
    assert_eq!(share_used(&db, &pool.id, &ana).await, 2);
    let capped = call_at(&db, &ana, &agent, &lease, clock.now()).await;
    assert!(
        matches!(capped, Err(Refusal::QuotaExceeded { .. })),
        "the new cap of 2 holds"
    );

    let uncapped = SubscriptionChange {
        member_cap: Some(None),
        ..Default::default()
    };
    let changed = update_at(&db, &actor, &pool.id, uncapped, clock.now())
        .await
        .unwrap();
    assert_eq!(changed.member_cap, None);
    call_at(&db, &ana, &agent, &lease, clock.now())
        .await
        .expect("no cap any more");
    assert_eq!(pool_used(&db, &pool.id).await, 3);

    let bad = SubscriptionChange {
        member_cap: Some(Some(-3)),
        ..Default::default()
    };
    fx::assert_invalid(
        &update_at(&db, &actor, &pool.id, bad, clock.now()).await,
        "memberCap",
    );
    let by_member = update_at(
        &db,
        &fx::actor(&ana),
        &pool.id,
        Default::default(),
        clock.now(),
    )
    .await;
    assert!(matches!(by_member, Err(CoreError::Forbidden(_))));

    delete(&db, &actor, &pool.id).await.unwrap();
    assert_eq!(
        fx::count::<members::Entity>(&db).await,
        0,
        "the shares go with the pool"
    );
    let gone = call_at(&db, &ana, &agent, &lease, clock.now()).await;
    assert!(matches!(
        gone,
        Err(Refusal::License(crate::quota::LicenseDenial::Required))
    ));
    let again = delete(&db, &actor, &pool.id).await;
    assert!(matches!(again, Err(CoreError::NotFound { .. })));
}
crate::on_every_database!(a_changed_plan_carries_the_pools_and_members_calls_into_its_window);
