//! What identity providers actually send, normalised into RFC 7644 form.
//! Each test is named after the identity provider whose requests it
//! reproduces.

use scim_schema::{ResourceType, urn};
use serde_json::json;

use super::*;
use crate::{Member, MemberChange};

const MANAGER_ID: &str = "26118915-6090-4610-87e4-49d8ca9f808d";

#[test]
fn entra_op_names_in_any_case() {
    let user = patched_user(
        &user(),
        json!([
            {"op": "Replace", "path": "title", "value": "Guide"},
            {"op": "Add", "path": "nickName", "value": "Babs"},
            {"op": "Remove", "path": "displayName"},
            {"op": "REMOVE", "path": "externalId"},
            {"op": "rEpLaCe", "path": "userType", "value": "Employee"}
        ]),
    );
    assert_eq!(user["title"], "Guide");
    assert_eq!(user["nickName"], "Babs");
    assert_eq!(user["userType"], "Employee");
    assert!(user.get("displayName").is_none());
    assert!(user.get("externalId").is_none());
}

#[test]
fn entra_booleans_as_strings() {
    for (sent, stored) in [
        ("False", false),
        ("false", false),
        ("FALSE", false),
        ("True", true),
    ] {
        let mut start = user();
        start["active"] = json!(!stored);
        let out = ok(
            &ResourceType::user(),
            &start,
            json!([{"op": "Replace", "path": "active", "value": sent}]),
            Options::new(),
        );
        assert_eq!(out.resource["active"], json!(stored), "{sent}");
        assert!(out.changed);
    }
    // Inside a path-less value, and for the `primary` sub-attribute too.
    let user = patched_user(
        &user(),
        json!([
            {"op": "Replace", "value": {"active": "False"}},
            {"op": "Replace", "path": "emails[type eq \"home\"].primary", "value": "True"}
        ]),
    );
    assert_eq!(user["active"], false);
    assert_eq!(user["emails"][1]["primary"], true);
    assert_eq!(user["emails"][0]["primary"], false);
}

#[test]
fn entra_booleans_as_strings_that_restate_the_value_change_nothing() {
    let out = ok(
        &ResourceType::user(),
        &user(),
        json!([{"op": "Replace", "path": "active", "value": "True"}]),
        Options::new(),
    );
    assert!(!out.changed);
    assert_eq!(out.resource, user());
}

#[test]
fn entra_add_of_a_filtered_sub_attribute_creates_the_value() {
    let user = patched_user(
        &bare_user(),
        json!([
            {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "bjensen@example.com"},
            {"op": "Add", "path": "addresses[type eq \"work\"].streetAddress", "value": "1 Main St"},
            {"op": "Add", "path": "addresses[type eq \"work\"].locality", "value": "Springfield"},
            {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "555-1234"},
            {"op": "Add", "path": "phoneNumbers[type eq \"fax\"].value", "value": "555-9999"}
        ]),
    );
    assert_eq!(
        user["emails"],
        json!([{"type": "work", "value": "bjensen@example.com"}])
    );
    assert_eq!(
        user["addresses"],
        json!([{"type": "work", "streetAddress": "1 Main St", "locality": "Springfield"}])
    );
    assert_eq!(
        user["phoneNumbers"],
        json!([{"type": "mobile", "value": "555-1234"}, {"type": "fax", "value": "555-9999"}])
    );
}

#[test]
fn entra_replace_of_a_filtered_sub_attribute_creates_the_value() {
    let user = patched_user(
        &bare_user(),
        json!([
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "bjensen@example.com"},
            {"op": "Replace", "path": "addresses[type eq \"work\" and country eq \"US\"].postalCode", "value": "98052"}
        ]),
    );
    assert_eq!(
        user["emails"],
        json!([{"type": "work", "value": "bjensen@example.com"}])
    );
    assert_eq!(
        user["addresses"],
        json!([{"type": "work", "country": "US", "postalCode": "98052"}])
    );
}

