//! Quota windows over HTTP: RateLimit headers, 429s that say when to retry, top-ups, history,
//! plan changes, increase requests and the usage presets. The application reads a manual
//! clock standing at noon UTC, so a window never turns over while a test runs.

use std::sync::Arc;

use abetworks::clock::{Clock, ManualClock};
use abetworks::entities::enums::Role;
use abetworks::on_every_database;
use abetworks::testing::TestDatabase;
use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};
use serde_json::{json, Value};

use crate::common::{error_code, spawn_app_with_clock, stand_in, TestApp};

/// The app in front of the stand-in agent service, its catalog synced, its quota windows read
/// from the returned clock (today, 12:00 UTC).
async fn app_with_clock(database: TestDatabase) -> (TestApp, ManualClock) {
    let agents = stand_in::start().await;
    let clock = ManualClock::new(noon_today());
    let app = spawn_app_with_clock(database, &agents, Arc::new(clock.clone())).await;
    abetworks::catalog::sync_from_service(&app.state.db, &app.state.agents, true)
        .await
        .unwrap();
    (app, clock)
}

fn noon_today() -> DateTime<Utc> {
    Utc::now()
        .date_naive()
        .and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap())
        .and_utc()
}

async fn echo_id(app: &TestApp) -> String {
    abetworks::catalog::find_agent(&app.state.db, "echo")
        .await
        .unwrap()
        .unwrap()
        .id
}

/// Grants `user` the echo agent with `plan` (limit and window fields) and returns the license.
async fn grant(
    app: &TestApp,
    admin: &reqwest::Client,
    user_id: &str,
    agent_id: &str,
    plan: Value,
) -> Value {
    let mut body = json!({"userId": user_id, "agentId": agent_id});
    for (name, value) in plan.as_object().unwrap() {
        body[name] = value.clone();
    }
    let response = app.post(admin, "/api/admin/licenses", body).await;
    assert_eq!(response.status(), 201, "the license is granted");
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

async fn patch(
    app: &TestApp,
    admin: &reqwest::Client,
    path: &str,
    body: Value,
) -> reqwest::Response {
    admin.patch(app.url(path)).json(&body).send().await.unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().unwrap().to_owned())
}

fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().expect("a time"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

async fn rate_limit_headers(database: TestDatabase) {
    let (app, clock) = app_with_clock(database).await;
    let (admin, _) = app.signed_in("root@example.com", Role::SuperAdmin).await;
    let (daily, daily_id) = app.signed_in("dana@example.com", Role::Member).await;
    let (free, free_id) = app.signed_in("finn@example.com", Role::Member).await;
    let echo = echo_id(&app).await;
    grant(
        &app,
        &admin,
        &daily_id,
        &echo,
        json!({"apiCallLimit": 5, "window": "day"}),
    )
    .await;
    grant(&app, &admin, &free_id, &echo, json!({"apiCallLimit": -1})).await;

    let response = run(&app, &daily, &echo).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "ratelimit-limit").as_deref(), Some("5"));
    assert_eq!(
        header(&response, "ratelimit-remaining").as_deref(),
        Some("4")
    );
    assert_eq!(
        header(&response, "ratelimit-reset").as_deref(),
        Some("43200"),
        "noon to midnight UTC"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["usage"]["window"], "day");
    assert_eq!(
        time(&body["usage"]["resetsAt"]),
        clock.now() + Duration::hours(12)
    );

    let response = run(&app, &free, &echo).await;
    assert_eq!(response.status(), 200);
    for name in ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"] {
        assert_eq!(
            header(&response, name),
            None,
            "{name} on an unlimited license"
        );
    }
}
on_every_database!(
    execute_answers_carry_rate_limit_headers_for_a_daily_license_and_none_for_an_unlimited_one,
    super::rate_limit_headers
);

