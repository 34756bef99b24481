//! From text to AST: the limit pre-scan, the pest parse and the AST builder.
//!
//! The pre-scan bounds the input length and its bracket nesting before pest
//! sees it, so pest's recursive descent and the builder below recurse at
//! most `max_depth` levels; `and`/`or` chains are built with loops.

use pest::Parser as _;
use pest::error::InputLocation;
use pest::iterators::Pair;

use crate::ast::{AttrPath, CompValue, CompareOp, Filter, Path};
use crate::error::{Error, ErrorKind, Origin};
use crate::number::Number;

mod grammar {
    //! The parser pest derives from `grammar.pest`.
    #![allow(missing_docs, unreachable_pub)]

    #[derive(pest_derive::Parser)]
    #[grammar = "grammar.pest"]
    pub(crate) struct FilterParser;
}

use grammar::{FilterParser, Rule};

/// Bounds on the input of the parser.
///
/// The defaults suit the `filter` query parameter and PATCH paths; every
/// bound is checked before or while parsing, without global state.
///
/// ```
/// let limits = scim_filter::Limits::default().with_max_depth(2);
/// assert!(scim_filter::parse_with("((a pr))", &limits).is_ok());
/// assert!(scim_filter::parse_with("(((a pr)))", &limits).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Maximum input length in bytes. Default 4096.
    pub max_length: usize,
    /// Maximum nesting of parentheses (including those of `not (...)`) and
    /// value-path brackets. Default 64. Parsing recurses once per level, with
    /// about 7 KiB of stack per level in a debug build (less in release), so
    /// the default fits a quarter of a 2 MiB thread stack.
    pub max_depth: usize,
    /// Maximum number of `and`/`or` operators. Default 1000 (a filter within
    /// the default length has fewer than 500). Together with `max_depth` it
    /// bounds the depth of the AST, and so the recursion of the derived
    /// `Clone`, `Debug`, `PartialEq` and `Drop`.
    pub max_operators: usize,
}

impl Limits {
    /// The default limits.
    pub const DEFAULT: Limits = Limits {
        max_length: 4096,
        max_depth: 64,
        max_operators: 1000,
    };
}

impl Limits {
    /// These limits with another [`max_length`](Limits::max_length).
    pub const fn with_max_length(mut self, max_length: usize) -> Self {
        self.max_length = max_length;
        self
    }

    /// These limits with another [`max_depth`](Limits::max_depth).
    pub const fn with_max_depth(mut self, max_depth: usize) -> Self {
        self.max_depth = max_depth;
        self
    }

