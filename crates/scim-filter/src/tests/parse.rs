//! Parser tests: the RFC 7644 examples, identity-provider forms, precedence,
//! case-insensitivity, literals and escapes, PATCH paths, canonical printing.

use super::*;
use crate::CompareOp::{Co, Eq, Ew, Ge, Gt, Le, Lt, Ne, Sw};
use crate::{Path, Schemas, parse, parse_path, validate, validate_path};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// Parses `input`, checks the AST, the canonical form, that the canonical
/// form parses back to the same AST, and that the filter is valid for users.
fn check(input: &str, want: &Filter, canonical: &str) {
    let got = parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
    assert_eq!(&got, want, "{input}");
    assert_eq!(got.to_string(), canonical, "{input}");
    assert_eq!(&parse(canonical).unwrap(), want, "{canonical}");
    validate(&got, &Schemas::user()).unwrap_or_else(|e| panic!("{input}: {e}"));
}

#[test]
fn parses_every_example_of_rfc7644_section_3_4_2_2() {
    let mail = || {
        or(
            cmp("emails", Co, s("example.com")),
            cmp("emails.value", Co, s("example.org")),
        )
    };
    let work_mail = || {
        and(
            cmp("type", Eq, s("work")),
            cmp("value", Co, s("@example.com")),
        )
    };
    let cases: Vec<(&str, Filter, &str)> = vec![
        (
            r#"userName Eq "john""#,
            cmp("userName", Eq, s("john")),
            r#"userName eq "john""#,
        ),
        (
            r#"userName eq "bjensen""#,
            cmp("userName", Eq, s("bjensen")),
            r#"userName eq "bjensen""#,
        ),
        (
            r#"name.familyName co "O'Malley""#,
            cmp("name.familyName", Co, s("O'Malley")),
            r#"name.familyName co "O'Malley""#,
        ),
        (
            r#"userName sw "J""#,
            cmp("userName", Sw, s("J")),
            r#"userName sw "J""#,
        ),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            cmp(&format!("{CORE_USER}:userName"), Sw, s("J")),
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
        ),
        ("title pr", pr("title"), "title pr"),
        (
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            cmp("meta.lastModified", Gt, s("2011-05-13T04:42:34Z")),
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
        ),
        (
            r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
            cmp("meta.lastModified", Ge, s("2011-05-13T04:42:34Z")),
            r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
        ),
        (
            r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
            cmp("meta.lastModified", Lt, s("2011-05-13T04:42:34Z")),
            r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
        ),
        (
            r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
            cmp("meta.lastModified", Le, s("2011-05-13T04:42:34Z")),
            r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
        ),
        (
            r#"title pr and userType eq "Employee""#,
            and(pr("title"), cmp("userType", Eq, s("Employee"))),
            r#"title pr and userType eq "Employee""#,
        ),
        (
            r#"title pr or userType eq "Intern""#,
            or(pr("title"), cmp("userType", Eq, s("Intern"))),
            r#"title pr or userType eq "Intern""#,
        ),
        (
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            cmp("schemas", Eq, s(ENTERPRISE)),
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
        ),
        (
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            and(cmp("userType", Eq, s("Employee")), mail()),
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
        ),
        (
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            and(cmp("userType", Ne, s("Employee")), not(mail())),
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
        ),
        (
            r#"userType eq "Employee" and (emails.type eq "work")"#,
            and(
                cmp("userType", Eq, s("Employee")),
                cmp("emails.type", Eq, s("work")),
            ),
            r#"userType eq "Employee" and emails.type eq "work""#,
        ),
        (
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
            and(
                cmp("userType", Eq, s("Employee")),
                vp("emails", work_mail()),
            ),
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
        ),
        (
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
            or(
                vp("emails", work_mail()),
                vp(
                    "ims",
                    and(cmp("type", Eq, s("xmpp")), cmp("value", Co, s("@foo.com"))),
                ),
            ),
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        ),
    ];
    for (input, want, canonical) in &cases {
        check(input, want, canonical);
    }
}

