use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::*;
use crate::idens::AgentCatalog;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AgentCatalog::Table)
                    .col(pk_id(AgentCatalog::Id))
                    .col(string(AgentCatalog::Slug))
                    .col(string(AgentCatalog::Name))
                    .col(text(AgentCatalog::ShortDescription))
                    .col(text(AgentCatalog::LongDescription))
                    .col(string(AgentCatalog::Category))
                    .col(
                        big_integer(AgentCatalog::PriceCents)
                            .default(0)
                            .check(Expr::col(AgentCatalog::PriceCents).gte(0)),
                    )
                    .col(string_len(AgentCatalog::Currency, 3).default("USD"))
                    .col(string(AgentCatalog::Icon).default(""))
                    .col(json(AgentCatalog::Features))
                    .col(json(AgentCatalog::InputSchema))
                    .col(json(AgentCatalog::OutputSchema))
                    .col(string(AgentCatalog::Version))
                    .col(boolean(AgentCatalog::Published).default(false))
                    .col(enum_str(AgentCatalog::Status).default("available"))
                    .col(ts(AgentCatalog::CreatedAt))
                    .col(ts(AgentCatalog::UpdatedAt))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_agent_catalog_slug")
                    .table(AgentCatalog::Table)
                    .col(AgentCatalog::Slug)
                    .unique()
                    .take(),
            )
            .await?;
        for (name, col) in [
            ("idx_agent_catalog_category", AgentCatalog::Category),
            ("idx_agent_catalog_published", AgentCatalog::Published),
            ("idx_agent_catalog_price_cents", AgentCatalog::PriceCents),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AgentCatalog::Table)
                        .col(col)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AgentCatalog::Table).take())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
