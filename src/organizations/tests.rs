//! Creating, renaming, listing and seeing organisations on a real database (SQLite and
//! PostgreSQL).

use sea_orm::{DatabaseConnection, EntityTrait};

use super::test_support::*;
use super::*;
use crate::error::ConflictReason;
use crate::test_fixtures::{self as fx, page};
use crate::testing::TestDatabase;

async fn organisation_exists(db: &DatabaseConnection, id: &str) -> bool {
    organizations::Entity::find_by_id(id.to_owned())
        .one(db)
        .await
        .expect("a query")
        .is_some()
}

async fn a_super_admin_creates_a_team_and_its_admin_moves_in_leaving_no_empty_organisation(
    database: TestDatabase,
) {
    let db = fx::connect(&database).await;
    let boss = boss(&db).await;
    let ada = fx::member(&db, "ada@example.com").await;
    let acme = team(&db, &boss, "  Acme Research! ", &ada).await;
    assert_eq!(
        (acme.name.as_str(), acme.slug.as_str(), acme.personal),
        ("Acme Research!", "acme-research", false)
    );
    assert_eq!((acme.member_count, acme.admin_count), (1, 1));
    let ada_now = reload(&db, &ada).await;
    assert_eq!(
        (ada_now.organization_id.as_str(), ada_now.role),
        (acme.id.as_str(), Role::Admin)
    );
    assert!(
        !organisation_exists(&db, &ada.organization_id).await,
        "the personal organisation she left, now empty, is gone"
    );
    assert_eq!(audited(&db, "organization.create").await, 1);
    assert_eq!(audited(&db, "organization.join").await, 1);

    // The same name gets a free slug; a super admin moved in stays super admin.
    let again = team(&db, &boss, "Acme research", &boss).await;
    assert_eq!(again.slug, "acme-research-2");
    assert_eq!(reload(&db, &boss).await.role, Role::SuperAdmin);
    assert_eq!(again.admin_count, 1, "the super admin counts as an admin");

    let unknown = NewOrganization {
        name: "Nobody's".into(),
        admin_user_id: Some(crate::ids::new_id()),
    };
    let refused = create(&db, &acting(&db, &boss).await, unknown).await;
    fx::assert_invalid(&refused, "adminUserId");
    let blank = NewOrganization {
        name: "  ".into(),
        admin_user_id: None,
    };
    fx::assert_invalid(&create(&db, &fx::actor(&boss), blank).await, "name");
    assert_eq!(
        fx::count_where::<organizations::Entity>(&db, organizations::Column::Personal.eq(false))
            .await,
        2,
        "refused creations leave nothing behind"
    );
}
crate::on_every_database!(
    a_super_admin_creates_a_team_and_its_admin_moves_in_leaving_no_empty_organisation
);

async fn only_the_super_admin_creates_renames_and_lists_organisations(database: TestDatabase) {
    let db = fx::connect(&database).await;
    let boss = boss(&db).await;
    let ada = fx::member(&db, "ada@example.com").await;
    let acme = team(&db, &boss, "Acme", &ada).await;
    let ada = acting(&db, &ada).await;
    let new = NewOrganization {
        name: "Mine".into(),
        admin_user_id: None,
    };
    let change = || OrganizationChange {
        name: "Renamed".into(),
    };
    assert_forbidden(create(&db, &ada, new.clone()).await);
    assert_forbidden(rename(&db, &ada, &acme.id, change()).await);
    assert_forbidden(list(&db, &ada, None, page()).await);
    let boss = fx::actor(&boss);
    let renamed = rename(&db, &boss, &acme.id, change()).await.unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.slug.as_str()),
        ("Renamed", "acme")
    );
    assert_eq!(audited(&db, "organization.rename").await, 1);

    let all = list(&db, &boss, None, page()).await.unwrap();
    assert_eq!(
        all.total, 2,
        "the team and the super admin's personal organisation"
    );
    assert!(!all.items[0].personal, "teams come first");
    let found = list(&db, &boss, Some("RENAM"), page()).await.unwrap();
    assert_eq!(
        fx::pairs(&found.items, |o| o.id.as_str()),
        vec![acme.id.as_str()]
    );
    assert_not_found(rename(&db, &boss, &crate::ids::new_id(), change()).await);
}
crate::on_every_database!(only_the_super_admin_creates_renames_and_lists_organisations);

async fn members_see_their_own_organisation_and_nobody_sees_another(database: TestDatabase) {
    let state = site(&database, None).await;
    let db = &state.db;
    let (boss, ada, _, a, b) = two_teams(db).await;
    let mia = fx::member(db, "mia@a.example").await;
    join(&state, &ada, &mia, Role::Member).await;

    let mia = acting(db, &mia).await;
    assert_eq!(current(db, &mia).await.unwrap().member_count, 2);
    let seen = members(db, &mia).await.unwrap();
    assert_eq!(
        fx::pairs(&seen, |m| (m.email.as_str(), m.role)),
        vec![
            ("ada@a.example", Role::Admin),
            ("mia@a.example", Role::Member)
        ],
        "admins first"
    );
    for who in [&mia, &acting(db, &ada).await] {
        assert_not_found(get(db, who, &b.id).await);
        assert_not_found(members_of(db, who, &b.id).await);
    }
    let boss = fx::actor(&boss);
    assert_eq!(members_of(db, &boss, &a.id).await.unwrap().len(), 2);
    assert_eq!(get(db, &boss, &b.id).await.unwrap().name, "Team B");
}
crate::on_every_database!(members_see_their_own_organisation_and_nobody_sees_another);

