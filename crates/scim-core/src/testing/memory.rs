//! An in-memory implementation of the storage ports.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use scim_filter::{AttrPath, AttributeResolver, Schemas};
use scim_schema::AttributeType;
use serde_json::Value;

use crate::model::{
    AuditEntry, Client, Credential, Event, GroupRef, JwtTrust, Lease, Member, MemberChange,
    NewAuditEntry, NewClient, NewCredential, NewResource, NewTenant, NewWebhook, Page, Position,
    Query, Replacement, ResourceKind, ServerKey, SortOrder, SortValue, StoredClient, StoredEvent,
    StoredResource, Tenant, TenantId, TenantPolicies, Webhook, WebhookAttempt, WebhookBacklog,
    WebhookProgress,
};
use crate::ports::{AuditStore, ResourceStore, StoreError, TenantStore, WebhookStore};

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
    /// Group id -> members, in the order they were added.
    members: HashMap<String, Vec<Member>>,
    /// Every tenant's events, in the order written.
    events: Vec<(TenantId, StoredEvent)>,
    /// OAuth clients, in the order created.
    clients: Vec<StoredClient>,
    /// Trusted issuers, in the order added.
    trusts: Vec<JwtTrust>,
    server_keys: HashMap<String, ServerKey>,
    /// The last event sequence handed out: sequences keep growing when a
    /// tenant's events are deleted.
    last_sequence: u64,
    policies: HashMap<TenantId, TenantPolicies>,
    /// Webhooks, oldest first.
    webhooks: Vec<Webhook>,
    /// Every attempt, oldest first, with its tenant.
    attempts: Vec<(TenantId, WebhookAttempt)>,
    last_attempt: u64,
    /// The audit log, oldest first.
    audit: Vec<AuditEntry>,
    last_audit: u64,
}

impl State {
    fn record(&mut self, tenant: &TenantId, events: Vec<Event>) {
        for event in events {
            self.last_sequence += 1;
            let sequence = self.last_sequence;
            self.events
                .push((tenant.clone(), StoredEvent { sequence, event }));
        }
    }

    fn live_mut(&mut self, tenant: &TenantId, kind: ResourceKind, id: &str) -> Option<&mut Row> {
        self.resources.get_mut(id).filter(|row| {
            row.tenant == *tenant && row.resource.kind == kind && row.deleted.is_none()
        })
    }

    fn apply_member_changes(&mut self, group_id: &str, changes: &[MemberChange]) {
        for change in changes {
            match change {
                MemberChange::Add(members) => self.add_members(group_id, members),
                MemberChange::Remove(ids) => {
                    if let Some(list) = self.members.get_mut(group_id) {
                        list.retain(|m| !ids.contains(&m.id));
                    }
                }
                MemberChange::RemoveAll => {
                    self.members.remove(group_id);
                }
            }
        }
    }

    fn add_members(&mut self, group_id: &str, members: &[Member]) {
        let list = self.members.entry(group_id.to_owned()).or_default();
        for m in members {
            if !list.iter().any(|x| x.id == m.id) {
                list.push(m.clone());
            }
        }
    }
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
        if new.kind == ResourceKind::Group {
            state.add_members(&new.id, &new.members);
        }
        state.record(tenant, new.events);
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

