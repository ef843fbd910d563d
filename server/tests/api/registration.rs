//! Registration is throttled per client address, over REST and the server function alike.

use abetworks::auth::{MAX_REGISTRATIONS_PER_IP, REGISTRATION_WINDOW_MINUTES};
use abetworks::entities::users;
use abetworks::on_every_database;
use abetworks::testing::TestDatabase;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::common::{spawn_app, PASSWORD};

/// The `Retry-After` seconds of a throttled answer, checked to lie within the window.
fn retry_after(response: &reqwest::Response) -> u64 {
    let secs: u64 = response
        .headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        secs > 0 && secs <= REGISTRATION_WINDOW_MINUTES as u64 * 60,
        "{secs}"
    );
    secs
}

async fn registrations_over_the_limit_from_one_address_answer_429_with_retry_after(
    database: TestDatabase,
) {
    let app = spawn_app(database).await;
    let register =
        |n: u64| json!({"email": format!("r{n}@example.com"), "password": PASSWORD, "name": "Reg"});
    for n in 0..MAX_REGISTRATIONS_PER_IP {
        let response = app
            .post(&app.new_client(), "/api/auth/register", register(n))
            .await;
        assert_eq!(response.status(), 201, "registration {n}");
    }

    let refused = app
        .post(&app.new_client(), "/api/auth/register", register(99))
        .await;
    assert_eq!(refused.status(), 429);
    retry_after(&refused);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "RATE_LIMITED", "{body}");

    // The server function refuses the same address the same way.
    let refused = app
        .new_client()
        .post(app.url("/api/ui/auth/register"))
        .form(&[
            ("name", "Reg"),
            ("email", "r100@example.com"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    retry_after(&refused);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "RATE_LIMITED", "{body}");

    let made = users::Entity::find()
        .filter(users::Column::Email.is_in(["r99@example.com", "r100@example.com"]))
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(made.is_empty(), "no account for a refused registration");
}
on_every_database!(registrations_over_the_limit_from_one_address_answer_429_with_retry_after);
