//! Quota windows: a license's limit counts per lifetime, calendar day or month in its own time
//! zone; top-ups add calls to one window; a burst limiter per license; every change to a license
//! leaves a line of history; an access request may ask for more calls on a license held.
//!
//! The counter and the window it belongs to live on the license row (`window_start_unix`), so
//! admission stays one conditional UPDATE that also starts a new window at zero.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::*;
use crate::idens::{AgentAccessRequests, LicenseEvents, LicenseTopUps, UserAgentLicenses, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns added to `user_agent_licenses`, one ALTER each (SQLite takes one at a time).
fn license_columns() -> Vec<ColumnDef> {
    use UserAgentLicenses as L;
    vec![
        enum_str(L::QuotaWindow).default("lifetime").take(),
        string_len(L::WindowTimeZone, 64).default("UTC").take(),
        // Ranges are checked by the core: SQLite cannot drop a column that has a CHECK.
        integer(L::ResetDay).default(1).take(),
        integer_null(L::BurstPerSecond),
        // Unix seconds of the start of the window `api_calls_used` counts; 0 for lifetime.
        big_integer(L::WindowStartUnix).default(0).take(),
        big_integer(L::TopUpCalls).default(0).take(),
        ts_null(L::TopUpExpiresAt),
        // The burst limiter: the second it counts (unix) and the calls admitted in it.
        big_integer(L::BurstSecondUnix).default(0).take(),
        integer(L::BurstCount).default(0).take(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for mut column in license_columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(UserAgentLicenses::Table)
                        .add_column(&mut column)
                        .take(),
                )
                .await?;
        }
        for column in [
            enum_str(AgentAccessRequests::Kind).default("access").take(),
            big_integer_null(AgentAccessRequests::RequestedCalls),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AgentAccessRequests::Table)
                        .add_column(column)
                        .take(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(LicenseTopUps::Table)
                    .col(pk_id(LicenseTopUps::Id))
                    .col(fk_id(LicenseTopUps::LicenseId))
                    .col(
                        big_integer(LicenseTopUps::Calls)
                            .check(Expr::col(LicenseTopUps::Calls).gt(0)),
                    )
                    .col(text(LicenseTopUps::Note))
                    .col(ts_null(LicenseTopUps::ExpiresAt))
                    .col(big_integer(LicenseTopUps::WindowStartUnix))
                    .col(fk_id_null(LicenseTopUps::CreatedBy))
                    .col(ts(LicenseTopUps::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_license_top_ups_license_id")
                            .from(LicenseTopUps::Table, LicenseTopUps::LicenseId)
                            .to(UserAgentLicenses::Table, UserAgentLicenses::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_license_top_ups_created_by")
                            .from(LicenseTopUps::Table, LicenseTopUps::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LicenseEvents::Table)
                    .col(pk_id(LicenseEvents::Id))
                    .col(fk_id(LicenseEvents::LicenseId))
                    .col(enum_str(LicenseEvents::Kind))
                    .col(fk_id_null(LicenseEvents::ActorId))
                    .col(json_null(LicenseEvents::Detail))
                    .col(ts(LicenseEvents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_license_events_license_id")
                            .from(LicenseEvents::Table, LicenseEvents::LicenseId)
                            .to(UserAgentLicenses::Table, UserAgentLicenses::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_license_events_actor_id")
                            .from(LicenseEvents::Table, LicenseEvents::ActorId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .take(),
            )
            .await?;
        for (name, table, col) in [
            (
                "idx_license_top_ups_license_id",
                LicenseTopUps::Table.into_iden(),
                LicenseTopUps::LicenseId.into_iden(),
            ),
            (
                "idx_license_events_license_id",
                LicenseEvents::Table.into_iden(),
                LicenseEvents::LicenseId.into_iden(),
            ),
        ] {
            manager
                .create_index(Index::create().name(name).table(table).col(col).take())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LicenseEvents::Table.into_iden(),
            LicenseTopUps::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        for column in [
            AgentAccessRequests::RequestedCalls,
            AgentAccessRequests::Kind,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AgentAccessRequests::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        use UserAgentLicenses as L;
        for column in [
            L::BurstCount,
            L::BurstSecondUnix,
            L::TopUpExpiresAt,
            L::TopUpCalls,
            L::WindowStartUnix,
            L::BurstPerSecond,
            L::ResetDay,
            L::WindowTimeZone,
            L::QuotaWindow,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(UserAgentLicenses::Table)
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