    async fn query(
        &self,
        tenant: &TenantId,
        kind: ResourceKind,
        query: &Query,
    ) -> Result<Page, StoreError> {
        // Each live resource with what filters see: its representation,
        // plus the members of groups.
        let rows: Vec<(StoredResource, Value)> = {
            let state = self.lock();
            state
                .resources
                .values()
                .filter(|row| {
                    row.tenant == *tenant && row.resource.kind == kind && row.deleted.is_none()
                })
                .map(|row| {
                    let mut representation = row.resource.representation(None);
                    if let Some(members) = state.members.get(&row.resource.id) {
                        let list = members
                            .iter()
                            .map(|m| serde_json::json!({"value": m.id, "type": m.kind.as_str()}))
                            .collect();
                        representation.insert("members".to_owned(), Value::Array(list));
                    }
                    if kind == ResourceKind::User {
                        let groups: Vec<Value> = state
                            .members
                            .iter()
                            .filter(|(_, members)| members.iter().any(|m| m.id == row.resource.id))
                            .map(|(group, _)| serde_json::json!({"value": group}))
                            .collect();
                        if !groups.is_empty() {
                            representation.insert("groups".to_owned(), Value::Array(groups));
                        }
                    }
                    (row.resource.clone(), Value::Object(representation))
                })
                .collect()
        };
        let mut matching = Vec::with_capacity(rows.len());
        for (resource, representation) in rows {
            let keep = match &query.filter {
                None => true,
                Some(filter) => {
                    scim_filter::matches(filter, &representation, query.schemas.as_ref())
                        .map_err(|e| StoreError::Unsupported(e.to_string()))?
                }
            };
            if keep {
                let key = match &query.sort_by {
                    Some(path) => sort_key(&representation, path, query.schemas.as_ref()),
                    None => None,
                };
                matching.push((key, resource));
            }
        }
        let place = |(key, r): &(Option<SortKey>, StoredResource)| Place {
            key: key.clone(),
            created: r.created,
            id: r.id.clone(),
        };
        matching.sort_by(|a, b| place(a).cmp_in(&place(b), query.sort_order));
        let total_results = matching.len() as u64;
        let after = query.after.as_ref().map(Place::of);
        let mut following = matching
            .iter()
            .filter(|row| {
                after
                    .as_ref()
                    .is_none_or(|a| place(row).cmp_in(a, query.sort_order) == Ordering::Greater)
            })
            .skip(usize::try_from(query.start_index.saturating_sub(1)).unwrap_or(usize::MAX));
        let take = usize::try_from(query.count).unwrap_or(usize::MAX);
        let page: Vec<&(Option<SortKey>, StoredResource)> = following.by_ref().take(take).collect();
        let next = match (page.last(), following.next()) {
            (Some(last), Some(_)) => Some(place(last).position()),
            _ => None,
        };
        Ok(Page {
            resources: page.into_iter().map(|(_, r)| r.clone()).collect(),
            total_results,
            next,
        })
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
        let stored = row.resource.clone();
        if let Some(members) = replacement.members {
            state.members.remove(id);
            state.add_members(id, &members);
        }
        state.apply_member_changes(id, &replacement.member_changes);
        state.record(tenant, replacement.events);
        Ok(stored)
    }

    async fn change_members(
        &self,
        tenant: &TenantId,
        group_id: &str,
        expected_version: Option<u64>,
        changes: &[MemberChange],
        modified: DateTime<Utc>,
        events: Vec<Event>,
    ) -> Result<StoredResource, StoreError> {
        let mut state = self.lock();
        let row = state
            .live_mut(tenant, ResourceKind::Group, group_id)
            .ok_or(StoreError::NotFound)?;
        if expected_version.is_some_and(|v| v != row.resource.version) {
            return Err(StoreError::VersionMismatch);
        }
        row.resource.version += 1;
        row.resource.last_modified = modified;
        let stored = row.resource.clone();
        state.apply_member_changes(group_id, changes);
        state.record(tenant, events);
        Ok(stored)
    }

