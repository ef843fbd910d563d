//! `spawn_app`: the real application on port 0 against a database of its own.
#![allow(dead_code)]

use abetworks::config::Config;
use abetworks::testing::TestDatabase;
use server::startup::Application;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: app::state::AppState,
    /// Kept so the database lives as long as the app.
    pub database: TestDatabase,
}

/// Configuration for a test: port 0, the given database, an agent service at `agent_url`.
pub fn test_config(database_url: &str, agent_url: &str) -> Config {
    let pairs = [
        ("DATABASE_URL", database_url.to_owned()),
        ("LEPTOS_SITE_ADDR", "127.0.0.1:0".to_owned()),
        ("AGENT_SERVICE_URL", agent_url.to_owned()),
        ("AGENT_SERVICE_SECRET", "test-shared-secret-0123456789".to_owned()),
        ("AGENT_TIMEOUT_MS", "3000".to_owned()),
        ("ABETWORKS_DEMO_DATA", "false".to_owned()),
    ];
    Config::from_lookup(|name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone()))
        .expect("test configuration is valid")
}

/// An agent-service address where nothing listens.
pub const NO_AGENT_SERVICE: &str = "http://127.0.0.1:9";

pub async fn spawn_app(database: TestDatabase) -> TestApp {
    spawn_app_with(database, NO_AGENT_SERVICE).await
}

pub async fn spawn_app_with(database: TestDatabase, agent_url: &str) -> TestApp {
    let config = test_config(&database.url, agent_url);
    let site_root = std::env::temp_dir().join("abetworks-test-site");
    let app = Application::build(config, &site_root.to_string_lossy())
        .await
        .expect("the application builds");
    let address = format!("http://{}", app.address());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client"),
        state,
        database,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }
}
