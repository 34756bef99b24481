//! The SCIM 2.0 HTTP protocol surface over axum.
//!
//! [`router`] builds an axum [`Router`] serving the SCIM endpoints under a
//! base path (default `/scim/v2`) on top of `scim-core`'s services. It can
//! be served on its own or nested into a host application's router.
//!
//! It also serves the OAuth 2.0 token endpoint, `POST /oauth/token` (and
//! `{base}/oauth/token`), where a tenant's OAuth clients trade their
//! credentials for access tokens (client credentials grant).
//!
//! Architecture invariants:
//! - this is the only crate that knows HTTP status codes and headers;
//! - every response that is not a success carries a SCIM Error body
//!   (`urn:ietf:params:scim:api:messages:2.0:Error`), including unknown
//!   routes, unsupported methods, bad content types and oversized bodies;
//!   only the token endpoint answers in OAuth's format (RFC 6749 §5);
//! - handlers never run without a resolved [`scim_core::Principal`]: the
//!   tenant comes from the credential, never from the URL;
//! - with [`AppState::audit`] set, every mutating request that reached its
//!   handler is recorded in the audit log, and a failure to record never
//!   changes the answer.
#![deny(missing_docs)]

mod audit;
mod auth;
mod error;
mod extract;
mod limit;
pub mod metrics;
mod oauth;
mod response;
mod routes;

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::Request;
use scim_core::{AuditService, AuthService, ResourceService};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use error::ApiError;
pub use limit::RateLimit;

/// The media type of every SCIM response (RFC 7644 §3.1).
pub const SCIM_CONTENT_TYPE: &str = "application/scim+json; charset=utf-8";

/// Settings of the HTTP surface.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Where the SCIM endpoints are mounted, e.g. `/scim/v2`. No trailing slash.
    pub base_path: String,
    /// The externally visible origin (e.g. `https://scim.example.com`), used
    /// for `Location` and `meta.location`. When `None`, the request's `Host`
    /// header is used with plain `http`.
    pub public_url: Option<String>,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The most resources a list response returns (advertised as `filter.maxResults`).
    pub max_results: u32,
    /// Each tenant's request budget; `None` for no limit.
    pub rate_limit: Option<RateLimit>,
    /// The longest a request may take before it is abandoned (its
    /// transaction rolls back) and answered 503.
    pub request_timeout: std::time::Duration,
    /// The most requests served at once; more answer 503 at once instead
    /// of queueing without bound.
    pub max_concurrent_requests: usize,
    /// The most operations one `/Bulk` request may carry (advertised as
    /// `bulk.maxOperations`); 0 switches `/Bulk` off.
    pub bulk_max_operations: usize,
    /// The largest `/Bulk` request body accepted, in bytes (advertised as
    /// `bulk.maxPayloadSize`). Bulk requests carry many resources, so this
    /// is separate from `max_body_bytes`.
    pub bulk_max_payload_bytes: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            base_path: "/scim/v2".to_owned(),
            public_url: None,
            max_body_bytes: 1024 * 1024,
            max_results: 1000,
            rate_limit: Some(RateLimit {
                per_second: NonZeroU32::new(100).unwrap_or(NonZeroU32::MIN),
                burst: NonZeroU32::new(200).unwrap_or(NonZeroU32::MIN),
            }),
            request_timeout: std::time::Duration::from_secs(30),
            max_concurrent_requests: 512,
            bulk_max_operations: 1000,
            bulk_max_payload_bytes: 4 * 1024 * 1024,
        }
    }
}

/// What the handlers need: the core services and the HTTP settings.
#[derive(Clone)]
pub struct AppState {
    /// The User service.
    pub users: Arc<ResourceService>,
    /// The Group service.
    pub groups: Arc<ResourceService>,
    /// The services of configured resource types, each served at its
    /// resource type's endpoint.
    pub custom: Vec<Arc<ResourceService>>,
    /// Credential resolution.
    pub auth: Arc<AuthService>,
    /// The audit log every mutating request (POST, PUT, PATCH, DELETE,
    /// Bulk) is recorded in; `None` records nothing.
    pub audit: Option<Arc<AuditService>>,
    /// HTTP settings.
    pub config: Arc<HttpConfig>,
}

impl AppState {
    /// The service for `kind`; 404 when this server does not serve it.
    pub fn service(&self, kind: scim_core::ResourceKind) -> Result<&ResourceService, ApiError> {
        self.services()
            .find(|s| s.kind() == kind)
            .map(Arc::as_ref)
            .ok_or_else(|| {
                scim_core::Error::new(
                    scim_core::ErrorKind::NotFound,
                    format!("this server serves no resource type {kind}"),
                )
                .into()
            })
    }

    /// Every resource service: Users, Groups, then the configured ones.
    pub fn services(&self) -> impl Iterator<Item = &Arc<ResourceService>> {
        [&self.users, &self.groups].into_iter().chain(&self.custom)
    }
}

/// The SCIM router: every endpoint under `state.config.base_path`, plus
/// SCIM-shaped answers for unknown routes and unsupported methods.
pub fn router(state: AppState) -> Router {
    let base = state.config.base_path.trim_end_matches('/').to_owned();
    let limit = state.config.max_body_bytes;
    let scim = routes::routes(state.clone());
    // The token endpoint lives at the server root, where OAuth clients
    // look for it, and under the base path for clients configured with
    // the SCIM URL only.
    let tokens = oauth::routes(&state);
    let app = if base.is_empty() {
        scim.merge(tokens)
    } else {
        Router::new()
            .nest(&base, scim.merge(tokens.clone()))
            .merge(tokens)
    };
    // Outermost first: give every request an id (or keep the caller's),
    // open one span per request carrying it, and echo it in the response.
    let guard = limit::Guard::new(
        state.config.request_timeout,
        state.config.max_concurrent_requests,
    );
    app.fallback(error::not_found_route)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(guard, limit::guard))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let id = request
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        request_id = %id,
                        tenant = tracing::field::Empty,
                    )
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

#[cfg(test)]
mod tests;