    async fn purge(
        &self,
        tenant: &TenantId,
        deleted_before: DateTime<Utc>,
        only: Option<String>,
    ) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let before = state.resources.len();
        state.resources.retain(|id, row| {
            let gone = row.tenant == *tenant
                && row.deleted.is_some_and(|at| at <= deleted_before)
                && only.as_deref().is_none_or(|o| o == id);
            !gone
        });
        Ok((before - state.resources.len()) as u64)
    }

    async fn members(&self, tenant: &TenantId, group_id: &str) -> Result<Vec<Member>, StoreError> {
        let mut state = self.lock();
        state
            .live_mut(tenant, ResourceKind::Group, group_id)
            .ok_or(StoreError::NotFound)?;
        Ok(state.members.get(group_id).cloned().unwrap_or_default())
    }

    async fn groups_of(
        &self,
        tenant: &TenantId,
        member_id: &str,
    ) -> Result<Vec<GroupRef>, StoreError> {
        let state = self.lock();
        let mut groups: Vec<(&Row, GroupRef)> = state
            .members
            .iter()
            .filter(|(_, list)| list.iter().any(|m| m.id == member_id))
            .filter_map(|(group_id, _)| state.resources.get(group_id))
            .filter(|row| row.tenant == *tenant && row.deleted.is_none())
            .map(|row| {
                let display = row
                    .resource
                    .attributes
                    .get("displayName")
                    .and_then(Value::as_str);
                (
                    row,
                    GroupRef {
                        id: row.resource.id.clone(),
                        display: display.map(str::to_owned),
                    },
                )
            })
            .collect();
        groups.sort_by(|(a, _), (b, _)| {
            a.resource
                .created
                .cmp(&b.resource.created)
                .then(a.resource.id.cmp(&b.resource.id))
        });
        Ok(groups.into_iter().map(|(_, g)| g).collect())
    }

    async fn existing(&self, tenant: &TenantId, ids: &[String]) -> Result<Vec<Member>, StoreError> {
        let state = self.lock();
        Ok(ids
            .iter()
            .filter_map(|id| state.resources.get(id))
            .filter(|row| row.tenant == *tenant && row.deleted.is_none())
            .map(|row| Member {
                id: row.resource.id.clone(),
                kind: row.resource.kind,
            })
            .collect())
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        kind: ResourceKind,
        id: &str,
        expected_version: Option<u64>,
        at: DateTime<Utc>,
        events: Vec<Event>,
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
        state.members.remove(id);
        for list in state.members.values_mut() {
            list.retain(|m| m.id != id);
        }
        state.record(tenant, events);
        Ok(())
    }

    async fn events(
        &self,
        tenant: &TenantId,
        after: u64,
        limit: u64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let state = self.lock();
        Ok(state
            .events
            .iter()
            .filter(|(t, e)| t == tenant && e.sequence > after)
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|(_, e)| e.clone())
            .collect())
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
        if let Some(c) = &credential
            && state.credentials.contains_key(&c.token_hash)
        {
            return Err(StoreError::Conflict {
                attribute: "token".to_owned(),
            });
        }
        state.tenants.push(stored.clone());
        if let Some(c) = credential {
            state
                .credentials
                .insert(c.token_hash.clone(), stored_credential(c));
        }
        Ok(stored)
    }

    async fn find_tenant_by_name(&self, name: &str) -> Result<Option<Tenant>, StoreError> {
        Ok(self.lock().tenants.iter().find(|t| t.name == name).cloned())
    }

    async fn policies(&self, tenant: &TenantId) -> Result<TenantPolicies, StoreError> {
        Ok(self
            .lock()
            .policies
            .get(tenant)
            .cloned()
            .unwrap_or_default())
    }

    async fn set_policies(
        &self,
        tenant: &TenantId,
        policies: TenantPolicies,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        if !state.tenants.iter().any(|t| t.id == *tenant) {
            return Err(StoreError::NotFound);
        }
        state.policies.insert(tenant.clone(), policies);
        Ok(())
    }

    async fn find_credential(&self, token_hash: &str) -> Result<Option<Credential>, StoreError> {
        Ok(self
            .lock()
            .credentials
            .get(token_hash)
            .filter(|c| c.revoked.is_none())
            .cloned())
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        let mut tenants = self.lock().tenants.clone();
        tenants.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
        Ok(tenants)
    }

    async fn find_tenant(&self, tenant: &TenantId) -> Result<Option<Tenant>, StoreError> {
        Ok(self
            .lock()
            .tenants
            .iter()
            .find(|t| t.id == *tenant)
            .cloned())
    }

    async fn delete_tenant(&self, tenant: &TenantId) -> Result<(), StoreError> {
        let mut state = self.lock();
        if !state.tenants.iter().any(|t| t.id == *tenant) {
            return Err(StoreError::NotFound);
        }
        state.tenants.retain(|t| t.id != *tenant);
        state.credentials.retain(|_, c| c.tenant_id != *tenant);
        state.policies.remove(tenant);
        state.clients.retain(|c| c.client.tenant_id != *tenant);
        state.trusts.retain(|t| t.tenant_id != *tenant);
        let gone: Vec<String> = state
            .resources
            .iter()
            .filter(|(_, row)| row.tenant == *tenant)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &gone {
            state.resources.remove(id);
            state.members.remove(id);
        }
        for list in state.members.values_mut() {
            list.retain(|m| !gone.contains(&m.id));
        }
        state.events.retain(|(t, _)| t != tenant);
        state.webhooks.retain(|w| w.tenant_id != *tenant);
        state.attempts.retain(|(t, _)| t != tenant);
        state.audit.retain(|a| a.entry.tenant_id != *tenant);
        Ok(())
    }

    async fn add_credential(&self, credential: NewCredential) -> Result<Credential, StoreError> {
        let mut state = self.lock();
        if !state.tenants.iter().any(|t| t.id == credential.tenant_id) {
            return Err(StoreError::NotFound);
        }
        if state.credentials.contains_key(&credential.token_hash) {
            return Err(StoreError::Conflict {
                attribute: "token".to_owned(),
            });
        }
        let hash = credential.token_hash.clone();
        let stored = stored_credential(credential);
        state.credentials.insert(hash, stored.clone());
        Ok(stored)
    }

    async fn list_credentials(&self, tenant: &TenantId) -> Result<Vec<Credential>, StoreError> {
        let mut list: Vec<Credential> = self
            .lock()
            .credentials
            .values()
            .filter(|c| c.tenant_id == *tenant)
            .cloned()
            .collect();
        list.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
        Ok(list)
    }

    async fn revoke_credential(
        &self,
        tenant: &TenantId,
        credential_id: &str,
        at: DateTime<Utc>,
    ) -> Result<Credential, StoreError> {
        let mut state = self.lock();
        let credential = credential_mut(&mut state, tenant, credential_id)?;
        credential.revoked.get_or_insert(at);
        Ok(credential.clone())
    }

    async fn set_credential_expiry(
        &self,
        tenant: &TenantId,
        credential_id: &str,
        expires: Option<DateTime<Utc>>,
    ) -> Result<Credential, StoreError> {
        let mut state = self.lock();
        let credential = credential_mut(&mut state, tenant, credential_id)?;
        credential.expires = expires;
        Ok(credential.clone())
    }

    async fn confirm_credential(
        &self,
        tenant: &TenantId,
        credential_id: &str,
        at: DateTime<Utc>,
    ) -> Result<Credential, StoreError> {
        let mut state = self.lock();
        let replaced = credential_mut(&mut state, tenant, credential_id)?
            .replaces
            .take();
        if let Some(previous) = replaced
            && let Ok(previous) = credential_mut(&mut state, tenant, &previous)
        {
            previous.expires = Some(previous.expires.map_or(at, |end| end.min(at)));
        }
        credential_mut(&mut state, tenant, credential_id).cloned()
    }

    async fn create_client(&self, new: NewClient) -> Result<Client, StoreError> {
        let mut state = self.lock();
        if !state.tenants.iter().any(|t| t.id == new.tenant_id) {
            return Err(StoreError::NotFound);
        }
        if state.clients.iter().any(|c| c.client.id == new.id) {
            return Err(StoreError::Conflict {
                attribute: "client_id".to_owned(),
            });
        }
        let client = Client {
            id: new.id,
            tenant_id: new.tenant_id,
            name: new.name,
            created: new.created,
            revoked: None,
        };
        state.clients.push(StoredClient {
            client: client.clone(),
            secret_hash: new.secret_hash,
        });
        Ok(client)
    }

    async fn find_client(&self, client_id: &str) -> Result<Option<StoredClient>, StoreError> {
        Ok(self
            .lock()
            .clients
            .iter()
            .find(|c| c.client.id == client_id && c.client.revoked.is_none())
            .cloned())
    }

    async fn list_clients(&self, tenant: &TenantId) -> Result<Vec<Client>, StoreError> {
        let mut list: Vec<Client> = self
            .lock()
            .clients
            .iter()
            .filter(|c| c.client.tenant_id == *tenant)
            .map(|c| c.client.clone())
            .collect();
        list.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
        Ok(list)
    }

    async fn revoke_client(
        &self,
        tenant: &TenantId,
        client_id: &str,
        at: DateTime<Utc>,
    ) -> Result<Client, StoreError> {
        let mut state = self.lock();
        let stored = state
            .clients
            .iter_mut()
            .find(|c| c.client.id == client_id && c.client.tenant_id == *tenant)
            .ok_or(StoreError::NotFound)?;
        stored.client.revoked.get_or_insert(at);
        Ok(stored.client.clone())
    }

    async fn add_jwt_trust(&self, trust: JwtTrust) -> Result<JwtTrust, StoreError> {
        let mut state = self.lock();
        if !state.tenants.iter().any(|t| t.id == trust.tenant_id) {
            return Err(StoreError::NotFound);
        }
        if state
            .trusts
            .iter()
            .any(|t| t.issuer == trust.issuer && t.audience == trust.audience)
        {
            return Err(StoreError::Conflict {
                attribute: "issuer".to_owned(),
            });
        }
        state.trusts.push(trust.clone());
        Ok(trust)
    }

    async fn find_jwt_trusts(&self, issuer: &str) -> Result<Vec<JwtTrust>, StoreError> {
        Ok(self
            .lock()
            .trusts
            .iter()
            .filter(|t| t.issuer == issuer)
            .cloned()
            .collect())
    }

    async fn list_jwt_trusts(&self, tenant: &TenantId) -> Result<Vec<JwtTrust>, StoreError> {
        let mut list: Vec<JwtTrust> = self
            .lock()
            .trusts
            .iter()
            .filter(|t| t.tenant_id == *tenant)
            .cloned()
            .collect();
        list.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
        Ok(list)
    }

    async fn remove_jwt_trusts(
        &self,
        tenant: &TenantId,
        issuer: &str,
    ) -> Result<Vec<JwtTrust>, StoreError> {
        let mut state = self.lock();
        let (removed, kept) = std::mem::take(&mut state.trusts)
            .into_iter()
            .partition(|t| t.tenant_id == *tenant && t.issuer == issuer);
        state.trusts = kept;
        Ok(removed)
    }

    async fn server_key(&self, candidate: ServerKey) -> Result<ServerKey, StoreError> {
        Ok(self
            .lock()
            .server_keys
            .entry(candidate.name.clone())
            .or_insert(candidate)
            .clone())
    }
}

