//! What the subscription tests share: teams and their members, pools, and calls admitted the
//! way the gateway admits them.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use crate::entities::enums::{QuotaWindow, Role};
use crate::entities::{subscription_member_usage as members, users};
use crate::executions::lease::{self, LeaseSettings, Refusal, Started};
use crate::quota::QuotaContext;
use crate::subscriptions::*;
use crate::test_fixtures as fx;
use crate::testing::TestDatabase;

/// A team organisation (not a personal one) called `name`.
pub(super) async fn team(db: &DatabaseConnection, name: &str) -> organizations::Model {
    let id = new_id();
    organizations::ActiveModel {
        id: Set(id.clone()),
        name: Set(name.to_owned()),
        slug: Set(format!("team-{id}")),
        created_at: Set(Utc::now()),
        personal: Set(false),
    }
    .insert(db)
    .await
    .expect("organisation inserted")
}

/// A new user `email` in `organization` with `role`.
pub(super) async fn in_team(
    db: &DatabaseConnection,
    organization: &organizations::Model,
    email: &str,
    role: Role,
) -> users::Model {
    let user = fx::user(db, email, role).await;
    let mut moved: users::ActiveModel = user.into();
    moved.organization_id = Set(organization.id.clone());
    moved.update(db).await.expect("the user moved in")
}

/// The database, the super admin, the outsider, the agent, the team and `ana` of [`acme`].
pub(super) type Acme = (
    DatabaseConnection,
    users::Model,
    users::Model,
    agent_catalog::Model,
    organizations::Model,
    users::Model,
);

/// What most pool tests start from: [`fx::cast`] (its member, the outsider, stays in a
/// personal organisation) and the team "Acme Research" with its member `ana@acme.test`.
pub(super) async fn acme(database: &TestDatabase) -> Acme {
    let (db, admin, outsider, agent) = fx::cast(database).await;
    let acme = team(&db, "Acme Research").await;
    let ana = in_team(&db, &acme, "ana@acme.test", Role::Member).await;
    (db, admin, outsider, agent, acme, ana)
}

/// Another connection pool to `database`, as a second instance of the server holds.
pub(super) async fn second_instance(database: &TestDatabase) -> DatabaseConnection {
    crate::db::connect(&database.url)
        .await
        .expect("a second pool")
}

/// The pool the super admin `admin` gives `organization` for `agent`: `limit` calls per
/// window of `plan`, at most `cap` per member.
pub(super) async fn subscribe(
    db: &DatabaseConnection,
    admin: &users::Model,
    organization: &organizations::Model,
    agent: &agent_catalog::Model,
    limit: i64,
    plan: QuotaPlan,
    cap: Option<i64>,
) -> SubscriptionView {
    create(
        db,
        &fx::actor(admin),
        new_pool(organization, agent, limit, plan, cap),
    )
    .await
    .expect("subscription created")
}

pub(super) fn new_pool(
    organization: &organizations::Model,
    agent: &agent_catalog::Model,
    limit: i64,
    plan: QuotaPlan,
    cap: Option<i64>,
) -> NewSubscription {
    NewSubscription {
        organization_id: organization.id.clone(),
        agent_id: agent.id.clone(),
        api_call_limit: limit,
        plan,
        member_cap: cap,
        expires_at: None,
    }
}

pub(super) fn daily() -> QuotaPlan {
    QuotaPlan {
        window: QuotaWindow::Day,
        ..QuotaPlan::default()
    }
}

/// A call at `now` with no server-wide burst rate.
pub(super) fn ctx(now: DateTime<Utc>) -> QuotaContext {
    QuotaContext {
        now,
        default_burst_per_second: None,
    }
}

/// One call of `user` to `agent` at `now` as the gateway admits it: a unit and a running
/// execution under `lease`, or why not.
pub(super) async fn call_at(
    db: &DatabaseConnection,
    user: &users::Model,
    agent: &agent_catalog::Model,
    lease: &LeaseSettings,
    now: DateTime<Utc>,
) -> Result<Started, Refusal> {
    lease::admit_and_start(db, &ctx(now), fx::new_run(user, agent), lease)
        .await
        .expect("admission ran")
}

/// The calls the pool `id` has counted in its stored window.
pub(super) async fn pool_used(db: &DatabaseConnection, id: &str) -> i64 {
    fx::row::<subscriptions::Entity>(db, id)
        .await
        .api_calls_used
}

/// The calls `user` has taken from the pool `id` in the share's stored window.
pub(super) async fn share_used(db: &DatabaseConnection, id: &str, user: &users::Model) -> i64 {
    members::Entity::find()
        .filter(members::Column::SubscriptionId.eq(id))
        .filter(members::Column::UserId.eq(&user.id))
        .one(db)
        .await
        .expect("the share is read")
        .map_or(0, |share| share.calls_used)
}

/// The calls the pool `id` and `user`'s share of it have counted in their stored windows.
pub(super) async fn pool_and_share_used(
    db: &DatabaseConnection,
    id: &str,
    user: &users::Model,
) -> (i64, i64) {
    (pool_used(db, id).await, share_used(db, id, user).await)
}
