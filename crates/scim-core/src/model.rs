//! Domain types passed across the ports.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

/// The identifier of a tenant: one customer directory.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(pub String);

impl TenantId {
    /// The identifier as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tenant as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// Stable identifier.
    pub id: TenantId,
    /// Unique, human-chosen name (e.g. `default`, `acme`).
    pub name: String,
    /// When the tenant was created.
    pub created: DateTime<Utc>,
}

/// A tenant to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTenant {
    /// Identifier chosen by the core.
    pub id: TenantId,
    /// Unique name.
    pub name: String,
    /// Creation time.
    pub created: DateTime<Utc>,
}

/// A stored bearer credential. The token itself is never stored, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// Stable identifier, safe to log.
    pub id: String,
    /// The tenant the credential acts for.
    pub tenant_id: TenantId,
    /// The first characters of the token, to recognise it in listings.
    pub prefix: String,
    /// When the credential was issued.
    pub created: DateTime<Utc>,
    /// The instant from which the credential no longer authenticates;
    /// `None` when it never expires.
    pub expires: Option<DateTime<Utc>>,
    /// When the credential was revoked; `None` while it is not.
    pub revoked: Option<DateTime<Utc>>,
    /// The credential this one replaces in a rotation not yet confirmed:
    /// the first use of this one ends that one's grace period.
    pub replaces: Option<String>,
}

/// Whether a [`Credential`] authenticates at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialStatus {
    /// Neither revoked nor expired: it authenticates.
    Active,
    /// Its expiry has passed.
    Expired,
    /// It was revoked (whatever its expiry).
    Revoked,
}

impl CredentialStatus {
    /// A stable lowercase name: `active`, `expired` or `revoked`.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialStatus::Active => "active",
            CredentialStatus::Expired => "expired",
            CredentialStatus::Revoked => "revoked",
        }
    }
}

impl Credential {
    /// The credential's status at `now`: revoked wins over expired; a
    /// credential expires at its `expires` instant exactly.
    pub fn status(&self, now: DateTime<Utc>) -> CredentialStatus {
        if self.revoked.is_some() {
            CredentialStatus::Revoked
        } else if self.expires.is_some_and(|at| at <= now) {
            CredentialStatus::Expired
        } else {
            CredentialStatus::Active
        }
    }
}

/// A credential to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCredential {
    /// Identifier chosen by the core.
    pub id: String,
    /// The tenant the credential acts for.
    pub tenant_id: TenantId,
    /// Hex SHA-256 of the token (see [`crate::hash_token`]).
    pub token_hash: String,
    /// The first characters of the token.
    pub prefix: String,
    /// Issue time.
    pub created: DateTime<Utc>,
    /// When the credential stops authenticating; `None` for never.
    pub expires: Option<DateTime<Utc>>,
    /// The credential it replaces, when issued by a rotation.
    pub replaces: Option<String>,
}

/// An OAuth 2.0 client of a tenant (RFC 6749 §2): it trades its secret for
/// short-lived access tokens at the token endpoint (client credentials
/// grant, §4.4). The secret itself is never stored, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The `client_id`, safe to log.
    pub id: String,
    /// The tenant the client acts for.
    pub tenant_id: TenantId,
    /// A label chosen by the operator, e.g. `entra`.
    pub name: String,
    /// When the client was created.
    pub created: DateTime<Utc>,
    /// When the client was revoked; `None` while it is not.
    pub revoked: Option<DateTime<Utc>>,
}

/// A client to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClient {
    /// The `client_id`, chosen by the core.
    pub id: String,
    /// The tenant the client acts for.
    pub tenant_id: TenantId,
    /// The operator's label.
    pub name: String,
    /// Hex SHA-256 of the client secret (see [`crate::hash_token`]).
    pub secret_hash: String,
    /// Creation time.
    pub created: DateTime<Utc>,
}

