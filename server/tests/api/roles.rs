//! Every route the router serves, called with a valid request by an anonymous caller and by a
//! member, an organisation admin and a super admin (each once with the session cookie and
//! once with an API key): the refused get 401/403 with their code, the allowed a success.
//! The table says how to build a valid call of each route; a served route without a row
//! fails the test, so a new route cannot be forgotten.

use abetworks::on_every_database;
use abetworks::testing::TestDatabase;
use axum::http::Method;
use serde_json::{json, Value};
use server::routes::Access;

use crate::common::PASSWORD;
use crate::world::{agent_descriptor, fill, Answer, Body, Credential, Made, Need, Who, World};

/// How to call one route validly.
pub struct Row {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    need: Need,
    body: fn(&Made) -> Option<Value>,
    /// Signs in, out or up: a session caller gets a session of its own for the call.
    anew: bool,
}

fn row(method: &'static str, path: &'static str, access: Access, need: Need) -> Row {
    Row {
        method,
        path,
        access,
        need,
        body: |_| None,
        anew: false,
    }
}

impl Row {
    fn sends(mut self, body: fn(&Made) -> Option<Value>) -> Self {
        self.body = body;
        self
    }

    fn anew(mut self) -> Self {
        self.anew = true;
        self
    }
}

/// The REST API as this test knows it. Keep in step with DESIGN.md's REST contract.
pub fn table() -> Vec<Row> {
    use Access::*;
    use Need::*;
    vec![
        row("POST", "/api/auth/register", Anyone, Nothing)
            .sends(|m| {
                let email = format!("{}@example.com", m.unique);
                Some(json!({"email": email, "password": PASSWORD, "name": "New Member"}))
            })
            .anew(),
        row("POST", "/api/auth/login", Anyone, Nothing)
            .sends(|m| Some(json!({"email": m.member_email, "password": PASSWORD})))
            .anew(),
        row("POST", "/api/auth/logout", Anyone, Nothing).anew(),
        row("GET", "/api/auth/me", SignedIn, Nothing),
        row("GET", "/api/keys", SignedIn, Nothing),
        row("POST", "/api/keys", SignedIn, Nothing)
            .sends(|_| Some(json!({"name": "made by the matrix"}))),
        row("DELETE", "/api/keys/{id}", SignedIn, OwnKey),
        row("GET", "/api/marketplace/agents", SignedIn, Nothing),
        row("GET", "/api/marketplace/my-agents", SignedIn, Nothing),
        row(
            "POST",
            "/api/marketplace/request-access",
            SignedIn,
            FreshAgent,
        )
        .sends(|m| Some(json!({"agentId": m.id, "requestReason": "for the matrix"}))),
        row("GET", "/api/marketplace/my-requests", SignedIn, Nothing),
        row("POST", "/api/agents/{agentId}/execute", SignedIn, Echo)
            .sends(|_| Some(json!({"input": {"text": "hi"}}))),
        row("GET", "/api/agents/{agentId}/executions", SignedIn, Echo),
        row("POST", "/api/agents/{agentId}/runs", SignedIn, Echo)
            .sends(|_| Some(json!({"input": {"text": "hi"}}))),
        row("GET", "/api/runs", SignedIn, Nothing),
        row("GET", "/api/runs/{runId}", SignedIn, OwnRun),
        row("GET", "/api/runs/{runId}/events", SignedIn, CancelledRun),
        row("POST", "/api/runs/{runId}/cancel", SignedIn, OwnRun),
        row("GET", "/api/notifications", SignedIn, Nothing),
        row(
            "POST",
            "/api/notifications/{id}/read",
            SignedIn,
            OwnNotification,
        ),
        row("POST", "/api/notifications/read-all", SignedIn, Nothing),
        row("GET", "/api/notifications/stream", SignedIn, Nothing),
        row(
            "GET",
            "/api/account/notification-settings",
            SignedIn,
            Nothing,
        ),
        row(
            "PATCH",
            "/api/account/notification-settings",
            SignedIn,
            Nothing,
        )
        .sends(|_| Some(json!({"kinds": [{"kind": "usage.threshold", "email": false}]}))),
        row(
            "POST",
            "/api/unsubscribe/{deliveryId}",
            Anyone,
            EmailDelivery,
        ),
        row("GET", "/api/usage/my-usage", SignedIn, Nothing),
        row("GET", "/api/orgs/current", SignedIn, Nothing),
        row("GET", "/api/orgs/current/members", SignedIn, Nothing),
        row("GET", "/api/orgs/current/agents", SignedIn, Nothing),
        row("POST", "/api/orgs/current/leave", SignedIn, Moves),
        row("POST", "/api/orgs/current/invitations", Admin, Nothing).sends(|m| {
            Some(json!({"email": format!("{}@example.com", m.unique), "role": "member"}))
        }),
        row("GET", "/api/orgs/current/invitations", Admin, Nothing),
        row(
            "DELETE",
            "/api/orgs/current/invitations/{id}",
            Admin,
            TeamInvitation,
        ),
        row(
            "DELETE",
            "/api/orgs/current/members/{userId}",
            Admin,
            TeamMember,
        ),
        row(
            "PATCH",
            "/api/orgs/current/members/{userId}",
            Admin,
            TeamMember,
        )
        .sends(|_| Some(json!({"role": "admin"}))),
        row("GET", "/api/orgs/current/usage", Admin, Nothing),
        row("GET", "/api/orgs/current/usage.csv", Admin, Nothing),
        row("GET", "/api/orgs/current/executions", Admin, Nothing),
        row(
            "GET",
            "/api/orgs/current/executions/{id}",
            Admin,
            OwnExecution,
        ),
        row("GET", "/api/orgs/current/licenses", Admin, Nothing),
        row("GET", "/api/invitations/{token}", Anyone, InvitationToMove),
        row(
            "POST",
            "/api/invitations/{token}/accept",
            SignedIn,
            InvitationToMove,
        ),
        row("GET", "/api/admin/organizations", SuperAdmin, Nothing),
        row("POST", "/api/admin/organizations", SuperAdmin, Nothing)
            .sends(|m| Some(json!({"name": format!("Organisation {}", m.unique)}))),
        row(
            "PATCH",
            "/api/admin/organizations/{id}",
            SuperAdmin,
            Organization,
        )
        .sends(|m| Some(json!({"name": format!("Renamed {}", m.unique)}))),
        row(
            "GET",
            "/api/admin/organizations/{id}/members",
            SuperAdmin,
            Organization,
        ),
        row("GET", "/api/admin/subscriptions", SuperAdmin, Nothing),
        row("POST", "/api/admin/subscriptions", SuperAdmin, FreshAgent).sends(|m| {
            Some(json!({"organizationId": m.team_id, "agentId": m.id, "apiCallLimit": 10}))
        }),
        row(
            "PATCH",
            "/api/admin/subscriptions/{id}",
            SuperAdmin,
            Subscription,
        )
        .sends(|_| Some(json!({"apiCallLimit": 20, "memberCap": 5}))),
        row(
            "DELETE",
            "/api/admin/subscriptions/{id}",
            SuperAdmin,
            Subscription,
        ),
        row("GET", "/api/admin/licenses", SuperAdmin, Nothing),
        row("POST", "/api/admin/licenses", SuperAdmin, FreshAgent)
            .sends(|m| Some(json!({"userId": m.member_id, "agentId": m.id, "apiCallLimit": 10}))),
        row("PATCH", "/api/admin/licenses/{id}", SuperAdmin, License)
            .sends(|_| Some(json!({"apiCallLimit": 20}))),
        row("DELETE", "/api/admin/licenses/{id}", SuperAdmin, License),
        row(
            "POST",
            "/api/admin/licenses/{id}/top-ups",
            SuperAdmin,
            License,
        )
        .sends(|_| Some(json!({"calls": 5, "note": "made by the matrix"}))),
        row(
            "GET",
            "/api/admin/licenses/{id}/top-ups",
            SuperAdmin,
            License,
        ),
        row(
            "GET",
            "/api/admin/licenses/{id}/history",
            SuperAdmin,
            License,
        ),
        row(
            "GET",
            "/api/admin/licenses/user/{userId}",
            SuperAdmin,
            Member,
        ),
        row(
            "GET",
            "/api/admin/licenses/agent/{agentId}",
            SuperAdmin,
            Echo,
        ),
        row("GET", "/api/admin/access-requests", SuperAdmin, Nothing),
        row(
            "POST",
            "/api/admin/access-requests/{id}/approve",
            SuperAdmin,
            PendingRequest,
        )
        .sends(|_| Some(json!({"apiCallLimit": 10}))),
        row(
            "POST",
            "/api/admin/access-requests/{id}/reject",
            SuperAdmin,
            PendingRequest,
        )
        .sends(|_| Some(json!({"reviewNote": "not this month"}))),
        row("GET", "/api/admin/usage/overview", SuperAdmin, Nothing),
        row("GET", "/api/admin/usage/export.csv", SuperAdmin, Nothing),
        row("GET", "/api/admin/errors", SuperAdmin, Nothing),
        row(
            "PATCH",
            "/api/admin/errors/{id}/resolve",
            SuperAdmin,
            ErrorLog,
        )
        .sends(|_| Some(json!({"resolutionNote": "fixed"}))),
        row("GET", "/api/admin/errors/stats", SuperAdmin, Nothing),
        row("GET", "/api/admin/executions/all", SuperAdmin, Nothing),
        row("GET", "/api/admin/users", Admin, Nothing),
        row("PATCH", "/api/admin/users/{id}", SuperAdmin, FreshUser)
            .sends(|_| Some(json!({"role": "admin"}))),
        row("GET", "/api/admin/agents", SuperAdmin, Nothing),
        row("POST", "/api/admin/agents", SuperAdmin, Nothing)
            .sends(|m| Some(agent_descriptor(&format!("new-{}", m.unique)))),
        row("PATCH", "/api/admin/agents/{id}", SuperAdmin, FreshAgent)
            .sends(|_| Some(json!({"shortDescription": "changed by the matrix"}))),
        row("POST", "/api/admin/agents/sync", SuperAdmin, Nothing),
        row("GET", "/api/admin/webhooks", SuperAdmin, Nothing),
        row("POST", "/api/admin/webhooks", SuperAdmin, Nothing).sends(|_| {
            Some(json!({"url": "https://203.0.113.10/hook", "events": ["license.expiring"]}))
        }),
        row("PATCH", "/api/admin/webhooks/{id}", SuperAdmin, Webhook)
            .sends(|_| Some(json!({"description": "changed by the matrix"}))),
        row("DELETE", "/api/admin/webhooks/{id}", SuperAdmin, Webhook),
        row(
            "GET",
            "/api/admin/webhooks/{id}/deliveries",
            SuperAdmin,
            Webhook,
        ),
        row(
            "POST",
            "/api/admin/webhooks/{id}/deliveries/{deliveryId}/redeliver",
            SuperAdmin,
            WebhookDelivery,
        ),
    ]
}

