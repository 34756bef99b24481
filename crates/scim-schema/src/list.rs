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

#[cfg(test)]
mod tests {
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
