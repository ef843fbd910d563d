//! Moving users between organisations, inside the caller's write transaction, and the rule
//! every move and demotion obeys: a team organisation keeps an admin while it has members.
//!
//! Race safety: on PostgreSQL a change locks the user's row, then the organisations' rows in id
//! order (`FOR NO KEY UPDATE`), so changes of one organisation's membership run one at a time and two
//! changes never wait on each other in a cycle. SQLite's immediate transaction
//! (`db::begin_write`) already lets one writer in at a time.

use chrono::Utc;
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QuerySelect, Select, Set,
};
use serde_json::{json, Value};

use crate::db::find_by_id;
use crate::entities::enums::Role;
use crate::entities::{organizations, users};
use crate::error::{ConflictReason, CoreError, CoreResult};
use crate::ids::{is_valid_id, new_id};

/// `query` locked for the rest of the transaction on PostgreSQL (SQLite has no row locks).
/// `FOR NO KEY UPDATE`, not `FOR UPDATE`: it still queues membership changes behind each
/// other, but lets rows that merely reference the locked one (an audit entry naming its
/// actor, an invitation) be written meanwhile; `FOR UPDATE` would block their foreign-key
/// checks and deadlock two admins acting on each other.
fn for_update<E: EntityTrait>(conn: &impl ConnectionTrait, query: Select<E>) -> Select<E> {
    match conn.get_database_backend() {
        DbBackend::Postgres => query.lock(LockType::NoKeyUpdate),
        _ => query,
    }
}

/// The user `user_id`, locked; `None` when there is no such user.
pub(super) async fn lock_user(
    conn: &impl ConnectionTrait,
    user_id: &str,
) -> CoreResult<Option<users::Model>> {
    if !is_valid_id(user_id) {
        return Ok(None);
    }
    let query = users::Entity::find_by_id(user_id.to_owned());
    Ok(for_update(conn, query).one(conn).await?)
}

/// Locks the organisations `ids` (in id order, whatever order they are given in).
pub(super) async fn lock_organizations(
    conn: &impl ConnectionTrait,
    ids: &[&str],
) -> CoreResult<()> {
    let mut ids: Vec<&str> = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        let query = organizations::Entity::find_by_id(id.to_owned());
        for_update(conn, query).one(conn).await?;
    }
    Ok(())
}

/// What is about to happen to an admin of a team.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Change {
    /// They leave the organisation (leave, removal, joining another one).
    Leave,
    /// They stay, as a member.
    Demote,
}

/// Refuses `change` with `Conflict(LastOrganizationAdmin)` when `user` is the last admin of a
/// team organisation: a demotion always, a departure while other members remain (the last
/// person out may leave an empty team behind). Personal organisations have no such rule.
pub(super) async fn ensure_an_admin_stays(
    conn: &impl ConnectionTrait,
    user: &users::Model,
    change: Change,
) -> CoreResult<()> {
    if !user.role.is_admin() {
        return Ok(());
    }
    let organization = find_by_id::<organizations::Entity>(conn, &user.organization_id).await?;
    if organization.is_none_or(|organization| organization.personal) {
        return Ok(());
    }
    let others = || {
        users::Entity::find()
            .filter(users::Column::OrganizationId.eq(&user.organization_id))
            .filter(users::Column::Id.ne(&user.id))
    };
    let other_admins = others()
        .filter(users::Column::Role.is_in([Role::Admin, Role::SuperAdmin]))
        .count(conn)
        .await?;
    if other_admins > 0 {
        return Ok(());
    }
    if change == Change::Leave && others().count(conn).await? == 0 {
        return Ok(());
    }
    Err(CoreError::Conflict(ConflictReason::LastOrganizationAdmin))
}

/// The role a user has after moving into an organisation as `offered`: a super admin stays
/// one, whatever the organisation offers.
fn role_after_move(current: Role, offered: Role) -> Role {
    if current.is_super_admin() {
        Role::SuperAdmin
    } else {
        offered
    }
}

/// Moves `user` (locked, with their organisation) into `organization_id` as `role`, and deletes
/// the organisation they left when it was personal and is now empty. The caller has checked
/// [`ensure_an_admin_stays`]. Their licenses, keys and history go with them.
pub(super) async fn move_user(
    conn: &impl ConnectionTrait,
    user: &users::Model,
    organization_id: &str,
    role: Role,
) -> CoreResult<users::Model> {
    let left = user.organization_id.clone();
    let mut active = user.clone().into_active_model();
    active.organization_id = Set(organization_id.to_owned());
    active.role = Set(role_after_move(user.role, role));
    active.updated_at = Set(Utc::now());
    let moved = active.update(conn).await?;
    delete_if_empty_personal(conn, &left).await?;
    Ok(moved)
}

/// Moves `user` (locked, with their organisation) out of their organisation into a new
/// personal one of their own, as a member (a super admin stays one).
pub(super) async fn move_to_new_personal(
    conn: &impl ConnectionTrait,
    user: &users::Model,
) -> CoreResult<(users::Model, organizations::Model)> {
    let personal = new_personal_organization(conn, &user.name).await?;
    let moved = move_user(conn, user, &personal.id, Role::Member).await?;
    Ok((moved, personal))
}

/// A new personal organisation named after its user, as sign-up makes one.
async fn new_personal_organization(
    conn: &impl ConnectionTrait,
    user_name: &str,
) -> CoreResult<organizations::Model> {
    let id = new_id();
    Ok(organizations::ActiveModel {
        id: Set(id.clone()),
        name: Set(format!("{}'s organisation", user_name.trim())),
        slug: Set(format!("personal-{id}")),
        personal: Set(true),
        created_at: Set(Utc::now()),
    }
    .insert(conn)
    .await?)
}

/// Deletes `organization_id` if it is personal and nobody is in it any more: a user who joins a
/// team leaves no empty organisation behind.
async fn delete_if_empty_personal(
    conn: &impl ConnectionTrait,
    organization_id: &str,
) -> CoreResult<()> {
    let Some(organization) = find_by_id::<organizations::Entity>(conn, organization_id).await?
    else {
        return Ok(());
    };
    if !organization.personal {
        return Ok(());
    }
    let remaining = users::Entity::find()
        .filter(users::Column::OrganizationId.eq(organization_id))
        .count(conn)
        .await?;
    if remaining == 0 {
        organizations::Entity::delete_by_id(organization.id)
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Where a user is, for the audit trail.
pub(super) fn placement(user: &users::Model) -> Value {
    json!({ "organizationId": user.organization_id, "role": user.role })
}
