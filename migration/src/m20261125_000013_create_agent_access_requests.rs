use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::*;
use crate::idens::{AgentAccessRequests, AgentCatalog, Users};

/// At most one pending request per user and agent; reviewed ones stay as history.
/// SQLite and PostgreSQL accept the same partial index.
const PENDING_REQUEST_INDEX: &str = crate::raw_indexes::PENDING_ACCESS_REQUEST;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AgentAccessRequests::Table)
                    .col(pk_id(AgentAccessRequests::Id))
                    .col(fk_id(AgentAccessRequests::UserId))
                    .col(fk_id(AgentAccessRequests::AgentId))
                    .col(text(AgentAccessRequests::RequestReason))
                    .col(enum_str(AgentAccessRequests::Status).default("pending"))
                    .col(ts(AgentAccessRequests::RequestedAt))
                    .col(fk_id_null(AgentAccessRequests::ReviewedBy))
                    .col(ts_null(AgentAccessRequests::ReviewedAt))
                    .col(text_null(AgentAccessRequests::ReviewNote))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_agent_access_requests_user_id")
                            .from(AgentAccessRequests::Table, AgentAccessRequests::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_agent_access_requests_agent_id")
                            .from(AgentAccessRequests::Table, AgentAccessRequests::AgentId)
                            .to(AgentCatalog::Table, AgentCatalog::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_agent_access_requests_reviewed_by")
                            .from(AgentAccessRequests::Table, AgentAccessRequests::ReviewedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .take(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE UNIQUE INDEX {PENDING_REQUEST_INDEX} ON agent_access_requests (user_id, agent_id) \
                 WHERE status = 'pending'"
            ))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_agent_access_requests_user_id_requested_at")
                    .table(AgentAccessRequests::Table)
                    .col(AgentAccessRequests::UserId)
                    .col(AgentAccessRequests::RequestedAt)
                    .take(),
            )
            .await?;
        for (name, col) in [
            (
                "idx_agent_access_requests_status",
                AgentAccessRequests::Status,
            ),
            (
                "idx_agent_access_requests_agent_id",
                AgentAccessRequests::AgentId,
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AgentAccessRequests::Table)
                        .col(col)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_raw_index(manager, PENDING_REQUEST_INDEX).await?;
        manager
            .drop_table(Table::drop().table(AgentAccessRequests::Table).take())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
