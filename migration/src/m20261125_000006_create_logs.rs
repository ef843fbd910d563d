use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::*;
use crate::idens::{Logs, Users};

/// The audit trail: who did what to which row, with the row before and after.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Logs::Table)
                    .col(pk_id(Logs::Id))
                    .col(fk_id_null(Logs::ActorId))
                    .col(string(Logs::Action))
                    .col(string(Logs::TargetType))
                    .col(string_null(Logs::TargetId))
                    .col(json_null(Logs::Before))
                    .col(json_null(Logs::After))
                    .col(string_null(Logs::Ip))
                    .col(ts(Logs::CreatedAt))
                    .foreign_key(
                        // The trail outlives the account that wrote it.
                        ForeignKey::create()
                            .name("fk_logs_actor_id")
                            .from(Logs::Table, Logs::ActorId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_logs_target_type_target_id")
                    .table(Logs::Table)
                    .col(Logs::TargetType)
                    .col(Logs::TargetId)
                    .take(),
            )
            .await?;
        for (name, col) in [
            ("idx_logs_actor_id", Logs::ActorId),
            ("idx_logs_created_at", Logs::CreatedAt),
            ("idx_logs_action", Logs::Action),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Logs::Table)
                        .col(col)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Logs::Table).take())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
