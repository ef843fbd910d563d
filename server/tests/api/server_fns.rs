//! Server functions answer their errors with the shared error body and the status of its
//! code, like the REST API (they are POSTed to `/api/<endpoint>` with form-encoded arguments).

use abetworks::entities::enums::Role;
use abetworks::on_every_database;
use abetworks::testing::TestDatabase;
use serde_json::Value;

use crate::common::{spawn_app, TestApp};

/// Calls the server function at `endpoint` with `args`; returns the status and the JSON body.
async fn call(
    app: &TestApp,
    client: &reqwest::Client,
    endpoint: &str,
    args: &[(&str, &str)],
) -> (u16, Value) {
    let response = client
        .post(app.url(&format!("/api/{endpoint}")))
        .form(args)
        .send()
        .await
        .expect("the request is sent");
    let status = response.status().as_u16();
    let body = response.json().await.expect("a JSON error body");
    (status, body)
}

async fn a_server_function_refusing_bad_credentials_or_a_member_answers_401_or_403_with_the_code(
    database: TestDatabase,
) {
    let app = spawn_app(database).await;
    app.create_user("una@example.com", Role::Member).await;

    let (status, body) = call(
        &app,
        &app.new_client(),
        "ui/auth/login",
        &[
            ("email", "una@example.com"),
            ("password", "not-the-password"),
        ],
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], "INVALID_CREDENTIALS");

    let (status, body) = call(&app, &app.new_client(), "admin-ui/licenses", &[]).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], "UNAUTHENTICATED");

    let (member, _) = app.signed_in("vic@example.com", Role::Member).await;
    let (status, body) = call(&app, &member, "admin-ui/licenses", &[]).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "FORBIDDEN");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
}
on_every_database!(
    a_server_function_refusing_bad_credentials_or_a_member_answers_401_or_403_with_the_code
);