    /// These limits with another [`max_operators`](Limits::max_operators).
    pub const fn with_max_operators(mut self, max_operators: usize) -> Self {
        self.max_operators = max_operators;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Parses a filter (the `filter` query parameter, or the `filter` of a
/// `POST .search`) with the [default limits](Limits::DEFAULT).
///
/// ```
/// use scim_filter::{parse, AttrPath, CompValue, CompareOp, Filter};
///
/// let filter = parse(r#"userName Eq "bjensen""#)?;
/// assert_eq!(
///     filter,
///     Filter::Compare {
///         path: AttrPath::new("userName"),
///         op: CompareOp::Eq,
///         value: CompValue::String("bjensen".into()),
///     }
/// );
/// assert_eq!(filter.to_string(), r#"userName eq "bjensen""#);
///
/// let err = parse(r#"userName "bjensen""#).unwrap_err();
/// assert_eq!(err.to_string(), "expected comparison operator or `pr` at byte 9");
/// # Ok::<(), scim_filter::Error>(())
/// ```
pub fn parse(input: &str) -> Result<Filter, Error> {
    parse_with(input, &Limits::DEFAULT)
}

/// Parses a filter with the given limits.
pub fn parse_with(input: &str, limits: &Limits) -> Result<Filter, Error> {
    let origin = Origin::Filter;
    let pair = parse_rule(Rule::filter_input, input, limits, origin)?;
    let mut builder = Builder::new(limits, origin);
    let filter = first_inner(pair, Rule::filter, origin)?;
    builder.filter(filter, false)
}

/// Parses a PATCH operation path (RFC 7644 §3.5.2) with the
/// [default limits](Limits::DEFAULT).
///
/// ```
/// let path = scim_filter::parse_path(r#"emails[type eq "work"].value"#)?;
/// assert_eq!(path.attr.name, "emails");
/// assert_eq!(path.filter.unwrap().to_string(), r#"type eq "work""#);
/// assert_eq!(path.sub_attr.as_deref(), Some("value"));
/// # Ok::<(), scim_filter::Error>(())
/// ```
pub fn parse_path(input: &str) -> Result<Path, Error> {
    parse_path_with(input, &Limits::DEFAULT)
}

/// Parses a PATCH operation path with the given limits.
pub fn parse_path_with(input: &str, limits: &Limits) -> Result<Path, Error> {
    let origin = Origin::Path;
    let pair = parse_rule(Rule::path_input, input, limits, origin)?;
    let path = first_inner(pair, Rule::path, origin)?;
    let mut builder = Builder::new(limits, origin);
    builder.path(path)
}

/// Checks the limits, then runs pest; returns the pair of `rule`.
fn parse_rule<'i>(
    rule: Rule,
    input: &'i str,
    limits: &Limits,
    origin: Origin,
) -> Result<Pair<'i, Rule>, Error> {
    prescan(input, limits, origin)?;
    let mut pairs =
        FilterParser::parse(rule, input).map_err(|e| syntax_error(&e, input, origin))?;
    pairs.next().ok_or_else(|| internal(0, origin))
}

/// Enforces the length and nesting limits in one pass over the bytes.
///
/// Brackets inside string literals do not count. Pest can only get past a
/// `"` by reading a string literal, which ends where this scan ends it, so
/// the depth found here bounds the depth pest and the builder reach.
fn prescan(input: &str, limits: &Limits, origin: Origin) -> Result<(), Error> {
    if input.len() > limits.max_length {
        return Err(Error::new(
            ErrorKind::TooLong {
                length: input.len(),
                max: limits.max_length,
            },
            origin,
        ));
    }
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for b in input.bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'(' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b')' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if deepest > limits.max_depth {
        return Err(Error::new(
            ErrorKind::TooDeep {
                depth: deepest,
                max: limits.max_depth,
            },
            origin,
        ));
    }
    Ok(())
}

/// Turns a pest error into a syntax error with a byte offset and a
/// human-readable list of what was expected there.
fn syntax_error(err: &pest::error::Error<Rule>, input: &str, origin: Origin) -> Error {
    let offset = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((start, _)) => start,
    };
    let positives = match &err.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives.as_slice(),
        pest::error::ErrorVariant::CustomError { .. } => &[],
    };
    if positives.contains(&Rule::comp_value)
        && let Some((at, expected)) = string_problem(input, offset)
    {
        return Error::syntax(at, expected, origin);
    }
    let mut wanted: Vec<&str> = Vec::new();
    for text in positives.iter().flat_map(|rule| describe(*rule)) {
        if !wanted.contains(text) {
            wanted.push(text);
        }
    }
    wanted.sort_by_key(|text| ORDER.iter().position(|o| o == text).unwrap_or(ORDER.len()));
    let expected = match wanted.as_slice() {
        [] => "valid syntax".to_owned(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    };
    Error::syntax(offset, expected, origin)
}

