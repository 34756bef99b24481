//! The SCIM error message (RFC 7644 §3.12).

use serde::{Deserialize, Serialize};

use crate::urn;

/// The `scimType` detail error keywords of RFC 7644 §3.12, Table 9, and
/// the pagination keywords RFC 9865 §2.1 adds to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ScimType {
    /// The filter syntax is invalid or the filter names an unknown attribute.
    InvalidFilter,
    /// The filter yields more results than the server is willing to return.
    TooMany,
    /// One or more attribute values are already in use or reserved.
    Uniqueness,
    /// The attempted modification is not compatible with the attribute's mutability.
    Mutability,
    /// The request body structure is invalid or does not conform to the schema.
    InvalidSyntax,
    /// The `path` attribute is invalid or malformed.
    InvalidPath,
    /// The specified `path` did not yield an attribute that could be operated on.
    NoTarget,
    /// A required value is missing, or a value is not compatible with its type.
    InvalidValue,
    /// The specified SCIM protocol version is not supported.
    InvalidVers,
    /// The request cannot be completed because of sensitive information in the URI.
    Sensitive,
    /// The `cursor` is not one this server issued for the query (RFC 9865).
    InvalidCursor,
    /// The `cursor` is no longer valid (RFC 9865).
    ExpiredCursor,
    /// The `count` is outside what the server accepts for the query (RFC 9865).
    InvalidCount,
}

impl ScimType {
    /// The keyword as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
            ScimType::InvalidCursor => "invalidCursor",
            ScimType::ExpiredCursor => "expiredCursor",
            ScimType::InvalidCount => "invalidCount",
        }
    }
}

/// A SCIM error response body.
///
/// `status` is serialised as a string, as RFC 7644 §3.12 requires and as
/// identity providers check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimError {
    /// Always `["urn:ietf:params:scim:api:messages:2.0:Error"]`.
    pub schemas: Vec<String>,
    /// The HTTP status code, as a string.
    pub status: String,
    /// The SCIM detail error keyword, when one applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<ScimType>,
    /// A human-readable explanation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ScimError {
    /// Builds an error body for `status` with an optional `scimType`.
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        ScimError {
            schemas: vec![urn::ERROR.to_owned()],
            status: status.to_string(),
            scim_type,
            detail: Some(detail.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_status_as_string_and_omits_missing_scim_type() {
        let err = ScimError::new(404, None, "Resource 42 not found");
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "schemas": [urn::ERROR],
                "status": "404",
                "detail": "Resource 42 not found"
            })
        );
    }

    #[test]
    fn scim_type_keywords_match_the_rfc() {
        for (ty, word) in [
            (ScimType::InvalidFilter, "invalidFilter"),
            (ScimType::TooMany, "tooMany"),
            (ScimType::Uniqueness, "uniqueness"),
            (ScimType::Mutability, "mutability"),
            (ScimType::InvalidSyntax, "invalidSyntax"),
            (ScimType::InvalidPath, "invalidPath"),
            (ScimType::NoTarget, "noTarget"),
            (ScimType::InvalidValue, "invalidValue"),
            (ScimType::InvalidVers, "invalidVers"),
            (ScimType::Sensitive, "sensitive"),
            (ScimType::InvalidCursor, "invalidCursor"),
            (ScimType::ExpiredCursor, "expiredCursor"),
            (ScimType::InvalidCount, "invalidCount"),
        ] {
            assert_eq!(ty.as_str(), word);
            assert_eq!(serde_json::to_value(ty).unwrap(), word);
        }
    }
}
