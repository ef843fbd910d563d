//! The names and label values of the metrics the core records through the `metrics` facade.
//! Recording is a no-op until a recorder is installed (the server installs Prometheus'), so
//! the core and its tests run without one. Labels stay bounded: agents are catalog slugs,
//! outcomes come from the error-code table.

/// Agent runs through the gateway, by `agent` (slug) and `outcome` ([`SUCCEEDED`] or the
/// failure's error code, e.g. `QUOTA_EXCEEDED`).
pub const EXECUTIONS: &str = "abetworks_executions_total";
/// Runs refused because the license's call limit is used up, by `agent`.
pub const QUOTA_REJECTIONS: &str = "abetworks_quota_rejections_total";
/// Runs refused for the license itself (none, revoked, suspended, expired), by `agent` and
/// `code`.
pub const LICENSE_DENIALS: &str = "abetworks_license_denials_total";
/// Executions settled as `abandoned` by the sweeper (their instance stopped renewing the lease;
/// the unit was given back).
pub const EXECUTIONS_ABANDONED: &str = "abetworks_executions_abandoned_total";
/// Logins refused because the email or the client address is throttled.
pub const LOGIN_THROTTLES: &str = "abetworks_login_throttles_total";
/// Agent-service execute calls in seconds, by `agent` and `outcome` ([`CALL_OK`] or the
/// error code the call failed with, e.g. `AGENT_UNAVAILABLE`).
pub const AGENT_CALL_SECONDS: &str = "abetworks_agent_call_duration_seconds";
/// Delivery attempts of outbox events, by `channel` (`email`, `webhook`) and `outcome`
/// ([`DELIVERED`], [`RETRYING`] or [`GAVE_UP`]).
pub const DELIVERIES: &str = "abetworks_deliveries_total";
/// Webhook attempts in seconds, from the request to the receiver's answer (or the failure).
pub const WEBHOOK_LATENCY_SECONDS: &str = "abetworks_webhook_latency_seconds";

/// The age in seconds of the oldest outbox event not yet fanned out (0 when none waits), set
/// by each instance's dispatcher after every pass.
pub const OUTBOX_LAG_SECONDS: &str = "abetworks_outbox_lag_seconds";

/// The `outcome` of a delivery attempt the receiver accepted.
pub const DELIVERED: &str = "delivered";
/// The `outcome` of a failed delivery attempt that will be tried again.
pub const RETRYING: &str = "retrying";
/// The `outcome` of a failed delivery attempt after which the delivery is given up (`failed`).
pub const GAVE_UP: &str = "failed";

/// The `outcome` of a run that succeeded.
pub const SUCCEEDED: &str = "succeeded";
/// The `outcome` of an agent-service call that answered with an output.
pub const CALL_OK: &str = "ok";
/// The `agent` of a run that named no agent of the catalog (never the text asked for).
pub const UNKNOWN_AGENT: &str = "unknown";
