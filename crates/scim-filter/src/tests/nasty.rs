//! The corpus of nasty inputs in `test_data/nasty.txt`: every input gives a
//! filter or an error, never a panic, and the deep or long ones give the
//! `TooDeep`/`TooLong` errors.

use serde_json::json;

use crate::{ErrorKind, Schemas, matches, parse, parse_path};

const CORPUS: &str = include_str!("../../test_data/nasty.txt");

/// Expands the `%{...}` macros of the corpus.
fn expand(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find("%{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').expect("unclosed %{ macro");
        let body = &after[..end];
        match body {
            "NUL" => out.push('\0'),
            "LF" => out.push('\n'),
            "CR" => out.push('\r'),
            "TAB" => out.push('\t'),
            "BOM" => out.push('\u{feff}'),
            "DEL" => out.push('\u{7f}'),
            _ => {
                let (count, text) = body.split_once('*').expect("%{N*text}");
                out.push_str(&text.repeat(count.parse().expect("repeat count")));
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn macros_expand() {
    assert_eq!(expand("a%{3*(}b%{NUL}%{2*x y}"), "a(((b\0x yx y");
}

#[test]
fn nasty_inputs_are_handled() {
    let user = json!({
        "userName": "bjensen",
        "emails": [{"type": "work", "value": "b@example.com"}],
        "a": "x"
    });
    let schemas = Schemas::user();
    let mut count = 0;
    for (number, line) in CORPUS.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        count += 1;
        let (expect, raw) = line.split_once(' ').expect("`<expect> <input>`");
        let input = expand(raw);
        let at = format!("nasty.txt:{}: {raw}", number + 1);
        let result = parse(&input);
        match (expect, &result) {
            ("ok", Ok(f)) => {
                assert_eq!(parse(&f.to_string()).as_ref(), Ok(f), "{at}");
                // Evaluation may fail (unknown attributes) but not panic.
                let _ = matches(f, &user, &schemas);
            }
            ("syntax", Err(e)) => {
                let ErrorKind::Syntax { offset, .. } = e.kind() else {
                    panic!("{at}: expected a syntax error, got {e}")
                };
                assert!(*offset <= input.len(), "{at}: offset {offset}");
            }
            ("too_long", Err(e)) => {
                assert!(matches!(e.kind(), ErrorKind::TooLong { .. }), "{at}: {e}")
            }
            ("too_deep", Err(e)) => {
                assert!(matches!(e.kind(), ErrorKind::TooDeep { .. }), "{at}: {e}")
            }
            ("error", Err(_)) => {}
            _ => panic!("{at}: expected {expect}, got {result:?}"),
        }
        if let Ok(path) = parse_path(&input) {
            assert_eq!(parse_path(&path.to_string()).as_ref(), Ok(&path), "{at}");
        }
    }
    assert!(count > 100, "only {count} inputs");
}
