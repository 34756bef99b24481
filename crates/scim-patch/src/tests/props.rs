//! Property tests: a `replace` at a path is read back at that path; the
//! same `add` twice is the same `add` once; random operation sequences
//! never panic, and whatever succeeds is a valid resource again.

use proptest::prelude::*;
use scim_schema::{Mode, ResourceType, Strictness, urn};
use serde_json::{Map, Value, json};

use super::*;

const EMPLOYEE_NUMBER: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber";
const MANAGER_VALUE: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value";

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 @._-]{0,12}",
        any::<String>().prop_map(|s| s.chars().take(16).collect()),
    ]
}

fn start() -> impl Strategy<Value = Value> {
    prop_oneof![Just(user()), Just(bare_user())]
}

/// The first value of `emails`/`addresses` whose `type` is `ty`.
fn typed<'v>(resource: &'v Value, attr: &str, ty: &str) -> &'v Value {
    resource[attr]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["type"] == ty))
        .unwrap_or(&Value::Null)
}

type Reader = fn(&Value) -> Value;

/// A path, a value to replace it with, and how to read it back.
fn readable() -> impl Strategy<Value = (&'static str, Value, Reader)> {
    let email = (
        "[a-z]{1,6}@[a-z]{1,6}\\.(com|org)",
        prop::sample::select(vec!["work", "home", "other"]),
    );
    prop_oneof![
        text().prop_map(|s| (
            "title",
            json!(s),
            (|r: &Value| r["title"].clone()) as Reader
        )),
        text().prop_map(|s| (
            "NICKNAME",
            json!(s),
            (|r: &Value| r["nickName"].clone()) as Reader
        )),
        text().prop_map(|s| (
            "name.givenName",
            json!(s),
            (|r: &Value| r["name"]["givenName"].clone()) as Reader
        )),
        any::<bool>().prop_map(|b| (
            "active",
            json!(b),
            (|r: &Value| r["active"].clone()) as Reader
        )),
        text().prop_map(|s| (
            EMPLOYEE_NUMBER,
            json!(s),
            (|r: &Value| r[ENTERPRISE]["employeeNumber"].clone()) as Reader
        )),
        text().prop_map(|s| (
            MANAGER_VALUE,
            json!(s),
            (|r: &Value| r[ENTERPRISE]["manager"]["value"].clone()) as Reader
        )),
        text().prop_map(|s| (
            "emails[type eq \"work\"].value",
            json!(s),
            (|r: &Value| typed(r, "emails", "work")["value"].clone()) as Reader
        )),
        text().prop_map(|s| (
            "addresses[type eq \"home\"].locality",
            json!(s),
            (|r: &Value| typed(r, "addresses", "home")["locality"].clone()) as Reader
        )),
        (
            prop::collection::vec(email, 1..4),
            any::<prop::sample::Index>()
        )
            .prop_map(|(emails, primary)| {
                let p = primary.index(emails.len());
                let list: Vec<Value> = emails
                    .into_iter()
                    .enumerate()
                    .map(|(i, (value, ty))| {
                        if i == p {
                            json!({"value": value, "type": ty, "primary": true})
                        } else {
                            json!({"value": value, "type": ty})
                        }
                    })
                    .collect();
                (
                    "emails",
                    Value::Array(list),
                    (|r: &Value| r["emails"].clone()) as Reader,
                )
            }),
    ]
}

