//! Invitations: an organisation admin invites an email address into their team; whoever holds
//! the link sees what it is for; the invitee, signed in with that address, accepts it and
//! moves in. The token (32 random bytes, base64url) is shown once, in the link; only its
//! SHA-256 is stored. An invitation is single use, expires after [`INVITATION_DAYS`] and may
//! be revoked; inviting the same address again revokes the earlier pending one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand_core::{OsRng, RngCore};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use super::invitation_mail::{self, InvitationLetter};
use super::membership::{self, Change};
use super::OrganizationView;
use super::{view_of, AcceptInvitation, InvitationCreated, InvitationView, NewInvitation};
use crate::actor::Actor;
use crate::api_keys::hash_key;
use crate::audit::AuditEntry;
use crate::db::{begin_write, find_by_id, find_or_404};
use crate::entities::enums::Role;
use crate::entities::organization_invitations as invitations;
use crate::entities::{organizations, users};
use crate::error::{ConflictReason, CoreError, CoreResult, ErrorCode};
use crate::ids::new_id;
use crate::state::AppState;
use crate::users::{normalize_email, plausible_email, MAX_EMAIL_CHARS};
use abetworks_types::enums::InvitationStatus;

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;
/// The page an invitation link opens: `{public_url}/invitations/{token}`.
pub const INVITATION_PATH: &str = "/invitations";
/// The most invitations a list shows (the newest); older ones are history.
const MAX_LISTED: u64 = 200;
/// Longer than any token we make: anything longer is not looked up.
const MAX_TOKEN_CHARS: usize = 100;

/// A fresh token: 32 random bytes in unpadded base64url (43 characters, safe in a URL path).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Invites `new.email` into the actor's organisation as `new.role` (`member` or `admin`;
/// organisation admin). Refused in a personal organisation, and for someone already in it.
/// The answer carries the link, this once; it is emailed too when SMTP is configured.
pub async fn invite(
    state: &AppState,
    actor: &Actor,
    new: NewInvitation,
) -> CoreResult<InvitationCreated> {
    actor.require_admin()?;
    if !matches!(new.role, Role::Member | Role::Admin) {
        return Err(CoreError::invalid("role", "must be member or admin"));
    }
    let email = normalize_email(&new.email);
    if email.chars().count() > MAX_EMAIL_CHARS || !plausible_email(&email) {
        return Err(CoreError::invalid("email", "Enter a valid email address."));
    }
    let now = Utc::now();
    let token = new_token();
    let txn = begin_write(&state.db).await?;
    let organization =
        find_or_404::<organizations::Entity>(&txn, &actor.organization_id, "organisation").await?;
    if organization.personal {
        return Err(CoreError::Conflict(ConflictReason::PersonalOrganization));
    }
    let already_in = users::Entity::find()
        .filter(users::Column::Email.eq(&email))
        .filter(users::Column::OrganizationId.eq(&organization.id))
        .one(&txn)
        .await?;
    if already_in.is_some() {
        return Err(CoreError::Conflict(ConflictReason::AlreadyMember));
    }
    // One live link per address: the new one replaces a lost or mistyped earlier one.
    invitations::Entity::update_many()
        .col_expr(invitations::Column::RevokedAt, Expr::value(Some(now)))
        .filter(invitations::Column::OrganizationId.eq(&organization.id))
        .filter(invitations::Column::Email.eq(&email))
        .filter(pending_at(now))
        .exec(&txn)
        .await?;
    let invitation = invitations::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(organization.id.clone()),
        email: Set(email),
        role: Set(new.role),
        token_hash: Set(hash_key(&token)),
        expires_at: Set(now + Duration::days(INVITATION_DAYS)),
        accepted_at: Set(None),
        accepted_by: Set(None),
        revoked_at: Set(None),
        created_by: Set(Some(actor.user_id.clone())),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    AuditEntry::of("organization.invite", "organization", &organization.id)
        .by(actor)
        .after(json!({
            "invitationId": invitation.id,
            "email": invitation.email,
            "role": invitation.role,
        }))
        .record(&txn)
        .await?;
    let inviter = find_by_id::<users::Entity>(&txn, &actor.user_id).await?;
    txn.commit().await?;

    let accept_url = format!(
        "{}{INVITATION_PATH}/{token}",
        state.config.mail.public_url.trim_end_matches('/')
    );
    let emailed = match &state.mailer {
        Some(mailer) => {
            let letter = InvitationLetter {
                organization_name: &organization.name,
                inviter_name: inviter.as_ref().map_or("An admin", |u| u.name.as_str()),
                accept_url: &accept_url,
                expires_at: invitation.expires_at,
            };
            invitation_mail::send(mailer, &invitation.email, &letter).await
        }
        None => false,
    };
    Ok(InvitationCreated {
        invitation: view(invitation, organization.name, now),
        accept_url,
        emailed,
    })
}

