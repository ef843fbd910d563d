//! Organisations: the super admin creates and renames team organisations (optionally moving a
//! user in as its admin); everyone sees their own organisation and its members. Invitations
//! ([`invitations`]) bring users in; [`members`] changes roles, removes members and lets a
//! member leave. A user belongs to exactly one organisation: a personal one of their own until
//! they join a team, and a new personal one when they leave it.
//!
//! Every change of membership runs in one write transaction that locks the user's row, then
//! the organisations' rows in id order ([`membership`]), so the rule "an organisation keeps an
//! admin" holds however many requests race.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::db::{begin_write, find_or_404};
use crate::entities::enums::Role;
use crate::entities::{organizations, users};
use crate::error::{CoreError, CoreResult};
use crate::ids::new_id;
use crate::input::{page_of, required_text};
use crate::pagination::{Page, PageRequest};
pub use abetworks_types::teams::{
    AcceptInvitation, InvitationCreated, InvitationView, MemberRoleChange, MemberView,
    NewInvitation, NewOrganization, OrganizationChange, OrganizationView,
};

pub mod activity;
mod invitation_mail;
pub mod invitations;
pub mod members;
mod membership;
mod session;

pub use invitations::{accept, invitations, invite, preview, revoke_invitation};
pub use members::{change_role, leave, remove_member};
pub use session::{session, CurrentOrganization, SessionView};

pub const MAX_ORGANIZATION_NAME_CHARS: usize = 100;

/// Creates a team organisation (super admin). With `admin_user_id`, that user moves in as its
/// admin (a super admin stays super admin) and their personal organisation, now empty, goes.
/// Refused when they are the last admin of a team that has other members.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    new: NewOrganization,
) -> CoreResult<OrganizationView> {
    actor.require_super_admin()?;
    let name = required_text("name", &new.name, MAX_ORGANIZATION_NAME_CHARS)?;
    let admin_user_id = new
        .admin_user_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty());
    let txn = begin_write(db).await?;
    let organization = insert_team(&txn, name).await?;
    AuditEntry::of("organization.create", "organization", &organization.id)
        .by(actor)
        .after(&organization)
        .record(&txn)
        .await?;
    if let Some(user_id) = admin_user_id {
        let user = membership::lock_user(&txn, user_id)
            .await?
            .ok_or_else(|| CoreError::invalid("adminUserId", "is not a user"))?;
        membership::lock_organizations(&txn, &[&user.organization_id, &organization.id]).await?;
        membership::ensure_an_admin_stays(&txn, &user, membership::Change::Leave).await?;
        let moved = membership::move_user(&txn, &user, &organization.id, Role::Admin).await?;
        AuditEntry::of("organization.join", "user", &moved.id)
            .by(actor)
            .before(membership::placement(&user))
            .after(membership::placement(&moved))
            .record(&txn)
            .await?;
    }
    let view = view_of(&txn, organization).await?;
    txn.commit().await?;
    Ok(view)
}

/// A new team organisation named `name`, with a free slug.
async fn insert_team(
    conn: &impl ConnectionTrait,
    name: String,
) -> CoreResult<organizations::Model> {
    let slug = free_slug(conn, &name).await?;
    Ok(organizations::ActiveModel {
        id: Set(new_id()),
        name: Set(name),
        slug: Set(slug),
        personal: Set(false),
        created_at: Set(Utc::now()),
    }
    .insert(conn)
    .await?)
}

/// For demo data, which has no actor: a team named `name` with `members` (user id and role)
/// moved in, each out of their personal organisation.
pub(crate) async fn seed_team(
    db: &DatabaseConnection,
    name: &str,
    members: &[(&str, Role)],
) -> CoreResult<organizations::Model> {
    let txn = begin_write(db).await?;
    let organization = insert_team(&txn, name.to_owned()).await?;
    for (user_id, role) in members {
        let user = find_or_404::<users::Entity>(&txn, user_id, "user").await?;
        membership::ensure_an_admin_stays(&txn, &user, membership::Change::Leave).await?;
        membership::move_user(&txn, &user, &organization.id, *role).await?;
    }
    txn.commit().await?;
    Ok(organization)
}

/// Renames an organisation (super admin); its slug stays, so links keep working.
pub async fn rename(
    db: &DatabaseConnection,
    actor: &Actor,
    organization_id: &str,
    change: OrganizationChange,
) -> CoreResult<OrganizationView> {
    actor.require_super_admin()?;
    let name = required_text("name", &change.name, MAX_ORGANIZATION_NAME_CHARS)?;
    let txn = begin_write(db).await?;
    let before =
        find_or_404::<organizations::Entity>(&txn, organization_id, "organisation").await?;
    let mut active: organizations::ActiveModel = before.clone().into();
    active.name = Set(name);
    let after = active.update(&txn).await?;
    AuditEntry::of("organization.rename", "organization", &after.id)
        .by(actor)
        .before(&before)
        .after(&after)
        .record(&txn)
        .await?;
    let view = view_of(&txn, after).await?;
    txn.commit().await?;
    Ok(view)
}

/// Organisations whose name or slug contains `query` (super admin): team organisations
/// first, as they are the ones managed, then newest first.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    query: Option<&str>,
    page: PageRequest,
) -> CoreResult<Page<OrganizationView>> {
    use crate::search::{in_any, lower};
    actor.require_super_admin()?;
    let searched = crate::input::search_text("q", query)?;
    let name_or_slug = [
        lower(organizations::Column::Name),
        lower(organizations::Column::Slug),
    ];
    let condition = Condition::all().add_option(searched.map(|q| in_any(&q, name_or_slug)));
    let teams_first = organizations::Entity::find()
        .filter(condition)
        .order_by_asc(organizations::Column::Personal)
        .order_by_desc(organizations::Column::CreatedAt)
        .order_by_desc(organizations::Column::Id);
    let page = page_of(db, teams_first.into_model::<organizations::Model>(), page).await?;
    let counts = head_counts(db, page.items.iter().map(|o| o.id.as_str())).await?;
    Ok(page.map(|organization| with_counts(organization, &counts)))
}

