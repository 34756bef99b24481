//! Tests of create and replace validation.

use serde_json::{Value, json};

use super::*;
use crate::urn;

fn create(body: Value) -> Result<Map<String, Value>, ValidationError> {
    ResourceType::user().validate(body, Mode::Create, Strictness::Lenient)
}

fn strict(body: Value) -> Result<Map<String, Value>, ValidationError> {
    ResourceType::user().validate(body, Mode::Create, Strictness::Strict)
}

fn error(result: Result<Map<String, Value>, ValidationError>) -> (ScimType, String) {
    let err = result.unwrap_err();
    (err.scim_type, err.attribute)
}

#[test]
fn the_rfc_full_user_example_validates() {
    // RFC 7643 §8.2, trimmed of read-only parts.
    let body = json!({
        "schemas": [urn::USER, urn::ENTERPRISE_USER],
        "externalId": "701984",
        "userName": "bjensen@example.com",
        "name": {"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen", "givenName": "Barbara"},
        "displayName": "Babs Jensen",
        "profileUrl": "https://login.example.com/bjensen",
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "postalCode": "91608", "primary": true}],
        "phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
        "x509Certificates": [{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx"}],
        "active": true,
        "password": "t1meMa$heen",
        urn::ENTERPRISE_USER: {
            "employeeNumber": "701984",
            "costCenter": "4130",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
        },
        "meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z"}
    });
    let out = strict(body.clone()).unwrap();
    assert_eq!(out["emails"], body["emails"]);
    assert_eq!(
        out["password"], "t1meMa$heen",
        "write-only values are accepted; shaping hides them"
    );
    assert!(out.get("meta").is_none());
    // manager.displayName is read-only: dropped.
    assert_eq!(
        out[urn::ENTERPRISE_USER]["manager"],
        json!({"value": "26118915-6090-4610-87e4-49d8ca9f808d"})
    );
    assert_eq!(out["schemas"], json!([urn::USER, urn::ENTERPRISE_USER]));
}

