//! What every request handler needs from the process: the database, the agent-service client
//! and the configuration. Shared by the REST handlers and the server functions.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::agent_client::AgentClient;
use crate::config::Config;

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub agents: AgentClient,
    pub config: Arc<Config>,
}