/// If a string literal starts at `offset` and is malformed, where and why.
///
/// Pest reports a failed string literal at its opening quote; this finds
/// the bad escape, the raw control character or the missing closing quote.
fn string_problem(input: &str, offset: usize) -> Option<(usize, &'static str)> {
    let literal = input.get(offset..)?.strip_prefix('"')?;
    let mut chars = literal.char_indices();
    while let Some((i, c)) = chars.next() {
        let at = offset + 1 + i;
        match c {
            '"' => return None,
            '\\' => {
                let valid = match chars.next() {
                    Some((_, '"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't')) => true,
                    Some((_, 'u')) => {
                        (0..4).all(|_| chars.next().is_some_and(|(_, h)| h.is_ascii_hexdigit()))
                    }
                    _ => false,
                };
                if !valid {
                    return Some((
                        at,
                        "a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)",
                    ));
                }
            }
            c if c < ' ' => return Some((at, "no raw control character in a string (escape it)")),
            _ => {}
        }
    }
    Some((input.len(), "closing `\"`"))
}

/// The order in which expected items are listed in messages.
const ORDER: &[&str] = &[
    "attribute path",
    "schema URN",
    "attribute name",
    "`(`",
    "`not`",
    "comparison operator",
    "`pr`",
    VALUE_TEXT,
    "`)`",
    "`].subAttribute`",
    "`]`",
    "`and`",
    "`or`",
    "end of input",
];

const VALUE_TEXT: &str = "value (string, number, true, false or null)";

/// Describes a grammar rule in words, for error messages.
fn describe(rule: Rule) -> &'static [&'static str] {
    const FILTER: &[&str] = &["attribute path", "`(`", "`not`"];
    const VALUE: &[&str] = &[VALUE_TEXT];
    match rule {
        Rule::EOI => &["end of input"],
        Rule::filter | Rule::and_chain | Rule::unary | Rule::filter_input => FILTER,
        Rule::not_group | Rule::not_kw => &["`not`"],
        Rule::group => &["`(`"],
        Rule::close_paren => &["`)`"],
        Rule::value_path | Rule::attr_exp | Rule::vp_open | Rule::attr_path | Rule::path => {
            &["attribute path"]
        }
        Rule::path_input => &["PATCH path"],
        Rule::schema_prefix | Rule::urn_segment => &["schema URN"],
        Rule::attr_name | Rule::name_char => &["attribute name"],
        Rule::vp_close_sub => &["`].subAttribute`"],
        Rule::vp_close => &["`]`"],
        Rule::and_kw => &["`and`"],
        Rule::or_kw => &["`or`"],
        Rule::pr_kw => &["`pr`"],
        Rule::compare_op => &["comparison operator"],
        Rule::comp_value | Rule::true_lit | Rule::false_lit | Rule::null_lit | Rule::number => {
            VALUE
        }
        Rule::string | Rule::string_body | Rule::string_char => &["closing `\"`"],
        Rule::WHITESPACE => &["whitespace"],
    }
}

fn internal(offset: usize, origin: Origin) -> Error {
    Error::syntax(offset, "well-formed input (internal parser error)", origin)
}

/// The first inner pair of `pair`, which the grammar says is a `rule`.
fn first_inner<'i>(
    pair: Pair<'i, Rule>,
    rule: Rule,
    origin: Origin,
) -> Result<Pair<'i, Rule>, Error> {
    let offset = pair.as_span().start();
    pair.into_inner()
        .find(|p| p.as_rule() == rule)
        .ok_or_else(|| internal(offset, origin))
}

/// Builds the AST from pest pairs, counting `and`/`or` operators.
struct Builder {
    operators: usize,
    max_operators: usize,
    origin: Origin,
}

impl Builder {
    fn new(limits: &Limits, origin: Origin) -> Self {
        Builder {
            operators: 0,
            max_operators: limits.max_operators,
            origin,
        }
    }

    fn internal(&self, pair: &Pair<'_, Rule>) -> Error {
        internal(pair.as_span().start(), self.origin)
    }

    fn count_operator(&mut self) -> Result<(), Error> {
        self.operators += 1;
        if self.operators > self.max_operators {
            return Err(Error::new(
                ErrorKind::TooManyOperators {
                    max: self.max_operators,
                },
                self.origin,
            ));
        }
        Ok(())
    }

