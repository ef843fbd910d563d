//! What the organisations' tests share: the application's state, teams made and joined the
//! way users make and join them, and assertions on the refusals.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::*;
use crate::agent_client::AgentClient;
use crate::config::Config;
use crate::entities::logs;
use crate::error::{ConflictReason, ErrorCode};
use crate::state::AppState;
use crate::test_fixtures as fx;
use crate::testing::TestDatabase;

pub(super) const SITE: &str = "https://abetworks.example";

type User = users::Model;

/// The application's state on `database`, linking to [`SITE`], mailing through `smtp_url`
/// when given.
pub(super) async fn site(database: &TestDatabase, smtp_url: Option<String>) -> AppState {
    let url = database.url.clone();
    let config = Config::from_lookup(|name| match name {
        "DATABASE_URL" => Some(url.clone()),
        "ABETWORKS_PUBLIC_URL" => Some(SITE.to_owned()),
        "ABETWORKS_SMTP_URL" => smtp_url.clone(),
        _ => None,
    })
    .expect("a valid configuration");
    AppState {
        db: fx::connect(database).await,
        agents: AgentClient::from_config(&config).expect("an agent client"),
        mailer: crate::email::Mailer::from_settings(&config.mail).expect("a mailer"),
        config: Arc::new(config),
        clock: crate::clock::system(),
        instance_id: "organization-tests".into(),
    }
}

/// `user` as stored now (after a move, their organisation and role have changed).
pub(super) async fn reload(db: &DatabaseConnection, user: &users::Model) -> users::Model {
    fx::row::<users::Entity>(db, &user.id).await
}

/// `user`, as stored now, as the caller.
pub(super) async fn acting(db: &DatabaseConnection, user: &users::Model) -> Actor {
    fx::actor(&reload(db, user).await)
}

/// The super admin who makes the teams: `boss@example.com`.
pub(super) async fn boss(db: &DatabaseConnection) -> users::Model {
    fx::super_admin(db, "boss@example.com").await
}

/// The super admin, `ada`, `mia` and the team of [`acme`].
pub(super) type Acme = (User, User, User, OrganizationView);

/// The team "Acme" made by [`boss`] with its admin `ada@example.com`, and `mia@example.com`,
/// not in it yet, in that order. The users are as they were made (in their personal
/// organisations).
pub(super) async fn acme(db: &DatabaseConnection) -> Acme {
    let boss = boss(db).await;
    let ada = fx::member(db, "ada@example.com").await;
    let mia = fx::member(db, "mia@example.com").await;
    let acme = team(db, &boss, "Acme", &ada).await;
    (boss, ada, mia, acme)
}

/// The super admin, `ada`, `bea` and their teams A and B, of [`two_teams`].
pub(super) type TwoTeams = (User, User, User, OrganizationView, OrganizationView);

/// "Team A" with its admin `ada@a.example` and "Team B" with its admin `bea@b.example`, both
/// made by [`boss`], in that order. The admins are as they were made (in their personal
/// organisations).
pub(super) async fn two_teams(db: &DatabaseConnection) -> TwoTeams {
    let boss = boss(db).await;
    let ada = fx::member(db, "ada@a.example").await;
    let bea = fx::member(db, "bea@b.example").await;
    let a = team(db, &boss, "Team A", &ada).await;
    let b = team(db, &boss, "Team B", &bea).await;
    (boss, ada, bea, a, b)
}

/// The team `name`, made by the super admin `boss`, with `admin` moved in as its admin.
pub(super) async fn team(
    db: &DatabaseConnection,
    boss: &users::Model,
    name: &str,
    admin: &users::Model,
) -> OrganizationView {
    let new = NewOrganization {
        name: name.to_owned(),
        admin_user_id: Some(admin.id.clone()),
    };
    create(db, &fx::actor(boss), new).await.expect("the team")
}

/// `user` joins the team of `admin` as `role`, through an invitation.
pub(super) async fn join(state: &AppState, admin: &users::Model, user: &users::Model, role: Role) {
    let created = invited(state, admin, &user.email, role).await;
    accept_as(&state.db, user, token_of(&created))
        .await
        .expect("accepted");
}

/// The invitation `admin` (as stored now) makes for `email` as `role`.
pub(super) async fn invited(
    state: &AppState,
    admin: &users::Model,
    email: &str,
    role: Role,
) -> InvitationCreated {
    invite(state, &acting(&state.db, admin).await, to(email, role))
        .await
        .expect("an invitation")
}

/// `user` (as stored now) accepts the invitation `token`, for whichever organisation it is for.
pub(super) async fn accept_as(
    db: &DatabaseConnection,
    user: &users::Model,
    token: &str,
) -> CoreResult<OrganizationView> {
    accept(db, &acting(db, user).await, token, Default::default()).await
}

/// The token in an invitation's link.
pub(super) fn token_of(created: &InvitationCreated) -> &str {
    created.accept_url.rsplit('/').next().unwrap_or_default()
}

pub(super) async fn audited(db: &DatabaseConnection, action: &str) -> u64 {
    fx::count_where::<logs::Entity>(db, logs::Column::Action.eq(action)).await
}

#[track_caller]
pub(super) fn assert_conflict<T: std::fmt::Debug>(result: CoreResult<T>, reason: ConflictReason) {
    assert!(
        matches!(&result, Err(CoreError::Conflict(r)) if *r == reason),
        "expected a conflict {reason:?}, got {result:?}"
    );
}

pub(super) fn to(email: &str, role: Role) -> NewInvitation {
    NewInvitation {
        email: email.to_owned(),
        role,
    }
}

#[track_caller]
pub(super) fn assert_code<T: std::fmt::Debug>(result: CoreResult<T>, code: ErrorCode) {
    assert!(
        matches!(&result, Err(CoreError::Code(c)) if *c == code),
        "expected {code:?}, got {result:?}"
    );
}

#[track_caller]
pub(super) fn assert_not_found<T: std::fmt::Debug>(result: CoreResult<T>) {
    assert!(
        matches!(result, Err(CoreError::NotFound { .. })),
        "expected not found, got {result:?}"
    );
}

#[track_caller]
pub(super) fn assert_forbidden<T: std::fmt::Debug>(result: CoreResult<T>) {
    assert!(
        matches!(result, Err(CoreError::Forbidden(_))),
        "expected forbidden, got {result:?}"
    );
}