#[test]
fn names_are_canonicalised_at_every_level() {
    let out = create(json!({
        "UserName": "x",
        "NAME": {"GivenName": "Ann"},
        "Emails": [{"VALUE": "a@x.org", "Primary": true}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {"DEPARTMENT": "R&D"}
    }))
    .unwrap();
    assert_eq!(
        Value::Object(out),
        json!({
            "schemas": [urn::USER, urn::ENTERPRISE_USER],
            "userName": "x",
            "name": {"givenName": "Ann"},
            "emails": [{"value": "a@x.org", "primary": true}],
            urn::ENTERPRISE_USER: {"department": "R&D"}
        })
    );
}

#[test]
fn fully_qualified_attribute_names_are_understood() {
    let out = create(json!({
        "urn:ietf:params:scim:schemas:core:2.0:User:userName": "q",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "7"
    }))
    .unwrap();
    assert_eq!(out["userName"], "q");
    assert_eq!(out[urn::ENTERPRISE_USER]["employeeNumber"], "7");
}

#[test]
fn read_only_null_and_empty_values_are_dropped() {
    let out = create(json!({
        "userName": "x",
        "id": "mine",
        "groups": [{"value": "g"}],
        "title": null,
        "emails": [],
        "name": {"givenName": null}
    }))
    .unwrap();
    assert_eq!(
        Value::Object(out),
        json!({"schemas": [urn::USER], "userName": "x"})
    );
}

#[test]
fn identity_provider_value_forms_are_normalised() {
    let out = create(json!({
        "userName": "x",
        "active": "False",
        "emails": {"value": "a@x.org", "type": "work"},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": 42}
    }))
    .unwrap();
    assert_eq!(out["active"], false);
    assert_eq!(out["emails"], json!([{"value": "a@x.org", "type": "work"}]));
    assert_eq!(out[urn::ENTERPRISE_USER]["employeeNumber"], "42");
}

#[test]
fn wrong_types_are_invalid_values_naming_the_attribute() {
    for (body, attribute) in [
        (json!({"userName": true}), "userName"),
        (json!({"userName": "x", "active": "yes"}), "active"),
        (json!({"userName": "x", "active": 1}), "active"),
        (json!({"userName": "x", "name": "Ann"}), "name"),
        (
            json!({"userName": "x", "displayName": ["a"]}),
            "displayName",
        ),
        (
            json!({"userName": "x", "emails": [{"value": {"x": 1}}]}),
            "emails.value",
        ),
        (json!({"userName": "x", "emails": ["a@x.org"]}), "emails"),
        (
            json!({"userName": "x", "x509Certificates": [{"value": 5}]}),
            "x509Certificates.value",
        ),
        (
            json!({"userName": "x", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": "x"}),
            urn::ENTERPRISE_USER,
        ),
    ] {
        assert_eq!(
            error(create(body.clone())),
            (ScimType::InvalidValue, attribute.to_owned()),
            "{body}"
        );
    }
}

#[test]
fn required_attributes_must_be_present() {
    assert_eq!(
        error(create(json!({}))),
        (ScimType::InvalidValue, "userName".to_owned())
    );
    assert_eq!(
        error(create(json!({"userName": null}))),
        (ScimType::InvalidValue, "userName".to_owned())
    );
}

#[test]
fn at_most_one_value_is_primary() {
    let body = json!({"userName": "x", "emails": [
        {"value": "a@x.org", "primary": true},
        {"value": "b@x.org", "primary": true}
    ]});
    assert_eq!(
        error(create(body)),
        (ScimType::InvalidValue, "emails".to_owned())
    );
}

#[test]
fn schemas_must_name_the_base_schema_and_be_strings() {
    assert_eq!(
        error(create(json!({"userName": "x", "schemas": [urn::GROUP]}))),
        (ScimType::InvalidValue, "schemas".to_owned())
    );
    assert_eq!(
        error(create(json!({"userName": "x", "schemas": "urn"}))),
        (ScimType::InvalidSyntax, "schemas".to_owned())
    );
    // An extension listed but not used is not carried over.
    let out =
        create(json!({"userName": "x", "schemas": [urn::USER, urn::ENTERPRISE_USER]})).unwrap();
    assert_eq!(out["schemas"], json!([urn::USER]));
}

#[test]
fn unknown_attributes_are_dropped_or_rejected_by_strictness() {
    let body = json!({
        "userName": "x",
        "favouriteColour": "green",
        "name": {"nickname": "y"},
        "urn:example:custom:2.0:User": {"badge": 7},
        "schemas": [urn::USER, "urn:example:custom:2.0:User"]
    });
    let out = create(body.clone()).unwrap();
    assert_eq!(
        Value::Object(out),
        json!({"schemas": [urn::USER], "userName": "x"})
    );
    let err = strict(body).unwrap_err();
    assert_eq!(err.scim_type, ScimType::InvalidSyntax);
    assert!(
        err.detail.contains("favouriteColour") || err.detail.contains("name.nickname"),
        "{err}"
    );
}

#[test]
fn attributes_given_twice_in_different_case_are_a_syntax_error() {
    let err = error(create(json!({"userName": "a", "USERNAME": "b"})));
    assert_eq!(err.0, ScimType::InvalidSyntax);
}

#[test]
fn non_objects_are_syntax_errors() {
    for body in [json!([]), json!("x"), json!(1), Value::Null] {
        assert_eq!(error(create(body)).0, ScimType::InvalidSyntax);
    }
}

#[test]
fn custom_extensions_loaded_from_json_are_validated() {
    let schema: SchemaDef = serde_json::from_value(json!({
        "id": "urn:example:params:scim:schemas:extension:acme:2.0:User",
        "name": "AcmeUser",
        "attributes": [
            {"name": "badgeNumber", "type": "integer", "required": true},
            {"name": "hiredAt", "type": "dateTime"},
            {"name": "badgeId", "type": "string", "mutability": "immutable"}
        ]
    }))
    .unwrap();
    let acme = ResourceType::user().with_extension(schema, true);
    let ok = acme
        .validate(
            json!({"userName": "x", "urn:example:params:scim:schemas:extension:acme:2.0:User": {"badgeNumber": 7, "hiredAt": "2024-02-29T08:00:00+01:00"}}),
            Mode::Create,
            Strictness::Strict,
        )
        .unwrap();
    assert_eq!(
        ok["schemas"][1],
        "urn:example:params:scim:schemas:extension:acme:2.0:User"
    );
    for (ext, attribute) in [
        (
            json!({"badgeNumber": 7.5}),
            "urn:example:params:scim:schemas:extension:acme:2.0:User:badgeNumber",
        ),
        (
            json!({"badgeNumber": 7, "hiredAt": "2024-02-30T08:00:00Z"}),
            "urn:example:params:scim:schemas:extension:acme:2.0:User:hiredAt",
        ),
        (
            json!({"hiredAt": "2024-02-28T08:00:00Z"}),
            "urn:example:params:scim:schemas:extension:acme:2.0:User:badgeNumber",
        ),
    ] {
        let body = json!({"userName": "x", "urn:example:params:scim:schemas:extension:acme:2.0:User": ext});
        let err = acme
            .validate(body, Mode::Create, Strictness::Strict)
            .unwrap_err();
        assert_eq!(
            (err.scim_type, err.attribute.as_str()),
            (ScimType::InvalidValue, attribute)
        );
    }
    let err = acme
        .validate(json!({"userName": "x"}), Mode::Create, Strictness::Strict)
        .unwrap_err();
    assert_eq!(
        err.attribute,
        "urn:example:params:scim:schemas:extension:acme:2.0:User"
    );
}

#[test]
fn replace_keeps_and_guards_immutable_values() {
    let schema: SchemaDef = serde_json::from_value(json!({
        "id": "urn:example:acme:2.0:User",
        "attributes": [{"name": "badgeId", "type": "string", "mutability": "immutable"}]
    }))
    .unwrap();
    let users = ResourceType::user().with_extension(schema, false);
    let existing = users
        .validate(
            json!({"userName": "x", "urn:example:acme:2.0:User": {"badgeId": "B-1"}}),
            Mode::Create,
            Strictness::Strict,
        )
        .unwrap();
    // Omitted: kept.
    let kept = users
        .validate(
            json!({"userName": "y"}),
            Mode::Replace(&existing),
            Strictness::Strict,
        )
        .unwrap();
    assert_eq!(kept["urn:example:acme:2.0:User"]["badgeId"], "B-1");
    assert_eq!(
        kept["schemas"],
        json!([urn::USER, "urn:example:acme:2.0:User"])
    );
    // Same value: fine. Another value: mutability.
    let same = json!({"userName": "y", "urn:example:acme:2.0:User": {"badgeId": "B-1"}});
    assert!(
        users
            .validate(same, Mode::Replace(&existing), Strictness::Strict)
            .is_ok()
    );
    let changed = json!({"userName": "y", "urn:example:acme:2.0:User": {"badgeId": "B-2"}});
    let err = users
        .validate(changed, Mode::Replace(&existing), Strictness::Strict)
        .unwrap_err();
    assert_eq!(err.scim_type, ScimType::Mutability);
    assert_eq!(err.attribute, "urn:example:acme:2.0:User:badgeId");
}

#[test]
fn groups_validate_members() {
    let groups = ResourceType::group();
    let out = groups
        .validate(
            json!({"displayName": "Sales", "members": [{"value": "u1", "type": "User"}, {"value": "u2"}]}),
            Mode::Create,
            Strictness::Strict,
        )
        .unwrap();
    assert_eq!(out["members"][1], json!({"value": "u2"}));
    assert_eq!(out["schemas"], json!([urn::GROUP]));
}

#[test]
fn one_object_in_an_array_reads_as_a_single_complex_value() {
    let users = ResourceType::user().with_extension(crate::builtin::enterprise_user(), false);
    let body = json!({
        "userName": "a",
        urn::ENTERPRISE_USER: {"manager": [{"value": "m-1"}]}
    });
    let out = users
        .validate(body, Mode::Create, Strictness::Lenient)
        .unwrap();
    assert_eq!(
        out[urn::ENTERPRISE_USER]["manager"],
        json!({"value": "m-1"})
    );
    for bad in [json!([{"value": "a"}, {"value": "b"}]), json!(["m-1"])] {
        let body = json!({"userName": "a", urn::ENTERPRISE_USER: {"manager": bad}});
        assert!(
            users
                .validate(body, Mode::Create, Strictness::Lenient)
                .is_err()
        );
    }
    // Scalars stay strict: a name in an array is not a name.
    assert!(
        users
            .validate(
                json!({"userName": ["a"]}),
                Mode::Create,
                Strictness::Lenient
            )
            .is_err()
    );
}
