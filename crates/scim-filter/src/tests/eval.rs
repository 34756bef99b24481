//! Evaluator tests: the RFC 7644 examples against the RFC 7643 §8.2 user,
//! and each comparison rule (caseExact, dateTime, numbers, multi-valued
//! attributes, `pr`, `null`, extensions, case-insensitive names).

use scim_schema::{AttributeDef, AttributeType, SchemaDef, builtin};
use serde_json::{Value, json};

use super::*;
use crate::{Schemas, matches, matches_element, parse, parse_path};

/// The full user of RFC 7643 §8.2, trimmed.
fn bjensen() -> Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "701984",
        "userName": "bjensen@example.com",
        "name": {
            "formatted": "Ms. Barbara J Jensen, III",
            "familyName": "Jensen",
            "givenName": "Barbara"
        },
        "displayName": "Babs Jensen",
        "title": "Tour Guide",
        "userType": "Employee",
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "ims": [{"value": "someaimhandle", "type": "aim"}],
        "x509Certificates": [{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJ"}],
        "meta": {
            "resourceType": "User",
            "created": "2010-01-23T04:56:22Z",
            "lastModified": "2011-05-13T04:42:34Z",
            "version": "W/\"a330bc54f0671c9\""
        },
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984",
            "costCenter": "4130",
            "manager": {
                "value": "26118915-6090-4610-87e4-49d8ca9f808d",
                "displayName": "John Smith"
            }
        }
    })
}

