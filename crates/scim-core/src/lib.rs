//! SCIM 2.0 domain services behind hexagonal ports.
//!
//! The core decides what a SCIM server means: what is valid, what is
//! returned, what is unique and what a delete does. It knows nothing about
//! HTTP or SQL: storage, time and identifiers reach it through the traits in
//! [`ports`], held as `Arc<dyn ...>` so that adapters, fakes and mocks are
//! interchangeable.
//!
//! - [`ResourceService`] creates, reads, replaces and deletes resources of
//!   one [`ResourceKind`] for a tenant, validating input and shaping output
//!   with the kind's [`scim_schema::ResourceType`].
//! - [`BulkService`] runs bulk requests (RFC 7644 §3.7) over those
//!   services, resolving `bulkId` references between operations.
//! - [`AuthService`] resolves bearer tokens to a [`Principal`] (static
//!   tokens, its own OAuth access tokens, and JWTs of issuers a tenant
//!   trusts), creates the default tenant on first start, and administers
//!   tenants and their credentials (create, delete, issue, rotate, revoke,
//!   policies, OAuth clients, trusted issuers).
//! - [`EventService`] pages a tenant's event feed; [`WebhookService`]
//!   administers webhooks and [`DeliveryWorker`] delivers them, signed, at
//!   least once, one replica per webhook at a time; [`AuditService`]
//!   records and reads the audit log of mutating requests.
//! - [`Error`] carries an [`ErrorKind`] that maps one-to-one onto SCIM error
//!   types.
//!
//! With the `testing` feature, [`testing::MemoryStore`] implements every
//! storage port in memory and [`testing::contract`] checks that a storage
//! adapter honours every rule the ports document.
#![deny(missing_docs)]

mod auth;
mod bulk;
mod error;
mod model;
mod oauth;
pub mod ports;
mod service;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use auth::{
    AuthService, BootstrapOutcome, CreatedTenant, IssuedToken, MAX_TENANT_EXTENSION_BYTES,
    MAX_TENANT_EXTENSIONS, MAX_TENANT_NAME_CHARS, NewToken, Rotation, TOKEN_PREFIX, hash_token,
};
pub use bulk::{BulkDone, BulkOutcome, BulkService};
pub use error::{Error, ErrorKind};
pub use model::{
    AuditEntry, Client, Credential, CredentialStatus, CustomKind, DeleteMode, DuplicatePolicy,
    Event, EventType, GroupRef, IdpProfile, JwksLocation, JwtTrust, Lease, Member, MemberChange,
    NewAuditEntry, NewClient, NewCredential, NewResource, NewTenant, NewWebhook, Page, Position,
    Principal, Query, Replacement, ResourceKind, ServerKey, SortOrder, SortValue, StoredClient,
    StoredEvent, StoredResource, Tenant, TenantExtension, TenantId, TenantPolicies, TenantScope,
    Webhook, WebhookAttempt, WebhookBacklog, WebhookProgress, parse_etag,
};
pub use oauth::{
    AccessToken, CreatedClient, DEFAULT_ACCESS_TOKEN_MINUTES, MAX_ACCESS_TOKEN_MINUTES,
    MAX_CLIENT_NAME_CHARS, MAX_JWKS_BYTES, MAX_TRUST_CHARS, MIN_ACCESS_TOKEN_MINUTES, OAuthConfig,
    TokenError,
};
pub use service::{
    AuditPage, AuditRequest, AuditService, Delivery, DeliveryConfig, DeliveryOutcome,
    DeliveryWorker, EventPage, EventService, Fields, ListRequest, Listing, MAX_ATTEMPT_PAGE,
    MAX_AUDIT_PAGE, MAX_EVENT_PAGE, MAX_KEY_CHARS, MAX_WEBHOOK_URL_CHARS, ResourceService,
    SECRET_PREFIX, SIGNATURE_HEADER, WEBHOOK_ID_HEADER, WebhookService, backoff, event_json,
    is_failing, payload, sign, signature_header,
};

/// The examples of `README.md`, compiled and run as doctests.
#[cfg(all(doctest, feature = "testing"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
