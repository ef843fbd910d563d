//! What a member may run one agent on, as the run page shows it: their own license, their
//! organisation's pool, and which of the two the next call is counted against.

use sea_orm::ConnectionTrait;

use super::for_member;
use crate::actor::Actor;
use crate::error::CoreResult;
use crate::licenses::{self, EffectiveStatus, LicenseView};
use crate::quota::UsageSource;
pub use abetworks_types::teams::AgentUnits;

/// The actor's license and pool for `agent_id` (either may be missing), and which one the
/// next call takes its unit from.
pub async fn units_for(
    db: &impl ConnectionTrait,
    actor: &Actor,
    agent_id: &str,
) -> CoreResult<AgentUnits> {
    let license = licenses::list_for_holder(db, actor)
        .await?
        .into_iter()
        .find(|license| license.agent_id == agent_id);
    let pool = for_member(db, actor)
        .await?
        .into_iter()
        .find(|pool| pool.subscription.agent_id == agent_id);
    Ok(AgentUnits {
        next_source: next_source(license.as_ref(), pool.is_some()),
        license,
        pool,
    })
}

/// The unit the next call takes, in admission's order (`executions::lease::admit_in`): the
/// member's own license while it admits a call, else the organisation's pool (`pool_held`).
/// Without a pool the license is what the call counts against (and is refused by) even when
/// it admits nothing; `None` with neither.
pub fn next_source(license: Option<&LicenseView>, pool_held: bool) -> Option<UsageSource> {
    match license {
        Some(license) if admits(license) => Some(UsageSource::License),
        _ if pool_held => Some(UsageSource::Subscription),
        Some(_) => Some(UsageSource::License),
        None => None,
    }
}

/// Whether a license admits a call now: in force, with calls left in its window.
fn admits(license: &LicenseView) -> bool {
    license.status == EffectiveStatus::Active && !license.exhausted
}
