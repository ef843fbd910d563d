//! In-app notifications and each user's email choices per event type. The outbox dispatcher
//! writes notifications; users list them, read them and choose which kinds are also emailed.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use abetworks_types::views::NotificationView;

use crate::actor::Actor;
use crate::entities::enums::EventType;
use crate::entities::notification_preferences as preferences;
use crate::entities::notifications;
use crate::error::{CoreError, CoreResult};
use crate::input::page_of;
use crate::pagination::{Page, PageRequest};

mod settings;
pub use settings::*;

/// Whether `kind` is emailed to a user who has not chosen: everything but the catalog's news.
pub fn email_by_default(kind: EventType) -> bool {
    kind != EventType::AgentPublished
}

/// Whether `user_id` wants `kind` by email (their choice, or the default).
pub async fn email_enabled(
    conn: &impl ConnectionTrait,
    user_id: &str,
    kind: EventType,
) -> CoreResult<bool> {
    let chosen = preferences::Entity::find()
        .filter(preferences::Column::UserId.eq(user_id))
        .filter(preferences::Column::EventType.eq(kind))
        .one(conn)
        .await?;
    Ok(chosen.map_or_else(|| email_by_default(kind), |row| row.email_enabled))
}

/// Those of `user_ids` who want `kind` by email ([`email_enabled`] for many users at once: one
/// query for their choices).
pub async fn wanting_email(
    conn: &impl ConnectionTrait,
    kind: EventType,
    user_ids: &[String],
) -> CoreResult<Vec<String>> {
    let mut chosen = std::collections::HashMap::new();
    for chunk in user_ids.chunks(500) {
        let rows = preferences::Entity::find()
            .filter(preferences::Column::EventType.eq(kind))
            .filter(preferences::Column::UserId.is_in(chunk.iter().cloned()))
            .all(conn)
            .await?;
        chosen.extend(rows.into_iter().map(|row| (row.user_id, row.email_enabled)));
    }
    Ok(user_ids
        .iter()
        .filter(|id| *chosen.get(*id).unwrap_or(&email_by_default(kind)))
        .cloned()
        .collect())
}

/// What a user sees of one notification.
pub fn view_of(row: notifications::Model) -> NotificationView {
    NotificationView {
        id: row.id,
        kind: row.kind,
        title: row.title,
        body: row.body,
        link: row.link,
        created_at: row.created_at,
        read_at: row.read_at,
    }
}

/// The actor's own notifications, newest first (only the unread ones when `unread_only`).
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    unread_only: bool,
    page: PageRequest,
) -> CoreResult<Page<NotificationView>> {
    let mut query = notifications::Entity::find()
        .filter(notifications::Column::UserId.eq(&actor.user_id))
        .order_by_desc(notifications::Column::CreatedAt)
        .order_by_desc(notifications::Column::Id);
    if unread_only {
        query = query.filter(notifications::Column::ReadAt.is_null());
    }
    let page = page_of(db, query.into_model::<notifications::Model>(), page).await?;
    Ok(Page {
        items: page.items.into_iter().map(view_of).collect(),
        total: page.total,
        page: page.page,
        page_size: page.page_size,
    })
}

/// How many of `user_id`'s notifications are unread (the bell's count).
pub async fn unread_count(db: &impl ConnectionTrait, user_id: &str) -> CoreResult<u64> {
    Ok(notifications::Entity::find()
        .filter(notifications::Column::UserId.eq(user_id))
        .filter(notifications::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

/// Marks one of the actor's notifications read (again: it keeps its first reading time).
/// Someone else's is not found.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: &str,
) -> CoreResult<NotificationView> {
    let row = crate::db::find_by_id::<notifications::Entity>(db, id)
        .await?
        .filter(|row| row.user_id == actor.user_id)
        .ok_or(CoreError::NotFound {
            entity: "notification",
        })?;
    if row.read_at.is_some() {
        return Ok(view_of(row));
    }
    let mut active = row.into_active_model();
    active.read_at = Set(Some(Utc::now()));
    Ok(view_of(active.update(db).await?))
}

/// Marks every unread notification of the actor read; returns how many there were.
pub async fn mark_all_read(db: &impl ConnectionTrait, actor: &Actor) -> CoreResult<u64> {
    let result = notifications::Entity::update_many()
        .col_expr(notifications::Column::ReadAt, Expr::value(Utc::now()))
        .filter(notifications::Column::UserId.eq(&actor.user_id))
        .filter(notifications::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// `user_id`'s notifications after `after_id` (all when `None`), oldest first, at most
/// `limit`: the replay of a stream resumed with `Last-Event-ID` (ids are UUID v7, ordered by
/// time).
pub async fn since(
    db: &impl ConnectionTrait,
    user_id: &str,
    after_id: Option<&str>,
    limit: u64,
) -> CoreResult<Vec<NotificationView>> {
    let mut query = notifications::Entity::find()
        .filter(notifications::Column::UserId.eq(user_id))
        .order_by_asc(notifications::Column::Id)
        .limit(limit);
    if let Some(after_id) = after_id {
        query = query.filter(notifications::Column::Id.gt(after_id));
    }
    Ok(query.all(db).await?.into_iter().map(view_of).collect())
}

/// Every user's notifications created at or after `since`, oldest first, with their owner:
/// what an instance's live poller forwards to the streams it serves.
pub async fn recent_all(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> CoreResult<Vec<(String, NotificationView)>> {
    let rows = notifications::Entity::find()
        .filter(notifications::Column::CreatedAt.gte(since))
        .order_by_asc(notifications::Column::CreatedAt)
        .order_by_asc(notifications::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.user_id.clone(), view_of(row)))
        .collect())
}

#[cfg(test)]
mod tests;
