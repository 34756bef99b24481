//! The ports: what the core needs from the outside world.
//!
//! Every port is an object-safe async trait, held as `Arc<dyn ...>`. Each
//! method documents the contract an adapter MUST honour; the store contract
//! test kit checks these rules against any adapter.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[cfg(doc)]
use crate::model::Position;
use crate::model::{
    AuditEntry, Client, Credential, Event, GroupRef, JwtTrust, Member, MemberChange, NewAuditEntry,
    NewClient, NewCredential, NewResource, NewTenant, NewWebhook, Page, Query, Replacement,
    ResourceKind, ServerKey, StoredClient, StoredEvent, StoredResource, Tenant, TenantId,
    TenantPolicies, Webhook, WebhookAttempt, WebhookBacklog, WebhookProgress,
};

/// Why a storage operation failed. Adapters MUST classify errors by kind
/// (e.g. by the database's constraint-violation code), never by message text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A uniqueness rule was violated; `attribute` names the SCIM attribute.
    #[error("{attribute} is already in use")]
    Conflict {
        /// The attribute whose value collided, e.g. `userName`.
        attribute: String,
    },
    /// The target does not exist (or is deleted) in the tenant.
    #[error("not found")]
    NotFound,
    /// A conditional write found a different version than expected.
    #[error("version mismatch")]
    VersionMismatch,
    /// The query uses a filter or sort this adapter cannot execute in the
    /// database; the message says which part. Adapters MUST NOT fall back
    /// to loading the tenant's resources into memory.
    #[error("unsupported query: {0}")]
    Unsupported(String),
    /// [`Query::after`] holds a position this store cannot compare with
    /// the query's order (a key of another type than the sort attribute,
    /// or text the store cannot hold). Only a forged cursor carries one.
    #[error("the position does not fit the query's order")]
    InvalidPosition,
    /// The backend cannot be reached or is overloaded; retrying may help.
    #[error("storage unavailable: {0}")]
    Unavailable(Box<dyn std::error::Error + Send + Sync>),
    /// Any other backend failure.
    #[error("storage failure: {0}")]
    Backend(Box<dyn std::error::Error + Send + Sync>),
}