/// The invitations of the actor's organisation, newest first (organisation admin).
pub async fn invitations(
    db: &DatabaseConnection,
    actor: &Actor,
) -> CoreResult<Vec<InvitationView>> {
    actor.require_admin()?;
    let organization =
        find_or_404::<organizations::Entity>(db, &actor.organization_id, "organisation").await?;
    let rows = invitations::Entity::find()
        .filter(invitations::Column::OrganizationId.eq(&organization.id))
        .order_by_desc(invitations::Column::CreatedAt)
        .order_by_desc(invitations::Column::Id)
        .limit(MAX_LISTED)
        .all(db)
        .await?;
    let now = Utc::now();
    Ok(rows
        .into_iter()
        .map(|row| view(row, organization.name.clone(), now))
        .collect())
}

/// Revokes a pending invitation of the actor's organisation (organisation admin): its link
/// stops working. Revoking twice changes nothing; an accepted one cannot be revoked
/// (`INVITATION_USED`); another organisation's reads as not found.
pub async fn revoke_invitation(
    db: &DatabaseConnection,
    actor: &Actor,
    invitation_id: &str,
) -> CoreResult<InvitationView> {
    actor.require_admin()?;
    let txn = begin_write(db).await?;
    let invitation = find_by_id::<invitations::Entity>(&txn, invitation_id)
        .await?
        .filter(|row| row.organization_id == actor.organization_id)
        .ok_or(CoreError::NotFound {
            entity: "invitation",
        })?;
    if invitation.accepted_at.is_some() {
        return Err(CoreError::Code(ErrorCode::InvitationUsed));
    }
    let now = Utc::now();
    let revoked = invitations::Entity::update_many()
        .col_expr(invitations::Column::RevokedAt, Expr::value(Some(now)))
        .filter(invitations::Column::Id.eq(&invitation.id))
        .filter(invitations::Column::AcceptedAt.is_null())
        .filter(invitations::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if revoked.rows_affected == 1 {
        AuditEntry::of(
            "organization.invitation_revoke",
            "organization",
            &invitation.organization_id,
        )
        .by(actor)
        .after(json!({ "invitationId": invitation.id, "email": invitation.email }))
        .record(&txn)
        .await?;
    }
    let after = find_or_404::<invitations::Entity>(&txn, &invitation.id, "invitation").await?;
    let organization =
        find_or_404::<organizations::Entity>(&txn, &after.organization_id, "organisation").await?;
    txn.commit().await?;
    Ok(view(after, organization.name, now))
}

/// What an invitation link is for; anyone holding it may look (the token is the secret).
/// Refused like [`accept`] when it cannot be accepted: not valid or revoked, used, expired.
pub async fn preview(db: &DatabaseConnection, token: &str) -> CoreResult<InvitationView> {
    let now = Utc::now();
    let invitation = usable(find_by_token(db, token).await?, now)?;
    let organization =
        find_or_404::<organizations::Entity>(db, &invitation.organization_id, "organisation")
            .await?;
    Ok(view(invitation, organization.name, now))
}

/// The actor accepts the invitation `token` and moves into its organisation (as its role; a
/// super admin stays one); their personal organisation, now empty, is deleted. One
/// transaction; refused with `INVITATION_NOT_FOUND` (unknown or revoked), `INVITATION_USED`,
/// `INVITATION_EXPIRED`, `INVITATION_FOR_ANOTHER_EMAIL`, `INVITATION_FOR_ANOTHER_ORGANIZATION`
/// (`accept.organization_id` names another), `Conflict(AlreadyMember)`, or
/// `Conflict(LastOrganizationAdmin)` for the last admin of a team with other members.
pub async fn accept(
    db: &DatabaseConnection,
    actor: &Actor,
    token: &str,
    accept: AcceptInvitation,
) -> CoreResult<OrganizationView> {
    let now = Utc::now();
    let txn = begin_write(db).await?;
    // The user first: of two accepts racing on PostgreSQL, the second reads the invitation
    // only once the first is done, and finds it used.
    let user = membership::lock_user(&txn, &actor.user_id)
        .await?
        .ok_or(CoreError::NotFound { entity: "user" })?;
    let invitation = usable(find_by_token(&txn, token).await?, now)?;
    if normalize_email(&user.email) != invitation.email {
        return Err(CoreError::Code(ErrorCode::InvitationForAnotherEmail));
    }
    let named = accept.organization_id.as_deref().map(str::trim);
    if named.is_some_and(|id| !id.is_empty() && id != invitation.organization_id) {
        return Err(CoreError::Code(ErrorCode::InvitationForAnotherOrganization));
    }
    if user.organization_id == invitation.organization_id {
        return Err(CoreError::Conflict(ConflictReason::AlreadyMember));
    }
    // Single use whatever the concurrency: only one transaction can turn `accepted_at` from
    // null; the others match no row.
    let marked = invitations::Entity::update_many()
        .col_expr(invitations::Column::AcceptedAt, Expr::value(Some(now)))
        .col_expr(
            invitations::Column::AcceptedBy,
            Expr::value(Some(user.id.clone())),
        )
        .filter(invitations::Column::Id.eq(&invitation.id))
        .filter(pending_at(now))
        .exec(&txn)
        .await?;
    if marked.rows_affected != 1 {
        return Err(CoreError::Code(ErrorCode::InvitationUsed));
    }
    membership::lock_organizations(&txn, &[&user.organization_id, &invitation.organization_id])
        .await?;
    membership::ensure_an_admin_stays(&txn, &user, Change::Leave).await?;
    let moved =
        membership::move_user(&txn, &user, &invitation.organization_id, invitation.role).await?;
    AuditEntry::of(
        "organization.join",
        "organization",
        &invitation.organization_id,
    )
    .by(actor)
    .before(membership::placement(&user))
    .after(json!({
        "organizationId": moved.organization_id,
        "role": moved.role,
        "invitationId": invitation.id,
    }))
    .record(&txn)
    .await?;
    let organization =
        find_or_404::<organizations::Entity>(&txn, &invitation.organization_id, "organisation")
            .await?;
    let joined = view_of(&txn, organization).await?;
    txn.commit().await?;
    Ok(joined)
}

/// Invitations neither accepted, revoked nor expired at `now`.
fn pending_at(now: DateTime<Utc>) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(invitations::Column::AcceptedAt.is_null())
        .add(invitations::Column::RevokedAt.is_null())
        .add(invitations::Column::ExpiresAt.gt(now))
}

