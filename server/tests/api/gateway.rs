//! The metered gateway over HTTP: licenses, exact quota, faults, isolation, hostile input.

use crate::common::stand_in;
use crate::common::{error_code, spawn_app_on_url, spawn_app_with, TestApp};
use abetworks::entities::enums::{Role, Severity};
use abetworks::entities::{api_usage_tracking, error_logs, user_agent_licenses};
use abetworks::on_every_database;
use abetworks::testing::{Backend, TestDatabase};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

/// An app on `database` in front of the stand-in service, with its catalog synced.
async fn app_with_agents(database: TestDatabase) -> TestApp {
    let agents = stand_in::start().await;
    let app = spawn_app_with(database, &agents).await;
    abetworks::catalog::sync_from_service(&app.state.db, &app.state.agents, true)
        .await
        .unwrap();
    app
}

async fn agent_id(app: &TestApp, slug: &str) -> String {
    abetworks::catalog::find_agent(&app.state.db, slug)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn grant(
    app: &TestApp,
    admin: &reqwest::Client,
    user_id: &str,
    agent_id: &str,
    limit: i64,
) -> Value {
    let response = app
        .post(
            admin,
            "/api/admin/licenses",
            json!({"userId": user_id, "agentId": agent_id, "apiCallLimit": limit}),
        )
        .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn run(app: &TestApp, client: &reqwest::Client, agent: &str) -> reqwest::Response {
    app.post(
        client,
        &format!("/api/agents/{agent}/execute"),
        json!({"input": {"text": "hi"}}),
    )
    .await
}

async fn used(app: &TestApp, license_id: &str) -> i64 {
    user_agent_licenses::Entity::find_by_id(license_id.to_owned())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .api_calls_used
}

async fn request_to_limit(database: TestDatabase) {
    let app = app_with_agents(database).await;
    let (admin, _) = app.signed_in("root@example.com", Role::SuperAdmin).await;
    let (member, _) = app.signed_in("mia@example.com", Role::Member).await;
    let echo = agent_id(&app, "echo").await;

    let none = run(&app, &member, &echo).await;
    assert_eq!(none.status(), 403);
    assert_eq!(error_code(none).await, "LICENSE_REQUIRED");

    let requested = app
        .post(
            &member,
            "/api/marketplace/request-access",
            json!({"agentId": echo, "requestReason": "for the Q3 report"}),
        )
        .await;
    assert_eq!(requested.status(), 201);
    let request_id = requested.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let twice = app
        .post(
            &member,
            "/api/marketplace/request-access",
            json!({"agentId": echo, "requestReason": "again"}),
        )
        .await;
    assert_eq!(twice.status(), 409, "one pending request per agent");

    let approved = app
        .post(
            &admin,
            &format!("/api/admin/access-requests/{request_id}/approve"),
            json!({"apiCallLimit": 3}),
        )
        .await;
    assert_eq!(approved.status(), 200);
    let license_id = approved.json::<Value>().await.unwrap()["license"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let again = app
        .post(
            &admin,
            &format!("/api/admin/access-requests/{request_id}/approve"),
            json!({"apiCallLimit": 3}),
        )
        .await;
    assert_eq!(again.status(), 409, "a request that is no longer pending");

    for call in 1..=3 {
        let response = run(&app, &member, &echo).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["output"]["echo"]["text"], "hi");
        assert_eq!(
            body["usage"],
            json!({"limit": 3, "used": call, "remaining": 3 - call, "window": "lifetime",
                "windowStart": null, "resetsAt": null, "topUps": 0})
        );
        assert!(body["executionId"].is_string());
    }
    let fourth = run(&app, &member, &echo).await;
    assert_eq!(fourth.status(), 429);
    let body: Value = fourth.json().await.unwrap();
    assert_eq!(body["error"]["code"], "QUOTA_EXCEEDED");
    assert_eq!(body["error"]["usage"]["limit"], 3);
    assert_eq!(body["error"]["usage"]["used"], 3);

    let raised = admin
        .patch(app.url(&format!("/api/admin/licenses/{license_id}")))
        .json(&json!({"apiCallLimit": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(raised.status(), 200);
    assert_eq!(
        run(&app, &member, &echo).await.status(),
        200,
        "a raised limit lets calls through again"
    );

    let revoked = admin
        .delete(app.url(&format!("/api/admin/licenses/{license_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let after = run(&app, &member, &echo).await;
    assert_eq!(after.status(), 403);
    assert_eq!(error_code(after).await, "LICENSE_REVOKED");
    assert_eq!(
        used(&app, &license_id).await,
        4,
        "the counter equals the successes"
    );

    let tracked = api_usage_tracking::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(
        tracked, 7,
        "every call, admitted or not, wrote one usage row"
    );
}
on_every_database!(
    request_approve_three_calls_then_429_then_raise_then_revoke,
    super::request_to_limit
);

async fn expired_and_suspended(database: TestDatabase) {
    let app = app_with_agents(database).await;
    let (admin, _) = app.signed_in("root@example.com", Role::SuperAdmin).await;
    let (member, member_id) = app.signed_in("ola@example.com", Role::Member).await;
    let echo = agent_id(&app, "echo").await;
    let license = grant(&app, &admin, &member_id, &echo, -1).await;
    let license_id = license["id"].as_str().unwrap();
    assert_eq!(
        run(&app, &member, &echo).await.status(),
        200,
        "unlimited works"
    );

    let suspended = admin
        .patch(app.url(&format!("/api/admin/licenses/{license_id}")))
        .json(&json!({"status": "suspended"}))
        .send()
        .await
        .unwrap();
    assert_eq!(suspended.status(), 200);
    let response = run(&app, &member, &echo).await;
    assert_eq!(response.status(), 403);
    assert_eq!(error_code(response).await, "LICENSE_SUSPENDED");
    admin
        .patch(app.url(&format!("/api/admin/licenses/{license_id}")))
        .json(&json!({"status": "active"}))
        .send()
        .await
        .unwrap();

    user_agent_licenses::Entity::update_many()
        .col_expr(
            user_agent_licenses::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::hours(1)),
        )
        .filter(user_agent_licenses::Column::Id.eq(license_id))
        .exec(&app.state.db)
        .await
        .unwrap();
    let response = run(&app, &member, &echo).await;
    assert_eq!(response.status(), 403);
    assert_eq!(error_code(response).await, "LICENSE_EXPIRED");
    let mine: Value = app
        .get(&member, "/api/marketplace/my-agents")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        mine[0]["status"], "expired",
        "an expired license reads as expired where it is listed"
    );
}
on_every_database!(
    a_suspended_or_expired_license_is_refused_with_403,
    super::expired_and_suspended
);

async fn rejection_and_isolation(database: TestDatabase) {
    let app = app_with_agents(database).await;
    let (admin, _) = app.signed_in("root@example.com", Role::SuperAdmin).await;
    let (ann, ann_id) = app.signed_in("ann@example.com", Role::Member).await;
    let (bob, _) = app.signed_in("bob@example.com", Role::Member).await;
    let echo = agent_id(&app, "echo").await;
    let picky = agent_id(&app, "picky").await;

    let request: Value = app
        .post(
            &bob,
            "/api/marketplace/request-access",
            json!({"agentId": picky, "requestReason": "curious"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let rejected = app
        .post(
            &admin,
            &format!(
                "/api/admin/access-requests/{}/reject",
                request["id"].as_str().unwrap()
            ),
            json!({"reviewNote": "Not for trial accounts"}),
        )
        .await;
    assert_eq!(rejected.status(), 200);
    let mine: Value = app
        .get(&bob, "/api/marketplace/my-requests")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"][0]["status"], "rejected");
    assert_eq!(
        mine["items"][0]["reviewNote"], "Not for trial accounts",
        "the note is shown to the user"
    );

    grant(&app, &admin, &ann_id, &echo, 10).await;
    let again = app
        .post(
            &admin,
            "/api/admin/licenses",
            json!({"userId": ann_id, "agentId": echo, "apiCallLimit": 10}),
        )
        .await;
    assert_eq!(again.status(), 409, "granting twice is a conflict");
    let unknown = app
        .post(
            &admin,
            "/api/admin/licenses",
            json!({"userId": abetworks::ids::new_id(), "agentId": echo, "apiCallLimit": 10}),
        )
        .await;
    assert_eq!(unknown.status(), 404, "unknown user");

    assert_eq!(run(&app, &ann, &echo).await.status(), 200);
    let ann_runs: Value = app
        .get(&ann, &format!("/api/agents/{echo}/executions"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ann_runs["total"], 1);
    let bob_runs: Value = app
        .get(&bob, &format!("/api/agents/{echo}/executions"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        bob_runs["total"], 0,
        "a user never sees another user's executions"
    );
    let bob_usage: Value = app
        .get(&bob, "/api/usage/my-usage")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bob_usage, json!([]), "nor their usage");
    let ann_requests: Value = app
        .get(&ann, "/api/marketplace/my-requests")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ann_requests["total"], 0, "nor their requests");
    let marketplace: Value = app
        .get(&bob, "/api/marketplace/agents")
        .await
        .json()
        .await
        .unwrap();
    let echo_card = marketplace["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["slug"] == "echo")
        .unwrap();
    assert_eq!(echo_card["access"], "available");
    let ann_market: Value = app
        .get(&ann, "/api/marketplace/agents?q=echo")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ann_market["items"][0]["access"], "licensed");
}
on_every_database!(
    a_rejection_note_reaches_the_user_and_users_never_see_each_others_data,
    super::rejection_and_isolation
);

async fn faults_give_the_unit_back(database: TestDatabase) {
    let app = app_with_agents(database).await;
    let (admin, _) = app.signed_in("root@example.com", Role::SuperAdmin).await;
    let (member, member_id) = app.signed_in("pat@example.com", Role::Member).await;
    let cases = [
        ("slow", 504, "AGENT_TIMEOUT", Severity::Medium),
        ("boom", 502, "AGENT_FAILED", Severity::High),
        ("garbage", 502, "AGENT_FAILED", Severity::High),
        ("picky", 422, "INVALID_INPUT", Severity::Low),
    ];
    for (slug, status, code, severity) in cases {
        let agent = agent_id(&app, slug).await;
        let license = grant(&app, &admin, &member_id, &agent, 5).await;
        let response = run(&app, &member, &agent).await;
        assert_eq!(response.status(), status, "{slug}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{slug}");
        let reference = body["error"]["referenceId"]
            .as_str()
            .expect("a reference id")
            .to_owned();
        assert!(
            !body.to_string().contains("Traceback"),
            "{slug}: no stack trace reaches the user"
        );
        assert_eq!(
            used(&app, license["id"].as_str().unwrap()).await,
            0,
            "{slug}: the unit is given back"
        );
        let logged = error_logs::Entity::find_by_id(reference)
            .one(&app.state.db)
            .await
            .unwrap()
            .expect("an error log row");
        assert_eq!(logged.severity, severity, "{slug}");
        assert_eq!(logged.user_id.as_deref(), Some(member_id.as_str()));
        if slug == "boom" {
            assert!(
                logged.stack_trace.unwrap().contains("ZeroDivisionError"),
                "the Python traceback is kept"
            );
        }
        if slug == "picky" {
            assert_eq!(body["error"]["fields"][0]["field"], "texts");
        }
    }
}
on_every_database!(
    a_slow_failing_malformed_or_rejecting_agent_gives_the_unit_back_and_is_logged,
    super::faults_give_the_unit_back
);

async fn agent_service_down(database: TestDatabase) {
    let app = app_with_agents(database).await;
    let (admin, _) = app.signed_in("root@example.com", Role::SuperAdmin).await;
    let echo = agent_id(&app, "echo").await;
    // A second instance on the same database whose agent service is down.
    let down = spawn_app_on_url(
        &app.database.as_ref().unwrap().url,
        crate::common::NO_AGENT_SERVICE,
    )
    .await;
    let (member, member_id) = down.signed_in("quin@example.com", Role::Member).await;
    let license = grant(&app, &admin, &member_id, &echo, 5).await;
    let response = run(&down, &member, &echo).await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "AGENT_UNAVAILABLE");
    assert_eq!(used(&app, license["id"].as_str().unwrap()).await, 0);
    let logged =
        error_logs::Entity::find_by_id(body["error"]["referenceId"].as_str().unwrap().to_owned())
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(logged.severity, Severity::High);
}
on_every_database!(
    an_agent_service_that_is_down_answers_503_and_gives_the_unit_back,
    super::agent_service_down
);

async fn concurrent_calls_are_exact(database: TestDatabase) {
    let app = app_with_agents(database).await;
    let (admin, _) = app.signed_in("root@example.com", Role::SuperAdmin).await;
    let (member, member_id) = app.signed_in("ray@example.com", Role::Member).await;
    let echo = agent_id(&app, "echo").await;
    let license = grant(&app, &admin, &member_id, &echo, 50).await;
    let key: Value = app
        .post(&member, "/api/keys", json!({"name": "load"}))
        .await
        .json()
        .await
        .unwrap();
    let secret = key["secret"].as_str().unwrap().to_owned();

    // A second instance on the same database takes half of the calls.
    let other = spawn_app_on_url(
        &app.database.as_ref().unwrap().url,
        app.state.config.agent_service_url.as_ref(),
    )
    .await;
    let client = reqwest::Client::new();
    let calls = (0..200).map(|i| {
        let url = if i % 2 == 0 {
            app.url(&format!("/api/agents/{echo}/execute"))
        } else {
            other.url(&format!("/api/agents/{echo}/execute"))
        };
        let request = client
            .post(url)
            .bearer_auth(&secret)
            .json(&json!({"input": {"n": i}}));
        async move { request.send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(calls).await;
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        (ok, limited),
        (50, 150),
        "exactly the limit succeeds: {statuses:?}"
    );
    assert_eq!(
        used(&app, license["id"].as_str().unwrap()).await,
        50,
        "the counter equals the successes"
    );
}
on_every_database!(
    two_hundred_simultaneous_calls_on_two_instances_against_a_limit_of_fifty_give_exactly_fifty,
    super::concurrent_calls_are_exact
);

async fn scoped_keys(database: TestDatabase) {
    let app = app_with_agents(database).await;
    let (admin, _) = app.signed_in("root@example.com", Role::SuperAdmin).await;
    let (member, member_id) = app.signed_in("sal@example.com", Role::Member).await;
    let echo = agent_id(&app, "echo").await;
    let picky = agent_id(&app, "picky").await;
    grant(&app, &admin, &member_id, &echo, 5).await;
    let key: Value = app
        .post(
            &member,
            "/api/keys",
            json!({"name": "picky only", "agentId": picky}),
        )
        .await
        .json()
        .await
        .unwrap();
    let response = reqwest::Client::new()
        .post(app.url(&format!("/api/agents/{echo}/execute")))
        .bearer_auth(key["secret"].as_str().unwrap())
        .json(&json!({"input": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(error_code(response).await, "KEY_SCOPE_MISMATCH");
}
on_every_database!(
    a_key_scoped_to_another_agent_is_refused_with_403,
    super::scoped_keys
);

async fn hostile_input(database: TestDatabase) {
    let app = app_with_agents(database).await;
    let (admin, _) = app.signed_in("root@example.com", Role::SuperAdmin).await;
    let (member, member_id) = app.signed_in("tom@example.com", Role::Member).await;
    let echo = agent_id(&app, "echo").await;
    let before_logs = abetworks::entities::logs::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap();
    let cases: Vec<(reqwest::RequestBuilder, u16)> = vec![
        (admin.get(app.url("/api/admin/licenses?page=-1")), 422),
        (admin.get(app.url("/api/admin/licenses?pageSize=100000")), 422),
        (admin.get(app.url("/api/admin/licenses?userId=1%27%20OR%201=1")), 422),
        (admin.get(app.url("/api/admin/licenses?q=%00")), 422),
        (admin.get(app.url("/api/admin/licenses?sort=password_hash")), 422),
        (admin.get(app.url("/api/admin/licenses?sort=-used")), 200),
        (admin.get(app.url("/api/admin/errors?from=yesterday")), 422),
        (admin.get(app.url("/api/admin/errors?severity=apocalyptic")), 422),
        (admin.get(app.url("/api/admin/usage/overview?from=2026-02-01&to=2026-01-01")), 422),
        (admin.get(app.url("/api/admin/licenses?unknown=1")), 422),
        (member.get(app.url("/api/marketplace/agents?q=%25%27;DROP%20TABLE%20users;--")), 200),
        (member.get(app.url("/api/marketplace/agents?minPrice=-5")), 422),
        (admin.post(app.url("/api/admin/licenses")).json(&json!({"userId": member_id, "agentId": echo, "apiCallLimit": -7})), 422),
        (admin.post(app.url("/api/admin/licenses")).json(&json!({"userId": "not-an-id", "agentId": echo, "apiCallLimit": 5})), 404),
        (admin.post(app.url("/api/admin/licenses")).json(&json!({"userId": member_id, "agentId": echo, "apiCallLimit": 5, "extra": true})), 422),
        (admin.post(app.url("/api/admin/licenses")).json(&json!({"userId": member_id, "agentId": echo, "apiCallLimit": 5, "expiresAt": "next week"})), 422),
        (admin.patch(app.url("/api/admin/licenses/%00")).json(&json!({"apiCallLimit": 5})), 404),
        (admin.post(app.url("/api/admin/access-requests/not-an-id/approve")).json(&json!({"apiCallLimit": 5})), 404),
        (member.post(app.url("/api/agents/no-such-agent/execute")).json(&json!({"input": {}})), 404),
        (member.post(app.url(&format!("/api/agents/{echo}/execute"))).header("content-type", "application/json").body("{not json"), 400),
    ];
    for (request, want) in cases {
        let response = request.send().await.unwrap();
        let url = response.url().to_string();
        assert_eq!(response.status().as_u16(), want, "{url}");
    }
    let licenses = user_agent_licenses::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(licenses, 0, "nothing was written");
    let after_logs = abetworks::entities::logs::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(
        before_logs, after_logs,
        "no audit entries for refused input"
    );
}
on_every_database!(
    hostile_input_gets_a_clear_4xx_and_writes_nothing,
    super::hostile_input
);

#[tokio::test]
async fn a_panic_is_answered_500_with_a_reference_and_logged_as_critical() {
    let database = TestDatabase::create(Backend::Sqlite).await.unwrap();
    let app = spawn_app_with(database, crate::common::NO_AGENT_SERVICE).await;
    server::error_log_layer::install_panic_hook();
    let router = axum::Router::new()
        .route(
            "/boom",
            axum::routing::get(|| async {
                if true {
                    panic!("kaboom")
                }
            }),
        )
        .layer(axum::middleware::from_fn_with_state(
            app.state.clone(),
            server::error_log_layer::log_server_errors,
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let response = reqwest::get(format!("http://{address}/boom"))
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    let body: Value = response.json().await.unwrap();
    assert!(
        !body.to_string().contains("kaboom"),
        "the panic message stays internal"
    );
    let reference = body["error"]["referenceId"].as_str().unwrap().to_owned();
    let logged = error_logs::Entity::find_by_id(reference)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(logged.severity, Severity::Critical);
    assert_eq!(logged.message, "kaboom");
    assert!(
        logged.stack_trace.unwrap_or_default().contains("gateway"),
        "the backtrace is kept"
    );
}
