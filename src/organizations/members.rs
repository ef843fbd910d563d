//! Changing who is in an organisation and as what: its admin removes members and makes them
//! admins or members; any member may leave. Whoever moves out gets a new personal organisation
//! and the member role (a super admin stays one). An organisation admin reaches only their own
//! organisation's members: anyone else reads as not found. The super admin reaches everyone.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, DatabaseConnection, IntoActiveModel, Set};

use super::membership::{self, Change};
use super::{member_view, view_of, MemberRoleChange, MemberView, OrganizationView};
use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::db::{begin_write, find_or_404};
use crate::entities::enums::Role;
use crate::entities::{organizations, users};
use crate::error::{ConflictReason, CoreError, CoreResult};

/// The member `user_id` of an organisation the actor administers, locked with their
/// organisation. Not found when there is no such user or they are in another organisation;
/// refused for someone in a personal organisation (nobody to administer there) and, unless
/// the actor is the super admin, for a super admin.
async fn administered_member(
    conn: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    user_id: &str,
) -> CoreResult<(users::Model, organizations::Model)> {
    actor.require_admin()?;
    let not_found = || CoreError::NotFound { entity: "member" };
    let user = membership::lock_user(conn, user_id)
        .await?
        .ok_or_else(not_found)?;
    if actor
        .organization_scope()
        .is_some_and(|own| own != user.organization_id)
    {
        return Err(not_found());
    }
    membership::lock_organizations(conn, &[&user.organization_id]).await?;
    let organization =
        find_or_404::<organizations::Entity>(conn, &user.organization_id, "organisation").await?;
    if organization.personal {
        return Err(CoreError::Conflict(ConflictReason::PersonalOrganization));
    }
    if user.role.is_super_admin() && !actor.role.is_super_admin() {
        return Err(CoreError::Forbidden(
            "the super admin's membership is changed by the super admin only".into(),
        ));
    }
    Ok((user, organization))
}

/// Removes a member from the actor's organisation (organisation admin; the super admin from
/// any): they move to a new personal organisation. The last admin of a team with other
/// members cannot be removed.
pub async fn remove_member(
    db: &DatabaseConnection,
    actor: &Actor,
    user_id: &str,
) -> CoreResult<()> {
    let txn = begin_write(db).await?;
    let (user, organization) = administered_member(&txn, actor, user_id).await?;
    membership::ensure_an_admin_stays(&txn, &user, Change::Leave).await?;
    let (moved, _) = membership::move_to_new_personal(&txn, &user).await?;
    AuditEntry::of(
        "organization.member_remove",
        "organization",
        &organization.id,
    )
    .by(actor)
    .before(membership::placement(&user))
    .after(membership::placement(&moved))
    .record(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Makes a member of the actor's organisation an admin, or an admin a member (organisation
/// admin; the super admin in any). Only `member` and `admin` may be given; the last admin
/// cannot be demoted. Giving the role someone has already changes nothing.
pub async fn change_role(
    db: &DatabaseConnection,
    actor: &Actor,
    user_id: &str,
    change: MemberRoleChange,
) -> CoreResult<MemberView> {
    if !matches!(change.role, Role::Member | Role::Admin) {
        return Err(CoreError::invalid("role", "must be member or admin"));
    }
    let txn = begin_write(db).await?;
    let (user, organization) = administered_member(&txn, actor, user_id).await?;
    if user.role.is_super_admin() {
        return Err(CoreError::Forbidden(
            "the super admin's role is changed in the users' administration".into(),
        ));
    }
    if user.role == change.role {
        txn.commit().await?;
        return Ok(member_view(user));
    }
    if change.role == Role::Member {
        membership::ensure_an_admin_stays(&txn, &user, Change::Demote).await?;
    }
    let mut active = user.clone().into_active_model();
    active.role = Set(change.role);
    active.updated_at = Set(Utc::now());
    let changed = active.update(&txn).await?;
    AuditEntry::of(
        "organization.member_role_change",
        "organization",
        &organization.id,
    )
    .by(actor)
    .before(membership::placement(&user))
    .after(membership::placement(&changed))
    .record(&txn)
    .await?;
    txn.commit().await?;
    Ok(member_view(changed))
}

/// The actor leaves their team for a new personal organisation, which is returned. Refused
/// in a personal organisation, and for the last admin of a team with other members.
pub async fn leave(db: &DatabaseConnection, actor: &Actor) -> CoreResult<OrganizationView> {
    let txn = begin_write(db).await?;
    let user = membership::lock_user(&txn, &actor.user_id)
        .await?
        .ok_or(CoreError::NotFound { entity: "user" })?;
    membership::lock_organizations(&txn, &[&user.organization_id]).await?;
    let organization =
        find_or_404::<organizations::Entity>(&txn, &user.organization_id, "organisation").await?;
    if organization.personal {
        return Err(CoreError::Conflict(ConflictReason::PersonalOrganization));
    }
    membership::ensure_an_admin_stays(&txn, &user, Change::Leave).await?;
    let (moved, personal) = membership::move_to_new_personal(&txn, &user).await?;
    AuditEntry::of("organization.leave", "organization", &organization.id)
        .by(actor)
        .before(membership::placement(&user))
        .after(membership::placement(&moved))
        .record(&txn)
        .await?;
    let view = view_of(&txn, personal).await?;
    txn.commit().await?;
    Ok(view)
}