/// A new credential as stored: not revoked.
#[async_trait]
impl WebhookStore for MemoryStore {
    async fn create_webhook(&self, new: NewWebhook) -> Result<Webhook, StoreError> {
        let mut state = self.lock();
        if !state.tenants.iter().any(|t| t.id == new.tenant_id) {
            return Err(StoreError::NotFound);
        }
        let delivered_through = new.after.unwrap_or_else(|| {
            state
                .events
                .iter()
                .filter(|(t, _)| *t == new.tenant_id)
                .map(|(_, e)| e.sequence)
                .max()
                .unwrap_or(0)
        });
        let webhook = Webhook {
            id: new.id,
            tenant_id: new.tenant_id,
            url: new.url,
            secret: new.secret,
            created: new.created,
            disabled: None,
            delivered_through,
            next_attempt: new.created,
            failures: 0,
            lease: None,
        };
        state.webhooks.push(webhook.clone());
        Ok(webhook)
    }

    async fn list_webhooks(&self, tenant: &TenantId) -> Result<Vec<Webhook>, StoreError> {
        let mut all: Vec<Webhook> = self
            .lock()
            .webhooks
            .iter()
            .filter(|w| w.tenant_id == *tenant)
            .cloned()
            .collect();
        all.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        Ok(all)
    }