/// A client as [`crate::ports::TenantStore::find_client`] finds it: with
/// the hash its secret is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredClient {
    /// The client.
    pub client: Client,
    /// Hex SHA-256 of the client secret.
    pub secret_hash: String,
}

/// Where the keys of a trusted issuer come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksLocation {
    /// A JWKS URL (RFC 7517 §5), fetched and cached.
    Url(String),
    /// A JWKS document stored with the trust (from a file or inline JSON).
    Inline(String),
}

/// A tenant's trust in an external token issuer: JWTs whose `iss` is
/// `issuer`, whose `aud` holds `audience` and whose signature verifies
/// with a key of `jwks` authenticate as the tenant. An (issuer, audience)
/// pair belongs to one tenant at most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtTrust {
    /// Stable identifier, chosen by the core; safe to log.
    pub id: String,
    /// The tenant the tokens act for.
    pub tenant_id: TenantId,
    /// The exact `iss` claim.
    pub issuer: String,
    /// The `aud` value the tokens must carry.
    pub audience: String,
    /// The issuer's signing keys.
    pub jwks: JwksLocation,
    /// When the trust was added.
    pub created: DateTime<Utc>,
}

/// A secret of the server itself, such as the HMAC key that signs its
/// access tokens, shared by every replica through storage.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerKey {
    /// What the key is for, e.g. `access-token-hs256`.
    pub name: String,
    /// The key material, hex-encoded.
    pub secret: String,
    /// When the key was generated.
    pub created: DateTime<Utc>,
}

impl fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerKey")
            .field("name", &self.name)
            .field("secret", &"<redacted>")
            .field("created", &self.created)
            .finish()
    }
}

/// Who is calling: resolved from a credential, never from the request URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The caller's tenant; every operation is scoped to it.
    pub tenant_id: TenantId,
    /// The credential that authenticated the call.
    pub credential_id: String,
    /// The tenant's policies as read when the call was authenticated, so
    /// that the services need not read them again for the same request
    /// (see [`TenantScope`]); `None` when they were not read.
    pub policies: Option<Arc<TenantPolicies>>,
}

/// The tenant an operation is for, with its policies when the caller has
/// them already: a service reads them from its store only when they are
/// absent. A `&TenantId` or a `&Principal` converts into one.
#[derive(Debug, Clone, Copy)]
pub struct TenantScope<'a> {
    /// The tenant.
    pub id: &'a TenantId,
    /// Its policies, read for this request; `None` to read them.
    pub policies: Option<&'a TenantPolicies>,
}

impl<'a> From<&'a TenantId> for TenantScope<'a> {
    fn from(id: &'a TenantId) -> Self {
        TenantScope { id, policies: None }
    }
}

impl<'a> From<&'a Principal> for TenantScope<'a> {
    fn from(principal: &'a Principal) -> Self {
        TenantScope {
            id: &principal.tenant_id,
            policies: principal.policies.as_deref(),
        }
    }
}

/// The kinds of resources the server manages: the built-in Users and
/// Groups, and resource types an operator configures (RFC 7643 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// `urn:ietf:params:scim:schemas:core:2.0:User`, served at `/Users`.
    User,
    /// `urn:ietf:params:scim:schemas:core:2.0:Group`, served at `/Groups`.
    Group,
    /// A configured resource type, by name.
    Custom(CustomKind),
}

/// The name of a configured resource type, interned so that
/// [`ResourceKind`] stays `Copy`: names come from configuration and from
/// storage, so there are few of them and each is kept once for the life of
/// the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CustomKind(&'static str);

impl CustomKind {
    /// The resource type name, as in `meta.resourceType`.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl ResourceKind {
    /// The kind named `name`: `User` and `Group` are the built-in kinds;
    /// any other name is a configured resource type.
    pub fn named(name: &str) -> ResourceKind {
        match name {
            "User" => ResourceKind::User,
            "Group" => ResourceKind::Group,
            other => ResourceKind::Custom(CustomKind(intern(other))),
        }
    }

