//! One set of error codes for every surface: REST answers, server functions and the UI branch
//! on [`ErrorCode`], never on message text. Each code has one HTTP status and one default
//! message, here; conflicts say which one with a typed [`ConflictReason`].

use serde::{Deserialize, Serialize};

vocabulary!(SCREAMING_SNAKE_CASE
    /// Every error a caller can see. Serialised in SCREAMING_SNAKE_CASE (`QUOTA_EXCEEDED`).
    ErrorCode {
        BadRequest,
        Unauthenticated,
        InvalidCredentials,
        InvalidApiKey,
        ApiKeyRevoked,
        ApiKeyExpired,
        Forbidden,
        AccountDisabled,
        CrossOriginRequest,
        KeyScopeMismatch,
        LicenseRequired,
        LicenseExpired,
        LicenseSuspended,
        LicenseRevoked,
        NotFound,
        AgentNotFound,
        Conflict,
        PayloadTooLarge,
        ValidationFailed,
        InvalidInput,
        QuotaExceeded,
        RateLimited,
        LoginThrottled,
        InternalError,
        AgentFailed,
        AgentUnavailable,
        AgentTimeout,
        /// An invitation token that matches nothing, or an invitation that was revoked.
        InvitationNotFound,
        InvitationExpired,
        /// The invitation was accepted already (single use).
        InvitationUsed,
        /// Signed in with another address than the one invited.
        InvitationForAnotherEmail,
        /// The invitation is for another organisation than the one the caller named.
        InvitationForAnotherOrganization,
        /// The server is saturated (e.g. the password hashing queue is full); retry shortly.
        Busy,
        /// The browser could not reach the server (never sent by the server).
        Network,
    }
);

impl ErrorCode {
    /// The one status table.
    pub const fn status(self) -> u16 {
        use ErrorCode::*;
        match self {
            BadRequest => 400,
            Unauthenticated | InvalidCredentials | InvalidApiKey | ApiKeyRevoked
            | ApiKeyExpired => 401,
            Forbidden
            | AccountDisabled
            | CrossOriginRequest
            | KeyScopeMismatch
            | LicenseRequired
            | LicenseExpired
            | LicenseSuspended
            | LicenseRevoked
            | InvitationForAnotherEmail => 403,
            NotFound | AgentNotFound | InvitationNotFound => 404,
            Conflict | InvitationForAnotherOrganization => 409,
            InvitationExpired | InvitationUsed => 410,
            PayloadTooLarge => 413,
            ValidationFailed | InvalidInput => 422,
            QuotaExceeded | RateLimited | LoginThrottled => 429,
            InternalError => 500,
            AgentFailed => 502,
            AgentUnavailable | Busy | Network => 503,
            AgentTimeout => 504,
        }
    }

    /// What a user reads when nothing more specific is known.
    pub const fn default_message(self) -> &'static str {
        use ErrorCode::*;
        match self {
            BadRequest => "The request could not be read.",
            Unauthenticated => "Please sign in to continue.",
            InvalidCredentials => "The email or password is not right.",
            InvalidApiKey => "This API key is not valid.",
            ApiKeyRevoked => "This API key has been revoked.",
            ApiKeyExpired => "This API key has expired.",
            Forbidden => "You are not allowed to do this.",
            AccountDisabled => "This account is disabled.",
            CrossOriginRequest => "This request must come from the site itself.",
            KeyScopeMismatch => "This API key is limited to another agent.",
            LicenseRequired => "You need a license for this agent.",
            LicenseExpired => "Your license for this agent has expired.",
            LicenseSuspended => "Your license for this agent is suspended.",
            LicenseRevoked => "Your license for this agent has been revoked.",
            NotFound => "This was not found.",
            AgentNotFound => "There is no such agent.",
            Conflict => "This conflicts with the current state; reload and try again.",
            PayloadTooLarge => "The request is too large.",
            ValidationFailed => "Please correct the highlighted fields.",
            InvalidInput => "The agent rejected the input.",
            QuotaExceeded => "You have used every call your license allows.",
            RateLimited => "Too many requests; wait a moment and try again.",
            LoginThrottled => "Too many failed sign-ins; wait a while and try again.",
            InternalError => "Something went wrong on our side. Quote the reference if it persists.",
            AgentFailed => "The agent failed while running. Your call was not counted.",
            AgentUnavailable => {
                "The agent service is unavailable right now. Your call was not counted; try again shortly."
            }
            AgentTimeout => "The agent took too long to answer. Your call was not counted.",
            InvitationNotFound => {
                "This invitation link is not valid. Ask your organisation's admin for a new one."
            }
            InvitationExpired => {
                "This invitation has expired. Ask your organisation's admin for a new one."
            }
            InvitationUsed => "This invitation has already been used.",
            InvitationForAnotherEmail => {
                "This invitation was sent to another email address. Sign in with that address to accept it."
            }
            InvitationForAnotherOrganization => "This invitation is for another organisation.",
            Busy => "The server is busy right now; try again in a few seconds.",
            Network => "The server could not be reached. Check your connection and try again.",
        }
    }
}

