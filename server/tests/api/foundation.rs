//! The foundation: the real app on port 0, health, readiness and the server-rendered page.

use crate::common::spawn_app;
use abetworks::agent_client::AgentDescriptor;
use abetworks::on_every_database;
use abetworks::testing::TestDatabase;

fn descriptor(slug: &str, name: &str) -> AgentDescriptor {
    AgentDescriptor {
        slug: slug.into(),
        name: name.into(),
        short_description: format!("{name} in one line"),
        long_description: format!("{name} at length"),
        category: "Sales".into(),
        price_cents: 4900,
        currency: "USD".into(),
        icon: "🎯".into(),
        features: vec!["fast".into()],
        version: "1.0.0".into(),
        input_schema: serde_json::json!({"type": "object"}),
        output_schema: serde_json::json!({"type": "object"}),
    }
}

async fn healthz_answers_ok(database: TestDatabase) {
    let app = spawn_app(database).await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}
on_every_database!(
    the_app_starts_on_port_zero_and_healthz_answers_ok,
    super::healthz_answers_ok
);

async fn readyz_reports_each_dependency(database: TestDatabase) {
    let app = spawn_app(database).await;
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 200, "the database is reachable");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    assert_eq!(body["agentService"], "unreachable");
}
on_every_database!(
    readiness_reports_the_database_and_the_agent_service_separately,
    super::readyz_reports_each_dependency
);

