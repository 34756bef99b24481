//! The admin HTTP API: what the `tenant`, `token`, `client`, `webhook`,
//! `events`, `audit` and `purge` commands do, over HTTP, for a SaaS
//! backend that onboards customers itself (create a tenant, hand its
//! customer the SCIM URL and token or an OAuth client, subscribe to its
//! events).
//!
//! It answers only requests bearing the admin token (`--admin-token`), on
//! its own listener (`--admin-listen`) or under `/admin` on the SCIM one.
//! Bodies are JSON in the shapes the commands print with `--json`; errors
//! are SCIM Error objects, as on the SCIM API, also for paths, queries
//! and bodies that do not parse. Tenants, tokens and extensions are here;
//! OAuth clients and trusted issuers in `oauth`, webhooks, the feeds and
//! purging in `outbox`.

mod oauth;
mod outbox;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, OriginalUri, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use chrono::{Duration, Utc};
use scim_adapter_seaorm::SeaOrmStore;
use scim_core::{
    AuthService, DeleteMode, DeliveryConfig, DuplicatePolicy, ErrorKind, IdpProfile,
    TenantPolicies, hash_token,
};
use scim_http::ApiError;
use scim_schema::{ResourceType, SchemaDef, ScimType, Strictness};
use serde::Deserialize;
use serde::de::DeserializeOwned;
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
    /// The OAuth token endpoint, for the client handover.
    pub(crate) token_endpoint: Arc<str>,
    /// The resource types served, which tenant extensions may extend.
    pub(crate) types: Arc<Vec<ResourceType>>,
    /// The store, for webhooks, the feeds and purging.
    pub(crate) store: Arc<SeaOrmStore>,
    /// How webhooks are delivered, which decides the status reported.
    pub(crate) delivery: DeliveryConfig,
}

/// The admin routes, under `/admin/v1`. The admin token is checked before
/// anything else, unknown routes and methods included, so that without it
/// nothing about the API can be learnt.
pub(crate) fn router(api: AdminApi) -> Router {
    let routes = Router::new()
        .route("/tenants", get(list_tenants).post(create_tenant))
        .route(
            "/tenants/{name}",
            get(show_tenant).patch(update_tenant).delete(delete_tenant),
        )
        .route("/tenants/{name}/tokens", get(list_tokens).post(issue_token))
        .route("/tenants/{name}/tokens/{id}", delete(revoke_token))
        .route("/tenants/{name}/tokens/{id}/rotate", post(rotate_token))
        .route("/tenants/{name}/extensions", get(list_extensions))
        .route(
            "/tenants/{name}/extensions/{schema}",
            put(put_extension).delete(delete_extension),
        )
        .route(
            "/tenants/{name}/clients",
            get(oauth::list_clients).post(oauth::create_client),
        )
        .route("/tenants/{name}/clients/{id}", delete(oauth::revoke_client))
        .route(
            "/tenants/{name}/trusts",
            get(oauth::list_trusts).post(oauth::add_trust),
        )
        .route(
            "/tenants/{name}/trusts/{issuer}",
            delete(oauth::remove_trust),
        )
        .route(
            "/tenants/{name}/webhooks",
            get(outbox::list_webhooks).post(outbox::create_webhook),
        )
        .route(
            "/tenants/{name}/webhooks/{id}",
            get(outbox::show_webhook).delete(outbox::delete_webhook),
        )
        .route(
            "/tenants/{name}/webhooks/{id}/attempts",
            get(outbox::webhook_attempts),
        )
        .route(
            "/tenants/{name}/webhooks/{id}/disable",
            post(outbox::disable_webhook),
        )
        .route(
            "/tenants/{name}/webhooks/{id}/enable",
            post(outbox::enable_webhook),
        )
        .route("/tenants/{name}/events", get(outbox::events))
        .route("/tenants/{name}/audit", get(outbox::audit))
        .route("/purge", post(outbox::purge))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(api.clone(), require_admin))
        .with_state(api);
    Router::new().nest("/admin/v1", routes)
}

/// Unknown routes of the admin API (and of its own listener).
pub(crate) async fn not_found(OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        None,
        format!("no admin route at {}", uri.path()),
    )
}

/// Known admin routes asked with a method they do not take.
async fn method_not_allowed(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        format!("{method} is not supported on {}", uri.path()),
    )
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
pub(crate) fn core(err: scim_core::Error) -> ApiError {
    ApiError::from(err)
}

/// 400 `invalidValue` with `detail`.
pub(crate) fn bad_request(detail: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        Some(ScimType::InvalidValue),
        detail,
    )
}

