//! The metered gateway over HTTP: licenses, exact quota, faults, isolation, hostile input.

use crate::common::{
    error_code, id_of, licensing, script_client, spawn_app_on_url, spawn_app_with, stand_in,
    TestApp,
};
use abetworks::entities::enums::{Role, Severity};
use abetworks::entities::{api_usage_tracking, error_logs, user_agent_licenses};
use abetworks::on_every_database;
use abetworks::testing::{run_with_timeout, Backend, TestDatabase};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

async fn used(app: &TestApp, license_id: &str) -> i64 {
    user_agent_licenses::Entity::find_by_id(license_id.to_owned())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .api_calls_used
}

async fn request_approve_three_calls_then_429_then_raise_then_revoke(database: TestDatabase) {
    let (app, admin, echo) = licensing(database).await;
    let (member, _) = app.signed_in("mia@example.com", Role::Member).await;

    let none = app.execute(&member, &echo).await;
    assert_eq!(none.status(), 403);
    assert_eq!(error_code(none).await, "LICENSE_REQUIRED");

    let requested = app
        .request_access(&member, &echo, "for the Q3 report")
        .await;
    assert_eq!(requested.status(), 201);
    let request_id = id_of(&requested.json().await.unwrap());
    let twice = app.request_access(&member, &echo, "again").await;
    assert_eq!(twice.status(), 409, "one pending request per agent");

    let approve = format!("/api/admin/access-requests/{request_id}/approve");
    let approved = app.post(&admin, &approve, json!({"apiCallLimit": 3})).await;
    assert_eq!(approved.status(), 200);
    let license_id = approved.json::<Value>().await.unwrap()["license"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let again = app.post(&admin, &approve, json!({"apiCallLimit": 3})).await;
    assert_eq!(again.status(), 409, "a request that is no longer pending");

    for call in 1..=3 {
        let response = app.execute(&member, &echo).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["output"]["echo"]["text"], "hi");
        assert_eq!(
            body["usage"],
            json!({"limit": 3, "used": call, "remaining": 3 - call, "window": "lifetime",
                "windowStart": null, "resetsAt": null, "topUps": 0, "source": "license"})
        );
        assert!(body["executionId"].is_string());
    }
    let fourth = app.execute(&member, &echo).await;
    assert_eq!(fourth.status(), 429);
    let body: Value = fourth.json().await.unwrap();
    assert_eq!(body["error"]["code"], "QUOTA_EXCEEDED");
    assert_eq!(body["error"]["usage"]["limit"], 3);
    assert_eq!(body["error"]["usage"]["used"], 3);

    let license = format!("/api/admin/licenses/{license_id}");
    let raised = app
        .patch(&admin, &license, json!({"apiCallLimit": 5}))
        .await;
    assert_eq!(raised.status(), 200);
    assert_eq!(
        app.execute(&member, &echo).await.status(),
        200,
        "a raised limit lets calls through again"
    );

    let revoked = app.delete(&admin, &license).await;
    assert_eq!(revoked.status(), 200);
    let after = app.execute(&member, &echo).await;
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
on_every_database!(request_approve_three_calls_then_429_then_raise_then_revoke);

async fn a_suspended_or_expired_license_is_refused_with_403(database: TestDatabase) {
    let (app, admin, echo) = licensing(database).await;
    let (member, member_id) = app.signed_in("ola@example.com", Role::Member).await;
    let license = app
        .grant(&admin, &member_id, &echo, json!({"apiCallLimit": -1}))
        .await;
    let license_id = id_of(&license);
    assert_eq!(
        app.execute(&member, &echo).await.status(),
        200,
        "unlimited works"
    );

    let path = format!("/api/admin/licenses/{license_id}");
    let suspended = app
        .patch(&admin, &path, json!({"status": "suspended"}))
        .await;
    assert_eq!(suspended.status(), 200);
    let response = app.execute(&member, &echo).await;
    assert_eq!(response.status(), 403);
    assert_eq!(error_code(response).await, "LICENSE_SUSPENDED");
    app.patch(&admin, &path, json!({"status": "active"})).await;

    user_agent_licenses::Entity::update_many()
        .col_expr(
            user_agent_licenses::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::hours(1)),
        )
        .filter(user_agent_licenses::Column::Id.eq(&license_id))
        .exec(&app.state.db)
        .await
        .unwrap();
    let response = app.execute(&member, &echo).await;
    assert_eq!(response.status(), 403);
    assert_eq!(error_code(response).await, "LICENSE_EXPIRED");
    let mine = app.get_json(&member, "/api/marketplace/my-agents").await;
    assert_eq!(
        mine[0]["status"], "expired",
        "an expired license reads as expired where it is listed"
    );
}
on_every_database!(a_suspended_or_expired_license_is_refused_with_403);