/// Checks each `(filter, expected)` against `resource`.
fn table(schemas: &Schemas, resource: &Value, cases: &[(&str, bool)]) {
    for (filter, want) in cases {
        let parsed = parse(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
        let got = matches(&parsed, resource, schemas).unwrap_or_else(|e| panic!("{filter}: {e}"));
        assert_eq!(got, *want, "{filter}");
        // The canonical form means the same.
        let again = parse(&parsed.to_string()).unwrap();
        assert_eq!(
            matches(&again, resource, schemas).unwrap(),
            *want,
            "{filter}"
        );
    }
}

#[test]
fn rfc7644_examples_against_bjensen() {
    table(
        &Schemas::user(),
        &bjensen(),
        &[
            (r#"userName Eq "john""#, false),
            (r#"userName eq "bjensen@example.com""#, true),
            (r#"name.familyName co "O'Malley""#, false),
            (r#"name.familyName co "ens""#, true),
            (r#"userName sw "J""#, false),
            (r#"userName sw "B""#, true),
            (
                r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
                false,
            ),
            (
                r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "bJ""#,
                true,
            ),
            ("title pr", true),
            ("nickName pr", false),
            (r#"meta.lastModified gt "2011-05-13T04:42:34Z""#, false),
            (r#"meta.lastModified ge "2011-05-13T04:42:34Z""#, true),
            (r#"meta.lastModified lt "2011-05-13T04:42:34Z""#, false),
            (r#"meta.lastModified le "2011-05-13T04:42:34Z""#, true),
            (r#"title pr and userType eq "Employee""#, true),
            (r#"title pr and userType eq "Intern""#, false),
            (r#"title pr or userType eq "Intern""#, true),
            (r#"nickName pr or userType eq "Intern""#, false),
            (
                r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
                true,
            ),
            (
                r#"schemas eq "urn:ietf:params:scim:schemas:core:2.0:Group""#,
                false,
            ),
            (
                r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
                true,
            ),
            (
                r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
                false,
            ),
            (
                r#"userType eq "Employee" and (emails.type eq "work")"#,
                true,
            ),
            (
                r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
                true,
            ),
            (
                r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
                true,
            ),
            (
                r#"emails[type eq "home" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
                false,
            ),
        ],
    );
}

#[test]
fn identity_provider_filters_against_bjensen() {
    table(
        &Schemas::user(),
        &bjensen(),
        &[
            (r#"userName eq "BJensen@Example.com""#, true),
            (r#"externalId eq "701984""#, true),
            (r#"externalId eq "701985""#, false),
            (
                r#"emails[type eq "work"].value eq "bjensen@example.com""#,
                true,
            ),
            // The same element must match both: the home address is not it.
            (
                r#"emails[type eq "home"].value eq "bjensen@example.com""#,
                false,
            ),
            (r#"emails[type eq "home"].value pr"#, true),
            (r#"ims[type eq "aim"].value sw "SOME""#, true),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
                true,
            ),
            (r#"employeeNumber eq "701984""#, true),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#,
                true,
            ),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "26118915-6090-4610-87e4-49d8ca9f808d""#,
                true,
            ),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager[displayName sw "john"]"#,
                true,
            ),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter eq "4131""#,
                false,
            ),
            ("active eq true", true),
            ("active eq false", false),
            ("active ne false", true),
        ],
    );
}

#[test]
fn groups_and_members() {
    let group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
        "displayName": "Sales",
        "members": [
            {"value": "2819c223-7f76-453a-919d-413861904646", "$ref": "https://example.com/v2/Users/2819c223", "type": "User"},
            {"value": "902c246b-6245-4190-8e05-00816be7344a", "type": "User"}
        ]
    });
    table(
        &Schemas::group(),
        &group,
        &[
            (r#"displayName eq "Sales""#, true),
            (r#"displayName eq "sales""#, true),
            (r#"displayName eq "Marketing""#, false),
            (
                r#"members[value eq "902c246b-6245-4190-8e05-00816be7344a"]"#,
                true,
            ),
            (
                r#"members[value eq "00000000-0000-0000-0000-000000000000"]"#,
                false,
            ),
            (
                r#"members.value eq "2819c223-7f76-453a-919d-413861904646""#,
                true,
            ),
            (r#"members[$ref pr]"#, true),
            (r#"members[type eq "User" and $ref pr]"#, true),
            (r#"members[type eq "Group"]"#, false),
        ],
    );
}

#[test]
fn case_exact_decides_string_comparison() {
    table(
        &Schemas::user(),
        &bjensen(),
        &[
            // userName is not caseExact; id and externalId are.
            (r#"userName eq "BJENSEN@EXAMPLE.COM""#, true),
            (r#"id eq "2819c223-7f76-453a-919d-413861904646""#, true),
            (r#"id eq "2819C223-7F76-453A-919D-413861904646""#, false),
            (r#"id sw "2819C""#, false),
            (r#"meta.version eq "w/\"A330BC54F0671C9\"""#, false),
            (r#"meta.version eq "W/\"a330bc54f0671c9\"""#, true),
            // Binary data compares exactly.
            (
                r#"x509Certificates.value eq "MIIDQzCCAqygAwIBAgICEAAwDQYJ""#,
                true,
            ),
            (
                r#"x509Certificates.value eq "miidqzccaqygawibagiceaawdqyj""#,
                false,
            ),
            (
                r#"x509Certificates eq "MIIDQzCCAqygAwIBAgICEAAwDQYJ""#,
                true,
            ),
        ],
    );
}

#[test]
fn case_insensitive_comparison_lowercases_unicode() {
    let user = json!({
        "displayName": "ÉMILE ZOLA",
        "nickName": "ΟΔΥΣΣΕΥΣ",
        "title": "straße",
        "userType": "İstanbul"
    });
    table(
        &Schemas::user(),
        &user,
        &[
            (r#"displayName eq "émile zola""#, true),
            (r#"displayName sw "émi""#, true),
            (r#"displayName ew "ZoLa""#, true),
            (r#"displayName co "le zo""#, true),
            // Final sigma folds like sigma.
            (r#"nickName eq "οδυσσευς""#, true),
            (r#"nickName eq "οδυσσευσ""#, true),
            (r#"title eq "STRASSE""#, false),
            (r#"title eq "STRAßE""#, true),
            // Ordering is by code point after lower-casing: "é" > "z".
            (r#"displayName gt "zzz""#, true),
            (r#"displayName lt "ÉMILE ZOLB""#, true),
            (r#"displayName ge "émile zola""#, true),
            (r#"displayName le "émile zol""#, false),
            (r#"userType sw "i̇""#, true),
        ],
    );
}

#[test]
fn date_times_compare_as_instants() {
    table(
        &Schemas::user(),
        &bjensen(),
        &[
            (r#"meta.lastModified eq "2011-05-13T06:42:34+02:00""#, true),
            (r#"meta.lastModified eq "2011-05-12T23:42:34-05:00""#, true),
            (r#"meta.lastModified eq "2011-05-13T04:42:34.000Z""#, true),
            (r#"meta.lastModified gt "2011-05-13T04:42:33.999Z""#, true),
            (r#"meta.lastModified lt "2011-05-13T04:42:34.001Z""#, true),
            (r#"meta.lastModified gt "2011-05-13T05:42:33+02:00""#, true),
            (r#"meta.lastModified lt "2011-05-13T05:42:33+02:00""#, false),
            (r#"meta.lastModified ne "2011-05-13T04:42:34Z""#, false),
            (r#"meta.created lt "2011-05-13T04:42:34Z""#, true),
            (
                r#"meta.created ge "2010-01-23T04:56:22Z" and meta.created le "2010-01-23T04:56:22Z""#,
                true,
            ),
        ],
    );
    // A stored value that is not a timestamp matches nothing.
    let odd = json!({"meta": {"lastModified": "last tuesday"}});
    table(
        &Schemas::user(),
        &odd,
        &[
            (r#"meta.lastModified lt "2999-01-01T00:00:00Z""#, false),
            (r#"meta.lastModified ne "2999-01-01T00:00:00Z""#, false),
            ("meta.lastModified pr", true),
        ],
    );
}

/// A schema with one attribute of each type, for the typed comparisons.
fn things() -> Schemas {
    let attr = |name: &str, ty| AttributeDef::new(name, ty);
    let mut tags = attr("tags", AttributeType::String);
    tags.multi_valued = true;
    let mut code = attr("code", AttributeType::String);
    code.case_exact = true;
    let mut scores = attr("scores", AttributeType::Decimal);
    scores.multi_valued = true;
    let mut parts = attr("parts", AttributeType::Complex);
    parts.multi_valued = true;
    parts.sub_attributes = vec![
        attr("size", AttributeType::Integer),
        attr("label", AttributeType::String),
    ];
    Schemas::new(
        SchemaDef {
            id: "urn:example:Thing".into(),
            name: "Thing".into(),
            description: String::new(),
            attributes: vec![
                attr("age", AttributeType::Integer),
                attr("weight", AttributeType::Decimal),
                attr("big", AttributeType::Integer),
                attr("born", AttributeType::DateTime),
                attr("flag", AttributeType::Boolean),
                attr("note", AttributeType::String),
                tags,
                code,
                scores,
                parts,
            ],
        },
        [],
    )
}

#[test]
fn numbers_compare_exactly_by_value() {
    let thing = json!({
        "age": 30,
        "weight": 72.5,
        "big": 18446744073709551615_u64,
        "scores": [0.1, 2, -3e2],
        "parts": [{"size": 3, "label": "a"}, {"size": 10, "label": "b"}]
    });
    table(
        &things(),
        &thing,
        &[
            ("age eq 30", true),
            ("age eq 30.0", true),
            ("age eq 3e1", true),
            ("age eq 300e-1", true),
            ("age ne 30", false),
            ("age gt 29.999999999999999999999", true),
            ("age lt 30.000000000000000000001", true),
            ("age ge 30", true),
            ("age le 29", false),
            ("age gt -1e999999", true),
            ("age lt 1e999999", true),
            ("weight eq 72.5", true),
            ("weight eq 72.50", true),
            ("weight gt 72.49", true),
            ("weight eq 72", false),
            ("big eq 18446744073709551615", true),
            ("big gt 18446744073709551614", true),
            ("big lt 18446744073709551616", true),
            ("big eq 1.8446744073709551615e19", true),
            ("scores eq 0.1", true),
            ("scores eq 2", true),
            ("scores eq -300", true),
            ("scores lt -299", true),
            ("scores gt 2", false),
            ("parts.size gt 5", true),
            ("parts[size gt 5 and label eq \"a\"]", false),
            ("parts[size lt 5 and label eq \"a\"]", true),
            ("parts[size ge 10].label eq \"b\"", true),
        ],
    );
}

#[test]
fn multi_valued_attributes_match_when_any_value_does() {
    let thing = json!({"tags": ["red", "Green", null, "blue"], "code": "AbC"});
    table(
        &things(),
        &thing,
        &[
            (r#"tags eq "green""#, true),
            (r#"tags eq "yellow""#, false),
            (r#"tags ne "red""#, true),
            (r#"tags sw "bl""#, true),
            (r#"tags gt "r""#, true),
            (r#"tags gt "red""#, false),
            ("tags pr", true),
            ("tags eq null", false),
            (r#"not (tags eq "red")"#, false),
            (r#"code eq "AbC""#, true),
            (r#"code eq "abc""#, false),
            (r#"code co "bC""#, true),
        ],
    );
    table(
        &things(),
        &json!({"tags": ["only"]}),
        &[
            (r#"tags ne "only""#, false),
            (r#"not (tags eq "only")"#, false),
        ],
    );
    table(
        &Schemas::user(),
        &bjensen(),
        &[
            // Any e-mail differs from "work": the home one does.
            (r#"emails.type ne "work""#, true),
            (r#"ims.type ne "aim""#, false),
            (r#"emails co "jensen.org""#, true),
            (r#"emails sw "BABS""#, true),
            (r#"emails ew ".net""#, false),
            ("emails.primary eq true", true),
            ("emails.primary eq false", false),
            ("emails[primary eq true and type eq \"work\"]", true),
            ("emails[primary eq true and type eq \"home\"]", false),
            // The home address has no `primary`: it is not `primary eq true`.
            ("emails[not (primary eq true)]", true),
            ("ims[not (type eq \"aim\")]", false),
            ("emails[not (primary pr)]", true),
            ("emails[type eq \"home\" and not (primary pr)]", true),
            ("name[givenName eq \"barbara\"]", true),
            (
                "name[givenName eq \"barbara\" and familyName eq \"Smith\"]",
                false,
            ),
        ],
    );
}

#[test]
fn present_means_a_non_empty_value() {
    let resource = json!({
        "title": "",
        "nickName": null,
        "displayName": " ",
        "emails": [],
        "phoneNumbers": [{"value": ""}, {"type": null}],
        "ims": [{}],
        "photos": [null, {"value": "https://photos.example.com/1.jpg"}],
        "name": {},
        "addresses": [{"formatted": null, "primary": false}],
        "active": false,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "", "displayName": ""}}
    });
    table(
        &Schemas::user(),
        &resource,
        &[
            ("title pr", false),
            ("nickName pr", false),
            ("displayName pr", true),
            ("userName pr", false),
            ("emails pr", false),
            ("phoneNumbers pr", false),
            ("phoneNumbers.value pr", false),
            ("ims pr", false),
            ("photos pr", true),
            ("photos.value pr", true),
            ("name pr", false),
            ("name.givenName pr", false),
            ("addresses pr", true),
            ("addresses.primary pr", true),
            ("active pr", true),
            ("manager pr", false),
            ("not (title pr)", true),
        ],
    );
}

#[test]
fn null_comparisons_test_for_absence() {
    let resource = json!({
        "title": "Boss",
        "nickName": null,
        "emails": [],
        "phoneNumbers": [{"type": "work"}],
        "name": {"givenName": "Ann"}
    });
    table(
        &Schemas::user(),
        &resource,
        &[
            ("nickName eq null", true),
            ("displayName eq null", true),
            ("title eq null", false),
            ("title ne null", true),
            ("nickName ne null", false),
            ("emails eq null", true),
            ("phoneNumbers eq null", false),
            ("phoneNumbers.value eq null", true),
            ("phoneNumbers.type eq null", false),
            ("name eq null", false),
            ("name.familyName eq null", true),
            ("phoneNumbers[value eq null]", true),
            ("phoneNumbers[type eq null]", false),
        ],
    );
}

#[test]
fn absent_or_mistyped_values_match_no_comparison() {
    let resource = json!({"title": 5, "active": "true", "nickName": ["x"], "emails": "a@b.c"});
    table(
        &Schemas::user(),
        &resource,
        &[
            (r#"title eq "5""#, false),
            (r#"title ne "5""#, false),
            ("title pr", true),
            ("active eq true", false),
            ("active ne true", false),
            // A single value held in an array is still compared.
            (r#"nickName eq "x""#, true),
            (r#"emails co "a""#, false),
            (r#"displayName ne "x""#, false),
            (r#"not (displayName eq "x")"#, true),
        ],
    );
}

#[test]
fn attribute_names_and_extension_urns_match_case_insensitively() {
    let resource = json!({
        "USERNAME": "ann",
        "Name": {"GIVENNAME": "Ann"},
        "EMAILS": [{"VALUE": "ann@example.com", "Type": "work"}],
        "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER": {"EmployeeNumber": "7"}
    });
    table(
        &Schemas::user(),
        &resource,
        &[
            (r#"userName eq "ann""#, true),
            (r#"username eq "ANN""#, true),
            (r#"name.givenName eq "ann""#, true),
            (r#"NAME.GIVENNAME eq "ann""#, true),
            (r#"emails[type eq "work"].value eq "ann@example.com""#, true),
            (r#"Emails[TYPE eq "WORK"]"#, true),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7""#,
                true,
            ),
            (
                r#"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:EMPLOYEENUMBER eq "7""#,
                true,
            ),
            (r#"employeenumber eq "7""#, true),
        ],
    );
}

#[test]
fn core_urn_prefix_refers_to_top_level_attributes() {
    table(
        &Schemas::user(),
        &bjensen(),
        &[
            (
                r#"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "Barbara""#,
                true,
            ),
            (
                r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "home"]"#,
                true,
            ),
            (r#"urn:ietf:params:scim:schemas:core:2.0:User:id pr"#, true),
        ],
    );
    // An attribute of an extension is not found under the core URN.
    let f = parse(r#"urn:ietf:params:scim:schemas:core:2.0:User:employeeNumber pr"#).unwrap();
    assert!(matches(&f, &bjensen(), &Schemas::user()).is_err());
}

#[test]
fn not_and_or_combine_as_boolean_logic() {
    let user = bjensen();
    let schemas = Schemas::user();
    let atoms = [
        "title pr",
        "nickName pr",
        r#"userType eq "Employee""#,
        "active eq false",
    ];
    let value = |f: &str| matches(&parse(f).unwrap(), &user, &schemas).unwrap();
    for a in atoms {
        assert_eq!(value(&format!("not ({a})")), !value(a), "{a}");
        assert_eq!(value(&format!("not (not ({a}))")), value(a), "{a}");
        for b in atoms {
            assert_eq!(
                value(&format!("{a} and {b}")),
                value(a) && value(b),
                "{a} and {b}"
            );
            assert_eq!(
                value(&format!("{a} or {b}")),
                value(a) || value(b),
                "{a} or {b}"
            );
            assert_eq!(
                value(&format!("not ({a} and {b})")),
                !(value(a) && value(b)),
                "not ({a} and {b})"
            );
            assert_eq!(
                value(&format!("not ({a} or {b})")),
                !(value(a) || value(b)),
                "not ({a} or {b})"
            );
        }
    }
}

#[test]
fn matches_element_serves_patch_value_filters() {
    let schemas = Schemas::user();
    let path = parse_path(r#"emails[type eq "work" and value ew "@example.com"]"#).unwrap();
    let filter = path.filter.as_ref().unwrap();
    let emails = bjensen()["emails"].as_array().unwrap().clone();
    let hits: Vec<bool> = emails
        .iter()
        .map(|e| matches_element(&path.attr, filter, e, &schemas).unwrap())
        .collect();
    assert_eq!(hits, [true, false]);
    let err = matches_element(&path.attr, &pr("bogus"), &emails[0], &schemas).unwrap_err();
    assert!(matches!(
        err.kind(),
        crate::ErrorKind::UnknownAttribute { .. }
    ));
    let group_path = parse_path(r#"members[value eq "2819c223"]"#).unwrap();
    assert!(
        matches_element(
            &group_path.attr,
            group_path.filter.as_ref().unwrap(),
            &json!({"value": "2819c223", "display": "Babs"}),
            &Schemas::group()
        )
        .unwrap()
    );
}

#[test]
fn custom_resolvers_plug_in() {
    /// A resolver that knows a single attribute.
    struct OnlyColour(AttributeDef);
    impl crate::AttributeResolver for OnlyColour {
        fn resolve(
            &self,
            schema: Option<&str>,
            name: &str,
        ) -> Option<crate::ResolvedAttribute<'_>> {
            (schema.is_none() && name.eq_ignore_ascii_case("colour")).then_some(
                crate::ResolvedAttribute {
                    extension: None,
                    attribute: &self.0,
                },
            )
        }
    }
    let resolver = OnlyColour(AttributeDef::new("colour", AttributeType::String));
    let f = parse(r#"colour eq "RED""#).unwrap();
    assert!(matches(&f, &json!({"colour": "red"}), &resolver).unwrap());
    assert!(matches(&f, &json!({"colour": "red"}), &&resolver).unwrap());
    let dyn_resolver: &dyn crate::AttributeResolver = &resolver;
    assert!(matches(&parse("userName pr").unwrap(), &json!({}), dyn_resolver).is_err());
    // The built-in schemas resolve as documented.
    let user = Schemas::user();
    assert_eq!(user.base().id, builtin::user().id);
    assert_eq!(user.extensions().len(), 1);
    let resolved = crate::AttributeResolver::resolve_path(&user, &ap("emails.value")).unwrap();
    assert_eq!(resolved.extension, None);
    assert_eq!(resolved.attribute.name, "emails");
    assert_eq!(resolved.target().name, "value");
}