    /// The resource type name, as in `meta.resourceType`.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::User => "User",
            ResourceKind::Group => "Group",
            ResourceKind::Custom(custom) => custom.as_str(),
        }
    }

    /// The endpoint of a built-in kind, relative to the SCIM base URL; a
    /// configured kind's endpoint is in its [`scim_schema::ResourceType`].
    pub fn endpoint(self) -> Option<&'static str> {
        match self {
            ResourceKind::User => Some("/Users"),
            ResourceKind::Group => Some("/Groups"),
            ResourceKind::Custom(_) => None,
        }
    }

    /// The base schema URN of a built-in kind; a configured kind's schema
    /// is in its [`scim_schema::ResourceType`].
    pub fn schema(self) -> Option<&'static str> {
        match self {
            ResourceKind::User => Some(scim_schema::urn::USER),
            ResourceKind::Group => Some(scim_schema::urn::GROUP),
            ResourceKind::Custom(_) => None,
        }
    }

    /// The attribute a built-in kind keeps unique per tenant, if any. A
    /// configured kind's unique attribute comes from its schema, and only
    /// the core knows it: stores report its collisions under `id`.
    pub fn unique_attribute(self) -> Option<&'static str> {
        match self {
            ResourceKind::User => Some("userName"),
            ResourceKind::Group | ResourceKind::Custom(_) => None,
        }
    }

    /// Whether resources of this kind can be members of a group
    /// (RFC 7643 §4.2: users and groups).
    pub fn can_be_member(self) -> bool {
        matches!(self, ResourceKind::User | ResourceKind::Group)
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `name` as a string that lives as long as the process, kept once.
fn intern(name: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let names = NAMES.get_or_init(Default::default);
    // A poisoned lock still holds a consistent set: inserts are atomic.
    let mut names = names
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(known) = names.get(name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// A member of a group: a user or a nested group of the same tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Member {
    /// The member's resource id.
    pub id: String,
    /// Whether the member is a user or a group.
    pub kind: ResourceKind,
}

/// A group a resource belongs to, as the `groups` attribute shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRef {
    /// The group's id.
    pub id: String,
    /// The group's `displayName`, if it has one.
    pub display: Option<String>,
}

/// One change to a group's members, applied as a delta: never needs the
/// group's full member list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberChange {
    /// Adds these members; ones already present are left alone.
    Add(Vec<Member>),
    /// Removes the members with these ids; absent ones are ignored.
    Remove(Vec<String>),
    /// Removes every member.
    RemoveAll,
}

/// What a create that collides with a live resource's unique attribute
/// (`userName`) answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DuplicatePolicy {
    /// The same non-empty `externalId` means the same identity, retried
    /// (e.g. after a timeout): answer with the stored resource and create
    /// nothing. Any other collision is 409 `uniqueness` (RFC 7644 §3.3).
    #[default]
    ReturnSameExternalId,
    /// Always 409 `uniqueness`.
    Conflict,
    /// Always answer with the stored resource.
    ReturnExisting,
}

/// What DELETE does to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeleteMode {
    /// The record stays in storage, marked deleted: it answers 404, no
    /// longer counts for uniqueness and leaves its groups; [`crate::ResourceService::purge`]
    /// removes it after a retention period.
    #[default]
    Soft,
    /// The record is removed at once.
    Hard,
}

impl DuplicatePolicy {
    /// A stable name, for storage and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            DuplicatePolicy::ReturnSameExternalId => "return-same-external-id",
            DuplicatePolicy::Conflict => "conflict",
            DuplicatePolicy::ReturnExisting => "return-existing",
        }
    }

    /// The policy named `name`, as [`DuplicatePolicy::as_str`] writes it.
    pub fn parse(name: &str) -> Option<Self> {
        [
            DuplicatePolicy::ReturnSameExternalId,
            DuplicatePolicy::Conflict,
            DuplicatePolicy::ReturnExisting,
        ]
        .into_iter()
        .find(|p| p.as_str() == name)
    }
}

