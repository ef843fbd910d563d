//! The outbox end to end: 100 concurrent calls that cross 80 %, 90 % and 100 % of a license
//! give exactly one notification, one email (to a local SMTP sink) and one webhook delivery
//! (to a loopback receiver) per threshold, on SQLite and PostgreSQL.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use abetworks::entities::enums::{DeliveryStatus, EventType, Role};
use abetworks::entities::{deliveries, notifications, outbox_events};
use abetworks::on_every_database;
use abetworks::testing::smtp_sink::SmtpSink;
use abetworks::testing::TestDatabase;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::common::stand_in;
use crate::common::{script_client, serve_app, TestApp};

/// What a loopback webhook receiver got: each body by its `webhook-id`, every attempt kept.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<(String, Value)>>>);

impl Received {
    fn all(&self) -> Vec<(String, Value)> {
        self.0.lock().map(|got| got.clone()).unwrap_or_default()
    }
}

/// A webhook receiver on 127.0.0.1 that accepts everything (204); its URL.
async fn webhook_receiver(received: Received) -> String {
    let router = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: String| {
            let received = received.clone();
            async move {
                let id = headers
                    .get("webhook-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let body = serde_json::from_str(&body).unwrap_or(Value::Null);
                if let Ok(mut got) = received.0.lock() {
                    got.push((id, body));
                }
                StatusCode::NO_CONTENT
            }
        }),
    );
    format!("{}/hook", stand_in::serve(router).await)
}

/// The threshold (80, 90, 100) of the usage event `event_id`.
async fn threshold_of(app: &TestApp, event_id: &str) -> i64 {
    let event = outbox_events::Entity::find_by_id(event_id.to_owned())
        .one(&app.state.db)
        .await
        .expect("a query")
        .expect("the event");
    assert_eq!(event.event_type, EventType::UsageThreshold);
    event.payload["threshold"].as_i64().expect("a threshold")
}

/// How many of each threshold: `{80: n, 90: n, 100: n}`.
type PerThreshold = BTreeMap<i64, usize>;

fn tally(thresholds: impl IntoIterator<Item = i64>) -> PerThreshold {
    let mut tally = PerThreshold::new();
    for threshold in thresholds {
        *tally.entry(threshold).or_default() += 1;
    }
    tally
}

/// The usage notifications, emails and webhook deliveries so far, per threshold, and whether
/// the outbox and the deliveries are all done.
struct Seen {
    notifications: PerThreshold,
    emails: PerThreshold,
    webhooks: PerThreshold,
    settled: bool,
}

async fn seen(app: &TestApp, sink: &SmtpSink, received: &Received, member_id: &str) -> Seen {
    let db = &app.state.db;
    let rows = notifications::Entity::find()
        .filter(notifications::Column::UserId.eq(member_id))
        .filter(notifications::Column::Kind.eq(EventType::UsageThreshold))
        .all(db)
        .await
        .expect("notifications");
    let mut notified = Vec::new();
    for row in rows {
        notified.push(threshold_of(app, row.event_id.as_deref().expect("an event")).await);
    }
    // Each email names its delivery in its one-click unsubscribe link.
    let mut emailed = Vec::new();
    for mail in sink.messages() {
        let header = mail.header("List-Unsubscribe").expect("List-Unsubscribe");
        let delivery_id = header
            .trim_matches(['<', '>'])
            .rsplit('/')
            .next()
            .expect("a delivery id")
            .to_owned();
        let delivery = deliveries::Entity::find_by_id(delivery_id)
            .one(db)
            .await
            .expect("a query")
            .expect("the email's delivery");
        let event = outbox_events::Entity::find_by_id(delivery.event_id.clone())
            .one(db)
            .await
            .expect("a query")
            .expect("the event");
        if event.event_type == EventType::UsageThreshold {
            emailed.push(threshold_of(app, &event.id).await);
        }
    }
    let mut hooked = Vec::new();
    for (id, body) in received.all() {
        assert_eq!(body["type"], "usage.threshold", "only usage is subscribed");
        assert_eq!(threshold_of(app, &id).await, body["data"]["threshold"]);
        hooked.push(body["data"]["threshold"].as_i64().expect("a threshold"));
    }
    let undispatched = outbox_events::Entity::find()
        .filter(outbox_events::Column::DispatchedAt.is_null())
        .all(db)
        .await
        .expect("events");
    let pending = deliveries::Entity::find()
        .filter(deliveries::Column::Status.eq(DeliveryStatus::Pending))
        .all(db)
        .await
        .expect("deliveries");
    Seen {
        notifications: tally(notified),
        emails: tally(emailed),
        webhooks: tally(hooked),
        settled: undispatched.is_empty() && pending.is_empty(),
    }
}

async fn a_hundred_concurrent_calls_crossing_80_90_and_100_percent_notify_email_and_call_the_webhook_once_per_threshold(
    database: TestDatabase,
) {
    let sink = SmtpSink::start().await;
    let received = Received::default();
    let hook = webhook_receiver(received.clone()).await;
    let agents = stand_in::start().await;
    let smtp = sink.url();
    let settings = [
        ("ABETWORKS_SMTP_URL", smtp.as_str()),
        ("ABETWORKS_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("ABETWORKS_OUTBOX_POLL_MS", "50"),
        ("ABETWORKS_DELIVERY_POLL_MS", "50"),
    ];
    let (app, _serving) = serve_app(&database.url, &agents, &settings).await;
    app.sync_catalog().await;
    let admin = app.signed_in_as_root().await;
    let echo = app.agent_id("echo").await;
    let (member, member_id) = app.signed_in("lea@example.com", Role::Member).await;
    app.grant(&admin, &member_id, &echo, json!({"apiCallLimit": 100}))
        .await;
    let webhook = json!({"url": hook, "events": ["usage.threshold"], "description": "flow"});
    let created = app.post(&admin, "/api/admin/webhooks", webhook).await;
    assert_eq!(created.status(), 201, "the webhook is registered");
    let key = app.api_key(&member, json!({"name": "load"})).await;

    let client = script_client();
    let calls: Vec<_> = (0..100)
        .map(|n| {
            let request = client
                .post(app.url(&format!("/api/agents/{echo}/execute")))
                .bearer_auth(&key)
                .json(&json!({"input": {"n": n}}));
            tokio::spawn(async move { request.send().await.expect("an answer").status() })
        })
        .collect();
    for call in calls {
        assert_eq!(
            call.await.expect("the call ran"),
            200,
            "every call is admitted"
        );
    }

    let once_each: PerThreshold = [(80, 1), (90, 1), (100, 1)].into();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = seen(&app, &sink, &received, &member_id).await;
        let complete = now.settled
            && now.notifications == once_each
            && now.emails == once_each
            && now.webhooks == once_each;
        if complete || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A few more dispatcher and worker rounds: nothing more may arrive.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let last = seen(&app, &sink, &received, &member_id).await;
    assert!(
        last.settled,
        "the outbox is drained and every delivery done"
    );
    assert_eq!(
        last.notifications, once_each,
        "one notification per threshold"
    );
    assert_eq!(last.emails, once_each, "one email per threshold");
    assert_eq!(
        last.webhooks, once_each,
        "one webhook delivery per threshold"
    );
    let ids: Vec<String> = received.all().into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), 3, "no delivery was repeated: {ids:?}");
}
on_every_database!(
    a_hundred_concurrent_calls_crossing_80_90_and_100_percent_notify_email_and_call_the_webhook_once_per_threshold
);
