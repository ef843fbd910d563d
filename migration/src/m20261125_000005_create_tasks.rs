use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::*;
use crate::idens::{AgentCatalog, Tasks, Users};

/// Asynchronous execution jobs.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tasks::Table)
                    .col(pk_id(Tasks::Id))
                    .col(fk_id(Tasks::UserId))
                    .col(fk_id(Tasks::AgentId))
                    .col(enum_str(Tasks::Status).default("queued"))
                    .col(json(Tasks::Input))
                    .col(json_null(Tasks::Output))
                    .col(text_null(Tasks::Error))
                    .col(ts(Tasks::CreatedAt))
                    .col(ts_null(Tasks::StartedAt))
                    .col(ts_null(Tasks::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tasks_user_id")
                            .from(Tasks::Table, Tasks::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        // History keeps its agent: an agent with tasks cannot be deleted. NO ACTION
                        // rather than RESTRICT: the same refusal on PostgreSQL (not deferrable), and
                        // on SQLite it reports the foreign-key code (787) that `DbErr::sql_err()`
                        // maps, where RESTRICT reports 1811, which it does not.
                        ForeignKey::create()
                            .name("fk_tasks_agent_id")
                            .from(Tasks::Table, Tasks::AgentId)
                            .to(AgentCatalog::Table, AgentCatalog::Id)
                            .on_delete(ForeignKeyAction::NoAction),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tasks_user_id_created_at")
                    .table(Tasks::Table)
                    .col(Tasks::UserId)
                    .col(Tasks::CreatedAt)
                    .take(),
            )
            .await?;
        for (name, col) in [
            ("idx_tasks_status", Tasks::Status),
            ("idx_tasks_agent_id", Tasks::AgentId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Tasks::Table)
                        .col(col)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Tasks::Table).take())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
