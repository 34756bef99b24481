//! Bearer-token authentication as a middleware layer.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use std::sync::Arc;

use crate::AppState;
use crate::error::ApiError;
use crate::limit::TenantLimiter;

/// Reads `Authorization: Bearer <token>`, resolves it to a principal and
/// hands the request on with the principal in its extensions. Anything
/// else is 401 with a SCIM Error body.
/// What the authentication layer needs.
#[derive(Clone)]
pub(crate) struct AuthState {
    pub(crate) app: AppState,
    pub(crate) limiter: Option<Arc<TenantLimiter>>,
}

pub(crate) async fn require_bearer(
    State(AuthState {
        app: state,
        limiter,
    }): State<AuthState>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(token) = bearer_token(request.headers()) else {
        return ApiError::unauthorized("a bearer token is required in the Authorization header")
            .into_response();
    };
    match state.auth.authenticate(token).await {
        Ok(principal) => {
            tracing::Span::current().record("tenant", principal.tenant_id.as_str());
            if let Some(wait) = limiter.and_then(|l| l.check(principal.tenant_id.as_str()).err()) {
                tracing::info!(wait_ms = wait.as_millis() as u64, "rate limited");
                crate::metrics::rejected("rate_limited");
                return ApiError::too_many_requests(wait).into_response();
            }
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(err) => ApiError::from(err).into_response(),
    }
}

/// The tenant of a request that may be anonymous, such as a discovery
/// request: `None` without a bearer token, the token's tenant with a valid
/// one, and 401 with an invalid one (a client that sends a token expects
/// it to count).
pub(crate) async fn optional_tenant(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<Option<scim_core::TenantId>, ApiError> {
    match bearer_token(headers) {
        None => Ok(None),
        Some(token) => {
            let principal = state.auth.authenticate(token).await?;
            tracing::Span::current().record("tenant", principal.tenant_id.as_str());
            Ok(Some(principal.tenant_id))
        }
    }
}

/// The token of an `Authorization: Bearer` header; the scheme name is
/// case-insensitive (RFC 7235 §2.1).
fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::bearer_token;
    use axum::http::{HeaderMap, HeaderValue, header};

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn reads_bearer_tokens_in_any_scheme_case() {
        assert_eq!(bearer_token(&headers("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&headers("bearer  abc ")), Some("abc"));
        assert_eq!(bearer_token(&headers("BEARER abc")), Some("abc"));
    }

    #[test]
    fn rejects_other_schemes_and_empty_tokens() {
        assert_eq!(bearer_token(&headers("Basic YTpi")), None);
        assert_eq!(bearer_token(&headers("Bearer")), None);
        assert_eq!(bearer_token(&headers("Bearer   ")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }
}
