//! One durable event outbox and what consumes it.
//!
//! - `outbox_events`: every event (access requests, licenses, usage thresholds, expiries,
//!   agents published, errors, runs), written in the transaction of the change that causes it.
//!   `dispatched_at` is set, in one transaction, when the dispatcher has fanned it out.
//! - `notifications` gains `event_id` (unique with `user_id`: fanning out twice writes nothing).
//! - `notification_preferences`: a user's email opt-out per event type (in-app is always on).
//! - `webhook_endpoints`: super admins' endpoints, the event types each wants and its secret.
//! - `deliveries`: one email or webhook delivery of one event, claimed under a lease by any
//!   instance, retried with backoff; unique per event and recipient (user or endpoint).
//! - `license_alerts`: a license's usage thresholds and expiry notices already emitted, unique
//!   per license, alert and period, so concurrent calls emit each one once.
//! - `module_executions (license_id, window_start_unix, status)`: the thresholds count a
//!   license's calls still in flight in one window.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::*;
use crate::idens::{ModuleExecutions, Notifications, UserAgentLicenses, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum OutboxEvents {
    Table,
    Id,
    EventType,
    Payload,
    SubjectUserId,
    CreatedAt,
    DispatchedAt,
}

#[derive(DeriveIden)]
enum NotificationColumns {
    EventId,
}

#[derive(DeriveIden)]
pub enum NotificationPreferences {
    Table,
    Id,
    UserId,
    EventType,
    EmailEnabled,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum WebhookEndpoints {
    Table,
    Id,
    Url,
    Description,
    EventTypes,
    Secret,
    Status,
    FailingSince,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum Deliveries {
    Table,
    Id,
    EventId,
    Channel,
    UserId,
    EndpointId,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseOwner,
    LeaseExpiresAt,
    LastStatusCode,
    LastError,
    LastLatencyMs,
    CreatedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
pub enum LicenseAlerts {
    Table,
    Id,
    LicenseId,
    Alert,
    PeriodUnix,
    CreatedAt,
}

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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OutboxEvents::Table)
                    .col(pk_id(OutboxEvents::Id))
                    .col(enum_str(OutboxEvents::EventType))
                    .col(json(OutboxEvents::Payload))
                    .col(fk_id_null(OutboxEvents::SubjectUserId))
                    .col(ts(OutboxEvents::CreatedAt))
                    .col(ts_null(OutboxEvents::DispatchedAt))
                    .foreign_key(&mut foreign_key(
                        "fk_outbox_events_subject_user_id",
                        (OutboxEvents::Table, OutboxEvents::SubjectUserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_outbox_events_dispatched_at_created_at",
                OutboxEvents::Table,
                &["dispatched_at", "created_at"],
                false,
            ))
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(Notifications::Table)
                    .add_column(string_null(NotificationColumns::EventId))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_notifications_event_id_user_id",
                Notifications::Table,
                &["event_id", "user_id"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_notifications_created_at",
                Notifications::Table,
                &["created_at"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(NotificationPreferences::Table)
                    .col(pk_id(NotificationPreferences::Id))
                    .col(fk_id(NotificationPreferences::UserId))
                    .col(enum_str(NotificationPreferences::EventType))
                    .col(boolean(NotificationPreferences::EmailEnabled))
                    .col(ts(NotificationPreferences::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        "fk_notification_preferences_user_id",
                        (
                            NotificationPreferences::Table,
                            NotificationPreferences::UserId,
                        ),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_notification_preferences_user_id_event_type",
                NotificationPreferences::Table,
                &["user_id", "event_type"],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(pk_id(WebhookEndpoints::Id))
                    .col(text(WebhookEndpoints::Url))
                    .col(text(WebhookEndpoints::Description))
                    .col(json(WebhookEndpoints::EventTypes))
                    .col(string(WebhookEndpoints::Secret))
                    .col(enum_str(WebhookEndpoints::Status))
                    .col(ts_null(WebhookEndpoints::FailingSince))
                    .col(fk_id_null(WebhookEndpoints::CreatedBy))
                    .col(ts(WebhookEndpoints::CreatedAt))
                    .col(ts(WebhookEndpoints::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        "fk_webhook_endpoints_created_by",
                        (WebhookEndpoints::Table, WebhookEndpoints::CreatedBy),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Deliveries::Table)
                    .col(pk_id(Deliveries::Id))
                    .col(fk_id(Deliveries::EventId))
                    .col(enum_str(Deliveries::Channel))
                    .col(fk_id_null(Deliveries::UserId))
                    .col(fk_id_null(Deliveries::EndpointId))
                    .col(enum_str(Deliveries::Status))
                    .col(integer(Deliveries::Attempts).default(0).take())
                    .col(ts(Deliveries::NextAttemptAt))
                    .col(string_null(Deliveries::LeaseOwner))
                    .col(ts_null(Deliveries::LeaseExpiresAt))
                    .col(integer_null(Deliveries::LastStatusCode))
                    .col(text_null(Deliveries::LastError))
                    .col(big_integer_null(Deliveries::LastLatencyMs))
                    .col(ts(Deliveries::CreatedAt))
                    .col(ts_null(Deliveries::DeliveredAt))
                    .foreign_key(&mut foreign_key(
                        "fk_deliveries_event_id",
                        (Deliveries::Table, Deliveries::EventId),
                        (OutboxEvents::Table, OutboxEvents::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "fk_deliveries_user_id",
                        (Deliveries::Table, Deliveries::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "fk_deliveries_endpoint_id",
                        (Deliveries::Table, Deliveries::EndpointId),
                        (WebhookEndpoints::Table, WebhookEndpoints::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        // NULLs are distinct in a unique index on both databases: an email row (endpoint NULL)
        // is unique per event and user, a webhook row (user NULL) per event and endpoint.
        for (name, columns, unique) in [
            (
                "ux_deliveries_event_id_user_id",
                &["event_id", "user_id"][..],
                true,
            ),
            (
                "ux_deliveries_event_id_endpoint_id",
                &["event_id", "endpoint_id"][..],
                true,
            ),
            (
                "idx_deliveries_status_next_attempt_at",
                &["status", "next_attempt_at"][..],
                false,
            ),
            (
                "idx_deliveries_endpoint_id_created_at",
                &["endpoint_id", "created_at"][..],
                false,
            ),
        ] {
            manager
                .create_index(index(name, Deliveries::Table, columns, unique))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(LicenseAlerts::Table)
                    .col(pk_id(LicenseAlerts::Id))
                    .col(fk_id(LicenseAlerts::LicenseId))
                    .col(enum_str(LicenseAlerts::Alert))
                    .col(big_integer(LicenseAlerts::PeriodUnix))
                    .col(ts(LicenseAlerts::CreatedAt))
                    .foreign_key(&mut foreign_key(
                        "fk_license_alerts_license_id",
                        (LicenseAlerts::Table, LicenseAlerts::LicenseId),
                        (UserAgentLicenses::Table, UserAgentLicenses::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_license_alerts_license_id_alert_period_unix",
                LicenseAlerts::Table,
                &["license_id", "alert", "period_unix"],
                true,
            ))
            .await?;
        // The usage thresholds count a license's calls still in flight in one window.
        manager
            .create_index(index(
                "idx_module_executions_license_id_window_start_unix_status",
                ModuleExecutions::Table,
                &["license_id", "window_start_unix", "status"],
                false,
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_raw_index(
            manager,
            "idx_module_executions_license_id_window_start_unix_status",
        )
        .await?;
        for table in [
            LicenseAlerts::Table.into_iden(),
            Deliveries::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
            NotificationPreferences::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        drop_raw_index(manager, "ux_notifications_event_id_user_id").await?;
        drop_raw_index(manager, "idx_notifications_created_at").await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Notifications::Table)
                    .drop_column(NotificationColumns::EventId)
                    .take(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(OutboxEvents::Table).take())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
