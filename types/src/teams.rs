//! Teams: organisations, their members and invitations, and the pools of calls (subscriptions)
//! an organisation shares — the views every surface shows and the inputs callers send.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::enums::{EffectiveStatus, InvitationStatus, QuotaWindow, Role, UsageSource};
use crate::inputs::QuotaPlan;
use crate::views::{DayCount, LicenseView, UsageSnapshot, UserView};

view! {
    /// An organisation as the super admin (and its own members) see it.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct OrganizationView {
        pub id: String,
        pub name: String,
        pub slug: String,
        /// A user's own organisation (no other members), as opposed to a team.
        pub personal: bool,
        pub member_count: i64,
        pub admin_count: i64,
        pub created_at: DateTime<Utc>,
    }
}

view! {
    /// A member of an organisation.
    #[derive(Clone, Debug, PartialEq, Eq)]
    #[cfg_attr(feature = "db", derive(sea_orm::FromQueryResult))]
    pub struct MemberView {
        pub user_id: String,
        pub email: String,
        pub name: String,
        /// `admin` administers the organisation; a super admin keeps `super_admin`.
        pub role: Role,
        pub disabled: bool,
        /// When the account was created (the day it joined is not recorded).
        pub joined_at: DateTime<Utc>,
        pub last_login_at: Option<DateTime<Utc>>,
    }
}

view! {
    /// An invitation to join an organisation (never its token).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct InvitationView {
        pub id: String,
        pub organization_id: String,
        pub organization_name: String,
        pub email: String,
        /// The role the invitee gets: `member` or `admin`.
        pub role: Role,
        pub status: InvitationStatus,
        pub expires_at: DateTime<Utc>,
        pub created_at: DateTime<Utc>,
        pub accepted_at: Option<DateTime<Utc>>,
    }
}

view! {
    /// The answer to creating an invitation: the link to accept it is shown this once.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct InvitationCreated {
        pub invitation: InvitationView,
        /// `{public_url}/invitations/{token}`.
        pub accept_url: String,
        /// Whether the link was emailed to the invitee (otherwise share it yourself).
        pub emailed: bool,
    }
}

view! {
    /// An organisation's shared pool of calls to one agent, counted like a license.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct SubscriptionView {
        pub id: String,
        pub organization_id: String,
        pub organization_name: String,
        pub agent_id: String,
        pub agent_name: String,
        pub agent_slug: String,
        pub agent_icon: String,
        /// Per window; `-1` = unlimited.
        pub api_call_limit: i64,
        /// The most one member may take in a window; `None` = no cap.
        pub member_cap: Option<i64>,
        pub expires_at: Option<DateTime<Utc>>,
        /// `active` or `expired`.
        pub status: EffectiveStatus,
        pub window: QuotaWindow,
        pub window_time_zone: String,
        pub reset_day: i32,
        /// The pool's standing in its current window (`source` = `subscription`).
        pub usage: UsageSnapshot,
        pub activated_by: Option<String>,
        pub created_at: DateTime<Utc>,
    }
}

view! {
    /// An agent a member may run from their organisation's pool (My Agents), with their own
    /// standing against the per-member cap.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct OrgAgentView {
        pub subscription: SubscriptionView,
        /// Calls the member took from the pool in its current window.
        pub member_used: i64,
        /// Calls the member may still take under the cap; `None` = no cap.
        pub member_remaining: Option<i64>,
        /// Whether the pool would take a call of the member now: in force, with calls left in
        /// the pool and under the member's cap (as admission decides).
        pub can_run: bool,
    }
}

view! {
    /// What the caller may run one agent on (the run page): their own license, their
    /// organisation's pool, and which of the two the next call is counted against.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct AgentUnits {
        pub license: Option<LicenseView>,
        pub pool: Option<OrgAgentView>,
        /// As admission decides: the license while it admits a call, else the pool; `None`
        /// with neither.
        pub next_source: Option<UsageSource>,
    }
}

view! {
    /// The signed-in user's organisation as every page needs it, with the session.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct CurrentOrganization {
        pub id: String,
        pub name: String,
        /// A team, as opposed to the user's personal organisation (the header links to it).
        pub team: bool,
        /// Whether the user may ask for a pool for it (`forOrganization`): an admin of a team.
        pub can_request_for_organization: bool,
    }
}

view! {
    /// Who is signed in, with their organisation: what the UI's shell loads once per page.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct SessionView {
        pub user: UserView,
        pub organization: CurrentOrganization,
    }
}

