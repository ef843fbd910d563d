//! Who is acting: passed first to every core function that authorises, scopes or audits, so
//! the rules about roles and organisations are written once, here, for both surfaces.

use abetworks_types::enums::Role;

use crate::entities::users;
use crate::error::{CoreError, CoreResult};

/// The signed-in caller of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: String,
    pub role: Role,
    pub organization_id: String,
    /// The client's address (after trusted proxies), for throttling and the audit trail.
    pub client_ip: Option<String>,
    /// The request's id, to tie logs and error reports together.
    pub request_id: Option<String>,
}

impl Actor {
    pub fn new(user: &users::Model, client_ip: Option<String>, request_id: Option<String>) -> Self {
        Self {
            user_id: user.id.clone(),
            role: user.role,
            organization_id: user.organization_id.clone(),
            client_ip,
            request_id,
        }
    }

    /// Only the super admin may go on.
    pub fn require_super_admin(&self) -> CoreResult<()> {
        allowed_if(
            self.role.is_super_admin(),
            "you are not allowed to do this: it is for the super admin only",
        )
    }

    /// The super admin or an organisation admin may go on; members are refused.
    pub fn require_admin(&self) -> CoreResult<()> {
        allowed_if(
            self.role.is_admin(),
            "you are not allowed to see this: it is for administrators only",
        )
    }

    /// The organisation a list is limited to: `None` (everything) for the super admin, the
    /// caller's own organisation for anyone else.
    pub fn organization_scope(&self) -> Option<&str> {
        (!self.role.is_super_admin()).then_some(self.organization_id.as_str())
    }

    /// The address for audit rows.
    pub fn ip(&self) -> Option<&str> {
        self.client_ip.as_deref()
    }
}

/// `Ok` when `allowed`, else [`CoreError::Forbidden`] saying why.
fn allowed_if(allowed: bool, refusal: &str) -> CoreResult<()> {
    if allowed {
        Ok(())
    } else {
        Err(CoreError::Forbidden(refusal.into()))
    }
}

#[cfg(test)]
mod tests;
