//! Users and their organisations: creation and the first super admin.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Set,
};

use crate::entities::enums::Role;
use crate::entities::{organizations, users};
use crate::error::{ConflictReason, CoreError, CoreResult, FieldIssue};
use crate::ids::new_id;
use crate::password;

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_BYTES: usize = 128;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_EMAIL_CHARS: usize = 254;

pub(crate) fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Every problem with a registration, one per field.
pub fn registration_issues(email: &str, password: &str, name: &str) -> Vec<FieldIssue> {
    let email = normalize_email(email);
    let mut issues = Vec::new();
    if email.chars().count() > MAX_EMAIL_CHARS || !plausible_email(&email) {
        issues.push(FieldIssue::new("email", "Enter a valid email address."));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        issues.push(FieldIssue::new(
            "password",
            format!("Use at least {MIN_PASSWORD_CHARS} characters."),
        ));
    } else if password.len() > MAX_PASSWORD_BYTES {
        issues.push(FieldIssue::new(
            "password",
            format!("Use at most {MAX_PASSWORD_BYTES} bytes."),
        ));
    } else if password.trim().to_lowercase() == email {
        issues.push(FieldIssue::new(
            "password",
            "The password must not be your email.",
        ));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.contains('\0') {
        issues.push(FieldIssue::new(
            "name",
            format!("Enter a name of 1 to {MAX_NAME_CHARS} characters."),
        ));
    }
    issues
}

/// Emails are compared trimmed and lower-cased everywhere.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password: &'a str,
    pub role: Role,
}

/// Creates a user in a personal organisation of their own. 409 when the email is taken.
pub async fn create_user(db: &DatabaseConnection, new: NewUser<'_>) -> CoreResult<users::Model> {
    let email = normalize_email(new.email);
    if find_by_email(db, &email).await?.is_some() {
        return Err(CoreError::Conflict(ConflictReason::EmailTaken));
    }
    let password_hash = password::hash_password_off_thread(new.password.to_owned()).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let org_id = new_id();
    organizations::ActiveModel {
        id: Set(org_id.clone()),
        name: Set(format!("{}'s organisation", new.name.trim())),
        slug: Set(format!("personal-{org_id}")),
        created_at: Set(now),
        personal: Set(true),
    }
    .insert(&txn)
    .await?;
    let user = users::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org_id),
        email: Set(email),
        name: Set(new.name.trim().to_owned()),
        password_hash: Set(password_hash),
        role: Set(new.role),
        disabled: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            CoreError::Conflict(ConflictReason::EmailTaken)
        }
        _ => CoreError::Database(e),
    })?;
    txn.commit().await?;
    Ok(user)
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> CoreResult<Option<users::Model>> {
    Ok(users::Entity::find()
        .filter(users::Column::Email.eq(normalize_email(email)))
        .one(db)
        .await?)
}

/// Creates a super admin from the command line. The password follows the registration
/// policy; an existing account is never overwritten (409).
pub async fn create_super_admin(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
) -> CoreResult<users::Model> {
    let issues = registration_issues(email, password, "Super Admin");
    if !issues.is_empty() {
        return Err(CoreError::Validation(issues));
    }
    create_user(
        db,
        NewUser {
            email,
            name: "Super Admin",
            password,
            role: Role::SuperAdmin,
        },
    )
    .await
}

/// What `ensure_first_super_admin` did, for the start-up log.
#[derive(Debug, PartialEq, Eq)]
pub enum AdminBootstrap {
    Created,
    AlreadyPresent,
    /// The email belongs to an existing account that is not a super admin: left untouched.
    EmailTakenByNonAdmin,
    /// Another super admin exists already: the database is not fresh.
    SkippedNotFresh,
}

