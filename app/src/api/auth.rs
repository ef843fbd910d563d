//! Sign-in, registration, sign-out and "who am I", over the same core functions as the REST
//! routes in `server/src/routes/auth.rs`, so both behave alike.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The signed-in user as the UI needs them: never the password hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: String,
    pub name: String,
    pub email: String,
    /// `member`, `admin` or `super_admin`.
    pub role: String,
}

impl UserInfo {
    /// May see the admin area (admins read-only, super admins everything).
    pub fn is_admin(&self) -> bool {
        matches!(self.role.as_str(), "admin" | "super_admin")
    }

    pub fn role_label(&self) -> &'static str {
        match self.role.as_str() {
            "super_admin" => "Super admin",
            "admin" => "Admin",
            _ => "Member",
        }
    }

    /// Up to two initials for the account button.
    pub fn initials(&self) -> String {
        let initials: String = self
            .name
            .split_whitespace()
            .filter_map(|w| w.chars().next())
            .take(2)
            .flat_map(char::to_uppercase)
            .collect();
        if initials.is_empty() {
            "?".to_owned()
        } else {
            initials
        }
    }
}

#[cfg(feature = "ssr")]
impl From<abetworks::entities::users::Model> for UserInfo {
    fn from(u: abetworks::entities::users::Model) -> Self {
        Self {
            id: u.id,
            name: u.name,
            email: u.email,
            role: u.role.as_str().to_owned(),
        }
    }
}

/// The signed-in user, or `None`.
#[server(endpoint = "ui/auth/me")]
pub async fn me() -> Result<Option<UserInfo>, AppError> {
    match crate::server::current_user().await {
        Ok(user) => Ok(user.map(UserInfo::from)),
        Err(e) => Err(crate::server::internal_failure(format!(
            "reading the session failed: {e}"
        ))),
    }
}

#[cfg(feature = "ssr")]
fn after_sign_in(next: Option<&str>) {
    // A plain form post (no WASM yet) is sent on; the WASM client navigates by itself.
    if crate::server::is_plain_form_post() {
        leptos_axum::redirect(&super::safe_next(next));
    }
}

/// Signs in. Unknown email and wrong password read the same.
#[server(endpoint = "ui/auth/login")]
pub async fn login(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<UserInfo, AppError> {
    use crate::error::FieldMessage;
    use crate::server::{client_ip, core_error, start_session, state};
    use abetworks::auth::LoginOutcome;

    let mut missing = Vec::new();
    if email.trim().is_empty() {
        missing.push(FieldMessage {
            field: "email".into(),
            message: "Enter your email address.".into(),
        });
    }
    if password.is_empty() {
        missing.push(FieldMessage {
            field: "password".into(),
            message: "Enter your password.".into(),
        });
    }
    if !missing.is_empty() {
        return Err(AppError::validation(missing));
    }
    let state = state()?;
    let ip = client_ip().await;
    match abetworks::auth::login(&state.db, &email, &password, &ip)
        .await
        .map_err(core_error)?
    {
        LoginOutcome::Success(user) => {
            start_session(&user.id).await?;
            after_sign_in(next.as_deref());
            Ok(user.into())
        }
        LoginOutcome::InvalidCredentials => Err(AppError::new(
            "INVALID_CREDENTIALS",
            "The email or password is incorrect.",
        )),
        LoginOutcome::Disabled => Err(AppError::new(
            "ACCOUNT_DISABLED",
            "This account is disabled. Contact your administrator.",
        )),
        LoginOutcome::Throttled { retry_after_secs } => Err(AppError::new(
            "LOGIN_THROTTLED",
            format!(
                "Too many failed sign-ins. Try again in {} minute(s).",
                retry_after_secs.div_ceil(60)
            ),
        )),
    }
}

/// Creates a member account in a personal organisation and signs it in.
#[server(endpoint = "ui/auth/register")]
pub async fn register(
    name: String,
    email: String,
    password: String,
    next: Option<String>,
) -> Result<UserInfo, AppError> {
    use crate::server::{client_ip, core_error, start_session, state};

    let state = state()?;
    let ip = client_ip().await;
    let user = abetworks::auth::register(&state.db, &email, &password, &name, Some(&ip))
        .await
        .map_err(|e| match e {
            // A taken email belongs next to the email field.
            abetworks::CoreError::Conflict(_) => AppError::field(
                "email",
                "An account with this email already exists. Sign in instead?",
            ),
            other => core_error(other),
        })?;
    start_session(&user.id).await?;
    after_sign_in(next.as_deref());
    Ok(user.into())
}

/// Ends the session (its row is deleted).
#[server(endpoint = "ui/auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    let session = crate::server::session()
        .await
        .map_err(|e| crate::server::internal_failure(format!("{e}")))?;
    session
        .flush()
        .await
        .map_err(|e| crate::server::internal_failure(format!("session flush: {e}")))?;
    if crate::server::is_plain_form_post() {
        leptos_axum::redirect("/login");
    }
    Ok(())
}