async fn a_rejection_note_reaches_the_user_and_users_never_see_each_others_data(
    database: TestDatabase,
) {
    let (app, admin, echo) = licensing(database).await;
    let (ann, ann_id) = app.signed_in("ann@example.com", Role::Member).await;
    let (bob, _) = app.signed_in("bob@example.com", Role::Member).await;
    let picky = app.agent_id("picky").await;

    let request: Value = app
        .request_access(&bob, &picky, "curious")
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
    let mine = app.get_json(&bob, "/api/marketplace/my-requests").await;
    assert_eq!(mine["items"][0]["status"], "rejected");
    assert_eq!(
        mine["items"][0]["reviewNote"], "Not for trial accounts",
        "the note is shown to the user"
    );

    app.grant(&admin, &ann_id, &echo, json!({"apiCallLimit": 10}))
        .await;
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

    assert_eq!(app.execute(&ann, &echo).await.status(), 200);
    let ann_runs = app
        .get_json(&ann, &format!("/api/agents/{echo}/executions"))
        .await;
    assert_eq!(ann_runs["total"], 1);
    let bob_runs = app
        .get_json(&bob, &format!("/api/agents/{echo}/executions"))
        .await;
    assert_eq!(
        bob_runs["total"], 0,
        "a user never sees another user's executions"
    );
    let bob_usage = app.get_json(&bob, "/api/usage/my-usage").await;
    assert_eq!(bob_usage, json!([]), "nor their usage");
    let ann_requests = app.get_json(&ann, "/api/marketplace/my-requests").await;
    assert_eq!(ann_requests["total"], 0, "nor their requests");
    let marketplace = app.get_json(&bob, "/api/marketplace/agents").await;
    let echo_card = marketplace["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["slug"] == "echo")
        .unwrap();
    assert_eq!(echo_card["access"], "available");
    let ann_market = app.get_json(&ann, "/api/marketplace/agents?q=echo").await;
    assert_eq!(ann_market["items"][0]["access"], "licensed");
}
on_every_database!(a_rejection_note_reaches_the_user_and_users_never_see_each_others_data);

async fn a_slow_failing_malformed_or_rejecting_agent_gives_the_unit_back_and_is_logged(
    database: TestDatabase,
) {
    let (app, admin, _) = licensing(database).await;
    let (member, member_id) = app.signed_in("pat@example.com", Role::Member).await;
    let cases = [
        ("slow", 504, "AGENT_TIMEOUT", Severity::Medium),
        ("boom", 502, "AGENT_FAILED", Severity::High),
        ("garbage", 502, "AGENT_FAILED", Severity::High),
        ("picky", 422, "INVALID_INPUT", Severity::Low),
    ];
    for (slug, status, code, severity) in cases {
        let agent = app.agent_id(slug).await;
        let license = app
            .grant(&admin, &member_id, &agent, json!({"apiCallLimit": 5}))
            .await;
        let response = app.execute(&member, &agent).await;
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
on_every_database!(a_slow_failing_malformed_or_rejecting_agent_gives_the_unit_back_and_is_logged);

async fn an_agent_service_that_is_down_answers_503_and_gives_the_unit_back(database: TestDatabase) {
    let (app, admin, echo) = licensing(database).await;
    // A second instance on the same database whose agent service is down.
    let down = spawn_app_on_url(
        &app.database.as_ref().unwrap().url,
        crate::common::NO_AGENT_SERVICE,
    )
    .await;
    let (member, member_id) = down.signed_in("quin@example.com", Role::Member).await;
    let license = app
        .grant(&admin, &member_id, &echo, json!({"apiCallLimit": 5}))
        .await;
    let response = down.execute(&member, &echo).await;
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
on_every_database!(an_agent_service_that_is_down_answers_503_and_gives_the_unit_back);

async fn two_hundred_simultaneous_calls_on_two_instances_against_a_limit_of_fifty_give_exactly_fifty(
    database: TestDatabase,
) {
    let (app, admin, echo) = licensing(database).await;
    let (member, member_id) = app.signed_in("ray@example.com", Role::Member).await;
    let license = app
        .grant(&admin, &member_id, &echo, json!({"apiCallLimit": 50}))
        .await;
    let secret = app.api_key(&member, json!({"name": "load"})).await;

    // A second instance on the same database takes half of the calls.
    let other = spawn_app_on_url(
        &app.database.as_ref().unwrap().url,
        app.state.config.agent_service_url.as_ref(),
    )
    .await;
    let client = script_client();
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
    two_hundred_simultaneous_calls_on_two_instances_against_a_limit_of_fifty_give_exactly_fifty
);

async fn a_key_scoped_to_another_agent_is_refused_with_403(database: TestDatabase) {
    let (app, admin, echo) = licensing(database).await;
    let (member, member_id) = app.signed_in("sal@example.com", Role::Member).await;
    let picky = app.agent_id("picky").await;
    app.grant(&admin, &member_id, &echo, json!({"apiCallLimit": 5}))
        .await;
    let key = app
        .api_key(&member, json!({"name": "picky only", "agentId": picky}))
        .await;
    let response = script_client()
        .post(app.url(&format!("/api/agents/{echo}/execute")))
        .bearer_auth(key)
        .json(&json!({"input": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(error_code(response).await, "KEY_SCOPE_MISMATCH");
}
on_every_database!(a_key_scoped_to_another_agent_is_refused_with_403);

async fn hostile_input_gets_a_clear_4xx_and_writes_nothing(database: TestDatabase) {
    let (app, admin, echo) = licensing(database).await;
    let (member, member_id) = app.signed_in("tom@example.com", Role::Member).await;
    let before_logs = abetworks::entities::logs::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap();
    let refused_license_queries = [
        "page=-1",
        "pageSize=100000",
        "userId=1%27%20OR%201=1",
        "q=%00",
        "sort=password_hash",
        "unknown=1",
    ];
    let license_list = |query: &str| admin.get(app.url(&format!("/api/admin/licenses?{query}")));
    let mut cases: Vec<(reqwest::RequestBuilder, u16)> = refused_license_queries
        .iter()
        .map(|query| (license_list(query), 422))
        .collect();
    cases.extend([
        (license_list("sort=-used"), 200),
        (admin.get(app.url("/api/admin/errors?from=yesterday")), 422),
        (admin.get(app.url("/api/admin/errors?severity=apocalyptic")), 422),
        (admin.get(app.url("/api/admin/usage/overview?from=2026-02-01&to=2026-01-01")), 422),
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
    ]);
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
on_every_database!(hostile_input_gets_a_clear_4xx_and_writes_nothing);

#[tokio::test]
async fn a_panic_is_answered_500_with_a_reference_and_logged_as_critical() {
    let database = TestDatabase::create(Backend::Sqlite).await.unwrap();
    run_with_timeout(database, a_panic_is_answered_500).await;
}

async fn a_panic_is_answered_500(database: TestDatabase) {
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
    let address = stand_in::serve(router).await;
    let response = reqwest::get(format!("{address}/boom")).await.unwrap();
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
