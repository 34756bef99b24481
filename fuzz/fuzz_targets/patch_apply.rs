//! Fuzzes PATCH application: arbitrary bytes read as a PatchOp request body
//! are applied to a typical user and a typical group, with and without
//! membership extraction. Nothing may panic, and every success must leave
//! a resource that `scim-schema`'s PUT validation accepts, with `changed`
//! telling the truth.
//!
//! Run from the repository root with a nightly toolchain:
//! `cargo +nightly fuzz run patch_apply -- -max_total_time=60`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use scim_patch::{Options, apply};
use scim_schema::{Mode, PatchOp, ResourceType, Strictness};
use serde_json::{Value, json};

struct Fixture {
    resource_type: ResourceType,
    resource: Value,
}

fn fixtures() -> &'static [Fixture; 2] {
    static FIXTURES: OnceLock<[Fixture; 2]> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        [
            Fixture {
                resource_type: ResourceType::user(),
                resource: json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                    "id": "2819c223-7f76-453a-919d-413861904646",
                    "externalId": "701984",
                    "userName": "bjensen@example.com",
                    "name": {"familyName": "Jensen", "givenName": "Barbara"},
                    "displayName": "Babs Jensen",
                    "active": true,
                    "emails": [
                        {"value": "bjensen@example.com", "type": "work", "primary": true},
                        {"value": "babs@jensen.org", "type": "home"}
                    ],
                    "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood"}],
                    "groups": [{"value": "e9e30dba-f08f-4109-8486-d5c6a331660a", "display": "Tour Guides"}],
                    "meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z"},
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                        "employeeNumber": "701984",
                        "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
                    }
                }),
            },
            Fixture {
                resource_type: ResourceType::group(),
                resource: json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                    "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
                    "displayName": "Tour Guides",
                    "members": [
                        {"value": "2819c223-7f76-453a-919d-413861904646", "type": "User"},
                        {"value": "902c246b-6245-4190-8e05-00816be7344a", "type": "User"}
                    ]
                }),
            },
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(patch) = serde_json::from_slice::<PatchOp>(data) else {
        return;
    };
    for fixture in fixtures() {
        for extract_members in [false, true] {
            let options = Options::new().with_extract_members(extract_members);
            let Ok(outcome) = apply(&fixture.resource_type, &fixture.resource, &patch, &options)
            else {
                continue;
            };
            assert_eq!(outcome.changed, outcome.resource != fixture.resource);
            assert!(extract_members || outcome.members.is_empty());
            let before = fixture
                .resource
                .as_object()
                .expect("the fixture is an object");
            if let Err(e) = fixture.resource_type.validate(
                outcome.resource.clone(),
                Mode::Replace(before),
                Strictness::Strict,
            ) {
                panic!("{} is not a valid resource: {e}", outcome.resource);
            }
        }
    }
});