async fn marketplace_page_lists_published_agents(database: TestDatabase) {
    let app = spawn_app(database).await;
    abetworks::catalog::apply_sync(
        &app.state.db,
        &[
            descriptor("lead-scoring", "Lead Scorer"),
            descriptor("sentiment", "Mood Reader"),
        ],
        true,
    )
    .await
    .unwrap();
    abetworks::catalog::apply_sync(
        &app.state.db,
        &[
            descriptor("lead-scoring", "Lead Scorer"),
            descriptor("sentiment", "Mood Reader"),
            descriptor("draft", "Unpublished Draft"),
        ],
        false,
    )
    .await
    .unwrap();

    let response = app
        .client
        .get(app.url("/marketplace"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Lead Scorer"),
        "published agents are rendered on the server"
    );
    assert!(html.contains("Mood Reader"));
    assert!(
        !html.contains("Unpublished Draft"),
        "drafts stay out of the marketplace"
    );
    assert!(
        html.contains("/pkg/abetworks.js"),
        "the page loads the WASM bundle to hydrate"
    );
}
on_every_database!(
    the_marketplace_page_is_rendered_on_the_server_with_the_published_agents,
    super::marketplace_page_lists_published_agents
);

async fn responses_carry_a_request_id(database: TestDatabase) {
    let app = spawn_app(database).await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    let id = response
        .headers()
        .get("x-request-id")
        .expect("a request id");
    assert!(!id.is_empty());
}
on_every_database!(
    every_response_carries_a_request_id,
    super::responses_carry_a_request_id
);

async fn unknown_pages_are_404(database: TestDatabase) {
    let app = spawn_app(database).await;
    let response = app
        .client
        .get(app.url("/no-such-page"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}
on_every_database!(an_unknown_page_answers_404, super::unknown_pages_are_404);

async fn openapi_and_docs(database: TestDatabase) {
    let app = spawn_app(database).await;
    let spec: serde_json::Value = reqwest::get(app.url("/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    assert!(spec["paths"]["/api/agents/{agentId}/execute"]["post"].is_object());
    assert!(
        spec["paths"]["/api/keys"]["get"].is_object()
            && spec["paths"]["/api/keys"]["post"].is_object()
    );
    assert_eq!(
        spec["paths"].as_object().unwrap().len(),
        server::routes::api()
            .served()
            .iter()
            .map(|r| r.path)
            .collect::<std::collections::HashSet<_>>()
            .len(),
        "every served path is documented"
    );
    let docs = reqwest::get(app.url("/api/docs"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(docs.contains("/api/admin/licenses/{id}"));
}
on_every_database!(
    the_openapi_document_and_the_api_page_are_served,
    super::openapi_and_docs
);

/// The server binary in a process of its own, on `database_url`: its counters count this
/// test's requests only (the apps of the other tests share the test process's counters).
struct ServerProcess {
    child: std::process::Child,
    address: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_server_process(database_url: &str) -> ServerProcess {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let site_root = std::env::temp_dir().join("abetworks-test-site");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .env_clear()
        .env("DATABASE_URL", database_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_SITE_ROOT", site_root)
        .env("AGENT_SERVICE_URL", crate::common::NO_AGENT_SERVICE)
        .env("AGENT_SERVICE_SECRET", "test-shared-secret-0123456789")
        .env("ABETWORKS_DEMO_DATA", "false")
        .env("ABETWORKS_SYNC_ON_START", "false")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the server binary starts");
    let server = ServerProcess {
        child,
        address: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..300 {
        if let Ok(response) = reqwest::get(format!("{}/healthz", server.address)).await {
            if response.status().is_success() {
                return server;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the server binary did not answer /healthz within 30 seconds");
}

/// One sample of a Prometheus text exposition: name, labels and value.
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

/// The samples of a Prometheus text exposition (comments skipped; label values are plain
/// here, without escaped quotes).
fn samples(exposition: &str) -> Vec<Sample> {
    exposition
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let (series, rest) = match line.find('}') {
                Some(end) => line.split_at(end + 1),
                None => line.split_once(' ')?,
            };
            let value = rest.split_whitespace().next()?.parse().ok()?;
            let (name, labels) = series.split_once('{').unwrap_or((series, ""));
            let labels = labels
                .trim_end_matches('}')
                .split(',')
                .filter_map(|pair| {
                    let (key, value) = pair.split_once('=')?;
                    Some((
                        key.trim().to_owned(),
                        value.trim().trim_matches('"').to_owned(),
                    ))
                })
                .collect();
            Some(Sample {
                name: name.trim().to_owned(),
                labels,
                value,
            })
        })
        .collect()
}

/// The request counter `/healthz` answers move: its own series if the counter is labelled
/// by route, else the 2xx series.
fn healthz_requests(exposition: &str) -> f64 {
    let requests: Vec<Sample> = samples(exposition)
        .into_iter()
        .filter(|s| s.name == "abetworks_http_requests_total")
        .collect();
    let names_route = |s: &Sample| s.labels.iter().any(|(_, v)| v == "/healthz");
    let by_route = requests.iter().any(names_route);
    let counted: Vec<&Sample> = requests
        .iter()
        .filter(|s| match by_route {
            true => names_route(s),
            false => s.labels.iter().any(|(k, v)| k == "status" && v == "2xx"),
        })
        .collect();
    assert!(
        !counted.is_empty(),
        "no request counter for /healthz in:\n{exposition}"
    );
    counted.iter().map(|s| s.value).sum()
}

async fn request_counter_moves(database: TestDatabase) {
    let server = start_server_process(&database.url).await;
    let scrape = || async {
        let response = reqwest::get(format!("{}/metrics", server.address))
            .await
            .expect("/metrics answers");
        assert_eq!(response.status(), 200);
        response.text().await.expect("the exposition")
    };
    // What a scrape adds by itself (the 2xx series counts /metrics too).
    let first = healthz_requests(&scrape().await);
    let before = healthz_requests(&scrape().await);
    let per_scrape = before - first;
    const CALLS: usize = 7;
    for _ in 0..CALLS {
        let response = reqwest::get(format!("{}/healthz", server.address))
            .await
            .expect("/healthz answers");
        assert_eq!(response.status(), 200);
    }
    let after = healthz_requests(&scrape().await);
    assert_eq!(
        after - before,
        CALLS as f64 + per_scrape,
        "{CALLS} calls of /healthz (and {per_scrape} per scrape) move the counter from {before}"
    );
}
on_every_database!(
    the_request_counter_grows_by_the_number_of_calls,
    super::request_counter_moves
);

#[test]
fn the_prometheus_text_is_read_into_names_labels_and_values() {
    let text = "# HELP x y\n# TYPE x counter\nx_total{status=\"2xx\",route=\"/a\"} 12\nplain 1.5\n";
    let read = samples(text);
    assert_eq!(read.len(), 2);
    assert_eq!(read[0].name, "x_total");
    assert_eq!(
        read[0].labels,
        vec![
            ("status".to_owned(), "2xx".to_owned()),
            ("route".to_owned(), "/a".to_owned())
        ]
    );
    assert_eq!(read[0].value, 12.0);
    assert_eq!((read[1].name.as_str(), read[1].value), ("plain", 1.5));
}
