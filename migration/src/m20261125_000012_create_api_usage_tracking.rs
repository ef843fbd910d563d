use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::*;
use crate::idens::{AgentCatalog, ApiKeys, ApiUsageTracking, Users};

/// One row per API request, authenticated or not. The rows outlive the user, agent and key they
/// mention (SET NULL).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiUsageTracking::Table)
                    .col(pk_id(ApiUsageTracking::Id))
                    .col(fk_id_null(ApiUsageTracking::UserId))
                    .col(fk_id_null(ApiUsageTracking::AgentId))
                    .col(fk_id_null(ApiUsageTracking::ApiKeyId))
                    .col(string(ApiUsageTracking::Endpoint))
                    .col(string_len(ApiUsageTracking::Method, 16))
                    .col(integer(ApiUsageTracking::StatusCode))
                    .col(big_integer(ApiUsageTracking::DurationMs))
                    .col(text_null(ApiUsageTracking::Error))
                    .col(ts(ApiUsageTracking::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_usage_tracking_user_id")
                            .from(ApiUsageTracking::Table, ApiUsageTracking::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_usage_tracking_agent_id")
                            .from(ApiUsageTracking::Table, ApiUsageTracking::AgentId)
                            .to(AgentCatalog::Table, AgentCatalog::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_usage_tracking_api_key_id")
                            .from(ApiUsageTracking::Table, ApiUsageTracking::ApiKeyId)
                            .to(ApiKeys::Table, ApiKeys::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_api_usage_tracking_created_at")
                    .table(ApiUsageTracking::Table)
                    .col(ApiUsageTracking::CreatedAt)
                    .take(),
            )
            .await?;
        for (name, col) in [
            (
                "idx_api_usage_tracking_user_id_created_at",
                ApiUsageTracking::UserId,
            ),
            (
                "idx_api_usage_tracking_agent_id_created_at",
                ApiUsageTracking::AgentId,
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ApiUsageTracking::Table)
                        .col(col)
                        .col(ApiUsageTracking::CreatedAt)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiUsageTracking::Table).take())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
