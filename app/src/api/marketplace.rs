//! The marketplace, access requests and the caller's licensed agents.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Where the caller stands with an agent; decides the card's button.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Access {
    /// Not signed in: the button leads to the sign-in page.
    SignedOut,
    /// May ask for access.
    Available,
    /// A request is waiting for review.
    Pending,
    /// Holds a license in force (active or suspended).
    Licensed,
}

/// An agent as the marketplace shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentCard {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub short_description: String,
    pub long_description: String,
    pub category: String,
    pub price_cents: i64,
    pub currency: String,
    pub icon: String,
    pub features: Vec<String>,
    pub access: Access,
}

impl AgentCard {
    /// "Free" or the price with its currency, e.g. "USD 49.00".
    pub fn price_label(&self) -> String {
        price_label(self.price_cents, &self.currency)
    }
}

pub fn price_label(cents: i64, currency: &str) -> String {
    if cents == 0 {
        "Free".to_owned()
    } else {
        format!("{currency} {}.{:02}", cents / 100, cents % 100)
    }
}

/// A price typed in the filter ("12", "12.5", "12.50") in cents; `None` when blank.
pub fn parse_price(text: Option<&str>) -> Result<Option<i64>, String> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let bad = || "Enter an amount such as 10 or 9.99.".to_owned();
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || whole.len() > 9
    {
        return Err(bad());
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
        _ => frac.parse().map_err(|_| bad())?,
    };
    Ok(Some(whole * 100 + frac))
}

/// An access request as its requester sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestInfo {
    pub id: String,
    pub agent_id: String,
    pub agent_name: String,
    pub reason: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub requested_at: String,
    pub reviewed_at: Option<String>,
    pub review_note: Option<String>,
}

/// A license as its holder sees it on My Agents and the run page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseInfo {
    pub id: String,
    pub agent_id: String,
    pub agent_name: String,
    pub agent_slug: String,
    pub agent_icon: String,
    /// `-1` when unlimited.
    pub limit: i64,
    pub used: i64,
    /// `None` when unlimited.
    pub remaining: Option<i64>,
    /// `active`, `suspended`, `revoked` or `expired`.
    pub status: String,
    pub near_limit: bool,
    pub exhausted: bool,
    pub expires_at: Option<String>,
    pub granted_at: String,
}

impl LicenseInfo {
    pub fn is_unlimited(&self) -> bool {
        self.limit < 0
    }

    /// Whether a call may be attempted now (the gateway decides for real).
    pub fn can_run(&self) -> bool {
        self.status == "active" && !self.exhausted
    }

    /// "3 of 10 calls used" or "Unlimited · 3 calls used".
    pub fn usage_label(&self) -> String {
        if self.is_unlimited() {
            format!(
                "Unlimited · {} call{} used",
                self.used,
                if self.used == 1 { "" } else { "s" }
            )
        } else {
            format!("{} of {} calls used", self.used, self.limit)
        }
    }
}

#[cfg(feature = "ssr")]
pub(crate) fn license_info(
    view: abetworks::licenses::LicenseView,
    icons: &std::collections::HashMap<String, String>,
) -> LicenseInfo {
    use crate::server::rfc3339;
    LicenseInfo {
        agent_icon: icons
            .get(&view.agent_id)
            .cloned()
            .unwrap_or_else(|| "🤖".to_owned()),
        id: view.id,
        agent_id: view.agent_id,
        agent_name: view.agent_name,
        agent_slug: view.agent_slug,
        limit: view.api_call_limit,
        used: view.api_calls_used,
        remaining: view.remaining,
        status: view.status.as_str().to_owned(),
        near_limit: view.near_limit,
        exhausted: view.exhausted,
        expires_at: view.expires_at.map(rfc3339),
        granted_at: rfc3339(view.granted_at),
    }
}

#[cfg(feature = "ssr")]
fn card(agent: abetworks::entities::agent_catalog::Model, access: Access) -> AgentCard {
    AgentCard {
        id: agent.id,
        slug: agent.slug,
        name: agent.name,
        short_description: agent.short_description,
        long_description: agent.long_description,
        category: agent.category,
        price_cents: agent.price_cents,
        currency: agent.currency,
        icon: agent.icon,
        features: serde_json::from_value(agent.features).unwrap_or_default(),
        access,
    }
}

