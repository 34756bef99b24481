//! Successful SCIM responses.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::{HttpConfig, SCIM_CONTENT_TYPE};

/// A SCIM JSON body with a status and optional `Location` and `ETag`.
pub(crate) struct ScimResponse {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
    pub(crate) location: Option<String>,
    pub(crate) etag: Option<String>,
}

impl ScimResponse {
    pub(crate) fn ok(body: Value) -> Self {
        ScimResponse {
            status: StatusCode::OK,
            body,
            location: None,
            etag: None,
        }
    }
}

impl IntoResponse for ScimResponse {
    fn into_response(self) -> Response {
        let bytes = serde_json::to_vec(&self.body).unwrap_or_default();
        let mut response = (self.status, bytes).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(SCIM_CONTENT_TYPE),
        );
        if let Some(location) = self.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            headers.insert(header::LOCATION, location);
        }
        if let Some(etag) = self.etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
            headers.insert(header::ETAG, etag);
        }
        response
    }
}

/// The absolute URL of the SCIM base path as the client sees it.
pub(crate) fn base_url(config: &HttpConfig, headers: &HeaderMap) -> String {
    let base = config.base_path.trim_end_matches('/');
    match &config.public_url {
        Some(origin) => format!("{}{base}", origin.trim_end_matches('/')),
        None => match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
            Some(host) if is_plausible_host(host) => format!("http://{host}{base}"),
            _ => base.to_owned(),
        },
    }
}

/// Host header values that are safe to echo into URLs.
fn is_plausible_host(host: &str) -> bool {
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_prefers_the_configured_origin() {
        let mut config = HttpConfig {
            public_url: Some("https://scim.example.com/".into()),
            ..HttpConfig::default()
        };
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("internal:8080"));
        assert_eq!(
            base_url(&config, &headers),
            "https://scim.example.com/scim/v2"
        );
        config.public_url = None;
        assert_eq!(base_url(&config, &headers), "http://internal:8080/scim/v2");
        headers.insert(header::HOST, HeaderValue::from_static("evil/path?x"));
        assert_eq!(base_url(&config, &headers), "/scim/v2");
    }
}
