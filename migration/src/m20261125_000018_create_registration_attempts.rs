use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::*;
use crate::idens::RegistrationAttempts;

/// Registration throttling held in the database, so every instance sees the same counts: one
/// row per registration that got as far as hashing a password.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RegistrationAttempts::Table)
                    .col(pk_id(RegistrationAttempts::Id))
                    .col(string(RegistrationAttempts::Ip))
                    .col(ts(RegistrationAttempts::CreatedAt))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_registration_attempts_ip_created_at")
                    .table(RegistrationAttempts::Table)
                    .col(RegistrationAttempts::Ip)
                    .col(RegistrationAttempts::CreatedAt)
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RegistrationAttempts::Table).take())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
