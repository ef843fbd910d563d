//! Who is calling: a session cookie or an API key, resolved on every request so a disabled
//! user or a revoked key stops working at once. Each route states its role with one of the
//! extractors below; handlers never check roles by hand.

use abetworks::api_keys::{authenticate_key, KeyRejection};
use abetworks::entities::enums::Role;
use abetworks::entities::users;
use app::state::AppState;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use tower_sessions::Session;

use crate::error::ApiError;

pub use abetworks::auth::SESSION_USER_ID;

#[derive(Clone, Debug)]
pub enum Credential {
    Session,
    ApiKey {
        key_id: String,
        agent_scope: Option<String>,
    },
}

/// A signed-in caller of any role.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: users::Model,
    pub credential: Credential,
}

impl CurrentUser {
    pub fn id(&self) -> &str {
        &self.user.id
    }

    pub fn api_key_id(&self) -> Option<&str> {
        match &self.credential {
            Credential::ApiKey { key_id, .. } => Some(key_id),
            Credential::Session => None,
        }
    }

    /// The one agent a scoped key may use.
    pub fn agent_scope(&self) -> Option<&str> {
        match &self.credential {
            Credential::ApiKey { agent_scope, .. } => agent_scope.as_deref(),
            Credential::Session => None,
        }
    }
}

/// The bearer text of an `Authorization` header, if the request carries one.
pub fn bearer_token(parts: &Parts) -> Option<Result<&str, ApiError>> {
    let value = parts.headers.get(AUTHORIZATION)?;
    let text = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    Some(
        text.filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthorized {
                code: "INVALID_API_KEY",
                message: "The Authorization header must be `Bearer <API key>`.".into(),
            }),
    )
}

impl<S> FromRequestParts<S> for CurrentUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(cached) = parts.extensions.get::<CurrentUser>() {
            return Ok(cached.clone());
        }
        let app = AppState::from_ref(state);
        let current = if let Some(token) = bearer_token(parts) {
            let token = token?;
            match authenticate_key(&app.db, token).await? {
                Ok((key, user)) => CurrentUser {
                    user,
                    credential: Credential::ApiKey {
                        key_id: key.id,
                        agent_scope: key.agent_id,
                    },
                },
                Err(rejection) => {
                    let (code, message) = match rejection {
                        KeyRejection::Unknown => ("INVALID_API_KEY", "This API key is not valid."),
                        KeyRejection::Revoked => {
                            ("API_KEY_REVOKED", "This API key has been revoked.")
                        }
                        KeyRejection::Expired => ("API_KEY_EXPIRED", "This API key has expired."),
                        KeyRejection::UserDisabled => {
                            ("ACCOUNT_DISABLED", "This account is disabled.")
                        }
                    };
                    return Err(ApiError::Unauthorized {
                        code,
                        message: message.into(),
                    });
                }
            }
        } else {
            let session = Session::from_request_parts(parts, state)
                .await
                .map_err(|(_, message)| ApiError::internal(format!("session layer: {message}")))?;
            let user_id: Option<String> = session
                .get(SESSION_USER_ID)
                .await
                .map_err(|e| ApiError::internal(format!("session read: {e}")))?;
            let Some(user_id) = user_id else {
                return Err(ApiError::Unauthenticated);
            };
            match abetworks::auth::active_user(&app.db, &user_id).await? {
                Some(user) => CurrentUser {
                    user,
                    credential: Credential::Session,
                },
                None => {
                    // Disabled or deleted: the session ends here.
                    let _ = session.flush().await;
                    return Err(ApiError::Unauthenticated);
                }
            }
        };
        parts.extensions.insert(current.clone());
        Ok(current)
    }
}

/// An organisation admin or a super admin (read-only views of their organisation).
#[derive(Clone, Debug)]
pub struct AdminUser(pub CurrentUser);

/// A super admin: everything.
#[derive(Clone, Debug)]
pub struct SuperAdmin(pub CurrentUser);

fn role_forbidden() -> ApiError {
    ApiError::forbidden("FORBIDDEN", "Your role does not allow this.")
}

impl<S> FromRequestParts<S> for AdminUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let current = CurrentUser::from_request_parts(parts, state).await?;
        match current.user.role {
            Role::Admin | Role::SuperAdmin => Ok(Self(current)),
            Role::Member => Err(role_forbidden()),
        }
    }
}

impl<S> FromRequestParts<S> for SuperAdmin
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let current = CurrentUser::from_request_parts(parts, state).await?;
        match current.user.role {
            Role::SuperAdmin => Ok(Self(current)),
            _ => Err(role_forbidden()),
        }
    }
}

/// The client's address, for throttling and the audit trail.
#[derive(Clone, Debug)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(app::server::client_ip_of(&parts.extensions)))
    }
}
