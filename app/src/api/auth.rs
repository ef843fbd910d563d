//! Sign-in, registration, sign-out and "who am I", over the same core functions as the REST
//! routes in `server/src/routes/auth.rs`, so both behave alike.

use abetworks_types::teams::SessionView;
use abetworks_types::views::UserView;
use leptos::prelude::*;

use crate::error::AppError;

/// The signed-in user with their organisation (the header's "Team" link and the request
/// dialog's "Ask for my organisation" come with it), or `None`.
#[server(endpoint = "ui/auth/me")]
pub async fn me() -> Result<Option<SessionView>, AppError> {
    use crate::server::{core_error, current_user, internal_failure, state};
    let user = current_user()
        .await
        .map_err(|e| internal_failure(format!("reading the session failed: {e}")))?;
    let Some(user) = user else {
        return Ok(None);
    };
    abetworks::organizations::session(&state()?.db, user)
        .await
        .map(Some)
        .map_err(core_error)
}

/// Tells the client when to try again (`Retry-After`), as the REST API does for the same error.
#[cfg(feature = "ssr")]
fn retry_after(secs: u64) {
    let response = use_context::<leptos_axum::ResponseOptions>();
    if let (Some(response), Ok(value)) = (response, http::HeaderValue::try_from(secs.to_string())) {
        response.insert_header(http::header::RETRY_AFTER, value);
    }
}

/// A core error as the caller sees it, with `Retry-After` when it says when to try again.
#[cfg(feature = "ssr")]
fn refused(error: abetworks::CoreError) -> AppError {
    if let Some(secs) = error.retry_after_secs() {
        retry_after(secs);
    }
    crate::server::core_error(error)
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
) -> Result<UserView, AppError> {
    use crate::error::{ErrorCode, FieldIssue};
    use crate::server::{client_ip, start_session, state};
    use abetworks::auth::LoginOutcome;

    let mut missing = Vec::new();
    if email.trim().is_empty() {
        missing.push(FieldIssue::new("email", "Enter your email address."));
    }
    if password.is_empty() {
        missing.push(FieldIssue::new("password", "Enter your password."));
    }
    if !missing.is_empty() {
        return Err(AppError::validation(missing));
    }
    let state = state()?;
    let ip = client_ip().await;
    match abetworks::auth::login(&state.db, &email, &password, &ip)
        .await
        .map_err(refused)?
    {
        LoginOutcome::Success(user) => {
            start_session(&user.id).await?;
            after_sign_in(next.as_deref());
            Ok(user.into())
        }
        LoginOutcome::InvalidCredentials => Err(AppError::new(
            ErrorCode::InvalidCredentials,
            "The email or password is incorrect.",
        )),
        LoginOutcome::Disabled => Err(AppError::new(
            ErrorCode::AccountDisabled,
            "This account is disabled. Contact your administrator.",
        )),
        LoginOutcome::Throttled { retry_after_secs } => {
            retry_after(retry_after_secs);
            Err(AppError::new(
                ErrorCode::LoginThrottled,
                format!(
                    "Too many failed sign-ins. Try again in {} minute(s).",
                    retry_after_secs.div_ceil(60)
                ),
            ))
        }
    }
}

/// Creates a member account in a personal organisation and signs it in.
#[server(endpoint = "ui/auth/register")]
pub async fn register(
    name: String,
    email: String,
    password: String,
    next: Option<String>,
) -> Result<UserView, AppError> {
    use crate::server::{client_ip, start_session, state};

    let state = state()?;
    let ip = client_ip().await;
    let user = abetworks::auth::register(
        &state.db,
        &email,
        &password,
        &name,
        Some(&ip),
        state.config.registrations_per_hour,
    )
    .await
    .map_err(|e| match e {
        // A taken email belongs next to the email field.
        abetworks::CoreError::Conflict(crate::error::ConflictReason::EmailTaken) => {
            AppError::field(
                "email",
                "An account with this email already exists. Sign in instead?",
            )
        }
        // Throttled per address (429) or the hashing queue is full (503).
        other => refused(other),
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
