//! Create, read, replace and delete of SCIM resources of one kind.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use scim_filter::AttributeResolver;
use scim_schema::{Mode, ResourceType, Strictness, ValidationError};
use serde_json::{Map, Value};

use super::cursor;
use crate::error::{Error, ErrorKind};
use crate::model::{
    DeleteMode, DuplicatePolicy, Event, EventType, IdpProfile, Member, MemberChange, NewResource,
    Query, Replacement, ResourceKind, SortOrder, StoredEvent, StoredResource, TenantExtension,
    TenantId, TenantPolicies, TenantScope,
};
use crate::ports::{Clock, IdGenerator, ResourceStore, StoreError, TenantStore};

/// How often a write without `If-Match` is tried again when another
/// write changed the resource between its read and its own write. Each
/// attempt loses only to a write that succeeded, so a request runs out of
/// attempts only under a burst of concurrent changes to one resource.
const MAX_ATTEMPTS: u32 = 16;

/// The longest `userName` and `externalId`, in characters. Storage
/// adapters index these values, so they are bounded.
pub const MAX_KEY_CHARS: usize = 512;

/// What a client asks of a list or search request, as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListRequest {
    /// The `filter` parameter.
    pub filter: Option<String>,
    /// The `sortBy` parameter.
    pub sort_by: Option<String>,
    /// The `sortOrder` parameter: `ascending` (default) or `descending`.
    pub sort_order: Option<String>,
    /// The 1-based `startIndex`; values below 1 mean 1 (RFC 7644 §3.4.2.4).
    pub start_index: u64,
    /// The `count`: the most results wanted; 0 asks only for the total.
    pub count: u64,
    /// The `cursor` (RFC 9865): `None` pages by `start_index`; `Some("")`
    /// asks for the first page by cursor, and any other value must be a
    /// `nextCursor` this service issued for the same query and tenant.
    /// `start_index` is ignored with a cursor.
    pub cursor: Option<String>,
}

/// One page of a list or search request.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    /// The resources of the page, in order.
    pub resources: Vec<StoredResource>,
    /// How many resources match the request in all, across every page.
    pub total_results: u64,
    /// For a request by cursor, the `nextCursor` that continues after this
    /// page; `None` on the last page and for requests by index.
    pub next_cursor: Option<String>,
}

/// The `attributes` and `excludedAttributes` parameters of a request
/// (RFC 7644 §3.9), as sent: comma-separated attribute names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    /// The `attributes` parameter: only these (and `returned: always`).
    pub attributes: Option<String>,
    /// The `excludedAttributes` parameter; ignored when `attributes` is given.
    pub excluded: Option<String>,
}

impl Fields {
    /// Every attribute returned by default.
    pub fn all() -> Self {
        Fields::default()
    }
}

/// A resource type as one tenant sees it, with the filter evaluator's view
/// of it.
#[derive(Debug)]
struct Typed {
    resource_type: ResourceType,
    schemas: Arc<scim_filter::Schemas>,
}

impl Typed {
    fn new(resource_type: ResourceType) -> Arc<Typed> {
        Arc::new(Typed {
            schemas: Arc::new(filter_schemas(&resource_type)),
            resource_type,
        })
    }
}

/// The policies in force for one request.
#[derive(Debug, Clone)]
struct Effective {
    duplicates: DuplicatePolicy,
    delete_mode: DeleteMode,
    strictness: Strictness,
    typed: Arc<Typed>,
}

/// The resource types of tenants that add extensions, each with the
/// extensions it was built from: rebuilt only when those change.
type TenantTypes = std::collections::HashMap<TenantId, (Vec<TenantExtension>, Arc<Typed>)>;

/// The service for one resource kind (Users, Groups or a configured
/// resource type) of any tenant.
pub struct ResourceService {
    tenant_policies: Option<Arc<dyn TenantStore>>,
    kind: ResourceKind,
    delete_mode: DeleteMode,
    duplicates: DuplicatePolicy,
    typed: Arc<Typed>,
    tenant_types: std::sync::Mutex<TenantTypes>,
    unique: Option<String>,
    strictness: Strictness,
    store: Arc<dyn ResourceStore>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl From<ValidationError> for Error {
    fn from(err: ValidationError) -> Self {
        let kind = match err.scim_type {
            scim_schema::ScimType::InvalidSyntax => ErrorKind::InvalidSyntax,
            scim_schema::ScimType::Mutability => ErrorKind::Mutability,
            _ => ErrorKind::InvalidValue,
        };
        Error::new(kind, err.detail)
    }
}

impl ResourceService {
    /// A service for a built-in `kind` with its built-in resource type
    /// (Users with the Enterprise User extension, or Groups) over the given
    /// ports. A configured kind starts from an empty resource type of its
    /// name: give it its own with [`ResourceService::with_resource_type`],
    /// or build the service with [`ResourceService::for_type`].
    pub fn new(
        kind: ResourceKind,
        store: Arc<dyn ResourceStore>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        let resource_type = match kind {
            ResourceKind::User => ResourceType::user(),
            ResourceKind::Group => ResourceType::group(),
            ResourceKind::Custom(custom) => ResourceType::new(
                custom.as_str(),
                format!("/{}", custom.as_str()),
                scim_schema::SchemaDef {
                    id: format!("urn:unconfigured:{}", custom.as_str()),
                    name: custom.as_str().to_owned(),
                    description: String::new(),
                    attributes: Vec::new(),
                },
            ),
        };
        ResourceService {
            tenant_policies: None,
            kind,
            delete_mode: DeleteMode::default(),
            duplicates: DuplicatePolicy::default(),
            unique: unique_attribute(kind, &resource_type),
            typed: Typed::new(resource_type),
            tenant_types: Default::default(),
            strictness: Strictness::Lenient,
            store,
            clock,
            ids,
        }
    }

