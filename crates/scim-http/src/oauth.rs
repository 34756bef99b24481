//! The OAuth 2.0 token endpoint (RFC 6749 §3.2) for the client credentials
//! grant (§4.4): `POST /oauth/token` with a form body, the client
//! authenticated by HTTP Basic (§2.3.1) or by `client_id` and
//! `client_secret` in the body.
//!
//! Answers are OAuth's, not SCIM's: a JSON token response (§5.1) or a JSON
//! error (§5.2), never cached. Credentials are never logged.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use scim_core::TokenError;
use serde_json::json;

use crate::AppState;
use crate::limit::TenantLimiter;

/// The largest form body the endpoint reads: a grant needs a few hundred
/// bytes.
const MAX_FORM_BYTES: usize = 16 * 1024;

/// What the token endpoint needs.
#[derive(Clone)]
pub(crate) struct TokenState {
    pub(crate) app: AppState,
    /// Buckets keyed by the presented `client_id`, so that guessing one
    /// client's secret is slowed down without slowing the others.
    pub(crate) limiter: Option<Arc<TenantLimiter>>,
}

/// The token endpoint at `/oauth/token`, relative to where it is mounted.
pub(crate) fn routes(state: &AppState) -> Router {
    let token_state = TokenState {
        app: state.clone(),
        limiter: state
            .config
            .rate_limit
            .map(|l| Arc::new(TenantLimiter::new(l))),
    };
    Router::new()
        .route("/oauth/token", post(token))
        .route_layer(axum::middleware::from_fn(crate::metrics::record))
        .method_not_allowed_fallback(crate::error::method_not_allowed)
        .with_state(token_state)
}

/// An RFC 6749 §5.2 error.
struct OAuthError {
    status: StatusCode,
    code: &'static str,
    description: &'static str,
    retry_after: Option<u64>,
}

impl OAuthError {
    fn invalid_request(description: &'static str) -> Self {
        OAuthError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_request",
            description,
            retry_after: None,
        }
    }

    fn invalid_client() -> Self {
        OAuthError {
            status: StatusCode::UNAUTHORIZED,
            code: "invalid_client",
            description: "client authentication failed",
            retry_after: None,
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.code, "error_description": self.description });
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        no_store(headers);
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"oauth\""),
            );
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// `POST /oauth/token`.
pub(crate) async fn token(State(state): State<TokenState>, request: Request) -> Response {
    match grant(&state, request).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn grant(state: &TokenState, request: Request) -> Result<Response, OAuthError> {
    let (parts, body) = request.into_parts();
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let bytes = axum::body::to_bytes(Body::new(body), MAX_FORM_BYTES)
        .await
        .map_err(|_| OAuthError::invalid_request("the body is too large or unreadable"))?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
        .map_err(|_| OAuthError::invalid_request("the body is not a valid form"))?;
    let mut form = std::collections::HashMap::new();
    for (name, value) in pairs {
        // RFC 6749 §3.2: parameters MUST NOT be repeated.
        if form.insert(name, value).is_some() {
            return Err(OAuthError::invalid_request("a parameter is repeated"));
        }
    }
    match form.get("grant_type").map(String::as_str) {
        None => return Err(OAuthError::invalid_request("grant_type is missing")),
        Some("client_credentials") => {}
        Some(_) => {
            return Err(OAuthError {
                status: StatusCode::BAD_REQUEST,
                code: "unsupported_grant_type",
                description: "only the client_credentials grant is supported",
                retry_after: None,
            });
        }
    }
    let in_body = (form.get("client_id"), form.get("client_secret"));
    let (client_id, secret) = match parts.headers.get(header::AUTHORIZATION) {
        Some(value) => {
            // One authentication method per request (§2.3).
            if in_body.1.is_some() {
                return Err(OAuthError::invalid_request(
                    "use either HTTP Basic or client_secret in the body, not both",
                ));
            }
            let (id, secret) = basic_credentials(value).ok_or_else(OAuthError::invalid_client)?;
            if in_body.0.is_some_and(|body_id| *body_id != id) {
                return Err(OAuthError::invalid_request(
                    "client_id differs from the HTTP Basic user",
                ));
            }
            (id, secret)
        }
        None => match in_body {
            (Some(id), Some(secret)) => (id.clone(), secret.clone()),
            _ => return Err(OAuthError::invalid_client()),
        },
    };
    if let Some(limiter) = &state.limiter
        && let Err(wait) = limiter.check(&format!("oauth-client:{client_id}"))
    {
        crate::metrics::rejected("rate_limited");
        return Err(OAuthError {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "slow_down",
            description: "too many token requests for this client; retry later",
            retry_after: Some(wait.as_secs().max(1)),
        });
    }
    match state.app.auth.issue_access_token(&client_id, &secret).await {
        Ok(issued) => {
            let body = json!({
                "access_token": issued.token,
                "token_type": "Bearer",
                "expires_in": issued.expires_in,
            });
            let mut response = (StatusCode::OK, axum::Json(body)).into_response();
            no_store(response.headers_mut());
            Ok(response)
        }
        Err(TokenError::InvalidClient) => {
            tracing::info!(client_id = %client_id, "token request refused: invalid client");
            Err(OAuthError::invalid_client())
        }
        Err(TokenError::Failed(err)) => {
            tracing::error!(error = %err, "cannot issue an access token");
            Err(OAuthError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "temporarily_unavailable",
                description: "the server cannot issue tokens right now; retry later",
                retry_after: Some(1),
            })
        }
    }
}

/// The client id and secret of an `Authorization: Basic` header: base64 of
/// `id:secret`, each form-urlencoded first (RFC 6749 §2.3.1).
fn basic_credentials(value: &HeaderValue) -> Option<(String, String)> {
    let (scheme, encoded) = value.to_str().ok()?.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(base64_decode(encoded.trim())?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let (id, secret) = (form_decode(id)?, form_decode(secret)?);
    (!id.is_empty() && !secret.is_empty()).then_some((id, secret))
}

/// Standard base64 with optional padding; `None` for anything else.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// `application/x-www-form-urlencoded` decoding of one value.
fn form_decode(text: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={text}")).ok()?;
    match pairs.as_slice() {
        [(_, value)] => Some(value.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(raw: &str) -> Option<(String, String)> {
        basic_credentials(&HeaderValue::from_str(raw).unwrap())
    }

    #[test]
    fn basic_credentials_are_base64_of_form_encoded_parts() {
        // "client-1:s3cr%3At+x" → the secret "s3cr:t x".
        assert_eq!(
            basic("Basic Y2xpZW50LTE6czNjciUzQXQreA=="),
            Some(("client-1".into(), "s3cr:t x".into()))
        );
        assert_eq!(
            basic("basic YTpi"),
            Some(("a".into(), "b".into())),
            "the scheme is case-insensitive"
        );
        for bad in [
            "Bearer YTpi",
            "Basic !!!",
            "Basic YQ==",
            "Basic OmI=",
            "Basic",
        ] {
            assert_eq!(basic(bad), None, "{bad}");
        }
    }

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVsbG8").unwrap(), b"hello");
        assert_eq!(base64_decode("").unwrap(), b"");
        assert!(base64_decode("aGV-bG8").is_none());
    }
}