/// One organisation: any for the super admin, only the actor's own for anyone else (another
/// reads as not found).
pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    organization_id: &str,
) -> CoreResult<OrganizationView> {
    let organization = visible(db, actor, organization_id).await?;
    view_of(db, organization).await
}

/// The members of an organisation, admins first: any for the super admin, only the actor's
/// own for anyone else (another reads as not found).
pub async fn members_of(
    db: &DatabaseConnection,
    actor: &Actor,
    organization_id: &str,
) -> CoreResult<Vec<MemberView>> {
    let organization = visible(db, actor, organization_id).await?;
    member_views(db, &organization.id).await
}

/// The actor's own organisation.
pub async fn current(db: &DatabaseConnection, actor: &Actor) -> CoreResult<OrganizationView> {
    get(db, actor, &actor.organization_id).await
}

/// The members of the actor's own organisation (any member may see them).
pub async fn members(db: &DatabaseConnection, actor: &Actor) -> CoreResult<Vec<MemberView>> {
    members_of(db, actor, &actor.organization_id).await
}

/// The organisation `organization_id` if the actor may see it.
async fn visible(
    db: &DatabaseConnection,
    actor: &Actor,
    organization_id: &str,
) -> CoreResult<organizations::Model> {
    let outside_scope = actor
        .organization_scope()
        .is_some_and(|own| own != organization_id);
    if outside_scope {
        return Err(CoreError::NotFound {
            entity: "organisation",
        });
    }
    find_or_404::<organizations::Entity>(db, organization_id, "organisation").await
}

/// Members of `organization_id` as views: admins first, then by name.
pub(crate) async fn member_views(
    db: &impl ConnectionTrait,
    organization_id: &str,
) -> CoreResult<Vec<MemberView>> {
    let mut rows = users::Entity::find()
        .filter(users::Column::OrganizationId.eq(organization_id))
        .order_by_asc(users::Column::Name)
        .order_by_asc(users::Column::Email)
        .all(db)
        .await?;
    rows.sort_by_key(|user| !user.role.is_admin());
    Ok(rows.into_iter().map(member_view).collect())
}

pub(crate) fn member_view(user: users::Model) -> MemberView {
    MemberView {
        user_id: user.id,
        email: user.email,
        name: user.name,
        role: user.role,
        disabled: user.disabled,
        joined_at: user.created_at,
        last_login_at: user.last_login_at,
    }
}

/// Members and admins per organisation.
type HeadCounts = HashMap<String, (i64, i64)>;

/// How many members and admins each of `organization_ids` has.
async fn head_counts<'a>(
    db: &impl ConnectionTrait,
    organization_ids: impl Iterator<Item = &'a str>,
) -> CoreResult<HeadCounts> {
    let ids: Vec<&str> = organization_ids.collect();
    if ids.is_empty() {
        return Ok(HeadCounts::new());
    }
    let is_admin = users::Column::Role.is_in([Role::Admin, Role::SuperAdmin]);
    let admins = Func::sum(Expr::case(is_admin, 1).finally(0));
    let rows: Vec<(String, i64, Option<i64>)> = users::Entity::find()
        .select_only()
        .column(users::Column::OrganizationId)
        .expr_as(
            Expr::expr(Func::count(Expr::col(users::Column::Id))),
            "members",
        )
        .expr_as(Expr::expr(admins), "admins")
        .filter(users::Column::OrganizationId.is_in(ids))
        .group_by(users::Column::OrganizationId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, members, admins)| (id, (members, admins.unwrap_or(0))))
        .collect())
}

fn with_counts(organization: organizations::Model, counts: &HeadCounts) -> OrganizationView {
    let (member_count, admin_count) = counts.get(&organization.id).copied().unwrap_or((0, 0));
    OrganizationView {
        id: organization.id,
        name: organization.name,
        slug: organization.slug,
        personal: organization.personal,
        member_count,
        admin_count,
        created_at: organization.created_at,
    }
}

/// `organization` as a view, with its head counts.
pub(crate) async fn view_of(
    db: &impl ConnectionTrait,
    organization: organizations::Model,
) -> CoreResult<OrganizationView> {
    let counts = head_counts(db, std::iter::once(organization.id.as_str())).await?;
    Ok(with_counts(organization, &counts))
}

/// The slug of `name`: lower-case ASCII letters and digits joined by single dashes.
pub fn slug_of(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 60 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "organisation".to_owned()
    } else {
        slug.to_owned()
    }
}

/// A slug for `name` that no organisation has: `acme`, else `acme-2`, `acme-3`… The unique
/// index has the last word if two creations race (the loser's transaction fails).
async fn free_slug(db: &impl ConnectionTrait, name: &str) -> CoreResult<String> {
    let base = slug_of(name);
    let taken: Vec<String> = organizations::Entity::find()
        .select_only()
        .column(organizations::Column::Slug)
        .filter(organizations::Column::Slug.starts_with(&base))
        .into_tuple()
        .all(db)
        .await?;
    let free = std::iter::once(base.clone())
        .chain((2..).map(|n| format!("{base}-{n}")))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or(base);
    Ok(free)
}

#[cfg(test)]
mod invitation_rule_tests;
#[cfg(test)]
mod invitation_tests;
#[cfg(test)]
mod membership_tests;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