/// An extractor's rejection as a SCIM Error: 400 `invalidValue` for what
/// the client sent (the text says what), 413 kept, and a generic 500 for
/// the rest, which would be a bug of this module.
fn rejected(what: &str, status: StatusCode, text: &str) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            status,
            None,
            format!("{what} is larger than the server accepts"),
        )
    } else if status.is_client_error() {
        bad_request(format!("{what} is not valid: {text}"))
    } else {
        tracing::error!(%status, rejection = text, "an admin route cannot extract its input");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            "an internal error occurred; the server log has the details",
        )
    }
}

/// Path parameters, percent-decoded; a segment that is not UTF-8 once
/// decoded (`%FF`) is a SCIM Error, not axum's plain-text rejection.
pub(crate) struct Params<T>(pub(crate) T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Params(value)),
            Err(r) => Err(rejected("the path", r.status(), &r.body_text())),
        }
    }
}

/// Query parameters, with a SCIM Error for ones that do not parse
/// (`limit=abc`) or that the route does not take.
pub(crate) struct QueryParams<T>(pub(crate) T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(QueryParams(value)),
            Err(r) => Err(rejected("the query", r.status(), &r.body_text())),
        }
    }
}

/// A JSON body of type `T` (an empty body reads as `{}`), with a SCIM
/// Error for anything else: unreadable or oversized bodies, bad JSON,
/// unknown members, wrong types.
pub(crate) struct Body<T>(pub(crate) T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|r| rejected("the body", r.status(), &r.body_text()))?;
        parse(&bytes).map(Body)
    }
}

/// `bytes` as a JSON object read as `T`; blank reads as `{}`.
fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let invalid = |detail: String| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            Some(ScimType::InvalidSyntax),
            detail,
        )
    };
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => {
            return serde_json::from_slice(b"{}")
                .map_err(|e| invalid(format!("this route needs a body: {e}")));
        }
        // serde reads a struct from an array too: `["acme"]` would name a tenant.
        Some(b'{') => {}
        Some(_) => return Err(invalid("the body must be a JSON object".to_owned())),
    }
    serde_json::from_slice(bytes)
        .map_err(|e| invalid(format!("the body is not what this route takes: {e}")))
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
    Body(request): Body<NewTenant>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
    Params(name): Params<String>,
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
    Params(name): Params<String>,
    Body(changes): Body<serde_json::Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
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
    Params(name): Params<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = api.auth.delete_tenant(&name).await.map_err(core)?;
    Ok(Json(json!({ "deleted": tenant_json(&tenant) })))
}

async fn list_tokens(
    State(api): State<AdminApi>,
    Params(name): Params<String>,
) -> Result<Json<Value>, ApiError> {
    let tokens = api.auth.tokens(&name).await.map_err(core)?;
    let now = Utc::now();
    Ok(Json(Value::Array(
        tokens.iter().map(|c| credential_json(c, now)).collect(),
    )))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewToken {
    #[serde(default)]
    expires_in_days: Option<u32>,
}

async fn issue_token(
    State(api): State<AdminApi>,
    Params(name): Params<String>,
    Body(request): Body<NewToken>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let expires = in_days(request.expires_in_days)?;
    let issued = api.auth.issue_token(&name, expires).await.map_err(core)?;
    Ok((StatusCode::CREATED, Json(new_token_value(&issued, None))))
}

async fn revoke_token(
    State(api): State<AdminApi>,
    Params((name, id)): Params<(String, String)>,
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
    Params((name, id)): Params<(String, String)>,
    Body(request): Body<Rotation>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
    Params(name): Params<String>,
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
    Params((name, schema)): Params<(String, String)>,
    Body(request): Body<NewExtension>,
) -> Result<Json<Value>, ApiError> {
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
    Params((name, schema)): Params<(String, String)>,
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
    use super::*;

    #[test]
    fn bodies_are_json_of_the_routes_shape_and_blank_is_empty() {
        let token: NewToken = parse(b" \n").unwrap();
        assert_eq!(token.expires_in_days, None);
        let token: NewToken = parse(br#"{"expiresInDays": 3}"#).unwrap();
        assert_eq!(token.expires_in_days, Some(3));
        for wrong in [
            &br#"{"expiresInDays": "3"}"#[..],
            br#"{"expiresInDays": -1}"#,
            br#"{"expires": 3}"#,
            br#"[]"#,
            br#"[3]"#,
            br#"3"#,
            b"{",
            b"\xff",
        ] {
            let err = parse::<NewToken>(wrong).unwrap_err();
            assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        }
    }

    #[test]
    fn rejections_are_the_clients_fault_or_generic() {
        let err = rejected("the path", StatusCode::BAD_REQUEST, "not UTF-8");
        assert_eq!(err, bad_request("the path is not valid: not UTF-8"));
        let err = rejected("the body", StatusCode::PAYLOAD_TOO_LARGE, "too big");
        assert_eq!(err.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let err = rejected("the path", StatusCode::INTERNAL_SERVER_ERROR, "no params");
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!format!("{err:?}").contains("no params"));
    }

    #[test]
    fn comparison_needs_equal_bytes() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
    }
}
