//! The token endpoint in-process: grants, RFC 6749 §5.2 errors, and the
//! access tokens it issues at work on the SCIM routes.

use super::*;

struct Fixture {
    app: Router,
    auth: Arc<AuthService>,
    client_id: String,
    secret: String,
}

async fn fixture() -> Fixture {
    let store = Arc::new(MemoryStore::default());
    let auth = Arc::new(AuthService::new(
        store.clone(),
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
    ));
    auth.bootstrap("default", Some(TOKEN)).await.unwrap();
    let created = auth.create_client("default", Some("entra")).await.unwrap();
    let service = |kind| {
        Arc::new(ResourceService::new(
            kind,
            store.clone(),
            Arc::new(SystemClock),
            Arc::new(UuidV7Ids),
        ))
    };
    let app = router(AppState {
        users: service(ResourceKind::User),
        groups: service(ResourceKind::Group),
        custom: Vec::new(),
        audit: None,
        auth: auth.clone(),
        config: Arc::new(HttpConfig::default()),
    });
    Fixture {
        app,
        auth,
        client_id: created.client.id,
        secret: created.secret,
    }
}

fn basic(id: &str, secret: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = format!("{id}:{secret}").into_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    format!("Basic {out}")
}

fn token_request(path: &str, authorization: Option<&str>, body: &str) -> Request<Body> {
    let mut builder = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::HOST, "scim.test")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(value) = authorization {
        builder = builder.header(header::AUTHORIZATION, value);
    }
    builder.body(Body::from(body.to_owned())).unwrap()
}

fn assert_oauth_error(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.body["error"], code, "{}", reply.body);
    assert_eq!(reply.headers[header::CACHE_CONTROL], "no-store");
    if status == StatusCode::UNAUTHORIZED {
        assert!(
            reply.headers[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .starts_with("Basic")
        );
    }
}

#[tokio::test]
async fn basic_auth_gets_a_token_that_works_on_the_scim_routes() {
    let f = fixture().await;
    let auth = basic(&f.client_id, &f.secret);
    for path in ["/oauth/token", "/scim/v2/oauth/token"] {
        let reply = send(
            &f.app,
            token_request(
                path,
                Some(&auth),
                "grant_type=client_credentials&scope=scim",
            ),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
        assert_eq!(reply.headers[header::CACHE_CONTROL], "no-store");
        assert_eq!(reply.body["token_type"], "Bearer");
        assert_eq!(reply.body["expires_in"], 3600);
        let access = reply.body["access_token"].as_str().unwrap();
        let users = send(
            &f.app,
            Request::builder()
                .uri("/scim/v2/Users")
                .header(header::HOST, "scim.test")
                .header(header::AUTHORIZATION, format!("Bearer {access}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(users.status, StatusCode::OK, "{}", users.body);
    }
}

#[tokio::test]
async fn credentials_in_the_body_work_too() {
    let f = fixture().await;
    let body = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        f.client_id, f.secret
    );
    let reply = send(&f.app, token_request("/oauth/token", None, &body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

#[tokio::test]
async fn bad_requests_answer_rfc_6749_errors() {
    let f = fixture().await;
    let good = basic(&f.client_id, &f.secret);
    let cases = [
        (
            Some(good.clone()),
            "",
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            Some(good.clone()),
            "grant_type=password&username=a&password=b",
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (
            Some(good.clone()),
            "grant_type=client_credentials&grant_type=client_credentials",
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            Some(good.clone()),
            &format!("grant_type=client_credentials&client_secret={}", f.secret),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            Some(basic(&f.client_id, "scim_wrong")),
            "grant_type=client_credentials",
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            Some(basic("nobody", &f.secret)),
            "grant_type=client_credentials",
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            Some("Basic %%%".to_owned()),
            "grant_type=client_credentials",
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            None,
            "grant_type=client_credentials",
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (None, "%%%=&&", StatusCode::BAD_REQUEST, "invalid_request"),
    ];
    for (authorization, body, status, code) in cases {
        let reply = send(
            &f.app,
            token_request("/oauth/token", authorization.as_deref(), body),
        )
        .await;
        assert_oauth_error(&reply, status, code);
    }
    // Not a form.
    let request = Request::builder()
        .method("POST")
        .uri("/oauth/token")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, &good)
        .body(Body::from(r#"{"grant_type":"client_credentials"}"#))
        .unwrap();
    assert_oauth_error(
        &send(&f.app, request).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
}

#[tokio::test]
async fn a_revoked_clients_token_is_refused_with_a_scim_401() {
    let f = fixture().await;
    let reply = send(
        &f.app,
        token_request(
            "/oauth/token",
            Some(&basic(&f.client_id, &f.secret)),
            "grant_type=client_credentials",
        ),
    )
    .await;
    let access = reply.body["access_token"].as_str().unwrap().to_owned();
    f.auth.revoke_client("default", &f.client_id).await.unwrap();
    let users = send(
        &f.app,
        Request::builder()
            .uri("/scim/v2/Users")
            .header(header::AUTHORIZATION, format!("Bearer {access}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_scim_error(&users, StatusCode::UNAUTHORIZED, None);
}
