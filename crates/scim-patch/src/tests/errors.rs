//! One test per `scimType` a PATCH can fail with, each covering the ways
//! to get it, plus the operation index and the error's text.

use scim_schema::{PatchOperation, ResourceType, ScimType, Strictness};
use serde_json::json;

use super::*;
use crate::apply_operations;

#[test]
fn invalid_syntax() {
    // An op that is none of add, remove, replace.
    let err = user_error(
        &user(),
        json!([{"op": "replace", "path": "title", "value": "x"}, {"op": "merge", "path": "title", "value": "x"}]),
        ErrorKind::InvalidSyntax,
    );
    assert_eq!(err.operation_index(), Some(1));
    assert_eq!(
        err.to_string(),
        "Operations[1]: unknown op `merge`: expected `add`, `remove` or `replace`"
    );
    for op in ["", "copy", "move", "test", "add "] {
        user_error(
            &user(),
            json!([{"op": op, "path": "title", "value": "x"}]),
            ErrorKind::InvalidSyntax,
        );
    }
    // No operations at all (RFC 7644 §3.5.2: "one or more").
    let err = user_error(&user(), json!([]), ErrorKind::InvalidSyntax);
    assert_eq!(err.operation_index(), None);
    // A stored resource that is not an object.
    let ops = [PatchOperation {
        op: "add".into(),
        path: None,
        value: Some(json!({"title": "x"})),
    }];
    let err =
        apply_operations(&ResourceType::user(), &json!([1]), &ops, &Options::new()).unwrap_err();
    assert_eq!(err.scim_type(), ScimType::InvalidSyntax);
}

#[test]
fn invalid_path() {
    for (ops, detail) in [
        (
            json!([{"op": "add", "path": "foo", "value": "x"}]),
            "unknown attribute `foo`",
        ),
        (
            json!([{"op": "remove", "path": "name.nope"}]),
            "unknown attribute `name.nope`",
        ),
        (
            json!([{"op": "replace", "path": "emails[type eq \"work\"].nope", "value": "x"}]),
            "unknown attribute `emails.nope`",
        ),
        (
            json!([{"op": "replace", "path": "urn:example:unknown:2.0:User:title", "value": "x"}]),
            "unknown attribute",
        ),
        (
            json!([{"op": "replace", "path": "emails[", "value": "x"}]),
            "invalid path `emails[`",
        ),
        (
            json!([{"op": "replace", "path": "", "value": "x"}]),
            "invalid path",
        ),
        (
            json!([{"op": "replace", "path": "userName[value eq \"x\"]", "value": "x"}]),
            "a value filter applies only",
        ),
        (
            json!([{"op": "replace", "path": "name[givenName eq \"x\"]", "value": "x"}]),
            "a value filter applies only",
        ),
        (
            json!([{"op": "add", "value": {"title": "x", "favouriteColour": "blue"}}]),
            "unknown attribute `favouriteColour`",
        ),
        (
            json!([{"op": "add", "value": {"not a name": "x"}}]),
            "invalid attribute name",
        ),
        (
            json!([{"op": "add", "value": {ENTERPRISE: {"shoeSize": 9}}}]),
            "unknown attribute",
        ),
    ] {
        let err = user_error(&user(), ops.clone(), ErrorKind::InvalidPath);
        assert!(err.detail().contains(detail), "{ops}: {err}");
        assert_eq!(err.operation_index(), Some(0));
    }
}

#[test]
fn invalid_filter() {
    for path in [
        "emails[nope eq \"x\"]",
        "emails[type gt 5]",
        "emails[primary co \"t\"]",
    ] {
        let err = user_error(
            &user(),
            json!([{"op": "remove", "path": path}]),
            ErrorKind::InvalidFilter,
        );
        assert!(
            err.detail().contains("invalid value filter"),
            "{path}: {err}"
        );
    }
    // Membership deltas cannot select members by anything but their id.
    for path in [
        "members[display eq \"Babs\"]",
        "members[value ne \"x\"]",
        "members[value sw \"x\"]",
        "members[value eq \"a\" and type eq \"User\"]",
        "members[type eq \"User\"]",
    ] {
        let err = fails(
            &ResourceType::group(),
            &group(),
            json!([{"op": "remove", "path": path}]),
            Options::new().with_extract_members(true),
            ErrorKind::InvalidFilter,
        );
        assert_eq!(err.operation_index(), Some(0), "{path}");
    }
    fails(
        &ResourceType::group(),
        &group(),
        json!([{"op": "replace", "path": "members[value eq \"x\"]", "value": {"value": "y"}}]),
        Options::new().with_extract_members(true),
        ErrorKind::InvalidFilter,
    );
}

