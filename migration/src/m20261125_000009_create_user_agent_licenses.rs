use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::*;
use crate::idens::{AgentCatalog, UserAgentLicenses, Users};

/// At most one live license (active or suspended) per user and agent. Revoked licenses stay as
/// history beside the live one. SQLite and PostgreSQL accept the same partial index.
const LIVE_LICENSE_INDEX: &str = crate::raw_indexes::LIVE_LICENSE;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UserAgentLicenses::Table)
                    .col(pk_id(UserAgentLicenses::Id))
                    .col(fk_id(UserAgentLicenses::UserId))
                    .col(fk_id(UserAgentLicenses::AgentId))
                    .col(
                        // -1 = unlimited.
                        big_integer(UserAgentLicenses::ApiCallLimit)
                            .check(Expr::col(UserAgentLicenses::ApiCallLimit).gte(-1)),
                    )
                    .col(
                        big_integer(UserAgentLicenses::ApiCallsUsed)
                            .default(0)
                            .check(Expr::col(UserAgentLicenses::ApiCallsUsed).gte(0)),
                    )
                    .col(enum_str(UserAgentLicenses::Status).default("active"))
                    .col(fk_id_null(UserAgentLicenses::GrantedBy))
                    .col(ts(UserAgentLicenses::GrantedAt))
                    .col(ts_null(UserAgentLicenses::ExpiresAt))
                    .col(ts(UserAgentLicenses::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_agent_licenses_user_id")
                            .from(UserAgentLicenses::Table, UserAgentLicenses::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_agent_licenses_agent_id")
                            .from(UserAgentLicenses::Table, UserAgentLicenses::AgentId)
                            .to(AgentCatalog::Table, AgentCatalog::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_agent_licenses_granted_by")
                            .from(UserAgentLicenses::Table, UserAgentLicenses::GrantedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .take(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE UNIQUE INDEX {LIVE_LICENSE_INDEX} ON user_agent_licenses (user_id, agent_id) \
                 WHERE status IN ('active', 'suspended')"
            ))
            .await?;
        for (name, col) in [
            ("idx_user_agent_licenses_user_id", UserAgentLicenses::UserId),
            (
                "idx_user_agent_licenses_agent_id",
                UserAgentLicenses::AgentId,
            ),
            ("idx_user_agent_licenses_status", UserAgentLicenses::Status),
            (
                "idx_user_agent_licenses_expires_at",
                UserAgentLicenses::ExpiresAt,
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(UserAgentLicenses::Table)
                        .col(col)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_raw_index(manager, LIVE_LICENSE_INDEX).await?;
        manager
            .drop_table(Table::drop().table(UserAgentLicenses::Table).take())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