/// Creates the first super admin on a fresh database; never overwrites an existing account.
pub async fn ensure_first_super_admin(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
) -> CoreResult<AdminBootstrap> {
    if let Some(existing) = find_by_email(db, email).await? {
        return Ok(if existing.role == Role::SuperAdmin {
            AdminBootstrap::AlreadyPresent
        } else {
            AdminBootstrap::EmailTakenByNonAdmin
        });
    }
    let super_admins = users::Entity::find()
        .filter(users::Column::Role.eq(Role::SuperAdmin))
        .count(db)
        .await?;
    if super_admins > 0 {
        return Ok(AdminBootstrap::SkippedNotFresh);
    }
    let created = create_user(
        db,
        NewUser {
            email,
            name: "Super Admin",
            password,
            role: Role::SuperAdmin,
        },
    )
    .await;
    match created {
        Ok(_) => Ok(AdminBootstrap::Created),
        // Instances started together on a fresh database race to here; the loser finds the
        // winner's account instead of failing its start-up.
        Err(CoreError::Conflict(ConflictReason::EmailTaken)) => {
            let existing = find_by_email(db, email).await?;
            Ok(
                if existing.is_some_and(|user| user.role == Role::SuperAdmin) {
                    AdminBootstrap::AlreadyPresent
                } else {
                    AdminBootstrap::EmailTakenByNonAdmin
                },
            )
        }
        Err(e) => Err(e),
    }
}

/// Filters for the admin's user list.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    pub query: Option<String>,
    pub role: Option<Role>,
}

/// Users matching `filter`, newest first, one page at a time: every user for the super admin,
/// the own organisation's for an organisation admin; members are refused.
pub async fn list_users(
    db: &DatabaseConnection,
    actor: &crate::Actor,
    filter: &UserFilter,
    page: crate::pagination::PageRequest,
) -> CoreResult<crate::pagination::Page<crate::views::UserView>> {
    actor.require_admin()?;
    use crate::search::{in_any, lower};
    use sea_orm::{Condition, QueryOrder};
    let searched = crate::input::search_text("q", filter.query.as_deref())?;
    let email_or_name = [lower(users::Column::Email), lower(users::Column::Name)];
    let condition = Condition::all()
        .add_option(searched.map(|q| in_any(&q, email_or_name)))
        .add_option(filter.role.map(|role| users::Column::Role.eq(role)))
        .add_option(
            actor
                .organization_scope()
                .map(|org| users::Column::OrganizationId.eq(org)),
        );
    let newest_first = users::Entity::find()
        .filter(condition)
        .order_by_desc(users::Column::CreatedAt);
    let page = crate::input::page_of(db, newest_first.into_model::<users::Model>(), page).await?;
    Ok(page.map(crate::views::UserView::from))
}

/// What a super admin may change about a user.
#[derive(Clone, Debug, Default)]
pub struct UserChange {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
}

/// Changes a user's role or disabled flag, with an audit entry (super admin). A super admin
/// cannot lock themselves out (demote or disable their own account).
pub async fn change_user(
    db: &DatabaseConnection,
    actor: &crate::Actor,
    user_id: &str,
    change: UserChange,
) -> CoreResult<users::Model> {
    use sea_orm::IntoActiveModel;
    actor.require_super_admin()?;
    let user = crate::db::find_or_404::<users::Entity>(db, user_id, "user").await?;
    if actor.user_id == user_id
        && (change.disabled == Some(true) || change.role.is_some_and(|r| r != Role::SuperAdmin))
    {
        return Err(CoreError::Conflict(ConflictReason::OwnAccount));
    }
    let before = serde_json::json!({ "role": user.role, "disabled": user.disabled });
    let mut active = user.into_active_model();
    crate::db::set_if_some(&mut active.role, change.role);
    crate::db::set_if_some(&mut active.disabled, change.disabled);
    active.updated_at = Set(Utc::now());
    let txn = crate::db::begin_write(db).await?;
    let user = active.update(&txn).await?;
    let after = serde_json::json!({ "role": user.role, "disabled": user.disabled });
    let action = match (change.role.is_some(), change.disabled) {
        (_, Some(true)) => "user.disable",
        (_, Some(false)) => "user.enable",
        _ => "user.role_change",
    };
    crate::audit::AuditEntry::of(action, "user", &user.id)
        .by(actor)
        .before(before)
        .after(after)
        .record(&txn)
        .await?;
    txn.commit().await?;
    Ok(user)
}

#[cfg(test)]
mod bootstrap_tests;
