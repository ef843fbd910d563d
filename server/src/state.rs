//! The state every handler reads: database, agent-service client, configuration. It is the
//! core's, so the REST layer never reaches into the UI crate for it.

pub use abetworks::state::AppState;
