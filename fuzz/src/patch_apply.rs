//! PATCH application: arbitrary bytes read as a PatchOp request body are
//! applied to a typical user and a typical group, with and without
//! membership extraction. Nothing may panic, and every success must leave
//! a resource that `scim-schema`'s PUT validation accepts, with `changed`
//! telling the truth.

use scim_patch::{Options, apply};
use scim_schema::{Mode, PatchOp, Strictness};

use crate::fixtures::fixtures;

/// Applies `data`, read as a PatchOp request body, to the fixtures.
pub fn patch_apply(data: &[u8]) {
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
}
