//! Table and column names, shared by the migrations so a foreign key names its target once.
//!
//! `DeriveIden` turns `AgentCatalog::Table` into `agent_catalog` and `ApiCallLimit` into
//! `api_call_limit`.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
pub enum Organizations {
    Table,
    Id,
    Name,
    Slug,
    CreatedAt,
    Personal,
}

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    OrganizationId,
    Email,
    Name,
    PasswordHash,
    Role,
    Disabled,
    CreatedAt,
    UpdatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
pub enum AgentCatalog {
    Table,
    Id,
    Slug,
    Name,
    ShortDescription,
    LongDescription,
    Category,
    PriceCents,
    Currency,
    Icon,
    Features,
    InputSchema,
    OutputSchema,
    Version,
    Published,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum AgentSubscriptions {
    Table,
    Id,
    OrganizationId,
    AgentId,
    ActivatedBy,
    CreatedAt,
    ApiCallLimit,
    ApiCallsUsed,
    QuotaWindow,
    WindowTimeZone,
    ResetDay,
    WindowStartUnix,
    MemberCap,
    ExpiresAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum Tasks {
    Table,
    Id,
    UserId,
    AgentId,
    Status,
    Input,
    Output,
    Error,
    CreatedAt,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
pub enum Logs {
    Table,
    Id,
    ActorId,
    Action,
    TargetType,
    TargetId,
    Before,
    After,
    Ip,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum ApiKeys {
    Table,
    Id,
    UserId,
    Name,
    Prefix,
    KeyHash,
    AgentId,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Modules {
    Table,
    Id,
    Slug,
    ModuleName,
    AgentId,
    SchemaHash,
    DiscoveredAt,
    LastSeenAt,
    Available,
}

#[derive(DeriveIden)]
pub enum UserAgentLicenses {
    Table,
    Id,
    UserId,
    AgentId,
    ApiCallLimit,
    ApiCallsUsed,
    Status,
    GrantedBy,
    GrantedAt,
    ExpiresAt,
    UpdatedAt,
    QuotaWindow,
    WindowTimeZone,
    ResetDay,
    BurstPerSecond,
    WindowStartUnix,
    TopUpCalls,
    TopUpExpiresAt,
    BurstSecondUnix,
    BurstCount,
}

#[derive(DeriveIden)]
pub enum LicenseTopUps {
    Table,
    Id,
    LicenseId,
    Calls,
    Note,
    ExpiresAt,
    WindowStartUnix,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum LicenseEvents {
    Table,
    Id,
    LicenseId,
    Kind,
    ActorId,
    Detail,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum ModuleExecutions {
    Table,
    Id,
    UserId,
    AgentId,
    LicenseId,
    ApiKeyId,
    Input,
    Output,
    Status,
    DurationMs,
    ErrorCode,
    ErrorMessage,
    CreatedAt,
    FinishedAt,
    SubscriptionId,
}

#[derive(DeriveIden)]
pub enum ResourceUsage {
    Table,
    Id,
    UserId,
    AgentId,
    Day,
    Calls,
    Successes,
    Failures,
    TotalDurationMs,
}

#[derive(DeriveIden)]
pub enum ApiUsageTracking {
    Table,
    Id,
    UserId,
    AgentId,
    ApiKeyId,
    Endpoint,
    Method,
    StatusCode,
    DurationMs,
    Error,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum AgentAccessRequests {
    Table,
    Id,
    UserId,
    AgentId,
    RequestReason,
    Status,
    RequestedAt,
    ReviewedBy,
    ReviewedAt,
    ReviewNote,
    Kind,
    RequestedCalls,
    OrganizationId,
}

#[derive(DeriveIden)]
pub enum ErrorLogs {
    Table,
    Id,
    ErrorType,
    Code,
    Message,
    StackTrace,
    Severity,
    UserId,
    AgentId,
    RequestId,
    Context,
    Resolved,
    ResolvedBy,
    ResolvedAt,
    ResolutionNote,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum TowerSessions {
    Table,
    Id,
    Data,
    ExpiryDate,
}

#[derive(DeriveIden)]
pub enum LoginAttempts {
    Table,
    Id,
    Email,
    Ip,
    Succeeded,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum RegistrationAttempts {
    Table,
    Id,
    Ip,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Notifications {
    Table,
    Id,
    UserId,
    Kind,
    Title,
    Body,
    Link,
    ReadAt,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum SubscriptionMemberUsage {
    Table,
    Id,
    SubscriptionId,
    UserId,
    WindowStartUnix,
    CallsUsed,
}

#[derive(DeriveIden)]
pub enum OrganizationInvitations {
    Table,
    Id,
    OrganizationId,
    Email,
    Role,
    TokenHash,
    ExpiresAt,
    AcceptedAt,
    AcceptedBy,
    RevokedAt,
    CreatedBy,
    CreatedAt,
}
