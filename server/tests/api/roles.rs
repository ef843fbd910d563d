//! Every route the router serves, called by anonymous, member, admin and super-admin callers,
//! against a table written here. A route missing from the table fails the test.

use crate::common::spawn_app;
use abetworks::entities::enums::Role;
use abetworks::on_every_database;
use abetworks::testing::TestDatabase;
use axum::http::Method;
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Access {
    Anyone,
    SignedIn,
    Admin,
    SuperAdmin,
}

/// Who may call what. Keep in step with DESIGN.md's REST contract.
const RULES: &[(&str, &str, Access)] = &[
    ("POST", "/api/auth/register", Access::Anyone),
    ("POST", "/api/auth/login", Access::Anyone),
    ("POST", "/api/auth/logout", Access::Anyone),
    ("GET", "/api/auth/me", Access::SignedIn),
    ("GET", "/api/keys", Access::SignedIn),
    ("POST", "/api/keys", Access::SignedIn),
    ("DELETE", "/api/keys/{id}", Access::SignedIn),
    ("GET", "/api/marketplace/agents", Access::SignedIn),
    ("GET", "/api/marketplace/my-agents", Access::SignedIn),
    ("POST", "/api/marketplace/request-access", Access::SignedIn),
    ("GET", "/api/marketplace/my-requests", Access::SignedIn),
    ("POST", "/api/agents/{agentId}/execute", Access::SignedIn),
    ("GET", "/api/agents/{agentId}/executions", Access::SignedIn),
    ("GET", "/api/usage/my-usage", Access::SignedIn),
    ("GET", "/api/admin/licenses", Access::SuperAdmin),
    ("POST", "/api/admin/licenses", Access::SuperAdmin),
    ("PATCH", "/api/admin/licenses/{id}", Access::SuperAdmin),
    ("DELETE", "/api/admin/licenses/{id}", Access::SuperAdmin),
    (
        "GET",
        "/api/admin/licenses/user/{userId}",
        Access::SuperAdmin,
    ),
    (
        "GET",
        "/api/admin/licenses/agent/{agentId}",
        Access::SuperAdmin,
    ),
    ("GET", "/api/admin/access-requests", Access::SuperAdmin),
    (
        "POST",
        "/api/admin/access-requests/{id}/approve",
        Access::SuperAdmin,
    ),
    (
        "POST",
        "/api/admin/access-requests/{id}/reject",
        Access::SuperAdmin,
    ),
    ("GET", "/api/admin/usage/overview", Access::SuperAdmin),
    ("GET", "/api/admin/usage/export.csv", Access::SuperAdmin),
    ("GET", "/api/admin/errors", Access::SuperAdmin),
    (
        "PATCH",
        "/api/admin/errors/{id}/resolve",
        Access::SuperAdmin,
    ),
    ("GET", "/api/admin/errors/stats", Access::SuperAdmin),
    ("GET", "/api/admin/executions/all", Access::SuperAdmin),
    ("GET", "/api/admin/users", Access::Admin),
    ("PATCH", "/api/admin/users/{id}", Access::SuperAdmin),
    ("GET", "/api/admin/agents", Access::SuperAdmin),
    ("POST", "/api/admin/agents", Access::SuperAdmin),
    ("PATCH", "/api/admin/agents/{id}", Access::SuperAdmin),
    ("POST", "/api/admin/agents/sync", Access::SuperAdmin),
];

#[derive(Clone, Copy, Debug)]
enum Caller {
    Anonymous,
    Member,
    OrgAdmin,
    Super,
}

fn allowed(access: Access, caller: Caller) -> bool {
    match (access, caller) {
        (Access::Anyone, _) => true,
        (_, Caller::Anonymous) => false,
        (Access::SignedIn, _) => true,
        (Access::Admin, Caller::OrgAdmin | Caller::Super) => true,
        (Access::SuperAdmin, Caller::Super) => true,
        _ => false,
    }
}

/// Fills path parameters with ids that exist nowhere: authorisation comes before lookup.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map(|e| start + e + 1)
            .unwrap_or(rest.len());
        out.push_str(&abetworks::ids::new_id());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn every_served_route_has_a_rule_and_every_rule_a_route() {
    let served: Vec<(String, String)> = server::routes::api()
        .served()
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    let ruled: Vec<(String, String)> = RULES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    for route in &served {
        assert!(
            ruled.contains(route),
            "route {route:?} has no rule in this test"
        );
    }
    for rule in &ruled {
        assert!(
            served.contains(rule),
            "rule {rule:?} names a route the router does not serve"
        );
    }
}

async fn walk_every_route(database: TestDatabase) {
    let app = spawn_app(database).await;
    let mut keys = Vec::new();
    for (caller, role) in [
        (Caller::Member, Role::Member),
        (Caller::OrgAdmin, Role::Admin),
        (Caller::Super, Role::SuperAdmin),
    ] {
        let (client, _) = app
            .signed_in(&format!("{caller:?}@example.com").to_lowercase(), role)
            .await;
        let created: Value = app
            .post(&client, "/api/keys", json!({"name": "walk"}))
            .await
            .json()
            .await
            .unwrap();
        keys.push((caller, Some(created["secret"].as_str().unwrap().to_owned())));
    }
    keys.insert(0, (Caller::Anonymous, None));

    let http = reqwest::Client::new();
    for (method, path, access) in RULES {
        for (caller, key) in &keys {
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let mut request = http.request(method.clone(), app.url(&concrete(path)));
            if let Some(key) = key {
                request = request.bearer_auth(key);
            }
            if method != Method::GET {
                request = request.json(&json!({}));
            }
            let status = request.send().await.unwrap().status().as_u16();
            let expected = allowed(*access, *caller);
            if expected {
                assert!(
                    status != 401 && status != 403,
                    "{caller:?} {method} {path} should pass, got {status}"
                );
            } else {
                let want = if matches!(caller, Caller::Anonymous) {
                    401
                } else {
                    403
                };
                assert_eq!(status, want, "{caller:?} {method} {path}");
            }
            // 503 is fair for the sync here: no agent service runs in this test.
            assert!(
                status != 500,
                "{caller:?} {method} {path} answered {status}"
            );
        }
    }
}
on_every_database!(
    every_route_answers_each_role_as_its_rule_says,
    super::walk_every_route
);
