//! Background runs: a run is an execution (`module_executions`) asked for in the background,
//! queued in the database and taken by a worker of any server instance.
//!
//! `module_executions` gains how it was asked for (`mode`: `sync` | `background`), how far it
//! has got (`progress_done`, `progress_total`, `progress_message`), when a worker took it
//! (`started_at`), how many times a worker took it (`attempts`), whether its owner asked to stop
//! it (`cancel_requested`) and the unmasked input a queued run is executed with (`run_input`,
//! cleared when it ends; `input` keeps the masked copy every history shows). Its status gains
//! `queued` and `cancelled` (a string column: nothing to alter). `run_events` holds each run's
//! events in order (`seq` from 1), which the event stream replays after a `Last-Event-ID`.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::*;
use crate::idens::ModuleExecutions;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns this migration adds to `module_executions`.
#[derive(DeriveIden)]
enum RunColumns {
    Mode,
    ProgressDone,
    ProgressTotal,
    ProgressMessage,
    StartedAt,
    Attempts,
    CancelRequested,
    RunInput,
}

#[derive(DeriveIden)]
enum RunEvents {
    Table,
    Id,
    RunId,
    Seq,
    Kind,
    Data,
    CreatedAt,
}

/// The workers' index: queued background runs, oldest first.
const QUEUE_INDEX: &str = "idx_module_executions_mode_status_created_at";
/// One event per sequence number of a run.
const EVENT_SEQ_INDEX: &str = "ux_run_events_run_id_seq";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One ALTER each: SQLite takes one column at a time.
        for column in [
            enum_str(RunColumns::Mode).not_null().default("sync").take(),
            big_integer_null(RunColumns::ProgressDone),
            big_integer_null(RunColumns::ProgressTotal),
            text_null(RunColumns::ProgressMessage),
            ts_null(RunColumns::StartedAt),
            integer(RunColumns::Attempts).default(0).take(),
            boolean(RunColumns::CancelRequested).default(false).take(),
            json_null(RunColumns::RunInput),
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
            .create_index(
                Index::create()
                    .name(QUEUE_INDEX)
                    .table(ModuleExecutions::Table)
                    .col(RunColumns::Mode)
                    .col(ModuleExecutions::Status)
                    .col(ModuleExecutions::CreatedAt)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RunEvents::Table)
                    .col(pk_id(RunEvents::Id))
                    .col(fk_id(RunEvents::RunId))
                    .col(big_integer(RunEvents::Seq))
                    .col(enum_str(RunEvents::Kind))
                    .col(json(RunEvents::Data))
                    .col(ts(RunEvents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_run_events_run_id")
                            .from(RunEvents::Table, RunEvents::RunId)
                            .to(ModuleExecutions::Table, ModuleExecutions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(EVENT_SEQ_INDEX)
                    .table(RunEvents::Table)
                    .col(RunEvents::RunId)
                    .col(RunEvents::Seq)
                    .unique()
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RunEvents::Table).take())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(QUEUE_INDEX)
                    .table(ModuleExecutions::Table)
                    .to_owned(),
            )
            .await?;
        // Without runs, a queued run never ran and a cancelled one did not succeed.
        for (from, to) in [("queued", "failed"), ("cancelled", "failed")] {
            manager
                .exec_stmt(
                    Query::update()
                        .table(ModuleExecutions::Table)
                        .value(ModuleExecutions::Status, to)
                        .and_where(Expr::col(ModuleExecutions::Status).eq(from))
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            RunColumns::RunInput,
            RunColumns::CancelRequested,
            RunColumns::Attempts,
            RunColumns::StartedAt,
            RunColumns::ProgressMessage,
            RunColumns::ProgressTotal,
            RunColumns::ProgressDone,
            RunColumns::Mode,
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
