//! Server-only helpers shared by every server function: who is calling, and how core errors
//! become messages fit for the user. Thin: the rules live in the `abetworks` core.

use abetworks::entities::users;
use abetworks::request::RequestContext;
use abetworks::{Actor, CoreError};
use leptos::prelude::ServerFnError;
use tower_sessions::Session;

use crate::error::{AppError, ErrorCode};
pub use crate::state::{app_state, AppState};

/// The request's session (put there by the server's session layer).
pub async fn session() -> Result<Session, ServerFnError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|e| ServerFnError::new(format!("session unavailable: {e}")))
}

/// The signed-in user, if any. A session whose user is gone or disabled ends here, as in the
/// REST extractor.
pub async fn current_user() -> Result<Option<users::Model>, ServerFnError> {
    let state = app_state()?;
    let session = session().await?;
    let user_id: Option<String> = session
        .get(abetworks::auth::SESSION_USER_ID)
        .await
        .map_err(|e| ServerFnError::new(format!("session read: {e}")))?;
    let Some(user_id) = user_id else {
        return Ok(None);
    };
    let user = abetworks::auth::active_user(&state.db, &user_id)
        .await
        .map_err(|e| ServerFnError::new(format!("user lookup: {e}")))?;
    if user.is_none() {
        let _ = session.flush().await;
    }
    Ok(user)
}

/// The signed-in user, or `UNAUTHENTICATED`.
pub async fn require_user() -> Result<users::Model, AppError> {
    match current_user().await {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(AppError::of(ErrorCode::Unauthenticated)),
        Err(e) => Err(internal_failure(format!(
            "resolving the current user failed: {e}"
        ))),
    }
}

/// The signed-in caller as the core's [`Actor`], with the request's address and id.
pub async fn actor() -> Result<(users::Model, Actor), AppError> {
    let user = require_user().await?;
    let (request_id, _) = request_meta();
    let actor = Actor::new(&user, Some(client_ip().await), request_id);
    Ok((user, actor))
}

/// The signed-in super admin; anyone else is refused (`FORBIDDEN`, or `UNAUTHENTICATED`).
pub async fn require_super_admin() -> Result<Actor, AppError> {
    let (_, actor) = actor().await?;
    actor.require_super_admin().map_err(core_error)?;
    Ok(actor)
}

/// The signed-in super admin or organisation admin (read-only views); members are refused.
pub async fn require_admin() -> Result<Actor, AppError> {
    let (_, actor) = actor().await?;
    actor.require_admin().map_err(core_error)?;
    Ok(actor)
}

/// The state, or an internal error (logged).
pub fn state() -> Result<AppState, AppError> {
    app_state().map_err(|e| internal_failure(format!("{e}")))
}

/// How a server function that acts for its caller starts: the signed-in caller (else
/// `UNAUTHENTICATED`), then the state.
pub async fn as_caller() -> Result<(AppState, Actor), AppError> {
    let (_, actor) = actor().await?;
    Ok((state()?, actor))
}

/// [`as_caller`] for the super admin only ([`require_super_admin`]).
pub async fn as_super_admin() -> Result<(AppState, Actor), AppError> {
    let actor = require_super_admin().await?;
    Ok((state()?, actor))
}

/// [`as_caller`] for an admin of either kind ([`require_admin`]).
pub async fn as_admin() -> Result<(AppState, Actor), AppError> {
    let actor = require_admin().await?;
    Ok((state()?, actor))
}

/// What the server's middleware worked out about this request: the client's address and the
/// request id ([`RequestContext`]); the REST extractors read the same value.
fn request_context() -> RequestContext {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<RequestContext>().cloned())
        .unwrap_or_else(|| RequestContext::new(None, None))
}

/// The client's address, for login throttling and the audit trail.
pub async fn client_ip() -> String {
    request_context().client_ip
}

/// Starts a signed-in session: a fresh id first (against fixation), then the user id.
pub async fn start_session(user_id: &str) -> Result<(), AppError> {
    let session = session()
        .await
        .map_err(|e| internal_failure(format!("{e}")))?;
    session
        .cycle_id()
        .await
        .map_err(|e| internal_failure(format!("session cycle: {e}")))?;
    session
        .insert(abetworks::auth::SESSION_USER_ID, user_id)
        .await
        .map_err(|e| internal_failure(format!("session write: {e}")))
}

/// `true` when the call is a plain HTML form post (no WASM yet): such calls get a redirect.
pub fn is_plain_form_post() -> bool {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false)
}

/// The request's id and path.
pub fn request_meta() -> (Option<String>, String) {
    let path = leptos::prelude::use_context::<http::request::Parts>()
        .map(|parts| parts.uri.path().to_owned())
        .unwrap_or_default();
    (request_context().request_id, path)
}

/// A fault of ours: written to `error_logs` (with a backtrace and the request id) in the
/// background, and shown to the user with the request id as the reference to quote. (A server
/// function's error never reaches the server's error-log layer, which sees only REST failures.)
pub fn internal_failure(detail: String) -> AppError {
    use abetworks::error_logs::{log_error, ErrorKind, NewErrorLog};
    let (request_id, path) = request_meta();
    tracing::error!(request_id = ?request_id, %path, "server function failed: {detail}");
    if let Ok(state) = app_state() {
        let entry = NewErrorLog {
            kind: ErrorKind::Internal,
            code: ErrorCode::InternalError.as_str().into(),
            message: detail,
            stack_trace: Some(std::backtrace::Backtrace::force_capture().to_string()),
            user_id: None,
            agent_id: None,
            request_id: request_id.clone(),
            context: Some(serde_json::json!({ "path": path, "via": "server function" })),
        };
        tokio::spawn(async move {
            if let Err(e) = log_error(&state.db, entry).await {
                tracing::error!("could not write an error log: {e}");
            }
        });
    }
    AppError::of(ErrorCode::InternalError).with_reference(request_id)
}

/// A core error as the user sees it ([`CoreError::public`]); internal faults are logged and
/// answered with a reference instead.
pub fn core_error(e: CoreError) -> AppError {
    if e.is_internal() {
        internal_failure(e.to_string())
    } else {
        e.public()
    }
}