    async fn delete_webhook(&self, tenant: &TenantId, id: &str) -> Result<(), StoreError> {
        let mut state = self.lock();
        let before = state.webhooks.len();
        state
            .webhooks
            .retain(|w| !(w.tenant_id == *tenant && w.id == id));
        if state.webhooks.len() == before {
            return Err(StoreError::NotFound);
        }
        state.attempts.retain(|(_, a)| a.webhook_id != id);
        Ok(())
    }

    async fn set_webhook_disabled(
        &self,
        tenant: &TenantId,
        id: &str,
        disabled: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Webhook, StoreError> {
        let mut state = self.lock();
        let webhook = state
            .webhooks
            .iter_mut()
            .find(|w| w.tenant_id == *tenant && w.id == id)
            .ok_or(StoreError::NotFound)?;
        match disabled {
            Some(at) => {
                webhook.disabled.get_or_insert(at);
            }
            None => {
                webhook.disabled = None;
                webhook.failures = 0;
                webhook.next_attempt = now;
            }
        }
        Ok(webhook.clone())
    }

    async fn webhook_backlog(&self, failing_after: u32) -> Result<WebhookBacklog, StoreError> {
        let state = self.lock();
        let mut backlog = WebhookBacklog::default();
        for webhook in &state.webhooks {
            if webhook.disabled.is_some() {
                backlog.disabled += 1;
                continue;
            }
            if webhook.failures >= failing_after {
                backlog.failing += 1;
            } else {
                backlog.active += 1;
            }
            backlog.pending_events += state
                .events
                .iter()
                .filter(|(t, e)| *t == webhook.tenant_id && e.sequence > webhook.delivered_through)
                .count() as u64;
        }
        Ok(backlog)
    }

    async fn claim_webhook(
        &self,
        now: DateTime<Utc>,
        owner: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<Webhook>, StoreError> {
        let mut state = self.lock();
        let due = state
            .webhooks
            .iter_mut()
            .filter(|w| {
                w.disabled.is_none()
                    && w.next_attempt <= now
                    && w.lease.as_ref().is_none_or(|l| l.until <= now)
            })
            .min_by_key(|w| w.next_attempt);
        Ok(due.map(|w| {
            w.lease = Some(Lease {
                owner: owner.to_owned(),
                until: lease_until,
            });
            w.clone()
        }))
    }

    async fn record_attempt(
        &self,
        owner: &str,
        progress: WebhookProgress,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let Some(webhook) = state
            .webhooks
            .iter_mut()
            .find(|w| w.tenant_id == progress.tenant_id && w.id == progress.webhook_id)
        else {
            return Ok(false);
        };
        let held = webhook.lease.as_ref().is_some_and(|l| l.owner == owner);
        if held {
            webhook.delivered_through = progress.delivered_through;
            webhook.failures = progress.failures;
            webhook.next_attempt = progress.next_attempt;
            webhook.lease = None;
        }
        if let Some(mut attempt) = progress.attempt {
            state.last_attempt += 1;
            attempt.id = state.last_attempt;
            attempt.webhook_id = progress.webhook_id;
            state.attempts.push((progress.tenant_id, attempt));
        }
        Ok(held)
    }

    async fn attempts(
        &self,
        tenant: &TenantId,
        id: &str,
        limit: u64,
    ) -> Result<Vec<WebhookAttempt>, StoreError> {
        let state = self.lock();
        if !state
            .webhooks
            .iter()
            .any(|w| w.tenant_id == *tenant && w.id == id)
        {
            return Err(StoreError::NotFound);
        }
        Ok(state
            .attempts
            .iter()
            .rev()
            .filter(|(t, a)| t == tenant && a.webhook_id == id)
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|(_, a)| a.clone())
            .collect())
    }

    async fn purge_attempts(
        &self,
        tenant: &TenantId,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let delivered: HashMap<String, u64> = state
            .webhooks
            .iter()
            .filter(|w| w.tenant_id == *tenant)
            .map(|w| (w.id.clone(), w.delivered_through))
            .collect();
        let count = state.attempts.len();
        state.attempts.retain(|(t, a)| {
            !(t == tenant
                && a.at < before
                && delivered
                    .get(&a.webhook_id)
                    .is_some_and(|through| a.last_sequence <= *through))
        });
        Ok((count - state.attempts.len()) as u64)
    }
}

#[async_trait]
impl AuditStore for MemoryStore {
    async fn record_audit(&self, entry: NewAuditEntry) -> Result<u64, StoreError> {
        let mut state = self.lock();
        if !state.tenants.iter().any(|t| t.id == entry.tenant_id) {
            return Err(StoreError::NotFound);
        }
        state.last_audit += 1;
        let id = state.last_audit;
        state.audit.push(AuditEntry { id, entry });
        Ok(id)
    }

