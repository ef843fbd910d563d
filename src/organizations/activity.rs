//! What an organisation's admin sees of its members' activity: usage by member (and as CSV),
//! their executions and, read-only, their licenses. Each is the super admin's query (usage
//! analytics, the execution log, the license list) limited to the users now in the
//! organisation, so both read the same numbers. The super admin may ask for any organisation
//! (the `_of` variants); members are refused.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::actor::Actor;
use crate::db::find_or_404;
use crate::entities::{organizations, users};
use crate::error::{CoreError, CoreResult};
use crate::executions::{self, ExecutionFilter, ExecutionView};
use crate::input::TimeRange;
use crate::licenses::{self, LicenseFilter, LicenseView};
use crate::pagination::{Page, PageRequest};
use crate::usage::{self, Granularity};
use abetworks_types::teams::{MemberUsage, OrgUsage};
use abetworks_types::views::DayCount;

/// The first line of the usage CSV.
pub const USAGE_CSV_HEADER: &str = "user_id,email,name,calls,succeeded,failed\n";

/// The organisation whose activity `actor` may see: `organization_id`, or their own when
/// `None`. Members are refused; the super admin sees any organisation that exists, an
/// organisation admin only their own (another reads as not found, as in
/// [`super::get`]).
async fn organization_for(
    db: &impl ConnectionTrait,
    actor: &Actor,
    organization_id: Option<&str>,
) -> CoreResult<String> {
    actor.require_admin()?;
    let Some(id) = organization_id else {
        return Ok(actor.organization_id.clone());
    };
    if actor.organization_scope().is_some_and(|own| own != id) {
        return Err(CoreError::NotFound {
            entity: "organisation",
        });
    }
    find_or_404::<organizations::Entity>(db, id, "organisation").await?;
    Ok(id.to_owned())
}

/// Usage by member of the actor's own organisation in `range`.
pub async fn usage(
    db: &impl ConnectionTrait,
    actor: &Actor,
    range: TimeRange,
) -> CoreResult<OrgUsage> {
    let organization_id = organization_for(db, actor, None).await?;
    usage_in(db, &organization_id, range).await
}

/// Usage by member of `organization_id` in `range` (super admin, or that organisation's admin).
pub async fn usage_of(
    db: &impl ConnectionTrait,
    actor: &Actor,
    organization_id: &str,
    range: TimeRange,
) -> CoreResult<OrgUsage> {
    let organization_id = organization_for(db, actor, Some(organization_id)).await?;
    usage_in(db, &organization_id, range).await
}

/// [`usage`] as CSV: one line per member.
pub async fn usage_csv(
    db: &impl ConnectionTrait,
    actor: &Actor,
    range: TimeRange,
) -> CoreResult<String> {
    Ok(as_csv(&usage(db, actor, range).await?))
}

/// [`usage_of`] as CSV: one line per member.
pub async fn usage_csv_of(
    db: &impl ConnectionTrait,
    actor: &Actor,
    organization_id: &str,
    range: TimeRange,
) -> CoreResult<String> {
    Ok(as_csv(&usage_of(db, actor, organization_id, range).await?))
}

/// Every member now in the organisation (those without a call too), most calls first, with the
/// calls of all of them per day of `range`. Calls are tracked calls, as the super admin's
/// analytics count them: failed means answered with a status of 400 or more.
async fn usage_in(
    db: &impl ConnectionTrait,
    organization_id: &str,
    range: TimeRange,
) -> CoreResult<OrgUsage> {
    let of_members = || usage::in_range(range).add(usage::of_organization(organization_id));
    let outcomes = usage::outcomes_by_user(db, of_members()).await?;
    let people = users::Entity::find()
        .filter(users::Column::OrganizationId.eq(organization_id))
        .order_by_asc(users::Column::Email)
        .all(db)
        .await?;
    let mut members: Vec<MemberUsage> = people
        .into_iter()
        .map(|user| {
            let counted = outcomes.get(&user.id).cloned().unwrap_or_default();
            MemberUsage {
                user_id: user.id,
                email: user.email,
                name: user.name,
                calls: counted.calls,
                succeeded: counted.calls - counted.failed,
                failed: counted.failed,
            }
        })
        .collect();
    // Stable: equal counts stay in email order.
    members.sort_by_key(|member| std::cmp::Reverse(member.calls));
    let daily = usage::count_per_bucket::<crate::entities::api_usage_tracking::Entity>(
        db,
        of_members(),
        range,
        Granularity::Day,
    )
    .await?
    .into_iter()
    .map(|point| DayCount {
        day: point.start.date_naive(),
        count: point.calls,
    })
    .collect();
    Ok(OrgUsage { members, daily })
}

/// The usage as CSV; names and emails a spreadsheet would run as a formula are defused.
fn as_csv(usage: &OrgUsage) -> String {
    let mut csv = USAGE_CSV_HEADER.to_owned();
    for member in &usage.members {
        csv.push_str(&usage::csv_line(&[
            &member.user_id,
            &usage::defuse_formula(&member.email),
            &usage::defuse_formula(&member.name),
            &member.calls.to_string(),
            &member.succeeded.to_string(),
            &member.failed.to_string(),
        ]));
    }
    csv
}

/// Executions of the members of the actor's own organisation matching `filter`, newest first.
pub async fn executions(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &ExecutionFilter,
    page: PageRequest,
) -> CoreResult<Page<ExecutionView>> {
    let organization_id = organization_for(db, actor, None).await?;
    executions::list_in(db, Some(&organization_id), filter, page).await
}

/// Executions of the members of `organization_id` matching `filter`, newest first.
pub async fn executions_of(
    db: &impl ConnectionTrait,
    actor: &Actor,
    organization_id: &str,
    filter: &ExecutionFilter,
    page: PageRequest,
) -> CoreResult<Page<ExecutionView>> {
    let organization_id = organization_for(db, actor, Some(organization_id)).await?;
    executions::list_in(db, Some(&organization_id), filter, page).await
}

/// One execution of a member of the actor's own organisation: 404 when it is another's.
pub async fn execution(
    db: &impl ConnectionTrait,
    actor: &Actor,
    execution_id: &str,
) -> CoreResult<ExecutionView> {
    let organization_id = organization_for(db, actor, None).await?;
    executions::get_in(db, Some(&organization_id), execution_id).await
}

/// One execution of a member of `organization_id`: 404 when it is another's.
pub async fn execution_of(
    db: &impl ConnectionTrait,
    actor: &Actor,
    organization_id: &str,
    execution_id: &str,
) -> CoreResult<ExecutionView> {
    let organization_id = organization_for(db, actor, Some(organization_id)).await?;
    executions::get_in(db, Some(&organization_id), execution_id).await
}

/// The licenses of the members of the actor's own organisation matching `filter`, read-only.
pub async fn licenses(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &LicenseFilter,
    page: PageRequest,
) -> CoreResult<Page<LicenseView>> {
    let organization_id = organization_for(db, actor, None).await?;
    licenses::list_in(db, Some(&organization_id), filter, page).await
}

/// The licenses of the members of `organization_id` matching `filter`, read-only.
pub async fn licenses_of(
    db: &impl ConnectionTrait,
    actor: &Actor,
    organization_id: &str,
    filter: &LicenseFilter,
    page: PageRequest,
) -> CoreResult<Page<LicenseView>> {
    let organization_id = organization_for(db, actor, Some(organization_id)).await?;
    licenses::list_in(db, Some(&organization_id), filter, page).await
}

#[cfg(test)]
mod tests;
