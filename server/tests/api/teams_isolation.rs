//! An organisation admin never sees another organisation's members, usage, executions,
//! licenses or invitations, by list or by id, through the REST API.

use abetworks::entities::enums::Role;
use abetworks::on_every_database;
use abetworks::testing::TestDatabase;
use serde_json::{json, Value};

use crate::common::licensing;
use crate::common::teams::{emails, team};

async fn an_organisation_admin_never_sees_another_organisations_members_usage_or_executions(
    database: TestDatabase,
) {
    let (app, root, echo) = licensing(database).await;
    let unlimited = json!({"apiCallLimit": -1});
    let ours = team(&app, &root, "ours", &["bob"], &echo, unlimited.clone()).await;
    let theirs = team(&app, &root, "theirs", &["ben"], &echo, unlimited).await;
    let ran = app.execute(&ours.members[0].0, &echo).await;
    assert_eq!(ran.status(), 200);
    let ran = app.execute(&theirs.members[0].0, &echo).await;
    assert_eq!(ran.status(), 200);
    let their_execution = ran.json::<Value>().await.unwrap()["executionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let their_invitation = app
        .invite(&theirs.admin.0, "zoe@example.com", Role::Member)
        .await;
    let (ben_id, admin) = (&theirs.members[0].1, &ours.admin.0);

    let members = app.get_json(admin, "/api/orgs/current/members").await;
    assert_eq!(
        emails(&members),
        ["ours-admin@example.com", "bob@example.com"]
    );
    let usage = app.get_json(admin, "/api/orgs/current/usage").await;
    let users: Vec<&str> = usage["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["email"].as_str())
        .collect();
    assert!(
        !users
            .iter()
            .any(|e| e.starts_with("ben") || e.starts_with("theirs")),
        "{usage}"
    );
    let daily: i64 = usage["daily"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["count"].as_i64().unwrap())
        .sum();
    assert_eq!(daily, 1, "only our member's call counts: {usage}");
    let csv = app
        .get(admin, "/api/orgs/current/usage.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(!csv.contains("ben@example.com"), "{csv}");
    let executions = app.get_json(admin, "/api/orgs/current/executions").await;
    assert_eq!(executions["total"], json!(1), "{executions}");
    let filtered = app
        .get_json(
            admin,
            &format!("/api/orgs/current/executions?userId={ben_id}"),
        )
        .await;
    assert_eq!(
        filtered["total"],
        json!(0),
        "filtering by their member finds nothing"
    );
    let licenses = app
        .get_json(
            admin,
            &format!("/api/orgs/current/licenses?userId={ben_id}"),
        )
        .await;
    assert_eq!(licenses["total"], json!(0));
    let invitations = app.get_json(admin, "/api/orgs/current/invitations").await;
    assert!(!invitations.to_string().contains("zoe@example.com"));

    let by_id = [
        app.get(
            admin,
            &format!("/api/orgs/current/executions/{their_execution}"),
        )
        .await,
        app.patch(
            admin,
            &format!("/api/orgs/current/members/{ben_id}"),
            json!({"role": "admin"}),
        )
        .await,
        app.delete(admin, &format!("/api/orgs/current/members/{ben_id}"))
            .await,
        app.delete(
            admin,
            &format!("/api/orgs/current/invitations/{}", their_invitation.id),
        )
        .await,
        app.get(admin, &format!("/api/runs/{their_execution}"))
            .await,
    ];
    for answer in by_id {
        let url = answer.url().to_string();
        assert_eq!(answer.status(), 404, "{url}");
    }
    let theirs_members = format!("/api/admin/organizations/{}/members", theirs.id);
    assert_eq!(app.get(admin, &theirs_members).await.status(), 403);
    let still = app
        .get_json(&theirs.admin.0, "/api/orgs/current/members")
        .await;
    assert_eq!(
        emails(&still),
        ["theirs-admin@example.com", "ben@example.com"],
        "nothing changed"
    );
    let pending = app
        .get_json(
            &app.new_client(),
            &format!("/api/invitations/{}", their_invitation.token),
        )
        .await;
    assert_eq!(
        pending["status"],
        json!("pending"),
        "their invitation still stands"
    );
}
on_every_database!(
    an_organisation_admin_never_sees_another_organisations_members_usage_or_executions
);
