//! Resource validation (POST and PUT bodies): arbitrary JSON is validated
//! as a User and as a Group, leniently and strictly, as a create and as a
//! replace of a stored resource. Nothing may panic; strict validation may
//! only refuse more than lenient validation, never answer differently; and
//! what validation returns is canonical: validated again, strictly, as a
//! create or as a replace of itself, it comes back unchanged.

use scim_schema::{Mode, ResourceType, Strictness};
use serde_json::{Map, Value};

use crate::fixtures::fixtures;

/// Validates `data`, read as JSON, against the fixtures' resource types.
pub fn resource_validate(data: &[u8]) {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    for fixture in fixtures() {
        let resource_type = &fixture.resource_type;
        let existing = fixture
            .resource
            .as_object()
            .expect("the fixture is an object");
        for mode in [Mode::Create, Mode::Replace(existing)] {
            let lenient = resource_type.validate(body.clone(), mode, Strictness::Lenient);
            let strict = resource_type.validate(body.clone(), mode, Strictness::Strict);
            if let Ok(stored) = &strict {
                assert_eq!(lenient.as_ref(), Ok(stored), "strict and lenient differ");
            }
            if let Ok(stored) = &lenient {
                assert_canonical(resource_type, stored);
            }
        }
    }
}

/// Fails unless `stored` names its base schema first and is a fixed point
/// of validation.
fn assert_canonical(resource_type: &ResourceType, stored: &Map<String, Value>) {
    assert_eq!(
        stored["schemas"][0], resource_type.schema.id,
        "the base schema comes first"
    );
    let again = Value::Object(stored.clone());
    for mode in [Mode::Create, Mode::Replace(stored)] {
        let revalidated = resource_type.validate(again.clone(), mode, Strictness::Strict);
        assert_eq!(
            revalidated.as_ref(),
            Ok(stored),
            "validating {again} again changed it"
        );
    }
}
