//! Invitation links through the REST API: each is single use, expires, belongs to one
//! organisation and one email, and every refusal says which with its own code.

use abetworks::entities::enums::Role;
use abetworks::entities::organization_invitations;
use abetworks::on_every_database;
use abetworks::testing::TestDatabase;
use reqwest::Client;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::common::teams::Invited;
use crate::common::{licensing, TestApp};

/// A team whose admin invited bob: the app, the admin, bob (signed in, not yet a member) and
/// the invitation.
struct Scene {
    app: TestApp,
    root: Client,
    admin: Client,
    bob: Client,
    invited: Invited,
}

async fn scene(database: TestDatabase) -> Scene {
    let (app, root, _) = licensing(database).await;
    let admin = app
        .team_admin(&root, "crew", "ada@example.com")
        .await
        .client;
    let invited = app.invite(&admin, "bob@example.com", Role::Member).await;
    let (bob, _) = app.signed_in("bob@example.com", Role::Member).await;
    Scene {
        app,
        root,
        admin,
        bob,
        invited,
    }
}

/// The status and `error.code` of an answer.
async fn refusal(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("a JSON answer");
    (
        status,
        body["error"]["code"].as_str().unwrap_or("").to_owned(),
    )
}

fn refused(status: u16, code: &str) -> (u16, String) {
    (status, code.to_owned())
}

async fn an_invitation_link_works_once(database: TestDatabase) {
    let Scene {
        app, bob, invited, ..
    } = scene(database).await;
    assert_eq!(app.accept(&bob, &invited.token).await.status(), 200);
    let again = app.accept(&bob, &invited.token).await;
    assert_eq!(refusal(again).await, refused(410, "INVITATION_USED"));
    let preview = app
        .get(
            &app.new_client(),
            &format!("/api/invitations/{}", invited.token),
        )
        .await;
    assert_eq!(refusal(preview).await, refused(410, "INVITATION_USED"));
}
on_every_database!(an_invitation_link_works_once);

async fn ten_simultaneous_acceptances_of_one_invitation_let_exactly_one_through(
    database: TestDatabase,
) {
    let Scene {
        app, bob, invited, ..
    } = scene(database).await;
    let path = app.url(&format!("/api/invitations/{}/accept", invited.token));
    let calls: Vec<_> = (0..10)
        .map(|_| tokio::spawn(bob.post(&path).send()))
        .collect();
    let mut answers = Vec::new();
    for call in calls {
        let answer = call.await.unwrap().expect("answered");
        answers.push(refusal_or_ok(answer).await);
    }
    let joined = answers.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(joined, 1, "{answers:?}");
    for (status, code) in answers.iter().filter(|(status, _)| *status != 200) {
        assert_eq!(
            (*status, code.as_str()),
            (410, "INVITATION_USED"),
            "{answers:?}"
        );
    }
}
on_every_database!(ten_simultaneous_acceptances_of_one_invitation_let_exactly_one_through);

async fn refusal_or_ok(answer: reqwest::Response) -> (u16, String) {
    if answer.status() == 200 {
        (200, String::new())
    } else {
        refusal(answer).await
    }
}

async fn an_expired_invitation_is_refused_with_a_clear_message(database: TestDatabase) {
    let Scene {
        app, bob, invited, ..
    } = scene(database).await;
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    organization_invitations::Entity::update_many()
        .col_expr(
            organization_invitations::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(past),
        )
        .filter(organization_invitations::Column::Id.eq(&invited.id))
        .exec(&app.state.db)
        .await
        .expect("the invitation is backdated");
    let late = app.accept(&bob, &invited.token).await;
    let status = late.status().as_u16();
    let body: Value = late.json().await.unwrap();
    assert_eq!(
        (status, &body["error"]["code"]),
        (410, &json!("INVITATION_EXPIRED"))
    );
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("expired"), "{message}");
    let current = app.get_json(&bob, "/api/orgs/current").await;
    assert_eq!(current["personal"], json!(true), "bob did not move");
}
on_every_database!(an_expired_invitation_is_refused_with_a_clear_message);

async fn an_invitation_for_another_email_is_refused_and_still_works_for_its_own(
    database: TestDatabase,
) {
    let Scene {
        app, bob, invited, ..
    } = scene(database).await;
    let (eve, _) = app.signed_in("eve@example.com", Role::Member).await;
    let taken = app.accept(&eve, &invited.token).await;
    assert_eq!(
        refusal(taken).await,
        refused(403, "INVITATION_FOR_ANOTHER_EMAIL")
    );
    assert_eq!(app.accept(&bob, &invited.token).await.status(), 200);
}
on_every_database!(an_invitation_for_another_email_is_refused_and_still_works_for_its_own);

async fn an_invitation_accepted_for_another_organisation_is_refused(database: TestDatabase) {
    let Scene {
        app,
        root,
        bob,
        invited,
        ..
    } = scene(database).await;
    let other = app.create_team(&root, "other crew", None).await;
    let path = format!("/api/invitations/{}/accept", invited.token);
    let wrong = app
        .post(&bob, &path, json!({"organizationId": other}))
        .await;
    assert_eq!(
        refusal(wrong).await,
        refused(409, "INVITATION_FOR_ANOTHER_ORGANIZATION")
    );
    let right = app
        .post(
            &bob,
            &path,
            json!({"organizationId": invited.organization_id}),
        )
        .await;
    assert_eq!(right.status(), 200);
}
on_every_database!(an_invitation_accepted_for_another_organisation_is_refused);

async fn a_revoked_or_unknown_invitation_reads_as_not_found(database: TestDatabase) {
    let Scene {
        app,
        admin,
        bob,
        invited,
        ..
    } = scene(database).await;
    let revoked = app
        .delete(
            &admin,
            &format!("/api/orgs/current/invitations/{}", invited.id),
        )
        .await;
    assert_eq!(revoked.status(), 200);
    assert_eq!(
        revoked.json::<Value>().await.unwrap()["status"],
        json!("revoked")
    );
    let late = app.accept(&bob, &invited.token).await;
    assert_eq!(refusal(late).await, refused(404, "INVITATION_NOT_FOUND"));
    let unknown = app.accept(&bob, "no-such-token").await;
    assert_eq!(refusal(unknown).await, refused(404, "INVITATION_NOT_FOUND"));
    let preview = app
        .get(&app.new_client(), "/api/invitations/no-such-token")
        .await;
    assert_eq!(refusal(preview).await, refused(404, "INVITATION_NOT_FOUND"));
}
on_every_database!(a_revoked_or_unknown_invitation_reads_as_not_found);

async fn a_personal_organisation_cannot_invite(database: TestDatabase) {
    let (app, _, _) = licensing(database).await;
    let (admin, _) = app.signed_in("solo@example.com", Role::Admin).await;
    let body = json!({"email": "bob@example.com", "role": "member"});
    let refused = app
        .post(&admin, "/api/orgs/current/invitations", body)
        .await;
    assert_eq!(refused.status(), 409);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["reason"], json!("personal_organization"));
}
on_every_database!(a_personal_organisation_cannot_invite);
