//! The Abetworks schema: every table, index and constraint, for SQLite and PostgreSQL.
//!
//! The core runs `migration::Migrator::up(&db, None)` at start-up. Conventions:
//! - ids are UUID v7 text (`id` primary key, foreign keys text too);
//! - timestamps are `timestamp with time zone` (UTC), JSON is `json` (text on SQLite);
//! - enumerations are short strings (32) mapped by `DeriveActiveEnum` in the entities;
//! - constraints sea-query cannot express (partial unique indexes, `lower(email)`) are raw SQL
//!   that both databases accept, and each `down` drops them.
//!
//! Every migration runs in a transaction, on SQLite as well as PostgreSQL, so a failed step
//! leaves nothing half-made behind.

pub use sea_orm_migration::prelude::*;

mod columns;
mod idens;
mod m20261125_000001_create_organizations;
mod m20261125_000002_create_users;
mod m20261125_000003_create_agent_catalog;
mod m20261125_000004_create_agent_subscriptions;
mod m20261125_000005_create_tasks;
mod m20261125_000006_create_logs;
mod m20261125_000007_create_api_keys;
mod m20261125_000008_create_modules;
mod m20261125_000009_create_user_agent_licenses;
mod m20261125_000010_create_module_executions;
mod m20261125_000011_create_resource_usage;
mod m20261125_000012_create_api_usage_tracking;
mod m20261125_000013_create_agent_access_requests;
mod m20261125_000014_create_error_logs;
mod m20261125_000015_create_tower_sessions;
mod m20261125_000016_create_login_attempts;
mod m20261125_000017_create_notifications;
mod m20261125_000018_create_registration_attempts;
mod m20261201_000019_quota_windows;
mod m20261210_000020_execution_leases;
mod m20261210_000021_background_runs;
mod m20261215_000022_outbox;
mod m20261220_000023_teams;
mod m20261225_000024_in_flight_index;

/// Every table the migrations create, parents before children (drop them in reverse).
pub const TABLES: &[&str] = &[
    "organizations",
    "users",
    "agent_catalog",
    "agent_subscriptions",
    "tasks",
    "logs",
    "api_keys",
    "modules",
    "user_agent_licenses",
    "module_executions",
    "resource_usage",
    "api_usage_tracking",
    "agent_access_requests",
    "error_logs",
    "tower_sessions",
    "login_attempts",
    "notifications",
    "registration_attempts",
    "license_top_ups",
    "license_events",
    "run_events",
    "outbox_events",
    "notification_preferences",
    "webhook_endpoints",
    "deliveries",
    "license_alerts",
    "subscription_member_usage",
    "organization_invitations",
];

/// The indexes written in raw SQL, which the core may rely on by name.
pub mod raw_indexes {
    /// Unique on `users (lower(email))`.
    pub const USERS_EMAIL_LOWER: &str = "ux_users_email_lower";
    /// Partial unique on `user_agent_licenses (user_id, agent_id)` for `active`/`suspended`.
    pub const LIVE_LICENSE: &str = "ux_user_agent_licenses_live";
    /// Partial unique on `agent_access_requests (user_id, agent_id)` for `pending`.
    pub const PENDING_ACCESS_REQUEST: &str = "ux_agent_access_requests_pending";
}

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_organizations::Migration),
            Box::new(m20261125_000002_create_users::Migration),
            Box::new(m20261125_000003_create_agent_catalog::Migration),
            Box::new(m20261125_000004_create_agent_subscriptions::Migration),
            Box::new(m20261125_000005_create_tasks::Migration),
            Box::new(m20261125_000006_create_logs::Migration),
            Box::new(m20261125_000007_create_api_keys::Migration),
            Box::new(m20261125_000008_create_modules::Migration),
            Box::new(m20261125_000009_create_user_agent_licenses::Migration),
            Box::new(m20261125_000010_create_module_executions::Migration),
            Box::new(m20261125_000011_create_resource_usage::Migration),
            Box::new(m20261125_000012_create_api_usage_tracking::Migration),
            Box::new(m20261125_000013_create_agent_access_requests::Migration),
            Box::new(m20261125_000014_create_error_logs::Migration),
            Box::new(m20261125_000015_create_tower_sessions::Migration),
            Box::new(m20261125_000016_create_login_attempts::Migration),
            Box::new(m20261125_000017_create_notifications::Migration),
            Box::new(m20261125_000018_create_registration_attempts::Migration),
            Box::new(m20261201_000019_quota_windows::Migration),
            Box::new(m20261210_000020_execution_leases::Migration),
            Box::new(m20261210_000021_background_runs::Migration),
            Box::new(m20261215_000022_outbox::Migration),
            Box::new(m20261220_000023_teams::Migration),
            Box::new(m20261225_000024_in_flight_index::Migration),
        ]
    }
}
