//! Request extractors that answer with SCIM errors when they reject.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use scim_core::Principal;
use serde_json::Value;

use crate::error::ApiError;

/// A JSON request body sent as `application/scim+json` or `application/json`.
///
/// Other content types are 415, oversized bodies 413 and malformed JSON 400
/// `invalidSyntax`, each with a SCIM Error body.
#[derive(Debug)]
pub(crate) struct ScimJson(pub(crate) Value);

/// Whether a `Content-Type` value names JSON: `application/scim+json` or
/// `application/json`, in any case, with any parameters.
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/scim+json" || essence == "application/json"
}

impl<S: Send + Sync> FromRequest<S> for ScimJson {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // A missing Content-Type is tolerated (some clients omit it); a wrong one is not.
        if let Some(value) = req.headers().get(header::CONTENT_TYPE) {
            let ok = value.to_str().map(is_json).unwrap_or(false);
            if !ok {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    None,
                    "the request body must be application/scim+json or application/json",
                ));
            }
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            let status = rejection.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    status,
                    None,
                    "the request body is larger than the server accepts",
                )
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    Some(scim_schema::ScimType::InvalidSyntax),
                    format!(
                        "the request body could not be read: {}",
                        rejection.body_text()
                    ),
                )
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::invalid_syntax("the request body is empty"));
        }
        serde_json::from_slice(&bytes).map(ScimJson).map_err(|e| {
            ApiError::invalid_syntax(format!("the request body is not valid JSON: {e}"))
        })
    }
}

/// The query string as name/value pairs. Names are matched
/// case-insensitively, as identity providers vary their case.
#[derive(Debug, Default)]
pub(crate) struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    /// The first value of parameter `name`, compared case-insensitively.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(query) = parts.uri.query() else {
            return Ok(QueryParams::default());
        };
        serde_urlencoded::from_str(query)
            .map(QueryParams)
            .map_err(|e| ApiError::invalid_syntax(format!("the query string is malformed: {e}")))
    }
}

/// The `{id}` (or `{name}`, `{uri}`) segment of a resource path. A segment
/// that cannot be a stored identifier (not UTF-8 once percent-decoded)
/// names nothing: 404 with a SCIM Error, like any unknown id.
#[derive(Debug)]
pub(crate) struct IdPath(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(id)| IdPath(id))
            .map_err(|rejection| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    None,
                    format!("no resource at this path: {}", rejection.body_text()),
                )
            })
    }
}

/// The caller, as resolved by the authentication layer.
#[derive(Debug, Clone)]
pub(crate) struct Authenticated(pub(crate) Principal);

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Authenticated)
            .ok_or_else(|| ApiError::unauthorized("a valid bearer token is required"))
    }
}

#[cfg(test)]
mod tests {
    use super::is_json;

    #[test]
    fn json_media_types_are_recognised_with_parameters_and_any_case() {
        for ok in [
            "application/scim+json",
            "application/json",
            "Application/SCIM+JSON; charset=utf-8",
            "application/json;charset=UTF-8",
        ] {
            assert!(is_json(ok), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/xml",
            "",
            "application/jsonx",
            "multipart/form-data",
        ] {
            assert!(!is_json(bad), "{bad}");
        }
    }
}
