//! Server-side state handed to server functions through Leptos context.

use std::sync::Arc;

use abetworks::agent_client::AgentClient;
use abetworks::config::Config;
use leptos::prelude::{use_context, ServerFnError};
use sea_orm::DatabaseConnection;

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub agents: AgentClient,
    pub config: Arc<Config>,
}

/// The state provided by the server for this request.
pub fn app_state() -> Result<AppState, ServerFnError> {
    use_context::<AppState>().ok_or_else(|| ServerFnError::new("server state is missing"))
}
