//! A user's notifications over REST: their own only, newest first, read one or all (someone
//! else's is 404), and pushed live as server-sent events that resume after `Last-Event-ID`,
//! through any instance on the same database.

use std::time::Duration;

use abetworks::entities::enums::{EventType, Role};
use abetworks::entities::notifications;
use abetworks::ids::new_id;
use abetworks::on_every_database;
use abetworks::testing::TestDatabase;
use chrono::Utc;
use reqwest::{Client, Response};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use serde_json::Value;

use crate::common::{script_client, spawn_app, spawn_app_on_url, TestApp, NO_AGENT_SERVICE};

/// Every wait of these tests ends by then.
const PATIENCE: Duration = Duration::from_secs(20);

/// Writes a notification for `user_id` as the outbox dispatcher would (any instance's), read
/// or not: its id.
async fn notify(db: &DatabaseConnection, user_id: &str, title: &str, read: bool) -> String {
    let id = new_id();
    notifications::ActiveModel {
        id: Set(id.clone()),
        user_id: Set(user_id.to_owned()),
        kind: Set(EventType::AccessRequestApproved),
        title: Set(title.to_owned()),
        body: Set(format!("{title}, in full")),
        link: Set(Some("/my-agents".into())),
        read_at: Set(read.then(Utc::now)),
        created_at: Set(Utc::now()),
        event_id: Set(None),
    }
    .insert(db)
    .await
    .expect("the notification is written");
    id
}

/// The titles of a list answer, in order.
fn titles(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|n| n["title"].as_str().expect("a title"))
        .collect()
}

async fn a_user_lists_only_their_own_notifications_newest_first_and_can_keep_the_unread(
    database: TestDatabase,
) {
    let app = spawn_app(database).await;
    let (member, member_id) = app.signed_in("nia@example.com", Role::Member).await;
    let other_id = app.create_user("oto@example.com", Role::Member).await;
    notify(&app.state.db, &member_id, "first", true).await;
    notify(&app.state.db, &other_id, "not hers", false).await;
    notify(&app.state.db, &member_id, "second", false).await;

    let all = app.get_json(&member, "/api/notifications").await;
    let unread = app
        .get_json(&member, "/api/notifications?unread=true&page=1&pageSize=10")
        .await;

    assert_eq!(titles(&all), ["second", "first"]);
    assert_eq!(all["total"], 2);
    assert_eq!(titles(&unread), ["second"]);
    assert!(all["items"][1]["readAt"].is_string());
    assert_eq!(all["items"][0]["kind"], "access_request.approved");
    assert_eq!(all["items"][0]["link"], "/my-agents");
}
on_every_database!(a_user_lists_only_their_own_notifications_newest_first_and_can_keep_the_unread);

async fn one_or_all_notifications_are_marked_read_and_another_users_is_not_found(
    database: TestDatabase,
) {
    let app = spawn_app(database).await;
    let (member, member_id) = app.signed_in("pia@example.com", Role::Member).await;
    let other_id = app.create_user("quy@example.com", Role::Member).await;
    let one = notify(&app.state.db, &member_id, "one", false).await;
    notify(&app.state.db, &member_id, "two", false).await;
    let theirs = notify(&app.state.db, &other_id, "theirs", false).await;

    let read = app
        .post(
            &member,
            &format!("/api/notifications/{one}/read"),
            Value::Null,
        )
        .await;
    assert_eq!(read.status(), 200);
    let read: Value = read.json().await.expect("the notification");
    assert_eq!(read["id"], one.as_str());
    assert!(read["readAt"].is_string());
    let unread = app
        .get_json(&member, "/api/notifications?unread=true")
        .await;
    assert_eq!(titles(&unread), ["two"]);

    let foreign = app
        .post(
            &member,
            &format!("/api/notifications/{theirs}/read"),
            Value::Null,
        )
        .await;
    assert_eq!(
        foreign.status(),
        404,
        "someone else's notification is not found"
    );

    let all = app
        .post(&member, "/api/notifications/read-all", Value::Null)
        .await;
    assert_eq!(all.status(), 204);
    let unread = app
        .get_json(&member, "/api/notifications?unread=true")
        .await;
    assert_eq!(unread["total"], 0);
}
on_every_database!(one_or_all_notifications_are_marked_read_and_another_users_is_not_found);

/// One server-sent event: its id, name and JSON data.
#[derive(Debug)]
struct Sent {
    id: String,
    event: String,
    data: Value,
}

