//! The state every handler reads: database, agent-service client, configuration.
//!
//! It is the UI crate's today, because the server functions need the same value in their
//! context. Once it lives in the core, this `use` is the one line to change.

pub use app::state::AppState;
