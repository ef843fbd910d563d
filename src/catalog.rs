//! The agent catalog: what the marketplace lists, and its sync from the agent service.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};

use crate::search::{like_contains, lower};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::agent_client::{AgentClient, AgentDescriptor};
use crate::entities::enums::AgentStatus;
use crate::entities::{agent_catalog, modules};
use crate::error::{CoreError, CoreResult};
use crate::ids::new_id;

/// Marketplace filters. Prices are in cents.
#[derive(Clone, Debug, Default)]
pub struct CatalogFilter {
    pub query: Option<String>,
    pub category: Option<String>,
    pub min_price_cents: Option<i64>,
    pub max_price_cents: Option<i64>,
}

/// Longest search text accepted; longer input is a caller error, not a slow query.
pub const MAX_QUERY_CHARS: usize = 200;

impl CatalogFilter {
    /// Rejects filters that cannot mean anything: NUL bytes, negative or inverted prices.
    pub fn validate(&self) -> CoreResult<()> {
        for (field, value) in [("q", &self.query), ("category", &self.category)] {
            if let Some(v) = value {
                if v.contains('\0') {
                    return Err(CoreError::invalid(field, "must not contain NUL bytes"));
                }
                if v.chars().count() > MAX_QUERY_CHARS {
                    return Err(CoreError::invalid(field, "is too long"));
                }
            }
        }
        for (field, value) in [
            ("minPrice", self.min_price_cents),
            ("maxPrice", self.max_price_cents),
        ] {
            if value.is_some_and(|v| v < 0) {
                return Err(CoreError::invalid(field, "must not be negative"));
            }
        }
        if let (Some(min), Some(max)) = (self.min_price_cents, self.max_price_cents) {
            if min > max {
                return Err(CoreError::invalid("minPrice", "must not exceed maxPrice"));
            }
        }
        Ok(())
    }
}

/// The published, available agents matching `filter`, by name.
pub async fn list_published(
    db: &DatabaseConnection,
    filter: &CatalogFilter,
) -> CoreResult<Vec<agent_catalog::Model>> {
    filter.validate()?;
    let mut condition = Condition::all()
        .add(agent_catalog::Column::Published.eq(true))
        .add(agent_catalog::Column::Status.eq(AgentStatus::Available));
    if let Some(q) = filter
        .query
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
    {
        condition = condition.add(
            Condition::any()
                .add(lower(agent_catalog::Column::Name).like(like_contains(q)))
                .add(lower(agent_catalog::Column::ShortDescription).like(like_contains(q)))
                .add(lower(agent_catalog::Column::LongDescription).like(like_contains(q))),
        );
    }
    if let Some(category) = filter.category.as_deref().filter(|c| !c.is_empty()) {
        condition = condition.add(agent_catalog::Column::Category.eq(category));
    }
    if let Some(min) = filter.min_price_cents {
        condition = condition.add(agent_catalog::Column::PriceCents.gte(min));
    }
    if let Some(max) = filter.max_price_cents {
        condition = condition.add(agent_catalog::Column::PriceCents.lte(max));
    }
    Ok(agent_catalog::Entity::find()
        .filter(condition)
        .order_by_asc(agent_catalog::Column::Name)
        .all(db)
        .await?)
}

/// The distinct categories of published agents, for the marketplace filter.
pub async fn published_categories(db: &DatabaseConnection) -> CoreResult<Vec<String>> {
    let mut categories: Vec<String> = list_published(db, &CatalogFilter::default())
        .await?
        .into_iter()
        .map(|a| a.category)
        .collect();
    categories.sort();
    categories.dedup();
    Ok(categories)
}

/// What a sync changed, by slug.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub unavailable: Vec<String>,
}

fn schema_hash(agent: &AgentDescriptor) -> String {
    let bytes = serde_json::to_vec(agent).unwrap_or_default();
    hex::encode(Sha256::digest(bytes))
}

