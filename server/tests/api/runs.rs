//! Background runs over REST: accepted at once (202, `Location`), run by a worker with its
//! progress streamed as server-sent events that resume after `Last-Event-ID` without losing or
//! repeating one, cancelled with a refund (409 once finished), and finished by another instance
//! when the one running it stops.

use std::time::Duration;

use abetworks::entities::enums::Role;
use abetworks::entities::user_agent_licenses;
use abetworks::on_every_database;
use abetworks::testing::{run_with_timeout, Backend, TestDatabase};
use reqwest::Client;
use sea_orm::EntityTrait;
use serde_json::{json, Value};

use crate::common::{id_of, script_client, serve_app, spawn_app_with_settings, stand_in, TestApp};

/// Every wait of these tests ends by then.
const PATIENCE: Duration = Duration::from_secs(30);

/// Short leases and sweeps, and workers.
const WORKERS: &[(&str, &str)] = &[
    ("ABETWORKS_RUN_WORKERS", "2"),
    ("ABETWORKS_EXECUTION_LEASE_SECS", "2"),
    ("ABETWORKS_SWEEP_INTERVAL_SECS", "1"),
];

/// A member licensed for `batch` (at most `limit` calls): their API key and the license id.
async fn licensed_member(app: &TestApp, limit: i64) -> (String, String) {
    app.sync_catalog().await;
    let admin = app.signed_in_as_root().await;
    let (member, member_id) = app.signed_in("lea@example.com", Role::Member).await;
    let batch = app.agent_id("batch").await;
    let license = id_of(
        &app.grant(&admin, &member_id, &batch, json!({"apiCallLimit": limit}))
            .await,
    );
    let key = app.api_key(&member, json!({"name": "runs"})).await;
    (key, license)
}

async fn used(app: &TestApp, license_id: &str) -> i64 {
    user_agent_licenses::Entity::find_by_id(license_id)
        .one(&app.state.db)
        .await
        .expect("the database answers")
        .expect("the license")
        .api_calls_used
}

/// `method` on `path` with the API key `key`, as a script calls.
async fn send(app: &TestApp, method: reqwest::Method, path: &str, key: &str) -> reqwest::Response {
    script_client()
        .request(method, app.url(path))
        .bearer_auth(key)
        .send()
        .await
        .expect("the server answers")
}

/// `POST /api/runs/{runId}/cancel` with the API key `key`.
async fn cancel(app: &TestApp, key: &str, run_id: &str) -> reqwest::Response {
    let path = format!("/api/runs/{run_id}/cancel");
    send(app, reqwest::Method::POST, &path, key).await
}

/// Starts a run of `batch` with `input`: the 202's run id, after checking the answer.
async fn start(app: &TestApp, key: &str, input: Value) -> String {
    let response = script_client()
        .post(app.url("/api/agents/batch/runs"))
        .bearer_auth(key)
        .json(&json!({ "input": input }))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status(), 202, "a run is accepted at once");
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .expect("a Location");
    assert!(response.headers().contains_key("ratelimit-remaining"));
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["status"], "queued");
    let run_id = body["runId"].as_str().expect("a run id").to_owned();
    assert_eq!(location, format!("/api/runs/{run_id}"));
    assert!(body["usage"]["used"].is_i64());
    run_id
}

async fn run(app: &TestApp, key: &str, run_id: &str) -> Value {
    let response = send(
        app,
        reqwest::Method::GET,
        &format!("/api/runs/{run_id}"),
        key,
    )
    .await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON")
}