async fn the_last_admin_of_a_team_with_members_is_not_moved_into_a_new_team(
    database: TestDatabase,
) {
    let state = site(&database, None).await;
    let db = &state.db;
    let (boss, ada, mia, acme) = acme(db).await;
    join(&state, &ada, &mia, Role::Member).await;
    let new = NewOrganization {
        name: "Elsewhere".into(),
        admin_user_id: Some(ada.id.clone()),
    };
    assert_conflict(
        create(db, &fx::actor(&boss), new).await,
        ConflictReason::LastOrganizationAdmin,
    );
    let all = list(db, &fx::actor(&boss), Some("elsewhere"), page())
        .await
        .unwrap();
    assert_eq!(all.total, 0, "the organisation was not created either");
    assert_eq!(reload(db, &ada).await.organization_id, acme.id);
}
crate::on_every_database!(the_last_admin_of_a_team_with_members_is_not_moved_into_a_new_team);

/// What the session says of `user`'s organisation (as stored now): its name, whether it is a
/// team, whether they may ask for a pool for it.
async fn session_of(db: &DatabaseConnection, user: &users::Model) -> (String, bool, bool) {
    let session = session(db, reload(db, user).await)
        .await
        .expect("the session");
    assert_eq!(session.user.id, user.id);
    let organization = session.organization;
    (
        organization.name,
        organization.team,
        organization.can_request_for_organization,
    )
}

async fn the_session_says_whether_the_organisation_is_a_team_and_whether_its_user_may_ask_a_pool_for_it(
    database: TestDatabase,
) {
    let state = site(&database, None).await;
    let db = &state.db;
    let (boss, ada, mia, _) = acme(db).await;
    let personal = session_of(db, &mia).await;
    assert_eq!((personal.1, personal.2), (false, false), "a personal one");
    join(&state, &ada, &mia, Role::Member).await;
    let acme = |team, may_ask| ("Acme".to_owned(), team, may_ask);
    assert_eq!(session_of(db, &ada).await, acme(true, true), "its admin");
    assert_eq!(session_of(db, &mia).await, acme(true, false), "a member");
    let boss = session_of(db, &boss).await;
    assert_eq!(
        (boss.1, boss.2),
        (false, false),
        "the super admin, in a personal organisation"
    );
}
crate::on_every_database!(
    the_session_says_whether_the_organisation_is_a_team_and_whether_its_user_may_ask_a_pool_for_it
);

#[test]
fn a_slug_is_lower_case_letters_and_digits_joined_by_dashes() {
    assert_eq!(slug_of("  Acme Research! "), "acme-research");
    assert_eq!(slug_of("R&D -- Lab 2"), "r-d-lab-2");
    assert_eq!(slug_of("Équipe"), "quipe");
    assert_eq!(slug_of("!!!"), "organisation");
}

async fn the_demo_team_has_an_admin_a_member_and_a_pool_once_an_agent_is_published(
    database: TestDatabase,
) {
    use crate::demo;
    use crate::entities::agent_subscriptions;
    let db = fx::connect(&database).await;
    assert!(demo::seed_demo_team(&db).await.unwrap());
    assert!(!demo::seed_demo_team(&db).await.unwrap(), "once");
    assert!(
        !demo::seed_demo_subscription(&db).await.unwrap(),
        "no published agent yet"
    );
    fx::agent(&db, "hidden", false).await;
    let agent = fx::agent(&db, "summarizer", true).await;
    assert!(demo::seed_demo_subscription(&db).await.unwrap());
    assert!(!demo::seed_demo_subscription(&db).await.unwrap(), "once");

    let admin = crate::users::find_by_email(&db, demo::DEMO_TEAM_ADMIN_EMAIL)
        .await
        .unwrap()
        .expect("the team admin");
    let team = current(&db, &fx::actor(&admin)).await.unwrap();
    assert_eq!(
        (team.name.as_str(), team.personal),
        (demo::DEMO_TEAM_NAME, false)
    );
    assert_eq!((team.member_count, team.admin_count), (2, 1));
    let pool = agent_subscriptions::Entity::find().one(&db).await.unwrap();
    let pool = pool.expect("the pool");
    assert_eq!(
        (pool.organization_id, pool.agent_id, pool.api_call_limit),
        (team.id, agent.id, demo::DEMO_POOL_CALLS)
    );
}
crate::on_every_database!(
    the_demo_team_has_an_admin_a_member_and_a_pool_once_an_agent_is_published
);
