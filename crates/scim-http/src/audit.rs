//! The audit middleware: one audit entry per mutating SCIM request.
//!
//! It runs inside the bearer-token layer, so the [`Principal`] is known,
//! and records after the handler answered: the method, the path (never the
//! query or the body), the resource type and id when known, the status and
//! the request id. Recording failures are logged and never change the
//! answer. Requests refused before the handler (401, 429, or abandoned on
//! the request timeout) are not recorded.

use axum::extract::{OriginalUri, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;
use scim_core::{AuditRequest, Principal, ResourceKind};

use crate::AppState;

/// Records the request after its answer, when it changes data.
pub(crate) async fn record(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mutating = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let path = request
        .extensions()
        .get::<OriginalUri>()
        .map_or_else(|| request.uri().path(), |uri| uri.path())
        .to_owned();
    // `.search` is a POST that only reads.
    let (Some(audit), Some(principal), true) = (
        state.audit.clone(),
        request.extensions().get::<Principal>().cloned(),
        mutating && !path.ends_with("/.search"),
    ) else {
        return next.run(request).await;
    };
    let method = request.method().clone();
    let kind = request.extensions().get::<ResourceKind>().copied();
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    // PUT, PATCH and DELETE name their resource in the path.
    let named = (kind.is_some() && method != Method::POST)
        .then(|| last_segment(&path))
        .flatten();

    let response = next.run(request).await;

    let resource_id = named.or_else(|| {
        // A create tells its new id in `Location`.
        (kind.is_some() && response.status().is_success())
            .then(|| response.headers().get(header::LOCATION))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(last_segment)
    });
    let entry = AuditRequest {
        request_id,
        method: method.as_str().to_owned(),
        path,
        resource_type: kind.map(|k| k.as_str().to_owned()),
        resource_id,
        status: response.status().as_u16(),
    };
    if let Err(err) = audit.record(&principal, entry).await {
        tracing::warn!(error = %err, "cannot record the audit entry of a request");
    }
    response
}

/// The last non-empty segment of a path or URL, without a query.
fn last_segment(path: &str) -> Option<String> {
    path.split(['?', '#'])
        .next()?
        .rsplit('/')
        .find(|s| !s.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::last_segment;

    #[test]
    fn the_last_segment_is_the_id() {
        assert_eq!(last_segment("/scim/v2/Users/abc").as_deref(), Some("abc"));
        assert_eq!(
            last_segment("http://h/scim/v2/Users/abc/?x=1").as_deref(),
            Some("abc")
        );
        assert_eq!(last_segment("/").as_deref(), None);
    }
}
