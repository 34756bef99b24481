//! An in-memory implementation of the storage ports.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::model::{
    Credential, NewCredential, NewResource, NewTenant, Replacement, ResourceKind, StoredResource,
    Tenant, TenantId,
};
use crate::ports::{ResourceStore, StoreError, TenantStore};

#[derive(Debug, Clone)]
struct Row {
    tenant: TenantId,
    unique_key: Option<String>,
    deleted: Option<DateTime<Utc>>,
    resource: StoredResource,
}

#[derive(Debug, Default)]
struct State {
    tenants: Vec<Tenant>,
    credentials: HashMap<String, Credential>,
    resources: HashMap<String, Row>,
}

/// Every storage port, in memory, behind one mutex. Soft-deleted rows are
/// kept, as the SQL adapter keeps them.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl ResourceStore for MemoryStore {
    async fn create(
        &self,
        tenant: &TenantId,
        new: NewResource,
    ) -> Result<StoredResource, StoreError> {
        let mut state = self.lock();
        if let Some(key) = &new.unique_key {
            let taken = state.resources.values().any(|row| {
                row.tenant == *tenant
                    && row.deleted.is_none()
                    && row.resource.kind == new.kind
                    && row.unique_key.as_ref() == Some(key)
            });
            if taken {
                return Err(StoreError::Conflict {
                    attribute: new.kind.unique_attribute().unwrap_or("id").to_owned(),
                });
            }
        }
        let resource = StoredResource {
            id: new.id.clone(),
            kind: new.kind,
            external_id: new.external_id,
            attributes: new.attributes,
            version: 1,
            created: new.created,
            last_modified: new.created,
        };
        state.resources.insert(
            new.id,
            Row {
                tenant: tenant.clone(),
                unique_key: new.unique_key,
                deleted: None,
                resource: resource.clone(),
            },
        );
        Ok(resource)
    }

    async fn get(
        &self,
        tenant: &TenantId,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Option<StoredResource>, StoreError> {
        let state = self.lock();
        Ok(state
            .resources
            .get(id)
            .filter(|row| {
                row.tenant == *tenant && row.resource.kind == kind && row.deleted.is_none()
            })
            .map(|row| row.resource.clone()))
    }

    async fn replace(
        &self,
        tenant: &TenantId,
        kind: ResourceKind,
        id: &str,
        expected_version: u64,
        replacement: Replacement,
    ) -> Result<StoredResource, StoreError> {
        let mut state = self.lock();
        if let Some(key) = &replacement.unique_key {
            let taken = state.resources.values().any(|row| {
                row.tenant == *tenant
                    && row.deleted.is_none()
                    && row.resource.kind == kind
                    && row.resource.id != id
                    && row.unique_key.as_ref() == Some(key)
            });
            if taken {
                return Err(StoreError::Conflict {
                    attribute: kind.unique_attribute().unwrap_or("id").to_owned(),
                });
            }
        }
        let row = state
            .resources
            .get_mut(id)
            .filter(|row| {
                row.tenant == *tenant && row.resource.kind == kind && row.deleted.is_none()
            })
            .ok_or(StoreError::NotFound)?;
        if row.resource.version != expected_version {
            return Err(StoreError::VersionMismatch);
        }
        row.unique_key = replacement.unique_key;
        row.resource.external_id = replacement.external_id;
        row.resource.attributes = replacement.attributes;
        row.resource.last_modified = replacement.modified;
        row.resource.version += 1;
        Ok(row.resource.clone())
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        kind: ResourceKind,
        id: &str,
        expected_version: Option<u64>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        let row = state
            .resources
            .get_mut(id)
            .filter(|row| {
                row.tenant == *tenant && row.resource.kind == kind && row.deleted.is_none()
            })
            .ok_or(StoreError::NotFound)?;
        if expected_version.is_some_and(|v| v != row.resource.version) {
            return Err(StoreError::VersionMismatch);
        }
        row.deleted = Some(at);
        row.resource.version += 1;
        row.resource.last_modified = at;
        Ok(())
    }
}

#[async_trait]
impl TenantStore for MemoryStore {
    async fn create_tenant(
        &self,
        tenant: NewTenant,
        credential: Option<NewCredential>,
    ) -> Result<Tenant, StoreError> {
        let mut state = self.lock();
        if state.tenants.iter().any(|t| t.name == tenant.name) {
            return Err(StoreError::Conflict {
                attribute: "name".to_owned(),
            });
        }
        let stored = Tenant {
            id: tenant.id,
            name: tenant.name,
            created: tenant.created,
        };
        state.tenants.push(stored.clone());
        if let Some(c) = credential {
            state.credentials.insert(
                c.token_hash,
                Credential {
                    id: c.id,
                    tenant_id: c.tenant_id,
                    prefix: c.prefix,
                    created: c.created,
                },
            );
        }
        Ok(stored)
    }

    async fn find_tenant_by_name(&self, name: &str) -> Result<Option<Tenant>, StoreError> {
        Ok(self.lock().tenants.iter().find(|t| t.name == name).cloned())
    }

    async fn find_credential(&self, token_hash: &str) -> Result<Option<Credential>, StoreError> {
        Ok(self.lock().credentials.get(token_hash).cloned())
    }
}