    async fn audit(
        &self,
        tenant: &TenantId,
        after: u64,
        limit: u64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(self
            .lock()
            .audit
            .iter()
            .filter(|a| a.entry.tenant_id == *tenant && a.id > after)
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .cloned()
            .collect())
    }

    async fn purge_audit(
        &self,
        tenant: &TenantId,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let count = state.audit.len();
        state
            .audit
            .retain(|a| !(a.entry.tenant_id == *tenant && a.entry.at < before));
        Ok((count - state.audit.len()) as u64)
    }
}

fn stored_credential(c: NewCredential) -> Credential {
    Credential {
        id: c.id,
        tenant_id: c.tenant_id,
        prefix: c.prefix,
        created: c.created,
        expires: c.expires,
        revoked: None,
        replaces: c.replaces,
    }
}

/// The tenant's credential `id`, or `NotFound`.
fn credential_mut<'s>(
    state: &'s mut State,
    tenant: &TenantId,
    id: &str,
) -> Result<&'s mut Credential, StoreError> {
    state
        .credentials
        .values_mut()
        .find(|c| c.id == id && c.tenant_id == *tenant)
        .ok_or(StoreError::NotFound)
}

/// Where a resource stands in a query's order: its sort key, then its
/// creation time and id.
#[derive(Debug, Clone)]
struct Place {
    key: Option<SortKey>,
    created: DateTime<Utc>,
    id: String,
}

