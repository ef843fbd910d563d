//! Every request holds its middleware's and its handler's futures from its first byte to its
//! answer, and under load a thousand requests wait at once. A stage's future inline in them
//! (a database write, most of all) costs its kilobytes on every request, even the many that
//! never reach that stage: `make bench` at 1000 connections, heaptrack showed 7.8 kB per request
//! in the error-log middleware and 10 kB in the execute handler. Those stages are boxed now;
//! these budgets keep them so.

use axum::extract::FromRequest;

use crate::routes::agents::{execute, ExecuteBody, GatewayCall};
use crate::state::AppState;

/// Bytes a future every request (or every gateway call) holds may take.
const PER_REQUEST_FUTURE_BUDGET_BYTES: usize = 4096;

/// The size of the future `f` returns, known from its type without calling it.
fn future_size<F, A, B, Fut>(_: F) -> usize
where
    F: FnOnce(A, B) -> Fut,
{
    std::mem::size_of::<Fut>()
}

fn future_size_3<F, A, B, C, Fut>(_: F) -> usize
where
    F: FnOnce(A, B, C) -> Fut,
{
    std::mem::size_of::<Fut>()
}

#[test]
fn the_execute_handler_and_its_extractor_keep_their_futures_small() {
    let handler = future_size(execute);
    let extractor = future_size(<GatewayCall<ExecuteBody> as FromRequest<AppState>>::from_request);
    assert!(
        handler <= PER_REQUEST_FUTURE_BUDGET_BYTES,
        "the execute handler's future is {handler} bytes"
    );
    assert!(
        extractor <= PER_REQUEST_FUTURE_BUDGET_BYTES,
        "the gateway extractor's future is {extractor} bytes"
    );
}

#[test]
fn the_error_log_middleware_keeps_its_future_small() {
    let middleware = future_size_3(crate::error_log_layer::log_server_errors);
    assert!(
        middleware <= PER_REQUEST_FUTURE_BUDGET_BYTES,
        "the error-log middleware's future is {middleware} bytes"
    );
}
