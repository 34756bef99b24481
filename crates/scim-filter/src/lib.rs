//! The SCIM 2.0 filter and attribute path language (RFC 7644 §3.4.2.2 and
//! §3.5.2): a parser, a typed AST with a canonical printer, schema-aware
//! validation and an in-memory evaluator.
//!
//! The crate does no IO and has no global state; it is usable on its own by
//! anyone who needs a SCIM filter parser.
//!
//! # Parsing and printing
//!
//! [`parse`] reads a `filter` parameter into a [`Filter`]; [`parse_path`]
//! reads a PATCH `path` into a [`Path`]. Both enforce [`Limits`] (length,
//! nesting, operator count) before and while parsing, and report syntax
//! errors with a byte offset and what was expected there. `Display` prints
//! the canonical form, which parses back to an equal AST.
//!
//! ```
//! use scim_filter::{parse, Filter};
//!
//! let filter = parse(r#"userType EQ "Employee" AND (emails CO "example.com" Or emails.value co "example.org")"#)?;
//! assert!(matches!(filter, Filter::And(..)));
//! assert_eq!(
//!     filter.to_string(),
//!     r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#
//! );
//! assert_eq!(parse(&filter.to_string())?, filter);
//!
//! let err = parse("userName eq").unwrap_err();
//! assert_eq!(err.to_string(), "expected value (string, number, true, false or null) at byte 11");
//! # Ok::<(), scim_filter::Error>(())
//! ```
//!
//! # Validating and evaluating
//!
//! [`validate`] checks a filter against the schemas of a resource type
//! ([`Schemas`], or your own [`AttributeResolver`]): unknown attributes
//! ([`ErrorKind::UnknownAttribute`]), operators that do not apply
//! ([`ErrorKind::InvalidOperator`]) and values of the wrong type
//! ([`ErrorKind::TypeMismatch`]) are reported apart from syntax errors; all
//! map to `scimType` `invalidFilter` through [`Error::scim_type`].
//! [`matches()`] decides whether a JSON resource matches, honouring
//! `caseExact`, `dateTime`, numbers and multi-valued attributes.
//!
//! ```
//! use scim_filter::{matches, parse, Schemas};
//! use serde_json::json;
//!
//! let schemas = Schemas::user();
//! let user = json!({
//!     "userName": "bjensen",
//!     "meta": {"lastModified": "2011-05-13T06:42:34+02:00"},
//!     "emails": [{"type": "work", "value": "bjensen@example.com"}]
//! });
//! let filter = parse(r#"meta.lastModified ge "2011-05-13T04:42:34Z" and emails[type eq "work"]"#)?;
//! assert!(matches(&filter, &user, &schemas)?);
//! # Ok::<(), scim_filter::Error>(())
//! ```
//!
//! # Walking the AST, e.g. to translate it to SQL
//!
//! The AST is made of plain enums and structs with public fields: match on
//! [`Filter`] and recurse. `and`/`or` chains are left-deep binary trees, so
//! a recursive walk goes as deep as the longest chain; [`Limits`] bounds it
//! (nesting ≤ `max_depth`, chains ≤ `max_operators`). Use
//! [`AttributeResolver::resolve_path`] to learn each path's type,
//! `caseExact` and multi-valuedness, and [`Number::cmp_value`] or
//! [`Number::as_str`] for numbers.
//!
//! ```
//! use scim_filter::{parse, AttrPath, CompValue, CompareOp, Filter};
//!
//! /// Translates filters over a `users(user_name, title, active)` table.
//! fn to_sql(filter: &Filter, params: &mut Vec<String>) -> Result<String, String> {
//!     Ok(match filter {
//!         Filter::And(l, r) => format!("({} AND {})", to_sql(l, params)?, to_sql(r, params)?),
//!         Filter::Or(l, r) => format!("({} OR {})", to_sql(l, params)?, to_sql(r, params)?),
//!         Filter::Not(inner) => format!("NOT ({})", to_sql(inner, params)?),
//!         Filter::Present(path) => format!("{} IS NOT NULL", column(path)?),
//!         Filter::Compare { path, op, value } => {
//!             let column = column(path)?;
//!             let (sql_op, param) = match (op, value) {
//!                 (_, CompValue::Null) => return Err("null comparisons not shown".into()),
//!                 (CompareOp::Eq, CompValue::Bool(b)) => return Ok(format!("{column} = {b}")),
//!                 (CompareOp::Eq, CompValue::String(s)) => ("=", s.to_lowercase()),
//!                 (CompareOp::Sw, CompValue::String(s)) => ("LIKE", format!("{}%", s.to_lowercase())),
//!                 (op, value) => return Err(format!("`{op} {value}` not supported")),
//!             };
//!             params.push(param);
//!             format!("LOWER({column}) {sql_op} ${}", params.len())
//!         }
//!         Filter::ValuePath { attr, .. } => return Err(format!("no table for `{attr}`")),
//!     })
//! }
//!
//! fn column(path: &AttrPath) -> Result<&'static str, String> {
//!     match (path.name.to_ascii_lowercase().as_str(), &path.sub_attr) {
//!         ("username", None) => Ok("user_name"),
//!         ("title", None) => Ok("title"),
//!         ("active", None) => Ok("active"),
//!         _ => Err(format!("unknown attribute `{path}`")),
//!     }
//! }
//!
//! let mut params = Vec::new();
//! let filter = parse(r#"userName sw "J" and (title pr or not (active eq true))"#).unwrap();
//! assert_eq!(
//!     to_sql(&filter, &mut params).unwrap(),
//!     "(LOWER(user_name) LIKE $1 AND (title IS NOT NULL OR NOT (active = true)))"
//! );
//! assert_eq!(params, ["j%"]);
//! ```
//!
//! # Identity-provider forms beyond the RFC
//!
//! - Microsoft Entra ID's `emails[type eq "work"].value eq "x@y.com"` (a
//!   value path followed by a sub-attribute comparison) parses as the
//!   equivalent `emails[type eq "work" and value eq "x@y.com"]`.
//! - `not(...)` without a space, keywords, operators, `true`/`false`/`null`
//!   and attribute names in any case; any amount of whitespace between
//!   tokens.
#![deny(missing_docs)]

mod ast;
mod error;
mod eval;
mod number;
mod parser;

pub use ast::{AttrPath, CompValue, CompareOp, Filter, Path};
pub use error::{Error, ErrorKind};
pub use eval::{
    AttributeResolver, ResolvedAttribute, ResolvedPath, Schemas, matches, matches_element,
    validate, validate_path,
};
pub use number::{InvalidNumber, Number};
pub use parser::{Limits, parse, parse_path, parse_path_with, parse_with};

impl std::str::FromStr for Filter {
    type Err = Error;

    /// Same as [`parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

impl std::str::FromStr for Path {
    type Err = Error;

    /// Same as [`parse_path`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_path(s)
    }
}

/// The examples of `README.md`, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(test)]
mod tests;
