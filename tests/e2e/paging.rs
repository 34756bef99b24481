//! Paging a thousand users over real HTTP, by cursor (RFC 9865) and by
//! index (RFC 7644 §3.4.2.4): every user exactly once, totals right.

use std::collections::HashSet;

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use scim_tests::{TestServer, percent_encode};
use serde_json::{Value, json};

const USERS: usize = 1000;
const PAGE: usize = 100;
const WORKERS: usize = 16;

async fn get(server: &TestServer, path: &str) -> (StatusCode, Value) {
    let response = server
        .client()
        .get(server.url(path))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn search(server: &TestServer, body: &Value) -> (StatusCode, Value) {
    let response = server
        .client()
        .post(server.url("/Users/.search"))
        .bearer_auth(&server.token)
        .header(CONTENT_TYPE, "application/scim+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Creates `USERS` users over HTTP, `WORKERS` requests at a time: their
/// ids, and their userNames in the same order.
async fn seed(server: &TestServer) -> (Vec<String>, Vec<String>) {
    let mut workers = Vec::new();
    for worker in 0..WORKERS {
        let (base, token) = (server.base.clone(), server.token.clone());
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut created = Vec::new();
            for i in (worker..USERS).step_by(WORKERS) {
                let name = format!("pager-{i:04}@example.com");
                let response = client
                    .post(format!("{base}/Users"))
                    .bearer_auth(&token)
                    .header(CONTENT_TYPE, "application/scim+json")
                    .body(json!({"userName": name, "externalId": format!("ext-{i}")}).to_string())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::CREATED);
                let user: Value = response.json().await.unwrap();
                created.push((user["id"].as_str().unwrap().to_owned(), name));
            }
            created
        }));
    }
    let mut ids = Vec::with_capacity(USERS);
    let mut names = Vec::with_capacity(USERS);
    for worker in workers {
        for (id, name) in worker.await.unwrap() {
            ids.push(id);
            names.push(name);
        }
    }
    (ids, names)
}

fn ids_of(page: &Value) -> Vec<String> {
    page["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Asserts that `walked` holds every id of `expected` exactly once.
fn assert_each_once(walked: &[String], expected: &[String]) {
    assert_eq!(walked.len(), expected.len());
    let distinct: HashSet<&String> = walked.iter().collect();
    assert_eq!(distinct.len(), walked.len(), "an id came twice");
    let all: HashSet<&String> = expected.iter().collect();
    assert_eq!(distinct, all);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_users_page_by_cursor_and_by_index() {
    // Seeding sends a thousand requests at once: no rate limit here.
    let server = TestServer::start_with(|settings| settings.rate_limit_per_second = 0).await;
    let (ids, names) = seed(&server).await;

    // By cursor: ten full pages, no startIndex, nextCursor on all but the last.
    let mut walked = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let (status, page) = get(&server, &format!("/Users?count={PAGE}&cursor={cursor}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        pages += 1;
        assert_eq!(page["totalResults"], USERS);
        assert_eq!(page["itemsPerPage"], PAGE);
        assert!(page.get("startIndex").is_none(), "{}", page["startIndex"]);
        walked.extend(ids_of(&page));
        match page.get("nextCursor") {
            Some(next) => cursor = next.as_str().unwrap().to_owned(),
            None => break,
        }
        assert!(pages < USERS / PAGE, "nextCursor on page {pages} of 10");
    }
    assert_eq!(pages, USERS / PAGE);
    assert_each_once(&walked, &ids);

    // By index.
    let mut by_index = Vec::new();
    for start in (1..=USERS).step_by(PAGE) {
        let (status, page) = get(&server, &format!("/Users?startIndex={start}&count={PAGE}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["totalResults"], USERS);
        assert_eq!(page["startIndex"], start);
        assert_eq!(page["itemsPerPage"], PAGE);
        assert!(page.get("nextCursor").is_none());
        by_index.extend(ids_of(&page));
    }
    assert_each_once(&by_index, &ids);
    // Both walk the same default order.
    assert_eq!(by_index, walked);

    // By cursor through POST .search, filtered and sorted: userName
    // descending over the users whose name ends in 7.
    let filter = r#"userName ew "7@example.com""#;
    let mut expected: Vec<String> = names
        .iter()
        .filter(|n| n.ends_with("7@example.com"))
        .cloned()
        .collect();
    expected.sort_by(|a, b| b.cmp(a));
    let mut sorted = Vec::new();
    let mut cursor = json!("");
    loop {
        let (status, page) = search(
            &server,
            &json!({"filter": filter, "sortBy": "userName", "sortOrder": "descending",
                    "cursor": cursor, "count": 30, "attributes": ["userName"]}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["totalResults"], expected.len());
        sorted.extend(
            page["Resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["userName"].as_str().unwrap().to_owned()),
        );
        match page.get("nextCursor") {
            Some(next) => cursor = next.clone(),
            None => break,
        }
    }
    assert_eq!(sorted, expected);

    // The cursor of that search answers only that search.
    let (_, first) = search(
        &server,
        &json!({"filter": filter, "sortBy": "userName", "cursor": "", "count": 5}),
    )
    .await;
    let token = first["nextCursor"].as_str().unwrap();
    let other = format!(
        "/Users?filter={}&sortBy=userName&cursor={token}",
        percent_encode(r#"userName ew "8@example.com""#)
    );
    let (status, error) = get(&server, &other).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["scimType"], "invalidCursor");
    let (status, error) = get(&server, "/Users?cursor=&startIndex=1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["scimType"], "invalidValue");
}
