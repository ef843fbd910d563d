//! Invitations to an organisation: its admin invites by email, lists and revokes
//! (`/api/orgs/current/invitations*`); whoever holds the link previews it and, signed in with
//! the invited address, accepts it (`/api/invitations/{token}*`).

use abetworks::error::ErrorCode;
use abetworks::organizations;
use abetworks::types::teams::{
    AcceptInvitation, InvitationCreated, InvitationView, NewInvitation, OrganizationView,
};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::error::ApiError;
use crate::extract::{AdminUser, Caller};
use crate::input::{ApiJson, ApiPath};
use crate::state::AppState;

pub async fn invite(
    AdminUser { state, actor }: AdminUser,
    ApiJson(body): ApiJson<NewInvitation>,
) -> Result<(StatusCode, Json<InvitationCreated>), ApiError> {
    let created = organizations::invite(&state, &actor, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

pub async fn list(
    AdminUser { state, actor }: AdminUser,
) -> Result<Json<Vec<InvitationView>>, ApiError> {
    Ok(Json(organizations::invitations(&state.db, &actor).await?))
}

pub async fn revoke(
    AdminUser { state, actor }: AdminUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<InvitationView>, ApiError> {
    Ok(Json(
        organizations::revoke_invitation(&state.db, &actor, &id).await?,
    ))
}

/// What the link leads to, for anyone holding it (the token is the secret).
pub async fn preview(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> Result<Json<InvitationView>, ApiError> {
    Ok(Json(organizations::preview(&state.db, &token).await?))
}

pub async fn accept(
    Caller { state, actor }: Caller,
    ApiPath(token): ApiPath<String>,
    body: Bytes,
) -> Result<Json<OrganizationView>, ApiError> {
    // The body is optional: a bare POST accepts whatever organisation the link is for.
    let input = if body.iter().all(u8::is_ascii_whitespace) {
        AcceptInvitation::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            if e.is_data() {
                ApiError::field("body", e.to_string())
            } else {
                ApiError::new(ErrorCode::BadRequest, "The body is not valid JSON.")
            }
        })?
    };
    Ok(Json(
        organizations::accept(&state.db, &actor, &token, input).await?,
    ))
}

/// The invitation routes, as served and documented.
pub fn routes(api: super::ApiRoutes) -> super::ApiRoutes {
    use super::{Access, Route};
    api.add(
        Route::post(
            "/api/orgs/current/invitations",
            Access::Admin,
            "Invite someone by email to the caller's organisation; the answer holds the accept link this once (emailed too when email is configured)",
        )
        .body::<NewInvitation>()
        .answers::<InvitationCreated>(201)
        .fails(&[409]),
        invite,
    )
    .add(
        Route::get(
            "/api/orgs/current/invitations",
            Access::Admin,
            "The caller's organisation's invitations, newest first",
        )
        .answers::<Vec<InvitationView>>(200),
        list,
    )
    .add(
        Route::delete(
            "/api/orgs/current/invitations/{id}",
            Access::Admin,
            "Revoke a pending invitation: its link stops working (410 once accepted)",
        )
        .answers::<InvitationView>(200)
        .fails(&[410]),
        revoke,
    )
    .add(
        Route::get(
            "/api/invitations/{token}",
            Access::Anyone,
            "What an invitation link leads to: the organisation, the invited email and the role (404 unknown or revoked, 410 used or expired)",
        )
        .answers::<InvitationView>(200)
        .fails(&[410]),
        preview,
    )
    .add(
        Route::post(
            "/api/invitations/{token}/accept",
            Access::SignedIn,
            "Join the invitation's organisation (single use, expiring, for the invited email); organizationId, when sent, must be the invitation's",
        )
        .body::<AcceptInvitation>()
        .answers::<OrganizationView>(200)
        .fails(&[409, 410]),
        accept,
    )
}
