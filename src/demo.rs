//! Demo data for `make run`: a member whose credentials the README gives, and a team ("Acme
//! Research": an admin, a member and a pool of calls to one demo agent).

use sea_orm::{ActiveModelTrait, DatabaseConnection};

use crate::entities::enums::Role;
use crate::error::CoreResult;
use crate::users::{self, NewUser};

pub const DEMO_MEMBER_EMAIL: &str = "demo@abetworks.local";
pub const DEMO_MEMBER_PASSWORD: &str = "demo-password-2026";

/// Creates the demo member once; later starts leave it as it is.
pub async fn seed_demo_member(db: &DatabaseConnection) -> CoreResult<bool> {
    if users::find_by_email(db, DEMO_MEMBER_EMAIL).await?.is_some() {
        return Ok(false);
    }
    users::create_user(
        db,
        NewUser {
            email: DEMO_MEMBER_EMAIL,
            name: "Demo Member",
            password: DEMO_MEMBER_PASSWORD,
            role: Role::Member,
        },
    )
    .await?;
    Ok(true)
}

/// The demo team (`make run` shows teams): its name, its admin and one member, who sign in
/// with [`DEMO_MEMBER_PASSWORD`].
pub const DEMO_TEAM_NAME: &str = "Acme Research";
pub const DEMO_TEAM_ADMIN_EMAIL: &str = "team-admin@abetworks.local";
pub const DEMO_TEAM_MEMBER_EMAIL: &str = "team-member@abetworks.local";
/// The demo team's pool: calls for its lifetime, and the most one member may take.
pub const DEMO_POOL_CALLS: i64 = 100;
pub const DEMO_POOL_MEMBER_CAP: i64 = 40;
/// The agent the demo team subscribes to when the catalog has it (else the first published).
const DEMO_POOL_AGENT_SLUG: &str = "sentiment";

/// Creates the demo team once: "Acme Research" with its admin and a member. Later starts
/// leave it as it is.
pub async fn seed_demo_team(db: &DatabaseConnection) -> CoreResult<bool> {
    if users::find_by_email(db, DEMO_TEAM_ADMIN_EMAIL)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let mut placed = Vec::new();
    for (email, name, role) in [
        (DEMO_TEAM_ADMIN_EMAIL, "Tess Admin", Role::Admin),
        (DEMO_TEAM_MEMBER_EMAIL, "Tom Member", Role::Member),
    ] {
        let user = users::create_user(
            db,
            NewUser {
                email,
                name,
                password: DEMO_MEMBER_PASSWORD,
                role: Role::Member,
            },
        )
        .await?;
        placed.push((user.id, role));
    }
    let members: Vec<(&str, Role)> = placed
        .iter()
        .map(|(id, role)| (id.as_str(), *role))
        .collect();
    crate::organizations::seed_team(db, DEMO_TEAM_NAME, &members).await?;
    Ok(true)
}

/// Gives the demo team a pool of calls to one demo agent, once the catalog has a published
/// agent (it is synced from the agent service after start-up). Whether it was added now.
pub async fn seed_demo_subscription(db: &DatabaseConnection) -> CoreResult<bool> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

    use crate::entities::enums::QuotaWindow;
    use crate::entities::{agent_catalog, agent_subscriptions, organizations};

    let Some(team) = organizations::Entity::find()
        .filter(organizations::Column::Name.eq(DEMO_TEAM_NAME))
        .filter(organizations::Column::Personal.eq(false))
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    let subscribed = agent_subscriptions::Entity::find()
        .filter(agent_subscriptions::Column::OrganizationId.eq(&team.id))
        .one(db)
        .await?;
    if subscribed.is_some() {
        return Ok(false);
    }
    let published = agent_catalog::Entity::find()
        .filter(agent_catalog::Column::Published.eq(true))
        .order_by_asc(agent_catalog::Column::Slug)
        .all(db)
        .await?;
    let Some(agent) = published
        .iter()
        .find(|agent| agent.slug == DEMO_POOL_AGENT_SLUG)
        .or(published.first())
    else {
        return Ok(false);
    };
    let now = chrono::Utc::now();
    // Written directly, as the demo has no super admin acting; the same row
    // `subscriptions::create` writes for a lifetime pool.
    let inserted = agent_subscriptions::ActiveModel {
        id: Set(crate::ids::new_id()),
        organization_id: Set(team.id),
        agent_id: Set(agent.id.clone()),
        activated_by: Set(None),
        created_at: Set(now),
        api_call_limit: Set(DEMO_POOL_CALLS),
        api_calls_used: Set(0),
        quota_window: Set(QuotaWindow::Lifetime),
        window_time_zone: Set("UTC".to_owned()),
        reset_day: Set(1),
        window_start_unix: Set(0),
        member_cap: Set(Some(DEMO_POOL_MEMBER_CAP)),
        expires_at: Set(None),
        updated_at: Set(Some(now)),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(_) => Ok(true),
        // Another instance subscribed it first.
        Err(e)
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}
