//! The resources the targets start from: a typical stored user and group.

use std::sync::OnceLock;

use scim_schema::ResourceType;
use serde_json::{Value, json};

/// A resource type and a resource of it in stored form.
pub(crate) struct Fixture {
    pub(crate) resource_type: ResourceType,
    pub(crate) resource: Value,
}

/// A typical user (with the Enterprise extension) and a typical group.
pub(crate) fn fixtures() -> &'static [Fixture; 2] {
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