#[test]
fn no_target() {
    // RFC 7644 §3.5.2.2: remove without a path.
    let err = user_error(&user(), json!([{"op": "remove"}]), ErrorKind::NoTarget);
    assert!(err.detail().contains("needs a `path`"));
    let err = user_error(
        &user(),
        json!([{"op": "remove", "value": {"title": "x"}}]),
        ErrorKind::NoTarget,
    );
    assert_eq!(err.operation_index(), Some(0));
    // RFC 7644 §3.5.2.3: replace with a value filter that matches nothing.
    let err = user_error(
        &user(),
        json!([{"op": "replace", "path": "addresses[type eq \"other\"]", "value": {"locality": "x"}}]),
        ErrorKind::NoTarget,
    );
    assert_eq!(
        err.detail(),
        "no value of `addresses` matches `addresses[type eq \"other\"]`"
    );
    user_error(
        &user(),
        json!([{"op": "replace", "path": "emails[value ew \"@nowhere.org\"].type", "value": "work"}]),
        ErrorKind::NoTarget,
    );
    // add with a filter that matches nothing and describes no value.
    user_error(
        &user(),
        json!([{"op": "add", "path": "emails[value co \"nowhere\"]", "value": {"type": "work"}}]),
        ErrorKind::NoTarget,
    );
}

#[test]
fn invalid_value() {
    for (ops, detail) in [
        // Missing values (RFC 7644 §3.12: "A required value was missing").
        (
            json!([{"op": "add", "path": "title"}]),
            "`add` needs a `value`",
        ),
        (
            json!([{"op": "replace", "path": "title", "value": null}]),
            "`replace` needs a `value`",
        ),
        (json!([{"op": "add"}]), "`add` needs a `value`"),
        // A path-less value that is not an object of attributes.
        (
            json!([{"op": "replace", "value": "x"}]),
            "needs an object of attributes",
        ),
        (
            json!([{"op": "add", "value": [{"title": "x"}]}]),
            "needs an object of attributes",
        ),
        // Types.
        (
            json!([{"op": "replace", "path": "active", "value": "yes"}]),
            "`active` must be a boolean",
        ),
        (
            json!([{"op": "replace", "path": "active", "value": 1}]),
            "`active` must be a boolean",
        ),
        (
            json!([{"op": "replace", "path": "userName", "value": true}]),
            "`userName` must be a string",
        ),
        (
            json!([{"op": "replace", "path": "userName", "value": ["a"]}]),
            "not an array",
        ),
        (
            json!([{"op": "replace", "path": "name", "value": "Babs"}]),
            "an object of sub-attributes",
        ),
        (
            json!([{"op": "replace", "path": "name.givenName", "value": {"x": 1}}]),
            "must be a string",
        ),
        (
            json!([{"op": "add", "path": "emails", "value": [{"value": 5, "primary": "maybe"}]}]),
            "must be a boolean",
        ),
        (
            json!([{"op": "add", "path": "emails", "value": [[{"value": "a@b.c"}]]}]),
            "not an array",
        ),
        (
            json!([{"op": "add", "value": {ENTERPRISE: "x"}}]),
            "names a whole schema",
        ),
        // At most one primary value.
        (
            json!([{"op": "replace", "path": "emails", "value": [
                {"value": "a@example.com", "primary": true},
                {"value": "b@example.com", "primary": "True"}
            ]}]),
            "at most one value of `emails` may be primary",
        ),
        (
            json!([{"op": "replace", "path": "emails[type pr].primary", "value": true}]),
            "may be primary",
        ),
        // A created value must match the filter that created it.
        (
            json!([{"op": "add", "path": "emails[type eq \"work\" and value eq \"a@b.c\"]", "value": {"value": "other@b.c"}}]),
            "does not match the filter",
        ),
    ] {
        let err = user_error(&user(), ops.clone(), ErrorKind::InvalidValue);
        assert!(err.detail().contains(detail), "{ops}: {err}");
    }
}