vocabulary!(
    /// Which conflict a 409 is: the UI and API clients branch on this, not on the message.
    ConflictReason {
        AlreadyLicensed,
        AlreadyPending,
        NotPending,
        AlreadyResolved,
        AlreadyFinished,
        AlreadyRevoked,
        LicenseRevoked,
        EmailTaken,
        SlugTaken,
        OwnAccount,
        /// The last admin of an organisation cannot leave, be removed or be demoted.
        LastOrganizationAdmin,
        AlreadyMember,
        AlreadySubscribed,
        /// Invitations and members belong to team organisations only.
        PersonalOrganization,
    }
);

impl ConflictReason {
    /// What the user reads.
    pub const fn message(self) -> &'static str {
        use ConflictReason::*;
        match self {
            AlreadyLicensed => "There is already a license for this agent.",
            AlreadyPending => "A request for this agent is already pending.",
            NotPending => "The request is no longer pending.",
            AlreadyResolved => "The error is already resolved.",
            AlreadyFinished => "The execution has already finished.",
            AlreadyRevoked => "The license has already been revoked.",
            LicenseRevoked => "A revoked license cannot be changed.",
            EmailTaken => "An account with this email already exists.",
            SlugTaken => "An agent with this slug exists already.",
            OwnAccount => "You cannot demote or disable your own account.",
            LastOrganizationAdmin => {
                "An organisation needs an admin: make another member an admin first."
            }
            AlreadyMember => "This person is already a member of the organisation.",
            AlreadySubscribed => "The organisation already has a subscription to this agent.",
            PersonalOrganization => {
                "A personal organisation has no other members; ask the super admin for a team organisation."
            }
        }
    }
}

/// A message fragment as a sentence: "the thing" → "The thing."
pub fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => {
            let mut out: String = first.to_uppercase().collect();
            out.push_str(chars.as_str());
            if !out.ends_with('.') {
                out.push('.');
            }
            out
        }
        None => String::new(),
    }
}

/// One field's problem, shown to the user next to that field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldIssue {
    pub field: String,
    pub message: String,
}

impl FieldIssue {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An error as every surface sends it: the REST body's `error` object, and the server
/// functions' error. Never SQL, stack traces or internals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldIssue>,
    /// Which conflict, for `CONFLICT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ConflictReason>,
    /// The error log id to quote to support, for failures that were logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_id: Option<String>,
    /// For `QUOTA_EXCEEDED`: where the license stands in its window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Box<crate::views::UsageSnapshot>>,
}

pub type WireResult<T> = Result<T, ErrorBody>;

impl ErrorBody {
    /// `code` with its default message.
    pub fn of(code: ErrorCode) -> Self {
        Self::new(code, code.default_message())
    }

    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: Vec::new(),
            reason: None,
            reference_id: None,
            usage: None,
        }
    }

    pub fn conflict(reason: ConflictReason) -> Self {
        Self {
            reason: Some(reason),
            ..Self::new(ErrorCode::Conflict, reason.message())
        }
    }

    /// A validation failure: one message per field; a lone field-less issue is the message.
    pub fn validation(fields: Vec<FieldIssue>) -> Self {
        let message = match fields.as_slice() {
            [only] if only.field.is_empty() => only.message.clone(),
            _ => ErrorCode::ValidationFailed.default_message().to_owned(),
        };
        Self {
            fields,
            ..Self::new(ErrorCode::ValidationFailed, message)
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldIssue::new(field, message)])
    }

    pub fn with_reference(mut self, reference_id: Option<String>) -> Self {
        self.reference_id = reference_id;
        self
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }

    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == code
    }

    pub fn is_conflict(&self, reason: ConflictReason) -> bool {
        self.reason == Some(reason)
    }

    /// The message for `field`, if the error names it.
    pub fn message_for(&self, field: &str) -> Option<String> {
        self.fields
            .iter()
            .find(|f| f.field == field)
            .map(|f| f.message.clone())
    }

    /// The message with the reference appended, for alerts.
    pub fn display_message(&self) -> String {
        match &self.reference_id {
            Some(reference) => format!("{} (reference {reference})", self.message),
            None => self.message.clone(),
        }
    }
}

