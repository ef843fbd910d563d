//! Accounts, sessions, throttling, API keys and the security headers, over HTTP.

use crate::common::server_binary::{run_to_end, server_command};
use crate::common::{
    error_code, script_client, spawn_app, spawn_app_on_url, TestApp, NO_AGENT_SERVICE, PASSWORD,
    ROOT,
};
use abetworks::entities::enums::Role;
use abetworks::entities::{login_attempts, logs};
use abetworks::on_every_database;
use abetworks::testing::TestDatabase;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

/// `GET /api/auth/me` from a client of its own that sends `cookie` (`name=value`).
async fn me_with_cookie(app: &TestApp, cookie: &str) -> reqwest::Response {
    script_client()
        .get(app.url("/api/auth/me"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("the request is sent")
}

/// The app, and a browser of its own on it.
async fn app_with_browser(database: TestDatabase) -> (TestApp, reqwest::Client) {
    let app = spawn_app(database).await;
    let client = app.new_client();
    (app, client)
}

/// The app with the member `email` (not signed in), and a browser of its own.
async fn app_with_member(database: TestDatabase, email: &str) -> (TestApp, reqwest::Client) {
    let (app, client) = app_with_browser(database).await;
    app.create_user(email, Role::Member).await;
    (app, client)
}

/// Signs in from `client` as each of `emails` in turn with a wrong password: the statuses.
async fn wrong_passwords(
    app: &TestApp,
    client: &reqwest::Client,
    emails: impl IntoIterator<Item = String>,
) -> Vec<u16> {
    let mut statuses = Vec::new();
    for email in emails {
        let response = app.login(client, &email, "wrong-password").await;
        statuses.push(response.status().as_u16());
    }
    statuses
}

async fn registering_creates_a_member_who_is_signed_in(database: TestDatabase) {
    let (app, client) = app_with_browser(database).await;
    let response = app
        .register(&client, "  Ann@Example.com ", PASSWORD, "Ann")
        .await;
    assert_eq!(response.status(), 201);
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["email"], "ann@example.com");
    assert_eq!(user["role"], "member");
    assert!(user.get("passwordHash").is_none());
    let me: Value = app.get(&client, "/api/auth/me").await.json().await.unwrap();
    assert_eq!(me["id"], user["id"]);
}
on_every_database!(registering_creates_a_member_who_is_signed_in);

async fn a_taken_email_in_any_case_is_refused_with_409(database: TestDatabase) {
    let (app, client) = app_with_browser(database).await;
    let first = app.register(&client, "bo@example.com", PASSWORD, "Bo");
    assert_eq!(first.await.status(), 201);
    let response = app
        .register(&app.new_client(), " BO@example.COM", PASSWORD, "Bo")
        .await;
    assert_eq!(response.status(), 409);
    assert_eq!(error_code(response).await, "CONFLICT");
}
on_every_database!(a_taken_email_in_any_case_is_refused_with_409);

async fn a_weak_password_is_refused_with_422_and_a_message_per_field(database: TestDatabase) {
    let (app, client) = app_with_browser(database).await;
    let response = app.register(&client, "cy@example.com", "short", "").await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["password", "name"]);
    let email_as_password = app
        .register(&client, "cy@example.com", "cy@example.com", "Cy")
        .await;
    assert_eq!(email_as_password.status(), 422);
    let unknown_field = json!({"email": "cy@example.com", "password": PASSWORD, "name": "Cy", "role": "super_admin"});
    assert_eq!(
        app.post(&client, "/api/auth/register", unknown_field)
            .await
            .status(),
        422
    );
}
on_every_database!(a_weak_password_is_refused_with_422_and_a_message_per_field);

async fn a_wrong_password_and_an_unknown_email_both_get_the_same_401(database: TestDatabase) {
    let (app, client) = app_with_member(database, "dee@example.com").await;
    let wrong = app
        .login(&client, "dee@example.com", "not-the-password")
        .await;
    assert_eq!(wrong.status(), 401);
    let wrong: Value = wrong.json().await.unwrap();
    let unknown = app
        .login(&client, "nobody@example.com", "not-the-password")
        .await;
    assert_eq!(unknown.status(), 401);
    let unknown: Value = unknown.json().await.unwrap();
    assert_eq!(
        wrong, unknown,
        "an unknown email reads exactly like a wrong password"
    );
    assert_eq!(app.get(&client, "/api/auth/me").await.status(), 401);
}
on_every_database!(a_wrong_password_and_an_unknown_email_both_get_the_same_401);

