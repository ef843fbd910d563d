//! The axum server: router, REST handlers, middleware and start-up. Handlers stay thin.

#![recursion_limit = "256"]

pub mod bench_baseline;
pub mod caching;
pub mod error;
pub mod error_log_layer;
pub mod extract;
pub mod input;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod routes;
pub mod session_store;
pub mod startup;
pub mod state;
pub mod telemetry;

#[cfg(test)]
mod future_budget;
