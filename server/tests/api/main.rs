//! The server's integration tests: one binary, so the helpers in `common` are shared without
//! being compiled (and left unused) once per file.

#![recursion_limit = "256"]

mod auth;
mod common;
mod foundation;
mod gateway;
mod roles;
mod server_fns;
