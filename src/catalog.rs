//! The agent catalog: what the marketplace lists, and its sync from the agent service.

use chrono::Utc;
use sea_orm::sea_query::Expr;

use crate::search::{in_any, lower};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Select, Set,
};
use sha2::{Digest, Sha256};

use crate::actor::Actor;
use crate::agent_client::{AgentClient, AgentDescriptor};
use crate::db::{set_if_some, unique_violation_as};
use crate::entities::enums::AgentStatus;
use crate::entities::{agent_catalog, modules};
use crate::error::{ConflictReason, CoreError, CoreResult};
use crate::ids::new_id;
use crate::input::page_of;
use crate::pagination::{Page, PageRequest};
pub use abetworks_types::views::SyncReport;

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
    Ok(published(filter)?.all(db).await?)
}

/// One page of [`list_published`], with the total count.
pub async fn page_published(
    db: &DatabaseConnection,
    filter: &CatalogFilter,
    page: PageRequest,
) -> CoreResult<Page<agent_catalog::Model>> {
    page_of(db, published(filter)?.into_model(), page).await
}

/// Agents customers see: published and available.
fn on_the_marketplace() -> Condition {
    use agent_catalog::Column as C;
    Condition::all()
        .add(C::Published.eq(true))
        .add(C::Status.eq(AgentStatus::Available))
}

/// The query of the published, available agents matching `filter`, by name (then id, so
/// pages never overlap).
fn published(filter: &CatalogFilter) -> CoreResult<Select<agent_catalog::Entity>> {
    filter.validate()?;
    use agent_catalog::Column as C;
    let searched = filter.query.as_deref().map(str::trim);
    let described = [C::Name, C::ShortDescription, C::LongDescription].map(lower);
    let condition = on_the_marketplace()
        .add_option(
            searched
                .filter(|q| !q.is_empty())
                .map(|q| in_any(q, described)),
        )
        .add_option(
            filter
                .category
                .as_deref()
                .filter(|c| !c.is_empty())
                .map(|category| C::Category.eq(category)),
        )
        .add_option(filter.min_price_cents.map(|min| C::PriceCents.gte(min)))
        .add_option(filter.max_price_cents.map(|max| C::PriceCents.lte(max)));
    Ok(agent_catalog::Entity::find()
        .filter(condition)
        .order_by_asc(C::Name)
        .order_by_asc(C::Id))
}

/// An agent by id or slug, whatever its publication; `None` when neither names one.
pub async fn find_agent(
    db: &DatabaseConnection,
    id_or_slug: &str,
) -> CoreResult<Option<agent_catalog::Model>> {
    if crate::ids::is_valid_id(id_or_slug) {
        if let Some(agent) = agent_catalog::Entity::find_by_id(id_or_slug.to_owned())
            .one(db)
            .await?
        {
            return Ok(Some(agent));
        }
    }
    if id_or_slug.is_empty() || id_or_slug.len() > 100 || id_or_slug.contains('\0') {
        return Ok(None);
    }
    Ok(agent_catalog::Entity::find()
        .filter(agent_catalog::Column::Slug.eq(id_or_slug.to_owned()))
        .one(db)
        .await?)
}

