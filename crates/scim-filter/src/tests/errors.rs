//! Error tests: one or more per error class, with offsets, messages and
//! the SCIM `scimType` each maps to.

use scim_schema::ScimType;
use serde_json::json;

use super::*;
use crate::{
    ErrorKind, Limits, Schemas, matches, matches_element, parse, parse_path, parse_path_with,
    parse_with, validate, validate_path,
};

#[test]
fn syntax_errors_say_where_and_what_was_expected() {
    let op = "comparison operator or `pr`";
    let value = "value (string, number, true, false or null)";
    let start = "attribute path, `(` or `not`";
    let escape = r#"a valid escape (\" \\ \/ \b \f \n \r \t or \uXXXX)"#;
    let cases = [
        ("", 0, start),
        ("   ", 3, start),
        ("userName", 8, op),
        (r#"userName "bjensen""#, 9, op),
        ("userName eq", 11, value),
        ("userName eq tru", 12, value),
        ("userName eq 01", 12, value),
        (r#"userName eq "x"#, 14, "closing `\"`"),
        (r#"userName eq "x" and"#, 19, start),
        (r#"userName eq "x" oops"#, 16, "`and`, `or` or end of input"),
        ("(userName pr", 12, "`)`, `and` or `or`"),
        ("userName pr)", 11, "`and`, `or` or end of input"),
        ("not (a pr", 9, "`)`, `and` or `or`"),
        (
            r#"emails[type eq "work""#,
            21,
            "`].subAttribute`, `]`, `and` or `or`",
        ),
        (r#"emails[type eq "work"].value"#, 28, op),
        ("emails[]", 7, start),
        ("1 eq 2", 0, start),
        ("a eq \"x\" and (b pr or)", 21, start),
        (r#"a eq "\x""#, 6, escape),
        (r#"a eq "ok \u12G4""#, 9, escape),
        (
            r#"a eq "\ud800""#,
            6,
            "a low surrogate `\\uDC00`-`\\uDFFF` after a high surrogate",
        ),
        (
            r#"a eq "x\ud800\u0041""#,
            7,
            "a low surrogate `\\uDC00`-`\\uDFFF` after a high surrogate",
        ),
        (
            r#"a eq "\udc00""#,
            6,
            "a high surrogate before a low surrogate",
        ),
        (
            "a eq \"tab\there\"",
            9,
            "no raw control character in a string (escape it)",
        ),
        ("a eq \"x\"\0", 8, "`and`, `or` or end of input"),
        (
            r#"a[b[c pr]]"#,
            2,
            "a sub-attribute filter (value paths cannot nest)",
        ),
    ];
    for (input, offset, expected) in cases {
        let err = parse(input).expect_err(input);
        assert_eq!(
            *err.kind(),
            ErrorKind::Syntax {
                offset,
                expected: expected.to_owned()
            },
            "{input:?}: {err}"
        );
        assert_eq!(err.offset(), Some(offset));
        assert_eq!(
            err.to_string(),
            format!("expected {expected} at byte {offset}")
        );
        assert_eq!(err.scim_type(), ScimType::InvalidFilter);
    }
}

#[test]
fn path_syntax_errors_map_to_invalid_path() {
    for (input, offset) in [
        ("", 0),
        ("emails[", 7),
        ("a b", 2),
        (r#"emails[type eq "work"]."#, 23),
        ("a.", 2),
        (r#"userName eq "x""#, 9),
    ] {
        let err = parse_path(input).expect_err(input);
        assert_eq!(err.offset(), Some(offset), "{input:?}: {err}");
        assert_eq!(err.scim_type(), ScimType::InvalidPath);
    }
}

#[test]
fn unknown_attributes_are_not_syntax_errors() {
    let user = Schemas::user();
    for (filter, path) in [
        ("foo eq 1", "foo"),
        ("name.foo pr", "name.foo"),
        ("userName.foo pr", "userName.foo"),
        (r#"emails[foo eq "x"]"#, "emails.foo"),
        (r#"emails[type eq "work"].foo eq "x""#, "emails.foo"),
        (r#"emails[value.x eq "x"]"#, "emails.value.x"),
        ("urn:acme:User:userName pr", "urn:acme:User:userName"),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName pr",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName",
        ),
        ("title pr and (nickName pr or bogus pr)", "bogus"),
        ("not (members pr)", "members"),
    ] {
        let parsed = parse(filter).unwrap();
        let err = validate(&parsed, &user).expect_err(filter);
        assert_eq!(
            *err.kind(),
            ErrorKind::UnknownAttribute {
                path: path.to_owned()
            },
            "{filter}"
        );
        assert_eq!(err.scim_type(), ScimType::InvalidFilter);
        assert_eq!(err.to_string(), format!("unknown attribute `{path}`"));
        // `matches` refuses it too, whatever the resource holds.
        assert_eq!(matches(&parsed, &json!({"foo": 1}), &user), Err(err));
    }
}

#[test]
fn operators_that_do_not_apply_to_the_type_are_invalid() {
    let user = Schemas::user();
    for (filter, op) in [
        (r#"active co "t""#, CompareOp::Co),
        ("active gt true", CompareOp::Gt),
        (r#"emails.primary sw "t""#, CompareOp::Sw),
        (r#"x509Certificates.value gt "AAAA""#, CompareOp::Gt),
        (r#"x509Certificates co "AAAA""#, CompareOp::Co),
        (r#"meta.lastModified co "2011""#, CompareOp::Co),
        (r#"meta.created ew "Z""#, CompareOp::Ew),
        (r#"name eq "Jensen""#, CompareOp::Eq),
        ("userName gt null", CompareOp::Gt),
        ("title co null", CompareOp::Co),
    ] {
        let err = validate(&parse(filter).unwrap(), &user).expect_err(filter);
        let ErrorKind::InvalidOperator { op: got, .. } = err.kind() else {
            panic!("{filter}: {err}")
        };
        assert_eq!(*got, op, "{filter}");
        assert_eq!(err.scim_type(), ScimType::InvalidFilter);
    }
    let err = validate(&parse("active co \"t\"").unwrap(), &user).unwrap_err();
    assert_eq!(
        err.to_string(),
        "operator `co` cannot be applied to `active`: booleans support only `eq` and `ne`"
    );
}

#[test]
fn values_of_the_wrong_type_are_mismatches() {
    let user = Schemas::user();
    for (filter, path) in [
        (r#"active eq "true""#, "active"),
        ("userName eq 1", "userName"),
        ("userName eq true", "userName"),
        ("emails.primary eq 1", "emails.primary"),
        (r#"meta.lastModified gt "yesterday""#, "meta.lastModified"),
        ("meta.lastModified gt 1305261754", "meta.lastModified"),
        (r#"meta.created eq "2011-02-30T00:00:00Z""#, "meta.created"),
        ("userName[value pr]", "userName"),
        ("emails co 42", "emails"),
    ] {
        let err = validate(&parse(filter).unwrap(), &user).expect_err(filter);
        let ErrorKind::TypeMismatch { path: got, .. } = err.kind() else {
            panic!("{filter}: {err}")
        };
        assert_eq!(got, path, "{filter}");
        assert_eq!(err.scim_type(), ScimType::InvalidFilter);
    }
    let err = validate(&parse(r#"active eq "true""#).unwrap(), &user).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`active` must be compared with `true` or `false`"
    );
}

#[test]
fn valid_filters_pass_validation() {
    let user = Schemas::user();
    for filter in [
        "title eq null",
        "active ne null",
        "name eq null",
        "emails pr",
        "emails eq null",
        r#"meta.lastModified ge "2011-05-13T04:42:34.5+02:00""#,
        r#"x509Certificates.value eq "AAAA""#,
        "emails.primary eq true",
        r#"emails co "example.com""#,
        r#"groups.$ref sw "https://""#,
        r#"employeeNumber eq "1""#,
        r#"urn:ietf:params:scim:schemas:core:2.0:User:id eq "1""#,
        r#"schemas eq "urn:ietf:params:scim:schemas:core:2.0:User""#,
        r#"addresses[type eq "work" and not (primary eq false)]"#,
    ] {
        validate(&parse(filter).unwrap(), &user).unwrap_or_else(|e| panic!("{filter}: {e}"));
    }
}

#[test]
fn path_validation_errors_map_to_invalid_path() {
    let user = Schemas::user();
    for (path, kind) in [
        ("foo", "unknown"),
        ("name.foo", "unknown"),
        (r#"emails[foo eq "x"]"#, "unknown"),
        (r#"emails[type eq "work"].foo"#, "unknown"),
        (r#"userName[value eq "x"]"#, "type"),
        (r#"emails[primary co "x"]"#, "operator"),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "unknown",
        ),
    ] {
        let err = validate_path(&parse_path(path).unwrap(), &user).expect_err(path);
        match (kind, err.kind()) {
            ("unknown", ErrorKind::UnknownAttribute { .. })
            | ("type", ErrorKind::TypeMismatch { .. })
            | ("operator", ErrorKind::InvalidOperator { .. }) => {}
            _ => panic!("{path}: {err}"),
        }
        assert_eq!(err.scim_type(), ScimType::InvalidPath, "{path}");
    }
}

#[test]
fn nested_value_paths_built_by_hand_are_rejected() {
    let user = Schemas::user();
    let nested = vp("emails", vp("type", pr("value")));
    let err = validate(&nested, &user).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::TypeMismatch { .. }),
        "{err}"
    );
    let emails = ap("emails");
    let err = matches_element(&emails, &vp("type", pr("x")), &json!({}), &user).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::TypeMismatch { .. }),
        "{err}"
    );
    let err = matches_element(&ap("userName"), &pr("value"), &json!({}), &user).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::TypeMismatch { .. }),
        "{err}"
    );
}

#[test]
fn length_is_bounded_before_parsing() {
    let long = format!("userName eq \"{}\"", "x".repeat(5000));
    let err = parse(&long).unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::TooLong {
            length: long.len(),
            max: 4096
        }
    );
    assert_eq!(err.scim_type(), ScimType::InvalidFilter);
    assert_eq!(
        err.to_string(),
        format!("input is {} bytes long, the limit is 4096", long.len())
    );
    let err = parse_path(&"a".repeat(4097)).unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::TooLong {
            length: 4097,
            max: 4096
        }
    ));
    assert_eq!(err.scim_type(), ScimType::InvalidPath);
    // Exactly at the limit is fine; a raised limit admits more.
    let at_limit = format!("userName eq \"{}\"", "x".repeat(4096 - 14));
    assert_eq!(at_limit.len(), 4096);
    assert!(parse(&at_limit).is_ok());
    assert!(parse_with(&long, &Limits::default().with_max_length(8192)).is_ok());
    assert!(matches!(
        parse_with("a pr or b pr", &Limits::default().with_max_length(5))
            .unwrap_err()
            .kind(),
        ErrorKind::TooLong { length: 12, max: 5 }
    ));
}

#[test]
fn nesting_is_bounded_before_parsing() {
    let nest = |n: usize| format!("{}a pr{}", "(".repeat(n), ")".repeat(n));
    assert!(parse(&nest(64)).is_ok());
    let err = parse(&nest(65)).unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::TooDeep { depth: 65, max: 64 });
    assert_eq!(
        err.to_string(),
        "input nests 65 levels deep, the limit is 64"
    );
    assert_eq!(err.scim_type(), ScimType::InvalidFilter);
    // `not (`, value-path brackets and unbalanced openers all count.
    let nots = format!("{}a pr{}", "not (".repeat(65), ")".repeat(65));
    assert!(matches!(
        parse(&nots).unwrap_err().kind(),
        ErrorKind::TooDeep { depth: 65, .. }
    ));
    let mixed = format!("{}emails[type pr]{}", "not (".repeat(64), ")".repeat(64));
    assert!(matches!(
        parse(&mixed).unwrap_err().kind(),
        ErrorKind::TooDeep { depth: 65, .. }
    ));
    assert!(matches!(
        parse(&"(".repeat(1000)).unwrap_err().kind(),
        ErrorKind::TooDeep { depth: 1000, .. }
    ));
    assert!(matches!(
        parse_path(&"a[".repeat(100)).unwrap_err().kind(),
        ErrorKind::TooDeep { .. }
    ));
    // Brackets inside strings do not count.
    let quoted = format!("a eq \"{}\"", "([".repeat(500));
    assert_eq!(
        parse(&quoted).unwrap(),
        cmp("a", CompareOp::Eq, s(&"([".repeat(500)))
    );
    let escaped = format!("a eq \"\\\"{}\"", "(".repeat(100));
    assert!(parse(&escaped).is_ok());
    let limits = Limits::default().with_max_depth(0);
    assert!(parse_with("a pr", &limits).is_ok());
    assert!(parse_with("(a pr)", &limits).is_err());
}

#[test]
fn operators_are_bounded_while_building() {
    let limits = Limits::default().with_max_operators(2);
    assert!(parse_with("a pr and b pr or c pr", &limits).is_ok());
    let err = parse_with("a pr and b pr or c pr and d pr", &limits).unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::TooManyOperators { max: 2 });
    assert_eq!(
        err.to_string(),
        "input has more than 2 `and`/`or` operators"
    );
    // Entra's `attr[filter].sub op value` adds an `and`.
    assert!(
        parse_with(
            r#"emails[type eq "work" and primary eq true].value pr"#,
            &limits
        )
        .is_ok()
    );
    let limits = limits.with_max_operators(1);
    assert!(
        parse_with(
            r#"emails[type eq "work" and primary eq true].value pr"#,
            &limits
        )
        .is_err()
    );
    assert!(parse_path_with(r#"emails[a pr and b pr or c pr]"#, &limits).is_err());
}