impl DeleteMode {
    /// A stable name, for storage and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            DeleteMode::Soft => "soft",
            DeleteMode::Hard => "hard",
        }
    }

    /// The mode named `name`, as [`DeleteMode::as_str`] writes it.
    pub fn parse(name: &str) -> Option<Self> {
        [DeleteMode::Soft, DeleteMode::Hard]
            .into_iter()
            .find(|m| m.as_str() == name)
    }
}

/// How provisioning behaves for one tenant. Unset choices take the
/// service's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TenantPolicies {
    /// What a create colliding with a live user answers.
    pub duplicates: Option<DuplicatePolicy>,
    /// Whether DELETE keeps or removes records.
    pub delete_mode: Option<DeleteMode>,
    /// Whether unknown attributes are dropped or refused.
    pub strictness: Option<scim_schema::Strictness>,
    /// The identity provider that provisions the tenant, whose documented
    /// expectations choose defaults the RFCs leave open.
    pub idp: Option<IdpProfile>,
    /// Schema extensions this tenant's resources carry on top of the ones
    /// the server configures for everyone, e.g. a customer's
    /// `urn:example:...:User` attributes.
    pub extensions: Vec<TenantExtension>,
}

/// A schema extension one tenant adds to a resource type (RFC 7643 §3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantExtension {
    /// The resource type it extends, by name (`User`, `Group` or a
    /// configured one).
    pub resource_type: String,
    /// The extension's schema; shared, since every request of the tenant
    /// reads it.
    pub schema: Arc<scim_schema::SchemaDef>,
    /// Whether resources of the type must carry it.
    pub required: bool,
}

/// The identity provider a tenant is provisioned by.
///
/// Every dialect form any of them sends is accepted whatever the profile
/// (tolerating it harms no one); a profile only picks, among answers the
/// RFCs allow, the one that provider documents:
///
/// | profile | group PATCH answers | a repeated create with the same `externalId` |
/// |---|---|---|
/// | `generic` and the others | 200 with the group | the stored resource |
/// | `entra` | 204 (Microsoft's SCIM guide) | the stored resource |
/// | `okta` | 204 (Okta's SCIM reference) | 409 `uniqueness` (Okta's SCIM reference and OIN tests) |
///
/// An explicit [`DuplicatePolicy`] on the tenant wins over the profile's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdpProfile {
    /// No particular provider: the RFCs' preferred answers.
    #[default]
    Generic,
    /// Microsoft Entra ID.
    Entra,
    /// Okta.
    Okta,
    /// OneLogin.
    OneLogin,
    /// JumpCloud.
    JumpCloud,
    /// PingOne.
    PingOne,
    /// Rippling.
    Rippling,
    /// Google Workspace.
    Google,
}

impl IdpProfile {
    /// Every profile.
    pub const ALL: [IdpProfile; 8] = [
        IdpProfile::Generic,
        IdpProfile::Entra,
        IdpProfile::Okta,
        IdpProfile::OneLogin,
        IdpProfile::JumpCloud,
        IdpProfile::PingOne,
        IdpProfile::Rippling,
        IdpProfile::Google,
    ];

    /// A stable name, for storage and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            IdpProfile::Generic => "generic",
            IdpProfile::Entra => "entra",
            IdpProfile::Okta => "okta",
            IdpProfile::OneLogin => "onelogin",
            IdpProfile::JumpCloud => "jumpcloud",
            IdpProfile::PingOne => "pingone",
            IdpProfile::Rippling => "rippling",
            IdpProfile::Google => "google",
        }
    }

    /// The profile named `name`, as [`IdpProfile::as_str`] writes it.
    pub fn parse(name: &str) -> Option<Self> {
        IdpProfile::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// Whether a group PATCH answers 204 rather than 200 with the group,
    /// when the client states no preference.
    pub fn minimal_group_patch(self) -> bool {
        matches!(self, IdpProfile::Entra | IdpProfile::Okta)
    }

    /// The duplicate-create policy the provider expects, if it documents one.
    pub fn duplicates(self) -> Option<DuplicatePolicy> {
        match self {
            IdpProfile::Okta => Some(DuplicatePolicy::Conflict),
            _ => None,
        }
    }
}

