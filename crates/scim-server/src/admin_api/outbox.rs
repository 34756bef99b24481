//! The admin API's outbox and audit routes: a tenant's webhooks (what
//! `webhook` does), its event feed (`events`), its audit log (`audit`),
//! and `purge`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use scim_core::ports::SystemClock;
use scim_core::{
    AuditService, ErrorKind, EventService, MAX_ATTEMPT_PAGE, MAX_AUDIT_PAGE, MAX_EVENT_PAGE,
    TenantId, WebhookService,
};
use scim_http::ApiError;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AdminApi, Body, Params, QueryParams, bad_request, core};
use crate::admin::outbox::{
    Retention, attempt_json, audit_page_json, events_json, new_webhook_json, purge_json,
    purge_tenants, webhook_json, webhook_service,
};
use crate::settings::{ATTEMPTS_PAGE, FEED_PAGE};

impl AdminApi {
    /// The id of the tenant called `name`; 404 when there is none.
    async fn tenant_id(&self, name: &str) -> Result<TenantId, ApiError> {
        Ok(self.auth.tenant(name).await.map_err(core)?.id)
    }

    fn webhooks(&self) -> WebhookService {
        webhook_service(self.store.clone())
    }
}

/// A page size asked for in the query: `default` when absent, else 1 to
/// `max`, as the commands' `--limit` takes.
fn page_size(limit: Option<u64>, default: u64, max: u64) -> Result<u64, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(bad_request(format!("limit is 1 to {max}, not {n}"))),
    }
}

