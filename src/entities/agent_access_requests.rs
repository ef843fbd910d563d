//! The `agent_access_requests` table. Requests for access to an agent. At most one pending per user
//! and agent: a unique violation on insert means "already pending".

use sea_orm::entity::prelude::*;

use super::enums::{AccessRequestKind, AccessRequestStatus};

super::model! {
    table "agent_access_requests";
    pub user_id: String,
    pub agent_id: String,
    #[sea_orm(column_type = "Text")]
    pub request_reason: String,
    pub status: AccessRequestStatus,
    pub requested_at: DateTimeUtc,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text")]
    pub review_note: Option<String>,
    /// `increase`: more calls on the license held (`requested_calls` of them).
    pub kind: AccessRequestKind,
    pub requested_calls: Option<i64>,
    /// Set when an organisation admin asked for their organisation: approving it creates a
    /// subscription rather than a license.
    pub organization_id: Option<String>,
}

super::relations! {
    User: belongs_to users via UserId, on delete Cascade, named "fk_agent_access_requests_user_id";
    Agent: belongs_to agent_catalog via AgentId, on delete Cascade, named "fk_agent_access_requests_agent_id";
    ReviewedBy: belongs_to users via ReviewedBy, on delete SetNull, named "fk_agent_access_requests_reviewed_by";
    // For joins only: the column has no foreign key in the schema (see migration 23).
    Organization: belongs_to organizations via OrganizationId, on delete SetNull, named "fk_agent_access_requests_organization_id";
}

super::related!(users => User, agent_catalog => Agent, organizations => Organization);

impl ActiveModelBehavior for ActiveModel {}
