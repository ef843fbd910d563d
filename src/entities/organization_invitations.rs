//! The `organization_invitations` table. An organisation admin's invitation to join, single use
//! and expiring; only the SHA-256 (hex) of its token is stored. Its status is derived
//! (`InvitationStatus::of`): accepted, revoked, expired or pending.

use sea_orm::entity::prelude::*;

use super::enums::Role;

super::model! {
    table "organization_invitations";
    pub organization_id: String,
    /// Trimmed and lower-case.
    pub email: String,
    /// `member` or `admin`.
    pub role: Role,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub expires_at: DateTimeUtc,
    pub accepted_at: Option<DateTimeUtc>,
    pub accepted_by: Option<String>,
    pub revoked_at: Option<DateTimeUtc>,
    pub created_by: Option<String>,
    pub created_at: DateTimeUtc,
}

super::relations! {
    Organization: belongs_to organizations via OrganizationId, on delete Cascade, named "fk_organization_invitations_organization_id";
    AcceptedBy: belongs_to users via AcceptedBy, on delete SetNull, named "fk_organization_invitations_accepted_by";
    CreatedBy: belongs_to users via CreatedBy, on delete SetNull, named "fk_organization_invitations_created_by";
}

super::related!(organizations => Organization);

impl ActiveModelBehavior for ActiveModel {}