/// What happened, in an [`Event`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// A user was provisioned.
    UserCreated,
    /// A user's attributes changed.
    UserUpdated,
    /// A user's `active` became false.
    UserDeactivated,
    /// A user's `active` became true again.
    UserReactivated,
    /// A user was deleted.
    UserDeleted,
    /// A group was created.
    GroupCreated,
    /// A group's attributes changed.
    GroupUpdated,
    /// A group was deleted.
    GroupDeleted,
    /// A member joined a group.
    MemberAdded,
    /// A member was removed from a group (as requested: it may not have
    /// been a member).
    MemberRemoved,
    /// Every member was removed from a group.
    MembersCleared,
    /// A resource of a configured resource type was created.
    ResourceCreated,
    /// A configured resource's attributes changed.
    ResourceUpdated,
    /// A configured resource was deleted.
    ResourceDeleted,
}

impl EventType {
    const ALL: [EventType; 14] = [
        EventType::UserCreated,
        EventType::UserUpdated,
        EventType::UserDeactivated,
        EventType::UserReactivated,
        EventType::UserDeleted,
        EventType::GroupCreated,
        EventType::GroupUpdated,
        EventType::GroupDeleted,
        EventType::MemberAdded,
        EventType::MemberRemoved,
        EventType::MembersCleared,
        EventType::ResourceCreated,
        EventType::ResourceUpdated,
        EventType::ResourceDeleted,
    ];

    /// The name of the event type, e.g. `user.created`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::UserCreated => "user.created",
            EventType::UserUpdated => "user.updated",
            EventType::UserDeactivated => "user.deactivated",
            EventType::UserReactivated => "user.reactivated",
            EventType::UserDeleted => "user.deleted",
            EventType::GroupCreated => "group.created",
            EventType::GroupUpdated => "group.updated",
            EventType::GroupDeleted => "group.deleted",
            EventType::MemberAdded => "group.member_added",
            EventType::MemberRemoved => "group.member_removed",
            EventType::MembersCleared => "group.members_cleared",
            EventType::ResourceCreated => "resource.created",
            EventType::ResourceUpdated => "resource.updated",
            EventType::ResourceDeleted => "resource.deleted",
        }
    }

    /// The event type named `name`, as [`EventType::as_str`] writes it.
    pub fn parse(name: &str) -> Option<Self> {
        EventType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// A provisioning change, for the host application. Stores write events
/// in the same transaction as the change they describe (a transactional
/// outbox), so that no change goes unreported and no report is invented.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Unique identifier, for consumers to deduplicate.
    pub id: String,
    /// What happened.
    pub event_type: EventType,
    /// The kind of the resource it happened to.
    pub resource_kind: ResourceKind,
    /// The id of the resource (the group, for member events).
    pub resource_id: String,
    /// When it happened.
    pub occurred: DateTime<Utc>,
    /// Details: `{"attributes": [...]}` (the changed attribute names) for
    /// updates, `{"member": id}` for member events, `null` otherwise.
    pub data: Value,
}

/// An event as stored, with its position in the feed.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Grows with every event written; a feed cursor.
    pub sequence: u64,
    /// The event.
    pub event: Event,
}

/// A resource to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct NewResource {
    /// Identifier chosen by the core.
    pub id: String,
    /// The resource kind.
    pub kind: ResourceKind,
    /// The client's identifier for the resource, if given.
    pub external_id: Option<String>,
    /// The folded value of the kind's unique attribute (Unicode lowercase of
    /// `userName` for users); `None` when the kind has none.
    pub unique_key: Option<String>,
    /// The resource's attributes, without `id`, `meta` and `members`.
    pub attributes: Map<String, Value>,
    /// For groups: the initial members, stored apart from the attributes.
    pub members: Vec<Member>,
    /// Creation time; also the first `lastModified`.
    pub created: DateTime<Utc>,
    /// Events to write with the resource.
    pub events: Vec<Event>,
}