impl std::fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ErrorBody {}

/// The server functions' error is the same body the REST API sends.
#[cfg(feature = "server-fn")]
mod server_fn_error {
    use server_fn::codec::JsonEncoding;
    use server_fn::error::{FromServerFnError, ServerFnError, ServerFnErrorErr};

    use super::{ErrorBody, ErrorCode};

    impl FromServerFnError for ErrorBody {
        type Encoder = JsonEncoding;

        fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
            match value {
                ServerFnErrorErr::Request(_) => Self::of(ErrorCode::Network),
                ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => Self::new(
                    ErrorCode::ValidationFailed,
                    "The form could not be read. Please check it and try again.",
                ),
                _ => Self::of(ErrorCode::InternalError),
            }
        }
    }

    impl From<ServerFnError> for ErrorBody {
        fn from(value: ServerFnError) -> Self {
            match value {
                ServerFnError::Request(_) => Self::of(ErrorCode::Network),
                _ => Self::of(ErrorCode::InternalError),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    #[test]
    fn codes_map_to_the_contract_statuses() {
        assert_eq!(ErrorCode::QuotaExceeded.status(), 429);
        assert_eq!(ErrorCode::LicenseExpired.status(), 403);
        assert_eq!(ErrorCode::ValidationFailed.status(), 422);
        assert_eq!(ErrorCode::AgentUnavailable.status(), 503);
        assert_eq!(ErrorCode::Busy.status(), 503);
        assert_eq!(ErrorCode::InternalError.status(), 500);
    }

    #[test]
    fn every_code_reads_as_its_screaming_snake_case_name_and_back() {
        for code in ErrorCode::VARIANTS {
            let text = serde_json::to_string(code).unwrap();
            assert_eq!(text.trim_matches('"'), code.as_str());
            assert_eq!(code.as_str().parse::<ErrorCode>().unwrap(), *code);
            assert!(!code.default_message().is_empty());
        }
        assert_eq!(ErrorCode::QuotaExceeded.as_str(), "QUOTA_EXCEEDED");
    }

    #[test]
    fn invitation_codes_have_their_statuses_and_messages() {
        use ErrorCode::*;
        for (code, status, message) in [
            (
                InvitationNotFound,
                404,
                "This invitation link is not valid. Ask your organisation's admin for a new one.",
            ),
            (
                InvitationExpired,
                410,
                "This invitation has expired. Ask your organisation's admin for a new one.",
            ),
            (
                InvitationUsed,
                410,
                "This invitation has already been used.",
            ),
            (
                InvitationForAnotherEmail,
                403,
                "This invitation was sent to another email address. Sign in with that address to accept it.",
            ),
            (
                InvitationForAnotherOrganization,
                409,
                "This invitation is for another organisation.",
            ),
        ] {
            assert_eq!(code.status(), status, "{code}");
            assert_eq!(code.default_message(), message, "{code}");
            assert_eq!(ErrorBody::of(code).status(), status);
        }
        assert_eq!(
            InvitationForAnotherOrganization.as_str(),
            "INVITATION_FOR_ANOTHER_ORGANIZATION"
        );
    }

    #[test]
    fn team_conflicts_carry_their_reason_and_message() {
        use ConflictReason::*;
        for (reason, text, message) in [
            (
                LastOrganizationAdmin,
                "last_organization_admin",
                "An organisation needs an admin: make another member an admin first.",
            ),
            (
                AlreadyMember,
                "already_member",
                "This person is already a member of the organisation.",
            ),
            (
                AlreadySubscribed,
                "already_subscribed",
                "The organisation already has a subscription to this agent.",
            ),
            (
                PersonalOrganization,
                "personal_organization",
                "A personal organisation has no other members; ask the super admin for a team organisation.",
            ),
        ] {
            let body = ErrorBody::conflict(reason);
            assert_eq!((body.status(), body.message.as_str()), (409, message));
            assert_eq!(serde_json::to_value(&body).unwrap()["reason"], text);
        }
    }

    #[test]
    fn a_conflict_carries_its_reason_on_the_wire() {
        let body = ErrorBody::conflict(ConflictReason::AlreadyPending);
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["code"], "CONFLICT");
        assert_eq!(json["reason"], "already_pending");
        assert!(body.is_conflict(ConflictReason::AlreadyPending));
    }
}
