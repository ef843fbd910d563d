//! Which unit a member's next call takes, as the run page is told (`units_for`): their own
//! license while it admits a call, else the organisation's pool.

use sea_orm::sea_query::Expr;
use sea_orm::DatabaseConnection;

use super::*;
use crate::entities::enums::LicenseStatus;
use crate::entities::user_agent_licenses as licenses;
use crate::quota::UsageSource::{self, License, Subscription};

/// What `user`'s next call to `agent` counts against.
async fn next_of(
    db: &DatabaseConnection,
    user: &users::Model,
    agent: &agent_catalog::Model,
) -> Option<UsageSource> {
    units_for(db, &fx::actor(user), &agent.id)
        .await
        .expect("the units")
        .next_source
}

/// Sets `column` of the license `id` to `value`.
async fn set_license(
    db: &DatabaseConnection,
    id: &str,
    column: licenses::Column,
    value: sea_orm::Value,
) {
    licenses::Entity::update_many()
        .col_expr(column, Expr::value(value))
        .filter(licenses::Column::Id.eq(id))
        .exec(db)
        .await
        .expect("the license changed");
}

async fn the_next_call_counts_against_the_license_while_it_admits_then_against_the_pool(
    db: TestDatabase,
) {
    let (db, admin, outsider, agent, acme, ana) = acme(&db).await;
    assert_eq!(next_of(&db, &ana, &agent).await, None, "nothing to run on");
    fx::license(&db, &admin, &ana, &agent, 1).await;
    assert_eq!(next_of(&db, &ana, &agent).await, Some(License));
    let pool = subscribe(&db, &admin, &acme, &agent, 5, daily(), None).await;
    let units = units_for(&db, &fx::actor(&ana), &agent.id).await.unwrap();
    assert_eq!(
        (units.next_source, units.pool.map(|p| p.subscription.id)),
        (Some(License), Some(pool.id)),
        "a license that admits counts first, beside the pool"
    );

    let clock = fx::start_clock();
    let lease = fx::lease_of("instance-a", &clock);
    let call = call_at(&db, &ana, &agent, &lease, clock.now()).await;
    assert_eq!(call.expect("admitted").usage.source, License);
    assert_eq!(
        next_of(&db, &ana, &agent).await,
        Some(Subscription),
        "the license used up: the pool"
    );

    let bob = in_team(&db, &acme, "bob@acme.test", Role::Member).await;
    assert_eq!(
        next_of(&db, &bob, &agent).await,
        Some(Subscription),
        "no license"
    );
    let bobs = fx::license(&db, &admin, &bob, &agent, 5).await;
    let yesterday = Utc::now() - Duration::days(1);
    set_license(
        &db,
        &bobs.id,
        licenses::Column::ExpiresAt,
        Some(yesterday).into(),
    )
    .await;
    assert_eq!(
        next_of(&db, &bob, &agent).await,
        Some(Subscription),
        "expired"
    );
    let cy = in_team(&db, &acme, "cy@acme.test", Role::Member).await;
    let cys = fx::license(&db, &admin, &cy, &agent, 5).await;
    set_license(
        &db,
        &cys.id,
        licenses::Column::Status,
        LicenseStatus::Suspended.into(),
    )
    .await;
    assert_eq!(
        next_of(&db, &cy, &agent).await,
        Some(Subscription),
        "suspended"
    );

    for _ in 0..5 {
        let call = call_at(&db, &ana, &agent, &lease, clock.now()).await;
        assert_eq!(call.expect("admitted").usage.source, Subscription);
    }
    assert!(
        call_at(&db, &ana, &agent, &lease, clock.now())
            .await
            .is_err(),
        "the pool is used up"
    );
    assert_eq!(
        next_of(&db, &ana, &agent).await,
        Some(License),
        "neither admits: the call meets the license's refusal, as admission answers it"
    );
    assert_eq!(
        next_of(&db, &bob, &agent).await,
        Some(License),
        "an expired license refuses ahead of a used-up pool"
    );
    let dee = in_team(&db, &acme, "dee@acme.test", Role::Member).await;
    assert_eq!(
        next_of(&db, &dee, &agent).await,
        Some(Subscription),
        "without a license, the used-up pool is what the call meets"
    );

    fx::license(&db, &admin, &outsider, &agent, 0).await;
    assert_eq!(
        next_of(&db, &outsider, &agent).await,
        Some(License),
        "without a pool, the used-up license is what the call meets"
    );
}
crate::on_every_database!(
    the_next_call_counts_against_the_license_while_it_admits_then_against_the_pool
);