async fn five_failed_logins_throttle_the_email_with_429_until_the_window_passes(
    database: TestDatabase,
) {
    let (app, client) = app_with_member(database, "eve@example.com").await;
    let failures = vec!["eve@example.com".to_owned(); 5];
    assert_eq!(wrong_passwords(&app, &client, failures).await, [401; 5]);
    let blocked = app.login(&client, "EVE@example.com", PASSWORD).await;
    assert_eq!(
        blocked.status(),
        429,
        "the correct password is refused while throttled"
    );
    let retry_after: u64 = blocked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 15 * 60);
    assert_eq!(error_code(blocked).await, "LOGIN_THROTTLED");

    // Another account from the same address is unaffected.
    app.create_user("fay@example.com", Role::Member).await;
    let other = app
        .login(&app.new_client(), "fay@example.com", PASSWORD)
        .await;
    assert_eq!(other.status(), 200);

    // Sixteen minutes later (the window moved), the account signs in again.
    login_attempts::Entity::update_many()
        .col_expr(
            login_attempts::Column::CreatedAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::minutes(16)),
        )
        .filter(login_attempts::Column::Email.eq("eve@example.com"))
        .exec(&app.state.db)
        .await
        .unwrap();
    let recovered = app.login(&client, "eve@example.com", PASSWORD).await;
    assert_eq!(recovered.status(), 200);
}
on_every_database!(five_failed_logins_throttle_the_email_with_429_until_the_window_passes);

async fn an_address_failing_more_than_fifty_times_is_throttled(database: TestDatabase) {
    let (app, client) = app_with_member(database, "gil@example.com").await;
    let guesses = (0..50).map(|i| format!("guess{i}@example.com"));
    let statuses = wrong_passwords(&app, &client, guesses).await;
    assert!(!statuses.contains(&500), "{statuses:?}");
    let below = app.login(&client, "gil@example.com", PASSWORD).await;
    assert_eq!(
        below.status(),
        200,
        "50 failures from one address are still allowed"
    );
    let last = ["guess-last@example.com".to_owned()];
    assert_eq!(wrong_passwords(&app, &client, last).await, [401]);
    let blocked = app.login(&client, "gil@example.com", PASSWORD).await;
    assert_eq!(
        blocked.status(),
        429,
        "an address failing over 50 times is throttled for every email"
    );
}
on_every_database!(an_address_failing_more_than_fifty_times_is_throttled);

async fn a_session_survives_on_a_second_server_instance_sharing_the_database(
    database: TestDatabase,
) {
    let first = spawn_app_on_url(&database.url, NO_AGENT_SERVICE).await;
    let second = spawn_app_on_url(&database.url, NO_AGENT_SERVICE).await;
    first.create_user("hal@example.com", Role::Member).await;
    let login = first
        .login(&first.new_client(), "hal@example.com", PASSWORD)
        .await;
    assert_eq!(login.status(), 200);
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let me = me_with_cookie(&second, &cookie).await;
    assert_eq!(me.status(), 200, "the second instance knows the session");
    drop(database);
}
on_every_database!(a_session_survives_on_a_second_server_instance_sharing_the_database);

async fn the_session_cookie_is_http_only_lax_cycled_and_destroyed_at_logout(
    database: TestDatabase,
) {
    let (app, client) = app_with_member(database, "ida@example.com").await;
    let first = app.login(&client, "ida@example.com", PASSWORD).await;
    let set_cookie = first.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.starts_with("abetworks_session="));
    assert!(set_cookie.contains("HttpOnly"));
    assert!(set_cookie.contains("SameSite=Lax"));
    assert!(!set_cookie.contains("Secure"), "plain http in development");
    let second = app.login(&client, "ida@example.com", PASSWORD).await;
    let second_cookie = second.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert_ne!(
        set_cookie.split(';').next(),
        second_cookie.split(';').next(),
        "the session id is cycled at login"
    );

    assert_eq!(
        app.post(&client, "/api/auth/logout", json!({}))
            .await
            .status(),
        204
    );
    assert_eq!(app.get(&client, "/api/auth/me").await.status(), 401);
    let replay = me_with_cookie(&app, second_cookie.split(';').next().unwrap()).await;
    assert_eq!(replay.status(), 401, "the session is destroyed at logout");
}
on_every_database!(the_session_cookie_is_http_only_lax_cycled_and_destroyed_at_logout);