impl Place {
    /// The place a position names. Keys of any type compare (by type
    /// first), so no position is refused here.
    fn of(position: &Position) -> Place {
        let key = position.key.as_ref().map(|value| match value {
            SortValue::Boolean(b) => SortKey::Bool(*b),
            SortValue::Number(n) => SortKey::Number(*n),
            SortValue::Text(t) => SortKey::Text(t.clone()),
            SortValue::Instant(at) => SortKey::Instant(*at),
        });
        Place {
            key,
            created: position.created,
            id: position.id.clone(),
        }
    }

    /// The position of this place, to resume after it.
    fn position(&self) -> Position {
        let key = self.key.as_ref().map(|key| match key {
            SortKey::Bool(b) => SortValue::Boolean(*b),
            SortKey::Number(n) => SortValue::Number(*n),
            SortKey::Text(t) => SortValue::Text(t.clone()),
            SortKey::Instant(at) => SortValue::Instant(*at),
        });
        Position {
            key,
            created: self.created,
            id: self.id.clone(),
        }
    }

    /// The total order of query results: by key in `order` (missing keys
    /// last when ascending, first when descending), then by creation and
    /// id, ascending.
    fn cmp_in(&self, other: &Place, order: SortOrder) -> Ordering {
        let by_key = match (&self.key, &other.key) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        let by_key = match order {
            SortOrder::Ascending => by_key,
            SortOrder::Descending => by_key.reverse(),
        };
        by_key
            .then(self.created.cmp(&other.created))
            .then(self.id.cmp(&other.id))
    }
}

/// A sortable form of one value: strings folded unless `caseExact`,
/// dateTimes as instants (to the nanosecond), numbers as numbers.
#[derive(Debug, Clone, PartialEq)]
enum SortKey {
    Bool(bool),
    Number(f64),
    Text(String),
    Instant(DateTime<Utc>),
}

impl SortKey {
    fn rank(&self) -> u8 {
        match self {
            SortKey::Bool(_) => 0,
            SortKey::Number(_) => 1,
            SortKey::Text(_) => 2,
            SortKey::Instant(..) => 3,
        }
    }
}

impl Eq for SortKey {}

impl PartialOrd for SortKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SortKey {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (SortKey::Bool(a), SortKey::Bool(b)) => a.cmp(b),
            (SortKey::Number(a), SortKey::Number(b)) => a.total_cmp(b),
            (SortKey::Text(a), SortKey::Text(b)) => a.cmp(b),
            (SortKey::Instant(a), SortKey::Instant(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

/// The sort key of `path` in a representation: for a multi-valued
/// attribute, the primary value or else the first (RFC 7644 §3.4.2.3).
fn sort_key(representation: &Value, path: &AttrPath, schemas: &Schemas) -> Option<SortKey> {
    let resolved = schemas.resolve_path(path).ok()?;
    let container = match resolved.extension {
        Some(urn) => representation.get(urn)?,
        None => representation,
    };
    let mut value = container.get(&resolved.attribute.name)?;
    if let Value::Array(items) = value {
        value = items
            .iter()
            .find(|v| v.get("primary") == Some(&Value::Bool(true)))
            .or_else(|| items.first())?;
    }
    if let Some(sub) = resolved.sub_attribute {
        value = value.get(&sub.name)?;
    } else if resolved.attribute.ty == AttributeType::Complex {
        value = value.get("value")?;
    }
    let target = resolved.target();
    match value {
        Value::Bool(b) => Some(SortKey::Bool(*b)),
        Value::Number(n) => n.as_f64().map(SortKey::Number),
        Value::String(s) if target.ty == AttributeType::DateTime => {
            let instant = scim_schema::datetime::parse(s)?;
            // Digits past nanoseconds are dropped, in sorting and in
            // positions alike, so that a position resumes where it was taken.
            let mut digits: String = instant.fraction().chars().take(9).collect();
            while digits.len() < 9 {
                digits.push('0');
            }
            let nanos = digits.parse().ok()?;
            DateTime::from_timestamp(instant.seconds(), nanos).map(SortKey::Instant)
        }
        Value::String(s) if target.case_exact => Some(SortKey::Text(s.clone())),
        Value::String(s) => Some(SortKey::Text(s.to_lowercase())),
        _ => None,
    }
}
