//! Every status, role, severity and kind the product speaks of, each with one string form:
//! the same snake_case text in the database, in JSON, in URLs and in the UI's selects.
//! The forms are derived (serde, strum and, with `db`, SeaORM), never written by hand.

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use strum::VariantArray;

use crate::error::FieldIssue;

/// What every vocabulary enum can do, from its derived string forms.
pub trait Vocabulary: Copy + Into<&'static str> + FromStr + VariantArray + 'static {
    /// The stored and wire text.
    fn as_str(self) -> &'static str {
        self.into()
    }

    /// Every variant, in declaration order (for selects and filters).
    fn all() -> &'static [Self] {
        Self::VARIANTS
    }

    /// Parses a caller's text for `field`; the problem lists the choices.
    fn parse_field(field: &str, text: &str) -> Result<Self, FieldIssue> {
        Self::from_str(text.trim()).map_err(|_| {
            let choices: Vec<&str> = Self::VARIANTS.iter().map(|v| v.as_str()).collect();
            FieldIssue::new(field, format!("must be one of {}", choices.join(", ")))
        })
    }

    /// Like [`Vocabulary::parse_field`], with blank or absent meaning "no filter".
    fn parse_optional(field: &str, text: Option<&str>) -> Result<Option<Self>, FieldIssue> {
        match text.map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(text) => Self::parse_field(field, text).map(Some),
        }
    }
}

impl<T> Vocabulary for T where T: Copy + Into<&'static str> + FromStr + VariantArray + 'static {}

