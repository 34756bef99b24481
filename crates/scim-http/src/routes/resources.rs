//! `/Users` and `/Groups`: create, list, read, replace and delete.
//!
//! The handlers serve every resource kind; the route table tells them
//! which through an `Extension<ResourceKind>`.

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use scim_core::{
    Fields, ListRequest, ResourceKind, ResourceService, StoredResource, TenantId, TenantScope,
    parse_etag,
};
use scim_schema::{ListResponse, SearchRequest};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Authenticated, IdPath, QueryParams, ScimJson};
use crate::response::{ScimResponse, base_url};

fn location(state: &AppState, headers: &HeaderMap, service: &ResourceService, id: &str) -> String {
    format!(
        "{}{}/{id}",
        base_url(&state.config, headers),
        service.resource_type().endpoint
    )
}

/// One resource as a response: rendered with the request's projection,
/// with its `ETag` and `Location`.
async fn one(
    state: &AppState,
    kind: ResourceKind,
    tenant: TenantScope<'_>,
    headers: &HeaderMap,
    params: &QueryParams,
    status: StatusCode,
    resource: &StoredResource,
) -> Result<ScimResponse, ApiError> {
    let service = state.service(kind)?;
    let base = base_url(&state.config, headers);
    let body = service
        .render(tenant, resource, Some(&base), &fields(params))
        .await?;
    Ok(ScimResponse {
        status,
        body,
        location: Some(location(state, headers, service, &resource.id)),
        etag: Some(resource.etag()),
    })
}

fn fields(params: &QueryParams) -> Fields {
    Fields {
        attributes: params.get("attributes").map(str::to_owned),
        excluded: params.get("excludedAttributes").map(str::to_owned),
    }
}

/// `POST /Users`, `POST /Groups`: 201 with the stored resource, `Location` and `ETag`.
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(kind): Extension<ResourceKind>,
    Authenticated(principal): Authenticated,
    headers: HeaderMap,
    params: QueryParams,
    ScimJson(body): ScimJson,
) -> Result<ScimResponse, ApiError> {
    let tenant = TenantScope::from(&principal);
    let created = state.service(kind)?.create(tenant, body).await?;
    one(
        &state,
        kind,
        tenant,
        &headers,
        &params,
        StatusCode::CREATED,
        &created,
    )
    .await
}

/// `GET /Users`, `GET /Groups`: a page of the resources matching
/// `filter`, sorted by `sortBy`/`sortOrder`, from `startIndex` or after
/// `cursor` (RFC 9865; `?cursor` without a value asks for the first page),
/// at most `count` of them.
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(kind): Extension<ResourceKind>,
    Authenticated(principal): Authenticated,
    headers: HeaderMap,
    params: QueryParams,
) -> Result<ScimResponse, ApiError> {
    let query = ListQuery {
        filter: params.get("filter").map(str::to_owned),
        sort_by: params.get("sortBy").map(str::to_owned),
        sort_order: params.get("sortOrder").map(str::to_owned),
        start_index: number(&params, "startIndex")?,
        count: number(&params, "count")?,
        cursor: params.get("cursor").map(str::to_owned),
        attributes: params.get("attributes").map(str::to_owned),
        excluded: params.get("excludedAttributes").map(str::to_owned),
    };
    respond_list(&state, kind, TenantScope::from(&principal), &headers, query).await
}

/// `POST /Users/.search`, `POST /Groups/.search`: the same as `GET` with
/// the query in a SearchRequest body, so that filters stay out of URLs
/// and logs (RFC 7644 §3.4.3).
pub(crate) async fn search(
    State(state): State<AppState>,
    Extension(kind): Extension<ResourceKind>,
    Authenticated(principal): Authenticated,
    headers: HeaderMap,
    ScimJson(body): ScimJson,
) -> Result<ScimResponse, ApiError> {
    let request = search_request(body)?;
    let join = |list: &[String]| (!list.is_empty()).then(|| list.join(","));
    let query = ListQuery {
        filter: request.filter,
        sort_by: request.sort_by,
        sort_order: request.sort_order,
        start_index: request.start_index,
        count: request.count,
        cursor: request.cursor,
        attributes: join(&request.attributes),
        excluded: join(&request.excluded_attributes),
    };
    let mut response =
        respond_list(&state, kind, TenantScope::from(&principal), &headers, query).await?;
    response.status = StatusCode::OK;
    Ok(response)
}

