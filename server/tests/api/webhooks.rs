//! Outbound webhooks end to end: endpoints managed by the super admin (the secret shown once),
//! private addresses refused unless allowed, and deliveries to a receiver on loopback — signed
//! per Standard Webhooks (checked here with ring's HMAC, not the server's code), retried after
//! backoff, logged, sent again on request, and sent again after the server was killed
//! mid-delivery. Every wait is bounded polling; no assertion depends on a tight timing.

use std::time::Duration;

use abetworks::entities::enums::{EventType, Role};
use abetworks::on_every_database;
use abetworks::outbox::{self, NewEvent};
use abetworks::testing::TestDatabase;
use axum::http::StatusCode;
use sea_orm::DatabaseConnection;
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::common::{
    error_code, serve_app, spawn_app, spawn_app_with_settings, TestApp, NO_AGENT_SERVICE,
};

mod receiver;
mod restart;

use receiver::{signed_correctly, Receiver};

/// The longest any one wait of these tests may take.
const WAIT_LIMIT: Duration = Duration::from_secs(60);

/// Short delivery settings, so retries come quickly; private addresses allowed (the receiver
/// is on loopback).
const QUICK: [(&str, &str); 4] = [
    ("ABETWORKS_WEBHOOK_ALLOW_PRIVATE", "true"),
    ("ABETWORKS_DELIVERY_POLL_MS", "50"),
    ("ABETWORKS_DELIVERY_RETRY_BASE_MS", "100"),
    ("ABETWORKS_DELIVERY_LEASE_SECS", "2"),
];

