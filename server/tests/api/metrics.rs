//! GET /metrics: the counters move by exactly what was done, read back from the Prometheus
//! text. The recorder is the process's, shared with every test running beside this one: the
//! agent series carry a slug only this test uses; the shared series (a route, the throttle
//! counter) are checked by a step that is tried again when another test moved them meanwhile.

use crate::common::prometheus::{assert_reads_two_samples, Exposition, Labels};
use crate::common::{error_code, spawn_app_with, stand_in, TestApp};
use abetworks::entities::enums::Role;
use abetworks::metric_names;
use abetworks::on_every_database;
use abetworks::testing::TestDatabase;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use server::metrics::{
    AGENT_SERVICE_UP, BUILD_INFO, DB_POOL_IDLE, DB_POOL_MAX, DB_POOL_SIZE, DB_POOL_WAITERS,
    HTTP_REQUESTS, HTTP_REQUEST_SECONDS, LICENSES_NEAR_LIMIT, UNMATCHED,
};

async fn scrape(app: &TestApp) -> Exposition {
    let response = app.get(&app.client, "/metrics").await;
    assert_eq!(response.status(), 200);
    Exposition::new(response.text().await.expect("the exposition"))
}

/// A series and by how much one act must move it.
type Step<'a> = (&'a str, Labels<'a>, f64);

/// Each series grew from `before` to `after` by exactly its step.
fn grew_as_expected(before: &Exposition, after: &Exposition, steps: &[Step]) -> Vec<f64> {
    steps
        .iter()
        .map(|(name, labels, _)| after.value(name, labels) - before.value(name, labels))
        .collect()
}

fn all_match(grown: &[f64], steps: &[Step]) -> bool {
    grown
        .iter()
        .zip(steps)
        .all(|(grew, (_, _, step))| (grew - step).abs() < 1e-9)
}

