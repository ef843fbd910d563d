//! Accounts, sessions, throttling, API keys and the security headers, over HTTP.

use crate::common::{error_code, spawn_app, spawn_app_on_url, NO_AGENT_SERVICE, PASSWORD};
use abetworks::entities::enums::Role;
use abetworks::entities::{login_attempts, logs};
use abetworks::on_every_database;
use abetworks::testing::TestDatabase;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

async fn register_creates_a_signed_in_member(database: TestDatabase) {
    let app = spawn_app(database).await;
    let client = app.new_client();
    let response = app
        .post(
            &client,
            "/api/auth/register",
            json!({"email": "  Ann@Example.com ", "password": PASSWORD, "name": "Ann"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["email"], "ann@example.com");
    assert_eq!(user["role"], "member");
    assert!(user.get("passwordHash").is_none());
    let me: Value = app.get(&client, "/api/auth/me").await.json().await.unwrap();
    assert_eq!(me["id"], user["id"]);
}
on_every_database!(
    registering_creates_a_member_who_is_signed_in,
    super::register_creates_a_signed_in_member
);

async fn duplicate_email_is_409(database: TestDatabase) {
    let app = spawn_app(database).await;
    let client = app.new_client();
    let body = json!({"email": "bo@example.com", "password": PASSWORD, "name": "Bo"});
    assert_eq!(
        app.post(&client, "/api/auth/register", body).await.status(),
        201
    );
    let again = json!({"email": " BO@example.COM", "password": PASSWORD, "name": "Bo"});
    let response = app
        .post(&app.new_client(), "/api/auth/register", again)
        .await;
    assert_eq!(response.status(), 409);
    assert_eq!(error_code(response).await, "CONFLICT");
}
on_every_database!(
    a_taken_email_in_any_case_is_refused_with_409,
    super::duplicate_email_is_409
);

async fn weak_password_is_422(database: TestDatabase) {
    let app = spawn_app(database).await;
    let client = app.new_client();
    let response = app
        .post(
            &client,
            "/api/auth/register",
            json!({"email": "cy@example.com", "password": "short", "name": ""}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["password", "name"]);
    let email_as_password =
        json!({"email": "cy@example.com", "password": "cy@example.com", "name": "Cy"});
    assert_eq!(
        app.post(&client, "/api/auth/register", email_as_password)
            .await
            .status(),
        422
    );
    let unknown_field = json!({"email": "cy@example.com", "password": PASSWORD, "name": "Cy", "role": "super_admin"});
    assert_eq!(
        app.post(&client, "/api/auth/register", unknown_field)
            .await
            .status(),
        422
    );
}
on_every_database!(
    a_weak_password_is_refused_with_422_and_a_message_per_field,
    super::weak_password_is_422
);

async fn wrong_password_is_401(database: TestDatabase) {
    let app = spawn_app(database).await;
    app.create_user("dee@example.com", Role::Member).await;
    let client = app.new_client();
    let wrong = app
        .post(
            &client,
            "/api/auth/login",
            json!({"email": "dee@example.com", "password": "not-the-password"}),
        )
        .await;
    assert_eq!(wrong.status(), 401);
    let wrong: Value = wrong.json().await.unwrap();
    let unknown = app
        .post(
            &client,
            "/api/auth/login",
            json!({"email": "nobody@example.com", "password": "not-the-password"}),
        )
        .await;
    assert_eq!(unknown.status(), 401);
    let unknown: Value = unknown.json().await.unwrap();
    assert_eq!(
        wrong, unknown,
        "an unknown email reads exactly like a wrong password"
    );
    assert_eq!(app.get(&client, "/api/auth/me").await.status(), 401);
}
on_every_database!(
    a_wrong_password_and_an_unknown_email_both_get_the_same_401,
    super::wrong_password_is_401
);

async fn throttling_then_recovery(database: TestDatabase) {
    let app = spawn_app(database).await;
    app.create_user("eve@example.com", Role::Member).await;
    let client = app.new_client();
    for _ in 0..5 {
        let r = app
            .post(
                &client,
                "/api/auth/login",
                json!({"email": "eve@example.com", "password": "wrong-password"}),
            )
            .await;
        assert_eq!(r.status(), 401);
    }
    let blocked = app
        .post(
            &client,
            "/api/auth/login",
            json!({"email": "EVE@example.com", "password": PASSWORD}),
        )
        .await;
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
        .post(
            &app.new_client(),
            "/api/auth/login",
            json!({"email": "fay@example.com", "password": PASSWORD}),
        )
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
    let recovered = app
        .post(
            &client,
            "/api/auth/login",
            json!({"email": "eve@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(recovered.status(), 200);
}
on_every_database!(
    five_failed_logins_throttle_the_email_with_429_until_the_window_passes,
    super::throttling_then_recovery
);

async fn address_throttle(database: TestDatabase) {
    let app = spawn_app(database).await;
    app.create_user("gil@example.com", Role::Member).await;
    let client = app.new_client();
    for i in 0..50 {
        let email = format!("guess{i}@example.com");
        let r = app
            .post(
                &client,
                "/api/auth/login",
                json!({"email": email, "password": "wrong-password"}),
            )
            .await;
        assert_ne!(r.status(), 500);
    }
    let below = app
        .post(
            &client,
            "/api/auth/login",
            json!({"email": "gil@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        below.status(),
        200,
        "50 failures from one address are still allowed"
    );
    let failed = app
        .post(
            &client,
            "/api/auth/login",
            json!({"email": "guess-last@example.com", "password": "wrong-password"}),
        )
        .await;
    assert_eq!(failed.status(), 401);
    let blocked = app
        .post(
            &client,
            "/api/auth/login",
            json!({"email": "gil@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        blocked.status(),
        429,
        "an address failing over 50 times is throttled for every email"
    );
}
on_every_database!(
    an_address_failing_more_than_fifty_times_is_throttled,
    super::address_throttle
);

async fn session_shared_across_instances(database: TestDatabase) {
    let first = spawn_app_on_url(&database.url, NO_AGENT_SERVICE).await;
    let second = spawn_app_on_url(&database.url, NO_AGENT_SERVICE).await;
    first.create_user("hal@example.com", Role::Member).await;
    let login = first
        .post(
            &first.new_client(),
            "/api/auth/login",
            json!({"email": "hal@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status(), 200);
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let me = reqwest::Client::new()
        .get(second.url("/api/auth/me"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "the second instance knows the session");
    drop(database);
}
on_every_database!(
    a_session_survives_on_a_second_server_instance_sharing_the_database,
    super::session_shared_across_instances
);

async fn session_cookie_flags_and_logout(database: TestDatabase) {
    let app = spawn_app(database).await;
    app.create_user("ida@example.com", Role::Member).await;
    let client = app.new_client();
    let first = app
        .post(
            &client,
            "/api/auth/login",
            json!({"email": "ida@example.com", "password": PASSWORD}),
        )
        .await;
    let set_cookie = first.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.starts_with("abetworks_session="));
    assert!(set_cookie.contains("HttpOnly"));
    assert!(set_cookie.contains("SameSite=Lax"));
    assert!(!set_cookie.contains("Secure"), "plain http in development");
    let second = app
        .post(
            &client,
            "/api/auth/login",
            json!({"email": "ida@example.com", "password": PASSWORD}),
        )
        .await;
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
    let replay = reqwest::Client::new()
        .get(app.url("/api/auth/me"))
        .header("cookie", second_cookie.split(';').next().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401, "the session is destroyed at logout");
}
on_every_database!(
    the_session_cookie_is_http_only_lax_cycled_and_destroyed_at_logout,
    super::session_cookie_flags_and_logout
);

async fn cross_origin_cookie_post_is_403(database: TestDatabase) {
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
    let created = app
        .post(&client, "/api/keys", json!({"name": "mine"}))
        .await;
    assert_eq!(created.status(), 201);
    let secret = created.json::<Value>().await.unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    // A bearer key is not a browser credential: no Origin needed.
    let with_key = reqwest::Client::new()
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
on_every_database!(
    a_cross_origin_post_with_the_session_cookie_is_refused_with_403,
    super::cross_origin_cookie_post_is_403
);

async fn key_shown_once_usable_then_revoked(database: TestDatabase) {
    let app = spawn_app(database).await;
    let (client, _) = app.signed_in("kim@example.com", Role::Member).await;
    let created: Value = app
        .post(&client, "/api/keys", json!({"name": "CI"}))
        .await
        .json()
        .await
        .unwrap();
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

    let bearer = reqwest::Client::new();
    let me = bearer
        .get(app.url("/api/auth/me"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let used: Value = app.get(&client, "/api/keys").await.json().await.unwrap();
    assert!(
        !used["items"][0]["lastUsedAt"].is_null(),
        "last use is recorded"
    );

    assert_eq!(
        client
            .delete(app.url(&format!("/api/keys/{id}")))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let revoked = bearer
        .get(app.url("/api/auth/me"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 401);
    assert_eq!(error_code(revoked).await, "API_KEY_REVOKED");
    let unknown = bearer
        .get(app.url("/api/auth/me"))
        .bearer_auth("abk_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 401);
}
on_every_database!(
    an_api_key_is_shown_once_works_as_a_bearer_and_stops_when_revoked,
    super::key_shown_once_usable_then_revoked
);

async fn expired_key_is_401(database: TestDatabase) {
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
    let created: Value = app
        .post(&client, "/api/keys", json!({"name": "soon", "expiresAt": (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339()}))
        .await
        .json()
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let response = reqwest::Client::new()
        .get(app.url("/api/auth/me"))
        .bearer_auth(created["secret"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(error_code(response).await, "API_KEY_EXPIRED");
}
on_every_database!(
    an_expired_api_key_is_refused_with_401,
    super::expired_key_is_401
);

async fn disabled_user_is_locked_out(database: TestDatabase) {
    let app = spawn_app(database).await;
    let (admin, _) = app.signed_in("root@example.com", Role::SuperAdmin).await;
    let (member, member_id) = app.signed_in("max@example.com", Role::Member).await;
    let created: Value = app
        .post(&member, "/api/keys", json!({"name": "k"}))
        .await
        .json()
        .await
        .unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();

    let disabled = admin
        .patch(app.url(&format!("/api/admin/users/{member_id}")))
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), 200);

    assert_eq!(
        app.get(&member, "/api/auth/me").await.status(),
        401,
        "the session stops at once"
    );
    let by_key = reqwest::Client::new()
        .get(app.url("/api/auth/me"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(by_key.status(), 403, "the key stops at once");
    assert_eq!(error_code(by_key).await, "ACCOUNT_DISABLED");
    let login = app
        .post(
            &app.new_client(),
            "/api/auth/login",
            json!({"email": "max@example.com", "password": PASSWORD}),
        )
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
on_every_database!(
    a_disabled_user_is_locked_out_of_sessions_keys_and_login,
    super::disabled_user_is_locked_out
);

async fn role_change_is_audited(database: TestDatabase) {
    let app = spawn_app(database).await;
    let (admin, admin_id) = app.signed_in("root@example.com", Role::SuperAdmin).await;
    let member_id = app.create_user("ned@example.com", Role::Member).await;
    let response = admin
        .patch(app.url(&format!("/api/admin/users/{member_id}")))
        .json(&json!({"role": "admin"}))
        .send()
        .await
        .unwrap();
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
    let self_demote = admin
        .patch(app.url(&format!("/api/admin/users/{admin_id}")))
        .json(&json!({"role": "member"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        self_demote.status(),
        409,
        "a super admin cannot lock themselves out"
    );
    let failed = app
        .post(
            &app.new_client(),
            "/api/auth/login",
            json!({"email": "ned@example.com", "password": "wrong-password"}),
        )
        .await;
    assert_eq!(failed.status(), 401);
    let failures = logs::Entity::find()
        .filter(logs::Column::Action.eq("auth.login_failed"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(failures.len(), 1, "a failed sign-in is audited");
}
on_every_database!(
    a_role_change_and_a_failed_sign_in_are_audited_with_before_and_after,
    super::role_change_is_audited
);

async fn security_headers_everywhere(database: TestDatabase) {
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
on_every_database!(
    every_response_carries_the_security_headers_and_a_script_nonce,
    super::security_headers_everywhere
);

async fn huge_bodies_are_413(database: TestDatabase) {
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
on_every_database!(
    a_body_over_the_limit_is_refused_with_413,
    super::huge_bodies_are_413
);

async fn create_admin_command(database: TestDatabase) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let run = |password: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
            .args(["create-admin", "--email", "Ops@Example.com"])
            .env("DATABASE_URL", &database.url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server binary starts");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let weak = run("short");
    assert!(!weak.status.success(), "a weak password is refused");
    let created = run(PASSWORD);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let again = run("another-long-password");
    assert!(
        !again.status.success(),
        "an existing account is never overwritten"
    );

    let app = spawn_app_on_url(&database.url, NO_AGENT_SERVICE).await;
    let login = app
        .post(
            &app.new_client(),
            "/api/auth/login",
            json!({"email": "ops@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status(), 200);
    assert_eq!(login.json::<Value>().await.unwrap()["role"], "super_admin");
}
on_every_database!(
    the_create_admin_command_reads_the_password_from_stdin_and_never_overwrites,
    super::create_admin_command
);
