//! The state every handler reads: database, agent-service client, configuration. It is the
//! core's, so the REST layer never reaches into the UI crate for it. The router's own state
//! adds Leptos' options; it lives here, beside it, so routes and start-up both read it
//! without depending on each other.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

pub use abetworks::live::LiveFeed;
pub use abetworks::state::AppState;

/// The router's state: the app's state plus Leptos' options.
#[derive(Clone)]
pub struct ServerState {
    pub app: AppState,
    pub leptos: LeptosOptions,
    /// This instance's feed of new notifications, for the event streams it serves.
    pub live: LiveFeed,
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(state: &ServerState) -> Self {
        state.leptos.clone()
    }
}

impl FromRef<ServerState> for AppState {
    fn from_ref(state: &ServerState) -> Self {
        state.app.clone()
    }
}

impl FromRef<ServerState> for LiveFeed {
    fn from_ref(state: &ServerState) -> Self {
        state.live.clone()
    }
}
