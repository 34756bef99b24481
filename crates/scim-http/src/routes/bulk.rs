//! `POST /Bulk` (RFC 7644 §3.7): many operations in one request.
//!
//! The core's [`BulkService`] runs the operations and resolves `bulkId`
//! references; this handler enforces `maxOperations` (the body size limit
//! is a layer on the route) and turns each outcome into a result with the
//! status, `location` and `version` the client would have seen for the
//! single request.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use scim_core::{BulkDone, BulkOutcome, BulkService};
use scim_schema::{BulkOperationResult, BulkRequest, BulkResponse};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Authenticated, ScimJson};
use crate::response::{ScimResponse, base_url};

/// `POST /Bulk`: 200 with a BulkResponse listing each operation's result,
/// 413 over `maxOperations`, 400 when the body is not a BulkRequest.
pub(crate) async fn bulk(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    headers: HeaderMap,
    ScimJson(body): ScimJson,
) -> Result<ScimResponse, ApiError> {
    let max = state.config.bulk_max_operations;
    if max == 0 {
        return Err(ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            None,
            "bulk operations are switched off on this server",
        ));
    }
    let request: BulkRequest = serde_json::from_value(body)
        .map_err(|e| ApiError::invalid_syntax(format!("the body is not a BulkRequest: {e}")))?;
    if request.operations.len() > max {
        // RFC 7644 §3.7.4: too many operations is answered like too large a body.
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            format!(
                "the request has {} operations; maxOperations is {max}",
                request.operations.len()
            ),
        ));
    }
    let service = BulkService::new(state.services().cloned());
    let outcomes = service.execute(&principal, &request).await?;
    let base = base_url(&state.config, &headers);
    let results = outcomes
        .into_iter()
        .map(|outcome| result(&state, &base, outcome))
        .collect();
    let body = serde_json::to_value(BulkResponse::new(results)).map_err(|e| {
        ApiError::from(scim_core::Error::new(
            scim_core::ErrorKind::Internal,
            format!("cannot serialise the bulk response: {e}"),
        ))
    })?;
    Ok(ScimResponse::ok(body))
}

/// One operation's result as the client sees it. Successful operations
/// carry no body (RFC 7644 §3.7.3 lets the server omit it); failed ones
/// carry their SCIM Error.
fn result(state: &AppState, base: &str, outcome: BulkOutcome) -> BulkOperationResult {
    let location = outcome.target.as_ref().and_then(|(kind, id)| {
        let service = state.service(*kind).ok()?;
        Some(format!("{base}{}/{id}", service.resource_type().endpoint))
    });
    let (status, version, response) = match outcome.result {
        Ok(BulkDone::Created(resource)) => (StatusCode::CREATED, Some(resource.etag()), None),
        Ok(BulkDone::Updated(resource)) => (StatusCode::OK, Some(resource.etag()), None),
        Ok(BulkDone::Deleted) => (StatusCode::NO_CONTENT, None, None),
        Err(err) => {
            let err = ApiError::from(err);
            let body = serde_json::to_value(err.body()).ok();
            (err.status(), None, body)
        }
    };
    BulkOperationResult {
        method: outcome.method,
        bulk_id: outcome.bulk_id,
        version,
        location,
        status: status.as_u16().to_string(),
        response,
    }
}
