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
        if self.role.is_super_admin() {
            Ok(())
        } else {
            Err(CoreError::Forbidden(
                "you are not allowed to do this: it is for the super admin only".into(),
            ))
        }
    }

    /// The super admin or an organisation admin may go on; members are refused.
    pub fn require_admin(&self) -> CoreResult<()> {
        if self.role.is_admin() {
            Ok(())
        } else {
            Err(CoreError::Forbidden(
                "you are not allowed to see this: it is for administrators only".into(),
            ))
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor {
            user_id: "u".into(),
            role,
            organization_id: "org".into(),
            client_ip: None,
            request_id: None,
        }
    }

    #[test]
    fn only_the_super_admin_sees_every_organisation() {
        assert_eq!(actor(Role::SuperAdmin).organization_scope(), None);
        assert_eq!(actor(Role::Admin).organization_scope(), Some("org"));
        assert_eq!(actor(Role::Member).organization_scope(), Some("org"));
    }

    #[test]
    fn members_are_refused_admin_views_and_admins_super_admin_actions() {
        assert!(actor(Role::Member).require_admin().is_err());
        assert!(actor(Role::Admin).require_admin().is_ok());
        assert!(actor(Role::Admin).require_super_admin().is_err());
        assert!(actor(Role::SuperAdmin).require_super_admin().is_ok());
    }
}
