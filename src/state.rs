//! What every request handler needs from the process: the database, the agent-service client
//! and the configuration. Shared by the REST handlers and the server functions.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::agent_client::AgentClient;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::executions::lease::LeaseSettings;
use crate::quota::QuotaContext;

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub agents: AgentClient,
    pub config: Arc<Config>,
    /// Where quota windows read the time; a test moves it across midnight.
    pub clock: SharedClock,
    /// This server instance, new at every start: the owner of the leases of the executions it
    /// runs (`executions::lease::new_instance_id`).
    pub instance_id: Arc<str>,
    /// The SMTP client, when `ABETWORKS_SMTP_URL` is set (built once, shared by deliveries).
    pub mailer: Option<crate::email::Mailer>,
}

impl AppState {
    /// What admission needs to meter one call made now.
    pub fn quota_context(&self) -> QuotaContext {
        QuotaContext {
            now: self.clock.now(),
            default_burst_per_second: self.config.default_burst_per_second,
        }
    }

    /// The leases this instance takes on the executions it runs.
    pub fn execution_lease(&self) -> LeaseSettings {
        LeaseSettings {
            owner: self.instance_id.clone(),
            period: self.config.execution_lease,
            clock: self.clock.clone(),
        }
    }
}