    /// A service for `resource_type`: the built-in kind of its name
    /// (`User`, `Group`) or a configured kind.
    pub fn for_type(
        resource_type: ResourceType,
        store: Arc<dyn ResourceStore>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        ResourceService::new(ResourceKind::named(&resource_type.name), store, clock, ids)
            .with_resource_type(resource_type)
    }

    /// Replaces the resource type, e.g. to add custom extensions.
    ///
    /// For a configured kind, the first single-valued string attribute of
    /// the base schema whose `uniqueness` is `server` or `global` is kept
    /// unique per tenant, case-insensitively unless it is `caseExact`.
    pub fn with_resource_type(mut self, resource_type: ResourceType) -> Self {
        self.unique = unique_attribute(self.kind, &resource_type);
        self.typed = Typed::new(resource_type);
        self.tenant_types = Default::default();
        self
    }

    /// Reads each tenant's [`TenantPolicies`] from `tenants`; the choices a
    /// tenant leaves unset take this service's defaults.
    pub fn with_tenant_policies(mut self, tenants: Arc<dyn TenantStore>) -> Self {
        self.tenant_policies = Some(tenants);
        self
    }

    /// The policies in force for `tenant`.
    async fn policies(&self, scope: TenantScope<'_>) -> Result<Effective, Error> {
        let set = self.tenant_policies(scope).await?;
        let tenant = scope.id;
        Ok(Effective {
            duplicates: set
                .duplicates
                .or_else(|| set.idp.and_then(IdpProfile::duplicates))
                .unwrap_or(self.duplicates),
            delete_mode: set.delete_mode.unwrap_or(self.delete_mode),
            strictness: set.strictness.unwrap_or(self.strictness),
            typed: self.typed_for(tenant, set.extensions),
        })
    }

    /// The resource type as `tenant` sees it: the service's, with the
    /// extensions the tenant adds to it.
    fn typed_for(&self, tenant: &TenantId, extensions: Vec<TenantExtension>) -> Arc<Typed> {
        let mine: Vec<TenantExtension> = extensions
            .into_iter()
            .filter(|e| e.resource_type.eq_ignore_ascii_case(self.kind.as_str()))
            .collect();
        // A poisoned lock holds a consistent map: entries are replaced whole.
        let mut cache = self
            .tenant_types
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if mine.is_empty() {
            cache.remove(tenant);
            return self.typed.clone();
        }
        if let Some((built_from, typed)) = cache.get(tenant)
            && *built_from == mine
        {
            return typed.clone();
        }
        let mut resource_type = self.typed.resource_type.clone();
        for extension in &mine {
            // The server's own definition wins over a tenant's of the same URN.
            if !resource_type.knows_schema(&extension.schema.id) {
                resource_type =
                    resource_type.with_extension((*extension.schema).clone(), extension.required);
            }
        }
        let typed = Typed::new(resource_type);
        cache.insert(tenant.clone(), (mine, typed.clone()));
        typed
    }

    /// The resource type as `tenant` sees it: the service's, with the
    /// schema extensions the tenant adds ([`TenantPolicies::extensions`]).
    pub async fn resource_type_for(
        &self,
        tenant: impl Into<TenantScope<'_>>,
    ) -> Result<ResourceType, Error> {
        let scope = tenant.into();
        Ok(self.policies(scope).await?.typed.resource_type.clone())
    }

    /// The policies `tenant` has set (all unset without a tenant store).
    pub async fn tenant_policies(
        &self,
        tenant: impl Into<TenantScope<'_>>,
    ) -> Result<TenantPolicies, Error> {
        let scope = tenant.into();
        Ok(match (&self.tenant_policies, scope.policies) {
            (Some(_), Some(read)) => read.clone(),
            (Some(tenants), None) => tenants.policies(scope.id).await?,
            (None, _) => TenantPolicies::default(),
        })
    }

    /// Chooses whether DELETE keeps the record (soft) or removes it (hard).
    pub fn with_delete_mode(mut self, mode: DeleteMode) -> Self {
        self.delete_mode = mode;
        self
    }

    /// Chooses what a create colliding with a live resource answers.
    pub fn with_duplicate_policy(mut self, policy: DuplicatePolicy) -> Self {
        self.duplicates = policy;
        self
    }

    /// Chooses what happens to attributes no schema defines.
    pub fn with_strictness(mut self, strictness: Strictness) -> Self {
        self.strictness = strictness;
        self
    }

    /// The kind this service manages.
    pub fn kind(&self) -> ResourceKind {
        self.kind
    }

    /// The resource type every tenant shares: schemas and extensions.
    pub fn resource_type(&self) -> &ResourceType {
        &self.typed.resource_type
    }

    /// The attribute kept unique per tenant (`userName` for users), if any.
    pub fn unique_attribute(&self) -> Option<&str> {
        self.unique.as_deref()
    }

