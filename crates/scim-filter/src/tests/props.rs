//! Property tests: random ASTs print and parse back to themselves, random
//! token soups never panic, and evaluation agrees with a deliberately naive
//! reference evaluator on random resources.

use proptest::prelude::*;
use scim_schema::{AttributeDef, AttributeType, SchemaDef};
use serde_json::{Map, Value, json};

use super::*;
use crate::{Number, Path, Schemas, matches, parse, parse_path};

// ---------------------------------------------------------------------------
// Round trip of random ASTs.

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        9 => "[a-zA-Z][a-zA-Z0-9_-]{0,6}",
        1 => Just("$ref".to_owned()),
        1 => prop::sample::select(vec!["and", "or", "not", "pr", "eq", "true", "null", "urn"])
            .prop_map(str::to_owned),
    ]
}

fn attr_path() -> impl Strategy<Value = AttrPath> {
    let schema = prop::option::weighted(
        0.2,
        prop::sample::select(vec![
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "urn:x:y-1.2",
            "URN:A:b",
        ])
        .prop_map(str::to_owned),
    );
    (schema, name(), prop::option::weighted(0.3, name())).prop_map(|(schema, name, sub_attr)| {
        AttrPath {
            schema,
            name,
            sub_attr,
        }
    })
}

fn number() -> impl Strategy<Value = Number> {
    "-?(0|[1-9][0-9]{0,12})(\\.[0-9]{1,6})?([eE][+-]?[0-9]{1,4})?"
        .prop_map(|text| text.parse().expect("the regex only makes JSON numbers"))
}

fn comp_value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        Just(CompValue::Null),
        any::<bool>().prop_map(CompValue::Bool),
        number().prop_map(CompValue::Number),
        prop::collection::vec(any::<char>(), 0..8)
            .prop_map(|c| CompValue::String(c.into_iter().collect())),
    ]
}

fn compare_op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(CompareOp::ALL.to_vec())
}

fn connect(
    inner: impl Strategy<Value = Filter> + Clone + 'static,
) -> impl Strategy<Value = Filter> {
    prop_oneof![
        (inner.clone(), inner.clone()).prop_map(|(l, r)| and(l, r)),
        (inner.clone(), inner.clone()).prop_map(|(l, r)| or(l, r)),
        inner.prop_map(not),
    ]
}

/// Filters without value paths: what may appear inside `[...]`.
fn value_filter() -> impl Strategy<Value = Filter> {
    let leaf =
        prop_oneof![
            (attr_path(), compare_op(), comp_value())
                .prop_map(|(path, op, value)| Filter::Compare { path, op, value }),
            attr_path().prop_map(Filter::Present),
        ];
    leaf.prop_recursive(4, 16, 2, connect)
}

fn filter() -> impl Strategy<Value = Filter> {
    let leaf = prop_oneof![
        3 => (attr_path(), compare_op(), comp_value())
            .prop_map(|(path, op, value)| Filter::Compare { path, op, value }),
        1 => attr_path().prop_map(Filter::Present),
        1 => (attr_path(), value_filter()).prop_map(|(attr, f)| Filter::ValuePath {
            attr,
            filter: Box::new(f),
        }),
    ];
    leaf.prop_recursive(5, 32, 2, connect)
}

fn path() -> impl Strategy<Value = Path> {
    prop_oneof![
        attr_path().prop_map(|attr| Path {
            attr,
            filter: None,
            sub_attr: None,
        }),
        (attr_path(), value_filter(), prop::option::of(name())).prop_map(|(attr, f, sub_attr)| {
            Path {
                attr,
                filter: Some(f),
                sub_attr,
            }
        }),
    ]
}

/// Pieces of filter syntax, valid and not, glued at random.
fn token_soup() -> impl Strategy<Value = String> {
    let tokens = vec![
        "a",
        "emails",
        "value",
        "type",
        "urn:x:y:",
        ".",
        "[",
        "]",
        "(",
        ")",
        "not",
        "and",
        "or",
        "eq",
        "co",
        "gt",
        "pr",
        "\"x\"",
        "\"\\u00e9\"",
        "\"\\ud800\"",
        "1",
        "-2.5e3",
        "true",
        "null",
        " ",
        " ",
        " ",
        "\"",
        "\\",
        "$ref",
        "é",
        "\0",
    ];
    prop::collection::vec(prop::sample::select(tokens), 0..24).prop_map(|t| t.concat())
}

