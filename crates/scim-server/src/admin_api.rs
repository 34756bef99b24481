//! The admin HTTP API: what the `tenant` and `token` commands do, over
//! HTTP, for a SaaS backend that onboards customers itself (create a
//! tenant, hand its customer the SCIM URL and token).
//!
//! It answers only requests bearing the admin token (`--admin-token`), on
//! its own listener (`--admin-listen`) or under `/admin` on the SCIM one.
//! Bodies are JSON in the shapes the commands print with `--json`; errors
//! are SCIM Error objects, as on the SCIM API.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{Duration, Utc};
use scim_core::{
    AuthService, DeleteMode, DuplicatePolicy, ErrorKind, IdpProfile, TenantPolicies, hash_token,
};
use scim_http::ApiError;
use scim_schema::{ResourceType, SchemaDef, ScimType, Strictness};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::admin::{
    add_extension, credential_json, describe_json, extensions_json, new_token_value,
    tenant_extension, tenant_json,
};

/// What the admin handlers share.
#[derive(Clone)]
pub(crate) struct AdminApi {
    pub(crate) auth: Arc<AuthService>,
    /// SHA-256 of the admin token, as [`hash_token`] writes it.
    pub(crate) token_hash: Arc<str>,
    /// The SCIM base URL customers configure, for the tenant handover.
    pub(crate) scim_url: Arc<str>,
    /// The resource types served, which tenant extensions may extend.
    pub(crate) types: Arc<Vec<ResourceType>>,
}

/// The admin routes, under `/admin/v1`.
pub(crate) fn router(api: AdminApi) -> Router {
    let routes = Router::new()
        .route("/tenants", get(list_tenants).post(create_tenant))
        .route(
            "/tenants/{name}",
            get(show_tenant).patch(update_tenant).delete(delete_tenant),
        )
        .route("/tenants/{name}/tokens", get(list_tokens).post(issue_token))
        .route(
            "/tenants/{name}/tokens/{id}",
            axum::routing::delete(revoke_token),
        )
        .route("/tenants/{name}/tokens/{id}/rotate", post(rotate_token))
        .route("/tenants/{name}/extensions", get(list_extensions))
        .route(
            "/tenants/{name}/extensions/{schema}",
            put(put_extension).delete(delete_extension),
        )
        .route_layer(middleware::from_fn_with_state(api.clone(), require_admin))
        .with_state(api);
    Router::new().nest("/admin/v1", routes)
}

/// Unknown routes of the admin API's own listener.
pub(crate) async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, None, "no such admin route")
}

/// Lets through only requests bearing the admin token.
async fn require_admin(State(api): State<AdminApi>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| hash_token(token.trim()));
    match presented {
        Some(hash) if same(hash.as_bytes(), api.token_hash.as_bytes()) => next.run(request).await,
        _ => ApiError::new(
            StatusCode::UNAUTHORIZED,
            None,
            "the admin token is required in the Authorization header",
        )
        .into_response(),
    }
}

/// Equality in time independent of where the inputs differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A core error as an admin API error. Names the operator got wrong are
/// 400 with the reason; unknown tenants and credentials 404.
fn core(err: scim_core::Error) -> ApiError {
    ApiError::from(err)
}

fn bad_request(detail: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        Some(ScimType::InvalidValue),
        detail,
    )
}

/// A JSON body, with a SCIM Error for anything else.
fn body<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    let text = if text.trim().is_empty() { "{}" } else { text };
    serde_json::from_str(text).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            Some(ScimType::InvalidSyntax),
            format!("the body is not what this route takes: {e}"),
        )
    })
}

fn in_days(days: Option<u32>) -> Result<Option<chrono::DateTime<Utc>>, ApiError> {
    match days {
        None => Ok(None),
        Some(0) => Err(bad_request("expiresInDays must be at least 1")),
        Some(d) => Utc::now()
            .checked_add_signed(Duration::days(i64::from(d)))
            .map(Some)
            .ok_or_else(|| bad_request(format!("{d} days is too far in the future"))),
    }
}

async fn list_tenants(State(api): State<AdminApi>) -> Result<Json<Value>, ApiError> {
    let tenants = api.auth.tenants().await.map_err(core)?;
    Ok(Json(Value::Array(
        tenants.iter().map(tenant_json).collect(),
    )))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewTenant {
    name: String,
    #[serde(default)]
    token_expires_in_days: Option<u32>,
}

async fn create_tenant(
    State(api): State<AdminApi>,
    text: String,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request: NewTenant = body(&text)?;
    let expires = in_days(request.token_expires_in_days)?;
    let created = api
        .auth
        .create_tenant(&request.name, None, expires)
        .await
        .map_err(core)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "tenant": tenant_json(&created.tenant),
            "scimUrl": api.scim_url.as_ref(),
            "token": created.token.token,
            "credential": credential_json(&created.credential, Utc::now()),
        })),
    ))
}

async fn describe(api: &AdminApi, name: &str) -> Result<Value, ApiError> {
    let tenant = api.auth.tenant(name).await.map_err(core)?;
    let policies = api.auth.policies(name).await.map_err(core)?;
    let tokens = api.auth.tokens(name).await.map_err(core)?;
    Ok(describe_json(&tenant, &policies, &tokens))
}

async fn show_tenant(
    State(api): State<AdminApi>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(describe(&api, &name).await?))
}

/// A policy in a PATCH body: absent leaves it, `null` unsets it.
fn choice<T>(
    body: &serde_json::Map<String, Value>,
    key: &str,
    parse: impl Fn(&str) -> Option<T>,
    current: &mut Option<T>,
) -> Result<(), ApiError> {
    match body.get(key) {
        None => Ok(()),
        Some(Value::Null) => {
            *current = None;
            Ok(())
        }
        Some(Value::String(s)) => {
            *current =
                Some(parse(s).ok_or_else(|| bad_request(format!("{key}: unknown value {s:?}")))?);
            Ok(())
        }
        Some(other) => Err(bad_request(format!(
            "{key} must be a string or null, not {other}"
        ))),
    }
}

