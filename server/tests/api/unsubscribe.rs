//! An email's unsubscribe link and the account's notification settings, through the API.

use abetworks::entities::enums::Role;
use abetworks::on_every_database;
use abetworks::testing::TestDatabase;
use reqwest::Client;
use serde_json::{json, Value};

use crate::common::{error_code, script_client, spawn_app, TestApp};
use crate::world::email_delivery_for;

const SETTINGS: &str = "/api/account/notification-settings";

/// Whether `client`'s user has `kind` emailed, as the settings say.
async fn emailed(app: &TestApp, client: &Client, kind: &str) -> Option<bool> {
    let settings = app.get_json(client, SETTINGS).await;
    settings["kinds"]
        .as_array()?
        .iter()
        .find(|setting| setting["kind"] == kind)?["email"]
        .as_bool()
}

async fn the_unsubscribe_page_changes_nothing_and_the_link_turns_that_kind_off_without_sign_in(
    database: TestDatabase,
) {
    let app = spawn_app(database).await;
    let (lea, lea_id) = app.signed_in("lea@example.com", Role::Member).await;
    let delivery = email_delivery_for(&app, &lea_id).await;
    let stranger = script_client();

    let page = stranger
        .get(app.url(&format!("/unsubscribe/{delivery}")))
        .send()
        .await
        .expect("an answer");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("a page");
    assert!(
        html.contains(&format!("action=\"/unsubscribe/{delivery}\"")),
        "{html}"
    );
    assert_eq!(
        emailed(&app, &lea, "usage.threshold").await,
        Some(true),
        "following the link (a prefetcher) changes nothing"
    );

    let done = stranger
        .post(app.url(&format!("/api/unsubscribe/{delivery}")))
        .send()
        .await
        .expect("an answer");
    assert_eq!(done.status(), 200);
    let body: Value = done.json().await.expect("JSON");
    assert_eq!(body, json!({"kind": "usage.threshold"}));
    assert_eq!(emailed(&app, &lea, "usage.threshold").await, Some(false));
    assert_eq!(emailed(&app, &lea, "license.revoked").await, Some(true));

    let unknown = abetworks::ids::new_id();
    let missing = stranger
        .post(app.url(&format!("/unsubscribe/{unknown}")))
        .send()
        .await
        .expect("an answer");
    assert_eq!(missing.status(), 404, "a link that names no email");
}
on_every_database!(
    the_unsubscribe_page_changes_nothing_and_the_link_turns_that_kind_off_without_sign_in
);

async fn the_page_button_unsubscribes_and_says_which_emails_stop(database: TestDatabase) {
    let app = spawn_app(database).await;
    let (lea, lea_id) = app.signed_in("lea@example.com", Role::Member).await;
    let delivery = email_delivery_for(&app, &lea_id).await;

    // Lea's own browser, signed in: the form posts from the site itself.
    let done = app
        .post(&lea, &format!("/unsubscribe/{delivery}"), json!({}))
        .await;

    assert_eq!(done.status(), 200);
    let html = done.text().await.expect("a page");
    assert!(
        html.contains("Usage at 80, 90 and 100 % of a limit"),
        "{html}"
    );
    assert_eq!(emailed(&app, &lea, "usage.threshold").await, Some(false));
}
on_every_database!(the_page_button_unsubscribes_and_says_which_emails_stop);

async fn a_member_changes_email_per_kind_but_not_for_kinds_that_never_reach_them(
    database: TestDatabase,
) {
    let app = spawn_app(database).await;
    let (lea, _) = app.signed_in("lea@example.com", Role::Member).await;
    let before = app.get_json(&lea, SETTINGS).await;
    assert_eq!(before["emailConfigured"], false, "the test app has no SMTP");
    assert_eq!(emailed(&app, &lea, "error.logged").await, None);

    let on = json!({"kinds": [{"kind": "agent.published", "email": true}]});
    let changed = app.patch(&lea, SETTINGS, on).await;
    let foreign = json!({"kinds": [{"kind": "error.logged", "email": true}]});
    let refused = app.patch(&lea, SETTINGS, foreign).await;

    assert_eq!(changed.status(), 200);
    assert_eq!(emailed(&app, &lea, "agent.published").await, Some(true));
    assert_eq!(refused.status(), 422);
    assert_eq!(error_code(refused).await, "VALIDATION_FAILED");
}
on_every_database!(a_member_changes_email_per_kind_but_not_for_kinds_that_never_reach_them);
