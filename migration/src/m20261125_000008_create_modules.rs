use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::*;
use crate::idens::{AgentCatalog, Modules};

/// Agent modules discovered in the agent service.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Modules::Table)
                    .col(pk_id(Modules::Id))
                    .col(string(Modules::Slug))
                    .col(string(Modules::ModuleName))
                    .col(fk_id_null(Modules::AgentId))
                    .col(string(Modules::SchemaHash))
                    .col(ts(Modules::DiscoveredAt))
                    .col(ts(Modules::LastSeenAt))
                    .col(boolean(Modules::Available).default(true))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_modules_agent_id")
                            .from(Modules::Table, Modules::AgentId)
                            .to(AgentCatalog::Table, AgentCatalog::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_modules_slug")
                    .table(Modules::Table)
                    .col(Modules::Slug)
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_modules_agent_id")
                    .table(Modules::Table)
                    .col(Modules::AgentId)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Modules::Table).take())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
