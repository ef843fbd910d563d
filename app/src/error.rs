//! The one error type of the app's server functions: a code the UI can branch on, a message
//! fit to show, and per-field messages for forms. Never SQL, stack traces or internals.

use leptos::prelude::{FromServerFnError, ServerFnError, ServerFnErrorErr};
use leptos::server_fn::codec::JsonEncoding;
use serde::{Deserialize, Serialize};

/// One field's problem, shown next to that field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMessage {
    pub field: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppError {
    /// The REST contract's codes where one applies: `UNAUTHENTICATED`, `FORBIDDEN`,
    /// `NOT_FOUND`, `CONFLICT`, `VALIDATION`, `QUOTA_EXCEEDED`, `LICENSE_REQUIRED`, … ,
    /// `AGENT_FAILED`, `AGENT_UNAVAILABLE`, `AGENT_TIMEOUT`, `THROTTLED`, `NETWORK`, `INTERNAL`.
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub fields: Vec<FieldMessage>,
    /// A reference the user can quote to support (the error log id), when there is one.
    #[serde(default)]
    pub reference: Option<String>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        #[cfg(feature = "ssr")]
        set_response_status(code);
        Self {
            code: code.to_owned(),
            message: message.into(),
            fields: Vec::new(),
            reference: None,
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new("UNAUTHENTICATED", "Please sign in to continue.")
    }

    pub fn internal() -> Self {
        Self::new(
            "INTERNAL",
            "Something went wrong on our side. Please try again in a moment.",
        )
    }

    pub fn validation(fields: Vec<FieldMessage>) -> Self {
        #[cfg(feature = "ssr")]
        set_response_status("VALIDATION");
        let message = match fields.as_slice() {
            [only] if only.field.is_empty() => only.message.clone(),
            _ => "Please correct the highlighted fields.".to_owned(),
        };
        Self {
            code: "VALIDATION".to_owned(),
            message,
            fields,
            reference: None,
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldMessage {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    /// The message for `field`, if the error names it.
    pub fn message_for(&self, field: &str) -> Option<String> {
        self.fields
            .iter()
            .find(|f| f.field == field)
            .map(|f| f.message.clone())
    }

    pub fn is(&self, code: &str) -> bool {
        self.code == code
    }

    /// The message with the reference appended, for alerts.
    pub fn display_message(&self) -> String {
        match &self.reference {
            Some(reference) => format!("{} (reference {reference})", self.message),
            None => self.message.clone(),
        }
    }
}

/// The HTTP status that fits a code, as the REST contract uses it.
pub fn status_for(code: &str) -> u16 {
    match code {
        "UNAUTHENTICATED" | "INVALID_CREDENTIALS" => 401,
        "FORBIDDEN" | "ACCOUNT_DISABLED" | "KEY_SCOPE_MISMATCH" => 403,
        c if c.starts_with("LICENSE_") => 403,
        "NOT_FOUND" | "AGENT_NOT_FOUND" => 404,
        "CONFLICT" => 409,
        "VALIDATION" | "INVALID_INPUT" => 422,
        "QUOTA_EXCEEDED" | "LOGIN_THROTTLED" | "RATE_LIMITED" => 429,
        "AGENT_FAILED" => 502,
        "AGENT_UNAVAILABLE" => 503,
        "AGENT_TIMEOUT" => 504,
        _ => 500,
    }
}

/// A server function answering with an error gets the status that fits it (not always 500),
/// so logs and metrics tell a refused call from a fault. Page renders are left alone: their
/// status is the page's.
#[cfg(feature = "ssr")]
fn set_response_status(code: &str) {
    use leptos::prelude::use_context;
    let is_server_fn_call = use_context::<http::request::Parts>()
        .is_some_and(|parts| parts.uri.path().starts_with("/api/"));
    if !is_server_fn_call {
        return;
    }
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        let status = http::StatusCode::from_u16(status_for(code))
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        response.set_status(status);
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AppError {}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(_) => Self::new(
                "NETWORK",
                "The server could not be reached. Check your connection and try again.",
            ),
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => Self::new(
                "VALIDATION",
                "The form could not be read. Please check it and try again.",
            ),
            _ => Self::internal(),
        }
    }
}

impl From<ServerFnError> for AppError {
    fn from(value: ServerFnError) -> Self {
        match value {
            ServerFnError::Request(_) => {
                Self::from_server_fn_error(ServerFnErrorErr::Request(String::new()))
            }
            _ => Self::internal(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_the_contract_statuses() {
        assert_eq!(status_for("QUOTA_EXCEEDED"), 429);
        assert_eq!(status_for("LICENSE_EXPIRED"), 403);
        assert_eq!(status_for("VALIDATION"), 422);
        assert_eq!(status_for("AGENT_UNAVAILABLE"), 503);
        assert_eq!(status_for("INTERNAL"), 500);
    }
}