async fn a_cross_origin_post_with_the_session_cookie_is_refused_with_403(database: TestDatabase) {
    let app = spawn_app(database).await;
    let (client, _) = app.signed_in("jo@example.com", Role::Member).await;
    let forged = client
        .post(app.url("/api/keys"))
        .header("origin", "https://evil.example")
        .json(&json!({"name": "stolen"}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(error_code(forged).await, "CROSS_ORIGIN_REQUEST");
    let secret = app.api_key(&client, json!({"name": "mine"})).await;
    // A bearer key is not a browser credential: no Origin needed.
    let with_key = script_client()
        .post(app.url("/api/keys"))
        .bearer_auth(&secret)
        .json(&json!({"name": "from a script"}))
        .send()
        .await
        .unwrap();
    assert_eq!(with_key.status(), 201);
    let listed = app.get(&client, "/api/keys").await.text().await.unwrap();
    assert!(
        !listed.contains("stolen"),
        "the forged request wrote nothing"
    );
}
on_every_database!(a_cross_origin_post_with_the_session_cookie_is_refused_with_403);

async fn an_api_key_is_shown_once_works_as_a_bearer_and_stops_when_revoked(database: TestDatabase) {
    let app = spawn_app(database).await;
    let (client, _) = app.signed_in("kim@example.com", Role::Member).await;
    let created = app.new_key(&client, json!({"name": "CI"})).await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("abk_") && secret.len() >= 47);
    let id = created["key"]["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with(created["key"]["prefix"].as_str().unwrap()));

    let listed = app.get(&client, "/api/keys").await.text().await.unwrap();
    assert!(
        !listed.contains(&secret),
        "the key text is never shown again"
    );
    assert!(listed.contains("\"name\":\"CI\""));

    let me = app.get_with_key("/api/auth/me", &secret).await;
    assert_eq!(me.status(), 200);
    let used: Value = app.get(&client, "/api/keys").await.json().await.unwrap();
    assert!(
        !used["items"][0]["lastUsedAt"].is_null(),
        "last use is recorded"
    );

    assert_eq!(
        app.delete(&client, &format!("/api/keys/{id}"))
            .await
            .status(),
        204
    );
    let revoked = app.get_with_key("/api/auth/me", &secret).await;
    assert_eq!(revoked.status(), 401);
    assert_eq!(error_code(revoked).await, "API_KEY_REVOKED");
    let unknown = app.get_with_key("/api/auth/me", "abk_nope").await;
    assert_eq!(unknown.status(), 401);
}
on_every_database!(an_api_key_is_shown_once_works_as_a_bearer_and_stops_when_revoked);

async fn an_expired_api_key_is_refused_with_401(database: TestDatabase) {
    let app = spawn_app(database).await;
    let (client, _) = app.signed_in("lu@example.com", Role::Member).await;
    let past = app
        .post(
            &client,
            "/api/keys",
            json!({"name": "old", "expiresAt": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(past.status(), 422, "an expiry in the past is refused");
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
    let secret = app
        .api_key(&client, json!({"name": "soon", "expiresAt": soon}))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let response = app.get_with_key("/api/auth/me", &secret).await;
    assert_eq!(response.status(), 401);
    assert_eq!(error_code(response).await, "API_KEY_EXPIRED");
}
on_every_database!(an_expired_api_key_is_refused_with_401);

async fn a_disabled_user_is_locked_out_of_sessions_keys_and_login(database: TestDatabase) {
    let app = spawn_app(database).await;
    let admin = app.signed_in_as_root().await;
    let (member, member_id) = app.signed_in("max@example.com", Role::Member).await;
    let secret = app.api_key(&member, json!({"name": "k"})).await;

    let member_path = format!("/api/admin/users/{member_id}");
    let disabled = app
        .patch(&admin, &member_path, json!({"disabled": true}))
        .await;
    assert_eq!(disabled.status(), 200);

    assert_eq!(
        app.get(&member, "/api/auth/me").await.status(),
        401,
        "the session stops at once"
    );
    let by_key = app.get_with_key("/api/auth/me", &secret).await;
    assert_eq!(by_key.status(), 403, "the key stops at once");
    assert_eq!(error_code(by_key).await, "ACCOUNT_DISABLED");
    let login = app
        .login(&app.new_client(), "max@example.com", PASSWORD)
        .await;
    assert_eq!(login.status(), 403);

    let actions: Vec<String> = logs::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.action)
        .collect();
    for expected in ["auth.login", "api_key.create", "user.disable"] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} is audited: {actions:?}"
        );
    }
}
on_every_database!(a_disabled_user_is_locked_out_of_sessions_keys_and_login);

async fn a_role_change_and_a_failed_sign_in_are_audited_with_before_and_after(
    database: TestDatabase,
) {
    let app = spawn_app(database).await;
    let (admin, admin_id) = app.signed_in(ROOT, Role::SuperAdmin).await;
    let member_id = app.create_user("ned@example.com", Role::Member).await;
    let member = format!("/api/admin/users/{member_id}");
    let response = app.patch(&admin, &member, json!({"role": "admin"})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["role"], "admin");
    let entry = logs::Entity::find()
        .filter(logs::Column::Action.eq("user.role_change"))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("an audit entry");
    assert_eq!(entry.actor_id.as_deref(), Some(admin_id.as_str()));
    assert_eq!(entry.before.unwrap()["role"], "member");
    assert_eq!(entry.after.unwrap()["role"], "admin");
    let admin_path = format!("/api/admin/users/{admin_id}");
    let self_demote = app
        .patch(&admin, &admin_path, json!({"role": "member"}))
        .await;
    assert_eq!(
        self_demote.status(),
        409,
        "a super admin cannot lock themselves out"
    );
    let failed = app
        .login(&app.new_client(), "ned@example.com", "wrong-password")
        .await;
    assert_eq!(failed.status(), 401);
    let failures = logs::Entity::find()
        .filter(logs::Column::Action.eq("auth.login_failed"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(failures.len(), 1, "a failed sign-in is audited");
}
on_every_database!(a_role_change_and_a_failed_sign_in_are_audited_with_before_and_after);

async fn every_response_carries_the_security_headers_and_a_script_nonce(database: TestDatabase) {
    let app = spawn_app(database).await;
    for path in ["/marketplace", "/api/auth/me", "/healthz"] {
        let response = reqwest::get(app.url(path)).await.unwrap();
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self' 'nonce-"), "{path}: {csp}");
        assert!(csp.contains("'wasm-unsafe-eval'"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(
            !csp.contains("unsafe-inline'; img")
                || !csp.contains("script-src 'self' 'unsafe-inline'")
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(headers.contains_key("referrer-policy"));
    }
    let page = reqwest::get(app.url("/marketplace")).await.unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "inline hydration scripts carry the nonce"
    );
}
on_every_database!(every_response_carries_the_security_headers_and_a_script_nonce);

async fn a_body_over_the_limit_is_refused_with_413(database: TestDatabase) {
    let app = spawn_app(database).await;
    let huge = "x".repeat(300 * 1024);
    let response = app
        .post(
            &app.new_client(),
            "/api/auth/register",
            json!({"email": "a@b.co", "password": huge, "name": "x"}),
        )
        .await;
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.expect("a JSON error body");
    assert_eq!(body["error"]["code"], "PAYLOAD_TOO_LARGE");
}
on_every_database!(a_body_over_the_limit_is_refused_with_413);

/// `server create-admin` for `Ops@Example.com`, given `password` on its standard input.
async fn create_admin(database_url: &str, password: &str) -> std::process::Output {
    let mut command = server_command(database_url);
    command.args(["create-admin", "--email", "Ops@Example.com"]);
    run_to_end(command, format!("{password}\n").as_bytes()).await
}

async fn the_create_admin_command_reads_the_password_from_stdin_and_never_overwrites(
    database: TestDatabase,
) {
    let weak = create_admin(&database.url, "short").await;
    assert!(!weak.status.success(), "a weak password is refused");
    let created = create_admin(&database.url, PASSWORD).await;
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let again = create_admin(&database.url, "another-long-password").await;
    assert!(
        !again.status.success(),
        "an existing account is never overwritten"
    );

    let app = spawn_app_on_url(&database.url, NO_AGENT_SERVICE).await;
    let login = app
        .login(&app.new_client(), "ops@example.com", PASSWORD)
        .await;
    assert_eq!(login.status(), 200);
    assert_eq!(login.json::<Value>().await.unwrap()["role"], "super_admin");
}
on_every_database!(the_create_admin_command_reads_the_password_from_stdin_and_never_overwrites);