    /// Validates `body` and stores it as a new resource.
    ///
    /// The body is validated by the resource type (canonical names,
    /// read-only input ignored, types and required attributes checked). A
    /// `userName` that is taken case-insensitively among live users of the
    /// tenant is [`ErrorKind::Uniqueness`], unless the [`DuplicatePolicy`]
    /// recognises a retried create: then the stored resource is returned
    /// and nothing is created.
    pub async fn create(
        &self,
        tenant: impl Into<TenantScope<'_>>,
        body: Value,
    ) -> Result<StoredResource, Error> {
        let scope = tenant.into();
        let tenant = scope.id;
        let policies = self.policies(scope).await?;
        let mut attributes =
            self.prepare(&policies.typed, body, Mode::Create, policies.strictness)?;
        let members = self.take_members(tenant, &mut attributes).await?;
        let (unique_key, external_id) = self.keys(&policies.typed, &attributes)?;
        let id = self.ids.new_id();
        let created = self.clock.now();
        let members = members.unwrap_or_default();
        let mut events = vec![self.event(self.types().created, &id, created, Value::Null)];
        events.extend(self.member_events(&id, &[MemberChange::Add(members.clone())], created));
        let resource = NewResource {
            id,
            kind: self.kind,
            external_id: external_id.clone(),
            unique_key: unique_key.clone(),
            attributes,
            members,
            created,
            events,
        };
        match self.store.create(tenant, resource).await {
            Err(StoreError::Conflict { attribute }) => {
                if let Some(existing) = self
                    .replayed(tenant, &policies, unique_key, external_id)
                    .await?
                {
                    return Ok(existing);
                }
                Err(self.conflict(attribute))
            }
            other => Ok(other?),
        }
    }

    /// The live resource a conflicting create collided with, when the
    /// duplicate policy says the create is a retry of the one that made it.
    async fn replayed(
        &self,
        tenant: &TenantId,
        policies: &Effective,
        unique_key: Option<String>,
        external_id: Option<String>,
    ) -> Result<Option<StoredResource>, Error> {
        let (Some(key), Some(name)) = (unique_key, self.unique.as_deref()) else {
            return Ok(None);
        };
        let wanted = match policies.duplicates {
            DuplicatePolicy::Conflict => return Ok(None),
            DuplicatePolicy::ReturnExisting => None,
            DuplicatePolicy::ReturnSameExternalId => match external_id {
                Some(e) if !e.is_empty() => Some(e),
                _ => return Ok(None),
            },
        };
        let query = Query {
            filter: Some(scim_filter::Filter::Compare {
                path: scim_filter::AttrPath::new(name),
                op: scim_filter::CompareOp::Eq,
                value: scim_filter::CompValue::String(key),
            }),
            sort_by: None,
            sort_order: SortOrder::Ascending,
            start_index: 1,
            after: None,
            count: 1,
            schemas: policies.typed.schemas.clone(),
        };
        let page = self.store.query(tenant, self.kind, &query).await?;
        Ok(page
            .resources
            .into_iter()
            .next()
            .filter(|existing| match &wanted {
                None => true,
                Some(e) => existing.external_id.as_ref() == Some(e),
            }))
    }

    /// Reads a live resource of the tenant. Unknown, deleted and other
    /// tenants' resources are all [`ErrorKind::NotFound`].
    pub async fn get(&self, tenant: &TenantId, id: &str) -> Result<StoredResource, Error> {
        self.store
            .get(tenant, self.kind, id)
            .await?
            .ok_or_else(|| self.not_found(id))
    }

