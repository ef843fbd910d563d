//! The `api_usage_tracking` table. One row per API request, authenticated or not.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "api_usage_tracking")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: Option<String>,
    pub agent_id: Option<String>,
    pub api_key_id: Option<String>,
    pub endpoint: String,
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub method: String,
    pub status_code: i32,
    pub duration_ms: i64,
    #[sea_orm(column_type = "Text")]
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "SetNull",
        fk_name = "fk_api_usage_tracking_user_id"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::agent_catalog::Entity",
        from = "Column::AgentId",
        to = "super::agent_catalog::Column::Id",
        on_delete = "SetNull",
        fk_name = "fk_api_usage_tracking_agent_id"
    )]
    Agent,
    #[sea_orm(
        belongs_to = "super::api_keys::Entity",
        from = "Column::ApiKeyId",
        to = "super::api_keys::Column::Id",
        on_delete = "SetNull",
        fk_name = "fk_api_usage_tracking_api_key_id"
    )]
    ApiKey,
}

super::related!(users => User, agent_catalog => Agent, api_keys => ApiKey);

impl ActiveModelBehavior for ActiveModel {}
