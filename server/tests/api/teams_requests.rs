//! An organisation admin asks for a pool for their team (`forOrganization`), through the REST
//! API: the super admin sees the request as one for the organisation and approves it with the
//! pool's limit, window and member cap; the team's members then run the agent from the pool.
//! Members ask for themselves only; a personal organisation has no pool to ask for.

use abetworks::entities::enums::Role;
use abetworks::on_every_database;
use abetworks::testing::TestDatabase;
use serde_json::{json, Value};

use crate::common::teams::{conflict_reason, TeamAdmin};
use crate::common::{error_code, licensing};

/// A request body for `agent_id`, for the caller's organisation or not.
fn asking(agent_id: &str, for_organization: bool) -> Value {
    json!({
        "agentId": agent_id,
        "requestReason": "Our analysts score tickets",
        "forOrganization": for_organization,
    })
}

const REQUEST_ACCESS: &str = "/api/marketplace/request-access";

async fn an_organisation_admins_request_for_the_team_is_approved_as_a_pool_its_members_run(
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
    let (bob, _) = app.join(&ada, "bob@example.com", Role::Member).await;

    let by_member = app.post(&bob, REQUEST_ACCESS, asking(&echo, true)).await;
    assert_eq!(by_member.status(), 403, "a member asks for themselves only");
    assert_eq!(error_code(by_member).await, "FORBIDDEN");

    let asked = app.post(&ada, REQUEST_ACCESS, asking(&echo, true)).await;
    assert_eq!(asked.status(), 201);
    let asked: Value = asked.json().await.unwrap();
    assert_eq!(
        (
            &asked["organizationId"],
            &asked["organizationName"],
            &asked["kind"]
        ),
        (&json!(team_id), &json!("Acme Research"), &json!("access")),
        "{asked}"
    );
    let listed = app
        .get_json(&root, "/api/admin/access-requests?status=pending")
        .await;
    assert_eq!(
        listed["items"][0]["organizationName"],
        json!("Acme Research"),
        "the super admin sees whom it is for: {listed}"
    );

    let approve = format!(
        "/api/admin/access-requests/{}/approve",
        asked["id"].as_str().unwrap()
    );
    let plan = json!({"apiCallLimit": 3, "window": "day", "memberCap": 2});
    let approved = app.post(&root, &approve, plan).await;
    assert_eq!(approved.status(), 200);
    let approved: Value = approved.json().await.unwrap();
    assert_eq!(approved["license"], Value::Null, "no license: {approved}");
    let pool = &approved["subscription"];
    assert_eq!(
        (
            &pool["organizationId"],
            &pool["apiCallLimit"],
            &pool["window"],
            &pool["memberCap"]
        ),
        (&json!(team_id), &json!(3), &json!("day"), &json!(2)),
        "{pool}"
    );

    for call in 1..=2 {
        let ran = app.execute(&bob, &echo).await;
        assert_eq!(ran.status(), 200, "bob's call {call} runs on the pool");
        let ran: Value = ran.json().await.unwrap();
        assert_eq!(ran["usage"]["source"], json!("subscription"), "{ran}");
    }
    let capped = app.execute(&bob, &echo).await;
    assert_eq!(capped.status(), 429, "bob's cap of 2 holds");
    let ran = app.execute(&ada, &echo).await;
    assert_eq!(ran.status(), 200, "the admin runs on the pool too");
    let agents = app.get_json(&ada, "/api/orgs/current/agents").await;
    assert_eq!(
        agents[0]["subscription"]["usage"]["used"],
        json!(3),
        "{agents}"
    );

    let again = app.post(&ada, REQUEST_ACCESS, asking(&echo, true)).await;
    assert_eq!(
        conflict_reason(again).await,
        (409, "already_subscribed".to_owned())
    );
}
on_every_database!(
    an_organisation_admins_request_for_the_team_is_approved_as_a_pool_its_members_run
);

async fn a_request_without_for_organization_stays_the_callers_own_and_takes_no_member_cap(
    database: TestDatabase,
) {
    let (app, root, echo) = licensing(database).await;
    let (solo, _) = app.signed_in("solo@example.com", Role::Admin).await;
    let personal = app.post(&solo, REQUEST_ACCESS, asking(&echo, true)).await;
    assert_eq!(
        conflict_reason(personal).await,
        (409, "personal_organization".to_owned()),
        "a personal organisation has no pool to ask for"
    );

    let body = json!({"agentId": echo, "requestReason": "For me"});
    let asked = app.post(&solo, REQUEST_ACCESS, body).await;
    assert_eq!(asked.status(), 201, "forOrganization defaults to false");
    let asked: Value = asked.json().await.unwrap();
    assert_eq!(asked["organizationId"], Value::Null, "{asked}");
    let approve = format!(
        "/api/admin/access-requests/{}/approve",
        asked["id"].as_str().unwrap()
    );
    let capped = app
        .post(&root, &approve, json!({"apiCallLimit": 5, "memberCap": 2}))
        .await;
    assert_eq!(capped.status(), 422, "a member cap is for a pool only");
    let granted = app.post(&root, &approve, json!({"apiCallLimit": 5})).await;
    assert_eq!(granted.status(), 200);
    let granted: Value = granted.json().await.unwrap();
    assert_eq!(granted["license"]["apiCallLimit"], json!(5), "{granted}");
    assert_eq!(granted["subscription"], Value::Null);
}
on_every_database!(
    a_request_without_for_organization_stays_the_callers_own_and_takes_no_member_cap
);
