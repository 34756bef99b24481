//! The [`JwksSource`] port over HTTP(S): fetches the JWKS documents of the
//! token issuers tenants trust. The core caches what it returns.

use std::time::Duration;

use async_trait::async_trait;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use scim_core::ports::{FetchError, JwksSource};

/// The largest JWKS document accepted: real ones hold a few keys.
const MAX_JWKS_BYTES: usize = 256 * 1024;

/// How long one fetch may take, connection and body included.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Fetches JWKS documents with hyper and rustls (ring, Mozilla's roots
/// from webpki-roots, so that no system certificate store is needed),
/// bounded in time and size. Redirects are not followed.
pub(crate) struct HttpJwks {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>,
}

impl HttpJwks {
    pub(crate) fn new() -> anyhow::Result<Self> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(HttpJwks {
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    async fn get(&self, url: &str) -> Result<String, FetchError> {
        let uri: hyper::Uri = url
            .parse()
            .map_err(|_| FetchError("not a valid URL".to_owned()))?;
        let request = hyper::Request::get(uri)
            .header(hyper::header::ACCEPT, "application/json")
            .header(
                hyper::header::USER_AGENT,
                concat!("scim-server/", env!("CARGO_PKG_VERSION")),
            )
            .body(Empty::new())
            .map_err(|e| FetchError(e.to_string()))?;
        let fetch = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| FetchError(e.to_string()))?;
            if response.status() != hyper::StatusCode::OK {
                return Err(FetchError(format!("status {}", response.status())));
            }
            let body = Limited::new(response.into_body(), MAX_JWKS_BYTES)
                .collect()
                .await
                .map_err(|e| FetchError(format!("cannot read the document: {e}")))?
                .to_bytes();
            String::from_utf8(body.to_vec())
                .map_err(|_| FetchError("the document is not UTF-8".to_owned()))
        };
        tokio::time::timeout(TIMEOUT, fetch)
            .await
            .map_err(|_| FetchError(format!("no answer within {} s", TIMEOUT.as_secs())))?
    }
}

#[async_trait]
impl JwksSource for HttpJwks {
    async fn fetch(&self, url: &str) -> Result<String, FetchError> {
        let result = self.get(url).await;
        if let Err(err) = &result {
            tracing::warn!(url, error = %err, "cannot fetch a trusted issuer's JWKS");
        }
        result
    }
}