/// `POST /.search`: a search across every resource type (RFC 7644
/// §3.4.3), Users first, then Groups, paged by index over the
/// concatenation.
///
/// A filter naming attributes one type lacks matches nothing of that type;
/// it is an error only when no type can evaluate it. `sortBy` and cursors
/// are refused (400 `invalidValue`): resource types share no sort key, so
/// neither an order across them nor a position in it exists.
pub(crate) async fn search_all(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    headers: HeaderMap,
    ScimJson(body): ScimJson,
) -> Result<ScimResponse, ApiError> {
    let request = search_request(body)?;
    let refuse = |what: &str| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            Some(scim_schema::ScimType::InvalidValue),
            format!(
                "{what} is not offered for a search across resource types; search /Users/.search or /Groups/.search instead"
            ),
        )
    };
    if request
        .sort_by
        .as_deref()
        .is_some_and(|s| !s.trim().is_empty())
    {
        return Err(refuse("sortBy"));
    }
    if request.cursor.is_some() {
        return Err(refuse("cursor paging"));
    }
    let tenant = TenantScope::from(&principal);
    let (start_index, count) = paging(request.start_index, request.count, state.config.max_results);
    let filter = request.filter;
    let listing = |start_index, count| ListRequest {
        filter: filter.clone(),
        sort_by: None,
        sort_order: None,
        start_index,
        count,
        cursor: None,
    };
    // How many of each type match; a type that cannot evaluate the filter
    // has none.
    let kinds: Vec<ResourceKind> = state.services().map(|s| s.kind()).collect();
    let mut totals = Vec::with_capacity(kinds.len());
    let mut rejections = Vec::new();
    for &kind in &kinds {
        match state.service(kind)?.list(tenant, &listing(1, 0)).await {
            Ok(found) => totals.push(found.total_results),
            Err(err) if err.kind() == scim_core::ErrorKind::InvalidFilter => {
                totals.push(0);
                rejections.push(err);
            }
            Err(err) => return Err(err.into()),
        }
    }
    if rejections.len() == kinds.len()
        && let Some(err) = rejections.into_iter().next()
    {
        return Err(err.into());
    }
    let base = base_url(&state.config, &headers);
    let fields = Fields {
        attributes: (!request.attributes.is_empty()).then(|| request.attributes.join(",")),
        excluded: (!request.excluded_attributes.is_empty())
            .then(|| request.excluded_attributes.join(",")),
    };
    let mut skip = start_index - 1;
    let mut wanted = count;
    let mut resources = Vec::new();
    for (kind, total) in kinds.into_iter().zip(totals.iter().copied()) {
        if wanted == 0 {
            break;
        }
        if skip >= total {
            skip -= total;
            continue;
        }
        let service = state.service(kind)?;
        let page = service
            .list(tenant, &listing(skip + 1, wanted.min(total - skip)))
            .await?;
        let rendered = service
            .render_many(tenant, &page.resources, Some(&base), &fields)
            .await?;
        wanted = wanted.saturating_sub(rendered.len() as u64);
        resources.extend(rendered);
        skip = 0;
    }
    let list = ListResponse::new(resources, totals.iter().sum(), start_index);
    list_response(&list)
}

/// A ListResponse as a 200 response.
fn list_response(list: &ListResponse<serde_json::Value>) -> Result<ScimResponse, ApiError> {
    let body = serde_json::to_value(list).map_err(|e| {
        ApiError::from(scim_core::Error::new(
            scim_core::ErrorKind::Internal,
            format!("cannot serialise a list response: {e}"),
        ))
    })?;
    Ok(ScimResponse::ok(body))
}

/// A SearchRequest body (RFC 7644 §3.4.3): a JSON object. serde would
/// also read a struct from an array; a client that sends one is confused.
fn search_request(body: serde_json::Value) -> Result<SearchRequest, ApiError> {
    if !body.is_object() {
        return Err(ApiError::invalid_syntax(
            "the body is not a SearchRequest: a JSON object is required",
        ));
    }
    serde_json::from_value(body)
        .map_err(|e| ApiError::invalid_syntax(format!("the body is not a SearchRequest: {e}")))
}

/// `startIndex` and `count` as RFC 7644 §3.4.2.4 reads them: a start below
/// 1 means 1, a negative count means 0, and a count above the server's
/// maximum is clamped to it (and so reported in `itemsPerPage`).
fn paging(start_index: Option<i64>, count: Option<i64>, max_results: u32) -> (u64, u64) {
    let max = u64::from(max_results);
    let start_index = match start_index {
        Some(n) if n > 1 => n.unsigned_abs(),
        _ => 1,
    };
    let count = match count {
        Some(n) if n < 0 => 0,
        Some(n) => n.unsigned_abs().min(max),
        None => max,
    };
    (start_index, count)
}

