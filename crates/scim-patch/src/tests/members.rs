//! Group membership as deltas: every form of a `members` operation, with
//! [`Options::extract_members`].

use scim_schema::ResourceType;
use serde_json::{Value, json};

use super::*;
use crate::{Member, MemberChange};

fn deltas(operations: Value) -> Vec<MemberChange> {
    let out = ok(
        &ResourceType::group(),
        &group(),
        operations,
        Options::new().with_extract_members(true),
    );
    assert_eq!(
        out.resource["members"],
        group()["members"],
        "members are left alone"
    );
    out.members
}

fn member(value: &str, ty: Option<&str>, display: Option<&str>) -> Member {
    Member {
        value: value.into(),
        r#type: ty.map(Into::into),
        display: display.map(Into::into),
    }
}

#[test]
fn add_with_an_array_or_a_single_object() {
    assert_eq!(
        deltas(json!([{"op": "add", "path": "members", "value": [
            {"value": "a", "type": "User", "display": "Ann", "$ref": "https://example.com/v2/Users/a"},
            {"value": "b", "type": "Group"}
        ]}])),
        vec![MemberChange::Add(vec![
            member("a", Some("User"), Some("Ann")),
            member("b", Some("Group"), None),
        ])]
    );
    assert_eq!(
        deltas(json!([{"op": "add", "path": "members", "value": {"value": "a"}}])),
        vec![MemberChange::Add(vec![Member::new("a")])]
    );
    // Duplicates in one request are sent once; an empty list is nothing.
    assert_eq!(
        deltas(
            json!([{"op": "add", "path": "members", "value": [{"value": "a"}, {"VALUE": "a"}]}])
        ),
        vec![MemberChange::Add(vec![Member::new("a")])]
    );
    assert_eq!(
        deltas(json!([{"op": "add", "path": "members", "value": []}])),
        vec![]
    );
}

#[test]
fn remove_by_value_filter() {
    assert_eq!(
        deltas(json!([{"op": "remove", "path": "members[value eq \"a\"]"}])),
        vec![MemberChange::Remove(vec!["a".into()])]
    );
    assert_eq!(
        deltas(
            json!([{"op": "remove", "path": "members[value eq \"a\" or VALUE eq \"b\" or value eq \"a\"]"}])
        ),
        vec![MemberChange::Remove(vec!["a".into(), "b".into()])]
    );
    // A value sent with a filtered remove is ignored.
    assert_eq!(
        deltas(
            json!([{"op": "remove", "path": "members[value eq \"a\"]", "value": [{"value": "z"}]}])
        ),
        vec![MemberChange::Remove(vec!["a".into()])]
    );
}

#[test]
fn remove_with_a_value_array_or_everything() {
    assert_eq!(
        deltas(
            json!([{"op": "remove", "path": "members", "value": [{"value": "a"}, {"value": "b"}]}])
        ),
        vec![MemberChange::Remove(vec!["a".into(), "b".into()])]
    );
    assert_eq!(
        deltas(json!([{"op": "remove", "path": "members"}])),
        vec![MemberChange::RemoveAll]
    );
    // An empty list removes no one (not everyone).
    assert_eq!(
        deltas(json!([{"op": "remove", "path": "members", "value": []}])),
        vec![]
    );
}

#[test]
fn replace_all() {
    assert_eq!(
        deltas(json!([{"op": "replace", "path": "members", "value": [{"value": "a"}]}])),
        vec![MemberChange::ReplaceAll(vec![Member::new("a")])]
    );
    assert_eq!(
        deltas(json!([{"op": "replace", "path": "members", "value": []}])),
        vec![MemberChange::ReplaceAll(vec![])]
    );
}

#[test]
fn path_less_add_and_replace_with_a_members_key() {
    assert_eq!(
        deltas(json!([
            {"op": "add", "value": {"members": [{"value": "a"}], "displayName": "X"}},
            {"op": "replace", "value": {"Members": [{"value": "b"}]}},
            {"op": "replace", "value": {"urn:ietf:params:scim:schemas:core:2.0:Group:members": [{"value": "c"}]}}
        ])),
        vec![
            MemberChange::Add(vec![Member::new("a")]),
            MemberChange::ReplaceAll(vec![Member::new("b")]),
            MemberChange::ReplaceAll(vec![Member::new("c")]),
        ]
    );
}

#[test]
fn changes_keep_request_order_with_document_changes_in_between() {
    let out = ok(
        &ResourceType::group(),
        &group(),
        json!([
            {"op": "remove", "path": "members"},
            {"op": "replace", "path": "displayName", "value": "New"},
            {"op": "add", "path": "members", "value": [{"value": "a"}]}
        ]),
        Options::new().with_extract_members(true),
    );
    assert_eq!(
        out.members,
        vec![
            MemberChange::RemoveAll,
            MemberChange::Add(vec![Member::new("a")])
        ]
    );
    assert!(out.changed);
    assert_eq!(out.resource["displayName"], "New");
}

#[test]
fn every_member_needs_a_string_value() {
    for value in [
        json!([{"display": "no id"}]),
        json!([{"value": 5}]),
        json!([{"value": ""}]),
        json!([{"value": "a", "type": 1}]),
        json!([7]),
        json!([null]),
    ] {
        for op in ["add", "replace", "remove"] {
            fails(
                &ResourceType::group(),
                &group(),
                json!([{"op": op, "path": "members", "value": value}]),
                Options::new().with_extract_members(true),
                ErrorKind::InvalidValue,
            );
        }
    }
}

#[test]
fn a_failure_after_membership_changes_reports_nothing() {
    let err = fails(
        &ResourceType::group(),
        &group(),
        json!([
            {"op": "add", "path": "members", "value": [{"value": "a"}]},
            {"op": "replace", "path": "id", "value": "other"}
        ]),
        Options::new().with_extract_members(true),
        ErrorKind::Mutability,
    );
    assert_eq!(err.operation_index(), Some(1));
}

#[test]
fn extraction_applies_only_to_the_base_schemas_members() {
    // A User has no `members`: the option changes nothing there.
    let out = ok(
        &ResourceType::user(),
        &user(),
        json!([{"op": "replace", "path": "title", "value": "x"}]),
        Options::new().with_extract_members(true),
    );
    assert!(out.members.is_empty());
    assert_eq!(out.resource["title"], "x");
    user_error(
        &user(),
        json!([{"op": "add", "path": "members", "value": [{"value": "a"}]}]),
        ErrorKind::InvalidPath,
    );
}

#[test]
fn membership_changes_do_not_read_the_member_list() {
    // A group document without its (externally stored) members.
    let mut stored = group();
    stored.as_object_mut().unwrap().remove("members");
    let out = ok(
        &ResourceType::group(),
        &stored,
        json!([{"op": "remove", "path": "members[value eq \"a\"]"}, {"op": "add", "path": "members", "value": [{"value": "b"}]}]),
        Options::new().with_extract_members(true),
    );
    assert_eq!(
        out.members,
        vec![
            MemberChange::Remove(vec!["a".into()]),
            MemberChange::Add(vec![Member::new("b")])
        ]
    );
    assert!(!out.changed);
    assert_eq!(out.resource, stored);
}
