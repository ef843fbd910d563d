//! `/api/auth/*`: register, login, logout, me.

use abetworks::auth::{self, LoginOutcome};
use abetworks::error::ErrorCode;
use abetworks::views::UserView;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use tower_sessions::Session;

use crate::error::ApiError;
use crate::extract::{ClientIp, CurrentUser, SESSION_USER_ID};
use crate::input::ApiJson;
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    email: String,
    password: String,
    name: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    email: String,
    password: String,
}

async fn start_session(session: &Session, user_id: &str) -> Result<(), ApiError> {
    // A new id at every sign-in defeats session fixation.
    session
        .cycle_id()
        .await
        .map_err(|e| ApiError::internal(format!("session cycle: {e}")))?;
    session
        .insert(SESSION_USER_ID, user_id)
        .await
        .map_err(|e| ApiError::internal(format!("session write: {e}")))
}

pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: Session,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let user = auth::register(
        &state.db,
        &body.email,
        &body.password,
        &body.name,
        Some(&ip),
        state.config.registrations_per_hour,
    )
    .await?;
    start_session(&session, &user.id).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: Session,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Json<UserView>, ApiError> {
    match auth::login(&state.db, &body.email, &body.password, &ip).await? {
        LoginOutcome::Success(user) => {
            start_session(&session, &user.id).await?;
            Ok(Json(user.into()))
        }
        LoginOutcome::InvalidCredentials => Err(ApiError::of(ErrorCode::InvalidCredentials)),
        LoginOutcome::Disabled => Err(ApiError::of(ErrorCode::AccountDisabled)),
        LoginOutcome::Throttled { retry_after_secs } => Err(ApiError::new(
            ErrorCode::LoginThrottled,
            format!(
                "Too many failed sign-ins. Try again in {} minute(s).",
                retry_after_secs.div_ceil(60)
            ),
        )
        .with_retry_after(retry_after_secs)),
    }
}

pub async fn logout(session: Session) -> Result<StatusCode, ApiError> {
    session
        .flush()
        .await
        .map_err(|e| ApiError::internal(format!("session flush: {e}")))?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(current: CurrentUser) -> Json<UserView> {
    Json(current.user.into())
}

/// The sign-in routes, as served and documented.
pub fn routes(api: super::ApiRoutes) -> super::ApiRoutes {
    use super::{Access, Route};
    use abetworks::types::views::UserView;
    api.add(
        Route::post(
            "/api/auth/register",
            Access::Anyone,
            "Register a member account and sign in (throttled per client address)",
        )
        .body::<RegisterBody>()
        .answers::<UserView>(201)
        .fails(&[409, 429, 503]),
        register,
    )
    .add(
        Route::post(
            "/api/auth/login",
            Access::Anyone,
            "Sign in with email and password (throttled after failures)",
        )
        .body::<LoginBody>()
        .answers::<UserView>(200)
        .fails(&[401, 429, 503]),
        login,
    )
    .add(
        Route::post(
            "/api/auth/logout",
            Access::Anyone,
            "Sign out and destroy the session",
        )
        .answers_nothing(),
        logout,
    )
    .add(
        Route::get("/api/auth/me", Access::SignedIn, "The signed-in user").answers::<UserView>(200),
        me,
    )
}
