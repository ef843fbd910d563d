//! What every request handler needs from the process: the database, the agent-service client
//! and the configuration. Shared by the REST handlers and the server functions.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::agent_client::AgentClient;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::quota::QuotaContext;

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub agents: AgentClient,
    pub config: Arc<Config>,
    /// Where quota windows read the time; a test moves it across midnight.
    pub clock: SharedClock,
}

impl AppState {
    /// What admission needs to meter one call made now.
    pub fn quota_context(&self) -> QuotaContext {
        QuotaContext {
            now: self.clock.now(),
            default_burst_per_second: self.config.default_burst_per_second,
        }
    }
}