proptest! {
    #[test]
    fn random_filters_print_and_parse_back(f in filter()) {
        let text = f.to_string();
        prop_assert_eq!(parse(&text), Ok(f), "{}", text);
    }

    #[test]
    fn random_paths_print_and_parse_back(p in path()) {
        let text = p.to_string();
        prop_assert_eq!(parse_path(&text), Ok(p), "{}", text);
    }

    #[test]
    fn token_soups_parse_or_fail_cleanly(text in token_soup()) {
        match parse(&text) {
            Ok(f) => prop_assert_eq!(parse(&f.to_string()), Ok(f)),
            Err(e) => {
                if let Some(offset) = e.offset() {
                    prop_assert!(offset <= text.len());
                }
            }
        }
        match parse_path(&text) {
            Ok(p) => prop_assert_eq!(parse_path(&p.to_string()), Ok(p)),
            Err(e) => prop_assert!(e.offset().is_none_or(|o| o <= text.len())),
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        if let Ok(f) = parse(&text) {
            prop_assert_eq!(parse(&f.to_string()), Ok(f));
        }
        if let Ok(p) = parse_path(&text) {
            prop_assert_eq!(parse_path(&p.to_string()), Ok(p));
        }
    }
}

// ---------------------------------------------------------------------------
// Evaluation against a reference.

/// The schema of the random resources: one attribute per kind of
/// comparison.
fn test_schemas() -> Schemas {
    let a = |name: &str, ty| AttributeDef::new(name, ty);
    let mut c = a("c", AttributeType::String);
    c.case_exact = true;
    let mut t = a("t", AttributeType::String);
    t.multi_valued = true;
    let mut m = a("m", AttributeType::Complex);
    m.multi_valued = true;
    m.sub_attributes = vec![
        a("value", AttributeType::String),
        a("type", AttributeType::String),
        a("primary", AttributeType::Boolean),
    ];
    let mut n = a("n", AttributeType::Complex);
    n.sub_attributes = vec![
        a("given", AttributeType::String),
        a("family", AttributeType::String),
    ];
    Schemas::new(
        SchemaDef {
            id: "urn:test:R".into(),
            name: "R".into(),
            description: String::new(),
            attributes: vec![
                a("s", AttributeType::String),
                c,
                t,
                a("i", AttributeType::Integer),
                a("b", AttributeType::Boolean),
                a("d", AttributeType::DateTime),
                m,
                n,
            ],
        },
        [],
    )
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![3 => "[aAbB]{0,3}", 1 => "[aAéÉ]{1,2}"]
}

/// `2020-01-01THH:MM:00` with an offset, always on that day.
fn date_time() -> impl Strategy<Value = String> {
    (0..4u32, -2..=2i32).prop_map(|(minute, offset)| {
        let hour = 10 + offset;
        let zone = match offset {
            0 => "Z".to_owned(),
            o if o > 0 => format!("+{o:02}:00"),
            o => format!("-{:02}:00", -o),
        };
        format!("2020-01-01T{hour:02}:{minute:02}:00{zone}")
    })
}

/// A member that may be absent (`None`), `null`, or a value.
fn member(value: impl Strategy<Value = Value> + 'static) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(Value::Null)),
        5 => value.prop_map(Some),
    ]
}

fn element() -> impl Strategy<Value = Value> {
    (
        member(text().prop_map(Value::from)),
        member(prop::sample::select(vec!["work", "home", "Work"]).prop_map(Value::from)),
        member(any::<bool>().prop_map(Value::from)),
    )
        .prop_map(|(value, ty, primary)| {
            object([("value", value), ("type", ty), ("primary", primary)])
        })
}

fn object<const N: usize>(members: [(&str, Option<Value>); N]) -> Value {
    let mut map = Map::new();
    for (k, v) in members {
        if let Some(v) = v {
            map.insert(k.to_owned(), v);
        }
    }
    Value::Object(map)
}

fn resource() -> impl Strategy<Value = Value> {
    (
        (
            member(prop_oneof![4 => text().prop_map(Value::from), 1 => Just(json!(5))]),
            member(text().prop_map(Value::from)),
            member(
                prop::collection::vec(
                    prop_oneof![4 => text().prop_map(Value::from), 1 => Just(Value::Null)],
                    0..4,
                )
                .prop_map(Value::from),
            ),
            member((-3..=3i64).prop_map(Value::from)),
        ),
        (
            member(any::<bool>().prop_map(Value::from)),
            member(date_time().prop_map(Value::from)),
            member(prop::collection::vec(element(), 0..4).prop_map(Value::from)),
            member(
                (
                    member(text().prop_map(Value::from)),
                    member(text().prop_map(Value::from)),
                )
                    .prop_map(|(g, f)| object([("given", g), ("family", f)])),
            ),
        ),
        any::<bool>(),
    )
        .prop_map(|((s, c, t, i), (b, d, m, n), shout)| {
            // Resource member names are matched case-insensitively.
            let s_key = if shout { "S" } else { "s" };
            object([
                (s_key, s),
                ("c", c),
                ("t", t),
                ("i", i),
                ("b", b),
                ("d", d),
                ("m", m),
                ("n", n),
            ])
        })
}