/// The new state of a resource replacing the stored one.
#[derive(Debug, Clone, PartialEq)]
pub struct Replacement {
    /// The client's identifier for the resource, if given.
    pub external_id: Option<String>,
    /// The folded value of the kind's unique attribute, as in [`NewResource`].
    pub unique_key: Option<String>,
    /// The resource's attributes, without `id`, `meta` and `members`.
    pub attributes: Map<String, Value>,
    /// For groups: the complete new member list, or `None` to keep the
    /// members as they are.
    pub members: Option<Vec<Member>>,
    /// For groups: member deltas applied after `members`, in the same
    /// transaction (a PATCH that changes attributes and members at once).
    pub member_changes: Vec<MemberChange>,
    /// Time of the change; the new `lastModified`.
    pub modified: DateTime<Utc>,
    /// Events to write with the change.
    pub events: Vec<Event>,
}

/// A resource as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResource {
    /// Server-assigned identifier.
    pub id: String,
    /// The resource kind.
    pub kind: ResourceKind,
    /// The client's identifier for the resource, if given.
    pub external_id: Option<String>,
    /// The resource's attributes, without `id` and `meta`.
    pub attributes: Map<String, Value>,
    /// Starts at 1 and grows by one with every change.
    pub version: u64,
    /// Creation time.
    pub created: DateTime<Utc>,
    /// Time of the last change.
    pub last_modified: DateTime<Utc>,
}

/// The order of query results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Smallest first; resources without a value come last.
    #[default]
    Ascending,
    /// Largest first; resources without a value come first.
    Descending,
}

/// A value results are ordered by, in the form the store compares it
/// (e.g. `userName` folded to lowercase).
#[derive(Debug, Clone, PartialEq)]
pub enum SortValue {
    /// Text, in the order the store sorts text.
    Text(String),
    /// An integer or decimal.
    Number(f64),
    /// `false` before `true`.
    Boolean(bool),
    /// A dateTime.
    Instant(DateTime<Utc>),
}

/// A place in the total order of a query's results: right after one
/// resource, described by the values the order compares, so that it stays
/// meaningful when that resource is changed or deleted.
///
/// Stores mint positions in [`Page::next`] and resume from them in
/// [`Query::after`]; the core carries them to clients inside opaque
/// cursors (RFC 9865) and never looks inside.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    /// The resource's value of [`Query::sort_by`] as the store compares
    /// it; `None` without `sort_by`, or when the resource had no value.
    pub key: Option<SortValue>,
    /// The resource's creation time: the order's second key.
    pub created: DateTime<Utc>,
    /// The resource's id: the unique last key, which makes the order total.
    pub id: String,
}

/// A query over the live resources of one kind in one tenant.
#[derive(Debug, Clone)]
pub struct Query {
    /// Only resources matching this filter; all when `None`. The core has
    /// validated it against `schemas`.
    pub filter: Option<scim_filter::Filter>,
    /// The attribute to sort by; creation order when `None`.
    pub sort_by: Option<scim_filter::AttrPath>,
    /// The direction of `sort_by`.
    pub sort_order: SortOrder,
    /// 1-based position of the first result to return, counted after
    /// `after` when that is set (the core then always passes 1).
    pub start_index: u64,
    /// Only results strictly after this position (keyset paging, for
    /// cursors); from the first result when `None`.
    pub after: Option<Position>,
    /// The most results to return; 0 asks only for the total.
    pub count: u64,
    /// The attribute characteristics (type, `caseExact`, multi-valuedness)
    /// of the resource type, for evaluating or translating the filter.
    pub schemas: Arc<scim_filter::Schemas>,
}