    /// `filter = and_chain (or and_chain)*`, folded to the left.
    fn filter(&mut self, pair: Pair<'_, Rule>, in_value_path: bool) -> Result<Filter, Error> {
        let mut acc: Option<Filter> = None;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::and_chain => {
                    let operand = self.and_chain(child, in_value_path)?;
                    acc = Some(match acc {
                        None => operand,
                        Some(left) => {
                            self.count_operator()?;
                            Filter::Or(Box::new(left), Box::new(operand))
                        }
                    });
                }
                Rule::or_kw => {}
                _ => return Err(self.internal(&child)),
            }
        }
        acc.ok_or_else(|| internal(0, self.origin))
    }

    /// `and_chain = unary (and unary)*`, folded to the left.
    fn and_chain(&mut self, pair: Pair<'_, Rule>, in_value_path: bool) -> Result<Filter, Error> {
        let offset = pair.as_span().start();
        let mut acc: Option<Filter> = None;
        for child in pair.into_inner() {
            if child.as_rule() == Rule::and_kw {
                continue;
            }
            let operand = self.unary(child, in_value_path)?;
            acc = Some(match acc {
                None => operand,
                Some(left) => {
                    self.count_operator()?;
                    Filter::And(Box::new(left), Box::new(operand))
                }
            });
        }
        acc.ok_or_else(|| internal(offset, self.origin))
    }

    fn unary(&mut self, pair: Pair<'_, Rule>, in_value_path: bool) -> Result<Filter, Error> {
        match pair.as_rule() {
            Rule::not_group => {
                let inner = first_inner(pair, Rule::filter, self.origin)?;
                Ok(Filter::Not(Box::new(self.filter(inner, in_value_path)?)))
            }
            Rule::group => {
                let inner = first_inner(pair, Rule::filter, self.origin)?;
                self.filter(inner, in_value_path)
            }
            Rule::attr_exp => self.attr_exp(pair),
            Rule::value_path => {
                if in_value_path {
                    return Err(Error::syntax(
                        pair.as_span().start(),
                        "a sub-attribute filter (value paths cannot nest)",
                        self.origin,
                    ));
                }
                self.value_path(pair)
            }
            _ => Err(self.internal(&pair)),
        }
    }

    /// `attr_path (pr | compare_op comp_value)`.
    fn attr_exp(&mut self, pair: Pair<'_, Rule>) -> Result<Filter, Error> {
        let offset = pair.as_span().start();
        let mut inner = pair.into_inner();
        let path = match inner.next() {
            Some(p) if p.as_rule() == Rule::attr_path => self.attr_path(p)?,
            _ => return Err(internal(offset, self.origin)),
        };
        self.comparison(path, &mut inner, offset)
    }

    /// Reads `pr` or `op value` from `rest` and builds the leaf for `path`.
    fn comparison<'i>(
        &mut self,
        path: AttrPath,
        rest: &mut pest::iterators::Pairs<'i, Rule>,
        offset: usize,
    ) -> Result<Filter, Error> {
        match rest.next() {
            Some(p) if p.as_rule() == Rule::pr_kw => Ok(Filter::Present(path)),
            Some(p) if p.as_rule() == Rule::compare_op => {
                let op = CompareOp::from_keyword(p.as_str()).ok_or_else(|| self.internal(&p))?;
                let value = match rest.next() {
                    Some(v) if v.as_rule() == Rule::comp_value => self.comp_value(v)?,
                    _ => return Err(internal(offset, self.origin)),
                };
                Ok(Filter::Compare { path, op, value })
            }
            _ => Err(internal(offset, self.origin)),
        }
    }

    /// `vp_open filter (vp_close_sub (pr | op value) | vp_close)`.
    fn value_path(&mut self, pair: Pair<'_, Rule>) -> Result<Filter, Error> {
        let offset = pair.as_span().start();
        let mut inner = pair.into_inner();
        let (attr, filter) = self.value_path_head(&mut inner, offset)?;
        match inner.next() {
            Some(p) if p.as_rule() == Rule::vp_close => Ok(Filter::ValuePath {
                attr,
                filter: Box::new(filter),
            }),
            Some(p) if p.as_rule() == Rule::vp_close_sub => {
                // Entra ID's `attr[filter].sub op value`: the same element
                // must match both, i.e. `attr[(filter) and sub op value]`.
                let sub = self.close_sub(p)?;
                let leaf = self.comparison(AttrPath::new(sub), &mut inner, offset)?;
                self.count_operator()?;
                Ok(Filter::ValuePath {
                    attr,
                    filter: Box::new(Filter::And(Box::new(filter), Box::new(leaf))),
                })
            }
            _ => Err(internal(offset, self.origin)),
        }
    }

    /// `vp_open filter`: the attribute and the value filter.
    fn value_path_head<'i>(
        &mut self,
        inner: &mut pest::iterators::Pairs<'i, Rule>,
        offset: usize,
    ) -> Result<(AttrPath, Filter), Error> {
        let attr = match inner.next() {
            Some(open) if open.as_rule() == Rule::vp_open => {
                let path = first_inner(open, Rule::attr_path, self.origin)?;
                self.attr_path(path)?
            }
            _ => return Err(internal(offset, self.origin)),
        };
        let filter = match inner.next() {
            Some(f) if f.as_rule() == Rule::filter => self.filter(f, true)?,
            _ => return Err(internal(offset, self.origin)),
        };
        Ok((attr, filter))
    }

    /// The sub-attribute name of `].name`.
    fn close_sub(&self, pair: Pair<'_, Rule>) -> Result<String, Error> {
        Ok(first_inner(pair, Rule::attr_name, self.origin)?
            .as_str()
            .to_owned())
    }

    /// `path = vp_open filter (vp_close_sub | vp_close) | attr_path`.
    fn path(&mut self, pair: Pair<'_, Rule>) -> Result<Path, Error> {
        let offset = pair.as_span().start();
        let mut inner = pair.into_inner();
        match inner.peek() {
            Some(p) if p.as_rule() == Rule::attr_path => {
                return Ok(Path {
                    attr: self.attr_path(p)?,
                    filter: None,
                    sub_attr: None,
                });
            }
            Some(p) if p.as_rule() == Rule::vp_open => {}
            _ => return Err(internal(offset, self.origin)),
        }
        let (attr, filter) = self.value_path_head(&mut inner, offset)?;
        let sub_attr = match inner.next() {
            Some(p) if p.as_rule() == Rule::vp_close => None,
            Some(p) if p.as_rule() == Rule::vp_close_sub => Some(self.close_sub(p)?),
            _ => return Err(internal(offset, self.origin)),
        };
        Ok(Path {
            attr,
            filter: Some(filter),
            sub_attr,
        })
    }

    /// `attr_path = schema_prefix? attr_name ("." attr_name)?`.
    fn attr_path(&self, pair: Pair<'_, Rule>) -> Result<AttrPath, Error> {
        let offset = pair.as_span().start();
        let mut schema = None;
        let mut names = Vec::with_capacity(2);
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::schema_prefix => {
                    let text = child.as_str();
                    schema = Some(text.strip_suffix(':').unwrap_or(text).to_owned());
                }
                Rule::attr_name => names.push(child.as_str().to_owned()),
                _ => return Err(self.internal(&child)),
            }
        }
        let mut names = names.into_iter();
        let name = names.next().ok_or_else(|| internal(offset, self.origin))?;
        Ok(AttrPath {
            schema,
            name,
            sub_attr: names.next(),
        })
    }

    fn comp_value(&self, pair: Pair<'_, Rule>) -> Result<CompValue, Error> {
        let literal = first_any(pair, self.origin)?;
        Ok(match literal.as_rule() {
            Rule::true_lit => CompValue::Bool(true),
            Rule::false_lit => CompValue::Bool(false),
            Rule::null_lit => CompValue::Null,
            Rule::number => CompValue::Number(Number::from_valid(literal.as_str())),
            Rule::string => {
                let body = first_inner(literal, Rule::string_body, self.origin)?;
                let offset = body.as_span().start();
                CompValue::String(decode_string(body.as_str(), offset, self.origin)?)
            }
            _ => return Err(self.internal(&literal)),
        })
    }
}