/// Polls the run until `done` holds of it; panics after [`PATIENCE`].
async fn wait_for(app: &TestApp, key: &str, run_id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let until = tokio::time::Instant::now() + PATIENCE;
    loop {
        let view = run(app, key, run_id).await;
        if done(&view) {
            return view;
        }
        assert!(
            tokio::time::Instant::now() < until,
            "the run did not get there: {view}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One server-sent event: (id, event, data).
type Sent = (i64, String, Value);

/// Reads the run's event stream to its end (after `last_event_id`, when given).
async fn events(app: &TestApp, key: &str, run_id: &str, last_event_id: Option<i64>) -> Vec<Sent> {
    let mut request = Client::new()
        .get(app.url(&format!("/api/runs/{run_id}/events")))
        .bearer_auth(key);
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id.to_string());
    }
    let response = tokio::time::timeout(PATIENCE, request.send())
        .await
        .expect("the stream opens in time")
        .expect("the server answers");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    let text = tokio::time::timeout(PATIENCE, response.text())
        .await
        .expect("the stream ends after the run's last event")
        .expect("the stream is read");
    text.split("\n\n")
        .filter_map(|block| {
            let (mut id, mut event, mut data) = (None, None, None);
            for line in block.lines() {
                match line.split_once(':') {
                    Some(("id", value)) => id = value.trim().parse::<i64>().ok(),
                    Some(("event", value)) => event = Some(value.trim().to_owned()),
                    Some(("data", value)) => data = serde_json::from_str(value.trim()).ok(),
                    _ => {}
                }
            }
            Some((id?, event?, data?))
        })
        .collect()
}

async fn a_background_run_is_accepted_at_once_and_its_events_stream_in_order_and_resume(
    database: TestDatabase,
) {
    let agents = stand_in::streaming_service(5, Duration::from_millis(100)).await;
    let mut settings = WORKERS.to_vec();
    settings.push(("AGENT_SERVICE_URL", &agents));
    let app = spawn_app_with_settings(database, &settings).await;
    let (key, license) = licensed_member(&app, 5).await;

    let run_id = start(&app, &key, json!({"leads": 5})).await;
    let streamed = events(&app, &key, &run_id, None).await;
    let kinds: Vec<&str> = streamed.iter().map(|(_, kind, _)| kind.as_str()).collect();
    assert_eq!(kinds.first(), Some(&"status"));
    assert_eq!(streamed[0].2["status"], "queued");
    assert_eq!(streamed[1].2["status"], "running");
    assert!(
        kinds.contains(&"progress"),
        "progress is streamed: {kinds:?}"
    );
    assert_eq!(&kinds[kinds.len() - 2..], ["output", "status"]);
    assert_eq!(streamed.last().unwrap().2["status"], "succeeded");
    let ids: Vec<i64> = streamed.iter().map(|(id, _, _)| *id).collect();
    assert_eq!(
        ids,
        (1..=ids.len() as i64).collect::<Vec<_>>(),
        "every event once, in order"
    );
    let progress: Vec<i64> = streamed
        .iter()
        .filter(|(_, kind, _)| kind == "progress")
        .map(|(_, _, data)| data["done"].as_i64().expect("done"))
        .collect();
    assert!(
        progress.windows(2).all(|w| w[0] <= w[1]),
        "progress never goes back"
    );

    // A reconnect after any event gets exactly the rest.
    for after in [1, 2, ids.len() as i64 - 1, ids.len() as i64] {
        let resumed = events(&app, &key, &run_id, Some(after)).await;
        assert_eq!(resumed, streamed[after as usize..], "resumed after {after}");
    }

    let view = run(&app, &key, &run_id).await;
    assert_eq!(view["status"], "succeeded");
    assert_eq!(view["output"]["scored"], 5);
    assert_eq!(view["progress"]["done"], 5);
    assert_eq!(view["attempts"], 1);
    assert_eq!(used(&app, &license).await, 1);

    let mine = send(
        &app,
        reqwest::Method::GET,
        "/api/runs?status=succeeded&agentId=batch",
        &key,
    )
    .await;
    let mine: Value = mine.json().await.expect("JSON");
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["items"][0]["runId"], run_id.as_str());

    // Finished: nothing to cancel.
    let cancelled = cancel(&app, &key, &run_id).await;
    assert_eq!(cancelled.status(), 409);
    assert_eq!(used(&app, &license).await, 1);

    // Someone else's run is not theirs to see.
    let (other, _) = app.signed_in("max@example.com", Role::Member).await;
    let other_key = app.api_key(&other, json!({"name": "other"})).await;
    let hidden = send(
        &app,
        reqwest::Method::GET,
        &format!("/api/runs/{run_id}"),
        &other_key,
    )
    .await;
    assert_eq!(hidden.status(), 404);
}
on_every_database!(a_background_run_is_accepted_at_once_and_its_events_stream_in_order_and_resume);

