//! Invitations on a real database (SQLite and PostgreSQL): single use, expiry, revocation, the
//! invitee's address and organisation, and the move they make.

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{DatabaseConnection, EntityTrait, QueryFilter};

use super::invitations::INVITATION_DAYS;
use super::test_support::*;
use super::*;
use crate::entities::organization_invitations as invitation_rows;
use crate::error::ErrorCode;
use crate::test_fixtures as fx;
use crate::testing::TestDatabase;
use abetworks_types::enums::InvitationStatus;

/// The invitation a token was made for, as stored.
async fn stored(db: &DatabaseConnection, created: &InvitationCreated) -> invitation_rows::Model {
    fx::row::<invitation_rows::Entity>(db, &created.invitation.id).await
}

async fn an_invitation_is_accepted_once_and_moves_the_invitee_out_of_their_personal_organisation(
    database: TestDatabase,
) {
    let state = site(&database, None).await;
    let db = &state.db;
    let (_, ada, mia, acme) = acme(db).await;

    let created = invited(&state, &ada, " MIA@example.com ", Role::Admin).await;
    let token = token_of(&created).to_owned();
    assert!(created
        .accept_url
        .starts_with(&format!("{SITE}/invitations/")));
    assert_eq!(token.len(), 43, "32 random bytes in base64url");
    assert!(!created.emailed, "no SMTP here: the admin shares the link");
    let invitation = &created.invitation;
    assert_eq!(
        (
            invitation.email.as_str(),
            invitation.role,
            invitation.status
        ),
        ("mia@example.com", Role::Admin, InvitationStatus::Pending)
    );
    assert_eq!(
        invitation.expires_at - invitation.created_at,
        Duration::days(INVITATION_DAYS)
    );
    assert_eq!(
        stored(db, &created).await.token_hash,
        crate::api_keys::hash_key(&token),
        "only the token's hash is stored"
    );
    assert_eq!(preview(db, &token).await.unwrap().organization_name, "Acme");

    let joined = accept_as(db, &mia, &token).await.unwrap();
    assert_eq!(
        (joined.id.as_str(), joined.member_count, joined.admin_count),
        (acme.id.as_str(), 2, 2)
    );
    let mia_now = reload(db, &mia).await;
    assert_eq!(
        (mia_now.organization_id.as_str(), mia_now.role),
        (acme.id.as_str(), Role::Admin)
    );
    let old = organizations::Entity::find_by_id(mia.organization_id.clone())
        .one(db)
        .await;
    assert!(
        old.unwrap().is_none(),
        "her empty personal organisation is gone"
    );
    assert_eq!(audited(db, "organization.invite").await, 1);
    assert_eq!(
        audited(db, "organization.join").await,
        2,
        "ada's move and mia's"
    );

    assert_code(accept_as(db, &mia, &token).await, ErrorCode::InvitationUsed);
    assert_code(preview(db, &token).await, ErrorCode::InvitationUsed);
    let listed = invitations(db, &acting(db, &ada).await).await.unwrap();
    assert_eq!(
        fx::pairs(&listed, |i| i.status),
        vec![InvitationStatus::Accepted]
    );
}
crate::on_every_database!(
    an_invitation_is_accepted_once_and_moves_the_invitee_out_of_their_personal_organisation
);

async fn two_concurrent_accepts_of_one_invitation_let_exactly_one_win(database: TestDatabase) {
    let state = site(&database, None).await;
    let db = &state.db;
    let (boss, ada, mia, acme) = acme(db).await;
    let created = invited(&state, &ada, "mia@example.com", Role::Member).await;
    let token = token_of(&created).to_owned();
    let as_mia = acting(db, &mia).await;
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (db, actor, token) = (db.clone(), as_mia.clone(), token.clone());
            tokio::spawn(async move { accept(&db, &actor, &token, Default::default()).await })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        match task.await.expect("the task ran") {
            Ok(_) => won += 1,
            Err(CoreError::Code(ErrorCode::InvitationUsed)) => {}
            Err(other) => panic!("a losing accept is refused as used, not {other:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(
        get(db, &fx::actor(&boss), &acme.id)
            .await
            .unwrap()
            .member_count,
        2
    );
    assert_eq!(
        audited(db, "organization.join").await,
        2,
        "ada's move and one of mia's"
    );
}
crate::on_every_database!(two_concurrent_accepts_of_one_invitation_let_exactly_one_win);

async fn an_expired_invitation_is_refused_with_a_clear_message(database: TestDatabase) {
    let state = site(&database, None).await;
    let db = &state.db;
    let (_, ada, mia, _) = acme(db).await;
    let created = invited(&state, &ada, "mia@example.com", Role::Member).await;
    invitation_rows::Entity::update_many()
        .col_expr(
            invitation_rows::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - Duration::seconds(1)),
        )
        .filter(invitation_rows::Column::Id.eq(&created.invitation.id))
        .exec(db)
        .await
        .unwrap();
    let token = token_of(&created);
    assert_code(preview(db, token).await, ErrorCode::InvitationExpired);
    let refused = accept_as(db, &mia, token).await;
    let message = refused
        .as_ref()
        .map_err(|e| e.public().message.clone())
        .unwrap_err();
    assert_eq!(
        message,
        "This invitation has expired. Ask your organisation's admin for a new one."
    );
    assert_code(refused, ErrorCode::InvitationExpired);
    assert_ne!(
        reload(db, &mia).await.organization_id,
        created.invitation.organization_id
    );
    let listed = invitations(db, &acting(db, &ada).await).await.unwrap();
    assert_eq!(listed[0].status, InvitationStatus::Expired);
}
crate::on_every_database!(an_expired_invitation_is_refused_with_a_clear_message);

