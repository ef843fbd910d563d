//! Accounts: registration rules, login with throttling held in the database, and lookups.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use crate::audit::{self, AuditEntry};
use crate::entities::enums::Role;
use crate::entities::{login_attempts, users};
use crate::error::{CoreError, CoreResult};
use crate::ids::new_id;
use crate::users::{create_user, normalize_email, NewUser};
pub use crate::users::{
    registration_issues, MAX_EMAIL_CHARS, MAX_NAME_CHARS, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS,
};

/// The session key holding the signed-in user's id (REST and server functions share it).
pub const SESSION_USER_ID: &str = "user_id";
/// Failed logins for one email within the window before it is throttled.
pub const MAX_FAILURES_PER_EMAIL: u64 = 5;
/// Failed logins from one address within the window before it is throttled.
pub const MAX_FAILURES_PER_IP: u64 = 50;
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;

/// A PHC hash of a random password: unknown emails are verified against it, so they cost
/// the same as a wrong password.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Yb0S2JXkRmYS9vZ9Bzrj9dCx4c2l3oKVzN0hjb6rXsw";

/// Registers a member in a personal organisation. 422 per field, 409 for a taken email.
pub async fn register(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    name: &str,
    ip: Option<&str>,
) -> CoreResult<users::Model> {
    let issues = registration_issues(email, password, name);
    if !issues.is_empty() {
        return Err(CoreError::Validation(issues));
    }
    let user = create_user(
        db,
        NewUser {
            email,
            name,
            password,
            role: Role::Member,
        },
    )
    .await?;
    audit::record(
        db,
        AuditEntry {
            actor_id: Some(&user.id),
            action: "user.register",
            target_type: "user",
            target_id: Some(&user.id),
            after: Some(json!({ "email": user.email, "role": user.role })),
            ip,
            ..Default::default()
        },
    )
    .await?;
    Ok(user)
}

#[derive(Debug)]
pub enum LoginOutcome {
    Success(users::Model),
    /// Unknown email or wrong password: the same answer for both.
    InvalidCredentials,
    Disabled,
    Throttled {
        retry_after_secs: u64,
    },
}

async fn throttle(db: &DatabaseConnection, email: &str, ip: &str) -> CoreResult<Option<u64>> {
    let now = Utc::now();
    let since = now - Duration::minutes(THROTTLE_WINDOW_MINUTES);
    let failures = |column: login_attempts::Column, value: &str| {
        login_attempts::Entity::find()
            .filter(column.eq(value.to_owned()))
            .filter(login_attempts::Column::Succeeded.eq(false))
            .filter(login_attempts::Column::CreatedAt.gt(since))
    };
    let retry_after = |oldest: Option<login_attempts::Model>| -> u64 {
        let until = oldest.map(|a| a.created_at).unwrap_or(now)
            + Duration::minutes(THROTTLE_WINDOW_MINUTES);
        (until - now).num_seconds().max(1) as u64
    };
    // The window slides: the attempt that unlocks is the oldest of the last N failures.
    let by_email = failures(login_attempts::Column::Email, email)
        .count(db)
        .await?;
    if by_email >= MAX_FAILURES_PER_EMAIL {
        let oldest_counted = failures(login_attempts::Column::Email, email)
            .order_by_desc(login_attempts::Column::CreatedAt)
            .offset(MAX_FAILURES_PER_EMAIL - 1)
            .one(db)
            .await?;
        return Ok(Some(retry_after(oldest_counted)));
    }
    let by_ip = failures(login_attempts::Column::Ip, ip).count(db).await?;
    if by_ip > MAX_FAILURES_PER_IP {
        let oldest_counted = failures(login_attempts::Column::Ip, ip)
            .order_by_desc(login_attempts::Column::CreatedAt)
            .offset(MAX_FAILURES_PER_IP)
            .one(db)
            .await?;
        return Ok(Some(retry_after(oldest_counted)));
    }
    Ok(None)
}

async fn record_attempt(
    db: &DatabaseConnection,
    email: &str,
    ip: &str,
    succeeded: bool,
) -> CoreResult<()> {
    login_attempts::ActiveModel {
        id: Set(new_id()),
        email: Set(email.to_owned()),
        ip: Set(ip.to_owned()),
        succeeded: Set(succeeded),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Checks a login. Throttling applies before the password is looked at, so a correct
/// password is refused too while an email or address is throttled.
pub async fn login(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    ip: &str,
) -> CoreResult<LoginOutcome> {
    let email = normalize_email(email);
    if let Some(retry_after_secs) = throttle(db, &email, ip).await? {
        return Ok(LoginOutcome::Throttled { retry_after_secs });
    }
    let user = users::Entity::find()
        .filter(users::Column::Email.eq(email.clone()))
        .one(db)
        .await?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.to_owned());
    let candidate = password.to_owned();
    let matches = crate::password::verify_password_off_thread(candidate, hash).await?;
    let user = match user {
        Some(user) if matches => user,
        _ => {
            record_attempt(db, &email, ip, false).await?;
            audit::record(
                db,
                AuditEntry {
                    actor_id: None,
                    action: "auth.login_failed",
                    target_type: "user",
                    after: Some(json!({ "email": email })),
                    ip: Some(ip),
                    ..Default::default()
                },
            )
            .await?;
            return Ok(LoginOutcome::InvalidCredentials);
        }
    };
    if user.disabled {
        return Ok(LoginOutcome::Disabled);
    }
    record_attempt(db, &email, ip, true).await?;
    let mut active = user.clone().into_active_model();
    let now = Utc::now();
    active.last_login_at = Set(Some(now));
    let user = active.update(db).await?;
    audit::record(
        db,
        AuditEntry {
            actor_id: Some(&user.id),
            action: "auth.login",
            target_type: "user",
            target_id: Some(&user.id),
            ip: Some(ip),
            ..Default::default()
        },
    )
    .await?;
    Ok(LoginOutcome::Success(user))
}

/// The user behind a session or key, if they still exist and are not disabled.
pub async fn active_user(
    db: &DatabaseConnection,
    user_id: &str,
) -> CoreResult<Option<users::Model>> {
    Ok(users::Entity::find_by_id(user_id.to_owned())
        .one(db)
        .await?
        .filter(|u| !u.disabled))
}

/// Drops attempts older than the window; called now and then so the table stays small.
pub async fn prune_login_attempts(db: &DatabaseConnection, now: DateTime<Utc>) -> CoreResult<u64> {
    let cutoff = now - Duration::minutes(THROTTLE_WINDOW_MINUTES * 2);
    Ok(login_attempts::Entity::delete_many()
        .filter(login_attempts::Column::CreatedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldIssue;

    #[test]
    fn the_dummy_hash_is_a_valid_argon2id_hash() {
        assert!(argon2::PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn a_short_password_is_rejected_with_a_field_message() {
        let issues = registration_issues("a@b.co", "short", "Ann");
        assert_eq!(
            issues,
            vec![FieldIssue::new("password", "Use at least 10 characters.")]
        );
    }

    #[test]
    fn a_password_over_128_bytes_is_rejected() {
        let issues = registration_issues("a@b.co", &"é".repeat(65), "Ann");
        assert_eq!(issues[0].field, "password");
    }

    #[test]
    fn the_email_as_password_is_rejected() {
        let issues = registration_issues(" Ann@Example.com", "ann@example.com", "Ann");
        assert_eq!(issues[0].message, "The password must not be your email.");
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let fields: Vec<_> = registration_issues("nope", "x", " ")
            .into_iter()
            .map(|i| i.field)
            .collect();
        assert_eq!(fields, ["email", "password", "name"]);
    }
}