    /// Lists the live resources of the tenant that match the request's
    /// filter, sorted and paged by index (RFC 7644 §3.4.2) or by cursor
    /// (RFC 9865).
    ///
    /// A filter that does not parse, names an unknown attribute or compares
    /// a value of the wrong type is [`ErrorKind::InvalidFilter`]; an
    /// unknown `sortBy` or `sortOrder` is [`ErrorKind::InvalidValue`]; a
    /// cursor this service did not issue for the same filter, sort and
    /// tenant is [`ErrorKind::InvalidCursor`].
    ///
    /// Cursors hold the position of the page's last resource in the
    /// query's order, not an offset: paging by cursor neither repeats nor
    /// skips a resource when others are created or deleted meanwhile.
    pub async fn list(
        &self,
        tenant: impl Into<TenantScope<'_>>,
        request: &ListRequest,
    ) -> Result<Listing, Error> {
        let scope = tenant.into();
        let tenant = scope.id;
        let schemas = self.policies(scope).await?.typed.schemas.clone();
        let filter = match request.filter.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => {
                let filter = scim_filter::parse(text).map_err(filter_error)?;
                scim_filter::validate(&filter, schemas.as_ref()).map_err(filter_error)?;
                Some(filter)
            }
        };
        let sort_by = match request.sort_by.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => {
                let path = scim_filter::parse_path(text)
                    .ok()
                    .filter(|p| p.filter.is_none() && p.sub_attr.is_none())
                    .map(|p| p.attr)
                    .filter(|attr| schemas.resolve_path(attr).is_ok())
                    .ok_or_else(|| {
                        Error::invalid_value(format!("sortBy names no sortable attribute: {text}"))
                    })?;
                Some(path)
            }
        };
        let sort_order = match request.sort_order.as_deref().map(str::trim) {
            None | Some("") => SortOrder::Ascending,
            Some(o) if o.eq_ignore_ascii_case("ascending") => SortOrder::Ascending,
            Some(o) if o.eq_ignore_ascii_case("descending") => SortOrder::Descending,
            Some(o) => {
                return Err(Error::invalid_value(format!(
                    "sortOrder must be ascending or descending, not {o}"
                )));
            }
        };
        let binding = request.cursor.as_ref().map(|_| {
            cursor::Binding::new(
                tenant,
                self.kind,
                filter.as_ref(),
                sort_by.as_ref(),
                sort_order,
            )
        });
        let after = match (request.cursor.as_deref().map(str::trim), &binding) {
            (Some(token), Some(binding)) if !token.is_empty() => {
                Some(cursor::decode(token, binding).ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidCursor,
                        "the cursor is not one this server issued for this query; \
                         start again with an empty cursor",
                    )
                })?)
            }
            _ => None,
        };
        let query = Query {
            filter,
            sort_by,
            sort_order,
            start_index: match binding {
                Some(_) => 1,
                None => request.start_index.max(1),
            },
            after,
            count: request.count,
            schemas,
        };
        let page = self.store.query(tenant, self.kind, &query).await?;
        let next_cursor = match (&binding, &page.next) {
            (Some(binding), Some(next)) => Some(cursor::encode(next, binding)),
            _ => None,
        };
        Ok(Listing {
            resources: page.resources,
            total_results: page.total_results,
            next_cursor,
        })
    }

    /// Replaces a resource with `body` (PUT, RFC 7644 §3.5.1), if its
    /// version equals `expected_version` when one is given.
    ///
    /// Immutable attributes keep their value; a replacement equal to the
    /// stored resource changes nothing and keeps the version.
    pub async fn replace(
        &self,
        tenant: impl Into<TenantScope<'_>>,
        id: &str,
        body: Value,
        expected_version: Option<u64>,
    ) -> Result<StoredResource, Error> {
        let scope = tenant.into();
        let tenant = scope.id;
        // Without If-Match the client asserts no version: a concurrent change
        // between our read and our write is retried on the fresh state.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let current = self.get(tenant, id).await?;
            if expected_version.is_some_and(|v| v != current.version) {
                return Err(StoreError::VersionMismatch.into());
            }
            let policies = self.policies(scope).await?;
            let mut attributes = self.prepare(
                &policies.typed,
                body.clone(),
                Mode::Replace(&current.attributes),
                policies.strictness,
            )?;
            // A PUT without `members` does not assert them (RFC 7644 §3.5.1
            // allows either reading): they stay. `members: []` clears them.
            let members = self.take_members(tenant, &mut attributes).await?;
            // The member changes a full list amounts to, for the events.
            let member_changes = match &members {
                None => Vec::new(),
                Some(new) => {
                    let old = self.store.members(tenant, id).await?;
                    let removed: Vec<String> = old
                        .iter()
                        .filter(|m| !new.contains(m))
                        .map(|m| m.id.clone())
                        .collect();
                    let added: Vec<Member> =
                        new.iter().filter(|m| !old.contains(m)).cloned().collect();
                    let mut changes = Vec::new();
                    if !removed.is_empty() {
                        changes.push(MemberChange::Remove(removed));
                    }
                    if !added.is_empty() {
                        changes.push(MemberChange::Add(added));
                    }
                    changes
                }
            };
            if attributes == current.attributes && member_changes.is_empty() {
                return Ok(current);
            }
            let (unique_key, external_id) = self.keys(&policies.typed, &attributes)?;
            let modified = self.clock.now();
            let mut events = self.update_events(id, &current.attributes, &attributes, modified);
            events.extend(self.member_events(id, &member_changes, modified));
            let replacement = Replacement {
                external_id,
                unique_key,
                attributes,
                members,
                member_changes: Vec::new(),
                modified,
                events,
            };
            // The store re-checks the version read above atomically with the write.
            match self
                .store
                .replace(tenant, self.kind, id, current.version, replacement)
                .await
            {
                Err(StoreError::VersionMismatch) if expected_version.is_none() => {
                    if attempts >= MAX_ATTEMPTS {
                        return Err(contended(id));
                    }
                }
                result => return result.map_err(|err| self.store_error(err, id)),
            }
        }
    }

    /// Applies a PATCH request (RFC 7644 §3.5.2, with the dialects identity
    /// providers send; see `scim-patch`) if the version equals
    /// `expected_version` when one is given.
    ///
    /// The patched document is validated like a PUT. A PATCH that changes
    /// nothing writes nothing and keeps the version. For groups, member
    /// operations become deltas applied with the document change in one
    /// transaction, without reading the group's member list.
    pub async fn patch(
        &self,
        tenant: impl Into<TenantScope<'_>>,
        id: &str,
        body: Value,
        expected_version: Option<u64>,
    ) -> Result<StoredResource, Error> {
        let scope = tenant.into();
        let tenant = scope.id;
        if !body.is_object() {
            return Err(Error::new(
                ErrorKind::InvalidSyntax,
                "the body is not a PatchOp: a JSON object is required",
            ));
        }
        let body_names_schemas = body.get("schemas").is_some();
        let request: scim_schema::PatchOp = serde_json::from_value(body).map_err(|e| {
            Error::new(
                ErrorKind::InvalidSyntax,
                format!("the body is not a PatchOp: {e}"),
            )
        })?;
        // Clients that omit `schemas` are served; one that names another
        // message, or none, sent the wrong body.
        let names_patch_op = request
            .schemas
            .iter()
            .any(|s| s.eq_ignore_ascii_case(scim_schema::urn::PATCH_OP));
        if body_names_schemas && !names_patch_op {
            return Err(Error::new(
                ErrorKind::InvalidSyntax,
                format!(
                    "a PATCH body's schemas must include {}",
                    scim_schema::urn::PATCH_OP
                ),
            ));
        }
        let policies = self.policies(scope).await?;
        let strictness = policies.strictness;
        let options = scim_patch::Options::new()
            .with_extract_members(self.kind == ResourceKind::Group)
            .with_strictness(strictness);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let current = self.get(tenant, id).await?;
            if expected_version.is_some_and(|v| v != current.version) {
                return Err(StoreError::VersionMismatch.into());
            }
            let mut document = current.attributes.clone();
            // Clients echo `id` in no-path replaces (Okta); it must match.
            document.insert("id".to_owned(), Value::String(current.id.clone()));
            let outcome = scim_patch::apply(
                &policies.typed.resource_type,
                &Value::Object(document),
                &request,
                &options,
            )
            .map_err(patch_error)?;
            let changes = self.member_changes(tenant, &outcome.members).await?;
            let attributes = if outcome.changed {
                let mut patched = outcome.resource;
                if let Value::Object(map) = &mut patched {
                    map.remove("id");
                    map.remove("meta");
                }
                self.prepare(
                    &policies.typed,
                    patched,
                    Mode::Replace(&current.attributes),
                    strictness,
                )?
            } else {
                current.attributes.clone()
            };
            let now = self.clock.now();
            let mut events = self.update_events(id, &current.attributes, &attributes, now);
            events.extend(self.member_events(id, &changes, now));
            let result = if attributes == current.attributes {
                if changes.is_empty() {
                    return Ok(current);
                }
                // Member deltas do not depend on the document read above,
                // so only the client's precondition applies: concurrent
                // member changes to one group all go through.
                self.store
                    .change_members(tenant, id, expected_version, &changes, now, events)
                    .await
            } else {
                let (unique_key, external_id) = self.keys(&policies.typed, &attributes)?;
                let replacement = Replacement {
                    external_id,
                    unique_key,
                    attributes,
                    members: None,
                    member_changes: changes,
                    modified: now,
                    events,
                };
                self.store
                    .replace(tenant, self.kind, id, current.version, replacement)
                    .await
            };
            match result {
                Err(StoreError::VersionMismatch) if expected_version.is_none() => {
                    if attempts >= MAX_ATTEMPTS {
                        return Err(contended(id));
                    }
                }
                result => return result.map_err(|err| self.store_error(err, id)),
            }
        }
    }

    /// The core's member deltas for a PATCH's membership operations, with
    /// added members checked to exist in the tenant.
    async fn member_changes(
        &self,
        tenant: &TenantId,
        changes: &[scim_patch::MemberChange],
    ) -> Result<Vec<MemberChange>, Error> {
        let mut out = Vec::with_capacity(changes.len());
        for change in changes {
            match change {
                scim_patch::MemberChange::Add(members) => {
                    let ids: Vec<String> = members.iter().map(|m| m.value.clone()).collect();
                    out.push(MemberChange::Add(self.check_members(tenant, &ids).await?));
                }
                scim_patch::MemberChange::Remove(ids) => {
                    out.push(MemberChange::Remove(ids.clone()))
                }
                scim_patch::MemberChange::RemoveAll => out.push(MemberChange::RemoveAll),
                scim_patch::MemberChange::ReplaceAll(members) => {
                    let ids: Vec<String> = members.iter().map(|m| m.value.clone()).collect();
                    out.push(MemberChange::RemoveAll);
                    out.push(MemberChange::Add(self.check_members(tenant, &ids).await?));
                }
            }
        }
        Ok(out)
    }

    /// Deletes a live resource of the tenant, if its version equals
    /// `expected_version` when one is given.
    pub async fn delete(
        &self,
        tenant: impl Into<TenantScope<'_>>,
        id: &str,
        expected_version: Option<u64>,
    ) -> Result<(), Error> {
        let scope = tenant.into();
        let tenant = scope.id;
        let mode = self.policies(scope).await?.delete_mode;
        let at = self.clock.now();
        let events = vec![self.event(self.types().deleted, id, at, Value::Null)];
        self.store
            .delete(tenant, self.kind, id, expected_version, at, events)
            .await
            .map_err(|err| self.store_error(err, id))?;
        if mode == DeleteMode::Hard {
            self.store.purge(tenant, at, Some(id.to_owned())).await?;
        }
        Ok(())
    }

    /// Permanently removes the tenant's resources that were deleted more
    /// than `retention` ago; returns how many.
    pub async fn purge(
        &self,
        tenant: &TenantId,
        retention: chrono::Duration,
    ) -> Result<u64, Error> {
        let before = self.clock.now() - retention;
        Ok(self.store.purge(tenant, before, None).await?)
    }

    /// The representation of a stored resource as clients see it: `id`,
    /// `meta`, a group's `members` or a user's `groups` (read from the
    /// membership store only when the projection wants them), and the
    /// attributes `fields` selects, as the tenant's resource type defines
    /// them. `base_url` is the SCIM base URL the client used, for
    /// `meta.location` and `$ref`s; only the caller knows it.
    pub async fn render(
        &self,
        tenant: impl Into<TenantScope<'_>>,
        resource: &StoredResource,
        base_url: Option<&str>,
        fields: &Fields,
    ) -> Result<Value, Error> {
        let scope = tenant.into();
        let mut all = self
            .render_many(scope, std::slice::from_ref(resource), base_url, fields)
            .await?;
        all.pop()
            .ok_or_else(|| Error::new(ErrorKind::Internal, "rendering lost a resource"))
    }

    /// [`ResourceService::render`] for a page of resources, reading their
    /// memberships in one round trip rather than one per resource.
    pub async fn render_many(
        &self,
        tenant: impl Into<TenantScope<'_>>,
        resources: &[StoredResource],
        base_url: Option<&str>,
        fields: &Fields,
    ) -> Result<Vec<Value>, Error> {
        let scope = tenant.into();
        let tenant = scope.id;
        let typed = self.policies(scope).await?.typed;
        let resource_type = &typed.resource_type;
        let projection =
            resource_type.projection(fields.attributes.as_deref(), fields.excluded.as_deref());
        let reference = |kind: ResourceKind, id: &str| {
            let endpoint = kind.endpoint()?;
            base_url.map(|b| Value::String(format!("{b}{endpoint}/{id}")))
        };
        let ids: Vec<String> = resources.iter().map(|r| r.id.clone()).collect();
        // The membership attribute of each resource, when it is returned.
        let mut attached: std::collections::HashMap<String, Vec<Value>> = Default::default();
        match self.kind {
            ResourceKind::Group if !projection.excludes(resource_type, "members") => {
                for (group, m) in self.store.members_of_many(tenant, &ids).await? {
                    let mut o = Map::new();
                    o.insert("value".into(), Value::String(m.id.clone()));
                    if let Some(r) = reference(m.kind, &m.id) {
                        o.insert("$ref".into(), r);
                    }
                    o.insert("type".into(), Value::String(m.kind.as_str().to_owned()));
                    attached.entry(group).or_default().push(Value::Object(o));
                }
            }
            ResourceKind::User if !projection.excludes(resource_type, "groups") => {
                for (member, g) in self.store.groups_of_many(tenant, &ids).await? {
                    let mut o = Map::new();
                    o.insert("value".into(), Value::String(g.id.clone()));
                    if let Some(r) = reference(ResourceKind::Group, &g.id) {
                        o.insert("$ref".into(), r);
                    }
                    if let Some(d) = &g.display {
                        o.insert("display".into(), Value::String(d.clone()));
                    }
                    o.insert("type".into(), Value::String("direct".into()));
                    attached.entry(member).or_default().push(Value::Object(o));
                }
            }
            _ => {}
        }
        let name = match self.kind {
            ResourceKind::Group => "members",
            _ => "groups",
        };
        Ok(resources
            .iter()
            .map(|resource| {
                let location =
                    base_url.map(|b| format!("{b}{}/{}", resource_type.endpoint, resource.id));
                let mut representation = resource.representation(location);
                representation
                    .entry("schemas")
                    .or_insert_with(|| Value::Array(vec![resource_type.schema.id.clone().into()]));
                if let Some(list) = attached.remove(&resource.id) {
                    representation.insert(name.into(), Value::Array(list));
                }
                Value::Object(resource_type.shape(&representation, &projection))
            })
            .collect())
    }

    /// Applies member changes to a group as deltas (for PATCH), checking
    /// that added members exist in the tenant.
    pub async fn change_members(
        &self,
        tenant: &TenantId,
        group_id: &str,
        changes: &[MemberChange],
        expected_version: Option<u64>,
    ) -> Result<StoredResource, Error> {
        for change in changes {
            if let MemberChange::Add(members) = change {
                let ids: Vec<String> = members.iter().map(|m| m.id.clone()).collect();
                self.check_members(tenant, &ids).await?;
            }
        }
        let now = self.clock.now();
        let events = self.member_events(group_id, changes, now);
        self.store
            .change_members(tenant, group_id, expected_version, changes, now, events)
            .await
            .map_err(|err| self.store_error(err, group_id))
    }

    /// For groups: removes `members` from validated attributes and returns
    /// the members, checked to exist in the tenant. `None` when the body
    /// has no `members` (or the kind has none).
    async fn take_members(
        &self,
        tenant: &TenantId,
        attributes: &mut Map<String, Value>,
    ) -> Result<Option<Vec<Member>>, Error> {
        if self.kind != ResourceKind::Group {
            return Ok(None);
        }
        let Some(value) = attributes.remove("members") else {
            return Ok(None);
        };
        let mut ids: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for item in value.as_array().into_iter().flatten() {
            match item.get("value").and_then(Value::as_str) {
                Some(id) if seen.insert(id) => ids.push(id.to_owned()),
                Some(_) => {}
                None => {
                    return Err(Error::invalid_value(
                        "every member needs a value: the member's id",
                    ));
                }
            }
        }
        Ok(Some(self.check_members(tenant, &ids).await?))
    }

    /// The members with these ids, each of which must be a live user or
    /// group of the tenant (RFC 7643 §4.2).
    async fn check_members(&self, tenant: &TenantId, ids: &[String]) -> Result<Vec<Member>, Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let found = self.store.existing(tenant, ids).await?;
        let mut members = Vec::with_capacity(ids.len());
        for id in ids {
            match found.iter().find(|m| &m.id == id && m.kind.can_be_member()) {
                Some(m) => members.push(m.clone()),
                None => {
                    return Err(Error::invalid_value(format!(
                        "member {id} is not a user or group of this tenant"
                    )));
                }
            }
        }
        Ok(members)
    }

    /// The tenant's provisioning events after sequence `after`, oldest
    /// first, at most `limit`: the feed a host application follows.
    pub async fn events(
        &self,
        tenant: &TenantId,
        after: u64,
        limit: u64,
    ) -> Result<Vec<StoredEvent>, Error> {
        Ok(self.store.events(tenant, after, limit).await?)
    }

    fn types(&self) -> KindEvents {
        match self.kind {
            ResourceKind::Custom(_) => KindEvents {
                created: EventType::ResourceCreated,
                updated: EventType::ResourceUpdated,
                deleted: EventType::ResourceDeleted,
            },
            ResourceKind::User => KindEvents {
                created: EventType::UserCreated,
                updated: EventType::UserUpdated,
                deleted: EventType::UserDeleted,
            },
            ResourceKind::Group => KindEvents {
                created: EventType::GroupCreated,
                updated: EventType::GroupUpdated,
                deleted: EventType::GroupDeleted,
            },
        }
    }

    fn event(&self, event_type: EventType, id: &str, at: DateTime<Utc>, data: Value) -> Event {
        Event {
            id: self.ids.new_id(),
            event_type,
            resource_kind: self.kind,
            resource_id: id.to_owned(),
            occurred: at,
            data,
        }
    }

    /// `updated` with the changed attribute names, and for users
    /// `deactivated`/`reactivated` when `active` flips. None when nothing
    /// changed.
    fn update_events(
        &self,
        id: &str,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        at: DateTime<Utc>,
    ) -> Vec<Event> {
        let changed = changed_attributes(old, new);
        if changed.is_empty() {
            return Vec::new();
        }
        let mut events = vec![self.event(
            self.types().updated,
            id,
            at,
            serde_json::json!({ "attributes": changed }),
        )];
        if self.kind == ResourceKind::User {
            // An absent `active` counts as active, as identity providers read it.
            let active = |m: &Map<String, Value>| m.get("active") != Some(&Value::Bool(false));
            match (active(old), active(new)) {
                (true, false) => {
                    events.push(self.event(EventType::UserDeactivated, id, at, Value::Null))
                }
                (false, true) => {
                    events.push(self.event(EventType::UserReactivated, id, at, Value::Null))
                }
                _ => {}
            }
        }
        events
    }

    /// One event per member added or removed, or one for clearing.
    fn member_events(
        &self,
        group_id: &str,
        changes: &[MemberChange],
        at: DateTime<Utc>,
    ) -> Vec<Event> {
        let mut events = Vec::new();
        for change in changes {
            match change {
                MemberChange::Add(members) => events.extend(members.iter().map(|m| {
                    self.event(
                        EventType::MemberAdded,
                        group_id,
                        at,
                        serde_json::json!({ "member": m.id }),
                    )
                })),
                MemberChange::Remove(ids) => events.extend(ids.iter().map(|m| {
                    self.event(
                        EventType::MemberRemoved,
                        group_id,
                        at,
                        serde_json::json!({ "member": m }),
                    )
                })),
                MemberChange::RemoveAll => {
                    events.push(self.event(EventType::MembersCleared, group_id, at, Value::Null));
                }
            }
        }
        events
    }

    fn not_found(&self, id: &str) -> Error {
        Error::new(
            ErrorKind::NotFound,
            format!("{} {id} not found", self.kind.as_str()),
        )
    }

    fn store_error(&self, err: StoreError, id: &str) -> Error {
        match err {
            StoreError::NotFound => self.not_found(id),
            StoreError::Conflict { attribute } => self.conflict(attribute),
            other => other.into(),
        }
    }

    /// A collision on the unique key, named by the attribute it holds:
    /// stores know the built-in kinds' unique attributes only.
    fn conflict(&self, attribute: String) -> Error {
        let attribute = match &self.unique {
            Some(unique) => unique.clone(),
            None => attribute,
        };
        StoreError::Conflict { attribute }.into()
    }

    /// Validates a body and removes what is never stored.
    fn prepare(
        &self,
        typed: &Typed,
        body: Value,
        mode: Mode<'_>,
        strictness: Strictness,
    ) -> Result<Map<String, Value>, Error> {
        if self.kind == ResourceKind::Group {
            member_values_given(&body)?;
        }
        let mut attributes = typed.resource_type.validate(body, mode, strictness)?;
        // Passwords are write-only and never returned. This server does not
        // authenticate users, so it keeps no password, hashed or not.
        attributes.remove("password");
        Ok(attributes)
    }

    /// The folded unique key and the externalId of validated attributes.
    fn keys(
        &self,
        typed: &Typed,
        attributes: &Map<String, Value>,
    ) -> Result<(Option<String>, Option<String>), Error> {
        let external_id = match attributes.get("externalId") {
            Some(Value::String(s)) => Some(bounded("externalId", s)?.to_owned()),
            _ => None,
        };
        let Some(name) = self.unique.as_deref() else {
            return Ok((None, external_id));
        };
        let value = match attributes.get(name) {
            Some(Value::String(s)) if !s.trim().is_empty() => bounded(name, s)?,
            // The built-in kinds' keys are required; a configured kind's
            // unique attribute is unique when present.
            _ if self.kind.unique_attribute().is_some() => {
                return Err(Error::invalid_value(format!("{name} is required")));
            }
            _ => return Ok((None, external_id)),
        };
        let case_exact = typed
            .resource_type
            .core_attribute(name)
            .is_some_and(|def| def.case_exact);
        let folded = if case_exact {
            value.to_owned()
        } else {
            value.to_lowercase()
        };
        bounded(name, &folded)?;
        Ok((Some(folded), external_id))
    }
}

