//! The typed filter AST and its canonical printer.
//!
//! `Display` prints the canonical form: lower-case keywords and operators,
//! single spaces, `not (...)` with a space, parentheses only where the
//! structure needs them, strings re-escaped as JSON. Parsing the printed
//! form gives back an equal AST.

use std::fmt;

use crate::number::Number;

/// A parsed filter expression (RFC 7644 §3.4.2.2).
///
/// `and` and `or` chains are left-associative: `a and b and c` is
/// `And(And(a, b), c)`. Grouping parentheses leave no trace except in the
/// tree shape. Entra ID's `emails[type eq "work"].value eq "x"` is read as
/// the equivalent `emails[type eq "work" and value eq "x"]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Filter {
    /// Both operands match.
    And(Box<Filter>, Box<Filter>),
    /// Either operand matches.
    Or(Box<Filter>, Box<Filter>),
    /// `not (...)`: the operand does not match.
    Not(Box<Filter>),
    /// `path op value`.
    Compare {
        /// The attribute compared.
        path: AttrPath,
        /// The comparison operator.
        op: CompareOp,
        /// The literal on the right-hand side.
        value: CompValue,
    },
    /// `path pr`: the attribute has a non-empty value.
    Present(AttrPath),
    /// `attr[filter]`: some value of the complex attribute `attr` matches
    /// `filter`, whose paths name sub-attributes of `attr` (their `schema` and
    /// `sub_attr` are `None`).
    ValuePath {
        /// The complex (usually multi-valued) attribute.
        attr: AttrPath,
        /// The filter applied to each of its values.
        filter: Box<Filter>,
    },
}

/// An attribute path: `[schema ":"] name ["." sub_attr]`.
///
/// Names keep the case they were written in; resolution against a schema is
/// case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// The schema URN prefix, without the `:` that ends it.
    pub schema: Option<String>,
    /// The attribute name.
    pub name: String,
    /// The sub-attribute name, for complex attributes.
    pub sub_attr: Option<String>,
}

/// A PATCH operation path (RFC 7644 §3.5.2): `attrPath`, or
/// `attrPath "[" valFilter "]" ["." subAttr]`.
///
/// For the plain `attrPath` form, `filter` and `sub_attr` are `None` (a
/// sub-attribute is in [`attr`](Path::attr)); `sub_attr` is only set
/// together with `filter`, as in `emails[type eq "work"].value`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path {
    /// The attribute targeted.
    pub attr: AttrPath,
    /// The value filter selecting values of a multi-valued attribute.
    pub filter: Option<Filter>,
    /// The sub-attribute of the selected values.
    pub sub_attr: Option<String>,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `co`: contains (strings).
    Co,
    /// `sw`: starts with (strings).
    Sw,
    /// `ew`: ends with (strings).
    Ew,
    /// `gt`: greater than.
    Gt,
    /// `ge`: greater than or equal.
    Ge,
    /// `lt`: less than.
    Lt,
    /// `le`: less than or equal.
    Le,
}

/// The literal a comparison is made with.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CompValue {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, kept in its lexical form.
    Number(Number),
    /// A string, with its JSON escapes decoded.
    String(String),
}

impl AttrPath {
    /// A path to the top-level attribute `name`, with no schema prefix.
    pub fn new(name: impl Into<String>) -> Self {
        AttrPath {
            schema: None,
            name: name.into(),
            sub_attr: None,
        }
    }

    /// This path with a schema URN prefix.
    pub fn with_schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// This path with a sub-attribute.
    pub fn with_sub_attr(mut self, sub_attr: impl Into<String>) -> Self {
        self.sub_attr = Some(sub_attr.into());
        self
    }