#[test]
fn parses_what_identity_providers_send() {
    let cases: Vec<(&str, Filter, &str)> = vec![
        // Okta: user lookup before create.
        (
            r#"userName eq "a@b.com""#,
            cmp("userName", Eq, s("a@b.com")),
            r#"userName eq "a@b.com""#,
        ),
        // Entra ID: matching on externalId, and on a work e-mail.
        (
            r#"externalId eq "0a21f0f2-8d2a-4f8e-bf98-7a2b0c2a5f11""#,
            cmp("externalId", Eq, s("0a21f0f2-8d2a-4f8e-bf98-7a2b0c2a5f11")),
            r#"externalId eq "0a21f0f2-8d2a-4f8e-bf98-7a2b0c2a5f11""#,
        ),
        (
            r#"emails[type eq "work"].value eq "x@y.com""#,
            vp(
                "emails",
                and(cmp("type", Eq, s("work")), cmp("value", Eq, s("x@y.com"))),
            ),
            r#"emails[type eq "work" and value eq "x@y.com"]"#,
        ),
        (
            r#"emails[type eq "work" or type eq "home"].value pr"#,
            vp(
                "emails",
                and(
                    or(cmp("type", Eq, s("work")), cmp("type", Eq, s("home"))),
                    pr("value"),
                ),
            ),
            r#"emails[(type eq "work" or type eq "home") and value pr]"#,
        ),
        // Groups: lookup by name, membership check.
        (
            r#"displayName eq "Sales""#,
            cmp("displayName", Eq, s("Sales")),
            r#"displayName eq "Sales""#,
        ),
        (
            r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#,
            vp(
                "members",
                cmp("value", Eq, s("2819c223-7f76-453a-919d-413861904646")),
            ),
            r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#,
        ),
        // Enterprise extension attributes.
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
            cmp(&format!("{ENTERPRISE}:employeeNumber"), Eq, s("701984")),
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
        ),
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915""#,
            cmp(&format!("{ENTERPRISE}:manager.value"), Eq, s("26118915")),
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915""#,
        ),
        (
            "active eq true and x509Certificates pr",
            and(
                cmp("active", Eq, CompValue::Bool(true)),
                pr("x509Certificates"),
            ),
            "active eq true and x509Certificates pr",
        ),
        (
            r#"groups[$ref pr]"#,
            vp("groups", pr("$ref")),
            r#"groups[$ref pr]"#,
        ),
    ];
    for (input, want, canonical) in &cases {
        let got = parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(&got, want, "{input}");
        assert_eq!(got.to_string(), *canonical, "{input}");
        assert_eq!(&parse(canonical).unwrap(), want, "{canonical}");
        let schemas = if input.contains("members") || input.contains("Sales") {
            Schemas::group()
        } else {
            Schemas::user()
        };
        validate(&got, &schemas).unwrap_or_else(|e| panic!("{input}: {e}"));
    }
}

#[test]
fn precedence_is_not_then_and_then_or() {
    let (a, b, c, d) = (|| pr("a"), || pr("b"), || pr("c"), || pr("d"));
    let cases: Vec<(&str, Filter, &str)> = vec![
        (
            "a pr or b pr and c pr",
            or(a(), and(b(), c())),
            "a pr or b pr and c pr",
        ),
        (
            "a pr and b pr or c pr",
            or(and(a(), b()), c()),
            "a pr and b pr or c pr",
        ),
        (
            "a pr and b pr and c pr",
            and(and(a(), b()), c()),
            "a pr and b pr and c pr",
        ),
        (
            "a pr or b pr or c pr",
            or(or(a(), b()), c()),
            "a pr or b pr or c pr",
        ),
        (
            "a pr and (b pr or c pr)",
            and(a(), or(b(), c())),
            "a pr and (b pr or c pr)",
        ),
        (
            "(a pr or b pr) and c pr",
            and(or(a(), b()), c()),
            "(a pr or b pr) and c pr",
        ),
        (
            "a pr and (b pr and c pr)",
            and(a(), and(b(), c())),
            "a pr and (b pr and c pr)",
        ),
        (
            "a pr or (b pr or c pr)",
            or(a(), or(b(), c())),
            "a pr or (b pr or c pr)",
        ),
        (
            "(a pr and b pr) and c pr",
            and(and(a(), b()), c()),
            "a pr and b pr and c pr",
        ),
        ("((a pr))", a(), "a pr"),
        (
            "not (a pr) and b pr or not (c pr or d pr)",
            or(and(not(a()), b()), not(or(c(), d()))),
            "not (a pr) and b pr or not (c pr or d pr)",
        ),
        (
            "a pr or b pr and c pr or d pr",
            or(or(a(), and(b(), c())), d()),
            "a pr or b pr and c pr or d pr",
        ),
        ("not (not (a pr))", not(not(a())), "not (not (a pr))"),
        ("not(a pr)", not(a()), "not (a pr)"),
        ("NOT(a pr)", not(a()), "not (a pr)"),
        (
            "a pr and not(b pr)",
            and(a(), not(b())),
            "a pr and not (b pr)",
        ),
    ];
    for (input, want, canonical) in &cases {
        let got = parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(&got, want, "{input}");
        assert_eq!(got.to_string(), *canonical, "{input}");
        assert_eq!(&parse(canonical).unwrap(), want, "{canonical}");
    }
}