/// Brings the catalog in line with what the service offers. New agents are registered
/// (published when `publish_new`), changed ones updated, missing ones marked unavailable;
/// nothing is ever deleted, since licenses and history point at agents.
pub async fn apply_sync(
    db: &DatabaseConnection,
    offered: &[AgentDescriptor],
    publish_new: bool,
) -> CoreResult<SyncReport> {
    let now = Utc::now();
    let mut report = SyncReport::default();
    let txn = db.begin().await?;
    let existing = agent_catalog::Entity::find().all(&txn).await?;

    for agent in offered {
        let hash = schema_hash(agent);
        let current = existing.iter().find(|a| a.slug == agent.slug);
        let agent_id = match current {
            None => {
                let id = new_id();
                agent_catalog::ActiveModel {
                    id: Set(id.clone()),
                    slug: Set(agent.slug.clone()),
                    name: Set(agent.name.clone()),
                    short_description: Set(agent.short_description.clone()),
                    long_description: Set(agent.long_description.clone()),
                    category: Set(agent.category.clone()),
                    price_cents: Set(std::cmp::max(agent.price_cents, 0)),
                    currency: Set(agent.currency.clone()),
                    icon: Set(agent.icon.clone()),
                    features: Set(serde_json::json!(agent.features)),
                    input_schema: Set(agent.input_schema.clone()),
                    output_schema: Set(agent.output_schema.clone()),
                    version: Set(agent.version.clone()),
                    published: Set(publish_new),
                    status: Set(AgentStatus::Available),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(&txn)
                .await?;
                report.added.push(agent.slug.clone());
                id
            }
            Some(row) => {
                let changed = row.name != agent.name
                    || row.short_description != agent.short_description
                    || row.long_description != agent.long_description
                    || row.category != agent.category
                    || row.features != serde_json::json!(agent.features)
                    || row.input_schema != agent.input_schema
                    || row.output_schema != agent.output_schema
                    || row.version != agent.version
                    || row.icon != agent.icon
                    || row.status != AgentStatus::Available;
                if changed {
                    // Price and publication are the catalog owner's: sync leaves them alone.
                    let mut active = row.clone().into_active_model();
                    active.name = Set(agent.name.clone());
                    active.short_description = Set(agent.short_description.clone());
                    active.long_description = Set(agent.long_description.clone());
                    active.category = Set(agent.category.clone());
                    active.features = Set(serde_json::json!(agent.features));
                    active.input_schema = Set(agent.input_schema.clone());
                    active.output_schema = Set(agent.output_schema.clone());
                    active.version = Set(agent.version.clone());
                    active.icon = Set(agent.icon.clone());
                    active.status = Set(AgentStatus::Available);
                    active.updated_at = Set(now);
                    active.update(&txn).await?;
                    report.updated.push(agent.slug.clone());
                }
                row.id.clone()
            }
        };
        upsert_module(&txn, agent, &agent_id, &hash, now).await?;
    }

    for row in existing
        .iter()
        .filter(|row| row.status == AgentStatus::Available)
    {
        if offered.iter().all(|a| a.slug != row.slug) {
            let mut active = row.clone().into_active_model();
            active.status = Set(AgentStatus::Unavailable);
            active.updated_at = Set(now);
            active.update(&txn).await?;
            modules::Entity::update_many()
                .col_expr(modules::Column::Available, Expr::value(false))
                .filter(modules::Column::Slug.eq(row.slug.clone()))
                .exec(&txn)
                .await?;
            report.unavailable.push(row.slug.clone());
        }
    }
    txn.commit().await?;
    Ok(report)
}

async fn upsert_module(
    txn: &sea_orm::DatabaseTransaction,
    agent: &AgentDescriptor,
    agent_id: &str,
    hash: &str,
    now: chrono::DateTime<Utc>,
) -> CoreResult<()> {
    match modules::Entity::find()
        .filter(modules::Column::Slug.eq(agent.slug.clone()))
        .one(txn)
        .await?
    {
        Some(module) => {
            let mut active = module.into_active_model();
            active.schema_hash = Set(hash.to_owned());
            active.last_seen_at = Set(now);
            active.available = Set(true);
            active.agent_id = Set(Some(agent_id.to_owned()));
            active.update(txn).await?;
        }
        None => {
            modules::ActiveModel {
                id: Set(new_id()),
                slug: Set(agent.slug.clone()),
                module_name: Set(format!("{}_agent", agent.slug.replace('-', "_"))),
                agent_id: Set(Some(agent_id.to_owned())),
                schema_hash: Set(hash.to_owned()),
                discovered_at: Set(now),
                last_seen_at: Set(now),
                available: Set(true),
            }
            .insert(txn)
            .await?;
        }
    }
    Ok(())
}

/// Fetches the service's agents and applies them to the catalog.
pub async fn sync_from_service(
    db: &DatabaseConnection,
    client: &AgentClient,
    publish_new: bool,
) -> CoreResult<SyncReport> {
    let offered = client.list_agents().await?;
    apply_sync(db, &offered, publish_new).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_bytes_and_inverted_prices_are_rejected() {
        let nul = CatalogFilter {
            query: Some("a\0b".into()),
            ..Default::default()
        };
        assert!(matches!(nul.validate(), Err(CoreError::Invalid { field, .. }) if field == "q"));
        let inverted = CatalogFilter {
            min_price_cents: Some(500),
            max_price_cents: Some(100),
            ..Default::default()
        };
        assert!(inverted.validate().is_err());
        let negative = CatalogFilter {
            min_price_cents: Some(-1),
            ..Default::default()
        };
        assert!(negative.validate().is_err());
    }
}
