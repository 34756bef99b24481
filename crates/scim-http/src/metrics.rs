//! Request metrics through the `metrics` facade.
//!
//! The crate records; the host decides where the figures go by installing
//! a recorder (the server exports them to Prometheus at `/metrics`).
//! Without a recorder every call is a no-op. Labels are bounded: the route
//! template, never the raw path, and no tenant names.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

/// Requests answered, by method, route template and status.
pub const REQUESTS: &str = "scim_http_requests_total";
/// Request latency in seconds, by method and route template.
pub const DURATION: &str = "scim_http_request_duration_seconds";
/// Requests refused before any work: `reason` is `rate_limited`,
/// `overloaded` or `timed_out`.
pub const REJECTED: &str = "scim_http_rejected_total";

/// Records one request's outcome and latency. Runs after routing, so the
/// route is the template (`/scim/v2/Users/{id}`), which keeps the label
/// set small.
pub(crate) async fn record(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(REQUESTS, "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(DURATION, "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Counts a request refused by a load limit.
pub(crate) fn rejected(reason: &'static str) {
    metrics::counter!(REJECTED, "reason" => reason).increment(1);
}
