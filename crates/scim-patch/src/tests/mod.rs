//! Unit tests of the crate, with the fixtures and shorthands the test
//! modules share.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod dialects;
mod errors;
mod members;
mod props;
mod rfc;
mod semantics;

use scim_schema::{AttributeDef, AttributeType, Mutability, PatchOp, ResourceType, SchemaDef, urn};
use serde_json::{Value, json};

use crate::{Error, ErrorKind, MemberChange, Options, Outcome, apply};

/// The Enterprise User extension URN.
pub(crate) const ENTERPRISE: &str = urn::ENTERPRISE_USER;

/// A typical stored user: core attributes, multi-valued attributes with a
/// primary value, the enterprise extension, server-set `id` and `meta`.
pub(crate) fn user() -> Value {
    json!({
        "schemas": [urn::USER, ENTERPRISE],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "701984",
        "userName": "bjensen@example.com",
        "name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara"},
        "displayName": "Babs Jensen",
        "title": "Tour Guide",
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
        "addresses": [
            {"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood",
             "region": "CA", "postalCode": "91608", "country": "USA", "primary": true},
            {"type": "home", "streetAddress": "456 Hollywood Blvd", "locality": "Hollywood",
             "region": "CA", "postalCode": "91608", "country": "USA"}
        ],
        "groups": [{"value": "e9e30dba-f08f-4109-8486-d5c6a331660a", "display": "Tour Guides", "type": "direct"}],
        "meta": {
            "resourceType": "User",
            "created": "2010-01-23T04:56:22Z",
            "lastModified": "2011-05-13T04:42:34Z",
            "version": "W/\"3694e05e9dff591\""
        },
        ENTERPRISE: {
            "employeeNumber": "701984",
            "department": "Tour Operations",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
        }
    })
}

/// A minimal stored user: only what is required.
pub(crate) fn bare_user() -> Value {
    json!({
        "schemas": [urn::USER],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "userName": "bjensen"
    })
}

/// A stored group with two members.
pub(crate) fn group() -> Value {
    json!({
        "schemas": [urn::GROUP],
        "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
        "displayName": "Tour Guides",
        "members": [
            {"value": "2819c223-7f76-453a-919d-413861904646", "type": "User"},
            {"value": "902c246b-6245-4190-8e05-00816be7344a", "type": "User"}
        ],
        "meta": {"resourceType": "Group", "created": "2010-01-23T04:56:22Z"}
    })
}

/// URN of the test extension of [`things`].
pub(crate) const THING_EXT: &str = "urn:example:params:scim:schemas:extension:test:2.0:Thing";

/// A resource type exercising every attribute type and characteristic the
/// built-in schemas do not: an immutable top-level attribute, a required
/// sub-attribute, dateTime, integer, decimal, binary, reference and
/// multi-valued simple attributes, and a required extension.
pub(crate) fn things() -> ResourceType {
    let attr = |name: &str, ty| AttributeDef::new(name, ty);
    let mut serial = attr("serial", AttributeType::String);
    serial.mutability = Mutability::Immutable;
    let mut label = attr("label", AttributeType::String);
    label.required = true;
    let mut parts = attr("parts", AttributeType::Complex);
    parts.multi_valued = true;
    parts.sub_attributes = vec![
        label,
        attr("count", AttributeType::Integer),
        attr("primary", AttributeType::Boolean),
    ];
    let mut tags = attr("tags", AttributeType::String);
    tags.multi_valued = true;
    let base = SchemaDef {
        id: "urn:example:params:scim:schemas:core:2.0:Thing".to_owned(),
        name: "Thing".to_owned(),
        description: String::new(),
        attributes: vec![
            attr("name", AttributeType::String),
            serial,
            attr("bornAt", AttributeType::DateTime),
            attr("level", AttributeType::Integer),
            attr("score", AttributeType::Decimal),
            attr("badge", AttributeType::Binary),
            attr("homepage", AttributeType::Reference),
            tags,
            parts,
        ],
    };
    let ext = SchemaDef {
        id: THING_EXT.to_owned(),
        name: "ThingExtension".to_owned(),
        description: String::new(),
        attributes: vec![
            attr("color", AttributeType::String),
            attr("size", AttributeType::Integer),
        ],
    };
    ResourceType::new("Thing", "/Things", base).with_extension(ext, true)
}

/// The request body around `operations`, read through serde as the HTTP
/// layer will.
pub(crate) fn patch_op(operations: Value) -> PatchOp {
    serde_json::from_value(json!({
        "schemas": [urn::PATCH_OP],
        "Operations": operations
    }))
    .expect("a valid PatchOp")
}

/// Applies `operations` to a resource of type `rt`.
pub(crate) fn run(
    rt: &ResourceType,
    resource: &Value,
    operations: Value,
    options: Options,
) -> Result<Outcome, Error> {
    apply(rt, resource, &patch_op(operations), &options)
}

/// Applies `operations` to a user, which must succeed; the patched user.
pub(crate) fn patched_user(resource: &Value, operations: Value) -> Value {
    ok(&ResourceType::user(), resource, operations, Options::new()).resource
}

/// Applies `operations`, which must succeed.
pub(crate) fn ok(
    rt: &ResourceType,
    resource: &Value,
    operations: Value,
    options: Options,
) -> Outcome {
    match run(rt, resource, operations.clone(), options) {
        Ok(outcome) => outcome,
        Err(e) => panic!("{operations} failed: {e}"),
    }
}

/// Applies `operations` to a user, which must fail with `kind`; the error.
pub(crate) fn user_error(resource: &Value, operations: Value, kind: ErrorKind) -> Error {
    fails(
        &ResourceType::user(),
        resource,
        operations,
        Options::new(),
        kind,
    )
}

/// Applies `operations`, which must fail with `kind`; the error.
pub(crate) fn fails(
    rt: &ResourceType,
    resource: &Value,
    operations: Value,
    options: Options,
    kind: ErrorKind,
) -> Error {
    match run(rt, resource, operations.clone(), options) {
        Ok(outcome) => panic!("{operations} succeeded: {}", outcome.resource),
        Err(e) => {
            assert_eq!(e.kind(), kind, "{operations}: {e}");
            assert_eq!(e.scim_type(), kind.scim_type());
            e
        }
    }
}

/// Membership changes as JSON, to compare with test data:
/// `{"add": [...]}`, `{"remove": [...]}`, `"removeAll"`, `{"replaceAll": [...]}`.
pub(crate) fn changes_json(changes: &[MemberChange]) -> Value {
    let members = |list: &[crate::Member]| -> Value {
        list.iter()
            .map(|m| {
                let mut o = serde_json::Map::new();
                o.insert("value".into(), json!(m.value));
                if let Some(t) = &m.r#type {
                    o.insert("type".into(), json!(t));
                }
                if let Some(d) = &m.display {
                    o.insert("display".into(), json!(d));
                }
                Value::Object(o)
            })
            .collect()
    };
    changes
        .iter()
        .map(|c| match c {
            MemberChange::Add(list) => json!({"add": members(list)}),
            MemberChange::Remove(ids) => json!({"remove": ids}),
            MemberChange::RemoveAll => json!("removeAll"),
            MemberChange::ReplaceAll(list) => json!({"replaceAll": members(list)}),
        })
        .collect()
}
