//! The list response message (RFC 7644 §3.4.2).

use serde::{Deserialize, Serialize};

use crate::urn;

/// A page of query results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse<T> {
    /// Always `["urn:ietf:params:scim:api:messages:2.0:ListResponse"]`.
    pub schemas: Vec<String>,
    /// Total number of results matching the query, across all pages.
    pub total_results: u64,
    /// 1-based index of the first result in this page.
    pub start_index: u64,
    /// Number of results in this page.
    pub items_per_page: u64,
    /// The results of this page.
    #[serde(rename = "Resources")]
    pub resources: Vec<T>,
}

impl<T> ListResponse<T> {
    /// Wraps one page of results.
    pub fn new(resources: Vec<T>, total_results: u64, start_index: u64) -> Self {
        ListResponse {
            schemas: vec![urn::LIST_RESPONSE.to_owned()],
            total_results,
            start_index,
            items_per_page: resources.len() as u64,
            resources,
        }
    }
}

/// A query sent as the body of `POST .../.search` (RFC 7644 §3.4.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SearchRequest {
    /// Should be `["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]`.
    pub schemas: Vec<String>,
    /// Attributes to return.
    pub attributes: Vec<String>,
    /// Attributes not to return.
    pub excluded_attributes: Vec<String>,
    /// The filter.
    pub filter: Option<String>,
    /// The attribute to sort by.
    pub sort_by: Option<String>,
    /// `ascending` or `descending`.
    pub sort_order: Option<String>,
    /// The 1-based index of the first result.
    pub start_index: Option<i64>,
    /// The most results to return.
    pub count: Option<i64>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_rfc_search_request() {
        let req: super::SearchRequest = serde_json::from_value(serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "attributes": ["displayName", "userName"],
            "filter": "displayName sw \"smith\"",
            "startIndex": 1,
            "count": 10
        }))
        .unwrap();
        assert_eq!(req.attributes, ["displayName", "userName"]);
        assert_eq!(req.count, Some(10));
        assert_eq!(req.sort_by, None);
    }

    use super::*;

    #[test]
    fn uses_the_capitalised_resources_key() {
        let page = ListResponse::new(vec![1, 2], 10, 3);
        let json = serde_json::to_value(&page).unwrap();
        assert_eq!(json["Resources"], serde_json::json!([1, 2]));
        assert_eq!(json["itemsPerPage"], 2);
        assert_eq!(json["totalResults"], 10);
        assert_eq!(json["startIndex"], 3);
    }
}
