//! The `module_executions` table. Every execution of an agent. Rows keep their agent (the agent
//! cannot be deleted). A running execution holds a lease its instance renews; the sweeper
//! settles those whose lease ended (`crate::executions::sweep`).

use sea_orm::entity::prelude::*;

use super::enums::{ExecutionMode, ExecutionStatus};

super::model! {
    table "module_executions";
    pub user_id: String,
    pub agent_id: String,
    pub license_id: Option<String>,
    pub api_key_id: Option<String>,
    pub input: Json,
    pub output: Option<Json>,
    pub status: ExecutionStatus,
    pub duration_ms: Option<i64>,
    pub error_code: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub error_message: Option<String>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    /// Unix seconds of the quota window the execution's unit was taken from (a refund goes
    /// there); null for executions recorded before leases.
    pub window_start_unix: Option<i64>,
    /// The server instance running the execution, which renews its lease.
    #[sea_orm(column_type = "Text")]
    pub lease_owner: Option<String>,
    /// When the lease ends unless renewed; a running execution past it is swept as abandoned.
    pub lease_expires_at: Option<DateTimeUtc>,
    /// `sync` (the execute call waits for it) or `background` (a run taken from the queue).
    pub mode: ExecutionMode,
    /// How far a background run has got, as its agent last reported.
    pub progress_done: Option<i64>,
    pub progress_total: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub progress_message: Option<String>,
    /// When a worker last took the run (a sync execution: when it was admitted).
    pub started_at: Option<DateTimeUtc>,
    /// How many times a worker took the run (its instance may die and another take it again).
    pub attempts: i32,
    /// The owner asked to stop the run; the worker running it stops at its next report.
    pub cancel_requested: bool,
    /// The unmasked input a background run is executed with, cleared when it ends (`input`
    /// keeps the masked copy the histories show).
    pub run_input: Option<Json>,
    /// The organisation pool the unit came from when it was not the user's license (a refund
    /// goes back there).
    pub subscription_id: Option<String>,
}

super::relations! {
    Events: has_many run_events;
    User: belongs_to users via UserId, on delete Cascade, named "fk_module_executions_user_id";
    Agent: belongs_to agent_catalog via AgentId, on delete NoAction, named "fk_module_executions_agent_id";
    License: belongs_to user_agent_licenses via LicenseId, on delete SetNull, named "fk_module_executions_license_id";
    ApiKey: belongs_to api_keys via ApiKeyId, on delete SetNull, named "fk_module_executions_api_key_id";
    // For joins only: the column has no foreign key in the schema (see migration 23).
    Subscription: belongs_to agent_subscriptions via SubscriptionId, on delete SetNull, named "fk_module_executions_subscription_id";
}

super::related!(run_events => Events, users => User, agent_catalog => Agent, user_agent_licenses => License, api_keys => ApiKey, agent_subscriptions => Subscription);

impl ActiveModelBehavior for ActiveModel {}
