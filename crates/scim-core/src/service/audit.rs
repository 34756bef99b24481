//! The audit log of mutating SCIM requests.

use std::sync::Arc;

use chrono::Duration;

use crate::error::Error;
use crate::model::{AuditEntry, NewAuditEntry, Principal, TenantId};
use crate::ports::{AuditStore, Clock};

/// The most entries one page of the audit log holds.
pub const MAX_AUDIT_PAGE: u64 = 1000;

/// The longest request id kept, in characters.
const MAX_REQUEST_ID_CHARS: usize = 128;
/// The longest path kept, in characters.
const MAX_PATH_CHARS: usize = 512;
/// The longest resource type or id kept, in characters.
const MAX_NAME_CHARS: usize = 255;

/// A mutating request as the HTTP layer saw it, to audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRequest {
    /// The request's `X-Request-Id`.
    pub request_id: String,
    /// The HTTP method.
    pub method: String,
    /// The request path, without the query (which may carry anything).
    pub path: String,
    /// The resource type, when the route names one.
    pub resource_type: Option<String>,
    /// The resource's id, when known.
    pub resource_id: Option<String>,
    /// The answer's HTTP status.
    pub status: u16,
}

/// One page of a tenant's audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    /// The entries, oldest first.
    pub entries: Vec<AuditEntry>,
    /// The cursor of the next page: the last entry's id, or the cursor
    /// asked for when the page is empty.
    pub next: u64,
}

/// Records who changed what, and reads it back.
#[derive(Clone)]
pub struct AuditService {
    store: Arc<dyn AuditStore>,
    clock: Arc<dyn Clock>,
}

impl AuditService {
    /// An audit log over `store`, dated by `clock`.
    pub fn new(store: Arc<dyn AuditStore>, clock: Arc<dyn Clock>) -> Self {
        AuditService { store, clock }
    }

    /// Records a request `principal` made. Text is bounded and control
    /// characters are replaced, so that any request can be recorded.
    pub async fn record(&self, principal: &Principal, request: AuditRequest) -> Result<(), Error> {
        let entry = NewAuditEntry {
            tenant_id: principal.tenant_id.clone(),
            at: self.clock.now(),
            credential_id: principal.credential_id.clone(),
            request_id: clean(&request.request_id, MAX_REQUEST_ID_CHARS),
            method: clean(&request.method, 16),
            path: clean(&request.path, MAX_PATH_CHARS),
            resource_type: request
                .resource_type
                .map(|t| clean(&t, MAX_NAME_CHARS))
                .filter(|t| !t.is_empty()),
            resource_id: request
                .resource_id
                .map(|id| clean(&id, MAX_NAME_CHARS))
                .filter(|id| !id.is_empty()),
            status: request.status,
        };
        self.store.record_audit(entry).await?;
        Ok(())
    }

    /// The tenant's entries after the cursor `after` (0 for the start), at
    /// most `limit` (at least 1, at most [`MAX_AUDIT_PAGE`]).
    pub async fn page(
        &self,
        tenant: &TenantId,
        after: u64,
        limit: u64,
    ) -> Result<AuditPage, Error> {
        let limit = limit.clamp(1, MAX_AUDIT_PAGE);
        let entries = self.store.audit(tenant, after, limit).await?;
        let next = entries.last().map_or(after, |e| e.id);
        Ok(AuditPage { entries, next })
    }

    /// Removes the tenant's entries older than `retention`; returns how
    /// many went.
    pub async fn purge(&self, tenant: &TenantId, retention: Duration) -> Result<u64, Error> {
        let before = self.clock.now() - retention;
        Ok(self.store.purge_audit(tenant, before).await?)
    }
}

/// `text` without control characters (and so without NUL, which some
/// databases cannot store), cut to `max` characters.
fn clean(text: &str, max: usize) -> String {
    text.chars()
        .take(max)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::SystemClock;
    use crate::testing::MemoryStore;

    fn request(path: &str) -> AuditRequest {
        AuditRequest {
            request_id: "r\u{0}1".into(),
            method: "POST".into(),
            path: path.into(),
            resource_type: Some("User".into()),
            resource_id: Some(String::new()),
            status: 201,
        }
    }

    #[tokio::test]
    async fn entries_are_bounded_cleaned_and_paged() {
        let store = Arc::new(MemoryStore::default());
        let tenant = TenantId("t".into());
        crate::ports::TenantStore::create_tenant(
            store.as_ref(),
            crate::model::NewTenant {
                id: tenant.clone(),
                name: "t".into(),
                created: chrono::Utc::now(),
            },
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let audit = AuditService::new(store, Arc::new(SystemClock));
        let who = Principal {
            tenant_id: tenant.clone(),
            credential_id: "c1".into(),
            policies: None,
        };
        let long = format!("/Users/{}", "x".repeat(2000));
        for path in ["/Users", long.as_str()] {
            audit
                .record(&who, request(path))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let first = audit
            .page(&tenant, 0, 1)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first.entries.len(), 1);
        let entry = &first.entries[0].entry;
        assert_eq!(entry.request_id, "r?1");
        assert_eq!(entry.credential_id, "c1");
        assert_eq!(entry.resource_id, None, "an empty id is no id");
        let rest = audit
            .page(&tenant, first.next, 100)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rest.entries.len(), 1);
        assert_eq!(rest.entries[0].entry.path.chars().count(), MAX_PATH_CHARS);
        let end = audit
            .page(&tenant, rest.next, 100)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(end.entries.is_empty());
        assert_eq!(end.next, rest.next);
    }
}
