//! In-process tests of the audit middleware.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use scim_core::ports::{AuditStore, StoreError};
use scim_core::{AuditEntry, AuditService, NewAuditEntry, TenantId};

use super::*;

/// An app whose mutating requests are audited into its own store, or
/// into a store that always fails.
async fn audited(broken: bool) -> (Router, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::default());
    let audit: Arc<dyn AuditStore> = if broken {
        Arc::new(Broken)
    } else {
        store.clone()
    };
    let auth = AuthService::new(store.clone(), Arc::new(SystemClock), Arc::new(UuidV7Ids));
    auth.bootstrap("default", Some(TOKEN)).await.unwrap();
    let service = |kind| {
        Arc::new(ResourceService::new(
            kind,
            store.clone(),
            Arc::new(SystemClock),
            Arc::new(UuidV7Ids),
        ))
    };
    let app = router(AppState {
        users: service(ResourceKind::User),
        groups: service(ResourceKind::Group),
        custom: Vec::new(),
        auth: Arc::new(auth),
        audit: Some(Arc::new(AuditService::new(audit, Arc::new(SystemClock)))),
        config: Arc::new(HttpConfig::default()),
    });
    (app, store)
}

async fn entries(store: &MemoryStore) -> Vec<AuditEntry> {
    let tenant = scim_core::ports::TenantStore::find_tenant_by_name(store, "default")
        .await
        .unwrap()
        .unwrap();
    store.audit(&tenant.id, 0, 100).await.unwrap()
}

#[tokio::test]
async fn mutating_requests_are_audited_reads_are_not() {
    let (app, store) = audited(false).await;

    let body = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alice","password":"hunter2"}"#;
    let created = send(
        &app,
        with_body(
            request("POST", "/scim/v2/Users", Some(body)).header("x-request-id", "req-1"),
            body,
        ),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.body["id"].as_str().unwrap().to_owned();
    send(
        &app,
        empty(request("GET", &format!("/scim/v2/Users/{id}"), None)),
    )
    .await;
    let search = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}"#;
    send(
        &app,
        with_body(
            request("POST", "/scim/v2/Users/.search", Some(search)),
            search,
        ),
    )
    .await;
    let gone = send(
        &app,
        empty(request("DELETE", &format!("/scim/v2/Users/{id}"), None)),
    )
    .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let missing = send(&app, empty(request("DELETE", "/scim/v2/Users/nope", None))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let log = entries(&store).await;
    let seen: Vec<_> = log
        .iter()
        .map(|e| {
            (
                e.entry.method.as_str(),
                e.entry.path.as_str(),
                e.entry.resource_type.as_deref(),
                e.entry.resource_id.as_deref(),
                e.entry.status,
            )
        })
        .collect();
    let user_path = format!("/scim/v2/Users/{id}");
    assert_eq!(
        seen,
        [
            (
                "POST",
                "/scim/v2/Users",
                Some("User"),
                Some(id.as_str()),
                201
            ),
            (
                "DELETE",
                user_path.as_str(),
                Some("User"),
                Some(id.as_str()),
                204
            ),
            (
                "DELETE",
                "/scim/v2/Users/nope",
                Some("User"),
                Some("nope"),
                404
            ),
        ]
    );
    assert_eq!(log[0].entry.request_id, "req-1");
    assert!(log.iter().all(|e| !e.entry.credential_id.is_empty()));
    let text = format!("{log:?}");
    assert!(!text.contains("hunter2") && !text.contains(TOKEN));
}

/// An audit store that always fails.
struct Broken;

#[async_trait]
impl AuditStore for Broken {
    async fn record_audit(&self, _: NewAuditEntry) -> Result<u64, StoreError> {
        Err(StoreError::Backend("the audit table is gone".into()))
    }

    async fn audit(&self, _: &TenantId, _: u64, _: u64) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(Vec::new())
    }

    async fn purge_audit(&self, _: &TenantId, _: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(0)
    }
}

#[tokio::test]
async fn a_failure_to_audit_never_changes_the_answer() {
    let (app, _) = audited(true).await;
    let body = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob"}"#;
    let created = send(
        &app,
        with_body(request("POST", "/scim/v2/Users", Some(body)), body),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
}
