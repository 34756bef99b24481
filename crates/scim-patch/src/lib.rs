//! RFC 7644 §3.5.2 PATCH operations applied to SCIM resources, with the
//! dialects real identity providers send.
//!
//! [`apply`] takes a resource in its stored form (core attributes at the
//! top level, extension attributes in an object under the extension's URN,
//! a `schemas` array), a [`PatchOp`] and the [`ResourceType`] the resource
//! belongs to, and returns the patched resource, whether it changed, and
//! (for groups, on request) the membership changes. It does no IO.
//!
//! ```
//! use scim_patch::{Options, apply};
//! use scim_schema::{PatchOp, ResourceType};
//! use serde_json::json;
//!
//! let user = json!({
//!     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
//!     "id": "2819c223",
//!     "userName": "bjensen",
//!     "active": true,
//!     "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}]
//! });
//! // What Microsoft Entra ID sends.
//! let patch: PatchOp = serde_json::from_value(json!({
//!     "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
//!     "Operations": [
//!         {"op": "Replace", "path": "active", "value": "False"},
//!         {"op": "Add", "path": "emails[type eq \"home\"].value", "value": "babs@jensen.org"},
//!         {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
//!          "value": "26118915-6090-4610-87e4-49d8ca9f808d"}
//!     ]
//! })).unwrap();
//!
//! let outcome = apply(&ResourceType::user(), &user, &patch, &Options::new())?;
//! assert!(outcome.changed);
//! let user = outcome.resource;
//! assert_eq!(user["active"], false);
//! assert_eq!(user["emails"][1], json!({"type": "home", "value": "babs@jensen.org"}));
//! let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
//! assert_eq!(user[enterprise]["manager"]["value"], "26118915-6090-4610-87e4-49d8ca9f808d");
//! assert_eq!(user["schemas"][1], enterprise);
//! # Ok::<(), scim_patch::Error>(())
//! ```
//!
//! # Semantics
//!
//! - Every form of RFC 7644 §3.5.2: with and without `path`, value filters
//!   (`emails[type eq "work"].value`), sub-attributes (`name.familyName`),
//!   extension attributes by URN (`urn:…:enterprise:2.0:User:manager.value`)
//!   and whole extensions (`urn:…:enterprise:2.0:User`); path-less values
//!   whose keys are extension URNs or dotted paths.
//! - Attribute names match case-insensitively and are written in the
//!   schema's case; a member stored under another case is replaced.
//! - All-or-nothing: on error the input is untouched (the engine works on a
//!   copy). [`Outcome::changed`] compares the result with the input as JSON.
//! - Mutability, `required` and types come from the schema; errors carry
//!   the SCIM `scimType` and the index of the failing operation.
//!
//! The crate README lists every rule, the identity-provider dialects and
//! the choices made where RFC 7644 is silent or ambiguous.
//!
//! # Group membership as deltas
//!
//! With [`Options::extract_members`], operations on a Group's `members`
//! are not applied to the document but returned as [`MemberChange`]s, so
//! that adding or removing k members never needs the member list:
//!
//! ```
//! use scim_patch::{Member, MemberChange, Options, apply};
//! use scim_schema::{PatchOp, ResourceType};
//! use serde_json::json;
//!
//! let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
//!                    "id": "g1", "displayName": "Tour Guides"});
//! let patch: PatchOp = serde_json::from_value(json!({"Operations": [
//!     {"op": "add", "path": "members", "value": [{"value": "u1", "display": "Babs"}]},
//!     {"op": "remove", "path": "members[value eq \"u2\" or value eq \"u3\"]"},
//!     {"op": "replace", "path": "displayName", "value": "Guides"}
//! ]})).unwrap();
//!
//! let options = Options::new().with_extract_members(true);
//! let outcome = apply(&ResourceType::group(), &group, &patch, &options)?;
//! assert_eq!(outcome.resource["displayName"], "Guides");
//! assert_eq!(outcome.members, vec![
//!     MemberChange::Add(vec![Member { display: Some("Babs".into()), ..Member::new("u1") }]),
//!     MemberChange::Remove(vec!["u2".into(), "u3".into()]),
//! ]);
//! # Ok::<(), scim_patch::Error>(())
//! ```
#![deny(missing_docs)]

mod engine;
mod error;
mod model;
mod resolver;
mod value;

pub use error::{Error, ErrorKind};
pub use model::{Member, MemberChange, Options, Outcome};

use scim_schema::{PatchOp, PatchOperation, ResourceType};
use serde_json::Value;

/// Applies a PATCH request to `resource`, a resource of type
/// `resource_type` in stored form.
///
/// The request's `schemas` is not checked: a PatchOp without
/// `urn:ietf:params:scim:api:messages:2.0:PatchOp` is applied all the
/// same (clients omit it; RFC 7644 gives no error for it). A request
/// without operations is refused with `invalidSyntax` (RFC 7644 §3.5.2:
/// `Operations` is "an array of one or more PATCH operations").
///
/// On error nothing is applied; the error tells which operation failed.
pub fn apply(
    resource_type: &ResourceType,
    resource: &Value,
    patch: &PatchOp,
    options: &Options,
) -> Result<Outcome, Error> {
    apply_operations(resource_type, resource, &patch.operations, options)
}

/// Applies the operations of a PATCH request to `resource`: [`apply`]
/// without the envelope.
///
/// ```
/// use scim_patch::{Options, apply_operations};
/// use scim_schema::{PatchOperation, ResourceType};
/// use serde_json::json;
///
/// let user = json!({"userName": "bjensen", "active": false});
/// let ops = [PatchOperation { op: "replace".into(), path: Some("active".into()), value: Some(json!("False")) }];
/// let outcome = apply_operations(&ResourceType::user(), &user, &ops, &Options::new())?;
/// assert!(!outcome.changed);
/// assert_eq!(outcome.resource, user);
/// # Ok::<(), scim_patch::Error>(())
/// ```
pub fn apply_operations(
    resource_type: &ResourceType,
    resource: &Value,
    operations: &[PatchOperation],
    options: &Options,
) -> Result<Outcome, Error> {
    if operations.is_empty() {
        return Err(Error::syntax(
            "a PATCH request needs at least one operation in `Operations` (RFC 7644 §3.5.2)",
        ));
    }
    let Value::Object(document) = resource else {
        return Err(Error::syntax("the resource to patch must be a JSON object"));
    };
    let mut engine = engine::Engine::new(resource_type, options, document.clone());
    engine.run(operations)?;
    let (document, members) = engine.finish();
    let patched = Value::Object(document);
    Ok(Outcome {
        changed: patched != *resource,
        resource: patched,
        members,
    })
}

/// The examples of `README.md`, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(test)]
mod tests;