async fn update_tenant(
    State(api): State<AdminApi>,
    Path(name): Path<String>,
    text: String,
) -> Result<Json<Value>, ApiError> {
    let changes: serde_json::Map<String, Value> = body(&text)?;
    const KNOWN: [&str; 4] = ["duplicates", "deleteMode", "strictness", "idp"];
    if let Some(unknown) = changes.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(bad_request(format!(
            "unknown policy {unknown:?}; the policies are {}",
            KNOWN.join(", ")
        )));
    }
    let mut policies: TenantPolicies = api.auth.policies(&name).await.map_err(core)?;
    choice(
        &changes,
        "duplicates",
        DuplicatePolicy::parse,
        &mut policies.duplicates,
    )?;
    choice(
        &changes,
        "deleteMode",
        DeleteMode::parse,
        &mut policies.delete_mode,
    )?;
    choice(
        &changes,
        "strictness",
        |s| match s {
            "lenient" => Some(Strictness::Lenient),
            "strict" => Some(Strictness::Strict),
            _ => None,
        },
        &mut policies.strictness,
    )?;
    choice(&changes, "idp", IdpProfile::parse, &mut policies.idp)?;
    api.auth.set_policies(&name, policies).await.map_err(core)?;
    Ok(Json(describe(&api, &name).await?))
}

async fn delete_tenant(
    State(api): State<AdminApi>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = api.auth.delete_tenant(&name).await.map_err(core)?;
    Ok(Json(json!({ "deleted": tenant_json(&tenant) })))
}

async fn list_tokens(
    State(api): State<AdminApi>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tokens = api.auth.tokens(&name).await.map_err(core)?;
    let now = Utc::now();
    Ok(Json(Value::Array(
        tokens.iter().map(|c| credential_json(c, now)).collect(),
    )))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewToken {
    #[serde(default)]
    expires_in_days: Option<u32>,
}

async fn issue_token(
    State(api): State<AdminApi>,
    Path(name): Path<String>,
    text: String,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request: NewToken = body(&text)?;
    let expires = in_days(request.expires_in_days)?;
    let issued = api.auth.issue_token(&name, expires).await.map_err(core)?;
    Ok((StatusCode::CREATED, Json(new_token_value(&issued, None))))
}

async fn revoke_token(
    State(api): State<AdminApi>,
    Path((name, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let revoked = api.auth.revoke_token(&name, &id).await.map_err(core)?;
    Ok(Json(credential_json(&revoked, Utc::now())))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Rotation {
    #[serde(default = "default_grace_hours")]
    grace_hours: u32,
    #[serde(default)]
    expires_in_days: Option<u32>,
}

fn default_grace_hours() -> u32 {
    24
}

async fn rotate_token(
    State(api): State<AdminApi>,
    Path((name, id)): Path<(String, String)>,
    text: String,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request: Rotation = body(&text)?;
    let expires = in_days(request.expires_in_days)?;
    let grace = Duration::hours(i64::from(request.grace_hours));
    let rotation = api
        .auth
        .rotate_token(&name, &id, grace, expires)
        .await
        .map_err(core)?;
    Ok((
        StatusCode::CREATED,
        Json(new_token_value(&rotation.new, Some(&rotation.previous))),
    ))
}

async fn list_extensions(
    State(api): State<AdminApi>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let policies = api.auth.policies(&name).await.map_err(core)?;
    // An unknown tenant has no policies; say so rather than list nothing.
    api.auth.tenant(&name).await.map_err(core)?;
    Ok(Json(extensions_json(&policies)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewExtension {
    #[serde(default = "default_resource_type")]
    resource_type: String,
    #[serde(default)]
    required: bool,
    schema: SchemaDef,
}

fn default_resource_type() -> String {
    "User".to_owned()
}

async fn put_extension(
    State(api): State<AdminApi>,
    Path((name, schema)): Path<(String, String)>,
    text: String,
) -> Result<Json<Value>, ApiError> {
    let request: NewExtension = body(&text)?;
    if !request.schema.id.eq_ignore_ascii_case(&schema) {
        return Err(bad_request(format!(
            "the schema's id {} is not the one in the path, {schema}",
            request.schema.id
        )));
    }
    let extension = tenant_extension(
        &api.types,
        request.schema,
        &request.resource_type,
        request.required,
    )
    .map_err(|e| bad_request(e.0))?;
    let mut policies = api.auth.policies(&name).await.map_err(core)?;
    add_extension(&mut policies, extension);
    api.auth
        .set_policies(&name, policies.clone())
        .await
        .map_err(core)?;
    Ok(Json(extensions_json(&policies)))
}

async fn delete_extension(
    State(api): State<AdminApi>,
    Path((name, schema)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let mut policies = api.auth.policies(&name).await.map_err(core)?;
    let before = policies.extensions.len();
    policies
        .extensions
        .retain(|e| !e.schema.id.eq_ignore_ascii_case(&schema));
    if policies.extensions.len() == before {
        return Err(core(scim_core::Error::new(
            ErrorKind::NotFound,
            format!("tenant {name} has no extension {schema}"),
        )));
    }
    api.auth
        .set_policies(&name, policies.clone())
        .await
        .map_err(core)?;
    Ok(Json(extensions_json(&policies)))
}

#[cfg(test)]
mod tests {
    use super::same;

    #[test]
    fn comparison_needs_equal_bytes() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
    }
}