/// One `add` operation (a request with that one operation). A sequence
/// of adds is not idempotent in general: a later one may change what an
/// earlier one added.
fn add() -> impl Strategy<Value = Value> {
    let email = (
        "[a-z]{1,4}@(example\\.com|jensen\\.org)",
        prop::option::of(prop::sample::select(vec!["work", "home", "other"])),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(value, ty, primary)| {
            let mut e = Map::new();
            e.insert("value".into(), json!(value));
            if let Some(ty) = ty {
                e.insert("type".into(), json!(ty));
            }
            if let Some(primary) = primary {
                e.insert("primary".into(), json!(primary));
            }
            Value::Object(e)
        });
    let emails = prop::collection::vec(email, 1..4).prop_filter("one primary at most", |list| {
        list.iter().filter(|e| e["primary"] == true).count() <= 1
    });
    let single = prop_oneof![
        text().prop_map(|s| json!({"op": "add", "path": "title", "value": s})),
        text().prop_map(|s| json!({"op": "Add", "path": "name.familyName", "value": s})),
        (text(), text()).prop_map(|(a, b)| json!({"op": "add", "path": "name", "value": {"givenName": a, "middleName": b}})),
        prop_oneof![Just(json!("True")), Just(json!("false")), Just(json!(true))]
            .prop_map(|v| json!({"op": "add", "path": "active", "value": v})),
        emails.clone().prop_map(|list| json!({"op": "add", "path": "emails", "value": list})),
        text().prop_map(|s| json!({"op": "Add", "path": "emails[type eq \"work\"].value", "value": s})),
        text().prop_map(|s| json!({"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": s})),
        text().prop_map(|s| json!({"op": "add", "path": "addresses[type eq \"work\"]", "value": {"locality": s}})),
        text().prop_map(|s| json!({"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": s})),
        (text(), text()).prop_map(|(a, b)| json!({"op": "add", "path": ENTERPRISE, "value": {"department": a, "costCenter": b}})),
        (text(), emails).prop_map(|(s, list)| json!({"op": "add", "value": {"nickName": s, "emails": list, "name.givenName": s}})),
    ];
    single.prop_map(|op| json!([op]))
}

fn op_name() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => prop::sample::select(vec!["add", "Add", "remove", "Remove", "replace", "Replace"]),
        1 => Just("copy"),
    ]
    .prop_map(str::to_owned)
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        prop::sample::select(vec![
            "True",
            "false",
            "work",
            "home",
            "x@example.com",
            "",
            "2011-05-13T04:42:34Z"
        ])
        .prop_map(|s| json!(s)),
        text().prop_map(Value::String),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(vec![
        "value",
        "type",
        "primary",
        "display",
        "givenName",
        "title",
        "active",
        "emails",
        "members",
        "id",
        "name.givenName",
        "schemas",
        "nickName",
        "VALUE",
        ENTERPRISE,
        "employeeNumber",
        "manager",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "$ref",
        "nope",
    ]);
    leaf().prop_recursive(3, 24, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..4).prop_map(|kv| Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

/// An email value, with some of its sub-attributes.
fn email() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec![
            "a@example.com",
            "b@example.com",
            "bjensen@example.com",
            "babs@jensen.org",
        ]),
        prop::option::of(prop::sample::select(vec!["work", "home", "other"])),
        prop::option::of(prop_oneof![
            Just(json!(true)),
            Just(json!(false)),
            Just(json!("True"))
        ]),
    )
        .prop_map(|(value, ty, primary)| {
            let mut e = Map::new();
            e.insert("value".into(), json!(value));
            if let Some(ty) = ty {
                e.insert("type".into(), json!(ty));
            }
            if let Some(primary) = primary {
                e.insert("primary".into(), primary);
            }
            Value::Object(e)
        })
}

