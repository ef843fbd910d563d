//! The marketplace, access requests and the caller's licensed agents.

use abetworks_types::views::{AccessRequestView, LicenseView, MarketplaceAgent};
use abetworks_types::Page;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

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

/// Agents on one marketplace page: a multiple of the grid's two, three and four columns.
pub const MARKETPLACE_PAGE_SIZE: u64 = 24;

/// One page (`page`, from 1) of the published agents matching the filters, each with where
/// the caller stands. Prices are typed in currency units (`12.50`); blank filters mean "any".
#[server(endpoint = "ui/marketplace/agents")]
pub async fn marketplace_agents(
    q: Option<String>,
    category: Option<String>,
    min_price: Option<String>,
    max_price: Option<String>,
    page: Option<u64>,
) -> Result<Page<MarketplaceAgent>, AppError> {
    use crate::server::{core_error, current_user, internal_failure, state};
    use abetworks::catalog::CatalogFilter;
    use abetworks::pagination::PageRequest;

    let min_price_cents =
        parse_price(min_price.as_deref()).map_err(|m| AppError::field("minPrice", m))?;
    let max_price_cents =
        parse_price(max_price.as_deref()).map_err(|m| AppError::field("maxPrice", m))?;
    let page = PageRequest::new(
        page.map(|page| i64::try_from(page).unwrap_or(i64::MAX)),
        Some(MARKETPLACE_PAGE_SIZE as i64),
    )
    .map_err(core_error)?;
    let state = state()?;
    let filter = CatalogFilter {
        query: q.filter(|q| !q.trim().is_empty()),
        category: category.filter(|c| !c.trim().is_empty()),
        min_price_cents,
        max_price_cents,
    };
    let user = current_user()
        .await
        .map_err(|e| internal_failure(format!("{e}")))?;
    let user_id = user.as_ref().map(|user| user.id.as_str());
    abetworks::marketplace::page_for(&state.db, user_id, &filter, page)
        .await
        .map_err(core_error)
}

/// The categories of published agents, for the filter.
#[server(endpoint = "ui/marketplace/categories")]
pub async fn marketplace_categories() -> Result<Vec<String>, AppError> {
    let state = crate::server::state()?;
    abetworks::catalog::published_categories(&state.db)
        .await
        .map_err(crate::server::core_error)
}

/// Asks for access to an agent, with a reason for the reviewer. For an agent the caller is
/// already licensed for, a request for more calls (`requested_calls`: how many they want).
/// `for_organization`: an organisation admin asks for a pool for their team instead.
#[server(endpoint = "ui/marketplace/request-access")]
pub async fn request_access(
    agent_id: String,
    reason: String,
    requested_calls: Option<i64>,
    #[server(default)] for_organization: bool,
) -> Result<AccessRequestView, AppError> {
    use crate::server::{as_caller, core_error};
    use abetworks::access_requests::{create, NewAccessRequest};
    let (state, actor) = as_caller().await?;
    let request = NewAccessRequest {
        agent_id,
        reason,
        requested_calls,
        for_organization,
    };
    create(&state.db, &actor, request).await.map_err(core_error)
}

/// The caller's requests, newest first (the most recent 100).
#[server(endpoint = "ui/marketplace/my-requests")]
pub async fn my_requests() -> Result<Vec<AccessRequestView>, AppError> {
    let (state, actor) = crate::server::as_caller().await?;
    latest_requests(&state, &actor).await
}

/// The caller's most recent requests (a page of the largest size), newest first.
#[cfg(feature = "ssr")]
async fn latest_requests(
    state: &crate::server::AppState,
    actor: &abetworks::Actor,
) -> Result<Vec<AccessRequestView>, AppError> {
    use abetworks::pagination::{PageRequest, MAX_PAGE_SIZE};
    let latest = PageRequest {
        page: 1,
        page_size: MAX_PAGE_SIZE,
    };
    abetworks::access_requests::list_mine(&state.db, actor, latest)
        .await
        .map(|page| page.items)
        .map_err(crate::server::core_error)
}

/// A license on My Agents: the license, what is left in its window in words (the reset time
/// put in the license's zone on the server) and whether more calls have been asked for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MyLicense {
    pub license: LicenseView,
    /// "37 calls left today, resets at 00:00 Europe/Berlin", "37 of 50 calls left", "Unlimited".
    pub quota_text: String,
    /// A request for more calls on this agent is waiting for review.
    pub increase_pending: bool,
}

/// The caller's licensed agents with their usage, as the core decides the holder sees them.
#[server(endpoint = "ui/marketplace/my-agents")]
pub async fn my_agents() -> Result<Vec<MyLicense>, AppError> {
    use super::quota::quota_text_now;
    use crate::server::{as_caller, core_error};
    use abetworks_types::enums::{AccessRequestKind, AccessRequestStatus};
    let (state, actor) = as_caller().await?;
    let licenses = abetworks::licenses::list_for_holder(&state.db, &actor)
        .await
        .map_err(core_error)?;
    let requests = latest_requests(&state, &actor).await?;
    let asking = |agent_id: &str| {
        requests.iter().any(|r| {
            r.agent_id == agent_id
                && r.kind == AccessRequestKind::Increase
                && r.status == AccessRequestStatus::Pending
        })
    };
    Ok(licenses
        .into_iter()
        .map(|license| MyLicense {
            quota_text: quota_text_now(&license),
            increase_pending: asking(&license.agent_id),
            license,
        })
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
