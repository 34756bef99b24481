//! The `meta` complex attribute common to all resources (RFC 7643 §3.1).

use serde::{Deserialize, Serialize};

/// Resource metadata. All sub-attributes are read-only and assigned by the
/// service provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// The resource type name, e.g. `User`.
    pub resource_type: String,
    /// When the resource was created (RFC 3339).
    pub created: String,
    /// When the resource was last modified (RFC 3339).
    pub last_modified: String,
    /// The URI of the resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The resource version as a weak entity tag, e.g. `W/"3"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}
