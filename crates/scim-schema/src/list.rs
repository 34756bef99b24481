//! The list response message (RFC 7644 §3.4.2) and the search request
//! (RFC 7644 §3.4.3), with the cursor attributes of RFC 9865 §2.

use serde::{Deserialize, Serialize};

use crate::urn;

/// A page of query results.
///
/// A page selected by index carries `startIndex`; a page selected by
/// cursor (RFC 9865) carries `nextCursor` instead, unless it is the last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse<T> {
    /// Always `["urn:ietf:params:scim:api:messages:2.0:ListResponse"]`.
    pub schemas: Vec<String>,
    /// Total number of results matching the query, across all pages.
    pub total_results: u64,
    /// 1-based index of the first result in this page; only for pages
    /// selected by index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_index: Option<u64>,
    /// Number of results in this page.
    pub items_per_page: u64,
    /// The cursor of the next page; absent on the last page and on pages
    /// selected by index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// The cursor of the previous page, for servers that offer one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_cursor: Option<String>,
    /// The results of this page.
    #[serde(rename = "Resources")]
    pub resources: Vec<T>,
}

impl<T> ListResponse<T> {
    /// Wraps one page of results selected by index.
    pub fn new(resources: Vec<T>, total_results: u64, start_index: u64) -> Self {
        ListResponse {
            start_index: Some(start_index),
            ..Self::by_cursor(resources, total_results, None)
        }
    }

    /// Wraps one page of results selected by cursor (RFC 9865 §2):
    /// `next_cursor` is `None` only on the last page.
    pub fn by_cursor(resources: Vec<T>, total_results: u64, next_cursor: Option<String>) -> Self {
        ListResponse {
            schemas: vec![urn::LIST_RESPONSE.to_owned()],
            total_results,
            start_index: None,
            items_per_page: resources.len() as u64,
            next_cursor,
            previous_cursor: None,
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
    /// Paging by cursor (RFC 9865 §3): empty for the first page, then the
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
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
        assert_eq!(req.cursor, None);
    }

    #[test]
    fn reads_a_cursor_search_request() {
        let req: super::SearchRequest = serde_json::from_value(serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "cursor": "",
            "count": 10
        }))
        .unwrap();
        assert_eq!(req.cursor.as_deref(), Some(""));
        assert_eq!(req.start_index, None);
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
        assert!(json.get("nextCursor").is_none());
    }

    #[test]
    fn cursor_pages_carry_next_cursor_and_no_start_index() {
        let page = ListResponse::by_cursor(vec![1], 5, Some("abc".to_owned()));
        let json = serde_json::to_value(&page).unwrap();
        assert_eq!(json["nextCursor"], "abc");
        assert_eq!(json["itemsPerPage"], 1);
        assert!(json.get("startIndex").is_none());
        assert!(json.get("previousCursor").is_none());
        let last = serde_json::to_value(ListResponse::by_cursor(vec![1], 5, None)).unwrap();
        assert!(last.get("nextCursor").is_none());
        let back: ListResponse<u32> = serde_json::from_value(json).unwrap();
        assert_eq!(back, page);
    }
}
