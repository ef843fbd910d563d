//! The `users` table. Accounts. `email` is stored trimmed and lower-cased (unique, and unique on
//! `lower(email)`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use super::enums::Role;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "users")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
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

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organizations::Entity",
        from = "Column::OrganizationId",
        to = "super::organizations::Column::Id",
        on_delete = "Cascade",
        fk_name = "fk_users_organization_id"
    )]
    Organization,
    #[sea_orm(has_many = "super::user_agent_licenses::Entity")]
    Licenses,
    #[sea_orm(has_many = "super::api_keys::Entity")]
    ApiKeys,
    #[sea_orm(has_many = "super::module_executions::Entity")]
    Executions,
    #[sea_orm(has_many = "super::agent_access_requests::Entity")]
    AccessRequests,
    #[sea_orm(has_many = "super::tasks::Entity")]
    Tasks,
    #[sea_orm(has_many = "super::notifications::Entity")]
    Notifications,
}

super::related!(organizations => Organization, user_agent_licenses => Licenses, api_keys => ApiKeys, module_executions => Executions, agent_access_requests => AccessRequests, tasks => Tasks, notifications => Notifications);

impl ActiveModelBehavior for ActiveModel {}
