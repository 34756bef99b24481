//! Load limits: a token bucket per tenant, a bound on requests in
//! flight, and a deadline per request.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::error::ApiError;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// A tenant's request budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub per_second: NonZeroU32,
    /// Requests allowed at once above the sustained rate.
    pub burst: NonZeroU32,
}

/// Token buckets keyed by tenant id.
pub(crate) struct TenantLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl TenantLimiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        let quota = Quota::per_second(limit.per_second).allow_burst(limit.burst);
        TenantLimiter {
            limiter: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
        }
    }

    /// `Ok` when the tenant may proceed, or how long it should wait.
    pub(crate) fn check(&self, tenant: &str) -> Result<(), Duration> {
        self.limiter
            .check_key(&tenant.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

/// The bound on requests in flight and the per-request deadline.
#[derive(Clone)]
pub(crate) struct Guard {
    timeout: Duration,
    slots: Arc<Semaphore>,
}

impl Guard {
    pub(crate) fn new(timeout: Duration, max_concurrent: usize) -> Self {
        Guard {
            timeout,
            slots: Arc::new(Semaphore::new(max_concurrent.max(1))),
        }
    }
}

/// Sheds load beyond the concurrency bound at once, and abandons requests
/// that overrun their deadline: both answer 503 with a SCIM Error and
/// `Retry-After`. Dropping an overrun request rolls its transaction back.
pub(crate) async fn guard(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let Ok(_slot) = guard.slots.clone().try_acquire_owned() else {
        crate::metrics::rejected("overloaded");
        return ApiError::unavailable("the server is at capacity; retry shortly").into_response();
    };
    match tokio::time::timeout(guard.timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            crate::metrics::rejected("timed_out");
            tracing::warn!(
                timeout_ms = guard.timeout.as_millis() as u64,
                "request abandoned"
            );
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                "the request took too long and was abandoned; nothing was changed",
            )
            .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tenant_has_its_own_bucket() {
        let one = NonZeroU32::MIN;
        let limiter = TenantLimiter::new(RateLimit {
            per_second: one,
            burst: NonZeroU32::new(2).unwrap(),
        });
        assert!(limiter.check("a").is_ok());
        assert!(limiter.check("a").is_ok());
        let wait = limiter.check("a").unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        assert!(
            limiter.check("b").is_ok(),
            "another tenant is not slowed down"
        );
    }

    async fn slow_app(guard: Guard) -> axum::Router {
        axum::Router::new()
            .route(
                "/slow",
                axum::routing::get(|| async {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    "done"
                }),
            )
            .layer(axum::middleware::from_fn_with_state(guard, super::guard))
    }

    async fn status_and_body(app: axum::Router) -> (StatusCode, serde_json::Value) {
        use tower::ServiceExt;
        let request = axum::http::Request::builder()
            .uri("/slow")
            .body(axum::body::Body::empty())
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    #[tokio::test]
    async fn overrunning_requests_are_abandoned_with_a_scim_503() {
        let app = slow_app(Guard::new(Duration::from_millis(20), 8)).await;
        let (status, body) = status_and_body(app).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["status"], "503");
        assert!(body["detail"].as_str().unwrap().contains("took too long"));
    }

    #[tokio::test]
    async fn requests_beyond_the_bound_are_shed_at_once() {
        let app = slow_app(Guard::new(Duration::from_secs(5), 1)).await;
        let first = tokio::spawn(status_and_body(app.clone()));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (status, body) = status_and_body(app).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body["detail"].as_str().unwrap().contains("capacity"));
        assert_eq!(first.await.unwrap().0, StatusCode::OK);
    }
}
