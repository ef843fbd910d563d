//! Extractors that turn malformed input into the API's error shape instead of plain text.

use abetworks::error::{ErrorCode, FieldIssue};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body; unknown fields are refused by the target type's `deny_unknown_fields`.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(match rejection {
                JsonRejection::JsonDataError(e) => ApiError::from(FieldIssue::new(
                    "body",
                    e.body_text().replace(
                        "Failed to deserialize the JSON body into the target type: ",
                        "",
                    ),
                )),
                JsonRejection::JsonSyntaxError(_) => {
                    ApiError::new(ErrorCode::BadRequest, "The body is not valid JSON.")
                }
                JsonRejection::MissingJsonContentType(_) => {
                    ApiError::new(ErrorCode::BadRequest, "Send the body as application/json.")
                }
                other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    ApiError::of(ErrorCode::PayloadTooLarge)
                }
                other => ApiError::new(ErrorCode::BadRequest, other.body_text()),
            }),
        }
    }
}

/// Query parameters.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e: QueryRejection| {
                ApiError::from(FieldIssue::new(
                    "query",
                    e.body_text()
                        .replace("Failed to deserialize query string: ", ""),
                ))
            })
    }
}

/// Path parameters.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|e: PathRejection| ApiError::new(ErrorCode::BadRequest, e.body_text()))
    }
}
