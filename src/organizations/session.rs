//! Who is signed in, with their organisation, as the UI's shell loads it once per page: the
//! header's "Team" link and the request dialog's "Ask for my organisation" come with it
//! rather than with calls of their own.

use sea_orm::ConnectionTrait;

use crate::access_requests;
use crate::actor::Actor;
use crate::db::find_or_404;
use crate::entities::{organizations, users};
use crate::error::CoreResult;
pub use abetworks_types::teams::{CurrentOrganization, SessionView};

/// `user` (signed in) with their organisation: whether it is a team, and whether they may ask
/// for a pool for it (the rule `access_requests::create` applies).
pub async fn session(db: &impl ConnectionTrait, user: users::Model) -> CoreResult<SessionView> {
    let organization =
        find_or_404::<organizations::Entity>(db, &user.organization_id, "organisation").await?;
    let may_ask = access_requests::may_ask_for(&Actor::new(&user, None, None), &organization);
    Ok(SessionView {
        organization: CurrentOrganization {
            can_request_for_organization: may_ask.is_ok(),
            team: !organization.personal,
            id: organization.id,
            name: organization.name,
        },
        user: user.into(),
    })
}
