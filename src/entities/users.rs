//! The `users` table. Accounts. `email` is stored trimmed and lower-cased (unique, and unique on
//! `lower(email)`).

use sea_orm::entity::prelude::*;

use super::enums::Role;

super::model! {
    table "users";
    pub organization_id: String,
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    /// Never serialised: model JSON must not carry the hash.
    #[serde(skip_serializing, default)]
    pub password_hash: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub last_login_at: Option<DateTimeUtc>,
}

super::relations! {
    Organization: belongs_to organizations via OrganizationId, on delete Cascade, named "fk_users_organization_id";
    Licenses: has_many user_agent_licenses;
    ApiKeys: has_many api_keys;
    Executions: has_many module_executions;
    AccessRequests: has_many agent_access_requests;
    Tasks: has_many tasks;
    Notifications: has_many notifications;
}

super::related!(organizations => Organization, user_agent_licenses => Licenses, api_keys => ApiKeys, module_executions => Executions, agent_access_requests => AccessRequests, tasks => Tasks, notifications => Notifications);

impl ActiveModelBehavior for ActiveModel {}
