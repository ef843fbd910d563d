//! Teams through the REST API: the super admin makes a team and subscribes it to an agent, its
//! admin invites, the invitee joins and runs the agent from the pool, the admin sees their
//! usage; a member sees the team but not its administration; the last admin stays. Isolation
//! between organisations: teams_isolation.rs; invitation refusals: teams_invitations.rs; the
//! super admin's side: teams_admin.rs; the pool under load: teams_pool.rs.

use abetworks::entities::enums::Role;
use abetworks::on_every_database;
use abetworks::testing::TestDatabase;
use serde_json::{json, Value};

use crate::common::teams::{conflict_reason, emails, team, TeamAdmin};
use crate::common::{error_code, id_of, licensing};

async fn a_team_admin_invites_a_member_who_joins_runs_the_agent_from_the_pool_and_shows_in_the_usage(
    database: TestDatabase,
) {
    let (app, root, echo) = licensing(database).await;
    let TeamAdmin {
        client: ada,
        team_id,
        ..
    } = app
        .team_admin(&root, "Acme Research", "ada@example.com")
        .await;
    let current = app.get_json(&ada, "/api/orgs/current").await;
    assert_eq!(current["id"], json!(team_id), "ada moved in: {current}");
    assert_eq!(
        (current["personal"].clone(), current["adminCount"].clone()),
        (json!(false), json!(1))
    );
    let ada_as_member = app.get_json(&ada, "/api/orgs/current/members").await;
    assert_eq!(ada_as_member[0]["role"], json!("admin"));
    let subscription = app
        .subscribe(&root, &team_id, &echo, json!({"apiCallLimit": 5}))
        .await;

    let created = app
        .post(
            &ada,
            "/api/orgs/current/invitations",
            json!({"email": " Bob@Example.com ", "role": "member"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(
        created["emailed"],
        json!(false),
        "no mailer: the link is shown to copy"
    );
    assert_eq!(created["invitation"]["email"], json!("bob@example.com"));
    let link = created["acceptUrl"].as_str().expect("the link");
    assert!(link.contains("/invitations/"), "{link}");
    let token = link.rsplit('/').next().unwrap();

    let preview = app
        .get_json(&app.new_client(), &format!("/api/invitations/{token}"))
        .await;
    assert_eq!(
        (
            &preview["organizationName"],
            &preview["status"],
            &preview["role"]
        ),
        (&json!("Acme Research"), &json!("pending"), &json!("member")),
        "anyone holding the link sees what it leads to: {preview}"
    );
    assert!(
        preview.get("token").is_none(),
        "the view never carries the token"
    );

    let (bob, bob_id) = app.signed_in("bob@example.com", Role::Member).await;
    let accepted = app.accept(&bob, token).await;
    assert_eq!(accepted.status(), 200);
    assert_eq!(id_of(&accepted.json().await.unwrap()), team_id);
    let agents = app.get_json(&bob, "/api/orgs/current/agents").await;
    assert_eq!(
        agents[0]["subscription"]["id"], subscription["id"],
        "{agents}"
    );
    assert_eq!(agents[0]["memberRemaining"], Value::Null, "no cap");

    let ran = app.execute(&bob, &echo).await;
    assert_eq!(
        ran.status(),
        200,
        "bob runs the agent without a license of his own"
    );
    let ran: Value = ran.json().await.unwrap();
    assert_eq!(ran["usage"]["source"], json!("subscription"), "{ran}");
    assert_eq!(
        (
            ran["usage"]["used"].clone(),
            ran["usage"]["remaining"].clone()
        ),
        (json!(1), json!(4))
    );
    let agents = app.get_json(&bob, "/api/orgs/current/agents").await;
    assert_eq!(
        agents[0]["subscription"]["usage"]["used"],
        json!(1),
        "the pool went down"
    );
    assert_eq!(agents[0]["memberUsed"], json!(1));

    let members = app.get_json(&ada, "/api/orgs/current/members").await;
    assert_eq!(emails(&members), ["ada@example.com", "bob@example.com"]);
    let usage = app.get_json(&ada, "/api/orgs/current/usage").await;
    let bob_usage = usage["members"]
        .as_array()
        .and_then(|all| all.iter().find(|m| m["userId"] == json!(bob_id)))
        .unwrap_or_else(|| panic!("bob is in the usage: {usage}"));
    assert_eq!(
        (&bob_usage["calls"], &bob_usage["failed"]),
        (&json!(1), &json!(0))
    );
    let csv = app.get(&ada, "/api/orgs/current/usage.csv").await;
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await.unwrap();
    assert!(
        csv.lines()
            .any(|l| l.contains("bob@example.com") && l.ends_with(",1,1,0")),
        "{csv}"
    );
    let executions = app.get_json(&ada, "/api/orgs/current/executions").await;
    assert_eq!(executions["total"], json!(1), "{executions}");
    assert_eq!(executions["items"][0]["userId"], json!(bob_id));
    let one = format!(
        "/api/orgs/current/executions/{}",
        ran["executionId"].as_str().unwrap()
    );
    assert_eq!(app.get(&ada, &one).await.status(), 200);
    let invitations = app.get_json(&ada, "/api/orgs/current/invitations").await;
    assert_eq!(invitations[0]["status"], json!("accepted"), "{invitations}");
}
on_every_database!(
    a_team_admin_invites_a_member_who_joins_runs_the_agent_from_the_pool_and_shows_in_the_usage
);

async fn a_member_sees_the_team_but_not_its_administration(database: TestDatabase) {
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
    let bob = &team.members[0].0;
    assert_eq!(
        app.get_json(bob, "/api/orgs/current").await["id"],
        json!(team.id)
    );
    let members = app.get_json(bob, "/api/orgs/current/members").await;
    assert_eq!(
        emails(&members),
        ["crew-admin@example.com", "bob@example.com"]
    );
    for path in [
        "/api/orgs/current/invitations",
        "/api/orgs/current/usage",
        "/api/orgs/current/executions",
        "/api/orgs/current/licenses",
    ] {
        let answer = app.get(bob, path).await;
        assert_eq!(answer.status(), 403, "{path}");
    }
    let invite = json!({"email": "eve@example.com", "role": "member"});
    let refused = app.post(bob, "/api/orgs/current/invitations", invite).await;
    assert_eq!(error_code(refused).await, "FORBIDDEN");
}
on_every_database!(a_member_sees_the_team_but_not_its_administration);

async fn the_last_admin_of_a_team_can_neither_leave_nor_be_demoted_until_another_is_made_admin(
    database: TestDatabase,
) {
    let (app, root, echo) = licensing(database).await;
    let team = team(
        &app,
        &root,
        "crew",
        &["bob", "cid"],
        &echo,
        json!({"apiCallLimit": -1}),
    )
    .await;
    let (admin, admin_id) = &team.admin;
    let (bob_id, cid_id) = (&team.members[0].1, &team.members[1].1);
    let last = "last_organization_admin".to_owned();
    let left = app.post(admin, "/api/orgs/current/leave", json!({})).await;
    assert_eq!(conflict_reason(left).await, (409, last.clone()));
    let demote = json!({"role": "member"});
    let demoted = app
        .patch(
            admin,
            &format!("/api/orgs/current/members/{admin_id}"),
            demote.clone(),
        )
        .await;
    assert_eq!(conflict_reason(demoted).await, (409, last.clone()));

    let promoted = app
        .patch(
            admin,
            &format!("/api/orgs/current/members/{bob_id}"),
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(promoted.status(), 200);
    assert_eq!(
        promoted.json::<Value>().await.unwrap()["role"],
        json!("admin")
    );
    let removed = app
        .delete(admin, &format!("/api/orgs/current/members/{cid_id}"))
        .await;
    assert_eq!(removed.status(), 204);
    let cid_now = app.get_json(&team.members[1].0, "/api/orgs/current").await;
    assert_eq!(
        cid_now["personal"],
        json!(true),
        "a removed member gets a personal organisation"
    );

    let left = app.post(admin, "/api/orgs/current/leave", json!({})).await;
    assert_eq!(left.status(), 200);
    let personal: Value = left.json().await.unwrap();
    assert_ne!(personal["id"], json!(team.id));
    assert_eq!(personal["personal"], json!(true));
    let refused = app.get(admin, "/api/orgs/current/invitations").await;
    assert_eq!(
        refused.status(),
        403,
        "who leaves is a member of their own organisation"
    );
    let members = app
        .get_json(&team.members[0].0, "/api/orgs/current/members")
        .await;
    assert_eq!(emails(&members), ["bob@example.com"]);
}
on_every_database!(
    the_last_admin_of_a_team_can_neither_leave_nor_be_demoted_until_another_is_made_admin
);
