//! The marketplace as one caller sees it: each published agent with the caller's standing.

use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::catalog::{list_published, page_published, CatalogFilter};
use crate::entities::enums::{AccessRequestStatus, LicenseStatus};
use crate::entities::{agent_access_requests, agent_catalog, user_agent_licenses};
use crate::error::CoreResult;
use crate::licenses::EffectiveStatus;
use crate::pagination::{Page, PageRequest};

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
    let standing = Standing::of(db, Some(user_id)).await?;
    Ok(agents
        .into_iter()
        .map(|agent| standing.show(agent))
        .collect())
}

/// The marketplace page: one page of the published agents matching `filter`, each with where
/// `user_id` stands (`None`: a visitor who has not signed in). Pages keep the page light: with
/// hundreds of agents, one page of them all took a megabyte of HTML.
pub async fn page_for(
    db: &DatabaseConnection,
    user_id: Option<&str>,
    filter: &CatalogFilter,
    page: PageRequest,
) -> CoreResult<Page<MarketplaceAgent>> {
    let agents = page_published(db, filter, page).await?;
    let standing = Standing::of(db, user_id).await?;
    Ok(agents.map(|agent| standing.show(agent)))
}

/// The agents a caller holds a license for or has asked for; `None` for a visitor.
struct Standing(Option<(HashSet<String>, HashSet<String>)>);

impl Standing {
    async fn of(db: &DatabaseConnection, user_id: Option<&str>) -> CoreResult<Self> {
        let Some(user_id) = user_id else {
            return Ok(Self(None));
        };
        let licensed = licensed_agent_ids(db, user_id).await?;
        let pending = pending_agent_ids(db, user_id).await?;
        Ok(Self(Some((licensed, pending))))
    }

    fn show(&self, agent: agent_catalog::Model) -> MarketplaceAgent {
        let access = match &self.0 {
            None => AgentAccess::SignedOut,
            Some((licensed, _)) if licensed.contains(&agent.id) => AgentAccess::Licensed,
            Some((_, pending)) if pending.contains(&agent.id) => AgentAccess::Pending,
            Some(_) => AgentAccess::Available,
        };
        MarketplaceAgent {
            agent: agent.into(),
            access,
        }
    }
}

#[cfg(test)]
mod tests;
