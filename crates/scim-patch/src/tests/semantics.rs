//! The RFC 7644 §3.5.2 rules one by one: names and case, multi-valued
//! attributes, complex attributes, `primary`, extensions and `schemas`,
//! mutability, all-or-nothing and change detection.

use scim_schema::{ResourceType, urn};
use serde_json::json;

use super::*;

// --- Names -----------------------------------------------------------------

#[test]
fn names_match_in_any_case_and_are_written_in_canonical_case() {
    let user = patched_user(
        &bare_user(),
        json!([
            {"op": "replace", "path": "USERNAME", "value": "babs"},
            {"op": "add", "path": "NAME.GIVENNAME", "value": "Barbara"},
            {"op": "add", "value": {"nickname": "Babs", "PhoneNumbers": [{"VALUE": "555", "Type": "work"}]}},
            {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:EMPLOYEENUMBER", "value": "1"}
        ]),
    );
    assert_eq!(
        user,
        json!({
            "schemas": [urn::USER, ENTERPRISE],
            "id": "2819c223-7f76-453a-919d-413861904646",
            "userName": "babs",
            "name": {"givenName": "Barbara"},
            "nickName": "Babs",
            "phoneNumbers": [{"value": "555", "type": "work"}],
            ENTERPRISE: {"employeeNumber": "1"}
        })
    );
}

#[test]
fn a_member_stored_in_another_case_is_replaced_not_duplicated() {
    let stored = json!({"schemas": [urn::USER], "UserName": "old", "TITLE": "x", "Name": {"GivenName": "A"}});
    let user = patched_user(
        &stored,
        json!([
            {"op": "replace", "path": "userName", "value": "new"},
            {"op": "remove", "path": "title"},
            {"op": "replace", "path": "name.givenName", "value": "B"}
        ]),
    );
    assert_eq!(
        user,
        json!({"schemas": [urn::USER], "userName": "new", "name": {"givenName": "B"}})
    );
}

#[test]
fn filters_and_extension_objects_are_read_in_any_case() {
    let stored = json!({
        "schemas": [urn::USER], "userName": "u",
        "emails": [{"Value": "a@b.c", "TYPE": "Work"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {"Department": "x"}
    });
    let user = patched_user(
        &stored,
        json!([
            {"op": "remove", "path": "emails[type eq \"work\"]"},
            {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "y"}
        ]),
    );
    assert!(user.get("emails").is_none());
    assert_eq!(user[ENTERPRISE], json!({"department": "y"}));
    assert_eq!(user["schemas"], json!([urn::USER, ENTERPRISE]));
    assert_eq!(user.as_object().unwrap().len(), 3);
}

#[test]
fn numbers_for_string_attributes_are_stored_as_strings() {
    let user = patched_user(
        &bare_user(),
        json!([{"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": 701984}]),
    );
    assert_eq!(user[ENTERPRISE]["employeeNumber"], "701984");
}

// --- Multi-valued attributes ------------------------------------------------

#[test]
fn add_to_a_multi_valued_attribute_appends_without_duplicates() {
    let out = ok(
        &ResourceType::user(),
        &user(),
        json!([
            {"op": "add", "path": "emails", "value": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"VALUE": "babs@jensen.org", "TYPE": "home"},
                {"value": "babs@jensen.org"}
            ]}
        ]),
        Options::new(),
    );
    assert!(!out.changed, "every value is already there");
    let user = patched_user(
        &user(),
        json!([{"op": "add", "path": "emails", "value": [{"value": "babs@jensen.org", "type": "other"}]}]),
    );
    assert_eq!(user["emails"].as_array().unwrap().len(), 3);
}

#[test]
fn replace_of_a_whole_multi_valued_attribute_replaces_the_list() {
    let user = patched_user(
        &user(),
        json!([{"op": "replace", "path": "emails", "value": [{"value": "only@example.com"}]}]),
    );
    assert_eq!(user["emails"], json!([{"value": "only@example.com"}]));
    // An empty list unassigns it.
    let user = patched_user(
        &user,
        json!([{"op": "replace", "path": "emails", "value": []}]),
    );
    assert!(user.get("emails").is_none());
}

#[test]
fn remove_without_filter_removes_every_value() {
    let user = patched_user(&user(), json!([{"op": "remove", "path": "emails"}]));
    assert!(user.get("emails").is_none());
}

#[test]
fn remove_with_a_filter_removes_only_matching_values_and_then_the_attribute() {
    let user = patched_user(
        &user(),
        json!([{"op": "remove", "path": "emails[type eq \"home\"]"}]),
    );
    assert_eq!(
        user["emails"],
        json!([{"value": "bjensen@example.com", "type": "work", "primary": true}])
    );
    let user = patched_user(
        &user,
        json!([{"op": "remove", "path": "emails[type eq \"work\"]"}]),
    );
    assert!(user.get("emails").is_none());
}

#[test]
fn remove_of_a_filtered_sub_attribute() {
    let user = patched_user(
        &user(),
        json!([{"op": "remove", "path": "addresses[type eq \"home\"].streetAddress"}]),
    );
    assert!(user["addresses"][1].get("streetAddress").is_none());
    assert_eq!(user["addresses"][1]["locality"], "Hollywood");
    // A value left with no sub-attribute is gone.
    let user = patched_user(
        &super::user(),
        json!([{"op": "remove", "path": "phoneNumbers[type eq \"work\"].value"},
               {"op": "remove", "path": "phoneNumbers[value pr or type eq \"work\"].type"}]),
    );
    assert!(user.get("phoneNumbers").is_none());
}

#[test]
fn remove_of_an_absent_attribute_or_unmatched_filter_is_a_no_op() {
    for path in [
        "nickName",
        "name.middleName",
        "ims",
        "emails[type eq \"other\"]",
        "x509Certificates[value eq \"AA\"].display",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter",
    ] {
        let out = ok(
            &ResourceType::user(),
            &user(),
            json!([{"op": "remove", "path": path}]),
            Options::new(),
        );
        assert!(!out.changed, "{path}");
        assert_eq!(out.resource, user(), "{path}");
    }
}

#[test]
fn add_and_replace_of_a_filtered_value_change_only_matching_values() {
    let user = patched_user(
        &user(),
        json!([
            {"op": "add", "path": "emails[type eq \"home\"]", "value": {"display": "Home"}},
            {"op": "replace", "path": "addresses[locality eq \"Hollywood\"].country", "value": "US"}
        ]),
    );
    assert_eq!(
        user["emails"][1],
        json!({"value": "babs@jensen.org", "type": "home", "display": "Home"})
    );
    assert!(user["emails"][0].get("display").is_none());
    assert_eq!(user["addresses"][0]["country"], "US");
    assert_eq!(user["addresses"][1]["country"], "US");
}

#[test]
fn add_with_a_filter_and_a_whole_value_creates_it_when_missing() {
    let user = patched_user(
        &bare_user(),
        json!([{"op": "add", "path": "addresses[type eq \"work\"]", "value": {"locality": "Springfield"}}]),
    );
    assert_eq!(
        user["addresses"],
        json!([{"type": "work", "locality": "Springfield"}])
    );
}

#[test]
fn sub_attribute_of_a_multi_valued_attribute_without_filter_applies_to_every_value() {
    let user = patched_user(
        &user(),
        json!([{"op": "add", "path": "emails.display", "value": "E"}]),
    );
    assert!(
        user["emails"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["display"] == "E")
    );
    let user = patched_user(&user, json!([{"op": "remove", "path": "emails.display"}]));
    assert_eq!(user["emails"], super::user()["emails"]);
    let user = patched_user(
        &bare_user(),
        json!([{"op": "add", "path": "emails.value", "value": "a@b.c"}]),
    );
    assert_eq!(user["emails"], json!([{"value": "a@b.c"}]));
}

// --- Complex attributes -----------------------------------------------------

#[test]
fn add_and_replace_of_a_complex_attribute_merge_sub_attributes() {
    for op in ["add", "replace"] {
        let user = patched_user(
            &user(),
            json!([{"op": op, "path": "name", "value": {"givenName": "Babs", "middleName": "J"}}]),
        );
        assert_eq!(
            user["name"],
            json!({"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Babs", "middleName": "J"}),
            "{op}"
        );
    }
    // `null` for a sub-attribute unassigns it.
    let user = patched_user(
        &user(),
        json!([{"op": "replace", "path": "name", "value": {"formatted": null}}]),
    );
    assert_eq!(
        user["name"],
        json!({"familyName": "Jensen", "givenName": "Barbara"})
    );
}

#[test]
fn removing_the_last_sub_attribute_removes_the_attribute() {
    let stored = json!({"schemas": [urn::USER], "userName": "u", "name": {"givenName": "A"}});
    let user = patched_user(&stored, json!([{"op": "remove", "path": "name.givenName"}]));
    assert_eq!(user, json!({"schemas": [urn::USER], "userName": "u"}));
}

#[test]
fn read_only_sub_attributes_in_values_are_ignored_and_kept() {
    let user = patched_user(
        &user(),
        json!([{"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                "value": {"value": "boss-2", "displayName": "Made Up"}}]),
    );
    assert_eq!(
        user[ENTERPRISE]["manager"],
        json!({"value": "boss-2", "displayName": "John Smith"})
    );
}

// --- primary ----------------------------------------------------------------

#[test]
fn a_new_primary_value_clears_the_others() {
    let user = patched_user(
        &user(),
        json!([{"op": "add", "path": "emails", "value": [{"value": "new@example.com", "type": "other", "primary": true}]}]),
    );
    let emails = user["emails"].as_array().unwrap();
    assert_eq!(emails[0]["primary"], false);
    assert_eq!(emails[2]["primary"], true);
    let user = patched_user(
        &user,
        json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]),
    );
    let primaries: Vec<_> = user["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["primary"] == true)
        .collect();
    assert_eq!(primaries.len(), 1);
    assert_eq!(primaries[0]["type"], "home");
}

#[test]
fn an_existing_primary_stays_when_a_non_primary_value_is_added() {
    let user = patched_user(
        &user(),
        json!([{"op": "add", "path": "emails", "value": [{"value": "new@example.com"}]}]),
    );
    assert_eq!(user["emails"][0]["primary"], true);
}

// --- Extensions and `schemas` -----------------------------------------------

#[test]
fn adding_an_extension_attribute_lists_the_extension_in_schemas() {
    let out = ok(
        &ResourceType::user(),
        &bare_user(),
        json!([{"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter", "value": "4130"}]),
        Options::new(),
    );
    assert_eq!(out.resource["schemas"], json!([urn::USER, ENTERPRISE]));
    assert_eq!(out.resource[ENTERPRISE], json!({"costCenter": "4130"}));
    // A resource stored without `schemas` gets one.
    let stored = json!({"userName": "u"});
    let user = patched_user(
        &stored,
        json!([{"op": "add", "path": "employeeNumber", "value": "7"}]),
    );
    assert_eq!(user["schemas"], json!([urn::USER, ENTERPRISE]));
    assert_eq!(user[ENTERPRISE], json!({"employeeNumber": "7"}));
}

#[test]
fn removing_the_last_extension_attribute_removes_the_extension() {
    let mut stored = bare_user();
    stored["schemas"] = json!([urn::USER, ENTERPRISE]);
    stored[ENTERPRISE] = json!({"department": "x", "costCenter": "1"});
    let user = patched_user(
        &stored,
        json!([{"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}]),
    );
    assert_eq!(user[ENTERPRISE], json!({"costCenter": "1"}));
    assert_eq!(user["schemas"], json!([urn::USER, ENTERPRISE]));
    let user = patched_user(
        &user,
        json!([{"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"}]),
    );
    assert_eq!(user, bare_user());
}

#[test]
fn whole_extension_paths() {
    let path = ENTERPRISE;
    // add merges the attributes given.
    let user = patched_user(
        &user(),
        json!([{"op": "add", "path": path, "value": {"costCenter": "1", "employeeNumber": "2"}}]),
    );
    assert_eq!(user[ENTERPRISE]["costCenter"], "1");
    assert_eq!(user[ENTERPRISE]["employeeNumber"], "2");
    assert_eq!(user[ENTERPRISE]["department"], "Tour Operations");
    // replace sets each attribute given.
    let user = patched_user(
        &user,
        json!([{"op": "replace", "path": path, "value": {"department": "Sales", "manager.value": "m2"}}]),
    );
    assert_eq!(user[ENTERPRISE]["department"], "Sales");
    assert_eq!(user[ENTERPRISE]["manager"]["value"], "m2");
    // remove takes the whole extension away.
    let user = patched_user(&user, json!([{"op": "remove", "path": path}]));
    assert!(user.get(ENTERPRISE).is_none());
    assert_eq!(user["schemas"], json!([urn::USER]));
    // On a user without the extension: add creates it, remove is a no-op.
    let user = patched_user(
        &bare_user(),
        json!([{"op": "add", "path": "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER", "value": {"division": "d"}}]),
    );
    assert_eq!(user[ENTERPRISE], json!({"division": "d"}));
    let out = ok(
        &ResourceType::user(),
        &bare_user(),
        json!([{"op": "remove", "path": path}]),
        Options::new(),
    );
    assert!(!out.changed);
}

#[test]
fn a_required_extension_stays_listed() {
    let things = things();
    let thing =
        json!({"schemas": [things.schema.id, THING_EXT], "name": "t", THING_EXT: {"color": "red"}});
    let out = ok(
        &things,
        &thing,
        json!([{"op": "remove", "path": format!("{THING_EXT}:color")}]),
        Options::new(),
    );
    assert_eq!(
        out.resource,
        json!({"schemas": [things.schema.id, THING_EXT], "name": "t"})
    );
}

// --- Mutability -------------------------------------------------------------

#[test]
fn read_only_values_restated_unchanged_are_accepted() {
    let out = ok(
        &ResourceType::user(),
        &user(),
        json!([{"op": "replace", "value": {
            "id": "2819c223-7f76-453a-919d-413861904646",
            "meta": user()["meta"],
            "groups": user()["groups"],
            "schemas": ["anything, ignored"]
        }}]),
        Options::new(),
    );
    assert!(!out.changed);
    ok(
        &ResourceType::user(),
        &user(),
        json!([{"op": "add", "path": "id", "value": "2819c223-7f76-453a-919d-413861904646"}]),
        Options::new(),
    );
}

#[test]
fn immutable_sub_attributes_of_a_replaced_value_are_kept() {
    let out = ok(
        &ResourceType::group(),
        &group(),
        json!([{"op": "replace", "path": "members[value eq \"902c246b-6245-4190-8e05-00816be7344a\"]",
                "value": {"$ref": "https://example.com/v2/Users/902c246b-6245-4190-8e05-00816be7344a"}}]),
        Options::new(),
    );
    assert_eq!(
        out.resource["members"][1],
        json!({
            "value": "902c246b-6245-4190-8e05-00816be7344a",
            "type": "User",
            "$ref": "https://example.com/v2/Users/902c246b-6245-4190-8e05-00816be7344a"
        })
    );
}

// --- All-or-nothing and change detection ------------------------------------

#[test]
fn a_failing_third_operation_leaves_the_resource_unchanged() {
    let before = user();
    let resource = before.clone();
    let err = user_error(
        &resource,
        json!([
            {"op": "replace", "path": "title", "value": "Changed"},
            {"op": "remove", "path": "emails"},
            {"op": "replace", "path": "active", "value": "maybe"},
            {"op": "replace", "path": "nickName", "value": "never applied"}
        ]),
        ErrorKind::InvalidValue,
    );
    assert_eq!(err.operation_index(), Some(2));
    assert!(err.to_string().starts_with("Operations[2]: "));
    assert_eq!(resource, before);
}

#[test]
fn a_patch_that_restates_current_values_reports_no_change() {
    let out = ok(
        &ResourceType::user(),
        &user(),
        json!([
            {"op": "replace", "path": "active", "value": true},
            {"op": "replace", "path": "title", "value": "Tour Guide"},
            {"op": "add", "path": "emails", "value": {"value": "babs@jensen.org", "type": "home"}},
            {"op": "replace", "path": "name", "value": {"givenName": "Barbara"}},
            {"op": "remove", "path": "nickName"},
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "bjensen@example.com"},
            {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
             "value": "26118915-6090-4610-87e4-49d8ca9f808d"}
        ]),
        Options::new(),
    );
    assert!(!out.changed);
    assert_eq!(out.resource, user());
}

#[test]
fn changes_that_cancel_out_report_no_change() {
    let out = ok(
        &ResourceType::user(),
        &user(),
        json!([
            {"op": "replace", "path": "title", "value": "Other"},
            {"op": "replace", "path": "title", "value": "Tour Guide"}
        ]),
        Options::new(),
    );
    assert!(!out.changed);
}

#[test]
fn a_patch_without_the_patch_op_schema_is_applied() {
    let patch: scim_schema::PatchOp = serde_json::from_value(
        json!({"Operations": [{"op": "replace", "path": "title", "value": "x"}]}),
    )
    .unwrap();
    let out = crate::apply(&ResourceType::user(), &user(), &patch, &Options::new()).unwrap();
    assert_eq!(out.resource["title"], "x");
}

#[test]
fn path_less_null_replace_unassigns() {
    let user = patched_user(
        &user(),
        json!([{"op": "replace", "value": {"title": null, "nickName": null}}]),
    );
    assert!(user.get("title").is_none());
    let out = ok(
        &ResourceType::user(),
        &bare_user(),
        json!([{"op": "add", "value": {"title": null}}]),
        Options::new(),
    );
    assert!(!out.changed);
}