/// The event types of one resource kind.
struct KindEvents {
    created: EventType,
    updated: EventType,
    deleted: EventType,
}

/// The names of the attributes that differ between two documents; for
/// extensions, `urn:...:attribute` for each attribute that differs.
fn changed_attributes(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let keys = old
        .keys()
        .chain(new.keys().filter(|k| !old.contains_key(*k)));
    for key in keys {
        let (a, b) = (old.get(key), new.get(key));
        if a == b || key == "schemas" {
            continue;
        }
        match (a, b) {
            (Some(Value::Object(x)), Some(Value::Object(y))) if key.starts_with("urn:") => {
                names.extend(
                    changed_attributes(x, y)
                        .into_iter()
                        .map(|sub| format!("{key}:{sub}")),
                );
            }
            _ => names.push(key.clone()),
        }
    }
    names
}

/// The attribute kept unique per tenant: `userName` for users; for a
/// configured kind, the first single-valued string of its base schema
/// whose `uniqueness` is `server` or `global`.
fn unique_attribute(kind: ResourceKind, resource_type: &ResourceType) -> Option<String> {
    match kind {
        ResourceKind::Custom(_) => resource_type
            .schema
            .attributes
            .iter()
            .find(|a| {
                !a.multi_valued
                    && a.ty == scim_schema::AttributeType::String
                    && a.uniqueness != scim_schema::Uniqueness::None
            })
            .map(|a| a.name.clone()),
        builtin => builtin.unique_attribute().map(str::to_owned),
    }
}

