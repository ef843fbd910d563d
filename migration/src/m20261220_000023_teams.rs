//! Teams: organisations with members, invitations and a shared pool of calls per agent.
//!
//! - `organizations` gains `personal`: every organisation so far is a user's own (`true`);
//!   the team organisations a super admin creates are not.
//! - `agent_subscriptions` becomes an organisation's pool for one agent, counted like a
//!   license (limit `-1` = unlimited, the same windows, zone, reset day and expiry) with an
//!   optional per-member cap, so admission stays one conditional UPDATE.
//! - `subscription_member_usage`: what each member took from a pool in its current window
//!   (the per-member cap), one row per subscription and user.
//! - `organization_invitations`: single-use, expiring invitations; only the SHA-256 of the
//!   token is stored.
//! - `module_executions.subscription_id`: the pool an execution's unit came from (a refund
//!   goes back there); `agent_access_requests.organization_id`: a request made for an
//!   organisation rather than for its author.
//!
//! The two columns added to existing tables carry no foreign key: sea-query cannot add one to
//! an existing SQLite table (it would have to rebuild the table), and SQLite cannot drop a
//! column a foreign key uses, so `down` could not undo it. The core keeps them consistent.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::*;
use crate::idens::{
    AgentAccessRequests, AgentSubscriptions, ModuleExecutions, OrganizationInvitations,
    Organizations, SubscriptionMemberUsage, Users,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns added to `agent_subscriptions`, one ALTER each (SQLite takes one at a time).
/// No CHECKs: SQLite cannot drop a column that has one; the core validates the ranges.
fn subscription_columns() -> Vec<ColumnDef> {
    use AgentSubscriptions as S;
    vec![
        // -1 = unlimited, as on licenses.
        big_integer(S::ApiCallLimit).default(-1).take(),
        big_integer(S::ApiCallsUsed).default(0).take(),
        enum_str(S::QuotaWindow).default("lifetime").take(),
        string_len(S::WindowTimeZone, 64).default("UTC").take(),
        integer(S::ResetDay).default(1).take(),
        // Unix seconds of the start of the window `api_calls_used` counts; 0 for lifetime.
        big_integer(S::WindowStartUnix).default(0).take(),
        // The most one member may take in a window; null = no cap.
        big_integer_null(S::MemberCap),
        ts_null(S::ExpiresAt),
        ts_null(S::UpdatedAt),
    ]
}

/// The names of the columns [`subscription_columns`] adds, in reverse for `down`.
fn subscription_column_names() -> [AgentSubscriptions; 9] {
    use AgentSubscriptions as S;
    [
        S::UpdatedAt,
        S::ExpiresAt,
        S::MemberCap,
        S::WindowStartUnix,
        S::ResetDay,
        S::WindowTimeZone,
        S::QuotaWindow,
        S::ApiCallsUsed,
        S::ApiCallLimit,
    ]
}

const EXECUTION_SUBSCRIPTION_INDEX: &str = "idx_module_executions_subscription_id";
const REQUEST_ORGANIZATION_INDEX: &str = "idx_agent_access_requests_organization_id";

fn foreign_key(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .take()
}

fn index(
    name: &str,
    table: impl IntoIden,
    columns: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut index = Index::create().name(name).table(table).take();
    for column in columns {
        index.col(Alias::new(*column));
    }
    if unique {
        index.unique();
    }
    index
}

async fn add_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: ColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).add_column(column).take())
        .await
}

async fn drop_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: impl IntoIden,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).drop_column(column).take())
        .await
}

