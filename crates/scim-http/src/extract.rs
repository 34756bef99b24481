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
        serde_json::from_slice::<Unambiguous>(&bytes)
            .map(|Unambiguous(value)| ScimJson(value))
            .map_err(|e| {
                ApiError::invalid_syntax(format!("the request body is not valid JSON: {e}"))
            })
    }
}

/// A JSON value in which no object names a member twice.
///
/// RFC 8259 §4 leaves a repeated name's meaning to the parser (serde_json
/// keeps the last); `{"userName": "a", "userName": "b"}` is a client bug,
/// refused rather than guessed at.
struct Unambiguous(Value);

impl<'de> serde::Deserialize<'de> for Unambiguous {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(UnambiguousVisitor)
            .map(Unambiguous)
    }
}

struct UnambiguousVisitor;

impl<'de> serde::de::Visitor<'de> for UnambiguousVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Unambiguous(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Unambiguous(value) = map.next_value()?;
            if object.contains_key(&key) {
                return Err(serde::de::Error::custom(format_args!(
                    "the member {key:?} is given twice"
                )));
            }
            object.insert(key, value);
        }
        Ok(Value::Object(object))
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
    fn repeated_member_names_are_refused_at_any_depth() {
        let parse = |text: &str| serde_json::from_str::<super::Unambiguous>(text).map(|u| u.0);
        assert_eq!(
            parse(r#"{"a": [1, {"b": null}], "c": 1.5}"#).unwrap(),
            serde_json::json!({"a": [1, {"b": null}], "c": 1.5})
        );
        for bad in [
            r#"{"userName": "a", "userName": "b"}"#,
            r#"{"Operations": [{"op": "add", "op": "remove"}]}"#,
        ] {
            let err = parse(bad).unwrap_err().to_string();
            assert!(err.contains("given twice"), "{bad}: {err}");
        }
        // Names differing in case are distinct JSON; the schema layer
        // decides about them.
        assert!(parse(r#"{"userName": "a", "USERNAME": "b"}"#).is_ok());
    }

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