/// Does `act` and checks each series moved by exactly its step. A series other tests can
/// move too is tried again (a few times) before failing: a wrong count fails every time.
async fn moves_exactly(app: &TestApp, act: impl AsyncFn(), steps: &[Step<'_>]) {
    const ATTEMPTS: usize = 5;
    let mut grown = Vec::new();
    for _ in 0..ATTEMPTS {
        let before = scrape(app).await;
        act().await;
        let after = scrape(app).await;
        grown = grew_as_expected(&before, &after, steps);
        if all_match(&grown, steps) {
            return;
        }
    }
    let wanted: Vec<String> = steps
        .iter()
        .map(|(name, labels, step)| format!("{name}{labels:?} +{step}"))
        .collect();
    panic!("wanted {wanted:?}, the series grew by {grown:?} (in {ATTEMPTS} attempts)");
}

/// A stand-in agent service offering one agent, `slug`, that echoes its input.
async fn probe_service(slug: &str) -> String {
    let descriptor = stand_in::descriptor(slug, &format!("Probe {slug}"), "metrics probe");
    let app = Router::new()
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .route(
            "/agents",
            get(move || async move { Json(json!({ "agents": [descriptor] })) }),
        )
        .route(
            "/agents/{slug}/execute",
            post(|Json(body): Json<Value>| async move { Json(stand_in::echoed(&body)) }),
        );
    stand_in::serve(app).await
}

async fn the_counters_move_by_what_was_done(database: TestDatabase) {
    // Unique to this run, so no other test (nor this test on the other database) moves the
    // agent's series.
    let slug = format!("probe-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let app = spawn_app_with(database, &probe_service(&slug).await).await;
    app.sync_catalog().await;
    let agent_id = app.agent_id(&slug).await;
    let admin = app.signed_in_as_root().await;
    let (member, member_id) = app.signed_in("mia@example.com", Role::Member).await;
    let (outsider, _) = app.signed_in("otto@example.com", Role::Member).await;
    app.grant(&admin, &member_id, &agent_id, json!({"apiCallLimit": 1}))
        .await;

    let before = scrape(&app).await;
    assert_eq!(app.execute(&member, &agent_id).await.status(), 200);
    let refused = app.execute(&member, &agent_id).await;
    assert_eq!(error_code(refused).await, "QUOTA_EXCEEDED");
    let denied = app.execute(&outsider, &agent_id).await;
    assert_eq!(error_code(denied).await, "LICENSE_REQUIRED");
    let after = scrape(&app).await;
    let agent = ("agent", slug.as_str());
    let steps: [Step; 6] = [
        (
            metric_names::EXECUTIONS,
            &[agent, ("outcome", metric_names::SUCCEEDED)],
            1.0,
        ),
        (
            metric_names::EXECUTIONS,
            &[agent, ("outcome", "QUOTA_EXCEEDED")],
            1.0,
        ),
        (
            metric_names::EXECUTIONS,
            &[agent, ("outcome", "LICENSE_REQUIRED")],
            1.0,
        ),
        (metric_names::QUOTA_REJECTIONS, &[agent], 1.0),
        (
            metric_names::LICENSE_DENIALS,
            &[agent, ("code", "LICENSE_REQUIRED")],
            1.0,
        ),
        // Only the admitted run reached the agent service.
        (
            "abetworks_agent_call_duration_seconds_count",
            &[agent, ("outcome", metric_names::CALL_OK)],
            1.0,
        ),
    ];
    let grown = grew_as_expected(&before, &after, &steps);
    assert!(
        all_match(&grown, &steps),
        "the agent's series grew by {grown:?}"
    );
    assert!(
        after.has(
            HTTP_REQUESTS,
            &[
                ("route", "/api/agents/{agentId}/execute"),
                ("status", "429")
            ]
        ),
        "requests are counted by route template"
    );
    assert!(
        !after.text.contains(&agent_id),
        "no raw path (with its id) is a label"
    );

    let health = [("method", "GET"), ("route", "/healthz"), ("status", "200")];
    let healthz_count = format!("{HTTP_REQUEST_SECONDS}_count");
    moves_exactly(
        &app,
        async || assert_eq!(app.get(&app.client, "/healthz").await.status(), 200),
        &[
            (HTTP_REQUESTS, &health, 1.0),
            (&healthz_count, &health, 1.0),
        ],
    )
    .await;

    let unknown_path = format!("/no-such-page-{}", uuid::Uuid::new_v4().simple());
    moves_exactly(
        &app,
        async || assert_eq!(app.get(&app.client, &unknown_path).await.status(), 404),
        &[(
            HTTP_REQUESTS,
            &[("route", UNMATCHED), ("status", "404")],
            1.0,
        )],
    )
    .await;
    assert!(!scrape(&app).await.text.contains(&unknown_path));

    // Five failures throttle the email; each later attempt is one throttled login.
    let attempt = async || {
        app.post(
            &app.new_client(),
            "/api/auth/login",
            json!({"email": "mia@example.com", "password": "wrong-password"}),
        )
        .await
        .status()
    };
    for _ in 0..5 {
        assert_eq!(attempt().await, 401);
    }
    moves_exactly(
        &app,
        async || assert_eq!(attempt().await, 429),
        &[
            (metric_names::LOGIN_THROTTLES, &[], 1.0),
            (
                HTTP_REQUESTS,
                &[("route", "/api/auth/login"), ("status", "429")],
                1.0,
            ),
        ],
    )
    .await;

    // Gauges are process-wide: another app's scrape may set them in between, so each is
    // read until it shows this app's value.
    let version = env!("CARGO_PKG_VERSION");
    let mut seen = None;
    for _ in 0..5 {
        let now = scrape(&app).await;
        for gauge in [DB_POOL_SIZE, DB_POOL_IDLE, DB_POOL_WAITERS] {
            assert!(now.has(gauge, &[]), "{gauge} in:\n{}", now.text);
        }
        assert!(now.value(DB_POOL_MAX, &[]) >= 1.0);
        assert_eq!(now.value(BUILD_INFO, &[("version", version)]), 1.0);
        let state = (
            now.value(LICENSES_NEAR_LIMIT, &[("percent", "90")]),
            now.value(AGENT_SERVICE_UP, &[]),
        );
        seen = Some(state);
        if state == (1.0, 1.0) {
            break;
        }
    }
    assert_eq!(
        seen,
        Some((1.0, 1.0)),
        "one license at 90% or more of its limit, and the agent service up"
    );
}
on_every_database!(the_counters_move_by_what_was_done);

#[test]
fn the_exposition_is_read_into_names_labels_and_values() {
    assert_reads_two_samples(
        "# HELP x y\n# TYPE x counter\n\
         x_total{route=\"/a/{id}\",note=\"say \\\"hi\\\", twice\"} 12\nplain 1.5\n",
        &[("route", "/a/{id}"), ("note", "say \"hi\", twice")],
    );
}
