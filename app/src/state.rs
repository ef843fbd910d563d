//! The core's state, handed to server functions through Leptos context.

use leptos::prelude::{use_context, ServerFnError};

pub use abetworks::state::AppState;

/// The state provided by the server for this request.
pub fn app_state() -> Result<AppState, ServerFnError> {
    use_context::<AppState>().ok_or_else(|| ServerFnError::new("server state is missing"))
}