#[test]
fn invalid_value_for_each_attribute_type() {
    let things = things();
    let thing = json!({"schemas": [things.schema.id], "name": "t", THING_EXT: {"color": "red"}});
    for (path, value, expected) in [
        ("bornAt", json!("yesterday"), "RFC 3339"),
        ("bornAt", json!("2011-02-30T00:00:00Z"), "RFC 3339"),
        ("bornAt", json!(1_305_261_754), "RFC 3339"),
        ("level", json!(1.5), "an integer"),
        ("level", json!("3"), "an integer"),
        ("score", json!("high"), "a number"),
        ("badge", json!(12), "base64"),
        ("homepage", json!(false), "a reference"),
        ("tags", json!([1, true]), "a string"),
        ("parts", json!([{"count": 1}]), "`parts.label` is required"),
        (
            "parts",
            json!([{"label": "a", "count": "many"}]),
            "an integer",
        ),
        (
            "urn:example:params:scim:schemas:extension:test:2.0:Thing:size",
            json!("XL"),
            "an integer",
        ),
    ] {
        let err = fails(
            &things,
            &thing,
            json!([{"op": "add", "path": path, "value": value}]),
            Options::new(),
            ErrorKind::InvalidValue,
        );
        assert!(err.detail().contains(expected), "{path} {value}: {err}");
    }
    // And the same types accept well-formed values.
    let out = ok(
        &things,
        &thing,
        json!([{"op": "add", "value": {
            "bornAt": "2011-05-13T04:42:34.5+02:00",
            "level": 3,
            "score": 2.5,
            "badge": "AAEC",
            "homepage": "https://example.com/",
            "tags": "one",
            "parts": [{"label": "a", "count": 2}]
        }}]),
        Options::new(),
    );
    assert_eq!(out.resource["tags"], json!(["one"]));
    assert_eq!(out.resource["level"], 3);
}

#[test]
fn unknown_sub_attributes_are_refused_when_strict() {
    let strict = Options::new().with_strictness(Strictness::Strict);
    let err = fails(
        &ResourceType::user(),
        &user(),
        json!([{"op": "add", "path": "emails", "value": {"value": "a@b.c", "tpye": "work"}}]),
        strict,
        ErrorKind::InvalidValue,
    );
    assert_eq!(err.detail(), "`emails` has no sub-attribute `tpye`");
    fails(
        &ResourceType::group(),
        &group(),
        json!([{"op": "add", "path": "members", "value": {"value": "u1", "nickname": "x"}}]),
        strict.with_extract_members(true),
        ErrorKind::InvalidValue,
    );
    // Lenient (the default) drops them.
    let user = patched_user(
        &bare_user(),
        json!([{"op": "add", "path": "emails", "value": {"value": "a@b.c", "tpye": "work"}}]),
    );
    assert_eq!(user["emails"], json!([{"value": "a@b.c"}]));
}

#[test]
fn mutability() {
    for (ops, detail) in [
        // readOnly attributes: common, core and sub-attributes.
        (
            json!([{"op": "replace", "path": "id", "value": "other"}]),
            "`id` is readOnly",
        ),
        (json!([{"op": "remove", "path": "id"}]), "`id` is readOnly"),
        (
            json!([{"op": "replace", "path": "meta.version", "value": "W/\"1\""}]),
            "`meta.version` is readOnly",
        ),
        (
            json!([{"op": "add", "path": "groups", "value": [{"value": "g2"}]}]),
            "`groups` is readOnly",
        ),
        (
            json!([{"op": "remove", "path": "groups"}]),
            "`groups` is readOnly",
        ),
        (
            json!([{"op": "replace", "value": {"meta": {"resourceType": "Group"}}}]),
            "`meta.resourceType` is readOnly",
        ),
        (
            json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName", "value": "Boss"}]),
            "is readOnly",
        ),
        // Required attributes cannot be removed (RFC 7644 §3.5.2.2).
        (
            json!([{"op": "remove", "path": "userName"}]),
            "`userName` is required and cannot be removed",
        ),
        (
            json!([{"op": "replace", "value": {"userName": null}}]),
            "`userName` is required",
        ),
        (
            json!([{"op": "remove", "path": "urn:ietf:params:scim:schemas:core:2.0:User"}]),
            "`userName` is required",
        ),
        // `schemas` follows the attributes present.
        (
            json!([{"op": "add", "path": "schemas", "value": ["urn:x"]}]),
            "`schemas` is maintained",
        ),
    ] {
        let err = user_error(&user(), ops.clone(), ErrorKind::Mutability);
        assert!(err.detail().contains(detail), "{ops}: {err}");
    }
}