/// The invitation whose token is `token`, if any.
async fn find_by_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> CoreResult<Option<invitations::Model>> {
    let token = token.trim();
    if token.is_empty() || token.len() > MAX_TOKEN_CHARS {
        return Ok(None);
    }
    Ok(invitations::Entity::find()
        .filter(invitations::Column::TokenHash.eq(hash_key(token)))
        .one(db)
        .await?)
}

/// `invitation` if it can still be accepted at `now`, else the code that says why.
fn usable(
    invitation: Option<invitations::Model>,
    now: DateTime<Utc>,
) -> CoreResult<invitations::Model> {
    let Some(invitation) = invitation else {
        return Err(CoreError::Code(ErrorCode::InvitationNotFound));
    };
    let status = InvitationStatus::of(
        invitation.accepted_at,
        invitation.revoked_at,
        invitation.expires_at,
        now,
    );
    match status {
        InvitationStatus::Pending => Ok(invitation),
        InvitationStatus::Revoked => Err(CoreError::Code(ErrorCode::InvitationNotFound)),
        InvitationStatus::Accepted => Err(CoreError::Code(ErrorCode::InvitationUsed)),
        InvitationStatus::Expired => Err(CoreError::Code(ErrorCode::InvitationExpired)),
    }
}

fn view(
    invitation: invitations::Model,
    organization_name: String,
    now: DateTime<Utc>,
) -> InvitationView {
    InvitationView {
        status: InvitationStatus::of(
            invitation.accepted_at,
            invitation.revoked_at,
            invitation.expires_at,
            now,
        ),
        id: invitation.id,
        organization_id: invitation.organization_id,
        organization_name,
        email: invitation.email,
        role: invitation.role,
        expires_at: invitation.expires_at,
        created_at: invitation.created_at,
        accepted_at: invitation.accepted_at,
    }
}