async fn a_cancelled_run_is_refunded_whether_queued_or_running(database: TestDatabase) {
    let agents = stand_in::streaming_service(200, Duration::from_millis(100)).await;
    let url = database.url.clone();
    // No workers here: the run stays queued.
    let (queueing, serving) = serve_app(&url, &agents, &[]).await;
    let (key, license) = licensed_member(&queueing, 5).await;
    let queued = start(&queueing, &key, json!({"leads": 200})).await;
    assert_eq!(used(&queueing, &license).await, 1);
    let cancelled = cancel(&queueing, &key, &queued).await;
    assert_eq!(cancelled.status(), 200);
    let cancelled: Value = cancelled.json().await.expect("JSON");
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(
        used(&queueing, &license).await,
        0,
        "a queued run is refunded at once"
    );
    serving.abort();

    // With workers: the running run stops at its next report, and is refunded.
    let (working, _serving) = serve_app(&url, &agents, WORKERS).await;
    let running = start(&working, &key, json!({"leads": 200})).await;
    wait_for(&working, &key, &running, |v| {
        v["progress"]["done"].as_i64() > Some(0)
    })
    .await;
    let asked = cancel(&working, &key, &running).await;
    assert_eq!(asked.status(), 200);
    let asked: Value = asked.json().await.expect("JSON");
    assert_eq!(asked["cancelRequested"], true);
    let view = wait_for(&working, &key, &running, |v| v["status"] == "cancelled").await;
    assert!(
        view["progress"]["done"].as_i64() < Some(200),
        "stopped before the end"
    );
    assert_eq!(
        used(&working, &license).await,
        0,
        "a cancelled run is refunded"
    );
    let streamed = events(&working, &key, &running, None).await;
    assert_eq!(
        streamed.last().map(|e| e.2["status"].clone()),
        Some(json!("cancelled"))
    );
    assert_eq!(cancel(&working, &key, &running).await.status(), 409);
}
on_every_database!(a_cancelled_run_is_refunded_whether_queued_or_running);

/// Two instances on one PostgreSQL database: the run accepted and started by the first is
/// finished by the second once the first stops and its lease ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_run_accepted_by_an_instance_that_stops_is_finished_by_another() {
    let Some(database) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    run_with_timeout(database, |database| async move {
        let agents = stand_in::streaming_service(3, Duration::from_millis(100)).await;
        let url = database.url.clone();
        let (first, serving) = serve_app(&url, &agents, WORKERS).await;
        let (key, license) = licensed_member(&first, 5).await;
        let run_id = start(&first, &key, json!({"hangFirst": true})).await;
        let taken = wait_for(&first, &key, &run_id, |v| {
            v["status"] == "running" && v["progress"].is_object()
        })
        .await;
        assert_eq!(taken["attempts"], 1);
        let row = abetworks::entities::module_executions::Entity::find_by_id(run_id.clone())
            .one(&first.state.db)
            .await
            .expect("the database answers")
            .expect("the run");
        assert_eq!(row.lease_owner.as_deref(), Some(&*first.state.instance_id));

        // The first instance stops (its workers and their agent streams with it).
        serving.abort();
        let (second, _serving) = serve_app(&url, &agents, WORKERS).await;
        let finished = wait_for(&second, &key, &run_id, |v| v["status"] == "succeeded").await;
        assert_eq!(finished["attempts"], 2);
        assert_eq!(finished["output"]["scored"], 3);
        assert_eq!(used(&second, &license).await, 1, "counted once");
        let streamed = events(&second, &key, &run_id, None).await;
        let statuses: Vec<String> = streamed
            .iter()
            .filter(|(_, kind, _)| kind == "status")
            .map(|(_, _, data)| data["status"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(
            statuses,
            ["queued", "running", "queued", "running", "succeeded"]
        );
        drop(database);
    })
    .await;
}
