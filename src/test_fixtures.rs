//! Rows for the services' tests, inserted directly: users without argon2 (slow in debug
//! builds) and catalog agents without the agent service.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};

use crate::actor::Actor;
use crate::entities::enums::{AgentStatus, Role};
use crate::entities::{agent_catalog, organizations, users};
use crate::ids::new_id;

/// A user in an organisation of their own; the password hash is a placeholder.
pub async fn user(db: &DatabaseConnection, email: &str, role: Role) -> users::Model {
    let now = Utc::now();
    let org_id = new_id();
    organizations::ActiveModel {
        id: Set(org_id.clone()),
        name: Set(format!("{email}'s organisation")),
        slug: Set(format!("personal-{org_id}")),
        created_at: Set(now),
    }
    .insert(db)
    .await
    .expect("organisation inserted");
    users::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org_id),
        email: Set(email.to_lowercase()),
        name: Set(email.split('@').next().unwrap_or(email).to_owned()),
        password_hash: Set("not-a-hash".into()),
        role: Set(role),
        disabled: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(None),
    }
    .insert(db)
    .await
    .expect("user inserted")
}

pub async fn member(db: &DatabaseConnection, email: &str) -> users::Model {
    user(db, email, Role::Member).await
}

pub async fn super_admin(db: &DatabaseConnection, email: &str) -> users::Model {
    user(db, email, Role::SuperAdmin).await
}

/// `user` as the caller of a core function, with no address or request id.
pub fn actor(user: &users::Model) -> Actor {
    Actor::new(user, None, None)
}

/// `user` as the caller of a core function, from the address `ip`.
pub fn actor_from(user: &users::Model, ip: &str) -> Actor {
    Actor::new(user, Some(ip.to_owned()), None)
}

/// A catalog agent; `published` decides whether the marketplace lists it.
pub async fn agent(db: &DatabaseConnection, slug: &str, published: bool) -> agent_catalog::Model {
    let now = Utc::now();
    agent_catalog::ActiveModel {
        id: Set(new_id()),
        slug: Set(slug.to_owned()),
        name: Set(format!("Agent {slug}")),
        short_description: Set(format!("{slug} does things")),
        long_description: Set(String::new()),
        category: Set("testing".into()),
        price_cents: Set(0),
        currency: Set("USD".into()),
        icon: Set(String::new()),
        features: Set(serde_json::json!([])),
        input_schema: Set(serde_json::json!({})),
        output_schema: Set(serde_json::json!({})),
        version: Set("1.0.0".into()),
        published: Set(published),
        status: Set(AgentStatus::Available),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .expect("agent inserted")
}

/// A migrated connection to the test's database.
pub async fn connect(db: &crate::testing::TestDatabase) -> DatabaseConnection {
    crate::db::connect_and_migrate(&db.url)
        .await
        .expect("the test database connects and migrates")
}

/// The cast of most service tests, in a migrated database: the super admin
/// `admin@example.com`, the member `ana@example.com` and the published agent `summarizer`.
pub async fn cast(
    db: &crate::testing::TestDatabase,
) -> (
    DatabaseConnection,
    users::Model,
    users::Model,
    agent_catalog::Model,
) {
    let db = connect(db).await;
    let admin = super_admin(&db, "admin@example.com").await;
    let user = member(&db, "ana@example.com").await;
    let agent = agent(&db, "summarizer", true).await;
    (db, admin, user, agent)
}

/// Awaits tasks racing for one thing: how many succeeded, every other having lost with a
/// conflict (anything else fails the test).
pub async fn successes_among_conflicts<T: std::fmt::Debug>(
    tasks: Vec<tokio::task::JoinHandle<crate::error::CoreResult<T>>>,
) -> usize {
    let mut successes = 0;
    for task in tasks {
        match task.await.expect("the task ran") {
            Ok(_) => successes += 1,
            Err(crate::error::CoreError::Conflict(_)) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    successes
}

/// Grants `user` a license for `agent` from `admin`, with `limit` calls for its lifetime and
/// no expiry.
pub async fn license(
    db: &DatabaseConnection,
    admin: &users::Model,
    user: &users::Model,
    agent: &agent_catalog::Model,
    limit: i64,
) -> crate::licenses::LicenseView {
    license_on_plan(db, admin, user, agent, limit, Default::default()).await
}

/// Grants `user` a license for `agent` from `admin`, with `limit` calls per `plan`'s window.
pub async fn license_on_plan(
    db: &DatabaseConnection,
    admin: &users::Model,
    user: &users::Model,
    agent: &agent_catalog::Model,
    limit: i64,
    plan: crate::licenses::QuotaPlan,
) -> crate::licenses::LicenseView {
    crate::licenses::grant(
        db,
        &actor(admin),
        crate::licenses::GrantLicense {
            user_id: user.id.clone(),
            agent_id: agent.id.clone(),
            api_call_limit: limit,
            expires_at: None,
            plan,
        },
    )
    .await
    .expect("license granted")
}

/// Takes one call from a license at `now` (no burst rate), as the gateway does; whether it
/// was admitted.
pub async fn admit(db: &DatabaseConnection, license_id: &str, now: chrono::DateTime<Utc>) -> bool {
    use crate::entities::user_agent_licenses as licenses;
    use sea_orm::EntityTrait;
    let license = licenses::Entity::find_by_id(license_id)
        .one(db)
        .await
        .expect("license read")
        .expect("the license exists");
    let ctx = crate::quota::QuotaContext {
        now,
        default_burst_per_second: None,
    };
    matches!(
        crate::quota::admit(db, &license, &ctx)
            .await
            .expect("admission ran"),
        crate::quota::Admission::Admitted { .. }
    )
}

/// How many rows `E` holds.
pub async fn count<E>(db: &DatabaseConnection) -> u64
where
    E: sea_orm::EntityTrait,
    E::Model: Sync,
{
    use sea_orm::PaginatorTrait;
    E::find().count(db).await.expect("rows counted")
}

/// Sets a license's expiry directly, past dates included (the services refuse those).
pub async fn set_license_expiry(
    db: &DatabaseConnection,
    license_id: &str,
    expires_at: Option<chrono::DateTime<Utc>>,
) {
    use crate::entities::user_agent_licenses as licenses;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    licenses::Entity::update_many()
        .col_expr(
            licenses::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(expires_at),
        )
        .filter(licenses::Column::Id.eq(license_id))
        .exec(db)
        .await
        .expect("expiry set");
}
