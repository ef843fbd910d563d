use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::*;
use crate::idens::TowerSessions;

/// The session store of the SeaORM-backed tower-sessions store: the id is tower-sessions' own
/// session id text, `data` the encoded record.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TowerSessions::Table)
                    .col(pk_id(TowerSessions::Id))
                    .col(blob(TowerSessions::Data))
                    .col(ts(TowerSessions::ExpiryDate))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tower_sessions_expiry_date")
                    .table(TowerSessions::Table)
                    .col(TowerSessions::ExpiryDate)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TowerSessions::Table).take())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
