//! Behind a reverse proxy: forwarding headers are believed only from trusted proxies.

use abetworks::entities::enums::Role;
use abetworks::on_every_database;
use abetworks::testing::TestDatabase;
use serde_json::json;

use crate::common::{spawn_app, spawn_app_with_settings, TestApp, PASSWORD};

/// 51 failed sign-ins (one more than an address may make), each for another email so the
/// per-email throttle does not interfere, all forwarded for `client`.
async fn fail_from(app: &TestApp, client: &str) {
    let http = app.new_client();
    for i in 0..51 {
        let r = http
            .post(app.url("/api/auth/login"))
            .header("x-forwarded-for", client)
            .json(&json!({"email": format!("guess{i}@example.com"), "password": "wrong-password"}))
            .send()
            .await
            .expect("the request is sent");
        assert_eq!(r.status(), 401, "failure {i} is refused, not throttled yet");
    }
}

/// The `Set-Cookie` header of a sign-in, empty when there is none.
fn session_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn sign_in_from(app: &TestApp, client: &str) -> reqwest::Response {
    app.new_client()
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-for", client)
        .header("x-forwarded-proto", "https")
        .json(&json!({"email": "gil@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("the request is sent")
}

async fn trusted_proxy_separates_clients(database: TestDatabase) {
    let app =
        spawn_app_with_settings(database, &[("ABETWORKS_TRUSTED_PROXIES", "127.0.0.1")]).await;
    app.create_user("gil@example.com", Role::Member).await;
    fail_from(&app, "203.0.113.1").await;
    let throttled = sign_in_from(&app, "203.0.113.1").await;
    assert_eq!(throttled.status(), 429, "the failing client is throttled");
    assert!(throttled.headers().get("retry-after").is_some());
    let other = sign_in_from(&app, "203.0.113.2").await;
    assert_eq!(
        other.status(),
        200,
        "another client behind the same proxy is not"
    );
    let cookie = session_cookie(&other);
    assert!(
        cookie.contains("Secure"),
        "HTTPS forwarded by a trusted proxy marks the session cookie Secure: {cookie}"
    );
}
on_every_database!(
    through_a_trusted_proxy_two_clients_are_throttled_separately,
    super::trusted_proxy_separates_clients
);

async fn untrusted_headers_are_ignored(database: TestDatabase) {
    let app = spawn_app(database).await;
    app.create_user("gil@example.com", Role::Member).await;
    // Every failure claims another address; with no trusted proxy they all count for the peer.
    let http = app.new_client();
    for i in 0..51 {
        let r = http
            .post(app.url("/api/auth/login"))
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .header("forwarded", format!("for=198.51.101.{i}"))
            .json(&json!({"email": format!("guess{i}@example.com"), "password": "wrong-password"}))
            .send()
            .await
            .expect("the request is sent");
        assert_eq!(r.status(), 401);
    }
    let spoofed = sign_in_from(&app, "192.0.2.77").await;
    assert_eq!(
        spoofed.status(),
        429,
        "a spoofed header from an untrusted peer does not escape the peer's throttle"
    );
    let cookie = session_cookie(&spoofed);
    assert!(
        !cookie.contains("Secure"),
        "an untrusted proto header changes nothing"
    );
}
on_every_database!(
    a_spoofed_forwarding_header_from_an_untrusted_peer_changes_nothing,
    super::untrusted_headers_are_ignored
);
