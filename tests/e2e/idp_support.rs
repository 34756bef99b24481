//! Shared plumbing of the identity-provider replays (`idp_entra`,
//! `idp_okta`, `idp_others`): requests sent with exactly the method, path,
//! query string, headers and body an identity provider documents, the
//! response checks those providers apply, and a ledger for the answers
//! that still differ from a provider's documented expectation.

use reqwest::header::{CONTENT_TYPE, HeaderMap, LOCATION};
use reqwest::{Method, StatusCode};
use scim_tests::TestServer;
use serde_json::{Value, json};

pub(crate) const SCIM_JSON: &str = "application/scim+json";
pub(crate) const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub(crate) const CORE_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub(crate) const ENTERPRISE_USER: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub(crate) const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub(crate) const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// One HTTP answer, read completely.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    /// The body as JSON; `Value::Null` when empty.
    pub(crate) body: Value,
}

impl Reply {
    /// `status body` in one line, for assertion messages and the ledger.
    pub(crate) fn summary(&self) -> String {
        format!("{} {}", self.status.as_u16(), self.body)
    }

    /// The `id` of the resource in the body.
    pub(crate) fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in {}", self.summary()))
            .to_owned()
    }
}

/// An identity provider's client: the server it talks to and the headers
/// it puts on every request (its `User-Agent`, `Accept`, ...). The bearer
/// token is the tenant's, as an administrator pastes it into the provider.
pub(crate) struct Idp<'a> {
    server: &'a TestServer,
    http: reqwest::Client,
    headers: Vec<(&'static str, String)>,
    token: String,
}

impl<'a> Idp<'a> {
    pub(crate) fn new(server: &'a TestServer) -> Self {
        Idp {
            server,
            http: server.client(),
            headers: Vec::new(),
            token: server.token.clone(),
        }
    }

    /// Adds a header sent with every request.
    pub(crate) fn with_header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    /// Sends `method path` (relative to the SCIM base URL, query string
    /// included, already encoded as the provider encodes it) with the
    /// given `Content-Type` (none when `None`) and body.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Option<&str>,
    ) -> Reply {
        let mut request = self
            .http
            .request(method, self.server.url(path))
            .header("Authorization", format!("Bearer {}", self.token));
        for (name, value) in &self.headers {
            request = request.header(*name, value);
        }
        if let Some(content_type) = content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        if let Some(body) = body {
            request = request.body(body.to_owned());
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None, None).await
    }

    pub(crate) async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None, None).await
    }
}

/// Encodes a query parameter value as an HTML form does: spaces as `+`,
/// everything but unreserved characters percent-encoded.
pub(crate) fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn assert_scim_content_type(reply: &Reply) {
    let content_type = reply
        .headers
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        content_type.starts_with(SCIM_JSON),
        "Content-Type {content_type:?} of {}",
        reply.summary()
    );
}

/// The checks every provider applies to a query answer (RFC 7644
/// §3.4.2): 200, a ListResponse whose counts are integers, `totalResults`
/// as expected, `Resources` present (empty when nothing matched) and
/// `itemsPerPage` its length. Returns the resources.
pub(crate) fn assert_list(reply: &Reply, total: u64) -> &Vec<Value> {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.summary());
    assert_scim_content_type(reply);
    let body = &reply.body;
    assert_eq!(body["schemas"], json!([LIST_RESPONSE]), "{body}");
    assert_eq!(body["totalResults"].as_u64(), Some(total), "{body}");
    assert!(body["startIndex"].is_u64(), "{body}");
    let resources = body["Resources"]
        .as_array()
        .unwrap_or_else(|| panic!("no Resources array in {body}"));
    assert_eq!(
        body["itemsPerPage"].as_u64(),
        Some(resources.len() as u64),
        "{body}"
    );
    resources
}

/// The checks providers apply to an answer carrying one resource: the
/// status, SCIM JSON, a non-empty `id`, the core schema in `schemas`,
/// `meta.resourceType`, and a `Location` that is `meta.location` (the
/// latter two only for 201, where RFC 7644 §3.3 requires them).
pub(crate) fn assert_resource(reply: &Reply, status: StatusCode, core_schema: &str) {
    assert_eq!(reply.status, status, "{}", reply.summary());
    assert_scim_content_type(reply);
    let body = &reply.body;
    assert!(
        body["id"].as_str().is_some_and(|id| !id.is_empty()),
        "{body}"
    );
    assert!(
        body["schemas"]
            .as_array()
            .is_some_and(|s| s.iter().any(|u| u == core_schema)),
        "{body}"
    );
    let kind = if core_schema == CORE_GROUP {
        "Group"
    } else {
        "User"
    };
    assert_eq!(body["meta"]["resourceType"], kind, "{body}");
    if status == StatusCode::CREATED {
        let location = reply.headers[LOCATION].to_str().unwrap();
        assert_eq!(body["meta"]["location"], location, "{body}");
        assert!(location.ends_with(&reply.id()), "{location}");
    }
}

/// The checks providers apply to a failure: the status, a SCIM Error with
/// `status` as a string and the expected `scimType`.
pub(crate) fn assert_error(reply: &Reply, status: StatusCode, scim_type: Option<&str>) {
    assert_eq!(reply.status, status, "{}", reply.summary());
    assert_scim_content_type(reply);
    assert_eq!(reply.body["schemas"], json!([ERROR]), "{}", reply.summary());
    assert_eq!(
        reply.body["status"],
        json!(status.as_u16().to_string()),
        "{}",
        reply.summary()
    );
    assert_eq!(
        reply.body.get("scimType").and_then(Value::as_str),
        scim_type,
        "{}",
        reply.summary()
    );
}
