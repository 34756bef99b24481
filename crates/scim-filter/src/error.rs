//! The error type shared by parsing, validation and evaluation.

use std::fmt;

use scim_schema::ScimType;

use crate::ast::CompareOp;

/// Why a filter or path was rejected.
///
/// Every error maps to a SCIM `scimType` through [`Error::scim_type`]; the
/// [`kind`](Error::kind) tells syntax errors, unknown attributes, type errors
/// and limit violations apart, and the `Display` form is a human-readable
/// sentence fit for the `detail` of a SCIM error response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct Error {
    kind: ErrorKind,
    origin: Origin,
}

/// What was parsed when the error happened: it decides the `scimType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A `filter` parameter, or a filter checked against a schema.
    Filter,
    /// A PATCH `path`.
    Path,
}

/// The class of an [`Error`], with its details.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The text does not follow the grammar.
    Syntax {
        /// Byte offset in the input where parsing failed.
        offset: usize,
        /// What the parser expected there, in words (e.g. `comparison operator`).
        expected: String,
    },
    /// A path names an attribute the schemas do not define.
    UnknownAttribute {
        /// The path as written in canonical form (e.g. `emails.foo`).
        path: String,
    },
    /// The operator does not apply to the attribute's type (e.g. `co` on a
    /// boolean, `gt` on binary data, a comparison on a complex attribute
    /// that has no `value` sub-attribute).
    InvalidOperator {
        /// The attribute path.
        path: String,
        /// The operator.
        op: CompareOp,
        /// Why it does not apply.
        reason: String,
    },
    /// The comparison value does not fit the attribute's type (e.g.
    /// `active eq "yes"`, or a `dateTime` compared with a string that is not
    /// an RFC 3339 timestamp).
    TypeMismatch {
        /// The attribute path.
        path: String,
        /// What the attribute accepts.
        expected: String,
    },
    /// The input is longer than [`Limits::max_length`](crate::Limits::max_length).
    TooLong {
        /// The input length in bytes.
        length: usize,
        /// The limit.
        max: usize,
    },
    /// Parentheses, `not` and value paths nest deeper than
    /// [`Limits::max_depth`](crate::Limits::max_depth).
    TooDeep {
        /// The deepest nesting found.
        depth: usize,
        /// The limit.
        max: usize,
    },
    /// The filter has more `and`/`or` operators than
    /// [`Limits::max_operators`](crate::Limits::max_operators).
    TooManyOperators {
        /// The limit.
        max: usize,
    },
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, origin: Origin) -> Self {
        Error { kind, origin }
    }

    pub(crate) fn syntax(offset: usize, expected: impl Into<String>, origin: Origin) -> Self {
        Error::new(
            ErrorKind::Syntax {
                offset,
                expected: expected.into(),
            },
            origin,
        )
    }

    pub(crate) fn with_origin(mut self, origin: Origin) -> Self {
        self.origin = origin;
        self
    }

    /// The class of the error and its details.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The SCIM `scimType` for the error response (RFC 7644 §3.12).
    ///
    /// Errors from [`parse`](crate::parse), [`validate`](crate::validate) and
    /// [`matches()`](crate::matches()) are `invalidFilter`; errors from
    /// [`parse_path`](crate::parse_path) and
    /// [`validate_path`](crate::validate_path) are `invalidPath`, as RFC
    /// 7644 §3.5.2 asks for a malformed PATCH `path`.
    ///
    /// ```
    /// use scim_schema::ScimType;
    ///
    /// let err = scim_filter::parse("userName eq").unwrap_err();
    /// assert_eq!(err.scim_type(), ScimType::InvalidFilter);
    /// let err = scim_filter::parse_path("emails[").unwrap_err();
    /// assert_eq!(err.scim_type(), ScimType::InvalidPath);
    /// ```
    pub fn scim_type(&self) -> ScimType {
        match self.origin {
            Origin::Filter => ScimType::InvalidFilter,
            Origin::Path => ScimType::InvalidPath,
        }
    }

    /// The byte offset of a syntax error, if this is one.
    pub fn offset(&self) -> Option<usize> {
        match self.kind {
            ErrorKind::Syntax { offset, .. } => Some(offset),
            _ => None,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Syntax { offset, expected } => {
                write!(f, "expected {expected} at byte {offset}")
            }
            ErrorKind::UnknownAttribute { path } => write!(f, "unknown attribute `{path}`"),
            ErrorKind::InvalidOperator { path, op, reason } => {
                write!(f, "operator `{op}` cannot be applied to `{path}`: {reason}")
            }
            ErrorKind::TypeMismatch { path, expected } => {
                write!(f, "`{path}` must be compared with {expected}")
            }
            ErrorKind::TooLong { length, max } => {
                write!(f, "input is {length} bytes long, the limit is {max}")
            }
            ErrorKind::TooDeep { depth, max } => {
                write!(f, "input nests {depth} levels deep, the limit is {max}")
            }
            ErrorKind::TooManyOperators { max } => {
                write!(f, "input has more than {max} `and`/`or` operators")
            }
        }
    }
}