async fn an_invitation_for_another_email_or_organisation_is_refused_and_stays_pending(
    database: TestDatabase,
) {
    let state = site(&database, None).await;
    let db = &state.db;
    let (_, ada, _, _, b) = two_teams(db).await;
    let (mia, eve) = (
        fx::member(db, "mia@example.com").await,
        fx::member(db, "eve@example.com").await,
    );
    let created = invited(&state, &ada, "mia@example.com", Role::Member).await;
    let token = token_of(&created);

    let by_eve = accept_as(db, &eve, token).await;
    assert_code(by_eve, ErrorCode::InvitationForAnotherEmail);
    let for_b = AcceptInvitation {
        organization_id: Some(b.id.clone()),
    };
    let wrong_org = accept(db, &acting(db, &mia).await, token, for_b).await;
    assert_code(wrong_org, ErrorCode::InvitationForAnotherOrganization);
    assert_eq!(
        preview(db, token).await.unwrap().status,
        InvitationStatus::Pending
    );

    let for_a = AcceptInvitation {
        organization_id: Some(created.invitation.organization_id.clone()),
    };
    accept(db, &acting(db, &mia).await, token, for_a)
        .await
        .unwrap();
}
crate::on_every_database!(
    an_invitation_for_another_email_or_organisation_is_refused_and_stays_pending
);

async fn a_revoked_or_unknown_invitation_reads_as_not_valid(database: TestDatabase) {
    let state = site(&database, None).await;
    let db = &state.db;
    let (_, ada, mia, _) = acme(db).await;
    let as_ada = acting(db, &ada).await;
    let first = invite(&state, &as_ada, to("mia@example.com", Role::Member))
        .await
        .unwrap();
    // Inviting the same address again replaces the earlier link.
    let second = invite(&state, &as_ada, to("mia@example.com", Role::Member))
        .await
        .unwrap();
    assert_code(
        preview(db, token_of(&first)).await,
        ErrorCode::InvitationNotFound,
    );
    let revoked = revoke_invitation(db, &as_ada, &second.invitation.id)
        .await
        .unwrap();
    assert_eq!(revoked.status, InvitationStatus::Revoked);
    assert_eq!(audited(db, "organization.invitation_revoke").await, 1);
    let again = revoke_invitation(db, &as_ada, &second.invitation.id)
        .await
        .unwrap();
    assert_eq!(
        again.status,
        InvitationStatus::Revoked,
        "revoking twice changes nothing"
    );
    assert_eq!(audited(db, "organization.invitation_revoke").await, 1);

    let as_mia = acting(db, &mia).await;
    for token in [token_of(&second), "no-such-token", "", &"x".repeat(500)] {
        let refused = accept(db, &as_mia, token, Default::default()).await;
        assert_code(refused, ErrorCode::InvitationNotFound);
    }
    // An accepted invitation cannot be revoked.
    let third = invite(&state, &as_ada, to("mia@example.com", Role::Member))
        .await
        .unwrap();
    accept(db, &as_mia, token_of(&third), Default::default())
        .await
        .unwrap();
    assert_code(
        revoke_invitation(db, &as_ada, &third.invitation.id).await,
        ErrorCode::InvitationUsed,
    );
}
crate::on_every_database!(a_revoked_or_unknown_invitation_reads_as_not_valid);
