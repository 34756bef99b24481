//! Discovery endpoints (RFC 7644 §4).

use axum::extract::State;

use crate::extract::{IdPath, QueryParams};
use axum::http::{HeaderMap, StatusCode};
use scim_schema::{ListResponse, ServiceProviderConfig, urn};
use serde_json::{Value, json};

use crate::AppState;
use crate::error::ApiError;
use crate::response::{ScimResponse, base_url};

/// `GET /ServiceProviderConfig`: what this server supports, truthfully.
pub(crate) async fn service_provider_config(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: QueryParams,
) -> Result<ScimResponse, ApiError> {
    refuse_filter(&params)?;
    let mut config = ServiceProviderConfig::minimal(state.config.max_results);
    config.etag.supported = true;
    config.filter.supported = true;
    config.patch.supported = true;
    config.sort.supported = true;
    // Both paging methods, index by default so that clients that predate
    // RFC 9865 see no change (its §2.4); cursors hold a position, not
    // server state, so they never expire and no cursorTimeout is given.
    config.pagination = Some(scim_schema::PaginationSupport {
        cursor: true,
        index: true,
        default_pagination_method: Some(scim_schema::PaginationMethod::Index),
        default_page_size: Some(state.config.max_results),
        max_page_size: Some(state.config.max_results),
        cursor_timeout: None,
    });
    config.bulk.supported = state.config.bulk_max_operations > 0;
    config.bulk.max_operations = saturate(state.config.bulk_max_operations);
    config.bulk.max_payload_size = state.config.bulk_max_payload_bytes as u64;
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

/// A limit as the `u32` the discovery document carries.
fn saturate(limit: usize) -> u32 {
    u32::try_from(limit).unwrap_or(u32::MAX)
}

/// The resource types served, in the order of `/ResourceTypes`: as the
/// caller's tenant sees them (with the extensions it adds) when the request
/// carries a token, as every tenant shares them otherwise.
async fn resource_types(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Vec<scim_schema::ResourceType>, ApiError> {
    let tenant = crate::auth::optional_tenant(state, headers).await?;
    let mut out = Vec::new();
    for service in state.services() {
        out.push(match &tenant {
            Some(tenant) => service.resource_type_for(tenant).await?,
            None => service.resource_type().clone(),
        });
    }
    Ok(out)
}

fn with_meta(mut body: Value, resource_type: &str, location: String) -> Value {
    body["meta"] = json!({"resourceType": resource_type, "location": location});
    body
}

fn serialise<T: serde::Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| {
        ApiError::from(scim_core::Error::new(
            scim_core::ErrorKind::Internal,
            format!("cannot serialise a discovery document: {e}"),
        ))
    })
}

fn resource_type_document(
    state: &AppState,
    headers: &HeaderMap,
    rt: &scim_schema::ResourceType,
) -> Result<Value, ApiError> {
    let location = format!(
        "{}/ResourceTypes/{}",
        base_url(&state.config, headers),
        rt.name
    );
    Ok(with_meta(
        serialise(&rt.definition())?,
        "ResourceType",
        location,
    ))
}

fn schema_document(
    state: &AppState,
    headers: &HeaderMap,
    schema: &scim_schema::SchemaDef,
) -> Result<Value, ApiError> {
    let mut body = serialise(schema)?;
    body["schemas"] = json!([urn::SCHEMA]);
    let location = format!("{}/Schemas/{}", base_url(&state.config, headers), schema.id);
    Ok(with_meta(body, "Schema", location))
}

fn list(resources: Vec<Value>) -> Result<ScimResponse, ApiError> {
    let total = resources.len() as u64;
    Ok(ScimResponse::ok(serialise(&ListResponse::new(
        resources, total, 1,
    ))?))
}

/// `GET /ResourceTypes`: the resource types this server serves.
pub(crate) async fn resource_type_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: QueryParams,
) -> Result<ScimResponse, ApiError> {
    refuse_filter(&params)?;
    let docs = resource_types(&state, &headers)
        .await?
        .iter()
        .map(|rt| resource_type_document(&state, &headers, rt))
        .collect::<Result<Vec<_>, _>>()?;
    list(docs)
}

/// `GET /ResourceTypes/{name}`.
pub(crate) async fn resource_type_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: QueryParams,
    IdPath(name): IdPath,
) -> Result<ScimResponse, ApiError> {
    refuse_filter(&params)?;
    let types = resource_types(&state, &headers).await?;
    let rt = types
        .iter()
        .find(|rt| rt.name.eq_ignore_ascii_case(&name))
        .ok_or_else(|| not_found("resource type", &name))?;
    Ok(ScimResponse::ok(resource_type_document(
        &state, &headers, rt,
    )?))
}

/// Every schema of the served resource types, base schemas first.
fn schemas(types: &[scim_schema::ResourceType]) -> Vec<&scim_schema::SchemaDef> {
    let mut out: Vec<&scim_schema::SchemaDef> = types.iter().map(|rt| &rt.schema).collect();
    for rt in types {
        for ext in &rt.extensions {
            if !out.iter().any(|s| s.id == ext.schema.id) {
                out.push(&ext.schema);
            }
        }
    }
    // The schemas of the discovery documents themselves (RFC 7643 §8.7.2),
    // so that a client can validate those too.
    out.extend(SERVICE_PROVIDER_SCHEMAS.iter());
    out
}

/// The schemas of `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas`.
static SERVICE_PROVIDER_SCHEMAS: std::sync::LazyLock<[scim_schema::SchemaDef; 3]> =
    std::sync::LazyLock::new(|| {
        [
            scim_schema::builtin::service_provider_config(),
            scim_schema::builtin::resource_type(),
            scim_schema::builtin::schema(),
        ]
    });

/// `GET /Schemas`: the schemas of the served resource types, then those
/// of the discovery documents.
pub(crate) async fn schema_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: QueryParams,
) -> Result<ScimResponse, ApiError> {
    refuse_filter(&params)?;
    let types = resource_types(&state, &headers).await?;
    let docs = schemas(&types)
        .into_iter()
        .map(|s| schema_document(&state, &headers, s))
        .collect::<Result<Vec<_>, _>>()?;
    list(docs)
}

/// `GET /Schemas/{uri}`.
pub(crate) async fn schema_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: QueryParams,
    IdPath(uri): IdPath,
) -> Result<ScimResponse, ApiError> {
    refuse_filter(&params)?;
    let types = resource_types(&state, &headers).await?;
    let schema = schemas(&types)
        .into_iter()
        .find(|s| s.id.eq_ignore_ascii_case(&uri))
        .ok_or_else(|| not_found("schema", &uri))?;
    Ok(ScimResponse::ok(schema_document(&state, &headers, schema)?))
}

/// Discovery documents cannot be filtered: RFC 7644 §4 asks for 403 so
/// that a client never takes an unfiltered answer for a filtered one.
fn refuse_filter(params: &QueryParams) -> Result<(), ApiError> {
    match params.get("filter") {
        Some(_) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            None,
            "discovery endpoints cannot be filtered",
        )),
        None => Ok(()),
    }
}

fn not_found(what: &str, name: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, None, format!("no {what} {name}"))
}
