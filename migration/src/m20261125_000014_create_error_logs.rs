use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::*;
use crate::idens::{AgentCatalog, ErrorLogs, Users};

/// Every 5xx, panic, agent failure and timeout. Rows outlive the users and agents they mention.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ErrorLogs::Table)
                    .col(pk_id(ErrorLogs::Id))
                    .col(string(ErrorLogs::ErrorType))
                    .col(string(ErrorLogs::Code))
                    .col(text(ErrorLogs::Message))
                    .col(text_null(ErrorLogs::StackTrace))
                    .col(enum_str(ErrorLogs::Severity))
                    .col(fk_id_null(ErrorLogs::UserId))
                    .col(fk_id_null(ErrorLogs::AgentId))
                    .col(string_null(ErrorLogs::RequestId))
                    .col(json_null(ErrorLogs::Context))
                    .col(boolean(ErrorLogs::Resolved).default(false))
                    .col(fk_id_null(ErrorLogs::ResolvedBy))
                    .col(ts_null(ErrorLogs::ResolvedAt))
                    .col(text_null(ErrorLogs::ResolutionNote))
                    .col(ts(ErrorLogs::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_error_logs_user_id")
                            .from(ErrorLogs::Table, ErrorLogs::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_error_logs_agent_id")
                            .from(ErrorLogs::Table, ErrorLogs::AgentId)
                            .to(AgentCatalog::Table, AgentCatalog::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_error_logs_resolved_by")
                            .from(ErrorLogs::Table, ErrorLogs::ResolvedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .take(),
            )
            .await?;
        for (name, col) in [
            ("idx_error_logs_severity", ErrorLogs::Severity),
            ("idx_error_logs_error_type", ErrorLogs::ErrorType),
            ("idx_error_logs_created_at", ErrorLogs::CreatedAt),
            ("idx_error_logs_resolved", ErrorLogs::Resolved),
            // Users quote a reference id; support looks the error up by it.
            ("idx_error_logs_request_id", ErrorLogs::RequestId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ErrorLogs::Table)
                        .col(col)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ErrorLogs::Table).take())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
