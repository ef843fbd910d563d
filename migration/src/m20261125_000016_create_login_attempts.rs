use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::*;
use crate::idens::LoginAttempts;

/// Login throttling held in the database, so every instance sees the same counts. No foreign
/// key: attempts name emails that may have no account.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LoginAttempts::Table)
                    .col(pk_id(LoginAttempts::Id))
                    .col(string(LoginAttempts::Email))
                    .col(string(LoginAttempts::Ip))
                    .col(boolean(LoginAttempts::Succeeded))
                    .col(ts(LoginAttempts::CreatedAt))
                    .take(),
            )
            .await?;
        for (name, col) in [
            ("idx_login_attempts_email_created_at", LoginAttempts::Email),
            ("idx_login_attempts_ip_created_at", LoginAttempts::Ip),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(LoginAttempts::Table)
                        .col(col)
                        .col(LoginAttempts::CreatedAt)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LoginAttempts::Table).take())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
