//! Liveness and readiness.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use crate::state::AppState;

/// The process is up.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready when the database answers; the agent service is reported on its own line, since
/// browsing and administration work without it.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let (database, agents) =
        tokio::join!(abetworks::db::ping(&state.db), state.agents.is_healthy());
    let status = if database {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let word = |ok: bool| if ok { "ok" } else { "unreachable" };
    (
        status,
        Json(json!({
            "status": if database { "ready" } else { "not_ready" },
            "database": word(database),
            "agentService": word(agents),
        })),
    )
}