/// Every caller of the REST matrix.
pub const CALLERS: [(Who, Credential); 7] = [
    (Who::Anonymous, Credential::Nothing),
    (Who::Member, Credential::Session),
    (Who::Member, Credential::ApiKey),
    (Who::OrgAdmin, Credential::Session),
    (Who::OrgAdmin, Credential::ApiKey),
    (Who::SuperAdmin, Credential::Session),
    (Who::SuperAdmin, Credential::ApiKey),
];

/// Served routes without a row, rows for routes not served, and rows whose access differs
/// from the one the router declares (and documents).
pub fn coverage_problems() -> Vec<String> {
    let api = server::routes::api();
    let served = api.served();
    let table = table();
    let mut problems = Vec::new();
    for route in served {
        match table
            .iter()
            .find(|r| r.method == route.method.as_str() && r.path == route.path)
        {
            None => problems.push(format!(
                "{} {} is served but has no row in the role table",
                route.method, route.path
            )),
            Some(row) if row.access != route.access => problems.push(format!(
                "{} {}: the router declares {:?}, the role table {:?}",
                route.method, route.path, route.access, row.access
            )),
            Some(_) => {}
        }
    }
    for row in &table {
        if !served
            .iter()
            .any(|r| r.method.as_str() == row.method && r.path == row.path)
        {
            problems.push(format!(
                "{} {} has a row but is not served",
                row.method, row.path
            ));
        }
    }
    problems
}

