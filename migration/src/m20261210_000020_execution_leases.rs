//! Executions as durable records with a lease: the instance running an execution holds a lease
//! on it and renews it; any instance sweeps executions whose lease expired, marks them
//! `abandoned` and gives their unit back to the quota window it was taken from.
//!
//! `module_executions` gains the window its unit was taken from (`window_start_unix`), the
//! instance running it (`lease_owner`) and when its lease ends (`lease_expires_at`), with an
//! index for the sweeper. Executions left `running` by an instance that died before this
//! migration get a lease that has already ended (`created_at`), so the first sweep settles them.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::*;
use crate::idens::ModuleExecutions;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns this migration adds (their table is `module_executions`).
#[derive(DeriveIden)]
enum LeaseColumns {
    WindowStartUnix,
    LeaseOwner,
    LeaseExpiresAt,
}

/// The sweeper's index: running executions by the end of their lease.
const SWEEP_INDEX: &str = "idx_module_executions_status_lease_expires_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One ALTER each: SQLite takes one column at a time.
        for column in [
            // Unix seconds of the quota window the execution's unit was taken from; null for
            // executions recorded before this migration.
            big_integer_null(LeaseColumns::WindowStartUnix),
            text_null(LeaseColumns::LeaseOwner),
            ts_null(LeaseColumns::LeaseExpiresAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ModuleExecutions::Table)
                        .add_column(column)
                        .take(),
                )
                .await?;
        }
        manager
            .exec_stmt(
                Query::update()
                    .table(ModuleExecutions::Table)
                    .value(
                        LeaseColumns::LeaseExpiresAt,
                        Expr::col(ModuleExecutions::CreatedAt),
                    )
                    .and_where(Expr::col(ModuleExecutions::Status).eq("running"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(SWEEP_INDEX)
                    .table(ModuleExecutions::Table)
                    .col(ModuleExecutions::Status)
                    .col(LeaseColumns::LeaseExpiresAt)
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(SWEEP_INDEX)
                    .table(ModuleExecutions::Table)
                    .to_owned(),
            )
            .await?;
        // An abandoned execution did not succeed: it reads as failed without this migration.
        manager
            .exec_stmt(
                Query::update()
                    .table(ModuleExecutions::Table)
                    .value(ModuleExecutions::Status, "failed")
                    .and_where(Expr::col(ModuleExecutions::Status).eq("abandoned"))
                    .to_owned(),
            )
            .await?;
        for column in [
            LeaseColumns::LeaseExpiresAt,
            LeaseColumns::LeaseOwner,
            LeaseColumns::WindowStartUnix,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ModuleExecutions::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
