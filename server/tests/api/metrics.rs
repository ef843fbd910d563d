//! GET /metrics: the counters move by exactly what was done, read back from the Prometheus
//! text. The recorder is the process's, shared with every test running beside this one: the
//! agent series carry a slug only this test uses; the shared series (a route, the throttle
//! counter) are checked by a step that is tried again when another test moved them meanwhile.

use crate::common::{error_code, spawn_app_with, TestApp};
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

/// One line of the exposition: `name{label="value",…} value`.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

/// The samples of a Prometheus text exposition (comments skipped).
fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a value after the series");
            let value = value.parse().expect("a number");
            let Some((name, labels)) = series.split_once('{') else {
                return Sample {
                    name: series.to_owned(),
                    labels: Vec::new(),
                    value,
                };
            };
            Sample {
                name: name.to_owned(),
                labels: parse_labels(labels.strip_suffix('}').expect("labels end with }")),
                value,
            }
        })
        .collect()
}

/// `a="x",b="y \"quoted\""` into pairs, unescaping `\\`, `\"` and `\n`.
fn parse_labels(text: &str) -> Vec<(String, String)> {
    let mut labels = Vec::new();
    let mut rest = text;
    while let Some((key, after)) = rest.split_once("=\"") {
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next().expect("a closing quote") {
                (i, '"') => break i,
                (_, '\\') => match chars.next().expect("an escaped character").1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                (_, c) => value.push(c),
            }
        };
        labels.push((key.trim_start_matches(',').to_owned(), value));
        rest = &after[end + 1..];
    }
    labels
}

type Labels<'a> = &'a [(&'a str, &'a str)];

struct Exposition {
    text: String,
    samples: Vec<Sample>,
}

impl Exposition {
    /// The sum of the series of `name` that carry all of `labels` (0 when there is none).
    fn value(&self, name: &str, labels: Labels) -> f64 {
        self.matching(name, labels).map(|s| s.value).sum()
    }

    fn has(&self, name: &str, labels: Labels) -> bool {
        self.matching(name, labels).next().is_some()
    }

    fn matching<'s>(
        &'s self,
        name: &'s str,
        labels: Labels<'s>,
    ) -> impl Iterator<Item = &'s Sample> + 's {
        self.samples.iter().filter(move |sample| {
            sample.name == name
                && labels
                    .iter()
                    .all(|(k, v)| sample.labels.iter().any(|(sk, sv)| sk == k && sv == v))
        })
    }
}

async fn scrape(app: &TestApp) -> Exposition {
    let response = app.get(&app.client, "/metrics").await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("the exposition");
    Exposition {
        samples: parse(&text),
        text,
    }
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
    let descriptor = json!({
        "slug": slug, "name": format!("Probe {slug}"), "shortDescription": "metrics probe",
        "longDescription": "metrics probe", "category": "Test", "priceCents": 0,
        "currency": "USD", "icon": "🧪", "features": [], "version": "1",
        "inputSchema": {"type": "object"}, "outputSchema": {"type": "object"}
    });
    let app = Router::new()
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .route(
            "/agents",
            get(move || async move { Json(json!({ "agents": [descriptor] })) }),
        )
        .route(
            "/agents/{slug}/execute",
            post(|Json(body): Json<Value>| async move {
                Json(json!({"output": {"echo": body["input"]}, "durationMs": 1}))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{address}")
}

async fn run(app: &TestApp, client: &reqwest::Client, agent_id: &str) -> reqwest::Response {
    app.post(
        client,
        &format!("/api/agents/{agent_id}/execute"),
        json!({"input": {"text": "hi"}}),
    )
    .await
}

async fn counters_move(database: TestDatabase) {
    // Unique to this run, so no other test (nor this test on the other database) moves the
    // agent's series.
    let slug = format!("probe-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let app = spawn_app_with(database, &probe_service(&slug).await).await;
    abetworks::catalog::sync_from_service(&app.state.db, &app.state.agents, true)
        .await
        .expect("the probe agent is synced");
    let agent_id = abetworks::catalog::find_agent(&app.state.db, &slug)
        .await
        .expect("the catalog answers")
        .expect("the probe agent is in the catalog")
        .id;
    let (admin, _) = app.signed_in("root@example.com", Role::SuperAdmin).await;
    let (member, member_id) = app.signed_in("mia@example.com", Role::Member).await;
    let (outsider, _) = app.signed_in("otto@example.com", Role::Member).await;
    let granted = app
        .post(
            &admin,
            "/api/admin/licenses",
            json!({"userId": member_id, "agentId": agent_id, "apiCallLimit": 1}),
        )
        .await;
    assert_eq!(granted.status(), 201);

    let before = scrape(&app).await;
    assert_eq!(run(&app, &member, &agent_id).await.status(), 200);
    let refused = run(&app, &member, &agent_id).await;
    assert_eq!(error_code(refused).await, "QUOTA_EXCEEDED");
    let denied = run(&app, &outsider, &agent_id).await;
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
on_every_database!(the_counters_move_by_what_was_done, super::counters_move);

#[test]
fn the_exposition_is_read_into_names_labels_and_values() {
    let text = "# HELP x y\n# TYPE x counter\n\
                x_total{route=\"/a/{id}\",note=\"say \\\"hi\\\", twice\"} 12\nplain 1.5\n";
    let read = parse(text);
    assert_eq!(read.len(), 2);
    assert_eq!(read[0].name, "x_total");
    assert_eq!(
        read[0].labels,
        vec![
            ("route".to_owned(), "/a/{id}".to_owned()),
            ("note".to_owned(), "say \"hi\", twice".to_owned()),
        ]
    );
    assert_eq!(read[0].value, 12.0);
    assert_eq!((read[1].name.as_str(), read[1].value), ("plain", 1.5));
}