/// The distinct categories of published agents, for the marketplace filter.
pub async fn published_categories(db: &DatabaseConnection) -> CoreResult<Vec<String>> {
    use agent_catalog::Column as C;
    // The distinct names alone: every marketplace page asks, and reading the whole catalog
    // (descriptions, schemas) for them took most of the page's time at 500 agents.
    let mut categories: Vec<String> = agent_catalog::Entity::find()
        .select_only()
        .column(C::Category)
        .distinct()
        .filter(on_the_marketplace())
        .into_tuple()
        .all(db)
        .await?;
    // Sorted here, not by the database's collation: the same order on every backend.
    categories.sort();
    Ok(categories)
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
    let txn = crate::db::begin_write(db).await?;
    let existing = agent_catalog::Entity::find().all(&txn).await?;

    for agent in offered {
        let hash = schema_hash(agent);
        let current = existing.iter().find(|a| a.slug == agent.slug);
        let agent_id = match current {
            None => {
                let id = new_id();
                let added = agent_catalog::ActiveModel {
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
                if added.published {
                    let event = crate::outbox::payloads::agent_published(&added);
                    crate::outbox::emit(&txn, event).await?;
                }
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

/// The whole catalog for its owner: drafts and unavailable agents too.
pub async fn list_all(
    db: &DatabaseConnection,
    query: Option<&str>,
    page: crate::pagination::PageRequest,
) -> CoreResult<crate::pagination::Page<agent_catalog::Model>> {
    let condition = Condition::all().add_option(crate::input::search_text("q", query)?.map(|q| {
        in_any(
            &q,
            [
                lower(agent_catalog::Column::Name),
                lower(agent_catalog::Column::Slug),
            ],
        )
    }));
    let by_name = agent_catalog::Entity::find()
        .filter(condition)
        .order_by_asc(agent_catalog::Column::Name);
    crate::input::page_of(db, by_name.into_model(), page).await
}

/// What the catalog owner may change about an agent. The service owns schemas and version.
#[derive(Clone, Debug, Default)]
pub struct AgentChange {
    pub name: Option<String>,
    pub short_description: Option<String>,
    pub long_description: Option<String>,
    pub category: Option<String>,
    pub price_cents: Option<i64>,
    pub currency: Option<String>,
    pub published: Option<bool>,
}

fn checked_text(field: &str, value: Option<String>, max: usize) -> CoreResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) => crate::input::required_text(field, &v, max).map(Some),
    }
}

fn validate_price(price_cents: Option<i64>, currency: Option<&str>) -> CoreResult<()> {
    if price_cents.is_some_and(|p| !(0..=100_000_000).contains(&p)) {
        return Err(CoreError::invalid(
            "priceCents",
            "must be between 0 and 100000000",
        ));
    }
    if currency.is_some_and(|c| c.len() != 3 || !c.chars().all(|ch| ch.is_ascii_uppercase())) {
        return Err(CoreError::invalid(
            "currency",
            "must be a three-letter code such as USD",
        ));
    }
    Ok(())
}

/// Changes an agent's listing, with an audit entry (super admin).
pub async fn update_agent(
    db: &DatabaseConnection,
    actor: &Actor,
    id_or_slug: &str,
    change: AgentChange,
) -> CoreResult<agent_catalog::Model> {
    actor.require_super_admin()?;
    validate_price(change.price_cents, change.currency.as_deref())?;
    let name = checked_text("name", change.name, 100)?;
    let short = checked_text("shortDescription", change.short_description, 300)?;
    let long = checked_text("longDescription", change.long_description, 10_000)?;
    let category = checked_text("category", change.category, 60)?;
    let agent = find_agent(db, id_or_slug)
        .await?
        .ok_or(CoreError::NotFound { entity: "agent" })?;
    let before = serde_json::to_value(&agent).unwrap_or_default();
    let was_published = agent.published;
    let mut active = agent.into_active_model();
    set_if_some(&mut active.name, name);
    set_if_some(&mut active.short_description, short);
    set_if_some(&mut active.long_description, long);
    set_if_some(&mut active.category, category);
    set_if_some(&mut active.price_cents, change.price_cents);
    set_if_some(&mut active.currency, change.currency);
    set_if_some(&mut active.published, change.published);
    active.updated_at = Set(Utc::now());
    let txn = crate::db::begin_write(db).await?;
    let agent = active.update(&txn).await?;
    if agent.published && !was_published {
        let event = crate::outbox::payloads::agent_published(&agent);
        crate::outbox::emit(&txn, event).await?;
    }
    crate::audit::AuditEntry::of("agent.update", "agent", &agent.id)
        .by(actor)
        .before(before)
        .after(&agent)
        .record(&txn)
        .await?;
    txn.commit().await?;
    Ok(agent)
}

/// Registers an agent by hand (a draft until published; super admin); sync fills in its
/// schemas later.
pub async fn create_agent(
    db: &DatabaseConnection,
    actor: &Actor,
    descriptor: AgentDescriptor,
) -> CoreResult<agent_catalog::Model> {
    actor.require_super_admin()?;
    let slug = descriptor.slug.trim().to_owned();
    if slug.is_empty()
        || slug.len() > 60
        || !slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(CoreError::invalid(
            "slug",
            "must be 1 to 60 lower-case letters, digits or hyphens",
        ));
    }
    crate::input::required_text("name", &descriptor.name, 100)?;
    validate_price(Some(descriptor.price_cents), Some(&descriptor.currency))?;
    if find_agent(db, &slug).await?.is_some() {
        return Err(CoreError::Conflict(ConflictReason::SlugTaken));
    }
    let now = Utc::now();
    let agent = agent_catalog::ActiveModel {
        id: Set(new_id()),
        slug: Set(slug),
        name: Set(descriptor.name.trim().to_owned()),
        short_description: Set(descriptor.short_description),
        long_description: Set(descriptor.long_description),
        category: Set(descriptor.category),
        price_cents: Set(descriptor.price_cents),
        currency: Set(descriptor.currency),
        icon: Set(descriptor.icon),
        features: Set(serde_json::json!(descriptor.features)),
        input_schema: Set(descriptor.input_schema),
        output_schema: Set(descriptor.output_schema),
        version: Set(descriptor.version),
        published: Set(false),
        status: Set(AgentStatus::Available),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(|e| unique_violation_as(e, ConflictReason::SlugTaken))?;
    crate::audit::AuditEntry::of("agent.create", "agent", &agent.id)
        .by(actor)
        .after(&agent)
        .record(db)
        .await?;
    Ok(agent)
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
