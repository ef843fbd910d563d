//! Who is calling: a session cookie or an API key, resolved on every request so a disabled
//! user or a revoked key stops working at once. Each route states its role with one of the
//! extractors below; handlers never check roles by hand.

use abetworks::api_keys::{authenticate_key, KeyRejection};
use abetworks::entities::users;
use abetworks::error::ErrorCode;
use abetworks::request::RequestContext;
use abetworks::Actor;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use tower_sessions::Session;

use crate::error::ApiError;
use crate::state::AppState;

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

    /// The caller as the core's [`Actor`]: every handler builds it here, with the client's
    /// address ([`ClientIp`]) and the request's id ([`RequestId`]).
    pub fn actor(&self, client_ip: String, request_id: Option<String>) -> Actor {
        Actor::new(&self.user, Some(client_ip), request_id)
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
    Some(text.filter(|t| !t.is_empty()).ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidApiKey,
            "The Authorization header must be `Bearer <API key>`.",
        )
    }))
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
                    return Err(ApiError::of(match rejection {
                        KeyRejection::Unknown => ErrorCode::InvalidApiKey,
                        KeyRejection::Revoked => ErrorCode::ApiKeyRevoked,
                        KeyRejection::Expired => ErrorCode::ApiKeyExpired,
                        KeyRejection::UserDisabled => ErrorCode::AccountDisabled,
                    }));
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
                return Err(ApiError::of(ErrorCode::Unauthenticated));
            };
            match abetworks::auth::active_user(&app.db, &user_id).await? {
                Some(user) => CurrentUser {
                    user,
                    credential: Credential::Session,
                },
                None => {
                    // Disabled or deleted: the session ends here.
                    let _ = session.flush().await;
                    return Err(ApiError::of(ErrorCode::Unauthenticated));
                }
            }
        };
        parts.extensions.insert(current.clone());
        Ok(current)
    }
}

fn role_forbidden() -> ApiError {
    ApiError::new(ErrorCode::Forbidden, "Your role does not allow this.")
}

/// What the request-context middleware worked out for this request.
fn context_of(parts: &Parts) -> RequestContext {
    parts
        .extensions
        .get::<RequestContext>()
        .cloned()
        .unwrap_or_else(|| RequestContext::new(None, None))
}

/// The client's address, for throttling and the audit trail.
#[derive(Clone, Debug)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(context_of(parts).client_ip))
    }
}

/// The request's id, set by the request-id layer: ties logs, audit rows and error reports.
#[derive(Clone, Debug)]
pub struct RequestId(pub Option<String>);

pub const REQUEST_ID_HEADER: &str = "x-request-id";

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(context_of(parts).request_id))
    }
}

/// A signed-in caller's request: the application state and the caller as the core's
/// [`Actor`] (with the request's address and id), what a handler hands to every core function
/// that authorises, scopes or audits. The core checks the role; [`SuperAdmin`] and
/// [`AdminUser`] are the same with a role check, so the wrong role is refused before the body
/// is read.
#[derive(Clone, Debug)]
pub struct Caller {
    pub state: AppState,
    pub actor: Actor,
}

impl<S> FromRequestParts<S> for Caller
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let current = CurrentUser::from_request_parts(parts, state).await?;
        let context = context_of(parts);
        Ok(Self {
            state: AppState::from_ref(state),
            actor: current.actor(context.client_ip, context.request_id),
        })
    }
}

/// A [`Caller`] whose role passes `Role::$allowed`, refusing others (403).
macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $allowed:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name {
            pub state: AppState,
            pub actor: Actor,
        }

        impl<S> FromRequestParts<S> for $name
        where
            AppState: FromRef<S>,
            S: Send + Sync,
        {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
                let caller = Caller::from_request_parts(parts, state).await?;
                if caller.actor.role.$allowed() {
                    Ok(Self {
                        state: caller.state,
                        actor: caller.actor,
                    })
                } else {
                    Err(role_forbidden())
                }
            }
        }
    };
}

role_extractor!(
    /// An organisation admin or a super admin (read-only views of their organisation).
    AdminUser,
    is_admin
);
role_extractor!(
    /// A super admin: everything.
    SuperAdmin,
    is_super_admin
);
