//! Extractors that turn malformed input into the API's error shape instead of plain text.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
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
                JsonRejection::JsonDataError(e) => {
                    ApiError::Validation(vec![abetworks::error::FieldIssue::new(
                        "body",
                        e.body_text().replace(
                            "Failed to deserialize the JSON body into the target type: ",
                            "",
                        ),
                    )])
                }
                JsonRejection::JsonSyntaxError(_) => {
                    ApiError::BadRequest("The body is not valid JSON.".into())
                }
                JsonRejection::MissingJsonContentType(_) => {
                    ApiError::BadRequest("Send the body as application/json.".into())
                }
                other => ApiError::BadRequest(other.body_text()),
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
                ApiError::Validation(vec![abetworks::error::FieldIssue::new(
                    "query",
                    e.body_text()
                        .replace("Failed to deserialize query string: ", ""),
                )])
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
            .map_err(|e: PathRejection| ApiError::BadRequest(e.body_text()))
    }
}

/// A time filter: RFC 3339, or a plain `YYYY-MM-DD` (the start of that day, or its end when
/// `end_of_day`). Anything else is a 422 naming the field.
pub fn parse_time(
    field: &str,
    text: Option<&str>,
    end_of_day: bool,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(Some(at.with_timezone(&chrono::Utc)));
    }
    if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let time = if end_of_day {
            chrono::NaiveTime::from_hms_milli_opt(23, 59, 59, 999)
        } else {
            chrono::NaiveTime::from_hms_opt(0, 0, 0)
        };
        if let Some(time) = time {
            return Ok(Some(day.and_time(time).and_utc()));
        }
    }
    Err(ApiError::Validation(vec![
        abetworks::error::FieldIssue::new(field, "must be a date (YYYY-MM-DD) or an RFC 3339 time"),
    ]))
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn dates_and_rfc3339_times_are_read_and_anything_else_is_refused() {
        let start = parse_time("from", Some("2026-01-02"), false)
            .unwrap()
            .unwrap();
        assert_eq!(start.to_rfc3339(), "2026-01-02T00:00:00+00:00");
        let end = parse_time("to", Some("2026-01-02"), true).unwrap().unwrap();
        assert!(end > start);
        assert!(parse_time("from", Some("2026-01-02T10:00:00Z"), false)
            .unwrap()
            .is_some());
        assert!(parse_time("from", Some("yesterday"), false).is_err());
        assert!(parse_time("from", None, false).unwrap().is_none());
    }
}
