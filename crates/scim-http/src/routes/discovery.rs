//! Discovery endpoints (RFC 7644 §4).

use axum::extract::State;
use axum::http::HeaderMap;
use scim_schema::ServiceProviderConfig;

use crate::AppState;
use crate::error::ApiError;
use crate::response::{ScimResponse, base_url};

/// `GET /ServiceProviderConfig`: what this server supports, truthfully.
pub(crate) async fn service_provider_config(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<ScimResponse, ApiError> {
    let mut config = ServiceProviderConfig::minimal(state.config.max_results);
    config.etag.supported = true;
    config.filter.supported = true;
    config.sort.supported = true;
    let mut body = serde_json::to_value(&config).map_err(|e| {
        ApiError::from(scim_core::Error::new(
            scim_core::ErrorKind::Internal,
            format!("cannot serialise the service provider config: {e}"),
        ))
    })?;
    body["meta"] = serde_json::json!({
        "resourceType": "ServiceProviderConfig",
        "location": format!("{}/ServiceProviderConfig", base_url(&state.config, &headers)),
    });
    Ok(ScimResponse::ok(body))
}
