//! The PATCH request message (RFC 7644 §3.5.2), as sent on the wire.
//!
//! Operation names are kept as sent (`add`, `Replace`, ...): identity
//! providers differ in case, and `scim-patch` normalises them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::urn;

/// A PATCH request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchOp {
    /// Should be `["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`.
    #[serde(default)]
    pub schemas: Vec<String>,
    /// The operations, applied in order.
    #[serde(rename = "Operations", alias = "operations")]
    pub operations: Vec<PatchOperation>,
}

impl PatchOp {
    /// A request with the PatchOp schema and the given operations.
    pub fn new(operations: Vec<PatchOperation>) -> Self {
        PatchOp {
            schemas: vec![urn::PATCH_OP.to_owned()],
            operations,
        }
    }
}

/// One PATCH operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchOperation {
    /// `add`, `remove` or `replace`, in whatever case the client sent.
    pub op: String,
    /// The target attribute path; absent for whole-resource `add`/`replace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The value to add or replace with; for `remove`, some clients send
    /// the values to remove here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_rfc_form_and_lowercase_operations_key() {
        let rfc: PatchOp = serde_json::from_str(
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations":[{"op":"Replace","path":"active","value":false},{"op":"remove","path":"title"}]}"#,
        )
        .unwrap();
        assert_eq!(rfc.operations.len(), 2);
        assert_eq!(rfc.operations[0].op, "Replace");
        assert_eq!(rfc.operations[0].value, Some(Value::Bool(false)));
        assert_eq!(rfc.operations[1].value, None);
        let lower: PatchOp =
            serde_json::from_str(r#"{"operations":[{"op":"add","value":{"title":"x"}}]}"#).unwrap();
        assert_eq!(lower.operations[0].path, None);
        assert!(lower.schemas.is_empty());
    }

    #[test]
    fn writes_the_rfc_form() {
        let op = PatchOp::new(vec![PatchOperation {
            op: "add".into(),
            path: Some("members".into()),
            value: Some(serde_json::json!([{"value": "u1"}])),
        }]);
        let json = serde_json::to_value(&op).unwrap();
        assert_eq!(json["Operations"][0]["path"], "members");
        assert_eq!(json["schemas"][0], urn::PATCH_OP);
    }
}