#[test]
fn entra_filtered_sub_attribute_updates_the_existing_value() {
    let user = patched_user(
        &user(),
        json!([
            {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "babs@example.com"},
            {"op": "Replace", "path": "phoneNumbers[type eq \"work\"].value", "value": "555-0000"}
        ]),
    );
    assert_eq!(
        user["emails"][0],
        json!({"value": "babs@example.com", "type": "work", "primary": true})
    );
    assert_eq!(user["emails"].as_array().unwrap().len(), 2);
    assert_eq!(
        user["phoneNumbers"],
        json!([{"value": "555-0000", "type": "work"}])
    );
}

#[test]
fn entra_filtered_creation_needs_a_filter_of_equalities() {
    for path in [
        "emails[type ne \"work\"].value",
        "emails[type eq \"work\" or type eq \"home\"].value",
        "emails[value co \"x\"].display",
        "emails[type pr].value",
        "emails[not (type eq \"work\")].value",
    ] {
        let err = user_error(
            &bare_user(),
            json!([{"op": "Add", "path": path, "value": "x@example.com"}]),
            ErrorKind::NoTarget,
        );
        assert_eq!(err.operation_index(), Some(0), "{path}");
    }
}

#[test]
fn entra_manager_as_a_bare_id() {
    let ops = json!([{
        "op": "Add",
        "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "value": MANAGER_ID
    }]);
    let user = patched_user(&bare_user(), ops);
    assert_eq!(user[ENTERPRISE], json!({"manager": {"value": MANAGER_ID}}));
    assert_eq!(user["schemas"], json!([urn::USER, ENTERPRISE]));

    // Replacing the manager keeps the server-set displayName out of the
    // client's reach, and a new id replaces the old one.
    let user = patched_user(
        &super::user(),
        json!([{"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "other-id"}]),
    );
    assert_eq!(user[ENTERPRISE]["manager"]["value"], "other-id");
}

#[test]
fn entra_manager_as_an_array_of_one_reference() {
    // Microsoft's SCIM tutorial, Example 5: the unprefixed `manager` path,
    // its value an array holding one reference.
    let ops = json!([{
        "op": "Add",
        "path": "manager",
        "value": [{"$ref": format!("../Users/{MANAGER_ID}"), "value": MANAGER_ID}]
    }]);
    let user = patched_user(&bare_user(), ops);
    assert_eq!(user[ENTERPRISE]["manager"]["value"], MANAGER_ID);
    // Two references for a single-valued attribute stay an error.
    user_error(
        &bare_user(),
        json!([{"op": "Add", "path": "manager", "value": [{"value": "a"}, {"value": "b"}]}]),
        ErrorKind::InvalidValue,
    );
}

#[test]
fn entra_manager_in_a_path_less_value() {
    let user = patched_user(
        &bare_user(),
        json!([{"op": "Add", "value": {
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager": MANAGER_ID
        }}]),
    );
    assert_eq!(user[ENTERPRISE]["manager"], json!({"value": MANAGER_ID}));
}

#[test]
fn entra_remove_manager_ignores_the_value_sent() {
    let mut start = bare_user();
    start["schemas"] = json!([urn::USER, ENTERPRISE]);
    start[ENTERPRISE] = json!({"manager": {"value": MANAGER_ID}});
    for value in [
        json!({"value": MANAGER_ID}),
        json!(MANAGER_ID),
        json!({"value": "someone-else"}),
    ] {
        let user = patched_user(
            &start,
            json!([{
                "op": "Remove",
                "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                "value": value
            }]),
        );
        // The last enterprise attribute is gone: so are the object and its URN.
        assert_eq!(user, bare_user(), "{value}");
    }
}

#[test]
fn entra_member_removal_with_a_value_array() {
    let ops = json!([{
        "op": "Remove",
        "path": "members",
        "value": [{"value": "2819c223-7f76-453a-919d-413861904646"}]
    }]);
    // Applied to the document: only that member goes.
    let out = ok(
        &ResourceType::group(),
        &group(),
        ops.clone(),
        Options::new(),
    );
    assert_eq!(
        out.resource["members"],
        json!([{"value": "902c246b-6245-4190-8e05-00816be7344a", "type": "User"}])
    );
    // As a membership delta: a removal of that id, not of everyone.
    let out = ok(
        &ResourceType::group(),
        &group(),
        ops,
        Options::new().with_extract_members(true),
    );
    assert_eq!(
        out.members,
        vec![MemberChange::Remove(vec![
            "2819c223-7f76-453a-919d-413861904646".into()
        ])]
    );
    assert!(!out.changed);
}

#[test]
fn entra_member_add_and_remove_as_deltas() {
    let out = ok(
        &ResourceType::group(),
        &group(),
        json!([
            {"op": "Add", "path": "members", "value": [{"value": "u-1"}, {"value": "u-2"}]},
            {"op": "Remove", "path": "members", "value": [{"value": "u-3"}]},
            {"op": "Replace", "path": "displayName", "value": "Guides"}
        ]),
        Options::new().with_extract_members(true),
    );
    assert_eq!(
        out.members,
        vec![
            MemberChange::Add(vec![Member::new("u-1"), Member::new("u-2")]),
            MemberChange::Remove(vec!["u-3".into()]),
        ]
    );
    assert_eq!(out.resource["displayName"], "Guides");
    assert_eq!(out.resource["members"], group()["members"]);
}

#[test]
fn entra_path_less_replace_with_dotted_keys() {
    let user = patched_user(
        &user(),
        json!([{"op": "replace", "value": {"name.givenName": "Ann", "name.familyName": "Lee"}}]),
    );
    assert_eq!(
        user["name"],
        json!({"formatted": "Ms. Barbara J Jensen III", "givenName": "Ann", "familyName": "Lee"})
    );
}

#[test]
fn entra_path_less_value_with_extension_attribute_keys() {
    let user = patched_user(
        &bare_user(),
        json!([{"op": "Replace", "value": {
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42",
            "displayName": "Babs"
        }}]),
    );
    assert_eq!(
        user[ENTERPRISE],
        json!({"department": "Sales", "employeeNumber": "42"})
    );
    assert_eq!(user["displayName"], "Babs");
    assert_eq!(user["schemas"], json!([urn::USER, ENTERPRISE]));
}

#[test]
fn entra_deactivation_sent_as_add() {
    let out = ok(
        &ResourceType::user(),
        &user(),
        json!([{"op": "add", "path": "active", "value": false}]),
        Options::new(),
    );
    assert_eq!(out.resource["active"], false);
    assert!(out.changed);
}

#[test]
fn entra_typical_attribute_update() {
    // The shape of a real Entra ID provisioning update.
    let out = ok(
        &ResourceType::user(),
        &user(),
        json!([
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Replace", "path": "displayName", "value": "Barbara Jensen"},
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "barbara@example.com"},
            {"op": "Replace", "path": "name.givenName", "value": "Barbara"},
            {"op": "Replace", "path": "name.familyName", "value": "Jensen-Smith"},
            {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "555-0101"},
            {"op": "Replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1 Microsoft Way"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Sales"},
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": MANAGER_ID},
            {"op": "Replace", "path": "title", "value": "Senior Guide"}
        ]),
        Options::new(),
    );
    let mut expected = user();
    expected["active"] = json!(false);
    expected["displayName"] = json!("Barbara Jensen");
    expected["emails"][0]["value"] = json!("barbara@example.com");
    expected["name"]["familyName"] = json!("Jensen-Smith");
    expected["phoneNumbers"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "mobile", "value": "555-0101"}));
    expected["addresses"][0]["streetAddress"] = json!("1 Microsoft Way");
    expected[ENTERPRISE]["department"] = json!("Sales");
    expected["title"] = json!("Senior Guide");
    assert_eq!(out.resource, expected);
}

#[test]
fn okta_single_object_for_a_multi_valued_attribute() {
    let user = patched_user(
        &bare_user(),
        json!([
            {"op": "add", "path": "emails", "value": {"value": "x@y.com", "type": "work", "primary": true}},
            {"op": "replace", "value": {"phoneNumbers": {"value": "555-1234", "type": "mobile"}}}
        ]),
    );
    assert_eq!(
        user["emails"],
        json!([{"value": "x@y.com", "type": "work", "primary": true}])
    );
    assert_eq!(
        user["phoneNumbers"],
        json!([{"value": "555-1234", "type": "mobile"}])
    );
}

#[test]
fn onelogin_single_object_for_a_multi_valued_attribute() {
    let user = patched_user(
        &user(),
        json!([{"op": "replace", "path": "emails", "value": {"value": "new@example.com", "type": "work"}}]),
    );
    assert_eq!(
        user["emails"],
        json!([{"value": "new@example.com", "type": "work"}])
    );
}

#[test]
fn okta_deactivation_as_a_path_less_replace() {
    let out = ok(
        &ResourceType::user(),
        &user(),
        json!([{"op": "replace", "value": {"active": false}}]),
        Options::new(),
    );
    assert_eq!(out.resource["active"], false);
    assert!(out.changed);
}

#[test]
fn okta_group_rename_restating_the_id() {
    let out = ok(
        &ResourceType::group(),
        &group(),
        json!([{"op": "replace", "value": {
            "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
            "displayName": "New Name"
        }}]),
        Options::new(),
    );
    assert_eq!(out.resource["displayName"], "New Name");
    assert_eq!(out.resource["id"], "e9e30dba-f08f-4109-8486-d5c6a331660a");

    // Another id is a change of a readOnly attribute.
    let err = fails(
        &ResourceType::group(),
        &group(),
        json!([{"op": "replace", "value": {"id": "other", "displayName": "New Name"}}]),
        Options::new(),
        ErrorKind::Mutability,
    );
    assert!(err.detail().contains("`id`"), "{err}");
}

#[test]
fn okta_group_membership_push() {
    let out = ok(
        &ResourceType::group(),
        &group(),
        json!([
            {"op": "add", "path": "members", "value": [{"value": "00u1", "display": "ann@example.com"}]},
            {"op": "remove", "path": "members[value eq \"00u2\"]"}
        ]),
        Options::new().with_extract_members(true),
    );
    assert_eq!(
        out.members,
        vec![
            MemberChange::Add(vec![Member {
                display: Some("ann@example.com".into()),
                ..Member::new("00u1")
            }]),
            MemberChange::Remove(vec!["00u2".into()]),
        ]
    );
}

#[test]
fn okta_group_membership_push_applied_to_the_document() {
    let out = ok(
        &ResourceType::group(),
        &group(),
        json!([
            {"op": "add", "path": "members", "value": [{"value": "00u1", "display": "ann@example.com"}]},
            {"op": "remove", "path": "members[value eq \"902c246b-6245-4190-8e05-00816be7344a\"]"}
        ]),
        Options::new(),
    );
    assert_eq!(
        out.resource["members"],
        json!([
            {"value": "2819c223-7f76-453a-919d-413861904646", "type": "User"},
            {"value": "00u1"}
        ])
    );
}

#[test]
fn onelogin_path_less_add_of_a_single_email_object() {
    let user = patched_user(
        &user(),
        json!([{"op": "add", "value": {"emails": {"value": "third@example.com", "type": "other"}}}]),
    );
    let emails = user["emails"].as_array().unwrap();
    assert_eq!(emails.len(), 3);
    assert_eq!(
        emails[2],
        json!({"value": "third@example.com", "type": "other"})
    );
}

#[test]
fn entra_extension_object_in_a_path_less_value_is_merged() {
    let user = patched_user(
        &user(),
        json!([{"op": "Add", "value": {ENTERPRISE: {"costCenter": "4130", "department": "Sales"}}}]),
    );
    assert_eq!(
        user[ENTERPRISE],
        json!({
            "employeeNumber": "701984",
            "costCenter": "4130",
            "department": "Sales",
            "manager": {"value": MANAGER_ID, "displayName": "John Smith"}
        })
    );
}