fn string_literal() -> impl Strategy<Value = CompValue> {
    text().prop_map(CompValue::String)
}

fn ordering_op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(vec![
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Gt,
        CompareOp::Ge,
        CompareOp::Lt,
        CompareOp::Le,
    ])
}

fn bool_op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(vec![CompareOp::Eq, CompareOp::Ne])
}

/// Leaves over the string attributes `strings` and boolean attributes
/// `bools`, with type-correct literals.
fn leaf_at(strings: Vec<&'static str>, bools: Vec<&'static str>) -> BoxedStrategy<Filter> {
    let mut all = strings.clone();
    all.extend(bools.iter().copied());
    let mut options: Vec<(u32, BoxedStrategy<Filter>)> = vec![
        (
            4,
            (
                prop::sample::select(strings),
                compare_op(),
                string_literal(),
            )
                .prop_map(|(p, op, value)| Filter::Compare {
                    path: ap(p),
                    op,
                    value,
                })
                .boxed(),
        ),
        (
            1,
            (prop::sample::select(all.clone()), bool_op())
                .prop_map(|(p, op)| cmp(p, op, CompValue::Null))
                .boxed(),
        ),
        (1, prop::sample::select(all).prop_map(pr).boxed()),
    ];
    if !bools.is_empty() {
        options.push((
            1,
            (prop::sample::select(bools), bool_op(), any::<bool>())
                .prop_map(|(p, op, b)| cmp(p, op, CompValue::Bool(b)))
                .boxed(),
        ));
    }
    proptest::strategy::Union::new_weighted(options).boxed()
}

/// Type-correct filters over [`test_schemas`].
fn typed_filter() -> impl Strategy<Value = Filter> {
    typed_leaf().prop_recursive(3, 8, 2, connect)
}

/// Type-correct comparisons, `pr` and value paths over [`test_schemas`].
fn typed_leaf() -> impl Strategy<Value = Filter> {
    let int_literal = prop_oneof![
        (-4..=4i64).prop_map(|v| n(&v.to_string())),
        prop::sample::select(vec!["1.0", "1.5", "-2e0", "0.5e1", "-0"]).prop_map(n),
    ];
    let top = leaf_at(
        vec!["s", "c", "t", "m", "m.value", "m.type", "n.given"],
        vec!["b", "m.primary"],
    );
    prop_oneof![
        6 => top,
        1 => (ordering_op(), int_literal).prop_map(|(op, value)| Filter::Compare { path: ap("i"), op, value }),
        1 => (ordering_op(), date_time()).prop_map(|(op, d)| Filter::Compare { path: ap("d"), op, value: s(&d) }),
        1 => prop::sample::select(vec!["i", "d", "n", "m"]).prop_map(pr),
        1 => prop::sample::select(vec!["i", "d", "n"]).prop_map(|p| cmp(p, CompareOp::Eq, CompValue::Null)),
        1 => leaf_at(vec!["value", "type"], vec!["primary"])
            .prop_recursive(2, 6, 2, connect)
            .prop_map(|f| vp("m", f)),
        1 => leaf_at(vec!["given", "family"], vec![])
            .prop_recursive(1, 4, 2, connect)
            .prop_map(|f| vp("n", f)),
    ]
}

/// The reference evaluator: as plain as possible, sharing no code with the
/// evaluator under test.
mod reference {
    use serde_json::Value;

    use crate::{AttrPath, CompValue, CompareOp, Filter};

    pub(super) fn eval(f: &Filter, resource: &Value) -> bool {
        match f {
            Filter::And(l, r) => eval(l, resource) && eval(r, resource),
            Filter::Or(l, r) => eval(l, resource) || eval(r, resource),
            Filter::Not(x) => !eval(x, resource),
            Filter::Present(p) => values(resource, p).iter().any(non_empty),
            Filter::Compare { path, op, value } => compare(resource, path, *op, value),
            Filter::ValuePath { attr, filter } => {
                let elements = values(resource, attr);
                elements.iter().any(|e| eval(filter, e))
            }
        }
    }

    /// The non-null values at `path` (names are lowercase ASCII here).
    fn values(resource: &Value, path: &AttrPath) -> Vec<Value> {
        let mut out = Vec::new();
        for top in flatten(member(resource, &path.name)) {
            match &path.sub_attr {
                None => out.push(top),
                Some(sub) => out.extend(flatten(member(&top, sub))),
            }
        }
        out
    }

