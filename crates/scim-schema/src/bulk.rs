//! The bulk request and response messages (RFC 7644 §3.7).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::urn;

/// A `POST /Bulk` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkRequest {
    /// Should be `["urn:ietf:params:scim:api:messages:2.0:BulkRequest"]`.
    #[serde(default)]
    pub schemas: Vec<String>,
    /// Stop after this many failed operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_on_errors: Option<u32>,
    /// The operations, in the order given.
    #[serde(rename = "Operations", alias = "operations")]
    pub operations: Vec<BulkOperation>,
}

/// One operation of a bulk request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkOperation {
    /// `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: String,
    /// The client's name for a resource created by this operation, which
    /// other operations refer to as `bulkId:<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulk_id: Option<String>,
    /// The version the target must have (as in `If-Match`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The target, relative to the base URL, e.g. `/Users` or `/Groups/{id}`.
    pub path: String,
    /// The resource or PatchOp body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// A `POST /Bulk` response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkResponse {
    /// Always `["urn:ietf:params:scim:api:messages:2.0:BulkResponse"]`.
    pub schemas: Vec<String>,
    /// One result per operation that was processed.
    #[serde(rename = "Operations")]
    pub operations: Vec<BulkOperationResult>,
}

impl BulkResponse {
    /// A response with the BulkResponse schema.
    pub fn new(operations: Vec<BulkOperationResult>) -> Self {
        BulkResponse {
            schemas: vec![urn::BULK_RESPONSE.to_owned()],
            operations,
        }
    }
}

/// The outcome of one bulk operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkOperationResult {
    /// The operation's method.
    pub method: String,
    /// The operation's `bulkId`, if it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulk_id: Option<String>,
    /// The resource's version after the operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The resource's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The HTTP status of the operation, as a string.
    pub status: String,
    /// The response body, e.g. a SCIM Error for a failed operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_rfc_bulk_request_example() {
        let request: BulkRequest = serde_json::from_value(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "failOnErrors": 1,
            "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "qwerty",
                 "data": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "Alice"}},
                {"method": "DELETE", "path": "/Users/b7c14771-226c-4d05-8860-134711653041",
                 "version": "W/\"0ee8add0-b5c7-4937-b5f3-d1c0a8b0b6c4\""}
            ]
        }))
        .unwrap();
        assert_eq!(request.fail_on_errors, Some(1));
        assert_eq!(request.operations[0].bulk_id.as_deref(), Some("qwerty"));
        assert_eq!(request.operations[1].data, None);
    }

    #[test]
    fn writes_status_as_a_string() {
        let response = BulkResponse::new(vec![BulkOperationResult {
            method: "POST".into(),
            bulk_id: Some("qwerty".into()),
            version: Some("W/\"1\"".into()),
            location: Some("https://example.com/v2/Users/92b725cd".into()),
            status: "201".into(),
            response: None,
        }]);
        let json = serde_json::to_value(&response).unwrap();
        assert_eq!(json["schemas"][0], urn::BULK_RESPONSE);
        assert_eq!(json["Operations"][0]["status"], "201");
        assert_eq!(json["Operations"][0]["bulkId"], "qwerty");
    }
}
