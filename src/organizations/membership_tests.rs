//! Changing roles, removing members and leaving, with the last-admin rule, on a real database
//! (SQLite and PostgreSQL).

use sea_orm::DatabaseConnection;

use super::test_support::*;
use super::*;
use crate::error::ConflictReason;
use crate::test_fixtures as fx;
use crate::testing::TestDatabase;

async fn the_last_admin_cannot_leave_be_demoted_or_be_removed(database: TestDatabase) {
    let state = site(&database, None).await;
    let db = &state.db;
    let (boss, ada, mia, _) = acme(db).await;
    join(&state, &ada, &mia, Role::Member).await;

    let as_ada = acting(db, &ada).await;
    let demote = || MemberRoleChange { role: Role::Member };
    assert_conflict(
        leave(db, &as_ada).await,
        ConflictReason::LastOrganizationAdmin,
    );
    assert_conflict(
        change_role(db, &as_ada, &ada.id, demote()).await,
        ConflictReason::LastOrganizationAdmin,
    );
    assert_conflict(
        remove_member(db, &as_ada, &ada.id).await,
        ConflictReason::LastOrganizationAdmin,
    );
    assert_conflict(
        remove_member(db, &fx::actor(&boss), &ada.id).await,
        ConflictReason::LastOrganizationAdmin,
    );
    assert_eq!(reload(db, &ada).await.role, Role::Admin, "nothing changed");

    // With a second admin, the first may step down and then leave.
    let promoted = change_role(db, &as_ada, &mia.id, MemberRoleChange { role: Role::Admin });
    assert_eq!(promoted.await.unwrap().role, Role::Admin);
    assert_eq!(
        change_role(db, &as_ada, &ada.id, demote())
            .await
            .unwrap()
            .role,
        Role::Member
    );
    let personal = leave(db, &acting(db, &ada).await).await.unwrap();
    assert!(personal.personal);
    assert_eq!((personal.member_count, personal.admin_count), (1, 0));
    // The last person in a team may leave it empty.
    leave(db, &acting(db, &mia).await).await.unwrap();
}
crate::on_every_database!(the_last_admin_cannot_leave_be_demoted_or_be_removed);

async fn leaving_or_being_removed_gives_a_new_personal_organisation_as_a_member(
    database: TestDatabase,
) {
    let state = site(&database, None).await;
    let db = &state.db;
    let (boss, ada, mia, acme) = acme(db).await;
    let max = fx::member(db, "max@example.com").await;
    join(&state, &ada, &mia, Role::Admin).await;
    join(&state, &ada, &max, Role::Member).await;

    let personal = leave(db, &acting(db, &mia).await).await.unwrap();
    let mia_now = reload(db, &mia).await;
    assert_eq!(
        (mia_now.organization_id.as_str(), mia_now.role),
        (personal.id.as_str(), Role::Member)
    );
    assert_ne!(
        personal.id, mia.organization_id,
        "a new one: the old was deleted"
    );
    assert_eq!(audited(db, "organization.leave").await, 1);
    assert_conflict(
        leave(db, &acting(db, &mia).await).await,
        ConflictReason::PersonalOrganization,
    );

    remove_member(db, &acting(db, &ada).await, &max.id)
        .await
        .unwrap();
    let max_now = reload(db, &max).await;
    assert_ne!(max_now.organization_id, acme.id);
    assert_eq!(max_now.role, Role::Member);
    assert_eq!(audited(db, "organization.member_remove").await, 1);
    assert_eq!(
        get(db, &fx::actor(&boss), &acme.id)
            .await
            .unwrap()
            .member_count,
        1
    );
}
crate::on_every_database!(leaving_or_being_removed_gives_a_new_personal_organisation_as_a_member);

async fn an_org_admin_cannot_act_on_another_organisations_members(database: TestDatabase) {
    let state = site(&database, None).await;
    let db = &state.db;
    let (boss, ada, bea, _, b) = two_teams(db).await;
    let (mia, bob) = (
        fx::member(db, "mia@a.example").await,
        fx::member(db, "bob@b.example").await,
    );
    join(&state, &ada, &mia, Role::Member).await;
    join(&state, &bea, &bob, Role::Member).await;

    let ada = acting(db, &ada).await;
    let promote = || MemberRoleChange { role: Role::Admin };
    for target in [&bea.id, &bob.id] {
        assert_not_found(remove_member(db, &ada, target).await);
        assert_not_found(change_role(db, &ada, target, promote()).await);
    }
    let mia = acting(db, &mia).await;
    assert_forbidden(remove_member(db, &mia, &mia.user_id).await);
    assert_forbidden(change_role(db, &mia, &mia.user_id, promote()).await);
    let super_admin_role = MemberRoleChange {
        role: Role::SuperAdmin,
    };
    fx::assert_invalid(
        &change_role(db, &ada, &mia.user_id, super_admin_role).await,
        "role",
    );
    let b_members = members_of(db, &fx::actor(&boss), &b.id).await.unwrap();
    assert_eq!(
        fx::pairs(&b_members, |m| (m.email.as_str(), m.role)),
        vec![
            ("bea@b.example", Role::Admin),
            ("bob@b.example", Role::Member)
        ],
        "team B is as it was"
    );
    // The super admin reaches every team.
    let promoted = change_role(db, &fx::actor(&boss), &bob.id, promote()).await;
    assert_eq!(promoted.unwrap().role, Role::Admin);
}
crate::on_every_database!(an_org_admin_cannot_act_on_another_organisations_members);

async fn two_admins_demoting_each_other_at_once_leave_one_admin(database: TestDatabase) {
    let state = site(&database, None).await;
    let db = &state.db;
    let (boss, ada, mia, acme) = acme(db).await;
    join(&state, &ada, &mia, Role::Admin).await;
    let (as_ada, as_mia) = (acting(db, &ada).await, acting(db, &mia).await);
    let demote = |db: DatabaseConnection, actor: Actor, target: String| {
        tokio::spawn(async move {
            change_role(
                &db,
                &actor,
                &target,
                MemberRoleChange { role: Role::Member },
            )
            .await
        })
    };
    let tasks = vec![
        demote(db.clone(), as_ada, mia.id.clone()),
        demote(db.clone(), as_mia, ada.id.clone()),
    ];
    assert_eq!(fx::successes_among_conflicts(tasks).await, 1);
    let view = get(db, &fx::actor(&boss), &acme.id).await.unwrap();
    assert_eq!((view.member_count, view.admin_count), (2, 1));
}
crate::on_every_database!(two_admins_demoting_each_other_at_once_leave_one_admin);