view! {
    /// One member's calls in a range.
    #[derive(Clone, Debug, PartialEq, Eq)]
    #[cfg_attr(feature = "db", derive(sea_orm::FromQueryResult))]
    pub struct MemberUsage {
        pub user_id: String,
        pub email: String,
        pub name: String,
        pub calls: i64,
        pub succeeded: i64,
        pub failed: i64,
    }
}

view! {
    /// An organisation's usage in a range: by member, and per day.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct OrgUsage {
        pub members: Vec<MemberUsage>,
        pub daily: Vec<DayCount>,
    }
}

view! {
    /// `POST /api/admin/organizations`: a team organisation; `adminUserId` moves that user in
    /// as its admin.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct NewOrganization {
        pub name: String,
        #[serde(default)]
        pub admin_user_id: Option<String>,
    }
}

view! {
    /// Renaming an organisation.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct OrganizationChange {
        pub name: String,
    }
}

view! {
    /// An organisation admin invites someone by email.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct NewInvitation {
        pub email: String,
        /// `member` or `admin`.
        pub role: Role,
    }
}

view! {
    /// Making a member an admin, or an admin a member.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct MemberRoleChange {
        pub role: Role,
    }
}

view! {
    /// Accepting an invitation; `organizationId`, when given, must be the invitation's.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    #[serde(default)]
    pub struct AcceptInvitation {
        pub organization_id: Option<String>,
    }
}

view! {
    /// A super admin gives an organisation a pool of calls to an agent. The plan's fields sit
    /// beside the others (`window`, `windowTimeZone`, `resetDay`); its burst rate is ignored.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct NewSubscription {
        pub organization_id: String,
        pub agent_id: String,
        /// Per window; `-1` = unlimited.
        pub api_call_limit: i64,
        #[serde(flatten)]
        pub plan: QuotaPlan,
        /// The most one member may take in a window; absent or null = no cap.
        #[serde(default)]
        pub member_cap: Option<i64>,
        #[serde(default)]
        pub expires_at: Option<DateTime<Utc>>,
    }
}

view! {
    /// What to change on a subscription; absent fields stay. For `memberCap` and `expiresAt`,
    /// `null` clears the value (`Some(None)`), absence leaves it (`None`).
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct SubscriptionChange {
        #[serde(default)]
        pub api_call_limit: Option<i64>,
        /// A whole plan (its burst rate is ignored); the calls used carry over.
        #[serde(default)]
        pub plan: Option<QuotaPlan>,
        #[serde(default, deserialize_with = "present")]
        pub member_cap: Option<Option<i64>>,
        #[serde(default, deserialize_with = "present")]
        pub expires_at: Option<Option<DateTime<Utc>>>,
    }
}

/// `Some(None)` when the field is present and null, `None` (serde's default) when absent.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_subscription_change_tells_null_from_absent() {
        let cleared: SubscriptionChange =
            serde_json::from_value(json!({"memberCap": null, "expiresAt": null})).unwrap();
        assert_eq!(cleared.member_cap, Some(None));
        assert_eq!(cleared.expires_at, Some(None));
        let untouched: SubscriptionChange =
            serde_json::from_value(json!({"apiCallLimit": 20})).unwrap();
        assert_eq!(untouched.api_call_limit, Some(20));
        assert_eq!(untouched.member_cap, None);
        assert_eq!(untouched.expires_at, None);
        let capped: SubscriptionChange =
            serde_json::from_value(json!({"memberCap": 5, "plan": {"window": "day"}})).unwrap();
        assert_eq!(capped.member_cap, Some(Some(5)));
        assert_eq!(capped.plan.map(|p| p.window), Some(QuotaWindow::Day));
    }

    #[test]
    fn a_new_subscription_reads_the_plan_beside_its_other_fields() {
        let new: NewSubscription = serde_json::from_value(json!({
            "organizationId": "org-1",
            "agentId": "agent-1",
            "apiCallLimit": 20,
            "window": "month",
            "resetDay": 15,
        }))
        .unwrap();
        assert_eq!(new.plan.window, QuotaWindow::Month);
        assert_eq!(new.plan.reset_day, 15);
        assert_eq!(new.plan.window_time_zone, "UTC");
        assert_eq!((new.member_cap, new.expires_at), (None, None));
    }

    #[test]
    fn accepting_an_invitation_needs_no_body_fields() {
        let accept: AcceptInvitation = serde_json::from_value(json!({})).unwrap();
        assert_eq!(accept, AcceptInvitation::default());
    }
}