fn first_any<'i>(pair: Pair<'i, Rule>, origin: Origin) -> Result<Pair<'i, Rule>, Error> {
    let offset = pair.as_span().start();
    pair.into_inner()
        .next()
        .ok_or_else(|| internal(offset, origin))
}

/// Decodes the JSON escapes of a string body the grammar has checked.
/// `offset` is the byte offset of `raw` in the input, for errors.
fn decode_string(raw: &str, offset: usize, origin: Origin) -> Result<String, Error> {
    if !raw.contains('\\') {
        return Ok(raw.to_owned());
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let bad = |expected: &str| Error::syntax(offset + i, expected, origin);
        let decoded = match chars.next().map(|(_, e)| e) {
            Some('"') => '"',
            Some('\\') => '\\',
            Some('/') => '/',
            Some('b') => '\u{08}',
            Some('f') => '\u{0c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('u') => {
                let unit = read_hex4(&mut chars).ok_or_else(|| bad("four hex digits"))?;
                match unit {
                    0xD800..=0xDBFF => {
                        let low = match (chars.next(), chars.next()) {
                            (Some((_, '\\')), Some((_, 'u'))) => read_hex4(&mut chars),
                            _ => None,
                        };
                        match low {
                            Some(low @ 0xDC00..=0xDFFF) => {
                                let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                                char::from_u32(code).ok_or_else(|| bad("a valid code point"))?
                            }
                            _ => {
                                return Err(bad(
                                    "a low surrogate `\\uDC00`-`\\uDFFF` after a high surrogate",
                                ));
                            }
                        }
                    }
                    0xDC00..=0xDFFF => {
                        return Err(bad("a high surrogate before a low surrogate"));
                    }
                    _ => char::from_u32(unit).ok_or_else(|| bad("a valid code point"))?,
                }
            }
            _ => return Err(bad("a valid escape")),
        };
        out.push(decoded);
    }
    Ok(out)
}

fn read_hex4(chars: &mut std::str::CharIndices<'_>) -> Option<u32> {
    let mut value = 0;
    for _ in 0..4 {
        let (_, c) = chars.next()?;
        value = value * 16 + c.to_digit(16)?;
    }
    Some(value)
}
