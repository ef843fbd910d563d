//! The enumerations stored as short strings (`varchar(32)`) live in the shared vocabulary
//! crate, with their SeaORM derives behind its `db` feature; the entities use them from here.

pub use abetworks_types::enums::{
    AccessRequestKind, AccessRequestStatus, AgentStatus, DeliveryChannel, DeliveryStatus,
    EventType, ExecutionMode, ExecutionStatus, LicenseAlert, LicenseEventKind, LicenseStatus,
    QuotaWindow, Role, RunEventKind, Severity, TaskStatus, WebhookStatus,
};
