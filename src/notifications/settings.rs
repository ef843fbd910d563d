//! Each user's email choice per kind of event (in-app notifications are always on): the
//! account page's settings and the unsubscribe link of an email.

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use abetworks_types::inputs::NotificationSettingsChange;
use abetworks_types::views::{NotificationSetting, NotificationSettings};
use abetworks_types::Vocabulary;

use super::email_by_default;
use crate::actor::Actor;
use crate::entities::enums::{DeliveryChannel, EventType, Role};
use crate::entities::notification_preferences as preferences;
use crate::entities::{deliveries, outbox_events};
use crate::error::{CoreError, CoreResult};
use crate::ids::new_id;

/// Whether events of `kind` can reach a user of `role`: new access requests and logged
/// errors go to super admins only; everything else reaches its user whatever the role (the
/// requester, the license holder, the run owner, every user for the catalog's news).
pub fn reaches(kind: EventType, role: Role) -> bool {
    match kind {
        EventType::AccessRequestCreated | EventType::ErrorLogged => role.is_super_admin(),
        _ => true,
    }
}

/// The kinds that can reach a user of `role`, in the vocabulary's order.
pub fn kinds_for(role: Role) -> Vec<EventType> {
    EventType::all()
        .iter()
        .copied()
        .filter(|kind| reaches(*kind, role))
        .collect()
}

/// The actor's settings: every kind that can reach them with its email choice (theirs, or
/// the default), and whether this server sends email at all (`email_configured`).
pub async fn settings(
    db: &impl ConnectionTrait,
    actor: &Actor,
    email_configured: bool,
) -> CoreResult<NotificationSettings> {
    let chosen = preferences::Entity::find()
        .filter(preferences::Column::UserId.eq(&actor.user_id))
        .all(db)
        .await?;
    let kinds = kinds_for(actor.role)
        .into_iter()
        .map(|kind| NotificationSetting {
            kind,
            label: kind.label().to_owned(),
            email: chosen
                .iter()
                .find(|row| row.event_type == kind)
                .map_or_else(|| email_by_default(kind), |row| row.email_enabled),
        })
        .collect();
    Ok(NotificationSettings {
        email_configured,
        kinds,
    })
}

/// Changes the actor's email choices, all or none; a kind that cannot reach them is refused
/// (422 on `kinds`). Answers the settings after the change.
pub async fn update_settings(
    db: &DatabaseConnection,
    actor: &Actor,
    change: NotificationSettingsChange,
    email_configured: bool,
) -> CoreResult<NotificationSettings> {
    if let Some(foreign) = change
        .kinds
        .iter()
        .find(|choice| !reaches(choice.kind, actor.role))
    {
        return Err(CoreError::invalid(
            "kinds",
            format!("{} notifications do not reach your account", foreign.kind),
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    for choice in &change.kinds {
        set_email(&txn, &actor.user_id, choice.kind, choice.email).await?;
    }
    txn.commit().await?;
    settings(db, actor, email_configured).await
}

/// Records `user_id`'s email choice for `kind` (one row per user and kind, updated in place).
async fn set_email(
    conn: &impl ConnectionTrait,
    user_id: &str,
    kind: EventType,
    email: bool,
) -> CoreResult<()> {
    let row = preferences::ActiveModel {
        id: Set(new_id()),
        user_id: Set(user_id.to_owned()),
        event_type: Set(kind),
        email_enabled: Set(email),
        updated_at: Set(Utc::now()),
    };
    preferences::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([preferences::Column::UserId, preferences::Column::EventType])
                .update_columns([
                    preferences::Column::EmailEnabled,
                    preferences::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The recipient and kind of the email delivery `delivery_id`, which its unsubscribe link
/// names. Anything but an email delivery is not found.
///
/// The delivery id is the link's only credential. It is a UUID v7 (a time prefix and at
/// least 62 random bits) sent only in that user's email: unguessable enough for an action
/// whose worst abuse is one kind of email switched off, which the user can switch on again
/// on the account page.
async fn subscription(
    db: &impl ConnectionTrait,
    delivery_id: &str,
) -> CoreResult<(String, EventType)> {
    let not_found = || CoreError::NotFound {
        entity: "subscription",
    };
    let delivery = crate::db::find_by_id::<deliveries::Entity>(db, delivery_id).await?;
    let Some(deliveries::Model {
        channel: DeliveryChannel::Email,
        user_id: Some(user_id),
        event_id,
        ..
    }) = delivery
    else {
        return Err(not_found());
    };
    let event = outbox_events::Entity::find_by_id(event_id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    Ok((user_id, event.event_type))
}

/// The kind of email the unsubscribe link `delivery_id` would turn off (its confirmation
/// page), changing nothing.
pub async fn unsubscribe_kind(
    db: &impl ConnectionTrait,
    delivery_id: &str,
) -> CoreResult<EventType> {
    Ok(subscription(db, delivery_id).await?.1)
}

/// Turns email off for the recipient and kind of the email delivery `delivery_id`: the
/// unsubscribe link of an email, which works without signing in. Answers the kind.
pub async fn unsubscribe(db: &impl ConnectionTrait, delivery_id: &str) -> CoreResult<EventType> {
    let (user_id, kind) = subscription(db, delivery_id).await?;
    set_email(db, &user_id, kind, false).await?;
    Ok(kind)
}

#[cfg(test)]
mod tests;
