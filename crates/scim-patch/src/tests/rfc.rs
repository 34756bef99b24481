//! Every PATCH example of RFC 7644 §3.5.2, data-driven from
//! `test_data/rfc7644.json`: each case is applied to the resource as
//! stored, and, for groups, once more with membership extraction.

use scim_schema::{PatchOp, ResourceType};
use serde_json::Value;

use super::changes_json;
use crate::{Options, apply};

fn resource_type(name: &str) -> ResourceType {
    match name {
        "User" => ResourceType::user(),
        "Group" => ResourceType::group(),
        other => panic!("unknown resource type {other}"),
    }
}

fn cases() -> Vec<Value> {
    let text = include_str!("../../test_data/rfc7644.json");
    let cases: Value = serde_json::from_str(text).unwrap();
    cases.as_array().unwrap().clone()
}

#[test]
fn every_rfc_example_gives_the_expected_resource() {
    let cases = cases();
    assert_eq!(cases.len(), 11, "one case per example of RFC 7644 §3.5.2");
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let rt = resource_type(case["resourceType"].as_str().unwrap());
        let patch: PatchOp = serde_json::from_value(case["patch"].clone()).unwrap();
        let outcome = apply(&rt, &case["resource"], &patch, &Options::new())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(outcome.resource, case["expected"], "{name}");
        let changed = case["expectedChanged"].as_bool().unwrap_or(true);
        assert_eq!(outcome.changed, changed, "{name}");
        assert!(outcome.members.is_empty(), "{name}");
    }
}

#[test]
fn rfc_group_examples_as_membership_deltas() {
    let mut seen = 0;
    for case in cases()
        .iter()
        .filter(|c| c.get("expectedMembers").is_some())
    {
        seen += 1;
        let name = case["name"].as_str().unwrap();
        let rt = resource_type(case["resourceType"].as_str().unwrap());
        let patch: PatchOp = serde_json::from_value(case["patch"].clone()).unwrap();
        let options = Options::new().with_extract_members(true);
        let outcome = apply(&rt, &case["resource"], &patch, &options)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            changes_json(&outcome.members),
            case["expectedMembers"],
            "{name}"
        );
        // The document's members are left alone: the membership store owns them.
        assert_eq!(outcome.resource, case["resource"], "{name}");
        assert!(!outcome.changed, "{name}");
    }
    assert_eq!(seen, 6);
}
