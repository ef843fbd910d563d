use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::*;
use crate::idens::{Organizations, Users};

/// Case-insensitive uniqueness as a second line of defence: the core stores emails trimmed and
/// lower-cased, and this index refuses any row that would collide after `lower()`.
/// SQLite and PostgreSQL accept the same statement.
const EMAIL_LOWER_INDEX: &str = crate::raw_indexes::USERS_EMAIL_LOWER;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_id(Users::Id))
                    .col(fk_id(Users::OrganizationId))
                    .col(string(Users::Email))
                    .col(string(Users::Name))
                    .col(string(Users::PasswordHash))
                    .col(enum_str(Users::Role).default("member"))
                    .col(boolean(Users::Disabled).default(false))
                    .col(ts(Users::CreatedAt))
                    .col(ts(Users::UpdatedAt))
                    .col(ts_null(Users::LastLoginAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_users_organization_id")
                            .from(Users::Table, Users::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_users_email")
                    .table(Users::Table)
                    .col(Users::Email)
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE UNIQUE INDEX {EMAIL_LOWER_INDEX} ON users (lower(email))"
            ))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_users_organization_id")
                    .table(Users::Table)
                    .col(Users::OrganizationId)
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_users_role")
                    .table(Users::Table)
                    .col(Users::Role)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_raw_index(manager, EMAIL_LOWER_INDEX).await?;
        manager
            .drop_table(Table::drop().table(Users::Table).take())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
