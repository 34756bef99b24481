//! Criterion benchmarks: a 10-operation Microsoft Entra ID style PATCH on a
//! typical user, against the cost of parsing its paths alone and of reading
//! the request body; and adding one member to a large group, as a document
//! change and as a membership delta.
//!
//! Run with `cargo bench -p scim-patch -- --warm-up-time 1 --measurement-time 3`.
// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use scim_patch::{Options, apply};
use scim_schema::{PatchOp, ResourceType};
use serde_json::{Value, json};

const ENTRA_PATCH: &str = r#"{
  "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
  "Operations": [
    {"op": "Replace", "path": "active", "value": "False"},
    {"op": "Replace", "path": "displayName", "value": "Barbara Jensen"},
    {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "barbara@example.com"},
    {"op": "Replace", "path": "name.givenName", "value": "Barbara"},
    {"op": "Replace", "path": "name.familyName", "value": "Jensen-Smith"},
    {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "26118915-6090-4610-87e4-49d8ca9f808d"},
    {"op": "Replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1 Microsoft Way"},
    {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Sales"},
    {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "555-0101"},
    {"op": "Replace", "path": "title", "value": "Senior Guide"}
  ]
}"#;

fn user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "701984",
        "userName": "bjensen@example.com",
        "name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara"},
        "displayName": "Babs Jensen",
        "title": "Tour Guide",
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
        "addresses": [
            {"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood",
             "region": "CA", "postalCode": "91608", "country": "USA", "primary": true},
            {"type": "home", "streetAddress": "456 Hollywood Blvd", "locality": "Hollywood",
             "region": "CA", "postalCode": "91608", "country": "USA"}
        ],
        "meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z",
                 "lastModified": "2011-05-13T04:42:34Z", "version": "W/\"3694e05e9dff591\""},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984",
            "department": "Tour Operations",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}
        }
    })
}

fn group(members: usize) -> Value {
    let members: Vec<Value> = (0..members)
        .map(|i| json!({"value": format!("user-{i:06}"), "type": "User"}))
        .collect();
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
        "displayName": "Everyone",
        "members": members
    })
}

fn bench(c: &mut Criterion) {
    let users = ResourceType::user();
    let groups = ResourceType::group();
    let user = user();
    let patch: PatchOp = serde_json::from_str(ENTRA_PATCH).expect("the benchmark PATCH parses");
    let paths: Vec<String> = patch
        .operations
        .iter()
        .filter_map(|op| op.path.clone())
        .collect();
    let options = Options::new();
    let patched = apply(&users, &user, &patch, &options)
        .expect("the benchmark PATCH applies")
        .resource;

    c.bench_function("entra10/deserialize", |b| {
        b.iter(|| serde_json::from_str::<PatchOp>(black_box(ENTRA_PATCH)))
    });
    c.bench_function("entra10/parse_paths", |b| {
        b.iter(|| {
            for path in &paths {
                let _ = black_box(scim_filter::parse_path(black_box(path)));
            }
        })
    });
    c.bench_function("entra10/apply", |b| {
        b.iter(|| apply(&users, black_box(&user), black_box(&patch), &options))
    });
    c.bench_function("entra10/apply_no_change", |b| {
        b.iter(|| apply(&users, black_box(&patched), black_box(&patch), &options))
    });

    let add_member: PatchOp = serde_json::from_value(json!({"Operations": [
        {"op": "add", "path": "members", "value": [{"value": "new-user"}]}
    ]}))
    .expect("the member PATCH parses");
    let big = group(10_000);
    let small = group(0);
    c.bench_function("add_member/document_10000_members", |b| {
        b.iter(|| apply(&groups, black_box(&big), black_box(&add_member), &options))
    });
    let extract = Options::new().with_extract_members(true);
    c.bench_function("add_member/delta", |b| {
        b.iter(|| apply(&groups, black_box(&small), black_box(&add_member), &extract))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
