//! The core's error type: one kind per SCIM error, no catch-all.

use scim_schema::ScimType;

use crate::ports::StoreError;

/// What went wrong, in SCIM terms.
///
/// Each kind maps to exactly one HTTP status and at most one `scimType`;
/// the HTTP layer owns the status table (see `docs/error-mapping.md`).
///
/// Deliberately exhaustive: a new kind must break every `match` that maps
/// kinds, so that no kind silently falls into a catch-all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request body is not valid JSON or not a valid SCIM message.
    InvalidSyntax,
    /// A value is missing or has the wrong type.
    InvalidValue,
    /// A filter cannot be parsed or names an unknown attribute.
    InvalidFilter,
    /// A paging cursor is not one this server issued for the same query
    /// and tenant (RFC 9865): garbled, tampered with, or reused with
    /// another filter or sort.
    InvalidCursor,
    /// A PATCH path is malformed.
    InvalidPath,
    /// A PATCH path selects nothing.
    NoTarget,
    /// An attribute cannot be changed.
    Mutability,
    /// A unique attribute's value is already taken.
    Uniqueness,
    /// The request conflicts with the state it depends on in a way no
    /// `scimType` names, e.g. a bulk operation whose `bulkId` references
    /// form a cycle that cannot be broken (RFC 7644 §3.7.1).
    Conflict,
    /// The query would return too many results.
    TooMany,
    /// The resource does not exist in the caller's tenant.
    NotFound,
    /// The caller's expected version does not match the stored one.
    PreconditionFailed,
    /// No valid credential was presented.
    Unauthorized,
    /// The feature is not implemented by this server.
    NotImplemented,
    /// The storage backend is unreachable or overloaded; retrying may help.
    Unavailable,
    /// A bug or an unexpected backend failure; the detail is not shown to clients.
    Internal,
}

impl ErrorKind {
    /// The SCIM `scimType` keyword for this kind, if it has one.
    pub fn scim_type(self) -> Option<ScimType> {
        match self {
            ErrorKind::InvalidSyntax => Some(ScimType::InvalidSyntax),
            ErrorKind::InvalidValue => Some(ScimType::InvalidValue),
            ErrorKind::InvalidFilter => Some(ScimType::InvalidFilter),
            ErrorKind::InvalidCursor => Some(ScimType::InvalidCursor),
            ErrorKind::InvalidPath => Some(ScimType::InvalidPath),
            ErrorKind::NoTarget => Some(ScimType::NoTarget),
            ErrorKind::Mutability => Some(ScimType::Mutability),
            ErrorKind::Uniqueness => Some(ScimType::Uniqueness),
            ErrorKind::TooMany => Some(ScimType::TooMany),
            ErrorKind::Conflict
            | ErrorKind::NotFound
            | ErrorKind::PreconditionFailed
            | ErrorKind::Unauthorized
            | ErrorKind::NotImplemented
            | ErrorKind::Unavailable
            | ErrorKind::Internal => None,
        }
    }
}

/// A failed core operation.
#[derive(Debug, thiserror::Error)]
#[error("{detail}")]
pub struct Error {
    kind: ErrorKind,
    detail: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// An error of `kind` with a detail meant for the client.
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Error {
            kind,
            detail: detail.into(),
            source: None,
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The client-facing explanation. For [`ErrorKind::Internal`] this is
    /// what the operator sees in logs, not what the client gets.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    pub(crate) fn invalid_value(detail: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidValue, detail)
    }
}

impl From<StoreError> for Error {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict { attribute } => Error::new(
                ErrorKind::Uniqueness,
                format!("{attribute} is already in use"),
            ),
            StoreError::NotFound => Error::new(ErrorKind::NotFound, "resource not found"),
            StoreError::VersionMismatch => Error::new(
                ErrorKind::PreconditionFailed,
                "the resource has changed since the version given in If-Match",
            ),
            StoreError::InvalidPosition => Error::new(
                ErrorKind::InvalidCursor,
                "the cursor does not fit this query; start again with an empty cursor",
            ),
            StoreError::Unsupported(what) => Error::new(
                ErrorKind::NotImplemented,
                format!("this server cannot execute the query yet: {what}"),
            ),
            StoreError::Unavailable(source) => Error {
                kind: ErrorKind::Unavailable,
                detail: "the storage backend is unavailable".to_owned(),
                source: Some(source),
            },
            StoreError::Backend(source) => Error {
                kind: ErrorKind::Internal,
                detail: format!("storage backend failure: {source}"),
                source: Some(source),
            },
        }
    }
}