/// One page of query results.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The resources of the page, in order.
    pub resources: Vec<StoredResource>,
    /// How many resources match the query in all, `after` disregarded.
    pub total_results: u64,
    /// The position of the last resource of the page when more matching
    /// resources follow it; `None` on the last page and when `count` is 0.
    pub next: Option<Position>,
}

impl StoredResource {
    /// Every attribute with `id` and `meta`: what filters are evaluated on
    /// and what responses are shaped from. `location` is the resource's
    /// absolute URL, which only the HTTP layer knows.
    pub fn representation(&self, location: Option<String>) -> Map<String, Value> {
        let mut out = self.attributes.clone();
        out.insert("id".to_owned(), Value::String(self.id.clone()));
        if let Some(external_id) = &self.external_id {
            out.insert("externalId".to_owned(), Value::String(external_id.clone()));
        }
        let mut meta = Map::with_capacity(5);
        meta.insert(
            "resourceType".to_owned(),
            Value::String(self.kind.as_str().to_owned()),
        );
        meta.insert("created".to_owned(), Value::String(timestamp(self.created)));
        meta.insert(
            "lastModified".to_owned(),
            Value::String(timestamp(self.last_modified)),
        );
        if let Some(location) = location {
            meta.insert("location".to_owned(), Value::String(location));
        }
        meta.insert("version".to_owned(), Value::String(self.etag()));
        out.insert("meta".to_owned(), Value::Object(meta));
        if let Some(schema) = self.kind.schema() {
            out.entry("schemas")
                .or_insert_with(|| Value::Array(vec![Value::String(schema.to_owned())]));
        }
        out
    }

    /// The weak entity tag of this version, as in `meta.version` and the
    /// `ETag` header: `W/"<version>"`.
    pub fn etag(&self) -> String {
        format!("W/\"{}\"", self.version)
    }
}

/// RFC 3339 with milliseconds, in UTC.
fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Reads a version back from an entity tag this server issued (weak or
/// strong form, as clients echo either). Anything else is `None`.
pub fn parse_etag(tag: &str) -> Option<u64> {
    let tag = tag.trim();
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    tag.strip_prefix('"')?.strip_suffix('"')?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revocation_wins_over_expiry_and_expiry_is_exclusive() {
        let at = DateTime::from_timestamp(1_750_000_000, 0).unwrap();
        let mut credential = Credential {
            id: "c".into(),
            tenant_id: TenantId("t".into()),
            prefix: "scim_0123456".into(),
            created: at,
            expires: None,
            revoked: None,
            replaces: None,
        };
        assert_eq!(credential.status(at), CredentialStatus::Active);
        credential.expires = Some(at + chrono::Duration::seconds(1));
        assert_eq!(credential.status(at), CredentialStatus::Active);
        credential.expires = Some(at);
        assert_eq!(credential.status(at), CredentialStatus::Expired);
        credential.revoked = Some(at);
        assert_eq!(credential.status(at), CredentialStatus::Revoked);
        assert_eq!(CredentialStatus::Revoked.as_str(), "revoked");
    }

    #[test]
    fn etags_round_trip() {
        assert_eq!(parse_etag("W/\"7\""), Some(7));
        assert_eq!(parse_etag(" \"7\" "), Some(7));
        assert_eq!(parse_etag("7"), None);
        assert_eq!(parse_etag("W/\"x\""), None);
        assert_eq!(parse_etag("*"), None);
    }
}

/// A tenant's webhook: where its events are pushed, and how far delivery
/// got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Stable identifier, sent as `Scim-Webhook-Id`.
    pub id: String,
    /// The tenant whose events are delivered.
    pub tenant_id: TenantId,
    /// Where batches of events are POSTed.
    pub url: String,
    /// The HMAC-SHA256 key of the signatures. Stored in clear because
    /// signing needs it; shown to the operator once, at creation.
    pub secret: String,
    /// When the webhook was created.
    pub created: DateTime<Utc>,
    /// When it was switched off; `None` while it delivers.
    pub disabled: Option<DateTime<Utc>>,
    /// The sequence of the last event delivered (the feed cursor).
    pub delivered_through: u64,
    /// When the next delivery (or check for events) is due.
    pub next_attempt: DateTime<Utc>,
    /// Consecutive failed attempts; 0 after a success.
    pub failures: u32,
    /// The replica delivering it now, if any, and until when.
    pub lease: Option<Lease>,
}