/// A list request from query parameters or a SearchRequest body.
struct ListQuery {
    filter: Option<String>,
    sort_by: Option<String>,
    sort_order: Option<String>,
    start_index: Option<i64>,
    count: Option<i64>,
    cursor: Option<String>,
    attributes: Option<String>,
    excluded: Option<String>,
}

async fn respond_list(
    state: &AppState,
    kind: ResourceKind,
    tenant: TenantScope<'_>,
    headers: &HeaderMap,
    query: ListQuery,
) -> Result<ScimResponse, ApiError> {
    // A request names one paging method: index or cursor (RFC 9865 §2.4).
    if query.cursor.is_some() && query.start_index.is_some() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            Some(scim_schema::ScimType::InvalidValue),
            "startIndex and cursor select different paging methods; send one of them",
        ));
    }
    let (start_index, count) = paging(query.start_index, query.count, state.config.max_results);
    let request = ListRequest {
        filter: query.filter,
        sort_by: query.sort_by,
        sort_order: query.sort_order,
        start_index,
        count,
        cursor: query.cursor,
    };
    let service = state.service(kind)?;
    let listing = service.list(tenant, &request).await?;
    let fields = Fields {
        attributes: query.attributes,
        excluded: query.excluded,
    };
    let base = base_url(&state.config, headers);
    let resources = service
        .render_many(tenant, &listing.resources, Some(&base), &fields)
        .await?;
    // A page by cursor has no index: it carries nextCursor instead.
    let list = match request.cursor {
        Some(_) => ListResponse::by_cursor(resources, listing.total_results, listing.next_cursor),
        None => ListResponse::new(resources, listing.total_results, start_index),
    };
    list_response(&list)
}

/// An integer query parameter; anything else is 400 `invalidValue`.
fn number(params: &QueryParams, name: &str) -> Result<Option<i64>, ApiError> {
    params
        .get(name)
        .map(|v| {
            v.trim().parse::<i64>().map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    Some(scim_schema::ScimType::InvalidValue),
                    format!("{name} must be an integer, not {v:?}"),
                )
            })
        })
        .transpose()
}

/// `GET /{kind}/{id}`: 200 with the resource and its `ETag`, or 404.
pub(crate) async fn get(
    State(state): State<AppState>,
    Extension(kind): Extension<ResourceKind>,
    Authenticated(principal): Authenticated,
    headers: HeaderMap,
    params: QueryParams,
    IdPath(id): IdPath,
) -> Result<Response, ApiError> {
    let tenant = TenantScope::from(&principal);
    let found = state.service(kind)?.get(tenant.id, &id).await?;
    if not_modified(&headers, &found.etag()) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(etag) = HeaderValue::from_str(&found.etag()) {
            response.headers_mut().insert(header::ETAG, etag);
        }
        return Ok(response);
    }
    one(
        &state,
        kind,
        tenant,
        &headers,
        &params,
        StatusCode::OK,
        &found,
    )
    .await
    .map(IntoResponse::into_response)
}

/// `PUT /{kind}/{id}`: 200 with the replaced resource, 404, 409 on a taken
/// `userName`, or 412 when `If-Match` names another version.
pub(crate) async fn replace(
    State(state): State<AppState>,
    Extension(kind): Extension<ResourceKind>,
    Authenticated(principal): Authenticated,
    headers: HeaderMap,
    params: QueryParams,
    IdPath(id): IdPath,
    ScimJson(body): ScimJson,
) -> Result<ScimResponse, ApiError> {
    let expected = preconditions(&state, kind, &principal.tenant_id, &headers, &id).await?;
    let tenant = TenantScope::from(&principal);
    let replaced = state
        .service(kind)?
        .replace(tenant, &id, body, expected)
        .await?;
    one(
        &state,
        kind,
        tenant,
        &headers,
        &params,
        StatusCode::OK,
        &replaced,
    )
    .await
}