#[test]
fn keywords_operators_and_literals_are_case_insensitive() {
    let want = or(
        and(
            cmp("userName", Eq, s("x")),
            not(cmp("active", Ne, CompValue::Bool(true))),
        ),
        cmp("title", Eq, CompValue::Null),
    );
    for input in [
        r#"userName eq "x" and not (active ne true) or title eq null"#,
        r#"userName EQ "x" AND NOT (active NE TRUE) OR title EQ NULL"#,
        r#"userName Eq "x" And Not(active nE True) oR title eQ Null"#,
    ] {
        assert_eq!(parse(input).unwrap(), want, "{input}");
    }
    for op in CompareOp::ALL {
        let upper = format!("a {} 1", op.as_str().to_uppercase());
        assert_eq!(parse(&upper).unwrap(), cmp("a", op, n("1")), "{upper}");
    }
    // Attribute names keep their case in the AST; resolution ignores it.
    assert_eq!(parse("USERNAME pr").unwrap(), pr("USERNAME"));
    assert_eq!(parse("title PR").unwrap(), pr("title"));
    assert_eq!(
        parse("a eq FALSE").unwrap(),
        cmp("a", Eq, CompValue::Bool(false))
    );
    let schema_upper = format!("{}:userName pr", CORE_USER.to_uppercase());
    validate(&parse(&schema_upper).unwrap(), &Schemas::user()).unwrap();
}

#[test]
fn whitespace_is_tolerated_around_tokens() {
    let want = and(
        cmp("a", Eq, s("x")),
        vp("emails", cmp("type", Eq, s("work"))),
    );
    for input in [
        r#"a eq "x" and emails[type eq "work"]"#,
        r#"  a   eq   "x"   and   emails[ type  eq  "work" ]  "#,
        "a\teq\t\"x\"\r\nand\nemails[type eq \"work\"]",
        r#"(a eq "x")and(emails[type eq "work"])"#,
    ] {
        assert_eq!(parse(input).unwrap(), want, "{input:?}");
    }
    // A keyword must not run into a name: these are attribute names.
    assert_eq!(parse("andy pr").unwrap(), pr("andy"));
    assert_eq!(parse("or pr").unwrap(), pr("or"));
    assert_eq!(parse("not eq 1").unwrap(), cmp("not", Eq, n("1")));
    assert_eq!(parse("pr pr").unwrap(), pr("pr"));
    assert_eq!(parse("eq eq 1").unwrap(), cmp("eq", Eq, n("1")));
    assert_eq!(parse("a pr and andx pr").unwrap(), and(pr("a"), pr("andx")));
    for glued in [
        "userNameeq \"x\"",
        "a eqx \"x\"",
        "a pr andb pr",
        "a eq truex",
        "a eq 1and b pr",
        "a eq nullx",
        "emails [type eq \"work\"]",
        "emails[type eq \"work\"] .value eq \"x\"",
        "emails[type eq \"work\"]. value eq \"x\"",
        "name . familyName pr",
    ] {
        assert!(parse(glued).is_err(), "{glued} should not parse");
    }
}

#[test]
fn attribute_names_follow_the_abnf() {
    for ok in [
        "a", "a1", "a-b", "a_b", "A-1_b", "$ref", "$REF", "x.$ref", "a.b-c_1",
    ] {
        assert_eq!(parse(&format!("{ok} pr")).unwrap(), pr(ok), "{ok}");
    }
    for bad in [
        "1a", "-a", "_a", "a.1b", "a.b.c", "$refx", "é", "a..b", ".a", "a.",
    ] {
        assert!(
            parse(&format!("{bad} pr")).is_err(),
            "{bad} should not parse"
        );
    }
}