/// Storage of SCIM resources.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ResourceStore: Send + Sync {
    /// Inserts a resource with version 1, with its events.
    ///
    /// MUST return [`StoreError::Conflict`] (attribute `userName` for users)
    /// when `unique_key` is `Some` and equals the `unique_key` of a live
    /// resource of the same kind in the same tenant. Deleted resources never
    /// conflict. Two concurrent creates with the same key MUST produce
    /// exactly one resource.
    async fn create(
        &self,
        tenant: &TenantId,
        resource: NewResource,
    ) -> Result<StoredResource, StoreError>;

    /// Reads a live resource. MUST return `Ok(None)` for unknown ids, for
    /// deleted resources, and for resources of another tenant or kind.
    async fn get(
        &self,
        tenant: &TenantId,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Option<StoredResource>, StoreError>;

    /// Finds the live resources of `kind` in `tenant` matching
    /// `query.filter`, in the order below, and returns the page that
    /// starts right after `query.after` (when set) and then at
    /// `query.start_index` (1-based), of at most `query.count` resources,
    /// with the total number of matches (`after` and `start_index`
    /// disregarded).
    ///
    /// The order MUST be total: by `query.sort_by` in `query.sort_order`
    /// (values compared as the store compares them: case-insensitive text
    /// folded to lowercase; resources without a value last when ascending,
    /// first when descending), then by creation time ascending, then by id
    /// ascending, whatever `sort_order`.
    ///
    /// Keyset paging: `page.next` MUST be the [`Position`] of the last
    /// resource returned when at least one more matching resource follows
    /// it, and `None` otherwise (always `None` when `count` is 0). Its
    /// `key` is that resource's `sort_by` value exactly as the order
    /// compared it (`None` without `sort_by` or without a value), `created`
    /// and `id` its own. Given back as `query.after`, it selects the
    /// resources strictly after that place in the order, computed from the
    /// position's values in the database, never by skipping rows, so that
    /// walking a query page by page returns every resource that matches
    /// throughout exactly once, in order, even when other resources are
    /// created or deleted between pages. A position whose key cannot be
    /// compared with the order MUST be refused with
    /// [`StoreError::InvalidPosition`]; any other position is valid, even
    /// one of another query or tenant: it only says where to start.
    ///
    /// Filters MUST mean what `scim_filter::matches` decides on the
    /// resource's representation (attributes, `id`, `externalId`, `meta`).
    /// MUST never return another tenant's or a deleted resource.
    async fn query(
        &self,
        tenant: &TenantId,
        kind: ResourceKind,
        query: &Query,
    ) -> Result<Page, StoreError>;

    /// Replaces the attributes, `externalId` and unique key of a live
    /// resource (and for groups `replacement.members`, then
    /// `replacement.member_changes`, all in one transaction) and sets its
    /// `lastModified` to `replacement.modified`, only
    /// if its stored version equals `expected_version`, checked atomically
    /// with the write; the version then grows by one.
    ///
    /// MUST return [`StoreError::NotFound`] when there is no such live
    /// resource, [`StoreError::VersionMismatch`] when the version differs,
    /// and [`StoreError::Conflict`] (as for `create`) when the new unique
    /// key is taken by another live resource of the kind in the tenant;
    /// nothing is written then.
    async fn replace(
        &self,
        tenant: &TenantId,
        kind: ResourceKind,
        id: &str,
        expected_version: u64,
        replacement: Replacement,
    ) -> Result<StoredResource, StoreError>;

    /// Applies member changes, in order, to a live group, atomically with
    /// a version check (when `expected_version` is given) and a version
    /// bump; `lastModified` becomes `modified`. The cost MUST depend on the
    /// number of members changed, not on the group's size. Adding a member
    /// already present or removing an absent one is not an error.
    ///
    /// MUST return [`StoreError::NotFound`] when there is no such live
    /// group and [`StoreError::VersionMismatch`] when the version differs.
    async fn change_members(
        &self,
        tenant: &TenantId,
        group_id: &str,
        expected_version: Option<u64>,
        changes: &[MemberChange],
        modified: DateTime<Utc>,
        events: Vec<Event>,
    ) -> Result<StoredResource, StoreError>;

    /// The members of a live group, in the order they were added.
    async fn members(&self, tenant: &TenantId, group_id: &str) -> Result<Vec<Member>, StoreError>;

    /// The live groups `member_id` directly belongs to.
    async fn groups_of(
        &self,
        tenant: &TenantId,
        member_id: &str,
    ) -> Result<Vec<GroupRef>, StoreError>;

    /// [`ResourceStore::groups_of`] for several members at once, as
    /// (member id, group) pairs: what a page of users needs. The default
    /// asks once per member; adapters SHOULD answer in one round trip.
    async fn groups_of_many(
        &self,
        tenant: &TenantId,
        member_ids: &[String],
    ) -> Result<Vec<(String, GroupRef)>, StoreError> {
        let mut out = Vec::new();
        for id in member_ids {
            for group in self.groups_of(tenant, id).await? {
                out.push((id.clone(), group));
            }
        }
        Ok(out)
    }

    /// [`ResourceStore::members`] for several live groups at once, as
    /// (group id, member) pairs in each group's order; unknown groups have
    /// none. The default asks once per group; adapters SHOULD answer in one
    /// round trip.
    async fn members_of_many(
        &self,
        tenant: &TenantId,
        group_ids: &[String],
    ) -> Result<Vec<(String, Member)>, StoreError> {
        let mut out = Vec::new();
        for id in group_ids {
            match self.members(tenant, id).await {
                Ok(members) => out.extend(members.into_iter().map(|m| (id.clone(), m))),
                Err(StoreError::NotFound) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(out)
    }

    /// Which of `ids` are live users or groups of the tenant, with their kind.
    async fn existing(&self, tenant: &TenantId, ids: &[String]) -> Result<Vec<Member>, StoreError>;

    /// Permanently removes resources of the tenant that were (soft-)deleted
    /// at or before `deleted_before`, of every kind, or only the resource
    /// `only` when given. Returns how many were removed. MUST NOT touch
    /// live resources.
    async fn purge(
        &self,
        tenant: &TenantId,
        deleted_before: DateTime<Utc>,
        only: Option<String>,
    ) -> Result<u64, StoreError>;

    /// Deletes a live resource. With `expected_version`, the delete MUST
    /// happen only if the stored version equals it, checked atomically with
    /// the write ([`StoreError::VersionMismatch`] otherwise). MUST return
    /// [`StoreError::NotFound`] when there is no such live resource. A
    /// deleted resource stops counting for uniqueness at once, and its
    /// memberships end: it leaves every group, and a deleted group loses
    /// its members.
    async fn delete(
        &self,
        tenant: &TenantId,
        kind: ResourceKind,
        id: &str,
        expected_version: Option<u64>,
        at: DateTime<Utc>,
        events: Vec<Event>,
    ) -> Result<(), StoreError>;

    /// The tenant's events with a sequence above `after`, oldest first, at
    /// most `limit` of them.
    ///
    /// Every write method MUST store its events in the same transaction as
    /// its change: a write that fails or changes nothing stores none.
    /// Sequences MUST grow with every event written. With concurrent
    /// writers an event can become visible after one with a higher
    /// sequence, so a consumer that must miss nothing re-reads a short
    /// window behind its cursor and deduplicates by event id.
    async fn events(
        &self,
        tenant: &TenantId,
        after: u64,
        limit: u64,
    ) -> Result<Vec<StoredEvent>, StoreError>;
}

/// Storage of tenants and their credentials: bearer tokens, OAuth clients
/// and trusted token issuers; and the server's own keys.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TenantStore: Send + Sync {
    /// Creates a tenant, and its first credential if given, atomically.
    /// The credential's `expires` is stored as for
    /// [`TenantStore::add_credential`].
    ///
    /// MUST return [`StoreError::Conflict`] (attribute `name`) when a tenant
    /// with the same name exists; nothing is written then.
    async fn create_tenant(
        &self,
        tenant: NewTenant,
        credential: Option<NewCredential>,
    ) -> Result<Tenant, StoreError>;

    /// Finds a tenant by its exact name.
    async fn find_tenant_by_name(&self, name: &str) -> Result<Option<Tenant>, StoreError>;

    /// The tenant's provisioning policies; all unset for a tenant that never
    /// set any (or does not exist).
    async fn policies(&self, tenant: &TenantId) -> Result<TenantPolicies, StoreError>;

    /// Replaces the tenant's policies. MUST return [`StoreError::NotFound`]
    /// for an unknown tenant.
    async fn set_policies(
        &self,
        tenant: &TenantId,
        policies: TenantPolicies,
    ) -> Result<(), StoreError>;

    /// Finds the credential whose token hash equals `token_hash`, with its
    /// `expires` as stored.
    ///
    /// MUST return `Ok(None)` for unknown hashes and for revoked
    /// credentials. Expired credentials MUST be returned: the caller
    /// decides expiry against its [`Clock`].
    async fn find_credential(&self, token_hash: &str) -> Result<Option<Credential>, StoreError>;

    /// [`TenantStore::find_credential`] with the policies of the
    /// credential's tenant, as [`TenantStore::policies`] returns them.
    /// Every authenticated request asks for both: a store that can read
    /// them in one round trip should.
    async fn find_credential_with_policies(
        &self,
        token_hash: &str,
    ) -> Result<Option<(Credential, TenantPolicies)>, StoreError> {
        let Some(credential) = self.find_credential(token_hash).await? else {
            return Ok(None);
        };
        let policies = self.policies(&credential.tenant_id).await?;
        Ok(Some((credential, policies)))
    }

    /// Every tenant, oldest first (by creation time, then id).
    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError>;

    /// Finds a tenant by its id. MUST return `Ok(None)` for an unknown id.
    async fn find_tenant(&self, tenant: &TenantId) -> Result<Option<Tenant>, StoreError>;

    /// Removes the tenant and ALL its data, atomically: its credentials,
    /// OAuth clients, trusted issuers, policies, resources (live and
    /// deleted), group memberships, index rows, events, webhooks with their
    /// attempts, and audit entries.
    ///
    /// MUST return [`StoreError::NotFound`] for an unknown tenant. MUST NOT
    /// touch any other tenant. Afterwards nothing of the tenant may be
    /// found through any port method, its tokens MUST no longer be found,
    /// and a tenant with the same name (and even the same id) MUST be
    /// creatable and start empty: no resources, members, index entries,
    /// events, credentials, clients, trusts, webhooks, audit entries or
    /// policies left over. Either everything is
    /// removed or, on failure, nothing.
    async fn delete_tenant(&self, tenant: &TenantId) -> Result<(), StoreError>;

    /// Stores another credential of an existing tenant (`credential.tenant_id`),
    /// with its `expires`, not revoked.
    ///
    /// MUST return [`StoreError::NotFound`] when the tenant does not exist
    /// and [`StoreError::Conflict`] (attribute `token`) when the token hash
    /// is already stored; nothing is written then.
    async fn add_credential(&self, credential: NewCredential) -> Result<Credential, StoreError>;

    /// Every credential of the tenant, revoked and expired ones included,
    /// oldest first (by creation time, then id). An unknown tenant has
    /// none. MUST NOT return another tenant's credentials.
    async fn list_credentials(&self, tenant: &TenantId) -> Result<Vec<Credential>, StoreError>;

    /// Revokes the tenant's credential `credential_id` at `at`: from then
    /// on [`TenantStore::find_credential`] MUST NOT return it, while
    /// [`TenantStore::list_credentials`] still lists it with `revoked` set.
    /// Returns the credential as now stored.
    ///
    /// MUST return [`StoreError::NotFound`] for an unknown credential and
    /// for a credential of another tenant (which stays untouched).
    /// Revoking an already revoked credential MUST succeed and keep its
    /// first revocation time.
    async fn revoke_credential(
        &self,
        tenant: &TenantId,
        credential_id: &str,
        at: DateTime<Utc>,
    ) -> Result<Credential, StoreError>;

    /// Sets (or with `None` clears) the expiry of the tenant's credential
    /// `credential_id`, revoked or not, and returns the credential as now
    /// stored.
    ///
    /// MUST return [`StoreError::NotFound`] for an unknown credential and
    /// for a credential of another tenant (which stays untouched).
    async fn set_credential_expiry(
        &self,
        tenant: &TenantId,
        credential_id: &str,
        expires: Option<DateTime<Utc>>,
    ) -> Result<Credential, StoreError>;

    /// Confirms the rotation the tenant's credential `credential_id` came
    /// from, atomically: the credential it `replaces` stops authenticating
    /// at `at` (an earlier expiry stays), and the link is cleared. Returns
    /// the credential as now stored. Nothing changes for a credential that
    /// replaces none, or whose predecessor is gone.
    ///
    /// MUST return [`StoreError::NotFound`] for an unknown credential and
    /// for a credential of another tenant (which stays untouched).
    async fn confirm_credential(
        &self,
        tenant: &TenantId,
        credential_id: &str,
        at: DateTime<Utc>,
    ) -> Result<Credential, StoreError>;

    /// Stores an OAuth client of an existing tenant (`client.tenant_id`),
    /// not revoked.
    ///
    /// MUST return [`StoreError::NotFound`] when the tenant does not exist
    /// and [`StoreError::Conflict`] (attribute `client_id`) when the id is
    /// taken; nothing is written then.
    async fn create_client(&self, client: NewClient) -> Result<Client, StoreError>;

    /// Finds a client by its `client_id`, with its secret hash, whatever
    /// its tenant.
    ///
    /// MUST return `Ok(None)` for unknown ids and for revoked clients, so
    /// that a revoked client's secret and access tokens stop working at
    /// once.
    async fn find_client(&self, client_id: &str) -> Result<Option<StoredClient>, StoreError>;

    /// Every client of the tenant, revoked ones included, oldest first (by
    /// creation time, then id). An unknown tenant has none. MUST NOT return
    /// another tenant's clients.
    async fn list_clients(&self, tenant: &TenantId) -> Result<Vec<Client>, StoreError>;

    /// Revokes the tenant's client `client_id` at `at`: from then on
    /// [`TenantStore::find_client`] MUST NOT return it, while
    /// [`TenantStore::list_clients`] still lists it with `revoked` set.
    /// Returns the client as now stored.
    ///
    /// MUST return [`StoreError::NotFound`] for an unknown client and for a
    /// client of another tenant (which stays untouched). Revoking a revoked
    /// client MUST succeed and keep its first revocation time.
    async fn revoke_client(
        &self,
        tenant: &TenantId,
        client_id: &str,
        at: DateTime<Utc>,
    ) -> Result<Client, StoreError>;

    /// Stores a tenant's trust in an external token issuer.
    ///
    /// MUST return [`StoreError::NotFound`] when the tenant does not exist,
    /// and [`StoreError::Conflict`] (attribute `issuer`) when a trust with
    /// the same issuer and audience exists, in this tenant or any other
    /// (the pair names one tenant at most); nothing is written then.
    async fn add_jwt_trust(&self, trust: JwtTrust) -> Result<JwtTrust, StoreError>;

    /// Every trust whose issuer equals `issuer` exactly, whatever its
    /// tenant: how a token's `iss` finds its tenant.
    async fn find_jwt_trusts(&self, issuer: &str) -> Result<Vec<JwtTrust>, StoreError>;

    /// Every trust of the tenant, oldest first (by creation time, then id).
    /// An unknown tenant has none. MUST NOT return another tenant's.
    async fn list_jwt_trusts(&self, tenant: &TenantId) -> Result<Vec<JwtTrust>, StoreError>;

    /// Removes the tenant's trusts of `issuer` (every audience) and returns
    /// them; none is `Ok` with an empty list. MUST NOT touch another
    /// tenant's trusts.
    async fn remove_jwt_trusts(
        &self,
        tenant: &TenantId,
        issuer: &str,
    ) -> Result<Vec<JwtTrust>, StoreError>;

    /// The server key named `candidate.name`. When none is stored yet,
    /// stores `candidate` and returns it.
    ///
    /// Every caller, on every replica and concurrently, MUST get the same
    /// key for a name: the first one stored wins, and it never changes.
    async fn server_key(&self, candidate: ServerKey) -> Result<ServerKey, StoreError>;
}

/// A failed fetch of a JWKS document.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(pub String);

/// Fetches the JSON Web Key Sets (RFC 7517 §5) of trusted token issuers.
/// The core caches what it returns; an implementation fetches every time
/// it is asked.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait JwksSource: Send + Sync {
    /// The document at `url`, as text. MUST fail (rather than return an
    /// error page) on any status but 200, and SHOULD bound the time and
    /// the size of the answer.
    async fn fetch(&self, url: &str) -> Result<String, FetchError>;
}

