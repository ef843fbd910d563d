use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::*;
use crate::idens::{AgentCatalog, ApiKeys, Users};

/// API keys: stored only as a hash; `prefix` is what the owner sees to recognise a key.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(pk_id(ApiKeys::Id))
                    .col(fk_id(ApiKeys::UserId))
                    .col(string(ApiKeys::Name))
                    .col(string(ApiKeys::Prefix))
                    .col(string(ApiKeys::KeyHash))
                    .col(fk_id_null(ApiKeys::AgentId))
                    .col(ts_null(ApiKeys::ExpiresAt))
                    .col(ts_null(ApiKeys::LastUsedAt))
                    .col(ts_null(ApiKeys::RevokedAt))
                    .col(ts(ApiKeys::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_keys_user_id")
                            .from(ApiKeys::Table, ApiKeys::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        // A key scoped to an agent dies with the agent: SET NULL would widen
                        // its scope to every agent.
                        ForeignKey::create()
                            .name("fk_api_keys_agent_id")
                            .from(ApiKeys::Table, ApiKeys::AgentId)
                            .to(AgentCatalog::Table, AgentCatalog::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_api_keys_key_hash")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::KeyHash)
                    .unique()
                    .take(),
            )
            .await?;
        for (name, col) in [
            ("idx_api_keys_user_id", ApiKeys::UserId),
            ("idx_api_keys_agent_id", ApiKeys::AgentId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ApiKeys::Table)
                        .col(col)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiKeys::Table).take())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