#[test]
fn schema_prefixes_split_at_the_last_colon() {
    let cases = [
        (
            format!("{CORE_USER}:userName"),
            Some(CORE_USER),
            "userName",
            None,
        ),
        (
            format!("{CORE_USER}:name.familyName"),
            Some(CORE_USER),
            "name",
            Some("familyName"),
        ),
        (
            format!("{ENTERPRISE}:manager"),
            Some(ENTERPRISE),
            "manager",
            None,
        ),
        (
            format!("{ENTERPRISE}:manager.value"),
            Some(ENTERPRISE),
            "manager",
            Some("value"),
        ),
        (
            format!("{ENTERPRISE}:manager.$ref"),
            Some(ENTERPRISE),
            "manager",
            Some("$ref"),
        ),
        (
            "urn:acme:ext:1.0:badge".to_owned(),
            Some("urn:acme:ext:1.0"),
            "badge",
            None,
        ),
        ("URN:x:y".to_owned(), Some("URN:x"), "y", None),
    ];
    for (text, schema, name, sub) in cases {
        let got = parse(&format!("{text} pr")).unwrap();
        let Filter::Present(path) = got else {
            panic!("{text}")
        };
        assert_eq!(path.schema.as_deref(), schema, "{text}");
        assert_eq!(path.name, name, "{text}");
        assert_eq!(path.sub_attr.as_deref(), sub, "{text}");
        assert_eq!(path.to_string(), text);
    }
    for bad in [
        "urn:userName pr",
        "urn: pr",
        "urn:a:1b pr",
        "urn:a::b pr",
        "foo:bar pr",
    ] {
        assert!(parse(bad).is_err(), "{bad} should not parse");
    }
}

#[test]
fn numbers_keep_their_lexical_form() {
    for text in [
        "0", "-0", "42", "-42", "3.14", "1e10", "1E+10", "2.5e-3", "1e999999", "0.10",
    ] {
        let f = parse(&format!("a eq {text}")).unwrap();
        assert_eq!(f, cmp("a", Eq, n(text)), "{text}");
        assert_eq!(f.to_string(), format!("a eq {text}"));
    }
    for bad in [
        "01", "1.", ".5", "+1", "1e", "--1", "1.2.3", "0x1F", "1_000", "Infinity", "NaN",
    ] {
        assert!(
            parse(&format!("a eq {bad}")).is_err(),
            "{bad} should not parse"
        );
    }
}

