//! The route table.

mod bulk;
mod discovery;
mod resources;

use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{any, get, post};
use axum::{Extension, Router};
use scim_core::{Error, ErrorKind, ResourceService};

use crate::error::{ApiError, method_not_allowed};
use std::sync::Arc;

use crate::limit::TenantLimiter;
use crate::{AppState, auth};

/// Every SCIM route, relative to the base path.
pub(crate) fn routes(state: AppState) -> Router {
    let audit = middleware::from_fn_with_state(state.clone(), crate::audit::record);
    let kind_routes = |service: &Arc<ResourceService>| {
        let endpoint = service.resource_type().endpoint.clone();
        Router::new()
            .route(&endpoint, get(resources::list).post(resources::create))
            .route(&format!("{endpoint}/.search"), post(resources::search))
            .route(
                &format!("{endpoint}/{{id}}"),
                get(resources::get)
                    .delete(resources::delete)
                    .put(resources::replace)
                    .patch(resources::patch),
            )
            // Inside the kind's extension, so that the audit knows the type.
            .route_layer(audit.clone())
            .route_layer(Extension(service.kind()))
    };
    let protected = state
        .services()
        .fold(Router::new(), |router, service| {
            router.merge(kind_routes(service))
        })
        .route(
            "/Bulk",
            post(bulk::bulk)
                .route_layer(audit.clone())
                .route_layer(DefaultBodyLimit::max(state.config.bulk_max_payload_bytes)),
        )
        // Not offered yet: answered with a SCIM Error rather than a 404.
        .route("/.search", post(resources::search_all))
        .route("/Me", any(not_implemented))
        .route_layer(middleware::from_fn_with_state(
            auth::AuthState {
                app: state.clone(),
                limiter: state
                    .config
                    .rate_limit
                    .map(|l| Arc::new(TenantLimiter::new(l))),
            },
            auth::require_bearer,
        ));
    // Discovery documents describe the server, not a tenant's data; clients
    // read them before they hold a token.
    let public = Router::new()
        .route(
            "/ServiceProviderConfig",
            get(discovery::service_provider_config),
        )
        .route("/ResourceTypes", get(discovery::resource_type_list))
        .route("/ResourceTypes/{name}", get(discovery::resource_type_one))
        .route("/Schemas", get(discovery::schema_list))
        .route("/Schemas/{uri}", get(discovery::schema_one));
    public
        .merge(protected)
        .route_layer(middleware::from_fn(crate::metrics::record))
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// Operations this server does not offer yet answer 501 with a SCIM Error.
async fn not_implemented() -> ApiError {
    Error::new(
        ErrorKind::NotImplemented,
        "this operation is not implemented by this server",
    )
    .into()
}
