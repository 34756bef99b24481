//! SCIM 2.0 wire types and schema definitions (RFC 7643, RFC 7644).
//!
//! This crate is the bottom layer of the workspace: it does no IO, has no
//! async code, and knows nothing about HTTP or storage. It holds
//!
//! - the URNs of the built-in schemas and protocol messages ([`urn`]),
//! - the RFC 7643 attribute model ([`AttributeDef`], [`SchemaDef`]) and the
//!   built-in schema definitions ([`builtin`]),
//! - the protocol messages every layer above shares: [`ScimError`],
//!   [`ListResponse`], [`Meta`], [`PatchOp`], and the discovery documents.
//!
//! ```
//! use scim_schema::{builtin, ScimError, ScimType};
//!
//! let user = builtin::user();
//! let user_name = user.attribute("USERNAME").expect("userName is defined");
//! assert_eq!(user_name.name, "userName");
//! assert!(user_name.required);
//!
//! let err = ScimError::new(409, Some(ScimType::Uniqueness), "userName is taken");
//! let json = serde_json::to_value(&err).unwrap();
//! assert_eq!(json["status"], "409");
//! assert_eq!(json["scimType"], "uniqueness");
//! ```
#![deny(missing_docs)]

mod attribute;
pub mod builtin;
mod bulk;
pub mod datetime;
mod discovery;
mod error;
mod list;
mod meta;
mod patch;
mod projection;
mod resource_type;
pub mod urn;
mod validate;

pub use attribute::{AttributeDef, AttributeType, Mutability, Returned, SchemaDef, Uniqueness};
pub use bulk::{BulkOperation, BulkOperationResult, BulkRequest, BulkResponse};
pub use discovery::{
    AuthenticationScheme, BulkSupport, FilterSupport, PaginationMethod, PaginationSupport,
    ResourceTypeDef, SchemaExtensionRef, ServiceProviderConfig, Supported,
};
pub use error::{ScimError, ScimType};
pub use list::{ListResponse, SearchRequest};
pub use meta::Meta;
pub use patch::{PatchOp, PatchOperation};
pub use projection::Projection;
pub use resource_type::{Extension, ResourceType};
pub use validate::{Mode, Strictness, ValidationError};

/// The examples of `README.md`, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
