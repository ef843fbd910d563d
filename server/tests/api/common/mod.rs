//! `spawn_app`: the real application on port 0 against a database of its own, and a client
//! that keeps cookies and sends this site's `Origin` like a browser would.

pub mod database_rows;
pub mod schema_check;
pub mod stand_in;

use abetworks::clock::SharedClock;
use abetworks::config::Config;
use abetworks::entities::enums::Role;
use abetworks::testing::TestDatabase;
use abetworks::users::{create_user, NewUser};
use reqwest::header::{HeaderMap, HeaderValue, ORIGIN};
use serde_json::{json, Value};
use server::startup::Application;

pub const PASSWORD: &str = "correct-horse-battery";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: server::state::AppState,
    /// Kept so the database lives as long as the app.
    pub database: Option<TestDatabase>,
}

/// Configuration for a test: port 0, the given database, an agent service at `agent_url`.
pub fn test_config(database_url: &str, agent_url: &str) -> Config {
    test_config_with(database_url, agent_url, &[])
}

/// [`test_config`] with more settings (`(variable, value)`), which win over the defaults.
pub fn test_config_with(database_url: &str, agent_url: &str, extra: &[(&str, &str)]) -> Config {
    let pairs = [
        ("DATABASE_URL", database_url.to_owned()),
        ("LEPTOS_SITE_ADDR", "127.0.0.1:0".to_owned()),
        ("AGENT_SERVICE_URL", agent_url.to_owned()),
        (
            "AGENT_SERVICE_SECRET",
            "test-shared-secret-0123456789".to_owned(),
        ),
        ("AGENT_TIMEOUT_MS", "3000".to_owned()),
        ("ABETWORKS_DEMO_DATA", "false".to_owned()),
        ("ABETWORKS_SYNC_ON_START", "false".to_owned()),
    ];
    Config::from_lookup(|name| {
        extra
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
            .or_else(|| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.clone())
            })
    })
    .expect("test configuration is valid")
}

/// An agent-service address where nothing listens.
pub const NO_AGENT_SERVICE: &str = "http://127.0.0.1:9";

pub async fn spawn_app(database: TestDatabase) -> TestApp {
    spawn_app_with(database, NO_AGENT_SERVICE).await
}

pub async fn spawn_app_with(database: TestDatabase, agent_url: &str) -> TestApp {
    let mut app = spawn_app_on_url(&database.url, agent_url).await;
    app.database = Some(database);
    app
}

/// The app with more settings (see [`test_config_with`]) and no agent service.
pub async fn spawn_app_with_settings(database: TestDatabase, extra: &[(&str, &str)]) -> TestApp {
    let config = test_config_with(&database.url, NO_AGENT_SERVICE, extra);
    let mut app = spawn_configured(config).await;
    app.database = Some(database);
    app
}

/// Another instance on an existing database (the caller keeps the database alive).
pub async fn spawn_app_on_url(database_url: &str, agent_url: &str) -> TestApp {
    spawn_configured(test_config(database_url, agent_url)).await
}

/// [`spawn_app_with`] whose quota decisions read `clock` (a test moves it across midnight).
pub async fn spawn_app_with_clock(
    database: TestDatabase,
    agent_url: &str,
    clock: SharedClock,
) -> TestApp {
    let mut app = spawn_app_on_url_with_clock(&database.url, agent_url, clock).await;
    app.database = Some(database);
    app
}

/// Another instance on an existing database reading `clock`: given the first instance's clock,
/// both instances live at one time (the caller keeps the database alive).
pub async fn spawn_app_on_url_with_clock(
    database_url: &str,
    agent_url: &str,
    clock: SharedClock,
) -> TestApp {
    spawn_configured_with_clock(test_config(database_url, agent_url), clock).await
}

async fn spawn_configured(config: Config) -> TestApp {
    spawn_configured_with_clock(config, abetworks::clock::system()).await
}

async fn spawn_configured_with_clock(config: Config, clock: SharedClock) -> TestApp {
    let site_root = std::env::temp_dir().join("abetworks-test-site");
    let app = Application::build_with_clock(config, &site_root.to_string_lossy(), clock)
        .await
        .expect("the application builds");
    let address = format!("http://{}", app.address());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    TestApp {
        client: browser_client(&address),
        address,
        state,
        database: None,
    }
}

/// A client like a browser on this site: cookies kept, `Origin` sent.
pub fn browser_client(address: &str) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(ORIGIN, HeaderValue::from_str(address).expect("an origin"));
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A fresh browser-like client for this app (no cookies yet).
    pub fn new_client(&self) -> reqwest::Client {
        browser_client(&self.address)
    }

    pub async fn post(
        &self,
        client: &reqwest::Client,
        path: &str,
        body: Value,
    ) -> reqwest::Response {
        client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("the request is sent")
    }

    pub async fn get(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client
            .get(self.url(path))
            .send()
            .await
            .expect("the request is sent")
    }

    /// Creates a user of `role` directly in the core and returns its id.
    pub async fn create_user(&self, email: &str, role: Role) -> String {
        create_user(
            &self.state.db,
            NewUser {
                email,
                name: "Test User",
                password: PASSWORD,
                role,
            },
        )
        .await
        .expect("the user is created")
        .id
    }

    /// A client signed in as `email` (created first with `role`).
    pub async fn signed_in(&self, email: &str, role: Role) -> (reqwest::Client, String) {
        let id = self.create_user(email, role).await;
        let client = self.new_client();
        let response = self
            .post(
                &client,
                "/api/auth/login",
                json!({ "email": email, "password": PASSWORD }),
            )
            .await;
        assert_eq!(response.status(), 200, "{email} signs in");
        (client, id)
    }
}

/// The `error.code` of an API error body.
pub async fn error_code(response: reqwest::Response) -> String {
    let body: Value = response.json().await.expect("a JSON error body");
    body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
