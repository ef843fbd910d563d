//! A license's history: one line per grant, change, top-up, renewal, suspension, resumption or
//! revocation, written on the connection (the transaction) of the change itself, so a change
//! and its line commit together or not at all.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait, Set,
};
use serde_json::Value;

use super::{require_exists, LicenseEventView};
use crate::actor::Actor;
use crate::entities::enums::LicenseEventKind;
use crate::entities::{license_events as events, users};
use crate::error::CoreResult;
use crate::ids::new_id;

/// Writes one line of `license_id`'s history on `conn`. `detail` says what changed, under the
/// wire names of the fields (`{"before": {...}, "after": {...}}`, or the calls and note of a
/// top-up). The time is the wall clock's: the history says when it was done.
pub(crate) async fn record_event(
    conn: &impl ConnectionTrait,
    license_id: &str,
    kind: LicenseEventKind,
    actor: &Actor,
    detail: Value,
) -> CoreResult<()> {
    events::ActiveModel {
        id: Set(new_id()),
        license_id: Set(license_id.to_owned()),
        kind: Set(kind),
        actor_id: Set(Some(actor.user_id.clone())),
        detail: Set(Some(detail)),
        created_at: Set(Utc::now()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// A line of history with the email of whoever made the change.
#[derive(Debug, FromQueryResult)]
struct EventRow {
    #[sea_orm(nested)]
    event: events::Model,
    actor_email: Option<String>,
}

/// A license's history, newest first, with the email of whoever made each change (super
/// admin). 404 for an unknown license.
pub async fn history(
    db: &impl ConnectionTrait,
    actor: &Actor,
    license_id: &str,
) -> CoreResult<Vec<LicenseEventView>> {
    actor.require_super_admin()?;
    require_exists(db, license_id).await?;
    let rows = events::Entity::find()
        .join(JoinType::LeftJoin, events::Relation::Actor.def())
        .column_as(users::Column::Email, "actor_email")
        .filter(events::Column::LicenseId.eq(license_id))
        .order_by_desc(events::Column::CreatedAt)
        // Ids are UUID v7: creation order within one instant.
        .order_by_desc(events::Column::Id)
        .into_model::<EventRow>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|EventRow { event, actor_email }| LicenseEventView {
            id: event.id,
            license_id: event.license_id,
            kind: event.kind,
            actor_id: event.actor_id,
            actor_email,
            detail: event
                .detail
                .unwrap_or_else(|| Value::Object(Default::default())),
            created_at: event.created_at,
        })
        .collect())
}
