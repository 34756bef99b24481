//! The error of a refused PATCH request.

use scim_schema::ScimType;

/// Why a PATCH request was refused.
///
/// Every error is a `400 Bad Request` with the `scimType` of
/// [`Error::scim_type`]; [`Error::operation_index`] tells which entry of
/// `Operations` failed (counting from 0), and the `Display` form (the
/// detail, prefixed with the operation) is fit for the `detail` of the SCIM
/// error response.
///
/// ```
/// use scim_patch::{ErrorKind, Options, apply};
/// use scim_schema::{PatchOp, ResourceType, ScimType};
/// use serde_json::json;
///
/// let patch: PatchOp = serde_json::from_value(json!({
///     "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
///     "Operations": [
///         {"op": "replace", "path": "title", "value": "Boss"},
///         {"op": "remove", "path": "userName"}
///     ]
/// })).unwrap();
/// let user = json!({"schemas": [scim_schema::urn::USER], "userName": "bjensen"});
/// let err = apply(&ResourceType::user(), &user, &patch, &Options::new()).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Mutability);
/// assert_eq!(err.scim_type(), ScimType::Mutability);
/// assert_eq!(err.operation_index(), Some(1));
/// assert_eq!(
///     err.to_string(),
///     "Operations[1]: `userName` is required and cannot be removed"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}", prefix(.operation), .detail)]
pub struct Error {
    kind: ErrorKind,
    detail: String,
    operation: Option<usize>,
}

fn prefix(operation: &Option<usize>) -> String {
    match operation {
        Some(i) => format!("Operations[{i}]: "),
        None => String::new(),
    }
}

/// The class of an [`Error`]: one per SCIM `scimType` that PATCH can
/// answer (RFC 7644 §3.12, Table 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request body does not have the structure of a PatchOp: no
    /// operations, or an `op` other than `add`, `remove` and `replace`.
    InvalidSyntax,
    /// A `path` (or a key of a path-less value) is malformed or names an
    /// attribute the resource type does not define.
    InvalidPath,
    /// The value filter of a `path` does not fit the attribute's
    /// sub-attributes, or (when extracting group members) selects members
    /// by something else than their `value`.
    InvalidFilter,
    /// The `path` selects nothing that the operation could act on: a
    /// `remove` without path, a `replace` whose value filter matches no
    /// value.
    NoTarget,
    /// A value is missing, or does not fit the attribute's type.
    InvalidValue,
    /// The operation would change a `readOnly` attribute or an `immutable`
    /// one that has a value, or remove a `required` one.
    Mutability,
}

impl ErrorKind {
    /// The SCIM `scimType` keyword of this class.
    pub fn scim_type(self) -> ScimType {
        match self {
            ErrorKind::InvalidSyntax => ScimType::InvalidSyntax,
            ErrorKind::InvalidPath => ScimType::InvalidPath,
            ErrorKind::InvalidFilter => ScimType::InvalidFilter,
            ErrorKind::NoTarget => ScimType::NoTarget,
            ErrorKind::InvalidValue => ScimType::InvalidValue,
            ErrorKind::Mutability => ScimType::Mutability,
        }
    }
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Error {
            kind,
            detail: detail.into(),
            operation: None,
        }
    }

    pub(crate) fn syntax(detail: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidSyntax, detail)
    }

    pub(crate) fn path(detail: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidPath, detail)
    }

    pub(crate) fn filter(detail: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidFilter, detail)
    }

    pub(crate) fn no_target(detail: impl Into<String>) -> Self {
        Error::new(ErrorKind::NoTarget, detail)
    }

    pub(crate) fn value(detail: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidValue, detail)
    }

    pub(crate) fn mutability(detail: impl Into<String>) -> Self {
        Error::new(ErrorKind::Mutability, detail)
    }

    /// Records the index of the failing operation (the first one wins).
    pub(crate) fn at(mut self, index: usize) -> Self {
        self.operation.get_or_insert(index);
        self
    }

    /// The class of the error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The SCIM `scimType` of the error response (the HTTP status is 400).
    pub fn scim_type(&self) -> ScimType {
        self.kind.scim_type()
    }

    /// The explanation, without the operation prefix of the `Display` form.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The index in `Operations` of the operation that failed, or `None`
    /// when the request as a whole was refused (no operations at all).
    pub fn operation_index(&self) -> Option<usize> {
        self.operation
    }
}