/// Storage of webhooks, their delivery state and their attempts.
///
/// Several server replicas may share one store: each delivers a webhook
/// only while it holds the webhook's lease, which the store grants to one
/// replica at a time.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Stores a webhook: not disabled, no failures, no lease, due at
    /// `webhook.created`, with `delivered_through` at `webhook.after`, or
    /// without it at the tenant's highest event sequence (0 without
    /// events), read atomically with the insert.
    ///
    /// MUST return [`StoreError::NotFound`] for an unknown tenant.
    async fn create_webhook(&self, webhook: NewWebhook) -> Result<Webhook, StoreError>;

    /// The tenant's webhooks, oldest first (by creation time, then id).
    /// MUST NOT return another tenant's.
    async fn list_webhooks(&self, tenant: &TenantId) -> Result<Vec<Webhook>, StoreError>;

    /// Removes the tenant's webhook `id` with its attempts. A replica
    /// delivering it then fails to record its attempt, harmlessly.
    ///
    /// MUST return [`StoreError::NotFound`] for an unknown webhook and for
    /// one of another tenant (which stays untouched).
    async fn delete_webhook(&self, tenant: &TenantId, id: &str) -> Result<(), StoreError>;

    /// Switches the tenant's webhook `id` off (`disabled` is when) or back
    /// on (`None`), and returns it as now stored.
    ///
    /// Off: no claim returns it until it is back on. A replica holding its
    /// lease may finish that delivery: its [`record_attempt`] still
    /// advances the cursor and releases the lease. Switching off a
    /// disabled webhook keeps the time it was first switched off.
    ///
    /// On: not disabled, no failures and due at `now`, so that delivery
    /// resumes at once from `delivered_through` (nothing is skipped); the
    /// same for a webhook that is on (a failing one is retried now). A
    /// lease MUST stay as it is: its holder may still be delivering.
    ///
    /// MUST return [`StoreError::NotFound`] for an unknown webhook and for
    /// one of another tenant (which stays untouched).
    ///
    /// [`record_attempt`]: WebhookStore::record_attempt
    async fn set_webhook_disabled(
        &self,
        tenant: &TenantId,
        id: &str,
        disabled: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Webhook, StoreError>;

    /// The delivery backlog over every tenant, read in one cheap query
    /// (`/metrics` asks on each scrape): undelivered events summed over
    /// enabled webhooks, and how many webhooks are active, failing (at
    /// least `failing_after` consecutive failures) and disabled.
    async fn webhook_backlog(&self, failing_after: u32) -> Result<WebhookBacklog, StoreError>;

    /// Atomically takes the lease of ONE due webhook of any tenant for
    /// `owner` until `lease_until`, and returns it as now stored; `None`
    /// when no webhook is due.
    ///
    /// Due means: not disabled, `next_attempt <= now`, and no lease or an
    /// expired one (`until <= now`). Two claimers MUST never hold the same
    /// webhook at once: a webhook whose lease has not expired MUST NOT be
    /// returned to anyone, its holder included. An expired lease MUST be
    /// taken over.
    async fn claim_webhook(
        &self,
        now: DateTime<Utc>,
        owner: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<Webhook>, StoreError>;

    /// Ends `owner`'s claim of a webhook: stores `progress` (the new
    /// `delivered_through`, failures and due time), releases the lease,
    /// and records the attempt, all atomically. Returns `true` then.
    ///
    /// Only the lease holder may advance a webhook: when `owner` no longer
    /// holds the lease (another replica took it over after it expired),
    /// the webhook MUST stay unchanged and this returns `false`; the
    /// attempt, which did happen, is still recorded while the webhook
    /// exists. MUST return `Ok(false)` and record nothing for a webhook
    /// that no longer exists.
    async fn record_attempt(
        &self,
        owner: &str,
        progress: WebhookProgress,
    ) -> Result<bool, StoreError>;

    /// The most recent attempts of the tenant's webhook `id`, newest first,
    /// at most `limit`. MUST return [`StoreError::NotFound`] for an
    /// unknown webhook and for one of another tenant.
    async fn attempts(
        &self,
        tenant: &TenantId,
        id: &str,
        limit: u64,
    ) -> Result<Vec<WebhookAttempt>, StoreError>;

    /// Removes the tenant's attempts made before `before` whose batch has
    /// since been delivered (`last_sequence <= delivered_through`); the
    /// attempts of batches still pending stay. Returns how many went.
    async fn purge_attempts(
        &self,
        tenant: &TenantId,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
}

/// Storage of the audit log of mutating SCIM requests.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends an entry and returns its id. Ids MUST grow with every entry
    /// written. MUST return [`StoreError::NotFound`] for an unknown tenant.
    async fn record_audit(&self, entry: NewAuditEntry) -> Result<u64, StoreError>;

    /// The tenant's entries with an id above `after`, oldest first, at
    /// most `limit`. MUST NOT return another tenant's.
    async fn audit(
        &self,
        tenant: &TenantId,
        after: u64,
        limit: u64,
    ) -> Result<Vec<AuditEntry>, StoreError>;

    /// Removes the tenant's entries written before `before`; returns how
    /// many went.
    async fn purge_audit(
        &self,
        tenant: &TenantId,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
}

/// A webhook request: one signed POST of a batch of events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRequest {
    /// Where to POST.
    pub url: String,
    /// Headers besides `Content-Type: application/json`.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: String,
    /// How long to wait for the whole answer.
    pub timeout: std::time::Duration,
}

/// Why a webhook request got no HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(pub String);

/// Sends webhook requests: the one piece of webhook delivery that does IO
/// besides storage.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookTransport: Send + Sync {
    /// POSTs `request` and returns the answer's status. MUST give up after
    /// `request.timeout` with an error, and MUST NOT follow redirects. The
    /// error message MUST NOT contain the URL (it may carry credentials).
    async fn post(&self, request: WebhookRequest) -> Result<u16, TransportError>;
}

/// The source of the current time.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The source of new resource identifiers.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait IdGenerator: Send + Sync {
    /// A new identifier, unique across all tenants and resource kinds.
    fn new_id(&self) -> String;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Time-ordered UUIDv7 identifiers: unique, and kind to B-tree indexes.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV7Ids;

impl IdGenerator for UuidV7Ids {
    fn new_id(&self) -> String {
        uuid::Uuid::now_v7().to_string()
    }
}
