//! A stand-in agent service for fault injection: each agent slug behaves one way.

use std::time::Duration;

use axum::body::Body;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

/// The agent service's description of the agent `slug`, named `name`, described as `about`.
pub fn descriptor(slug: &str, name: &str, about: &str) -> Value {
    json!({
        "slug": slug, "name": name, "shortDescription": about, "longDescription": about,
        "category": "Test", "priceCents": 0, "currency": "USD", "icon": "🧪", "features": [],
        "version": "1", "inputSchema": {"type": "object"}, "outputSchema": {"type": "object"}
    })
}

/// What the echo agent answers: its input back.
pub fn echoed(body: &Value) -> Value {
    json!({"output": {"echo": body["input"]}, "durationMs": 1})
}

pub const SLUGS: [&str; 5] = ["echo", "slow", "boom", "garbage", "picky"];

async fn execute(Path(slug): Path<String>, Json(body): Json<Value>) -> Response {
    match slug.as_str() {
        "echo" => Json(echoed(&body)).into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Json(json!({"output": {}, "durationMs": 5000})).into_response()
        }
        "boom" => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": {"type": "ZeroDivisionError", "message": "division by zero",
                "traceback": "Traceback (most recent call last):\n  File \"agents/boom.py\", line 3, in run\nZeroDivisionError: division by zero"}})),
        )
            .into_response(),
        "garbage" => (StatusCode::OK, "this is not json").into_response(),
        "picky" => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"error": {"type": "validation_error", "message": "Input is invalid",
                "fields": [{"field": "texts", "message": "Field required"}]}})),
        )
            .into_response(),
        _ => (StatusCode::NOT_FOUND, Json(json!({"error": {"type": "not_found", "message": "no"}}))).into_response(),
    }
}

/// Starts the stand-in on a free port; returns its base URL.
pub async fn start() -> String {
    let agents = SLUGS
        .iter()
        .map(|slug| descriptor(slug, &format!("Stand-in {slug}"), "test agent"))
        .collect();
    serve(listing(agents).route("/agents/{slug}/execute", post(execute))).await
}

/// An agent service's `/health` and its `/agents` listing `agents` (their descriptors); the
/// caller adds how they run.
pub fn listing(agents: Vec<Value>) -> Router {
    let listed = json!({ "agents": agents });
    Router::new()
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/agents", get(move || async move { Json(listed) }))
}

/// Serves `router` on a free port of 127.0.0.1 until the test ends; its base URL.
pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{address}")
}

/// A stand-in agent service with a streaming agent `batch`: `steps` progress lines `every`
/// apart, then its output. A first attempt (an execution id without `-attempt-`) of a run
/// whose input says `{"hangFirst": true}` never ends, as if its instance had died.
pub async fn streaming_service(steps: u64, every: Duration) -> String {
    let stream = move |Path(slug): Path<String>, headers: HeaderMap, Json(body): Json<Value>| async move {
        let execution = headers
            .get("x-abetworks-execution-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let hang = body["input"]["hangFirst"] == json!(true) && !execution.contains("-attempt-");
        let lines = futures_util::stream::unfold(0u64, move |step| {
            let slug = slug.clone();
            async move {
                if step > steps && !hang {
                    return None;
                }
                if step > 0 {
                    tokio::time::sleep(every).await;
                }
                let line = if step < steps || hang {
                    let done = (step + 1).min(steps);
                    json!({"type": "progress", "done": done, "total": steps, "message": format!("Scored {done} of {steps}")})
                } else {
                    json!({"type": "output", "output": {"agent": slug, "scored": steps}, "durationMs": 1})
                };
                Some((Ok::<_, std::io::Error>(format!("{line}\n")), step + 1))
            }
        });
        Response::builder()
            .header("content-type", "application/x-ndjson")
            .body(Body::from_stream(lines))
            .expect("a streamed answer")
    };
    let batch = descriptor("batch", "Batch scoring", "a long agent");
    let router = listing(vec![batch]).route("/agents/{slug}/execute/stream", post(stream));
    serve(router).await
}

/// A stand-in agent service listing `count` agents that all answer like `echo`: `echo` itself
/// and `echo-1` to `echo-{count - 1}` (the load benchmark's catalog of many agents).
// Only the load benchmark (server/benches/load) starts it.
#[allow(dead_code)]
pub async fn start_with_echoes(count: usize) -> String {
    let agents = std::iter::once(descriptor("echo", "Stand-in echo", "test agent"))
        .chain((1..count).map(|i| {
            descriptor(
                &format!("echo-{i}"),
                &format!("Echo agent {i}"),
                "answers with its input",
            )
        }))
        .collect();
    let run = |Path(slug): Path<String>, Json(body): Json<Value>| async move {
        if slug == "echo" || slug.starts_with("echo-") {
            Json(echoed(&body)).into_response()
        } else {
            let unknown = json!({"error": {"type": "not_found", "message": "no"}});
            (StatusCode::NOT_FOUND, Json(unknown)).into_response()
        }
    };
    serve(listing(agents).route("/agents/{slug}/execute", post(run))).await
}
