//! Every 5xx of our own and every panic becomes an `error_logs` row with its backtrace; the
//! user gets a clean message and the row's id as the reference to quote.

use std::any::Any;
use std::cell::RefCell;
use std::panic::AssertUnwindSafe;
use std::sync::Once;

use abetworks::error::{ErrorBody, ErrorCode};
use abetworks::error_logs::{self, ErrorKind, NewErrorLog};
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use serde_json::json;

use crate::error::{ApiError, InternalFailure};
use crate::state::AppState;

thread_local! {
    /// The backtrace of the last panic on this thread, taken by the hook where it happened.
    static LAST_PANIC_BACKTRACE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Keeps each panic's backtrace for the middleware, then lets the default hook print it.
pub fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let backtrace = std::backtrace::Backtrace::force_capture().to_string();
            LAST_PANIC_BACKTRACE.with(|slot| *slot.borrow_mut() = Some(backtrace));
            previous(info);
        }));
    });
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic without a message".to_owned())
}

fn answer(reference: Option<String>) -> Response {
    answer_with(ErrorCode::InternalError, reference)
}

fn answer_with(code: ErrorCode, reference: Option<String>) -> Response {
    ApiError::from(ErrorBody::of(code).with_reference(reference)).into_response()
}

async fn write_log(state: &AppState, entry: NewErrorLog) -> Option<String> {
    match error_logs::log_error(&state.db, entry).await {
        Ok(id) => Some(id),
        Err(e) => {
            // The database itself may be what failed: the log line is all that is left.
            tracing::error!("could not write an error log: {e}");
            None
        }
    }
}

/// A 5xx of our own to Sentry (a no-op without `SENTRY_DSN`); panics reach it through its
/// own panic hook.
fn report_to_sentry(detail: &str, request_id: Option<&str>, reference: Option<&str>, path: &str) {
    sentry::with_scope(
        |scope| {
            scope.set_tag("path", path);
            for (tag, value) in [("request_id", request_id), ("reference", reference)] {
                if let Some(value) = value {
                    scope.set_tag(tag, value);
                }
            }
        },
        || sentry::capture_message(detail, sentry::Level::Error),
    );
}

pub async fn log_server_errors(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let request_id = request
        .headers()
        .get(crate::extract::REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let path = request.uri().path().to_owned();
    match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => {
            let Some(failure) = response.extensions().get::<InternalFailure>().cloned() else {
                return response;
            };
            tracing::error!(request_id = ?request_id, %path, "internal error: {}", failure.detail);
            let detail = failure.detail.clone();
            // Boxed: the write's future is kilobytes, and inline it would be part of every
            // request's middleware future, also of the many that never fail.
            let reference = Box::pin(write_log(
                &state,
                NewErrorLog {
                    kind: failure.kind,
                    code: failure.code.as_str().into(),
                    message: failure.detail,
                    stack_trace: Some(failure.backtrace),
                    user_id: None,
                    agent_id: None,
                    request_id: request_id.clone(),
                    context: Some(json!({ "path": path })),
                },
            ))
            .await;
            report_to_sentry(&detail, request_id.as_deref(), reference.as_deref(), &path);
            let mut answered = answer_with(failure.code, reference);
            if let Some(retry_after) = response.headers().get(header::RETRY_AFTER) {
                answered
                    .headers_mut()
                    .insert(header::RETRY_AFTER, retry_after.clone());
            }
            answered
        }
        Err(payload) => {
            let message = panic_message(payload.as_ref());
            let backtrace = LAST_PANIC_BACKTRACE.with(|slot| slot.borrow_mut().take());
            tracing::error!(request_id = ?request_id, %path, "panic: {message}");
            let reference = Box::pin(write_log(
                &state,
                NewErrorLog {
                    kind: ErrorKind::Panic,
                    // What the caller received; the kind says it was a panic.
                    code: ErrorCode::InternalError.as_str().into(),
                    message,
                    stack_trace: backtrace,
                    user_id: None,
                    agent_id: None,
                    request_id,
                    context: Some(json!({ "path": path })),
                },
            ))
            .await;
            answer(reference)
        }
    }
}