    /// If the whole path reads as a schema URN, returns it.
    ///
    /// A PATCH path may name a whole extension, e.g.
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`, which the
    /// grammar reads as the attribute `User` of schema `…:enterprise:2.0`.
    ///
    /// ```
    /// let p = scim_filter::parse_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")?;
    /// assert_eq!(
    ///     p.attr.as_schema_urn().as_deref(),
    ///     Some(scim_schema::urn::ENTERPRISE_USER)
    /// );
    /// # Ok::<(), scim_filter::Error>(())
    /// ```
    pub fn as_schema_urn(&self) -> Option<String> {
        match (&self.schema, &self.sub_attr) {
            (Some(schema), None) => Some(format!("{schema}:{}", self.name)),
            _ => None,
        }
    }
}

impl CompareOp {
    /// All operators, in RFC order.
    pub const ALL: [CompareOp; 9] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Co,
        CompareOp::Sw,
        CompareOp::Ew,
        CompareOp::Gt,
        CompareOp::Ge,
        CompareOp::Lt,
        CompareOp::Le,
    ];

    /// The operator keyword, in lower case.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    /// Reads an operator keyword, case-insensitively.
    pub fn from_keyword(s: &str) -> Option<CompareOp> {
        CompareOp::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(s))
    }

    /// Whether this is `gt`, `ge`, `lt` or `le`.
    pub fn is_ordering(self) -> bool {
        matches!(
            self,
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
        )
    }

    /// Whether this is `co`, `sw` or `ew`.
    pub fn is_substring(self) -> bool {
        matches!(self, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(schema) = &self.schema {
            write!(f, "{schema}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.attr)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompValue::Null => f.write_str("null"),
            CompValue::Bool(true) => f.write_str("true"),
            CompValue::Bool(false) => f.write_str("false"),
            CompValue::Number(n) => write!(f, "{n}"),
            CompValue::String(s) => write_json_string(s, f),
        }
    }
}

/// Writes `s` as a JSON string literal.
fn write_json_string(s: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str("\"")?;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{08}' => "\\b",
            '\u{0c}' => "\\f",
            c if u32::from(c) < 0x20 => "",
            _ => continue,
        };
        f.write_str(&s[start..i])?;
        if escape.is_empty() {
            write!(f, "\\u{:04x}", u32::from(c))?;
        } else {
            f.write_str(escape)?;
        }
        start = i + c.len_utf8();
    }
    f.write_str(&s[start..])?;
    f.write_str("\"")
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::And(..) | Filter::Or(..) => write_chain(self, f),
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::Compare { path, op, value } => write!(f, "{path} {op} {value}"),
            Filter::Present(path) => write!(f, "{path} pr"),
            Filter::ValuePath { attr, filter } => write!(f, "{attr}[{filter}]"),
        }
    }
}

/// Prints an `and` or `or` chain. The left spine of a chain (which is as
/// long as the chain: `a and b and c` is `And(And(a, b), c)`) is walked with
/// a loop, so printing recurses only as deep as the parentheses nest.
fn write_chain(top: &Filter, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let is_and = matches!(top, Filter::And(..));
    let mut rights = Vec::new();
    let mut node = top;
    loop {
        match node {
            Filter::And(l, r) if is_and => {
                rights.push(r.as_ref());
                node = l;
            }
            Filter::Or(l, r) if !is_and => {
                rights.push(r.as_ref());
                node = l;
            }
            _ => break,
        }
    }
    write_operand(node, is_and, f)?;
    let keyword = if is_and { " and " } else { " or " };
    for operand in rights.into_iter().rev() {
        f.write_str(keyword)?;
        write_operand(operand, is_and, f)?;
    }
    Ok(())
}

/// Prints one operand of a chain, in parentheses where precedence or the
/// tree shape (a right-nested operand of the same connective) needs them.
fn write_operand(operand: &Filter, in_and: bool, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let parens = match operand {
        Filter::Or(..) => true,
        Filter::And(..) => in_and,
        _ => false,
    };
    if parens {
        write!(f, "({operand})")
    } else {
        write!(f, "{operand}")
    }
}
