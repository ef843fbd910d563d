//! Who may invite whom, the last-admin rule on accepting, and the invitation email, on a
//! real database (SQLite and PostgreSQL).

use std::time::Duration as StdDuration;

use super::test_support::*;
use super::*;
use crate::error::ConflictReason;
use crate::test_fixtures as fx;
use crate::testing::smtp_sink::SmtpSink;
use crate::testing::TestDatabase;
use abetworks_types::enums::InvitationStatus;

async fn only_a_team_admin_invites_and_only_into_their_own_team(database: TestDatabase) {
    let state = site(&database, None).await;
    let db = &state.db;
    let (_, ada, bea, _, _) = two_teams(db).await;
    let (mia, loner) = (
        fx::member(db, "mia@a.example").await,
        fx::member(db, "loner@example.com").await,
    );
    join(&state, &ada, &mia, Role::Member).await;
    let (as_ada, as_bea) = (acting(db, &ada).await, acting(db, &bea).await);

    let as_mia = acting(db, &mia).await;
    assert_forbidden(invite(&state, &as_mia, to("x@example.com", Role::Member)).await);
    let mut personal_admin = fx::actor(&loner);
    personal_admin.role = Role::Admin;
    assert_conflict(
        invite(&state, &personal_admin, to("x@example.com", Role::Member)).await,
        ConflictReason::PersonalOrganization,
    );
    fx::assert_invalid(
        &invite(&state, &as_ada, to("x@example.com", Role::SuperAdmin)).await,
        "role",
    );
    fx::assert_invalid(
        &invite(&state, &as_ada, to("not an address", Role::Member)).await,
        "email",
    );
    assert_conflict(
        invite(&state, &as_ada, to("MIA@a.example", Role::Member)).await,
        ConflictReason::AlreadyMember,
    );

    let for_b = invite(&state, &as_bea, to("x@example.com", Role::Member))
        .await
        .unwrap();
    assert_not_found(revoke_invitation(db, &as_ada, &for_b.invitation.id).await);
    let listed_by_a = invitations(db, &as_ada).await.unwrap();
    assert_eq!(
        fx::pairs(&listed_by_a, |i| i.email.as_str()),
        vec!["mia@a.example"],
        "B's invitation is not among A's"
    );
    assert_eq!(invitations(db, &as_bea).await.unwrap().len(), 1);
}
crate::on_every_database!(only_a_team_admin_invites_and_only_into_their_own_team);

async fn the_last_admin_of_a_team_cannot_accept_an_invitation_elsewhere(database: TestDatabase) {
    let state = site(&database, None).await;
    let db = &state.db;
    let (_, ada, bea, a, _) = two_teams(db).await;
    let mia = fx::member(db, "mia@a.example").await;
    join(&state, &ada, &mia, Role::Member).await;
    let created = invited(&state, &bea, "ada@a.example", Role::Member).await;
    let refused = accept_as(db, &ada, token_of(&created)).await;
    assert_conflict(refused, ConflictReason::LastOrganizationAdmin);
    assert_eq!(reload(db, &ada).await.organization_id, a.id);
    assert_eq!(
        preview(db, token_of(&created)).await.unwrap().status,
        InvitationStatus::Pending,
        "the refused accept did not use the invitation"
    );
    // The only person in a team may leave it empty for another.
    let own = invited(&state, &ada, "bea@b.example", Role::Member).await;
    let bea_into_a = accept_as(db, &bea, token_of(&own)).await;
    assert_eq!(bea_into_a.unwrap().id, a.id);
    // Someone already in the team cannot use an invitation to it.
    let loner = fx::member(db, "loner@example.com").await;
    let late = invited(&state, &ada, "loner@example.com", Role::Member).await;
    users::Entity::update_many()
        .col_expr(users::Column::OrganizationId, Expr::value(a.id.clone()))
        .filter(users::Column::Id.eq(&loner.id))
        .exec(db)
        .await
        .unwrap();
    let twice = accept_as(db, &loner, token_of(&late)).await;
    assert_conflict(twice, ConflictReason::AlreadyMember);
}
crate::on_every_database!(the_last_admin_of_a_team_cannot_accept_an_invitation_elsewhere);

async fn the_invitation_is_emailed_with_its_link_when_smtp_is_configured(database: TestDatabase) {
    let sink = SmtpSink::start().await;
    let state = site(&database, Some(sink.url())).await;
    let db = &state.db;
    let (_, ada, _, _) = acme(db).await;
    let created = invited(&state, &ada, "new@example.com", Role::Member).await;
    assert!(created.emailed);
    let mails = sink.wait_for(1, StdDuration::from_secs(10)).await;
    assert_eq!(mails[0].to, vec!["new@example.com".to_owned()]);
    assert_eq!(
        mails[0].header("Subject").as_deref(),
        Some("Join Acme on Abetworks")
    );
    assert!(mails[0].decoded().contains(&created.accept_url));
}
crate::on_every_database!(the_invitation_is_emailed_with_its_link_when_smtp_is_configured);
