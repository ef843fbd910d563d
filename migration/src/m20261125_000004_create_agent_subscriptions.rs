use sea_orm_migration::prelude::*;

use crate::columns::*;
use crate::idens::{AgentCatalog, AgentSubscriptions, Organizations, Users};

/// Organisation-level activations of an agent.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AgentSubscriptions::Table)
                    .col(pk_id(AgentSubscriptions::Id))
                    .col(fk_id(AgentSubscriptions::OrganizationId))
                    .col(fk_id(AgentSubscriptions::AgentId))
                    .col(fk_id_null(AgentSubscriptions::ActivatedBy))
                    .col(ts(AgentSubscriptions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_agent_subscriptions_organization_id")
                            .from(
                                AgentSubscriptions::Table,
                                AgentSubscriptions::OrganizationId,
                            )
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_agent_subscriptions_agent_id")
                            .from(AgentSubscriptions::Table, AgentSubscriptions::AgentId)
                            .to(AgentCatalog::Table, AgentCatalog::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_agent_subscriptions_activated_by")
                            .from(AgentSubscriptions::Table, AgentSubscriptions::ActivatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_agent_subscriptions_organization_agent")
                    .table(AgentSubscriptions::Table)
                    .col(AgentSubscriptions::OrganizationId)
                    .col(AgentSubscriptions::AgentId)
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_agent_subscriptions_agent_id")
                    .table(AgentSubscriptions::Table)
                    .col(AgentSubscriptions::AgentId)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AgentSubscriptions::Table).take())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
