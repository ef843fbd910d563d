//! `spawn_app`: the real application on port 0 against a database of its own, and a client
//! that keeps cookies and sends this site's `Origin` like a browser would.

pub mod database_rows;
pub mod own_postgres;
pub mod prometheus;
pub mod schema_check;
pub mod server_binary;
pub mod stand_in;
pub mod teams;

use std::time::Duration;

use abetworks::clock::SharedClock;
use abetworks::config::Config;
use abetworks::entities::enums::Role;
use abetworks::testing::TestDatabase;
use abetworks::users::{create_user, NewUser};
use reqwest::header::{HeaderMap, HeaderValue, ORIGIN};
use reqwest::{Client, Response};
use serde_json::{json, Value};
use server::startup::Application;

pub const PASSWORD: &str = "correct-horse-battery";

pub struct TestApp {
    pub address: String,
    pub client: Client,
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
        // No background-run workers unless a test asks for them (runs.rs): runs stay queued.
        ("ABETWORKS_RUN_WORKERS", "0".to_owned()),
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

/// The app in front of the stand-in agent service ([`stand_in`]), its catalog synced.
pub async fn spawn_app_with_agents(database: TestDatabase) -> TestApp {
    spawn_app_with_agents_and_clock(database, abetworks::clock::system()).await
}

/// [`spawn_app_with_agents`] whose quota decisions read `clock`.
pub async fn spawn_app_with_agents_and_clock(
    database: TestDatabase,
    clock: SharedClock,
) -> TestApp {
    let agents = stand_in::start().await;
    let app = spawn_app_with_clock(database, &agents, clock).await;
    app.sync_catalog().await;
    app
}

/// The scene of the licensing tests: the app in front of the stand-in agents with the super
/// admin [`ROOT`] signed in. The app, root's client and the id of the `echo` agent.
pub async fn licensing(database: TestDatabase) -> (TestApp, Client, String) {
    licensing_on_clock(database, abetworks::clock::system()).await
}

/// [`licensing`] whose quota decisions read `clock`.
pub async fn licensing_on_clock(
    database: TestDatabase,
    clock: SharedClock,
) -> (TestApp, Client, String) {
    let app = spawn_app_with_agents_and_clock(database, clock).await;
    let admin = app.signed_in_as_root().await;
    let echo = app.agent_id("echo").await;
    (app, admin, echo)
}

async fn spawn_configured(config: Config) -> TestApp {
    spawn_configured_with_clock(config, abetworks::clock::system()).await
}

async fn spawn_configured_with_clock(config: Config, clock: SharedClock) -> TestApp {
    serve_configured(config, clock).await.0
}

/// An app on `database_url` in front of the agent service at `agent_url`, with `extra`
/// settings, and its serving task: a test that aborts the task stops the app (and its
/// workers), as when an instance dies.
pub async fn serve_app(
    database_url: &str,
    agent_url: &str,
    extra: &[(&str, &str)],
) -> (TestApp, tokio::task::JoinHandle<std::io::Result<()>>) {
    let config = test_config_with(database_url, agent_url, extra);
    serve_configured(config, abetworks::clock::system()).await
}

async fn serve_configured(
    config: Config,
    clock: SharedClock,
) -> (TestApp, tokio::task::JoinHandle<std::io::Result<()>>) {
    let site_root = std::env::temp_dir().join("abetworks-test-site");
    serve_site(config, clock, &site_root).await
}

/// The app serving the site built in `site_root` (its `pkg/` bundle and static files).
pub async fn spawn_app_serving_site(
    database: TestDatabase,
    site_root: &std::path::Path,
) -> TestApp {
    let config = test_config(&database.url, "http://127.0.0.1:9");
    let (mut app, _serving) = serve_site(config, abetworks::clock::system(), site_root).await;
    app.database = Some(database);
    app
}

async fn serve_site(
    config: Config,
    clock: SharedClock,
    site_root: &std::path::Path,
) -> (TestApp, tokio::task::JoinHandle<std::io::Result<()>>) {
    let app = Application::build_with_clock(config, &site_root.to_string_lossy(), clock)
        .await
        .expect("the application builds");
    let address = format!("http://{}", app.address());
    let state = app.state().clone();
    let serving = tokio::spawn(app.run_until_stopped(std::future::pending()));
    let app = TestApp {
        client: browser_client(&address),
        address,
        state,
        database: None,
    };
    (app, serving)
}

/// A client like a browser on this site: cookies kept, `Origin` sent.
pub fn browser_client(address: &str) -> Client {
    let mut headers = HeaderMap::new();
    headers.insert(ORIGIN, HeaderValue::from_str(address).expect("an origin"));
    Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("a client")
}

/// How long a test's request may wait for its answer: a stuck server fails the test.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A client like a script holding an API key: no cookies, no `Origin`.
pub fn script_client() -> Client {
    Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("a client")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A fresh browser-like client for this app (no cookies yet).
    pub fn new_client(&self) -> Client {
        browser_client(&self.address)
    }

    pub async fn post(&self, client: &Client, path: &str, body: Value) -> Response {
        self.send(client.post(self.url(path)).json(&body)).await
    }

    pub async fn get(&self, client: &Client, path: &str) -> Response {
        self.send(client.get(self.url(path))).await
    }

    /// GET `path` as `client`: the JSON body of the answer.
    pub async fn get_json(&self, client: &Client, path: &str) -> Value {
        let response = self.get(client, path).await;
        response.json().await.expect("a JSON body")
    }

    pub async fn patch(&self, client: &Client, path: &str, body: Value) -> Response {
        self.send(client.patch(self.url(path)).json(&body)).await
    }

    pub async fn delete(&self, client: &Client, path: &str) -> Response {
        self.send(client.delete(self.url(path))).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Response {
        request.send().await.expect("the request is sent")
    }

    /// GET `path` as a script holding the API key `key`.
    pub async fn get_with_key(&self, path: &str, key: &str) -> Response {
        self.send(script_client().get(self.url(path)).bearer_auth(key))
            .await
    }

    /// `POST /api/auth/register` with `email`, `password` and `name`.
    pub async fn register(
        &self,
        client: &Client,
        email: &str,
        password: &str,
        name: &str,
    ) -> Response {
        let body = json!({"email": email, "password": password, "name": name});
        self.post(client, "/api/auth/register", body).await
    }

    /// `POST /api/auth/login` with `email` and `password`.
    pub async fn login(&self, client: &Client, email: &str, password: &str) -> Response {
        let body = json!({ "email": email, "password": password });
        self.post(client, "/api/auth/login", body).await
    }

    /// Runs `agent_id` as `client` on the input `{"text": "hi"}`.
    pub async fn execute(&self, client: &Client, agent_id: &str) -> Response {
        let path = format!("/api/agents/{agent_id}/execute");
        self.post(client, &path, json!({"input": {"text": "hi"}}))
            .await
    }

    /// A new API key of `client`'s user, made from `body` (`name`, maybe `agentId`): the
    /// answer's body, the key's text (`secret`, shown this once) and the `key` as listed.
    pub async fn new_key(&self, client: &Client, body: Value) -> Value {
        let created = self.post(client, "/api/keys", body).await;
        assert_eq!(created.status(), 201, "the key is made");
        created.json().await.expect("the new key")
    }

    /// The text of a new API key of `client`'s user (see [`TestApp::new_key`]).
    pub async fn api_key(&self, client: &Client, body: Value) -> String {
        let created = self.new_key(client, body).await;
        created["secret"]
            .as_str()
            .expect("the key's text")
            .to_owned()
    }

    /// Syncs the catalog from the app's agent service, every agent published.
    pub async fn sync_catalog(&self) {
        abetworks::catalog::sync_from_service(&self.state.db, &self.state.agents, true)
            .await
            .expect("the agent service's agents are synced");
    }

    /// The id of the catalog's agent `slug`.
    pub async fn agent_id(&self, slug: &str) -> String {
        abetworks::catalog::find_agent(&self.state.db, slug)
            .await
            .expect("the catalog answers")
            .unwrap_or_else(|| panic!("{slug} is in the catalog"))
            .id
    }

    /// `client` asks for `agent_id` with `reason` (`POST /api/marketplace/request-access`).
    pub async fn request_access(&self, client: &Client, agent_id: &str, reason: &str) -> Response {
        let body = json!({"agentId": agent_id, "requestReason": reason});
        self.post(client, "/api/marketplace/request-access", body)
            .await
    }

    /// `admin` grants `user_id` the agent `agent_id` on `plan` (the limit and window fields of
    /// the grant's body); the new license.
    pub async fn grant(&self, admin: &Client, user_id: &str, agent_id: &str, plan: Value) -> Value {
        let mut body = json!({"userId": user_id, "agentId": agent_id});
        for (field, value) in plan.as_object().expect("plan fields") {
            body[field] = value.clone();
        }
        let response = self.post(admin, "/api/admin/licenses", body).await;
        assert_eq!(response.status(), 201, "the license is granted");
        response.json().await.expect("the license")
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
    pub async fn signed_in(&self, email: &str, role: Role) -> (Client, String) {
        let id = self.create_user(email, role).await;
        let client = self.new_client();
        let response = self.login(&client, email, PASSWORD).await;
        assert_eq!(response.status(), 200, "{email} signs in");
        (client, id)
    }

    /// A client signed in as the super admin `root@example.com`.
    pub async fn signed_in_as_root(&self) -> Client {
        self.signed_in(ROOT, Role::SuperAdmin).await.0
    }
}

/// The super admin of the tests that need one.
pub const ROOT: &str = "root@example.com";

/// The `id` of a JSON body.
pub fn id_of(body: &Value) -> String {
    body["id"].as_str().expect("an id").to_owned()
}

/// The `error.code` of an API error body.
pub async fn error_code(response: Response) -> String {
    let body: Value = response.json().await.expect("a JSON error body");
    body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
