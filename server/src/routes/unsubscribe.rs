//! The unsubscribe link of an email, which works without signing in: the delivery id in the
//! link names the recipient and the kind (`abetworks::notifications::unsubscribe`).
//!
//! - `GET /unsubscribe/{deliveryId}`: a small page with a button, changing nothing, so a mail
//!   scanner or link prefetcher that follows the link does not unsubscribe anyone;
//! - `POST /unsubscribe/{deliveryId}`: the button; turns the email off and says so (a page);
//! - `POST /api/unsubscribe/{deliveryId}`: the same for scripts and for mail clients' one-click
//!   unsubscribe (`List-Unsubscribe-Post`, RFC 8058); answers `{kind}`.

use abetworks::email::escape;
use abetworks::entities::enums::EventType;
use abetworks::{notifications, CoreError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::error::ApiError;
use crate::input::ApiPath;
use crate::state::AppState;

/// The answer of `POST /api/unsubscribe/{deliveryId}`: the kind no longer emailed.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Unsubscribed {
    kind: EventType,
}

pub async fn unsubscribe(
    State(state): State<AppState>,
    ApiPath(delivery_id): ApiPath<String>,
) -> Result<Json<Unsubscribed>, ApiError> {
    let kind = notifications::unsubscribe(&state.db, &delivery_id).await?;
    Ok(Json(Unsubscribed { kind }))
}

/// The confirmation page of an unsubscribe link.
pub async fn page(
    State(state): State<AppState>,
    ApiPath(delivery_id): ApiPath<String>,
) -> Response {
    match notifications::unsubscribe_kind(&state.db, &delivery_id).await {
        Ok(kind) => {
            let action = format!("/unsubscribe/{}", escape(&delivery_id));
            let body = format!(
                "<p>Stop emails about <strong>{label}</strong>? You still see them in the app.</p>\
                 <form method=\"post\" action=\"{action}\"><button type=\"submit\">Unsubscribe</button></form>",
                label = escape(kind.label()),
            );
            html(StatusCode::OK, &body)
        }
        Err(e) => failure(e),
    }
}

/// The page's button: turns the email off.
pub async fn confirm(
    State(state): State<AppState>,
    ApiPath(delivery_id): ApiPath<String>,
) -> Response {
    match notifications::unsubscribe(&state.db, &delivery_id).await {
        Ok(kind) => html(
            StatusCode::OK,
            &format!(
                "<p>Done: you no longer get emails about <strong>{}</strong>. \
                 <a href=\"/account\">Choose which emails you get</a>.</p>",
                escape(kind.label())
            ),
        ),
        Err(e) => failure(e),
    }
}

/// A link that names no email delivery gets a page saying so; our own faults the usual
/// error answer (logged, with a reference).
fn failure(error: CoreError) -> Response {
    match error {
        CoreError::NotFound { .. } => html(
            StatusCode::NOT_FOUND,
            "<p>This unsubscribe link is not valid. You can choose which emails you get on \
             <a href=\"/account\">your account page</a>.</p>",
        ),
        error => ApiError::from(error).into_response(),
    }
}

fn html(status: StatusCode, body: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Unsubscribe · Abetworks</title></head>\
         <body style=\"font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem\">\
         <h1 style=\"font-size:1.25rem\">Email notifications</h1>{body}</body></html>\n"
    );
    (status, Html(page)).into_response()
}

/// The JSON route, as served and documented (the two pages are served beside the API).
pub fn routes(api: super::ApiRoutes) -> super::ApiRoutes {
    use super::{Access, Route};
    api.add(
        Route::post(
            "/api/unsubscribe/{deliveryId}",
            Access::Anyone,
            "Turn off the kind of email an unsubscribe link names (no sign-in; mail clients' one-click unsubscribe)",
        )
        .answers::<Unsubscribed>(200),
        unsubscribe,
    )
}