/// `PATCH /{kind}/{id}`: 200 with the patched resource, 404, 400 with the
/// PATCH error's `scimType`, 409 on a taken `userName`, or 412 when
/// `If-Match` names another version.
pub(crate) async fn patch(
    State(state): State<AppState>,
    Extension(kind): Extension<ResourceKind>,
    Authenticated(principal): Authenticated,
    headers: HeaderMap,
    params: QueryParams,
    IdPath(id): IdPath,
    ScimJson(body): ScimJson,
) -> Result<Response, ApiError> {
    let expected = preconditions(&state, kind, &principal.tenant_id, &headers, &id).await?;
    let tenant = TenantScope::from(&principal);
    let patched = state
        .service(kind)?
        .patch(tenant, &id, body, expected)
        .await?;
    // RFC 7644 §3.5.2: 200 with the resource, or 204. Clients ask for 204
    // with RFC 7240's `Prefer: return=minimal` and get the new ETag
    // without a body; conformance tools and most clients expect 200. A
    // tenant provisioned by Entra ID or Okta gets 204 for groups unless it
    // asks for a representation: both document it, and echoing a large
    // group's members after each change would cost more than the change.
    let minimal = match prefer(&headers) {
        Some(Prefer::Minimal) => true,
        Some(Prefer::Representation) => false,
        None => {
            kind == ResourceKind::Group
                && params.get("attributes").is_none()
                && params.get("excludedAttributes").is_none()
                && state
                    .service(kind)?
                    .tenant_policies(tenant)
                    .await?
                    .idp
                    .is_some_and(scim_core::IdpProfile::minimal_group_patch)
        }
    };
    if minimal {
        let mut response = StatusCode::NO_CONTENT.into_response();
        if let Ok(etag) = HeaderValue::from_str(&patched.etag()) {
            response.headers_mut().insert(header::ETAG, etag);
        }
        return Ok(response);
    }
    one(
        &state,
        kind,
        tenant,
        &headers,
        &params,
        StatusCode::OK,
        &patched,
    )
    .await
    .map(IntoResponse::into_response)
}

/// The `return` preference of RFC 7240 §4.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefer {
    /// `return=minimal`: no body.
    Minimal,
    /// `return=representation`: the resource (the default).
    Representation,
}

/// What the client's `Prefer` header asks to get back, if anything.
fn prefer(headers: &HeaderMap) -> Option<Prefer> {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| {
            let p = p.trim();
            if p.eq_ignore_ascii_case("return=minimal") {
                Some(Prefer::Minimal)
            } else if p.eq_ignore_ascii_case("return=representation") {
                Some(Prefer::Representation)
            } else {
                None
            }
        })
}

/// `DELETE /{kind}/{id}`: 204, 404, or 412 when `If-Match` names another version.
pub(crate) async fn delete(
    State(state): State<AppState>,
    Extension(kind): Extension<ResourceKind>,
    Authenticated(principal): Authenticated,
    headers: HeaderMap,
    IdPath(id): IdPath,
) -> Result<StatusCode, ApiError> {
    let expected = preconditions(&state, kind, &principal.tenant_id, &headers, &id).await?;
    state
        .service(kind)?
        .delete(&principal, &id, expected)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether `If-None-Match` names the current version (or `*`): the
/// client's copy is current (RFC 7232 §3.2, weak comparison).
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    let Some(value) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let current = parse_etag(etag);
    value
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || (current.is_some() && parse_etag(tag) == current))
}

/// The version a write must find, from `If-Match` and `If-None-Match`
/// (RFC 9110 §13.1.1-2).
///
/// The common case, one `If-Match` tag this server issued, needs no read:
/// the store checks it atomically with the write. Anything else (a list
/// of tags, a tag never issued, `If-None-Match`) is decided against the
/// current version, after the resource is found (404 before 412).
async fn preconditions(
    state: &AppState,
    kind: ResourceKind,
    tenant: &TenantId,
    headers: &HeaderMap,
    id: &str,
) -> Result<Option<u64>, ApiError> {
    let text = |name| {
        headers
            .get(name)
            .map(|v: &HeaderValue| v.to_str().unwrap_or_default().trim().to_owned())
    };
    let if_match = text(header::IF_MATCH);
    let if_none_match = text(header::IF_NONE_MATCH);
    match (&if_match, &if_none_match) {
        (None, None) => return Ok(None),
        (Some(tag), None) if tag == "*" => return Ok(None),
        (Some(tag), None) => {
            if let Some(version) = parse_etag(tag) {
                return Ok(Some(version));
            }
        }
        _ => {}
    }
    let current = state.service(kind)?.get(tenant, id).await?.version;
    let names_current = |list: &str| {
        list.split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || parse_etag(tag) == Some(current))
    };
    let failed = || {
        ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            None,
            "the resource's current version does not satisfy If-Match or If-None-Match",
        )
    };
    if if_none_match.as_deref().is_some_and(names_current) {
        return Err(failed());
    }
    match if_match {
        None => Ok(None),
        Some(list) if names_current(&list) => Ok(Some(current)),
        Some(_) => Err(failed()),
    }
}
