//! Behind a reverse proxy: forwarding headers are believed only from trusted proxies.

use abetworks::entities::enums::Role;
use abetworks::on_every_database;
use abetworks::testing::TestDatabase;
use serde_json::json;

use crate::common::{spawn_app, spawn_app_with_settings, TestApp, PASSWORD};

/// 51 failed sign-ins (one more than an address may make), each for another email so the
/// per-email throttle does not interfere; failure `i` carries the headers `forwarding(i)`.
async fn fail_with(app: &TestApp, forwarding: impl Fn(usize) -> Vec<(&'static str, String)>) {
    let http = app.new_client();
    for i in 0..51 {
        let body = json!({"email": format!("guess{i}@example.com"), "password": "wrong-password"});
        let mut request = http.post(app.url("/api/auth/login")).json(&body);
        for (name, value) in forwarding(i) {
            request = request.header(name, value);
        }
        let r = request.send().await.expect("the request is sent");
        assert_eq!(r.status(), 401, "failure {i} is refused, not throttled yet");
    }
}

/// A sign-in forwarded for `client` over HTTPS: the status, and whether the session cookie
/// (if any) is marked `Secure`.
async fn sign_in_from(app: &TestApp, client: &str) -> (u16, bool, reqwest::Response) {
    let response = app
        .new_client()
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-for", client)
        .header("x-forwarded-proto", "https")
        .json(&json!({"email": "gil@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("the request is sent");
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let secure = cookie.contains("Secure");
    (response.status().as_u16(), secure, response)
}

async fn through_a_trusted_proxy_two_clients_are_throttled_separately(database: TestDatabase) {
    let app =
        spawn_app_with_settings(database, &[("ABETWORKS_TRUSTED_PROXIES", "127.0.0.1")]).await;
    app.create_user("gil@example.com", Role::Member).await;
    fail_with(&app, |_| vec![("x-forwarded-for", "203.0.113.1".into())]).await;
    let (status, _, throttled) = sign_in_from(&app, "203.0.113.1").await;
    assert_eq!(status, 429, "the failing client is throttled");
    assert!(throttled.headers().get("retry-after").is_some());
    let (status, secure, _) = sign_in_from(&app, "203.0.113.2").await;
    assert_eq!(status, 200, "another client behind the same proxy is not");
    assert!(
        secure,
        "HTTPS forwarded by a trusted proxy marks the session cookie Secure"
    );
}
on_every_database!(through_a_trusted_proxy_two_clients_are_throttled_separately);

async fn a_spoofed_forwarding_header_from_an_untrusted_peer_changes_nothing(
    database: TestDatabase,
) {
    let app = spawn_app(database).await;
    app.create_user("gil@example.com", Role::Member).await;
    // Every failure claims another address; with no trusted proxy they all count for the peer.
    fail_with(&app, |i| {
        vec![
            ("x-forwarded-for", format!("198.51.100.{i}")),
            ("forwarded", format!("for=198.51.101.{i}")),
        ]
    })
    .await;
    let (status, secure, _) = sign_in_from(&app, "192.0.2.77").await;
    assert_eq!(
        status, 429,
        "a spoofed header from an untrusted peer does not escape the peer's throttle"
    );
    assert!(!secure, "an untrusted proto header changes nothing");
}
on_every_database!(a_spoofed_forwarding_header_from_an_untrusted_peer_changes_nothing);
