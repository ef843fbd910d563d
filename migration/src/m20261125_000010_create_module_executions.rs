use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::*;
use crate::idens::{AgentCatalog, ApiKeys, ModuleExecutions, UserAgentLicenses, Users};

/// Every execution of an agent, from the web UI or with an API key.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ModuleExecutions::Table)
                    .col(pk_id(ModuleExecutions::Id))
                    .col(fk_id(ModuleExecutions::UserId))
                    .col(fk_id(ModuleExecutions::AgentId))
                    .col(fk_id_null(ModuleExecutions::LicenseId))
                    .col(fk_id_null(ModuleExecutions::ApiKeyId))
                    .col(json(ModuleExecutions::Input))
                    .col(json_null(ModuleExecutions::Output))
                    .col(enum_str(ModuleExecutions::Status).default("pending"))
                    .col(big_integer_null(ModuleExecutions::DurationMs))
                    .col(string_null(ModuleExecutions::ErrorCode))
                    .col(text_null(ModuleExecutions::ErrorMessage))
                    .col(ts(ModuleExecutions::CreatedAt))
                    .col(ts_null(ModuleExecutions::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_module_executions_user_id")
                            .from(ModuleExecutions::Table, ModuleExecutions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        // History keeps its agent: an agent that has run cannot be deleted (NO ACTION:
                        // see the tasks migration for why not RESTRICT).
                        ForeignKey::create()
                            .name("fk_module_executions_agent_id")
                            .from(ModuleExecutions::Table, ModuleExecutions::AgentId)
                            .to(AgentCatalog::Table, AgentCatalog::Id)
                            .on_delete(ForeignKeyAction::NoAction),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_module_executions_license_id")
                            .from(ModuleExecutions::Table, ModuleExecutions::LicenseId)
                            .to(UserAgentLicenses::Table, UserAgentLicenses::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_module_executions_api_key_id")
                            .from(ModuleExecutions::Table, ModuleExecutions::ApiKeyId)
                            .to(ApiKeys::Table, ApiKeys::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .take(),
            )
            .await?;
        for (name, col) in [
            (
                "idx_module_executions_user_id_created_at",
                ModuleExecutions::UserId,
            ),
            (
                "idx_module_executions_agent_id_created_at",
                ModuleExecutions::AgentId,
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ModuleExecutions::Table)
                        .col(col)
                        .col(ModuleExecutions::CreatedAt)
                        .take(),
                )
                .await?;
        }
        for (name, col) in [
            ("idx_module_executions_status", ModuleExecutions::Status),
            (
                "idx_module_executions_created_at",
                ModuleExecutions::CreatedAt,
            ),
            (
                "idx_module_executions_license_id",
                ModuleExecutions::LicenseId,
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ModuleExecutions::Table)
                        .col(col)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ModuleExecutions::Table).take())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