/// Paths of a user with values that fit them (or nearly).
fn user_path_value() -> impl Strategy<Value = (Option<String>, Value)> {
    let p = |s: &str| Some(s.to_owned());
    let boolish = || {
        prop_oneof![
            any::<bool>().prop_map(Value::Bool),
            Just(json!("False")),
            Just(json!("TRUE"))
        ]
    };
    let simple = prop::sample::select(vec![
        "title",
        "nickName",
        "displayName",
        "name.givenName",
        "NAME.familyName",
        "userType",
        "emails[type eq \"work\"].value",
        "emails[type eq \"home\"].display",
        "phoneNumbers[type eq \"mobile\"].value",
        "addresses[type eq \"work\"].streetAddress",
        "addresses[type eq \"work\" and country eq \"US\"].locality",
        "emails.display",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        "employeeNumber",
        "externalId",
        "userName",
    ]);
    prop_oneof![
        4 => (simple, text()).prop_map(|(path, s)| (Some(path.to_owned()), json!(s))),
        1 => boolish().prop_map(move |b| (p("active"), b)),
        1 => boolish().prop_map(move |b| (p("emails[type eq \"home\"].primary"), b)),
        2 => prop::collection::vec(email(), 0..3).prop_map(move |l| (p("emails"), Value::Array(l))),
        1 => email().prop_map(move |e| (p("emails"), e)),
        1 => email().prop_map(move |e| (p("emails[type eq \"work\"]"), e)),
        1 => email().prop_map(move |e| (p("emails[value ew \"example.com\"]"), e)),
        1 => (text(), text()).prop_map(move |(a, b)| (p("name"), json!({"givenName": a, "formatted": b}))),
        1 => (text(), text()).prop_map(move |(a, b)| (p(ENTERPRISE), json!({"department": a, "manager": b}))),
        1 => Just((p("id"), json!("2819c223-7f76-453a-919d-413861904646"))),
        2 => (text(), boolish(), prop::collection::vec(email(), 0..2)).prop_map(|(s, b, l)| (None, json!({
            "title": s, "active": b, "emails": l, "name.givenName": s,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": s
        }))),
        1 => text().prop_map(|s| (None, json!({ENTERPRISE: {"costCenter": s}, "id": "2819c223-7f76-453a-919d-413861904646"}))),
    ]
}

/// Paths of a group with values that fit them (or nearly).
fn group_path_value() -> impl Strategy<Value = (Option<String>, Value)> {
    let member = prop::sample::select(vec!["u1", "u2", "2819c223-7f76-453a-919d-413861904646"])
        .prop_map(|id| json!({"value": id, "display": "D", "type": "User"}));
    prop_oneof![
        text().prop_map(|s| (Some("displayName".to_owned()), json!(s))),
        prop::collection::vec(member.clone(), 0..3)
            .prop_map(|l| (Some("members".to_owned()), Value::Array(l))),
        member.clone().prop_map(|m| (Some("members".to_owned()), m)),
        prop::sample::select(vec![
            "members[value eq \"u1\"]",
            "members[value eq \"u1\" or value eq \"2819c223-7f76-453a-919d-413861904646\"]",
            "members[type eq \"User\"]",
        ])
        .prop_map(|path| (Some(path.to_owned()), json!({"value": "u9"}))),
        (text(), prop::collection::vec(member, 0..2)).prop_map(|(s, l)| (
            None,
            json!({
                "displayName": s, "members": l, "id": "e9e30dba-f08f-4109-8486-d5c6a331660a"
            })
        )),
    ]
}

fn random_path() -> impl Strategy<Value = Option<String>> {
    let paths = vec![
        "title",
        "active",
        "userName",
        "name",
        "emails",
        "emails[type eq \"work\" or primary eq true].type",
        "addresses",
        "members",
        "members.value",
        "displayName",
        "id",
        "meta",
        "meta.created",
        "groups",
        "x509Certificates",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName",
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:core:2.0:Group",
        "schemas",
        "foo",
        "emails[",
        "emails[foo eq 1]",
        "name[givenName pr]",
    ];
    prop::option::weighted(0.8, prop::sample::select(paths).prop_map(str::to_owned))
}