/// The filter evaluator's view of a resource type.
fn filter_schemas(resource_type: &ResourceType) -> scim_filter::Schemas {
    scim_filter::Schemas::new(
        resource_type.schema.clone(),
        resource_type.extensions.iter().map(|e| e.schema.clone()),
    )
}

/// A write without `If-Match` that kept losing to concurrent writes: the
/// client set no precondition, so it must not get 412; it may retry.
fn contended(id: &str) -> Error {
    Error::new(
        ErrorKind::Unavailable,
        format!("resource {id} is being changed by other requests; retry"),
    )
}

/// A PATCH engine error as a core error, naming the failing operation.
fn patch_error(err: scim_patch::Error) -> Error {
    use scim_schema::ScimType;
    let kind = match err.scim_type() {
        ScimType::InvalidPath => ErrorKind::InvalidPath,
        ScimType::NoTarget => ErrorKind::NoTarget,
        ScimType::Mutability => ErrorKind::Mutability,
        ScimType::InvalidSyntax => ErrorKind::InvalidSyntax,
        ScimType::InvalidFilter => ErrorKind::InvalidFilter,
        ScimType::Uniqueness => ErrorKind::Uniqueness,
        ScimType::TooMany => ErrorKind::TooMany,
        ScimType::InvalidValue
        | ScimType::InvalidVers
        | ScimType::Sensitive
        | ScimType::InvalidCursor
        | ScimType::ExpiredCursor
        | ScimType::InvalidCount => ErrorKind::InvalidValue,
    };
    Error::new(kind, err.to_string())
}

