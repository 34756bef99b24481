//! `/Users`: create, read, replace and delete.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use scim_core::{ListRequest, parse_etag};
use scim_schema::{ListResponse, Projection};
use serde_json::Value;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Authenticated, QueryParams, ScimJson};
use crate::response::{ScimResponse, base_url};

fn location(state: &AppState, headers: &HeaderMap, id: &str) -> String {
    format!(
        "{}{}/{id}",
        base_url(&state.config, headers),
        state.users.kind().endpoint()
    )
}

fn projection(state: &AppState, params: &QueryParams) -> Projection {
    state
        .users
        .projection(params.get("attributes"), params.get("excludedAttributes"))
}

/// `POST /Users`: 201 with the stored user, `Location` and `ETag`.
pub(crate) async fn create(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    headers: HeaderMap,
    params: QueryParams,
    ScimJson(body): ScimJson,
) -> Result<ScimResponse, ApiError> {
    let user = state.users.create(&principal.tenant_id, body).await?;
    let location = location(&state, &headers, &user.id);
    let body = state
        .users
        .render(&user, Some(location.clone()), &projection(&state, &params));
    Ok(ScimResponse {
        status: StatusCode::CREATED,
        etag: Some(user.etag()),
        body,
        location: Some(location),
    })
}

/// `GET /Users`: a page of the users matching `filter`, sorted by
/// `sortBy`/`sortOrder`, from `startIndex`, at most `count` of them.
pub(crate) async fn list(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    headers: HeaderMap,
    params: QueryParams,
) -> Result<ScimResponse, ApiError> {
    let max = u64::from(state.config.max_results);
    let start_index = match number(&params, "startIndex")? {
        Some(n) if n > 1 => n.unsigned_abs(),
        _ => 1,
    };
    let count = match number(&params, "count")? {
        Some(n) if n < 0 => 0,
        Some(n) => n.unsigned_abs().min(max),
        None => max,
    };
    let request = ListRequest {
        filter: params.get("filter").map(str::to_owned),
        sort_by: params.get("sortBy").map(str::to_owned),
        sort_order: params.get("sortOrder").map(str::to_owned),
        start_index,
        count,
    };
    let page = state.users.list(&principal.tenant_id, &request).await?;
    let projection = projection(&state, &params);
    let resources: Vec<Value> = page
        .resources
        .iter()
        .map(|user| {
            let location = location(&state, &headers, &user.id);
            state.users.render(user, Some(location), &projection)
        })
        .collect();
    let list = ListResponse::new(resources, page.total_results, start_index);
    let body = serde_json::to_value(&list).map_err(|e| {
        ApiError::from(scim_core::Error::new(
            scim_core::ErrorKind::Internal,
            format!("cannot serialise a list response: {e}"),
        ))
    })?;
    Ok(ScimResponse::ok(body))
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

/// `GET /Users/{id}`: 200 with the user and its `ETag`, or 404.
pub(crate) async fn get(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    headers: HeaderMap,
    params: QueryParams,
    Path(id): Path<String>,
) -> Result<ScimResponse, ApiError> {
    let user = state.users.get(&principal.tenant_id, &id).await?;
    let location = location(&state, &headers, &user.id);
    let mut response = ScimResponse::ok(state.users.render(
        &user,
        Some(location),
        &projection(&state, &params),
    ));
    response.etag = Some(user.etag());
    Ok(response)
}

/// `PUT /Users/{id}`: 200 with the replaced user, 404, 409 on a taken
/// `userName`, or 412 when `If-Match` names another version.
pub(crate) async fn replace(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    headers: HeaderMap,
    params: QueryParams,
    Path(id): Path<String>,
    ScimJson(body): ScimJson,
) -> Result<ScimResponse, ApiError> {
    let expected = expected_version(&headers)?;
    let user = state
        .users
        .replace(&principal.tenant_id, &id, body, expected)
        .await?;
    let location = location(&state, &headers, &user.id);
    let mut response = ScimResponse::ok(state.users.render(
        &user,
        Some(location.clone()),
        &projection(&state, &params),
    ));
    response.etag = Some(user.etag());
    response.location = Some(location);
    Ok(response)
}

/// `DELETE /Users/{id}`: 204, 404, or 412 when `If-Match` names another version.
pub(crate) async fn delete(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let expected = expected_version(&headers)?;
    state
        .users
        .delete(&principal.tenant_id, &id, expected)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The version an `If-Match` header demands. `*` and no header demand
/// none; a tag this server never issued can never match.
fn expected_version(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or_default().trim();
    if value == "*" {
        return Ok(None);
    }
    parse_etag(value).map(Some).ok_or_else(|| {
        ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            None,
            "If-Match does not name a current version of this resource",
        )
    })
}