#[test]
fn strings_decode_every_json_escape() {
    let cases = [
        (r#""plain""#, "plain"),
        (r#""""#, ""),
        (
            r#""quote \" backslash \\ slash \/ /""#,
            "quote \" backslash \\ slash / /",
        ),
        (r#""\b\f\n\r\t""#, "\u{8}\u{c}\n\r\t"),
        (r#""\u0041\u00e9\u20AC""#, "Aé€"),
        (r#""\u0000""#, "\0"),
        (r#""\ud83d\ude00 \uD834\uDD1E""#, "😀 𝄞"),
        (
            r#""raw unicode: Ünïcödé 日本 😀""#,
            "raw unicode: Ünïcödé 日本 😀",
        ),
        (
            r#""O'Malley (and) [brackets]""#,
            "O'Malley (and) [brackets]",
        ),
    ];
    for (literal, decoded) in cases {
        let f = parse(&format!("a eq {literal}")).unwrap();
        assert_eq!(f, cmp("a", Eq, s(decoded)), "{literal}");
        assert_eq!(parse(&f.to_string()).unwrap(), f, "{literal}");
    }
}

#[test]
fn display_re_escapes_strings() {
    let cases = [
        ("say \"hi\"", r#"a eq "say \"hi\"""#),
        ("back\\slash", r#"a eq "back\\slash""#),
        (
            "line\nfeed\ttab\rcr\u{8}\u{c}",
            r#"a eq "line\nfeed\ttab\rcr\b\f""#,
        ),
        ("\0\u{1f}\u{7f}", "a eq \"\\u0000\\u001f\u{7f}\""),
        ("/ é 😀", r#"a eq "/ é 😀""#),
    ];
    for (value, printed) in cases {
        let f = cmp("a", Eq, s(value));
        let text = f.to_string();
        assert_eq!(text, printed);
        assert_eq!(parse(&text).unwrap(), f);
    }
}

#[test]
fn display_parenthesises_only_where_needed() {
    let f = or(
        and(pr("a"), or(pr("b"), pr("c"))),
        not(and(pr("d"), pr("e"))),
    );
    assert_eq!(
        f.to_string(),
        "a pr and (b pr or c pr) or not (d pr and e pr)"
    );
    let right_nested = or(pr("a"), or(pr("b"), and(pr("c"), and(pr("d"), pr("e")))));
    assert_eq!(
        right_nested.to_string(),
        "a pr or (b pr or c pr and (d pr and e pr))"
    );
    assert_eq!(parse(&right_nested.to_string()).unwrap(), right_nested);
}

#[test]
fn parses_patch_paths() {
    let path = |attr: &str, filter: Option<Filter>, sub: Option<&str>| Path {
        attr: ap(attr),
        filter,
        sub_attr: sub.map(str::to_owned),
    };
    let cases = [
        ("userName", path("userName", None, None), "userName"),
        (
            "name.familyName",
            path("name.familyName", None, None),
            "name.familyName",
        ),
        (
            r#"members[value eq "2819c223"]"#,
            path("members", Some(cmp("value", Eq, s("2819c223"))), None),
            r#"members[value eq "2819c223"]"#,
        ),
        (
            r#"emails[type eq "work"].value"#,
            path("emails", Some(cmp("type", Eq, s("work"))), Some("value")),
            r#"emails[type eq "work"].value"#,
        ),
        (
            r#"addresses[type eq "work" and not (primary eq false)].streetAddress"#,
            path(
                "addresses",
                Some(and(
                    cmp("type", Eq, s("work")),
                    not(cmp("primary", Eq, CompValue::Bool(false))),
                )),
                Some("streetAddress"),
            ),
            r#"addresses[type eq "work" and not (primary eq false)].streetAddress"#,
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            path(&format!("{ENTERPRISE}:manager"), None, None),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            path(&format!("{ENTERPRISE}:manager.value"), None, None),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            path(&format!("{ENTERPRISE}:employeeNumber"), None, None),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
        ),
        (" MEMBERS ", path("MEMBERS", None, None), "MEMBERS"),
    ];
    for (input, want, canonical) in cases {
        let got = parse_path(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(got, want, "{input}");
        assert_eq!(got.to_string(), canonical);
        assert_eq!(parse_path(canonical).unwrap(), want);
        let schemas = if input.to_lowercase().contains("members") {
            Schemas::group()
        } else {
            Schemas::user()
        };
        validate_path(&got, &schemas).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(input.parse::<Path>().unwrap(), want);
    }
    // A whole extension reads as attribute `User` of a shorter URN.
    let whole = parse_path(ENTERPRISE).unwrap();
    assert_eq!(whole.attr.as_schema_urn().as_deref(), Some(ENTERPRISE));
    assert_eq!(
        parse_path("name.givenName").unwrap().attr.as_schema_urn(),
        None
    );
    for bad in [
        "",
        "emails[",
        "emails[]",
        "emails[type eq \"work\"",
        "emails[type eq \"work\"].",
        "emails[type eq \"work\"].value.x",
        "emails[type eq \"work\"].value eq \"x\"",
        "userName eq \"x\"",
        "title pr",
        "name.familyName.x",
        "a b",
        "emails[type eq \"work\"][value pr]",
    ] {
        assert!(
            parse_path(bad).is_err(),
            "{bad:?} should not parse as a path"
        );
    }
}

#[test]
fn value_filters_cannot_nest() {
    let err = parse(r#"emails[type eq "work" and x[y pr]]"#).unwrap_err();
    assert_eq!(err.offset(), Some(26));
    assert!(err.to_string().contains("cannot nest"), "{err}");
    assert!(parse_path("a[b[c pr]]").is_err());
    assert!(parse("a[b pr] and c[d pr]").is_ok());
}

#[test]
fn from_str_is_parse() {
    let f: Filter = r#"userName eq "x""#.parse().unwrap();
    assert_eq!(f, cmp("userName", Eq, s("x")));
    assert!("userName eq".parse::<Filter>().is_err());
    assert_eq!(CompareOp::from_keyword("EW"), Some(Ew));
    assert_eq!(CompareOp::from_keyword("xx"), None);
}

#[test]
fn long_and_chains_build_without_recursion_trouble() {
    // The longest `and` chain within the default length limit.
    let unit = "a pr and ";
    let count = (crate::Limits::DEFAULT.max_length - 4) / unit.len();
    let text = format!("{}a pr", unit.repeat(count));
    assert!(text.len() <= crate::Limits::DEFAULT.max_length);
    let f = parse(&text).unwrap();
    let mut depth = 0;
    let mut node = &f;
    while let Filter::And(l, r) = node {
        assert_eq!(**r, pr("a"));
        depth += 1;
        node = l;
    }
    assert_eq!(depth, count);
    assert_eq!(f.to_string(), text);
    assert!(
        crate::matches(
            &f,
            &serde_json::json!({"a": 1}),
            &Schemas::new(
                scim_schema::SchemaDef {
                    id: "urn:t".into(),
                    name: String::new(),
                    description: String::new(),
                    attributes: vec![scim_schema::AttributeDef::new(
                        "a",
                        scim_schema::AttributeType::Integer
                    )],
                },
                [],
            )
        )
        .unwrap()
    );
    let cloned = f.clone();
    assert_eq!(cloned, f);
    drop(cloned);
    drop(f);
}

#[test]
fn the_operator_limit_bounds_chains_and_the_longest_chain_is_safe() {
    // Within 64 KiB, a chain can have ~5000 operators: the default
    // `max_operators` refuses it, before the AST gets too deep for the
    // derived (recursive) Clone, Debug, PartialEq and Drop.
    let limits = crate::Limits::default().with_max_length(64 * 1024);
    let unit = r#"a eq "x" or "#;
    let long = format!(
        r#"{}a eq "y""#,
        unit.repeat((limits.max_length - 8) / unit.len())
    );
    let err = crate::parse_with(&long, &limits).unwrap_err();
    assert_eq!(
        *err.kind(),
        crate::ErrorKind::TooManyOperators { max: 1000 }
    );

    // The deepest AST the limits allow: 1000 operators, inside 64 levels of
    // parentheses. Every traversal, derived or not, copes with it.
    let chain = format!(r#"{}a eq "y""#, unit.repeat(limits.max_operators));
    let text = format!("{}{chain}{}", "(".repeat(64), ")".repeat(64));
    let f = crate::parse_with(&text, &limits).unwrap();
    assert_eq!(f.to_string(), chain);
    let copy = f.clone();
    assert_eq!(copy, f);
    assert!(format!("{copy:?}").len() > chain.len());
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(&copy, &mut hasher);
    drop(copy);
    let schemas = Schemas::new(
        scim_schema::SchemaDef {
            id: "urn:t".into(),
            name: String::new(),
            description: String::new(),
            attributes: vec![scim_schema::AttributeDef::new(
                "a",
                scim_schema::AttributeType::String,
            )],
        },
        [],
    );
    assert!(crate::matches(&f, &serde_json::json!({"a": "y"}), &schemas).unwrap());
    assert!(!crate::matches(&f, &serde_json::json!({"a": "z"}), &schemas).unwrap());
    let fewer = limits.with_max_operators(limits.max_operators - 1);
    assert!(crate::parse_with(&text, &fewer).is_err());
}

#[test]
fn the_deepest_filter_allowed_fits_half_a_thread_stack() {
    // 64 levels: `not (`, plain parentheses and a value path, parsed,
    // printed, validated, evaluated and dropped on a 1 MiB stack (half of
    // Rust's and Tokio's default 2 MiB), in a debug build too. (Debug pest
    // uses about 7 KiB per level: 64 levels fit in 512 KiB, 80 do not.)
    let text = format!(
        "{}{}emails[type eq \"work\"]{}{}",
        "not (".repeat(32),
        "(".repeat(31),
        ")".repeat(31),
        ")".repeat(32)
    );
    let worker = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(move || {
            let f = parse(&text).unwrap();
            let printed = f.to_string();
            assert_eq!(parse(&printed).unwrap(), f);
            let user = serde_json::json!({"emails": [{"type": "work"}]});
            let matched = crate::matches(&f, &user, &Schemas::user()).unwrap();
            drop(f);
            matched
        })
        .unwrap();
    // An even number of `not`s.
    assert!(worker.join().unwrap());
}
