//! `POST /bench/bare/{slug}`: the load benchmark's baseline (`make bench`, feature
//! `bench-baseline`). It forwards the body's `input` to the agent service through the same
//! agent client, router and middleware as the metered gateway, with no authentication, no
//! quota and no database, so the benchmark can say what the gateway itself adds. Off by
//! default and never in a normal build: it would let anyone run any agent unmetered.

use axum::Router;

use crate::state::ServerState;

/// The baseline's route; an empty router without the feature.
#[cfg(feature = "bench-baseline")]
pub fn routes() -> Router<ServerState> {
    Router::new().route("/bench/bare/{slug}", axum::routing::post(forward))
}

/// Without the feature there is nothing to add.
#[cfg(not(feature = "bench-baseline"))]
pub fn routes() -> Router<ServerState> {
    Router::new()
}

#[cfg(feature = "bench-baseline")]
#[derive(serde::Deserialize)]
struct BareBody {
    input: serde_json::Value,
}

/// The agent's answer as the agent service gave it, or the gateway's error for a failed call.
#[cfg(feature = "bench-baseline")]
async fn forward(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    axum::extract::Path(slug): axum::extract::Path<String>,
    axum::Json(body): axum::Json<BareBody>,
) -> Result<axum::Json<abetworks::agent_client::AgentOutput>, crate::error::ApiError> {
    let execution_id = abetworks::ids::new_id();
    state
        .agents
        .execute(&execution_id, "bench-baseline", &slug, &body.input)
        .await
        .map(axum::Json)
        .map_err(|error| error.public().into())
}