#[test]
fn every_served_route_has_a_row_in_the_role_table_and_every_row_a_route() {
    assert_covered(coverage_problems());
}

/// Fails the test with every problem of a role table's coverage.
#[track_caller]
pub fn assert_covered(problems: Vec<String>) {
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The world a role matrix calls into, once its table's coverage `problems` are checked.
pub async fn checked_world(problems: Vec<String>, database: TestDatabase) -> World {
    assert_covered(problems);
    World::new(database).await
}

/// Fails the test with every call of a role matrix that went wrong.
#[track_caller]
pub fn assert_no_call_went_wrong(wrong: &[String]) {
    assert!(
        wrong.is_empty(),
        "{} calls went wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// One call of the matrix and its answer.
pub struct Exchange {
    pub method: &'static str,
    pub path: &'static str,
    pub who: Who,
    pub credential: Credential,
    pub allowed: bool,
    pub answer: Answer,
}

impl Exchange {
    pub fn caller(&self) -> String {
        match self.credential {
            Credential::Nothing => format!("{:?}", self.who),
            credential => format!("{:?} by {credential:?}", self.who),
        }
    }
}

/// Calls every row as every caller, with what each call needs made just before it.
pub async fn walk(world: &World) -> Vec<Exchange> {
    let mut exchanges = Vec::new();
    for row in table() {
        let method = Method::from_bytes(row.method.as_bytes()).expect("a method");
        for (who, credential) in CALLERS {
            let made = world.make(row.need, who).await;
            let (client, key) = world.client(who, credential, row.anew).await;
            let path = fill(row.path, &made.id);
            let body = (row.body)(&made).map(Body::Json);
            let answer = world
                .send(&client, key.as_deref(), method.clone(), &path, body)
                .await;
            exchanges.push(Exchange {
                method: row.method,
                path: row.path,
                who,
                credential,
                allowed: who.may_call(row.access),
                answer,
            });
        }
    }
    exchanges
}

/// What is wrong with an answer given the caller's rights: a refusal must have the caller's
/// status and code, an allowed call must succeed.
pub fn split_problem(
    allowed: bool,
    who: Who,
    answer: &Answer,
    code: Option<&str>,
) -> Option<String> {
    let text = answer.text.as_deref().unwrap_or("");
    if allowed {
        return (!(200..300).contains(&answer.status))
            .then(|| format!("should succeed, got {}: {text}", answer.status));
    }
    let (status, want) = who.refusal();
    (answer.status != status || code != Some(want)).then(|| {
        format!(
            "should be refused with {status} {want}, got {} {code:?}: {text}",
            answer.status
        )
    })
}

async fn every_route_refuses_the_roles_it_must_and_serves_a_valid_call_of_the_others(
    database: TestDatabase,
) {
    let world = checked_world(coverage_problems(), database).await;
    let mut wrong = Vec::new();
    for exchange in walk(&world).await {
        let body = exchange.answer.json();
        let code = body.as_ref().and_then(|b| b["error"]["code"].as_str());
        if let Some(problem) = split_problem(exchange.allowed, exchange.who, &exchange.answer, code)
        {
            let (method, path) = (exchange.method, exchange.path);
            wrong.push(format!("{} {method} {path}: {problem}", exchange.caller()));
        }
    }
    assert_no_call_went_wrong(&wrong);
}
on_every_database!(every_route_refuses_the_roles_it_must_and_serves_a_valid_call_of_the_others);
