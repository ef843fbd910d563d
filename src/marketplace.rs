//! The marketplace as one caller sees it: each published agent with the caller's standing.

use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::catalog::{list_published, CatalogFilter};
use crate::entities::enums::{AccessRequestStatus, LicenseStatus};
use crate::entities::{agent_access_requests, user_agent_licenses};
use crate::error::CoreResult;
use crate::licenses::EffectiveStatus;

pub use abetworks_types::enums::AgentAccess;
pub use abetworks_types::views::MarketplaceAgent;

/// The agents with a license the caller holds now (expired ones excluded).
pub async fn licensed_agent_ids(
    db: &DatabaseConnection,
    user_id: &str,
) -> CoreResult<HashSet<String>> {
    let now = Utc::now();
    Ok(user_agent_licenses::Entity::find()
        .filter(user_agent_licenses::Column::UserId.eq(user_id.to_owned()))
        .filter(
            user_agent_licenses::Column::Status
                .is_in([LicenseStatus::Active, LicenseStatus::Suspended]),
        )
        .all(db)
        .await?
        .into_iter()
        .filter(|l| EffectiveStatus::of(l.status, l.expires_at, now) != EffectiveStatus::Expired)
        .map(|l| l.agent_id)
        .collect())
}

/// The agents the caller has asked for and not yet heard back about.
pub async fn pending_agent_ids(
    db: &DatabaseConnection,
    user_id: &str,
) -> CoreResult<HashSet<String>> {
    Ok(agent_access_requests::Entity::find()
        .filter(agent_access_requests::Column::UserId.eq(user_id.to_owned()))
        .filter(agent_access_requests::Column::Status.eq(AccessRequestStatus::Pending))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.agent_id)
        .collect())
}

/// Published agents matching `filter`, each with the caller's access.
pub async fn list_for_user(
    db: &DatabaseConnection,
    user_id: &str,
    filter: &CatalogFilter,
) -> CoreResult<Vec<MarketplaceAgent>> {
    let agents = list_published(db, filter).await?;
    let licensed = licensed_agent_ids(db, user_id).await?;
    let pending = pending_agent_ids(db, user_id).await?;
    Ok(agents
        .into_iter()
        .map(|agent| {
            let access = if licensed.contains(&agent.id) {
                AgentAccess::Licensed
            } else if pending.contains(&agent.id) {
                AgentAccess::Pending
            } else {
                AgentAccess::Available
            };
            MarketplaceAgent {
                agent: agent.into(),
                access,
            }
        })
        .collect())
}