async fn daily_quota_exceeded(database: TestDatabase) {
    let (app, clock) = app_with_clock(database).await;
    let (admin, _) = app.signed_in("root@example.com", Role::SuperAdmin).await;
    let (member, member_id) = app.signed_in("dave@example.com", Role::Member).await;
    let echo = echo_id(&app).await;
    grant(
        &app,
        &admin,
        &member_id,
        &echo,
        json!({"apiCallLimit": 2, "window": "day"}),
    )
    .await;
    for _ in 0..2 {
        assert_eq!(run(&app, &member, &echo).await.status(), 200);
    }

    let refused = run(&app, &member, &echo).await;
    assert_eq!(refused.status(), 429);
    let retry_after: i64 = header(&refused, "retry-after")
        .expect("a Retry-After header")
        .parse()
        .unwrap();
    assert!(
        (1..=86_400).contains(&retry_after),
        "Retry-After {retry_after} is within a day"
    );
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "QUOTA_EXCEEDED");
    assert_eq!(body["error"]["usage"]["window"], "day");
    assert_eq!(body["error"]["usage"]["used"], 2);
    assert_eq!(
        time(&body["error"]["usage"]["resetsAt"]),
        clock.now() + Duration::hours(12),
        "the next UTC midnight"
    );

    clock.advance(Duration::days(1));
    let next_day = run(&app, &member, &echo).await;
    assert_eq!(next_day.status(), 200, "a new day, a new window");
    let body: Value = next_day.json().await.unwrap();
    assert_eq!(body["usage"]["used"], 1);
}
on_every_database!(
    a_daily_license_over_its_limit_answers_429_with_retry_after_and_runs_again_the_next_day,
    super::daily_quota_exceeded
);

async fn lifetime_quota_exceeded(database: TestDatabase) {
    let (app, _clock) = app_with_clock(database).await;
    let (admin, _) = app.signed_in("root@example.com", Role::SuperAdmin).await;
    let (member, member_id) = app.signed_in("lena@example.com", Role::Member).await;
    let echo = echo_id(&app).await;
    grant(&app, &admin, &member_id, &echo, json!({"apiCallLimit": 1})).await;
    assert_eq!(run(&app, &member, &echo).await.status(), 200);

    let refused = run(&app, &member, &echo).await;
    assert_eq!(refused.status(), 429);
    assert_eq!(
        header(&refused, "retry-after"),
        None,
        "waiting does not help a lifetime limit"
    );
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "QUOTA_EXCEEDED");
    assert_eq!(body["error"]["usage"]["window"], "lifetime");
    assert!(body["error"]["usage"]["resetsAt"].is_null());
}
on_every_database!(
    a_lifetime_limit_over_its_limit_answers_429_without_retry_after,
    super::lifetime_quota_exceeded
);