/// Declares a vocabulary enum with its derives. `stored` ones also map to a `varchar(32)`
/// column through SeaORM when the `db` feature is on; `SCREAMING_SNAKE_CASE` ones (the error
/// codes) are written in that case instead of snake_case.
macro_rules! vocabulary {
    (stored $(#[$meta:meta])* $name:ident { $($(#[$($vmeta:tt)*])* $variant:ident),+ $(,)? }) => {
        vocabulary!(@enum "snake_case"
            [#[cfg_attr(feature = "db", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
             #[cfg_attr(feature = "db", sea_orm(
                 rs_type = "String",
                 db_type = "String(sea_orm::sea_query::StringLen::N(32))",
                 rename_all = "snake_case"
             ))]]
            $(#[$meta])* $name { $($(#[$($vmeta)*])* $variant),+ });
    };
    (SCREAMING_SNAKE_CASE $(#[$meta:meta])* $name:ident { $($(#[$($vmeta:tt)*])* $variant:ident),+ $(,)? }) => {
        vocabulary!(@enum "SCREAMING_SNAKE_CASE" [] $(#[$meta])* $name { $($(#[$($vmeta)*])* $variant),+ });
    };
    ($(#[$meta:meta])* $name:ident { $($(#[$($vmeta:tt)*])* $variant:ident),+ $(,)? }) => {
        vocabulary!(@enum "snake_case" [] $(#[$meta])* $name { $($(#[$($vmeta)*])* $variant),+ });
    };
    (@enum $case:tt [$($extra:tt)*] $(#[$meta:meta])* $name:ident { $($(#[$($vmeta:tt)*])* $variant:ident),+ }) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize,
            strum::Display, strum::EnumString, strum::IntoStaticStr, strum::VariantArray,
        )]
        #[serde(rename_all = $case)]
        #[strum(serialize_all = $case)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        $($extra)*
        pub enum $name {
            $($(#[$($vmeta)*])* $variant),+
        }

        impl $name {
            /// The stored and wire text.
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }
    };
}

vocabulary!(stored
    /// A user's role: `admin` administers its own organisation, `super_admin` everything.
    Role { Member, Admin, SuperAdmin }
);

impl Role {
    /// Everything, everywhere: licenses, catalog, users, errors.
    pub fn is_super_admin(self) -> bool {
        self == Self::SuperAdmin
    }

    /// May open the admin dashboard (an organisation admin sees their own organisation).
    pub fn is_admin(self) -> bool {
        matches!(self, Self::Admin | Self::SuperAdmin)
    }
}

vocabulary!(stored
    /// A license's stored status. "Expired" is not stored: it is `expires_at` in the past.
    LicenseStatus { Active, Suspended, Revoked }
);

vocabulary!(
    /// The status a license reads as: the stored one, or `expired` once `expires_at` has passed.
    EffectiveStatus { Active, Suspended, Revoked, Expired }
);

impl EffectiveStatus {
    /// Revoked stays revoked; a live license past its expiry reads as expired.
    pub fn of(
        status: LicenseStatus,
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        match status {
            LicenseStatus::Revoked => Self::Revoked,
            _ if expires_at.is_some_and(|at| at <= now) => Self::Expired,
            LicenseStatus::Active => Self::Active,
            LicenseStatus::Suspended => Self::Suspended,
        }
    }

    /// Still in force: the holder sees it on My Agents (a suspended one may come back).
    pub fn is_in_force(self) -> bool {
        matches!(self, Self::Active | Self::Suspended)
    }
}

vocabulary!(stored
    /// What a license's limit counts: calls over its whole life, per calendar day or per
    /// month (from a reset day), in the license's own time zone.
    QuotaWindow { Lifetime, Day, Month }
);

impl QuotaWindow {
    /// The window in words for "37 calls left today".
    pub fn period_word(self) -> &'static str {
        match self {
            Self::Lifetime => "in total",
            Self::Day => "today",
            Self::Month => "this month",
        }
    }
}

vocabulary!(
    /// Where an admitted call's unit came from: the caller's own license (always tried first)
    /// or their organisation's shared pool for the agent. Defaults to `license` (answers
    /// from before pools existed).
    #[derive(Default)]
    UsageSource { #[default] License, Subscription }
);

vocabulary!(
    /// Where an invitation to an organisation stands. Not stored: derived from its
    /// `accepted_at`, `revoked_at` and `expires_at` ([`InvitationStatus::of`]).
    InvitationStatus { Pending, Accepted, Expired, Revoked }
);

impl InvitationStatus {
    /// Accepted and revoked are final; an invitation neither accepted nor revoked is expired
    /// once `expires_at` has passed.
    pub fn of(
        accepted_at: Option<chrono::DateTime<chrono::Utc>>,
        revoked_at: Option<chrono::DateTime<chrono::Utc>>,
        expires_at: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        if accepted_at.is_some() {
            Self::Accepted
        } else if revoked_at.is_some() {
            Self::Revoked
        } else if expires_at <= now {
            Self::Expired
        } else {
            Self::Pending
        }
    }
}

vocabulary!(stored
    /// One line of a license's history.
    LicenseEventKind { Granted, Changed, TopUp, Renewed, Suspended, Resumed, Revoked }
);

vocabulary!(stored
    /// What an access request asks for: a first license, or more calls on the one held.
    AccessRequestKind { Access, Increase }
);

vocabulary!(stored
    /// An access request's status. At most one `pending` per user and agent.
    AccessRequestStatus { Pending, Approved, Rejected }
);

vocabulary!(stored
    /// How bad a logged error is.
    Severity { Low, Medium, High, Critical }
);

vocabulary!(stored
    /// The state of one execution of an agent. `abandoned`: the instance running it stopped
    /// (its lease ran out); its unit was given back and an error logged. Not a success.
    /// `queued`: a background run admitted and waiting for a worker; `cancelled`: a background
    /// run stopped by its owner, its unit given back.
    ExecutionStatus { Pending, Queued, Running, Succeeded, Failed, Abandoned, Cancelled }
);

impl ExecutionStatus {
    /// Whether the execution has ended (nothing will change it any more).
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            Self::Succeeded | Self::Failed | Self::Abandoned | Self::Cancelled
        )
    }
}

vocabulary!(stored
    /// How an execution was asked for: `sync` answers the call itself (execute); `background`
    /// is a run taken from the queue by a worker (runs).
    ExecutionMode { Sync, Background }
);

vocabulary!(stored
    /// What one event of a background run says: its status changed, how far it has got, its
    /// output, or its error.
    RunEventKind { Status, Progress, Output, Error }
);

vocabulary!(stored
    /// The state of an asynchronous task.
    TaskStatus { Queued, Running, Succeeded, Failed }
);

vocabulary!(stored
    /// Whether a catalog agent can currently be run.
    AgentStatus { Available, Unavailable }
);

vocabulary!(
    /// The width of one point of a usage trend.
    Granularity { Hour, Day }
);

vocabulary!(
    /// What went wrong, stored as an error log's `error_type`.
    ErrorKind {
        DatabaseUnavailable,
        Panic,
        Internal,
        /// The gateway's signature was refused: every call will fail until it is fixed.
        AgentUnauthorized,
        AgentFailed,
        AgentUnavailable,
        AgentMalformedResponse,
        AgentUnknown,
        AgentTimeout,
        AgentRejectedInput,
    }
);

vocabulary!(
    /// Where a caller stands with an agent; decides the marketplace card's button.
    AgentAccess {
        /// Not signed in: the button leads to the sign-in page.
        SignedOut,
        /// May ask for access.
        Available,
        /// A request is waiting for review.
        Pending,
        /// Holds a license in force (active or suspended, not expired).
        Licensed,
    }
);

vocabulary!(
    /// Why a caller may not run an agent at all (403).
    LicenseDenial { Required, Expired, Suspended, Revoked }
);

impl LicenseDenial {
    /// The error code the caller receives.
    pub const fn code(self) -> crate::ErrorCode {
        use crate::ErrorCode;
        match self {
            Self::Required => ErrorCode::LicenseRequired,
            Self::Expired => ErrorCode::LicenseExpired,
            Self::Suspended => ErrorCode::LicenseSuspended,
            Self::Revoked => ErrorCode::LicenseRevoked,
        }
    }

    /// The license's effective status as a reason not to run, `None` when it may run.
    pub fn of(status: EffectiveStatus) -> Option<Self> {
        match status {
            EffectiveStatus::Active => None,
            EffectiveStatus::Suspended => Some(Self::Suspended),
            EffectiveStatus::Expired => Some(Self::Expired),
            EffectiveStatus::Revoked => Some(Self::Revoked),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_a_variant_is_the_same_snake_case_text() {
        assert_eq!(Role::SuperAdmin.as_str(), "super_admin");
        assert_eq!(Role::SuperAdmin.to_string(), "super_admin");
        assert_eq!(
            serde_json::to_string(&Role::SuperAdmin).unwrap(),
            "\"super_admin\""
        );
        assert_eq!("super_admin".parse::<Role>().unwrap(), Role::SuperAdmin);
        assert_eq!(
            ErrorKind::AgentRejectedInput.as_str(),
            "agent_rejected_input"
        );
    }

    #[test]
    fn parsing_a_field_names_the_choices_and_blank_means_no_filter() {
        let issue = Severity::parse_field("severity", "fatal").unwrap_err();
        assert_eq!(issue.field, "severity");
        assert_eq!(issue.message, "must be one of low, medium, high, critical");
        assert_eq!(Severity::parse_optional("severity", Some("  ")), Ok(None));
        assert_eq!(
            Severity::parse_optional("severity", Some(" high ")),
            Ok(Some(Severity::High))
        );
    }
    #[test]
    fn a_usage_source_reads_as_snake_case_and_defaults_to_the_license() {
        assert_eq!(UsageSource::default(), UsageSource::License);
        assert_eq!(UsageSource::Subscription.as_str(), "subscription");
        assert_eq!(
            serde_json::to_string(&UsageSource::License).unwrap(),
            "\"license\""
        );
        assert_eq!(
            "subscription".parse::<UsageSource>().unwrap(),
            UsageSource::Subscription
        );
    }

    #[test]
    fn an_invitation_is_accepted_revoked_expired_or_pending_in_that_order() {
        use chrono::{Duration, TimeZone, Utc};
        let now = Utc.with_ymd_and_hms(2026, 12, 20, 12, 0, 0).unwrap();
        let later = now + Duration::days(7);
        let earlier = now - Duration::seconds(1);
        assert_eq!(
            InvitationStatus::of(None, None, later, now),
            InvitationStatus::Pending
        );
        assert_eq!(
            InvitationStatus::of(None, None, earlier, now),
            InvitationStatus::Expired
        );
        assert_eq!(
            InvitationStatus::of(None, None, now, now),
            InvitationStatus::Expired
        );
        assert_eq!(
            InvitationStatus::of(None, Some(earlier), later, now),
            InvitationStatus::Revoked
        );
        assert_eq!(
            InvitationStatus::of(Some(earlier), None, earlier, now),
            InvitationStatus::Accepted
        );
        assert_eq!(InvitationStatus::Pending.as_str(), "pending");
    }
}

/// One dotted event type: the wire, stored and webhook text is `$text` (`access_request.created`).
macro_rules! event_types {
    ($(#[$meta:meta])* $name:ident { $($(#[$($vmeta:tt)*])* $variant:ident = $text:literal),+ $(,)? }) => {
        vocabulary!(stored $(#[$meta])* $name {
            $($(#[$($vmeta)*])*
              #[serde(rename = $text)]
              #[strum(serialize = $text)]
              #[cfg_attr(feature = "db", sea_orm(string_value = $text))]
              // utoipa reads serde's `rename` token by token and misses a macro's literal.
              #[cfg_attr(feature = "openapi", schema(rename = $text))]
              $variant),+
        });
    };
}

event_types!(
    /// What an outbox event is about (the webhook body's `type`, a notification's `kind`).
    EventType {
        AccessRequestCreated = "access_request.created",
        AccessRequestApproved = "access_request.approved",
        AccessRequestRejected = "access_request.rejected",
        LicenseGranted = "license.granted",
        LicenseChanged = "license.changed",
        LicenseRevoked = "license.revoked",
        /// Usage crossed 80, 90 or 100 % of a license's window.
        UsageThreshold = "usage.threshold",
        /// A license expires within seven days.
        LicenseExpiring = "license.expiring",
        AgentPublished = "agent.published",
        /// An error of high or critical severity was logged.
        ErrorLogged = "error.logged",
        RunFinished = "run.finished",
    }
);

impl EventType {
    /// What a person reads for this kind (the account page's email settings, the admin's
    /// webhook dialog).
    pub fn label(self) -> &'static str {
        match self {
            Self::AccessRequestCreated => "New access requests",
            Self::AccessRequestApproved => "Access request approved",
            Self::AccessRequestRejected => "Access request rejected",
            Self::LicenseGranted => "License granted",
            Self::LicenseChanged => "License changed",
            Self::LicenseRevoked => "License revoked",
            Self::UsageThreshold => "Usage at 80, 90 and 100 % of a limit",
            Self::LicenseExpiring => "License expiring within 7 days",
            Self::AgentPublished => "New agent published",
            Self::ErrorLogged => "High or critical error logged",
            Self::RunFinished => "Background run finished",
        }
    }
}

vocabulary!(stored
    /// How a delivery of an event leaves the server.
    DeliveryChannel { Email, Webhook }
);

vocabulary!(stored
    /// Where a delivery stands: waiting for its (next) attempt, delivered, or given up on.
    DeliveryStatus { Pending, Succeeded, Failed }
);

vocabulary!(stored
    /// A webhook endpoint: receiving; `failing` after a day of failed deliveries (still
    /// tried); `disabled` by a super admin (nothing sent).
    WebhookStatus { Active, Failing, Disabled }
);

vocabulary!(stored
    /// An alert emitted once per license and period: usage thresholds per quota window, and
    /// the expiry notice per expiry date.
    LicenseAlert { Usage80, Usage90, Usage100, Expiring }
);

impl LicenseAlert {
    /// The usage thresholds, lowest first, with their percentage.
    pub const THRESHOLDS: [(Self, i64); 3] = [
        (Self::Usage80, 80),
        (Self::Usage90, 90),
        (Self::Usage100, 100),
    ];
}