/// A random operation: mostly a fitting path and value, sometimes junk.
fn operation(is_group: bool) -> impl Strategy<Value = Value> {
    let fitting = if is_group {
        group_path_value().boxed()
    } else {
        user_path_value().boxed()
    };
    let path_value = prop_oneof![
        3 => fitting.prop_map(|(p, v)| (p, Some(v))),
        1 => (random_path(), prop::option::weighted(0.9, any_json())),
    ];
    (op_name(), path_value).prop_map(|(op, (path, value))| {
        let mut o = Map::new();
        o.insert("op".into(), json!(op));
        if let Some(path) = path {
            o.insert("path".into(), json!(path));
        }
        if let Some(value) = value {
            o.insert("value".into(), value);
        }
        Value::Object(o)
    })
}

fn request() -> impl Strategy<Value = (bool, Vec<Value>)> {
    any::<bool>().prop_flat_map(|is_group| {
        (
            Just(is_group),
            prop::collection::vec(operation(is_group), 1..6),
        )
    })
}

/// What every successful PATCH must leave: a resource that the POST/PUT
/// validation of `scim-schema` accepts unchanged in its attributes, whose
/// keys are canonical, and whose `schemas` lists exactly the extensions
/// present.
fn check_valid(rt: &ResourceType, before: &Value, after: &Value) {
    let before = before.as_object().unwrap();
    let after_map = after.as_object().unwrap();
    for key in after_map.keys() {
        let canonical = key == "schemas"
            || rt.extensions.iter().any(|e| &e.schema.id == key)
            || rt.core_attribute(key).is_some_and(|a| &a.name == key);
        assert!(canonical, "non-canonical key {key} in {after}");
    }
    for ext in &rt.extensions {
        let present = after_map.contains_key(&ext.schema.id);
        let listed = after["schemas"]
            .as_array()
            .is_some_and(|s| s.iter().any(|u| u == &json!(ext.schema.id)));
        assert_eq!(present, listed, "{} in {after}", ext.schema.id);
        if present {
            assert!(
                after[&ext.schema.id]
                    .as_object()
                    .is_some_and(|m| !m.is_empty())
            );
        }
    }
    if let Err(e) = rt.validate(after.clone(), Mode::Replace(before), Strictness::Strict) {
        panic!("{after} is not valid: {e}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn replace_then_read_gives_the_value(resource in start(), (path, value, read) in readable()) {
        let out = ok(&ResourceType::user(), &resource, json!([{"op": "replace", "path": path, "value": value}]), Options::new());
        prop_assert_eq!(read(&out.resource), value);
        check_valid(&ResourceType::user(), &resource, &out.resource);
    }

    #[test]
    fn the_same_add_twice_is_the_same_add_once(resource in start(), ops in add()) {
        let rt = ResourceType::user();
        let Ok(once) = run(&rt, &resource, ops.clone(), Options::new()) else {
            return Ok(());
        };
        check_valid(&rt, &resource, &once.resource);
        let twice = ok(&rt, &once.resource, ops, Options::new());
        prop_assert!(!twice.changed);
        prop_assert_eq!(twice.resource, once.resource);
    }

    #[test]
    fn random_operations_never_panic((is_group, ops) in request(), extract in any::<bool>()) {
        let (rt, resource) = if is_group {
            (ResourceType::group(), group())
        } else {
            (ResourceType::user(), user())
        };
        let options = Options::new().with_extract_members(extract);
        match run(&rt, &resource, Value::Array(ops.clone()), options) {
            Ok(out) => {
                prop_assert_eq!(out.changed, out.resource != resource);
                check_valid(&rt, &resource, &out.resource);
                if !extract {
                    prop_assert!(out.members.is_empty());
                }
            }
            Err(e) => {
                prop_assert!(e.operation_index().is_some_and(|i| i < ops.len()));
                prop_assert!(!e.detail().is_empty());
            }
        }
    }
}

#[test]
fn the_fixtures_are_valid_resources() {
    check_valid(&ResourceType::user(), &user(), &user());
    check_valid(&ResourceType::user(), &bare_user(), &bare_user());
    check_valid(&ResourceType::group(), &group(), &group());
    assert_eq!(user()["schemas"][0], urn::USER);
}