async fn top_up_and_history(database: TestDatabase) {
    let (app, _clock) = app_with_clock(database).await;
    let (admin, _) = app.signed_in("root@example.com", Role::SuperAdmin).await;
    let (member, member_id) = app.signed_in("tess@example.com", Role::Member).await;
    let echo = echo_id(&app).await;
    let license = grant(
        &app,
        &admin,
        &member_id,
        &echo,
        json!({"apiCallLimit": 1, "window": "day"}),
    )
    .await;
    let license_id = id_of(&license);
    assert_eq!(run(&app, &member, &echo).await.status(), 200);
    assert_eq!(run(&app, &member, &echo).await.status(), 429);

    let top_ups = format!("/api/admin/licenses/{license_id}/top-ups");
    let added = app
        .post(&admin, &top_ups, json!({"calls": 2, "note": "launch week"}))
        .await;
    assert_eq!(added.status(), 201);
    let added: Value = added.json().await.unwrap();
    assert_eq!(added["calls"], 2);
    assert_eq!(added["licenseId"], license_id.as_str());
    assert_eq!(added["note"], "launch week");

    let again = run(&app, &member, &echo).await;
    assert_eq!(
        again.status(),
        200,
        "the top-up lets the customer run again"
    );
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["usage"]["topUps"], 2);
    assert_eq!(body["usage"]["remaining"], 1);

    let listed: Value = app.get(&admin, &top_ups).await.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], added["id"]);
    let history = app
        .get(&admin, &format!("/api/admin/licenses/{license_id}/history"))
        .await;
    assert_eq!(history.status(), 200);
    let history: Value = history.json().await.unwrap();
    let kinds: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["top_up", "granted"], "newest first");
    assert_eq!(history[0]["actorEmail"], "root@example.com");

    let unknown = format!("/api/admin/licenses/{}/top-ups", abetworks::ids::new_id());
    let missing = app
        .post(&admin, &unknown, json!({"calls": 2, "note": "x"}))
        .await;
    assert_eq!(missing.status(), 404);
    let none = app
        .post(&admin, &top_ups, json!({"calls": 0, "note": "x"}))
        .await;
    assert_eq!(none.status(), 422, "a top-up adds at least one call");
    let by_member = app
        .post(&member, &top_ups, json!({"calls": 2, "note": "x"}))
        .await;
    assert_eq!(by_member.status(), 403);
    let revoked = admin
        .delete(app.url(&format!("/api/admin/licenses/{license_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let late = app
        .post(&admin, &top_ups, json!({"calls": 2, "note": "x"}))
        .await;
    assert_eq!(late.status(), 409, "no top-ups on a revoked license");
}
on_every_database!(
    a_top_up_through_rest_lets_the_customer_run_again_and_appears_in_the_history,
    super::top_up_and_history
);

async fn window_change(database: TestDatabase) {
    let (app, _clock) = app_with_clock(database).await;
    let (admin, _) = app.signed_in("root@example.com", Role::SuperAdmin).await;
    let (member, member_id) = app.signed_in("wim@example.com", Role::Member).await;
    let echo = echo_id(&app).await;
    let license = grant(&app, &admin, &member_id, &echo, json!({"apiCallLimit": 10})).await;
    let license_id = id_of(&license);
    let path = format!("/api/admin/licenses/{license_id}");
    assert_eq!(run(&app, &member, &echo).await.status(), 200);

    let changed = patch(
        &app,
        &admin,
        &path,
        json!({"window": "day", "windowTimeZone": "Europe/Berlin", "burstPerSecond": 5}),
    )
    .await;
    assert_eq!(changed.status(), 200);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(changed["id"], license_id.as_str(), "the same license");
    assert_eq!(changed["window"], "day");
    assert_eq!(changed["windowTimeZone"], "Europe/Berlin");
    assert_eq!(changed["burstPerSecond"], 5);
    assert_eq!(changed["apiCallsUsed"], 1, "the used calls carry over");
    assert!(changed["resetsAt"].is_string());

    let day_only = patch(&app, &admin, &path, json!({"resetDay": 15})).await;
    assert_eq!(day_only.status(), 200);
    let day_only: Value = day_only.json().await.unwrap();
    assert_eq!(
        (
            &day_only["window"],
            &day_only["windowTimeZone"],
            &day_only["resetDay"]
        ),
        (&json!("day"), &json!("Europe/Berlin"), &json!(15)),
        "fields not sent keep their values"
    );
    assert_eq!(day_only["burstPerSecond"], 5);
    let default_burst = patch(&app, &admin, &path, json!({"burstPerSecond": null})).await;
    let default_burst: Value = default_burst.json().await.unwrap();
    assert!(
        default_burst["burstPerSecond"].is_null(),
        "null follows the default"
    );

    let bad_zone = patch(
        &app,
        &admin,
        &path,
        json!({"windowTimeZone": "Mars/Olympus"}),
    )
    .await;
    assert_eq!(bad_zone.status(), 422);
    assert_eq!(error_code(bad_zone).await, "VALIDATION_FAILED");

    let renewed = patch(&app, &admin, &path, json!({"resetUsage": true})).await;
    assert_eq!(renewed.status(), 200);
    let renewed: Value = renewed.json().await.unwrap();
    assert_eq!(renewed["id"], license_id.as_str());
    assert_eq!(
        renewed["apiCallsUsed"], 0,
        "a renewal starts the window at zero"
    );

    let all: Value = app
        .get(&admin, &format!("/api/admin/licenses/user/{member_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["total"], 1, "still one license");
    let history: Value = app
        .get(&admin, &format!("{path}/history"))
        .await
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"renewed"));
    assert!(kinds.contains(&"changed"));
    assert_eq!(kinds.last(), Some(&"granted"));
}
on_every_database!(
    changing_the_window_with_patch_keeps_the_license_id,
    super::window_change
);

/// The member asks for `calls` more on the echo agent; the answer's body.
async fn ask_for_more(app: &TestApp, member: &reqwest::Client, agent: &str, calls: i64) -> Value {
    let asked = app
        .post(
            member,
            "/api/marketplace/request-access",
            json!({"agentId": agent, "requestReason": "busy month", "requestedCalls": calls}),
        )
        .await;
    assert_eq!(asked.status(), 201);
    asked.json().await.unwrap()
}

async fn increase_request(database: TestDatabase) {
    let (app, _clock) = app_with_clock(database).await;
    let (admin, _) = app.signed_in("root@example.com", Role::SuperAdmin).await;
    let (member, member_id) = app.signed_in("ivy@example.com", Role::Member).await;
    let echo = echo_id(&app).await;
    let license = grant(
        &app,
        &admin,
        &member_id,
        &echo,
        json!({"apiCallLimit": 1, "window": "day"}),
    )
    .await;
    assert_eq!(run(&app, &member, &echo).await.status(), 200);
    assert_eq!(run(&app, &member, &echo).await.status(), 429);

    let request = ask_for_more(&app, &member, &echo, 50).await;
    assert_eq!(request["kind"], "increase");
    assert_eq!(request["requestedCalls"], 50);
    let listed: Value = app
        .get(&admin, "/api/admin/access-requests?status=pending")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"][0]["kind"], "increase");
    assert_eq!(listed["items"][0]["requestedCalls"], 50);

    let approved = app
        .post(
            &admin,
            &format!("/api/admin/access-requests/{}/approve", id_of(&request)),
            json!({"topUpCalls": 50}),
        )
        .await;
    assert_eq!(approved.status(), 200);
    let approved: Value = approved.json().await.unwrap();
    assert_eq!(approved["request"]["status"], "approved");
    assert_eq!(
        approved["license"]["id"], license["id"],
        "the license held, changed in place"
    );
    assert_eq!(approved["license"]["topUps"], 50);
    assert_eq!(approved["license"]["apiCallLimit"], 1);
    assert_eq!(run(&app, &member, &echo).await.status(), 200);
}
on_every_database!(
    request_access_by_a_holder_creates_an_increase_request_that_the_admin_approves_with_top_up_calls,
    super::increase_request
);

async fn approval_needs_calls(database: TestDatabase) {
    let (app, _clock) = app_with_clock(database).await;
    let (admin, _) = app.signed_in("root@example.com", Role::SuperAdmin).await;
    let (holder, holder_id) = app.signed_in("hal@example.com", Role::Member).await;
    let (newcomer, _) = app.signed_in("nia@example.com", Role::Member).await;
    let echo = echo_id(&app).await;
    let license = grant(
        &app,
        &admin,
        &holder_id,
        &echo,
        json!({"apiCallLimit": 5, "window": "month"}),
    )
    .await;

    let increase = ask_for_more(&app, &holder, &echo, 20).await;
    let approve = format!("/api/admin/access-requests/{}/approve", id_of(&increase));
    let empty = app.post(&admin, &approve, json!({})).await;
    assert_eq!(
        empty.status(),
        422,
        "an increase needs a limit or top-up calls"
    );
    let raised = app
        .post(&admin, &approve, json!({"apiCallLimit": 25}))
        .await;
    assert_eq!(raised.status(), 200, "the request was left pending");
    let raised: Value = raised.json().await.unwrap();
    assert_eq!(raised["license"]["id"], license["id"]);
    assert_eq!(raised["license"]["apiCallLimit"], 25);
    assert_eq!(raised["license"]["window"], "month", "the plan is kept");

    let access = ask_for_more(&app, &newcomer, &echo, 10).await;
    assert_eq!(access["kind"], "access");
    let approve = format!("/api/admin/access-requests/{}/approve", id_of(&access));
    let limitless = app.post(&admin, &approve, json!({"topUpCalls": 10})).await;
    assert_eq!(
        limitless.status(),
        422,
        "a first license needs apiCallLimit"
    );
    let granted = app
        .post(
            &admin,
            &approve,
            json!({"apiCallLimit": 10, "window": "month", "resetDay": 15}),
        )
        .await;
    assert_eq!(granted.status(), 200);
    let granted: Value = granted.json().await.unwrap();
    assert_eq!(granted["license"]["window"], "month");
    assert_eq!(granted["license"]["resetDay"], 15);
    assert_eq!(granted["license"]["windowTimeZone"], "UTC");
}
on_every_database!(
    approving_an_increase_without_api_call_limit_or_top_up_calls_is_422,
    super::approval_needs_calls
);

async fn usage_window_preset(database: TestDatabase) {
    let (app, clock) = app_with_clock(database).await;
    let (admin, _) = app.signed_in("root@example.com", Role::SuperAdmin).await;
    let midnight = clock.now() - Duration::hours(12);

    let day = app
        .get(&admin, "/api/admin/usage/overview?window=day")
        .await;
    assert_eq!(day.status(), 200);
    let day: Value = day.json().await.unwrap();
    assert_eq!(time(&day["from"]), midnight);
    assert_eq!(
        time(&day["to"]),
        midnight + Duration::days(1) - Duration::milliseconds(1)
    );

    let month: Value = app
        .get(&admin, "/api/admin/usage/overview?window=month")
        .await
        .json()
        .await
        .unwrap();
    let first = time(&month["from"]);
    assert_eq!((first.day(), first.month()), (1, midnight.month()));
    assert!(time(&month["to"]) > midnight);

    let export = app
        .get(&admin, "/api/admin/usage/export.csv?window=month")
        .await;
    assert_eq!(export.status(), 200);
    for refused in [
        "/api/admin/usage/overview?window=year",
        "/api/admin/usage/overview?window=lifetime",
        "/api/admin/usage/overview?window=day&from=2026-01-01",
        "/api/admin/usage/export.csv?window=year",
    ] {
        assert_eq!(app.get(&admin, refused).await.status(), 422, "{refused}");
    }
}
on_every_database!(
    window_day_on_the_usage_overview_works_and_window_year_is_422,
    super::usage_window_preset
);

/// The answer as the contract test reads it.
async fn answer_of(response: reqwest::Response) -> crate::world::Answer {
    let status = response.status().as_u16();
    let content_type = header(&response, "content-type")
        .and_then(|v| v.split(';').next().map(|v| v.trim().to_ascii_lowercase()));
    let text = response.text().await.unwrap();
    crate::world::Answer {
        status,
        content_type,
        text: (!text.is_empty()).then_some(text),
    }
}

async fn answers_fit_the_document(database: TestDatabase) {
    let (app, _clock) = app_with_clock(database).await;
    let (admin, _) = app.signed_in("root@example.com", Role::SuperAdmin).await;
    let (member, member_id) = app.signed_in("cora@example.com", Role::Member).await;
    let echo = echo_id(&app).await;
    let document = serde_json::to_value(server::openapi::document()).unwrap();
    let mut wrong = Vec::new();
    let mut check = |method: &str, path: &str, answer: crate::world::Answer| {
        for violation in crate::contract::contract_violations(&document, method, path, &answer) {
            wrong.push(format!("{method} {path} {}: {violation}", answer.status));
        }
    };

    let granted = app
        .post(
            &admin,
            "/api/admin/licenses",
            json!({"userId": member_id, "agentId": echo, "apiCallLimit": 1, "window": "day",
                   "windowTimeZone": "Asia/Tokyo", "burstPerSecond": 10}),
        )
        .await;
    let granted = answer_of(granted).await;
    let license_id = id_of(&granted.json().unwrap());
    check("POST", "/api/admin/licenses", granted);
    let license = format!("/api/admin/licenses/{license_id}");
    let ran = answer_of(run(&app, &member, &echo).await).await;
    check("POST", "/api/agents/{agentId}/execute", ran);
    // The 429 is not checked here: its `limit`, `used` and `usage` members are not in the
    // documented ErrorBody yet (reported to the lead).
    assert_eq!(run(&app, &member, &echo).await.status(), 429);
    let changed = patch(
        &app,
        &admin,
        &license,
        json!({"window": "month", "resetDay": 3}),
    )
    .await;
    check(
        "PATCH",
        "/api/admin/licenses/{id}",
        answer_of(changed).await,
    );
    let added = app
        .post(
            &admin,
            &format!("{license}/top-ups"),
            json!({"calls": 3, "note": "pilot"}),
        )
        .await;
    check(
        "POST",
        "/api/admin/licenses/{id}/top-ups",
        answer_of(added).await,
    );
    let listed = app.get(&admin, &format!("{license}/top-ups")).await;
    check(
        "GET",
        "/api/admin/licenses/{id}/top-ups",
        answer_of(listed).await,
    );
    let history = app.get(&admin, &format!("{license}/history")).await;
    check(
        "GET",
        "/api/admin/licenses/{id}/history",
        answer_of(history).await,
    );
    let asked = app
        .post(
            &member,
            "/api/marketplace/request-access",
            json!({"agentId": echo, "requestReason": "more", "requestedCalls": 9}),
        )
        .await;
    let asked = answer_of(asked).await;
    let request_id = id_of(&asked.json().unwrap());
    check("POST", "/api/marketplace/request-access", asked);
    let approved = app
        .post(
            &admin,
            &format!("/api/admin/access-requests/{request_id}/approve"),
            json!({"apiCallLimit": 5, "topUpCalls": 9}),
        )
        .await;
    check(
        "POST",
        "/api/admin/access-requests/{id}/approve",
        answer_of(approved).await,
    );
    let overview = app
        .get(&admin, "/api/admin/usage/overview?window=month")
        .await;
    check(
        "GET",
        "/api/admin/usage/overview",
        answer_of(overview).await,
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
on_every_database!(
    the_new_bodies_and_answers_fit_the_published_document,
    super::answers_fit_the_document
);
