//! The server's integration tests: one binary, so the helpers in `common` are shared without
//! being compiled (and left unused) once per file.

#![recursion_limit = "256"]

mod assets;
mod auth;
mod backup;
mod common;
mod compression;
mod contract;
mod crash;
mod faults;
mod foundation;
mod gateway;
mod metrics;
mod notifications;
mod notifications_flow;
mod openapi;
mod proxy;
mod quota_concurrency;
mod quota_windows;
mod registration;
mod roles;
mod runs;
mod server_fn_roles;
mod server_fns;
mod teams;
mod teams_admin;
mod teams_invitations;
mod teams_isolation;
mod teams_pool;
mod teams_requests;
mod unsubscribe;
mod webhooks;
mod world;
