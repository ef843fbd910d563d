//! The super admin's side of teams through the REST API: organisations listed, renamed and
//! their members seen; subscriptions made, changed and ended.

use abetworks::on_every_database;
use abetworks::testing::TestDatabase;
use serde_json::{json, Value};

use crate::common::teams::{conflict_reason, emails, team};
use crate::common::{id_of, licensing};

async fn the_super_admin_lists_renames_and_sees_the_members_of_any_organisation(
    database: TestDatabase,
) {
    let (app, root, echo) = licensing(database).await;
    let team = team(
        &app,
        &root,
        "crew",
        &["bob"],
        &echo,
        json!({"apiCallLimit": -1}),
    )
    .await;
    let listed = app.get_json(&root, "/api/admin/organizations?q=crew").await;
    assert_eq!(listed["items"][0]["id"], json!(team.id), "{listed}");
    assert_eq!(listed["items"][0]["memberCount"], json!(2));
    let renamed = app
        .patch(
            &root,
            &format!("/api/admin/organizations/{}", team.id),
            json!({"name": "Crew Two"}),
        )
        .await;
    assert_eq!(renamed.status(), 200);
    assert_eq!(
        renamed.json::<Value>().await.unwrap()["name"],
        json!("Crew Two")
    );
    let members = app
        .get_json(
            &root,
            &format!("/api/admin/organizations/{}/members", team.id),
        )
        .await;
    assert_eq!(
        emails(&members),
        ["crew-admin@example.com", "bob@example.com"]
    );
}
on_every_database!(the_super_admin_lists_renames_and_sees_the_members_of_any_organisation);

async fn the_super_admin_changes_and_ends_a_subscription(database: TestDatabase) {
    let (app, root, echo) = licensing(database).await;
    let team_id = app
        .team_admin(&root, "crew", "ada@example.com")
        .await
        .team_id;
    let made = app
        .subscribe(
            &root,
            &team_id,
            &echo,
            json!({"apiCallLimit": 20, "window": "day", "memberCap": 5}),
        )
        .await;
    assert_eq!(
        (&made["window"], &made["memberCap"]),
        (&json!("day"), &json!(5))
    );
    let again = json!({"organizationId": team_id, "agentId": echo, "apiCallLimit": 1});
    let twice = app.post(&root, "/api/admin/subscriptions", again).await;
    assert_eq!(
        conflict_reason(twice).await,
        (409, "already_subscribed".to_owned())
    );

    let path = format!("/api/admin/subscriptions/{}", id_of(&made));
    let changed = app
        .patch(
            &root,
            &path,
            json!({"apiCallLimit": 30, "memberCap": null, "windowTimeZone": "Europe/Berlin"}),
        )
        .await;
    assert_eq!(changed.status(), 200);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(
        (
            &changed["apiCallLimit"],
            &changed["memberCap"],
            &changed["window"],
            &changed["windowTimeZone"]
        ),
        (
            &json!(30),
            &Value::Null,
            &json!("day"),
            &json!("Europe/Berlin")
        ),
        "the fields not sent keep their values: {changed}"
    );
    let listed = app
        .get_json(
            &root,
            &format!("/api/admin/subscriptions?organizationId={team_id}"),
        )
        .await;
    assert_eq!(listed["total"], json!(1));
    assert_eq!(app.delete(&root, &path).await.status(), 204);
    let listed = app
        .get_json(
            &root,
            &format!("/api/admin/subscriptions?organizationId={team_id}"),
        )
        .await;
    assert_eq!(listed["total"], json!(0));
}
on_every_database!(the_super_admin_changes_and_ends_a_subscription);
