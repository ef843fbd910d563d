use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::*;
use crate::idens::{AgentCatalog, ResourceUsage, Users};

/// Daily roll-ups per user and agent. `day` is a `date` column (`Date` = `chrono::NaiveDate` in
/// the entity); SQLite stores it as `YYYY-MM-DD` text, which sorts and compares correctly.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ResourceUsage::Table)
                    .col(pk_id(ResourceUsage::Id))
                    .col(fk_id(ResourceUsage::UserId))
                    .col(fk_id(ResourceUsage::AgentId))
                    .col(date(ResourceUsage::Day))
                    .col(big_integer(ResourceUsage::Calls).default(0))
                    .col(big_integer(ResourceUsage::Successes).default(0))
                    .col(big_integer(ResourceUsage::Failures).default(0))
                    .col(big_integer(ResourceUsage::TotalDurationMs).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_resource_usage_user_id")
                            .from(ResourceUsage::Table, ResourceUsage::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        // Usage history keeps its agent (NO ACTION: see the tasks migration).
                        ForeignKey::create()
                            .name("fk_resource_usage_agent_id")
                            .from(ResourceUsage::Table, ResourceUsage::AgentId)
                            .to(AgentCatalog::Table, AgentCatalog::Id)
                            .on_delete(ForeignKeyAction::NoAction),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_resource_usage_user_agent_day")
                    .table(ResourceUsage::Table)
                    .col(ResourceUsage::UserId)
                    .col(ResourceUsage::AgentId)
                    .col(ResourceUsage::Day)
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_resource_usage_agent_id_day")
                    .table(ResourceUsage::Table)
                    .col(ResourceUsage::AgentId)
                    .col(ResourceUsage::Day)
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_resource_usage_day")
                    .table(ResourceUsage::Table)
                    .col(ResourceUsage::Day)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ResourceUsage::Table).take())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