/// Servers store resources without `meta` and `groups` (they are
/// rendered), so removing them changes nothing in the document: still a
/// `mutability` error, as RFC 7644 §3.5.2.2 asks.
#[test]
fn unassigning_read_only_attributes_the_document_lacks_is_refused() {
    let stored = json!({"schemas": [urn::USER], "userName": "bjensen"});
    for ops in [
        json!([{"op": "remove", "path": "meta"}]),
        json!([{"op": "remove", "path": "meta.lastModified"}]),
        json!([{"op": "remove", "path": "groups"}]),
        json!([{"op": "replace", "path": "groups", "value": []}]),
        json!([{"op": "remove", "path": "id"}]),
    ] {
        let err = user_error(&stored, ops.clone(), ErrorKind::Mutability);
        assert!(err.to_string().contains("readOnly"), "{ops}: {err}");
    }
    // Writable attributes the document lacks are still fine to remove.
    let patched = crate::apply_operations(
        &ResourceType::user(),
        &stored,
        &[PatchOperation {
            op: "remove".into(),
            path: Some("title".into()),
            value: None,
        }],
        &Options::new(),
    )
    .unwrap();
    assert!(!patched.changed);
}

#[test]
fn mutability_of_immutable_attributes() {
    let things = things();
    let thing = json!({"schemas": [things.schema.id, THING_EXT], "name": "t", "serial": "S1", THING_EXT: {"color": "red"}});
    for ops in [
        json!([{"op": "replace", "path": "serial", "value": "S2"}]),
        json!([{"op": "add", "value": {"serial": "S2"}}]),
        json!([{"op": "remove", "path": "serial"}]),
    ] {
        let err = fails(
            &things,
            &thing,
            ops.clone(),
            Options::new(),
            ErrorKind::Mutability,
        );
        assert!(
            err.detail().contains("`serial` is immutable"),
            "{ops}: {err}"
        );
    }
    // The same value, or a first value, is fine.
    let out = ok(
        &things,
        &thing,
        json!([{"op": "replace", "path": "serial", "value": "S1"}]),
        Options::new(),
    );
    assert!(!out.changed);
    let mut fresh = thing.clone();
    fresh.as_object_mut().unwrap().remove("serial");
    let out = ok(
        &things,
        &fresh,
        json!([{"op": "add", "path": "serial", "value": "S9"}]),
        Options::new(),
    );
    assert_eq!(out.resource["serial"], "S9");

    // Group members' sub-attributes are immutable (RFC 7643 §4.2).
    for ops in [
        json!([{"op": "replace", "path": "members[value eq \"902c246b-6245-4190-8e05-00816be7344a\"].value", "value": "x"}]),
        json!([{"op": "replace", "path": "members[value eq \"902c246b-6245-4190-8e05-00816be7344a\"]", "value": {"value": "x"}}]),
        json!([{"op": "replace", "path": "members.type", "value": "Group"}]),
    ] {
        fails(
            &ResourceType::group(),
            &group(),
            ops,
            Options::new(),
            ErrorKind::Mutability,
        );
    }
    fails(
        &ResourceType::group(),
        &group(),
        json!([{"op": "replace", "path": "members[value eq \"x\"].type", "value": "Group"}]),
        Options::new().with_extract_members(true),
        ErrorKind::Mutability,
    );
}

#[test]
fn every_error_kind_maps_to_its_scim_type() {
    for (kind, ty) in [
        (ErrorKind::InvalidSyntax, ScimType::InvalidSyntax),
        (ErrorKind::InvalidPath, ScimType::InvalidPath),
        (ErrorKind::InvalidFilter, ScimType::InvalidFilter),
        (ErrorKind::NoTarget, ScimType::NoTarget),
        (ErrorKind::InvalidValue, ScimType::InvalidValue),
        (ErrorKind::Mutability, ScimType::Mutability),
    ] {
        assert_eq!(kind.scim_type(), ty);
    }
}

#[test]
fn a_required_attribute_cannot_be_set_blank() {
    for value in ["", "   "] {
        let err = user_error(
            &user(),
            json!([{"op": "replace", "path": "userName", "value": value}]),
            ErrorKind::InvalidValue,
        );
        assert!(err.to_string().contains("cannot be blank"), "{err}");
    }
}