/// The published agents matching the filters, each with where the caller stands.
/// Prices are typed in currency units (`12.50`); blank filters mean "any".
#[server(endpoint = "ui/marketplace/agents")]
pub async fn marketplace_agents(
    q: Option<String>,
    category: Option<String>,
    min_price: Option<String>,
    max_price: Option<String>,
) -> Result<Vec<AgentCard>, AppError> {
    use crate::server::{core_error, current_user, state};
    use abetworks::catalog::{list_published, CatalogFilter};
    use abetworks::marketplace::{list_for_user, AgentAccess};

    let min_price_cents =
        parse_price(min_price.as_deref()).map_err(|m| AppError::field("minPrice", m))?;
    let max_price_cents =
        parse_price(max_price.as_deref()).map_err(|m| AppError::field("maxPrice", m))?;
    let state = state()?;
    let filter = CatalogFilter {
        query: q.filter(|q| !q.trim().is_empty()),
        category: category.filter(|c| !c.trim().is_empty()),
        min_price_cents,
        max_price_cents,
    };
    let user = current_user()
        .await
        .map_err(|e| crate::server::internal_failure(format!("{e}")))?;
    let Some(user) = user else {
        let agents = list_published(&state.db, &filter)
            .await
            .map_err(core_error)?;
        return Ok(agents
            .into_iter()
            .map(|a| card(a, Access::SignedOut))
            .collect());
    };
    let agents = list_for_user(&state.db, &user.id, &filter)
        .await
        .map_err(core_error)?;
    Ok(agents
        .into_iter()
        .map(|a| {
            let access = match a.access {
                AgentAccess::Licensed => Access::Licensed,
                AgentAccess::Pending => Access::Pending,
                AgentAccess::None => Access::Available,
            };
            card(a.agent, access)
        })
        .collect())
}

/// The categories of published agents, for the filter.
#[server(endpoint = "ui/marketplace/categories")]
pub async fn marketplace_categories() -> Result<Vec<String>, AppError> {
    let state = crate::server::state()?;
    abetworks::catalog::published_categories(&state.db)
        .await
        .map_err(crate::server::core_error)
}

#[cfg(feature = "ssr")]
fn request_info(view: abetworks::access_requests::AccessRequestView) -> RequestInfo {
    use crate::server::rfc3339;
    RequestInfo {
        id: view.id,
        agent_id: view.agent_id,
        agent_name: view.agent_name,
        reason: view.request_reason,
        status: view.status.as_str().to_owned(),
        requested_at: rfc3339(view.requested_at),
        reviewed_at: view.reviewed_at.map(rfc3339),
        review_note: view.review_note,
    }
}

/// Asks for access to an agent, with a reason for the reviewer.
#[server(endpoint = "ui/marketplace/request-access")]
pub async fn request_access(agent_id: String, reason: String) -> Result<RequestInfo, AppError> {
    use crate::server::{client_ip, core_error, require_user, state};
    use abetworks::access_requests::{create, NewAccessRequest};
    let user = require_user().await?;
    let state = state()?;
    let ip = client_ip().await;
    let view = create(
        &state.db,
        &user.id,
        Some(&ip),
        NewAccessRequest { agent_id, reason },
    )
    .await
    .map_err(core_error)?;
    Ok(request_info(view))
}

/// The caller's requests, newest first (the most recent 100).
#[server(endpoint = "ui/marketplace/my-requests")]
pub async fn my_requests() -> Result<Vec<RequestInfo>, AppError> {
    use crate::server::{core_error, require_user, state};
    use abetworks::pagination::{PageRequest, MAX_PAGE_SIZE};
    let user = require_user().await?;
    let state = state()?;
    let page = abetworks::access_requests::list_mine(
        &state.db,
        &user.id,
        PageRequest {
            page: 1,
            page_size: MAX_PAGE_SIZE,
        },
    )
    .await
    .map_err(core_error)?;
    Ok(page.items.into_iter().map(request_info).collect())
}

/// Agent icons by id, for views that only carry the agent's name.
#[cfg(feature = "ssr")]
pub(crate) async fn agent_icons(
    db: &sea_orm::DatabaseConnection,
) -> Result<std::collections::HashMap<String, String>, AppError> {
    let agents = abetworks::catalog::list_published(db, &Default::default())
        .await
        .map_err(crate::server::core_error)?;
    Ok(agents.into_iter().map(|a| (a.id, a.icon)).collect())
}

/// The caller's licensed agents with their usage (revoked licenses left out).
#[server(endpoint = "ui/marketplace/my-agents")]
pub async fn my_agents() -> Result<Vec<LicenseInfo>, AppError> {
    use crate::server::{core_error, require_user, state};
    use abetworks::licenses::EffectiveStatus;
    let user = require_user().await?;
    let state = state()?;
    let licenses = abetworks::usage::my_usage(&state.db, &user.id)
        .await
        .map_err(core_error)?;
    let icons = agent_icons(&state.db).await?;
    Ok(licenses
        .into_iter()
        .filter(|l| l.status != EffectiveStatus::Revoked)
        .map(|l| license_info(l, &icons))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_read_in_currency_units() {
        assert_eq!(parse_price(Some("12")), Ok(Some(1200)));
        assert_eq!(parse_price(Some("12.5")), Ok(Some(1250)));
        assert_eq!(parse_price(Some("0.99")), Ok(Some(99)));
        assert_eq!(parse_price(Some(" ")), Ok(None));
        assert!(parse_price(Some("-1")).is_err());
        assert!(parse_price(Some("1.234")).is_err());
        assert!(parse_price(Some("abc")).is_err());
        assert!(parse_price(Some(".")).is_err());
    }
}