/// `GET /tenants/{name}/webhooks`: without their secrets.
pub(super) async fn list_webhooks(
    State(api): State<AdminApi>,
    Params(name): Params<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = api.tenant_id(&name).await?;
    let hooks = api.webhooks().list(&tenant).await.map_err(core)?;
    Ok(Json(Value::Array(
        hooks
            .iter()
            .map(|h| webhook_json(h, &api.delivery))
            .collect(),
    )))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct NewWebhook {
    url: String,
    /// Deliver the events after this sequence; absent: from now on.
    #[serde(default)]
    after: Option<u64>,
}

/// `POST /tenants/{name}/webhooks`: the signing secret is in this answer
/// only.
pub(super) async fn create_webhook(
    State(api): State<AdminApi>,
    Params(name): Params<String>,
    Body(request): Body<NewWebhook>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let tenant = api.tenant_id(&name).await?;
    let hook = api
        .webhooks()
        .create(&tenant, &request.url, request.after)
        .await
        .map_err(core)?;
    Ok((
        StatusCode::CREATED,
        Json(new_webhook_json(&hook, &api.delivery)),
    ))
}

/// `GET /tenants/{name}/webhooks/{id}`. A tenant has few webhooks: the
/// list is the lookup.
pub(super) async fn show_webhook(
    State(api): State<AdminApi>,
    Params((name, id)): Params<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let tenant = api.tenant_id(&name).await?;
    let hooks = api.webhooks().list(&tenant).await.map_err(core)?;
    let hook = hooks.iter().find(|h| h.id == id).ok_or_else(|| {
        core(scim_core::Error::new(
            ErrorKind::NotFound,
            format!("tenant {name} has no webhook {id}"),
        ))
    })?;
    Ok(Json(webhook_json(hook, &api.delivery)))
}

/// `DELETE /tenants/{name}/webhooks/{id}`, with its attempts.
pub(super) async fn delete_webhook(
    State(api): State<AdminApi>,
    Params((name, id)): Params<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let tenant = api.tenant_id(&name).await?;
    api.webhooks().delete(&tenant, &id).await.map_err(core)?;
    Ok(Json(json!({ "deleted": id })))
}

/// `POST /tenants/{name}/webhooks/{id}/disable`: no delivery starts until
/// it is enabled again; its events wait, none is lost.
pub(super) async fn disable_webhook(
    State(api): State<AdminApi>,
    Params((name, id)): Params<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let tenant = api.tenant_id(&name).await?;
    let hook = api.webhooks().disable(&tenant, &id).await.map_err(core)?;
    Ok(Json(webhook_json(&hook, &api.delivery)))
}

/// `POST /tenants/{name}/webhooks/{id}/enable`: due now, its failures
/// forgotten; the waiting events go out from where delivery stopped.
pub(super) async fn enable_webhook(
    State(api): State<AdminApi>,
    Params((name, id)): Params<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let tenant = api.tenant_id(&name).await?;
    let hook = api.webhooks().enable(&tenant, &id).await.map_err(core)?;
    Ok(Json(webhook_json(&hook, &api.delivery)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AttemptsQuery {
    #[serde(default)]
    limit: Option<u64>,
}

/// `GET /tenants/{name}/webhooks/{id}/attempts?limit=N`: newest first.
pub(super) async fn webhook_attempts(
    State(api): State<AdminApi>,
    Params((name, id)): Params<(String, String)>,
    QueryParams(query): QueryParams<AttemptsQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = page_size(query.limit, ATTEMPTS_PAGE, MAX_ATTEMPT_PAGE)?;
    let tenant = api.tenant_id(&name).await?;
    let attempts = api
        .webhooks()
        .attempts(&tenant, &id, limit)
        .await
        .map_err(core)?;
    Ok(Json(Value::Array(
        attempts.iter().map(attempt_json).collect(),
    )))
}

/// A cursor feed's query: what comes after `after`, at most `limit`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FeedQuery {
    #[serde(default)]
    after: u64,
    #[serde(default)]
    limit: Option<u64>,
}

/// `GET /tenants/{name}/events?after=N&limit=N`: `{"events", "next"}`;
/// read again from `next` until `events` is empty.
pub(super) async fn events(
    State(api): State<AdminApi>,
    Params(name): Params<String>,
    QueryParams(query): QueryParams<FeedQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = page_size(query.limit, FEED_PAGE, MAX_EVENT_PAGE)?;
    let tenant = api.tenant_id(&name).await?;
    let page = EventService::new(api.store.clone())
        .page(&tenant, query.after, limit)
        .await
        .map_err(core)?;
    Ok(Json(events_json(&page)))
}

/// `GET /tenants/{name}/audit?after=N&limit=N`: `{"entries", "next"}`.
pub(super) async fn audit(
    State(api): State<AdminApi>,
    Params(name): Params<String>,
    QueryParams(query): QueryParams<FeedQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = page_size(query.limit, FEED_PAGE, MAX_AUDIT_PAGE)?;
    let tenant = api.tenant_id(&name).await?;
    let page = AuditService::new(api.store.clone(), Arc::new(SystemClock))
        .page(&tenant, query.after, limit)
        .await
        .map_err(core)?;
    Ok(Json(audit_page_json(&page)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct PurgeRequest {
    /// Only this tenant; absent: every tenant.
    #[serde(default)]
    tenant: Option<String>,
    older_than_days: u32,
    #[serde(default)]
    audit_older_than_days: Option<u32>,
    #[serde(default)]
    attempts_older_than_days: Option<u32>,
}

/// `POST /purge`: what `purge` does, with its report.
pub(super) async fn purge(
    State(api): State<AdminApi>,
    Body(request): Body<PurgeRequest>,
) -> Result<Json<Value>, ApiError> {
    let retention = Retention::from_days(
        request.older_than_days,
        request.audit_older_than_days,
        request.attempts_older_than_days,
    )
    .map_err(bad_request)?;
    let report = purge_tenants(
        &api.auth,
        api.store.clone(),
        request.tenant.as_deref(),
        &retention,
    )
    .await
    .map_err(core)?;
    Ok(Json(purge_json(&report)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_default_and_stay_in_bounds() {
        assert_eq!(page_size(None, 20, 1000).unwrap(), 20);
        assert_eq!(page_size(Some(1), 20, 1000).unwrap(), 1);
        assert_eq!(page_size(Some(1000), 20, 1000).unwrap(), 1000);
        for wrong in [0, 1001, u64::MAX] {
            let err = page_size(Some(wrong), 20, 1000).unwrap_err();
            assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        }
    }
}
