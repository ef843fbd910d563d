//! What a member may run one agent on, as the run page shows it: their own license, their
//! organisation's pool, and which of the two the next call is counted against.

use sea_orm::ConnectionTrait;

use super::for_member_and_agent;
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
    let license = licenses::held_for_agent(db, actor, agent_id).await?;
    let pool = for_member_and_agent(db, actor, agent_id).await?;
    Ok(AgentUnits {
        next_source: next_source(license.as_ref(), pool.as_ref().map(|pool| pool.can_run)),
        license,
        pool,
    })
}

/// The unit the next call takes, in admission's order (`executions::lease::admit_in`): the
/// member's own license while it admits a call, else the organisation's pool while it admits
/// one (`pool_can_run`, `None` without a pool). When neither admits, the call meets the
/// license's refusal if there is a license, else the pool's; `None` with neither.
pub fn next_source(
    license: Option<&LicenseView>,
    pool_can_run: Option<bool>,
) -> Option<UsageSource> {
    match (license, pool_can_run) {
        (Some(license), _) if admits(license) => Some(UsageSource::License),
        (_, Some(true)) => Some(UsageSource::Subscription),
        (Some(_), _) => Some(UsageSource::License),
        (None, Some(false)) => Some(UsageSource::Subscription),
        (None, None) => None,
    }
}

/// Whether a license admits a call now: in force, with calls left in its window.
fn admits(license: &LicenseView) -> bool {
    license.status == EffectiveStatus::Active && !license.exhausted
}
