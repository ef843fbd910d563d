//! Every entity under a readable name (`Users`, `UserAgentLicenses`, ...), and the enums.

pub use super::agent_access_requests::Entity as AgentAccessRequests;
pub use super::agent_catalog::Entity as AgentCatalog;
pub use super::agent_subscriptions::Entity as AgentSubscriptions;
pub use super::api_keys::Entity as ApiKeys;
pub use super::api_usage_tracking::Entity as ApiUsageTracking;
pub use super::deliveries::Entity as Deliveries;
pub use super::error_logs::Entity as ErrorLogs;
pub use super::license_alerts::Entity as LicenseAlerts;
pub use super::license_events::Entity as LicenseEvents;
pub use super::license_top_ups::Entity as LicenseTopUps;
pub use super::login_attempts::Entity as LoginAttempts;
pub use super::logs::Entity as Logs;
pub use super::module_executions::Entity as ModuleExecutions;
pub use super::modules::Entity as Modules;
pub use super::notification_preferences::Entity as NotificationPreferences;
pub use super::notifications::Entity as Notifications;
pub use super::organization_invitations::Entity as OrganizationInvitations;
pub use super::organizations::Entity as Organizations;
pub use super::outbox_events::Entity as OutboxEvents;
pub use super::registration_attempts::Entity as RegistrationAttempts;
pub use super::resource_usage::Entity as ResourceUsage;
pub use super::run_events::Entity as RunEvents;
pub use super::subscription_member_usage::Entity as SubscriptionMemberUsage;
pub use super::tasks::Entity as Tasks;
pub use super::tower_sessions::Entity as TowerSessions;
pub use super::user_agent_licenses::Entity as UserAgentLicenses;
pub use super::users::Entity as Users;
pub use super::webhook_endpoints::Entity as WebhookEndpoints;

pub use super::enums::{
    AccessRequestKind, AccessRequestStatus, AgentStatus, ExecutionStatus, LicenseEventKind,
    LicenseStatus, QuotaWindow, Role, Severity, TaskStatus,
};