/// Waits (at most [`WAIT_LIMIT`]) until `done` holds, or fails saying `what`.
async fn wait_until<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !done().await {
        assert!(
            started.elapsed() < WAIT_LIMIT,
            "{what} within {WAIT_LIMIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `POST /api/admin/webhooks` as `admin` for `url` and `agent.published`: the answer's status
/// and body.
async fn register(app: &TestApp, admin: &reqwest::Client, url: &str) -> (u16, Value) {
    let body = json!({"url": url, "events": ["agent.published"], "description": "a receiver"});
    let response = app.post(admin, "/api/admin/webhooks", body).await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// An `agent.published` event, written to the outbox as its cause would; its id.
async fn publish_event(db: &DatabaseConnection) -> String {
    let payload = json!({"agentId": abetworks::ids::new_id(), "agentName": "Echo",
        "agentSlug": "echo", "category": "Testing"});
    outbox::emit(db, NewEvent::new(EventType::AgentPublished, None, payload))
        .await
        .expect("the event is written")
}

/// The endpoint's delivery log, as the super admin reads it.
async fn delivery_log(app: &TestApp, admin: &reqwest::Client, endpoint: &str) -> Vec<Value> {
    let log = app
        .get_json(admin, &format!("/api/admin/webhooks/{endpoint}/deliveries"))
        .await;
    log["items"]
        .as_array()
        .expect("a page of deliveries")
        .clone()
}

/// A receiver answering `answer`, a server with the [`QUICK`] settings and the receiver
/// registered there by the super admin: the receiver, the server, the admin's client and the
/// registration's status and body.
async fn quick_app_with_receiver(
    db: TestDatabase,
    answer: fn(usize) -> StatusCode,
) -> (Receiver, TestApp, reqwest::Client, (u16, Value)) {
    let receiver = Receiver::start(answer).await;
    let app = spawn_app_with_settings(db, &QUICK).await;
    let admin = app.signed_in_as_root().await;
    let registered = register(&app, &admin, &receiver.url).await;
    (receiver, app, admin, registered)
}

/// The id of the endpoint in a registration's body.
fn endpoint_id(created: &Value) -> String {
    created["endpoint"]["id"].as_str().unwrap().to_owned()
}

/// Waits until the endpoint's latest delivery has succeeded.
async fn wait_until_delivered(app: &TestApp, admin: &reqwest::Client, endpoint: &str) {
    wait_until("the delivery succeeds", || async {
        let log = delivery_log(app, admin, endpoint).await;
        log.first().is_some_and(|d| d["status"] == "succeeded")
    })
    .await;
}

async fn an_endpoint_shows_its_secret_once_and_is_listed_changed_and_removed(db: TestDatabase) {
    let app = spawn_app(db).await;
    let admin = app.signed_in_as_root().await;
    let (status, created) = register(&app, &admin, "https://203.0.113.10/hook").await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().expect("the secret").to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let id = created["endpoint"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    assert_eq!(created["endpoint"]["events"], json!(["agent.published"]));
    assert_eq!(created["endpoint"]["status"], "active");

    let listed = app
        .get(&admin, "/api/admin/webhooks")
        .await
        .text()
        .await
        .unwrap();
    assert!(listed.contains(&id), "{listed}");
    assert!(!listed.contains(&secret), "the secret is never shown again");
    assert!(!listed.contains("whsec_"), "{listed}");

    let path = format!("/api/admin/webhooks/{id}");
    let change = json!({"events": ["error.logged", "usage.threshold"], "status": "disabled"});
    let changed = app.patch(&admin, &path, change).await;
    assert_eq!(changed.status(), 200);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(
        changed["events"],
        json!(["error.logged", "usage.threshold"])
    );
    assert_eq!(changed["status"], "disabled");
    assert!(!changed.to_string().contains(&secret));
    let unknown_field = app.patch(&admin, &path, json!({"secret": "whsec_x"})).await;
    assert_eq!(unknown_field.status(), 422);

    assert_eq!(app.delete(&admin, &path).await.status(), 204);
    assert_eq!(app.delete(&admin, &path).await.status(), 404);
    let listed = app.get_json(&admin, "/api/admin/webhooks").await;
    assert_eq!(listed["total"], 0);
}
on_every_database!(an_endpoint_shows_its_secret_once_and_is_listed_changed_and_removed);

async fn loopback_and_private_urls_are_refused_with_422_unless_private_addresses_are_allowed(
    db: TestDatabase,
) {
    let url = db.url.clone();
    let app = spawn_app(db).await;
    let admin = app.signed_in_as_root().await;
    for target in [
        "http://127.0.0.1:8080/hook",
        "http://localhost:8080/hook",
        "http://[::1]/hook",
        "http://10.1.2.3/hook",
        "http://192.168.1.20/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/hook",
        "http://[fd00::1]/hook",
    ] {
        let body = json!({"url": target, "events": ["agent.published"]});
        let response = app.post(&admin, "/api/admin/webhooks", body).await;
        assert_eq!(response.status(), 422, "{target}");
        let error: Value = response.json().await.unwrap();
        let field = &error["error"]["fields"][0];
        let message = field["message"].as_str().unwrap_or_default();
        assert!(
            field["field"] == "url" && message.contains("private address"),
            "{target}: {error}"
        );
    }
    let no_events = json!({"url": "https://203.0.113.10/", "events": []});
    let response = app.post(&admin, "/api/admin/webhooks", no_events).await;
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("events"));
    let listed = app.get_json(&admin, "/api/admin/webhooks").await;
    assert_eq!(listed["total"], 0, "nothing refused was saved");

    // A second instance on the same database, with private addresses allowed.
    let (allowed, _serving) = serve_app(&url, NO_AGENT_SERVICE, &QUICK).await;
    let admin = allowed.new_client();
    let login = allowed
        .login(&admin, crate::common::ROOT, crate::common::PASSWORD)
        .await;
    assert_eq!(login.status(), 200);
    let (status, created) = register(&allowed, &admin, "http://127.0.0.1:8080/hook").await;
    assert_eq!(status, 201, "{created}");
    let member = app.signed_in("member@example.com", Role::Member).await.0;
    let response = app.post(&member, "/api/admin/webhooks", json!({})).await;
    assert_eq!(error_code(response).await, "FORBIDDEN");
}
on_every_database!(
    loopback_and_private_urls_are_refused_with_422_unless_private_addresses_are_allowed
);

async fn a_receiver_failing_three_times_gets_the_event_once_accepted_signed_after_backoff(
    db: TestDatabase,
) {
    let (receiver, app, admin, (status, created)) = quick_app_with_receiver(db, |n| {
        if n < 3 {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::OK
        }
    })
    .await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    let endpoint = endpoint_id(&created);

    let event_id = publish_event(&app.state.db).await;
    wait_until_delivered(&app, &admin, &endpoint).await;
    // A few more polls: an accepted event is not sent again.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let got = receiver.received();
    assert_eq!(got.len(), 4, "three failures and one success: {got:?}");
    for request in &got {
        assert_eq!(request.id, event_id, "every attempt carries the event id");
        assert!(signed_correctly(&secret, request), "{request:?}");
        let body: Value = serde_json::from_str(&request.body).expect("a JSON body");
        assert_eq!(body["type"], "agent.published");
        assert_eq!(body["data"]["agentSlug"], "echo");
        let timestamp = body["timestamp"].as_str().expect("a timestamp");
        chrono::DateTime::parse_from_rfc3339(timestamp).expect("RFC 3339");
        let sent_at: i64 = request.timestamp.parse().expect("unix seconds");
        assert!((sent_at - chrono::Utc::now().timestamp()).abs() < 300);
    }
    assert_eq!(got[0].body, got[3].body, "the same body at every attempt");
    // Each retry waits at least half its backoff (100, 200, 400 ms): 350 ms in all.
    let gaps: Vec<Duration> = got.windows(2).map(|w| w[1].at - w[0].at).collect();
    assert!(
        gaps.iter().all(|gap| *gap >= Duration::from_millis(40)),
        "{gaps:?}"
    );
    assert!(
        got[3].at - got[0].at >= Duration::from_millis(300),
        "{gaps:?}"
    );

    let log = delivery_log(&app, &admin, &endpoint).await;
    assert_eq!(log.len(), 1);
    let delivery = &log[0];
    assert_eq!(delivery["eventId"], event_id.as_str());
    assert_eq!(delivery["eventType"], "agent.published");
    assert_eq!(delivery["attempts"], 4);
    assert_eq!(delivery["lastStatusCode"], 200);
    assert!(delivery["lastLatencyMs"].as_i64().is_some_and(|ms| ms >= 0));
    assert!(delivery["deliveredAt"].is_string());
    assert!(delivery["lastError"].is_null());

    let metrics = app.get(&app.client, "/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("abetworks_deliveries_total{"),
        "deliveries are counted"
    );
    assert!(
        metrics.contains("abetworks_webhook_latency_seconds"),
        "latency is measured"
    );
}
on_every_database!(
    a_receiver_failing_three_times_gets_the_event_once_accepted_signed_after_backoff
);

async fn the_log_shows_a_failing_answer_and_a_manual_redeliver_sends_the_event_again(
    db: TestDatabase,
) {
    let (receiver, app, admin, (_, created)) = quick_app_with_receiver(db, |n| {
        if n == 0 {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        }
    })
    .await;
    let endpoint = endpoint_id(&created);
    let event_id = publish_event(&app.state.db).await;
    wait_until_delivered(&app, &admin, &endpoint).await;
    let delivery = delivery_log(&app, &admin, &endpoint).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let path = format!("/api/admin/webhooks/{endpoint}/deliveries/{delivery}/redeliver");
    let again = app.post(&admin, &path, json!({})).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(
        (again["status"].as_str(), again["attempts"].as_i64()),
        (Some("pending"), Some(1))
    );
    wait_until("the redelivery is attempted and fails", || async {
        let log = delivery_log(&app, &admin, &endpoint).await;
        log.first()
            .is_some_and(|d| d["attempts"].as_i64() >= Some(2))
    })
    .await;
    let got = receiver.received();
    assert!(got.len() >= 2, "{got:?}");
    assert!(
        got.iter().all(|r| r.id == event_id),
        "the same webhook-id again"
    );
    let log = delivery_log(&app, &admin, &endpoint).await;
    assert_eq!(log[0]["lastStatusCode"], 503);
    assert!(
        log[0]["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("503")),
        "{}",
        log[0]
    );

    let other = endpoint_id(&register(&app, &admin, &receiver.url).await.1);
    let foreign = format!("/api/admin/webhooks/{other}/deliveries/{delivery}/redeliver");
    assert_eq!(app.post(&admin, &foreign, json!({})).await.status(), 404);
}
on_every_database!(the_log_shows_a_failing_answer_and_a_manual_redeliver_sends_the_event_again);
