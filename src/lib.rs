//! Abetworks domain core: everything that must be true of the business lives here once.
//! No HTTP and no UI: the server and the Leptos app call these functions.

pub mod actor;
pub mod agent_client;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod entities;
pub mod error;
pub mod ids;
pub mod pagination;
pub mod password;
pub mod search;
pub mod state;
pub mod users;

pub use abetworks_types as types;
pub use actor::Actor;
pub use error::{CoreError, CoreResult};

pub mod access_requests;
pub mod deliveries;
pub mod email;
pub mod error_logs;
pub mod executions;
pub mod gateway;
pub mod input;
pub mod licenses;
pub mod live;
pub mod marketplace;
pub mod metric_names;
pub mod notifications;
pub mod organizations;
pub mod outbox;
pub mod quota;
pub mod request;
pub mod runs;
pub mod secrets;
pub mod subscriptions;
#[cfg(test)]
mod test_fixtures;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod usage;
pub mod views;
pub mod webhooks;