/// An open event stream, read event by event.
struct EventStream {
    response: Response,
    buffer: String,
}

impl EventStream {
    /// Opens `GET /api/notifications/stream` with `client` (a session's cookie or, with `key`,
    /// an API key), after `last_event_id` when given.
    async fn open(
        app: &TestApp,
        client: &Client,
        key: Option<&str>,
        last_event_id: Option<&str>,
    ) -> Self {
        let mut request = client.get(app.url("/api/notifications/stream"));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = tokio::time::timeout(PATIENCE, request.send())
            .await
            .expect("the stream opens in time")
            .expect("the server answers");
        assert_eq!(response.status(), 200);
        let content_type = response.headers().get("content-type").cloned();
        assert_eq!(
            content_type.as_ref().and_then(|v| v.to_str().ok()),
            Some("text/event-stream")
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (keep-alive comments skipped); panics after [`PATIENCE`].
    async fn next(&mut self) -> Sent {
        tokio::time::timeout(PATIENCE, self.read_event())
            .await
            .expect("an event arrives in time")
    }

    async fn read_event(&mut self) -> Sent {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(sent) = parse(&block) {
                    return sent;
                }
            }
            let chunk = self
                .response
                .chunk()
                .await
                .expect("the stream is read")
                .expect("the stream stays open");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

fn parse(block: &str) -> Option<Sent> {
    let (mut id, mut event, mut data) = (None, None, None);
    for line in block.lines() {
        match line.split_once(':') {
            Some(("id", value)) => id = Some(value.trim().to_owned()),
            Some(("event", value)) => event = Some(value.trim().to_owned()),
            Some(("data", value)) => data = serde_json::from_str(value.trim()).ok(),
            _ => {}
        }
    }
    Some(Sent {
        id: id?,
        event: event?,
        data: data?,
    })
}

async fn the_stream_pushes_a_new_notification_and_replays_the_missed_after_last_event_id(
    database: TestDatabase,
) {
    let app = spawn_app(database).await;
    let (member, member_id) = app.signed_in("ria@example.com", Role::Member).await;
    let other_id = app.create_user("sol@example.com", Role::Member).await;
    let key = app
        .api_key(&member, serde_json::json!({"name": "stream"}))
        .await;

    // With the session cookie.
    let mut stream = EventStream::open(&app, &member, None, None).await;
    notify(&app.state.db, &other_id, "not hers", false).await;
    let first = notify(&app.state.db, &member_id, "approved", false).await;
    let sent = stream.next().await;
    assert_eq!(sent.event, "notification");
    assert_eq!(sent.id, first);
    assert_eq!(sent.data["notification"]["id"], first.as_str());
    assert_eq!(sent.data["notification"]["title"], "approved");
    assert_eq!(sent.data["notification"]["link"], "/my-agents");
    assert_eq!(sent.data["unread"], 1);
    drop(stream);

    // Written while nobody listened; an API key resumes after the first.
    let second = notify(&app.state.db, &member_id, "second", false).await;
    let third = notify(&app.state.db, &member_id, "third", false).await;
    let mut resumed = EventStream::open(&app, &script_client(), Some(&key), Some(&first)).await;
    let (a, b) = (resumed.next().await, resumed.next().await);
    assert_eq!(
        [a.id.as_str(), b.id.as_str()],
        [second.as_str(), third.as_str()]
    );
    assert_eq!(b.data["unread"], 3);
    // Live again after the replay, without repeating it.
    let fourth = notify(&app.state.db, &member_id, "fourth", false).await;
    assert_eq!(resumed.next().await.id, fourth);
}
on_every_database!(the_stream_pushes_a_new_notification_and_replays_the_missed_after_last_event_id);

async fn a_notification_written_through_one_instance_reaches_a_stream_on_another(
    database: TestDatabase,
) {
    let first = spawn_app_on_url(&database.url, NO_AGENT_SERVICE).await;
    let second = spawn_app_on_url(&database.url, NO_AGENT_SERVICE).await;
    let (member, member_id) = second.signed_in("tom@example.com", Role::Member).await;
    let mut stream = EventStream::open(&second, &member, None, None).await;

    let id = notify(&first.state.db, &member_id, "from the first", false).await;

    let sent = stream.next().await;
    assert_eq!(sent.id, id);
    assert_eq!(sent.data["notification"]["title"], "from the first");
    drop(database);
}
on_every_database!(a_notification_written_through_one_instance_reaches_a_stream_on_another);
