//! Accounts: registration rules, login with throttling held in the database, and lookups.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use crate::audit::{self, AuditEntry};
use crate::entities::enums::Role;
use crate::entities::{login_attempts, registration_attempts, users};
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
/// Registrations from one client address within the window before it is throttled. Each one
/// costs a 19 MiB argon2 hash and a new organisation; people sharing an address (an office, a
/// school) rarely need more in an hour.
pub const MAX_REGISTRATIONS_PER_IP: u64 = crate::config::DEFAULT_REGISTRATIONS_PER_HOUR;
pub const REGISTRATION_WINDOW_MINUTES: i64 = 60;

/// A PHC hash of a random password: unknown emails are verified against it, so they cost
/// the same as a wrong password.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Yb0S2JXkRmYS9vZ9Bzrj9dCx4c2l3oKVzN0hjb6rXsw";

/// Registers a member in a personal organisation. 422 per field, 409 for a taken email,
/// [`CoreError::Throttled`] (before any hashing) when `ip` has registered too often. Both
/// surfaces pass the client's address; `None` (no client, e.g. a command) is not throttled.
/// `max_per_address` is the configured limit per window (`ABETWORKS_REGISTRATIONS_PER_HOUR`,
/// default [`MAX_REGISTRATIONS_PER_IP`]).
pub async fn register(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    name: &str,
    ip: Option<&str>,
    max_per_address: u64,
) -> CoreResult<users::Model> {
    let issues = registration_issues(email, password, name);
    if !issues.is_empty() {
        return Err(CoreError::Validation(issues));
    }
    if let Some(ip) = ip {
        admit_registration(db, ip, max_per_address.max(1)).await?;
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
    AuditEntry::of("user.register", "user", &user.id)
        .by_user(&user.id, ip)
        .after(json!({ "email": user.email, "role": user.role }))
        .record(db)
        .await?;
    Ok(user)
}

/// Counts a registration against `ip`, or refuses it with [`CoreError::Throttled`] when the
/// address made [`MAX_REGISTRATIONS_PER_IP`] within the window already. The row is written
/// before counting, so concurrent registrations from one address (on any instance) cannot all
/// slip under the limit; a refused one takes its row back, so retrying does not prolong it.
async fn admit_registration(db: &DatabaseConnection, ip: &str, limit: u64) -> CoreResult<()> {
    let now = Utc::now();
    let id = new_id();
    registration_attempts::ActiveModel {
        id: Set(id.clone()),
        ip: Set(ip.to_owned()),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    let window = Duration::minutes(REGISTRATION_WINDOW_MINUTES);
    let in_window = || {
        registration_attempts::Entity::find()
            .filter(registration_attempts::Column::Ip.eq(ip.to_owned()))
            .filter(registration_attempts::Column::CreatedAt.gt(now - window))
    };
    if in_window().count(db).await? <= limit {
        return Ok(());
    }
    registration_attempts::Entity::delete_by_id(id)
        .exec(db)
        .await?;
    // The window slides: a place frees up when the oldest of the last N leaves it.
    let oldest_counted = in_window()
        .order_by_desc(registration_attempts::Column::CreatedAt)
        .offset(limit - 1)
        .one(db)
        .await?;
    let until = oldest_counted.map_or(now, |a| a.created_at) + window;
    Err(CoreError::Throttled {
        retry_after_secs: (until - now).num_seconds().max(1) as u64,
    })
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
        metrics::counter!(crate::metric_names::LOGIN_THROTTLES).increment(1);
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
    AuditEntry::of("auth.login", "user", &user.id)
        .by_user(&user.id, Some(ip))
        .record(db)
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

/// Drops login and registration attempts well past their windows; called now and then so
/// the tables stay small. Returns how many rows went.
pub async fn prune_attempts(db: &DatabaseConnection, now: DateTime<Utc>) -> CoreResult<u64> {
    let logins = login_attempts::Column::CreatedAt;
    let registrations = registration_attempts::Column::CreatedAt;
    Ok(
        delete_older(db, logins, now, THROTTLE_WINDOW_MINUTES * 2).await?
            + delete_older(db, registrations, now, REGISTRATION_WINDOW_MINUTES * 2).await?,
    )
}

/// Deletes the rows whose `created_at` is more than `minutes` before `now`; how many went.
async fn delete_older<C>(
    db: &DatabaseConnection,
    created_at: C,
    now: DateTime<Utc>,
    minutes: i64,
) -> CoreResult<u64>
where
    C: ColumnTrait,
    C::EntityName: EntityTrait,
{
    let cutoff = now - Duration::minutes(minutes);
    Ok(<C::EntityName as EntityTrait>::delete_many()
        .filter(created_at.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod registration_tests;

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