/// A replica's exclusive, expiring right to deliver one webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The replica that holds it.
    pub owner: String,
    /// When it expires and another replica may take over.
    pub until: DateTime<Utc>,
}

/// A webhook to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    /// Identifier chosen by the core.
    pub id: String,
    /// The tenant whose events are delivered.
    pub tenant_id: TenantId,
    /// Where batches of events are POSTed.
    pub url: String,
    /// The signing secret.
    pub secret: String,
    /// Creation time; the first check for events is due then.
    pub created: DateTime<Utc>,
    /// Where delivery starts: after this sequence, or with `None` after
    /// the tenant's last event at creation (only new events are sent).
    pub after: Option<u64>,
}

/// One delivery attempt of a webhook, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookAttempt {
    /// Grows with every attempt recorded.
    pub id: u64,
    /// The webhook.
    pub webhook_id: String,
    /// When the attempt started.
    pub at: DateTime<Utc>,
    /// The sequence of the batch's first event.
    pub first_sequence: u64,
    /// The sequence of the batch's last event.
    pub last_sequence: u64,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why the attempt failed without an answer (connection refused,
    /// timeout); never a secret.
    pub error: Option<String>,
    /// How long the attempt took, in milliseconds.
    pub duration_ms: u64,
}

impl WebhookAttempt {
    /// Whether the receiver took the batch (a 2xx answer).
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// What a delivery replica writes back when it is done with a webhook it
/// claimed: its new position and schedule, and the attempt it made, if it
/// made one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookProgress {
    /// The webhook's tenant.
    pub tenant_id: TenantId,
    /// The webhook.
    pub webhook_id: String,
    /// The new `delivered_through`.
    pub delivered_through: u64,
    /// The new count of consecutive failures.
    pub failures: u32,
    /// When the webhook is due next.
    pub next_attempt: DateTime<Utc>,
    /// The attempt made (its `id` is ignored: the store numbers attempts),
    /// or `None` when there was nothing to send.
    pub attempt: Option<WebhookAttempt>,
}

/// How far webhook delivery lags, over every tenant: what `/metrics`
/// reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookBacklog {
    /// Events not yet delivered, summed over the enabled webhooks: an
    /// event pending for two webhooks counts twice.
    pub pending_events: u64,
    /// Enabled webhooks that are not failing.
    pub active: u64,
    /// Enabled webhooks that have failed long enough to be reported.
    pub failing: u64,
    /// Disabled webhooks.
    pub disabled: u64,
}

/// One audited SCIM request, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Grows with every entry; the cursor of the audit log.
    pub id: u64,
    /// The entry itself.
    pub entry: NewAuditEntry,
}

/// A mutating SCIM request to audit: who did what, and how it ended.
/// Never a token, a secret or a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    /// The tenant of the credential.
    pub tenant_id: TenantId,
    /// When the request was answered.
    pub at: DateTime<Utc>,
    /// The credential that authenticated the request.
    pub credential_id: String,
    /// The request's `X-Request-Id`.
    pub request_id: String,
    /// The HTTP method: POST, PUT, PATCH or DELETE.
    pub method: String,
    /// The request path, without the query.
    pub path: String,
    /// The resource type, when the route names one.
    pub resource_type: Option<String>,
    /// The resource's id, when known (from the path, or the created
    /// resource's location).
    pub resource_id: Option<String>,
    /// The HTTP status of the answer.
    pub status: u16,
}
