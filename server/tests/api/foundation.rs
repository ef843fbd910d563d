//! The foundation: the real app on port 0, health, readiness and the server-rendered page.

use crate::common::prometheus::{assert_reads_two_samples, parse, Sample};
use crate::common::server_binary::ServerProcess;
use crate::common::spawn_app;
use abetworks::agent_client::AgentDescriptor;
use abetworks::entities::enums::Role;
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

async fn the_app_starts_on_port_zero_and_healthz_answers_ok(database: TestDatabase) {
    let app = spawn_app(database).await;
    let response = app.get(&app.client, "/healthz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}
on_every_database!(the_app_starts_on_port_zero_and_healthz_answers_ok);

async fn readiness_reports_the_database_and_the_agent_service_separately(database: TestDatabase) {
    let app = spawn_app(database).await;
    let response = app.get(&app.client, "/readyz").await;
    assert_eq!(response.status(), 200, "the database is reachable");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    assert_eq!(body["agentService"], "unreachable");
}
on_every_database!(readiness_reports_the_database_and_the_agent_service_separately);

async fn the_marketplace_page_is_rendered_on_the_server_with_the_published_agents(
    database: TestDatabase,
) {
    let app = spawn_app(database).await;
    let agents = [
        descriptor("lead-scoring", "Lead Scorer"),
        descriptor("sentiment", "Mood Reader"),
        descriptor("draft", "Unpublished Draft"),
    ];
    // Two agents published, then a sync that adds the third as a draft.
    for (offered, publish) in [(&agents[..2], true), (&agents[..], false)] {
        abetworks::catalog::apply_sync(&app.state.db, offered, publish)
            .await
            .unwrap();
    }

    let response = app.get(&app.client, "/marketplace").await;
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
on_every_database!(the_marketplace_page_is_rendered_on_the_server_with_the_published_agents);

async fn the_marketplace_page_shows_a_long_catalog_in_pages_of_24_with_links_between_them(
    database: TestDatabase,
) {
    let app = spawn_app(database).await;
    let agents: Vec<AgentDescriptor> = (10..40)
        .map(|n| descriptor(&format!("agent-{n}"), &format!("Agent {n}")))
        .collect();
    abetworks::catalog::apply_sync(&app.state.db, &agents, true)
        .await
        .unwrap();
    let cards = |html: &str| html.matches(r#"data-testid="agent-card""#).count();

    let first = app
        .get(&app.client, "/marketplace")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(cards(&first), 24, "the first page holds 24 of the 30");
    assert!(
        first.contains("30 agents · 1–24 shown"),
        "the count says so"
    );
    assert!(
        first.contains("Agent 33") && !first.contains("Agent 34"),
        "by name"
    );
    assert!(
        first.contains(r#"data-testid="pager-next" href="/marketplace?page=2""#),
        "a link leads to the next page"
    );

    let second = app
        .get(&app.client, "/marketplace?page=2")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(cards(&second), 6, "the rest on the second");
    assert!(second.contains("Page 2 of 2") && second.contains("Agent 39"));
    assert!(
        second.contains(r#"data-testid="pager-previous" href="/marketplace""#),
        "and a link back to the first"
    );

    let (member, _) = app.signed_in("reader@example.com", Role::Member).await;
    let paged = "/api/marketplace/agents?page=2&pageSize=24";
    let page = app.get_json(&member, paged).await;
    let shown = |page: &serde_json::Value| page["items"].as_array().map(Vec::len);
    assert_eq!(
        (page["total"].clone(), page["page"].clone(), shown(&page)),
        (serde_json::json!(30), serde_json::json!(2), Some(6)),
        "the API pages the same list when asked: {page}"
    );
    let whole = app.get_json(&member, "/api/marketplace/agents").await;
    assert_eq!(shown(&whole), Some(30), "and lists it whole when not");

    let past = app
        .get(&app.client, "/marketplace?page=9")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(cards(&past), 0);
    assert!(
        past.contains("There is no page")
            && past.contains(r#"href="/marketplace?page=2">Go to the last page"#),
        "a page past the end offers the last one"
    );
    let absurd = app
        .get(&app.client, "/marketplace?page=2000000")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        absurd.contains("There is no page")
            && absurd.contains("1000000")
            && absurd.contains(r#"href="/marketplace?page=2">Go to the last page"#),
        "a page beyond any list's also offers the last one"
    );
}
on_every_database!(
    the_marketplace_page_shows_a_long_catalog_in_pages_of_24_with_links_between_them
);

async fn every_response_carries_a_request_id(database: TestDatabase) {
    let app = spawn_app(database).await;
    let response = app.get(&app.client, "/healthz").await;
    let id = response
        .headers()
        .get("x-request-id")
        .expect("a request id");
    assert!(!id.is_empty());
}
on_every_database!(every_response_carries_a_request_id);

async fn an_unknown_page_answers_404(database: TestDatabase) {
    let app = spawn_app(database).await;
    let response = app.get(&app.client, "/no-such-page").await;
    assert_eq!(response.status(), 404);
}
on_every_database!(an_unknown_page_answers_404);

async fn the_openapi_document_and_the_api_page_are_served(database: TestDatabase) {
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
on_every_database!(the_openapi_document_and_the_api_page_are_served);

/// The request counter `/healthz` answers move: its own series if the counter is labelled
/// by route, else the 2xx series.
fn healthz_requests(exposition: &str) -> f64 {
    let requests: Vec<Sample> = parse(exposition)
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

async fn the_request_counter_grows_by_the_number_of_calls(database: TestDatabase) {
    let server = ServerProcess::start(&database.url).await;
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
on_every_database!(the_request_counter_grows_by_the_number_of_calls);

#[test]
fn the_prometheus_text_is_read_into_names_labels_and_values() {
    assert_reads_two_samples(
        "# HELP x y\n# TYPE x counter\nx_total{status=\"2xx\",route=\"/a\"} 12\nplain 1.5\n",
        &[("status", "2xx"), ("route", "/a")],
    );
}
