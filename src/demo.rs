//! Demo data for `make run`: a member whose credentials the README gives.

use sea_orm::DatabaseConnection;

use crate::entities::enums::Role;
use crate::error::CoreResult;
use crate::users::{self, NewUser};

pub const DEMO_MEMBER_EMAIL: &str = "demo@abetworks.local";
pub const DEMO_MEMBER_PASSWORD: &str = "demo-password-2026";

/// Creates the demo member once; later starts leave it as it is.
pub async fn seed_demo_member(db: &DatabaseConnection) -> CoreResult<bool> {
    if users::find_by_email(db, DEMO_MEMBER_EMAIL).await?.is_some() {
        return Ok(false);
    }
    users::create_user(
        db,
        NewUser {
            email: DEMO_MEMBER_EMAIL,
            name: "Demo Member",
            password: DEMO_MEMBER_PASSWORD,
            role: Role::Member,
        },
    )
    .await?;
    Ok(true)
}
