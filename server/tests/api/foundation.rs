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

async fn openapi_metrics_and_docs(database: TestDatabase) {
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
    let _ = reqwest::get(app.url("/healthz")).await.unwrap();
    let metrics = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("abetworks_http_requests_total{status=\"2xx\"}"));
}
on_every_database!(
    the_openapi_document_the_api_page_and_metrics_are_served,
    super::openapi_metrics_and_docs
);