fn filter_error(err: scim_filter::Error) -> Error {
    Error::new(ErrorKind::InvalidFilter, err.to_string())
}

/// Checks a value that storage indexes: bounded in length, and free of
/// NUL characters, which PostgreSQL cannot store in text.
fn bounded<'a>(name: &str, value: &'a str) -> Result<&'a str, Error> {
    if value.chars().count() > MAX_KEY_CHARS {
        return Err(Error::invalid_value(format!(
            "{name} is longer than {MAX_KEY_CHARS} characters"
        )));
    }
    if value.contains('\0') {
        return Err(Error::invalid_value(format!(
            "{name} must not contain the NUL character"
        )));
    }
    Ok(value)
}

/// Every member object of a group body names its member: validation
/// would drop an element left empty (`{}`, `{"value": null}`, `{"display":
/// "x"}`), and the write would then succeed as if that member had not been
/// sent, as PATCH already refuses.
fn member_values_given(body: &Value) -> Result<(), Error> {
    let Some(members) = body.as_object().and_then(|map| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("members"))
            .map(|(_, v)| v)
    }) else {
        return Ok(());
    };
    let items = match members {
        Value::Array(items) => items.as_slice(),
        other => std::slice::from_ref(other),
    };
    for item in items {
        let Value::Object(fields) = item else {
            continue;
        };
        let value = fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("value"))
            .map(|(_, v)| v);
        if !matches!(value, Some(Value::String(id)) if !id.trim().is_empty()) {
            return Err(Error::invalid_value(
                "every member needs a value: the member's id",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
