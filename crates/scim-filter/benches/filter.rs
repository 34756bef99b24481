//! Criterion benchmarks: parsing a typical identity-provider filter and a
//! complex one, printing, validating, and evaluating against a user.
//!
//! Run with `cargo bench -p scim-filter`.
// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use scim_filter::{Schemas, matches, parse, validate};
use serde_json::json;

const SIMPLE: &str = r#"userName eq "bjensen@example.com""#;
const ENTRA: &str = r#"emails[type eq "work"].value eq "bjensen@example.com""#;
const COMPLEX: &str = r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org") or emails[type eq "work" and value co "@example.com"] and meta.lastModified ge "2011-05-13T04:42:34Z" and urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915""#;

fn user() -> serde_json::Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "userName": "bjensen@example.com",
        "name": {"familyName": "Jensen", "givenName": "Barbara"},
        "userType": "Employee",
        "title": "Tour Guide",
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "meta": {"created": "2010-01-23T04:56:22Z", "lastModified": "2011-05-13T04:42:34Z"},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984",
            "manager": {"value": "26118915"}
        }
    })
}

fn bench(c: &mut Criterion) {
    let schemas = Schemas::user();
    let user = user();
    let simple = parse(SIMPLE).expect("simple filter parses");
    let complex = parse(COMPLEX).expect("complex filter parses");

    c.bench_function("parse/simple", |b| b.iter(|| parse(black_box(SIMPLE))));
    c.bench_function("parse/entra", |b| b.iter(|| parse(black_box(ENTRA))));
    c.bench_function("parse/complex", |b| b.iter(|| parse(black_box(COMPLEX))));
    c.bench_function("display/complex", |b| {
        b.iter(|| black_box(&complex).to_string())
    });
    c.bench_function("validate/complex", |b| {
        b.iter(|| validate(black_box(&complex), &schemas))
    });
    c.bench_function("matches/simple", |b| {
        b.iter(|| matches(black_box(&simple), black_box(&user), &schemas))
    });
    c.bench_function("matches/complex", |b| {
        b.iter(|| matches(black_box(&complex), black_box(&user), &schemas))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
