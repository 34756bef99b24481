//! Discovery documents: service provider configuration (RFC 7643 §5, with
//! the `pagination` attribute of RFC 9865 §4) and resource types (RFC 7643 §6).

use serde::{Deserialize, Serialize};

use crate::meta::Meta;
use crate::urn;

/// A feature flag of the service provider configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supported {
    /// Whether the feature is supported.
    pub supported: bool,
}

/// Filter support, with the largest number of results a query returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterSupport {
    /// Whether filtering is supported.
    pub supported: bool,
    /// The maximum number of resources returned in one response.
    pub max_results: u32,
}

/// Bulk support, with its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkSupport {
    /// Whether bulk requests are supported.
    pub supported: bool,
    /// The maximum number of operations in one bulk request.
    pub max_operations: u32,
    /// The maximum bulk payload size in bytes.
    pub max_payload_size: u64,
}

/// A way of paging through query results (RFC 9865 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaginationMethod {
    /// `startIndex` and `count` (RFC 7644 §3.4.2.4).
    Index,
    /// `cursor` and `count` (RFC 9865).
    Cursor,
}

/// How the service provider pages query results (RFC 9865 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaginationSupport {
    /// Whether cursor-based paging is supported.
    pub cursor: bool,
    /// Whether index-based paging is supported.
    pub index: bool,
    /// The method of a query that names neither `cursor` nor `startIndex`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_pagination_method: Option<PaginationMethod>,
    /// The page size of a query without `count`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_page_size: Option<u32>,
    /// The largest page, whatever `count` asks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_page_size: Option<u32>,
    /// The seconds a cursor stays valid at least; absent when cursors do
    /// not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor_timeout: Option<u32>,
}

/// An authentication scheme the service provider accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationScheme {
    /// The scheme type, e.g. `oauthbearertoken`.
    #[serde(rename = "type")]
    pub ty: String,
    /// A human-readable name.
    pub name: String,
    /// A human-readable description.
    pub description: String,
    /// A link to the scheme's specification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec_uri: Option<String>,
    /// Whether this is the preferred scheme.
    #[serde(default)]
    pub primary: bool,
}

/// The `/ServiceProviderConfig` document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceProviderConfig {
    /// Always `["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]`.
    pub schemas: Vec<String>,
    /// A link to human-readable documentation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documentation_uri: Option<String>,
    /// PATCH support.
    pub patch: Supported,
    /// Bulk support.
    pub bulk: BulkSupport,
    /// Filter support.
    pub filter: FilterSupport,
    /// Password change support.
    pub change_password: Supported,
    /// Sorting support.
    pub sort: Supported,
    /// ETag support.
    pub etag: Supported,
    /// Accepted authentication schemes.
    pub authentication_schemes: Vec<AuthenticationScheme>,
    /// Paging methods and limits (RFC 9865 §4); absent when only index
    /// paging is offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<PaginationSupport>,
    /// Resource metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl ServiceProviderConfig {
    /// A configuration with every optional feature switched off (no
    /// `pagination` attribute: index paging only), bearer
    /// token authentication, and `max_results` as the filter result limit.
    pub fn minimal(max_results: u32) -> Self {
        let off = Supported { supported: false };
        ServiceProviderConfig {
            schemas: vec![urn::SERVICE_PROVIDER_CONFIG.to_owned()],
            documentation_uri: None,
            patch: off,
            bulk: BulkSupport {
                supported: false,
                max_operations: 0,
                max_payload_size: 0,
            },
            filter: FilterSupport {
                supported: false,
                max_results,
            },
            change_password: off,
            sort: off,
            etag: off,
            authentication_schemes: vec![AuthenticationScheme {
                ty: "oauthbearertoken".to_owned(),
                name: "OAuth Bearer Token".to_owned(),
                description: "Authentication with a bearer token: a token issued for the tenant, \
                              an OAuth 2.0 access token from the server's token endpoint \
                              (client credentials grant), or a JWT of an issuer the tenant trusts."
                    .to_owned(),
                spec_uri: Some("https://www.rfc-editor.org/info/rfc6750".to_owned()),
                primary: true,
            }],
            pagination: None,
            meta: None,
        }
    }
}

/// A schema extension a resource type carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaExtensionRef {
    /// The extension schema URN.
    pub schema: String,
    /// Whether resources of this type must carry the extension.
    pub required: bool,
}

/// A `/ResourceTypes` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceTypeDef {
    /// Always `["urn:ietf:params:scim:schemas:core:2.0:ResourceType"]`.
    #[serde(default)]
    pub schemas: Vec<String>,
    /// The resource type's identifier, e.g. `User`; documents written by
    /// hand may leave it out.
    #[serde(default)]
    pub id: String,
    /// The resource type's name, e.g. `User`.
    pub name: String,
    /// The endpoint, relative to the base URL, e.g. `/Users`.
    pub endpoint: String,
    /// A human-readable description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The base schema URN.
    pub schema: String,
    /// The extensions resources of this type may carry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schema_extensions: Vec<SchemaExtensionRef>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_uses_the_rfc_9865_names_and_is_absent_when_unset() {
        let mut config = ServiceProviderConfig::minimal(100);
        let json = serde_json::to_value(&config).unwrap();
        assert!(json.get("pagination").is_none());
        config.pagination = Some(PaginationSupport {
            cursor: true,
            index: true,
            default_pagination_method: Some(PaginationMethod::Index),
            default_page_size: Some(100),
            max_page_size: Some(100),
            cursor_timeout: None,
        });
        let json = serde_json::to_value(&config).unwrap();
        assert_eq!(
            json["pagination"],
            serde_json::json!({
                "cursor": true,
                "index": true,
                "defaultPaginationMethod": "index",
                "defaultPageSize": 100,
                "maxPageSize": 100
            })
        );
        let back: ServiceProviderConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back, config);
    }
}