    fn member(v: &Value, name: &str) -> Value {
        let Value::Object(map) = v else {
            return Value::Null;
        };
        for (k, v) in map {
            if k.to_lowercase() == name.to_lowercase() {
                return v.clone();
            }
        }
        Value::Null
    }

    fn flatten(v: Value) -> Vec<Value> {
        match v {
            Value::Null => vec![],
            Value::Array(items) => items.into_iter().filter(|i| !i.is_null()).collect(),
            v => vec![v],
        }
    }

    fn non_empty(v: &Value) -> bool {
        match v {
            Value::Null => false,
            Value::String(s) => !s.is_empty(),
            Value::Array(a) => a.iter().any(non_empty),
            Value::Object(o) => o.values().any(non_empty),
            _ => true,
        }
    }

    fn compare(resource: &Value, path: &AttrPath, op: CompareOp, lit: &CompValue) -> bool {
        let mut vals = values(resource, path);
        if *lit == CompValue::Null {
            return (op == CompareOp::Eq) == vals.is_empty();
        }
        // `m` compares through `m.value`.
        if path.name == "m" && path.sub_attr.is_none() {
            vals = vals
                .iter()
                .flat_map(|v| flatten(member(v, "value")))
                .collect();
        }
        let kind = match (path.name.as_str(), path.sub_attr.as_deref()) {
            ("c", _) => "exact",
            ("i", _) => "number",
            ("b", _) | ("primary", _) | ("m", Some("primary")) => "bool",
            ("d", _) => "date",
            _ => "text",
        };
        vals.iter().any(|v| match (kind, v, lit) {
            ("exact", Value::String(a), CompValue::String(b)) => text_op(a, b, op),
            ("text", Value::String(a), CompValue::String(b)) => {
                text_op(&a.to_lowercase(), &b.to_lowercase(), op)
            }
            ("bool", Value::Bool(a), CompValue::Bool(b)) => match op {
                CompareOp::Eq => a == b,
                CompareOp::Ne => a != b,
                _ => false,
            },
            ("number", Value::Number(a), CompValue::Number(b)) => {
                let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
                order_op(a.partial_cmp(&b).unwrap(), op)
            }
            ("date", Value::String(a), CompValue::String(b)) => {
                order_op(minutes(a).cmp(&minutes(b)), op)
            }
            _ => false,
        })
    }

    fn text_op(a: &str, b: &str, op: CompareOp) -> bool {
        match op {
            CompareOp::Co => a.contains(b),
            CompareOp::Sw => a.starts_with(b),
            CompareOp::Ew => a.ends_with(b),
            _ => order_op(a.cmp(b), op),
        }
    }

    fn order_op(o: std::cmp::Ordering, op: CompareOp) -> bool {
        use std::cmp::Ordering::*;
        match op {
            CompareOp::Eq => o == Equal,
            CompareOp::Ne => o != Equal,
            CompareOp::Gt => o == Greater,
            CompareOp::Ge => o == Greater || o == Equal,
            CompareOp::Lt => o == Less,
            CompareOp::Le => o == Less || o == Equal,
            _ => false,
        }
    }

    /// Minutes since midnight UTC of `2020-01-01THH:MM:00(Z|±HH:00)`.
    fn minutes(s: &str) -> i64 {
        let hour: i64 = s[11..13].parse().unwrap();
        let minute: i64 = s[14..16].parse().unwrap();
        let offset: i64 = match &s[19..] {
            "Z" => 0,
            zone => {
                let h: i64 = zone[1..3].parse().unwrap();
                if zone.starts_with('-') { -h } else { h }
            }
        };
        (hour - offset) * 60 + minute
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn leaves_agree_with_the_reference(f in typed_leaf(), resource in resource()) {
        let schemas = test_schemas();
        let got = matches(&f, &resource, &schemas);
        prop_assert_eq!(got, Ok(reference::eval(&f, &resource)), "{} on {}", f, resource);
    }

    #[test]
    fn evaluation_agrees_with_the_reference(f in typed_filter(), resource in resource()) {
        let schemas = test_schemas();
        let got = matches(&f, &resource, &schemas);
        prop_assert_eq!(got, Ok(reference::eval(&f, &resource)), "{} on {}", f, resource);
    }
}

#[test]
fn the_reference_generators_cover_both_outcomes() {
    // Guard against a generator that only ever yields non-matching pairs.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut yes, mut no) = (0, 0);
    for _ in 0..300 {
        let f = typed_filter().new_tree(&mut runner).unwrap().current();
        let r = resource().new_tree(&mut runner).unwrap().current();
        if reference::eval(&f, &r) {
            yes += 1
        } else {
            no += 1
        }
    }
    assert!(yes > 30 && no > 30, "{yes} matches, {no} misses");
}