async fn create_member_usage(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use SubscriptionMemberUsage as U;
    manager
        .create_table(
            Table::create()
                .table(U::Table)
                .col(pk_id(U::Id))
                .col(fk_id(U::SubscriptionId))
                .col(fk_id(U::UserId))
                .col(big_integer(U::WindowStartUnix).default(0).take())
                .col(big_integer(U::CallsUsed).default(0).take())
                .foreign_key(&mut foreign_key(
                    "fk_subscription_member_usage_subscription_id",
                    (U::Table, U::SubscriptionId),
                    (AgentSubscriptions::Table, AgentSubscriptions::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut foreign_key(
                    "fk_subscription_member_usage_user_id",
                    (U::Table, U::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
    manager
        .create_index(index(
            "ux_subscription_member_usage_subscription_id_user_id",
            U::Table,
            &["subscription_id", "user_id"],
            true,
        ))
        .await?;
    manager
        .create_index(index(
            "idx_subscription_member_usage_user_id",
            U::Table,
            &["user_id"],
            false,
        ))
        .await
}

async fn create_invitations(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use OrganizationInvitations as I;
    manager
        .create_table(
            Table::create()
                .table(I::Table)
                .col(pk_id(I::Id))
                .col(fk_id(I::OrganizationId))
                // Trimmed and lower-case.
                .col(string(I::Email))
                .col(enum_str(I::Role))
                // SHA-256 hex of the token; the token itself is only in the link.
                .col(string(I::TokenHash))
                .col(ts(I::ExpiresAt))
                .col(ts_null(I::AcceptedAt))
                .col(fk_id_null(I::AcceptedBy))
                .col(ts_null(I::RevokedAt))
                .col(fk_id_null(I::CreatedBy))
                .col(ts(I::CreatedAt))
                .foreign_key(&mut foreign_key(
                    "fk_organization_invitations_organization_id",
                    (I::Table, I::OrganizationId),
                    (Organizations::Table, Organizations::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut foreign_key(
                    "fk_organization_invitations_accepted_by",
                    (I::Table, I::AcceptedBy),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::SetNull,
                ))
                .foreign_key(&mut foreign_key(
                    "fk_organization_invitations_created_by",
                    (I::Table, I::CreatedBy),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::SetNull,
                ))
                .take(),
        )
        .await?;
    manager
        .create_index(index(
            "ux_organization_invitations_token_hash",
            I::Table,
            &["token_hash"],
            true,
        ))
        .await?;
    manager
        .create_index(index(
            "idx_organization_invitations_organization_id",
            I::Table,
            &["organization_id"],
            false,
        ))
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Every organisation so far is a user's personal one.
        add_column(
            manager,
            Organizations::Table,
            boolean(Organizations::Personal).default(true).take(),
        )
        .await?;
        for column in subscription_columns() {
            add_column(manager, AgentSubscriptions::Table, column).await?;
        }
        create_member_usage(manager).await?;
        create_invitations(manager).await?;

        add_column(
            manager,
            ModuleExecutions::Table,
            fk_id_null(ModuleExecutions::SubscriptionId),
        )
        .await?;
        manager
            .create_index(index(
                EXECUTION_SUBSCRIPTION_INDEX,
                ModuleExecutions::Table,
                &["subscription_id"],
                false,
            ))
            .await?;
        add_column(
            manager,
            AgentAccessRequests::Table,
            fk_id_null(AgentAccessRequests::OrganizationId),
        )
        .await?;
        manager
            .create_index(index(
                REQUEST_ORGANIZATION_INDEX,
                AgentAccessRequests::Table,
                &["organization_id"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite cannot drop an indexed column: the index goes first.
        drop_raw_index(manager, REQUEST_ORGANIZATION_INDEX).await?;
        drop_column(
            manager,
            AgentAccessRequests::Table,
            AgentAccessRequests::OrganizationId,
        )
        .await?;
        drop_raw_index(manager, EXECUTION_SUBSCRIPTION_INDEX).await?;
        drop_column(
            manager,
            ModuleExecutions::Table,
            ModuleExecutions::SubscriptionId,
        )
        .await?;
        for table in [
            OrganizationInvitations::Table.into_iden(),
            SubscriptionMemberUsage::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        for column in subscription_column_names() {
            drop_column(manager, AgentSubscriptions::Table, column).await?;
        }
        drop_column(manager, Organizations::Table, Organizations::Personal).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
