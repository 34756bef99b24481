//! Unit tests of the crate, with AST-building shorthands shared by the
//! test modules.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod errors;
mod eval;
mod nasty;
mod parse;
mod props;

use crate::{AttrPath, CompValue, CompareOp, Filter};

/// `"name"`, `"name.sub"` or `"urn:…:name[.sub]"` as an [`AttrPath`],
/// split by hand (not by the parser under test).
pub(crate) fn ap(text: &str) -> AttrPath {
    let (schema, rest) = match text.rfind(':') {
        Some(i) => (Some(text[..i].to_owned()), &text[i + 1..]),
        None => (None, text),
    };
    let (name, sub_attr) = match rest.split_once('.') {
        Some((n, s)) => (n.to_owned(), Some(s.to_owned())),
        None => (rest.to_owned(), None),
    };
    AttrPath {
        schema,
        name,
        sub_attr,
    }
}

pub(crate) fn cmp(path: &str, op: CompareOp, value: CompValue) -> Filter {
    Filter::Compare {
        path: ap(path),
        op,
        value,
    }
}

pub(crate) fn s(text: &str) -> CompValue {
    CompValue::String(text.to_owned())
}

pub(crate) fn n(text: &str) -> CompValue {
    CompValue::Number(text.parse().unwrap())
}

pub(crate) fn pr(path: &str) -> Filter {
    Filter::Present(ap(path))
}

pub(crate) fn and(l: Filter, r: Filter) -> Filter {
    Filter::And(Box::new(l), Box::new(r))
}

pub(crate) fn or(l: Filter, r: Filter) -> Filter {
    Filter::Or(Box::new(l), Box::new(r))
}

pub(crate) fn not(f: Filter) -> Filter {
    Filter::Not(Box::new(f))
}

pub(crate) fn vp(attr: &str, filter: Filter) -> Filter {
    Filter::ValuePath {
        attr: ap(attr),
        filter: Box::new(filter),
    }
}
